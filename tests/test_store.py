"""The store contract, on a real SQLite file and (when it answers) a real PostgreSQL schema."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
import sqlalchemy as sa

from feeds.errors import ExistsError, MigrationError, NotFoundError, StoreError
from feeds.model import Change, PublishedFeed, Release
from feeds.store import SourceState, migrationsteps, open_store
from feeds.store import migrations as migrations_mod
from feeds.store import schema as schema_mod
from feeds.store.engines import SQLITE_PAGE_SIZE

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def rel(n: int, **kw) -> Release:
    base = dict(
        id=f"tag:press.example.org,2026-11-02:r{n}",
        identity=f"key:r{n}",
        slug=f"r{n}",
        permalink=f"https://press.example.org/releases/r{n}/",
        title=f"Release {n}",
        summary="Summary",
        body_html="<p>Body é</p>",
        body_text="Body é",
        published=datetime(2026, 11, 2, 9, 30, tzinfo=UTC) + timedelta(hours=n),
        updated=datetime(2026, 11, 2, 9, 30, tzinfo=UTC) + timedelta(hours=n),
        organisation="Office",
        topics=("Russia", "North Korea"),
        language="en-GB",
        document_type="press_release",
        source="inbox",
        origin=f"/in/r{n}.txt",
        content_hash=f"h{n}",
        changes=(Change(at=datetime(2026, 11, 3, tzinfo=UTC), note="Corrected a date"),),
    )
    base.update(kw)
    return Release(**base)


def test_migrate_is_recorded_and_idempotent(store):
    assert store.pending_migrations() == []
    assert store.migrate(NOW) == []
    with store.engine.connect() as conn:
        versions = migrations_mod.applied_versions(conn)
    assert versions == {m.version for m in migrations_mod.MIGRATIONS}


def test_sqlite_uses_wal_and_commits_durably(tmp_path):
    s = open_store(f"sqlite:///{tmp_path / 'x' / 'f.db'}")
    s.migrate(NOW)
    with s.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        # 2 = FULL: a commit is on disk before a file moves to processed/ or a push is answered (NORMAL may lose
        # the last commits to a power cut, after their files moved)
        assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2
        assert conn.exec_driver_sql("PRAGMA page_size").scalar() == SQLITE_PAGE_SIZE == 16384
    s.close()


@pytest.mark.parametrize("how", ["deleted", "replaced"])
def test_a_sqlite_file_deleted_or_replaced_while_open_refuses_writes_instead_of_losing_them(tmp_path, how):
    """SQLite goes on writing into an open file that was unlinked: the releases vanish with the process, while the
    drop folder's files moved to processed/ as though stored. A write is refused, and says why."""
    path = tmp_path / "f.db"
    s = open_store(f"sqlite:///{path}")
    s.migrate(NOW)
    with s.transaction() as tx:
        tx.insert_releases([rel(1)], NOW)
    for f in tmp_path.glob("f.db*"):
        f.unlink()
    if how == "replaced":
        other = open_store(f"sqlite:///{path}")
        other.migrate(NOW)
        other.close()
    gone = r"f\.db was deleted or replaced while feeds had it open"
    with pytest.raises(StoreError, match=gone), s.transaction() as tx:
        tx.insert_releases([rel(2)], NOW)
    s.close()
    fresh = open_store(f"sqlite:///{path}")  # a new start opens the file that is there, and writes into it
    fresh.migrate(NOW)
    with fresh.transaction() as tx:
        tx.insert_releases([rel(3)], NOW)
    assert fresh.count_releases() == 1
    fresh.close()


def test_an_existing_sqlite_database_keeps_its_page_size(tmp_path):
    path = tmp_path / "old.db"
    conn = sqlite3.connect(path)
    conn.execute("PRAGMA page_size=4096")
    conn.execute("CREATE TABLE earlier (x)")  # a database made before 16 KiB pages, with a table in it
    conn.close()
    s = open_store(f"sqlite:///{path}")
    s.migrate(NOW)
    with s.engine.connect() as c:
        assert c.exec_driver_sql("PRAGMA page_size").scalar() == 4096
        assert c.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
    s.close()


def test_newer_database_than_code_is_refused(store):
    with store.engine.begin() as conn:
        conn.execute(schema_mod.schema_migrations.insert().values(version=999, name="future", applied_at=NOW))
    with pytest.raises(MigrationError, match="999"):
        store.migrate(NOW)


def test_migrations_5_7_and_8_give_an_older_database_their_columns_and_index(store):
    feed = store.add_feed(
        "https://desk.example.net/feed.xml", title="Desk", tags=(), interval=1800, origin="cli", now=NOW
    )
    added = {"watched_feeds": ("body_digest", "body_read_at"), "items": ("in_body_at",)}
    with store.engine.begin() as conn:  # the tables as migrations 1-4 made them
        for table, columns in added.items():
            for column in columns:
                conn.exec_driver_sql(f"ALTER TABLE {table} DROP COLUMN {column}")
        conn.exec_driver_sql("DROP INDEX ix_items_feed_hash")
        versions = schema_mod.schema_migrations.c.version
        conn.execute(schema_mod.schema_migrations.delete().where(versions.in_([5, 7, 8])))
    assert [m.version for m in store.pending_migrations()] == [5, 7, 8]
    assert [m.version for m in store.migrate(NOW)] == [5, 7, 8]
    with store.engine.connect() as conn:
        for table, columns in added.items():
            assert set(columns) <= {c["name"] for c in sa.inspect(conn).get_columns(table)}
        assert "ix_items_feed_hash" in {i["name"] for i in sa.inspect(conn).get_indexes("items")}
    got = store.feed(feed.id)
    assert got.url == feed.url and got.body_digest is None and got.body_read_at is None
    assert store.migrate(NOW) == []


def test_migration_12_gives_older_rules_their_keys_and_the_oldest_of_a_clash_keeps_them(store):
    """Rules added before the database held names apart: two spellings of one name (added at the same moment by
    two people) both stay, nothing is deleted; the older keeps the name and the feed folder, so a third spelling
    is refused."""
    rules = schema_mod.rules
    with store.engine.begin() as conn:  # the table as migration 2 made it
        conn.exec_driver_sql("DROP INDEX ux_rules_folded")
        conn.exec_driver_sql("DROP INDEX ux_rules_slug")
        conn.exec_driver_sql("ALTER TABLE rules DROP COLUMN folded")
        conn.exec_driver_sql("ALTER TABLE rules DROP COLUMN slug")
        conn.execute(schema_mod.schema_migrations.delete().where(schema_mod.schema_migrations.c.version == 12))
        for n, name in enumerate(["russia", "Russia", "Iran"]):  # "russia" is the newer of the two
            at = NOW - timedelta(hours=n)
            conn.execute(rules.insert().values(name=name, query="q", origin="cli", created_at=at, updated_at=at))
    assert [m.version for m in store.migrate(NOW)] == [12]
    with store.engine.connect() as conn:
        keys = {r.name: (r.folded, r.slug) for r in conn.execute(sa.select(rules))}
    assert keys == {"Iran": ("iran", "iran"), "Russia": ("russia", "russia"), "russia": (None, None)}
    assert sorted(r.name for r in store.rules()) == ["Iran", "Russia", "russia"]
    with pytest.raises(ExistsError, match="'Russia' exists already, the same name but for case"):
        store.add_rule("RUSSIA", "q", origin="cli", now=NOW)
    assert store.migrate(NOW) == []


def test_migration_13_drops_item_html_and_rehashes_so_unchanged_items_stay_unchanged(store):
    """Items stored with their HTML and the hash that covered it: after the migration, the next check of the same
    document finds every item unchanged (none is re-dated in the coverage feeds), whatever dates it had."""
    from feeds.normalise.ids import watch_item_hash
    from feeds.watch.parse import parse_feed

    doc = (
        b"<?xml version='1.0'?><rss version='2.0' xmlns:atom='http://www.w3.org/2005/Atom'><channel><title>T</title>"
        b"<item><guid>a</guid><title>Only a pubDate</title><pubDate>Mon, 02 Nov 2026 09:00:00 GMT</pubDate>"
        b"<description>&lt;p&gt;One &lt;b&gt;two&lt;/b&gt;&lt;/p&gt;&lt;p&gt;three&lt;/p&gt;</description></item>"
        b"<item><guid>b</guid><title>Published and updated</title><pubDate>Mon, 02 Nov 2026 09:00:00 GMT</pubDate>"
        b"<atom:updated>2026-11-03T10:30:00Z</atom:updated><description>Plain</description></item>"
        b"<item><guid>c</guid><title>Only updated</title><atom:updated>2026-11-03T10:30:00Z</atom:updated></item>"
        b"<item><guid>d</guid><title>No date</title><author>a@example.org (Ann)</author></item>"
        b"<item><guid>e</guid><title>Updated before published</title><pubDate>Mon, 02 Nov 2026 09:00:00 GMT</pubDate>"
        b"<atom:updated>2026-11-01T10:30:00Z</atom:updated></item>"
        b"</channel></rss>"
    )
    json_doc = b'{"version": "https://jsonfeed.org/version/1.1", "items": [{"id": "g", "title": "Only modified",'
    json_doc += b' "date_modified": "2026-11-01T10:30:00Z"}]}'
    items = parse_feed(doc, url="https://desk.example.net/feed.xml").items
    (only_modified,) = parse_feed(json_doc, url="https://desk.example.net/feed.json").items
    # (a JSON Feed item with only `date_modified` is dated by it now, as an RSS one with only an update is; this
    # code once stored it undated, and the migration met such rows)
    old_hash = watch_item_hash("Only modified", None, "", "", "", None, only_modified.updated)
    items += (replace(only_modified, published=None, content_hash=old_hash),)
    assert [(i.published is None, i.updated is None) for i in items] == [(0, 1), (0, 0), (0, 0), (1, 1), (0, 0), (1, 0)]
    feed = store.add_feed("https://desk.example.net/feed.xml", title="D", tags=(), interval=1800, origin="cli", now=NOW)
    store.upsert_items(feed.id, items, NOW)
    with store.engine.begin() as conn:  # the table as migration 12 left it
        conn.exec_driver_sql("ALTER TABLE items ADD COLUMN content_html TEXT NOT NULL DEFAULT '<p>old</p>'")
        conn.exec_driver_sql("UPDATE items SET content_hash = 'hash of the html' || id")
        conn.exec_driver_sql("UPDATE items SET author = 'a@example.org (Ann)' WHERE author = 'Ann'")  # (as then)
        conn.execute(schema_mod.schema_migrations.delete().where(schema_mod.schema_migrations.c.version == 13))
    assert [m.version for m in store.migrate(NOW)] == [13]
    with store.engine.connect() as conn:
        assert "content_html" not in {c["name"] for c in sa.inspect(conn).get_columns("items")}
    assert store.upsert_items(feed.id, items, NOW + timedelta(hours=1)) == [], "every item is unchanged"
    assert store.migrate(NOW) == []


def test_migration_14_keeps_the_sources_own_updated_and_leaves_it_unknown_for_releases_stored_before(store):
    """Review 3, finding 3: the stored `updated` may be a time we set, so the source's own is kept beside it. Which
    of an older database's were the source's cannot be told: those stay NULL (unknown), not guessed."""
    dated = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    with store.transaction() as tx:
        tx.insert_releases([rel(1, source_updated=dated)], NOW)
    with store.engine.begin() as conn:  # the table as migration 13 left it
        conn.exec_driver_sql("ALTER TABLE releases DROP COLUMN source_updated")
        conn.execute(schema_mod.schema_migrations.delete().where(schema_mod.schema_migrations.c.version == 14))
    assert [m.version for m in store.migrate(NOW)] == [14]
    assert store.release("r1") == rel(1, source_updated=None)
    with store.transaction() as tx:
        tx.update_release(rel(1, source_updated=dated, content_hash="h1b"), NOW)
        tx.insert_releases([rel(2, source_updated=dated)], NOW)
    assert store.release("r1").source_updated == dated == store.release("r2").source_updated
    assert store.migrate(NOW) == []


def test_migration_15_keeps_a_feeds_parse_warning_in_its_own_column(store):
    with store.engine.begin() as conn:
        wf = schema_mod.watched_feeds
        for n, error in enumerate(["parsed with problems: not well-formed (line 3)", "timed out", None]):
            conn.execute(
                wf.insert().values(
                    url=f"https://n{n}.example/feed", title="", tags="[]", interval_s=1800, enabled=True,
                    origin="cli", added_at=NOW, last_error=error,
                )
            )  # fmt: skip
        conn.execute(wf.update().values(parse_warning=None))  # as the column stands right after it is added
        migrationsteps.keep_warnings(conn)
        kept = [r[0] for r in conn.execute(sa.select(wf.c.parse_warning).order_by(wf.c.id))]
    assert kept == ["not well-formed (line 3)", None, None]


def test_migration_18_stores_international_feed_hosts_in_their_xn_form_unless_that_one_is_watched(store):
    wf = schema_mod.watched_feeds
    with store.engine.begin() as conn:
        for url in ("https://bücher.example/rss?q=ü", "https://xn--caf-dma.example/rss", "https://café.example/rss"):
            conn.execute(
                wf.insert().values(
                    url=url, title="", tags="[]", interval_s=1800, enabled=True, origin="cli", added_at=NOW
                )
            )  # fmt: skip
        conn.execute(schema_mod.schema_migrations.delete().where(schema_mod.schema_migrations.c.version == 18))
    assert [m.version for m in store.migrate(NOW)] == [18]
    with store.engine.begin() as conn:
        urls = [r[0] for r in conn.execute(sa.select(wf.c.url).order_by(wf.c.id))]
    # the third is the second spelled otherwise: left as it is (removing one of them is the press officer's call)
    assert urls == [
        "https://xn--bcher-kva.example/rss?q=ü",
        "https://xn--caf-dma.example/rss",
        "https://café.example/rss",
    ]
    assert store.migrate(NOW) == []


def test_published_feeds_keep_their_highest_updated_and_a_topics_last_name(store):
    """What `feeds publish` keeps of each feed (migration 19): its feed-level `updated` never goes back, whoever
    records a lower one (a daemon that read the store before another published a newer release), and a topic's
    name as it was last published, which stays when a later record gives none."""
    assert store.published_feeds() == {}
    later, earlier = NOW + timedelta(days=1), NOW - timedelta(days=1)
    first = {
        "topic:iran": PublishedFeed("topic:iran", NOW, "Iran"),
        "main": PublishedFeed("main", NOW, None),
    }
    assert store.keep_published_feeds(first, NOW) == 2
    assert store.published_feeds() == first
    store.keep_published_feeds(
        {
            "topic:iran": PublishedFeed("topic:iran", earlier, "IRAN"),  # older: the time stays, the name moves
            "main": PublishedFeed("main", later, None),
            "topic:köln": PublishedFeed("topic:köln", earlier.astimezone(timezone(timedelta(hours=5))), "Köln"),
        },
        later,
    )
    assert store.published_feeds() == {
        "topic:iran": PublishedFeed("topic:iran", NOW, "IRAN"),
        "main": PublishedFeed("main", later, None),
        "topic:köln": PublishedFeed("topic:köln", earlier, "Köln"),
    }
    store.keep_published_feeds({"topic:iran": PublishedFeed("topic:iran", later, None)}, later)
    assert store.published_feeds()["topic:iran"] == PublishedFeed("topic:iran", later, "IRAN")
    assert store.keep_published_feeds({}, later) == 0


def test_a_published_feed_is_forgotten_by_its_key_and_only_that_one(store):
    """`feeds topics forget`: the record goes, so the next publish no longer keeps the feed; forgetting one that is
    not recorded says so."""
    store.keep_published_feeds(
        {k: PublishedFeed(k, NOW, "Irn") for k in ("topic:irn", "topic:iran", "org:irn")},
        NOW,
    )
    assert store.forget_published_feed("topic:irn") is True
    assert sorted(store.published_feeds()) == ["org:irn", "topic:iran"]
    assert store.forget_published_feed("topic:irn") is False


def test_the_published_feeds_state_changes_when_a_feed_is_added_or_forgotten_not_when_one_moves_on(store):
    """What a daemon compares at each watch tick to publish once a feed is forgotten (`feeds topics forget`)."""
    assert store.published_feeds_state() == (0, None)
    later = NOW + timedelta(hours=1)
    store.keep_published_feeds({k: PublishedFeed(k, NOW, None) for k in ("main", "topic:irn")}, NOW)
    assert store.published_feeds_state() == (2, NOW)
    store.keep_published_feeds({"main": PublishedFeed("main", later, None)}, later)  # moved on: the same
    assert store.published_feeds_state() == (2, NOW)
    store.forget_published_feed("topic:irn")
    store.keep_published_feeds({"topic:iran": PublishedFeed("topic:iran", later, "Iran")}, later)
    assert store.published_feeds_state() == (2, later), "one forgotten and one added: not the same"
    store.forget_published_feed("topic:iran")
    assert store.published_feeds_state() == (1, NOW)


def test_migration_19_adds_the_published_feeds_to_an_older_database(store):
    with store.engine.begin() as conn:
        conn.exec_driver_sql("DROP TABLE published_feeds")
        conn.execute(schema_mod.schema_migrations.delete().where(schema_mod.schema_migrations.c.version == 19))
    assert [m.version for m in store.migrate(NOW)] == [19]
    assert store.published_feeds() == {}


def test_migration_20_stores_feed_urls_escaped_as_requests_sends_them_unless_that_one_is_watched(store):
    wf = schema_mod.watched_feeds
    typed = (
        "https://example.org/news feed.xml",  # as `watch add` stored it before
        "https://xn--bcher-kva.example/rss?q=ü",  # as migration 18 left it
        "https://example.org/café",
        "https://example.org/caf%C3%A9",  # the one before, watched already under the escaped form
        "https://example.org/rss?a=%2f",  # nothing to escape: as it is
    )
    with store.engine.begin() as conn:
        for url in typed:
            conn.execute(
                wf.insert().values(
                    url=url, title="", tags="[]", interval_s=1800, enabled=True, origin="cli", added_at=NOW
                )
            )  # fmt: skip
        conn.execute(schema_mod.schema_migrations.delete().where(schema_mod.schema_migrations.c.version == 20))
    assert [m.version for m in store.migrate(NOW)] == [20]
    with store.engine.begin() as conn:
        urls = [r[0] for r in conn.execute(sa.select(wf.c.url).order_by(wf.c.id))]
    assert urls == [
        "https://example.org/news%20feed.xml",
        "https://xn--bcher-kva.example/rss?q=%C3%BC",
        "https://example.org/café",  # left as it is (which of the two to keep is the press officer's call)
        "https://example.org/caf%C3%A9",
        "https://example.org/rss?a=%2f",
    ]
    assert store.feed("https://example.org/news%20feed.xml").url == "https://example.org/news%20feed.xml"


def test_migration_21_holds_every_withdrawal_made_before_it_as_made_by_hand(store):
    """Which withdrawals a press officer made and which a source sent cannot be told apart afterwards: a copy from the
    source must not undo one made for a legal reason, so every one stored counts as made by hand."""
    withdrawn = rel(1, withdrawn_at=datetime(2026, 11, 20, tzinfo=UTC), withdrawn_note="Out of date")
    with store.transaction() as tx:
        tx.insert_releases([withdrawn, rel(2)], NOW)
    with store.engine.begin() as conn:  # the table as migration 20 left it
        conn.exec_driver_sql("ALTER TABLE releases DROP COLUMN withdrawn_by_hand")
        conn.execute(schema_mod.schema_migrations.delete().where(schema_mod.schema_migrations.c.version == 21))
    assert [m.version for m in store.migrate(NOW)] == [21]
    assert store.release("r1") == replace(withdrawn, withdrawn_by_hand=True)
    assert store.release("r2") == rel(2)
    assert store.migrate(NOW) == []


def test_migration_22_gives_a_withdrawal_stored_without_a_note_the_plain_notice(store):
    from feeds.normalise.release import DEFAULT_WITHDRAWN_NOTE

    at = datetime(2026, 11, 20, tzinfo=UTC)
    with store.transaction() as tx:
        tx.insert_releases(
            [rel(1, withdrawn_at=at), rel(2, withdrawn_at=at, withdrawn_note="Superseded."), rel(3)], NOW
        )
    with store.engine.begin() as conn:
        conn.execute(schema_mod.schema_migrations.delete().where(schema_mod.schema_migrations.c.version == 22))
    assert [m.version for m in store.migrate(NOW)] == [22]
    assert store.release("r1") == rel(1, withdrawn_at=at, withdrawn_note=DEFAULT_WITHDRAWN_NOTE)
    assert store.release("r2").withdrawn_note == "Superseded." and store.release("r3").withdrawn_note is None


def test_migration_23_adds_when_the_log_said_a_source_lists_a_held_release_and_it_round_trips(store):
    """A source's state, as migration 22 left the table, keeps its row; `held_told` is read back as written, and
    a value this version cannot read counts as nothing said yet."""
    from feeds.store import SourceState

    store.save_source_state(SourceState(source="govuk", etag='"v1"', failures=2))
    with store.engine.begin() as conn:  # the table as migration 22 left it
        conn.exec_driver_sql("ALTER TABLE source_state DROP COLUMN held_told")
        conn.execute(schema_mod.schema_migrations.delete().where(schema_mod.schema_migrations.c.version == 23))
    assert [m.version for m in store.migrate(NOW)] == [23]
    assert store.source_state("govuk") == SourceState(source="govuk", etag='"v1"', failures=2)
    told = (("tag:a,2026-11-20:one", NOW), ("tag:a,2026-11-21:two", NOW + timedelta(hours=1)))
    store.save_source_state(replace(store.source_state("govuk"), held_told=told))
    assert store.source_state("govuk").held_told == told
    with store.engine.begin() as conn:
        conn.execute(schema_mod.source_state.update().values(held_told="[not json"))
    assert store.source_state("govuk").held_told == ()


def test_releases_looked_for_among_stored_items_are_remembered_with_their_hash(store):
    assert store.releases_applied(["a", "b"]) == {}
    store.mark_releases_applied({"a": "h1", "b": "h1"}, NOW)
    store.mark_releases_applied({"b": "h2"}, NOW + timedelta(hours=1))  # b changed since
    store.mark_releases_applied({}, NOW)
    assert store.releases_applied(["a", "b", "c"]) == {"a": "h1", "b": "h2"}
    many = {f"r{n}": "h" for n in range(1200)}  # more ids than one IN list holds
    store.mark_releases_applied(many, NOW)
    assert store.releases_applied(many) == many


def test_round_trip_keeps_every_field(store):
    r = rel(1, withdrawn_at=datetime(2026, 11, 20, tzinfo=UTC), withdrawn_note="Out of date", link="https://x.org/a")
    r = replace(
        r, source_updated=datetime(2026, 11, 19, 8, tzinfo=timezone(timedelta(hours=1))), withdrawn_by_hand=True
    )
    with store.transaction() as tx:
        tx.insert_releases([r], NOW)
    got = store.release("r1")
    assert got == r
    assert got.published.tzinfo is not None
    assert store.release(r.id) == r


def test_releases_are_listed_newest_first_with_limit(store):
    with store.transaction() as tx:
        tx.insert_releases([rel(1), rel(3), rel(2)], NOW)
    assert [r.slug for r in store.releases()] == ["r3", "r2", "r1"]
    assert [r.slug for r in store.releases(limit=2)] == ["r3", "r2"]
    assert store.count_releases() == 3


def test_lookup_by_identity_and_taken_slugs(store):
    with store.transaction() as tx:
        tx.insert_releases([rel(1, slug="visit"), rel(2, slug="visit-2"), rel(3, slug="visit_x"), rel(4)], NOW)
    with store.transaction() as tx:
        assert set(tx.releases_by_identity(["key:r1", "key:r9"])) == {"key:r1"}
        # `_` must not act as a LIKE wildcard: "visit_x" is not a suffixed "visit".
        assert tx.taken_slugs(["visit"]) == {"visit", "visit-2"}


def test_releases_by_identity_prefix_in_code_point_order_on_both_databases(store):
    identities = ["file:cli/list.json#0", "file:cli/list.json#12", "file:cli/list.json", "file:cli/list.json$",
                  "file:cli/listxjson#0", "file:cli/list.json#title:a", "file:cli/other.json#0"]  # fmt: skip
    with store.transaction() as tx:
        tx.insert_releases([rel(n, identity=i) for n, i in enumerate(identities)], NOW)
    with store.transaction() as tx:
        found = {r.identity for r in tx.releases_with_identity_prefix("file:cli/list.json#")}
        with pytest.raises(ValueError):
            tx.releases_with_identity_prefix("")
    assert found == {"file:cli/list.json#0", "file:cli/list.json#12", "file:cli/list.json#title:a"}


def test_unique_identity_and_slug_are_enforced(store):
    with store.transaction() as tx:
        tx.insert_releases([rel(1)], NOW)
    with pytest.raises(sa.exc.IntegrityError), store.transaction() as tx:
        tx.insert_releases([rel(2, identity="key:r1")], NOW)
    with pytest.raises(sa.exc.IntegrityError), store.transaction() as tx:
        tx.insert_releases([rel(3, slug="r1")], NOW)
    assert store.count_releases() == 1


def test_a_failed_transaction_writes_nothing(store):
    with pytest.raises(RuntimeError), store.transaction() as tx:
        tx.insert_releases([rel(1)], NOW)
        raise RuntimeError("crash before commit")
    assert store.count_releases() == 0


def test_update_release(store):
    with store.transaction() as tx:
        tx.insert_releases([rel(1)], NOW)
    changed = rel(1, title="Changed", content_hash="h9")
    with store.transaction() as tx:
        tx.update_release(changed, NOW)
    assert store.release("r1").title == "Changed"
    with pytest.raises(NotFoundError), store.transaction() as tx:
        tx.update_release(rel(7), NOW)


def test_missing_release_is_not_found(store):
    with pytest.raises(NotFoundError, match="nope"):
        store.release("nope")


def test_ingested_files_ledger(store):
    with store.transaction() as tx:
        assert not tx.file_already_ingested("inbox", "a.txt", "abc")
        tx.record_ingested_files([("inbox", "a.txt", "abc", ["id1"])], NOW)
        tx.record_ingested_files([("inbox", "a.txt", "abc", ["id1"])], NOW)  # idempotent
    with store.transaction() as tx:
        assert tx.file_already_ingested("inbox", "a.txt", "abc")
        assert not tx.file_already_ingested("inbox", "a.txt", "other bytes")


def test_source_state_round_trip(store):
    assert store.source_state("remote") == SourceState(source="remote")
    st = SourceState(source="remote", etag='"v1"', last_checked=NOW, next_check=NOW + timedelta(minutes=15), failures=2)
    store.save_source_state(st)
    store.save_source_state(st)
    assert store.source_state("remote") == st


def test_unsupported_url_is_a_store_error():
    with pytest.raises(StoreError, match="unsupported database"):
        open_store("mysql://x/y")


def test_a_database_error_says_what_the_database_said_on_one_line_without_the_sql_or_the_values(store):
    """SQLAlchemy writes the statement and every bound value into its errors: a refused insert put whole releases
    and items into logs, `feeds status` and a feed's stored error."""
    import sqlalchemy as sa

    from feeds.store import error_text

    with pytest.raises(sa.exc.DBAPIError) as info, store.engine.begin() as conn:
        conn.execute(sa.text("INSERT INTO releases (id) VALUES (:v)"), {"v": "the text of an embargoed release"})
    assert "[parameters" not in str(info.value), "SQLAlchemy writes no bound values into its errors"
    text = error_text(info.value)
    assert "\n" not in text and "[SQL" not in text and "INSERT" not in text
    assert "embargoed" not in text, "(PostgreSQL's own DETAIL line shows the row: it is left out)"
    assert text.startswith(("IntegrityError: ", "NotNullViolation: ")) and "null" in text.lower()


def test_optimise_runs_on_both_databases_and_empties_the_sqlite_wal(store, db_url):
    """A re-check: on SQLite, housekeeping failed at every run ('database table is locked'): the checkpoint ran
    inside the transaction `PRAGMA optimize` had made a write."""
    with store.transaction() as tx:
        tx.insert_releases([rel(1), rel(2)], NOW)
    store.optimise()
    store.optimise()  # and again, with nothing to do
    if db_url.startswith("sqlite"):
        wal = Path(db_url.removeprefix("sqlite:///") + "-wal")
        assert not wal.exists() or wal.stat().st_size == 0


def test_a_read_only_database_or_its_shm_file_is_named_in_one_line(make_settings, make_app_for, tmp_path):
    """Operator's live run: `chmod 444 feeds.db` under a daemon run as another user; its restart failed with
    `error: database: OperationalError: attempt to write a readonly database` and had SQLite create `feeds.db-shm`
    read-only as well, so after `chmod 644 feeds.db` every restart still failed with the same words, naming no
    file. The error now names each file (or the folder) this user may not write."""
    import os
    import shutil
    import subprocess
    import sys
    import warnings
    from pathlib import Path

    settings = make_settings()
    make_app_for(settings).close()  # a migrated database, then closed: no -wal or -shm left
    db = Path(str(settings.database_url).removeprefix("sqlite:///"))
    assert db.is_file() and not Path(f"{db}-shm").exists()
    (tmp_path / "inbox" / "a.md").write_text("---\ntitle: Harbour wall\n---\nThe harbour wall.\n", encoding="utf-8")
    prefix: list[str] = []
    db.chmod(0o444)
    try:
        if os.access(db, os.W_OK):  # root: chmod binds only without CAP_DAC_OVERRIDE
            setpriv = shutil.which("setpriv")
            drop = "--bounding-set=-dac_override,-dac_read_search"
            probe = subprocess.run([setpriv, drop, "true"], capture_output=True, check=False) if setpriv else None
            if probe is None or probe.returncode != 0:
                warnings.warn("setpriv cannot drop CAP_DAC_OVERRIDE: read-only test SKIPPED", stacklevel=1)
                pytest.skip("chmod does not bind root and setpriv cannot drop CAP_DAC_OVERRIDE")
            prefix = [setpriv, drop]
        env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
        cmd = [*prefix, sys.executable, "-m", "feeds", "--config", str(settings.path), "ingest"]

        def ingest() -> subprocess.CompletedProcess[str]:
            return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60, check=False)

        done = ingest()
        assert done.returncode == 1 and len(done.stderr.strip().splitlines()) == 1, done.stderr
        assert f"the database {db} cannot be written: {db}" in done.stderr, done.stderr
        db.chmod(0o644)  # the operator fixes the database: SQLite made its -shm read-only meanwhile
        done = ingest()
        assert done.returncode == 1 and f"cannot be written: {db}-shm not writable" in done.stderr, done.stderr
        Path(f"{db}-shm").chmod(0o644)
        done = ingest()
        assert done.returncode == 0, done.stderr
    finally:
        db.chmod(0o644)
        if Path(f"{db}-shm").exists():
            Path(f"{db}-shm").chmod(0o644)


def test_a_state_folder_on_a_read_only_file_system_is_named(make_settings, make_app_for):
    """The state folder mounted read-only (a snapshot, a container volume `:ro`): every command, `releases list`
    included, failed with `cannot open database …: unable to open database file`, saying neither what nor why
    (SQLite cannot create the `-shm` file WAL needs). Now it names the folder and the read-only file system."""
    import os
    import shutil
    import subprocess
    import sys
    from pathlib import Path

    settings = make_settings()
    make_app_for(settings).close()  # a migrated database, then closed: no -wal or -shm left
    db = Path(str(settings.database_url).removeprefix("sqlite:///"))
    unshare = shutil.which("unshare")
    probe = subprocess.run([unshare, "-rm", "true"], capture_output=True, check=False) if unshare else None
    if probe is None or probe.returncode != 0:
        pytest.skip("no mount namespace here to mount the state folder read-only")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    feeds = f"{sys.executable} -m feeds --config '{settings.path}' releases list --json"
    script = f"mount --bind -o ro '{db.parent}' '{db.parent}' && {feeds}"
    done = subprocess.run([unshare, "-rm", "sh", "-c", script], env=env, capture_output=True, text=True, timeout=60)
    assert done.returncode == 1 and done.stdout == "", done.stderr
    assert done.stderr == (
        f"error: the database {db} cannot be written: {db.parent}/ is on a read-only file system; "
        "mount it read-write, or point paths.state and database.url elsewhere\n"
    )


@pytest.mark.parametrize(
    "value",
    [
        datetime(2026, 11, 2, 9, 30, tzinfo=UTC),
        datetime(2026, 11, 2, 9, 30, 12, 345, tzinfo=UTC),
        datetime(2026, 3, 29, 2, 30, tzinfo=timezone(timedelta(hours=5, minutes=30))),
        datetime(1, 1, 1, tzinfo=UTC),
        datetime(9999, 12, 31, 23, 59, 59, 999999, tzinfo=UTC),
    ],
)
def test_sqlite_stores_a_datetime_as_the_text_sqlalchemy_writes(value: datetime, tmp_path: Path) -> None:
    """The quicker writer of SQLite times gives the text SQLAlchemy's own would (SQL compares and sorts it), and
    reads back as the same instant, in UTC."""
    from sqlalchemy.dialects import sqlite

    stock = sa.DateTime(timezone=True)._cached_bind_processor(sqlite.dialect())
    ours = schema_mod.UTCDateTime()._cached_bind_processor(sqlite.dialect())
    assert stock is not None and ours is not None
    assert ours(value) == stock(value.astimezone(UTC).replace(tzinfo=None))
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'dates.db'}")
    table = sa.Table("t", sa.MetaData(), sa.Column("at", schema_mod.UTCDateTime))
    with engine.begin() as conn:
        table.create(conn)
        conn.execute(table.insert(), [{"at": value}, {"at": None}])
        got = [r[0] for r in conn.execute(sa.select(table.c.at))]
    assert got == [value, None] and got[0].tzinfo is UTC


def test_a_naive_datetime_is_never_stored(tmp_path: Path) -> None:
    engine = sa.create_engine(f"sqlite:///{tmp_path / 'dates.db'}")
    table = sa.Table("t", sa.MetaData(), sa.Column("at", schema_mod.UTCDateTime))
    with engine.begin() as conn:
        table.create(conn)
        with pytest.raises(sa.exc.StatementError, match="naive datetime"):
            conn.execute(table.insert(), [{"at": datetime(2026, 1, 1)}])


@pytest.mark.postgres
def test_postgresql_sessions_have_keepalives_and_locks_are_per_schema(pg_url, pg_dsn):
    """A review's finds: a session whose daemon's host vanished held its advisory lock for the server's default
    two hours, and deployments in two schemas of one database took the same lock (staging blocked production)."""
    import uuid

    import psycopg

    other_schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{other_schema}"')
    one, other = open_store(pg_url), open_store(f"{pg_dsn}?options=-csearch_path%3D{other_schema}")
    try:
        with one.engine.connect() as conn:
            assert conn.execute(sa.text("SHOW tcp_keepalives_idle")).scalar() == "30"
            assert conn.execute(sa.text("SELECT current_schema()")).scalar() == pg_url.rsplit("%3D", 1)[1]
        with one.exclusive("publish") as mine:
            assert mine
            with other.exclusive("publish") as theirs:
                assert theirs, "another schema's publish is another deployment's"
            with one.exclusive("publish") as again:
                assert not again, "the same schema's is this deployment's, held"
    finally:
        one.close()
        other.close()
        with psycopg.connect(pg_dsn, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{other_schema}" CASCADE')


def test_migration_25_gives_alert_destinations_their_refusal_columns_and_they_round_trip(store):
    """A destination registered before migration 25 keeps its row, refuses nothing, and can then be backed off."""
    store.register_destinations(["webhook:desk"], NOW)
    columns = ("refused_status", "refused_since", "refusals", "probe_at")
    with store.engine.begin() as conn:  # the table as migration 3 made it
        for column in columns:
            conn.exec_driver_sql(f"ALTER TABLE alert_destinations DROP COLUMN {column}")
        conn.execute(schema_mod.schema_migrations.delete().where(schema_mod.schema_migrations.c.version == 25))
    assert [m.version for m in store.migrate(NOW)] == [25]
    assert store.known_destinations() == ["webhook:desk"] and store.refusal("webhook:desk") is None
    first = store.record_refusal("webhook:desk", "401", NOW, wait=lambda n: timedelta(minutes=n))
    again = store.record_refusal("webhook:desk", "403", NOW + timedelta(minutes=1), wait=lambda n: timedelta(minutes=n))
    assert (first.refusals, first.probe_at) == (1, NOW + timedelta(minutes=1))
    assert (again.status, again.since, again.refusals, again.probe_at) == ("403", NOW, 2, NOW + timedelta(minutes=3))
    assert store.refusal("webhook:desk") == again
    assert store.clear_refusal("webhook:desk") == again and store.refusal("webhook:desk") is None


@pytest.mark.parametrize(
    "url",
    [
        "postgresql://feeds:Hunter2@xyzzy@db.example.org/feeds",  # an @ in the password, not written %40
        "postgresql://feeds:Hunter2@xyzzy@db.example.org:5432/feeds?options=-csearch_path%3Dstaging",
        "postgresql://feeds:Hunter2@xyzzy@db.example.org",
    ],
)
def test_an_at_sign_left_unencoded_in_a_password_is_refused_without_showing_any_of_it(url):
    # Read as host `xyzzy@db.example.org`, the rest of the password went into "failed to resolve host 'xyzzy@…'"
    # (libpq's own words) and into every message showing the URL.
    from feeds.store import check_database_url, shown_database_url

    assert "Hunter2" not in shown_database_url(url) and "xyzzy" not in shown_database_url(url)
    with pytest.raises(StoreError, match="%40") as refused:
        check_database_url(url)
    assert "Hunter2" not in str(refused.value) and "xyzzy" not in str(refused.value)


def test_a_search_path_given_as_a_url_parameter_is_refused_with_the_way_to_write_it():
    # libpq knows no `search_path` parameter: every command failed with `ProgrammingError: invalid connection option
    # "search_path"`, naming neither the database nor the way README gives.
    from feeds.store import check_database_url

    with pytest.raises(StoreError, match=r"options=-csearch_path%3Dstaging") as refused:
        check_database_url("postgresql://feeds:Hunter2@db.example.org/feeds?search_path=staging")
    assert "Hunter2" not in str(refused.value)


def test_migrating_through_a_url_with_a_connection_option_libpq_does_not_know_names_the_database():
    store = open_store("postgresql://feeds:Hunter2@127.0.0.1:1/feeds?sslmodee=require")
    try:
        with pytest.raises(StoreError, match=r"^cannot open database postgresql\+psycopg://feeds:\*\*\*@.*sslmodee"):
            store.migrate(datetime(2026, 11, 28, tzinfo=UTC))
    finally:
        store.close()
