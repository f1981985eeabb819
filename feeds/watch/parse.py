"""Fetched bytes → `ParsedFeed`: external RSS, RDF, Atom and JSON Feed documents, read the way feedparser reads them.

    parse_feed(body, url=…) ─┬─ JSON ──────────────► jsonfeed.read_json_feed ─────────────┐
                             ├─ XML bomb guard (refuses DOCTYPE entities that could blow up) │
                             ├─ fastparse.fast_parse (lxml; declines what it is unsure of) ─┤─► feeditems ─► WatchItems
                             └─ feedparser (reference, tolerant of broken documents) ─────────┘

This module is the dispatch: which reader reads a document, and whether it is a feed at all. feedparser is the
reference: the fast path must produce the same `ParsedFeed` for every document it accepts (tests/test_watch_parse.py
proves it on the corpus). Both hand over feedparser-shaped entries, and one builder (`feeds.watch.feeditems`) turns
either into `WatchItem`s. feedparser's own HTML sanitiser and URI rewriting are switched off: they would only cost
time (the builder reads markup through nh3 and never keeps it).

Only a document that is not a feed at all raises `FeedParseError` (an empty body, an HTML page, JSON that is not a
JSON Feed, something with neither a feed version nor entries); a broken but readable feed returns what could be
read, with `warning` set to feedparser's "bozo" message.

What this module must not do: any I/O (feedparser only ever sees a BytesIO, never a URL or a path), read the clock,
or build items itself (that is `feeds.watch.feeditems`).
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from typing import Any, TypeVar

import feedparser  # type: ignore[import-untyped]
from feedparser.encodings import convert_to_utf8  # type: ignore[import-untyped]

from feeds.errors import FeedParseError
from feeds.model import ParsedFeed
from feeds.watch.fastparse import FastResult, fast_parse
from feeds.watch.feeditems import HTML_TYPES, feed_record, from_json, join_warnings, plain_get, warning_text
from feeds.watch.feedlinks import find_feed_links
from feeds.watch.jsonfeed import read_json_feed
from feeds.watch.legacycharset import declared_superset, language_charset, legacy_note, parse_fell_back

__all__ = ["cut_short", "parse_feed", "parse_with_feedparser", "try_fast_parse"]

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
_LEADING_SPACE = re.compile(rb"(\xef\xbb\xbf|)([ \t\r\n]+)<\?xml[ \t\r\n]")
_HTML_START = re.compile(
    r"\A(?:\s|<\?xml[^>]*>|<!--.*?-->)*(?:<!doctype\s+html|<html|<head|<body|<meta|<title)", re.IGNORECASE | re.DOTALL
)


def parse_feed(body: bytes, *, url: str, content_type: str | None = None, encoding: str | None = None) -> ParsedFeed:
    """Parse one fetched document. `url` is where it came from (base of relative links and of error messages);
    `content_type` and `encoding` are the media type and charset of the HTTP response, when known."""
    if _sniff(body, url, content_type) == "json":
        return from_json(read_json_feed(body, url=url), url)
    return _in_its_language(lambda charset: _parse_xml(body, url, content_type, charset), body, encoding)


def _parse_xml(body: bytes, url: str, content_type: str | None, encoding: str | None) -> tuple[ParsedFeed, bool]:
    """An XML document through the fast path, else feedparser; and whether its encoding was a guess."""
    headers = _headers(url, content_type, encoding)
    _refuse_entity_bombs(body, url, headers)
    tidy, note = _tidy(body)
    fast = fast_parse(tidy, headers=headers)
    if isinstance(fast, FastResult):
        warning = join_warnings(note, fast.bozo)
        return _build(fast.version, fast.feed, fast.entries, warning, url, body, content_type), fast.guessed
    # feedparser's tolerant parser takes minutes on some large malformed documents (a megabyte of nested tags):
    # an HTML page is recognised without it, and a large document libxml2 refused is read in part.
    if _starts_like_html(body):
        raise FeedParseError(_not_a_feed(body, url, content_type, None), url=url)
    part, cut = _first_part(body)
    parsed, guessed = _feedparser_read(part, url, content_type, encoding)
    return (replace(parsed, warning=join_warnings(parsed.warning, cut)) if cut else parsed), guessed


_Read = TypeVar("_Read", ParsedFeed, "ParsedFeed | str")


def _in_its_language(read: Callable[[str | None], tuple[_Read, bool]], body: bytes, encoding: str | None) -> _Read:
    """`read(encoding)`, or, when that guessed the encoding (feedparser's Windows-1252), `read` again in the Windows
    superset of the declared one (Shift_JIS as Windows-31J), else, for a document that declares none, in the legacy
    encoding of its language, when that reads its bytes (`feeds.watch.legacycharset`). A document that is UTF-8
    or whose declared encoding reads it is read once, as before."""
    parsed, guessed = read(encoding)
    if not guessed or isinstance(parsed, str):
        return parsed
    wider = declared_superset(body, encoding)
    if wider is not None and _reads(body, wider):
        return read(wider)[0]  # (as a browser reads it: nothing to warn of)
    if encoding is not None:
        return parsed
    legacy = language_charset(body)
    if legacy is None or not _reads(body, legacy):
        return parsed
    again, _ = read(legacy)
    if isinstance(again, str):
        return again
    return replace(again, warning=join_warnings(legacy_note(legacy, body), again.warning))


def _reads(body: bytes, charset: str) -> bool:
    try:
        body.decode(charset)
    except UnicodeDecodeError:
        return False
    return True


_ROOT_END = re.compile(rb"</(?:[A-Za-z_][\w.-]*:)?(?:rss|feed|RDF)\s*>")


def cut_short(body: bytes, *, url: str, content_type: str | None = None, encoding: str | None = None) -> bool:
    """Whether an XML feed `parse_feed` read with a warning stops before the end tag of its RSS, Atom or RDF root
    (the server stopped writing mid-body): what came was read, but the answer's validators stand for the whole.
    (Only a malformed document can have been cut: ask only of one that parsed with a warning.)"""
    if _sniff(body, url, content_type) == "json":
        return False  # (a JSON Feed cut short is not JSON, and not read at all)
    headers = _headers(url, content_type, encoding)
    return _ROOT_END.search(convert_to_utf8(dict(headers), body, {})) is None


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
        return from_json(read_json_feed(body, url=url), url)
    return _in_its_language(lambda charset: _feedparser_read(body, url, content_type, charset), body, encoding)


def _feedparser_read(body: bytes, url: str, content_type: str | None, encoding: str | None) -> tuple[ParsedFeed, bool]:
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
    bozo_text = warning_text(bozo) if bozo is not None else None
    entries = result["entries"]
    if bozo is not None and entries and _lacks_identity(entries) and _ends_inside_entry(tidy, headers):
        entries = entries[:-1]
        bozo_text = join_warnings(bozo_text, "the document ends inside an entry, which is left for a later poll")
    warning = join_warnings(note, bozo_text)
    parsed = _build(result.get("version", ""), result["feed"], entries, warning, url, body, content_type)
    return parsed, parse_fell_back(result, headers, tidy)


def _lacks_identity(entries: Sequence[dict[str, Any]]) -> bool:
    """The last entry has no guid/id, or no link, where the others have one (or it is alone and lacks either)."""
    last, others = entries[-1], entries[:-1]
    return any(not plain_get(last, k) and (not others or any(plain_get(o, k) for o in others)) for k in ("id", "link"))


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

    def read(charset: str | None) -> tuple[ParsedFeed | str, bool]:
        fast = fast_parse(tidy, headers=_headers(url, content_type, charset))
        if isinstance(fast, str):
            return fast, False
        warning = join_warnings(note, fast.bozo)
        return _build(fast.version, fast.feed, fast.entries, warning, url, body, content_type), fast.guessed

    return _in_its_language(read, body, encoding)


def _tidy(body: bytes) -> tuple[bytes, str | None]:
    """Remove white space before the XML declaration, with a note for the warning. It is a common slip (a blank
    line printed by a template) that XML forbids (XML 1.0 §2.8) and that sends feedparser to its tolerant parser,
    whose reading of the rest is poorer; both our paths read the tidied document instead."""
    match = _LEADING_SPACE.match(body)
    if not match:
        return body, None
    return match.group(1) + body[match.end(2) :], "white space before the XML declaration (ignored)"


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
    return feed_record(version, feed, entries, bozo)


def _starts_like_html(body: bytes) -> bool:
    """Whether the document opens as an HTML page does (a doctype, <html>, <head>…), whatever it was served as."""
    return _HTML_START.match(body[:4096].decode("utf-8", "replace")) is not None


def _not_a_feed(body: bytes, url: str, content_type: str | None, bozo: str | None) -> str:
    if (content_type or "").lower() in HTML_TYPES or _starts_like_html(body):
        links = find_feed_links(body, url)
        hint = f"; it links to a feed at {links[0][0]}" if links else "; it does not link to any feed"
        return f"this is an HTML page, not a feed{hint}"
    why = f" ({bozo})" if bozo else ""
    return f"this is not a feed: no RSS, Atom or JSON Feed document found{why}"
