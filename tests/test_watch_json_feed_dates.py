"""A JSON Feed item's `date_published` and `date_modified` are read as an RSS or Atom item's dates are, not as
RFC 3339 only: hand-rolled generators write `2026-12-01 10:00:00`, RFC 822 dates (from code that also writes their
RSS), month names in the site's language, dates in figures, or a number of Unix seconds. Such an item was dated
when first seen. A zone-less time is UTC, a placeholder date (before `EARLIEST_ITEM_DATE`) is none, and a number
is Unix seconds only within 1995–2100 (milliseconds are none, not a date 1,000 times later)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import pytest

from feeds.watch.parse import parse_feed
from tests.cli_watch_helpers import polled_matches

URL = "https://news.example.org/feed.json"
TEN = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
DAY = datetime(2026, 12, 1, tzinfo=UTC)
JAN = datetime(2026, 1, 12, 10, 0, tzinfo=UTC)
TEN_SECONDS = 1796119200  # (2026-12-01T10:00:00Z as Unix seconds)


def json_feed(*items: dict[str, Any], language: str | None = None) -> bytes:
    doc: dict[str, Any] = {"version": "https://jsonfeed.org/version/1.1", "title": "J", "items": list(items)}
    if language is not None:
        doc["language"] = language
    return json.dumps(doc).encode()


def published(*written: object, language: str | None = None) -> list[datetime | None]:
    items = [{"id": str(i), "title": f"t{i}", "date_published": w} for i, w in enumerate(written)]
    return [it.published for it in parse_feed(json_feed(*items, language=language), url=URL).items]


@pytest.mark.parametrize(
    ("written", "language", "expected"),
    [
        # RFC 3339, the spec's form, as before (a fraction kept)
        ("2026-12-01T10:00:00Z", None, TEN),
        ("2026-12-01T11:00:00+01:00", None, TEN),
        ("2026-12-01T10:00:00.250Z", None, TEN.replace(microsecond=250_000)),
        # ISO 8601 without a zone, a space for the T, a day alone: UTC, as a zone-less date is everywhere
        ("2026-12-01T10:00:00", None, TEN),
        ("2026-12-01 10:00:00", None, TEN),
        (" 2026-12-01 10:00 ", None, TEN),
        ("2026-12-01", None, DAY),
        # RFC 822, from code that reused its RSS writer
        ("Tue, 01 Dec 2026 10:00:00 GMT", None, TEN),
        ("Tue, 01 Dec 2026 11:00:00 +0100", None, TEN),
        ("Tue, 01 Dec 2026 10:00:00", None, TEN),
        ("01 Dec 2026 10:00 UT", None, TEN),
        # month names in the site's language (`localdates`, `foreigndates`)
        ("Di, 01 Dez 2026 11:00:00 +0100", "de", TEN),
        ("1er décembre 2026 à 10h00", "fr", TEN),
        ("01 декабря 2026, 13:00 MSK", "ru", TEN),
        ("2026年12月01日 18:00", "zh", TEN),
        # in figures (`numericdates`), in the feed's `language`'s order when ambiguous
        ("01.12.2026 10:00", None, TEN),
        ("1/12/2026 10:00", "fr", TEN),
        ("1/12/2026 10:00", "en-US", JAN),
        ("01/12/2026 10:00", None, None),  # ambiguous, no language: none rather than a guess
        ("\u200f01/12/2026 10:00", "ar", TEN),  # a right-to-left site's direction mark is no part of it
        # Unix seconds, a JSON number
        (TEN_SECONDS, None, TEN),
        (TEN_SECONDS + 0.5, None, TEN.replace(microsecond=500_000)),
        (TEN_SECONDS * 1000, None, None),  # milliseconds (JavaScript's Date.now()): none, not year 58,900
        (0, None, None),  # the epoch: a placeholder
        (-1, None, None),
        (500_000_000, None, None),  # 1985: before any web feed
        (5_000_000_000, None, None),  # 2128: no news item's date
        (True, None, None),
        (1e400, None, None),  # (JSON's way of writing infinity to Python)
        # placeholders and non-dates: none
        ("1970-01-01T00:00:00Z", None, None),
        ("0001-01-01T00:00:00Z", None, None),
        ("Thu, 01 Jan 1970 00:00:00 GMT", None, None),
        ("yesterday", None, None),
        ("", None, None),
        (None, None, None),
        ({"date": "2026-12-01"}, None, None),
    ],
)
def test_a_json_feed_date_is_read_as_an_rss_or_atom_one_is(written, language, expected):
    assert published(written, language=language) == [expected]


def test_date_modified_is_read_the_same_way():
    body = json_feed(
        {"id": "1", "date_published": "Tue, 01 Dec 2026 10:00:00 GMT", "date_modified": "2026-12-02 10:00:00"},
        {"id": "2", "date_published": TEN_SECONDS, "date_modified": "Mi, 02 Dez 2026 10:00:00 GMT"},
    )
    items = parse_feed(body, url=URL).items
    assert [(it.published, it.updated) for it in items] == [(TEN, TEN.replace(day=2))] * 2


def test_an_item_with_only_date_modified_is_dated_by_it_as_an_rss_item_with_only_updated_is():
    body = json_feed({"id": "1", "title": "t", "date_modified": "2026-12-01T10:00:00Z"})
    (item,) = parse_feed(body, url=URL).items
    assert (item.published, item.updated) == (TEN, TEN)
    rss = (
        b'<rss version="2.0"><channel><title>R</title><item><guid>1</guid><title>t</title>'
        b"<atom:updated xmlns:atom='http://www.w3.org/2005/Atom'>2026-12-01T10:00:00Z</atom:updated></item>"
        b"</channel></rss>"
    )
    (rss_item,) = parse_feed(rss, url="https://news.example.org/rss.xml").items
    assert (rss_item.published, rss_item.updated) == (TEN, TEN)


def test_the_items_language_decides_before_its_feeds():
    body = json_feed(
        {"id": "1", "date_published": "1/12/2026 10:00", "language": "en-US"},
        {"id": "2", "date_published": "1/12/2026 10:00"},
        language="en-GB",
    )
    assert [it.published for it in parse_feed(body, url=URL).items] == [JAN, TEN]


def test_the_feeds_own_unambiguous_dates_decide_an_ambiguous_one():
    assert published("01/12/2026 10:00", "13/11/2026") == [TEN, datetime(2026, 11, 13, tzinfo=UTC)]
    assert published("01/12/2026 10:00", "11/13/2026", language="en-GB") == [JAN, datetime(2026, 11, 13, tzinfo=UTC)]


def test_a_polled_json_feed_keeps_its_items_dates(config, httpserver, clock):
    """Through `feeds watch poll`: the dates a hand-rolled generator writes are the matches' dates, not the time
    of the poll (clock: 2026-11-28 12:00)."""
    body = json_feed(
        {"id": "a", "url": "https://news.example.org/a", "title": "Moskau a", "date_published": "2026-11-24 10:00:00"},
        {
            "id": "b",
            "url": "https://news.example.org/b",
            "title": "Moskau b",
            "date_published": "Mi, 25 Nov 2026 11:00:00 +0100",
        },
        {"id": "c", "url": "https://news.example.org/c", "title": "Moskau c", "date_published": 1795687200},
        {"id": "d", "url": "https://news.example.org/d", "title": "Moskau d", "date_published": 1795687200000},
        language="de",
    )
    found = {
        m["link"]: m["published"]
        for m in polled_matches(config, httpserver, "/feed.json", body, "application/feed+json", "Moskau")
    }
    assert found == {
        "https://news.example.org/a": "2026-11-24T10:00:00Z",
        "https://news.example.org/b": "2026-11-25T10:00:00Z",
        "https://news.example.org/c": "2026-11-26T10:00:00Z",
        "https://news.example.org/d": "2026-11-28T12:00:00Z",  # milliseconds: dated when first seen
    }


DIGITS = [
    # ISO 8601's basic form: a day (midnight UTC), a day and a time without the `T` (UTC)
    ("20261201", DAY),
    ("202612011000", TEN),
    ("20261201100000", TEN),
    (" 20261201 ", DAY),
    # nine or ten digits: Unix seconds, as the number is
    (str(TEN_SECONDS), TEN),
    ("999999999", datetime(2001, 9, 9, 1, 46, 39, tzinfo=UTC)),
    # what feedparser misread is none, the item dated when first seen: an impossible date (was 2027-01-01), a year
    # and month (was 2020-09-17), a year alone (was 1 January), a two-digit year (`numericdates` reads none either)
    ("20261301", None),
    ("20260230", None),
    ("202612312400", None),
    ("202612", None),
    ("2026", None),
    ("261201", None),
    # Unix seconds out of range, milliseconds: none, as the number is
    ("788918399", None),
    ("4102444800", None),
    (str(TEN_SECONDS * 1000), None),
    ("0", None),
]


@pytest.mark.parametrize(("written", "expected"), DIGITS)
def test_a_date_in_digits_alone_is_a_basic_iso_8601_date_or_unix_seconds_or_none(written, expected):
    """`"date_published": "1796119200"` (a Unix time sent as a string) was none, `"202612"` 2020-09-17 and
    `"20261301"` 2027-01-01 (feedparser's ISO 8601 reader); an RSS or Atom item's date the same."""
    assert published(written) == [expected]
    rss = (
        '<rss version="2.0"><channel><title>R</title><item><guid>1</guid><title>t</title>'
        f"<pubDate>{written}</pubDate></item></channel></rss>"
    ).encode()
    (item,) = parse_feed(rss, url="https://news.example.org/rss.xml").items
    assert item.published == expected


def test_a_polled_json_feed_dated_in_digits_keeps_the_dates_they_say(config, httpserver, clock):
    """Through `feeds watch poll` (clock: 2026-11-28 12:00): a Unix time as a string dates the match; a year and
    month (`202611`) dates it when first seen, not 2020-09-17."""
    body = json_feed(
        {"id": "a", "url": "https://news.example.org/a", "title": "Moskau a", "date_published": "1795687200"},
        {"id": "b", "url": "https://news.example.org/b", "title": "Moskau b", "date_published": "20261125"},
        {"id": "c", "url": "https://news.example.org/c", "title": "Moskau c", "date_published": "202611"},
    )
    found = {
        m["link"]: m["published"]
        for m in polled_matches(config, httpserver, "/feed.json", body, "application/feed+json", "Moskau")
    }
    assert found == {
        "https://news.example.org/a": "2026-11-26T10:00:00Z",
        "https://news.example.org/b": "2026-11-25T00:00:00Z",
        "https://news.example.org/c": "2026-11-28T12:00:00Z",  # dated when first seen
    }
