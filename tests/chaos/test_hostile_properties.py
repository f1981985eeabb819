"""Hostile input, property-based: whatever a sender, a file or a watched feed contains, the front ends answer with
a result or with our own error (a `FeedsError`), never another exception, and within a bounded time.

    normalise_release   random RawReleases (every field: text with markup, controls, RTL, huge runs, odd dates)
    parse_release_file  random bytes under every accepted extension (the drop folder's front end)
    parse_query         random text and a token soup of the query language (keyword rules)
    parse_feed          random bytes, an XML/JSON token soup (DOCTYPEs, entities, CDATA, BOMs, encodings)

Each property runs `25 x --chaos-rounds` examples (seeded from the suite's seed) with a per-example deadline.
Results are checked too, not only the absence of crashes: nothing executable in the sanitised HTML, slugs that
stay one path segment, plain-text titles without control characters.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from feeds.config.settings import Site, TopicSettings
from feeds.errors import FeedsError
from feeds.ingest.formats import parse_release_file
from feeds.model import RawRelease, Release
from feeds.normalise import normalise_release
from feeds.watch.parse import parse_feed
from feeds.watch.query import parse_query
from tests.chaos.conftest import record
from tests.chaos.outcheck import html_problems

SITE = Site(
    title="Hostile Press Office",
    base_url="https://press.example.org/",
    author="Hostile Press Office",
    language="en-GB",
    timezone="Europe/London",
)
TOPICS = TopicSettings(detect=("Iran", "North Korea", "Ukraine"), aliases=(("North Korea", ("DPRK",)),))
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
DEADLINE = timedelta(seconds=3)

NASTY = [
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    '<a href="javascript:alert(1)">x</a>',
    "\u202etxet\u202c",
    "\x00",
    "\ufeff",
    "\ud7ff",
    "&amp;&lt;&#0;&#x110000;&#xD800;",
    "../../etc/passwd",
    "%2e%2e%2f",
    "\r\n\r\n",
    "said:",
    "+++",
    "---",
    "# Heading",
    "<![CDATA[",
    "]]>",
    "<!DOCTYPE x [<!ENTITY a 'b'>]>",
    "&a;",
    "2026-02-30T25:61:00Z",
    "Thu, 31 Nov 2026 09:30:00 +9999",
    "9" * 40,
    "ـ" * 50,
    "x" * 5000,
]


def text() -> st.SearchStrategy[str]:
    return st.one_of(
        st.text(max_size=300),
        st.sampled_from(NASTY),
        st.lists(st.one_of(st.sampled_from(NASTY), st.text(max_size=20)), max_size=8).map("".join),
    )


def opt(strategy: st.SearchStrategy[str]) -> st.SearchStrategy[str | None]:
    return st.one_of(st.none(), strategy)


def dates() -> st.SearchStrategy[str | datetime | None]:
    aware = st.datetimes(
        min_value=datetime(1, 1, 2), max_value=datetime(9999, 12, 30), timezones=st.timezones()
    ).filter(lambda d: d.utcoffset() is not None)
    return st.one_of(st.none(), text(), aware)


raw_releases = st.builds(
    RawRelease,
    origin=st.just("hostile:1"),
    source=st.just("hostile"),
    title=opt(text()),
    body=opt(text()),
    body_format=st.sampled_from(["text", "markdown", "html"]),
    summary=opt(text()),
    published=dates(),
    updated=dates(),
    slug=opt(text()),
    topics=st.lists(text(), max_size=4).map(tuple),
    organisation=opt(text()),
    link=opt(st.one_of(text(), st.sampled_from(["https://ok.example/a", "javascript:alert(1)", "//x", "http://"]))),
    source_key=opt(text()),
    language=opt(st.one_of(text(), st.sampled_from(["en", "cy", "ur", "he-IL", "x-klingon", "en_GB", ""]))),
    document_type=opt(text()),
    image=opt(text()),
    withdrawn_at=dates(),
    withdrawn_note=opt(text()),
    changes=st.lists(st.tuples(text(), text()), max_size=3).map(tuple),
)


def run_property(
    strategy: st.SearchStrategy, check: Callable[[object], None], examples: int, name: str, suite_seed: int
) -> None:
    """Run `check` over `examples` inputs from `strategy`, with the deadline and the suite's seed."""

    @seed(suite_seed)
    @settings(
        max_examples=examples,
        deadline=DEADLINE,
        derandomize=False,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
        database=None,
    )
    @given(strategy)
    def prop(value: object) -> None:
        check(value)

    prop()
    record(f"hostile inputs tried: {name}", examples)


def ours_or_result(fn: Callable[[], object]) -> object | None:
    """Call `fn`; our own errors are a valid answer (None), anything else propagates as a failure."""
    try:
        return fn()
    except FeedsError as e:
        assert str(e), "an error must say what is wrong"
        return None


@pytest.fixture
def examples(chaos_rounds: int) -> int:
    return 25 * chaos_rounds


def test_normalise_answers_a_release_or_invalid_release_error(examples: int, chaos_seed: int) -> None:
    def check(raw: object) -> None:
        assert isinstance(raw, RawRelease)
        release = ours_or_result(lambda: normalise_release(raw, SITE, TOPICS, NOW))
        if release is None:
            return
        assert isinstance(release, Release)
        assert release.title and release.slug and "/" not in release.slug and release.slug not in (".", "..")
        assert "\x00" not in release.title + release.slug + release.body_html
        assert not any(c < " " and c not in "\t\n\r" for c in release.body_html), "control characters in HTML"
        assert not html_problems(release.body_html, "body_html"), release.body_html
        assert release.permalink.startswith(SITE.base_url + "releases/")
        assert release.published.tzinfo is not None and release.updated >= release.published

    run_property(raw_releases, check, examples, "normalise_release", chaos_seed)


EXTENSIONS = [".txt", ".md", ".markdown", ".html", ".htm", ".json", ".xml", ""]
file_bytes = st.one_of(
    st.binary(max_size=2000),
    text().map(lambda s: s.encode("utf-8", "surrogatepass")),
    st.lists(
        st.sampled_from(
            [
                b"+++\ntitle = 'x'\n+++\n",
                b"---\ntitle: x\n---\n",
                b'{"title": "x", "body": "y"}',
                b"[",
                b"<html><head><title>T</title></head><body><h1>H</h1><p>para</p>",
                b'<meta charset="shift_jis">',
                b"\xff\xfe",
                b"\xef\xbb\xbf",
                b"<!DOCTYPE html [<!ENTITY x SYSTEM 'file:///etc/passwd'>]>&x;",
                b"said:\n\n",
                b"\x00\x00",
                b'{"base_path": "/x", "details": {"body": "<p>b</p>"}, "title": "t"}',
            ]
        ),
        max_size=8,
    ).map(b"".join),
)


def test_the_drop_folder_front_end_answers_releases_or_our_error(examples: int, chaos_seed: int) -> None:
    def check(value: object) -> None:
        data, ext = value  # type: ignore[misc]
        found = ours_or_result(lambda: parse_release_file(data, f"hostile{ext}", source="inbox", origin="hostile"))
        if found is None:
            return
        assert isinstance(found, tuple) and all(isinstance(r, RawRelease) for r in found)
        for raw in found:
            ours_or_result(lambda raw=raw: normalise_release(raw, SITE, TOPICS, NOW))

    run_property(st.tuples(file_bytes, st.sampled_from(EXTENSIONS)), check, examples, "parse_release_file", chaos_seed)


QUERY_TOKENS = [
    "iran",
    "sanction*",
    '"north korea"',
    '"',
    "(",
    ")",
    "OR",
    "AND",
    "NOT",
    "-",
    "+",
    "title:",
    "summary:",
    "nosuchfield:",
    "*",
    "**",
    "~",
    "^",
    ":",
    " ",
    "\t",
    "\u202e",
    "\x00",
    "ü",
    "ﷺ",
    "NEAR/3",
    "tag:world",
    "feed:",
    "((((((((((",
]
queries = st.one_of(st.text(max_size=200), st.lists(st.sampled_from(QUERY_TOKENS), max_size=30).map(" ".join))
queries = queries | st.lists(st.sampled_from(QUERY_TOKENS), max_size=30).map("".join)


def test_the_query_parser_answers_a_query_or_a_rule_error(examples: int, chaos_seed: int) -> None:
    def check(query: object) -> None:
        assert isinstance(query, str)
        ours_or_result(lambda: parse_query(query))

    run_property(queries, check, 2 * examples, "parse_query", chaos_seed)


def test_deep_nesting_is_refused_not_a_recursion_error() -> None:
    for depth in (100, 1000, 50_000):
        ours_or_result(lambda depth=depth: parse_query("(" * depth + "iran" + ")" * depth))
        ours_or_result(lambda depth=depth: parse_query("NOT " * depth + "iran"))


FEED_TOKENS = [
    b'<?xml version="1.0" encoding="utf-8"?>',
    b'<?xml version="1.0" encoding="utf-16"?>',
    b'<?xml version="1.0" encoding="x-no-such"?>',
    b'<rss version="2.0">',
    b"<channel>",
    b"<title>",
    b"</title>",
    b"<item>",
    b"</item>",
    b"<guid>",
    b"</guid>",
    b"<link>",
    b"</link>",
    b"<description>",
    b"</description>",
    b'<feed xmlns="http://www.w3.org/2005/Atom">',
    b"<entry>",
    b"</entry>",
    b'<content type="html">',
    b'<content type="xhtml"><div xmlns="http://www.w3.org/1999/xhtml">',
    b"</content>",
    b"&lt;script&gt;alert(1)&lt;/script&gt;",
    b"<![CDATA[<script>alert(1)</script>]]>",
    b"<!DOCTYPE rss [<!ENTITY e 'x'>]>",
    b"<!DOCTYPE rss SYSTEM 'http://127.0.0.1:9/x.dtd'>",
    b"&e;",
    b"&#0;",
    b"&#x110000;",
    b"\xef\xbb\xbf",
    b"\xff\xfe",
    b"\x00",
    b"<pubDate>Thu, 31 Nov 2026 25:00:00 +9999</pubDate>",
    b"<updated>99999-01-01T00:00:00Z</updated>",
    b'{"version": "https://jsonfeed.org/version/1.1", "items": [',
    b'{"id": 1, "content_html": "<script>x</script>", "date_published": "x"}',
    b"]}",
    b"[[[[[[[[[[[[[[[[",
    b"text ",
]
feed_bodies = st.one_of(
    st.binary(max_size=2000),
    st.lists(st.sampled_from(FEED_TOKENS), max_size=40).map(b"".join),
)


def test_the_feed_parser_answers_a_feed_or_a_feed_parse_error(examples: int, chaos_seed: int) -> None:
    def check(value: object) -> None:
        body, ctype = value  # type: ignore[misc]
        parsed = ours_or_result(lambda: parse_feed(body, url="https://feeds.example.com/x", content_type=ctype))
        if parsed is None:
            return
        for item in parsed.items:  # type: ignore[attr-defined]
            assert "\x00" not in item.title + item.summary + item.content_text  # (an item keeps no markup)

    types = st.sampled_from([None, "application/rss+xml", "application/json", "text/html", "image/png"])
    run_property(st.tuples(feed_bodies, types), check, 2 * examples, "parse_feed", chaos_seed)
