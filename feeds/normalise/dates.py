"""Read the dates press releases are written with and turn them into aware UTC datetimes.

Sources write dates every way: RFC 3339 from JSON APIs, RFC 822 from RSS and e-mail, and whatever a press
officer types into front matter ("2 November 2017 09:30", "02/11/2017"). `parse_date` accepts those, reads
numeric dates day-first as in the UK, interprets naive and date-only values in the site's time zone, and
refuses anything it cannot read unambiguously: a wrong date silently accepted would publish a release on
the wrong day, and its `tag:` id (which carries the date) could never be corrected. So a weekday that is not the
date's ("Wednesday 3 December 2026", a Thursday) is refused naming both (`WeekdayError`): which of the two the
officer meant decides when an embargo ends, and only they can say. So is a summer time on a winter date ("00:01 BST 3
December"): read as written it would end an embargo an hour early, on the day before.

Local times the clocks make ambiguous are read by one documented rule rather than refused (they are rare in
press work, and a refusal at 01:30 on one night a year helps nobody): a time that occurs twice, in the hour the
clocks go back, is the first (summer time) reading; a time that does not exist, in the hour they go forward, is
read with the offset before the change (01:30 on the spring night in London is 01:30 GMT, 02:30 BST). A not-before
time (an embargo: `latest=True`) is read the safe way instead, the later of the two readings: the second 01:30 of
the autumn night (GMT), and in spring the same 02:30 BST, so an embargo never lifts before either reading of the
time written. Either is a guess all the same, and `clock_change_guess` says which reading was taken, for the
ingest's warning.

What this module must not do: read the clock (dateutil fills missing fields from *today* unless given a
default; we always pass fixed defaults and reject strings that relied on them), or guess a time zone from the
machine it runs on (dateutil maps names found in `time.tzname` to the local zone; we always pass `tzinfos`).
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from zoneinfo import ZoneInfo

from dateutil import parser as _dateutil

from feeds.normalise.zonenames import (
    SUMMER,
    ZONES,
    SeasonError,
    WeekdayError,
    ZoneNameError,
    in_season,
    own_zone,
    zone_of,
)

__all__ = ["SeasonError", "WeekdayError", "ZoneNameError", "clock_change_guess", "parse_date"]

_MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")

# RFC 3339 §5.6 / ISO 8601 extended format; a space instead of "T" is allowed (RFC 3339 §5.6 NOTE), and so
# is an offset without a colon or with hours only, and any number of fractional digits.
_ISO = re.compile(
    r"(?P<y>\d{4})-(?P<mo>\d{2})-(?P<d>\d{2})"
    r"(?:[Tt ](?P<h>\d{2}):(?P<mi>\d{2})(?::(?P<s>\d{2})(?:[.,](?P<f>\d+))?)?"
    r"\s*(?:(?P<z>[Zz]|[+-]\d{2}(?::?\d{2})?)|(?P<name>[A-Za-z]{2,5}))?)?"
)
"""(With a zone's name after the time, `2026-11-29 10:00 GMT`, as people write it: a name of `ZONES` only.)"""

# RFC 822 §5 as updated by RFC 1123 §5.2.14 (4-digit years) and RFC 2822 §4.3 (obsolete 2-digit years and
# zone names). Only the form *with* a zone is taken here; a zone-less "2 Nov 2017 09:30" is a human date.
_RFC822 = re.compile(
    r"(?:(?:mon|tue|wed|thu|fri|sat|sun)[a-z]*\s*,?\s*)?"
    r"(?P<d>\d{1,2})\s+(?P<mo>[a-z]{3})[a-z]*\.?\s+(?P<y>\d{4}|\d{2})\s+"
    r"(?P<h>\d{1,2}):(?P<mi>\d{2})(?::(?P<s>\d{2}))?\s*"
    r"(?P<z>[+-]\d{4}|[a-z]{1,5})(?:\s*\([^()]*\))?",  # (RFC 2822 §3.3: a comment may follow, "+0100 (BST)")
    re.IGNORECASE,
)

# Numeric dates at the start of a string: day-first with a 4-digit year (UK usage), or year-first.
# Anywhere in the value, as a word (after a time or a weekday too: "10:00 23/11/2026", "Monday 23/11/2026").
_DMY = re.compile(r"(?<![\d/.:-])(?P<d>\d{1,2})[/.-](?P<mo>\d{1,2})[/.-](?P<y>\d{4})(?=$|[\sT,])")
_YMD = re.compile(r"(?<![\d/.:-])(?P<y>\d{4})[/.](?P<mo>\d{1,2})[/.](?P<d>\d{1,2})(?=$|[\sT,])")

_GMT_OFFSET = re.compile(r"\b(?:GMT|UTC|UT)\s*(?P<sign>[+-])(?P<h>\d{1,2})(?::?(?P<m>\d{2}))?(?![\d:])", re.IGNORECASE)
_DOTTED_TIME = re.compile(r"\b(?P<h>\d{1,2})\.(?P<m>\d{2})\s*(?P<ampm>[ap]\.?m\.?)", re.IGNORECASE)
# "00.01" or "14.30" without am/pm: a 24-hour time (dateutil read "00.01 3 December 2026" as 20:26 in 2000). Not a
# part of a dotted date ("3.12.2026", "2026.11.03"), which has a dot or a digit on either side.
_DOTTED_24H = re.compile(r"(?<![\d.])(?P<h>[01]?\d|2[0-3])\.(?P<m>[0-5]\d)(?![\d.])")
# "12 noon", "midday": how UK embargo lines write 12:00 ("EMBARGOED UNTIL 12 NOON WEDNESDAY 2 DECEMBER 2026").
_NOON = re.compile(r"\b(?:12(?:[:.]00)?\s*)?(?:noon|midday)\b", re.IGNORECASE)
# A zone in brackets, as embargo lines write it: "22.30 (BST) Wednesday 3 June 2026". (Only a name of `ZONES`
# is unwrapped; "(IST)" stays as written and is refused.)
_BRACKETED_ZONE = re.compile(r"\(\s*(?P<zone>" + "|".join(n for n in (*ZONES, "IST") if len(n) > 1) + r")\s*\)", re.I)
# "24:00" (ISO 8601-1:2019 §5.3.2), the end of the day written, which is the start of the next: not ambiguous as
# "midnight" is. "24:00:00" too, and "24.00"; a time past it ("24:30") is left to be refused.
_END_OF_DAY = re.compile(r"(?<![\d:.])24[:.]00(?::00)?(?![\d:.])")
_DAY = timedelta(days=1)
# "Midnight on 1 December" is the start of that day to some and its end to others: refused, saying what to write.
_MIDNIGHT = re.compile(r"\bmidnight\b", re.IGNORECASE)
# An ISO 8601 week date (§5.2.3): "2026-W43-7", "2026W437", with a time after it or not.
_WEEK = re.compile(r"(?P<y>\d{4})-?W(?P<w>\d{2})(?:-?(?P<d>\d))?(?P<time>[Tt ].+)?")
# A year of two digits after a day and month ("25/10/26", "29 March 26"): 1926 or 2026, refused saying so.
_SHORT_YEAR = re.compile(
    r"(?<![\d:.])\d{1,2}(?:[/.-]\d{1,2}[/.-]|(?:st|nd|rd|th)?\s+(?:" + "|".join(_MONTHS) + r")[a-z]*\.?,?\s+)"
    r"(?P<y>\d{2})(?![\d:.]|\s*[ap]\.?m\b)",
    re.IGNORECASE,
)
_MONTH_NAME = re.compile(r"\b(?:" + "|".join(_MONTHS) + r")[a-z]*\b", re.IGNORECASE)
_YEAR4 = re.compile(r"(?<!\d)\d{4}(?!\d)")
_WEEKDAY = re.compile(
    r"\b(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tues?|weds?|thu(?:rs?)?|fri|sat|sun)\b",
    re.IGNORECASE,
)
_WEEKDAY_WORD = re.compile(_WEEKDAY.pattern + r"\.?,?", re.IGNORECASE)
_WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

# Two defaults that differ in every date field: a string that leaves the day (or month, or year) out gives
# two different results, and is refused instead of silently taking today's or the 1st.
_DEFAULTS = (datetime(2000, 1, 1), datetime(2001, 2, 2))


def parse_date(value: str | datetime, tz: ZoneInfo, *, latest: bool = False) -> datetime:
    """Parse `value` to an aware UTC datetime; naive and date-only values are local times in `tz`. With `latest`
    (a not-before time: an embargo), a wall time the clocks repeat is its later reading, not its first.

    Raises ValueError naming the value when it is empty, ambiguous, incomplete or not a date; WeekdayError (a
    ValueError) when a weekday it names is not the date's.
    """
    when = _parse_date(value, tz)
    if latest and (other := _other_reading(value, tz, when)) is not None:
        return max(when, other)
    return when


def _parse_date(value: str | datetime, tz: ZoneInfo) -> datetime:
    if isinstance(value, datetime):
        return _plausible(_to_utc(value, tz), value.isoformat())
    if (stamp := _utc_stamp(value)) is not None:
        return stamp
    text = " ".join(str(value).split())
    if not text:
        raise ValueError("empty date")
    if found := _EARLY_YEAR.search(text):  # (readers of two-digit years would take "0001" for 2001)
        raise ValueError(f"the year {found[0]} in {text!r} is not a year of ours ({YEARS.start}-{YEARS.stop - 1})")
    try:
        parsed = _parse_text(text, tz)
    except (SeasonError, ZoneNameError) as e:
        raise type(e)(f"{text!r}: {e}", e.when) from None
    except WeekdayError:
        raise
    except (ValueError, OverflowError) as e:
        raise ValueError(f"not a date we can read: {text!r} ({e})") from e
    if parsed is None:
        raise ValueError(
            f"not a date we can read: {text!r} (use e.g. '2017-11-02T09:30:00Z', "
            "'Thu, 02 Nov 2017 09:30:00 GMT', '2 November 2017 09:30' or '02/11/2017')"
        )
    return _plausible(parsed, text)


_UTC_STAMP = re.compile(r"(?:19|20|21)[0-9]{2}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z")
"""`2026-11-02T09:30:00Z`: RFC 3339 in UTC to the second, in a year of ours (`YEARS`)."""


def _utc_stamp(value: str) -> datetime | None:
    """The date of `value` when it is a `_UTC_STAMP` (the form nearly every pushed or exported release is dated in),
    read without the general path, which reads it the same (tests compare them); else None, and for a field out of
    range (24:00, a 30 February), which the general path reads or names."""
    if not _is_utc_stamp(value):
        return None
    try:
        # (`fromisoformat` reads this one form as six `int`s of its slices would, its `Z` as the `UTC` object, in
        # C: ~2 k instructions against ~19 k; it refuses a field out of range as `datetime` does)
        return datetime.fromisoformat(value)
    except ValueError:
        return None


def _is_utc_stamp(value: str) -> bool:
    """Whether `value` is a `_UTC_STAMP` (its length first: most other dates are told by it alone)."""
    return len(value) == 20 and _UTC_STAMP.fullmatch(value) is not None


YEARS = range(1900, 2200)
"""The years a date of ours may fall in: a release dated in year 1 broke RFC 4151 tag ids (and nobody's reader
sorts them sensibly); a year outside is a typo, and is refused rather than published."""
_EARLY_YEAR = re.compile(r"(?:^|(?<=[\s,/]))0\d{3}(?=[-\s,/]|$)")  # a year, not "+0100" or "09:30"


def _plausible(when: datetime, shown: str) -> datetime:
    if when.year not in YEARS:
        raise ValueError(f"the year {when.year} in {shown!r} is not a year of ours ({YEARS.start}-{YEARS.stop - 1})")
    return when


def clock_change_guess(value: str | datetime, tz: ZoneInfo, when: datetime) -> str | None:
    """How `value` (which `parse_date` read as `when`) was guessed, when it is a local time without a zone that the
    clocks of `tz` skip or repeat: a sentence saying the reading taken and how to say otherwise; else None.

    Cheap for almost every date (the offsets a day either side of `when` are the same). Must not raise for a value
    `parse_date` read, nor refuse anything: the reading stands, this only says it was a guess."""
    if type(value) is str and _is_utc_stamp(value):
        # (a `_UTC_STAMP` names its zone, so both readings of its wall time are one: no guess; told without the two
        # look-ups of the offsets a day either side, ~13 k instructions for the date of nearly every release)
        return None
    other = _other_reading(value, tz, when)
    if other is None:
        return None  # (a zone given, or a time the clocks showed once)
    shown = when.astimezone(tz)
    try:
        first = _to_utc(value, tz) if isinstance(value, datetime) else _parse_text(" ".join(value.split()), tz)
    except ValueError:
        return None
    if first is not None and first < max(when, other):  # written twice that night (the first reading is earlier)
        taken, said = ("the first", "second") if when < other else ("the second, as an embargo is", "first")
        shown_other = other.astimezone(tz)
        return (
            f"{shown:%H:%M} on {shown.day} {shown:%B %Y} happens twice in {tz.key}, as the clocks go back: read as "
            f"{taken}, {shown:%H:%M} {shown.tzname()} ({when:%H:%M} UTC): write {shown:%H:%M} {shown_other.tzname()} "
            f"for the {said}"
        )
    written = (shown - (when - min(when, other))).replace(tzinfo=None)
    before = written.replace(tzinfo=tz, fold=0).tzname()
    return (
        f"{written:%H:%M} on {written.day} {written:%B %Y} never happens in {tz.key}, as the clocks go forward: read "
        f"as {written:%H:%M} {before} ({shown:%H:%M} {shown.tzname()}, {when:%H:%M} UTC): give the zone to say "
        "otherwise"
    )


def _other_reading(value: str | datetime, tz: ZoneInfo, when: datetime) -> datetime | None:
    """The other reading of `value` (read as `when`, by either reading) when it is a wall time without a zone that the
    clocks of `tz` skip or repeat, else None. Cheap for almost every date: the offsets a day either side are equal."""
    if (when - _DAY).astimezone(tz).utcoffset() == (when + _DAY).astimezone(tz).utcoffset():
        return None
    text = value if isinstance(value, datetime) else " ".join(value.split())
    try:  # (read with both readings of a wall time the clocks make ambiguous, PEP 495's fold)
        readings = {_to_utc(text, tz, f) if isinstance(text, datetime) else _parse_text(text, tz, f) for f in (0, 1)}
    except ValueError:
        return None
    others = readings - {when, None}
    return others.pop() if len(readings) == 2 and others else None


def _parse_text(text: str, tz: ZoneInfo, fold: int = 0) -> datetime | None:
    return (
        _parse_iso(text, tz, fold)
        or _parse_rfc822(text, tz)
        or _parse_week(text, tz, fold)
        or _parse_human(text, tz, fold)
    )


def _to_utc(value: datetime, tz: tzinfo, fold: int = 0) -> datetime:
    """`value` in UTC; a naive one is a wall time in `tz`, the first reading (`fold` 0) of one the clocks repeat,
    or with the offset before the change for one they skip (PEP 495); `fold` 1 takes the other."""
    local = value if value.tzinfo is not None else value.replace(tzinfo=tz, fold=fold)
    return local.astimezone(UTC)


def _parse_iso(text: str, tz: ZoneInfo, fold: int = 0) -> datetime | None:
    m = _ISO.fullmatch(text)
    if not m:
        return None
    micro = int((m["f"] or "0")[:6].ljust(6, "0"))
    naive = _wall_time(
        int(m["y"]), int(m["mo"]), int(m["d"]), int(m["h"] or 0), int(m["mi"] or 0), int(m["s"] or 0), micro
    )
    zone, name = m["z"], m["name"]
    if name is not None:
        if name.upper() in ("AM", "PM"):
            return None  # (not a zone: "2026-11-29 10:00 am" is refused as a whole, not as an unknown zone)
        if name.upper() not in ZONES:
            return own_zone(naive, name, tz, fold)
        return in_season(naive, name.upper())
    if zone is None:
        return _to_utc(naive, tz, fold)
    return _to_utc(naive.replace(tzinfo=_offset_zone(zone)), tz)


def _wall_time(year: int, month: int, day: int, hour: int, minute: int, second: int, micro: int = 0) -> datetime:
    """The naive datetime written; 24:00 (ISO 8601-1:2019 §5.3.2), the end of the day written, is the next one's
    00:00. Raises ValueError for a field out of range (24:30 among them)."""
    if hour == 24 and minute == second == micro == 0:
        return datetime(year, month, day) + _DAY
    return datetime(year, month, day, hour, minute, second, micro)


def _offset_zone(zone: str) -> tzinfo:
    """`Z`, `+01`, `+0100` or `+01:00` → a fixed offset (RFC 3339 §4.2)."""
    if zone in ("Z", "z"):
        return UTC
    digits = zone[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:] or 0)
    if hours > 23 or minutes > 59:
        raise ValueError(f"offset {zone} is out of range")
    delta = timedelta(hours=hours, minutes=minutes)
    return timezone(-delta if zone[0] == "-" else delta)


def _parse_rfc822(text: str, tz: ZoneInfo) -> datetime | None:
    m = _RFC822.fullmatch(text)
    if not m or m["mo"].lower() not in _MONTHS or m["z"].upper() in ("AM", "PM"):
        return None  # (a time of day, "27 November 2026 9:30 AM": a human date, not a zone named "AM")
    year = int(m["y"])
    if len(m["y"]) == 2:  # RFC 2822 §4.3: 00-49 → 20xx, 50-99 → 19xx
        year += 2000 if year < 50 else 1900
    naive = _wall_time(
        year, _MONTHS.index(m["mo"].lower()) + 1, int(m["d"]), int(m["h"]), int(m["mi"]), int(m["s"] or 0)
    )
    zone = m["z"].upper()
    if zone in ("AM", "PM"):
        return None  # (not a zone: "8 March 2026 2:30am" is a person's date, read as such)
    if zone in SUMMER:
        return in_season(naive, zone)
    if zone[0] in "+-":
        offset: tzinfo = _offset_zone(zone)
    elif zone in ZONES:
        offset = timezone(timedelta(seconds=ZONES[zone]))
    elif len(zone) == 1 and zone != "J":
        # RFC 2822 §4.3: military zone letters were defined with the wrong sign in RFC 822 and "SHOULD all be
        # considered equivalent to -0000", i.e. UTC with no information about the local zone.
        offset = UTC
    else:
        return own_zone(naive, m["z"], tz, 0)
    # (The weekday of a date in this form is not checked: software writes it, from the very date it stands beside,
    # and a wrong one is a slip of some mail or feed library, not a person's choice between two days.)
    return _to_utc(naive.replace(tzinfo=offset), tz)


def _parse_week(text: str, tz: ZoneInfo, fold: int) -> datetime | None:
    """An ISO 8601 week date, its day's date then read as ISO; a week without its day is refused (no day to date)."""
    m = _WEEK.fullmatch(text)
    if m is None:
        return None
    year, week = int(m["y"]), int(m["w"])
    if m["d"] is None:
        raise ValueError(f"{text} is a week, not a day: give the day ({year}-W{week:02d}-1 is its Monday)")
    if not 1 <= int(m["d"]) <= 7:
        raise ValueError(f"the day of the week is {m['d']}: write 1 (Monday) to 7 (Sunday)")
    try:
        day = date.fromisocalendar(year, week, int(m["d"]))
    except ValueError:
        raise ValueError(f"{year} has no week {week}") from None
    return _parse_iso(f"{day.isoformat()}{m['time'] or ''}", tz, fold)


def _parse_human(written: str, tz: ZoneInfo, fold: int = 0) -> datetime | None:
    text, end_of_day = _END_OF_DAY.subn("00:00", _rewrite_numeric_date(written))
    if _MIDNIGHT.search(text):
        raise ValueError(
            "'midnight' is the start of the day to some readers and its end to others: write 00:01 or 23:59"
        )
    text = _NOON.sub("12:00", text)
    text = _BRACKETED_ZONE.sub(r" \g<zone> ", text)
    text = _DOTTED_TIME.sub(lambda m: f"{m['h']}:{m['m']}{m['ampm'].replace('.', '')}", text)
    text = _DOTTED_24H.sub(r"\g<h>:\g<m>", text)
    text = _GMT_OFFSET.sub(_gmt_offset_to_iso, text)
    # Strict enough for garbage to fail: a month name and a four-digit year must both be present (numeric
    # dates were rewritten with a month name above), and dateutil runs without fuzzy matching.
    if not _MONTH_NAME.search(text) or not _YEAR4.search(text):
        if short := _SHORT_YEAR.search(text):
            raise ValueError(
                f"the year {short['y']!r} has two digits: write it in full (20{short['y']}, or 19{short['y']})"
            )
        return None
    # The weekday is checked against the date, not read: dateutil knows neither "Tues" nor "Thurs".
    bare = _WEEKDAY_WORD.sub(" ", text)
    results = [_dateutil.parse(bare, dayfirst=True, default=d, tzinfos=zone_of) for d in _DEFAULTS]
    if results[0] != results[1]:
        raise ValueError("the day, month or year is missing")
    read = results[0] + _DAY if end_of_day else results[0]
    name = read.tzname()
    if name in SUMMER:
        when = in_season(read, name)
    elif name is not None and name.startswith("?"):  # (a name not ours: `zone_of`)
        when = own_zone(read.replace(tzinfo=None), name[1:], tz, fold)
    else:
        when = _to_utc(read, tz, fold)
    return _weekday_checked(written, results[0], when)


def _weekday_checked(text: str, written: datetime, when: datetime) -> datetime:
    """`when`, unless `text` names a weekday that is not the weekday of `written` (the date as written, in the
    zone it was written in: "Sun, 29 Nov 2026 23:30 -0500" is a Sunday, though a Monday in UTC)."""
    actual = _WEEKDAYS[written.weekday()]
    for found in _WEEKDAY.finditer(text):
        named = next(day for day in _WEEKDAYS if day.lower().startswith(found[0].lower()[:2]))
        if named != actual:
            raise WeekdayError(
                f"{text!r} names {named}, but {written.day} {written:%B %Y} is a {actual}: correct the weekday "
                "or the date, whichever is wrong",
                when,
            )
    return when


def _rewrite_numeric_date(text: str) -> str:
    """`02/11/2017 09:30` → `2 Nov 2017 09:30`, so dateutil cannot read it month-first or year-day-month."""
    for pattern in (_DMY, _YMD):
        m = pattern.search(text)
        if m:
            month = int(m["mo"])
            if not 1 <= month <= 12:
                if pattern is _DMY and 1 <= int(m["d"]) <= 12 and month <= 31:  # written month first, US style
                    raise ValueError(
                        f"month {month} is out of range: numeric dates are read day first, so for "
                        f"{_MONTHS[int(m['d']) - 1].title()} {month} write {month}/{int(m['d'])}/{m['y']} "
                        f"or {month} {_MONTHS[int(m['d']) - 1].title()} {m['y']}"
                    )
                raise ValueError(f"month {month} is out of range")
            return f"{text[: m.start()]}{int(m['d'])} {_MONTHS[month - 1].title()} {m['y']}{text[m.end() :]}"
    return text


def _gmt_offset_to_iso(m: re.Match[str]) -> str:
    # "GMT+1" in a press release means one hour ahead of GMT. dateutil reads it the POSIX way (the opposite
    # sign), so it is rewritten to a plain numeric offset first.
    return f"{m['sign']}{int(m['h']):02d}:{m['m'] or '00'}"
