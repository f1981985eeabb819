"""Store contract for the ids of match-feed entries (`feeds/store/entryids.py`) on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from tests.store_watch_helpers import NOW, add, item


def test_entry_ids_are_kept_as_first_recorded_and_go_with_their_item(store):
    """Match-feed entry ids as first published (`feeds.publish.coverage.EntryIds`): the first recorded stays (a
    second publisher's proposal does not replace it), and they go when their item is pruned (by its link, or by
    `<feed id>:<key>` for an item without one)."""
    f = add(store)
    linked = item("a")
    unlinked = replace(item("b"), link=None)
    store.upsert_items(f.id, [linked, unlinked], NOW - timedelta(days=400))
    first = {("matches", "https://news.example.com/a"): "tag:x,2026-11-28:item/1", ("matches", f"{f.id}:b"): "t:2"}
    assert store.keep_entry_ids(first, NOW) == 2
    again = {("matches", "https://news.example.com/a"): "tag:x,2026-11-30:item/1", ("rule:x", f"{f.id}:b"): "t:3"}
    assert store.keep_entry_ids(again, NOW) == 1
    assert store.entry_ids(["https://news.example.com/a", f"{f.id}:b", "https://elsewhere.example/"]) == {
        ("matches", "https://news.example.com/a"): "tag:x,2026-11-28:item/1",
        ("matches", f"{f.id}:b"): "t:2",
        ("rule:x", f"{f.id}:b"): "t:3",
    }
    assert store.prune_items(NOW - timedelta(days=90)) == 2
    assert store.entry_ids(["https://news.example.com/a", f"{f.id}:b"]) == {}
