"""The records that cross stage boundaries, named for where they sit in the flow.

    RawRelease ──normalise──► Release ──store──► StoredRelease ──publish──► out/

All are frozen dataclasses; every datetime is timezone-aware UTC; sequences are tuples. No dicts cross module
boundaries. This module imports nothing of ours but the standard library: it is the vocabulary, not behaviour.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal

BodyFormat = Literal["text", "markdown", "html"]
"""How a release body is written: plain text (paragraphs, `said:` quotations), Markdown, or (untrusted) HTML."""


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
    lines: tuple[tuple[str, int], ...] = ()
    """(field, line number) pairs for error messages."""

    def line_of(self, name: str) -> int | None:
        for key, line in self.lines:
            if key == name:
                return line
        return None


@dataclass(frozen=True, slots=True)
class Change:
    """One entry of a release's change history."""

    at: datetime
    note: str


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
    changes: tuple[Change, ...] = ()
    dated_by_source: bool = True
    """False when the input had no date and `published` is the time of first ingest."""


@dataclass(frozen=True, slots=True)
class Topic:
    """A topic as published: a display name and the path-safe slug used for `topics/<slug>/`."""

    name: str
    slug: str


# --- ingest outcomes ---------------------------------------------------------------------------------------

IngestStatus = Literal["created", "updated", "unchanged", "rejected"]


@dataclass(frozen=True, slots=True)
class IngestOutcome:
    """What happened to one input (a file, a pushed body, a remote item)."""

    origin: str
    status: IngestStatus
    release_id: str | None = None
    slug: str | None = None
    error: str | None = None
    moved_to: str | None = None


@dataclass(frozen=True, slots=True)
class IngestReport:
    outcomes: tuple[IngestOutcome, ...] = field(default_factory=tuple)

    def count(self, status: IngestStatus) -> int:
        return sum(1 for o in self.outcomes if o.status == status)

    @property
    def changed(self) -> bool:
        return any(o.status in ("created", "updated") for o in self.outcomes)
