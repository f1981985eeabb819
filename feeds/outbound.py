"""POSTs to endpoints the operator configured (alert webhooks, WebSub hubs), through an injected session.

Not through `feeds.fetch.HttpClient`: that client is GET-only and refuses private addresses, while these targets
are chosen on purpose (often a bridge on the same host or network). Redirects are not followed (a POST must
not silently become a GET elsewhere) and the response body is never read. Any 2xx is success; a 429/503 may
say when to try again (`Retry-After`, RFC 9110 §10.2.3).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import urljoin, urlsplit

import requests

from feeds.fetch import parse_retry_after


@dataclass(frozen=True, slots=True)
class PostResult:
    """What one POST did: `ok`, the status (`204`, `500`, or `error` when nothing answered) and why it failed."""

    ok: bool
    status: str
    error: str | None = None
    retry_after: datetime | None = None


def post_once(
    session: requests.Session,
    url: str,
    *,
    data: bytes | Mapping[str, str],
    headers: Mapping[str, str],
    timeout: tuple[float, float],
    now: datetime,
) -> PostResult:
    try:
        response = session.post(
            url, data=data, headers=dict(headers), timeout=timeout, allow_redirects=False, stream=True
        )
    except requests.RequestException as e:
        return PostResult(False, "error", f"POST {shown_url(url)}: {type(e).__name__}: {_without(url, str(e))}")
    try:
        status = response.status_code
        if 200 <= status < 300:
            return PostResult(True, str(status))
        retry_after = None
        if status in (429, 503) and "Retry-After" in response.headers:
            retry_after = parse_retry_after(response.headers["Retry-After"], now, date=response.headers.get("Date"))
        error = f"POST {shown_url(url)} answered {status} {response.reason or ''}".rstrip()
        if 300 <= status < 400 and response.headers.get("Location"):
            # (shown as the URL itself is: a receiver that moved points to a URL with the secret in it as well)
            error += f" to {_redirect_target(url, response.headers['Location'])}: not followed, configure that URL"
        return PostResult(False, str(status), error, retry_after)
    finally:
        response.close()


def _redirect_target(url: str, location: str) -> str:
    try:
        return shown_url(urljoin(url, location.strip()))
    except ValueError:
        return "(an unreadable URL)"


def shown_url(url: str) -> str:
    """`url` as logs and error messages may show it: scheme, host and first path segment only. Webhook URLs often
    carry their secret in the rest of the path (`/services/T0/B0/XXXX`), in the query (`?token=`) or as a
    user name and password; none of that may reach a log line or the deliveries table."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        host = f"[{host}]" if ":" in host else host  # an IPv6 address in a URL goes in brackets
        port = f":{parts.port}" if parts.port else ""
    except ValueError:
        return "(an unreadable URL)"
    first, _, rest = parts.path.lstrip("/").partition("/")
    tail = "/…" if rest or parts.query else ""
    return f"{parts.scheme}://{host}{port}/{first}{tail}"


def _without(url: str, text: str) -> str:
    """`text` (an exception's message) without the parts of `url` that `shown_url` hides.

    Masked as configured and as requests sends it: requests re-quotes the URL (non-ASCII as UTF-8 `%XX`, spaces,
    `|`, `"`, `{`), and urllib3's messages show that form (`…with url: /hooks/s%C3%A9cret…`), which the configured
    text does not match. Whatever follows urllib3's `with url: ` is hidden in any case, in case some other form
    of the path reaches it."""
    for form in _forms(url):  # (the configured form first)
        text = text.replace(form, shown_url(url))
        parts = urlsplit(form)
        for secret in (
            parts.path + (f"?{parts.query}" if parts.query else ""),
            parts.query,
            parts.password,
            parts.username,
        ):
            if secret and len(secret) > 1:
                text = text.replace(secret, "…")
    return _URLLIB3_URL.sub(r"\1…", text)


_URLLIB3_URL = re.compile(r"(with url: )\S+")
"""urllib3's "Max retries exceeded with url: <path and query> (Caused by …)": the path as it went on the wire."""


def _forms(url: str) -> list[str]:
    """`url` as configured and as requests prepares it for sending (when it can: an unusable URL stays as is)."""
    forms = [url]
    try:
        prepared = requests.Request("POST", url).prepare().url
    except (requests.RequestException, ValueError, UnicodeError):
        return forms
    if prepared and prepared != url:
        forms.append(prepared)
    return forms
