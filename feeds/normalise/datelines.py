"""The date a release states in its opening lines, for a release whose source gives no date (pure).

Press releases written by hand carry their date in the text rather than in metadata:

- a dateline opening the first paragraph: `LONDON, 3 November 2026 – The Minister…`,
  `**LONDON, Tuesday 10 November 2026** — …`, `3 November 2026: The Minister…`, `Tehran, 27 November 2026. We…`,
  `LONDON (27 November 2026) – …`, `27/11/2026 – …`, `27.11.2026 – …`, `2026-11-27 – …`,
  `NEW YORK, Nov. 27, 2026 /PRNewswire/ -- …`, `PORTSMOUTH, 2 November 2026 09:30 GMT – …`;
- a line of its own near the top: `4 November 2026`, `Published: 5 November 2026`, `Monday 2 November 2026 10:30`.

Such a date is taken as the release's publication date (read in the site's time zone, like any date without
one). A line that is only a date says nothing else and is dropped from the body; a dateline stays in the body
(it is part of the wire style) but not in the summary. A date whose weekday is not its day's ("Monday 29 November
2026", a Sunday) is still found, with what is wrong with it (`weekday_error`): the normaliser refuses it where it
would date the release, and leaves it alone as text where the source dates the release otherwise.

What this module must not do: guess. Only a date with a day, a month (a name, or a number after the day) and a
four-digit year counts, only in the first three paragraphs, and `parse_date` has the last word (a date it cannot
read is no date).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from feeds.normalise.dates import WeekdayError, clock_change_guess, parse_date
from feeds.normalise.text import holds_any

__all__ = ["OpeningDate", "date_line", "opening_date"]

_MONTH = r"(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?"
_WEEKDAY = r"(?:(?:mon|tues?|wed(?:nes)?|thu(?:rs)?|fri|sat(?:ur)?|sun)(?:day)?\.?,?\s+)?"
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
# (With the zone it may name: "09:30 GMT", "10am BST", "10:00 GMT+1" as `parse_date` reads them, or any other name in
# capitals, "10:00 MSK", for `parse_date` to read where it is the site's zone's name that day and else to refuse, so
# that such a dateline is not skipped, its release dated at its ingest; or noon: "12 noon", "midday".)
_TIME = (
    r"(?:,?\s+(?:at\s+)?(?:(?:12\s*)?noon|midday|\d{1,2}(?:[:.]\d{2})?\s*(?:[ap]\.?m\.?)?"
    r"(?:\s*(?:UTC|UT|GMT|BST|CES?T|[ECMP][SD]T|(?-i:[A-Z]{2,5}))\b(?:\s*[+-]\d{1,2}(?::?\d{2})?\b)?)?))?"
)
# Day first (27/11/2026, 27.11.2026, as `parse_date` reads them), or ISO 8601 (2026-11-27).
_NUMERIC = r"\d{1,2}/\d{1,2}/\d{4}|\d{1,2}\.\d{1,2}\.\d{4}|\d{4}-\d{2}-\d{2}"
_DAY_DATE = rf"{_WEEKDAY}(?:{_DAY}\s+{_MONTH},?\s+\d{{4}}|{_MONTH}\s+{_DAY},?\s+\d{{4}}|{_NUMERIC})"
_DATE = rf"{_DAY_DATE}{_TIME}"

# A paragraph that is only a date, possibly labelled ("Published: …", "FOR IMMEDIATE RELEASE – …") or placed.
_DATE_LABEL = r"(?:published|issued|released|date|dated|for\s+immediate\s+release)\s*(?:on)?\s*(?::|[–—-]+)?\s*"
_DATE_ONLY = re.compile(rf"(?:{_DATE_LABEL}|[A-Z][\w.'’ -]{{0,40}}?,\s*)?(?P<date>{_DATE})\.?", re.IGNORECASE)
# A line that is only a date, with no place: "Autumn Statement, 26 November 2026" may be a headline.
_DATE_LINE = re.compile(rf"(?:{_DATE_LABEL})?(?P<date>{_DATE})\.?", re.IGNORECASE)
# A dateline: an optional place in capitals or title case and a comma, the date, then a dash or colon (or a full
# stop before the sentence: "Tehran, 27 November 2026. We are…"); or the place with the date in brackets
# ("LONDON (27 November 2026) – The Minister…").
_DATELINE = re.compile(
    rf"(?P<place>[A-Z][\w.'’ -]{{0,40}}?,\s*)?(?P<date>{_DATE})\s*(?:/[\w ]{{1,30}}/\s*)?"  # (a wire's /PRNewswire/)
    rf"(?:[–—-]+|:|\.(?=\s+[A-Z“\"‘']))\s+(?=\S)",
    re.IGNORECASE,
)
_DATELINE_BRACKETED = re.compile(
    rf"(?P<place>[A-Z][\w.'’ -]{{0,40}}?\s*)?\((?P<date>{_DATE})\)\s*(?:[–—-]+|:)?\s+(?=\S)", re.IGNORECASE
)
# A dateline whose time is followed by what `_TIME` does not read ("10:00 Moscow time", "10:00 (MSK)", "9h00 CET"):
# refused where it would date the release, saying what to write, rather than skipped (the release dated at its ingest).
_DATELINE_TIME_UNREAD = re.compile(
    rf"(?P<place>[A-Z][\w.'’ -]{{0,40}}?,\s*)?(?P<date>{_DAY_DATE}),?\s+(?:at\s+)?"
    r"(?P<time>\d{1,2}(?:[:.h]\d{2})?[^\W\d][^–—\d]{0,30}?|\d{1,2}[:.h]\d{2}\s*[^–—\d]{1,30}?)\s+[–—-]+\s+(?=\S)",
    re.IGNORECASE,
)
_UNREAD_REACH = 160
"""How far into a paragraph `_DATELINE_TIME_UNREAD`'s dash may be (a place, a date and a time with words after it)."""
_TIME_UNREAD = (
    "the time {time!r} after the date is not read: write it with its offset ('10:00 +03:00'), or as GMT, UTC, BST, "
    "CET or CEST, or leave the zone out for the site's own time (site.timezone)"
)
_UK_TIME = re.compile(
    r"(?P<clock>\d{1,2}(?:[:.]\d{2})?\s*(?:[ap]\.?m\.?)?)\s+(?:UK|U\.K\.|British|London)\s+time", re.IGNORECASE
)
"""A time a British release gives as "UK time" (or "British", "London time"): read in London's zone, GMT or BST
as the date has it."""
_LONDON = ZoneInfo("Europe/London")
_EMPHASIS = re.compile(r"^[*_]{1,3}(?P<inner>[^*_]+?)[*_]{1,3}(?=\s*[–—:-])")
_YEAR = re.compile(r"\d{4}")
"""What every date of `_DATE` holds (a four-digit year)."""
_ASCII_DIGITS = b"0123456789"


def _may_hold_year(text: str) -> bool:
    """Whether `text` may hold a `_YEAR`: for ASCII text, whether it has four digits at all (a C-speed count;
    the regex tests every character for a Unicode digit, 10 us a paragraph)."""
    if text.isascii():
        if not holds_any(text, "0123456789"):
            return False  # no digit at all: most prose
        data = text.encode("ascii")
        return len(data) - len(data.translate(None, _ASCII_DIGITS)) >= 4
    return _YEAR.search(text) is not None


_LOOK_IN = 3
"""Paragraphs from the top where a date is looked for (after the title, maybe a subtitle and a label)."""


@dataclass(frozen=True, slots=True)
class OpeningDate:
    when: datetime
    """The date, in UTC."""
    paragraph: int
    """Which paragraph of the text held it (0-based)."""
    alone: bool
    """True: the paragraph is only the date (drop it). False: a dateline opening a paragraph of text."""
    rest: str
    """For a dateline, the paragraph without it (what a summary should start with); "" for a date alone."""
    weekday_error: str | None = None
    """Why the date is not sure, when the weekday it names is not its day's, or the zone or time it names is not read
    (a `WeekdayError`, or the time after a dateline's date: `when` is then the date as written)."""
    guess: str | None = None
    """How its time was read, when it is one the clocks skip or repeat (`clock_change_guess`)."""


_SEE_ALL_UPDATES = re.compile(r"\s*[—–-]+\s*see all updates\s*$", re.IGNORECASE)


def without_history_link(text: str) -> str:
    """`text` without the link to its change history GOV.UK puts after a date: "4 June 2026 — See all updates"
    (in a saved page's metadata list, or pasted below a headline)."""
    return _SEE_ALL_UPDATES.sub("", text)


def date_line(text: str) -> str | None:
    """The date a line says when it says nothing else ("3 June 2026", "**Wednesday 3 June 2026**", "Published: 3 June
    2026", "FOR IMMEDIATE RELEASE: 3 June 2026"), as written; None for any other line, and for a date after a
    place or a name ("LONDON, 3 June 2026", or a headline: "Autumn Statement, 26 November 2026"). Not read:
    `parse_date` is."""
    if not _may_hold_year(text):
        return None
    alone = _DATE_LINE.fullmatch(" ".join(text.split()).strip("*_ "))
    return alone["date"].rstrip(",. ") if alone is not None else None


def opening_date(paragraphs: list[str], tz: ZoneInfo) -> OpeningDate | None:
    """The first stated date among the opening `paragraphs` (plain text, one string each), or None."""
    for index, paragraph in enumerate(paragraphs[:_LOOK_IN]):
        if not _may_hold_year(paragraph):  # every date counted has one: most paragraphs need no more reading
            continue
        text = " ".join(paragraph.split())
        text = _EMPHASIS.sub(lambda m: m["inner"], text)  # "**LONDON, 10 November 2026** —"
        alone = _DATE_ONLY.fullmatch(text)
        found = alone or _DATELINE.match(text) or _DATELINE_BRACKETED.match(text)
        unread = None
        if found is None:
            head = text[:_UNREAD_REACH]  # (a C-speed test first: such a dateline has its dash near the start)
            if "–" in head or "—" in head or " -" in head:
                found = unread = _DATELINE_TIME_UNREAD.match(text)
            if found is None:
                continue
        error = None
        written = found["date"].rstrip(",. ")
        try:
            when = parse_date(written, tz)
        except WeekdayError as e:
            when, error = e.when, str(e)
        except ValueError:
            continue
        if unread is not None and error is None and (uk := _UK_TIME.fullmatch(unread["time"].strip())) is not None:
            try:  # "10:00 UK time": the time in London, whichever zone the site is in
                when = parse_date(f"{written} {uk['clock']}", _LONDON)
            except ValueError:
                error = _TIME_UNREAD.format(time=unread["time"])
        elif unread is not None:
            error = error or _TIME_UNREAD.format(time=unread["time"])
        return OpeningDate(
            when=when,
            paragraph=index,
            alone=alone is not None,
            rest="" if alone else text[found.end() :],
            weekday_error=error,
            guess=None if error else clock_change_guess(written, tz, when),
        )
    return None
