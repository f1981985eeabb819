"""`feeds releases remove`: a legal takedown. The release goes from everything `feeds` publishes, as if it had
never been, and never comes back.

A withdrawal (`feeds.ingest.withdraw`) keeps a release published with a notice, as GOV.UK does; that is exactly
wrong when a lawyer rings (a child named in a family court case, a defamatory line, a draft published by
mistake). A takedown erases the release's text from the database and keeps a tombstone in its row
(`Tx.remove_release`): its id and slug (never given to another release: `Tx.taken_slugs` still sees the slug),
its place in the archives' order (the archive that held it holds one entry fewer, the others keep theirs), the
time and the reason (never published), and a digest of its identity, by which every copy its source sends later
(the same file dropped again, a remote source still listing it, a push) is refused (`taken_down`), naming the
file and the field that made it known. Its coverage (related and pickup matches) goes with it.

The next publish (`feeds.publish`) leaves it out of every feed, archive, page, sitemap and list, and writes in
place of its page a short notice without its title (`feeds.publish.removed`), which `feeds serve` answers `410 Gone`.

What this module must not do: publish, or keep anything of the release's text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from feeds.clock import rfc3339
from feeds.errors import NotFoundError
from feeds.ingest.withdraw import withdrawal_note
from feeds.model import Release

if TYPE_CHECKING:
    from feeds.app import App

__all__ = ["Removal", "is_taken_down", "remove_release", "taken_down", "taken_down_field"]


@dataclass(frozen=True, slots=True)
class Removal:
    """What `remove_release` did: the release's id and slug, when it was taken down, how many of its matches went,
    and whether anything changed (False: taken down already)."""

    id: str
    slug: str
    removed_at: datetime
    matches: int
    changed: bool
    files: tuple[tuple[str, str], ...] = ()
    pictures: int = 0
    """How many pictures dropped with it, which no other release shows, were erased from the database (and leave
    out/ at the next publish)."""
    """(source, file name) of the files it was ingested from: kept where the ingest left them (a drop folder's
    `processed/`), with its text, until the office deletes them."""


def remove_release(app: App, id_or_slug: str, reason: str) -> Removal:
    """Take the release down now, for `reason` (kept, never published). Running it again changes nothing."""
    clean = withdrawal_note(reason, "--reason")
    now = app.clock()
    with app.store.transaction() as tx:
        # Locked: an ingest storing a new version meanwhile (PostgreSQL) is waited for, or refused its write.
        stored = tx.release(id_or_slug, for_update=True, removed=True)
        if stored is None:
            raise NotFoundError(f"no release with id or slug {id_or_slug!r}")
        if stored.removed_at is not None:
            return Removal(stored.id, stored.slug, stored.removed_at, 0, False)
        gone, pictures, files = tx.remove_release(stored, clean, now)
    return Removal(stored.id, stored.slug, now, gone, True, tuple(files), pictures)


_FIELDS = {"key:": "source_key", "url:": "link", "slug:": "slug"}


def taken_down(origin: str, asked: str, stored: Release) -> str:
    """The refusal of a copy of a release taken down, naming the input and the field that made it known as that
    release (`asked`: the copy's identity, `key:…`, `url:…`, `slug:…`, `file:…`, or `bytes` for a file whose bytes
    were ingested as it)."""
    at = rfc3339(stored.removed_at) if stored.removed_at is not None else "?"
    # (the push API names the field by `taken_down_field`)
    if asked == "bytes":
        by = "its bytes are those of a file ingested as it"
    else:
        field = next((f for prefix, f in _FIELDS.items() if asked.startswith(prefix)), None)
        by = f"its `{field}`" if field else "its file name"
        by = f"{by} names it"
    return (
        f"{origin}: refused: the release {stored.slug!r} was taken down on {at} {_REFUSED} ({by}); nothing was stored"
    )


_REFUSED = "(`feeds releases remove`) and is never published again"


def is_taken_down(message: str) -> bool:
    """Whether an ingest refusal is `taken_down`'s: a remote source still listing only a release taken down has not
    failed (its mapping is right; the release is refused as it must be)."""
    return _REFUSED in message


_NAMED = re.compile(r"\(`feeds releases remove`\) and is never published again \(its `(\w+)` names it\)")


def taken_down_field(message: str) -> str | None:
    """The field a `taken_down` refusal names (`source_key`, `link`, `slug`), for the push API's answer; None for
    any other message."""
    found = _NAMED.search(message)
    return found.group(1) if found else None
