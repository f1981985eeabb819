"""Years of an office's database under the daemon's housekeeping: what should expire does, no table only ever grows
(but the releases, the site's archive), and the SQLite file stops growing once the retention windows are full."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import sqlalchemy as sa

from feeds.daemon import Daemon
from feeds.model import Match, MatchedTerm
from feeds.store import schema as schema_mod
from feeds.store.alerts import NewDelivery
from feeds.store.copy import copied_tables
from tests.alerts_helpers import watch_item

# Every table, and what bounds it: a table added without a decision here fails the first test.
BOUNDED_BY = {
    "releases": "never pruned: the site is their archive",
    "idempotency": "housekeeping: 30 days",
    "ingested_files": "housekeeping: daemon.ledger_retention_days",
    "source_state": "one row a source",
    "watched_feeds": "one row a feed watched (a removed feed goes)",
    "rules": "one row a rule",
    "items": "housekeeping: watch.retention_days, and matched items with their matches",
    "matches": "housekeeping: watch.match_retention_days (0: the archive of coverage, kept for ever)",
    "entry_ids": "go with their items",
    "published_feeds": "one row a feed published",
    "related_applied": "one row a release",
    "watch_settings": "one row a setting",
    "alert_destinations": "one row a destination",
    "alert_deliveries": "housekeeping: alerts.retention_days, and with their matches",
    "schema_migrations": "one row a migration",
    "workers": "housekeeping: 7 days",
    "host_slots": "a row while a fetch is under way",
    "publish_outcome": "one row",
    "pictures": "those the releases show; housekeeping: one no release shows, a day after a release last stored it",
    "release_pictures": "one row a name a release gave a picture (a correction keeps it); gone with a takedown",
    "dismissals": "one row a press officer's dismissal (never pruned); gone with a restore or a takedown",
}
PRUNED = ("idempotency", "ingested_files", "items", "matches", "entry_ids", "alert_deliveries", "workers")


def test_every_table_has_a_retention_decision() -> None:
    assert set(schema_mod.metadata.tables) | {t.name for t in copied_tables()} == set(BOUNDED_BY)


def counts(engine: sa.Engine) -> dict[str, int]:
    with engine.connect() as conn:
        return {t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one() for t in BOUNDED_BY}


def test_three_years_of_weekly_news_keep_every_pruned_table_and_the_file_bounded(make_settings, clock) -> None:
    settings = make_settings(
        "\n[watch]\nretention_days = 30\nmatch_retention_days = 60\n[alerts]\nretention_days = 30\n"
        "[daemon]\nledger_retention_days = 30\n"
    )
    daemon = Daemon(Path(settings.path), settings, clock=clock, serve=False)
    app = daemon.app
    store = app.store
    feed = store.add_feed(
        "https://news.example.com/feed.xml", title="News", tags=(), interval=1800, origin="cli", now=clock()
    )
    store.register_destinations(["webhook:desk"], clock())
    db = Path(settings.database_url.removeprefix("sqlite:///"))
    seen: dict[int, dict[str, int]] = {}
    sizes: dict[int, int] = {}
    try:
        for week in range(0, 3 * 52, 2):  # (a fortnight at a time)
            now = clock()
            found = [
                replace(watch_item(f"w{week}-{n}", f"Story {n} of week {week}", published=now), content_text="x" * 400)
                for n in range(100)
            ]
            stored = store.upsert_items(feed.id, found, now)
            term = (MatchedTerm("harbour", "title", 0, 7),)
            matched = [
                (item_id, Match("keyword", "harbour", i.key, feed.id, term, 1.0, "title"), 1.0)
                for item_id, i, _ in stored[:15]
            ]
            store.add_matches(matched, now)
            with store.engine.begin() as conn:
                ids = conn.execute(
                    sa.text("SELECT id FROM matches WHERE found_at = (SELECT max(found_at) FROM matches)")
                )
                new = [NewDelivery(match_id, f"d:{match_id}", now) for (match_id,) in ids]
            store.enqueue_deliveries("webhook:desk", new, now)
            with store.engine.begin() as conn:  # (sent at once)
                conn.execute(
                    sa.text("UPDATE alert_deliveries SET status = 'sent', sent_at = queued_at WHERE status = 'pending'")
                )
            store.keep_entry_ids({("matches", i.link): f"tag:x,{week}:{i.key}" for _, i, _ in stored[:15]}, now)
            with store.transaction() as tx:
                tx.record_ingested_files([("inbox", f"r{week}.txt", f"{week:064x}", [])], now)
                tx.remember_idempotency(f"push:{week}", "none", now)
            daemon.jobs.housekeeping(app)
            if week % 52 == 50:
                seen[week // 52], sizes[week // 52] = counts(store.engine), db.stat().st_size
            clock.advance(timedelta(days=14))
    finally:
        app.close()
    for table in PRUNED:
        assert seen[2][table] <= seen[0][table] * 1.1 + 5, (table, seen)
    assert 0 < seen[2]["items"] < 15 * 100, "matched items for 60 days, the others for 30"
    assert sizes[2] <= sizes[0] * 1.1, sizes
