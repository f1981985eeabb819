"""A subscriber's reader paging through the main feed's archives (RFC 5005): a document marked complete
(`fh:archive`) never changes, whatever a source later corrects, whatever the upgrade, whichever database.

Archives are cut in the order releases went public (`Store.release_archive_order`); each release's place in it is
kept by the first publish that shows it (`Store.keep_went_public`, migration 31).
"""

from __future__ import annotations

import logging
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree

from feeds.app import make_app
from feeds.cli import cli
from feeds.clock import rfc3339
from feeds.config import load_settings
from feeds.daemon import Daemon
from feeds.ingest.withdraw import restore_release, withdraw_release
from feeds.store import open_store
from feeds.store import schema as schema_mod
from feeds.store.copy import copy_database
from tests.test_publish_site import ATOM, Site, make_site, tree_bytes  # noqa: F401  (make_site: a fixture)
from tests.test_store_upgrades import as_of


def archived(out: Path) -> dict[str, set[str]]:
    """Each archive document's entries' ids, by its folder. (Within one, entries are newest first by publication:
    a release corrected there may move inside its document, which says it changed; not out of it.)"""
    docs = sorted((out / "archive").rglob("atom.xml"))
    return {p.parent.name: {e.findtext(f"{ATOM}id") for e in etree.parse(str(p)).iter(f"{ATOM}entry")} for p in docs}


def archive_bytes(out: Path) -> dict[str, bytes]:
    return {k: v for k, v in tree_bytes(out).items() if k.startswith("archive/")}


def weekly(site: Site, count: int, *, first: int = 0) -> None:
    for i in range(first, first + count):
        site.drop(f"r{i}", f"Weekly note number {i}", [], f"2026-11-{i + 2:02d}T09:30:00Z")
        site.ingest()


def current(site: Site, count: int, *, first: int = 0) -> None:
    """Releases dated as they are stored (a release stored after its date takes its place by it, as a back
    catalogue does: see tests/test_publish_back_catalogue.py)."""
    for i in range(first, first + count):
        site.drop(f"r{i}", f"Weekly note number {i}", [], rfc3339(site.clock()))
        site.ingest()


def advance(site: Site, minutes: int = 60) -> None:
    site.clock.advance(timedelta(minutes=minutes))


def test_a_public_release_re_dated_later_leaves_every_complete_archive_as_published(make_site, db_url) -> None:  # noqa: F811
    site = make_site("\n[publish]\nentries = 2\n", seed=False, database_url=db_url)
    weekly(site, 6)
    site.publish()
    before, docs = archived(site.out), archive_bytes(site.out)
    assert len(before) == 2
    advance(site)
    site.drop("r0", "Weekly note number 0", [], rfc3339(site.clock() - timedelta(minutes=5)))  # a time corrected
    site.ingest()
    site.publish()
    assert archived(site.out) == before
    assert archive_bytes(site.out).keys() >= docs.keys()


def test_releases_stored_together_keep_their_order_when_one_is_re_dated(make_site) -> None:  # noqa: F811
    """A batch stored at once went public at one moment: publication time breaks the tie, and a correction of it
    moved the release among its batch (and across an archive's edge)."""
    site = make_site("\n[publish]\nentries = 2\n", seed=False)
    for i in range(6):
        site.drop(f"r{i}", f"Weekly note number {i}", [], f"2026-11-{i + 2:02d}T09:30:00Z")
    site.ingest()
    site.publish()
    before = archived(site.out)
    assert len(before) == 2
    advance(site)
    site.drop("r0", "Weekly note number 0", [], "2026-11-20T09:30:00Z")  # later than all the batch, still past
    site.ingest()
    site.publish()
    assert archived(site.out) == before


def test_an_embargoed_release_re_dated_earlier_after_it_went_public_stays_where_it_joined(make_site) -> None:  # noqa: F811
    site = make_site("\n[publish]\nentries = 2\n", seed=False)
    site.drop("held", "Budget statement", [], rfc3339(site.clock() + timedelta(hours=2)))
    site.ingest()
    current(site, 3)
    advance(site, 180)  # the embargo lifts
    site.publish()
    current(site, 4, first=3)
    site.publish()
    before = archived(site.out)
    assert len(before) >= 2
    held = site.app.store.release("budget-statement")
    assert any(held.id in ids for ids in before.values()), "archived among those stored before it went public"
    advance(site)
    earlier = rfc3339(site.clock() - timedelta(days=60))
    site.drop("held", "Budget statement", [], earlier)  # before every other release
    site.ingest()
    site.publish()
    assert archived(site.out) == before


def test_an_embargo_moved_before_it_lifts_still_moves_the_release(make_site) -> None:  # noqa: F811
    """Nothing showed it yet: its place follows the embargo as it is when it lifts (after every release shown)."""
    site = make_site("\n[publish]\nentries = 2\n", seed=False)
    site.drop("held", "Budget statement", [], rfc3339(site.clock() + timedelta(hours=1)))
    site.ingest()
    weekly(site, 2)
    site.publish()  # under embargo: not kept
    site.drop("held", "Budget statement", [], rfc3339(site.clock() + timedelta(hours=5)))
    site.ingest()
    advance(site, 120)  # the first embargo would have lifted
    weekly(site, 2, first=2)
    site.publish()
    advance(site, 240)
    site.publish()
    order = site.app.store.release_archive_order()
    assert order[-1] == site.app.store.release("budget-statement").id


def test_an_embargo_brought_forward_into_the_past_joins_after_every_release_archived(make_site, db_url) -> None:  # noqa: F811
    """Stored under an embargo days ahead, then re-dated by its source to a day already past: nothing showed it,
    and read from the row it went public days ago, among releases archived since."""
    site = make_site("\n[publish]\nentries = 2\n", seed=False, database_url=db_url)
    site.drop("held", "Budget statement", [], rfc3339(site.clock() + timedelta(days=10)))
    site.ingest()
    for i in range(6):
        advance(site, 24 * 60)
        site.drop(f"r{i}", f"Weekly note number {i}", [], rfc3339(site.clock()))
        site.ingest()
        site.publish()
    before = archived(site.out)
    assert len(before) == 2
    site.drop("held", "Budget statement", [], rfc3339(site.clock() - timedelta(days=4)))  # brought forward
    site.ingest()
    site.publish()
    assert archived(site.out) == before
    assert site.app.store.release_archive_order()[-1] == site.app.store.release("budget-statement").id


def test_a_cancelled_embargo_restored_after_its_time_joins_after_every_release_archived(make_site) -> None:  # noqa: F811
    """Withdrawn before its publication (never public), restored days after it: it goes public at the restore,
    not at its publication time among releases archived meanwhile."""
    site = make_site("\n[publish]\nentries = 2\n", seed=False)
    site.drop("held", "Budget statement", [], rfc3339(site.clock() + timedelta(days=1)))
    site.ingest()
    withdraw_release(site.app, "budget-statement", "Cancelled.")
    for i in range(6):
        advance(site, 24 * 60)
        site.drop(f"r{i}", f"Weekly note number {i}", [], rfc3339(site.clock()))
        site.ingest()
        site.publish()
    before = archived(site.out)
    assert len(before) == 2
    restore_release(site.app, "budget-statement")
    site.publish()
    assert archived(site.out) == before
    assert site.app.store.release_archive_order()[-1] == site.app.store.release("budget-statement").id


def test_a_dry_run_keeps_nothing(make_site) -> None:  # noqa: F811
    site = make_site(seed=False)
    weekly(site, 2)
    site.publish(dry_run=True)
    with site.app.store.engine.connect() as conn:
        kept = conn.execute(schema_mod.releases.select().where(schema_mod.releases.c.went_public.is_not(None)))
        assert kept.first() is None
    site.publish()
    assert site.app.store.keep_went_public(site.clock()) == 0, "each shown release kept once"


@pytest.mark.parametrize("version", [25, 30])
def test_an_upgraded_database_publishes_the_same_archives_and_keeps_them_from_then_on(
    make_site,  # noqa: F811
    db_url,
    monkeypatch,
    version,
) -> None:
    """Archives built by the order as it was worked out before (nothing kept), the database taken back to the
    schema before migration 31 and upgraded: the whole site publishes byte for byte the same, and a correction
    after the upgrade leaves the complete archives alone. (From version 25, no publish is recorded yet: the last
    ingest tells what was public.)"""
    site = make_site("\n[publish]\nentries = 2\n", seed=False, database_url=db_url)
    store = site.app.store
    with monkeypatch.context() as m:  # the code before migration 31: nothing kept, the order read from the row
        m.setattr(type(store), "keep_went_public", lambda self, now, **kw: 0)
        as_read = type(store).release_archive_order  # (by first storing, or when an embargo lifted)
        m.setattr(type(store), "release_archive_order", lambda self, *args, **kw: as_read(self))
        site.drop("held", "Budget statement", [], rfc3339(site.clock() + timedelta(hours=2)))
        site.ingest()
        weekly(site, 3)
        advance(site, 180)
        site.publish()
        weekly(site, 4, first=3)
        site.drop("later", "Still under embargo", [], rfc3339(site.clock() + timedelta(days=3)))
        site.ingest()
        site.publish()
        order = store.release_archive_order()
    before = tree_bytes(site.out)
    assert len(archived(site.out)) >= 2
    as_of(store.engine, version)
    store.migrate(site.clock())
    with store.engine.connect() as conn:
        r = schema_mod.releases
        rows = {row.slug: row for row in conn.execute(r.select())}
    assert rows["budget-statement"].went_public == rows["budget-statement"].published, "when its embargo lifted"
    assert rows["still-under-embargo"].went_public is None, "not shown yet: kept by the publish that shows it"
    assert all(row.went_public is not None for slug, row in rows.items() if slug != "still-under-embargo")
    assert store.release_archive_order() == order
    site.publish()
    assert tree_bytes(site.out) == before
    archives = archived(site.out)
    advance(site)
    site.drop("held", "Budget statement", [], rfc3339(site.clock() - timedelta(minutes=1)))  # re-dated later
    site.ingest()
    site.publish()
    assert archived(site.out) == archives


@pytest.mark.postgres
def test_db_copy_carries_each_releases_kept_place(make_site, pg_url, tmp_path) -> None:  # noqa: F811
    site = make_site("\n[publish]\nentries = 2\n", seed=False)
    weekly(site, 5)
    site.publish()
    order = site.app.store.release_archive_order()
    target = open_store(pg_url)
    try:
        copy_database(site.app.store, target, now=site.clock())
        r = schema_mod.releases
        q = r.select().with_only_columns(r.c.id, r.c.went_public, r.c.dated_when_public).order_by(r.c.id)
        with site.app.store.engine.connect() as a, target.engine.connect() as b:
            source_rows = [tuple(row) for row in a.execute(q)]
            assert source_rows == [tuple(row) for row in b.execute(q)]
        assert all(row[1] is not None for row in source_rows)
        assert target.release_archive_order() == order
    finally:
        target.close()


# --- a site moved to another domain without `site.id_domain` ------------------------------------------------------


def moved(site: Site, extra: str = "") -> Path:
    """The site's config with `base_url` on another domain (and `extra` in [site]); its path."""
    path = Path(site.settings.path)
    text = path.read_text(encoding="utf-8").replace(
        'base_url = "https://press.example.org/"', f'base_url = "https://news.example.net/"\n{extra}'
    )
    path.write_text(text, encoding="utf-8")
    return path


def check_config(site: Site, path: Path) -> tuple[int, list[str]]:
    env = {"FEEDS_DATABASE_URL": site.settings.database_url}
    result = CliRunner().invoke(cli, ["--config", str(path), "check-config"], env=env)
    return result.exit_code, [line for line in result.output.splitlines() if line.startswith("warning:")]


def test_check_config_says_once_that_new_release_ids_take_the_new_host_after_a_move(make_site) -> None:  # noqa: F811
    site = make_site(seed=False)
    weekly(site, 1)
    site.publish()
    code, warnings = check_config(site, Path(site.settings.path))
    assert code == 0 and not [w for w in warnings if "id_domain" in w], "not moved: nothing to say"
    code, warnings = check_config(site, moved(site))
    said = [w for w in warnings if "id_domain" in w]
    assert code == 0 and len(said) == 1, warnings
    assert "site.id_domain" in said[0] and "'press.example.org'" in said[0] and "'news.example.net'" in said[0]


def test_check_config_says_nothing_once_site_id_domain_is_set(make_site) -> None:  # noqa: F811
    site = make_site(seed=False)
    weekly(site, 1)
    site.publish()
    code, warnings = check_config(site, moved(site, 'id_domain = "press.example.org"'))
    assert code == 0 and not [w for w in warnings if "id_domain" in w], warnings


def test_a_moved_site_keeps_its_feed_ids_and_names_new_releases_under_the_new_host(make_site, caplog) -> None:  # noqa: F811
    """The decision: a `tag:` id's authority must be a domain owned on the date in it (RFC 4151 §2.1), and the old
    domain may not be the office's any more; ids are opaque, compared whole (RFC 4287 §4.2.6). So a new release is
    named under the host the site is on, the feeds keep their ids, and the daemon's start says so once."""
    site = make_site(seed=False)
    weekly(site, 1)
    site.publish()
    feed_before = etree.parse(str(site.out / "atom.xml")).getroot().findtext(f"{ATOM}id")
    settings = load_settings(moved(site), environ={"FEEDS_DATABASE_URL": site.settings.database_url})
    site.app.close()
    site.app = make_app(settings, clock=site.clock)
    site.settings = settings
    site.drop("new", "After the move", [], rfc3339(site.clock() - timedelta(minutes=1)))
    site.ingest()
    site.publish()
    assert etree.parse(str(site.out / "atom.xml")).getroot().findtext(f"{ATOM}id") == feed_before
    assert site.app.store.release("after-the-move").id.startswith("tag:news.example.net,")
    assert site.app.store.release("weekly-note-number-0").id.startswith("tag:press.example.org,")
    site.app.close()
    daemon = Daemon(Path(settings.path), settings, clock=site.clock, serve=False)
    try:
        with caplog.at_level(logging.WARNING):
            daemon.start()
    finally:
        daemon.stop()
        daemon.app.close()
    said = [r.getMessage() for r in caplog.records if "site.id_domain" in r.getMessage()]
    assert len(said) == 1 and "'press.example.org'" in said[0], said


def test_a_daemon_reloaded_onto_a_new_domain_says_so_once(make_site, caplog) -> None:  # noqa: F811
    site = make_site(seed=False)
    weekly(site, 1)
    site.publish()
    settings = site.settings
    site.app.close()
    daemon = Daemon(Path(settings.path), settings, clock=site.clock, serve=False)
    try:
        with caplog.at_level(logging.WARNING):
            daemon.start()
            assert not [r for r in caplog.records if "site.id_domain" in r.getMessage()], "not moved yet"
            moved(site)
            assert daemon.reload() and daemon.reload()
    finally:
        daemon.stop()
        daemon.app.close()
    said = [r.getMessage() for r in caplog.records if "site.id_domain" in r.getMessage()]
    assert len(said) == 1 and "'news.example.net'" in said[0], said
