"""An office's database made by an older `feeds` (its schema as of migration 5, 15 or 25) upgraded by today's code:
`feeds db migrate` (and the automatic one on start) keeps every row, and the next publish writes the same entry ids,
permalinks and bytes. A migration that fails half-way leaves nothing of itself; a newer database is refused, untouched.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from feeds.cli import cli
from feeds.publish import STATE_FILE
from feeds.store import migrations as migrations_mod
from feeds.store import open_store
from feeds.store import schema as schema_mod
from tests.test_publish_site import Site, make_site, tree_bytes  # noqa: F401 (make_site: a fixture)
from tests.test_store_copy import NOW, dump, fill

# What each later migration added to the tables an older database holds, to take away again: the schema as of
# version N is what `MIGRATIONS[:N]` made, less what these versions after N brought (their tables, columns, indexes).
ADDED_TABLES = {6: "related_applied", 17: "entry_ids", 19: "published_feeds", 24: "watch_settings"}
ADDED_TABLES |= {26: "host_slots", 27: "publish_outcome", 34: "pictures", 35: "release_pictures"}
ADDED_TABLES |= {38: "dismissals"}
ADDED_COLUMNS = {
    7: [("items", "in_body_at"), ("watched_feeds", "body_read_at")],
    10: [("items", "changed_at")],
    11: [("source_state", "read_with")],
    12: [("rules", "folded"), ("rules", "slug")],
    14: [("releases", "source_updated")],
    15: [("watched_feeds", "parse_warning")],
    21: [("releases", "withdrawn_by_hand")],
    23: [("source_state", "held_told")],
    24: [("matches", "quiet")],
    25: [("alert_destinations", c) for c in ("refused_status", "refused_since", "refusals", "probe_at")],
    28: [("releases", "translation_of")],
    29: [("alert_deliveries", "recipients")],
    30: [("watched_feeds", "title_given"), ("watched_feeds", "failing_since")],
    31: [("releases", "went_public"), ("releases", "dated_when_public")],
}
ADDED_INDEXES = {
    8: ("items", "ix_items_feed_hash"),
    16: ("ingested_files", "ix_ingested_files_sha256"),
}
# Indexes a migration made and a later one dropped: (made by, dropped by) → the index, to make again in between.
DROPPED_INDEXES = {(9, 39): "CREATE INDEX ix_ingested_files_bytes ON ingested_files (source, sha256)"}
# Columns whose value an upgrade gives by design from what was there (not the value the new code had stored).
UPGRADE_DECIDES = {
    ("releases", "source_updated"),  # migration 14: unknown for releases stored before
    ("releases", "withdrawn_by_hand"),  # migration 21: every earlier withdrawal counts as made by hand
    ("matches", "quiet"),  # migration 24: coverage stored before was alerted as any other
    ("items", "content_hash"),  # migration 13: made again from the text (the test's items carry made-up ones)
}


def as_of(engine: sa.Engine, version: int) -> None:
    """Turn a current database into the one `feeds` made at schema `version`: what later migrations brought goes,
    the column migration 13 dropped comes back, and the record says `version`."""
    with engine.begin() as conn:
        for v, table in ADDED_TABLES.items():
            if v > version:
                conn.exec_driver_sql(f"DROP TABLE {table}")
        for v, (_, index) in ADDED_INDEXES.items():
            if v > version:
                conn.exec_driver_sql(f"DROP INDEX {index}")
        for (made, dropped), ddl in DROPPED_INDEXES.items():
            if made <= version < dropped:
                conn.exec_driver_sql(ddl)
        for v, columns in ADDED_COLUMNS.items():
            for table, column in columns if v > version else ():
                for ix in sa.inspect(conn).get_indexes(table):
                    if column in ix["column_names"]:
                        conn.exec_driver_sql(f"DROP INDEX {ix['name']}")
                conn.exec_driver_sql(f"ALTER TABLE {table} DROP COLUMN {column}")
        if version < 13:
            conn.exec_driver_sql("ALTER TABLE items ADD COLUMN content_html TEXT")
            conn.exec_driver_sql("UPDATE items SET content_html = '<p>' || content_text || '</p>'")
        versions = schema_mod.schema_migrations.c.version
        conn.execute(schema_mod.schema_migrations.delete().where(versions > version))


def columns_of(engine: sa.Engine) -> dict[str, set[str]]:
    with engine.connect() as conn:
        inspector = sa.inspect(conn)
        return {t: {c["name"] for c in inspector.get_columns(t)} for t in inspector.get_table_names()}


def kept(rows: dict[str, list[dict]], columns: dict[str, set[str]]) -> dict[str, list[dict]]:
    """Of every table's rows, the values in the columns an older database has (and the upgrade leaves as they were)."""
    return {
        table: [
            {k: v for k, v in row.items() if k in columns[table] and (table, k) not in UPGRADE_DECIDES} for row in found
        ]
        for table, found in rows.items()
        if table in columns
    }


@pytest.fixture
def office(make_site) -> Site:  # noqa: F811
    """Two years of an office: releases, watched feeds, rules, items, matches, deliveries, a publish."""
    return office_at(make_site)


@pytest.fixture
def any_office(make_site, db_url) -> Site:  # noqa: F811
    """`office`, on SQLite and on PostgreSQL."""
    return office_at(make_site, db_url)


def office_at(make_site: Callable[..., Site], database_url: str | None = None) -> Site:  # noqa: F811
    site = make_site(
        database_url=database_url,
        extra_toml='\n[[watch.feeds]]\nurl = "https://news9.example.com/feed.xml"\ntitle = "Nine"\n',
    )
    fill(site.app.store)
    with site.app.store.engine.begin() as conn:  # (fill's made-up record of a topic feed: the publish keeps its own)
        conn.execute(schema_mod.published_feeds.delete())
    site.publish()
    return site


def config_of(site: Site) -> str:
    return str(site.settings.paths.state.parent / "feeds.toml")


def republish_from_scratch(site: Site) -> dict[str, bytes]:
    shutil.rmtree(site.out)
    (site.settings.paths.state / STATE_FILE).unlink()
    site.publish()
    return tree_bytes(site.out)


@pytest.mark.parametrize("version", [5, 15, 25])
def test_an_older_database_upgrades_with_every_row_kept_and_publishes_the_same_bytes(any_office, make_app_for, version):
    office = any_office
    store = office.app.store
    before, published = dump(store), tree_bytes(office.out)
    entry_ids = before["entry_ids"]
    office.app.close()
    old = open_store(office.settings.database_url)
    as_of(old.engine, version)
    old_columns = columns_of(old.engine)
    old.close()
    env = {"FEEDS_DATABASE_URL": office.settings.database_url}
    result = CliRunner().invoke(cli, ["--config", config_of(office), "db", "migrate"], env=env)
    assert result.exit_code == 0, result.output
    applied = [m.version for m in migrations_mod.MIGRATIONS if m.version > version]
    assert [line.split(":")[0] for line in result.output.splitlines()] == [f"applied migration {v}" for v in applied]
    office.app = make_app_for(office.settings)  # a start: nothing left to migrate
    after = dump(office.app.store)
    assert kept(after, old_columns) == kept(before, old_columns), "every row, as it was"
    assert {t: len(r) for t, r in after.items()} == {t: len(r) for t, r in before.items() if t in old_columns} | {
        t: 0 for t in after if t not in old_columns
    } | {"dismissals": len(before["dismissals"])}, "migration 38 carries over the dismissals"
    assert after["dismissals"] == before["dismissals"]
    for rule_before, rule_after in zip(before["rules"], after["rules"], strict=True):  # migration 12's keys again
        assert (rule_after["folded"], rule_after["slug"]) == (rule_before["folded"], rule_before["slug"])
    if version >= 13:
        assert [i["content_hash"] for i in after["items"]] == [i["content_hash"] for i in before["items"]]
    if version >= 17:
        assert after["entry_ids"] == entry_ids, "ids published before stay"
    again = republish_from_scratch(office)
    assert again == published, "the same feeds, pages and ids, byte for byte"


def ledger_indexes(engine: sa.Engine) -> set[str]:
    return {i["name"] for i in sa.inspect(engine).get_indexes("ingested_files")}


def test_the_ledgers_index_by_source_and_bytes_made_by_migration_9_goes_with_migration_39(any_office, make_app_for):
    # (every ingested file's insert kept it up; the index by bytes alone finds what it found, a digest having a row
    # or a few: a file's copy, under another name of its source or from another source, is still recognised)
    office = any_office
    store = office.app.store
    assert "ix_ingested_files_bytes" not in ledger_indexes(store.engine), "a new database never keeps it"
    with store.transaction() as tx:
        tx.record_ingested_files([("inbox", "a.txt", "ab" * 32, ["r1"]), ("other", "b.txt", "ab" * 32, ["r2"])], NOW)
    office.app.close()
    old = open_store(office.settings.database_url)
    as_of(old.engine, 38)
    assert {"ix_ingested_files_bytes", "ix_ingested_files_sha256"} <= ledger_indexes(old.engine)
    old.close()
    office.app = make_app_for(office.settings)  # the start migrates
    store = office.app.store
    assert "ix_ingested_files_bytes" not in ledger_indexes(store.engine)
    assert "ix_ingested_files_sha256" in ledger_indexes(store.engine)
    with store.transaction() as tx:
        assert tx.files_with_bytes("inbox", ["ab" * 32]) == {"ab" * 32: ("inbox", "a.txt", ["r1"])}
        assert tx.files_with_bytes("inbox", ["ab" * 32], elsewhere=True) == {"ab" * 32: ("other", "b.txt", ["r2"])}
    if store.engine.dialect.name == "sqlite":  # found through the index by bytes, not by walking a source's files
        seen: list[tuple[str, tuple[object, ...]]] = []

        def note(conn: object, cursor: object, sql: str, params: tuple[object, ...], *rest: object) -> None:
            seen.append((sql, params))

        sa.event.listen(store.engine, "before_cursor_execute", note)
        with store.transaction() as tx:
            tx.files_with_bytes("inbox", ["ab" * 32, "cd" * 32])  # (two: one alone, SQLite would use it anyway)
        sa.event.remove(store.engine, "before_cursor_execute", note)
        sql, params = next((q, p) for q, p in seen if "ingested_files" in q)
        with store.engine.connect() as conn:
            plan = " ".join(str(row) for row in conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params))
        assert "ix_ingested_files_sha256" in plan, plan


def test_a_migration_failing_half_way_leaves_nothing_of_itself_and_the_next_start_applies_it(
    office, make_app_for, monkeypatch
):
    office.app.close()
    engine = sa.create_engine(office.settings.database_url)
    as_of(engine, 11)
    engine.dispose()
    original = migrations_mod.MIGRATIONS
    twelve = original[11]
    assert twelve.version == 12

    def killed(conn: sa.Connection) -> None:
        twelve.apply(conn)  # its columns added, the rules given their keys, the indexes made…
        raise KeyboardInterrupt  # …and then the process is stopped

    broken = (*original[:11], migrations_mod.Migration(12, twelve.name, killed), *original[12:])
    monkeypatch.setattr(migrations_mod, "MIGRATIONS", broken)
    store = open_store(office.settings.database_url)
    before = columns_of(store.engine)
    with pytest.raises(KeyboardInterrupt):
        store.migrate(NOW)
    assert columns_of(store.engine) == before, "nothing of migration 12"
    assert max(store.applied_versions()) == 11
    store.close()
    monkeypatch.setattr(migrations_mod, "MIGRATIONS", original)
    office.app = make_app_for(office.settings)  # the next start
    assert office.app.store.pending_migrations() == []
    assert all(r["slug"] for r in dump(office.app.store)["rules"])


@pytest.mark.parametrize("fails", [KeyError("bug in a migration"), sa.exc.OperationalError("x", {}, Exception("io"))])
def test_a_migration_that_raises_is_reported_by_number_and_name_not_as_a_traceback(office, monkeypatch, fails):
    office.app.close()
    engine = sa.create_engine(office.settings.database_url)
    as_of(engine, 25)
    engine.dispose()
    original = migrations_mod.MIGRATIONS

    def broken(conn: sa.Connection) -> None:
        raise fails

    patched = (*original[:25], migrations_mod.Migration(26, original[25].name, broken), *original[26:])
    monkeypatch.setattr(migrations_mod, "MIGRATIONS", patched)
    result = CliRunner().invoke(cli, ["--config", config_of(office), "db", "migrate"])
    assert result.exit_code != 0
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    assert "migration 26 (requests under way per host, shared by every daemon) failed" in result.output
    store = open_store(office.settings.database_url)
    assert max(store.applied_versions()) == 25
    store.close()


def test_a_database_from_a_newer_feeds_is_refused_with_a_message_and_left_as_it_is(office):
    office.app.close()
    path = Path(office.settings.database_url.removeprefix("sqlite:///"))
    engine = sa.create_engine(office.settings.database_url)
    with engine.begin() as conn:
        conn.execute(schema_mod.schema_migrations.insert().values(version=999, name="from the future", applied_at=NOW))
    engine.dispose()
    before = dump_file(path)
    config = config_of(office)
    for args in (["db", "migrate"], ["releases", "list"], ["publish"], ["run", "--once"], ["status"]):
        result = CliRunner().invoke(cli, ["--config", config, *args])
        assert result.exit_code != 0, args
        assert result.exception is None or isinstance(result.exception, SystemExit), (args, result.exception)
        assert "schema version 999 but this feeds knows only up to" in result.output, args
    assert dump_file(path) == before


def dump_file(path: Path) -> bytes:
    """The database's content as SQL (the file's bytes move with a checkpoint)."""
    import sqlite3

    conn = sqlite3.connect(path)
    try:
        return "\n".join(conn.iterdump()).encode()
    finally:
        conn.close()


def test_db_backup_takes_a_whole_snapshot_of_an_older_database_before_it_is_migrated(office, tmp_path):
    """Back up, upgrade, and the backup is still the old database, whole: restoring it is undoing the upgrade."""
    office.app.close()
    engine = sa.create_engine(office.settings.database_url)
    as_of(engine, 15)
    engine.dispose()
    source = Path(office.settings.database_url.removeprefix("sqlite:///"))
    before = dump_file(source)
    target = tmp_path / "backups" / "feeds-before-upgrade.db"
    target.parent.mkdir()
    result = CliRunner().invoke(cli, ["--config", config_of(office), "db", "backup", str(target)])
    assert result.exit_code == 0, result.output
    assert str(target) in result.output
    assert dump_file(target) == before == dump_file(source), "a copy, and the database itself untouched"
    again = CliRunner().invoke(cli, ["--config", config_of(office), "db", "backup", str(target)])
    assert again.exit_code == 1, again.output
    assert again.exception is None or isinstance(again.exception, SystemExit), again.exception
    assert f"{target} exists already" in again.output
    assert dump_file(target) == before
    assert CliRunner().invoke(cli, ["--config", config_of(office), "db", "migrate"]).exit_code == 0
    assert dump_file(target) == before


@pytest.mark.postgres
def test_db_backup_of_postgresql_names_pg_dump_rather_than_writing_anything(pg_url, tmp_path):
    from feeds.errors import StoreError
    from feeds.store.copy import backup_sqlite

    store = open_store(pg_url)
    try:
        with pytest.raises(StoreError, match="back up PostgreSQL with pg_dump"):
            backup_sqlite(store, tmp_path / "x.db")
    finally:
        store.close()
    assert not list(tmp_path.iterdir())


def test_two_processes_upgrading_one_sqlite_file_at_once_both_start(tmp_path, monkeypatch):
    """A daemon restarted after an upgrade while cron's `feeds ingest` starts: both find migration 26 missing, one
    applies it, and the other, waiting for the write lock meanwhile, finds it applied rather than failing on a table
    that exists already. (PostgreSQL queues them on an advisory lock.)"""
    import threading

    url = f"sqlite:///{tmp_path / 'feeds.db'}"
    first = open_store(url)
    first.migrate(NOW)
    as_of(first.engine, 25)
    second = open_store(url)
    original = migrations_mod.MIGRATIONS
    both_read, first_in = threading.Event(), threading.Event()
    reads: list[int] = []
    real_applied = migrations_mod.applied_versions

    def applied(conn: sa.Connection) -> set[int]:
        found = real_applied(conn)
        reads.append(max(found, default=0))
        if len(reads) == 2:
            both_read.set()
        return found

    def slow(conn: sa.Connection) -> None:  # the first in holds the write lock until the other has read
        first_in.set()
        original[25].apply(conn)
        assert both_read.wait(10)

    monkeypatch.setattr(migrations_mod, "applied_versions", applied)
    monkeypatch.setattr(
        migrations_mod, "MIGRATIONS", (*original[:25], migrations_mod.Migration(26, "slots", slow), *original[26:])
    )
    failed: list[BaseException] = []

    def run_first() -> None:
        try:
            first.migrate(NOW)
        except BaseException as e:  # (reported below)
            failed.append(e)
            both_read.set()

    thread = threading.Thread(target=run_first)
    thread.start()
    assert first_in.wait(10)
    try:
        done = second.migrate(NOW)
    finally:
        both_read.set()
        thread.join(30)
    assert not failed, failed
    assert 26 not in [m.version for m in done]
    assert second.pending_migrations() == [] == first.pending_migrations()
    first.close()
    second.close()
