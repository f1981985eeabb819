"""Files to units, batch by batch: in this process, or in worker processes when there are many files (in the
daemon, `feeds.workers.isolated`, always: a file that crashes its reader must not end the daemon).

    batches of paths | (workers, a few batches ahead) read + parse + normalise each file | units, in order

Reading and normalising a release is pure, CPU-bound work (Markdown, sanitising, hashing) that holds the GIL;
storing is one writer. With many files on several CPUs, workers read and normalise the next batches while this
process stores the current one. Until a worker has started, this process reads the batches itself, in order; later
it reads one itself only while the oldest batch waits for a worker (all busy with other work, a daemon's polls):
while a worker is reading it, the CPUs are in use, and reading here as well would only take one from the workers
(measured: a fifth slower on 2 CPUs). The daemon does neither: the file it would read might be one that kills.
Nothing else changes: batches are the same (but for one whose pictures fill it, `PICTURE_BATCH_BYTES`: cut
short, in a worker or here alike, its other files read next as a batch of their own), each is read with its own
`now` (taken from the App's clock when it is handed out), units come back in order (so outcomes, slug suffixes and
the ledger are what they would be in process), a unit's error still names its file, and storing and moving stay
here, batch after batch, so crash safety is unchanged.

A worker that dies (a file that crashes a C library or blows up the memory) takes the batches in the pool with
it: each is read again alone in a worker of its own (`feeds.workers.answer`), never here, where the same file would
kill the process; a batch that kills that one too is read file by file, each alone, and the file that kills its
worker is rejected (`rejected/`, its `.error.txt` saying so) while every other is read once. Batches handed out
after the pool broke go the same way. A file whose reading raises (a RecursionError, a MemoryError) is rejected
with that reason; the batch and the run go on.

What this module must not do: store or move anything, read a batch here once a worker died, or let a broken
worker lose a batch.
"""

from __future__ import annotations

import logging
import os
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING

from feeds.config import Settings
from feeds.ingest.units import Unit, shown_path, unit_from_file
from feeds.records import pickled_by_fields
from feeds.workers import Job, WorkerDied, answer, isolated, run_alone, submit, worker_pool

if TYPE_CHECKING:
    from feeds.app import App

log = logging.getLogger("feeds.ingest")

PARALLEL_MIN = 1000
"""Fewer files than this are read in this process by a one-shot command: starting workers and sending units back
costs more than they would save. The daemon reads every file in its workers, which it keeps (only its first
ingest pays their start, about half a second), and reads none here, not even while they start or are busy."""


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Batch:
    """Files read together with one `now`, and what reading them needs: what a worker is sent."""

    files: tuple[tuple[Path, str | None], ...]
    """Each file, with its name within the source when its base name is not enough (`RawRelease.file_key`)."""
    source: str
    settings: Settings
    named: bool = False
    """The files were named one by one by the person running the command (see `unit_from_file`)."""
    picture_bytes: int = 0
    """Where the batch is cut when its pictures pass so many bytes (`PICTURE_BATCH_BYTES` when the batch was made, in
    the process that made it: a worker started from a forkserver has the module's own value, not the caller's)."""


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
        Batch(
            tuple((f, keys.get(f) if keys else None) for f in files[start : start + batch_size]),
            source,
            app.settings,
            named,
            PICTURE_BATCH_BYTES,
        )
        for start in range(0, len(files), batch_size)
    ]
    alone = isolated(app)  # (the daemon: no file is read here, however few)
    pool = worker_pool(app) if len(files) >= PARALLEL_MIN or alone else None
    if pool is None:
        for batch in batches:
            yield from _read_here(app, batch)
        return
    todo = deque(batches)
    # Until a worker answers (a forked one at once; one from a forkserver, in a threaded daemon, after ~0.5 s: a
    # new interpreter, imports), batches are read here, in order, so storing starts at once; then the workers
    # take over. Not in the daemon, whose workers read everything.
    started = _submit_ready(pool) if not alone else None
    while todo and started is not None and not started.done():
        yield from _read_here(app, todo.popleft())
    ahead = (os.cpu_count() or 1) + 1  # enough to keep every worker busy while this process stores
    # (batch, now, the worker's job or None when the batch was read here, units already read here)
    pending: deque[tuple[Batch, datetime, Job[list[Unit]] | None, list[Unit] | None]] = deque()
    try:
        while todo or pending:
            while todo and sum(units is None for *_, units in pending) < ahead:  # batches read here do not count
                batch, now = todo.popleft(), app.clock()
                pending.append((batch, now, submit(pool, None, read_batch, batch, now), None))
            # The oldest batch waits for a worker (all busy with other work): read the next one here instead of
            # waiting for them; it is yielded in its turn, so the order is unchanged.
            while todo and not alone and _queued(pending[0][2]) and not _broken(pending):
                batch, now = todo.popleft(), app.clock()
                pending.append((batch, now, None, read_batch(batch, now)))
            batch, now, future, units = pending.popleft()
            units = units if units is not None else _result(app, future, batch, now)
            yield now, units
            if (rest := rest_of(batch, units)) is not None:  # (its pictures filled it: the rest, next, by a worker)
                now = app.clock()
                pending.appendleft((rest, now, submit(pool, None, read_batch, rest, now), None))
    finally:
        for _, _, job, _ in pending:  # the caller stopped early (an error while storing): drop what is left
            if job is not None and job.future is not None:
                job.future.cancel()


def _read_here(app: App, batch: Batch) -> Iterator[tuple[datetime, list[Unit]]]:
    """(`now`, units) of `batch` read in this process: in more than one part when its pictures fill it."""
    rest: Batch | None = batch
    while rest is not None:
        now = app.clock()
        units = read_batch(rest, now)
        yield now, units
        rest = rest_of(rest, units)


def _queued(job: Job[list[Unit]] | None) -> bool:
    """Whether a worker's batch has not been taken up yet (neither running nor done)."""
    return job is not None and job.waiting()


def _broken(pending: Sequence[tuple[Batch, datetime, Job[list[Unit]] | None, list[Unit] | None]]) -> bool:
    """Whether a worker died in this run: a batch failed with the pool, or could not be handed to it. Nothing is
    read here from then on (the next file might be the one that killed it)."""
    for _, _, job, _ in pending:
        future = job.future if job is not None else None
        if job is not None and future is None:
            return True
        if (
            future is not None
            and future.done()
            and not future.cancelled()
            and isinstance(future.exception(), BrokenProcessPool)
        ):
            return True
    return False


PICTURE_BATCH_BYTES = 64 * 1024 * 1024
"""The pictures' bytes a batch holds until it is stored, at most (about: the file that passes it is kept). Past
it, the batch is cut short there, and its other files are read as a batch of their own, next: 200 releases each
with a 10 MiB photograph would otherwise hold 2 GB, in every batch read ahead. A picture several releases of the
batch show (the office's logo) is held, and counted, once."""


def read_batch(batch: Batch, now: datetime) -> list[Unit]:
    """The units of `batch`, read with one `now` (what a worker runs; also the in-process path), in the files'
    order: all of them, or the first ones when their pictures' bytes pass `PICTURE_BATCH_BYTES` (the caller reads
    the rest as a batch of its own: `rest_of`)."""
    units: list[Unit] = []
    held: dict[str, bytes] = {}  # sha256 → the bytes: one copy of a picture however many releases show it
    size = 0
    for path, key in batch.files:
        unit, size = _sharing(_read_one(batch, path, key, now), held, size)
        units.append(unit)
        if size > (batch.picture_bytes or PICTURE_BATCH_BYTES):
            break
    return units


def rest_of(batch: Batch, units: Sequence[Unit]) -> Batch | None:
    """The files of `batch` that `read_batch` left unread (its pictures filled the batch), or None."""
    return replace(batch, files=batch.files[len(units) :]) if len(units) < len(batch.files) else None


def _sharing(unit: Unit, held: dict[str, bytes], size: int) -> tuple[Unit, int]:
    """`unit` with the bytes of each picture its releases show replaced by the batch's copy of the same bytes,
    if it holds one (so a batch, and a worker's answer, carries each picture once), and the batch's pictures'
    size with its new ones."""
    if not any(r.pictures for r in unit.releases):
        return unit, size
    releases = []
    for r in unit.releases:
        pictures = []
        for p in r.pictures:
            if p.sha256 not in held:
                held[p.sha256] = p.data
                size += len(p.data)
            pictures.append(p if p.data is held[p.sha256] else replace(p, data=held[p.sha256]))
        releases.append(replace(r, pictures=tuple(pictures)))
    return replace(unit, releases=tuple(releases)), size


def _read_one(batch: Batch, path: Path, key: str | None, now: datetime) -> Unit:
    """One file's unit; an unexpected error while reading it (a RecursionError, a MemoryError, a bug met by this
    file) is that file's rejection, naming the error, not the end of the batch and of the run (which would meet
    it again at every scan)."""
    try:
        return unit_from_file(path, source=batch.source, settings=batch.settings, now=now, named=batch.named, key=key)
    except Exception as e:
        log.error("%s: unexpected error while reading it", shown_path(str(path)), exc_info=e, extra={"file": str(path)})
        first = (str(e).strip().splitlines() or [""])[0][:200]
        why = f"unexpected error while reading this file: {type(e).__name__}" + (f": {first}" if first else "")
        return Unit(origin=str(path), source=batch.source, error=f"{shown_path(str(path))}: {why}")


def _ready() -> bool:
    """What a worker runs to say it has started."""
    return True


def _submit_ready(pool: ProcessPoolExecutor) -> Future[bool] | None:
    try:
        return pool.submit(_ready)
    except (BrokenProcessPool, RuntimeError, OSError):
        return None


def _result(app: App, job: Job[list[Unit]] | None, batch: Batch, now: datetime) -> list[Unit]:
    """The batch's units from its worker; read again alone when its worker died (`feeds.workers.answer`), and
    file by file, each alone, when it kills that worker too: the file that does is rejected, saying so."""
    if job is None:
        return read_batch(batch, now)
    try:
        return answer(app, job)
    except WorkerDied:
        log.warning("a batch of %d file(s) kills the worker reading it: reading them one at a time", len(batch.files))
    units: list[Unit] = []
    for file in batch.files:
        try:
            units += run_alone(app, None, job.fn, replace(batch, files=(file,)), now)
        except WorkerDied as e:
            shown = shown_path(str(file[0]))
            log.error("%s: %s: %s", shown, KILLED, e, extra={"file": str(file[0])})
            units.append(Unit(origin=str(file[0]), source=batch.source, error=f"{shown}: {KILLED}: {e}; not read"))
    return units


KILLED = "reading this file kills the process reading it (a crash in a parsing library, or too much memory)"
