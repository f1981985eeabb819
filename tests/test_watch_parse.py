"""feeds.watch.parse: feeds → ParsedFeed; the fast path equals feedparser's; documents that are not feeds, attacks.

Golden files: tests/golden/watch_parse/<case>.(xml|json) → <case>.expected.json (the ParsedFeed as JSON). Run with
FEEDS_REGEN_GOLDEN=1 to rewrite them after a deliberate change, then read the diff before committing it.
"""

from __future__ import annotations

import csv
import dataclasses
import json
import os
import resource
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from hypothesis import example, given, settings
from hypothesis import strategies as st

from feeds.errors import FeedParseError
from feeds.model import ParsedFeed
from feeds.watch.feeditems import http_link
from feeds.watch.feedlinks import find_feed_links
from feeds.watch.parse import (
    parse_feed,
    parse_with_feedparser,
    try_fast_parse,
)
from tests.conftest import CORPUS

URL = "https://news.example.org/feed.xml"
GOLDEN = Path(__file__).parent / "golden" / "watch_parse"
REGENERATE = os.environ.get("FEEDS_REGEN_GOLDEN") == "1"


def rss(items: str, channel: str = "<title>Example news</title><link>https://news.example.org/</link>") -> bytes:
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel>{channel}{items}</channel></rss>'.encode()
    )


def atom(entries: str, head: str = "<title>Example agency</title>", base: str = "") -> bytes:
    xml_base = f' xml:base="{base}"' if base else ""
    return f'<feed xmlns="http://www.w3.org/2005/Atom"{xml_base}>{head}{entries}</feed>'.encode()


def assert_same_feed(fast: ParsedFeed, ref: ParsedFeed, name: str) -> None:
    """Field by field, item by item, so a failure says where the two paths part."""
    for field in ("title", "link", "kind", "warning"):
        assert getattr(fast, field) == getattr(ref, field), f"{name}: feed {field}"
    assert len(fast.items) == len(ref.items), f"{name}: item count"
    for i, (a, b) in enumerate(zip(fast.items, ref.items, strict=True)):
        for field in a.__dataclass_fields__:
            assert getattr(a, field) == getattr(b, field), f"{name}: item {i} {field}"
    assert fast == ref


# --- the corpus: every real feed parses, and the fast path equals feedparser's result -----------------------

FEEDS_DIR = CORPUS / "feeds"
FEED_FILES = sorted(p.name for p in FEEDS_DIR.iterdir() if p.name != "MANIFEST.tsv") if FEEDS_DIR.is_dir() else []

# Files the fast path hands to feedparser, and why: each is not well-formed XML, so feedparser's tolerant
# parser reads it and libxml2 (rightly) refuses it. JSON Feeds never reach either path.
FAST_PATH_DECLINES = {
    "gov-sg-moe-spotlight.xml": "not well-formed",  # "http://www .w3.org/2005/Atom": a namespace that is no URI
    "news-osm-polska.xml": "not well-formed",  # truncated inside a CDATA section
    "sport-bold-dk-bare-ampersand.xml": "not well-formed",  # bare "&" in URLs
}
JSON_FEEDS = {"blog-daring-fireball.json", "blog-inessential.json"}


def manifest(corpus: Path) -> dict[str, dict[str, str]]:
    with (corpus / "MANIFEST.tsv").open(encoding="utf-8", newline="") as f:
        return {row["file"]: row for row in csv.DictReader(f, delimiter="\t")}


@pytest.mark.parametrize("name", FEED_FILES)
def test_corpus_fast_path_equals_feedparser_or_declines_for_a_recorded_reason(corpus_feeds: Path, name: str) -> None:
    body = (corpus_feeds / name).read_bytes()
    url = f"https://corpus.example.org/{name}"
    if name in JSON_FEEDS:
        return
    fast = try_fast_parse(body, url=url)
    if name in FAST_PATH_DECLINES:
        assert isinstance(fast, str) and FAST_PATH_DECLINES[name] in fast
        return
    assert not isinstance(fast, str), f"{name}: the fast path declined: {fast}"
    assert_same_feed(fast, parse_with_feedparser(body, url=url), name)
    assert parse_feed(body, url=url) == fast


def test_corpus_fast_path_covers_the_large_majority(corpus_feeds: Path) -> None:
    xml_files = [n for n in FEED_FILES if n not in JSON_FEEDS]
    fast = [n for n in xml_files if not isinstance(try_fast_parse((corpus_feeds / n).read_bytes(), url=URL), str)]
    assert len(fast) == len(xml_files) - len(FAST_PATH_DECLINES) >= 70


@pytest.mark.parametrize("name", FEED_FILES)
def test_corpus_item_counts_and_warnings_match_the_manifest(corpus_feeds: Path, name: str) -> None:
    row = manifest(corpus_feeds)[name]
    body = (corpus_feeds / name).read_bytes()
    parsed = parse_feed(body, url=f"https://corpus.example.org/{name}")
    if name in JSON_FEEDS:
        # feedparser cannot read JSON (manifest: 0 entries, bozo); we read every item and have nothing to warn of.
        assert parsed.kind == "json" and len(parsed.items) == len(json.loads(body)["items"]) > 0
        assert parsed.warning is None
        return
    assert len(parsed.items) == int(row["entries"])
    assert (parsed.warning is not None) == (row["bozo"] == "1"), parsed.warning
    assert all(item.key for item in parsed.items)
    assert len({item.key for item in parsed.items}) == len(parsed.items), "keys are unique within a document"


def test_corpus_leading_newline_is_tidied_but_still_warned(corpus_feeds: Path) -> None:
    parsed = parse_feed((corpus_feeds / "podcast-taverncast.xml").read_bytes(), url=URL)
    assert parsed.warning == "white space before the XML declaration (ignored)"
    assert len(parsed.items) == 131


# --- the feedparser conformance suite: robustness, and the fast path against feedparser once more -----------


def conformance_files(root: Path) -> list[Path]:
    return sorted(p for p in root.rglob("*") if p.is_file())


def test_conformance_suite_raises_nothing_but_feed_parse_error(corpus_conformance: Path) -> None:
    files = conformance_files(corpus_conformance)
    assert len(files) > 2000
    started = time.process_time()
    for path in files:
        before = time.process_time()
        try:
            parsed = parse_feed(path.read_bytes(), url="https://conformance.example.org/" + path.name)
        except FeedParseError as e:
            assert e.url.startswith("https://conformance.example.org/") and e.message
        else:
            assert isinstance(parsed, ParsedFeed)
        assert time.process_time() - before < 2, path
    assert time.process_time() - started < 60


def test_conformance_fast_path_equals_feedparser_wherever_it_accepts(corpus_conformance: Path) -> None:
    accepted = 0
    for path in conformance_files(corpus_conformance):
        body, url = path.read_bytes(), "https://conformance.example.org/" + path.name
        try:
            fast = try_fast_parse(body, url=url)
        except FeedParseError:
            continue  # not a feed: nothing to compare
        if isinstance(fast, str):
            continue
        accepted += 1
        assert_same_feed(fast, parse_with_feedparser(body, url=url), str(path))
    assert accepted > 1500


@pytest.mark.parametrize(
    "body",
    [
        # text of an extension element with attributes joins its parent's (feedparser opens no element for it)
        b'<rss version="2.0" xmlns:x="urn:x"><channel><item><author>A<x:b k="1">B</x:b></author></item>'
        b"</channel></rss>",
        # a second description becomes content; an RSS title that looks like HTML is read as HTML
        b'<rss version="2.0"><channel><item><description>one</description><description>two &amp;lt;b&amp;gt;'
        b"</description><title>Fish &amp;amp; chips</title></item></channel></rss>",
        # escaped markup holding an element switches to XHTML; a <div> there is skipped
        b'<rss version="2.0"><channel><item><description>a <em>b</em> <div>c</div></description></item>'
        b"</channel></rss>",
        # xml:base on nested elements, relative links, guid as link
        b'<rss version="2.0" xml:base="https://a.example/x/"><channel><item xml:base="y/"><guid>z</guid>'
        b"</item></channel></rss>",
    ],
)
def test_fast_path_equals_feedparser_on_tricky_documents(body: bytes) -> None:
    fast = try_fast_parse(body, url=URL)
    assert not isinstance(fast, str), fast
    assert_same_feed(fast, parse_with_feedparser(body, url=URL), "tricky")


# --- golden files ---------------------------------------------------------------------------------------------

GOLDEN_CASES = sorted(p.name for p in GOLDEN.iterdir() if not p.name.endswith(".expected.json"))


def as_json(parsed: ParsedFeed) -> dict[str, Any]:
    def default(value: Any) -> str:
        assert isinstance(value, datetime)
        return value.isoformat()

    return json.loads(json.dumps(dataclasses.asdict(parsed), default=default))


@pytest.mark.parametrize("case", GOLDEN_CASES)
def test_golden(case: str) -> None:
    parsed = parse_feed((GOLDEN / case).read_bytes(), url=f"https://golden.example.org/{case}")
    expected = GOLDEN / (case.rsplit(".", 1)[0] + ".expected.json")
    if REGENERATE:
        expected.write_text(json.dumps(as_json(parsed), indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    assert as_json(parsed) == json.loads(expected.read_text(encoding="utf-8"))
    if not case.endswith(".json"):
        assert_same_feed(
            parse_with_feedparser((GOLDEN / case).read_bytes(), url=f"https://golden.example.org/{case}"), parsed, case
        )


# --- what an item looks like ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("item_xml", "field", "expected"),
    [
        ("<title>Ministers &amp; MPs meet</title>", "title", "Ministers & MPs meet"),
        ("<title>A &lt;b&gt;bold&lt;/b&gt; move</title>", "title", "A bold move"),
        ("<title>  spread\n  over lines </title>", "title", "spread over lines"),
        ("<link>https://news.example.org/a</link>", "link", "https://news.example.org/a"),
        ("<link>/relative/story</link>", "link", "https://news.example.org/relative/story"),
        ("<link>javascript:alert(1)</link>", "link", None),
        ("<guid isPermaLink='false'>id-42</guid>", "guid", "id-42"),
        ("<guid isPermaLink='false'>id-42</guid>", "link", None),
        ("<guid>https://news.example.org/p/9</guid>", "link", "https://news.example.org/p/9"),
        ("<author>desk@example.org (News Desk)</author>", "author", "News Desk"),  # (the address is not kept)
        ("<category>Ports</category><category>Ports</category><category>Fish</category>", "tags", ("Ports", "Fish")),
        ("<description>Plain words, no markup.</description>", "summary", "Plain words, no markup."),
        ("<description>&lt;p&gt;One&lt;/p&gt;&lt;p&gt;Two&lt;/p&gt;</description>", "summary", "One\n\nTwo"),
        ("<title>No date</title>", "published", None),
        ("<pubDate>Tue, 24 Nov 2026 09:30:00 +0100</pubDate>", "published", datetime(2026, 11, 24, 8, 30, tzinfo=UTC)),
        ("<pubDate>not a date at all</pubDate>", "published", None),
    ],
)
def test_rss_item_fields(item_xml: str, field: str, expected: object) -> None:
    (item,) = parse_feed(rss(f"<item>{item_xml}</item>"), url=URL).items
    assert getattr(item, field) == expected


def test_only_the_text_of_an_items_markup_is_kept() -> None:
    body = rss(
        "<item><link>https://news.example.org/2026/story/</link><description><![CDATA["
        '<p onclick="x()">Read <a href="report.pdf">the report</a><script>alert(1)</script></p>'
        '<iframe src="https://evil.example/"></iframe><img src="/img/a.png" alt="A"><p>Next</p>]]></description></item>'
    )
    (item,) = parse_feed(body, url=URL).items
    assert item.content_text == item.summary == "Read the report\n\nNext"
    assert not hasattr(item, "content_html"), "the markup is never kept: it is matched as text, never republished"


def test_atom_entry_with_only_updated_uses_it_as_published() -> None:
    entry = "<entry><title>t</title><id>urn:x:1</id><updated>2026-03-01T10:00:00+02:00</updated></entry>"
    (item,) = parse_feed(atom(entry), url=URL).items
    assert item.published == item.updated == datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
    assert item.published.tzinfo is UTC


def test_atom_author_and_text_content() -> None:
    entry = (
        "<entry><title>t</title><id>urn:x:1</id><author><name>Ana Silva</name><email>ana@example.org</email>"
        "</author><content type='text'>1 &lt; 2\n\nand 3 &gt; 2</content></entry>"
    )
    (item,) = parse_feed(atom(entry), url=URL).items
    assert item.author == "Ana Silva"  # (not its address: tests/test_watch_personal_data.py)
    assert item.content_text == "1 < 2\n\nand 3 > 2"


def test_content_hash_follows_visible_content_only() -> None:
    def only_item(title: str, category: str = "A") -> Any:
        body = rss(f"<item><title>{title}</title><guid>g1</guid><category>{category}</category></item>")
        return parse_feed(body, url=URL).items[0]

    assert only_item("Same").content_hash == only_item("Same").content_hash
    assert only_item("Same").content_hash == only_item("Same", category="B").content_hash
    assert only_item("Same").content_hash != only_item("Changed").content_hash


# --- keys ----------------------------------------------------------------------------------------------------


def keys(body: bytes) -> list[str]:
    return [item.key for item in parse_feed(body, url=URL).items]


def test_key_is_the_guid_then_the_link_then_a_hash() -> None:
    found = keys(
        rss(
            "<item><guid isPermaLink='false'>g-1</guid><link>https://news.example.org/1</link></item>"
            "<item><link>https://news.example.org/2</link></item>"
            "<item><title>Only a title</title><description>and words</description></item>"
        )
    )
    assert found[:2] == ["g-1", "https://news.example.org/2"]
    assert found[2].startswith("sha256:") and len(found[2]) == len("sha256:") + 32


def test_repeated_guids_get_distinct_deterministic_keys() -> None:
    items = (
        "<item><guid isPermaLink='false'>same</guid><link>https://news.example.org/a</link></item>"
        "<item><guid isPermaLink='false'>same</guid><link>https://news.example.org/b</link></item>"
        "<item><guid isPermaLink='false'>same</guid><title>no link</title></item>"
        "<item><guid isPermaLink='false'>same</guid><title>no link</title></item>"
    )
    first, second = keys(rss(items)), keys(rss(items))
    assert first == second
    assert len(set(first)) == 4 and all(k.startswith("same") for k in first)
    assert first[:2] == ["same https://news.example.org/a", "same https://news.example.org/b"]


def test_keys_are_stable_when_the_feed_gains_items() -> None:
    old = "<item><guid>https://n.example.org/1</guid></item><item><title>untitled note</title></item>"
    new = "<item><guid>https://n.example.org/0</guid></item>" + old
    assert keys(rss(new))[1:] == keys(rss(old))


def test_a_huge_guid_becomes_a_hashed_key() -> None:
    (key,) = keys(rss(f"<item><guid isPermaLink='false'>{'x' * 2000}</guid></item>"))
    assert key.startswith("sha256:") and len(key) == 71


# --- JSON Feed -----------------------------------------------------------------------------------------------


def json_feed(**fields: Any) -> bytes:
    return json.dumps({"version": "https://jsonfeed.org/version/1.1", "title": "J", **fields}).encode()


@pytest.mark.parametrize(
    ("item", "field", "expected"),
    [
        ({"id": "a", "title": "Hello"}, "title", "Hello"),
        ({"id": 7}, "guid", "7"),
        ({"id": "a", "url": "https://j.example.org/a"}, "link", "https://j.example.org/a"),
        ({"id": "a", "external_url": "https://elsewhere.example/x"}, "link", "https://elsewhere.example/x"),
        ({"id": "a", "content_text": "line one\n\n\nline  two"}, "content_text", "line one\n\nline two"),
        ({"id": "a", "content_html": "<p>x<script>y</script></p><p>&lt;z&gt;</p>"}, "content_text", "x\n\n<z>"),
        ({"id": "a", "content_html": "<p>Body</p>", "summary": "Short"}, "summary", "Short"),
        ({"id": "a", "content_html": "<p>Body</p>"}, "summary", "Body"),
        (
            {"id": "a", "date_published": "2026-01-02T03:04:05+01:00"},
            "published",
            datetime(2026, 1, 2, 2, 4, 5, tzinfo=UTC),
        ),
        ({"id": "a", "date_published": "yesterday"}, "published", None),
        ({"id": "a", "date_modified": "2026-01-02T03:04:05Z"}, "updated", datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)),
        ({"id": "a", "authors": [{"name": "A"}, {"name": "B"}]}, "author", "A, B"),
        ({"id": "a", "author": {"name": "Old style"}}, "author", "Old style"),
        # JSON may carry what XML may not: the author is republished in the match feeds, whose XML it would break
        ({"id": "a", "authors": [{"name": "Ann \u0007 Lee\ufffe"}]}, "author", "Ann Lee"),
        ({"id": "a", "tags": ["x", 3, "y"]}, "tags", ("x", "y")),
        ({"id": "a", "title": ["not", "a", "string"]}, "title", ""),
    ],
)
def test_json_feed_item_fields(item: dict[str, Any], field: str, expected: object) -> None:
    parsed = parse_feed(json_feed(items=[item]), url=URL)
    assert parsed.kind == "json"
    assert getattr(parsed.items[0], field) == expected


@pytest.mark.parametrize(
    ("item", "expected"),
    [
        # A relative address is resolved against the document's, as feedparser does for RSS and Atom (RFC 3986
        # §5.1.3: the base is where the document was retrieved), so the match still links to the article
        ({"id": "a", "url": "/2026/11/iran-talks"}, "https://news.example.org/2026/11/iran-talks"),
        ({"id": "a", "url": "iran-talks.html"}, "https://news.example.org/iran-talks.html"),
        ({"id": "a", "url": "//cdn.example.net/a"}, "https://cdn.example.net/a"),
        ({"id": "a", "external_url": "../elsewhere"}, "https://news.example.org/elsewhere"),
        ({"id": "a", "url": "javascript:alert(1)"}, None),
        ({"id": "a", "url": "mailto:desk@example.org"}, None),
    ],
)
def test_json_feed_relative_item_url(item: dict[str, Any], expected: str | None) -> None:
    parsed = parse_feed(json_feed(items=[item], home_page_url="/"), url=URL)
    assert parsed.items[0].link == expected
    assert parsed.link == "https://news.example.org/"


def test_json_feed_version_1_0_and_feed_fields() -> None:
    body = json.dumps(
        {
            "version": "https://jsonfeed.org/version/1",
            "title": "Old",
            "home_page_url": "https://o.example/",
            "items": [],
        }
    ).encode()
    parsed = parse_feed(body, url=URL)
    assert (parsed.title, parsed.link, parsed.items, parsed.warning) == ("Old", "https://o.example/", (), None)


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b'{"version": "https://jsonfeed.org/version/1.1", "items": [', "not valid JSON"),
        (b'{"name": "a config file"}', "not a JSON Feed"),
        (b"[1, 2, 3]", "not a JSON Feed"),
        (b"[" * 100_000 + b"]" * 100_000, "JSON"),
        (b'{"items": "\xff\xfe"}', "not UTF-8"),
    ],
)
def test_json_that_is_not_a_json_feed_is_refused(body: bytes, message: str) -> None:
    with pytest.raises(FeedParseError, match=message) as caught:
        parse_feed(body, url=URL)
    assert caught.value.url == URL


def test_json_feed_without_version_is_read_with_a_warning() -> None:
    parsed = parse_feed(json.dumps({"items": [{"id": "1"}, "junk"]}).encode(), url=URL)
    assert len(parsed.items) == 1 and "version" in (parsed.warning or "") and "skipped" in (parsed.warning or "")


# --- not a feed ----------------------------------------------------------------------------------------------

PAGE = b"""<!DOCTYPE html><html><head><title>Agency</title>
<link rel="stylesheet" href="/site.css">
<link rel="alternate" type="application/rss+xml" title="All news" href="/news.rss">
<link rel="Alternate  home" type="application/atom+xml; charset=utf-8" title=" Press &amp; media " href="press.atom">
<link rel="alternate" type="application/feed+json" href="https://agency.example.org/feed.json">
<link rel="alternate" type="application/rss+xml" href="/news.rss">
<link rel="alternate" type="text/html" hreflang="fr" href="/fr/">
<link rel="alternate" type="application/rss+xml" href="javascript:alert(1)">
</head><body><p>Hello</p></body></html>"""


def test_find_feed_links_reads_alternate_links() -> None:
    assert find_feed_links(PAGE, "https://agency.example.org/about/") == [
        ("https://agency.example.org/news.rss", "All news", "application/rss+xml"),
        ("https://agency.example.org/about/press.atom", "Press & media", "application/atom+xml"),
        ("https://agency.example.org/feed.json", "", "application/feed+json"),
    ]


def test_find_feed_links_honours_base_href_and_finds_nothing_in_a_plain_page() -> None:
    page = (
        b'<html><head><base href="https://cdn.example.net/x/"><link rel=alternate type=application/rss+xml href=f.xml>'
    )
    assert find_feed_links(page, "https://a.example.org/") == [
        ("https://cdn.example.net/x/f.xml", "", "application/rss+xml")
    ]
    assert find_feed_links(b"<html><body>no feeds</body></html>", "https://a.example.org/") == []


@pytest.mark.parametrize(
    ("body", "content_type", "message"),
    [
        (b"", None, "empty response"),
        (b"  \r\n\t ", None, "empty response"),
        (
            PAGE,
            "text/html",
            "this is an HTML page, not a feed; it links to a feed at https://news.example.org/news.rss",
        ),
        (b"<html><body>hi</body></html>", None, "this is an HTML page, not a feed; it does not link to any feed"),
        (b"<?xml version='1.0'?><!-- hi --><html xmlns='http://www.w3.org/1999/xhtml'/>", None, "HTML page"),
        (b"just some words", None, "this is not a feed"),
        (b"\x00\x01\x02\xff\xfe garbage", None, "this is not a feed"),
        (b"<?xml version='1.0'?><config><key>v</key></config>", "application/xml", "this is not a feed"),
        (b"/etc/passwd", None, "this is not a feed"),  # feedparser must not open it as a path
        (b"http://127.0.0.1:9/feed.xml", None, "this is not a feed"),  # nor fetch it as a URL
    ],
)
def test_documents_that_are_not_feeds(body: bytes, content_type: str | None, message: str) -> None:
    with pytest.raises(FeedParseError) as caught:
        parse_feed(body, url=URL, content_type=content_type)
    assert message in str(caught.value)
    assert str(caught.value).startswith(URL)


def test_a_broken_but_readable_feed_returns_items_with_a_warning() -> None:
    body = rss("<item><title>Fish &amp; chips</title><link>https://n.example.org/a?x=1&y=2</link></item>")
    assert isinstance(try_fast_parse(body, url=URL), str)  # a bare & : libxml2 refuses, feedparser copes
    parsed = parse_feed(body, url=URL)
    assert parsed.warning and [i.title for i in parsed.items] == ["Fish & chips"]


def test_a_parse_warning_says_where_in_the_document_not_unknown() -> None:
    """Watch review: a broken feed's warning read `<unknown>:1:183: mismatched tag` (the XML reader's name for a
    document it was given without a name); it says the line and column."""
    body = rss("<item><title>Fish and chips</title><link>https://n.example.org/a</link></itm></item>")
    parsed = parse_feed(body, url=URL)
    assert parsed.warning is not None and "<unknown>" not in parsed.warning, parsed.warning
    assert parsed.warning.startswith("line 1, column "), parsed.warning
    assert parsed.warning.endswith(": mismatched tag"), parsed.warning
    with pytest.raises(FeedParseError) as caught:
        parse_feed(b"<?xml version='1.0'?><config><key>v</kee></config>", url=URL)
    assert "<unknown>" not in str(caught.value) and "(line 1, column " in str(caught.value), str(caught.value)


def test_an_empty_feed_is_a_feed() -> None:
    parsed = parse_feed(rss(""), url=URL)
    assert (parsed.title, parsed.link, parsed.kind, parsed.items) == (
        "Example news",
        "https://news.example.org/",
        "rss",
        (),
    )


@pytest.mark.parametrize(
    ("body", "charset", "title"),
    [
        (
            "<?xml version='1.0' encoding='iso-8859-1'?><rss version='2.0'><channel><title>Caf\xe9</title>"
            "</channel></rss>".encode("latin-1"),
            None,
            "Café",
        ),
        ("<rss version='2.0'><channel><title>Caf\xe9</title></channel></rss>".encode("cp1252"), "windows-1252", "Café"),
        ("<rss version='2.0'><channel><title>Caf\xe9</title></channel></rss>".encode("utf-16"), None, "Café"),
        ("\ufeff<rss version='2.0'><channel><title>Caf\xe9</title></channel></rss>".encode(), None, "Café"),
    ],
)
def test_encodings(body: bytes, charset: str | None, title: str) -> None:
    assert parse_feed(body, url=URL, encoding=charset).title == title


# --- the fast path declines what it is not sure of --------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "reason"),
    [
        (b"<rss version='2.0'><channel><title>a & b</title></channel></rss>", "not well-formed"),
        (b"<?xml version='1.0'?><!DOCTYPE rss [<!ENTITY n \"&#160;\">]><rss version='2.0'/>", "DOCTYPE"),
        (b"<rdf:RDF xmlns:rdf='http://www.w3.org/1999/02/22-rdf-syntax-ns#'><x/></rdf:RDF>", "version"),
        (
            b"<rss version='2.0'><channel><item><georss:where xmlns:georss='http://www.georss.org/georss'>"
            b"<gml:pos xmlns:gml='http://www.opengis.net/gml'>1 2</gml:pos></georss:where><textinput/></item>"
            b"</channel></rss>",
            "text input inside an item",
        ),
    ],
)
def test_fast_path_declines(body: bytes, reason: str) -> None:
    declined = try_fast_parse(body, url=URL)
    assert isinstance(declined, str) and reason in declined


# --- XML attacks: no expansion, no file or network access, bounded time and memory ----------------------------

BILLION_LAUGHS = (
    b'<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY l0 "ha">\n'
    + b"".join(b'<!ENTITY l%d "%s">\n' % (i, b"&l%d;" % (i - 1) * 10) for i in range(1, 10))
    + b']>\n<rss version="2.0"><channel><title>t</title><item><title>&l9;</title></item></channel></rss>'
)
QUADRATIC = (
    b'<?xml version="1.0"?>\n<!DOCTYPE rss [\n<!ENTITY big "'
    + b"B" * 20_000
    + b'">\n]>\n<rss version="2.0"><channel><item><description>'
    + b"&big;" * 20_000
    + b"</description></item></channel></rss>"
)


def external(target: str, parameter: bool = False) -> bytes:
    decl = f'<!ENTITY % ext SYSTEM "{target}">\n%ext;' if parameter else f'<!ENTITY ext SYSTEM "{target}">'
    return (
        f'<?xml version="1.0"?>\n<!DOCTYPE rss [\n{decl}\n]>\n'
        '<rss version="2.0"><channel><title>t</title><item><title>a&ext;b</title></item></channel></rss>'
    ).encode()


def parse_attack(body: bytes) -> ParsedFeed | FeedParseError:
    started, peak = time.perf_counter(), resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    try:
        result: ParsedFeed | FeedParseError = parse_feed(body, url=URL)
    except FeedParseError as e:
        result = e
    assert time.perf_counter() - started < 1
    assert resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - peak < 100 * 1024  # KiB on Linux: < 100 MB more
    return result


def test_billion_laughs_is_not_expanded() -> None:
    result = parse_attack(BILLION_LAUGHS)
    assert isinstance(result, ParsedFeed) and result.warning
    assert all("haha" not in item.title for item in result.items)


def test_quadratic_blowup_is_refused() -> None:
    """feedparser alone turns this 200 KB document into a 400 MB summary (1.2 GB of memory, 15 s)."""
    result = parse_attack(QUADRATIC)
    assert isinstance(result, FeedParseError) and "XML bomb" in str(result)


def test_quadratic_blowup_in_utf16_is_refused_too() -> None:
    utf16 = QUADRATIC.replace(b'<?xml version="1.0"?>', b'<?xml version="1.0" encoding="utf-16"?>')
    result = parse_attack(utf16.decode().encode("utf-16"))
    assert isinstance(result, FeedParseError) and "XML bomb" in str(result)


def test_xml_served_as_json_is_read_as_xml() -> None:
    assert parse_feed(rss("<item><title>x</title></item>"), url=URL, content_type="application/json").kind == "rss"


def test_external_entities_are_never_loaded(tmp_path: Path, httpserver: Any) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-VALUE", encoding="utf-8")
    httpserver.expect_request("/dtd").respond_with_data("LEAKED-FROM-NETWORK")
    for body in (
        external(secret.as_uri()),
        external("file:///etc/passwd"),
        external(httpserver.url_for("/dtd")),
        external(secret.as_uri(), parameter=True),
        external(httpserver.url_for("/dtd"), parameter=True),
    ):
        result = parse_attack(body)
        text = json.dumps(as_json(result)) if isinstance(result, ParsedFeed) else str(result)
        assert "TOP-SECRET" not in text and "LEAKED" not in text and "root:" not in text
    assert httpserver.log == []


def test_json_feed_items_with_nothing_at_all_are_left_out_with_a_warning() -> None:
    body = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": "x",
        "items": [{"id": None, "title": None}, {"id": "2", "title": "Kept"}],
    }
    parsed = parse_feed(json.dumps(body).encode(), url=URL)
    assert [it.title for it in parsed.items] == ["Kept"]
    assert "1 item(s) without an id, title, link or text left out" in (parsed.warning or "")


def test_plain_text_content_reads_as_its_paragraphs_would_in_html() -> None:
    """A plain-text body's text, read directly: what a `<p>` per blank-line block, with a `<br>` per line, reads
    back as, on every mix of lines, blank lines, markup-like characters and odd white space."""
    import html
    import random
    import re

    from feeds.normalise.htmltext import clean_html_to_text
    from feeds.normalise.text import collapse, xml_safe
    from feeds.watch.feeditems import _plain_text

    def through_html(value: str) -> str:
        blocks = (block.strip() for block in re.split(r"\n\s*\n", xml_safe(value)))
        return clean_html_to_text(
            "".join(
                "<p>"
                + "<br>".join(html.escape(collapse(ln), quote=False) for ln in b.splitlines() if ln.strip())
                + "</p>"
                for b in blocks
                if b
            )
        )

    pieces = ["a", "Bc", " ", "\n", "\n\n", "\t", "\r\n", "\xa0", "\u2028", "\x0b", "\x1c", "<", "&amp;", "&", "\x01"]
    rng = random.Random(11)
    for _ in range(20_000):
        value = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 20)))
        assert _plain_text(value) == through_html(value), repr(value)


_URL_PIECES = (
    *("http://", "https://", "HtTpS://", "http", "HTTP", "\u017f", "s", "://", "http:", "//", "/", "?", "#", "["),
    *("]", "[::1]", "@", ":", ":80", ".", "-", "_", "%41", "a", "Z", "0", "example.org", " ", "\t", "\n", "\x01"),
    *("\u212a", "\u2100", "\uff0f"),
)


@settings(max_examples=2000, deadline=None)
@given(st.lists(st.sampled_from(_URL_PIECES), max_size=8))
@example(["http", "\u017f", "://", "example.org"])  # (a long s is an "s" to a case-blind regex, not to urlsplit)
@example(["http://", "\u212a", "/"])  # (a Kelvin sign: a host that is not ASCII)
@example(["https://", "[", "a", "/"])
@example(["http://", ":80", "?"])
def test_an_items_link_is_read_as_urlsplit_reads_it(pieces: list[str]) -> None:
    # (plain http(s) addresses skip urlsplit: the same answer as asking it, on any address)
    value = "".join(pieces)
    stripped = value.strip()
    try:
        parts = urlsplit(stripped)
        expected = stripped if parts.scheme.lower() in ("http", "https") and parts.netloc else None
    except ValueError:
        expected = None
    assert http_link(value) == expected
