"""The `Daemon`: its life cycle (start, run until told to stop, reload, stop, or one round for cron) and, until
they have modules of their own, its jobs, their bookkeeping, the file watch, reloads and the grace period. What
the package does is told in `feeds.daemon`.
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from apscheduler.events import EVENT_JOB_MAX_INSTANCES, JobSubmissionEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.background import BackgroundScheduler

from feeds.app import App, make_app
from feeds.clock import Clock, utc_now
from feeds.config import FolderSource, Settings, load_settings, shown_interval
from feeds.daemon import shutdown
from feeds.daemon.inbox import INBOX_QUIET, FolderWatch, files_in_folders
from feeds.daemon.jobstate import (
    BY_WHOM,
    REPEAT_LOG_EVERY,
    SKIPPED,
    DaemonState,
    heartbeat_status,
    record_failure,
    record_finished,
    record_success,
)
from feeds.daemon.reload import ConfigImport, check_alert_rules, keep_what_needs_a_restart, what_changed
from feeds.daemon.shutdown import RunningJobs, on_signals, within
from feeds.errors import FeedsError, IngestError
from feeds.logs import Reminders, one_line
from feeds.status import WORKERS_SHOWN
from feeds.store import error_text

log = logging.getLogger("feeds.daemon")


HOUSEKEEPING_FIRST = 600.0
"""Seconds after a start (or a reload) before the first housekeeping (then every `daemon.housekeeping_interval`)."""

PUBLISH_RETRY = timedelta(seconds=30)
"""How soon a failed publish is tried again (then twice as long each time, up to `daemon.publish_interval`)."""

CLOCK_STEP = 5.0
"""Seconds by which the wall clock must jump (against the monotonic clock) for the jobs to be scheduled again."""


class Daemon:
    def __init__(
        self,
        config_path: Path,
        settings: Settings,
        *,
        clock: Clock = utc_now,
        session: Any = None,
        host: str | None = None,
        port: int | None = None,
        serve: bool = True,
        inbox_quiet: float = INBOX_QUIET,
    ):
        from feeds.app import worker_id

        self.inbox_quiet = inbox_quiet
        self.once = False
        """`run --once`: a lock another process holds is waited for, as there is no later round to try again in."""

        self.config_path = config_path
        self.settings = settings
        self.clock = clock
        self.session = session
        self.host = host or settings.web.host
        self.port = settings.web.port if port is None else port
        self.serve = serve
        self.worker = worker_id()
        self.state = DaemonState(worker=self.worker, started=clock())
        self.app: App = make_app(settings, clock=clock, session=session)
        from feeds.publish.websub import PingQueue

        self.pings = PingQueue()  # in memory: lost on restart, and the next change pings again
        self._published: tuple[object, ...] | None = None
        """The store's change marker (`_changes`) as our last publish saw it."""
        self._wall: Callable[[], float] = time.time
        self._monotonic: Callable[[], float] = time.monotonic
        self._lock_sleep: Callable[[float], bool] | None = None
        """How `run --once` times and waits between its looks at a lock another process holds (tests move a
        clock on instead); None: `stop_event.wait`, which SIGTERM and SIGINT end."""
        self._clock_seen: tuple[float, float] | None = None
        """(wall clock, monotonic clock) at the last `clock_step`."""
        self._publish_retry: tuple[datetime, timedelta] | None = None
        """After a failed publish: when the watch tick tries it again, and the wait after that (doubling)."""
        from feeds.web.metrics import Health, Metrics

        self.metrics = Metrics(worker=self.worker)
        self.health = Health()
        self.stop_event = threading.Event()
        self._running = RunningJobs()
        self._heartbeat_error: str | None = None  # why the last heartbeat could not be recorded (logged once)
        self._failures_said = Reminders(REPEAT_LOG_EVERY)
        """Each job's failure logged as an error in its run of failures, and when (`record_failure`)."""
        from feeds.alerts import UNKNOWN_RULES_REMINDED

        self._alerts_said = Reminders(UNKNOWN_RULES_REMINDED)
        """The alert destinations' problems with the config that every alerts run meets again (a rule that does
        not exist): said at the start, at a reload, then once a day while they last (`run_alerts`)."""
        self._scheduler: BackgroundScheduler | None = None
        self._server: Any = None
        self._server_thread: threading.Thread | None = None
        self.bound_port: int | None = None
        self.imports = ConfigImport(self.app, config_path=config_path, health=self.health, clock=clock)
        self.folders = FolderWatch(lambda: self.app.settings.inboxes, lambda: self.trigger_ingest())

    # --- jobs -------------------------------------------------------------------------------------------

    def _run_job(self, name: str, fn: Callable[[App], str]) -> None:
        """Run one job unless stopping; record how it went; never let an exception escape."""
        if self.stop_event.is_set():
            return
        self._running.started(name)
        state = self.state.job(name)
        state.last_started = self.clock()
        started = time.monotonic()
        try:
            record_success(state, fn(self.app))
        except FeedsError as e:
            record_failure(state, str(e), said=self._failures_said, now=self.clock())
        except sa.exc.OperationalError as e:  # the database is unreachable or refused: not a bug, no traceback
            reason = one_line(error_text(e).split(": ", 1)[-1])[:300]
            record_failure(state, f"database unavailable: {reason}", said=self._failures_said, now=self.clock())
        except Exception as e:  # a bug (or a database refusing, e.g. a permission): keep the traceback in the log
            error = one_line(error_text(e))[:300]
            record_failure(state, error, said=self._failures_said, now=self.clock(), unexpected=True)
        finally:
            seconds = time.monotonic() - started
            finished = self.clock()
            record_finished(state, finished=finished, seconds=seconds, said=self._failures_said)
            self.metrics.job_finished(name, bool(state.last_ok), state.last_seconds)
            self.health.record_job(name, bool(state.last_ok), finished, state.last_error)
            if self._scheduler is not None and (state.last_summary or not state.last_ok):
                self.heartbeat()  # `feeds status` sees a job that did something (or failed) right away
            self._running.finished(name)

    @contextlib.contextmanager
    def _single_runner(self, app: App, name: str) -> Iterator[bool]:
        """The job's lock across processes: a daemon skips the round when another holds it and tries again
        shortly; `run --once` waits for it (as `feeds ingest` in a shell does), or a release it had just stored
        waited for the next cron run when an overlapping run's publish began too early to include it. It waits
        `daemon.lock_wait` at most, then the job fails naming the holder (`LockTimeoutError`): a process hung
        while holding the lock must not hold back every cron run behind it."""
        if not self.once:
            with app.store.exclusive(name) as mine:
                yield mine
            return
        from feeds.store.locks import wait_exclusive

        limit = app.settings.daemon.lock_wait

        def waiting(holder: str | None) -> None:
            log.info(
                "%s: waiting for another process's %s to finish (held by %s; for at most %s)",
                name,
                name,
                holder or "a process the lock does not name",
                shown_interval(limit),
                extra={"job": name},
            )

        with wait_exclusive(
            app.store,
            name,
            timeout=limit,
            stop=self.stop_event,
            on_wait=waiting,
            monotonic=self._monotonic,
            sleep=self._lock_sleep,
        ) as mine:
            yield mine

    def job_ingest(self, app: App) -> str:
        from feeds.ingest import run_ingest

        with self._single_runner(app, "ingest") as mine:
            if not mine:
                # Another daemon (or our own triggered run) is ingesting; it may have listed the folder before
                # the newest file arrived, so look again shortly instead of waiting for the periodic scan.
                self.trigger_ingest()
                return SKIPPED + f"the ingest lock is held{BY_WHOM} (tried again shortly)"
            report = run_ingest(app, quiet=self.inbox_quiet)
        self.metrics.releases_ingested(o.status for o in report.outcomes)  # (pushed ones are counted by the API)
        self.folders.rewatch_replaced()
        if report.changed:
            self.trigger_publish()
        if report.waiting:  # still being written: looked at again once it has been quiet for a while
            self._soon("ingest-soon", "ingest", self.job_ingest, self.inbox_quiet)
        counts = {s: report.count(s) for s in ("created", "updated", "unchanged", "rejected")}
        summary = ", ".join(f"{n} {status}" for status, n in counts.items() if n)
        summary += f"{', ' if summary else ''}{report.waiting} still being written" if report.waiting else ""
        # A source that could not be read at all, or a drop folder that does not empty, fails the round (status,
        # /healthz, --once): the error log line alone reached nobody who was not reading the log.
        failures = []
        if report.unreadable:
            names = ", ".join(repr(n) for n in report.unreadable)
            failures.append(f"could not read source {names}: {'; '.join(report.why)}")
        failures += report.stuck
        if failures:
            raise IngestError("; ".join(failures) + (f" ({summary})" if summary else ""))
        return summary

    def job_watch(self, app: App) -> str:
        from feeds.watch.poll import run_watch

        report = run_watch(app, owner=self.worker, stop=self.stop_event)  # SIGTERM: no new fetch, the rest given back
        for o in report.outcomes:
            self.metrics.fetch_result(int(o.status) if o.status.isdigit() else None)
            self.metrics.feed_polled(o.error is None)
        self.metrics.items_stored(report.new_items)
        self.metrics.matches_found(report.new_matches)
        changed = report.new_matches or report.removed_matches
        if (
            changed
            or self._publish_failed_retry_due()
            or (self._published is not None and _changes(app) != self._published)
        ):
            # Ours, or stored by a command in another process (`feeds ingest`, `feeds watch poll`), which cannot
            # trigger us: seen here, at the next watch tick, rather than at the next periodic publish.
            self.trigger_publish()
            self.trigger_alerts()
        # Nothing due (most ticks): nothing to say. A round stopped (SIGTERM) before it checked anything still
        # says how many feeds it gave back, as one stopped midway does.
        if not (report.outcomes or report.retro_matches or report.retro_removed or report.left or report.given_back):
            return ""
        return report.summary()

    def _publish_failed_retry_due(self) -> bool:
        """Whether the last publish failed (a full disk, out/ not writable) and it is time to try again: after 30 s,
        then twice as long each time, up to `daemon.publish_interval`. Without it a site whose publish failed waited
        for new data or the periodic publish, up to ten minutes after the disk was freed."""
        state = self.state.jobs.get("publish")
        if state is None or state.last_ok is not False:
            self._publish_retry = None
            return False
        now = self.clock()
        if self._publish_retry is None:  # (the first failure seen: the next watch tick after 30 s tries again)
            self._publish_retry = (now + PUBLISH_RETRY, PUBLISH_RETRY)
            return False
        due, wait = self._publish_retry
        if now < due:
            return False
        wait = min(wait * 2, timedelta(seconds=self.settings.daemon.publish_interval))
        self._publish_retry = (now + wait, wait)
        return True

    def job_publish(self, app: App) -> str:
        from feeds.publish import run_publish

        with self._single_runner(app, "publish") as mine:
            if not mine:
                # Another daemon is publishing (byte-identical output); it may have started before our change,
                # so try again shortly rather than wait for the periodic publish.
                self.trigger_publish()
                return SKIPPED + f"the publish lock is held{BY_WHOM} (tried again shortly)"
            marker = _changes(app)
            known = app.store.published_feeds().keys()
            report = run_publish(app)
            # A publish records the feeds it puts out for the first time, which changes the marker's last part: it
            # is read again afterwards (or each new topic's publish set off another), unless a feed was forgotten
            # meanwhile (`feeds topics forget` only deletes, a publish only adds), which this publish may still
            # have planned: the marker as it was makes the next watch tick publish again. (The state is read before
            # the keys: a forget between the two shows in the keys.)
            seen = app.store.published_feeds_state()
            if not known - app.store.published_feeds().keys():
                marker = (*marker[:-1], seen)
        self._published = marker
        if report.held_until is not None:  # an embargo lifts then: publish at that moment, not up to an interval late
            wait = (report.held_until - app.clock()).total_seconds()
            self._soon("publish-embargo", "publish", self.job_publish, max(wait, 0.0) + 1.0)
        if app.settings.publish.hub:
            from feeds.publish.websub import changed_topics

            # Pinged from a job of their own, so a slow or dead hub never delays a publish.
            if self.pings.add(changed_topics(report.written, app.settings.site.base_url), app.clock()):
                self._soon("websub-soon", "websub", self.job_websub, 0.0)
        return f"{len(report.changed)} files changed" if report.changed else ""

    def job_websub(self, app: App) -> str:
        return self.pings.send(app).summary()

    def job_websub_once(self, app: App) -> str:
        """`run --once`'s round: every changed feed is pinged once, a failure is reported and lost (no retry tick
        follows; the next change to that feed pings again), and one failure does not stop the others."""
        return self.pings.send(app, once=True).summary()

    def job_alerts(self, app: App) -> str:
        from feeds.alerts import run_alerts

        report = run_alerts(app, owner=self.worker, reminders=self._alerts_said)
        if not (report.queued or report.sent or report.failed or report.retrying):
            return ""
        return f"{report.queued} queued, {report.sent} sent, {report.retrying} retrying, {report.failed} failed"

    def job_housekeeping(self, app: App) -> str:
        """Forget what is past its retention (`feeds.store.retention` says what each table is kept for): matches
        first, so that the items they held go in the same run, then items, deliveries, ledger rows, keys, daemons."""
        from feeds.alerts.select import ENQUEUE_WINDOW
        from feeds.web.api import IDEMPOTENCY_KEPT

        now, settings = app.clock(), app.settings
        matches = deliveries = files = 0
        if days := settings.watch.match_retention_days:
            matches = app.store.prune_matches(now - timedelta(days=days))
        items = app.store.prune_items(now - timedelta(days=settings.watch.retention_days))
        if days := settings.alerts.retention_days:
            deliveries = app.store.prune_deliveries(now - timedelta(days=days), found_before=now - ENQUEUE_WINDOW)
        if days := settings.daemon.ledger_retention_days:
            in_folders, unlisted = files_in_folders(settings)
            files = app.store.prune_ingested_files(now - timedelta(days=days), in_folders=in_folders, unlisted=unlisted)
        app.store.prune_workers(now - WORKERS_SHOWN)
        app.store.prune_idempotency(now - IDEMPOTENCY_KEPT)
        app.store.optimise()
        if matches:
            self.trigger_publish()  # the match feeds and release pages no longer list them
        said = [
            f"{n} {one if n == 1 else many}"
            for n, one, many in (
                (items, "old item", "old items"),
                (matches, "match", "matches"),
                (deliveries, "settled alert delivery", "settled alert deliveries"),
                (files, "ingested-file record", "ingested-file records"),
            )
            if n
        ]
        return f"pruned {', '.join(said)}" if said else ""

    def heartbeat(self, *, stopped: bool = False) -> None:
        """Publish this daemon's job states and next runs to the store (read by `feeds status`)."""
        jobs = heartbeat_status(self.state.jobs, self.next_runs())
        try:
            self.app.store.save_worker_status(
                self.worker, started=self.state.started, now=self.clock(), status={"jobs": jobs, "stopped": stopped}
            )
        except Exception as e:  # the database may be down: the daemon keeps going
            # One line, without the SQL statement and its values (SQLAlchemy's message carries both), and once
            # per outage: a heartbeat follows every job, so a down database would otherwise repeat it every tick.
            why = one_line(error_text(e))[:300]
            if isinstance(e, sa.exc.OperationalError):
                why = f"database unavailable: {why.split(': ', 1)[-1]}"
            if why != self._heartbeat_error:
                log.warning("could not record the heartbeat: %s", why)
            self._heartbeat_error = why
        else:
            if self._heartbeat_error is not None:
                log.info("heartbeat recorded again")
            self._heartbeat_error = None

    # --- triggers -----------------------------------------------------------------------------------------

    def _soon(self, job_id: str, name: str, fn: Callable[[App], str], delay: float) -> None:
        if self._scheduler is None or self.stop_event.is_set():
            return
        self._scheduler.add_job(
            self._run_job,
            "date",
            args=(name, fn),
            id=job_id,
            replace_existing=True,
            run_date=utc_now() + timedelta(seconds=delay),
            misfire_grace_time=None,
            # A trigger that arrives while the previous one's job is still running must not be skipped (with
            # one instance APScheduler drops it, and the change waits for the periodic run). The job's own
            # single-runner lock keeps the two from overlapping: the second finds it taken and triggers again.
            max_instances=2,
        )

    def trigger_publish(self) -> None:
        """Publish shortly (debounced: a burst of changes gives one publish)."""
        self._soon("publish-soon", "publish", self.job_publish, self.app.settings.daemon.publish_debounce)

    def trigger_ingest(self) -> None:
        self._soon("ingest-soon", "ingest", self.job_ingest, 0.5)

    def trigger_alerts(self) -> None:
        self._soon("alerts-soon", "alerts", self.job_alerts, 1.0)

    # --- life cycle -----------------------------------------------------------------------------------------

    def run_once(self) -> int:
        """`feeds run --once`: ingest → watch → publish → alerts → housekeeping, then exit (non-zero if a job
        failed)."""
        from feeds.watch.manage import import_configured

        import_configured(self.app)  # the config's feeds and rules, as a start does
        self.once = True
        self.inbox_quiet = 0.0  # one look: every file there now is read, as by `feeds ingest`
        for name, fn in (
            ("alerts", self.job_alerts),  # first: registers destinations so this run's matches reach them
            ("ingest", self.job_ingest),
            ("watch", self.job_watch),
            ("publish", self.job_publish),
            ("websub", self.job_websub_once),
            ("alerts", self.job_alerts),
            # Cron has no daemon to housekeep: without it, a deployment run from cron kept every item for ever.
            ("housekeeping", self.job_housekeeping),
        ):
            self._run_job(name, fn)
        self.heartbeat(stopped=True)
        self.app.close()
        return 0 if all(j.last_ok for j in self.state.jobs.values()) else 1

    def start(self) -> None:
        from feeds.watch.manage import import_configured

        import_configured(self.app)
        for problem in self.app.settings.alerts.missing_secrets:
            log.warning("%s: its alerts wait until it is set (in this daemon's environment: restart it)", problem)
        self._run_job("alerts", self.job_alerts)  # registers destinations before the first watch tick
        if self.serve:  # first: a port in use stops the start before this daemon announces itself
            self._start_web()
        self._schedule()
        self.folders.start()
        log.info(
            "feeds daemon %s started: config %s, database %s",
            self.worker,
            self.config_path,
            self.app.store.url,  # (its password hidden)
            extra={"worker": self.worker},
        )

    def _schedule(self) -> None:
        d = self.app.settings.daemon
        scheduler = BackgroundScheduler(
            executors={"default": ThreadPoolExecutor(4)},
            job_defaults={"max_instances": 1, "coalesce": True, "misfire_grace_time": int(d.misfire_grace)},
            timezone="UTC",
        )
        scheduler.add_listener(_still_running, EVENT_JOB_MAX_INSTANCES)
        folder_intervals = [s.interval for s in self.app.settings.sources if isinstance(s, FolderSource)]
        remote_intervals = [s.interval for s in self.app.settings.sources if not isinstance(s, FolderSource)]
        ingest_every = min([*folder_intervals, *remote_intervals, 300.0])
        now = utc_now()
        jobs: list[tuple[str, Callable[[App], str], float]] = [
            ("ingest", self.job_ingest, ingest_every),
            ("watch", self.job_watch, d.watch_tick),
            ("publish", self.job_publish, d.publish_interval),
            ("alerts", self.job_alerts, 60.0),
            ("housekeeping", self.job_housekeeping, d.housekeeping_interval),
        ]
        if self.app.settings.publish.hub:
            jobs.append(("websub", self.job_websub, d.watch_tick))  # retries pings that failed
        scheduler.add_job(self.heartbeat, "interval", id="heartbeat", seconds=15, next_run_time=now)
        for name, fn, seconds in jobs:
            self.health.expect(name, seconds)  # (/healthz: a job that stops finishing runs is degraded)
            first = now + timedelta(seconds=1 if name in ("ingest", "watch") else min(seconds, 5.0))
            if name == "housekeeping":
                # Not a full day after every start: a daemon restarted or reloaded daily would never prune.
                first = now + timedelta(seconds=min(seconds, HOUSEKEEPING_FIRST))
            scheduler.add_job(self._run_job, "interval", args=(name, fn), id=name, seconds=seconds, next_run_time=first)
        scheduler.start()
        self._scheduler = scheduler

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

    def _start_web(self) -> None:
        from feeds.web.app import make_web_app
        from feeds.web.static import make_server

        wsgi = make_web_app(self.app, on_change=self.trigger_publish, metrics=self.metrics, health=self.health)
        try:
            self._server = make_server(wsgi, self.host, self.port, max_body=self.app.settings.web.max_body)
        except FeedsError as e:  # the port is taken (another daemon?), or the address is not this machine's
            raise FeedsError(f"{e} (or run with --no-serve)") from e
        self.bound_port = int(self._server.effective_port)
        self._server_thread = threading.Thread(target=self._serve, name="web", daemon=True)
        self._server_thread.start()
        log.info("serving %s at http://%s:%d/", self.app.settings.paths.out, self.host, self.bound_port)

    def _serve(self) -> None:
        """The web thread. `stop` closes the server's sockets from the main thread, and the loop may be inside
        select() on them at that moment: the EBADF it then meets is the stop, not an error (it printed a thread
        traceback at about one stop in five)."""
        try:
            self._server.run()
        except (OSError, ValueError):
            if not self.stop_event.is_set():
                raise

    def reload(self) -> bool:
        """SIGHUP: re-read the config; keep the old one (and say why) if the new one is bad."""
        try:
            new = load_settings(self.config_path)
        except FeedsError as e:
            log.error("config reload failed, keeping the running config: %s", e)
            # /healthz says so (degraded) until a reload succeeds: the file on disk is not what runs.
            self.health.record_job("reload", False, self.clock(), f"config reload failed: {e}")
            return False
        new = keep_what_needs_a_restart(new, self.app.settings, serving=self._server is not None)
        reloaded = what_changed(new, self.app.settings)
        self.app.settings = new
        self.settings = new
        if self.folders.observer is not None:  # folders added, removed or moved: watch what the new config names
            self.folders.restart()
        imported = self.imports.store()  # feeds and rules the new config declares (the store is shared state)
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._schedule()
        self._alerts_said.forget()  # a reload says the config's problems again, at once
        if imported:
            self.health.record_job("reload", True, self.clock())
            log.info("config reloaded from %s %s", self.config_path, reloaded)
            check_alert_rules(self.app, self._alerts_said)
        return imported

    def clock_step(self) -> float:
        """Seconds the wall clock moved other than time did since the last call: NTP stepping it, a virtual machine
        resumed, an operator's `date -s` (0 at the first call)."""
        seen, self._clock_seen = self._clock_seen, (self._wall(), time.monotonic())
        return 0.0 if seen is None else (self._clock_seen[0] - seen[0]) - (self._clock_seen[1] - seen[1])

    def clock_stepped(self, step: float) -> None:
        """The scheduler times its jobs by the wall clock: stepped back an hour, every job (and the heartbeat) would
        wait that hour, and `feeds status` call the daemon gone. Every job is scheduled again from the new time."""
        log.warning(
            "the clock stepped %s by %.0f s: scheduling every job again", "back" if step < 0 else "ahead", abs(step)
        )
        if self._scheduler is not None and not self.stop_event.is_set():
            self._scheduler.shutdown(wait=False)
            self._schedule()

    def stop(self) -> bool:
        """Take no new work, give the running job the grace period to finish, then close everything.

        Returns False when a job was still running at the end of the grace period: the caller then exits at once
        (`os._exit`), abandoning the job mid-transaction, which the database rolls back; its files in out/ are
        either complete or still temporary dot-files that nobody serves and the next publish removes.
        """
        self.stop_event.set()
        if self._scheduler is not None:
            self._scheduler.pause()
        unfinished = self._running.wait(time.monotonic() + self.app.settings.daemon.grace)
        if unfinished:
            # The database may be what the job is stuck on: what is written to it now gets one bounded wait in all.
            deadline = time.monotonic() + shutdown.GIVE_BACK_WAIT
            given_back = within(deadline, self._give_back_feeds, "give back the feeds being polled")
            log.warning(
                "%s still running after the %.0f s grace period; exiting anyway (nothing is half-written: every "
                "job commits atomically; %s)",
                ", ".join(dict.fromkeys(unfinished)),  # (a job running twice, a tick and a retry, is named once)
                self.app.settings.daemon.grace,
                "the feeds being polled are given back, due again for any daemon"
                if given_back
                else "feeds being polled are polled again, by any daemon, when their lease of "
                f"{self.app.settings.watch.lease:.0f} s runs out",
            )
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None
        if unfinished:
            within(deadline, lambda: self.heartbeat(stopped=True), "record the last heartbeat")
        else:
            self.heartbeat(stopped=True)
        self.pings.close()
        self.folders.stop()
        if self._server is not None:
            # Its worker threads first (waiting briefly for requests in flight): closing the sockets under them
            # made a thread answering a request log a traceback (writing to the closed trigger).
            with contextlib.suppress(Exception):
                self._server.task_dispatcher.shutdown(timeout=2)
            self._server.close()
        if unfinished:
            log.info("feeds daemon %s stopped (abandoning %d running job(s))", self.worker, len(unfinished))
            return False
        self.app.close()
        log.info("feeds daemon %s stopped", self.worker)
        return True

    def _give_back_feeds(self) -> None:
        """Give back the watched feeds this daemon still holds (a round abandoned mid-fetch at the end of the grace
        period: its results will never be stored), rather than leave them to wait for their lease to run out."""
        self.app.store.release_feeds(None, owner=self.worker)

    def run_forever(self) -> int:
        """Start, then serve until SIGTERM/SIGINT (SIGHUP reloads). Returns the exit status."""
        reload_requested = threading.Event()
        on_signals(self.stop_event, reload_requested)
        if self.stop_event.is_set():  # asked to stop while it was being set up: nothing was started
            self.stop()
            return 0
        self.start()
        while not self.stop_event.wait(timeout=0.5):
            if abs(step := self.clock_step()) > CLOCK_STEP:
                self.clock_stepped(step)
            if reload_requested.is_set():
                reload_requested.clear()
                try:
                    self.reload()
                except Exception:  # (a bug: `reload` handles what it expects) the daemon goes on with what it runs
                    log.exception("config reload failed unexpectedly; keeping the running config")
                    self.health.record_job("reload", False, self.clock(), "config reload failed unexpectedly")
            elif self.imports.due is not None and self.clock() >= self.imports.due:
                self.imports.retry()
        if not self.stop():
            logging.shutdown()
            os._exit(0)  # the grace period is over: do not wait for the scheduler's threads
        return 0


def _still_running(event: JobSubmissionEvent) -> None:
    """A tick that came while its job was still running (a watch round waiting on a slow server) is skipped, as
    intended (`max_instances=1`): said at debug level, with the job's name (APScheduler's own warning, every tick
    and naming only `Daemon._run_job`, is filtered out in `feeds.logs`)."""
    log.debug("%s: still running since its last start; this run is skipped", event.job_id, extra={"job": event.job_id})


def _changes(app: App) -> tuple[object, ...]:
    """What a publish shows changes when this changes: the newest release stored, the newest match, the rules (a
    rule added, changed or removed changes its feed and may remove matches), and, last, the feeds published so far
    (one forgotten by `feeds topics forget` is removed from out/). Read at every watch tick, so indexed lookups and
    small tables (a count of the matches would scan the table)."""
    return (
        app.store.last_release_stored(),
        app.store.latest_match_id(),
        app.store.rules_state(),
        app.store.published_feeds_state(),
    )
