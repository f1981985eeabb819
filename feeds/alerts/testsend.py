"""`feeds alerts test NAME`: one sample alert to one configured destination, now, to check that it works.

The sample goes through what real alerts go through: `webhook_body` (marked `"test": true`), `webhook_headers`
(signed with the webhook's secret) and `post_webhook`; `build_email` and `send_email`. Its item is made up: titled
`Test alert from feeds: <site title>`, linking to the site's base URL, its `why` saying it is a test. Each test
has a fresh key (`webhook-id`, Message-ID), so that a receiver dropping repeats does not drop the second test.

What this module must not do: touch the store. A test is no delivery: nothing is queued or recorded, and the
destination's back-off (a failure, a refusal of everything) neither holds it back nor is ended by it.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from feeds.alerts.email import send_email
from feeds.alerts.render import build_email, webhook_body, webhook_headers
from feeds.alerts.select import AlertEntry, Attempt, Destination, destinations_of
from feeds.alerts.webhook import post_webhook, refusal_hint
from feeds.model import StoredItem, StoredMatch, WatchItem
from feeds.outbound import outbound_session

if TYPE_CHECKING:
    from feeds.app import App
    from feeds.config import Settings

TEST_RULE = "test"
"""The rule a sample alert names (`rule` in a webhook body, the heading of an email)."""


@dataclass(frozen=True, slots=True)
class TestOutcome:
    """What a test send did: the destination's key, whether it was taken, the answer (`200`, SMTP `250`, or
    `error`), and the error as `feeds alerts log` would word it (a warning when taken: recipients refused)."""

    destination: str
    ok: bool
    status: str
    error: str | None = None

    __test__ = False  # (not a pytest test class, whatever its name)


def sample_entry(settings: Settings, now: datetime) -> AlertEntry:
    """The made-up match a test send carries: a keyword match of the rule `test`, its item linking to the site."""
    site = settings.site
    key = secrets.token_hex(16)  # 32 hex digits, as a delivery key
    item = WatchItem(
        key=f"test-{key}",
        title=f"Test alert from feeds: {site.title}",
        link=site.base_url,
        guid=None,
        summary="A sample alert sent by `feeds alerts test` to check this destination; no item matched.",
        content_text="",
        author=site.author,
        published=now,
        updated=None,
        tags=(),
        content_hash="",
    )
    stored = StoredItem(id=0, feed_id=0, feed_title=site.title, feed_tags=(), item=item, published=now, first_seen=now)
    why = "a test: sent by `feeds alerts test` to check this destination, not for a match"
    match = StoredMatch(0, "keyword", TEST_RULE, stored, (), 0.0, why, now, None)
    return AlertEntry(match, TEST_RULE, None, key)


def send_test(app: App, key: str) -> TestOutcome:
    """Send one sample alert to the configured destination `key` (`webhook:desk`, `email:desk`) now."""
    d = next(x for x in destinations_of(app.settings.alerts) if x.key == key)
    entry = sample_entry(app.settings, app.clock())
    attempt = _webhook(app, d, entry) if d.kind == "webhook" else _email(app, d, entry)
    error = attempt.error
    if not attempt.ok and d.kind == "webhook" and (hint := refusal_hint(attempt.status)):
        error = f"{error} ({hint})"
    return TestOutcome(d.key, attempt.ok, attempt.status, error)


def _webhook(app: App, d: Destination, entry: AlertEntry) -> Attempt:
    hook = next(h for h in app.settings.alerts.webhooks if h.name == d.name)
    if hook.secret_missing:  # never sent unsigned, as a real alert is not
        return Attempt(ok=False, status="error", error=f"not sent: {hook.secret_missing}")
    http = app.settings.http
    body = webhook_body(entry, d.name, test=True)
    now = app.clock()
    headers = webhook_headers(
        body, entry.key, secret=hook.secret, user_agent=http.user_agent, timestamp=int(now.timestamp())
    )
    session = app.session or outbound_session()
    try:
        return post_webhook(
            session, hook.url, body, headers, timeout=(http.connect_timeout, http.read_timeout), now=now
        )
    finally:
        if session is not app.session:
            session.close()


def _email(app: App, d: Destination, entry: AlertEntry) -> Attempt:
    mail = next(e for e in app.settings.alerts.email if e.name == d.name)
    smtp = app.settings.alerts.smtp
    if smtp.password_missing:  # never a login with an empty password, as for a real alert
        return Attempt(ok=False, status="error", error=f"not sent: {smtp.password_missing}")
    message = build_email(
        [entry], alert_name=d.name, frequency=d.frequency, to=mail.to, sender=smtp.sender,
        sender_name=smtp.sender_name, now=app.clock(), tz=app.settings.site.tz, key=entry.key,
    )  # fmt: skip
    return send_email(smtp, message)
