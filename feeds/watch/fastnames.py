"""Element names as feedparser sees them, for the fast path's walk (`feeds.watch.fastreader`): the name an lxml
tag (`{http://purl.org/dc/elements/1.1/}creator`) goes by under the namespaces declared so far (`dc:creator`), its
handler key (`dc_creator`), and what the walk needs to know of it, worked out once per document and namespace
state (`ElementName`): its rules, whether feedparser has a rule the fast path does not replay, whether it is an
extension leaf the walk may skip. Also the namespace declarations as feedparser tracks them (`track_namespace`,
which may set the feed's version) and attributes under feedparser's names (`attributes`).

What this module must not do: I/O, or keep any state of its own: the reader holds the declarations and caches the
names (`Reader.name_of`); the functions here only update the reader they are handed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from feedparser.api import StrictFeedParser  # type: ignore[import-untyped]
from feedparser.mixin import _FeedParserMixin  # type: ignore[import-untyped]

from feeds.watch.fastrules import END, START

if TYPE_CHECKING:
    from feeds.watch.fastreader import Reader

__all__ = ["MATHML", "SVG", "XLINK", "ElementName", "attributes", "element_name", "track_namespace"]

_MATCH_NS = {uri.lower(): prefix for uri, prefix in _FeedParserMixin.namespaces.items()}
"""feedparser's prefix for each namespace URI it knows (lower-cased)."""
_FP_START = frozenset(n[7:] for n in dir(StrictFeedParser) if n.startswith("_start_"))
_FP_END = frozenset(n[5:] for n in dir(StrictFeedParser) if n.startswith("_end_"))
_TEXTINPUT_PARTS = frozenset({"title", "link", "description", "name"})
_IMAGE_PARTS = frozenset({"title", "link", "description", "url", "href", "width", "height"})
XLINK = "http://www.w3.org/1999/xlink"
MATHML = "http://www.w3.org/1998/Math/MathML"
SVG = "http://www.w3.org/2000/svg"


class ElementName:
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


def element_name(tag: str, ns_in_use: Mapping[str, str], ns_map: Mapping[str | None, str]) -> ElementName:
    """What the walk needs to know of an lxml tag, under the namespaces declared so far: `ns_in_use` (prefix →
    URI, as feedparser tracks them) and `ns_map` (a declared prefix → feedparser's own prefix for its URI)."""
    namespace, _, local = tag[1:].partition("}") if tag[0] == "{" else ("", "", tag)
    lower = namespace.lower()
    if "backend.userland.com/rss" in lower:
        namespace = lower = "http://backend.userland.com/rss"
    prefix = _MATCH_NS.get(lower)
    name = local.lower()
    if prefix:
        name = prefix.lower() + ":" + name
    elif namespace:
        for declared, uri in ns_in_use.items():
            if declared and uri == namespace:
                name = declared + ":" + name
                break
    name = name.lower()
    given, _, suffix = name.partition(":") if ":" in name else ("", "", name)
    mapped = ns_map.get(given, given)
    return ElementName(name, f"{mapped}_{suffix}" if mapped else suffix, not mapped)


def track_namespace(r: Reader, prefix: str | None, uri: str) -> None:
    """feedparser's `track_namespace`: a declaration may give the feed its version, and changes the names read
    from then on (the reader's cache of them is emptied)."""
    lower = uri.lower()
    if not r.version:
        if (prefix, lower) == (None, "http://my.netscape.com/rdf/simple/0.9/"):
            r.version = "rss090"
        elif lower == "http://purl.org/rss/1.0/":
            r.version = "rss10"
        elif lower == "http://www.w3.org/2005/atom":
            r.version = "atom10"
    if "backend.userland.com/rss" in lower:
        uri = lower = "http://backend.userland.com/rss"
    if lower in _MATCH_NS:
        known = _MATCH_NS[lower]
        if r.ns_map.get(prefix) == known and r.ns_in_use.get(known) == uri:
            return  # declared again (an xhtml <div> in every entry): the names read so far stay right
        r.ns_map[prefix] = known
        r.ns_in_use[known] = uri
    else:
        if r.ns_in_use.get(prefix or "") == uri:
            return
        r.ns_in_use[prefix or ""] = uri
    r.names = {}


def attributes(r: Reader, el: Any, name: ElementName, items: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """An element's attributes under feedparser's names (`xml:base`, `xlink:href`, and each also unprefixed), with
    the namespace declarations feedparser reports as attributes (`decls`), `rel` and `type` lower-cased."""
    if not items and not r.decls and not name.math_or_svg:
        return []
    found: dict[str, str] = r.decls
    r.decls = {}
    if name.math_or_svg:
        tag = el.tag
        namespace, _, local = tag[1:].partition("}") if tag[0] == "{" else ("", "", tag)
        if (local.lower(), namespace) in (("math", MATHML), ("svg", SVG)):
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
