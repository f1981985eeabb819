"""Inputs that kill the worker process reading them, for tests: stand-ins for a feed or a file that crashes
libxml2 (a segfault), or that the kernel's OOM killer ends. A feed URL or a file name containing `KILLER` ends
the worker at once (`os._exit`, as abrupt as a crash: no exception, no answer); one containing `HOG` raises
MemoryError (what a worker meets at its memory limit). Module-level functions, so that a worker started from a
forkserver imports them by name, as it does the real ones; read in the test's own process, a killer raises
AssertionError instead (it must never be read there).

`feeds_main` is the `feeds` command with these readers in place of the real ones, for a real daemon process
(`python -c "from tests import killers; killers.feeds_main()" --config … run`): there a killer ends whichever
process reads it, the daemon's own included, as a real crash would."""

from __future__ import annotations

import multiprocessing
import os
import signal
from datetime import datetime
from typing import Any

from feeds.fetch import Fetched
from feeds.ingest.parallel import Batch
from feeds.ingest.parallel import read_batch as real_read_batch
from feeds.ingest.units import Unit
from feeds.watch import parsejobs
from feeds.watch.parsejobs import Parsed
from feeds.watch.parsejobs import parse_job as real_parse_job

real_parse_here = parsejobs._parse_here

KILLER = "killer"
HOG = "hog"
_ANYWHERE = False
"""Set by `feeds_main`: a killer ends the process reading it even when that is the main one."""


def _die(what: str) -> None:
    if multiprocessing.parent_process() is None and not _ANYWHERE:
        raise AssertionError(f"{what} was read in the daemon's own process")
    os._exit(70)


def parse_job(body: bytes, url: str, *args: Any) -> Parsed | str:
    if KILLER in url:
        _die(url)
    if HOG in url:
        raise MemoryError
    return real_parse_job(body, url, *args)


def parse_here(result: Fetched) -> Parsed:
    """What a round reads in its own process, when it does (`parsejobs._parse_here`)."""
    if KILLER in result.url:
        _die(result.url)
    return real_parse_here(result)


def read_batch(batch: Batch, now: datetime) -> list[Unit]:
    for path, _ in batch.files:
        if KILLER in path.name:
            _die(str(path))
    return real_read_batch(batch, now)


def exits() -> None:
    """Ends the worker at once with exit code 70, as a crash that exits would."""
    os._exit(70)


def killed() -> None:
    """Ends the worker as the kernel's OOM killer would."""
    os.kill(os.getpid(), signal.SIGKILL)


def feeds_main() -> None:
    """The `feeds` command (arguments from `sys.argv`), a feed URL or a file name containing `killer` ending the
    process that reads it, wherever that is."""
    global _ANYWHERE
    from feeds.cli import main
    from feeds.ingest import parallel
    from feeds.watch import poll

    _ANYWHERE = True
    poll.parse_job = parse_job  # type: ignore[assignment]
    parsejobs._parse_here = parse_here
    parallel.read_batch = read_batch  # type: ignore[assignment]
    main()
