"""Two daemons polling one PostgreSQL database with clocks minutes apart (`feeds/store/leaseclock.py`): the whole
round, claim → fetch → record, through `run_watch`, with each App's clock injected and a real feed server on
127.0.0.1. Nothing sleeps."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler

import pytest

from feeds.clock import FixedClock
from feeds.watch.manage import add_feed
from feeds.watch.poll import run_watch
from tests.leaseclock_helpers import leases_age
from tests.localhttp import send, threaded_server

T = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
CONFIG = '\n[http]\nallow = ["127.0.0.1", "localhost"]\n\n[watch]\nworkers = 4\nbatch = 10\n'


class _Feeds:
    """Answers every feed with an empty channel, counting the requests for each path."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.paths: Counter[str] = Counter()

    def __call__(self, handler: BaseHTTPRequestHandler) -> None:
        with self.lock:
            self.paths[handler.path] += 1
        send(handler, b'<?xml version="1.0"?><rss version="2.0"><channel><title>Desk</title></channel></rss>')


@pytest.mark.postgres
@pytest.mark.parametrize("skew", [timedelta(minutes=6), timedelta(minutes=-6)], ids=["ahead", "behind"])
def test_a_daemon_minutes_off_polls_only_the_feeds_no_other_daemon_holds(make_settings, make_app_for, pg_url, skew):
    """Daemon a claims its batch and stalls there (a VM suspended mid-round); daemon b, whose clock is 6 minutes
    off a's (further than the 5-minute lease), polls the rest, each once, and none of a's: a's leases are live
    by the server's clock. Once they run out by it, b polls those, once each: nothing lost, nothing twice."""
    settings = make_settings(CONFIG, database_url=pg_url)
    a = make_app_for(settings, clock=FixedClock(T))
    b = make_app_for(settings, clock=FixedClock(T + skew))
    lease = timedelta(seconds=settings.watch.lease)
    feeds = _Feeds()
    with threaded_server(feeds) as base:
        urls = [f"{base}/f{n}.xml" for n in range(6)]
        for url in urls:
            add_feed(a, url)
        stalled = {f.url for f in a.store.claim_due(T, limit=3, owner="a:1", lease=lease)}
        first = run_watch(b, owner="b:1")
        assert sorted(feeds.paths) == sorted(u.removeprefix(base) for u in urls if u not in stalled)
        assert len(first.outcomes) == 3
        leases_age(a.store, lease + timedelta(seconds=1))  # a never wakes: its leases run out by the server's clock
        b.clock.advance(lease + timedelta(seconds=1))
        second = run_watch(b, owner="b:1")
    assert sorted(o.url for o in second.outcomes) == sorted(stalled)
    assert feeds.paths == Counter({u.removeprefix(base): 1 for u in urls}), "every feed polled, once"
    assert all(f.last_status == "200" for f in b.store.feeds())
