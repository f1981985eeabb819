"""What the daemon tells the outside about itself: Prometheus metrics and the recent history of its jobs.

Two objects, both created once by the daemon and handed to the web app (never module-level state, so every
test and every process gets its own):

- `Metrics`: counters, gauges and histograms in a private `prometheus_client.CollectorRegistry`, updated
  through small methods named for what happened (`job_finished("watch", ok, seconds)`, `fetch_result(304)`).
  `render()` produces the text exposition format 0.0.4 served on GET /metrics.
- `Health`: the last outcome of each job (`record_job(name, ok, at, error)`), read by GET /healthz.

We use prometheus_client rather than formatting the exposition ourselves: it gets escaping, label sets,
histogram buckets and `_total` / `_created` conventions right, is thread-safe, and takes an explicit registry.

What this module must not do: read the clock (callers pass `at` and durations), touch the store, or speak HTTP.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, Info, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

from feeds import __version__
from feeds.app import worker_id

CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4
"""`text/plain; version=0.0.4; charset=utf-8`: the classic text format every Prometheus understands."""

FetchLabel = Literal["200", "304", "error"]
IngestLabel = Literal["created", "updated", "unchanged", "rejected"]

# Seconds: a watch tick of local feeds takes well under a second, a full publish of a large site a minute or more.
_DURATION_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0)


def fetch_label(status: int | None) -> FetchLabel:
    """Fold an HTTP outcome onto the closed label set: any 2xx is "200", 304 is "304", anything else an error.

    `None` means no response at all (DNS, timeout, refused). Keeping the set closed keeps the series count
    fixed, and the 304 ratio is `rate(…{result="304"}) / rate(…[all results])`.
    """
    if status == 304:
        return "304"
    if status is not None and 200 <= status < 300:
        return "200"
    return "error"


class Metrics:
    """The daemon's Prometheus metrics, in a registry of its own."""

    def __init__(self, *, worker: str | None = None, registry: CollectorRegistry | None = None):
        self.registry = registry if registry is not None else CollectorRegistry()
        reg = self.registry
        self._info = Info("feeds_worker", "The process serving these metrics.", registry=reg)
        self._info.info({"worker": worker or worker_id(), "version": __version__})
        self._jobs = Counter("feeds_jobs", "Jobs run, by job name.", ["job"], registry=reg)
        self._job_failures = Counter("feeds_job_failures", "Jobs that ended in an error.", ["job"], registry=reg)
        self._job_seconds = Histogram(
            "feeds_job_duration_seconds",
            'Wall time of each job run (publish duration is job="publish").',
            ["job"],
            buckets=_DURATION_BUCKETS,
            registry=reg,
        )
        self._polled = Counter("feeds_feeds_polled", "Watched feeds checked.", registry=reg)
        self._poll_failed = Counter("feeds_feeds_failed", "Watched feed checks that failed.", registry=reg)
        self._fetches = Counter(
            "feeds_fetch_results", "HTTP fetches by outcome (200 = any 2xx, 304, error).", ["result"], registry=reg
        )
        self._items = Counter("feeds_items_stored", "External news items stored.", registry=reg)
        self._matches = Counter("feeds_matches_found", "Coverage matches found.", registry=reg)
        self._ingested = Counter("feeds_releases_ingested", "Releases ingested, by outcome.", ["status"], registry=reg)
        self._releases = Gauge("feeds_releases", "Releases in the store.", registry=reg)
        self._api = Counter("feeds_api_requests", "Push API requests, by HTTP status code.", ["code"], registry=reg)
        # For alerting on staleness: `time() - feeds_job_last_success_timestamp_seconds{job="publish"} > 3600`.
        self._last_success = Gauge(
            "feeds_job_last_success_timestamp_seconds",
            "When each job last ended well (Unix time), by job name; absent until it has.",
            ["job"],
            registry=reg,
        )
        self._database_up = Gauge(  # (set at each scrape, before the answer: `database_reachable`)
            "feeds_database_up", "1 when the database answered this daemon's last query of it, else 0.", registry=reg
        )
        self._heartbeat_gauges: tuple[Gauge, Gauge] | None = None  # (made at the first heartbeat: `heartbeat`)
        self._feeds_failing = Gauge(
            "feeds_watched_feeds_failing", "Enabled watched feeds whose last check failed.", registry=reg
        )
        self._heartbeat: datetime | None = None
        self._skew_gauge: Gauge | None = None  # (made at the first measurement of the clock's skew: `clock_skew`)
        # Pre-create the closed label sets so the series exist (at 0) from the first scrape: a counter that
        # appears only when it first moves makes `rate()` miss its first increment.
        for label in ("200", "304", "error"):
            self._fetches.labels(result=label)
        for status in ("created", "updated", "unchanged", "rejected"):
            self._ingested.labels(status=status)
        self._listed: set[str] = set()  # jobs listed at 0 before their first run (`jobs_scheduled`)
        self._ran: set[str] = set()
        self._jobs_lock = threading.Lock()

    # --- what the daemon calls ---

    def jobs_scheduled(self, names: Iterable[str]) -> None:
        """The jobs the daemon runs now (at start and at each reload): each listed at 0 from the first scrape (for
        `rate()`), and only those: a job it does not run (websub with no hub; any in `feeds serve`) is not
        listed, and one a reload took away is no longer listed unless it ran."""
        names = set(names)
        with self._jobs_lock:
            for job in self._listed - names - self._ran:
                self._jobs.remove(job)
                self._job_failures.remove(job)
            for job in names:
                self._jobs.labels(job=job)
                self._job_failures.labels(job=job)
            self._listed = names

    def job_finished(self, job: str, ok: bool, seconds: float, *, at: datetime | None = None) -> None:
        """A run of `job` ended (well or not) at `at`, after `seconds`."""
        with self._jobs_lock:
            self._ran.add(job)
        self._jobs.labels(job=job).inc()
        if not ok:
            self._job_failures.labels(job=job).inc()
        elif at is not None:
            self._last_success.labels(job=job).set(at.timestamp())
        self._job_seconds.labels(job=job).observe(max(seconds, 0.0))

    def fetch_result(self, status: int | None) -> None:
        """One HTTP fetch: its status code, or None when no response came back."""
        self._fetches.labels(result=fetch_label(status)).inc()

    def feed_polled(self, ok: bool) -> None:
        self._polled.inc()
        if not ok:
            self._poll_failed.inc()

    def items_stored(self, count: int) -> None:
        if count > 0:
            self._items.inc(count)

    def matches_found(self, count: int) -> None:
        if count > 0:
            self._matches.inc(count)

    def releases_ingested(self, statuses: Iterable[IngestLabel]) -> None:
        """Count ingest outcomes (pass `o.status for o in report.outcomes`)."""
        for status in statuses:
            self._ingested.labels(status=status).inc()

    def set_releases(self, count: int) -> None:
        self._releases.set(count)

    def api_request(self, code: int) -> None:
        self._api.labels(code=str(code)).inc()

    def heartbeat(self, at: datetime) -> None:
        """The daemon recorded its heartbeat in the database at `at`."""
        with self._jobs_lock:
            if self._heartbeat_gauges is None:  # registered now: `feeds serve` sends none, and shows no made-up age
                self._heartbeat_gauges = (
                    Gauge(
                        "feeds_heartbeat_timestamp_seconds",
                        "When this daemon last recorded its heartbeat in the database (Unix time).",
                        registry=self.registry,
                    ),
                    Gauge(
                        "feeds_heartbeat_age_seconds",
                        "Seconds since this daemon last recorded its heartbeat, by its own clock (as of the scrape).",
                        registry=self.registry,
                    ),
                )
            self._heartbeat = at
            self._heartbeat_gauges[0].set(at.timestamp())

    def heartbeat_age(self, now: datetime) -> None:
        """Set the heartbeat's age as of `now` (before each scrape); nothing while no heartbeat was recorded."""
        with self._jobs_lock:
            if self._heartbeat_gauges is not None and self._heartbeat is not None:
                self._heartbeat_gauges[1].set(max((now - self._heartbeat).total_seconds(), 0.0))

    def clock_skew(self, seconds: float) -> None:
        """This daemon's clock is `seconds` ahead of the database server's (behind: negative), as last measured
        (`feeds.daemon.clockskew`). Registered at the first measurement: a daemon on SQLite, one machine, shows none."""
        with self._jobs_lock:
            if self._skew_gauge is None:
                self._skew_gauge = Gauge(
                    "feeds_clock_skew_seconds",
                    "Seconds this daemon's clock is ahead of the PostgreSQL server's (negative: behind), as last"
                    " measured (at start and at each heartbeat).",
                    registry=self.registry,
                )
            self._skew_gauge.set(seconds)

    def database_reachable(self, up: bool) -> None:
        self._database_up.set(1 if up else 0)

    def set_watched_feeds_failing(self, count: int) -> None:
        self._feeds_failing.set(count)

    # --- what GET /metrics serves ---

    def render(self) -> bytes:
        return generate_latest(self.registry)


@dataclass(frozen=True, slots=True)
class JobRecord:
    """What GET /healthz knows about one job: its last run and how the recent ones went."""

    name: str
    last_run: datetime
    ok: bool
    error: str | None
    last_success: datetime | None
    runs: int
    failures: int
    consecutive_failures: int


class Health:
    """The last outcome of each of the daemon's jobs (thread-safe; jobs finish on scheduler threads)."""

    def __init__(self) -> None:
        self._jobs: dict[str, JobRecord] = {}
        self._every: dict[str, float] = {}
        self._lock = threading.Lock()

    def expect(self, name: str, every: float) -> None:
        """`name` is scheduled every `every` seconds: /healthz says so when none of its runs has finished for much
        longer (`feeds.web.health.check_job`)."""
        with self._lock:
            self._every[name] = every

    def every(self, name: str) -> float | None:
        with self._lock:
            return self._every.get(name)

    def record_job(self, name: str, ok: bool, at: datetime, error: str | None = None) -> None:
        with self._lock:
            prev = self._jobs.get(name)
            if prev is None:
                prev = JobRecord(name, at, ok, None, None, 0, 0, 0)
            self._jobs[name] = replace(
                prev,
                last_run=at,
                ok=ok,
                error=None if ok else (error or "failed"),
                last_success=at if ok else prev.last_success,
                runs=prev.runs + 1,
                failures=prev.failures + (0 if ok else 1),
                consecutive_failures=0 if ok else prev.consecutive_failures + 1,
            )

    def jobs(self) -> tuple[JobRecord, ...]:
        """A snapshot, in name order."""
        with self._lock:
            return tuple(self._jobs[name] for name in sorted(self._jobs))
