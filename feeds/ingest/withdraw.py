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

What this module must not do: touch any field but the withdrawal and `updated`, or write outside one
transaction.
"""

from __future__ import annotations

from dataclasses import replace
from typing import TYPE_CHECKING

from feeds.errors import FeedsError, NotFoundError
from feeds.model import Release
from feeds.normalise.text import one_line_text

if TYPE_CHECKING:
    from feeds.app import App

__all__ = ["MAX_NOTE", "restore_release", "withdraw_release"]

MAX_NOTE = 2000
"""Characters of a withdrawal note: a sentence or two is what pages and feed entries show before the text."""


class WithdrawError(FeedsError):
    """A withdrawal that cannot be made as asked (no note, a note too long)."""


def withdraw_release(app: App, id_or_slug: str, note: str) -> tuple[Release, bool]:
    """Mark the release withdrawn now, with `note` (visible text) as the reason: (it as stored, whether it
    changed)."""
    clean = one_line_text(note)
    if not clean:
        raise WithdrawError("a withdrawal needs a note saying why (--note)")
    if len(clean) > MAX_NOTE:
        raise WithdrawError(f"the note is {len(clean):,} characters; at most {MAX_NOTE:,}")
    return _change(app, id_or_slug, withdraw=clean)


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
