"""A process never waits for ever on a worker process that will not end. Python's own exit joins every pool's
thread, and that thread each of its workers: a worker stuck in a task (a C library looping on a feed), or one a
pool started just as another worker died (CPython 3.11 then neither ends it nor hands it its stop, and waits for
it: a daemon that logged "stopped" hung so in 1 run in 24 here, after a round in which a feed killed its reader),
held the daemon's exit until its service manager killed it. `workers.end_stragglers` ends the App's workers that
have not exited once it is closed; the daemon calls it as it stops."""

from __future__ import annotations

import json
import multiprocessing
import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one CPU: feeds starts no worker processes")

_STUCK = textwrap.dedent(
    """
    import json, sys, threading, time
    from feeds.app import make_app
    from feeds.config import load_settings
    from feeds import workers

    app = make_app(load_settings(sys.argv[1], environ={}))
    pool = workers.worker_pool(app)
    started = pool.submit(time.sleep, 0)  # (a first task: the worker is up)
    started.result(timeout=60)
    stuck = pool.submit(time.sleep, 3600)  # a worker that will not end on its own
    while not stuck.running():
        time.sleep(0.01)
    app.close()
    ended = workers.end_stragglers(app, wait=float(sys.argv[2]))
    print(json.dumps({"ended": len(ended)}))
    """
)


def _run(config: Path, wait: float, timeout: float) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", _STUCK, str(config), str(wait)],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        cwd=Path(__file__).resolve().parent.parent,
    )


def test_a_closed_app_whose_worker_will_not_end_does_not_hold_the_process_at_exit(make_settings):
    """Without `end_stragglers` the same script never exits (its run times out: checked when this was written)."""
    done = _run(make_settings().path, 0.0, timeout=60)
    assert done.returncode == 0, done.stderr
    # (the stuck one, and maybe its idle fellow, which had not read its stop yet: no time was given)
    assert json.loads(done.stdout.splitlines()[-1])["ended"] in (1, 2)
    # The seconds waited before the kill (none were given; the checks of which still run take a few ms, more on a
    # busy machine), not counting the kill's own wait for the worker to go (up to 5 s).
    said = re.search(r"had not exited (\d+\.\d) s after the stop; killed \(pid \d+", done.stderr)
    assert said is not None, done.stderr
    assert float(said.group(1)) < 5.0, done.stderr


def test_pools_whose_workers_all_exited_are_not_kept(make_settings, make_app_for):
    """A daemon replaces its pool whenever the watch's rules change: the retired pools kept for `end_stragglers`
    are only those with a worker still running, not one more at every change for months."""
    from feeds import workers

    app = make_app_for(make_settings())
    for n in range(6):
        pool = workers.worker_pool(app, (abs, (n,)))  # (each a new setup: the pool before it is retired)
        assert pool is not None
        if n == 2:
            assert pool.submit(os.getpid).result(timeout=60) > 0  # (this one has a worker, which exits later)
    app.close()
    kept = app.extras["worker_pools_retired"]
    assert isinstance(kept, list) and len(kept) <= 2, kept
    assert workers.end_stragglers(app, wait=30.0) == []  # (every worker exits once told to: none is killed)
    assert all(p.exitcode is not None for t in kept for p in t.values())


class _EarlyJoin(multiprocessing.get_context("fork").Process):  # type: ignore[misc,name-defined]
    """A worker whose first join comes back at once, before it has exited (as a forkserver worker's once did in
    CI): that join tells it to exit, and it exits a moment later."""

    def __init__(self) -> None:
        self.tell, there = multiprocessing.Pipe()
        super().__init__(target=_exit_when_told, args=(there,), daemon=True)
        self.early = True

    def join(self, timeout: float | None = None) -> None:
        if self.early:
            self.early = False
            self.tell.send("exit")
            return
        super().join(timeout)


def _exit_when_told(conn) -> None:
    conn.recv()


def test_a_worker_still_exiting_after_an_early_join_is_waited_for_not_killed(make_settings, make_app_for):
    from feeds import workers

    app = make_app_for(make_settings())
    worker = _EarlyJoin()
    worker.start()
    app.extras["worker_pools_retired"] = [{worker.pid: worker}]
    app.close()
    assert workers.end_stragglers(app, wait=30.0) == []
    assert worker.exitcode == 0  # (it exited by itself: a killed one's exit code is -9)
