"""Bounded DNS lookups: `Lookups` runs `getaddrinfo`-like calls on a few capped threads, so that whoever waits for
one can give up at a deadline (`LookupTimedOut`); `LOOKUPS` is the process's shared set of threads.

Shared by the SSRF guard (`feeds.fetch.guard`) and by `feeds.outbound`, whose connections look names up here too.

What this module must not do: decide whether an address may be contacted (that is the guard's), open
connections, or start more than `threads` threads however many lookups hang.
"""

from __future__ import annotations

import os
import queue
import threading
import time
from collections.abc import Callable
from typing import Any, TypeVar

T = TypeVar("T")

LOOKUP_THREADS = 32
"""Threads at most, per process, looking names up in the DNS (`Lookups`): twice the default `watch.workers`."""


class LookupTimedOut(Exception):
    """What `Lookups.run` raises when it gave up: `started` says whether the lookup ever began (all the threads
    may be waiting for a DNS server that hangs)."""

    def __init__(self, started: bool):
        super().__init__("started" if started else "not started")
        self.started = started


class _Lookup:
    """One lookup handed to a lookup thread: its answer or its exception, and when it is done."""

    def __init__(self, lookup: Callable[[], Any], slots: threading.BoundedSemaphore):
        self.lookup, self.slots = lookup, slots
        self.done = threading.Event()
        self.answer: Any = None
        self.error: Exception | None = None

    def run(self) -> None:
        try:
            self.answer = self.lookup()
        except Exception as e:  # (handed back to the thread waiting for it)
            self.error = e
        finally:
            self.slots.release()
            self.done.set()


class Lookups:
    """Runs DNS lookups on at most `threads` threads, so that the fetch waiting for one can give up at a deadline.

    `socket.getaddrinfo` takes no timeout: a dead or slow DNS server holds it for as long as the system
    resolver's own retries (5 s a try, two tries per server, again for each search domain: often 10-30 s, more).
    A lookup given up on still runs to its end on its thread, and keeps that thread until then; the threads are
    capped, so a resolver that hangs for every lookup costs `threads` threads, not one per fetch. When all of
    them are taken, the next lookup waits for one to come free, until its own deadline, and then fails without
    having started (no queue of lookups grows behind a dead resolver). Threads are started as needed, kept idle
    for the next lookups (a thread per lookup would cost more than the lookup most of the time), and are daemon
    threads: a lookup still waiting on the resolver does not hold up the end of the process. Shareable between
    threads; a forked child starts afresh (the threads were not forked with it)."""

    def __init__(self, threads: int = LOOKUP_THREADS):
        self.threads = threads
        self._pid = 0
        self._start()

    def _start(self) -> None:
        self._pid = os.getpid()
        self._slots = threading.BoundedSemaphore(self.threads)  # lookups running or about to: one per thread
        self._idle = threading.Semaphore(0)  # threads waiting for a lookup
        self._queue: queue.SimpleQueue[_Lookup] = queue.SimpleQueue()
        self._started = 0
        self._lock = threading.Lock()

    def run(self, lookup: Callable[[], T], within: float) -> T:
        """`lookup()`'s answer (or its exception), or `LookupTimedOut` once `within` seconds have passed."""
        if self._pid != os.getpid():
            self._start()
        deadline = time.monotonic() + within
        if not self._slots.acquire(timeout=within):
            raise LookupTimedOut(started=False)
        job = _Lookup(lookup, self._slots)
        if not self._idle.acquire(blocking=False):
            with self._lock:
                if self._started < self.threads:
                    self._started += 1
                    name = f"fetch-dns-{self._started}"
                    threading.Thread(target=self._work, name=name, daemon=True).start()
        self._queue.put(job)  # (a slot taken means a thread free to take it: each one holding a slot is one)
        if not job.done.wait(max(deadline - time.monotonic(), 0.0)):
            raise LookupTimedOut(started=True)
        if job.error is not None:
            raise job.error
        answer: T = job.answer
        return answer

    def _work(self) -> None:
        while True:
            self._queue.get().run()
            self._idle.release()


LOOKUPS = Lookups()
"""The process's lookup threads: `AddressGuard`'s unless given its own, and `feeds.outbound`'s."""
