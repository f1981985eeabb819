"""Reads by a long IN list (the releases, slugs and ledger rows of a batch of 200 files): SQLAlchemy compiles the
SELECT once per list length, the DB-API runs it.

A statement with an expanding parameter (`column.in_(bindparam(…, expanding=True))`) is expanded by SQLAlchemy at
every execution, value by value in Python (a name, a placeholder and a conversion each): about 6,500 instructions
a value, more than SQLite's own work on it (about 4,000: binding it, and an index lookup). Here a statement is
built with one plain parameter per value (`in_list`), compiled once per dialect and list length, and each of its
parameters' and result columns' converters (the very functions SQLAlchemy would apply) kept, as
`feeds.store.bulk` does for INSERTs; the values go to the driver as a plain tuple (or dict). Lists are padded to
the next power of two with their last value (a value twice in an IN list finds its rows once), so a daemon reading
batches of every length compiles at most ten statements of each kind.

What this module must not do: decide what to read, or skip a conversion SQLAlchemy would make.
"""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import repeat
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

from feeds.store.bulk import Processor, bind_processor

LONGEST = 512
"""Values per statement at most (a longer list is read in several): under every driver's parameter limit."""

Build = Callable[[int], sa.Select[Any]]
"""`build(n)`: the SELECT whose IN list is `in_list(column, n)`; its other parameters are constants, or named by
the caller at each read."""


def in_list(column: sa.ColumnElement[Any], n: int) -> list[sa.BindParameter[Any]]:
    """`n` parameters for `column.in_(…)`, of the column's type, named as `select_in` fills them."""
    return [sa.bindparam(f"in_{i}", None, type_=column.type) for i in range(n)]


@dataclass(frozen=True, slots=True)
class ReadPlan:
    sql: str
    order: tuple[str, ...]
    """The parameters' names in the order the driver takes them (for a driver with named parameters: any order)."""
    named: bool
    listed: tuple[str, ...]
    """The IN list's parameters, in order."""
    list_processor: Processor | None
    constants: dict[str, Any]
    """The statement's own values (a date it compares with), converted."""
    processors: dict[str, Processor]
    """The converter of each other parameter that needs one (those the caller names)."""
    results: tuple[tuple[int, Processor], ...]
    """(column's place, converter) of each result column that needs converting."""


@functools.lru_cache(maxsize=64)
def read_plan(dialect: Dialect, build: Build, n: int) -> ReadPlan:
    stmt = build(n)
    compiled = stmt.compile(dialect=dialect)
    listed = tuple(f"in_{i}" for i in range(n))
    constants: dict[str, Any] = {}
    processors: dict[str, Processor] = {}
    list_processor: Processor | None = None
    for bind, name in compiled.bind_names.items():
        processor = bind_processor(bind.type, dialect)
        if name.startswith("in_"):
            list_processor = processor
        elif not bind.required:  # (a constant of the statement: converted once)
            constants[name] = processor(bind.value) if processor is not None else bind.value
        elif processor is not None:
            processors[name] = processor
    order = tuple(compiled.positiontup or ()) if compiled.positional else tuple(compiled.bind_names.values())
    results = []
    for i, column in enumerate(stmt.selected_columns):
        processor = column.type.dialect_impl(dialect).result_processor(dialect, None)
        if processor is not None:
            results.append((i, processor))
    return ReadPlan(
        sql=compiled.string,
        order=order,
        named=not compiled.positional,
        listed=listed,
        list_processor=list_processor,
        constants=constants,
        processors=processors,
        results=tuple(results),
    )


def select_in(conn: sa.Connection, build: Build, values: Sequence[Any], **given: Any) -> list[tuple[Any, ...]]:
    """The rows of `build`'s SELECT for every value of `values` in its IN list (several statements for a list longer
    than `LONGEST`), its result columns converted as SQLAlchemy converts them; `given`: its other parameters'
    values, by name."""
    found: list[tuple[Any, ...]] = []
    for start in range(0, len(values), LONGEST):
        chunk = values[start : start + LONGEST]
        n = 1 << (len(chunk) - 1).bit_length()
        plan = read_plan(conn.dialect, build, n)
        if plan.list_processor is not None:
            chunk = list(map(plan.list_processor, chunk))
        params = dict(plan.constants)
        params.update(zip(plan.listed, [*chunk, *repeat(chunk[-1], n - len(chunk))], strict=True))
        for name, value in given.items():
            params[name] = plan.processors[name](value) if name in plan.processors else value
        sent: Any = params if plan.named else operator.itemgetter(*plan.order)(params)
        if not plan.named and len(plan.order) == 1:
            sent = (sent,)
        for row in conn.exec_driver_sql(plan.sql, sent):
            if plan.results:
                converted = list(row)
                for i, processor in plan.results:
                    converted[i] = processor(converted[i])
                found.append(tuple(converted))
            else:
                found.append(tuple(row))
    return found
