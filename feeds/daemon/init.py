"""`feeds run` as PID 1, a container's entrypoint without `--init`: there the kernel makes it the parent of every
process of the container orphaned by its own parent's death, which only it can reap. A worker process whose
forkserver died (the OOM killer ends the forkserver) is such an orphan: it stayed a zombie for as long as the
container ran, one more at every such death. And PID 1 gets no signal it has no handler for (a SIGTERM before
Python has set one up is lost).

As PID 1, `become_init` forks before anything else: the first process stays PID 1 as a minimal init (as tini
does): it forwards SIGTERM, SIGINT and SIGHUP to the daemon, reaps every process that ends, and exits with the
daemon's status; the second returns and runs the daemon. Elsewhere it does nothing.
"""

from __future__ import annotations

import contextlib
import os
import signal
import threading

FORWARDED = (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)


def become_init() -> None:
    """Fork as PID 1 (see the module docstring); return in the daemon's process. Never in a process that has
    threads already (a fork would copy their locks, held, into the child)."""
    if os.getpid() != 1 or threading.active_count() != 1 or not hasattr(os, "fork"):
        return
    mask = signal.pthread_sigmask(signal.SIG_BLOCK, FORWARDED)  # (none lost between the fork and the handlers)
    child = os.fork()
    if child == 0:
        _take_the_terminal()
        signal.pthread_sigmask(signal.SIG_SETMASK, mask)
        return
    for signum in FORWARDED:
        signal.signal(signum, lambda signum, _frame: _forward(child, signum))
    signal.pthread_sigmask(signal.SIG_SETMASK, mask)
    os._exit(reap_until(child))


def _take_the_terminal() -> None:
    """Put the daemon in a process group of its own, the terminal's foreground one when there is a terminal
    (`docker run -it`): Ctrl-C then reaches the daemon once, from the terminal, not a second time forwarded by
    the init (two at once: "a second Ctrl-C exits at once", abandoning the running job)."""
    os.setpgid(0, 0)
    with contextlib.suppress(OSError):
        if os.isatty(0):
            ttou = signal.signal(signal.SIGTTOU, signal.SIG_IGN)  # (a background group may not take it otherwise)
            try:
                os.tcsetpgrp(0, os.getpgrp())
            finally:
                signal.signal(signal.SIGTTOU, ttou)


def _forward(child: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError):  # (ended meanwhile: its status is on its way)
        os.kill(child, signum)


def reap_until(child: int) -> int:
    """Reap every child until `child` ends; its exit status (128 + the signal that killed it, as a shell says)."""
    while True:
        try:
            pid, status = os.wait()  # (a signal's handler runs, then the wait goes on: PEP 475)
        except ChildProcessError:
            return 1  # (no child left: cannot happen while `child` lives)
        if pid == child:
            code = os.waitstatus_to_exitcode(status)
            return code if code >= 0 else 128 - code
