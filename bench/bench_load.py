"""Load: a bounded run against a real daemon (`python -m feeds run`, a subprocess on 127.0.0.1) while it polls
watched feeds and publishes.

    pushers   --releases releases POSTed to /api/releases with the bearer token, each with its own source_key,
              from --push-threads threads (one release per request)
    readers   --feed-requests GETs of out/ documents (atom.xml, rss.xml, feed.json, index.html, topic feeds)
              from --read-threads threads, each sending back the ETag it last saw (If-None-Match)
    the daemon  polls --feeds watched feeds on a local feed server, ingests, publishes (debounced) throughout

Afterwards: no request failed (no exception, no status >= 400, readers saw only 200 or 304); the database holds
exactly one release per pushed source_key; the current feed and its archives list every release (each archived
once: RFC 5005); every file in out/ is complete and valid (tests/chaos/outcheck.py); a publish now would change
nothing; the daemon exits 0 on SIGTERM. Prints throughput and p50/p99/max latency per kind of request.

Bounded: every loop stops at its count or at --timeout seconds; all traffic goes to 127.0.0.1.

    cd /work/main && .venv/bin/python bench/bench_load.py [--releases 2000] [--feed-requests 5000]
        [--push-threads 4] [--read-threads 4] [--feeds 20] [--timeout 300] [--json FILE] [--keep]
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.chaos.deploy import Deployment, wait_until  # noqa: E402
from tests.chaos.feedserver import FeedServer  # noqa: E402
from tests.chaos.outcheck import listing_problems, problems_in  # noqa: E402
from tests.ports import free_port  # noqa: E402

TOKEN = "bench-load-token-0123456789abcdef"
DOCUMENTS = ("atom.xml", "rss.xml", "feed.json", "index.html", "topics/quays/atom.xml", "topics/quays/feed.json")


@dataclass
class Series:
    """Latencies and outcomes of one kind of request."""

    latencies: list[float] = field(default_factory=list)
    statuses: Counter[int] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, seconds: float, status: int) -> None:
        with self.lock:
            self.latencies.append(seconds)
            self.statuses[status] += 1

    def fail(self, message: str) -> None:
        with self.lock:
            self.errors.append(message)

    def summary(self, wall: float) -> dict[str, float | int | dict[str, int]]:
        ms = sorted(x * 1000 for x in self.latencies)
        n = len(ms)

        def pct(p: float) -> float:
            return round(ms[min(n - 1, int(p * n))], 1) if n else 0.0

        return {
            "requests": n,
            "errors": len(self.errors),
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "per_second": round(n / wall, 1) if wall else 0.0,
            "p50_ms": pct(0.50),
            "p99_ms": pct(0.99),
            "max_ms": round(ms[-1], 1) if n else 0.0,
            "mean_ms": round(statistics.fmean(ms), 1) if n else 0.0,
        }


def release(n: int) -> dict[str, object]:
    return {
        "title": f"Load release {n}: works at quay {n % 13}",
        "body": f"The harbour office announced works at quay {n % 13} (load release {n}).\n\nMore follows.",
        "published": f"2026-11-{1 + n % 27:02d}T{n % 24:02d}:{n % 60:02d}:00Z",
        "topics": ["Quays"],
        "source_key": f"load-{n}",
    }


def pusher(base: str, numbers: list[int], series: Series, deadline: float) -> None:
    with requests.Session() as session:
        headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
        for n in numbers:
            if time.monotonic() > deadline:
                series.fail("deadline reached before every release was pushed")
                return
            started = time.perf_counter()
            try:
                resp = session.post(f"{base}/api/releases", data=json.dumps(release(n)), headers=headers, timeout=30)
            except requests.RequestException as e:
                series.fail(f"push {n}: {e}")
                continue
            series.add(time.perf_counter() - started, resp.status_code)
            if resp.status_code != 201:
                series.fail(f"push {n}: {resp.status_code} {resp.text[:200]}")


def reader(base: str, count: int, series: Series, deadline: float, offset: int) -> None:
    etags: dict[str, str] = {}
    with requests.Session() as session:
        for i in range(count):
            if time.monotonic() > deadline:
                series.fail("deadline reached before every feed request was made")
                return
            doc = DOCUMENTS[(i + offset) % len(DOCUMENTS)]
            headers = {"If-None-Match": etags[doc]} if doc in etags else {}
            started = time.perf_counter()
            try:
                resp = session.get(f"{base}/{doc}", headers=headers, timeout=30)
            except requests.RequestException as e:
                series.fail(f"GET {doc}: {e}")
                continue
            series.add(time.perf_counter() - started, resp.status_code)
            if resp.status_code == 200 and "ETag" in resp.headers:
                etags[doc] = resp.headers["ETag"]
            elif resp.status_code == 404 and doc.startswith("topics/"):
                continue  # the topic appears with the first published release of it
            elif resp.status_code not in (200, 304):
                series.fail(f"GET {doc}: {resp.status_code}")


def run(args: argparse.Namespace) -> dict[str, object]:
    root = Path(tempfile.mkdtemp(prefix="feeds-load-"))
    figures: dict[str, object] = {"releases": args.releases, "feed_requests": args.feed_requests}
    with FeedServer(items=10, delay=0.02) as feeds:
        dep = Deployment(
            root / "site",
            feed_urls=[feeds.url("good", f"load-{i}") for i in range(args.feeds)],
            token=TOKEN,
            rate_limit=1_000_000,
        )
        port = free_port()
        proc = dep.start(port=port)
        try:
            dep.wait_for_port(port, proc)
            wait_until(lambda: (dep.out / "index.html").exists(), 30, "the first publish")
            base = f"http://127.0.0.1:{port}"
            deadline = time.monotonic() + args.timeout
            pushes, reads = Series(), Series()
            numbers = list(range(1, args.releases + 1))
            threads = [
                threading.Thread(target=pusher, args=(base, numbers[i :: args.push_threads], pushes, deadline))
                for i in range(args.push_threads)
            ]
            per_reader = args.feed_requests // args.read_threads
            threads += [
                threading.Thread(target=reader, args=(base, per_reader, reads, deadline, i))
                for i in range(args.read_threads)
            ]
            started = time.monotonic()
            for t in threads:
                t.start()
            for t in threads:
                t.join(timeout=max(1.0, deadline - time.monotonic() + 5))
            wall = time.monotonic() - started
            figures["wall_seconds"] = round(wall, 1)
            figures["push"] = pushes.summary(wall)
            figures["read"] = reads.summary(wall)
            expected = args.releases
            wait_until(
                lambda: dep.query("SELECT COUNT(*) FROM releases") == [(expected,)],
                max(5.0, deadline - time.monotonic()),
                "every pushed release to be stored",
            )
            wait_until(lambda: not dep.publish_would_change(), 120, "the daemon to publish everything", interval=1)
            figures["items_stored"] = dep.query("SELECT COUNT(*) FROM items")[0][0]
        finally:
            code = dep.stop(proc)
            dep.close()
    figures["daemon_exit"] = code
    keys = [str(k) for (k,) in dep.query("SELECT identity FROM releases")]
    listing = listing_problems(dep.out, [str(i) for (i,) in dep.query("SELECT id FROM releases")])
    problems = problems_in(dep.out) + listing
    checks = {
        "no request failed": not pushes.errors and not reads.errors,
        "one release per source_key": sorted(keys) == sorted(f"key:load-{n}" for n in numbers),
        "every release listed in feed.json + archives, archived once": not listing,
        "every file in out/ valid": not problems,
        "database integrity ok": dep.integrity() == "ok",
        "daemon exited 0 on SIGTERM": code == 0,
    }
    figures["checks"] = checks
    figures["errors"] = (pushes.errors + reads.errors)[:10] + problems[:10]
    if args.keep:
        figures["kept"] = str(root)
    else:
        shutil.rmtree(root, ignore_errors=True)
    return figures


def print_table(figures: dict[str, object]) -> None:
    print(
        f"load: {figures['releases']} pushed releases, {figures['feed_requests']} feed requests, "
        f"{figures['wall_seconds']} s wall clock"
    )
    print(f"{'kind':8} {'requests':>8} {'errors':>6} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8}  statuses")
    for kind in ("push", "read"):
        s = figures[kind]
        assert isinstance(s, dict)
        print(
            f"{kind:8} {s['requests']:>8} {s['errors']:>6} {s['per_second']:>8} {s['p50_ms']:>8} {s['p99_ms']:>8} "
            f"{s['max_ms']:>8}  {s['statuses']}"
        )
    checks = figures["checks"]
    assert isinstance(checks, dict)
    for name, ok in checks.items():
        print(f"  [{'ok' if ok else 'FAILED'}] {name}")
    for e in figures.get("errors", []):  # type: ignore[union-attr]
        print(f"  error: {e}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--releases", type=int, default=2000)
    parser.add_argument("--feed-requests", type=int, default=5000)
    parser.add_argument("--push-threads", type=int, default=4)
    parser.add_argument("--read-threads", type=int, default=4)
    parser.add_argument("--feeds", type=int, default=20, help="watched feeds the daemon polls meanwhile")
    parser.add_argument("--timeout", type=float, default=300, help="seconds before every loop gives up")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--keep", action="store_true", help="keep the deployment folder (its daemon.log)")
    args = parser.parse_args()
    figures = run(args)
    print_table(figures)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2), encoding="utf-8")
    checks = figures["checks"]
    assert isinstance(checks, dict)
    return 0 if all(checks.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
