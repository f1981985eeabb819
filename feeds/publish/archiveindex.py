"""The archive's groups, kept up to date from the releases that changed (pure, in memory): what a daemon's publish
after one new release needs of 40,000 releases without going through them again.

    ArchiveIndex.update(releases) ──► each group's releases, newest first: the whole site ("all"), each topic
        ("t:<slug>"), organisation ("o:<slug>"), language ("l:<subtag>"), year ("y:<year>") and month
        ("m:<year>-<mm>", in the site's time zone); each group's releases by last update; the pictures shown

A plan used to group the releases again for each of its subjects (the topics' names, the feeds' groups, the year
and month pages, the newest of each feed, the news sitemap's window, the pictures shown): some fifteen passes over
the archive per publish. The index compares the releases it is given with those it holds (the same objects, or
equal ones), moves only those that changed between groups, and keeps each group's order, so that a group no change
touched is the same tuple as last time (`PlanMemo.derived` then reuses what was worked out of it).

An index given releases nothing like its own (another site, the first plan of a process) is rebuilt: what it
holds is always what a fresh index built from the same releases holds.

What this module must not do: read the clock, the store or the disk.
"""

from __future__ import annotations

import bisect
import operator
from collections import Counter
from collections.abc import Callable, Sequence
from datetime import datetime, tzinfo

from feeds.clock import ensure_utc
from feeds.model import Release
from feeds.publish.sitefeeds import primary_subtag
from feeds.publish.topicnames import topic_slug

__all__ = ["ALL", "ArchiveIndex"]

ALL = "all"

_by_publication: Callable[[Release], tuple[datetime, str]] = operator.attrgetter("published", "id")
_by_update: Callable[[Release], tuple[datetime, str]] = operator.attrgetter("updated", "id")

_REBUILD_SHARE = 4
"""An update touching more than a quarter of the archive rebuilds it (inserting one by one costs more then)."""


class _Facts:
    """What the index filed a release under, to take it out of those groups when it changes."""

    __slots__ = ("groups", "pictures", "release", "year_month")

    def __init__(
        self, release: Release, groups: tuple[str, ...], year_month: tuple[int, int], pictures: tuple[str, ...]
    ) -> None:
        self.release = release
        self.groups = groups
        self.year_month = year_month
        self.pictures = pictures


class ArchiveIndex:
    def __init__(self, tz: tzinfo, base_url: str, pictures: Callable[[Release, str], tuple[str, ...]]) -> None:
        """`tz`: the site's time zone (years and months); `pictures`: the published paths of the pictures a
        release shows on the site at `base_url` (`pictures.release_pictures`)."""
        self.tz = tz
        self.base_url = base_url
        self._pictures_of = pictures
        self._facts: dict[str, _Facts] = {}
        self._members: dict[str, list[Release]] = {}  # oldest first by (publication, id)
        self._by_update: dict[str, list[Release]] = {}  # each group's, oldest update first (then id)
        self._ordered: dict[str, tuple[Release, ...]] = {}  # newest first, made again when the group changes
        self._pictures: Counter[str] = Counter()
        self.indexed = 0
        """Releases the last update filed (added, moved or taken out): the others were as they were."""

    # Updating -------------------------------------------------------------------------------------------------

    def update(self, releases: Sequence[Release]) -> None:
        """Make the index hold `releases` (any order; ids unique), filing again only those that differ."""
        self.indexed = 0
        facts = self._facts
        changed = [r for r in releases if (f := facts.get(r.id)) is None or (f.release is not r and f.release != r)]
        gone: set[str] = set()
        if len(facts) + sum(1 for r in changed if r.id not in facts) != len(releases):  # (some were taken out)
            ids = {r.id for r in releases}
            gone = {i for i in facts if i not in ids}
        if (len(changed) + len(gone)) * _REBUILD_SHARE > len(releases):
            self._rebuild(releases)
            return
        for release_id in gone:
            self._take_out(facts.pop(release_id))
        for r in changed:
            if (old := facts.pop(r.id, None)) is not None:
                self._take_out(old)
            self._file(r)
        self.indexed = len(changed) + len(gone)

    def _rebuild(self, releases: Sequence[Release]) -> None:
        self._facts, self._members, self._ordered, self._pictures = {}, {}, {}, Counter()
        for r in releases:
            f = self._facts[r.id] = self._facts_of(r)
            for g in f.groups:
                self._members.setdefault(g, []).append(r)
            self._pictures.update(f.pictures)
        self._by_update = {g: sorted(members, key=_by_update) for g, members in self._members.items()}
        for members in self._members.values():
            members.sort(key=_by_publication)
        self.indexed = len(releases)

    def _facts_of(self, r: Release) -> _Facts:
        local = ensure_utc(r.published).astimezone(self.tz)
        slugs = dict.fromkeys(topic_slug(t) for t in r.topics)
        groups = (
            ALL,
            *(f"t:{s}" for s in slugs),
            f"o:{topic_slug(r.organisation)}",
            f"l:{primary_subtag(r.language)}",
            f"y:{local.year}",
            f"m:{local.year}-{local.month:02d}",
        )
        return _Facts(r, groups, (local.year, local.month), self._pictures_of(r, self.base_url))

    def _file(self, r: Release) -> None:
        f = self._facts[r.id] = self._facts_of(r)
        for g in f.groups:
            bisect.insort(self._members.setdefault(g, []), r, key=_by_publication)
            bisect.insort(self._by_update.setdefault(g, []), r, key=_by_update)
            self._ordered.pop(g, None)
        self._pictures.update(f.pictures)

    def _take_out(self, f: _Facts) -> None:
        r = f.release
        for g in f.groups:
            members, by_update = self._members[g], self._by_update[g]
            del members[_index(members, r, _by_publication)]
            del by_update[_index(by_update, r, _by_update)]
            if not members:
                del self._members[g], self._by_update[g]
            self._ordered.pop(g, None)
        self._pictures.subtract(f.pictures)
        for path in f.pictures:
            if self._pictures[path] <= 0:
                del self._pictures[path]

    # Reading --------------------------------------------------------------------------------------------------

    def group(self, key: str) -> tuple[Release, ...]:
        """The releases of group `key`, newest first (by publication, then id); () for a group with none. The same
        tuple object while no release of the group changed."""
        ordered = self._ordered.get(key)
        if ordered is None:
            ordered = self._ordered[key] = tuple(reversed(self._members.get(key, ())))
        return ordered

    def keys(self, prefix: str) -> list[str]:
        """The groups whose key starts with `prefix` (`t:` the topics' slugs …), without it, sorted."""
        return sorted(k.removeprefix(prefix) for k in self._members if k.startswith(prefix))

    def last_updated(self, n: int, key: str = ALL) -> list[Release]:
        """The `n` releases of group `key` last updated, latest first (then by id, as `heapq.nlargest` by
        `(updated, id)`)."""
        return self._by_update.get(key, [])[: -n - 1 : -1] if n > 0 else []

    def year_month(self, r: Release) -> tuple[int, int]:
        """The year and month of `r`'s publication in the site's time zone (`r` must be indexed)."""
        return self._facts[r.id].year_month

    def published_between(self, since: datetime, until: datetime) -> list[Release]:
        """The releases published after `since` and up to `until`, newest first."""
        members = self._members.get(ALL, [])
        low = bisect.bisect_right(members, since, key=operator.attrgetter("published"))
        high = bisect.bisect_right(members, until, key=operator.attrgetter("published"))
        return members[high - 1 : low - 1 if low else None : -1] if high > low else []

    def pictures(self) -> list[str]:
        """The published paths of the pictures the releases show, each once, sorted."""
        return sorted(self._pictures)


def _index(members: list[Release], r: Release, key: Callable[[Release], tuple[datetime, str]]) -> int:
    i = bisect.bisect_left(members, key(r), key=key)
    if i == len(members) or members[i].id != r.id:  # (never: the index filed `r` under this very key)
        raise LookupError(f"release {r.id} is not where the archive index filed it")
    return i
