"""Webhook delivery: one signed JSON POST per match, through an injected `requests.Session`.

Not through `feeds.fetch.HttpClient`: that client is GET-only and refuses private addresses, while a webhook is a
target the operator configured on purpose (often a bridge on the same host or network). Redirects are not
followed (a POST must not silently become a GET elsewhere); the response body is never read.

What this module must not do: decide whether to retry (that is `feeds.alerts.select.after_attempt`).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

import requests

from feeds.alerts.select import Attempt
from feeds.fetch import parse_retry_after


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
    try:
        response = session.post(
            url, data=body, headers=dict(headers), timeout=timeout, allow_redirects=False, stream=True
        )
    except requests.RequestException as e:
        return Attempt(False, "error", f"POST {url}: {type(e).__name__}: {e}")
    try:
        status = response.status_code
        if 200 <= status < 300:
            return Attempt(True, str(status))
        retry_after = None
        if status in (429, 503) and "Retry-After" in response.headers:
            retry_after = parse_retry_after(response.headers["Retry-After"], now)  # RFC 9110 §10.2.3
        return Attempt(
            False, str(status), f"POST {url} answered {status} {response.reason or ''}".rstrip(), retry_after
        )
    finally:
        response.close()
