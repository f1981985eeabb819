"""Write transactions that take the database's write lock up front.

On SQLite a deferred transaction that reads and then writes can fail at once with "database is locked" when
another connection committed in between (its snapshot is stale; the busy timeout does not apply to that
upgrade). Every store method that writes therefore begins with `BEGIN IMMEDIATE` (see the `begin` listener in
`feeds.store`): writers queue on the busy timeout instead. On PostgreSQL the option is ignored.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any, TypeVar

import sqlalchemy as sa

from feeds.logs import joined_lines
from feeds.store.leaseclock import clock_values, lease_clock
from feeds.store.rows import chunks

log = logging.getLogger("feeds.store")
T = TypeVar("T")


@contextmanager
def writing(engine: sa.Engine) -> Iterator[sa.Connection]:
    """A write transaction; inside `batched` on this thread, a savepoint of the batch's one transaction."""
    joined = _batch_of(engine)
    if joined is not None:
        with _savepoint(joined):
            yield joined
        return
    with engine.connect() as conn:
        conn.execution_options(immediate=True)
        with conn.begin():
            yield conn


_SAVEPOINTS = itertools.count()
"""Numbers for the savepoints' names (unique in the process: a batch's savepoints never share one)."""


@contextmanager
def _savepoint(conn: sa.Connection) -> Iterator[None]:
    """A savepoint of the transaction open on `conn`: released when the block ends, rolled back to (then released)
    when it raises, as `Connection.begin_nested` does; an error rolling back is raised (the original as its
    context), and the batch's caller then stores the batch again or ends the round (`check_batch`).

    Sent as plain SQL: `begin_nested` compiled its SAVEPOINT and RELEASE afresh each time, 150-300 us a savepoint on
    SQLite against ~75 us (a watch round stores most of its feeds in batches, a savepoint each)."""
    name = f"feeds_{next(_SAVEPOINTS)}"
    conn.exec_driver_sql(f"SAVEPOINT {name}")
    try:
        yield
    except BaseException:
        # A connection lost meanwhile (invalidated: the database restarted) has no savepoint left to roll back to:
        # the error itself goes up, as `begin_nested` lets it, and the batch is stored again on a new connection.
        if not conn.invalidated:
            conn.exec_driver_sql(f"ROLLBACK TO SAVEPOINT {name}")
            conn.exec_driver_sql(f"RELEASE SAVEPOINT {name}")
        raise
    conn.exec_driver_sql(f"RELEASE SAVEPOINT {name}")


_BATCHES = threading.local()
"""Per thread: engine → the connection of the batch open on it (`batched`)."""


def _batch_of(engine: sa.Engine) -> sa.Connection | None:
    open_batches: dict[sa.Engine, sa.Connection] | None = getattr(_BATCHES, "open", None)
    return open_batches.get(engine) if open_batches else None


@contextmanager
def batched(engine: sa.Engine) -> Iterator[None]:
    """Every `writing` of this thread on `engine` inside joins ONE write transaction, committed at the end: one
    commit (one fsync of the log, on SQLite as FULL; one on PostgreSQL) for many small writes, such as a watch
    round's feeds stored one after another. Each `writing` is a savepoint: one that raises is rolled back alone,
    the others stay. An error leaving the block rolls back everything in it. A batch inside a batch joins it.

    What must not happen inside: waiting for anything else (the write lock is held for the whole batch: on
    SQLite every other writer waits for it), or writing from another thread and expecting this one to see it."""
    if _batch_of(engine) is not None:
        yield
        return
    open_batches: dict[sa.Engine, sa.Connection] = _BATCHES.__dict__.setdefault("open", {})
    with engine.connect() as conn:
        conn.execution_options(immediate=True)
        with conn.begin():
            open_batches[engine] = conn
            try:
                yield
            finally:
                del open_batches[engine]


def database_failing(error: BaseException) -> bool:
    """Whether `error` is the database failing (unreachable, its session ended by a restart, a failover or an
    administrator, a lock not granted in time, a full disk), not anything about the data being written: work it
    interrupts is to be tried again whole, never charged to the feed or file it was storing."""
    return session_lost(error) or isinstance(error, sa.exc.OperationalError)


def session_lost(error: BaseException) -> bool:
    """Whether `error` ended the database session it met (a PostgreSQL restart, a failover, `pg_terminate_backend`):
    SQLAlchemy has then dropped the connection, and a new one from the pool may well work."""
    if isinstance(error, sa.exc.PendingRollbackError):  # (a statement on the connection of a session lost before)
        return True
    return isinstance(error, sa.exc.DBAPIError) and error.connection_invalidated


def again_if_session_lost(engine: sa.Engine, what: str, write: Callable[[], T]) -> T:
    """`write()` (its own write transaction, with the same result if run twice), run once more on a new connection
    when the session was lost under it (`session_lost`): what it records was already done outside (a message sent),
    and, left unrecorded, would be done again. Inside `batched`, the batch's caller decides (nothing is retried)."""
    try:
        return write()
    except Exception as e:
        if not session_lost(e) or _batch_of(engine) is not None:
            raise
        why = joined_lines(str(e.orig)) if isinstance(e, sa.exc.DBAPIError) and e.orig is not None else str(e)
        log.warning("the database session was lost while %s (%s): trying again on a new one", what, why[:200])
        return write()


LEASE_HORIZON = timedelta(hours=6)
"""Leases run minutes (`watch.lease`, alert sends): one further ahead than this was taken by a clock since stepped
back (generous, so that daemons sharing a database with other lease settings or a clock a little apart never
take a live lease from each other)."""


def lease_free(table: sa.Table, now: datetime, lease: timedelta) -> Any:
    """Rows of `table` not leased, or leased until a time that has passed, or until further ahead than any lease
    is taken for (`LEASE_HORIZON`, or this claimer's own lease if longer): a lease taken while the clock ran ahead,
    whose holder died, would otherwise hold the row until the clock catches up with it. By the lease clock
    (`feeds.store.leaseclock`: the database's on PostgreSQL, `now` on SQLite)."""
    return _free(table.c.lease_until, lease_clock(now), lease_clock(now, max(lease, LEASE_HORIZON)))


def lease_free_bound(table: sa.Table) -> Any:
    """`lease_free`, built once: run with `lease_free_values(now, lease)` among its statement's parameters."""
    return _free(table.c.lease_until, lease_clock(name="free_now"), lease_clock(name="free_horizon"))


def _free(until: sa.Column[Any], now: lease_clock, horizon: lease_clock) -> Any:
    return sa.or_(until.is_(None), until < now, until > horizon)


def lease_free_values(now: datetime, lease: timedelta) -> dict[str, Any]:
    """The parameters of `lease_free_bound` for `lease_free(…, now, lease)`."""
    return clock_values("free_now", now) | clock_values("free_horizon", now, max(lease, LEASE_HORIZON))


def renew_leases(
    engine: sa.Engine, table: sa.Table, ids: Iterable[int], *, owner: str, now: datetime, lease: timedelta
) -> set[int]:
    """Move the leases `owner` holds on these rows of `table` on to `lease` from now (by the lease clock): the ids
    whose lease it still holds.

    Work that outlasts its lease renews it while it goes on; a row leased by someone else by now (the holder
    stalled past its lease, another took it) is left alone and left out of the answer, so the work can skip it."""
    wanted = sorted(set(ids))
    held: set[int] = set()
    with writing(engine) as conn:
        for chunk in chunks(wanted, 500):
            mine = sa.and_(table.c.id.in_(chunk), table.c.lease_owner == owner)
            conn.execute(table.update().where(mine).values(lease_until=lease_clock(now, lease)))
            held.update(row[0] for row in conn.execute(sa.select(table.c.id).where(mine)))
    return held


def release_leases(engine: sa.Engine, table: sa.Table, ids: Iterable[int] | None, *, owner: str) -> None:
    """Give back rows of `table` that `owner` claimed (a lease: `lease_owner`, `lease_until`) and did not get to,
    as they were before the claim (all it holds when `ids` is None); rows whose lease someone else holds by now
    are left alone."""
    mine = table.c.lease_owner == owner
    if ids is not None:
        wanted = list(ids)
        if not wanted:
            return
        mine = sa.and_(table.c.id.in_(wanted), mine)
    with writing(engine) as conn:
        conn.execute(table.update().where(mine).values(lease_owner=None, lease_until=None))
