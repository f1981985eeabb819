"""The site's own zone's names for its time ("AEST", "AEDT" in Sydney; "IST" in Kolkata and Dublin's summer), on the
nights the clocks change: the name says which reading of a repeated wall time is meant."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from feeds.config import Site, TopicSettings
from feeds.ingest.formats import parse_release_file
from feeds.normalise import normalise_release
from feeds.normalise.dates import parse_date

SYDNEY = ZoneInfo("Australia/Sydney")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # 5 April 2026, 03:00 AEDT → 02:00 AEST: 02:30 happens twice, and its name says which
        ("5 April 2026 02:30 AEDT", utc(2026, 4, 4, 15, 30)),
        ("5 April 2026 02:30 AEST", utc(2026, 4, 4, 16, 30)),  # (was refused: "unknown time zone 'AEST'")
        ("2026-04-05 02:30 AEST", utc(2026, 4, 4, 16, 30)),
        ("Sun, 05 Apr 2026 02:30:00 AEST", utc(2026, 4, 4, 16, 30)),
    ],
)
def test_the_sites_zone_name_picks_the_reading_of_a_repeated_time(value: str, expected: datetime) -> None:
    assert parse_date(value, SYDNEY) == expected
    assert parse_date(value, SYDNEY, latest=True) == expected


def test_what_the_warning_says_to_write_is_read() -> None:
    """The warning for a dateline in the repeated hour said "write 02:30 AEST for the second"; doing so was refused."""
    site = Site(
        title="H", base_url="https://press.example.org/", author="H", language="en-AU", timezone="Australia/Sydney"
    )

    def release(dateline: str):
        text = f"Ferry timetable\n\nSYDNEY, 5 April 2026 {dateline} – The new timetable starts today.\n"
        (raw,) = parse_release_file(text.encode(), "f.txt", source="inbox", origin="/srv/inbox/f.txt")
        return normalise_release(raw, site, TopicSettings(), utc(2026, 4, 10))

    guessed = release("02:30")
    assert guessed.published == utc(2026, 4, 4, 15, 30)
    assert guessed.ingest_warning is not None and "write 02:30 AEST for the second" in guessed.ingest_warning
    said = release("02:30 AEST")
    assert (said.published, said.ingest_warning) == (utc(2026, 4, 4, 16, 30), None)


def test_a_name_the_zone_does_not_use_that_day_is_still_refused() -> None:
    with pytest.raises(ValueError, match="unknown time zone 'AEDT'"):
        parse_date("1 July 2026 10:00 AEDT", SYDNEY)
