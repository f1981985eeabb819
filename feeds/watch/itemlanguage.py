"""The language of a watched feed's item: its own where the entry gives one, else its feed's.

    language_tag(value)                   a BCP 47 tag (`ru_RU` written `ru-RU`), None for what is none (`Russian`)
    channel_scope(feed)                   the `xml:lang` in force at the feed's level (its title's), if any
    item_language(entry, feed_language, scope)   the item's language

A multilingual feed (an EU institution's, mixing English and French entries) marks each entry: `xml:lang` on an
Atom `<entry>` or an RSS `<item>` (or on its title, summary or content), or a `<dc:language>` or `<language>`
inside the item. feedparser (and the fast path, which replays it) gives the first as the language of the entry's
text constructs (`title_detail["language"]`, inherited from the root when the entry sets none) and the second as
the entry's `language`. An entry's own language is read in that order; an inherited `xml:lang` (equal to the
one in force at the feed's level) is not the entry's own, and the feed's language (its `<language>` first) stays.

What this module must not do: guess a language from the text, or read anything but feedparser-shaped dicts.
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["channel_scope", "item_language", "language_tag"]

_LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{1,8})*")
_TEXTS = ("title_detail", "summary_detail", "subtitle_detail")


def language_tag(value: Any) -> str | None:
    """A feed's language as a BCP 47 tag (`ru_RU` written `ru-RU`), or None for what is none (`Russian`)."""
    if not isinstance(value, str):
        return None
    tag = value.strip().replace("_", "-")
    return tag if _LANGUAGE_TAG.fullmatch(tag) else None


def _scoped(data: dict[str, Any]) -> str | None:
    """The `xml:lang` in force at the first of `data`'s text constructs (title, summary, content), if any."""
    for key in _TEXTS:
        detail = dict.get(data, key)
        if isinstance(detail, dict) and isinstance(detail.get("language"), str):
            return detail["language"]  # type: ignore[no-any-return]
    for content in dict.get(data, "content") or ():
        if isinstance(content, dict) and isinstance(content.get("language"), str):
            return content["language"]  # type: ignore[no-any-return]
    return None


def channel_scope(feed: dict[str, Any]) -> str | None:
    """The `xml:lang` in force at the feed's level (read from its title or subtitle), or None."""
    return _scoped(feed)


def item_language(entry: dict[str, Any], feed_language: str | None, scope: str | None) -> str | None:
    """The entry's own language (its `<dc:language>`, else an `xml:lang` of its own), else `feed_language`.
    `scope` is `channel_scope` of its feed: an `xml:lang` equal to it is inherited, not the entry's."""
    own = language_tag(dict.get(entry, "language"))
    if own is not None:
        return own
    scoped = _scoped(entry)
    if scoped is not None and scoped != scope:
        return language_tag(scoped) or feed_language
    return feed_language
