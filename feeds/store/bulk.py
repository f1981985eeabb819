"""Bulk INSERTs for large batches: SQLAlchemy compiles the statement and converts the values, the DB-API runs it.

`conn.execute(table.insert(), [dict, …])` sends every row through SQLAlchemy's generic parameter machinery (a
parameter dict built, checked and type-processed per row), which cost ingest more than SQLite's own work on the
same rows. Here, per dialect and table, the INSERT is compiled once and each column's bind processor (the very
function SQLAlchemy would apply, looked up once) is kept; a value shared by every row (the batch's `now`) is
converted once; the rows then go to the driver's `executemany` as plain tuples (or dicts, for a driver with
named parameters). Same SQL, same stored values, on SQLite and PostgreSQL alike.

A column that is NULL in every row of the batch (a new release's `removed_at`, `withdrawn_at`,
`translation_of`…) is written as the literal NULL rather than bound row by row: Python's sqlite3 binds None only
after looking for an adapter for it, a failed attribute lookup whose AttributeError is formatted and dropped
(about 2,000 instructions a value, 7 values of every release a bench ingest stores).

What this module must not do: decide what to write, or skip a conversion SQLAlchemy would make.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

Processor = Callable[[Any], Any]


def bind_processor(type_: sa.types.TypeEngine[Any], dialect: Dialect) -> Processor | None:
    """The function SQLAlchemy applies to a value of `type_` it binds on `dialect` (None: the value as it is)."""
    return type_.dialect_impl(dialect).bind_processor(dialect)


@dataclass(frozen=True, slots=True)
class InsertPlan:
    sql: str
    order: tuple[str, ...]
    """The column names in the order the driver takes the parameters."""
    processors: dict[str, Processor]
    """The bind processor of each column whose values need converting."""
    named: bool
    """Whether the driver takes named parameters (a dict per row) rather than positional ones (a tuple)."""


def dialect_insert(dialect: Dialect | str, table: sa.Table) -> Any:
    """The INSERT of `dialect` (or its name), which has the ON CONFLICT clauses both databases share
    (`on_conflict_do_nothing`, `on_conflict_do_update`, `excluded`)."""
    if (dialect if isinstance(dialect, str) else dialect.name) == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        return pg_insert(table)
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    return sqlite_insert(table)


def insert_ignoring_conflicts(dialect: Dialect | str, table: sa.Table) -> Any:
    """INSERT … ON CONFLICT DO NOTHING on either database (a row whose key exists is skipped); `dialect` or its
    name."""
    return dialect_insert(dialect, table).on_conflict_do_nothing()


@functools.lru_cache(maxsize=64)
def insert_plan(
    dialect: Dialect,
    table: sa.Table,
    columns: tuple[str, ...],
    ignore_conflicts: bool,
    nulls: frozenset[str] = frozenset(),
) -> InsertPlan:
    """The INSERT of `columns` into `table`, those in `nulls` written as NULL (not parameters: `order` leaves them
    out)."""
    stmt = insert_ignoring_conflicts(dialect, table) if ignore_conflicts else table.insert()
    if nulls:
        stmt = stmt.values({name: sa.null() for name in nulls})
    bound = [name for name in columns if name not in nulls]
    compiled = stmt.compile(dialect=dialect, column_keys=bound)
    order = tuple(compiled.positiontup or ()) if compiled.positional else tuple(bound)
    if sorted(order) != sorted(bound):  # never seen; refuse rather than misplace values
        raise ValueError(f"unexpected parameters {order} for {columns} in {table.name}")
    processors: dict[str, Processor] = {}
    for name in bound:
        processor = bind_processor(table.c[name].type, dialect)
        if processor is not None:
            processors[name] = processor
    return InsertPlan(sql=compiled.string, order=order, processors=processors, named=not compiled.positional)


@functools.lru_cache(maxsize=64)
def _nullable(table: sa.Table, columns: tuple[str, ...]) -> tuple[tuple[int, str], ...]:
    """(place, name) of the nullable ones among `columns` (a None in another is the database's error to raise)."""
    return tuple((i, name) for i, name in enumerate(columns) if table.c[name].nullable)


def bulk_insert(
    conn: sa.Connection,
    table: sa.Table,
    columns: Sequence[str],
    rows: Sequence[Sequence[Any]],
    fixed: dict[str, Any] | None = None,
    *,
    ignore_conflicts: bool = False,
) -> None:
    """INSERT `rows` (values of `columns`, in order) into `table`, plus the `fixed` columns' one value each;
    with `ignore_conflicts`, rows whose key is already there are skipped (ON CONFLICT DO NOTHING)."""
    if not rows:
        return
    fixed = fixed or {}
    names = (*columns, *fixed)
    nulls = frozenset(name for i, name in _nullable(table, tuple(columns)) if all(values[i] is None for values in rows))
    plan = insert_plan(conn.dialect, table, names, ignore_conflicts, nulls)
    tail = tuple(plan.processors[k](v) if k in plan.processors else v for k, v in fixed.items())
    varying = [(i, plan.processors[name]) for i, name in enumerate(columns) if name in plan.processors]
    reorder = operator.itemgetter(*(names.index(name) for name in plan.order))
    params: list[Any] = []
    for values in rows:
        row = [*values, *tail]
        for i, processor in varying:
            row[i] = processor(row[i])
        params.append(reorder(row))
    if plan.named:
        params = [dict(zip(plan.order, row, strict=True)) for row in params]
    conn.exec_driver_sql(plan.sql, params)
