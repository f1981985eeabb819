"""Store contract for the watch stage (feeds, leases, items, rules, matches) on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import pytest

from feeds.errors import ExistsError, NotFoundError
from feeds.model import Match, MatchedTerm, MatchScope, WatchItem

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
LEASE = timedelta(minutes=5)


def item(key: str, title: str = "Title", *, published: datetime | None = NOW, h: str = "h1") -> WatchItem:
    return WatchItem(
        key=key,
        title=title,
        link=f"https://news.example.com/{key}",
        guid=key,
        summary="Summary",
        content_text="Body",
        author="Reporter",
        published=published,
        updated=published,
        tags=("world",),
        content_hash=h,
    )


def add(store, url="https://news.example.com/feed.xml", **kw):
    return store.add_feed(url, title=kw.get("title", "News"), tags=("uk",), interval=1800, origin="cli", now=NOW)


def test_add_list_remove_feed(store):
    f = add(store)
    assert f.id > 0 and f.enabled and f.tags == ("uk",) and f.origin == "cli" and f.next_check is None
    with pytest.raises(ExistsError):
        add(store)
    assert [x.url for x in store.feeds()] == [f.url]
    assert store.feed(str(f.id)) == f == store.feed(f.url)
    store.remove_feed(f.url)
    with pytest.raises(NotFoundError):
        store.feed(f.url)


def test_import_is_idempotent_and_remembers_origin(store):
    _, created = store.import_feed("https://a.example/x", title="A", tags=(), interval=600, origin="config", now=NOW)
    assert created
    g, created = store.import_feed(
        "https://a.example/x", title="A2", tags=("t",), interval=900, origin="config", now=NOW
    )
    assert not created and g.title == "A2" and g.interval == 900
    add(store, "https://b.example/y")
    h, created = store.import_feed("https://b.example/y", title="Z", tags=(), interval=600, origin="config", now=NOW)
    assert not created and h.title == "News" and h.origin == "cli", "a feed added by hand is left alone"
    k, created = store.import_feed(
        "https://b.example/y", title="", tags=("wire",), interval=7200, origin="config", now=NOW, adopt=True
    )
    assert not created and k.id == h.id and k.origin == "config"
    assert (k.title, k.tags, k.interval) == ("News", ("wire",), 7200), "adopted; a blank title keeps its own"


def test_claim_due_takes_a_lease_and_record_check_releases_it(store):
    a, b = add(store, "https://a.example/f"), add(store, "https://b.example/f")
    first = store.claim_due(NOW, limit=10, owner="w1", lease=LEASE)
    assert {f.id for f in first} == {a.id, b.id}
    assert store.claim_due(NOW, limit=10, owner="w2", lease=LEASE) == [], "leased feeds are not claimed twice"
    store.record_check(replace(first[0], next_check=NOW + timedelta(minutes=30), last_status="200"), owner="w1")
    assert store.claim_due(NOW + timedelta(minutes=1), limit=10, owner="w2", lease=LEASE) == []
    # b's lease expires (its worker died): another worker picks it up.
    later = store.claim_due(NOW + LEASE + timedelta(seconds=1), limit=10, owner="w2", lease=LEASE)
    assert [f.id for f in later] == [b.id]


def test_record_check_from_an_expired_lease_holder_is_ignored(store):
    f = add(store)
    (claimed,) = store.claim_due(NOW, limit=1, owner="w1", lease=LEASE)
    store.claim_due(NOW + LEASE * 2, limit=1, owner="w2", lease=LEASE)
    store.record_check(replace(claimed, last_status="stale"), owner="w1")
    assert store.feed(f.id).last_status is None


def test_renew_feeds_extends_only_the_leases_still_held(store):
    """A round longer than its lease renews it; a feed another worker took meanwhile is left to that worker."""
    a, b = add(store, "https://a.example/x"), add(store, "https://b.example/y")
    store.claim_due(NOW, limit=10, owner="w1", lease=LEASE)
    later = NOW + LEASE * 0.9
    assert store.renew_feeds([a.id], later, owner="w1", lease=LEASE) == {a.id}
    (taken,) = store.claim_due(NOW + LEASE * 1.5, limit=10, owner="w2", lease=LEASE)
    assert taken.id == b.id, "b's lease ran out, a's was renewed"
    assert store.renew_feeds([a.id, b.id], NOW + LEASE * 1.5, owner="w1", lease=LEASE) == {a.id}
    assert store.claim_due(NOW + LEASE * 2.4, limit=10, owner="w3", lease=LEASE) == [], "b is w2's, a still w1's"
    assert store.renew_feeds([], NOW, owner="w1", lease=LEASE) == set()


def test_claim_feeds_ignores_schedule(store):
    f = add(store)
    store.record_check(replace(f, next_check=NOW + timedelta(days=2), failures=5), owner="x")
    assert store.claim_due(NOW, limit=5, owner="w", lease=LEASE) == []
    assert [x.id for x in store.claim_feeds([f.id], NOW, owner="w", lease=LEASE)] == [f.id]


def test_record_fetched_stores_items_their_matches_and_the_check_at_once(store):
    f = add(store)
    (claimed,) = store.claim_due(NOW, limit=1, owner="w1", lease=LEASE)
    hit = Match("keyword", "rule", "a", f.id, (MatchedTerm("body", "content", 0, 4),), 1.0, "matched rule 'rule'")
    matches = {"a": [(hit, None)], "b": [(replace(hit, item_key="b"), 30.0)]}
    checked = replace(claimed, last_status="200", next_check=NOW + timedelta(minutes=30))
    stored, added, _ = store.record_fetched(checked, [item("a"), item("b")], matches, NOW, owner="w1")
    assert sorted((i.key, s) for _, i, s in stored) == [("a", "new"), ("b", "new")] and added == 2
    assert sorted((m.item.item.key, m.delay) for m in store.matches()) == [("a", None), ("b", 30.0)]
    row = store.feed(f.id)
    assert (row.last_status, row.items_seen, row.next_check) == ("200", 2, NOW + timedelta(minutes=30))
    assert store.claim_due(NOW + timedelta(hours=1), limit=1, owner="w2", lease=LEASE), "the lease was released"
    # Unchanged items are not stored again, and their matches are not added again; a changed one is updated.
    again, added, _ = store.record_fetched(checked, [item("a"), item("b", h="h2")], matches, NOW, owner="w2")
    assert [(i.key, s) for _, i, s in again] == [("b", "changed")] and added == 0


def test_record_fetched_by_an_expired_lease_holder_keeps_items_but_not_its_check(store):
    f = add(store)
    (claimed,) = store.claim_due(NOW, limit=1, owner="w1", lease=LEASE)
    store.claim_due(NOW + LEASE * 2, limit=1, owner="w2", lease=LEASE)
    stored, _, _ = store.record_fetched(replace(claimed, last_status="stale"), [item("a")], {}, NOW, owner="w1")
    assert len(stored) == 1 and store.feed(f.id).last_status is None


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


def test_rules(store):
    r = store.add_rule("iran", "iran* sanction*", origin="cli", now=NOW)
    assert r.applied_at is None
    with pytest.raises(ExistsError):
        store.add_rule("iran", "x", origin="cli", now=NOW)
    store.mark_rules_applied(["iran"], NOW)
    assert store.rule("iran").applied_at == NOW
    _, changed = store.import_rule("cfg", "lavrov", origin="config", now=NOW)
    assert changed
    _, changed = store.import_rule("cfg", "lavrov", origin="config", now=NOW)
    assert not changed
    rule, changed = store.import_rule("cfg", "lavrov OR putin", origin="config", now=NOW + timedelta(hours=1))
    assert changed and rule.applied_at is None and rule.query == "lavrov OR putin"
    store.remove_rule("iran")
    assert [x.name for x in store.rules()] == ["cfg"]


@pytest.mark.parametrize(
    ("first", "second", "why"),
    [
        ("Russia", "russia", "a rule named 'Russia' exists already, the same name but for case"),
        ("Москва", "МОСКВА", "a rule named 'Москва' exists already, the same name but for case"),
        ("drone*", "Drone!", "rule 'drone*' publishes its matches at matches/rules/drone/ already"),
    ],
)
def test_the_database_holds_rule_names_apart_but_for_case_and_by_feed_folder(store, first, second, why):
    """Two people adding the same rule in two spellings at once: whoever comes second is refused by the database
    itself (no check of the rules listed beforehand can see a rule being added meanwhile)."""
    store.add_rule(first, "moscow", origin="cli", now=NOW)
    with pytest.raises(ExistsError) as refused:
        store.add_rule(second, "moscow", origin="cli", now=NOW)
    assert why in str(refused.value)
    with pytest.raises(ExistsError, match="exists already \\(remove it first"):
        store.add_rule(first, "moscow", origin="config", now=NOW)
    assert [r.name for r in store.rules()] == [first]
    store.remove_rule(first)
    assert store.add_rule(second, "moscow", origin="cli", now=NOW).name == second  # free again


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


def test_feed_health_counts_enabled_checked_and_failing_feeds(store):
    a, b, c = (add(store, f"https://{n}.example/f") for n in "abc")
    add(store, "https://d.example/f")
    store.edit_feed(c.id, enabled=False)
    assert store.feed_health() == (3, 0, 0)
    for f, failures in ((a, 0), (b, 2)):
        (claimed,) = store.claim_feeds([f.id], NOW, owner="w", lease=LEASE)
        store.record_check(replace(claimed, last_checked=NOW, failures=failures), owner="w")
    assert store.feed_health() == (3, 2, 1)


def test_a_config_import_with_a_new_interval_reschedules_from_the_last_check(store):
    url = "https://a.example/cfg"
    f, _ = store.import_feed(url, title="A", tags=(), interval=7200, origin="config", now=NOW)
    (claimed,) = store.claim_feeds([f.id], NOW, owner="w", lease=LEASE)
    store.record_check(replace(claimed, last_checked=NOW, next_check=NOW + timedelta(hours=2)), owner="w")
    g, _ = store.import_feed(url, title="A", tags=(), interval=600, origin="config", now=NOW)
    assert g.next_check == NOW + timedelta(minutes=10)
    failing = store.edit_feed(g.id, interval=900)
    assert failing.next_check == NOW + timedelta(minutes=15)


def test_record_fetched_by_an_expired_lease_holder_does_not_take_items_back_to_what_it_read(store):
    """A worker paused mid-check wakes after another one stored a newer body: an item changed since keeps its newer
    text and the matches that text made (deleted, they would come back as new matches, alerted twice)."""
    f = add(store)
    store.record_fetched(
        replace(f, last_checked=NOW), [item("a", "Old title"), item("r", h="same")], {}, NOW, owner="setup"
    )
    (stale,) = store.claim_due(NOW + timedelta(hours=1), limit=1, owner="w1", lease=LEASE)
    later = NOW + timedelta(hours=1) + LEASE * 2
    (fresh,) = store.claim_due(later, limit=1, owner="w2", lease=LEASE)
    hit = Match("keyword", "rule", "a", f.id, (MatchedTerm("title", "new", 0, 3),), 1.0, "matched rule 'rule'")
    scope = MatchScope(rules=frozenset({"rule"}))
    newer = replace(fresh, last_checked=later, last_status="200")
    got, added, _ = store.record_fetched(
        newer,
        [item("a", "New title", h="h2"), item("r", h="same")],
        {"a": [(hit, None)]},
        later,
        owner="w2",
        scope=scope,
    )
    assert [(i.key, s) for _, i, s in got] == [("a", "changed")] and added == 1
    # w1 wakes up with the body it read an hour ago (the old text; "r" under a new guid) and one item new to all.
    older = [item("a", "Old title"), replace(item("r2", h="same"), guid="r2"), item("b")]
    got, _, removed = store.record_fetched(
        replace(stale, last_status="stale"), older, {}, later, owner="w1", scope=scope
    )
    assert [(i.key, s) for _, i, s in got] == [("b", "new")] and removed == 0
    stored = {s.item.key: s.item for s in store.stored_items()}
    assert sorted(stored) == ["a", "b", "r"] and stored["a"].title == "New title"
    assert [(m.item.item.key, m.subject) for m in store.matches()] == [("a", "rule")]
    assert store.feed(f.id).last_status == "200"


def test_a_clock_stepped_back_does_not_hold_feeds_until_it_catches_up(store):
    """A clock that ran a year ahead (a bad RTC, then NTP steps it back) left next checks and leases a year
    away: a schedule or lease further ahead than any the code sets is the clock's doing, and is due now."""
    ahead = NOW + timedelta(days=365)
    f = add(store)
    (claimed,) = store.claim_due(ahead, limit=1, owner="w1", lease=LEASE)  # then killed: the lease stays
    assert store.claim_due(NOW, limit=1, owner="w2", lease=LEASE) != [], "a lease a year away is not held"
    (claimed,) = store.claim_feeds([f.id], ahead, owner="w3", lease=LEASE)
    store.record_check(replace(claimed, last_checked=ahead, next_check=ahead + timedelta(minutes=30)), owner="w3")
    assert [x.id for x in store.claim_due(NOW, limit=1, owner="w4", lease=LEASE)] == [f.id]


def test_a_clock_stepped_back_by_days_moves_the_schedules_back_by_as_much(store):
    """A clock 2 days ahead, stepped back (NTP): the feeds it checked were due 2 days late, under the 7-day
    horizon that makes a schedule due at once. Now their checks are moved back by the step, once, keeping
    their spread; a check a minute ahead (another daemon recording as this one reads) is no step."""
    ahead = NOW + timedelta(days=2)
    a = add(store, "https://a.example/feed")
    b = add(store, "https://b.example/feed")
    c = add(store, "https://c.example/feed")
    for f, last, wait in ((a, ahead - timedelta(minutes=10), 30), (b, ahead, 30), (c, NOW + timedelta(minutes=1), 30)):
        (claimed,) = store.claim_feeds([f.id], last, owner="w1", lease=LEASE)
        store.record_check(
            replace(claimed, last_checked=last, next_check=last + timedelta(minutes=wait), last_status="200"),
            owner="w1",
        )
    # The clock steps back to NOW: a and b were recorded 2 days ahead of it, c a minute ahead.
    assert store.claim_due(NOW, limit=9, owner="w2", lease=LEASE) == []
    rows = {f.id: store.feed(f.id) for f in (a, b, c)}
    assert (rows[a.id].last_checked, rows[a.id].next_check) == (
        NOW - timedelta(minutes=10),
        NOW + timedelta(minutes=20),
    )
    assert (rows[b.id].last_checked, rows[b.id].next_check) == (NOW, NOW + timedelta(minutes=30))
    assert (rows[c.id].last_checked, rows[c.id].next_check) == (NOW + timedelta(minutes=1), NOW + timedelta(minutes=31))
    assert store.claim_due(NOW, limit=9, owner="w2", lease=LEASE) == []
    assert store.feed(a.id).next_check == NOW + timedelta(minutes=20), "moved once, not at every claim"
    assert [f.id for f in store.claim_due(NOW + timedelta(minutes=21), limit=9, owner="w3", lease=LEASE)] == [a.id]


def test_a_long_but_genuine_schedule_is_kept(store):
    f = add(store)
    (claimed,) = store.claim_feeds([f.id], NOW, owner="w", lease=LEASE)
    week = NOW + timedelta(days=7)  # a Retry-After at its cap
    store.record_check(replace(claimed, last_checked=NOW, next_check=week), owner="w")
    assert store.claim_due(NOW + timedelta(days=1), limit=1, owner="w2", lease=LEASE) == []


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
