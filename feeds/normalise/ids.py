"""Names for a release: its slug, its permanent `tag:` id, its permalink and its identity.

These decide what readers' feed software remembers: an Atom entry id must never change once published
(RFC 4287 §4.2.6), so the id is built only from the site's domain, the first-publication date and the slug,
and a slug is chosen once. `identity_of` decides what counts as the same release when it arrives again (an
edited file, an updated GOV.UK page), which is a different question from what it is called.

What this module must not do: look at the store or the clock. Resolving slug collisions needs the store, so
the store layer calls `with_slug` with the suffixed slug it chose.
"""

from __future__ import annotations

import contextlib
import dataclasses
import hashlib
import json
import re
import unicodedata
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Literal, TypeVar
from urllib.parse import quote, unquote, urlsplit, urlunsplit

import idna

from feeds.config import Site
from feeds.errors import RuleError
from feeds.model import RawRelease, Release
from feeds.urls import uri_form

__all__ = [
    "ascii_spells",
    "canonical_url",
    "check_rule_name",
    "former_file_identity",
    "identity_of",
    "is_list_item",
    "permalink",
    "release_slug",
    "slugify",
    "tag_id",
    "watch_item_hash",
    "with_slug",
]

_APOSTROPHES = re.compile(r"['’‘`´]")
_NON_SLUG = re.compile(r"[^a-z0-9]+")
# Latin letters that NFKD does not decompose into ASCII (they are letters in their own right).
_LATIN_EXTRA = str.maketrans(
    {
        "ß": "ss",
        "Æ": "AE",
        "æ": "ae",
        "Œ": "OE",
        "œ": "oe",
        "Ø": "O",
        "ø": "o",
        "Ł": "L",
        "ł": "l",
        "Đ": "D",
        "đ": "d",
        "Ð": "D",
        "ð": "d",
        "Þ": "Th",
        "þ": "th",
        "ı": "i",
    }
)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def slugify(text: str, max_length: int = 80) -> str:
    """`Foreign Secretary's visit to Zürich & Bern` → `foreign-secretarys-visit-to-zurich-and-bern`.

    ASCII only (accents decomposed with NFKD and dropped), lowercase, words joined by hyphens, cut at a word
    boundary to at most `max_length` characters (a single longer word is cut where it must be), never a Windows
    device name (`con` is `con-1`). Returns "" when nothing ASCII is left (a title in Arabic script, say): the
    caller decides the fallback.
    """
    if text.isascii():  # (most titles: one table's pass, as the steps below come to for ASCII)
        slug = "-".join(text.replace("&", " and ").translate(_ASCII_SLUG).split())
        return _within(slug, max_length)
    text = _APOSTROPHES.sub("", text.replace("&", " and ")).translate(_LATIN_EXTRA)
    if text.isascii():  # nothing to decompose; _NON_SLUG below separates words at everything else
        ascii_text = text.lower()
    else:
        # Keep letters, digits and the combining marks NFKD split off (dropped just below); anything else,
        # such as an en dash or a non-breaking space, separates words rather than vanishing.
        decomposed = "".join(
            c if c.isalnum() or unicodedata.combining(c) else " " for c in unicodedata.normalize("NFKD", text)
        )
        ascii_text = decomposed.encode("ascii", "ignore").decode("ascii").lower()
    return _within(_NON_SLUG.sub("-", ascii_text).strip("-"), max_length)


def _within(slug: str, max_length: int) -> str:
    """`slug` cut at a word boundary to at most `max_length` characters, and never a Windows device name."""
    if len(slug) > max_length:
        cut = slug.rfind("-", 0, max_length + 1)
        slug = (slug[:cut] if cut > 0 else slug[:max_length]).strip("-")
    return f"{slug}-1" if slug in _WINDOWS_DEVICES else slug


_ASCII_SLUG = {c: (None if chr(c) in "'`" else chr(c).lower() if chr(c).isalnum() else " ") for c in range(128)}
"""`slugify`'s steps for an ASCII character, as one `str.translate` table: an apostrophe dropped (`_APOSTROPHES`), a
letter lowered, a letter or digit kept, anything else a space between words (`_NON_SLUG`)."""


_WINDOWS_DEVICES = frozenset(("con", "prn", "aux", "nul", *(f"{p}{n}" for p in ("com", "lpt") for n in range(10))))
"""Names Windows keeps for devices, whatever their case: a folder `topics/con/` could not be copied to a Windows or
SMB web server, so such a slug gets a `-1` (`con-1`)."""


def rule_slug(name: str) -> str:
    """The folder of a keyword rule's feeds, `matches/rules/<slug>/`: the slug of its name, or a hash of the name
    when it has no ASCII letter or digit. Rule names whose slugs are the same are refused when added."""
    return slugify(name) or "rule-" + hashlib.sha256(name.encode()).hexdigest()[:10]


def rule_keys(name: str) -> tuple[str, str]:
    """What no two rules may share: (the name case-folded, `rule_slug(name)`)."""
    return name.casefold(), rule_slug(name)


def rule_clash(name: str, other: str) -> Literal["case", "folder"] | None:
    """Which of `rule_keys` two rule names share: "case" (the same name but for case), "folder" (the same feed
    folder, `matches/rules/<rule_slug>/`), or None."""
    if name.casefold() == other.casefold():
        return "case"
    return "folder" if rule_slug(name) == rule_slug(other) else None


def release_slug(title: str, link: str | None) -> str:
    """A slug for a release that has no explicit one: from the title, else the link, else a hash of the title.

    A title mostly in another script (Arabic, Urdu, Chinese…) would leave only stray digits or Latin
    abbreviations ("2016"), so its link's last path segment is preferred: that is GOV.UK's English slug plus
    `.ur`, `.ar` for a translation, which stays distinct as `x-ur`. The hash keeps a release with neither
    stable across ingests.
    """
    slug = "" if _mostly_non_latin(title) else slugify(title)
    if slug:
        return slug
    if link:
        segments = [s for s in urlsplit(link).path.split("/") if s]
        if segments:
            slug = slugify(unquote(segments[-1]))
            if slug:
                return slug
    return "release-" + hashlib.sha256(title.encode("utf-8")).hexdigest()[:10]


def ascii_spells(text: str) -> bool:
    """Whether `slugify` spells every letter of `text` (its Latin letters, accents aside), dropping none (Cyrillic,
    Greek, Han, Arabic…); a modifier letter, such as the ʻokina of "Hawaiʻi", is punctuation to it."""
    return text.isascii() or all(
        unicodedata.normalize("NFKD", c)[0].isascii()
        for c in text.translate(_LATIN_EXTRA)
        if c.isalpha() and unicodedata.category(c) != "Lm"
    )


def _mostly_non_latin(text: str) -> bool:
    if text.isascii():  # every letter is Latin
        return False
    letters = [c for c in text.translate(_LATIN_EXTRA) if c.isalpha()]
    latin = sum(1 for c in letters if unicodedata.normalize("NFKD", c)[0].isascii())
    return latin * 2 < len(letters)


def tag_id(domain: str, published: datetime, slug: str) -> str:
    """`tag:press.example.org,2017-11-02:foreign-secretary-to-visit-moscow` (RFC 4151 §2.1).

    The date is the UTC day of first publication: RFC 4151 asks for a date on which the tagging entity owned
    the domain, and a full date keeps the id unique even if a slug is reused years later.
    """
    if published.tzinfo is None:
        raise ValueError(f"naive datetime {published!r}: tag ids are built from UTC dates")
    day = published.astimezone(UTC).date()
    # (`isoformat` is `%Y-%m-%d` for a four-digit year, without `strftime`'s cost; an earlier year is not padded alike)
    return f"tag:{domain.lower()},{day.isoformat() if day.year >= 1000 else format(day, '%Y-%m-%d')}:{slug}"


def permalink(base_url: str, slug: str) -> str:
    """The release's page: `<base_url>releases/<slug>/`."""
    base = base_url if base_url.endswith("/") else base_url + "/"
    return f"{base}releases/{slug}/"


def with_slug(release: Release, slug: str, site: Site) -> Release:
    """A copy of `release` renamed to `slug` (the store's `-2`, `-3`… after a collision), id and permalink too."""
    return dataclasses.replace(
        release,
        slug=slug,
        id=tag_id(site.domain, release.published, slug),
        permalink=permalink(site.base_url, slug),
    )


_LONE_PERCENT = re.compile(r"%(?![0-9A-Fa-f]{2})")
_SENT_AS_IS = "!$&'()*+,/:;=?@~%"
"""What requests sends unescaped in a path or query, letters, digits and `-._` besides: the safe set of
`requests.utils.requote_uri` but `[` and `]` (which urllib3 escapes there), `%` among them, since an escape
already written stays as it is."""


def escaped_url_part(part: str) -> str:
    """A URL's path or query as requests sends it: a space, a character other than ASCII (as its UTF-8 bytes) and
    the other characters RFC 3986 does not allow there (`"<>[\\]^`{|}`) escaped (`/news feed` is `/news%20feed`,
    `/café` is `/caf%C3%A9`), a `%` that starts no escape as `%25`, and escapes already written kept as they are.
    Already escaped, a part is returned unchanged, so requests sends exactly what is stored. Raises ValueError
    (UnicodeEncodeError) for a character that is no text (a lone surrogate from an undecodable argument)."""
    return quote(_LONE_PERCENT.sub("%25", part), safe=_SENT_AS_IS)


_ESCAPED_RUN = re.compile(r"(?:%[89A-Fa-f][0-9A-Fa-f])+")
_SHOWN_ESCAPED = frozenset(("Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp"))
"""Categories of characters a readable URL keeps escaped: invisible ones, or ones that reorder the text around
them (U+202E), which would show an address other than the one stored."""


def readable_url(url: str) -> str:
    """`url` (as `canonical_feed_url` stores it) as a person reads it: an `xn--` host in its own script and escaped
    UTF-8 characters other than ASCII as those characters (`https://xn--bcher-kva.example/caf%C3%A9` is
    `https://bücher.example/café`). A space, any ASCII escape and an invisible or reordering character stay
    escaped, so the text is still one word that names the same URL when it is copied back."""
    parts = urlsplit(url)
    netloc = parts.netloc
    host = parts.hostname or ""
    if "xn--" in host:
        with contextlib.suppress(idna.IDNAError, UnicodeError):  # (not a name IDNA decodes: shown as it is)
            netloc = netloc.replace(host, idna.decode(host), 1)
    path, query = _ESCAPED_RUN.sub(_readable_run, parts.path), _ESCAPED_RUN.sub(_readable_run, parts.query)
    return urlunsplit((parts.scheme, netloc, path, query, parts.fragment))


def _readable_run(m: re.Match[str]) -> str:
    try:
        text = unquote(m[0], errors="strict")
    except UnicodeDecodeError:
        return m[0]
    return m[0] if any(unicodedata.category(ch) in _SHOWN_ESCAPED for ch in text) else text


def canonical_url(url: str) -> str | None:
    """Normalise an absolute URL for comparison, or None if it is not one.

    Scheme and host are case-insensitive and a default port is the same as none (RFC 3986 §6.2.2.1, §6.2.3);
    the fragment never reaches the server. Path and query are kept as they are: GOV.UK translations live at
    `/x.ur` next to `/x`, and must stay separate releases.
    """
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return None
    if not parts.scheme or not parts.hostname:
        return None
    scheme = parts.scheme.lower()
    host = parts.hostname.lower()
    if ":" in host:  # IPv6 literal
        host = f"[{host}]"
    if port is not None and port != _DEFAULT_PORTS.get(scheme):
        host = f"{host}:{port}"
    userinfo = parts.netloc.rpartition("@")[0]
    netloc = f"{userinfo}@{host}" if userinfo else host
    return urlunsplit((scheme, netloc, parts.path or "/", parts.query, ""))


def link_aliases(identity: str) -> tuple[str, ...]:
    """The other forms of a link that name the same page, as identities, for a release known by its link
    (`url:…`; none for any other): the link over the other of http and https, and with or without a slash at
    the end of its path (not the site's root), in that order. Sites move to https, and their pages answer both
    with and without the slash; a source whose links change form must not publish each release a second time
    (`feeds.ingest.recognise` takes the release stored under another form as the same one)."""
    if not identity.startswith("url:"):
        return ()
    parts = urlsplit(identity[4:])
    if parts.scheme not in ("http", "https"):
        return ()
    paths = [parts.path]
    if parts.path not in ("", "/"):
        paths.append(parts.path[:-1] if parts.path.endswith("/") else parts.path + "/")
    other = "https" if parts.scheme == "http" else "http"
    found: list[str] = []
    for scheme, path in ((s, p) for s in (parts.scheme, other) for p in paths):
        # (canonical again: under the other scheme, a port may become the default one, or cease to be)
        url = canonical_url(urlunsplit((scheme, parts.netloc, path, parts.query, "")))
        if url is not None and "url:" + url != identity and "url:" + url not in found:
            found.append("url:" + url)
    return tuple(found)


T = TypeVar("T")


def under_any_form(found: Mapping[str, T], identity: str) -> T | None:
    """What `found` holds under `identity`, else, for a link, under another form of it (the first of
    `link_aliases` there): how one arrival, one batch and the store all tell that two releases are one."""
    if identity in found:
        return found[identity]
    return next((found[alias] for alias in link_aliases(identity) if alias in found), None)


def identity_of(raw: RawRelease) -> str:
    """What makes two arrivals "the same release", strongest evidence first.

    `key:<source_key>` (the source says so), `url:<canonical link>` (the same page), `slug:<slug>` (front
    matter named it), else `file:<source>/<file name>`: the base name, so a file moved from `inbox/` to
    `inbox/processed/` and dropped in again is still recognised, or the path in the folder named to `feeds ingest`
    (`raw.file_key`); an object of a JSON list is `file:<source>/<file name>#title:<item_key>`, named by its title
    rather than its place in the list (see `former_file_identity` for what earlier versions stored).
    """
    if raw.source_key and raw.source_key.strip():
        return "key:" + raw.source_key.strip()
    if raw.link:
        link = raw.link.strip()
        if any(c.isspace() for c in link):  # (as the release stores it: percent-encoded, `normalise._url`)
            link = uri_form(link) or link
        url = canonical_url(link)
        if url:
            return "url:" + url
    if raw.slug:
        slug = slugify(raw.slug)
        if slug:
            return "slug:" + slug
    if raw.file_key:
        name = raw.file_key
    else:
        name = _base_name(raw.origin)
        if raw.item_key:
            name = _INDEX.sub("", name)
    if raw.item_key:
        return f"file:{raw.source}/{name}#title:{raw.item_key}"
    return f"file:{raw.source}/{name}"


_INDEX = re.compile(r"#[0-9]+$")


def _base_name(origin: str) -> str:
    return origin.replace("\\", "/").rstrip("/").rsplit("/", 1)[-1]


def former_file_identity(source: str, origin: str) -> str:
    """The identity versions before 2026-12 gave a release known only by its file: `file:<source>/<base name of
    its origin>`, where a JSON list's object is `list.json#<index>`. A release stored so is found again under it
    (`feeds.ingest.recognise`) when its file's objects or subfolders now name it otherwise, and takes the new
    name, so that an upgrade duplicates nothing."""
    return f"file:{source}/{_base_name(origin)}"


def is_list_item(origin: str) -> bool:
    """Whether `origin` names an object of a JSON list (`path#<index>`, see `feeds.ingest.formats`)."""
    return _INDEX.search(origin) is not None


_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def check_rule_name(name: str) -> str:
    """A rule's name as stored (outer spaces trimmed), or RuleError: a name is shown on lines of its own in
    lists, feeds and alerts, so it has visible characters and no line breaks or other control characters."""
    trimmed = name.strip()
    if not trimmed or not any(ch.isprintable() and not ch.isspace() and not _invisible(ch) for ch in trimmed):
        raise RuleError("a rule's name must not be empty, blank or invisible", rule=name)
    if _CONTROL.search(trimmed) or any(unicodedata.category(ch) == "Cf" for ch in trimmed):
        # (Cf: zero-width characters, and direction overrides that make a name read as another)
        raise RuleError(
            "a rule's name must not contain line breaks, tabs, or invisible or direction-changing characters",
            rule=name,
        )
    if len(trimmed) > 200:
        raise RuleError(f"a rule's name must be at most 200 characters (this one has {len(trimmed)})", rule=name)
    return trimmed


def _invisible(ch: str) -> bool:
    return unicodedata.category(ch) in ("Cf", "Mn", "Me", "Zs")


def watch_item_hash(
    title: str,
    link: str | None,
    summary: str,
    content_text: str,
    author: str,
    published: datetime | None,
    updated: datetime | None,
) -> str:
    """The content hash of a watched item: it changes when what a reader or a rule sees of the item changes,
    and then the stored item is updated (and matched again) rather than stored twice. Its guid stays out, so an
    item that takes a new guid on every request is recognised by its content.

    Made only of what the store keeps of an item, so a migration can compute it from stored rows: `updated`
    counts only when it is later than `published` (the store keeps a missing or earlier one as the published
    time, and an item without a date of its own as dated when seen, with no update time)."""
    later = updated if published is not None and updated is not None and updated > published else None
    dates = [d.isoformat() if d else None for d in (published, later)]
    visible = [title, link, summary, content_text, author, *dates]
    return hashlib.sha256(json.dumps(visible, ensure_ascii=False).encode()).hexdigest()
