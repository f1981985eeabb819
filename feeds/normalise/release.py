"""RawRelease → Release: the one pure function between reading a release and storing it.

    clean strings | title (+ type prefix) | body → sanitised HTML → text (`body.render_body`)
      | opening lines: repeated title, label, stated date (`opening.opening_lines`) | summary (`summary`)
      | dates | topics | slug, id, permalink, identity | content hash

Every decision about what a release *says* is made here, once, so every source (drop folder, push, GOV.UK
search) produces the same shape and the publisher never has to second-guess it. Bad input is an
`InvalidReleaseError` naming the origin, the field and (when known) its line; anything else escaping from
here is a bug. This module is the orchestrator and the dates of a release; the small field-by-field checks are
`fields`, and each larger step is a module of its own, called once per release.

What this module must not do: read the clock (`now` is an argument, used only when the release has no date
of its own), touch the store or the network, or let the assigned date leak into `content_hash`: the same
input ingested on another day must hash the same.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from feeds.config import Site, TopicSettings
from feeds.model import RawRelease, Release
from feeds.normalise.body import render_body
from feeds.normalise.datelines import OpeningDate
from feeds.normalise.dates import clock_change_guess, parse_date
from feeds.normalise.fields import (
    changes_of,
    date_of,
    document_type_of,
    invalid,
    language_of,
    readable_texts,
    title_of,
    url_of,
    without_soft_hyphens,
)
from feeds.normalise.ids import identity_of, permalink, release_slug, slugify, tag_id
from feeds.normalise.opening import opening_lines
from feeds.normalise.pictures import lead_picture, with_pictures
from feeds.normalise.summary import given_summary_text, make_summary
from feeds.normalise.text import holds_any, nfc, one_line_text, remembered_xml_safe, xml_safe
from feeds.normalise.topics import detect_topics

__all__ = ["DEFAULT_DOCUMENT_TYPE", "DEFAULT_WITHDRAWN_NOTE", "HASH_VERSION", "LONG_TITLE", "normalise_release"]

DEFAULT_DOCUMENT_TYPE = "press_release"
HASH_VERSION = 1
"""Bump when the hashed fields change, so every stored release is seen as changed exactly once."""

DEFAULT_WITHDRAWN_NOTE = "It should no longer be relied on."
"""The withdrawal note of a release sent with `withdrawn_at` but no `withdrawn_note`: its page and entries already
say "withdrawn on <date>"; this says what that means for a reader, where the explanation would be (GOV.UK always
gives one). The ingest warns, naming the file and the field, so that the office sends the reason."""

MAX_TOPICS = 50
"""Topics one release may be given. Each topic has its own feeds and page, and each of them shows the release: a
release pushed with 3,000 topics made one publish write 2 GB."""

LONG_TITLE = 160
"""A title longer than this (characters) is stored with a warning: more likely a paragraph than a headline."""


def normalise_release(raw: RawRelease, site: Site, topics: TopicSettings, now: datetime) -> Release:
    """Clean, complete and name `raw`. Pure: the result depends only on the arguments.

    Raises InvalidReleaseError for a missing title, a body that is empty once cleaned, an unreadable date,
    an unusable slug, link or image, or a malformed language tag.
    """
    raw = readable_texts(raw)
    title, prefixed_type = title_of(raw)
    document_type = document_type_of(raw.document_type) or prefixed_type or DEFAULT_DOCUMENT_TYPE
    body = xml_safe(raw.body or "")
    if not body.strip():
        raise invalid(raw, "body", "the release has no body")
    body_html, body_text = render_body(body, raw.body_format, raw.link, site.base_url)
    body_html, first_picture = with_pictures(body_html, raw, site.base_url)
    if not body_text:
        raise invalid(raw, "body", "the body is empty (after removing markup that is not published)")
    given_published = date_of(raw, "published", raw.published, site, latest=raw.embargoed)
    given_updated = date_of(raw, "updated", raw.updated, site)
    body_html, body_text, source, stated = opening_lines(
        body_html, body_text, title, site.tz, given_published or given_updated
    )
    given_summary = nfc(given_summary_text(raw.summary, markdown=raw.body_format == "markdown")) if raw.summary else ""
    summary = given_summary or without_soft_hyphens(make_summary(source))  # (an HTML body keeps its `&shy;`)
    dating = _dating(raw, site, now, given_published, given_updated, stated)
    guessed = _clock_guesses(raw, site, (given_published, given_updated, dating.given_withdrawn), stated)
    given_published, given_withdrawn = dating.given_published, dating.given_withdrawn
    published, updated = dating.published, dating.updated
    withdrawn_at, withdrawn_note = dating.withdrawn_at, dating.withdrawn_note
    changes = tuple(sorted(changes_of(raw, site.tz), key=lambda c: c.at, reverse=True)) if raw.changes else ()
    # (a field not given is not cleaned: `one_line_text("")`, a check and a collapse of nothing, cost ~5 k a field)
    change_note = (one_line_text(raw.change_note) or None) if raw.change_note else None
    translation_of = (one_line_text(raw.translation_of) or None) if raw.translation_of else None

    link = url_of(raw, "link", raw.link, None) if raw.link is not None else None
    image = lead_picture(raw, site.base_url) or url_of(raw, "image", raw.image, link)
    if image is None and first_picture is not None:  # (not hashed on its own: the body holds its address)
        image = first_picture
    language = language_of(raw, site)
    organisation = (one_line_text(raw.organisation) if raw.organisation else "") or site.author
    if len(raw.topics) > MAX_TOPICS:  # every topic is a feed and a page: thousands would publish gigabytes
        raise invalid(raw, "topics", f"{len(raw.topics)} topics; a release may have at most {MAX_TOPICS}")
    found_topics = detect_topics(raw.topics, title, body_text, topics)

    given_slug = slugify(xml_safe(raw.slug)) if raw.slug and raw.slug.strip() else None
    if given_slug == "":
        raise invalid(raw, "slug", f"slug {raw.slug!r} has no letters or digits a URL can use")
    slug = given_slug or release_slug(title, link)

    content_hash = _content_hash(
        {
            "v": HASH_VERSION,
            "title": title,
            "summary": given_summary or None,
            "body_html": body_html,
            "topics": list(found_topics),
            "organisation": organisation,
            "language": language,
            "document_type": document_type,
            "slug": given_slug,
            "link": link,
            "image": image,
            "published": _stamp(given_published),
            "updated": _stamp(given_updated),
            "withdrawn_at": _stamp(withdrawn_at) if raw.withdrawn_at is not None else None,
            "withdrawn_note": withdrawn_note,
            "changes": [[_stamp(c.at), c.note] for c in changes],
            # Only when given, so that the hash of every release without one stays what it was.
            **({"change_note": change_note} if change_note else {}),
            **({"translation_of": translation_of} if translation_of else {}),
        }
    )
    warning = "; ".join(guessed) or None
    if withdrawn_at is not None and withdrawn_note is None:
        # Accepted, not refused: a withdrawal may be for a legal reason, and a refused file leaves the release
        # current. (After the hash, which stays that of what was sent.)
        withdrawn_note = DEFAULT_WITHDRAWN_NOTE
        note = invalid(
            raw,
            "withdrawn_at",
            "given without a `withdrawn_note`: the release is withdrawn with the plain notice "
            f'"{DEFAULT_WITHDRAWN_NOTE}"; send it again with a `withdrawn_note` saying why',
        )
        warning = str(note) if warning is None else f"{warning}; {note}"
    if len(title) > LONG_TITLE:  # (a headline forgotten: the first paragraph stands in for it; stored, but said)
        long = invalid(
            raw, "title", f"is {len(title)} characters long, a paragraph rather than a headline: check the release"
        )
        warning = str(long) if warning is None else f"{warning}; {long}"
    return Release(
        id=tag_id(_domain(site), published, slug),
        identity=identity_of(raw),
        slug=slug,
        permalink=permalink(site.base_url, slug),
        title=title,
        summary=summary,
        body_html=body_html,
        body_text=body_text,
        published=published,
        updated=updated,
        organisation=organisation,
        topics=found_topics,
        language=language,
        document_type=document_type,
        source=raw.source,
        origin=raw.origin,
        content_hash=content_hash,
        link=link,
        image=image,
        withdrawn_at=withdrawn_at,
        withdrawn_note=withdrawn_note,
        changes=changes,
        change_note=change_note,
        dated_by_source=given_published is not None or given_updated is not None or given_withdrawn is not None,
        source_updated=given_updated,
        translation_of=translation_of,
        published_by_source=given_published is not None,
        slug_asked=given_slug is not None,
        ingest_warning=warning,
        pictures=raw.pictures,
    )


@dataclass(frozen=True, slots=True)
class _Dating:
    """The dates of a release, as `_dating` settles them."""

    published: datetime
    updated: datetime
    given_published: datetime | None
    """The source's publication date; without one, the date the text states or the file's name holds (hashed)."""
    given_withdrawn: datetime | None
    """The source's withdrawal date."""
    withdrawn_at: datetime | None
    withdrawn_note: str | None


def _dating(
    raw: RawRelease,
    site: Site,
    now: datetime,
    given_published: datetime | None,
    given_updated: datetime | None,
    stated: OpeningDate | None,
) -> _Dating:
    """The publication, update and withdrawal dates of a release, from those its source gave, the date its opening
    lines state (`stated`), its file's name, and `now`; refused when one is too far ahead to be meant."""
    dated = given_published is not None or given_updated is not None
    if not dated:  # the date the text states, else the one in the file's name (one too far ahead is no date)
        if stated is not None and stated.weekday_error:
            # Which of the two was meant dates the release (and its id, for good): only the officer can say. (Under
            # a date given otherwise, the dateline is only text, and is left as written.)
            raise invalid(
                raw,
                "body",
                f"the date in the opening lines is not sure: {stated.weekday_error} "
                "(or give the release's date as `published`)",
            )
        guesses = (stated.when if stated is not None else None, _date_in_file_name(raw, site))
        given_published = next((g for g in guesses if g is not None and g <= now + MAX_AHEAD), None)
    # No publication date but an update date: the release existed by then, so that is the honest date (and it
    # keeps the id stable across re-ingests, unlike the time we happened to see it).
    # (An update time a little ahead, a sender's clock running fast, is no embargo: that is said with `published`.)
    standing_in = min(given_updated, _utc_now_argument(now)) if given_updated is not None else None
    # So does a withdrawal: a release first sent withdrawn, dated by nothing else, was dated by its ingest, after
    # its withdrawal, and so never appeared ("withdrawn before its publication").
    given_withdrawn = date_of(raw, "withdrawn_at", raw.withdrawn_at, site)
    if standing_in is None and given_withdrawn is not None:
        standing_in = min(given_withdrawn, _utc_now_argument(now))
    published = given_published or standing_in or _utc_now_argument(now)
    updated = max(given_updated or published, published)
    # A date too far ahead would head every feed (and date the feeds themselves) until then. The field named is
    # the one given: `updated` also stands in for a missing `published`, and `updated` follows `published`.
    for field, when in (("updated", given_updated), ("published", published)):
        if when is not None and when > now + MAX_AHEAD:
            raise invalid(raw, field, f"the date {when:%Y-%m-%d} is more than a year ahead: a typo?")
    # A release dated ahead is held until it is due (an embargo), but an edit is dated when it is made: an update
    # still to come would date every feed listing the release ahead, and pin it to the top of readers sorting by it.
    if given_published is None and given_updated is not None and given_updated > now + UPDATE_SKEW:
        # (`updated` stands in for a missing `published`, but an embargo is said with `published`: an update date
        # ahead alone held a release back without a word)
        raise invalid(
            raw,
            "updated",
            f"the update date {given_updated:%Y-%m-%d %H:%M} UTC is ahead of now: an update is dated when it is "
            "made (to hold a release back until a date, give that date as `published`)",
        )
    if given_updated is not None and given_updated > max(now, published) + UPDATE_SKEW:
        raise invalid(
            raw,
            "updated",
            f"the update date {given_updated:%Y-%m-%d %H:%M} UTC is ahead of both now and the publication date "
            f"{published:%Y-%m-%d %H:%M} UTC: an update is dated when it is made (a typo?)",
        )
    withdrawn_note = (one_line_text(raw.withdrawn_note) or None) if raw.withdrawn_note else None
    withdrawn_at = given_withdrawn
    if withdrawn_at is None and withdrawn_note:  # (not hashed: the same notice ingested again changes nothing)
        # When it was withdrawn: now, or the source's update time; before the publication for an embargoed release
        # withdrawn before it was due, which then never goes public (`run_publish`).
        withdrawn_at = given_updated or _utc_now_argument(now)
    if withdrawn_at is not None and withdrawn_at > max(now, published) + UPDATE_SKEW:
        raise invalid(
            raw,
            "withdrawn_at",
            f"the date {withdrawn_at:%Y-%m-%d %H:%M} UTC is ahead: a withdrawal is dated when it is made (a typo?)",
        )
    if given_updated is None and withdrawn_at is not None:
        # Without the source's own `updated`, the withdrawal is the release's last change (its entries' `updated`, its
        # page's "Last updated"), as `reconcile` dates it for a stored release: one first sent withdrawn (an
        # archive's backfill) said "Withdrawn on 22 August 2025" under an update of 2024. (An embargoed release
        # withdrawn before it was due keeps its publication: it never goes public.)
        updated = max(updated, withdrawn_at)
    return _Dating(published, updated, given_published, given_withdrawn, withdrawn_at, withdrawn_note)


MAX_AHEAD = timedelta(days=366)
"""How far ahead of its ingest a release may be dated (an embargo, a planned statement); further is a typo."""
UPDATE_SKEW = timedelta(days=1)
"""How far ahead of its ingest (or, when embargoed, of its publication) an update may be dated: clocks and time
zones that are a few hours off are not worth refusing a release for; days are a typo."""


_NAME_DATE = re.compile(r"(?P<date>\d{4}-\d{2}-\d{2})[-_ .]")


def _clock_guesses(
    raw: RawRelease,
    site: Site,
    given: tuple[datetime | None, datetime | None, datetime | None],
    stated: OpeningDate | None,
) -> list[str]:
    """Warnings for the dates read by a guess, a local time the clocks skip or repeat (`clock_change_guess`): each
    names the field given (`body` for the dateline that dates the release). Reads; never refuses."""
    said = []
    fields = (("published", raw.published), ("updated", raw.updated), ("withdrawn_at", raw.withdrawn_at))
    for (field, value), when in zip(fields, given, strict=True):  # (`given`: as read, in the order of `fields`)
        if value is not None and when is not None and (guess := clock_change_guess(value, site.tz, when)):
            said.append(str(invalid(raw, field, guess)))
    if given[0] is None and given[1] is None and stated is not None and stated.guess:
        said.append(str(invalid(raw, "body", f"the date in the opening lines: {stated.guess}")))
    return said


def _date_in_file_name(raw: RawRelease, site: Site) -> datetime | None:
    """`2026-11-02-fisheries-talks.txt` → 2 November 2026 (local midnight): the date offices put in file names,
    taken when neither the file's metadata nor its text gives one."""
    m = _NAME_DATE.match(raw.origin.replace("\\", "/").rsplit("/", 1)[-1])
    if m is None:
        return None
    try:
        return parse_date(m["date"], site.tz)
    except ValueError:
        return None


def _utc_now_argument(now: datetime) -> datetime:
    if now.tzinfo is None:  # a programming error in the caller, not bad input
        raise ValueError(f"naive datetime {now!r}: `now` must be timezone-aware")
    return now.astimezone(UTC)


def _stamp(value: datetime | None) -> str | None:
    """RFC 3339 in UTC with `Z`, microseconds only when present: the form hashed for a date from the input."""
    if value is None:
        return None
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


@functools.lru_cache(maxsize=16)
def _domain(site: Site) -> str:
    """`site.domain`, worked out once per site (its host parsed out of `base_url` cost more than the id it names)."""
    return site.domain


_CANONICAL_JSON = json.JSONEncoder(sort_keys=True, ensure_ascii=False, separators=(",", ":"))
"""What `json.dumps(…, sort_keys=True, ensure_ascii=False, separators=(",", ":"))` builds for every call."""


def _content_hash(fields: dict[str, Any]) -> str:
    """The SHA-256 of `fields` as canonical JSON (keys sorted, no spaces, characters beyond ASCII as they are),
    in UTF-8.

    Built as `{"body_html":` + the body as a JSON string + `,` + the other fields' JSON: the same bytes, since
    "body_html" sorts before every other key (tests check the two agree), with the body, nearly all of them,
    escaped by `_json_string` rather than by the encoder's character-by-character escaping (~30 instructions a
    character, 55 k a release)."""
    body = fields.pop("body_html")
    rest = (_plain_fields_json(fields) or _CANONICAL_JSON.encode(fields)).encode("utf-8")
    return hashlib.sha256(b'{"body_html":' + _json_string(body) + b"," + rest[1:]).hexdigest()


_PLAIN_KEYS = frozenset(
    {"changes", "document_type", "image", "language", "link", "organisation", "published", "slug", "summary"}
    | {"title", "topics", "updated", "v", "withdrawn_at", "withdrawn_note"}
)
"""The fields hashed for nearly every release: no change note, no translation."""
_PLAIN_JSON = '{"changes":[],' + ",".join(f'"{key}":%s' for key in sorted(_PLAIN_KEYS - {"changes"})) + "}"
"""`_CANONICAL_JSON` of `_PLAIN_KEYS` without changes: each value in its place, in the order the keys sort."""
_quoted = json.encoder.encode_basestring  # (what the encoder writes a string as: `ensure_ascii=False`)


def _text_json(text: str | None) -> str:
    return "null" if text is None else _quoted(text)


def _plain_fields_json(fields: dict[str, Any]) -> str | None:
    """`_CANONICAL_JSON.encode(fields)` for the fields of nearly every release (`_PLAIN_KEYS`, no changes, each text
    a string or None): each value written into one format, where the encoder sorts the items and writes each key
    and its value through its own calls (~54 k instructions against ~25 k). Else None (tests compare the two)."""
    f = fields
    if f.keys() != _PLAIN_KEYS or f["changes"] or type(f["v"]) is not int or type(f["topics"]) not in (list, tuple):
        return None
    try:  # (a value of another type: `encode_basestring` refuses it, as it refuses anything but a string)
        return _PLAIN_JSON % (
            _text_json(f["document_type"]),
            _text_json(f["image"]),
            _text_json(f["language"]),
            _text_json(f["link"]),
            _text_json(f["organisation"]),
            _text_json(f["published"]),
            _text_json(f["slug"]),
            _text_json(f["summary"]),
            _text_json(f["title"]),
            "[" + ",".join(map(_quoted, f["topics"])) + "]",
            _text_json(f["updated"]),
            int.__repr__(f["v"]),
            _text_json(f["withdrawn_at"]),
            _text_json(f["withdrawn_note"]),
        )
    except TypeError:
        return None


_JSON_ESCAPES = tuple((ord(c), c.encode(), json.dumps(c)[1:-1].encode()) for c in '\\"\n\r\t')
"""What the encoder writes for a backslash, a quotation mark, the line breaks and a tab (each byte also as a number:
`in` takes a number for one byte without first failing to read the bytes as one), in the order to replace them (a
backslash first: the others add one)."""
_JSON_CONTROLS = tuple(c for c in range(0x20) if c not in b"\n\r\t")
"""The other controls, which the encoder writes as `\\u00XX` (or `\\b`, `\\f`): left to it."""


def _json_string(text: str) -> bytes:
    """`text` as `_CANONICAL_JSON` writes a string, in UTF-8: in its UTF-8 bytes (where a byte below 0x80 is always
    the character it is), each byte that needs an escape found by `memchr` and replaced, which is at C speed (none
    but line breaks and quotation marks, nearly always); by the encoder itself when a rarer control is there."""
    data = text.encode("utf-8")
    # (a body's HTML that `render_markdown` built of its checked source is known to hold none: no search)
    if not remembered_xml_safe(text) and holds_any(data, _JSON_CONTROLS):
        return _CANONICAL_JSON.encode(text).encode("utf-8")
    for byte, char, escaped in _JSON_ESCAPES:
        if byte in data:
            data = data.replace(char, escaped)
    return b'"' + data + b'"'
