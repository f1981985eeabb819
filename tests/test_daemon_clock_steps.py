"""The daemon's own waits (kept in memory, timed by the wall clock) across a step of the clock: NTP stepping it back
an hour or ahead a day while the daemon runs. Stored times stay wall clock (several daemons share them, and the
store undoes a step itself); what only this process waits for keeps the wait it had, neither stalled for the
step's length nor cut short."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from feeds.daemon import Daemon
from feeds.daemon.reload import IMPORT_RETRY
from feeds.errors import PublishError

HOUR = timedelta(hours=1)


@pytest.fixture
def daemon(make_settings, clock):
    settings = make_settings()
    d = Daemon(Path(settings.path), settings, clock=clock, serve=False)
    d._schedule = lambda housekept=None: None  # type: ignore[method-assign]  # (no real scheduler: the waits alone)
    yield d
    d._scheduler = None
    d.app.close()


def _step(daemon: Daemon, clock, delta: timedelta) -> None:
    """The wall clock steps by `delta` (the injected clock, as the daemon's `clock_step` would have measured)."""
    clock.advance(delta)
    daemon.clock_stepped(delta.total_seconds())


def _full_disk(app):
    raise PublishError("out/feed.xml: no space left on device", path="out/feed.xml")


@pytest.mark.parametrize("delta", [-HOUR, timedelta(days=1)])
def test_a_failed_publish_is_retried_30_s_later_whatever_the_clock_did_meanwhile(daemon, clock, delta):
    """A review's find: the retry of a failed publish was due at a wall-clock time; stepped back an hour, the
    clock held it for that hour (the periodic publish, up to a day apart, the only other try)."""
    daemon._run_job("publish", _full_disk)
    assert not daemon.jobs._publish_failed_retry_due()  # (the first failure seen: due 30 s later)
    clock.advance(timedelta(seconds=10))
    _step(daemon, clock, delta)
    assert not daemon.jobs._publish_failed_retry_due(), "not before its 30 s: a step ahead is no time waited"
    clock.advance(timedelta(seconds=21))
    assert daemon.jobs._publish_failed_retry_due(), "due 30 s after the failure, not an hour later"


@pytest.mark.parametrize("delta", [-HOUR, timedelta(days=1)])
def test_a_hub_ping_waiting_for_its_retry_keeps_its_wait_across_a_step_of_the_clock(daemon, clock, delta):
    """WebSub pings waiting for their back-off (and the hub held after it failed) were due at wall-clock times:
    stepped back an hour, subscribers heard of no change for that hour."""
    from dataclasses import replace

    from feeds.publish.websub import PendingPing

    now = clock()
    daemon.pings.add(["https://press.example.org/feed.xml"], now)
    with daemon.pings._lock:
        (ping,) = daemon.pings._pending.values()
        daemon.pings._pending[ping.topic] = replace(ping, due=now + timedelta(seconds=60), failures=1)
    daemon.pings._held_until = now + timedelta(seconds=60)
    _step(daemon, clock, delta)
    (after,) = daemon.pings.pending()
    assert isinstance(after, PendingPing)
    assert after.due == clock() + timedelta(seconds=60)
    assert daemon.pings.held_until == clock() + timedelta(seconds=60)


@pytest.mark.parametrize("delta", [-HOUR, timedelta(days=1)])
def test_storing_a_reloaded_configs_feeds_is_tried_again_30_s_later_across_a_step(daemon, clock, delta):
    """A reload whose feeds and rules the database refused is tried again after `IMPORT_RETRY`: a clock stepped
    back an hour held that retry (and /healthz degraded) for the hour."""
    daemon.imports.due = clock() + IMPORT_RETRY
    _step(daemon, clock, delta)
    assert daemon.imports.due == clock() + IMPORT_RETRY


def test_a_watch_round_running_across_a_step_of_the_clock_is_not_run_again_beside_itself(make_settings, clock):
    """A review's find: a step of the clock (or a reload) schedules every job on a new scheduler, whose watch tick
    came a second later while the replaced scheduler's round still ran: two rounds at once in one daemon, and
    after a step ahead (every lease run out by the clock) the same feeds claimed and fetched twice. A job still
    running from the replaced scheduler holds the new one's periodic runs, as it would have held its own."""
    import threading

    settings = make_settings()
    daemon = Daemon(Path(settings.path), settings, clock=clock, serve=False)
    release = threading.Event()
    rounds: list[str] = []

    def watch(app) -> str:
        rounds.append("watch")
        if len(rounds) == 1:
            release.wait(timeout=30)
        return ""

    for name in ("ingest", "publish", "alerts", "housekeeping"):
        setattr(daemon.jobs, name, lambda app: "")
    daemon.jobs.watch = watch  # type: ignore[method-assign]

    def periodic(job_id: str):
        assert daemon._scheduler is not None
        daemon._scheduler.pause()
        job = daemon._scheduler.get_job(job_id)
        return lambda: job.func(*job.args)

    try:
        daemon._schedule()
        first = threading.Thread(target=periodic("watch"))
        first.start()
        daemon.clock_stepped(86400.0)
        periodic("watch")()  # the new scheduler's tick, while the first round runs
        assert rounds == ["watch"], "one round at a time"
        release.set()
        first.join(timeout=30)
        periodic("watch")()
        assert rounds == ["watch", "watch"], "the next tick after it runs"
    finally:
        release.set()
        if daemon._scheduler is not None:
            daemon._scheduler.shutdown(wait=False)
        daemon._scheduler = None
        daemon.app.close()
