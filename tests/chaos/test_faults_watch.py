"""Faults: `run_watch` against a feed server that misbehaves on purpose (tests/chaos/feedserver.py).

What must hold whatever the servers do: no exception escapes `run_watch`; every failing feed has its failure on
its row (`last_error`, `failures` or a parse warning) and a next check; the good feeds polled in the same pass
are stored in full; a feed that misbehaves on some polls and answers well on others ends with each of its items
stored exactly once; and the whole pass is bounded in time (timeouts, body deadline, size cap).
"""

from __future__ import annotations

import time
from collections import Counter
from datetime import timedelta

import pytest

from feeds.watch.manage import add_feed
from feeds.watch.poll import run_watch
from tests.chaos.conftest import record
from tests.chaos.feedserver import FAULTS, FeedServer, item_title

ITEMS = 6
HTTP = """
[http]
allow = ["127.0.0.1"]
connect_timeout = 1
read_timeout = 1
max_bytes = 1048576

[watch]
workers = 16
batch = 500
lease = "1m"
"""


@pytest.fixture
def server():
    with FeedServer(items=ITEMS, trickle=0.25, max_seconds=8, huge_bytes=16 * 1024 * 1024) as s:
        yield s


@pytest.fixture
def app(make_settings, make_app_for):
    return make_app_for(make_settings(HTTP))


def items_by_feed(app) -> Counter[int]:
    return Counter(s.feed_id for s in app.store.stored_items())


def test_every_fault_lands_on_its_row_and_the_good_feeds_are_stored(app, server, clock):
    good = [add_feed(app, server.url(kind, f"g{i}")) for i, kind in enumerate(("good", "atom", "good"))]
    bad = {kind: add_feed(app, server.url(kind, f"b-{kind}")) for kind in FAULTS}
    started = time.monotonic()
    report = run_watch(app)
    elapsed = time.monotonic() - started
    record("watch faults: feeds in one pass", len(good) + len(bad))
    record("watch faults: seconds for the pass", round(elapsed, 2))

    assert len(report.outcomes) == len(good) + len(bad)
    counts = items_by_feed(app)
    for feed in good:
        row = app.store.feed(feed.id)
        assert (row.last_error, row.failures, counts[feed.id]) == (None, 0, ITEMS), row
    titles = {s.item.title for s in app.store.stored_items()}
    assert {item_title("g0", i) for i in range(ITEMS)} <= titles
    for kind, feed in bad.items():
        row = app.store.feed(feed.id)
        assert row.last_error, f"{kind}: no error recorded on the row ({row.last_status})"
        assert row.next_check is not None and row.next_check > clock(), kind
        if kind not in ("truncated", "bomb"):  # a cut document may still yield its first items (with a warning)
            assert row.failures == 1 and counts[feed.id] == 0, (kind, row)
    # The slow body is cut by the body deadline (2 x read_timeout), the hang by the read timeout: the pass is
    # bounded by them, not by the servers.
    assert elapsed < 12, f"a pass over hostile feeds took {elapsed:.1f} s"
    assert "timed out" in (app.store.feed(bad["slow"].id).last_error or "")
    assert "larger than" in (app.store.feed(bad["huge"].id).last_error or "")
    assert "larger than" in (app.store.feed(bad["gzipbomb"].id).last_error or "")
    assert "redirect" in (app.store.feed(bad["loop"].id).last_error or "")
    # The entity bomb is refused, or read without expanding a single entity (neutralised).
    bomb = app.store.feed(bad["bomb"].id)
    bomb_items = [s.item for s in app.store.stored_items() if s.feed_id == bomb.id]
    assert "haha" not in bomb.title and all("haha" not in i.title + i.content_text for i in bomb_items)


def test_a_feed_cut_short_then_complete_stores_each_item_once(app, server, clock, chaos_rounds):
    """A document that stops in the middle of an item still yields the items before it; the cut item, whose
    guid never arrived, must not be stored under another key and then again when the full document comes."""
    names = [f"t{i}" for i in range(4 * chaos_rounds)]
    feeds = [add_feed(app, server.url("mixed", n)) for n in names]
    server.choose = lambda name: "truncated"
    run_watch(app)
    clock.advance(timedelta(days=3))
    server.choose = lambda name: "good"
    run_watch(app)
    counts = items_by_feed(app)
    assert [counts[f.id] for f in feeds] == [ITEMS] * len(feeds)


def test_feeds_that_fail_now_and_then_end_with_every_item_stored_once(app, server, clock, rng, chaos_rounds):
    """Each feed answers with a random behaviour on each poll (seeded); after the last, good, poll every item of
    every feed is stored exactly once and the failures were counted and then cleared."""
    polls = 2 + chaos_rounds
    names = [f"m{i}" for i in range(12)]
    pool = ("good", "good", "atom", "truncated", "truncated", *(f for f in FAULTS if f != "bomb"))
    plan = {n: [rng.choice(pool) for _ in range(polls - 1)] + ["good"] for n in names}
    turn: Counter[str] = Counter()

    def choose(name: str) -> str:
        behaviour = plan[name][min(turn[name], polls - 1)]
        turn[name] += 1
        return behaviour

    server.choose = choose
    feeds = {n: add_feed(app, server.url("mixed", n)) for n in names}
    for _ in range(polls):
        run_watch(app)
        clock.advance(timedelta(days=3))  # past any back-off (capped at 48 h)
    record("watch faults: random polls", polls * len(names))

    counts = items_by_feed(app)
    keys = Counter((s.feed_id, s.item.key) for s in app.store.stored_items())
    assert all(v == 1 for v in keys.values()), "an item was stored twice"
    for n, feed in feeds.items():
        row = app.store.feed(feed.id)
        assert row.last_status in ("200", "304") and (row.failures, row.last_error) == (0, None), (n, plan[n], row)
        assert counts[feed.id] == ITEMS, (n, plan[n], counts[feed.id])
