"""feeds.workers: how the App's worker processes start (fork when single-threaded, else a forkserver)."""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path
from typing import Any

import pytest

from feeds import workers
from feeds.workers import POOL_KEY, start_context, worker_pool

pytestmark = pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one CPU: feeds starts no worker processes")


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="this system cannot fork")
@pytest.mark.parametrize(("threads", "method"), [(1, "fork"), (2, "forkserver"), (9, "forkserver")])
def test_the_start_method_follows_the_number_of_threads(monkeypatch, threads, method):
    monkeypatch.setattr(workers.threading, "active_count", lambda: threads)
    assert start_context().get_start_method() == method


def test_with_another_thread_running_workers_come_from_a_forkserver(make_settings, make_app_for):
    app = make_app_for(make_settings())
    stop = threading.Event()
    other = threading.Thread(target=stop.wait, name="a daemon's scheduler, say")
    other.start()
    try:
        pool = worker_pool(app)
        assert pool is not None and app.extras[POOL_KEY] is pool
        assert pool.submit(os.getppid).result(timeout=60) != os.getpid()  # not our child: the forkserver's
        assert pool.submit(signal.getsignal, signal.SIGTERM).result(timeout=60) == signal.SIG_DFL
    finally:
        stop.set()
        other.join()


_SINGLE_THREADED = textwrap.dedent(
    """
    import json, os, signal, sys, threading
    from feeds.app import make_app
    from feeds.config import load_settings
    from feeds.workers import worker_pool

    signal.signal(signal.SIGTERM, lambda *_: None)  # as a command that shuts down gracefully might
    app = make_app(load_settings(sys.argv[1], environ={}))
    threads_before = threading.active_count()
    pool = worker_pool(app)
    print(json.dumps({
        "threads_before": threads_before,
        "forked_by_us": pool.submit(os.getppid).result(timeout=60) == os.getpid(),
        "worker_sigterm": str(pool.submit(signal.getsignal, signal.SIGTERM).result(timeout=60)),
        "ours_kept": signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL,
    }))
    app.close()
    """
)


def last_json_line(script: str, config: Path, *, timeout: float, args: tuple[str, ...] = ()) -> Any:
    """Run `script` in a fresh interpreter (no thread of this test process, no pool made here) with the config's
    path as its argument (then `args`), from the project's folder; what its last line of output says, as JSON."""
    done = subprocess.run(
        [sys.executable, "-c", script, str(config), *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        cwd=Path(__file__).resolve().parent.parent,
    )
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout.strip().splitlines()[-1])


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="this system cannot fork")
def test_a_single_threaded_process_forks_its_workers_with_default_signal_handling(make_settings):
    # In a fresh interpreter, since this test process may have threads of its own (local HTTP servers).
    settings = make_settings()
    report = last_json_line(_SINGLE_THREADED, settings.path, timeout=120)
    assert report == {
        "threads_before": 1,
        "forked_by_us": True,
        "worker_sigterm": str(signal.SIG_DFL),
        "ours_kept": True,
    }


def test_a_pool_whose_worker_died_is_replaced_and_the_watch_goes_on(make_settings, make_app_for, httpserver, clock):
    """A worker killed mid-run (out of memory, a crash in a C library) must not stop every later poll."""
    from datetime import timedelta

    from werkzeug import Response

    from feeds.watch import poll
    from feeds.watch.manage import add_feed

    app = make_app_for(make_settings('\n[http]\nallow = ["127.0.0.1", "localhost", "::1"]\n'))
    served = {"n": 0}

    def changing(request):  # a new body every time, so every poll parses in the workers
        served["n"] += 1
        item = f"<item><title>Story {served['n']}</title><guid isPermaLink='false'>s{served['n']}</guid></item>"
        body = f"<?xml version='1.0'?><rss version='2.0'><channel><title>T</title>{item}</channel></rss>"
        return Response(body, content_type="application/rss+xml")

    httpserver.expect_request("/feed.xml").respond_with_handler(changing)
    feeds = [add_feed(app, httpserver.url_for("/feed.xml") + f"?n={n}") for n in range(poll.PARALLEL_PARSE_MIN)]
    assert all(o.status == "200" for o in poll.run_watch(app).outcomes)
    pool = app.extras[POOL_KEY]
    with pytest.raises(BrokenProcessPool):
        pool.submit(os._exit, 1).result(timeout=60)  # a worker dies: the whole pool is broken now

    clock.advance(timedelta(hours=1))
    report = poll.run_watch(app)
    assert sorted(o.status for o in report.outcomes) == ["200"] * len(feeds) and report.new_items == len(feeds)
    assert app.extras[POOL_KEY] is not pool, "a new pool replaced the broken one"
    assert app.extras[POOL_KEY].submit(os.getpid).result(timeout=60) > 0


_KILLED_PARENT = textwrap.dedent(
    """
    import os, sys, threading, time
    from feeds.app import make_app
    from feeds.config import load_settings
    from feeds.workers import worker_pool

    if sys.argv[2] == "threaded":  # a daemon has threads: its workers come from a forkserver
        threading.Thread(target=time.sleep, args=(300,), daemon=True).start()
    app = make_app(load_settings(sys.argv[1], environ={}))
    pool = worker_pool(app)
    print(pool.submit(os.getpid).result(timeout=60), pool.submit(os.getppid).result(timeout=60), flush=True)
    time.sleep(120)  # killed with SIGKILL before this ends
    """
)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="the parent-death signal is Linux's")
@pytest.mark.parametrize("how", ["single", "threaded"])
def test_workers_do_not_outlive_a_process_killed_with_sigkill(make_settings, how):
    """Forked workers, and workers from a forkserver (whose parent is the forkserver, which outlived the daemon
    while a worker held its pipe open): none lives on after the daemon is killed."""
    settings = make_settings()
    parent = subprocess.Popen(
        [sys.executable, "-c", _KILLED_PARENT, str(settings.path), how], stdout=subprocess.PIPE, text=True
    )
    try:
        worker, its_parent = map(int, parent.stdout.readline().split())
        assert (its_parent == parent.pid) == (how == "single")
        os.kill(worker, 0)  # alive while its parent is
        parent.kill()
        parent.wait(timeout=30)
        for pid in {worker, its_parent} - {parent.pid}:
            deadline = time.monotonic() + 10
            while time.monotonic() < deadline:
                try:
                    os.kill(pid, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.05)
            else:
                os.kill(pid, signal.SIGKILL)
                pytest.fail(
                    f"process {pid} ({'worker' if pid == worker else 'forkserver'}) outlived the daemon by 10 s"
                )
    finally:
        parent.kill()
        parent.wait(timeout=30)


def test_a_task_that_kills_its_lone_worker_is_named_and_the_next_task_gets_a_new_one(make_settings, make_app_for):
    from tests import killers

    app = make_app_for(make_settings())
    with pytest.raises(workers.WorkerDied, match=r"^the worker process reading it alone died \(killed by SIGKILL\)$"):
        workers.run_alone(app, None, killers.killed)
    assert workers.run_alone(app, None, os.getpid) != os.getpid()  # a new lone worker, not this process


_LONE_EXITS = textwrap.dedent(
    """
    import json, sys, threading
    from feeds import workers
    from feeds.app import make_app
    from feeds.config import load_settings
    from tests import killers

    stop = threading.Event()
    threading.Thread(target=stop.wait).start()  # (a daemon has threads: its workers come from a forkserver)
    app = make_app(load_settings(sys.argv[1], environ={}))
    said = []
    for _ in range(8):
        try:
            workers.run_alone(app, None, killers.exits)
        except workers.WorkerDied as e:
            said.append(str(e))
    app.close()
    stop.set()
    print(json.dumps(said))
    """
)


def test_a_lone_worker_that_exits_is_named_with_its_own_exit_code_every_time(make_settings):
    """The pool's own thread joins the dead worker too: reading its exit code at the same moment used to race it
    for the status the forkserver sends, and the loser's reading (255, "status lost") could replace the right one
    (1 run of 3 before). In a fresh interpreter with a second thread, as a daemon is: its workers come from a
    forkserver (a single-threaded process forks them, and a fork's status cannot be read twice)."""
    settings = make_settings()
    said = last_json_line(_LONE_EXITS, settings.path, timeout=300)
    assert said == ["the worker process reading it alone died (exit code 70)"] * 8


def _note(value: str) -> None:
    """A worker setup: what it was set up with, for `_noted`."""
    os.environ["FEEDS_TEST_SETUP"] = value


def _noted() -> tuple[int, str]:
    return os.getpid(), os.environ.get("FEEDS_TEST_SETUP", "")


def test_the_ingest_and_the_watch_each_keep_their_lone_worker(make_settings, make_app_for):
    """In the daemon a killer breaks the pool both jobs share, and each then reads its suspects alone, from its own
    thread, with its own setup (the watch's matchers, none for the ingest): neither may end (and start again, and
    cancel the task waiting in) the other's lone worker. A new setup for the same stage does replace it."""
    app = make_app_for(make_settings())
    watch = (_note, ("matchers",))
    first = workers.run_alone(app, watch, _noted)
    assert first[1] == "matchers" and first[0] != os.getpid()
    assert workers.run_alone(app, None, _noted)[0] not in (first[0], os.getpid())  # the ingest's own
    assert workers.run_alone(app, watch, _noted) == first  # the watch's, kept
    assert workers.run_alone(app, (_note, ("new rules",)), _noted)[1] == "new rules"
