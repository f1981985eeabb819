"""What a fetch returns: `Fetched`, `NotModified` or `FetchFailed` (a `FetchResult`), and the `Validators` sent
back on the next conditional GET.

Frozen records handed across the package's boundary (the watch poll, the remote release source, discovery), so
that a caller never holds a `requests.Response` or an open connection. Validators are only set on `Fetched`,
from a 2xx answer: the validators of an error page are never stored.

What this module must not do: any I/O, or import the rest of the package (it is the leaf everything else uses).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from feeds.errors import FetchError


@dataclass(frozen=True, slots=True)
class Validators:
    etag: str | None = None
    last_modified: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class Fetched:
    url: str
    """Final URL, after redirects."""
    requested_url: str
    status: int
    body: bytes
    """Decoded (gunzipped) bytes, at most `HttpSettings.max_bytes`."""
    sha256: str
    """Of `body`, in hex: how a caller recognises a body it has read before (servers without validators)."""
    content_type: str | None
    """Media type without parameters, lower-case (`application/atom+xml`)."""
    encoding: str | None
    """The `charset` parameter of Content-Type, if any."""
    validators: Validators
    fetched_at: datetime
    fresh_until: datetime | None
    """Do not check again before this (Cache-Control / Expires, capped at 24 h); None: no lower bound."""
    permanent_redirect: str | None
    """The final URL if every hop was 301/308, else None."""
    headers: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class NotModified:
    url: str
    requested_url: str
    fetched_at: datetime
    fresh_until: datetime | None
    permanent_redirect: str | None


@dataclass(frozen=True, slots=True, kw_only=True)
class FetchFailed:
    url: str
    """Where it failed (the last hop reached)."""
    requested_url: str
    error: FetchError
    status: int | None = None
    """The HTTP status when the server answered; None for network, guard and size failures."""
    retry_after: datetime | None = None
    """From Retry-After on 429/503, capped at fetched_at + 7 days."""
    gone: bool = False
    """410 Gone: the resource was removed on purpose."""
    fetched_at: datetime
    permanent_redirect: str | None = None
    """Set only when the (failing) final answer came from the end of an all-301/308 chain."""


FetchResult = Fetched | NotModified | FetchFailed
