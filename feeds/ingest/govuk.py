"""GOV.UK Content API content items → `RawRelease`.

A content item (`https://www.gov.uk/api/content/<path>`) describes one page: news stories, press releases,
speeches, statements, world news. Its identity is its URL: translations of the same document share a
`content_id` but live at their own `base_path` (`…-message.ur`), and each is a separate release here, so
`source_key` stays empty and `link` carries the identity. A translation names the English version's page (from
`links.available_translations`) as `translation_of`, so that the publisher links the versions to each other.

What this module must not do: parse dates or clean HTML. Field choices follow how GOV.UK itself renders
the page: the date shown is `details.first_public_at` (the original publication, also for documents moved
from older systems), the organisation shown first is the "emphasised" (lead) one.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import TypeGuard
from urllib.parse import urljoin

from feeds.errors import InvalidReleaseError
from feeds.ingest.schema import json_type
from feeds.model import RawRelease
from feeds.normalise.htmltext import html_to_text

__all__ = ["GOVUK_BASE", "is_govuk_content_item", "release_from_govuk"]

GOVUK_BASE = "https://www.gov.uk"

# Link groups whose titles are topics a reader would browse by, in the order GOV.UK shows them.
_TOPIC_LINKS = ("topical_events", "world_locations", "topics", "taxons")


def is_govuk_content_item(obj: object) -> TypeGuard[dict[str, object]]:
    """True for a GOV.UK content item: it has `base_path`, `details` and a schema or document type."""
    return (
        isinstance(obj, dict)
        and "base_path" in obj
        and "details" in obj
        and ("schema_name" in obj or "document_type" in obj)
    )


def release_from_govuk(item: Mapping[str, object], *, source: str, origin: str) -> RawRelease:
    """Extract the release fields of one content item; `InvalidReleaseError` names the missing field."""
    get = _Getter(origin)
    title = get.text(item, "title", required=True)
    base_path = get.text(item, "base_path", required=True)
    if base_path is None or not base_path.startswith("/"):
        raise InvalidReleaseError("must be a path starting with '/'", origin=origin, field="base_path")
    link = GOVUK_BASE + base_path
    details = get.mapping(item, "details")
    links = get.mapping(item, "links")
    withdrawn = get.mapping(item, "withdrawn_notice")
    return RawRelease(
        origin=origin,
        source=source,
        title=title,
        body=_body(details, get),
        body_format="html",
        summary=get.text(item, "description"),
        published=get.text(details, "first_public_at", path="details") or get.text(item, "first_published_at"),
        updated=get.text(item, "public_updated_at"),
        topics=_topics(links, get),
        organisation=_organisation(details, links, get),
        link=link,
        source_key=None,
        translation_of=_translated_from(links, get.text(item, "locale"), base_path, get),
        language=get.text(item, "locale"),
        document_type=get.text(item, "document_type") or get.text(item, "schema_name"),
        image=_image(details, get),
        withdrawn_at=get.text(withdrawn, "withdrawn_at", path="withdrawn_notice"),
        withdrawn_note=_html_to_text(get.text(withdrawn, "explanation", path="withdrawn_notice")),
        changes=_changes(details, get),
    )


class _Getter:
    """Typed access to a JSON object that names the offending field (`details.body`) in its errors."""

    def __init__(self, origin: str):
        self.origin = origin

    def fail(self, field: str, message: str) -> InvalidReleaseError:
        return InvalidReleaseError(message, origin=self.origin, field=field)

    def text(self, obj: Mapping[str, object], key: str, *, path: str = "", required: bool = False) -> str | None:
        field = f"{path}.{key}" if path else key
        value = obj.get(key)
        if value is None or (isinstance(value, str) and not value.strip()):
            if required:
                raise self.fail(field, "is required (a non-empty string)")
            return None
        if not isinstance(value, str):
            raise self.fail(field, f"must be a string, not {json_type(value)}")
        return value.strip()

    def mapping(self, obj: Mapping[str, object], key: str, *, path: str = "") -> Mapping[str, object]:
        value = obj.get(key)
        if value is None:
            return {}
        if not isinstance(value, dict):
            raise self.fail(f"{path}.{key}" if path else key, f"must be an object, not {json_type(value)}")
        return value

    def objects(self, obj: Mapping[str, object], key: str, *, path: str) -> list[Mapping[str, object]]:
        value = obj.get(key)
        if value is None:
            return []
        field = f"{path}.{key}"
        if not isinstance(value, list):
            raise self.fail(field, f"must be an array, not {json_type(value)}")
        for index, entry in enumerate(value):
            if not isinstance(entry, dict):
                raise self.fail(f"{field}[{index}]", f"must be an object, not {json_type(entry)}")
        return value


def _body(details: Mapping[str, object], get: _Getter) -> str:
    value = details.get("body")
    if isinstance(value, list):
        # Multi-format bodies: [{"content_type": "text/govspeak", …}, {"content_type": "text/html", …}].
        for index, part in enumerate(value):
            if isinstance(part, dict) and part.get("content_type") == "text/html":
                html = get.text(part, "content", path=f"details.body[{index}]")
                if html:
                    return html
        raise get.fail("details.body", "has no text/html part")
    body = get.text(details, "body", path="details")
    if body is None:
        raise get.fail("details.body", "is required: the content item has no body")
    return body


def _organisation(details: Mapping[str, object], links: Mapping[str, object], get: _Getter) -> str | None:
    organisations = get.objects(links, "organisations", path="links")
    emphasised = details.get("emphasised_organisations")
    lead_ids = {i for i in emphasised if isinstance(i, str)} if isinstance(emphasised, list) else set()
    ordered = [o for o in organisations if isinstance(o.get("content_id"), str) and o["content_id"] in lead_ids]
    ordered += organisations
    for index, org in enumerate(ordered):
        name = get.text(org, "title", path=f"links.organisations[{index}]")
        if name:
            return name
    # World news is issued by an embassy or high commission, listed apart from the home organisations.
    for index, org in enumerate(get.objects(links, "worldwide_organisations", path="links")):
        name = get.text(org, "title", path=f"links.worldwide_organisations[{index}]")
        if name:
            return name
    return None


def _translated_from(links: Mapping[str, object], locale: str | None, base_path: str, get: _Getter) -> str | None:
    """The page of the version a translation was made from: the English one among `available_translations` (GOV.UK
    lists every locale of the document, this one included). None for the English version itself (it is linked to
    the translations that name it), or an item that lists no other locale."""
    if locale is None or locale.lower() == "en":
        return None
    for entry in get.objects(links, "available_translations", path="links"):
        path = entry.get("base_path")
        if entry.get("locale") == "en" and isinstance(path, str) and path.startswith("/") and path != base_path:
            return GOVUK_BASE + path
    return None


def _topics(links: Mapping[str, object], get: _Getter) -> tuple[str, ...]:
    names: list[str] = []
    for group in _TOPIC_LINKS:
        for index, entry in enumerate(get.objects(links, group, path="links")):
            name = get.text(entry, "title", path=f"links.{group}[{index}]")
            if name and name not in names:
                names.append(name)
    return tuple(names)


def _image(details: Mapping[str, object], get: _Getter) -> str | None:
    url = get.text(get.mapping(details, "image", path="details"), "url", path="details.image")
    if url is None:
        for index, image in enumerate(get.objects(details, "images", path="details")):
            sources = get.mapping(image, "sources", path=f"details.images[{index}]")
            if image.get("type") == "lead" and sources:
                first = next(iter(sources.values()))
                url = first.strip() if isinstance(first, str) and first.strip() else None
                break
    # Older items give paths on www.gov.uk ("/government/uploads/…"): resolve them where they live.
    return urljoin(GOVUK_BASE + "/", url) if url else None


def _changes(details: Mapping[str, object], get: _Getter) -> tuple[tuple[str, str], ...]:
    changes: list[tuple[str, str]] = []
    for index, entry in enumerate(get.objects(details, "change_history", path="details")):
        path = f"details.change_history[{index}]"
        at = get.text(entry, "public_timestamp", path=path, required=True)
        note = get.text(entry, "note", path=path) or ""
        if at is not None:
            changes.append((at, note))
    # GOV.UK lists changes newest first; make sure of it. Comparing the timestamps needs them as instants
    # (their offsets differ), but we keep the strings: the normaliser owns date parsing.
    try:
        instants = [datetime.fromisoformat(at.replace("Z", "+00:00")) for at, _ in changes]
        if all(i.tzinfo is not None for i in instants):
            order = sorted(range(len(changes)), key=lambda i: instants[i], reverse=True)
            changes = [changes[i] for i in order]
    except ValueError:
        pass  # Unreadable timestamps: keep the source's order and let the normaliser report them.
    return tuple(changes)


def _html_to_text(html: str | None) -> str | None:
    """Plain text of a small HTML fragment (the withdrawal explanation): paragraphs apart, white space collapsed,
    and nothing of what a page never shows (scripts, styles)."""
    if not html:
        return None
    return html_to_text(html) or None
