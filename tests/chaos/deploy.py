"""A throw-away deployment for the daemon under test: a config, a drop folder, out/ and state/ in one folder, and
`python -m feeds run` started, killed and stopped as a subprocess. Shared by the kill test and bench_load.py.

Releases are dropped the way the README asks writers to: written under a dot-name, then renamed into the inbox.
The daemon's output goes to `daemon.log` in the deployment folder (read it when a test fails).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BASE_URL = "https://press.example.org/"


def release_json(n: int, *, topic: str = "Harbours", extra_words: str = "") -> bytes:
    """A valid release with its own source_key (so each number is one release, whatever the file is called)."""
    day = 1 + n % 27
    obj = {
        "title": f"Harbour notice {n}: berth works at quay {n % 9}",
        "body": f"The harbour office announced works at quay {n % 9} (notice {n}). {extra_words}\n\nMore follows.",
        "published": f"2026-11-{day:02d}T{n % 24:02d}:{n % 60:02d}:00Z",
        "topics": [topic],
        "source_key": f"chaos-{n}",
    }
    return json.dumps(obj).encode()


@dataclass
class Deployment:
    root: Path
    feed_urls: list[str] = field(default_factory=list)
    keywords: tuple[tuple[str, str], ...] = (("bulletins", "bulletin"), ("quays", "quay OR berth"))
    token: str | None = None
    rate_limit: int = 60
    extra_toml: str = ""
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.inbox.mkdir(parents=True, exist_ok=True)
        self.write_config()

    @property
    def inbox(self) -> Path:
        return self.root / "inbox"

    @property
    def out(self) -> Path:
        return self.root / "out"

    @property
    def state(self) -> Path:
        return self.root / "state"

    @property
    def config(self) -> Path:
        return self.root / "feeds.toml"

    @property
    def db_path(self) -> Path:
        return self.state / "feeds.db"

    @property
    def log(self) -> Path:
        return self.root / "daemon.log"

    def write_config(self) -> None:
        feeds = "".join(f'\n[[watch.feeds]]\nurl = "{u}"\n' for u in self.feed_urls)
        rules = "".join(f'\n[[watch.keywords]]\nname = "{n}"\nquery = "{q}"\n' for n, q in self.keywords)
        text = f"""
[site]
title = "Chaos Press Office"
base_url = "{BASE_URL}"
author = "Chaos Press Office"
language = "en-GB"
timezone = "Europe/London"

[paths]
out = "out"
state = "state"

[http]
connect_timeout = 2
read_timeout = 2
max_bytes = 1048576

[[sources]]
type = "folder"
name = "inbox"
path = "inbox"
interval = 1

[watch]
interval = "5m"
workers = 8
lease = "14s"  # (the floor at these timeouts, one fetch at its deadlines: a killed daemon's feeds wait that long)

[daemon]
watch_tick = 1
publish_interval = "1m"  # (at least a minute: a change is published within publish_debounce anyway)
publish_debounce = 0.2
grace = 3
housekeeping_interval = "1d"

[web]
rate_limit = {self.rate_limit}
{self.extra_toml}
{feeds}
{rules}
"""
        tmp = self.config.with_name(".feeds.toml.tmp")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, self.config)

    # --- input ---

    def drop(self, name: str, data: bytes) -> None:
        tmp = self.inbox / f".{name}.part"
        tmp.write_bytes(data)
        os.replace(tmp, self.inbox / name)

    def pending(self) -> list[str]:
        return sorted(p.name for p in self.inbox.iterdir() if p.is_file() and not p.name.startswith("."))

    def settled(self, sub: str) -> list[str]:
        folder = self.inbox / sub
        return sorted(p.name for p in folder.iterdir() if p.is_file()) if folder.is_dir() else []

    # --- the daemon ---

    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("FEEDS_")}
        env["FEEDS_FETCH_ALLOW"] = "127.0.0.1"
        env["PYTHONPATH"] = str(ROOT)
        if self.token:
            env["FEEDS_API_TOKEN"] = self.token
        return env

    def start(self, *, port: int | None = None, args: Sequence[str] = ()) -> subprocess.Popen[bytes]:
        cmd = [sys.executable, "-m", "feeds", "--config", str(self.config), "run", "--log-format", "text"]
        cmd += ["--no-serve"] if port is None else ["--port", str(port)]
        cmd += list(args)
        with self.log.open("ab") as log:
            log.write(f"\n=== start {' '.join(cmd[3:])} at {time.time():.3f}\n".encode())
            proc = subprocess.Popen(cmd, cwd=self.root, env=self.env(), stdout=log, stderr=subprocess.STDOUT)
        self.processes.append(proc)
        return proc

    def kill(self, proc: subprocess.Popen[bytes]) -> None:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
        with self.log.open("ab") as log:
            log.write(f"=== SIGKILL pid {proc.pid} at {time.time():.3f}\n".encode())

    def stop(self, proc: subprocess.Popen[bytes], timeout: float = 20) -> int:
        if proc.poll() is None:
            os.kill(proc.pid, signal.SIGTERM)
        try:
            return proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.kill(proc)
            return -9

    def close(self) -> None:
        for proc in self.processes:
            if proc.poll() is None:
                self.kill(proc)

    def wait_for_port(self, port: int, proc: subprocess.Popen[bytes], timeout: float = 20) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise AssertionError(f"the daemon exited with {proc.returncode}: see {self.log}")
            with socket.socket() as s:
                if s.connect_ex(("127.0.0.1", port)) == 0:
                    return
            time.sleep(0.05)
        raise AssertionError(f"the daemon did not listen on {port} within {timeout} s")

    # --- what is stored ---

    def query(self, sql: str, *args: object) -> list[tuple[object, ...]]:
        if not self.db_path.exists():
            return []
        conn = sqlite3.connect(f"file:{self.db_path}?mode=ro", uri=True, timeout=10)
        try:
            return conn.execute(sql, args).fetchall()
        except sqlite3.OperationalError:  # tables not created yet
            return []
        finally:
            conn.close()

    def publish_would_change(self) -> list[str]:
        """What a publish now would write or remove (nothing, when out/ is complete and current)."""
        from feeds.app import make_app
        from feeds.config import load_settings
        from feeds.publish import run_publish

        app = make_app(load_settings(self.config, environ=self.env()), migrate=False)
        try:
            return run_publish(app, dry_run=True).changed
        finally:
            app.close()

    def integrity(self) -> str:
        conn = sqlite3.connect(self.db_path, timeout=10)
        try:
            return ";".join(str(r[0]) for r in conn.execute("PRAGMA integrity_check"))
        finally:
            conn.close()


def wait_until(condition: Callable[[], bool], timeout: float, what: str, interval: float = 0.1) -> None:
    """Poll `condition` (a subprocess is doing the work: there is no clock to move) until true or `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")
