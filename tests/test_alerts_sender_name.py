"""Email alerts as recipients see them, through a real SMTP server (aiosmtpd) on 127.0.0.1: the sender's display
name (`alerts.smtp.sender_name`), encoded per RFC 2047 when it is not ASCII and checked by `feeds check-config`."""

from __future__ import annotations

from email.header import decode_header, make_header
from pathlib import Path

import pytest
from click.testing import CliRunner

from feeds.alerts import run_alerts
from feeds.cli import cli
from feeds.config import load_settings
from feeds.errors import ConfigError
from tests.alerts_helpers import add_keyword_matches

MINIMAL = '[site]\ntitle = "Test Office"\nbase_url = "https://press.example.org"\n'


def smtp(port: int, name: str | None) -> str:
    named = f'sender_name = "{name}"\n' if name is not None else ""
    where = f'host = "127.0.0.1"\nport = {port}\nsender = "alerts@press.example.org"\n'
    return f"[alerts.smtp]\n{where}{named}timeout = 30\n"


def desk() -> str:
    return '[[alerts.email]]\nname = "now"\nto = ["desk@example.org"]\n'


def _from_header(raw: bytes) -> str:
    """The From header as a mail client shows it: its encoded words decoded as RFC 2047 §6.2 says (adjacent ones
    joined, the white space between them dropped), not by the email library's own address parser."""
    head = raw.split(b"\r\n\r\n", 1)[0].decode("ascii")
    unfolded = head.replace("\r\n ", " ").replace("\r\n\t", " ")
    (line,) = [h for h in unfolded.split("\r\n") if h.lower().startswith("from:")]
    return str(make_header(decode_header(line[len("From:") :].strip())))


@pytest.mark.parametrize(
    "name",
    [
        "Press Office",
        "Smith, Jones & Co (Press)",  # (a comma and parentheses: quoted, or it reads as two addresses)
        "Ministère de l'Europe et des Affaires étrangères — Direction de la communication et de la presse à Genève",
        "Служба печати Министерства иностранных дел",
        "新闻办公室",
    ],
)
def test_the_sender_name_reaches_the_recipient_as_written(db_url, make_settings, make_app_for, mailbox, name):
    app = make_app_for(make_settings("\n[alerts]\n" + smtp(mailbox.port, name) + desk(), database_url=db_url))
    add_keyword_matches(app.store, {"a": "EU widens sanctions"})
    assert run_alerts(app).sent == 1
    ((mail_from, _, msg),) = mailbox.received
    ((_, raw),) = mailbox.raw
    assert mail_from == "alerts@press.example.org", "the envelope sender is the bare address"
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert head.isascii() and all(len(line) <= 78 for line in head.split(b"\r\n")), "RFC 5322 §2.1.1"
    assert _from_header(raw) in (f"{name} <alerts@press.example.org>", f'"{name}" <alerts@press.example.org>')
    assert msg["From"].addresses[0].addr_spec == "alerts@press.example.org"


def test_without_a_sender_name_the_sender_is_the_bare_address(db_url, make_settings, make_app_for, mailbox):
    app = make_app_for(make_settings("\n[alerts]\n" + smtp(mailbox.port, None) + desk(), database_url=db_url))
    add_keyword_matches(app.store, {"a": "EU widens sanctions"})
    run_alerts(app)
    ((_, _, msg),) = mailbox.received
    assert msg["From"] == "alerts@press.example.org"


@pytest.mark.parametrize(
    ("smtp_table", "key", "words"),
    [
        ('sender_name = ""\n', "alerts.smtp.sender_name", "must not be empty"),
        ('sender_name = "Press\\nBcc: x@evil.example"\n', "alerts.smtp.sender_name", "one line"),
        ("sender_name = 3\n", "alerts.smtp.sender_name", "string"),
        ('sender = "Press Office <alerts@example.org>"\n', "alerts.smtp.sender", "sender_name"),
    ],
)
def test_a_sender_name_that_cannot_be_sent_is_a_config_error(tmp_path, smtp_table, key, words):
    path = tmp_path / "feeds.toml"
    path.write_text(MINIMAL + "\n[alerts.smtp]\n" + smtp_table, encoding="utf-8")
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={})
    assert caught.value.key == key and words in caught.value.message, caught.value.message
    assert caught.value.line == 6


def test_check_config_names_the_key_and_line_of_a_bad_sender_name(tmp_path: Path):
    path = tmp_path / "feeds.toml"
    path.write_text(MINIMAL + '\n[alerts.smtp]\nsender_name = "Press\\rOffice"\n', encoding="utf-8")
    result = CliRunner().invoke(cli, ["--config", str(path), "check-config"])
    assert result.exit_code != 0
    assert f"{path}:6: alerts.smtp.sender_name:" in result.output, result.output
