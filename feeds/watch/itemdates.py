"""An item's dates: which reader reads a feedparser-shaped entry's `published` and `updated` (and a JSON Feed
item's dates, by the same dispatch), and which dates are no dates.

    item_date(entry, key, order)   the entry's `key` date as an aware UTC datetime, or None
    json_date(value, order)        a JSON Feed item's `date_published` or `date_modified`, read the same way
    source_date(value)             a date as its source gives it, None for a placeholder (`EARLIEST_ITEM_DATE`)

feedparser (and the fast path, which replays it) is the reader of every date it reads, but for one written with
characters outside ASCII (`foreigndates`: feedparser may take its day from the clock) or wholly in figures
(`numericdates`: `01.12.2026 10:00`, which feedparser reads not at all, or misreads); one it cannot read is
`localdates`' (month names: `Di, 01 Dez 2026`). A JSON Feed's date string goes the same way, feedparser's reading
of it taken from its date reader (`feedparser.datetimes._parse_date`, which reads an RSS or Atom entry's). The
entry's keys are read as plain dict keys: feedparser's dicts map `updated` to `published` on `.get`, which must
decide nothing here.

What this module must not do: read the clock (a date ahead of when an item is seen is the store's business).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from feedparser.datetimes import _parse_date  # type: ignore[import-untyped]

from feeds.watch import foreigndates, localdates, numericdates
from feeds.watch.localdates import without_direction_marks
from feeds.watch.numericdates import DayOrder

__all__ = ["EARLIEST_ITEM_DATE", "LATEST_UNIX_DATE", "item_date", "json_date", "source_date"]

EARLIEST_ITEM_DATE = datetime(1995, 1, 1, tzinfo=UTC)  # (a 1 January: `_when` compares the year)
"""An item dated before this has no date of its own: no web feed existed yet, so such a date is a placeholder (a
CMS's empty date written as 1970-01-01, the Unix epoch, or 0001-01-01, the zero of Go and .NET; 1900-01-01 from a
spreadsheet). Taken at its word, it would keep the item from being coverage of any release (it "predates" them
all), sink it to the end of every list and publish 1970 in our feeds; without it, the item is dated when first
seen, as one without a date is."""


def _when(value: Any) -> datetime | None:
    """feedparser's UTC struct_time → aware datetime (a leap second becomes :59); None for a placeholder date."""
    if value is None:
        return None
    try:
        year, month, day, hour, minute, second = value[:6]
        if year < EARLIEST_ITEM_DATE.year:  # (`source_date`, as an int: it is read for every item's dates)
            return None
        return datetime(year, month, day, hour, minute, min(second, 59), tzinfo=UTC)
    except (TypeError, ValueError, OverflowError):
        return None


def item_date(entry: dict[str, Any], key: str, order: DayOrder | None = None) -> datetime | None:
    """The entry's `key` date (`published`, `updated`) as an aware UTC datetime, None when it has none (or a
    placeholder); `order` is the order an ambiguous date in figures is read in (`numericdates.day_order`)."""
    return _when(_date(entry, key, order))


def _date(entry: dict[str, Any], key: str, order: DayOrder | None) -> Any:
    """feedparser's reading of the entry's `key` date (`published_parsed`), but where `_reading` sends the date
    written to another reader."""
    written = dict.get(entry, key)
    if not isinstance(written, str):
        return dict.get(entry, key + "_parsed")
    return _reading(written, lambda: dict.get(entry, key + "_parsed"), order)


def _reading(written: str, feedparsers: Callable[[], Any], order: DayOrder | None) -> Any:
    """The reading of the date `written`: feedparser's (`feedparsers()`), but for a date written with characters
    outside ASCII, which `foreigndates` reads (feedparser's own reading may take the day from the clock). One
    whose only such characters are white space (a no-break space a CMS put in an English date) is feedparser's,
    which reads any white space as a space. A date wholly in figures (`01.12.2026 10:00`) is `numericdates`', in
    the item's `order` when ambiguous: feedparser reads none of the day- or month-first ones, and its ISO 8601
    reader misreads the start of others (`01-12-2026` as 2001-12-20, `2020/1/10 14:33` as 2020-12-01); so is one
    in figures but for direction marks (`\u200f01/12/2026`, as right-to-left sites write), which are no part of
    it. A date feedparser could not read (`Di, 01 Dez 2026`) is read by `localdates`: a date feedparser reads
    never reaches it. A date in digits alone (`20261201`, `1764547200`) is `_digits_date`'s: feedparser misreads
    those."""
    plain = written if written.isascii() else " ".join(without_direction_marks(written).split())
    if not plain.isascii():
        return foreigndates.written_date(written)
    if (digits := plain.strip()).isdigit():
        return _digits_date(digits)
    if numericdates.is_numeric(plain):
        return numericdates.numeric_date(plain, order)
    if not " ".join(written.split()).isascii():  # (direction marks in it: feedparser read it with them)
        return foreigndates.written_date(written)
    parsed = feedparsers()
    if parsed is None and written:
        return localdates.localized_date(written)
    return parsed


LATEST_UNIX_DATE = datetime(2100, 1, 1, tzinfo=UTC)
"""A number as a JSON Feed date is Unix seconds only before this (and from `EARLIEST_ITEM_DATE`). A number says
nothing of its unit, and generators write milliseconds too (JavaScript's `Date.now()`, Java's
`currentTimeMillis()`): any such count since 1970-02-17 is past this bound (today's is year 58,900 read as
seconds, which a datetime cannot even hold). It is none rather than divided by 1,000, which would be a guess; and
no news item is dated 2100 or later (one ahead of its sighting is dated when seen anyway)."""


def _digits_date(digits: str) -> time.struct_time | None:
    """A date written in ASCII digits alone, as a UTC struct_time (feedparser's form), or None. feedparser's ISO 8601
    reader misreads them: `202612` was 2020-09-17, `20261301` 2027-01-01, `202612011000` lost its time, `2026` was
    1 January, `261201` read a two-digit year; and a Unix time written as a string it reads not at all.

    Eight digits are ISO 8601's basic date (`20261201`, midnight UTC), twelve or fourteen its date and time to the
    minute or second without the `T` (`202612011000`, UTC), when the date and time are real ones; nine or ten are
    Unix seconds, read as a JSON Feed's number is (within `EARLIEST_ITEM_DATE`..`LATEST_UNIX_DATE`); any other
    count (a year alone, a year and month, a two-digit year, milliseconds) is none: the item is dated when first
    seen rather than by a guess. (A date and hour, `2026120110`, reads as Unix seconds in 2034: ahead of its
    sighting, the item is dated when seen all the same.)"""
    size = len(digits)
    if size in (9, 10):
        seconds = int(digits)
        low, high = EARLIEST_ITEM_DATE.timestamp(), LATEST_UNIX_DATE.timestamp()
        return time.gmtime(seconds) if low <= seconds < high else None
    if size not in (8, 12, 14):
        return None
    month, day, hour, minute, second = [int(digits[i : i + 2] or 0) for i in range(4, 14, 2)]
    try:
        return datetime(int(digits[:4]), month, day, hour, minute, second, tzinfo=UTC).timetuple()
    except ValueError:
        return None


def json_date(value: object, order: DayOrder | None = None) -> datetime | None:
    """A JSON Feed item's `date_published` or `date_modified` as written (`JsonFeedItem.published`) → aware UTC,
    or None. JSON Feed asks for RFC 3339, read first and exactly (fractions of a second kept, a date without an
    offset taken as UTC); any other string is read as an RSS or Atom entry's date is (`_reading`: feedparser's
    RFC 822 and ISO 8601 readers, `localdates`, `foreigndates`, `numericdates` in `order`); a number is Unix
    seconds, within `EARLIEST_ITEM_DATE`..`LATEST_UNIX_DATE`, and so is a string of nine or ten digits
    (`_digits_date`). A placeholder date is None."""
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        return None
    if not isinstance(value, str):
        low, high = EARLIEST_ITEM_DATE.timestamp(), LATEST_UNIX_DATE.timestamp()
        return datetime.fromtimestamp(value, UTC) if low <= value < high else None  # (NaN is in no range)
    text = value.strip()
    if not text:
        return None
    if text.isascii() and text.isdigit():
        return _when(_digits_date(text))
    when: datetime | None
    try:
        parsed = datetime.fromisoformat(text)
        when = (parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)).astimezone(UTC)
    except (ValueError, OverflowError):
        when = _when(_reading(text, lambda: _parse_date(text), order))
    return source_date(when)


def source_date(value: datetime | None) -> datetime | None:
    """An item's date as its source gives it, or None when it is a placeholder (`EARLIEST_ITEM_DATE`)."""
    return value if value is None or value >= EARLIEST_ITEM_DATE else None
