"""Item dates written in figures only: `01.12.2026 10:00`, `1/12/2026`, `12/01/2026 10:00 PM`, `01-12-2026`,
`2026/12/01 10:00:00`, with or without a zone. feedparser reads none of the day-first or month-first ones (the
item was dated when first seen), and its ISO 8601 reader reads the start of others and stops: `01-12-2026` was
2001-12-20, `31-12-2026` 2031-12-20, `2020/1/10 14:33` 2020-12-01, `2026/12/01 10:00` lost its time.

    is_numeric(text)               whether `text` is wholly such a date (then it is read here, whatever feedparser
                                   made of it: `feeds.watch.itemdates`)
    evidence(texts)                the order a feed's own dates show: "day" when one reads only day-first (13/11),
                                   "month" when one reads only month-first (11/13), None when none or both do
    day_order(language, shown)     the order an ambiguous slashed or dashed date is read in (None: not read)
    numeric_date(text, order)      the date as a UTC struct_time (as feedparser gives dates), or None

Which figure is the day:
- year-first (`2026/12/01`, `2026.12.01`) is year, month, day: no one writes year, day, month;
- a dotted date (`01.12.2026`) is day-first (German, Russian, Polish, Czech, Turkish… write so; no one writes a
  dotted date month-first);
- a slashed or dashed one (`01/12/2026`, `01-12-2026`) is month-first in a month-first locale (`MONTH_FIRST`:
  the US, its territories and the Philippines), day-first in any other, by the item's language, else its feed's;
- a date impossible one way (`13/12/2026`) is read the other way, and a feed whose own such dates all point one
  way (it writes `13/11/2026` too, and never `11/13/2026`) is read that way, whatever its language says
  (WordPress declares `en-US` for any site that does not set a language);
- an ambiguous one (`01/12/2026`) with no language, or just `en` (British or American?), and no such evidence is
  none: the item is dated when first seen, as before, rather than by a guess eleven months off.

What follows the day (a time, `am`/`pm`, a zone as an offset or by name, `Uhr`) is read by `localdates`, as the
time and zone of a date written with a month's name, so they are read the same way: with no zone written, the time
is UTC, as feedparser reads a date without one. A two-digit year (`01.12.26`) is none (which century is a guess),
as is anything else not wholly a date. A date ahead of when the item is seen is dated when seen by the store, as
any other (`_item_row` in `feeds.store.items`).

What this module must not do: read the clock, or fill in a part of a date the feed did not write.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable
from typing import Literal

from feeds.watch.localdates import localized_date

__all__ = ["MONTH_FIRST", "DayOrder", "day_order", "evidence", "is_numeric", "numeric_date"]

DayOrder = Literal["day", "month"]

MONTH_FIRST = frozenset({"en-us", "en-as", "en-gu", "en-mp", "en-pr", "en-um", "en-vi", "en-ph", "fil"})
"""Languages (a language, or a language and region, in lower case) whose short dates are month-first (CLDR's
`M/d/y`): American English, that of the US territories and the Philippines, and Filipino."""

_UNDECIDED = frozenset({"en"})
"""Languages that say nothing of the order: English with no region is British as often as American."""

_DATE = re.compile(
    r"\s*(?:(?P<year>\d{4})(?P<ysep>[/.])(?P<ymonth>\d{1,2})(?P=ysep)(?P<yday>\d{1,2})"
    r"|(?P<first>\d{1,2})(?P<sep>[./-])(?P<second>\d{1,2})(?P=sep)(?P<fyear>\d{4}))"
    r"(?:(?:\s*,\s*|\s+-\s+|\s+|T)(?P<rest>\d.*?))?\s*",
    re.ASCII | re.DOTALL,
)
_MONTH_NAMES = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
"""English month names, which `localdates` reads: the day, so named, and its time are handed to it."""


def is_numeric(text: str) -> bool:
    """Whether `text` is wholly a date in figures (day, month and four-figure year, or year first), then a time."""
    return text[:1].isdigit() and _DATE.fullmatch(text) is not None


def evidence(texts: Iterable[object]) -> DayOrder | None:
    """The order a feed's dates show: "day" when a slashed or dashed one reads only day-first, "month" when one
    reads only month-first, None when none does or both do (its dates say nothing then)."""
    shown: set[DayOrder] = set()
    for text in texts:
        if isinstance(text, str) and text[:1].isdigit() and (m := _DATE.fullmatch(text)) and m["sep"] in ("/", "-"):
            first, second = int(m["first"]), int(m["second"])
            if first > 12 >= second:
                shown.add("day")
            elif second > 12 >= first:
                shown.add("month")
    return shown.pop() if len(shown) == 1 else None


def day_order(language: str | None, shown: DayOrder | None) -> DayOrder | None:
    """The order of an ambiguous slashed or dashed date: the feed's evidence (`evidence`) first, else month-first
    for a language in `MONTH_FIRST`, day-first for any other, None with no language or an undecided one."""
    if shown is not None:
        return shown
    if language is None:
        return None
    parts = language.casefold().replace("_", "-").split("-")
    region = next((p for p in parts[1:] if len(p) == 2 or (len(p) == 3 and p.isdigit())), "")
    if parts[0] in MONTH_FIRST or f"{parts[0]}-{region}" in MONTH_FIRST:
        return "month"
    return None if language.casefold() in _UNDECIDED else "day"


def numeric_date(text: str, order: DayOrder | None) -> time.struct_time | None:
    """`text` (for which `is_numeric` holds) as a UTC struct_time; None when it is not wholly a date, names no
    possible day, or is ambiguous and `order` is None. `order` is `day_order`'s for the item."""
    m = _DATE.fullmatch(text)
    if m is None:
        return None
    if m["year"] is not None:
        year, month, day = int(m["year"]), int(m["ymonth"]), int(m["yday"])
    else:
        first, second, year = int(m["first"]), int(m["second"]), int(m["fyear"])
        day_first = _day_first(first, second, "day" if m["sep"] == "." else order)
        if day_first is None:
            return None
        day, month = (first, second) if day_first else (second, first)
    if not (1 <= month <= 12 and 1 <= day <= 31):
        return None
    return localized_date(f"{day} {_MONTH_NAMES[month - 1]} {year} {m['rest'] or ''}")


def _day_first(first: int, second: int, order: DayOrder | None) -> bool | None:
    """Whether `first` is the day: as it can only be, else as `order` says (None: cannot tell)."""
    if first == second or second > 12 >= first:
        return first == second
    if first > 12 >= second:
        return True
    if first > 12:
        return None
    return None if order is None else order == "day"
