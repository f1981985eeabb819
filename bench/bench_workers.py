"""Benchmark: how the watch stage scales with worker processes sharing one PostgreSQL database.

A local server (its own process, threaded, keep-alive, TCP_NODELAY) answers every `/feed/<n>` after `--latency`
seconds (100 ms by default: a distant publisher) with a small RSS document of 5 items, from `--hosts` addresses
(127.0.0.2 and up, which Linux routes to loopback; 100 by default, feed n on host n mod 100). `[watch] per_host`
keeps its default of 2 requests at once per host, and the daemons share it (host slots in the database): served
from one address, the feeds would let all processes together keep only 2 requests in flight, and the bench would
measure that limit instead of the processes (it did, from 2026-11-29, when the slots became shared, until
2026-11-30: 32.6 / 33.0 / 32.1 feeds/s with 1 / 2 / 4 processes). Consecutive feeds are on different hosts, so
that a claimed batch is not held back by the per-host limit either (with 10 consecutive feeds per host, as
`bench_poll` serves them to measure that holding back: 24.1 / 31.6 / 55.6 feeds/s). For each
configuration a fresh database gets `--feeds` watched feeds (all due) and two keyword rules; then P worker
processes, each with its own App, Store and HTTP client, start together and call `run_watch(app, owner=…)` until
nothing is due. The time is from the common start to the last worker's end; every feed must have been requested
exactly once (counted by the server), or the run is reported as wrong.

    PostgreSQL  1, 2 and 4 processes (`--processes`), one fresh schema each
    SQLite      1 process, for comparison (the embedded default; several processes on one SQLite file would
                queue on its single write lock, and SQLite cannot span machines anyway)

Each process's own fetch pool (`[watch] workers`) also overlaps latency: with W threads one process keeps at most
W requests in flight, so its ceiling is W / latency feeds/s whatever the CPU. The default W = 4 (`--fetch-threads`)
keeps that ceiling low (40 feeds/s at 100 ms) so that the processes, not the threads, are what is compared, and
the CPU stays far from saturated even with 4 processes on a small machine: the speed-up should then be close to
the number of processes. A larger W raises every row alike until the CPU (parsing, storing: the "CPU s" column)
or the database becomes the bottleneck. The default batch (12 feeds per claim) is below `PARALLEL_PARSE_MIN`, so
each process parses its small feeds itself; a batch at or above it makes every process start its own pool of
parser processes (one per CPU), whose start-up the timing then includes.

Measured on a 2-CPU VM (1000 feeds from 100 hosts, 100 ms, W = 4, batch 12; 2026-11-30): PostgreSQL 1 process
34.7 feeds/s, 2 processes 68.0 (1.96x), 4 processes 129.6 (3.73x); SQLite 1 process 35.7. One process reaches
~85% of its ceiling because `run_watch` fetches a window of a batch before it stores any of it.

    cd /work/main && .venv/bin/python bench/bench_workers.py [--feeds 1000] [--latency 0.1] [--fetch-threads 4]
        [--processes 1,2,4] [--batch 12]

PostgreSQL is $FEEDS_TEST_PG (default postgresql://root@127.0.0.1:5432/test); without it the PostgreSQL rows are
skipped with a message and only the SQLite run is shown.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import socket
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from loopback import host_address, serve_on_hosts  # (bench/ is on sys.path when a bench runs)

from feeds.clock import utc_now
from feeds.store import open_store

PG_DSN = os.environ.get("FEEDS_TEST_PG", "postgresql://root@127.0.0.1:5432/test")
SPAWN = multiprocessing.get_context("spawn")
WAIT = 120.0
CONFIG = """
[site]
title = "Bench Press Office"
base_url = "https://press.example.org/"
author = "Bench Press Office"
email = "press@example.org"

[http]
allow = ["127.0.0.0/8"]

[watch]
workers = {threads}
batch = {batch}
lease = "10m"
"""
RULES = (("lavrov", "lavrov"), ("harbour", "harbour AND festival"))


# --- the server (a child process, so its threads do not compete for a worker's GIL) -----------------------------


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 1024  # many clients connect at once; the default of 5 drops SYNs (1 s retransmits)
    latency: float
    hits: Any

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, addr = super().get_request()
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # no delayed-ACK stall between requests
        return sock, addr


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_GET(self) -> None:
        n = int(self.path.rsplit("/", 1)[-1])
        with self.server.hits.get_lock():
            self.server.hits.value += 1
        time.sleep(self.server.latency)  # the simulated network round trip
        topic = "Lavrov meets ministers" if n % 10 == 0 else "Harbour festival draws crowds"
        items = "".join(
            f"<item><title>{topic} ({k})</title><link>https://news{n}.example.com/{k}</link>"
            f'<guid isPermaLink="false">f{n}-{k}</guid><description>Story {k} of feed {n}, in some words.'
            f"</description><pubDate>Sat, 28 Nov 2026 0{k}:00:00 GMT</pubDate></item>"
            for k in range(5)
        )
        body = f'<?xml version="1.0"?><rss version="2.0"><channel><title>Feed {n}</title>{items}</channel></rss>'
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/rss+xml")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _serve(latency: float, hits: Any, hosts: int, ready: Any) -> None:
    def make(address: tuple[str, int]) -> _Server:
        server = _Server(address, _Handler)
        server.latency, server.hits = latency, hits
        return server

    serve_on_hosts(make, hosts, ready.put)


# --- a worker process ------------------------------------------------------------------------------------------


def _worker(config: str, db_url: str, owner: str, barrier: Any, out: Any) -> None:
    from feeds.app import make_app
    from feeds.config import load_settings
    from feeds.watch.poll import run_watch

    app = make_app(load_settings(config, environ={"FEEDS_DATABASE_URL": db_url}), migrate=False)
    polled = failed = 0
    barrier.wait(WAIT)
    started, cpu = time.monotonic(), time.process_time()
    while (report := run_watch(app, owner=owner)).outcomes:
        polled += len(report.outcomes)
        failed += report.failed
    out.put((owner, polled, failed, started, time.monotonic(), time.process_time() - cpu))
    app.close()


# --- one configuration -----------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Result:
    store: str
    processes: int
    seconds: float
    cpu: float
    polled: int
    requested: int
    failed: int
    per_process: tuple[int, ...]

    @property
    def feeds_per_s(self) -> float:
        return self.polled / self.seconds


def run(label: str, db_url: str, processes: int, *, args: argparse.Namespace, port: int, hits: Any) -> Result:
    with tempfile.TemporaryDirectory(prefix="bench-workers-") as tmp:
        config = Path(tmp) / "feeds.toml"
        config.write_text(CONFIG.format(threads=args.fetch_threads, batch=args.batch), encoding="utf-8")
        store = open_store(db_url)
        now = utc_now()
        store.migrate(now)
        for n in range(args.feeds):
            host = host_address(n % args.hosts)  # consecutive feeds on different hosts: see the docstring
            store.add_feed(
                f"http://{host}:{port}/feed/{n}", title=f"Feed {n}", tags=(), interval=1800, origin="bench", now=now
            )
        for name, query in RULES:
            store.add_rule(name, query, origin="bench", now=now)
        with hits.get_lock():
            hits.value = 0
        barrier, out = SPAWN.Barrier(processes + 1), SPAWN.Queue()
        procs = [
            # Not daemonic: with a batch of PARALLEL_PARSE_MIN feeds or more, run_watch starts parser processes.
            SPAWN.Process(target=_worker, args=(str(config), db_url, f"bench-{i}", barrier, out))
            for i in range(processes)
        ]
        for p in procs:
            p.start()
        try:
            barrier.wait(WAIT)
            reports = [out.get(timeout=WAIT) for _ in procs]
        finally:
            for p in procs:
                p.join(30)
                if p.is_alive():
                    p.kill()  # only the processes this run started
                    p.join()
        store.close()
    return Result(
        store=label,
        processes=processes,
        seconds=max(r[4] for r in reports) - min(r[3] for r in reports),
        cpu=sum(r[5] for r in reports),
        polled=sum(r[1] for r in reports),
        requested=hits.value,
        failed=sum(r[2] for r in reports),
        per_process=tuple(sorted((r[1] for r in reports), reverse=True)),
    )


def postgres_unavailable() -> str | None:
    try:
        import psycopg

        with psycopg.connect(PG_DSN, connect_timeout=3):
            return None
    except Exception as e:  # any failure to reach it means: skip the PostgreSQL rows, saying why
        return f"{type(e).__name__}: {' '.join(str(e).split())}"


@contextmanager
def pg_schema() -> Iterator[str]:
    """A PostgreSQL URL whose search_path is a fresh schema, dropped afterwards."""
    import psycopg

    name = f"bench_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{name}"')
    try:
        yield f"{PG_DSN}?options=-csearch_path%3D{name}"
    finally:
        with psycopg.connect(PG_DSN, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{name}" CASCADE')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--feeds", type=int, default=1000)
    parser.add_argument("--latency", type=float, default=0.1, help="seconds the server waits before each answer")
    parser.add_argument("--fetch-threads", type=int, default=4, help="[watch] workers: each process's fetch pool")
    parser.add_argument("--batch", type=int, default=12, help="[watch] batch: feeds claimed per run_watch")
    parser.add_argument("--hosts", type=int, default=100, help="host addresses the feeds are served from")
    parser.add_argument("--processes", default="1,2,4", help="worker process counts to run on PostgreSQL")
    args = parser.parse_args()
    counts = [int(x) for x in args.processes.split(",")]

    hits, ready = SPAWN.Value("i", 0), SPAWN.Queue()
    server = SPAWN.Process(target=_serve, args=(args.latency, hits, args.hosts, ready), daemon=True)
    server.start()
    port = ready.get(timeout=60)
    print(
        f"{args.feeds} feeds from {args.hosts} hosts, {args.latency * 1000:.0f} ms per response, "
        f"{args.fetch_threads} fetch threads and batch {args.batch} per process, {os.cpu_count()} CPUs"
    )
    results: list[Result] = []
    try:
        reason = postgres_unavailable()
        if reason:
            print(f"PostgreSQL at {PG_DSN} is not available ({reason}): SKIPPING the PostgreSQL runs")
        else:
            for n in counts:
                with pg_schema() as url:
                    results.append(run("postgresql", url, n, args=args, port=port, hits=hits))
                print(f"  done: postgresql x{n}", file=sys.stderr)
        with tempfile.TemporaryDirectory(prefix="bench-workers-db-") as tmp:
            results.append(run("sqlite", f"sqlite:///{tmp}/feeds.db", 1, args=args, port=port, hits=hits))
    finally:
        server.terminate()
        server.join(10)
    report(results, args)
    return 0 if all(r.polled == r.requested == args.feeds and not r.failed for r in results) else 1


def report(results: list[Result], args: argparse.Namespace) -> None:
    one = next((r for r in results if r.store == "postgresql" and r.processes == 1), None)
    ceiling = args.fetch_threads / args.latency
    print()
    print(
        f"{'store':<11} {'procs':>5} {'seconds':>8} {'feeds/s':>8} {'speed-up':>8} {'ceiling':>8} {'CPU s':>6}  feeds"
    )
    for r in results:
        speedup = f"{r.feeds_per_s / one.feeds_per_s:.2f}x" if one and r.store == "postgresql" else "-"
        ok = "" if r.polled == r.requested == args.feeds and not r.failed else "  WRONG: see counts"
        print(
            f"{r.store:<11} {r.processes:>5} {r.seconds:>8.2f} {r.feeds_per_s:>8.1f} {speedup:>8} "
            f"{ceiling * r.processes:>8.0f} {r.cpu:>6.1f}  {'+'.join(map(str, r.per_process))}"
            f" (requested {r.requested}, failed {r.failed}){ok}"
        )
    print()
    print(
        f"ceiling = processes x fetch threads / latency: the most a run can do if only the network counted.\n"
        f"speed-up = feeds/s over 1 PostgreSQL process; near-linear means the processes add in-flight requests\n"
        f"without the database or the CPU ({os.cpu_count()} here; CPU s is the workers' total) getting in the way.\n"
        f"feeds = how many feeds each process polled (claims spread the work; no feed is polled twice)."
    )


if __name__ == "__main__":
    sys.exit(main())
