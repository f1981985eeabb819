"""Email delivery over SMTP (RFC 5321) with the standard library: one connection per message.

Port 465 means implicit TLS (RFC 8314 §3.3); otherwise `starttls = true` upgrades the connection (RFC 3207) before
`username`/`password` log in. Every SMTP or socket failure becomes a failed `Attempt` naming the server, so one
unreachable server costs each destination one attempt and the run goes on; a permanent refusal of the message's
content is marked `refused`, and is not retried.

What this module must not do: build messages (`feeds.alerts.render`) or decide about retries (`feeds.alerts.select`).
"""

from __future__ import annotations

import smtplib
import ssl
from collections.abc import Collection, Sequence
from email.message import EmailMessage
from email.utils import getaddresses

from feeds.alerts.render import ascii_address
from feeds.alerts.select import Attempt
from feeds.config import SmtpSettings

Replies = dict[str, tuple[int, bytes | str]]
"""Recipients' answers, by address: (code, text), as smtplib gives them (its text bytes, ours a str or bytes)."""


def send_email(smtp: SmtpSettings, message: EmailMessage, *, skip: Collection[str] = ()) -> Attempt:
    """Send `message` to its To: recipients but those in `skip` (they had it, or were refused for good); success
    when the server accepted it for at least one of them. Each recipient the server answered on its own is in
    `Attempt.recipients`, with that answer."""
    where = f"SMTP {smtp.host}:{smtp.port}"
    to = [addr for _, addr in getaddresses(message.get_all("To", [])) if addr not in skip]
    if not to:  # (never asked: smtplib would read the recipients from the headers again)
        return Attempt(True, "250")
    ours: Replies = {}  # (recipients this end cannot send to: their answers, kept as a server's)
    back: dict[str, str] = {}  # (each address as sent → as configured)
    try:
        client: smtplib.SMTP
        if smtp.port == 465:
            client = smtplib.SMTP_SSL(smtp.host, smtp.port, timeout=smtp.timeout, context=ssl.create_default_context())
        else:
            client = smtplib.SMTP(smtp.host, smtp.port, timeout=smtp.timeout)
        try:
            if smtp.starttls and smtp.port != 465:
                client.starttls(context=ssl.create_default_context())
            if smtp.username:
                client.login(smtp.username, smtp.password or "")
            client.ehlo_or_helo_if_needed()
            utf8 = client.has_extn("smtputf8")
            sender = ascii_address(smtp.sender)
            wire = {addr: addr if utf8 else ascii_address(addr) for addr in to}
            ours = {addr: (553, NO_SMTPUTF8) for addr, sent_as in wire.items() if sent_as is None}
            if sender is None and not utf8:
                hint = "set alerts.smtp.sender to an address whose name before the @ is ASCII"
                return Attempt(False, "error", f"{where} does not offer SMTPUTF8, which {smtp.sender} needs: {hint}")
            if len(ours) == len(to):
                error = f"{where} does not offer SMTPUTF8 (RFC 6531), which {', '.join(ours)} {_needs(ours)}"
                return Attempt(False, "553", error, refused=True, recipients=_answers(to, ours, took=False))
            if not utf8:  # (the header as the envelope: ASCII, those the server cannot take left out)
                listed = (ascii_address(addr) for _, addr in getaddresses(message.get_all("To", [])))
                message.replace_header("To", ", ".join(addr for addr in listed if addr is not None))
            back = {sent_as: addr for addr, sent_as in wire.items() if sent_as is not None}
            answered = client.send_message(message, from_addr=sender or smtp.sender, to_addrs=list(back))
            refused = {back.get(addr, addr): answer for addr, answer in answered.items()} | ours
        finally:
            _quit(client)
    except smtplib.SMTPDataError as e:
        # After MAIL and RCPT were taken, a 5xx to DATA or to the message itself is about this message (552 too
        # large, 554 rejected as spam), not the server or a recipient: RFC 5321 §4.2.1, "do not repeat the
        # exact request". A 4xx there is "not now", retried as any other failure.
        text = _text(e.smtp_error)
        permanent = 500 <= e.smtp_code < 600
        said = "refused the message" if permanent else "answered"
        error = f"{where} {said} {e.smtp_code} {text}"
        # (Refused for good, it is so for each recipient asked: one that has it from an earlier try keeps it.)
        said_to: Replies = {addr: (e.smtp_code, e.smtp_error) for addr in to} | ours if permanent else {}
        return Attempt(False, str(e.smtp_code), error, refused=permanent, recipients=_answers(to, said_to, took=False))
    except smtplib.SMTPRecipientsRefused as e:
        # (Only those it answered: after a 421 smtplib stops asking, and nobody received anything.)
        answers = {back.get(addr, addr): answer for addr, answer in e.recipients.items()} | ours
        codes = sorted({str(code) for code, _ in answers.values()})
        asked = "the recipients still waiting" if skip else "every recipient"
        error = f"{where} refused {asked}: {_refused(answers)}"
        return Attempt(False, "/".join(codes) or "error", error, recipients=_answers(to, answers, took=False))
    except smtplib.SMTPResponseException as e:
        text = _text(e.smtp_error)
        hint = _hint(smtp, e.smtp_code, text)
        if not hint and isinstance(e, smtplib.SMTPSenderRefused) and e.smtp_code >= 500:
            hint = " (the server refuses the sender: check alerts.smtp.sender)"
        return Attempt(False, str(e.smtp_code), f"{where} answered {e.smtp_code} {text}{hint}")
    except ssl.SSLCertVerificationError as e:
        return Attempt(False, "error", f"{where}: {type(e).__name__}: {e}{_certificate_hint(e)}")
    except (smtplib.SMTPException, OSError, ValueError) as e:  # ValueError: a header the message cannot carry
        return Attempt(False, "error", f"{where}: {type(e).__name__}: {e}{_hint(smtp, None, str(e))}")
    if refused:
        return Attempt(True, "250", f"{where} refused some recipients: {_refused(refused)}", None, False,
                       _answers(to, refused, took=True))  # fmt: skip
    return Attempt(True, "250", recipients=_answers(to, {}, took=True))


NO_SMTPUTF8 = b"5.6.7 not sent: the mail server does not offer SMTPUTF8, which this address needs (RFC 6531)"
"""The answer kept for a recipient whose mailbox name is not ASCII, when the server cannot take it (a 553 with the
enhanced code RFC 6531 §3.7.4.1 gives a server refusing such an address): refused for good, as that server would."""


def _needs(addresses: Collection[str]) -> str:
    return (
        f"{'needs' if len(addresses) == 1 else 'need'}: enable SMTPUTF8 on the mail server, or give alerts.email.to"
        " addresses whose names before the @ are ASCII"
    )


def _quit(client: smtplib.SMTP) -> None:
    """Say goodbye and close. Not `with client:`, which raises when QUIT gets another answer than 221: by then
    the server may have taken the message (250), and a failure here would have it sent again at every retry."""
    try:
        client.quit()
    except (smtplib.SMTPException, OSError):
        pass
    finally:
        client.close()


def _refused(recipients: Replies) -> str:
    """`b@example.org (451 4.7.1 Greylisted), c@example.org (550 5.1.1 No such user)`."""
    return ", ".join(f"{addr} ({code} {_text(text)})" for addr, (code, text) in sorted(recipients.items()))


def _answers(to: Sequence[str], refused: Replies, *, took: bool) -> tuple[tuple[str, str], ...]:
    """(address, reply) for each of `to`: its refusal if in `refused`, else `250` when the server `took` the
    message (else nobody received it, and only the refusals are answers)."""
    return tuple(
        (addr, f"{refused[addr][0]} {_text(refused[addr][1])}" if addr in refused else "250")
        for addr in to
        if took or addr in refused
    )


def _text(smtp_error: bytes | str) -> str:
    """A server's answer on one line: smtplib joins the lines of a multi-line reply (RFC 5321 §4.2.1) with "\n",
    which would split a log record and a row of `feeds alerts log`."""
    text = smtp_error.decode("utf-8", "replace") if isinstance(smtp_error, bytes) else str(smtp_error)
    return " ".join(text.split())


_HOSTNAME_MISMATCH = 62
"""OpenSSL's X509_V_ERR_HOSTNAME_MISMATCH: the certificate is trusted, but names another host."""


def _certificate_hint(e: ssl.SSLCertVerificationError) -> str:
    """What to do when the server's certificate fails the check: a relay with a certificate from the organisation's
    own CA is common, and OpenSSL's words ("self-signed certificate in certificate chain") do not say how to trust
    it. `ssl.create_default_context` reads `SSL_CERT_FILE` (as OpenSSL does), so that is the way."""
    if e.verify_code == _HOSTNAME_MISMATCH:
        return " (the mail server's certificate names another host: set alerts.smtp.host to a name it carries)"
    return (
        " (the mail server's certificate is not trusted: name the certificate of the CA that signed it, in PEM,"
        " in the environment variable SSL_CERT_FILE)"
    )


def _hint(smtp: SmtpSettings, code: int | None, text: str) -> str:
    """Which `[alerts.smtp]` key to change, when the server's answer says the config does not fit it."""
    said = text.casefold()
    tls = smtp.starttls or smtp.port == 465
    if not tls and ("starttls" in said or (code is None and "auth extension not supported" in said)):
        # 530 "Must issue a STARTTLS command first"; or no AUTH offered before TLS (RFC 3207 §4.2, RFC 4954 §4)
        return " (set alerts.smtp.starttls = true)"
    if smtp.starttls and code is None and "starttls extension not supported" in said:
        return " (check alerts.smtp.port: 587 offers STARTTLS, 465 is TLS from the start)"
    if code == 530 and not smtp.username:  # RFC 4954 §6: "Authentication required"
        return " (the server wants a login: set alerts.smtp.username and password or password_env)"
    if code == 535:  # RFC 4954 §6: "Authentication credentials invalid"
        return " (check alerts.smtp.username and password or password_env)"
    return ""
