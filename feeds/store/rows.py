"""Rows to records: a record's fields are read from the row's columns of the same names.

    record_from(Rule, row)                                    every field from its column
    record_from(WatchedFeed, row, interval=row.interval_s…)   the fields whose column differs, given

Also `chunks`, which cuts a list of keys into IN lists of a safe size.

What this module must not do: convert values. Whatever is not stored as it is held (JSON lists, integer flags,
renamed columns) is given by the caller, next to the schema it knows.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import fields
from typing import Any, TypeVar

T = TypeVar("T")


_FIELD_NAMES: dict[type, tuple[str, ...]] = {}  # per record class; a handful of classes, filled on first use


def record_from(cls: type[T], row: Any, **given: Any) -> T:
    """A `cls` (a dataclass) from `row`: the fields in `given` as given, every other one from its column.

    A field with no column of its name and no given value is a KeyError naming it: a record and its table that
    drift apart fail loudly, never with a silent default."""
    return record_from_mapping(cls, row._mapping, **given)


def record_from_mapping(cls: type[T], m: Mapping[str, Any], **given: Any) -> T:
    """`record_from` of a row's values by column name (a row read through the DB-API: `feeds.store.inlists`)."""
    names = _FIELD_NAMES.get(cls)
    if names is None:
        names = _FIELD_NAMES[cls] = tuple(f.name for f in fields(cls))  # type: ignore[arg-type]
    values = {name: m[name] for name in names if name not in given}
    return cls(**values, **given)


def chunks(items: Sequence[T], size: int) -> Iterator[Sequence[T]]:
    """`items` in slices of at most `size` (an IN list per query stays under every driver's parameter limit)."""
    for i in range(0, len(items), size):
        yield items[i : i + size]
