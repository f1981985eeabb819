"""Persistence: `open_store(url)` returns a `Store` on SQLite (the embedded default) or PostgreSQL.

The URL is checked here (`check_database_url`); each dialect's engine is made by `feeds.store.engines` (SQLite in
WAL mode with a busy timeout, so the daemon, the CLI and the web server can share one file; PostgreSQL through
psycopg 3), and `feeds.store.sql.Store` holds it.

What this module must not do: set an engine up (`engines.py`) or speak SQL (`sql.py` and its mixins).
"""

from __future__ import annotations

import sqlalchemy as sa

from feeds.errors import StoreError
from feeds.store.engines import NoDatabaseError, postgresql_engine, sqlite_engine
from feeds.store.releasetx import Tx
from feeds.store.sourcestate import SourceState
from feeds.store.sql import Store
from feeds.store.tx import database_failing, session_lost
from feeds.urls import without_secrets as shown_database_url  # (a database URL as messages show it)

__all__ = [
    "NoDatabaseError",
    "SourceState",
    "Store",
    "Tx",
    "check_database_url",
    "database_failing",
    "error_text",
    "open_store",
    "session_lost",
    "shown_database_url",
]


def error_text(error: BaseException, *, notes: bool = True) -> str:
    """What went wrong, on one line: for a database error, the database's own first line (`InsufficientPrivilege:
    permission denied for table items`), without the SQL statement SQLAlchemy adds to its messages. `notes=False`:
    without the notes added to it (who held a lock, and since when), to tell whether two errors are the same."""
    said = "".join(f" ({note})" for note in getattr(error, "__notes__", ())) if notes else ""  # where, if said
    if isinstance(error, sa.exc.StatementError) and error.orig is not None:
        error = error.orig
    first = (str(error).strip().splitlines() or [""])[0]
    return (f"{type(error).__name__}: {first}" if first else type(error).__name__) + said


def check_database_url(url: str) -> sa.URL:
    """The parsed URL of a database we can keep data in, or StoreError saying what is wrong (password hidden)."""
    shown = shown_database_url(url)
    try:
        parsed = sa.engine.make_url(url)
    except (sa.exc.ArgumentError, ValueError) as e:
        raise StoreError(f"not a database URL: {shown!r}") from e
    try:
        parsed.port  # noqa: B018  (a port that is not a number raises only when read)
    except ValueError as e:
        raise StoreError(f"not a database URL: {shown!r} (its port is not a number)") from e
    if "@" in (parsed.host or ""):  # (one @ too many: the last one ends the user part, as libpq reads it)
        raise StoreError(
            f"not a database URL: {shown!r} (an @ in its user name or password must be written %40, as any "
            "character of them that is not a letter, a digit or -._~ must be percent-encoded)"
        )
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        database = parsed.database or ""
        if parsed.host or parsed.port or parsed.username:  # sqlite://var/feeds.db: "var" read as a server
            raise StoreError(
                f"{shown!r} is not an SQLite file: a file is named after three slashes, e.g. "
                f"sqlite:///state/feeds.db (relative) or sqlite:////srv/feeds/feeds.db (absolute)"
            )
        if database in ("", ":memory:") or ":memory:" in database or parsed.query.get("mode") == "memory":
            raise StoreError(
                f"{shown!r} is an in-memory database, which loses everything when the command ends: "
                "give a file, e.g. sqlite:///state/feeds.db"
            )
    elif backend not in ("postgresql", "postgres"):
        raise StoreError(f"unsupported database {backend!r} in {shown!r} (use sqlite:/// or postgresql://)")
    elif "search_path" in parsed.query:  # (libpq has no such parameter: "invalid connection option")
        schema = parsed.query["search_path"]
        schema = schema[0] if isinstance(schema, tuple) else schema
        raise StoreError(
            f"not a database URL: {shown!r} (a schema is chosen with options=-csearch_path%3D{schema}, "
            "not search_path=)"
        )
    return parsed


def open_store(url: str, *, create: bool = True) -> Store:
    """Open (not migrate) the database at `url`; with `create=False`, an SQLite file that is not there is
    `NoDatabaseError` (a PostgreSQL database is never created by us)."""
    parsed = check_database_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return Store(sqlite_engine(parsed, create=create))
    if backend in ("postgresql", "postgres"):
        return Store(postgresql_engine(parsed))
    raise AssertionError(backend)  # (check_database_url knows no other)
