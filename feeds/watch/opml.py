"""OPML: reading a file of feeds (tolerant of the sloppy OPML readers export) and watching its feeds (`watch
import`, optionally fetching each first); exporting the watched feeds (`watch export`) is `opmlexport.py`.

An OPML import remembers the file each feed came from (`origin = "opml:<name>"`).
"""

from __future__ import annotations

import html.entities
import math
import re
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING, cast
from urllib.parse import urlsplit

from lxml import etree

from feeds.config import clamp_interval, shown_interval
from feeds.errors import FetchError, IngestError
from feeds.model import WatchedFeed
from feeds.watch.discovery import FEED, FeedCheck, fetch_check, marked_watched
from feeds.watch.feedurls import (
    canonical_feed_url,
    check_feed_url,
    loose_url,
    twin_note,
    unpollable,
    without_userinfo,
)
from feeds.watch.opmlattributes import INTERVAL_ATTRIBUTE as INTERVAL_ATTRIBUTE  # (`as`: `manage` imports it here)
from feeds.watch.opmlattributes import OWN_TITLE_ATTRIBUTE, PAUSED_REASON_ATTRIBUTE, feeds_value
from feeds.watch.opmlattributes import PAUSED_ATTRIBUTE as PAUSED_ATTRIBUTE  # (`as`: `manage` imports it here)
from feeds.watch.tags import feed_title, labels, tags_note

if TYPE_CHECKING:
    from feeds.app import App


@dataclass(frozen=True, slots=True)
class OpmlFeed:
    url: str
    title: str
    tags: tuple[str, ...]
    interval: float | None = None
    """Seconds between checks, from our own export's `feeds:interval` attribute (other OPML has none)."""
    interval_name: str = ""
    """How the file named that attribute (`feeds:interval`, or `feedsInterval` as exported before), for a note."""
    problem: str | None = None
    """Why the outline's URL cannot be watched as it stands (not http(s)), or its interval was not usable."""
    page: bool = False
    """The outline names a web page only (`htmlUrl`, no `xmlUrl`): `url` is the page, not a feed."""
    paused: bool = False
    """Our own export's `feeds:paused="true"`: the feed was paused where it was exported from."""
    gone_reason: str = ""
    """With `paused`, our own export's `feeds:pausedReason`, when a `410 Gone` was why (one line, cut); else ''."""
    own_title: bool = False
    """Our own export's `feeds:ownTitle="true"`: `title` is the name the feed gave itself, not one given to it."""
    included: bool = False
    """An OPML 2.0 inclusion (`type="include"`, or a `link` to a .opml file): `url` is another OPML file."""
    line: int | None = None
    """The line of the file its outline starts on (for a warning about it)."""


@dataclass(frozen=True, slots=True)
class OpmlImport:
    """What `import_opml` did with each outline of the file."""

    added: list[WatchedFeed]
    known: list[WatchedFeed]
    """Watched already (the file was imported before, or the feed added another way)."""
    skipped: list[tuple[str, str]]
    """(URL, why): outlines not watched."""
    notes: list[tuple[str, str]]
    """(URL, what was changed): watched, but not quite as the file said (an interval out of bounds)."""
    refused: list[OpmlRefusal] = field(default_factory=list)
    """Outlines that `--check` found were no feed, or could not fetch: not watched."""
    updated: list[tuple[WatchedFeed, str]] = field(default_factory=list)
    """(feed, what changed) of the `known` feeds this import changed (a feed moved to another folder of the file:
    `tags Europe → Asia`), so that a second import of 3,000 feeds says which it moved."""


@dataclass(frozen=True, slots=True)
class OpmlRefusal:
    """An outline of an OPML file not watched because fetching it (`watch import --check`) found no feed there:
    `check.verdict` says what it found, with the feeds a web page names (each marked when watched already)."""

    url: str
    title: str
    check: FeedCheck


_BARE_AMPERSAND = re.compile(rb"&(?!(?:[A-Za-z][A-Za-z0-9]*|#[0-9]+|#[xX][0-9A-Fa-f]+);)")

_NAMED_REFERENCE = re.compile(rb"&([A-Za-z][A-Za-z0-9]*);")
_XML_NAMED = frozenset((b"amp", b"lt", b"gt", b"quot", b"apos"))


def _xml_reference(m: re.Match[bytes]) -> bytes:
    """A named reference as XML reads it: XML's own five as they are, HTML's as numeric references."""
    if m[1] in _XML_NAMED:
        return m[0]
    chars = html.entities.html5.get(m[1].decode("ascii") + ";")
    return b"&amp;" + m[0][1:] if chars is None else "".join(f"&#{ord(c)};" for c in chars).encode("ascii")


def _xml_references(data: bytes) -> bytes:
    """`data` with every named reference as `_xml_reference` writes it, a piece at a time: one substitution over
    a whole file holding a million references (the entity attacks of tests/chaos) held a million pieces at once,
    129 MiB for a 3 MB file. A piece ends before an "&", so no reference is ever cut in two."""
    pieces: list[bytes] = []
    start = 0
    while start < len(data):
        end = data.find(b"&", start + _PIECE)
        end = len(data) if end < 0 else end
        pieces.append(_NAMED_REFERENCE.sub(_xml_reference, data[start:end]))
        start = end
    return b"".join(pieces)


_PIECE = 64 * 1024


_DECLARED_ENCODING = re.compile(rb"(?:\xef\xbb\xbf)?\s*<\?xml[^>]*encoding\s*=", re.IGNORECASE)


_DECLARED_UTF8 = re.compile(rb"(?:\xef\xbb\xbf)?\s*<\?xml[^>]*encoding\s*=\s*[\"']utf-?8[\"']", re.IGNORECASE)
_ESCAPED_BYTE = re.compile("[\udc80-\udcff]")


def _mended_utf8(data: bytes) -> bytes:
    """`data`, UTF-8 but for some bytes, with each of those read as windows-1252."""
    text = data.decode("utf-8", "surrogateescape")
    return _ESCAPED_BYTE.sub(lambda m: bytes([ord(m[0]) - 0xDC00]).decode("cp1252", "replace"), text).encode("utf-8")


def _is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


GONE_REASON = "410 Gone"
"""How the reason a `410 Gone` pauses a feed with begins (`feeds.watch.check`)."""
_REASON_LENGTH = 300
"""The most of a `feeds:pausedReason` kept (the file may come from anywhere; ours is about 110 characters)."""


def read_opml(data: bytes, origin: str) -> list[OpmlFeed]:
    """Feeds of an OPML file; nested outlines and `category` attributes become tags. Tolerant of sloppy OPML
    (recovering parser, any case of attribute names, `url` instead of `xmlUrl`), never loading entities."""
    return parse_opml(data, origin)[0]


def parse_opml(data: bytes, origin: str) -> tuple[list[OpmlFeed], str | None]:
    """`read_opml`, and where the parser had to recover from a file that is not well-formed (`line N (what)`),
    since what follows may be missing; IngestError when no feed was read from such a file."""
    parser = etree.XMLParser(recover=True, resolve_entities=False, no_network=True, huge_tree=False, load_dtd=False)
    if b"\x00" not in data:  # (not UTF-16/32, where this byte pattern means something else)
        if not _DECLARED_ENCODING.match(data) and not _is_utf8(data):
            # UTF-8 is what XML assumes, but a file saved by an old Windows editor is in its code page: read in
            # that, `Café` would otherwise be `Caf\ufffd`
            data = data.decode("cp1252", "replace").encode("utf-8")
        elif _DECLARED_UTF8.match(data) and not _is_utf8(data):
            # A template's declaration over titles typed in a Windows code page: the bytes that are no UTF-8 are
            # read in it (`Caf\ufffd` otherwise), the rest stays UTF-8
            data = _mended_utf8(data)
        # A bare "&" (`?a=1&b=2`, common in hand-written OPML) is not XML: the recovering parser would drop
        # "&b" and watch another URL. Escaped first, it stays as written.
        data = _BARE_AMPERSAND.sub(b"&amp;", data)
        # Titles as readers copied them from web pages (`&eacute;`, `&nbsp;`) are not XML: the parser dropped
        # them (`Le Monde dition`). HTML's named references become the characters; a name HTML does not know
        # stays as written.
        data = _xml_references(data)
    try:
        root = etree.fromstring(data, parser) if data.strip() else None
    except etree.XMLSyntaxError as e:
        raise IngestError(f"not an OPML file: {e.msg}", origin=origin) from e
    if root is None:
        raise IngestError("not an OPML file (empty or not XML)", origin=origin)
    if not isinstance(root.tag, str) or etree.QName(root).localname.lower() != "opml":
        raise IngestError(f"not an OPML file: its root element is <{etree.QName(root).localname}>", origin=origin)
    body = next((el for el in root.iter() if isinstance(el.tag, str) and el.tag.lower() == "body"), root)
    found: dict[str, OpmlFeed] = {}
    more_tags: dict[str, dict[str, None]] = {}

    def walk(el: etree._Element, path: tuple[str, ...]) -> None:
        for child in el:
            if not isinstance(child.tag, str) or child.tag.lower() != "outline":
                continue
            attrs = {str(k).lower(): str(v or "").strip() for k, v in child.attrib.items()}
            kind = attrs.get("type", "").lower()
            # OPML 2.0's `url` of a `link` (a web page, or an OPML file when it ends in .opml) or an `include` (an
            # OPML file) is no feed, though readers also write a feed's address in `url`
            linked = attrs.get("url", "") if kind in ("link", "include") and not attrs.get("xmlurl") else ""
            url = "" if linked else attrs.get("xmlurl") or attrs.get("url") or ""
            # `text` is what the reader shows (a name given there), `title` the feed's own; an outline's text must
            # not be empty, so exporters write the URL there when there is no name
            text = next((n for n in (attrs.get("text"), attrs.get("title")) if n and n != url), "")
            categories = tuple(
                c.strip().strip("/") for c in re.split(r"[,]", attrs.get("category", "")) if c.strip().strip("/")
            )
            if url:
                # (a folder named "World, Europe" must not come back as two tags from our own export)
                tags = tuple(dict.fromkeys(" ".join(t.replace(",", " ").split()) for t in (*path, *categories)))
                named, given = feeds_value(attrs, INTERVAL_ATTRIBUTE)
                interval, problem = None, None
                if given:
                    try:
                        interval = float(given) or None
                    except ValueError:
                        problem = f"{named}={given!r} is not a number of seconds"
                    else:
                        interval = interval if interval is not None and math.isfinite(interval) else None
                key = _spelling(url)
                if key in found:  # filed in another folder too (readers export it once per folder): both tags
                    # (gathered apart and set once at the end: a feed listed 20,000 times costs 20,000 steps)
                    more_tags.setdefault(key, dict.fromkeys(found[key].tags)).update(dict.fromkeys(tags))
                else:
                    paused = feeds_value(attrs, PAUSED_ATTRIBUTE)[1].lower() == "true"
                    reason = " ".join(feeds_value(attrs, PAUSED_REASON_ATTRIBUTE)[1].split())
                    gone = reason[:_REASON_LENGTH] if paused and reason.startswith(GONE_REASON) else ""
                    own = feeds_value(attrs, OWN_TITLE_ATTRIBUTE)[1].lower() == "true"
                    found[key] = OpmlFeed(
                        url=url,
                        title=text,
                        tags=tags,
                        interval=interval,
                        interval_name=named,
                        problem=problem,
                        paused=paused,
                        gone_reason=gone,
                        own_title=own,
                        line=cast(int | None, child.sourceline),
                    )
            elif linked:
                included = kind == "include" or urlsplit(linked).path.lower().endswith(".opml")
                found.setdefault(
                    linked, OpmlFeed(url=linked, title=text, tags=(), page=not included, included=included)
                )
            elif attrs.get("htmlurl") and not len(child):  # a page, not a folder of feeds: said, not dropped
                found.setdefault(attrs["htmlurl"], OpmlFeed(url=attrs["htmlurl"], title=text, tags=(), page=True))
            elif ("xmlurl" in attrs or "url" in attrs) and not len(child):  # a feed without its address: said too
                found.setdefault("\0" + text, OpmlFeed(url="", title=text, tags=(), problem="its xmlUrl is empty"))
            walk(child, (*path, text) if text and not url else path)

    walk(body, ())
    for key, every in more_tags.items():
        found[key] = replace(found[key], tags=tuple(every))
    fatal = next((e for e in parser.error_log if e.level_name == "FATAL"), None)
    # (one line, without advice meant for programmers: "…: 256, use XML_PARSE_HUGE option")
    what = " ".join(fatal.message.split(", use XML_PARSE_HUGE")[0].split()) if fatal is not None else ""
    stopped = f"line {fatal.line} ({what})" if fatal is not None else None
    if stopped and not found:
        raise IngestError(f"no feed read: {stopped.replace(' (', ': ', 1).removesuffix(')')}", origin=origin)
    return list(found.values()), stopped


def _spelling(url: str) -> str:
    """The one spelling of an outline's URL, so that a feed filed twice (`HTTPS://…:443/rss#uk` beside
    `https://…/rss`) is one feed with both folders, not two outlines of which the last renames and refiles it."""
    try:
        return canonical_feed_url(url)
    except ValueError:  # (not a URL: skipped later, saying why)
        return url


_INCLUDED = 'another OPML file (type="include"), not a feed: `feeds watch import` it once downloaded'

_LOOKUPS = 16
"""DNS lookups an OPML import makes at once."""

_CHECKS = 4
"""Feeds `watch import --check` fetches at once (never more than `watch.per_host` of them from one host): a few
at a time, as a person importing a file waits for them, without sending a site a burst of requests."""


def _vetted(app: App, feeds: Sequence[OpmlFeed]) -> list[str | FetchError]:
    """Each feed's canonical URL, or why it cannot be watched (as `watch add` refuses it: `check_feed_url`, then
    `refuse_unpollable`). Whether the HTTP client refuses a host is asked of each host once, the hosts side by side:
    a site's export names dozens of feeds on one host, and each lookup can wait seconds (for ever offline, until
    its timeout), so a file of a thousand feeds took minutes."""
    urls: list[str | FetchError] = []
    for f in feeds:
        try:
            urls.append(check_feed_url(app, f.url))
        except FetchError as e:
            urls.append(e)
    first_of_host: dict[str, str] = {}
    for url in urls:
        if isinstance(url, str):
            first_of_host.setdefault(_host(url), url)
    with ThreadPoolExecutor(max_workers=_LOOKUPS, thread_name_prefix="opml-dns") as pool:
        refusals = dict(zip(first_of_host, pool.map(app.http.refusal, first_of_host.values()), strict=True))
    return [u if not isinstance(u, str) or (why := refusals[_host(u)]) is None else unpollable(u, why) for u in urls]


def _host(url: str) -> str:
    """The host of a canonical feed URL, as the HTTP client looks it up (any port: the address is the same)."""
    return urlsplit(url).hostname or ""


def import_opml(app: App, path: Path, *, check: bool = False) -> OpmlImport:
    """Watch every feed of an OPML file that can be watched; say why each other one is not.

    With `check` (`watch import --check`), each feed not watched yet is first fetched once, as `watch add` checks
    it (`fetch_check`), a few at a time, and refused unless it is a feed: a web page (exported from a reader
    that gave its site's address as the feed's) is refused with the feeds it names. Without it (the default)
    nothing is fetched: a file of hundreds of feeds is imported at once, and the first poll says how each is."""
    if path.exists() and not path.is_file():  # a folder, or a pipe that would block for ever
        raise IngestError("not a regular file", origin=str(path))
    try:
        data = path.read_bytes()
    except OSError as e:
        raise IngestError(f"cannot read: {e.strerror or e}", origin=str(path)) from e
    done = OpmlImport([], [], [], [])
    outlines, stopped = parse_opml(data, str(path))
    if stopped:
        done.notes.append((str(path), f"not well-formed from {stopped}: an outline there may be missing"))
    elif not outlines:
        done.notes.append((str(path), "no outline with a feed's address (xmlUrl): nothing to watch"))

    checked = _vetted(app, [f for f in outlines if f.url and not f.page and not f.included])
    checks = _checked_feeds(app, [u for u in checked if isinstance(u, str)]) if check else {}
    vetted_urls = iter(checked)
    watched: dict[str, WatchedFeed] = {}  # (by `loose_url`: a feed added twice under near spellings is said)
    before: dict[str, WatchedFeed] = {}  # (by URL: what a feed watched already was, to say what changed)
    for known in app.store.feeds():
        watched.setdefault(loose_url(known.url), known)
        before[known.url] = known
    for f in outlines:
        if not f.url:
            done.skipped.append(
                (f"the outline {feed_title(f.title)[0] or '(untitled)'!r}", f"{f.problem}: nothing to watch")
            )
            continue
        if f.included:
            done.skipped.append((f.url, _INCLUDED))
            continue
        if f.page:
            done.skipped.append((f.url, "a web page, not a feed (no xmlUrl): `feeds watch discover URL` finds it"))
            continue
        url_or_error = next(vetted_urls)
        if isinstance(url_or_error, FetchError):
            done.skipped.append((without_userinfo(f.url) if "@" in f.url else f.url, url_or_error.message))
            continue
        url = url_or_error
        fetched = checks.get(url)
        if fetched is not None and fetched.verdict != FEED:
            done.refused.append(OpmlRefusal(f.url, feed_title(f.title)[0], fetched))
            continue
        moved = watched.get(loose_url(fetched.moved_to)) if fetched is not None and fetched.moved_to else None
        if moved is not None:  # (an old address of a feed watched now: watched twice otherwise)
            done.known.append(moved)
            done.notes.append((f.url, f"has moved permanently to #{moved.id} {moved.url}, watched already: not added"))
            continue
        interval = f.interval or app.settings.watch.interval
        note = None
        if f.problem:
            note = f"{f.problem}: checked every {shown_interval(interval)}"
        elif interval != clamp_interval(interval):
            interval = clamp_interval(interval)
            note = f"{f.interval_name} out of bounds (5 min to 30 days): every {shown_interval(interval)}"
        origin = f"opml:{path.name}"
        title, long_title = feed_title(f.title)
        if cut := "; ".join(filter(None, (long_title, tags_note(f.tags)))):
            done.notes.append((url, f"{path.name}, line {f.line}: {cut}" if f.line else f"{path.name}: {cut}"))
        feed, created = app.store.import_feed(
            url,
            title=title,
            tags=labels(f.tags),
            interval=interval,
            origin=origin,
            now=app.clock(),
            own_title=f.own_title,
        )
        if created and f.gone_reason:  # (a 410 paused it where it was exported: still gone, not fetched here)
            feed = app.store.pause_gone(feed.id, f.gone_reason)
        elif created and f.paused:  # (paused by hand where it was exported: not polled here either)
            feed = app.store.edit_feed(feed.id, enabled=False)
        (done.added if created else done.known).append(feed)
        if not created and (change := _changed(before.get(feed.url), feed)):
            done.updated.append((feed, change))
            before[feed.url] = feed  # (listed twice in the file: said once)
        twin = watched.setdefault(loose_url(feed.url), feed)
        if created and twin.id != feed.id:
            done.notes.append((url, twin_note(twin)))
        if note and (created or feed.origin == origin):  # a feed watched another way keeps its own interval
            done.notes.append((url, note))
    # (once the whole file is in: a page's feed further down it is watched now, not one to add)
    done.refused[:] = [
        replace(r, check=replace(r.check, named=tuple(marked_watched(app, r.check.named)))) for r in done.refused
    ]
    return done


def _changed(old: WatchedFeed | None, new: WatchedFeed) -> str:
    """What an import changed of a watched feed, in words (`tags Europe → Asia; every 30 min → 2 h`), or ''."""
    if old is None:
        return ""
    changes = []
    if old.tags != new.tags:
        changes.append(f"tags {', '.join(old.tags) or 'none'} → {', '.join(new.tags) or 'none'}")
    if old.title != new.title:
        changes.append(f"title {old.title!r} → " + (repr(new.title) if new.title else "the feed's own"))
    if old.interval != new.interval:
        changes.append(f"every {shown_interval(old.interval)} → {shown_interval(new.interval)}")
    return "; ".join(changes)


def _checked_feeds(app: App, urls: Sequence[str]) -> dict[str, FeedCheck]:
    """`fetch_check` of each of `urls` not watched already (each fetched once, however often the file lists it),
    `_CHECKS` at a time and at most `watch.per_host` at a time from one host, by URL."""
    watched = {f.url for f in app.store.feeds()}
    wanted = list(dict.fromkeys(u for u in urls if u not in watched))
    hosts = {urlsplit(u).netloc: threading.BoundedSemaphore(app.settings.watch.per_host) for u in wanted}

    def politely(url: str) -> FeedCheck:
        with hosts[urlsplit(url).netloc]:
            return fetch_check(app, url)

    with ThreadPoolExecutor(max_workers=_CHECKS, thread_name_prefix="opml-check") as pool:
        return dict(zip(wanted, pool.map(politely, wanted), strict=True))
