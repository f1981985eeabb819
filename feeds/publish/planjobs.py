"""A plan's jobs and what the planning modules share while making them (pure).

    Planner(salt, memo, keys, names) ──add──► Job(key, paths, fingerprint, render, yields, rank) …

`plan` (the feeds), `planpages` (the pages) and `plansitemaps` (the sitemaps) each add their documents' jobs to
one `Planner`: a job's fingerprint is a digest of the salt, its key and its inputs, and its rank says when the
writer writes it (what links to a document is written after it).

What this module must not do: read the clock, the store or the disk.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from feeds.model import Release
from feeds.publish.spec import RenderedFile
from feeds.publish.topicnames import topic_slug

if TYPE_CHECKING:
    from feeds.publish.planmemo import PlanMemo


@dataclass(frozen=True, slots=True)
class Job:
    key: str
    paths: tuple[str, ...]
    fingerprint: str
    render: Callable[[], tuple[RenderedFile, ...]]
    yields: bool = False
    """A file an office may have put into out/ itself (`robots.txt`): one there that this site's writer never
    wrote is left as it is (`SiteWriter.publish`)."""
    rank: int = 0
    """When the writer writes it among the plan's jobs (`write_rank`), worked out once with the job."""


_WRITTEN_FIRST = ("static:", "release:", "page:")
"""The writer writes jobs in the order given. What links to a document is written after it: the stylesheets and
the release pages first, then the topic and year pages, then the feeds, the index, the OPML list and the sitemap
last. A reader (or a crawler fetching the full article) that follows a new entry's link during a publish finds its
page, not the 404 page; a first publish's feeds find their stylesheet."""


def write_rank(key: str) -> int:
    if key in ("index", "opml", "sitemap", "robots", "news-sitemap"):
        return len(_WRITTEN_FIRST) + 1
    return next((i for i, prefix in enumerate(_WRITTEN_FIRST) if key.startswith(prefix)), len(_WRITTEN_FIRST))


class Planner:
    """The jobs of one plan as they are added, and what every document's fingerprint shares: the salt, each
    release's token (`keys`, by id) and the topics' names (`names`, by slug)."""

    def __init__(self, salt: str, memo: PlanMemo, keys: Mapping[str, str], names: Mapping[str, str]) -> None:
        self.salt = salt
        self.memo = memo
        self.keys = keys
        self.names = names
        self.jobs: list[Job] = []

    def add(
        self,
        key: str,
        paths: Sequence[str],
        inputs: object,
        render: Callable[[], tuple[RenderedFile, ...]],
        *,
        yields: bool = False,
    ) -> Job:
        """A job whose fingerprint is a digest of `inputs` (a string as it is, anything else by its repr)."""
        text = inputs if isinstance(inputs, str) else repr(inputs)
        self.memo.fingerprinted += 1
        digest = hashlib.sha256(f"{self.salt}\0{key}\0{text}".encode()).hexdigest()
        job = Job(key=key, paths=tuple(paths), fingerprint=digest, render=render, yields=yields, rank=write_rank(key))
        self.jobs.append(job)
        return job

    def tokens(self, shown: Sequence[Release]) -> str:
        """The tokens of `shown`, one a line: what a document listing them fingerprints of them."""
        keys = self.keys
        return "\n".join(keys[r.id] for r in shown)

    def named(self, shown: Sequence[Release]) -> list[str]:
        """The names of the topics of `shown`, for the fingerprint of a document showing them: one renamed (a newer
        release can change which spelling most releases use), the document is rendered again."""
        names = self.names
        return sorted({names[topic_slug(t)] for r in shown for t in r.topics})


def one(render: Callable[..., RenderedFile], *args: object, **kwargs: object) -> tuple[RenderedFile, ...]:
    """A page renderer's one file as a job's result (bound with `partial`, so each job keeps its own data)."""
    return (render(*args, **kwargs),)
