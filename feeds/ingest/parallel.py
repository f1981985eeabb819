"""Files to units, batch by batch: in this process, or in worker processes when there are many files.

    batches of paths | (workers, a few batches ahead) read + parse + normalise each file | units, in order

Reading and normalising a release is pure, CPU-bound work (Markdown, sanitising, hashing) that holds the GIL;
storing is one writer. With many files on several CPUs, workers read and normalise the next batches while this
process stores the current one. Until a worker has started, this process reads the batches itself, in order; later
it reads one itself only while the oldest batch waits for a worker (all busy with other work, a daemon's polls):
while a worker is reading it, the CPUs are in use, and reading here as well would only take one from the workers
(measured: a fifth slower on 2 CPUs).
Nothing else changes: batches are the same, each is read with its own `now` (taken from the App's clock when it
is handed out), units come back in order (so outcomes, slug suffixes and the ledger are what they would be in
process), a unit's error still names its file, and storing and moving stay here, batch after batch, so crash
safety is unchanged.

What this module must not do: store or move anything, or let a broken worker lose a batch (it is read here
instead).
"""

from __future__ import annotations

import logging
import os
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from feeds.config import Settings
from feeds.ingest.units import Unit, unit_from_file
from feeds.workers import worker_pool

if TYPE_CHECKING:
    from feeds.app import App

log = logging.getLogger("feeds.ingest")

PARALLEL_MIN = 1000
"""Fewer files than this are read in this process: starting workers (in a daemon, importing the package in
each) and sending units back costs more than they would save. A daemon keeps its workers, so only its first
large batch pays the start."""


@dataclass(frozen=True, slots=True)
class Batch:
    """Files read together with one `now`, and what reading them needs: what a worker is sent."""

    files: tuple[tuple[Path, str | None], ...]
    """Each file, with its name within the source when its base name is not enough (`RawRelease.file_key`)."""
    source: str
    settings: Settings
    named: bool = False
    """The files were named one by one by the person running the command (see `unit_from_file`)."""


def units_in_batches(
    app: App,
    files: Sequence[Path],
    batch_size: int,
    *,
    source: str,
    named: bool = False,
    keys: Mapping[Path, str] | None = None,
) -> Iterator[tuple[datetime, list[Unit]]]:
    """(`now`, units) for each batch of `batch_size` files, in order; one unit per file, in the files' order.
    `named`: the files were named one by one by the person running the command (see `unit_from_file`). `keys`:
    the names within the source of the files not known by their base name (`RawRelease.file_key`)."""
    keys = keys or {}
    batches = [
        Batch(tuple((f, keys.get(f)) for f in files[start : start + batch_size]), source, app.settings, named)
        for start in range(0, len(files), batch_size)
    ]
    pool = worker_pool(app) if len(files) >= PARALLEL_MIN else None
    if pool is None:
        for batch in batches:
            now = app.clock()
            yield now, read_batch(batch, now)
        return
    todo = deque(batches)
    # Until a worker answers (a forked one at once; one from a forkserver, in a threaded daemon, after ~0.5 s: a
    # new interpreter, imports), batches are read here, in order, so storing starts at once; then the workers
    # take over.
    started = _submit_ready(pool)
    while todo and started is not None and not started.done():
        batch, now = todo.popleft(), app.clock()
        yield now, read_batch(batch, now)
    ahead = (os.cpu_count() or 1) + 1  # enough to keep every worker busy while this process stores
    # (batch, now, the worker's future or None when the batch was read here, units already read here)
    pending: deque[tuple[Batch, datetime, Future[list[Unit]] | None, list[Unit] | None]] = deque()
    try:
        while todo or pending:
            while todo and sum(units is None for *_, units in pending) < ahead:  # batches read here do not count
                batch, now = todo.popleft(), app.clock()
                pending.append((batch, now, _submit(pool, batch, now), None))
            # The oldest batch waits for a worker (all busy with other work): read the next one here instead of
            # waiting for them; it is yielded in its turn, so the order is unchanged.
            while todo and _queued(pending[0][2]):
                batch, now = todo.popleft(), app.clock()
                pending.append((batch, now, None, read_batch(batch, now)))
            batch, now, future, units = pending.popleft()
            yield now, units if units is not None else _result(future, batch, now)
    finally:
        for _, _, future, _ in pending:  # the caller stopped early (an error while storing): drop what is left
            if future is not None:
                future.cancel()


def _queued(future: Future[list[Unit]] | None) -> bool:
    """Whether a worker's batch has not been taken up yet (neither running nor done)."""
    return future is not None and not future.running() and not future.done()


def read_batch(batch: Batch, now: datetime) -> list[Unit]:
    """The units of `batch`, read with one `now` (what a worker runs; also the in-process path)."""
    return [
        unit_from_file(path, source=batch.source, settings=batch.settings, now=now, named=batch.named, key=key)
        for path, key in batch.files
    ]


def _ready() -> bool:
    """What a worker runs to say it has started."""
    return True


def _submit_ready(pool: ProcessPoolExecutor) -> Future[bool] | None:
    try:
        return pool.submit(_ready)
    except (BrokenProcessPool, RuntimeError, OSError):
        return None


def _submit(pool: ProcessPoolExecutor, batch: Batch, now: datetime) -> Future[list[Unit]] | None:
    try:
        return pool.submit(read_batch, batch, now)
    except (BrokenProcessPool, RuntimeError, OSError):  # broken, shut down by a closing App, cannot start
        return None


def _result(future: Future[list[Unit]] | None, batch: Batch, now: datetime) -> list[Unit]:
    if future is not None:
        try:
            return future.result()
        except BrokenProcessPool:  # a worker died (out of memory?): this batch is read here instead
            log.warning("an ingest worker process died; reading %d file(s) in this process", len(batch.files))
    return read_batch(batch, now)
