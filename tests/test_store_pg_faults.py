"""PostgreSQL going away under a running daemon: its sessions ended (`pg_terminate_backend`, as a restart or a
failover does) between jobs, in the middle of a watch round's storing and as a sent alert is recorded; a table
locked by another session; a migration waiting for another process's. Real PostgreSQL (skipped loudly without
it), a feed server and a webhook receiver on 127.0.0.1, an injected clock."""

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


def served_feeds(app, httpserver, count):
    """`count` watched feeds served on 127.0.0.1, three items each (`rss`)."""
    feeds = []
    for n in range(count):
        httpserver.expect_request(f"/f{n}.xml").respond_with_data(rss(n), content_type="application/rss+xml")
        feeds.append(add_feed(app, httpserver.url_for(f"/f{n}.xml")))
    return feeds


def test_a_session_ended_while_a_watch_round_stores_costs_no_feed_a_failure_and_stores_every_item_once(
    pg_app, pg_url, httpserver, caplog
):
    feeds = served_feeds(pg_app, httpserver, 3)
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
    feeds = served_feeds(pg_app, httpserver, 3)
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


@pytest.fixture
def short_lock_timeout(monkeypatch):
    """Statements wait 0.3 s for another session's lock (30 s in production: `PG_LOCK_TIMEOUT`)."""
    monkeypatch.setattr("feeds.store.engines.PG_LOCK_TIMEOUT", 0.3)


def hold_lock(pg_url: str, statement: str) -> psycopg.Connection:
    """Another session (an operator's `psql`) holding a lock in an open transaction, until closed."""
    other = psycopg.connect(pg_url.split("?")[0], options=f"-c search_path={schema_of(pg_url)}")
    other.execute(statement)
    return other


def schema_of(pg_url: str) -> str:
    return pg_url.rsplit("%3D", 1)[1]


def test_a_table_locked_by_another_session_fails_the_job_in_one_line_and_the_next_run_stores_the_file_once(
    short_lock_timeout, make_settings, pg_url, clock, caplog
):
    from pathlib import Path

    from feeds.daemon import Daemon

    settings = make_settings(database_url=pg_url)
    inbox = settings.inboxes[0].path
    daemon = Daemon(Path(settings.path), settings, clock=clock, serve=False, inbox_quiet=0.0)
    try:
        (inbox / "a.txt").write_text("Harbour wall to be rebuilt\n\nThe wall will be rebuilt.\n", encoding="utf-8")
        caplog.set_level(logging.INFO)
        other = hold_lock(pg_url, "LOCK TABLE releases IN ACCESS EXCLUSIVE MODE")
        try:
            daemon._run_job("ingest", daemon.jobs.ingest)  # waits 0.3 s, not for as long as the lock is held
            daemon.heartbeat()
        finally:
            other.close()
        state = daemon.state.jobs["ingest"]
        assert state.last_ok is False and "lock timeout" in (state.last_error or ""), state.last_error
        assert "held a lock it needed past the 0.3 s waited: pid " in state.last_error, "the holder is named"
        assert "idle in transaction since" in state.last_error and "they stay where they are" in state.last_error
        assert "INSERT" not in state.last_error
        assert (inbox / "a.txt").exists(), "the file stays for the next run"
        errors = [r for r in caplog.records if r.levelno >= logging.ERROR]
        assert len(errors) == 1 and not errors[0].exc_info
        daemon._run_job("ingest", daemon.jobs.ingest)  # the lock is gone
        assert daemon.state.jobs["ingest"].last_ok is True
        assert [r.title for r in daemon.app.store.releases()] == ["Harbour wall to be rebuilt"]
        assert not (inbox / "a.txt").exists()
    finally:
        daemon.app.close()


def _clock_apart(record: logging.LogRecord) -> bool:
    """The daemon's warning that its clock is apart from the server's: true of a simulated clock days from the
    real one, and no part of what these tests look at (`tests/test_daemon_clockskew.py` does)."""
    return record.getMessage().startswith("this machine's clock reads")


def test_the_heartbeat_waits_no_longer_than_the_lock_timeout_for_a_locked_workers_table(
    short_lock_timeout, make_settings, pg_url, clock, caplog
):
    from pathlib import Path

    from feeds.daemon import Daemon

    settings = make_settings(database_url=pg_url)
    daemon = Daemon(Path(settings.path), settings, clock=clock, serve=False)
    try:
        caplog.set_level(logging.INFO)
        other = hold_lock(pg_url, "LOCK TABLE workers IN ACCESS EXCLUSIVE MODE")
        try:
            daemon.heartbeat()
            daemon.heartbeat()
        finally:
            other.close()
        said = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING and not _clock_apart(r)]
        assert len(said) == 1 and "could not record the heartbeat" in said[0] and "lock timeout" in said[0], said
        daemon.heartbeat()
        assert "heartbeat recorded again" in caplog.text
    finally:
        daemon.app.close()


def test_a_lock_timeout_names_the_session_holding_this_deployments_table_not_another_long_transaction(
    short_lock_timeout, pg_app, pg_url, pg_dsn, clock
):
    """Another application of the same database (or another deployment, in its own schema) in a long transaction
    holds nothing of ours: the note named every long transaction of the database, the oldest first, three at most,
    so the session to end could be crowded out by others (and a test run beside another named that one's)."""
    from feeds.store import error_text

    elsewhere = psycopg.connect(pg_dsn)  # a transaction older than the holder's, on no table of this schema
    elsewhere.execute("SELECT txid_current()")
    holder = hold_lock(pg_url, "LOCK TABLE workers IN ACCESS EXCLUSIVE MODE")
    pids = (holder.info.backend_pid, elsewhere.info.backend_pid)
    try:
        with pytest.raises(sa.exc.OperationalError) as failed:
            pg_app.store.save_worker_status("w", started=clock(), now=clock(), status={})
        said = error_text(failed.value)
    finally:
        holder.close()
        elsewhere.close()
    assert f"pid {pids[0]} (" in said, said
    assert f"pid {pids[1]} " not in said, said


def test_a_migration_waits_for_another_process_migrating_however_long_it_takes(short_lock_timeout, pg_url, clock):
    import threading

    from feeds.store import open_store
    from feeds.store.migrations import LATEST

    other = psycopg.connect(pg_url.split("?")[0], autocommit=True)
    other.execute("SELECT pg_advisory_lock(%s)", (0x46454544,))  # as a daemon migrating on another machine
    threading.Timer(1.0, other.close).start()  # done after a second: longer than the lock timeout
    store = open_store(pg_url)
    try:
        store.migrate(clock())
        assert max(store.applied_versions()) == LATEST
        with store.engine.connect() as conn:  # the pool's connection keeps the bounded wait
            assert conn.execute(sa.text("SHOW lock_timeout")).scalar() == "300ms"
    finally:
        store.close()


def test_a_daemon_whose_every_session_was_ended_goes_on_without_a_failed_run(make_settings, pg_url, clock, caplog):
    """A PostgreSQL restart or failover between two runs: the pool's connections are dead; each is checked as it
    is taken (pre-ping) and replaced, so no job fails, nothing is logged above info, and nothing is stored twice."""
    from pathlib import Path

    from feeds.daemon import Daemon

    settings = make_settings(database_url=pg_url)
    inbox = settings.inboxes[0].path
    daemon = Daemon(Path(settings.path), settings, clock=clock, serve=False, inbox_quiet=0.0)
    try:
        (inbox / "a.txt").write_text("Harbour wall to be rebuilt\n\nThe wall will be rebuilt.\n", encoding="utf-8")
        daemon._run_job("ingest", daemon.jobs.ingest)
        daemon.heartbeat()
        caplog.set_level(logging.INFO)
        with psycopg.connect(pg_url.split("?")[0], autocommit=True) as other:
            ended = other.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity WHERE application_name = %s",
                (f"feeds {daemon.worker}",),
            ).fetchone()
        assert ended is not None and ended[0] >= 1
        (inbox / "b.txt").write_text("Ferry timetable changes\n\nThe ferries run later.\n", encoding="utf-8")
        for name, job in (("ingest", daemon.jobs.ingest), ("publish", daemon.jobs.publish)):
            daemon._run_job(name, job)
            assert daemon.state.jobs[name].last_ok is True, daemon.state.jobs[name].last_error
        daemon.heartbeat()
        assert not [r for r in caplog.records if r.levelno >= logging.WARNING and not _clock_apart(r)]
        titles = sorted(r.title for r in daemon.app.store.releases())
        assert titles == ["Ferry timetable changes", "Harbour wall to be rebuilt"]
    finally:
        daemon.app.close()


def test_a_session_ended_as_a_sent_alert_is_recorded_does_not_send_it_again(
    make_settings, make_app_for, pg_url, clock, httpserver, caplog
):
    """The webhook took the message, then the session recording it was ended: the delivery stayed leased, and once
    the lease ran out another run sent the same message again. It is recorded on a new connection instead."""
    from datetime import timedelta

    from feeds.alerts import run_alerts
    from tests.alerts_helpers import add_keyword_matches

    calls: list[bytes] = []

    def receiver(request):
        from werkzeug import Response

        calls.append(request.get_data())
        return Response("ok", status=200)

    httpserver.expect_request("/hook", method="POST").respond_with_handler(receiver)
    hook = f'\n[alerts]\n[[alerts.webhooks]]\nname = "desk"\nurl = "{httpserver.url_for("/hook")}"\nrules = ["*"]\n'
    app = make_app_for(make_settings(hook + '[http]\nallow = ["127.0.0.1", "localhost"]\n', database_url=pg_url))
    add_keyword_matches(app.store, {"a": "EU widens sanctions"})
    ended = terminate_when(app.store.engine, pg_url, "UPDATE alert_deliveries SET status=")
    caplog.set_level(logging.INFO)
    report = run_alerts(app)
    assert ended and len(calls) == 1
    assert report.sent == 1, report
    (delivery,) = app.store.deliveries()
    assert delivery.status == "sent"
    clock.advance(timedelta(hours=1))  # past any lease
    run_alerts(app)
    assert len(calls) == 1, "sent once"
    assert not [r for r in caplog.records if r.exc_info]
