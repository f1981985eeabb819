"""The `Daemon`: its life cycle (start, run until told to stop, reload, stop, or one round for cron) and the
wiring of its parts: the scheduler that ticks the jobs (`scheduling`, mixed in; the jobs: `jobs`), the record of
their runs (`jobstate`), the file watch (`inbox`), the web server, reloads (`reload`), signals and the grace period
(`shutdown`).

It is the imperative shell: it runs a job and records how it went, and must not hold what a job does (that is
`jobs`), when it runs (that is `scheduling`), nor decide what a reload keeps (that is `reload`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from apscheduler.schedulers.background import BackgroundScheduler

from feeds.app import App, make_app
from feeds.clock import Clock, utc_now
from feeds.config import Settings, load_settings
from feeds.daemon import shutdown
from feeds.daemon.clockskew import ClockSkew
from feeds.daemon.inbox import INBOX_QUIET, FolderWatch
from feeds.daemon.jobs import Job, Jobs
from feeds.daemon.jobstate import (
    REPEAT_LOG_EVERY,
    ConfigState,
    DaemonState,
    failure_text,
    heartbeat_status,
    record_failure,
    record_finished,
    record_success,
)
from feeds.daemon.notify import notify, reloading
from feeds.daemon.reload import ConfigImport, check_alert_rules, keep_what_needs_a_restart, unloaded, what_changed
from feeds.daemon.scheduling import CLOCK_STEP, DaemonScheduling
from feeds.daemon.shutdown import RunningJobs, on_signals, stopped_by_signals, within
from feeds.errors import FeedsError
from feeds.logs import Reminders, one_line
from feeds.store import error_text
from feeds.workers import end_stragglers, isolate, preload

log = logging.getLogger("feeds.daemon")


class Daemon(DaemonScheduling):
    """One daemon process: `run_forever` starts it (migrate, import the config's feeds and rules, schedule the jobs,
    watch the drop folders, serve) and runs until a signal stops it; `run_once` runs every job once instead (`feeds
    run --once`). Built with the config's path, so that `reload` (SIGHUP) can read it again, and with the clock and
    HTTP session to inject."""

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

        self.config_path = Path(os.path.abspath(config_path))  # (as the log names it: a journal knows no cwd)
        self.settings = settings
        self.clock = clock
        self.session = session
        self.host = host or settings.web.host
        self.port = settings.web.port if port is None else port
        self.given: dict[str, object] = {k: v for k, v in (("host", host), ("port", port)) if v is not None}
        """The [web] keys `--host`, `--port` set: the file's changes to them wait for no restart."""
        self.serve = serve
        self.worker = worker_id()
        self.state = DaemonState(worker=self.worker, started=clock())
        self.app: App = make_app(settings, clock=clock, session=session)
        # A feed or file that crashes the process reading it is read only in a worker, however small the round:
        # read here, it would end the daemon, and again after every restart (its failure never recorded).
        isolate(self.app)
        # Its workers start from a forkserver (the daemon has threads): imported there once, what they run is ready
        # in every pool started later, as when the rules or the releases watched for change (`feeds.workers`).
        # `feeds.cli` too when started as the `feeds` console script, which multiprocessing runs again in each
        # worker (as its `__mp_main__`): it imports `feeds.cli` before the worker takes any task.
        from feeds.ingest import parallel
        from feeds.watch import parsejobs

        preload((parallel.__name__, parsejobs.__name__), main="feeds.cli")
        from feeds.publish.websub import PingQueue

        self.pings = PingQueue()  # in memory: lost on restart, and the next change pings again
        from feeds.publish.indexnow import IndexNowQueue

        self.indexnow = IndexNowQueue()  # (as the pings: in memory)
        self._wall: Callable[[], float] = time.time
        self._clock_seen: tuple[float, float] | None = None
        """(wall clock, monotonic clock) at the last `clock_step`."""
        self._periodic_lock = threading.Lock()
        self._periodic_running: list[tuple[str, BackgroundScheduler]] = []
        """The periodic runs under way, each with the scheduler that started it (`_run_periodic`)."""
        from feeds.web.metrics import Health, Metrics

        self.metrics = Metrics(worker=self.worker)
        self.skew = ClockSkew(clock, metrics=self.metrics)
        """How far this machine's clock is from the database server's, measured at each heartbeat (the first one
        at start): `feeds.daemon.clockskew`."""
        self.health = Health()
        self.stop_event = threading.Event()
        self.reload_requested = threading.Event()
        """Set by SIGHUP (even one while the daemon set itself up): `run_forever` reloads the config."""
        self._running = RunningJobs()
        self._heartbeat_error: str | None = None  # why the last heartbeat could not be recorded (logged once)
        self._heartbeat_error_said: str | None = None  # that, without its notes (`heartbeat`)
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
        self.folders = FolderWatch(lambda: self.app.settings.inboxes, lambda: self.jobs.trigger_ingest())
        self.jobs = Jobs(
            self.app,
            worker=self.worker,
            clock=clock,
            state=self.state,
            stop=self.stop_event,
            metrics=self.metrics,
            pings=self.pings,
            indexnow=self.indexnow,
            alerts_said=self._alerts_said,
            folders=self.folders,
            soon=self._soon,
            inbox_quiet=inbox_quiet,
        )
        self.imports = ConfigImport(self.app, config_path=config_path, health=self.health, clock=clock)
        self.config_state = ConfigState(str(config_path), clock())

    # --- running a job ------------------------------------------------------------------------------------

    def _run_job(self, name: str, fn: Job) -> None:
        """Run one job unless stopping; record how it went; never let an exception escape."""
        if not self._running.start_unless(self.stop_event, name):  # (a stop waits for it, or it does not run)
            return
        state = self.state.job(name)
        state.last_started = self.clock()
        started = time.monotonic()
        tried = True  # (False: skipped for another's lock while failing; /healthz and metrics count no run)
        try:
            tried = record_success(state, fn(self.app))
        except Exception as e:  # a bug keeps its traceback in the log; the world failing (`failure_text`) does not
            error, unexpected = failure_text(e)
            record_failure(state, error, said=self._failures_said, now=self.clock(), unexpected=unexpected)
        finally:
            seconds = time.monotonic() - started
            finished = self.clock()
            record_finished(state, finished=finished, seconds=seconds, said=self._failures_said)
            if tried:
                self.metrics.job_finished(name, bool(state.last_ok), state.last_seconds, at=finished)
                self.health.record_job(name, bool(state.last_ok), finished, state.last_error)
            if self._scheduler is not None and (state.last_summary or not state.last_ok):
                self.heartbeat()  # `feeds status` sees a job that did something (or failed) right away
            self._running.finished(name)

    def heartbeat(self, *, stopped: bool = False) -> None:
        """Publish this daemon's job states and next runs, and how far its clock is from the database server's (measured
        now: `feeds.daemon.clockskew`), to the store (read by `feeds status`)."""
        jobs = heartbeat_status(self.state.jobs, self.next_runs())
        try:
            self.skew.measure(self.app.store.database_clock, threshold=self.app.settings.daemon.clock_skew_warning)
            status = {"jobs": jobs, "stopped": stopped, "config": self.config_state.as_status()}
            if self.skew.seconds is not None:  # (PostgreSQL only: on SQLite every process reads this clock)
                status["clock_skew_s"] = self.skew.as_status()
            self.app.store.save_worker_status(self.worker, started=self.state.started, now=self.clock(), status=status)
        except Exception as e:  # the database may be down: the daemon keeps going
            # One line, without the SQL statement and its values (SQLAlchemy's message carries both), and once
            # per outage: a heartbeat follows every job, so a down database would otherwise repeat it every tick.
            why = one_line(error_text(e))[:300]
            if isinstance(e, sa.exc.OperationalError):
                why = f"database unavailable: {why.split(': ', 1)[-1]}"
            # The same outage is the same error without its notes: a lock timeout's names the sessions holding
            # the lock and their state, which change while it lasts (another one queueing, one going idle).
            said = one_line(error_text(e, notes=False))
            if said != self._heartbeat_error_said:
                log.warning("could not record the heartbeat: %s", why)
            self._heartbeat_error, self._heartbeat_error_said = why, said
        else:
            self.metrics.heartbeat(self.clock())
            if self._heartbeat_error is not None:
                log.info("heartbeat recorded again")
            self._heartbeat_error = self._heartbeat_error_said = None

    # --- life cycle -----------------------------------------------------------------------------------------

    def run_once(self) -> int:
        """`feeds run --once`: ingest → watch → publish → alerts → housekeeping, then exit (non-zero if a job
        failed; 128 + the signal when SIGTERM, from cron's `timeout`, or Ctrl-C stopped it after its running job)."""
        with stopped_by_signals(self.stop_event, self._running) as received:
            status = self._run_once()
        return 128 + received[0] if received else status

    def _run_once(self) -> int:
        from feeds.watch.manage import import_configured

        import_configured(self.app)  # the config's feeds and rules, as a start does
        self.jobs.once = True
        self.jobs.inbox_quiet = 0.0  # one look: every file there now is read, as by `feeds ingest`
        for name, fn in (
            ("alerts", self.jobs.alerts),  # first: registers destinations so this run's matches reach them
            ("ingest", self.jobs.ingest),
            ("watch", self.jobs.watch),
            ("publish", self.jobs.publish),
            ("websub", self.jobs.websub_once),
            ("indexnow", self.jobs.indexnow_once),
            ("alerts", self.jobs.alerts),
            # Cron has no daemon to housekeep: without it, a deployment run from cron kept every item for ever.
            ("housekeeping", self.jobs.housekeeping),
        ):
            self._run_job(name, fn)
        self.heartbeat(stopped=True)
        self.app.close()
        end_stragglers(self.app, wait=shutdown.WORKERS_WAIT)
        return 0 if all(j.last_ok for j in self.state.jobs.values()) else 1

    def start(self) -> None:
        from feeds.watch.manage import import_configured

        import_configured(self.app)
        for problem in self.app.settings.alerts.missing_secrets:
            log.warning("%s: its alerts wait until it is set (in this daemon's environment: restart it)", problem)
        self._say_if_id_domain_moved()
        self._run_job("alerts", self.jobs.alerts)  # registers destinations before the first watch tick
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

    def _start_web(self) -> None:
        from feeds.web.app import make_web_app
        from feeds.web.static import make_server

        wsgi = make_web_app(self.app, on_change=self.jobs.trigger_publish, metrics=self.metrics, health=self.health)
        try:
            self._server = make_server(wsgi, self.host, self.port, web=self.app.settings.web)
        except FeedsError as e:  # the port is taken (another daemon?), or the address is not this machine's
            said = str(e)  # (its aside says how to serve elsewhere: not serving is one more way)
            raise FeedsError(
                f"{said[:-1]}, or run with --no-serve)" if said.endswith(")") else f"{said} (or run with --no-serve)"
            ) from e
        self.bound_port = int(self._server.effective_port)
        if "port" in self.given:  # (`--port 0`: a reload names the port it got)
            self.given["port"] = self.bound_port
        self._server_thread = threading.Thread(target=self._serve, name="web", daemon=True)
        self._server_thread.start()
        host = f"[{self.host}]" if ":" in self.host else self.host  # (an IPv6 address, as a URL writes it)
        log.info("serving %s at http://%s:%d/", self.app.settings.paths.out, host, self.bound_port)

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
            problems = unloaded(e, self.config_path)
            for problem in problems:  # (each on a line of its own, as check-config prints them)
                log.error("config reload failed, keeping the running config: %s", problem)
            self._reload_failed("; ".join(problems))
            return False
        serving, web = self._server is not None, self.app.settings.web
        overridden = {
            f"web.{k}": v for k, v in self.given.items() if serving and getattr(new.web, k) != getattr(web, k)
        }
        new, waiting = keep_what_needs_a_restart(new, self.app.settings, serving=serving, given=self.given)
        site_moved = (new.site.domain, new.site.id_domain) != (
            self.app.settings.site.domain,
            self.app.settings.site.id_domain,
        )
        reloaded = what_changed(new, self.app.settings, waiting, overridden)
        self.app.settings = new
        self.settings = new
        self.config_state.loaded(self.clock(), waiting)
        if self.folders.observer is not None:  # folders added, removed or moved: watch what the new config names
            self.folders.restart()
        imported = self.imports.store()  # feeds and rules the new config declares (the store is shared state)
        if self._scheduler is not None:
            self._reschedule()
        self._alerts_said.forget()  # a reload says the config's problems again, at once
        if site_moved:
            self._say_if_id_domain_moved()
        if imported:
            self.health.record_job("reload", True, self.clock())
            log.info("config reloaded from %s %s", self.config_path, reloaded)
            check_alert_rules(self.app, self._alerts_said)
        self.heartbeat()  # (`feeds status` shows the config now running, or the reload that failed, at once)
        return imported

    def _say_if_id_domain_moved(self) -> None:
        """At the start, and at a reload that moves the site: new releases' ids take `base_url`'s new host while
        the feeds keep the domain first published (`feeds.publish.marks.id_domain_moved`)."""
        from feeds.publish.marks import id_domain_moved

        site = self.app.settings.site
        if moved := id_domain_moved(site.domain, site.id_domain is not None, self.app.store.published_feeds()):
            log.warning("%s", moved)

    def _reload_failed(self, why: str) -> None:
        """/healthz (degraded) and `feeds status` say so until a reload succeeds: the file on disk is not what runs."""
        self.health.record_job("reload", False, self.clock(), f"config reload failed: {why}")
        self.config_state.failed(self.clock(), why)
        self.heartbeat()

    def stop(self) -> bool:
        """Take no new work, give the running job the grace period to finish, then close everything.

        Returns False when a job was still running at the end of the grace period: the caller then exits at once
        (`os._exit`), abandoning the job mid-transaction, which the database rolls back; its files in out/ are
        either complete or still temporary dot-files that nobody serves and the next publish removes.
        """
        self.stop_event.set()
        notify("STOPPING=1")
        if self._scheduler is not None:
            self._scheduler.pause()
        settings = self.app.settings
        unfinished, deadline = shutdown.wait_out_grace(
            self._running, grace=settings.daemon.grace, lease=settings.watch.lease, give_back=self._give_back_feeds
        )
        if self._scheduler is not None:
            self._scheduler.shutdown(wait=False)
            self._scheduler = None
        if unfinished:
            within(deadline, lambda: self.heartbeat(stopped=True), "record the last heartbeat")
        else:
            self.heartbeat(stopped=True)
        self.pings.close()
        self.indexnow.close()
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
        end_stragglers(self.app, wait=shutdown.WORKERS_WAIT)  # (else Python's exit waits for them, for ever)
        log.info("feeds daemon %s stopped", self.worker)
        return True

    def _give_back_feeds(self) -> None:
        """Give back the watched feeds this daemon still holds (a round abandoned mid-fetch at the end of the grace
        period: its results will never be stored), rather than leave them to wait for their lease to run out."""
        self.app.store.release_feeds(None, owner=self.worker)

    def run_forever(self) -> int:
        """Start, then serve until SIGTERM/SIGINT (SIGHUP reloads). Returns the exit status."""
        reload_requested = self.reload_requested
        on_signals(self.stop_event, reload_requested, self._running)
        if self.stop_event.is_set():  # asked to stop while it was being set up: nothing was started
            self.stop()
            return 0
        self.start()
        notify("READY=1", f"STATUS=serving {self.app.settings.paths.out}", f"MAINPID={os.getpid()}")
        while not self.stop_event.wait(timeout=0.5):
            if abs(step := self.clock_step()) > CLOCK_STEP:
                self.clock_stepped(step)
            if reload_requested.is_set():
                reload_requested.clear()
                notify(*reloading())
                try:
                    self.reload()
                except Exception:  # (a bug: `reload` handles what it expects) the daemon goes on with what it runs
                    log.exception("config reload failed unexpectedly; keeping the running config")
                    self._reload_failed("unexpectedly (the log has the traceback)")
                notify("READY=1")  # (a failed reload too: the daemon runs on, with the config it had)
            elif self.imports.due is not None and self.clock() >= self.imports.due:
                self.imports.retry()
        if not self.stop():
            shutdown.exit_at_once(0)  # the grace period is over: do not wait for the scheduler's threads
        return 0
