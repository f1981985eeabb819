"""Moving a drop folder's committed files out of it while the next batch is stored: one batch behind, in a thread.

    store batch 1 | store batch 2        | store batch 3        | …
                  | move batch 1's files | move batch 2's files | …

Moving a file is a few system calls (`folder.settle`: a name check, the rename, the identity check), during which
the interpreter lock is free, and storing spends much of its time in SQLite and in waiting for the disk, where
the lock is free too: the two overlap. A batch's files are moved only after its transaction committed, as before;
what changes is only that the next batch's store does not wait for them. Outcomes come back in the batches'
order, each batch's once its files have moved (an outcome names where its file went).

What this module must not do: move a file before the batch holding it committed, leave a batch's moves unfinished
when the caller stops (an error storing a later batch, the end of the run: `close` waits for them), or decide
where a file goes (that is `folder.settle`).
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from datetime import datetime
from pathlib import Path
from typing import Generic, TypeVar

from feeds.ingest import folder
from feeds.ingest.units import Unit

T = TypeVar("T")


class BatchMover(Generic[T]):
    """Settles committed batches of a drop folder's units, one batch behind the caller, in a thread of its own.

    `add(units, now, carried)` hands over a committed batch; it yields (carried, `folder.Settled`) for the batches
    whose files have moved, oldest first, keeping at most one batch in flight. `close()` waits for the rest and
    yields them. Without a drop folder (`folder_path` None) nothing moves, and each batch comes back at once with
    an empty `Settled`. With `threaded=False` (a single batch: nothing to overlap) each batch is settled at once in
    the caller's thread."""

    def __init__(self, folder_path: Path | None, *, threaded: bool) -> None:
        self._folder = folder_path
        self._pool = ThreadPoolExecutor(1, thread_name_prefix="feeds-move") if threaded and folder_path else None
        self._pending: deque[tuple[T, Future[folder.Settled]]] = deque()

    def add(self, units: Sequence[Unit], now: datetime, carried: T) -> Iterator[tuple[T, folder.Settled]]:
        if self._folder is None:
            yield carried, folder.Settled()
            return
        if self._pool is None:
            yield carried, folder.settle(units, self._folder, now)
            return
        # (`folder.settle` is looked up now, not imported: tests replace it to stop a run between commit and moves)
        self._pending.append((carried, self._pool.submit(folder.settle, units, self._folder, now)))
        while len(self._pending) > 1 or (self._pending and self._pending[0][1].done()):
            first, future = self._pending.popleft()
            yield first, future.result()

    def close(self) -> Iterator[tuple[T, folder.Settled]]:
        """The batches still moving, once moved; then the thread ends. Called on every way out, errors included."""
        try:
            while self._pending:
                first, future = self._pending.popleft()
                yield first, future.result()
        finally:
            if self._pool is not None:
                self._pool.shutdown(wait=True)
