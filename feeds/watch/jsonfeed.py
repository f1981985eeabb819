"""JSON Feed 1.0 and 1.1 (https://jsonfeed.org/version/1.1), read into typed records: feedparser cannot read JSON.

The reader is tolerant in the way feed readers must be: a field of the wrong type is ignored rather than fatal,
a numeric `id` becomes a string (the 1.1 spec asks publishers for strings but readers meet numbers), the 1.0
`author` object and the 1.1 `authors` array are both read, as is 1.1's `language` (the feed's and an item's), and
dates are kept as written: the spec asks for RFC 3339, but hand-rolled generators write RFC 822, month names or
Unix seconds, which `feeds.watch.feeditems` reads as it reads RSS and Atom dates, in the item's language. It is
strict only where the document is not a JSON Feed at all: not JSON, not an object, or neither a JSON Feed
`version` nor an `items` array — then `FeedParseError`.

What this module must not do: any I/O, HTML handling (sanitising is `feeds.watch.parse`'s job) or guessing.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from feeds.errors import FeedParseError

__all__ = ["JsonFeed", "JsonFeedItem", "read_json_feed"]

# JSON may escape a lone surrogate (`"\ud800"`), which Python keeps in the string but cannot encode (hashing or
# storing the item raised UnicodeEncodeError). An escaped backslash is matched first, so `\\ud800` is text.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")
_ESCAPE = re.compile(
    r"\\\\|\\u[dD][89abAB][0-9a-fA-F]{2}(?:\\u[dD][c-fC-F][0-9a-fA-F]{2})?|\\u[dD][c-fC-F][0-9a-fA-F]{2}"
)


def _lone_surrogates_replaced(text: str) -> str:
    """JSON text with each escaped lone surrogate written as U+FFFD, as a decoder shows it; pairs kept."""
    if _SURROGATE_ESCAPE.search(text) is None:
        return text

    def replace(m: re.Match[str]) -> str:
        escape = m.group()
        return escape if len(escape) in (2, 12) else "\\ufffd"

    return _ESCAPE.sub(replace, text)


_VERSION_PREFIXES = ("https://jsonfeed.org/version/", "http://jsonfeed.org/version/")


@dataclass(frozen=True, slots=True)
class JsonFeedItem:
    id: str | None
    url: str | None
    external_url: str | None
    title: str | None
    content_html: str | None
    content_text: str | None
    summary: str | None
    published: str | int | float | None
    """`date_published` as written (`feeds.watch.itemdates.json_date` reads it, as it reads an RSS item's date)."""
    modified: str | int | float | None
    """`date_modified` as written, read the same way."""
    authors: tuple[str, ...]
    tags: tuple[str, ...]
    language: str | None = None
    """The item's own 1.1 `language`, as written (`feeds.watch.itemlanguage.language_tag` reads it)."""


@dataclass(frozen=True, slots=True)
class JsonFeed:
    version: str
    title: str | None
    home_page_url: str | None
    feed_url: str | None
    items: tuple[JsonFeedItem, ...]
    warning: str | None = None
    """Set when the document bends the spec but could be read (no version, items that are not objects…)."""
    language: str | None = None
    """The feed's 1.1 `language` (its items' unless they give their own), as written."""


def read_json_feed(body: bytes, *, url: str) -> JsonFeed:
    """Parse a JSON Feed document; `url` only names the resource in errors."""
    try:
        text = body.decode("utf-8-sig")  # RFC 8259 §8.1: JSON exchanged between systems is UTF-8
    except UnicodeDecodeError as e:
        raise FeedParseError(f"this looks like JSON but is not UTF-8 text ({e.reason})", url=url) from e
    try:
        doc = json.loads(_lone_surrogates_replaced(text))
    except RecursionError as e:
        raise FeedParseError("this JSON nests too deeply to be a feed", url=url) from e
    except ValueError as e:
        raise FeedParseError(f"this is not valid JSON ({e})", url=url) from e
    if not isinstance(doc, dict):
        raise FeedParseError("this is JSON, but not a JSON Feed (the document is not an object)", url=url)
    version = doc.get("version")
    items = doc.get("items")
    warnings: list[str] = []
    if not (isinstance(version, str) and version.startswith(_VERSION_PREFIXES)):
        if not isinstance(items, list):
            raise FeedParseError(
                "this is JSON, but not a JSON Feed (no 'version' https://jsonfeed.org/version/… and no 'items')",
                url=url,
            )
        warnings.append("no JSON Feed 'version'; read as one anyway")
        version = ""
    if not isinstance(items, list):
        warnings.append("'items' is missing or not an array")
        items = []
    read = [_item(it) for it in items if isinstance(it, dict)]
    if len(read) < len(items):
        warnings.append(f"{len(items) - len(read)} item(s) are not JSON objects and were skipped")
    return JsonFeed(
        version=str(version),
        title=_str(doc.get("title")),
        home_page_url=_str(doc.get("home_page_url")),
        feed_url=_str(doc.get("feed_url")),
        items=tuple(read),
        warning="; ".join(warnings) or None,
        language=_str(doc.get("language")),
    )


def _item(it: dict[str, Any]) -> JsonFeedItem:
    raw_id = it.get("id")
    item_id = str(raw_id).strip() if isinstance(raw_id, str | int) and not isinstance(raw_id, bool) else None
    return JsonFeedItem(
        id=item_id or None,
        url=_str(it.get("url")),
        external_url=_str(it.get("external_url")),
        title=_str(it.get("title")),
        content_html=_str(it.get("content_html")),
        content_text=_str(it.get("content_text")),
        summary=_str(it.get("summary")),
        published=_written_date(it.get("date_published")),
        modified=_written_date(it.get("date_modified")),
        authors=_authors(it),
        tags=tuple(t.strip() for t in it.get("tags") or () if isinstance(t, str) and t.strip())
        if isinstance(it.get("tags"), list)
        else (),
        language=_str(it.get("language")),
    )


def _str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _authors(it: dict[str, Any]) -> tuple[str, ...]:
    """1.1 `authors` (array), else 1.0 `author` (object): their names."""
    found = it.get("authors")
    people = found if isinstance(found, list) else [it.get("author")]
    names: dict[str, None] = {}  # (each once, in order: looked up in a dict, as a feed may list 40,000)
    for person in people:
        name = person.get("name") if isinstance(person, dict) else None
        if isinstance(name, str) and name.strip():
            names[name.strip()] = None
    return tuple(names)


def _written_date(value: Any) -> str | int | float | None:
    """A date as written: a string or a number (Unix seconds, which some generators write); any other JSON
    value is no date."""
    return value if isinstance(value, str | int | float) and not isinstance(value, bool) else None
