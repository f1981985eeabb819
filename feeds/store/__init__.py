"""Persistence: `open_store(url)` returns a `Store` on SQLite (the embedded default) or PostgreSQL.

SQLite runs in WAL mode with a busy timeout, so the daemon, the CLI and the web server can share one file;
its folder is created on first use. PostgreSQL URLs (`postgresql://…`) use psycopg 3.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from feeds.errors import StoreError
from feeds.store.releasetx import Tx
from feeds.store.sourcestate import SourceState
from feeds.store.sql import Store, shown_database_url

SQLITE_PAGE_SIZE = 16384
"""Bytes per page of a SQLite database created by `open_store` (see `_on_connect`)."""

__all__ = [
    "SQLITE_PAGE_SIZE",
    "SourceState",
    "Store",
    "Tx",
    "check_database_url",
    "error_text",
    "open_store",
    "shown_database_url",
]

# Engines are made with `hide_parameters=True`: SQLAlchemy would otherwise write every bound value (titles,
# bodies, whole items) into the text of a database error, and so into logs, `feeds status` and /healthz.


def error_text(error: BaseException) -> str:
    """What went wrong, on one line: for a database error, the database's own first line (`InsufficientPrivilege:
    permission denied for table items`), without the SQL statement SQLAlchemy adds to its messages."""
    notes = "".join(f" ({note})" for note in getattr(error, "__notes__", ()))  # where it happened, if said
    if isinstance(error, sa.exc.StatementError) and error.orig is not None:
        error = error.orig
    first = (str(error).strip().splitlines() or [""])[0]
    return (f"{type(error).__name__}: {first}" if first else type(error).__name__) + notes


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
    return parsed


PG_KEEPALIVE = {"keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10, "keepalives_count": 3}
"""TCP keepalives on every connection to PostgreSQL (libpq's names), both ways: without them a connection across a
network partition, or to a host that lost power, hangs until the kernel gives up (about 15 minutes here, two hours
on the server's side), holding a daemon's job, or a lock another daemon waits for, all that time."""


def _pg_connect_args(url: sa.URL) -> dict[str, Any]:
    """libpq settings for a dependable connection, each unless the URL sets it: a 10 s connect timeout, TCP
    keepalives from our side, and the server's keepalives on our sessions (`options`, added to any the URL gives,
    so a `-c search_path=…` stays), so that a session whose daemon vanished ends within about a minute and
    releases its advisory locks (`feeds.store.locks`); and `application_name` naming this process (`feeds
    host:pid`), by which a process waiting for one of those locks names its holder."""
    given = set(url.query)
    args: dict[str, Any] = {k: v for k, v in {"connect_timeout": 10, **PG_KEEPALIVE}.items() if k not in given}
    if "application_name" not in given:  # (who holds a lock, in `pg_stat_activity`: `feeds.store.locks`)
        args["application_name"] = f"feeds {socket.gethostname()}:{os.getpid()}"[:63]
    server = "-c tcp_keepalives_idle=30 -c tcp_keepalives_interval=10 -c tcp_keepalives_count=3"
    options = url.query.get("options")
    args["options"] = f"{' '.join(options) if isinstance(options, tuple) else options or ''} {server}".strip()
    return args


def open_store(url: str) -> Store:
    """Open (not migrate) the database at `url`."""
    parsed = check_database_url(url)
    backend = parsed.get_backend_name()
    if backend == "sqlite":
        return Store(_sqlite_engine(parsed))
    if backend in ("postgresql", "postgres"):
        parsed = parsed.set(drivername="postgresql+psycopg")
        try:
            engine = sa.create_engine(
                parsed, pool_pre_ping=True, future=True, hide_parameters=True, connect_args=_pg_connect_args(parsed)
            )
        except ModuleNotFoundError as e:
            raise StoreError("PostgreSQL needs psycopg: pip install 'feeds[postgres]'") from e
        return Store(engine)
    raise AssertionError(backend)  # (check_database_url knows no other)


def _sqlite_engine(url: sa.URL) -> sa.Engine:
    path = url.database or ""
    folder = Path(path).parent
    try:
        folder.mkdir(exist_ok=True)  # the state folder on first use; not a whole missing path (a typo, most often)
    except FileNotFoundError as e:
        raise StoreError(f"cannot create the database {url.database}: the folder {folder.parent} does not exist") from e
    except OSError as e:
        raise StoreError(f"cannot create the database folder {folder}: {e.strerror or e}") from e
    engine = sa.create_engine(url, future=True, connect_args={"timeout": 30}, hide_parameters=True)

    @sa.event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, record: Any) -> None:
        # Let SQLAlchemy issue BEGIN itself (pysqlite's own transaction handling is off) so that
        # `engine.begin()` really is one transaction, then pick the settings: durable commits, fast reads.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        # A new database gets 16 KiB pages (an existing one keeps its own: the setting is then ignored). A
        # release or watched item is several KiB of HTML and text: in 4 KiB pages most rows spill into overflow
        # pages, which made storing 10,000 releases ~8% slower end to end (bench/bench_ingest.py).
        cur.execute(f"PRAGMA page_size={SQLITE_PAGE_SIZE}")
        cur.execute("PRAGMA journal_mode=WAL")
        # FULL: every commit reaches the disk before it returns. What follows a commit cannot be taken back: a
        # dropped file moves to processed/, a push is answered 201. With NORMAL, a power cut or a kernel crash may
        # roll back the last commits while those renames and answers stand, and the release would be lost. (One
        # fsync of the WAL per transaction: no difference beyond noise in bench_ingest or bench_poll here;
        # PostgreSQL commits so by default.)
        cur.execute("PRAGMA synchronous=FULL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()
        record.info["file"] = _file_identity(path)  # (what `_on_begin` checks a write against)

    @sa.event.listens_for(engine, "handle_error")
    def _on_error(context: Any) -> None:
        # (SQLite cannot create the `-shm` file WAL needs in a read-only folder: "unable to open database file")
        if any(w in str(context.original_exception) for w in ("readonly database", "unable to open database file")):
            _refuse_read_only(path, context.original_exception)

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        # A write transaction (Store.transaction) takes the write lock up front with IMMEDIATE, so two writers
        # queue on busy_timeout instead of one failing mid-transaction; reads stay deferred snapshots under WAL.
        immediate = conn.get_execution_options().get("immediate", False)
        if immediate:
            _check_same_file(path, conn.connection.info.get("file"))
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def _refuse_read_only(path: str, error: BaseException) -> None:
    """SQLite's "attempt to write a readonly database" names no file. Name the ones this process may not write: the
    database, its folder, and its `-wal` and `-shm` files, which SQLite creates with the database's permissions (so
    a `-shm` made while the database was read-only stays read-only after the database is fixed, and every start
    fails again with the same words)."""
    if not path or path == ":memory:" or path.startswith("file:"):
        return
    names = [path, path + "-wal", path + "-shm"]
    folder = os.path.dirname(path) or "."
    try:
        read_only_mount = bool(os.statvfs(folder).f_flag & os.ST_RDONLY)
    except OSError:  # (no such folder: SQLite's own words say it)
        return
    if read_only_mount:  # chmod cannot help there
        raise StoreError(
            f"the database {path} cannot be written: {folder}/ is on a read-only file system; "
            "mount it read-write, or point paths.state and database.url elsewhere"
        ) from error
    refused = [p for p in names if os.path.exists(p) and not os.access(p, os.W_OK)]
    if not os.access(folder, os.W_OK):
        refused.append(folder + "/")
    if refused:
        raise StoreError(
            f"the database {path} cannot be written: {', '.join(refused)} not writable by this user; "
            "make them writable (chmod u+w, or chown them to the user running feeds)"
        ) from error


def _file_identity(path: str) -> tuple[int, int] | None:
    """(device, inode) of the database file, None for an in-memory database or a file not there."""
    if not path or path == ":memory:" or path.startswith("file:"):
        return None
    try:
        st = os.stat(path)
    except OSError:
        return None
    return (st.st_dev, st.st_ino)


def _check_same_file(path: str, opened: tuple[int, int] | None) -> None:
    """Refuse a write into a database file deleted or replaced since the connection opened it: SQLite would go on
    writing into the open, unlinked file, whose data vanishes when the process ends, while the drop folder's
    files moved to processed/ as though stored (lost on restart, never read again)."""
    if opened is None or _file_identity(path) == opened:
        return
    raise StoreError(
        f"the database file {path} was deleted or replaced while feeds had it open: nothing is written into the old "
        "one (its data would be lost); restore the file and restart feeds"
    )
