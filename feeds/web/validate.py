"""The pushed JSON as releases: every field error of every item at once, in the words of the release schema.

An item is read by the schema of `.json` files in the drop folder (`feeds.ingest.schema`, `feeds.ingest.formats`),
or as a GOV.UK content item, then normalised as any release is; a list is all or nothing, so a list with any
error is refused whole with `Invalid` (400) listing the errors of every item, each with its place in the list.

What this module must not do: parse release formats itself (the schema module does), read the request, touch the
store, or log.
"""

from __future__ import annotations

import hashlib
from datetime import datetime
from typing import TYPE_CHECKING

from feeds.errors import InvalidReleaseError
from feeds.ingest.formats import JSON_SCHEMA_FIELDS, release_from_json, release_from_object, twins
from feeds.ingest.govuk import is_govuk_content_item
from feeds.ingest.schema import check_release_fields, json_type, unknown_field_error
from feeds.model import RawRelease, Release
from feeds.normalise import normalise_release
from feeds.web.body import canonical_json
from feeds.web.replies import FieldError, Invalid

if TYPE_CHECKING:
    from feeds.app import App

SOURCE = "push"
"""The source name of pushed releases (reserved in the config, like `cli`)."""
KEY_PREFIX = "push:"
"""The start of a pushed release's origin and of an Idempotency-Key as stored (the `idempotency` table is shared)."""


def releases_from_value(value: object, app: App, now: datetime) -> tuple[Release, ...]:
    """The pushed items as normalised releases, or `Invalid` listing every problem of every item at once (a list is
    all or nothing): the schema's, and those normalising finds (dates, links, languages) in the items the schema
    passed (without their bad fields), so that an unknown field and an unreadable date are named together."""
    indexed, errors = raws_from_value(value)
    settings = app.settings
    releases: list[Release] = []
    for index, raw in indexed:
        try:
            releases.append(normalise_release(raw, settings.site, settings.topics, now))
        except InvalidReleaseError as e:
            errors.append(FieldError(e.field, e.message, index))
    if not errors and len(indexed) > 1 and (found := twins([raw for _, raw in indexed])) is not None:
        first, second, field, same = found
        message = f"items {first} and {second} have the same {field} ({same!r}): they would be one release"
        errors.append(FieldError(field, message, second))
    if errors:
        # (in the order of the list; a stable sort keeps each item's own errors in the order they were found)
        raise Invalid(sorted(errors, key=lambda e: -1 if e.index is None else e.index))
    return tuple(releases)


def raws_from_value(value: object) -> tuple[list[tuple[int | None, RawRelease]], list[FieldError]]:
    """The pushed items as raw releases, with their places in a list, and the schema's errors. An item with errors
    is given without its bad fields (when the rest can be read), so that normalising it finds its other errors."""
    if isinstance(value, list):
        if not value:
            return [], [FieldError(None, "the list holds no release")]
        indexed: list[tuple[int | None, object]] = list(enumerate(value))
    else:
        indexed = [(None, value)]
    raws: list[tuple[int | None, RawRelease]] = []
    errors: list[FieldError] = []
    for index, item in indexed:
        origin = f"{KEY_PREFIX}{hashlib.sha256(canonical_json(item)).hexdigest()[:16]}"
        raw, item_errors = _item(item, origin)
        errors += [FieldError(e.field, e.message, index) for e in item_errors]
        if raw is not None:
            raws.append((index, raw))
    return raws, errors


_WITHDRAWAL = (
    ': to withdraw a release by its `source_key` alone, POST {"source_key": …, "withdrawn_note": …} to '
    "/api/releases/withdraw; or send the release again in full (its title and body) with `withdrawn_note`, as it is "
    "known (its `source_key`, `link` or `slug`); or withdraw it on the server with `feeds releases withdraw`"
)


def _withdrawal_alone(obj: dict[str, object], field: str | None) -> bool:
    """Whether an item is a withdrawal sent without its release (`{"source_key": …, "withdrawn_note": …}`), which
    "title is required" alone would leave a sender puzzled by."""
    return (
        field in ("title", "body")
        and not obj.get("title")
        and bool(obj.get("withdrawn_note") or obj.get("withdrawn_at"))
    )


def _item(obj: object, origin: str) -> tuple[RawRelease | None, list[FieldError]]:
    if is_govuk_content_item(obj):
        try:
            return release_from_object(obj, source=SOURCE, origin=origin), []
        except InvalidReleaseError as e:
            return None, [FieldError(e.field, e.message)]
    if not isinstance(obj, dict):
        return None, [FieldError(None, f"a release must be a JSON object, not {json_type(obj)}")]
    wrapper = next((k for k, v in obj.items() if k not in JSON_SCHEMA_FIELDS and isinstance(v, list)), None)
    if wrapper is not None and "title" not in obj and all(isinstance(v, dict) for v in obj[wrapper]):
        # (an envelope such as the list answer's `{"releases": [...]}`: "unknown field" and "no title" would read as
        # if the items were wrong)
        return None, [FieldError(wrapper, f"send the list itself, [{{…}}, …], not an object around it ({wrapper!r})")]
    errors: list[FieldError] = []
    for name, value in obj.items():
        try:
            if name not in JSON_SCHEMA_FIELDS:
                raise unknown_field_error(name, JSON_SCHEMA_FIELDS, origin=origin)
            check_release_fields({name: value}, origin=origin)
        except InvalidReleaseError as e:
            errors.append(FieldError(e.field or name, e.message))
    # What is left (required fields, body vs body_html) is checked by the schema itself on the valid fields.
    bad = {e.field for e in errors}
    try:
        raw = release_from_json({k: v for k, v in obj.items() if k not in bad}, source=SOURCE, origin=origin)
    except InvalidReleaseError as e:
        if e.field not in bad:
            errors.append(
                FieldError(e.field, e.message + _WITHDRAWAL if _withdrawal_alone(obj, e.field) else e.message)
            )
        return None, errors
    # (with errors, the release without its bad fields: normalised only to find the errors it has besides)
    return raw, errors
