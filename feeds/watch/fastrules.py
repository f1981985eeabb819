"""feedparser's element rules, replayed by the fast path (`feeds.watch.fastparse`) over lxml's tree.

One function per feedparser handler that the fields of a `WatchItem` depend on, named after it (`_start_guid`
replays `_start_guid`), with the same effects on the reader's state: the element stack, the contexts (feed,
entry, image, text input, source), authors and tags. Handlers whose effects never reach those fields are reduced
to what they do to the element stack. `START` and `END` map feedparser's handler keys (`dc_creator`,
`content_encoded`…) to them; an element that feedparser handles but that is missing here makes the fast path
decline the document.

The rules are grouped by the family of elements they handle: here the structure of a feed (the feed, its
items, image, text input and sources), links, ids, dates and categories; text constructs in
`feeds.watch.fastcontent`, people in `feeds.watch.fastpeople`, extensions in `feeds.watch.fastextensions`.
What they all share (`Decline`, `Fallback`, content types, URL joining) is in `feeds.watch.fastbase`.

What this module must not do: I/O, or decide anything feedparser would decide differently; where feedparser
would crash, `Decline` hands the document back to it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from feedparser.datetimes import _parse_date  # type: ignore[import-untyped]

from feeds.watch import fastcontent, fastextensions, fastpeople
from feeds.watch.fastbase import (
    HTML_TYPES,
    Attrs,
    Decline,
    Fallback,
    enforce_href,
    map_type,
    pop_rule,
    push_rule,
    resolve,
)

if TYPE_CHECKING:
    from feeds.watch.fastreader import Reader

__all__ = ["END", "START"]


def _start_rss(r: Reader, attrs: Attrs) -> None:
    if not r.version or not r.version.startswith("rss"):
        given = attrs.get("version", "")
        versions = {"0.91": "rss091u", "0.92": "rss092", "0.93": "rss093", "0.94": "rss094"}
        r.version = versions.get(given) or ("rss20" if given.startswith("2.") else "rss")


def _start_channel(r: Reader, attrs: Attrs) -> None:
    r.infeed = True
    _cdf_common(r, attrs)


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
    _cdf_common(r, attrs)


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


def _end_published(r: Reader) -> None:
    r.save("published_parsed", _parse_date(r.pop("published")), overwrite=True)


def _end_updated(r: Reader) -> None:
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


def _end_tags(r: Reader) -> None:
    value = r.pop("tags")
    if value is None:
        raise Fallback
    for term in value.split(","):
        r.add_tag(term.strip(), None, None)


def _start_link(r: Reader, attrs: Attrs) -> None:
    attrs.setdefault("rel", "alternate")
    attrs.setdefault("type", "application/atom+xml" if attrs["rel"] == "self" else "text/html")
    context = r.context()
    attrs = enforce_href(attrs)
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


def _cdf_common(r: Reader, attrs: Attrs) -> None:
    if "lastmod" in attrs:
        r.push("updated", True)
        r.stack[-1][2] = [attrs["lastmod"]]
        _end_updated(r)
    if "href" in attrs:
        _start_link(r, {})
        r.stack[-1][2] = [attrs["href"]]
        r.pop("link")


START: dict[str, Callable[[Reader, Attrs], None]] = {
    "rss": _start_rss,
    "channel": _start_channel,
    "feed": _start_feed,
    "item": _start_item,
    "entry": _start_item,
    "image": _start_image,
    "textinput": _start_textinput,
    "category": _start_category,
    "keywords": _start_category,
    "dc_subject": _start_category,
    "media_category": _start_media_category,
    "itunes_category": _start_itunes_category,
    "link": _start_link,
    "guid": _start_guid,
    "id": _start_guid,
    "source": _start_source,
    "tags": push_rule("tags", True),
    **{k: push_rule("published", True) for k in ("published", "issued", "pubdate", "dcterms_issued")},
    **{k: push_rule("updated", True) for k in ("updated", "modified", "lastbuilddate", "dc_date", "dcterms_modified")},
    **{k: push_rule("created", True) for k in ("created", "dcterms_created")},
    "expirationdate": push_rule("expired", True),
    **fastcontent.START,
    **fastpeople.START,
    **fastextensions.START,
}

END: dict[str, Callable[[Reader], None]] = {
    "channel": _end_channel,
    "feed": _end_channel,
    "item": _end_item,
    "entry": _end_item,
    "image": _end_image,
    "textinput": _end_textinput,
    "tags": _end_tags,
    "link": pop_rule("link"),
    "guid": _end_guid,
    "id": _end_guid,
    "source": _end_source,
    "expirationdate": _end_expirationdate,
    **{k: _end_published for k in ("published", "issued", "pubdate", "dcterms_issued")},
    **{k: _end_updated for k in ("updated", "modified", "lastbuilddate", "dc_date", "dcterms_modified")},
    **{k: _end_created for k in ("created", "dcterms_created")},
    **{k: _end_category for k in ("category", "keywords", "dc_subject", "media_category", "itunes_category")},
    **fastcontent.END,
    **fastpeople.END,
    **fastextensions.END,
}
