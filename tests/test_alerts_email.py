"""Email alerts end to end: real store, a real SMTP server (aiosmtpd) on 127.0.0.1, FixedClock moved by hand."""

from __future__ import annotations

import logging
import socket
import threading
from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller

from feeds.alerts import run_alerts
from feeds.alerts.select import MAX_ATTEMPTS
from feeds.clock import rfc3339
from tests.alerts_helpers import NOW, add_keyword_matches
from tests.mailserver import Mailbox
from tests.ports import free_port

HOSTILE = '<img src=x onerror="alert(1)"> Sanctions & <b>more</b>'


def smtp(port: int) -> str:
    return f'[alerts.smtp]\nhost = "127.0.0.1"\nport = {port}\nsender = "feeds@press.example.org"\ntimeout = 30\n'


def email(name: str, to: str, frequency: str = "immediate", rules: str = '["*"]') -> str:
    return f'[[alerts.email]]\nname = "{name}"\nto = ["{to}"]\nfrequency = "{frequency}"\nrules = {rules}\n'


@pytest.fixture
def setup(db_url, make_settings, make_app_for):
    def make(toml: str):
        return make_app_for(make_settings("\n[alerts]\n" + toml, database_url=db_url))

    return make


def test_an_immediate_alert_is_one_message_per_match(setup, clock, mailbox):
    app = setup(smtp(mailbox.port) + email("now", "desk@example.org", rules='["sanctions"]'))
    add_keyword_matches(app.store, {"a": "EU widens sanctions"})
    add_keyword_matches(app.store, {"w": "Rain"}, rule="weather")
    report = run_alerts(app)
    assert report.sent == 1 and report.outcome("email:now").messages == 1
    ((sender, rcpts, msg),) = mailbox.received
    assert sender == "feeds@press.example.org" and rcpts == ("desk@example.org",)
    assert msg["Subject"] == "feeds: new match for 'sanctions': EU widens sanctions"
    assert msg["To"] == "desk@example.org" and msg["From"] == "feeds@press.example.org"
    (delivery,) = app.store.deliveries()
    assert msg["X-Feeds-Delivery"] == delivery.idempotency_key and delivery.status == "sent"
    assert msg["Message-ID"] == f"<{delivery.idempotency_key}@press.example.org>"
    assert [p.get_content_type() for p in msg.iter_parts()] == ["text/plain", "text/html"]
    assert "https://news.example.com/a" in msg.get_body(("plain",)).get_content()
    clock.advance(timedelta(hours=1))
    run_alerts(app)
    assert len(mailbox.received) == 1, "sent once"


def test_a_message_is_7bit_clean_with_utf8_parts_and_encoded_word_subject(setup, clock, mailbox):
    """RFC 6152: 8-bit data may go only to a server that announced 8BITMIME, declared with BODY=8BITMIME. Every
    alert has non-ASCII text (the " · " separator at least, and titles like these): it is sent as quoted-printable
    or base64 so that any relay takes it unchanged."""
    app = setup(smtp(mailbox.port) + email("now", "desk@example.org"))
    title = "Minister’s visit to Zürich: “sanctions” – 制裁"
    add_keyword_matches(app.store, {"a": title})
    assert run_alerts(app).sent == 1
    ((options, raw),) = mailbox.raw
    assert raw.isascii() or "BODY=8BITMIME" in options, "8-bit bytes sent without BODY=8BITMIME"
    assert all(len(line) <= 998 for line in raw.split(b"\r\n")), "RFC 5322 §2.1.1 line limit"
    ((_, _, msg),) = mailbox.received
    assert msg["Subject"] == "feeds: new match for 'sanctions': Minister’s visit to Zürich: “sanctions” – 制裁"
    for part in msg.iter_parts():
        assert part.get_content_charset() == "utf-8"
        assert "Minister’s visit to Zürich: “sanctions” – 制裁" in part.get_content()
    assert " · 28 Nov 2026 12:00 GMT" in msg.get_body(("plain",)).get_content()


def test_an_encoded_word_in_a_hostile_title_adds_no_header_or_recipient(setup, clock, mailbox):
    """The email library decodes RFC 2047 encoded words in a header value it is given: a watched item titled
    `Hi =?utf-8?b?...?=` hiding CR LF "Bcc: …" would add headers, and a Bcc recipient to the envelope."""
    import base64

    hidden = base64.b64encode(b"x\r\nBcc: spy@evil.example\r\nX-Evil: 1").decode()
    title = f"Sanctions =?utf-8?b?{hidden}?= =?utf-8?q?Account_suspended?="
    app = setup(smtp(mailbox.port) + email("now", "desk@example.org"))
    add_keyword_matches(app.store, {"a": title})
    assert run_alerts(app).sent == 1
    ((_, rcpts, msg),) = mailbox.received
    assert rcpts == ("desk@example.org",), "no recipient but the configured one"
    assert msg["Bcc"] is None and msg["X-Evil"] is None
    assert "Account suspended" not in msg["Subject"], "the title is shown as it was written, not decoded"
    assert "\n" not in msg["Subject"] and "utf-8?b?" in msg["Subject"]


def test_a_daily_digest_groups_matches_into_one_message_at_its_boundary(setup, clock, mailbox):
    app = setup(smtp(mailbox.port) + email("daily", "desk@example.org", frequency="daily"))
    add_keyword_matches(app.store, {"a": "EU widens sanctions", "b": HOSTILE, "c": "Third item"})
    # NOW is Saturday 28 Nov 2026 12:00 UTC; Europe/London is on GMT: the digest is due Sunday 08:00 UTC.
    assert run_alerts(app).queued == 3
    clock.set(datetime(2026, 11, 29, 7, 59, 59, tzinfo=UTC))
    run_alerts(app)
    assert mailbox.received == [], "no digest before its boundary"
    assert {d.next_attempt for d in app.store.deliveries()} == {datetime(2026, 11, 29, 8, 0, tzinfo=UTC)}

    clock.set(datetime(2026, 11, 29, 8, 0, 30, tzinfo=UTC))
    report = run_alerts(app)
    assert (report.sent, report.outcome("email:daily").messages) == (3, 1)
    ((_, rcpts, msg),) = mailbox.received
    assert rcpts == ("desk@example.org",)
    assert msg["Subject"] == "feeds: daily digest, 29 November 2026: 3 new matches for 'sanctions'"
    assert msg.get_content_type() == "multipart/alternative"
    text = msg.get_body(("plain",)).get_content()
    html = msg.get_body(("html",)).get_content()
    for title in ("EU widens sanctions", "Third item"):
        assert title in text and title in html
    assert HOSTILE in text
    assert "<img" not in html and "<b>more" not in html, "hostile markup from a feed is escaped"
    assert "&lt;img src=x onerror=&quot;alert(1)&quot;&gt; Sanctions &amp; &lt;b&gt;more&lt;/b&gt;" in html
    assert {d.status for d in app.store.deliveries()} == {"sent"}

    clock.advance(timedelta(hours=1))
    add_keyword_matches(app.store, {"d": "Found after the digest"}, found_at=clock())
    run_alerts(app)
    assert len(mailbox.received) == 1, "sent once; the next match waits for the next day's digest"
    clock.set(datetime(2026, 11, 30, 8, 0, tzinfo=UTC))
    run_alerts(app)
    assert len(mailbox.received) == 2
    assert mailbox.received[1][2]["Subject"] == (
        "feeds: daily digest, 30 November 2026: new match for 'sanctions': Found after the digest"
    )


def test_a_digest_of_more_than_it_lists_is_still_one_message_saying_how_many_more(setup, clock, mailbox, tmp_path):
    """A daily digest of 530 matches went out as two messages a minute apart (500, then 30): the run claimed at
    most 500, and the next run found the rest due. One digest, one message: it lists the 500 newest matches,
    says how many more there are and where they are (before the list); every delivery is sent with it. The
    all-matches feed it linked to lists only the newest 50, never these 30, and neither does the rule's: it gives
    the command that lists them, which does (run here as the message gives it)."""
    import json
    import shlex

    from click.testing import CliRunner

    from feeds.alerts import DIGEST_LISTED
    from feeds.cli import cli

    assert DIGEST_LISTED == 500
    app = setup(smtp(mailbox.port) + email("daily", "desk@example.org", frequency="daily"))
    add_keyword_matches(app.store, {f"k{i:03}": f"Sanctions item {i:03}" for i in range(530)})
    assert run_alerts(app).queued == 530
    clock.set(datetime(2026, 11, 29, 8, 0, tzinfo=UTC))
    report = run_alerts(app)
    assert (report.sent, report.outcome("email:daily").messages) == (530, 1)
    clock.advance(timedelta(minutes=1))
    assert run_alerts(app).sent == 0
    clock.advance(timedelta(days=1))
    run_alerts(app)
    assert len(mailbox.received) == 1, "one digest, one message"
    assert {d.status for d in app.store.deliveries()} == {"sent"}

    ((_, _, msg),) = mailbox.received
    assert msg["Subject"] == "feeds: daily digest, 29 November 2026: 530 new matches for 'sanctions'"
    text = msg.get_body(("plain",)).get_content().replace("\r\n", "\n")
    html = msg.get_body(("html",)).get_content().replace("\r\n", "\n")
    assert text.startswith("530 new matches (alert 'daily', daily digest)")
    assert text.count("\n* ") == 500 and html.count("<li>") == 500
    assert "Sanctions item 529" in text and "Sanctions item 030" in text, "the newest listed"
    assert "Sanctions item 029" not in text and "Sanctions item 029" not in html
    assert "matches/atom.xml" not in text and "matches/atom.xml" not in html, "a feed that does not hold them"
    head = "30 of them are not listed here (a digest lists the 500 newest), found 28 Nov 2026 12:00 GMT."
    where = (
        "No feed of the site holds them all (a feed lists its 50 newest); where feeds runs, this command lists"
        " them, among the other matches found since:"
    )
    command = "feeds matches list --rule sanctions --since 2026-11-28T12:00:00Z"
    assert f"{head}\n{where}\n{command}\n" in text
    assert f"<p>{head}<br>\n{where}<br>\n<code>{command}</code></p>" in html

    config = tmp_path / "feeds.toml"
    env = {"FEEDS_DATABASE_URL": str(app.settings.database_url)}
    args = ["--config", str(config), *shlex.split(command)[1:], "--json"]
    listed = CliRunner().invoke(cli, args, env=env, catch_exceptions=False)
    assert listed.exit_code == 0, listed.output
    titles = {m["title"] for m in json.loads(listed.output)}
    assert {f"Sanctions item {i:03}" for i in range(30)} <= titles, "the command lists every unlisted match"


def test_a_digest_whose_unlisted_matches_a_rule_feed_holds_links_to_that_feed(setup, clock, mailbox, tmp_path):
    """The 5 oldest matches of a digest, left unlisted, are all of a quiet rule whose feed holds its 50 newest: the
    digest links to that feed (and the feed, published, does hold them), in both parts alike."""
    from html import escape

    from feeds.publish import run_publish

    app = setup(smtp(mailbox.port) + email("daily", "desk@example.org", frequency="daily"))
    run_alerts(app)  # registers the destination
    clock.advance(timedelta(minutes=10))
    add_keyword_matches(app.store, {f"u{i}": f"Ukraine item {i}" for i in range(5)}, rule="ukraine", found_at=clock())
    clock.advance(timedelta(minutes=10))
    add_keyword_matches(app.store, {f"s{i:03}": f"Sanctions item {i:03}" for i in range(500)}, found_at=clock())
    assert run_alerts(app).queued == 505
    clock.set(datetime(2026, 11, 29, 8, 0, tzinfo=UTC))
    assert run_alerts(app).sent == 505

    ((_, _, msg),) = mailbox.received
    text = msg.get_body(("plain",)).get_content().replace("\r\n", "\n")
    html = msg.get_body(("html",)).get_content().replace("\r\n", "\n")
    assert "Ukraine item" not in text, "the 500 newest are listed: the 5 older are not"
    head = "5 of them are not listed here (a digest lists the 500 newest), found 28 Nov 2026 12:10 GMT."
    where = "The feed of the rule 'ukraine', which lists its 50 newest, holds them:"
    url = "https://press.example.org/matches/rules/ukraine/atom.xml"
    assert f"{head}\n{where}\n{url}\n" in text
    assert f'<p>{head}<br>\n{escape(where)}<br>\n<a href="{url}">{url}</a></p>' in html

    run_publish(app)
    feed = (app.settings.paths.out / "matches/rules/ukraine/atom.xml").read_text(encoding="utf-8")
    assert all(f"Ukraine item {i}" in feed for i in range(5)), "the feed named holds every unlisted match"


def test_a_refusing_destination_does_not_stop_the_others(setup, clock, mailbox):
    app = setup(
        smtp(mailbox.port)
        + email("bad", mailbox.refuse)
        + email("good", "desk@example.org")
        + f'[[alerts.webhooks]]\nname = "dead"\nurl = "http://127.0.0.1:{free_port()}/x"\n'
    )
    add_keyword_matches(app.store, {"a": "EU widens sanctions"})
    report = run_alerts(app)
    assert report.outcome("email:good").sent == 1 and len(mailbox.received) == 1
    bad = report.outcome("email:bad")
    assert bad.retrying == 1 and "refused every recipient" in bad.errors[0] and "550" in bad.errors[0]
    assert report.outcome("webhook:dead").retrying == 1
    for _ in range(MAX_ATTEMPTS - 1):
        clock.advance(timedelta(days=1))
        run_alerts(app)
    statuses = {d.destination: (d.status, d.last_status) for d in app.store.deliveries()}
    assert statuses == {
        "email:bad": ("failed", "550"),
        "email:good": ("sent", "250"),
        "webhook:dead": ("failed", "error"),
    }
    assert len(mailbox.received) == 1


def test_a_recipient_refused_among_others_is_logged_as_a_warning(setup, clock, mailbox, caplog):
    two = '[[alerts.email]]\nname = "desk"\nto = ["desk@example.org", "nobody@example.org"]\n'
    app = setup(smtp(mailbox.port) + two)
    add_keyword_matches(app.store, {"a": "EU widens sanctions"})
    with caplog.at_level("WARNING", logger="feeds.alerts"):
        report = run_alerts(app)
    assert report.sent == 1 and [r for _, r, _ in mailbox.received] == [("desk@example.org",)]
    (delivery,) = app.store.deliveries()
    assert delivery.status == "sent"
    assert "nobody@example.org refused (550 5.1.1 no such mailbox)" in (delivery.last_error or "")
    (warning,) = [r for r in caplog.records if "nobody@example.org" in r.getMessage()]
    assert warning.levelname == "WARNING" and "email:desk" in warning.getMessage()


def test_a_match_queued_after_its_digest_went_out_waits_for_the_next_one(setup, clock, mailbox):
    """A daily digest comes at most once a day. A match found just before 08:00 but stored after that digest was
    sent (a watch round that was still storing, another daemon), or one a rule added to the destination brings
    as a catch-up, joins tomorrow's digest: it does not send a second "daily" message this afternoon."""
    app = setup(smtp(mailbox.port) + email("daily", "desk@example.org", frequency="daily", rules='["sanctions"]'))
    run_alerts(app)  # Saturday 12:00: the destination exists from here on
    add_keyword_matches(app.store, {"a": "EU widens sanctions"}, found_at=NOW + timedelta(hours=1))
    add_keyword_matches(app.store, {"w": "Storm warning"}, rule="weather", found_at=NOW + timedelta(hours=1))
    sunday_8am = datetime(2026, 11, 29, 8, 0, tzinfo=UTC)
    clock.set(sunday_8am + timedelta(seconds=30))
    assert run_alerts(app).sent == 1

    # stored at 08:00:40 by a watch round that read the clock at 07:59:59
    add_keyword_matches(app.store, {"late": "Late sanctions"}, found_at=sunday_8am - timedelta(seconds=1))
    clock.set(sunday_8am + timedelta(minutes=1))
    assert run_alerts(app).queued == 1
    clock.set(sunday_8am + timedelta(hours=6))  # and the config gains the rule "weather" (a catch-up)
    app = setup(smtp(mailbox.port) + email("daily", "desk@example.org", frequency="daily", rules='["*"]'))
    assert run_alerts(app).queued == 1
    assert len(mailbox.received) == 1, "one daily digest on Sunday"
    assert {d.next_attempt for d in app.store.deliveries(status="pending")} == {sunday_8am + timedelta(days=1)}

    clock.set(sunday_8am + timedelta(days=1))
    assert run_alerts(app).sent == 2
    assert mailbox.received[1][2]["Subject"] == (
        "feeds: daily digest, 30 November 2026: 2 new matches for 'sanctions' and 'weather'"
    ), "Monday's digest, not named as Sunday's was"


def test_an_unreachable_smtp_server_is_a_failed_attempt_and_the_digest_retries_whole(setup, clock):
    port = free_port()
    app = setup(smtp(port) + email("daily", "desk@example.org", frequency="hourly"))
    add_keyword_matches(app.store, {"a": "EU widens sanctions", "b": "Second"})
    assert run_alerts(app).queued == 2
    clock.set(NOW + timedelta(hours=1))
    report = run_alerts(app)
    out = report.outcome("email:daily")
    assert (out.sent, out.retrying, out.messages) == (0, 2, 0), "both matches ride the one failed digest"
    assert "SMTP 127.0.0.1" in out.errors[0]
    deliveries = app.store.deliveries()
    assert {(d.status, d.attempts, d.last_status) for d in deliveries} == {("pending", 1, "error")}
    (retry_at,) = {d.next_attempt for d in deliveries}
    assert timedelta(minutes=4) < retry_at - clock() < timedelta(minutes=6)

    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        clock.set(retry_at)
        assert run_alerts(app).sent == 2
    finally:
        controller.stop()
    ((_, _, msg),) = box.received
    assert msg["Subject"] == "feeds: hourly digest, 28 November 2026 13:00: 2 new matches for 'sanctions'", (
        "the retried digest is still one message, named by its period (13:00), not by when it was sent (13:05)"
    )


class SpamFilter(Mailbox):
    """Takes every recipient, then refuses for good (554 at end of DATA) the messages whose subject says "casino"."""

    async def handle_DATA(self, server, session, envelope):
        if "casino" in message_from_bytes(envelope.content, policy=policy.default)["Subject"]:
            return "554 5.7.1 message rejected as spam"
        return await super().handle_DATA(server, session, envelope)


def test_a_message_the_mail_server_refuses_for_good_fails_at_once_and_holds_back_no_other(setup, clock, caplog):
    box = SpamFilter()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        app = setup(smtp(controller.port) + email("now", "desk@example.org"))
        add_keyword_matches(app.store, {"a": "Online casino fined over sanctions", "b": "EU widens sanctions"})
        report = run_alerts(app)
    finally:
        controller.stop()
    out = report.outcome("email:now")
    assert (out.sent, out.failed, out.retrying, out.deferred) == (1, 1, 0, 0)
    assert [m["Subject"] for _, _, m in box.received] == ["feeds: new match for 'sanctions': EU widens sanctions"]
    by_title = {d.match_id: (d.status, d.last_status, d.next_attempt) for d in app.store.deliveries()}
    assert sorted(by_title.values(), key=str) == [("failed", "554", None), ("sent", "250", None)]
    (failed,) = app.store.deliveries(status="failed")
    assert "554 5.7.1 message rejected as spam" in (failed.last_error or "")
    assert any("refused" in r.getMessage() and r.levelname == "ERROR" for r in caplog.records)


def test_messages_the_mail_server_refuses_for_good_are_one_error_line_a_run(setup, clock, caplog):
    """As a webhook's: each refused message's line is at debug level, and the run's one error line counts them."""
    box = SpamFilter()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        app = setup(smtp(controller.port) + email("now", "desk@example.org"))
        add_keyword_matches(app.store, {f"c{i}": f"Online casino {i} fined over sanctions" for i in range(3)})
        with caplog.at_level("DEBUG", logger="feeds.alerts"):
            out = run_alerts(app).outcome("email:now")
    finally:
        controller.stop()
    assert (out.sent, out.failed) == (0, 3)
    (error,) = [r.getMessage() for r in caplog.records if r.levelname == "ERROR"]
    assert error.startswith("alert email:now: 3 messages refused for good (") and "554 5.7.1" in error
    assert error.endswith("marked failed, not retried (`feeds alerts retry email:now` sends them again)")
    assert sum("refused for good" in r.getMessage() for r in caplog.records if r.levelname == "DEBUG") == 3


def test_a_digest_the_mail_server_refuses_for_good_fails_whole_and_the_next_one_goes_out(setup, clock):
    box = SpamFilter()
    controller = Controller(box, hostname="127.0.0.1", port=free_port())
    controller.start()
    try:
        app = setup(smtp(controller.port) + email("hourly", "desk@example.org", frequency="hourly"))
        add_keyword_matches(app.store, {"a": "Online casino fined"})  # the digest of one says so in its subject
        run_alerts(app)
        clock.set(NOW + timedelta(hours=1))
        assert run_alerts(app).failed == 1
        add_keyword_matches(app.store, {"b": "EU widens sanctions"}, found_at=clock())
        clock.set(NOW + timedelta(hours=2))
        assert run_alerts(app).sent == 1, "not held back behind ten hours of retrying the refused digest"
    finally:
        controller.stop()
    assert [m["Subject"] for _, _, m in box.received] == [
        "feeds: hourly digest, 28 November 2026 14:00: new match for 'sanctions': EU widens sanctions"
    ]


def scripted_smtp(answers: dict[str, str], received: list[bytes] | None = None) -> int:
    """A one-connection SMTP server on 127.0.0.1 answering each command by its verb (`answers`, else 250; DATA
    with 354, and the message's final "." with `answers["."]`), keeping each message it took in `received`."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    defaults = {"QUIT": "221 bye", "DATA": "354 go ahead", ".": "250 queued"}

    def serve() -> None:
        conn, _ = listener.accept()
        with conn, conn.makefile("rb") as lines, listener:
            conn.sendall(b"220 mail.example.org ESMTP\r\n")
            for line in lines:
                verb = line.split(b" ", 1)[0].strip().decode().upper()
                answer = answers.get(verb, defaults.get(verb, "250 ok"))
                conn.sendall(answer.encode() + b"\r\n")
                if verb == "DATA" and answer.startswith("354"):
                    body = b"".join(iter(lines.readline, b".\r\n"))
                    answer = answers.get(".", defaults["."])
                    if received is not None and answer.startswith("2"):
                        received.append(body)
                    conn.sendall(answer.encode() + b"\r\n")
                if verb == "QUIT":
                    return

    threading.Thread(target=serve, daemon=True).start()
    return listener.getsockname()[1]


@pytest.mark.parametrize(
    ("answers", "login", "hint"),
    [
        ({"MAIL": "530 5.7.0 Must issue a STARTTLS command first"}, "", "set alerts.smtp.starttls = true"),
        ({"MAIL": "530 5.7.0 Authentication required"}, "", "set alerts.smtp.username"),
        ({}, 'username = "feeds"\npassword = "pw"\n', "set alerts.smtp.starttls = true"),  # no AUTH before TLS
        ({}, "starttls = true\n", "check alerts.smtp.port"),  # a server without STARTTLS
        ({"MAIL": "553 5.7.1 <feeds@press.example.org>: Sender address rejected"}, "", "check alerts.smtp.sender"),
        (
            {"EHLO": "250-mail.example.org\r\n250 AUTH PLAIN", "AUTH": "535 5.7.8 Authentication credentials invalid"},
            'username = "feeds"\npassword = "pw"\n',
            "check alerts.smtp.username and password",
        ),
    ],
)
def test_a_mail_server_refusing_the_config_says_which_key_to_change(setup, clock, answers, login, hint):
    app = setup(smtp(scripted_smtp(answers)) + login + email("now", "desk@example.org"))
    add_keyword_matches(app.store, {"a": "EU widens sanctions"})
    (error,) = run_alerts(app).outcome("email:now").errors
    assert hint in error
    (delivery,) = app.store.deliveries()
    assert hint in (delivery.last_error or "")


def test_a_message_the_server_took_is_sent_whatever_it_answers_to_quit(setup, clock):
    """Once the server has answered 250 to the message it is delivered: a server that then answers QUIT with
    something else than 221 must not have it counted as failed and sent again (a duplicate at every retry)."""
    received: list[bytes] = []
    app = setup(smtp(scripted_smtp({"QUIT": "500 5.5.1 command unrecognized"}, received)) + email("now", "desk@x.org"))
    add_keyword_matches(app.store, {"a": "EU widens sanctions"})
    report = run_alerts(app)
    assert (report.sent, report.retrying) == (1, 0) and len(received) == 1
    (delivery,) = app.store.deliveries()
    assert (delivery.status, delivery.last_status) == ("sent", "250")


def test_a_multi_line_smtp_answer_is_one_line_in_the_log_and_the_deliveries_log(setup, clock, caplog):
    """RFC 5321 §4.2.1 multi-line replies (Gmail's refusals are) reach smtplib as lines joined by "\\n"."""
    spam = "554-5.7.1 Message rejected as spam.\r\n554 5.7.1 See https://mail.example.org/postmaster"
    app = setup(smtp(scripted_smtp({".": spam})) + email("now", "desk@example.org"))
    add_keyword_matches(app.store, {"a": "EU widens sanctions"})
    with caplog.at_level("WARNING", logger="feeds.alerts"):
        run_alerts(app)
    (delivery,) = app.store.deliveries()
    assert "554 5.7.1 Message rejected as spam. 5.7.1 See https://mail.example.org/postmaster" in (
        delivery.last_error or ""
    )
    assert not [r for r in caplog.records if "\n" in r.getMessage()], "one log record, one line"


def test_a_new_destination_receives_matches_found_from_then_on(setup, clock, mailbox):
    app = setup(smtp(mailbox.port) + email("now", "desk@example.org"))
    add_keyword_matches(app.store, {"old": "Found before the alert existed"}, found_at=NOW - timedelta(seconds=1))
    assert run_alerts(app).queued == 0, "no flood of history when an alert is first configured"
    clock.advance(timedelta(minutes=5))
    add_keyword_matches(app.store, {"new": "Found afterwards"}, found_at=clock())
    assert run_alerts(app).sent == 1
    assert [m["Subject"] for _, _, m in mailbox.received] == ["feeds: new match for 'sanctions': Found afterwards"]


def test_a_digest_waits_for_an_unset_password_variable_instead_of_logging_in_without_one(
    setup, clock, mailbox, monkeypatch
):
    monkeypatch.delenv("FEEDS_TEST_SMTP_PASSWORD", raising=False)
    toml = smtp(mailbox.port) + 'username = "feeds"\npassword_env = "FEEDS_TEST_SMTP_PASSWORD"\n'
    app = setup(toml + email("daily", "desk@example.org", frequency="daily"))
    add_keyword_matches(app.store, {"a": "EU widens sanctions"})
    run_alerts(app)
    clock.set(datetime(2026, 11, 29, 8, 0, 30, tzinfo=UTC))
    run_alerts(app)
    assert mailbox.received == []
    (delivery,) = app.store.deliveries()
    assert "FEEDS_TEST_SMTP_PASSWORD is not set" in (delivery.last_error or "")


def test_a_failed_digest_is_one_log_line_naming_how_many_it_carried_and_when_it_is_retried(setup, clock, caplog):
    """A digest of 120 matches that the mail server never takes is one message that failed: one line in the log
    (the destination, how many matches it carried, the error, the next attempt), not one line per match; each
    match's own line is there at debug level, for whoever needs it."""
    app = setup(smtp(free_port()) + email("daily", "desk@example.org", frequency="hourly"))
    add_keyword_matches(app.store, {f"k{i}": f"Sanctions story {i}" for i in range(120)})
    assert run_alerts(app).queued == 120
    clock.set(NOW + timedelta(hours=1))
    with caplog.at_level("DEBUG", logger="feeds.alerts"):
        assert run_alerts(app).retrying == 120
    loud = [r for r in caplog.records if r.name == "feeds.alerts" and r.levelno >= logging.INFO]
    (line,) = [r.getMessage() for r in loud]
    (retry_at,) = {d.next_attempt for d in app.store.deliveries()}
    assert loud[0].levelname == "WARNING"
    assert line.startswith("alert email:daily: attempt 1 for a digest of 120 matches failed (SMTP 127.0.0.1:")
    assert line.endswith(f"; next at {rfc3339(retry_at)}")
    quiet = [r for r in caplog.records if r.name == "feeds.alerts" and r.levelname == "DEBUG"]
    assert len(quiet) == 120 and len({r.getMessage() for r in quiet}) == 120, "each match named at debug level"

    # Given up on at the last attempt: one error line, saying so, for the whole digest.
    for _ in range(MAX_ATTEMPTS - 1):
        caplog.clear()
        clock.set(min(d.next_attempt for d in app.store.deliveries(status="pending")))
        with caplog.at_level("INFO", logger="feeds.alerts"):
            run_alerts(app)
        assert len([r for r in caplog.records if r.name == "feeds.alerts"]) == 1
    assert {d.status for d in app.store.deliveries()} == {"failed"}
    (last,) = caplog.records
    assert last.levelname == "ERROR"
    assert last.getMessage().startswith(f"alert email:daily: gave up on a digest of 120 matches after {MAX_ATTEMPTS}")


def test_a_failed_digest_some_of_whose_matches_reach_their_last_attempt_says_so_in_its_one_line(setup, clock, caplog):
    """A match that rode earlier failed digests reaches its last attempt before the ones that joined later: the
    digest's one line is an error saying how many were given up on, and when the others are tried again."""
    from feeds.store.alerts import alert_deliveries

    app = setup(smtp(free_port()) + email("daily", "desk@example.org", frequency="hourly"))
    add_keyword_matches(app.store, {"a": "EU widens sanctions", "b": "Second"})
    run_alerts(app)
    clock.set(NOW + timedelta(hours=1))
    run_alerts(app)
    first = min(d.id for d in app.store.deliveries())
    with app.store.engine.begin() as conn:  # (as if it had been retried six more times with an earlier digest)
        conn.execute(alert_deliveries.update().where(alert_deliveries.c.id == first).values(attempts=MAX_ATTEMPTS - 1))
    caplog.clear()
    clock.set(max(d.next_attempt for d in app.store.deliveries()))
    with caplog.at_level("INFO", logger="feeds.alerts"):
        run_alerts(app)
    (line,) = [r for r in caplog.records if r.name == "feeds.alerts"]
    assert line.levelname == "ERROR"
    (retry_at,) = {d.next_attempt for d in app.store.deliveries(status="pending")}
    assert f"attempt {MAX_ATTEMPTS} for a digest of 2 matches failed (SMTP 127.0.0.1:" in line.getMessage()
    assert line.getMessage().endswith(
        f"; gave up on 1 of them after {MAX_ATTEMPTS} attempts, next at {rfc3339(retry_at)} for the rest"
    )


def test_the_log_names_a_failed_digest_the_deliveries_queued_since_wait_for(setup, clock):
    """An hourly digest the mail server never takes backs off longer each time; after its sixth failure (2 h 40
    min) the match found meanwhile, queued for the next hour, waits for it. `feeds alerts log` says so on that
    delivery: the digest (how many matches it carries, one of them by number), what went wrong (no answer: the
    error, not "answered error"), and when it is tried again; on each of the digest's own deliveries, that the
    digest carrying it failed and is tried again then, first."""
    from feeds.alerts.backoff import waiting

    port = free_port()
    app = setup(smtp(port) + email("daily", "desk@example.org", frequency="hourly"))
    add_keyword_matches(app.store, {f"k{i}": f"Sanctions story {i}" for i in range(3)})
    run_alerts(app)
    clock.set(NOW + timedelta(hours=1))
    assert run_alerts(app).retrying == 3
    for _ in range(5):  # each time it is due again
        clock.set(min(d.next_attempt for d in app.store.deliveries(status="pending")))
        assert run_alerts(app).retrying == 3
    add_keyword_matches(app.store, {"late": "Sanctions, later"}, found_at=clock())
    assert run_alerts(app).queued == 1

    rows = app.store.deliveries()
    digest = [d for d in rows if d.attempts == 6]
    (late,) = [d for d in rows if d.attempts == 0]
    assert len(digest) == 3 and late.next_attempt is not None
    until = rfc3339(digest[0].next_attempt)
    assert late.next_attempt < digest[0].next_attempt, "due by its own hour before the digest is tried again"
    held = waiting(app.store, rows, clock())
    first = min(d.match_id for d in digest)
    error = digest[0].last_error
    assert error is not None and error.startswith(f"SMTP 127.0.0.1:{port}: ConnectionRefusedError")
    assert held[late.id].says(clock()) == (
        f"waits for the digest of 3 matches to email:daily (match {first} among them), which failed ({error}):"
        f" the destination backs off until {until}, when that digest is tried again first"
    )
    for d in digest:
        assert held[d.id].says(clock()) == (
            f"email:daily backs off after the digest of 3 matches carrying this one failed ({error}): tried again"
            f" at {until}, first"
        )


def test_a_mail_server_certificate_not_trusted_says_how_to_trust_it_and_ssl_cert_file_does(
    setup, clock, tmp_path, monkeypatch
):
    """A relay with a certificate from the organisation's own CA: the failure says it is the certificate and how
    to trust that CA (`SSL_CERT_FILE`, which the STARTTLS check then uses), not only OpenSSL's words."""
    from tests.localtls import self_signed, server_context

    cert, key = self_signed(tmp_path, "IP:127.0.0.1")
    context = server_context(cert, key)
    box = Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port(), tls_context=context, require_starttls=True)
    controller.start()
    try:
        app = setup(smtp(controller.port) + "starttls = true\n" + email("now", "desk@example.org"))
        add_keyword_matches(app.store, {"a": "EU widens sanctions"})
        monkeypatch.delenv("SSL_CERT_FILE", raising=False)
        assert run_alerts(app).retrying == 1
        (d,) = app.store.deliveries()
        assert "CERTIFICATE_VERIFY_FAILED" in d.last_error
        assert d.last_error.endswith(
            "(the mail server's certificate is not trusted: name the certificate of the CA that signed it, in PEM,"
            " in the environment variable SSL_CERT_FILE)"
        ), d.last_error
        monkeypatch.setenv("SSL_CERT_FILE", str(cert))
        app.store.retry_failed_deliveries(clock())
        app.store.end_back_off("email:now", clock())
        assert run_alerts(app).sent == 1 and len(box.received) == 1
    finally:
        controller.stop()
