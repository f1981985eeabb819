"""The releases as stored: their row (the columns, a `Release` to values and back) and `Store`'s reads of them.

The reads here are those outside any write transaction (the site, the feeds, `feeds releases list`, housekeeping);
the reads and writes an ingest makes inside one are `feeds.store.releasetx.Tx`, which shares the row mapping.

What this module must not do: write a release (only `Tx` does, inside `Store.transaction`; `keep_went_public`
writes only a shown release's place in the archives' order, never what it says), or decide anything
about one (the reconciliation rules are `feeds.ingest.reconcile`, pure).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from feeds.errors import NotFoundError
from feeds.model import Change, Release
from feeds.store import schema
from feeds.store.rows import chunks, record_from_mapping
from feeds.store.schema import releases as R
from feeds.store.tx import writing

RELEASE_COLUMNS = (
    "id",
    "identity",
    "slug",
    "permalink",
    "title",
    "summary",
    "body_html",
    "body_text",
    "published",
    "updated",
    "organisation",
    "topics",
    "language",
    "document_type",
    "source",
    "origin",
    "content_hash",
    "link",
    "image",
    "withdrawn_at",
    "withdrawn_note",
    "withdrawn_by_hand",
    "changes",
    "dated_by_source",
    "source_updated",
    "translation_of",
    "removed_at",
)


_JSON = json.JSONEncoder(ensure_ascii=False)
"""What `json.dumps(value, ensure_ascii=False)` uses, built once rather than on every call."""


@functools.lru_cache(maxsize=1024)
def _topics_json(topics: tuple[str, ...]) -> str:
    """The stored form of a release's topics: the same few combinations recur in release after release."""
    return _JSON.encode(list(topics))


def _changes_json(changes: tuple[Change, ...]) -> str:
    return _JSON.encode([[c.at.isoformat(), c.note] for c in changes]) if changes else "[]"


def release_values(r: Release) -> tuple[Any, ...]:
    """The values of `RELEASE_COLUMNS`, in that order."""
    return (
        r.id,
        r.identity,
        r.slug,
        r.permalink,
        r.title,
        r.summary,
        r.body_html,
        r.body_text,
        r.published,
        r.updated,
        r.organisation,
        _topics_json(r.topics),
        r.language,
        r.document_type,
        r.source,
        r.origin,
        r.content_hash,
        r.link,
        r.image,
        r.withdrawn_at,
        r.withdrawn_note,
        r.withdrawn_by_hand,
        _changes_json(r.changes),
        r.dated_by_source,
        r.source_updated,
        r.translation_of,
        r.removed_at,
    )


def release_row(r: Release) -> dict[str, Any]:
    return dict(zip(RELEASE_COLUMNS, release_values(r), strict=True))


def release_from(row: Any) -> Release:
    return _release(row._mapping)


def release_from_values(values: Sequence[Any]) -> Release:
    """The release of `SELECT_RELEASE`'s converted values (`feeds.store.inlists.select_in`), in its order."""
    return _release(dict(zip(RELEASE_COLUMNS, values, strict=True)))


def _release(m: Mapping[str, Any]) -> Release:
    return record_from_mapping(
        Release,
        m,
        topics=tuple(json.loads(m["topics"])),
        changes=tuple(Change(at=datetime.fromisoformat(at), note=note) for at, note in json.loads(m["changes"])),
        dated_by_source=bool(m["dated_by_source"]),
        withdrawn_by_hand=bool(m["withdrawn_by_hand"]),  # (NULL in rows written before the column was filled)
        published_by_source=False,  # (not stored: these five only matter for a release just normalised)
        slug_asked=False,
        change_note=None,
        ingest_warning=None,
        pictures=(),  # (their bytes are kept in `pictures`: the body and `image` name them)
    )


SELECT_RELEASE = sa.select(*(R.c[name] for name in RELEASE_COLUMNS))


def in_code_point_order(column: Any, dialect: str) -> Any:
    """`column` to compare or sort code point by code point, as SQLite does: on PostgreSQL under the "C" collation.

    A database made with a language's collation (`createdb` on a server set up in en_US.UTF-8, the default of
    Debian's packages and of the official Docker image) weighs punctuation last: it sorts `a-10-b` before `a-1-b`
    and `visit-2` after `visit.`. Ties broken by id then came out in another order than on SQLite (a copied
    installation cut its feed archives differently), and a range of slugs missed those it was meant to find."""
    return column.collate("C") if dialect == "postgresql" else column


def slugs_of(conn: Connection, ids: Iterable[str]) -> dict[str, str]:
    """Release id → slug, for the ids that are stored."""
    found: dict[str, str] = {}
    for chunk in chunks(sorted(set(ids)), 500):
        found.update((row[0], row[1]) for row in conn.execute(sa.select(R.c.id, R.c.slug).where(R.c.id.in_(chunk))))
    return found


def went_public_now() -> Any:
    """When a release not yet kept (`went_public` NULL) went public, as the stored row says now: when first stored,
    or when its embargo lifted if it was stored under one (published after its first storing)."""
    return sa.case((R.c.published > R.c.first_ingested, R.c.published), else_=R.c.first_ingested)


class ReleaseStoreMixin:
    """`Store`'s reads of the releases, and the idempotency keys' pruning."""

    engine: sa.Engine

    def releases(self, *, limit: int | None = None, until: datetime | None = None) -> list[Release]:
        """Newest first (by published, then id, so the order is total and stable); with `until`, only those
        published by then (not the ones held back for an embargo)."""
        q = SELECT_RELEASE.where(R.c.removed_at.is_(None))
        q = q.order_by(R.c.published.desc(), in_code_point_order(R.c.id, self.engine.dialect.name).desc())
        if until is not None:
            q = q.where(R.c.published <= until)
        if limit is not None:
            q = q.limit(limit)
        with self.engine.connect() as conn:
            return [release_from(row) for row in conn.execute(q)]

    def releases_held(self, now: datetime) -> list[tuple[str, datetime]]:
        """(slug, publication time) of the releases dated after `now` (embargoed: off the site), soonest first;
        not those withdrawn before their publication, which never go public (`Release.never_public`)."""
        q = sa.select(R.c.slug, R.c.published).where(R.c.published > now, R.c.removed_at.is_(None))
        q = q.where(sa.or_(R.c.withdrawn_at.is_(None), R.c.withdrawn_at >= R.c.published))
        q = q.order_by(R.c.published, in_code_point_order(R.c.slug, self.engine.dialect.name))
        with self.engine.connect() as conn:
            return [(slug, published) for slug, published in conn.execute(q)]

    def releases_stored_since(self, since: datetime | None) -> tuple[list[Release], datetime | None]:
        """Releases created or changed at or after `since` (all when None), and the latest such time seen.

        Lets a long-running process keep its releases in memory and fetch only what changed between publishes.
        """
        q = SELECT_RELEASE.add_columns(R.c.last_ingested)
        if since is not None:
            q = q.where(R.c.last_ingested >= since)
        with self.engine.connect() as conn:
            rows = conn.execute(q).all()
        latest = max((row.last_ingested for row in rows), default=None)
        return [release_from(row) for row in rows], latest

    def release(self, id_or_slug: str) -> Release:
        """The release by id or slug; one taken down (`removed_release`) is as good as not there."""
        q = SELECT_RELEASE.where(sa.or_(R.c.id == id_or_slug, R.c.slug == id_or_slug), R.c.removed_at.is_(None))
        with self.engine.connect() as conn:
            row = conn.execute(q).first()
        if row is None:
            raise NotFoundError(f"no release with id or slug {id_or_slug!r}")
        return release_from(row)

    def removed_release(self, id_or_slug: str) -> Release | None:
        """The tombstone of a release taken down (`feeds releases remove`) with that id or slug, or None."""
        q = SELECT_RELEASE.where(sa.or_(R.c.id == id_or_slug, R.c.slug == id_or_slug), R.c.removed_at.is_not(None))
        with self.engine.connect() as conn:
            row = conn.execute(q).first()
        return release_from(row) if row is not None else None

    def removed_list(self) -> list[tuple[str, str, datetime]]:
        """(id, slug, removed at) of the releases taken down, the last removed first (`feeds releases list
        --removed`: the addresses a web server answers 410 Gone). Not the reason, which is never shown."""
        q = sa.select(R.c.id, R.c.slug, R.c.removed_at).where(R.c.removed_at > datetime(1970, 1, 1, tzinfo=UTC))
        with self.engine.connect() as conn:
            rows = [(i, slug, at) for i, slug, at in conn.execute(q)]
        return sorted(rows, key=lambda row: (row[2], row[1]), reverse=True)

    def removed_releases(self) -> dict[str, str]:
        """Id → slug of the releases taken down: the publish writes a notice in place of each one's page."""
        # (`> 1970` rather than `IS NOT NULL`, which SQLite answers by reading every row: 20 ms at 10,000 releases)
        q = sa.select(R.c.id, R.c.slug).where(R.c.removed_at > datetime(1970, 1, 1, tzinfo=UTC))
        with self.engine.connect() as conn:
            return {row[0]: row[1] for row in conn.execute(q)}

    def release_archive_order(self, now: datetime | None = None, *, archive_size: int | None = None) -> list[str]:
        """Release ids in the order they went public: when first stored, or, stored under an embargo, when it
        lifted (ties broken by publication date, then id). The main feed's archives are cut in this order.

        By first storing alone, an embargoed release stored before others was put among them when it went public,
        and every archive from there on shifted by one, though each says it is complete and is cached for a day.
        A release public at a publish went public then at the latest, and one not yet public goes public later,
        so it joins after every release already shown; a release never embargoed keeps its place.

        A release once shown keeps its place as `keep_went_public` stored it: worked out from `published` at every
        read, a public release whose source corrected its publication to a later (still past) time read as one
        under embargo until then, moved, and changed archives that said they were complete (`fh:archive`).

        With `now` and `archive_size`, a release not kept yet reads as `keep_went_public` would keep it then (what
        `feeds publish --dry-run` shows is what the publish does)."""
        dated = sa.func.coalesce(R.c.dated_when_public, R.c.published)
        with self.engine.connect() as conn:
            unkept = conn.execute(sa.select(R.c.id).where(R.c.went_public.is_(None)).limit(1)).first()
            # (`_joining` reads the archives' last kept place: only worth it when a release has no place kept)
            joining = self._joining(conn, now, archive_size) if now and unkept else went_public_now()
            went_public = sa.func.coalesce(R.c.went_public, joining)
            # A release taken down keeps its place once shown (its archive holds one entry fewer; the others stay
            # where they were); one never shown has none.
            q = sa.select(R.c.id).where(sa.or_(R.c.removed_at.is_(None), R.c.went_public.is_not(None)))
            q = q.order_by(went_public, dated, in_code_point_order(R.c.id, self.engine.dialect.name))
            return list(conn.execute(q).scalars().all())  # (fetched at once: every publish reads every id)

    def keep_went_public(self, now: datetime, *, archive_size: int | None = None) -> int:
        """Keep, for every release public at `now` (shown by the publish at `now`) that has none yet, its place in
        `release_archive_order`: from then on a correction of its publication time does not move it.
        (A release still under embargo has none, so a change of its embargo moves it, as nothing showed it yet.)
        Never before one kept already: an embargo brought forward into the past, or a release withdrawn before its
        publication and restored after it, read as gone public days ago, among releases archived since.

        But a release stored after its publication (public elsewhere first: a back catalogue brought in from the old
        website, a file dropped late) takes its place by its publication among the releases no archive of
        `archive_size` entries holds yet: 2,000 releases of 2021-2026 stored after today's went public, by first
        storing, after today's, filled the current document readers poll with releases years old, and an archive
        with today's and 2021's side by side. Archives already cut keep their entries.
        Returns how many were kept; a publish with none new takes no write lock."""
        pending = sa.and_(R.c.went_public.is_(None), R.c.published <= now, R.c.removed_at.is_(None))
        pending = sa.and_(pending, sa.or_(R.c.withdrawn_at.is_(None), R.c.withdrawn_at >= R.c.published))
        with self.engine.connect() as conn:
            if conn.execute(sa.select(R.c.id).where(pending).limit(1)).first() is None:
                return 0
        with writing(self.engine) as conn:
            went_public = self._joining(conn, now, archive_size)
            q = R.update().where(pending).values(went_public=went_public, dated_when_public=R.c.published)
            return int(conn.execute(q).rowcount or 0)

    def _joining(self, conn: Connection, now: datetime, archive_size: int | None) -> Any:
        """The place in the archives' order of a release not kept yet, that goes public by `now` (see
        `keep_went_public`), as an SQL expression of its row."""
        latest = conn.execute(sa.select(sa.func.max(R.c.went_public))).scalar_one()
        went_public = went_public_now()
        if latest is not None:  # (just after it: the tie-break by publication could put it before)
            after = sa.literal(latest + timedelta(microseconds=1), schema.UTCDateTime)
            went_public = sa.case((went_public > latest, went_public), else_=after)
        if archive_size is None:
            return went_public
        backdated: Any = R.c.published
        archived = self._last_archived(conn, now, archive_size)
        if archived is not None:
            floor = sa.literal(archived + timedelta(microseconds=1), schema.UTCDateTime)
            backdated = sa.case((R.c.published > floor, R.c.published), else_=floor)
        return sa.case((R.c.published < R.c.first_ingested, backdated), else_=went_public)

    def _last_archived(self, conn: Connection, now: datetime, size: int) -> datetime | None:
        """The kept place of the last release an archive of `size` entries holds (as the publish before cut them
        from the releases kept and still public), or None when no archive is cut."""
        kept = sa.and_(R.c.went_public.is_not(None), R.c.published <= now)
        kept = sa.and_(kept, sa.or_(R.c.withdrawn_at.is_(None), R.c.withdrawn_at >= R.c.published))
        count = int(conn.execute(sa.select(sa.func.count()).select_from(R).where(kept)).scalar_one())
        pages = max(0, (count - size) // size)
        if pages == 0:
            return None
        dated = sa.func.coalesce(R.c.dated_when_public, R.c.published)
        order = (R.c.went_public, dated, in_code_point_order(R.c.id, self.engine.dialect.name))
        q = sa.select(R.c.went_public).where(kept).order_by(*order).offset(pages * size - 1).limit(1)
        last: datetime = conn.execute(q).scalar_one()
        return last

    def last_release_stored(self) -> datetime | None:
        """When a release was last created or changed, by any daemon or command."""
        with self.engine.connect() as conn:  # (max keeps the column's type: an aware UTC datetime comes back)
            latest: datetime | None = conn.execute(sa.select(sa.func.max(R.c.last_ingested))).scalar_one()
        return latest

    def release_slugs(self, ids: Iterable[str]) -> dict[str, str]:
        """Release id → slug, for the ids that are stored."""
        with self.engine.connect() as conn:
            return slugs_of(conn, ids)

    def count_releases(self) -> int:
        with self.engine.connect() as conn:
            q = sa.select(sa.func.count()).select_from(R).where(R.c.removed_at.is_(None))
            return int(conn.execute(q).scalar_one())

    def prune_idempotency(self, before: datetime) -> int:
        """Forget the `Idempotency-Key`s (and the answers kept with them) recorded before `before`."""
        t = schema.idempotency
        with writing(self.engine) as conn:
            return int(conn.execute(t.delete().where(t.c.created_at < before)).rowcount or 0)
