"""OPML commands of the watch: `feeds watch import` and `feeds watch export`.

A thin edge over `feeds.watch.manage`'s OPML import and export, registered on the `watch` group of `feeds.cli.watch`
(whose `feed_json` is the JSON shape of each feed listed): it parses the arguments, calls the library, and prints
what was added, refused or skipped, and why, as text or `--json`. It must not read OPML or fetch a feed itself
(`feeds.watch.manage` does), nor hold the other watch commands (`watch.py`).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import click

from feeds.cli import Context, ProgressBar, echo, echo_json, handle_errors, pass_ctx
from feeds.cli.files import write_file
from feeds.cli.firstnamed import NAMED, every_option, first_named, named_all
from feeds.cli.watch import count, feed_json, watch, with_readable
from feeds.urls import without_secrets

if TYPE_CHECKING:
    from feeds.watch.manage import OpmlImport, OpmlRefusal


@watch.command("import")
@click.argument("opml", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--poll/--no-poll", default=False, help="Poll the newly added feeds right away.")
@click.option(
    "--check",
    is_flag=True,
    help="Fetch each feed not watched yet once first, as `watch add` does, and refuse it unless it is a feed "
    "(a web page is listed with the feeds it names; one that cannot be fetched, with why).",
)
@click.option("--json", "as_json", is_flag=True, help="Print what was added, refused or skipped, and why, as JSON.")
@every_option("feed")
@pass_ctx
@handle_errors
def watch_import(ctx: Context, opml: Path, poll: bool, check: bool, as_json: bool, every: bool) -> None:
    """Watch every feed of an OPML file (folders become tags)."""
    from feeds.watch.manage import import_configured, import_opml
    from feeds.watch.poll import run_watch

    with ctx.app() as app:
        import_configured(app)  # a feed the config lists is the config's, never "added" from the file
        if check and not as_json:
            ctx.say(f"checking the new feeds of {opml.name} (each fetched once)...")
        done = import_opml(app, opml, check=check)
        added = done.added
        if not as_json:
            _say_imported(ctx, done, every=named_all(every, ctx.verbosity))
        report = None
        if poll and added:
            with ProgressBar("first poll") as bar:
                report = run_watch(app, feed_ids=[f.id for f in added], progress=bar)
    if as_json:
        echo_json(
            {
                "added": [feed_json(f) for f in added],
                "already": [feed_json(f) for f in done.known],
                "updated": [feed_json(f) | {"changed": change} for f, change in done.updated],
                "refused": [_refusal_json(r) for r in done.refused],
                "skipped": [{"url": url, "why": why} for url, why in done.skipped],
                "notes": [{"url": url, "note": note} for url, note in done.notes],
                **(
                    {
                        "polled": {
                            "feeds": len(report.outcomes),
                            "failed": report.failed,
                            "new_items": report.new_items,  # (as `watch poll --json` names them)
                            "items": report.new_items,  # (its first name, kept for scripts)
                        }
                    }
                    if report is not None
                    else {}
                ),
            }
        )
    elif report is not None:
        ctx.say(f"{len(report.outcomes)} polled, {report.failed} failed, {report.new_items} items")


def _say_imported(ctx: Context, done: OpmlImport, *, every: bool = True) -> None:
    """What `watch import` did with each outline: added, watched already (changed by the file: updated), changed,
    skipped, refused (`--check`). Unless `every`, past `NAMED` feeds added the first are named and the rest
    counted: a first import of 3,000 feeds would otherwise scroll the skipped and refused ones out of sight."""
    shown, more = first_named(done.added, every=every)
    for f in shown:
        ctx.say(f"added    #{f.id} {with_readable(f.url)}" + (f"  [{', '.join(f.tags)}]" if f.tags else ""))
    if more:
        ctx.say(f"… and {more:,} more added (-v names them all; --json lists them)")
    changed = {f.id for f, _ in done.updated}
    for f, change in done.updated:
        ctx.say(f"updated  #{f.id} {with_readable(f.url)}: {change}")
    if len(done.known) <= NAMED:  # (a second import of 3,000 feeds: the changed ones, and a count)
        for f in done.known:
            if f.id not in changed:
                ctx.say(f"already  #{f.id} {with_readable(f.url)}")
    for url, note in done.notes:
        ctx.say(f"note     {without_secrets(url)}: {note}")
    for url, why in done.skipped:
        echo(f"skipped  {without_secrets(url)}: {why}", err=True)
    for r in done.refused:
        for line in _refusal_lines(r):
            echo(line, err=True)
    skipped = f", {len(done.skipped)} skipped" if done.skipped else ""
    refused = f", {len(done.refused)} refused" if done.refused else ""
    updated = f" ({len(done.updated)} updated)" if done.updated else ""
    ctx.say(f"{len(done.added)} added, {len(done.known)} already watched{updated}{refused}{skipped}")


def _refusal_lines(r: OpmlRefusal) -> list[str]:
    """What `watch import --check` says of an outline it refused: a web page with the feeds it names (and how to
    watch one), else why it is no feed or could not be fetched."""
    from feeds.watch.discovery import watch_hint
    from feeds.watch.manage import UNREACHABLE, WEB_PAGE, named_feed_lines

    head = f"refused  {without_secrets(r.url)}" + (f"  ({r.title})" if r.title else "")
    if r.check.verdict == WEB_PAGE:
        lines = [f"{head}: a web page, not a feed. The feeds it names:", *named_feed_lines(r.check.named, " " * 11)]
        hint = watch_hint(r.url, r.check.named)
        if hint:
            lines.append(f"{' ' * 9}re-import with the right xmlUrl, or {hint}")
        return lines
    if r.check.verdict == UNREACHABLE:
        return [f"{head}: could not fetch it to see that it is a feed ({r.check.why})"]
    return [f"{head}: {r.check.why}"]


def _refusal_json(r: OpmlRefusal) -> dict[str, Any]:
    return {
        "url": r.url,
        "title": r.title,
        "reason": r.check.verdict,
        "why": r.check.why,
        "feeds": [
            {"url": d.url, "title": d.title, "kind": d.kind, "watched": d.watched, "problem": d.refused or d.problem}
            for d in r.check.named
        ],
    }


@watch.command("export")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), help="Write to a file.")
@pass_ctx
@handle_errors
def watch_export(ctx: Context, output: Path | None) -> None:
    """Watched feeds as OPML 2.0, each with the URL that is fetched, a secret in its query (`?token=`) too: the
    file is for moving the subscriptions elsewhere, where the feed must still be read. Says how many it holds."""
    from feeds.watch.manage import export_opml

    with ctx.app(create=False) as app:
        data = export_opml(app)
        secret = sum(without_secrets(f.url) != f.url for f in app.store.feeds())
    if secret:
        echo(
            f"note: {count(secret, 'feed URL holds', 'feed URLs hold')} a secret (a token or key in its query), "
            "written whole so that it can be read where it is imported: keep the file private",
            err=True,
        )
    if output:
        write_file(output, data)
    else:
        sys.stdout.buffer.write(data)
