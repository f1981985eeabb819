"""`feeds releases withdraw` and `feeds releases restore`: a press officer marks a stored release withdrawn, or
undoes that.

A withdrawn release stays published (its page, its entries), marked withdrawn with the reason, as GOV.UK does:
readers who saw it learn that it no longer stands, and links to it keep working. A release that arrives again
from its source with a `withdrawn_note` is withdrawn by the ingest (`feeds.normalise`); this is the same for any
release, whatever its source, without resending it (a plain-text release has no field to carry the note).

A withdrawal made here is the office's decision (a legal reason, an error) and sticks: it is stored with the
release (`withdrawn_by_hand`, in the database, so every daemon sharing it holds it), and a copy its source sends
later (the same file dropped again, a remote source still listing it, a push of the old content) is stored as
sent but leaves the release withdrawn (`feeds.ingest.reconcile`), until `restore_release`. The content hash is
left as it is: it stands for what the source sent, so an unchanged copy is recognised as unchanged (publishing
sees the withdrawal by its date and note).

`withdraw_by_source_key` is the push API's withdrawal (`POST /api/releases/withdraw`): the source's own, made
in the caller's transaction, as if the release had been sent again in full with the note. It follows the source
as such a push does (a later version without the note publishes the release as current again, unless the source
dates it no later than the withdrawal), so its content hash records the note, as the pushed copy's would.

`release_with_source_key` finds the release a client system knows by its own key, for the commands'
`--source-key` (the office's withdrawal, by hand, named as the push API names it).

What this module must not do: touch any field but the withdrawal, `updated` and (for a withdrawal by the source)
the content hash, or write outside one transaction.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from feeds.errors import FeedsError, NotFoundError
from feeds.model import Release
from feeds.normalise.text import one_line_text

if TYPE_CHECKING:
    from feeds.app import App
    from feeds.store import Tx

__all__ = ["MAX_NOTE", "release_with_source_key", "restore_release", "withdraw_by_source_key", "withdraw_release"]

MAX_NOTE = 2000
"""Characters of a withdrawal note: a sentence or two is what pages and feed entries show before the text."""


class WithdrawError(FeedsError):
    """A withdrawal that cannot be made as asked (no note, a note too long)."""


def withdraw_release(app: App, id_or_slug: str, note: str) -> tuple[Release, bool]:
    """Mark the release withdrawn now, with `note` (visible text) as the reason: (it as stored, whether it
    changed)."""
    return _change(app, id_or_slug, withdraw=withdrawal_note(note, "--note"))


def withdrawal_note(note: str, name: str) -> str:
    """`note` as a withdrawal stores it (one line of text), or `WithdrawError` naming `name` (the option or field
    that gave it) when it is empty or too long."""
    clean = one_line_text(note)
    if not clean:
        raise WithdrawError(f"a withdrawal needs a note saying why ({name})")
    if len(clean) > MAX_NOTE:
        raise WithdrawError(f"the note ({name}) is {len(clean):,} characters; at most {MAX_NOTE:,}")
    return clean


def release_with_source_key(app: App, source_key: str) -> Release:
    """The release its source sent with `source_key` (`feeds releases withdraw --source-key`: a client system
    knows its own keys, not our ids or slugs), or `NotFoundError` naming the key."""
    key = source_key.strip()
    with app.store.transaction() as tx:
        found = tx.releases_by_identity(["key:" + key] if key else [])
    if not found:
        raise NotFoundError(f"no release has source_key {source_key!r} (a release its source sent with that key)")
    (release,) = found.values()
    if release.removed_at is not None:  # (its tombstone: nothing to withdraw or restore)
        raise NotFoundError(f"the release with source_key {source_key!r}, {release.slug!r}, was taken down")
    return release


def withdraw_by_source_key(tx: Tx, source_key: str, note: str, now: datetime) -> tuple[Release, bool] | None:
    """The source's withdrawal of the release known by `source_key`, now, in `tx`: (it as stored, whether it
    changed), or None when no release has that key. `note` is a clean note (`withdrawal_note`). Withdrawn already
    with that note: nothing changes (a retry). Withdrawn by hand: nothing changes either (the office's withdrawal
    and note stand, as they do for any copy the source sends). Must not be used for the office's own withdrawal
    (`withdraw_release`), which sticks."""
    found = tx.releases_by_identity(["key:" + source_key.strip()])
    if not found:
        return None
    (release,) = found.values()
    stored = tx.release(release.id, for_update=True)
    if stored is None:  # (deleted meanwhile: as if never there)
        return None
    if stored.withdrawn_at is not None and (stored.withdrawn_by_hand or stored.withdrawn_note == note):
        return stored, False
    digest = hashlib.sha256(f"{stored.content_hash}\nwithdrawn_note: {note}".encode()).hexdigest()
    changed = replace(
        stored,
        withdrawn_at=now,
        withdrawn_note=note,
        withdrawn_by_hand=False,
        updated=max(now, stored.updated, stored.published),
        content_hash=digest,
    )
    tx.update_release(changed, now)  # (locked above: no other writer in between)
    return changed, True


def restore_release(app: App, id_or_slug: str) -> tuple[Release, bool]:
    """Undo a withdrawal (made here or by the source): the release is current again from now, and follows its
    source again. (It as stored, whether it changed.)"""
    return _change(app, id_or_slug, withdraw=None)


def _change(app: App, id_or_slug: str, *, withdraw: str | None) -> tuple[Release, bool]:
    now = app.clock()
    with app.store.transaction() as tx:
        # Locked: an ingest storing this release in another process meanwhile (PostgreSQL) is waited for, and one
        # that read it before is refused its write (`Tx.update_release(as_read=…)`) and reads it again.
        stored = tx.release(id_or_slug, for_update=True)
        if stored is None:
            raise NotFoundError(f"no release with id or slug {id_or_slug!r}")
        if withdraw is None and stored.withdrawn_at is None:
            return stored, False  # not withdrawn: nothing to undo (run twice, as a withdrawal can be)
        if withdraw is not None and stored.withdrawn_note == withdraw and stored.withdrawn_at is not None:
            if not stored.withdrawn_by_hand:  # withdrawn by its source, for that reason: now by hand too (it sticks)
                stored = replace(stored, withdrawn_by_hand=True)
                tx.update_release(stored, now)
            return stored, False  # withdrawn already, for that reason: nothing changes (the command can be run twice)
        # An embargoed release withdrawn before it is due is withdrawn before its publication: it never goes
        # public (`run_publish`); its `updated` stays at or after its publication, as every release's does.
        changed = replace(
            stored,
            withdrawn_at=now if withdraw is not None else None,
            withdrawn_note=withdraw,
            withdrawn_by_hand=withdraw is not None,
            updated=max(now, stored.updated, stored.published),
        )
        tx.update_release(changed, now)
    return changed, True
