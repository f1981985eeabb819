"""GET /healthz and GET /metrics, and the composed app's routing, over a real socket (waitress + requests).

What a load balancer and Prometheus see: 200 ok / degraded with each check explained, 503 when the database is
gone; the text format 0.0.4 with the daemon's series; and the published site still served next to them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests
from prometheus_client.parser import text_string_to_metric_families

from feeds.app import App
from feeds.store import open_store
from feeds.web.app import make_web_app
from feeds.web.metrics import Health, Metrics, fetch_label
from tests.test_web_api import RELEASE, TOKEN, serving

AT = datetime(2026, 11, 28, 11, 0, tzinfo=UTC)


@pytest.fixture
def settings(make_settings):
    return make_settings(f'\n[web]\napi_token = "{TOKEN}"\n')


@pytest.fixture
def app(settings, make_app_for) -> App:
    return make_app_for(settings)


@pytest.fixture
def serve() -> Iterator[Callable[[Any], str]]:
    yield from serving()


def get(base: str, path: str, **kw: Any) -> requests.Response:
    return requests.get(base + path, timeout=10, **kw)


# --- /healthz --------------------------------------------------------------------------------------------------


def test_healthz_ok(app, serve: Callable[[Any], str]):
    base = serve(make_web_app(app))
    resp = get(base, "/healthz")
    assert resp.status_code == 200
    assert resp.headers["Content-Type"].startswith("application/json")
    assert resp.headers["Cache-Control"] == "no-store"
    data = resp.json()
    assert data["status"] == "ok"
    assert data["checked_at"] == "2026-11-28T12:00:00Z"
    assert data["checks"]["database"] == {"status": "ok", "dialect": "sqlite"}
    assert data["checks"]["out"]["status"] == "ok"
    assert requests.head(base + "/healthz", timeout=10).status_code == 200


def test_healthz_reports_jobs_and_a_failed_job_degrades(app, serve):
    health = Health()
    health.record_job("ingest", True, AT)
    health.record_job("watch", True, AT)
    health.record_job("watch", False, AT + timedelta(minutes=1), "https://news.example.net/feed: timed out")
    base = serve(make_web_app(app, health=health))
    resp = get(base, "/healthz")
    assert resp.status_code == 200
    data = resp.json()
    assert data["status"] == "degraded"
    assert data["checks"]["job:ingest"]["status"] == "ok"
    assert data["checks"]["job:watch"] == {
        "status": "degraded",
        "last_run": "2026-11-28T11:01:00Z",
        "last_success": "2026-11-28T11:00:00Z",
        "error": "https://news.example.net/feed: timed out",
        "runs": 2,
        "failures": 1,
        "consecutive_failures": 1,
    }
    health.record_job("watch", True, AT + timedelta(minutes=2))
    assert get(base, "/healthz").json()["status"] == "ok"


def test_a_job_that_stops_finishing_runs_is_degraded(app, serve, clock):
    """A review's find: /healthz looked only at each job's last finished run, so a job hung on a database, or a
    scheduler stopped (a clock stepped back), stayed ok for ever."""
    health = Health()
    health.expect("watch", 30.0)
    health.record_job("watch", True, clock())
    base = serve(make_web_app(app, health=health))
    clock.advance(timedelta(seconds=3 * 30 + 300))
    assert get(base, "/healthz").json()["checks"]["job:watch"]["status"] == "ok", "not yet: a long round is no stall"
    clock.advance(timedelta(seconds=1))
    data = get(base, "/healthz").json()
    assert data["status"] == "degraded" and data["checks"]["job:watch"]["status"] == "degraded"
    assert data["checks"]["job:watch"]["error"] == "no run finished since 2026-11-28T12:00:00Z (it runs every 30 s)"
    health.record_job("watch", True, clock())
    assert get(base, "/healthz").json()["status"] == "ok"


def test_healthz_is_degraded_while_a_remote_source_fails_not_only_on_the_round_that_polled_it(
    make_settings, make_app_for, serve, clock
):
    """A CMS developer's review: /healthz said degraded on the round that polled a failing source (500), then ok
    on the next rounds, which did not poll it, while the source still failed."""
    from dataclasses import replace

    remote = '\n[[sources]]\ntype = "remote_json"\nname = "cms"\nurl = "https://cms.example.org/list.json"\n'
    app = make_app_for(make_settings(remote))
    base = serve(make_web_app(app))
    assert get(base, "/healthz").json()["checks"]["source:cms"]["status"] == "ok"  # not polled yet: nothing wrong
    state = replace(app.store.source_state("cms"), last_checked=clock(), last_status="500", last_error="HTTP 500")
    app.store.save_source_state(replace(state, failures=2))
    data = get(base, "/healthz").json()
    assert data["status"] == "degraded"
    assert data["checks"]["source:cms"] == {
        "status": "degraded",
        "last_checked": "2026-11-28T12:00:00Z",
        "last_status": "500",
        "failures": 2,
        "error": "HTTP 500",
    }
    app.store.save_source_state(replace(state, last_status="200", last_error=None, failures=0))
    assert get(base, "/healthz").json()["status"] == "ok"


def test_healthz_is_degraded_when_every_watched_feed_fails_not_when_one_does(app, serve, clock):
    """A reliability review: with the network dead, every watched feed failing, /healthz still said ok."""
    from dataclasses import replace

    base = serve(make_web_app(app))
    assert get(base, "/healthz").json()["checks"]["watch"] == {"status": "ok", "feeds": 0, "failing": 0}
    feeds = [
        app.store.add_feed(f"https://news{i}.example.net/rss", title="", tags=(), interval=1800, origin="cli", now=AT)
        for i in range(3)
    ]
    app.store.add_feed("https://new.example.net/rss", title="", tags=(), interval=1800, origin="cli", now=AT)

    def check(feed: Any, **health: Any) -> None:  # as a poll records a check: under the feed's lease
        (claimed,) = app.store.claim_feeds([feed.id], AT, owner="t", lease=timedelta(minutes=5))
        app.store.record_check(replace(claimed, last_checked=AT, last_status="200", **health), owner="t")

    for f in feeds:
        check(f)
    check(feeds[0], failures=3, last_error="connection refused")
    watch = get(base, "/healthz").json()["checks"]["watch"]
    assert watch == {"status": "ok", "feeds": 4, "failing": 1}, "one site down is that site's problem"
    for f in feeds[1:]:
        check(f, failures=1, last_error="connection refused")
    data = get(base, "/healthz").json()
    assert data["status"] == "degraded" and data["checks"]["watch"]["failing"] == 3
    assert "all 3 watched feed(s) checked are failing" in data["checks"]["watch"]["error"]
    check(feeds[2], failures=0, last_error=None)
    assert get(base, "/healthz").json()["status"] == "ok"


def test_healthz_503_when_the_database_is_down(settings, clock, tmp_path, serve, caplog):
    unreachable = tmp_path / "a-folder-not-a-database"
    unreachable.mkdir()
    broken = App(settings=settings, store=open_store(f"sqlite:///{unreachable}"), clock=clock)
    caplog.set_level(logging.WARNING, logger="feeds")
    try:
        base = serve(make_web_app(broken))
        resp = get(base, "/healthz")
        assert resp.status_code == 503
        data = resp.json()
        assert data["status"] == "fail"
        assert data["checks"]["database"] == {"status": "fail", "message": "database unreachable"}
        assert str(unreachable) not in resp.text  # details go to the log only
        assert "unreachable" in caplog.text
        # /metrics still answers without its database.
        assert get(base, "/metrics").status_code == 200
        for _ in range(3):  # a monitor probing every few seconds
            assert get(base, "/healthz").status_code == 503
        said = [r for r in caplog.records if "unreachable" in r.getMessage()]
        assert len(said) == 1, "once per outage, not per probe"
        assert said[0].exc_info is None and "Traceback" not in caplog.text and "\n" not in said[0].getMessage()
    finally:
        broken.close()


def test_a_hung_database_fails_healthz_in_time_and_probes_do_not_pile_up(app, tmp_path, monkeypatch):
    """A review's find: a database that hangs (a network partition, a stuck failover; not one that refuses) held
    every /healthz probe, each a web server thread, until none was left and the public site went down too."""
    import threading
    import time

    from feeds.web.health import StatusEndpoints

    released, calls = threading.Event(), []

    def hung() -> list[int]:
        calls.append(1)
        released.wait(30)
        return []

    monkeypatch.setattr(app.store, "pending_migrations", hung)
    endpoints = StatusEndpoints(app, out_dir=tmp_path, health=Health(), metrics=Metrics(), database_answer=0.2)
    for _ in range(3):  # a monitor probing again while the first probe still waits
        started = time.monotonic()
        report = endpoints.report()
        assert time.monotonic() - started < 2
        assert report["status"] == "fail"
        assert report["checks"]["database"] == {"status": "fail", "message": "the database did not answer within 0.2 s"}
    assert len(calls) == 1, "one probe waits on the database; the others are told it has not answered"
    released.set()
    deadline = time.monotonic() + 5
    while endpoints.report()["checks"]["database"]["status"] != "ok":  # a new probe once that one came back
        assert time.monotonic() < deadline


def test_healthz_degraded_when_out_is_not_a_folder(app, serve):
    app.settings.paths.out.parent.mkdir(parents=True, exist_ok=True)
    app.settings.paths.out.write_text("not a folder")
    data = get(serve(make_web_app(app)), "/healthz").json()
    assert data["status"] == "degraded"
    assert data["checks"]["out"] == {"status": "degraded", "message": "the published folder is not a folder"}


def test_healthz_refuses_writes(app, serve):
    resp = requests.post(serve(make_web_app(app)) + "/healthz", timeout=10)
    assert resp.status_code == 405 and resp.headers["Allow"] == "GET, HEAD, OPTIONS"


# --- /metrics --------------------------------------------------------------------------------------------------


def test_metrics_text_format_and_series(app, serve):
    metrics = Metrics(worker="press-1:4242")
    metrics.jobs_scheduled(["ingest", "watch", "publish", "alerts", "housekeeping"])  # (as the daemon does)
    metrics.job_finished("watch", True, 0.8)
    metrics.job_finished("watch", False, 1.2)
    metrics.job_finished("publish", True, 3.5)
    for status in (200, 304, 304, 304, 500, None):
        metrics.fetch_result(status)
    metrics.feed_polled(True)
    metrics.feed_polled(False)
    metrics.items_stored(12)
    metrics.matches_found(3)
    base = serve(make_web_app(app, metrics=metrics))
    push = requests.post(
        base + "/api/releases",
        json=RELEASE,
        headers={"Authorization": f"Bearer {TOKEN}"},
        timeout=10,
    )
    assert push.status_code == 201
    resp = get(base, "/metrics")
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
    text = resp.text
    for line in [
        'feeds_worker_info{version="0.1.0",worker="press-1:4242"} 1.0',
        'feeds_jobs_total{job="watch"} 2.0',
        'feeds_job_failures_total{job="watch"} 1.0',
        'feeds_jobs_total{job="ingest"} 0.0',
        'feeds_job_failures_total{job="alerts"} 0.0',  # every job's series from the first scrape, for rate()
        'feeds_job_failures_total{job="housekeeping"} 0.0',
        'feeds_job_duration_seconds_count{job="publish"} 1.0',
        'feeds_job_duration_seconds_bucket{job="publish",le="5.0"} 1.0',
        'feeds_fetch_results_total{result="200"} 1.0',
        'feeds_fetch_results_total{result="304"} 3.0',
        'feeds_fetch_results_total{result="error"} 2.0',
        "feeds_feeds_polled_total 2.0",
        "feeds_feeds_failed_total 1.0",
        "feeds_items_stored_total 12.0",
        "feeds_matches_found_total 3.0",
        'feeds_releases_ingested_total{status="created"} 1.0',
        "feeds_releases 1.0",
        'feeds_api_requests_total{code="201"} 1.0',
    ]:
        assert line in text.splitlines(), line
    names = {family.name for family in text_string_to_metric_families(text)}
    assert {"feeds_worker_info", "feeds_jobs", "feeds_fetch_results", "feeds_job_duration_seconds"} <= names


def test_each_metrics_object_has_its_own_registry():
    a, b = Metrics(worker="a:1"), Metrics(worker="b:2")
    a.items_stored(5)
    assert "feeds_items_stored_total 5.0" in a.render().decode()
    assert "feeds_items_stored_total 0.0" in b.render().decode()


@pytest.mark.parametrize(
    ("status", "label"),
    [(200, "200"), (203, "200"), (304, "304"), (404, "error"), (500, "error"), (None, "error"), (302, "error")],
)
def test_fetch_label(status, label):
    assert fetch_label(status) == label


def test_health_counts_runs_and_consecutive_failures():
    health = Health()
    for i, ok in enumerate([False, False, True, False]):
        health.record_job("publish", ok, AT + timedelta(minutes=i), None if ok else f"error {i}")
    (job,) = health.jobs()
    assert (job.runs, job.failures, job.consecutive_failures) == (4, 3, 1)
    assert job.last_success == AT + timedelta(minutes=2)
    assert job.error == "error 3" and not job.ok


# --- the composed app ------------------------------------------------------------------------------------------


def test_static_files_are_still_served(app, serve):
    out = app.settings.paths.out
    out.mkdir(parents=True, exist_ok=True)
    (out / "index.html").write_text("<!doctype html><title>Home</title>", encoding="utf-8")
    base = serve(make_web_app(app))
    resp = get(base, "/index.html")
    assert resp.status_code == 200
    assert resp.headers["Content-Type"] == "text/html; charset=utf-8"
    assert resp.text == "<!doctype html><title>Home</title>"
    assert "ETag" in resp.headers
    assert get(base, "/").status_code == 200
    assert get(base, "/healthz.html").status_code == 404  # only the exact paths are routed away
    assert get(base, "/api").headers["Content-Type"].startswith("application/json")


def test_status_endpoints_answer_only_the_addresses_in_status_from(make_settings, make_app_for, serve):
    """They name the installation's files, feeds and errors: this machine and private networks by default,
    anyone else gets 403 (the site itself is still served to everyone)."""
    app = make_app_for(make_settings('\n[web]\nstatus_from = ["10.0.0.0/8"]\n'))
    base = serve(make_web_app(app))  # requests come from 127.0.0.1, which this config leaves out
    for path in ("/healthz", "/metrics"):
        refused = get(base, path)
        assert refused.status_code == 403 and "web.status_from" in refused.json()["errors"][0]["message"]
    assert get(base, "/").status_code in (200, 404)
    default = make_app_for(make_settings())
    assert get(serve(make_web_app(default)), "/healthz").status_code == 200


def test_status_from_must_be_addresses_or_ranges(make_settings):
    from feeds.errors import ConfigError

    with pytest.raises(ConfigError) as info:
        make_settings('\n[web]\nstatus_from = ["10.0.0.0/8", "monitor.example.org"]\n')
    assert info.value.key == "web.status_from[1]" and "IP address or CIDR range" in info.value.message


@pytest.mark.parametrize(
    ("client", "allowed"),
    [
        ("127.0.0.1", True),
        ("::ffff:127.0.0.1", True),  # this machine, through a dual-stack socket
        ("2002:7f00:1::1", False),  # 6to4 and NAT64 sources naming 127.0.0.1 are someone else (a security review)
        ("64:ff9b::7f00:1", False),
        ("::1", False),
    ],
)
def test_a_client_address_stands_only_for_its_ipv4_mapped_form(client: str, allowed: bool) -> None:
    import ipaddress

    from feeds.fetch import AllowList

    allow = AllowList.parse(["127.0.0.0/8"])
    assert allow.allows_address(ipaddress.ip_address(client), client=True) is allowed
    assert allow.allows_address(ipaddress.ip_address("2002:7f00:1::1")), "a destination is what it stands for"
