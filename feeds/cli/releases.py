"""Release commands: `feeds ingest [PATH…]`, `feeds releases list`, `feeds releases show`, `feeds releases withdraw`,
`feeds releases restore`, `feeds releases remove`."""

from __future__ import annotations

import difflib
import sys
from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

import click

from feeds.app import App
from feeds.cli import INTERRUPTED, Context, ProgressBar, cli, echo, echo_json, handle_errors, pass_ctx
from feeds.clock import due_text, rfc3339
from feeds.errors import NotFoundError
from feeds.ingest import ingest_paths, run_ingest
from feeds.ingest.takedown import remove_release
from feeds.ingest.withdraw import release_with_source_key, restore_release, withdraw_release
from feeds.ingestreport import IngestReport
from feeds.logs import one_line
from feeds.model import Release
from feeds.publish.topicnames import site_topic_names, topic_slug
from feeds.serialise import release_json, report_json


@cli.command("ingest")
@click.argument("paths", nargs=-1, type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the outcome of every input as JSON.")
@pass_ctx
@handle_errors
def ingest(ctx: Context, paths: tuple[Path, ...], as_json: bool) -> None:
    """Ingest releases now: the given files and folders, or every configured source.

    Files directly inside a drop folder move to processed/ or rejected/ as usual; other paths are read in place.
    Exits 1 if a given PATH could not be ingested, a configured source could not be read at all (its folder,
    or a remote source's document), or files could not be moved out of a drop folder.
    """
    # The daemons' ingest lock: a daemon reading the same drop folder at the same moment would take files from
    # under this run.
    bar = ProgressBar("ingesting")
    try:
        with ctx.app() as app, ctx.lock(app, "ingest"), bar:
            report = ingest_paths(app, list(paths), progress=bar) if paths else run_ingest(app, progress=bar)
    except KeyboardInterrupt:
        if not bar.total:  # (before any file: waiting for the lock, scanning) nothing to say but click's "Aborted!"
            raise
        # Each batch is committed with its files' record: what was stored stays, and a second run reads it as
        # unchanged (a back catalogue of 27,000 files takes minutes: the office needs to know it may go on).
        echo(
            f"\ninterrupted: {bar.done} of {bar.total} files were read and stored (the batch being stored "
            "was not); run the same command again to go on: nothing is stored twice",
            err=True,
        )
        raise click.exceptions.Exit(INTERRUPTED) from None
    if as_json:
        echo_json(report_json(report))
    else:
        _print_report(ctx, report)
    if (paths and report.count("rejected")) or report.unreadable or report.stuck:
        sys.exit(1)


def _print_report(ctx: Context, report: IngestReport) -> None:
    for o in report.outcomes:
        if o.status == "rejected":
            echo(f"rejected   {one_line(o.error or '')}", err=True)
        elif o.status != "unchanged" or o.warning or o.slug_kept:  # (an unchanged one only with something to say)
            ctx.say(f"{o.status:<10} {o.slug}  ({one_line(o.origin)})")  # (a file name may hold a line break)
            for warning in (o.warning, o.slug_kept):
                if warning:
                    echo(f"  warning: {one_line(warning)}", err=True)
    if ctx.verbosity >= 0:  # (-q: only errors; a folder left unread fails nothing)
        for note in (*report.folders, *report.read_in_part):
            echo(f"warning: {one_line(note)}", err=True)
    for problem in (*report.why, *report.stuck):
        echo(f"error: {one_line(problem)}", err=True)
    ctx.say(
        f"{report.count('created')} created, {report.count('updated')} updated, "
        f"{report.count('unchanged')} unchanged, {report.count('rejected')} rejected"
        + (f"; {len(report.unreadable)} source(s) could not be read" if report.unreadable else "")
    )


@cli.group("releases")
def releases() -> None:
    """Stored releases."""


@releases.command("list")
@click.option("--limit", type=click.IntRange(min=1), default=None, help="Only the N newest.")
@click.option("--removed", is_flag=True, help="List the releases taken down (`releases remove`) instead.")
@click.option("--json", "as_json", is_flag=True, help="Print the releases as JSON.")
@pass_ctx
@handle_errors
def releases_list(ctx: Context, limit: int | None, removed: bool, as_json: bool) -> None:
    """List releases, newest first (with --removed, those taken down, the last removed first)."""
    if removed:
        _list_removed(ctx, limit, as_json)
        return
    with ctx.app(create=False) as app:
        rows = app.store.releases(limit=limit)
        now = app.clock()
        tz = app.settings.site.tz  # dated as the pages date them: a release of 15 July (BST) is not listed on the 14th
        names = site_topic_names(app.releases.current(app.store, now), app.settings, now) if not as_json else {}
    if as_json:
        echo_json([_list_json(r, now) for r in rows])
        return
    if not rows:
        ctx.say("no releases yet: drop files into the inbox and run `feeds ingest`")
        return
    for r in rows:
        topics = f"  [{', '.join(_topic_names(r, names))}]" if r.topics else ""
        if r.never_public:
            held = "  (withdrawn before its publication: never public)"
        elif r.published > now:
            held = f"  (embargoed: off the site until {due_text(r.published, tz)})"
        else:
            held = f"  (withdrawn {rfc3339(r.withdrawn_at)})" if r.withdrawn_at is not None else ""
        local = r.published.astimezone(tz)  # (with its zone: the night the clocks go back has two 01:30s)
        echo(f"{local:%Y-%m-%d %H:%M} {local.tzname() or ''}  {r.slug}  {r.title}{topics}{held}")


def _list_removed(ctx: Context, limit: int | None, as_json: bool) -> None:
    """The tombstones: id, slug and when, each with the path a web server must answer 410 Gone."""
    with ctx.app(create=False) as app:
        rows = app.store.removed_list()[:limit]
        base = urlsplit(app.settings.site.base_url).path
    if as_json:
        echo_json(
            [
                {"id": i, "slug": slug, "removed_at": rfc3339(at), "path": f"{base}releases/{slug}/"}
                for i, slug, at in rows
            ]
        )
        return
    if not rows:
        ctx.say("no release was removed")
    for _, slug, at in rows:
        echo(f"{rfc3339(at)}  {slug}  {base}releases/{slug}/")


def _list_json(r: Release, now: datetime) -> dict[str, Any]:
    """A listed release as JSON, marked as the text list marks it: held by an embargo, or never public."""
    out = release_json(r)
    if r.never_public:
        out["never_public"] = True
    elif r.published > now:
        out["embargoed_until"] = rfc3339(r.published)
    return out


def _topic_names(r: Release, names: Mapping[str, str]) -> list[str]:
    """The release's topics named as the site names them (its feeds and topic pages), not as it spells them."""
    return [names.get(topic_slug(t), t) for t in r.topics]


@releases.command("show")
@click.argument("id_or_slug")
@click.option("--json", "as_json", is_flag=True, help="Print the release as JSON, with its body.")
@pass_ctx
@handle_errors
def releases_show(ctx: Context, id_or_slug: str, as_json: bool) -> None:
    """Show one release by id or slug."""
    with ctx.app(create=False) as app:
        r = find_release(app, id_or_slug)
        now = app.clock()
        names = site_topic_names(app.releases.current(app.store, now), app.settings, now) if r.topics else {}
    if as_json:
        echo_json(release_json(r, full=True))
        return
    echo(r.title)
    echo("=" * min(len(r.title), 79))
    echo(f"id           {r.id}")
    echo(f"permalink    {r.permalink}")
    echo(f"published    {rfc3339(r.published)}")
    echo(f"updated      {rfc3339(r.updated)}")
    echo(f"organisation {r.organisation}")
    echo(f"type         {r.document_type}   language {r.language}")
    if r.topics:
        echo(f"topics       {', '.join(_topic_names(r, names))}")
    if r.link:
        echo(f"link         {r.link}")
    if r.translation_of:
        echo(f"translates   {r.translation_of}")
    if r.withdrawn_at:
        echo(f"WITHDRAWN    {rfc3339(r.withdrawn_at)}: {r.withdrawn_note or ''}")
        if r.withdrawn_by_hand:
            echo(f"             by hand: its source's copies leave it so; `feeds releases restore {r.slug}` undoes it")
    for change in r.changes:  # newest first, as on the page
        echo(f"changed      {rfc3339(change.at)}: {change.note}")
    echo("")
    echo(r.summary)
    echo("")
    echo(r.body_text)


SOURCE_KEY_HELP = "The release its source sent (or pushed) with this source_key, instead of ID_OR_SLUG."


@releases.command("withdraw")
@click.argument("id_or_slug", required=False)
@click.option("--source-key", "source_key", metavar="KEY", help=SOURCE_KEY_HELP)
@click.option("--note", help="Why it was withdrawn (shown on its page and in its feed entries).")
@click.option("--undo", is_flag=True, help="Publish it as current again (the same as `feeds releases restore`).")
@click.option("--json", "as_json", is_flag=True, help="Print the release as stored, and whether it changed, as JSON.")
@pass_ctx
@handle_errors
def releases_withdraw(
    ctx: Context, id_or_slug: str | None, source_key: str | None, note: str | None, undo: bool, as_json: bool
) -> None:
    """Mark a release withdrawn (it stays published, saying so), or with --undo current again.

    A withdrawal made here sticks: copies its source sends later are stored, but leave it withdrawn until
    `feeds releases restore`."""
    if undo == (note is not None):
        raise click.UsageError("give either --note TEXT (to withdraw) or --undo")
    named = _one_name(id_or_slug, source_key)
    if undo:
        _restore(ctx, named, as_json)
        return
    with ctx.app() as app:
        r, changed = withdraw_release(app, _named_release(app, named).id, note or "")
        held = r.published > app.clock()  # under embargo: the site does not show it, withdrawn or not
    if as_json:
        echo_json({"changed": changed, "release": release_json(r)})
        return
    if not changed:
        ctx.say(f"{r.slug} was withdrawn already, at {rfc3339(r.withdrawn_at or r.updated)}, for that reason")
        return
    ctx.say(f"withdrawn {r.slug} at {rfc3339(r.withdrawn_at or r.updated)}: {one_line(r.withdrawn_note or '')}")
    if held:
        ctx.say(
            "it was never public and never goes public: withdrawn before its embargo lifted "
            f"(`feeds releases restore {r.slug}` holds it again)"
        )
    else:
        ctx.say("the site shows it after the next publish (`feeds publish`, or the daemon's own)")
    ctx.say(
        "it stays withdrawn if its source sends it again (stored, not published as current); "
        f"to undo: `feeds releases restore {r.slug}`"
    )


@releases.command("restore")
@click.argument("id_or_slug", required=False)
@click.option("--source-key", "source_key", metavar="KEY", help=SOURCE_KEY_HELP)
@click.option("--json", "as_json", is_flag=True, help="Print the release as stored, and whether it changed, as JSON.")
@pass_ctx
@handle_errors
def releases_restore(ctx: Context, id_or_slug: str | None, source_key: str | None, as_json: bool) -> None:
    """Undo a withdrawal: the release is current again, and follows its source again."""
    _restore(ctx, _one_name(id_or_slug, source_key), as_json)


def _one_name(id_or_slug: str | None, source_key: str | None) -> tuple[str, bool]:
    """The release named on the command line: (its id or slug, False) or (its source_key, True)."""
    if (id_or_slug is None) == (source_key is None):
        raise click.UsageError("name the release by ID_OR_SLUG or by --source-key KEY (one of them)")
    return (id_or_slug, False) if id_or_slug is not None else (source_key or "", True)


def _named_release(app: App, named: tuple[str, bool]) -> Release:
    """The release `_one_name` named: by its id, slug or address (`find_release`), or by its source_key."""
    given, by_key = named
    return release_with_source_key(app, given) if by_key else find_release(app, given)


def _restore(ctx: Context, named: tuple[str, bool], as_json: bool) -> None:
    with ctx.app() as app:
        r, changed = restore_release(app, _named_release(app, named).id)
        held = r.published > app.clock()  # under embargo: the site does not show it, withdrawn or not
        tz = app.settings.site.tz
    if as_json:
        echo_json({"changed": changed, "release": release_json(r)})
    elif not changed:
        ctx.say(f"{r.slug} is not withdrawn: nothing to undo")
    elif held:
        due = due_text(r.published, tz)
        ctx.say(f"restored {r.slug}: no longer withdrawn, and embargoed: off the site until {due}")
    else:
        ctx.say(f"restored {r.slug}: current again from {rfc3339(r.updated)}")


@releases.command("remove")
@click.argument("id_or_slug")
@click.option("--reason", required=True, help="Why (a legal reason): kept in the database, never published.")
@click.option("--json", "as_json", is_flag=True, help="Print what was removed as JSON.")
@pass_ctx
@handle_errors
def releases_remove(ctx: Context, id_or_slug: str, reason: str, as_json: bool) -> None:
    """Take a release down for a legal reason: gone from everything published, its text erased, never again.

    Unlike `withdraw` (which keeps it published with a notice), the next publish removes it from every feed,
    archive, page, sitemap and list, and its page answers 410 Gone. Only its id, slug, the time and the reason
    are kept, so neither is reused and a copy its source sends again is refused."""
    with ctx.app() as app:
        r = find_release(app, id_or_slug)
        done = remove_release(app, r.id, reason)
        base = app.settings.site.base_url
    if as_json:
        echo_json(
            {
                "changed": done.changed,
                "id": done.id,
                "slug": done.slug,
                "removed_at": rfc3339(done.removed_at),
                "matches_removed": done.matches,
                "pictures_removed": done.pictures,
                "files": [{"source": source, "name": name} for source, name in done.files],
            }
        )
        return
    if not done.changed:
        ctx.say(f"{done.slug} was removed already, at {rfc3339(done.removed_at)}")
        return
    ctx.say(f"removed {done.slug} ({done.id}) at {rfc3339(done.removed_at)}: its text is erased")
    ctx.say(f"and its coverage: {done.matches} match(es)")
    if done.pictures:
        ctx.say(f"and {done.pictures} picture(s) dropped with it that no other release shows: erased")
    ctx.say("it leaves the site at the next publish (`feeds publish`, or the daemon's own)")
    ctx.say(f"its page {base}releases/{done.slug}/ then answers 410 Gone from `feeds serve`; under nginx add:")
    ctx.say(f"  location = {urlsplit(base).path}releases/{done.slug}/ {{ return 410; }}")
    for source, name in done.files:  # (not erased by feeds: the drop folder's files are the office's)
        ctx.say(f"its text is still in the file {name!r} of the source {source!r}: delete it (e.g. from processed/)")


def find_release(app: App, given: str) -> Release:
    """The release `given` names as a press officer names it: its id or slug as `releases list` prints them, its
    page's address pasted from the browser (`https://…/releases/<slug>/`, or the path alone), or its slug in
    another case or with white space copied along. An unknown one is an error suggesting the slugs it is close
    to (a typo)."""
    try:
        given.encode("utf-8")
    except UnicodeEncodeError:  # bytes in no encoding (a Latin-1 terminal), held as lone surrogates: no id or slug
        shown = given.encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")
        raise NotFoundError(f"no release with id or slug '{shown}'") from None
    try:
        return app.store.release(given)
    except NotFoundError:
        pass
    slug = _slug_in(given.strip(), app.settings.site.base_url)
    if slug and slug != given:
        try:
            return app.store.release(slug)
        except NotFoundError:
            pass
    for name in {given, slug or given}:
        if (gone := app.store.removed_release(name)) is not None:
            at = rfc3339(gone.removed_at) if gone.removed_at is not None else "?"
            raise NotFoundError(
                f"the release {gone.slug!r} was removed at {at} (`feeds releases remove`): nothing is kept of it"
            )
    close = difflib.get_close_matches(slug or given, [r.slug for r in app.store.releases()], n=3, cutoff=0.8)
    hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    raise NotFoundError(f"no release with id or slug {given!r}{hint}")


def _slug_in(given: str, base_url: str) -> str | None:
    """The slug a release page's address or path gives (`https://press.example.org/releases/ferry/`,
    `/releases/ferry/index.html`, `releases/ferry`), lowercase as slugs are; `given` lowercased when it is no
    address; None for another site's page."""
    parts = urlsplit(given)
    if parts.scheme or parts.netloc:
        base = urlsplit(base_url)
        if parts.scheme.lower() not in ("http", "https") or parts.hostname != base.hostname:
            return None
        path = parts.path
        if not path.startswith(base.path):
            return None
        path = path[len(base.path) :]
    else:
        path = given
    segments = [unquote(s) for s in path.split("/") if s and s != "index.html"]
    if len(segments) == 2 and segments[0] == "releases":
        return segments[1].lower()
    if parts.scheme or parts.netloc or len(segments) != 1:
        return None
    return segments[0].lower()
