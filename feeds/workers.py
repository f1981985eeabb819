"""The App's one pool of worker processes, for CPU-bound work that holds the GIL (parsing and matching watched
feeds, reading and normalising many releases).

One pool per App, one worker per CPU, started on first use and closed with the App. A process that has only
its main thread (`feeds ingest`, `feeds watch poll`, any one-shot command) forks its workers directly: they start
in milliseconds with everything already imported. A process with other threads (the daemon's scheduler and web
server, a fetch pool) must not fork, since a thread may hold a lock at that instant that nothing in the child
would ever release: its workers fork from a forkserver (a clean single-threaded process) instead, and start in
about half a second (a new interpreter importing the package). A stage may ask for a `setup`
(a function run in each worker as it starts, with its arguments, e.g. compiling the run's matchers): a pool
started with another setup is replaced once its pending work is done; a stage that needs no setup takes
whatever pool there is. None on one CPU (workers would gain nothing), in a daemonic process (which may not have
children), or where processes cannot start: the caller then does the work itself.

What this module must not do: import anything heavy (workers import it), or decide what runs in the pool.
"""

from __future__ import annotations

import contextlib
import ctypes
import logging
import multiprocessing
import multiprocessing.connection
import os
import signal
import sys
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from multiprocessing.context import BaseContext
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from feeds.app import App

log = logging.getLogger("feeds.workers")

Setup = tuple[Callable[..., None], tuple[Any, ...]]
"""A function run in each worker process as it starts, and its (picklable, comparable) arguments."""

POOL_KEY = "worker_pool"
_SETUP_KEY = "worker_pool_setup"
_lock = threading.Lock()  # the daemon's jobs run in threads: one pool is made at a time


def worker_pool(app: App, setup: Setup | None = None) -> ProcessPoolExecutor | None:
    """The App's pool of worker processes (see the module docstring), or None when work should stay here."""
    cpus = os.cpu_count() or 1
    if cpus < 2 or multiprocessing.current_process().daemon:
        return None
    with _lock:
        pool = app.extras.get(POOL_KEY)
        if isinstance(pool, ProcessPoolExecutor) and _broken(pool):
            log.warning("a worker process died; starting new ones")
            pool.shutdown(wait=False, cancel_futures=True)
            pool = None
        if isinstance(pool, ProcessPoolExecutor) and setup is not None and app.extras.get(_SETUP_KEY) != setup:
            pool.shutdown(wait=True)  # its workers were set up for something else
            pool = None
        if isinstance(pool, ProcessPoolExecutor):
            return pool
        context = start_context()
        try:
            pool = ProcessPoolExecutor(
                max_workers=cpus, mp_context=context, initializer=_start_worker, initargs=(setup,)
            )
        except (OSError, ValueError) as e:  # no forkserver (or no semaphores) on this system
            log.warning("cannot start worker processes (%s); working in this process", e)
            return None
        log.debug("%d worker processes start by %s", cpus, context.get_start_method())
        if _SETUP_KEY not in app.extras:  # the first pool of this App: close whichever is current with it
            app.on_close(lambda: _close(app))
        app.extras[POOL_KEY], app.extras[_SETUP_KEY] = pool, setup
    if context.get_start_method() == "fork":
        # Fork the workers now, while this process still has one thread (and outside `_lock`, which they would
        # otherwise inherit held). A fork that fails leaves the pool broken: callers then work here.
        try:
            pool.submit(os.getpid)
        except OSError as e:
            log.warning("cannot start worker processes (%s); working in this process", e)
    return pool


def _broken(pool: ProcessPoolExecutor) -> bool:
    """Whether a worker of `pool` died (killed, out of memory, a crash in a C library): such a pool refuses all
    work from then on. (CPython records it in `_broken`; there is no public way to ask.)"""
    return bool(getattr(pool, "_broken", False))


def start_context() -> BaseContext:
    """How new workers start: by fork while this process has only its main thread, else from a forkserver.

    `worker_pool` has a forked pool start its workers at once: ProcessPoolExecutor forks them all on the first
    submit, before starting its own management thread, and never again, so no worker is forked later from a
    process that has gained threads meanwhile."""
    if threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    return multiprocessing.get_context("forkserver")


def _start_worker(setup: Setup | None) -> None:
    """Run in each worker as it starts: default signal handling (a forked worker would otherwise keep this
    process's, e.g. a handler that only sets a flag, and outlive a SIGTERM sent to the group), Ctrl-C left to
    the parent (which stops the pool; a KeyboardInterrupt traceback from every worker would only be noise), then
    the setup."""
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, signal.SIG_DFL)
    _die_with_parent()
    _exit_with_the_process_that_asked()
    if setup is not None:
        function, args = setup
        function(*args)


def _exit_with_the_process_that_asked() -> None:
    """Exit when the process that asked for this worker is gone. A forked worker's parent is that process (see
    `_die_with_parent`); a forkserver's worker has the forkserver for parent, which outlives a daemon killed with
    SIGKILL as long as a worker holds its pipe open: each waited for the other, for ever. The pipe that
    multiprocessing gives every child to watch its requester (`parent_process().sentinel`) ends that."""
    requester = multiprocessing.parent_process()
    sentinel = requester.sentinel if requester is not None else None
    if sentinel is None:
        return

    def watch() -> None:
        multiprocessing.connection.wait([sentinel])
        os._exit(1)  # the work it was doing has nobody to hand it to

    threading.Thread(target=watch, name="requester-watch", daemon=True).start()


_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    """On Linux, have the kernel send this worker SIGTERM when the process that started it dies: a daemon killed
    with SIGKILL (or out of memory) gets no chance to stop its workers, which would otherwise live on as orphans.
    Elsewhere, a worker notices at its next task (its queue is gone)."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


def _close(app: App) -> None:
    pool = app.extras.pop(POOL_KEY, None)
    if isinstance(pool, ProcessPoolExecutor):
        pool.shutdown(wait=False, cancel_futures=True)
