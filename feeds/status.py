"""`feeds status`: one screen about the whole installation, read from the store (so it sees every daemon).

Releases, the last ingest and publish (by a daemon's job, or as the data shows: a release stored, the site
changed), watched feeds healthy/failing (with the worst offenders and why, and the failing feeds by cause with what
to do about each: `feeds.watch.triage`), matches in the last 24 hours, the hosts' slots held (the fetches under
way, `watch.per_host` across daemons), the daemons alive with their leases and their jobs' next runs.

It shows how each publish, ingest and watch poll round went, whoever ran it (`feeds.outcomes`), so that a failed
`feeds ingest` from cron shows here; and says what is wrong (`StatusReport.problems`) for the command's exit code:
0 all is well, 1 something is failing, 2 could not tell (the database did not answer: `feeds.cli`'s error).

This module gathers the report (`gather`) and holds its records, what is wrong (`problems`) and its `--json` form;
`feeds.statustext` writes it as the text an operator reads.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from feeds.clock import rfc3339, skew_text
from feeds.outcomes import last_failure
from feeds.urls import without_secrets
from feeds.watch.triage import triage

if TYPE_CHECKING:
    from feeds.app import App

_RECORDED = {"watch": "poll"}
"""A daemon's job → the runs it records (`record_run`), where the names differ."""

WORKERS_SHOWN = timedelta(days=7)
"""How far back `feeds status` lists daemons; housekeeping (and `feeds run --once`) forgets the older ones."""

ALIVE = timedelta(seconds=50)
"""A daemon whose heartbeat is older than this is reported as gone (heartbeats come every 15 s)."""


@dataclass
class WorkerStatus:
    worker: str
    started: datetime
    heartbeat: datetime
    alive: bool
    stopped: bool
    leases: int
    jobs: dict[str, dict[str, Any]]
    config: dict[str, Any] = field(default_factory=dict)
    """The config it runs: `path`, `loaded_at`, `reload_failed_at` and `reload_error` while a reload failed, and
    `restart_needed`: the keys changed in the file that wait for a restart."""
    clock_skew: float | None = None
    """Seconds its clock was ahead of the database server's (negative: behind) at its last heartbeat; None on
    SQLite, or from a version that did not measure it (`feeds.daemon.clockskew`)."""

    @property
    def clock_text(self) -> str:
        """`2 min 0.0 s ahead of the database server's`: its clock as its last heartbeat measured it."""
        return f"{skew_text(self.clock_skew or 0.0)} the database server's"


@dataclass(frozen=True, slots=True)
class SlotsHeld:
    """The hosts' slots (`feeds.store.hostslots`): the fetches under way now across every daemon sharing the
    database, by holder (`host:pid`: a daemon, or a `feeds watch poll` run) and by host; and the rows run out but
    not yet cleared (`expired`: free to take; their holder stopped mid-fetch, or could not renew them)."""

    held: int = 0
    by_holder: dict[str, int] = field(default_factory=dict)
    by_host: dict[str, int] = field(default_factory=dict)
    expired: int = 0


@dataclass
class StatusReport:
    now: datetime
    releases: int
    newest_release: tuple[str, str, datetime] | None
    """The newest published release: (id, slug, published)."""
    feeds_total: int
    feeds_ok: int
    feeds_failing: int
    feeds_disabled: int
    feeds_new: int
    """Enabled, never checked yet: neither ok nor failing."""
    worst: list[dict[str, Any]]
    matches_24h: dict[str, int]
    items: int
    workers: list[WorkerStatus] = field(default_factory=list)
    held: list[tuple[str, datetime]] = field(default_factory=list)
    """Releases dated ahead (embargoed, off the site): (slug, when due), soonest first."""
    sources: list[dict[str, Any]] = field(default_factory=list)
    """The remote sources' health: last check, status, error, failures, next check."""
    publish_failure: tuple[str, str] | None = None
    """(since when, why) the publishes fail: the last one, by whoever ran it, when none has worked since; else a
    living daemon's last one (`on host:pid: why`)."""
    failures: dict[str, tuple[str, str]] = field(default_factory=dict)
    """`ingest`, `poll` → (since when, why) their runs fail, by whoever ran them, when none has worked since."""
    slots: SlotsHeld = field(default_factory=SlotsHeld)
    causes: list[dict[str, Any]] = field(default_factory=list)
    """The failing and gone feeds by cause (`feeds.watch.triage`), what to fix first, first."""
    recorded: dict[str, str] = field(default_factory=dict)
    """Job → when its work was last seen done by anyone, daemon or command, on any machine: `ingest` when a release
    was last stored, `publish` and `poll` when one last worked."""
    clock_skew_warning: float = 5.0
    """`daemon.clock_skew_warning`: a living daemon whose clock is further than this from the server's is a problem."""

    def problems(self) -> list[str]:
        """What is failing, one line each (none: all is well): the publish, ingest or poll runs (a poll round fails
        when every feed it checked failed), a remote source, a daemon gone silent, a living daemon's job whose last
        run failed. A watched feed failing is that site's problem: listed, not counted."""
        failing = {"publish": self.publish_failure, **self.failures} if self.publish_failure else dict(self.failures)
        found = [f"{job} failing since {since}: {why}" for job, (since, why) in failing.items()]
        ingest = failing.get("ingest", ("", ""))[1]  # (said once: a source the ingest's failure names already)
        found += [
            f"source {s['name']} failing {s['failures']}x: {s['last_error']}"
            for s in self.sources
            if s["enabled"] and s["failures"] and f"source {s['name']!r}" not in ingest
        ]
        for w in self.workers:
            if not w.alive and not w.stopped and not self._restarted(w):
                found.append(f"daemon {w.worker} gone (no heartbeat since {rfc3339(w.heartbeat)})")
            elif w.alive:
                if w.clock_skew is not None and abs(w.clock_skew) > self.clock_skew_warning:
                    found.append(f"daemon {w.worker}: its clock is {w.clock_text}: fix NTP on its machine")
                found += [  # (said once: a run failing that the database records is named above already)
                    f"daemon {w.worker}: {name} FAILED: {job.get('last_error') or 'failed'}"
                    for name, job in sorted(w.jobs.items())
                    if job.get("runs") and job.get("last_ok") is False and _RECORDED.get(name, name) not in failing
                ]
        return found

    def last(self, job: str, key: str = "last_succeeded") -> str | None:
        """When `job` last did its work, by any daemon or command: a failed round, or one skipped because
        another process held the lock, does not count (a daemon failing every minute must not look fresh)."""
        daemon_job = next((name for name, recorded in _RECORDED.items() if recorded == job), job)
        values = [w.jobs.get(daemon_job, {}).get(key) for w in self.workers] + [self.recorded.get(job)]
        present = [v for v in values if v]
        return max(present) if present else None  # (RFC 3339 in UTC, all from `rfc3339`: text order is time order)

    def _restarted(self, gone: WorkerStatus) -> bool:
        """Whether a daemon on the machine of `gone` started after its last heartbeat (killed and started again:
        no longer a problem, though listed for a week)."""
        host = gone.worker.rpartition(":")[0]
        return any(w.worker.rpartition(":")[0] == host and w.started >= gone.heartbeat for w in self.workers)

    def as_json(self) -> dict[str, Any]:
        return {
            "now": rfc3339(self.now),
            "releases": {
                "count": self.releases,
                "newest": (
                    {
                        "id": self.newest_release[0],
                        "slug": self.newest_release[1],
                        "published": rfc3339(self.newest_release[2]),
                    }
                    if self.newest_release
                    else None
                ),
                "held": [{"slug": slug, "due": rfc3339(due)} for slug, due in self.held],
            },
            "sources": self.sources,
            "last_ingest": self.last("ingest"),
            "last_publish": self.last("publish"),
            "last_poll": self.last("poll"),
            "publish_failure": _failure_json(self.publish_failure),
            "ingest_failure": _failure_json(self.failures.get("ingest")),
            "poll_failure": _failure_json(self.failures.get("poll")),
            "problems": self.problems(),
            "feeds": {
                "total": self.feeds_total,
                "ok": self.feeds_ok,
                "failing": self.feeds_failing,
                "disabled": self.feeds_disabled,
                "new": self.feeds_new,
                "worst": self.worst,
                "causes": self.causes,
            },
            "items": self.items,
            "matches_24h": self.matches_24h,
            "host_slots": {
                "held": self.slots.held,
                "by_holder": self.slots.by_holder,
                "by_host": self.slots.by_host,
                "expired": self.slots.expired,
            },
            "workers": [
                {
                    "worker": w.worker,
                    "started": rfc3339(w.started),
                    "heartbeat": rfc3339(w.heartbeat),
                    "alive": w.alive,
                    "stopped": w.stopped,
                    "leases": w.leases,
                    "jobs": w.jobs,
                    "config": w.config,
                    "clock_skew_s": w.clock_skew,
                }
                for w in self.workers
            ],
        }


def _failure_json(failure: tuple[str, str] | None) -> dict[str, str] | None:
    return {"at": failure[0], "error": failure[1]} if failure else None


def gather(app: App) -> StatusReport:
    now = app.clock()
    releases = app.store.releases(limit=1, until=now)
    feeds = app.store.feeds()
    states = Counter(f.state for f in feeds)
    failing = [f for f in feeds if f.state == "failing"]
    worst = sorted(failing, key=lambda f: (-f.failures, f.url))[:5]
    matches = {"keyword": 0, "related": 0, "pickup": 0} | app.store.article_counts(now - timedelta(hours=24))
    leases = app.store.leases(now)
    workers = []
    for worker, started, heartbeat, status in app.store.worker_statuses(since=now - WORKERS_SHOWN):
        stopped = bool(status.get("stopped"))
        workers.append(
            WorkerStatus(
                worker=worker,
                started=started,
                heartbeat=heartbeat,
                alive=not stopped and now - heartbeat <= ALIVE,
                stopped=stopped,
                leases=leases.get(worker, 0),
                jobs=status.get("jobs", {}),
                config=status.get("config", {}),
                clock_skew=status.get("clock_skew_s"),
            )
        )
    report = StatusReport(
        now=now,
        releases=app.store.count_releases(),
        newest_release=(releases[0].id, releases[0].slug, releases[0].published) if releases else None,
        feeds_total=len(feeds),
        feeds_ok=states["ok"] + states["warning"],  # (read with problems, but read)
        feeds_failing=len(failing),
        feeds_disabled=states["disabled"],
        feeds_new=states["new"] + states["resumed"],  # (enabled again after failing: waits for a check too)
        worst=[
            {
                "id": f.id,
                "url": without_secrets(f.url),
                "failures": f.failures,
                "failing_since": rfc3339(f.failing_since) if f.failing_since else None,
                "last_status": f.last_status,
                "last_error": without_secrets(f.last_error) if f.last_error else f.last_error,
            }
            for f in worst
        ],
        matches_24h=matches,
        items=app.store.count_items(),
        causes=[
            {"cause": c.key, "label": c.label, "advice": c.advice, "act": c.act, "feeds": len(fs)}
            | {"state": fs[0].state, "ids": [f.id for f in fs]}
            for c, fs in triage(feeds)
        ],
        workers=workers,
        held=app.store.releases_held(now),
        sources=_sources(app),
        clock_skew_warning=app.settings.daemon.clock_skew_warning,
        recorded=_recorded(app),
        publish_failure=last_failure(app, "publish"),
        failures={job: failed for job in ("ingest", "poll") if (failed := last_failure(app, job)) is not None},
        slots=_slots(app, now),
    )
    if report.publish_failure is None:
        report.publish_failure = _daemon_publish_failure(workers)
    return report


def _daemon_publish_failure(workers: list[WorkerStatus]) -> tuple[str, str] | None:
    """(since, why) a living daemon's publish has been failing, when the database says the publishes work: another
    machine's publish worked since (each machine publishing its own out/, one of them full), or the failure could
    not be recorded. The headline must not look healthy while one daemon's site goes stale."""
    failing = []
    for w in workers:
        job = w.jobs.get("publish", {})
        finished = job.get("last_finished")
        if w.alive and job.get("last_ok") is False and finished:
            since = job.get("failing_since") or finished
            failing.append((str(since), f"on {w.worker}: {job.get('last_error') or 'failed'}"))
    return min(failing) if failing else None


def _sources(app: App) -> list[dict[str, Any]]:
    found = []
    for source in app.settings.remote_sources:
        st = app.store.source_state(source.name)
        found.append(
            {
                "name": source.name,
                "url": source.shown_url,
                "enabled": source.enabled,
                "last_checked": rfc3339(st.last_checked) if st.last_checked else None,
                "last_status": st.last_status,
                "last_error": st.last_error,
                "failures": st.failures,
                "next_check": rfc3339(st.next_check) if st.next_check else None,
            }
        )
    return found


def _recorded(app: App) -> dict[str, str]:
    """The last ingest, publish and poll as the database shows them, whoever did them on whichever machine, so
    that commands run without a daemon (`feeds publish`, `feeds ingest` from cron) count too: a round that worked,
    or (ingest) a release stored, by the push API too."""
    found: dict[str, str] = {}
    for job in ("ingest", "publish", "poll"):
        done = [app.store.outcome(job).succeeded_at] + ([app.store.last_release_stored()] if job == "ingest" else [])
        if present := [when for when in done if when is not None]:
            found[job] = rfc3339(max(present))
    return found


def _slots(app: App, now: datetime) -> SlotsHeld:
    """The hosts' slots held now; those past their time (or held until further ahead than any hold: taken while a
    clock ran ahead) are free to take, but their rows stay until a poll clears them, a hold later."""
    held = Counter[tuple[str, str]]()
    expired = 0
    for slot in app.store.host_slots(now, hold=timedelta(seconds=app.settings.http.longest_fetch)):
        if slot.held:
            held[(slot.owner, slot.host)] += 1
        else:
            expired += 1
    by_holder = Counter[str]()
    by_host = Counter[str]()
    for (owner, host), n in held.items():
        by_holder[owner] += n
        by_host[host] += n
    return SlotsHeld(sum(held.values()), dict(sorted(by_holder.items())), dict(sorted(by_host.items())), expired)
