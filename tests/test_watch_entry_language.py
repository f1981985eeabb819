"""An entry's own language (`xml:lang` on an Atom `<entry>` or an RSS `<item>`, or on its title; a `<dc:language>` in
the item) is its item's, on both paths: a multilingual feed (an EU institution's, mixing English and French
entries) no longer publishes its French titles marked `lang="en"`. An `xml:lang` inherited from the root is not
the entry's own: the feed's `<language>` stays the language of an entry that gives none."""

from __future__ import annotations

import io
import json

import feedparser
import pytest

from feeds.watch.fastparse import FastResult, fast_parse
from feeds.watch.parse import parse_with_feedparser, try_fast_parse
from tests.cli_watch_helpers import run

URL = "https://eu.example.org/feed"
DC = 'xmlns:dc="http://purl.org/dc/elements/1.1/"'

ATOM = (
    '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom" xml:lang="en">'
    "<title>EU</title><id>urn:eu</id><updated>2026-11-30T10:00:00Z</updated>"
    '<entry xml:lang="fr"><id>urn:1</id><title>Le ministre se rendra à Moscou</title>'
    "<summary>Visite officielle.</summary><updated>2026-11-30T10:00:00Z</updated></entry>"
    "<entry><id>urn:2</id><title>Minister to visit Moscow</title><updated>2026-11-30T10:00:00Z</updated></entry>"
    '<entry><id>urn:3</id><title xml:lang="de_DE">Minister reist nach Moskau</title>'
    "<updated>2026-11-30T10:00:00Z</updated></entry></feed>"
).encode()


def rss(items: str, *, root: str = "", channel: str = "<language>en</language>") -> bytes:
    return (
        f'<?xml version="1.0" encoding="utf-8"?><rss version="2.0" {DC} {root}><channel><title>EU</title>'
        f"<link>https://eu.example.org/</link><description>d</description>{channel}{items}</channel></rss>"
    ).encode()


def item(n: int, title: str, attrs: str = "", inside: str = "") -> str:
    return f"<item {attrs}><title>{title}</title><link>https://eu.example.org/{n}</link>{inside}</item>"


MIXED = rss(
    item(1, "Minister to visit Moscow")
    + item(2, "Le ministre se rendra à Moscou", 'xml:lang="fr"')
    + item(3, "Глава МИД посетит Москву", inside="<dc:language>ru</dc:language>")
    + item(4, "Visita a Mosca", inside="<dc:language>Italian</dc:language>")  # no tag: the feed's
)


@pytest.mark.parametrize(
    ("body", "languages"),
    [
        (ATOM, ["fr", "en", "de-DE"]),
        (MIXED, ["en", "fr", "ru", "en"]),
        # the root's xml:lang is inherited by every item: not theirs, the channel's <language> says which it is
        (rss(item(1, "Moskau"), root='xml:lang="en"', channel="<language>de</language>"), ["de"]),
        (rss(item(1, "Moskau", 'xml:lang="de"'), root='xml:lang="en"', channel="<language>en</language>"), ["de"]),
        # an entry that says it has none known (xml:lang="") keeps the feed's
        (rss(item(1, "Moscow", 'xml:lang=""'), root='xml:lang="en"', channel=""), ["en"]),
    ],
)
def test_an_entrys_own_language_is_its_items_on_both_paths(body, languages):
    fast = try_fast_parse(body, url=URL)
    assert not isinstance(fast, str), fast
    assert [i.language for i in fast.items] == languages
    assert [i.language for i in parse_with_feedparser(body, url=URL).items] == languages


@pytest.mark.parametrize("body", [ATOM, MIXED])
def test_the_fast_path_gives_the_language_of_each_text_as_feedparser_does(body):
    """feedparser gives the `xml:lang` in force with each text construct (`title_detail["language"]`); the fast
    path replays it (tests/test_watch_parse.py compares the two on the corpus and the conformance suite)."""
    headers = {"content-type": "application/xml", "content-location": URL}
    fast = fast_parse(body, headers=headers)
    assert isinstance(fast, FastResult)
    reference = feedparser.parse(io.BytesIO(body), response_headers=headers, sanitize_html=False)

    def languages(entries):
        return [
            (dict.get(e, "language"), *(e.get(k, {}).get("language") for k in ("title_detail", "summary_detail")))
            for e in entries
        ]

    assert languages(fast.entries) == languages(reference["entries"])
    assert fast.feed["title_detail"]["language"] == reference["feed"]["title_detail"]["language"]


def test_a_polled_multilingual_feed_gives_each_match_its_entrys_language(config, httpserver):
    httpserver.expect_request("/eu.xml").respond_with_data(MIXED, content_type="application/rss+xml")
    assert run(config, "watch", "add", httpserver.url_for("/eu.xml")).exit_code == 0
    for word in ("Moscow", "Moscou", "Москв*", "Mosca"):
        assert run(config, "keywords", "add", word, "--name", word).exit_code == 0
    assert run(config, "watch", "poll").exit_code == 0
    found = {m["title"]: m["language"] for m in json.loads(run(config, "matches", "list", "--json").stdout)}
    assert found == {
        "Minister to visit Moscow": "en",
        "Le ministre se rendra à Moscou": "fr",
        "Глава МИД посетит Москву": "ru",
        "Visita a Mosca": "en",
    }
