"""Single-runner sections across processes: SQLite (flock) and PostgreSQL (advisory locks), and the bounded wait
for one another process holds (`wait_exclusive`), timed by an injected clock: no test here sleeps."""

from __future__ import annotations

import os
import socket
import threading
from datetime import UTC, datetime

import pytest

from feeds.errors import LockTimeoutError
from feeds.store import open_store
from feeds.store.locks import wait_exclusive


def test_exclusive_is_exclusive_and_released(db_url):
    a, b = open_store(db_url), open_store(db_url)
    a.migrate(datetime.now(UTC))
    try:
        with a.exclusive("publish") as first:
            assert first
            with b.exclusive("publish") as second:
                assert not second, "another store (process) may not enter while the first holds it"
            with b.exclusive("ingest") as other:
                assert other, "locks are per name"
        with b.exclusive("publish") as again:
            assert again, "released at the end of the section"
    finally:
        a.close()
        b.close()


class FakeTime:
    """`time.monotonic` and a wait that moves it on instead of sleeping (the wait returns whether to stop)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.waits: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def wait(self, seconds: float) -> bool:
        self.waits.append(seconds)
        self.now += seconds
        return False


def test_the_holder_of_a_lock_is_named_while_it_holds_it(db_url):
    a, b = open_store(db_url), open_store(db_url)
    a.migrate(datetime.now(UTC))
    try:
        assert b.lock_holder("publish") is None
        with a.exclusive("publish"):
            holder = b.lock_holder("publish")
            assert holder is not None and f"pid {os.getpid()}" in holder and socket.gethostname() in holder, holder
            assert b.lock_holder("ingest") is None
        assert b.lock_holder("publish") is None, "no holder once it is released"
    finally:
        a.close()
        b.close()


def test_a_wait_for_a_lock_held_elsewhere_gives_up_after_its_bound_naming_the_lock_and_its_holder(db_url):
    """An operator's review: `feeds run --once` waited without a bound for a lock another process held; one hung
    while holding it held back every cron run, which piled up behind it."""
    a, b = open_store(db_url), open_store(db_url)
    a.migrate(datetime.now(UTC))
    t = FakeTime()
    told: list[str | None] = []
    try:
        with a.exclusive("publish") as mine:
            assert mine
            with (
                pytest.raises(LockTimeoutError) as info,
                wait_exclusive(b, "publish", timeout=300, monotonic=t.monotonic, sleep=t.wait, on_wait=told.append),
            ):
                pytest.fail("entered a section another process holds")
        assert t.now - 1000.0 == pytest.approx(300.0), "it waited for its bound, and no longer"
        assert all(w <= 1.0 for w in t.waits), "it looked again at least every second"
        e = info.value
        assert e.lock == "publish" and e.waited == 300
        assert f"pid {os.getpid()}" in str(e) and socket.gethostname() in str(e), str(e)
        assert "the publish lock" in str(e) and "5 min" in str(e)
        assert len(told) == 1 and told[0] is not None and f"pid {os.getpid()}" in told[0], "said once, with whom"
        with wait_exclusive(b, "publish", timeout=300, monotonic=t.monotonic, sleep=t.wait) as mine:
            assert mine, "released: taken at once"
    finally:
        a.close()
        b.close()


def test_a_wait_for_a_lock_ends_when_the_holder_lets_go_or_a_stop_is_asked_for(db_url):
    a, b = open_store(db_url), open_store(db_url)
    a.migrate(datetime.now(UTC))
    t = FakeTime()
    held = a.exclusive("ingest")
    assert held.__enter__()

    def wait(seconds: float) -> bool:  # the holder finishes during the third look
        t.wait(seconds)
        if len(t.waits) == 3:
            held.__exit__(None, None, None)
        return False

    try:
        with wait_exclusive(b, "ingest", timeout=300, monotonic=t.monotonic, sleep=wait) as mine:
            assert mine and len(t.waits) == 3
        stop = threading.Event()
        with a.exclusive("ingest"):
            stop.set()  # SIGTERM while waiting: the wait ends at once, without the lock and without an error
            with wait_exclusive(b, "ingest", timeout=300, stop=stop) as mine:
                assert mine is False
    finally:
        a.close()
        b.close()
