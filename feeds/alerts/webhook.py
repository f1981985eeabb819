"""Webhook delivery: one signed JSON POST per match, through an injected `requests.Session`.

The POST itself is `feeds.outbound.post_once` (shared with WebSub pings): operator-configured targets, no
redirects, the response body never read.

What this module must not do: decide when to retry (that is `feeds.alerts.select.after_attempt`); it only says
which answers are final (`refused_for_good`), which of those refuse the destination as a whole
(`refuses_everything`), and what a final one asks the operator to check (`refusal_hint`).
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


REFUSES_EVERYTHING = frozenset({"401", "403", "404", "410"})
"""Answers about the destination, not the message: credentials refused (a revoked token, a changed secret) or
nothing at the URL any more (a deleted hook). Every other message would get the same answer."""


def refuses_everything(attempt: Attempt) -> bool:
    """Whether the receiver refused this message for what the destination is, not for what the message is
    (`REFUSES_EVERYTHING`): the run sends it nothing more, and its other deliveries wait for a later run."""
    return not attempt.ok and attempt.status in REFUSES_EVERYTHING


def refusal_hint(status: str) -> str | None:
    """What to check when the receiver refuses messages with `status`: 401 and 403 say the credentials (a token in
    the URL, the signing secret) are refused, 404 and 410 that nothing is at the URL any more (a deleted hook).
    None for an answer about the message itself (400, 413, 422)."""
    if status in ("401", "403"):
        return "check the webhook's url and secret (a revoked or changed token?)"
    if status in ("404", "410"):
        return "check the webhook's url (a deleted hook?)"
    return None
