"""Bulk inserts store exactly what SQLAlchemy's own `insert()` stores, on both databases."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import sqlalchemy as sa

from feeds.store import schema as schema_mod
from feeds.store.bulk import bulk_insert

NOW = datetime(2026, 11, 28, 12, 0, 0, 123456, tzinfo=UTC)
PARIS = timezone(timedelta(hours=1))


def raw_rows(conn: sa.Connection, table: sa.Table) -> list[tuple[object, ...]]:
    """The rows as the driver returns them (no result processing), so stored text/timestamps are compared."""
    cols = ", ".join(c.name for c in table.columns)
    return [tuple(r) for r in conn.exec_driver_sql(f"SELECT {cols} FROM {table.name} ORDER BY name")]


def test_bulk_insert_stores_what_core_insert_stores(store):
    t = schema_mod.ingested_files
    # the fixed column is not the table's last one, and one time is not in UTC: order and conversion both matter
    rows = [("inbox", "a.json", "1" * 64, '["x"]'), ("inbox", "b.json", "2" * 64, "[]")]
    core = [
        {"source": s, "name": "core-" + n, "sha256": h, "release_ids": ids, "ingested_at": NOW.astimezone(PARIS)}
        for s, n, h, ids in rows
    ]
    with store.transaction() as tx:
        bulk_insert(
            tx.conn, t, ("source", "name", "sha256", "release_ids"), rows, {"ingested_at": NOW.astimezone(PARIS)}
        )
        tx.conn.execute(t.insert(), core)
    with store.engine.connect() as conn:
        stored = raw_rows(conn, t)
    bulk_rows = [r for r in stored if not str(r[1]).startswith("core-")]
    core_rows = [(r[0], r[1].removeprefix("core-"), *r[2:]) for r in stored if str(r[1]).startswith("core-")]
    assert bulk_rows == core_rows
    assert len(bulk_rows) == 2


def test_bulk_insert_can_skip_rows_whose_key_exists(store):
    t = schema_mod.ingested_files
    columns = ("source", "name", "sha256", "release_ids")
    with store.transaction() as tx:
        bulk_insert(tx.conn, t, columns, [("inbox", "a.json", "1" * 64, '["first"]')], {"ingested_at": NOW})
        bulk_insert(
            tx.conn,
            t,
            columns,
            [("inbox", "a.json", "1" * 64, '["again"]'), ("inbox", "b.json", "2" * 64, "[]")],
            {"ingested_at": NOW},
            ignore_conflicts=True,
        )
    with store.engine.connect() as conn:
        got = conn.execute(sa.select(t.c.name, t.c.release_ids).order_by(t.c.name)).all()
    assert [tuple(r) for r in got] == [("a.json", '["first"]'), ("b.json", "[]")]


def test_bulk_insert_of_nothing_does_nothing(store):
    with store.transaction() as tx:
        bulk_insert(tx.conn, schema_mod.ingested_files, ("source",), [])
    assert store.count_releases() == 0


def test_bulk_insert_writes_a_column_null_in_every_row_as_null(store):
    """A column None in every row is written as the literal NULL, not bound row by row: the rows stored are the
    ones Core's insert stores, columns None in some rows only, with a conversion, included."""
    t = schema_mod.source_state
    columns = ("source", "etag", "last_modified", "last_checked")
    rows = [("a", None, "Mon, 02 Nov 2026", None), ("b", None, None, NOW.astimezone(PARIS)), ("c", None, None, None)]
    with store.transaction() as tx:
        bulk_insert(tx.conn, t, columns, rows)
        tx.conn.execute(t.insert(), [dict(zip(columns, ("core-" + r[0], *r[1:]), strict=True)) for r in rows])
    with store.engine.connect() as conn:
        stored = [
            tuple(r)
            for r in conn.exec_driver_sql(
                "SELECT source, etag, last_modified, last_checked FROM source_state ORDER BY source"
            )
        ]
    bulk_rows = [r for r in stored if not r[0].startswith("core-")]
    core_rows = [(r[0].removeprefix("core-"), *r[1:]) for r in stored if r[0].startswith("core-")]
    assert bulk_rows == core_rows
    assert [r[1] for r in bulk_rows] == [None, None, None]
    assert bulk_rows[1][3] is not None
