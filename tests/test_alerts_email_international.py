"""Email alerts to international addresses (RFC 6531, RFC 5890), through a real SMTP server (aiosmtpd) on 127.0.0.1,
with and without SMTPUTF8: a domain in any script reaches its mailbox (as its ASCII `xn--` form when the server
cannot take UTF-8), and a mailbox name in another script goes where the server offers SMTPUTF8; elsewhere it is
refused for good, by name, and the other recipients still get every alert."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from datetime import timedelta
from email import message_from_string, policy

import pytest
from click.testing import CliRunner

from feeds.alerts import run_alerts
from feeds.cli import cli
from feeds.config import load_settings
from feeds.errors import ConfigError
from tests.alerts_helpers import add_keyword_matches
from tests.mailserver import Mailbox, email_alert_config, mail_server

JURGEN = "jürgen@example.org"
IDN = "presse@bücher.example"
IDN_ASCII = "presse@xn--bcher-kva.example"
DESK = "desk@example.org"
MINIMAL = '[site]\ntitle = "Test Office"\nbase_url = "https://press.example.org"\n'


@pytest.fixture
def setup(db_url, make_settings, make_app_for):
    def make(toml: str):
        return make_app_for(make_settings("\n[alerts]\n" + toml, database_url=db_url))

    return make


@pytest.fixture
def plain() -> Iterator[Mailbox]:
    """A mail server that does not offer SMTPUTF8 (many relays: it must then be sent ASCII alone)."""
    with mail_server(smtputf8=False) as served:
        yield served


def _head(raw: bytes) -> str:
    return raw.split(b"\r\n\r\n", 1)[0].decode("ascii")


def test_a_non_ascii_mailbox_name_is_sent_with_smtputf8_where_the_server_offers_it(setup, clock, mailbox):
    app = setup(email_alert_config(mailbox.port, JURGEN, DESK))
    add_keyword_matches(app.store, {"a": "EU widens sanctions"})
    assert run_alerts(app).sent == 1
    ((_, rcpts, _),) = mailbox.received
    ((options, raw),) = mailbox.raw
    assert set(rcpts) == {JURGEN, DESK} and "SMTPUTF8" in options
    msg = message_from_string(raw.decode("utf-8"), policy=policy.default)  # (RFC 6532: UTF-8 headers)
    assert [a.addr_spec for a in msg["To"].addresses] == [JURGEN, DESK]


def test_without_smtputf8_a_non_ascii_mailbox_is_refused_by_name_and_the_others_get_every_alert(
    setup, clock, plain, caplog
):
    app = setup(email_alert_config(plain.port, JURGEN, DESK))
    add_keyword_matches(app.store, {"a": "EU widens sanctions", "b": "Sanctions lifted"})
    with caplog.at_level(logging.WARNING, logger="feeds.alerts"):
        report = run_alerts(app)
    assert report.sent == 2 and report.outcome("email:desk").retrying == 0
    assert [rcpts for _, rcpts, _ in plain.received] == [(DESK,), (DESK,)]
    for options, raw in plain.raw:
        assert raw.isascii() and "SMTPUTF8" not in options
        assert JURGEN.encode() not in raw and "=?" not in _head(raw).split("To:", 1)[1].split("\r\n")[0]
    for delivery in app.store.deliveries():
        assert delivery.status == "sent"
        answers = {r.address: (r.state, r.reply) for r in delivery.recipients}
        assert answers[DESK] == ("sent", "250")
        assert answers[JURGEN][0] == "refused" and "SMTPUTF8" in answers[JURGEN][1]
    said = [r.getMessage() for r in caplog.records if JURGEN in r.getMessage()]
    assert said and all("SMTPUTF8" in s and "refused it for good" in s for s in said)
    run_alerts(app)
    assert len(plain.received) == 2, "not tried again"


def test_without_smtputf8_a_destination_of_only_non_ascii_mailboxes_fails_at_once_saying_why(setup, clock, plain):
    app = setup(email_alert_config(plain.port, JURGEN))
    add_keyword_matches(app.store, {"a": "EU widens sanctions"})
    report = run_alerts(app)
    assert report.sent == 0 and report.failed == 1 and plain.received == []
    (delivery,) = app.store.deliveries()
    assert delivery.status == "failed" and "SMTPUTF8" in (delivery.last_error or "")
    assert JURGEN in (delivery.last_error or "")


@pytest.mark.parametrize("frequency", ["immediate", "daily"])
def test_a_domain_in_another_script_reaches_a_server_without_smtputf8_in_its_ascii_form(setup, clock, plain, frequency):
    app = setup(email_alert_config(plain.port, IDN, DESK, sender="alerts@presse-bücher.example", frequency=frequency))
    add_keyword_matches(app.store, {"a": "EU widens sanctions"})
    if frequency == "daily":  # (queued now, due at the next 08:00 in London)
        assert run_alerts(app).queued == 1
        clock.advance(timedelta(days=1))
    assert run_alerts(app).sent == 1
    ((mail_from, rcpts, msg),) = plain.received
    ((options, raw),) = plain.raw
    assert raw.isascii() and "SMTPUTF8" not in options
    assert mail_from == "alerts@xn--presse-bcher-klb.example"
    assert set(rcpts) == {IDN_ASCII, DESK}
    assert [a.addr_spec for a in msg["To"].addresses] == [IDN_ASCII, DESK]
    assert msg["Message-ID"].endswith("@xn--presse-bcher-klb.example>")
    (delivery,) = app.store.deliveries()
    assert {r.address for r in delivery.recipients} <= {IDN, DESK}, "answers are kept under the configured address"


@pytest.mark.parametrize(("table", "key"), [("email", "alerts.email[0].to[0]"), ("smtp", "alerts.smtp.sender")])
def test_a_domain_that_is_no_host_name_is_a_config_error_naming_the_key(tmp_path, table, key):
    bad = "desk@☃.example"
    toml = (
        f'[[alerts.email]]\nname = "desk"\nto = ["{bad}"]\n'
        if table == "email"
        else f'[alerts.smtp]\nsender = "{bad}"\n'
    )
    path = tmp_path / "feeds.toml"
    path.write_text(MINIMAL + "\n" + toml, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={})
    assert caught.value.key == key and "no host name" in caught.value.message, caught.value.message
    result = CliRunner().invoke(cli, ["--config", str(path), "check-config"])
    assert result.exit_code != 0 and f"{key}:" in result.output, result.output


def test_international_addresses_are_valid_config(tmp_path):
    path = tmp_path / "feeds.toml"
    path.write_text(
        MINIMAL + f'\n[alerts.smtp]\nsender = "alerts@presse-bücher.example"\n'
        f'[[alerts.email]]\nname = "desk"\nto = ["{JURGEN}", "{IDN}"]\n',
        encoding="utf-8",
    )
    settings = load_settings(path, environ={})
    assert settings.alerts.email[0].to == (JURGEN, IDN), "kept as written (shown so in logs)"


def test_check_config_warns_that_a_non_ascii_mailbox_name_needs_smtputf8(tmp_path):
    path = tmp_path / "feeds.toml"
    path.write_text(MINIMAL + f'\n[[alerts.email]]\nname = "desk"\nto = ["{DESK}", "{IDN}", "{JURGEN}"]\n', "utf-8")
    result = CliRunner().invoke(cli, ["--config", str(path), "check-config"])
    assert result.exit_code == 0, result.output
    (warning,) = [line for line in result.output.splitlines() if line.startswith("warning: alerts.")]
    assert warning.startswith(f"warning: alerts.email[0].to[2]: {JURGEN} has a mailbox name in another script")
    assert "SMTPUTF8" in warning and "feeds alerts test desk" in warning
