"""feedparser's pure touches on text and state, for the fast path's walk (`feeds.watch.fastreader`): the xml:base
in force inside an element, whether content is base64, the last fixes feedparser makes to every text value, and the
unwrapping of Atom's xhtml `<div>`.

What this module must not do: I/O, or keep any state (`next_base` only caches its answers).
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Mapping
from functools import lru_cache

from feedparser.html import _cp1252  # type: ignore[import-untyped]
from feedparser.urls import _urljoin, make_safe_absolute_uri  # type: ignore[import-untyped]

__all__ = ["fix_text", "is_base64", "next_base", "unwrap_div"]

_C1 = re.compile("[\x80-\x9f]")
_C1_CHARS = tuple(map(chr, range(0x80, 0xA0)))


@lru_cache(maxsize=4096)
def next_base(current: str, given: str | None) -> str:
    """The xml:base in force inside an element (feedparser keeps only safe absolute URIs)."""
    target = given or current
    if current:
        return str(make_safe_absolute_uri(current, target) or current)
    return str(_urljoin(current, target))


def is_base64(attrs: Mapping[str, str], content_type: str) -> bool:
    if attrs.get("mode", "") == "base64":
        return True
    return not (content_type.startswith("text/") or content_type.endswith("+xml") or content_type.endswith("/xml"))


def fix_text(output: str) -> str:
    """feedparser's last touches on every text value: undo UTF-8 read as Latin-1, map C1 controls to cp1252."""
    if output.isascii():
        return output
    with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
        output = output.encode("iso-8859-1").decode("utf-8")
    return output.translate(_cp1252) if _has_c1(output) else output


def _has_c1(text: str) -> bool:
    """Whether `text` holds a C1 control character. On long text (article bodies), 32 searches for one character
    each (memchr) cost a seventh of the regular expression, which tests a class at every position."""
    if len(text) < 256:
        return _C1.search(text) is not None
    for c in _C1_CHARS:  # noqa: SIM110  (any() and its generator would cost more than the 32 searches)
        if c in text:
            return True
    return False


def unwrap_div(pieces: list[str]) -> list[str]:
    """Atom xhtml content: drop the one wrapping <div> when everything else sits inside it (RFC 4287 §3.1.1.3)."""
    while len(pieces) > 1 and not pieces[-1].strip():
        del pieces[-1]
    while len(pieces) > 1 and not pieces[0].strip():
        del pieces[0]
    if pieces and (pieces[0] == "<div>" or pieces[0].startswith("<div ")) and pieces[-1] == "</div>":
        depth = 0
        for piece in pieces[:-1]:
            if piece.startswith("</"):
                depth -= 1
                if depth == 0:
                    return pieces
            elif piece.startswith("<") and not piece.endswith("/>"):
                depth += 1
        return pieces[1:-1]
    return pieces
