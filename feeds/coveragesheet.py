"""The coverage report as a spreadsheet (`feeds matches list -o report.xlsx`): the rows of `feeds.coveragereport`
in an Excel workbook, which opens the same in every locale.

Why a workbook beside the CSV: Excel opens a `.csv` with its locale's list separator and decimal mark, so in a
German, French or Dutch Excel the comma-separated report lands in one column and `2.5` hours becomes a date or
text. In a workbook each cell has its type: times are dates (the site's wall time, shown `2026-11-30 09:30`),
delays and counts numbers, links clickable, and every text from outside is a string cell, never a formula
(the CSV's `'` before `=`, `+`, `-`, `@` is not needed, and not written). XlsxWriter writes it: maintained,
pure Python, without dependencies, and its files are the same bytes for the same rows and time (the zip's
members are dated 1980-01-01; the workbook's own date is the report's).

Pure: rows, the site's time zone and the report's time in, bytes out. It must not read the store or decide what
matched, nor lay out rows differently from the CSV: the columns are the CSV's (`ARTICLE_COLUMNS` and the rest).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, tzinfo
from typing import Any

from feeds.clock import ensure_utc
from feeds.coveragereport import (
    ARTICLE_COLUMNS,
    RELEASE_COLUMNS,
    RULE_COLUMNS,
    ArticleRow,
    SubjectRow,
)
from feeds.model import Release

MAX_URL = 2079
"""The longest address Excel keeps as a link; a longer one is written as text."""
MAX_LINKS = 65_530
"""Links Excel allows on one sheet; further addresses are written as text."""
MAX_TEXT = 32_767
"""Characters Excel keeps in a cell; a longer text is cut, ending with `…`."""

Kind = str  # "text", "time", "hours", "count" or "link"


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    kind: Kind
    width: float


_KINDS: dict[str, tuple[Kind, float]] = {
    "found": ("time", 17),
    "published": ("time", 17),
    "first_found": ("time", 17),
    "last_found": ("time", 17),
    "delay_hours": ("hours", 11),
    "first_delay_hours": ("hours", 11),
    "articles": ("count", 9),
    "pickups": ("count", 9),
    "related": ("count", 9),
    "kind": ("text", 9),
    "rule": ("text", 18),
    "release": ("text", 40),
    "release_id": ("text", 24),
    "feeds": ("text", 28),
    "title": ("text", 50),
    "link": ("link", 45),
}


def _columns(names: Sequence[str]) -> list[Column]:
    return [Column(name, *_KINDS[name]) for name in names]


def article_sheet(articles: Sequence[ArticleRow], releases: dict[str, Release], tz: tzinfo, made: datetime) -> bytes:
    """The articles as a workbook of one sheet, "Articles", with the CSV's columns (`ARTICLE_COLUMNS`)."""
    rows = []
    for a in articles:
        release = releases.get(a.subject) if a.kind != "keyword" else None
        rows.append(
            (
                a.found_at,
                a.published,
                _hours(a.delay),
                a.kind,
                a.subject if a.kind == "keyword" else None,
                release.title if release else None,
                a.subject if a.kind != "keyword" else None,
                "; ".join(a.feeds),
                a.title,
                a.link,
            )
        )
    return _workbook("Articles", _columns(ARTICLE_COLUMNS), rows, tz, made)


def summary_sheet(rows: Sequence[SubjectRow], tz: tzinfo, made: datetime, *, by: str) -> bytes:
    """The summary rows as a workbook of one sheet, "Releases" (`RELEASE_COLUMNS`) or "Rules" (`RULE_COLUMNS`)."""
    if by == "rule":
        by_rule = [(r.subject, r.articles, r.first_found, r.last_found, "; ".join(r.feeds)) for r in rows]
        return _workbook("Rules", _columns(RULE_COLUMNS), by_rule, tz, made)
    cells = [
        (
            r.release.title if r.release else None,
            r.subject,
            r.release.published if r.release else None,
            r.articles,
            r.pickups,
            r.related,
            r.first_found,
            _hours(r.first_delay),
            "; ".join(r.feeds),
        )
        for r in rows
    ]
    return _workbook("Releases", _columns(RELEASE_COLUMNS), cells, tz, made)


def _hours(seconds: float | None) -> float | None:
    return round(seconds / 3600, 2) if seconds is not None else None


def _workbook(name: str, columns: list[Column], rows: Sequence[Sequence[Any]], tz: tzinfo, made: datetime) -> bytes:
    """One sheet: a bold header row that stays in view, a filter on every column, a row per item of `rows` (None
    is an empty cell)."""
    import xlsxwriter  # (only the command that writes a workbook needs it)

    out = io.BytesIO()
    options = {"in_memory": True, "strings_to_formulas": False, "strings_to_numbers": False, "strings_to_urls": False}
    book = xlsxwriter.Workbook(out, options)
    book.set_properties({"title": f"Coverage: {name.lower()}", "created": _wall(made, tz)})
    sheet = book.add_worksheet(name)
    bold = book.add_format({"bold": True})
    formats = {
        "time": book.add_format({"num_format": "yyyy-mm-dd hh:mm"}),
        "hours": book.add_format({"num_format": "0.00"}),
    }
    links = 0

    def write_link(r: int, c: int, value: str) -> None:
        nonlocal links
        if links < MAX_LINKS and len(value) <= MAX_URL and value.startswith(("https://", "http://")):
            links += 1
            sheet.write_url(r, c, value, string=value)
        else:
            sheet.write_string(r, c, _text(value))

    writers: dict[Kind, Callable[[int, int, Any], object]] = {
        "text": lambda r, c, v: sheet.write_string(r, c, _text(v)),
        "time": lambda r, c, v: sheet.write_datetime(r, c, _wall(v, tz), formats["time"]),
        "hours": lambda r, c, v: sheet.write_number(r, c, v, formats["hours"]),
        "count": lambda r, c, v: sheet.write_number(r, c, v),
        "link": write_link,
    }
    for c, column in enumerate(columns):
        sheet.write_string(0, c, column.name, bold)
        sheet.set_column(c, c, column.width)
    for r, row in enumerate(rows, start=1):
        for c, (column, value) in enumerate(zip(columns, row, strict=True)):
            if value is not None and value != "":
                writers[column.kind](r, c, value)
    sheet.freeze_panes(1, 0)
    sheet.autofilter(0, 0, max(len(rows), 1), len(columns) - 1)
    book.close()
    return out.getvalue()


def _wall(value: datetime, tz: tzinfo) -> datetime:
    """The site's wall time, without a zone: what a spreadsheet's date is."""
    return ensure_utc(value).astimezone(tz).replace(tzinfo=None)


def _text(value: str) -> str:
    return value if len(value) <= MAX_TEXT else value[: MAX_TEXT - 1] + "…"
