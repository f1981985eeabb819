"""How the daemon is told to stop or reload (signals), and how a stop waits for the jobs still running: the grace
period, then one bounded wait for the database before the process exits anyway.

It keeps count and waits; it must not close the scheduler, the server or the store itself (the `Daemon` does,
in its `stop`), nor decide anything about a job's work.
"""

from __future__ import annotations

import contextlib
import logging
import os
import signal
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from feeds.logs import one_line
from feeds.store import error_text

log = logging.getLogger("feeds.daemon")


GIVE_BACK_WAIT = 5.0
"""Seconds a stop past its grace period waits in all for the database: to take back the feeds being polled, then
to record the daemon as stopped."""


WORKERS_WAIT = 5.0
"""Seconds a stop waits for the worker processes to exit once told to (milliseconds, as a rule) before it kills
those still running (`workers.end_stragglers`)."""


class RunningJobs:
    """The jobs running now, by name (a job may run twice at once: see `Daemon._soon`), for a stop to wait on."""

    def __init__(self) -> None:
        self._busy = threading.Condition()
        self._running: list[str] = []

    def started(self, name: str) -> None:
        with self._busy:
            self._running.append(name)

    def start_unless(self, stop: threading.Event, name: str) -> bool:
        """Count `name` as running unless `stop` is set (then False: the job must not run), in one step. Looked at
        first and counted after, a job whose thread was held between the two (a busy machine) was not waited for:
        the stop found nothing running, closed the store and the worker processes, and the job then ran on them
        and failed ("ingest failed: …" in the log of a clean `docker stop`)."""
        with self._busy:
            if stop.is_set():
                return False
            self._running.append(name)
            return True

    def finished(self, name: str) -> None:
        with self._busy:
            self._running.remove(name)
            self._busy.notify_all()

    def names(self) -> list[str]:
        """The jobs running now, each named once, sorted."""
        with self._busy:
            return sorted(set(self._running))

    def wait(self, deadline: float) -> list[str]:
        """Wait until no job runs or `deadline` (`time.monotonic`) has passed: the jobs still running, sorted."""
        with self._busy:
            while self._running and time.monotonic() < deadline:
                self._busy.wait(timeout=max(0.0, deadline - time.monotonic()))
            return sorted(self._running)


def exit_at_once(status: int) -> None:
    """End the process now with `status`, the log written out first (the scheduler's and the jobs' threads are not
    waited for)."""
    logging.shutdown()
    os._exit(status)


def on_signals(
    stop: threading.Event,
    reload_requested: threading.Event,
    running: RunningJobs,
    *,
    received: list[int] | None = None,
    exit_now: Callable[[int], object] | None = None,
) -> dict[int, Any]:
    """SIGTERM and SIGINT set `stop` (take no new work, let the running job finish, which the log names); SIGHUP
    sets `reload_requested`, for `Daemon.run_forever`'s loop to reload. A second SIGINT (Ctrl-C again while the
    stop waits for a job, up to `daemon.grace`) exits at once with 130 through `exit_now`, as most daemons do.
    With `received` (`run --once`, a command that someone or `timeout` may be impatient with), each stop signal is
    noted there and a second one kills at once. Returns the handlers replaced, to put back."""
    interrupted: list[bool] = []

    def on_term(signum: int, _frame: object) -> None:
        if received is not None:
            received.append(signum)
            signal.signal(signum, signal.SIG_DFL)  # a second one kills
        elif signum == signal.SIGINT and interrupted:
            jobs = running.names()
            log.warning(
                "received a second SIGINT: exiting at once (exit 130)%s",
                f", abandoning the running job ({', '.join(jobs)}); nothing is half-written: every job commits "
                "atomically"
                if jobs
                else "",
            )
            (exit_now or exit_at_once)(128 + signal.SIGINT)
            return
        if signum == signal.SIGINT:
            interrupted.append(True)
        jobs = running.names()
        after = f"after the running job ({', '.join(jobs)})" if jobs else "(no job is running)"
        log.info("received %s: stopping %s", signal.Signals(signum).name, after)
        stop.set()

    def on_hup(_signum: int, _frame: object) -> None:
        reload_requested.set()

    return {
        signal.SIGTERM: signal.signal(signal.SIGTERM, on_term),
        signal.SIGINT: signal.signal(signal.SIGINT, on_term),
        signal.SIGHUP: signal.signal(signal.SIGHUP, on_hup),
    }


@contextlib.contextmanager
def stopped_by_signals(stop: threading.Event, running: RunningJobs) -> Iterator[list[int]]:
    """While inside (`run --once`): SIGTERM (cron's `timeout`) or Ctrl-C sets `stop` as in a daemon, the running job
    finishing and no other starting, and is noted in the list yielded (a second one kills); SIGHUP is ignored. Only
    in the main thread (where Python delivers signals); the previous handlers are put back on the way out."""
    received: list[int] = []
    main = threading.current_thread() is threading.main_thread()
    replaced = on_signals(stop, threading.Event(), running, received=received) if main else {}
    try:
        yield received
    finally:
        for signum, handler in replaced.items():
            signal.signal(signum, handler)


def wait_out_grace(
    running: RunningJobs, *, grace: float, lease: float, give_back: Callable[[], object]
) -> tuple[list[str], float]:
    """Wait up to `grace` seconds for the running jobs. Jobs still running then are abandoned: the feeds being
    polled are given back (`give_back`) and the log says what was left and what becomes of those feeds. Returns
    (the jobs still running, the `time.monotonic` deadline by which anything more written to the database must
    be done: the database may be what a job is stuck on, so all of it gets one bounded wait, `GIVE_BACK_WAIT`)."""
    unfinished = running.wait(time.monotonic() + grace)
    deadline = time.monotonic() + GIVE_BACK_WAIT
    if not unfinished:
        return unfinished, deadline
    given_back = within(deadline, give_back, "give back the feeds being polled")
    feeds = (
        ""
        if "watch" not in unfinished
        else "; the feeds being polled are given back, due again for any daemon"
        if given_back
        else f"; feeds being polled are polled again, by any daemon, when their lease of {lease:.0f} s runs out"
    )
    log.warning(
        "%s still running after the %.0f s grace period; exiting anyway (nothing is half-written: every job commits "
        "atomically%s)",
        ", ".join(dict.fromkeys(unfinished)),  # (a job running twice, a tick and a retry, is named once)
        grace,
        feeds,
    )
    return unfinished, deadline


def within(deadline: float, work: Callable[[], object], what: str) -> bool:
    """Run `work` in a thread of its own and wait for it until `deadline` (`time.monotonic`): whether it was done.
    For a stop past its grace period, when the database may hang (its connections have a connect timeout, their
    queries none): the process exits at once afterwards, and the thread with it."""
    done = threading.Event()

    def run() -> None:
        try:
            work()
            done.set()
        except Exception as e:  # (what it would have written is lost or written later, as when killed)
            log.warning("could not %s: %s", what, one_line(error_text(e)))

    thread = threading.Thread(target=run, name=what, daemon=True)
    thread.start()
    thread.join(timeout=max(0.0, deadline - time.monotonic()))
    return done.is_set()
