"""IndexNow pings against a real local endpoint (pytest-httpserver on 127.0.0.1), never the internet.

Off by default; switched on, the publish puts the key file into out/, and the changed HTML pages (never feeds,
sitemaps or style sheets) go in one JSON POST per round with the host, the key and the key file's address. A
failure holds them with back-off (a Retry-After respected), never raising; 400/422 drop the batch; a re-render of
the whole site pings nothing; `feeds publish` sends once; the daemon sends from its own job after a publish.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

from feeds.app import make_app
from feeds.clock import rfc3339
from feeds.outbound import shown_url
from feeds.publish import indexnow as indexnow_module
from feeds.publish import run_publish
from feeds.publish.indexnow import (
    MAX_CHANGED,
    IndexNowQueue,
    changed_pages,
    indexnow_key,
    indexnow_once,
    request_body,
)
from tests.ports import free_port
from tests.test_publish_site import SEED, Site

BASE = "https://press.example.org/"


def settings_for(make_settings, endpoint: str = "", *, on: bool = True, key: str | None = None):  # type: ignore[no-untyped-def]
    lines = ["", "[publish]", f"indexnow = {'true' if on else 'false'}"]
    if endpoint:
        lines.append(f'indexnow_endpoint = "{endpoint}"')
    if key:
        lines.append(f'indexnow_key = "{key}"')
    return make_settings("\n".join(lines) + "\n")


def seeded(settings, clock) -> Site:  # type: ignore[no-untyped-def]
    site = Site(settings, make_app(settings, clock=clock), clock)
    for key, title, topics, published in SEED:
        site.drop(key, title, topics, published)
    site.ingest()
    return site


@pytest.mark.parametrize(
    ("paths", "expected"),
    [
        ([], []),
        (["atom.xml", "rss.xml", "sitemap.xml", "sitemap-news.xml", "static/site.css", "feeds.opml", "404.html"], []),
        (["index.html"], [BASE]),
        (
            ["releases/a/index.html", "topics/iran/index.html", "topics/iran/atom.xml", "releases/a/index.html"],
            [BASE + "releases/a/", BASE + "topics/iran/"],
        ),
        (["years/2026/index.html", "robots.txt", "abc.txt"], [BASE + "years/2026/"]),
    ],
)
def test_changed_pages_are_the_html_pages_by_their_canonical_urls(paths, expected) -> None:
    assert changed_pages(paths, BASE) == expected


def test_a_whole_site_re_rendered_pings_nothing() -> None:
    paths = [f"releases/r{n}/index.html" for n in range(MAX_CHANGED + 1)]
    assert changed_pages(paths, BASE) == []
    assert len(changed_pages(paths[:MAX_CHANGED], BASE)) == MAX_CHANGED


def test_the_key_is_stable_configurable_and_published_only_when_switched_on(make_settings, clock) -> None:
    settings = settings_for(make_settings)
    key = indexnow_key(settings)
    assert key == indexnow_key(settings_for(make_settings)) and len(key) == 32 and key.isalnum()
    s = seeded(settings, clock)
    run_publish(s.app)
    assert (s.out / f"{key}.txt").read_bytes() == key.encode()
    body = json.loads(request_body(settings, [BASE + "releases/a/"]))
    assert body == {
        "host": "press.example.org",
        "key": key,
        "keyLocation": f"{BASE}{key}.txt",
        "urlList": [BASE + "releases/a/"],
    }
    s.app.close()

    off = Site(
        settings_for(make_settings, on=False), make_app(settings_for(make_settings, on=False), clock=clock), clock
    )
    report = run_publish(off.app)
    assert f"{key}.txt" in report.removed and not (off.out / f"{key}.txt").exists(), "switched off: the key file goes"
    off.app.close()

    own = settings_for(make_settings, key="my-own-key-2026")
    assert indexnow_key(own) == "my-own-key-2026"


@pytest.mark.parametrize("key", ["short", "has space in it", "x" * 129, "ünïcode-key"])
def test_a_bad_key_is_refused_naming_the_key(make_settings, key: str) -> None:
    from feeds.errors import ConfigError

    with pytest.raises(ConfigError, match="indexnow_key"):
        settings_for(make_settings, key=key)


def test_a_bad_endpoint_is_refused(make_settings) -> None:
    from feeds.errors import ConfigError

    with pytest.raises(ConfigError, match="indexnow_endpoint"):
        settings_for(make_settings, "ftp://example.org/indexnow")


def test_it_is_off_by_default(make_settings) -> None:
    assert make_settings().publish.indexnow is False


class Endpoint:
    """Records each POST's JSON body; answers `statuses` in turn (then 200)."""

    def __init__(self, *statuses: int, headers: dict[str, str] | None = None) -> None:
        self.statuses = list(statuses)
        self.headers = headers or {}
        self.bodies: list[dict[str, object]] = []
        self.content_types: list[str | None] = []

    def __call__(self, request: Request) -> Response:
        self.bodies.append(json.loads(request.get_data()))
        self.content_types.append(request.headers.get("Content-Type"))
        status = self.statuses.pop(0) if self.statuses else 200
        return Response("", status=status, headers=self.headers if status != 200 else {})


def endpoint_url(httpserver: HTTPServer) -> str:
    return str(httpserver.url_for("/indexnow"))


def _app(make_settings, clock, httpserver: HTTPServer, endpoint: Endpoint):  # type: ignore[no-untyped-def]
    httpserver.expect_request("/indexnow", method="POST").respond_with_handler(endpoint)
    settings = settings_for(make_settings, httpserver.url_for("/indexnow"))
    return make_app(settings, clock=clock)


def test_urls_go_in_one_batch_and_leave_the_queue(make_settings, clock, httpserver: HTTPServer) -> None:
    endpoint = Endpoint()
    app = _app(make_settings, clock, httpserver, endpoint)
    queue = IndexNowQueue()
    assert queue.add([BASE + "releases/a/", BASE, BASE + "releases/a/"]) == 2
    report = queue.send(app)
    assert (report.sent, report.failed, report.pending) == (2, 0, 0)
    assert [b["urlList"] for b in endpoint.bodies] == [[BASE + "releases/a/", BASE]]
    assert endpoint.content_types == ["application/json; charset=utf-8"]
    assert queue.send(app).summary() == "", "nothing pending: no request"
    assert len(endpoint.bodies) == 1
    queue.close()
    app.close()


def test_batches_are_at_most_max_urls(make_settings, clock, httpserver: HTTPServer) -> None:
    endpoint = Endpoint()
    app = _app(make_settings, clock, httpserver, endpoint)
    queue = IndexNowQueue(max_urls=2)
    queue.add([f"{BASE}releases/r{n}/" for n in range(5)])
    assert queue.send(app).sent == 5
    assert [len(b["urlList"]) for b in endpoint.bodies] == [2, 2, 1]  # type: ignore[arg-type]
    app.close()


def test_a_failure_holds_the_urls_with_back_off_and_retry_after(make_settings, clock, httpserver, caplog) -> None:
    endpoint = Endpoint(429, 500, headers={"Retry-After": "600"})
    app = _app(make_settings, clock, httpserver, endpoint)
    queue = IndexNowQueue()
    queue.add([BASE + "releases/a/"])
    with caplog.at_level(logging.WARNING, logger="feeds.publish.indexnow"):
        report = queue.send(app)
    assert (report.sent, report.failed, report.pending) == (0, 1, 1)
    assert "IndexNow at" in caplog.text and "holding 1 URLs" in caplog.text
    assert queue.held_until is not None and queue.held_until >= clock() + timedelta(seconds=600)
    since = rfc3339(clock())
    assert report.held is not None and report.held.startswith(f"IndexNow at {shown_url(endpoint_url(httpserver))}")
    assert f"failing since {since}: " in report.held and "429" in report.held, "what the daemon's job fails with"
    clock.advance(timedelta(seconds=599))
    held = queue.send(app)
    assert held.pending == 1 and len(endpoint.bodies) == 1, "held: no request"
    assert held.held == report.held, "the same words while it lasts (`feeds status`: indexnow FAILED)"
    clock.advance(timedelta(seconds=2))
    queue.add([BASE])
    report = queue.send(app)  # 500: held again, for the back-off, both kept
    assert (report.failed, report.pending) == (2, 2) and len(endpoint.bodies) == 2
    clock.advance(timedelta(hours=1, seconds=1))
    report = queue.send(app)
    assert report.sent == 2 and len(queue) == 0
    assert queue.held_until is None and report.held is None
    app.close()


def test_an_endpoint_that_does_not_answer_holds_and_never_raises(make_settings, clock) -> None:
    settings = settings_for(make_settings, f"http://127.0.0.1:{free_port()}/indexnow")
    app = make_app(settings, clock=clock)
    queue = IndexNowQueue()
    queue.add([BASE])
    report = queue.send(app)
    assert (report.failed, report.pending) == (1, 1) and queue.held_until is not None
    app.close()


@pytest.mark.parametrize("status", [400, 422])
def test_a_refused_batch_is_dropped_with_a_warning(make_settings, clock, httpserver, caplog, status: int) -> None:
    endpoint = Endpoint(status)
    app = _app(make_settings, clock, httpserver, endpoint)
    queue = IndexNowQueue(max_urls=1)
    queue.add([BASE, BASE + "releases/a/"])
    with caplog.at_level(logging.WARNING, logger="feeds.publish.indexnow"):
        report = queue.send(app)
    assert (report.sent, report.dropped, report.pending) == (1, 1, 0)
    assert "refused 1 URLs" in caplog.text and queue.held_until is None
    app.close()


def test_switched_off_sends_nothing_and_forgets(make_settings, clock) -> None:
    app = make_app(settings_for(make_settings, on=False), clock=clock)
    queue = IndexNowQueue()
    queue.add([BASE])
    assert queue.send(app).summary() == "" and len(queue) == 0
    assert indexnow_once(app, ["index.html"]).summary() == ""
    app.close()


def test_feeds_publish_sends_the_changed_pages_once(make_settings, clock, httpserver: HTTPServer) -> None:
    from click.testing import CliRunner

    from feeds.cli import cli

    endpoint = Endpoint()
    httpserver.expect_request("/indexnow", method="POST").respond_with_handler(endpoint)
    settings = settings_for(make_settings, httpserver.url_for("/indexnow"))
    s = seeded(settings, clock)
    runner = CliRunner()
    first = runner.invoke(cli, ["--config", str(settings.path), "publish", "--json"])
    assert first.exit_code == 0, first.output
    assert endpoint.bodies, "a first publish of 6 releases is under MAX_CHANGED pages: sent"
    s.drop("golf", "Harbour dues frozen", ["Iran"], "2026-11-20T09:00:00Z")
    s.ingest()
    endpoint.bodies.clear()
    result = runner.invoke(cli, ["--config", str(settings.path), "publish", "--json"])
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    (body,) = endpoint.bodies
    urls = body["urlList"]
    assert f"{BASE}releases/harbour-dues-frozen/" in urls and BASE in urls and f"{BASE}topics/iran/" in urls  # type: ignore[operator]
    assert not [u for u in urls if u.endswith((".xml", ".json", ".css"))]  # type: ignore[union-attr]
    assert out["indexnow"] == {"sent": len(urls), "failed": 0}  # type: ignore[arg-type]
    s.app.close()


def test_the_daemon_queues_the_changed_pages_after_a_publish(make_settings, clock, monkeypatch) -> None:
    from feeds.daemon import Daemon
    from feeds.ingest import run_ingest

    settings = settings_for(make_settings, "http://127.0.0.1:9/indexnow")
    daemon = Daemon(Path(settings.path), settings, clock=clock, serve=False)
    asked: list[str] = []
    monkeypatch.setattr(daemon.jobs, "soon", lambda job_id, *a, **kw: asked.append(job_id))
    try:
        inbox = settings.source("inbox").path
        (inbox / "a.json").write_text(
            '{"title": "Ferries restored", "body": "Text.", "published": "2026-11-28T09:00:00Z"}'
        )
        assert run_ingest(daemon.app).count("created") == 1
        daemon.jobs.publish(daemon.app)
        assert "indexnow-soon" in asked
        assert f"{BASE}releases/ferries-restored/" in daemon.indexnow.pending()
    finally:
        daemon.app.close()


def test_the_module_limits_are_the_protocols() -> None:
    assert indexnow_module.MAX_URLS == 10_000
