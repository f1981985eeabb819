"""What the daemon's worker processes log reaches its log as the daemon's own lines do: JSON lines (or text) with
its worker identity, at its level, a traceback inside its line. A worker started from a forkserver (the daemon's,
which has threads) is a new interpreter: nothing had set up its log, so an error it logged (a file whose reading
raised) came out as bare text over many lines amid the JSON, which a log collector splits into as many events,
and its info lines were dropped."""

from __future__ import annotations

import json
import logging
import subprocess
import sys

from tests.conftest import BASE_CONFIG
from tests.hardened import ROOT

DAEMON = """
import logging, sys, threading
from feeds.app import make_app
from feeds.config import load_settings
from feeds.logs import setup_logging
from feeds.workers import isolate, start_context, worker_pool
from tests.test_worker_logs import say

setup_logging(logging.INFO, sys.argv[2], worker="web1:4242")
app = make_app(load_settings(sys.argv[1], environ={}))
isolate(app)
threading.Thread(target=threading.Event().wait, daemon=True).start()  # the scheduler's, the web server's
assert start_context().get_start_method() == "forkserver"
worker_pool(app).submit(say).result(timeout=60)
app.close()
"""


def say() -> None:
    """What a worker logs reading a file (`feeds.ingest.parallel`): an error with its exception, an info line."""
    log = logging.getLogger("feeds.ingest")
    try:
        raise ValueError("bad\nthing")
    except ValueError as e:
        log.error("r1.json: unexpected error while reading it", exc_info=e, extra={"file": "r1.json"})
    log.info("worker read 1 file")
    log.debug("not at the daemon's level")


def run_daemon_like(tmp_path, fmt: str) -> list[str]:
    (tmp_path / "inbox").mkdir()
    config = tmp_path / "feeds.toml"
    config.write_text(BASE_CONFIG, encoding="utf-8")
    done = subprocess.run(
        [sys.executable, "-c", DAEMON, str(config), fmt],
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    return done.stderr.splitlines()


def test_a_forkserver_workers_log_lines_are_the_daemons_json_lines(tmp_path) -> None:
    records = [json.loads(line) for line in run_daemon_like(tmp_path, "json")]  # (a bare line fails here)
    error = next(r for r in records if r["level"] == "error")
    assert error["msg"] == "r1.json: unexpected error while reading it"
    assert error["worker"] == "web1:4242" and error["file"] == "r1.json"
    assert error["exc"].endswith("ValueError: bad\nthing")
    assert [r["msg"] for r in records if r["level"] == "info"] == ["worker read 1 file"]


def test_a_forkserver_workers_log_lines_are_the_daemons_text_lines_on_a_terminal(tmp_path) -> None:
    lines = run_daemon_like(tmp_path, "text")
    assert any(" web1:4242 ERROR   feeds.ingest: r1.json: unexpected error while reading it" in x for x in lines)
    assert any(" web1:4242 INFO    feeds.ingest: worker read 1 file" in x for x in lines)
