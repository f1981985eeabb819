"""POSTs to endpoints the operator configured (alert webhooks, WebSub hubs), through an injected session.

Not through `feeds.fetch.HttpClient`: that client is GET-only and refuses private addresses, while these targets
are chosen on purpose (often a bridge on the same host or network). Redirects are not followed (a POST must
not silently become a GET elsewhere). Any 2xx is success, its body never read; a 429/503 may say when to try
again (`Retry-After`, RFC 9110 §10.2.3). Of a refusal, the first bytes of a short plain-text or JSON answer are
quoted in the error (`answered 410 Gone: "channel_is_archived"`): the status alone does not say what to fix.

`outbound_session` is the session these POSTs use unless one is injected. It is a plain `requests` session (the
environment's proxies, `NO_PROXY`, `REQUESTS_CA_BUNDLE` and TLS checks as requests does them), except that a
connection made without a proxy looks its host name up on `feeds.fetch.Lookups`' threads, within the connect
timeout: `getaddrinfo` takes no timeout, and a DNS server that hung held the alerts job (and its deliveries'
leases) for as long as the resolver's own retries. Each address the lookup gives is then tried in turn, as urllib3
does, within what the lookup left of the connect timeout. Through a proxy nothing changes: the proxy resolves the
target.
"""

from __future__ import annotations

import json
import re
import socket
import sys
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar
from urllib.parse import urljoin, urlsplit

import requests
import urllib3
from requests.adapters import HTTPAdapter
from urllib3.exceptions import ConnectTimeoutError, NameResolutionError, NewConnectionError
from urllib3.util.connection import allowed_gai_family
from urllib3.util.timeout import _DEFAULT_TIMEOUT

from feeds.clock import rfc3339
from feeds.fetch import LOOKUPS, Lookups, LookupTimedOut, parse_address, parse_retry_after

Resolver = Callable[[str, int], Iterable[tuple[Any, ...]]]
"""`socket.getaddrinfo(host, port)`'s shape: tuples ending with the socket address; the family comes first."""


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
        if said := _answer_said(response, url):
            error += f": {said}"
        if 300 <= status < 400 and response.headers.get("Location"):
            # (shown as the URL itself is: a receiver that moved points to a URL with the secret in it as well)
            error += f" to {_redirect_target(url, response.headers['Location'])}: not followed, configure that URL"
        return PostResult(False, str(status), error, retry_after)
    finally:
        response.close()


ANSWER_READ = 512
"""The most bytes of a refusal's body read to quote it: a receiver's reason is a word or a sentence."""
ANSWER_SHOWN = 200
"""The most characters of it quoted in an error (a log line, a row of `feeds alerts log`)."""


def _answer_said(response: requests.Response, url: str) -> str | None:
    """The start of a refused POST's answer, quoted on one line (JSON string syntax: quotes and control characters
    escaped), when it reads as a reason: not empty, not markup (an HTML error page says nothing a status does not;
    Slack's bare `no_service` comes as text/html all the same), not binary. Without the URL's secret parts, in
    case the receiver echoes them. None when there is nothing to quote or the answer cannot be read in time."""
    kind = response.headers.get("Content-Type", "text/plain").split(";")[0].strip().lower()
    if not (kind.startswith("text/") or kind.endswith(("/json", "+json"))):
        return None
    try:  # one read, what it gives: a receiver trickling the rest would cost a read timeout per byte
        head = response.raw.read1(ANSWER_READ, decode_content=True)
    except (requests.RequestException, urllib3.exceptions.HTTPError, OSError, ValueError):
        return None
    text = " ".join(head.decode("utf-8", "replace").split())
    if not text or text.startswith("<") or "\ufffd" in text[:-1]:
        return None
    text = _without(url, text)
    for secret in _secret_parts(url):
        text = text.replace(secret, "…")
    if len(text) > ANSWER_SHOWN:
        text = text[: ANSWER_SHOWN - 1] + "…"
    return json.dumps(text, ensure_ascii=False)


def _secret_parts(url: str) -> list[str]:
    """The path segments `shown_url` hides (all but the first) and the query's values: a token among them may be
    echoed on its own."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return []
    segments = parts.path.lstrip("/").split("/")[1:]
    values = [v for _, _, v in (p.partition("=") for p in parts.query.split("&"))]
    return sorted((x for x in (*segments, *values) if len(x) >= 6), key=len, reverse=True)


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


# --- the session: proxies as requests does them, lookups bounded -------------------------------------------------


def _stream_addresses(host: str, port: int) -> list[tuple[Any, ...]]:
    """The addresses urllib3 would try for `host`, in getaddrinfo's order (IPv6 ones only where this host has it)."""
    return socket.getaddrinfo(host, port, allowed_gai_family(), socket.SOCK_STREAM)


def outbound_session(resolver: Resolver | None = None, *, lookups: Lookups | None = None) -> requests.Session:
    """A `requests.Session` for outbound POSTs whose direct connections look names up within the connect timeout.

    `trust_env` stays on: `HTTPS_PROXY`/`HTTP_PROXY`/`ALL_PROXY` and `NO_PROXY` choose a proxy as requests does,
    and a request through a proxy goes by requests' own proxy manager, untouched (the proxy resolves the target).
    `resolver` (default: `getaddrinfo` for TCP, as urllib3 asks it) and `lookups` (default: the process's,
    shared with the watch's fetches) are for tests."""
    session = requests.Session()
    adapter = BoundedLookupAdapter(resolver or _stream_addresses, lookups or LOOKUPS)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session


@dataclass(frozen=True, slots=True)
class SendReport:
    """What one round of a sender (WebSub pings, IndexNow) did: sent, failed, dropped (not tried again), pending.
    A sender's report names what it sends in `SENT` (`{n} hub pings sent`)."""

    SENT: ClassVar[str] = "{n} sent"
    sent: int = 0
    failed: int = 0
    dropped: int = 0
    pending: int = 0
    held: str | None = None
    """Why every pending one waits, while the endpoint fails (`{what} failing since {when}: {error}`: the same
    words for the whole outage, so the daemon's job that raises it logs one error line, not one per round)."""

    def summary(self) -> str:
        """One log line, or "" when nothing was attempted (so an idle tick logs nothing)."""
        if not (self.sent or self.failed or self.dropped):
            return ""
        return f"{self.SENT.format(n=self.sent)}, {self.failed} failed, {self.dropped} dropped, {self.pending} pending"


class Outage:
    """An endpoint a sender holds its pending ones for (WebSub's hub, IndexNow): since when it has failed, with
    its last error, until it answers again; what the sender's report says meanwhile (`SendReport.held`)."""

    def __init__(self) -> None:
        self.since: datetime | None = None
        self.error: str | None = None

    def failed(self, now: datetime, error: str | None) -> None:
        self.since = self.since or now
        self.error = error or "failed"

    def ended(self) -> None:
        self.since = self.error = None

    def held(self, what: str) -> str | None:
        """`{what} failing since {when}: {error}`, or None when it is not failing."""
        if self.since is None:
            return None
        return f"{what} failing since {rfc3339(self.since)}: {self.error}"


class OwnSession:
    """The outbound session a sender (WebSub pings, IndexNow) makes for itself when the App lends it none, made at
    its first use and closed by `close` (never the App's)."""

    def __init__(self) -> None:
        self._session: requests.Session | None = None

    def get(self) -> requests.Session:
        if self._session is None:
            self._session = outbound_session()
        return self._session

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None


class BoundedLookupAdapter(HTTPAdapter):
    """An `HTTPAdapter` whose direct connections (not a proxy's) resolve and connect through `_connect`.

    Only the socket is made differently: the pool stays keyed by the host name, so `Host`, SNI and the
    certificate's host name check are urllib3's own, and a kept-alive connection is reused as before."""

    def __init__(self, resolver: Resolver, lookups: Lookups, **kwargs: Any):
        self.resolver, self.lookups = resolver, lookups
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        # A new dict: urllib3's own is shared with every PoolManager, the proxy managers requests makes included.
        classes = {}
        for scheme, pool in self.poolmanager.pool_classes_by_scheme.items():
            connection = _bounded(pool.ConnectionCls, self.resolver, self.lookups)
            # (named as urllib3's: error messages name the pool class, and they read as they did before)
            classes[scheme] = type(pool.__name__, (pool,), {"ConnectionCls": connection})
        self.poolmanager.pool_classes_by_scheme = classes


def _bounded(connection: type[Any], resolver: Resolver, lookups: Lookups) -> type[Any]:
    class Bounded(connection):  # type: ignore[misc]
        def _new_conn(self) -> socket.socket:
            return _connect(self, resolver, lookups)

    Bounded.__name__ = Bounded.__qualname__ = connection.__name__  # (as error messages name it, see above)
    return Bounded


def _connect(conn: Any, resolver: Resolver, lookups: Lookups) -> socket.socket:
    """A socket connected for `conn` (a urllib3 connection), as urllib3's `_new_conn` makes it, except that the
    lookup runs on `lookups` within `conn.timeout` (the connect timeout) and each address in turn gets what is
    left of it. Raises urllib3's errors for each failure, which requests turns into a `ConnectionError`."""
    host, port, timeout = conn._dns_host, conn.port, conn.timeout
    seconds = float(timeout) if isinstance(timeout, int | float) else None
    started = time.monotonic()
    try:
        if parse_address(host) is not None:  # (an address literal: nothing to look up)
            infos = socket.getaddrinfo(host, port, 0, socket.SOCK_STREAM, 0, socket.AI_NUMERICHOST)
        elif seconds is None:
            infos = list(resolver(host, port))
        else:
            infos = lookups.run(lambda: list(resolver(host, port)), seconds)
    except LookupTimedOut as e:
        why = f"DNS lookup of {host} took longer than {seconds:g} s"
        if not e.started:
            why += f" (it could not start: all {lookups.threads} lookup threads are waiting for the DNS server)"
        raise NameResolutionError(conn.host, conn, socket.gaierror(why)) from None
    except socket.gaierror as e:
        raise NameResolutionError(conn.host, conn, e) from e
    except (OSError, UnicodeError) as e:
        raise NameResolutionError(conn.host, conn, socket.gaierror(f"DNS lookup of {host} failed: {e}")) from e
    error: OSError | None = None
    tried: list[Any] = []
    for info in infos:
        family, address = info[0], info[-1]
        if family not in (socket.AF_INET, socket.AF_INET6) or address in tried:
            continue
        tried.append(address)
        left = None if seconds is None else seconds - (time.monotonic() - started)
        if left is not None and left <= 0:
            error = TimeoutError("timed out")
            break
        sock = socket.socket(family, socket.SOCK_STREAM)
        try:
            for option in conn.socket_options or ():
                sock.setsockopt(*option)
            if left is not None:
                sock.settimeout(left)
            elif timeout is not _DEFAULT_TIMEOUT:
                sock.settimeout(timeout)
            if conn.source_address:
                sock.bind(conn.source_address)
            sock.connect(address)
        except OSError as e:
            sock.close()
            error = e
            continue
        if left is not None:
            sock.settimeout(seconds)  # the TLS handshake, if any, gets the connect timeout as urllib3 gives it
        sys.audit("http.client.connect", conn, conn.host, conn.port)
        return sock
    if isinstance(error, TimeoutError):
        raise ConnectTimeoutError(conn, f"Connection to {conn.host} timed out. (connect timeout={timeout})")
    if error is None:
        raise NameResolutionError(conn.host, conn, socket.gaierror(f"DNS returned no address for {host}"))
    raise NewConnectionError(conn, f"Failed to establish a new connection: {error}") from error
