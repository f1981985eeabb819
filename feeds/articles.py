"""One news article under its many addresses: the link to publish for it, and the key that tells two copies apart.

A paper's "World" and "UK" feeds both carry the same story, often under addresses that differ only by what the
feed adds to count its readers (`?utm_source=rss`, `?at_medium=RSS`, `?CMP=`, `?ref=rss`), by scheme, a slash
at the end, its AMP version (`/amp/`, `?amp`, the Google AMP cache) or a redirect wrapper whose target is in the
address (`news.google.com/…?url=`, `feedproxy.google.com/…?url=`, `google.com/url?q=`). `article_link` is the
address readers are given: the wrapper's target, without tracking parameters and AMP; `article_key` is what two
copies of one article have in common (`feeds.publish.coverage` lists them as one entry, counts count it once).

The stored item keeps its link as the feed wrote it: both are worked out from it whenever they are needed, so a
wrapper or a tracking parameter recognised by a later version applies to every item already stored, with no
migration. A wrapper whose target is not in its address (`feedproxy.google.com/~r/…/~3/…`, a `news.google.com`
article token) is left as it is: finding its target would mean fetching it.

What this module must not do: import anything of feeds, fetch, resolve or guess: it works on the strings given.
"""

from __future__ import annotations

import contextlib
import functools
import re
from urllib.parse import parse_qsl, quote, unquote, urlsplit, urlunsplit

__all__ = ["article_key", "article_link", "as_read", "host_key", "is_wrapped", "item_article"]

_WRAPPERS = {
    "news.google.com": ("url",),
    "google.com": ("url", "q"),
    "feedproxy.google.com": ("url", "u"),
    "feeds.feedburner.com": ("url", "u"),
    "l.facebook.com": ("u",),
    "lm.facebook.com": ("u",),
    "bing.com": ("url",),
    "out.reddit.com": ("url",),
    "t.umblr.com": ("z",),
}
"""Redirecting hosts (without "www.") → the query parameters that may hold the target's address."""
_WRAPPER_PATHS = {"google.com": "/url"}
"""Hosts that redirect at one path only (`google.com/search?q=https://…` is a search for an address, no redirect)."""

_AMP_CACHE = re.compile(r"^/(?:amp/|c/)?(s/)?([^/]+\.[^/]+)(/.*)?$")
"""`www.google.com/amp/s/example.com/x` and `<x>.cdn.ampproject.org/c/s/example.com/x`: the page's address in
the path, `s/` when it is https."""

_TRACKING_PREFIXES = ("utm_", "at_", "itm_", "ns_", "pk_", "mtm_", "mc_", "_hs", "hsa_")
_TRACKING = frozenset(
    (
        "cmp", "cmpid", "fbclid", "gclid", "dclid", "msclkid", "ocid", "xtor", "wt.mc_id", "mkt_tok", "_ga", "igshid",
        "smid", "ito", "traffic_source", "__twitter_impression",
    )
)  # fmt: skip
"""Query parameters (lower case) that say who sent the reader or that it is the AMP page, never which page."""
_TRACKING_VALUES = {"ref": ("rss", "feed", "feeds", "rss2", "atom"), "src": ("rss", "feed"), "rss": ("1", "")}
"""Parameters that track only with these values (`?ref=rss`; `?ref=42` may name the page)."""
_AMP_VALUES = {"amp": None, "outputtype": ("amp",)}


def _tracking(name: str, value: str) -> bool:
    low = name.lower()
    if low in _TRACKING_VALUES:
        return value.lower() in _TRACKING_VALUES[low]
    if low in _AMP_VALUES:
        allowed = _AMP_VALUES[low]
        return allowed is None or value.lower() in allowed
    return low in _TRACKING or low.startswith(_TRACKING_PREFIXES)


def host_key(netloc_host: str | None) -> str:
    """A URL's host name as two spellings of one host compare: lower case, IDNA-encoded (a full-width spelling
    read as browsers read it), without "www." or a final dot ("" for none)."""
    host = (netloc_host or "").rstrip(".").lower()
    if not host.isascii():  # (`ｐａｐｅｒ。example` is paper.example, as browsers read it)
        with contextlib.suppress(UnicodeError):
            host = host.encode("idna").decode("ascii").lower()
    return host.removeprefix("www.")


_WEB_START = re.compile(r"[\x00-\x20]*(https?):[/\\]*", re.IGNORECASE)
_AUTHORITY_END = re.compile(r"[/\\?#]")
_NOT_IN_HOST = re.compile(r"[\x00-\x20%/:<>?@\[\\\]^|#\x7f]")
"""What a host decoded from percent-escapes may not hold (the URL Standard's forbidden domain code points)."""
_READ_ALIKE = re.compile(r"[Hh][Tt][Tt][Pp][Ss]?://[^\x00-\x20@%/\\?#]+(?:[/?#][^\x00-\x20\\]*)?")
"""A link that `as_read` gives back as it is: no user name, percent-escape or backslash in its host, no tab, line break
or other control and no backslash after it."""
_WRAPPER_HINTS = ("google", "feedburner", "facebook", "bing", "reddit", "umblr", "ampproject")
"""Found in every ASCII link `_unwrapped` may unwrap, lower-cased (the hosts of `_WRAPPERS` and the AMP caches)."""


def as_read(url: str) -> str:
    """`url`, an http(s) URL, as a browser reads it (the WHATWG URL Standard) where Python's `urlsplit` reads it
    otherwise: tabs and line breaks left out, a backslash before the query a slash (`https://evil.example\\@paper.
    example/` leads to evil.example, not to the paper), no user name or password before the host (`https://paper.
    example@evil.example/` leads to evil.example too, and only looks like the paper's), a percent-encoded host
    decoded (`%70aper.example` is paper.example). Any other string, and a URL read alike both ways, is returned as
    it is (the same object)."""
    if "\t" in url or "\n" in url or "\r" in url:
        url = url.replace("\t", "").replace("\n", "").replace("\r", "")
    if _READ_ALIKE.fullmatch(url):
        return url  # (nearly every link: nothing a browser reads otherwise)
    start = _WEB_START.match(url)
    if start is None:
        return url
    rest = url[start.end() :]
    end = _AUTHORITY_END.search(rest)
    authority, tail = (rest[: end.start()], rest[end.start() :]) if end else (rest, "")
    cut = min((i for i in (tail.find("?"), tail.find("#")) if i >= 0), default=len(tail))
    tail = tail[:cut].replace("\\", "/") + tail[cut:]
    host = authority.rpartition("@")[2]
    if "%" in host:
        name, colon, port = host.rpartition(":") if host.rpartition(":")[2].isdigit() else (host, "", "")
        with contextlib.suppress(UnicodeError):
            decoded = unquote(name, errors="strict")
            if decoded and not _NOT_IN_HOST.search(decoded):
                host = decoded.lower() + colon + port
    read = f"{start[1]}://{host}{tail}"
    return url if read == url else read


def is_wrapped(url: str) -> bool:
    """Whether `url` (as a browser reads it: `as_read`) is a redirect wrapper whose target its address holds: the
    only links whose `article_link` has another host (tracking parameters and AMP marks never change it)."""
    return _unwrapped(url) is not None


def _unwrapped(url: str) -> str | None:
    """The target of a redirect wrapper at `url` when its address holds it, else None."""
    low = url.lower()
    if url.isascii() and not any(hint in low for hint in _WRAPPER_HINTS):
        return None  # (most links; a host spelt in full-width letters is read below)
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    host = host_key(parts.hostname)
    if (host == "google.com" and parts.path.startswith("/amp/")) or host.endswith(".cdn.ampproject.org"):
        m = _AMP_CACHE.match(parts.path)
        if m and m[2]:
            return f"{'https' if m[1] else 'http'}://{m[2]}{m[3] or '/'}" + (f"?{parts.query}" if parts.query else "")
        return None
    names = _WRAPPERS.get(host)
    if names is None or _WRAPPER_PATHS.get(host, parts.path) != parts.path:
        return None
    for name, value in parse_qsl(parts.query, keep_blank_values=True):
        if name in names and re.match(r"https?://[^/?#\s]+", value, re.IGNORECASE):
            return value.strip()
    return None


_WRAPPED_AT_MOST = 3
"""Wrappers unwrapped around one link (Google News around a Google redirect around FeedBurner's: three): a link
wrapped deeper is published, and is its own article, as the last wrapper unwrapped (no news site nests further,
and unwrapping each would cost a pass over what is left of the link)."""


@functools.lru_cache(maxsize=1024)  # (pure; asked for the same item's link by matching, related terms and url_key)
def article_link(url: str) -> str:
    """The address of the article at `url` as readers should be given it: a redirect wrapper's target when its
    address holds it, without tracking parameters (`utm_*`, `at_*`, `CMP`, `?ref=rss`…) and without the marks of
    the AMP version (a path segment `amp`, `?amp`, `outputType=amp`); scheme, host, path, the other parameters
    (in their order) and the fragment as written, read as a browser reads them (`as_read`: no user name before the
    host, a backslash before the query a slash). Anything that is no absolute http(s) URL is returned as it is,
    and so is a URL with nothing to take out (an equal string: remembered, not always the same object)."""
    read = as_read(url)  # (where a browser goes: `evil.example\\@paper.example` is no page of the paper's)
    if read is url and "?" not in url and "amp" not in url.lower():
        return url  # (most links: no wrapper's target, no tracking parameters, no AMP mark)
    target = read
    for _ in range(_WRAPPED_AT_MOST):  # (a wrapper around a wrapper; never a loop, nor a cost growing with depth)
        inner = _unwrapped(target)
        if inner is None:
            break
        target = as_read(inner)
    try:
        parts = urlsplit(target)
    except ValueError:
        return url
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return url
    kept = [p for p in parts.query.split("&") if p and not _tracking(*_pair(p))] if parts.query else []
    path = parts.path
    segments = path.split("/")
    if "amp" in segments[2:] or ("amp" in segments[1:] and any(segments[2:])):  # (`/amp` alone is a page)
        path = "/".join(s for i, s in enumerate(segments) if i == 0 or s != "amp") or "/"
        if path.endswith("/") and not parts.path.endswith("/") and path != "/":
            path = path[:-1]
    query = "&".join(kept)
    if target is url and query == parts.query and path == parts.path:
        return url
    return urlunsplit((parts.scheme, parts.netloc, path, query, parts.fragment))


def _pair(param: str) -> tuple[str, str]:
    name, _, value = param.partition("=")
    with contextlib.suppress(ValueError):
        name, value = unquote(name), unquote(value)
    return name, value


def article_key(url: str) -> str:
    """What every copy of the article at `url` has in common: `article_link` without scheme, "www.", a final dot,
    default port, slash at the end of the path or fragment, its parameters sorted; the same for http and https.
    A string that is no absolute http(s) URL is its own key."""
    link = article_link(url.strip())
    try:
        parts = urlsplit(link)
        port = parts.port
    except ValueError:
        return url
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        return url
    host = host_key(parts.hostname).removeprefix("amp.")
    if port is not None and port != {"http": 80, "https": 443}[parts.scheme.lower()]:
        host = f"{host}:{port}"
    path = quote(unquote(parts.path), safe="/:@!$&'()*+,;=-._~").rstrip("/")
    query = "&".join(sorted(p for p in parts.query.split("&") if p))
    return f"//{host}{path}" + (f"?{query}" if query else "")


_WEB = re.compile(r"https?://[^/\s]+", re.IGNORECASE)


def item_article(feed_id: int, key: str, link: str | None, guid: str | None) -> str:
    """The article a watched item is a copy of: `url:<article_key>` of its link (else of its guid when that is a
    web address: the same guid in two feeds), so the copies one story has in several feeds, or under addresses
    that differ by tracking parameters or a wrapper, are one article; an item without either is one of its own,
    `item:<feed id>:<key>`."""
    address = link or (guid if guid and _WEB.match(guid) else None)
    return "url:" + article_key(address) if address else f"item:{feed_id}:{key}"
