"""Single-runner sections shared by every daemon on the same database: ingest of a shared folder, publishing.

On PostgreSQL a session-level advisory lock (`pg_try_advisory_lock`) is held on a dedicated connection for
the duration of the section; it is released when the section ends or when the connection dies (a crashed
daemon never leaves it stuck; one whose host vanished, within about a minute, by the server's keepalives that
`feeds.store` asks for). Advisory locks belong to the whole database, so the key names the schema too: two
deployments in two schemas of one database (staging beside production) never wait for each other.

On SQLite, where every daemon is on one machine, an exclusive `flock` on a
file next to the database does the same job. Either way the call does not wait: if another daemon holds the
lock, `exclusive` yields False and the caller skips this round (the other daemon is doing the work, and
because publishing is deterministic either daemon's output is the same).

A PostgreSQL restart (or a failover) ends the session holding the lock, and the lock with it: another daemon may
take it while the section still runs. The section's writes go through other connections, so its work stands;
unlocking on the dead session is then skipped with a warning rather than failing a run that did its work.
"""

from __future__ import annotations

import fcntl
import hashlib
import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import sqlalchemy as sa

log = logging.getLogger("feeds.store")


def lock_key(name: str, schema: str = "") -> int:
    """A stable signed 64-bit key for pg_advisory_lock from a lock's name and the schema it guards."""
    scope = f"feeds:{schema}:{name}" if schema else f"feeds:{name}"
    return int.from_bytes(hashlib.sha256(scope.encode()).digest()[:8], "big", signed=True)


@contextmanager
def exclusive(engine: sa.Engine, name: str) -> Iterator[bool]:
    """Try to take the named lock without waiting; yield whether we hold it."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            schema = conn.execute(sa.text("SELECT current_database() || '.' || current_schema()")).scalar()
            key = lock_key(name, str(schema))
            got = bool(conn.execute(sa.text("SELECT pg_try_advisory_lock(:k)"), {"k": key}).scalar())
            conn.commit()
            try:
                yield got
            finally:
                if got:
                    _unlock(conn, key, name)
        return
    database = engine.url.database or ""
    if not database or database == ":memory:":
        yield True
        return
    path = Path(database).with_name(f".{Path(database).name}.{name}.lock")
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _unlock(conn: sa.Connection, key: int, name: str) -> None:
    """Release the advisory lock on its session; one whose session has died released it then, and says so."""
    try:
        conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": key})
        conn.commit()
    except sa.exc.DBAPIError as e:
        if not e.connection_invalidated:
            raise
        why = " ".join(str(e.orig).split()) if e.orig is not None else type(e).__name__
        log.warning(
            "the %s lock was lost with its database connection during the run (%s): another process may have "
            "run %s meanwhile",
            name,
            why,
            name,
        )
