"""`watch.per_host` across every daemon sharing the database: the hosts' slots (`feeds.store.hostslots`,
`feeds.watch.hostslots`) and the poll that takes them (`feeds.watch.turns.fetched_in_turn`)."""

from __future__ import annotations

import threading
from collections import Counter
from datetime import timedelta
from http.server import BaseHTTPRequestHandler

import pytest

from feeds.clock import FixedClock
from feeds.watch.manage import add_feed
from feeds.watch.poll import run_watch
from tests.localhttp import send, threaded_server

HOLD = timedelta(seconds=190)


def take(store, host, owner, now, n=1, *, per_host=2, give_back=()):
    return store.trade_host_slots(list(give_back), [host] * n, now=now, owner=owner, hold=HOLD, per_host=per_host)


def test_a_hosts_slots_go_to_one_owner_each_up_to_per_host_and_come_back(store, now):
    assert take(store, "news.example.com", "a:1", now, 2) == [0, 1]
    assert take(store, "news.example.com", "b:1", now) == [None], "both held by a:1"
    assert take(store, "other.example.com", "b:1", now) == [0], "another host has slots of its own"
    assert store.host_slots_held(now) == {"news.example.com": 2, "other.example.com": 1}
    assert take(store, "news.example.com", "b:1", now, give_back=[("news.example.com", 0)]) == [None], (
        "a slot someone else holds is not given back in its name"
    )
    assert take(store, "news.example.com", "a:1", now, 0, give_back=[("news.example.com", 0)]) == []
    assert take(store, "news.example.com", "b:1", now, 2) == [0, None]
    assert store.host_slots_held(now) == {"news.example.com": 2, "other.example.com": 1}


def test_a_slot_frees_itself_one_hold_after_it_was_taken_or_renewed(tmp_path, now):
    """A daemon killed mid-fetch never gives its slots back: each frees itself once the longest one fetch may
    take has passed, unless its holder renews it (its fetch goes on). The clock is injected; nothing sleeps."""
    from feeds.store import open_store

    store = open_store(f"sqlite:///{tmp_path / 'state' / 'feeds.db'}")
    store.migrate(now)
    try:
        assert take(store, "news.example.com", "killed:1", now, 2) == [0, 1]
        assert take(store, "news.example.com", "a:1", now + HOLD - timedelta(seconds=1)) == [None]
        store.renew_host_slots(["news.example.com"], now=now + HOLD / 2, owner="killed:1", hold=HOLD)
        assert take(store, "news.example.com", "a:1", now + HOLD + timedelta(seconds=1)) == [None], "renewed"
        later = now + HOLD / 2 + HOLD + timedelta(seconds=1)
        assert take(store, "news.example.com", "a:1", later, 2) == [0, 1], "both free again, and taken"
        assert take(store, "news.example.com", "b:1", later) == [None]
        # a slot held until further ahead than any hold (taken while the clock ran a day ahead) is free as well
        assert take(store, "ahead.example.com", "killed:2", now + timedelta(days=1)) == [0]
        assert take(store, "ahead.example.com", "a:1", now) == [0]
        # rows that ran out long ago are forgotten when slots are renewed
        store.renew_host_slots([], now=later + 3 * HOLD, owner="a:1", hold=HOLD)
        assert store.host_slots_held(now - timedelta(days=1)) == {}
    finally:
        store.close()


def test_a_runs_slots_are_renewed_every_third_of_a_hold_by_its_clock(store, now):
    from types import SimpleNamespace

    from feeds.watch.hostslots import HostSlots

    clock = FixedClock(now)
    http = SimpleNamespace(longest_fetch=HOLD.total_seconds())
    app = SimpleNamespace(store=store, clock=clock, settings=SimpleNamespace(http=http))
    slots = HostSlots(app, owner="a:1", per_host=1)  # type: ignore[arg-type]
    assert slots.trade([], [(1, "news.example.com"), (2, "news.example.com")]) == {1}
    for _ in range(5):  # a fetch waiting in the pool's queue, then taking its longest: five thirds of a hold
        clock.advance(HOLD / 3)
        slots.renew()
    assert take(store, "news.example.com", "b:1", clock(), per_host=1) == [None], "still held"
    assert slots.trade([1], [(2, "news.example.com")]) == {2}, "given back, and taken for the next fetch"
    slots.give_back_all()
    assert store.host_slots_held(clock()) == {}


ALLOW = '\n[http]\nallow = ["127.0.0.1", "localhost"]\n\n[watch]\nworkers = 8\nper_host = {per_host}\nbatch = {batch}\n'


class _Watching:
    """Counts the requests in flight per host (`Host` header, without the port). Each answer waits, up to
    `linger` seconds, for a request more than `per_host` to arrive at its host, so that requests that may
    overlap do: with the limit kept, that never happens and each answer comes after `linger`."""

    def __init__(self, per_host: int, linger: float = 0.5, status: int = 200):
        self.per_host, self.linger, self.status = per_host, linger, status
        self.lock = threading.Condition()
        self.now: dict[str, int] = {}
        self.most: dict[str, int] = {}
        self.paths: list[str] = []

    def __call__(self, handler: BaseHTTPRequestHandler) -> None:
        host = handler.headers["Host"].rsplit(":", 1)[0]
        with self.lock:
            self.now[host] = self.now.get(host, 0) + 1
            self.most[host] = max(self.most.get(host, 0), self.now[host])
            self.paths.append(handler.path)
            self.lock.notify_all()
            self.lock.wait_for(lambda: self.now[host] > self.per_host, timeout=self.linger)
            self.now[host] -= 1
        if self.status != 200:
            handler.send_response(self.status)
            handler.send_header("Content-Length", "0")
            handler.end_headers()
            return
        send(handler, b'<?xml version="1.0"?><rss version="2.0"><channel><title>Desk</title></channel></rss>')


@pytest.mark.postgres
def test_two_daemons_on_one_database_keep_to_per_host_together(make_settings, make_app_for, pg_url):
    """Two daemons (two Apps, two owners) poll one site's feeds from one PostgreSQL database at the same time.
    Each used to count only its own requests: the site got 2 x per_host at once. Now it never gets more than
    per_host, and every feed is still polled, once."""
    watching = _Watching(per_host=2)
    settings = make_settings(ALLOW.format(per_host=2, batch=3), database_url=pg_url)
    first, second = make_app_for(settings), make_app_for(settings)
    with threaded_server(watching) as base:
        for n in range(6):
            add_feed(first, f"{base}/f{n}.xml")
        reports = {}

        def poll(app, owner):
            reports[owner] = run_watch(app, owner=owner)

        threads = [threading.Thread(target=poll, args=(app, o)) for app, o in ((first, "a:1"), (second, "b:1"))]
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    assert sorted(reports) == ["a:1", "b:1"]
    assert all(len(r.outcomes) == 3 and {o.status for o in r.outcomes} == {"200"} for r in reports.values())
    assert sorted(watching.paths) == [f"/f{n}.xml" for n in range(6)], "every feed fetched, once"
    assert watching.most == {"127.0.0.1": 2}, "never more than per_host at once, across both daemons"
    assert first.store.host_slots_held(first.clock() - timedelta(days=1)) == {}, "every slot given back"


def test_a_failed_fetch_gives_its_slot_back(make_settings, make_app_for):
    """With 1 request at a time to the site, its 3 feeds, each failing (a 500 twice, then an error of our own
    while fetching), are all checked in one round, and no slot is left held: had a failed fetch kept its slot,
    the next feed would have waited for it in vain."""
    watching = _Watching(per_host=1, linger=0.0, status=500)
    app = make_app_for(make_settings(ALLOW.format(per_host=1, batch=10)))
    with threaded_server(watching) as base:
        feeds = [add_feed(app, f"{base}/f{n}.xml") for n in range(3)]
        real_get = app.http.get

        def get(url, **kw):
            if url.endswith("/f2.xml"):
                raise RuntimeError("a bug met by one hostile answer")
            return real_get(url, **kw)

        app.http.get = get  # type: ignore[method-assign]
        report = run_watch(app, owner="me:1")
    assert sorted((o.feed_id, o.status) for o in report.outcomes) == [
        (feeds[0].id, "500"),
        (feeds[1].id, "500"),
        (feeds[2].id, "error"),
    ]
    assert report.left == {}
    assert app.store.host_slots_held(app.clock() - timedelta(days=1)) == {}, "every slot given back"


def test_an_interrupted_poll_gives_back_its_slots(make_settings, make_app_for):
    """Ctrl-C during `feeds watch poll`: the slots of the fetches under way are given back with the feeds."""
    watching = _Watching(per_host=2, linger=0.0)
    app = make_app_for(make_settings(ALLOW.format(per_host=2, batch=10)))
    with threaded_server(watching) as base:
        for n in range(4):
            add_feed(app, f"{base}/f{n}.xml")

        def progress(done, total):
            raise KeyboardInterrupt

        with pytest.raises(KeyboardInterrupt):
            run_watch(app, owner="me:1", progress=progress)
    assert app.store.host_slots_held(app.clock() - timedelta(days=1)) == {}


class _OthersHold:
    """Stands in for `HostSlots`: the hosts in `taken_elsewhere` have every slot held by other daemons until the
    test frees them; the others have `per_host` each."""

    def __init__(self, per_host: int, taken_elsewhere: set[str]):
        self.per_host, self.taken_elsewhere = per_host, taken_elsewhere
        self.held: dict[int, str] = {}
        self.most: dict[str, int] = {}
        self.refused = 0
        self.trades = 0

    def trade(self, ended, wanted):
        self.trades += 1
        for key in ended:
            self.held.pop(key, None)
        granted = set()
        for key, host in wanted:
            if host in self.taken_elsewhere or list(self.held.values()).count(host) >= self.per_host:
                self.refused += 1
                continue
            self.held[key] = host
            granted.add(key)
            self.most[host] = max(self.most.get(host, 0), list(self.held.values()).count(host))
        return granted

    def renew(self):
        pass

    def give_back_all(self):
        self.held.clear()


def _feed(n: int, host: str):
    from types import SimpleNamespace

    return SimpleNamespace(id=n, url=f"http://{host}.example/{n}")


def test_a_feed_refused_a_slot_waits_for_its_host_and_goes_once_the_slots_are_free():
    """`fetched_in_turn`: the feeds of a host whose slots other daemons hold wait (the other hosts' go ahead),
    are asked for again, and go once freed, one at a time, each once."""
    from concurrent.futures import ThreadPoolExecutor

    from feeds.watch.turns import fetched_in_turn

    a1, b1, a2, b2 = _feed(1, "a"), _feed(2, "b"), _feed(3, "a"), _feed(4, "b")
    slots = _OthersHold(per_host=1, taken_elsewhere={"a.example"})
    fetched = []

    def fetch(feed):
        fetched.append(feed.id)
        if feed is b2:
            slots.taken_elsewhere.clear()  # the other daemon is done with host a
        return "ok"

    with ThreadPoolExecutor(max_workers=2) as pool:
        got = [f.id for f, _ in fetched_in_turn(pool, [a1, b1, a2, b2], fetch, ahead=4, per_host=1, slots=slots)]
    assert sorted(got) == [1, 2, 3, 4] and sorted(fetched) == [1, 2, 3, 4], "each fetched and yielded once"
    assert fetched.index(1) > fetched.index(4) and fetched.index(1) < fetched.index(3), "a1 first for host a"
    assert slots.refused >= 1 and slots.most == {"a.example": 1, "b.example": 1} and slots.held == {}


def test_feeds_refused_a_slot_past_the_bound_are_left_for_the_next_round():
    from concurrent.futures import ThreadPoolExecutor

    from feeds.watch.turns import fetched_in_turn

    a1, b1, a2 = _feed(1, "a"), _feed(2, "b"), _feed(3, "a")
    slots = _OthersHold(per_host=2, taken_elsewhere={"a.example"})
    over, left = threading.Event(), []
    with ThreadPoolExecutor(max_workers=2) as pool:
        got = [
            f.id
            for f, _ in fetched_in_turn(
                pool,
                [a1, b1, a2],
                lambda feed: over.set() or "ok",
                ahead=4,
                per_host=2,
                host_wait_over=over.is_set,
                leave=lambda feeds: left.extend(f.id for f in feeds),
                slots=slots,
            )
        ]
    assert got == [2] and sorted(left) == [1, 3], "host a never had a free slot: its feeds left, unfetched"


def test_slots_are_taken_and_given_back_half_a_window_at_a_time():
    """One write per answer (give back its slot, take one for the next feed) made the main thread's time in a
    pass of 304s nearly double: the window is refilled once half of it has been taken, in one write."""
    from concurrent.futures import ThreadPoolExecutor

    from feeds.watch.turns import fetched_in_turn

    feeds = [_feed(n, f"site{n}") for n in range(64)]
    slots = _OthersHold(per_host=2, taken_elsewhere=set())
    with ThreadPoolExecutor(max_workers=4) as pool:
        got = [f.id for f, _ in fetched_in_turn(pool, feeds, lambda feed: "ok", ahead=8, per_host=2, slots=slots)]
    assert sorted(got) == list(range(64)) and slots.held == {}
    # at most: the first window (8), 14 refills of 4 or more, the last 4 answers giving back alone, the end
    assert slots.trades <= 1 + 14 + 4 + 1, f"{slots.trades} writes for 64 fetches"


def test_a_take_that_postgresql_ended_as_a_deadlock_is_run_again(store, now, monkeypatch):
    """Two daemons giving back and taking slots of the same hosts at once can each wait for a row the other has
    locked; PostgreSQL ends one of the two transactions (deadlock_detected), which is run again, not taken for
    a failing database (whose fetches would go ahead without their slots)."""
    import sqlalchemy as sa

    import feeds.store.hostslots as hostslots

    class Deadlock(Exception):
        sqlstate = "40P01"

    real, calls = hostslots._writing_slots, []

    def once_a_deadlock(engine):
        calls.append(1)
        if len(calls) == 1:
            raise sa.exc.OperationalError("INSERT INTO host_slots …", {}, Deadlock("deadlock detected"))
        return real(engine)

    monkeypatch.setattr(hostslots, "_writing_slots", once_a_deadlock)
    assert take(store, "news.example.com", "a:1", now, 2) == [0, 1] and len(calls) == 2


@pytest.mark.postgres
def test_daemons_trading_one_hosts_slots_at_once_never_hold_more_than_per_host(pg_url, now):
    """Three stores (three daemons' connections), each in its own thread, give back their last slot of one host
    and ask for another, again and again, at the same moments: never more than per_host held at once."""
    from feeds.store import open_store

    stores = [open_store(pg_url) for _ in range(3)]
    stores[0].migrate(now)
    lock, holding, most, granted = threading.Lock(), [0], [0], Counter()
    start = threading.Barrier(len(stores))

    def daemon(n, store):
        start.wait(10)
        mine = None
        for _ in range(60):
            give = [("news.example.com", mine)] if mine is not None else []
            if mine is not None:
                with lock:
                    holding[0] -= 1
            (mine,) = store.trade_host_slots(give, ["news.example.com"], now=now, owner=f"d{n}", hold=HOLD, per_host=2)
            if mine is not None:
                with lock:
                    holding[0] += 1
                    most[0] = max(most[0], holding[0])
                    granted[n] += 1

    threads = [threading.Thread(target=daemon, args=(n, s)) for n, s in enumerate(stores)]
    try:
        for t in threads:
            t.start()
        for t in threads:
            t.join(60)
    finally:
        for s in stores:
            s.close()
    assert 1 <= most[0] <= 2, "never more slots held at once than per_host"
    assert sum(granted.values()) >= 60, "the slots went round"


def test_on_sqlite_a_slot_trade_leaves_its_connection_committing_durably(tmp_path, now):
    """The slots' own writes do not wait for the disk (`synchronous=NORMAL`); the connection goes back to the
    pool with FULL, which every other write relies on."""
    import sqlalchemy as sa

    from feeds.store import open_store

    store = open_store(f"sqlite:///{tmp_path / 'state' / 'feeds.db'}")
    store.migrate(now)
    try:
        seen = []

        @sa.event.listens_for(store.engine, "before_cursor_execute")
        def _during(conn, cursor, statement, *args):
            if statement.startswith("INSERT INTO host_slots"):
                seen.append(conn.exec_driver_sql("PRAGMA synchronous").scalar())

        assert take(store, "news.example.com", "a:1", now) == [0]
        store.renew_host_slots(["news.example.com"], now=now, owner="a:1", hold=HOLD)
        with store.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA synchronous").scalar() == 2, "FULL again"
        assert seen == [1], "NORMAL while the slot was taken"
    finally:
        store.close()
