"""The records that cross stage boundaries, named for where they sit in the flow.

    RawRelease ──normalise──► Release ──store──► StoredRelease ──publish──► out/

All are frozen dataclasses, pickled by their fields' values between processes (`feeds.records`); every datetime is
timezone-aware UTC; sequences are tuples. No dicts cross module boundaries. This module imports nothing of ours but
the standard library, `feeds.pictures` (the records of the pictures dropped with releases, which are the same) and
`feeds.records`: it is the vocabulary, not behaviour. What an ingest round reports about its inputs (`IngestOutcome`,
`IngestReport`) is `feeds.ingestreport`'s.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

from feeds.pictures import Picture
from feeds.records import pickled_by_fields

BodyFormat = Literal["text", "markdown", "html"]
"""How a release body is written: plain text (paragraphs, `said:` quotations), Markdown, or (untrusted) HTML."""


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class RawRelease:
    """A release as read from its source, before any cleaning. Produced by `feeds.ingest.formats`.

    Strings are as found (stripped of surrounding white space); dates are the original strings (or datetimes
    when the source already had typed values), parsed by `normalise`. `lines` maps a field name to the line of
    the source file it came from, so an error about it can point there.
    """

    origin: str
    """Where it came from, for messages and identity: a file path, a URL, `push:<id>`."""
    source: str
    """The name of the configured source that produced it (`inbox`, `examples`, `govuk-search`, `push`, `cli`)."""
    title: str | None
    body: str | None
    body_format: BodyFormat = "text"
    summary: str | None = None
    published: str | datetime | None = None
    updated: str | datetime | None = None
    slug: str | None = None
    topics: tuple[str, ...] = ()
    organisation: str | None = None
    link: str | None = None
    """The canonical URL of the release where it lives elsewhere (GOV.UK page, original web page)."""
    source_key: str | None = None
    """An explicit identity given by the source (JSON `source_key`, GOV.UK `content_id` + locale…)."""
    language: str | None = None
    document_type: str | None = None
    """`press_release`, `speech`, `news_story`…: free text from the source, normalised to snake_case."""
    image: str | None = None
    withdrawn_at: str | datetime | None = None
    withdrawn_note: str | None = None
    changes: tuple[tuple[str, str], ...] = ()
    """Change history as (timestamp string, note) pairs, newest first, when the source has one."""
    change_note: str | None = None
    """What this version changed (a correction), for sources without a history of their own: see `Release`."""
    lines: tuple[tuple[str, int], ...] = ()
    """(field, line number) pairs for error messages."""
    file_key: str | None = None
    """The file's name within its source when its base name is not enough: the path relative to the folder named
    to `feeds ingest FOLDER` for a file found in a subfolder of it (`2025/release.txt`), so that two files of one
    name in an archive's year folders stay two releases. None: the base name of `origin`."""
    translation_of: str | None = None
    """The other language version this release is a translation of: its `source_key`, `slug` or `link` (JSON and
    front matter `translation_of`; a GOV.UK translation names its English version's page)."""
    embargoed: bool = False
    """True when `published` is an embargo line's time ("EMBARGOED UNTIL 01:30 25 OCTOBER 2026"), a not-before time:
    a wall time the clocks repeat is read as its later reading (`parse_date`'s `latest`), never an hour early."""
    item_key: str | None = None
    """For an object of a JSON list without `source_key`, `link` or `slug`: its name within the file, the slug of
    its title (`#2`, `#3` added for a later object of the same title), which `identity_of` uses instead of its index,
    so that adding, removing or reordering objects moves no release's text to another release."""
    pictures: tuple[Picture, ...] = ()
    """The picture files its body shows by a path relative to its file (`![alt](arrival.jpg)`), read by the
    ingest; normalising gives them their published addresses."""

    def line_of(self, name: str) -> int | None:
        for key, line in self.lines:
            if key == name:
                return line
        return None


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Change:
    """One entry of a release's change history."""

    at: datetime
    note: str


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Release:
    """A normalised release, ready to store and publish. Produced by `feeds.normalise.normalise_release`.

    `identity` decides what counts as "the same release" across ingests (see `feeds.normalise.ids.identity_of`):
    `key:<source_key>`, `url:<canonical link>`, `slug:<front-matter slug>` or `file:<source>/<name>`.
    `content_hash` covers everything that came from the input (not the dates we assigned), so re-ingesting
    the same input is recognised as unchanged.
    """

    id: str
    """A `tag:` URI (RFC 4151) from the site's domain, first-publication date and slug. Never changes."""
    identity: str
    slug: str
    permalink: str
    title: str
    summary: str
    body_html: str
    """Sanitised HTML: safe to publish as-is."""
    body_text: str
    """Plain text of the body (paragraphs separated by blank lines), for matching and summaries."""
    published: datetime
    updated: datetime
    organisation: str
    topics: tuple[str, ...]
    language: str
    document_type: str
    source: str
    origin: str
    content_hash: str
    link: str | None = None
    image: str | None = None
    withdrawn_at: datetime | None = None
    withdrawn_note: str | None = None
    withdrawn_by_hand: bool = False
    """True when the withdrawal was made here (`feeds releases withdraw`), not sent by the source: then copies the
    source sends later are stored but leave the release withdrawn until `feeds releases restore` (`reconcile`).
    Stored (migration 19)."""
    changes: tuple[Change, ...] = ()
    dated_by_source: bool = True
    """False when the input had no date and `published` is the time of first ingest."""
    translation_of: str | None = None
    """The other language version this release translates, as its input named it (`RawRelease.translation_of`);
    the publisher links the versions that it finds to each other (`feeds.publish.translations`). Stored (migration
    28)."""
    source_updated: datetime | None = None
    """The source's own `updated` for this version (a GOV.UK `public_updated_at`, an `updated` field), None when
    it gave none; stored (migration 14, where None also stands for a version stored before it). `reconcile` tells
    an older copy from a newer one by this alone: `updated` may be a time we set (the ingest of an edit that the
    source did not date later), and a real edit dated by its source before that time is no older copy."""
    removed_at: datetime | None = None
    """When the release was taken down (`feeds releases remove`): then this is its tombstone, its text erased,
    which nothing publishes and no copy from its source brings back (stored, migration 33)."""
    change_note: str | None = field(default=None, compare=False)
    """What this version changed, as its source said (JSON or front-matter `change_note`): set by normalising, not
    stored; `reconcile` adds it to `changes`, dated as the update, when the release is stored already."""
    published_by_source: bool = field(default=False, compare=False)
    """True when the source gave the publication time itself (a `published` field, a dateline, an embargo line),
    not only an `updated` that stands in for it: set by normalising, not stored; only such a time moves the
    publication of a release stored already (`reconcile`)."""
    slug_asked: bool = field(default=False, compare=False)
    """`slug` is the one its input asked for (`slug`), not one made from its title: set by normalising, not stored.
    A release stored already keeps its own slug, and the ingest says so (`IngestOutcome.slug_kept`)."""
    ingest_warning: str | None = field(default=None, compare=False)
    """What normalising had to say about the input without refusing it (a `withdrawn_at` without a
    `withdrawn_note`): set by normalising, not stored; the ingest reports it with the release's outcome."""
    pictures: tuple[Picture, ...] = field(default=(), compare=False)
    """The pictures its body shows (`RawRelease.pictures`), for the ingest to store with it: set by normalising;
    a release read back from the store has none here (its body and `image` name them by their published path)."""

    @property
    def never_public(self) -> bool:
        """Withdrawn before its publication (an embargoed statement cancelled): it never goes on the site. (The
        store's `releases_held` asks the same in SQL.)"""
        return self.withdrawn_at is not None and self.withdrawn_at < self.published


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Topic:
    """A topic as published: a display name and the path-safe slug used for `topics/<slug>/`."""

    name: str
    slug: str


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class PublishedFeed:
    """What publishing has put out of one feed so far, kept in the store (`Store.published_feeds`): its key
    (`main`, `topic:<slug>`, …), the highest feed-level `updated` it was published with, which it never goes
    back from, and, for a topic, its name as last published (what its feed and page keep once it has no release)."""

    key: str
    updated: datetime
    name: str | None = None


# --- watch -------------------------------------------------------------------------------------------------


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class WatchItem:
    """One item of an external feed, as text. Produced by `feeds.watch.parse`.

    `key` is stable across polls of the same feed: the guid/id when it is unique in the document, else the
    link, else a hash of title and summary (feeds whose guids repeat or are missing are common).
    """

    key: str
    title: str
    link: str | None
    guid: str | None
    summary: str
    """Plain text."""
    content_text: str
    """The text of the item's fullest content (its markup is never kept: it is matched, not republished)."""
    author: str
    published: datetime | None
    """None when the feed gives no date: the store then uses the time the item was first seen."""
    updated: datetime | None
    tags: tuple[str, ...]
    content_hash: str
    """Changes when the item's visible content changes (then the stored item is updated, not duplicated)."""
    language: str | None = None
    """The language its feed gives (`<language>`, a root's `xml:lang`), as a tag (`ru`, `zh-CN`); None when it gives
    none that reads as one. Not part of `content_hash`: it decides nothing about matching."""


FeedKind = Literal["atom", "rss", "rdf", "json", "unknown"]


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class ParsedFeed:
    title: str
    link: str | None
    kind: FeedKind
    items: tuple[WatchItem, ...]
    warning: str | None = None
    """Set when the document was malformed but parsed as far as possible (feedparser's bozo)."""


REDIRECTS_BEFORE_MOVE = 3
"""A permanent redirect (301/308) moves a watched feed's URL once seen on this many consecutive checks."""


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class WatchedFeed:
    """A feed we poll, with its schedule and health (the row of `watched_feeds`)."""

    id: int
    url: str
    title: str
    tags: tuple[str, ...]
    interval: float
    """Seconds between checks (floor 5 minutes)."""
    enabled: bool
    origin: str
    """`cli`, `config` or `opml:<file name>`: where it was added from."""
    etag: str | None = None
    last_modified: str | None = None
    last_checked: datetime | None = None
    last_status: str | None = None
    last_error: str | None = None
    failures: int = 0
    next_check: datetime | None = None
    items_seen: int = 0
    disabled_reason: str | None = None
    redirect_url: str | None = None
    redirect_count: int = 0
    """Consecutive checks that saw the same permanent redirect to `redirect_url` (the URL moves there at
    `REDIRECTS_BEFORE_MOVE`)."""
    body_digest: str | None = None
    """The digest of the last body read into items (`feeds.watch.parsejobs.body_digest`): a 200 answer with the same
    bytes is not parsed again, since it would give the same items."""
    body_read_at: datetime | None = None
    """When that body was read: its items are the stored ones marked as in a body since then, which pruning
    keeps (else an old post still in a slow feed would be pruned, then stored and matched again as new)."""
    title_given: bool = False
    """The press officer gave `title` (it wins); else it is the feed's own, kept current at each body read."""
    failing_since: datetime | None = None
    """The first of the failures in a row (None while the feed works)."""
    parse_warning: str | None = None
    """What was wrong with the last body read into items (malformed, cut short), kept while the feed serves that
    body (a 304, the same bytes again) whatever happens between: `last_error` says it too, until a failed check
    puts its own error there."""

    @property
    def state(self) -> FeedState:
        """`disabled`, `failing`, `new` (never checked), `resumed` (enabled again after failing, not checked
        since: its last check failed, and the next says how it is), `warning` (read, with problems: a truncated or
        malformed body) or `ok`: what `watch list` and `feeds status` report."""
        if not self.enabled:
            return "disabled"
        if self.failures:
            return "failing"
        if not self.last_checked:
            return "new"
        if self.last_status is not None and not self.last_status.startswith(("2", "3")):
            return "resumed"  # (a failed check is the last one, yet no failure is counted: enabling reset them)
        return "warning" if self.last_error else "ok"


FeedState = Literal["disabled", "failing", "new", "resumed", "warning", "ok"]

REMOVED_FROM_CONFIG = "removed from the config file"
"""The `disabled_reason` of a config feed the config file no longer lists (enabled again when it is back)."""
DISABLED_BY_HAND = "disabled by hand"
"""The `disabled_reason` of a feed `feeds watch edit --disable` stopped."""

MatchKind = Literal["keyword", "related", "pickup", "manual"]
"""`manual`: coverage of a release a press officer added by hand (`feeds matches add`), never by matching."""


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class MatchScope:
    """What the current matchers look for: the keyword rules by name, the releases by id. A changed item's
    matches with these subjects are exactly what matching it again finds; its others (coverage of a release
    that has left the related window) are kept as they are."""

    rules: frozenset[str] = frozenset()
    releases: frozenset[str] = frozenset()

    def covers(self, kind: str, subject: str) -> bool:
        if kind == "manual":  # (added by hand: no matcher makes it, so none takes it away)
            return False
        return subject in (self.rules if kind == "keyword" else self.releases)


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class MatchedTerm:
    term: str
    field: str
    start: int
    end: int


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Match:
    """An external item found to concern us: by a keyword rule, as related to a release, or as its pickup."""

    kind: MatchKind
    subject: str
    """The rule's name (keyword) or the release id (related, pickup)."""
    item_key: str
    feed_id: int
    terms: tuple[MatchedTerm, ...]
    score: float
    why: str
    """One sentence a press officer can read: what matched where."""


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Rule:
    """A keyword rule (a saved query), shared by every daemon through the store."""

    name: str
    query: str
    origin: str
    created_at: datetime
    updated_at: datetime
    applied_at: datetime | None = None
    """When the rule was last applied retroactively to stored items (None: not yet)."""


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class StoredItem:
    """A stored external item with its feed's name: what `keywords test`, match feeds and pages show."""

    id: int
    feed_id: int
    feed_title: str
    feed_tags: tuple[str, ...]
    item: WatchItem
    published: datetime
    """The item's own date, or when it was first seen."""
    first_seen: datetime
    changed_at: datetime | None = None
    """When its text last changed (a correction, a new headline); None while it is as first stored."""


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class StoredMatch:
    id: int
    kind: MatchKind
    subject: str
    item: StoredItem
    terms: tuple[MatchedTerm, ...]
    score: float
    why: str
    found_at: datetime
    delay: float | None
    """Seconds between the release's publication and the item (related/pickup), else None."""
    dismissed_at: datetime | None = None
    """When a press officer dismissed it (`feeds matches dismiss`): read only by `matches list --dismissed`."""
    dismiss_reason: str | None = None
    curated_by: str | None = None
    """Who last dismissed, restored or added it by hand (as they gave it), if anyone did."""
