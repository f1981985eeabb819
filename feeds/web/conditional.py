"""Conditional requests for the files `feeds serve` answers (RFC 9110 §13): whether a request's validators
(If-None-Match, If-Modified-Since, If-Match, If-Unmodified-Since) make its answer a 304 or a 412, given the file's
ETag and exact modification time.

What this module must not do: read the file or the clock (the caller gives the time), or answer the request.
"""

from __future__ import annotations

from datetime import UTC
from email.utils import parsedate_to_datetime
from typing import Any

__all__ = ["SECOND_NS", "not_modified", "precondition_failed"]

SECOND_NS = 1_000_000_000

Environ = dict[str, Any]


def not_modified(environ: Environ, etag: str, mtime_ns: int, now_ns: int) -> bool:
    """RFC 9110 §13.2.2: If-None-Match if sent, else If-Modified-Since, compared with the file's exact modification
    time. The date may be ours (Last-Modified, rounded up to the second) or, from a cache that got no
    Last-Modified, the Date of its response or when it received it (§13.1.3): truncating the modification time
    instead answered 304 to a date in the second of a change made after that response. A date after `now_ns`
    is ignored (RFC 7232 §3.3: invalid): from a clock running ahead, it answered 304 to every change until then."""
    inm = environ.get("HTTP_IF_NONE_MATCH")
    if inm is not None:
        # Weak comparison (RFC 9110 §13.1.2): W/"x" matches "x".
        tags = {t.strip().removeprefix("W/") for t in inm.split(",")}
        return "*" in tags or etag in tags
    since_ns = _date_ns(environ.get("HTTP_IF_MODIFIED_SINCE"))
    return since_ns is not None and since_ns <= now_ns and mtime_ns <= since_ns


def precondition_failed(environ: Environ, etag: str, mtime_ns: int) -> bool:
    """RFC 9110 §13.2.2 steps 1 and 2: If-Match (strong comparison: a weak tag never matches; `*` matches any file)
    if sent, else If-Unmodified-Since (ignored when unreadable)."""
    if_match = environ.get("HTTP_IF_MATCH")
    if if_match is not None:
        tags = {t.strip() for t in if_match.split(",")}
        return not ("*" in tags or etag in tags)
    since_ns = _date_ns(environ.get("HTTP_IF_UNMODIFIED_SINCE"))
    return since_ns is not None and mtime_ns > since_ns


def _date_ns(value: str | None) -> int | None:
    """An HTTP date in nanoseconds since the epoch, or None when absent or unreadable."""
    if not value:
        return None
    try:
        since = parsedate_to_datetime(value)
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        return int(since.timestamp()) * SECOND_NS
    except (TypeError, ValueError, IndexError, OverflowError):  # unreadable, or a year past datetime's
        return None
