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


@pytest.mark.skipif("fork" not in multiprocessing.get_all_start_methods(), reason="this system cannot fork")
def test_a_single_threaded_process_forks_its_workers_with_default_signal_handling(make_settings):
    # In a fresh interpreter, since this test process may have threads of its own (local HTTP servers).
    settings = make_settings()
    done = subprocess.run(
        [sys.executable, "-c", _SINGLE_THREADED, str(settings.path)],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report == {
        "threads_before": 1,
        "forked_by_us": True,
        "worker_sigterm": str(signal.SIG_DFL),
        "ours_kept": True,
    }
