"""What a process remembers of its last plan (pure, in memory), so that a daemon's publish after one new release
costs what that release changes rather than what the archive holds.

    PlanMemo (kept by the App while the salt and the page renderer stay the same) ──plan_site──►
        a token per release, the release pages' jobs, the sitemap's lines and elements, the archive's groups
        (`ArchiveIndex`) and what was worked out of each (`derived`)

A plan is a pure function of the releases; most of a daemon's publishes come after one new release, and planning
every one of 40,000 release pages again (their links, their fingerprint) took seconds. What this memo keeps is
each piece of work as it was done for the same inputs: a release page's job is reused only when the release's
token, the feeds its page offers (all the site's feed links, compared whole) and its coverage are what they were.
The fingerprints, and so the bytes written, are those a plan without a memo gives (`plan_site` with a fresh one,
as `feeds publish` from a shell has): the memo saves work, it never decides anything.

Each plan starts with `begin` and ends with `end`: what the plan did not ask for is forgotten then (a release
taken down, an old spelling of the sitemap), so the memo holds what one plan holds, never more.

What this module must not do: read the clock, the store or the disk.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Sequence
from datetime import tzinfo
from typing import TYPE_CHECKING, TypeVar

from feeds.model import Release
from feeds.publish.archiveindex import ArchiveIndex
from feeds.publish.pictures import release_pictures
from feeds.publish.sitemap import SitemapUrl, url_element
from feeds.publish.translations import Translation

if TYPE_CHECKING:
    from feeds.publish.planjobs import Job

__all__ = ["PlanMemo", "release_token"]

_T = TypeVar("_T")


def release_token(key: object, translations: Sequence[Translation]) -> str:
    """A release as every document showing it fingerprints it: a digest of what its pages show of it (`key`,
    `plan.release_key`) and of its other language versions, which its page and entries link to."""
    text = repr(key) + (repr(tuple(translations)) if translations else "")
    return hashlib.sha256(text.encode()).hexdigest()[:32]


class PlanMemo:
    def __init__(self) -> None:
        self._owner: tuple[str, object] | None = None
        self._reset()

    def _reset(self) -> None:
        self._tokens: dict[str, tuple[Release, tuple[Translation, ...], str]] = {}
        self._next_tokens: dict[str, tuple[Release, tuple[Translation, ...], str]] = {}
        self._jobs: dict[str, tuple[object, Job]] = {}
        self._next_jobs: dict[str, tuple[object, Job]] = {}
        self._epochs: dict[str, tuple[object, int]] = {}
        self._urls: dict[str, tuple[str, SitemapUrl, str]] = {}
        self._next_urls: dict[str, tuple[str, SitemapUrl, str]] = {}
        self._elements: dict[SitemapUrl, bytes] = {}
        self._derived: dict[str, tuple[object, object]] = {}
        self._next_derived: dict[str, tuple[object, object]] = {}
        self._index: ArchiveIndex | None = None
        self.fingerprinted = 0
        """Documents whose fingerprint the last plan worked out (hashed its inputs): the others were reused."""
        self.tokens_made = 0
        """Releases whose token the last plan worked out."""

    def begin(self, salt: str, renderer: object) -> None:
        """Start a plan: with another salt (code, templates, settings) or renderer, nothing remembered holds."""
        if self._owner is None or self._owner[0] != salt or self._owner[1] is not renderer:
            self._reset()
            self._owner = (salt, renderer)
        self.fingerprinted = self.tokens_made = 0
        self._next_tokens, self._next_jobs, self._next_urls = {}, {}, {}
        self._next_derived = {}

    def end(self) -> None:
        """Forget what this plan did not use."""
        self._tokens, self._jobs, self._urls, self._derived = (
            self._next_tokens,
            self._next_jobs,
            self._next_urls,
            self._next_derived,
        )

    def index(self, releases: Sequence[Release], tz: tzinfo, base_url: str) -> ArchiveIndex:
        """The archive's groups (`ArchiveIndex`) as of `releases`, updated from those that changed since the last
        plan (a new one for another time zone or base URL, which the salt covers too)."""
        index = self._index
        if index is None or index.tz != tz or index.base_url != base_url:
            index = self._index = ArchiveIndex(tz, base_url, release_pictures)
        index.update(releases)
        return index

    @property
    def archive(self) -> ArchiveIndex | None:
        """The archive index as of the last plan (None before the first)."""
        return self._index

    def derived(self, name: str, of: Sequence[Release], make: Callable[[Sequence[Release]], _T]) -> _T:
        """`make(of)`, worked out again only when `of` (a group's releases, `ArchiveIndex.group`) is not what it was
        under `name` last time (the same tuple, or one of the same releases): what a plan works out of a topic, a
        year or a feed's group that no change touched is what it was."""
        return self.worked_out(name, of, lambda: make(of))[0]

    def worked_out(self, name: str, inputs: object, make: Callable[[], _T]) -> tuple[_T, bool]:
        """`make()`, and True, unless `inputs` are (or compare equal to) what they were under `name` last time: then
        what it made then, and False (a caller that made a job with it adds the job kept to its plan itself). The
        inputs kept for next time are these (equal ones, maybe the very objects the next plan is given)."""
        seen = self._derived.get(name)
        if seen is not None and (seen[0] is inputs or seen[0] == inputs):
            kept: _T = seen[1]  # type: ignore[assignment]
            self._next_derived[name] = (inputs, kept)
            return kept, False
        value = make()
        self._next_derived[name] = (inputs, value)
        return value, True

    def token(self, r: Release, translations: tuple[Translation, ...], key: Callable[[Release], object]) -> str:
        """`release_token` of `r`, worked out again only for a release that is not the one seen last time."""
        seen = self._tokens.get(r.id)
        # (the same object, or one read again from the store: those stored in the last minutes are, `ReleaseCache`)
        if seen is None or (seen[0] is not r and seen[0] != r) or seen[1] != translations:
            # (a new tuple only for a release that changed: 40,000 new objects a plan would wake the garbage
            # collector's oldest generation, which walks every object of the process)
            seen = (r, translations, release_token(key(r), translations))
            self.tokens_made += 1
        self._next_tokens[r.id] = seen
        return seen[2]

    def epoch(self, name: str, value: object) -> int:
        """A number that stays the same while `value` compares equal to what it was under `name` last time: what
        many documents share (every feed's links, the topics' names) is compared once per plan, not per document."""
        seen = self._epochs.get(name)
        number = 0 if seen is None else seen[1] + (seen[0] != value)
        self._epochs[name] = (value, number)
        return number

    def job(self, key: str, inputs: object) -> Job | None:
        """The job `key` had last time, when `inputs` (what decides its fingerprint, cheaper to compare than to
        fingerprint: releases' tokens, epochs) compare equal to what they were then."""
        seen = self._jobs.get(key)
        if seen is None or seen[0] != inputs:
            return None
        self._next_jobs[key] = seen
        return seen[1]

    def keep_job(self, key: str, inputs: object, job: Job) -> None:
        self._next_jobs[key] = (inputs, job)

    def sitemap_url(self, r: Release, token: str, make: Callable[[Release], SitemapUrl]) -> tuple[SitemapUrl, str]:
        """A release page's `SitemapUrl` and its line in the sitemap's fingerprint."""
        seen = self._urls.get(r.id)
        if seen is None or seen[0] != token:
            url = make(r)
            seen = (token, url, f"{url.loc} {url.lastmod} {url.alternates}")
        self._next_urls[r.id] = seen
        return seen[1], seen[2]

    def elements(self) -> Callable[[SitemapUrl], bytes]:
        """What renders a sitemap's `<url>` elements: those rendered last time are reused (a new release's sitemap
        differs from the last by a line or two). Only the elements this render asks for are kept for next time."""
        before = self._elements
        kept: dict[SitemapUrl, bytes] = {}

        def element(url: SitemapUrl) -> bytes:
            self._elements = kept  # (from the first one rendered: a plan whose sitemap is not rendered keeps them)
            data = before.get(url)
            if data is None:
                data = url_element(url)
            kept[url] = data
            return data

        return element
