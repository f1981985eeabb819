"""Webhook alerts end to end: real store, real local receiver on 127.0.0.1, FixedClock moved by hand."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import socket
from datetime import timedelta

import pytest
import requests
from werkzeug.datastructures import Headers
from werkzeug.wrappers import Request, Response

from feeds.alerts import run_alerts
from feeds.alerts.select import GIVE_UP_AFTER, MAX_ATTEMPTS
from feeds.store.alerts import NewDelivery
from tests.alerts_helpers import NOW, add_coverage_match, add_keyword_matches, readme_verify

SECRET = "s3cret-key"


class Receiver:
    """Records each POST; answers 500 `fail` times, then 200. Checks the signature of every body."""

    def __init__(self, fail: int | None = 0):
        self.fail = fail
        self.calls: list[dict] = []

    def __call__(self, request: Request) -> Response:
        body = request.get_data()
        expected = "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
        self.calls.append(
            {
                "signed": hmac.compare_digest(request.headers.get("X-Feeds-Signature", ""), expected),
                "key": request.headers.get("X-Feeds-Delivery"),
                "type": request.headers.get("Content-Type"),
                "agent": request.headers.get("User-Agent"),
                "doc": json.loads(body),
            }
        )
        failing = self.fail is None or len(self.calls) <= self.fail
        return Response("no" if failing else "ok", status=500 if failing else 200)


def hook(name: str, url: str, rules: str = '["*"]') -> str:
    return f'[[alerts.webhooks]]\nname = "{name}"\nurl = "{url}"\nsecret = "{SECRET}"\nrules = {rules}\n'


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def setup(db_url, make_settings, make_app_for):
    def make(toml: str):
        app = make_app_for(make_settings("\n[alerts]\n" + toml, database_url=db_url))
        return app

    return make


def test_a_flaky_receiver_gets_each_match_once_after_retries(setup, clock, httpserver, caplog):
    receiver = Receiver(fail=2)
    httpserver.expect_request("/hook", method="POST").respond_with_handler(receiver)
    app = setup(hook("desk", httpserver.url_for("/hook"), rules='["sanctions"]'))
    add_keyword_matches(app.store, {"a": "EU widens sanctions"})
    add_keyword_matches(app.store, {"b": "Unrelated"}, rule="weather")

    report = run_alerts(app)
    assert (report.queued, report.sent, report.retrying) == (1, 0, 1)
    assert len(receiver.calls) == 1
    (delivery,) = app.store.deliveries()  # the log says when, as the rest of the logs do (RFC 3339)
    assert f"next at {delivery.next_attempt:%Y-%m-%dT%H:%M:%S}" in caplog.text
    clock.advance(timedelta(minutes=1))
    run_alerts(app)
    assert len(receiver.calls) == 1, "backing off: no POST before the next attempt is due"

    for expected_calls in (2, 3):
        (delivery,) = app.store.deliveries()
        clock.set(delivery.next_attempt)
        run_alerts(app)
        assert len(receiver.calls) == expected_calls

    (delivery,) = app.store.deliveries()
    assert (delivery.status, delivery.attempts, delivery.last_status, delivery.sent_at) == ("sent", 3, "200", clock())
    assert all(c["signed"] for c in receiver.calls), "every POST carries a valid HMAC-SHA256 of its raw body"
    assert {c["key"] for c in receiver.calls} == {delivery.idempotency_key}, "one delivery key for all attempts"
    assert {c["type"] for c in receiver.calls} == {"application/json"}
    assert {c["agent"] for c in receiver.calls} == {app.settings.http.user_agent}
    doc = receiver.calls[-1]["doc"]
    assert doc["rule"] == "sanctions" and doc["item"]["title"] == "EU widens sanctions" and doc["kind"] == "keyword"
    assert doc["delivery"] == delivery.idempotency_key and doc["destination"] == "desk"

    for _ in range(3):
        clock.advance(timedelta(days=1))
        assert run_alerts(app).sent == 0
    assert len(receiver.calls) == 3, "a delivered match is never POSTed again"

    add_keyword_matches(app.store, {"c": "More sanctions"}, found_at=clock())
    assert run_alerts(app).sent == 1 and len(receiver.calls) == 4, "a new match goes out on the next run"


def test_each_attempt_is_signed_with_its_own_time_and_the_delivery_id_for_the_readme_verify(setup, clock, httpserver):
    """What a receiver sees, checked with the README's `verify`: each POST signed over its id, the time it was sent
    (the clock as the run goes on, not the run's start) and the body; the id is the same on a retry, the time is
    not; a delivery captured and replayed 5 minutes later is refused; the deprecated X-Feeds headers still come."""
    verify = readme_verify()
    seen: list[tuple[Headers, bytes, float]] = []
    answers = [500, 200, 200]

    def handler(request: Request) -> Response:
        seen.append((Headers(request.headers), request.get_data(), clock().timestamp()))  # (case-insensitive)
        clock.advance(timedelta(minutes=1))  # a slow receiver: the next POST of the batch goes out a minute later
        return Response("", status=answers[len(seen) - 1])

    httpserver.expect_request("/hook", method="POST").respond_with_handler(handler)
    app = setup(hook("desk", httpserver.url_for("/hook")))
    add_keyword_matches(app.store, {"a": "EU widens sanctions"})
    add_keyword_matches(app.store, {"b": "More sanctions"}, found_at=NOW + timedelta(seconds=1))
    run_alerts(app)  # a: 500, and b waits behind it
    delivery = next(d for d in app.store.deliveries() if d.status == "pending" and d.attempts == 1)
    clock.set(delivery.next_attempt)
    run_alerts(app)  # a again, then b a minute later
    assert len(seen) == 3 and {d.status for d in app.store.deliveries()} == {"sent"}

    for headers, body, at in seen:
        assert verify(SECRET, headers, body, now=at)
        assert headers["Webhook-Timestamp"] == str(int(at)), "the time this POST was sent"
        assert headers["Webhook-Id"] == headers["X-Feeds-Delivery"] == json.loads(body)["delivery"]
        assert headers["X-Feeds-Signature"] == "sha256=" + hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()
    (first, _, _), (retry, _, retried_at), (second, body, at) = seen
    assert first["Webhook-Id"] == retry["Webhook-Id"] == delivery.idempotency_key, "stable across retries"
    assert first["Webhook-Timestamp"] != retry["Webhook-Timestamp"], "each attempt signed afresh"
    assert int(second["Webhook-Timestamp"]) == int(retried_at) + 60, "signed when sent, not when the run began"
    assert not verify(SECRET, second, body, now=at + 301), "replayed more than 5 minutes later: refused"
    redated = second.copy()
    redated["webhook-timestamp"] = str(int(at) + 301)
    assert not verify(SECRET, redated, body, now=at + 301), "nor can it be re-dated: the time is signed"


@pytest.mark.parametrize(
    "secret", ["whsec_" + base64.b64encode(bytes(range(24))).decode(), "whsec-not-a-prefix", "s3cret-key"]
)
def test_a_receiver_verifies_by_the_standard_webhooks_spec_whichever_kind_of_secret(setup, clock, httpserver, secret):
    """What the `standardwebhooks`/Svix libraries check, written here from the spec: a `whsec_` secret is keyed
    with the base64-decoded bytes after its prefix, any other secret with its UTF-8 bytes; HMAC-SHA256 over
    "id.timestamp.body", `v1,<base64>`."""
    seen: list[tuple[Headers, bytes]] = []

    def handler(request: Request) -> Response:
        seen.append((Headers(request.headers), request.get_data()))
        return Response("", status=200)

    httpserver.expect_request("/hook", method="POST").respond_with_handler(handler)
    toml = f'[[alerts.webhooks]]\nname = "desk"\nurl = "{httpserver.url_for("/hook")}"\nsecret = "{secret}"\n'
    app = setup(toml)
    add_keyword_matches(app.store, {"a": "EU widens sanctions"})
    assert run_alerts(app).sent == 1
    ((headers, body),) = seen
    key = base64.b64decode(secret[len("whsec_") :]) if secret.startswith("whsec_") else secret.encode("utf-8")
    signed = f"{headers['webhook-id']}.{headers['webhook-timestamp']}.".encode() + body
    expected = "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()
    assert headers["webhook-signature"] == expected
    assert readme_verify()(secret, headers, body, now=clock().timestamp())


def test_a_dead_destination_fails_after_max_attempts_and_blocks_no_one(setup, clock, httpserver):
    down, good = Receiver(fail=None), Receiver()
    httpserver.expect_request("/down", method="POST").respond_with_handler(down)
    httpserver.expect_request("/good", method="POST").respond_with_handler(good)
    app = setup(
        hook("down", httpserver.url_for("/down"))
        + hook("refused", f"http://127.0.0.1:{closed_port()}/hook")
        + hook("good", httpserver.url_for("/good"))
    )
    add_keyword_matches(app.store, {"a": "EU widens sanctions"})

    first = run_alerts(app)
    assert first.outcome("webhook:good").sent == 1 and len(good.calls) == 1
    assert first.outcome("webhook:down").retrying == 1 and first.outcome("webhook:refused").retrying == 1
    assert "answered 500" in first.outcome("webhook:down").errors[0]
    assert "ConnectionError" in first.outcome("webhook:refused").errors[0]

    reports = []
    for _ in range(MAX_ATTEMPTS - 1):
        clock.advance(timedelta(days=1))
        reports.append(run_alerts(app))
    assert reports[-1].failed == 2 and all(r.failed == 0 for r in reports[:-1])
    assert len(down.calls) == MAX_ATTEMPTS and len(good.calls) == 1
    by_dest = {d.destination: d for d in app.store.deliveries()}
    assert (by_dest["webhook:down"].status, by_dest["webhook:down"].attempts) == ("failed", MAX_ATTEMPTS)
    assert by_dest["webhook:refused"].status == "failed" and by_dest["webhook:refused"].last_status == "error"
    assert by_dest["webhook:good"].status == "sent"

    clock.advance(timedelta(days=3))
    run_alerts(app)
    assert len(down.calls) == MAX_ATTEMPTS, "a failed delivery is not retried unless an operator asks"
    assert app.store.retry_failed_deliveries(clock(), destination="webhook:down") == 1
    run_alerts(app)
    assert len(down.calls) == MAX_ATTEMPTS + 1


def test_after_a_failure_the_rest_of_the_batch_waits_for_a_later_run(setup, clock, httpserver):
    down = Receiver(fail=None)
    httpserver.expect_request("/down", method="POST").respond_with_handler(down)
    app = setup(hook("down", httpserver.url_for("/down")))
    add_keyword_matches(app.store, {"a": "One", "b": "Two", "c": "Three"})
    report = run_alerts(app)
    assert (report.outcome("webhook:down").retrying, report.outcome("webhook:down").deferred) == (1, 2)
    assert len(down.calls) == 1, "one timeout per dead destination per run, not one per match"
    assert {d.attempts for d in app.store.deliveries()} == {0, 1}
    # The back-off is the receiver's: later runs leave it alone until the failed message is due again (they used
    # to try the next message every minute), then that message goes first.
    (failed,) = [d for d in app.store.deliveries() if d.attempts]
    for _ in range(3):
        clock.advance(timedelta(seconds=20))
        if clock() < failed.next_attempt:
            run_alerts(app)
    assert len(down.calls) == 1, "no request while the receiver is backing off"
    clock.set(failed.next_attempt)
    run_alerts(app)
    assert len(down.calls) == 2 and down.calls[-1]["key"] == failed.idempotency_key


def test_coverage_matches_follow_the_coverage_switch(setup, clock, httpserver):
    on, off = Receiver(), Receiver()
    httpserver.expect_request("/on", method="POST").respond_with_handler(on)
    httpserver.expect_request("/off", method="POST").respond_with_handler(off)
    app = setup(
        hook("on", httpserver.url_for("/on"), rules="[]")
        + hook("off", httpserver.url_for("/off"))
        + "coverage = false\n"
    )
    add_coverage_match(app.store, "p", "Paper quotes the minister", "tag:press.example.org,2026-11-27:gone")
    add_keyword_matches(app.store, {"a": "EU widens sanctions"})
    run_alerts(app)
    assert [c["doc"]["kind"] for c in on.calls] == ["pickup"]
    assert on.calls[0]["doc"]["release"] == {
        "id": "tag:press.example.org,2026-11-27:gone",
        "title": "tag:press.example.org,2026-11-27:gone",
        "url": None,
    }, "a release no longer stored is named by its id"
    assert [c["doc"]["kind"] for c in off.calls] == ["keyword"]


def test_the_injected_session_is_used(setup, clock, httpserver):
    receiver = Receiver()
    httpserver.expect_request("/hook", method="POST").respond_with_handler(receiver)
    app = setup(hook("desk", httpserver.url_for("/hook")))
    session = requests.Session()
    session.headers["X-Test-Session"] = "injected"
    seen = []
    session.hooks["response"].append(lambda r, *a, **k: seen.append(r.request.headers.get("X-Test-Session")))
    app.session = session
    add_keyword_matches(app.store, {"a": "EU widens sanctions"})
    assert run_alerts(app).sent == 1 and seen == ["injected"]


def test_no_destinations_is_a_no_op(setup):
    report = run_alerts(setup(""))
    assert report.outcomes == [] and report.sent == 0


def test_a_secret_from_an_unset_variable_holds_its_webhook_back_and_nothing_else(setup, clock, httpserver, monkeypatch):
    """Never sent unsigned: the delivery waits with a clear reason; once the variable is set, it goes out."""
    monkeypatch.delenv("FEEDS_TEST_HOOK_SECRET", raising=False)
    receiver = Receiver()
    httpserver.expect_request("/hook", method="POST").respond_with_handler(receiver)
    toml = f'[[alerts.webhooks]]\nname = "desk"\nurl = "{httpserver.url_for("/hook")}"\n'
    toml += 'secret_env = "FEEDS_TEST_HOOK_SECRET"\n'
    app = setup(toml)
    (problem,) = app.settings.alerts.missing_secrets
    assert "alerts.webhooks[0].secret_env" in problem and "FEEDS_TEST_HOOK_SECRET is not set" in problem
    add_keyword_matches(app.store, {"a": "EU widens sanctions"})
    assert run_alerts(app).sent == 0 and receiver.calls == []
    (delivery,) = app.store.deliveries()
    assert delivery.status == "pending" and "FEEDS_TEST_HOOK_SECRET is not set" in (delivery.last_error or "")


def test_a_secret_in_a_webhook_url_reaches_no_error_message_log_or_table(setup, clock, caplog):
    url = f"http://hookuser:pa55word@127.0.0.1:{closed_port()}/services/T0/B0/SUPERSECRETTOKEN?token=QUERYSECRET"
    app = setup(hook("dead", url))
    add_keyword_matches(app.store, {"a": "EU widens sanctions"})
    with caplog.at_level("DEBUG"):
        run_alerts(app)
    (delivery,) = app.store.deliveries()
    shown = delivery.last_error or ""
    assert f"POST http://127.0.0.1:{url.split(':')[3].split('/')[0]}/services/…" in shown
    for secret in ("SUPERSECRETTOKEN", "QUERYSECRET", "pa55word", "hookuser"):
        assert secret not in shown and secret not in caplog.text, secret


def test_a_destination_naming_a_rule_that_does_not_exist_is_warned_about(setup, caplog):
    app = setup(hook("desk", "https://hooks.example.org/x", rules='["sanction"]'))
    app.store.add_rule("sanctions", "sanction*", origin="cli", now=app.clock())
    with caplog.at_level("WARNING", logger="feeds.alerts"):
        run_alerts(app)
    assert "alert destination webhook:desk names no keyword rule called 'sanction'" in caplog.text


def test_a_destination_naming_no_rule_is_warned_about_at_every_run_of_a_command(setup, clock, caplog):
    """`feeds alerts run` from a shell (no reminders kept): someone is looking, so every run says it."""
    app = setup(hook("desk", "https://hooks.example.org/x", rules='["sanction"]'))
    with caplog.at_level("WARNING", logger="feeds.alerts"):
        run_alerts(app)
        clock.advance(timedelta(minutes=1))
        run_alerts(app)
    said = [r for r in caplog.records if "names no keyword rule called 'sanction'" in r.getMessage()]
    assert len(said) == 2


@pytest.mark.parametrize("status", [400, 413, 422])
def test_a_receiver_refusing_every_message_is_one_error_line_a_run_with_each_at_debug(
    setup, clock, httpserver, caplog, status
):
    """A receiver that refuses each message for what it is (400, 413, 422: a schema it no longer takes) fails
    each at once, up to 50 a run: one line a run and destination says how many, the answer and what to do; each
    message's line is at debug level. (401/403/404/410 refuse the destination itself: the rest wait, see below.)"""
    hint = "not retried (`feeds alerts retry webhook:desk` sends them again)"
    httpserver.expect_request("/hook", method="POST").respond_with_data("no", status=status)
    app = setup(hook("desk", httpserver.url_for("/hook")))
    add_keyword_matches(app.store, {f"k{i}": f"Sanctions item {i}" for i in range(7)})
    with caplog.at_level("DEBUG", logger="feeds.alerts"):
        out = run_alerts(app).outcome("webhook:desk")
    assert (out.sent, out.failed, out.retrying, out.deferred) == (0, 7, 0, 0)
    assert {d.status for d in app.store.deliveries()} == {"failed"}
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(errors) == 1, errors
    (error,) = errors
    assert error.startswith("alert webhook:desk: 7 messages refused for good (POST http://")
    assert f"answered {status}" in error and "marked failed, not retried" in error and hint in error
    debug = [r.getMessage() for r in caplog.records if r.levelno == logging.DEBUG and "for good" in r.getMessage()]
    assert len(debug) == 7 and all(f"answered {status}" in line for line in debug)

    caplog.clear()
    clock.advance(timedelta(minutes=1))
    add_keyword_matches(app.store, {"n1": "Sanctions later"})
    with caplog.at_level("INFO", logger="feeds.alerts"):
        run_alerts(app)
    (error,) = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert error.startswith("alert webhook:desk: match ") and "refused for good" in error, "one message: named"


class Gate:
    """A receiver whose token can be revoked and restored: answers `status` (401 while revoked) or 200, and records
    every POST as (title, webhook-id, the answer)."""

    def __init__(self, status: int = 401):
        self.status = status
        self.posts: list[tuple[str, str, int]] = []

    def __call__(self, request: Request) -> Response:
        title = json.loads(request.get_data())["item"]["title"]
        self.posts.append((title, request.headers.get("webhook-id", ""), self.status))
        return Response("ok" if self.status == 200 else "no", status=self.status)

    def accepted(self) -> list[str]:
        return [title for title, _, status in self.posts if status == 200]


@pytest.mark.parametrize(
    ("status", "hint"),
    [
        (401, "check the webhook's url and secret (a revoked or changed token?)"),
        (403, "check the webhook's url and secret (a revoked or changed token?)"),
        (404, "check the webhook's url (a deleted hook?)"),
        (410, "check the webhook's url (a deleted hook?)"),
    ],
)
def test_a_destination_that_refuses_everything_costs_one_post_fails_nothing_and_backs_off(
    setup, clock, httpserver, caplog, status, hint
):
    """A revoked token or a deleted hook answers 401/403/404/410 to every message. The one delivery tried is not
    failed (it stayed pending, its attempt and answer recorded, due when the destination is tried again); the rest
    are not attempted; no other destination is held back; one line says it, what to check and when it is tried
    again. A run before then sends it nothing and says nothing."""
    gate = Gate(status)
    good = Receiver()
    httpserver.expect_request("/hook", method="POST").respond_with_handler(gate)
    httpserver.expect_request("/good", method="POST").respond_with_handler(good)
    app = setup(hook("desk", httpserver.url_for("/hook")) + hook("good", httpserver.url_for("/good")))
    add_keyword_matches(app.store, {f"k{i}": f"Sanctions item {i}" for i in range(7)})

    with caplog.at_level("DEBUG", logger="feeds.alerts"):
        report = run_alerts(app)
    out = report.outcome("webhook:desk")
    assert len(gate.posts) == 1, "one POST, not one per delivery"
    assert (out.sent, out.failed, out.retrying, out.deferred) == (0, 0, 1, 6)
    assert report.outcome("webhook:good").sent == 7 and len(good.calls) == 7, "no other destination is held back"
    assert app.store.count_deliveries(destination="webhook:desk", status="failed") == 0, "none lost"
    (probe,) = [d for d in app.store.deliveries(destination="webhook:desk") if d.attempts]
    assert (probe.status, probe.attempts, probe.last_status) == ("pending", 1, str(status))
    assert probe.next_attempt == clock() + timedelta(minutes=1)
    assert probe.last_error is not None and f"answered {status}" in probe.last_error
    assert "kept: the destination refuses everything, next try at" in probe.last_error
    said = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(said) == 1, said
    (line,) = said
    assert line.startswith("alert webhook:desk refuses everything (POST http://") and hint in line
    assert "and its 6 other deliveries wait, none failed; next try at" in line and "(in 1 min;" in line

    caplog.clear()
    clock.advance(timedelta(seconds=59))
    with caplog.at_level("DEBUG", logger="feeds.alerts"):
        out = run_alerts(app).outcome("webhook:desk")
    assert len(gate.posts) == 1 and (out.sent, out.retrying, out.deferred) == (0, 0, 0), "backing off"
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING], "said once a step, not every run"

    clock.advance(timedelta(seconds=1))
    out = run_alerts(app).outcome("webhook:desk")
    assert len(gate.posts) == 2 and (out.retrying, out.deferred) == (1, 6), "then one is tried again"
    assert gate.posts[0][1] == gate.posts[1][1], "the same delivery first: they go out in order"
    assert app.store.refusal("webhook:desk").probe_at == clock() + timedelta(minutes=2)


def test_a_revoked_then_restored_token_loses_nothing_and_sends_each_delivery_once(setup, clock, httpserver, caplog):
    """The alerts job runs every minute; a token revoked for an hour used to lose a delivery a minute (each failed
    for good). Now: a handful of POSTs in the hour (at 0, 1, 3, 7, 15, 31 minutes), nothing failed, and once the
    token is restored every delivery goes out exactly once, in the order queued, and the back-off is forgotten."""
    gate = Gate(401)
    httpserver.expect_request("/hook", method="POST").respond_with_handler(gate)
    app = setup(hook("desk", httpserver.url_for("/hook")))
    start = clock()
    titles = [f"Sanctions item {i}" for i in range(5)]
    add_keyword_matches(app.store, {f"k{i}": t for i, t in enumerate(titles)})
    probes: list[int] = []
    for minute in range(60):
        if minute == 20:  # matches keep arriving while it refuses
            add_keyword_matches(app.store, {"late": "Sanctions late item"}, found_at=clock())
            titles.append("Sanctions late item")
        before = len(gate.posts)
        run_alerts(app)
        probes += [minute] * (len(gate.posts) - before)
        clock.advance(timedelta(minutes=1))
    assert probes == [0, 1, 3, 7, 15, 31]
    assert app.store.count_deliveries(status="failed") == 0 and app.store.count_deliveries(status="pending") == 6
    assert app.store.refusal("webhook:desk").probe_at == start + timedelta(minutes=63)

    gate.status = 200  # the token restored
    with caplog.at_level("INFO", logger="feeds.alerts"):
        while clock() < start + timedelta(minutes=70):
            run_alerts(app)
            clock.advance(timedelta(minutes=1))
    assert gate.accepted() == titles, "each exactly once, in order"
    keys = [key for _, key, status in gate.posts if status == 200]
    assert len(set(keys)) == len(keys) == 6
    assert {d.status for d in app.store.deliveries()} == {"sent"}
    assert app.store.refusal("webhook:desk") is None, "the back-off is forgotten"
    assert sum("webhook:desk accepts again (it answered 401" in r.getMessage() for r in caplog.records) == 1

    gate.status = 401  # revoked again: the back-off starts afresh, at one minute
    add_keyword_matches(app.store, {"again": "Sanctions again"}, found_at=clock())
    run_alerts(app)
    assert app.store.refusal("webhook:desk").refusals == 1
    assert app.store.refusal("webhook:desk").probe_at == clock() + timedelta(minutes=1)


def test_a_refusing_destination_is_tried_as_its_back_off_says_and_said_once_a_step(setup, clock, httpserver, caplog):
    """1, 2, 4… minutes between tries, at most two hours; a run just before a try sends nothing and logs nothing."""
    gate = Gate(403)
    httpserver.expect_request("/hook", method="POST").respond_with_handler(gate)
    app = setup(hook("desk", httpserver.url_for("/hook")))
    add_keyword_matches(app.store, {"k0": "Sanctions item"})
    gaps = []
    with caplog.at_level("INFO", logger="feeds.alerts"):
        run_alerts(app)
        for _ in range(9):
            last = clock()
            probe_at = app.store.refusal("webhook:desk").probe_at
            clock.set(probe_at - timedelta(seconds=1))
            posts = len(gate.posts)
            run_alerts(app)
            assert len(gate.posts) == posts, "not before its time"
            clock.set(probe_at)
            run_alerts(app)
            assert len(gate.posts) == posts + 1
            gaps.append(int((probe_at - last).total_seconds() // 60))
    assert gaps == [1, 2, 4, 8, 16, 32, 64, 120, 120]
    lines = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(lines) == 10 and all("webhook:desk refuses everything" in line for line in lines)
    assert "(in 2 h; refused 10 times in a row, since" in lines[-1]
    (probe,) = app.store.deliveries()
    assert (probe.status, probe.attempts) == ("pending", 10), "past MAX_ATTEMPTS, and kept: its age decides"


def test_the_back_off_of_a_refusing_destination_holds_for_a_new_app_on_the_same_database(
    setup, clock, httpserver, db_url
):
    """Kept in the store: a restarted daemon (or another sharing the database) holds off as the first did."""
    gate = Gate(401)
    httpserver.expect_request("/hook", method="POST").respond_with_handler(gate)
    toml = hook("desk", httpserver.url_for("/hook"))
    app = setup(toml)
    add_keyword_matches(app.store, {"k0": "Sanctions item", "k1": "Sanctions other"})
    run_alerts(app)
    clock.advance(timedelta(minutes=1))
    run_alerts(app)
    assert len(gate.posts) == 2  # refused twice: the next try 2 minutes on
    app.close()

    other = setup(toml)
    clock.advance(timedelta(minutes=1))
    run_alerts(other)
    assert len(gate.posts) == 2, "the new App holds off too"
    gate.status = 200
    clock.advance(timedelta(minutes=1))
    report = run_alerts(other)
    assert len(gate.posts) == 4 and report.outcome("webhook:desk").sent == 2
    assert other.store.refusal("webhook:desk") is None


def test_a_delivery_waiting_longer_than_the_retry_policy_tries_one_is_given_up_while_its_destination_refuses(
    setup, clock, httpserver, caplog
):
    """Nothing waits for ever: a delivery queued more than GIVE_UP_AFTER (10 h 35 min) ago to a destination that
    still refuses is failed, as one to a destination that is down is after its last attempt; younger ones wait."""
    gate = Gate(410)
    httpserver.expect_request("/hook", method="POST").respond_with_handler(gate)
    app = setup(hook("desk", httpserver.url_for("/hook")))
    start = clock()
    add_keyword_matches(app.store, {"k0": "Sanctions old", "k1": "Sanctions old too"})
    run_alerts(app)
    clock.set(start + GIVE_UP_AFTER - timedelta(hours=1))
    add_keyword_matches(app.store, {"k2": "Sanctions young"}, found_at=clock())
    run_alerts(app)
    assert app.store.count_deliveries(status="failed") == 0

    clock.set(start + GIVE_UP_AFTER + timedelta(minutes=1))
    with caplog.at_level("WARNING", logger="feeds.alerts"):
        out = run_alerts(app).outcome("webhook:desk")
    assert out.failed == 2
    failed = app.store.deliveries(status="failed")
    assert sorted(d.match_id for d in failed) == [1, 2]
    assert all(d.last_error.startswith("not sent: gave up after 10 h 35 min: webhook:desk refuses") for d in failed)
    (young,) = app.store.deliveries(status="pending")
    assert young.match_id == 3
    assert any(
        "gave up on 2 deliveries queued more than 10 h 35 min ago" in r.getMessage()
        and "`feeds alerts retry webhook:desk` sends them again" in r.getMessage()
        for r in caplog.records
    )


def test_a_refusal_of_everything_after_some_were_sent_leaves_the_rest_waiting(setup, clock, httpserver, caplog):
    answers = iter([200, 422, 200, 401])
    posts: list[int] = []

    def receiver(request: Request) -> Response:
        posts.append(next(answers))
        return Response("", status=posts[-1])

    httpserver.expect_request("/hook", method="POST").respond_with_handler(receiver)
    app = setup(hook("desk", httpserver.url_for("/hook")))
    add_keyword_matches(app.store, {f"k{i}": f"Sanctions item {i}" for i in range(6)})
    with caplog.at_level("WARNING", logger="feeds.alerts"):
        out = run_alerts(app).outcome("webhook:desk")
    assert posts == [200, 422, 200, 401]
    assert (out.sent, out.failed, out.retrying, out.deferred) == (2, 1, 1, 2)
    assert "webhook:desk refuses everything" in caplog.text and "its 2 other deliveries wait" in caplog.text
    assert sorted(d.attempts for d in app.store.deliveries(status="pending")) == [0, 0, 1]


def test_refusals_before_a_failure_that_ends_the_run_are_still_said_in_one_line(setup, clock, httpserver, caplog):
    """The rest of a batch is given back after a failure to be retried (a 500): the messages refused before it are
    still said, in the one line."""
    calls = []

    def answer(request: Request) -> Response:
        calls.append(1)
        return Response("no", status=422 if len(calls) <= 3 else 500)

    httpserver.expect_request("/hook", method="POST").respond_with_handler(answer)
    app = setup(hook("desk", httpserver.url_for("/hook")))
    add_keyword_matches(app.store, {f"k{i}": f"Sanctions item {i}" for i in range(6)})
    with caplog.at_level("WARNING", logger="feeds.alerts"):
        out = run_alerts(app).outcome("webhook:desk")
    assert (out.failed, out.retrying, out.deferred) == (3, 1, 2)
    lines = [r.getMessage() for r in caplog.records]
    assert len(lines) == 2, lines
    assert sum("3 messages refused for good" in line and "answered 422" in line for line in lines) == 1
    assert sum("attempt 1 for match" in line and "answered 500" in line for line in lines) == 1


class Picky:
    """Answers `status` to the alert whose title holds "HUGE" and 200 to the others."""

    def __init__(self, status: int, headers: dict[str, str] | None = None):
        self.status = status
        self.headers = headers or {}
        self.titles: list[str] = []

    def __call__(self, request: Request) -> Response:
        title = json.loads(request.get_data())["item"]["title"]
        self.titles.append(title)
        if "HUGE" in title:
            return Response("no", status=self.status, headers=self.headers)
        return Response("ok", status=200)


@pytest.mark.parametrize("status", [400, 413, 422])
def test_a_message_the_receiver_refuses_for_good_fails_at_once_and_holds_back_no_other(
    setup, clock, httpserver, caplog, status
):
    """A 4xx is the receiver's answer to this one message: retrying it gets the same answer for 10 hours while
    every other alert to that receiver waits behind its back-off."""
    receiver = Picky(status)
    httpserver.expect_request("/hook", method="POST").respond_with_handler(receiver)
    app = setup(hook("desk", httpserver.url_for("/hook")))
    add_keyword_matches(app.store, {"k0": "Sanctions HUGE item"})
    add_keyword_matches(app.store, {f"k{i}": f"Sanctions item {i}" for i in range(1, 6)})
    with caplog.at_level("ERROR", logger="feeds.alerts"):
        report = run_alerts(app)
    out = report.outcome("webhook:desk")
    assert (out.sent, out.failed, out.retrying, out.deferred) == (5, 1, 0, 0), "the others go out in the same run"
    assert len(receiver.titles) == 6
    (refused,) = app.store.deliveries(status="failed")
    assert (refused.attempts, refused.last_status, refused.next_attempt) == (1, str(status), None)
    assert f"answered {status}" in (refused.last_error or "") and "not retried" in (refused.last_error or "")
    assert "webhook:desk" in caplog.text and f"answered {status}" in caplog.text
    clock.advance(timedelta(days=1))
    run_alerts(app)
    assert len(receiver.titles) == 6, "given up on: not retried unless an operator asks"


@pytest.mark.parametrize("status", [408, 425, 429, 500, 503])
def test_a_busy_or_broken_receiver_is_still_retried_with_back_off(setup, clock, httpserver, status):
    receiver = Picky(status)
    httpserver.expect_request("/hook", method="POST").respond_with_handler(receiver)
    app = setup(hook("desk", httpserver.url_for("/hook")))
    add_keyword_matches(app.store, {"k0": "Sanctions HUGE item", "k1": "Sanctions item 1"})
    out = run_alerts(app).outcome("webhook:desk")
    assert (out.failed, out.retrying) == (0, 1)
    assert {d.status for d in app.store.deliveries()} == {"pending"}


def test_a_slow_receiver_keeps_its_batch_leased_so_no_other_runner_sends_it_again(setup, clock, httpserver):
    """A batch sent to a receiver that takes a minute a message outlasts the 15-minute lease it was claimed under;
    the run renews the lease as it goes, so a second runner (another daemon, a cron `feeds alerts run`) finds
    nothing to take and no alert is sent twice. The clock is moved by the receiver, not by sleeping."""
    from feeds.alerts import LEASE

    taken: list[int] = []
    keys: list[str] = []
    app = setup(hook("desk", httpserver.url_for("/hook")))

    def slow(request: Request) -> Response:
        keys.append(request.headers["X-Feeds-Delivery"])
        clock.advance(timedelta(minutes=1))
        # what another runner claiming now would take (and send)
        other = app.store.claim_deliveries("webhook:desk", clock(), limit=50, owner="other", lease=LEASE)
        taken.extend(due.delivery.id for due in other)
        return Response("ok", status=200)

    httpserver.expect_request("/hook", method="POST").respond_with_handler(slow)
    add_keyword_matches(app.store, {f"k{i}": f"Sanctions item {i}" for i in range(25)})
    report = run_alerts(app, owner="first")
    assert taken == [], "no delivery of the batch is free for another runner while the run is sending it"
    assert report.outcome("webhook:desk").sent == 25 and len(keys) == len(set(keys)) == 25
    assert {d.status for d in app.store.deliveries()} == {"sent"}, "every outcome recorded by the lease holder"


@pytest.mark.parametrize(
    ("path", "secrets"),
    [
        ("/hooks/T0/sécret tok|en?token=abc%20def", ["sécret", "s%C3%A9cret", "tok%7Cen", "tok|en", "abc%20def"]),
        ("/hooks/T0/B0/XXXX?token=a b", ["XXXX", "token=a", "a%20b"]),
        ('/hooks/T0/{BRACED"TOKEN}', ["BRACED", "TOKEN"]),
        ("/hooks/T0/B0/PLAIN?token=QUERY", ["PLAIN", "QUERY"]),
    ],
)
def test_a_secret_in_a_webhook_url_is_hidden_however_the_http_library_quotes_it(path, secrets):
    """requests re-quotes the URL it sends (non-ASCII, spaces, `|`, `"`, `{`), and its error messages show that
    form, which the URL as configured does not match."""
    from feeds.outbound import post_once

    url = f"http://127.0.0.1:{closed_port()}{path}"
    result = post_once(requests.Session(), url, data=b"{}", headers={}, timeout=(2, 2), now=NOW)
    assert result.status == "error" and "ConnectionError" in (result.error or "")
    assert "/hooks/…" in (result.error or "")
    for secret in secrets:
        assert secret not in (result.error or ""), secret


def test_an_ipv6_webhook_host_is_shown_in_brackets():
    from feeds.outbound import shown_url

    assert shown_url("http://[::1]:8080/hooks/abc/def?t=1") == "http://[::1]:8080/hooks/…"


def test_what_a_new_rule_finds_among_stored_items_is_not_alerted_and_what_arrives_after_it_is(setup, clock, httpserver):
    """A closing note's find: a rule added from the CLI is applied to the stored items of the last 30 days, and
    every item it found there was alerted at once: one email or POST each, a month of news in a minute, to every
    destination taking all rules. Alerts are for what arrives: those matches are in the matches feeds and in
    `feeds matches list`, and the items the rule meets from then on are alerted as before."""
    from feeds.watch.manage import add_rule
    from feeds.watch.poll import run_watch
    from tests.alerts_helpers import watch_item

    receiver = Receiver()
    httpserver.expect_request("/hook", method="POST").respond_with_handler(receiver)
    app = setup(hook("desk", httpserver.url_for("/hook")))
    run_alerts(app)  # the destination exists before the rule
    feed = app.store.add_feed(
        "https://news.example.com/feed.xml", title="World News", tags=(), interval=1800, origin="cli", now=clock()
    )
    old = [watch_item(f"old{n}", f"Sanctions story {n}", published=clock() - timedelta(days=n)) for n in range(1, 6)]
    app.store.upsert_items(feed.id, old, clock() - timedelta(days=1))
    clock.advance(timedelta(hours=1))
    add_rule(app, "sanctions", name="sanctions")
    report = run_watch(app, feed_ids=[])  # no feed polled: the new rule is applied to what is stored
    assert report.retro_matches == 5 and len(app.store.matches()) == 5
    assert run_alerts(app).queued == 0 and receiver.calls == []

    clock.advance(timedelta(minutes=30))
    add_keyword_matches(app.store, {"new": "EU widens sanctions"}, found_at=clock())  # as a poll stores a new item
    assert run_alerts(app).sent == 1
    assert [c["doc"]["item"]["title"] for c in receiver.calls] == ["EU widens sanctions"]


@pytest.mark.parametrize("feeds", [1, 16], ids=["parsed here", "parsed in worker processes"])
def test_items_a_poll_stores_or_changes_are_alerted_as_they_arrive(setup, clock, httpserver, feeds):
    """The other side of the test above, through real polls: an item that arrives matching, and one that comes
    to match when its text changes, are alerted; the same item polled again unchanged is not."""
    from feeds.watch.manage import add_feed, add_rule
    from feeds.watch.poll import run_watch

    def rss(*items: tuple[str, str]) -> str:
        entries = "".join(
            f"<item><title>{t}</title><link>https://news.example.com/FEED/{k}</link><guid>{k}</guid></item>"
            for k, t in items
        )
        return f'<rss version="2.0"><channel><title>Desk</title><link>https://news.example.com/</link>{entries}</channel></rss>'

    receiver = Receiver()
    httpserver.expect_request("/hook", method="POST").respond_with_handler(receiver)
    app = setup(hook("desk", httpserver.url_for("/hook")) + '\n[http]\nallow = ["127.0.0.1", "localhost"]\n')
    add_rule(app, "sanctions", name="sanctions")
    bodies = [
        rss(("a", "EU widens sanctions"), ("b", "Harbour reopens")),
        rss(("a", "EU widens sanctions"), ("b", "Harbour reopens under sanctions")),
    ]
    state = {"body": bodies[0]}
    for n in range(feeds):  # (each feed its own articles: copies of one are alerted once, test_article_copies.py)
        httpserver.expect_request(f"/f{n}.xml").respond_with_handler(
            lambda request: Response(
                state["body"].replace("FEED", request.path[1:]), content_type="application/rss+xml"
            )
        )
        add_feed(app, httpserver.url_for(f"/f{n}.xml"))
    run_alerts(app)
    run_watch(app)
    assert run_alerts(app).sent == feeds
    assert {c["doc"]["item"]["title"] for c in receiver.calls} == {"EU widens sanctions"}

    state["body"] = bodies[1]
    clock.advance(timedelta(hours=1))
    run_watch(app)
    assert run_alerts(app).sent == feeds, "the item that came to match when it changed"
    assert [c["doc"]["item"]["title"] for c in receiver.calls[feeds:]] == ["Harbour reopens under sanctions"] * feeds


def test_a_rule_added_to_a_destination_brings_it_the_rules_matches_of_the_last_week(setup, clock, httpserver):
    """As README says: a new destination starts from its first run, a rule added to an existing one catches up on
    that rule's matches of the last 7 days (a week and more ago: not)."""
    receiver = Receiver()
    httpserver.expect_request("/hook", method="POST").respond_with_handler(receiver)
    url = httpserver.url_for("/hook")
    app = setup(hook("desk", url, rules='["weather"]'))
    run_alerts(app)  # the destination exists from here on
    add_keyword_matches(app.store, {"old": "Sanctions a while ago"}, found_at=clock())
    clock.advance(timedelta(days=8))
    add_keyword_matches(app.store, {"recent": "EU widens sanctions"}, found_at=clock())
    assert run_alerts(app).queued == 0, "the destination does not take the rule yet"
    app = setup(hook("desk", url, rules='["weather", "sanctions"]'))  # the config edited (a reload)
    assert run_alerts(app).sent == 1
    assert [c["doc"]["item"]["title"] for c in receiver.calls] == ["EU widens sanctions"]


@pytest.mark.parametrize("status", [301, 302, 307, 308])
def test_a_redirecting_receiver_is_named_where_it_points_without_its_secret(setup, clock, httpserver, status):
    """Redirects are not followed (a POST must not turn into a GET elsewhere), so the operator has to change the
    webhook's url: the error says where the receiver points, shown as every webhook URL is (no secret path)."""
    moved = "https://hooks.example.org/services/T0/B0/SECRETTOKEN?token=QUERYSECRET"
    httpserver.expect_request("/hook", method="POST").respond_with_data("", status=status, headers={"Location": moved})
    app = setup(hook("desk", httpserver.url_for("/hook")))
    add_keyword_matches(app.store, {"a": "EU widens sanctions"})
    (error,) = run_alerts(app).outcome("webhook:desk").errors
    assert f"answered {status}" in error and "https://hooks.example.org/services/…" in error
    assert "not followed, configure that URL" in error and "SECRET" not in error


def test_a_destination_taken_out_of_the_config_has_its_pending_deliveries_cancelled_and_never_sent(
    setup, clock, httpserver, caplog
):
    old, new = Receiver(fail=None), Receiver()
    httpserver.expect_request("/old", method="POST").respond_with_handler(old)
    httpserver.expect_request("/new", method="POST").respond_with_handler(new)
    app = setup(hook("old", httpserver.url_for("/old")) + hook("new", httpserver.url_for("/new")))
    add_keyword_matches(app.store, {"a": "EU widens sanctions", "b": "UK sanctions"})
    first = run_alerts(app)
    assert first.outcome("webhook:old").retrying == 1 and len(old.calls) == 1, "one failed, one waiting behind it"
    assert first.cancelled == {}

    app = setup(hook("new", httpserver.url_for("/new")))  # "old" taken out of the config
    clock.advance(timedelta(days=1))
    report = run_alerts(app)
    assert report.cancelled == {"webhook:old": 2}
    assert "alert destination webhook:old is no longer configured: 2 pending deliveries cancelled" in caplog.text
    cancelled = app.store.deliveries(destination="webhook:old")
    assert [d.status for d in cancelled] == ["cancelled", "cancelled"]
    assert {d.last_error for d in cancelled} == {"not sent: destination webhook:old no longer configured"}
    assert {d.next_attempt for d in cancelled} == {None}
    assert [d.status for d in app.store.deliveries(destination="webhook:new")] == ["sent", "sent"]

    add_keyword_matches(app.store, {"c": "More sanctions"}, found_at=clock())
    (c,) = [m for m in app.store.matches() if m.item.item.key == "c"]
    app.store.enqueue_deliveries("webhook:new", [NewDelivery(c.id, "c" * 32, clock() + timedelta(hours=1))], clock())
    app = setup("")  # no destination at all: the run still cancels
    assert run_alerts(app).cancelled == {"webhook:new": 1}

    app = setup(hook("old", httpserver.url_for("/old")))  # back in the config: what was cancelled stays cancelled
    clock.advance(timedelta(days=1))
    assert run_alerts(app).cancelled == {}
    keys = {d.idempotency_key for d in cancelled}
    assert [call["key"] in keys for call in old.calls] == [True, False], "only the new match c, sent as a catch-up"
    assert [d.status for d in app.store.deliveries(destination="webhook:old")] == ["pending", "cancelled", "cancelled"]


def test_the_deliveries_held_behind_a_refusing_destination_name_its_probe_and_say_when_that_time_has_passed(
    setup, clock, httpserver
):
    """`feeds alerts log` says why each pending delivery of a destination refusing everything waits (`held_back`):
    which one is tried first at the next probe, and when; once that time has passed with no run since, that the
    probe is at the next run rather than a time gone by. A destination that accepts holds nothing back."""
    from feeds.alerts.refusals import held_back

    gate = Gate(401)
    good = Receiver()
    httpserver.expect_request("/hook", method="POST").respond_with_handler(gate)
    httpserver.expect_request("/good", method="POST").respond_with_handler(good)
    app = setup(hook("desk", httpserver.url_for("/hook")) + hook("good", httpserver.url_for("/good")))
    add_keyword_matches(app.store, {f"k{i}": f"Sanctions item {i}" for i in range(3)})
    run_alerts(app)

    rows = app.store.deliveries()
    held = held_back(app.store, rows)
    desk = [d for d in rows if d.destination == "webhook:desk"]
    assert set(held) == {d.id for d in desk}, "only the refusing destination's pending deliveries"
    (probe,) = [d for d in desk if held[d.id].probe]
    assert probe.attempts == 1
    at = "2026-11-28T12:01:00Z"
    assert held[probe.id].says(clock()).endswith(f"next probe at {at} (this one first)")
    clock.advance(timedelta(minutes=2))
    later = held[probe.id].says(clock())
    assert later.endswith(f"next probe at {at} (passed: at the next alerts run) (this one first)"), later


def test_the_deliveries_held_behind_a_failed_one_name_it_until_its_back_off_ends(setup, clock, httpserver):
    """`waiting`: after a 500, the destination's other deliveries, due by their own time, wait for the failed one
    (named, with when it is tried again, first); one due by its own time only after the back-off ends waits for
    that, not for the failed one; another destination is not held. Once that time has come, nothing is held back:
    the next run tries the failed one, and the log says nothing."""
    from feeds.alerts.backoff import BackingOff, waiting

    down, good = Receiver(fail=None), Receiver()
    httpserver.expect_request("/down", method="POST").respond_with_handler(down)
    httpserver.expect_request("/good", method="POST").respond_with_handler(good)
    app = setup(hook("down", httpserver.url_for("/down")) + hook("good", httpserver.url_for("/good")))
    add_keyword_matches(app.store, {f"k{i}": f"Sanctions item {i}" for i in range(3)})
    run_alerts(app)
    (failed,) = [d for d in app.store.deliveries(destination="webhook:down") if d.attempts]
    assert failed.next_attempt is not None and failed.next_attempt > clock()
    add_keyword_matches(app.store, {"late": "Sanctions, later"})
    late_match = next(m.id for m in app.store.matches() if m.item.item.key == "late")
    after = failed.next_attempt + timedelta(hours=1)
    app.store.enqueue_deliveries("webhook:down", [NewDelivery(late_match, "late-key", after)], clock())

    rows = app.store.deliveries()
    held = waiting(app.store, rows, clock())
    down_rows = [d for d in rows if d.destination == "webhook:down"]
    assert set(held) == {d.id for d in down_rows if d.next_attempt != after}
    assert all(isinstance(h, BackingOff) and h.failed.id == failed.id for h in held.values())
    assert [d.id for d in down_rows if held.get(d.id) and held[d.id].probe] == [failed.id]
    until = failed.next_attempt.strftime("%Y-%m-%dT%H:%M:%SZ")
    other = next(h for i, h in held.items() if i != failed.id)
    assert other.says(clock()) == (
        f"waits for match {failed.match_id} of webhook:down, which failed (answered 500): the destination backs off"
        f" until {until}, when that one is tried again first"
    )
    assert held[failed.id].says(clock()).endswith(f"tried again at {until}, first")

    clock.set(failed.next_attempt)
    assert waiting(app.store, app.store.deliveries(), clock()) == {}, "due now: the next run tries it, first"


def test_a_stop_asked_mid_batch_sends_no_further_message_and_gives_the_rest_back(setup, clock, httpserver):
    """A SIGTERM while the alerts job sent a batch to a slow receiver: the daemon's other jobs stop after their
    current step, but the batch went on to its end (50 messages, each up to the read timeout), past the grace
    period, and a daemon killed then left the rest leased for 15 minutes. A stop asked for is now heard between
    messages: the one in flight completes, the rest are given back at once, and the next run sends them."""
    import threading

    stop = threading.Event()
    received = Receiver()

    def stopping_after_the_first(request: Request) -> Response:
        stop.set()  # (the signal arrives while the first message is on its way)
        return received(request)

    httpserver.expect_request("/hook", method="POST").respond_with_handler(stopping_after_the_first)
    app = setup(hook("desk", httpserver.url_for("/hook")))
    add_keyword_matches(app.store, {"a": "One", "b": "Two", "c": "Three"})

    report = run_alerts(app, stop=stop)
    assert len(received.calls) == 1
    assert (report.outcome("webhook:desk").sent, report.outcome("webhook:desk").deferred) == (1, 2)
    pending = [d for d in app.store.deliveries() if d.status == "pending"]
    assert len(pending) == 2 and all(d.attempts == 0 for d in pending)
    run_alerts(app)  # (a new run, not leased out: sent at once)
    assert len(received.calls) == 3 and len({c["key"] for c in received.calls}) == 3
