"""Webhook delivery: one signed JSON POST per match, through an injected `requests.Session`.

The POST itself is `feeds.outbound.post_once` (shared with WebSub pings): operator-configured targets, no
redirects, the response body never read.

What this module must not do: decide when to retry (that is `feeds.alerts.select.after_attempt`); it only says
which answers are final (`refused_for_good`), and what a final one asks the operator to check (`refusal_hint`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import requests

from feeds.alerts.select import Attempt
from feeds.outbound import post_once


def post_webhook(
    session: requests.Session,
    url: str,
    body: bytes,
    headers: Mapping[str, str],
    *,
    timeout: tuple[float, float],
    now: datetime,
) -> Attempt:
    """POST `body` to `url`; any 2xx is success, anything else (or no answer) a failed attempt."""
    r = post_once(session, url, data=body, headers=headers, timeout=timeout, now=now)
    return Attempt(r.ok, r.status, r.error, r.retry_after)


RETRIED_4XX = frozenset({408, 425, 429})
"""Client errors that say "not now" rather than "not this" (Request Timeout, Too Early, Too Many Requests)."""


def refused_for_good(attempt: Attempt) -> bool:
    """Whether the receiver refused this message itself (a 4xx other than `RETRIED_4XX`: 400, 413, 422…).

    The same body gets the same answer however often it is sent, and while it waits to be retried the receiver's
    back-off holds every other alert to it (`claim_deliveries`): such a delivery fails at once. A 5xx, a timeout
    or no answer at all is the receiver's trouble, not the message's, and is retried."""
    if attempt.ok or not attempt.status.isdigit():
        return False
    status = int(attempt.status)
    return 400 <= status < 500 and status not in RETRIED_4XX


def refusal_hint(status: str) -> str | None:
    """What to check when the receiver refuses messages with `status`: 401 and 403 say the credentials (a token in
    the URL, the signing secret) are refused, 404 and 410 that nothing is at the URL any more (a deleted hook).
    None for an answer about the message itself (400, 413, 422)."""
    if status in ("401", "403"):
        return "check the webhook's url and secret (a revoked or changed token?)"
    if status in ("404", "410"):
        return "check the webhook's url (a deleted hook?)"
    return None
