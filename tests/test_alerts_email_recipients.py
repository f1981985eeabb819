"""Email alerts to several recipients, as a press office's mail admin sees them: a recipient the server refuses for
now (greylisting, a full mailbox: 450/451/452) is tried again alone, with the back-off of any retry, and never
sends the others a second copy; one refused for good (5xx) is said once and not tried again. A real SMTP server
(aiosmtpd) on 127.0.0.1 answers each recipient as the test says."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta

import pytest
from click.testing import CliRunner

from feeds.alerts import run_alerts
from feeds.alerts.select import MAX_ATTEMPTS
from feeds.cli import cli
from tests.alerts_helpers import add_keyword_matches
from tests.mailserver import Mailbox, email_alert_config, mail_server

A, B, C = "a@example.org", "b@example.org", "c@example.org"


class Answering(Mailbox):
    """A `Mailbox` answering RCPT for the addresses in `rcpt` as given (others 250), and DATA with `data` if set."""

    def __init__(self) -> None:
        super().__init__(refuse="")
        self.rcpt: dict[str, str] = {}
        self.data: str | None = None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address in self.rcpt:
            return self.rcpt[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        if self.data is not None:
            return self.data
        return await super().handle_DATA(server, session, envelope)


@pytest.fixture
def box() -> Iterator[Mailbox]:
    with mail_server(Answering()) as served:
        yield served


@pytest.fixture
def setup(db_url, make_settings, make_app_for):
    def make(toml: str):
        return make_app_for(make_settings("\n[alerts]\n" + toml, database_url=db_url))

    return make


def got(box: Answering) -> list[tuple[str, ...]]:
    return [rcpts for _, rcpts, _ in box.received]


def test_a_greylisted_recipient_is_tried_again_alone_and_holds_nobody_back(setup, clock, box):
    app = setup(email_alert_config(box.port, A, B, C))
    box.rcpt[B] = "451 4.7.1 Greylisted, try again later"
    add_keyword_matches(app.store, {"a": "EU widens sanctions"})
    report = run_alerts(app)
    assert got(box) == [(A, C)]
    (delivery,) = app.store.deliveries()
    assert delivery.status == "pending" and delivery.attempts == 1
    assert report.outcome("email:desk").messages == 1

    # a new match meanwhile goes out at once: the server is up and takes the others
    box.rcpt.clear()
    add_keyword_matches(app.store, {"b": "More sanctions"}, found_at=clock() + timedelta(seconds=1))
    clock.advance(timedelta(seconds=30))
    run_alerts(app)
    assert got(box) == [(A, C), (A, B, C)], "the new match to everyone; the first not yet due for b"

    clock.advance(timedelta(hours=1))
    run_alerts(app)
    assert got(box) == [(A, C), (A, B, C), (B,)], "then b alone gets the first one"
    assert box.received[0][2]["Message-ID"] == box.received[2][2]["Message-ID"]
    assert {d.status for d in app.store.deliveries()} == {"sent"}
    clock.advance(timedelta(days=1))
    run_alerts(app)
    assert len(box.received) == 3


def test_a_full_mailbox_is_given_up_after_the_retry_limit_in_one_error_line(setup, clock, box, caplog):
    app = setup(email_alert_config(box.port, A, B))
    box.rcpt[B] = "452 4.2.2 Mailbox full"
    add_keyword_matches(app.store, {"a": "EU widens sanctions"})
    with caplog.at_level(logging.WARNING, logger="feeds.alerts"):
        for _ in range(MAX_ATTEMPTS + 2):
            run_alerts(app)
            clock.advance(timedelta(hours=8))
    assert got(box)[0] == (A,) and all(r == (B,) for r in got(box)[1:])
    assert len(got(box)) == 1, "b refused each time: no message went to anyone else again"
    (delivery,) = app.store.deliveries()
    assert delivery.status == "failed" and delivery.attempts == MAX_ATTEMPTS
    assert delivery.last_error == f"sent to {A}; {B} given up on (452 4.2.2 Mailbox full)"
    errors = [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(errors) == 1, errors
    assert B in errors[0] and "452 4.2.2 Mailbox full" in errors[0] and "email:desk" in errors[0]
    assert A not in errors[0]


def test_a_recipient_refused_for_good_is_said_once_and_not_tried_again(setup, clock, box, caplog):
    app = setup(email_alert_config(box.port, A, B, C))
    box.rcpt[B] = "550 5.1.1 No such user"
    box.rcpt[C] = "450 4.2.1 Try later"
    add_keyword_matches(app.store, {"a": "EU widens sanctions"})
    with caplog.at_level(logging.WARNING, logger="feeds.alerts"):
        run_alerts(app)
        del box.rcpt[C]
        clock.advance(timedelta(hours=1))
        run_alerts(app)
    assert got(box) == [(A,), (C,)], "b was not tried again"
    (delivery,) = app.store.deliveries()
    assert delivery.status == "sent"
    said = [r.getMessage() for r in caplog.records if B in r.getMessage()]
    assert len(said) == 1 and "550 5.1.1 No such user" in said[0], said


def test_a_server_that_takes_the_recipients_but_not_the_data_sends_nobody_anything_twice(setup, clock, box):
    app = setup(email_alert_config(box.port, A, B))
    box.rcpt[B] = "451 4.7.1 Greylisted"
    add_keyword_matches(app.store, {"a": "EU widens sanctions"})
    run_alerts(app)
    assert got(box) == [(A,)]
    box.rcpt.clear()
    box.data = "451 4.3.0 Queue full"
    clock.advance(timedelta(hours=1))
    run_alerts(app)
    (delivery,) = app.store.deliveries()
    assert delivery.status == "pending" and delivery.attempts == 2 and "451 4.3.0" in (delivery.last_error or "")
    box.data = None
    clock.advance(timedelta(hours=2))
    run_alerts(app)
    assert got(box) == [(A,), (B,)]
    assert app.store.deliveries()[0].status == "sent"


def test_alerts_log_says_who_got_it_and_who_waits(setup, clock, box, tmp_path, db_url):
    app = setup(email_alert_config(box.port, A, B, C))
    box.rcpt[B] = "451 4.7.1 Greylisted"
    box.rcpt[C] = "550 5.1.1 No such user"
    add_keyword_matches(app.store, {"a": "EU widens sanctions"})
    run_alerts(app)
    app.close()
    env = {"FEEDS_DATABASE_URL": db_url}
    text = CliRunner().invoke(cli, ["--config", str(tmp_path / "feeds.toml"), "alerts", "log"], env=env)
    assert text.exit_code == 0, text.output
    assert f"sent to {A}" in text.output
    assert f"{B} waits (451 4.7.1 Greylisted)" in text.output
    assert f"{C} refused (550 5.1.1 No such user)" in text.output
    js = CliRunner().invoke(cli, ["--config", str(tmp_path / "feeds.toml"), "alerts", "log", "--json"], env=env)
    import json

    (row,) = json.loads(js.output)
    assert row["recipients"] == {
        A: {"state": "sent", "reply": "250"},
        B: {"state": "waiting", "reply": "451 4.7.1 Greylisted"},
        C: {"state": "refused", "reply": "550 5.1.1 No such user"},
    }


def test_an_hourly_digest_waiting_for_one_full_mailbox_does_not_repeat_its_matches_to_the_others(setup, clock, box):
    """b's mailbox is full for hours: each hourly digest goes to a and c with only what is new to them, and b gets
    what it lacks, once its mailbox takes it."""
    app = setup(email_alert_config(box.port, A, B, C, frequency="hourly"))
    run_alerts(app)  # the destination exists from here on
    box.rcpt[B] = "452 4.2.2 Mailbox full"
    add_keyword_matches(app.store, {"a": "EU widens sanctions"}, found_at=clock() + timedelta(minutes=1))
    clock.advance(timedelta(hours=1, minutes=1))
    run_alerts(app)
    assert got(box) == [(A, C)]
    add_keyword_matches(app.store, {"b": "More sanctions"}, found_at=clock() + timedelta(minutes=1))
    clock.advance(timedelta(hours=1))
    run_alerts(app)
    assert got(box) == [(A, C), (A, C)]
    second = box.received[1][2].get_body(("plain",)).get_content()
    assert "More sanctions" in second and "EU widens sanctions" not in second, "a and c had the first match"
    del box.rcpt[B]
    clock.advance(timedelta(hours=3))
    run_alerts(app)
    assert got(box) == [(A, C), (A, C), (B,)]
    last = box.received[2][2].get_body(("plain",)).get_content()
    assert "More sanctions" in last and "EU widens sanctions" in last
    assert {d.status for d in app.store.deliveries()} == {"sent"}


def test_a_sigterm_after_a_message_some_recipients_took_keeps_who_had_it(setup, clock, box):
    """The daemon is stopped while sending: the message on its way is recorded recipient by recipient, the rest
    wait for the next run, and nobody gets anything twice."""
    import threading

    app = setup(email_alert_config(box.port, A, B, C))
    box.rcpt[B] = "451 4.7.1 Greylisted"
    add_keyword_matches(app.store, {"a": "EU widens sanctions", "b": "More sanctions", "c": "Yet more"})
    stop = threading.Event()
    took = box.handle_DATA

    async def stopping(server, session, envelope):
        stop.set()  # SIGTERM while the server takes the first message
        return await took(server, session, envelope)

    box.handle_DATA = stopping  # type: ignore[method-assign]
    report = run_alerts(app, stop=stop)
    assert got(box) == [(A, C)] and report.outcome("email:desk").deferred == 2
    box.handle_DATA = took  # type: ignore[method-assign]
    box.rcpt.clear()
    clock.advance(timedelta(hours=1))
    run_alerts(app)
    assert sorted(got(box)) == sorted([(A, C), (B,), (A, B, C), (A, B, C)])
    assert {d.status for d in app.store.deliveries()} == {"sent"}


def test_two_daemons_send_each_match_once_to_each_recipient(pg_url, make_settings, make_app_for, clock, box):
    """Two daemons on one PostgreSQL run the alerts at the same moments, while b is greylisted then not."""
    import threading

    settings = make_settings("\n[alerts]\n" + email_alert_config(box.port, A, B, C), database_url=pg_url)
    one, two = make_app_for(settings), make_app_for(settings)
    run_alerts(one, owner="one")
    box.rcpt[B] = "451 4.7.1 Greylisted"
    add_keyword_matches(one.store, {f"m{i}": f"Sanctions {i}" for i in range(12)})

    def both() -> None:
        threads = [
            threading.Thread(target=run_alerts, args=(app,), kwargs={"owner": o})
            for app, o in ((one, "one"), (two, "two"))
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join()

    both()
    box.rcpt.clear()
    for _ in range(3):
        clock.advance(timedelta(hours=1))
        both()
    per: dict[tuple[str, str], int] = {}
    for _, rcpts, msg in box.received:
        for r in rcpts:
            per[(msg["Message-ID"], r)] = per.get((msg["Message-ID"], r), 0) + 1
    assert len(per) == 12 * 3 and set(per.values()) == {1}
    assert {d.status for d in one.store.deliveries()} == {"sent"}


def test_alerts_run_says_the_messages_went_out_and_wait_for_some_recipients_only(setup, box, tmp_path, db_url):
    """`0 sent in 2 message(s), 2 retrying` read as if nothing had gone out."""
    app = setup(email_alert_config(box.port, A, B))
    box.rcpt[B] = "451 4.7.1 Greylisted"
    run_alerts(app)
    add_keyword_matches(app.store, {"a": "EU widens sanctions", "b": "More sanctions"})
    app.close()
    env = {"FEEDS_DATABASE_URL": db_url}
    ran = CliRunner().invoke(cli, ["--config", str(tmp_path / "feeds.toml"), "alerts", "run"], env=env)
    assert ran.exit_code == 0, ran.output
    assert "2 retrying (2 for some recipients only: the others have them)" in ran.output, ran.output


def test_alerts_retry_after_giving_up_on_a_recipient_sends_it_to_that_one_alone(setup, clock, box, tmp_path, db_url):
    app = setup(email_alert_config(box.port, A, B))
    box.rcpt[B] = "452 4.2.2 Mailbox full"
    add_keyword_matches(app.store, {"a": "EU widens sanctions"})
    for _ in range(MAX_ATTEMPTS):
        run_alerts(app)
        clock.advance(timedelta(hours=8))
    assert app.store.deliveries()[0].status == "failed"
    box.rcpt.clear()
    env = {"FEEDS_DATABASE_URL": db_url}
    toml = str(tmp_path / "feeds.toml")
    assert CliRunner().invoke(cli, ["--config", toml, "alerts", "retry", "desk"], env=env).exit_code == 0
    listed = CliRunner().invoke(cli, ["--config", toml, "alerts", "log"], env=env).output
    assert f"sent to {A}; {B} waits (452 4.2.2 Mailbox full)" in listed, listed
    run_alerts(app)
    assert got(box) == [(A,), (B,)]
    assert app.store.deliveries()[0].status == "sent"


def test_a_waiting_recipient_taken_out_of_the_config_is_not_waited_for(setup, clock, box, caplog):
    app = setup(email_alert_config(box.port, A, B))
    box.rcpt[B] = "452 4.2.2 Mailbox full"
    add_keyword_matches(app.store, {"a": "EU widens sanctions"})
    run_alerts(app)
    app = setup(email_alert_config(box.port, A))  # b left the desk
    clock.advance(timedelta(hours=1))
    caplog.clear()
    with caplog.at_level(logging.ERROR, logger="feeds.alerts"):
        run_alerts(app)
    (delivery,) = app.store.deliveries()
    assert delivery.status == "sent" and got(box) == [(A,)]
    assert not caplog.records


def test_a_message_refused_for_good_on_its_retry_to_one_recipient_is_said_once_for_that_one(setup, clock, box, caplog):
    app = setup(email_alert_config(box.port, A, B))
    box.rcpt[B] = "451 4.7.1 Greylisted"
    add_keyword_matches(app.store, {"a": "EU widens sanctions"})
    run_alerts(app)
    box.rcpt.clear()
    box.data = "554 5.7.1 Rejected as spam"
    clock.advance(timedelta(hours=1))
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="feeds.alerts"):
        run_alerts(app)
    (delivery,) = app.store.deliveries()
    assert delivery.status == "sent" and delivery.last_error == f"sent to {A}; {B} refused (554 5.7.1 Rejected as spam)"
    said = [r for r in caplog.records if B in r.getMessage()]
    assert len(said) == 1 and "554 5.7.1 Rejected as spam" in said[0].getMessage(), said
    assert said[0].levelname == "WARNING"


def test_alerts_run_retrying_a_greylisted_recipient_is_no_error(setup, clock, box, tmp_path, db_url):
    """cron mailed an error at each retry of a full mailbox (exit 1, `refused every recipient`), though the server
    was up and the others had the alert; only giving up on it is an error."""
    app = setup(email_alert_config(box.port, A, B))
    box.rcpt[B] = "452 4.2.2 Mailbox full"
    add_keyword_matches(app.store, {"a": "EU widens sanctions"})
    run_alerts(app)
    app.close()
    clock.advance(timedelta(hours=1))  # (the command reads the test's clock: an hour later, the retry is due)
    env = {"FEEDS_DATABASE_URL": db_url}
    ran = CliRunner().invoke(cli, ["--config", str(tmp_path / "feeds.toml"), "alerts", "run"], env=env)
    assert len(box.received) == 1 and app.store.deliveries()[0].attempts == 2
    assert ran.exit_code == 0, ran.output
    assert "refused every recipient" not in ran.output


def test_alerts_retry_tries_a_waiting_recipient_at_the_next_run(setup, clock, box, tmp_path, db_url):
    """The mail admin emptied b's mailbox and said to retry: b waited out its back-off all the same."""
    from datetime import UTC, datetime

    clock.set(datetime.now(UTC) + timedelta(hours=1))  # (the command's clock is the real one: this is ahead of it)
    app = setup(email_alert_config(box.port, A, B))
    box.rcpt[B] = "452 4.2.2 Mailbox full"
    add_keyword_matches(app.store, {"a": "EU widens sanctions"}, found_at=clock())
    run_alerts(app)
    box.rcpt.clear()
    env = {"FEEDS_DATABASE_URL": db_url}
    toml = str(tmp_path / "feeds.toml")
    (delivery,) = app.store.deliveries()
    retried = CliRunner().invoke(cli, ["--config", toml, "alerts", "retry", "desk"], env=env)
    assert retried.exit_code == 0, retried.output
    assert f"email:desk: match {delivery.match_id} tried again at the next run for {B}" in retried.output
    clock.advance(timedelta(seconds=10))
    run_alerts(app)
    assert got(box) == [(A,), (B,)]


def test_many_recipients_with_mixed_answers_each_get_each_alert_once(setup, clock, box):
    """Twelve recipients: some greylisted for a while, some refused for good, one full for a run, one that answers
    421 and closes; three alerts, then a fourth. Each address gets each alert once, those refused for good never."""
    people = [f"p{i}@example.org" for i in range(12)]
    app = setup(email_alert_config(box.port, *people))
    add_keyword_matches(app.store, {"a": "One", "b": "Two", "c": "Three"})
    plan = [
        {people[1]: "451 4.7.1 Greylisted", people[2]: "550 5.1.1 Unknown", people[3]: "452 4.2.2 Full"},
        {people[1]: "421 4.3.2 Closing", people[2]: "550 5.1.1 Unknown"},  # (nobody further is asked)
        {people[3]: "452 4.2.2 Full", people[2]: "550 5.1.1 Unknown", people[4]: "451 4.7.1 Greylisted"},
        {people[2]: "550 5.1.1 Unknown"},
    ]
    for i, answers in enumerate(plan):
        box.rcpt = dict(answers)
        if i == 2:
            add_keyword_matches(app.store, {"d": "Four"}, found_at=clock())
        run_alerts(app)
        clock.advance(timedelta(hours=2))
    per: dict[tuple[str, str], int] = {}
    for _, rcpts, msg in box.received:
        for r in rcpts:
            per[(msg["Message-ID"], r)] = per.get((msg["Message-ID"], r), 0) + 1
    assert set(per.values()) == {1}
    assert {r for _, r in per} == set(people) - {people[2]}
    assert len(per) == 4 * 11
    assert {d.status for d in app.store.deliveries()} == {"sent"}
