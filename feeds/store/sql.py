"""The store: `Store`, the one object the rest of the program holds to reach the database (SQLite or PostgreSQL,
through SQLAlchemy Core), made of one mixin per concern.

Why SQLAlchemy Core rather than two hand-written DB-API layers: one schema definition and one set of queries
compile to both dialects (`ON CONFLICT`, `FOR UPDATE SKIP LOCKED`, typed timestamps), with connection pooling
and parameter binding done by a library that has handled those dialect differences for years.

This module holds what is `Store`'s own: migrating (`feeds.store.migrations`) and refusing an unmigrated database,
transactions (`Store.transaction` yields a `feeds.store.releasetx.Tx`; `Store.batch`), housekeeping of the
database itself, the single-runner locks, and the URL as messages show it. Each concern's reads and writes are its
own module's mixin (the releases: `feeds.store.releases`; the watch, alerts…: see `Store`'s bases).

What this module must not do: hold a concern's queries (they go to that concern's mixin), or set up an engine
(`feeds.store.engines`: `open_store` makes one per dialect and hands it to `Store`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime

import sqlalchemy as sa

from feeds.errors import MigrationError, StoreError
from feeds.logs import joined_lines
from feeds.store import migrations
from feeds.store.alerts import AlertStoreMixin
from feeds.store.claims import FeedClaimStoreMixin
from feeds.store.curation import CurationStoreMixin
from feeds.store.daemons import DaemonStoreMixin
from feeds.store.deliverylog import DeliveryLogStoreMixin
from feeds.store.digests import DigestStoreMixin
from feeds.store.dismissals import DismissalStoreMixin
from feeds.store.engines import NoDatabaseError
from feeds.store.entryids import EntryIdStoreMixin
from feeds.store.hostslots import HostSlotStoreMixin
from feeds.store.items import ItemStoreMixin
from feeds.store.matches import MatchStoreMixin
from feeds.store.pictures import PictureStoreMixin
from feeds.store.published import PublishedFeedsMixin
from feeds.store.refusals import RefusalStoreMixin
from feeds.store.releases import ReleaseStoreMixin
from feeds.store.releasetx import Tx
from feeds.store.retention import RetentionStoreMixin
from feeds.store.rules import RuleStoreMixin
from feeds.store.sourcestate import SourceStateStoreMixin
from feeds.store.tx import batched, writing
from feeds.store.watchedfeeds import WatchedFeedStoreMixin
from feeds.urls import without_secrets as shown_database_url  # (a database URL as messages show it)


class Store(
    ReleaseStoreMixin,
    PictureStoreMixin,
    WatchedFeedStoreMixin,
    FeedClaimStoreMixin,
    ItemStoreMixin,
    EntryIdStoreMixin,
    RuleStoreMixin,
    MatchStoreMixin,
    CurationStoreMixin,
    DismissalStoreMixin,
    HostSlotStoreMixin,
    AlertStoreMixin,
    DeliveryLogStoreMixin,
    RefusalStoreMixin,
    DigestStoreMixin,
    PublishedFeedsMixin,
    RetentionStoreMixin,
    SourceStateStoreMixin,
    DaemonStoreMixin,
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

    def migrate(self, now: datetime, *, create: bool = True) -> list[migrations.Migration]:
        """Apply the missing migrations. With `create=False` (a command that only reads), a database where none was
        ever applied (an existing but empty PostgreSQL schema: a typo in the URL, one without its search_path) is
        `NoDatabaseError`, not one made there and reported as an empty office."""
        try:
            self._check_schema()
            if not create and not self.applied_versions():
                raise NoDatabaseError(self.url)
            return migrations.migrate(self.engine, now)
        except sa.exc.OperationalError as e:
            # (one line: psycopg adds a tab-indented hint on a line of its own, "Is the server running…")
            raise StoreError(f"cannot open database {self.url}: {joined_lines(str(e.orig))}") from e

    def _check_schema(self) -> None:
        """On PostgreSQL, that a schema of the search_path exists to hold the tables: a URL naming one not created
        yet (`options=-csearch_path=staging`) otherwise failed with "no schema has been selected to create in"."""
        if self.dialect != "postgresql":
            return
        try:
            conn = self.engine.connect()
        except sa.exc.DBAPIError as e:  # (also a connection option libpq does not know: a ProgrammingError)
            raise StoreError(f"cannot open database {self.url}: {joined_lines(str(e.orig))}") from e
        with conn:
            current, path = conn.execute(sa.text("SELECT current_schema(), current_setting('search_path')")).one()
        if current is None:
            first = path.split(",")[0].strip()
            raise StoreError(
                f"database {self.url}: no schema on its search_path ({path}) exists: create it first "
                f"(CREATE SCHEMA {first}), or correct the search_path in the URL"
            )

    def applied_versions(self) -> set[int]:
        with self.engine.connect() as conn:
            return migrations.applied_versions(conn)

    def pending_migrations(self) -> list[migrations.Migration]:
        applied = self.applied_versions()
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
