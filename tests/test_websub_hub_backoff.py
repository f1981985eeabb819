"""WebSub hub-wide back-off: a hub that is down, overloaded or misconfigured holds every pending ping, not one.

Against a real local hub (pytest-httpserver on 127.0.0.1) and an injected clock: a failure of the hub itself
(no answer, 5xx, 429, a redirect) or a Retry-After holds all pings to that hub until its back-off ends, keeps
them all (none lost, each sent once when the hub is back) and logs one line per failure, not one per topic. A
hub refusing one topic (400, 422) is that topic's failure only: the others go on.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from itertools import pairwise

import pytest
from werkzeug import Request, Response

from feeds.publish.websub import PingQueue, ping_once
from tests.ports import free_port

BASE = "https://press.example.org/"
TOPICS = [BASE + "atom.xml", BASE + "rss.xml", BASE + "feed.json", BASE + "topics/iran/atom.xml"]


class Hub:
    """Answers each ping with the next of `answers` (then 204), recording the topics it received and took."""

    def __init__(self) -> None:
        self.answers: list[Response] = []
        self.received: list[str] = []
        self.taken: list[str] = []

    def __call__(self, request: Request) -> Response:
        topic = request.form["hub.url"]
        self.received.append(topic)
        if self.answers:
            return self.answers.pop(0)
        self.taken.append(topic)
        return Response(status=204)


@pytest.fixture
def hub(httpserver) -> Hub:
    h = Hub()
    httpserver.expect_request("/hub", method="POST").respond_with_handler(h)
    return h


@pytest.fixture
def app(make_settings, make_app_for, httpserver):
    return make_app_for(make_settings(f'\n[publish]\nhub = "{httpserver.url_for("/hub")}"\n'))


def test_retry_after_from_the_hub_holds_every_topic_until_then(app, hub, clock, caplog):
    hub.answers.append(Response("busy", status=503, headers={"Retry-After": "600"}))
    queue = PingQueue()
    queue.add(TOPICS, clock())
    with caplog.at_level(logging.INFO, logger="feeds.publish.websub"):
        first = queue.send(app)
    assert (first.sent, first.failed, first.pending) == (0, 1, 4)
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("feeds")]
    assert len(lines) == 1, lines
    assert "503" in lines[0] and "holding 4 pending pings until" in lines[0], lines[0]

    for _ in range(3):
        clock.advance(timedelta(seconds=190))
        assert queue.send(app).summary() == "", "the hub asked for 600 s: nothing is tried before"
    assert len(hub.received) == 1

    clock.advance(timedelta(seconds=30))
    last = queue.send(app)
    assert (last.sent, last.failed, last.pending) == (4, 0, 0)
    assert sorted(hub.taken) == sorted(TOPICS), "each held ping sent once, none lost"


def test_a_topic_added_while_the_hub_is_held_waits_too(app, hub, clock):
    hub.answers.append(Response("slow down", status=429, headers={"Retry-After": "120"}))
    queue = PingQueue()
    queue.add(TOPICS[:1], clock())
    queue.send(app)
    clock.advance(timedelta(seconds=60))
    queue.add(TOPICS[1:], clock())  # the next publish changed other feeds
    assert queue.send(app).summary() == "" and hub.received == TOPICS[:1]
    clock.advance(timedelta(seconds=61))
    assert queue.send(app).sent == 4 and sorted(hub.taken) == sorted(TOPICS)


def test_a_hub_down_for_long_keeps_every_ping_and_backs_off_as_one(make_settings, make_app_for, clock, caplog):
    port = free_port()
    app = make_app_for(make_settings(f'\n[publish]\nhub = "http://127.0.0.1:{port}/hub"\n'))
    queue = PingQueue(retry=timedelta(seconds=10), max_attempts=3)
    queue.add(TOPICS, clock())
    attempts = 0
    holds = []
    with caplog.at_level(logging.INFO, logger="feeds.publish.websub"):
        for _ in range(12):  # many more failures than max_attempts: the hub is down, the topics are not at fault
            report = queue.send(app)
            if report.failed:
                attempts += 1
            holds.append(queue.held_until)
            assert queue.held_until is not None
            clock.set(queue.held_until)
    assert attempts == 12, "one attempt per hold, whatever the number of topics"
    assert len(queue) == 4 and all(p.failures == 0 for p in queue.pending()), "none dropped, none blamed"
    waits = [b - a for a, b in pairwise(holds)]
    assert waits[1] > waits[0] * 1.5, "the hub's back-off doubles"
    assert max(waits) <= timedelta(hours=1), "capped, so a hub back up is heard of within the hour"
    lines = [r.getMessage() for r in caplog.records if r.name.startswith("feeds")]
    assert len(lines) == 12 and all("holding 4 pending pings" in line for line in lines), lines[:2]


def test_the_hub_back_sends_the_held_pings_and_says_so(app, hub, clock, caplog):
    hub.answers.extend([Response("down", status=502), Response("down", status=502)])
    queue = PingQueue()
    queue.add(TOPICS, clock())
    queue.send(app)
    assert queue.held_until is not None
    clock.set(queue.held_until)
    queue.send(app)
    clock.set(queue.held_until)
    caplog.clear()
    with caplog.at_level(logging.INFO, logger="feeds.publish.websub"):
        report = queue.send(app)
    assert (report.sent, report.pending) == (4, 0) and queue.held_until is None
    assert sorted(hub.taken) == sorted(TOPICS) and len(hub.received) == 6
    (line,) = [r.getMessage() for r in caplog.records if r.name.startswith("feeds")]
    assert "answers again after 2 failed attempts" in line, line


def test_a_redirecting_hub_is_held_with_the_url_to_configure(app, hub, clock, caplog):
    hub.answers.append(Response(status=308, headers={"Location": "https://hub.example.net/publish"}))
    queue = PingQueue()
    queue.add(TOPICS, clock())
    with caplog.at_level(logging.INFO, logger="feeds.publish.websub"):
        report = queue.send(app)
    assert (report.failed, report.pending) == (1, 4) and len(hub.received) == 1
    (line,) = [r.getMessage() for r in caplog.records if r.name.startswith("feeds")]
    assert "https://hub.example.net/publish" in line and "publish.hub" in line, line


def test_a_hub_refusing_one_topic_does_not_hold_the_others(app, hub, clock):
    hub.answers.append(Response("topic not allowed", status=422))
    queue = PingQueue()
    queue.add(TOPICS, clock())
    report = queue.send(app)
    assert (report.sent, report.failed, report.pending) == (3, 1, 1) and queue.held_until is None


def test_a_changed_hub_url_is_not_held_for_the_old_one(make_settings, make_app_for, httpserver, hub, clock):
    down = make_app_for(make_settings(f'\n[publish]\nhub = "http://127.0.0.1:{free_port()}/hub"\n'))
    queue = PingQueue()
    queue.add(TOPICS, clock())
    queue.send(down)
    up = make_app_for(make_settings(f'\n[publish]\nhub = "{httpserver.url_for("/hub")}"\n'))  # SIGHUP, new hub
    assert queue.send(up).sent == 4 and sorted(hub.taken) == sorted(TOPICS)


def test_a_one_shot_round_stops_at_a_hub_that_is_down(make_settings, make_app_for, clock, caplog):
    """`feeds publish` with the hub down: one attempt (one timeout), not one per feed, and one log line."""
    app = make_app_for(make_settings(f'\n[publish]\nhub = "http://127.0.0.1:{free_port()}/hub"\n'))
    with caplog.at_level(logging.INFO, logger="feeds.publish.websub"):
        report = ping_once(app, ["atom.xml", "rss.xml", "feed.json", "topics/iran/atom.xml"])
    assert (report.sent, report.failed, report.dropped, report.pending) == (0, 4, 4, 0)
    (line,) = [r.getMessage() for r in caplog.records if r.name.startswith("feeds")]
    assert "4 pings not sent" in line and "ConnectionError" in line, line


def test_feeds_status_says_the_daemons_pings_are_held_while_the_hub_fails(make_settings, clock):
    """A hub down for a day: the log had its warnings, but `feeds status` said `websub … last ok` (the held
    rounds try nothing, and a round that met the failure did not fail), exited 0, and /healthz was ok. Now the
    job fails while the hub does, one error line for the outage, and works again when the hub answers."""
    from pathlib import Path

    from feeds.daemon import Daemon
    from feeds.status import gather
    from feeds.statustext import render_text

    port = free_port()
    settings = make_settings(f'\n[publish]\nhub = "http://127.0.0.1:{port}/hub"\n')
    daemon = Daemon(Path(settings.path), settings, clock=clock, serve=False)
    try:
        daemon.app.store.migrate(clock())
        daemon.pings.add(TOPICS, clock())
        for _ in range(3):  # the failed attempt, then held rounds
            daemon._run_job("websub", daemon.jobs.websub)
            clock.advance(timedelta(seconds=5))
        daemon.heartbeat()
        report = gather(daemon.app)
        job = report.workers[0].jobs["websub"]
        assert job["last_ok"] is False
        assert f"WebSub hub http://127.0.0.1:{port}/hub failing since " in job["last_error"]
        assert "4 pings held" not in job["last_error"], "the same words all along the outage: one error line"
        assert any("websub FAILED: WebSub hub" in p for p in report.problems())
        assert "websub        next" in render_text(report) and "last FAILED: WebSub hub" in render_text(report)
        assert {j.name: j.ok for j in daemon.health.jobs()}["websub"] is False, "/healthz: job:websub degraded"
    finally:
        daemon.app.close()


def test_the_websub_job_works_again_when_the_hub_answers(make_settings, httpserver, hub, clock, caplog):
    from pathlib import Path

    from feeds.daemon import Daemon

    hub.answers = [Response(status=503)]
    settings = make_settings(f'\n[publish]\nhub = "{httpserver.url_for("/hub")}"\n')
    daemon = Daemon(Path(settings.path), settings, clock=clock, serve=False)
    try:
        daemon.pings.add(TOPICS, clock())
        with caplog.at_level(logging.INFO, logger="feeds.daemon"):
            daemon._run_job("websub", daemon.jobs.websub)
            assert daemon.state.jobs["websub"].last_ok is False
            assert daemon.pings.held_until is not None
            clock.set(daemon.pings.held_until)
            daemon._run_job("websub", daemon.jobs.websub)
        assert daemon.state.jobs["websub"].last_ok is True
        assert sorted(hub.taken) == sorted(TOPICS)
        assert "websub works again" in caplog.text
    finally:
        daemon.app.close()
