"""Vetting a `FeedSpec` before it is rendered (pure): every assertion made, every URL in URI form, and the URLs the
renderers derive from a spec (its self links, its RFC 5005 links per format).

A spec is asserted, not repaired: a relative URL, a non-URI id, a missing author, a naive datetime, duplicate ids or
a feed older than one of its entries raise ValueError naming the feed and the field. One repair is made because it
is lossless and defined (RFC 3987 §3.1): characters not allowed in a URI (non-ASCII, spaces, brackets outside an
IPv6 host) are percent-encoded,
so links copied from external feeds still validate. The pages use the same URI form for their links (`uri_form`).

What this module must not do: read the clock, the store or the file system, sort or drop entries, or render.
"""

from __future__ import annotations

import re
from dataclasses import replace
from urllib.parse import quote, urlsplit

from feeds.clock import ensure_utc, rfc3339
from feeds.config import AUTHOR_EMAIL
from feeds.publish.spec import FEED_FILES, FeedEntry, FeedFormat, FeedSpec, Person
from feeds.urls import PLAIN_URL, STRAY_PERCENT, URI_SAFE, absolute_uri

_SCHEME = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*:")
# RFC 4151 §2.1 tag:authorityName,date:specific[#fragment]. The authority must be lowercase: the W3C validator
# compares ids with their canonical form (RFC 3986 §6.2.2.1) and warns on any difference.
_TAG_URI = re.compile(
    r"tag:(?:[a-z0-9._%+-]+@)?[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?,\d{4}(?:-\d\d(?:-\d\d)?)?:"
    r"[A-Za-z0-9\-._~!$&'()*+,;=:@/?%]*(?:#[A-Za-z0-9\-._~!$&'()*+,;=:@/?%]*)?"
)


def checked_spec(spec: FeedSpec) -> FeedSpec:
    """The spec with every assertion made and every URL in URI form; raises ValueError naming feed and field."""
    where = f"feed {spec.key!r}"
    _require(spec.title.strip() != "", f"{where}: title is blank")
    _check_id(spec.id, f"{where}: id")
    _require(spec.base_url.endswith("/"), f"{where}: base_url {spec.base_url!r} must end with '/'")
    absolute_uri(spec.base_url, f"{where}: base_url")
    updated = ensure_utc(spec.updated).replace(microsecond=0)  # compared as written: whole seconds
    if spec.archive:
        # RFC 5005 §4: an archive document names its current feed (the validator warns without it).
        _require(spec.current is not None, f"{where}: an archive document needs its 'current' link")
    seen: set[str] = set()
    entries = []
    for entry in spec.entries:  # the hot loop of a big publish: messages are built only when a check fails
        checked = _checked_entry(entry, where)
        if checked.id in seen:
            raise ValueError(f"{where}: entry id {checked.id!r} appears twice")
        seen.add(checked.id)
        if ensure_utc(checked.updated).replace(microsecond=0) > updated:
            raise ValueError(
                f"{where}: entry {checked.id!r} updated {rfc3339(checked.updated)} is newer than the feed's "
                f"{rfc3339(updated)} (RFC 4287 §4.2.15: the feed's updated covers its entries)"
            )
        entries.append(checked)
    return replace(
        spec,
        home_url=absolute_uri(spec.home_url, f"{where}: home_url"),
        hub=_optional_url(spec.hub, f"{where}: hub"),
        icon=_optional_url(spec.icon, f"{where}: icon"),
        current=_optional_url(spec.current, f"{where}: current"),
        prev_archive=_optional_url(spec.prev_archive, f"{where}: prev_archive"),
        next_archive=_optional_url(spec.next_archive, f"{where}: next_archive"),
        stylesheet=_stylesheet_url(spec.stylesheet, f"{where}: stylesheet"),
        css=_stylesheet_url(spec.css, f"{where}: css"),
        author=_checked_person(spec.author, f"{where}: author"),
        entries=tuple(entries),
    )


def _plain_entry(entry: FeedEntry) -> bool:
    """True when the entry needs no rewriting and passes every check (most entries): no messages to build."""

    def plain(url: str | None) -> bool:
        return url is None or PLAIN_URL.fullmatch(url) is not None

    return (
        entry.id.isascii()
        and _TAG_URI.fullmatch(entry.id) is not None
        and entry.title.strip() != ""
        and entry.published.tzinfo is not None
        and entry.updated.tzinfo is not None
        and plain(entry.link)
        and plain(entry.image)
        and plain(entry.source_url)
        and plain(entry.related_url)
        and all(
            p.name.strip() and plain(p.uri) and (p.email is None or AUTHOR_EMAIL.fullmatch(p.email))
            for p in entry.authors
        )
        and all(plain(c.scheme) for c in entry.categories)
    )


def _checked_entry(entry: FeedEntry, feed_where: str) -> FeedEntry:
    if _plain_entry(entry):
        return entry
    where = f"{feed_where}: entry {entry.id!r}"
    _check_id(entry.id, f"{where}: id")
    _require(entry.title.strip() != "", f"{where}: title is blank")
    ensure_utc(entry.published)
    ensure_utc(entry.updated)
    return replace(
        entry,
        link=_optional_url(entry.link, f"{where}: link"),
        image=_optional_url(entry.image, f"{where}: image"),
        source_url=_optional_url(entry.source_url, f"{where}: source_url"),
        related_url=_optional_url(entry.related_url, f"{where}: related_url"),
        authors=tuple(_checked_person(p, f"{where}: author") for p in entry.authors),
        categories=tuple(
            replace(c, scheme=_optional_url(c.scheme, f"{where}: category {c.term!r} scheme")) for c in entry.categories
        ),
    )


def _check_person(person: Person, where: str) -> None:
    _require(person.name.strip() != "", f"{where}: missing author name (RFC 4287 §4.2.1 needs one)")
    if person.email is not None:
        _require(AUTHOR_EMAIL.fullmatch(person.email) is not None, f"{where}: {person.email!r} is not an email address")


def _checked_person(person: Person, where: str) -> Person:
    _check_person(person, where)
    return replace(person, uri=_optional_url(person.uri, f"{where}: uri"))


def _check_id(value: str, where: str) -> None:
    """An absolute URI (RFC 4287 §4.2.6); tag: URIs must follow RFC 4151."""
    ok = _SCHEME.match(value) is not None and value.isascii() and not any(c.isspace() for c in value)
    if ok and value[:4].lower() == "tag:":
        ok = _TAG_URI.fullmatch(value) is not None
    elif ok and urlsplit(value).scheme.lower() in ("http", "https"):
        ok = bool(urlsplit(value).netloc)
    _require(ok, f"{where}: {value!r} is not an absolute URI (use a tag: URI, RFC 4151)")


def _optional_url(value: str | None, where: str) -> str | None:
    return None if value is None else absolute_uri(value, where)


def _stylesheet_url(value: str | None, where: str) -> str | None:
    """Absolute or root-relative (same origin: browsers refuse a cross-origin XSLT)."""
    if value is None:
        return None
    if value.startswith("/") and not value.startswith("//"):
        return quote(STRAY_PERCENT.sub("%25", value), safe=URI_SAFE)
    return absolute_uri(value, where)


def _require(condition: bool, message: str) -> None:
    if not condition:
        raise ValueError(message)


def history_links(spec: FeedSpec, fmt: FeedFormat) -> tuple[tuple[str, str], ...]:
    """RFC 5005 §4 links, in a fixed order, to the documents in format `fmt` (the spec names the Atom ones; every
    document of a feed has its other formats beside it)."""
    links = (("current", spec.current), ("prev-archive", spec.prev_archive), ("next-archive", spec.next_archive))
    atom, mine = FEED_FILES["atom"], FEED_FILES[fmt]
    return tuple((rel, href.removesuffix(atom) + mine if href.endswith(atom) else href) for rel, href in links if href)


def self_url(spec: FeedSpec, fmt: FeedFormat) -> str:
    return absolute_uri(spec.url(fmt), f"feed {spec.key!r}: self URL")
