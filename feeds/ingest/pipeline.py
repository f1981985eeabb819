"""The ingest pipeline: from inputs (files, JSON objects) to stored releases, one batch per transaction.

    read bytes | formats.parse_release_file | normalise_release(raw, site, topics, now)
        | reconcile against the store (identity, content hash, free slug) | one transaction | outcomes

An input is a *unit*: a file (which may hold several releases) or one pushed/remote object. A unit is all or
nothing: if any of its releases is invalid the unit is rejected with an error naming the file and field, and
nothing from it is stored. One bad unit never stops the batch.

A release's withdrawal made by hand in another process (`feeds releases withdraw`, on PostgreSQL) between this
transaction's read and its write is never written over: the write fails (`ChangedMeanwhileError`), the whole
transaction is rolled back, and the batch is read and stored again (`feeds.ingest.STORE_ATTEMPTS`).

Files are recorded in the `ingested_files` ledger in the same transaction as their releases, so a file seen
again after a crash between the commit and its move to `processed/` is recognised by its bytes and only moved.
"""

from __future__ import annotations

import errno
import hashlib
import logging
import os
import stat
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime, tzinfo
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from feeds.config import Settings
from feeds.errors import FeedsError, InvalidReleaseError
from feeds.ingest.formats import parse_release_file
from feeds.ingest.reconcile import reconcile
from feeds.model import IngestOutcome, RawRelease, Release
from feeds.normalise import normalise_release
from feeds.normalise.ids import (
    former_file_identity,
    is_list_item,
    link_aliases,
    release_slug,
    under_any_form,
    with_slug,
)
from feeds.normalise.topics import folded_words

if TYPE_CHECKING:  # workers import this module to read files: they need no database library
    from feeds.store import Store, Tx

log = logging.getLogger("feeds.ingest")

MAX_FILE_BYTES = 20 * 1024 * 1024
"""A release file larger than this is rejected unread: releases are text (a full HTML page with its inline
images is a few MB), and something dropped by mistake (a video, a database dump) must not fill the memory."""


@dataclass(frozen=True, slots=True)
class Unit:
    """One input, parsed and normalised, or the reason it could not be."""

    origin: str
    source: str
    releases: tuple[Release, ...] = ()
    error: str | None = None
    file_name: str | None = None
    """For files: the name recorded in the ledger (base name, so a move keeps it)."""
    sha256: str | None = None
    modified: datetime | None = None
    """For files: when the file was last written (its mtime, UTC)."""
    already_ingested: bool = False
    gone: bool = False
    """The file was there when the folder was scanned and no longer when it was read: another process (a second
    `feeds ingest`, a daemon) took it meanwhile. Not an error of the file: nothing is reported for it."""
    read_as: FileIdentity | None = None
    """For files read: the file as it was when it was read, which is the one that may be moved after the commit
    (see `feeds.ingest.folder.settle`)."""


FileIdentity = tuple[int, int, int, int]
"""(device, inode, size, modification time in ns) of a file: another file put in its place (a rename onto its
name), or the same one written again, differs."""


def file_identity(st: os.stat_result) -> FileIdentity:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def normalise_all(raws: Sequence[RawRelease], settings: Settings, now: datetime) -> tuple[Release, ...]:
    return tuple(normalise_release(raw, settings.site, settings.topics, now) for raw in raws)


def shown_path(path: str) -> str:
    """A path as text that can be printed, logged and stored: a file name that is not UTF-8 (from a Samba share
    or a zip archive, held by Python as lone surrogates) has its odd bytes written as `\xe9`."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def unit_from_file(
    path: Path, *, source: str, settings: Settings, now: datetime, named: bool = False, key: str | None = None
) -> Unit:
    """Read and parse one file into a unit (never raises for bad content: the unit carries the error).

    `key`: the file's name within its source when its base name is not enough (`RawRelease.file_key`).

    Only a regular file is read, never through a symbolic link: a link in a drop folder would let whoever can
    write there publish any file the daemon can read (callers resolve the links a person names on purpose).
    A hard link is the same danger in another form (a second name for the config, a key, anything on the same
    file system): a file with more than one name is refused too, unless `named`, by the person running the
    command. A FIFO or device is refused without blocking."""
    origin = str(path)
    shown = shown_path(origin)
    if shown != origin:
        return Unit(
            origin=origin,
            source=source,
            error=f"{shown}: the file name is not valid UTF-8 (rename the file, without accents, and drop it again)",
        )
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_BINARY", 0))
    except OSError as e:
        if e.errno == errno.ELOOP:  # O_NOFOLLOW met a link (or a loop of them)
            target = _link_target(path)
            return Unit(
                origin=origin,
                source=source,
                error=f"{origin}: a symbolic link{target}; links are not followed: put the file itself here",
            )
        gone = e.errno == errno.ENOENT
        return Unit(origin=origin, source=source, error=f"{origin}: cannot read file: {e.strerror or e}", gone=gone)
    try:
        with os.fdopen(fd, "rb") as f:
            st = os.fstat(f.fileno())
            if not stat.S_ISREG(st.st_mode):
                return Unit(
                    origin=origin, source=source, error=f"{origin}: not a regular file (a pipe, socket or device)"
                )
            if st.st_nlink > 1 and not named:
                return Unit(
                    origin=origin,
                    source=source,
                    error=f"{origin}: the file has {st.st_nlink} names (hard links), so it may be a file from "
                    "elsewhere; hard links are not read: put a copy of the file here",
                )
            # (a file too large by its size is not read at all; one that grew past the limit meanwhile, to it)
            data = _read_up_to(f, st.st_size) if st.st_size <= MAX_FILE_BYTES else b""
            modified = datetime.fromtimestamp(st.st_mtime, UTC)
            read_as = file_identity(st)
    except OSError as e:
        return Unit(origin=origin, source=source, error=f"{origin}: cannot read file: {e.strerror or e}")
    if st.st_size > MAX_FILE_BYTES or len(data) > MAX_FILE_BYTES:
        limit = MAX_FILE_BYTES // (1024 * 1024)
        return Unit(
            origin=origin,
            source=source,
            error=f"{origin}: the file is larger than {limit} MiB, too large to be a release; it was not read",
            read_as=read_as,
        )
    digest = hashlib.sha256(data).hexdigest()
    try:
        raws = parse_release_file(data, path.name, source=source, origin=origin)
        if key is not None:
            raws = tuple(replace(raw, file_key=key) for raw in raws)
        releases = normalise_all(raws, settings, now)
    except FeedsError as e:
        return Unit(origin=origin, source=source, error=str(e), file_name=path.name, sha256=digest, read_as=read_as)
    if not releases:
        return Unit(
            origin=origin, source=source, error=f"{origin}: no release in file", file_name=path.name, read_as=read_as
        )
    return Unit(
        origin=origin,
        source=source,
        releases=releases,
        file_name=path.name,
        sha256=digest,
        modified=modified,
        read_as=read_as,
    )


def _read_up_to(f: BinaryIO, size: int) -> bytes:
    """The file's bytes, at most `MAX_FILE_BYTES` + 1 of them (one more says it is too large).

    Asked for its size (from `fstat`) plus one, then the rest if it grew meanwhile: one `read` of the whole
    limit would allocate 20 MiB for every file, which cost more than reading and parsing a typical release."""
    limit = MAX_FILE_BYTES + 1
    data = f.read(min(size + 1, limit))
    if len(data) > size:  # written to since fstat: read on, to the limit, as for any file
        data += f.read(limit - len(data))
    return data


def _link_target(path: Path) -> str:
    try:
        return f" to {shown_path(os.readlink(path))}"
    except OSError:
        return ""


def unit_from_raws(raws: Sequence[RawRelease], *, origin: str, source: str, settings: Settings, now: datetime) -> Unit:
    try:
        return Unit(origin=origin, source=source, releases=normalise_all(raws, settings, now))
    except FeedsError as e:
        return Unit(origin=origin, source=source, error=str(e))


Settle = Callable[["Tx", list[IngestOutcome]], None]
"""`settle(tx, outcomes)`: run by `save_units` inside its transaction, after the releases are written and before
the commit, for what must be stored with them or not at all (the push API's Idempotency-Key and answer). An
exception from it rolls the whole transaction back."""


def save_units(
    store: Store, units: Sequence[Unit], settings: Settings, now: datetime, *, settle: Settle | None = None
) -> tuple[list[Unit], list[IngestOutcome]]:
    """Store the releases of every valid unit in ONE transaction; return the units (ledger state) and outcomes.

    Units whose file is in the ledger already are marked `already_ingested` and store nothing. `settle`, if
    given, runs in the same transaction once the releases are written (see `Settle`).
    """
    site = settings.site
    outcomes: list[IngestOutcome] = []
    result_units: list[Unit] = []
    with store.transaction() as tx:
        good = [u for u in units if u.error is None]
        known = tx.releases_by_identity(r.identity for u in good for r in u.releases)
        known.update(_stored_under_former_names(tx, good, known))
        known.update(_stored_under_other_links(tx, good, known))
        as_read = {r.id: r for r in known.values()}  # (each update is written only over the withdrawal read here)
        taken = tx.taken_slugs(r.slug for u in good for r in u.releases)
        inserts: dict[str, Release] = {}
        updates: dict[str, Release] = {}
        ledger = dict(tx.files_already_ingested(_ledger_key(u) for u in good if u.file_name and u.sha256))
        # (A file in the ledger is compared too when no release is stored under its name: "release (1).txt"
        # dropped again has a record of its own, which names the first file's releases.)
        twins = _twins(
            tx,
            [
                u
                for u in good
                if _known_by_file(u)
                and (_ledger_key(u) not in ledger or all(r.identity not in known for r in u.releases))
            ],
        )
        ledger_rows: list[tuple[str, str, str, list[str]]] = []
        seen_bytes: dict[tuple[str, str], dict[str, str]] = {}  # the same bytes twice in this batch
        for unit in units:
            if unit.gone:  # taken by another process since the scan: its run reports it
                continue
            if unit.error is not None:
                result_units.append(unit)
                outcomes.append(IngestOutcome(origin=unit.origin, status="rejected", error=unit.error))
                continue
            twin = twins.get(unit.origin) or (
                seen_bytes.get((unit.source, unit.sha256)) if unit.sha256 and _known_by_file(unit) else None
            )
            if twin is not None:  # the bytes of a file ingested under another name: its releases, not new ones
                result_units.append(unit)
                ledger_rows.append((*_ledger_key(unit), list(twin)))
                for i, s in twin.items():  # (one withdrawn by hand says so, as any copy of it does; twins are rare)
                    stored = as_read.get(i) or tx.release(i)
                    warning = _still_withdrawn(stored) if stored is not None else None
                    held = stored.withdrawn_at if stored is not None and warning is not None else None
                    outcomes.append(
                        IngestOutcome(
                            origin=unit.origin,
                            status="unchanged",
                            release_id=i,
                            slug=s,
                            warning=warning,
                            held_since=held,
                        )
                    )
                continue
            if _only_to_move(unit, ledger, known):
                result_units.append(replace(unit, already_ingested=True))
                for r in unit.releases:  # stored under its former name (see `_stored_under_former_names`): renamed
                    if (k := known.get(r.identity)) is not None and k.identity != r.identity:
                        updates[k.id] = known[r.identity] = replace(k, identity=r.identity)
                outcomes.extend(
                    IngestOutcome(
                        origin=unit.origin,
                        status="unchanged",
                        release_id=r.id,
                        slug=r.slug,
                        warning=_still_withdrawn(k) if (k := known.get(r.identity)) else None,
                        held_since=k.withdrawn_at if k is not None and k.withdrawn_by_hand else None,
                    )
                    for r in unit.releases
                )
                continue
            refused = next(
                (
                    why
                    for new in unit.releases
                    if (why := _unpublishes(under_any_form(known, new.identity), new, now)) is not None
                ),
                None,
            )
            if refused is not None:  # a unit is all or nothing: none of its releases is stored
                result_units.append(replace(unit, error=refused))
                outcomes.append(IngestOutcome(origin=unit.origin, status="rejected", error=refused))
                continue
            ids: list[str] = []
            slugs: list[str] = []
            for new in unit.releases:
                before = under_any_form(known, new.identity)
                rec = reconcile(
                    new,
                    before,
                    now=now,
                    slug_taken=taken.__contains__,
                    with_slug=lambda r, slug: with_slug(r, slug, site),
                )
                final = rec.release
                moved = None
                if before is not None and before.identity != new.identity:
                    # Known by another name (a former one, another form of its link): it takes this one.
                    final = replace(final, identity=new.identity)
                    known.pop(before.identity, None)
                    if before.identity in inserts:  # (earlier in this batch)
                        del inserts[before.identity]
                        inserts[final.identity] = final
                    else:
                        updates[final.id] = final
                    moved = _link_moved(before, final)
                elif rec.decision == "created":
                    inserts[final.identity] = final
                    taken.add(final.slug)
                elif rec.decision == "updated":
                    if final.identity in inserts:
                        inserts[final.identity] = final
                    else:
                        updates[final.id] = final
                known[final.identity] = final
                ids.append(final.id)
                slugs.append(final.slug)
                if rec.decision == "updated":
                    warning = _looks_like_another(before, final, site.tz)
                elif final.slug != new.slug and (rec.decision == "created" or new.identity.startswith("file:")):
                    # its title's slug is taken: by an earlier version of it, known by another name?
                    holder = next((r for r in inserts.values() if r.slug == new.slug), None)
                    warning = _looks_like_an_edit(holder or tx.release_with_slug(new.slug), final, site.tz)
                else:
                    warning = None
                # (normalising's warning once, when the release is stored: not at every read of an unchanged copy)
                told = new.ingest_warning if rec.decision != "unchanged" else None
                for also in (moved, told, rec.warning, _still_withdrawn(final) if rec.held else None):
                    if also is not None:
                        warning = f"{warning}; {also}" if warning else also
                outcomes.append(
                    IngestOutcome(
                        origin=unit.origin,
                        status=rec.decision,
                        release_id=final.id,
                        slug=final.slug,
                        warning=warning,
                        held_since=final.withdrawn_at if rec.held else None,
                    )
                )
            if unit.file_name and unit.sha256:
                ledger_rows.append((*_ledger_key(unit), ids))
                ledger[_ledger_key(unit)] = now
                if _known_by_file(unit):
                    seen_bytes.setdefault((unit.source, unit.sha256), dict(zip(ids, slugs, strict=True)))
            result_units.append(unit)
        tx.insert_releases(list(inserts.values()), now)
        for rel in updates.values():
            tx.update_release(rel, now, as_read=as_read.get(rel.id))
        tx.record_ingested_files(ledger_rows, now)
        if settle is not None:
            settle(tx, outcomes)
    return result_units, outcomes


def _still_withdrawn(release: Release) -> str | None:
    """What to tell when a copy from the source arrives for a release withdrawn by hand, which it leaves withdrawn
    (`reconcile`): the office must learn that a source still sends it, and how to publish it again if it should be."""
    if not release.withdrawn_by_hand or release.withdrawn_at is None:
        return None
    return (
        f"the release {release.slug!r} was withdrawn by hand on {release.withdrawn_at:%Y-%m-%d %H:%M} UTC and stays "
        f"withdrawn: this copy from its source is stored as sent but does not publish it as current again; "
        f"if it should be, run `feeds releases restore {release.slug}`"
    )


def _stored_under_former_names(tx: Tx, units: Sequence[Unit], known: dict[str, Release]) -> dict[str, Release]:
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


def _stored_under_other_links(tx: Tx, units: Sequence[Unit], known: dict[str, Release]) -> dict[str, Release]:
    """Stored identity → release, for the releases known by their link that are not stored under it but under
    another form of it (`link_aliases`: http or https, a slash at the end or not). `under_any_form` then finds
    them."""
    wanted = {alias for u in units for r in u.releases if r.identity not in known for alias in link_aliases(r.identity)}
    return tx.releases_by_identity(wanted - known.keys()) if wanted else {}


def _link_moved(before: Release, after: Release) -> str | None:
    """What to tell when a release known by one form of its link arrives with another (see `link_aliases`)."""
    if not (before.identity.startswith("url:") and after.identity.startswith("url:")):
        return None
    return (
        f"the release {after.slug!r} was known by the link {before.identity[4:]}; this version's link, "
        f"{after.identity[4:]}, is taken for the same page (http and https, or a slash at the end, differ only in "
        "form) and is the one kept"
    )


def _unpublishes(before: Release | None, new: Release, now: datetime) -> str | None:
    """Why `new` may not replace `before`: a version that dates a release already public ahead of now would take
    it off the site until then (its page gone, its entries out of every feed) without a word to its readers. A
    release is taken back by withdrawing it, which says so."""
    if before is None or not new.published_by_source or new.published <= now or before.published > now:
        return None
    if before.never_public:  # withdrawn before it was due: it never was public
        return None
    why = (
        f"{before.slug!r} has been public since {before.published:%Y-%m-%d %H:%M} UTC; a new version cannot date "
        f"it ahead ({new.published:%Y-%m-%d %H:%M} UTC), which would take it off the site until then: to take it "
        "back, withdraw it (`feeds releases withdraw`, or `withdrawn_note`)"
    )
    return str(InvalidReleaseError(why, origin=new.origin, field="published"))


def _looks_like_another(before: Release | None, after: Release, tz: tzinfo) -> str | None:
    """A warning when a release named by its slug (or its link) is replaced by one with another headline:
    most likely last week's file copied as a template with its `slug` left in, which replaces last week's
    release everywhere (same id, same address). Updated as the identity rules say, but said out loud.

    So is one known only by its file: the office's `statement.txt` dropped again next week for another statement
    is the same file within its source, and replaces the published one. (Not for a `source_key`: the sender
    names its releases itself, and a new headline under its key is its edit.)"""
    if before is None or after.identity.startswith("key:") or not _other_title(before.title, after.title):
        return None
    elsewhere = f", from source {before.source!r}," if before.source != after.source else ""
    if after.identity.startswith("file:"):
        advice = "drop it under a file name of its own (or give it a `slug`)"
    else:
        advice = "give it a slug of its own"
    return (
        f"the release {after.slug!r}{elsewhere} was {before.title!r} ({before.published.astimezone(tz):%Y-%m-%d}) "
        f"and is now {after.title!r} ({after.published.astimezone(tz):%Y-%m-%d}), under the same id and address: "
        f"if this is another release, {advice}, and send or drop the earlier version again to restore that one"
    )


def _looks_like_an_edit(holder: Release | None, new: Release, tz: tzinfo) -> str | None:
    """A warning when a new release has the title and day of one stored from the same source: most likely an edit
    saved under another name ("…-v2-FINAL.txt"), or a version that now carries a `link`, `slug` or `source_key`
    the first did not (a release is known by its strongest name alone), now a second release in every feed. (The
    day is the site's, as pages give it: "15 July" and "15 July 10:00" are one day, though 00:00 BST is the 14th
    in UTC.)"""
    if holder is None or holder.source != new.source or folded_words(holder.title) != folded_words(new.title):
        return None
    if holder.published.astimezone(tz).date() != new.published.astimezone(tz).date():
        return None
    stored = f"a release with the same title and date is stored already as {holder.slug!r} (from {holder.origin})"
    if new.identity.startswith("file:"):
        return (
            f"{stored}: if this file is an edit of it saved under another name, it is now a second release; drop "
            "edits under the first file's name, or name the release with a `slug` or `source_key`"
        )
    kind = {"key": "source_key", "url": "link", "slug": "slug"}.get(new.identity.split(":", 1)[0], "name")
    return (
        f"{stored}: if this is another version of it, it is now a second release, since a release is known by its "
        f"source_key, else its link, else its slug, else its file, and this one's {kind} is not the first one's; "
        "send it named as the first one was, or withdraw the one that should not be there"
    )


def _other_title(before: str, after: str) -> bool:
    """Whether `after` is another headline rather than an edit of `before`: fewer than half of their words are
    shared ("Climate fund extended" → "Flood defences completed"; not "…extended" → "…extended to 2030").

    Words such as "on", "the", "in" are not counted (unless a headline has nothing else): a template's
    "Statement on the earthquake in Turkey" → "Statement on the election in Ruritania" shares four of six words
    and only one that says what the statement is about."""
    old, new = _telling_words(before), _telling_words(after)
    return len(old & new) * 2 < max(len(old), len(new), 1)


_FUNCTION_WORDS = frozenset({
    "a", "an", "the", "of", "on", "in", "to", "for", "and", "or", "at", "by", "with", "from", "as", "into", "onto",
    "over", "after", "before", "about", "is", "are", "was", "be", "its",
})  # fmt: skip


def _telling_words(title: str) -> set[str]:
    words = set(folded_words(title))
    return (words - _FUNCTION_WORDS) or words


def _known_by_file(unit: Unit) -> bool:
    """Whether a file's releases are known only by the file (no `source_key`, `link` or `slug`): those are the
    ones a copy under another name would duplicate. (Releases named explicitly are one release whatever the file
    is called; an earlier version of one, dropped again under any name, restores it.)"""
    return bool(unit.file_name and unit.sha256 and unit.releases) and all(
        r.identity.startswith("file:") for r in unit.releases
    )


def _twins(tx: Tx, units: Sequence[Unit]) -> dict[str, dict[str, str]]:
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


def _only_to_move(unit: Unit, ledger: dict[tuple[str, str, str], datetime], known: dict[str, Release]) -> bool:
    """Whether a file's bytes were stored already, by the run that should then have moved it (a crash came in
    between): it is moved now, and nothing is stored again.

    The ledger knows the bytes. If its releases are stored as the file gives them, storing again would change
    nothing. If they changed since, the file is either that run's leftover, older than its ledger entry (it is
    not allowed to undo the newer version), or the earlier version written again after it was ingested (an
    edit undone, a copy dropped again): that one is read like any other file, and updates the release."""
    ingested_at = ledger.get(_ledger_key(unit)) if unit.file_name and unit.sha256 else None
    if ingested_at is None:
        return False
    if all((k := known.get(r.identity)) is not None and k.content_hash == r.content_hash for r in unit.releases):
        return True
    return unit.modified is None or unit.modified <= ingested_at


def _ledger_key(unit: Unit) -> tuple[str, str, str]:
    return (unit.source, unit.file_name or "", unit.sha256 or "")
