"""Pictures a corrected release keeps: those its stored version showed under the names it still gives.

    with_kept_pictures(tx, units, known, settings, now)   the units, each release naming pictures not found beside
                                                          its file given those its stored version showed so

A press officer sends a release with its photograph, then a correction of it (the same file name or `source_key`)
that still shows `![…](minister.jpg)`, without the photograph, sent already and moved to processed/. The picture
the release last showed under that name (the store remembers it, `release_pictures`, with its bytes) is the one it
still shows: no warning, and the page, the feeds and `og:image` keep it. A picture dropped again under that name is
read from the drop folder like any other (`feeds.ingest.pictures`), so new bytes win; a name no version of the
release gave a stored picture is still the warning that it was not found.

Runs in the transaction that stores the units, before their releases are reconciled with the stored ones, and
only for the rare release that names a picture not found (`Unit.unfound`): every other unit passes untouched.

What this module must not do: read files (the stored bytes are the picture), or give a release a picture stored
under a name by another release (a logo called `photo.jpg` by one release is not another's `photo.jpg`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from typing import TYPE_CHECKING

from feeds.config import Settings
from feeds.ingest.pictures import looked_in, missing_warning, with_warnings
from feeds.ingest.units import Unit, normalise_all, shown_path
from feeds.model import Release
from feeds.normalise.ids import under_any_form
from feeds.normalise.pictures import local_picture_refs
from feeds.normalise.text import nfc
from feeds.pictures import Picture

if TYPE_CHECKING:
    from feeds.store import Tx


def with_kept_pictures(
    tx: Tx, units: Sequence[Unit], known: Mapping[str, Release], settings: Settings, now: datetime
) -> list[Unit]:
    """`units`, each release that names pictures not found beside its file (`Unit.unfound`) normalised again with
    those its stored version (in `known`, by identity) showed under the same names, its warning naming only the
    rest."""
    if not any(u.unfound for u in units):  # (nearly every batch)
        return list(units)
    ids = [
        before.id
        for u in units
        for i, _ in u.unfound
        if (before := under_any_form(known, u.releases[i].identity)) is not None
    ]
    stored = tx.pictures_named_by(ids) if ids else {}
    done = []
    for unit in units:
        if unit.unfound:
            unit = _keeping(unit, known, stored, settings, now)
        done.append(unit)
    return done


def _keeping(
    unit: Unit,
    known: Mapping[str, Release],
    stored: Mapping[str, Mapping[str, Picture]],
    settings: Settings,
    now: datetime,
) -> Unit:
    releases = list(unit.releases)
    for i, raw in unit.unfound:
        before = under_any_form(known, releases[i].identity)
        had = {nfc(ref): p for ref, p in stored.get(before.id, {}).items()} if before is not None else {}
        found = {p.ref for p in raw.pictures}
        absent = [ref for ref in local_picture_refs(raw) if ref not in found]
        kept = tuple(replace(had[nfc(ref)], ref=ref) for ref in absent if nfc(ref) in had)
        if not kept:
            continue
        still = [ref for ref in absent if nfc(ref) not in had]
        [release] = normalise_all([replace(raw, pictures=raw.pictures + kept)], settings, now)
        warning = missing_warning(shown_path(unit.origin), looked_in(unit.origin), still) if still else None
        [releases[i]] = with_warnings([release], [warning])
    return replace(unit, releases=tuple(releases), unfound=())
