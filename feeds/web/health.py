"""GET /healthz and GET /metrics: is this daemon able to do its work, and what has it done.

/healthz answers `{"status": "ok" | "degraded" | "fail", "checks": {name: {"status": …, …}}}`:
- `database`: a cheap query (the migration ledger); unreachable is `fail`, and so is an SQLite file deleted or replaced
  under the daemon (its reads still answer, its writes are refused), pending migrations `degraded`.
- `out`: the published folder (or, before the first publish, its nearest existing parent) is a writable folder
  with room left: `free_bytes` and `free_percent` of its disk (statvfs, as an unprivileged user may use it), and
  `degraded` once it is nearly full (`DiskThresholds`: under `web.disk_free_percent`, 10%, or `web.disk_free_min`,
  1 GiB, free), before a publish fails.
- `database_disk` (SQLite): the same for the disk of the database file's folder, which every write needs.
- `job:<name>`: the last run of each job the daemon recorded in `Health`; a failed last run is `degraded`.
- `source:<name>`: each enabled remote source, `degraded` while its polls fail (its state, in the database).
- `watch`: the watched feeds (enabled, failing), `degraded` when every one checked so far is failing: one site
  down is that site's problem (`feeds status`, `watch list`), all of them at once most likely ours (the network,
  DNS, a proxy).
The status code is 200 for ok and degraded (the site is still being served) and 503 for fail, so a load
balancer takes a daemon that lost its database out of rotation but keeps one whose last feed poll failed.
Error details of the database go to the log, not the client (they can name hosts and users): a job that failed on
the database says so and no more (`served_error`: not the other sessions a lock timeout's note names, with their
users and client addresses, nor the server a connection error names).

/metrics serves `Metrics.render()` (Prometheus text format 0.0.4), refreshing first what it reads from the database
(the release count, the watched feeds failing; `feeds_database_up` says whether it answered) and the heartbeat's age.

What this module must not do: change anything (both endpoints are read-only), or reveal secrets or tracebacks.
"""

from __future__ import annotations

import functools
import ipaddress
import json
import logging
import os
import re
import threading
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from http import HTTPStatus
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

from feeds.clock import rfc3339
from feeds.config.settings import WebSettings
from feeds.errors import StoreError
from feeds.fetch import AllowList
from feeds.logs import one_line
from feeds.web import cors
from feeds.web.metrics import CONTENT_TYPE, Health, JobRecord, Metrics
from feeds.web.static import Environ, StartResponse

if TYPE_CHECKING:
    from feeds.app import App

log = logging.getLogger("feeds.web")

Status = Literal["ok", "degraded", "fail"]
_RANK: dict[Status, int] = {"ok": 0, "degraded": 1, "fail": 2}
_ERROR_CHARS = 300


def json_response(
    start_response: StartResponse,
    code: int,
    payload: object,
    headers: Sequence[tuple[str, str]] = (),
    *,
    head: bool = False,
) -> list[bytes]:
    """A JSON answer that no cache keeps (API results and probes are about *now*)."""
    body = json.dumps(payload, ensure_ascii=False, indent=1).encode() + b"\n"
    start_response(
        f"{code} {HTTPStatus(code).phrase}",
        [
            ("Content-Type", "application/json; charset=utf-8"),
            ("Content-Length", str(len(body))),
            ("Cache-Control", "no-store"),
            ("X-Content-Type-Options", "nosniff"),
            *headers,
        ],
    )
    return [b""] if head else [body]


def error_body(message: str, field: str | None = None) -> dict[str, Any]:
    """The one error shape every endpoint uses: `{"errors": [{"field": …, "message": …}]}`."""
    return {"errors": [{"field": field, "message": message}]}


def check_database(app: App) -> dict[str, Any]:
    from feeds.store.engines import replaced_file

    try:
        pending = app.store.pending_migrations()
        gone = replaced_file(app.store.engine)
    except Exception as e:
        database_down(app, "health check", e)
        return {"status": "fail", "message": "database unreachable"}
    if gone is not None:  # (reads of the unlinked file still answer; every write is refused)
        database_down(app, "health check", StoreError(gone))
        return {"status": "fail", "message": "the database file was deleted or replaced: restore it, restart feeds"}
    if pending:
        return {
            "status": "degraded",
            "message": f"{len(pending)} migration(s) pending: run `feeds db migrate`",
        }
    return {"status": "ok", "dialect": app.store.dialect}


_DOWN_KEY = "web_database_down"


def database_down(app: App, what: str, error: BaseException) -> None:
    """Log that the database cannot be reached, on one line, once per outage: a monitor probing /healthz every
    few seconds must not fill the log with a traceback per probe."""
    from feeds.store import error_text

    if not app.extras.get(_DOWN_KEY):
        app.extras[_DOWN_KEY] = True
        log.warning("%s: database %s unreachable: %s", what, app.store.url, one_line(error_text(error)))


def database_up(app: App) -> None:
    """Log, once, that the database answers again after `database_down` said it did not (news, not a problem)."""
    if app.extras.pop(_DOWN_KEY, False):
        log.info("database %s reachable again", app.store.url)


@dataclass(frozen=True, slots=True)
class DiskThresholds:
    """When /healthz calls a disk nearly full: less than `free_percent` of it, or less than `free_bytes`, left
    (the space an unprivileged user may use: root's reserve does not count). A 94% full disk is nearly full.
    Set by `web.disk_free_percent` and `web.disk_free_min` (`of_web`)."""

    free_percent: float
    free_bytes: int

    @classmethod
    def of_web(cls, web: WebSettings) -> DiskThresholds:
        return cls(web.disk_free_percent, web.disk_free_min)

    def nearly_full(self, *, free: int, total: int) -> bool:
        return free < self.free_bytes or (total > 0 and 100.0 * free / total < self.free_percent)


def check_disk(folder: Path, what: str, thresholds: DiskThresholds) -> dict[str, Any]:
    """The free space of the disk holding `folder` (which must exist), `degraded` when nearly full. The message
    names `what` ("the published folder"), not the path: /healthz tells a load balancer, not an attacker."""
    try:
        st = os.statvfs(folder)
    except OSError as e:
        return {"status": "degraded", "message": f"cannot tell the free space of {what}'s disk: {e.strerror}"}
    free, total = st.f_bavail * st.f_frsize, st.f_blocks * st.f_frsize
    percent = round(100.0 * free / total, 1) if total else 0.0
    check: dict[str, Any] = {"status": "ok", "free_bytes": free, "free_percent": percent}
    if thresholds.nearly_full(free=free, total=total):
        check["status"] = "degraded"
        check["message"] = (
            f"the disk of {what} is nearly full: {_size(free)} ({percent:g}%) free, under"
            f" {thresholds.free_percent:g}% or {_size(thresholds.free_bytes)}"
        )
    return check


def _size(count: int) -> str:
    """`124 KiB`, `300 MiB`, `2 GiB`: a byte count as a person reads it (rounded down)."""
    for unit, size in (("GiB", 2**30), ("MiB", 2**20), ("KiB", 2**10)):
        if count >= size:
            return f"{count // size} {unit}"
    return f"{count} bytes"


def _existing(path: Path) -> Path:
    """`path`, or (not made yet) its nearest existing parent."""
    while not path.exists() and path != path.parent:
        path = path.parent
    return path


def check_out_dir(out: Path, thresholds: DiskThresholds) -> dict[str, Any]:
    probe = _existing(out)
    if probe == out and not out.is_dir():
        return {"status": "degraded", "message": "the published folder is not a folder"}
    if not os.access(probe, os.W_OK | os.X_OK):
        return {"status": "degraded", "message": "the published folder is not writable"}
    check = check_disk(probe, "the published folder", thresholds)
    if probe != out and "message" not in check:
        check["message"] = "not published yet"
    return check


def check_database_disk(app: App, thresholds: DiskThresholds) -> dict[str, Any] | None:
    """`database_disk`: the free space of an SQLite database's disk (None for PostgreSQL: its server's own)."""
    if app.store.dialect != "sqlite" or not (name := app.store.engine.url.database) or name == ":memory:":
        return None
    folder = _existing(Path(name).parent)
    if not os.access(folder, os.W_OK | os.X_OK):  # (SQLite writes its journal beside the database)
        return {"status": "degraded", "message": "the database's folder is not writable"}
    return check_disk(folder, "the database", thresholds)


STALLED_GRACE = 300.0
"""Seconds beyond three of its intervals for which a job may go without finishing a run before /healthz calls it
stalled (a watch round through many slow servers legitimately takes minutes)."""


def check_job(job: JobRecord, every: float | None = None, now: datetime | None = None) -> dict[str, Any]:
    """A job's last outcome; degraded when it failed, or when, scheduled every `every` seconds, it has finished no
    run for three intervals and `STALLED_GRACE` (hung on a database, or its scheduler stopped): the last run's
    success alone said ok for ever."""
    stalled = every is not None and now is not None and (now - job.last_run).total_seconds() > 3 * every + STALLED_GRACE
    error = job.error
    if stalled:
        error = f"no run finished since {rfc3339(job.last_run)} (it runs every {every:g} s)"
    return {
        "status": "ok" if job.ok and not stalled else "degraded",
        "last_run": rfc3339(job.last_run),
        "last_success": rfc3339(job.last_success) if job.last_success else None,
        "error": served_error(error or "")[:_ERROR_CHARS] or None,
        "runs": job.runs,
        "failures": job.failures,
        "consecutive_failures": job.consecutive_failures,
    }


_DATABASE_DETAILS = re.compile(r"\b(database (?:unavailable|refused)): .*", re.DOTALL)


def served_error(error: str) -> str:
    """A job's error as /healthz serves it: what the database said (`feeds.daemon.jobstate.failure_text`, from
    "database unavailable:" or "database refused:" on) left to the log and `feeds status`."""
    return _DATABASE_DETAILS.sub(r"\1 (the daemon's log says why)", error)


def check_sources(app: App) -> dict[str, dict[str, Any]]:
    """`source:<name>` for each enabled remote source, from its stored state (shared by every daemon): failing
    until a poll succeeds, whatever this daemon's last round did (a source is polled every few minutes at most;
    the rounds between said nothing of it, so /healthz went back to ok while the source still failed)."""
    checks: dict[str, dict[str, Any]] = {}
    for source in (s for s in app.settings.remote_sources if s.enabled):
        state = app.store.source_state(source.name)
        failing = state.failures > 0
        checks[f"source:{source.name}"] = {
            "status": "degraded" if failing else "ok",
            "last_checked": rfc3339(state.last_checked) if state.last_checked else None,
            "last_status": state.last_status,
            "failures": state.failures,
            "error": ((state.last_error or "")[:_ERROR_CHARS] or None) if failing else None,
        }
    return checks


def check_watch(app: App) -> dict[str, Any]:
    """`watch`: see the module docstring."""
    enabled, checked, failing = app.store.feed_health()
    down = checked > 0 and failing == checked
    check: dict[str, Any] = {"status": "degraded" if down else "ok", "feeds": enabled, "failing": failing}
    if down:
        check["error"] = f"all {checked} watched feed(s) checked are failing: is the network down? (feeds watch list)"
    return check


def overall(checks: Iterable[dict[str, Any]]) -> Status:
    worst: Status = "ok"
    for check in checks:
        status: Status = check["status"]
        if _RANK[status] > _RANK[worst]:
            worst = status
    return worst


DATABASE_ANSWER = 5.0
"""Seconds /healthz waits for the database's checks before it reports the database failing."""


class _Probe:
    """One run of the database's checks, in a thread of its own: /healthz waits for it only so long, and a probe
    that comes while one is still waiting on a hung database (a network partition, a stuck failover) waits on the
    same run instead of starting another. Each probe held a web server thread while it waited, so a monitor
    probing every few seconds took all of them, and the public site, which needs no database, went down too."""

    def __init__(self, run: Callable[[], dict[str, dict[str, Any]]]):
        self.result: dict[str, dict[str, Any]] | None = None
        self.done = threading.Event()

        def target() -> None:
            try:
                self.result = run()
            finally:
                self.done.set()

        threading.Thread(target=target, name="healthz-database", daemon=True).start()


class StatusEndpoints:
    """The WSGI handlers of /healthz and /metrics for one application."""

    def __init__(
        self,
        app: App,
        *,
        out_dir: Path,
        health: Health,
        metrics: Metrics,
        database_answer: float = DATABASE_ANSWER,
    ):
        self.app = app
        self.out_dir = out_dir
        self.health = health
        self.metrics = metrics
        self.database_answer = database_answer
        self._probe: _Probe | None = None
        self._probe_lock = threading.Lock()

    def _database_checks(self) -> dict[str, dict[str, Any]]:
        checks = {"database": check_database(self.app)}
        if checks["database"]["status"] != "fail":  # (the sources' and feeds' state is in the database)
            try:
                checks.update(check_sources(self.app))
                checks["watch"] = check_watch(self.app)
            except Exception as e:  # (a table gone, the database lost in between): said once, not a traceback
                database_down(self.app, "health check", e)
                return {"database": {"status": "fail", "message": "database unreachable"}}
            database_up(self.app)  # (only once every check answered: else each probe said "down" again)
        return checks

    def report(self) -> dict[str, Any]:
        with self._probe_lock:
            if self._probe is None or self._probe.done.is_set():
                self._probe = _Probe(self._database_checks)
            probe = self._probe
        if probe.done.wait(self.database_answer) and probe.result is not None:
            found = probe.result
        else:  # still waiting (or the checks themselves failed unexpectedly: the thread logged it)
            message = f"the database did not answer within {self.database_answer:g} s"
            found = {"database": {"status": "fail", "message": message}}
        self.metrics.database_reachable(found["database"]["status"] != "fail")
        thresholds = DiskThresholds.of_web(self.app.settings.web)  # (a reload's new values, at once)
        out = check_out_dir(self.out_dir, thresholds)
        checks: dict[str, dict[str, Any]] = {"database": found["database"], "out": out}
        if (disk := check_database_disk(self.app, thresholds)) is not None:
            checks["database_disk"] = disk
        now = self.app.clock()
        for job in self.health.jobs():
            checks[f"job:{job.name}"] = check_job(job, self.health.every(job.name), now)
        checks.update((name, check) for name, check in found.items() if name != "database")
        return {"status": overall(checks.values()), "checked_at": rfc3339(self.app.clock()), "checks": checks}

    def _refused(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes] | None:
        """A 403 for a client outside `web.status_from`, else None."""
        try:
            address = ipaddress.ip_address((environ.get("REMOTE_ADDR") or "").split("%")[0])
        except ValueError:
            address = None
        if address is not None and _allow_list(self.app.settings.web.status_from).allows_address(address, client=True):
            return None
        message = "the status endpoints answer only the addresses in web.status_from"
        return json_response(start_response, 403, error_body(message), head=environ.get("REQUEST_METHOD") == "HEAD")

    def healthz(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        if (refused := self._refused(environ, start_response)) is not None:
            return refused
        method = environ.get("REQUEST_METHOD", "GET")
        if method == "OPTIONS":
            return cors.options(environ, start_response, _ALLOW, public=False)
        if method not in ("GET", "HEAD"):
            return json_response(start_response, 405, error_body("use GET"), [("Allow", _ALLOW)])
        report = self.report()
        code = 503 if report["status"] == "fail" else 200
        return json_response(start_response, code, report, head=method == "HEAD")

    def serve_metrics(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        if (refused := self._refused(environ, start_response)) is not None:
            return refused
        method = environ.get("REQUEST_METHOD", "GET")
        if method == "OPTIONS":
            return cors.options(environ, start_response, _ALLOW, public=False)
        if method not in ("GET", "HEAD"):
            return json_response(start_response, 405, error_body("use GET"), [("Allow", _ALLOW)])
        try:
            self.metrics.set_releases(self.app.store.count_releases())
            self.metrics.set_watched_feeds_failing(self.app.store.feed_health()[2])
        except Exception as e:  # a scrape must still answer when the database does not: the gauges keep their value
            database_down(self.app, "metrics", e)
            self.metrics.database_reachable(False)
        else:
            database_up(self.app)
            self.metrics.database_reachable(True)
        self.metrics.heartbeat_age(self.app.clock())
        body = self.metrics.render()
        start_response(
            "200 OK",
            [("Content-Type", CONTENT_TYPE), ("Content-Length", str(len(body))), ("Cache-Control", "no-store")],
        )
        return [b""] if method == "HEAD" else [body]


_ALLOW = "GET, HEAD, OPTIONS"


@functools.lru_cache(maxsize=8)
def _allow_list(entries: tuple[str, ...]) -> AllowList:
    """`web.status_from` parsed once, by the fetcher's allow-list (IPv4-mapped IPv6 clients included)."""
    return AllowList.parse(entries)
