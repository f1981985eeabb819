"""Feed renderers: one `FeedSpec` → the bytes of its Atom 1.0, RSS 2.0 and JSON Feed 1.1 documents.

    FeedSpec ──check──► (URLs encoded, ids/people/dates asserted) ──one FeedGenerator + extensions──► Atom, RSS
                                                                  └─json.dumps───────────────────────► JSON Feed

Atom and RSS are built with feedgen 1.0.0, one FeedGenerator per spec for both formats (entries are added once),
which needs help to be valid and repeatable; every fix is made on feedgen's lxml tree through its extension hooks
(`extend_atom` / `extend_rss`), never on serialised text:
- feedgen stamps feed and entry dates with *now* and prepends entries: every timestamp is set from the spec (RFC 3339
  `Z` in Atom, RFC 822 `+0000` in RSS, both from `feeds.clock`) and entries are appended in spec order.
- its Atom entry links keep only `href` (upstream bug #135): the one rel="alternate" type="text/html" link is restored.
- RSS shares Atom's link list, keeps only the first rel="self" (Atom's) and takes the last link as <link>: the self
  link is pointed at rss.xml, <link> at the home page, and hub and RFC 5005 links are added to the channel.
- an RSS item gets the summary as <description> (escaped: it is HTML there) and the content as content:encoded; the
  channel <description> is HTML too (feedparser reports it as text/html, and readers render it), so the subtitle or
  title feedgen wrote as it is is escaped there as well. Atom's <subtitle type="text"> and JSON Feed's description
  stay plain text.
- its RSS date code switches the process-wide locale (`feedgen.util.formatRFC2822`, not thread-safe): RSS dates never
  reach feedgen, so rendering never calls `locale.setlocale` and any thread may render (tested).
- it has no stylesheet PI, no fh:archive, no JSON Feed, and checks no URL, id or author: all added here.

A spec is asserted, not repaired: a relative URL, a non-URI id, a missing author, a naive datetime, duplicate ids or
a feed older than one of its entries raise ValueError naming the feed and the field. One repair is made because it
is lossless and defined (RFC 3987 §3.1): characters not allowed in a URI (non-ASCII, spaces, brackets outside an
IPv6 host) are percent-encoded,
so links copied from external feeds still validate.

What this module must not do: read the clock, the store or the file system, sort or drop entries, or edit XML as text.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Callable
from dataclasses import replace
from functools import partial
from typing import Any
from urllib.parse import quote, urlsplit

from feedgen.feed import FeedGenerator  # type: ignore[import-untyped]
from lxml import etree

from feeds.clock import ensure_utc, rfc822, rfc3339
from feeds.config import AUTHOR_EMAIL
from feeds.publish.spec import FEED_FILES, MEDIA_TYPES, Category, FeedEntry, FeedFormat, FeedSpec, Person, RenderedFile

ATOM_NS = "http://www.w3.org/2005/Atom"
FH_NS = "http://purl.org/syndication/history/1.0"  # RFC 5005 feed history
DC_NS = "http://purl.org/dc/elements/1.1/"
MEDIA_NS = "http://search.yahoo.com/mrss/"  # Media RSS: media:thumbnail, the lead image readers show beside an entry
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
RSS_DOCS = "https://www.rssboard.org/rss-specification"
JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
# RFC 4151 §2.1 tag:authorityName,date:specific[#fragment]. The authority must be lowercase: the W3C validator
# compares ids with their canonical form (RFC 3986 §6.2.2.1) and warns on any difference.
_TAG_URI = re.compile(
    r"tag:(?:[a-z0-9._%+-]+@)?[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?,\d{4}(?:-\d\d(?:-\d\d)?)?:"
    r"[A-Za-z0-9\-._~!$&'()*+,;=:@/?%]*(?:#[A-Za-z0-9\-._~!$&'()*+,;=:@/?%]*)?"
)
# RFC 3986 unreserved + reserved, but for '[' and ']', which delimit an IPv6 host and nothing else (§3.2.2): in a path
# or query they are not URI characters, and the W3C validator refuses such a link. '%' kept for existing escapes.
_URI_SAFE = "-._~:/?#@!$&'()*+,;=%"
_STRAY_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")


def render_feed(spec: FeedSpec) -> tuple[RenderedFile, ...]:
    """One RenderedFile per format in `spec.formats`, at `spec.path` + atom.xml / rss.xml / feed.json."""
    if spec.path and (not spec.path.endswith("/") or spec.path.startswith("/") or ".." in spec.path.split("/")):
        raise ValueError(f"feed {spec.key!r}: path {spec.path!r} must be '' or a relative folder ending in '/'")
    checked = _checked(spec)  # once for all formats
    fg = _feed_generator(checked) if {"atom", "rss"} & set(spec.formats) else None  # once for Atom and RSS
    renderers: dict[FeedFormat, Callable[[], bytes]] = {
        "atom": lambda: _atom_bytes(fg),
        "rss": lambda: _rss_bytes(fg),
        "json": lambda: _json_feed(checked),
    }
    return tuple(RenderedFile(spec.path + FEED_FILES[fmt], renderers[fmt]()) for fmt in spec.formats)


def render_atom(spec: FeedSpec) -> bytes:
    """The Atom document: feed metadata, self/alternate/hub/RFC 5005 links, entries in spec order."""
    return _atom_bytes(_feed_generator(_checked(spec)))


def render_rss(spec: FeedSpec) -> bytes:
    """The RSS channel, with atom:link rel="self" (and hub, RFC 5005 links), items in spec order."""
    return _rss_bytes(_feed_generator(_checked(spec)))


def _atom_bytes(fg: FeedGenerator) -> bytes:
    data: bytes = fg.atom_str(pretty=True, encoding="UTF-8", xml_declaration=True)
    return data


def _rss_bytes(fg: FeedGenerator) -> bytes:
    data: bytes = fg.rss_str(pretty=True, encoding="UTF-8", xml_declaration=True)
    return data


# ── one FeedGenerator for both formats ─────────────────────────────────────────────────────────────────────────


def _feed_generator(spec: FeedSpec) -> FeedGenerator:
    """A FeedGenerator holding the spec (already vetted by `_checked`), ready for `atom_str` and `rss_str`.

    feedgen keeps one set of fields for both formats; where Atom and RSS must differ, the setters below hold the
    Atom value and the RSS fix-ups (`_RssChannelFixes`, `_RssItemFixes`) correct the RSS tree, and vice versa.
    Both extensions are registered at feed level with an entry class, so feedgen gives every entry its own
    instance, which is then given its FeedEntry (feedgen's own idiom: `fe.<extension>.<setter>(...)`).
    """
    fg = FeedGenerator()
    fg.register_extension("feeds_atom", partial(_AtomFeedFixes, spec), partial(_AtomEntryFixes, spec), True, False)
    fg.register_extension("feeds_rss", partial(_RssChannelFixes, spec), _RssItemFixes, False, True)
    fg.id(spec.id)
    fg.title(spec.title)
    fg.updated(spec.updated)
    # feedgen also stores updated as RSS lastBuildDate and would format it through its locale-switching code (see
    # the module docstring); _RssChannelFixes writes it from the spec. No public setter clears it.
    fg._FeedGenerator__rss_lastBuildDate = None
    fg.author(_person_dict(spec.author))
    fg.link(href=_self_url(spec, "atom"), rel="self", type=MEDIA_TYPES["atom"])  # RSS: made rss.xml by the fixes
    fg.link(href=spec.home_url, rel="alternate", type="text/html")
    for rel, href in _history_links(spec, "atom"):
        fg.link(href=href, rel=rel, type=MEDIA_TYPES["atom"])
    if spec.hub:
        fg.link(href=spec.hub, rel="hub")
    fg.language(spec.language)  # xml:lang on <feed>, <language> in RSS
    fg.generator(spec.generator)  # replaces feedgen's own name and version: output must not change on upgrades
    fg.description(spec.subtitle or spec.title)  # RSS needs a non-blank description; Atom's subtitle is removed if
    fg.docs(RSS_DOCS)  # ...the spec has none (_AtomFeedFixes)
    if spec.rights:
        fg.rights(spec.rights)  # atom:rights and RSS <copyright>
    if spec.icon:
        fg.icon(spec.icon)  # Atom only
    if spec.author.email:
        fg.managingEditor(_rss_person(spec.author))  # RSS only
    for entry in spec.entries:
        fe = fg.add_entry(order="append")
        fe.feeds_atom.entry = fe.feeds_rss.entry = entry
        fe.id(entry.id)  # also the RSS guid, isPermaLink="false": tag: ids are not URLs a browser can open
        fe.title(entry.title)
        fe.updated(entry.updated)  # Atom only
        # No fe.published(): it would route RSS pubDate through feedgen's locale switch. The fixes write both.
        if entry.link is not None:
            fe.link(href=entry.link, rel="alternate", type="text/html")  # also the RSS <link>
        if entry.summary:
            fe.summary(entry.summary, type="text")
        if entry.content_html:
            fe.content(entry.content_html, type="html")  # escaped HTML, as RFC 4287 §3.1.1.2 wants
        if entry.authors:
            fe.author([_person_dict(p) for p in entry.authors])
        if entry.categories:
            fe.category([_category_dict(c) for c in entry.categories])
        # No fe.source(): feedgen would also write an atom:source, which needs data we do not keep (see below).
    return fg


class _Fixes:
    """A feedgen extension (called by name: extend_ns, extend_atom, extend_rss) that changes nothing by default.

    feedgen instantiates registered classes without arguments, so each subclass is registered as a `partial`
    holding its data. Not derived from feedgen's BaseExtension, which is untyped and empty.
    """

    def extend_ns(self) -> dict[str, str]:
        return {}

    def extend_atom(self, el: etree._Element) -> etree._Element:
        return el

    def extend_rss(self, el: etree._Element) -> etree._Element:
        return el


# ── Atom 1.0 (RFC 4287) ─────────────────────────────────────────────────────────────────────────────────────────


class _AtomFeedFixes(_Fixes):
    """Feed-level fixes, run by feedgen after the metadata and before the entries (metadata must precede them)."""

    def __init__(self, spec: FeedSpec) -> None:
        self.spec = spec

    def extend_ns(self) -> dict[str, str]:
        return ({"fh": FH_NS} if self.spec.archive else {}) | _media_ns(self.spec)

    def extend_atom(self, feed: etree._Element) -> etree._Element:
        # feedgen's Atom elements carry no namespace in the tree (it sets xmlns as an attribute), so plain names.
        _set_text(feed, "updated", rfc3339(self.spec.updated))
        if not self.spec.subtitle:
            feed.remove(_child(feed, "subtitle"))  # feedgen copied the RSS description into it
        if self.spec.archive:
            etree.SubElement(feed, f"{{{FH_NS}}}archive")  # RFC 5005 §4: a complete, unchanging archive document
        _add_stylesheet(feed, self.spec.stylesheet, self.spec.css)
        return feed


class _AtomEntryFixes(_Fixes):
    """Entry-level fixes: data timestamps, the alternate link's rel/type, the via link, a differing xml:lang."""

    entry: FeedEntry  # set by _feed_generator right after feedgen creates the instance

    def __init__(self, spec: FeedSpec) -> None:
        self.spec = spec

    def extend_atom(self, el: etree._Element) -> etree._Element:
        entry = self.entry
        title, updated = _leading(el, "id", "title", "updated")[1:]
        updated.text = rfc3339(entry.updated)
        etree.SubElement(el, "published").text = rfc3339(entry.published)  # last, where feedgen would put it
        title.set("type", "text")
        link = _child(el, "link") if entry.link is not None else None
        if link is not None:  # feedgen bug #135 drops rel and type: exactly one alternate per entry
            link.set("rel", "alternate")
            link.set("type", "text/html")
        if entry.related_url:
            related = etree.Element("link", href=entry.related_url, rel="related", type="text/html")
            (link if link is not None else updated).addnext(related)
        if entry.source_url:
            # Where a matched item came from. rel="via" (RFC 4287 §4.2.7.2), not atom:source: that element needs
            # the source feed's id and updated, which we do not keep, and the validator warns without them.
            via = etree.Element("link", href=entry.source_url, rel="via")
            if entry.source_title:
                via.set("title", entry.source_title)
            if link is not None:
                link.addnext(via)
            else:
                updated.addnext(via)
        if entry.language and entry.language != self.spec.language:
            el.set(XML_LANG, entry.language)
        _add_thumbnail(el, entry)
        return el


def _media_ns(spec: FeedSpec) -> dict[str, str]:
    return {"media": MEDIA_NS} if any(e.image for e in spec.entries) else {}


def _add_thumbnail(el: etree._Element, entry: FeedEntry) -> None:
    """The lead image as media:thumbnail (Atom entry or RSS item): what Feedly, Inoreader and Miniflux show beside
    an entry. Not an enclosure: RSS requires its length and type, which we do not know without fetching it."""
    if entry.image:
        etree.SubElement(el, f"{{{MEDIA_NS}}}thumbnail", url=entry.image)


# ── RSS 2.0 (RSS Advisory Board specification) ─────────────────────────────────────────────────────────────────


def _dc_creators(entry: FeedEntry) -> tuple[str, ...]:
    """Names for dc:creator when RSS <author> cannot carry them (no email, or several authors)."""
    if len(entry.authors) == 1 and entry.authors[0].email:
        return ()
    return tuple(p.name for p in entry.authors)


class _RssChannelFixes(_Fixes):
    """Channel-level fixes: the description as HTML, RSS's own self link and <link>, dates from the spec, the
    atom:links feedgen drops, fh:archive, the stylesheet PI."""

    def __init__(self, spec: FeedSpec) -> None:
        self.spec = spec

    def extend_ns(self) -> dict[str, str]:
        ns = {"dc": DC_NS} if any(_dc_creators(e) for e in self.spec.entries) else {}
        return ns | ({"fh": FH_NS} if self.spec.archive else {}) | _media_ns(self.spec)

    def extend_rss(self, rss: etree._Element) -> etree._Element:
        spec = self.spec
        channel = _child(rss, "channel")
        # An RSS channel <description> is HTML, as an item's is (_RssItemFixes): feedgen wrote the plain text as it
        # is, so a topic or organisation named "<script>…" would reach readers as markup. Escaped, it reads as text.
        _set_text(channel, "description", html.escape(spec.subtitle or spec.title, quote=False))
        _set_text(channel, "link", spec.home_url)  # feedgen uses whichever link was added last
        self_link = _child(channel, f"{{{ATOM_NS}}}link")  # feedgen copied the first rel="self": Atom's
        self_link.set("href", _self_url(spec, "rss"))
        self_link.set("type", MEDIA_TYPES["rss"])
        stamp = rfc822(spec.updated)
        etree.SubElement(channel, "pubDate").text = stamp
        etree.SubElement(channel, "lastBuildDate").text = stamp
        for rel, href in _history_links(spec, "rss"):
            # An RSS subscriber walking back through the archives is handed RSS (the same archives, as RSS).
            etree.SubElement(channel, f"{{{ATOM_NS}}}link", href=href, rel=rel, type=MEDIA_TYPES["rss"])
        if spec.hub:
            etree.SubElement(channel, f"{{{ATOM_NS}}}link", href=spec.hub, rel="hub")
        if spec.archive:
            etree.SubElement(channel, f"{{{FH_NS}}}archive")
        _add_stylesheet(rss, spec.stylesheet, spec.css)
        return rss


class _RssItemFixes(_Fixes):
    """Item-level fixes: the summary as HTML, authors RSS <author> cannot carry, <source>, pubDate."""

    entry: FeedEntry  # set by _feed_generator right after feedgen creates the instance

    def extend_rss(self, item: etree._Element) -> etree._Element:
        entry = self.entry
        if entry.summary:
            # <description> is the synopsis and content:encoded the full HTML (the RSS Advisory Board's RSS Profile,
            # §4.1.1.4 and §5). feedgen wrote the summary as it is, but an RSS description is HTML: escape it. Most
            # summaries have nothing to escape, and the element is then left as written.
            escaped = html.escape(entry.summary, quote=False)
            if escaped != entry.summary:
                leading = ("title", "link", "description") if entry.link is not None else ("title", "description")
                _leading(item, *leading)[-1].text = escaped
        creators = _dc_creators(entry)
        if creators:
            for author in item.findall("author"):  # feedgen wrote one per author with an email
                item.remove(author)
        if entry.source_url and entry.source_title:
            etree.SubElement(item, "source", url=entry.source_url).text = entry.source_title
        etree.SubElement(item, "pubDate").text = rfc822(entry.published)
        for name in creators:
            etree.SubElement(item, f"{{{DC_NS}}}creator").text = name
        _add_thumbnail(item, entry)
        return item


# ── JSON Feed 1.1 ───────────────────────────────────────────────────────────────────────────────────────────────


def render_json_feed(spec: FeedSpec) -> bytes:
    """JSON Feed 1.1 in the spec's key order, UTF-8 without ASCII escapes, two-space indent, final newline."""
    return _json_feed(_checked(spec))


def _json_feed(spec: FeedSpec) -> bytes:
    """Render a spec that `_checked` has already vetted."""
    doc: dict[str, Any] = {"version": JSON_FEED_VERSION, "title": spec.title, "home_page_url": spec.home_url}
    doc["feed_url"] = _self_url(spec, "json")
    if spec.subtitle:
        doc["description"] = spec.subtitle
    if spec.icon:
        doc["favicon"] = spec.icon  # Atom's icon is small and square, like JSON Feed's favicon (not its 512px icon)
    doc["authors"] = [_json_person(spec.author)]
    doc["language"] = spec.language
    if spec.hub:
        doc["hubs"] = [{"type": "WebSub", "url": spec.hub}]
    older = dict(_history_links(spec, "json")).get("prev-archive")
    if older:
        doc["next_url"] = older  # JSON Feed's paging: the next (older) items, i.e. RFC 5005's previous archive
    doc["items"] = [_json_item(e) for e in spec.entries]
    text = json.dumps(doc, ensure_ascii=False, indent=2)
    # Escape the characters that matter to HTML (same JSON value for every reader), so no served file carries
    # a literal "<script" even when a title does.
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return (text + "\n").encode("utf-8")


def _json_item(entry: FeedEntry) -> dict[str, Any]:
    item: dict[str, Any] = {"id": entry.id}
    if entry.link is not None:
        item["url"] = entry.link
    if entry.related_url:
        item["external_url"] = entry.related_url
    item["title"] = entry.title
    if entry.content_html:
        item["content_html"] = entry.content_html
        if entry.summary:
            item["summary"] = entry.summary
    else:
        item["content_text"] = entry.summary  # one of content_html / content_text must be present
    if entry.image:
        item["image"] = entry.image
    item["date_published"] = rfc3339(entry.published)
    item["date_modified"] = rfc3339(entry.updated)
    if entry.authors:
        item["authors"] = [_json_person(p) for p in entry.authors]
    if entry.categories:
        item["tags"] = [c.label or c.term for c in entry.categories]
    if entry.language:
        item["language"] = entry.language
    return item


def _json_person(person: Person) -> dict[str, str]:
    out = {"name": person.name}
    url = person.uri or (f"mailto:{person.email}" if person.email else None)  # JSON Feed authors have no email
    if url:
        out["url"] = url
    return out


# ── shared helpers ──────────────────────────────────────────────────────────────────────────────────────────────


def _history_links(spec: FeedSpec, fmt: FeedFormat) -> tuple[tuple[str, str], ...]:
    """RFC 5005 §4 links, in a fixed order, to the documents in format `fmt` (the spec names the Atom ones; every
    document of a feed has its other formats beside it)."""
    links = (("current", spec.current), ("prev-archive", spec.prev_archive), ("next-archive", spec.next_archive))
    atom, mine = FEED_FILES["atom"], FEED_FILES[fmt]
    return tuple((rel, href.removesuffix(atom) + mine if href.endswith(atom) else href) for rel, href in links if href)


def _self_url(spec: FeedSpec, fmt: FeedFormat) -> str:
    return _url(spec.url(fmt), f"feed {spec.key!r}: self URL")


def _person_dict(person: Person) -> dict[str, str]:
    return {k: v for k, v in (("name", person.name), ("email", person.email), ("uri", person.uri)) if v}


def _rss_person(person: Person) -> str:
    return f"{person.email} ({person.name})"  # the form the RSS spec and the validator expect


def _category_dict(category: Category) -> dict[str, str]:
    out = {"term": category.term}
    if category.label:
        out["label"] = category.label  # feedgen uses it as the RSS <category> text
    if category.scheme:
        out["scheme"] = category.scheme  # ...and as the RSS domain attribute
    return out


def _child(parent: etree._Element, tag: str) -> etree._Element:
    found = parent.find(tag)
    if found is None:  # feedgen always writes the elements we look up; anything else is a bug
        raise AssertionError(f"feedgen wrote no <{tag}> under <{parent.tag}>")
    return found


def _leading(parent: etree._Element, *tags: str) -> list[etree._Element]:
    """The first children of `parent`, asserted to be `tags` in order (feedgen writes a fixed order; faster than
    one `find` per element in the per-entry fix-ups)."""
    children = list(parent)[: len(tags)]
    if [child.tag for child in children] != list(tags):  # feedgen changed its order: a bug to see, not to guess
        raise AssertionError(f"feedgen wrote {[c.tag for c in children]} under <{parent.tag}>, expected {tags}")
    return children


def _set_text(parent: etree._Element, tag: str, text: str) -> None:
    _child(parent, tag).text = text


def _add_stylesheet(root: etree._Element, xsl: str | None, css: str | None = None) -> None:
    """<?xml-stylesheet?> right after the XML declaration, so browsers show the feed through feed.xsl; then the
    CSS, which a browser that no longer runs XSLT applies instead (one that does shows the transform's page)."""
    for kind, href in (("text/xsl", xsl), ("text/css", css)):
        if href:
            value = html.escape(href, quote=True)  # pseudo-attributes take entity references (xml-stylesheet §2)
            root.addprevious(etree.ProcessingInstruction("xml-stylesheet", f'type="{kind}" href="{value}"'))


# ── checks ──────────────────────────────────────────────────────────────────────────────────────────────────────


def _checked(spec: FeedSpec) -> FeedSpec:
    """The spec with every assertion made and every URL in URI form; raises ValueError naming feed and field."""
    where = f"feed {spec.key!r}"
    _require(spec.title.strip() != "", f"{where}: title is blank")
    _check_id(spec.id, f"{where}: id")
    _require(spec.base_url.endswith("/"), f"{where}: base_url {spec.base_url!r} must end with '/'")
    _url(spec.base_url, f"{where}: base_url")
    updated = ensure_utc(spec.updated).replace(microsecond=0)  # compared as written: whole seconds
    if spec.archive:
        # RFC 5005 §4: an archive document names its current feed (the validator warns without it).
        _require(spec.current is not None, f"{where}: an archive document needs its 'current' link")
    seen: set[str] = set()
    entries = []
    for entry in spec.entries:  # the hot loop of a big publish: messages are built only when a check fails
        checked = _checked_entry(entry, where)
        if checked.id in seen:
            raise ValueError(f"{where}: entry id {checked.id!r} appears twice")
        seen.add(checked.id)
        if ensure_utc(checked.updated).replace(microsecond=0) > updated:
            raise ValueError(
                f"{where}: entry {checked.id!r} updated {rfc3339(checked.updated)} is newer than the feed's "
                f"{rfc3339(updated)} (RFC 4287 §4.2.15: the feed's updated covers its entries)"
            )
        entries.append(checked)
    return replace(
        spec,
        home_url=_url(spec.home_url, f"{where}: home_url"),
        hub=_optional_url(spec.hub, f"{where}: hub"),
        icon=_optional_url(spec.icon, f"{where}: icon"),
        current=_optional_url(spec.current, f"{where}: current"),
        prev_archive=_optional_url(spec.prev_archive, f"{where}: prev_archive"),
        next_archive=_optional_url(spec.next_archive, f"{where}: next_archive"),
        stylesheet=_stylesheet_url(spec.stylesheet, f"{where}: stylesheet"),
        css=_stylesheet_url(spec.css, f"{where}: css"),
        author=_checked_person(spec.author, f"{where}: author"),
        entries=tuple(entries),
    )


def _plain_entry(entry: FeedEntry) -> bool:
    """True when the entry needs no rewriting and passes every check (most entries): no messages to build."""

    def plain(url: str | None) -> bool:
        return url is None or _PLAIN_URL.fullmatch(url) is not None

    return (
        entry.id.isascii()
        and _TAG_URI.fullmatch(entry.id) is not None
        and entry.title.strip() != ""
        and entry.published.tzinfo is not None
        and entry.updated.tzinfo is not None
        and plain(entry.link)
        and plain(entry.image)
        and plain(entry.source_url)
        and plain(entry.related_url)
        and all(
            p.name.strip() and plain(p.uri) and (p.email is None or AUTHOR_EMAIL.fullmatch(p.email))
            for p in entry.authors
        )
        and all(plain(c.scheme) for c in entry.categories)
    )


def _checked_entry(entry: FeedEntry, feed_where: str) -> FeedEntry:
    if _plain_entry(entry):
        return entry
    where = f"{feed_where}: entry {entry.id!r}"
    _check_id(entry.id, f"{where}: id")
    _require(entry.title.strip() != "", f"{where}: title is blank")
    ensure_utc(entry.published)
    ensure_utc(entry.updated)
    return replace(
        entry,
        link=_optional_url(entry.link, f"{where}: link"),
        image=_optional_url(entry.image, f"{where}: image"),
        source_url=_optional_url(entry.source_url, f"{where}: source_url"),
        related_url=_optional_url(entry.related_url, f"{where}: related_url"),
        authors=tuple(_checked_person(p, f"{where}: author") for p in entry.authors),
        categories=tuple(
            replace(c, scheme=_optional_url(c.scheme, f"{where}: category {c.term!r} scheme")) for c in entry.categories
        ),
    )


def _check_person(person: Person, where: str) -> None:
    _require(person.name.strip() != "", f"{where}: missing author name (RFC 4287 §4.2.1 needs one)")
    if person.email is not None:
        _require(AUTHOR_EMAIL.fullmatch(person.email) is not None, f"{where}: {person.email!r} is not an email address")


def _checked_person(person: Person, where: str) -> Person:
    _check_person(person, where)
    return replace(person, uri=_optional_url(person.uri, f"{where}: uri"))


def _check_id(value: str, where: str) -> None:
    """An absolute URI (RFC 4287 §4.2.6); tag: URIs must follow RFC 4151."""
    ok = _SCHEME.match(value) is not None and value.isascii() and not any(c.isspace() for c in value)
    if ok and value[:4].lower() == "tag:":
        ok = _TAG_URI.fullmatch(value) is not None
    elif ok and urlsplit(value).scheme.lower() in ("http", "https"):
        ok = bool(urlsplit(value).netloc)
    _require(ok, f"{where}: {value!r} is not an absolute URI (use a tag: URI, RFC 4151)")


_PLAIN_URL = re.compile(r"https?://[a-z0-9.-]+(?::\d+)?(?:/[A-Za-z0-9\-._~:/?#@!$&'()*+,;=]*)?")


def _url(value: str, where: str) -> str:
    """An absolute http(s) URL in URI form (RFC 3987 §3.1: percent-encode what a URI may not contain)."""
    if _PLAIN_URL.fullmatch(value):  # the common case: already a plain URI, nothing to encode
        return value
    parts = urlsplit(value.strip())
    _require(
        parts.scheme.lower() in ("http", "https") and bool(parts.hostname),
        f"{where}: {value!r} is not an absolute http(s) URL",
    )
    netloc = parts.netloc
    if not netloc.isascii():
        userinfo, at, hostport = netloc.rpartition("@")
        host, colon, port = hostport.partition(":")
        try:
            netloc = userinfo + at + host.encode("idna").decode("ascii") + colon + port
        except UnicodeError as e:
            raise ValueError(f"{where}: {value!r} has an invalid host name") from e
    rest = value.strip()[len(parts.scheme) + 3 + len(parts.netloc) :]
    return f"{parts.scheme.lower()}://{netloc}{quote(_STRAY_PERCENT.sub('%25', rest), safe=_URI_SAFE)}"


def uri_form(value: str) -> str | None:
    """`value` in URI form (`_url`), or None when it is no absolute http(s) URL: for the links of the HTML pages,
    which must hold no character a URL may not (a `"`, a space), as the feeds' do."""
    try:
        return _url(value, "link")
    except ValueError:
        return None


def _optional_url(value: str | None, where: str) -> str | None:
    return None if value is None else _url(value, where)


def _stylesheet_url(value: str | None, where: str) -> str | None:
    """Absolute or root-relative (same origin: browsers refuse a cross-origin XSLT)."""
    if value is None:
        return None
    if value.startswith("/") and not value.startswith("//"):
        return quote(_STRAY_PERCENT.sub("%25", value), safe=_URI_SAFE)
    return _url(value, where)


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)
