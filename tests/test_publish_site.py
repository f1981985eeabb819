"""End-to-end publish: real SQLite store, real ingest, real files in a temporary out/.

What a subscriber and the operator rely on: every document is there and valid, links resolve, output is
byte-stable (twice, and in another process in another time zone), a publish writes only what changed,
hand damage is repaired, stale files go, RFC 5005 archives are complete and immutable, hostile text stays
text, and a failed write names the path and keeps the old file.
"""

from __future__ import annotations

import errno
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import warnings
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser
import pytest
from lxml import etree, html

from feeds.app import App
from feeds.clock import FixedClock, rfc822
from feeds.config import Settings
from feeds.errors import PublishError
from feeds.ingest import run_ingest
from feeds.publish import STATE_FILE, PublishReport, run_publish
from feeds.publish import writer as writer_module
from feeds.publish.spec import content_version
from tests.chaos.outcheck import page_without_json_ld
from tests.test_publish_feeds import rfc4287_problems

ROOT = Path(__file__).resolve().parent.parent
BASE_URL = "https://press.example.org/"
ATOM = "{http://www.w3.org/2005/Atom}"
FH = "{http://purl.org/syndication/history/1.0}"
FEED_NAMES = ("atom.xml", "rss.xml", "feed.json")
HOSTILE_TITLE = "<script>alert(1)</script>"

# The base config's [topics] detect list names Russia, North Korea, Iran, Syria and Ukraine: the texts below
# avoid those words unless the release is meant to carry the topic.
SEED = [
    ("alpha", "Ministers agree a grain corridor", ["Iran"], "2026-11-02T09:30:00Z"),
    ("bravo", "Embassy hours change over the holidays", ["Russia"], "2026-11-03T10:00:00Z"),
    ("charlie", "Joint statement on shipping lanes", ["Iran", "Russia"], "2026-11-04T11:15:00Z"),
    ("delta", "Aid convoy reaches the border", ["Syria"], "2026-11-05T08:00:00Z"),
    ("echo", "Sanctions list updated", ["Ukraine"], "2026-11-06T16:45:00Z"),
    ("foxtrot", "Consular fees for next year", [], "2026-11-07T12:00:00Z"),
]


@dataclass
class Site:
    settings: Settings
    app: App
    clock: FixedClock

    @property
    def out(self) -> Path:
        return self.settings.paths.out

    def drop(self, key: str, title: str, topics: list[str], published: str | None, **extra: Any) -> None:
        body = extra.pop("body", f"The office said today that {title.lower()}. Details follow in due course.")
        obj = {"title": title, "body": body, "published": published, "topics": topics, "source_key": key, **extra}
        obj = {k: v for k, v in obj.items() if v is not None}
        inbox = self.settings.source("inbox").path
        (inbox / f"{key}.json").write_text(json.dumps(obj), encoding="utf-8")

    def drop_never_public(self) -> None:
        """Two releases no list of public pages may show: "Port strategy under embargo" (Iran, dated ahead of the
        clock) and "Cancelled statement on ferries" (Syria, withdrawn before its publication)."""
        self.drop("held", "Port strategy under embargo", ["Iran"], "2026-12-03T00:01:00Z")
        self.drop(
            "never",
            "Cancelled statement on ferries",
            ["Syria"],
            "2026-12-05T00:00:00Z",
            withdrawn_at="2026-11-27T16:00:00Z",
            withdrawn_note="Cancelled before publication.",
        )

    def ingest(self) -> None:
        """Ingest the inbox a second after the previous ingest (so ingest order follows the calls)."""
        self.clock.now = datetime.fromtimestamp(self.clock.now.timestamp() + 1, tz=UTC)
        report = run_ingest(self.app)
        rejected = [o.error for o in report.outcomes if o.status == "rejected"]
        assert not rejected, rejected

    def publish(self, **kw: Any) -> PublishReport:
        return run_publish(self.app, **kw)


@pytest.fixture
def make_site(make_settings, make_app_for, clock) -> Callable[..., Site]:
    def make(extra_toml: str = "", seed: bool = True, database_url: str | None = None) -> Site:
        settings = make_settings(extra_toml, database_url=database_url)
        app = make_app_for(settings)
        site = Site(settings, app, clock)
        if seed:
            for key, title, topics, published in SEED:
                site.drop(key, title, topics, published)
            site.ingest()
        return site

    return make


@pytest.fixture
def site(make_site) -> Site:
    s = make_site()
    s.publish()
    return s


# --- helpers -------------------------------------------------------------------------------------------------


def tree_bytes(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def assert_unchanged_again_and_from_scratch(site: Site) -> None:
    """Publishing again writes nothing, and publishing from scratch (no out/, no record of the last publish) gives
    the same bytes: what the store holds decides the output, whatever was written before."""
    assert site.publish().changed == []
    kept = tree_bytes(site.out)
    shutil.rmtree(site.out)
    (site.settings.paths.state / STATE_FILE).unlink()
    site.publish()
    assert tree_bytes(site.out) == kept, "the same bytes from scratch"


def mtimes(out: Path) -> dict[str, int]:
    return {p.relative_to(out).as_posix(): p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}


def local_path(out: Path, url: str) -> Path:
    """The file in out/ that serves `url` (a folder URL is served by its index.html)."""
    assert url.startswith(BASE_URL), f"{url} is not on the site"
    rel = urlsplit(url).path[len(urlsplit(BASE_URL).path) :]
    return out / (rel + "index.html" if rel == "" or rel.endswith("/") else rel)


def atom_docs(out: Path) -> list[Path]:
    return sorted(out.rglob("atom.xml"))


def parse_ok(path: Path) -> feedparser.FeedParserDict:
    parsed = feedparser.parse(path.read_bytes())
    assert parsed.bozo == 0, f"{path}: {parsed.get('bozo_exception')}"
    return parsed


def parse_date(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def stored_ids(site: Site, topic: str | None = None) -> list[str]:
    """Stored release ids (optionally of one topic), newest first, as every current feed lists them."""
    return [r.id for r in site.app.store.releases() if topic is None or topic in r.topics]


# --- what a publish produces ---------------------------------------------------------------------------------


def test_publish_writes_the_whole_site(site: Site) -> None:
    out = site.out
    for name in (*FEED_NAMES, "index.html", "feeds.opml", "static/site.css", "static/feed.xsl", "static/feed.css"):
        assert (out / name).is_file(), name
    for r in site.app.store.releases():
        assert (out / "releases" / r.slug / "index.html").is_file(), r.slug
    for slug in ("iran", "russia", "syria", "ukraine"):
        for name in (*FEED_NAMES, "index.html"):
            assert (out / "topics" / slug / name).is_file(), f"topics/{slug}/{name}"
    # The private state never lands in out/.
    assert not list(out.rglob(STATE_FILE))
    assert (site.settings.paths.state / STATE_FILE).is_file()


def test_every_link_in_feeds_and_pages_resolves_to_a_file(site: Site) -> None:
    out = site.out
    checked = 0
    for doc in atom_docs(out):
        root = etree.parse(str(doc)).getroot()
        for link in root.iter(f"{ATOM}link"):
            if link.get("rel") != "hub":
                assert local_path(out, link.get("href")).is_file(), f"{doc}: {link.get('href')}"
                checked += 1
        for cat in root.iter(f"{ATOM}category"):
            assert local_path(out, cat.get("scheme")).is_file(), f"{doc}: category {cat.get('scheme')}"
    for doc in out.rglob("feed.json"):
        feed = json.loads(doc.read_bytes())
        for url in [feed["home_page_url"], feed["feed_url"], *(item["url"] for item in feed["items"])]:
            assert local_path(out, url).is_file(), f"{doc}: {url}"
    for page in out.rglob("*.html"):
        base = BASE_URL + page.relative_to(out).as_posix().removesuffix("index.html")
        for el in html.parse(str(page)).getroot().iter("a", "link"):
            href = el.get("href")
            if href is None or href.startswith("mailto:"):
                continue
            url = urljoin(base, href).split("#", 1)[0]
            assert url.startswith(BASE_URL), f"{page}: off-site link {href}"
            assert local_path(out, url).is_file(), f"{page}: {href} -> {url}"
            checked += 1
    assert checked > 50


def test_what_a_document_links_to_is_written_before_it(make_site, monkeypatch: pytest.MonkeyPatch) -> None:
    """Mid-publish, a reader following a new entry's link (or a feed its stylesheet) finds the file, not the 404
    page: release pages and static files are written before the feeds, the index, the OPML list and the sitemap last."""
    site = make_site()
    order: list[str] = []
    write = writer_module.atomic_write

    def recording(target: Path, data: bytes) -> None:
        write(target, data)
        if target.is_relative_to(site.out):  # (not the writer's state, kept outside out/)
            order.append(target.relative_to(site.out).as_posix())

    monkeypatch.setattr(writer_module, "atomic_write", recording)
    site.publish()
    position = {path: i for i, path in enumerate(order)}
    feeds = [p for p in order if p.endswith(("atom.xml", "rss.xml", "feed.json"))]
    assert feeds and all(position["static/feed.xsl"] < position[f] for f in feeds)
    assert all(position["static/feed.css"] < position[f] for f in feeds)
    for doc in feeds:
        if doc.endswith("atom.xml"):
            root = etree.parse(str(site.out / doc)).getroot()
            entry_links = [e.get("href") for e in root.iterfind(f"{ATOM}entry/{ATOM}link[@rel='alternate']")]
            assert entry_links, doc
            pages = [local_path(site.out, url).relative_to(site.out).as_posix() for url in entry_links]
            assert all(position[page] < position[doc] for page in pages if page in position), doc
    assert order[-5:] == ["index.html", "feeds.opml", "sitemap.xml", "robots.txt", "sitemap-news.xml"]


def test_a_site_moved_to_another_base_url_links_there_everywhere(make_site) -> None:
    """A review's find: a release's address was worked out when it was stored, so a site moved from the example's
    localhost to its public address went on linking every release to the old one (pages, feeds, JSON Feed)."""
    site = make_site()
    moved = "https://news.example.gov.uk/press/"
    old = site.settings.site.base_url
    site.app.settings = replace(site.settings, site=replace(site.settings.site, base_url=moved))
    site.publish()
    for name in ("index.html", "atom.xml", "rss.xml", "feed.json"):
        text = (site.out / name).read_text(encoding="utf-8")
        assert f"{old}releases/" not in text, name
        assert f"{moved}releases/" in text or name == "index.html", name  # (pages link within the site relatively)
    release = site.app.store.releases()[0]
    page = (site.out / "releases" / release.slug / "index.html").read_text(encoding="utf-8")
    assert f'<link rel="canonical" href="{moved}releases/{release.slug}/">' in page


def test_a_site_under_a_path_prefix_keeps_its_styles_wherever_out_is_served(make_site) -> None:
    """A visitor's review: with `base_url` under a path (https://press.example.org/news/), `feeds serve` serves
    out/ at its root, and every page asked for /news/static/site.css, a 404: the site previewed unstyled, though
    every other link on the page is relative and worked. Pages link the stylesheet relatively too, and so find it
    wherever out/ is served; only the 404 page, served at any depth, names it by its path on the host."""
    site = make_site()
    prefixed = "https://press.example.org/news/"
    site.app.settings = replace(site.settings, site=replace(site.settings.site, base_url=prefixed))
    site.publish()
    served = "http://127.0.0.1:8080/"  # (out/ served at the root, as `feeds serve` does)
    pages = [p for p in site.out.rglob("*.html") if p.name != "404.html"]
    assert len(pages) > 10
    css = "static/site.css?v=" + content_version((site.out / "static" / "site.css").read_bytes())
    for page in pages:
        at = served + page.relative_to(site.out).as_posix().removesuffix("index.html")
        (href,) = html.parse(str(page)).getroot().xpath("//link[@rel='stylesheet']/@href")
        url = urljoin(at, href)
        assert url == served + css, f"{page}: {href}"
        assert urljoin(prefixed + at.removeprefix(served), href) == prefixed + css  # (and at base_url)
    not_found = html.parse(str(site.out / "404.html")).getroot()
    assert not_found.xpath("//link[@rel='stylesheet']/@href") == ["/news/" + css]


def test_a_site_moved_to_another_base_url_moves_the_links_its_bodies_had_into_it(make_site) -> None:
    """A review's find: a body's relative links and images are made absolute against the base URL when the release
    is stored, so after a move from the example's localhost its feed entries and page still pointed every image and
    link at http://127.0.0.1:8080/. A body written elsewhere (a release with a `link`) keeps the links it had."""
    site = make_site(seed=False)
    body = "See [the plan](plans/coast.pdf) and ![the map](/images/map.png). Also [GOV.UK](https://www.gov.uk/x)."
    site.drop("own", "Coastal plan published", [], "2026-11-02T09:30:00Z", body=body)
    site.drop("elsewhere", "Harbour plan", [], "2026-11-03T09:30:00Z", body=body, link="https://www.gov.uk/news/h")
    site.ingest()
    old = site.settings.site.base_url
    moved = "https://news.example.gov.uk/press/"
    site.app.settings = replace(site.settings, site=replace(site.settings.site, base_url=moved))
    site.publish()

    def urls_of(markup: str) -> list[str]:
        return sorted(e.get("href") or e.get("src") for e in html.fromstring(markup).iter("a", "img"))

    entries = {e.link: e for e in parse_ok(site.out / "atom.xml").entries}
    items = {i["url"]: i for i in json.loads((site.out / "feed.json").read_bytes())["items"]}
    page = html.parse(str(site.out / "releases" / "coastal-plan-published" / "index.html")).getroot()
    (body_div,) = page.xpath("//div[@class='body']")
    own = [f"{moved}images/map.png", f"{moved}plans/coast.pdf", "https://www.gov.uk/x"]
    for shown in (
        entries[f"{moved}releases/coastal-plan-published/"].content[0].value,
        items[f"{moved}releases/coastal-plan-published/"]["content_html"],
        html.tostring(body_div, encoding="unicode"),
    ):
        assert urls_of(shown) == own
    assert old not in (site.out / "rss.xml").read_text(encoding="utf-8")
    elsewhere = ["https://www.gov.uk/images/map.png", "https://www.gov.uk/news/plans/coast.pdf", "https://www.gov.uk/x"]
    assert urls_of(entries[f"{moved}releases/harbour-plan/"].content[0].value) == elsewhere


def test_a_topic_page_with_more_releases_than_it_lists_says_where_the_others_are(make_site, monkeypatch) -> None:
    """A review's find: a topic page stopped at its newest 100 releases without a word (no count, no way on)."""
    from feeds.publish import planpages

    monkeypatch.setattr(planpages, "TOPIC_PAGE_RELEASES", 2)
    site = make_site(seed=False)
    for n, day in enumerate(["2024-03-01", "2025-05-01", "2026-01-10", "2026-11-01"]):
        site.drop(f"f{n}", f"Fisheries update number {n}", ["Fisheries"], f"{day}T09:00:00Z")
    site.ingest()
    site.publish()
    page = html.parse(str(site.out / "topics" / "fisheries" / "index.html")).getroot()
    (more,) = page.xpath("//p[@class='more']")
    assert " ".join(more.text_content().split()) == (
        "The 2 newest of 4 releases about Fisheries. The older ones are in the lists by year: 2025, 2024."
    )
    for href in more.xpath(".//a/@href"):
        assert (site.out / "topics" / "fisheries" / href / "index.html").resolve().is_file(), href


def test_feeds_round_trip_through_feedparser(site: Site) -> None:
    out = site.out
    topics = {"": None, "topics/iran/": "Iran", "topics/russia/": "Russia", "topics/syria/": "Syria"}
    for folder, topic in topics.items():
        expected = stored_ids(site, topic)
        for name in ("atom.xml", "rss.xml"):
            parsed = parse_ok(out / folder / name)
            entries = parsed.entries
            assert [e.id for e in entries] == expected, f"{folder}{name}"
            published = [e.published_parsed for e in entries]
            assert published == sorted(published, reverse=True), f"{folder}{name}: not newest first"
            for e in entries:
                assert local_path(out, e.link).is_file()
        atom = parse_ok(out / folder / "atom.xml")
        newest = max(parse_date(e.updated) for e in atom.entries)
        assert parse_date(atom.feed.updated) == newest
        rss = parse_ok(out / folder / "rss.xml")
        assert datetime(*rss.feed.updated_parsed[:6], tzinfo=UTC) == newest
        # JSON Feed 1.1 (feedparser 6.0 does not read it): the same items, same order, the required members.
        feed = json.loads((out / folder / "feed.json").read_bytes())
        assert feed["version"] == "https://jsonfeed.org/version/1.1"
        assert feed["feed_url"] == BASE_URL + folder + "feed.json"
        assert [i["id"] for i in feed["items"]] == expected
        for item in feed["items"]:
            assert isinstance(item["id"], str) and (item.get("content_html") or item.get("content_text"))
            assert parse_date(item["date_modified"]) >= parse_date(item["date_published"])


def _rfc3339(text: str | None) -> datetime:
    assert text is not None
    value = parse_date(text)
    assert value.tzinfo is not None, text
    return value


def test_atom_documents_meet_rfc_4287_musts(site: Site) -> None:
    site.drop("golf", "Statement on the summit", ["Iran"], "2026-11-08T09:00:00Z", organisation="Trade Office")
    site.ingest()
    site.publish()
    docs = atom_docs(site.out)
    assert len(docs) >= 6
    for doc in docs:
        feed = etree.parse(str(doc)).getroot()
        assert feed.tag == f"{ATOM}feed"
        for name in ("id", "title", "updated"):
            assert len(feed.findall(f"{ATOM}{name}")) == 1, f"{doc}: feed {name}"
        feed_updated = _rfc3339(feed.findtext(f"{ATOM}updated"))
        feed_has_author = feed.find(f"{ATOM}author/{ATOM}name") is not None
        _one_alternate_per_type(feed, doc)
        for href in [link.get("href") for link in feed.iter(f"{ATOM}link")]:
            assert urlsplit(href).scheme in ("http", "https"), f"{doc}: relative href {href}"
        entries = feed.findall(f"{ATOM}entry")
        assert entries, doc
        for entry in entries:
            eid = entry.findtext(f"{ATOM}id")
            assert eid and urlsplit(eid).scheme, f"{doc}: entry id {eid!r} is not an absolute IRI"
            for name in ("id", "title", "updated"):
                assert len(entry.findall(f"{ATOM}{name}")) == 1, f"{doc}: entry {eid} {name}"
            assert feed_has_author or entry.find(f"{ATOM}author/{ATOM}name") is not None, f"{doc}: {eid} author"
            _one_alternate_per_type(entry, doc)
            if entry.find(f"{ATOM}content") is None:
                assert entry.find(f"{ATOM}link[@rel='alternate']") is not None
            assert feed_updated >= _rfc3339(entry.findtext(f"{ATOM}updated")), f"{doc}: entry newer than feed"
            assert _rfc3339(entry.findtext(f"{ATOM}published")) <= _rfc3339(entry.findtext(f"{ATOM}updated"))
        ids = [e.findtext(f"{ATOM}id") for e in entries]
        assert len(ids) == len(set(ids)), f"{doc}: duplicate entry ids"


def _one_alternate_per_type(el: etree._Element, doc: Path) -> None:
    seen = set()
    for link in el.findall(f"{ATOM}link"):
        if link.get("rel", "alternate") == "alternate":
            key = (link.get("type"), link.get("hreflang"))
            assert key not in seen, f"{doc}: two alternate links for {key}"
            seen.add(key)


def test_rss_documents_link_to_themselves(site: Site) -> None:
    for doc in sorted(site.out.rglob("rss.xml")):
        channel = etree.parse(str(doc)).getroot().find("channel")
        selfs = [link for link in channel.findall(f"{ATOM}link") if link.get("rel") == "self"]
        assert len(selfs) == 1, doc
        assert selfs[0].get("href") == BASE_URL + doc.relative_to(site.out).as_posix()
        assert selfs[0].get("type") == "application/rss+xml"
        for name in ("title", "link", "description"):
            assert (channel.findtext(name) or "").strip(), f"{doc}: channel {name}"
        for item in channel.findall("item"):
            assert item.findtext("guid") and item.findtext("pubDate"), doc


def test_custom_feed_by_document_type(make_site) -> None:
    site = make_site('\n[[publish.feeds]]\nname = "statements"\ntitle = "Statements"\ntypes = ["statement"]\n')
    site.drop("golf", "On the summit", [], "2026-11-08T09:00:00Z", document_type="statement")
    site.drop("hotel", "On the harbour", [], "2026-11-09T09:00:00Z", document_type="Statement")
    site.ingest()
    site.publish()
    wanted = [r.id for r in site.app.store.releases() if r.document_type == "statement"]
    assert len(wanted) == 2
    for name in ("atom.xml", "rss.xml"):
        assert [e.id for e in parse_ok(site.out / "feeds/statements" / name).entries] == wanted
    assert "feeds/statements/atom.xml" in (site.out / "feeds.opml").read_text()
    assert "feeds/statements/atom.xml" in (site.out / "index.html").read_text()
    # A subscription list never sends a reader to a page that does not exist (feeds/statements/ has none).
    for outline in etree.parse(str(site.out / "feeds.opml")).getroot().iter("outline"):
        for attr in ("xmlUrl", "htmlUrl"):
            if outline.get(attr):
                assert local_path(site.out, outline.get(attr)).is_file(), f"feeds.opml: {attr} {outline.get(attr)}"


def test_a_topic_is_named_as_the_config_names_it_else_as_most_releases_spell_it(make_site) -> None:
    """One release tagged "IRAN" renamed the Iran feed when it was the newest."""
    site = make_site(seed=False)
    site.drop("a", "Talks in Tehran", ["Iran", "harbours"], "2026-11-01T09:00:00Z")
    site.drop("b", "Ferry plans", ["harbours"], "2026-11-02T09:00:00Z")
    site.drop("c", "Envoy named", ["IRAN", "Harbours"], "2026-11-03T09:00:00Z")
    site.ingest()
    site.publish()
    assert parse_ok(site.out / "topics/iran/atom.xml").feed.title.endswith(": Iran")
    assert parse_ok(site.out / "topics/harbours/atom.xml").feed.title.endswith(": harbours")


def test_feed_entries_carry_the_lead_image_the_original_page_and_the_text_direction(make_site) -> None:
    """A subscriber's review: the lead image reached JSON Feed only, the release's page on GOV.UK no format, and
    Arabic came out left to right in an English feed (the release's own page sets dir="rtl")."""
    site = make_site(seed=False)
    site.drop(
        "visit",
        "Minister visits the port",
        [],
        "2026-11-02T09:00:00Z",
        image="https://cdn.example.org/lead.jpg?a=1&b=2",
        link="https://www.gov.uk/government/news/minister-visits-the-port",
    )
    site.drop("ar", "الوزير يزور الميناء", [], "2026-11-03T09:00:00Z", language="ar", body="قال الوزير: نحن هنا.")
    site.ingest()
    site.publish()
    atom = parse_ok(site.out / "atom.xml")
    rss = parse_ok(site.out / "rss.xml")
    by_title = {e.title: e for e in atom.entries}
    visit = by_title["Minister visits the port"]
    assert [(link.rel, link.href) for link in visit.links] == [
        ("alternate", "https://press.example.org/releases/minister-visits-the-port/"),
        ("via", "https://www.gov.uk/government/news/minister-visits-the-port"),
    ]
    assert visit.media_thumbnail == [{"url": "https://cdn.example.org/lead.jpg?a=1&b=2"}]
    assert {e.title: e.get("media_thumbnail") for e in rss.entries}["Minister visits the port"] == [
        {"url": "https://cdn.example.org/lead.jpg?a=1&b=2"}
    ]
    arabic = by_title["الوزير يزور الميناء"]
    assert arabic.content[0].value.startswith('<div dir="rtl">') and "media_thumbnail" not in arabic
    assert {e.title: e.content[0].value for e in rss.entries}["الوزير يزور الميناء"].startswith('<div dir="rtl">')
    assert not by_title["Minister visits the port"].content[0].value.startswith("<div")  # English in English: as is
    items = {i["title"]: i for i in json.loads((site.out / "feed.json").read_text(encoding="utf-8"))["items"]}
    assert items["Minister visits the port"]["external_url"] == visit.links[1].href
    assert "external_url" not in items["الوزير يزور الميناء"]
    # a feed without images declares no Media RSS namespace
    site.drop("visit", "Minister visits the port", [], "2026-11-02T09:00:00Z")
    site.ingest()
    site.publish()
    assert b"xmlns:media" not in (site.out / "atom.xml").read_bytes() + (site.out / "rss.xml").read_bytes()


def test_atom_categories_are_named_by_the_topic_not_its_slug(make_site) -> None:
    """A subscriber's review: readers that show Atom terms showed "topic-cf2abf0c5b" for the topic 日本."""
    site = make_site(seed=False)
    site.drop("jp", "Trade mission to Tokyo", ["日本", "Trade"], "2026-11-02T09:00:00Z")
    site.ingest()
    site.publish()
    (entry,) = parse_ok(site.out / "atom.xml").entries
    assert [(t.term, t.scheme) for t in entry.tags] == [
        ("日本", f"{BASE_URL}topics/topic-{hashlib.sha256('日本'.encode()).hexdigest()[:10]}/"),
        ("Trade", f"{BASE_URL}topics/trade/"),
    ]


def test_a_newer_release_with_a_spelling_as_common_does_not_rename_a_topic_feed(make_site) -> None:
    """ "C++" and "C#" share `topics/c/`: the C# release, newer, renamed the feed its subscribers knew as C++."""
    site = make_site(seed=False)
    site.drop("old", "Compiler course", ["C++"], "2026-11-01T09:00:00Z")
    site.ingest()
    site.publish()
    assert parse_ok(site.out / "topics/c/atom.xml").feed.title.endswith(": C++")
    site.drop("new", "Language course", ["C#"], "2026-11-05T09:00:00Z")
    site.ingest()
    site.publish()
    feed = parse_ok(site.out / "topics/c/atom.xml")
    assert feed.feed.title.endswith(": C++")
    # one topic, one category, whichever spelling each release gave it (a re-check saw both terms in topics/c/)
    assert {(t.term, t.label) for e in feed.entries for t in e.tags} == {("C++", "C++")}


def test_a_custom_feed_takes_a_topic_by_any_spelling_that_shares_its_page(make_site) -> None:
    site = make_site('\n[[publish.feeds]]\nname = "nk"\ntitle = "North Korea"\ntopics = ["North Korea"]\n', seed=False)
    site.drop("india", "Statement on the launch", ["north-korea"], "2026-11-08T09:00:00Z")
    site.ingest()
    site.publish()
    assert [e.title for e in parse_ok(site.out / "feeds/nk/atom.xml").entries] == ["Statement on the launch"]


# --- determinism ---------------------------------------------------------------------------------------------


def test_publishing_again_from_scratch_gives_the_same_bytes(site: Site) -> None:
    assert_unchanged_again_and_from_scratch(site)


def test_another_process_in_another_time_zone_gives_the_same_bytes(site: Site, tmp_path: Path) -> None:
    other = tmp_path / "elsewhere"
    other.mkdir()
    config = site.settings.path.read_text().replace('out = "out"', f'out = "{other / "out"}"')
    config = config.replace('state = "state"', f'state = "{other / "state"}"')
    config = config.replace('path = "inbox"', f'path = "{tmp_path / "inbox"}"')
    (other / "feeds.toml").write_text(config)
    env = {
        **os.environ,
        "TZ": "Asia/Tokyo",
        "LC_ALL": "C.UTF-8",
        "FEEDS_DATABASE_URL": site.settings.database_url,
        "PYTHONPATH": str(ROOT),
    }
    cmd = [sys.executable, "-m", "feeds", "--config", str(other / "feeds.toml"), "publish", "--json"]
    done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["changed"] == len(tree_bytes(site.out))
    assert tree_bytes(other / "out") == tree_bytes(site.out)


def test_a_publish_with_nothing_new_writes_nothing(site: Site) -> None:
    before = mtimes(site.out)
    state_file = site.settings.paths.state / STATE_FILE
    state_before = (state_file.read_bytes(), state_file.stat().st_mtime_ns)
    report = site.publish()
    assert report.changed == []
    assert report.rendered == 0
    assert report.unchanged == len(before)
    assert mtimes(site.out) == before
    assert (state_file.read_bytes(), state_file.stat().st_mtime_ns) == state_before  # not even its record


# --- incremental publishing ----------------------------------------------------------------------------------


def test_one_new_release_rewrites_only_the_documents_that_show_it(make_site) -> None:
    site = make_site("\n[publish]\nentries = 3\n")
    site.publish()
    before = tree_bytes(site.out)
    times = mtimes(site.out)
    assert any(p.startswith("archive/") for p in before)

    site.drop("golf", "Aid convoy crosses at dawn", ["Syria"], "2026-11-20T07:00:00Z")
    site.ingest()
    report = site.publish()

    slug = site.app.store.release(stored_ids(site)[0]).slug
    expected = {
        *FEED_NAMES,
        *(f"topics/syria/{n}" for n in (*FEED_NAMES, "index.html")),
        f"releases/{slug}/index.html",
        "years/2026/index.html",  # its year's archive page (the other years' pages stay as they were)
        "index.html",
        "feeds.opml",  # its dateModified is the newest release's
        "sitemap.xml",  # the new page, and the index's, year's and topic's new lastmod
        "search/2026.json",  # its year's shard of the search index, and the list of shards naming its version
        "search/shards.json",
    }
    assert set(report.written) == expected
    assert report.removed == []
    # main feed, Syria feed, Syria page, release page, year page, index, OPML, sitemap, search shard and shards
    assert report.rendered == 10
    after = mtimes(site.out)
    changed = {p for p in after if after[p] != times.get(p)}
    assert changed == expected
    for path in before:
        if path not in expected:
            assert (site.out / path).read_bytes() == before[path], path


def test_an_edit_that_keeps_the_dates_still_reaches_every_page(make_site) -> None:
    """Every rendered field is in the fingerprint, not only the dates: an edit made within the same clock
    tick (so `updated` does not move) must still re-render the index and topic pages that show it."""
    site = make_site(seed=False)
    site.drop("undated", "Consular fees for next year", ["Iran"], None)  # no date: published = updated = now
    site.ingest()
    site.publish()
    site.drop("undated", "Consular fees for next year", ["Iran"], None, organisation="Trade Office")
    run_ingest(site.app)  # same clock reading: `updated` stays where it was
    report = site.publish()
    assert "index.html" in report.written
    assert "topics/iran/index.html" in report.written
    for page in ("index.html", "topics/iran/index.html"):
        assert "Trade Office" in (site.out / page).read_text(), page


def test_a_topic_that_loses_its_last_release_keeps_its_feeds_and_page_empty(site: Site) -> None:
    """A topic whose last release was re-tagged (sent again with other topics) had its feeds and page removed:
    every reader subscribed to them got 404s, and Feedly, Miniflux or NetNewsWire showed errors or dropped the
    subscription. They stay, as valid empty feeds whose `updated` stays where it was (same
    bytes on every publish), and a page that says there is nothing now; the index and the OPML list, which offer
    feeds to new subscribers, leave the empty topic out. A new release about it fills them again."""
    ukraine = site.out / "topics/ukraine"
    updated = etree.parse(str(ukraine / "atom.xml")).getroot().findtext(f"{ATOM}updated")
    assert updated == "2026-11-06T16:45:00Z"
    site.drop("echo", "Sanctions list updated", [], "2026-11-06T16:45:00Z")
    site.ingest()
    report = site.publish()
    assert report.removed == []
    files = [f"topics/ukraine/{n}" for n in (*FEED_NAMES, "index.html")]
    assert set(files) <= set(report.written)

    atom = etree.parse(str(ukraine / "atom.xml")).getroot()
    assert rfc4287_problems(atom) == []
    assert atom.find(f"{ATOM}entry") is None
    assert atom.findtext(f"{ATOM}updated") == updated, "never 'now', nor the empty feed's fixed epoch"
    assert atom.findtext(f"{ATOM}title") == "Test Press Office: Ukraine"
    assert parse_ok(ukraine / "atom.xml").entries == []
    rss = parse_ok(ukraine / "rss.xml")
    assert rss.entries == [] and rss.feed.title == "Test Press Office: Ukraine"
    channel = etree.parse(str(ukraine / "rss.xml")).getroot().find("channel")
    assert channel.findtext("lastBuildDate") == channel.findtext("pubDate") == rfc822(parse_date(updated))
    feed = json.loads((ukraine / "feed.json").read_bytes())
    assert feed["version"] == "https://jsonfeed.org/version/1.1" and feed["items"] == []
    assert feed["feed_url"] == f"{BASE_URL}topics/ukraine/feed.json" and feed["title"] == "Test Press Office: Ukraine"

    page = html.parse(str(ukraine / "index.html")).getroot()
    text = " ".join(page.text_content().split())
    assert "There are no releases about Ukraine now." in text
    assert page.xpath("//meta[@name='robots']/@content") == ["noindex"], "no search result leads to an empty page"
    assert f"{BASE_URL}topics/ukraine/atom.xml" in page.xpath("//a/@href"), "its feeds are still offered there"
    for listed in ("index.html", "feeds.opml"):
        assert "topics/ukraine/" not in (site.out / listed).read_text(encoding="utf-8"), listed

    assert_unchanged_again_and_from_scratch(site)

    site.drop("kilo", "Sanctions eased", ["Ukraine"], "2026-11-21T09:00:00Z")
    site.ingest()
    site.publish()
    assert [e.title for e in parse_ok(ukraine / "atom.xml").entries] == ["Sanctions eased"]
    assert "There are no releases" not in (ukraine / "index.html").read_text(encoding="utf-8")
    assert "topics/ukraine/" in (site.out / "index.html").read_text(encoding="utf-8")


def test_a_topic_feeds_updated_never_goes_back_when_it_loses_its_newest_release(make_site, db_url: str) -> None:
    """Readers that re-read a feed only when its `updated` moves on took one that went back in time (the newest
    release re-tagged away: Iran's feed fell back from 4 to 2 November) as stale. It stays at the highest it was
    published with, kept in the store so that every publish, on every daemon, gives the same bytes."""
    site = make_site(database_url=db_url)
    site.publish()
    iran = site.out / "topics/iran"

    def updated() -> tuple[str, str]:
        atom = etree.parse(str(iran / "atom.xml")).getroot()
        assert rfc4287_problems(atom) == []
        return atom.findtext(f"{ATOM}updated"), etree.parse(str(iran / "rss.xml")).getroot().findtext(
            "channel/lastBuildDate"
        )

    assert updated() == ("2026-11-04T11:15:00Z", "Wed, 04 Nov 2026 11:15:00 +0000")  # charlie's
    site.drop("charlie", "Joint statement on shipping lanes", ["Russia"], "2026-11-04T11:15:00Z")
    site.ingest()
    report = site.publish()
    assert "topics/iran/atom.xml" in report.written
    assert [e.title for e in parse_ok(iran / "atom.xml").entries] == ["Ministers agree a grain corridor"]
    assert updated() == ("2026-11-04T11:15:00Z", "Wed, 04 Nov 2026 11:15:00 +0000")
    assert_unchanged_again_and_from_scratch(site)

    site.drop("lima", "Talks resume", ["Iran"], "2026-11-10T08:00:00Z")  # newer than the mark: it moves on
    site.ingest()
    site.publish()
    assert updated() == ("2026-11-10T08:00:00Z", "Tue, 10 Nov 2026 08:00:00 +0000")


def test_files_deleted_or_edited_by_hand_are_restored(site: Site) -> None:
    good = tree_bytes(site.out)
    (site.out / "topics/iran/atom.xml").unlink()
    (site.out / "index.html").write_text("defaced")
    report = site.publish()
    assert sorted(report.written) == ["index.html", "topics/iran/atom.xml"]
    assert tree_bytes(site.out) == good


def test_a_dry_run_reports_and_writes_nothing(make_site) -> None:
    site = make_site()
    report = site.publish(dry_run=True)
    assert "atom.xml" in report.written and "index.html" in report.written
    assert report.removed == []
    assert not site.out.exists() or not any(site.out.rglob("*"))
    assert not (site.settings.paths.state / STATE_FILE).exists()
    assert site.app.store.published_feeds() == {}, "nor does it keep any feed's `updated`"

    site.publish()
    before = mtimes(site.out)
    site.drop("golf", "Aid convoy crosses at dawn", ["Syria"], "2026-11-20T07:00:00Z")
    site.ingest()
    dry = site.publish(dry_run=True)
    assert mtimes(site.out) == before
    assert dry.removed == [], "a dry run must not report re-rendered files as stale"
    real = site.publish()
    assert sorted(dry.written) == sorted(real.written)
    assert real.removed == []


# --- RFC 5005 archives ---------------------------------------------------------------------------------------


def _walk_archives(out: Path) -> Iterator[etree._Element]:
    """The current document, then each prev-archive back to the first."""
    url: str | None = BASE_URL + "atom.xml"
    seen = set()
    while url:
        assert url not in seen, f"prev-archive loop at {url}"
        seen.add(url)
        feed = etree.parse(str(local_path(out, url))).getroot()
        yield feed
        prev = feed.find(f"{ATOM}link[@rel='prev-archive']")
        url = prev.get("href") if prev is not None else None


def test_walking_prev_archive_links_finds_every_release_exactly_once(make_site) -> None:
    site = make_site("\n[publish]\nentries = 3\n", seed=False)
    for i in range(10):
        site.drop(f"r{i}", f"Weekly note number {i}", [], f"2026-10-{i + 10:02d}T09:00:00Z")
        site.ingest()
    site.publish()
    docs = list(_walk_archives(site.out))
    assert len(docs) == 3  # current (4 entries) + archive 2 + archive 1 (3 each)
    collected = [e.findtext(f"{ATOM}id") for doc in docs for e in doc.findall(f"{ATOM}entry")]
    assert sorted(collected) == sorted(stored_ids(site))
    assert len(collected) == len(set(collected)) == 10
    current, *archives = docs
    assert current.find(f"{FH}archive") is None
    assert 3 <= len(current.findall(f"{ATOM}entry")) <= 5
    for doc in archives:
        assert doc.find(f"{FH}archive") is not None
        assert doc.find(f"{ATOM}link[@rel='current']").get("href") == BASE_URL + "atom.xml"
        assert len(doc.findall(f"{ATOM}entry")) == 3
    for rss in (site.out / "archive").rglob("rss.xml"):
        assert etree.parse(str(rss)).getroot().find(f"channel/{FH}archive") is not None
    # RSS and JSON Feed subscribers walk back through the same archives in their own format.
    guids, url = [], BASE_URL + "rss.xml"
    while url:
        channel = etree.parse(str(site.out / url.removeprefix(BASE_URL))).getroot().find("channel")
        guids += [item.findtext("guid") for item in channel.findall("item")]
        prev = channel.find(f"{ATOM}link[@rel='prev-archive']")
        url = prev.get("href") if prev is not None else None
        assert prev is None or prev.get("type") == "application/rss+xml"
    ids, url = [], BASE_URL + "feed.json"
    while url:
        doc = json.loads((site.out / url.removeprefix(BASE_URL)).read_text())
        ids += [item["id"] for item in doc["items"]]
        url = doc.get("next_url")
    assert sorted(guids) == sorted(ids) == sorted(stored_ids(site))

    archive_bytes = {p: b for p, b in tree_bytes(site.out).items() if p.startswith("archive/")}
    archive_times = {p: t for p, t in mtimes(site.out).items() if p.startswith("archive/")}
    site.drop("r10", "Weekly note number 10", [], "2026-10-20T09:00:00Z")
    site.ingest()
    report = site.publish()
    assert not [p for p in report.changed if p.startswith("archive/")]
    assert {p: b for p, b in tree_bytes(site.out).items() if p.startswith("archive/")} == archive_bytes
    assert {p: t for p, t in mtimes(site.out).items() if p.startswith("archive/")} == archive_times

    # One more fills a new archive page: older archives keep their entries (the newest one gains only
    # its next-archive link), and the walk still finds every release once.
    site.drop("r11", "Weekly note number 11", [], "2026-10-21T09:00:00Z")
    site.ingest()
    report = site.publish()
    assert "archive/3/atom.xml" in report.written
    assert (site.out / "archive/1/atom.xml").read_bytes() == archive_bytes["archive/1/atom.xml"]
    before = etree.fromstring(archive_bytes["archive/2/atom.xml"])
    after = etree.parse(str(site.out / "archive/2/atom.xml")).getroot()
    assert [etree.tostring(e) for e in after.iter(f"{ATOM}entry")] == [
        etree.tostring(e) for e in before.iter(f"{ATOM}entry")
    ]
    assert after.find(f"{ATOM}link[@rel='next-archive']").get("href") == BASE_URL + "archive/3/atom.xml"
    assert before.find(f"{ATOM}link[@rel='next-archive']") is None
    collected = [e.findtext(f"{ATOM}id") for doc in _walk_archives(site.out) for e in doc.findall(f"{ATOM}entry")]
    assert sorted(collected) == sorted(stored_ids(site))


def test_an_embargo_that_lifts_adds_to_the_current_document_and_leaves_every_archive_as_published(
    make_site, db_url
) -> None:
    """Review 2: archives were cut in the order releases were first stored, counting those public now, so an
    embargoed release stored before others was put among them when it went public, and every archive from
    there on shifted by one, though each says it is complete (`fh:archive`) and is cached for a day. It joins
    the sequence when it goes public: on both databases, the archives stay byte for byte as they were."""
    site = make_site("\n[publish]\nentries = 2\n", seed=False, database_url=db_url)
    due = datetime(2026, 12, 3, 0, 1, tzinfo=UTC)
    site.drop("held", "Port strategy under embargo", [], "2026-12-03T00:01:00Z")
    site.ingest()
    for i in range(6):
        site.drop(f"r{i}", f"Weekly note number {i}", [], f"2026-11-{i + 10:02d}T09:00:00Z")
        site.ingest()
    site.publish()
    archives = {p: b for p, b in tree_bytes(site.out).items() if p.startswith("archive/")}
    assert len(archives) == 2 * len(FEED_NAMES), "two archives of two, two releases in the current document"

    site.clock.set(due)
    report = site.publish()
    assert {p: b for p, b in tree_bytes(site.out).items() if p.startswith("archive/")} == archives
    assert not [p for p in report.changed if p.startswith("archive/")]
    held = site.app.store.release("port-strategy-under-embargo").id
    current = [e.findtext(f"{ATOM}id") for e in etree.parse(str(site.out / "atom.xml")).iter(f"{ATOM}entry")]
    assert held in current
    collected = [e.findtext(f"{ATOM}id") for doc in _walk_archives(site.out) for e in doc.findall(f"{ATOM}entry")]
    assert sorted(collected) == sorted(stored_ids(site)), "every release once, the lifted one in the current one"


def test_the_current_document_shows_the_newest_and_the_last_edited_releases_after_a_backfill(make_site) -> None:
    """Archives are cut in ingest order; a backfill of older releases stored after today's must not push today's
    out of the document readers poll, nor hide an edit made to it once archived."""
    site = make_site("\n[publish]\nentries = 3\n", seed=False)
    site.drop("today", "Newest statement on fisheries", [], "2026-11-27T10:00:00Z")
    site.ingest()
    for i in range(8):
        site.drop(f"old{i}", f"Backfilled note number {i}", [], f"2025-03-{i + 10:02d}T09:00:00Z")
    site.ingest()
    site.publish()

    def current() -> etree._Element:
        return etree.parse(str(site.out / "atom.xml")).getroot()

    titles = [e.findtext(f"{ATOM}title") for e in current().findall(f"{ATOM}entry")]
    assert titles[0] == "Newest statement on fisheries"  # newest first, though stored first and archived
    assert current().findtext(f"{ATOM}updated") == "2026-11-27T10:00:00Z"
    archived = [
        e.findtext(f"{ATOM}title") for e in etree.parse(str(site.out / "archive/1/atom.xml")).iter(f"{ATOM}entry")
    ]
    # The backfill fills the archives by publication, oldest first; today's stays in the current document.
    assert archived == ["Backfilled note number 2", "Backfilled note number 1", "Backfilled note number 0"]
    rss = etree.parse(str(site.out / "rss.xml")).getroot()
    assert rss.find("channel/item/title").text == "Newest statement on fisheries"
    assert json.loads((site.out / "feed.json").read_text())["items"][0]["title"] == "Newest statement on fisheries"

    # An edit to an archived release reaches the current document too (and the archive, which holds it).
    site.drop("old0", "Backfilled note number 0, corrected", [], "2025-03-10T09:00:00Z", updated="2026-11-28T11:00:00Z")
    site.ingest()
    site.publish()
    assert "Backfilled note number 0, corrected" in [e.findtext(f"{ATOM}title") for e in current().iter(f"{ATOM}entry")]
    assert current().findtext(f"{ATOM}updated") == "2026-11-28T11:00:00Z"
    # Every release is still reachable by walking back, and the walk meets nothing that is not stored.
    collected = {e.findtext(f"{ATOM}id") for doc in _walk_archives(site.out) for e in doc.findall(f"{ATOM}entry")}
    assert collected == set(stored_ids(site))


def test_a_withdrawn_release_says_so_in_every_feed(make_site) -> None:
    site = make_site(seed=False)
    inbox = site.settings.source("inbox").path
    item = {
        "base_path": "/government/news/sea-wall-works-begin",
        "title": "Sea wall works begin",
        "document_type": "press_release",
        "public_updated_at": "2026-11-02T09:30:00Z",
        "details": {"body": "<p>Works on the sea wall begin on Monday.</p>", "first_public_at": "2026-11-02T09:30:00Z"},
    }
    (inbox / "sea.json").write_text(json.dumps(item), encoding="utf-8")
    site.ingest()
    withdrawn = {
        "withdrawn_at": "2026-11-20T10:00:00Z",
        "explanation": "<p>Now part of the coastal programme</p>",
    }  # no full stop
    item |= {"public_updated_at": "2026-11-20T10:00:00Z", "withdrawn_notice": withdrawn}
    (inbox / "sea.json").write_text(json.dumps(item), encoding="utf-8")
    site.ingest()
    site.publish()
    notice = "Withdrawn on 20 November 2026. Now part of the coastal programme."
    entry = etree.parse(str(site.out / "atom.xml")).getroot().find(f"{ATOM}entry")
    assert entry.findtext(f"{ATOM}title") == "[Withdrawn] Sea wall works begin"
    assert entry.findtext(f"{ATOM}summary").startswith(notice)
    assert entry.findtext(f"{ATOM}content").startswith(f"<p><strong>{notice}</strong></p>")
    item = etree.parse(str(site.out / "rss.xml")).getroot().find("channel/item")
    assert item.findtext("title") == "[Withdrawn] Sea wall works begin" and notice in item.findtext("description")
    (doc,) = json.loads((site.out / "feed.json").read_text())["items"]
    assert doc["title"].startswith("[Withdrawn]") and notice in doc["content_html"]


def test_an_office_withdraws_its_own_release_by_sending_it_again_with_a_note(make_site) -> None:
    """Not only GOV.UK items: a release in our own schema (JSON, Markdown front matter, the push API) is withdrawn
    by sending it again, with the same identity, and a `withdrawn_note`; dated by the time of ingest when the
    sender gives no date, and the same notice sent again changes nothing."""
    site = make_site(seed=False)
    inbox = site.settings.source("inbox").path
    ferry = {"title": "Ferry timetable for winter", "body": "Sailings every two hours.", "source_key": "ferry"}
    ferry["published"] = "2026-11-02T09:30:00Z"
    (inbox / "ferry.json").write_text(json.dumps(ferry), encoding="utf-8")
    (inbox / "pier.md").write_text(
        "---\ntitle: Pier reopens\nslug: pier\ndate: 2026-11-03\n---\nThe pier reopens on Friday.\n", encoding="utf-8"
    )
    site.ingest()
    site.clock.advance(timedelta(hours=3))
    gone = ferry | {"withdrawn_note": "The winter timetable was replaced by the storm timetable."}
    (inbox / "ferry.json").write_text(json.dumps(gone), encoding="utf-8")
    (inbox / "pier.md").write_text(
        "---\ntitle: Pier reopens\nslug: pier\ndate: 2026-11-03\nwithdrawn_note: Repairs take longer.\n"
        "withdrawn_at: 2026-11-27 16:00\n---\nThe pier reopens on Friday.\n",
        encoding="utf-8",
    )
    report = run_ingest(site.app)
    assert report.count("updated") == 2, report.outcomes
    ferry_release = site.app.store.release("ferry-timetable-for-winter")
    assert ferry_release.withdrawn_at == site.clock() and ferry_release.updated == site.clock()
    pier = site.app.store.release("pier")
    assert pier.withdrawn_at == datetime(2026, 11, 27, 16, tzinfo=UTC)  # 16:00 in London is 16:00 UTC in November
    site.publish()
    atom = etree.parse(str(site.out / "atom.xml")).getroot()
    titles = [e.findtext(f"{ATOM}title") for e in atom.iter(f"{ATOM}entry")]
    assert sorted(titles) == ["[Withdrawn] Ferry timetable for winter", "[Withdrawn] Pier reopens"]
    page = (site.out / "releases" / "pier" / "index.html").read_text(encoding="utf-8")
    assert "Repairs take longer." in page
    site.clock.advance(timedelta(days=1))
    (inbox / "ferry.json").write_text(json.dumps(gone), encoding="utf-8")
    assert run_ingest(site.app).count("unchanged") == 1
    assert site.app.store.release("ferry-timetable-for-winter") == ferry_release


# --- hostile input -------------------------------------------------------------------------------------------


def test_hostile_text_stays_text_everywhere(make_site) -> None:
    site = make_site()
    body = 'Look <script>alert(2)</script> here <img src=x onerror="alert(3)"> <a href="javascript:alert(4)">x</a>'
    site.drop("evil", HOSTILE_TITLE, ["Iran"], "2026-11-20T07:00:00Z", body=body, organisation=HOSTILE_TITLE)
    site.ingest()
    site.publish()
    files = tree_bytes(site.out)
    for path, data in files.items():
        lowered = (page_without_json_ld(data) if path.endswith(".html") else data).lower()  # (data, never run)
        if path == "search/index.html":  # (its one script: the site's own file, which no release's text reaches)
            lowered = re.sub(rb'<script src="\.\./static/search\.js\?v=[0-9a-f]{12}" defer></script>', b"", lowered)
        assert b"<script" not in lowered, path
        assert b"onerror=" not in lowered and b"javascript:alert" not in lowered, path
    for path, data in files.items():
        if path.endswith("feed.json"):
            for item in json.loads(data)["items"]:
                content = item.get("content_html", "").lower()
                assert "<script" not in content and "onerror" not in content and "javascript:alert" not in content
    release = next(r for r in site.app.store.releases() if r.title == HOSTILE_TITLE)
    page = html.parse(str(site.out / "releases" / release.slug / "index.html")).getroot()
    assert page.findtext(".//h1") == HOSTILE_TITLE
    atom = parse_ok(site.out / "atom.xml")
    assert atom.entries[0].title == HOSTILE_TITLE


def test_topic_and_organisation_names_reach_rss_readers_as_text(make_site) -> None:
    site = make_site(seed=False)
    site.drop("a", "Port talks", ["<script>alert(5)</script>"], None, organisation="<svg onload=alert(9)>Org")
    site.drop("b", "Trade envoy", ["Trade"], None, organisation="Foreign & Commonwealth Office")
    site.ingest()
    site.publish()
    subtitles = {}
    for path in sorted([*site.out.glob("topics/*/rss.xml"), *site.out.glob("organisations/*/rss.xml")]):
        parsed = feedparser.parse(path.read_bytes(), sanitize_html=False)  # what a reader that trusts it renders
        assert parsed.bozo == 0 and parsed.feed.subtitle_detail.type == "text/html", path
        shown = html.fragment_fromstring(parsed.feed.subtitle, create_parent="div")
        assert len(shown) == 0, f"{path}: markup in the channel description: {parsed.feed.subtitle}"
        subtitles[path.parent.name] = (parsed.feed.subtitle, shown.text_content())
    assert subtitles["script-alert-5-script"] == (
        "Releases about &lt;script&gt;alert(5)&lt;/script&gt; from Test Press Office.",
        "Releases about <script>alert(5)</script> from Test Press Office.",
    )
    assert subtitles["svg-onload-alert-9-org"][1] == "Releases from <svg onload=alert(9)>Org."
    assert subtitles["foreign-and-commonwealth-office"][1] == "Releases from Foreign & Commonwealth Office."
    atom = parse_ok(site.out / "organisations" / "foreign-and-commonwealth-office" / "atom.xml")
    assert atom.feed.subtitle == "Releases from Foreign & Commonwealth Office."  # plain text there


def test_json_feed_bytes_hold_no_markup(make_site) -> None:
    site = make_site()
    site.drop("evil", HOSTILE_TITLE, ["Iran"], "2026-11-20T07:00:00Z")
    site.ingest()
    site.publish()
    assert b"<script" not in (site.out / "feed.json").read_bytes()


# --- failures ------------------------------------------------------------------------------------------------


def test_a_read_only_folder_gives_a_publish_error_naming_the_path(site: Site) -> None:
    """Run in-process when chmod binds this user; as root (CI), through `setpriv` without CAP_DAC_OVERRIDE,
    so the mode bits bind root too; skipped loudly when neither is possible."""
    folder = site.out / "topics/iran"
    old = (folder / "atom.xml").read_bytes()
    site.drop("golf", "Talks resume", ["Iran"], "2026-11-20T07:00:00Z")
    site.ingest()
    folder.chmod(0o555)
    try:
        if not os.access(folder, os.W_OK):
            with pytest.raises(PublishError) as err:
                site.publish()
            assert err.value.path.startswith(str(folder) + "/")
        else:
            done = _publish_as_root_without_override(site)
            assert done.returncode == 1, done.stderr
            assert done.stderr.startswith(f"error: {folder}/"), done.stderr
            assert "Permission denied" in done.stderr
        assert (folder / "atom.xml").read_bytes() == old
        assert not [p for p in folder.iterdir() if p.name.startswith(".")], "temporary file left behind"
    finally:
        folder.chmod(0o755)
    assert "topics/iran/atom.xml" in site.publish().written  # writable again: the next publish catches up


def _publish_as_root_without_override(site: Site) -> subprocess.CompletedProcess[str]:
    setpriv = shutil.which("setpriv")
    drop = "--bounding-set=-dac_override,-dac_read_search"
    probe = subprocess.run([setpriv, drop, "true"], capture_output=True, check=False) if setpriv else None
    if setpriv is None or probe is None or probe.returncode != 0:
        message = "chmod 0o555 does not bind this user (root) and setpriv cannot drop CAP_DAC_OVERRIDE: SKIPPED"
        warnings.warn(message, stacklevel=2)
        pytest.skip(message)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    cmd = [setpriv, drop, sys.executable, "-m", "feeds", "--config", str(site.settings.path), "publish"]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60, check=False)


def test_a_failed_write_names_the_path_and_keeps_the_old_file(site: Site, monkeypatch) -> None:
    target = site.out / "atom.xml"
    old = target.read_bytes()
    real_replace = os.replace

    def disk_full(src: Any, dst: Any, **dir_fds: Any) -> None:
        if Path(dst) == target:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_replace(src, dst, **dir_fds)  # (the drop folder moves files relative to its folders' descriptors)

    monkeypatch.setattr(writer_module.os, "replace", disk_full)
    site.drop("golf", "Talks resume", ["Iran"], "2026-11-20T07:00:00Z")
    site.ingest()
    with pytest.raises(PublishError) as err:
        site.publish()
    assert err.value.path == str(target)
    assert "No space left" in str(err.value)
    assert target.read_bytes() == old
    assert not [p for p in site.out.iterdir() if p.name.startswith(".")], "temporary file left behind"

    monkeypatch.setattr(writer_module.os, "replace", real_replace)
    report = site.publish()
    assert "atom.xml" in report.written
    assert parse_ok(target).entries[0].title == "Talks resume"
    assert site.publish().changed == []


def test_release_cache_sees_changes_made_by_another_process(make_settings, make_app_for, tmp_path) -> None:
    """The daemon keeps releases in memory between publishes; a release stored through another App (another
    daemon, the push API) must still reach the next publish."""
    import json as _json

    from feeds.ingest import ingest_paths as _ingest
    from feeds.publish import run_publish as _publish

    settings = make_settings()
    daemon_app, other_app = make_app_for(settings), make_app_for(settings)
    first = tmp_path / "first.json"
    first.write_text(_json.dumps({"title": "First", "body": "One.", "published": "2026-11-01T09:00:00Z"}))
    _ingest(daemon_app, [first])
    _publish(daemon_app)
    second = tmp_path / "second.json"
    second.write_text(_json.dumps({"title": "Second", "body": "Two.", "published": "2026-11-02T09:00:00Z"}))
    _ingest(other_app, [second])
    _publish(daemon_app)
    atom = (settings.paths.out / "atom.xml").read_text(encoding="utf-8")
    assert "Second" in atom and "First" in atom


def test_an_edited_template_is_used_by_the_next_publish_of_the_same_app(make_site, tmp_path: Path) -> None:
    """The App keeps its page renderer between publishes (a daemon publishes again and again), but only while
    the templates are unchanged: editing one re-renders every page with it, without a restart."""
    folder = tmp_path / "templates"
    folder.mkdir()
    template = folder / "release.html"
    custom = (
        '{% extends "base.html" %}{% block main %}<p class="custom">{{ tag }}: {{ release.title }}</p>{% endblock %}\n'
    )
    template.write_text(custom.replace("{{ tag }}", "First"), encoding="utf-8")
    site = make_site(f'\n[publish]\ntemplates = "{folder}"\n')
    site.publish()
    page = next(p for p in site.out.glob("releases/**/index.html") if "grain corridor" in p.read_text(encoding="utf-8"))

    def custom_text() -> str | None:
        return html.fromstring(page.read_bytes()).findtext(".//p[@class='custom']")

    assert custom_text() == "First: Ministers agree a grain corridor"
    template.write_text(custom.replace("{{ tag }}", "Second"), encoding="utf-8")
    report = site.publish()
    assert custom_text() == "Second: Ministers agree a grain corridor"
    assert report.rendered > 0 and str(page.relative_to(site.out)) in report.written


def test_a_release_dated_ahead_stays_off_the_site_until_its_time(site: Site) -> None:
    """An embargo: stored at once, but no page, no feed entry, no topic and no date ahead on the site until it
    is due; then the next publish shows it everywhere."""
    before = tree_bytes(site.out)
    due = datetime(2026, 12, 3, 0, 1, tzinfo=UTC)
    assert site.clock.now < due
    site.drop("golf", "New net zero strategy for ports", ["Climate"], "2026-12-03T00:01:00Z")
    site.ingest()
    report = site.publish()
    assert report.changed == [] and (report.held, report.held_until) == (1, due)
    assert tree_bytes(site.out) == before, "not a byte of it is on the site"
    text = b"".join(tree_bytes(site.out).values())
    assert b"net zero" not in text and b"2026-12-03" not in text
    site.clock.set(due)
    report = site.publish()
    assert (report.held, report.held_until) == (0, None)
    assert parse_ok(site.out / "atom.xml").entries[0].title == "New net zero strategy for ports"
    assert (site.out / "releases" / "new-net-zero-strategy-for-ports" / "index.html").exists()
    assert (site.out / "topics" / "climate" / "atom.xml").exists()
    assert parse_date(parse_ok(site.out / "atom.xml").feed.updated) == due


def test_a_symbolic_link_planted_in_out_never_has_files_written_through_it(site: Site, tmp_path: Path) -> None:
    """Security review: `ln -s /elsewhere out/releases/x; feeds publish` wrote x's page into /elsewhere."""
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    page = site.out / "releases" / "ministers-agree-a-grain-corridor"
    for p in page.iterdir():
        p.unlink()
    page.rmdir()
    page.symlink_to(elsewhere)
    with pytest.raises(PublishError) as err:
        site.publish()
    assert "a symbolic link in out/ leads to" in str(err.value)
    assert list(elsewhere.iterdir()) == []
    page.unlink()
    assert "releases/ministers-agree-a-grain-corridor/index.html" in site.publish().written


def test_a_failed_publish_that_cannot_be_recorded_still_raises_its_own_error(make_site, monkeypatch, caplog) -> None:
    import sqlalchemy as sa

    import feeds.publish as publish
    from feeds.errors import PublishError

    site = make_site(seed=False)

    def broken(*_a: Any, **_k: Any) -> None:
        raise PublishError("cannot write: No space left on device", path="out/atom.xml")

    def refused(*_a: Any, **_k: Any) -> None:
        raise sa.exc.OperationalError("UPDATE publish_outcome", {}, Exception("server closed the connection"))

    monkeypatch.setattr(publish, "_publish", broken)
    monkeypatch.setattr(site.app.store, "record_outcome", refused)
    caplog.set_level("WARNING", logger="feeds.publish")
    with pytest.raises(PublishError, match="No space left on device"):
        site.publish()
    assert "could not record the publish's outcome" in caplog.text and "server closed the connection" in caplog.text


def test_a_release_withdrawn_before_its_embargo_lifts_never_goes_public(make_site) -> None:
    """A re-check: an embargoed release withdrawn before it was due was published, as '[Withdrawn] …' with its full
    text, the moment its embargo lifted."""
    from feeds.ingest.withdraw import withdraw_release

    site = make_site(seed=False)
    site.drop("early", "Visit announced", [], "2026-11-02T09:00:00Z")
    site.drop("emb", "Minister to visit Oslo", ["Trade"], "2026-12-10T10:00:00Z")
    site.ingest()
    release, changed = withdraw_release(site.app, "minister-to-visit-oslo", "The visit was cancelled.")
    assert changed and release.withdrawn_at == site.clock() < release.published == release.updated
    assert site.app.store.releases_held(site.clock()) == []  # not held: it will never be due
    site.clock.set(datetime(2026, 12, 11, tzinfo=UTC))
    site.publish()
    assert not (site.out / "releases" / "minister-to-visit-oslo").exists()
    assert "Oslo" not in (site.out / "atom.xml").read_text(encoding="utf-8")
    assert not (site.out / "topics" / "trade").exists()


def test_release_pages_name_topics_as_the_feeds_do(make_site) -> None:
    """Re-check: front matter `tags: [iran, "north-korea", "UKRAINE"]` showed those spellings on the release page
    (and the index) while the feeds and topic pages said Iran, North Korea and Ukraine. The stored release keeps
    them as given; and a topic renamed by later releases is renamed on the pages already published."""
    site = make_site(seed=False)
    inbox = site.settings.source("inbox").path
    (inbox / "talks.md").write_text(
        '---\ntitle: Talks on shipping\ndate: 2026-11-02\ntags: [iran, "north-korea", "UKRAINE", harbours]\n---\n'
        "Talks were held today.\n",
        encoding="utf-8",
    )
    site.ingest()
    site.publish()
    (stored,) = site.app.store.releases()
    assert stored.topics == ("iran", "north-korea", "UKRAINE", "harbours")

    def shown(path: str) -> list[str]:
        doc = html.document_fromstring((site.out / path).read_text(encoding="utf-8"))
        return doc.xpath("//ul[@class='topics']/li/a/text()")

    page = "releases/talks-on-shipping/index.html"
    assert shown(page) == ["Iran", "North Korea", "Ukraine", "harbours"]
    assert shown("index.html") == shown("topics/iran/index.html") == shown(page)
    (entry,) = parse_ok(site.out / "atom.xml").entries
    assert [t.term for t in entry.tags] == shown(page)
    site.drop("b", "Ferry plans", ["Harbours"], "2026-11-03T09:00:00Z")
    site.drop("c", "Pier plans", ["Harbours"], "2026-11-04T09:00:00Z")
    site.ingest()
    site.publish()
    assert shown(page)[-1] == shown("topics/iran/index.html")[-1] == shown("index.html")[-1] == "Harbours"
    assert parse_ok(site.out / "topics/harbours/atom.xml").feed.title.split(": ")[-1] == "Harbours"


def test_every_release_is_reachable_from_the_sites_pages_through_its_years_archive(make_site, monkeypatch) -> None:
    """A reader's review: the index shows the newest 50 and topic pages the newest 100, so an older release was
    linked from no page. Each year with releases has a page listing all of them, linked from the index and
    from the other years' pages; the year is the one the pages show (the site's time zone)."""
    from feeds.publish import planpages

    site = make_site()
    site.drop("old-1", "Harbour dues reviewed", [], "2024-03-01T09:00:00Z")
    site.drop("old-2", "New year ferry timetable", [], "2024-12-31T23:30:00Z")  # London: still 2024 (GMT)
    site.drop("eve", "Midsummer ferry timetable", [], "2025-06-30T23:30:00Z")  # London: 1 July 2025, BST
    site.ingest()
    monkeypatch.setattr(planpages, "INDEX_RELEASES", 2)
    site.publish()
    out = site.out
    releases = site.app.store.releases()
    years = sorted({p.parent.name for p in out.glob("years/*/index.html")}, reverse=True)
    assert years == ["2026", "2025", "2024"]
    index = (out / "index.html").read_text(encoding="utf-8")
    assert index.count('<h3><a href="releases/') == 2, "the index shows the newest only"
    assert all(f'<a href="years/{y}/">{y}</a>' in index for y in years)
    linked: set[str] = set()
    for year in years:
        page = (out / "years" / year / "index.html").read_text(encoding="utf-8")
        assert f'<link rel="canonical" href="{BASE_URL}years/{year}/">' in page
        assert f'<strong aria-current="page">{year}</strong>' in page
        assert all(f'<a href="../../years/{y}/">{y}</a>' in page for y in years if y != year)
        linked |= {r.slug for r in releases if f'href="../../releases/{r.slug}/"' in page}
    assert linked == {r.slug for r in releases}, "every release from one year page or another"
    page_2025 = (out / "years" / "2025" / "index.html").read_text(encoding="utf-8")
    assert "Midsummer ferry timetable" in page_2025 and "1 release, newest first" in page_2025
    assert "New year ferry timetable" in (out / "years" / "2024" / "index.html").read_text(encoding="utf-8")


def test_a_release_page_offers_its_organisations_feed(make_site) -> None:
    """A reader's review: the organisation feeds exist, but a release page's Subscribe box and autodiscovery
    left out the one of its own organisation."""
    site = make_site(seed=False)
    site.drop("a", "Port talks", ["Trade"], None, organisation="Ministry of Ports")
    site.drop("b", "Trade envoy", [], None, organisation="Foreign Office")
    site.ingest()
    site.publish()
    release = next(r for r in site.app.store.releases() if r.title == "Port talks")
    page = (site.out / "releases" / release.slug / "index.html").read_text(encoding="utf-8")
    feed = f"{BASE_URL}organisations/ministry-of-ports/atom.xml"
    assert (site.out / "organisations" / "ministry-of-ports" / "atom.xml").is_file()
    assert f'<link rel="alternate" type="application/atom+xml" title="Ministry of Ports (Atom)" href="{feed}">' in page
    assert f'<a href="{feed}" type="application/atom+xml">' in page
    assert "organisations/foreign-office/" not in page, "only its own organisation"


def test_the_offices_own_organisation_feed_is_not_offered_under_the_main_feeds_name(make_site) -> None:
    """A reviewer's find: a release of the office itself (its organisation defaults to the site's name) offered
    "Example Press Office (Atom)" twice, the main feed and its organisation's, which a subscribe dialog cannot
    tell apart."""
    site = make_site(seed=False)
    site.drop("a", "Port talks", [], None)  # the office's own
    site.drop("b", "Trade envoy", [], None, organisation="Foreign Office")
    site.ingest()
    site.publish()
    release = next(r for r in site.app.store.releases() if r.title == "Port talks")
    page = html.parse(str(site.out / "releases" / release.slug / "index.html")).getroot()
    titles = [link.get("title") for link in page.iter("link") if link.get("rel") == "alternate"]
    assert len(titles) == len(set(titles)) == 6, titles  # main and organisation feeds, three formats each
    assert f"Releases from {release.organisation} (Atom)" in titles


def test_an_organisation_that_loses_its_last_release_keeps_its_feed_as_does_the_last_one_left(make_site) -> None:
    """Organisation feeds turned to 404s, as topics' did, when an organisation lost its last release and when only
    one organisation was left (they are published only while there are several). Their subscribers keep them, as
    topics' do: the emptied one valid and empty with the `updated` it had, the one left still listing its
    releases. Neither is offered on the index, in the OPML list or on a release page while there is only one
    organisation (its feed is the main feed's releases again); a new release from another fills them again."""
    site = make_site(seed=False)
    site.drop("a", "Port talks", ["Trade"], "2026-11-02T09:00:00Z", organisation="Ministry of Ports")
    site.drop("b", "Trade envoy", [], "2026-11-03T09:00:00Z", organisation="Foreign Office")
    site.ingest()
    site.publish()
    ports, office = site.out / "organisations/ministry-of-ports", site.out / "organisations/foreign-office"
    assert (office / "atom.xml").is_file() and (ports / "atom.xml").is_file()
    updated = etree.parse(str(office / "atom.xml")).getroot().findtext(f"{ATOM}updated")
    assert updated == "2026-11-03T09:00:00Z"

    site.drop("b", "Trade envoy", [], "2026-11-03T09:00:00Z", organisation="Ministry of Ports")
    site.ingest()
    report = site.publish()
    assert report.removed == []
    assert {f"organisations/foreign-office/{n}" for n in FEED_NAMES} <= set(report.written)
    atom = etree.parse(str(office / "atom.xml")).getroot()
    assert rfc4287_problems(atom) == []
    assert atom.find(f"{ATOM}entry") is None
    assert atom.findtext(f"{ATOM}updated") == updated, "never 'now', nor the empty feed's fixed epoch"
    assert atom.findtext(f"{ATOM}title") == "Test Press Office: Foreign Office"
    rss = parse_ok(office / "rss.xml")
    assert rss.entries == [] and rss.feed.title == "Test Press Office: Foreign Office"
    feed = json.loads((office / "feed.json").read_bytes())
    assert feed["items"] == [] and feed["feed_url"] == f"{BASE_URL}organisations/foreign-office/feed.json"
    assert [e.title for e in parse_ok(ports / "atom.xml").entries] == ["Trade envoy", "Port talks"]
    release = next(r for r in site.app.store.releases() if r.title == "Port talks")
    for listed in ("index.html", "feeds.opml", f"releases/{release.slug}/index.html"):
        assert "organisations/" not in (site.out / listed).read_text(encoding="utf-8"), listed

    assert_unchanged_again_and_from_scratch(site)

    site.drop("c", "Consular fees", [], "2026-11-21T09:00:00Z", organisation="Foreign Office")
    site.ingest()
    site.publish()
    assert [e.title for e in parse_ok(office / "atom.xml").entries] == ["Consular fees"]
    assert "organisations/foreign-office/" in (site.out / "index.html").read_text(encoding="utf-8")


def test_organisation_feeds_are_not_published_for_a_site_that_only_ever_had_one(make_site) -> None:
    """What is kept is what subscribers had: a site of one organisation has no organisation feed to keep."""
    site = make_site(seed=False)
    site.drop("a", "Port talks", [], None, organisation="Ministry of Ports")
    site.ingest()
    site.publish()
    assert not (site.out / "organisations").exists()


def test_switching_organisation_feeds_off_removes_the_ones_kept(make_site, make_settings, make_app_for) -> None:
    """`publish.organisation_feeds = false` is the office's choice: the kept ones go too, as a custom feed taken out
    of the config does."""
    site = make_site(seed=False)
    site.drop("a", "Port talks", [], None, organisation="Ministry of Ports")
    site.drop("b", "Trade envoy", [], None, organisation="Foreign Office")
    site.ingest()
    site.publish()
    assert (site.out / "organisations/foreign-office/atom.xml").is_file()
    off = make_app_for(make_settings("\n[publish]\norganisation_feeds = false\n"))
    report = run_publish(off)
    assert sorted(p.split("/")[1] for p in report.removed) == ["foreign-office"] * 3 + ["ministry-of-ports"] * 3
    assert not (site.out / "organisations").exists()
