"""Faults of the SQLite database under a running daemon: its file deleted, its folder's permissions changed,
another process holding the write lock past the busy timeout. Each is said clearly (a `StoreError` naming the
file, /healthz failing), nothing is written where it would be lost, and nothing dropped is lost."""

from __future__ import annotations

import json
import os
import sqlite3
from pathlib import Path

import pytest

from feeds.ingest import run_ingest
from feeds.store import engines
from feeds.web.health import StatusEndpoints
from feeds.web.metrics import Health, Metrics


def database_file(app) -> Path:
    return Path(app.store.engine.url.database)


def drop(app, name: str, title: str) -> None:
    inbox = app.settings.source("inbox").path
    (inbox / name).write_text(json.dumps({"title": title, "body": f"{title}: the board met today."}), "utf-8")


def test_healthz_fails_once_the_database_file_is_deleted_under_the_daemon(app, tmp_path):
    drop(app, "a.json", "Ferry timetable")
    run_ingest(app)
    endpoints = StatusEndpoints(app, out_dir=tmp_path, health=Health(), metrics=Metrics())
    assert endpoints.report()["checks"]["database"]["status"] == "ok"
    path = database_file(app)
    for suffix in ("", "-wal", "-shm"):  # (`rm feeds.db*` by a careless clean-up)
        if os.path.exists(f"{path}{suffix}"):
            os.unlink(f"{path}{suffix}")
    check = endpoints.report()["checks"]["database"]
    assert check["status"] == "fail", check
    assert "deleted or replaced" in check["message"]
    # A write is refused too, and the dropped file stays in the inbox (not moved as though stored).
    drop(app, "b.json", "Harbour dues")
    with pytest.raises(Exception, match="deleted or replaced"):
        run_ingest(app)
    assert (app.settings.source("inbox").path / "b.json").exists()


def test_a_write_lock_held_past_the_busy_timeout_fails_the_batch_clearly_and_loses_nothing(
    make_settings, make_app_for, monkeypatch
):
    monkeypatch.setattr(engines, "SQLITE_BUSY_TIMEOUT", 0.2)  # (30 s in service: `sqlite3` holding BEGIN EXCLUSIVE)
    app = make_app_for(make_settings())
    drop(app, "a.json", "Ferry timetable")
    run_ingest(app)
    holder = sqlite3.connect(database_file(app), isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")
        drop(app, "b.json", "Harbour dues")
        with pytest.raises(Exception) as failed:
            run_ingest(app)
        from feeds.store import error_text

        text = error_text(failed.value)
        assert "locked" in text and "b.json" in text and "stay where they are" in text, text
        assert (app.settings.source("inbox").path / "b.json").exists()
    finally:
        holder.rollback()
        holder.close()
    run_ingest(app)
    assert app.store.count_releases() == 2
    assert not list(app.settings.source("inbox").path.glob("*.json"))


def test_a_connection_opened_after_the_file_was_deleted_writes_nothing_into_a_new_empty_one(app, tmp_path):
    """The pool opens connections as threads need them: one opened after the file was deleted meets a new, empty
    database at the path (SQLite makes one), which is not the daemon's either. (Once every connection to the
    deleted file is closed, the file system may give the new file the old one's inode: then only the missing
    tables say it.)"""
    drop(app, "a.json", "Ferry timetable")
    run_ingest(app)
    path = database_file(app)
    busy = app.store.engine.connect()  # (a job's connection, in use: the deleted file stays open)
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(f"{path}{suffix}"):
            os.unlink(f"{path}{suffix}")
    app.store.engine.dispose()  # (the idle ones closed: every later connection is a new one)
    endpoints = StatusEndpoints(app, out_dir=tmp_path, health=Health(), metrics=Metrics())
    check = endpoints.report()["checks"]["database"]
    assert check["status"] == "fail" and "deleted or replaced" in check["message"], check
    drop(app, "b.json", "Harbour dues")
    with pytest.raises(Exception, match="deleted or replaced"):
        run_ingest(app)
    assert (app.settings.source("inbox").path / "b.json").exists()
    busy.close()


def test_a_database_that_fails_after_its_first_check_fails_healthz_at_once_without_a_traceback(
    app, tmp_path, monkeypatch, caplog
):
    """The ledger answered, then the watched feeds' table did not (a database emptied or lost in between): the
    probe's thread died with a traceback on stderr per probe, and /healthz said the database "did not answer
    within 5 s", which it had, at once."""
    import sqlalchemy as sa

    def broken():
        raise sa.exc.OperationalError("SELECT", {}, Exception("no such table: watched_feeds"))

    monkeypatch.setattr(app.store, "feed_health", broken)
    endpoints = StatusEndpoints(app, out_dir=tmp_path, health=Health(), metrics=Metrics())
    for _ in range(3):
        check = endpoints.report()["checks"]["database"]
        assert check == {"status": "fail", "message": "database unreachable"}, check
    said = [r for r in caplog.records if "unreachable" in r.getMessage()]
    assert len(said) == 1 and "no such table" in said[0].getMessage()


def test_a_long_writer_taking_the_lock_during_a_watch_round_costs_no_feed_a_failure_and_the_next_round_stores_all(
    make_settings, make_app_for, monkeypatch, httpserver, clock, caplog
):
    """A `sqlite3` shell (or a backup, or a stuck command) holding BEGIN IMMEDIATE while a round was storing: every
    feed of the batch was charged a failure and backed off, its items unstored; now the round ends in one error."""
    import logging
    from datetime import timedelta

    import sqlalchemy as sa

    from feeds.watch.manage import add_feed
    from feeds.watch.poll import run_watch

    monkeypatch.setattr(engines, "SQLITE_BUSY_TIMEOUT", 0.2)
    app = make_app_for(make_settings('\n[http]\nallow = ["127.0.0.1", "localhost"]\n'))
    body = (
        '<?xml version="1.0"?><rss version="2.0"><channel><title>Desk</title><link>https://news.example.com/</link>'
        "<description>d</description><item><title>Ferry strike</title><link>https://news.example.com/1</link>"
        "<guid>1</guid><description>The ferries stop.</description></item></channel></rss>"
    )
    holders: list[sqlite3.Connection] = []

    def answer_then_lock(request):  # the long writer comes in while the feeds are being fetched
        from werkzeug import Response

        if not holders:
            holders.append(sqlite3.connect(database_file(app), isolation_level=None, check_same_thread=False))
            holders[0].execute("BEGIN IMMEDIATE")
        return Response(body, content_type="application/rss+xml")

    feeds = []
    for n in range(2):
        httpserver.expect_request(f"/f{n}.xml").respond_with_handler(answer_then_lock)
        feeds.append(add_feed(app, httpserver.url_for(f"/f{n}.xml")))
    caplog.set_level(logging.INFO)
    try:
        with pytest.raises(sa.exc.OperationalError, match="database is locked"):
            run_watch(app)
    finally:
        holders[0].execute("ROLLBACK")
        holders[0].close()
    assert not [r for r in caplog.records if r.exc_info], "no traceback"
    for feed in feeds:
        stored = app.store.feed(feed.id)
        assert (stored.failures, stored.last_error) == (0, None), stored.last_error
    clock.advance(timedelta(seconds=app.settings.watch.lease + 1))  # (leases the locked round could not give back)
    report = run_watch(app)
    assert sorted(o.feed_id for o in report.outcomes if o.error is None) == sorted(f.id for f in feeds)
    assert app.store.count_items() == 2
