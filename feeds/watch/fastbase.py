"""What the fast path's walk (`feeds.watch.fastparse`) and its element rules (`feeds.watch.fastrules` and the
families it gathers: `fastcontent`, `fastpeople`, `fastextensions`) share: the exceptions that hand a document
back to feedparser, feedparser's content-type names, URL joining, and the generic rules that only open or close
an element on the stack.

What this module must not do: I/O, or hold any rule of a particular element (those live in the rule modules).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING

from feedparser.urls import _urljoin  # type: ignore[import-untyped]

if TYPE_CHECKING:
    from feeds.watch.fastparse import Reader

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


@lru_cache(maxsize=4096)
def resolve(base: str, uri: str) -> str:
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
