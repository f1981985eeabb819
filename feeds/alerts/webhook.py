"""Webhook delivery: one signed JSON POST per match, through an injected `requests.Session`.

The POST itself is `feeds.outbound.post_once` (shared with WebSub pings): operator-configured targets, no
redirects, the response body never read.

What this module must not do: decide whether to retry (that is `feeds.alerts.select.after_attempt`).
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
