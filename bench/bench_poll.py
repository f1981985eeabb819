"""Benchmark: the watch stage polling many feeds over HTTP, versus the `reader` library and a bare fetch + lxml floor.

A local server (its own process, HTTP/1.1 keep-alive, TCP_NODELAY) serves `--feeds` URLs from `--hosts` addresses
(127.0.0.2 and up, which Linux routes to loopback: 100 by default, 10 consecutive feeds on each, as a watch
list of many news sites imported site by site; `[watch] per_host` keeps its default of 2, and holds each site's
feeds back while other sites' go ahead; served from one address, as before, the bench would measure that limit
instead of the poll); feed N
answers with corpus file N mod 75 of ../shared/corpus/feeds (read in place), an `ETag` and a `Last-Modified`, and
304 to a matching `If-None-Match` (or, without one, a matching `If-Modified-Since`: RFC 9110 §13.2.2). In one
run, every contender polls the same URLs with 16 threads:

    floor                  requests (shared Session, pool 16) + lxml.etree.fromstring / json.loads per body,
                           both in the fetch threads: what fetching and reading the XML costs at the least
    feeds, first pass      `run_watch(app)` on a fresh SQLite deployment with every feed due ([watch] workers =
                           16, batch = all feeds) and a few keyword rules: fetch, parse, sanitise, store, match
    feeds, 304 pass        the clock moved past every feed's next check, `run_watch(app)` again: all 304s
    feeds, same bodies     the server stops sending validators (as many do): full 200s with the same bytes,
                           which `run_watch` recognises by their digest and does not parse again
    feeds, new bodies      besides, every body differs (a comment, or white space, added per request, as when
                           a feed's lastBuildDate is the request's time): parsed, but its items, all stored
                           already and unchanged, are not matched again
    reader, first pass     `reader.update_feeds(workers=16, scheduled=False)` on a fresh reader database
    reader, 304 pass       the same again (reader sends the validators it stored)

The table gives wall-clock seconds (the work is threaded; this process's CPU seconds are shown beside them, and
are the steadier figure when other work shares the machine: the load average is printed first), the CPU seconds
of the worker processes that parse and match (Linux only: read from /proc; the server's are left out), feeds/s
and items/s (items stored; for the floor, the entries found in the bodies), then the ratios the issue
sets targets for: first pass at least 10x faster than reader's, within 5x of the floor; 304 pass no slower than
reader's. Each row's note says what the server answered during that pass. reader refuses feeds that feedparser
flags as malformed ("bozo") and then never stores their validators, so it stores fewer items than we do and
fetches those feeds in full again on its 304 pass; the items/s line compares per item for that reason.

`--profile` adds three more first passes: one with a wall-clock timer around each stage of the main thread
(store; parse and match too when they run there: with this many feeds they run in worker processes, which
these timers and the next do not see), one under cProfile (the functions with the most time of their own),
one fetching only, through `feeds.fetch.HttpClient`, to set beside the floor. `--no-rules` polls without
keyword rules, so that matching (which reader does not do) costs nothing.

    cd /work/main && .venv/bin/python bench/bench_poll.py [--feeds 1000] [--skip-reader] [--reader-feeds N]
        [--workers 16] [--no-rules] [--profile] [--corpus ../shared/corpus/feeds]

The `reader` baseline needs `reader` (>= 3.26) and `sgmllib3k` installed beside feedparser 6; without them it is
skipped with a message. `--reader-feeds N` runs reader on the first N feeds only and scales its times to
`--feeds` (labelled as such). Whole runtime with the defaults: about 1.5 minutes on an idle 2-core machine,
half of it reader's first pass; `--profile` adds about 1.5 minutes.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import json
import logging
import multiprocessing
import os
import pstats
import socket
import sys
import tempfile
import threading
import time
import warnings
from collections import Counter
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta
from email.utils import parsedate_to_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import requests
from loopback import host_address, serve_on_hosts  # (bench/ is on sys.path when a bench runs)
from lxml import etree

from feeds.app import App, make_app
from feeds.clock import FixedClock, utc_now
from feeds.config import load_settings
from feeds.fetch import Fetched
from feeds.watch.manage import add_feed, add_rule
from feeds.watch.poll import WatchReport, run_watch

ROOT = Path(__file__).resolve().parent.parent
LAST_MODIFIED = "Sat, 28 Nov 2026 09:00:00 GMT"
RULES = ("climate OR emissions", "election", "apple AND iphone", "nasa", "ukraine OR russia", "python")
_MEDIA = {".atom": "application/atom+xml", ".rdf": "application/rdf+xml", ".json": "application/feed+json"}


# --- the server (a child process, so its work does not compete for this process's GIL) -----------------------


def _corpus(folder: Path) -> list[tuple[str, bytes]]:
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.name != "MANIFEST.tsv")
    return [(p.name, p.read_bytes()) for p in files]


class _State:
    """What every address of the server shares: the files, the answers sent, and the mode of the pass."""

    def __init__(self, files: list[tuple[str, bytes, str, str]]):
        self.files = files
        self.sent: Counter[int] = Counter()
        self.lock = threading.Lock()
        self.plain = False
        self.stamped = False
        self.stamps = 0


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # the default 5 drops SYNs when 16 clients connect at once (1 s retransmit)
    state: _State

    def get_request(self) -> tuple[socket.socket, Any]:
        sock, addr = super().get_request()
        # Without TCP_NODELAY, headers and body leave in two segments and delayed ACK adds ~40 ms per request.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return sock, addr


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server: _Server

    def do_GET(self) -> None:
        if self.path == "/stats":  # responses sent so far by status, for the table's notes
            self._send(200, json.dumps(dict(self.server.state.sent)).encode(), {"Content-Type": "application/json"})
            return
        if self.path in ("/plain", "/stamped", "/validators"):  # "/plain": no validators, a full 200 every time (as
            # many servers answer) until "/validators"; "/stamped": besides, every body differs from the last one
            # (as when a feed's lastBuildDate is the time of the request) while its items stay the same
            self.server.state.plain = self.path != "/validators"
            self.server.state.stamped = self.path == "/stamped"
            self._send(200, b"ok", {"Content-Type": "text/plain"})
            return
        parts = self.path.strip("/").split("/")
        if len(parts) != 2 or parts[0] != "feed" or not parts[1].isdigit():
            self._send(404, b"not found", {"Content-Type": "text/plain"})
            return
        n = int(parts[1])
        _, body, media, digest = self.server.state.files[n % len(self.server.state.files)]
        etag = f'"{n}-{digest}"'
        validators = {} if self.server.state.plain else {"ETag": etag, "Last-Modified": LAST_MODIFIED}
        status = 304 if validators and self._not_modified(etag) else 200
        with self.server.state.lock:
            self.server.state.sent[status] += 1
        if status == 304:
            self._send(304, b"", validators)
            return
        if self.server.state.stamped:
            with self.server.state.lock:
                self.server.state.stamps += 1
                stamp = self.server.state.stamps
            body += b"\n" * (1 + stamp % 7) if media.endswith("json") else f"\n<!-- {stamp} -->".encode()
        self._send(200, body, {"Content-Type": media, **validators})

    def _not_modified(self, etag: str) -> bool:
        inm = self.headers.get("If-None-Match")
        if inm is not None:  # RFC 9110 §13.1.2: weak comparison; If-Modified-Since is then ignored (§13.2.2)
            return any(t.strip().removeprefix("W/") == etag for t in inm.split(",")) or inm.strip() == "*"
        ims = self.headers.get("If-Modified-Since")
        if ims is None:
            return False
        try:
            return parsedate_to_datetime(ims) >= parsedate_to_datetime(LAST_MODIFIED)
        except (TypeError, ValueError):
            return False

    def _send(self, status: int, body: bytes, headers: dict[str, str]) -> None:
        self.send_response(status)
        for name, value in headers.items():
            self.send_header(name, value)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if body:
            self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass


def _serve(folder: str, hosts: int, ready: Any) -> None:
    state = _State(
        [
            (name, body, _MEDIA.get(Path(name).suffix, "application/rss+xml"), hashlib.sha1(body).hexdigest()[:12])
            for name, body in _corpus(Path(folder))
        ]
    )

    def make(address: tuple[str, int]) -> _Server:
        server = _Server(address, _Handler)
        server.state = state
        return server

    serve_on_hosts(make, hosts, ready.put)


@dataclass(frozen=True, slots=True)
class Server:
    process: multiprocessing.process.BaseProcess
    base: str
    """The control address (127.0.0.1): /stats, /plain, /stamped, /validators."""
    port: int
    hosts: int

    def url(self, n: int, feeds: int) -> str:
        """Feed `n` of `feeds`, the feeds split into `hosts` runs of consecutive ones, one per host: each site's
        feeds added together (as from an OPML import), so they are claimed together and `[watch] per_host` has
        to hold them back while other sites' feeds go ahead."""
        return f"http://{host_address(n * self.hosts // max(feeds, 1))}:{self.port}/feed/{n}"

    def sent(self) -> Counter[str]:
        """Responses sent so far, by status."""
        return Counter(requests.get(f"{self.base}/stats", timeout=10).json())

    def stop(self) -> None:
        self.process.terminate()
        self.process.join(5)


def start_server(folder: Path, hosts: int) -> Server:
    ctx = multiprocessing.get_context("spawn")
    ready = ctx.Queue()
    process = ctx.Process(target=_serve, args=(str(folder), hosts, ready), daemon=True)
    process.start()
    port = ready.get(timeout=30)
    return Server(process, f"http://127.0.0.1:{port}", port, hosts)


# --- results -----------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Result:
    name: str
    seconds: float
    cpu: float
    feeds: int
    items: int
    note: str = ""
    worker_cpu: float | None = None
    """CPU seconds of this process's worker processes (the App's pool) meanwhile; None where none ran."""

    @property
    def feeds_per_s(self) -> float:
        return self.feeds / self.seconds if self.seconds else 0.0

    @property
    def items_per_s(self) -> float:
        return self.items / self.seconds if self.seconds else 0.0


def timed(work: Callable[[], Any]) -> tuple[Any, float, float]:
    wall, cpu = time.perf_counter(), time.process_time()
    value = work()
    return value, time.perf_counter() - wall, time.process_time() - cpu


_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _descendants(pid: int) -> list[int]:
    """The processes `pid` started, and theirs (Linux: /proc; elsewhere none are found)."""
    found: list[int] = []
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return found
    for task in tasks:
        try:
            with open(f"/proc/{pid}/task/{task}/children") as f:
                found += [int(c) for c in f.read().split()]
        except OSError:
            continue
    return found + [g for c in found for g in _descendants(c)]


def _cpu_of(pid: int) -> float:
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / _TICKS  # utime + stime


def worker_cpu(server: Server) -> dict[int, float]:
    """CPU seconds so far of each process this one started, but the server (and its own children)."""
    skip = {server.process.pid, *_descendants(server.process.pid or 0)}
    return {pid: _cpu_of(pid) for pid in _descendants(os.getpid()) if pid not in skip}


def measure(server: Server, work: Callable[[], Any]) -> tuple[Any, float, float, str, float]:
    """`timed`, plus what the server answered meanwhile ("853 x 304, 147 x 200") and the CPU seconds of the
    worker processes meanwhile (the App's pool, started during the first pass: counted from zero)."""
    before, workers = server.sent(), worker_cpu(server)
    value, wall, cpu = timed(work)
    answers = server.sent() - before
    spent = sum(t - workers.get(pid, 0.0) for pid, t in worker_cpu(server).items())
    return value, wall, cpu, "server: " + ", ".join(f"{n} x {status}" for status, n in answers.most_common()), spent


# --- the floor: bare requests + lxml -----------------------------------------------------------------------


def _entries(body: bytes, media: str) -> int:
    if "json" in media:
        return len(json.loads(body).get("items") or ())
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, recover=True)
    root = etree.fromstring(body.lstrip(), parser)
    return 0 if root is None else sum(1 for _ in root.iter("{*}item", "{*}entry"))


def run_floor(server: Server, urls: Sequence[str], workers: int) -> Result:
    session = requests.Session()
    session.trust_env = False
    session.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=workers))

    def one(url: str) -> int:
        response = session.get(url, timeout=30)
        response.raise_for_status()
        return _entries(response.content, response.headers.get("Content-Type", ""))

    def work() -> int:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            return sum(pool.map(one, urls))

    items, wall, cpu, answers, _ = measure(server, work)
    session.close()
    return Result("floor: requests + lxml", wall, cpu, len(urls), items, f"{answers}; items: entries in the bodies")


# --- feeds -------------------------------------------------------------------------------------------------


CONFIG = """
[site]
title = "Benchmark Press Office"
base_url = "https://press.example.org/"
author = "Benchmark Press Office"
email = "press@example.org"
language = "en-GB"
timezone = "Europe/London"

[paths]
out = "out"
state = "state"

[database]
url = "sqlite:///{db}"

[http]
allow = ["127.0.0.0/8"]

[watch]
workers = {workers}
batch = {batch}
"""


def deploy(folder: Path, urls: Sequence[str], workers: int, rules: Sequence[str] = RULES) -> tuple[App, FixedClock]:
    """A fresh SQLite deployment in `folder` watching `urls`, with keyword `rules`, every feed due."""
    (folder / "state").mkdir(parents=True)
    config = folder / "feeds.toml"
    db = folder / "state" / "feeds.db"
    config.write_text(CONFIG.format(db=db, workers=workers, batch=max(len(urls), 1)), encoding="utf-8")
    clock = FixedClock(utc_now())
    app = make_app(load_settings(config, environ={}), clock=clock)
    for query in rules:
        add_rule(app, query, name=query)
    for url in urls:
        add_feed(app, url)
    return app, clock


def _failed(report: WatchReport) -> str:
    return f"; {report.failed} feed(s) failed" if report.failed else ""


def run_feeds(server: Server, urls: Sequence[str], workers: int, rules: Sequence[str]) -> tuple[Result, Result, Result]:
    with tempfile.TemporaryDirectory(prefix="bench-poll-") as tmp:
        app, clock = deploy(Path(tmp), urls, workers, rules)
        try:
            first, wall, cpu, answers, spent = measure(server, lambda: run_watch(app))
            items = app.store.count_items()
            note = answers + _failed(first)
            one = Result("feeds, first pass", wall, cpu, len(first.outcomes), items, note, spent)
            latest = max(f.next_check for f in app.store.feeds() if f.next_check is not None)
            clock.set(latest + timedelta(seconds=1))
            second, wall, cpu, answers, spent = measure(server, lambda: run_watch(app))
            note = answers + _failed(second)
            two = Result("feeds, 304 pass", wall, cpu, len(second.outcomes), second.new_items, note, spent)
            # The same feeds from a server that sends no validators: full 200s with the bodies already read.
            requests.get(f"{server.base}/plain", timeout=10).raise_for_status()
            latest = max(f.next_check for f in app.store.feeds() if f.next_check is not None)
            clock.set(latest + timedelta(seconds=1))
            try:
                third, wall, cpu, answers, spent = measure(server, lambda: run_watch(app))
                same = sum(o.unchanged for o in third.outcomes)
                note = f"{answers}; {same} bodies unchanged, not parsed{_failed(third)}"
                name = "feeds, same bodies, no validators"
                three = Result(name, wall, cpu, len(third.outcomes), third.new_items, note, spent)
                # Bodies that differ every time, with the same items: parsed, but no item is matched again.
                requests.get(f"{server.base}/stamped", timeout=10).raise_for_status()
                latest = max(f.next_check for f in app.store.feeds() if f.next_check is not None)
                clock.set(latest + timedelta(seconds=1))
                fourth, wall, cpu, answers, spent = measure(server, lambda: run_watch(app))
                changed = sum(o.changed_items for o in fourth.outcomes)
                note = f"{answers}; {changed} items changed{_failed(fourth)}"
                name = "feeds, new bodies, same items"
                four = Result(name, wall, cpu, len(fourth.outcomes), fourth.new_items, note, spent)
            finally:
                requests.get(f"{server.base}/validators", timeout=10).raise_for_status()
        finally:
            app.close()
    return one, two, three, four


# --- reader ------------------------------------------------------------------------------------------------


def run_reader(server: Server, urls: Sequence[str], workers: int, scale: float) -> tuple[Result, Result] | str:
    """reader's two passes, or why it could not run. `scale` multiplies times measured on a subsample."""
    try:
        from reader import make_reader
    except ImportError as e:
        return f"reader is not installed ({e}); `pip install 'reader>=3.26' sgmllib3k` to compare"
    logging.getLogger("reader").setLevel(logging.CRITICAL)  # per-feed errors are counted below, not printed
    warnings.filterwarnings("ignore", module=r"reader\.")
    label = f" (on {len(urls)} feeds, times x{scale:g})" if scale != 1 else ""
    try:
        with tempfile.TemporaryDirectory(prefix="bench-reader-") as tmp:
            reader = make_reader(str(Path(tmp) / "reader.sqlite"))
            try:
                for url in urls:
                    reader.add_feed(url)
                results = []

                def update() -> None:  # every feed, whatever reader's own schedule says
                    reader.update_feeds(workers=workers, scheduled=False)

                for name in ("reader, first pass", "reader, 304 pass"):
                    before = reader.get_entry_counts().total or 0
                    _, wall, cpu, note, _ = measure(server, update)
                    new = (reader.get_entry_counts().total or 0) - before
                    broken = reader.get_feed_counts().broken or 0
                    note += f"; {broken} feed(s) broken (bozo XML refused)" if broken else ""
                    feeds = round(len(urls) * scale)
                    results.append(Result(name + label, wall * scale, cpu * scale, feeds, round(new * scale), note))
            finally:
                reader.close()
    except Exception as e:  # a baseline that breaks must not take the benchmark down with it
        return f"reader failed: {type(e).__name__}: {e}"
    return results[0], results[1]


# --- profile -----------------------------------------------------------------------------------------------

# (label, module, function): wrapped with a wall-clock timer for one more first pass. Indented rows run inside
# the row above them; everything here runs on the main thread, the fetches alone run in the pool (and, with
# enough feeds, parsing and matching run in worker processes, where these timers do not reach).
STAGES = (
    ("parse_feed", "feeds.watch.parsejobs", "parse_feed"),
    ("  fast_parse (lxml + tree walk)", "feeds.watch.parse", "fast_parse"),
    ("  feedparser fallback", "feeds.watch.parse", "parse_with_feedparser"),
    ("  _item (build the WatchItems)", "feeds.watch.feeditems", "_item"),
    ("    untrusted_html_to_text (nh3, one pass)", "feeds.watch.feeditems", "untrusted_html_to_text"),
    ("    _plain_text (plain-text items)", "feeds.watch.feeditems", "_plain_text"),
    ("    _draft (content hash)", "feeds.watch.feeditems", "_draft"),
    ("match_item (main thread only)", "feeds.watch.check", "match_item"),
    ("store.upsert_items", "store", "upsert_items"),
    ("store.add_matches", "store", "add_matches"),
    ("store.record_check", "store", "record_check"),
    ("store.record_fetched (all three at once)", "store", "record_fetched"),
    ("store.claim_due", "store", "claim_due"),
    ("current_matchers", "feeds.watch.poll", "current_matchers"),
    ("apply_new_rules", "feeds.watch.poll", "apply_new_rules"),
)


def _timer(fn: Callable[..., Any], totals: dict[str, float], label: str) -> Callable[..., Any]:
    def timed_call(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            totals[label] += time.perf_counter() - start

    return timed_call


def run_stages(urls: Sequence[str], workers: int, rules: Sequence[str]) -> None:
    """One more first pass with a timer around each stage: wall time, without a profiler's overhead."""
    totals = dict.fromkeys((label for label, _, _ in STAGES), 0.0)
    with tempfile.TemporaryDirectory(prefix="bench-poll-stages-") as tmp:
        app, _ = deploy(Path(tmp), urls, workers, rules)
        patched: list[tuple[Any, str, Any]] = []
        try:
            for label, where, name in STAGES:
                owner = app.store if where == "store" else sys.modules[where]
                original = getattr(owner, name)
                patched.append((owner, name, original if where != "store" else None))
                setattr(owner, name, _timer(original, totals, label))
            _, wall, cpu = timed(lambda: run_watch(app))
        finally:
            for owner, name, original in reversed(patched):
                if original is None:
                    delattr(owner, name)  # the instance attribute goes; the class's method shows through again
                else:
                    setattr(owner, name, original)
            app.close()
    print(f"\nStages of one more first pass (wall clock, timers around each stage): {wall:.2f} s, {cpu:.2f} s CPU")
    top = 0.0
    for label, _, _ in STAGES:
        if not label.startswith(" "):
            top += totals[label]
        print(f"  {label:<40} {totals[label]:7.2f} s  {100 * totals[label] / wall:4.0f}%")
    rest = wall - top
    print(f"  {'the rest (waiting for fetches, loop)':<40} {rest:7.2f} s  {100 * rest / wall:4.0f}%")


def run_profile(urls: Sequence[str], workers: int, rules: Sequence[str]) -> None:
    """cProfile of one more first pass (main thread): the functions that take the most time of their own."""
    with tempfile.TemporaryDirectory(prefix="bench-poll-profile-") as tmp:
        app, _ = deploy(Path(tmp), urls, workers, rules)
        try:
            profiler = cProfile.Profile()
            _, wall, _ = timed(lambda: profiler.runcall(run_watch, app))
        finally:
            app.close()
    table: dict[tuple[str, int, str], tuple[Any, ...]] = pstats.Stats(profiler).stats  # type: ignore[attr-defined]
    print(f"\ncProfile of one more first pass ({wall:.2f} s under the profiler), top functions by own time:")
    rows = sorted(table.items(), key=lambda kv: kv[1][2], reverse=True)[:15]
    for (file, line, func), (_, calls, own, cum, _) in rows:
        where = f" ({Path(file).parent.name}/{Path(file).name}:{line})" if line else ""
        print(f"  {own:7.2f} s own {cum:7.2f} s cum {calls:9d} calls  {func}{where}")


def run_http_only(urls: Sequence[str], workers: int) -> None:
    """Fetch-only through feeds' HttpClient (guard, pinned adapter, streamed body), to set beside the floor."""
    with tempfile.TemporaryDirectory(prefix="bench-poll-http-") as tmp:
        app, _ = deploy(Path(tmp), urls[:1], workers, ())
        try:

            def work() -> int:
                with ThreadPoolExecutor(max_workers=workers) as pool:
                    return sum(isinstance(r, Fetched) for r in pool.map(app.http.get, urls))

            ok, wall, cpu = timed(work)
        finally:
            app.close()
    print(f"\nFetch only through feeds.fetch.HttpClient: {ok}/{len(urls)} fetched in {wall:.2f} s ({cpu:.2f} s CPU)")


# --- report ------------------------------------------------------------------------------------------------


def print_table(rows: Sequence[Result]) -> None:
    head = f"{'contender':<44} {'seconds':>8} {'cpu s':>7} {'+workers':>8} {'feeds/s':>9} {'items':>8} {'items/s':>9}"
    print(f"\n{head}  note")
    for r in rows:
        rates = f"{r.feeds_per_s:9.1f} {r.items:8d} {r.items_per_s:9.0f}"
        workers = f"{r.worker_cpu:8.2f}" if r.worker_cpu else f"{'':8}"
        print(f"{r.name:<44} {r.seconds:8.2f} {r.cpu:7.2f} {workers} {rates}  {r.note}")


def print_ratios(floor: Result, first: Result, second: Result, reader: tuple[Result, Result] | None) -> None:
    cores = os.cpu_count() or 1
    spent = first.cpu + (first.worker_cpu or 0.0)
    print(
        f"\nFirst pass: {spent:.2f} CPU seconds in all ({first.cpu:.2f} here, {first.worker_cpu or 0:.2f} in worker"
        f" processes), so at least {spent / cores:.2f} s of wall clock on {cores} core(s) (the server's share aside)"
    )
    print("\nRatios (same feeds, wall-clock seconds):")
    vs_floor = first.seconds / floor.seconds
    print(f"  feeds first pass / floor        {vs_floor:6.2f}x slower   target <= 5x   {_verdict(vs_floor <= 5)}")
    if reader is None:
        print("  (reader baseline skipped: no ratios against it)")
        return
    speedup = reader[0].seconds / first.seconds
    print(f"  reader first pass / feeds       {speedup:6.2f}x faster   target >= 10x  {_verdict(speedup >= 10)}")
    per_item = first.items_per_s / reader[0].items_per_s if reader[0].items else float("inf")
    print(f"  feeds / reader, items/s         {per_item:6.2f}x          (first pass, per item stored)")
    ratio = second.seconds / reader[1].seconds
    print(f"  feeds 304 pass / reader 304     {ratio:6.2f}x          target <= 1x   {_verdict(ratio <= 1)}")


def _verdict(ok: bool) -> str:
    return "met" if ok else "MISSED"


def main(argv: Sequence[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--feeds", type=int, default=1000, help="how many feed URLs to poll (default 1000)")
    ap.add_argument("--workers", type=int, default=16, help="fetch threads, for every contender (default 16)")
    ap.add_argument("--skip-reader", action="store_true", help="do not run the reader baseline")
    ap.add_argument("--reader-feeds", type=int, default=None, help="run reader on the first N feeds and scale")
    ap.add_argument("--no-rules", action="store_true", help="poll without keyword rules (no matching)")
    ap.add_argument("--profile", action="store_true", help="add stage times, a cProfile list, a fetch-only pass")
    ap.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus" / "feeds")
    ap.add_argument(
        "--hosts",
        type=int,
        default=100,
        help="host addresses the feeds are spread over, 127.0.0.2 and up (default 100: 10 feeds a site, as a "
        "watch list of many news sites; [watch] per_host keeps its default of 2)",
    )
    args = ap.parse_args(argv)
    if not 1 <= args.hosts <= 60_000:
        sys.exit("--hosts must be from 1 to 60000")
    if not args.corpus.is_dir():
        sys.exit(f"corpus folder not found: {args.corpus} (pass --corpus)")
    server = start_server(args.corpus, args.hosts)
    try:
        urls = [server.url(n, args.feeds) for n in range(args.feeds)]
        where = f"{args.hosts} hosts, {host_address(0)} to {host_address(args.hosts - 1)}, port {server.port}"
        print(f"{len(urls)} feeds served from {where} (corpus: {args.corpus}), {args.workers} fetch threads")
        load, cores = os.getloadavg()[0], os.cpu_count() or 1
        busy = "  (busy machine: wall-clock times will suffer; compare the CPU column)" if load > cores / 2 else ""
        print(f"load average {load:.1f} on {cores} core(s){busy}")
        requests.get(urls[0], timeout=10).raise_for_status()  # the server answers before anything is timed
        floor = run_floor(server, urls, args.workers)
        rules = () if args.no_rules else RULES
        print(f"keyword rules: {', '.join(repr(r) for r in rules) or 'none (--no-rules)'}")
        first, second, same, stamped = run_feeds(server, urls, args.workers, rules)
        reader: tuple[Result, Result] | None = None
        if args.skip_reader:
            print("reader baseline: skipped (--skip-reader)")
        else:
            n = min(args.reader_feeds or len(urls), len(urls))
            outcome = run_reader(server, urls[:n], args.workers, len(urls) / n)
            if isinstance(outcome, str):
                print(f"reader baseline: SKIPPED: {outcome}")
            else:
                reader = outcome
        print_table([floor, first, second, same, stamped, *(reader or ())])
        print_ratios(floor, first, second, reader)
        if args.profile:
            run_stages(urls, args.workers, rules)
            run_profile(urls, args.workers, rules)
            run_http_only(urls, args.workers)
    finally:
        server.stop()


if __name__ == "__main__":
    main()
