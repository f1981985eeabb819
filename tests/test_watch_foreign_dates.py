"""Item dates written in a language's own way (Chinese and Japanese `2026年11月30日 09:00`, Korean
`2026. 11. 30. 오전 9:00` and `2004-05-25 오후 11:23:17`, Hungarian month names) are read as written. feedparser's
generic ISO 8601 reader, tried before its Korean and Hungarian readers, took the year (or the day) from such a
string and the month and day from the machine's clock: an item of 30 November read on 1 December was dated
1 December, and one of last spring dated today, which made an archive's old item the coverage of today's release.

A date feedparser cannot read in full is none (the item is dated when first seen), never a part of it filled in
from today. Dates in ASCII are read as before, on both paths."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from tests.test_watch_localized_dates import published


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        # Chinese, and Japanese without kana: no zone written, read as China's (UTC+8: never before the true time)
        ("2026年11月30日 09:00", datetime(2026, 11, 30, 1, 0, tzinfo=UTC)),
        ("2026年11月30日 09:00:30", datetime(2026, 11, 30, 1, 0, 30, tzinfo=UTC)),
        ("2026年11月30日", datetime(2026, 11, 29, 16, 0, tzinfo=UTC)),
        ("2026年1月5日 下午3:20", datetime(2026, 1, 5, 7, 20, tzinfo=UTC)),
        ("2026年11月30日 午前9時05分", datetime(2026, 11, 30, 0, 5, tzinfo=UTC)),  # Japanese: Japan's (UTC+9)
        # Korean: Korea's time (UTC+9), as feedparser's Korean readers take it
        ("2026년 11월 30일 오후 3:20", datetime(2026, 11, 30, 6, 20, tzinfo=UTC)),
        ("2026. 11. 30. 오전 9:00", datetime(2026, 11, 30, 0, 0, tzinfo=UTC)),
        ("2004-05-25 오후 11:23:17", datetime(2004, 5, 25, 14, 23, 17, tzinfo=UTC)),
        # feedparser's own readers for Greek and Hungarian, which its ISO 8601 reader no longer cuts short
        ("Κυρ, 11 Ιούλ 2004 12:00:00 EST", datetime(2004, 7, 11, 17, 0, tzinfo=UTC)),
        ("2004-július-13T9:15-05:00", datetime(2004, 7, 13, 14, 15, tzinfo=UTC)),
        # a date none of them reads is none: the item is dated when first seen
        ("Вт, 01 дек 2026 08:01 по Москве", None),
        # month names (tests/test_watch_localized_dates.py)
        ("Вт, 01 дек 2026 08:01:00 +0300", datetime(2026, 12, 1, 5, 1, tzinfo=UTC)),
        # an ISO 8601 day, then words: that day (as feedparser read it), never a day taken from the clock
        ("2026-11-30 à 9h", datetime(2026, 11, 30, tzinfo=UTC)),
    ],
)
def test_a_date_written_in_its_languages_way_is_read_as_written(written, expected):
    assert published(written) == (expected, expected)


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("Mon, 30 Nov 2026 09:00:00 +0100", datetime(2026, 11, 30, 8, 0, tzinfo=UTC)),
        ("2026-11-30T09:00:00Z", datetime(2026, 11, 30, 9, 0, tzinfo=UTC)),
        ("2026-11-30 09:00:00", datetime(2026, 11, 30, 9, 0, tzinfo=UTC)),
    ],
)
def test_ascii_dates_are_read_as_before(written, expected):
    assert published(written) == (expected, expected)


def test_an_ascii_date_never_reaches_the_foreign_reader(monkeypatch):
    """The foreign reader is asked only for a date holding a character outside ASCII: what every English feed
    writes costs it nothing."""
    import feeds.watch.foreigndates as foreign

    calls: list[str] = []
    real = foreign.written_date
    monkeypatch.setattr(foreign, "written_date", lambda s: calls.append(s) or real(s))
    published("Mon, 30 Nov 2026 09:00:00 +0100")
    assert calls == []
    published("2026年11月30日 09:00")
    assert calls == ["2026年11月30日 09:00"] * 2


@pytest.mark.parametrize(
    "written",
    [
        "Mon,\u00a030 Nov 2026 09:00:00 GMT",  # a no-break space a CMS put in (as feedparser reads it: white space)
        "Mon, 30 Nov 2026 09:00:00\u00a0+0000",
        "\u3000Mon, 30 Nov 2026 09:00:00 GMT",  # an ideographic space
    ],
)
def test_an_english_date_with_other_white_space_is_read_as_feedparser_reads_it(written):
    assert published(written) == (datetime(2026, 11, 30, 9, 0, tzinfo=UTC),) * 2
