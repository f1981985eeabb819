"""The site's subscription list: every feed we publish as one OPML 2.0 document (`feeds.opml`).

    FeedLink… ──render_opml──► RenderedFile("feeds.opml") ──writer──► out/

Readers import it to subscribe to all of a press office's feeds at once. The document follows the OPML 2.0 spec
(http://opml.org/spec2.opml): a parent outline per `FeedLink.group` (its `text` only), one `type="rss"` outline
per logical feed.

What this module must not do: read the clock (`updated` is given), build XML by string concatenation (lxml
escapes every attribute), or list a feed once per format (a reader would subscribe to it three times).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime

from lxml import etree

from feeds.clock import rfc822
from feeds.config import Site
from feeds.publish.pageviews import group_feeds
from feeds.publish.spec import FeedLink, RenderedFile

OPML_PATH = "feeds.opml"

# Characters XML 1.0 forbids (§2.2 Char): lxml refuses them, so outside text is cleaned rather than crash the run.
_NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


def render_opml(
    site: Site, feeds: Sequence[FeedLink], *, updated: datetime, created: datetime | None = None
) -> RenderedFile:
    """OPML 2.0 listing `feeds`, grouped; dates come from the data, never 'now': `updated` (the newest feed's
    update) is dateModified, `created` (the site's first publication; `updated` if not given) dateCreated.

    Of the formats a feed is offered in, the outline points at Atom, else RSS, else JSON Feed. Every feed
    outline says `type="rss"`: OPML 2.0 defines no Atom type, and readers treat "rss" as "a feed".
    """
    stamp = rfc822(updated)  # OPML 2.0: dates "conform to the Date and Time Specification of RFC 822"
    opml = etree.Element("opml", {"version": "2.0"})
    head = etree.SubElement(opml, "head")
    _text(head, "title", f"{site.title} feeds")
    _text(head, "dateCreated", rfc822(min(created or updated, updated)))
    _text(head, "dateModified", stamp)
    _text(head, "ownerName", site.author)
    if site.email:
        _text(head, "ownerEmail", site.email)
    # No <docs>: OPML 2.0 makes it optional and readers ignore it, but the W3C feed validator (all its versions)
    # knows no such head element and calls the whole document invalid ("Undefined head element: docs").
    body = etree.SubElement(opml, "body")
    for group in group_feeds(feeds):
        # A folder is named by `text` alone: OPML 2.0 defines `title` (like `xmlUrl`) for `type="rss"` outlines,
        # and an untyped outline with one reads as a subscription missing its type (the W3C feed validator warns).
        parent = etree.SubElement(body, "outline", {"text": _clean(group.name)})
        for feed in group.feeds:
            link = feed.preferred
            etree.SubElement(
                parent,
                "outline",
                {
                    "type": "rss",
                    "text": _clean(feed.title),
                    "title": _clean(feed.title),
                    "xmlUrl": _clean(link.url),
                    "htmlUrl": _clean(link.home or site.base_url),
                },
            )
    data = etree.tostring(opml, xml_declaration=True, encoding="UTF-8", pretty_print=True)
    return RenderedFile(path=OPML_PATH, data=data)


def _text(parent: etree._Element, tag: str, text: str) -> None:
    etree.SubElement(parent, tag).text = _clean(text)


def _clean(text: str) -> str:
    return _NOT_XML.sub("", text)
