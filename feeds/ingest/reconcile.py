"""Deciding what a freshly normalised release means for the store: create, update or nothing (pure).

The rules, in the order they apply:
- Same identity as a stored release and the same content hash: unchanged (no write, `updated` kept).
- Same identity, different content, but an older version by the source's own `updated` timestamp than what is
  stored: unchanged (the newer version stays). So is a copy without the withdrawal of the stored version and
  no newer by that timestamp: the withdrawal came later.
- Same identity, different content: an update. The stored id, slug and permalink are kept for ever (ids never
  change once published); `published` is kept unless the source dates the release itself; `updated` is the
  source's own `updated` when that is newer than what we had, otherwise `now`. The change history is the
  source's when it keeps one (GOV.UK), else the stored one; a `change_note` joins it, dated as the update,
  unless a change of the history already has that note (the same file, edited again, keeps its note) or the
  release was not public yet (an edit during its embargo is not a change anyone saw).
- New identity: created. A slug already used by another release gets the first free suffix `-2`, `-3`, …
  and the id and permalink follow the final slug.

What this module must not do: touch the store or the clock. The caller passes what is stored and what time it is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Literal

from feeds.model import Change, Release

Decision = Literal["created", "updated", "unchanged"]


@dataclass(frozen=True, slots=True)
class Reconciled:
    decision: Decision
    release: Release
    """What the store holds afterwards."""


def reconcile(
    new: Release,
    existing: Release | None,
    *,
    now: datetime,
    slug_taken: Callable[[str], bool],
    with_slug: Callable[[Release, str], Release],
) -> Reconciled:
    if existing is not None:
        if existing.content_hash == new.content_hash:
            return Reconciled("unchanged", existing)
        if new.updated_by_source and new.updated < existing.updated:
            # An older version by the source's own timestamp (two copies of a GOV.UK item, the older read last;
            # a remote source answering from a stale cache): what is stored is newer, and stays.
            return Reconciled("unchanged", existing)
        withdrawal_undone = existing.withdrawn_at is not None and new.withdrawn_at is None
        if withdrawal_undone and new.updated_by_source and new.updated <= existing.updated:
            # The copy from before the withdrawal (GOV.UK keeps `public_updated_at` when it withdraws an item): it
            # must not quietly publish the release as current again.
            return Reconciled("unchanged", existing)
        # Only a publication time the source gave moves it: an `updated` standing in for a missing `published`
        # dates a new release, but must not re-date one stored already (its first publication stays).
        published = new.published if new.published_by_source else existing.published
        withdrawn_at = new.withdrawn_at if new.withdrawn_at != existing.withdrawn_at else None
        if new.updated > existing.updated:
            updated = new.updated
        elif withdrawn_at is not None and withdrawn_at > existing.updated:
            # A withdrawal is the change, dated when it was made: the release's page and entries must not say
            # "last updated" after it, on the day the file happened to be read.
            updated = withdrawn_at
        else:
            updated = now
        updated = max(updated, published)
        changes = new.changes or existing.changes
        public = existing.published <= now  # (a change before the first publication changed nothing anyone saw)
        if new.change_note and public and all(c.note != new.change_note for c in changes):
            changes = (Change(at=updated, note=new.change_note), *changes)
        merged = replace(
            new,
            id=existing.id,
            slug=existing.slug,
            permalink=existing.permalink,
            published=published,
            updated=updated,
            dated_by_source=new.dated_by_source or existing.dated_by_source,
            changes=changes,
        )
        return Reconciled("updated", merged)
    slug = free_slug(new.slug, slug_taken)
    return Reconciled("created", new if slug == new.slug else with_slug(new, slug))


def free_slug(slug: str, taken: Callable[[str], bool]) -> str:
    """`slug` itself, or the first of `slug-2`, `slug-3`, … that is not taken."""
    if not taken(slug):
        return slug
    n = 2
    while taken(f"{slug}-{n}"):
        n += 1
    return f"{slug}-{n}"
