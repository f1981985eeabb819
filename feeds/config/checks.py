"""The checks more than one table's reader makes: a URL's host, text an XML feed can carry, a path relative to the
config file, an array of tables, a number of days kept.

`malformed_host` and `xml_forbidden` say what is wrong, for the caller to report at its own key; `table_array` and
`days_kept` take the reader and fail through it (file, key path, line); `resolve_path` makes a path written relative to
the config file absolute. A mistake so reads the same whatever table it is in.

What this module must not do: know a table's keys or defaults (its reader's own), or hold a check only one table
makes.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from feeds.config.reader import KeyPath, TableReader, dotted_key, quoting
from feeds.config.schema import MOST_DAYS


def malformed_host(url: str) -> str | None:
    """What makes an http(s) URL's host or port one no browser or server can use (no host, a space or an escape
    in the host, a port out of range), or None."""
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018  (raises for a port out of range or not a number)
    except ValueError as e:
        return f"not a valid URL: {e}"
    host = parts.hostname or ""
    if not host:
        return "not a valid URL: it names no host"
    if any(c.isspace() or c in '<>"{}|\\^`%' for c in host):
        return f"not a valid URL: the host {host!r} is malformed"
    return None


def xml_forbidden(text: str) -> bool:
    """Whether `text` holds a character XML 1.0 cannot carry (C0 controls but tab and line breaks, U+FFFE…)."""
    from feeds.normalise.text import xml_safe

    return xml_safe(text) != text


def table_array(r: TableReader, t: dict[str, Any], key: KeyPath) -> list[dict[str, Any]]:
    items = t.get(str(key[-1]), [])
    if not isinstance(items, list) or not all(isinstance(x, dict) for x in items):
        r.fail(key, f"must be an array of tables: [[{dotted_key(key)}]]")
    tables: list[dict[str, Any]] = items
    return tables


def days_kept(r: TableReader, t: dict[str, Any], key: KeyPath, default: float, floors: Mapping[str, float]) -> float:
    """A retention in days: 0 keeps for ever; otherwise at least a day, and at least each of `floors` (what
    would break if less, by name → days)."""
    v = t.get(str(key[-1]), default)
    if isinstance(v, bool) or not isinstance(v, int | float) or not math.isfinite(v) or v < 0:
        r.fail(key, f"must be a number of days (0: kept for ever), got {v!r}{quoting(key, v, float)}")
    if v == 0:
        return 0.0
    if v > MOST_DAYS:
        r.fail(key, f"must be at most {MOST_DAYS:g} days (0: kept for ever), got {v:g}")
    need, why = max(((days, name) for name, days in floors.items()), default=(1.0, ""))
    least = max(need, 1.0)
    if v < least:
        because = f" ({why})" if why else ""
        days = f"{least:g} day{'' if least == 1 else 's'}"
        r.fail(key, f"must be 0 (kept for ever) or at least {days}{because}, got {v!r}")
    return float(v)


def resolve_path(base: Path, value: str) -> Path:
    p = Path(value).expanduser()
    return p if p.is_absolute() else (base / p).resolve()
