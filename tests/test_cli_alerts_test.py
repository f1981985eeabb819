"""`feeds alerts test NAME`: one sample alert, sent now through the real alert code to a real local receiver (HTTP
on 127.0.0.1, SMTP by aiosmtpd), recording nothing in the store."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from werkzeug.wrappers import Request, Response

from feeds.alerts.render import webhook_body
from feeds.app import make_app
from feeds.cli import cli
from feeds.config import load_settings
from tests.alerts_helpers import add_keyword_matches, entry, readme_verify, stored_match
from tests.conftest import BASE_CONFIG
from tests.ports import free_port

SECRET = "test-secret-for-the-desk"


class Receiver:
    """Keeps each POST (headers and raw body); answers `status`."""

    def __init__(self, status: int = 200):
        self.status = status
        self.calls: list[tuple[dict[str, str], bytes]] = []

    def __call__(self, request: Request) -> Response:
        self.calls.append((dict(request.headers), request.get_data()))
        return Response("ok" if self.status < 300 else "no", status=self.status)


@pytest.fixture
def config(tmp_path) -> Path:
    (tmp_path / "inbox").mkdir()
    path = tmp_path / "feeds.toml"
    path.write_text(BASE_CONFIG, encoding="utf-8")
    return path


def run(config: Path, *args: str):
    return CliRunner().invoke(cli, ["--config", str(config), *args], catch_exceptions=False)


def add_webhook(config: Path, url: str, name: str = "desk") -> None:
    hook = f'\n[[alerts.webhooks]]\nname = "{name}"\nurl = "{url}"\nsecret = "{SECRET}"\nrules = ["*"]\n'
    config.write_text(config.read_text() + hook)


def add_email(config: Path, port: int, name: str = "desk", frequency: str = "immediate") -> None:
    config.write_text(
        config.read_text()
        + f'\n[alerts.smtp]\nhost = "127.0.0.1"\nport = {port}\nsender = "feeds@press.example.org"\ntimeout = 30\n'
        + f'\n[[alerts.email]]\nname = "{name}"\nto = ["desk@example.org"]\nfrequency = "{frequency}"\n'
    )


def deliveries(config: Path) -> list:
    app = make_app(load_settings(config, environ={}))
    try:
        return app.store.deliveries()
    finally:
        app.close()


def test_a_test_webhook_is_signed_as_readme_says_marked_as_a_test_and_recorded_nowhere(config, httpserver):
    receiver = Receiver()
    httpserver.expect_request("/hook", method="POST").respond_with_handler(receiver)
    add_webhook(config, httpserver.url_for("/hook"))

    result = run(config, "alerts", "test", "desk")

    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "sent to webhook:desk (HTTP 200)"
    ((headers, body),) = receiver.calls
    lowered = {k.lower(): v for k, v in headers.items()}
    assert readme_verify()(SECRET, lowered, body)  # the receiver's check, as README gives it
    doc = json.loads(body)
    assert doc["test"] is True
    assert doc["destination"] == "desk"
    assert doc["delivery"] == lowered["webhook-id"]
    assert doc["item"]["title"] == "Test alert from feeds: Test Press Office"
    assert doc["item"]["link"] == "https://press.example.org/"
    assert "test" in doc["why"]
    assert deliveries(config) == []  # not a delivery


def test_each_test_has_its_own_webhook_id_so_a_receiver_dropping_repeats_takes_the_second(config, httpserver):
    receiver = Receiver()
    httpserver.expect_request("/hook", method="POST").respond_with_handler(receiver)
    add_webhook(config, httpserver.url_for("/hook"))
    assert run(config, "alerts", "test", "webhook:desk").exit_code == 0
    assert run(config, "alerts", "test", "webhook:desk").exit_code == 0
    ids = [{k.lower(): v for k, v in h.items()}["webhook-id"] for h, _ in receiver.calls]
    assert len(set(ids)) == 2


def test_a_real_alert_body_has_no_test_key():
    assert "test" not in json.loads(webhook_body(entry(stored_match(1)), "desk"))
    assert json.loads(webhook_body(entry(stored_match(1)), "desk", test=True))["test"] is True


def test_a_refusing_webhook_exits_1_with_the_error_as_the_alerts_log_words_it(config, httpserver):
    httpserver.expect_request("/hook", method="POST").respond_with_handler(Receiver(500))
    add_webhook(config, httpserver.url_for("/hook"))

    result = run(config, "alerts", "test", "desk")

    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == f'failed: POST {httpserver.url_for("/hook")} answered 500 INTERNAL SERVER ERROR: "no"\n'
    assert deliveries(config) == []

    as_json = json.loads(run(config, "alerts", "test", "desk", "--json").stdout)
    assert as_json["destination"] == "webhook:desk"
    assert (as_json["ok"], as_json["status"]) == (False, "500")
    assert "answered 500" in as_json["error"]


def test_a_webhook_refusing_the_credentials_says_what_to_check(config, httpserver):
    httpserver.expect_request("/hook", method="POST").respond_with_handler(Receiver(401))
    add_webhook(config, httpserver.url_for("/hook"))
    result = run(config, "alerts", "test", "desk")
    assert result.exit_code == 1
    assert "answered 401" in result.stderr
    assert "check the webhook's url and secret" in result.stderr


def test_a_test_ignores_the_back_off_of_a_failed_delivery_and_leaves_it_as_it_was(config, httpserver):
    receiver = Receiver(503)
    httpserver.expect_request("/hook", method="POST").respond_with_handler(receiver)
    add_webhook(config, httpserver.url_for("/hook"))
    assert run(config, "alerts", "run").exit_code == 0  # registers the destination
    app = make_app(load_settings(config, environ={}))
    add_keyword_matches(app.store, {"a": "EU widens sanctions"}, found_at=app.clock())
    app.close()
    assert run(config, "alerts", "run").exit_code == 1  # 503: the destination backs off
    (before,) = deliveries(config)
    assert before.status == "pending" and before.next_attempt is not None

    receiver.status = 200
    result = run(config, "alerts", "test", "desk", "--json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {"destination": "webhook:desk", "ok": True, "status": "200", "error": None}
    assert json.loads(receiver.calls[-1][1])["test"] is True
    assert deliveries(config) == [before]  # neither sent nor tried again by the test


def test_a_test_email_reaches_the_mail_server(config, mailbox):
    add_email(config, mailbox.port, frequency="daily")

    result = run(config, "alerts", "test", "email:desk")

    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "sent to email:desk (SMTP 250)"
    ((sender, recipients, msg),) = mailbox.received
    assert (sender, recipients) == ("feeds@press.example.org", ("desk@example.org",))
    assert "Test alert from feeds: Test Press Office" in msg["Subject"]
    text = msg.get_body(("plain",)).get_content()
    assert "https://press.example.org/" in text
    assert "a test: sent by `feeds alerts test`" in text
    assert deliveries(config) == []


def test_an_unreachable_mail_server_exits_1_naming_it(config):
    port = free_port()
    add_email(config, port)
    result = run(config, "alerts", "test", "desk")
    assert result.exit_code == 1
    assert result.stderr.startswith(f"failed: SMTP 127.0.0.1:{port}: ConnectionRefusedError")


def test_an_unknown_name_is_a_usage_error_listing_the_destinations(config, httpserver, mailbox):
    add_webhook(config, httpserver.url_for("/hook"))
    add_email(config, mailbox.port, name="night")

    result = run(config, "alerts", "test", "dsek")

    assert result.exit_code == 2
    assert "no alert destination is called 'dsek'" in result.stderr
    assert "webhook:desk, email:night" in result.stderr
    assert httpserver.log == [] and mailbox.received == []


def test_with_no_destination_configured_the_error_says_so(config):
    result = run(config, "alerts", "test", "desk")
    assert result.exit_code == 2
    assert "none configured" in result.stderr


def test_help_says_a_test_is_not_a_delivery(config):
    result = run(config, "alerts", "test", "--help")
    assert "nothing is recorded in the delivery log" in " ".join(result.stdout.split())


def test_a_webhook_whose_secret_variable_is_unset_is_not_sent_unsigned(config, httpserver):
    hook = f'\n[[alerts.webhooks]]\nname = "desk"\nurl = "{httpserver.url_for("/hook")}"\nsecret_env = "DESK_SECRET"\n'
    config.write_text(config.read_text() + hook)
    result = CliRunner().invoke(cli, ["--config", str(config), "alerts", "test", "desk"], env={"DESK_SECRET": None})
    assert result.exit_code == 1
    assert result.stderr.startswith("failed: not sent: ")
    assert "DESK_SECRET" in result.stderr
    assert httpserver.log == []
