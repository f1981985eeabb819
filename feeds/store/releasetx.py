"""`Tx`: the reads and writes of one write transaction (`Store.transaction`), as an ingest or a push makes them.

The releases by identity, id or slug (optionally locked), the slugs taken, inserting and updating releases; the
ledger of files already ingested; the idempotency keys of the push API and remote sources. Uniqueness (identity,
slug, id) is enforced by constraints, so a racing second writer fails loudly instead of duplicating.

What this module must not do: open or commit a transaction (`Store.transaction` does, via `feeds.store.tx`), or
decide what to write (the caller does: `feeds.ingest.reconcile` is pure).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from json.encoder import encode_basestring_ascii
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from feeds.errors import ChangedMeanwhileError, NotFoundError
from feeds.model import Release
from feeds.pictures import Picture
from feeds.store import schema
from feeds.store.bulk import bulk_insert
from feeds.store.dismissals import forget_release_in
from feeds.store.inlists import in_list, select_in
from feeds.store.pictures import erase_pictures_only_shown_by, keep_pictures, pictures_named_by, remember_refs
from feeds.store.releases import (
    RELEASE_COLUMNS,
    SELECT_RELEASE,
    in_code_point_order,
    release_from,
    release_from_values,
    release_row,
    release_values,
    slugs_of,
)
from feeds.store.rows import chunks
from feeds.store.schema import releases as R


def removed_identity(identity: str) -> str:
    """The identity a release taken down keeps: a digest of the one it had (which may spell its title, in a file
    name or a link), enough to know its copies again and nothing more."""
    return "removed:" + hashlib.sha256(identity.encode()).hexdigest()


# The reads of every batch, compiled once per list length (`feeds.store.inlists`: a statement with an expanding
# parameter is expanded value by value at each call, 6,500 instructions a value).
# The few taken down come back with each chunk of `_by_identity` (by the index on `removed_at`; none, on most
# sites), to be known by their hashed identity in memory: in the same query, as a second one per batch cost 7% of
# storing. (`> 1970` rather than `IS NOT NULL`, which SQLite answers by reading every row.)
def _by_identity(n: int) -> sa.Select[Any]:
    return SELECT_RELEASE.where(
        sa.or_(R.c.identity.in_(in_list(R.c.identity, n)), R.c.removed_at > datetime(1970, 1, 1, tzinfo=UTC))
    )


def _slugs(n: int) -> sa.Select[Any]:
    return sa.select(R.c.slug).where(R.c.slug.in_(in_list(R.c.slug, n)))


def _ledger(n: int) -> sa.Select[Any]:
    F = schema.ingested_files
    return sa.select(F.c.source, F.c.name, F.c.sha256, F.c.ingested_at).where(
        F.c.source == sa.bindparam("source"), F.c.name.in_(in_list(F.c.name, n))
    )


def _ids_json(ids: Sequence[str]) -> str:
    """`json.dumps(list(ids))`, the same text, without building an encoder for every file (`json.dumps` makes one
    at each call): the ledger's list of a file's release ids."""
    return "[" + ", ".join(map(encode_basestring_ascii, ids)) + "]"


class Tx:
    """Reads and writes inside one transaction (see `Store.transaction`)."""

    def __init__(self, conn: Connection):
        self.conn = conn

    def releases_by_identity(self, identities: Iterable[str]) -> dict[str, Release]:
        """The stored releases by identity; a release taken down is found too, by its hashed identity
        (`removed_identity`), under the identity asked for: the ingest refuses its copies."""
        wanted = sorted(set(identities))
        found: dict[str, Release] = {}
        removed: dict[str, Release] = {}
        # (The few taken down come back with each chunk: `_by_identity`.)
        for values in select_in(self.conn, _by_identity, wanted):
            rel = release_from_values(values)
            (removed if rel.removed_at is not None else found)[rel.identity] = rel
        if removed:
            for identity in wanted:
                if identity not in found and (gone := removed.get(removed_identity(identity))) is not None:
                    found[identity] = gone
        return found

    def releases_with_identity_prefix(self, prefix: str) -> list[Release]:
        """The releases whose identity starts with `prefix` (a range, `prefix` ≤ identity < the next string of its
        length: no LIKE, so `%` and `_` in a file's name mean themselves). The range holds in code-point order only:
        on PostgreSQL it is compared under the "C" collation, as a database made with a language's collation
        (en_US, which may weigh punctuation such as `#` and `/` for nothing) would put other identities inside it
        or leave these out; what comes back is checked against the prefix besides."""
        if not prefix:
            raise ValueError("an empty prefix would read every release")
        upper = prefix[:-1] + chr(ord(prefix[-1]) + 1)
        identity = in_code_point_order(R.c.identity, self.conn.dialect.name)
        q = SELECT_RELEASE.where(identity >= prefix, identity < upper)
        return [r for r in map(release_from, self.conn.execute(q)) if r.identity.startswith(prefix)]

    def release_with_slug(self, slug: str) -> Release | None:
        row = self.conn.execute(SELECT_RELEASE.where(R.c.slug == slug)).first()
        return release_from(row) if row is not None else None

    def release(self, id_or_slug: str, *, for_update: bool = False, removed: bool = False) -> Release | None:
        """The release, or None; `for_update`: locked until the transaction ends (PostgreSQL: a write to it from
        another process waits, and one in progress is waited for and read as it committed). One taken down is
        None unless `removed` (its tombstone then)."""
        q = SELECT_RELEASE.where(sa.or_(R.c.id == id_or_slug, R.c.slug == id_or_slug))
        if not removed:
            q = q.where(R.c.removed_at.is_(None))
        row = self.conn.execute(q.with_for_update() if for_update else q).first()
        return release_from(row) if row is not None else None

    def slugs_of(self, ids: Iterable[str]) -> dict[str, str]:
        """Release id → slug, for the ids that are stored."""
        return slugs_of(self.conn, ids)

    def taken_slugs(self, bases: Iterable[str]) -> set[str]:
        """Every stored slug equal to one of `bases` or, for a base that is taken, of the form `<base>-<n>`.

        One indexed `IN` query finds the taken bases (usually none); only those get a range scan for their
        suffixed variants ("base-" ≤ slug < "base." covers exactly the slugs starting with "base-").
        """
        wanted = sorted(set(bases))
        taken: set[str] = set()
        taken.update(row[0] for row in select_in(self.conn, _slugs, wanted))
        slug = in_code_point_order(R.c.slug, self.conn.dialect.name)
        for base in sorted(taken):
            q = sa.select(R.c.slug).where(slug >= base + "-", slug < base + ".")
            taken.update(row[0] for row in self.conn.execute(q))
        return taken

    def insert_releases(self, rows: Sequence[Release], now: datetime) -> None:
        bulk_insert(
            self.conn,
            R,
            RELEASE_COLUMNS,
            [release_values(r) for r in rows],
            fixed={"first_ingested": now, "last_ingested": now},
        )

    def keep_pictures(self, pictures: Sequence[Picture], now: datetime) -> None:
        """Store the pictures the releases written in this transaction show (`feeds.store.pictures`)."""
        keep_pictures(self.conn, pictures, now)

    def remember_pictures(self, shown: Sequence[tuple[str, Picture]]) -> None:
        """Remember under which name each release (id) shows each picture (`feeds.store.pictures.remember_refs`)."""
        remember_refs(self.conn, shown)

    def pictures_named_by(self, release_ids: Sequence[str]) -> dict[str, dict[str, Picture]]:
        """The stored pictures each release last showed, by the name it gave them (`feeds.store.pictures`)."""
        return pictures_named_by(self.conn, release_ids)

    def update_release(self, release: Release, now: datetime, *, as_read: Release | None = None) -> None:
        """Write `release` over the stored one. `as_read`: the stored one as this transaction read it, when the
        new version was decided from it (the ingest): the write applies only if its withdrawal is still the one
        read, else `ChangedMeanwhileError`. On PostgreSQL a press officer's `feeds releases withdraw` in another
        process may commit between the ingest's read and its write; written over, it would be lost without a word.
        (On SQLite every writing transaction holds the write lock from its start: nothing commits in between.)"""
        values = release_row(release)
        values.pop("id")
        values["last_ingested"] = now
        q = R.update().where(R.c.id == release.id)
        if as_read is not None:
            at = as_read.withdrawn_at
            q = q.where(R.c.withdrawn_at.is_(None) if at is None else R.c.withdrawn_at == at)
            q = q.where(sa.func.coalesce(R.c.withdrawn_by_hand, sa.false()) == as_read.withdrawn_by_hand)
        result = self.conn.execute(q.values(**values))
        if result.rowcount != 1:
            if as_read is not None and self.conn.execute(sa.select(R.c.id).where(R.c.id == release.id)).first():
                raise ChangedMeanwhileError(
                    f"release {release.slug!r} was withdrawn or restored by another process meanwhile"
                )
            raise NotFoundError(f"release {release.id} vanished during update")

    def remove_release(self, release: Release, reason: str, now: datetime) -> tuple[int, int, list[tuple[str, str]]]:
        """Take `release` down (`feeds.ingest.takedown`): its row becomes a tombstone (its id, slug, address and
        place in the archives' order; its text, topics, link and origin erased, its identity hashed, the time and
        the reason kept), and its coverage goes (its related and pickup matches, its record of having been looked
        for), and so do the pictures it alone showed. The ledger of ingested files keeps the bytes' digest of the
        files that held it, by which a copy under another name is refused, but not their names. Returns how many
        matches and pictures went, and the (source, file name) of those files, which the office deletes where the
        ingest left them."""
        F = schema.ingested_files
        held = self.conn.execute(
            sa.select(F.c.source, F.c.name, F.c.sha256).where(F.c.release_ids.contains(release.id, autoescape=True))
        ).all()
        for source, name, sha256 in held:
            key = sa.and_(F.c.source == source, F.c.name == name, F.c.sha256 == sha256)
            self.conn.execute(F.update().where(key).values(name=removed_identity(name)))
        M = schema.matches
        gone = self.conn.execute(
            M.delete().where(M.c.kind.in_(("related", "pickup", "manual")), M.c.subject == release.id)
        ).rowcount
        self.conn.execute(schema.related_applied.delete().where(schema.related_applied.c.release_id == release.id))
        forget_release_in(self.conn, release.id)  # (its dismissals too: nothing is left to meet them)
        # The push API's kept answers name it (their JSON, in `release_id`), and a remote source's key names it.
        kept = schema.idempotency.c.release_id
        self.conn.execute(
            schema.idempotency.delete().where(sa.or_(kept == release.id, kept.contains(release.id, autoescape=True)))
        )
        erased = {
            "identity": removed_identity(release.identity),
            "title": "",
            "summary": "",
            "body_html": "",
            "body_text": "",
            "organisation": "",
            "topics": "[]",
            "origin": "",
            "content_hash": "",
            "link": None,
            "image": None,
            "withdrawn_at": None,
            "withdrawn_note": None,
            "withdrawn_by_hand": None,
            "changes": "[]",
            "translation_of": None,
            "source_updated": None,
            "removed_at": now,
            "removed_reason": reason,
            "last_ingested": now,  # (so every daemon's `ReleaseCache` drops it at its next look)
        }
        pictures = erase_pictures_only_shown_by(self.conn, release)
        self.conn.execute(R.update().where(R.c.id == release.id).values(**erased))
        return int(gone or 0), pictures, sorted({(source, name) for source, name, _ in held})

    def removed_reason(self, release_id: str) -> str | None:
        """Why the release was taken down (kept, never published), or None."""
        return self.conn.execute(sa.select(R.c.removed_reason).where(R.c.id == release_id)).scalar()

    def files_already_ingested(self, files: Iterable[tuple[str, str, str]]) -> dict[tuple[str, str, str], datetime]:
        """Which of the (source, name, sha256) triples are in the ledger, and when each was ingested."""
        wanted = set(files)
        names: dict[str, set[str]] = {}
        for source, name, _ in wanted:
            names.setdefault(source, set()).add(name)
        found: dict[tuple[str, str, str], datetime] = {}
        # By (source, name), the primary key's leading columns: an index lookup per file. (By sha256 alone,
        # its last column, every query scanned the whole ledger, which grows with every file ever ingested.)
        for source, source_names in sorted(names.items()):
            for row in select_in(self.conn, _ledger, sorted(source_names), source=source):
                if (key := (row[0], row[1], row[2])) in wanted:
                    found[key] = row[3]
        return found

    def files_with_bytes(
        self, source: str, hashes: Iterable[str], *, elsewhere: bool = False
    ) -> dict[str, tuple[str, str, list[str]]]:
        """For each of these SHA-256 digests that a file of `source` (with `elsewhere`: of every other source) had
        when it was ingested: (its source, its name, the ids of its releases), the earliest such file.

        Found by the digests alone, the source told apart here: a digest has one row, or a few, and with
        `source = ?` in the query SQLite would rather walk the ledger's key for every file of the source (the index
        by source and bytes that it used went with migration 39)."""
        t = schema.ingested_files
        found: dict[str, tuple[str, str, list[str]]] = {}
        dialect = self.conn.dialect.name
        earliest = (t.c.ingested_at, in_code_point_order(t.c.source, dialect), in_code_point_order(t.c.name, dialect))
        for chunk in chunks(sorted(set(hashes)), 500):
            q = sa.select(t.c.sha256, t.c.source, t.c.name, t.c.release_ids).where(t.c.sha256.in_(chunk))
            for sha, src, name, ids in self.conn.execute(q.order_by(*earliest)):
                if (src != source) is elsewhere and sha not in found:
                    found[sha] = (src, name, json.loads(ids))
        return found

    def file_already_ingested(self, source: str, name: str, sha256: str) -> bool:
        return bool(self.files_already_ingested([(source, name, sha256)]))

    def record_ingested_files(self, rows: Sequence[tuple[str, str, str, Sequence[str]]], now: datetime) -> None:
        """Add (source, name, sha256, release ids) rows to the ledger; rows already there are skipped.

        The database skips them (ON CONFLICT DO NOTHING on the ledger's key): no query first, and a row added
        meanwhile by another writer is skipped rather than an error.
        """
        fresh: dict[tuple[str, str, str], Sequence[str]] = {}
        for source, name, sha, ids in rows:
            fresh[(source, name, sha)] = ids
        bulk_insert(
            self.conn,
            schema.ingested_files,
            ("source", "name", "sha256", "release_ids"),
            [(s, n, h, _ids_json(ids)) for (s, n, h), ids in fresh.items()],
            fixed={"ingested_at": now},
            ignore_conflicts=True,
        )

    def idempotent_release(self, key: str) -> str | None:
        t = schema.idempotency
        return self.conn.execute(sa.select(t.c.release_id).where(t.c.key == key)).scalar_one_or_none()

    def remember_idempotency(self, key: str, release_id: str, now: datetime) -> None:
        self.conn.execute(schema.idempotency.insert().values(key=key, release_id=release_id, created_at=now))
