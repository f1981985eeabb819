"""Several daemons on one PostgreSQL database, as separate processes: migrate, poll, crash, single-runner locks.

Every worker is a real process (multiprocessing, spawn) with its own App, Store and connection pool, polling a
real threaded HTTP server on 127.0.0.1 that adds latency to each response and logs every request. Time is a
shared simulated clock the test moves in lockstep with the workers (a round = every worker runs `run_watch`
until nothing is due, at one fixed `now`), so "once per interval" and "after the lease expired" are exact
statements, not races against the wall clock. Only the server's latency is real.
"""

from __future__ import annotations

import multiprocessing
import os
import queue
import signal
import socket
import threading
import time
import traceback
import warnings
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
import sqlalchemy as sa

from feeds.store import migrations as migrations_mod
from feeds.store import open_store
from feeds.store import schema as schema_mod
from tests.leaseclock_helpers import leases_age, server_clock

T0 = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
INTERVAL = 300.0  # the shortest interval the config allows; the simulated clock makes it free
WAIT = 60.0  # upper bound on any cross-process wait: a hang fails the test instead of blocking it
SPAWN = multiprocessing.get_context("spawn")  # no forking of a process that holds threads and connections


# --- the feed server ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Hit:
    feed: int
    round: int
    at: float


class FeedServer(ThreadingHTTPServer):
    """Serves `/feed/<n>`: an RSS document of `items` items, after `latency` seconds.

    Every 5th feed's items mention Lavrov (the test's keyword rule matches them). With `holding` set, requests
    are logged and then kept waiting until `release` is set: a slow server, for a worker to die in the middle of.
    """

    daemon_threads = True
    request_queue_size = 512  # 3 workers x their fetch pools connect at once; the default of 5 drops SYNs

    def __init__(self, latency: float):
        super().__init__(("127.0.0.1", 0), _Handler)
        self.latency = latency
        self.round = 0
        self.items = 1
        self.hits: list[Hit] = []
        self.holding = False
        self.release = threading.Event()
        self.changed = threading.Condition()

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, addr = super().get_request()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # no delayed-ACK stall on keep-alive
        return sock, addr

    def url(self, n: int) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/feed/{n}"

    def record(self, n: int) -> None:
        with self.changed:
            self.hits.append(Hit(n, self.round, time.monotonic()))
            self.changed.notify_all()

    def in_round(self, r: int) -> Counter[int]:
        with self.changed:
            return Counter(h.feed for h in self.hits if h.round == r)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: FeedServer

    def do_GET(self) -> None:
        n = int(self.path.rsplit("/", 1)[-1])
        arrived_in = self.server.round
        self.server.record(n)
        if self.server.holding:
            self.server.release.wait(WAIT)
        else:
            time.sleep(self.server.latency)  # the simulated network: this, not the client's CPU, is the bottleneck
        body = rss(n, self.server.items).encode()
        try:
            self.send_response(200)
            self.send_header("Content-Type", "application/rss+xml")
            self.send_header("ETag", f'"{n}-{arrived_in}"')  # tells which round's response a feed row stored
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)
        except OSError:
            pass  # the client was killed while we held its request

    def log_message(self, format: str, *args: Any) -> None:
        pass


def rss(n: int, items: int) -> str:
    topic = "Lavrov meets ministers" if n % 5 == 0 else "Harbour festival"
    items = "".join(
        f"<item><title>{topic}, part {r}</title><link>https://news{n}.example.com/{r}</link>"
        f'<guid isPermaLink="false">f{n}-r{r}</guid><description>Story {r} of feed {n}.</description>'
        f"<pubDate>Sat, 28 Nov 2026 0{r % 10}:00:00 GMT</pubDate></item>"
        for r in range(items)
    )
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Feed {n}</title>{items}</channel></rss>'


@pytest.fixture
def feed_server() -> Iterator[Callable[[float], FeedServer]]:
    servers: list[FeedServer] = []

    def start(latency: float) -> FeedServer:
        server = FeedServer(latency)
        threading.Thread(target=server.serve_forever, daemon=True).start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.release.set()
        server.shutdown()
        server.server_close()


# --- worker processes (module-level functions: spawn imports this module in the child) ----------------------


class SharedClock:
    """The test's simulated clock, read from shared memory: every process sees the same `now`."""

    def __init__(self, value: Any):
        self.value = value

    def __call__(self) -> datetime:
        return datetime.fromtimestamp(self.value.value, UTC)


def _open_app(config_path: str, db_url: str, clock: Any) -> Any:
    from feeds.app import make_app
    from feeds.config import load_settings

    settings = load_settings(config_path, environ={"FEEDS_DATABASE_URL": db_url})
    return make_app(settings, clock=SharedClock(clock), migrate=False)


def _watch_rounds(config_path: str, db_url: str, owner: str, clock: Any, barrier: Any, rounds: int, out: Any) -> None:
    """Per round: wait for the start, run_watch until nothing is due, report what was polled, wait for the end."""
    from feeds.watch.poll import run_watch

    try:
        app = _open_app(config_path, db_url, clock)
        for r in range(rounds):
            barrier.wait(WAIT)
            polled: list[int] = []
            new_items = new_matches = 0
            errors: list[str] = []
            while (report := run_watch(app, owner=owner)).outcomes:
                polled += [o.feed_id for o in report.outcomes]
                new_items += report.new_items
                new_matches += report.new_matches
                errors += [f"{o.url}: {o.error}" for o in report.outcomes if o.error]
            out.put(("round", owner, r, polled, new_items, new_matches, errors))
            barrier.wait(WAIT)
        app.close()
    except Exception:
        out.put(("crash", owner, traceback.format_exc()))
        barrier.abort()


def _watch_once(config_path: str, db_url: str, owner: str, clock: Any) -> None:
    """The victim: one run_watch, which the test kills while the server holds its requests."""
    from feeds.watch.poll import run_watch

    run_watch(_open_app(config_path, db_url, clock), owner=owner)


def _migrate(db_url: str, barrier: Any, out: Any) -> None:
    try:
        store = open_store(db_url)
        barrier.wait(WAIT)
        applied = store.migrate(T0)
        store.close()
        out.put(("ok", [m.version for m in applied]))
    except Exception:
        out.put(("crash", traceback.format_exc()))


def _lock_handshake(db_url: str, role: str, events: dict[str, Any], out: Any) -> None:
    """A holds `publish` until B has tried it (and must have been refused); then B must get it."""
    try:
        store = open_store(db_url)
        if role == "a":
            with store.exclusive("publish") as got:
                events["a_holds"].set()
                assert events["b_tried"].wait(WAIT)
            events["a_released"].set()
            out.put(("a", got))
        else:
            assert events["a_holds"].wait(WAIT)
            with store.exclusive("publish") as got_while_held:
                pass
            events["b_tried"].set()
            assert events["a_released"].wait(WAIT)
            with store.exclusive("publish") as got_after:
                pass
            out.put(("b", got_while_held, got_after))
        store.close()
    except Exception:
        out.put(("crash", traceback.format_exc()))


def _lock_stress(db_url: str, barrier: Any, inside: Any, overlaps: Any, refusals: Any, holds: int, out: Any) -> None:
    """Enter `publish` until held `holds` times and until someone was refused (so the two really contended);
    while inside, count heads in the room, which must never exceed one."""
    try:
        store = open_store(db_url)
        got = refused = 0
        barrier.wait(WAIT)
        deadline = time.monotonic() + WAIT
        while (got < holds or not refusals.value) and time.monotonic() < deadline:
            with store.exclusive("publish") as mine:
                if not mine:
                    refused += 1
                    with refusals.get_lock():
                        refusals.value += 1
                    continue
                got += 1
                with inside.get_lock():
                    inside.value += 1
                    if inside.value > 1:
                        overlaps.value += 1
                with store.engine.connect() as conn:  # some real work while holding the lock
                    conn.execute(sa.text("SELECT 1")).scalar()
                with inside.get_lock():
                    inside.value -= 1
        store.close()
        out.put(("ok", got, refused))
    except Exception:
        out.put(("crash", traceback.format_exc()))


# --- helpers for the parent ------------------------------------------------------------------------------------


def start(target: Callable[..., None], *args: Any) -> Any:
    # Not daemonic: run_watch may start parser processes of its own (a poll of PARALLEL_PARSE_MIN feeds or more).
    p = SPAWN.Process(target=target, args=args)
    p.start()
    return p


def collect(out: Any, n: int) -> list[tuple[Any, ...]]:
    got = []
    for _ in range(n):
        try:
            msg = out.get(timeout=WAIT)
        except queue.Empty:
            pytest.fail(f"a worker process did not report within {WAIT} s")
        assert msg[0] != "crash", f"worker failed:\n{msg[-1]}"
        got.append(msg)
    return got


def stop(procs: list[Any]) -> None:
    for p in procs:
        p.join(5)
        if p.is_alive():
            p.kill()  # only processes this test started, by handle
            p.join()


def fail_on_crash(out: Any) -> None:
    while True:
        try:
            msg = out.get_nowait()
        except queue.Empty:
            return
        assert msg[0] != "crash", f"worker failed:\n{msg[-1]}"


LEASED = "SELECT count(*) FROM watched_feeds WHERE lease_owner IS NOT NULL"
WATCH_CONFIG = """
[http]
allow = ["127.0.0.1"]

[watch]
workers = {workers}
per_host = {per_host}
batch = {batch}
lease = "{lease}"
"""
# (per_host: every feed here is served by one local server, and the limit holds across every daemon sharing the
# database: up to 3 daemons, each to fetch its whole batch at once; a killed one's slots stay held until they run out)


@pytest.fixture
def deployment(make_settings, pg_url):
    """A config on the test's PostgreSQL schema, migrated, plus a way to add `n` feeds served by a server."""

    def make(*, workers: int, batch: int, lease: str) -> tuple[str, Any]:
        config = WATCH_CONFIG.format(workers=workers, per_host=3 * workers, batch=batch, lease=lease)
        settings = make_settings(config, database_url=pg_url)
        store = open_store(pg_url)
        store.migrate(T0)
        return str(settings.path), store

    return make


def add_feeds(store: Any, server: FeedServer, n: int) -> dict[int, int]:
    """Watch `n` feeds of `server`; return {feed id: server feed number}."""
    ids = {}
    for k in range(n):
        f = store.add_feed(server.url(k), title=f"Feed {k}", tags=(), interval=INTERVAL, origin="test", now=T0)
        ids[f.id] = k
    return ids


def run_rounds(
    server: FeedServer,
    clock: Any,
    barrier: Any,
    out: Any,
    times: list[datetime],
    workers: int,
    *,
    grow: bool,
    leases: Any = None,
) -> list[list[tuple[Any, ...]]]:
    """Drive the workers through one round per entry of `times` (with `grow`, each feed gains an item per round);
    return each round's worker reports. With `leases` (a store), the time between rounds passes for the leases
    too (`leases_age`: on PostgreSQL they run by the server's clock, which the simulated one does not move)."""
    reports = []
    for r, at in enumerate(times):
        if leases is not None and r:
            leases_age(leases, at - times[r - 1])
        server.round = r
        server.items = r + 1 if grow else 1
        clock.value = at.timestamp()
        try:
            barrier.wait(WAIT)  # go
            barrier.wait(WAIT)  # everyone found nothing more due
        except threading.BrokenBarrierError:
            fail_on_crash(out)
            raise
        reports.append(collect(out, workers))
    return reports


# --- (a) migrate ----------------------------------------------------------------------------------------------


@pytest.mark.postgres
def test_concurrent_migrate_applies_each_migration_once(pg_url):
    n = 4
    barrier, out = SPAWN.Barrier(n), SPAWN.Queue()
    procs = [start(_migrate, pg_url, barrier, out) for _ in range(n)]
    try:
        results = collect(out, n)
    finally:
        stop(procs)
    applied = sorted(v for _, versions in results for v in versions)
    assert applied == [m.version for m in migrations_mod.MIGRATIONS], "every migration applied by exactly one process"
    store = open_store(pg_url)
    try:
        with store.engine.connect() as conn:
            rows = conn.execute(sa.select(schema_mod.schema_migrations.c.version)).scalars().all()
        assert sorted(rows) == [m.version for m in migrations_mod.MIGRATIONS]
        assert store.pending_migrations() == []
    finally:
        store.close()


# --- (b) three workers share 300 feeds ------------------------------------------------------------------------


@pytest.mark.postgres
def test_three_workers_poll_every_feed_exactly_once_per_interval(deployment, feed_server, pg_url):
    feeds, rounds, workers = 300, 3, 3
    config, store = deployment(workers=4, batch=10, lease="190s")
    server = feed_server(0.03)
    ids = add_feeds(store, server, feeds)
    store.add_rule("lavrov", "lavrov", origin="test", now=T0)
    clock, barrier, out = SPAWN.Value("d", T0.timestamp()), SPAWN.Barrier(workers + 1), SPAWN.Queue()
    owners = [f"worker-{w}" for w in range(workers)]
    procs = [start(_watch_rounds, config, pg_url, o, clock, barrier, rounds, out) for o in owners]
    try:
        # (a round every interval plus its spread: a success's next check is up to 10% later, to break lockstep)
        times = [T0 + timedelta(seconds=INTERVAL * 1.1 * r) for r in range(rounds)]
        reports = run_rounds(server, clock, barrier, out, times, workers, grow=True)
    finally:
        stop(procs)
    try:
        everyone = Counter(range(feeds))
        per_worker: Counter[str] = Counter()
        for r, round_reports in enumerate(reports):
            assert server.in_round(r) == everyone, f"round {r}: each feed requested exactly once"
            polled = Counter(fid for rep in round_reports for fid in rep[3])
            assert Counter(ids[fid] for fid in polled.elements()) == everyone, f"round {r}: each feed checked once"
            assert [e for rep in round_reports for e in rep[6]] == []
            per_worker.update({rep[1]: len(rep[3]) for rep in round_reports})
        assert set(per_worker) == set(owners) and min(per_worker.values()) > 0, f"all took part: {per_worker}"
        new_items = sum(rep[4] for rr in reports for rep in rr)
        new_matches = sum(rep[5] for rr in reports for rep in rr)
        assert store.count_items() == new_items == feeds * rounds, "one item per feed per round, stored once"
        assert store.count_matches() == new_matches == feeds // 5 * rounds, "one match per Lavrov item, found once"
        with store.engine.connect() as conn:
            leased = conn.execute(sa.text(LEASED)).scalar()
        assert leased == 0, "every lease was released by record_check"
        due = [f.next_check for f in store.feeds()]
        assert all(
            times[-1] + timedelta(seconds=INTERVAL) <= at <= times[-1] + timedelta(seconds=INTERVAL * 1.1) for at in due
        )
        assert len(set(due)) > 1, "feeds checked together are spread apart, not kept in step"
    finally:
        store.close()


# --- (c) a worker killed mid-poll ----------------------------------------------------------------------------


@pytest.mark.postgres
def test_a_killed_workers_feeds_are_polled_by_the_others_after_its_lease(deployment, feed_server, pg_url):
    feeds, batch, lease = (
        40,
        8,
        190.0,
    )  # (simulated time; the floor at the default timeouts: one fetch at its deadlines)
    config, store = deployment(workers=batch, batch=batch, lease=f"{lease:g}s")
    server = feed_server(0.02)
    ids = add_feeds(store, server, feeds)
    clock = SPAWN.Value("d", T0.timestamp())
    server.holding = True
    victim = start(_watch_once, config, pg_url, "victim", clock)
    try:
        with server.changed:
            assert server.changed.wait_for(lambda: len(server.hits) == batch, WAIT), "the victim fetches its batch"
        os.kill(victim.pid, signal.SIGKILL)
        victim.join(WAIT)
    finally:
        stop([victim])
    server.holding = False
    server.release.set()
    assert victim.exitcode == -signal.SIGKILL
    held = {h.feed for h in server.hits}
    with store.engine.connect() as conn:
        leases = conn.execute(sa.text(LEASED.replace("count(*)", "id, lease_owner, lease_until"))).all()
    assert {ids[fid] for fid, _, _ in leases} == held and {o for _, o, _ in leases} == {"victim"}
    now = server_clock(store)  # (leases run by the server's clock, whatever the simulated one says)
    assert all(now < until <= now + timedelta(seconds=lease) for _, _, until in leases)
    server.hits.clear()

    workers = 2
    barrier, out = SPAWN.Barrier(workers + 1), SPAWN.Queue()
    procs = [start(_watch_rounds, config, pg_url, f"survivor-{w}", clock, barrier, 2, out) for w in range(workers)]
    try:
        # Round 0, the same instant: the victim's leases still stand. Round 1: just past them, before the interval.
        times = [T0, T0 + timedelta(seconds=lease + 1)]
        run_rounds(server, clock, barrier, out, times, workers, grow=False, leases=store)
    finally:
        stop(procs)
    try:
        assert server.in_round(0) == Counter(set(range(feeds)) - held), "everything but the leased feeds, once each"
        assert server.in_round(1) == Counter(held), "the dead worker's feeds, once each, after its lease expired"
        checked = store.feeds()
        assert all(f.last_checked is not None and f.failures == 0 for f in checked)
        assert store.count_items() == feeds
        with store.engine.connect() as conn:
            assert conn.execute(sa.text(LEASED)).scalar() == 0, "no lease left behind"
    finally:
        store.close()


@pytest.mark.postgres
def test_a_stalled_worker_that_lost_its_lease_does_not_overwrite_the_newer_check(deployment, feed_server, pg_url):
    feeds, batch, lease = (
        20,
        4,
        190.0,
    )  # (simulated time; the floor at the default timeouts: one fetch at its deadlines)
    config, store = deployment(workers=batch, batch=batch, lease=f"{lease:g}s")
    server = feed_server(0.01)
    ids = add_feeds(store, server, feeds)
    clock = SPAWN.Value("d", T0.timestamp())
    server.holding, server.round = True, 99
    sleeper = start(_watch_once, config, pg_url, "sleeper", clock)
    workers = 2
    barrier, out = SPAWN.Barrier(workers + 1), SPAWN.Queue()
    procs = [start(_watch_rounds, config, pg_url, f"survivor-{w}", clock, barrier, 2, out) for w in range(workers)]
    try:
        with server.changed:
            assert server.changed.wait_for(lambda: len(server.hits) == batch, WAIT), "the sleeper fetches its batch"
        os.kill(sleeper.pid, signal.SIGSTOP)  # paused mid-check, leases held: a GC pause, a frozen VM
        held = {h.feed for h in server.hits}
        server.holding = False
        server.release.set()  # its responses (ETag "<n>-99") wait in its socket buffers
        times = [T0, T0 + timedelta(seconds=lease + 1)]
        run_rounds(server, clock, barrier, out, times, workers, grow=False, leases=store)
        assert server.in_round(1) == Counter(held), "the others re-checked the sleeper's feeds after its lease"
        os.kill(sleeper.pid, signal.SIGCONT)  # it wakes up, stores what it fetched, and records its checks
        sleeper.join(WAIT)
        assert sleeper.exitcode == 0
    finally:
        stop([sleeper, *procs])
    try:
        by_number = {ids[f.id]: f for f in store.feeds()}
        assert {n: f.etag for n, f in by_number.items() if n in held} == {n: f'"{n}-1"' for n in held}, (
            "the late worker's older result did not overwrite the newer check"
        )
        assert all(f.last_checked is not None and f.next_check is not None for f in by_number.values())
        assert store.count_items() == feeds, "its items were known already: nothing stored twice"
    finally:
        store.close()


@pytest.mark.postgres
def test_items_inserted_by_another_worker_meanwhile_are_skipped_not_an_error(pg_url):
    """Two workers storing one feed at once (a lease expired mid-check): the second insert of an item is skipped."""
    from feeds.model import WatchItem

    store, other = open_store(pg_url), open_store(pg_url)
    try:
        store.migrate(T0)
        feed = store.add_feed("https://news.example.com/f", title="F", tags=(), interval=INTERVAL, origin="t", now=T0)

        def item(key: str) -> WatchItem:
            return WatchItem(key=key, title=key, link=None, guid=key, summary="", content_text="",
                             author="", published=T0, updated=T0, tags=(), content_hash=key)  # fmt: skip

        raced = []

        @sa.event.listens_for(store.engine, "before_cursor_execute")
        def _other_worker_first(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            if statement.startswith("INSERT INTO items") and not raced:
                raced.append(True)  # between our "which keys exist?" and our insert, the other worker commits one
                other.upsert_items(feed.id, [item("b")], T0)

        got = store.upsert_items(feed.id, [item("a"), item("b")], T0)
        assert raced and [(it.key, status) for _, it, status in got] == [("a", "new")]
        assert sorted(s.item.key for s in store.stored_items()) == ["a", "b"]
        assert store.feed(feed.id).items_seen == 2
    finally:
        store.close()
        other.close()


def test_a_config_feed_and_rule_imported_by_two_daemons_starting_at_once_are_one_each(pg_url):
    """Two daemons starting together both import the config: the one whose insert comes second finds the feed and
    the rule there (it used to stop with UniqueViolation on watched_feeds_url_key)."""
    store, other = open_store(pg_url), open_store(pg_url)
    try:
        store.migrate(T0)
        url = "https://news.example.com/config-feed"
        raced = []

        @sa.event.listens_for(store.engine, "before_cursor_execute")
        def _other_daemon_first(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            if statement.startswith("INSERT INTO watched_feeds") and "feed" not in raced:
                raced.append("feed")  # the other daemon commits the same feed just before our insert
                other.import_feed(url, title="F", tags=(), interval=INTERVAL, origin="config", now=T0)
            if statement.startswith("INSERT INTO rules") and "rule" not in raced:
                raced.append("rule")
                other.import_rule("iran", "iran", origin="config", now=T0)

        feed, created = store.import_feed(url, title="F", tags=(), interval=INTERVAL, origin="config", now=T0)
        rule, changed = store.import_rule("iran", "iran", origin="config", now=T0)
        assert raced == ["feed", "rule"]
        assert (feed.url, created) == (url, False) and [f.url for f in store.feeds()] == [url]
        assert (rule.name, changed) == ("iran", False) and [r.name for r in store.rules()] == ["iran"]
    finally:
        store.close()
        other.close()


# --- (d) single-runner sections -------------------------------------------------------------------------------


@pytest.fixture
def lock_db(db_url):
    store = open_store(db_url)
    store.migrate(T0)
    store.close()
    return db_url


def test_exclusive_handshake_between_processes(lock_db):
    events = {name: SPAWN.Event() for name in ("a_holds", "b_tried", "a_released")}
    out = SPAWN.Queue()
    procs = [start(_lock_handshake, lock_db, role, events, out) for role in ("a", "b")]
    try:
        results = {msg[0]: msg[1:] for msg in collect(out, 2)}
    finally:
        stop(procs)
    assert results["a"] == (True,)
    assert results["b"] == (False, True), "refused while the other process held it, granted once it let go"


def test_exclusive_never_has_two_holders(lock_db):
    barrier, out = SPAWN.Barrier(2), SPAWN.Queue()
    inside, overlaps, refusals = SPAWN.Value("i", 0), SPAWN.Value("i", 0), SPAWN.Value("i", 0)
    holds = 200
    procs = [start(_lock_stress, lock_db, barrier, inside, overlaps, refusals, holds, out) for _ in range(2)]
    try:
        results = collect(out, 2)
    finally:
        stop(procs)
    assert overlaps.value == 0, "two processes were inside `publish` at once"
    assert all(got >= holds for _, got, _ in results), results
    assert sum(refused for _, _, refused in results) > 0, f"the processes never contended: {results}"


# --- (e) a database made with a language's collation ----------------------------------------------------------


@pytest.fixture
def language_collated(pg_url):
    """A migrated store whose release columns compare as a language's collation does, punctuation weighed last
    (as glibc's en_US.UTF-8 does: what `createdb` gives on a server set up in that locale, Debian's and the
    official Docker image's default), rather than code point by code point as SQLite and the test database do."""
    store = open_store(pg_url)
    try:
        store.migrate(T0)
        with store.engine.begin() as conn:
            try:
                conn.execute(sa.text("CREATE COLLATION lang (provider = icu, locale = 'en-US-u-ka-shifted')"))
            except sa.exc.DBAPIError as e:
                reason = f"this PostgreSQL cannot make an ICU collation: {e.orig}"
                warnings.warn(f"SKIPPING language-collation test: {reason}", stacklevel=2)
                pytest.skip(f"SKIPPED: {reason}")
            for column in ("id", "identity", "slug"):
                conn.execute(sa.text(f"ALTER TABLE releases ALTER COLUMN {column} TYPE text COLLATE lang"))
        yield store
    finally:
        store.close()


def _tied(n: int, slug: str) -> Any:
    """A release `slug` published at the same moment as every other `_tied` one."""
    from feeds.model import Release

    return Release(
        id=f"tag:press.example.org,2026-11-28:{slug}",
        identity=f"key:{slug}",
        slug=slug,
        permalink=f"https://press.example.org/releases/{slug}/",
        title=f"Release {n}",
        summary="Summary",
        body_html="<p>Body</p>",
        body_text="Body",
        published=T0,
        updated=T0,
        organisation="Office",
        topics=(),
        language="en-GB",
        document_type="press_release",
        source="inbox",
        origin=f"/in/{slug}.txt",
        content_hash=f"h{n}",
    )


@pytest.mark.postgres
def test_a_third_release_with_a_taken_headline_is_stored_on_a_language_collated_database(language_collated):
    """On such a database `visit-2` did not sort between `visit-` and `visit.`, so it was not seen as taken: the
    third release headed "Visit" was given `visit-2` again and failed with UniqueViolation at every try."""
    with language_collated.transaction() as tx:
        tx.insert_releases([_tied(1, "visit"), _tied(2, "visit-2"), _tied(3, "visit-10"), _tied(4, "visits")], T0)
    with language_collated.transaction() as tx:
        assert tx.taken_slugs(["visit"]) == {"visit", "visit-2", "visit-10"}


@pytest.mark.postgres
def test_releases_stored_together_keep_the_sqlite_order_on_a_language_collated_database(language_collated):
    """Releases that went public at the same moment (a batch of files) are put in archive pages by id, in code point
    order as on SQLite: by the database's collation, a copied installation cut its archives differently, and
    every archive page (cached for a day as complete) changed its bytes after the move."""
    slugs = ["a-1-b", "a-10-b", "a-2-b", "a.b", "ab", "a-b"]
    with language_collated.transaction() as tx:
        tx.insert_releases([_tied(n, s) for n, s in enumerate(slugs)], T0)
    ids = sorted(f"tag:press.example.org,2026-11-28:{s}" for s in slugs)
    assert language_collated.release_archive_order() == ids
    assert [r.id for r in language_collated.releases()] == ids[::-1]


def _terminate_lock_holder(store: Any, name: str) -> int:
    """End the database session holding the named advisory lock, as a PostgreSQL restart would (from another
    session: a superuser's `pg_terminate_backend`); how many sessions were ended."""
    from feeds.store.locks import lock_key

    with store.engine.connect() as conn:
        scope = conn.execute(sa.text("SELECT current_database() || '.' || current_schema()")).scalar()
        key = lock_key(name, str(scope)) & 0xFFFFFFFFFFFFFFFF
        q = sa.text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_locks WHERE locktype = 'advisory' AND granted"
            " AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"
            " AND classid = :hi AND objid = :lo AND objsubid = 1"
        )
        ended = int(conn.execute(q, {"hi": key >> 32, "lo": key & 0xFFFFFFFF}).scalar_one())
        conn.commit()
    return ended


@pytest.mark.postgres
def test_a_run_whose_lock_went_with_a_restarted_database_is_not_failed_by_the_unlock(pg_url, caplog):
    """The database restarting during a publish ends the session holding the lock, and the lock with it. The run's
    work was done (its writes go through other connections), but unlocking on the dead session raised, so the
    daemon logged `publish failed: database unavailable: terminating connection…` for a publish that had
    written every file (and an ingest that had stored its files did not trigger the publish)."""
    store, other = open_store(pg_url), open_store(pg_url)
    try:
        store.migrate(T0)
        with caplog.at_level("WARNING", logger="feeds.store"), store.exclusive("publish") as got:
            assert got
            assert _terminate_lock_holder(store, "publish") == 1
            with other.exclusive("publish") as taken:
                assert taken, "the lock went with the session: another daemon may run meanwhile"
        assert "publish lock was lost" in caplog.text
        with pytest.raises(ValueError, match="the run's own error"), store.exclusive("publish") as got:
            assert got and _terminate_lock_holder(store, "publish") == 1
            raise ValueError("the run's own error")  # not hidden behind the unlock's
        with store.exclusive("publish") as got:
            assert got, "the next run takes the lock as usual"
    finally:
        store.close()
        other.close()


# --- (f) a schema named in the URL ------------------------------------------------------------------------------


@pytest.mark.postgres
def test_a_url_whose_schema_does_not_exist_says_which_and_what_to_do(pg_url):
    """`?options=-csearch_path%3Dstaging` before `CREATE SCHEMA staging`: the operator saw only `InvalidSchemaName:
    no schema has been selected to create in`, from `feeds db copy`, `feeds db migrate` and a daemon's start."""
    from feeds.errors import StoreError

    url = pg_url.replace("search_path%3D", "search_path%3Dnosuch_")  # a schema nobody created
    store = open_store(url)
    try:
        with pytest.raises(StoreError, match=r"search_path \(nosuch_t_\w+\).*CREATE SCHEMA nosuch_t_\w+"):
            store.migrate(T0)
    finally:
        store.close()
