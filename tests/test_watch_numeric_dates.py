"""Item dates written in figures only (`01.12.2026 10:00`, `1/12/2026`, `12/01/2026 10:00 PM`, `01-12-2026`,
`2026/12/01 10:00:00`) are read as written. feedparser read none of the day-first or month-first ones (the item
was dated when first seen) and misread others with its ISO 8601 reader, which reads the start of a string:
`01-12-2026` was 2001-12-20 (and `31-12-2026` 2031), `2026/12/01 10:00` lost its time.

Which figure is the day: year-first is year, month, day; a dotted date is day-first; a slashed or dashed one is
month-first for a month-first locale (en-US, the US territories, the Philippines), day-first for any other
language; a value impossible one way (13/12) is read the other way, and so are the feed's other dates, when its
own impossible ones all point one way. An ambiguous one with no language (or just `en`) and no such evidence is
none: the item is dated when first seen, as before."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import feedparser
import pytest

from feeds.watch import numericdates
from feeds.watch.parse import parse_feed, parse_with_feedparser, try_fast_parse
from tests.cli_watch_helpers import polled_matches, run

URL = "https://news.example.org/feed"


def rss(*dates: str, language: str | None = None, item_language: str | None = None) -> bytes:
    lang = f"<language>{language}</language>" if language else ""
    own = f"<dc:language>{item_language}</dc:language>" if item_language else ""
    items = "".join(
        f"<item><title>t{i}</title><link>https://news.example.org/{i}</link>{own}<pubDate>{d}</pubDate></item>"
        for i, d in enumerate(dates)
    )
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0" xmlns:dc="http://purl.org/dc/elements/1.1/">'
        f"<channel><title>D</title><link>https://news.example.org/</link><description>d</description>{lang}"
        f"{items}</channel></rss>"
    ).encode()


def dates(body: bytes) -> list[datetime | None]:
    """The items' dates, the same on the fast path and feedparser's (asserted)."""
    fast = try_fast_parse(body, url=URL)
    assert not isinstance(fast, str), fast
    slow = parse_with_feedparser(body, url=URL)
    assert [it.published for it in fast.items] == [it.published for it in slow.items]
    return [it.published for it in fast.items]


def read(written: str, language: str | None = None, item_language: str | None = None) -> datetime | None:
    (when,) = dates(rss(written, language=language, item_language=item_language))
    return when


TEN = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
DAY = datetime(2026, 12, 1, tzinfo=UTC)
JAN = datetime(2026, 1, 12, 10, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("written", "language", "expected"),
    [
        # dotted: day-first, whatever the language (German, Russian, Polish, Czech…)
        ("01.12.2026 10:00", None, TEN),
        ("01.12.2026", None, DAY),
        ("1.12.2026 10:00:00", "de", TEN),
        ("01.12.2026 10:00", "en-US", TEN),
        ("01.12.2026, 13:00 MSK", "ru", TEN),  # the zone by its name, as `localdates` reads one
        ("01.12.2026 11:00 +0100", None, TEN),
        ("01.12.2026 10:00 Uhr", "de", TEN),
        # slashed or dashed: day-first but for a month-first locale
        ("1/12/2026 10:00", "en-GB", TEN),
        ("01/12/2026", "fr", DAY),
        ("1/12/2026 10:00", "en-US", JAN),
        ("12/01/2026 10:00:00 PM", "en-us", datetime(2026, 12, 1, 22, 0, tzinfo=UTC)),
        ("12/1/2026 10:00 AM", "en_US", TEN),
        ("12/1/2026 10:00", "fil-PH", TEN),
        # impossible one way: read the other, whatever the language
        ("13/12/2026", "en-US", datetime(2026, 12, 13, tzinfo=UTC)),
        ("12/13/2026", "en-GB", datetime(2026, 12, 13, tzinfo=UTC)),
        ("12/13/2026", None, datetime(2026, 12, 13, tzinfo=UTC)),
        ("05/05/2026", None, datetime(2026, 5, 5, tzinfo=UTC)),  # the same either way
        # year-first: year, month, day
        ("2026/12/01", None, DAY),  # (as feedparser read it)
        ("1-12-2026", "nl", DAY),
        # ambiguous with no language, or just `en` (British or American?): none, dated when first seen
        ("01/12/2026 10:00", None, None),
        ("01/12/2026", "en", None),
        # not wholly a date: none, never a part of it
        ("32.12.2026", "de", None),
        ("01.13.2026 10:00", None, datetime(2026, 1, 13, 10, 0, tzinfo=UTC)),
        ("13/13/2026", None, None),
        ("01.12.2026 25:00", None, None),
        ("01.12.26", "de", None),  # a two-digit year: which century is a guess
        ("01.12.2026 10:00 heure", None, None),
        ("01/12-2026", "fr", None),  # two separators
        ("01.12.2026 10:00 XYZ", None, None),
    ],
)
def test_a_date_written_in_figures_is_read_as_written(written, language, expected):
    assert read(written, language) == expected


@pytest.mark.parametrize(
    ("written", "language", "expected"),
    [
        ("01-12-2026", "nl", DAY),  # feedparser: 2001-12-20
        ("01-12-2026 10:00", "de-DE", TEN),
        ("12-01-2026 05:00 -0500", "en-US", TEN),  # feedparser: 2012-01-20
        ("31-12-2026", None, datetime(2026, 12, 31, tzinfo=UTC)),  # feedparser: 2031-12-20
        ("01-12-2026", None, None),  # ambiguous: none rather than feedparser's 2001-12-20
        ("2026/12/01 10:00:00", None, TEN),  # feedparser: 2026-12-01 00:00, the time lost
        ("2026/12/01 10:00:00", "en-US", TEN),
        ("2026.12.01 10:00", "de", TEN),
        ("2026/12/01T10:00:00Z", None, TEN),
        ("2026/12/01 19:00 +0900", "ja", TEN),
        ("2020/1/10 14:33:00", "zh-cn", datetime(2020, 1, 10, 14, 33, tzinfo=UTC)),  # feedparser: 2020-12-01
    ],
)
def test_a_date_in_figures_feedparser_misreads_is_read_as_written(written, language, expected):
    assert read(written, language) == expected


@pytest.mark.parametrize(
    ("written", "language", "expected"),
    [
        ("\u200f01/12/2026", "ar", DAY),  # a right-to-left site's mark before the figures
        ("\u200f01/12/2026 10:00\u200f", "he", TEN),
        ("\u200e01.12.2026\u200e \u200e10:00", None, TEN),
        ("\u061c1/12/2026 10:00", "ar-EG", TEN),  # Arabic's own mark
        ("\u2067\u200f12/1/2026 10:00\u2069", "en-US", TEN),  # an isolate around it
        ("\u200f01/12/2026", None, None),  # ambiguous, no language: none, as without the mark
        ("\u200f24 Nov 2026", None, datetime(2026, 11, 24, tzinfo=UTC)),  # not in figures: read as before
    ],
)
def test_direction_marks_around_figures_are_no_part_of_the_date(written, language, expected):
    """Arabic and Hebrew sites write U+200F (or U+200E, U+061C, an isolate) around figures: such a date was
    sent to the reader of dates in other scripts, which reads no figures, and was none."""
    assert read(written, language) == expected


def test_feedparser_itself_still_misreads_them():
    """Why a date wholly in figures is read here even when feedparser gives one: its ISO 8601 reader reads the
    start of the string. (When a feedparser release reads them right, this test says so.)"""
    for written, start in [("01-12-2026", (2001, 12, 20, 0)), ("2026/12/01 10:00:00", (2026, 12, 1, 0))]:
        assert tuple(feedparser.parse(rss(written)).entries[0].published_parsed[:4]) == start


def test_the_items_language_decides_before_its_feeds():
    assert read("1/12/2026 10:00", "en-GB", item_language="en-US") == JAN
    assert read("1/12/2026 10:00", "en-US", item_language="de") == TEN


@pytest.mark.parametrize(
    ("others", "language", "expected"),
    [
        (["13/11/2026"], None, TEN),  # the feed writes day-first
        (["11/13/2026"], None, JAN),  # month-first
        (["11/13/2026"], "en-GB", JAN),  # its own dates say more than its language
        (["13/11/2026"], "en-US", TEN),  # (WordPress says en-US of every site it does not know)
        (["13/11/2026", "11/13/2026"], None, None),  # they disagree: no evidence, none
        (["13/11/2026", "11/13/2026"], "en-US", JAN),  # …and the language decides
        (["13.11.2026"], None, None),  # a dotted date is day-first anyway: it says nothing of slashed ones
    ],
)
def test_the_feeds_own_unambiguous_dates_decide_an_ambiguous_one(others, language, expected):
    assert dates(rss("01/12/2026 10:00", *others, language=language))[0] == expected


def test_a_date_feedparser_reads_whole_never_reaches_the_reader(monkeypatch):
    """feedparser stays the reader of RFC 822 and ISO 8601 dates: the numeric reader is asked only about a date
    wholly in figures."""
    calls: list[str] = []
    real = numericdates.numeric_date
    monkeypatch.setattr(numericdates, "numeric_date", lambda s, o: calls.append(s) or real(s, o))
    assert read("Tue, 01 Dec 2026 10:00:00 GMT") == TEN
    assert read("2026-12-01T10:00:00Z") == TEN
    assert read("2026-12-01 10:00") == TEN
    assert read("Di, 01 Dez 2026 11:00:00 +0100") == TEN
    assert calls == []
    assert read("01.12.2026 10:00") == TEN
    assert calls == ["01.12.2026 10:00"] * 2


def test_a_date_ahead_is_dated_when_seen_as_any_other(config, httpserver, clock):
    """The store's rule for dates ahead of the check holds for these too: dated when first seen, and noted."""
    ahead = (clock() + timedelta(days=30)).strftime("%d.%m.%Y %H:%M")
    body = rss(ahead, "24.11.2026 10:00", language="de").replace(b">t0<", b">Moskau<").replace(b">t1<", b">Moskau<")
    found = {
        m["link"]: m["published"]
        for m in polled_matches(config, httpserver, "/de.xml", body, "application/rss+xml", "Moskau")
    }
    assert found == {
        "https://news.example.org/0": clock().strftime("%Y-%m-%dT%H:%M:%SZ"),
        "https://news.example.org/1": "2026-11-24T10:00:00Z",
    }
    (feed,) = json.loads(run(config, "watch", "list", "--json").stdout)
    assert "1 item(s) dated ahead of the check" in feed["health"]["parse_warning"]


def test_the_corpus_dates_read_before_are_unchanged_but_feedparsers_misreadings(corpus_feeds, monkeypatch):
    """Over every corpus feed: each item's dates as read with the numeric reader and without it (the dates of
    before) are the same wherever one was read before, but for the 20 items of a Chinese forum that writes
    `2020/1/10 14:33:00`, which feedparser misread as 2020-12-01 (midnight): they are dated as written."""
    with_reader = _corpus_dates(corpus_feeds)
    monkeypatch.setattr(numericdates, "is_numeric", lambda text: False)
    before = _corpus_dates(corpus_feeds)
    assert with_reader.keys() == before.keys()
    read_before = {k: v for k, v in before.items() if v != (None, None)}
    assert len(read_before) > 1000, "the corpus is no longer the one these figures were taken from"
    changed = {k: (before[k][0], with_reader[k][0]) for k in read_before if with_reader[k] != before[k]}
    assert {name for name, _ in changed} == {"forum-kc0011-gb18030.xml"} and len(changed) == 20
    for was, now in changed.values():
        assert was == datetime(2020, 12, 1, tzinfo=UTC) and now is not None and now.date() == date(2020, 1, 10)
    assert all(with_reader[k] == (None, None) for k in before if k not in read_before), "none newly dated"


def _corpus_dates(folder) -> dict[tuple[str, str], tuple[datetime | None, datetime | None]]:
    found = {}
    for path in sorted(folder.iterdir()):
        if path.name == "MANIFEST.tsv" or not path.is_file():
            continue
        try:
            parsed = parse_feed(path.read_bytes(), url=f"https://corpus.example.org/{path.name}")
        except Exception:  # (a corpus file that is no feed is tests/test_watch_parse.py's business)
            continue
        for it in parsed.items:
            found[path.name, it.key] = (it.published, it.updated)
    return found
