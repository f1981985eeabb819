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
