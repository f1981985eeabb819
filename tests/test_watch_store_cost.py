"""What storing a polled feed costs in statements (`feeds/watch/check.py`, `feeds/store/items.py`): the first poll
of a large import stores every feed alone as its worker finishes it, so each statement left out counts a
thousand times. The outcome stays what it was: the same items, matches and feed rows."""

from __future__ import annotations

import hashlib
import re
from concurrent.futures import Future
from datetime import timedelta

import pytest
import sqlalchemy as sa

from feeds.fetch import Fetched, NotModified, Validators
from feeds.watch.check import check_batch
from feeds.watch.manage import add_feed, add_rule
from feeds.watch.parsejobs import _read, parse_job
from feeds.watch.poll import current_matchers
from feeds.workers import Job
from tests.store_watch_helpers import LEASE, NOW, add, item

RSS = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>Desk</title><link>https://news.example.com/</link>
<item><title>Lavrov meets envoys</title><link>https://news.example.com/a</link><guid>a</guid>
<description>Talks in Vienna.</description></item>
<item><title>Bakery wins prize</title><link>https://news.example.com/b</link><guid>b</guid>
<description>A sourdough loaf.</description></item>
</channel></rss>"""


_STORED_KEYS = re.compile(r'^SELECT .* items\."?key"? IN', re.DOTALL)
"""The query for the items stored under a document's keys (`upsert_items_in`), on either database."""


def _statements(engine: sa.Engine) -> list[str]:
    seen: list[str] = []
    sa.event.listen(engine, "before_cursor_execute", lambda *args: seen.append(args[2]))
    return seen


def test_a_feeds_first_check_runs_no_query_for_stored_keys_and_later_ones_do(store):
    add(store)
    seen = _statements(store.engine)
    (claimed,) = store.claim_due(NOW, limit=1, owner="w1", lease=LEASE)
    first, _, _ = store.record_fetched(claimed, [item("a"), item("b", h="h2")], {}, NOW, owner="w1")
    assert sorted((it.key, status) for _, it, status in first) == [("a", "new"), ("b", "new")]
    stored_keys = [s for s in seen if _STORED_KEYS.search(s)]
    assert not stored_keys, "a feed that never stored an item has none under these keys"
    later = NOW + timedelta(hours=1)
    (claimed,) = store.claim_due(later, limit=1, owner="w1", lease=LEASE)
    again, _, _ = store.record_fetched(
        claimed, [item("a", "New title", h="h3"), item("b", h="h2")], {}, later, owner="w1"
    )
    assert [(it.key, status) for _, it, status in again] == [("a", "changed")]
    assert [s for s in seen if _STORED_KEYS.search(s)]
    assert store.count_items() == 2 and store.feed(claimed.id).items_seen == 2


def _fetched(url: str, body: bytes) -> Fetched:
    return Fetched(
        url=url,
        requested_url=url,
        status=200,
        body=body,
        sha256=hashlib.sha256(body).hexdigest(),
        content_type="application/rss+xml",
        encoding=None,
        validators=Validators('"v1"', None),
        fetched_at=NOW,
        fresh_until=None,
        permanent_redirect=None,
        headers=(),
    )


def _done(value: object) -> Job:
    future: Future = Future()
    future.set_result(value)
    return Job(parse_job, (), None, future)


@pytest.fixture
def polled(app, clock):
    add_rule(app, "lavrov", name="lavrov")
    feeds = [add_feed(app, f"https://news.example.com/{n}.xml") for n in range(3)]
    now = app.clock()
    matchers = current_matchers(app, now, app.store.rules())
    claimed = app.store.claim_feeds([f.id for f in feeds], now, owner="me", lease=LEASE)
    return app, matchers, claimed


def _worker_answer(matchers, feed):
    """What a worker sends back for `RSS`: the parsed feed with every item's matches."""
    from dataclasses import replace

    from feeds.watch.matching import match_item

    parsed = _read(RSS, feed.url, "application/rss+xml", None)
    return replace(parsed, matches=tuple(tuple(match_item(matchers, feed, it)) for it in parsed.feed.items))


def test_a_lone_feed_read_in_a_worker_is_stored_without_a_savepoint(polled):
    app, matchers, (feed, _, _) = polled
    seen = _statements(app.store.engine)
    (outcome,) = check_batch(
        app, [(feed, _fetched(feed.url, RSS), _done(_worker_answer(matchers, feed)))], matchers, owner="me"
    )
    assert (outcome.status, outcome.new_items, outcome.new_matches, outcome.error) == ("200", 2, 1, None)
    assert not [s for s in seen if "SAVEPOINT" in s.upper()], "one write transaction: no savepoint around it"
    stored = app.store.feed(feed.id)
    assert stored.etag == '"v1"' and stored.items_seen == 2
    (m,) = app.store.matches()
    assert m.subject == "lavrov" and m.item.item.title == "Lavrov meets envoys"


def test_a_lone_304_is_stored_without_a_savepoint_and_feeds_stored_together_keep_theirs(polled):
    app, matchers, (one, two, three) = polled
    seen = _statements(app.store.engine)
    not_modified = NotModified(
        url=one.url, requested_url=one.url, fetched_at=NOW, fresh_until=None, permanent_redirect=None
    )
    (outcome,) = check_batch(app, [(one, not_modified, None)], matchers, owner="me")
    assert outcome.status == "304" and not [s for s in seen if "SAVEPOINT" in s.upper()]
    # Two feeds in one batch: one transaction, each feed's writes a savepoint (one that fails is rolled back alone).
    ready = [(f, _fetched(f.url, RSS), _done(_worker_answer(matchers, f))) for f in (two, three)]
    outcomes = check_batch(app, ready, matchers, owner="me")
    assert [(o.new_items, o.new_matches) for o in outcomes] == [(2, 1), (2, 1)]
    assert len([s for s in seen if s.upper().startswith("SAVEPOINT")]) == 2


def test_a_lone_feed_read_here_keeps_its_batch(polled):
    """Read in this process, a feed's items, matches and check are three writes: one batch, one commit."""
    app, matchers, (feed, _, _) = polled
    seen = _statements(app.store.engine)
    (outcome,) = check_batch(app, [(feed, _fetched(feed.url, RSS), None)], matchers, owner="me")
    assert (outcome.new_items, outcome.new_matches) == (2, 1)
    assert len([s for s in seen if s.upper().startswith("SAVEPOINT")]) == 3
