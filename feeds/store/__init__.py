"""Persistence: `open_store(url)` returns a `Store` on SQLite (the embedded default) or PostgreSQL.

SQLite runs in WAL mode with a busy timeout, so the daemon, the CLI and the web server can share one file;
its folder is created on first use. PostgreSQL URLs (`postgresql://…`) use psycopg 3.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import sqlalchemy as sa

from feeds.errors import StoreError
from feeds.store.sql import SourceState, Store, Tx

__all__ = ["SourceState", "Store", "Tx", "open_store"]


def open_store(url: str) -> Store:
    """Open (not migrate) the database at `url`."""
    try:
        parsed = sa.engine.make_url(url)
    except sa.exc.ArgumentError as e:
        raise StoreError(f"not a database URL: {url!r}") from e
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return Store(_sqlite_engine(parsed))
    if backend in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
        try:
            engine = sa.create_engine(parsed, pool_pre_ping=True, future=True)
        except ModuleNotFoundError as e:
            raise StoreError("PostgreSQL needs psycopg: pip install 'feeds[postgres]'") from e
        return Store(engine)
    raise StoreError(f"unsupported database {backend!r} in {url!r} (use sqlite:/// or postgresql://)")


def _sqlite_engine(url: sa.URL) -> sa.Engine:
    database = url.database or ""
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = sa.create_engine(url, future=True, connect_args={"timeout": 30})

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy issue BEGIN itself (pysqlite's own transaction handling is off) so that
        # `engine.begin()` really is one transaction, then pick durable-but-fast settings.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        # A write transaction (Store.transaction) takes the write lock up front with IMMEDIATE, so two writers
        # queue on busy_timeout instead of one failing mid-transaction; reads stay deferred snapshots under WAL.
        immediate = conn.get_execution_options().get("immediate", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine
