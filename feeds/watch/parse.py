"""Fetched bytes → `ParsedFeed`: external RSS, RDF, Atom and JSON Feed documents, read the way feedparser reads them.

    parse_feed(body, url=…) ─┬─ JSON ──────────────► jsonfeed.read_json_feed ─────────────┐
                             ├─ XML bomb guard (refuses DOCTYPE entities that could blow up) │
                             ├─ fastparse.fast_parse (lxml; declines what it is unsure of) ─┤─► WatchItems
                             └─ feedparser (reference, tolerant of broken documents) ─────────┘

feedparser is the reference: the fast path must produce the same `ParsedFeed` for every document it accepts
(tests/test_watch_parse.py proves it on the corpus). Both hand over feedparser-shaped entries, and one builder
(`_item`) turns either into a `WatchItem`: plain-text title, summary and content, aware UTC dates or None, tags, a
stable key and a content hash. An item's markup is never kept, let alone republished: its text is all that is
matched and shown, read through nh3 (`untrusted_html_to_text`), which drops scripts, styles and the like with
their content. feedparser's own HTML sanitiser and URI rewriting are switched off: they would only cost time.

Only a document that is not a feed at all raises `FeedParseError` (an empty body, an HTML page, JSON that is not a
JSON Feed, something with neither a feed version nor entries); a broken but readable feed returns what could be
read, with `warning` set to feedparser's "bozo" message.

What this module must not do: any I/O (feedparser only ever sees a BytesIO, never a URL or a path), read the clock,
or trust the markup it is given.
"""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime
from html.parser import HTMLParser
from typing import Any
from urllib.parse import urljoin, urlsplit

import feedparser  # type: ignore[import-untyped]
from feedparser.encodings import convert_to_utf8  # type: ignore[import-untyped]

from feeds.errors import FeedParseError
from feeds.model import FeedKind, ParsedFeed, WatchItem
from feeds.normalise.htmltext import html_to_text, untrusted_html_to_text
from feeds.normalise.ids import watch_item_hash
from feeds.normalise.text import collapse, one_line_text, xml_safe
from feeds.watch.fastparse import FastResult, fast_parse
from feeds.watch.jsonfeed import JsonFeed, read_json_feed

__all__ = ["find_feed_links", "parse_feed", "parse_with_feedparser", "try_fast_parse"]

_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
_TEXT_TYPES = _HTML_TYPES | {"text/plain"}
_FEED_LINK_TYPES = frozenset({"application/rss+xml", "application/atom+xml", "application/feed+json"})
_MAX_KEY = 512
# feedparser keeps only internal entities whose value has no "&" (so no billion laughs) and never loads external
# ones; but a long value referenced many times still expands quadratically, and without bound in its tolerant
# parser. We refuse documents that declare such a value.
_ENTITY_VALUE = re.compile(rb"""<!ENTITY\s+([\w.:-]+)\s+(?:"([^"]*)"|'([^']*)')""")
_MAX_ENTITY_VALUE = 64
# Short values are kept, but their references still multiply: 1.7 million `&q;` to a 60-character value fit in
# 10 MiB and expand to 100 million characters (875 MiB at peak, measured). Bound what they may add in total.
_MAX_ENTITY_EXPANSION = 1 << 20
_ENTRY_START = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(?:item|entry)(?=[\s/>])")
_ENTRY_END = re.compile(rb"</(?:[A-Za-z_][\w.-]*:)?(?:item|entry)\s*>")
_BLANK_LINES = re.compile(r"\n\s*\n")
_XHTML_BR = re.compile(r"<br(\s[^>]*)?></br>")
_LEADING_SPACE = re.compile(rb"(\xef\xbb\xbf|)([ \t\r\n]+)<\?xml[ \t\r\n]")
_HTML_START = re.compile(
    r"\A(?:\s|<\?xml[^>]*>|<!--.*?-->)*(?:<!doctype\s+html|<html|<head|<body|<meta|<title)", re.IGNORECASE | re.DOTALL
)


def parse_feed(body: bytes, *, url: str, content_type: str | None = None, encoding: str | None = None) -> ParsedFeed:
    """Parse one fetched document. `url` is where it came from (base of relative links and of error messages);
    `content_type` and `encoding` are the media type and charset of the HTTP response, when known."""
    if _sniff(body, url, content_type) == "json":
        return _from_json(read_json_feed(body, url=url), url)
    headers = _headers(url, content_type, encoding)
    _refuse_entity_bombs(body, url, headers)
    tidy, note = _tidy(body)
    fast = fast_parse(tidy, headers=headers)
    if isinstance(fast, FastResult):
        return _build(fast.version, fast.feed, fast.entries, _warn(note, fast.bozo), url, body, content_type)
    # feedparser's tolerant parser takes minutes on some large malformed documents (a megabyte of nested tags):
    # an HTML page is recognised without it, and a large document libxml2 refused is read in part.
    if _starts_like_html(body):
        raise FeedParseError(_not_a_feed(body, url, content_type, None), url=url)
    part, cut = _first_part(body)
    parsed = parse_with_feedparser(part, url=url, content_type=content_type, encoding=encoding)
    return replace(parsed, warning=_warn(parsed.warning, cut)) if cut else parsed


_ROOT_END = re.compile(rb"</(?:[A-Za-z_][\w.-]*:)?(?:rss|feed|RDF)\s*>")


def cut_short(body: bytes, *, url: str, content_type: str | None = None, encoding: str | None = None) -> bool:
    """Whether an XML feed `parse_feed` read with a warning stops before the end tag of its RSS, Atom or RDF root
    (the server stopped writing mid-body): what came was read, but the answer's validators stand for the whole.
    (Only a malformed document can have been cut: ask only of one that parsed with a warning.)"""
    if _sniff(body, url, content_type) == "json":
        return False  # (a JSON Feed cut short is not JSON, and not read at all)
    headers = _headers(url, content_type, encoding)
    return _ROOT_END.search(convert_to_utf8(dict(headers), body, {})) is None


MAX_ITEM_CHARS = 1024 * 1024
"""An item's text or HTML beyond this is cut before it is read: an article is far shorter, and one item must not
make a stored row, a published feed and every match of it megabytes long."""

FALLBACK_MAX_BYTES = 1024 * 1024
"""How much of a document libxml2 refused is given to feedparser's tolerant parser, whose time grows fast with
some malformed input (seconds per megabyte, minutes for ten). Real feeds that need it are far smaller."""


def _first_part(body: bytes) -> tuple[bytes, str | None]:
    """`body`, or its first `FALLBACK_MAX_BYTES` cut after the last whole item or entry, and a note saying so.

    Feeds list their newest items first, so the part read holds the ones that matter; the next poll reads the
    same part, so nothing is stored twice."""
    if len(body) <= FALLBACK_MAX_BYTES:
        return body, None
    head = body[:FALLBACK_MAX_BYTES]
    ends = [m.end() for m in _ENTRY_END.finditer(head)]
    part = head[: ends[-1]] if ends else head[: len(head) - len(head) % 4]  # (whole UTF-16/32 code units)
    limit = FALLBACK_MAX_BYTES // (1024 * 1024)
    return part, f"the document is not well-formed XML and larger than {limit} MiB: only its first part was read"


def parse_with_feedparser(
    body: bytes, *, url: str, content_type: str | None = None, encoding: str | None = None
) -> ParsedFeed:
    """The reference path: feedparser alone (also the fallback for whatever the fast path declines)."""
    if _sniff(body, url, content_type) == "json":
        return _from_json(read_json_feed(body, url=url), url)
    headers = _headers(url, content_type, encoding)
    _refuse_entity_bombs(body, url, headers)
    tidy, note = _tidy(body)
    try:
        result = feedparser.parse(
            io.BytesIO(tidy), response_headers=headers, sanitize_html=False, resolve_relative_uris=False
        )
    except Exception as e:  # feedparser has crashed on a handful of odd documents; that is the document's fault
        raise FeedParseError(f"the document could not be read as a feed ({type(e).__name__}: {e})", url=url) from e
    bozo = result.get("bozo_exception") if result.get("bozo") else None
    bozo_text = (str(bozo) or type(bozo).__name__) if bozo is not None else None
    entries = result["entries"]
    if bozo is not None and entries and _lacks_identity(entries) and _ends_inside_entry(tidy, headers):
        entries = entries[:-1]
        bozo_text = _warn(bozo_text, "the document ends inside an entry, which is left for a later poll")
    warning = _warn(note, bozo_text)
    return _build(result.get("version", ""), result["feed"], entries, warning, url, body, content_type)


def _lacks_identity(entries: Sequence[dict[str, Any]]) -> bool:
    """The last entry has no guid/id, or no link, where the others have one (or it is alone and lacks either)."""
    last, others = entries[-1], entries[:-1]
    return any(not _get(last, k) and (not others or any(_get(o, k) for o in others)) for k in ("id", "link"))


def _ends_inside_entry(body: bytes, headers: dict[str, str]) -> bool:
    """True when the document was cut short inside its last item/entry (a server that stopped writing).

    feedparser still returns that entry; when the cut fell before its guid or link (`_lacks_identity`), its key
    would differ from the complete entry's and the next poll would store the same story a second time."""
    data = convert_to_utf8(dict(headers), body, {})  # as feedparser decodes it (UTF-16, UTF-32…)
    last_start = max((m.start() for m in _ENTRY_START.finditer(data)), default=-1)
    last_end = max((m.start() for m in _ENTRY_END.finditer(data)), default=-1)
    return last_start > last_end


def try_fast_parse(
    body: bytes, *, url: str, content_type: str | None = None, encoding: str | None = None
) -> ParsedFeed | str:
    """The fast path alone: its `ParsedFeed`, or the reason it declines (for tests and the benchmark)."""
    _sniff(body, url, content_type)
    tidy, note = _tidy(body)
    fast = fast_parse(tidy, headers=_headers(url, content_type, encoding))
    if isinstance(fast, str):
        return fast
    return _build(fast.version, fast.feed, fast.entries, _warn(note, fast.bozo), url, body, content_type)


def _tidy(body: bytes) -> tuple[bytes, str | None]:
    """Remove white space before the XML declaration, with a note for the warning. It is a common slip (a blank
    line printed by a template) that XML forbids (XML 1.0 §2.8) and that sends feedparser to its tolerant parser,
    whose reading of the rest is poorer; both our paths read the tidied document instead."""
    match = _LEADING_SPACE.match(body)
    if not match:
        return body, None
    return match.group(1) + body[match.end(2) :], "white space before the XML declaration (ignored)"


def _warn(*notes: str | None) -> str | None:
    return "; ".join(n for n in notes if n) or None


def _headers(url: str, content_type: str | None, encoding: str | None) -> dict[str, str]:
    """The response headers feedparser sees. Whatever the server said, the type is `application/xml`: per
    RFC 7303 §3 a charset parameter still wins, then the BOM and XML declaration, then UTF-8. (feedparser would
    apply RFC 3023 and treat `text/xml` without charset as US-ASCII, flagging most real feeds as broken.)"""
    charset = f"; charset={encoding}" if encoding else ""
    return {"content-type": "application/xml" + charset, "content-location": url}


def _sniff(body: bytes, url: str, content_type: str | None) -> str:
    """ "json" or "xml" by the first character (then by the media type); an empty body is no document at all."""
    head = body[:1024].lstrip(b"\xef\xbb\xbf \t\r\n\x00")
    if not head:
        raise FeedParseError("empty response: the server sent no content", url=url)
    if head[:1] in (b"{", b"["):
        return "json"
    return "json" if head[:1] != b"<" and (content_type or "").lower().endswith("json") else "xml"


def _refuse_entity_bombs(body: bytes, url: str, headers: dict[str, str]) -> None:
    if not any(word in body for word in (b"ENTITY", b"E\x00N\x00T\x00I\x00T\x00Y", b"E\x00\x00\x00N\x00\x00\x00T")):
        return
    data = convert_to_utf8(dict(headers), body, {})  # decoded as feedparser will decode it (UTF-16, UTF-32…)
    start = re.search(rb"<\w", data)
    expansion = 0
    for match in _ENTITY_VALUE.finditer(data[: start.start()] if start else data):
        value = match.group(2) if match.group(2) is not None else match.group(3)
        if len(value) > _MAX_ENTITY_VALUE:
            raise FeedParseError(
                "refused: the document declares an XML entity with a long value, which repeated references "
                "would expand to a huge size (an 'XML bomb')",
                url=url,
            )
        expansion += len(value) * data.count(b"&" + match.group(1) + b";")
        if expansion > _MAX_ENTITY_EXPANSION:
            raise FeedParseError(
                "refused: the document references its XML entities so often that they would expand to more "
                f"than {_MAX_ENTITY_EXPANSION // 1024} KiB of text (an 'XML bomb')",
                url=url,
            )


# --- building the record from feedparser-shaped data --------------------------------------------------------


def _build(
    version: str,
    feed: dict[str, Any],
    entries: Sequence[dict[str, Any]],
    bozo: str | None,
    url: str,
    body: bytes,
    content_type: str | None,
) -> ParsedFeed:
    if not version and not entries:
        raise FeedParseError(_not_a_feed(body, url, content_type, bozo), url=url)
    feed_link = _http_link(_get(feed, "link"))
    entries, cut = _at_most(entries)
    drafts = [_item(entry) for entry in entries]
    return ParsedFeed(
        title=_text(_get(feed, "title"), _detail_type(feed, "title_detail")),
        link=feed_link,
        kind=_kind(version),
        items=_with_keys(drafts),
        warning=_warn(bozo, cut),
    )


MAX_ITEMS = 5000
"""Items read from one document; the rest are left out, with a warning. Real feeds list tens, a podcast's
archive a few thousand: hundreds of thousands of tiny items (10 MiB of `<item/>`) would take minutes and
gigabytes to store, for nothing anyone reads."""


def _at_most(entries: Sequence[Any]) -> tuple[Sequence[Any], str | None]:
    if len(entries) <= MAX_ITEMS:
        return entries, None
    return entries[:MAX_ITEMS], f"{len(entries):,} items: only the first {MAX_ITEMS:,} were read"


def _starts_like_html(body: bytes) -> bool:
    """Whether the document opens as an HTML page does (a doctype, <html>, <head>…), whatever it was served as."""
    return _HTML_START.match(body[:4096].decode("utf-8", "replace")) is not None


def _not_a_feed(body: bytes, url: str, content_type: str | None, bozo: str | None) -> str:
    if (content_type or "").lower() in _HTML_TYPES or _starts_like_html(body):
        links = find_feed_links(body, url)
        hint = f"; it links to a feed at {links[0][0]}" if links else "; it does not link to any feed"
        return f"this is an HTML page, not a feed{hint}"
    why = f" ({bozo})" if bozo else ""
    return f"this is not a feed: no RSS, Atom or JSON Feed document found{why}"


def _kind(version: str) -> FeedKind:
    if version.startswith("atom"):
        return "atom"
    if version in ("rss10", "rss090"):
        return "rdf"
    return "rss" if version.startswith("rss") else "unknown"


def _get(data: dict[str, Any], key: str) -> Any:
    """A plain lookup: feedparser's dicts map some keys to others on `.get` ("updated" falls back to
    "published", with a warning), which must not decide anything here."""
    return dict.get(data, key)


def _detail_type(data: dict[str, Any], key: str) -> str | None:
    detail = _get(data, key)
    kind = _get(detail, "type") if isinstance(detail, dict) else None
    return kind if isinstance(kind, str) else None


def _text(value: Any, content_type: str | None) -> str:
    """A one-line plain text (titles): markup removed and entities decoded when the value is HTML."""
    if not isinstance(value, str) or not value:
        return ""
    if content_type in _HTML_TYPES:
        return collapse(html_to_text(value))
    return one_line_text(value)


def _paragraphs(value: str, content_type: str | None) -> str:
    """Multi-line plain text (summaries): paragraphs kept, separated by a blank line."""
    value = value[:MAX_ITEM_CHARS]
    if content_type in _HTML_TYPES:
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


def _http_link(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    value = value.strip()
    try:
        parts = urlsplit(value)
    except ValueError:
        return None
    return value if parts.scheme.lower() in ("http", "https") and parts.netloc else None


def _when(value: Any) -> datetime | None:
    """feedparser's UTC struct_time → aware datetime (a leap second becomes :59)."""
    if value is None:
        return None
    try:
        year, month, day, hour, minute, second = value[:6]
        return datetime(year, month, day, hour, minute, min(second, 59), tzinfo=UTC)
    except (TypeError, ValueError, OverflowError):
        return None


def _item(entry: dict[str, Any]) -> WatchItem:
    get = _get
    title = _text(get(entry, "title"), _detail_type(entry, "title_detail"))
    link = _http_link(get(entry, "link"))
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
    content_text = untrusted_html_to_text(markup) if body_type in _HTML_TYPES else _plain_text(body)
    if summary_value == body:
        summary = content_text
    else:
        summary = _paragraphs(summary_value, summary_type) if isinstance(summary_value, str) else ""
    published = _when(get(entry, "published_parsed")) or _when(get(entry, "updated_parsed"))
    updated = _when(get(entry, "updated_parsed"))
    tags: list[str] = []
    for tag in get(entry, "tags") or ():
        term = collapse(tag.get("term") or tag.get("label") or "") if isinstance(tag, dict) else ""
        if term and term not in tags:
            tags.append(term)
    author = one_line_text(get(entry, "author") or "") if isinstance(get(entry, "author"), str) else ""
    return _draft(title, link, guid, summary, content_text, author, published, updated, tags)


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
) -> WatchItem:
    """A WatchItem with its content hash; `key` is filled in by `_with_keys`, which sees the whole document."""
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
        tags=tuple(tags),
        content_hash=watch_item_hash(title, link, summary, content_text, author, published, updated),
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
    return replace(item, key=key)


# --- JSON Feed ----------------------------------------------------------------------------------------------


def _from_json(doc: JsonFeed, url: str) -> ParsedFeed:
    home = _json_link(doc.home_page_url, url)
    drafts = []
    items, cut = _at_most(doc.items)
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
        drafts.append(_draft(title, link, it.id, summary, content_text, author, it.published, it.modified, it.tags))
    warning = _warn(doc.warning, cut, f"{empty} item(s) without an id, title, link or text left out" if empty else None)
    return ParsedFeed(
        title=_text(doc.title, "text/plain"), link=home, kind="json", items=_with_keys(drafts), warning=warning
    )


def _json_link(value: str | None, base: str) -> str | None:
    """An address a JSON Feed gives, made absolute against the document's own (`/2026/11/story` is on the feed's
    host), as feedparser resolves RSS and Atom links (RFC 3986 §5.1.3: the base is where the document came from);
    http(s) only."""
    if value is None:
        return None
    try:
        return _http_link(urljoin(base, value.strip()))
    except ValueError:  # (a malformed address, such as an unclosed IPv6 bracket)
        return None


# --- feed discovery -----------------------------------------------------------------------------------------


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
    finder.feed(html[:262_144].decode(_page_charset(html), "replace"))  # feed links are in the head
    finder.close()
    base = urljoin(base_url, finder.base) if finder.base else base_url
    out: list[tuple[str, str, str]] = []
    for href, title, kind in finder.links:
        absolute = _http_link(urljoin(base, href))
        if absolute and all(absolute != u for u, _, _ in out):
            out.append((absolute, title, kind))
    return out


def _page_charset(page: bytes) -> str:
    match = re.search(rb"""<meta[^>]+charset\s*=\s*["']?([\w-]+)""", page[:4096], re.IGNORECASE)
    name = match.group(1).decode("ascii") if match else "utf-8"
    try:
        "".encode(name)
    except LookupError:
        return "utf-8"
    return name
