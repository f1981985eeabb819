"""WebSub publisher pings against a real local hub (pytest-httpserver on 127.0.0.1).

What the hub sees: one form-encoded `hub.mode=publish&hub.url=<topic>` POST per changed feed document (Atom, RSS,
JSON Feed; never HTML pages), with our User-Agent; a failed ping is retried with back-off on a later round (the
round goes on past a topic the hub refuses; a failure of the hub itself holds them all, see
tests/test_websub_hub_backoff.py), dropped after too many refusals, and pinged again when its feed changed while
the ping was in flight. `feeds run --once` and `feeds publish` ping for every feed document their publish wrote
(a refused topic does not stop the others, and is counted once), and nothing when nothing changed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

import pytest
import requests
from werkzeug import Request, Response

from feeds.daemon import Daemon
from feeds.publish.websub import PingQueue, changed_topics, ping_hub
from tests.ports import free_port

BASE = "https://press.example.org/"


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ([], []),
        (["index.html", "releases/a/index.html", "static/site.css", "feeds.opml"], []),
        (["atom.xml", "rss.xml", "feed.json"], [BASE + "atom.xml", BASE + "feed.json", BASE + "rss.xml"]),
        (["topics/iran/atom.xml", "topics/iran/index.html"], [BASE + "topics/iran/atom.xml"]),
        (
            ["matches/rules/lavrov/rss.xml", "archive/3/atom.xml"],
            [BASE + "archive/3/atom.xml", BASE + "matches/rules/lavrov/rss.xml"],
        ),
        (["atom.xml", "atom.xml"], [BASE + "atom.xml"]),
        (["not-atom.xml", "feed.json.bak", "atom.xml/index.html"], []),
    ],
)
def test_changed_topics_are_the_feed_documents_as_absolute_urls(written, expected):
    assert changed_topics(written, BASE) == expected


@dataclass
class Hub:
    """A hub that records every publish ping and refuses `fail_first` of them first (400: about the topic)."""

    fail_first: int = 0
    status: int = 204
    pings: list[str] = field(default_factory=list)
    received: list[dict[str, object]] = field(default_factory=list)
    during: list[object] = field(default_factory=list)
    """Callables run while a request is being answered (to change things mid-flight)."""

    def __call__(self, request: Request) -> Response:
        self.received.append(
            {
                "content_type": request.headers.get("Content-Type"),
                "user_agent": request.headers.get("User-Agent"),
                "form": {k: request.form.getlist(k) for k in request.form},
            }
        )
        for fn in self.during:
            fn()  # type: ignore[operator]
        self.during.clear()
        if self.fail_first:
            self.fail_first -= 1
            return Response("bad topic", status=400)
        if not 200 <= self.status < 300:
            return Response("no", status=self.status)
        assert request.form["hub.mode"] == "publish"
        self.pings.extend(request.form.getlist("hub.url"))
        return Response(status=self.status)


@pytest.fixture
def hub(httpserver) -> Hub:
    h = Hub()
    httpserver.expect_request("/hub", method="POST").respond_with_handler(h)
    return h


@pytest.fixture
def app(make_settings, make_app_for, httpserver):
    return make_app_for(make_settings(f'\n[publish]\nhub = "{httpserver.url_for("/hub")}"\n'))


def test_a_ping_is_one_form_encoded_topic_with_our_user_agent(app, hub, httpserver, now):
    session = requests.Session()
    result = ping_hub(
        session, httpserver.url_for("/hub"), BASE + "atom.xml", timeout=(5, 5), user_agent="feeds-test/1", now=now
    )
    assert (result.ok, result.status, result.error) == (True, "204", None)
    (req,) = hub.received
    assert req == {
        "content_type": "application/x-www-form-urlencoded",
        "user_agent": "feeds-test/1",
        "form": {"hub.mode": ["publish"], "hub.url": [BASE + "atom.xml"]},
    }


@pytest.mark.parametrize(
    ("response", "status", "retry_after"),
    [
        (Response("oops", status=500), "500", None),
        (Response("busy", status=503, headers={"Retry-After": "120"}), "503", timedelta(seconds=120)),
        (Response("slow", status=429, headers={"Retry-After": "soon"}), "429", None),
        (Response(status=302, headers={"Location": "/elsewhere"}), "302", None),  # a POST is never redirected
        (Response("bad topic", status=400), "400", None),
    ],
)
def test_anything_but_2xx_is_a_failure_that_names_the_hub(httpserver, now, response, status, retry_after):
    httpserver.expect_request("/hub", method="POST").respond_with_response(response)
    url = httpserver.url_for("/hub")
    result = ping_hub(requests.Session(), url, BASE + "atom.xml", timeout=(5, 5), user_agent="ua", now=now)
    assert (result.ok, result.status) == (False, status)
    assert url in (result.error or "") and status in (result.error or "")
    assert result.retry_after == (now + retry_after if retry_after else None)


def test_a_hub_that_does_not_answer_is_an_error(now):
    url = f"http://127.0.0.1:{free_port()}/hub"
    result = ping_hub(requests.Session(), url, BASE + "atom.xml", timeout=(2, 2), user_agent="ua", now=now)
    assert (result.ok, result.status) == (False, "error")
    assert url in (result.error or "") and "ConnectionError" in (result.error or "")


def test_a_refused_topic_is_retried_with_back_off_and_the_round_goes_on(app, hub, clock):
    hub.fail_first = 1
    queue = PingQueue()
    topics = [BASE + "atom.xml", BASE + "rss.xml", BASE + "feed.json"]
    assert queue.add(topics, clock()) == 3

    first = queue.send(app)
    assert (first.sent, first.failed, first.pending) == (2, 1, 1), "the hub refused one topic: the others go"
    (failed,) = queue.pending()
    assert failed.topic == BASE + "atom.xml", "pinged in due order, then by topic"
    assert timedelta(seconds=27) <= failed.due - clock() <= timedelta(seconds=33), "30 s back-off, ±10% jitter"
    assert "400" in (failed.last_error or "")
    assert queue.send(app).summary() == "", "nothing due: nothing sent, nothing logged"

    clock.advance(timedelta(seconds=40))
    third = queue.send(app)
    assert (third.sent, third.pending) == (1, 0)
    assert sorted(hub.pings) == sorted(topics), "each topic accepted exactly once"
    assert third.summary() == "1 hub pings sent, 0 failed, 0 dropped, 0 pending"


def test_back_off_doubles_and_a_ping_is_dropped_after_max_attempts(app, hub, clock):
    hub.status = 400
    queue = PingQueue(retry=timedelta(seconds=10), max_attempts=3)
    queue.add([BASE + "atom.xml"], clock())
    waits = []
    for _ in range(2):
        assert queue.send(app).failed == 1
        (p,) = queue.pending()
        waits.append(p.due - clock())
        clock.set(p.due)
    last = queue.send(app)
    assert (last.failed, last.dropped, last.pending) == (1, 1, 0)
    assert timedelta(seconds=9) <= waits[0] <= timedelta(seconds=11)
    assert timedelta(seconds=18) <= waits[1] <= timedelta(seconds=22)
    assert len(hub.received) == 3 and hub.pings == []


def test_retry_after_from_the_hub_is_honoured(app, httpserver, clock):
    httpserver.expect_request("/hub", method="POST").respond_with_response(
        Response("later", status=503, headers={"Retry-After": "600"})
    )
    queue = PingQueue()
    queue.add([BASE + "atom.xml"], clock())
    queue.send(app)
    assert queue.held_until is not None and queue.held_until >= clock() + timedelta(seconds=600)
    assert len(queue) == 1


def test_a_feed_changed_while_its_ping_is_in_flight_is_pinged_again(app, hub, clock):
    queue = PingQueue()
    topic = BASE + "atom.xml"
    queue.add([topic], clock())
    hub.during.append(lambda: queue.add([topic], clock()))  # the next publish rewrote it meanwhile
    assert queue.send(app).sent == 1
    (again,) = queue.pending()
    assert again.due <= clock() and again.failures == 0
    assert queue.send(app).sent == 1 and len(queue) == 0
    assert hub.pings == [topic, topic]


def test_a_pending_topic_added_again_keeps_its_back_off(app, hub, clock):
    hub.fail_first = 1
    queue = PingQueue()
    queue.add([BASE + "atom.xml"], clock())
    queue.send(app)
    (before,) = queue.pending()
    queue.add([BASE + "atom.xml"], clock())
    (after,) = queue.pending()
    assert (after.due, after.failures) == (before.due, 1) and len(queue) == 1
    assert queue.send(app).summary() == "", "a busy hub is not pinged again before its back-off ends"


def test_without_a_hub_nothing_is_sent_and_the_queue_empties(make_settings, make_app_for, clock):
    app = make_app_for(make_settings())
    queue = PingQueue()
    queue.add([BASE + "atom.xml"], clock())
    assert queue.send(app).summary() == "" and len(queue) == 0


def test_the_queue_uses_the_apps_session_when_there_is_one(make_settings, make_app_for, httpserver, hub, clock):
    calls: list[str] = []

    class Counting(requests.Session):
        def post(self, url, *args, **kwargs):  # type: ignore[no-untyped-def, override]
            calls.append(url)
            return super().post(url, *args, **kwargs)

    settings = make_settings(f'\n[publish]\nhub = "{httpserver.url_for("/hub")}"\n')
    app = make_app_for(settings, session=Counting())
    queue = PingQueue()
    queue.add([BASE + "atom.xml"], clock())
    assert queue.send(app).sent == 1 and calls == [httpserver.url_for("/hub")]
    queue.close()


def _daemon(settings, clock) -> Daemon:
    return Daemon(Path(settings.path), settings, clock=clock, serve=False)


def test_run_once_pings_every_feed_document_it_wrote_and_nothing_when_unchanged(make_settings, hub, httpserver, clock):
    settings = make_settings(f'\n[publish]\nhub = "{httpserver.url_for("/hub")}"\n')
    (settings.inboxes[0].path / "harbour.md").write_text(
        "---\ntitle: Harbour wall to be rebuilt\npublished: 2026-11-27T09:00:00Z\ntopics: [Iran]\n---\n"
        "The wall will be rebuilt by spring.\n",
        encoding="utf-8",
    )
    assert _daemon(settings, clock).run_once() == 0
    out = settings.paths.out
    written = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.name in ("atom.xml", "rss.xml", "feed.json"))
    assert "topics/iran/atom.xml" in written and "atom.xml" in written
    assert sorted(hub.pings) == [BASE + path for path in written]
    assert all(req["form"]["hub.url"][0].startswith(BASE) for req in hub.received)

    hub.pings.clear()
    assert _daemon(settings, clock).run_once() == 0
    assert hub.pings == [], "a publish that changed nothing pings nothing"


def test_run_once_still_exits_0_when_the_hub_is_down(make_settings, clock):
    settings = make_settings(f'\n[publish]\nhub = "http://127.0.0.1:{free_port()}/hub"\n')
    daemon = _daemon(settings, clock)
    assert daemon.run_once() == 0, "a ping is best effort: the site was published"
    out = settings.paths.out
    n = sum(1 for p in out.rglob("*") if p.name in ("atom.xml", "rss.xml", "feed.json"))
    assert daemon.state.jobs["websub"].last_summary == f"0 hub pings sent, {n} failed, {n} dropped, 0 pending"


def test_feeds_publish_pings_the_hub_for_the_feeds_it_changed(make_settings, hub, httpserver):
    from click.testing import CliRunner

    from feeds.cli import cli

    settings = make_settings(f'\n[publish]\nhub = "{httpserver.url_for("/hub")}"\n')
    (settings.inboxes[0].path / "pier.md").write_text(
        "---\ntitle: Pier reopens\npublished: 2026-11-27T09:00:00Z\n---\nThe pier reopens on Monday.\n",
        encoding="utf-8",
    )
    runner = CliRunner()
    assert runner.invoke(cli, ["--config", str(settings.path), "ingest"]).exit_code == 0
    first = runner.invoke(cli, ["--config", str(settings.path), "publish", "--json"])
    assert first.exit_code == 0, first.output
    out = settings.paths.out
    feeds = sorted(str(p.relative_to(out)) for p in out.rglob("*") if p.name in ("atom.xml", "rss.xml", "feed.json"))
    assert sorted(hub.pings) == [BASE + path for path in feeds]
    assert json.loads(first.stdout)["hub_pings"] == {"sent": len(feeds), "failed": 0}
    hub.pings.clear()
    again = runner.invoke(cli, ["--config", str(settings.path), "publish", "--json"])
    assert json.loads(again.stdout)["hub_pings"] == {"sent": 0, "failed": 0} and hub.pings == []


def test_a_one_shot_round_pings_every_topic_and_counts_a_failure_once(app, hub):
    """`feeds publish` has no later tick: a hub that refuses one topic must still hear of the other feeds."""
    from feeds.publish.websub import ping_once

    hub.fail_first = 1
    written = ["atom.xml", "rss.xml", "feed.json", "topics/iran/atom.xml", "index.html"]
    report = ping_once(app, written)
    assert len(hub.received) == 4, "every changed feed is tried, whatever happened to the first"
    assert sorted(hub.pings) == [BASE + "feed.json", BASE + "rss.xml", BASE + "topics/iran/atom.xml"]
    assert (report.sent, report.failed, report.dropped, report.pending) == (3, 1, 1, 0)


def test_run_once_pings_every_feed_when_one_ping_fails(make_settings, hub, httpserver, clock):
    settings = make_settings(f'\n[publish]\nhub = "{httpserver.url_for("/hub")}"\n')
    (settings.inboxes[0].path / "harbour.md").write_text(
        "---\ntitle: Harbour wall to be rebuilt\npublished: 2026-11-27T09:00:00Z\ntopics: [Iran]\n---\n"
        "The wall will be rebuilt by spring.\n",
        encoding="utf-8",
    )
    hub.fail_first = 1
    daemon = _daemon(settings, clock)
    assert daemon.run_once() == 0
    out = settings.paths.out
    feeds = [p for p in out.rglob("*") if p.name in ("atom.xml", "rss.xml", "feed.json")]
    assert len(hub.received) == len(feeds) and len(hub.pings) == len(feeds) - 1
    n = len(feeds) - 1
    assert daemon.state.jobs["websub"].last_summary == f"{n} hub pings sent, 1 failed, 1 dropped, 0 pending"


def test_feeds_publish_json_counts_a_failed_ping_once(make_settings, hub, httpserver):
    from click.testing import CliRunner

    from feeds.cli import cli

    settings = make_settings(f'\n[publish]\nhub = "{httpserver.url_for("/hub")}"\n')
    (settings.inboxes[0].path / "pier.md").write_text(
        "---\ntitle: Pier reopens\npublished: 2026-11-27T09:00:00Z\n---\nThe pier reopens on Monday.\n",
        encoding="utf-8",
    )
    hub.fail_first = 1
    runner = CliRunner()
    assert runner.invoke(cli, ["--config", str(settings.path), "ingest"]).exit_code == 0
    result = runner.invoke(cli, ["--config", str(settings.path), "publish", "--json"])
    assert result.exit_code == 0, result.output
    out = settings.paths.out
    feeds = [p for p in out.rglob("*") if p.name in ("atom.xml", "rss.xml", "feed.json")]
    assert json.loads(result.stdout)["hub_pings"] == {"sent": len(feeds) - 1, "failed": 1}


def test_a_failed_ping_says_when_it_is_tried_again_as_every_other_time_in_the_log(app, hub, clock, caplog):
    """`next at 2026-11-28T12:00:31Z`, as the alerts' and the watch's lines say it, not Python's isoformat with
    microseconds and `+00:00`."""
    import logging
    import re

    hub.fail_first = 1
    queue = PingQueue()
    queue.add([BASE + "atom.xml"], clock())
    with caplog.at_level(logging.INFO, logger="feeds.publish.websub"):
        queue.send(app)
    (line,) = [r.getMessage() for r in caplog.records if "failed (attempt 1" in r.getMessage()]
    assert re.search(r"\(attempt 1, next at \d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ\): POST ", line), line
