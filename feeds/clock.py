"""Time: the only place that reads the wall clock, and the date formats we speak.

Everything else receives `now` (a timezone-aware UTC datetime) as an argument, or a `Clock` to call once per
unit of work. Tests pass a `FixedClock`. Formatting helpers produce RFC 3339 (Atom, JSON) and RFC 822 (RSS,
HTTP) without touching the process locale (feedgen's own RSS date code does, and is not thread-safe).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, tzinfo

Clock = Callable[[], datetime]
"""A zero-argument callable returning the current time as an aware UTC datetime."""

_DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def utc_now() -> datetime:
    """The real clock, to the microsecond, in UTC."""
    return datetime.now(UTC)


class FixedClock:
    """A clock for tests: returns `now` until moved with `advance` or `set`."""

    def __init__(self, now: datetime):
        self.now = ensure_utc(now)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, delta: timedelta) -> None:
        self.now += delta

    def set(self, now: datetime) -> None:
        self.now = ensure_utc(now)


def ensure_utc(value: datetime) -> datetime:
    """Return `value` in UTC; a naive datetime is a programming error here, not a guess."""
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r}: every datetime in feeds is timezone-aware")
    return value.astimezone(UTC)


def rfc3339(value: datetime) -> str:
    """`2017-11-02T09:30:00Z` (RFC 3339 §5.6, whole seconds, always UTC)."""
    return ensure_utc(value).strftime("%Y-%m-%dT%H:%M:%SZ")


def rfc3339_in(value: datetime, tz: tzinfo) -> str:
    """`2026-06-03T00:00:00+01:00`: the instant of `rfc3339`, written as the wall time in `tz` with its offset (`Z`
    where that is zero), for pages: a machine reading the date part of a date-only release of 3 June reads 3 June,
    not "2026-06-02T23:00:00Z". (An offset of odd seconds, a zone's local mean time before 1950, is written in UTC.)"""
    local = ensure_utc(value).astimezone(tz)
    offset = local.utcoffset()
    if not offset or offset.seconds % 60:
        return rfc3339(value)
    return local.isoformat(timespec="seconds")


def due_text(value: datetime, tz: tzinfo) -> str:
    """`2027-10-31T01:30:00Z, 01:30 GMT on 31 October 2027`: when an embargo lifts, in UTC for scripts and as the
    office's clock shows it, with the zone's abbreviation (on the night the clocks go back, which 01:30 it is)."""
    local = ensure_utc(value).astimezone(tz)
    return f"{rfc3339(value)}, {local:%H:%M} {local.tzname() or ''} on {local.day} {local:%B %Y}"


def rfc822(value: datetime) -> str:
    """`Thu, 02 Nov 2017 09:30:00 +0000` (RFC 822 as updated by RFC 1123), locale-independent."""
    v = ensure_utc(value)
    return f"{_DAYS[v.weekday()]}, {v.day:02d} {_MONTHS[v.month - 1]} {v.year:04d} {v:%H:%M:%S} +0000"


def http_date(value: datetime) -> str:
    """`Thu, 02 Nov 2017 09:30:00 GMT` (RFC 9110 §5.6.7 IMF-fixdate)."""
    return rfc822(value)[:-5] + "GMT"


def parse_iso(value: str) -> datetime:
    """Parse an ISO 8601 / RFC 3339 timestamp that we wrote ourselves (aware, any offset) to UTC."""
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return ensure_utc(parsed)


def skew_text(seconds: float) -> str:
    """`2 min 3.0 s ahead of`, `0.4 s behind`: how a skew reads in the log and in `feeds status`."""
    return f"{duration_text(abs(seconds))} {'ahead of' if seconds >= 0 else 'behind'}"


def duration_text(seconds: float) -> str:
    """`2 min 3.0 s`, `1 h 0 min 0.0 s`, `0.4 s`: a length of time to the tenth of a second."""
    minutes, rest = divmod(round(seconds, 1), 60)  # (rounded first: 119.97 s is 2 min 0.0 s, not 1 min 60.0 s)
    hours, whole = divmod(int(minutes), 60)
    parts = ([f"{hours} h"] if hours else []) + ([f"{whole} min"] if whole or hours else []) + [f"{rest:.1f} s"]
    return " ".join(parts)
