"""Alert retries across a step of the clock, on SQLite and PostgreSQL: a retry's time is stored (several daemons
share it), so the store itself must notice one set by a clock since stepped back, as it does for watched feeds."""

from __future__ import annotations

from datetime import timedelta

from feeds.store.alerts import AttemptRecord, NewDelivery
from tests.alerts_helpers import NOW, add_keyword_matches

LEASE = timedelta(minutes=15)
D = "webhook:hook"


def _queue(store) -> None:
    rows = [NewDelivery(c.match_id, f"{D}-{c.match_id}", NOW) for c in store.unqueued_matches(D, since=NOW)]
    store.enqueue_deliveries(D, rows, NOW)


def test_a_retry_set_an_hour_ahead_by_a_clock_since_stepped_back_holds_nothing_for_that_hour(store):
    """A review's find: the clock an hour ahead, a webhook failed once (retried 5 minutes later by that clock);
    NTP stepped the clock back, and the destination backed off, every new match held with it, for the hour
    and 5 minutes (only a retry more than 8 days ahead was taken for a step). A retry recorded at an attempt
    ahead of the clock (by more than a few minutes) is due at once, as one more than 8 days ahead was."""
    add_keyword_matches(store, {"a": "Alpha", "b": "Beta"})
    _queue(store)
    ahead = NOW + timedelta(hours=1)
    a, b = store.claim_deliveries(D, ahead, limit=10, owner="w1", lease=LEASE)
    retry = AttemptRecord(a.delivery.id, "pending", 1, ahead + timedelta(minutes=5), "500", "boom", None)
    store.record_attempts([retry], ahead, owner="w1")
    store.release_deliveries([b.delivery.id], owner="w1")
    later = NOW + timedelta(minutes=6)  # the clock stepped back to NOW, and 6 minutes passed
    claimed = store.claim_deliveries(D, later, limit=10, owner="w2", lease=LEASE)
    assert {c.delivery.id for c in claimed} == {a.delivery.id, b.delivery.id}


def test_a_retry_recorded_by_a_clock_a_little_ahead_still_backs_off(store):
    """Clocks a few seconds apart between daemons are no step: the back-off holds."""
    add_keyword_matches(store, {"a": "Alpha", "b": "Beta"})
    _queue(store)
    ahead = NOW + timedelta(seconds=30)
    a, b = store.claim_deliveries(D, ahead, limit=10, owner="w1", lease=LEASE)
    retry = AttemptRecord(a.delivery.id, "pending", 1, ahead + timedelta(minutes=5), "500", "boom", None)
    store.record_attempts([retry], ahead, owner="w1")
    store.release_deliveries([b.delivery.id], owner="w1")
    assert store.claim_deliveries(D, NOW + timedelta(minutes=1), limit=10, owner="w2", lease=LEASE) == []
