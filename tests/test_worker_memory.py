"""`daemon.worker_memory`: a worker process that would take more memory than that fails with MemoryError (one
feed's or file's failure) instead of the machine running out; the pool survives it."""

from __future__ import annotations

import os
import sys
import threading

import pytest

from feeds.errors import ConfigError
from feeds.workers import run_alone, worker_pool

_MIB = 1024 * 1024

needs_workers = pytest.mark.skipif(
    (os.cpu_count() or 1) < 2 or not sys.platform.startswith("linux"), reason="worker processes with RLIMIT_AS"
)


def _allocate(n: int) -> int:
    return len(bytearray(n))


@needs_workers
def test_a_worker_past_its_memory_limit_fails_with_memory_error_and_lives_on(make_settings, make_app_for):
    app = make_app_for(make_settings("\n[daemon]\nworker_memory = 268435456\n"))
    pool = worker_pool(app)
    assert pool is not None
    with pytest.raises(MemoryError):
        pool.submit(_allocate, 1024 * _MIB).result(timeout=60)
    assert pool.submit(_allocate, 16 * _MIB).result(timeout=60) == 16 * _MIB  # the same pool, still whole


@needs_workers
def test_the_lone_worker_has_the_same_limit_from_a_forkserver(make_settings, make_app_for):
    app = make_app_for(make_settings("\n[daemon]\nworker_memory = 268435456\n"))
    stop = threading.Event()
    other = threading.Thread(target=stop.wait)  # (a daemon's threads: workers come from a forkserver)
    other.start()
    try:
        with pytest.raises(MemoryError):
            run_alone(app, None, _allocate, 1024 * _MIB)
    finally:
        stop.set()
        other.join()


@needs_workers
def test_no_limit_with_zero(make_settings, make_app_for):
    app = make_app_for(make_settings("\n[daemon]\nworker_memory = 0\n"))
    assert app.settings.daemon.worker_memory == 0
    assert run_alone(app, None, _allocate, 300 * _MIB) == 300 * _MIB  # more than 256 MiB, the least limit


def test_a_limit_too_small_is_refused_naming_the_key(make_settings):
    with pytest.raises(ConfigError, match=r"daemon\.worker_memory.*256 MiB"):
        make_settings("\n[daemon]\nworker_memory = 512\n")


def test_the_default_is_two_gib(make_settings):
    assert make_settings().daemon.worker_memory == 2048 * _MIB
