"""Store contract for matches (`feeds/store/matches.py`: stored once, listed with their item) on SQLite and
PostgreSQL."""

from __future__ import annotations

from feeds.model import Match, MatchedTerm
from tests.store_watch_helpers import NOW, add, item


def test_matches_are_unique_and_listed_with_their_item(store):
    f = add(store)
    ((item_id, _, _),) = store.upsert_items(f.id, [item("a", "Lavrov meets minister")], NOW)
    m = Match("keyword", "lavrov", "a", f.id, (MatchedTerm("lavrov", "title", 0, 6),), 1.0, "matched rule 'lavrov'")
    assert store.add_matches([(item_id, m, None)], NOW) == 1
    assert store.add_matches([(item_id, m, None)], NOW) == 0, "the same match twice is stored once"
    r = Match("related", "tag:x,2026:r", "a", f.id, (), 0.7, "related")
    store.add_matches([(item_id, r, 3600.0)], NOW)
    (got,) = store.matches(subject="lavrov")
    assert got.item.item.title == "Lavrov meets minister" and got.item.feed_title == "News"
    assert got.terms == (MatchedTerm("lavrov", "title", 0, 6),)
    assert [x.kind for x in store.matches(kind="related")] == ["related"]
    assert store.matches(kind="related")[0].delay == 3600.0
    assert store.count_matches() == 2


def test_matches_found_in_a_time_include_its_start_and_leave_out_its_end(store):
    """`matches list --since … --until …`: a week's matches, the first found at its start, none at its end (the next
    week's first), on SQLite and PostgreSQL alike."""
    from datetime import timedelta

    f = add(store)
    rows = store.upsert_items(f.id, [item(k) for k in "abc"], NOW)
    for n, (item_id, _, _) in enumerate(rows):
        key = "abc"[n]
        store.add_matches([(item_id, Match("keyword", "r", key, f.id, (), 1.0, "r"), None)], NOW + timedelta(days=n))
    week = {"since": NOW, "until": NOW + timedelta(days=2)}
    assert sorted(m.item.item.key for m in store.matches(**week)) == ["a", "b"]
    assert [m.item.item.key for m in store.matches(until=NOW)] == []
    assert [m.item.item.key for m in store.matches(since=NOW + timedelta(days=2))] == ["c"]
