"""The pictures dropped with releases (`pictures`, migration 34): their bytes, kept once each by their SHA-256.

Stored in the transaction that stores the release showing them (`Tx.keep_pictures`), so that a release is never
stored without its pictures; read by the publish, on whichever machine publishes, which writes them to
`out/pictures/` under a name made of their hash (`Picture.path`). A picture is never changed (other bytes are
another picture) and never deleted here: a release taken down no longer shows it, and the publish removes it
from out/ (as a legal takedown keeps the release's row, it keeps the bytes its body showed).

What this module must not do: decide which pictures a release shows, or check them (`feeds.ingest.pictures`).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

import sqlalchemy as sa

from feeds.model import PATH_HASH, Picture, StoredPicture
from feeds.store.bulk import insert_ignoring_conflicts
from feeds.store.rows import chunks
from feeds.store.schema import pictures as P


def keep_pictures(conn: sa.Connection, pictures: Sequence[Picture], now: datetime) -> None:
    """Store each picture not stored yet (by its hash: the same bytes shown by two releases are one row)."""
    rows = {p.sha256: p for p in pictures}
    for chunk in chunks(sorted(rows), 100):
        have = set(conn.execute(sa.select(P.c.sha256).where(P.c.sha256.in_(chunk))).scalars())
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

    def picture_data(self, sha256: str) -> bytes | None:
        """The bytes of the picture with this hash, or None when it is not stored."""
        with self.engine.connect() as conn:
            data = conn.execute(sa.select(P.c.data).where(P.c.sha256 == sha256)).scalar()
        return bytes(data) if data is not None else None
