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
