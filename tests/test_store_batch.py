"""`Store.batch`: many writes of one thread in one transaction, each a savepoint (both databases).

A watch round stores its feeds one after another; in a batch they cost one commit (one fsync) instead of one each,
while a feed whose writes fail is still rolled back alone, as when each had its own transaction.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from feeds.store.tx import writing

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def commits_during(store, work) -> int:
    """How many transactions `work` committed on the store's engine."""
    seen: list[object] = []

    def count(conn: object) -> None:
        seen.append(conn)

    sa.event.listen(store.engine, "commit", count)
    try:
        work()
    finally:
        sa.event.remove(store.engine, "commit", count)
    return len(seen)


def put(store, name: str) -> None:
    """A rule row written as the watch's store methods write (no reading back on another connection, which sees
    only what is committed: `add_rule` itself does, and so is not for use inside a batch)."""
    with writing(store.engine) as conn:
        values = {"name": name, "query": name, "origin": "cli", "at": NOW, "folded": name, "slug": name}
        conn.execute(
            sa.text(
                "INSERT INTO rules (name, query, origin, created_at, updated_at, folded, slug) "
                "VALUES (:name, :query, :origin, :at, :at, :folded, :slug)"
            ),
            values,
        )


def test_writes_in_a_batch_are_one_commit_and_all_stored(store) -> None:
    def work() -> None:
        with store.batch():
            for name in ("a", "b", "c", "d"):
                put(store, name)

    assert commits_during(store, work) == 1
    assert [r.name for r in store.rules()] == ["a", "b", "c", "d"]
    assert commits_during(store, lambda: put(store, "e")) == 1  # (alone: as before)


def test_a_write_that_fails_in_a_batch_is_rolled_back_alone(store) -> None:
    """A unique key refused half-way (on PostgreSQL, an error that would abort the whole transaction without its
    savepoint): the writes before and after it are committed."""
    put(store, "taken")
    with store.batch():
        put(store, "before")
        with pytest.raises(sa.exc.IntegrityError):
            put(store, "taken")
        put(store, "after")
    assert sorted(r.name for r in store.rules()) == ["after", "before", "taken"]


def test_a_write_that_fails_after_its_first_statements_takes_them_back_with_it(store) -> None:
    """A savepoint rolled back undoes that write's earlier statements too (a feed's items stored, then its check
    refused), and only those: a write inside a write is its own savepoint, rolled back alone as well."""
    put(store, "taken")

    def half_way() -> None:
        with writing(store.engine):
            put(store, "first half")
            put(store, "taken")

    with store.batch():
        put(store, "before")
        with pytest.raises(sa.exc.IntegrityError):
            half_way()
        with writing(store.engine):
            put(store, "outer")
            with pytest.raises(sa.exc.IntegrityError):
                put(store, "taken")
        put(store, "after")
    assert sorted(r.name for r in store.rules()) == ["after", "before", "outer", "taken"]


def test_an_error_leaving_the_batch_rolls_all_of_it_back(store) -> None:
    with pytest.raises(RuntimeError), store.batch():
        put(store, "one")
        put(store, "two")
        raise RuntimeError("the round stopped")
    assert store.rules() == []
    put(store, "three")  # (the store is usable after)
    assert [r.name for r in store.rules()] == ["three"]


def test_a_batch_inside_a_batch_joins_it(store) -> None:
    def work() -> None:
        with store.batch():
            put(store, "outer")
            with store.batch():
                put(store, "inner")

    assert commits_during(store, work) == 1
    assert sorted(r.name for r in store.rules()) == ["inner", "outer"]


def test_another_thread_writes_in_its_own_transaction(store) -> None:
    """A batch belongs to its thread: a write another thread makes meanwhile is its own transaction (on SQLite it
    waits for the batch's write lock), kept when the batch is rolled back."""
    worker = threading.Thread(target=lambda: put(store, "theirs"))
    with pytest.raises(RuntimeError), store.batch():
        put(store, "mine")
        worker.start()
        raise RuntimeError("the round stopped")
    worker.join(timeout=60)
    assert not worker.is_alive()
    assert [r.name for r in store.rules()] == ["theirs"]
