"""Google's redirect links read as the addresses they lead to: `https://www.google.com/url?q=https://…&sa=D&usg=…`
is how Google Docs writes every link of a document it exports, and how an address copied out of a Doc, or out of
a message Gmail showed, arrives in a release (a link's target, its text, a Markdown or plain-text body). The
reader is sent where the author meant, not through Google's tracking of the click.

What this module must not do: follow, fetch or check any address (only the `q` parameter is read), or unwrap
another site's redirect (their parameters mean what each site decides).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

__all__ = ["google_target", "unwrap_google_redirects"]

_GOOGLE_HOSTS = frozenset({"www.google.com", "google.com"})
# What a target may not hold to be written in a text's place: white space, and what would end the address or a
# Markdown link around it early (brackets, quotation marks).
_NOT_IN_TEXT = re.compile(r"[\s<>()\[\]\"'`\\]")


def google_target(url: str) -> str | None:
    """The address a Google redirect leads to (its `q`, an http(s) or mailto: URL), None for any other URL."""
    if "google." not in url:
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.hostname not in _GOOGLE_HOSTS or parts.path != "/url":
        return None
    target = next(iter(parse_qs(parts.query).get("q", ())), "").strip()
    if target.lower().startswith("mailto:") and len(target) > 7:
        return target
    try:
        meant = urlsplit(target)
    except ValueError:
        return None
    return target if meant.scheme in ("http", "https") and meant.netloc and not re.search(r"\s", target) else None


# A redirect written as text: up to white space or what cannot be in it unescaped in a text (`&` may be `&amp;`).
_REDIRECT = re.compile(r"https?://(?:www\.)?google\.com/url\?[^\s<>()\[\]\"'`]+", re.IGNORECASE)
_TRAILING = ".,;:!?"


def unwrap_google_redirects(text: str) -> str:
    """`text` (plain text or Markdown) with each Google redirect written in it as the address it leads to; a
    full stop or comma after one stays text, and a target that could not stand in its place (a space or a
    bracket in it) leaves the redirect as it was."""
    if "google." not in text.lower():
        return text

    def meant(match: re.Match[str]) -> str:
        written = match[0]
        url = written.rstrip(_TRAILING)
        target = google_target(url.replace("&amp;", "&"))
        if target is None or _NOT_IN_TEXT.search(target):
            return written
        return target + written[len(url) :]

    return _REDIRECT.sub(meant, text)
