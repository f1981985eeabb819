"""The names of time zones a press release may give ("10:00 GMT", "00:01 BST 3 December"), and the errors of a
date that is read but not sure: a weekday not the date's (`WeekdayError`), a summer time out of its season
(`SeasonError`), a zone's name we do not read (`ZoneNameError`). Used by `feeds.normalise.dates` alone, which
re-exports the errors.

What this module must not do: guess a zone from the machine it runs on, or read a name that is several zones'
("IST") anywhere but where the site's own zone calls its time so.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

__all__ = ["SUMMER", "ZONES", "SeasonError", "WeekdayError", "ZoneNameError", "in_season", "own_zone", "zone_of"]

_HOUR = 3600

# Zone names we understand. RFC 822 §5.1 defines UT/GMT and the North American zones; BST and the Central
# European names are what UK press offices actually write. Anything else is refused rather than guessed
# (IST, for one, is Irish, Indian or Israeli depending on who wrote it).
ZONES: dict[str, int] = {
    "UT": 0,
    "UTC": 0,
    "GMT": 0,
    "Z": 0,
    "BST": 1 * _HOUR,
    "CET": 1 * _HOUR,
    "CEST": 2 * _HOUR,
    "EST": -5 * _HOUR,
    "EDT": -4 * _HOUR,
    "CST": -6 * _HOUR,
    "CDT": -5 * _HOUR,
    "MST": -7 * _HOUR,
    "MDT": -6 * _HOUR,
    "PST": -8 * _HOUR,
    "PDT": -7 * _HOUR,
}

# The summer-time names, with the zone whose summer they name and what that zone's clocks say the rest of the year.
# A summer name on a date outside its summer ("00:01 BST 3 December", copied from a summer template) is refused:
# read as written, the embargo would lift an hour early, on the day before the one written. (A standard name in
# summer, "00:01 GMT 3 June", is read as written: software writes GMT all year, and it is never early.)
SUMMER: dict[str, tuple[ZoneInfo, str]] = {
    "BST": (ZoneInfo("Europe/London"), "GMT"),
    "CEST": (ZoneInfo("Europe/Paris"), "CET"),
    "EDT": (ZoneInfo("America/New_York"), "EST"),
    "CDT": (ZoneInfo("America/Chicago"), "CST"),
    "MDT": (ZoneInfo("America/Denver"), "MST"),
    "PDT": (ZoneInfo("America/Los_Angeles"), "PST"),
}


class WeekdayError(ValueError):
    """A date whose weekday is not the weekday of its day, month and year: `when` is the date they give (for a
    caller that may leave such a date alone where it only informs, as a dateline under a date given elsewhere)."""

    def __init__(self, message: str, when: datetime):
        super().__init__(message)
        self.when = when


class SeasonError(WeekdayError):
    """A summer time named on a date outside its summer ("00:01 BST 3 December"): the zone contradicts the date as a
    wrong weekday does, and is treated alike (`when` is the time as written, at the zone's offset)."""


class ZoneNameError(WeekdayError):
    """A zone's name we do not read ("IST" where the site's zone is not Indian, Irish or Israeli that day): the time is
    not sure, as with a wrong weekday, and is treated alike (`when` is the time as written, in the site's zone)."""


def zone_of(name: str | None, offset: int | None) -> tzinfo | None:
    """dateutil's hook for every zone it finds: known names and numeric offsets, never the local zone. Another name
    is marked (`?IST`) for `own_zone` to read as the site's own zone's, or refuse, once the date is known."""
    if name is None:
        return None if offset is None else timezone(timedelta(seconds=offset))
    upper = name.upper()
    if upper in ZONES and offset in (None, ZONES[upper]):  # (dateutil gives GMT and UTC an offset of 0)
        return timezone(timedelta(seconds=ZONES[upper]), upper)
    if offset is None:
        return timezone(timedelta(0), f"?{upper}")
    raise unknown_zone(name)


def own_zone(written: datetime, name: str, tz: ZoneInfo, fold: int) -> datetime:
    """`written` (naive) in the site's zone `tz`, when `name` is what `tz` calls its time that day: "IST" in
    Asia/Kolkata, or in Dublin's summer, is not ambiguous there. In the hour the clocks repeat, the name says which
    reading ("02:30 AEST 5 April 2026" in Sydney is the second, as "02:30 AEDT" is the first); `fold` is the reading
    tried first. Else the refusal of a name we do not read."""
    for reading in (fold, 1 - fold):
        local = written.replace(tzinfo=tz, fold=reading)
        if local.tzname() == name.upper():
            return local.astimezone(UTC)
    raise ZoneNameError(str(unknown_zone(name)), written.replace(tzinfo=tz, fold=fold).astimezone(UTC))


def unknown_zone(name: str) -> ValueError:
    """The refusal of a zone's name we do not read, saying what to write instead (IST, the one most often met, is
    three zones' name: the office in Kolkata, Dublin or Tel Aviv must say which, by its offset)."""
    instead = "write its offset instead (as 10:00 +05:30), or no zone for the site's own time (site.timezone)"
    if name.upper() == "IST":
        return ValueError(
            f"{name!r} is Indian, Irish or Israeli time: write its offset (+05:30, +01:00 or +02:00)"
            " instead, or no zone for the site's own time (site.timezone)"
        )
    return ValueError(f"unknown time zone {name!r}: {instead}")


def in_season(written: datetime, name: str) -> datetime:
    """`written` (its wall time) in the zone called `name`, in UTC, if that zone's clocks showed it: a summer name
    (BST) on a date of its winter is refused, naming the time the clocks kept that day."""
    when = written.replace(tzinfo=timezone(timedelta(seconds=ZONES[name]))).astimezone(UTC)
    season = SUMMER.get(name)
    if season is not None and when.astimezone(season[0]).utcoffset() != timedelta(seconds=ZONES[name]):
        raise SeasonError(
            f"{written:%H:%M} {name} on {written.day} {written:%B %Y} is no time the clocks showed: {name} was "
            f"not in force, the clocks kept {season[1]}; write {season[1]}, or leave the zone out for the local time",
            when,
        )
    return when
