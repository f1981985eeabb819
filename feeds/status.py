"""`feeds status`: one screen about the whole installation, read from the store (so it sees every daemon).

Releases, the last ingest and publish (by a daemon's job, or as the data shows: a release stored, the site
changed), watched feeds healthy/failing (with the worst offenders and why, and the failing feeds by cause with what
to do about each: `feeds.watch.triage`), matches in the last 24 hours, the hosts' slots held (the fetches under
way, `watch.per_host` across daemons), the daemons alive with their leases and their jobs' next runs.

It shows how each publish, ingest and watch poll round went, whoever ran it (`feeds.outcomes`), so that a failed
`feeds ingest` from cron shows here; and says what is wrong (`StatusReport.problems`) for the command's exit code:
0 all is well, 1 something is failing, 2 could not tell (the database did not answer: `feeds.cli`'s error).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from feeds.clock import parse_iso, rfc3339, skew_text
from feeds.outcomes import last_failure
from feeds.urls import without_secrets
from feeds.watch.triage import triage

if TYPE_CHECKING:
    from feeds.app import App

_RECORDED = {"watch": "poll"}
"""A daemon's job → the runs it records (`record_run`), where the names differ."""

WORKERS_SHOWN = timedelta(days=7)
"""How far back `feeds status` lists daemons; housekeeping (and `feeds run --once`) forgets the older ones."""

SLOT_HOSTS_SHOWN = 3
"""How many hosts the text names in its `host slots` line, the busiest first (`--json` has them all)."""

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
                    found.append(f"daemon {w.worker}: its clock is {_skew(w.clock_skew)}: fix NTP on its machine")
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


def _skew(seconds: float | None) -> str:
    """`2 min 0.0 s ahead of the database server's`: a daemon's clock as its heartbeat measured it."""
    return f"{skew_text(seconds or 0.0)} the database server's"


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


def render_text(r: StatusReport) -> str:
    def ago(value: str | None) -> str:
        if not value:
            return "never"
        seconds = (r.now - parse_iso(value)).total_seconds()
        if seconds <= -60:  # (stored by a machine whose clock is ahead, or this one's stepped back: say so)
            ahead = int(-seconds // 60)
            span = f"{ahead} min" if ahead < 120 else f"{ahead // 60} h"
            return f"{value} ({span} ahead of this clock: a clock is wrong)"
        minutes = int(max(seconds, 0.0) // 60)  # (clocks a few seconds apart are not "-1 min ago")
        return f"{value} ({minutes} min ago)" if minutes < 120 else f"{value} ({minutes // 60} h ago)"

    def failed(failure: tuple[str, str] | None) -> str:
        return f"; FAILED since {failure[0]}: {failure[1]}" if failure else ""

    held = f"; {len(r.held)} embargoed, off the site until due (first {rfc3339(r.held[0][1])})" if r.held else ""
    lines = [
        f"releases        {r.releases}"
        + (f", newest {r.newest_release[1]} ({rfc3339(r.newest_release[2])})" if r.newest_release else "")
        + held,
        f"last ingest     {ago(r.last('ingest'))}{failed(r.failures.get('ingest'))}",
        f"last publish    {ago(r.last('publish'))}{failed(r.publish_failure)}",
        f"last poll       {ago(r.last('poll'))}{failed(r.failures.get('poll'))}",
        f"watched feeds   {r.feeds_total}: {r.feeds_ok} ok, {r.feeds_failing} failing, {r.feeds_disabled} disabled"
        + (f", {r.feeds_new} not checked yet" if r.feeds_new else "")
        + f"; {r.items} items stored",
    ]
    for w in r.worst:
        error = str(w["last_error"] or "").removeprefix(f"{w['url']}: ")  # (fetch errors name the URL already)
        started = f"since {w['failing_since']}, " if w["failing_since"] else ""  # (RFC 3339, as every time here)
        lines.append(f"  failing {started}{w['failures']}x  {w['url']}: {error}")
    if r.causes:  # (200 failing feeds: what to do about each kind, not 200 errors)
        lines.append("  by cause, what to fix first:")
    for c in r.causes:
        feeds = f"{c['feeds']} feed{'s' if c['feeds'] != 1 else ''} {c['state']}"
        lines.append(f"    {feeds}  {c['label']}: {c['advice']} (`feeds watch list --cause {c['cause']}`)")
    for src in r.sources:
        if not src["enabled"]:
            state = "disabled"
        elif src["last_checked"] is None:
            state = "not checked yet"
        elif src["failures"]:
            state = f"failing {src['failures']}x: {src['last_error']}"
        else:
            state = f"ok ({src['last_status']} at {src['last_checked']})"
        nxt = f", next check {src['next_check']}" if src["enabled"] and src["next_check"] else ""
        lines.append(f"source {src['name']}  {state}{nxt}")
    m = r.matches_24h
    lines.append(
        f"matches (24 h)  {sum(m.values())}: {m.get('keyword', 0)} keyword, {m.get('related', 0)} related,"
        f" {m.get('pickup', 0)} pickup"
    )
    lines.append(f"host slots      {_slots_text(r.slots)}")
    if not r.workers:
        lines.append("daemons         none has run yet (start one with `feeds run`)")
    # Every daemon of the last 7 days is kept (`--json` lists them all), but a stopped one says nothing more once a
    # newer one has stopped: after a week of restarts, they would bury the live daemons.
    stopped = [ws for ws in r.workers if ws.stopped]
    for ws in r.workers:
        if ws.stopped and ws is not stopped[0]:
            continue
        state = "stopped" if ws.stopped else ("alive" if ws.alive else "gone (no heartbeat)")
        clock = f", clock {_skew(ws.clock_skew)}" if ws.alive and ws.clock_skew is not None else ""
        lines.append(f"daemon {ws.worker}  {state}, heartbeat {rfc3339(ws.heartbeat)}, {ws.leases} feed leases{clock}")
        if not ws.alive and not ws.stopped:
            lines.extend(
                f"  it was running {name} since {since}: cut short (killed, or its machine lost)"
                for name, job in sorted(ws.jobs.items())
                if (since := _under_way(job))
            )
        if ws.alive and ws.config.get("reload_error"):
            lines.append(
                f"  config        reload FAILED at {ws.config.get('reload_failed_at')}, still running the one loaded at"
                f" {ws.config.get('loaded_at')}: {ws.config['reload_error']}"
            )
        if ws.alive and ws.config.get("restart_needed"):
            waiting = ", ".join(ws.config["restart_needed"])
            lines.append(f"  config        restart needed to apply {waiting} (the running value is kept until then)")
        if ws.alive:
            for name, job in sorted(ws.jobs.items()):
                nxt = job.get("next_run") or "-"
                summary = str(job.get("last_summary") or "")
                if job.get("last_ok"):
                    result = summary if summary.startswith("skipped") else "ok"
                else:
                    result = "FAILED: " + str(job.get("last_error")) if job.get("runs") else "-"
                running = f"; running since {since}" if (since := _under_way(job)) else ""
                lines.append(f"  {name:<13} next {nxt}  last {result}{running}")
    if len(stopped) > 1:
        lines.append(f"  (and {len(stopped) - 1} more daemon(s) stopped in the last 7 days: `feeds status --json`)")
    return "\n".join(lines)


def _under_way(job: dict[str, Any]) -> str | None:
    """When a daemon's job started, if it had not finished by its last heartbeat (one is sent every 15 s, during
    a job too): a run under way, or, for a daemon gone silent, the run it was cut short in."""
    started, finished = job.get("last_started"), job.get("last_finished")
    return str(started) if started and (not finished or str(started) > str(finished)) else None


def _slots_text(s: SlotsHeld) -> str:
    """`6 held by 2 processes (news.example.org 3, a.example.com 1, b.example.com 1, and 1 more host); 1 expired
    (…)`: the busiest hosts first, then by name."""
    if not s.held:
        text = "none held (no fetch under way)"
    else:
        busiest = sorted(s.by_host.items(), key=lambda kv: (-kv[1], kv[0]))
        hosts = [f"{host} {n}" for host, n in busiest[:SLOT_HOSTS_SHOWN]]
        more = len(busiest) - SLOT_HOSTS_SHOWN
        if more > 0:
            hosts.append(f"and {more} more host{'s' if more > 1 else ''}")
        owners = len(s.by_holder)
        text = f"{s.held} held by {owners} process{'es' if owners > 1 else ''} ({', '.join(hosts)})"
    if s.expired:
        whose, it = ("its holder", "it") if s.expired == 1 else ("their holders", "them")
        text += f"; {s.expired} expired (free: {whose} stopped mid-fetch or could not renew {it})"
    return text


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
