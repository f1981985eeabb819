"""Records that cross processes, pickled by their fields' values (`pickled_by_fields`).

A frozen dataclass with slots pickles through the `__getstate__` and `__setstate__` that `dataclasses` writes
for it: Python functions that look the class's fields up again (`dataclasses.fields`, a filter over all of them)
and set each value through `object.__setattr__`, for every record, in both processes. A release handed from an
ingest worker to the main process cost ~24 us so, a watched feed's items and matches alike.

`pickled_by_fields` gives such a class a `__reduce__` that reads every field in one C call
(`operator.attrgetter`), and rebuilds the record by its constructor: the same record (every field, those left out
of `==` too), so that what construction checks (`__post_init__`), unpickling checks too.

That constructor is quick: the `__init__` `dataclasses` writes for a frozen class sets each field by
`object.__setattr__` (its own `__setattr__` refuses), a slot wrapper called from Python, ~1,300 instructions a
field (a `Release`, 31 fields: ~54 k, 5% of reading and normalising a release). `pickled_by_fields` replaces it,
for a class without `__post_init__`, by one of the same signature that lends the record, while it is built, to a
twin class of the same slots that is not frozen, sets the fields as plain attribute stores (~20 instructions
each) and gives the record back its class (`_quick_init`): a `Release` in ~16 k instructions. A class whose
`__init__` is left as `dataclasses` wrote it (default factories) is rebuilt by its slots' own setters, mapped in
C (`_restore`), without running it. A bench unit unpickled: 72 k instructions by the setters, 40 k by the quick
constructor.

What this module must not do: import anything of ours (the records' modules import it), store a pickle (records
pickle between processes of one version only: the shape is the class's own), or rebuild a record with another
value than it had.
"""

from __future__ import annotations

import dataclasses
import functools
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
"""Class → the setters of its slots, in the same order (classes rebuilt without their constructor: those whose
`__init__` is still the one `dataclasses` wrote, and checks nothing)."""


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
    if not hasattr(cls, "__post_init__") and not _quick_init(cls, fields):
        _SETTERS[cls] = tuple(cls.__dict__[name].__set__ for name in names)
    cls.__reduce__ = _reduce  # type: ignore[method-assign,assignment]
    return cls


def _quick_init(cls: type, fields: tuple[dataclasses.Field[Any], ...]) -> bool:
    """Give `cls` an `__init__` of the same signature as the one `dataclasses` wrote, which sets the fields by plain
    attribute stores on the record lent to a twin class (see the module's docstring). Left as it is for a class
    whose constructor does more than set its fields (default factories), takes keyword-only arguments, or
    derives from another class than `object` (a twin could not share its layout). Whether it was replaced."""
    names = [f.name for f in fields]
    if (
        cls.__bases__ != (object,)
        or any(f.kw_only or f.default_factory is not dataclasses.MISSING for f in fields)
        or any(name.startswith("_") or name == "self" for name in names)  # (the generated code's own names)
    ):
        return False
    twin = type(f"_Building{cls.__name__}", (object,), {"__slots__": cls.__dict__["__slots__"]})
    try:  # (the layouts must agree for the record to change class: found out here, not at the first record)
        record: Any = object.__new__(cls)
        object.__setattr__(record, "__class__", twin)
        record.__class__ = cls
    except TypeError:
        return False
    given = cls.__init__  # type: ignore[misc]
    params = ", ".join(names)
    stores = "".join(f"    self.{name} = {name}\n" for name in names)
    source = (
        f"def __init__(self, {params}):\n"
        "    if _type(self) is not _kind:  # (a subclass's record: its own layout)\n"
        f"        return _given(self, {params})\n"
        "    _setattr(self, '__class__', _twin)  # (lent: a frozen class's `__setattr__` refuses this too)\n"
        f"{stores}"
        "    self.__class__ = _kind\n"
    )
    # (every name the code uses but the fields' starts with "_": a field may be called `type`)
    space = {"_kind": cls, "_twin": twin, "_given": given, "_setattr": object.__setattr__, "_type": type}
    exec(source, space)  # (how `dataclasses` writes its own `__init__`)
    init = space["__init__"]
    init.__defaults__ = given.__defaults__
    cls.__init__ = functools.update_wrapper(init, given)  # type: ignore[misc]
    return True


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
