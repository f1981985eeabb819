"""JSON Feed 1.1 renderer (pure): one vetted `FeedSpec` → the bytes of its feed.json.

Written with `json.dumps` in the spec's key order, UTF-8 without ASCII escapes, two-space indent and a final
newline, with `<`, `>` and `&` escaped so that no served file carries a literal "<script". JSON Feed's paging
(`next_url`) points at the RFC 5005 previous archive, its hubs at the WebSub hub. Authors are named on each item,
never on the feed (see `json_feed_bytes`).

What this module must not do: read the clock, the store or the file system, sort or drop entries, or vet a spec
itself (`feedcheck` does, once for all formats).
"""

from __future__ import annotations

import json
from typing import Any

from feeds.clock import rfc3339
from feeds.publish.feedcheck import checked_spec, history_links, self_url
from feeds.publish.spec import FeedEntry, FeedSpec, Person

JSON_FEED_VERSION = "https://jsonfeed.org/version/1.1"


def render_json_feed(spec: FeedSpec) -> bytes:
    """JSON Feed 1.1 in the spec's key order, UTF-8 without ASCII escapes, two-space indent, final newline."""
    return json_feed_bytes(checked_spec(spec))


def json_feed_bytes(spec: FeedSpec) -> bytes:
    """Render a spec that `checked_spec` has already vetted."""
    doc: dict[str, Any] = {"version": JSON_FEED_VERSION, "title": spec.title, "home_page_url": spec.home_url}
    doc["feed_url"] = self_url(spec, "json")
    if spec.subtitle:
        doc["description"] = spec.subtitle
    if spec.icon:
        doc["favicon"] = spec.icon  # Atom's icon is small and square, like JSON Feed's favicon (not its 512px icon)
    # No feed-level `authors`: Miniflux (internal/reader/json/adapter.go) adds them to every item's own, so a
    # release from another organisation, or a news item, read as written by the office too. Each item names its
    # authors instead, the feed's where it has none (what JSON Feed 1.1 would have it inherit).
    doc["language"] = spec.language
    if spec.hub:
        doc["hubs"] = [{"type": "WebSub", "url": spec.hub}]
    older = dict(history_links(spec, "json")).get("prev-archive")
    if older:
        doc["next_url"] = older  # JSON Feed's paging: the next (older) items, i.e. RFC 5005's previous archive
    doc["items"] = [_json_item(e, spec.author, spec.language) for e in spec.entries]
    text = json.dumps(doc, ensure_ascii=False, indent=2)
    # Escape the characters that matter to HTML (same JSON value for every reader), so no served file carries
    # a literal "<script" even when a title does.
    text = text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
    return (text + "\n").encode("utf-8")


def _json_item(entry: FeedEntry, feed_author: Person, feed_language: str) -> dict[str, Any]:
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
    item["authors"] = [_json_person(p) for p in entry.authors or (feed_author,)]
    if entry.categories:
        item["tags"] = [c.label or c.term for c in entry.categories]
    if entry.language and entry.language != feed_language:
        # Only where it differs, as Atom's xml:lang: JSON Feed 1.1 makes it optional, for an item in another
        # language than the feed's, and no reader takes a missing one for anything else.
        item["language"] = entry.language
    return item


def _json_person(person: Person) -> dict[str, str]:
    out = {"name": person.name}
    url = person.uri or (f"mailto:{person.email}" if person.email else None)  # JSON Feed authors have no email
    if url:
        out["url"] = url
    return out
