"""Store contract for a watch check from its claim to its record (`feeds/store/claims.py`: leases, recorded checks and
fetches, a clock stepped back) on SQLite and PostgreSQL."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from feeds.model import Match, MatchedTerm, MatchScope
from tests.leaseclock_helpers import leases_age
from tests.store_watch_helpers import LEASE, NOW, add, item


def test_claim_due_takes_a_lease_and_record_check_releases_it(store):
    a, b = add(store, "https://a.example/f"), add(store, "https://b.example/f")
    first = store.claim_due(NOW, limit=10, owner="w1", lease=LEASE)
    assert {f.id for f in first} == {a.id, b.id}
    assert store.claim_due(NOW, limit=10, owner="w2", lease=LEASE) == [], "leased feeds are not claimed twice"
    store.record_check(replace(first[0], next_check=NOW + timedelta(minutes=30), last_status="200"), owner="w1")
    assert store.claim_due(NOW + timedelta(minutes=1), limit=10, owner="w2", lease=LEASE) == []
    # b's lease expires (its worker died): another worker picks it up.
    leases_age(store, LEASE + timedelta(seconds=1))
    later = store.claim_due(NOW + LEASE + timedelta(seconds=1), limit=10, owner="w2", lease=LEASE)
    assert [f.id for f in later] == [b.id]


def test_record_check_from_an_expired_lease_holder_is_ignored(store):
    f = add(store)
    (claimed,) = store.claim_due(NOW, limit=1, owner="w1", lease=LEASE)
    leases_age(store, LEASE * 2)
    store.claim_due(NOW + LEASE * 2, limit=1, owner="w2", lease=LEASE)
    store.record_check(replace(claimed, last_status="stale"), owner="w1")
    assert store.feed(f.id).last_status is None


def test_renew_feeds_extends_only_the_leases_still_held(store):
    """A round longer than its lease renews it; a feed another worker took meanwhile is left to that worker."""
    a, b = add(store, "https://a.example/x"), add(store, "https://b.example/y")
    store.claim_due(NOW, limit=10, owner="w1", lease=LEASE)
    later = NOW + LEASE * 0.9
    leases_age(store, LEASE * 0.9)
    assert store.renew_feeds([a.id], later, owner="w1", lease=LEASE) == {a.id}
    leases_age(store, LEASE * 0.6)
    (taken,) = store.claim_due(NOW + LEASE * 1.5, limit=10, owner="w2", lease=LEASE)
    assert taken.id == b.id, "b's lease ran out, a's was renewed"
    assert store.renew_feeds([a.id, b.id], NOW + LEASE * 1.5, owner="w1", lease=LEASE) == {a.id}
    leases_age(store, LEASE * 0.9)
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
    leases_age(store, LEASE * 2)
    store.claim_due(NOW + LEASE * 2, limit=1, owner="w2", lease=LEASE)
    stored, _, _ = store.record_fetched(replace(claimed, last_status="stale"), [item("a")], {}, NOW, owner="w1")
    assert len(stored) == 1 and store.feed(f.id).last_status is None


def test_record_fetched_by_an_expired_lease_holder_does_not_take_items_back_to_what_it_read(store):
    """A worker paused mid-check wakes after another one stored a newer body: an item changed since keeps its newer
    text and the matches that text made (deleted, they would come back as new matches, alerted twice)."""
    f = add(store)
    store.record_fetched(
        replace(f, last_checked=NOW), [item("a", "Old title"), item("r", h="same")], {}, NOW, owner="setup"
    )
    (stale,) = store.claim_due(NOW + timedelta(hours=1), limit=1, owner="w1", lease=LEASE)
    later = NOW + timedelta(hours=1) + LEASE * 2
    leases_age(store, LEASE * 2)
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
    # (on PostgreSQL the lease ran by the server's clock, which no step moved: it runs out as any other)
    leases_age(store, LEASE + timedelta(seconds=1))
    assert store.claim_due(NOW, limit=1, owner="w2", lease=LEASE) != [], "a lease a year away is not held"
    leases_age(store, LEASE + timedelta(seconds=1))
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
