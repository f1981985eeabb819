"""`feeds run` as an operator runs it: a subprocess against a temporary deployment with second-long intervals.

What it proves, each within a deadline (polled, never slept): a file dropped in the inbox reaches out/atom.xml; a
watched feed served locally produces the match feed and the hub receives a WebSub ping for it; a release pushed
over a real socket is published; SIGTERM during a publish lets it finish (exit 0 within the grace period, every
file in out/ whole, no temp files, every release stored once) and the next start publishes what was left;
SIGHUP with a broken config keeps the daemon running and serving, with a good one it reloads and the change shows
in the next publish; `feeds run --once` publishes and exits 0.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, ClassVar, TypeVar

import lxml.etree
import lxml.html
import pytest
import requests
import sqlalchemy as sa
from werkzeug import Request, Response

from feeds.app import make_app
from feeds.config import load_settings
from feeds.daemon import Daemon
from tests import gates
from tests.conftest import BASE_CONFIG
from tests.test_daemon_reload import serving_daemon

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "daemon-test-token-0123456789abcdef"
BASE = "https://press.example.org/"
ATOM = "{http://www.w3.org/2005/Atom}"
DEADLINE = 10.0
"""Seconds any expected effect may take to show (they take about one in practice)."""
STARTUP = 20.0
"""Seconds a daemon may take to start serving (an interpreter start and a migration on a busy machine)."""
GRACE = 20.0
GATED = ("-c", "from tests import gates; gates.feeds_main()")
"""`feeds` whose publish waits at a gate before its first release page (`tests.gates`)."""

DAEMON_TOML = """interval = "1s"  # continues BASE_CONFIG's [[sources]] table: scan the inbox every second

[daemon]
watch_tick = "1s"
publish_debounce = "0.2s"
publish_interval = "{publish_interval}"
grace = "{grace:.0f}s"

[http]
allow = ["127.0.0.1", "localhost"]
"""

T = TypeVar("T")


def wait_for(predicate: Callable[[], T], what: str, timeout: float = DEADLINE) -> T:
    """Poll `predicate` until it returns something truthy (returned), failing after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout:.0f} s waiting for {what}")
        time.sleep(0.02)  # the polling period, not a wait for something to happen


class Log:
    """The daemon's JSON log lines, read from its stderr by a thread as they come."""

    def __init__(self, stream: Any):
        self.records: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self._thread.start()

    def _read(self, stream: Any) -> None:
        for line in stream:
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                record = {"level": "raw", "msg": line.rstrip("\n")}
            with self._lock:
                self.records.append(record)

    def messages(self) -> list[str]:
        with self._lock:
            return [str(r.get("msg", "")) for r in self.records]

    def find(self, pattern: str) -> re.Match[str] | None:
        for message in self.messages():
            if m := re.search(pattern, message):
                return m
        return None

    def index(self, pattern: str) -> int:
        return next(i for i, m in enumerate(self.messages()) if re.search(pattern, m))

    def dump(self) -> str:
        return "\n".join(self.messages()[-40:])

    def join(self) -> None:
        """Wait for the end of the stream (the process has exited)."""
        self._thread.join(timeout=5)


def _stacks(pid: int) -> str:
    """Where the threads of process `pid` and its children are, when py-spy is installed beside this Python (what
    held a daemon that would not exit); else nothing."""
    spy = shutil.which("py-spy", path=os.path.dirname(sys.executable))
    if spy is None:
        return ""
    done = subprocess.run(
        [spy, "dump", "--pid", str(pid), "--subprocesses"], capture_output=True, text=True, check=False, timeout=60
    )
    return f"\n{done.stdout}{done.stderr}"


@dataclass
class Running:
    proc: subprocess.Popen[str]
    log: Log
    url: str = ""

    def alive(self) -> bool:
        return self.proc.poll() is None

    def get(self, path: str) -> requests.Response:
        return requests.get(self.url + path, timeout=5)

    def terminate(self) -> tuple[int, float]:
        """SIGTERM; (exit status, seconds it took to exit)."""
        sent = time.monotonic()
        self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(timeout=GRACE + 10)
        except subprocess.TimeoutExpired:
            raise AssertionError(
                f"no exit {GRACE + 10:.0f} s after SIGTERM:\n{self.log.dump()}{_stacks(self.proc.pid)}"
            ) from None
        return rc, time.monotonic() - sent


@dataclass
class Deployment:
    root: Path
    running: list[Running] = field(default_factory=list)

    @property
    def config(self) -> Path:
        return self.root / "feeds.toml"

    @property
    def out(self) -> Path:
        return self.root / "out"

    @property
    def inbox(self) -> Path:
        return self.root / "inbox"

    def write_config(self, extra: str = "", base: str = BASE_CONFIG, publish_interval: str = "1m") -> None:
        daemon = DAEMON_TOML.format(publish_interval=publish_interval, grace=GRACE)
        self.config.write_text(base + daemon + extra, encoding="utf-8")

    program: ClassVar[tuple[str, ...]] = ("-m", "feeds")
    """What runs `feeds run` after the interpreter's name (a test's stand-in: `tests.killers`' command)."""

    def command(self, *args: str, program: tuple[str, ...] | None = None) -> list[str]:
        program = program or self.program
        return [sys.executable, *program, "--config", str(self.config), "run", "--log-format", "json", *args]

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("FEEDS_")}
        env.update(FEEDS_FETCH_ALLOW="127.0.0.1,localhost", FEEDS_API_TOKEN=TOKEN, PYTHONUNBUFFERED="1")
        env.update(GATE_DIR=str(self.gate))
        return env

    @property
    def gate(self) -> Path:
        return self.root / "gate"

    def start(self, *, gated: bool = False) -> Running:
        """Start `feeds run` on a free port (port 0, read back from the log) and wait until /healthz answers."""
        self.gate.mkdir(exist_ok=True)
        proc = subprocess.Popen(
            self.command("--port", "0", program=GATED if gated else None),
            cwd=ROOT,
            env=self.env(),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        daemon = Running(proc, Log(proc.stderr))
        self.running.append(daemon)

        def serving() -> re.Match[str] | None:
            if not daemon.alive():
                raise AssertionError(f"the daemon exited with {proc.returncode}:\n{daemon.log.dump()}")
            return daemon.log.find(r"serving .* at (http://127\.0\.0\.1:\d+)/")

        daemon.url = wait_for(serving, "the daemon to serve", STARTUP).group(1)

        def healthy() -> bool:
            try:
                return daemon.get("/healthz").status_code == 200
            except requests.ConnectionError:
                return False

        wait_for(healthy, "GET /healthz to answer 200", STARTUP)
        return daemon

    def store(self) -> Any:
        return make_app(load_settings(self.config, environ={}))

    def close(self) -> None:
        for daemon in self.running:
            if daemon.alive():
                daemon.proc.kill()
            daemon.proc.wait(timeout=10)
            daemon.log.join()
            if daemon.proc.stderr:
                daemon.proc.stderr.close()


@pytest.fixture
def signal_handlers() -> Iterator[dict[int, Any]]:
    """The process's SIGTERM, SIGINT and SIGHUP handlers as the test found them, put back after it: a test that
    installs the daemon's (or raises them) must leave the next test the handlers it had."""
    saved = {s: signal.getsignal(s) for s in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)}
    yield saved
    for s, handler in saved.items():
        signal.signal(s, handler)


@pytest.fixture
def deployment(tmp_path) -> Iterator[Deployment]:
    with deployed(Deployment(tmp_path)) as d:
        yield d


D = TypeVar("D", bound=Deployment)


@contextmanager
def deployed(d: D) -> Iterator[D]:
    """`d` with its inbox and config written, its daemons killed at the end (the `deployment` fixtures)."""
    d.inbox.mkdir()
    d.write_config()
    try:
        yield d
    finally:
        d.close()


def entries(path: Path) -> dict[str, str]:
    """{entry id: title} of an Atom document, or {} while it does not exist yet."""
    try:
        root = lxml.etree.parse(str(path)).getroot()
    except OSError:
        return {}
    return {e.findtext(f"{ATOM}id"): e.findtext(f"{ATOM}title") for e in root.iter(f"{ATOM}entry")}


def titles(path: Path) -> set[str]:
    return set(entries(path).values())


def all_published_ids(out: Path) -> set[str]:
    """Entry ids in the current feed and in every RFC 5005 archive document."""
    ids = set(entries(out / "atom.xml"))
    for archive in out.glob("archive/*/atom.xml"):
        ids |= set(entries(archive))
    return ids


def drop(inbox: Path, name: str, text: str) -> None:
    """Write then rename, as a well-behaved sender does (the folder never shows a half-written file)."""
    tmp = inbox / f".{name}.tmp"
    tmp.write_text(text, encoding="utf-8")
    tmp.rename(inbox / name)


def release_md(title: str, day: int = 27, minute: int = 0, topic: str = "Iran") -> str:
    return (
        f"---\ntitle: {title}\npublished: 2026-11-{day:02d}T09:{minute:02d}:00Z\ntopics: [{topic}]\n---\n"
        f"{title}, said the minister today.\n\nA second paragraph about it.\n"
    )


# --- the cases -------------------------------------------------------------------------------------------------


def test_a_file_dropped_in_the_inbox_appears_in_the_feed(deployment):
    deployment.start()
    drop(deployment.inbox, "harbour.md", release_md("Harbour wall to be rebuilt"))
    wait_for(lambda: "Harbour wall to be rebuilt" in titles(deployment.out / "atom.xml"), "the release in atom.xml")
    assert (deployment.inbox / "processed" / "harbour.md").is_file()
    assert not (deployment.inbox / "harbour.md").exists()


RSS = """<?xml version="1.0" encoding="utf-8"?>
<rss version="2.0"><channel><title>World Desk</title><link>https://news.example.com/</link>
<description>World news</description>
<item><title>Lavrov holds talks with European ministers</title><link>https://news.example.com/lavrov</link>
<guid isPermaLink="false">lavrov</guid><description>The foreign minister met counterparts.</description>
<pubDate>Sat, 28 Nov 2026 09:00:00 GMT</pubDate></item>
<item><title>Town bakery wins national prize</title><link>https://news.example.com/bakery</link>
<guid isPermaLink="false">bakery</guid><description>A sourdough loaf took first place.</description>
<pubDate>Sat, 28 Nov 2026 08:00:00 GMT</pubDate></item>
</channel></rss>"""


def test_a_watched_feed_produces_a_match_feed_and_the_hub_is_pinged(deployment, httpserver):
    pings: list[str] = []

    def hub(request: Request) -> Response:
        pings.extend(request.form.getlist("hub.url"))
        return Response(status=204)

    httpserver.expect_request("/world.xml").respond_with_data(RSS, content_type="application/rss+xml")
    httpserver.expect_request("/hub", method="POST").respond_with_handler(hub)
    deployment.write_config(
        f"""
[publish]
hub = "{httpserver.url_for("/hub")}"

[[watch.feeds]]
url = "{httpserver.url_for("/world.xml")}"
title = "World Desk"

[[watch.keywords]]
name = "lavrov"
query = "lavrov"
"""
    )
    deployment.start()
    matches = deployment.out / "matches" / "atom.xml"
    wait_for(lambda: "Lavrov holds talks with European ministers" in str(titles(matches)), "the match in its feed")
    assert "bakery" not in str(titles(matches))
    wait_for(lambda: BASE + "matches/atom.xml" in pings, "the WebSub ping for matches/atom.xml")
    wait_for(lambda: BASE + "matches/rules/lavrov/atom.xml" in pings, "the ping for the rule's feed")
    assert BASE + "atom.xml" in pings, "the first publish pinged the main feed too"
    assert not [p for p in pings if not p.endswith(("atom.xml", "rss.xml", "feed.json"))]


def test_a_release_pushed_over_http_is_published(deployment):
    daemon = deployment.start()
    release = {
        "title": "Sanctions announced today",
        "body": "The minister announced sanctions.",
        "published": "2026-11-27T10:00:00Z",
    }
    refused = requests.post(daemon.url + "/api/releases", json=release, timeout=10)
    assert refused.status_code == 401
    resp = requests.post(
        daemon.url + "/api/releases", json=release, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10
    )
    assert resp.status_code == 201, resp.text
    release_id = resp.json()["id"]
    wait_for(lambda: release_id in entries(deployment.out / "atom.xml"), "the pushed release in atom.xml")


def _check_out_is_whole(out: Path) -> int:
    """Every document in out/ parses and no temp file is left; returns how many files there are."""
    leftovers = [p for p in out.rglob(".*") if p.is_file()]
    assert leftovers == [], f"temp files left behind: {leftovers}"
    files = [p for p in out.rglob("*") if p.is_file()]
    for p in files:
        if p.suffix in (".xml", ".xsl", ".opml"):
            lxml.etree.parse(str(p))
        elif p.suffix == ".json":
            json.loads(p.read_bytes())
        elif p.suffix == ".html":
            data = p.read_bytes()
            assert data.rstrip().endswith(b"</html>"), p
            lxml.html.fromstring(data)
    return len(files)


def test_sigterm_during_a_publish_loses_nothing_and_the_next_start_carries_on(deployment):
    # The publish that writes the first release page is held at a gate there (`tests.gates`) until the SIGTERM has
    # arrived, however loaded the machine: the ingest's, or the periodic one 5 s after the start when the ingest has
    # committed by then. (On a loaded machine the periodic one may run before the ingest has committed anything:
    # it publishes the empty site, writes no release page and passes the gate; the test holds either way.)
    deployment.write_config(publish_interval="60s")
    count = 40
    before = time.time() - 60  # dropped a while ago: the daemon reads them all at its first ingest
    for i in range(count):
        path = deployment.inbox / f"r{i:03d}.md"
        path.write_text(
            release_md(f"Bulk release number {i}", day=1 + i % 27, minute=i % 60, topic=f"Topic{i % 20}"),
            encoding="utf-8",
        )
        os.utime(path, (before, before))
    daemon = deployment.start(gated=True)
    wait_for(lambda: (deployment.gate / gates.HELD).exists(), "the publish to reach its first release page", STARTUP)

    def publishes() -> list[str]:
        return [m for m in daemon.log.messages() if m.startswith("publish: ")]

    earlier = len(publishes())  # (none, or the empty site's: the publish held has not logged)
    pushed = requests.post(
        daemon.url + "/api/releases",
        json={"title": "Pushed while publishing", "body": "Late news.", "published": "2026-11-28T08:00:00Z"},
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=10,
    )
    assert pushed.status_code == 201, pushed.text

    sent = time.monotonic()
    daemon.proc.send_signal(signal.SIGTERM)
    wait_for(lambda: daemon.log.find("received SIGTERM"), "the daemon to take the SIGTERM")
    (deployment.gate / gates.OPEN).touch()
    rc = daemon.proc.wait(timeout=GRACE + 10)
    took = time.monotonic() - sent
    assert rc == 0, daemon.log.dump()
    assert took < GRACE, f"took {took:.1f} s to stop"
    stopping = daemon.log.index("received SIGTERM")
    finished = [i for i, m in enumerate(daemon.log.messages()) if re.match(r"publish: \d+ files changed", m)]
    assert finished and finished[-1] > stopping, "the running publish was finished"
    assert len(publishes()) == earlier + 1, "and no other started"
    assert daemon.log.find(r"stopped$")
    assert _check_out_is_whole(deployment.out) > count

    app = deployment.store()
    try:
        stored = app.store.releases()
        assert len(stored) == len({r.id for r in stored}) == app.store.count_releases() == count + 1
    finally:
        app.close()
    assert len(list((deployment.inbox / "processed").iterdir())) == count
    assert not list(deployment.inbox.glob("*.md"))

    deployment.write_config()  # the publish 5 s after the start (the periodic one's first) will find what is left
    again = deployment.start()
    expected = {r.id for r in stored}
    wait_for(lambda: all_published_ids(deployment.out) == expected, "every release in atom.xml or its archives")
    rc, _ = again.terminate()
    assert rc == 0
    _check_out_is_whole(deployment.out)


def test_sighup_with_a_broken_config_keeps_running_and_a_good_one_reloads(deployment):
    daemon = deployment.start()
    drop(deployment.inbox, "before.md", release_md("Dropped before the reloads"))
    wait_for(lambda: "Dropped before the reloads" in titles(deployment.out / "atom.xml"), "the first publish")
    deployment.config.write_text("[site\ntitle = ", encoding="utf-8")
    daemon.proc.send_signal(signal.SIGHUP)
    failed = wait_for(lambda: daemon.log.find(r"config reload failed, keeping the running config: (.*)"), "the error")
    assert "feeds.toml" in failed.group(1)
    assert daemon.alive() and daemon.get("/healthz").status_code == 200
    assert daemon.get("/atom.xml").status_code == 200

    drop(deployment.inbox, "after.md", release_md("Dropped after the bad reload"))
    wait_for(lambda: "Dropped after the bad reload" in titles(deployment.out / "atom.xml"), "ingest still working")

    deployment.write_config(base=BASE_CONFIG.replace('title = "Test Press Office"', 'title = "Renamed Office"'))
    daemon.proc.send_signal(signal.SIGHUP)
    wait_for(lambda: daemon.log.find(r"config reloaded from .*feeds\.toml"), "the reload")

    def feed_title() -> str | None:
        return lxml.etree.parse(str(deployment.out / "atom.xml")).getroot().findtext(f"{ATOM}title")

    wait_for(lambda: feed_title() == "Renamed Office", "the new title in the next publish")
    assert daemon.alive()
    rc, _ = daemon.terminate()
    assert rc == 0


def test_run_once_publishes_and_exits_0(deployment):
    drop(deployment.inbox, "once.md", release_md("Published by a single run"))
    done = subprocess.run(
        deployment.command("--once"),
        cwd=ROOT,
        env=deployment.env(),
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    assert "Published by a single run" in titles(deployment.out / "atom.xml")
    levels = {json.loads(line)["level"] for line in done.stderr.splitlines() if line.startswith("{")}
    assert levels <= {"info", "debug"}, done.stderr
    _check_out_is_whole(deployment.out)


# --- in process ---------------------------------------------------------------------------------------------


def test_run_once_imports_the_feeds_and_rules_of_the_config_as_a_start_does(make_settings, clock):
    """For cron: `feeds run --once` alone must watch what the config declares."""
    settings = make_settings('\n[[watch.keywords]]\nname = "lavrov"\nquery = "lavrov"\n')
    Daemon(Path(settings.path), settings, clock=clock, serve=False).run_once()
    from feeds.app import make_app

    app = make_app(settings, clock=clock)
    try:
        assert [(r.name, r.origin) for r in app.store.rules()] == [("lavrov", "config")]
    finally:
        app.close()


def test_the_records_of_daemons_gone_for_a_week_are_pruned_by_housekeeping_and_by_run_once(make_settings, clock):
    """An operator's review: `feeds run --once` from cron every minute left a row of `workers` (its job states, ~1
    KiB of JSON) per run, and so does every restart of a daemon: never deleted, though `feeds status` shows only
    the last 7 days: 130,000 rows after three months of cron, all read at every `feeds status`."""
    settings = make_settings()
    daemon = Daemon(Path(settings.path), settings, clock=clock, serve=False)
    try:
        for day in range(30):  # a month of cron runs, one a day here, each its own process
            daemon.worker = f"cron-host:{1000 + day}"
            daemon.run_once()
            daemon.app = make_app(settings, clock=clock)
            clock.advance(timedelta(days=1))
        store = daemon.app.store
        seen = store.worker_statuses(since=clock() - timedelta(days=365))
        assert len(seen) <= 8, len(seen)  # (the last 7 days, as `feeds status` shows them)
        for day in range(30):  # a month of restarts of a daemon that housekeeps
            store.save_worker_status(f"host:{day}", started=clock(), now=clock(), status={"stopped": True})
            clock.advance(timedelta(days=1))
        daemon.jobs.housekeeping(daemon.app)
        seen = store.worker_statuses(since=clock() - timedelta(days=365))
        assert len(seen) == 7 and all(clock() - heartbeat <= timedelta(days=7) for _, _, heartbeat, _ in seen)
    finally:
        daemon.app.close()


def test_run_once_prunes_old_watch_items_as_the_daemons_housekeeping_does(make_settings, clock):
    """For cron: `feeds run --once` had no housekeeping, so a deployment run from cron kept every watched item
    for ever, whatever `watch.retention_days` said."""
    from tests.store_watch_helpers import item

    settings = make_settings()
    daemon = Daemon(Path(settings.path), settings, clock=clock, serve=False)
    store = daemon.app.store
    feed = store.add_feed("http://127.0.0.1:9/feed.xml", title="", tags=(), interval=1800, origin="cli", now=clock())
    store.upsert_items(feed.id, [item("old", h="h-old")], clock() - timedelta(days=100))
    store.upsert_items(feed.id, [item("new", h="h-new")], clock())
    assert sorted(s.item.key for s in store.stored_items()) == ["new", "old"]
    assert daemon.run_once() in (0, 1)
    app = make_app(settings, clock=clock)
    try:
        assert [s.item.key for s in app.store.stored_items()] == ["new"]
    finally:
        app.close()


def test_run_once_waits_for_a_publish_another_process_is_running_rather_than_skip_it(make_settings, clock):
    """Cron overlap: `feeds run --once` found the publish lock held (another cron run, a daemon, `feeds publish`),
    logged `publish: skipped: … (tried again shortly)` and exited 0, but a single run has nothing to try again:
    the release it had just ingested, which the other publish may have started too early to include, waited
    for the next cron run."""
    settings = make_settings()
    drop(settings.source("inbox").path, "once.md", release_md("Published after the other publish"))
    holder = make_app(settings, clock=clock)
    result: dict[str, int] = {}
    try:
        with holder.store.exclusive("publish") as mine:
            assert mine
            daemon = Daemon(Path(settings.path), settings, clock=clock, serve=False)
            worker = threading.Thread(target=lambda: result.update(rc=daemon.run_once()))
            worker.start()
            worker.join(2.0)  # (the other publish is still running)
            assert worker.is_alive(), "it finished while another process held the publish lock"
        worker.join(60)
    finally:
        holder.close()
    assert result["rc"] == 0
    assert daemon.state.jobs["publish"].last_ok and "skipped" not in daemon.state.jobs["publish"].last_summary
    assert "Published after the other publish" in titles(settings.paths.out / "atom.xml")


def test_run_once_gives_up_waiting_for_a_lock_held_too_long_naming_it_and_its_holder_and_exits_1(
    make_settings, clock, caplog
):
    """An operator's review: `feeds run --once` waited without a bound for the publish lock; a process hung while
    holding it held back every cron run, which piled up behind it. The wait is timed by an injected clock."""
    settings = make_settings('\n[daemon]\nlock_wait = "2m"\n')
    drop(settings.source("inbox").path, "once.md", release_md("Waiting for a hung publish"))
    holder = make_app(settings, clock=clock)
    now = [0.0]

    def wait(seconds: float) -> bool:
        now[0] += seconds
        return False

    caplog.set_level(logging.INFO, logger="feeds.daemon")
    try:
        with holder.store.exclusive("publish") as mine:
            assert mine
            daemon = Daemon(Path(settings.path), settings, clock=clock, serve=False)
            daemon.jobs.monotonic, daemon.jobs.lock_sleep = (lambda: now[0]), wait
            assert daemon.run_once() == 1
    finally:
        holder.close()
    assert now[0] == pytest.approx(120.0), "it waited for daemon.lock_wait, and no longer"
    publish = daemon.state.jobs["publish"]
    assert publish.last_ok is False and publish.last_error is not None
    assert "gave up waiting for the publish lock after 2 min" in publish.last_error
    assert f"pid {os.getpid()} on host " in publish.last_error, "the holder is named"
    assert daemon.state.jobs["ingest"].last_ok and daemon.state.jobs["housekeeping"].last_ok, "the other jobs ran"
    waiting = rf"publish: waiting for another process's publish to finish \(held by pid {os.getpid()} on host .*"
    assert re.search(waiting + r"; for at most 2 min\)", caplog.text), caplog.text


def test_run_once_waiting_for_a_lock_stops_at_sigterm(deployment):
    """SIGTERM (a service manager stopping a timer's run) still ends a `run --once` that waits for a lock."""
    app = deployment.store()
    try:
        with app.store.exclusive("ingest") as mine:
            assert mine
            proc = subprocess.Popen(
                deployment.command("--once"),
                cwd=ROOT,
                env=deployment.env(),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=subprocess.PIPE,
                text=True,
            )
            log = Log(proc.stderr)
            try:
                wait_for(lambda: log.find("ingest: waiting for another process's ingest"), "the wait", STARTUP)
                proc.send_signal(signal.SIGTERM)
                rc = proc.wait(timeout=DEADLINE)
            finally:
                if proc.poll() is None:
                    proc.kill()
                proc.wait(timeout=10)
                log.join()
                if proc.stderr:
                    proc.stderr.close()
    finally:
        app.close()
    assert rc != 0, "a run stopped before it did its work is no success"
    assert not (deployment.out / "atom.xml").exists(), "nothing ran after the stop"
    assert not log.find("Traceback"), log.dump()


def test_a_trigger_while_the_triggered_job_still_runs_is_not_dropped(make_settings, clock):
    """APScheduler skips a job whose id is still running; a change made during a publish must still publish."""
    from apscheduler.schedulers.background import BackgroundScheduler

    settings = make_settings()
    daemon = Daemon(Path(settings.path), settings, clock=clock, serve=False)
    daemon._scheduler = BackgroundScheduler(timezone="UTC")
    daemon._scheduler.start()
    finish = threading.Event()
    ran: list[str] = []

    def slow(_app: Any) -> str:
        ran.append("slow")
        finish.wait(timeout=DEADLINE)
        return ""

    def quick(_app: Any) -> str:
        ran.append("quick")
        return ""

    try:
        daemon._soon("job-soon", "job", slow, 0.0)
        wait_for(lambda: ran == ["slow"], "the first run to start")
        daemon._soon("job-soon", "job", quick, 0.0)
        wait_for(lambda: "quick" in ran, "the second trigger to run while the first is still running")
    finally:
        finish.set()
        daemon._scheduler.shutdown(wait=True)
        daemon._scheduler = None
        daemon.app.close()
    assert daemon.state.jobs["job"].runs == 2


def test_an_inbox_file_still_being_written_waits_instead_of_being_rejected(make_settings, clock):
    """A writer appending to a file in the inbox (`>>`, no temporary name) is not done when the daemon sees it."""
    import os
    import time

    settings = make_settings()
    inbox = settings.inboxes[0].path
    daemon = Daemon(Path(settings.path), settings, clock=clock, serve=False, inbox_quiet=30.0)
    try:
        path = inbox / "slow.txt"
        path.write_text("Harbour wall to be rebuilt\n", encoding="utf-8")  # the title only, so far
        assert daemon.jobs.ingest(daemon.app) == "1 still being written"
        assert path.exists() and not (inbox / "rejected").exists() and daemon.app.store.count_releases() == 0
        with path.open("a", encoding="utf-8") as f:
            f.write("\nThe wall will be rebuilt by spring.\n")
        past = time.time() - 60
        os.utime(path, (past, past))  # then left alone
        assert daemon.jobs.ingest(daemon.app) == "1 created"
        assert (inbox / "processed" / "slow.txt").exists()
    finally:
        daemon.app.close()


def test_an_inbox_file_dated_ahead_of_the_clock_is_read_once_it_stays_the_same_for_the_quiet_time(tmp_path):
    """A file copied with its times from a machine whose clock is ahead (or after the clock stepped back) is dated
    in the future: timed by its date it waited, looked at every few seconds, until the clock reached it."""
    import os

    from feeds.ingest import folder

    path = tmp_path / "copied.txt"
    path.write_text("Harbour wall to be rebuilt\n", encoding="utf-8")
    now = 1_800_000_000.0
    os.utime(path, (now + 86400, now + 86400))  # dated tomorrow
    ahead: dict = {}
    assert folder.still_changing([path], 3.0, now, tick=100.0, ahead=ahead) == {path}
    assert folder.still_changing([path], 3.0, now + 2, tick=102.0, ahead=ahead) == {path}
    assert folder.still_changing([path], 3.0, now + 3, tick=103.0, ahead=ahead) == set()  # unchanged for 3 s
    assert ahead == {}
    # Written again meanwhile (still dated ahead): the quiet time starts again.
    folder.still_changing([path], 3.0, now, tick=200.0, ahead=ahead)
    with path.open("a", encoding="utf-8") as f:
        f.write("More.\n")
    os.utime(path, (now + 86401, now + 86401))
    assert folder.still_changing([path], 3.0, now, tick=203.0, ahead=ahead) == {path}
    assert folder.still_changing([path], 3.0, now, tick=205.0, ahead=ahead) == {path}
    assert folder.still_changing([path], 3.0, now, tick=206.0, ahead=ahead) == set()
    # A file dated in the past keeps its rule: written in the last 3 s is still changing, older is settled.
    os.utime(path, (now - 1, now - 1))
    assert folder.still_changing([path], 3.0, now, tick=300.0, ahead=ahead) == {path}
    os.utime(path, (now - 60, now - 60))
    assert folder.still_changing([path], 3.0, now, tick=300.0, ahead=ahead) == set()


def test_releases_the_ingest_job_stores_are_counted_in_the_metrics_as_pushed_ones_are(make_settings, clock):
    """An integrator's review: `feeds_releases_ingested_total` ("Releases ingested, by outcome") counted pushed
    releases only; the drop folder's and the remote sources' never moved it."""
    settings = make_settings()
    inbox = settings.inboxes[0].path
    daemon = Daemon(Path(settings.path), settings, clock=clock, serve=False, inbox_quiet=0.0)
    try:
        (inbox / "a.txt").write_text("Harbour wall to be rebuilt\n\nThe wall will be rebuilt.\n", encoding="utf-8")
        (inbox / "b.json").write_text('{"title": "No body"}', encoding="utf-8")
        assert daemon.jobs.ingest(daemon.app) == "1 created, 1 rejected"
        text = daemon.metrics.render().decode()
        assert 'feeds_releases_ingested_total{status="created"} 1.0' in text
        assert 'feeds_releases_ingested_total{status="rejected"} 1.0' in text
    finally:
        daemon.app.close()


def test_a_port_in_use_is_a_one_line_error_before_the_daemon_announces_itself(make_settings, clock):
    import socket

    from feeds.errors import FeedsError

    settings = make_settings()
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        daemon = Daemon(Path(settings.path), settings, clock=clock, host="127.0.0.1", port=port)
        try:
            with pytest.raises(FeedsError, match=f"cannot serve on 127.0.0.1:{port}: .*--no-serve") as refused:
                daemon.start()
            # One aside, not two in a row: "… (set [web] host and port, or --host/--port) (or run with --no-serve)".
            assert str(refused.value).endswith("(set [web] host and port, or --host/--port, or run with --no-serve)")
            assert daemon.app.store.worker_statuses(since=clock() - timedelta(days=1)) == [], "not listed as alive"
        finally:
            daemon.app.close()


def test_the_address_served_on_an_ipv6_host_is_logged_as_a_url_one_can_open(make_settings, clock, caplog):
    """An operator's review: `feeds run --host ::1` logged `serving … at http://::1:8080/`, which no browser or curl
    opens: an IPv6 address in a URL goes in brackets."""
    import socket

    from feeds.errors import FeedsError

    if not socket.has_ipv6:
        pytest.skip("no IPv6 on this machine")
    settings = make_settings()
    daemon = Daemon(Path(settings.path), settings, clock=clock, host="::1", port=0)
    try:
        with caplog.at_level(logging.INFO, logger="feeds.daemon"):
            try:
                daemon._start_web()
            except FeedsError as e:
                pytest.skip(f"cannot serve on ::1 here: {e}")
        assert f"at http://[::1]:{daemon.bound_port}/" in caplog.text
    finally:
        daemon.stop_event.set()
        if daemon._server is not None:
            daemon._server.close()
        daemon.app.close()


def test_a_change_stored_by_another_process_is_published_at_the_next_watch_tick(make_settings, clock, tmp_path):
    """`feeds ingest` in a shell while the daemon runs: the daemon is not told, but its next tick sees it."""
    from feeds.ingest import ingest_paths

    settings = make_settings()
    daemon = Daemon(Path(settings.path), settings, clock=clock, serve=False)
    triggered: list[int] = []
    daemon.jobs.trigger_publish = lambda: triggered.append(1)  # type: ignore[method-assign]
    try:
        daemon.jobs.publish(daemon.app)
        daemon.jobs.watch(daemon.app)
        assert triggered == [], "nothing changed since our publish"
        src = tmp_path / "late.json"
        src.write_text(json.dumps({"title": "Late release", "body": "Text.", "published": "2026-11-27T10:00Z"}))
        ingest_paths(daemon.app, [src])  # as another process would
        daemon.jobs.watch(daemon.app)
        assert triggered == [1]
        daemon.jobs.publish(daemon.app)
        daemon.jobs.watch(daemon.app)
        assert triggered == [1], "published: quiet again"
    finally:
        daemon.app.close()


def test_a_topic_forgotten_by_another_process_is_removed_at_the_next_watch_tick(
    make_settings, clock, tmp_path, monkeypatch
):
    """`feeds topics forget` in a shell while the daemon runs deletes a row of `published_feeds`, which the daemon's
    look for changes did not see: the topic's files stayed until the periodic publish. Now the next tick publishes,
    also when the topic was forgotten while a publish ran; a publish that records a new topic does not set off
    another."""
    import feeds.publish
    from feeds.ingest import ingest_paths
    from feeds.publish.retire import forget_feed

    settings = make_settings()
    daemon = Daemon(Path(settings.path), settings, clock=clock, serve=False)
    triggered: list[int] = []
    daemon.jobs.trigger_publish = lambda: triggered.append(1)  # type: ignore[method-assign]
    out = settings.paths.out

    def store(key: str, topic: str) -> None:
        src = tmp_path / f"{key}-{topic}.json"
        fields = {"title": f"Port talks {key}", "body": "Text.", "published": "2026-11-27T10:00Z", "source_key": key}
        src.write_text(json.dumps({**fields, "topics": [topic]}), encoding="utf-8")
        ingest_paths(daemon.app, [src])  # as another process would

    try:
        store("a", "Irn")
        store("b", "Trade")
        daemon.jobs.publish(daemon.app)  # (records the topics irn and trade, first published)
        daemon.jobs.watch(daemon.app)
        assert triggered == [], "a publish that records new topics does not set off another"
        assert (out / "topics/irn/atom.xml").is_file()
        store("a", "Iran")
        store("b", "Iran")
        daemon.jobs.publish(daemon.app)
        daemon.jobs.watch(daemon.app)
        assert triggered == [] and (out / "topics/irn/atom.xml").is_file(), "kept, empty, until forgotten"

        forget_feed(daemon.app, "topic", "irn")
        daemon.jobs.watch(daemon.app)
        assert triggered == [1], "forgotten: publish now"
        daemon.jobs.publish(daemon.app)
        assert not (out / "topics/irn").exists() and (out / "topics/iran/atom.xml").is_file()
        daemon.jobs.watch(daemon.app)
        assert triggered == [1], "published: quiet again"

        real = feeds.publish.run_publish

        def forgotten_meanwhile(app, **kw):
            report = real(app, **kw)  # (it read the published feeds, trade among them, before the forget)
            forget_feed(app, "topic", "trade")
            return report

        monkeypatch.setattr(feeds.publish, "run_publish", forgotten_meanwhile)
        daemon.jobs.publish(daemon.app)
        monkeypatch.setattr(feeds.publish, "run_publish", real)
        assert (out / "topics/trade/atom.xml").is_file()
        daemon.jobs.watch(daemon.app)
        assert triggered == [1, 1], "forgotten while a publish ran: publish again"
        daemon.jobs.publish(daemon.app)
        assert not (out / "topics/trade").exists()
        daemon.jobs.watch(daemon.app)
        assert triggered == [1, 1]
    finally:
        daemon.app.close()


def test_sigterm_during_a_watch_round_starts_no_new_fetch_and_gives_back_the_feeds_not_polled(
    make_settings, clock, httpserver, monkeypatch
):
    """Review 4 #7: the watch job is told of the stop (`stop_event`, set by SIGTERM): the fetch under way is
    stored, no other starts, and the feeds claimed but not polled are free for other daemons at once."""
    from feeds.watch import poll
    from feeds.watch.manage import add_feed

    settings = make_settings('\n[http]\nallow = ["127.0.0.1", "localhost"]\n\n[watch]\nworkers = 1\n')
    daemon = Daemon(Path(settings.path), settings, clock=clock, serve=False)
    real, fetched = poll._fetch, []

    def fetch(app, feed, own=frozenset()):
        fetched.append(feed.id)
        daemon.stop_event.set()  # as `on_term` does
        return real(app, feed, own)

    try:
        for n in range(3):
            httpserver.expect_request(f"/f{n}.xml").respond_with_data(RSS, content_type="application/rss+xml")
            add_feed(daemon.app, httpserver.url_for(f"/f{n}.xml"))
        monkeypatch.setattr(poll, "_fetch", fetch)
        summary = daemon.jobs.watch(daemon.app)
        assert len(fetched) == 1 and summary.startswith("1 feed checked") and "2 feeds given back" in summary
        lease = timedelta(seconds=settings.watch.lease)
        assert len(daemon.app.store.claim_due(clock(), limit=10, owner="other:1", lease=lease)) == 2
    finally:
        daemon.app.close()


def test_a_watch_round_stopped_before_it_checked_anything_still_says_what_it_gave_back(
    make_settings, clock, httpserver, caplog
):
    """A SIGTERM that comes as a round claims its feeds: nothing is checked, every feed is given back, and the log
    says so (the summary was empty, as for a round with nothing due, so the feeds handed back went unreported)."""
    from feeds.watch.manage import add_feed

    settings = make_settings('\n[http]\nallow = ["127.0.0.1", "localhost"]\n')
    daemon = Daemon(Path(settings.path), settings, clock=clock, serve=False)
    try:
        for n in range(2):
            add_feed(daemon.app, httpserver.url_for(f"/f{n}.xml"))

        def stopped_as_it_starts(app):
            daemon.stop_event.set()  # as `on_term` does, once the round has begun (`_run_job` checked it)
            return daemon.jobs.watch(app)

        with caplog.at_level(logging.INFO, logger="feeds.daemon"):
            daemon._run_job("watch", stopped_as_it_starts)
        said = "0 feeds checked, 0 failed, 0 new items, 0 new matches; stopped: 2 feeds given back unchecked"
        assert daemon.state.job("watch").last_summary == said
        assert f"watch: {said}" in [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
        assert httpserver.log == [], "nothing fetched"
        lease = timedelta(seconds=settings.watch.lease)
        assert len(daemon.app.store.claim_due(clock(), limit=10, owner="other:1", lease=lease)) == 2
    finally:
        daemon.app.close()


def test_a_reload_watches_the_drop_folders_of_the_new_config_and_names_what_needs_a_restart(
    make_settings, clock, caplog
):
    settings = make_settings()
    daemon = Daemon(Path(settings.path), settings, clock=clock, serve=False)
    try:
        daemon.folders.start()
        daemon._server = object()  # as if serving: web changes need a restart
        config = Path(settings.path)
        config.write_text(
            config.read_text().replace('out = "out"', 'out = "out2"')
            + '\n[[sources]]\ntype = "folder"\nname = "desk"\npath = "desk-inbox"\n\n[web]\nport = 18099\n'
        )
        with caplog.at_level(logging.WARNING, logger="feeds.daemon"):
            assert daemon.reload()
        watched = {Path(e.watch.path) for e in daemon.folders.observer.emitters}
        assert config.parent / "desk-inbox" in watched and settings.inboxes[0].path in watched
        running = settings.web.port
        assert (
            f"web.port changed from {running} to 18099: restart the daemon to serve with it; keeping {running} "
            "until then"
        ) in caplog.text
        # The web server serves the folder it started with: publishing elsewhere would split the site.
        assert (
            f"paths.out changed from {settings.paths.out} to {config.parent / 'out2'}: restart the daemon to use "
            f"it; keeping {settings.paths.out} until then"
        ) in caplog.text
        assert daemon.app.settings.paths.out == settings.paths.out
        # The running web settings are kept too: reloading the same file says so again, and a file put back to the
        # running values says nothing (an operator's review saw the warning come and go as the file was edited).
        assert daemon.app.settings.web == settings.web
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="feeds.daemon"):
            assert daemon.reload()
        assert "web.port changed" in caplog.text
        config.write_text(config.read_text().replace("port = 18099", f"port = {settings.web.port}"))
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="feeds.daemon"):
            assert daemon.reload()
        assert "web." not in caplog.text
    finally:
        daemon._server = None
        if daemon.folders.observer is not None:
            daemon.folders.observer.stop()
        daemon.app.close()


def test_a_reload_that_also_changes_the_port_still_applies_a_new_api_token(make_settings, clock, caplog):
    """A leaked token rotated in the same edit as a port change: the whole [web] table was kept, so the old token
    still opened the push API and the new one was refused, while the log named only the port."""
    settings = make_settings()
    with serving_daemon(settings, clock) as daemon:  # (as if serving: the port needs a restart)
        config = Path(settings.path)
        token = "rotated-token-0123456789"
        config.write_text(
            config.read_text() + f'\n[web]\nport = 18099\nrate_limit = 7\napi_token = "{token}"\nmax_releases = 5\n'
        )
        with caplog.at_level(logging.WARNING, logger="feeds.daemon"):
            assert daemon.reload()
        # (Both named, with what each would become, in a sentence that counts them.)
        assert (
            f"web.port changed from {settings.web.port} to 18099, web.rate_limit from {settings.web.rate_limit} "
            "to 7: restart the daemon to serve with them; keeping the running values until then"
        ) in caplog.text
        web = daemon.app.settings.web
        assert (web.port, web.api_token, web.max_releases) == (settings.web.port, token, 5)


def test_a_reload_says_which_tables_it_applied(make_settings, clock, caplog):
    """The log said "config reloaded from …" whether the edit changed anything or not (a file saved elsewhere, an
    edit not yet saved): an operator could not tell that theirs had taken."""
    settings = make_settings()
    daemon = Daemon(Path(settings.path), settings, clock=clock, serve=False)
    try:
        with caplog.at_level(logging.INFO, logger="feeds.daemon"):
            assert daemon.reload()
        assert "config reloaded from" in caplog.text and "(no change)" in caplog.text
        config = Path(settings.path)
        config.write_text(config.read_text() + '\n[watch]\ninterval = "45m"\n[daemon]\nwatch_tick = "1m"\n')
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="feeds.daemon"):
            assert daemon.reload()
        assert "(changed: watch, daemon)" in caplog.text
    finally:
        daemon.app.close()


def test_a_reload_that_allows_an_address_lets_the_watch_fetch_from_it(make_settings, clock, httpserver):
    """An operator's review: a feed on a private address was refused ("add it to [http] allow in the config"); the
    operator added it and sent SIGHUP, the log said "config reloaded", and the feed was still refused until a
    restart: the HTTP client, made at the first fetch, kept the settings it was made with."""
    settings = make_settings()
    daemon = Daemon(Path(settings.path), settings, clock=clock, serve=False)
    config = Path(settings.path)
    try:
        httpserver.expect_request("/world.xml").respond_with_data(RSS, content_type="application/rss+xml")
        # (stored as `feeds watch add` in a shell run with the fixed config, or an OPML import, would store it)
        url = httpserver.url_for("/world.xml")
        feed = daemon.app.store.add_feed(url, title="", tags=(), interval=1800.0, origin="cli", now=clock())
        daemon.jobs.watch(daemon.app)
        refused = daemon.app.store.feed(feed.id)
        assert refused.failures == 1 and "[http] allow" in (refused.last_error or "")

        config.write_text(config.read_text() + '\n[http]\nallow = ["127.0.0.1", "localhost"]\n')
        assert daemon.reload()
        clock.advance(timedelta(hours=2))  # past the failure's back-off
        summary = daemon.jobs.watch(daemon.app)
        polled = daemon.app.store.feed(feed.id)
        assert summary.startswith("1 feed checked, 0 failed"), summary
        assert polled.failures == 0 and polled.last_error is None and polled.last_status == "200"
    finally:
        daemon.app.close()


def test_a_reload_of_a_config_with_several_problems_logs_each_on_a_line_of_its_own(make_settings, clock, caplog):
    """An operator's review: a reload of a file with two mistakes logged one line reading `…: got -1\\nerror:
    …/feeds.toml:12: web.rate_limit: …`, the second problem glued to the first by an escaped line break (and so on
    /healthz). Each is its own error line, as check-config prints them; /healthz lists them with "; "."""
    settings = make_settings()
    daemon = Daemon(Path(settings.path), settings, clock=clock, serve=False)
    config = Path(settings.path)
    try:
        config.write_text(config.read_text() + "\n[watch]\nretro_days = -1\n\n[web]\nrate_limit = -5\n")
        with caplog.at_level(logging.ERROR, logger="feeds.daemon"):
            assert not daemon.reload()
        lines = [r.getMessage() for r in caplog.records]
        assert len(lines) == 2 and not any("\n" in line or "error: " in line for line in lines), lines
        assert lines[0].startswith(f"config reload failed, keeping the running config: {config}:")
        assert "watch.retro_days" in lines[0] and "web.rate_limit" in lines[1]
        (reload,) = [j for j in daemon.health.jobs() if j.name == "reload"]
        assert "\n" not in (reload.error or "") and "; " in (reload.error or "")
    finally:
        daemon.app.close()


def test_a_failed_reload_shows_in_health_until_a_good_one(make_settings, clock):
    settings = make_settings()
    daemon = Daemon(Path(settings.path), settings, clock=clock, serve=False)
    config = Path(settings.path)
    good = config.read_text()
    try:
        config.write_text(good + "\n[site]\ncolour = 1\n")
        assert not daemon.reload()
        (reload,) = [j for j in daemon.health.jobs() if j.name == "reload"]
        assert not reload.ok and "config reload failed" in (reload.error or "")
        config.write_text(good)
        assert daemon.reload()
        (reload,) = [j for j in daemon.health.jobs() if j.name == "reload"]
        assert reload.ok
    finally:
        daemon.app.close()


def test_a_reload_while_the_database_refuses_keeps_the_daemon_and_stores_the_config_later(
    make_settings, clock, monkeypatch
):
    """A review's find: SIGHUP while the database was locked past its timeout (or down) raised out of `reload` and
    ended the daemon, with no clean stop. Now it is a degraded reload, tried again until the database answers."""
    import sqlalchemy as sa

    from feeds.watch import manage

    settings = make_settings()
    daemon = Daemon(Path(settings.path), settings, clock=clock, serve=False)
    config = Path(settings.path)
    real = manage.import_configured
    answers = iter([sa.exc.OperationalError("BEGIN IMMEDIATE", {}, Exception("database is locked")), None])

    def busy_once(app):
        if (error := next(answers)) is not None:
            raise error
        return real(app)

    monkeypatch.setattr(manage, "import_configured", busy_once)
    try:
        config.write_text(config.read_text() + '\n[[watch.keywords]]\nquery = "sanctions"\n')
        assert not daemon.reload()
        (reload,) = [j for j in daemon.health.jobs() if j.name == "reload"]
        assert not reload.ok and "could not be stored yet: " in (reload.error or "") and "locked" in reload.error
        assert daemon.settings.watch.keywords[-1].query == "sanctions", "the new config runs"
        assert daemon.imports.due == clock() + timedelta(seconds=30)
        clock.advance(timedelta(seconds=30))
        assert daemon.imports.retry() and daemon.imports.due is None
        (reload,) = [j for j in daemon.health.jobs() if j.name == "reload"]
        assert reload.ok and [r.query for r in daemon.app.store.rules()] == ["sanctions"]
    finally:
        daemon.app.close()


def test_a_failed_publish_is_tried_again_from_the_watch_tick_with_a_growing_wait(make_settings, clock):
    """A review's find: a publish that failed (a full disk) was tried again only on new data or the periodic
    publish, up to ten minutes after the disk was freed; now 30 s, then twice as long each time."""
    settings = make_settings()
    daemon = Daemon(Path(settings.path), settings, clock=clock, serve=False)

    def full_disk(app):
        raise OSError(28, "No space left on device")

    try:
        assert not daemon.jobs._publish_failed_retry_due(), "no publish yet: nothing to retry"
        daemon._run_job("publish", full_disk)
        due = []
        for _ in range(8):  # watch ticks, 15 s apart
            due.append(daemon.jobs._publish_failed_retry_due())
            clock.advance(timedelta(seconds=15))
        assert due == [False, False, True, False, False, False, True, False]  # at 30 s, then 60 s later
        daemon._run_job("publish", lambda app: "1 changed")
        assert not daemon.jobs._publish_failed_retry_due() and daemon.jobs._publish_retry is None
    finally:
        daemon.app.close()


def test_a_clock_stepped_back_schedules_every_job_again(make_settings, clock, caplog):
    """A review's find: APScheduler times jobs by the wall clock, so a clock stepped back an hour stopped every job
    and the heartbeat for that hour (and `feeds status` called the daemon gone)."""
    settings = make_settings()
    daemon = Daemon(Path(settings.path), settings, clock=clock, serve=False)
    wall = [1_800_000_000.0]
    daemon._wall = lambda: wall[0]
    rescheduled: list[bool] = []

    class Scheduler:
        def shutdown(self, wait: bool) -> None:
            rescheduled.append(wait)

    try:
        assert daemon.clock_step() == 0.0
        assert abs(daemon.clock_step()) < 1, "time passing is no step"
        wall[0] -= 3600
        step = daemon.clock_step()
        assert -3601 < step < -3599
        daemon._scheduler = Scheduler()  # type: ignore[assignment]
        daemon._schedule = lambda: rescheduled.append(True)  # type: ignore[method-assign]
        with caplog.at_level(logging.WARNING, logger="feeds.daemon"):
            daemon.clock_stepped(step)
        assert rescheduled == [False, True] and "the clock stepped back by 3600 s" in caplog.text
    finally:
        daemon._scheduler = None
        daemon.app.close()


def test_an_unreachable_database_is_one_line_and_an_idle_round_is_not_logged(make_settings, clock, caplog):
    import sqlalchemy as sa

    settings = make_settings()
    daemon = Daemon(Path(settings.path), settings, clock=clock, serve=False)

    def unreachable(app):
        raise sa.exc.OperationalError("SELECT 1", {}, OSError("connection refused"))

    try:
        with caplog.at_level(logging.INFO, logger="feeds.daemon"):
            daemon._run_job("watch", unreachable)
            daemon._run_job("ingest", lambda app: "6 unchanged")
            daemon._run_job("ingest", lambda app: "6 unchanged, 1 still being written")
            daemon._run_job("poll", lambda app: "1 feed checked, 0 failed, 0 new items, 0 new matches")
            daemon._run_job("poll", lambda app: "2 feeds checked, 0 failed, 3 new items, 0 new matches")
            daemon._run_job("publish", lambda app: "2 changed, 40 unchanged")
        (failed,) = [r for r in caplog.records if r.levelno == logging.ERROR]
        assert failed.getMessage() == "watch failed: database unavailable: connection refused"
        assert failed.exc_info is None, "no traceback: it is not a bug"
        assert daemon.state.job("watch").last_error == "database unavailable: connection refused"
        infos = [r.getMessage() for r in caplog.records if r.levelno == logging.INFO]
        assert infos == [
            "poll: 2 feeds checked, 0 failed, 3 new items, 0 new matches",
            "publish: 2 changed, 40 unchanged",
        ]
    finally:
        daemon.app.close()


def test_a_folder_the_job_cannot_write_is_one_line_naming_it_not_a_traceback(make_settings, clock, caplog):
    """An operator's review: `paths.out` on a read-only volume (or under a file) failed every publish with a
    twenty-line traceback, "publish failed unexpectedly", as if a bug, where the disk was the problem."""
    settings = make_settings()
    daemon = Daemon(Path(settings.path), settings, clock=clock, serve=False)

    def read_only(app):
        raise OSError(30, "Read-only file system", "/srv/feeds/out")

    try:
        with caplog.at_level(logging.INFO, logger="feeds.daemon"):
            daemon._run_job("publish", read_only)
        (failed,) = [r for r in caplog.records if r.levelno == logging.ERROR]
        assert failed.getMessage() == "publish failed: /srv/feeds/out: Read-only file system"
        assert failed.exc_info is None, "no traceback: the disk, not a bug"
        assert daemon.state.job("publish").last_error == "/srv/feeds/out: Read-only file system"
    finally:
        daemon.app.close()


def test_a_database_refusing_a_job_is_one_line_without_the_sql_or_its_values(make_settings, clock, caplog):
    """README: a database that refuses (a revoked permission, a constraint) is recorded as its own first line,
    never with the SQL statement or the values it carried, "which stay out of the log too". The daemon logged it
    with its traceback, whose last line is SQLAlchemy's message: the statement and every value it carried."""
    import sqlalchemy as sa

    settings = make_settings()
    daemon = Daemon(Path(settings.path), settings, clock=clock, serve=False)

    class InsufficientPrivilege(Exception):
        pass

    def refused(app):
        raise sa.exc.ProgrammingError(
            "INSERT INTO items (title) VALUES (%(title)s)",
            {"title": "a private draft title"},
            InsufficientPrivilege("permission denied for table items"),
        )

    try:
        with caplog.at_level(logging.DEBUG):
            daemon._run_job("watch", refused)
        (failed,) = [r for r in caplog.records if r.levelno == logging.ERROR]
        assert failed.getMessage() == (
            "watch failed: database refused: InsufficientPrivilege: permission denied for table items"
        )
        assert failed.exc_info is None
        assert "INSERT" not in caplog.text and "private draft" not in caplog.text
    finally:
        daemon.app.close()


def test_a_job_failing_the_same_way_run_after_run_is_logged_once_then_reminded_and_its_recovery_said(
    make_settings, clock, caplog
):
    """A database down for an hour fails the watch job every minute: one error, then a reminder every
    `REPEAT_LOG_EVERY` saying since when, not sixty identical errors; a different failure is logged at once; the
    run that works again says so."""
    import sqlalchemy as sa

    from feeds.daemon.jobstate import REPEAT_LOG_EVERY

    settings = make_settings()
    daemon = Daemon(Path(settings.path), settings, clock=clock, serve=False)

    def unreachable(app):
        raise sa.exc.OperationalError("SELECT 1", {}, OSError("connection refused"))

    def broken(app):
        raise RuntimeError("something else")

    started = clock()
    try:
        with caplog.at_level(logging.DEBUG, logger="feeds.daemon"):
            for _ in range(60):
                daemon._run_job("watch", unreachable)
                clock.advance(timedelta(minutes=1))
            errors = [r for r in caplog.records if r.levelno == logging.ERROR]
            assert [r.getMessage() for r in errors[:1]] == ["watch failed: database unavailable: connection refused"]
            assert timedelta(minutes=15) == REPEAT_LOG_EVERY
            assert len(errors) == 4, "the first failure, then a reminder at minutes 15, 30 and 45"
            assert errors[1].getMessage() == (
                "watch still failing: database unavailable: connection refused "
                f"(16 failed runs since {started:%Y-%m-%d %H:%M} UTC)"
            )
            assert daemon.state.job("watch").failures == 60, "every failed run is still counted"
            caplog.clear()
            daemon._run_job("watch", broken)  # another failure: its own error, with its traceback, at once
            (error,) = [r for r in caplog.records if r.levelno == logging.ERROR]
            assert error.getMessage() == "watch failed unexpectedly: RuntimeError: something else" and error.exc_info
            caplog.clear()
            daemon._run_job("watch", lambda app: "1 feed checked, 0 failed, 0 new items, 0 new matches")
            assert [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO] == [
                f"watch works again, after 61 failed runs since {started:%Y-%m-%d %H:%M} UTC"
            ]
            caplog.clear()
            daemon._run_job("watch", unreachable)  # a new outage: its first failure is an error again
            assert [r.levelno for r in caplog.records] == [logging.ERROR]
    finally:
        daemon.app.close()


def test_an_alert_destination_naming_no_rule_is_said_at_start_and_reload_then_once_a_day(make_settings, clock, caplog):
    """A typo in a destination's `rules` was warned about at every alerts run, and the daemon runs them every
    minute: a warning a minute for ever. Now it is said at the start and at every reload, then once a day while it
    lasts (the runs between say it at debug level); fixed and broken again, it is said at once."""
    from feeds.alerts import UNKNOWN_RULES_REMINDED

    hook = '\n[alerts]\n[[alerts.webhooks]]\nname = "desk"\nurl = "https://hooks.example.org/x"\nrules = ["sanction"]\n'
    settings = make_settings(hook)
    daemon = Daemon(Path(settings.path), settings, clock=clock, serve=False)
    warning = "alert destination webhook:desk names no keyword rule called 'sanction'"

    def said(level: int = logging.WARNING) -> list[str]:
        return [r.getMessage() for r in caplog.records if r.levelno == level and warning in r.getMessage()]

    started = clock()
    try:
        daemon.app.store.add_rule("sanctions", "sanction*", origin="cli", now=clock())
        with caplog.at_level(logging.DEBUG, logger="feeds.alerts"):
            daemon._run_job("alerts", daemon.jobs.alerts)  # as `start` does
            assert said() == [warning]
            for _ in range(60):  # an hour of alerts runs
                clock.advance(timedelta(minutes=1))
                daemon._run_job("alerts", daemon.jobs.alerts)
            assert said() == [warning], "once, not once a minute"
            assert len(said(logging.DEBUG)) == 60, "the runs between say it at debug level"
            assert timedelta(days=1) == UNKNOWN_RULES_REMINDED
            while clock() - started < UNKNOWN_RULES_REMINDED:
                clock.advance(timedelta(hours=1))
                daemon._run_job("alerts", daemon.jobs.alerts)
            assert said() == [warning, f"{warning} (still, since {started:%Y-%m-%d %H:%M} UTC)"], "a day later"
            caplog.clear()
            clock.advance(timedelta(minutes=1))
            assert daemon.reload()
            assert said() == [warning], "a reload says it at once"
            clock.advance(timedelta(minutes=1))
            daemon._run_job("alerts", daemon.jobs.alerts)
            assert said() == [warning], "and the next run does not say it again"
            caplog.clear()
            daemon.app.store.add_rule("sanction", "sanction", origin="cli", now=clock())
            daemon._run_job("alerts", daemon.jobs.alerts)
            assert said(logging.DEBUG) == [] and said() == []
            daemon.app.store.remove_rule("sanction")
            clock.advance(timedelta(minutes=1))
            daemon._run_job("alerts", daemon.jobs.alerts)
            assert said() == [warning], "missing again: said at once, not a day after the last time"
        assert daemon.state.job("alerts").last_ok
    finally:
        daemon.app.close()


def test_a_drop_folder_moved_away_and_made_again_is_watched_again(make_settings, clock, caplog):
    settings = make_settings()
    daemon = Daemon(Path(settings.path), settings, clock=clock, serve=False)
    inbox = settings.inboxes[0].path
    try:
        daemon.folders.start()
        first = daemon.folders.observer
        inbox.rename(inbox.with_name("inbox.away"))
        inbox.mkdir()
        with caplog.at_level(logging.WARNING, logger="feeds.daemon"):
            daemon.jobs.ingest(daemon.app)
        assert "replaced since it was watched" in caplog.text and daemon.folders.observer is not first
        assert {Path(e.watch.path) for e in daemon.folders.observer.emitters} == {inbox}
        assert daemon.folders.watched[inbox] == (inbox.stat().st_dev, inbox.stat().st_ino)
    finally:
        if daemon.folders.observer is not None:
            daemon.folders.observer.stop()
        daemon.app.close()


@contextmanager
def scheduled_daemon(settings: Any, clock: Any) -> Iterator[Daemon]:
    """A daemon (not serving) with a running scheduler of its own, for jobs it schedules; both stopped after."""
    from apscheduler.schedulers.background import BackgroundScheduler

    daemon = Daemon(Path(settings.path), settings, clock=clock, serve=False)
    daemon._scheduler = BackgroundScheduler(timezone="UTC")
    daemon._scheduler.start()
    try:
        yield daemon
    finally:
        daemon._scheduler.shutdown(wait=False)
        daemon._scheduler = None
        daemon.app.close()


def test_the_daemon_publishes_again_when_an_embargo_lifts(make_settings, clock):
    """A release dated ahead is kept off the site; the daemon schedules a publish for the moment it is due
    rather than showing it up to a publish interval late."""
    from feeds.clock import utc_now
    from feeds.ingest import run_ingest

    settings = make_settings()
    with scheduled_daemon(settings, clock) as daemon:
        inbox = settings.source("inbox").path
        (inbox / "ports.txt").write_text(
            "EMBARGOED UNTIL 00:01 THURSDAY 3 DECEMBER 2026\n\nPress release: New strategy for ports\n\nText.\n"
        )
        assert run_ingest(daemon.app).count("created") == 1
        due = daemon.app.store.release("new-strategy-for-ports").published
        assert due.isoformat() == "2026-12-03T00:01:00+00:00"
        daemon.jobs.publish(daemon.app)
        job = daemon._scheduler.get_job("publish-embargo")
        assert job is not None
        expected = utc_now() + (due - clock()) + timedelta(seconds=1)
        assert abs((job.next_run_time - expected).total_seconds()) < 5
        assert not (settings.paths.out / "releases" / "new-strategy-for-ports").exists()


def test_the_daemon_publishes_again_when_a_release_ages_out_of_the_news_sitemap(make_settings, clock):
    """sitemap-news.xml lists the releases of the last two days: the daemon publishes again the moment the first of
    them ages out, rather than up to a publish interval (or a day) late."""
    from feeds.clock import utc_now
    from feeds.ingest import run_ingest

    settings = make_settings('\n[daemon]\npublish_interval = "1d"\n')
    with scheduled_daemon(settings, clock) as daemon:
        inbox = settings.source("inbox").path
        (inbox / "ferries.json").write_text(
            '{"title": "Ferries restored", "body": "Text.", "published": "2026-11-28T09:00:00Z"}'
        )
        assert run_ingest(daemon.app).count("created") == 1
        daemon.jobs.publish(daemon.app)
        job = daemon._scheduler.get_job("publish-news")
        assert job is not None
        ages_out = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
        expected = utc_now() + (ages_out - clock()) + timedelta(seconds=1)
        assert abs((job.next_run_time - expected).total_seconds()) < 5


def test_a_job_still_running_after_the_grace_period_is_named(make_settings, clock, caplog):
    """Operators review: "1 job(s) still running after the 30 s grace period" named neither the job nor what
    happens to the feeds it was polling."""
    from feeds.watch.manage import add_feed

    settings = make_settings('\n[daemon]\ngrace = "1s"\n')
    daemon = Daemon(Path(settings.path), settings, clock=clock, serve=False)
    release = threading.Event()
    started = threading.Event()
    lease = timedelta(seconds=settings.watch.lease)
    add_feed(daemon.app, "https://news.example.com/slow.xml")

    def stuck(app: Any) -> str:  # a round stuck in the fetch of the feed it claimed
        assert len(app.store.claim_due(clock(), limit=10, owner=daemon.worker, lease=lease)) == 1
        started.set()
        release.wait(timeout=DEADLINE)
        return ""

    worker = threading.Thread(target=daemon._run_job, args=("watch", stuck))
    worker.start()
    try:
        assert started.wait(timeout=DEADLINE)
        caplog.set_level(logging.INFO, logger="feeds")
        daemon.stop()
        assert "watch still running after the 1 s grace period" in caplog.text
        # Its feed is given back, due again at once for any daemon (it waited for its lease to run out before).
        assert "the feeds being polled are given back" in caplog.text
        assert len(daemon.app.store.claim_due(clock(), limit=10, owner="other:1", lease=lease)) == 1
        # The last line is written whole (it once broke the log with "%d format: … not list").
        assert "stopped (abandoning 1 running job(s))" in caplog.text
    finally:
        release.set()
        worker.join(timeout=DEADLINE)
        daemon.app.close()


def test_a_publish_still_running_after_the_grace_period_is_not_said_to_give_back_feeds(make_settings, clock, caplog):
    """An operator's review: SIGTERM during a long publish said "… the feeds being polled are given back, due
    again for any daemon", when no feed was being polled; and named the config by the relative path it was given
    (`config cfg/feeds.toml`), which says nothing in a service's journal."""
    settings = make_settings('\n[daemon]\ngrace = "1s"\n')
    relative = Path(os.path.relpath(settings.path))
    daemon = Daemon(relative, settings, clock=clock, serve=False)
    release, started = threading.Event(), threading.Event()

    def stuck(_app: Any) -> str:
        started.set()
        release.wait(timeout=DEADLINE)
        return ""

    worker = threading.Thread(target=daemon._run_job, args=("publish", stuck))
    worker.start()
    try:
        assert started.wait(timeout=DEADLINE)
        caplog.set_level(logging.INFO, logger="feeds")
        assert daemon.stop() is False
        assert (
            "publish still running after the 1 s grace period; exiting anyway (nothing is half-written: every job "
            "commits atomically)"
        ) in caplog.text
        assert "feeds being polled" not in caplog.text
        assert daemon.config_path == Path(settings.path)
    finally:
        release.set()
        worker.join(timeout=DEADLINE)
        daemon.app.close()


def test_a_stop_signal_says_which_job_it_waits_for_or_that_none_runs(signal_handlers, caplog):
    """An operator's review: "received SIGTERM: stopping after the running job" on an idle daemon (no job was
    running: it stopped at once), and the same words while a ten-second publish ran, which the log did not name."""
    from feeds.daemon.shutdown import RunningJobs, on_signals

    running = RunningJobs()
    stop, reload_requested = threading.Event(), threading.Event()
    on_signals(stop, reload_requested, running)
    caplog.set_level(logging.INFO, logger="feeds.daemon")
    signal.raise_signal(signal.SIGTERM)
    running.started("publish")
    signal.raise_signal(signal.SIGINT)
    assert stop.is_set()
    assert caplog.messages == [
        "received SIGTERM: stopping (no job is running)",
        "received SIGINT: stopping after the running job (publish)",
    ]


def test_feeds_a_stop_cannot_give_back_wait_for_their_lease_and_the_log_says_so(make_settings, clock, caplog):
    settings = make_settings('\n[daemon]\ngrace = "1s"\n')
    daemon = Daemon(Path(settings.path), settings, clock=clock, serve=False)
    release, started = threading.Event(), threading.Event()

    def refuse(ids: Any, *, owner: str) -> None:
        raise RuntimeError("database is locked")

    def stuck(_app: Any) -> str:
        started.set()
        release.wait(timeout=DEADLINE)
        return ""

    daemon.app.store.release_feeds = refuse  # type: ignore[method-assign]
    worker = threading.Thread(target=daemon._run_job, args=("watch", stuck))
    worker.start()
    try:
        assert started.wait(timeout=DEADLINE)
        caplog.set_level(logging.INFO, logger="feeds")
        assert daemon.stop() is False
        assert "could not give back the feeds being polled: RuntimeError: database is locked" in caplog.text
        assert "polled again, by any daemon, when their lease of 300 s runs out" in caplog.text
    finally:
        release.set()
        worker.join(timeout=DEADLINE)
        daemon.app.close()


def test_a_stop_past_its_grace_period_waits_for_a_hung_database_a_bounded_time(
    make_settings, clock, caplog, monkeypatch
):
    """Operators review: with the database hung (a proxy that accepts and passes nothing on), a stop took the
    grace period, then up to 5 s giving back feeds, then a last heartbeat that waited for the database as long as
    it liked: systemd's stop timeout, set near `daemon.grace`, killed it first. Both now share one bounded wait,
    and a job running twice is named once."""
    from feeds.daemon import shutdown

    monkeypatch.setattr(shutdown, "GIVE_BACK_WAIT", 0.5)
    settings = make_settings('\n[daemon]\ngrace = "1s"\n')
    daemon = Daemon(Path(settings.path), settings, clock=clock, serve=False)
    release, started, hung = threading.Event(), threading.Event(), threading.Event()
    calls: list[str] = []

    def hang(*_args: Any, **_kwargs: Any) -> None:
        calls.append("asked")
        hung.wait(timeout=DEADLINE)
        calls.append("answered")

    def stuck(_app: Any) -> str:
        started.set()
        release.wait(timeout=DEADLINE)
        return ""

    workers = [threading.Thread(target=daemon._run_job, args=("watch", stuck)) for _ in range(2)]
    for w in workers:
        w.start()
    try:
        assert started.wait(timeout=DEADLINE)
        daemon.app.store.release_feeds = hang  # type: ignore[method-assign]
        daemon.app.store.save_worker_status = hang  # type: ignore[method-assign]
        caplog.set_level(logging.INFO, logger="feeds")
        assert daemon.stop() is False
        assert "asked" in calls and "answered" not in calls, "the stop did not wait for the database to answer"
        assert "watch still running after the 1 s grace period" in caplog.text
        assert "watch, watch" not in caplog.text
    finally:
        hung.set()
        release.set()
        for w in workers:
            w.join(timeout=DEADLINE)
        daemon.app.close()


def test_the_web_threads_select_on_a_socket_the_stop_closed_is_no_error(make_settings, clock):
    """An operator's review: about one stop in five printed 'Exception in thread web: … select.select … OSError:
    [Errno 9] Bad file descriptor' (the main thread closes the sockets the web loop is waiting on)."""

    class ClosedUnderIt:
        def run(self) -> None:
            raise OSError(9, "Bad file descriptor")

    settings = make_settings()
    daemon = Daemon(Path(settings.path), settings, clock=clock, serve=False)
    try:
        daemon._server = ClosedUnderIt()
        with pytest.raises(OSError):
            daemon._serve()  # not stopping: a real failure, which the thread reports
        daemon.stop_event.set()
        daemon._serve()  # stopping: expected, silent
    finally:
        daemon.app.close()


def test_run_once_fails_when_the_drop_folder_cannot_be_emptied(make_settings, clock, monkeypatch):
    """An operator's review: a read-only inbox was logged every minute, but the round, /healthz and `run --once`
    said all was well. (Read-only for the drop folder's own calls: the tests may run as root.)"""
    import os

    from feeds.ingest import folder

    settings = make_settings()
    (settings.source("inbox").path / "visit.txt").write_text("Ferry fares frozen\n\nFares stay as they are.")
    real_mkdir = os.mkdir

    def read_only(path, *args, **kwargs):
        if kwargs.get("dir_fd") is not None:
            raise PermissionError(13, "Permission denied", path)
        return real_mkdir(path, *args, **kwargs)

    monkeypatch.setattr(folder.os, "mkdir", read_only)
    daemon = Daemon(Path(settings.path), settings, clock=clock, serve=False)
    assert daemon.run_once() == 1
    ingest = daemon.state.jobs["ingest"]
    assert ingest.last_ok is False and "1 file(s) stayed in the drop folder" in (ingest.last_error or "")
    assert "writable by the user running feeds" in (ingest.last_error or "") and "1 created" in ingest.last_error


def test_run_once_fails_when_a_source_cannot_be_read(make_settings, clock, httpserver):
    """Re-check: a remote source answering 500 made `feeds ingest` exit 1 but `feeds run --once` (the cron form)
    exit 0, and the daemon's ingest round counted as done."""
    from werkzeug import Response

    url = httpserver.url_for("/search.json")
    remote = f'[[sources]]\ntype = "remote_json"\nname = "govuk"\nurl = "{url}"\n'
    settings = make_settings('\n[http]\nallow = ["127.0.0.1", "localhost"]\n' + remote)
    httpserver.expect_request("/search.json").respond_with_response(Response("down", status=500))
    daemon = Daemon(Path(settings.path), settings, clock=clock, serve=False)
    assert daemon.run_once() == 1
    ingest = daemon.state.jobs["ingest"]
    assert ingest.last_ok is False and "could not read source 'govuk'" in (ingest.last_error or "")
    assert "500" in (ingest.last_error or "")


def test_a_sigterm_while_the_daemon_sets_itself_up_stops_it_cleanly(signal_handlers, make_settings, monkeypatch):
    """A reliability review: SIGTERM 0.8 s after `feeds run` started killed it (exit -15, an empty log) where a
    later one stops it with exit 0."""
    from click.testing import CliRunner

    from feeds.cli import cli

    settings = make_settings()
    set_up = Daemon.__init__
    started: list[bool] = []

    def sigterm_while_setting_up(self: Daemon, *args: Any, **kwargs: Any) -> None:
        os.kill(os.getpid(), signal.SIGTERM)  # delivered here, in the main thread, before the daemon's handler
        set_up(self, *args, **kwargs)

    monkeypatch.setattr(Daemon, "__init__", sigterm_while_setting_up)
    monkeypatch.setattr(Daemon, "start", lambda self: started.append(True))
    result = CliRunner().invoke(cli, ["--config", str(settings.path), "run", "--no-serve", "--log-format", "json"])
    assert result.exit_code == 0, result.output
    assert "received SIGTERM while starting: stopping" in result.output
    assert started == [], "nothing was started"


def test_a_sighup_while_the_daemon_sets_itself_up_reloads_once_it_runs_rather_than_killing_it(
    signal_handlers, make_settings, monkeypatch
):
    """An operator's review: `systemctl reload feeds` (SIGHUP) in the first second of `feeds run`, as a config
    tool does after starting the service and editing its config, killed the daemon (exit 129, an empty log):
    SIGHUP's default action until the daemon's handler was in place. It is kept, and the config read again once
    the daemon runs (the edit may have come after the start read it); Ctrl-C then stops it as SIGTERM does."""
    from click.testing import CliRunner

    from feeds.cli import cli

    settings = make_settings()
    set_up = Daemon.__init__
    reloads: list[bool] = []

    def sighup_while_setting_up(self: Daemon, *args: Any, **kwargs: Any) -> None:
        os.kill(os.getpid(), signal.SIGHUP)  # delivered here, in the main thread, before the daemon's handler
        os.kill(os.getpid(), signal.SIGINT)
        set_up(self, *args, **kwargs)

    def reload(self: Daemon) -> bool:
        reloads.append(True)
        return True

    monkeypatch.setattr(Daemon, "__init__", sighup_while_setting_up)
    monkeypatch.setattr(Daemon, "start", lambda self: None)
    monkeypatch.setattr(Daemon, "reload", reload)
    result = CliRunner().invoke(cli, ["--config", str(settings.path), "run", "--no-serve", "--log-format", "json"])
    assert result.exit_code == 0, result.output
    assert "received SIGINT while starting: stopping" in result.output
    assert "received SIGHUP while starting: the config is read again once running" in result.output
    assert reloads == [], "stopped before it ran: nothing to reload"


def test_a_sighup_while_the_daemon_sets_itself_up_is_a_reload_once_it_runs(signal_handlers, make_settings, monkeypatch):
    from click.testing import CliRunner

    from feeds.cli import cli

    settings = make_settings()
    set_up = Daemon.__init__
    reloads: list[bool] = []

    def sighup_while_setting_up(self: Daemon, *args: Any, **kwargs: Any) -> None:
        os.kill(os.getpid(), signal.SIGHUP)
        set_up(self, *args, **kwargs)

    def reload(self: Daemon) -> bool:
        reloads.append(True)
        self.stop_event.set()
        return True

    monkeypatch.setattr(Daemon, "__init__", sighup_while_setting_up)
    monkeypatch.setattr(Daemon, "start", lambda self: None)
    monkeypatch.setattr(Daemon, "reload", reload)
    result = CliRunner().invoke(cli, ["--config", str(settings.path), "run", "--no-serve", "--log-format", "json"])
    assert result.exit_code == 0, result.output
    assert reloads == [True]


def test_a_sigterm_during_run_once_stops_it_after_the_running_job_with_status_143(
    signal_handlers, make_settings, monkeypatch
):
    """An operator's review: cron's `timeout` (SIGTERM) ending `feeds run --once` in its publish killed it where it
    stood, without a word in its log: a temporary file left in out/ (public), a watch round's claimed feeds leased
    for `watch.lease`. It stops as the daemon does, after the running job, and exits 143 (a second SIGTERM kills)."""
    from click.testing import CliRunner

    from feeds.cli import cli
    from feeds.daemon.jobs import Jobs

    settings = make_settings()
    ran: list[str] = []

    def ingest(self: Jobs, app: Any) -> str:
        os.kill(os.getpid(), signal.SIGTERM)  # delivered here, in the main thread, while the ingest runs
        ran.append("ingest")
        return "1 created"

    monkeypatch.setattr(Jobs, "ingest", ingest)
    monkeypatch.setattr(Jobs, "watch", lambda self, app: ran.append("watch") or "")
    saved = signal_handlers
    result = CliRunner().invoke(cli, ["--config", str(settings.path), "run", "--once", "--log-format", "json"])
    assert signal.getsignal(signal.SIGTERM) is saved[signal.SIGTERM], "put back on the way out"
    assert result.exit_code == 143, result.output
    assert ran == ["ingest"], "the running job finished; no other started"
    assert "received SIGTERM: stopping after the running job (ingest)" in result.output


def test_feeds_status_lists_each_job_once_with_its_soonest_run_and_not_the_heartbeat(make_settings, clock):
    """A run asked for sooner (a dropped file, an embargo ending) is the job's next run, not a job of its own
    that never ran ("last -"); the heartbeat is shown on the daemon's own line."""
    from apscheduler.schedulers.background import BackgroundScheduler

    from feeds.clock import utc_now

    settings = make_settings()
    daemon = Daemon(Path(settings.path), settings, clock=clock, serve=False)
    daemon._scheduler = BackgroundScheduler(timezone="UTC")
    start = utc_now() + timedelta(hours=1)
    daemon._scheduler.add_job(daemon.heartbeat, "interval", id="heartbeat", seconds=15, next_run_time=start)
    for name, seconds in (("publish", 60), ("watch", 300)):
        daemon._scheduler.add_job(
            daemon._run_job, "interval", args=(name, lambda _app: ""), id=name, seconds=seconds, next_run_time=start
        )
    daemon._scheduler.start(paused=True)
    try:
        daemon._soon("publish-soon", "publish", lambda _app: "", 600.0)
        runs = daemon.next_runs()
        assert set(runs) == {"publish", "watch"}
        assert runs["watch"] == start
        soon = runs["publish"]
        assert soon is not None and abs((soon - (utc_now() + timedelta(seconds=600))).total_seconds()) < 5
        daemon.heartbeat()
        (status,) = [s for *_, s in daemon.app.store.worker_statuses(since=clock() - timedelta(days=1))]
        assert sorted(status["jobs"]) == ["publish", "watch"]
    finally:
        daemon._scheduler.shutdown(wait=False)
        daemon._scheduler = None
        daemon.app.close()


def test_a_publish_asked_for_again_keeps_its_time_so_a_steady_stream_of_changes_still_publishes(make_settings, clock):
    """A change asks for a publish `publish_debounce` later. Another change before it runs must not push it back
    (pushes arriving more often than the debounce would otherwise hold every publish back until they stop, up to
    `publish_interval`): the run asked for first is kept, and a sooner one still wins. The drop folder's ingest is
    a trailing debounce on purpose (it waits until the files are quiet)."""
    from apscheduler.schedulers.background import BackgroundScheduler

    from feeds.clock import utc_now

    settings = make_settings()
    daemon = Daemon(Path(settings.path), settings, clock=clock, serve=False)
    daemon._scheduler = BackgroundScheduler(timezone="UTC")
    daemon._scheduler.start(paused=True)

    def due(job_id: str) -> float:
        job = daemon._scheduler.get_job(job_id)
        return (job.next_run_time - utc_now()).total_seconds()

    try:
        daemon._soon("publish-soon", "publish", lambda _app: "", 600.0, postpone=False)
        daemon._soon("publish-soon", "publish", lambda _app: "", 900.0, postpone=False)
        assert 590 < due("publish-soon") <= 600
        daemon._soon("publish-soon", "publish", lambda _app: "", 60.0, postpone=False)
        assert 50 < due("publish-soon") <= 60
        daemon._soon("ingest-soon", "ingest", lambda _app: "", 600.0)
        daemon._soon("ingest-soon", "ingest", lambda _app: "", 900.0)
        assert 890 < due("ingest-soon") <= 900

        asked: list[tuple[str, dict[str, object]]] = []
        daemon.jobs.soon = lambda job_id, *_args, **kwargs: asked.append((job_id, kwargs))
        daemon.jobs.trigger_publish()
        daemon.jobs.trigger_alerts()
        daemon.jobs.trigger_ingest()
        assert asked == [
            ("publish-soon", {"postpone": False}),
            ("alerts-soon", {"postpone": False}),
            ("ingest-soon", {}),
        ]
    finally:
        daemon._scheduler.shutdown(wait=False)
        daemon._scheduler = None
        daemon.app.close()


def test_a_job_whose_thread_is_held_as_the_stop_comes_either_does_not_run_or_is_waited_for(make_settings, clock):
    """A busy machine holds a job's thread right after it looked whether the daemon is stopping: the stop found no
    job running, closed the store and the worker processes, and the job then ran on them ("ingest failed" in the
    log of a clean `docker stop`). Its thread is held here by its look at the stop event, until the stop has
    waited for the running jobs (or, as the look now holds the stop's wait, half a second)."""
    settings = make_settings()
    daemon = Daemon(Path(settings.path), settings, clock=clock, serve=False)
    looked, stop_waited = threading.Event(), threading.Event()
    happened: list[str] = []

    class HeldAfterLooking(threading.Event):
        def is_set(self) -> bool:
            seen = super().is_set()
            if threading.current_thread() is job and not looked.is_set():
                looked.set()
                stop_waited.wait(timeout=0.5)
            return seen

    def ingest(app: Any) -> str:
        happened.append("the job ran")
        return "done"

    daemon.stop_event = HeldAfterLooking()
    job = threading.Thread(target=daemon._run_job, args=("ingest", ingest))
    try:
        job.start()
        assert looked.wait(timeout=10)
        daemon.stop_event.set()
        assert daemon._running.wait(time.monotonic() + 10) == []
        happened.append("the stop waited for the running jobs")
        stop_waited.set()
        job.join(timeout=10)
        assert happened[-1] == "the stop waited for the running jobs", happened
    finally:
        daemon.app.close()


def test_a_lock_outage_is_warned_of_once_while_the_sessions_its_note_names_change(make_settings, clock, caplog):
    """A lock timeout's note names who holds the lock and in what state: it changes while the same lock stays
    held (a session going from active to idle, another one queueing), and the heartbeat warned again each time."""
    import sqlalchemy as sa

    settings = make_settings()
    daemon = Daemon(Path(settings.path), settings, clock=clock, serve=False)
    holders = iter(["pid 7 (psql, active since 09:58:01 UTC)", "pid 7 (psql, idle in transaction since 09:58:01 UTC)"])

    def locked(*args: Any, **kwargs: Any) -> None:
        error = sa.exc.OperationalError("UPDATE workers", {}, Exception("canceling statement due to lock timeout"))
        error.add_note(f"another session held a lock it needed: {next(holders)}")
        raise error

    try:
        daemon.app.store.save_worker_status = locked  # type: ignore[method-assign]
        with caplog.at_level(logging.INFO, logger="feeds.daemon"):
            daemon.heartbeat()
            daemon.heartbeat()
        said = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
        assert len(said) == 1 and said[0].endswith("(psql, active since 09:58:01 UTC))"), said
    finally:
        daemon.app.close()


def test_a_heartbeat_the_database_refuses_is_logged_once_on_one_line_without_its_sql(make_settings, clock, caplog):
    """Every job ends with a heartbeat: a database that refuses it (a revoked permission) or is down must not put
    SQLAlchemy's message in the log, SQL statement and values included, on every tick."""
    import sqlalchemy as sa

    settings = make_settings()
    daemon = Daemon(Path(settings.path), settings, clock=clock, serve=False)
    save = daemon.app.store.save_worker_status

    def refuse(*args: Any, **kwargs: Any) -> None:
        raise sa.exc.ProgrammingError(
            "INSERT INTO workers (worker, status) VALUES (%(worker)s, %(status)s)",
            {"worker": "host:1", "status": '{"secret-ish": 1}'},
            Exception("permission denied for table workers"),
        )

    try:
        daemon.app.store.save_worker_status = refuse  # type: ignore[method-assign]
        with caplog.at_level(logging.INFO, logger="feeds.daemon"):
            for _ in range(3):
                daemon.heartbeat()
        lines = [r.getMessage() for r in caplog.records if "heartbeat" in r.getMessage()]
        assert lines == ["could not record the heartbeat: Exception: permission denied for table workers"]
        caplog.clear()
        daemon.app.store.save_worker_status = save  # type: ignore[method-assign]
        with caplog.at_level(logging.INFO, logger="feeds.daemon"):
            daemon.heartbeat()
            daemon.heartbeat()
        assert [r.getMessage() for r in caplog.records] == ["heartbeat recorded again"]
        assert [w[0] for w in daemon.app.store.worker_statuses(since=clock() - timedelta(days=1))] == [daemon.worker]
    finally:
        daemon.app.close()


# --- retention: what housekeeping forgets after years, and what it must keep ------------------------------------


def _statuses(report) -> list[str]:
    return [o.status for o in report.outcomes]


def test_housekeeping_forgets_old_ledger_rows_and_the_same_file_dropped_again_is_unchanged(make_settings, clock):
    """An operator's review: the ledger of ingested files grew with every file for ever. Old rows go; the same
    bytes dropped again, under the same name or another, publish nothing new (the release's own identity and
    content hash, or the first file's row, which stays, say "unchanged")."""
    from feeds.ingest import run_ingest

    settings = make_settings()
    daemon = Daemon(Path(settings.path), settings, clock=clock, serve=False)
    app, inbox = daemon.app, settings.source("inbox").path
    named = "---\ntitle: Harbour wall\nslug: harbour-wall\npublished: 2026-11-27T09:00:00Z\n---\nThe wall.\n"
    undated = "---\ntitle: Pier repaired\nslug: pier\n---\nThe pier.\n"
    by_file = release_md("Quay lights replaced")
    try:
        for name, text in (("named.md", named), ("undated.md", undated), ("quay.md", by_file)):
            drop(inbox, name, text)
        assert _statuses(run_ingest(app)) == ["created"] * 3
        clock.advance(timedelta(minutes=1))
        drop(inbox, "quay (1).md", by_file)  # a second copy: its releases, not new ones
        assert _statuses(run_ingest(app)) == ["unchanged"]
        clock.advance(timedelta(days=100))
        with app.store.engine.connect() as conn:
            before = conn.execute(sa.text("SELECT count(*) FROM ingested_files")).scalar_one()
        assert before == 4
        summary = daemon.jobs.housekeeping(app)
        assert "3 ingested-file records" in summary, summary
        with app.store.engine.connect() as conn:
            left = sorted(conn.execute(sa.text("SELECT name FROM ingested_files")).scalars())
        assert left == ["quay.md"], "the first file of a release known only by its file stays"
        count = app.store.count_releases()
        for name, text in (
            ("named.md", named),
            ("undated.md", undated),
            ("quay.md", by_file),
            ("named (2).md", named),
            ("quay (1).md", by_file),
            ("quay (2).md", by_file),
        ):
            drop(inbox, name, text)
            assert _statuses(run_ingest(app)) == ["unchanged"], name
        assert app.store.count_releases() == count, "no release was published twice"
    finally:
        app.close()


def test_a_ledger_row_whose_file_never_left_the_drop_folder_is_kept_however_old(make_settings, clock):
    """Committed but not moved (processed/ not writable, a crash between the two): the row is what stops the
    leftover undoing the version stored since. Housekeeping looks in the drop folder before it forgets a row."""
    from feeds.ingest import run_ingest

    settings = make_settings()
    daemon = Daemon(Path(settings.path), settings, clock=clock, serve=False)
    app, inbox = daemon.app, settings.source("inbox").path
    v1 = "---\ntitle: Ferry timetable\nslug: ferry\npublished: 2026-11-27T09:00:00Z\n---\nFirst version.\n"
    try:
        drop(inbox, "ferry.md", v1)
        run_ingest(app)
        drop(inbox, "ferry-v2.md", v1.replace("First version.", "Second version, corrected."))
        assert _statuses(run_ingest(app)) == ["updated"]
        leftover = inbox / "ferry.md"
        (inbox / "processed" / "ferry.md").rename(leftover)  # as if its move had never happened
        past = (clock() - timedelta(days=1)).timestamp()
        os.utime(leftover, (past, past))  # (written before it was ingested, as such a leftover was)
        clock.advance(timedelta(days=400))
        daemon.jobs.housekeeping(app)
        with app.store.engine.connect() as conn:
            left = sorted(conn.execute(sa.text("SELECT name FROM ingested_files")).scalars())
        assert left == ["ferry.md"], left
        assert _statuses(run_ingest(app)) == ["unchanged"]
        assert "Second version" in app.store.release("ferry").body_text, "the leftover did not undo the edit"
    finally:
        app.close()


def test_housekeeping_forgets_old_sent_alerts_and_keeps_matches_by_default(make_settings, clock, caplog):
    """Sent deliveries were kept for ever too. Sent and failed ones go after `alerts.retention_days`; pending ones
    stay; matches go only when `watch.match_retention_days` is set."""
    from feeds.store.alerts import AttemptRecord, NewDelivery
    from tests.alerts_helpers import add_keyword_matches

    settings = make_settings()
    daemon = Daemon(Path(settings.path), settings, clock=clock, serve=False)
    store, hook = daemon.app.store, "webhook:hook"
    try:
        add_keyword_matches(store, {"a": "Alpha sanctions", "b": "Beta sanctions"}, found_at=clock())
        queued = [
            NewDelivery(c.match_id, f"k{c.match_id}", clock()) for c in store.unqueued_matches(hook, since=clock())
        ]
        store.enqueue_deliveries(hook, queued, clock())
        (claimed,) = store.claim_deliveries(hook, clock(), limit=1, owner="w", lease=timedelta(minutes=5))
        sent = AttemptRecord(claimed.delivery.id, "sent", 1, None, "200", None, clock())
        store.record_attempts([sent], clock(), owner="w")
        clock.advance(timedelta(days=400))
        with caplog.at_level(logging.INFO, logger="feeds.daemon"):
            daemon._run_job("housekeeping", daemon.jobs.housekeeping)
        assert [d.status for d in store.deliveries()] == ["pending"], "the sent one went, the pending one stays"
        assert store.count_matches() == 2, "matches are kept for ever by default"
        assert "housekeeping: pruned 1 settled alert delivery" in caplog.text, caplog.text
    finally:
        daemon.app.close()


def test_old_matches_go_when_a_match_retention_is_set(make_settings, clock):
    from tests.alerts_helpers import add_keyword_matches

    settings = make_settings("\n[watch]\nmatch_retention_days = 365\n")
    daemon = Daemon(Path(settings.path), settings, clock=clock, serve=False)
    store = daemon.app.store
    try:
        add_keyword_matches(store, {"old": "Old sanctions"}, found_at=clock() - timedelta(days=400))
        add_keyword_matches(store, {"new": "New sanctions"}, found_at=clock() - timedelta(days=100))
        summary = daemon.jobs.housekeeping(daemon.app)
        assert "1 match" in summary and "1 old item" in summary, summary
        assert [m.item.item.key for m in store.matches()] == ["new"]
        assert [s.item.key for s in store.stored_items()] == ["new"], "the old match's item went with it"
    finally:
        daemon.app.close()


def test_a_drop_folder_that_cannot_be_listed_keeps_its_ledger_rows(make_settings, clock, caplog):
    """Housekeeping cannot tell which of its files are still there: it forgets none of them, and says why."""
    from feeds.ingest import run_ingest

    settings = make_settings()
    daemon = Daemon(Path(settings.path), settings, clock=clock, serve=False)
    app, inbox = daemon.app, settings.source("inbox").path
    try:
        drop(inbox, "named.md", "---\ntitle: Harbour wall\nslug: harbour-wall\n---\nThe wall.\n")
        assert _statuses(run_ingest(app)) == ["created"]
        inbox.rename(inbox.with_name("inbox-away"))
        inbox.write_text("not a folder")  # (root may list a folder whatever its mode: a file cannot be listed)
        clock.advance(timedelta(days=400))
        with caplog.at_level(logging.WARNING, logger="feeds.daemon"):
            daemon.jobs.housekeeping(app)
        with app.store.engine.connect() as conn:
            assert conn.execute(sa.text("SELECT name FROM ingested_files")).scalars().all() == ["named.md"]
        assert f"cannot list {inbox}" in caplog.text and "'inbox'" in caplog.text, caplog.text
    finally:
        app.close()


def test_a_second_ctrl_c_while_the_daemon_waits_for_its_jobs_exits_at_once_with_130(signal_handlers, caplog):
    """An operator's review: Ctrl-C on a foreground daemon waited for the running job (up to `daemon.grace`), and a
    second Ctrl-C only said "stopping" again: nothing but SIGKILL ended the wait. It now exits at once, 130, as a
    process killed by SIGINT; a SIGTERM (systemd) after the first still waits."""
    from feeds.daemon.shutdown import RunningJobs, on_signals

    running = RunningJobs()
    stop, reload_requested = threading.Event(), threading.Event()
    exits: list[int] = []
    on_signals(stop, reload_requested, running, exit_now=exits.append)
    caplog.set_level(logging.INFO, logger="feeds.daemon")
    running.started("watch")
    signal.raise_signal(signal.SIGINT)
    signal.raise_signal(signal.SIGTERM)
    assert exits == [] and stop.is_set()
    signal.raise_signal(signal.SIGINT)
    assert exits == [130]
    assert caplog.messages[-1] == (
        "received a second SIGINT: exiting at once (exit 130), abandoning the running job (watch); nothing is "
        "half-written: every job commits atomically"
    )


def test_metrics_list_only_the_jobs_the_daemon_runs(make_settings, clock):
    """An operator's review: /metrics listed `feeds_jobs_total{job="websub"} 0` on a daemon with no hub configured,
    which never runs that job (and `feeds serve`, which runs none, listed all six). Only the jobs scheduled are
    listed; a reload adding a hub adds its job."""
    settings = make_settings()
    daemon = Daemon(Path(settings.path), settings, clock=clock, serve=False)
    try:
        daemon._schedule()
        text = daemon.metrics.render().decode()
        assert 'feeds_jobs_total{job="watch"} 0.0' in text.splitlines()
        assert 'job="websub"' not in text
        assert daemon._scheduler is not None
        daemon._scheduler.shutdown(wait=False)
        hub = make_settings('\n[publish]\nhub = "https://hub.example.org/"\n')
        daemon.app.settings = daemon.settings = hub
        daemon._schedule()
        text = daemon.metrics.render().decode()
        assert 'feeds_jobs_total{job="websub"} 0.0' in text.splitlines()
        assert 'feeds_job_failures_total{job="websub"} 0.0' in text.splitlines()
    finally:
        if daemon._scheduler is not None:
            daemon._scheduler.shutdown(wait=False)
        daemon.app.close()
    from feeds.web.metrics import Metrics

    assert '{job="' not in Metrics(worker="serve:1").render().decode(), "feeds serve runs no job"


def test_a_folder_source_that_cannot_be_read_is_named_once_in_the_rounds_error(make_settings, clock):
    """An operator's review: "could not read source 'inbox': …/inbox: cannot read the folder of source 'inbox': no
    such folder" named the source twice (a remote source's HTTP error, which does not name it, keeps the prefix)."""
    settings = make_settings('\n[[sources]]\ntype = "folder"\nname = "archive"\npath = "archiv"\nmove = false\n')
    daemon = Daemon(Path(settings.path), settings, clock=clock, serve=False)
    try:
        assert daemon.run_once() == 1
    finally:
        daemon.app.close()
    error = daemon.state.jobs["ingest"].last_error or ""
    assert error.count("'archive'") == 1, error
    assert error.startswith(f"{settings.path.parent / 'archiv'}: cannot read the folder of source 'archive': "), error
