"""A real SMTP server (aiosmtpd) on 127.0.0.1 for the email alert tests: `Mailbox` keeps what it accepts, and the
`mailbox` fixture (tests/conftest.py) runs one for a test."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from email import message_from_bytes, policy

from aiosmtpd.controller import Controller

from tests.ports import free_port


class Mailbox:
    """aiosmtpd handler: keeps every accepted message; refuses recipients at `refuse`."""

    def __init__(self, refuse: str = "nobody@example.org"):
        self.refuse = refuse
        self.received: list = []
        self.raw: list[tuple[list[str], bytes]] = []
        self.port = 0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if address == self.refuse:
            return "550 5.1.1 no such mailbox"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        msg = message_from_bytes(envelope.content, policy=policy.default)
        self.raw.append((list(envelope.mail_options), envelope.original_content))
        self.received.append((envelope.mail_from, tuple(envelope.rcpt_tos), msg))
        return "250 Message accepted for delivery"


@contextmanager
def mail_server(box: Mailbox | None = None, *, smtputf8: bool = True) -> Iterator[Mailbox]:
    """`box` (a new `Mailbox` by default, or one of its subclasses that answers otherwise) served on a free port of
    127.0.0.1 (its `port`), stopped on the way out. `smtputf8`: whether it offers SMTPUTF8 (RFC 6531)."""
    box = box if box is not None else Mailbox()
    controller = Controller(box, hostname="127.0.0.1", port=free_port(), enable_SMTPUTF8=smtputf8)
    controller.start()
    box.port = controller.port
    try:
        yield box
    finally:
        controller.stop()


def email_alert_config(
    port: int, *to: str, sender: str = "feeds@press.example.org", frequency: str = "immediate"
) -> str:
    """The `[alerts.smtp]` and one `[[alerts.email]]` table ("desk") of a config, sending through 127.0.0.1:`port`."""
    smtp = f'[alerts.smtp]\nhost = "127.0.0.1"\nport = {port}\nsender = "{sender}"\ntimeout = 30\n'
    rcpts = ", ".join(f'"{t}"' for t in to)
    return smtp + f'[[alerts.email]]\nname = "desk"\nto = [{rcpts}]\nfrequency = "{frequency}"\n'
