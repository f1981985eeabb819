"""Our own site: whether an item's link is one of our pages, and the address of a page as the watch compares it.

The watch never reports our own pages as coverage of our releases: an item linking to our site (`is_own_url`: the
site's host, with its port when the base URL names one, and the configured own domains with their subdomains)
matches nothing, and an item linking to a release's permalink or canonical link (`url_key` compares them) is not
that release's coverage; either reached through a redirect wrapper or with tracking parameters
(`feeds.articles.article_link`) too. Host names compare lower case, IDNA-encoded, without "www." or a final dot, and
every link is read as a browser reads it (`feeds.articles.as_read`): `https://evil.example\\@press.example.org/`
leads to evil.example, and `https://%70ress.example.org/` to press.example.org.

What this module must not do: resolve names, fetch, or read settings: it works on the strings it is given.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable
from urllib.parse import urlsplit

from feeds.articles import article_link, as_read, host_key, is_wrapped


@functools.lru_cache(maxsize=4096)  # pure; asked for the same few own domains with every item
def _host(url: str) -> str:
    """The host of an absolute URL, lower case, IDNA-encoded, without "www." or a final dot ("" if none)."""
    try:
        return host_key(urlsplit(url.strip()).hostname)
    except ValueError:
        return ""


EXACT = "="
"""Prefix of an `own_domains` entry that is one site, not a domain: `=host` (with or without "www."), or
`=host|port` when the site's address names its port. Other entries are domains: the host and its subdomains."""


def is_own_url(url: str | None, own_domains: Iterable[str]) -> bool:
    """Whether `url` is on our own site: one of the `=` entries of `own_domains` (`EXACT`), or a domain entry (a
    host name or a URL) or one of its subdomains."""
    if not url:
        return False
    # Our page reached through a redirect wrapper, or the Google AMP cache, is ours (`article_link` unwraps a few
    # wrappers, never more: a link nested deeper is the wrapper's), and so is a wrapper on our own site.
    read = as_read(url)
    if not is_wrapped(read):  # (nearly every link: its article's link has the same host)
        return _on_own_site(read, own_domains)
    return any(_on_own_site(u, own_domains) for u in (article_link(read), read))


def _same_site(a: str, b: str) -> bool:
    """Whether two URLs are written with the same scheme and authority (and so have the same `_host`)."""
    return a.split("/", 3)[:3] == b.split("/", 3)[:3]


def _on_own_site(url: str, own_domains: Iterable[str]) -> bool:
    host = _host(url)
    if not host:
        return False
    for domain in own_domains:
        if domain.startswith(EXACT):
            own, _, port = domain[len(EXACT) :].partition("|")
            if host == own and (not port or str(_port(url)) == port):
                return True
            continue
        own = _host(domain if "//" in domain else f"//{domain.strip()}")
        if own and (host == own or host.endswith("." + own)):
            return True
    return False


def own_site(url: str) -> str:
    """The `EXACT` entry for the site at `url`: its host, and its port when `url` writes one."""
    host = _host(url if "//" in url else f"//{url.strip()}")
    if not host:
        return ""
    try:
        written = urlsplit(url.strip()).port if "//" in url else None
    except ValueError:
        written = None
    return f"{EXACT}{host}|{written}" if written else f"{EXACT}{host}"


def _port(url: str) -> int | None:
    """The port of an absolute URL, the scheme's default when none is written."""
    try:
        parts = urlsplit(url.strip())
        return parts.port or {"http": 80, "https": 443}.get(parts.scheme.lower())
    except ValueError:
        return None


def url_key(url: str) -> str:
    """An absolute URL reduced so that trivially different spellings compare equal: the host as `_host` gives
    it, the path without a trailing slash, the query; no scheme, port or fragment. "" when it has no host. It is
    the address of the article (`article_link`): a wrapper's target, without tracking parameters or AMP marks."""
    target = article_link(url)
    host = _host(url if _same_site(target, url) else target)  # (the host of `url` is known already, most often)
    if not host:
        return ""
    parts = urlsplit(target.strip())
    return f"{host}{parts.path.rstrip('/')}" + (f"?{parts.query}" if parts.query else "")
