"""Daemon commands: `feeds run`, `feeds status`."""

from __future__ import annotations

import logging
import signal
import sys

import click

from feeds.cli import Context, cli, echo, exiting_on_error, handle_errors, pass_ctx

log = logging.getLogger("feeds.daemon")


@cli.command("run")
@click.option(
    "--once",
    is_flag=True,
    help="Run ingest → watch → publish → alerts → housekeeping once and exit: 0, or 1 when a job failed (for cron).",
)
@click.option("--host", default=None, help="Address to serve on (default: web.host, 127.0.0.1).")
@click.option("--port", type=click.IntRange(0, 65535), default=None, help="Port (default: web.port, 8080).")
@click.option("--no-serve", is_flag=True, help="Do not serve out/ and the API (jobs only).")
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default=None,
    help="Log lines on stderr: text on a terminal, JSON lines otherwise.",
)
@pass_ctx
@handle_errors
def run(ctx: Context, once: bool, host: str | None, port: int | None, no_serve: bool, log_format: str | None) -> None:
    """Run the daemon: schedule ingest, watch, publish, alerts and housekeeping, and serve the site.

    It logs on stderr at info level (-q: errors only; -v: debug). SIGTERM or SIGINT (Ctrl-C) stops it after the
    running job (at most daemon.grace), exit 0; a second Ctrl-C exits at once, 130. SIGHUP reloads the config,
    keeping the running one if the new one is bad. It exits 1 when it cannot start (a bad config, the database
    unreachable, the port in use).

    \b
    Examples:
      feeds run                          # in the foreground, or from config/feeds.service
      feeds run --no-serve               # jobs only (another process serves out/)
      feeds -q run --once                # from cron: says only what failed
    """
    from feeds.app import worker_id
    from feeds.daemon import Daemon
    from feeds.daemon.init import become_init
    from feeds.logs import setup_logging

    become_init()  # as PID 1 (a container's entrypoint), stay PID 1 as its init: the daemon runs in a child

    # A SIGTERM (or Ctrl-C) while the daemon sets itself up (migrations, the first connection) is kept until it can
    # stop cleanly, rather than killing it halfway: a service manager stopping it at once gets exit 0 and a log
    # line. A SIGHUP then (`systemctl reload` just after the start) is a reload once it runs: its default action
    # killed the daemon.
    early: list[int] = []
    if not once:
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(signum, lambda signum, _frame: early.append(signum))
    fmt = log_format or ("text" if sys.stderr.isatty() else "json")
    level = {-1: logging.ERROR, 0: logging.INFO}.get(ctx.verbosity, logging.DEBUG)
    setup_logging(level, fmt, worker=worker_id())  # type: ignore[arg-type]
    daemon = Daemon(ctx.config_path, ctx.settings, host=host, port=port, serve=not (no_serve or once))
    if signal.SIGHUP in early:
        log.info("received SIGHUP while starting: the config is read again once running")
        daemon.reload_requested.set()
    if stopped := [signal.Signals(s).name for s in early if s != signal.SIGHUP]:
        log.info("received %s while starting: stopping", stopped[0])
        daemon.stop_event.set()
    sys.exit(daemon.run_once() if once else daemon.run_forever())


@cli.command("status")
@click.option("--json", "as_json", is_flag=True, help="The same as JSON, for scripts (every daemon of 7 days).")
@pass_ctx
@exiting_on_error(2)
def status(ctx: Context, as_json: bool) -> None:
    """One screen: releases, last ingest/publish/poll, feed health, matches in 24 h, daemons and their next runs.

    Exits 0 when all is well, 1 when something is failing (the publish, ingest or poll runs, a remote source,
    a daemon gone or one of its jobs; listed under `problems` in --json), 2 when it could not
    tell (the config or the database: `error: …`), as a monitoring check expects.
    """
    from feeds.cli import echo_json
    from feeds.status import gather
    from feeds.statustext import render_text

    with ctx.app(create=False) as app:
        report = gather(app)
    if as_json:
        echo_json(report.as_json())
    else:
        echo(render_text(report))
    if report.problems():
        sys.exit(1)
