"""The fast path's walk: `Reader` replays feedparser's SAX events over the tree lxml built for `feeds.watch.fastparse`.

It holds the reader's state with feedparser's names (element stack, xml:base and xml:lang stacks, title depth, "a
second summary becomes content", the contexts of feed, entry, source, image and text input), opens and closes
elements through feedparser's rules (`feeds.watch.fastrules` and its families), and files each element's text where
feedparser would. Element names and namespace declarations are read by `feeds.watch.fastnames`, feedparser's pure
touches on text by `feeds.watch.fasttext`.

What this module must not do: parse bytes, decide encodings or DOCTYPEs (`feeds.watch.fastparse` does, before the
walk), any I/O, or guess: whatever it does not replay exactly it declines (`Decline`), and feedparser reads the
document instead.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import re
from collections.abc import Callable, Mapping
from typing import Any
from xml.sax.saxutils import escape

from feedparser.mixin import _FeedParserMixin  # type: ignore[import-untyped]

from feeds.watch.fastbase import XHTML, Decline, Fallback, map_type, resolve
from feeds.watch.fastnames import MATHML, SVG, XLINK, ElementName, attributes, element_name, track_namespace
from feeds.watch.fasttext import fix_text, is_base64, next_base, unwrap_div

__all__ = ["Entry", "Reader"]

Entry = dict[str, Any]

_RELATIVE_URI_ELEMENTS = frozenset(
    {"comments", "docs", "href", "icon", "id", "link", "logo", "url", "wfw_comment", "wfw_commentrss"}
)
_QUERY_ENTITY = re.compile("&([A-Za-z0-9_]+);")
_looks_like_html: Callable[[str], bool] = _FeedParserMixin.looks_like_html


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
        "lang",
        "langstack",
        "names",
        "ns_in_use",
        "ns_map",
        "params",
        "scoped_ns",
        "source",
        "stack",
        "summary_key",
        "svg",
        "tag_keys",
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
        self.names: dict[str, ElementName] = {}
        """What the walk knows of each lxml tag, under the namespaces declared so far."""
        self.stack: list[list[Any]] = []
        self.basestack: list[str] = []
        self.baseuri = base or ""
        self.langstack: list[str | None] = []
        self.lang: str | None = None
        """The `xml:lang` in force (feedparser's: the language of the text constructs and content it reads)."""
        self.params: dict[str, Any] = {}
        self.tag_keys: dict[int, set[tuple[str | None, ...]]] = {}
        """The tags each context (by `id`) holds already: looked up there, not in its list (40,000 tags: 72 s)."""
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
                    track_namespace(self, prefix, uri)
                    if prefix and uri == XLINK:
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

    def name_of(self, tag: str) -> ElementName:
        """What the walk needs to know of an lxml tag under the namespaces declared so far (cached until they
        change)."""
        cached = self.names.get(tag)
        if cached is not None:
            return cached
        self.names[tag] = result = element_name(tag, self.ns_in_use, self.ns_map)
        return result

    def start(self, el: Any, names: ElementName) -> None:
        items = el.items()
        if items or self.decls or self.incontent or names.math_or_svg:
            self.start_in_full(el, names, items)
            return
        # The common case, and the same steps as in full: no attributes, outside any content.
        self.depth += 1
        self.baseuri = base = next_base(self.baseuri, None)
        self.basestack.append(base)
        self.langstack.append(self.lang)
        self.open(names, {})

    def start_in_full(self, el: Any, names: ElementName, items: list[tuple[str, str]]) -> None:
        name = names.name
        attrs = attributes(self, el, names, items)
        self.depth += 1
        attrs_d = dict(attrs) if attrs else {}
        self.baseuri = next_base(self.baseuri, attrs_d.get("xml:base", attrs_d.get("base")) if attrs else None)
        self.basestack.append(self.baseuri)
        lang = attrs_d.get("xml:lang", attrs_d.get("lang")) if attrs else None
        self.lang = lang = None if lang == "" else self.lang if lang is None else lang  # ("" says: none known)
        self.langstack.append(lang)
        for k, v in attrs:
            if k.startswith("xmlns:"):
                track_namespace(self, k[6:], v)
        if self.incontent and not self.params.get("type", "xml").endswith("xml"):
            if names.div:
                return  # feedparser skips a <div> inside escaped markup ("typepad does this")
            self.params["type"] = XHTML  # escaped markup that holds elements: feedparser switches to XHTML
        if self.incontent and self.params.get("type") == XHTML:
            tag = name
            if ":" in tag:
                prefix, tag = tag.split(":", 1)
                namespace = self.ns_in_use.get(prefix, "")
                if (tag, namespace) in (("math", MATHML), ("svg", SVG)):
                    attrs.append(("xmlns", namespace))
            if tag == "svg":
                self.svg += 1
            attr_text = "".join(f' {k}="{escape(v, {chr(34): "&quot;"})}"' for k, v in attrs)
            self.data(f"<{tag}{attr_text}>", escape_xhtml=False)
            return
        self.open(names, attrs_d)

    def open(self, names: ElementName, attrs_d: dict[str, str]) -> None:
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

    def end(self, names: ElementName) -> None:
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
        langstack = self.langstack
        if langstack:
            langstack.pop()
            if langstack:
                self.lang = langstack[-1]
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
            pieces = unwrap_div(pieces)
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
        output = fix_text(output)
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
        if self.lang:
            self.lang = self.lang.replace("_", "-")
        self.params = {"type": content_type, "language": self.lang, "base": self.baseuri}
        self.params["base64"] = is_base64(attrs, content_type)
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

    def add_tag(self, term: str | None, scheme: str | None, label: str | None) -> None:
        context = self.context()
        tags = context.setdefault("tags", [])
        if not term and not scheme and not label:
            return
        seen = self.tag_keys.setdefault(id(context), set())
        if (term, scheme, label) not in seen:
            seen.add((term, scheme, label))
            tags.append({"term": term, "scheme": scheme, "label": label})
