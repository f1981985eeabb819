"""Importing a file of keyword rules (`keywords import`) and exporting the rules to one (`keywords export`).

The file is read by `rulefile.py`; here its rules meet the store's: a name not stored is added (remembering the
file it came from, `origin = "file:<name>"`, as an OPML import remembers its file), a stored one with another
query takes the file's (applied again at the next poll, as `keywords edit` does), one with the same query is
unchanged, so importing the same file twice changes nothing. With `prune`, the rules imported from a file of the
same name before and no longer in it are removed.

All or nothing: a bad line, a rule the config file defines (changed there, never by an import), or a name that
would share another rule's feed folder refuses the whole import, every such line listed, and nothing is written;
what is written is written in one transaction (`Store.import_rules`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

from feeds.config.positions import find_line
from feeds.config.reader import dotted_key
from feeds.errors import FeedsError, RuleFileError
from feeds.model import Rule
from feeds.normalise.ids import rule_keys, rule_slug
from feeds.watch.rulefile import (
    FORM_NAMES,
    ExportFormat,
    LineProblem,
    RuleFile,
    RuleRow,
    read_rule_file,
    write_rule_file,
)

if TYPE_CHECKING:
    from feeds.app import App

MAX_FILE_BYTES = 16 * 1024 * 1024
"""A list of keywords is some kilobytes; a file far larger is the wrong file (a database, a video)."""


@dataclass(frozen=True, slots=True)
class RuleChange:
    name: str
    query: str
    was: str = ""
    """The query before (updated rules only)."""
    line: int | None = None
    """The file's line (none for a rule removed: it is no longer there)."""


@dataclass(frozen=True, slots=True)
class RuleImport:
    """What `import_rule_file` did, or would do (`dry_run`)."""

    path: str
    origin: str
    form: str
    encoding: str
    dry_run: bool
    added: list[RuleChange] = field(default_factory=list)
    updated: list[RuleChange] = field(default_factory=list)
    unchanged: list[RuleChange] = field(default_factory=list)
    removed: list[RuleChange] = field(default_factory=list)
    notes: tuple[str, ...] = ()
    matches_removed: int = 0

    @property
    def changed(self) -> bool:
        return bool(self.added or self.updated or self.removed)


def file_origin(path: Path) -> str:
    """The origin the rules imported from `path` remember: its file name (so that the same list saved again, or
    in another folder, is the same file)."""
    return f"file:{path.name}"


def import_rule_file(app: App, path: Path, *, dry_run: bool = False, prune: bool = False) -> RuleImport:
    """Import the keyword rules of the file at `path` (see the module docstring); RuleFileError listing every line
    that cannot be imported, when one cannot (nothing is written then)."""
    data = _read(path)
    read = read_rule_file(data)
    shown = str(path)
    origin = file_origin(path)
    stored = app.store.rules()
    problems = list(read.problems) + _store_problems(app, read.rows, _Stored(stored))
    if problems:
        problems.sort(key=lambda p: p.line)
        raise RuleFileError(shown, [(p.line, p.column, p.message, p.detail) for p in problems])
    if prune and not read.rows:
        raise FeedsError(
            f"{shown} lists no rule: --prune would remove every rule imported from a file of that name (remove them "
            "with `feeds keywords remove`, or import the file that lists them)"
        )
    done = _plan(read, stored, shown=shown, origin=origin, dry_run=dry_run, prune=prune)
    if dry_run or not done.changed:
        return done
    gone = app.store.import_rules(
        add=[(c.name, c.query) for c in done.added],
        change=[(c.name, c.query) for c in done.updated],
        remove=[c.name for c in done.removed],
        origin=origin,
        now=app.clock(),
    )
    return replace(done, matches_removed=gone)


def _read(path: Path) -> bytes:
    try:
        if path.stat().st_size > MAX_FILE_BYTES:
            raise FeedsError(f"{path}: larger than {MAX_FILE_BYTES // (1024 * 1024)} MiB: not a list of keyword rules")
        data = path.read_bytes()
    except OSError as e:
        raise FeedsError(f"cannot read {path}: {e.strerror or e}") from e
    if data.startswith(b"PK\x03\x04") or data.startswith(b"\xd0\xcf\x11\xe0"):
        raise FeedsError(
            f'{path}: an Excel workbook, not a text file: save it as "CSV UTF-8 (Comma delimited)" and import that'
        )
    return data


class _Stored:
    """The stored rules, found by name, by name but for case and by feed folder (`rule_keys`): a file of thousands
    of rules is matched against thousands stored without comparing every pair."""

    def __init__(self, rules: list[Rule]) -> None:
        self.rules = rules
        self.by_name = {r.name: r for r in rules}
        self.by_case: dict[str, Rule] = {}
        self.by_folder: dict[str, Rule] = {}
        for r in sorted(rules, key=lambda r: r.name):  # (two stored that clash, from before the check: the first)
            case, folder = rule_keys(r.name)
            self.by_case.setdefault(case, r)
            self.by_folder.setdefault(folder, r)

    def row_rule(self, row: RuleRow) -> Rule | None:
        """The stored rule a row is: the one of its name, else the one of its name but for case (as `keywords
        edit` finds a rule)."""
        return self.by_name.get(row.name) or self.by_case.get(row.name.casefold())

    def folder_of(self, row: RuleRow) -> Rule | None:
        """A stored rule publishing its matches in the feed folder the row's name would have."""
        return self.by_folder.get(rule_slug(row.name))


def _store_problems(app: App, rows: tuple[RuleRow, ...], stored: _Stored) -> list[LineProblem]:
    """The rows the store refuses: one the config file defines with another query (changed there), one whose feed
    folder another rule has (a rule is never renamed or merged by an import)."""
    problems: list[LineProblem] = []
    configured = {k.name: i for i, k in enumerate(app.settings.watch.keywords)}
    for row in rows:
        rule = stored.row_rule(row)
        if rule is not None and rule.origin == "config" and rule.name in configured:
            if rule.query.strip() != row.query:
                where = _config_place(app, configured[rule.name])
                problems.append(
                    LineProblem(
                        row.line, f"rule {rule.name!r} is defined in the config file ({where}): change it there"
                    )
                )
            continue
        if rule is None:
            other = stored.folder_of(row)
            if other is not None:
                problems.append(
                    LineProblem(
                        row.line,
                        f"rule {row.name!r} would publish its matches at matches/rules/{rule_slug(row.name)}/, as "
                        f"rule {other.name!r} does already: rename one of them",
                    )
                )
    return problems


def _config_place(app: App, index: int) -> str:
    """`FILE:LINE: watch.keywords[N]`, where the config defines its rule `index`."""
    path = app.settings.path
    key = ("watch", "keywords", index)
    try:
        line = find_line(path.read_text(encoding="utf-8").splitlines(), key)
    except (OSError, UnicodeDecodeError):
        line = None
    return f"{path}{f':{line}' if line else ''}: {dotted_key(key)}"


def _plan(read: RuleFile, stored: list[Rule], *, shown: str, origin: str, dry_run: bool, prune: bool) -> RuleImport:
    done = RuleImport(shown, origin, FORM_NAMES[read.form], read.encoding, dry_run, notes=read.notes)
    found = _Stored(stored)
    named: set[str] = set()
    for row in read.rows:
        rule = found.row_rule(row)
        if rule is None:
            done.added.append(RuleChange(row.name, row.query, line=row.line))
            named.add(row.name)
            continue
        named.add(rule.name)
        if rule.query.strip() == row.query:
            done.unchanged.append(RuleChange(rule.name, rule.query, line=row.line))
        else:
            done.updated.append(RuleChange(rule.name, row.query, was=rule.query, line=row.line))
    if prune:
        done.removed.extend(RuleChange(r.name, r.query) for r in stored if r.origin == origin and r.name not in named)
    return done


def export_rule_file(app: App, form: ExportFormat) -> bytes:
    """Every stored rule as a file `import_rule_file` reads back to the same rules (`write_rule_file`)."""
    try:
        return write_rule_file(app.store.rules(), form)
    except ValueError as e:
        raise FeedsError(str(e)) from e
