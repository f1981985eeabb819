"""Where the reader of a digest finds the matches it carries without listing them (`DIGEST_LISTED` at most are
listed, the newest): a feed of the site that holds every one of them, or else the command that lists them.

A feed lists only its newest `publish.entries` (50): the all-matches feed seldom holds what a digest of 500 leaves
out, but the feed of a quiet rule may hold all of its matches. A feed is named only when, as the store stands
when the digest is sent, it holds every unlisted match (it is published from the same store); otherwise
`feeds matches list --since <when the first was found>` (with `--rule`, `--release` or `--kind` when they share
one) lists them, among the other matches found since (those listed, and any the destination does not take). No
other web page shows them: none is invented.

What this module must not do: render the message (`feeds.alerts.render`), or write to the store.
"""

from __future__ import annotations

import shlex
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from feeds.clock import rfc3339
from feeds.normalise.ids import rule_slug
from feeds.publish.spec import FEED_FILES

if TYPE_CHECKING:
    from feeds.config.settings import Settings
    from feeds.store import Store
    from feeds.store.digests import SubjectSpan


@dataclass(frozen=True, slots=True)
class UnlistedFeed:
    """A feed holding some of the unlisted matches: `rule` is the keyword rule it is of (None: all matches)."""

    rule: str | None
    url: str


@dataclass(frozen=True, slots=True)
class Unlisted:
    """The matches a digest carries without listing them, and where to find them."""

    count: int
    first_found: datetime
    last_found: datetime
    feeds: tuple[UnlistedFeed, ...]
    """Feeds holding every unlisted match between them; empty when none does (then `command`)."""
    feed_size: int
    """How many matches a feed lists (`publish.entries`), its newest."""
    command: str
    """`feeds matches list --rule sanctions --since 2026-11-28T12:00:00Z`: lists them all, among the other
    matches found since."""


def where_unlisted(store: Store, settings: Settings, match_ids: Sequence[int]) -> Unlisted | None:
    """Where the matches `match_ids` (a digest's unlisted ones) are to be found; None when there are none."""
    spans = store.match_spans(match_ids)
    if not spans:
        return None
    first = min(s.first_found for s in spans)
    size = settings.publish.entries
    base = settings.site.base_url
    file = FEED_FILES[settings.publish.formats[0]]
    feeds: tuple[UnlistedFeed, ...] = ()
    if store.matches_found_since(first) <= size:
        feeds = (UnlistedFeed(None, f"{base}matches/{file}"),)
    elif all(s.kind == "keyword" for s in spans) and _rule_feeds_hold(store, spans, size):
        feeds = tuple(UnlistedFeed(s.subject, f"{base}matches/rules/{rule_slug(s.subject)}/{file}") for s in spans)
    return Unlisted(
        count=sum(s.count for s in spans),
        first_found=first,
        last_found=max(s.last_found for s in spans),
        feeds=feeds,
        feed_size=size,
        command=_command(spans, first),
    )


def _rule_feeds_hold(store: Store, spans: Sequence[SubjectSpan], size: int) -> bool:
    """Whether each rule's feed holds its unlisted matches: no more than `size` of its matches were found since
    its first unlisted one, and its feed's folder is its own (rules stored before names sharing a folder were
    refused have a suffixed folder, not named here)."""
    names = {r.name for r in store.rules()} | {s.subject for s in spans}
    slugs = [rule_slug(name) for name in names]
    for s in spans:
        if slugs.count(rule_slug(s.subject)) > 1:
            return False
        if store.matches_found_since(s.first_found, kind="keyword", subject=s.subject) > size:
            return False
    return True


def _command(spans: Sequence[SubjectSpan], first: datetime) -> str:
    """The `feeds matches list` that lists every unlisted match, narrowed to their rule or release if they share
    one (`--rule`, `--release`), or to keyword matches if they all are."""
    words = ["feeds", "matches", "list"]
    subjects = {(s.kind == "keyword", s.subject) for s in spans}
    if len(subjects) == 1:
        ((keyword, subject),) = subjects
        words += ["--rule" if keyword else "--release", subject]
    elif all(s.kind == "keyword" for s in spans):
        words += ["--kind", "keyword"]
    words += ["--since", rfc3339(first)]
    return shlex.join(words)
