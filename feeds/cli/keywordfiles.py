"""Keyword rules in files: `feeds keywords import` and `feeds keywords export`.

A thin edge over `feeds.watch.ruleimport` (imported from `feeds.watch.manage`), registered on the `keywords` group
of `keywords.py`: it parses the arguments, calls the library, and prints what was added, updated, removed or left
unchanged, as text or `--json`. It must not read or write the file's format itself (`feeds.watch.rulefile` does),
nor decide what an import changes (`ruleimport.py`).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

import click

from feeds.cli import Context, echo, echo_json, handle_errors, pass_ctx
from feeds.cli.files import write_file
from feeds.cli.firstnamed import every_option, first_named, named_all
from feeds.cli.keywords import keywords
from feeds.errors import RuleFileError

if TYPE_CHECKING:
    from feeds.watch.manage import RuleChange, RuleImport
    from feeds.watch.rulefile import ExportFormat


@keywords.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Say what the import would change, and change nothing.")
@click.option(
    "--prune",
    is_flag=True,
    help="Also remove the rules imported before from a file of this name that it no longer lists (with their matches).",
)
@click.option("--json", "as_json", is_flag=True, help="Print what was added, updated, removed and unchanged as JSON.")
@every_option("rule")
@pass_ctx
@handle_errors
def keywords_import(ctx: Context, file: Path, dry_run: bool, prune: bool, as_json: bool, every: bool) -> None:
    """Add or update the rules of a CSV or text file (see "Keyword rules in files" in the README): all of it, or,
    when a line cannot be imported, nothing, with every such line listed."""
    from feeds.watch.manage import import_configured, import_rule_file

    with ctx.app() as app:
        import_configured(app)  # a rule the config defines is the config's, refused when the file changes it
        try:
            done = import_rule_file(app, file, dry_run=dry_run, prune=prune)
        except RuleFileError as e:
            if as_json:
                echo_json({"file": str(file), "errors": [_problem_json(p) for p in e.problems]})
            raise
    if as_json:
        echo_json(_import_json(done))
        return
    for note in done.notes:
        echo(f"note: {note}", err=True)
    verb = {"added": "would add", "updated": "would update", "removed": "would remove"} if dry_run else {}
    shown, more = first_named(done.added, every=named_all(every, ctx.verbosity))
    for c in shown:
        ctx.say(f"{verb.get('added', 'added'):<12} {c.name}: {c.query}")
    if more:
        ctx.say(f"… and {more:,} more {verb.get('added', 'added')} (-v names them all; --json lists them)")
    for c in done.updated:
        ctx.say(f"{verb.get('updated', 'updated'):<12} {c.name}: {c.query} (was: {c.was})")
    for c in done.removed:
        ctx.say(f"{verb.get('removed', 'removed'):<12} {c.name}: {c.query}")
    ctx.say(_summary(done))


def _summary(done: RuleImport) -> str:
    where = f"{done.path} ({done.form}, {done.encoding})"
    if not done.changed:
        n = len(done.unchanged)
        return f"{where}: nothing to change, {n} rule{'s' if n != 1 else ''} unchanged"
    counts = [f"{len(done.added)} added", f"{len(done.updated)} updated", f"{len(done.unchanged)} unchanged"]
    if done.removed:
        went = f" (and {done.matches_removed} of their matches)" if done.matches_removed else ""
        counts.append(f"{len(done.removed)} removed{went}")
    tail = " (dry run: nothing was changed)" if done.dry_run else ""
    return f"{where}: {', '.join(counts)}{tail}"


def _change_json(c: RuleChange, *, was: bool = False) -> dict[str, Any]:
    return {"name": c.name, "query": c.query} | ({"was": c.was} if was else {}) | ({"line": c.line} if c.line else {})


def _import_json(done: RuleImport) -> dict[str, Any]:
    return {
        "file": done.path,
        "origin": done.origin,
        "format": done.form,
        "encoding": done.encoding,
        "dry_run": done.dry_run,
        "changed": done.changed,
        "added": [_change_json(c) for c in done.added],
        "updated": [_change_json(c, was=True) for c in done.updated],
        "unchanged": [_change_json(c) for c in done.unchanged],
        "removed": [_change_json(c) for c in done.removed],
        "matches_removed": done.matches_removed,
        "notes": list(done.notes),
    }


def _problem_json(problem: tuple[int, int | str | None, str, str]) -> dict[str, Any]:
    line, column, message, _detail = problem
    return {"line": line, "column": column, "message": message}


@keywords.command("export")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to a file.")
@click.option(
    "--format",
    "form",
    type=click.Choice(["csv", "txt"]),
    default=None,
    help="csv (name, query and origin; the default) or txt (one query per line; only rules named by their query). "
    "Default: from the file's extension.",
)
@pass_ctx
@handle_errors
def keywords_export(ctx: Context, output: Path | None, form: str | None) -> None:
    """Every rule, by name, as a file `keywords import` reads back to the same rules (CSV that Excel opens)."""
    from feeds.watch.manage import export_rule_file, import_configured

    if form is None:
        form = "txt" if output is not None and output.suffix.lower() == ".txt" else "csv"
    with ctx.app(create=False) as app:
        import_configured(app)
        data = export_rule_file(app, cast("ExportFormat", form))
    if output:
        write_file(output, data)
    else:
        sys.stdout.buffer.write(data)
