"""Embargo lines, in every format a release file comes in.

A press officer writes an embargo the same way whatever the file: "EMBARGOED UNTIL 00:01 THURSDAY 3 DECEMBER
2026", "Not for publication before 10am on 4 December 2026", or "EMBARGOED" over a line with the time. Every
format (plain text, Markdown, HTML) reads it with the one grammar here, and treats it the same way: its time is
the publication time (the release is held back until then), and an embargo without a usable date ("UNTIL
FURTHER NOTICE") is refused rather than published at once.

What this module must not do: parse dates (the time goes to the normaliser as written), or decide where in a
document an embargo may stand (each format's reader knows its own headline).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from feeds.errors import InvalidReleaseError

__all__ = ["embargo_at", "is_embargo_line"]


def is_embargo_line(text: str) -> bool:
    """Whether `text` (a line, a paragraph's text) is an embargo line, with or without its time: never a headline."""
    return _embargo_match(text) is not None or _EMBARGO_ALONE.fullmatch(text.strip()) is not None


def embargo_at(
    lines: Sequence[str], index: int, *, origin: str, line_of: Callable[[int], int | None] | None = None
) -> tuple[str, int] | None:
    """(the embargo's time as written, the index of its last line) when `lines[index]` is an embargo line, else
    None. A bare "EMBARGOED" takes its time from the next non-empty line. `line_of` maps an index to the line of
    the file for errors (by default the index is the file's line, counting from 0).

    Raises InvalidReleaseError (field `embargo`) for an embargo that gives no date.
    """
    try:
        return _embargo_at(lines, index, origin=origin)
    except InvalidReleaseError as e:
        if line_of is None:
            raise
        raise InvalidReleaseError(e.message, origin=origin, field=e.field, line=line_of(index)) from e


def _embargo_at(lines: Sequence[str], index: int, *, origin: str) -> tuple[str, int] | None:
    """(the embargo's time, the index of its last line) when line `index` is an embargo line, else None. A bare
    "EMBARGOED" (or "EMBARGO:") takes its time from the next line."""
    line = lines[index]
    if _EMBARGO_ALONE.fullmatch(line.strip()):
        following = _next_line(lines, index + 1)
        text = lines[following] if following is not None else ""
        return _embargo_time(text, line, origin=origin, line=index + 1), following if following is not None else index
    match = _embargo_match(line)
    if match is None:
        return None
    return _embargo_time(match["when"], line, origin=origin, line=index + 1), index


# What may follow "Embargo" with no word between ("Embargo 00:01 Thursday 3 December"): a time (00:01, 00.01, 00h01,
# 10am, 12 noon, 0001hrs, or four digits that are a time of day before a weekday, a date, a zone or nothing: "0001
# Thursday 3 December", "EMBARGO 0001") or a date (3 December, 3/12/2026, 3.12.2026, 2026-12-03). A headline's number is
# neither: "Embargo 2400 fishing boats", "Embargo 1500 jobs at risk", "Embargo 3 ports".
_WHEN_WORD = (
    r"(?:mon|tue|wed|thu|fri|sat|sun|jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|noon|midnight|midday|gmt|bst"
    r"|utc|cet|cest|uk\b|local\b|today|tonight|tomorrow)"
)
_TIME_OR_DATE = (
    r"(?=\d{1,2}[:.h]\d{2}(?!\d)|\d{1,2}\s*(?:[ap]\.?m\b|noon|midnight|midday)|\d{3,4}\s*(?:hrs?|hours)\b"
    rf"|(?:[01]\d|2[0-3])[0-5]\d\b(?=\s*(?:$|[,.;(*_]|(?:on\s+)?(?:{_WHEN_WORD}|\d)))"
    r"|\d{1,2}(?:st|nd|rd|th)?\s+(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec)"
    r"|\d{1,2}[/.]\d{1,2}[/.]\d{2,4}\b|\d{4}-\d{2}-\d{2})"
)
# "EMBARGOED UNTIL 00:01 THURSDAY 3 DECEMBER 2026", "Embargo: 00.01hrs, 3 Dec 2026", "Not for publication
# before 10am on 4 December 2026", "Strictly embargoed until…", "Under embargo until…"
# (After "to", only a time, a date or a day: "Embargoed to protect the fleet" is a headline.)
_EMBARGO = re.compile(
    r"\s*[*_]*\s*(?:strictly\s+)?(?:(?:embargoed|under\s+embargo)\s*(?::|until\b|till\b|before\b"
    rf"|to\s+(?:{_TIME_OR_DATE}|(?=(?:on\s+)?(?:mon|tues|wednes|thurs|fri|satur|sun)day\b|noon|midnight|midday)))"
    rf"|embargo(?:ed)?\s*(?::|until\b|till\b|{_TIME_OR_DATE})"
    r"|(?:not\s+)?for\s+(?:publication|release|broadcast)(?:\s+or\s+(?:publication|broadcast))?\s*"
    r"(?::|until\b|till\b|before\b|prior\s+to\b|at\b|on\b|after\b|from\b))(?P<when>.*)$",
    re.IGNORECASE,
)
# What an embargo says after a colon, when it gives no date ("EMBARGO: UNTIL FURTHER NOTICE", "Embargo: Thursday, time
# TBC"): without one of these, "Embargo: what it means for fishermen" is a headline. (When in doubt, an embargo: one
# without a date is refused, never published at once.)
_SAYS_WHEN = re.compile(
    r"\d|\b(?:until|till|before|after|from|further|notice|midnight|noon|midday|tb[ac]|confirm\w*|announce\w*|hrs?"
    r"|hours|[ap]\.?m|gmt|bst|utc|today|tonight|tomorrow|(?:mon|tues|wednes|thurs|fri|satur|sun)day|january|february"
    r"|march|april|may|june?|july?|august|september|october|november|december|jan|feb|mar|apr|aug|sept?|oct|nov|dec)\b",
    re.IGNORECASE,
)


# Four digits and words with no other number, none of which says when ("2027, fishing fleet waits", "1500 jobs are
# saved"): a headline's year or count, not a time. A zone or "time" keeps it an embargo ("1000 EST", "1000 Paris time").
_NUMBER_AND_WORDS = re.compile(r"[*_\s]*\d{4}(?![\d:.h/-])(?!\s*(?:hrs?|hours)\b)(?P<words>\D*?[a-z]\D*)$", re.I)
_ZONE_OR_TIME = re.compile(
    r"\b(?:[ecmp][sd]?t|ist|jst|msk|cet|cest|eet|eest|wet|west|a[ecw][sd]t|nz[sd]t|sast|hkt|sgt|z|zulu|time)\b", re.I
)


def _embargo_match(line: str) -> re.Match[str] | None:
    """`_EMBARGO`'s match of `line`, unless it is a headline with a colon ("Under embargo: the Iran fleet") or a
    year or count and words after the opening ("Embargoed until 2027, fishing fleet waits"). (When in doubt, an
    embargo.)"""
    match = _EMBARGO.match(line)
    if match is None:
        return None
    number = _NUMBER_AND_WORDS.match(match["when"])
    if number is not None and not _SAYS_WHEN.search(number["words"]) and not _ZONE_OR_TIME.search(number["words"]):
        return None
    if _SAYS_WHEN.search(match["when"]) is not None:
        return match
    return None if line[: match.start("when")].rstrip(" *_").endswith(":") else match


_EMBARGO_ALONE = re.compile(r"[*_]*\s*(?:strictly\s+)?(?:embargoed|embargo|under\s+embargo)\s*:?\s*[*_]*", re.I)
_HOURS = re.compile(r"\b(\d{1,2})[.:h]?(\d{2})\s*(?:hrs?|hours)\b", re.IGNORECASE)
# A 24-hour time written as four digits, opening the embargo, with the year further on ("0001 Thursday 3 December
# 2026"): the date parser would read "0001" as a year.
_FOUR_DIGIT_TIME = re.compile(r"^\s*([01]\d|2[0-3])([0-5]\d)\b(?=\D.*(?<!\d)\d{4}(?!\d))")
_FILLER = re.compile(r"\(?\b(?:on|at|uk\s+time|local\s+time)\b\)?", re.IGNORECASE)
# The warning an embargo carries around its time ("EMBARGOED: NOT FOR PUBLICATION UNTIL 00:01…", "… 2026 – NOT FOR
# PUBLICATION OR BROADCAST BEFORE THIS TIME", "… 2026. Strictly not for publication before then."): words, no date.
_NOT_FOR = r"(?:strictly\s+)?not\s+(?:to\s+be\s+(?:published|broadcast)|for\s+(?:publication|release|broadcast))"
_WARNING = re.compile(
    rf"^\s*{_NOT_FOR}(?:\s+or\s+\w+)?\s+(?:until|till|before|prior\s+to)\b"
    rf"|\s*(?:[-–—,;.(]\s*|\s)(?:{_NOT_FOR}|strictly)\b\D*$",
    re.IGNORECASE,
)


def _embargo_time(when: str, line_text: str, *, origin: str, line: int) -> str:
    """The time an embargo line gives (`when`: its text after "until"), written so the date parser reads it as
    meant ("0001hrs" is 00:01, not a year); an embargo without one is refused: the release would otherwise be
    published at once."""
    when = _WARNING.sub("", when)
    when = _HOURS.sub(r"\1:\2", when)  # (a dotted time alone, "00.01", `parse_date` reads as a time itself)
    when = _FOUR_DIGIT_TIME.sub(r"\1:\2", when)
    when = " ".join(_FILLER.sub(" ", when).split()).strip(" *_,.;:–—-")
    if not re.search(r"\d", when):
        raise InvalidReleaseError(
            f"the embargo {' '.join(line_text.split())!r} gives no date: give its date and time "
            "('Embargoed until 00:01 Thursday 3 December 2026'), or the release would be published at once",
            origin=origin,
            field="embargo",
            line=line,
        )
    return when


def _next_line(lines: Sequence[str], start: int) -> int | None:
    return next((i for i in range(start, len(lines)) if lines[i].strip()), None)
