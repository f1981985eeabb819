"""Range requests (RFC 9110 §14): one byte range of a file's answer, as a download resumed or a file read in parts.

Only a single range is served; several ranges, other units, or a `Range` that cannot be read get the whole file
(`200`), which RFC 9110 §14.2 allows. `If-Range` matches by strong ETag only: a date, or a weak tag, gets the
whole file, which is always safe.

What this module must not do: read files or answer requests (static.py does, with what `byte_range` says).
"""

from __future__ import annotations

UNSATISFIABLE = (-1, -1)
"""`byte_range`'s answer for a range that starts past the end (a 416)."""


def byte_range(header: str | None, if_range: str | None, etag: str, size: int) -> tuple[int, int] | None:
    """The (first, last) byte positions, inclusive, that `header` asks for of `size` bytes whose ETag is `etag`;
    `UNSATISFIABLE` when none of them exists; None for the whole file (no range, one that cannot be read or is
    not one range of bytes, or an `If-Range` other than `etag`)."""
    if not header or (if_range is not None and if_range.strip() != etag):
        return None
    unit, _, spec = header.partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    first_text, dash, last_text = (p.strip() for p in spec.strip().partition("-"))
    if not dash or not all(_position(t) for t in (first_text, last_text) if t):
        return None
    if not first_text:  # `-n`: the last n bytes
        if not last_text:
            return None
        n = int(last_text)
        return (max(size - n, 0), size - 1) if n and size else UNSATISFIABLE
    first = int(first_text)
    if last_text and int(last_text) < first:  # (not a range at all: ignored)
        return None
    if first >= size:
        return UNSATISFIABLE
    return (first, min(int(last_text), size - 1) if last_text else size - 1)


def _position(text: str) -> bool:
    """Whether `text` is a byte position: ASCII digits (`isdigit` takes `²`, which `int` refuses), and few enough
    for `int` (which refuses over 4,300 digits) and for any file."""
    return text.isascii() and text.isdigit() and len(text) <= 18
