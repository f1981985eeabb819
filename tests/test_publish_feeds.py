"""feeds.publish.feeds (with feedcheck, atomrss and jsonfeed): golden bytes, feedparser round trips, RFC 4287 MUSTs,
RSS links, JSON Feed fields, determinism across processes, time zones and threads, the browser stylesheet on both
formats, and refusals.

Regenerate the golden files after an intended change with `FEEDS_UPDATE_GOLDEN=1 pytest tests/test_publish_feeds.py`
and review the diff.
"""

from __future__ import annotations

import html
import json
import locale
import os
import re
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlsplit

import feedparser
import pytest
from lxml import etree
from lxml import html as lxml_html

from feeds.clock import rfc822, rfc3339
from feeds.publish.atomrss import render_atom, render_rss
from feeds.publish.feeds import render_feed
from feeds.publish.jsonfeed import render_json_feed
from feeds.publish.spec import FEED_FILES, Category, FeedEntry, FeedFormat, FeedSpec, Person

ROOT = Path(__file__).resolve().parent.parent
GOLDEN = Path(__file__).resolve().parent / "golden" / "publish"
STYLESHEET = ROOT / "feeds" / "static" / "feed.xsl"
UPDATE_GOLDEN = os.environ.get("FEEDS_UPDATE_GOLDEN") == "1"

A = "{http://www.w3.org/2005/Atom}"
FH = "{http://purl.org/syndication/history/1.0}"
DC = "{http://purl.org/dc/elements/1.1/}"
CONTENT = "{http://purl.org/rss/1.0/modules/content/}"
SITE = "https://press.harbour.example/"
HOSTILE = '<script>alert(1)</script> & "quotes"'
OFFICE = Person("Harbour City Press Office", email="press@harbour.example")
RENDER = {"atom": render_atom, "rss": render_rss, "json": render_json_feed}


def at(day: int, hour: int = 9, minute: int = 0) -> datetime:
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC)


def release(slug: str, day: int, **fields: object) -> FeedEntry:
    values: dict[str, object] = {
        "id": f"tag:press.harbour.example,2026-11-{day:02d}:{slug}",
        "title": slug.replace("-", " ").capitalize(),
        "link": f"{SITE}releases/2026/{slug}/",
        "published": at(day),
        "updated": at(day),
        "summary": f"Summary of {slug}.",
        "content_html": None,
    }
    values.update(fields)
    return FeedEntry(**values)  # type: ignore[arg-type]


def ordinary_spec() -> FeedSpec:
    transport = Category("transport", "Transport", f"{SITE}topics/transport/")
    budget = Category("budget", "City budget", f"{SITE}topics/budget/")
    return FeedSpec(
        key="main",
        path="",
        id="tag:press.harbour.example,2026:releases",
        title="Harbour City press releases",
        subtitle="Announcements from the Harbour City press office",
        home_url=SITE,
        base_url=SITE,
        language="en",
        updated=at(24, 16, 45),
        author=OFFICE,
        entries=(
            release(
                "night-ferry",
                24,
                title=HOSTILE,
                updated=at(24, 16, 45),
                summary="The night ferry runs every 40 minutes from 1 December & stops at Pier 4.",
                content_html=(
                    "<p>The <strong>night ferry</strong> runs every 40 minutes.</p>"
                    '<p>Fares: <a href="https://press.harbour.example/fares/">see the table</a> &amp; zones.</p>'
                ),
                authors=(Person("Mira Okafor", email="m.okafor@harbour.example"),),
                categories=(transport, budget),
            ),
            release(
                "library-hours",
                20,
                summary="Branch libraries open until 20:00 on weekdays.",
                authors=(Person("Jonas Lind"), Person("Aiko Mori", uri="https://harbour.example/staff/mori")),
            ),
            release(
                "ferry-coverage",
                18,
                id="tag:press.harbour.example,2026-11-18:match-4711",
                title="Fähre: Pendler loben den neuen Plan",
                link="https://news.example.net/lokal/fähre plan",
                summary="A local paper reports on the new ferry plan.",
                categories=(transport,),
                language="de",
                source_title="Example Net News",
                source_url="https://news.example.net/rss.xml",
            ),
        ),
        hub="https://hub.example.org/",
        stylesheet="/static/feed.xsl",
        icon=f"{SITE}static/icon.png",
        rights="© 2026 Harbour City",
    )


def empty_spec() -> FeedSpec:
    return FeedSpec(
        key="topic:ports",
        path="topics/ports/",
        id="tag:press.harbour.example,2026:topic:ports",
        title="Harbour City: ports",
        subtitle="",
        home_url=f"{SITE}topics/ports/",
        base_url=SITE,
        language="en-GB",
        updated=datetime(2000, 1, 1, tzinfo=UTC),
        author=Person("Harbour City Press Office"),
        entries=(),
    )


def archive_spec() -> FeedSpec:
    return FeedSpec(
        key="archive:3",
        path="archive/3/",
        id="tag:press.harbour.example,2026:archive:3",
        title="Harbour City press releases, archive 3",
        subtitle="Older releases",
        home_url=f"{SITE}archive/3/",
        base_url=SITE,
        language="en",
        updated=at(10, 12),
        author=OFFICE,
        entries=(
            release("tram-works", 10, updated=at(10, 12), content_html="<p>Tram works on Quay Street.</p>"),
            release("bridge-survey", 3),
        ),
        hub="https://hub.example.org/",
        stylesheet="/static/feed.xsl",
        current=f"{SITE}atom.xml",
        prev_archive=f"{SITE}archive/2/atom.xml",
        next_archive=f"{SITE}archive/4/atom.xml",
        archive=True,
    )


SPECS = {"ordinary": ordinary_spec, "empty": empty_spec, "archive": archive_spec}


def render_all() -> dict[str, bytes]:
    """Every spec in every format, keyed `name.ext` (also called in a subprocess by the determinism test)."""
    return {f"{name}.{FEED_FILES[fmt]}": RENDER[fmt](make()) for name, make in SPECS.items() for fmt in FEED_FILES}


# ── golden files, render_feed ────────────────────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("name", sorted(SPECS))
@pytest.mark.parametrize("fmt", sorted(FEED_FILES))
def test_output_matches_golden_file(name: str, fmt: FeedFormat) -> None:
    data = RENDER[fmt](SPECS[name]())
    path = GOLDEN / f"{name}.{FEED_FILES[fmt]}"
    if UPDATE_GOLDEN:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    assert data == path.read_bytes()


def test_render_feed_gives_one_file_per_format_in_the_spec_folder() -> None:
    spec = archive_spec()
    files = render_feed(spec)
    assert [f.path for f in files] == ["archive/3/atom.xml", "archive/3/rss.xml", "archive/3/feed.json"]
    assert [f.data for f in files] == [render_atom(spec), render_rss(spec), render_json_feed(spec)]


@pytest.mark.parametrize("formats", [("json",), ("rss", "atom"), ()])
def test_render_feed_renders_only_the_requested_formats(formats: tuple[FeedFormat, ...]) -> None:
    files = render_feed(replace(empty_spec(), formats=formats))
    assert [f.path for f in files] == [f"topics/ports/{FEED_FILES[fmt]}" for fmt in formats]


# ── round trips through feedparser and json ──────────────────────────────────────────────────────────────────────


@pytest.mark.parametrize("name", sorted(SPECS))
@pytest.mark.parametrize(("fmt", "version"), [("atom", "atom10"), ("rss", "rss20")])
def test_feedparser_reads_back_every_field(name: str, fmt: FeedFormat, version: str) -> None:
    spec = SPECS[name]()
    parsed = feedparser.parse(RENDER[fmt](spec))
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.version == version
    assert parsed.feed.title == spec.title
    assert parsed.feed.link == spec.home_url
    assert parsed.feed.language == spec.language
    if fmt == "atom":
        assert parsed.feed.author_detail.name == spec.author.name
    assert [e.id for e in parsed.entries] == [e.id for e in spec.entries]  # order preserved, newest first
    for got, want in zip(parsed.entries, spec.entries, strict=True):
        assert got.title == want.title
        assert got.link == want.link.replace("fähre plan", "f%C3%A4hre%20plan")
        assert tuple(got.published_parsed)[:6] == want.published.utctimetuple()[:6]
        if fmt == "atom":
            assert tuple(got.updated_parsed)[:6] == want.updated.utctimetuple()[:6]
            assert [(t.term, t.label, t.scheme) for t in got.get("tags", [])] == [
                (c.term, c.label, c.scheme) for c in want.categories
            ]
            assert [a.name for a in got.get("authors", [])] == [p.name for p in want.authors]
        else:
            assert [t.term for t in got.get("tags", [])] == [c.label for c in want.categories]
            if want.authors:
                assert any(p.name in got.author for p in want.authors)
    self_links = [link.href for link in parsed.feed.links if link.rel == "self"]
    assert self_links == [spec.url(fmt)]


def test_json_feed_fields() -> None:
    spec = ordinary_spec()
    data = render_json_feed(spec)
    # UTF-8 as is: the only escapes are the HTML-significant <, > and & (so no served file holds "<script").
    unescaped = data.replace(b"\\u003c", b"").replace(b"\\u003e", b"").replace(b"\\u0026", b"")
    assert data.endswith(b"}\n") and "Fähre: Pendler".encode() in data and b"\\u" not in unescaped
    doc = json.loads(data)
    assert list(doc)[:4] == ["version", "title", "home_page_url", "feed_url"]
    assert doc["version"] == "https://jsonfeed.org/version/1.1"
    assert doc["feed_url"] == f"{SITE}feed.json"
    assert doc["description"] == spec.subtitle and doc["language"] == "en"
    assert "authors" not in doc  # each item names its own (Miniflux adds the feed's to every item's)
    assert doc["hubs"] == [{"type": "WebSub", "url": "https://hub.example.org/"}]
    first, second, third = doc["items"]
    assert [i["id"] for i in doc["items"]] == [e.id for e in spec.entries]
    assert first["title"] == HOSTILE
    assert first["content_html"] == spec.entries[0].content_html and "content_text" not in first
    assert first["summary"] == spec.entries[0].summary
    assert (first["date_published"], first["date_modified"]) == ("2026-11-24T09:00:00Z", "2026-11-24T16:45:00Z")
    assert first["tags"] == ["Transport", "City budget"]
    assert second["content_text"] == spec.entries[1].summary and "content_html" not in second
    assert second["authors"] == [
        {"name": "Jonas Lind"},
        {"name": "Aiko Mori", "url": "https://harbour.example/staff/mori"},
    ]
    assert third["url"] == "https://news.example.net/lokal/f%C3%A4hre%20plan" and third["language"] == "de"
    assert first["authors"] == [{"name": "Mira Okafor", "url": "mailto:m.okafor@harbour.example"}]
    assert third["authors"] == [{"name": OFFICE.name, "url": "mailto:press@harbour.example"}]  # the feed's


def test_empty_json_feed_has_no_items_and_no_description() -> None:
    doc = json.loads(render_json_feed(empty_spec()))
    assert doc["items"] == [] and "description" not in doc and "hubs" not in doc


# ── RFC 4287: every MUST, checked on the parsed tree ─────────────────────────────────────────────────────────────

RFC3339 = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)")


def rfc4287_problems(feed: etree._Element) -> list[str]:
    """What an Atom feed document breaks of RFC 4287's MUSTs (plus 'feed updated covers its entries')."""
    problems: list[str] = []

    def exactly_one(el: etree._Element, name: str, where: str) -> None:
        if len(el.findall(A + name)) != 1:
            problems.append(f"{where} needs exactly one atom:{name} (§4.1.1/§4.1.2)")

    def alternates_unique(el: etree._Element, where: str) -> None:
        seen = [
            (ln.get("type"), ln.get("hreflang"))
            for ln in el.findall(A + "link")
            if ln.get("rel", "alternate") == "alternate"
        ]
        if len(seen) != len(set(seen)):
            problems.append(f"{where} has two alternate links with the same type and hreflang (§4.1.1)")

    if feed.tag != A + "feed":
        return ["root is not atom:feed"]
    for name in ("id", "title", "updated"):
        exactly_one(feed, name, "feed")
    alternates_unique(feed, "feed")
    feed_updated = feed.findtext(A + "updated") or ""
    for i, entry in enumerate(feed.findall(A + "entry")):
        where = f"entry {i}"
        for name in ("id", "title", "updated"):
            exactly_one(entry, name, where)
        if feed.find(A + "author") is None and entry.find(A + "author") is None:
            problems.append(f"{where} has no author, nor has the feed (§4.1.1)")
        alternates_unique(entry, where)
        alternates = [ln for ln in entry.findall(A + "link") if ln.get("rel", "alternate") == "alternate"]
        if entry.find(A + "content") is None and not alternates:
            problems.append(f"{where} has neither content nor an alternate link (§4.1.2)")
        if (entry.findtext(A + "updated") or "") > feed_updated:
            problems.append(f"{where} is newer than the feed")
    for el in feed.iter(A + "updated", A + "published"):
        if not RFC3339.fullmatch(el.text or ""):
            problems.append(f"{el.tag} {el.text!r} is not an RFC 3339 date-time (§3.3)")
    for el in feed.iter(A + "author", A + "contributor"):
        if len(el.findall(A + "name")) != 1:
            problems.append("a person construct needs exactly one atom:name (§3.2)")
    for el in feed.iter(A + "id"):
        if not re.match(r"[A-Za-z][A-Za-z0-9+.-]*:\S+$", el.text or ""):
            problems.append(f"id {el.text!r} is not an absolute IRI (§4.2.6)")
    for el in feed.iter(A + "title", A + "subtitle", A + "summary", A + "rights", A + "content"):
        if el.get("type", "text") not in ("text", "html", "xhtml") or (el.get("type", "text") != "xhtml" and len(el)):
            problems.append(f"{el.tag} is not a valid text construct (§3.1)")
    for el in feed.iter(A + "category"):
        if not el.get("term"):
            problems.append("category without term (§4.2.2)")
    for el in feed.iter(A + "link"):
        href = el.get("href") or ""
        if not (urlsplit(href).scheme and urlsplit(href).netloc):
            problems.append(f"link href {href!r} is missing or relative")
    for el in feed.iter(A + "icon", A + "uri"):
        if not urlsplit(el.text or "").netloc:
            problems.append(f"{el.tag} {el.text!r} is relative")
    return problems


@pytest.mark.parametrize("name", sorted(SPECS))
def test_atom_output_satisfies_every_rfc4287_must(name: str) -> None:
    assert rfc4287_problems(etree.fromstring(render_atom(SPECS[name]()))) == []


@pytest.mark.parametrize(
    ("breakage", "expected"),
    [
        ("remove entry id", "exactly one atom:id"),
        ("remove all authors", "has no author"),
        ("duplicate alternate", "two alternate links"),
        ("relative link", "missing or relative"),
        ("future entry", "newer than the feed"),
        ("bad date", "not an RFC 3339"),
    ],
)
def test_the_rfc4287_checker_notices_a_broken_document(breakage: str, expected: str) -> None:
    feed = etree.fromstring(render_atom(ordinary_spec()))
    entry = feed.find(A + "entry")
    assert entry is not None
    if breakage == "remove entry id":
        entry.remove(entry.find(A + "id"))  # type: ignore[arg-type]
    elif breakage == "remove all authors":
        for author in list(feed.iter(A + "author")):
            author.getparent().remove(author)  # type: ignore[union-attr]
    elif breakage == "duplicate alternate":
        entry.append(etree.fromstring(f'<link xmlns="{A[1:-1]}" rel="alternate" type="text/html" href="{SITE}x"/>'))
    elif breakage == "relative link":
        entry.find(A + "link").set("href", "releases/x/")  # type: ignore[union-attr]
    elif breakage == "future entry":
        entry.find(A + "updated").text = "2099-01-01T00:00:00Z"  # type: ignore[union-attr]
    else:
        entry.find(A + "published").text = "24 Nov 2026"  # type: ignore[union-attr]
    assert any(expected in p for p in rfc4287_problems(feed))


@pytest.mark.parametrize("render", [render_atom, render_rss])
def test_a_css_fallback_follows_the_xslt(render: Callable[[FeedSpec], bytes]) -> None:
    """Both <?xml-stylesheet?>, XSLT first: a browser that runs XSLT shows its page (which replaces the document
    the CSS would style); one that no longer does applies the CSS. Escaped as pseudo-attributes are."""
    data = render(replace(ordinary_spec(), css="/static/feed.css?v=1&x=2"))
    assert data.startswith(
        b"<?xml version='1.0' encoding='UTF-8'?>\n<?xml-stylesheet type=\"text/xsl\" href=\"/static/feed.xsl\"?>\n"
        b'<?xml-stylesheet type="text/css" href="/static/feed.css?v=1&amp;x=2"?>\n<'
    )
    assert b"text/css" not in render(ordinary_spec())  # (none unless asked for)


def test_atom_document_shape() -> None:
    data = render_atom(ordinary_spec())
    assert data.startswith(
        b"<?xml version='1.0' encoding='UTF-8'?>\n<?xml-stylesheet type=\"text/xsl\" href=\"/static/feed.xsl\"?>\n<feed"
    )
    assert b"<!DOCTYPE" not in data
    feed = etree.fromstring(data)
    assert feed.get("{http://www.w3.org/XML/1998/namespace}lang") == "en"
    links = [(ln.get("rel"), ln.get("type"), ln.get("href")) for ln in feed.findall(A + "link")]
    assert ("self", "application/atom+xml", f"{SITE}atom.xml") in links
    assert ("alternate", "text/html", SITE) in links
    assert ("hub", None, "https://hub.example.org/") in links
    assert feed.findtext(A + "updated") == "2026-11-24T16:45:00Z"
    assert feed.findtext(A + "generator") == "feeds"
    first, second, third = feed.findall(A + "entry")
    title = first.find(A + "title")
    assert title is not None and title.text == HOSTILE and len(title) == 0 and title.get("type") == "text"
    assert first.find(A + "content").get("type") == "html"  # type: ignore[union-attr]
    assert first.findtext(A + "content") == ordinary_spec().entries[0].content_html  # escaped text, not markup
    assert [(ln.get("rel"), ln.get("type")) for ln in first.findall(A + "link")] == [("alternate", "text/html")]
    assert dict(first.findall(A + "category")[0].attrib) == {
        "term": "transport",
        "scheme": f"{SITE}topics/transport/",
        "label": "Transport",
    }
    assert second.find(A + "content") is None and second.findtext(A + "summary") == ordinary_spec().entries[1].summary
    assert [a.findtext(A + "name") for a in second.findall(A + "author")] == ["Jonas Lind", "Aiko Mori"]
    assert third.get("{http://www.w3.org/XML/1998/namespace}lang") == "de"
    assert [(ln.get("rel"), ln.get("href"), ln.get("title")) for ln in third.findall(A + "link")] == [
        ("alternate", "https://news.example.net/lokal/f%C3%A4hre%20plan", None),
        ("via", "https://news.example.net/rss.xml", "Example Net News"),
    ]


def test_atom_archive_document_has_rfc5005_links_and_marker() -> None:
    feed = etree.fromstring(render_atom(archive_spec()))
    links = {ln.get("rel"): ln.get("href") for ln in feed.findall(A + "link")}
    assert links == {
        "self": f"{SITE}archive/3/atom.xml",
        "alternate": f"{SITE}archive/3/",
        "current": f"{SITE}atom.xml",
        "prev-archive": f"{SITE}archive/2/atom.xml",
        "next-archive": f"{SITE}archive/4/atom.xml",
        "hub": "https://hub.example.org/",
    }
    assert feed.find(FH + "archive") is not None
    assert feed.index(feed.find(FH + "archive")) < feed.index(feed.find(A + "entry"))  # metadata before entries


def test_empty_feed_has_author_but_no_subtitle_or_stylesheet() -> None:
    data = render_atom(empty_spec())
    feed = etree.fromstring(data)
    assert b"xml-stylesheet" not in data and feed.find(A + "subtitle") is None and feed.find(FH + "archive") is None
    assert feed.findtext(f"{A}author/{A}name") == "Harbour City Press Office"
    assert feed.findtext(A + "updated") == "2000-01-01T00:00:00Z"


# ── RSS 2.0 ──────────────────────────────────────────────────────────────────────────────────────────────────────


def test_rss_channel_and_items() -> None:
    spec = ordinary_spec()
    data = render_rss(spec)
    assert data.startswith(b"<?xml version='1.0' encoding='UTF-8'?>\n<?xml-stylesheet type=\"text/xsl\"")
    channel = etree.fromstring(data).find("channel")
    assert channel is not None
    assert channel.findtext("link") == SITE
    assert channel.findtext("description") == spec.subtitle
    assert channel.findtext("language") == "en"
    assert channel.findtext("lastBuildDate") == channel.findtext("pubDate") == "Tue, 24 Nov 2026 16:45:00 +0000"
    assert channel.findtext("docs") == "https://www.rssboard.org/rss-specification"
    assert channel.findtext("managingEditor") == "press@harbour.example (Harbour City Press Office)"
    atom_links = [(ln.get("rel"), ln.get("type"), ln.get("href")) for ln in channel.findall(A + "link")]
    assert atom_links == [("self", "application/rss+xml", f"{SITE}rss.xml"), ("hub", None, "https://hub.example.org/")]
    first, second, third = channel.findall("item")
    assert first.findtext("title") == HOSTILE and len(first.find("title")) == 0  # type: ignore[arg-type]
    assert first.find("guid").attrib == {"isPermaLink": "false"}  # type: ignore[union-attr]
    assert first.findtext("guid") == spec.entries[0].id
    # The synopsis in <description> (HTML, so the summary's "&" is escaped), the full HTML in content:encoded.
    assert first.findtext("description") == html.escape(spec.entries[0].summary, quote=False)
    assert first.findtext(CONTENT + "encoded") == spec.entries[0].content_html
    assert first.findtext("author") == "m.okafor@harbour.example (Mira Okafor)" and first.find(DC + "creator") is None
    assert first.findtext("pubDate") == rfc822(spec.entries[0].published) == "Tue, 24 Nov 2026 09:00:00 +0000"
    assert [(c.text, c.get("domain")) for c in first.findall("category")] == [
        ("Transport", f"{SITE}topics/transport/"),
        ("City budget", f"{SITE}topics/budget/"),
    ]
    assert second.find("author") is None
    assert [c.text for c in second.findall(DC + "creator")] == ["Jonas Lind", "Aiko Mori"]
    assert third.find("source").attrib == {"url": "https://news.example.net/rss.xml"}  # type: ignore[union-attr]
    assert third.findtext("source") == "Example Net News"
    # An entry naming no author names the feed's, as Atom's entry inherits it (never managingEditor's address)
    assert third.find("author") is None and [c.text for c in third.findall(DC + "creator")] == [OFFICE.name]
    assert third.findtext(DC + "language") == "de" and first.find(DC + "language") is None  # only where it differs


def test_rss_description_of_a_plain_summary_is_escaped_html() -> None:
    spec = replace(archive_spec(), entries=(release("pier", 3, summary="Piers 1 < 2 & 3 reopen"),))
    item = etree.fromstring(render_rss(spec)).find("channel/item")
    assert item is not None and item.findtext("description") == "Piers 1 &lt; 2 &amp; 3 reopen"


CHANNEL_NAMES = ["<script>alert(5)</script>", "<svg onload=alert(9)>Org", "Foreign & Commonwealth Office", "a &amp; b"]


@pytest.mark.parametrize("name", CHANNEL_NAMES)
def test_rss_channel_description_is_html_that_reads_as_the_plain_subtitle(name: str) -> None:
    # feedparser reports an RSS channel <description> as text/html, and readers render it: the subtitle (a topic,
    # organisation or rule name inside) must arrive escaped, as text, never as markup.
    spec = replace(empty_spec(), subtitle=f"Releases about {name} from Harbour City.")
    parsed = feedparser.parse(render_rss(spec), sanitize_html=False)
    assert parsed.bozo == 0, parsed.get("bozo_exception")
    assert parsed.feed.subtitle_detail.type == "text/html"
    markup = parsed.feed.subtitle
    assert "<script" not in markup and "<svg" not in markup
    shown = lxml_html.fragment_fromstring(markup, create_parent="div")
    assert len(shown) == 0 and shown.text_content() == spec.subtitle  # no element: the literal text, as text


@pytest.mark.parametrize(
    ("name", "written"),
    [
        ("Foreign & Commonwealth Office", "Foreign & Commonwealth Office"),  # reads the same as HTML and as text
        ("R&D", "R&D"),  # "&D" is no character reference
        ("1 < 2 > 0", "1 < 2 > 0"),  # "< " opens no tag
        ("Fish &amp; chips", "Fish &amp;amp; chips"),  # as HTML it would read "Fish & chips": escaped
        ("&copyright", "&amp;copyright"),  # as HTML, "©right"
        ("<b>bold</b> claims", "&lt;b&gt;bold&lt;/b&gt; claims"),  # as HTML, a tag
    ],
)
def test_rss_channel_description_is_escaped_only_where_html_would_read_the_text_otherwise(
    name: str, written: str
) -> None:
    """The W3C feed validator (as the RSS Profile) takes a channel description for plain text, and warned
    ContainsHTML on "Foreign &amp; Commonwealth Office", which readers taking it as text showed with its "&amp;";
    readers rendering it as HTML must still never see markup. Both readings now give the subtitle."""
    spec = replace(empty_spec(), subtitle=f"Releases about {name}.")
    channel = etree.fromstring(render_rss(spec)).find("channel")
    assert channel is not None and channel.findtext("description") == f"Releases about {written}."
    as_html = lxml_html.fragment_fromstring(channel.findtext("description"), create_parent="div")
    assert len(as_html) == 0 and as_html.text_content() == spec.subtitle


@pytest.mark.parametrize("name", CHANNEL_NAMES)
def test_atom_subtitle_and_json_feed_description_stay_plain_text(name: str) -> None:
    spec = replace(empty_spec(), subtitle=f"Releases about {name} from Harbour City.")
    atom = feedparser.parse(render_atom(spec), sanitize_html=False)
    assert atom.feed.subtitle_detail.type == "text/plain" and atom.feed.subtitle == spec.subtitle
    assert json.loads(render_json_feed(spec))["description"] == spec.subtitle


def test_rss_channel_description_falling_back_to_a_hostile_title_is_escaped_too() -> None:
    spec = replace(empty_spec(), title="Harbour <script>alert(5)</script> & co")
    channel = etree.fromstring(render_rss(spec)).find("channel")
    assert channel is not None and channel.findtext("title") == spec.title  # a title is plain text in RSS
    assert channel.findtext("description") == "Harbour &lt;script&gt;alert(5)&lt;/script&gt; &amp; co"


def test_rss_archive_keeps_hub_and_rfc5005_links_to_the_rss_documents() -> None:
    channel = etree.fromstring(render_rss(archive_spec())).find("channel")
    assert channel is not None
    links = [(ln.get("rel"), ln.get("type"), ln.get("href")) for ln in channel.findall(A + "link")]
    assert links == [
        ("self", "application/rss+xml", f"{SITE}archive/3/rss.xml"),
        ("current", "application/rss+xml", f"{SITE}rss.xml"),
        ("prev-archive", "application/rss+xml", f"{SITE}archive/2/rss.xml"),
        ("next-archive", "application/rss+xml", f"{SITE}archive/4/rss.xml"),
        ("hub", None, "https://hub.example.org/"),
    ]
    assert channel.find(FH + "archive") is not None
    assert channel.index(channel.find(FH + "archive")) < channel.index(channel.find("item"))  # before the items


def test_empty_rss_description_falls_back_to_the_title() -> None:
    channel = etree.fromstring(render_rss(empty_spec())).find("channel")
    assert channel is not None and channel.findtext("description") == "Harbour City: ports"
    assert channel.find("item") is None and channel.find("managingEditor") is None


# ── determinism ──────────────────────────────────────────────────────────────────────────────────────────────────


def test_same_spec_gives_same_bytes_in_another_process_time_zone_and_locale() -> None:
    code = (
        "import json, locale, sys, time\n"
        "time.tzset(); locale.setlocale(locale.LC_ALL, '')\n"
        f"sys.path.insert(0, {str(Path(__file__).parent)!r})\n"
        "import test_publish_feeds as t\n"
        "print(json.dumps({k: v.hex() for k, v in t.render_all().items()}))\n"
    )
    env = dict(os.environ, TZ="Asia/Tokyo", LC_ALL="C.UTF-8", LANG="C.UTF-8", PYTHONHASHSEED="12345")
    done = subprocess.run([sys.executable, "-c", code], env=env, cwd=ROOT, capture_output=True, text=True, check=True)
    there = {k: bytes.fromhex(v) for k, v in json.loads(done.stdout).items()}
    assert there == render_all()


def test_the_time_zone_of_the_input_does_not_change_the_output() -> None:
    tokyo = timezone(timedelta(hours=9))
    spec = archive_spec()
    shifted = replace(
        spec,
        updated=spec.updated.astimezone(tokyo),
        entries=tuple(
            replace(
                e,
                published=e.published.astimezone(tokyo),
                updated=e.updated.astimezone(tokyo) + timedelta(microseconds=999),
            )
            for e in spec.entries
        ),
    )
    for fmt in ("atom", "rss", "json"):
        assert RENDER[fmt](shifted) == RENDER[fmt](spec)


def test_rendering_never_switches_the_locale_and_is_thread_safe(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(*args: object) -> str:
        raise AssertionError("locale.setlocale called while rendering")

    monkeypatch.setattr(locale, "setlocale", refuse)
    expected = render_all()
    with ThreadPoolExecutor(max_workers=8) as pool:
        results = list(pool.map(lambda _: render_all(), range(16)))
    assert all(r == expected for r in results)


# ── refusals ─────────────────────────────────────────────────────────────────────────────────────────────────────


def _broken(change: str) -> FeedSpec:
    spec = ordinary_spec()
    first = spec.entries[0]
    naive = datetime(2026, 11, 24, 9, 0)
    changes: dict[str, FeedSpec] = {
        "relative entry link": replace(spec, entries=(replace(first, link="/releases/x/"),)),
        "relative home_url": replace(spec, home_url="index.html"),
        "relative base_url": replace(spec, base_url="/"),
        "base_url without slash": replace(spec, base_url="https://press.harbour.example"),
        "relative hub": replace(spec, hub="hub/"),
        "relative prev_archive": replace(spec, prev_archive="archive/2/atom.xml"),
        "javascript link": replace(spec, entries=(replace(first, link="javascript:alert(1)"),)),
        "relative stylesheet": replace(spec, stylesheet="feed.xsl"),
        "non-URI entry id": replace(spec, entries=(replace(first, id="release-42"),)),
        "malformed tag id": replace(spec, entries=(replace(first, id="tag:Press.Harbour.example,2026:x"),)),
        "non-URI feed id": replace(spec, id="main feed"),
        "missing author": replace(spec, author=Person("")),
        "blank entry author": replace(spec, entries=(replace(first, authors=(Person(" "),)),)),
        "bad email": replace(spec, author=Person("Office", email="press at harbour")),
        "entry newer than feed": replace(spec, updated=at(24, 9)),
        "duplicate ids": replace(spec, entries=(first, replace(first, title="Again"))),
        "blank title": replace(spec, title=" "),
        "archive without current": replace(spec, archive=True),
        "naive datetime": replace(spec, updated=naive),
    }
    return changes[change]


REFUSALS = [
    ("relative entry link", "not an absolute http(s) URL"),
    ("relative home_url", "home_url"),
    ("relative base_url", "base_url"),
    ("base_url without slash", "must end with '/'"),
    ("relative hub", "hub"),
    ("relative prev_archive", "prev_archive"),
    ("javascript link", "not an absolute http(s) URL"),
    ("relative stylesheet", "stylesheet"),
    ("non-URI entry id", "not an absolute URI"),
    ("malformed tag id", "not an absolute URI"),
    ("non-URI feed id", "not an absolute URI"),
    ("missing author", "missing author"),
    ("blank entry author", "missing author"),
    ("bad email", "not an email address"),
    ("entry newer than feed", "is newer than the feed"),
    ("duplicate ids", "appears twice"),
    ("blank title", "title is blank"),
    ("archive without current", "'current' link"),
    ("naive datetime", "naive datetime"),
]


@pytest.mark.parametrize(("change", "message"), REFUSALS)
@pytest.mark.parametrize("fmt", sorted(FEED_FILES))
def test_refuses_a_spec_that_cannot_give_a_valid_feed(change: str, message: str, fmt: FeedFormat) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        RENDER[fmt](_broken(change))


@pytest.mark.parametrize("path", ["/abs/", "topics/ports", "../up/", "a/../../b/"])
def test_render_feed_refuses_a_path_outside_out(path: str) -> None:
    with pytest.raises(ValueError, match="path"):
        render_feed(replace(empty_spec(), path=path))


@pytest.mark.parametrize(
    ("link", "expected"),
    [
        ("https://news.example.net/a b", "https://news.example.net/a%20b"),
        ("https://news.example.net/über?q=ä#frag", "https://news.example.net/%C3%BCber?q=%C3%A4#frag"),
        ("https://news.example.net/100%", "https://news.example.net/100%25"),
        ("https://news.example.net/ok%20already", "https://news.example.net/ok%20already"),
        ("HTTPS://bücher.example/x", "https://xn--bcher-kva.example/x"),
        # '[' and ']' delimit an IPv6 host only (RFC 3986 §3.2.2): in a path or query (a PHP site's `tags[]=`) the
        # W3C validator refused the link ("must be a full and valid URL"). Servers decode %5B/%5D to the same.
        ("https://news.example.net/search?tags[]=fish", "https://news.example.net/search?tags%5B%5D=fish"),
        ("https://news.example.net/a[1].html#p[2]", "https://news.example.net/a%5B1%5D.html#p%5B2%5D"),
        ("https://[2001:db8::1]:8080/x[y]", "https://[2001:db8::1]:8080/x%5By%5D"),
    ],
)
def test_links_are_written_in_uri_form(link: str, expected: str) -> None:
    spec = replace(archive_spec(), entries=(release("pier", 3, link=link),))
    assert etree.fromstring(render_atom(spec)).find(f"{A}entry/{A}link").get("href") == expected  # type: ignore[union-attr]
    assert etree.fromstring(render_rss(spec)).findtext("channel/item/link") == expected
    assert json.loads(render_json_feed(spec))["items"][0]["url"] == expected


# ── the browser stylesheet ───────────────────────────────────────────────────────────────────────────────────────


def transform(data: bytes) -> etree._Element:
    result = etree.XSLT(etree.parse(str(STYLESHEET)))(etree.fromstring(data))
    root = result.getroot()
    assert root is not None
    return root


@pytest.mark.parametrize("fmt", ["atom", "rss"])
def test_stylesheet_shows_title_subscribe_address_and_entries(fmt: FeedFormat) -> None:
    spec = ordinary_spec()
    page = transform(RENDER[fmt](spec))
    assert page.tag == "html" and page.get("lang") == "en"
    assert page.findtext(".//h1") == spec.title
    assert "How to subscribe" in "".join(page.itertext())
    assert page.findtext(".//code[@class='url']") == spec.url(fmt)
    items = page.findall(".//ol[@class='entries']/li")
    assert [li.findtext("a") for li in items] == [e.title for e in spec.entries]
    assert [li.find("a").get("href") for li in items] == [  # type: ignore[union-attr]
        e.link.replace("fähre plan", "f%C3%A4hre%20plan") for e in spec.entries
    ]
    # with the time in UTC: XSLT 1.0 cannot move it into the site's zone, so the day alone could be the wrong day
    shown = [li.findtext("time") or li.findtext("span[@class='date']") for li in items]
    assert shown == [f"{d} Nov 2026, 09:00 UTC" for d in (24, 20, 18)]
    # a <time> needs a machine-readable datetime: RFC 822 dates, which XSLT 1.0 cannot rewrite, are plain text
    assert all(t.get("datetime") for t in page.iter("time"))
    assert page.find(".//script") is None  # the hostile title stayed text
    home = page.find(".//a[@class='home']")
    assert home is not None and home.get("href") == SITE


@pytest.mark.parametrize("fmt", ["atom", "rss"])
def test_stylesheet_says_so_when_there_are_no_entries(fmt: FeedFormat) -> None:
    page = transform(RENDER[fmt](empty_spec()))
    assert page.find(".//ol") is None and "There are no entries now." in "".join(page.itertext())
    assert page.findtext(".//code[@class='url']") == f"{SITE}topics/ports/{FEED_FILES[fmt]}"


@pytest.mark.parametrize("name", CHANNEL_NAMES)
def test_stylesheet_shows_the_rss_channel_description_as_the_text_atom_shows(name: str) -> None:
    # The RSS description is escaped HTML; the page shows it as the plain subtitle, as text, never as markup.
    spec = replace(empty_spec(), subtitle=f"Releases about {name} from Harbour City.")
    pages = [transform(RENDER[fmt](spec)) for fmt in ("atom", "rss")]
    assert [page.findtext(".//main/p[2]") for page in pages] == [spec.subtitle, spec.subtitle]
    assert [el.tag for page in pages for el in page.iter("script", "svg")] == []


def test_stylesheet_never_links_a_non_http_url() -> None:
    doc = (
        f'<feed xmlns="{A[1:-1]}"><title>T</title><link rel="self" href="{SITE}atom.xml"/>'
        '<entry><title>Evil</title><link href="javascript:alert(1)"/><updated>2026-11-01T00:00:00Z</updated></entry>'
        "</feed>"
    )
    page = transform(doc.encode())
    assert page.find(".//ol/li/a") is None and page.findtext(".//ol/li/span") == "Evil"


def test_stylesheet_knows_the_right_to_left_languages_the_pages_know() -> None:
    """feed.xsl repeats pages' lists (XSLT cannot import them): one language added to only one of them was laid out
    right to left on its page and left to right in the browser view of the feed."""
    from feeds.publish.pageviews import _RTL_LANGUAGES, _RTL_SCRIPTS

    xsl = STYLESHEET.read_text(encoding="utf-8")
    quoted = re.findall(r"contains\('( [a-z ]+ )',\s*concat\(' ', \$(script|primary), ' '\)\)", xsl)
    lists = {name: set(words.split()) for words, name in quoted}
    assert lists == {"script": set(_RTL_SCRIPTS), "primary": set(_RTL_LANGUAGES)}


@pytest.mark.parametrize(
    ("language", "direction"), [("ar", "rtl"), ("ur-PK", "rtl"), ("az-Arab", "rtl"), ("prs", "rtl"), ("de", "ltr")]
)
def test_stylesheet_labels_an_entry_in_another_language(language: str, direction: str) -> None:
    """A screen reader reads an Arabic headline with an Arabic voice, and the browser lays it out right to left
    (a title opening with a quotation mark was otherwise shown with the mark at the wrong end)."""
    title = '"هذا القرار بداية لنهاية برنامج الأسلحة الكيميائية"'
    entry = release("resolution", 20, title=title, summary="بوريس جونسون: يمنح القرار الترخيص.", language=language)
    spec = replace(ordinary_spec(), entries=(entry, release("harbour", 18)))
    page = transform(render_atom(spec))
    foreign, own = page.findall(".//ol[@class='entries']/li")
    assert foreign.get("lang") is None  # the date beside it is in the page's language
    for el in (foreign.find("a"), foreign.find("p[@class='summary']")):
        assert el is not None and (el.get("lang"), el.get("dir")) == (language, direction)
    assert foreign.findtext("a") == title
    assert [el for el in own.iter() if el.get("lang") or el.get("dir")] == []
    # RSS names the item's language in dc:language: its title is labelled with it, as an Atom entry's is; an item
    # naming none (the channel's language) takes the direction of its first letter.
    item, plain = transform(render_rss(spec)).findall(".//ol[@class='entries']/li/a")
    assert (item.get("lang"), item.get("dir")) == (language, direction) and item.text == title
    assert (plain.get("lang"), plain.get("dir")) == (None, "auto")


def test_stylesheet_is_plain_xslt_1() -> None:
    root = etree.parse(str(STYLESHEET)).getroot()
    assert root.get("version") == "1.0"
    assert not [el for el in root.iter() if el.get("disable-output-escaping") is not None]  # Firefox ignores it
    assert not [el for el in root.iter() if isinstance(el.tag, str) and el.tag.lower() == "script"]


def test_rfc3339_helper_agrees_with_the_atom_dates() -> None:
    spec = ordinary_spec()
    feed = etree.fromstring(render_atom(spec))
    assert [e.findtext(A + "published") for e in feed.findall(A + "entry")] == [
        rfc3339(e.published) for e in spec.entries
    ]
