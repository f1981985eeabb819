"""An address in the one form every part of feeds writes it in: a host in ASCII as DNS names it, a URL in URI form.

The site's own addresses (`site.base_url`, which a press office may write with an international host or path,
`https://пресса.example/новости/`) and the links copied from releases and watched feeds reach places that hold
ASCII only: a feed's ids and links (RFC 4287 ids are URIs), an HTTP header (`Location`, the `User-Agent`), a
page's `href`. Each writes the same form, so the address a page links is the one the feed's self link names.

What this module must not do: import anything of feeds (the config reads it), or resolve, fetch or guess a URL.
"""

from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

import idna

__all__ = ["absolute_uri", "dns_host", "public_link", "uri_form", "without_secrets"]


def dns_host(host: str) -> str:
    """`host` as DNS and requests name it: an international name (`Bücher.example`) in its `xn--` form, by IDNA
    2008 with the UTS #46 mapping, as requests encodes it before connecting and browsers show it (Python's own
    `idna` codec is IDNA 2003, which reads "straße" as "strasse", another domain). An ASCII host is returned as it
    is. Raises ValueError for a name no request could be sent to (`☃.example`: a symbol is no letter of a host
    name)."""
    if host.isascii():
        return host
    return idna.encode(host, uts46=True).decode("ascii")  # (idna.IDNAError is a ValueError)


# RFC 3986 unreserved + reserved, but for '[' and ']', which delimit an IPv6 host and nothing else (§3.2.2): in a path
# or query they are not URI characters, and the W3C validator refuses such a link. '%' kept for existing escapes.
URI_SAFE = "-._~:/?#@!$&'()*+,;=%"
STRAY_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_C0_OR_SPACE = "".join(map(chr, range(0x21)))
_NOT_IN_URL = re.compile(r"[\t\r\n]")
PLAIN_URL = re.compile(r"https?://[a-z0-9.-]+(?::\d+)?(?:/[A-Za-z0-9\-._~:/?#@!$&'()*+,;=]*)?")
"""An absolute http(s) URL already in URI form, its host in lowercase: the common case, given back as it is."""


def absolute_uri(value: str, where: str) -> str:
    """`value`, an absolute http(s) URL, in URI form (RFC 3987 §3.1): its host by `dns_host`, what a URI may not
    contain percent-encoded (a space, a character other than ASCII as its UTF-8 bytes, a `%` that starts no
    escape). Raises ValueError naming `where` when it is no absolute http(s) URL or its host no name."""
    if PLAIN_URL.fullmatch(value):  # the common case: already a plain URI, nothing to encode
        return value
    given = value
    # As `urlsplit` and browsers read it: controls and spaces before it, tabs and line breaks anywhere left out
    # (counting the netloc's length in the string as given wrote `https://a.example<TAB>b/` as `a.examplebb`).
    value = _NOT_IN_URL.sub("", value.lstrip(_C0_OR_SPACE).rstrip())
    parts = urlsplit(value)
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise ValueError(f"{where}: {given!r} is not an absolute http(s) URL")
    netloc = parts.netloc
    if not netloc.isascii():
        userinfo, at, hostport = netloc.rpartition("@")
        host, colon, port = hostport.partition(":")
        try:
            netloc = userinfo + at + dns_host(host) + colon + port
        except ValueError as e:
            raise ValueError(f"{where}: {given!r} has an invalid host name") from e
    rest = value[len(parts.scheme) + 3 + len(parts.netloc) :]
    return f"{parts.scheme.lower()}://{netloc}{quote(STRAY_PERCENT.sub('%25', rest), safe=URI_SAFE)}"


def uri_form(value: str) -> str | None:
    """`value` in URI form (`absolute_uri`), or None when it is no absolute http(s) URL: for the links of the HTML
    pages, which must hold no character a URL may not (a `"`, a space), as the feeds' do, and for HTTP headers."""
    try:
        return absolute_uri(value, "link")
    except ValueError:
        return None


def without_secrets(url: str) -> str:
    """`url` as messages may show it: a password replaced by `***`, in the user part or in the query string
    (`?password=`, `api_key=`, `access_token=`…: `_secret_name`), even in a URL that is not valid (an @ in the
    password not written %40: up to the last @ before the path is hidden). The URL to fetch stays the configured
    one."""
    shown = _PASSWORD.sub(r"\1***@", url)
    if _SECRET_HINT.search(shown) is None:
        return shown
    return _PARAM.sub(lambda m: f"{m[1]}{m[2]}=***" if _secret_name(m[2]) else m[0], shown)


def public_link(url: str) -> str:
    """`url` as the site may publish it for readers to follow (a matched item's link in the match feeds and on a
    release page): each secret query parameter (`_secret_name`), and each whose value is an email address (a
    personalised feed's subscriber, `?email=jane%40example.com`: personal data), removed with its `&` (a `***` in
    its place would make a link that no server reads), and a password before the `@` removed with its user name.
    The fragment and every other parameter stay as written. A URL holding neither is returned as it is, the same
    object: the common case costs one or two searches of compiled patterns and nothing else. It must not be used
    for an id or a key: those are made from the URL as stored (`feeds.publish.coverage`)."""
    head, hash_, fragment = url.partition("#")
    base, question, query = head.partition("?")
    password = _PASSWORD.search(base) is not None
    secret = _SECRET_HINT.search(query) is not None and any(_secret_name(p.partition("=")[0]) for p in _pairs(query))
    address = ("@" in query or "%40" in query) and any(_an_address(p.partition("=")[2]) for p in _pairs(query))
    if not password and not secret and not address:
        return url
    kept = "&".join(p for p in query.split("&") if not ("=" in p and _private(*p.split("=", 1))))
    return _PASSWORD.sub("//", base) + (question + kept if kept else "") + hash_ + fragment


def _private(name: str, value: str) -> bool:
    return _secret_name(name) or _an_address(value)


_ADDRESS_VALUE = re.compile(r"(?:mailto:)?[^\s@/?#&=]+(?:@|%40)[\w-]+(?:\.[\w-]+)+", re.IGNORECASE)
"""A query value that is an email address, `@` written as it is or as `%40`."""


def _an_address(value: str) -> bool:
    return _ADDRESS_VALUE.fullmatch(value) is not None


def _secret_name(name: str) -> bool:
    """Whether a query parameter named `name` holds a secret: a name with `password`, `secret` (`sslpassword`,
    `client_secret`) in it, or one that is `key` or `token`, alone or after a separator or a prefix that says
    whose (`api_key`, `apiKey`, `access_token`, `passkey`); `keyword`, `monkey` or `tokens` are not."""
    return _SECRET_NAME.search(name) is not None


def _pairs(query: str) -> list[str]:
    return [p for p in query.split("&") if "=" in p]


_PASSWORD = re.compile(r"(//[^/@:]*:)[^/]*@")
_SECRET_HINT = re.compile("password|passwd|pwd|secret|token|key", re.IGNORECASE)
"""A cheap first test: no parameter can be a secret's without one of these words in the URL."""
_SECRET_NAME = re.compile(
    r"password|passwd|pwd|secret|(?:^|[_.\-]|api|access|auth|client|private|pass|session|refresh|bearer)(?:key|token)$",
    re.IGNORECASE,
)
_PARAM = re.compile(r"([?&])([^=&#]*)=[^&#]*")
