"""A date written as RFC 3339 in UTC to the second (`2026-11-02T09:30:00Z`) is read by a short path of its own
(`dates._utc_stamp`): it must read every such string as the general path does, and leave it every other one."""

from __future__ import annotations

import random
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from feeds.normalise import dates
from feeds.normalise.dates import parse_date

LONDON = ZoneInfo("Europe/London")


def general(value: str, tz: ZoneInfo, *, latest: bool = False):
    """What the general path makes of `value` (the same instant spelled `+00:00`, which the short path never takes)."""
    return parse_date(value[:-1] + "+00:00", tz, latest=latest)


def stamps(count: int) -> list[str]:
    rng = random.Random(20261201)
    out = []
    for _ in range(count):
        y = rng.choice([1899, 1900, 1970, 2000, 2024, 2026, 2199, 2200, rng.randint(1900, 2199)])
        mo, d = rng.randint(0, 13), rng.randint(0, 32)
        h, mi, s = rng.choice([0, 1, 12, 23, 24]), rng.choice([0, 30, 59, 60]), rng.choice([0, 59, 60])
        out.append(f"{y:04d}-{mo:02d}-{d:02d}T{h:02d}:{mi:02d}:{s:02d}Z")
    return [*out, "2026-03-29T01:30:00Z", "2026-10-25T01:30:00Z", "2024-02-29T12:00:00Z", "2026-12-31T24:00:00Z"]


@pytest.mark.parametrize("tz", [LONDON, ZoneInfo("UTC"), ZoneInfo("Pacific/Kiritimati")])
def test_every_utc_stamp_reads_as_the_general_path_reads_it(tz):
    for value in stamps(3000):
        for latest in (False, True):
            try:
                expected = general(value, tz, latest=latest)
            except ValueError as e:
                with pytest.raises(ValueError) as got:
                    parse_date(value, tz, latest=latest)
                assert str(got.value).replace("Z'", "+00:00'") == str(e) or value in str(got.value), value
                continue
            got_value = parse_date(value, tz, latest=latest)
            assert got_value == expected and got_value.tzinfo == expected.tzinfo, value
            assert got_value.utcoffset() == expected.utcoffset()


def test_the_short_path_takes_only_utc_stamps_to_the_second_in_a_year_of_ours():
    taken = ["2026-11-02T09:30:00Z", "1900-01-01T00:00:00Z", "2199-12-31T23:59:59Z"]
    left = [
        "2026-11-02T09:30:00z",  # (the general path reads these; the short one leaves them to it)
        "2026-11-02t09:30:00Z",
        "2026-11-02 09:30:00Z",
        "2026-11-02T09:30Z",
        "2026-11-02T09:30:00.5Z",
        "2026-11-02T09:30:00+00:00",
        "1899-12-31T23:59:59Z",
        "2200-01-01T00:00:00Z",
        "0999-01-01T00:00:00Z",
        "2026-11-02T24:00:00Z",
        "2026-02-30T09:30:00Z",
        "2026-11-02T09:30:60Z",
        "２０２６-11-02T09:30:00Z",  # (fullwidth digits: never the short path's)
        " 2026-11-02T09:30:00Z",
    ]
    assert all(dates._utc_stamp(v) is not None for v in taken)
    assert [v for v in left if dates._utc_stamp(v) is not None] == []
    for value in left[:5]:  # still read, by the general path
        assert parse_date(value, LONDON) is not None


@pytest.mark.parametrize("tz", [LONDON, ZoneInfo("America/New_York"), ZoneInfo("Pacific/Kiritimati")])
def test_a_utc_stamp_is_read_as_the_same_datetime_and_never_a_clock_change_guess(tz):
    """The short path's datetime is the one six `int`s made (its zone the `UTC` object itself), and a stamp, which
    names its zone, is no guess: what the offsets a day either side and both readings say (`_other_reading`), also
    for the hours the clocks go back and forward."""
    nights = [
        f"2026-{m}-{d}T{h}:30:00Z"
        for m, d in (("03", "08"), ("03", "29"), ("10", "25"), ("11", "01"))
        for h in ("00", "01", "02", "05", "06", "07")
    ]
    for value in [*stamps(2000), *nights]:
        try:
            when = parse_date(value, tz)
        except ValueError:
            continue
        if dates._utc_stamp(value) is not None:
            six = [int(value[a:b]) for a, b in ((0, 4), (5, 7), (8, 10), (11, 13), (14, 16), (17, 19))]
            assert when == datetime(*six, tzinfo=UTC) and when.tzinfo is UTC, value
        for latest in (False, True):
            read = parse_date(value, tz, latest=latest)
            assert dates.clock_change_guess(value, tz, read) is None
            assert dates._other_reading(value, tz, read) is None, value
            assert dates.clock_change_guess(value[:-1] + "+00:00", tz, read) is None, value
