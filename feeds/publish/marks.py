"""What earlier publishes put out of each feed, and what this one adds (pure): a feed's `updated` never goes back,
and a topic's or an organisation's feeds outlive its last release.

    Store.published_feeds() ──► PublishedFeeds(known) ──plan_site──► .changed ──► Store.keep_published_feeds()

A feed's `updated` (Atom `<updated>`, RSS `pubDate`/`lastBuildDate`) is its newest entry's, but never earlier than
it was published with before: a topic that loses its newest release (re-tagged, or withdrawn before it went public)
kept the same address, and a reader that re-reads a feed only when `updated` moves on took one that went back in
time as stale. Removing an entry does not move it on: no reader takes an entry back, so there is nothing new to read.
Being kept in the store (and read, not the clock), the same store gives the same bytes on every publish and every
daemon.

It also keeps the domain the feeds' ids were first made with (`ID_DOMAIN`, see `PublishedFeeds.id_domain`): a
feed's Atom id is permanent, and without `site.id_domain` the domain is `base_url`'s host, which a move changes
(`id_domain_moved` says so to the operator).

What this module must not do: read the clock or the store; it is handed what the store holds and says what to keep.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime

from feeds.model import PublishedFeed

ID_DOMAIN = "site:id_domain"
"""The record (among the feeds', as the domain is part of every feed's id) of the domain the feeds' ids were first
made with, in its `name`; never a feed (no kind's prefix)."""


def id_domain_moved(site_domain: str, id_domain_set: bool, known: Mapping[str, PublishedFeed]) -> str | None:
    """What to tell the operator when `base_url`'s host (`site_domain`) is not the domain the feeds' ids were first
    published with and `site.id_domain` is not set, else None: `feeds check-config` and the daemon's start say it.

    The feeds keep the recorded domain in their ids; new releases' ids take the new host, by design: a `tag:` URI's
    authority must be a domain its minter owns on the date in it (RFC 4151 §2.1), and after a move the old one may
    be somebody else's; ids are opaque (RFC 4287 §4.2.6), compared whole. Silently, the operator learnt only from
    the ids that new releases were named under another domain than the others."""
    kept = known.get(ID_DOMAIN)
    recorded = kept.name if kept is not None else None
    if id_domain_set or not recorded or recorded.lower() == site_domain.lower():
        return None
    return (
        f"site.base_url's host {site_domain!r} is not {recorded!r}, the domain the feeds' ids were first published"
        f" with (kept in the database), and site.id_domain is not set: the feeds keep {recorded!r} in their ids,"
        f" but new releases' ids take {site_domain!r}. Set site.id_domain = {recorded!r} while that domain is"
        " still yours, so every new id keeps it (README: Moving the site); not the new host, which would give every"
        " feed a new id"
    )


@dataclass
class PublishedFeeds:
    known: Mapping[str, PublishedFeed] = field(default_factory=dict)
    """As the store holds them (`Store.published_feeds`), by feed key."""
    changed: dict[str, PublishedFeed] = field(default_factory=dict)
    """What this publish moves on or adds, for the caller to keep (`Store.keep_published_feeds`)."""

    def updated(self, key: str, newest: datetime, name: str | None = None, *, empty: bool = False) -> datetime:
        """The `updated` feed `key` is published with: `newest` (its newest entry's), or the highest it was published
        with before if that is later. `name`: a topic's or an organisation's name, kept for when it has no release
        left. A feed never
        published and `empty` is not recorded (an empty custom feed would otherwise be written on every publish)."""
        before = self.known.get(key)
        if before is None:
            if empty:
                return newest
            after = PublishedFeed(key, newest, name)
        else:
            after = PublishedFeed(key, max(newest, before.updated), name or before.name)
        if after != before:
            self.changed[key] = after
        return after.updated

    def id_domain(self, proposed: str) -> str:
        """The domain of the feeds' ids: the one they were first published with, else `proposed` (`site.domain`),
        kept from this publish on. A site moved to another domain without `site.id_domain` gave every feed a new
        Atom id (RFC 4287 §4.2.6: permanent), which its readers may take for another feed."""
        kept = self.known.get(ID_DOMAIN)
        if kept is not None and kept.name:
            return kept.name
        self.changed[ID_DOMAIN] = PublishedFeed(ID_DOMAIN, datetime(2000, 1, 1, tzinfo=UTC), proposed)
        return proposed

    def topics(self) -> dict[str, PublishedFeed]:
        """Every topic ever published, by its slug (`topic:<slug>`): their feeds and pages stay, empty or not."""
        return self._of_kind("topic:")

    def organisations(self) -> dict[str, PublishedFeed]:
        """Every organisation ever published with its name, by its slug (`org:<slug>`): their feeds stay, empty or
        not. One recorded without a name (before names were kept for organisations) had no release left then and
        its feed was gone already: it is not brought back under its slug."""
        return {slug: f for slug, f in self._of_kind("org:").items() if f.name}

    def languages(self) -> set[str]:
        """Every language whose feed (`lang:<code>`, `cy/atom.xml`) was ever published: they stay, empty or not."""
        return set(self._of_kind("lang:"))

    def _of_kind(self, prefix: str) -> dict[str, PublishedFeed]:
        return {key.removeprefix(prefix): f for key, f in self.known.items() if key.startswith(prefix)}
