"""Store contract for the items of watched feeds (`feeds/store/items.py`: stored, changed, renamed, read a page at a
time, pruned) on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from feeds.model import Match, WatchItem
from tests.store_watch_helpers import LEASE, NOW, add, item


def test_items_are_stored_once_and_updated_when_changed(store):
    f = add(store)
    out = store.upsert_items(f.id, [item("a"), item("b", published=None)], NOW)
    assert sorted((i.key, s) for _, i, s in out) == [("a", "new"), ("b", "new")]
    assert store.upsert_items(f.id, [item("a"), item("b", published=None)], NOW + timedelta(hours=1)) == []
    changed = store.upsert_items(f.id, [item("a", "New title", h="h2")], NOW + timedelta(hours=2))
    assert [(i.key, s) for _, i, s in changed] == [("a", "changed")]
    stored = {s.item.key: s for s in store.stored_items()}
    assert stored["a"].item.title == "New title" and store.count_items() == 2
    assert stored["b"].published == NOW and stored["b"].item.published is None, "undated: first seen"
    assert store.feed(f.id).items_seen == 2


def test_an_item_whose_guid_changes_on_every_request_keeps_its_row(store):
    f = add(store)
    first = store.upsert_items(f.id, [item("uuid-1", h="same"), item("other", h="o")], NOW)
    assert sorted(s for _, _, s in first) == ["new", "new"]
    (row_id,) = [i for i, it, _ in first if it.key == "uuid-1"]
    later = NOW + timedelta(hours=1)
    assert store.upsert_items(f.id, [item("uuid-2", h="same"), item("other", h="o")], later) == []
    stored = {s.item.key: s for s in store.stored_items()}
    assert set(stored) == {"uuid-2", "other"} and store.count_items() == 2
    assert stored["uuid-2"].id == row_id and stored["uuid-2"].item.guid == "uuid-2"
    assert store.feed(f.id).items_seen == 2
    # Other content under a new key is a new item, and so is a copy of an item the document still lists.
    out = store.upsert_items(f.id, [item("uuid-3", h="same"), item("uuid-2", h="same"), item("x", h="n")], later)
    assert sorted((it.key, s) for _, it, s in out) == [("uuid-3", "new"), ("x", "new")]


def test_a_feeds_first_check_skips_the_search_for_renamed_items_and_later_ones_rename(store):
    """A feed that never stored an item has none another key could name: its first check leaves out the query
    by content hash (one per feed on a large import's first poll). From then on, a new guid finds its row."""
    import sqlalchemy as sa

    add(store)
    statements: list[str] = []

    def seen(conn, cursor, statement, *args):
        statements.append(statement)

    sa.event.listen(store.engine, "before_cursor_execute", seen)
    try:
        (claimed,) = store.claim_due(NOW, limit=1, owner="w1", lease=LEASE)
        first, _, _ = store.record_fetched(claimed, [item("uuid-1", h="same")], {}, NOW, owner="w1")
        assert [s for _, _, s in first] == ["new"]
        assert not [s for s in statements if "content_hash IN" in s], "no renamed item to look for"
        later = NOW + timedelta(hours=1)
        (claimed,) = store.claim_due(later, limit=1, owner="w1", lease=LEASE)
        assert store.record_fetched(claimed, [item("uuid-2", h="same")], {}, later, owner="w1")[0] == []
        assert [s for s in statements if "content_hash IN" in s], "the feed has items now: looked for"
    finally:
        sa.event.remove(store.engine, "before_cursor_execute", seen)
    assert [(s.item.key, s.id) for s in store.stored_items()] == [("uuid-2", first[0][0])]


def test_twins_with_new_guids_each_keep_their_own_row(store):
    f = add(store)
    first = store.upsert_items(f.id, [item("a1", h="twin"), item("b1", h="twin")], NOW)
    assert store.upsert_items(f.id, [item("a2", h="twin"), item("b2", h="twin")], NOW + timedelta(hours=1)) == []
    assert sorted(s.id for s in store.stored_items()) == sorted(i for i, _, _ in first)
    assert {s.item.key for s in store.stored_items()} == {"a2", "b2"}
    other = add(store, url="https://elsewhere.example.com/feed.xml")
    out = store.upsert_items(other.id, [item("a3", h="twin")], NOW)  # the same text in another feed is its own
    assert [s for _, _, s in out] == ["new"]


def test_prune_keeps_matched_items(store):
    f = add(store)
    rows = store.upsert_items(f.id, [item("old"), item("matched")], NOW - timedelta(days=100))
    matched_id = next(i for i, it, _ in rows if it.key == "matched")
    store.add_matches([(matched_id, Match("keyword", "r", "matched", f.id, (), 1, "w"), None)], NOW)
    assert store.prune_items(NOW - timedelta(days=90)) == 1
    assert [s.item.key for s in store.stored_items()] == ["matched"]


def test_prune_keeps_items_still_in_the_body_their_feed_serves(store):
    t0, t1 = NOW - timedelta(days=200), NOW - timedelta(days=100)
    f = add(store)
    store.upsert_items(f.id, [item("a", h="ha"), item("b", h="hb")], t0)
    store.record_check(replace(f, last_checked=t0, body_read_at=t0), owner="w")  # the body that held a and b
    assert store.prune_items(NOW - timedelta(days=90)) == 0, "both are still in the feed, however old"

    (f,) = store.claim_feeds([f.id], t1, owner="w", lease=LEASE)
    store.upsert_items(f.id, [item("b", h="hb"), item("c", h="hc")], t1)  # a new body: a has left it
    store.record_check(replace(f, last_checked=t1, body_read_at=t1), owner="w")
    assert store.prune_items(NOW - timedelta(days=90)) == 1
    assert sorted(s.item.key for s in store.stored_items()) == ["b", "c"]

    store.edit_feed(f.id, enabled=False)  # a feed no longer polled protects nothing
    assert store.prune_items(NOW - timedelta(days=90)) == 2


def test_stored_items_are_read_a_page_at_a_time_in_the_same_order(store):
    feed = add(store)
    older, newer = NOW - timedelta(days=2), NOW - timedelta(hours=1)
    found = [item(f"tie{n}", published=newer) for n in range(5)]  # one timestamp: the id breaks the tie
    found += [item(f"old{n}", published=older - timedelta(minutes=n)) for n in range(4)]
    found += [item("undated", published=None), item("ancient", published=NOW - timedelta(days=90))]
    store.upsert_items(feed.id, found, NOW)
    since = NOW - timedelta(days=30)
    whole = store.stored_items(since=since)
    assert len(whole) == 11  # "ancient" too: it was first seen now
    for page in (1, 2, 3, 11, 12):
        paged = list(store.iter_stored_items(since=since, page=page))
        assert [s.id for s in paged] == [s.id for s in whole], f"page size {page}"


def _stored_rows(store, feed_id):
    import sqlalchemy as sa

    from feeds.store.schema import items as I

    q = sa.select(I).where(I.c.feed_id == feed_id).order_by(I.c.key)
    with store.engine.connect() as conn:
        return [{k: v for k, v in r._mapping.items() if k not in ("id", "feed_id")} for r in conn.execute(q)]


def _items_strategy():
    from hypothesis import strategies as st

    text = st.text(max_size=30)
    when = st.one_of(
        st.none(),
        st.datetimes(min_value=datetime(1990, 1, 1), max_value=datetime(2100, 1, 1), timezones=st.just(UTC)),
    )
    one = st.builds(
        WatchItem,
        key=st.text(min_size=1, max_size=12),
        title=text,
        link=st.one_of(st.none(), text),
        guid=st.one_of(st.none(), text),
        summary=text,
        content_text=text,
        author=text,
        published=when,
        updated=when,
        tags=st.lists(text, max_size=3).map(tuple),
        content_hash=st.text(min_size=1, max_size=8),
        language=st.one_of(st.none(), st.sampled_from(["en", "de-AT"])),
    )
    return st.lists(one, max_size=40, unique_by=lambda it: it.key)


def test_new_items_inserted_many_at_once_on_sqlite_are_stored_as_sqlalchemy_stores_them(tmp_path):
    """`insert_new` (SQLite: rows many to a statement, compiled once per number of rows, values converted by the
    columns' own bind processors) stores the very rows SQLAlchemy's "insertmanyvalues" stored from `item_row`,
    and reports the same items inserted: dates ahead of the check, missing and naive-free, tags, Booleans, None
    text, more rows than one statement takes, and keys stored already (skipped, not reported)."""
    from hypothesis import HealthCheck, given, settings

    from feeds.store import open_store
    from feeds.store.newitems import ROWS_AT_ONCE, insert_new, insert_new_items, item_row
    from feeds.store.tx import writing

    store = open_store(f"sqlite:///{tmp_path / 'feeds.db'}")
    store.migrate(NOW)
    counter = iter(range(10**6))

    @settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(_items_strategy())
    def check(found):
        n = next(counter)
        ours = add(store, url=f"https://a.example.com/{n}")
        theirs = add(store, url=f"https://b.example.com/{n}")
        stored_first = found[: len(found) // 3]  # already stored under these keys: skipped by both
        with writing(store.engine) as conn:
            insert_new(conn, ours.id, stored_first, NOW)
            insert_new(conn, theirs.id, stored_first, NOW)
            got = insert_new(conn, ours.id, found, NOW)
            rows = [{**item_row(theirs.id, it, NOW), "first_seen": NOW} for it in found]
            stmt = insert_new_items(conn.dialect.name)
            want = {key: item_id for key, item_id in conn.execute(stmt, rows)} if rows else {}
        assert sorted(got) == sorted(want) == sorted(it.key for it in found[len(found) // 3 :])
        assert _stored_rows(store, ours.id) == _stored_rows(store, theirs.id)

    try:
        check()
        many = [item(f"k{i}", h=f"h{i}") for i in range(2 * ROWS_AT_ONCE + 7)]
        f = add(store, url="https://c.example.com/")
        with writing(store.engine) as conn:
            ids = insert_new(conn, f.id, many, NOW)
        assert sorted(ids) == sorted(it.key for it in many) and len(set(ids.values())) == len(many)
    finally:
        store.close()


def test_the_insert_of_many_rows_made_from_one_rows_is_the_one_sqlalchemy_compiles():
    """`insert_rows` repeats the one-row statement's row of parameters rather than compile each number of rows:
    the same SQL and order of values as SQLAlchemy's own statement for every number of rows it is used for."""
    from sqlalchemy.dialects import sqlite

    from feeds.store.newitems import ROWS_AT_ONCE, compiled_rows, insert_rows

    dialect = sqlite.dialect()
    for n in range(1, ROWS_AT_ONCE + 1):
        assert insert_rows(dialect, n) == compiled_rows(dialect, n)
