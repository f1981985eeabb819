"""Copy a whole feeds database into another one (SQLite → PostgreSQL when scaling out, or back), then count.

    copy_database(source, target):  source.ensure_current | target.migrate | refuse a target that holds data
        | for each table in foreign-key order: read in primary-key order, insert in batches, one transaction
        | reset PostgreSQL sequences past the copied ids | count rows on both sides -> [TableCount]

Rows travel as SQLAlchemy values, not as text: `UTCDateTime` turns SQLite's naive UTC text into aware
datetimes and those into `timestamptz` (and back), booleans become `boolean` or 0/1, JSON columns stay the
exact text they were. Primary keys are kept, so ids in URLs, logs and alert idempotency keys still point at
the same rows; PostgreSQL's sequences are then moved past the largest id (`setval`), or the next insert would
collide with a copied row. The source is read in one transaction (a REPEATABLE READ snapshot on PostgreSQL,
a WAL read snapshot on SQLite), so the counts compared at the end describe one consistent moment even if a
daemon writes meanwhile (stop them anyway: writes after the snapshot are not copied).

What this module must not do: write to the source, choose what to copy row by row (everything is copied),
or decide what a differing count means (the caller reports it).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from feeds.errors import ExistsError, StoreError
from feeds.logs import joined_lines
from feeds.store import schema
from feeds.store.sql import Store
from feeds.store.tx import writing

Progress = Callable[[str, int], None]
"""Called with (table, rows copied so far) after every batch."""


@dataclass(frozen=True, slots=True)
class TableCount:
    """One table's row count in the source snapshot and in the target after the copy."""

    table: str
    source: int
    target: int

    @property
    def ok(self) -> bool:
        return self.source == self.target


COPIED = frozenset({
    "releases", "idempotency", "ingested_files", "source_state", "watched_feeds", "rules", "items", "matches",
    "entry_ids", "published_feeds", "related_applied", "watch_settings", "alert_destinations", "alert_deliveries",
    "pictures", "release_pictures", "dismissals",
})  # fmt: skip
"""The tables `feeds db copy` copies (README, "Moving from SQLite to PostgreSQL", lists them)."""

NOT_COPIED = {
    "schema_migrations": "the target's own migrations record",
    "workers": "the daemons of the old database are not the new one's; `feeds status` would list them as gone",
    "host_slots": "the fetches under way on the old database: none is on the new one",
    "publish_outcome": "how the old database's publishes went; the target's first publish records its own",
}
"""The tables left behind, and why. Every table of the schema is in `COPIED` or here: one added to the schema is
neither until someone decides, and `copied_tables` refuses to guess."""


def copied_tables() -> list[sa.Table]:
    """The tables of `COPIED`, parents before children; `StoreError` naming any table of the schema that is in
    neither `COPIED` nor `NOT_COPIED` (copied by default, state local to one database would travel; left out by
    default, data would be lost).

    The order the migrations define them in, which reads naturally (releases first) and puts a table after those
    its foreign keys point to; should a later table break that, SQLAlchemy's dependency sort is used instead.
    """
    undecided = sorted(set(schema.metadata.tables) - COPIED - set(NOT_COPIED))
    if undecided:
        raise StoreError(
            f"table(s) {', '.join(undecided)} of the schema are neither copied nor left behind: say which in "
            "feeds/store/copy.py (COPIED or NOT_COPIED), and in README's list of what `feeds db copy` copies"
        )
    defined = [t for t in schema.metadata.tables.values() if t.name in COPIED]
    seen: set[str] = set()
    for t in defined:
        if any(fk.column.table.name not in seen | {t.name} for fk in t.foreign_keys):
            return [t for t in schema.metadata.sorted_tables if t.name in COPIED]
        seen.add(t.name)
    return defined


def copy_database(
    source: Store,
    target: Store,
    *,
    now: datetime,
    batch: int = 1000,
    replace: bool = False,
    progress: Progress | None = None,
) -> list[TableCount]:
    """Copy every row of `source` into `target` (migrated first), keeping primary keys; return the counts.

    A target that already holds rows is refused (`ExistsError` naming the tables) unless `replace`, which
    deletes them first: the way to retry a copy that stopped half-way. Copying a database onto itself is
    always refused.
    """
    if batch < 1:
        raise ValueError("batch must be at least 1")
    if _same_database(source, target):
        raise StoreError(f"source and target are the same database ({target.url}): nothing to copy")
    source.ensure_current()
    target.migrate(now)
    tables = copied_tables()
    _make_room(target, tables, replace=replace)
    counts: list[TableCount] = []
    with _snapshot(source) as src:
        for table in tables:
            size = min(batch, _ROWS_AT_ONCE.get(table.name, batch))
            copied = _copy_table(src, target, table, batch=size, progress=progress)
            counted = int(src.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())
            counts.append(TableCount(table.name, counted, copied))
    _reset_sequences(target, tables)
    with target.engine.connect() as conn:
        return [
            TableCount(c.table, c.source, int(conn.execute(sa.select(sa.func.count()).select_from(t)).scalar_one()))
            for c, t in zip(counts, tables, strict=True)
        ]


def _make_room(target: Store, tables: Sequence[sa.Table], *, replace: bool) -> None:
    with target.engine.connect() as conn:
        filled = [(t.name, n) for t in tables if (n := _count(conn, t))]
    if not filled:
        return
    if not replace:
        listed = ", ".join(f"{name} ({n} row{'' if n == 1 else 's'})" for name, n in filled)
        raise ExistsError(
            f"target database {target.url} already holds data: {listed}; copy into an empty database, "
            "or pass --replace to delete those rows first"
        )
    with target.transaction() as tx:
        for t in reversed(tables):  # children before parents, so no foreign key is left dangling
            tx.conn.execute(t.delete())


def _count(conn: Connection, table: sa.Table) -> int:
    return int(conn.execute(sa.select(sa.func.count()).select_from(table)).scalar_one())


@contextmanager
def _snapshot(store: Store) -> Iterator[Connection]:
    """One read transaction over the whole source, so every table is read as of the same moment."""
    with store.engine.connect() as conn:
        if store.dialect == "postgresql":
            conn = conn.execution_options(isolation_level="REPEATABLE READ")
        with conn.begin() as tx:
            try:
                yield conn
            finally:
                tx.rollback()  # read only: nothing to keep


_ROWS_AT_ONCE = {"pictures": 10}
"""Tables whose rows are large, read and written fewer at a time than `--batch` says: a picture is up to 10 MiB,
and a thousand of them at once would hold 10 GB in memory."""


def _copy_table(src: Connection, target: Store, table: sa.Table, *, batch: int, progress: Progress | None) -> int:
    """Stream `table` in primary-key order into `target` in batches of `batch`, in one target transaction."""
    q = sa.select(table).order_by(*table.primary_key.columns)
    result = src.execution_options(stream_results=True, yield_per=batch).execute(q)
    copied = 0
    try:
        with target.transaction() as tx:
            for rows in _batches(result, batch):
                tx.conn.execute(table.insert(), rows)
                copied += len(rows)
                if progress:
                    progress(table.name, copied)
    except sa.exc.SQLAlchemyError as e:
        cause = getattr(e, "orig", None) or e
        raise StoreError(f"copying table {table.name} into {target.url} failed after {copied} rows: {cause}") from e
    finally:
        result.close()
    return copied


def _batches(result: sa.CursorResult[Any], size: int) -> Iterator[list[dict[str, Any]]]:
    for part in result.partitions(size):
        yield [dict(row._mapping) for row in part]


def _reset_sequences(target: Store, tables: Sequence[sa.Table]) -> None:
    """Move each PostgreSQL id sequence past the copied ids (`is_called` false on an empty table: next is 1)."""
    if target.dialect != "postgresql":
        return  # SQLite's INTEGER PRIMARY KEY takes max(rowid) + 1 by itself
    with writing(target.engine) as conn:
        for table in tables:
            col = table.autoincrement_column
            if col is None:
                continue
            conn.execute(
                sa.text(
                    f"SELECT setval(pg_get_serial_sequence(:table, :column), "
                    f"COALESCE(MAX({col.name}), 1), MAX({col.name}) IS NOT NULL) FROM {table.name}"
                ),
                {"table": table.name, "column": col.name},
            )


def _same_database(a: Store, b: Store) -> bool:
    """Whether two stores are one database under different URLs (a copy onto itself would destroy it)."""
    if a.dialect != b.dialect:
        return False
    if a.dialect == "sqlite":
        pa, pb = a.engine.url.database or "", b.engine.url.database or ""
        if not pa or pa == ":memory:" or not pb or pb == ":memory:":
            return False
        try:
            return os.path.samefile(pa, pb)
        except FileNotFoundError:
            return False
    # The server instance (its start time and port), the database and the schema that search_path selects.
    q = sa.text("SELECT pg_postmaster_start_time(), inet_server_port(), current_database(), current_schema()")
    with _connected(a) as ca, _connected(b) as cb:
        return tuple(ca.execute(q).one()) == tuple(cb.execute(q).one())


@contextmanager
def _connected(store: Store) -> Iterator[Connection]:
    """A connection to `store`; one that cannot be made is a `StoreError` naming that database (the source or the
    target: the first thing the copy does is connect to both), as `Store.migrate` names it."""
    try:
        conn = store.engine.connect()
    except sa.exc.DBAPIError as e:
        raise StoreError(f"cannot open database {store.url}: {joined_lines(str(e.orig))}") from e
    with conn:
        yield conn


def backup_sqlite(source: Store, target: str | os.PathLike[str]) -> int:
    """Write a snapshot of the SQLite database `source` to the new file `target` (`VACUUM INTO`: one read
    transaction, so a daemon may go on writing meanwhile; the copy is compacted and holds no WAL), whatever its
    schema version (a backup before `feeds db migrate`). Written under a temporary name and moved into place, so a
    `target` there is a whole one. Returns its size in bytes. PostgreSQL is backed up with its own tools."""
    if source.dialect != "sqlite":
        raise StoreError(
            f"database {source.url}: `feeds db backup` writes an SQLite file; back up PostgreSQL with pg_dump"
            " (or copy it into one: `feeds db copy --to sqlite:///…`)"
        )
    path = os.fspath(target)
    if os.path.lexists(path):
        raise ExistsError(f"{path} exists already: name a new file (a backup never replaces one)")
    part = f"{path}.part"
    if os.path.lexists(part):
        os.unlink(part)  # (a backup stopped half-way)
    try:
        with source.engine.connect() as conn:
            cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
            try:
                cursor.execute("VACUUM INTO ?", (part,))  # (outside a transaction: the driver's autocommit)
            finally:
                cursor.close()
        os.replace(part, path)
    except (sa.exc.DBAPIError, OSError) as e:
        if os.path.lexists(part):
            os.unlink(part)
        raise StoreError(f"cannot back up {source.url} to {path}: {joined_lines(str(getattr(e, 'orig', e)))}") from e
    return os.path.getsize(path)
