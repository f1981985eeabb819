"""Feed renderers: one `FeedSpec` → the bytes of its Atom 1.0, RSS 2.0 and JSON Feed 1.1 documents.

    FeedSpec ──feedcheck──► (URLs encoded, ids/people/dates asserted) ──atomrss: one FeedGenerator──► Atom, RSS
                                                                      └─jsonfeed: json.dumps────────► JSON Feed

This is what the planner calls; the work is in `feedcheck` (the spec vetted once for all formats), `atomrss`
(feedgen and its fix-ups, one FeedGenerator for both XML formats) and `jsonfeed`.

What this module must not do: read the clock, the store or the file system, sort or drop entries, or edit XML as text.
"""

from __future__ import annotations

from collections.abc import Callable

from feeds.publish.atomrss import atom_bytes, feed_generator, rss_bytes
from feeds.publish.feedcheck import checked_spec
from feeds.publish.jsonfeed import json_feed_bytes
from feeds.publish.spec import FEED_FILES, FeedFormat, FeedSpec, RenderedFile


def render_feed(spec: FeedSpec) -> tuple[RenderedFile, ...]:
    """One RenderedFile per format in `spec.formats`, at `spec.path` + atom.xml / rss.xml / feed.json."""
    if spec.path and (not spec.path.endswith("/") or spec.path.startswith("/") or ".." in spec.path.split("/")):
        raise ValueError(f"feed {spec.key!r}: path {spec.path!r} must be '' or a relative folder ending in '/'")
    checked = checked_spec(spec)  # once for all formats
    fg = feed_generator(checked) if {"atom", "rss"} & set(spec.formats) else None  # once for Atom and RSS
    renderers: dict[FeedFormat, Callable[[], bytes]] = {
        "atom": lambda: atom_bytes(fg),
        "rss": lambda: rss_bytes(fg),
        "json": lambda: json_feed_bytes(checked),
    }
    return tuple(RenderedFile(spec.path + FEED_FILES[fmt], renderers[fmt]()) for fmt in spec.formats)
