"""Each dialect's engine, as `open_store` makes it: SQLite's pragmas and checks, PostgreSQL's connection settings.

SQLite runs in WAL mode with a busy timeout and durable commits, so the daemon, the CLI and the web server can
share one file; its folder is created on first use (by a command that writes: one that only reads is refused a
file that is not there, `NoDatabaseError`, rather than creating an empty one), and a write into a file deleted or
replaced meanwhile, or one this user may not write, is refused with the names of what to fix. PostgreSQL URLs
(`postgresql://…`) use psycopg 3, with a connect timeout and TCP keepalives both ways.

What this module must not do: check a URL (`feeds.store.check_database_url`), migrate, or hold any query: it makes
engines, which `Store` uses.
"""

from __future__ import annotations

import os
import socket
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from feeds.errors import StoreError

SQLITE_PAGE_SIZE = 16384
"""Bytes per page of a SQLite database created by `open_store` (see `_on_connect`)."""

SQLITE_BUSY_TIMEOUT = 30.0
"""Seconds a statement waits for another process's lock on the SQLite file (a `feeds` command, a backup, an
`sqlite3` shell holding a transaction) before it fails with "database is locked"; the job then fails and is
tried again at its next run, its files left where they were."""

# Engines are made with `hide_parameters=True`: SQLAlchemy would otherwise write every bound value (titles,
# bodies, whole items) into the text of a database error, and so into logs, `feeds status` and /healthz.


PG_LOCK_TIMEOUT = 30.0
"""Seconds a PostgreSQL statement waits for a lock another session holds (a `psql` session left in a transaction,
an `ALTER TABLE`, a `VACUUM FULL`, a daemon hung mid-transaction) before it fails with "canceling statement due to
lock timeout" (`lock_timeout`, set on every session unless the URL's `options` set it): the job fails, said in one
line, and is tried again at its next run, as SQLite's `SQLITE_BUSY_TIMEOUT`. Without it every job, and the heartbeat
with them, waited for as long as the lock was held, saying nothing, while /healthz said ok. Migrations wait as long
as need be (`feeds.store.migrations`)."""

PG_KEEPALIVE = {"keepalives": 1, "keepalives_idle": 30, "keepalives_interval": 10, "keepalives_count": 3}
"""TCP keepalives on every connection to PostgreSQL (libpq's names), both ways: without them a connection across a
network partition, or to a host that lost power, hangs until the kernel gives up (about 15 minutes here, two hours
on the server's side), holding a daemon's job, or a lock another daemon waits for, all that time."""


def _pg_connect_args(url: sa.URL) -> dict[str, Any]:
    """libpq settings for a dependable connection, each unless the URL sets it: a 10 s connect timeout, TCP
    keepalives from our side, a bounded wait for locks (`PG_LOCK_TIMEOUT`), and the server's keepalives on our
    sessions (`options`, added to any the URL gives, so a `-c search_path=…` stays), so that a session whose
    daemon vanished ends within about a minute and releases its advisory locks (`feeds.store.locks`); and
    `application_name` naming this process (`feeds host:pid`), by which a process waiting for one of those locks
    names its holder."""
    given = set(url.query)
    args: dict[str, Any] = {k: v for k, v in {"connect_timeout": 10, **PG_KEEPALIVE}.items() if k not in given}
    if "application_name" not in given:  # (who holds a lock, in `pg_stat_activity`: `feeds.store.locks`)
        args["application_name"] = f"feeds {socket.gethostname()}:{os.getpid()}"[:63]
    server = "-c tcp_keepalives_idle=30 -c tcp_keepalives_interval=10 -c tcp_keepalives_count=3"
    options = url.query.get("options")
    given_options = " ".join(options) if isinstance(options, tuple) else options or ""
    if "lock_timeout" not in given_options:
        server += f" -c lock_timeout={int(PG_LOCK_TIMEOUT * 1000)}"
    args["options"] = f"{given_options} {server}".strip()
    return args


def postgresql_engine(url: sa.URL) -> sa.Engine:
    """An engine on the PostgreSQL database of `url`, through psycopg 3 (`_pg_connect_args`)."""
    parsed = url.set(drivername="postgresql+psycopg")
    try:
        args = _pg_connect_args(parsed)
        engine = sa.create_engine(parsed, pool_pre_ping=True, future=True, hide_parameters=True, connect_args=args)
    except ModuleNotFoundError as e:
        raise StoreError("PostgreSQL needs psycopg: pip install 'feeds[postgres]'") from e
    waited = f"the {PG_LOCK_TIMEOUT:g} s waited" if "lock_timeout=" in args["options"] else "its lock_timeout"

    @sa.event.listens_for(engine, "handle_error")
    def _on_error(context: Any) -> None:
        # "canceling statement due to lock timeout" names neither the lock nor who held it: the note says what it
        # means and names the sessions in a transaction for longer than the wait (said wherever the error is).
        if getattr(context.original_exception, "sqlstate", None) == "55P03" and context.sqlalchemy_exception:
            context.sqlalchemy_exception.add_note(lock_timeout_note(engine, waited, context.connection))

    return engine


def lock_timeout_note(engine: sa.Engine, waited: str, failed: sa.Connection | None = None) -> str:
    """What PostgreSQL's "canceling statement due to lock timeout" means and what to do: another session held a
    lock the statement needed past `waited`. The sessions holding a lock on this deployment's tables whose
    transaction is older than `PG_LOCK_TIMEOUT` are named (pid, program, user, from where, state, since when): the
    one left open is among them."""
    holders = _long_transactions(engine, failed)
    named = f": {'; '.join(holders)}" if holders else ""
    return f"another session held a lock it needed past {waited}{named}; commit or end it (pg_terminate_backend)"


def _long_transactions(engine: sa.Engine, failed: sa.Connection | None, limit: int = 3) -> list[str]:
    """`pid 4242 (psql, feeds from 10.0.0.5, idle in transaction since 09:58:01 UTC)` for each other
    session holding a lock on a table (or index, sequence) of this deployment's schema (`current_schema()`) in a
    transaction for longer than `PG_LOCK_TIMEOUT`, the oldest first (none when that cannot be read: only on the
    error path, and never failing it). Only those: every long transaction of the database named another
    application's, or another deployment's in another schema, and three of them crowded out the one to end."""
    try:
        mine = failed.connection.dbapi_connection.info.backend_pid if failed is not None else 0  # type: ignore[union-attr]
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text(
                    "SELECT pid, application_name, usename, host(client_addr), state, xact_start"
                    " FROM pg_stat_activity WHERE datname = current_database()"
                    " AND pid <> pg_backend_pid() AND pid <> :mine"
                    " AND xact_start < now() - make_interval(secs => :secs)"
                    " AND pid IN (SELECT l.pid FROM pg_locks l JOIN pg_class c ON c.oid = l.relation"
                    "  WHERE l.granted"
                    "  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())"
                    "  AND c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema()))"
                    " ORDER BY xact_start LIMIT :limit"
                ),
                {"mine": mine, "secs": PG_LOCK_TIMEOUT, "limit": limit},
            ).all()
            conn.rollback()
    except Exception:  # (the database failing further: the error says what it can)
        return []
    found = []
    for pid, program, user, address, state, since in rows:
        where = f" from {address}" if address else ""
        found.append(f"pid {pid} ({program or 'no program name'}, {user}{where}, {state} since {since:%H:%M:%S} UTC)")
    return ["".join(c if c.isprintable() else "?" for c in f)[:200] for f in found]


class NoDatabaseError(StoreError):
    """A command that only reads was pointed at an SQLite file that is not there (`sqlite_engine(create=False)`)."""

    def __init__(self, path: str):
        self.path = path
        super().__init__(
            f"there is no database at {path} yet: check database.url in the config (or FEEDS_DATABASE_URL, which "
            "overrides it); `feeds db migrate`, the first `feeds ingest` or `feeds run` creates it"
        )


def sqlite_engine(url: sa.URL, *, create: bool = True) -> sa.Engine:
    """An engine on the SQLite file of `url` (its folder created on first use), with the settings of `_on_connect`
    and write transactions that take the write lock up front (`_on_begin`).

    `create=False` (commands that only read: status, lists): a file that is not there is `NoDatabaseError`, not an
    empty database made and migrated where a mistyped path pointed, reported as an office with nothing in it."""
    path = url.database or ""
    if not create and is_file_path(path) and not os.path.exists(path):
        raise NoDatabaseError(path)
    folder = Path(path).parent
    try:
        folder.mkdir(exist_ok=True)  # the state folder on first use; not a whole missing path (a typo, most often)
    except FileNotFoundError as e:
        raise StoreError(f"cannot create the database {url.database}: the folder {folder.parent} does not exist") from e
    except OSError as e:
        raise StoreError(f"cannot create the database folder {folder}: {e.strerror or e}") from e
    timeout = SQLITE_BUSY_TIMEOUT
    engine = sa.create_engine(url, future=True, connect_args={"timeout": timeout}, hide_parameters=True)
    first: list[tuple[int, int] | None] = []  # (device, inode) of the file the first connection opened

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
        cur.execute(f"PRAGMA busy_timeout={int(timeout * 1000)}")
        cur.close()
        # What `_on_begin` checks a write against: the file the engine's first connection opened. A connection
        # the pool opens after that file was deleted meets a new, empty one at the path (SQLite makes it), not ours.
        found = _file_identity(path)
        if not first:
            first.append(found)
        record.info["file"] = first[0] if first[0] is not None else found

    @sa.event.listens_for(engine, "handle_error")
    def _on_error(context: Any) -> None:
        # (SQLite cannot create the `-shm` file WAL needs in a read-only folder: "unable to open database file")
        said = str(context.original_exception)
        if any(w in said for w in ("readonly database", "unable to open database file")):
            _refuse_read_only(path, context.original_exception)
        if said == "database is locked" and context.sqlalchemy_exception is not None:
            # The error stays what it is (jobs retry it at their next run, the push API answers 503); its note is
            # said wherever a store error is (`error_text`: the CLI's `error: …`, the daemon's log, /healthz).
            context.sqlalchemy_exception.add_note(locked_note(path, timeout))

    @sa.event.listens_for(engine, "begin")
    def _on_begin(conn: sa.Connection) -> None:
        # A write transaction (Store.transaction) takes the write lock up front with IMMEDIATE, so two writers
        # queue on busy_timeout instead of one failing mid-transaction; reads stay deferred snapshots under WAL.
        immediate = conn.get_execution_options().get("immediate", False)
        if immediate:
            _check_same_file(path, conn.connection.info.get("file"))
        conn.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def locked_note(path: str, waited: float) -> str:
    """What SQLite's bare "database is locked" means, and what to do: another process held the write lock past the
    busy timeout. The processes that have the file open are named where this system shows them (Linux's /proc,
    this user's processes): the `sqlite3` shell or backup among them is the one to end."""
    holders = _processes_with(path) if is_file_path(path) else []
    named = f"; open in {', '.join(holders)}" if holders else ""
    return (
        f"another process held its write lock past the {waited:g} s waited: a `feeds run` daemon or another feeds "
        f"command writing, an `sqlite3` shell in a transaction, a backup{named}; try again once it is done"
    )


def _processes_with(path: str, limit: int = 5) -> list[str]:
    """`pid 4242 (sqlite3 state/feeds.db)` for each other process with `path` (or its `-wal`) open, as far as
    /proc shows (none elsewhere, nor another user's). Only on the error path: it reads every process's fds."""
    try:
        wanted = {os.path.realpath(path), os.path.realpath(path + "-wal")}
        pids = [p for p in os.listdir("/proc") if p.isdigit() and int(p) != os.getpid()]
    except OSError:
        return []
    found: list[str] = []
    for pid in pids:
        try:
            fds = os.listdir(f"/proc/{pid}/fd")
            if not any(os.readlink(f"/proc/{pid}/fd/{fd}") in wanted for fd in fds):
                continue
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                command = f.read().replace(b"\0", b" ").decode("utf-8", "replace").strip()
        except OSError:  # (gone meanwhile, or another user's)
            continue
        found.append(f"pid {pid} ({command[:80]})")
        if len(found) == limit:
            break
    return found


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


def is_file_path(path: str) -> bool:
    """Whether an SQLite URL's database names a plain file (not in memory, not a `file:` URI)."""
    return bool(path) and path != ":memory:" and not path.startswith("file:")


def _file_identity(path: str) -> tuple[int, int] | None:
    """(device, inode) of the database file, None for an in-memory database or a file not there."""
    if not is_file_path(path):
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
    if (problem := _file_gone(path, opened)) is not None:
        raise StoreError(problem)


def _file_gone(path: str, opened: tuple[int, int] | None) -> str | None:
    if opened is None or _file_identity(path) == opened:
        return None
    return (
        f"the database file {path} was deleted or replaced while feeds had it open: nothing is written into the old "
        "one (its data would be lost); restore the file and restart feeds"
    )


def replaced_file(engine: sa.Engine) -> str | None:
    """Why the SQLite file `engine`'s connections have open is no longer the one at its path (deleted, replaced),
    or None (also for PostgreSQL). Reads of the open, unlinked file still answer, so a check that only reads
    (/healthz) said ok while every write was refused (`_check_same_file`)."""
    if engine.dialect.name != "sqlite":
        return None
    with engine.connect() as conn:
        return _file_gone(engine.url.database or "", conn.connection.info.get("file"))
