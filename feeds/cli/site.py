"""Site commands: `feeds publish`, `feeds serve`, `feeds topics forget`, `feeds organisations forget`."""

from __future__ import annotations

import logging
import signal
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click

from feeds.app import App
from feeds.cli import Context, ProgressBar, cli, echo, echo_json, handle_errors, pass_ctx
from feeds.clock import due_text, rfc3339

if TYPE_CHECKING:
    from feeds.publish.retire import Kind

log = logging.getLogger("feeds.web")


@cli.command("publish")
@click.option("--dry-run", is_flag=True, help="Show what would change without writing.")
@click.option("--json", "as_json", is_flag=True, help="Print what was written (or would be, with --dry-run) as JSON.")
@pass_ctx
@handle_errors
def publish(ctx: Context, dry_run: bool, as_json: bool) -> None:
    """Write the feeds, pages, index and OPML into out/ (only files whose bytes changed)."""
    from feeds.publish import run_publish
    from feeds.publish.indexnow import IndexNowReport, indexnow_once
    from feeds.publish.websub import PingReport, ping_once

    with ctx.app() as app:
        with _publish_lock(ctx, app, dry_run), ProgressBar("publishing") as bar:
            report = run_publish(app, dry_run=dry_run, progress=bar)
        pings = PingReport() if dry_run else ping_once(app, report.written, new=report.new)
        told = IndexNowReport() if dry_run else indexnow_once(app, report.changed)
    if as_json:
        echo_json(
            {
                "dry_run": dry_run,
                "written": report.written,
                "removed": report.removed,
                "unchanged": report.unchanged,
                "changed": len(report.changed),
                "held": report.held,
                "held_until": rfc3339(report.held_until) if report.held_until else None,
                "hub_pings": {"sent": pings.sent, "failed": pings.failed},
                "indexnow": {"sent": told.sent, "failed": told.failed},
            }
        )
        return
    if pings.summary():
        echo(f"websub: {pings.summary()}", err=True)
    if told.summary():
        echo(f"indexnow: {told.summary()}", err=True)
    verb = "would change" if dry_run else "changed"
    for path in report.written:
        ctx.say(f"{'would write ' if dry_run else 'wrote    '}{path}")
    for path in report.removed:
        ctx.say(f"{'would remove' if dry_run else 'removed '} {path}")
    ctx.say(f"{len(report.changed)} {verb}, {report.unchanged} unchanged")
    if report.held and report.held_until:
        n = report.held
        ctx.say(
            f"{n} release{'' if n == 1 else 's'} dated ahead (embargoed) kept off the site; the first is due "
            f"{due_text(report.held_until, app.settings.site.tz)}: publish again then (the daemon does)"
        )


@contextmanager
def _publish_lock(ctx: Context, app: App, dry_run: bool) -> Iterator[None]:
    """The daemons' publish lock (two publishes writing into out/ at once would interleave); a dry run writes
    nothing and takes none."""
    if dry_run:
        yield
        return
    with ctx.lock(app, "publish"):
        yield


@cli.group("topics")
def topics() -> None:
    """Published topics."""


@topics.command("forget")
@click.argument("slug")
@click.option("--json", "as_json", is_flag=True, help="Print what was forgotten as JSON.")
@pass_ctx
@handle_errors
def topics_forget(ctx: Context, slug: str, as_json: bool) -> None:
    """Retire a topic's feeds and page published by mistake (a typo in a tag): the next publish removes them.

    Refused while any release has the topic (send those again with other topics first)."""
    _forget(ctx, "topic", slug, as_json)


@cli.group("organisations", invoke_without_command=True)
@click.option("--json", "as_json", is_flag=True, help="Print every name, old ones with the name that succeeded them.")
@pass_ctx
@handle_errors
def organisations(ctx: Context, as_json: bool) -> None:
    """The organisations releases are from, by their current names (`[organisations.succeeded_by]`).

    Each current name is listed with its feeds' folder and its releases, and the names it succeeded below it
    ("formerly …"); --json lists every name, an old one with `succeeded_by` and `current`."""
    from feeds.publish.succession import organisations as listed_organisations

    if click.get_current_context().invoked_subcommand is not None:
        return
    with ctx.app() as app:
        releases = [r for r in app.releases.current(app.store, app.clock()) if not r.never_public]
        published = {
            key.removeprefix("org:"): f.name
            for key, f in app.store.published_feeds().items()
            if key.startswith("org:") and f.name
        }
        listed = listed_organisations(releases, published, app.settings.organisations)
    if as_json:
        echo_json(
            [
                {
                    "name": o.name,
                    "slug": o.slug,
                    "path": o.path,
                    "releases": o.releases,
                    "succeeded_by": o.succeeded_by,
                    "current": o.current,
                }
                for o in listed
            ]
        )
        return
    for o in listed:
        if o.succeeded_by is not None:
            continue
        former = [p for p in listed if p.succeeded_by is not None and p.current == o.name]
        total = o.releases + sum(p.releases for p in former)
        echo(f"{o.name}  {o.path}  {total} release{'' if total == 1 else 's'}")
        for p in former:
            echo(f"  formerly {p.name}  ({p.releases} release{'' if p.releases == 1 else 's'}, now {o.name})")


@organisations.command("forget")
@click.argument("slug")
@click.option("--json", "as_json", is_flag=True, help="Print what was forgotten as JSON.")
@pass_ctx
@handle_errors
def organisations_forget(ctx: Context, slug: str, as_json: bool) -> None:
    """Retire an organisation's feeds published by mistake: the next publish removes them.

    Refused while any release is from the organisation; an old name in [organisations.succeeded_by] has nothing to
    forget: its releases keep their organisation and its feed goes on for its subscribers."""
    _forget(ctx, "organisation", slug, as_json)


@cli.group("languages")
def languages() -> None:
    """Published languages (a feed per language while the releases are in several)."""


@languages.command("forget")
@click.argument("code")
@click.option("--json", "as_json", is_flag=True, help="Print what was forgotten as JSON.")
@pass_ctx
@handle_errors
def languages_forget(ctx: Context, code: str, as_json: bool) -> None:
    """Retire a language's feeds (`cy/atom.xml`) published by mistake: the next publish removes them.

    Refused while any release is in the language, unless its releases are all there are and no other language's
    feeds are kept (the site is in that one language again)."""
    _forget(ctx, "language", code, as_json)


def _forget(ctx: Context, kind: Kind, slug: str, as_json: bool) -> None:
    """Under the publish lock, waited for as `feeds publish` waits: a publish running meanwhile (which read the
    record before) would otherwise record the feed again and write its files once more."""
    from feeds.publish.retire import forget_feed

    with ctx.app() as app, ctx.lock(app, "publish"):
        gone = forget_feed(app, kind, slug)
    if as_json:
        echo_json({"forgotten": gone.key, "name": gone.name, "path": gone.path})
        return
    what = "feeds and page" if kind == "topic" else "feeds"
    ctx.say(
        f"forgot the {kind} {gone.name} ({gone.path}): its {what} are removed from out/ by the next publish "
        "(`feeds publish`, or a running daemon's, at its next watch tick)"
    )


@cli.command("serve")
@click.option("--host", default=None, help="Address to serve on (default: web.host, 127.0.0.1).")
@click.option("--port", default=None, type=click.IntRange(0, 65535), help="Port (default: web.port, 8080).")
@pass_ctx
@handle_errors
def serve(ctx: Context, host: str | None, port: int | None) -> None:
    """Serve out/ (media types, ETag/304, gzip; nothing outside out/), the push API, /healthz and /metrics.

    SIGTERM stops it as Ctrl-C does (exit 0); SIGHUP is ignored with a log line (the config is read only at start:
    restart it for a change to apply; `feeds run` serves the same and reloads on SIGHUP)."""
    from feeds.app import worker_id
    from feeds.logs import setup_logging
    from feeds.web.app import make_web_app
    from feeds.web.publisher import PublishSoon
    from feeds.web.static import make_server

    # A server logs as the daemon does: refused pushes and publishes at info level (-q: errors only).
    level = {-1: logging.ERROR, 0: logging.INFO}.get(ctx.verbosity, logging.DEBUG)
    setup_logging(level, "text" if sys.stderr.isatty() else "json", worker=worker_id())
    with ctx.app() as app:
        host = host or app.settings.web.host
        port = app.settings.web.port if port is None else port
        soon = PublishSoon(app)  # a pushed release is published within seconds, as by the daemon
        try:
            server = make_server(make_web_app(app, on_change=soon), host, port, web=app.settings.web)
            shown = f"[{host}]" if ":" in host else host  # an IPv6 address in a URL goes in brackets
            previous = signal.signal(signal.SIGTERM, _stop_serving)  # as Ctrl-C: waitress closes, exit 0
            previous_hup = signal.signal(signal.SIGHUP, _hup_ignored)
            try:
                # Logged (as the daemon logs it: one JSON line among the others under systemd) once a SIGTERM
                # would be handled: whoever waits for this line may stop the server the moment it appears.
                log.info(
                    "serving %s at http://%s:%s/ (Ctrl-C to stop)", app.settings.paths.out, shown, server.effective_port
                )
                server.run()  # (waitress's loop ends on KeyboardInterrupt)
            except KeyboardInterrupt:
                pass  # a stop that came before the loop started
            finally:
                if signal.getsignal(signal.SIGTERM) is _stop_serving:  # (once stopping, later ones stay ignored)
                    signal.signal(signal.SIGTERM, previous)
                signal.signal(signal.SIGHUP, previous_hup)
            log.info("stopped serving")
        finally:
            soon.close()


def _hup_ignored(signum: int, _frame: object) -> None:
    """SIGHUP (a logrotate script, an operator used to `feeds run`'s reload) killed `feeds serve` by default, exit
    129 mid-response. It is ignored, and said: the server reads its config only at start."""
    log.warning(
        "received SIGHUP: ignored (feeds serve does not re-read its config; restart it for a change to apply, or run "
        "the web server inside `feeds run`, which reloads)"
    )


def _stop_serving(signum: int, _frame: object) -> None:
    """SIGTERM (systemd, docker stop, kill) stops `feeds serve` as Ctrl-C does: its default would kill the
    process mid-response, with no word in the log and a 143 exit status."""
    log.info("received %s: stopping", signal.Signals(signum).name)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # a second one (systemd, an impatient kill) must not abort the stop
    raise KeyboardInterrupt
