"""Store contract for housekeeping's retention (the ingest ledger, matches, alert deliveries) on SQLite and
PostgreSQL: what goes after its window, and what must stay whatever its age."""

from __future__ import annotations

import json
from datetime import timedelta

import sqlalchemy as sa

from feeds.store.alerts import AttemptRecord, NewDelivery
from feeds.store.schema import ingested_files
from tests.alerts_helpers import NOW, add_keyword_matches
from tests.test_store import rel

D = "webhook:hook"
OLD = NOW - timedelta(days=200)
CUTOFF = NOW - timedelta(days=90)


def ledger(store) -> set[tuple[str, str, str]]:
    with store.engine.connect() as conn:
        return {(s, n, h) for s, n, h in conn.execute(sa.select(ingested_files.c["source", "name", "sha256"]))}


def store_file(store, source: str, name: str, sha: str, releases, at) -> None:
    """A file's releases and its ledger row, as an ingest at `at` writes them."""
    with store.transaction() as tx:
        fresh = [r for r in releases if not tx.releases_by_identity([r.identity])]
        tx.insert_releases(fresh, at)
        tx.record_ingested_files([(source, name, sha, [r.id for r in releases])], at)


# --- the ledger of ingested files -------------------------------------------------------------------------------


def test_old_ledger_rows_of_releases_named_by_their_contents_go(store):
    keyed = rel(1, identity="key:cms/1")
    store_file(store, "inbox", "a.json", "h-a", [keyed], OLD)
    store_file(store, "inbox", "b.json", "h-b", [rel(2, identity="slug:two")], NOW - timedelta(days=10))
    assert store.prune_ingested_files(CUTOFF, in_folders={}) == 1
    assert ledger(store) == {("inbox", "b.json", "h-b")}, "the recent row stays"


def test_a_ledger_row_whose_file_is_still_in_its_drop_folder_stays_however_old(store):
    """Committed but never moved (a crash, a processed/ not writable): the row is what stops its leftover from
    being stored again, or undoing a later version."""
    store_file(store, "inbox", "stuck.json", "h-s", [rel(1, identity="key:cms/1")], OLD)
    store_file(store, "other", "stuck.json", "h-o", [rel(2, identity="key:cms/2")], OLD)
    assert store.prune_ingested_files(CUTOFF, in_folders={"inbox": {"stuck.json"}}) == 1
    assert ledger(store) == {("inbox", "stuck.json", "h-s")}, "only its own source's folder counts"
    assert store.prune_ingested_files(CUTOFF, in_folders={}, unlisted={"inbox"}) == 0, "its folder is unknown"
    assert store.prune_ingested_files(CUTOFF, in_folders={}) == 1


def test_the_first_file_of_releases_known_only_by_their_file_stays_while_they_are_stored(store):
    """The same bytes dropped under another name ("release (1).txt") are recognised by this row alone: without it
    they would publish the release a second time."""
    first = rel(3, identity="file:inbox/release.txt")
    store_file(store, "inbox", "release.txt", "h-1", [first], OLD)
    store_file(store, "inbox", "release (1).txt", "h-1", [first], OLD + timedelta(days=1))  # a twin: its releases
    store_file(store, "cli", "copy.txt", "h-1", [first], OLD + timedelta(days=2))  # the same bytes elsewhere
    gone = rel(4, identity="file:inbox/gone.txt")
    store_file(store, "inbox", "gone.txt", "h-2", [gone], OLD)
    with store.transaction() as tx:
        tx.conn.execute(sa.text("DELETE FROM releases WHERE id = :id"), {"id": gone.id})
    assert store.prune_ingested_files(CUTOFF, in_folders={}) == 2
    assert ledger(store) == {("inbox", "release.txt", "h-1"), ("cli", "copy.txt", "h-1")}, (
        "the first of each source's bytes stays; later copies and rows of releases no longer stored go"
    )


def test_the_ledger_is_pruned_in_pages(store):
    rows = [rel(10 + i, identity=f"key:cms/{i}") for i in range(7)]
    for i, r in enumerate(rows):
        store_file(store, "inbox", f"{i}.json", f"h{i}", [r], OLD + timedelta(minutes=i))
    assert store.prune_ingested_files(CUTOFF, in_folders={"inbox": {"3.json"}}, page=2) == 6
    assert ledger(store) == {("inbox", "3.json", "h3")}


# --- matches ----------------------------------------------------------------------------------------------------


def test_old_matches_go_and_take_their_items_with_them_at_the_next_item_prune(store):
    add_keyword_matches(store, {"old": "Old sanctions"}, found_at=OLD)
    add_keyword_matches(store, {"new": "New sanctions"}, found_at=NOW - timedelta(days=5))
    assert store.prune_items(CUTOFF) == 0, "a matched item is kept"
    assert store.prune_matches(CUTOFF) == 1
    assert [m.item.item.key for m in store.matches()] == ["new"]
    assert store.prune_items(CUTOFF) == 1
    assert [s.item.key for s in store.stored_items()] == ["new"]


def test_a_match_with_a_delivery_still_to_send_is_kept(store):
    add_keyword_matches(store, {"a": "Alpha", "b": "Beta"}, found_at=OLD)
    a, b = sorted(store.unqueued_matches(D, since=OLD), key=lambda c: c.item_key)
    store.enqueue_deliveries(D, [NewDelivery(a.match_id, "k-a", NOW), NewDelivery(b.match_id, "k-b", NOW)], OLD)
    (claimed,) = store.claim_deliveries(D, NOW, limit=1, owner="w", lease=timedelta(minutes=5))
    sent = AttemptRecord(claimed.delivery.id, "sent", 1, None, "200", None, OLD)
    store.record_attempts([sent], OLD, owner="w")
    assert store.prune_matches(CUTOFF) == 1
    assert [m.item.item.key for m in store.matches()] == ["b"], "b's delivery is pending: it stays to be sent"
    assert [d.status for d in store.deliveries()] == ["pending"]


# --- alert deliveries -------------------------------------------------------------------------------------------


def _deliver(store, keys: dict[str, str], found_at, *, status: str, at) -> None:
    add_keyword_matches(store, keys, found_at=found_at)
    cands = [c for c in store.unqueued_matches(D, since=found_at) if c.item_key in keys]
    store.enqueue_deliveries(D, [NewDelivery(c.match_id, f"k-{c.item_key}", at) for c in cands], at)
    if status == "pending":
        return
    claimed = store.claim_deliveries(D, at, limit=100, owner="w", lease=timedelta(minutes=5))
    records = [
        AttemptRecord(c.delivery.id, status, 1, None, "200", None, at if status == "sent" else None)
        for c in claimed
        if c.match.item.item.key in keys
    ]
    store.record_attempts(records, at, owner="w")


def test_sent_and_failed_deliveries_go_after_their_window_and_pending_ones_never(store):
    _deliver(store, {"sent-old": "A sanctions"}, OLD, status="sent", at=OLD)
    _deliver(store, {"failed-old": "B sanctions"}, OLD, status="failed", at=OLD)
    _deliver(store, {"pending-old": "C sanctions"}, OLD, status="pending", at=OLD)
    recent = NOW - timedelta(days=20)
    _deliver(store, {"sent-new": "D sanctions"}, recent, status="sent", at=recent)
    assert store.prune_deliveries(CUTOFF, found_before=NOW - timedelta(days=7)) == 2
    left = {(d.status, d.match_id) for d in store.deliveries()}
    assert {s for s, _ in left} == {"pending", "sent"} and len(left) == 2
    assert store.unqueued_matches(D, since=NOW - timedelta(days=7)) == [], "nothing old is queued again"


def test_cancelled_deliveries_go_after_their_window_too(store):
    """A delivery cancelled when its destination left the config (`cancel_deliveries`) is as settled as a failed
    one: months later, `alerts retry --cancelled` would only send stale news."""
    _deliver(store, {"gone": "A sanctions"}, OLD, status="pending", at=OLD)
    assert store.cancel_deliveries([], OLD, lease=timedelta(minutes=5)) == {D: 1}
    assert store.prune_deliveries(CUTOFF, found_before=NOW - timedelta(days=7)) == 1
    assert store.deliveries() == []


def test_a_delivery_whose_match_could_still_be_queued_stays(store):
    """A match found within the window the alerts job still queues from: without its delivery row it would be
    queued, and sent, a second time."""
    found = NOW - timedelta(days=3)
    _deliver(store, {"a": "A sanctions"}, found, status="sent", at=found)
    assert store.prune_deliveries(NOW, found_before=NOW - timedelta(days=7)) == 0
    assert [d.status for d in store.deliveries()] == ["sent"]


def test_the_ledger_keeps_release_ids_as_written(store):
    """(The prune reads `release_ids` as ingest writes it: a JSON list.)"""
    store_file(store, "inbox", "x.txt", "h-x", [rel(5, identity="file:inbox/x.txt")], OLD)
    with store.engine.connect() as conn:
        (ids,) = conn.execute(sa.select(ingested_files.c.release_ids)).one()
    assert json.loads(ids) == [rel(5).id]
