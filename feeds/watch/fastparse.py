"""The fast path for well-formed feeds: lxml reads the XML, and a lean replay of feedparser's rules reads the feed.

feedparser is our reference, but its SAX handler spends ~0.7 ms per entry in Python bookkeeping (1.6 ms with its
sanitiser). Here libxml2 builds the tree in C and `Reader` walks it once, replaying feedparser's element handlers
(`feeds.watch.fastrules`) with the same state: element stack, xml:base stack, title depth, "a second summary
becomes content", author syncing. The result has feedparser's shape (`feed` and `entries` dicts with the keys
`feeds.watch.parse` reads), so both go through one item builder, and tests prove they agree on every corpus file
the fast path accepts (70 of 73 XML feeds) and on the ~1,800 feedparser conformance cases it accepts, which cover
RSS 0.9x, RSS 1.0, RSS 2.0, Atom 0.3 and Atom 1.0.

Where feedparser's own pure helpers decide something (character encoding, DOCTYPE stripping, URL joining, date
formats, "does this text look like HTML"), they are called rather than re-implemented, so they cannot drift.

The reader DECLINES (returns the reason as a string, never guesses) whenever it is not sure to match: XML that
libxml2 will not parse (feedparser then uses its tolerant parser), an unknown encoding, any DOCTYPE, documents
without a recognised feed version (CDF, HTML), any element feedparser handles with a rule not replayed here,
states where feedparser itself would fail, and anything unexpected.

What this module must not do: any I/O, DTD or network access (the lxml parser never resolves entities), or
produce items of its own: it only reproduces feedparser's view of the document.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from xml.sax.saxutils import escape

from feedparser.api import StrictFeedParser  # type: ignore[import-untyped]
from feedparser.encodings import convert_to_utf8  # type: ignore[import-untyped]
from feedparser.html import _cp1252  # type: ignore[import-untyped]
from feedparser.mixin import _FeedParserMixin  # type: ignore[import-untyped]
from feedparser.sanitizer import replace_doctype  # type: ignore[import-untyped]
from feedparser.urls import _urljoin, make_safe_absolute_uri  # type: ignore[import-untyped]
from lxml import etree

from feeds.watch.fastbase import XHTML, Decline, Fallback, map_type, resolve
from feeds.watch.fastrules import END, START, end_updated, start_link

__all__ = ["FastResult", "fast_parse"]

Entry = dict[str, Any]

ACCEPTED_VERSIONS = frozenset(
    {"rss20", "rss10", "rss090", "rss091u", "rss092", "rss093", "rss094", "rss"}
    | {"atom10", "atom03", "atom02", "atom01", "atom"}
)
_MATCH_NS = {uri.lower(): prefix for uri, prefix in _FeedParserMixin.namespaces.items()}
_FP_START = frozenset(n[7:] for n in dir(StrictFeedParser) if n.startswith("_start_"))
_FP_END = frozenset(n[5:] for n in dir(StrictFeedParser) if n.startswith("_end_"))
_RELATIVE_URI_ELEMENTS = frozenset(
    {"comments", "docs", "href", "icon", "id", "link", "logo", "url", "wfw_comment", "wfw_commentrss"}
)
_TEXTINPUT_PARTS = frozenset({"title", "link", "description", "name"})
_IMAGE_PARTS = frozenset({"title", "link", "description", "url", "href", "width", "height"})
_XLINK = "http://www.w3.org/1999/xlink"
_MATHML = "http://www.w3.org/1998/Math/MathML"
_SVG = "http://www.w3.org/2000/svg"
_C1 = re.compile("[\x80-\x9f]")
_C1_CHARS = tuple(map(chr, range(0x80, 0xA0)))
_QUERY_ENTITY = re.compile("&([A-Za-z0-9_]+);")
_EMAIL = re.compile(
    r"(([a-zA-Z0-9\_\-\.\+]+)@((\[[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.)|(([a-zA-Z0-9\-]+\.)+))"
    r"([a-zA-Z]{2,4}|[0-9]{1,3})(\]?))(\?subject=\S+)?"
)
_looks_like_html: Callable[[str], bool] = _FeedParserMixin.looks_like_html


@dataclass(frozen=True, slots=True)
class FastResult:
    """feedparser's view of a document, in feedparser's shapes: `feed` and `entries` are dicts with its keys."""

    version: str
    feed: Entry
    entries: tuple[Entry, ...]
    bozo: str | None
    """The encoding warning feedparser would also report (its bozo text), or None."""


def fast_parse(body: bytes, *, headers: Mapping[str, str]) -> FastResult | str:
    """Read `body` as feedparser would with these (lower-case) response headers; a str is the reason to decline."""
    result: dict[str, Any] = {}
    data = convert_to_utf8(dict(headers), body, result)
    if not result.get("encoding"):
        return "the character encoding is unknown"
    doctype_version, data, entities = replace_doctype(data)
    if entities or doctype_version:
        return "the DOCTYPE declares entities or Netscape RSS 0.91"
    parser = etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
        collect_ids=False,
    )
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as e:
        return f"not well-formed for libxml2 ({e})"
    if root.getroottree().docinfo.doctype:  # type: ignore[union-attr]
        return "a DOCTYPE remains (feedparser keeps some, with entities the fast path does not replay)"
    reader = Reader(headers.get("content-location", ""))
    nsmap = root.nsmap
    # When every "xmlns" in the document is one of the root's declarations, no element below it declares a
    # namespace, and the walk can hand the root's map down instead of asking lxml to build one per element.
    reader.scoped_ns = data.count(b"xmlns") != len(nsmap)
    try:
        reader.walk(root, {}, nsmap)
    except Decline as e:
        return str(e)
    except RecursionError:
        return "the document nests too deeply"
    except Exception as e:  # a surprise is no reason to fail: feedparser reads the document instead
        return f"unexpected {type(e).__name__} in the fast path: {e}"
    if reader.version not in ACCEPTED_VERSIONS:
        return f"feed version {reader.version or 'unknown'!r} is left to feedparser"
    exc = result.get("bozo_exception")
    return FastResult(reader.version, reader.feed, tuple(reader.entries), str(exc) if exc else None)


@lru_cache(maxsize=4096)
def _next_base(current: str, given: str | None) -> str:
    """The xml:base in force inside an element (feedparser keeps only safe absolute URIs)."""
    target = given or current
    if current:
        return str(make_safe_absolute_uri(current, target) or current)
    return str(_urljoin(current, target))


def _is_base64(attrs: Mapping[str, str], content_type: str) -> bool:
    if attrs.get("mode", "") == "base64":
        return True
    return not (content_type.startswith("text/") or content_type.endswith("+xml") or content_type.endswith("/xml"))


def _fix_text(output: str) -> str:
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


class _Name:
    """What the walk needs to know of one element name, worked out once per document and namespace state."""

    __slots__ = (
        "declines_end",
        "declines_start",
        "div",
        "end",
        "extension",
        "key",
        "leaves_image",
        "leaves_textinput",
        "math_or_svg",
        "name",
        "start",
        "suffix",
    )

    def __init__(self, name: str, key: str, unprefixed: bool) -> None:
        self.name = name
        """feedparser's name for the element (`dc:creator`)."""
        self.key = key
        """Its handler key (`dc_creator`), which is also the name it is pushed under when it has no handler."""
        self.start = START.get(key)
        self.end = END.get(key)
        self.declines_start = self.start is None and key in _FP_START
        self.declines_end = self.end is None and key in _FP_END
        self.extension = not unprefixed and not (key in START or key in END or key in _FP_START or key in _FP_END)
        """A prefixed element without any handler: a leaf of it without attributes can be skipped."""
        self.suffix = name.rpartition(":")[2]
        self.div = name in ("xhtml:div", "div")
        self.math_or_svg = name.endswith(("math", "svg"))
        self.leaves_textinput = unprefixed and name not in _TEXTINPUT_PARTS
        self.leaves_image = unprefixed and name not in _IMAGE_PARTS


class Reader:
    """One document's walk. Attribute names follow feedparser's state so the two can be compared line by line."""

    # Slots, not an instance dict: the walk reads and writes these attributes ~30 times per element, and an
    # instance dict is only fast while CPython can share its keys between instances. At 29 attributes it still
    # could; a 30th made every `self.x` take the unspecialised lookup (measured: 4% more instructions over the
    # corpus). Slots keep attribute access fast however many attributes the reader gains.
    __slots__ = (
        "basestack",
        "baseuri",
        "decls",
        "depth",
        "depths",
        "entries",
        "feed",
        "guidislink",
        "has_content",
        "inauthor",
        "incontent",
        "incontributor",
        "inentry",
        "infeed",
        "inimage",
        "inpublisher",
        "insource",
        "intextinput",
        "names",
        "ns_in_use",
        "ns_map",
        "params",
        "scoped_ns",
        "source",
        "stack",
        "summary_key",
        "svg",
        "title_depth",
        "version",
    )

    def __init__(self, base: str) -> None:
        self.feed: Entry = {}
        self.entries: list[Entry] = []
        self.depths: list[dict[str, int]] = []
        self.version = ""
        self.ns_in_use: dict[str, str] = {}
        self.ns_map: dict[str | None, str] = {}
        self.names: dict[str, _Name] = {}
        """What the walk knows of each lxml tag, under the namespaces declared so far."""
        self.stack: list[list[Any]] = []
        self.basestack: list[str] = []
        self.baseuri = base or ""
        self.params: dict[str, Any] = {}
        self.source: Entry = {}
        self.depth = 0
        self.title_depth = -1
        self.infeed = self.inentry = self.insource = self.inimage = self.intextinput = False
        self.inauthor = self.incontributor = self.inpublisher = False
        self.incontent = 0
        self.has_content = False
        self.summary_key: str | None = None
        self.guidislink = False
        self.svg = 0
        self.decls: dict[str, str] = {}
        self.scoped_ns = True
        """Whether elements below the root may declare namespaces (if not, they all share the root's map)."""

    # --- the walk: feedparser's SAX events, replayed over lxml's tree ------------------------------------

    def walk(self, el: Any, parent_ns: dict[str | None, str], nsmap: dict[str | None, str] | None = None) -> None:
        if nsmap is None:
            nsmap = el.nsmap
        same_ns = nsmap is parent_ns or nsmap == parent_ns
        if not same_ns:
            for prefix, uri in nsmap.items():
                if parent_ns.get(prefix) != uri and uri:
                    self.track_namespace(prefix, uri)
                    if prefix and uri == _XLINK:
                        self.decls["xmlns:" + prefix] = uri
        tag = el.tag
        names = self.names
        name = names.get(tag) or self.name_of(tag)
        if name.extension and not self.incontent and same_ns and not len(el) and not el.items():
            # An extension leaf without attributes: feedparser files its text under its own name, which nothing
            # we read uses. (With attributes it would not open an element, and its text would join its parent's.)
            return
        self.start(el, name)
        # Text and tails go to the open element, as `data` does (inline here: this runs for most elements twice).
        stack = self.stack
        text = el.text
        if text and stack:
            stack[-1][2].append(escape(text) if self.params.get("type") == XHTML else text)
        inherited = None if self.scoped_ns else nsmap
        for child in el:
            self.walk(child, nsmap, inherited)
            text = child.tail
            if text and stack:
                stack[-1][2].append(escape(text) if self.params.get("type") == XHTML else text)
        # a namespace declared inside the element can change its name (feedparser reads the end tag anew)
        self.end(name if self.names is names else self.name_of(tag))

    def track_namespace(self, prefix: str | None, uri: str) -> None:
        lower = uri.lower()
        if not self.version:
            if (prefix, lower) == (None, "http://my.netscape.com/rdf/simple/0.9/"):
                self.version = "rss090"
            elif lower == "http://purl.org/rss/1.0/":
                self.version = "rss10"
            elif lower == "http://www.w3.org/2005/atom":
                self.version = "atom10"
        if "backend.userland.com/rss" in lower:
            uri = lower = "http://backend.userland.com/rss"
        if lower in _MATCH_NS:
            known = _MATCH_NS[lower]
            if self.ns_map.get(prefix) == known and self.ns_in_use.get(known) == uri:
                return  # declared again (an xhtml <div> in every entry): the names read so far stay right
            self.ns_map[prefix] = known
            self.ns_in_use[known] = uri
        else:
            if self.ns_in_use.get(prefix or "") == uri:
                return
            self.ns_in_use[prefix or ""] = uri
        self.names = {}

    def name_of(self, tag: str) -> _Name:
        """What the walk needs to know of an lxml tag under the namespaces declared so far (cached until they
        change)."""
        cached = self.names.get(tag)
        if cached is not None:
            return cached
        namespace, _, local = tag[1:].partition("}") if tag[0] == "{" else ("", "", tag)
        lower = namespace.lower()
        if "backend.userland.com/rss" in lower:
            namespace = lower = "http://backend.userland.com/rss"
        prefix = _MATCH_NS.get(lower)
        name = local.lower()
        if prefix:
            name = prefix.lower() + ":" + name
        elif namespace:
            for declared, uri in self.ns_in_use.items():
                if declared and uri == namespace:
                    name = declared + ":" + name
                    break
        name = name.lower()
        given, _, suffix = name.partition(":") if ":" in name else ("", "", name)
        mapped = self.ns_map.get(given, given)
        self.names[tag] = result = _Name(name, f"{mapped}_{suffix}" if mapped else suffix, not mapped)
        return result

    def attributes(self, el: Any, name: _Name, items: list[tuple[str, str]]) -> list[tuple[str, str]]:
        if not items and not self.decls and not name.math_or_svg:
            return []
        found: dict[str, str] = self.decls
        self.decls = {}
        if name.math_or_svg:
            tag = el.tag
            namespace, _, local = tag[1:].partition("}") if tag[0] == "{" else ("", "", tag)
            if (local.lower(), namespace) in (("math", _MATHML), ("svg", _SVG)):
                found["xmlns"] = namespace
        if items:
            for key, value in items:
                if key[0] == "{":
                    namespace, _, local = key[1:].partition("}")
                    prefix = _MATCH_NS.get(namespace.lower(), "")
                    found[(prefix + ":" + local if prefix else local).lower()] = value
                else:
                    found[key.lower()] = value
            for key, value in items:
                found[(key[1:].partition("}")[2] if key[0] == "{" else key).lower()] = value
        return [(k, v.lower() if k in ("rel", "type") else v) for k, v in found.items()]

    def start(self, el: Any, names: _Name) -> None:
        items = el.items()
        if items or self.decls or self.incontent or names.math_or_svg:
            self.start_in_full(el, names, items)
            return
        # The common case, and the same steps as in full: no attributes, outside any content.
        self.depth += 1
        self.baseuri = base = _next_base(self.baseuri, None)
        self.basestack.append(base)
        self.open(names, {})

    def start_in_full(self, el: Any, names: _Name, items: list[tuple[str, str]]) -> None:
        name = names.name
        attrs = self.attributes(el, names, items)
        self.depth += 1
        attrs_d = dict(attrs) if attrs else {}
        self.baseuri = _next_base(self.baseuri, attrs_d.get("xml:base", attrs_d.get("base")) if attrs else None)
        self.basestack.append(self.baseuri)
        for k, v in attrs:
            if k.startswith("xmlns:"):
                self.track_namespace(k[6:], v)
        if self.incontent and not self.params.get("type", "xml").endswith("xml"):
            if names.div:
                return  # feedparser skips a <div> inside escaped markup ("typepad does this")
            self.params["type"] = XHTML  # escaped markup that holds elements: feedparser switches to XHTML
        if self.incontent and self.params.get("type") == XHTML:
            tag = name
            if ":" in tag:
                prefix, tag = tag.split(":", 1)
                namespace = self.ns_in_use.get(prefix, "")
                if (tag, namespace) in (("math", _MATHML), ("svg", _SVG)):
                    attrs.append(("xmlns", namespace))
            if tag == "svg":
                self.svg += 1
            attr_text = "".join(f' {k}="{escape(v, {chr(34): "&quot;"})}"' for k, v in attrs)
            self.data(f"<{tag}{attr_text}>", escape_xhtml=False)
            return
        self.open(names, attrs_d)

    def open(self, names: _Name, attrs_d: dict[str, str]) -> None:
        """An element that starts outside escaped markup: feedparser's handler for it, or its generic push."""
        if names.leaves_textinput:
            self.intextinput = False
        if names.leaves_image:
            self.inimage = False
        handler = names.start
        if handler is not None:
            handler(self, attrs_d)
        elif names.declines_start:
            raise Decline(f"feedparser has a rule for <{names.name}> that the fast path does not replay")
        elif attrs_d:
            self.context()[names.key] = attrs_d
        else:
            self.push(names.key, True)

    def end(self, names: _Name) -> None:
        key = names.key
        if self.svg and names.suffix == "svg":
            self.svg -= 1
        if self.svg:
            self.pop(key)
        elif (handler := names.end) is None:
            if names.declines_end:
                raise Decline(f"feedparser has a rule for </{names.name}> that the fast path does not replay")
            self.pop(key)
        else:
            try:
                handler(self)
            except Fallback:
                self.pop(key)
        if self.incontent:
            params = self.params
            if not params.get("type", "xml").endswith("xml"):
                if names.div:
                    return  # and, like feedparser, leave this element's depth and xml:base in force
                params["type"] = XHTML
            if params.get("type") == XHTML:
                self.data(f"</{names.suffix}>", escape_xhtml=False)
        basestack = self.basestack
        if basestack:
            basestack.pop()
            if basestack and basestack[-1]:
                self.baseuri = basestack[-1]
        self.depth -= 1

    def data(self, text: str, escape_xhtml: bool = True) -> None:
        if self.stack:
            if escape_xhtml and self.params.get("type") == XHTML:
                text = escape(text)
            self.stack[-1][2].append(text)

    # --- feedparser's element stack ----------------------------------------------------------------------

    def push(self, element: str, expecting_text: Any) -> None:
        self.stack.append([element, expecting_text, []])

    def pop(self, element: str, strip: bool = True) -> str | None:
        stack = self.stack
        if not stack or stack[-1][0] != element:
            return None
        element, expecting_text, pieces = stack.pop()
        params = self.params  # empty outside content, and then none of the checks on it below can apply
        if params and self.version == "atom10" and params.get("type", "text") == XHTML:
            pieces = _unwrap_div(pieces)
        output: str = "".join(pieces)
        if strip:
            output = output.strip()
        if not expecting_text:
            return output
        if params and params.get("base64"):
            with contextlib.suppress(binascii.Error, binascii.Incomplete, UnicodeDecodeError):
                output = base64.decodebytes(output.encode("utf8")).decode("utf8")
        if element in _RELATIVE_URI_ELEMENTS and output and (element != "id" or self.guidislink):
            output = resolve(self.baseuri or "", output)
        if params:
            if params.get("type") == "text/plain" and not self.version.startswith("atom") and _looks_like_html(output):
                params["type"] = "text/html"
            params.pop("mode", None)
            params.pop("base64", None)
        output = _fix_text(output)
        if element in ("category", "tags", "itunes_keywords"):
            return output
        if element == "title" and -1 < self.title_depth <= self.depth:
            return output
        if self.inentry and not self.insource:
            self.store_in_entry(element, output)
        elif self.infeed or self.insource:
            context = self.context()
            if element == "description":
                element = "subtitle"
            context[element] = output
            if element == "link":
                output = _QUERY_ENTITY.sub(r"&\g<1>", output)
                context[element] = output
                self.last_link(context)["href"] = output
            elif self.incontent:
                context[element + "_detail"] = {**self.params, "value": output}
        return output

    def store_in_entry(self, element: str, output: str) -> None:
        entry = self.entries[-1]
        if element == "content":
            entry.setdefault("content", []).append({**self.params, "value": output})
        elif element == "link":
            if not self.inimage:
                output = _QUERY_ENTITY.sub(r"&\g<1>", output.replace("&amp;", "&"))
                entry["link"] = output
                if output:
                    self.last_link(entry)["href"] = output
        else:
            if element == "description":
                element = "summary"
            depths = self.depths[-1]
            old = depths.get(element)
            if old is None or self.depth <= old:
                depths[element] = self.depth
                entry[element] = output
            if self.incontent:
                entry[element + "_detail"] = {**self.params, "value": output}

    @staticmethod
    def last_link(context: Entry) -> dict[str, Any]:
        links = context.get("links")
        if not links:
            raise Decline("a link outside any link list (feedparser itself fails here)")
        return links[-1]  # type: ignore[no-any-return]

    def push_content(self, tag: str, attrs: Mapping[str, str], default_type: str, expecting_text: Any) -> None:
        self.incontent += 1
        content_type = map_type(attrs.get("type", default_type))
        self.params = {"type": content_type, "base": self.baseuri}
        self.params["base64"] = _is_base64(attrs, content_type)
        self.push(tag, expecting_text)

    def pop_content(self, tag: str) -> str | None:
        value = self.pop(tag)
        self.incontent -= 1
        self.params.clear()
        return value

    # --- contexts and the helpers feedparser's handlers share ------------------------------------------------

    def context(self) -> Entry:
        if self.insource:
            return self.source
        if self.inimage and "image" in self.feed:
            return self.feed["image"]  # type: ignore[no-any-return]
        if self.intextinput:
            if "textinput" not in self.feed:
                raise Decline("a text input outside the channel (feedparser itself fails here)")
            return self.feed["textinput"]  # type: ignore[no-any-return]
        if self.inentry:
            return self.entries[-1]
        return self.feed

    def save(self, key: str, value: Any, overwrite: bool = False) -> None:
        if overwrite:
            self.context()[key] = value
        else:
            self.context().setdefault(key, value)

    def save_author(self, key: str, value: Any, prefix: str = "author") -> None:
        context = self.context()
        context.setdefault(prefix + "_detail", {})[key] = value
        self.sync_author()
        context.setdefault("authors", [{}])[-1][key] = value

    def sync_author(self, key: str = "author") -> None:
        """feedparser's `_sync_author_detail`: the display string from the last author's parts, or the parts
        from the display string."""
        context = self.context()
        detail = context.get(key + "s", [{}])[-1]
        if detail:
            name, email = detail.get("name"), detail.get("email")
            if name and email:
                context[key] = f"{name} ({email})"
            elif name:
                context[key] = name
            elif email:
                context[key] = email
            return
        author, address = context.get(key), None
        if not author:
            return
        match = _EMAIL.search(author)
        if match:
            address = match.group(0)
            author = author.replace(address, "").replace("()", "").replace("<>", "").replace("&lt;&gt;", "")
            author = author.strip()
            if author and author[0] == "(":
                author = author[1:]
            if author and author[-1] == ")":
                author = author[:-1]
            author = author.strip()
        if author or address:
            context.setdefault(key + "_detail", detail)
        if author:
            detail["name"] = author
        if address:
            detail["email"] = address

    def add_tag(self, term: str | None, scheme: str | None, label: str | None) -> None:
        tags = self.context().setdefault("tags", [])
        if not term and not scheme and not label:
            return
        value = {"term": term, "scheme": scheme, "label": label}
        if value not in tags:
            tags.append(value)

    def cdf_common(self, attrs: Mapping[str, str]) -> None:
        if "lastmod" in attrs:
            self.push("updated", True)
            self.stack[-1][2] = [attrs["lastmod"]]
            end_updated(self)
        if "href" in attrs:
            start_link(self, {})
            self.stack[-1][2] = [attrs["href"]]
            self.pop("link")


def _unwrap_div(pieces: list[str]) -> list[str]:
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
