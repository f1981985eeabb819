"""Markdown release files (`.md`) → `RawRelease`: `textfile`'s front matter and headline, plus what Markdown
needs on top of it.

`textfile.release_from_markdown` reads the front matter and the title. Two things it does for plain text are
wrong for Markdown, and are put right here (kept apart from `textfile`, whose plain-text reading is being
reworked):
- an embargo line at the top ("**EMBARGOED UNTIL 00:01 1 DECEMBER 2026**", above or just below the `# Heading`,
  or opening the text under a front-matter title) was published as the first paragraph, and at once: it is
  read as in plain text (`embargo.embargo_at`) and taken out; its time is the publication time, ahead of a
  front-matter `date` (an embargo written in the text is what holds the release back);
- trailing spaces were stripped from every line, and two of them are a hard line break in CommonMark: the
  body keeps its lines as written.

What this module must not do: parse dates or render Markdown (the normaliser does both), or read the front
matter itself.
"""

from __future__ import annotations

import dataclasses
import re

from feeds.ingest import textfile
from feeds.ingest.embargo import embargo_at
from feeds.model import RawRelease
from feeds.normalise.text import is_label

__all__ = ["release_from_markdown"]

_FENCES = {"+++": ("+++",), "---": ("---", "...")}  # (as textfile reads front matter)
# A line's Markdown block markers, which are not text: "# EMBARGOED UNTIL …", "> Embargoed until …".
_BLOCK_MARK = re.compile(r"^ {0,3}(?:#{1,6}(?:[ \t]+|$)|>[ \t]?)")
_ATX_HEADING = re.compile(r"^ {0,3}#{1,6}(?:[ \t]|$)")
_SETEXT_UNDERLINE = re.compile(r"^ {0,3}(?:=+|-+)[ \t]*$")


def release_from_markdown(text: str, *, source: str, origin: str) -> RawRelease:
    """Optional front matter, then Markdown; title from front matter or a leading `# Heading`; an embargo line at
    the top gives the publication time."""
    lines = text.split("\n")
    embargo = _take_embargo(lines, _after_front_matter(lines), origin=origin)  # (blanks its lines in `lines`)
    raw = textfile.release_from_markdown("\n".join(lines), source=source, origin=origin)
    body = _verbatim_body(raw, lines)
    if embargo is None:
        return dataclasses.replace(raw, body=body)
    when, line = embargo
    recorded = tuple((field, n) for field, n in raw.lines if field != "published")
    return dataclasses.replace(raw, body=body, published=when, lines=(*recorded, ("published", line)))


def _after_front_matter(lines: list[str]) -> int:
    """The index of the first line after the front matter (0 without one, or with one left open: textfile says
    what is wrong with it)."""
    closers = _FENCES.get(lines[0].rstrip()) if lines else None
    if closers is None:
        return 0
    end = next((i for i in range(1, len(lines)) if lines[i].rstrip() in closers), None)
    return 0 if end is None else end + 1


def _take_embargo(lines: list[str], start: int, *, origin: str) -> tuple[str, int] | None:
    """(time, 1-based line) of the first embargo line at the top of the text, as plain text finds one: above the
    headline (around a label such as "Press release") or just below it; with a front-matter title the text's
    first lines are below it. Every embargo line found there is blanked in `lines` (line numbers stay)."""
    text = [_BLOCK_MARK.sub("", line) for line in lines]
    found: tuple[str, int] | None = None
    index = _next_line(lines, start)
    heading = label = False
    while index is not None:
        embargo = embargo_at(text, index, origin=origin)
        if embargo is not None:
            when, last = embargo
            found = found or (when, index + 1)
            lines[index : last + 1] = [""] * (last + 1 - index)
            index = _next_line(lines, last + 1)
            continue
        if heading:
            break  # only the line just below the headline
        if not label and is_label(text[index]):
            label, index = True, _next_line(lines, index + 1)
        elif _ATX_HEADING.match(lines[index]):
            heading, index = True, _next_line(lines, index + 1)
        elif index + 1 < len(lines) and _SETEXT_UNDERLINE.match(lines[index + 1]) and lines[index].strip():
            heading, index = True, _next_line(lines, index + 2)
        else:
            break
    return found


def _next_line(lines: list[str], start: int) -> int | None:
    return next((i for i in range(start, len(lines)) if lines[i].strip()), None)


def _verbatim_body(raw: RawRelease, lines: list[str]) -> str | None:
    """The body `textfile` found, with its lines as written (trailing spaces kept: two make a hard line break);
    its own body when the two differ otherwise (that reading changed: it is trusted)."""
    start = raw.line_of("body")
    if start is None or raw.body is None:
        return raw.body
    end = len(lines)
    while end > start - 1 and not lines[end - 1].strip():
        end -= 1
    verbatim = lines[start - 1 : end]
    if "\n".join(line.rstrip() for line in verbatim) != raw.body:
        return raw.body
    return "\n".join(verbatim)
