"""Typed access to a parsed TOML document that knows where each key is (tomllib keeps no positions).

`TableReader.fail` raises a `ConfigError` naming the file, the dotted key path and the line found by `find_line`; its
typed getters (`get`, `count`, `positive`, `interval`, `size`) refuse a value with what was most likely meant
(a number in quotes, a unit left out, a key under the wrong header). Durations are parsed and said here too
(`parse_interval`, `shown_interval`), as the CLI takes and shows them the same way.

What this module must not do: know a table's keys or defaults (`schema.py` and the table readers do), scan the
TOML source for positions (`positions.py`), or explain a file that is not valid TOML (`syntax.py`).
"""

from __future__ import annotations

import difflib
import math
import re
from collections.abc import Collection, Iterable, Mapping
from pathlib import Path
from typing import Any

from feeds.config.positions import find_line
from feeds.errors import ConfigError

KeyPath = tuple[str | int, ...]


_INTERVAL = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(s|sec|secs|seconds?|m|min|mins|minutes?|h|hours?|d|days?)?\s*$")
_UNIT = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_PART = re.compile(r"\s*(\d+(?:\.\d+)?)\s*(s|sec|secs|seconds?|m|min|mins|minutes?|h|hours?|d|days?)(?![a-z])")
_PARTS = re.compile(rf"(?:{_PART.pattern})+\s*")


def parse_interval(value: str | int | float) -> float:
    """`90`, `"45s"`, `"30m"`, `"30 min"`, `"2h"`, `"1h30m"`, `"1d"` → seconds. Raises ValueError."""
    if isinstance(value, bool):
        raise ValueError("not a duration")
    if isinstance(value, int | float):
        return _at_most_a_year(float(value))
    if re.fullmatch(r"\s*-\s*\d.*", value):  # "-5m"
        raise ValueError("must be longer than zero")
    m = _INTERVAL.match(value)
    if m:
        return _at_most_a_year(float(m.group(1)) * _UNIT[(m.group(2) or "s")[0]])
    # Several units, largest first, each once: "1h30m", "1h 30m", "2 h 15 min".
    parts = [(float(n), u[0]) for n, u in _PART.findall(value)] if _PARTS.fullmatch(value) else []
    order = [_UNIT[u] for _, u in parts]
    if len(parts) < 2 or order != sorted(set(order), reverse=True):
        raise ValueError(f"not a duration: {value!r} (use e.g. 90, '45s', '30m', '2h', '1h30m', '1d')")
    return _at_most_a_year(sum(n * _UNIT[u] for n, u in parts))


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


class TableReader:
    def __init__(self, path: Path, text: str, known: Mapping[str, Collection[str]] | None = None):
        self.path = path
        self.lines = text.splitlines()
        self.known = known or {}
        """Every table's keys, by the header they are written under (`[site]`): where a misplaced key belongs."""

    def fail(self, key: KeyPath, message: str) -> Any:
        raise self.problem(key, message)

    def problem(self, key: KeyPath, message: str) -> ConfigError:
        """The error `fail` raises, for a problem reported later rather than at once."""
        return ConfigError(message, path=str(self.path), key=dotted_key(key), line=find_line(self.lines, key))

    def table(self, t: Any, key: KeyPath, allowed: Collection[str]) -> dict[str, Any]:
        if not isinstance(t, dict):
            self.fail(key, "must be a table")
        self.only(t, key, allowed)
        table: dict[str, Any] = t
        return table

    def sub(self, t: dict[str, Any], key: KeyPath, required: bool = False) -> dict[str, Any]:
        name = key[-1]
        if name not in t:
            if required:
                self.fail(key, f"missing required table [{dotted_key(key)}]")
            return {}
        v = t[name]
        if not isinstance(v, dict):
            self.fail(key, "must be a table")
        table: dict[str, Any] = v
        return table

    def only(self, t: dict[str, Any], key: KeyPath, allowed: Collection[str]) -> None:
        for name in t:
            if name not in allowed:
                self.fail(
                    (*key, name),
                    f"unknown key{self._hint(name, allowed)} (expected one of: {', '.join(sorted(allowed))})",
                )

    def _hint(self, name: str, allowed: Collection[str]) -> str:
        """What the writer of an unknown key most likely meant: a key spelt nearly so here, or the tables whose key
        it is (a key belongs to the last `[header]` above it: one added at the end of the file lands in the last
        table)."""
        written = name.lower().replace("-", "_").replace(" ", "_")  # (keys are lowercase, words joined by _)
        close = [written] if written in allowed else difflib.get_close_matches(name, sorted(allowed), n=1, cutoff=0.75)
        close = close or [k for k in sorted(allowed) if k.startswith(name) and len(name) >= 3][:1]  # `user`
        if close:
            return f": did you mean {close[0]!r}?"
        homes = _headers(h for h, keys in self.known.items() if name in keys and set(keys) != set(allowed))
        if 0 < len(homes) <= 3:  # (not `name`, a key of most arrays of tables: the table is not what is wrong)
            return f" here: it belongs under {_either(homes)} (move it below that header)"
        others = sorted({k for keys in self.known.values() for k in keys} - {name})
        close = difflib.get_close_matches(name, others, 1, 0.8)
        homes = _headers(h for h, keys in self.known.items() if close and close[0] in keys)
        if 0 < len(homes) <= 3:
            return f": did you mean {close[0]!r} (under {_either(homes)})?"
        return ""

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
            if name in SECRET_KEYS:  # (never its value: config errors go to the log at every start and reload)
                self.fail(key, f"must be {_kind_name(kind)}, got {type(v).__name__}: write it in quotes")
            self.fail(key, f"must be {_kind_name(kind)}, got {type(v).__name__} {v!r}{quoting(key, v, kind)}")
        return v

    def positive(
        self, t: dict[str, Any], key: KeyPath, default: float, *, ceiling: float | None = None, unit: str = ""
    ) -> float:
        """A number above zero, and finite: TOML's `nan` and `inf` are numbers too, and no bar or date can be
        worked out from them. At most `ceiling` when given (`unit`: what it counts, shown after it)."""
        v = t.get(str(key[-1]), default)
        if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) or v <= 0:
            self.fail(key, f"must be a positive number, got {v!r}{quoting(key, v, float)}")
        if ceiling is not None and v > ceiling:
            self.fail(key, f"must be at most {ceiling:g}{unit}, got {v:g}")
        return float(v)

    def count(self, t: dict[str, Any], key: KeyPath, default: int) -> int:
        """A whole number of at least 1 (a count, a size in bytes, a rate): `0.5` would be rounded to 0, which
        turns a limit into one that refuses everything, or a divisor into a crash. `1e6` (a whole number written
        as a float) is taken."""
        v = t.get(str(key[-1]), default)
        whole = isinstance(v, int | float) and not isinstance(v, bool) and math.isfinite(v) and v == int(v)
        if not whole or not 1 <= v <= MAX_COUNT:
            self.fail(key, f"must be a whole number from 1 to {MAX_COUNT:,}, got {v!r}{quoting(key, v, int)}")
        return int(v)

    def interval(
        self,
        t: dict[str, Any],
        key: KeyPath,
        default: float,
        *,
        floor: float = 0.0,
        ceiling: float | None = None,
        because: str = "",
    ) -> float:
        """A duration in seconds, from `floor` to `ceiling` when given (`because`: why the floor, in brackets after
        it). One outside them is refused with the value as read (`10 s`) and, for a number written without a unit,
        the unit it likely meant: minutes below the floor (`"10m"`), milliseconds above the ceiling (`"5s"`)."""
        v = t.get(str(key[-1]), default)
        try:
            seconds = parse_interval(v)
        except (ValueError, TypeError) as e:
            return self.fail(key, str(e))  # type: ignore[no-any-return]
        if seconds <= 0:
            self.fail(key, "must be longer than zero")
        if seconds < floor:
            why = f" ({because})" if because else ""
            self.fail(
                key,
                f"must be at least {_bound(floor)}{why}, got {_bound(seconds)}{_meant(v, floor, ceiling)}",
            )
        if ceiling is not None and seconds > ceiling:
            self.fail(key, f"must be at most {_bound(ceiling)}, got {_bound(seconds)}{_meant(v, floor, ceiling)}")
        return seconds

    def size(self, t: dict[str, Any], key: KeyPath, default: int, *, floor: int, ceiling: int) -> int:
        """A size in bytes (a whole number, as `count` takes it) from `floor` to `ceiling`. One below its floor
        (`max_bytes = 10`, meant as MiB) is answered with the bytes it likely meant: in the unit that brings it
        nearest the default."""
        n = self.count(t, key, default)
        if floor <= n <= ceiling:
            return n
        name = key[-1]
        hint = " (a number alone is bytes)"
        units = [(u, f) for u, f in (("KiB", 1024), ("MiB", 1024**2), ("GiB", 1024**3)) if floor <= n * f <= ceiling]
        if n < floor and units:  # (the unit that makes it nearest the default: `max_body = 1` is 1 MiB)
            unit, factor = min(units, key=lambda u: abs(math.log(n * u[1] / default)))
            hint = f"; did you mean {n:,} {unit}, {name} = {n * factor}? (a number alone is bytes)"
        if n < floor:
            self.fail(key, f"must be at least {_bytes(floor)} ({floor}), got {n} byte{'' if n == 1 else 's'}{hint}")
        return self.fail(key, f"must be at most {_bytes(ceiling)} ({ceiling}), got {n}")  # type: ignore[no-any-return]


def _bound(seconds: float) -> str:
    """A duration in an error, as `shown_interval` says it, but in seconds when it is not a whole number of
    minutes (`190 s` rather than `3.16667 min`)."""
    return f"{seconds:g} s" if seconds > 60 and seconds % 60 else shown_interval(seconds)


def _bytes(n: int) -> str:
    """A size as people write it: `64 KiB`, `1 GiB` (the largest binary unit that divides it), else bytes."""
    for unit, factor in (("GiB", 1024**3), ("MiB", 1024**2), ("KiB", 1024)):
        if n >= factor and n % factor == 0:
            return f"{n // factor:,} {unit}"
    return f"{n:,} bytes"


def _meant(v: Any, floor: float, ceiling: float | None) -> str:
    """For a duration written as a number alone, which is seconds: what it likely meant, as a hint, or "". Below
    its floor, the smallest unit that brings it within its bounds (`publish_interval = 10`, meant as minutes:
    `; did you mean "10m"?`; not for less than 1, which is seconds meant); above its ceiling, milliseconds
    (`read_timeout = 30000`: `; did you mean "30s"?`)."""
    if isinstance(v, str) and re.fullmatch(r"\s*\d+(?:\.\d+)?\s*", v):
        v = float(v)
    if isinstance(v, bool) or not isinstance(v, int | float):
        return ""
    top = ceiling if ceiling is not None else _YEAR
    if v > top:
        if floor <= v / 1000 <= top:
            return f'; did you mean "{v / 1000:g}s"? (a number alone is seconds, not milliseconds)'
        return " (a number alone is seconds)"
    for unit, size in (("m", 60), ("h", 3600), ("d", 86400)):
        if v >= 1 and floor <= v * size <= top:
            return f'; did you mean "{v:g}{unit}"? (a number alone is seconds)'
    return " (a number alone is seconds)"


def _headers(headers: Iterable[str]) -> list[str]:
    """Table headers as written in the file, once each (`[[sources]] of type "folder"` is `[[sources]]`)."""
    return list(dict.fromkeys(h.split(" of type ")[0] for h in headers))


def _either(items: list[str]) -> str:
    return ", ".join(items[:-1]) + (" or " if len(items) > 1 else "") + items[-1]


_NUMBER = re.compile(r"[+-]?(\d[\d_]*)(\.\d+)?([eE][+-]?\d+)?")
_WITH_UNIT = re.compile(r"\s*(\d+(?:\.\d+)?)\s*[a-zA-Z]+\s*")


SECRET_KEYS = frozenset(("password", "secret", "api_token"))
"""Keys whose values a config error never shows."""


def quoting(key: KeyPath, v: Any, kind: type) -> str:
    """How to write a value that is of the wrong type only by its quotes (`port = "8080"`, `host = 8080`,
    `move = "false"`), or "" for a value wrong in itself."""
    name = key[-1]
    if kind in (int, float) and isinstance(v, str) and _NUMBER.fullmatch(v.strip()):
        return f": write the number without quotes, {name} = {v.strip()}"
    if kind in (int, float) and isinstance(v, str) and (m := _WITH_UNIT.fullmatch(v)):
        return f": a plain number, without a unit or quotes, {name} = {m.group(1)}"
    if kind is bool and isinstance(v, str) and v.strip().lower() in ("true", "false"):
        return f": write it without quotes, {name} = {v.strip().lower()}"
    if kind is list and isinstance(v, str | int | float) and not isinstance(v, bool):
        return f": a list, even of one: {name} = [{_toml_value(v)}]"
    if kind is str and isinstance(v, int | float) and not isinstance(v, bool):
        return f': a text value goes in quotes, {name} = "{v}"'
    return ""


def _toml_value(v: str | int | float) -> str:
    return '"' + v.replace("\\", "\\\\").replace('"', '\\"') + '"' if isinstance(v, str) else str(v)


def _kind_name(kind: type) -> str:
    return {str: "a string", bool: "true or false", list: "a list", int: "a whole number", float: "a number"}.get(
        kind, kind.__name__
    )


def dotted_key(key: KeyPath) -> str:
    out = ""
    for part in key:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out
