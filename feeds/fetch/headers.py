"""Caching and content headers read as data (pure): `Retry-After` (RFC 9110 §10.2.3), freshness from
`Cache-Control` / `Expires` (RFC 9111 §4.2, §5.2), validators worth sending back (RFC 9110 §8.8.3) and the
media type and charset of `Content-Type`.

Every function takes the header values and `now` as arguments, so each is tested table-driven. The caps
(`FRESHNESS_CAP`, `RETRY_AFTER_CAP`) are here so a misconfigured server cannot silence a feed for long.

What this module must not do: any I/O, read the clock (`now` is passed in), or raise on a malformed header (an
unreadable value is None: a server's mistake is not ours to crash on).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime

FRESHNESS_CAP = timedelta(hours=24)
RETRY_AFTER_CAP = timedelta(days=7)


def _http_date(value: str) -> datetime | None:
    try:
        parsed = parsedate_to_datetime(value.strip())
        # HTTP dates are always GMT (RFC 9110 §5.6.7); a zone-less parse means "-0000", i.e. UTC.
        return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
    except (TypeError, ValueError, IndexError, OverflowError):  # a year 99999999999999999999 overflows
        return None


def parse_retry_after(value: str, now: datetime, *, date: str | None = None) -> datetime | None:
    """Retry-After (RFC 9110 §10.2.3) as an absolute time: delay-seconds or an HTTP-date.

    An HTTP-date is on the server's clock, as is the response's `Date` (RFC 9110 §6.6.1): when that is readable,
    the wait is their difference, so a server's clock an hour behind ours (or ours stepped ahead) is not asked
    again at once (as Expires is read against Date, RFC 9111 §4.2.1). A date in the past means "now"; anything
    beyond `now` + 7 days is capped; an unreadable value is None.
    """
    text = value.strip()
    if text.isascii() and text.isdigit():
        return now + min(timedelta(seconds=_digits(text)), RETRY_AFTER_CAP)
    when = _http_date(text)
    if when is None:
        return None
    sent = _http_date(date) if date is not None else None
    wait = when - (sent or now)
    return now + min(max(wait, timedelta(0)), RETRY_AFTER_CAP)


def _lower_headers(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> dict[str, str]:
    items = headers.items() if isinstance(headers, Mapping) else headers
    return {k.lower(): v for k, v in items}


def _cache_control(value: str) -> dict[str, str | None]:
    directives: dict[str, str | None] = {}
    for part in value.split(","):
        name, sep, arg = part.strip().partition("=")
        if name:
            directives.setdefault(name.strip().lower(), arg.strip().strip('"') if sep else None)
    return directives


def _seconds(value: str | None) -> int | None:
    return _digits(value) if value is not None and value.isascii() and value.isdigit() else None


def _digits(text: str) -> int:
    """ASCII digits as a number, at most 12 of them (more than 31,000 years of seconds: anything longer is capped
    anyway, and an endless string is not read), counted after any leading zeros ("0600" is 600)."""
    return int(text.lstrip("0")[:12] or "0")


def freshness(headers: Mapping[str, str] | Iterable[tuple[str, str]], now: datetime) -> datetime | None:
    """Until when a response stays fresh (RFC 9111 §4.2), capped at `now` + 24 h; None if not fresh at all.

    no-store / no-cache mean "check every time" (§5.2.2.4, §5.2.2.5). max-age is the lifetime; s-maxage is not
    ours to honour (§5.2.2.10: it is for shared caches, which the origin can purge when it publishes, as its CDN):
    a feed served with `max-age=60, s-maxage=86400` was checked once a day, its news found up to a day late.
    Without max-age, Expires minus Date (or minus `now`) is the lifetime (§4.2.1). The Age header is subtracted
    (§4.2.3).
    """
    h = _lower_headers(headers)
    cc = _cache_control(h.get("cache-control", ""))
    if "no-store" in cc or "no-cache" in cc:
        return None
    lifetime: timedelta | None = None
    seconds = _seconds(cc.get("max-age"))
    if seconds is not None:
        lifetime = timedelta(seconds=min(seconds, int(FRESHNESS_CAP.total_seconds()) + 1))
    elif "expires" in h:
        expires = _http_date(h["expires"])
        if expires is None:
            return None  # an invalid Expires (e.g. "0") means already expired (§5.3)
        lifetime = expires - (_http_date(h.get("date", "")) or now)
    if lifetime is None:
        return None
    lifetime -= timedelta(seconds=_seconds(h.get("age", "").strip()) or 0)
    if lifetime <= timedelta(0):
        return None
    return now + min(lifetime, FRESHNESS_CAP)


def validator(value: str | None) -> str | None:
    """An ETag or Last-Modified worth sending back: short, visible ASCII (RFC 9110 §8.8.3, §5.6.7). Anything else
    (control characters, kilobytes of junk) is not stored, so never echoed to the server in the next request."""
    if value is None or len(value) > 1024 or not value.isascii() or not value.isprintable():
        return None
    return value


def media_type(value: str | None) -> tuple[str | None, str | None]:
    if not value:
        return None, None
    media, *params = value.split(";")
    charset = None
    for param in params:
        name, _, arg = param.partition("=")
        if name.strip().lower() == "charset":
            charset = arg.strip().strip('"') or None
    return media.strip().lower() or None, charset
