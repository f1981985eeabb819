"""The store: the only module that speaks SQL. One implementation for SQLite and PostgreSQL (SQLAlchemy Core).

Why SQLAlchemy Core rather than two hand-written DB-API layers: one schema definition and one set of queries
compile to both dialects (`ON CONFLICT`, `FOR UPDATE SKIP LOCKED`, typed timestamps), with connection pooling
and parameter binding done by a library that has handled those dialect differences for years.

Writes happen inside `Store.transaction()`, which yields a `Tx` whose methods read and write in that one
transaction; callers decide what to write (the reconciliation rules live in `feeds.ingest.reconcile`, pure), the
store only does it. Uniqueness (identity, slug, id) is enforced by constraints, so a racing second writer fails
loudly instead of duplicating.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from feeds.clock import parse_iso, rfc3339
from feeds.errors import ChangedMeanwhileError, MigrationError, NotFoundError, StoreError
from feeds.model import Change, Release
from feeds.store import migrations, schema
from feeds.store.alerts import AlertStoreMixin
from feeds.store.bulk import bulk_insert
from feeds.store.claims import FeedClaimStoreMixin
from feeds.store.deliverylog import DeliveryLogStoreMixin
from feeds.store.digests import DigestStoreMixin
from feeds.store.entryids import EntryIdStoreMixin
from feeds.store.hostslots import HostSlotStoreMixin
from feeds.store.items import ItemStoreMixin
from feeds.store.matches import MatchStoreMixin
from feeds.store.published import PublishedFeedsMixin
from feeds.store.refusals import RefusalStoreMixin
from feeds.store.retention import RetentionStoreMixin
from feeds.store.rows import chunks, record_from
from feeds.store.rules import RuleStoreMixin
from feeds.store.schema import releases as R
from feeds.store.tx import batched, writing
from feeds.store.watchedfeeds import WatchedFeedStoreMixin

_RELEASE_COLUMNS = (
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
)


_JSON = json.JSONEncoder(ensure_ascii=False)
"""What `json.dumps(value, ensure_ascii=False)` uses, built once rather than on every call."""


@functools.lru_cache(maxsize=1024)
def _topics_json(topics: tuple[str, ...]) -> str:
    """The stored form of a release's topics: the same few combinations recur in release after release."""
    return _JSON.encode(list(topics))


def _changes_json(changes: tuple[Change, ...]) -> str:
    return _JSON.encode([[c.at.isoformat(), c.note] for c in changes]) if changes else "[]"


def _release_values(r: Release) -> tuple[Any, ...]:
    """The values of `_RELEASE_COLUMNS`, in that order."""
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
    )


def _release_row(r: Release) -> dict[str, Any]:
    return dict(zip(_RELEASE_COLUMNS, _release_values(r), strict=True))


def _release_from(row: Any) -> Release:
    m = row._mapping
    return record_from(
        Release,
        row,
        topics=tuple(json.loads(m["topics"])),
        changes=tuple(Change(at=datetime.fromisoformat(at), note=note) for at, note in json.loads(m["changes"])),
        dated_by_source=bool(m["dated_by_source"]),
        withdrawn_by_hand=bool(m["withdrawn_by_hand"]),  # (NULL in rows written before the column was filled)
        published_by_source=False,  # (not stored: these three only matter for a release just normalised)
        change_note=None,
        ingest_warning=None,
    )


_SELECT_RELEASE = sa.select(*(R.c[name] for name in _RELEASE_COLUMNS))


def in_code_point_order(column: Any, dialect: str) -> Any:
    """`column` to compare or sort code point by code point, as SQLite does: on PostgreSQL under the "C" collation.

    A database made with a language's collation (`createdb` on a server set up in en_US.UTF-8, the default of
    Debian's packages and of the official Docker image) weighs punctuation last: it sorts `a-10-b` before `a-1-b`
    and `visit-2` after `visit.`. Ties broken by id then came out in another order than on SQLite (a copied
    installation cut its feed archives differently), and a range of slugs missed those it was meant to find."""
    return column.collate("C") if dialect == "postgresql" else column


@dataclass(frozen=True, slots=True)
class SourceState:
    source: str
    etag: str | None = None
    last_modified: str | None = None
    last_checked: datetime | None = None
    last_status: str | None = None
    last_error: str | None = None
    next_check: datetime | None = None
    failures: int = 0
    read_with: str | None = None
    """The digest of the source's settings (field mapping, results path…) its last document was read with: the
    validators stand for that reading, so other settings mean reading the document again, not a 304."""
    held_told: tuple[tuple[str, datetime], ...] = ()
    """(release id, when the log last said so) for each release withdrawn by hand that the source's last document
    read still listed: the log reminds of one at most once a day (`feeds.ingest.remote_json`)."""


class Tx:
    """Reads and writes inside one transaction (see `Store.transaction`)."""

    def __init__(self, conn: Connection):
        self.conn = conn

    def releases_by_identity(self, identities: Iterable[str]) -> dict[str, Release]:
        wanted = sorted(set(identities))
        found: dict[str, Release] = {}
        for chunk in chunks(wanted, 500):
            for row in self.conn.execute(_SELECT_RELEASE.where(R.c.identity.in_(chunk))):
                rel = _release_from(row)
                found[rel.identity] = rel
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
        q = _SELECT_RELEASE.where(identity >= prefix, identity < upper)
        return [r for r in map(_release_from, self.conn.execute(q)) if r.identity.startswith(prefix)]

    def release_with_slug(self, slug: str) -> Release | None:
        row = self.conn.execute(_SELECT_RELEASE.where(R.c.slug == slug)).first()
        return _release_from(row) if row is not None else None

    def release(self, id_or_slug: str, *, for_update: bool = False) -> Release | None:
        """The release, or None; `for_update`: locked until the transaction ends (PostgreSQL: a write to it from
        another process waits, and one in progress is waited for and read as it committed)."""
        q = _SELECT_RELEASE.where(sa.or_(R.c.id == id_or_slug, R.c.slug == id_or_slug))
        row = self.conn.execute(q.with_for_update() if for_update else q).first()
        return _release_from(row) if row is not None else None

    def slugs_of(self, ids: Iterable[str]) -> dict[str, str]:
        """Release id → slug, for the ids that are stored."""
        found: dict[str, str] = {}
        for chunk in chunks(sorted(set(ids)), 500):
            found.update(
                (row[0], row[1]) for row in self.conn.execute(sa.select(R.c.id, R.c.slug).where(R.c.id.in_(chunk)))
            )
        return found

    def taken_slugs(self, bases: Iterable[str]) -> set[str]:
        """Every stored slug equal to one of `bases` or, for a base that is taken, of the form `<base>-<n>`.

        One indexed `IN` query finds the taken bases (usually none); only those get a range scan for their
        suffixed variants ("base-" ≤ slug < "base." covers exactly the slugs starting with "base-").
        """
        wanted = sorted(set(bases))
        taken: set[str] = set()
        for chunk in chunks(wanted, 500):
            taken.update(row[0] for row in self.conn.execute(sa.select(R.c.slug).where(R.c.slug.in_(chunk))))
        slug = in_code_point_order(R.c.slug, self.conn.dialect.name)
        for base in sorted(taken):
            q = sa.select(R.c.slug).where(slug >= base + "-", slug < base + ".")
            taken.update(row[0] for row in self.conn.execute(q))
        return taken

    def insert_releases(self, rows: Sequence[Release], now: datetime) -> None:
        bulk_insert(
            self.conn,
            R,
            _RELEASE_COLUMNS,
            [_release_values(r) for r in rows],
            fixed={"first_ingested": now, "last_ingested": now},
        )

    def update_release(self, release: Release, now: datetime, *, as_read: Release | None = None) -> None:
        """Write `release` over the stored one. `as_read`: the stored one as this transaction read it, when the
        new version was decided from it (the ingest): the write applies only if its withdrawal is still the one
        read, else `ChangedMeanwhileError`. On PostgreSQL a press officer's `feeds releases withdraw` in another
        process may commit between the ingest's read and its write; written over, it would be lost without a word.
        (On SQLite every writing transaction holds the write lock from its start: nothing commits in between.)"""
        values = _release_row(release)
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

    def files_already_ingested(self, files: Iterable[tuple[str, str, str]]) -> dict[tuple[str, str, str], datetime]:
        """Which of the (source, name, sha256) triples are in the ledger, and when each was ingested."""
        t = schema.ingested_files
        wanted = set(files)
        names: dict[str, set[str]] = {}
        for source, name, _ in wanted:
            names.setdefault(source, set()).add(name)
        found: dict[tuple[str, str, str], datetime] = {}
        # By (source, name), the primary key's leading columns: an index lookup per file. (By sha256 alone,
        # its last column, every query scanned the whole ledger, which grows with every file ever ingested.)
        for source, source_names in sorted(names.items()):
            for chunk in chunks(sorted(source_names), 500):
                q = sa.select(t.c.source, t.c.name, t.c.sha256, t.c.ingested_at)
                q = q.where(t.c.source == source, t.c.name.in_(chunk))
                for row in self.conn.execute(q):
                    if (key := (row[0], row[1], row[2])) in wanted:
                        found[key] = row[3]
        return found

    def files_with_bytes(
        self, source: str, hashes: Iterable[str], *, elsewhere: bool = False
    ) -> dict[str, tuple[str, str, list[str]]]:
        """For each of these SHA-256 digests that a file of `source` (with `elsewhere`: of every other source) had
        when it was ingested: (its source, its name, the ids of its releases), the earliest such file."""
        t = schema.ingested_files
        found: dict[str, tuple[str, str, list[str]]] = {}
        dialect = self.conn.dialect.name
        earliest = (t.c.ingested_at, in_code_point_order(t.c.source, dialect), in_code_point_order(t.c.name, dialect))
        for chunk in chunks(sorted(set(hashes)), 500):
            q = sa.select(t.c.sha256, t.c.source, t.c.name, t.c.release_ids).where(t.c.sha256.in_(chunk))
            q = q.where(t.c.source != source if elsewhere else t.c.source == source).order_by(*earliest)
            for sha, src, name, ids in self.conn.execute(q):
                found.setdefault(sha, (src, name, json.loads(ids)))
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
            [(s, n, h, json.dumps(list(ids))) for (s, n, h), ids in fresh.items()],
            fixed={"ingested_at": now},
            ignore_conflicts=True,
        )

    def idempotent_release(self, key: str) -> str | None:
        t = schema.idempotency
        return self.conn.execute(sa.select(t.c.release_id).where(t.c.key == key)).scalar_one_or_none()

    def remember_idempotency(self, key: str, release_id: str, now: datetime) -> None:
        self.conn.execute(schema.idempotency.insert().values(key=key, release_id=release_id, created_at=now))


class Store(
    WatchedFeedStoreMixin,
    FeedClaimStoreMixin,
    ItemStoreMixin,
    EntryIdStoreMixin,
    RuleStoreMixin,
    MatchStoreMixin,
    HostSlotStoreMixin,
    AlertStoreMixin,
    DeliveryLogStoreMixin,
    RefusalStoreMixin,
    DigestStoreMixin,
    PublishedFeedsMixin,
    RetentionStoreMixin,
):
    """A database of releases (and, later, watched feeds, rules, items and matches)."""

    def __init__(self, engine: sa.Engine):
        self.engine = engine
        self.url = shown_database_url(engine.url.render_as_string(hide_password=False))

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    def close(self) -> None:
        self.engine.dispose()

    def optimise(self) -> None:
        """Housekeeping: refresh the planner's statistics; on SQLite also fold the WAL back into the database.

        On SQLite both pragmas run outside any transaction, on the driver's connection (which is in autocommit
        mode): inside the one SQLAlchemy opens, `PRAGMA optimize` made it a write transaction, and the checkpoint
        then failed with "database table is locked" at every housekeeping run."""
        with self.engine.connect() as conn:
            if self.dialect == "sqlite":
                cursor = conn.connection.dbapi_connection.cursor()  # type: ignore[union-attr]
                try:
                    cursor.execute("PRAGMA optimize")
                    cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()
                finally:
                    cursor.close()
            else:
                conn.exec_driver_sql("ANALYZE")
                conn.commit()

    @contextmanager
    def exclusive(self, name: str) -> Iterator[bool]:
        """A named single-runner section across every daemon on this database (see `feeds.store.locks`)."""
        from feeds.store.locks import exclusive

        with exclusive(self.engine, name) as got:
            yield got

    def lock_holder(self, name: str) -> str | None:
        """Who holds the named lock, as it records it (pid, host, since when), or None."""
        from feeds.store.locks import holder

        return holder(self.engine, name)

    # --- schema ---

    def migrate(self, now: datetime) -> list[migrations.Migration]:
        try:
            self._check_schema()
            return migrations.migrate(self.engine, now)
        except sa.exc.OperationalError as e:
            # (one line: psycopg adds a tab-indented hint on a line of its own, "Is the server running…")
            raise StoreError(f"cannot open database {self.url}: {' '.join(str(e.orig).split())}") from e

    def _check_schema(self) -> None:
        """On PostgreSQL, that a schema of the search_path exists to hold the tables: a URL naming one not created
        yet (`options=-csearch_path=staging`) otherwise failed with "no schema has been selected to create in"."""
        if self.dialect != "postgresql":
            return
        with self.engine.connect() as conn:
            current, path = conn.execute(sa.text("SELECT current_schema(), current_setting('search_path')")).one()
        if current is None:
            first = path.split(",")[0].strip()
            raise StoreError(
                f"database {self.url}: no schema on its search_path ({path}) exists: create it first "
                f"(CREATE SCHEMA {first}), or correct the search_path in the URL"
            )

    def pending_migrations(self) -> list[migrations.Migration]:
        with self.engine.connect() as conn:
            applied = migrations.applied_versions(conn)
        return [m for m in migrations.MIGRATIONS if m.version not in applied]

    def ensure_current(self) -> None:
        pending = self.pending_migrations()
        if pending:
            raise MigrationError(f"database {self.url} needs migration {pending[0].version}: run `feeds db migrate`")

    # --- transactions ---

    @contextmanager
    def transaction(self) -> Iterator[Tx]:
        with writing(self.engine) as conn:
            yield Tx(conn)

    @contextmanager
    def batch(self) -> Iterator[None]:
        """The writes of this thread inside go to the database in one transaction (see `tx.batched`)."""
        with batched(self.engine):
            yield

    # --- releases (reads) ---

    def releases(self, *, limit: int | None = None, until: datetime | None = None) -> list[Release]:
        """Newest first (by published, then id, so the order is total and stable); with `until`, only those
        published by then (not the ones held back for an embargo)."""
        q = _SELECT_RELEASE.order_by(R.c.published.desc(), in_code_point_order(R.c.id, self.dialect).desc())
        if until is not None:
            q = q.where(R.c.published <= until)
        if limit is not None:
            q = q.limit(limit)
        with self.engine.connect() as conn:
            return [_release_from(row) for row in conn.execute(q)]

    def releases_held(self, now: datetime) -> list[tuple[str, datetime]]:
        """(slug, publication time) of the releases dated after `now` (embargoed: off the site), soonest first;
        not those withdrawn before their publication, which never go public (`Release.never_public`)."""
        q = sa.select(R.c.slug, R.c.published).where(R.c.published > now)
        q = q.where(sa.or_(R.c.withdrawn_at.is_(None), R.c.withdrawn_at >= R.c.published))
        q = q.order_by(R.c.published, in_code_point_order(R.c.slug, self.dialect))
        with self.engine.connect() as conn:
            return [(slug, published) for slug, published in conn.execute(q)]

    def releases_stored_since(self, since: datetime | None) -> tuple[list[Release], datetime | None]:
        """Releases created or changed at or after `since` (all when None), and the latest such time seen.

        Lets a long-running process keep its releases in memory and fetch only what changed between publishes.
        """
        q = _SELECT_RELEASE.add_columns(R.c.last_ingested)
        if since is not None:
            q = q.where(R.c.last_ingested >= since)
        with self.engine.connect() as conn:
            rows = conn.execute(q).all()
        latest = max((row.last_ingested for row in rows), default=None)
        return [_release_from(row) for row in rows], latest

    def release(self, id_or_slug: str) -> Release:
        q = _SELECT_RELEASE.where(sa.or_(R.c.id == id_or_slug, R.c.slug == id_or_slug))
        with self.engine.connect() as conn:
            row = conn.execute(q).first()
        if row is None:
            raise NotFoundError(f"no release with id or slug {id_or_slug!r}")
        return _release_from(row)

    def release_archive_order(self) -> list[str]:
        """Release ids in the order they went public: when first stored, or, stored under an embargo, when it
        lifted (ties broken by publication date, then id). The main feed's archives are cut in this order.

        By first storing alone, an embargoed release stored before others was put among them when it went public,
        and every archive from there on shifted by one, though each says it is complete and is cached for a day.
        A release public at a publish went public then at the latest, and one not yet public goes public later,
        so it joins after every release already shown; a release never embargoed keeps its place."""
        went_public = sa.case((R.c.published > R.c.first_ingested, R.c.published), else_=R.c.first_ingested)
        q = sa.select(R.c.id).order_by(went_public, R.c.published, in_code_point_order(R.c.id, self.dialect))
        with self.engine.connect() as conn:
            return [row[0] for row in conn.execute(q)]

    def last_release_stored(self) -> datetime | None:
        """When a release was last created or changed, by any daemon or command."""
        with self.engine.connect() as conn:  # (max keeps the column's type: an aware UTC datetime comes back)
            latest: datetime | None = conn.execute(sa.select(sa.func.max(R.c.last_ingested))).scalar_one()
        return latest

    def release_slugs(self, ids: Iterable[str]) -> dict[str, str]:
        """Release id → slug, for the ids that are stored."""
        with self.engine.connect() as conn:
            return Tx(conn).slugs_of(ids)

    def count_releases(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(R)).scalar_one())

    # --- daemons ---

    def save_worker_status(self, worker: str, *, started: datetime, now: datetime, status: dict[str, Any]) -> None:
        t = schema.workers
        values = {"started_at": started, "heartbeat": now, "status": json.dumps(status, default=str, sort_keys=True)}
        with writing(self.engine) as conn:
            if not conn.execute(t.update().where(t.c.worker == worker).values(**values)).rowcount:
                conn.execute(t.insert().values(worker=worker, **values))

    def prune_idempotency(self, before: datetime) -> int:
        """Forget the `Idempotency-Key`s (and the answers kept with them) recorded before `before`."""
        t = schema.idempotency
        with writing(self.engine) as conn:
            return int(conn.execute(t.delete().where(t.c.created_at < before)).rowcount or 0)

    def prune_workers(self, before: datetime) -> int:
        """Forget the daemons (and `feeds run --once` runs) last heard of before `before`: one row per process
        that ever ran, read whole by every `feeds status`, which shows only the last `WORKERS_SHOWN`."""
        t = schema.workers
        with writing(self.engine) as conn:
            return int(conn.execute(t.delete().where(t.c.heartbeat < before)).rowcount or 0)

    def worker_statuses(self, *, since: datetime) -> list[tuple[str, datetime, datetime, dict[str, Any]]]:
        """(worker, started, heartbeat, status) of daemons seen since `since`, newest heartbeat first."""
        t = schema.workers
        q = sa.select(t).where(t.c.heartbeat >= since).order_by(t.c.heartbeat.desc())
        with self.engine.connect() as conn:
            return [(r.worker, r.started_at, r.heartbeat, json.loads(r.status)) for r in conn.execute(q)]

    def leases(self, now: datetime) -> dict[str, int]:
        """Live feed leases per worker."""
        wf = schema.watched_feeds
        q = (
            sa.select(wf.c.lease_owner, sa.func.count())
            .where(wf.c.lease_owner.is_not(None), wf.c.lease_until > now)
            .group_by(wf.c.lease_owner)
        )
        with self.engine.connect() as conn:
            return {row[0]: int(row[1]) for row in conn.execute(q)}

    # --- per-source state ---

    def source_state(self, source: str) -> SourceState:
        t = schema.source_state
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(t).where(t.c.source == source)).first()
        if row is None:
            return SourceState(source=source)
        values = dict(row._mapping)
        return SourceState(**{**values, "held_told": _held_told_from(values["held_told"])})

    def save_source_state(self, state: SourceState) -> None:
        t = schema.source_state
        values = {
            "etag": state.etag,
            "last_modified": state.last_modified,
            "last_checked": state.last_checked,
            "last_status": state.last_status,
            "last_error": state.last_error,
            "next_check": state.next_check,
            "failures": state.failures,
            "read_with": state.read_with,
            "held_told": json.dumps({i: rfc3339(at) for i, at in state.held_told}) if state.held_told else None,
        }
        with writing(self.engine) as conn:
            updated = conn.execute(t.update().where(t.c.source == state.source).values(**values)).rowcount
            if not updated:
                conn.execute(t.insert().values(source=state.source, **values))


def _held_told_from(text: str | None) -> tuple[tuple[str, datetime], ...]:
    """The `held_told` column read back; a value this version cannot read (written by hand, cut short) counts as
    nothing said yet: the log then says it once more, which is all it costs."""
    if not text:
        return ()
    try:
        told = json.loads(text)
        return tuple((str(i), parse_iso(at)) for i, at in told.items())
    except (ValueError, AttributeError, TypeError):
        return ()


def shown_database_url(url: str) -> str:
    """`url` as messages may show it: a password replaced by `***`, in the user part or in the query string
    (`?password=`, `sslpassword=`…), even in a URL that is not valid."""
    shown = re.sub(r"(//[^/@:]*:)[^/@]*@", r"\1***@", url)
    return _SECRET_PARAM.sub(r"\1***", shown)


_SECRET_PARAM = re.compile(r"([?&][^=&#]*(?:password|passwd|secret|token|key)[^=&#]*=)[^&#]*", re.IGNORECASE)
