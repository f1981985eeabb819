"""Typed access to a parsed TOML document that knows where each key is (tomllib keeps no positions).

`_Reader.fail` raises a `ConfigError` naming the file, the dotted key path and the line found by `find_line`.
"""

from __future__ import annotations

import math
import re
from pathlib import Path
from typing import Any

from feeds.errors import ConfigError

KeyPath = tuple[str | int, ...]


_INTERVAL = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|secs|seconds?|m|min|mins|minutes?|h|hours?|d|days?)?\s*$")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}


def parse_interval(value: str | int | float) -> float:
    """`90`, `"45s"`, `"30m"`, `"30 min"`, `"2h"`, `"1d"` → seconds. Raises ValueError."""
    if isinstance(value, bool):
        raise ValueError("not a duration")
    if isinstance(value, int | float):
        return _at_most_a_year(float(value))
    m = _INTERVAL.match(value)
    if not m:
        raise ValueError(f"not a duration: {value!r} (use e.g. 90, '45s', '30m', '2h', '1d')")
    return _at_most_a_year(float(m.group(1)) * _UNIT[(m.group(2) or "s")[0]])


def shown_interval(seconds: float) -> str:
    """An interval as a person would say it: `45 s`, `30 min`, `90 min`, `2 h`, `1 day`, `30 days` (the largest
    unit that divides it, minutes at least for a minute or more)."""
    for size, one, many in ((86400, "day", "days"), (3600, "h", "h"), (60, "min", "min")):
        if seconds >= size and (seconds % size == 0 or size == 60):
            n = seconds / size
            return f"{n:g} {one if n == 1 else many}"
    return f"{seconds:g} s"


_YEAR = 366 * 86400.0

MAX_COUNT = 2**53
"""The largest count or size a config key takes: every whole number up to it is exact as a float too (`2e6`);
beyond it, a typo (`1e400` is infinity)."""


def _at_most_a_year(seconds: float) -> float:
    """No interval of ours is longer than a year: a longer one is a typo (and past ~10^9 days, no date can hold
    it)."""
    if not seconds <= _YEAR:  # (also NaN)
        raise ValueError(f"{seconds:g}s is longer than a year")
    return seconds


# --- the reader: typed access that knows where each key is ---------------------------------------------------


class _Reader:
    def __init__(self, path: Path, text: str):
        self.path = path
        self.lines = text.splitlines()

    def fail(self, key: KeyPath, message: str) -> Any:
        raise self.problem(key, message)

    def problem(self, key: KeyPath, message: str) -> ConfigError:
        """The error `fail` raises, for a problem reported later rather than at once."""
        return ConfigError(message, path=str(self.path), key=_dotted(key), line=find_line(self.lines, key))

    def table(self, t: Any, key: KeyPath, allowed: set[str]) -> dict[str, Any]:
        if not isinstance(t, dict):
            self.fail(key, "must be a table")
        self.only(t, key, allowed)
        table: dict[str, Any] = t
        return table

    def sub(self, t: dict[str, Any], key: KeyPath, required: bool = False) -> dict[str, Any]:
        name = key[-1]
        if name not in t:
            if required:
                self.fail(key, f"missing required table [{_dotted(key)}]")
            return {}
        v = t[name]
        if not isinstance(v, dict):
            self.fail(key, "must be a table")
        table: dict[str, Any] = v
        return table

    def only(self, t: dict[str, Any], key: KeyPath, allowed: set[str]) -> None:
        for name in t:
            if name not in allowed:
                self.fail((*key, name), f"unknown key (expected one of: {', '.join(sorted(allowed))})")

    _MISSING: Any = object()

    def get(self, t: dict[str, Any], key: KeyPath, kind: type, default: Any = _MISSING) -> Any:
        name = key[-1]
        if name not in t:
            if default is self._MISSING:
                self.fail(key, "missing required key")
            return default
        v = t[name]
        ok = isinstance(v, kind) and not (kind in (int, float) and isinstance(v, bool))
        if not ok:
            self.fail(key, f"must be {_kind_name(kind)}, got {type(v).__name__} {v!r}")
        return v

    def positive(self, t: dict[str, Any], key: KeyPath, default: float) -> float:
        v = t.get(str(key[-1]), default)
        if isinstance(v, bool) or not isinstance(v, int | float) or v <= 0:
            self.fail(key, f"must be a positive number, got {v!r}")
        return float(v)

    def count(self, t: dict[str, Any], key: KeyPath, default: int) -> int:
        """A whole number of at least 1 (a count, a size in bytes, a rate): `0.5` would be rounded to 0, which
        turns a limit into one that refuses everything, or a divisor into a crash. `1e6` (a whole number written
        as a float) is taken."""
        v = t.get(str(key[-1]), default)
        whole = isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) and v == int(v)
        if not whole or not 1 <= v <= MAX_COUNT:
            self.fail(key, f"must be a whole number from 1 to {MAX_COUNT:,}, got {v!r}")
        return int(v)

    def interval(self, t: dict[str, Any], key: KeyPath, default: float) -> float:
        v = t.get(str(key[-1]), default)
        try:
            seconds = parse_interval(v)
        except (ValueError, TypeError) as e:
            return self.fail(key, str(e))  # type: ignore[no-any-return]
        if seconds <= 0:
            self.fail(key, "must be longer than zero")
        return seconds


def _kind_name(kind: type) -> str:
    return {str: "a string", bool: "true or false", list: "a list", int: "a whole number", float: "a number"}.get(
        kind, kind.__name__
    )


def _dotted(key: KeyPath) -> str:
    out = ""
    for part in key:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


_HEADER = re.compile(r"^\s*(\[\[?)\s*([^\]]+?)\s*\]\]?\s*(#.*)?$")
_KEY = re.compile(r"""^\s*("[^"]*"|'[^']*'|[A-Za-z0-9_-]+)\s*=""")


def find_line(lines: list[str], key: KeyPath) -> int | None:
    """Best-effort 1-based line of a key path in TOML source (tomllib keeps no positions).

    Walks the headers (`[a.b]`, `[[a]]`, counting array-of-table occurrences) to the table that holds the
    key, then looks for `name =` inside it; falls back to the table's header line.
    """
    names = [p for p in key if isinstance(p, str)]
    if not names:
        return None
    # Split into table path and final key, mapping integer indices onto [[array]] occurrences.
    table: list[str] = []
    index: int | None = None
    last: str | None = None
    for part in key:
        if isinstance(part, int):
            index = part
        else:
            if last is not None:
                table.append(last)
            last = part
    assert last is not None
    candidates: list[tuple[list[str], str | None]] = [(table, last), ([*table, last], None)]
    if table:
        candidates.append((table, None))  # a missing key: point at its table's header
    for candidate_table, candidate_key in candidates:
        line = _find_in_table(lines, candidate_table, candidate_key, index)
        if line is not None:
            return line
    if isinstance(key[-1], int) and len(key) > 1:  # an element of an array value (`allow = [...]`): its key's line
        return find_line(lines, key[:-1])
    return None


def _find_in_table(lines: list[str], table: list[str], key: str | None, index: int | None) -> int | None:
    current: list[str] = []
    seen: dict[str, int] = {}
    header_line: int | None = None
    want = ".".join(table)
    inside = not table
    for n, raw in enumerate(lines, start=1):
        h = _HEADER.match(raw)
        if h and not raw.lstrip().startswith("#"):
            name = ".".join(part.strip().strip("\"'") for part in h.group(2).split("."))
            if h.group(1) == "[[":
                seen[name] = seen.get(name, -1) + 1
            current = name.split(".")
            occurrence_ok = index is None or seen.get(want.split(".")[0], -1) == index or seen.get(want, -1) == index
            inside = ".".join(current) == want and occurrence_ok
            if inside:
                header_line = n
                if key is None:
                    return n
            continue
        if inside and key is not None:
            m = _KEY.match(raw)
            if m and m.group(1).strip("\"'") == key:
                return n
    return header_line if key is None else None
