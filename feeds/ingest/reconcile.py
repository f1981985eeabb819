"""Deciding what a freshly normalised release means for the store: create, update or nothing (pure).

The rules, in the order they apply:
- Same identity as a stored release and the same content hash: unchanged (no write, `updated` kept).
- Same identity, different content, but an older version by the source's own `updated` timestamp than the
  source's own `updated` of what is stored: unchanged (the newer version stays). Only the source's timestamps
  are compared, never the stored `updated`, which may be a time we set (the ingest of an edit the source did
  not date later): a second edit the same day under the same date-only `updated` line is an edit, not an older
  copy. Without both timestamps (the source dates neither, or the stored version is from before the store kept
  it) nothing is an older copy. A copy without the withdrawal of the stored version is unchanged too when its
  source dates it no later than the withdrawal (or than the withdrawn version): the withdrawal came later.
- A release withdrawn by hand (`feeds releases withdraw`) stays withdrawn whatever its source sends: a new
  version is stored as the source sent it (an update, as below, even when the source dates it before the
  withdrawal: only an older one than stored changes nothing), but with the office's withdrawal, date and note;
  only `feeds releases restore` publishes it as current again. `held` says so, for the ingest to report.
  (A withdrawal the source itself sent, a GOV.UK `withdrawn_notice` or our `withdrawn_note`, follows the source.)
- Same identity, different content, but nothing that would be stored differs (the input changed only in what is
  never stored once the release exists: a `slug` asked for, as the slug never changes; a `summary` given that is
  the one made anyway): unchanged, as nothing changed for the release's readers (no write, `updated` kept).
- Same identity, different content: an update. The stored id, slug and permalink are kept for ever (ids never
  change once published); `published` is kept unless the source dates the release itself; `updated` is the
  source's own `updated` when that is newer than what we had, otherwise `now`. A withdrawal it dates before the
  publication of a release that is public is dated at that publication instead (with a `warning`): "withdrawn
  before its publication" is how an embargoed release never goes public, and a public one would vanish without
  a word to its readers. The change history is the source's when it keeps one (GOV.UK), else the stored one; a
  `change_note` joins it, dated as the update, unless a change of the history already has that note (the same
  file, edited again, keeps its note) or the release was not public yet (an edit during its embargo is not a
  change anyone saw).
- New identity, but a `source_key` whose release is stored under its link alone, by the same source (a remote
  source's `fields` mapping that adds `source_key`; a CMS that starts sending its ids): that release, which is
  known by the key from then on (`adopts`; found by `feeds.ingest.recognise`). The link is the same page, and
  only that source's releases are taken: another source still listing the page by its link would publish it
  again. A release stored under a key of its own is never taken by another key.
- New identity: created. A slug already used by another release gets the first free suffix `-2`, `-3`, …
  and the id and permalink follow the final slug.

What this module must not do: touch the store or the clock. The caller passes what is stored and what time it is.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Literal, NamedTuple

from feeds.model import Change, Release

Decision = Literal["created", "updated", "unchanged"]


class Reconciled(NamedTuple):
    """(A named tuple, not a frozen dataclass: one is made for every release stored, and a frozen dataclass's
    constructor sets each field through `object.__setattr__`, twice the instructions.)"""

    decision: Decision
    release: Release
    """What the store holds afterwards."""
    held: bool = False
    """The stored release was withdrawn by hand, and stays withdrawn: this copy did not publish it as current."""
    warning: str | None = None
    """What the ingest should tell about this decision (a withdrawal dated before a public release's publication)."""


def reconcile(
    new: Release,
    existing: Release | None,
    *,
    now: datetime,
    slug_taken: Callable[[str], bool],
    with_slug: Callable[[Release, str], Release],
) -> Reconciled:
    if existing is not None:
        held = existing.withdrawn_by_hand and existing.withdrawn_at is not None
        if existing.content_hash == new.content_hash:
            return Reconciled("unchanged", existing, held)
        dated, stored_dated = new.source_updated, existing.source_updated
        if dated is not None and stored_dated is not None and dated < stored_dated:
            # An older version by the source's own timestamp (two copies of a GOV.UK item, the older read last;
            # a remote source answering from a stale cache): what is stored is newer, and stays. (Equal dates with
            # other content are an edit: the same date-only `updated` line, left in a file edited again.)
            return Reconciled("unchanged", existing, held)
        withdrawn = existing.withdrawn_at
        if (
            withdrawn is not None
            and not held  # (one withdrawn by hand stays so: a copy the source dates before that is its edit)
            and new.withdrawn_at is None
            and dated is not None
            and dated <= max(withdrawn, stored_dated or withdrawn)
        ):
            # The copy from before the withdrawal (GOV.UK keeps `public_updated_at` when it withdraws an item): it
            # must not quietly publish the release as current again. (Dated by the withdrawal itself too: a
            # version stored before the store kept the source's date has none to compare with.)
            return Reconciled("unchanged", existing, held)
        # Only a publication time the source gave moves it: an `updated` standing in for a missing `published`
        # dates a new release, but must not re-date one stored already (its first publication stays).
        published = new.published if new.published_by_source else existing.published
        new_withdrawn, warning = new.withdrawn_at, None
        if (
            new_withdrawn is not None
            and new_withdrawn < published
            and not held
            and existing.published <= now
            and not existing.never_public
        ):
            # Withdrawn "before its publication", a public release would vanish from the site as one never public
            # (an embargoed statement cancelled), its readers told nothing: withdrawn at its publication at the
            # earliest, it stays, marked withdrawn.
            new_withdrawn = published
            warning = (
                f"field 'withdrawn_at': {new.withdrawn_at:%Y-%m-%d %H:%M} UTC is before the release's publication; "
                f"public since {published:%Y-%m-%d %H:%M} UTC, it is withdrawn as of then, not hidden as if never "
                "published"
            )
        # (A withdrawal the source sends for a release withdrawn by hand is not the change: the office's stands.)
        withdrawn_at = new_withdrawn if new_withdrawn != existing.withdrawn_at and not held else None
        # (A version the source does not date has its publication as its `updated`: one that re-dates the release,
        # correcting a typo, was still edited now, not at its new publication time.)
        dated_update = new.source_updated is not None or new.updated != new.published
        if dated_update and new.updated > existing.updated:
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
            withdrawn_at=new_withdrawn,
        )
        if held:
            merged = replace(
                merged,
                withdrawn_at=existing.withdrawn_at,
                withdrawn_note=existing.withdrawn_note,
                withdrawn_by_hand=True,
            )
        if updated == max(now, published) and _as_stored(merged, existing) == existing:
            return Reconciled("unchanged", existing, held)
        return Reconciled("updated", merged, held, warning)
    slug = free_slug(new.slug, slug_taken)
    return Reconciled("created", new if slug == new.slug else with_slug(new, slug))


def adopts(new: Release, stored: Release) -> bool:
    """Whether `new`, known by a `source_key` nothing is stored under, is `stored`, a release of its source stored
    under `new`'s link alone, from before that source sent keys. The caller found `stored` by that link."""
    return new.identity.startswith("key:") and stored.identity.startswith("url:") and stored.source == new.source


def _as_stored(merged: Release, existing: Release) -> Release:
    """`merged` with what an update dated by its ingest sets by itself (its `updated`, the hash and origin of this
    input, its source) taken from `existing`: equal to `existing` when the update would change nothing anyone
    sees."""
    return replace(
        merged,
        updated=existing.updated,
        content_hash=existing.content_hash,
        origin=existing.origin,
        source=existing.source,
        identity=existing.identity,
    )


def free_slug(slug: str, taken: Callable[[str], bool]) -> str:
    """`slug` itself, or the first of `slug-2`, `slug-3`, … that is not taken."""
    if not taken(slug):
        return slug
    n = 2
    while taken(f"{slug}-{n}"):
        n += 1
    return f"{slug}-{n}"
