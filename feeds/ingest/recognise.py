"""What the store holds already of a batch's units, beyond their releases' own identities.

    stored under a former name? | under another form of its link? | the same bytes under another file name? |
        in the ledger already (a crash between the commit and the move)?

`feeds.ingest.save` asks these inside its transaction, before it reconciles: a release stored by an earlier
version under the name that version gave it is taken over (renamed), not published twice; a link's http/https or
trailing-slash twin is the same release; a file dropped again under another name ("release (1).txt") names the
releases of the first; a file in the `ingested_files` ledger whose releases are stored is only moved.

What this module must not do: write to the store, or decide outcomes (it finds; `save` decides and writes).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import TYPE_CHECKING

from feeds.ingest.reconcile import adopts
from feeds.ingest.units import Unit
from feeds.model import Release
from feeds.normalise.ids import (
    canonical_url,
    former_file_identity,
    is_list_item,
    link_aliases,
    release_slug,
    under_any_form,
)

if TYPE_CHECKING:  # (workers import the ingest package to read files: they need no database library)
    from feeds.store import Tx


def stored_under_former_names(tx: Tx, units: Sequence[Unit], known: dict[str, Release]) -> dict[str, Release]:
    """New identity → the release stored under the identity earlier versions gave it, for the releases known
    only by their file that are not stored under their own (`feeds.normalise.ids.former_file_identity`). After
    the upgrade that named a JSON list's objects by their title and a named folder's files by their path in it,
    the first ingest must not publish every such release a second time; it renames what it takes over.

    Only where that is safe. The earlier names could not tell releases apart (that was the bug), so a release
    stored under one may be another's: a list's object takes, of the releases stored at the positions of its
    file (`list.json#0`, `#1`…), the one with its title (the second object of a title, the second such release,
    in order), never merely the one at its index; a file in a subfolder takes the release stored under its base
    name when that release came from this very path or has its title. Nothing is taken twice, and nothing whose
    former name is a release's own name in this batch (a file of that base name at the top of the folder)."""
    new_names = {r.identity for u in units for r in u.releases}
    taken = {r.id for r in known.values()}
    wanted: list[tuple[Release, str]] = []
    for unit in units:
        for new in unit.releases:
            if new.identity in known or not new.identity.startswith("file:"):
                continue  # (stored under its own name already, the usual case: no query)
            if (former := former_file_identity(new.source, new.origin)) != new.identity:
                wanted.append((new, former))
    if not wanted:
        return {}
    by_name = tx.releases_by_identity(f for n, f in wanted if not is_list_item(n.origin))
    by_file: dict[str, list[Release]] = {}
    nth: dict[tuple[str, str], int] = {}
    found: dict[str, Release] = {}
    for new, former in wanted:
        title = release_slug(new.title, None)
        if is_list_item(new.origin):
            prefix = former.rsplit("#", 1)[0] + "#"
            if prefix not in by_file:
                stored = [r for r in tx.releases_with_identity_prefix(prefix) if is_list_item(r.identity)]
                by_file[prefix] = sorted(stored, key=lambda r: int(r.identity.rsplit("#", 1)[1]))
            nth[prefix, title] = n = nth.get((prefix, title), 0) + 1
            same = [r for r in by_file[prefix] if release_slug(r.title, None) == title]
            before = same[n - 1] if len(same) >= n else None
        else:
            before = by_name.get(former)
            if before is not None and before.origin != new.origin and release_slug(before.title, None) != title:
                before = None
        if before is None or new.identity in known or before.id in taken or before.identity in new_names:
            continue
        found[new.identity] = before
        taken.add(before.id)
    return found


def stored_under_other_links(tx: Tx, units: Sequence[Unit], known: dict[str, Release]) -> dict[str, Release]:
    """Stored identity → release, for the releases known by their link that are not stored under it but under
    another form of it (`link_aliases`: http or https, a slash at the end or not). `under_any_form` then finds
    them."""
    wanted = {alias for u in units for r in u.releases if r.identity not in known for alias in link_aliases(r.identity)}
    return tx.releases_by_identity(wanted - known.keys()) if wanted else {}


def stored_before_keys(tx: Tx, units: Sequence[Unit], known: dict[str, Release]) -> dict[str, Release]:
    """New identity → release, for the releases known by a `source_key` that is not stored, whose link names a
    release their source stored by that link alone, before it sent keys (`feeds.ingest.reconcile.adopts`): that
    one is this release, not a second copy of it under a `-2` slug. The first release of the batch with the link
    takes it; one stored under its own name, or taken by another release of the batch, is not taken."""
    wanted: dict[str, tuple[Release, str]] = {}
    for unit in units:
        for new in unit.releases:
            keyed = new.identity.startswith("key:") and new.identity not in known
            if keyed and new.link and (url := canonical_url(new.link)) is not None:
                wanted.setdefault(new.identity, (new, "url:" + url))
    if not wanted:
        return {}
    stored = tx.releases_by_identity({name for _, url in wanted.values() for name in (url, *link_aliases(url))})
    taken = {r.id for r in known.values()}
    found: dict[str, Release] = {}
    for identity, (new, url) in wanted.items():
        before = under_any_form(stored, url)
        if before is not None and before.id not in taken and adopts(new, before):
            found[identity] = before
            taken.add(before.id)
    return found


def known_by_file(unit: Unit) -> bool:
    """Whether a file's releases are known only by the file (no `source_key`, `link` or `slug`): those are the
    ones a copy under another name would duplicate. (Releases named explicitly are one release whatever the file
    is called; an earlier version of one, dropped again under any name, restores it.)"""
    releases = unit.releases
    if not (unit.file_name and unit.sha256 and releases):
        return False
    if len(releases) == 1:  # (asked three times of every unit stored: most hold one release, no generator)
        return releases[0].identity.startswith("file:")
    return all(r.identity.startswith("file:") for r in releases)


def file_twins(tx: Tx, units: Sequence[Unit]) -> dict[str, dict[str, str]]:
    """Origin → {release id: slug}, for the units whose bytes are those of a file ingested under another name, or
    from another source, while every release of that file is still stored: "release (1).txt", the same file sent
    twice, must not publish the same release twice, nor a draft tried with `feeds ingest ~/drafts/x.txt` and then
    dropped into the inbox. (Releases named by `source_key`, `link` or `slug` are one release however the file is
    named; this is for those known only by their file.)"""
    by_source: dict[str, list[Unit]] = {}
    for unit in units:
        by_source.setdefault(unit.source, []).append(unit)
    found: dict[str, dict[str, str]] = {}

    def take(unit: Unit, ids: list[str]) -> None:
        slugs = tx.slugs_of(ids) if ids else {}
        if ids and len(slugs) == len(set(ids)):
            found[unit.origin] = {i: slugs[i] for i in ids}

    for source, group in by_source.items():
        earlier = tx.files_with_bytes(source, (u.sha256 or "" for u in group))
        for unit in group:
            match = earlier.get(unit.sha256 or "")
            if match is not None and match[1] != unit.file_name:
                take(unit, match[2])
        rest = [u for u in group if (u.sha256 or "") not in earlier]  # (its own source's file, same name: a re-read)
        if rest:
            elsewhere = tx.files_with_bytes(source, (u.sha256 or "" for u in rest), elsewhere=True)
            for unit in rest:
                if (other := elsewhere.get(unit.sha256 or "")) is not None:
                    take(unit, other[2])
    return found


def only_to_move(unit: Unit, ledger: dict[tuple[str, str, str], datetime], known: dict[str, Release]) -> bool:
    """Whether a file's bytes were stored already, by the run that should then have moved it (a crash came in
    between): it is moved now, and nothing is stored again.

    The ledger knows the bytes. If its releases are stored as the file gives them, storing again would change
    nothing. If they changed since, the file is either that run's leftover, older than its ledger entry (it is
    not allowed to undo the newer version), or the earlier version written again after it was ingested (an
    edit undone, a copy dropped again): that one is read like any other file, and updates the release."""
    ingested_at = ledger.get(ledger_key(unit)) if unit.file_name and unit.sha256 else None
    if ingested_at is None:
        return False
    if all((k := known.get(r.identity)) is not None and k.content_hash == r.content_hash for r in unit.releases):
        return True
    return unit.modified is None or unit.modified <= ingested_at


def ledger_key(unit: Unit) -> tuple[str, str, str]:
    return (unit.source, unit.file_name or "", unit.sha256 or "")
