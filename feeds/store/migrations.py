"""The ordered, recorded migrations, and `migrate()`, which applies those a database lacks.

A migration is appended, never edited once released: version N's tables are what version N created plus what
later versions altered (the tables as they are now: `feeds.store.schema`). `migrate()` applies the missing ones in
order, each in its own transaction together with its record in `schema_migrations`; a database newer than this
code is an error rather than a guess. On PostgreSQL the run holds an advisory lock so several machines may migrate
at once. A migration that rewrites stored values does so in a step of its own (`feeds.store.migrationsteps`), with
its own frozen copy of any logic it needs (`feeds.store.frozen`).

What this module must not do: change an applied migration (its number, name, order or what it does: a database
migrated by an older version must stay up to date), or call a live function whose later change would change what
an old migration does.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from feeds.errors import MigrationError
from feeds.store import migrationsteps
from feeds.store.alerts import alert_deliveries, alert_destinations
from feeds.store.schema import (
    dismissals,
    entry_ids,
    host_slots,
    idempotency,
    ingested_files,
    items,
    matches,
    pictures,
    publish_outcome,
    published_feeds,
    related_applied,
    release_pictures,
    releases,
    rules,
    schema_migrations,
    source_state,
    watch_settings,
    watched_feeds,
    workers,
)


@dataclass(frozen=True, slots=True)
class Migration:
    version: int
    name: str
    apply: Callable[[Connection], None]


def _create(*tables: sa.Table) -> Callable[[Connection], None]:
    def run(conn: Connection) -> None:
        for t in tables:
            t.create(conn)

    return run


def _steps(*steps: Callable[[Connection], None]) -> Callable[[Connection], None]:
    def run(conn: Connection) -> None:
        for step in steps:
            step(conn)

    return run


def _add_column(table: sa.Table, name: str) -> Callable[[Connection], None]:
    """Add `table.c[name]` to a table an older migration created without it. A table created from the current
    definition (a new database, where the earlier migration made it) has it already, and is left alone."""

    def run(conn: Connection) -> None:
        if name in {c["name"] for c in sa.inspect(conn).get_columns(table.name)}:
            return
        column = table.c[name]
        kind = column.type.compile(dialect=conn.dialect)
        conn.exec_driver_sql(f"ALTER TABLE {table.name} ADD COLUMN {name} {kind}")

    return run


def _has_index(conn: Connection, table: sa.Table, name: str) -> bool:
    return name in {i["name"] for i in sa.inspect(conn).get_indexes(table.name)}


def _add_index(table: sa.Table, name: str) -> Callable[[Connection], None]:
    """Create the index `name` of `table` on a table an older migration created without it (a new database has
    it already)."""

    def run(conn: Connection) -> None:
        if _has_index(conn, table, name):
            return
        (index,) = (i for i in table.indexes if i.name == name)
        index.create(conn)

    return run


def _add_index_as(table: sa.Table, name: str, *columns: str) -> Callable[[Connection], None]:
    """Create the index `name` on `columns` of `table` if it is not there: an index the current definition no
    longer has (a later migration drops it), made as the migration that brought it made it."""

    def run(conn: Connection) -> None:
        if not _has_index(conn, table, name):
            conn.exec_driver_sql(f"CREATE INDEX {name} ON {table.name} ({', '.join(columns)})")

    return run


def _drop_index(table: sa.Table, name: str) -> Callable[[Connection], None]:
    """Drop the index `name` of `table` if it is there."""

    def run(conn: Connection) -> None:
        if _has_index(conn, table, name):
            conn.exec_driver_sql(f"DROP INDEX {name}")

    return run


def _drop_column(table: str, name: str) -> Callable[[Connection], None]:
    """Drop a column an older migration created (a new database, made from the current definition, has none)."""

    def run(conn: Connection) -> None:
        if name in {c["name"] for c in sa.inspect(conn).get_columns(table)}:
            conn.exec_driver_sql(f"ALTER TABLE {table} DROP COLUMN {name}")

    return run


MIGRATIONS: tuple[Migration, ...] = (
    Migration(1, "releases", _create(releases, idempotency, ingested_files, source_state)),
    Migration(2, "watch", _create(watched_feeds, rules, items, matches)),
    Migration(3, "alerts", _create(alert_destinations, alert_deliveries)),
    Migration(4, "workers", _create(workers)),
    Migration(5, "watched feed body digest", _add_column(watched_feeds, "body_digest")),
    Migration(6, "related applied", _create(related_applied)),
    Migration(
        7,
        "items still in their feed",
        _steps(_add_column(items, "in_body_at"), _add_column(watched_feeds, "body_read_at")),
    ),
    Migration(8, "items by content", _add_index(items, "ix_items_feed_hash")),
    # (Dropped by migration 39; made as it was, for the migrations between to find.)
    Migration(
        9, "ingested files by bytes", _add_index_as(ingested_files, "ix_ingested_files_bytes", "source", "sha256")
    ),
    Migration(10, "when an item last changed", _add_column(items, "changed_at")),
    Migration(11, "what a source's document was read with", _add_column(source_state, "read_with")),
    Migration(
        12,
        "rule names unique but for case, one feed folder per rule",
        _steps(
            _add_column(rules, "folded"),
            _add_column(rules, "slug"),
            migrationsteps.fill_rule_keys,
            _add_index(rules, "ux_rules_folded"),
            _add_index(rules, "ux_rules_slug"),
        ),
    ),
    Migration(13, "items as text only", _steps(migrationsteps.rehash_items, _drop_column("items", "content_html"))),
    # Not filled from `updated` for the releases stored already: which of those were the source's and which a time
    # we set cannot be told apart, and a guess would keep ignoring the edits this column exists for. Until a
    # release's next version is stored, an edit is never taken for an older copy (a genuinely stale copy could
    # then stand in for the newer version until that is read again); a withdrawal is still held against copies
    # dated no later than it (`reconcile`).
    Migration(14, "the source's own update time of a release", _add_column(releases, "source_updated")),
    Migration(
        15,
        "a feed's parse warning kept apart",
        _steps(_add_column(watched_feeds, "parse_warning"), migrationsteps.keep_warnings),
    ),
    Migration(16, "ingested files by bytes from any source", _add_index(ingested_files, "ix_ingested_files_sha256")),
    Migration(17, "match-feed entry ids as first published", _create(entry_ids)),
    Migration(18, "international feed hosts in their xn-- form", migrationsteps.dns_feed_hosts),
    Migration(19, "feeds as published: the highest updated, a topic's name", _create(published_feeds)),
    Migration(20, "feed URLs escaped as requests sends them", migrationsteps.escape_feed_urls),
    Migration(
        21,
        "withdrawals made by hand held against their source",
        _steps(_add_column(releases, "withdrawn_by_hand"), migrationsteps.hold_withdrawals),
    ),
    Migration(22, "a plain notice for every withdrawal stored without a note", migrationsteps.note_every_withdrawal),
    Migration(
        23,
        "when the log last said a remote source still lists a release withdrawn by hand",
        _add_column(source_state, "held_told"),
    ),
    Migration(
        24,
        "the related settings stored coverage was found with",
        _steps(_create(watch_settings), _add_column(matches, "quiet")),
    ),
    Migration(
        25,
        "alert destinations that refuse everything, backed off",
        _steps(
            _add_column(alert_destinations, "refused_status"),
            _add_column(alert_destinations, "refused_since"),
            _add_column(alert_destinations, "refusals"),
            _add_column(alert_destinations, "probe_at"),
        ),
    ),
    Migration(26, "requests under way per host, shared by every daemon", _create(host_slots)),
    Migration(27, "the last publish and its failures, shared by every machine", _create(publish_outcome)),
    Migration(28, "the other language version a release translates", _add_column(releases, "translation_of")),
    Migration(
        29,
        "each recipient's answer on an email delivery the server took for some of them",
        _add_column(alert_deliveries, "recipients"),
    ),
    # A title stored already is taken as given (a title the feed named itself by cannot be told apart from one
    # typed): never overridden; `feeds watch edit --title ''` hands it back to the feed. A config feed without
    # one is set right at the next import of the config.
    Migration(
        30,
        "watched feeds: whether the title was given, and since when a feed is failing",
        _steps(
            _add_column(watched_feeds, "title_given"),
            _add_column(watched_feeds, "failing_since"),
            migrationsteps.given_titles,
        ),
    ),
    # A release shown keeps its place in the order archives are cut in: worked out from `published` at every read,
    # a public release re-dated later by its source moved, and archives said to be complete changed.
    Migration(
        31,
        "each shown release's place in the archives' order, kept",
        _steps(
            _add_column(releases, "went_public"),
            _add_column(releases, "dated_when_public"),
            migrationsteps.keep_went_public,
        ),
    ),
    # Personal data we have no use for: a journalist's name is attribution, their address is not ours to keep.
    Migration(32, "watched items' authors kept by name, without email addresses", migrationsteps.authors_by_name),
    # A legal takedown erases a release's text and keeps a tombstone in its row (`feeds.ingest.takedown`).
    Migration(
        33,
        "releases taken down for a legal reason: when and why",
        _steps(
            _add_column(releases, "removed_at"),
            _add_column(releases, "removed_reason"),
            _add_index(releases, "ix_releases_removed_at"),
        ),
    ),
    # Pictures dropped with a release are published by whichever machine publishes: their bytes live here.
    Migration(34, "pictures dropped with their releases", _create(pictures)),
    # A corrected release dropped without the photograph sent with its first version keeps showing it.
    Migration(35, "the picture each release showed under each name", _create(release_pictures)),
    # A press officer dismisses a wrong match (kept, never found again) or adds coverage the matcher missed.
    Migration(
        36,
        "matches dismissed, restored or added by hand: when, by whom, why",
        _steps(
            _add_column(matches, "dismissed_at"),
            _add_column(matches, "dismiss_reason"),
            _add_column(matches, "curated_by"),
            _add_column(matches, "curated_at"),
            _add_index(matches, "ix_matches_dismissed_at"),
            _add_index(matches, "ix_matches_curated_at"),
        ),
    ),
    # The language a watched feed gives, kept with its items: published with their words (`lang`), listed in JSON.
    # Items stored before have none until their text changes.
    Migration(37, "watched items' language, as their feed gives it", _add_column(items, "language")),
    # A dismissal outlives the item it was made on: a watched feed removed and added again (or the article coming
    # through another feed later) meets it. Every dismissed match of an older database is carried over as it is.
    Migration(
        38,
        "dismissals kept apart from the items they were made on",
        _steps(_create(dismissals), migrationsteps.carry_dismissals),
    ),
    # Every file ingested kept three indexes of the ledger up to date; the one by source and bytes found nothing
    # the one by bytes alone (migration 16) does not find as quickly: a digest has one row, or a few.
    Migration(
        39, "the ledger's index by source and bytes dropped", _drop_index(ingested_files, "ix_ingested_files_bytes")
    ),
)
"""Append only. Each entry's `apply` runs inside a transaction together with its record."""

LATEST = MIGRATIONS[-1].version

_PG_LOCK_KEY = 0x46454544  # "FEED": the advisory lock every `migrate` on PostgreSQL takes


def applied_versions(conn: Connection) -> set[int]:
    if not sa.inspect(conn).has_table("schema_migrations"):
        return set()
    return {row[0] for row in conn.execute(sa.select(schema_migrations.c.version))}


def _recorded(conn: Connection, version: int) -> bool:
    """Whether `version` is recorded as applied, read inside the migration's own write transaction: on SQLite (no
    advisory lock) two processes starting at once both find it missing, and the one that waited for the write
    lock finds it applied here rather than failing on the table the other made."""
    found = sa.select(schema_migrations.c.version).where(schema_migrations.c.version == version)
    return conn.execute(found).first() is not None


def migrate(engine: sa.Engine, now: datetime) -> list[Migration]:
    """Apply every missing migration in order; return those applied. Safe to run concurrently."""
    done: list[Migration] = []
    with engine.connect() as conn:
        if conn.dialect.name == "postgresql":
            # However long another process's migration takes (or a table's lock, for an ALTER): no lock_timeout.
            conn.execute(sa.text("SET lock_timeout = 0"))
            conn.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": _PG_LOCK_KEY})
            conn.commit()
        try:
            with conn.begin():
                if not sa.inspect(conn).has_table("schema_migrations"):
                    schema_migrations.create(conn, checkfirst=True)
            applied = applied_versions(conn)
            conn.commit()
            newer = {v for v in applied if v > LATEST}
            if newer:
                raise MigrationError(
                    f"the database has schema version {max(newer)} but this feeds knows only up to {LATEST}: "
                    "upgrade feeds before using this database"
                )
            conn.execution_options(immediate=True)  # (SQLite: each migration takes the write lock up front)
            for m in MIGRATIONS:
                if m.version in applied:
                    continue
                try:
                    with conn.begin():
                        if _recorded(conn, m.version):
                            continue  # another process applied it while this one waited for the lock
                        m.apply(conn)
                        conn.execute(schema_migrations.insert().values(version=m.version, name=m.name, applied_at=now))
                except Exception as e:  # (a bug in a data migration too: named, rolled back, not a traceback)
                    why = str(e) if isinstance(e, sa.exc.SQLAlchemyError) else f"{type(e).__name__}: {e}"
                    raise MigrationError(f"migration {m.version} ({m.name}) failed: {why}") from e
                done.append(m)
        finally:
            if conn.dialect.name == "postgresql":
                conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": _PG_LOCK_KEY})
                conn.execute(sa.text("RESET lock_timeout"))  # (the connection goes back to the pool)
                conn.commit()
    return done
