"""Inputs that kill the worker process reading them, for tests: stand-ins for a feed or a file that crashes
libxml2 (a segfault), or that the kernel's OOM killer ends. A feed URL or a file name containing `KILLER` ends
the worker at once (`os._exit`, as abrupt as a crash: no exception, no answer); one containing `HOG` raises
MemoryError (what a worker meets at its memory limit). Module-level functions, so that a worker started from a
forkserver imports them by name, as it does the real ones; read in the test's own process, a killer raises
AssertionError instead (it must never be read there)."""

from __future__ import annotations

import multiprocessing
import os
import signal
from datetime import datetime
from typing import Any

from feeds.ingest.parallel import Batch
from feeds.ingest.parallel import read_batch as real_read_batch
from feeds.ingest.units import Unit
from feeds.watch.parsejobs import Parsed
from feeds.watch.parsejobs import parse_job as real_parse_job

KILLER = "killer"
HOG = "hog"


def _die(what: str) -> None:
    if multiprocessing.parent_process() is None:
        raise AssertionError(f"{what} was read in the daemon's own process")
    os._exit(70)


def parse_job(body: bytes, url: str, *args: Any) -> Parsed | str:
    if KILLER in url:
        _die(url)
    if HOG in url:
        raise MemoryError
    return real_parse_job(body, url, *args)


def read_batch(batch: Batch, now: datetime) -> list[Unit]:
    for path, _ in batch.files:
        if KILLER in path.name:
            _die(str(path))
    return real_read_batch(batch, now)


def killed() -> None:
    """Ends the worker as the kernel's OOM killer would."""
    os.kill(os.getpid(), signal.SIGKILL)
