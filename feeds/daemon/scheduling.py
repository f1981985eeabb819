"""The `Daemon`'s scheduler: the jobs put on an APScheduler timetable (at a start, a reload, a clock step), a run
asked for sooner (`_soon`: a dropped file, an embargo ending), when each job runs next (for `feeds status`), and
the wall clock watched for steps. Mixed into `Daemon` (`lifecycle`).

It only says when a job runs: it must not run one or record how it went (that is `Daemon._run_job`), nor hold what
a job does (that is `jobs`).
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from apscheduler.events import EVENT_JOB_MAX_INSTANCES
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from feeds.clock import utc_now
from feeds.config import FolderSource
from feeds.daemon.jobs import Job, Jobs
from feeds.daemon.jobstate import still_running

if TYPE_CHECKING:
    from feeds.app import App
    from feeds.daemon.reload import ConfigImport
    from feeds.publish.indexnow import IndexNowQueue
    from feeds.publish.websub import PingQueue
    from feeds.web.metrics import Health, Metrics

log = logging.getLogger("feeds.daemon")

HOUSEKEEPING_FIRST = 600.0
"""Seconds after a start (or a reload) before the first housekeeping (then every `daemon.housekeeping_interval`)."""

CLOCK_STEP = 5.0
"""Seconds by which the wall clock must jump (against the monotonic clock) for the jobs to be scheduled again."""


class DaemonScheduling:
    """Mixed into `Daemon`; relies on its app, jobs, metrics, health, stop event, `_run_job` and `heartbeat`."""

    app: App
    jobs: Jobs
    pings: PingQueue
    indexnow: IndexNowQueue
    imports: ConfigImport
    metrics: Metrics
    health: Health
    stop_event: threading.Event
    _scheduler: BackgroundScheduler | None
    _wall: Callable[[], float]
    _clock_seen: tuple[float, float] | None
    _periodic_lock: threading.Lock
    _periodic_running: list[tuple[str, BackgroundScheduler]]
    _run_job: Callable[[str, Job], None]
    heartbeat: Callable[..., None]

    def _soon(self, job_id: str, name: str, fn: Job, delay: float, *, postpone: bool = True) -> None:
        """`Soon` on the daemon's scheduler. Without `postpone`, a run already asked for that comes sooner is kept:
        it has not started (once started, it is no longer the scheduler's), so it will read whatever changed."""
        if self._scheduler is None or self.stop_event.is_set():
            return
        run_date = utc_now() + timedelta(seconds=delay)
        if not postpone:
            pending = self._scheduler.get_job(job_id)
            if pending is not None and pending.next_run_time is not None and pending.next_run_time <= run_date:
                return
        self._scheduler.add_job(
            self._run_job,
            "date",
            args=(name, fn),
            id=job_id,
            replace_existing=True,
            run_date=run_date,
            misfire_grace_time=None,
            # A trigger that arrives while the previous one's job is still running must not be skipped (with
            # one instance APScheduler drops it, and the change waits for the periodic run). The job's own
            # single-runner lock keeps the two from overlapping: the second finds it taken and triggers again.
            max_instances=2,
        )

    def _reschedule(self) -> None:
        """Schedule every job again on a new scheduler (a reload), housekeeping no later than the one it replaces had
        it: a reload every 5 minutes (a configuration manager's SIGHUP) must not put it off for ever."""
        housekept = self.next_runs().get("housekeeping")
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
        self._schedule(housekept)

    def _schedule(self, housekept: datetime | None = None) -> None:
        d = self.app.settings.daemon
        scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(4)},
            job_defaults={"max_instances": 1, "coalesce": True, "misfire_grace_time": int(d.misfire_grace)},
            timezone="UTC",
        )
        scheduler.add_listener(still_running, EVENT_JOB_MAX_INSTANCES)
        folder_intervals = [s.interval for s in self.app.settings.sources if isinstance(s, FolderSource)]
        remote_intervals = [s.interval for s in self.app.settings.sources if not isinstance(s, FolderSource)]
        ingest_every = min([*folder_intervals, *remote_intervals, 300.0])
        now = utc_now()
        jobs: list[tuple[str, Job, float]] = [
            ("ingest", self.jobs.ingest, ingest_every),
            ("watch", self.jobs.watch, d.watch_tick),
            ("publish", self.jobs.publish_verified, d.publish_interval),
            ("alerts", self.jobs.alerts, 60.0),
            ("housekeeping", self.jobs.housekeeping, d.housekeeping_interval),
        ]
        if self.app.settings.publish.hub:
            jobs.append(("websub", self.jobs.websub, d.watch_tick))  # retries pings that failed
        if self.app.settings.publish.indexnow:
            jobs.append(("indexnow", self.jobs.indexnow, d.watch_tick))  # sends what a back-off held
        self.metrics.jobs_scheduled(name for name, _, _ in jobs)  # (/metrics lists these: websub only with a hub)
        scheduler.add_job(self.heartbeat, "interval", id="heartbeat", seconds=15, next_run_time=now)
        for name, fn, seconds in jobs:
            self.health.expect(name, seconds)  # (/healthz: a job that stops finishing runs is degraded)
            first = now + timedelta(seconds=1 if name in ("ingest", "watch") else min(seconds, 5.0))
            if name == "housekeeping":
                # Not a full day after every start: a daemon restarted or reloaded daily would never prune.
                first = now + timedelta(seconds=min(seconds, HOUSEKEEPING_FIRST))
                if housekept is not None:
                    first = max(min(first, housekept), now + timedelta(seconds=1))
            scheduler.add_job(
                self._run_periodic,
                "interval",
                args=(name, fn, scheduler),
                id=name,
                seconds=seconds,
                next_run_time=first,
            )
        scheduler.start()
        self._scheduler = scheduler

    def _run_periodic(self, name: str, fn: Job, scheduler: BackgroundScheduler) -> None:
        """A job's periodic run from `scheduler`, unless its periodic run from a scheduler this one replaced (a
        reload, a step of the clock) still runs: that scheduler's `max_instances=1` no longer holds the new one's,
        and two watch rounds at once, after a step ahead that ran out every lease by the clock, claimed and
        fetched the same feeds twice. The tick is skipped, as the old scheduler would have skipped it."""
        with self._periodic_lock:
            if any(n == name and s is not scheduler for n, s in self._periodic_running):
                log.debug("%s: still running from before the jobs were scheduled again; this run skipped", name)
                return
            self._periodic_running.append((name, scheduler))
        try:
            self._run_job(name, fn)
        finally:
            with self._periodic_lock:
                self._periodic_running.remove((name, scheduler))

    def next_runs(self) -> dict[str, datetime | None]:
        """When each job (ingest, publish, watch…) runs next: its regular run or a run asked for sooner (a dropped
        file, an embargo ending), whichever comes first. The heartbeat is no job of `feeds status`: the daemon's
        own line shows it."""
        runs: dict[str, datetime | None] = {}
        for job in self._scheduler.get_jobs() if self._scheduler is not None else ():
            if job.id == "heartbeat" or not job.args:
                continue
            name, when = job.args[0], job.next_run_time
            if name not in runs or (when is not None and (runs[name] is None or when < runs[name])):
                runs[name] = when
        return runs

    def clock_step(self) -> float:
        """Seconds the wall clock moved other than time did since the last call: NTP stepping it, a virtual machine
        resumed, an operator's `date -s` (0 at the first call)."""
        seen, self._clock_seen = self._clock_seen, (self._wall(), time.monotonic())
        return 0.0 if seen is None else (self._clock_seen[0] - seen[0]) - (self._clock_seen[1] - seen[1])

    def clock_stepped(self, step: float) -> None:
        """The scheduler times its jobs by the wall clock: stepped back an hour, every job (and the heartbeat) would
        wait that hour, and `feeds status` call the daemon gone. Every job is scheduled again from the new time.

        The daemon's own waits, kept in memory as wall-clock times (a failed publish's retry, the hub's pings and
        their back-off, storing a reloaded config's feeds again), move by the step: each keeps the wait it had,
        neither held for the step's length (back) nor cut short (ahead). Stored times are not moved here: they
        are shared with other daemons, and the store undoes a step itself (`WatchStore.claim_due`)."""
        log.warning(
            "the clock stepped %s by %.0f s: scheduling every job again", "back" if step < 0 else "ahead", abs(step)
        )
        delta = timedelta(seconds=step)
        self.jobs.clock_stepped(delta)
        self.pings.clock_stepped(delta)
        self.indexnow.clock_stepped(delta)
        self.imports.clock_stepped(delta)
        if self._scheduler is not None and not self.stop_event.is_set():
            self._scheduler.shutdown(wait=False)
            self._schedule()
