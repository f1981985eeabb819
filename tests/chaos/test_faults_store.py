"""Faults: two writers on one SQLite file (the daemon's ingest, watch and publish threads, the CLI, the web API).

SQLite in WAL mode gives a transaction that began deferred (plain BEGIN) a snapshot at its first read. If it then
writes after another connection has committed, SQLite cannot upgrade that snapshot and answers SQLITE_BUSY at
once ("database is locked"): the busy timeout does not apply. `Store.transaction()` avoids this with BEGIN
IMMEDIATE; store methods that read then write inside `engine.begin()` do not. Found by the daemon kill test
(the watch job failed "unexpectedly" while ingest committed a batch); reproduced here deterministically by
committing a write from a second connection between the method's read and its write.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import sqlalchemy as sa

from feeds.model import WatchItem
from feeds.store import open_store

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def item(key: str) -> WatchItem:
    return WatchItem(
        key=key,
        title=f"Title {key}",
        link=f"https://news.example.com/{key}",
        guid=key,
        summary="Summary",
        content_text="Body",
        author="Reporter",
        published=NOW,
        updated=NOW,
        tags=(),
        content_hash="h",
    )


def test_a_commit_between_read_and_write_does_not_fail_upsert_items(tmp_path) -> None:
    """Store writes begin IMMEDIATE (feeds.store.tx): a commit from elsewhere between a method's read and its
    write makes it wait for the lock instead of failing with 'database is locked' (SQLITE_BUSY_SNAPSHOT)."""
    url = f"sqlite:///{tmp_path / 'feeds.db'}"
    a, b = open_store(url), open_store(url)
    try:
        a.migrate(NOW)
        feed = a.add_feed("https://news.example.com/feed.xml", title="", tags=(), interval=1800, origin="cli", now=NOW)
        other = b.add_feed(
            "https://news.example.com/other.xml", title="", tags=(), interval=1800, origin="cli", now=NOW
        )
        interfered: list[threading.Thread] = []
        results: list[object] = []

        def elsewhere() -> None:
            results.append(b.upsert_items(other.id, [item("elsewhere")], NOW))

        @sa.event.listens_for(a.engine, "before_cursor_execute")
        def write_from_elsewhere(conn, cursor, statement, parameters, context, executemany) -> None:
            # Between upsert_items' SELECT of existing keys and its INSERT, another connection tries to write.
            if statement.lstrip().upper().startswith("INSERT INTO ITEMS") and not interfered:
                t = threading.Thread(target=elsewhere)
                interfered.append(t)
                t.start()
                t.join(timeout=0.5)  # it must wait for our write lock, not slip in between our read and write
                assert t.is_alive(), "the other writer did not wait for the lock"

        stored = a.upsert_items(feed.id, [item("one"), item("two")], NOW)
        interfered[0].join(timeout=30)
        assert len(stored) == 2 and len(results) == 1, "both writers succeeded, one after the other"
    finally:
        a.close()
        b.close()
