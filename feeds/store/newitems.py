"""A watched feed's items as rows: the values a new or changed item is stored with, and the INSERT of a check's
new items, many rows to a statement on SQLite.

What this module must not do: decide which items are new or changed (`items.py` does), nor read rows back.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from feeds.model import WatchItem
from feeds.store.bulk import Processor, insert_ignoring_conflicts, insert_plan
from feeds.store.schema import items as I

_TAGS_ENCODER = json.JSONEncoder(ensure_ascii=False)
"""`json.dumps(…, ensure_ascii=False)` makes an encoder per call (only the default one is shared): made once for
the tags of every item stored, the same text."""


def tags_json(tags: Sequence[str]) -> str:
    return _TAGS_ENCODER.encode(list(tags)) if tags else "[]"


def item_dates(it: WatchItem, now: datetime) -> tuple[datetime, datetime]:
    """(published, updated) as stored. A date ahead of the time the item is seen (a scheduled post, a wrong time
    zone, 2099) would head every match feed and its page until then: the item is dated when it was seen instead;
    an update is never before the publication."""
    published = min(it.published, now) if it.published else now
    return published, max(min(it.updated, now), published) if it.updated else published


def item_row(feed_id: int, it: WatchItem, now: datetime) -> dict[str, Any]:
    published, updated = item_dates(it, now)
    return {
        "feed_id": feed_id,
        "key": it.key,
        "guid": it.guid,
        "link": it.link,
        "title": it.title,
        "summary": it.summary,
        "content_text": it.content_text,
        "author": it.author,
        "tags": tags_json(it.tags),
        "published": published,
        "updated": updated,
        "dated_by_source": it.published is not None,
        "content_hash": it.content_hash,
        "in_body_at": now,
        "language": it.language,
    }


def insert_new(conn: sa.Connection, feed_id: int, fresh: Sequence[WatchItem], now: datetime) -> dict[str, int]:
    """INSERT the `fresh` items (ON CONFLICT DO NOTHING): key → id of those inserted.

    On SQLite, up to `ROWS_AT_ONCE` rows a statement (`insert_rows`), the values `item_row` gives converted by
    the columns' own bind processors, `now` once: SQLAlchemy's "insertmanyvalues" sends the same statement, but
    makes, checks and converts a parameter dict per row (-24% of a first pass's store in instructions).
    Elsewhere, that path (`insert_new_items`). A test holds both to the same rows."""
    if conn.dialect.name != "sqlite":
        rows = [{**item_row(feed_id, it, now), "first_seen": now} for it in fresh]
        return {key: item_id for key, item_id in conn.execute(insert_new_items(conn.dialect.name), rows)}
    convert = _processors(conn.dialect)
    at = convert["in_body_at"](now)
    dates, flag, tags = convert["published"], convert["dated_by_source"], tags_json
    values: list[Any] = []
    for it in fresh:  # (`item_row`'s values, in `NEW_COLUMNS`' order)
        published, updated = item_dates(it, now)
        values += (feed_id, it.key, it.guid, it.link, it.title, it.summary, it.content_text, it.author)
        values += (tags(it.tags), dates(published), dates(updated), flag(it.published is not None))
        values += (it.content_hash, at, it.language, at)
    ids: dict[str, int] = {}
    width = len(NEW_COLUMNS)
    for start in range(0, len(fresh), ROWS_AT_ONCE):
        n = min(ROWS_AT_ONCE, len(fresh) - start)
        sql, order = insert_rows(conn.dialect, n)
        chunk = values[start * width : (start + n) * width]
        ids.update((key, item_id) for key, item_id in conn.exec_driver_sql(sql, tuple([chunk[i] for i in order])))
    return ids


ROWS_AT_ONCE = 50
"""New items inserted by one statement at most on SQLite (`insert_new`): 16 parameters a row (SQLite takes 32,766)."""

NEW_COLUMNS = (
    *("feed_id", "key", "guid", "link", "title", "summary", "content_text", "author"),
    *("tags", "published", "updated", "dated_by_source", "content_hash", "in_body_at", "language", "first_seen"),
)
"""The columns a new item's INSERT writes (`item_row`'s, and `first_seen`), in the order `insert_new` lists them."""


@functools.lru_cache(maxsize=4)
def _processors(dialect: Any) -> dict[str, Processor]:
    """The bind processor SQLAlchemy applies to each column of `NEW_COLUMNS` on `dialect` (the identity if none), as
    `feeds.store.bulk` found them for its INSERT of the same columns."""
    found = insert_plan(dialect, I, NEW_COLUMNS, True).processors
    return {name: found.get(name, _same) for name in NEW_COLUMNS}


def _same(value: Any) -> Any:
    return value


def compiled_rows(dialect: Any, n: int) -> tuple[str, tuple[int, ...]]:
    """`insert_new_items` for `n` rows at once, compiled by SQLAlchemy: its SQL, and for each of its parameters in
    order, the index of its value among the rows' values laid end to end (row by row, in `NEW_COLUMNS` order)."""
    names = [f"r{row}_{column}" for row in range(n) for column in NEW_COLUMNS]
    width = len(NEW_COLUMNS)
    rows = [
        {column: sa.bindparam(names[row * width + k], type_=I.c[column].type) for k, column in enumerate(NEW_COLUMNS)}
        for row in range(n)
    ]
    compiled = insert_ignoring_conflicts(dialect, I).values(rows).returning(I.c.key, I.c.id).compile(dialect=dialect)
    where = {name: i for i, name in enumerate(names)}
    return compiled.string, tuple(where[name] for name in compiled.positiontup or ())


@functools.lru_cache(maxsize=4)
def _row_template(dialect: Any) -> tuple[str, str, str, tuple[int, ...]]:
    """The one-row statement cut at its row of parameters (before, the row, after) and the row's order of values;
    checked against the two-row statement SQLAlchemy compiles, which must be the row twice, `, ` between."""
    one, order = compiled_rows(dialect, 1)
    cut = one.index(" VALUES (") + len(" VALUES ")
    row_end = one.index(")", cut) + 1
    before, row, after = one[:cut], one[cut:row_end], one[row_end:]
    two, order_two = compiled_rows(dialect, 2)
    width = len(NEW_COLUMNS)
    if two != f"{before}{row}, {row}{after}" or order_two != (*order, *(width + i for i in order)):
        raise RuntimeError(f"unexpected INSERT of two rows: {two}")  # (never seen: refuse rather than misplace)
    return before, row, after, order


@functools.lru_cache(maxsize=ROWS_AT_ONCE + 4)
def insert_rows(dialect: Any, n: int) -> tuple[str, tuple[int, ...]]:
    """`compiled_rows(dialect, n)` made from the one-row one (`_row_template`): each compile took 2-6 ms."""
    before, row, after, order = _row_template(dialect)
    width = len(NEW_COLUMNS)
    return f"{before}{', '.join([row] * n)}{after}", tuple(r * width + i for r in range(n) for i in order)


@functools.lru_cache(maxsize=4)
def insert_new_items(dialect: str) -> Any:
    """INSERT … ON CONFLICT DO NOTHING RETURNING (key, id), for new items; built once."""
    return insert_ignoring_conflicts(dialect, I).returning(I.c.key, I.c.id)
