"""The App's one pool of worker processes, for CPU-bound work that holds the GIL (parsing and matching watched
feeds, reading and normalising many releases).

One pool per App, one worker per CPU, started on first use and closed with the App. An App marked `isolate`d
(the daemon's, `feeds run`) reads every input it parses in its workers, however few: its process lives for days
and restarts into the same input, so a crash there is never worth the milliseconds saved; it has a worker even on
one CPU. Other Apps (one-shot commands) read few inputs in their own process, where a crash ends only that
command. A process that has only its main thread (`feeds ingest`, `feeds watch poll`, any one-shot command) forks
its workers directly: they start in milliseconds with everything already imported. A process with other threads
(the daemon's scheduler and web server, a fetch pool) must not fork, since a thread may hold a lock at that instant
that nothing in the child would ever release: its workers fork from a forkserver (a clean single-threaded process)
instead. The forkserver is a new interpreter, started once: the modules `preload` names (the daemon's: what its
workers run, the parser and its libraries) are imported there once, and every worker it starts has them already,
in milliseconds (without it, each worker imported them afresh: seconds of CPU at every new pool). A stage may ask
for a `setup` (a function run in each worker as it starts, with its arguments, e.g. compiling the run's
matchers): a pool started with another setup is replaced at once, without waiting for it (it still does the work
it was handed, then its workers exit); a stage that needs no setup takes whatever pool there is. None on one CPU
(workers would gain nothing) unless the App is isolated, in a daemonic process (which may not have children), or
where processes cannot start: the caller then does the work itself.

A worker that dies (a crash in a C library such as libxml2, the kernel's OOM killer, a stack overflow) breaks the
whole pool, and every task in it fails, with no word of which one killed it. Those tasks are never done again in
this process, where the same input would kill the daemon: `answer` runs each again alone, one at a time, in the
App's lone worker for that stage (a pool of one process; the ingest's and the watch's are apart): a task that
kills that one too is the culprit (`WorkerDied`, which the caller records as that feed's or that file's failure),
and every other is done once. Tasks handed in after the pool broke go the same way for the rest of the run; the
next run's `worker_pool` starts a new pool, so a pool is rebuilt at most once a run, and a lone worker once a
culprit (whose failure then backs off or is rejected).

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
import time
from collections.abc import Callable, Iterable
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from multiprocessing.context import BaseContext
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from feeds.logs import LogSetup, current_setup, setup_logging

if TYPE_CHECKING:
    from feeds.app import App

log = logging.getLogger("feeds.workers")

Setup = tuple[Callable[..., None], tuple[Any, ...]]
"""A function run in each worker process as it starts, and its (picklable, comparable) arguments."""

T = TypeVar("T")

POOL_KEY = "worker_pool"
_SETUP_KEY = "worker_pool_setup"
LONE_KEY = "lone_worker"
_LONE_CLOSER_KEY = "lone_worker_closed_with_app"
_ISOLATE_KEY = "worker_isolate"
_RETIRED_KEY = "worker_pools_retired"
_lock = threading.Lock()  # the daemon's jobs run in threads: one pool is made at a time
_preloaded: set[str] = set()


def isolate(app: App) -> None:
    """Have `app` read every feed body and dropped file in worker processes, never in its own (the daemon's)."""
    app.extras[_ISOLATE_KEY] = True


def isolated(app: App) -> bool:
    """Whether `app` reads what it parses only in worker processes, however little there is (`isolate`)."""
    return app.extras.get(_ISOLATE_KEY) is True


def preload(modules: Iterable[str], *, main: str | None = None) -> None:
    """Have this process's forkserver import `modules` as it starts (with `__main__`, multiprocessing's default):
    every worker it starts then has them already. `main`: the module this program's `__main__` imports, imported
    there too when multiprocessing runs that `__main__` again in each worker (a program started by its path, as
    the `feeds` console script; not `python -m feeds`, whose workers skip it, and would only wait for it). For the
    whole process (the forkserver is one per process), and only until the forkserver starts (at the first pool
    started while other threads run): the daemon names its workers' modules before it starts any pool. A one-shot
    command forks its workers, which need none of it. The forkserver finds modules on the interpreter's own path
    (Python 3.11's ignores changes this process made to `sys.path`); one it cannot import, each worker imports as
    it starts, as without `preload`."""
    _preloaded.update(modules)
    program = sys.modules.get("__main__")
    if main is not None and getattr(program, "__spec__", None) is None and getattr(program, "__file__", None):
        _preloaded.add(main)
    if "forkserver" in multiprocessing.get_all_start_methods():
        multiprocessing.get_context("forkserver").set_forkserver_preload(["__main__", *sorted(_preloaded)])


def worker_pool(app: App, setup: Setup | None = None) -> ProcessPoolExecutor | None:
    """The App's pool of worker processes (see the module docstring), or None when work should stay here."""
    cpus = os.cpu_count() or 1
    if (cpus < 2 and not isolated(app)) or multiprocessing.current_process().daemon:
        return None
    with _lock:
        pool = app.extras.get(POOL_KEY)
        if isinstance(pool, ProcessPoolExecutor) and _broken(pool):
            log.warning("a worker process died; starting new ones")
            _retire(app, pool, cancel=True)
            pool = None
        if isinstance(pool, ProcessPoolExecutor) and setup is not None and app.extras.get(_SETUP_KEY) != setup:
            # Its workers were set up for something else. Not waited for: it finishes what it was handed (the
            # ingest's files, say) and its workers exit, while the new one starts.
            _retire(app, pool, cancel=False)
            pool = None
        if isinstance(pool, ProcessPoolExecutor):
            return pool
        context = start_context()
        try:
            pool = ProcessPoolExecutor(
                max_workers=cpus,
                mp_context=context,
                initializer=_start_worker,
                initargs=(setup, _limit(app), current_setup()),
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


def _limit(app: App) -> int:
    return app.settings.daemon.worker_memory


def _start_worker(setup: Setup | None, memory: int = 0, logs: LogSetup | None = None) -> None:
    """Run in each worker as it starts: default signal handling (a forked worker would otherwise keep this
    process's, e.g. a handler that only sets a flag, and outlive a SIGTERM sent to the group), Ctrl-C left to
    the parent (which stops the pool; a KeyboardInterrupt traceback from every worker would only be noise), the
    log set up as its parent's (`logs`: a forkserver's worker starts with none), its memory limit
    (`limit_memory`), then the setup."""
    if logs is not None:
        level, fmt, worker = logs
        setup_logging(level, fmt, worker=worker)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if hasattr(signal, "SIGHUP"):
        signal.signal(signal.SIGHUP, signal.SIG_DFL)
    _die_with_parent()
    _exit_with_the_process_that_asked()
    limit_memory(memory)
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


def limit_memory(extra: int) -> None:
    """Let this process take at most `extra` more bytes of address space than it holds now (`RLIMIT_AS`; 0: no
    limit): beyond it an allocation fails, which Python raises as MemoryError (a C library may crash instead:
    `answer` finds it either way), rather than the machine running out of memory. Counted from what the process
    holds as it starts, since a forked worker starts with its parent's whole address space. Where the limit
    cannot be set (not Linux, a lower hard limit), the worker runs as it can."""
    if extra <= 0:
        return
    with contextlib.suppress(ImportError, OSError, ValueError):
        import resource

        with open("/proc/self/statm", encoding="ascii") as statm:
            held = int(statm.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = held + extra
        if hard != resource.RLIM_INFINITY:
            limit = min(limit, hard)
        if soft == resource.RLIM_INFINITY or limit < soft:
            resource.setrlimit(resource.RLIMIT_AS, (limit, hard))


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
        _retire(app, pool, cancel=True)


def _retire(app: App, pool: ProcessPoolExecutor, *, cancel: bool) -> None:
    """Shut `pool` down without waiting for it (its workers finish what they were handed, then exit), its
    processes kept in sight for `end_stragglers`. Its table of processes (CPython's `_processes`, which `shutdown`
    forgets) is kept itself, not a copy: a worker that the pool starts as it breaks is entered there later."""
    table = getattr(pool, "_processes", None)
    pool.shutdown(wait=False, cancel_futures=cancel)
    if not isinstance(table, dict):
        return
    retired = app.extras.setdefault(_RETIRED_KEY, [])
    assert isinstance(retired, list)
    # (those whose workers have all exited are forgotten: a daemon replaces its pool at every change of rules)
    retired[:] = [t for t in retired if any(p.exitcode is None for p in list(t.values()))]
    retired.append(table)


def end_stragglers(app: App, *, wait: float) -> list[int]:
    """Once `app` is closed: wait up to `wait` seconds for the worker processes of its pools to exit, then kill
    those still running, and say so. Their pids.

    Python's exit joins each pool's thread, which joins the pool's workers: one that does not end held the
    process for ever after its last word. A worker stuck in a task (a C library looping on its input) does not
    end; nor does one that a pool of CPython 3.11 starts for a task handed in just as another worker died: the
    pool, breaking, stops only the workers it had, then waits for all (a daemon that logged "stopped" hung so
    after a feed killed its reader, 1 stop in 24 in the tests). Only this App's workers: other Apps of the
    process (tests) keep theirs."""
    tables = app.extras.get(_RETIRED_KEY)
    processes = [p for t in tables if isinstance(t, dict) for p in list(t.values())] if isinstance(tables, list) else []
    start = time.monotonic()
    deadline = start + wait
    left = [p for p in processes if _running(p)]
    # Asked again until the deadline, not once: a join can come back before its worker has exited (seen once in
    # CI, a forkserver worker still exiting was killed 77 ms after the stop), and such a worker is no straggler.
    while left and time.monotonic() < deadline:
        with contextlib.suppress(Exception):
            left[0].join(min(_POLL, max(0.0, deadline - time.monotonic())))
        left = [p for p in left if _running(p)]
        if left:
            time.sleep(_POLL / 10)  # (a join that raised or came back at once does not spin this loop)
    waited = time.monotonic() - start  # (before the kills: their joins are not the stop's wait)
    for process in left:
        with contextlib.suppress(Exception):
            process.kill()
            process.join(5)
    if left:
        log.warning(
            "%d worker process%s had not exited %.1f s after the stop; killed (pid %s)",
            len(left),
            "" if len(left) == 1 else "es",
            waited,
            ", ".join(str(p.pid) for p in left),
        )
    return [p.pid for p in left]


_POLL = 0.1
"""How long `end_stragglers` waits on one worker before it asks again which are still running."""


def _running(process: multiprocessing.process.BaseProcess) -> bool:
    """Whether a worker is still running, as its process object knows (a closed or broken one: not, to us)."""
    try:
        return process.exitcode is None
    except Exception:
        return False


class WorkerDied(Exception):
    """A task run alone in a worker process of its own (`run_alone`) killed that process: the task's input is what
    kills workers (a crash in a C library, a memory blow-up, a runaway recursion), not bad luck with another's."""


@dataclass(frozen=True, slots=True)
class Job(Generic[T]):
    """A task handed to the pool: what it runs (so that it can be run again alone) and its answer to come."""

    fn: Callable[..., T]
    args: tuple[Any, ...]
    setup: Setup | None
    future: Future[T] | None
    """None: the pool was broken (or closed) when the task was handed in: `answer` runs it alone."""

    def done(self) -> bool:
        """Whether `answer` would not wait for the pool (it may still run the task alone)."""
        return self.future is None or self.future.done()

    def waiting(self) -> bool:
        """Whether no worker has taken the task up yet (neither running nor done)."""
        return self.future is not None and not self.future.running() and not self.future.done()


def submit(pool: ProcessPoolExecutor, setup: Setup | None, fn: Callable[..., T], *args: Any) -> Job[T]:
    """Hand `fn(*args)` to `pool` (whose workers were set up with `setup`). Never raises: a pool that is broken
    or closed gives a job that `answer` runs alone."""
    try:
        future: Future[T] | None = pool.submit(fn, *args)
    except (BrokenProcessPool, RuntimeError, OSError):  # broken, shut down by a closing App, cannot start
        future = None
    return Job(fn, args, setup, future)


def answer(app: App, job: Job[T]) -> T:
    """The job's result (an exception the task raised in its worker is raised here). When its worker died, or the
    pool was broken before it was handed in, the task runs again alone (`run_alone`): WorkerDied if it kills that
    worker too. Never run in this process."""
    if job.future is not None:
        try:
            return job.future.result()
        except BrokenProcessPool:
            log.info("a worker process died: running its task again alone, in a worker of its own")
    return run_alone(app, job.setup, job.fn, *job.args)


def settled(app: App, job: Job[T]) -> Job[T]:
    """`job` with its answer ready: run alone now (`answer`) when its worker died, so that a caller about to hold
    a transaction while it takes the answer (the watch round's store) does not hold it while a worker starts."""
    future = job.future
    if future is not None and not (
        future.done() and not future.cancelled() and isinstance(future.exception(), BrokenProcessPool)
    ):
        return job
    done: Future[T] = Future()
    try:
        done.set_result(answer(app, job))
    except Exception as e:
        done.set_exception(e)
    return Job(job.fn, job.args, job.setup, done)


def run_alone(app: App, setup: Setup | None, fn: Callable[..., T], *args: Any) -> T:
    """`fn(*args)` run in the App's lone worker for the stage of `setup` (one process, set up with `setup`, kept
    while it lives), nothing else running there: WorkerDied when it kills that worker (which the next call
    replaces), or when no worker can start (it is never run in this process instead)."""
    pool = _lone_pool(app, setup)
    if pool is None:
        raise WorkerDied("no worker process could be started to read it alone")
    processes: list[Any] = []
    try:
        future = pool.submit(fn, *args)
        processes = list((getattr(pool, "_processes", None) or {}).values())
        return future.result()
    except BrokenProcessPool:
        with _lock:
            lone, stage = _lone_workers(app), setup[0] if setup is not None else None
            if stage in lone and lone[stage][1] is pool:
                del lone[stage]
        manager = getattr(pool, "_executor_manager_thread", None)  # (before `shutdown`, which forgets it)
        _retire(app, pool, cancel=True)
        raise WorkerDied(f"the worker process reading it alone died{_how(manager, processes)}") from None


def _how(manager: object, processes: list[Any]) -> str:
    """` (killed by SIGSEGV)`, ` (exit code 1)` or nothing: how the lone worker ended, when it can be told.

    Read once the pool's own thread (`manager`) has finished with the broken pool: it marks the task failed
    first, then joins the dead worker, and two threads waiting on one forkserver child race to read the status
    it sends (the loser's `exitcode` reads 255, multiprocessing's "status lost", which then also replaced the
    winner's: a worker that exited 70 was reported as "exit code 255" in 1 of 8 deaths here)."""
    if isinstance(manager, threading.Thread):
        manager.join(5)  # (done in milliseconds; past that, read anyway rather than hold the caller)
    for process in processes:
        with contextlib.suppress(Exception):
            process.join(5)
            code = process.exitcode
            if code is not None and code < 0:
                with contextlib.suppress(ValueError):
                    return f" (killed by {signal.Signals(-code).name})"
                return f" (killed by signal {-code})"
            if code:
                return f" (exit code {code})"
    return ""


def _lone_pool(app: App, setup: Setup | None) -> ProcessPoolExecutor | None:
    """The lone worker of the stage that `setup` belongs to (its function: the watch's matchers, or none for the
    ingest), started with `setup`. One per stage: in the daemon both stages meet a broken pool at once (they share
    it) and run their suspects alone from their own threads; a single lone worker, replaced whenever the other
    asked with its setup, started again at every turn and cancelled the task the other had waiting in it."""
    stage = setup[0] if setup is not None else None
    with _lock:
        lone = _lone_workers(app)
        kept = lone.get(stage)
        if kept is not None and not _broken(kept[1]) and kept[0] == setup:
            pool: ProcessPoolExecutor = kept[1]
            return pool
        if kept is not None:
            _retire(app, kept[1], cancel=True)
            del lone[stage]
        try:
            pool = ProcessPoolExecutor(
                max_workers=1,
                mp_context=start_context(),
                initializer=_start_worker,
                initargs=(setup, _limit(app), current_setup()),
            )
        except (OSError, ValueError) as e:
            log.warning("cannot start a worker process (%s)", e)
            return None
        if _LONE_CLOSER_KEY not in app.extras:
            app.extras[_LONE_CLOSER_KEY] = True
            app.on_close(lambda: _close_lone(app))
        lone[stage] = (setup, pool)
    return pool


def _lone_workers(app: App) -> dict[Callable[..., None] | None, tuple[Setup | None, ProcessPoolExecutor]]:
    """The App's lone workers, by stage (the setup's function), each with the setup it was started with."""
    lone = app.extras.get(LONE_KEY)
    if not isinstance(lone, dict):
        lone = app.extras[LONE_KEY] = {}
    return lone


def _close_lone(app: App) -> None:
    lone = app.extras.pop(LONE_KEY, None)
    for _, pool in lone.values() if isinstance(lone, dict) else ():
        _retire(app, pool, cancel=True)
