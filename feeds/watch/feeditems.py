"""feedparser-shaped entries and JSON Feed items → `WatchItem`s: the text of their markup, their keys and hashes.

Both of `feeds.watch.parse`'s paths (the lxml fast path and feedparser) hand over feedparser-shaped `feed` and
`entries` dicts, and `feeds.watch.jsonfeed` hands over a `JsonFeed`; this one builder turns either into a
`ParsedFeed`: plain-text title, summary and content, aware UTC dates or None, tags, a stable key and a content
hash. An item's markup is never kept, let alone republished: its text is all that is matched and shown, read
through nh3 (`untrusted_html_to_text`), which drops scripts, styles and the like with their content.

What this module must not do: any I/O, read the clock, decide whether a document is a feed (that is
`feeds.watch.parse`'s dispatch), or trust the markup it is given.
"""

from __future__ import annotations

import hashlib
import operator
import re
import unicodedata
from collections.abc import Sequence
from dataclasses import fields
from datetime import datetime
from typing import Any
from urllib.parse import urljoin, urlsplit
from xml.sax import SAXParseException

from feeds.model import FeedKind, ParsedFeed, WatchItem
from feeds.normalise.htmltext import html_to_text, untrusted_html_to_text
from feeds.normalise.ids import watch_item_hash
from feeds.normalise.people import without_email
from feeds.normalise.text import collapse, nfc, one_line_text, xml_safe
from feeds.watch import numericdates
from feeds.watch.itemdates import EARLIEST_ITEM_DATE, item_date, json_date, source_date
from feeds.watch.itemlanguage import channel_scope, item_language, language_tag
from feeds.watch.jsonfeed import JsonFeed

__all__ = [
    "EARLIEST_ITEM_DATE",
    "FEED_TITLE_CHARS",
    "HTML_TYPES",
    "ITEM_SUMMARY_CHARS",
    "ITEM_TITLE_CHARS",
    "MAX_ITEMS",
    "MAX_ITEM_CHARS",
    "cut_text",
    "feed_record",
    "from_json",
    "http_link",
    "join_warnings",
    "plain_get",
    "source_date",
    "visible_or_empty",
    "warning_text",
]

HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_TEXT_TYPES = HTML_TYPES | {"text/plain"}
_MAX_KEY = 512
_BLANK_LINES = re.compile(r"\n\s*\n")
_XHTML_BR = re.compile(r"<br(\s[^>]*)?></br>")

MAX_ITEM_CHARS = 1024 * 1024
"""An item's text or HTML beyond this is cut before it is read: an article is far shorter, and one item must not
make a stored row, a published feed and every match of it megabytes long."""


ITEM_TITLE_CHARS = 500
"""An item's title as stored, shown and published, at most (cut with an ellipsis): a headline is a line, and one of
100 KB would fill every coverage page, feed and alert that lists the item."""
ITEM_SUMMARY_CHARS = 10_000
"""An item's summary as stored, shown and published, at most (cut with an ellipsis): a few screens. Its whole text
(`content_text`, up to `MAX_ITEM_CHARS`) is still matched."""
ITEM_TAGS = 100
"""An item's categories kept, at most (each cut as a title is): they are stored with it, and a story has a few."""
FEED_TITLE_CHARS = 200
"""A watched feed's title at most, as it names itself, or as an OPML file or `watch add --title` names it: it is
shown on every line of `watch list`, coverage pages, match feeds and alert emails."""


def feed_record(
    version: str, feed: dict[str, Any], entries: Sequence[dict[str, Any]], warning: str | None
) -> ParsedFeed:
    """The `ParsedFeed` of a document read into feedparser's shapes (`warning`: what reading it noted)."""
    feed_link = http_link(plain_get(feed, "link"))
    entries, cut = _at_most(entries)
    language, scope = language_tag(plain_get(feed, "language")), channel_scope(feed)
    shown = numericdates.evidence(plain_get(e, k) for e in entries for k in ("published", "updated"))
    drafts = []
    for entry in entries:
        own = item_language(entry, language, scope)
        drafts.append(_item(entry, own, numericdates.day_order(own, shown)))
    title, long_title = _feed_title(_text(plain_get(feed, "title"), _detail_type(feed, "title_detail")))
    return ParsedFeed(
        title=title,
        link=feed_link,
        kind=_kind(version),
        items=_with_keys(drafts),
        warning=join_warnings(warning, cut, long_title),
    )


def _feed_title(title: str) -> tuple[str, str | None]:
    """The title a feed gives itself, as stored (`FEED_TITLE_CHARS`), and the warning when it was cut."""
    shown = cut_text(visible_or_empty(nfc(title)), FEED_TITLE_CHARS)
    if len(title) <= FEED_TITLE_CHARS:
        return shown, None
    return shown, f"its title is {len(title):,} characters long: cut to {FEED_TITLE_CHARS}"


MAX_ITEMS = 5000
"""Items read from one document; the rest are left out, with a warning. Real feeds list tens, a podcast's
archive a few thousand: hundreds of thousands of tiny items (10 MiB of `<item/>`) would take minutes and
gigabytes to store, for nothing anyone reads."""


def _at_most(entries: Sequence[Any]) -> tuple[Sequence[Any], str | None]:
    if len(entries) <= MAX_ITEMS:
        return entries, None
    return entries[:MAX_ITEMS], f"{len(entries):,} items: only the first {MAX_ITEMS:,} were read"


def _kind(version: str) -> FeedKind:
    if version.startswith("atom"):
        return "atom"
    if version in ("rss10", "rss090"):
        return "rdf"
    return "rss" if version.startswith("rss") else "unknown"


def plain_get(data: dict[str, Any], key: str) -> Any:
    """A plain lookup: feedparser's dicts map some keys to others on `.get` ("updated" falls back to
    "published", with a warning), which must not decide anything here."""
    return dict.get(data, key)


def _detail_type(data: dict[str, Any], key: str) -> str | None:
    detail = plain_get(data, key)
    kind = plain_get(detail, "type") if isinstance(detail, dict) else None
    return kind if isinstance(kind, str) else None


def _text(value: Any, content_type: str | None) -> str:
    """A one-line plain text (titles): markup removed and entities decoded when the value is HTML."""
    if not isinstance(value, str) or not value:
        return ""
    if content_type in HTML_TYPES:
        return collapse(html_to_text(value))
    return one_line_text(value)


def _paragraphs(value: str, content_type: str | None) -> str:
    """Multi-line plain text (summaries): paragraphs kept, separated by a blank line."""
    value = value[:MAX_ITEM_CHARS]
    if content_type in HTML_TYPES:
        return untrusted_html_to_text(value)
    blocks = (collapse(block) for block in _blocks(value))
    return "\n\n".join(block for block in blocks if block)


def _blocks(value: str) -> list[str]:
    """The blank-line separated blocks of plain text (a line of white space only counts as blank), XML-safe."""
    return _BLANK_LINES.split(xml_safe(value))


def _plain_text(value: str) -> str:
    """The text of a plain-text body: blank-line separated blocks, each line's white space collapsed, empty
    lines and blocks left out (what a `<p>` per block, with a `<br>` per line, reads back as)."""
    blocks = (block.splitlines() for block in _blocks(value))
    return "\n\n".join(filter(None, ("\n".join(filter(None, map(collapse, lines))) for lines in blocks)))


_PLAIN_HTTP = re.compile(r"[Hh][Tt][Tt][Pp][Ss]?://[A-Za-z0-9.-]+(?::[0-9]*)?(?=[/?#]|\Z)")
"""The start of an http(s) address whose host is plain ASCII letters, digits, dots and hyphens (nearly every item's
link): `urlsplit` reads it as that scheme and host without fail, so it is not asked (a fifth of building an item's
fields other than its text). (Letters spelled out: IGNORECASE would take a long s for an "s".)"""


def http_link(value: Any) -> str | None:
    """`value` without surrounding white space when it is an absolute http or https address, else None."""
    if not isinstance(value, str):
        return None
    text: str = value.strip()
    if _PLAIN_HTTP.match(text):
        return text
    try:
        parts = urlsplit(text)
    except ValueError:
        return None
    return text if parts.scheme.lower() in ("http", "https") and parts.netloc else None


def _item(entry: dict[str, Any], language: str | None = None, order: numericdates.DayOrder | None = None) -> WatchItem:
    get = plain_get
    title = _text(get(entry, "title"), _detail_type(entry, "title_detail"))
    link = http_link(get(entry, "link"))
    guid_value = get(entry, "id")
    guid = collapse(guid_value) if isinstance(guid_value, str) and guid_value.strip() else None
    summary_value = get(entry, "summary")
    summary_detail = get(entry, "summary_detail") if isinstance(get(entry, "summary_detail"), dict) else {}
    candidates: list[tuple[str, str]] = [
        (c["value"], c["type"])
        for c in get(entry, "content") or ()
        if isinstance(c, dict) and c.get("type") in _TEXT_TYPES and isinstance(c.get("value"), str)
    ]
    summary_type = str(summary_detail.get("type", "text/html"))
    if isinstance(summary_value, str):
        candidates.append((summary_value, summary_type))
    # the fullest text the item offers (feedparser may list a photo caption as "content")
    body, body_type = max(candidates, key=lambda c: len(c[0]), default=("", "text/plain"))
    markup = _XHTML_BR.sub(r"<br\1>", body) if body_type == "application/xhtml+xml" else body
    # (feedparser writes <br/> as <br></br>, which an HTML parser reads as two line breaks)
    if len(body) > MAX_ITEM_CHARS:  # cut anywhere: the HTML parser closes what the cut leaves open
        body, markup = body[:MAX_ITEM_CHARS], markup[:MAX_ITEM_CHARS]
    content_text = untrusted_html_to_text(markup) if body_type in HTML_TYPES else _plain_text(body)
    if summary_value == body:
        summary = content_text
    else:
        summary = _paragraphs(summary_value, summary_type) if isinstance(summary_value, str) else ""
    updated = item_date(entry, "updated", order)
    published = item_date(entry, "published", order) or updated
    tags: dict[str, None] = {}  # (each once, in order: a dict, as 40,000 of them are looked up)
    for tag in get(entry, "tags") or ():
        term = collapse(tag.get("term") or tag.get("label") or "") if isinstance(tag, dict) else ""
        if term:
            tags[term] = None
    author = one_line_text(get(entry, "author") or "") if isinstance(get(entry, "author"), str) else ""
    return _draft(title, link, guid, summary, content_text, author, published, updated, tuple(tags), language)


def _draft(
    title: str,
    link: str | None,
    guid: str | None,
    summary: str,
    content_text: str,
    author: str,
    published: datetime | None,
    updated: datetime | None,
    tags: Sequence[str],
    language: str | None = None,
) -> WatchItem:
    """A WatchItem with its content hash; `key` is filled in by `_with_keys`, which sees the whole document.

    What coverage pages and feeds show of it (title, summary, author, tags) is in NFC, as our own text is (`nfc`:
    the same string, unscanned when ASCII), and at most so long (`ITEM_TITLE_CHARS`…); the text only matched is
    left as it came (matching folds it anyway). The author is kept by name only (`without_email`: the address an
    RSS `<author>` is, never stored nor republished)."""
    title = cut_text(visible_or_empty(nfc(title)), ITEM_TITLE_CHARS)
    summary = cut_text(visible_or_empty(nfc(summary)), ITEM_SUMMARY_CHARS)
    as_given = cut_text(nfc(author), FEED_TITLE_CHARS)
    author = without_email(as_given)
    if len(tags) > ITEM_TAGS:
        tags = tags[:ITEM_TAGS]
    return WatchItem(
        key="",
        title=title,
        link=link,
        guid=guid,
        summary=summary,
        content_text=content_text,
        author=author,
        published=published,
        updated=updated,
        tags=tuple(cut_text(nfc(t), FEED_TITLE_CHARS) for t in tags),
        # (the author as given, address and all: an item stored before its address was dropped is unchanged)
        content_hash=watch_item_hash(title, link, summary, content_text, as_given, published, updated),
        language=language,
    )


def _with_keys(drafts: Sequence[WatchItem]) -> tuple[WatchItem, ...]:
    """Stable keys: the guid, else the link, else a hash of title and summary. Items that share one (repeated
    guids are common) get the link added, then that hash, then their rank among identical twins: the same
    document, or a later one with other items added, gives every item the same key again."""

    def digest(item: WatchItem) -> str:
        return hashlib.sha256(f"{item.title}\n{item.summary}".encode()).hexdigest()[:32]

    def with_link(i: int, k: str) -> str:
        link = drafts[i].link
        return f"{k} {link}" if link and link != k else k

    def with_digest(i: int, k: str) -> str:
        return f"{k} sha256:{digest(drafts[i])}"

    keys = [item.guid or item.link or f"sha256:{digest(item)}" for item in drafts]
    for refine in (with_link, with_digest):
        counts = _counts(keys)
        keys = [refine(i, k) if counts[k] > 1 else k for i, k in enumerate(keys)]
    seen: dict[str, int] = {}
    final = []
    for k in keys:
        seen[k] = seen.get(k, 0) + 1
        k = k if seen[k] == 1 else f"{k} #{seen[k]}"
        final.append(k if len(k) <= _MAX_KEY else "sha256:" + hashlib.sha256(k.encode()).hexdigest())
    return tuple(_replace_key(item, k) for item, k in zip(drafts, final, strict=True))


def _counts(keys: Sequence[str]) -> dict[str, int]:
    counts: dict[str, int] = {}
    for k in keys:
        counts[k] = counts.get(k, 0) + 1
    return counts


def _replace_key(item: WatchItem, key: str) -> WatchItem:
    """`dataclasses.replace(item, key=key)`, without looking the fields up and building a dict for every item read."""
    return WatchItem(key, *_ALL_BUT_KEY(item))


_ALL_BUT_KEY = operator.attrgetter(*(f.name for f in fields(WatchItem) if f.name != "key"))
assert fields(WatchItem)[0].name == "key"  # (the constructor's first argument)


# --- JSON Feed ----------------------------------------------------------------------------------------------


def from_json(doc: JsonFeed, url: str) -> ParsedFeed:
    """The `ParsedFeed` of a JSON Feed; an item's language is its own 1.1 `language`, else its feed's, as an RSS
    or Atom entry's is its own, else its channel's, and its dates are read as theirs are (`json_date`), an
    ambiguous one in figures in the order of that language or of the feed's other dates."""
    home = _json_link(doc.home_page_url, url)
    feed_language = language_tag(doc.language)
    drafts = []
    items, cut = _at_most(doc.items)
    shown = numericdates.evidence(d for it in items for d in (it.published, it.modified))
    empty = 0
    for it in items:
        link = _json_link(it.url, url) or _json_link(it.external_url, url)
        if it.content_html is not None:
            content_text = untrusted_html_to_text(it.content_html[:MAX_ITEM_CHARS])
        else:
            content_text = _plain_text((it.content_text or it.summary or "")[:MAX_ITEM_CHARS])
        summary = _paragraphs(it.summary, "text/plain") if it.summary else content_text
        title = _text(it.title, "text/plain")
        if not (it.id or title or link or content_text or summary):  # nothing to know it by, show or match
            empty += 1
            continue
        author = one_line_text(", ".join(it.authors))  # as an RSS/Atom author: it is republished in XML
        language = language_tag(it.language) or feed_language
        order = numericdates.day_order(language, shown)
        modified = json_date(it.modified, order)
        published = json_date(it.published, order) or modified  # (as an RSS or Atom item with only an update)
        drafts.append(_draft(title, link, it.id, summary, content_text, author, published, modified, it.tags, language))
    title, long_title = _feed_title(_text(doc.title, "text/plain"))
    warning = join_warnings(
        doc.warning, cut, f"{empty} item(s) without an id, title, link or text left out" if empty else None, long_title
    )
    return ParsedFeed(title=title, link=home, kind="json", items=_with_keys(drafts), warning=warning)


def _json_link(value: str | None, base: str) -> str | None:
    """An address a JSON Feed gives, made absolute against the document's own (`/2026/11/story` is on the feed's
    host), as feedparser resolves RSS and Atom links (RFC 3986 §5.1.3: the base is where the document came from);
    http(s) only."""
    if value is None:
        return None
    try:
        return http_link(urljoin(base, value.strip()))
    except ValueError:  # (a malformed address, such as an unclosed IPv6 bracket)
        return None


def join_warnings(*notes: str | None) -> str | None:
    """The notes given, joined into one warning (None if there are none)."""
    return "; ".join(n for n in notes if n) or None


def warning_text(exc: BaseException) -> str:
    """What a reader's complaint about a document (feedparser's bozo exception) says, for a warning. The XML
    reader names a document it was given without a name `<unknown>` (`<unknown>:6:22: mismatched tag`): the
    warning says `line 6, column 22: mismatched tag` instead, the feed being named wherever it is shown."""
    if isinstance(exc, SAXParseException):
        return f"line {exc.getLineNumber()}, column {exc.getColumnNumber()}: {exc.getMessage()}"
    return str(exc) or type(exc).__name__


# --- Cutting text short -------------------------------------------------------------------------------------

_VISIBLE = re.compile(
    r"[^\s\x00-\x1f\x7f-\x9f\u00ad\u034f\u061c\u115f\u1160\u17b4\u17b5\u180b-\u180f\u200b-\u200f"
    r"\u202a-\u202e\u2060-\u206f\u3164\ufe00-\ufe0f\ufeff\uffa0\ufff0-\ufff8\U000e0000-\U000e0fff]"
)
"""A character that shows: not white space, a control, or a zero-width or otherwise invisible format character."""

_MARKS = frozenset({"Mn", "Mc", "Me"})
_JOINERS = "\u200c\u200d"
_STREAM_SAFE = 32
"""How far back a cut looks for the start of a character sequence (UAX #15's stream-safe text has at most 30
non-starters in a row): a longer run of combining marks is no text anyone reads, and is cut where it is."""


def visible_or_empty(text: str) -> str:
    """`text`, or "" when nothing in it shows (only zero-width, control or white-space characters): such a title
    is no title, and is shown as an untitled item's is."""
    return text if _VISIBLE.search(text) else ""


def cut_text(text: str, limit: int, mark: str = "\u2026") -> str:
    """`text` when at most `limit` characters long, else its start ending in `mark` (an ellipsis), `limit` in all.
    Never cut inside a character sequence read as one (a letter and its combining accents, an emoji joined with
    ZWJ or with a skin-tone modifier, a flag's two regional indicators, a surrogate pair)."""
    if len(text) <= limit:
        return text
    end = max(0, limit - len(mark))
    lowest = max(1, end - _STREAM_SAFE)
    cut = end
    while cut >= lowest and _continues(text, cut):
        cut -= 1
    return text[: cut if cut >= lowest else end].rstrip() + mark


def _continues(text: str, i: int) -> bool:
    """Whether the character at `i` belongs to the sequence of the one before it (a cut at `i` would split it)."""
    ch, before = text[i], text[i - 1]
    if "\udc00" <= ch <= "\udfff" or before in _JOINERS or ch in _JOINERS:
        return True
    if unicodedata.category(ch) in _MARKS or "\U0001f3fb" <= ch <= "\U0001f3ff" or "\U000e0020" <= ch <= "\U000e007f":
        return True
    if "\u1160" <= ch <= "\u11ff":  # a Hangul vowel or final consonant, after the initial it is written with
        return True
    if _regional(ch) and _regional(before):  # a flag: pairs of regional indicators from the start of the run
        run = 0
        while i - run - 1 >= 0 and _regional(text[i - run - 1]):
            run += 1
        return run % 2 == 1
    return False


def _regional(ch: str) -> bool:
    return "\U0001f1e6" <= ch <= "\U0001f1ff"
