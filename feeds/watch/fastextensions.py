"""feedparser's rules for extension elements, replayed by the fast path: enclosures, Media RSS, iTunes images and
keywords, Creative Commons licences, GeoRSS and GML, and the RSS elements of no interest here (cloud, generator,
image sizes…) reduced to what they do to the element stack.

Part of the rules `feeds.watch.fastrules` gathers into `START` and `END`; the same conventions hold (one function
per feedparser handler, named after it, with the same effects on the reader's state; where feedparser itself would
fail, `Decline`).

What this module must not do: I/O, or decide anything feedparser would decide differently.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from feeds.watch.fastbase import Attrs, Decline, Fallback, enforce_href, nothing, pop_rule, push_rule

if TYPE_CHECKING:
    from feeds.watch.fastreader import Reader

__all__ = ["END", "START"]


def _keywords_end(element: str, scheme: str | None) -> Callable[[Reader], None]:
    def end(r: Reader) -> None:
        value = r.pop(element)
        if value is None:
            raise Fallback
        for term in value.split(","):
            if term.strip():
                r.add_tag(term.strip(), scheme, None)

    return end


def _start_enclosure(r: Reader, attrs: Attrs) -> None:
    attrs = enforce_href(attrs)
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


START: dict[str, Callable[[Reader, Attrs], None]] = {
    "enclosure": _start_enclosure,
    "cc_license": _start_cc_license,
    "itunes_image": _start_itunes_image,
    "itunes_link": _start_itunes_image,
    "media_content": _store_attrs("media_content"),
    "media_credit": _start_media_credit,
    "media_thumbnail": _start_media_thumbnail,
    "media_player": push_rule("media_player", False),
    "media_rating": push_rule("rating", True),
    "media_restriction": push_rule("restriction", True),
    "media_license": push_rule("license", True),
    "media_group": nothing,
    "cloud": nothing,
    "psc_chapters": nothing,
    "psc_chapter": nothing,
    "admin_generatoragent": nothing,
    "admin_errorreportsto": nothing,
    "generator": push_rule("generator", True),
    "newlocation": push_rule("newlocation", True),
    "dcterms_valid": push_rule("validity", True),
    "width": push_rule("width", False),
    "height": push_rule("height", False),
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
    **{k: push_rule("language", True) for k in ("language", "dc_language")},
    **{k: _start_georss for k in ("georss_point", "georss_line", "georss_polygon", "georss_box")},
}

END: dict[str, Callable[[Reader], None]] = {
    "itunes_keywords": _keywords_end("itunes_keywords", "http://www.itunes.com/"),
    "media_keywords": _keywords_end("media_keywords", None),
    "media_credit": pop_rule("credit"),
    "media_thumbnail": pop_rule("url"),
    "media_player": pop_rule("media_player"),
    "media_rating": pop_rule("rating"),
    "media_restriction": pop_rule("restriction"),
    "media_license": pop_rule("license"),
    "psc_chapters": lambda r: None,
    "generator": pop_rule("generator"),
    "newlocation": pop_rule("newlocation"),
    "dcterms_valid": pop_rule("validity"),
    "width": _end_size("width"),
    "height": _end_size("height"),
    "creativecommons_license": _end_creativecommons_license,
    "where": pop_rule("where"),
    "georss_where": pop_rule("where"),
    "gml_pos": _end_gml_pos,
    "gml_poslist": _end_gml_pos,
    **{
        k: pop_rule("geometry")
        for k in ("gml_point", "gml_linestring", "gml_polygon", "gml_exterior", "gml_linearring")
    },
    "itunes_block": lambda r: (r.pop("itunes_block", False), None)[1],
    "itunes_explicit": lambda r: (r.pop("itunes_explicit", False), None)[1],
    **{k: pop_rule("language") for k in ("language", "dc_language")},
    **{k: pop_rule("geometry") for k in ("georss_point", "georss_line", "georss_polygon", "georss_box")},
}
