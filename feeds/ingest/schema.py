"""Our own release schema: the JSON object accepted by the push API, remote JSON and `.json` files.

One table (`JSON_SCHEMA_FIELDS`) says which fields exist, their types and what they mean; README documents
the schema from it, and Markdown front matter is checked against the same rules (`check_release_fields`),
so a field means the same thing however a release arrives. The schema is strict on purpose: an unknown
field is an error that suggests the field that was probably meant (`"titel"` → `title`), because a silently
ignored typo is a release published without its summary or date.

What this module must not do: interpret values. Dates stay strings (`feeds.normalise` parses them), HTML
stays unsanitised; we only check types and shapes and strip surrounding white space.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Collection, Mapping
from datetime import UTC, datetime
from types import MappingProxyType
from typing import Any, NamedTuple
from urllib.parse import urlsplit

from feeds.clock import rfc3339
from feeds.errors import InvalidReleaseError
from feeds.model import BodyFormat, RawRelease
from feeds.urls import absolute_uri

__all__ = [
    "DATE_FIELDS",
    "JSON_SCHEMA_FIELDS",
    "FieldSpec",
    "check_release_fields",
    "json_type",
    "release_from_json",
    "unix_time",
    "unknown_field_error",
]


class FieldSpec(NamedTuple):
    """One field of the release schema: (type description, required, documentation)."""

    type: str
    required: bool
    doc: str


_STRING = "string"
_URL = "string (absolute http(s) URL)"
_TOPICS = "array of strings, or a comma-separated string"

JSON_SCHEMA_FIELDS: Mapping[str, FieldSpec] = MappingProxyType(
    {
        "title": FieldSpec(_STRING, True, "Headline of the release."),
        "body": FieldSpec(_STRING, False, "Text of the release, plain text or Markdown. Give `body` or `body_html`."),
        "body_html": FieldSpec(_STRING, False, "Text of the release as HTML (sanitised on ingest); instead of `body`."),
        "summary": FieldSpec(_STRING, False, "One or two sentences; derived from the body when absent."),
        "published": FieldSpec(
            _STRING,
            False,
            "First publication date and time (RFC 3339 or a UK-style date; in JSON, a number is a Unix time, in "
            "seconds, or in milliseconds from 10^11 on: so for `updated` and `withdrawn_at`).",
        ),
        "updated": FieldSpec(_STRING, False, "Date and time of the last significant change."),
        "slug": FieldSpec(_STRING, False, "Path segment of the release page; derived from the title when absent."),
        "topics": FieldSpec(_TOPICS, False, "Topic names the release is listed under."),
        "organisation": FieldSpec(_STRING, False, "Issuing organisation; the site's author when absent."),
        "link": FieldSpec(_URL, False, "Canonical URL where the release is published elsewhere."),
        "source_key": FieldSpec(_STRING, False, "Stable identity given by the sender; re-sending it updates."),
        "language": FieldSpec(_STRING, False, "BCP 47 language tag (`en`, `cy`, `ur`); the site's when absent."),
        "document_type": FieldSpec(_STRING, False, "`press_release`, `speech`, `news_story`, …"),
        "image": FieldSpec(_STRING, False, "URL of a lead image."),
        "translation_of": FieldSpec(
            _STRING,
            False,
            "The other language version of this release (its `source_key`, `slug` or `link`): the two are linked "
            "to each other on their pages and in the feeds.",
        ),
        "withdrawn_note": FieldSpec(
            _STRING, False, "Why the release was withdrawn: sending it marks the release withdrawn everywhere."
        ),
        "withdrawn_at": FieldSpec(
            _STRING,
            False,
            "When it was withdrawn; `updated`, else the time of ingest, when absent. Alone, without "
            "`withdrawn_note`, it withdraws the release with a plain notice, and a warning.",
        ),
        "change_note": FieldSpec(
            _STRING,
            False,
            "What this version changes (`Corrected the date of the visit.`): sent with a new version of a release "
            "stored already, it joins the release's change history, dated as the update.",
        ),
    }
)

_STRING_FIELDS = frozenset(name for name, spec in JSON_SCHEMA_FIELDS.items() if spec.type != _TOPICS)

# Names other schemas use for our fields: a better suggestion than string similarity alone.
_HINTS: Mapping[str, str] = {
    "date": "published",
    "published_at": "published",
    "pubdate": "published",
    "modified": "updated",
    "updated_at": "updated",
    "tags": "topics",
    "categories": "topics",
    "description": "summary",
    "url": "link",
    "permalink": "link",
    "content": "body",
    "text": "body",
    "html": "body_html",
    "type": "document_type",
    "lang": "language",
    "locale": "language",
    "organization": "organisation",
    "author": "organisation",
    "publisher": "organisation",
    "department": "organisation",
    "from": "organisation",
    "id": "source_key",
    "key": "source_key",
    "headline": "title",
    "withdrawn": "withdrawn_note",
    "withdrawn_notice": "withdrawn_note",
    "withdrawal": "withdrawn_note",
    "explanation": "withdrawn_note",
    "correction": "change_note",
    "change": "change_note",
    "note": "change_note",
}

LineOf = Callable[[str], int | None]


def _no_line(_name: str) -> int | None:
    return None


def json_type(value: object) -> str:
    """The JSON name of a value's type, for messages ("number", not "int")."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    if isinstance(value, list | tuple):
        return "array"
    if isinstance(value, dict):
        return "object"
    return type(value).__name__


def unknown_field_error(
    name: str, known: Collection[str], *, origin: str, line: int | None = None, what: str = "field"
) -> InvalidReleaseError:
    """`unknown field 'titel' (did you mean 'title'?)`, listing the known names."""
    guess = _HINTS.get(name.lower())
    if guess not in known:  # a misspelling of a known name, or of a name other tools use (`auther`)
        usual = [h for h, field in _HINTS.items() if field in known and h not in known]
        close = difflib.get_close_matches(name.lower(), [*known, *usual], n=1, cutoff=0.6)
        guess = (close[0] if close[0] in known else _HINTS[close[0]]) if close else None
    hint = f" (did you mean '{guess}'?)" if guess else ""
    message = f"unknown {what} '{name}'{hint}; known {what}s: {', '.join(known)}"
    return InvalidReleaseError(message, origin=origin, field=name, line=line)


def check_release_fields(
    values: Mapping[str, object], *, origin: str, line_of: LineOf = _no_line, quote_hint: bool = False
) -> dict[str, str | tuple[str, ...] | None]:
    """Check the types of schema fields (already known names) and return them cleaned.

    Strings are stripped and an empty string counts as absent; `null` counts as absent; `topics` becomes a
    tuple of non-empty names. `quote_hint` adds "put it in quotes" to type errors (for YAML, where `title: yes`
    is a boolean). Does not check which fields are required: callers know what their format needs.
    """
    cleaned: dict[str, str | tuple[str, ...] | None] = {}
    for name, value in values.items():
        if value is None:
            cleaned[name] = None
        elif name == "topics":
            cleaned[name] = _topics(value, origin=origin, line=line_of(name))
        elif name in _STRING_FIELDS:
            if name == "source_key" and isinstance(value, int) and not isinstance(value, bool):
                value = str(value)  # a CMS's numeric id (`"source_key": 4711`) names the release as "4711" does
            elif (
                name in DATE_FIELDS
                and not quote_hint
                and isinstance(value, int | float)
                and not isinstance(value, bool)
            ):
                value = unix_time(value)  # (JSON, as a remote JSON source reads it; YAML's `date: 20261103` is refused)
            if not isinstance(value, str):
                hint = " (put it in quotes)" if quote_hint and isinstance(value, bool | int | float) else ""
                if hint and name in DATE_FIELDS and not isinstance(value, bool):
                    hint = " (write it as a date: 2026-11-03 09:30, or 3 November 2026 09:30)"
                raise InvalidReleaseError(
                    f"must be a string, not {json_type(value)}{hint}", origin=origin, field=name, line=line_of(name)
                )
            text = value.strip()
            if name == "link" and text:
                _check_url(text, origin=origin, line=line_of(name))
            cleaned[name] = text or None
        else:
            raise unknown_field_error(name, JSON_SCHEMA_FIELDS, origin=origin, line=line_of(name))
    return cleaned


DATE_FIELDS = frozenset({"published", "updated", "withdrawn_at"})
"""The schema's dates: in JSON, each may be a number, a Unix time (`unix_time`)."""
_MILLISECONDS = 100_000_000_000
"""A Unix time this large is in milliseconds (JavaScript's): in seconds it would be the year 5138, past any date
a release may have (1900-2199), while in milliseconds it is any date since March 1973."""


_EARLIEST, _LATEST = 1_000_000_000, 7_258_118_400
"""Unix times of no release: before 9 September 2001 (`20261103`, a date written as a number, or `0`, would date the
release in 1970 without a word), and from the year 2200 on (past any date a release may have)."""


def unix_time(value: float) -> str:
    """A number given for a date (`"updated": 1795860000`): a Unix time, in seconds or milliseconds, as RFC 3339;
    one out of `_EARLIEST`.. `_LATEST` is left as its text, for the date reader to refuse by name."""
    seconds = value / 1000 if abs(value) >= _MILLISECONDS else value
    if not _EARLIEST <= seconds < _LATEST:
        return str(value)
    return rfc3339(datetime.fromtimestamp(seconds, UTC))  # (NaN and infinities are out of range above)


def release_from_json(obj: object, *, source: str, origin: str) -> RawRelease:
    """A `RawRelease` from one JSON object in our schema; `InvalidReleaseError` names the offending field (its line
    in a file is found by the caller, `feeds.ingest.formats.at_json_line`, which has the text)."""
    if not isinstance(obj, dict):
        raise InvalidReleaseError(f"a release must be a JSON object, not {json_type(obj)}", origin=origin)
    for key in obj:
        if key not in JSON_SCHEMA_FIELDS:
            raise unknown_field_error(str(key), JSON_SCHEMA_FIELDS, origin=origin)
    fields = check_release_fields(obj, origin=origin)
    title = _str(fields.get("title"))
    if title is None:
        raise InvalidReleaseError("is required (a non-empty string)", origin=origin, field="title")
    body, body_html = _str(fields.get("body")), _str(fields.get("body_html"))
    if body is not None and body_html is not None:
        raise InvalidReleaseError("give either 'body' or 'body_html', not both", origin=origin, field="body_html")
    if body is None and body_html is None:
        raise InvalidReleaseError(
            "is required: give 'body' (plain text or Markdown) or 'body_html'", origin=origin, field="body"
        )
    body_format: BodyFormat = "markdown" if body is not None else "html"
    return raw_release_from_fields(
        fields,
        origin=origin,
        source=source,
        title=title,
        body=body or body_html,
        body_format=body_format,
    )


def raw_release_from_fields(
    fields: Mapping[str, str | tuple[str, ...] | None],
    *,
    origin: str,
    source: str,
    title: str,
    body: str | None,
    body_format: BodyFormat,
    lines: tuple[tuple[str, int], ...] = (),
) -> RawRelease:
    """Build the record from checked fields (the output of `check_release_fields`): each of `_RAW_TEXTS` given as a
    string, every other left to its default (None), as `_str(fields.get(name))` for each would give, without a
    call for each of the fourteen (~15 k instructions a release)."""
    topics = fields.get("topics")
    # (strings, each for a field of type `str | None`)
    texts: dict[str, Any] = {
        name: value for name, value in fields.items() if name in _RAW_TEXTS and isinstance(value, str)
    }
    return RawRelease(
        origin=origin,
        source=source,
        title=title,
        body=body,
        body_format=body_format,
        topics=topics if isinstance(topics, tuple) else (),
        lines=lines,
        **texts,
    )


_RAW_TEXTS = frozenset(
    {"summary", "published", "updated", "slug", "organisation", "link", "source_key", "language", "document_type"}
    | {"image", "translation_of", "withdrawn_at", "withdrawn_note", "change_note"}
)
"""The fields `raw_release_from_fields` copies when they are strings: those of `RawRelease` whose default is None."""


def _str(value: str | tuple[str, ...] | None) -> str | None:
    return value if isinstance(value, str) else None


def _topics(value: object, *, origin: str, line: int | None) -> tuple[str, ...]:
    if isinstance(value, str):
        items: list[object] = list(value.split(","))
    elif isinstance(value, list | tuple):
        items = list(value)
    else:
        raise InvalidReleaseError(
            f"must be an array of strings or a comma-separated string, not {json_type(value)}",
            origin=origin,
            field="topics",
            line=line,
        )
    names: list[str] = []
    for index, item in enumerate(items):
        if not isinstance(item, str):
            raise InvalidReleaseError(
                f"item {index} must be a string, not {json_type(item)}", origin=origin, field="topics", line=line
            )
        name = " ".join(item.split())
        if name and name not in names:
            names.append(name)
    return tuple(names)


def _check_url(url: str, *, origin: str, line: int | None) -> None:
    """Refuse what is no absolute http(s) URL at all; a space or a letter other than ASCII is no reason (the
    normaliser percent-encodes it, `feeds.urls.absolute_uri`)."""
    try:
        _ = urlsplit(url).port  # (a port beyond 65535 or not a number raises only when asked for)
        absolute_uri(url, "link")
        ok = True
    except ValueError:
        ok = False
    if not ok:
        raise InvalidReleaseError(
            f"must be an absolute http(s) URL, not {url!r}", origin=origin, field="link", line=line
        )
