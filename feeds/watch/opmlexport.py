"""OPML out: `feeds watch export`, every watched feed as OPML 2.0 that `watch import` here or elsewhere, or another
reader, reads back as the same feeds in the same folders.

Tags go in `category` (all of them, as spelt), each feed in the folder of its first tag too, nested as the folders
were imported (`folder_paths`), with this software's own attributes in its own namespace, declared once on the
root (`feeds:interval`, `feeds:paused` and `feeds:pausedReason`, `feeds:ownTitle`: `opmlattributes.py`; OPML 2.0
allows no others). Other readers ignore them, and so does a version of ours from before 2026-12-02 (it knew them
in no namespace, `feedsInterval`…): it imports the feeds with its own default interval, none paused. What this
module must not do: read OPML (`opml.py`), or mask secrets: the file moves subscriptions to a reader that must
fetch them (the command says so on stderr).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

from lxml import etree

from feeds.model import DISABLED_BY_HAND, WatchedFeed
from feeds.watch.opml import GONE_REASON
from feeds.watch.opmlattributes import (
    FEEDS_NAMESPACE,
    FEEDS_PREFIX,
    INTERVAL_ATTRIBUTE,
    OWN_TITLE_ATTRIBUTE,
    PAUSED_ATTRIBUTE,
    PAUSED_REASON_ATTRIBUTE,
)

if TYPE_CHECKING:
    from feeds.app import App


def export_opml(app: App) -> bytes:
    """All watched feeds as OPML 2.0, tags in the `category` attribute, each feed in the folder (an outline of
    outlines) of its first tag too, for the readers that make folders of those and ignore `category`: nested, as
    `folder_path` says, so that Europe/UK imported comes back as Europe/UK, not as one flat Europe."""
    # (declared here once, whether or not a feed is exported: the same root for any set of feeds)
    root = etree.Element("opml", version="2.0", nsmap={FEEDS_PREFIX: FEEDS_NAMESPACE})
    head = etree.SubElement(root, "head")
    etree.SubElement(head, "title").text = f"{app.settings.site.title}: watched feeds"
    body = etree.SubElement(root, "body")
    feeds = app.store.feeds()
    folders: dict[tuple[str, ...], etree._Element] = {(): body}
    for f, path in zip(feeds, folder_paths(feeds), strict=True):
        for depth in range(1, len(path) + 1):  # (in the order their first feeds come; as spelt: tags come back)
            if path[:depth] not in folders:
                folders[path[:depth]] = etree.SubElement(folders[path[: depth - 1]], "outline", text=path[depth - 1])
        parent = folders[path]
        # (an outline's text must not be empty, and a feed's outline has a `title` (the W3C validator warns of one
        # without): a feed with no title is named by its URL, which `watch import` reads as no title)
        name = f.title or f.url
        attrs = {"type": "rss", "text": name, "xmlUrl": f.url, "title": name}
        if f.title and not f.title_given:  # (imported as the feed's own, kept current there too)
            attrs[OWN_TITLE_ATTRIBUTE] = "true"
        if f.tags:
            attrs["category"] = ",".join(f.tags)
        # Always, so that an import elsewhere gives the same schedule whatever that installation's default is
        attrs[INTERVAL_ATTRIBUTE] = f"{f.interval:g}"
        if f.disabled_reason == DISABLED_BY_HAND:  # (not a feed dropped from the config: watched there)
            attrs[PAUSED_ATTRIBUTE] = "true"
        elif not f.enabled and f.last_status == "410" and (f.disabled_reason or "").startswith(GONE_REASON):
            # (gone: paused there too, and still `--cause gone`)
            attrs |= {PAUSED_ATTRIBUTE: "true", PAUSED_REASON_ATTRIBUTE: f.disabled_reason or ""}
        etree.SubElement(parent, "outline", attrs)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def folder_paths(feeds: Sequence[WatchedFeed]) -> list[tuple[str, ...]]:
    """The folder each feed is exported in, as a path of its tags: its first tag, then each next tag of it as long
    as that tag is nested in the one before. A tag is nested in another when every feed having it has the other
    before it, as an import of nested outlines gives them (Europe/UK: `Europe, UK`); a feed also in a second
    folder (`Europe, UK, Favourites`, Favourites holding other feeds) stays in the first. Tags are compared as
    spelt; one pass over the tags, however many feeds."""
    having: Counter[str] = Counter()
    under: Counter[tuple[str, str]] = Counter()  # (parent, child): feeds having child with parent somewhere before
    for f in feeds:
        seen: list[str] = []
        for tag in dict.fromkeys(f.tags):
            having[tag] += 1
            under.update((parent, tag) for parent in seen)
            seen.append(tag)
    paths = []
    for f in feeds:
        path = tuple(f.tags[:1])
        for tag in f.tags[1:]:
            if under[(path[-1], tag)] != having[tag]:
                break
            path += (tag,)
        paths.append(path)
    return paths
