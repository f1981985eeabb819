"""Who may push, and how often: the push API's Bearer token and its per-client rate limit.

Security: the token is compared in constant time on SHA-256 digests of both sides (so not even its length
leaks), and every wrong token gets the same answer. The handler (`feeds.web.api`) limits refused requests and
authenticated ones apart, in two buckets per client address of the one `RateLimiter`.

What this module must not do: read the request body, look at anything but the header it is given, or log
(the handler logs every refusal once).
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections import OrderedDict
from datetime import datetime

from feeds.clock import Clock
from feeds.web.replies import Reject

_REALM = 'Bearer realm="feeds"'
_HEADER = "Authorization"
"""The `field` of every refusal here: the header it is about, as the README says of every refusal's error."""


def authenticate(header: str | None, token: str) -> None:
    """RFC 6750 §2.1 `Authorization: Bearer <token>`; the scheme is case-insensitive (RFC 9110 §11.1)."""
    if not header or not header.strip():
        raise Reject(
            401,
            "authentication required: send Authorization: Bearer <token>",
            headers=[("WWW-Authenticate", _REALM)],
            field=_HEADER,
        )
    scheme, _, credentials = header.strip().partition(" ")
    credentials = credentials.strip()
    if scheme.lower() != "bearer" or not credentials or " " in credentials:
        raise Reject(
            401,
            "malformed Authorization header: expected Bearer <token>",
            headers=[("WWW-Authenticate", f'{_REALM}, error="invalid_request"')],
            field=_HEADER,
        )
    # WSGI hands headers over as latin-1 decoded text (PEP 3333): encoding back gives the bytes the client sent.
    try:
        sent = credentials.encode("latin-1")
    except UnicodeEncodeError:  # only from a non-conforming server; no token can match
        sent = b""
    given = hashlib.sha256(sent).digest()
    expected = hashlib.sha256(token.encode("utf-8")).digest()
    if not hmac.compare_digest(given, expected):
        # RFC 6750 §3.1: a token that is not valid is a 401 with error="invalid_token" (403 is for a valid token
        # without the scope), so that a client knows to renew its token rather than give up.
        raise Reject(
            401,
            "the token is not valid",
            headers=[("WWW-Authenticate", f'{_REALM}, error="invalid_token"')],
            field=_HEADER,
        )


class RateLimiter:
    """A token bucket per client: `per_minute` requests in a burst, refilled at `per_minute` / 60 per second.

    Time comes from the injected clock, so tests move a FixedClock instead of sleeping. At most `max_clients`
    buckets are kept, in the order their clients last asked: past that, the client that asked longest ago is
    forgotten (its bucket full again when it comes back), at a constant cost per request. Forgetting only idle
    clients once over the limit kept every bucket of a burst from many addresses (none idle yet) and looked
    through them all under the lock at every request.
    """

    def __init__(self, per_minute: int, clock: Clock, *, max_clients: int = 10_000):
        self.capacity = float(per_minute)
        self.rate = per_minute / 60.0
        self.clock = clock
        self.max_clients = max_clients
        self._buckets: OrderedDict[str, tuple[float, datetime]] = OrderedDict()
        self._lock = threading.Lock()

    def acquire(self, client: str) -> float:
        """Take a token: 0.0 when allowed, else the seconds until one will be available."""
        now = self.clock()
        with self._lock:
            tokens, at = self._buckets.pop(client, (self.capacity, now))
            tokens = min(self.capacity, tokens + max((now - at).total_seconds(), 0.0) * self.rate)
            if tokens >= 1.0:
                self._buckets[client] = (tokens - 1.0, now)
                wait = 0.0
            else:
                self._buckets[client] = (tokens, now)
                wait = (1.0 - tokens) / self.rate
            while len(self._buckets) > self.max_clients:
                self._buckets.popitem(last=False)
        return wait
