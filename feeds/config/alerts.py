"""`[alerts]`: where alerts go (webhooks, email) and the SMTP server that sends the email.

`read_alerts` returns the frozen `AlertSettings` or raises `ConfigError` through the reader (file, key path,
line). A secret named by an environment variable that is not set is no error here: it is kept as the reason it is
missing, so that only the deliveries needing it fail (`check-config` and the daemon's start report it).

What this module must not do: connect to the SMTP server or a webhook, or quote a secret in a message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

from feeds.config.checks import days_kept, malformed_host, table_array
from feeds.config.reader import KeyPath, TableReader
from feeds.config.schema import KEYS, SMTP_TIMEOUT
from feeds.config.settings import AlertSettings, EmailAlert, SmtpSettings, WebhookAlert, webhook_signing_key
from feeds.urls import dns_host

_EMAIL = re.compile(r"[^@\s<>(),;:\"\[\]]+@[^@\s<>(),;:\"\[\]]+")
"""An email address as a mail header can carry it: one @, no white space or line break, no header punctuation."""
_NAMED = re.compile(r"([^<>]*)<\s*" + _EMAIL.pattern + r"\s*>")
"""`Press Office <alerts@example.org>`: a sender written with its name, which goes in `sender_name` instead."""


def _not_address(address: object) -> str | None:
    """Why `address` cannot be sent to (None when it can): not one a header carries, or a domain in another script
    that is no host name (`a@☃.example`; one that is, `presse@bücher.example`, goes as its `xn--` form)."""
    if not isinstance(address, str) or not _EMAIL.fullmatch(address):
        return f"not an email address: {address!r}"
    try:
        dns_host(address.rpartition("@")[2])
    except ValueError as e:
        return f"not an email address: {address!r} (its domain is no host name: {e})"
    return None


def read_alerts(r: TableReader, t: dict[str, Any], environ: Mapping[str, str]) -> AlertSettings:
    k = ("alerts",)
    r.only(t, k, KEYS["[alerts]"])
    names: set[str] = set()

    def name_of(tt: dict[str, Any], kk: KeyPath) -> str:
        name: str = r.get(tt, (*kk, "name"), str)
        if name in names:
            r.fail((*kk, "name"), f"alert name {name!r} is used twice")
        names.add(name)
        return name

    def secret(tt: dict[str, Any], kk: KeyPath, key: str) -> tuple[str | None, str | None]:
        """(the secret, or why it is missing): an unset variable fails the deliveries that need it, not every
        command (listing releases needs no webhook secret); `check-config` and the daemon's start report it."""
        value: str | None = r.get(tt, (*kk, key), str, None)
        if value is not None and not value.strip():
            r.fail((*kk, key), "must not be empty (leave it out, and the webhook is sent unsigned)")
        env_name = r.get(tt, (*kk, f"{key}_env"), str, None)
        if env_name:
            value = environ.get(env_name)
            if not value:
                return None, str(r.problem((*kk, f"{key}_env"), f"environment variable {env_name} is not set"))
        return value, None

    def rule_names(tt: dict[str, Any], kk: KeyPath) -> tuple[str, ...]:
        """The rules a destination takes (`["*"]` for all): names, checked here, since each run compares them
        with the stored rules' names."""
        listed: list[Any] = r.get(tt, (*kk, "rules"), list, ["*"])
        for i, name in enumerate(listed):
            if not isinstance(name, str) or not name.strip():
                r.fail((*kk, "rules", i), f'not a rule name (a string, or "*" for every rule): {name!r}')
        return tuple(listed)

    hooks: list[WebhookAlert] = []
    for i, ht in enumerate(table_array(r, t, (*k, "webhooks"))):
        hk: KeyPath = (*k, "webhooks", i)
        r.only(ht, hk, KEYS["[[alerts.webhooks]]"])
        url = r.get(ht, (*hk, "url"), str)
        if urlsplit(url).scheme not in ("http", "https"):
            # (the URL is not shown: a webhook's path or query is often its secret)
            scheme = urlsplit(url).scheme
            r.fail(
                (*hk, "url"), f"must be an http(s) URL, got {f'a {scheme}: URL' if scheme else 'one without https://'}"
            )
        if (problem := malformed_host(url)) is not None:  # (names the host only: the path may hold a secret)
            r.fail((*hk, "url"), problem)
        key, missing = secret(ht, hk, "secret")
        env_name = r.get(ht, (*hk, "secret_env"), str, None) or None
        if key is not None:
            try:
                webhook_signing_key(key)
            except ValueError as e:  # (the message never quotes the secret)
                if env_name is None:
                    r.fail((*hk, "secret"), str(e))
                unusable = r.problem((*hk, "secret_env"), f"environment variable {env_name} holds {e}")
                key, missing = None, str(unusable)  # held back as an unset variable is
        hooks.append(
            WebhookAlert(
                name=name_of(ht, hk),
                url=url,
                secret=key,
                secret_missing=missing,
                secret_env=env_name,
                rules=rule_names(ht, hk),
                coverage=r.get(ht, (*hk, "coverage"), bool, True),
            )
        )
    mails: list[EmailAlert] = []
    for i, et in enumerate(table_array(r, t, (*k, "email"))):
        ek: KeyPath = (*k, "email", i)
        r.only(et, ek, KEYS["[[alerts.email]]"])
        to = r.get(et, (*ek, "to"), list)
        if not to:
            r.fail((*ek, "to"), "must be a list of email addresses")
        for i, address in enumerate(to):
            if problem := _not_address(address):
                r.fail((*ek, "to", i), problem)
        frequency = r.get(et, (*ek, "frequency"), str, "immediate")
        if frequency not in ("immediate", "hourly", "daily", "weekly"):
            r.fail((*ek, "frequency"), f"must be immediate, hourly, daily or weekly, got {frequency!r}")
        mails.append(
            EmailAlert(
                name=name_of(et, ek),
                to=tuple(to),
                rules=rule_names(et, ek),
                coverage=r.get(et, (*ek, "coverage"), bool, True),
                frequency=frequency,
            )
        )
    st = r.sub(t, (*k, "smtp"))
    sk = (*k, "smtp")
    r.only(st, sk, KEYS["[alerts.smtp]"])
    password, password_missing = secret(st, sk, "password")
    for key in ("password", "password_env"):
        if key in st and not st.get("username"):  # (smtplib logs in only with a user name: it would go unused)
            r.fail((*sk, key), "a password without alerts.smtp.username is never used: set username (the login)")
    sender = r.get(st, (*sk, "sender"), str, "feeds@localhost")
    if problem := _not_address(sender):
        named = _NAMED.fullmatch(sender)
        hint = f' (the name goes in sender_name = "{named[1].strip()}", the address alone here)' if named else ""
        r.fail((*sk, "sender"), f"{problem}{hint}")
    sender_name = r.get(st, (*sk, "sender_name"), str, None)
    if sender_name is not None and not sender_name.strip():
        r.fail((*sk, "sender_name"), "must not be empty (leave it out, and recipients see the address alone)")
    if sender_name is not None and not sender_name.isprintable():
        r.fail((*sk, "sender_name"), f"must be one line of text, without line breaks or tabs: {sender_name!r}")
    host = r.get(st, (*sk, "host"), str, "localhost")
    if not host.strip():
        r.fail((*sk, "host"), "must not be empty (leave it out for localhost)")
    port = r.get(st, (*sk, "port"), int, 25)
    if not 1 <= port <= 65535:  # (socket would take 70000 as 70000 % 65536: a refused connection to another port)
        r.fail((*sk, "port"), f"must be a TCP port (1-65535), got {port}")
    smtp = SmtpSettings(
        host=host,
        port=port,
        sender=sender,
        sender_name=sender_name.strip() if sender_name is not None else None,
        username=r.get(st, (*sk, "username"), str, None),
        password=password,
        password_missing=password_missing,
        starttls=r.get(st, (*sk, "starttls"), bool, False),
        timeout=r.interval(
            st, (*sk, "timeout"), SmtpSettings().timeout, floor=SMTP_TIMEOUT[0], ceiling=SMTP_TIMEOUT[1]
        ),
    )
    if smtp.username and smtp.port != 465 and not smtp.starttls and smtp.host not in _LOOPBACK_NAMES:
        # (a relay on this machine may take a login in clear: it never leaves the machine)
        r.fail(
            (*sk, "starttls"),
            f"the login to {smtp.host} would be sent in clear: set starttls = true (or use port 465, TLS from the "
            "start)",
        )
    weekly = {"alerts queue the matches of the last 7 days, and a weekly digest starts from the last one sent": 8.0}
    kept = days_kept(r, t, (*k, "retention_days"), 90.0, weekly)
    return AlertSettings(webhooks=tuple(hooks), email=tuple(mails), smtp=smtp, retention_days=kept)


_LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1"})
