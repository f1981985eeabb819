"""What subscribers' readers make of our feeds: each reader's own rule for picking an entry's link, content and
author, encoded against a published site, with the reader and its source file named where the rule is specific.

Parsed with feedparser (what Python subscribers use) and lxml (what the readers' XML parsers see).
"""

from __future__ import annotations

import html
import json
from pathlib import Path

import pytest
from lxml import etree

from feeds.config import Settings, load_settings
from feeds.errors import ConfigError
from feeds.ingest import run_ingest
from feeds.publish import run_publish
from tests.conftest import BASE_CONFIG
from tests.test_publish_site import ATOM, Site, make_site, parse_ok  # noqa: F401  (make_site: a fixture)

TIMEZONE = 'timezone = "Europe/London"'

PERMALINK = "https://press.example.org/releases/minister-visits-the-port/"
GOVUK = "https://www.gov.uk/government/news/minister-visits-the-port"


def _site_with_a_release_also_on_govuk(make_site) -> Site:  # noqa: F811
    site = make_site(seed=False)
    site.drop(
        "visit",
        "Minister visits the port",
        ["Trade"],
        "2026-11-02T09:00:00Z",
        link=GOVUK,
        image="https://cdn.example.org/lead.jpg",
        organisation="Foreign, Commonwealth and Development Office",
    )
    site.ingest()
    site.publish()
    return site


def test_every_reader_opens_our_page_for_a_release_also_published_elsewhere(make_site) -> None:  # noqa: F811
    """NetNewsWire opened GOV.UK, not our page, for a release with a `link`: RSParser's Atom parser
    (Sources/ObjC/RSAtomParser.m, addLink) makes an entry's first rel="related" link its permalink, which
    RSParsedFeedTransformer.swift passes on as the article's `url`, the link NetNewsWire opens before the
    rel="alternate" one (`externalURL`). The release's page elsewhere is rel="via" (RFC 4287 §4.2.7.2), which
    RSParser, Miniflux (internal/reader/atom/atom_10_adapter.go, OriginalLink) and Thunderbird
    (FeedParser.sys.mjs, findAtomLink) all pass over."""
    site = _site_with_a_release_also_on_govuk(make_site)
    atom = etree.parse(str(site.out / "atom.xml")).getroot()
    (entry,) = atom.iter(f"{ATOM}entry")
    links = [(link.get("rel"), link.get("href")) for link in entry.iter(f"{ATOM}link")]
    assert links == [("alternate", PERMALINK), ("via", GOVUK)]
    assert all(rel not in ("related", "", None) for rel, _ in links[1:])  # RSParser: no rel means alternate
    # feedparser: the link is our page; the page elsewhere is still there for scripts
    (parsed,) = parse_ok(site.out / "atom.xml").entries
    assert parsed.link == PERMALINK
    assert [(x.rel, x.href) for x in parsed.links] == links
    # RSS has one <link>, ours; JSON Feed's `url` is ours and `external_url` the page elsewhere (RSParser's
    # JSONFeedParser.swift and Miniflux's internal/reader/json/adapter.go take `url` first)
    (item,) = parse_ok(site.out / "rss.xml").entries
    assert item.link == PERMALINK
    (json_item,) = json.loads((site.out / "feed.json").read_text(encoding="utf-8"))["items"]
    assert (json_item["url"], json_item["external_url"]) == (PERMALINK, GOVUK)


def test_rss_extensions_keep_the_prefixes_netnewswire_matches(make_site) -> None:  # noqa: F811
    """RSParser's RSS parser (Sources/ObjC/RSRSSParser.m) matches extension elements by their prefix, not their
    namespace: the full text only as `content:encoded`, an author as `dc:creator`, media as `media:`. Under any
    other prefix NetNewsWire would show the summary alone and no author. `description` comes before
    `content:encoded`, which replaces it there (and Miniflux, rss/adapter.go findEntryContent, prefers it)."""
    site = _site_with_a_release_also_on_govuk(make_site)
    rss = etree.parse(str(site.out / "rss.xml")).getroot()
    assert rss.nsmap["content"] == "http://purl.org/rss/1.0/modules/content/"
    assert rss.nsmap["dc"] == "http://purl.org/dc/elements/1.1/"
    assert rss.nsmap["media"] == "http://search.yahoo.com/mrss/"
    item = rss.find("channel/item")
    assert item is not None
    names = [child.tag for child in item]
    encoded = "{http://purl.org/rss/1.0/modules/content/}encoded"
    assert names.index("description") < names.index(encoded)
    # isPermaLink="false": no reader takes a tag: id for a link (RSParser addGuid, Miniflux findEntryURL,
    # Thunderbird parseAsRSS2)
    guid = item.find("guid")
    assert guid is not None and guid.get("isPermaLink") == "false"
    (parsed,) = parse_ok(site.out / "rss.xml").entries
    assert parsed.guidislink is False
    assert parsed.author == "Foreign, Commonwealth and Development Office"
    assert parsed.content[0].value.startswith("<p>") and parsed.summary != parsed.content[0].value


def _settings_with_icon(tmp_path: Path, icon: str | None) -> Settings:
    (tmp_path / "inbox").mkdir(exist_ok=True)
    config = BASE_CONFIG if icon is None else BASE_CONFIG.replace(TIMEZONE, f'{TIMEZONE}\nicon = "{icon}"')
    (tmp_path / "feeds.toml").write_text(config, encoding="utf-8")
    return load_settings(tmp_path / "feeds.toml", environ={})


def test_site_icon_is_read_relative_to_base_url(tmp_path: Path) -> None:
    """`site.icon`: the office's mark, at an address of its own or relative to `base_url`; a bad one is a config
    error naming the key."""
    assert _settings_with_icon(tmp_path, None).site.icon is None
    assert _settings_with_icon(tmp_path, "static/mark.png").site.icon == "https://press.example.org/static/mark.png"
    cdn = _settings_with_icon(tmp_path, "https://cdn.example.org/office mark.png")
    assert cdn.site.icon == "https://cdn.example.org/office%20mark.png"
    for bad in ("javascript:alert(1)", "ftp://example.org/mark.png", " "):
        with pytest.raises(ConfigError, match=r"site\.icon"):
            _settings_with_icon(tmp_path, bad)


def test_every_format_names_the_site_icon(tmp_path: Path, make_app_for) -> None:
    """Without an icon in the feed, every reader showed a generic one (or none): Miniflux takes Atom's <icon>
    (atom_10_adapter.go) and RSS's <image> (rss/adapter.go), NetNewsWire and Miniflux JSON Feed's `favicon`
    (JSONFeedParser.swift, json/adapter.go), feedparser all three; readers that look at the site instead
    (NetNewsWire, Feedly, Inoreader) find the pages' <link rel="icon">."""
    icon = "https://press.example.org/static/mark.png"
    settings = _settings_with_icon(tmp_path, "static/mark.png")
    app = make_app_for(settings)
    release = {"title": "Port visit", "body": "The minister visits the port.", "published": "2026-11-02T09:00:00Z"}
    (settings.source("inbox").path / "a.json").write_text(json.dumps(release), encoding="utf-8")
    run_ingest(app)
    run_publish(app)
    out = settings.paths.out
    atom = etree.parse(str(out / "atom.xml")).getroot()
    assert atom.findtext(f"{ATOM}icon") == icon
    assert parse_ok(out / "atom.xml").feed.icon == icon
    channel = etree.parse(str(out / "rss.xml")).getroot().find("channel")
    assert channel is not None
    image = channel.find("image")
    assert image is not None  # RSS 2.0: url, title and link, the title and link the channel's own
    assert [(c.tag, c.text) for c in image] == [
        ("url", icon),
        ("title", channel.findtext("title")),
        ("link", channel.findtext("link")),
    ]
    assert parse_ok(out / "rss.xml").feed.image.href == icon
    assert json.loads((out / "feed.json").read_text(encoding="utf-8"))["favicon"] == icon
    assert f'<link rel="icon" href="{icon}">' in (out / "index.html").read_text(encoding="utf-8")


def test_json_feed_names_each_item_by_its_own_authors_only(make_site) -> None:  # noqa: F811
    """Miniflux (internal/reader/json/adapter.go) joins the feed's `authors` to every item's own: a release from
    another organisation showed "Foreign, Commonwealth and Development Office, Test Press Office", as if both
    had written it. Each item names its authors (the site's where it has none of its own, which is what JSON
    Feed 1.1 would have it inherit) and the feed names none, so every reader shows the same as Atom's."""
    site = _site_with_a_release_also_on_govuk(make_site)
    site.drop("hours", "Library hours", [], "2026-11-03T09:00:00Z")
    site.ingest()
    site.publish()
    doc = json.loads((site.out / "feed.json").read_text(encoding="utf-8"))
    assert "authors" not in doc and "author" not in doc
    assert _miniflux_json_authors(site.out / "feed.json") == {
        "Minister visits the port": "Foreign, Commonwealth and Development Office",
        "Library hours": "Test Press Office",
    }
    atom = {e.title: [a.name for a in e.get("authors", [])] for e in parse_ok(site.out / "atom.xml").entries}
    assert atom["Minister visits the port"] == ["Foreign, Commonwealth and Development Office"]


# ── Authors: what each reader names as an entry's author ──────────────────────────────────────────────────────────

DC_CREATOR = "{http://purl.org/dc/elements/1.1/}creator"
DC_LANGUAGE = "{http://purl.org/dc/elements/1.1/}language"
FCDO = "Foreign, Commonwealth and Development Office"


def _atom_authors(path: Path) -> dict[str, str]:
    """Title -> the author an Atom reader names: the entry's own, else the feed's (RFC 4287 §4.2.1, which Miniflux's
    atom_10_adapter.go and feedparser's consumers apply)."""
    parsed = parse_ok(path)
    return {e.title: (e.get("author_detail") or parsed.feed.author_detail).name for e in parsed.entries}


def _miniflux_rss_authors(path: Path) -> dict[str, str]:
    """Title -> the author Miniflux (internal/reader/rss/adapter.go) shows: findEntryAuthor (itunes, googleplay,
    `dc:creator`, atom:author, then `<author>`), else findFeedAuthor (`managingEditor`, then `webMaster`)."""
    channel = etree.parse(str(path)).getroot().find("channel")
    assert channel is not None
    editor = channel.findtext("managingEditor") or channel.findtext("webMaster") or ""
    return {
        item.findtext("title") or "": (item.findtext(DC_CREATOR) or item.findtext("author") or editor).strip()
        for item in channel.iter("item")
    }


def _miniflux_json_authors(path: Path) -> dict[str, str]:
    """Title -> the author Miniflux (internal/reader/json/adapter.go) shows: the feed's `authors` and the item's,
    sorted and unique, joined with ", "."""
    doc = json.loads(path.read_text(encoding="utf-8"))

    def names(item: dict[str, list[dict[str, str]]]) -> str:
        return ", ".join(sorted({p["name"] for p in [*doc.get("authors", []), *item.get("authors", [])]}))

    return {i["title"]: names(i) for i in doc["items"]}


def _authors_in_every_format(folder: Path) -> dict[str, str]:
    atom = _atom_authors(folder / "atom.xml")
    assert _miniflux_rss_authors(folder / "rss.xml") == atom
    assert {e.title: e.author for e in parse_ok(folder / "rss.xml").entries} == atom  # feedparser: dc:creator
    assert _miniflux_json_authors(folder / "feed.json") == atom
    return atom


def test_every_rss_item_names_the_author_atom_and_json_feed_name(make_site) -> None:  # noqa: F811
    """Miniflux (internal/reader/rss/adapter.go) names an RSS item without an author of its own by the channel's
    `managingEditor`: every release of the office read "press@example.org (Test Press Office)" there, an email
    address, where Atom (whose entries inherit the feed's author) and JSON Feed named the office. Each item names
    its author as `dc:creator` (Miniflux findEntryAuthor, NetNewsWire's RSRSSParser.m, Thunderbird's
    FeedParser.sys.mjs, feedparser all read it), never as `<author>`, which RSS 2.0 keeps for an email address."""
    site = _site_with_a_release_also_on_govuk(make_site)
    site.drop("hours", "Library hours", [], "2026-11-03T09:00:00Z")  # the office's own: organisation = site.author
    site.ingest()
    site.publish()
    expected = {"Minister visits the port": FCDO, "Library hours": "Test Press Office"}
    assert _authors_in_every_format(site.out) == expected
    assert _authors_in_every_format(site.out / "organisations" / "test-press-office") == {
        "Library hours": "Test Press Office"
    }
    channel = etree.parse(str(site.out / "rss.xml")).getroot().find("channel")
    assert channel is not None
    assert all(item.find("author") is None for item in channel.iter("item"))  # no name where an address belongs
    assert [[c.text for c in item.iter(DC_CREATOR)] for item in channel.iter("item")] == [["Test Press Office"], [FCDO]]


def test_a_match_item_names_its_source_in_every_format(make_settings, make_app_for, tmp_path) -> None:
    """An item found elsewhere is named by its own author, else by the feed it came from ("World Desk"), in
    Atom, RSS (`dc:creator`) and JSON Feed alike: never by the office, which did not write it."""
    from tests.test_publish_coverage import app_with_release, with_coverage

    app, release = with_coverage(*app_with_release(make_settings, make_app_for, tmp_path))
    run_publish(app)
    out = app.settings.paths.out
    assert set(_authors_in_every_format(out / "matches").values()) == {"World Desk"}
    assert set(_authors_in_every_format(out / "coverage" / release.slug).values()) == {"World Desk"}


# ── Languages ────────────────────────────────────────────────────────────────────────────────────────────────────


def test_a_json_feed_item_names_its_language_only_where_it_is_not_the_feed_s(make_site) -> None:  # noqa: F811
    """JSON Feed 1.1 makes an item's `language` optional, for an item written in another language than the feed's,
    and no reader takes a missing one for anything but the feed's: Miniflux (internal/reader/json/adapter.go) falls
    back to the feed's `language` (older versions read neither), NetNewsWire's JSONFeedParser.swift parses it but
    its Article keeps none, feedparser 6 reads no JSON Feed. So an English release in an English feed no longer
    repeats `en-GB`, and a Welsh one keeps `cy`, as Atom's entry keeps its `xml:lang` then, and an RSS item names
    it as `dc:language` then (it named none)."""
    site = make_site(seed=False)
    site.drop("port", "Minister visits the port", [], "2026-11-02T09:00:00Z")
    site.drop("porthladd", "Gweinidog yn ymweld â'r porthladd", [], "2026-11-03T09:00:00Z", language="cy")
    site.ingest()
    site.publish()
    doc = json.loads((site.out / "feed.json").read_text(encoding="utf-8"))
    assert doc["language"] == "en-GB"
    assert {i["title"]: i.get("language") for i in doc["items"]} == {
        "Minister visits the port": None,
        "Gweinidog yn ymweld â'r porthladd": "cy",
    }
    xml_lang = "{http://www.w3.org/XML/1998/namespace}lang"
    atom = etree.parse(str(site.out / "atom.xml")).getroot().iter(f"{ATOM}entry")
    assert {e.findtext(f"{ATOM}title"): e.get(xml_lang) for e in atom} == {  # the same rule as Atom's
        i["title"]: i.get("language") for i in doc["items"]
    }
    # RSS: the item's dc:language, only then; Miniflux (rss/adapter.go) and feedparser read it, else the channel's
    rss = etree.parse(str(site.out / "rss.xml")).getroot()
    assert {i.findtext("title"): i.findtext(DC_LANGUAGE) for i in rss.iter("item")} == {
        i["title"]: i.get("language") for i in doc["items"]
    }
    shown = {e.title: e.get("language") or "en-GB" for e in parse_ok(site.out / "rss.xml").entries}
    assert shown == {"Minister visits the port": "en-GB", "Gweinidog yn ymweld â'r porthladd": "cy"}


# ── Titles ───────────────────────────────────────────────────────────────────────────────────────────────────────

ABOUT_HTML = "Why &amp; and &lt;br&gt; appear in our pages"  # the title's text, as a release about HTML writes it


def _miniflux_rss_title(xml_text: str) -> str:
    """Miniflux (internal/reader/rss/adapter.go, findEntryTitle) decodes HTML entities in an RSS item's title after
    the XML parser has (`html.UnescapeString`, twice in current versions): once is enough to show it."""
    return html.unescape(xml_text)


def test_an_rss_title_is_escaped_once_as_no_spelling_spares_it_miniflux_s_decoding(make_site) -> None:  # noqa: F811
    """A title whose text reads as an HTML entity shows decoded in Miniflux's RSS view ("Why & and <br> appear…"),
    as written in its Atom (a type="text" construct, atom_10_adapter.go) and JSON Feed (json/adapter.go) views.
    No spelling of the RSS title avoids it: a numeric reference (`&#x26;`, the RSS Profile's advice) or a CDATA
    section hands every XML parser, Miniflux's included, the same text, which Miniflux then decodes again (and
    one Miniflux release showed CDATA titles as their link: miniflux/v2 #3152). So the title stays plain XML text,
    escaped once by the serialiser; the README says which views show it as written."""
    site = make_site(seed=False)
    site.drop("entities", ABOUT_HTML.replace("&", "&amp;"), [], "2026-11-02T09:00:00Z")  # ingest decodes once
    site.ingest()
    site.publish()
    raw = (site.out / "rss.xml").read_text(encoding="utf-8")
    assert "<title>Why &amp;amp; and &amp;lt;br&amp;gt; appear in our pages</title>" in raw
    assert "CDATA" not in raw
    (item,) = etree.parse(str(site.out / "rss.xml")).getroot().iter("item")
    assert item.findtext("title") == ABOUT_HTML  # what every XML parser reads
    assert _miniflux_rss_title(ABOUT_HTML) == "Why & and <br> appear in our pages"
    for spelling in ("Why &#x26;amp; and &#x26;lt;br&#x26;gt; appear in our pages", f"<![CDATA[{ABOUT_HTML}]]>"):
        assert etree.fromstring(f"<title>{spelling}</title>").text == ABOUT_HTML  # the same text, decoded again
    (atom,) = parse_ok(site.out / "atom.xml").entries
    assert (atom.title, atom.title_detail.type) == (ABOUT_HTML, "text/plain")
    (json_item,) = json.loads((site.out / "feed.json").read_text(encoding="utf-8"))["items"]
    assert json_item["title"] == ABOUT_HTML
