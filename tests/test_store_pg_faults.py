"""PostgreSQL going away under a running watch round, and a lock another session holds: real PostgreSQL (skipped
loudly without it), real sessions ended with `pg_terminate_backend`, a feed server on 127.0.0.1."""

from __future__ import annotations

import logging
from typing import Any

import psycopg
import pytest
import sqlalchemy as sa

from feeds.watch.manage import add_feed
from feeds.watch.poll import run_watch

pytestmark = pytest.mark.postgres

RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>Desk {n}</title><link>https://news.example.com/</link><description>d</description>
{items}</channel></rss>"""
ITEM = """<item><title>Story {n}-{i}</title><link>https://news.example.com/{n}/{i}</link><guid>{n}-{i}</guid>
<description>Body {n} {i}</description><pubDate>Sat, 28 Nov 2026 09:00:00 GMT</pubDate></item>"""


def rss(n: int, count: int = 3) -> str:
    return RSS.format(n=n, items="\n".join(ITEM.format(n=n, i=i) for i in range(count)))


@pytest.fixture
def pg_app(make_settings, make_app_for, pg_url):
    extra = '\n[http]\nallow = ["127.0.0.1", "localhost", "::1"]\n'
    return make_app_for(make_settings(extra, database_url=pg_url))


def terminate_when(engine: sa.Engine, pg_url: str, wanted: str, times: int = 1) -> list[int]:
    """End, from another session, the session about to run a statement containing `wanted` (its first `times`
    ones): as a failover or an administrator's `pg_terminate_backend` does in the middle of a transaction."""
    ended: list[int] = []
    dsn = pg_url.split("?")[0]

    @sa.event.listens_for(engine, "before_cursor_execute")
    def _kill(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        if wanted in statement and len(ended) < times:
            pid = conn.connection.dbapi_connection.info.backend_pid
            with psycopg.connect(dsn, autocommit=True) as other:
                other.execute("SELECT pg_terminate_backend(%s)", (pid,))
            ended.append(pid)

    return ended


def test_a_session_ended_while_a_watch_round_stores_costs_no_feed_a_failure_and_stores_every_item_once(
    pg_app, pg_url, httpserver, caplog
):
    feeds = []
    for n in range(3):
        httpserver.expect_request(f"/f{n}.xml").respond_with_data(rss(n), content_type="application/rss+xml")
        feeds.append(add_feed(pg_app, httpserver.url_for(f"/f{n}.xml")))
    ended = terminate_when(pg_app.store.engine, pg_url, "INSERT INTO items")
    caplog.set_level(logging.INFO)
    report = run_watch(pg_app)
    assert ended, "the session was ended mid-round"
    assert [o.error for o in report.outcomes] == [None, None, None]
    for feed in feeds:
        stored = pg_app.store.feed(feed.id)
        assert (stored.failures, stored.last_error) == (0, None)
    assert pg_app.store.count_items() == 9
    assert not [r for r in caplog.records if r.exc_info], "no traceback"
    assert len([r for r in caplog.records if r.levelno >= logging.WARNING]) <= 1


def test_a_database_that_stays_away_ends_the_round_in_one_error_and_the_next_round_stores_everything(
    pg_app, pg_url, httpserver, caplog
):
    feeds = []
    for n in range(3):
        httpserver.expect_request(f"/f{n}.xml").respond_with_data(rss(n), content_type="application/rss+xml")
        feeds.append(add_feed(pg_app, httpserver.url_for(f"/f{n}.xml")))
    ended = terminate_when(pg_app.store.engine, pg_url, "INSERT INTO items", times=2)
    caplog.set_level(logging.INFO)
    with pytest.raises(sa.exc.OperationalError):
        run_watch(pg_app)
    assert len(ended) == 2
    assert not [r for r in caplog.records if r.exc_info], "no traceback"
    for feed in feeds:  # no failure charged
        stored = pg_app.store.feed(feed.id)
        assert (stored.failures, stored.last_error) == (0, None)
    with pg_app.store.engine.connect() as conn:  # given back as they were, due now
        assert conn.execute(sa.text("SELECT count(*) FROM watched_feeds WHERE lease_owner IS NULL")).scalar() == 3
    report = run_watch(pg_app)  # the database is back
    assert sorted(o.feed_id for o in report.outcomes if o.error is None) == sorted(f.id for f in feeds)
    assert pg_app.store.count_items() == 9
