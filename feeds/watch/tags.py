"""Tags of a watched feed as stored and published, from `--tag`, the config file or an OPML file."""

from __future__ import annotations

from collections.abc import Sequence

from feeds.normalise.text import one_line_text


def checked_tags(tags: Sequence[str]) -> tuple[str, ...]:
    """Tags given on the command line, as `labels` stores them; ValueError for one holding a comma."""
    if any("," in t for t in tags):
        raise ValueError("a tag must not contain a comma (OPML exports separate tags with commas): give --tag twice")
    return labels(tags)


def labels(tags: Sequence[str]) -> tuple[str, ...]:
    """Tags as stored and published: each one line, without the characters XML forbids (a control character
    typed into `--tag` or carried by an OPML file would stop every publish of the match feeds), once each, case
    aside (`World` and `world` are one tag, spelt as first given: `feed:` scopes match tags without case)."""
    kept: dict[str, str] = {}
    for t in tags:
        if (label := one_line_text(t)) and label.casefold() not in kept:
            kept[label.casefold()] = label
    return tuple(kept.values())
