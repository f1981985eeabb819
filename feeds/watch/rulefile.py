"""Keyword rules in a file, as press officers keep them in spreadsheets: reading one (`keywords import`) and writing
one (`keywords export`) that reads back to the same rules.

Pure: bytes in, rows and problems out (and rules in, bytes out). What a file may be, told apart by explicit rules
rather than `csv.Sniffer` (which guesses from letter counts and misreads a column of queries full of commas):
1. the encoding: a UTF-16 byte order mark (Excel's "Unicode Text"), else NULs every other byte (UTF-16 without
   one), else UTF-8 with or without its BOM ("CSV UTF-8"), else Windows-1252 (Excel's plain "CSV", saved on a
   Windows machine; noted, as it is a guess);
2. the form, from the first line that is not blank or a `#` comment: a header naming a `query` column (and
   usually `name`), separated by tabs, else semicolons (Excel where the decimal mark is a comma), else commas;
   without one, a plain text file of one query per line, each rule named by its query (as `keywords add`
   names it without `--name`).
Every problem is collected with its line (and the column, or the character of a query the parser points at), so
that one read lists them all; whether any refuses the import is the caller's decision (`ruleimport.py`).

What this module must not do: look at the store or the config (`ruleimport.py` does), or print.
"""

from __future__ import annotations

import codecs
import csv
import io
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from feeds.errors import RuleError
from feeds.fold import fold
from feeds.model import Rule
from feeds.normalise.ids import check_rule_name, rule_clash, rule_keys
from feeds.watch.query import check_query

Form = Literal["tab", "semicolon", "comma", "text"]
FORM_NAMES: dict[Form, str] = {
    "tab": "tab-separated",
    "semicolon": "semicolon-separated CSV",
    "comma": "CSV",
    "text": "text, one query per line",
}
_DELIMITERS: tuple[tuple[Form, str], ...] = (("tab", "\t"), ("semicolon", ";"), ("comma", ","))
_OURS = frozenset({"name", "query", "origin"})
"""The columns read (`origin`, written by `export`, is where a rule came from in the store it was exported from:
a rule imported here comes from this file, so it is passed over)."""
_FORMULA_START = ("=", "+", "-", "@")
"""What makes a spreadsheet read a cell as a formula (`-rumour iran` would show as `#NAME?`): written after a
space, which import strips again."""


@dataclass(frozen=True, slots=True)
class RuleRow:
    """A rule as a line of the file gives it."""

    line: int
    name: str
    query: str


@dataclass(frozen=True, slots=True)
class LineProblem:
    """Why a line cannot be imported. `column` is the 1-based character of the line (a text file) or the
    spreadsheet's column letter (a table) where it is; `detail` the query with a caret under the character."""

    line: int
    message: str
    column: int | str | None = None
    detail: str = ""


@dataclass(frozen=True, slots=True)
class RuleFile:
    form: Form
    encoding: str
    rows: tuple[RuleRow, ...]
    problems: tuple[LineProblem, ...]
    notes: tuple[str, ...]
    """What was read as it was not written, or passed over (columns ignored, a line repeated, the encoding
    guessed)."""


def read_rule_file(data: bytes) -> RuleFile:
    """The rules of a file of keyword rules in any of the forms above, and the problems of its lines."""
    notes: list[str] = []
    try:
        text, encoding = _decoded(data, notes)
    except _NotText as e:
        return RuleFile("text", "UTF-16", (), (e.problem,), ())
    if "\x00" in text:
        line = text.count("\n", 0, text.index("\x00")) + 1
        return RuleFile("text", encoding, (), (LineProblem(line, "not a text file (it holds NUL bytes)"),), ())
    lines = text.splitlines()
    first = next((i for i, s in enumerate(lines) if s.strip() and not s.lstrip().startswith("#")), None)
    form, delimiter = _form(lines[first]) if first is not None else ("text", "")
    if form == "text":
        rows, problems = _text_rows(lines)
    else:
        rows, problems = _table_rows(text, delimiter, notes)
    rows, more = _unique(rows, notes)
    return RuleFile(form, encoding, tuple(rows), tuple(sorted(problems + more, key=lambda p: p.line)), tuple(notes))


def _decoded(data: bytes, notes: list[str]) -> tuple[str, str]:
    """The file's text and the name of its encoding (see the module docstring)."""
    if data.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return _utf16(data, "utf-16"), "UTF-16"
    if len(data) >= 2 and data.count(0) * 3 >= len(data):  # (ASCII in UTF-16: every other byte is NUL)
        odd = data[1::2].count(0) > data[0::2].count(0)
        return _utf16(data, "utf-16-le" if odd else "utf-16-be"), "UTF-16"
    if data.startswith(codecs.BOM_UTF8):
        return _utf8(data[3:], notes), "UTF-8 with BOM"
    return _utf8(data, notes), "UTF-8"


def _utf16(data: bytes, codec: str) -> str:
    try:
        return data.decode(codec)
    except UnicodeDecodeError as e:
        text = data[: e.start - e.start % 2].decode(codec, errors="replace")
        raise _NotText(text.count("\n") + 1, f"not UTF-16 text past this line (byte {e.start})") from e


class _NotText(ValueError):
    def __init__(self, line: int, message: str):
        self.problem = LineProblem(line, message)
        super().__init__(message)


def _utf8(data: bytes, notes: list[str]) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data.count(b"\n", 0, e.start) + 1
        notes.append(
            f"not UTF-8 (line {line}): read as Windows-1252, as Excel's plain CSV is written; "
            'save as "CSV UTF-8" to be sure of every letter'
        )
        return data.decode("cp1252", errors="replace")


def _form(header: str) -> tuple[Form, str]:
    """The form a file whose first line is `header` has, and its delimiter ("" for text)."""
    for form, delimiter in _DELIMITERS:
        cells = [c.strip().lower() for c in next(csv.reader([header], delimiter=delimiter), [])]
        if "query" in cells:
            return form, delimiter
    return "text", ""


def _table_rows(text: str, delimiter: str, notes: list[str]) -> tuple[list[RuleRow], list[LineProblem]]:
    """The rows of a table whose first line names its columns."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    rows: list[RuleRow] = []
    problems: list[LineProblem] = []
    header: list[str] | None = None
    before = 0
    while True:
        start = before + 1
        try:
            cells = next(reader)
        except StopIteration:
            break
        except csv.Error as e:
            problems.append(LineProblem(reader.line_num, f"{e}: {_QUOTING}"))
            before = reader.line_num
            continue
        before = reader.line_num
        if not any(c.strip() for c in cells) or (header is None and cells[0].lstrip().startswith("#")):
            continue  # (a blank row; a comment above the header)
        if header is None:
            header = [c.strip().lower() for c in cells]
            problems += _header_problems(header, start, notes)
            continue
        if len(cells) > len(header) and any(c.strip() for c in cells[len(header) :]):
            problems.append(
                LineProblem(start, f"{len(cells)} cells, but the header names {len(header)} columns: {_QUOTING}")
            )
            continue
        cell = {h: (cells[i].strip() if i < len(cells) else "") for i, h in enumerate(header) if h in _OURS}
        columns: dict[str, str | int] = {h: _letter(header.index(h)) for h in ("name", "query") if h in header}
        row = _row(start, cell.get("name", ""), cell.get("query", ""), columns, problems)
        if row is not None:
            rows.append(row)
    return rows, problems


_QUOTING = 'a cell holding the delimiter or a quote is written in quotes, its own quotes doubled ("")'


def _header_problems(header: Sequence[str], line: int, notes: list[str]) -> list[LineProblem]:
    twice = sorted({h for h in header if h and header.count(h) > 1} & _OURS)
    if twice:
        return [LineProblem(line, f"the header names the column {twice[0]!r} twice")]
    ignored = [h for h in header if h and h not in _OURS]
    if ignored:
        notes.append(f"columns ignored: {', '.join(ignored)} (a rule is a name and a query)")
    return []


def _letter(index: int) -> str:
    """A spreadsheet's name for column `index` (0: A, 26: AA)."""
    name = ""
    index += 1
    while index:
        index, rest = divmod(index - 1, 26)
        name = chr(ord("A") + rest) + name
    return name


def _text_rows(lines: Sequence[str]) -> tuple[list[RuleRow], list[LineProblem]]:
    """One query per line; blank lines and lines starting with `#` are passed over."""
    rows: list[RuleRow] = []
    problems: list[LineProblem] = []
    for number, line in enumerate(lines, 1):
        query = line.strip()
        if not query or query.startswith("#"):
            continue
        offset = len(line) - len(line.lstrip())
        row = _row(number, "", query, {"query": offset}, problems)
        if row is not None:
            rows.append(row)
    return rows, problems


def _row(
    line: int, name: str, query: str, columns: dict[str, str | int], problems: list[LineProblem]
) -> RuleRow | None:
    """A rule from a line's name and query (`columns`: where each is, a spreadsheet letter or the offset of the
    query in a text line), or None with the line's problem appended."""
    where = columns.get("query")
    if not query:
        odd = (
            " (is this line separated by another character than the header's?)"
            if any(d in name for d in ";\t,")
            else ""
        )
        problems.append(LineProblem(line, f"rule {name!r} has no query{odd}", columns.get("query")))
        return None
    try:
        check_query(query)
    except RuleError as e:
        column: int | str | None = where
        if e.position is not None and isinstance(where, int):
            column = where + e.position + 1
        detail = str(e).partition("\n")[2] if e.position is not None else ""
        at = f"at character {e.position + 1} of the query: " if e.position is not None and detail else ""
        problems.append(LineProblem(line, at + e.message if isinstance(where, str) else e.message, column, detail))
        return None
    try:
        name = check_rule_name(name or query)
    except RuleError as e:
        if name:
            problems.append(LineProblem(line, e.message, columns.get("name")))
        else:
            problems.append(
                LineProblem(
                    line, f"give the rule a name (a `name` column): the query cannot be its name, as {e.message}"
                )
            )
        return None
    return RuleRow(line, name, query)


def _unique(rows: Sequence[RuleRow], notes: list[str]) -> tuple[list[RuleRow], list[LineProblem]]:
    """The rows, each name once: a line repeating an earlier one is passed over (noted); one giving the same name
    (but for case, or the same feed folder) another query is a problem, naming the earlier line."""
    kept: list[RuleRow] = []
    problems: list[LineProblem] = []
    # The rows kept, by each of the keys no two rules may share (a list of thousands of rules is looked through
    # once, not once per row).
    by_case: dict[str, RuleRow] = {}
    by_folder: dict[str, RuleRow] = {}
    for row in rows:
        case, folder = rule_keys(row.name)
        earlier = by_case.get(case) or by_folder.get(folder)
        if earlier is None:
            kept.append(row)
            by_case[case] = by_folder[folder] = row
        elif earlier.name == row.name and earlier.query == row.query:
            notes.append(f"line {row.line} repeats line {earlier.line} ({row.name!r})")
        elif rule_clash(row.name, earlier.name) == "case":
            problems.append(
                LineProblem(row.line, f"rule {row.name!r} is on line {earlier.line} already, as {earlier.name!r}")
            )
        else:
            problems.append(
                LineProblem(
                    row.line,
                    f"rule {row.name!r} would publish its matches in the folder of rule {earlier.name!r} "
                    f"(line {earlier.line}): rename one of them",
                )
            )
    return kept, problems


ExportFormat = Literal["csv", "txt"]


def write_rule_file(rules: Sequence[Rule], form: ExportFormat) -> bytes:
    """The rules as a file `read_rule_file` reads back to the same names and queries, by name as `keywords list`
    orders them. CSV: UTF-8 with a BOM (without one, Excel reads UTF-8 as the machine's code page), CRLF, cells
    quoted when they hold a comma, quote or line break, and a cell a spreadsheet would take for a formula written
    after a space. Text: one query per line, for rules named by their query only (ValueError naming the others)."""
    ordered = sorted(rules, key=lambda r: (fold(r.name), r.name))
    if form == "txt":
        named = [r.name for r in ordered if r.name != r.query.strip() or "\n" in r.query or "\r" in r.query]
        if named:
            shown = ", ".join(repr(n) for n in named[:5]) + (f" and {len(named) - 5} more" if len(named) > 5 else "")
            raise ValueError(
                f"a text file holds queries only, and {len(named)} rule(s) have a name of their own or a query on "
                f"several lines ({shown}): export them as CSV (--format csv)"
            )
        return "".join(f"{r.query.strip()}\n" for r in ordered).encode("utf-8")
    out = io.StringIO(newline="")
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(["name", "query", "origin"])
    for r in ordered:
        writer.writerow([_as_text(r.name), _as_text(r.query.strip()), r.origin])
    return codecs.BOM_UTF8 + out.getvalue().encode("utf-8")


def _as_text(cell: str) -> str:
    return " " + cell if cell.startswith(_FORMULA_START) else cell
