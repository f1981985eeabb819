"""`copy_database` and `feeds db copy`: every table, keys kept, SQLite → PostgreSQL → SQLite, counts checked."""

from __future__ import annotations

import socket
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from feeds.cli import cli
from feeds.clock import utc_now
from feeds.errors import ExistsError, MigrationError, StoreError
from feeds.model import Match, MatchedTerm, PublishedFeed
from feeds.pictures import Picture
from feeds.store import SourceState, open_store
from feeds.store import schema as schema_mod
from feeds.store.alerts import NewDelivery
from feeds.store.copy import TableCount, copied_tables, copy_database
from tests.alerts_helpers import watch_item
from tests.leaseclock_helpers import leases_age
from tests.test_store import rel

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
KOLKATA = timezone(timedelta(hours=5, minutes=30))
LEASE = timedelta(minutes=5)


def fill(store) -> None:
    """Put rows in every table, through the store's own API, with the awkward cases a copy could get wrong."""
    store.migrate(NOW)
    withdrawn = rel(2, withdrawn_at=datetime(2026, 11, 20, 8, 15, 30, 123456, tzinfo=UTC), withdrawn_note="Retiré")
    with store.transaction() as tx:
        tx.insert_releases(
            [rel(1, title="Sanctions: « Iran » — update"), withdrawn, rel(3, dated_by_source=False)], NOW
        )
        tx.remember_idempotency("push:abc", rel(1).id, NOW)
        tx.record_ingested_files([("inbox", "r1.txt", "a" * 64, [rel(1).id]), ("inbox", "r2.txt", "b" * 64, [])], NOW)
        # (bytes of every value, a NUL and high bytes included: a blob must travel unchanged)
        arrival = Picture("arrival.png", "c" * 64, "image/png", 40, 30, bytes(range(256)))
        tx.keep_pictures([arrival], NOW)
        tx.remember_pictures([(rel(1).id, arrival)])
    store.save_source_state(
        SourceState("govuk", etag='"x"', last_checked=NOW.astimezone(KOLKATA), next_check=NOW + timedelta(hours=1))
    )
    store.save_source_state(SourceState("inbox"))
    local_now = NOW.astimezone(KOLKATA)
    feeds = [
        store.add_feed(url, title=f"News {n}", tags=("world", "é"), interval=1800.5, origin=origin, now=local_now)
        for n in range(1, 5)
        for url, origin in [(f"https://news{n}.example.com/feed.xml", "config" if n % 2 else "cli")]
    ]
    store.remove_feed(feeds[1].id)  # a gap in the ids, which must survive
    store.edit_feed(feeds[3].id, enabled=False)
    store.claim_feeds([feeds[2].id], NOW, owner="host-a:41", lease=LEASE)  # a live lease travels too
    store.add_rule("iran", "iran OR tehran", origin="config", now=NOW)
    store.add_rule("lavrov", '"sergei lavrov"', origin="cli", now=NOW)
    undated = replace(watch_item("undated", "Undated story"), published=None, updated=None)
    rows = store.upsert_items(feeds[0].id, [watch_item("k1", "Iran talks"), watch_item("k2", "Zürich"), undated], NOW)
    term = (MatchedTerm("iran", "title", 0, 4),)
    keyword = Match("keyword", "iran", "k1", feeds[0].id, term, 1.0, "‘iran’ in the title")
    store.add_matches([(rows[0][0], keyword, 90.5)], NOW)
    pickup = Match("pickup", rel(1).id, "k2", feeds[0].id, (), 0.75, "picked up")
    store.add_matches([(rows[1][0], pickup, None)], NOW, quiet=True)  # (found when the settings changed)
    store.register_destinations(["webhook:desk", "email:chief"], NOW)
    store.keep_entry_ids({("matches", "https://news1.example.com/k1"): "tag:press.example.org,2026-11-28:item/1"}, NOW)
    store.mark_releases_applied({rel(1).id: rel(1).content_hash}, NOW)
    store.record_settings_fingerprint("related", "min_score=0.34 min_terms=2 own_domains=é.example", NOW)
    store.keep_published_feeds({"topic:iran": PublishedFeed("topic:iran", NOW, "Iran")}, NOW)
    for match_id, dest in ((1, "webhook:desk"), (2, "webhook:desk"), (1, "email:chief")):
        store.enqueue_deliveries(dest, [NewDelivery(match_id, f"{dest}:{match_id}", NOW + timedelta(minutes=5))], NOW)
    store.dismiss_matches([2], NOW, by="Ana Díaz", reason="not ours")  # (a dismissal's record travels too)
    store.save_worker_status("host-a:41", started=NOW - timedelta(hours=2), now=NOW, status={"jobs": {"watch": "ok"}})


def dump(store) -> dict[str, list[dict]]:
    """Every row of every copied table, in primary-key order, as the store reads it back (typed values)."""
    with store.engine.connect() as conn:
        return {
            t.name: [dict(r._mapping) for r in conn.execute(sa.select(t).order_by(*t.primary_key.columns))]
            for t in copied_tables()
        }


@pytest.fixture
def sqlite_source(tmp_path):
    s = open_store(f"sqlite:///{tmp_path / 'src' / 'feeds.db'}")
    fill(s)
    yield s
    s.close()


@pytest.fixture
def pg_store(pg_url):
    s = open_store(pg_url)
    yield s
    s.close()


def test_every_table_is_copied_parents_first_and_filled_by_the_fixture(sqlite_source):
    tables = copied_tables()
    # Not copied: the target's own migration record, the old database's daemons, its fetches under way and how its
    # publishes went.
    left = {"schema_migrations", "workers", "host_slots", "publish_outcome"}
    assert {t.name for t in tables} == set(schema_mod.metadata.tables) - left
    for i, t in enumerate(tables):
        earlier = {u.name for u in tables[:i]}
        assert {fk.column.table.name for fk in t.foreign_keys} <= earlier, f"{t.name} comes after its parents"
    assert [t.name for t in tables][:2] == ["releases", "idempotency"], "the migrations' order, which reads well"
    assert all(dump(sqlite_source).values()), "every table has rows to copy"


def test_sqlite_to_postgresql_and_back_keeps_every_value(sqlite_source, pg_store, tmp_path):
    original = dump(sqlite_source)
    counts = copy_database(sqlite_source, pg_store, now=NOW, batch=2)
    assert all(c.ok for c in counts) and {c.table: c.target for c in counts} == {k: len(v) for k, v in original.items()}
    assert dump(pg_store) == original
    back = open_store(f"sqlite:///{tmp_path / 'back' / 'feeds.db'}")
    try:
        assert all(c.ok for c in copy_database(pg_store, back, now=NOW))
        assert dump(back) == original
    finally:
        back.close()


def test_values_keep_their_types_in_postgresql(sqlite_source, pg_store):
    copy_database(sqlite_source, pg_store, now=NOW)
    with pg_store.engine.connect() as conn:
        kinds = dict(
            conn.execute(
                sa.text(
                    "SELECT column_name, data_type FROM information_schema.columns "
                    "WHERE table_schema = current_schema() AND table_name = 'releases'"
                )
            ).all()
        )
        raw = conn.execute(
            sa.text("SELECT withdrawn_at, dated_by_source, topics FROM releases WHERE slug = 'r2'")
        ).one()
        flags = conn.execute(sa.text("SELECT slug, dated_by_source FROM releases ORDER BY slug")).all()
        enabled = conn.execute(sa.text("SELECT id, enabled FROM watched_feeds ORDER BY id")).all()
        added = conn.execute(sa.text("SELECT added_at AT TIME ZONE 'UTC' FROM watched_feeds WHERE id = 1")).scalar()
    assert kinds["published"] == "timestamp with time zone" and kinds["dated_by_source"] == "boolean"
    assert raw.withdrawn_at == datetime(2026, 11, 20, 8, 15, 30, 123456, tzinfo=UTC), "microseconds and the instant"
    assert raw.topics == '["Russia", "North Korea"]', "JSON text is copied byte for byte"
    assert flags == [("r1", True), ("r2", True), ("r3", False)]
    assert enabled == [(1, True), (3, True), (4, False)]
    assert added == NOW.replace(tzinfo=None), "a time given in +05:30 was stored, and copied, as its UTC instant"


def test_the_copied_postgresql_store_works(sqlite_source, pg_store):
    # feed 3's lease, live by the real clock as a daemon's is (PostgreSQL judges leases by its own clock)
    wf = schema_mod.watched_feeds
    with sqlite_source.engine.begin() as conn:
        conn.execute(wf.update().where(wf.c.id == 3).values(lease_until=utc_now() + LEASE))
    copy_database(sqlite_source, pg_store, now=NOW)
    pg_store.ensure_current()
    assert pg_store.release("r2") == sqlite_source.release("r2")
    assert pg_store.release("r2").withdrawn_note == "Retiré"
    claimed = pg_store.claim_due(NOW, limit=10, owner="host-b:7", lease=LEASE)
    assert [f.id for f in claimed] == [1], "feed 3 is still leased by host-a, feed 4 is disabled"
    leases_age(pg_store, LEASE + timedelta(seconds=1))
    later = NOW + LEASE + timedelta(seconds=1)
    assert [f.id for f in pg_store.claim_due(later, limit=10, owner="host-b:7", lease=LEASE)] == [1, 3]
    # New rows take ids after the copied ones: the sequences were moved past them.
    fresh = pg_store.add_feed("https://new.example.com/", title="New", tags=(), interval=900, origin="cli", now=NOW)
    assert fresh.id == 5
    ((item_id, _, status),) = pg_store.upsert_items(fresh.id, [watch_item("n1", "New story")], NOW)
    assert status == "new" and item_id == 4
    match = Match("keyword", "lavrov", "n1", fresh.id, (), 1.0, "w")
    assert pg_store.add_matches([(item_id, match, None)], NOW) == 1
    assert [m.id for m in pg_store.matches(subject="lavrov")] == [3]
    queued = pg_store.enqueue_deliveries("webhook:desk", [NewDelivery(3, "webhook:desk:3", NOW)], NOW)
    assert queued == 1 and max(d.id for d in pg_store.deliveries()) == 4


def test_a_target_with_data_is_refused_unless_replace(sqlite_source, db_url):
    target = open_store(db_url)
    try:
        copy_database(sqlite_source, target, now=NOW)
        target.add_rule("extra", "extra", origin="cli", now=NOW)
        with pytest.raises(ExistsError, match=r"already holds data: .*rules \(3 rows\).*--replace") as refused:
            copy_database(sqlite_source, target, now=NOW)
        assert "watch_settings (1 row)," in str(refused.value)
        counts = copy_database(sqlite_source, target, now=NOW, replace=True)
        assert all(c.ok for c in counts) and [r.name for r in target.rules()] == ["iran", "lavrov"]
    finally:
        target.close()


def test_copying_a_database_onto_itself_is_refused(sqlite_source, tmp_path):
    same = open_store(f"sqlite:///{tmp_path / 'src' / '..' / 'src' / 'feeds.db'}")
    try:
        with pytest.raises(StoreError, match="same database"):
            copy_database(sqlite_source, same, now=NOW, replace=True)
    finally:
        same.close()
    assert sqlite_source.count_releases() == 3


def test_postgresql_onto_itself_is_refused(pg_url):
    a, b = open_store(pg_url), open_store(pg_url.replace("127.0.0.1", "localhost"))
    try:
        a.migrate(NOW)
        with pytest.raises(StoreError, match="same database"):
            copy_database(a, b, now=NOW)
    finally:
        a.close()
        b.close()


def test_a_source_behind_on_migrations_is_refused(tmp_path):
    source = open_store(f"sqlite:///{tmp_path / 'old.db'}")
    target = open_store(f"sqlite:///{tmp_path / 'new.db'}")
    try:
        with pytest.raises(MigrationError, match="feeds db migrate"):
            copy_database(source, target, now=NOW)
    finally:
        source.close()
        target.close()


def test_progress_is_reported_per_batch(sqlite_source, tmp_path):
    seen: list[tuple[str, int]] = []
    target = open_store(f"sqlite:///{tmp_path / 't.db'}")
    try:
        copy_database(sqlite_source, target, now=NOW, batch=2, progress=lambda t, n: seen.append((t, n)))
    finally:
        target.close()
    assert [n for t, n in seen if t == "releases"] == [2, 3]
    assert [n for t, n in seen if t == "items"] == [2, 3]


@pytest.mark.parametrize(
    ("counts", "ok"),
    [
        ([TableCount("releases", 3, 3), TableCount("items", 0, 0)], True),
        ([TableCount("releases", 3, 3), TableCount("items", 5, 4)], False),
    ],
)
def test_table_count_ok(counts, ok):
    assert all(c.ok for c in counts) is ok


# --- the command ---------------------------------------------------------------------------------------------


@pytest.fixture
def config(make_settings, tmp_path):
    settings = make_settings()
    fill_store = open_store(settings.database_url)
    try:
        fill(fill_store)
    finally:
        fill_store.close()
    return settings.path


def run(config, *args):
    return CliRunner().invoke(cli, ["--config", str(config), *args], catch_exceptions=False)


def test_db_copy_prints_the_counts_and_refuses_a_second_copy(config, tmp_path):
    target = f"sqlite:///{tmp_path / 'copy.db'}"
    r = run(config, "db", "copy", "--to", target)
    assert r.exit_code == 0, r.output
    lines = r.stdout.splitlines()
    assert lines[0].split() == ["table", "source", "target"]
    assert "releases 3 3" in [" ".join(line.split()) for line in lines]
    assert lines[-1].endswith("every count matches")
    again = run(config, "db", "copy", "--to", target)
    assert again.exit_code == 1 and "error: target database" in again.stderr and "--replace" in again.stderr
    assert run(config, "db", "copy", "--to", target, "--replace").exit_code == 0


def test_db_copy_names_a_target_it_cannot_reach_on_one_line_without_its_password(pg_url, make_settings):
    # From PostgreSQL to PostgreSQL the copy first asks both whether they are one database: a target that could
    # not be reached was `error: database: OperationalError: …`, not saying which of the two it was.
    settings = make_settings(database_url=pg_url)
    source = open_store(pg_url)
    source.migrate(NOW)
    source.close()
    with socket.socket() as s:  # a port nothing listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"postgresql://feeds:hunter2secret@127.0.0.1:{port}/feeds"
    r = CliRunner().invoke(
        cli,
        ["--config", str(settings.path), "-q", "db", "copy", "--to", url],
        env={"FEEDS_DATABASE_URL": pg_url},
        catch_exceptions=False,
    )
    assert r.exit_code == 1
    (line,) = r.stderr.splitlines()
    assert line.startswith(f"error: cannot open database postgresql+psycopg://feeds:***@127.0.0.1:{port}/feeds: ")
    assert "hunter2secret" not in r.output


def test_db_copy_exits_1_when_a_count_differs(config, tmp_path, monkeypatch):
    import feeds.store.copy as copy_mod

    monkeypatch.setattr(
        copy_mod, "copy_database", lambda *a, **kw: [TableCount("releases", 3, 3), TableCount("items", 3, 2)]
    )
    r = run(config, "db", "copy", "--to", f"sqlite:///{tmp_path / 'copy.db'}")
    assert r.exit_code == 1
    assert "DIFFERS" in r.stdout and "error: row counts differ in items" in r.stderr


def test_db_copy_with_q_says_nothing_unless_a_count_differs(config, tmp_path, monkeypatch):
    """`-q db copy` printed `copying … -> …`, the whole table and `copied … every count matches`: -q is
    "only errors"."""
    quiet = run(config, "-q", "db", "copy", "--to", f"sqlite:///{tmp_path / 'copy.db'}")
    assert quiet.exit_code == 0 and quiet.output == ""
    import feeds.store.copy as copy_mod

    monkeypatch.setattr(
        copy_mod, "copy_database", lambda *a, **kw: [TableCount("releases", 3, 3), TableCount("items", 3, 2)]
    )
    r = run(config, "-q", "db", "copy", "--to", f"sqlite:///{tmp_path / 'copy2.db'}")
    assert r.exit_code == 1 and "error: row counts differ in items" in r.stderr
    assert "items" in r.stdout and "DIFFERS" in r.stdout and "copying" not in r.output


def test_a_table_added_to_the_schema_without_copy_deciding_about_it_stops_the_copy():
    """copy.py names every table it copies and every one it leaves behind (with why): a table added to the schema
    is in neither until someone decides, and `copied_tables` refuses to guess (copied by default, a table of
    state local to one database, like the hosts' slots, would travel; left out, data would be lost)."""
    from feeds.errors import StoreError
    from feeds.store import copy as copy_mod

    assert set(copy_mod.COPIED) | set(copy_mod.NOT_COPIED) == set(schema_mod.metadata.tables)
    assert not set(copy_mod.COPIED) & set(copy_mod.NOT_COPIED)
    added = sa.Table("added_later", schema_mod.metadata, sa.Column("id", sa.Integer, primary_key=True))
    try:
        with pytest.raises(StoreError, match=r"added_later.*feeds/store/copy\.py"):
            copied_tables()
    finally:
        schema_mod.metadata.remove(added)
    assert "added_later" not in {t.name for t in copied_tables()}


def test_the_readme_counts_and_lists_the_tables_db_copy_copies():
    """README's "Moving from SQLite to PostgreSQL" says how many tables `feeds db copy` copies, and names each."""
    import re
    from pathlib import Path

    readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("### Moving from SQLite to PostgreSQL", 1)[1].split("\n###", 1)[0]
    n = len(copied_tables())
    said = {int(x) for x in re.findall(r"(\d+) tables", section)}
    assert said == {n}, f"README says {said} tables, db copy copies {n}"
    listed = section.split("in foreign-key order (", 1)[1].split(f": {n} tables", 1)[0]
    for t in copied_tables():
        assert f"`{t.name}`" in listed, f"README's list of copied tables lacks `{t.name}`"


def test_pictures_are_copied_a_few_at_a_time_whatever_the_batch(tmp_path) -> None:
    """A picture is up to 10 MiB: a --batch of 1000 must not read a thousand of them at once."""
    source = open_store(f"sqlite:///{tmp_path / 'source.db'}")
    target = open_store(f"sqlite:///{tmp_path / 'target.db'}")
    source.migrate(NOW)
    with source.transaction() as tx:
        tx.keep_pictures([Picture(f"p{i}.png", f"{i:064x}", "image/png", 1, 1, bytes([i])) for i in range(25)], NOW)
    seen: list[tuple[str, int]] = []
    copy_database(source, target, now=NOW, batch=1000, progress=lambda table, n: seen.append((table, n)))
    assert [n for table, n in seen if table == "pictures"] == [10, 20, 25]
    assert target.picture_data(f"{24:064x}") == bytes([24])
    source.close()
    target.close()
