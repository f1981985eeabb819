"""One field of a `RawRelease` → its clean value, or an `InvalidReleaseError` naming the origin, the field and
(when known) its line: the title and the type its prefix names, the document type, a date, the list of changes, a
link or image URL, the language tag, and the texts read as the Windows-1252 punctuation their controls stand for.

These are the small field-by-field checks `feeds.normalise.release` calls once each per release (a hot path: the
patterns are compiled once, here). What this module must not do: decide anything that needs more than the field it
is given (which date dates a release, what is hashed: that is `release`), read the clock, or touch the store or
the network.
"""

from __future__ import annotations

import dataclasses
import html
import re
import unicodedata
from datetime import datetime
from urllib.parse import urljoin, urlsplit
from zoneinfo import ZoneInfo

from feeds.config import Site
from feeds.errors import InvalidReleaseError
from feeds.model import Change, RawRelease
from feeds.normalise.dates import WeekdayError, parse_date
from feeds.normalise.text import nfc, one_line_text, windows_1252_controls, xml_safe
from feeds.urls import absolute_uri

# GOV.UK-style titles sometimes carry their document type ("Press release: …"); it belongs in document_type.
_TYPE_PREFIX = re.compile(
    r"(?P<type>press release|news story|speech|statement|written statement|oral statement|government response)"
    r"\s*:\s*(?P<rest>.+)",
    re.IGNORECASE | re.DOTALL,
)
# A character reference left in a title by a CMS that escaped it twice ("Q&amp;A"): decoded. Only complete
# references (with their ";"), so "R&D" or "Fish&chips" stay as written.
_ENTITY = re.compile(r"&(?:#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[A-Za-z][A-Za-z0-9]{1,31});")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_NON_WORD = re.compile(r"[^a-z0-9]+")
_LANGUAGE = re.compile(r"[A-Za-z]{2,3}(?:-[A-Za-z0-9]{2,8})*")  # RFC 5646, loosely (as config.py checks it)


def readable_texts(raw: RawRelease) -> RawRelease:
    """`raw` with the C1 controls of its texts read as the Windows-1252 punctuation they stand for
    (`windows_1252_controls`), and its texts in Unicode Normalization Form C (`nfc`: "Cafe" + U+0301 is "Café",
    Arabic typed shadda-then-kasra has its marks in order), the one form pages and feeds publish. What names the
    release (its key, link, slug, file) is left as it came: its identity must not move. The same object when
    there is nothing to read (almost always: text in NFC, so its content hash is what it was)."""
    # ASCII text, nearly every release's, has nothing to read (no soft hyphen, no C1 control, and it is NFC), which
    # one C-speed check of each text tells, where reading each cost three calls (~2.5 k instructions a text).
    texts = (raw.title, raw.summary, raw.organisation, raw.withdrawn_note, raw.change_note, raw.body, *raw.topics)
    if not raw.changes and all(map(str.isascii, filter(None, texts))):
        return raw
    return read_each_text(raw)


def read_each_text(raw: RawRelease) -> RawRelease:
    """`readable_texts` without its shortcut for ASCII: every text read (the same answer, at a cost)."""

    def read(text: str) -> str:
        return nfc(windows_1252_controls(without_soft_hyphens(text)))

    # (an HTML body's `&shy;` is a hyphenation point its author placed for the page, which a browser honours)
    read_body = read if raw.body_format != "html" else lambda text: nfc(windows_1252_controls(text))
    texts = (raw.title, raw.summary, raw.organisation, raw.withdrawn_note, raw.change_note)
    if (
        all(t is None or read(t) is t for t in texts)
        and (raw.body is None or read_body(raw.body) is raw.body)
        and all(read(t) is t for t in (*raw.topics, *(note for _, note in raw.changes)))
    ):
        return raw
    return dataclasses.replace(
        raw,
        title=None if raw.title is None else read(raw.title),
        body=None if raw.body is None else read_body(raw.body),
        summary=None if raw.summary is None else read(raw.summary),
        organisation=None if raw.organisation is None else read(raw.organisation),
        withdrawn_note=None if raw.withdrawn_note is None else read(raw.withdrawn_note),
        change_note=None if raw.change_note is None else read(raw.change_note),
        topics=tuple(map(read, raw.topics)),
        changes=tuple((at, read(note)) for at, note in raw.changes),
    )


def without_soft_hyphens(text: str) -> str:
    """`text` without its soft hyphens (U+00AD): the optional hyphens Word keeps in a word it hyphenated to fit
    its own line ("sea\u00adfront"), which its plain-text export writes out. Invisible, they would still part the
    word in a slug ("sea-front"), a search and the text a reader copies. The same object when there are none."""
    return text.replace("\u00ad", "") if "\u00ad" in text else text


def invalid(raw: RawRelease, field: str, message: str) -> InvalidReleaseError:
    """The error (not raised) naming `raw`'s origin, source, `field` and the field's line, if known."""
    return InvalidReleaseError(message, origin=raw.origin, field=field, line=raw.line_of(field), source=raw.source)


def title_of(raw: RawRelease) -> tuple[str, str | None]:
    """The cleaned title, and the document type its prefix named (only when the source gave no type)."""
    title = raw.title or ""
    if "&" in title:  # (what a reference spells may be out of NFC: "e&#x301;")
        title = nfc(_ENTITY.sub(lambda m: html.unescape(m[0]), title))
    title = one_line_text(title)
    if not title:
        raise invalid(raw, "title", "the release has no title")
    if raw.document_type is None:
        m = _TYPE_PREFIX.fullmatch(title)
        if m:
            return m["rest"], document_type_of(m["type"])
    return title, None


def document_type_of(value: str | None) -> str | None:
    """`Press release`, `press-release`, `PressRelease` → `press_release`; None when nothing is left."""
    if not value:
        return None
    ascii_value = unicodedata.normalize("NFKD", value).encode("ascii", "ignore").decode("ascii")
    snake = _NON_WORD.sub("_", _CAMEL.sub("_", ascii_value.strip()).lower()).strip("_")
    return snake or None


def date_of(
    raw: RawRelease, field: str, value: str | datetime | None, site: Site, *, latest: bool = False
) -> datetime | None:
    """The date given as `field` (read in the site's zone when it names none), or None when not given; with
    `latest` (a not-before time, an embargo line's), a wall time the clocks repeat is its later reading."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    try:
        return parse_date(value, site.tz, latest=latest)
    except WeekdayError as e:  # (read, but not sure: the message names the date and both days)
        raise invalid(raw, field, str(e)) from e
    except (ValueError, OverflowError) as e:
        shown = value if isinstance(value, str) else value.isoformat()
        raise invalid(raw, field, f"cannot read the date {shown!r}: {e}") from e


def changes_of(raw: RawRelease, tz: ZoneInfo) -> list[Change]:
    """The changes `raw` lists, as given (unsorted), each note on one line."""
    out: list[Change] = []
    for stamp, note in raw.changes:
        try:
            at = parse_date(stamp, tz)
        except (ValueError, OverflowError) as e:
            raise invalid(raw, "changes", f"cannot read the date of change {note!r}: {e}") from e
        out.append(Change(at=at, note=one_line_text(note)))
    return out


def url_of(raw: RawRelease, field: str, value: str | None, base: str | None) -> str | None:
    """An absolute http(s) URL (a relative one resolved against `base`), or None when not given.

    Anything else (`javascript:`, `data:`, a bare path with nothing to resolve it against) is refused: these
    values are published as links and image sources without further checks.
    """
    if value is None or not value.strip():
        return None
    url = xml_safe(value).strip()
    if base:
        url = urljoin(base, url)
    try:
        parts = urlsplit(url)
        _ = parts.port  # (a port beyond 65535 or not a number is refused only when asked for)
    except ValueError as e:
        raise invalid(raw, field, f"not a URL: {value!r} ({e})") from e
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise invalid(raw, field, f"must be an absolute http(s) URL, got {value!r}")
    if not any(c.isspace() for c in url):
        return url  # (kept as written, as it always was: the publish puts it in URI form; its hash stays the same)
    try:  # a space was once refused, and with it the whole of a JSON file: it is percent-encoded instead
        return absolute_uri(url, field)
    except ValueError as e:
        raise invalid(raw, field, f"must be an absolute http(s) URL, got {value!r}") from e


def language_of(raw: RawRelease, site: Site) -> str:
    """The release's language tag in its canonical case, or the site's language when none is given."""
    if raw.language is None or not raw.language.strip():
        return site.language
    language = raw.language.strip()
    if not _LANGUAGE.fullmatch(language):
        raise invalid(raw, "language", f"not a language tag (RFC 5646): {raw.language!r}")
    return canonical_language(language)


def canonical_language(tag: str) -> str:
    """A language tag in the case RFC 5646 §2.1.1 recommends (`CY` → `cy`, `zh-tw` → `zh-TW`, `sr-latn` →
    `sr-Latn`): tags are the same in any case, and every page and feed then writes one the same way."""
    parts = tag.lower().split("-")  # (tags with extensions, `-u-…`, `-x-…`, are refused before: see _LANGUAGE)
    for i, part in enumerate(parts[1:], 1):
        if len(part) == 2:  # a region
            parts[i] = part.upper()
        elif len(part) == 4 and part.isalpha():  # a script (a four-character variant starts with a digit)
            parts[i] = part.title()
    return "-".join(parts)
