"""Tags and titles of a watched feed as stored and published, from `--tag`/`--title`, the config file or an OPML
file: one line each, and of bounded length and number (a hostile OPML file's megabyte of title would otherwise be
shown on every line of `watch list`, coverage pages, match feeds and alert emails)."""

from __future__ import annotations

from collections.abc import Sequence

from feeds.normalise.text import one_line_text
from feeds.watch.feeditems import FEED_TITLE_CHARS, cut_text, visible_or_empty

MAX_TAGS = 20
"""Tags of one watched feed at most: the rest are left out."""
TAG_CHARS = 60
"""A tag's length at most: a longer one is cut."""


def checked_tags(tags: Sequence[str]) -> tuple[str, ...]:
    """Tags given on the command line, as `labels` stores them; ValueError for one holding a comma, too many or
    one too long (refused rather than cut: the person typing them can say what they meant)."""
    if any("," in t for t in tags):
        raise ValueError("a tag must not contain a comma (OPML exports separate tags with commas): give --tag twice")
    if problem := tags_note(tags):
        raise ValueError(f"--tag: {problem}")
    return labels(tags)


def checked_title(title: str) -> str:
    """A title given on the command line, as stored; ValueError when it is longer than `FEED_TITLE_CHARS`."""
    line = one_line_text(title)
    if len(line) > FEED_TITLE_CHARS:
        raise ValueError(f"--title is {len(line):,} characters long: at most {FEED_TITLE_CHARS}")
    return visible_or_empty(line)


def feed_title(title: str) -> tuple[str, str | None]:
    """A title from a file (OPML), as stored: one line, cut to `FEED_TITLE_CHARS`; and what was cut, if anything."""
    line = visible_or_empty(one_line_text(title))
    if len(line) <= FEED_TITLE_CHARS:
        return line, None
    return cut_text(line, FEED_TITLE_CHARS), f"its title is {len(line):,} characters long: cut to {FEED_TITLE_CHARS}"


def labels(tags: Sequence[str]) -> tuple[str, ...]:
    """Tags as stored and published: each one line, without the characters XML forbids (a control character
    typed into `--tag` or carried by an OPML file would stop every publish of the match feeds), once each, case
    aside (`World` and `world` are one tag, spelt as first given: `feed:` scopes match tags without case); at most
    `MAX_TAGS`, each at most `TAG_CHARS` long (`tags_note` says what was cut)."""
    kept: dict[str, str] = {}
    for t in tags:
        label = cut_text(visible_or_empty(one_line_text(t)), TAG_CHARS, "").rstrip()
        if label and label.casefold() not in kept:
            kept[label.casefold()] = label
            if len(kept) == MAX_TAGS:
                break
    return tuple(kept.values())


def tags_note(tags: Sequence[str]) -> str | None:
    """What `labels` cuts from these tags (too many, or too long), said for a warning; None when nothing."""
    lines = {one_line_text(t).casefold() for t in tags}
    lines.discard("")
    longest = max(map(len, lines), default=0)
    notes = []
    if len(lines) > MAX_TAGS:
        notes.append(f"{len(lines):,} tags: only the first {MAX_TAGS} are kept")
    if longest > TAG_CHARS:
        notes.append(f"a tag is {longest:,} characters long: cut to {TAG_CHARS}")
    return "; ".join(notes) or None
