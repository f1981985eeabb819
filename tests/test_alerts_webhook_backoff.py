"""Webhook alerts against a receiver down for a day, a real one on 127.0.0.1, with an injected clock.

A destination that is down backs off as a whole, behind the one message it retries (`feeds.alerts.backoff`).
Messages that waited behind it longer than the retry policy tries one (`GIVE_UP_AFTER`) are given up on with it
when its last attempt fails, in one line, as they are behind a destination refusing everything: the receiver,
back, is sent what is recent, in order, each once, never the oldest few at random among them.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import timedelta

import pytest
from werkzeug.wrappers import Request, Response

from feeds.alerts import run_alerts
from feeds.alerts.select import GIVE_UP_AFTER
from tests.alerts_helpers import add_keyword_matches

SECRET = "s3cret-key"


def hook(url: str) -> str:
    return f'[[alerts.webhooks]]\nname = "desk"\nurl = "{url}"\nsecret = "{SECRET}"\n'


class Receiver:
    """Answers 503 while `down`, then 200; records the delivery id of every POST it takes."""

    def __init__(self) -> None:
        self.down = True
        self.posts = 0
        self.taken: list[str] = []

    def __call__(self, request: Request) -> Response:
        self.posts += 1
        if self.down:
            return Response("maintenance", status=503)
        self.taken.append(request.headers["webhook-id"])
        return Response("ok", status=200)


@pytest.fixture
def app(db_url, make_settings, make_app_for, httpserver):
    return make_app_for(make_settings("\n[alerts]\n" + hook(httpserver.url_for("/h")), database_url=db_url))


def test_a_receiver_down_for_a_day_gets_what_is_recent_in_order_and_the_rest_is_given_up_in_one_line(
    app, clock, httpserver, caplog
):
    receiver = Receiver()
    httpserver.expect_request("/h", method="POST").respond_with_handler(receiver)
    start = clock()
    add_keyword_matches(app.store, {f"old{i}": f"Sanctions old {i}" for i in range(10)}, found_at=start)
    run_alerts(app)
    late = start + timedelta(hours=16)  # (8 h before the receiver is back: within the retry policy)
    with caplog.at_level(logging.INFO, logger="feeds.alerts"):
        while clock() < start + timedelta(hours=24):
            clock.advance(timedelta(minutes=5))
            if clock() == late:
                add_keyword_matches(app.store, {f"new{i}": f"Sanctions new {i}" for i in range(5)}, found_at=late)
            run_alerts(app)
        receiver.down = False
        for _ in range(16):  # (the message it retries is tried again at the end of its back-off: within 6 h)
            clock.advance(timedelta(minutes=30))
            run_alerts(app)

    by_item = {d.idempotency_key: d for d in app.store.deliveries()}
    statuses = Counter((d.queued_at < late, d.status) for d in by_item.values())
    assert statuses == {(True, "failed"): 10, (False, "sent"): 5}, statuses
    assert len(receiver.taken) == len(set(receiver.taken)), "each sent once"
    assert all(by_item[k].queued_at >= late for k in receiver.taken), "none of those given up on is sent"
    gave_up = [r for r in caplog.records if "gave up on" in r.getMessage() and "waiting" in r.getMessage()]
    assert len(gave_up) == 1 and gave_up[0].levelname == "ERROR", [r.getMessage() for r in caplog.records][-5:]
    line = gave_up[0].getMessage()
    assert "9 deliveries" in line and "feeds alerts retry webhook:desk" in line and "503" in line, line
    assert receiver.posts < 40, "the destination backs off as one: no POST per message per run"


def test_given_up_only_past_the_retry_policy_not_at_the_first_failure(app, clock, httpserver):
    receiver = Receiver()
    httpserver.expect_request("/h", method="POST").respond_with_handler(receiver)
    add_keyword_matches(app.store, {f"k{i}": f"Sanctions {i}" for i in range(4)}, found_at=clock())
    run_alerts(app)
    clock.advance(GIVE_UP_AFTER - timedelta(minutes=30))
    run_alerts(app)
    assert Counter(d.status for d in app.store.deliveries()) == {"pending": 4}


def test_a_failure_after_the_daemon_was_stopped_for_hours_gives_up_on_nothing(app, clock, httpserver):
    """Messages waiting since before a long stop are old, but the receiver has not been failing for the whole
    retry policy: its second 503, half a day later, must not fail them all."""
    receiver = Receiver()
    httpserver.expect_request("/h", method="POST").respond_with_handler(receiver)
    add_keyword_matches(app.store, {f"k{i}": f"Sanctions {i}" for i in range(4)}, found_at=clock())
    run_alerts(app)  # (one 503: the others wait behind it; then the daemon is stopped for half a day)
    clock.advance(GIVE_UP_AFTER + timedelta(hours=2))
    run_alerts(app)
    assert receiver.posts == 2
    assert Counter(d.status for d in app.store.deliveries()) == {"pending": 4}
