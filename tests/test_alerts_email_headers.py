"""What mail clients read in an email alert's headers, through a real SMTP server (aiosmtpd) on 127.0.0.1: no
automatic replies (RFC 3834's `Auto-Submitted`, and the header Exchange and Outlook read instead), a Message-ID
that is the same on a retry, and no header line longer than RFC 5322 allows."""

from __future__ import annotations

from feeds.alerts import run_alerts
from tests.alerts_helpers import add_keyword_matches


def config(port: int, *to: str) -> str:
    smtp = f'[alerts.smtp]\nhost = "127.0.0.1"\nport = {port}\nsender = "feeds@press.example.org"\ntimeout = 30\n'
    rcpts = ", ".join(f'"{t}"' for t in to)
    return smtp + f'[[alerts.email]]\nname = "desk"\nto = [{rcpts}]\n'


def test_an_alert_asks_outlook_and_exchange_for_no_out_of_office_reply(db_url, make_settings, make_app_for, mailbox):
    """Exchange and Outlook send out-of-office replies to a message marked `Auto-Submitted` alone: they read
    `X-Auto-Response-Suppress` (MS-OXCMAIL §2.2.3.2.14), and each reply would go to the alerts' sender address."""
    app = make_app_for(make_settings("\n[alerts]\n" + config(mailbox.port, "desk@example.org"), database_url=db_url))
    add_keyword_matches(app.store, {"a": "EU widens sanctions"})
    assert run_alerts(app).sent == 1
    ((_, _, msg),) = mailbox.received
    assert msg["Auto-Submitted"] == "auto-generated"
    assert msg["X-Auto-Response-Suppress"] == "All"


def test_many_recipients_fold_into_header_lines_mail_servers_take(db_url, make_settings, make_app_for, mailbox):
    to = [f"press.officer.{i:02d}@ministry-of-foreign-affairs.example.org" for i in range(40)]
    app = make_app_for(make_settings("\n[alerts]\n" + config(mailbox.port, *to), database_url=db_url))
    add_keyword_matches(app.store, {"a": "EU widens sanctions " * 20})
    assert run_alerts(app).sent == 1
    ((_, rcpts, msg),) = mailbox.received
    ((_, raw),) = mailbox.raw
    assert set(rcpts) == set(to) and [a.addr_spec for a in msg["To"].addresses] == to
    head = raw.split(b"\r\n\r\n", 1)[0]
    assert head.isascii() and max(len(line) for line in head.split(b"\r\n")) <= 78, "RFC 5322 §2.1.1"
