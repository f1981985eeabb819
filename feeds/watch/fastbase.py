"""What the fast path's walk (`feeds.watch.fastreader`) and its element rules (`feeds.watch.fastrules` and the
families it gathers: `fastcontent`, `fastpeople`, `fastextensions`) share: the exceptions that hand a document
back to feedparser, feedparser's content-type names, URL joining, and the generic rules that only open or close
an element on the stack.

What this module must not do: I/O, or hold any rule of a particular element (those live in the rule modules).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING

from feedparser.urls import _urljoin  # type: ignore[import-untyped]

if TYPE_CHECKING:
    from feeds.watch.fastreader import Reader

__all__ = [
    "HTML_TYPES",
    "XHTML",
    "Attrs",
    "Decline",
    "Fallback",
    "enforce_href",
    "map_type",
    "nothing",
    "pop_rule",
    "push_rule",
    "resolve",
]

HTML_TYPES = frozenset({"application/xhtml+xml", "text/html"})
XHTML = "application/xhtml+xml"
Attrs = dict[str, str]


class Decline(Exception):
    """The fast path cannot promise feedparser's result for this document."""


class Fallback(Exception):
    """An end handler met a state where feedparser's raises AttributeError, which feedparser answers by popping
    the element by name instead."""


_PCHARS = r"A-Za-z0-9._~!$&'()*+,=:@%/-"
_PLAIN_ABSOLUTE = re.compile(
    rf"https?://[A-Za-z0-9.-]+(?::[0-9]*)?(?:/[{_PCHARS}]*)?(?:\?[;?{_PCHARS}]+)?(?:#[;?#{_PCHARS}]+)?"
)
"""An absolute http(s) address that `urljoin` gives back as it is, whatever the base: a lower-case scheme (urljoin
would lower-case another), a plain host, no `;` in its path (a trailing one would be dropped as empty parameters),
no empty `?` or `#` (dropped), no white space or control character (stripped or removed)."""


@lru_cache(maxsize=4096)
def resolve(base: str, uri: str) -> str:
    """feedparser's joining of `uri` to `base` (its `_urljoin`). Most links in feeds are already absolute: those
    come back as they are without `urljoin` splitting and joining both (1,679 of the corpus's 2,730 joins; a
    worker's first reading of the corpus in 4.6% fewer instructions), unless the base itself could make urljoin
    fail (a bracketed or non-ASCII host: feedparser's join then gives ""). (Memoised still: the same address asked
    for twice is then the same string, which the answer's pickle writes once.)"""
    if _PLAIN_ABSOLUTE.fullmatch(uri) and base.isascii() and "[" not in base and "]" not in base:
        return str(uri)
    return str(_urljoin(base, uri))


_TYPE_NAMES = {"text": "text/plain", "plain": "text/plain", "html": "text/html", "xhtml": XHTML}


def map_type(content_type: str) -> str:
    content_type = content_type.lower()
    return _TYPE_NAMES.get(content_type, content_type)


def enforce_href(attrs: dict[str, str]) -> dict[str, str]:
    href = attrs.get("url", attrs.get("uri", attrs.get("href")))
    if href:
        attrs.pop("url", None)
        attrs.pop("uri", None)
        attrs["href"] = href
    return attrs


def push_rule(element: str, expecting_text: bool) -> Callable[[Reader, Attrs], None]:
    """A handler that only opens `element` on the stack (what matters of it to the fields we read)."""

    def start(r: Reader, attrs: Attrs) -> None:
        r.push(element, expecting_text)

    return start


def pop_rule(element: str) -> Callable[[Reader], None]:
    def end(r: Reader) -> None:
        r.pop(element)

    return end


def nothing(r: Reader, attrs: Attrs) -> None:
    """Handlers whose effects never reach the fields we read and that open nothing on the stack."""
