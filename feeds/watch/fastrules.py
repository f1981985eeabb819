"""feedparser's element rules, replayed by the fast path (`feeds.watch.fastparse`) over lxml's tree.

One function per feedparser handler that the fields of a `WatchItem` depend on, named after it (`_start_guid`
replays `_start_guid`), with the same effects on the reader's state: the element stack, the contexts (feed,
entry, image, text input, source), authors and tags. Handlers whose effects never reach those fields are reduced
to what they do to the element stack. `START` and `END` map feedparser's handler keys (`dc_creator`,
`content_encoded`…) to them; an element that feedparser handles but that is missing here makes the fast path
decline the document.

What this module must not do: I/O, or decide anything feedparser would decide differently; where feedparser
would crash, `Decline` hands the document back to it.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import lru_cache
from typing import TYPE_CHECKING

from feedparser.datetimes import _parse_date  # type: ignore[import-untyped]
from feedparser.urls import _urljoin  # type: ignore[import-untyped]

if TYPE_CHECKING:
    from feeds.watch.fastparse import Reader

__all__ = [
    "END",
    "HTML_TYPES",
    "START",
    "XHTML",
    "Decline",
    "Fallback",
    "end_updated",
    "map_type",
    "resolve",
    "start_link",
]

HTML_TYPES = frozenset({"application/xhtml+xml", "text/html"})
XHTML = "application/xhtml+xml"
Attrs = dict[str, str]


class Decline(Exception):
    """The fast path cannot promise feedparser's result for this document."""


class Fallback(Exception):
    """An end handler met a state where feedparser's raises AttributeError, which feedparser answers by popping
    the element by name instead."""


@lru_cache(maxsize=4096)
def resolve(base: str, uri: str) -> str:
    return str(_urljoin(base, uri))


_TYPE_NAMES = {"text": "text/plain", "plain": "text/plain", "html": "text/html", "xhtml": XHTML}
_COPIED_TO_SUMMARY = HTML_TYPES | {"text/plain"}


def map_type(content_type: str) -> str:
    content_type = content_type.lower()
    return _TYPE_NAMES.get(content_type, content_type)


def _enforce_href(attrs: dict[str, str]) -> dict[str, str]:
    href = attrs.get("url", attrs.get("uri", attrs.get("href")))
    if href:
        attrs.pop("url", None)
        attrs.pop("uri", None)
        attrs["href"] = href
    return attrs


def _start_rss(r: Reader, attrs: Attrs) -> None:
    if not r.version or not r.version.startswith("rss"):
        given = attrs.get("version", "")
        versions = {"0.91": "rss091u", "0.92": "rss092", "0.93": "rss093", "0.94": "rss094"}
        r.version = versions.get(given) or ("rss20" if given.startswith("2.") else "rss")


def _start_channel(r: Reader, attrs: Attrs) -> None:
    r.infeed = True
    r.cdf_common(attrs)


def _start_feed(r: Reader, attrs: Attrs) -> None:
    r.infeed = True
    if not r.version:
        r.version = {"0.1": "atom01", "0.2": "atom02", "0.3": "atom03"}.get(attrs.get("version", ""), "atom")


def _end_channel(r: Reader) -> None:
    r.infeed = False


def _start_item(r: Reader, attrs: Attrs) -> None:
    r.entries.append({})
    r.depths.append({})
    r.push("item", False)
    r.inentry = True
    r.guidislink = False
    r.title_depth = -1
    prefix, _, local = "rdf:about".partition(":")
    about = attrs.get((r.ns_map.get(prefix) or prefix) + ":" + local)
    if about:
        r.context()["id"] = about
    r.cdf_common(attrs)


def _end_item(r: Reader) -> None:
    r.pop("item")
    r.inentry = False
    r.has_content = False


def _start_image(r: Reader, attrs: Attrs) -> None:
    context = r.context()
    if not r.inentry:
        context.setdefault("image", {})
    r.inimage = True
    r.title_depth = -1
    r.push("image", False)


def _end_image(r: Reader) -> None:
    r.pop("image")
    r.inimage = False


def _start_textinput(r: Reader, attrs: Attrs) -> None:
    context = r.context()
    if context is not r.feed:
        raise Decline("a text input inside an item (feedparser itself fails here)")
    context.setdefault("textinput", {})
    r.intextinput = True
    r.title_depth = -1
    r.push("textinput", False)


def _end_textinput(r: Reader) -> None:
    r.pop("textinput")
    r.intextinput = False


def _start_author(r: Reader, attrs: Attrs) -> None:
    r.inauthor = True
    r.push("author", True)
    r.context().setdefault("authors", []).append({})


def _end_author(r: Reader) -> None:
    r.pop("author")
    r.inauthor = False
    r.sync_author()


def _start_contributor(r: Reader, attrs: Attrs) -> None:
    r.incontributor = True
    r.context().setdefault("contributors", []).append({})
    r.push("contributor", False)


def _end_contributor(r: Reader) -> None:
    r.pop("contributor")
    r.incontributor = False


def _start_dc_contributor(r: Reader, attrs: Attrs) -> None:
    r.incontributor = True
    r.context().setdefault("contributors", []).append({})
    r.push("name", False)


def _end_dc_contributor(r: Reader) -> None:
    _end_name(r)
    r.incontributor = False


def _end_name(r: Reader) -> None:
    value = r.pop("name")
    if r.inpublisher:
        r.save_author("name", value, "publisher")
    elif r.inauthor:
        r.save_author("name", value)
    elif r.incontributor:
        r.context().setdefault("contributors", [{}])[-1]["name"] = value
    elif r.intextinput:
        r.context()["name"] = value


def _end_email(r: Reader) -> None:
    value = r.pop("email")
    if r.inpublisher:
        r.save_author("email", value, "publisher")
    elif r.inauthor:
        r.save_author("email", value)
    elif r.incontributor:
        r.context().setdefault("contributors", [{}])[-1]["email"] = value


def _end_url(r: Reader) -> None:
    value = r.pop("href")
    if r.inauthor:
        r.save_author("href", value)
    elif r.incontributor:
        r.context().setdefault("contributors", [{}])[-1]["href"] = value


def _start_itunes_owner(r: Reader, attrs: Attrs) -> None:
    r.inpublisher = True
    r.push("publisher", False)


def _end_itunes_owner(r: Reader) -> None:
    r.pop("publisher")
    r.inpublisher = False
    r.sync_author("publisher")


def _end_webmaster(r: Reader) -> None:
    r.pop("publisher")
    r.sync_author("publisher")


def _end_published(r: Reader) -> None:
    r.save("published_parsed", _parse_date(r.pop("published")), overwrite=True)


def end_updated(r: Reader) -> None:
    r.save("updated_parsed", _parse_date(r.pop("updated")), overwrite=True)


def _end_created(r: Reader) -> None:
    r.save("created_parsed", _parse_date(r.pop("created")), overwrite=True)


def _end_expirationdate(r: Reader) -> None:
    r.save("expired_parsed", _parse_date(r.pop("expired")), overwrite=True)


def _start_category(r: Reader, attrs: Attrs) -> None:
    r.add_tag(attrs.get("term"), attrs.get("scheme", attrs.get("domain")), attrs.get("label"))
    r.push("category", True)


def _start_media_category(r: Reader, attrs: Attrs) -> None:
    attrs.setdefault("scheme", "http://search.yahoo.com/mrss/category_schema")
    _start_category(r, attrs)


def _start_itunes_category(r: Reader, attrs: Attrs) -> None:
    r.add_tag(attrs.get("text"), "http://www.itunes.com/", None)
    r.push("category", True)


def _end_category(r: Reader) -> None:
    value = r.pop("category")
    if not value:
        return
    tags = r.context().get("tags")
    if tags is None:
        raise Decline("a category ends outside the context it began in (feedparser itself fails here)")
    if tags and not tags[-1]["term"]:
        tags[-1]["term"] = value
    else:
        r.add_tag(value, None, None)


def _keywords_end(element: str, scheme: str | None) -> Callable[[Reader], None]:
    def end(r: Reader) -> None:
        value = r.pop(element)
        if value is None:
            raise Fallback
        for term in value.split(","):
            if term.strip():
                r.add_tag(term.strip(), scheme, None)

    return end


def _end_tags(r: Reader) -> None:
    value = r.pop("tags")
    if value is None:
        raise Fallback
    for term in value.split(","):
        r.add_tag(term.strip(), None, None)


def start_link(r: Reader, attrs: Attrs) -> None:
    attrs.setdefault("rel", "alternate")
    attrs.setdefault("type", "application/atom+xml" if attrs["rel"] == "self" else "text/html")
    context = r.context()
    attrs = _enforce_href(attrs)
    if "href" in attrs:
        attrs["href"] = resolve(r.baseuri or "", attrs["href"])
    links = context.setdefault("links", [])
    if not (r.inentry and r.inimage):
        links.append(dict(attrs))
    if "href" in attrs:
        if attrs.get("rel") == "alternate" and map_type(attrs["type"]) in HTML_TYPES:
            context["link"] = attrs["href"]
    else:
        r.push("link", r.infeed or r.inentry or r.insource)


def _start_guid(r: Reader, attrs: Attrs) -> None:
    r.guidislink = attrs.get("ispermalink", "true") == "true"
    r.push("id", True)


def _end_guid(r: Reader) -> None:
    value = r.pop("id")
    r.save("guidislink", r.guidislink and "link" not in r.context())
    if r.guidislink:
        r.save("link", value)


def _start_title(r: Reader, attrs: Attrs) -> None:
    r.push_content("title", attrs, "text/plain", r.infeed or r.inentry or r.insource)


def _end_title(r: Reader) -> None:
    if r.pop_content("title"):
        r.title_depth = r.depth


def _end_media_title(r: Reader) -> None:
    kept = r.title_depth
    _end_title(r)
    r.title_depth = kept


def _start_description(r: Reader, attrs: Attrs) -> None:
    if "summary" in r.context() and not r.has_content:
        r.summary_key = "content"
        _start_content(r, attrs)
    else:
        r.push_content("description", attrs, "text/html", r.infeed or r.inentry or r.insource)


def _start_abstract(r: Reader, attrs: Attrs) -> None:
    r.push_content("description", attrs, "text/plain", r.infeed or r.inentry or r.insource)


def _end_description(r: Reader) -> None:
    if r.summary_key == "content":
        _end_content(r)
    else:
        r.pop_content("description")
    r.summary_key = None


def _start_summary(r: Reader, attrs: Attrs) -> None:
    if "summary" in r.context() and not r.has_content:
        r.summary_key = "content"
        _start_content(r, attrs)
    else:
        r.summary_key = "summary"
        r.push_content("summary", attrs, "text/plain", True)


def _end_summary(r: Reader) -> None:
    if r.summary_key == "content":
        _end_content(r)
    else:
        r.pop_content(r.summary_key or "summary")
    r.summary_key = None


def _start_content(r: Reader, attrs: Attrs) -> None:
    r.has_content = True
    r.push_content("content", attrs, "text/plain", True)
    if attrs.get("src"):
        r.params["src"] = attrs["src"]
    r.push("content", True)  # feedparser pushes twice here; the extra entry stays on its stack, and so on ours


def _start_body(r: Reader, attrs: Attrs) -> None:
    r.push_content("content", attrs, XHTML, True)


def _start_content_encoded(r: Reader, attrs: Attrs) -> None:
    r.has_content = True
    r.push_content("content", attrs, "text/html", True)


def _end_content(r: Reader) -> None:
    content_type = r.params.get("type")
    if content_type is None:
        raise Fallback
    copy_to_summary = map_type(content_type) in _COPIED_TO_SUMMARY
    value = r.pop_content("content")
    if copy_to_summary:
        r.save("summary", value)


def _text_construct(element: str) -> tuple[Callable[[Reader, Attrs], None], Callable[[Reader], None]]:
    def start(r: Reader, attrs: Attrs) -> None:
        r.push_content(element, attrs, "text/plain", True)

    def end(r: Reader) -> None:
        r.pop_content(element)

    return start, end


def _start_source(r: Reader, attrs: Attrs) -> None:
    if "url" in attrs:
        r.source["href"] = attrs["url"]
    r.push("source", True)
    r.insource = True
    r.title_depth = -1


def _end_source(r: Reader) -> None:
    r.insource = False
    value = r.pop("source")
    if value:
        r.source["title"] = value
    r.context()["source"] = dict(r.source)
    r.source.clear()


def _start_enclosure(r: Reader, attrs: Attrs) -> None:
    attrs = _enforce_href(attrs)
    attrs["rel"] = "enclosure"
    r.context().setdefault("links", []).append(attrs)


def _start_cc_license(r: Reader, attrs: Attrs) -> None:
    r.context().setdefault("links", []).append({"rel": "license"})


def _start_itunes_image(r: Reader, attrs: Attrs) -> None:
    r.push("itunes_image", False)
    href = attrs.get("href") or attrs.get("url")
    if href:
        r.context()["image"] = {"href": href}


def _start_georss(r: Reader, attrs: Attrs) -> None:
    r.push("geometry", False)
    r.context()["where"] = {}


def _start_creativecommons_license(r: Reader, attrs: Attrs) -> None:
    r.push("license", True)


def _end_creativecommons_license(r: Reader) -> None:
    value = r.pop("license")
    context = r.context()
    context.setdefault("links", []).append({"rel": "license", "href": value} if value else {"rel": "license"})
    if "license" not in context:
        raise Decline("a license ends outside the context it began in (feedparser itself fails here)")
    del context["license"]


def _start_where(r: Reader, attrs: Attrs) -> None:
    r.push("where", False)
    r.context()["where"] = {}


def _gml_start(element: str, srs: bool) -> Callable[[Reader, Attrs], None]:
    def start(r: Reader, attrs: Attrs) -> None:
        if srs:
            where = r.context().setdefault("where", {})
            where["srsName"] = attrs.get("srsname")
        r.push(element, False)

    return start


def _end_gml_pos(r: Reader) -> None:
    r.pop("pos")
    where = r.context().get("where")
    if where is None:
        raise Decline("a GML position outside a location (feedparser itself fails here)")
    srs_name = where.get("srsName")
    if srs_name and "EPSG" in srs_name and not srs_name.split(":")[-1].strip().lstrip("+-").isdigit():
        raise Decline("a GML position with an unreadable EPSG code (feedparser itself fails here)")


def _end_size(element: str) -> Callable[[Reader], None]:
    def end(r: Reader) -> None:
        if r.pop(element) is None:
            raise Decline(f"</{element}> without its start (feedparser itself fails here)")

    return end


def _push(element: str, expecting_text: bool) -> Callable[[Reader, Attrs], None]:
    """A handler that only opens `element` on the stack (what matters of it to the fields we read)."""

    def start(r: Reader, attrs: Attrs) -> None:
        r.push(element, expecting_text)

    return start


def _pop(element: str) -> Callable[[Reader], None]:
    def end(r: Reader) -> None:
        r.pop(element)

    return end


def _store_attrs(key: str) -> Callable[[Reader, Attrs], None]:
    def start(r: Reader, attrs: Attrs) -> None:
        r.context().setdefault(key, []).append(attrs)

    return start


def _start_media_credit(r: Reader, attrs: Attrs) -> None:
    r.context().setdefault("media_credit", []).append(attrs)
    r.push("credit", True)


def _start_media_thumbnail(r: Reader, attrs: Attrs) -> None:
    r.push("url", True)
    r.context().setdefault("media_thumbnail", []).append(attrs)


def _nothing(r: Reader, attrs: Attrs) -> None:
    """Handlers whose effects never reach the fields we read and that open nothing on the stack."""


START: dict[str, Callable[[Reader, Attrs], None]] = {
    "rss": _start_rss,
    "channel": _start_channel,
    "feed": _start_feed,
    "item": _start_item,
    "entry": _start_item,
    "image": _start_image,
    "textinput": _start_textinput,
    "contributor": _start_contributor,
    "dc_contributor": _start_dc_contributor,
    "itunes_owner": _start_itunes_owner,
    "category": _start_category,
    "keywords": _start_category,
    "dc_subject": _start_category,
    "media_category": _start_media_category,
    "itunes_category": _start_itunes_category,
    "link": start_link,
    "guid": _start_guid,
    "id": _start_guid,
    "description": _start_description,
    "dc_description": _start_description,
    "media_description": _start_description,
    "abstract": _start_abstract,
    "summary": _start_summary,
    "itunes_summary": _start_summary,
    "content": _start_content,
    "body": _start_body,
    "xhtml_body": _start_body,
    "content_encoded": _start_content_encoded,
    "fullitem": _start_content_encoded,
    "source": _start_source,
    "enclosure": _start_enclosure,
    "cc_license": _start_cc_license,
    "itunes_image": _start_itunes_image,
    "itunes_link": _start_itunes_image,
    "media_content": _store_attrs("media_content"),
    "media_credit": _start_media_credit,
    "media_thumbnail": _start_media_thumbnail,
    "media_player": _push("media_player", False),
    "media_rating": _push("rating", True),
    "media_restriction": _push("restriction", True),
    "media_license": _push("license", True),
    "media_group": _nothing,
    "cloud": _nothing,
    "psc_chapters": _nothing,
    "psc_chapter": _nothing,
    "admin_generatoragent": _nothing,
    "admin_errorreportsto": _nothing,
    "generator": _push("generator", True),
    "newlocation": _push("newlocation", True),
    "dcterms_valid": _push("validity", True),
    "width": _push("width", False),
    "height": _push("height", False),
    "creativecommons_license": _start_creativecommons_license,
    "where": _start_where,
    "georss_where": _start_where,
    "gml_point": _gml_start("geometry", True),
    "gml_linestring": _gml_start("geometry", True),
    "gml_polygon": _gml_start("geometry", True),
    "gml_exterior": _gml_start("geometry", False),
    "gml_linearring": _gml_start("geometry", False),
    "gml_pos": _gml_start("pos", False),
    "gml_poslist": _gml_start("pos", False),
    "name": _push("name", False),
    "itunes_name": _push("name", False),
    "email": _push("email", False),
    "itunes_email": _push("email", False),
    "tags": _push("tags", True),
    **{k: _start_author for k in ("author", "managingeditor", "dc_author", "dc_creator", "itunes_author")},
    **{k: _start_title for k in ("title", "dc_title", "media_title")},
    **{k: _push("href", True) for k in ("url", "homepage", "uri")},
    **{k: _push("language", True) for k in ("language", "dc_language")},
    **{k: _push("publisher", True) for k in ("webmaster", "dc_publisher")},
    **{k: _push("published", True) for k in ("published", "issued", "pubdate", "dcterms_issued")},
    **{k: _push("updated", True) for k in ("updated", "modified", "lastbuilddate", "dc_date", "dcterms_modified")},
    **{k: _push("created", True) for k in ("created", "dcterms_created")},
    "expirationdate": _push("expired", True),
    **{k: _start_georss for k in ("georss_point", "georss_line", "georss_polygon", "georss_box")},
}

END: dict[str, Callable[[Reader], None]] = {
    "channel": _end_channel,
    "feed": _end_channel,
    "item": _end_item,
    "entry": _end_item,
    "image": _end_image,
    "textinput": _end_textinput,
    "contributor": _end_contributor,
    "dc_contributor": _end_dc_contributor,
    "itunes_owner": _end_itunes_owner,
    "itunes_keywords": _keywords_end("itunes_keywords", "http://www.itunes.com/"),
    "media_keywords": _keywords_end("media_keywords", None),
    "tags": _end_tags,
    "link": _pop("link"),
    "guid": _end_guid,
    "id": _end_guid,
    "media_title": _end_media_title,
    "abstract": _end_description,
    "source": _end_source,
    "media_credit": _pop("credit"),
    "media_thumbnail": _pop("url"),
    "media_player": _pop("media_player"),
    "media_rating": _pop("rating"),
    "media_restriction": _pop("restriction"),
    "media_license": _pop("license"),
    "psc_chapters": lambda r: None,
    "generator": _pop("generator"),
    "newlocation": _pop("newlocation"),
    "dcterms_valid": _pop("validity"),
    "width": _end_size("width"),
    "height": _end_size("height"),
    "creativecommons_license": _end_creativecommons_license,
    "where": _pop("where"),
    "georss_where": _pop("where"),
    "gml_pos": _end_gml_pos,
    "gml_poslist": _end_gml_pos,
    **{k: _pop("geometry") for k in ("gml_point", "gml_linestring", "gml_polygon", "gml_exterior", "gml_linearring")},
    "itunes_block": lambda r: (r.pop("itunes_block", False), None)[1],
    "itunes_explicit": lambda r: (r.pop("itunes_explicit", False), None)[1],
    "expirationdate": _end_expirationdate,
    **{k: _end_author for k in ("author", "managingeditor", "dc_author", "dc_creator", "itunes_author")},
    **{k: _end_title for k in ("title", "dc_title")},
    **{k: _end_name for k in ("name", "itunes_name")},
    **{k: _end_email for k in ("email", "itunes_email")},
    **{k: _end_url for k in ("url", "homepage", "uri")},
    **{k: _pop("language") for k in ("language", "dc_language")},
    **{k: _end_webmaster for k in ("webmaster", "dc_publisher")},
    **{k: _end_published for k in ("published", "issued", "pubdate", "dcterms_issued")},
    **{k: end_updated for k in ("updated", "modified", "lastbuilddate", "dc_date", "dcterms_modified")},
    **{k: _end_created for k in ("created", "dcterms_created")},
    **{k: _end_category for k in ("category", "keywords", "dc_subject", "media_category", "itunes_category")},
    **{k: _end_description for k in ("description", "dc_description", "media_description")},
    **{k: _end_summary for k in ("summary", "itunes_summary")},
    **{k: _end_content for k in ("content", "body", "xhtml_body", "content_encoded", "fullitem")},
    **{k: _pop("geometry") for k in ("georss_point", "georss_line", "georss_polygon", "georss_box")},
}

for _element, _names in {
    "subtitle": ("subtitle", "tagline", "itunes_subtitle"),
    "rights": ("rights", "copyright", "dc_rights"),
    "info": ("info", "feedburner_browserfriendly"),
}.items():
    _start, _end = _text_construct(_element)
    for _name in _names:
        START[_name], END[_name] = _start, _end
