"""Who may read what across origins, and the answers to OPTIONS.

The published site (out/) is public and read-only: every answer from it carries `Access-Control-Allow-Origin: *`
so that web-based feed readers and a press office's own JavaScript widgets can fetch the feeds, the OPML and the
JSON views from another origin, and exposes `ETag` (not a CORS-safelisted response header) so their conditional
requests work. No credentials are ever allowed (`*` forbids them): nothing under out/ depends on who asks.

The push API, /healthz and /metrics get no CORS headers at all: a browser on another origin is refused their
answers (and its preflight for a POST with `Authorization` fails), so a page cannot drive the API with a token
pasted into it, nor read the installation's status. They still answer a plain OPTIONS with their `Allow`.

What this module must not do: allow credentials, or reflect the request's `Origin` (the answer is the same for
every origin, so caches need no `Vary: Origin`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:  # (static.py imports this module)
    from feeds.web.static import Environ, StartResponse

PUBLIC = [("Access-Control-Allow-Origin", "*"), ("Access-Control-Expose-Headers", "ETag, Last-Modified, Content-Range")]
"""Sent with every answer from out/ (files, 304s, 404s, redirects)."""

_PREFLIGHT = [
    ("Access-Control-Allow-Methods", "GET, HEAD"),
    # (what a script sets to revalidate or resume by hand; the CORS-safelisted ones need no mention)
    ("Access-Control-Allow-Headers", "If-None-Match, If-Modified-Since, Cache-Control, Pragma, Range"),
    ("Access-Control-Max-Age", "86400"),
]


def options(environ: Environ, start_response: StartResponse, allow: str, *, public: bool) -> list[bytes]:
    """204 to an OPTIONS, with `Allow`; for a `public` path, to a preflight (an `Origin` and an
    `Access-Control-Request-Method`) also what it may send (`PUBLIC` itself is added by the static site to every
    answer). No `Content-Length`: a 204 has none (RFC 9110 §8.6)."""
    headers = [("Allow", allow)]
    if public and environ.get("HTTP_ORIGIN") and environ.get("HTTP_ACCESS_CONTROL_REQUEST_METHOD"):
        headers += _PREFLIGHT
    start_response("204 No Content", headers)
    return [b""]
