"""Store contract for alert deliveries (queue, leases, attempts, log) on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

from feeds.store.alerts import AttemptRecord, NewDelivery
from feeds.store.migrations import MIGRATIONS
from tests.alerts_helpers import NOW, add_keyword_matches
from tests.leaseclock_helpers import leases_age

LEASE = timedelta(minutes=15)
D = "webhook:hook"


def queue(store, destination=D, due=NOW):
    rows = [
        NewDelivery(c.match_id, f"{destination}-{c.match_id}", due)
        for c in store.unqueued_matches(destination, since=NOW)
    ]
    return store.enqueue_deliveries(destination, rows, NOW)


def test_migration_3_creates_the_alert_tables(store):
    assert (3, "alerts") in {(m.version, m.name) for m in MIGRATIONS}
    assert store.pending_migrations() == []
    assert store.deliveries() == [] and store.count_deliveries() == 0


def test_destinations_remember_when_they_were_first_seen(store):
    assert store.register_destinations([D, "email:desk"], NOW) == {D: NOW, "email:desk": NOW}
    later = NOW + timedelta(days=1)
    assert store.register_destinations([D, "email:new"], later) == {D: NOW, "email:new": later}


def test_each_match_is_queued_once_per_destination(store):
    add_keyword_matches(store, {"a": "Alpha", "b": "Beta"})
    candidates = store.unqueued_matches(D, since=NOW)
    assert [(c.kind, c.subject, c.item_key, c.found_at) for c in candidates] == [
        ("keyword", "sanctions", "a", NOW),
        ("keyword", "sanctions", "b", NOW),
    ]
    assert queue(store) == 2
    assert store.unqueued_matches(D, since=NOW) == []
    rows = [NewDelivery(c.match_id, f"again-{c.match_id}", NOW) for c in candidates]
    assert store.enqueue_deliveries(D, rows, NOW) == 0, "a racing second enqueue is ignored by the constraint"
    assert queue(store, "email:desk") == 2, "another destination has its own deliveries"
    assert store.unqueued_matches("webhook:late", since=NOW + timedelta(seconds=1)) == [], "found before `since`"
    assert store.count_deliveries(status="pending") == 4


def test_claim_takes_due_deliveries_with_their_match_and_a_lease(store):
    add_keyword_matches(store, {"a": "Alpha <b>", "b": "Beta"})
    queue(store, due=NOW + timedelta(hours=1))
    assert store.claim_deliveries(D, NOW, limit=10, owner="w1", lease=LEASE) == [], "not due yet"
    later = NOW + timedelta(hours=1)
    claimed = store.claim_deliveries(D, later, limit=10, owner="w1", lease=LEASE)
    assert [c.match.item.item.title for c in claimed] == ["Alpha <b>", "Beta"]
    first = claimed[0]
    assert first.delivery.match_id == first.match.id and first.match.kind == "keyword"
    assert first.match.item.feed_title == "World News"
    assert first.match.terms[0].term == "sanctions"
    assert store.claim_deliveries(D, later, limit=10, owner="w2", lease=LEASE) == [], "leased: not claimed twice"
    leases_age(store, LEASE + timedelta(seconds=1))
    expired = store.claim_deliveries(D, later + LEASE + timedelta(seconds=1), limit=1, owner="w2", lease=LEASE)
    assert [c.delivery.id for c in expired] == [first.delivery.id], "a dead sender's lease expires"


def test_claimed_match_has_the_item_id_not_the_delivery_id(store):
    add_keyword_matches(store, {"a": "Alpha"})
    queue(store)
    (due,) = store.claim_deliveries(D, NOW, limit=1, owner="w", lease=LEASE)
    (stored,) = store.matches()
    assert due.match == stored


def test_attempts_are_recorded_only_by_the_lease_holder(store):
    add_keyword_matches(store, {"a": "Alpha", "b": "Beta"})
    queue(store)
    a, b = store.claim_deliveries(D, NOW, limit=10, owner="w1", lease=LEASE)
    retry_at = NOW + timedelta(minutes=5)
    store.record_attempts([AttemptRecord(a.delivery.id, "pending", 1, retry_at, "500", "boom", None)], NOW, owner="w2")
    assert store.deliveries(match_id=a.match.id)[0].attempts == 0, "not our lease: ignored"
    store.record_attempts([AttemptRecord(a.delivery.id, "pending", 1, retry_at, "500", "boom", None)], NOW, owner="w1")
    store.record_attempts([AttemptRecord(b.delivery.id, "sent", 1, None, "200", None, NOW)], NOW, owner="w1")
    (da,) = store.deliveries(match_id=a.match.id)
    assert (da.status, da.attempts, da.next_attempt, da.last_status, da.last_error) == (
        "pending",
        1,
        retry_at,
        "500",
        "boom",
    )
    (db,) = store.deliveries(match_id=b.match.id)
    assert (db.status, db.sent_at, db.last_attempt, db.next_attempt) == ("sent", NOW, NOW, None)
    assert store.claim_deliveries(D, NOW + timedelta(minutes=1), limit=10, owner="w1", lease=LEASE) == []
    again = store.claim_deliveries(D, retry_at, limit=10, owner="w1", lease=LEASE)
    assert [c.delivery.id for c in again] == [a.delivery.id], "sent deliveries are never claimed again"


def test_released_deliveries_can_be_claimed_at_once(store):
    add_keyword_matches(store, {"a": "Alpha"})
    queue(store)
    (a,) = store.claim_deliveries(D, NOW, limit=10, owner="w1", lease=LEASE)
    store.release_deliveries([a.delivery.id], owner="w1")
    assert [c.delivery.id for c in store.claim_deliveries(D, NOW, limit=10, owner="w2", lease=LEASE)] == [a.delivery.id]


def test_failed_deliveries_stay_listed_and_can_be_retried(store):
    add_keyword_matches(store, {"a": "Alpha"})
    queue(store)
    (a,) = store.claim_deliveries(D, NOW, limit=10, owner="w", lease=LEASE)
    store.record_attempts([AttemptRecord(a.delivery.id, "failed", 8, None, "500", "gone", None)], NOW, owner="w")
    assert [d.status for d in store.deliveries(destination=D)] == ["failed"]
    assert store.count_deliveries(status="failed") == 1
    assert store.retry_failed_deliveries(NOW, destination="webhook:other") == 0
    assert store.retry_failed_deliveries(NOW, destination=D) == 1
    (d,) = store.deliveries(destination=D)
    assert (d.status, d.attempts, d.next_attempt) == ("pending", 0, NOW)


def test_a_clock_stepped_back_does_not_hold_deliveries_until_it_catches_up(store):
    """A sender killed while the clock ran a year ahead leaves a lease, and a failed one a retry, a year away:
    neither holds the delivery (nor, by its back-off, the destination) once the clock is stepped back."""
    add_keyword_matches(store, {"a": "Alpha", "b": "Beta"})
    queue(store)
    ahead = NOW + timedelta(days=365)
    a, b = store.claim_deliveries(D, ahead, limit=10, owner="w1", lease=LEASE)  # then killed mid-send
    # (on PostgreSQL the lease ran by the server's clock, which no step moved: it runs out as any other)
    leases_age(store, LEASE + timedelta(seconds=1))
    again = store.claim_deliveries(D, NOW, limit=10, owner="w2", lease=LEASE)
    assert {c.delivery.idempotency_key for c in again} == {a.delivery.idempotency_key, b.delivery.idempotency_key}
    retry = AttemptRecord(a.delivery.id, "pending", 1, ahead + timedelta(minutes=5), "500", "boom", None)
    store.record_attempts([retry], ahead, owner="w2")
    store.release_deliveries([b.delivery.id], owner="w2")
    assert len(store.claim_deliveries(D, NOW, limit=10, owner="w3", lease=LEASE)) == 2


def test_a_genuine_back_off_still_holds_the_destination(store):
    add_keyword_matches(store, {"a": "Alpha", "b": "Beta"})
    queue(store)
    a, b = store.claim_deliveries(D, NOW, limit=10, owner="w1", lease=LEASE)
    week = NOW + timedelta(days=7)  # a Retry-After at its cap
    store.record_attempts([AttemptRecord(a.delivery.id, "pending", 1, week, "429", "slow down", None)], NOW, owner="w1")
    store.release_deliveries([b.delivery.id], owner="w1")
    assert store.claim_deliveries(D, NOW + timedelta(days=1), limit=10, owner="w2", lease=LEASE) == []


def test_pending_deliveries_of_a_destination_no_longer_configured_are_cancelled_with_the_reason(store):
    add_keyword_matches(store, {"a": "Alpha", "b": "Beta", "c": "Gamma"})
    queue(store)  # webhook:hook, about to be taken out of the config
    queue(store, "email:desk")  # still configured
    a, b, c = store.claim_deliveries(D, NOW, limit=10, owner="w1", lease=LEASE)
    store.record_attempts([AttemptRecord(a.delivery.id, "sent", 1, None, "200", None, NOW)], NOW, owner="w1")
    store.record_attempts([AttemptRecord(b.delivery.id, "failed", 8, None, "500", "gone", None)], NOW, owner="w1")
    store.release_deliveries([c.delivery.id], owner="w1")

    assert store.cancel_deliveries(["email:desk"], NOW, lease=LEASE) == {D: 1}
    by_match = {d.match_id: d for d in store.deliveries(destination=D)}
    assert by_match[a.match.id].status == "sent" and by_match[b.match.id].status == "failed", "settled: kept"
    cancelled = by_match[c.match.id]
    assert (cancelled.status, cancelled.next_attempt, cancelled.last_error) == (
        "cancelled",
        None,
        f"not sent: destination {D} no longer configured",
    )
    assert {d.status for d in store.deliveries(destination="email:desk")} == {"pending"}
    assert store.claim_deliveries(D, NOW + timedelta(days=1), limit=10, owner="w2", lease=LEASE) == [], "never sent"
    assert store.cancel_deliveries(["email:desk"], NOW, lease=LEASE) == {}, "once"
    assert store.cancel_deliveries([], NOW, lease=LEASE) == {"email:desk": 3}, "none configured: all cancelled"

    assert store.retry_failed_deliveries(NOW, destination=D) == 1, "failed only"
    assert store.retry_failed_deliveries(NOW, destination=D, cancelled=True) == 1
    assert store.count_deliveries(destination=D, status="pending") == 2


def test_a_delivery_being_sent_by_a_runner_is_not_cancelled_under_it(store):
    """A daemon still running the old config is sending it: its outcome is recorded, and it is not cancelled."""
    add_keyword_matches(store, {"a": "Alpha"})
    queue(store)
    (a,) = store.claim_deliveries(D, NOW, limit=10, owner="old", lease=LEASE)
    assert store.cancel_deliveries([], NOW, lease=LEASE) == {}
    store.record_attempts([AttemptRecord(a.delivery.id, "sent", 1, None, "200", None, NOW)], NOW, owner="old")
    assert store.deliveries(destination=D)[0].status == "sent"


def test_a_digest_claims_every_due_delivery_at_once_with_the_newest_matches_in_full(store):
    add_keyword_matches(store, {"a": "Alpha"})
    add_keyword_matches(store, {"b": "Beta", "c": "Gamma"}, found_at=NOW + timedelta(minutes=1))
    queue(store)
    shown, rest = store.claim_digest(D, NOW, listed=2, owner="w1", lease=LEASE)
    assert [due.match.item.item.title for due in shown] == ["Gamma", "Beta"], "last found first"
    assert [d.match_id for d in rest] == [m.id for m in store.matches() if m.item.item.key == "a"]
    assert store.claim_deliveries(D, NOW, limit=10, owner="w2", lease=LEASE) == [], "all leased, the rest too"
    assert store.claim_digest(D, NOW, listed=2, owner="w2", lease=LEASE) == ([], [])
