"""A watched feed whose body kills the worker process parsing it (a crash in libxml2, a memory blow-up): found
by reading the suspects again alone in a worker of their own, never in the daemon's process; recorded as that
feed's failure, which backs off; every other feed of the round is read and stored once."""

from __future__ import annotations

import logging
import os
from concurrent.futures.process import BrokenProcessPool
from datetime import timedelta

import pytest

from feeds.watch import poll
from feeds.watch.manage import add_feed
from feeds.watch.parsejobs import KILLED
from feeds.workers import POOL_KEY, isolate, worker_pool
from tests import killers

pytestmark = pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one CPU: feeds starts no worker processes")


@pytest.fixture
def app(make_settings, make_app_for):
    return make_app_for(make_settings('\n[http]\nallow = ["127.0.0.1", "localhost", "::1"]\n'))


def _rss(name: str) -> bytes:
    item = f"<item><guid>{name}-1</guid><title>Story of {name}</title><description>Text</description></item>"
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>{name}</title>{item}</channel></rss>'.encode()


def _serve(app, httpserver, names):
    for name in names:
        httpserver.expect_request(f"/{name}.xml").respond_with_data(_rss(name), content_type="application/rss+xml")
    return {name: add_feed(app, httpserver.url_for(f"/{name}.xml")) for name in names}


def test_a_feed_that_kills_its_worker_is_that_feeds_failure_and_the_others_are_read_once(
    app, httpserver, clock, monkeypatch, caplog
):
    names = [f"feed{n:02d}" for n in range(poll.PARALLEL_PARSE_MIN)] + ["killer", "hog"]
    feeds = _serve(app, httpserver, names)
    monkeypatch.setattr(poll, "parse_job", killers.parse_job)
    caplog.set_level(logging.INFO, logger="feeds")

    report = poll.run_watch(app)

    by_id = {o.feed_id: o for o in report.outcomes}
    assert len(report.outcomes) == len(names)
    killer = app.store.feed(feeds["killer"].id)
    assert by_id[killer.id].status == "parse-error"
    assert killer.last_error == f"{KILLED}: the worker process reading it alone died (exit code 70); it was not read"
    assert killer.failures == 1 and killer.next_check is not None and killer.next_check > clock() + timedelta(minutes=1)
    hog = app.store.feed(feeds["hog"].id)
    assert hog.last_error == "unexpected error while reading this feed: MemoryError" and hog.failures == 1
    others = [n for n in names if n not in ("killer", "hog")]
    assert all(by_id[feeds[n].id].status == "200" for n in others)
    titles = sorted(s.item.title for s in app.store.stored_items())
    assert titles == sorted(f"Story of {n}" for n in others)  # each once; none of the culprits'
    broken = app.extras[POOL_KEY]  # (the killer broke it: nothing more is handed to it)

    # The next rounds: the killer is not due again at once (it backs off like any failure), and once due it
    # costs a failure again, in a worker; the pool broken by it is replaced at the next round, not in a loop.
    assert poll.run_watch(app).outcomes == []
    clock.advance(timedelta(days=1))
    again = {o.feed_id: o.status for o in poll.run_watch(app).outcomes}
    assert again[killer.id] == "parse-error" and app.store.feed(killer.id).failures == 2
    assert len(app.store.stored_items()) == len(others)
    assert app.extras[POOL_KEY] is not broken
    rebuilt = [r for r in caplog.records if "starting new ones" in r.getMessage()]
    assert len(rebuilt) == 1  # the broken pool replaced once, at the next round's first use; not in a loop


def test_after_a_worker_died_the_rest_of_the_round_is_read_alone_never_here(app, httpserver, monkeypatch):
    """The pool broke before the round handed anything in: every body goes to the lone worker."""
    names = [f"feed{n:02d}" for n in range(poll.PARALLEL_PARSE_MIN)] + ["killer"]
    feeds = _serve(app, httpserver, names)
    monkeypatch.setattr(poll, "parse_job", killers.parse_job)
    real = poll.parse_pool

    def broken(app, spec):
        pool = real(app, spec)
        assert pool is not None
        with pytest.raises(BrokenProcessPool):
            pool.submit(os._exit, 1).result(timeout=60)
        return pool

    monkeypatch.setattr(poll, "parse_pool", broken)
    statuses = {o.feed_id: o.status for o in poll.run_watch(app).outcomes}
    assert statuses.pop(feeds["killer"].id) == "parse-error"
    assert set(statuses.values()) == {"200"} and len(app.store.stored_items()) == len(names) - 1
    rebuilt = worker_pool(app)
    assert rebuilt is not None and rebuilt.submit(os.getpid).result(timeout=60) > 0


def test_the_daemon_reads_a_round_of_three_in_workers_so_a_killer_is_that_feeds_failure(app, httpserver, monkeypatch):
    """The daemon's App (`isolate`d) reads every body in a worker, however small the round: read here, the killer
    would end the daemon (and again at every restart)."""
    feeds = _serve(app, httpserver, ["harbour", "killer", "quays"])
    monkeypatch.setattr(poll, "parse_job", killers.parse_job)
    isolate(app)

    statuses = {o.feed_id: o.status for o in poll.run_watch(app).outcomes}

    assert statuses.pop(feeds["killer"].id) == "parse-error"
    assert set(statuses.values()) == {"200"}
    assert app.store.feed(feeds["killer"].id).last_error.startswith(KILLED)
    assert sorted(s.item.title for s in app.store.stored_items()) == ["Story of harbour", "Story of quays"]


def test_the_daemon_has_a_worker_even_on_one_cpu(app, monkeypatch):
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    assert worker_pool(app) is None  # a one-shot command: workers would gain nothing
    isolate(app)
    pool = worker_pool(app)
    assert pool is not None and pool.submit(os.getpid).result(timeout=60) != os.getpid()
