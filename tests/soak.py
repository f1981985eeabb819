"""A long life of the daemon in a bounded number of rounds: a real `Daemon` (its web server answering, its drop
folder watched) on a real SQLite file, its jobs run one after another while an injected clock moves on by
`step` each round, so that 60 days of schedule take a few hundred rounds and no real wait.

Each round drops a release into the drop folder, moves the watched feeds on (a local server on 127.0.0.1 whose
feeds each gain a new item every round and list their 20 newest, a few naming the keyword rule), runs ingest →
watch → publish → alerts (a webhook on the same server), housekeeping once a simulated day, pushes a release
through the API and reads pages, feeds, /healthz and /metrics from the daemon's server; then measures the
process (`Sample`). Every job must succeed in every round: a soak whose jobs fail quietly measures nothing.

Shared by `tests/test_daemon_soak.py` (a short run, asserting on growth) and `bench/soak.py` (a long one,
printing the figures per simulated week). Linux only: it reads /proc/self.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import sqlalchemy as sa

from feeds.clock import FixedClock
from feeds.config import load_settings
from feeds.daemon import Daemon
from feeds.workers import isolated

TOKEN = "soak-token-0123456789abcdef"
START = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
LISTED = 10
"""Items each watched feed lists: its newest."""

GROWING = ("releases", "ingested_files", "entry_ids", "related_applied")
"""Tables that grow by design: releases are the site's archive; the ledger keeps a release's first file for as
long as its release is known by its file alone (README, "The daemon")."""
BOUNDED = ("items", "matches", "alert_deliveries", "workers", "idempotency", "host_slots")
"""Tables housekeeping's retention bounds."""


@dataclass(frozen=True)
class Sample:
    """The process and its files after one round."""

    round: int
    at: datetime
    rss_kib: int
    fds: int
    threads: int
    kept_alive: int
    """Connections the world server holds open at the end of the round: the daemon's HTTP pool keeps a connection
    for each fetch that ran at once (up to `watch.per_host`), and each holds a socket at both ends and a server
    thread here. Their number steps up when a round first fetches more feeds at once, and is no leak."""
    children: int
    children_rss_kib: int
    wal_bytes: int
    wal_housekept: int | None
    """The WAL's size just after this round's housekeeping (which checkpoints it), None without one."""
    db_bytes: int
    temporaries: int
    out_bytes: int
    out_files: int
    rows: dict[str, int]


class _World(BaseHTTPRequestHandler):
    """The watched sites (`/feed/N.xml`, each round's items) and the alerts webhook (`/hook`)."""

    protocol_version = "HTTP/1.1"
    server: _WorldServer

    def setup(self) -> None:
        super().setup()
        with self.server.lock:
            self.server.connections += 1

    def finish(self) -> None:
        with self.server.lock:
            self.server.connections -= 1
        super().finish()

    def do_GET(self) -> None:
        name = self.path.rsplit("/", 1)[-1]
        if not (self.path.startswith("/feed/") and name.endswith(".xml")):
            self._answer(404, b"")
            return
        body = self.server.feed(int(name[:-4])).encode()
        self._answer(200, body, "application/rss+xml")

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        with self.server.lock:
            self.server.hooks += 1
        self._answer(204, b"")

    def _answer(self, status: int, body: bytes, media: str = "text/plain") -> None:
        self.send_response(status)
        self.send_header("Content-Type", media)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        pass


class _WorldServer(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self, clock: FixedClock):
        super().__init__(("127.0.0.1", 0), _World)
        self.clock = clock
        self.round = 0
        self.hooks = 0
        self.connections = 0
        self.per_round = 1
        self.lock = threading.Lock()

    def feed(self, n: int) -> str:
        """Feed `n` as of this round: its `LISTED` newest items, `per_round` new ones each round, every fifth
        naming the rule."""
        items = []
        newest = (self.round + 1) * self.per_round
        for r in range(max(0, newest - LISTED), newest):
            title = f"Ministry opens office number {r} of site {n}" if r % 5 == n % 5 else f"Story {r} of site {n}"
            when = format_datetime(START + timedelta(hours=r), usegmt=True)
            items.append(
                f"<item><title>{title}</title><link>http://example.com/{n}/{r}</link><guid>s{n}-{r}</guid>"
                f"<pubDate>{when}</pubDate><description>Text of story {r}, round {self.round}.</description></item>"
            )
        return (
            f'<?xml version="1.0"?><rss version="2.0"><channel><title>Site {n}</title>'
            f"<link>http://example.com/{n}/</link><description>d</description>{''.join(reversed(items))}"
            "</channel></rss>"
        )


def _config(folder: Path, port: int, feeds: int) -> str:
    watched = "".join(
        f'[[watch.feeds]]\nurl = "http://127.0.0.1:{port}/feed/{n}.xml"\ntitle = "Site {n}"\n\n' for n in range(feeds)
    )
    return f"""
[site]
title = "Soak Press Office"
base_url = "https://press.example.org/"
author = "Soak Press Office"
email = "press@example.org"
language = "en-GB"
timezone = "Europe/London"

[paths]
out = "out"
state = "state"

[[sources]]
type = "folder"
name = "inbox"
path = "inbox"

[http]
allow = ["127.0.0.1"]

[web]
api_token = "{TOKEN}"

[daemon]
ledger_retention_days = 7

[watch]
retention_days = 7
retro_days = 7
match_retention_days = 8
per_host = 16

[watch.related]
window_days = 3

[alerts]
retention_days = 8

[[alerts.webhooks]]
name = "desk"
url = "http://127.0.0.1:{port}/hook"
rules = ["ministry"]

[[watch.keywords]]
name = "ministry"
query = "ministry"

{watched}"""


class Soak:
    """A deployment in `folder` and its daemon, run round by round (`run`); `close` stops both servers."""

    def __init__(
        self,
        folder: Path,
        *,
        feeds: int = 10,
        step: timedelta = timedelta(hours=6),
        items: int = 2,
        releases_every: int = 1,
        in_process: bool = False,
    ):
        self.folder = folder
        self.releases_every = releases_every
        self.step = step
        self.clock = FixedClock(START)
        self.world = _WorldServer(self.clock)
        self.world.per_round = items
        threading.Thread(target=self.world.serve_forever, name="soak-world", daemon=True).start()
        (folder / "inbox").mkdir(parents=True, exist_ok=True)
        config = folder / "feeds.toml"
        config.write_text(_config(folder, self.world.server_address[1], feeds), encoding="utf-8")
        settings = load_settings(config, environ={})
        self.daemon = Daemon(config, settings, clock=self.clock, host="127.0.0.1", port=0, inbox_quiet=0.0)
        if in_process:
            # Parsing and reading here, as a daemon on one CPU does: what they keep shows in this process's
            # figures, and no worker pool is started again each time the releases watched for change (seconds).
            self.daemon.app.extras.pop("worker_isolate", None)
            assert not isolated(self.daemon.app)
        self.daemon._schedule = lambda housekept=None: None  # type: ignore[method-assign]  # (the rounds run it)
        self.daemon.start()
        self.base = f"http://127.0.0.1:{self.daemon.bound_port}"
        self.db = settings.paths.state / "feeds.db"
        self.out = settings.paths.out
        self.engine = sa.create_engine(f"sqlite:///{self.db}")
        self.round = 0
        self.wal_housekept = None
        self.housekept = self.clock()

    def close(self) -> None:
        self.daemon.stop()
        self.engine.dispose()
        self.world.shutdown()
        self.world.server_close()

    def run(self, rounds: int) -> Iterator[Sample]:
        for _ in range(rounds):
            self.one_round()
            yield self.sample()

    def one_round(self) -> None:
        self.round += 1
        self.wal_housekept: int | None = None
        self.clock.advance(self.step)
        self.world.round = self.round
        if self.round % self.releases_every == 0:
            self._drop_release()
        jobs = self.daemon.jobs
        run = [("ingest", jobs.ingest), ("watch", jobs.watch), ("publish", jobs.publish), ("alerts", jobs.alerts)]
        if self.clock() - self.housekept >= timedelta(days=1):
            self.housekept = self.clock()
            run.append(("housekeeping", jobs.housekeeping))
        for name, fn in run:
            self.daemon._run_job(name, fn)
            state = self.daemon.state.jobs[name]
            if not state.last_ok:
                raise AssertionError(f"round {self.round}: {name} failed: {state.last_error}")
            if name == "housekeeping":
                self.wal_housekept = self._wal()
        self.daemon.heartbeat()
        self._visit()

    def _drop_release(self) -> None:
        (self.folder / "inbox" / f"release-{self.round}.txt").write_text(
            f"Ministry announces plan {self.round}\n\nThe ministry said today that plan {self.round} goes ahead.\n",
            encoding="utf-8",
        )

    def _visit(self) -> None:
        """What readers, monitoring and the office's CMS do between rounds."""
        for path in ("/", "/feed.xml", "/atom.xml", "/healthz", "/metrics", f"/no-such-page-{self.round}"):
            try:
                with urllib.request.urlopen(self.base + path, timeout=10) as r:
                    r.read()
            except urllib.error.HTTPError as e:
                if e.code != 404:
                    raise
                e.close()
        body = json.dumps({"title": f"Pushed statement {self.round}", "body": "Text.", "source_key": f"k{self.round}"})
        request = urllib.request.Request(
            self.base + "/api/releases",
            data=body.encode(),
            headers={
                "Authorization": f"Bearer {TOKEN}",
                "Content-Type": "application/json",
                "Idempotency-Key": f"push-{self.round}",
            },
        )
        with urllib.request.urlopen(request, timeout=10) as r:
            r.read()

    def _wal(self) -> int:
        wal = self.db.with_name(self.db.name + "-wal")
        return wal.stat().st_size if wal.exists() else 0

    def sample(self) -> Sample:
        status = Path("/proc/self/status").read_text()
        threads = next(int(line.split()[1]) for line in status.splitlines() if line.startswith("Threads:"))
        with self.engine.connect() as conn:
            rows = {t: conn.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar_one() for t in (*GROWING, *BOUNDED)}
        out_bytes = out_files = temporaries = 0
        for root, _, files in os.walk(self.out):
            for name in files:
                out_files += 1
                out_bytes += os.lstat(os.path.join(root, name)).st_size
                temporaries += name.startswith(".") and name.endswith(".tmp")
        state = self.db.parent
        temporaries += sum(1 for _ in (state / "tmp").iterdir()) if (state / "tmp").is_dir() else 0
        return Sample(
            round=self.round,
            at=self.clock(),
            rss_kib=_rss(os.getpid()),
            fds=len(os.listdir("/proc/self/fd")),
            threads=threads,
            kept_alive=self.world.connections,
            children=len(children := _children()),
            children_rss_kib=sum(_rss(pid) for pid in children),
            wal_bytes=self._wal(),
            wal_housekept=self.wal_housekept,
            db_bytes=self.db.stat().st_size,
            temporaries=temporaries,
            out_bytes=out_bytes,
            out_files=out_files,
            rows=rows,
        )


def _children(pid: int | None = None) -> list[int]:
    """The processes this one started, and theirs (the forkserver and the worker processes it forks, which are
    its children, not ours)."""
    pid = os.getpid() if pid is None else pid
    found: set[int] = set()
    with contextlib.suppress(OSError):  # (ended meanwhile)
        for task in Path(f"/proc/{pid}/task").iterdir():
            with contextlib.suppress(OSError):
                found.update(int(c) for c in (task / "children").read_text().split())
    for child in list(found):
        found.update(_children(child))
    return sorted(found)


def _rss(pid: int) -> int:
    """The resident memory of process `pid` in KiB (0 when it ended meanwhile)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return 0
    return next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS:")), 0)
