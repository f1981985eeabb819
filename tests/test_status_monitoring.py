"""What an on-call engineer's /healthz, /metrics and `feeds status` checks, and the log, need to
see.

Over a real socket (waitress on 127.0.0.1), real SQLite files, the fixed clock; disk space is the real file
system's, against thresholds the test sets.
"""

from __future__ import annotations

import json
import logging
import shutil
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa
from click.testing import CliRunner
from prometheus_client.parser import text_string_to_metric_families

from feeds.app import App
from feeds.cli import cli
from feeds.config.settings import WebSettings
from feeds.daemon import Daemon
from feeds.ingest import run_ingest
from feeds.outcomes import record_run
from feeds.status import gather
from feeds.statustext import render_text
from feeds.store import open_store
from feeds.web.app import make_web_app
from feeds.web.health import DiskThresholds, check_disk
from feeds.web.metrics import Metrics
from tests.test_web_api import serving

AT = datetime(2026, 11, 28, 11, 0, tzinfo=UTC)


@pytest.fixture
def serve() -> Iterator[Callable[[Any], str]]:
    yield from serving()


def _families(text: str) -> dict[str, Any]:
    return {f.name: f for f in text_string_to_metric_families(text)}


def _samples(text: str, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    found = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            if s.name == name:
                found[tuple(sorted(s.labels.items()))] = s.value
    return found


# --- 1. free space -----------------------------------------------------------------------------------------------


def test_healthz_reports_free_space_and_is_degraded_on_a_nearly_full_disk(make_settings, make_app_for, serve, tmp_path):
    app = make_app_for(make_settings())
    out = tmp_path / "out"
    out.mkdir()
    free = shutil.disk_usage(out).free
    data = requests.get(serve(make_web_app(app)) + "/healthz", timeout=10).json()
    assert data["checks"]["out"]["status"] == "ok"
    assert abs(data["checks"]["out"]["free_bytes"] - free) < 64 * 2**20
    assert 0 <= data["checks"]["out"]["free_percent"] <= 100
    assert data["checks"]["database_disk"]["status"] == "ok"  # (SQLite: the database's own disk)
    # The same disk, judged by thresholds it does not meet (as a 94% full disk does not meet the default 10%).
    strict = make_app_for(make_settings("\n[web]\ndisk_free_percent = 100\ndisk_free_min = 1099511627776\n"))
    assert DiskThresholds.of_web(strict.settings.web) == DiskThresholds(100.0, 2**40)
    resp = requests.get(serve(make_web_app(strict)) + "/healthz", timeout=10)
    assert resp.status_code == 200  # (the site is still served)
    data = resp.json()
    assert data["status"] == "degraded"
    assert data["checks"]["out"]["status"] == "degraded"
    assert "nearly full" in data["checks"]["out"]["message"] and str(out) not in data["checks"]["out"]["message"]
    assert data["checks"]["database_disk"]["status"] == "degraded"
    assert "nearly full" in data["checks"]["database_disk"]["message"]


def test_disk_thresholds_are_checked_in_the_config(make_settings):
    from feeds.errors import ConfigError

    with pytest.raises(ConfigError, match=r"web.disk_free_percent: must be at most 100"):
        make_settings("\n[web]\ndisk_free_percent = 150\n")
    with pytest.raises(ConfigError, match=r"web.disk_free_min: .*did you mean 5 GiB"):
        make_settings("\n[web]\ndisk_free_min = 5\n")


def test_disk_thresholds_default_to_ten_percent_and_one_gibibyte():
    t = DiskThresholds.of_web(WebSettings())
    assert (t.free_percent, t.free_bytes) == (10.0, 2**30)
    huge = DiskThresholds(10.0, 2**62)
    assert check_disk(Path("/"), "x", huge)["message"].endswith("under 10% or 4294967296 GiB")
    assert t.nearly_full(free=6 * 2**30, total=100 * 2**30)  # a 94% full disk
    assert not t.nearly_full(free=20 * 2**30, total=100 * 2**30)
    assert t.nearly_full(free=2**29, total=2**30)  # a small disk: half free, but under 1 GiB


# --- 2. metrics for alerting --------------------------------------------------------------------------------------


def test_metrics_has_last_success_database_up_and_heartbeat(make_settings, make_app_for, serve, clock, tmp_path):
    app = make_app_for(make_settings())
    metrics = Metrics(worker="t:1")
    metrics.jobs_scheduled(["publish", "watch"])
    metrics.job_finished("publish", True, 2.0, at=AT)
    metrics.job_finished("publish", False, 2.0, at=AT + timedelta(minutes=5))
    metrics.heartbeat(clock() - timedelta(seconds=20))
    base = serve(make_web_app(app, metrics=metrics))
    text = requests.get(base + "/metrics", timeout=10).text
    families = _families(text)
    for name in (
        "feeds_job_last_success_timestamp_seconds",
        "feeds_database_up",
        "feeds_heartbeat_timestamp_seconds",
        "feeds_heartbeat_age_seconds",
        "feeds_watched_feeds_failing",
    ):
        assert name in families, name
        assert f"# HELP {name} " in text and f"# TYPE {name} gauge" in text
    assert _samples(text, "feeds_job_last_success_timestamp_seconds") == {(("job", "publish"),): AT.timestamp()}
    assert _samples(text, "feeds_database_up") == {(): 1.0}
    assert _samples(text, "feeds_heartbeat_age_seconds") == {(): 20.0}
    assert _samples(text, "feeds_heartbeat_timestamp_seconds") == {(): (clock() - timedelta(seconds=20)).timestamp()}
    assert _samples(text, "feeds_watched_feeds_failing") == {(): 0.0}
    unreachable = tmp_path / "a-folder-not-a-database"
    unreachable.mkdir()
    broken = App(settings=app.settings, store=open_store(f"sqlite:///{unreachable}"), clock=clock)
    try:
        text = requests.get(serve(make_web_app(broken, metrics=metrics)) + "/metrics", timeout=10).text
    finally:
        broken.close()
    assert _samples(text, "feeds_database_up") == {(): 0.0}


def test_metrics_without_a_heartbeat_yet_has_no_age(make_settings, make_app_for, serve):
    """`feeds serve` (no daemon) sends no heartbeat: no made-up age."""
    app = make_app_for(make_settings())
    text = requests.get(serve(make_web_app(app, metrics=Metrics(worker="t:1"))) + "/metrics", timeout=10).text
    assert _samples(text, "feeds_heartbeat_age_seconds") == {}


# --- 3. the database log lines ------------------------------------------------------------------------------------


def test_database_back_is_info_and_down_is_said_once(make_settings, make_app_for, serve, caplog):
    from feeds.web.health import database_down, database_up

    app = make_app_for(make_settings())
    caplog.set_level(logging.INFO, logger="feeds.web")
    for _ in range(3):
        database_down(app, "metrics", RuntimeError("connection refused"))
    database_up(app)
    database_up(app)
    lines = [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "feeds.web"]
    assert [level for level, _ in lines] == [logging.WARNING, logging.INFO]
    assert "unreachable" in lines[0][1] and "reachable again" in lines[1][1]


# --- 4 and 5. `feeds status` exit codes, ingest and poll outcomes -------------------------------------------------


def _status(settings) -> tuple[int, str, dict[str, Any]]:
    runner = CliRunner()
    text = runner.invoke(cli, ["--config", str(settings.path), "status"])
    done = runner.invoke(cli, ["--config", str(settings.path), "status", "--json"])
    assert done.exit_code == text.exit_code, (done.output, text.output)
    return text.exit_code, text.output, json.loads(done.stdout)


def test_status_exits_0_when_all_is_well_and_1_when_something_failed(make_settings, make_app_for):
    from feeds.publish import run_publish

    settings = make_settings()
    app = make_app_for(settings)
    run_publish(app)
    code, _, data = _status(settings)
    assert code == 0 and data["problems"] == []
    app.store.record_outcome("publish", AT, "h:1", "disk full")
    code, text, data = _status(settings)
    assert code == 1
    assert "FAILED since 2026-11-28T11:00:00Z: disk full" in text
    assert data["problems"] == ["publish failing since 2026-11-28T11:00:00Z: disk full"]


def test_status_exits_2_when_it_cannot_tell(make_settings, tmp_path):
    settings = make_settings("", database_url=f"sqlite:///{tmp_path}/nowhere/feeds.db")
    done = CliRunner().invoke(cli, ["--config", str(settings.path), "status"])
    assert done.exit_code == 2, done.output
    assert "error:" in done.output


def test_a_failed_ingest_run_is_recorded_for_status_whoever_ran_it(make_settings, make_app_for, tmp_path, clock):
    settings = make_settings()
    app = make_app_for(settings)
    inbox = tmp_path / "inbox"
    inbox.rmdir()
    inbox.write_text("not a folder")  # (the source's folder cannot be read)
    report = run_ingest(app)
    assert report.unreadable
    report = gather(app)
    assert report.failures["ingest"][0] == "2026-11-28T12:00:00Z"
    assert "cannot read the folder" in report.failures["ingest"][1]
    assert "last ingest     never; FAILED since 2026-11-28T12:00:00Z: " in render_text(report)
    inbox.unlink()
    inbox.mkdir()
    clock.advance(timedelta(minutes=1))
    run_ingest(app)
    report = gather(app)
    assert "ingest" not in report.failures
    assert report.as_json()["ingest_failure"] is None


def test_a_failed_poll_round_is_recorded_for_status(make_settings, make_app_for, clock):
    from feeds.watch.poll import run_watch

    app = make_app_for(make_settings())
    feed = app.store.add_feed("http://127.0.0.1:9/feed", title="", tags=(), interval=60, origin="cli", now=clock())
    run_watch(app, feed_ids=[feed.id])
    assert "poll" not in gather(app).failures, "a poll of named feeds says nothing of the rounds"
    clock.advance(timedelta(days=2))  # (due again: the watched feed failing for days)
    run_watch(app)
    report = gather(app)
    assert report.failures["poll"][0] == "2026-11-30T12:00:00Z"
    assert "every watched feed checked failed (1 feed checked, 1 failed" in report.failures["poll"][1]
    assert "last poll       never; FAILED since 2026-11-30T12:00:00Z" in render_text(report)
    assert report.as_json()["poll_failure"]["at"] == "2026-11-30T12:00:00Z"
    assert report.problems() == [f"poll failing since 2026-11-30T12:00:00Z: {report.failures['poll'][1]}"], "once"


def test_the_daemon_sets_the_last_success_and_heartbeat_gauges(make_settings, clock):
    """What a daemon's own /metrics serves: a job's last success (not moved by a failed run), its heartbeat."""
    from pathlib import Path

    settings = make_settings()
    daemon = Daemon(Path(settings.path), settings, clock=clock, serve=False)

    def full_disk(app):
        raise OSError(28, "No space left on device")

    try:
        daemon._run_job("publish", lambda app: "1 changed")
        done_at = clock().timestamp()
        clock.advance(timedelta(minutes=5))
        daemon._run_job("publish", full_disk)
        daemon.heartbeat()
        text = daemon.metrics.render().decode()
        assert _samples(text, "feeds_job_last_success_timestamp_seconds") == {(("job", "publish"),): done_at}
        assert _samples(text, "feeds_heartbeat_timestamp_seconds") == {(): clock().timestamp()}
    finally:
        daemon.app.close()


def test_a_remote_source_failing_the_ingest_is_one_problem(make_settings, make_app_for, clock):
    from dataclasses import replace

    remote = '\n[[sources]]\ntype = "remote_json"\nname = "cms"\nurl = "https://cms.example.org/list.json"\n'
    app = make_app_for(make_settings(remote))
    state = app.store.source_state("cms")
    app.store.save_source_state(
        replace(state, last_checked=clock(), last_status="500", last_error="HTTP 500", failures=3)
    )
    assert gather(app).problems() == ["source cms failing 3x: HTTP 500"]
    app.store.record_outcome("ingest", clock(), "h:1", "could not read source 'cms': HTTP 500")
    assert gather(app).problems() == [
        "ingest failing since 2026-11-28T12:00:00Z: could not read source 'cms': HTTP 500"
    ], "said once"


def test_an_ingest_round_that_worked_counts_as_the_last_ingest_with_nothing_new(make_settings, make_app_for, clock):
    """`feeds ingest` from cron every 5 minutes with an empty drop folder: the last ingest is that round, not the
    last release stored days ago (a stuck cron and a quiet office looked the same)."""
    app = make_app_for(make_settings())
    clock.advance(timedelta(days=2))
    run_ingest(app)
    assert gather(app).as_json()["last_ingest"] == "2026-11-30T12:00:00Z"


def test_an_outcome_that_cannot_be_recorded_is_said_once_per_outage(make_settings, make_app_for, caplog, monkeypatch):
    app = make_app_for(make_settings())
    real = app.store.record_outcome

    def refuse(*args, **kwargs):
        raise sa.exc.OperationalError("INSERT", {}, Exception("connection refused"))

    monkeypatch.setattr(app.store, "record_outcome", refuse)
    with caplog.at_level(logging.DEBUG, logger="feeds.watch"):
        for _ in range(3):
            record_run(app, "poll", None)
    warned = [r for r in caplog.records if r.levelno == logging.WARNING and "could not record" in r.getMessage()]
    assert len(warned) == 1
    monkeypatch.setattr(app.store, "record_outcome", real)
    record_run(app, "poll", None)  # the database is back: the outage is over
    monkeypatch.setattr(app.store, "record_outcome", refuse)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="feeds.watch"):
        record_run(app, "poll", None)
    assert "could not record the poll's outcome" in caplog.text, "a new outage is said again"
