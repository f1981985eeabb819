"""The pictures dropped with releases (`pictures`, migration 34): their bytes, kept once each by their SHA-256.

Stored in the transaction that stores the release showing them (`Tx.keep_pictures`), so that a release is never
stored without its pictures; read by the publish, on whichever machine publishes, which writes them to
`out/pictures/` under a name made of their hash (`Picture.path`). A picture is never changed (other bytes are
another picture). One a release edited no longer shows stays a day (an edit taken back shows it again), then
housekeeping forgets it (`prune_pictures`: `stored_at` is when a release last stored it, so one stored again
meanwhile stays); a legal takedown erases at once those its release alone showed (`erase_pictures_only_shown_by`),
as it erases its text, and the publish removes them from out/ as any file it no longer makes.

Which picture each release last showed under each name (`release_pictures`, migration 35: `remember_refs`) lets a
corrected release dropped without its photograph (sent with its first version) keep it (`pictures_named_by`),
as long as the picture is stored.

Pictures are stored without their private metadata: the ingest removes it before hashing them (`feeds.picturemeta`).

What this module must not do: decide which pictures a release shows, or check them (`feeds.ingest.pictures`).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa

from feeds.model import Release
from feeds.pictures import PATH_HASH, PICTURE_EXTENSIONS, Picture, StoredPicture
from feeds.store.bulk import dialect_insert, insert_ignoring_conflicts
from feeds.store.rows import chunks
from feeds.store.schema import pictures as P
from feeds.store.schema import release_pictures as RP
from feeds.store.schema import releases as R
from feeds.store.tx import writing

log = logging.getLogger(__name__)


def keep_pictures(conn: sa.Connection, pictures: Sequence[Picture], now: datetime) -> None:
    """Store each picture not stored yet (by its hash: the same bytes shown by two releases are one row)."""
    rows = {p.sha256: p for p in pictures}
    for chunk in chunks(sorted(rows), 100):
        have = set(conn.execute(sa.select(P.c.sha256).where(P.c.sha256.in_(chunk))).scalars())
        if have:  # (shown again: `prune_pictures` keeps it, whatever it read of the releases before this commit)
            conn.execute(P.update().where(P.c.sha256.in_(sorted(have))).values(stored_at=now))
        new = [
            {
                "sha256": h,
                "media_type": rows[h].media_type,
                "width": rows[h].width,
                "height": rows[h].height,
                "data": rows[h].data,
                "stored_at": now,
            }
            for h in chunk
            if h not in have
        ]
        if new:
            conn.execute(insert_ignoring_conflicts(conn.dialect, P), new)


def remember_refs(conn: sa.Connection, shown: Sequence[tuple[str, Picture]]) -> None:
    """Remember, for each (release id, picture) of `shown`, that the release shows the picture under its `ref`
    (the name it gave before, if any, now names this picture)."""
    rows = {(release_id, p.ref): p.sha256 for release_id, p in shown}
    if not rows:
        return
    insert = dialect_insert(conn.dialect, RP)
    values = [{"release_id": i, "ref": ref, "sha256": h} for (i, ref), h in sorted(rows.items())]
    conn.execute(
        insert.on_conflict_do_update(
            index_elements=[RP.c.release_id, RP.c.ref], set_={"sha256": insert.excluded.sha256}
        ),
        values,
    )


def pictures_named_by(conn: sa.Connection, release_ids: Sequence[str]) -> dict[str, dict[str, Picture]]:
    """For each of `release_ids`, the stored pictures it last showed, by the name it gave each (with their bytes:
    one a release keeps is stored again with it, should housekeeping have forgotten it meanwhile)."""
    found: dict[str, dict[str, Picture]] = {}
    q = sa.select(RP.c.release_id, RP.c.ref, P.c.sha256, P.c.media_type, P.c.width, P.c.height, P.c.data).join(
        P, P.c.sha256 == RP.c.sha256
    )
    for chunk in chunks(sorted(set(release_ids)), 100):
        for i, ref, sha256, kind, width, height, data in conn.execute(q.where(RP.c.release_id.in_(chunk))):
            picture = Picture(ref=ref, sha256=sha256, media_type=kind, width=width, height=height, data=bytes(data))
            found.setdefault(i, {})[ref] = picture
    return found


_SHOWN = re.compile(rf"pictures/([0-9a-f]{{{PATH_HASH}}})\.(?:{'|'.join(sorted(set(PICTURE_EXTENSIONS.values())))})")
"""A picture's published name in a body or an `image` (`Picture.path`), the hash part captured."""


def erase_pictures_only_shown_by(conn: sa.Connection, release: Release) -> int:
    """Delete the pictures `release` shows that no other release shows (a legal takedown: its text is erased, and
    so are its photographs); how many went. (A scan of the other releases' bodies: takedowns are rare.)"""
    prefixes = sorted(set(_SHOWN.findall(release.body_html)) | set(_SHOWN.findall(release.image or "")))
    erased = 0
    for prefix in prefixes:
        named = f"pictures/{prefix}."
        elsewhere = conn.execute(
            sa.select(R.c.id)
            .where(R.c.id != release.id)
            .where(sa.or_(R.c.body_html.contains(named, autoescape=True), R.c.image.contains(named, autoescape=True)))
            .limit(1)
        ).first()
        if elsewhere is None:
            erased += conn.execute(P.delete().where(P.c.sha256.startswith(prefix, autoescape=True))).rowcount or 0
    conn.execute(RP.delete().where(RP.c.release_id == release.id))  # (its pictures' names go with its text)
    return erased


class PictureStoreMixin:
    engine: sa.Engine

    def stored_pictures(self) -> dict[str, StoredPicture]:
        """Every stored picture (without its bytes), by the hash part of its published name (`Picture.path`):
        one query, on the primary key's rows, whatever the number of pictures."""
        q = sa.select(P.c.sha256, P.c.media_type, P.c.width, P.c.height).order_by(P.c.sha256)
        with self.engine.connect() as conn:
            return {
                row[0][:PATH_HASH]: StoredPicture(sha256=row[0], media_type=row[1], width=row[2], height=row[3])
                for row in conn.execute(q)
            }

    def pictures_stored(self, hashes: Sequence[str]) -> set[str]:
        """Those of `hashes` (SHA-256 of pictures' bytes) whose picture is stored."""
        found: set[str] = set()
        with self.engine.connect() as conn:
            for chunk in chunks(sorted(set(hashes)), 100):
                found.update(conn.execute(sa.select(P.c.sha256).where(P.c.sha256.in_(chunk))).scalars())
        return found

    def prune_pictures(self, before: datetime) -> int:
        """Delete the pictures no release shows (an edit showed others) that no release stored since `before`;
        how many went. One transaction: on SQLite nothing stores meanwhile; on PostgreSQL a release stored meanwhile
        that shows an old picture stored it again (`keep_pictures`), which the delete waits for and then spares."""
        with writing(self.engine) as conn:
            shown: set[str] = set()
            named = sa.or_(R.c.body_html.contains("pictures/"), R.c.image.contains("pictures/"))
            for body, image in conn.execute(sa.select(R.c.body_html, R.c.image).where(named)):
                shown.update(_SHOWN.findall(body or ""), _SHOWN.findall(image or ""))
            old = conn.execute(sa.select(P.c.sha256).where(P.c.stored_at < before)).scalars().all()
            gone = [h for h in old if h[:PATH_HASH] not in shown]
            for chunk in chunks(gone, 500):
                conn.execute(P.delete().where(P.c.sha256.in_(chunk)).where(P.c.stored_at < before))
        return len(gone)

    def picture_data(self, sha256: str) -> bytes | None:
        """The bytes of the picture with this hash, or None when it is not stored."""
        with self.engine.connect() as conn:
            data = conn.execute(sa.select(P.c.data).where(P.c.sha256 == sha256)).scalar()
        return bytes(data) if data is not None else None
