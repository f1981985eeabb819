"""What the publish planner hands the renderers: specs of documents, free of any store or file system.

    store rows ──plan──► FeedSpec / page specs ──render──► RenderedFile(path, bytes) ──writer──► out/

A spec holds only resolved, absolute, already-sanitised data: renderers never look anything up, never read
the clock, and must turn equal specs into equal bytes.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

FeedFormat = Literal["atom", "rss", "json"]
FEED_FILES: dict[FeedFormat, str] = {"atom": "atom.xml", "rss": "rss.xml", "json": "feed.json"}


def content_version(data: bytes) -> str:
    """A file's version, named in the links to it (`static/site.css?v=…`): the first 12 hex digits of the SHA-256
    of its bytes. New bytes, a new address, which a browser has not cached: so the file may be cached for a year."""
    return hashlib.sha256(data).hexdigest()[:12]


MEDIA_TYPES: dict[FeedFormat, str] = {
    "atom": "application/atom+xml",
    "rss": "application/rss+xml",
    "json": "application/feed+json",
}


@dataclass(frozen=True, slots=True)
class Category:
    term: str
    """Path-safe slug (Atom `term`)."""
    label: str
    """Display name (Atom `label`, RSS `<category>` text)."""
    scheme: str | None = None
    """Absolute URL of the topic's page or feed folder, for Atom `scheme` (optional)."""


@dataclass(frozen=True, slots=True)
class Person:
    name: str
    email: str | None = None
    uri: str | None = None


@dataclass(frozen=True, slots=True)
class FeedEntry:
    id: str
    """Stable id (tag: URI for releases; our own tag: URI for matches). Never changes once published."""
    title: str
    link: str | None
    """Absolute URL of the entry's page (our permalink, or the external item for matches); None for a matched item
    without a web address (Atom then needs the entry's content, which match entries always have)."""
    published: datetime
    updated: datetime
    summary: str
    """Plain text."""
    content_html: str | None
    """Sanitised HTML, or None for entries that only have a summary."""
    authors: tuple[Person, ...] = ()
    categories: tuple[Category, ...] = ()
    language: str | None = None
    image: str | None = None
    source_title: str | None = None
    """For matches: the name of the external feed the item came from."""
    source_url: str | None = None
    related_url: str | None = None
    """The release's own page elsewhere (its `link`, e.g. on GOV.UK): Atom rel="via", JSON Feed external_url."""
    translations: tuple[tuple[str, str], ...] = ()
    """(language, URL) of the release's other language versions: Atom `link rel="alternate" hreflang` each."""


@dataclass(frozen=True, slots=True)
class FeedSpec:
    """One logical feed, rendered in up to three formats sharing a folder (`path` + atom.xml/rss.xml/feed.json)."""

    key: str
    """Stable name of the feed, e.g. `main`, `topic:russia`, `org:foreign-office`, `archive:3`, `matches`."""
    path: str
    """Folder of the feed inside out/, '' for the top level, else ending in '/', e.g. `topics/russia/`."""
    id: str
    """Feed-level id (Atom `id`, JSON Feed has none): a tag: URI that never changes."""
    title: str
    subtitle: str
    home_url: str
    """Absolute URL of the HTML page this feed belongs to (Atom rel=alternate, RSS <link>)."""
    base_url: str
    """The site's base URL; self links are base_url + path + file name."""
    language: str
    updated: datetime
    """Newest entry's `updated` (or a fixed epoch for an empty feed): never 'now'."""
    author: Person
    entries: tuple[FeedEntry, ...]
    """Newest first, in the order they must appear."""
    formats: tuple[FeedFormat, ...] = ("atom", "rss", "json")
    hub: str | None = None
    """WebSub hub URL (rel="hub")."""
    stylesheet: str | None = None
    """Absolute or root-relative URL of the XSLT for <?xml-stylesheet?> in Atom and RSS."""
    css: str | None = None
    """Absolute or root-relative URL of the CSS named in a second <?xml-stylesheet?>, after the XSLT: the browser
    view where XSLT is gone (`static/feed.css`)."""
    icon: str | None = None
    rights: str | None = None
    generator: str = "feeds"
    subtitle_lang: str | None = None
    """The language of the subtitle's words where it is not the feed's (the site's English words on the feed of its
    Arabic releases): Atom's `<subtitle xml:lang>`, which the browser view (feed.xsl) sets on it."""
    # RFC 5005 links (absolute URLs of the Atom documents), set on archive and current documents.
    current: str | None = None
    prev_archive: str | None = None
    next_archive: str | None = None
    archive: bool = False
    """True for a complete archive document (RFC 5005 §4: <fh:archive/>)."""

    def url(self, fmt: FeedFormat) -> str:
        return self.base_url + self.path + FEED_FILES[fmt]


@dataclass(frozen=True, slots=True)
class FeedLink:
    """A feed offered to subscribers on a page or in OPML."""

    title: str
    url: str
    format: FeedFormat
    group: str = ""
    """`Main`, `Topics`, `Organisations`, `Coverage`…: how the index groups its subscribe links."""
    home: str | None = None
    """The page the feed belongs to (its alternate link; OPML's htmlUrl); None: the site's front page."""
    lang: str | None = None
    """The language its title is written in where that is not the site's: a language's feed, named in it
    (`Cymraeg`, `العربية`), which a page offering it labels so that a screen reader reads it in its own voice."""

    @property
    def media_type(self) -> str:
        return MEDIA_TYPES[self.format]


@dataclass(frozen=True, slots=True)
class RenderedFile:
    path: str
    """Relative POSIX path inside out/ (never absolute, never containing '..')."""
    data: bytes = field(repr=False)
