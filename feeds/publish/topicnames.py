"""Topic names for publishing (pure): one slug per topic page, one name per slug, whichever spelling each release
gave its topics.

A topic's slug decides its page and feeds (`topics/<slug>/`); its name is what those documents and every entry's
category call it. Both are worked out here, once, and shared by the planner, the feeds, the pages and the CLI
(`feeds releases list`), so that one topic is called the same everywhere.

What this module must not do: read the clock, the store or the disk. Everything arrives as arguments.
"""

from __future__ import annotations

import functools
from collections import Counter
from collections.abc import Sequence
from datetime import datetime

from feeds.config import Settings
from feeds.model import Release
from feeds.normalise.topics import topic_slug as _topic_slug

topic_slug = functools.lru_cache(maxsize=4096)(_topic_slug)
"""Memoised: a plan asks for the slug of each release's topics several times (about 80,000 calls for 10,000
releases, a third of a no-op publish before this cache). Pure, so caching changes nothing but the time."""


def topic_names(releases: Sequence[Release], settings: Settings) -> dict[str, str]:
    """Each topic's name, by its slug: as the config names it, else as most of its releases spell it (not as the
    newest one happens to: one release tagged "IRAN" renamed the Iran feed). Ties: the spelling of the earliest
    release, which a newer release cannot change (one tagged "C#" renamed the feed its slug shares with "C++")."""
    spellings: dict[str, Counter[str]] = {}
    first_seen: dict[str, tuple[datetime, str]] = {}  # spelling → its earliest release (publication, id)
    for r in releases:
        for t in r.topics:
            spellings.setdefault(topic_slug(t), Counter())[t] += 1
            first_seen[t] = min(first_seen.get(t, (r.published, r.id)), (r.published, r.id))
    configured = configured_topic_names(settings)
    return {
        slug: configured.get(slug) or min(counts, key=lambda t: (-counts[t], first_seen[t]))
        for slug, counts in spellings.items()
    }


def configured_topic_names(settings: Settings) -> dict[str, str]:
    """The topics the config names (`topics.detect`, the aliases' topics), by slug."""
    return {topic_slug(n): n for n in (*settings.topics.detect, *(t for t, _ in settings.topics.aliases))}


def site_topic_names(releases: Sequence[Release], settings: Settings, now: datetime) -> dict[str, str]:
    """`topic_names` as a publish at `now` gives them (from the releases public by then), for what lists stored
    releases (`feeds releases list`); a topic that only releases still held back have is named as they spell it."""
    public = [r for r in releases if r.published <= now and not r.never_public]
    return topic_names(releases, settings) | topic_names(public, settings)
