"""`feeds status` as text: the screen an operator reads (`render_text`), made from the `StatusReport` that
`feeds.status` gathers (`--json` is the report's own `as_json`).

One line per subject (releases, the last ingest, publish and poll, the watched feeds, the remote sources, matches,
the hosts' slots, each daemon), every time in RFC 3339 with how long ago it was; what to do next where something
fails (the failing feeds by cause, a config reload that failed, a restart needed); the details that would bury the
rest left to `--json` (every host holding slots, every daemon stopped in the last 7 days).

Pure: reads nothing but the report (its `now`, not the clock).
"""

from __future__ import annotations

from typing import Any

from feeds.clock import parse_iso, rfc3339
from feeds.status import SlotsHeld, StatusReport

SLOT_HOSTS_SHOWN = 3
"""How many hosts the text names in its `host slots` line, the busiest first (`--json` has them all)."""


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
        clock = f", clock {ws.clock_text}" if ws.alive and ws.clock_skew is not None else ""
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
