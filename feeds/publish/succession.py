"""Organisation succession for publishing (pure): which organisation's feed carries whose releases.

    [organisations.succeeded_by] ──succession_of──► Succession: old folder → successor's, each folder's current

A renamed or merged organisation (the Department for International Development into the Foreign, Commonwealth &
Development Office) is one department under several names. Its current name's feed carries the releases of every
name it succeeded (its archive is the department's whole history); an old name's feed goes on at its address,
with its id, carrying its successors' releases from its own last one on (its subscribers keep getting the
department's news); the index, the OPML list and the release pages offer the current name's feed only. Names are
told apart as their feeds' folders are (`topic_slug`). A release keeps the organisation it was published under.

What this module must not do: read the clock, the store or the disk, or rewrite a release's organisation.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from feeds.config import OrganisationSettings
from feeds.fold import fold
from feeds.model import Release
from feeds.publish.topicnames import topic_slug


@dataclass(frozen=True, slots=True)
class Succession:
    next_of: Mapping[str, str]
    """An old name's folder → its direct successor's."""
    names: Mapping[str, str]
    """Each folder the table names → the name it writes it with (a successor with no release yet is named so)."""

    def current(self, slug: str) -> str:
        """The folder of the name organisation `slug` is known by today (`slug` itself when not succeeded)."""
        while slug in self.next_of:  # (the config refuses a cycle)
            slug = self.next_of[slug]
        return slug

    def successors(self, slug: str) -> list[str]:
        """The folders of the names that succeeded `slug`, one after the other, the current one last."""
        chain = []
        while slug in self.next_of:
            slug = self.next_of[slug]
            chain.append(slug)
        return chain

    def chain(self, slug: str) -> list[str]:
        """The names of `slug` and of those that succeeded it, as the table writes them, the current one last."""
        return [self.names.get(s, s) for s in [slug, *self.successors(slug)]]

    def first_names(self) -> list[str]:
        """The folders of the old names no name was succeeded by, in the table's order: each starts a chain that
        takes in every other old name (`BIS` → `BEIS` → `DBT` starts at `BIS`)."""
        later = set(self.next_of.values())
        return [slug for slug in self.next_of if slug not in later]

    def old_name_note(self, slug: str) -> str | None:
        """Why forgetting old name `slug`'s feed is pointless while it has releases (None for a name not
        succeeded): its feed goes on by design, for its subscribers."""
        if slug not in self.next_of:
            return None
        old, successor, *later = self.chain(slug)
        now, whose = (f" (now {later[-1]})", "its successors'") if later else ("", f"{successor}'s")
        return (
            f"{old} is succeeded by {successor}{now} ([organisations.succeeded_by]): its releases keep their"
            f" organisation, and its feed goes on for its subscribers with {whose} releases, offered on no index,"
            " OPML list or release page: there is nothing to forget, unless the name was never meant to be published"
        )

    def feed_releases(self, slug: str, by_org: Mapping[str, Sequence[Release]]) -> tuple[Release, ...]:
        """What organisation `slug`'s feed carries (`by_org`: each folder's own releases). A current name: its own
        and those of every name it succeeded. An old name: its own, and its successors' published after its last
        (not a sibling's of before the merger, nor the successor's own past, which its subscribers never had)."""
        own = tuple(by_org.get(slug, ()))
        if slug in self.next_of:
            last = max((r.published for r in own), default=None)
            later = (r for s in self.successors(slug) for r in by_org.get(s, ()) if last is None or r.published > last)
            return own + tuple(later)
        return own + tuple(r for s, rs in by_org.items() if s != slug and self.current(s) == slug for r in rs)


@functools.lru_cache(maxsize=8)
def succession_of(organisations: OrganisationSettings) -> Succession:
    """The config's table by folder (memoised: the planner asks once per release page)."""
    next_of = {topic_slug(old): topic_slug(new) for old, new in organisations.succeeded_by}
    names: dict[str, str] = {}
    for old, new in organisations.succeeded_by:
        names.setdefault(topic_slug(old), old)
        names.setdefault(topic_slug(new), new)
    return Succession(next_of=next_of, names=names)


@dataclass(frozen=True, slots=True)
class Organisation:
    """An organisation as `feeds organisations` lists it."""

    name: str
    slug: str
    releases: int
    """Its own releases (published under this name)."""
    succeeded_by: str | None
    """The name that succeeded it, as the config writes it; None for a current name."""
    current: str
    """The name it is known by today (the last of its chain; its own when current)."""

    @property
    def path(self) -> str:
        return f"organisations/{self.slug}/"


def organisations(
    releases: Sequence[Release], published: Mapping[str, str], settings: OrganisationSettings
) -> list[Organisation]:
    """Every organisation a release is from, whose feed was published (`published`: names by folder) or that the
    succession table names, by name as the lists of feeds order them; each old name with its successor."""
    succession = succession_of(settings)
    counts: dict[str, int] = {}
    names = dict(published) | dict(succession.names)
    for r in releases:
        slug = topic_slug(r.organisation)
        counts[slug] = counts.get(slug, 0) + 1
        names.setdefault(slug, r.organisation)
    listed = [
        Organisation(
            name=name,
            slug=slug,
            releases=counts.get(slug, 0),
            succeeded_by=names[succession.next_of[slug]] if slug in succession.next_of else None,
            current=names[succession.current(slug)],
        )
        for slug, name in names.items()
    ]
    return sorted(listed, key=lambda o: (fold(o.name), o.slug))
