"""`feeds run` started as a hardened deployment starts it, for tests: in a mount namespace of its own whose root file
system is read-only but for the state and out folders (Docker's `--read-only` with two volumes, systemd's
`ProtectSystem=strict` with `ReadWritePaths=`), under `umask 077` (systemd's `UMask=0077`), with an environment of
nothing but the config's path (no HOME, LANG, TZ or PATH: `env -i`, a scratch image), optionally as PID 1 of a PID
namespace of its own (`docker run` without `--init`: the container's entrypoint).

Needs root and util-linux's `unshare` (a namespace cannot be made otherwise); `available()` says whether they are
here, for a skip. The host's file system is never changed: the remount is private to the namespace.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import requests

from tests.conftest import SITE_CONFIG
from tests.test_daemon import STARTUP, Log, wait_for

ROOT = Path(__file__).resolve().parent.parent
UNSHARE = shutil.which("unshare")

CONFIG = (
    SITE_CONFIG.replace("{", "{{").replace("}", "}}")
    + """
[paths]
out = "{root}/out"
state = "{root}/state"

[topics]
detect = ["Iran"]

[[sources]]
type = "folder"
name = "inbox"
path = "{root}/state/inbox"
interval = "1s"

[daemon]
watch_tick = "1s"
publish_debounce = "0.2s"
grace = "20s"
"""
)

RELEASE = """---
title: Minister visits Zürich
date: 2026-11-27T10:00:00Z
---
The minister visited Zürich today to talk about Iran.
"""


def available() -> bool:
    """Whether this process may make mount and PID namespaces (root, util-linux's unshare, a kernel allowing it)."""
    if UNSHARE is None or os.geteuid() != 0:
        return False
    probe = [UNSHARE, "--mount", "--pid", "--fork", "--mount-proc", "true"]
    return subprocess.run(probe, capture_output=True, timeout=30).returncode == 0


@dataclass
class Deployment:
    """etc/feeds.toml (read-only in the namespace), state/ with its drop folder and out/ (the two writable)."""

    root: Path

    @property
    def config(self) -> Path:
        return self.root / "etc" / "feeds.toml"

    @property
    def state(self) -> Path:
        return self.root / "state"

    @property
    def out(self) -> Path:
        return self.root / "out"

    def lay_out(self) -> None:
        (self.state / "inbox").mkdir(parents=True)
        self.out.mkdir()
        self.config.parent.mkdir()
        self.config.write_text(CONFIG.format(root=self.root), encoding="utf-8")
        (self.state / "inbox" / "Communiqué Zürich.md").write_text(RELEASE, encoding="utf-8")


@dataclass
class Daemon:
    proc: subprocess.Popen[str]
    """`unshare`, which is the daemon (exec'd into it), or with `pid1` its parent (exiting with its status)."""
    log: Log
    pid: int
    """The daemon's pid as this process sees it."""
    url: str

    def descendants(self) -> set[int]:
        """The processes the daemon started (its workers, forkserver, resource tracker) and theirs."""
        found: set[int] = set()
        wanted = {self.pid}
        while wanted:
            theirs = {c for p in wanted for c in children(p)}
            wanted = theirs - found
            found |= theirs
        return found

    def get(self, path: str) -> requests.Response:
        return requests.get(self.url + path, timeout=5)


def forkserver(daemon: Daemon) -> int | None:
    """The daemon's forkserver (the process its worker processes start from), if it runs."""
    for pid in daemon.descendants():
        with contextlib.suppress(OSError):  # (ended meanwhile)
            if _is_forkserver(pid) and not _is_forkserver(_parent(pid)):  # (not one of its workers)
                return pid
    return None


def _is_forkserver(pid: int) -> bool:
    try:
        return b"multiprocessing.forkserver" in Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return False


def _parent(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


def children(pid: int) -> set[int]:
    """The children of every thread of `pid` (a child is listed under the thread that started it)."""
    found: set[int] = set()
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found.update(int(c) for c in (task / "children").read_text().split())
        except OSError:
            continue
    return found


def running(pid: int) -> bool:
    """Whether `pid` is a process still running (a zombie has exited: it waits only for its parent to reap it)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return False
    return fields[0] != "Z"


def namespaced_pid(pid: int) -> int:
    """`pid` as the innermost PID namespace it is in sees it (1 for a container's entrypoint)."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("NSpid:"):
            return int(line.split()[-1])
    raise AssertionError(f"no NSpid for {pid}")


@contextmanager
def hardened_daemon(d: Deployment, *, pid1: bool, env: dict[str, str] | None = None) -> Iterator[Daemon]:
    """`feeds run` on `d` as described in the module docstring, serving on a free port; killed at the end if the
    test did not stop it."""
    writable = " ".join(f"'{p}'" for p in (d.state, d.out))
    script = (
        f'set -e; for p in {writable}; do mount --bind "$p" "$p"; done; mount -o remount,bind,ro /; '
        f"exec '{sys.executable}' -m feeds run --port 0"
    )
    namespaces = ["--mount", "--propagation", "private"]
    if pid1:
        namespaces += ["--pid", "--fork", "--mount-proc", "--kill-child"]
    proc = subprocess.Popen(
        [str(UNSHARE), *namespaces, "/bin/sh", "-c", script],
        env={"PYTHONPATH": str(ROOT), "FEEDS_CONFIG": str(d.config), **(env or {})},
        cwd=d.config.parent,
        preexec_fn=lambda: os.umask(0o077),
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    log = Log(proc.stderr)
    try:

        def serving() -> str | None:
            if proc.poll() is not None:
                raise AssertionError(f"the daemon exited with {proc.returncode}:\n{log.dump()}")
            m = log.find(r"serving .* at (http://127\.0\.0\.1:\d+)/")
            return m.group(1) if m else None

        url = wait_for(serving, "the daemon to serve", STARTUP)
        pid = wait_for(lambda: next(iter(children(proc.pid)), None), "the daemon's process") if pid1 else proc.pid
        yield Daemon(proc, log, pid, url)
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=30)
        log.join()
        for stream in (proc.stdout, proc.stderr):
            if stream:
                stream.close()


def stop(daemon: Daemon, signum: signal.Signals, within: float) -> tuple[int, float]:
    """Send `signum` to the daemon as `docker stop` or `systemctl stop` does; (its exit status, seconds taken)."""
    sent = time.monotonic()
    os.kill(daemon.pid, signum)
    rc = daemon.proc.wait(timeout=within)
    return rc, time.monotonic() - sent
