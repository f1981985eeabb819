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

A command that has no later round (`feeds publish`, `feeds ingest`, `feeds run --once`) waits instead, with
`wait_exclusive`: for a bound (`daemon.lock_wait`), after which it fails naming the holder, since a process hung
while holding the lock would otherwise hold back every cron run behind it. The holder is what the lock records:
on SQLite the lock file holds the holder's pid, host and since when (emptied when it lets go); on PostgreSQL the
session holding the advisory lock is looked up in `pg_locks`, with its `application_name` (`feeds host:pid`,
set on every connection by `feeds.store`), client address and since when it has been idle.

A PostgreSQL restart (or a failover) ends the session holding the lock, and the lock with it: another daemon may
take it while the section still runs. The section's writes go through other connections, so its work stands;
unlocking on the dead session is then skipped with a warning rather than failing a run that did its work.
"""

from __future__ import annotations

import fcntl
import hashlib
import json
import logging
import os
import socket
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path
from typing import Protocol

import sqlalchemy as sa

from feeds.clock import rfc3339, utc_now
from feeds.errors import LockTimeoutError
from feeds.logs import joined_lines

log = logging.getLogger("feeds.store")

LOOK_EVERY = 0.5
"""Seconds between two tries of a lock `wait_exclusive` waits for."""


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
    path = _lock_file(engine, name)
    if path is None:
        yield True
        return
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            _note_holder(fd)
            yield True
        finally:
            _forget_holder(fd)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def _lock_file(engine: sa.Engine, name: str) -> Path | None:
    database = engine.url.database or ""
    if not database or database == ":memory:":
        return None
    return Path(database).with_name(f".{Path(database).name}.{name}.lock")


def _note_holder(fd: int) -> None:
    """Write who holds the lock into its file (for a process that waits for it to say whom it waits for)."""
    note = {"pid": os.getpid(), "host": socket.gethostname(), "since": rfc3339(utc_now())}
    try:
        os.ftruncate(fd, 0)
        os.pwrite(fd, json.dumps(note).encode(), 0)
    except OSError as e:  # (a full disk: the lock holds all the same; a waiter is told less)
        log.debug("could not note the holder in the lock file: %s", e)


def _forget_holder(fd: int) -> None:
    try:
        os.ftruncate(fd, 0)
    except OSError as e:
        log.debug("could not empty the lock file: %s", e)


def holder(engine: sa.Engine, name: str) -> str | None:
    """Who holds the named lock, as the lock records it (`pid 4242 on host web1, since 2026-11-29T18:03:12Z`), or
    None when nobody does or it does not say."""
    if engine.dialect.name == "postgresql":
        return _pg_holder(engine, name)
    path = _lock_file(engine, name)
    try:
        note = json.loads(path.read_bytes()) if path is not None else None
    except (OSError, ValueError):  # (no such file; or read as its holder was writing it)
        return None
    if not isinstance(note, dict) or not note.get("pid"):
        return None
    return _shown(f"pid {note['pid']} on host {note.get('host', '?')}, since {note.get('since', '?')}")


def _pg_holder(engine: sa.Engine, name: str) -> str | None:
    """The session holding the advisory lock (`pg_advisory_lock(bigint)` shows its key in `pg_locks` as classid,
    the high 32 bits, and objid, the low ones, with objsubid 1)."""
    with engine.connect() as conn:
        schema = conn.execute(sa.text("SELECT current_database() || '.' || current_schema()")).scalar()
        key = lock_key(name, str(schema))
        row = conn.execute(
            sa.text(
                "SELECT l.pid, a.application_name, host(a.client_addr), a.state_change FROM pg_locks l"
                " LEFT JOIN pg_stat_activity a ON a.pid = l.pid"
                " WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1"
                " AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                " AND l.classid = CAST(:hi AS oid) AND l.objid = CAST(:lo AS oid)"
            ),
            {"hi": (key >> 32) & 0xFFFFFFFF, "lo": key & 0xFFFFFFFF},
        ).first()
        conn.rollback()
    if row is None:
        return None
    backend, application, address, since = row
    who = application if application and application.startswith("feeds ") else f"PostgreSQL session {backend}"
    if application and application.startswith("feeds ") and ":" in application:
        host, _, pid = application.removeprefix("feeds ").rpartition(":")
        who = f"pid {pid} on host {host}"
    where = f" (connected from {address})" if address else ""
    when = f", since {rfc3339(since)}" if since is not None else ""
    return _shown(f"{who}{where}{when}")


def _shown(text: str) -> str:
    """Text from a file or a session anyone may set, fit for one line of a log or a terminal."""
    return "".join(c if c.isprintable() else "?" for c in text)[:300]


class Lockable(Protocol):
    def exclusive(self, name: str) -> AbstractContextManager[bool]: ...

    def lock_holder(self, name: str) -> str | None: ...


def _sleep(seconds: float) -> bool:
    time.sleep(seconds)
    return False


@contextmanager
def wait_exclusive(
    store: Lockable,
    name: str,
    *,
    timeout: float,
    stop: threading.Event | None = None,
    on_wait: Callable[[str | None], None] | None = None,
    monotonic: Callable[[], float] | None = None,
    sleep: Callable[[float], bool] | None = None,
) -> Iterator[bool]:
    """Take the named lock, waiting up to `timeout` seconds while another process holds it.

    Yields True once held; False when `stop` is set while waiting (SIGTERM: the caller gives up the section);
    raises `LockTimeoutError` naming the holder when the bound passes. `on_wait(holder)` is called once, when the
    wait begins. `monotonic` (default `time.monotonic`) and `sleep` (which waits and returns whether to stop;
    default `stop.wait`, or `time.sleep`) are injected by tests, which move the clock on instead of sleeping."""
    clock = monotonic or time.monotonic
    wait = sleep or (stop.wait if stop is not None else _sleep)
    deadline: float | None = None
    while True:
        with store.exclusive(name) as mine:
            if mine:
                yield True
                return
        now = clock()
        if deadline is None:
            deadline = now + timeout
            if on_wait is not None:
                on_wait(store.lock_holder(name))
        elif now >= deadline:
            raise LockTimeoutError(name, store.lock_holder(name), timeout)
        if wait(min(LOOK_EVERY, deadline - now)):
            yield False
            return


def _unlock(conn: sa.Connection, key: int, name: str) -> None:
    """Release the advisory lock on its session; one whose session has died released it then, and says so."""
    try:
        conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": key})
        conn.commit()
    except sa.exc.DBAPIError as e:
        if not e.connection_invalidated:
            raise
        why = joined_lines(str(e.orig)) if e.orig is not None else type(e).__name__
        log.warning(
            "the %s lock was lost with its database connection during the run (%s): another process may have "
            "run %s meanwhile",
            name,
            why,
            name,
        )
