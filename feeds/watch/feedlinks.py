"""Feed discovery in a web page: the feeds an HTML page announces with `<link rel="alternate">`.

Used to tell a person who gave a page's address where its feed is (`feeds.watch.discovery`, and the error
`feeds.watch.parse` raises for an HTML page).

What this module must not do: any I/O (it is handed the page's bytes), or read anything but the `<link>` and
`<base>` elements of the page's head.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import urljoin

from feeds.normalise.htmltext import text_after_last_tag
from feeds.normalise.text import collapse
from feeds.watch.feeditems import FEED_TITLE_CHARS, cut_text, http_link

__all__ = ["find_feed_links"]

_FEED_LINK_TYPES = frozenset({"application/rss+xml", "application/atom+xml", "application/feed+json"})


class _LinkFinder(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.base: str | None = None
        self.links: list[tuple[str, str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        found = {k: (v or "") for k, v in attrs}
        if tag == "base" and self.base is None and found.get("href"):
            self.base = found["href"].strip()
        elif tag == "link":
            rel = found.get("rel", "").lower().split()
            kind = found.get("type", "").lower().split(";")[0].strip()
            if "alternate" in rel and kind in _FEED_LINK_TYPES and found.get("href", "").strip():
                self.links.append((found["href"].strip(), collapse(found.get("title", "")), kind))


def find_feed_links(html: bytes, base_url: str) -> list[tuple[str, str, str]]:
    """(url, title, type) of each feed a web page announces with `<link rel="alternate" type="application/rss+xml">`
    (or atom+xml, feed+json), made absolute against the page's `<base href>` or `base_url`, in page order."""
    finder = _LinkFinder()
    page = html[:262_144].decode(_page_charset(html), "replace")  # feed links are in the head
    finder.feed(text_after_last_tag(page))
    finder.close()
    base = urljoin(base_url, finder.base) if finder.base else base_url
    out: dict[str, tuple[str, str, str]] = {}  # (by URL: each once, as first announced)
    for href, title, kind in finder.links:
        absolute = http_link(urljoin(base, href))
        if absolute and absolute not in out:
            out[absolute] = (absolute, cut_text(title, FEED_TITLE_CHARS), kind)
    return list(out.values())


def _page_charset(page: bytes) -> str:
    match = re.search(rb"""<meta[^>]+charset\s*=\s*["']?([\w-]+)""", page[:4096], re.IGNORECASE)
    name = match.group(1).decode("ascii") if match else "utf-8"
    try:
        "".encode(name)
    except LookupError:
        return "utf-8"
    return name
