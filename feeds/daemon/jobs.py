"""What each of the daemon's jobs does in a run: ingest, watch, publish, websub, alerts, housekeeping. Each calls
its stage's plain `run_*(app)` function, counts what it did in the metrics, sets off the jobs its result calls for
(a new release → a publish; a new match → a publish and alerts), and returns the one-line summary the log and
`feeds status` show.

A job must not catch its own failure (it raises: `Daemon._run_job` records and logs it), nor schedule anything but
through `soon`, nor keep state beyond what deciding the next run needs (the publish marker, its retry).
"""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Protocol

from feeds.app import App
from feeds.clock import Clock
from feeds.config import shown_interval
from feeds.daemon.inbox import FolderWatch, files_in_folders
from feeds.daemon.jobstate import BY_WHOM, SKIPPED, DaemonState
from feeds.errors import FeedsError, IngestError
from feeds.logs import Reminders
from feeds.status import WORKERS_SHOWN

if TYPE_CHECKING:
    from feeds.outbound import SendReport
    from feeds.publish.indexnow import IndexNowQueue
    from feeds.publish.websub import PingQueue
    from feeds.web.metrics import Metrics

log = logging.getLogger("feeds.daemon")


PUBLISH_RETRY = timedelta(seconds=30)
"""How soon a failed publish is tried again (then twice as long each time, up to `daemon.publish_interval`)."""

Job = Callable[[App], str]


class Soon(Protocol):
    """Run a job once, `delay` seconds from now: the scheduler's id for that run, the job's name, the job, the delay.
    A run already asked for under that id is moved to the new time (`postpone`: a trailing debounce, which waits for
    a quiet moment), or, without `postpone`, kept when it comes sooner (a debounce with a deadline: a steady stream
    of triggers still gets a run within `delay` of the first)."""

    def __call__(self, job_id: str, name: str, fn: Job, delay: float, *, postpone: bool = True) -> None: ...


class Jobs:
    """The daemon's jobs and the triggers between them. `soon` schedules a one-off run (the daemon's scheduler);
    `state` is the daemon's record of its runs (a failed publish is tried again sooner)."""

    def __init__(
        self,
        app: App,
        *,
        worker: str,
        clock: Clock,
        state: DaemonState,
        stop: threading.Event,
        metrics: Metrics,
        pings: PingQueue,
        indexnow: IndexNowQueue,
        alerts_said: Reminders,
        folders: FolderWatch,
        soon: Soon,
        inbox_quiet: float,
    ):
        self.app = app
        self.worker = worker
        self.clock = clock
        self.state = state
        self.stop = stop
        self.metrics = metrics
        self.pings = pings
        self.indexnow_queue = indexnow
        self.alerts_said = alerts_said
        """The alert destinations' problems with the config that every alerts run meets again (a rule that does
        not exist): said at the start, at a reload, then once a day while they last (`run_alerts`)."""
        self.folders = folders
        self.soon = soon
        self.inbox_quiet = inbox_quiet
        self.once = False
        """`run --once`: a lock another process holds is waited for, as there is no later round to try again in."""
        self._published: tuple[object, ...] | None = None
        """The store's change marker (`changes`) as our last publish saw it."""
        self._verified = False
        """Whether a publish of this process has checked every file in out/ (`run_publish`'s `verify`)."""
        self._publish_retry: tuple[datetime, timedelta] | None = None
        """After a failed publish: when the watch tick tries it again, and the wait after that (doubling)."""
        self.monotonic: Callable[[], float] = time.monotonic
        self.lock_sleep: Callable[[float], bool] | None = None
        """How `run --once` times and waits between its looks at a lock another process holds (tests move a
        clock on instead); None: `stop.wait`, which SIGTERM and SIGINT end."""

    # --- triggers -----------------------------------------------------------------------------------------

    def trigger_publish(self) -> None:
        """Publish within `daemon.publish_debounce` of a change: a burst of changes gives one publish, and a steady
        stream of them (pushes more often than the debounce) one every debounce, not none until the stream stops."""
        self.soon("publish-soon", "publish", self.publish, self.app.settings.daemon.publish_debounce, postpone=False)

    def trigger_ingest(self) -> None:
        self.soon("ingest-soon", "ingest", self.ingest, 0.5)

    def trigger_alerts(self) -> None:
        """Deliver alerts within a second of new matches, however steadily they come (as publishing)."""
        self.soon("alerts-soon", "alerts", self.alerts, 1.0, postpone=False)

    # --- the jobs -----------------------------------------------------------------------------------------

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
            stop=self.stop,
            on_wait=waiting,
            monotonic=self.monotonic,
            sleep=self.lock_sleep,
        ) as mine:
            yield mine

    def ingest(self, app: App) -> str:
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
            self.soon("ingest-soon", "ingest", self.ingest, self.inbox_quiet)
        counts = {s: report.count(s) for s in ("created", "updated", "unchanged", "rejected")}
        summary = ", ".join(f"{n} {status}" for status, n in counts.items() if n)
        summary += f"{', ' if summary else ''}{report.waiting} still being written" if report.waiting else ""
        # A source that could not be read at all, or a drop folder that does not empty, fails the round (status,
        # /healthz, --once): the error log line alone reached nobody who was not reading the log.
        if (failure := report.failure()) is not None:
            raise IngestError(failure + (f" ({summary})" if summary else ""))
        return summary

    def watch(self, app: App) -> str:
        from feeds.watch.poll import run_watch

        report = run_watch(app, owner=self.worker, stop=self.stop)  # SIGTERM: no new fetch, the rest given back
        for o in report.outcomes:
            self.metrics.fetch_result(int(o.status) if o.status.isdigit() else None)
            self.metrics.feed_polled(o.error is None)
        self.metrics.items_stored(report.new_items)
        self.metrics.matches_found(report.new_matches)
        changed = report.new_matches or report.removed_matches
        if (
            changed
            or self._publish_failed_retry_due()
            or (self._published is not None and changes(app) != self._published)
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
        wait = min(wait * 2, timedelta(seconds=self.app.settings.daemon.publish_interval))
        self._publish_retry = (now + wait, wait)
        return True

    def clock_stepped(self, step: timedelta) -> None:
        """The wall clock stepped by `step` (`DaemonScheduling.clock_stepped`): the failed publish's retry keeps
        the wait it had, rather than waiting out a step back or coming at once after a step ahead."""
        if self._publish_retry is not None:
            due, wait = self._publish_retry
            self._publish_retry = (due + step, wait)

    def publish_verified(self, app: App) -> str:
        """The periodic publish (`daemon.publish_interval`): every file in out/ is checked against the record of
        what was written, so that one deleted or edited by hand is written again."""
        return self.publish(app, verify=True)

    def publish(self, app: App, *, verify: bool = False) -> str:
        """A publish after a change: only the files of the documents that changed are looked at (its cost follows
        what changed, not the size of the site), unless `verify`, or this is the process's first."""
        from feeds.publish import run_publish

        with self._single_runner(app, "publish") as mine:
            if not mine:
                # Another daemon is publishing (byte-identical output); it may have started before our change,
                # so try again shortly rather than wait for the periodic publish.
                self.trigger_publish()
                return SKIPPED + f"the publish lock is held{BY_WHOM} (tried again shortly)"
            marker = changes(app)
            known = app.store.published_feeds().keys()
            verify = verify or not self._verified
            report = run_publish(app, verify=verify)
            self._verified = self._verified or verify
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
            self.soon("publish-embargo", "publish", self.publish, max(wait, 0.0) + 1.0)
        if report.news_until is not None:  # a release ages out of sitemap-news.xml then: publish at that moment
            wait = (report.news_until - app.clock()).total_seconds()
            self.soon("publish-news", "publish", self.publish, max(wait, 0.0) + 1.0)
        if app.settings.publish.hub:
            from feeds.publish.websub import changed_topics

            # Pinged from a job of their own, so a slow or dead hub never delays a publish.
            if self.pings.add(changed_topics(report.written, app.settings.site.base_url, new=report.new), app.clock()):
                self.soon("websub-soon", "websub", self.websub, 0.0)
        if app.settings.publish.indexnow:
            from feeds.publish.indexnow import changed_pages

            # As the pings: from a job of its own, batched, so a slow or dead endpoint never delays a publish.
            if self.indexnow_queue.add(changed_pages(report.changed, app.settings.site.base_url)):
                self.soon("indexnow-soon", "indexnow", self.indexnow, 0.0)
        return f"{len(report.changed)} files changed" if report.changed else ""

    def indexnow(self, app: App) -> str:
        return _unless_held(self.indexnow_queue.send(app))

    def indexnow_once(self, app: App) -> str:
        """`run --once`'s round: the changed pages sent once; a failure is reported and they are dropped."""
        return self.indexnow_queue.send(app, once=True).summary()

    def websub(self, app: App) -> str:
        return _unless_held(self.pings.send(app))

    def websub_once(self, app: App) -> str:
        """`run --once`'s round: every changed feed is pinged once, a failure is reported and lost (no retry tick
        follows; the next change to that feed pings again): a topic the hub refuses does not stop the others, a failure
        of the hub itself ends the round (`PingQueue.send`)."""
        return self.pings.send(app, once=True).summary()

    def alerts(self, app: App) -> str:
        from feeds.alerts import run_alerts

        report = run_alerts(app, owner=self.worker, reminders=self.alerts_said, stop=self.stop)
        if not (report.queued or report.sent or report.failed or report.retrying):
            return ""
        return f"{report.queued} queued, {report.sent} sent, {report.retrying} retrying, {report.failed} failed"

    def housekeeping(self, app: App) -> str:
        """Forget what is past its retention (`feeds.store.retention` says what each table is kept for): matches
        first, so that the items they held go in the same run, then items, deliveries, ledger rows, pictures no
        release shows (`feeds.store.pictures`), keys, daemons."""
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
        pictures = app.store.prune_pictures(now - PICTURES_KEPT)
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
                (pictures, "picture no release shows", "pictures no release shows"),
            )
            if n
        ]
        return f"pruned {', '.join(said)}" if said else ""


def _unless_held(report: SendReport) -> str:
    """A sender's round as its job's outcome: failed while its endpoint fails and holds what is pending, so that
    `feeds status` (and /healthz, /metrics) says so for as long as it lasts (a round held tried nothing, and
    one that met the failure sent what it could: neither failed by itself), else the round's summary."""
    if report.held is not None:
        raise FeedsError(report.held)
    return report.summary()


PICTURES_KEPT = timedelta(days=1)
"""How long a picture no release shows any more is kept after a release last stored it (an edit taken back)."""


def changes(app: App) -> tuple[object, ...]:
    """What a publish shows changes when this changes: the newest release stored, the newest match, the rules (a
    rule added, changed or removed changes its feed and may remove matches), and, last, the feeds published so far
    (one forgotten by `feeds topics forget` is removed from out/). Read at every watch tick, so indexed lookups and
    small tables (a count of the matches would scan the table)."""
    return (
        app.store.last_release_stored(),
        app.store.latest_match_id(),
        app.store.curation_state(),  # (a match dismissed, restored or added by hand)
        app.store.rules_state(),
        app.store.published_feeds_state(),
    )
