"""Storing units: the releases of a batch of units in ONE transaction, with the ledger, and their outcomes.

    units | what the store knows of them (`recognise`) | the pictures a correction keeps (`picturekeep`)
          | reconcile each release | one transaction | outcomes

A unit is all or nothing: one with an error, or with a release that may not replace the stored one, is rejected
and nothing from it is stored. One bad unit never stops the batch.

A release's withdrawal made by hand in another process (`feeds releases withdraw`, on PostgreSQL) between this
transaction's read and its write is never written over: the write fails (`ChangedMeanwhileError`), the whole
transaction is rolled back, and the batch is read and stored again (`feeds.ingest.STORE_ATTEMPTS`).

Files are recorded in the `ingested_files` ledger in the same transaction as their releases, so a file seen
again after a crash between the commit and its move to `processed/` is recognised by its bytes and only moved.

What this module must not do: read or move files (`units`, `folder`), retry (the caller does), or word the
outcomes' warnings itself (`notices`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from feeds.config import Settings
from feeds.ingest.notices import (
    link_moved,
    looks_like_an_edit,
    looks_like_another,
    slug_kept,
    still_withdrawn,
    unpublishes,
)
from feeds.ingest.picturekeep import with_kept_pictures
from feeds.ingest.recognise import (
    file_twins,
    known_by_file,
    ledger_key,
    only_to_move,
    stored_before_keys,
    stored_under_former_names,
    stored_under_other_links,
)
from feeds.ingest.reconcile import reconcile
from feeds.ingest.takedown import taken_down
from feeds.ingest.units import Unit
from feeds.ingestreport import IngestOutcome
from feeds.model import Release
from feeds.normalise.ids import under_any_form, with_slug

if TYPE_CHECKING:
    from feeds.store import Store, Tx


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

    def with_site_slug(release: Release, slug: str) -> Release:
        return with_slug(release, slug, site)

    outcomes: list[IngestOutcome] = []
    result_units: list[Unit] = []
    with store.transaction() as tx:
        good = [u for u in units if u.error is None]
        known = tx.releases_by_identity(r.identity for u in good for r in u.releases)
        any_taken_down = any(r.removed_at is not None for r in known.values())  # (none, nearly always)
        known.update(stored_under_former_names(tx, good, known))
        known.update(stored_under_other_links(tx, good, known))
        known.update(stored_before_keys(tx, good, known))
        units = with_kept_pictures(tx, units, known, settings, now)  # (a correction keeps its photograph)
        as_read = {r.id: r for r in known.values()}  # (each update is written only over the withdrawal read here)
        taken = tx.taken_slugs(r.slug for u in good for r in u.releases)
        inserts: dict[str, Release] = {}
        updates: dict[str, Release] = {}
        ledger = dict(tx.files_already_ingested(ledger_key(u) for u in good if u.file_name and u.sha256))
        # (A file in the ledger is compared too when no release is stored under its name: "release (1).txt"
        # dropped again has a record of its own, which names the first file's releases.)
        twins = file_twins(
            tx,
            [
                u
                for u in good
                if known_by_file(u)
                and (ledger_key(u) not in ledger or all(r.identity not in known for r in u.releases))
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
            by_file = known_by_file(unit)
            twin = twins.get(unit.origin) or (
                seen_bytes.get((unit.source, unit.sha256)) if unit.sha256 and by_file else None
            )
            gone = _taken_down(tx, unit, known, twin) if any_taken_down or twin else None
            if gone is not None:  # a copy of a release taken down (`feeds releases remove`): never stored again
                result_units.append(replace(unit, error=gone))
                outcomes.append(IngestOutcome(origin=unit.origin, status="rejected", error=gone))
                continue
            if twin is not None:  # the bytes of a file ingested under another name: its releases, not new ones
                result_units.append(unit)
                ledger_rows.append((*ledger_key(unit), list(twin)))
                for i, s in twin.items():  # (one withdrawn by hand says so, as any copy of it does; twins are rare)
                    stored = as_read.get(i) or tx.release(i)
                    warning = still_withdrawn(stored) if stored is not None else None
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
            if only_to_move(unit, ledger, known):
                result_units.append(replace(unit, already_ingested=True))
                for r in unit.releases:  # stored under its former name (see `stored_under_former_names`): renamed
                    if (k := known.get(r.identity)) is not None and k.identity != r.identity:
                        updates[k.id] = known[r.identity] = replace(k, identity=r.identity)
                outcomes.extend(
                    IngestOutcome(
                        origin=unit.origin,
                        status="unchanged",
                        release_id=r.id,
                        slug=r.slug,
                        warning=still_withdrawn(k) if (k := known.get(r.identity)) else None,
                        held_since=k.withdrawn_at if k is not None and k.withdrawn_by_hand else None,
                    )
                    for r in unit.releases
                )
                continue
            # (what each release replaces, as `known` holds it before this unit: the first release's is reconciled
            # against it too, the others' looked up again as the releases before them were taken in)
            befores = [under_any_form(known, new.identity) for new in unit.releases]
            refused = next(
                (
                    why
                    for new, before in zip(unit.releases, befores, strict=True)
                    if (why := unpublishes(before, new, now)) is not None
                ),
                None,
            )
            if refused is not None:  # a unit is all or nothing: none of its releases is stored
                result_units.append(replace(unit, error=refused))
                outcomes.append(IngestOutcome(origin=unit.origin, status="rejected", error=refused))
                continue
            ids: list[str] = []
            slugs: list[str] = []
            for place, new in enumerate(unit.releases):
                before = befores[0] if place == 0 else under_any_form(known, new.identity)
                rec = reconcile(new, before, now=now, slug_taken=taken.__contains__, with_slug=with_site_slug)
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
                    moved = link_moved(before, final)
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
                    warning = looks_like_another(before, final, site.tz)
                elif final.slug != new.slug and (rec.decision == "created" or new.identity.startswith("file:")):
                    # its title's slug is taken: by an earlier version of it, known by another name?
                    holder = next((r for r in inserts.values() if r.slug == new.slug), None)
                    warning = looks_like_an_edit(holder or tx.release_with_slug(new.slug), final, site.tz)
                else:
                    warning = None
                # (normalising's warning once, when the release is stored: not at every read of an unchanged copy)
                told = new.ingest_warning if rec.decision != "unchanged" else None
                for also in (moved, told, rec.warning, still_withdrawn(final) if rec.held else None):
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
                        slug_kept=slug_kept(before, new),
                    )
                )
            if unit.file_name and unit.sha256:
                key = ledger_key(unit)
                ledger_rows.append((*key, ids))
                ledger[key] = now
                if by_file:
                    seen_bytes.setdefault((unit.source, unit.sha256), dict(zip(ids, slugs, strict=True)))
            result_units.append(unit)
        tx.insert_releases(list(inserts.values()), now)
        for rel in updates.values():
            tx.update_release(rel, now, as_read=as_read.get(rel.id))
        # (stored with the releases that show them, or not at all; a picture is kept once, by its bytes)
        tx.keep_pictures([p for r in (*inserts.values(), *updates.values()) for p in r.pictures], now)
        tx.remember_pictures([(r.id, p) for r in (*inserts.values(), *updates.values()) for p in r.pictures])
        tx.record_ingested_files(ledger_rows, now)
        if settle is not None:
            settle(tx, outcomes)
    return result_units, outcomes


def _taken_down(tx: Tx, unit: Unit, known: Mapping[str, Release], twin: Mapping[str, str] | None) -> str | None:
    """The refusal of a unit that holds a copy of a release taken down (known by its identity, or by the bytes of
    the file it came from), or None."""
    for new in unit.releases:
        stored = under_any_form(known, new.identity)
        if stored is not None and stored.removed_at is not None:
            return taken_down(unit.origin, new.identity, stored)
    for release_id in twin or ():
        stored = tx.release(release_id, removed=True)
        if stored is not None and stored.removed_at is not None:
            return taken_down(unit.origin, "bytes", stored)
    return None
