"""A reload (SIGHUP): what of a new config applies to a running daemon and what waits for a restart, and storing
the feeds and rules it declares, tried again while the database refuses.

It decides and records; it must not restart the scheduler, the file watch or the server (the `Daemon` does, in
its `reload`), nor read the config file itself.
"""

from __future__ import annotations

import logging
import os
import pwd
from collections.abc import Mapping
from dataclasses import fields, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import sqlalchemy as sa

from feeds.app import App
from feeds.clock import Clock
from feeds.config import Settings
from feeds.errors import ConfigErrors, FeedsError
from feeds.logs import Reminders, one_line
from feeds.store import error_text

if TYPE_CHECKING:
    from feeds.web.metrics import Health

log = logging.getLogger("feeds.daemon")


WEB_RESTART = (
    "host",
    "port",
    "rate_limit",
    "max_body",
    "trusted_proxy",
    "trusted_proxy_count",
    "trusted_proxy_headers",
)
"""The [web] keys the web server reads once, at its start: a reload that changes them keeps the running values and
says a restart is needed. The rest of [web] is read at each request and applies at a reload."""

IMPORT_RETRY = timedelta(seconds=30)
"""How soon a reload whose config could not be stored (the database busy or down) tries again."""


def keep_what_needs_a_restart(
    new: Settings, running: Settings, *, serving: bool, given: Mapping[str, object] | None = None
) -> tuple[Settings, list[str]]:
    """`new`, with the running values of what only a restart changes (the database, the paths, the web server's
    own keys when it is serving), each said in a warning; and those keys (`web.port`), for `feeds status`.
    `given`: the [web] keys the command line set (`--port`: {"port": 9000}), which the server uses whatever the
    config says: a change to them in the file is said as what it is (the server goes on with the command line's,
    as a restart with the same command line would), never as waiting for a restart nor as keeping the old value."""
    waiting: list[str] = []
    if new.database_url != running.database_url:
        waiting.append("database.url")
        log.warning("database.url changed: restart the daemon to switch databases; keeping the old one")
        new = replace(new, database_url=running.database_url)
    if new.paths != running.paths:
        # The web server serves, and /healthz checks, the folder it started with: publishing elsewhere would
        # split the site between two folders.
        moved = [k for k in ("out", "state") if getattr(new.paths, k) != getattr(running.paths, k)]
        waiting += [f"paths.{k}" for k in moved]
        _needs_restart("paths", moved, running.paths, new.paths, "use")
        new = replace(new, paths=running.paths)
    old_web = running.web
    changed_web = [k for k in WEB_RESTART if getattr(new.web, k) != getattr(old_web, k)]
    given = given or {}
    if serving:
        for k in (k for k in changed_web if k in given):
            log.info(
                "web.%s changed from %s to %s in the config; this daemon serves on %s (--%s), which overrides it, and"
                " so would a restart with the same command line",
                k,
                getattr(old_web, k),
                getattr(new.web, k),
                given[k],
                k,
            )
        changed_web = [k for k in changed_web if k not in given]
    if changed_web and serving:
        _needs_restart("web", changed_web, old_web, new.web, "serve with")
        waiting += [f"web.{k}" for k in changed_web]
        # Kept, as the database and paths are: the server runs with what it started with, and the API must
        # not read its limits from a config the server does not (a later reload back to the running values
        # then says nothing, and one still different says so again). The rest of [web] (api_token,
        # max_releases, status_from) is read at each request and applies: a token rotated in the same edit
        # must not leave the old one working.
    if serving:
        new = replace(new, web=replace(new.web, **{k: getattr(old_web, k) for k in WEB_RESTART}))
    return new, waiting


def _needs_restart(table: str, keys: list[str], running: object, new: object, verb: str) -> None:
    """Warn that `keys` of `table` changed, from what to what, and are kept until a restart (`verb`: what the
    restart does with them): `web.port changed from 8080 to 8081: restart the daemon to serve with it; keeping
    8080 until then`."""
    changes = [f"{table}.{keys[0]} changed from {getattr(running, keys[0])} to {getattr(new, keys[0])}"]
    changes += [f"{table}.{k} from {getattr(running, k)} to {getattr(new, k)}" for k in keys[1:]]
    if len(keys) == 1:
        keeping = f"it; keeping {getattr(running, keys[0])} until then"
    else:
        keeping = "them; keeping the running values until then"
    log.warning("%s: restart the daemon to %s %s", ", ".join(changes), verb, keeping)


def user_name() -> str:
    """This process's user as `ls -l` names it, or `uid 1000680000` for one with no entry in /etc/passwd (OpenShift
    runs containers under an arbitrary uid, which `pwd` does not know: KeyError)."""
    try:
        return pwd.getpwuid(os.geteuid()).pw_name
    except KeyError:
        return f"uid {os.geteuid()}"


def unloaded(e: FeedsError, path: Path) -> list[str]:
    """Why a reload could not load the config at `path`, a line per problem. A file gone (moved, deleted, a link to
    nothing) or one this daemon's user may not read is said as such, with what to do for a running daemon: loading's
    own advice (`pass --config PATH`) is for a command line."""
    if path.is_symlink() and not path.exists():
        target = os.readlink(path)
        return [f"{path} is a symbolic link to {target}, which is not there: put it back, then send SIGHUP again"]
    if not path.exists():
        return [f"{path}: the config file is gone (moved or deleted): put it back there, then send SIGHUP again"]
    if isinstance(e.__cause__, PermissionError):  # (an editor's save as another user, with its own mode)
        user = user_name()
        return [
            f"{path}: this daemon's user ({user}) may not read it: make it readable by that user (chmod, chown),"
            " then send SIGHUP again"
        ]
    return [str(p) for p in e.errors] if isinstance(e, ConfigErrors) else [str(e)]


def what_changed(new: Settings, old: Settings, waiting: list[str], overridden: Mapping[str, object]) -> str:
    """What the line saying a reload is done adds: the sections it changed, the keys it changed that wait for a
    restart (`keep_what_needs_a_restart`: `new` has their running values) or that the command line overrides
    (`overridden`: `web.port` → what `--port` gave), or that it changed nothing."""
    changed = [f.name for f in fields(Settings) if f.name != "path" and getattr(new, f.name) != getattr(old, f.name)]
    asides = []
    if waiting:
        asides.append(f"{', '.join(waiting)}, which {'waits' if len(waiting) == 1 else 'wait'} for a restart")
    if overridden:
        options = " and ".join(f"--{key.removeprefix('web.')}" for key in overridden)
        asides.append(f"{', '.join(overridden)}, which {options} {'overrides' if len(overridden) == 1 else 'override'}")
    if not changed and not asides:
        return "(no change)"
    return f"(changed: {'; '.join([', '.join(changed), *asides] if changed else asides)})"


class ConfigImport:
    """Storing the config's watched feeds and keyword rules after a reload (the store is shared state), and
    when to try again if the database refused."""

    def __init__(self, app: App, *, config_path: Path, health: Health, clock: Clock):
        self.app = app
        self.config_path = config_path
        self.health = health
        self.clock = clock
        self.due: datetime | None = None
        """When to try again to store a reloaded config's feeds and rules (`store`), if it failed."""

    def store(self) -> bool:
        """Store the config's watched feeds and keyword rules; False when the database refused (busy past its
        timeout, down, restarting), which is logged, shown as degraded on /healthz and tried again by
        `Daemon.run_forever` every `IMPORT_RETRY` until it succeeds. A reload never stops the daemon."""
        from feeds.watch.manage import import_configured

        try:
            import_configured(self.app)
        except Exception as e:
            if isinstance(e, sa.exc.OperationalError | FeedsError):  # the database refused: no traceback
                log.error("config reloaded, but its feeds and rules could not be stored yet: %s", error_text(e))
            else:
                log.exception("config reloaded, but storing its feeds and rules failed unexpectedly")
            said = one_line(error_text(e))
            if isinstance(e, sa.exc.OperationalError):  # (its details stay off /healthz: `served_error`)
                said = f"database unavailable: {said.split(': ', 1)[-1]}"
            why = f"config reloaded, but its feeds and rules could not be stored yet: {said}"
            self.health.record_job("reload", False, self.clock(), why)
            self.due = self.clock() + IMPORT_RETRY
            return False
        self.due = None
        return True

    def clock_stepped(self, step: timedelta) -> None:
        """The wall clock stepped by `step`: the retry keeps its wait (`DaemonScheduling.clock_stepped`)."""
        if self.due is not None:
            self.due += step

    def retry(self) -> bool:
        """Store the reloaded config's feeds and rules that the database refused at the reload (`run_forever` calls
        it when `IMPORT_RETRY` has passed)."""
        if not self.store():
            return False
        self.health.record_job("reload", True, self.clock())
        log.info("config reloaded from %s: its feeds and rules are stored now", self.config_path)
        return True


def check_alert_rules(app: App, reminders: Reminders) -> None:
    """Say at a reload, rather than at the next alerts run, which rules the alert destinations name that do not
    exist (the reload may have brought the rule or the typo). A database that refuses now is the next alerts
    run's to report: it says them then."""
    from feeds.alerts import warn_unknown_rules
    from feeds.alerts.select import destinations_of

    try:
        warn_unknown_rules(app, destinations_of(app.settings.alerts), reminders=reminders)
    except (sa.exc.OperationalError, FeedsError) as e:
        log.debug("could not check the alert destinations' rules after the reload: %s", one_line(error_text(e)))
