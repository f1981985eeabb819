"""The database's tables: one SQLAlchemy Core definition of each, serving SQLite and PostgreSQL, and `UTCDateTime`.

Each table is defined as the latest migration leaves it (a comment names the migration that added a column or an
index); how a database gets there, version by version, is `feeds.store.migrations`. The alert stage's two tables
are defined in `feeds.store.alerts`, on this module's `metadata`.

What this module must not do: hold data access (that is `feeds.store.sql` and its mixins), or migrate: a table
changed here without a migration appended in `feeds.store.migrations` exists only in new databases.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect

metadata: sa.MetaData = sa.MetaData()  # (annotated: the modules defining tables on it need no inference)


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Aware UTC datetimes in, aware UTC datetimes out, on both databases.

    SQLite has no time zone type: values are stored as UTC ISO text (which also sorts correctly); PostgreSQL
    gets `timestamptz`.
    """

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        value = _in_utc(value)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def bind_processor(self, dialect: Dialect) -> Callable[[datetime | None], Any] | None:
        """On SQLite, `process_bind_param` and the text SQLAlchemy's DATETIME stores in one step: `isoformat`
        writes the same text (`2026-11-02 09:30:00.000000`, so comparisons and sorting in SQL are unchanged) in
        under half the time of its %-formatting from a dict, which counted for a tenth of storing a poll's items."""
        if dialect.name != "sqlite":
            return super().bind_processor(dialect)

        def process(value: datetime | None) -> str | None:
            if value is None:
                return None
            return _in_utc(value).isoformat(" ", "microseconds")[:26]  # (without "+00:00": 4-digit years only)

        return process

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _in_utc(value: datetime) -> datetime:
    """An aware time, in UTC (the same object when it is already); a naive one is refused, never guessed at."""
    if value.tzinfo is None:
        raise ValueError(f"naive datetime {value!r} cannot be stored")
    return value if value.tzinfo is UTC else value.astimezone(UTC)


schema_migrations = sa.Table(
    "schema_migrations",
    metadata,
    sa.Column("version", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("name", sa.Text, nullable=False),
    sa.Column("applied_at", UTCDateTime, nullable=False),
)

releases = sa.Table(
    "releases",
    metadata,
    sa.Column("id", sa.Text, primary_key=True),
    sa.Column("identity", sa.Text, nullable=False, unique=True),
    sa.Column("slug", sa.Text, nullable=False, unique=True),
    sa.Column("permalink", sa.Text, nullable=False),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("summary", sa.Text, nullable=False),
    sa.Column("body_html", sa.Text, nullable=False),
    sa.Column("body_text", sa.Text, nullable=False),
    sa.Column("published", UTCDateTime, nullable=False, index=True),
    sa.Column("updated", UTCDateTime, nullable=False),
    sa.Column("organisation", sa.Text, nullable=False),
    sa.Column("topics", sa.Text, nullable=False),
    sa.Column("language", sa.Text, nullable=False),
    sa.Column("document_type", sa.Text, nullable=False),
    sa.Column("source", sa.Text, nullable=False),
    sa.Column("origin", sa.Text, nullable=False),
    sa.Column("content_hash", sa.Text, nullable=False),
    sa.Column("link", sa.Text),
    sa.Column("image", sa.Text),
    sa.Column("withdrawn_at", UTCDateTime),
    sa.Column("withdrawn_note", sa.Text),
    sa.Column("changes", sa.Text, nullable=False),
    sa.Column("dated_by_source", sa.Boolean, nullable=False),
    sa.Column("first_ingested", UTCDateTime, nullable=False),
    sa.Column("last_ingested", UTCDateTime, nullable=False),
    # Migration 14: the source's own `updated` for the stored version (NULL: it gave none, or the version was
    # stored before migration 14). `updated` may be a time we set, which must never make a real edit look older.
    sa.Column("source_updated", UTCDateTime),
    # Migration 21: whether the withdrawal was made here (`feeds releases withdraw`), which copies from the source
    # do not undo; NULL or false: withdrawn by the source (or not withdrawn).
    sa.Column("withdrawn_by_hand", sa.Boolean),
    # Migration 28: the other language version the release translates, as its input named it (NULL: none named).
    sa.Column("translation_of", sa.Text),
    # Migration 31: its place in the order releases went public (`Store.release_archive_order`), kept by the first
    # publish that showed it and never changed: when it went public (stored, or its embargo lifted) and its
    # publication time then. NULL: not shown yet (the order reads the same from `published` and `first_ingested`).
    sa.Column("went_public", UTCDateTime),
    sa.Column("dated_when_public", UTCDateTime),
    # Migration 33: a legal takedown (`feeds releases remove`): when, and why (never published). The row stays as a
    # tombstone (its id, slug and place in the archives' order), its text erased and its identity hashed.
    sa.Column("removed_at", UTCDateTime),
    sa.Column("removed_reason", sa.Text),
    sa.Index("ix_releases_removed_at", "removed_at"),  # migration 33: every publish reads the few taken down
)

# Records of "an idempotency key already produced this release" for the push API and remote sources.
idempotency = sa.Table(
    "idempotency",
    metadata,
    sa.Column("key", sa.Text, primary_key=True),
    sa.Column("release_id", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
)

# The ledger of files already ingested, written in the same transaction as their releases: a file found again
# after a crash between commit and move (same source, name and bytes) is recognised and only moved.
ingested_files = sa.Table(
    "ingested_files",
    metadata,
    sa.Column("source", sa.Text, primary_key=True),
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("sha256", sa.Text, primary_key=True),
    sa.Column("ingested_at", UTCDateTime, nullable=False),
    sa.Column("release_ids", sa.Text, nullable=False),
    # Migration 16: the same bytes, from this source or another (migration 9's index by source and bytes, which
    # every file's insert kept up too, went with migration 39: a digest's few rows are told apart by their source
    # as cheaply as they are found).
    sa.Index("ix_ingested_files_sha256", "sha256"),
)

# Per-source state that must survive restarts and be shared by daemons (e.g. a remote source's validators).
source_state = sa.Table(
    "source_state",
    metadata,
    sa.Column("source", sa.Text, primary_key=True),
    sa.Column("etag", sa.Text),
    sa.Column("last_modified", sa.Text),
    sa.Column("last_checked", UTCDateTime),
    sa.Column("last_status", sa.Text),
    sa.Column("last_error", sa.Text),
    sa.Column("next_check", UTCDateTime),
    sa.Column("failures", sa.Integer, nullable=False, server_default="0"),
    sa.Column("read_with", sa.Text),  # migration 11: what the validators' body was read with (the mapping's digest)
    # Migration 23: the releases withdrawn by hand that the source's document still lists, and when the log last
    # said so, as a JSON object {release id: RFC 3339 time} (`feeds.ingest.remote_json`).
    sa.Column("held_told", sa.Text),
)


# --- watch (migration 2) ---

watched_feeds = sa.Table(
    "watched_feeds",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("url", sa.Text, nullable=False, unique=True),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("tags", sa.Text, nullable=False),
    sa.Column("interval_s", sa.Float, nullable=False),
    sa.Column("enabled", sa.Boolean, nullable=False),
    sa.Column("origin", sa.Text, nullable=False),
    sa.Column("added_at", UTCDateTime, nullable=False),
    sa.Column("etag", sa.Text),
    sa.Column("last_modified", sa.Text),
    sa.Column("last_checked", UTCDateTime),
    sa.Column("last_status", sa.Text),
    sa.Column("last_error", sa.Text),
    sa.Column("failures", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_check", UTCDateTime, index=True),
    sa.Column("items_seen", sa.Integer, nullable=False, server_default="0"),
    sa.Column("disabled_reason", sa.Text),
    sa.Column("redirect_url", sa.Text),
    sa.Column("redirect_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("lease_owner", sa.Text),
    sa.Column("lease_until", UTCDateTime),
    sa.Column("body_digest", sa.Text),  # migration 5
    sa.Column("body_read_at", UTCDateTime),  # migration 7
    sa.Column("parse_warning", sa.Text),  # migration 15
    sa.Column("title_given", sa.Boolean, nullable=False, server_default=sa.false()),  # migration 30
    sa.Column("failing_since", UTCDateTime),  # migration 30
)

rules = sa.Table(
    "rules",
    metadata,
    sa.Column("name", sa.Text, primary_key=True),
    sa.Column("query", sa.Text, nullable=False),
    sa.Column("origin", sa.Text, nullable=False),
    sa.Column("created_at", UTCDateTime, nullable=False),
    sa.Column("updated_at", UTCDateTime, nullable=False),
    sa.Column("applied_at", UTCDateTime),
    # Migration 12: what no two rules may share, held by the database so that two people (or daemons) adding
    # "Russia" and "russia" at the same moment cannot both succeed: the name case-folded (in any script), and
    # `rule_slug(name)`, the folder of the rule's feeds. NULL only for a rule that shared one of them with an
    # older rule before migration 12 (the one kept as it was: nothing is deleted).
    sa.Column("folded", sa.Text),
    sa.Column("slug", sa.Text),
    sa.Index("ux_rules_folded", "folded", unique=True),
    sa.Index("ux_rules_slug", "slug", unique=True),
)

items = sa.Table(
    "items",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("feed_id", sa.Integer, sa.ForeignKey("watched_feeds.id", ondelete="CASCADE"), nullable=False),
    sa.Column("key", sa.Text, nullable=False),
    sa.Column("guid", sa.Text),
    sa.Column("link", sa.Text),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("summary", sa.Text, nullable=False),
    sa.Column("content_text", sa.Text, nullable=False),  # (migration 13 dropped the item's HTML: it was never used)
    sa.Column("author", sa.Text, nullable=False),
    sa.Column("tags", sa.Text, nullable=False),
    sa.Column("published", UTCDateTime, nullable=False, index=True),
    sa.Column("updated", UTCDateTime, nullable=False),
    sa.Column("dated_by_source", sa.Boolean, nullable=False),
    sa.Column("first_seen", UTCDateTime, nullable=False, index=True),
    sa.Column("content_hash", sa.Text, nullable=False),
    sa.Column("in_body_at", UTCDateTime),  # migration 7
    sa.Column("changed_at", UTCDateTime),  # migration 10: when its text last changed (None: as first stored)
    sa.Column("language", sa.Text),  # migration 37: its feed's language tag (None: none given)
    sa.UniqueConstraint("feed_id", "key", name="uq_items_feed_key"),
    sa.Index("ix_items_feed_hash", "feed_id", "content_hash"),  # migration 8
)

matches = sa.Table(
    "matches",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("kind", sa.Text, nullable=False),
    sa.Column("subject", sa.Text, nullable=False),
    sa.Column("item_id", sa.Integer, sa.ForeignKey("items.id", ondelete="CASCADE"), nullable=False),
    sa.Column("terms", sa.Text, nullable=False),
    sa.Column("score", sa.Float, nullable=False),
    sa.Column("why", sa.Text, nullable=False),
    sa.Column("found_at", UTCDateTime, nullable=False, index=True),
    sa.Column("delay_s", sa.Float),
    # Migration 24: true for coverage found when the related settings changed (`feeds.watch.retro`), which is
    # never alerted: items stored days ago, or coverage alerted already and found again. NULL otherwise.
    sa.Column("quiet", sa.Boolean),
    # Migration 36: a press officer's corrections (`feeds matches dismiss/restore/add`). A dismissed match keeps its
    # row, so that matching the item again (its unique key) never stores it anew: it is only left out of what is
    # read and published. `curated_at` is when someone last dismissed, restored or added it (every publish asks
    # for the latest), `curated_by` who.
    sa.Column("dismissed_at", UTCDateTime),
    sa.Column("dismiss_reason", sa.Text),
    sa.Column("curated_by", sa.Text),
    sa.Column("curated_at", UTCDateTime),
    sa.UniqueConstraint("kind", "subject", "item_id", name="uq_matches_kind_subject_item"),
    sa.Index("ix_matches_dismissed_at", "dismissed_at"),
    sa.Index("ix_matches_curated_at", "curated_at"),
)


# --- a press officer's dismissals (migration 38): the judgement itself, which outlives the item it was made on ---

dismissals = sa.Table(
    "dismissals",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    # What it is of: `rule` (a keyword rule's name) or `release` (a release's id), and the article as the item it
    # was made on gave it (its link and guid as its feed wrote them, its key in that feed and the feed's address),
    # from which `feeds.store.dismissals.kept_article` works out the article, as `item_article` does for an item.
    sa.Column("side", sa.Text, nullable=False),
    sa.Column("subject", sa.Text, nullable=False, index=True),
    sa.Column("kind", sa.Text, nullable=False),  # the kind of the match named (shown while its item is gone)
    sa.Column("feed_url", sa.Text, nullable=False),
    sa.Column("feed_title", sa.Text, nullable=False),
    sa.Column("item_key", sa.Text, nullable=False),
    sa.Column("link", sa.Text),
    sa.Column("guid", sa.Text),
    sa.Column("title", sa.Text, nullable=False),
    sa.Column("dismissed_at", UTCDateTime, nullable=False),
    sa.Column("dismiss_reason", sa.Text),
    sa.Column("curated_by", sa.Text),
)

# --- match-feed entry ids as first published (migration 17): an entry keeps its id whatever happens to its matches

entry_ids = sa.Table(
    "entry_ids",
    metadata,
    sa.Column("entry", sa.Text, primary_key=True),  # what the entry lists: the item's link, or `<feed id>:<key>`
    sa.Column("feed", sa.Text, primary_key=True),  # the feed's key: `matches`, `rule:<slug>`, `coverage:<slug>`
    sa.Column("entry_id", sa.Text, nullable=False),
    sa.Column("minted_at", UTCDateTime, nullable=False),
)


# --- feeds as published (migration 19): a feed's `updated` never goes back; a topic's feeds outlive its releases ---

published_feeds = sa.Table(
    "published_feeds",
    metadata,
    sa.Column("key", sa.Text, primary_key=True),  # the feed's key: `main`, `topic:<slug>`, `org:<slug>`, …
    sa.Column("updated", UTCDateTime, nullable=False),  # the highest feed-level `updated` it was published with
    sa.Column("name", sa.Text),  # a topic's name as last published (NULL for the other feeds)
    sa.Column("first_published", UTCDateTime, nullable=False),
    sa.Column("changed_at", UTCDateTime, nullable=False),
)


# --- pictures dropped with their releases (migration 34): published from here, by every machine ---------------

pictures = sa.Table(
    "pictures",
    metadata,
    sa.Column("sha256", sa.Text, primary_key=True),  # of its bytes: a picture is kept once, whoever shows it
    sa.Column("media_type", sa.Text, nullable=False),  # `image/jpeg`, `image/png`, `image/gif`, `image/webp`
    sa.Column("width", sa.Integer, nullable=False),
    sa.Column("height", sa.Integer, nullable=False),
    sa.Column("data", sa.LargeBinary, nullable=False),
    sa.Column("stored_at", UTCDateTime, nullable=False),
)

# Which picture a release last showed under each name (migration 35): a corrected release dropped again without
# its photograph (sent with the first version) keeps the picture it showed under that name.
release_pictures = sa.Table(
    "release_pictures",
    metadata,
    sa.Column("release_id", sa.Text, primary_key=True),
    sa.Column("ref", sa.Text, primary_key=True),  # as the release names it (`images/arrival.jpg`)
    sa.Column("sha256", sa.Text, nullable=False),  # the picture's, in `pictures` while a release shows it
)


# --- coverage found after the fact (migration 6): which releases have been looked for among stored items -----

related_applied = sa.Table(
    "related_applied",
    metadata,
    sa.Column("release_id", sa.Text, primary_key=True),
    sa.Column("content_hash", sa.Text, nullable=False),
    sa.Column("applied_at", UTCDateTime, nullable=False),
)


# --- the settings stored matches were made with (migration 24): a change is applied to what is stored -----------

watch_settings = sa.Table(
    "watch_settings",
    metadata,
    sa.Column("name", sa.Text, primary_key=True),  # what the fingerprint is of: `related` (`feeds.watch.retro`)
    sa.Column("fingerprint", sa.Text, nullable=False),
    sa.Column("recorded_at", UTCDateTime, nullable=False),
)


# --- daemons (migration 4): who is running, their jobs' last results and next runs, for `feeds status` ---

workers = sa.Table(
    "workers",
    metadata,
    sa.Column("worker", sa.Text, primary_key=True),
    sa.Column("started_at", UTCDateTime, nullable=False),
    sa.Column("heartbeat", UTCDateTime, nullable=False),
    sa.Column("status", sa.Text, nullable=False),
)


# --- fetches under way per host, across daemons (migration 26): `watch.per_host` holds for all of them together ---

host_slots = sa.Table(
    "host_slots",
    metadata,
    sa.Column("host", sa.Text, primary_key=True),  # `feeds.watch.turns.host_of`: the feed URL's host name
    sa.Column("slot", sa.Integer, primary_key=True, autoincrement=False),  # 0 to `watch.per_host` - 1
    sa.Column("lease_owner", sa.Text, nullable=False),  # the run fetching from it (`feeds.store.hostslots`)
    sa.Column("lease_until", UTCDateTime, nullable=False),  # free after this, whoever holds it (a killed daemon)
)


# --- publish outcomes (migration 27): the last publish that worked, and the failures since, whoever ran it ---

publish_outcome = sa.Table(
    "publish_outcome",
    metadata,
    sa.Column("job", sa.Text, primary_key=True),  # `publish` (one row)
    sa.Column("succeeded_at", UTCDateTime),  # the last publish that ended well, by any daemon or command
    sa.Column("succeeded_by", sa.Text),  # its process, `host:pid`
    sa.Column("failing_since", UTCDateTime),  # the first failed publish since then (NULL: not failing)
    sa.Column("last_error", sa.Text),  # the latest failure's error, one line
    sa.Column("failed_by", sa.Text),  # its process, `host:pid`
)
