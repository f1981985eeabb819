"""Embargo lines in the formats that are not plain text: HTML pages and fragments, Markdown.

A press officer writes an embargo the same way whatever the file: "EMBARGOED UNTIL 00:01 THURSDAY 3 DECEMBER
2026", "Not for publication before 10am on 4 December 2026", or "EMBARGOED" over a line with the time. So every
format reads it with plain text's grammar (`textfile`), and treats it as plain text does: its time is the
publication time (the release is held back until then), and an embargo without a usable date ("UNTIL FURTHER
NOTICE") is refused rather than published at once. The grammar is used from `textfile`, not copied, so the
formats cannot drift apart; it can move here once that module's current rework has landed.

What this module must not do: parse dates (the time goes to the normaliser as written), or decide where in a
document an embargo may stand (each format's reader knows its own headline).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from feeds.errors import InvalidReleaseError
from feeds.ingest.textfile import _EMBARGO, _EMBARGO_ALONE, _embargo_at

__all__ = ["embargo_at", "is_embargo_line"]


def is_embargo_line(text: str) -> bool:
    """Whether `text` (a line, a paragraph's text) is an embargo line, with or without its time: never a headline."""
    return _EMBARGO.match(text) is not None or _EMBARGO_ALONE.fullmatch(text.strip()) is not None


def embargo_at(
    lines: Sequence[str], index: int, *, origin: str, line_of: Callable[[int], int | None] | None = None
) -> tuple[str, int] | None:
    """(the embargo's time as written, the index of its last line) when `lines[index]` is an embargo line, else
    None. A bare "EMBARGOED" takes its time from the next non-empty line. `line_of` maps an index to the line of
    the file for errors (by default the index is the file's line, counting from 0).

    Raises InvalidReleaseError (field `embargo`) for an embargo that gives no date.
    """
    try:
        return _embargo_at(list(lines), index, origin=origin)
    except InvalidReleaseError as e:
        if line_of is None:
            raise
        raise InvalidReleaseError(e.message, origin=origin, field=e.field, line=line_of(index)) from e
