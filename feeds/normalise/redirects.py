"""Google's redirect links read as the addresses they lead to: `https://www.google.com/url?q=https://…&sa=D&usg=…`
is how Google Docs writes every link of a document it exports, and how an address copied out of a Doc, or out of
a message Gmail showed, arrives in a release (a link's target, its text, a Markdown or plain-text body). The
reader is sent where the author meant, not through Google's tracking of the click. So is Microsoft 365's "Safe
Links" wrapping (`https://eur02.safelinks.protection.outlook.com/?url=https%3A%2F%2F…&data=…&sdata=…`), which every
link of a message Outlook received carries, and so a release pasted into Outlook and saved as HTML: its `data`
names the recipient's e-mail address, and the wrapping stops working when the tenant's policy changes.

What this module must not do: follow, fetch or check any address (only Google's `q` and Safe Links' `url`
parameters are read), or unwrap another site's redirect (their parameters mean what each site decides).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

__all__ = ["google_target", "redirect_target", "unwrap_google_redirects", "unwrap_redirects"]

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
    return _meant(next(iter(parse_qs(parts.query).get("q", ())), ""))


def _meant(target: str) -> str | None:
    target = target.strip()
    if target.lower().startswith("mailto:") and len(target) > 7:
        return target
    try:
        meant = urlsplit(target)
    except ValueError:
        return None
    return target if meant.scheme in ("http", "https") and meant.netloc and not re.search(r"\s", target) else None


# Safe Links' hosts: `<region>.safelinks.protection.outlook.com`, and the US government clouds' own.
_SAFE_LINKS_HOST = re.compile(r"(?:[a-z0-9-]+\.)?safelinks\.protection\.(?:outlook\.com|office365\.us|apps\.mil)")


def redirect_target(url: str) -> str | None:
    """The address a Google redirect or a Safe Link leads to (an http(s) or mailto: URL), None for any other URL."""
    if "safelinks." not in url.lower():
        return google_target(url)
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if not _SAFE_LINKS_HOST.fullmatch(parts.hostname or ""):
        return None
    return _meant(next(iter(parse_qs(parts.query).get("url", ())), ""))


# A redirect written as text: up to white space or what cannot be in it unescaped in a text (`&` may be `&amp;`).
_REDIRECT = re.compile(r"https?://(?:www\.)?google\.com/url\?[^\s<>()\[\]\"'`]+", re.IGNORECASE)
_TRAILING = ".,;:!?"


def unwrap_google_redirects(text: str) -> str:
    """`text` (plain text or Markdown) with each Google redirect written in it as the address it leads to; a
    full stop or comma after one stays text, and a target that could not stand in its place (a space or a
    bracket in it) leaves the redirect as it was."""
    # (a redirect's address holds a "?", found by one `memchr`: most bodies are told so without lowering all of
    # them, ~11 k instructions, to look for "google.")
    if "?" not in text or "google." not in text.lower():
        return text
    return _REDIRECT.sub(_unwrapped, text)


# A Safe Link written as text (a link's text in an Outlook message: Outlook shows the address it delivered).
_SAFE_LINK = re.compile(
    r"https?://(?:[a-z0-9-]+\.)?safelinks\.protection\.[a-z0-9.]+/?\?[^\s<>()\[\]\"'`]+", re.IGNORECASE
)


def unwrap_redirects(text: str) -> str:
    """`text` with each Google redirect and each Safe Link written in it as the address it leads to, as
    `unwrap_google_redirects` does. For a web page's link texts (Safe Links are Outlook's: not looked for in
    plain-text and Markdown releases, which keep their one test)."""
    text = unwrap_google_redirects(text)
    return _SAFE_LINK.sub(_unwrapped, text) if "safelinks." in text.lower() else text


def _unwrapped(match: re.Match[str]) -> str:
    written = match[0]
    url = written.rstrip(_TRAILING)
    target = redirect_target(url.replace("&amp;", "&"))
    if target is None or _NOT_IN_TEXT.search(target):
        return written
    return target + written[len(url) :]
