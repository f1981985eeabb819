"""The daemon's bookkeeping of its own jobs: how each run went (`JobState`, `DaemonState`), how it is logged (an
idle run quietly, a lasting failure once and then as a reminder), and how it is shown to `feeds status`.

It records and says what a run did; it must not run, schedule or retry anything (that is `lifecycle` and `jobs`),
nor touch the store (the heartbeat that writes `heartbeat_status` to it is the daemon's).
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from apscheduler.events import JobSubmissionEvent

from feeds.clock import rfc3339
from feeds.errors import FeedsError
from feeds.logs import Reminders, one_line
from feeds.store import error_text

log = logging.getLogger("feeds.daemon")


REPEAT_LOG_EVERY = timedelta(minutes=15)
"""A job failing the same way run after run (a database down for an hour fails the watch job every minute) logs
that error once, then a reminder this often while it lasts; the runs between are logged at debug level."""


@dataclass
class JobState:
    name: str
    runs: int = 0
    failures: int = 0
    last_started: datetime | None = None
    last_finished: datetime | None = None
    last_ok: bool | None = None
    last_error: str | None = None
    last_summary: str = ""
    last_seconds: float = 0.0
    last_succeeded: datetime | None = None
    """When a run last did its work: not failed, and not skipped because another process held its lock."""
    failing_since: datetime | None = None
    """When the first of the failed runs since the last run that did not fail finished (None while not failing)."""
    failed_in_a_row: int = 0
    """Failed runs since the last run that did not fail."""


SKIPPED = "skipped: "
"""How a job's summary starts when it did nothing because another process held its lock."""
BY_WHOM = ", by another process or this daemon's own run still going"
"""Who holds a single-runner lock a job could not take: another daemon or command, or this daemon's own earlier
or triggered run (a run of a job and one set off by a new file, say)."""

_IDLE = re.compile(
    r"(?:\d+ unchanged)?(?:(?:, )?\d+ still being written)?"
    r"|\d+ feeds? checked, 0 failed, 0 new items, 0 new matches"
)
"""A job summary that reports nothing new (an ingest that found every file as it was, or one still being
written; feeds that answered with nothing new): logged at debug level, so an idle daemon is quiet."""


@dataclass
class DaemonState:
    """What the daemon knows about its own jobs (for /healthz, /metrics and `feeds status`)."""

    worker: str
    started: datetime
    jobs: dict[str, JobState] = field(default_factory=dict)

    def job(self, name: str) -> JobState:
        return self.jobs.setdefault(name, JobState(name))


def record_success(state: JobState, summary: str) -> bool:
    """Record a run of `state`'s job that did not fail, and log it: that the job works again after failing, and
    its summary unless it reports nothing new (then at debug level). False for a run skipped for another process's
    lock while the job fails: it tried nothing, so it must not end the run of failures (nor say `works again`)."""
    name = state.name
    if summary.startswith(SKIPPED) and state.last_ok is False:
        log.info("%s: %s", name, summary, extra={"job": name})
        return False
    state.last_ok, state.last_error, state.last_summary = True, None, summary
    if state.failed_in_a_row and state.failing_since is not None:
        log.info(
            "%s works again, after %d failed runs since %s UTC",
            name,
            state.failed_in_a_row,
            f"{state.failing_since:%Y-%m-%d %H:%M}",
            extra={"job": name},
        )
    if summary and not _IDLE.fullmatch(summary):
        log.info("%s: %s", name, summary, extra={"job": name})
    elif summary:  # "6 unchanged" every minute says nothing: debug level
        log.debug("%s: %s", name, summary, extra={"job": name})
    return True


def failure_text(error: Exception) -> tuple[str, bool]:
    """What a failed run's `error` says, on one line, and whether it is unexpected (a bug: logged with its
    traceback). Our own errors, an unreachable database, a database refusing (a revoked permission, a
    constraint: its own first line, never the SQL statement or the values it carried, which a traceback would
    print) and a file system refusing a path (a read-only volume, a full disk, `paths.out` under a file) are the
    world failing, said without a traceback."""
    if isinstance(error, FeedsError):
        return str(error), False
    if isinstance(error, sa.exc.OperationalError):  # unreachable, down, locked
        # (600: a lock's note names its holder, and what the job was doing, the files it leaves, comes after it)
        return f"database unavailable: {one_line(error_text(error).split(': ', 1)[-1])[:600]}", False
    if isinstance(error, sa.exc.DBAPIError):
        return f"database refused: {one_line(error_text(error))[:300]}", False
    if isinstance(error, OSError) and error.filename is not None:
        return one_line(f"{error.filename}: {error.strerror or error}")[:300], False
    return one_line(error_text(error))[:300], True


def record_failure(state: JobState, error: str, *, said: Reminders, now: datetime, unexpected: bool = False) -> None:
    """Record a failed run of `state`'s job and log it: as an error when it is the first of a run of failures or
    another error than the one logged, as a reminder every `REPEAT_LOG_EVERY` while the same error lasts (an
    outage should not bury the log in identical lines), else at debug level. `unexpected`: a bug, logged with
    its traceback (the first time it appears). `said`: each job's failure logged as an error, and when."""
    name = state.name
    state.failures += 1
    state.failed_in_a_row += 1
    state.last_ok, state.last_error = False, error
    where = {"job": name}
    due = said.due(name, error, now)
    if due == "first":
        if unexpected:
            log.exception("%s failed unexpectedly: %s", name, error, extra=where)
        else:
            log.error("%s failed: %s", name, error, extra=where)
    elif due == "again":
        since = state.failing_since or said.since(name) or now
        log.error(
            "%s still failing: %s (%d failed runs since %s UTC)",
            name,
            error,
            state.failed_in_a_row,
            f"{since:%Y-%m-%d %H:%M}",
            extra=where,
        )
    else:
        log.debug("%s failed again: %s", name, error, extra=where)


def record_finished(state: JobState, *, finished: datetime, seconds: float, said: Reminders) -> None:
    """Close the books on a run, failed or not: a run that did its work ends a run of failures (and its
    reminders), a failed one starts one if none is going."""
    state.runs += 1
    state.last_seconds = seconds
    state.last_finished = finished
    if state.last_ok and not state.last_summary.startswith(SKIPPED):
        state.last_succeeded = state.last_finished
    if state.last_ok:
        state.failing_since, state.failed_in_a_row = None, 0
        said.forget(state.name)
    elif state.failing_since is None:
        state.failing_since = state.last_finished


@dataclass
class ConfigState:
    """Which config a daemon runs: its file, when it was loaded, and a later reload that failed (the file on disk
    is then not what runs), as the heartbeat stores it for `feeds status` on every machine."""

    path: str
    loaded_at: datetime
    reload_failed_at: datetime | None = None
    reload_error: str | None = None
    restart_needed: list[str] = field(default_factory=list)
    """The keys changed in the file that only a restart applies (`web.port`): their running values are kept."""

    def loaded(self, now: datetime, restart_needed: list[str]) -> None:
        self.loaded_at, self.reload_failed_at, self.reload_error = now, None, None
        self.restart_needed = restart_needed

    def failed(self, now: datetime, error: str) -> None:
        self.reload_failed_at, self.reload_error = now, error

    def as_status(self) -> dict[str, Any]:
        return {
            "path": self.path,
            "loaded_at": rfc3339(self.loaded_at),
            "reload_failed_at": _stamp(self.reload_failed_at),
            "reload_error": self.reload_error,
            "restart_needed": self.restart_needed,
        }


def heartbeat_status(jobs: dict[str, JobState], next_runs: dict[str, datetime | None]) -> dict[str, dict[str, Any]]:
    """Each job's state and next run, as the heartbeat stores them for `feeds status`: the jobs that ran and those
    scheduled to."""
    status: dict[str, dict[str, Any]] = {}
    for name in sorted({*jobs, *next_runs}):
        st = jobs.get(name) or JobState(name)
        status[name] = {
            "runs": st.runs,
            "failures": st.failures,
            "last_started": rfc3339(st.last_started) if st.last_started else None,
            "last_finished": rfc3339(st.last_finished) if st.last_finished else None,
            "last_ok": st.last_ok,
            "last_error": st.last_error,
            "last_summary": st.last_summary,
            "last_succeeded": rfc3339(st.last_succeeded) if st.last_succeeded else None,
            "failing_since": rfc3339(st.failing_since) if st.failing_since else None,
            "next_run": _stamp(next_runs.get(name)),
        }
    return status


def _stamp(value: datetime | None) -> str | None:
    return rfc3339(value) if value is not None else None


def still_running(event: JobSubmissionEvent) -> None:
    """A tick that came while its job was still running (a watch round waiting on a slow server) is skipped, as
    intended (`max_instances=1`): said at debug level, with the job's name (APScheduler's own warning, every tick
    and naming only `Daemon._run_job`, is filtered out in `feeds.logs`)."""
    log.debug("%s: still running since its last start; this run is skipped", event.job_id, extra={"job": event.job_id})
