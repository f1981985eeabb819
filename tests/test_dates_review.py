"""Dating review: times written with am/pm after a named month, 24:00, and the clock changes in every office's zone."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from feeds.normalise.dates import parse_date

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
KOLKATA = ZoneInfo("Asia/Kolkata")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("value", "tz", "expected"),
    [
        # "am"/"pm" after the time, in a date with its month's name: not a zone (read as one, it was refused as
        # "unknown time zone 'am'", and a dateline so written left its release dated at its ingest)
        ("8 March 2026 2:30am", NEW_YORK, utc(2026, 3, 8, 7, 30)),  # the clocks' gap: the offset before (EST)
        ("1 November 2026 1:30 pm", LONDON, utc(2026, 11, 1, 13, 30)),
        ("Sunday 1 November 2026 1:30pm", KOLKATA, utc(2026, 11, 1, 8, 0)),
        ("25 Oct 2026 1:30am", LONDON, utc(2026, 10, 25, 0, 30)),  # twice that night: the first (BST)
        ("1 Nov 2026 10:00 a.m.", NEW_YORK, utc(2026, 11, 1, 15)),
    ],
)
def test_am_pm_after_a_named_month_is_the_time_of_day(value: str, tz: ZoneInfo, expected: datetime) -> None:
    assert parse_date(value, tz) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # 24:00 is the end of the day written (ISO 8601-1:2019 §5.3.2), the start of the next: not ambiguous as
        # "midnight" is. Here the next day is the one the clocks go forward (London, 29 March 2026).
        ("2026-03-28T24:00:00", utc(2026, 3, 29, 0, 0)),
        ("2026-03-28T24:00", utc(2026, 3, 29, 0, 0)),
        ("2026-06-30T24:00:00Z", utc(2026, 7, 1, 0, 0)),
        ("24:00 Saturday 28 March 2026", utc(2026, 3, 29, 0, 0)),  # the weekday is the day written's
        ("31 December 2026 24:00 BST", None),  # BST is not kept in December: refused as for 23:00 BST
        ("30 June 2026 24.00", utc(2026, 6, 30, 23, 0)),
    ],
)
def test_24_00_is_the_end_of_the_day_written(value: str, expected: datetime | None) -> None:
    if expected is None:
        with pytest.raises(ValueError, match="BST was not in force"):
            parse_date(value, LONDON)
    else:
        assert parse_date(value, LONDON) == expected


@pytest.mark.parametrize("value", ["2026-03-28T24:30:00", "2026-03-28T24:00:01", "28 March 2026 24:01"])
def test_24_with_minutes_or_seconds_is_no_time(value: str) -> None:
    with pytest.raises(ValueError, match=r"hour must be in 0\.\.23"):
        parse_date(value, LONDON)


def test_24_00_with_a_weekday_of_the_next_day_is_refused() -> None:
    with pytest.raises(ValueError, match="names Sunday, but 28 March 2026 is a Saturday"):
        parse_date("24:00 Sunday 28 March 2026", LONDON)
