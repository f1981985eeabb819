"""Records that cross processes, pickled by their fields' values (`pickled_by_fields`).

A frozen dataclass with slots pickles through the `__getstate__` and `__setstate__` that `dataclasses` writes
for it: Python functions that look the class's fields up again (`dataclasses.fields`, a filter over all of them)
and set each value through `object.__setattr__`, for every record, in both processes. A release handed from an
ingest worker to the main process cost ~24 us so, a watched feed's items and matches alike.

`pickled_by_fields` gives such a class a `__reduce__` that reads every field in one C call
(`operator.attrgetter`), and rebuilds the record by its slots' own setters, mapped in C (`_restore`): the same
record (every field, those left out of `==` too), in about half the instructions (a batch of 200 ingested
releases: 230 k → 113 k a release, pickled and unpickled). A class with a `__post_init__` is rebuilt by its
constructor instead, so that what construction checks, unpickling checks too.

What this module must not do: import anything of ours (the records' modules import it), store a pickle (records
pickle between processes of one version only: the shape is the class's own), or rebuild a record with another
value than it had.
"""

from __future__ import annotations

import dataclasses
import operator
from collections import deque
from collections.abc import Callable
from itertools import repeat
from typing import Any, TypeVar

T = TypeVar("T")

_FIELDS: dict[type, Callable[[Any], tuple[Any, ...]]] = {}
"""Class → what reads its fields' values, in order, as a tuple."""
_INDEX: dict[type, dict[str, int]] = {}
"""Class → each field's place in that tuple."""
_SETTERS: dict[type, tuple[Callable[[Any, Any], None], ...]] = {}
"""Class → the setters of its slots, in the same order (classes rebuilt without their constructor)."""


def pickled_by_fields(cls: type[T]) -> type[T]:
    """Have the frozen slots dataclass `cls` pickle as its fields' values (see the module's docstring). Applied
    above `@dataclass`; a subclass must be decorated itself (pickling one that is not raises, never drops its
    fields)."""
    if not dataclasses.is_dataclass(cls) or "__slots__" not in cls.__dict__:
        raise TypeError(f"{cls.__name__}: pickled_by_fields is for dataclasses with slots")
    fields = dataclasses.fields(cls)
    if not all(f.init for f in fields):  # (rebuilt by its constructor, or as if it had been: every field is one)
        raise TypeError(f"{cls.__name__}: every field must be an argument of the constructor")
    names = tuple(f.name for f in fields)
    get = operator.attrgetter(*names)
    _FIELDS[cls] = get if len(names) > 1 else lambda record: (get(record),)
    _INDEX[cls] = {name: i for i, name in enumerate(names)}
    if not hasattr(cls, "__post_init__"):
        _SETTERS[cls] = tuple(cls.__dict__[name].__set__ for name in names)
    cls.__reduce__ = _reduce  # type: ignore[method-assign,assignment]
    return cls


def _reduce(record: Any) -> tuple[Any, ...]:
    kind = type(record)
    get = _FIELDS.get(kind)
    if get is None:  # (a subclass of a record: pickled as its base, it would lose its own fields)
        raise TypeError(f"{kind.__name__} is not pickled_by_fields, but its base class is")
    return (_restore, (kind, get(record))) if kind in _SETTERS else (kind, get(record))


def replaced(record: T, **changes: Any) -> T:
    """`dataclasses.replace(record, **changes)` for a record `pickled_by_fields` (the same record, built by its
    constructor as `replace` does), without looking its fields up again: a few times quicker (an ingest names
    where each file went in its outcome so)."""
    kind = type(record)
    values = list(_FIELDS[kind](record))
    index = _INDEX[kind]
    for name, value in changes.items():
        values[index[name]] = value
    return kind(*values)


_call = operator.call
_new = object.__new__


def _restore(kind: type[T], values: tuple[Any, ...]) -> T:
    """A record of `kind` (which has no `__post_init__`) with these values, set slot by slot as its constructor
    would, without running its Python code (the setters of a frozen class's slots, which its `__setattr__` bars)."""
    setters = _SETTERS[kind]
    if len(values) != len(setters):  # (never between processes of one version; a field is never left unset)
        raise TypeError(f"{kind.__name__}: {len(values)} values for {len(setters)} fields")
    record = _new(kind)
    deque(map(_call, setters, repeat(record), values), 0)
    return record
