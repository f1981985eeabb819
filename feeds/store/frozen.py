"""Frozen copies of the logic that old migrations apply to stored values.

A migration must do to a database upgraded years later exactly what it did to one upgraded the day it was
released (`feeds.store.migrations`: a migration is never edited). One that called a live function (how
`feeds.normalise.ids` spells a feed's host or escapes its path today) would silently do something else after a
later change to that function: so each migration that rewrites stored values keeps its own copy here, named for
its number, written as the live function was when the migration was made. `tests/test_store_frozen.py` pins them
on a table of inputs. (The IDNA tables themselves are the `idna` package's, and case folding and NFKD are Python's
Unicode tables: a migration cannot freeze those.)

What this module must not do: import the live functions it copies, or change a copy once its migration is
released (a later migration gets a copy of its own).
"""

from __future__ import annotations

import hashlib
import json
import re
import unicodedata
from datetime import datetime
from urllib.parse import quote

import idna

_APOSTROPHES_12 = re.compile(r"['’‘`´]")
_NON_SLUG_12 = re.compile(r"[^a-z0-9]+")
_LATIN_EXTRA_12 = str.maketrans(
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


def _slug_12(text: str) -> str:
    """Migration 12's slug of a rule's name, as `feeds.normalise.ids.slugify` was (at its 80 characters): ASCII
    only (accents decomposed with NFKD and dropped, `ß` as `ss`), lowercase, words joined by hyphens, `&` as
    `and`, apostrophes dropped, cut at a word boundary; "" when nothing ASCII is left."""
    text = _APOSTROPHES_12.sub("", text.replace("&", " and ")).translate(_LATIN_EXTRA_12)
    if text.isascii():
        ascii_text = text.lower()
    else:
        decomposed = "".join(
            c if c.isalnum() or unicodedata.combining(c) else " " for c in unicodedata.normalize("NFKD", text)
        )
        ascii_text = decomposed.encode("ascii", "ignore").decode("ascii").lower()
    slug = _NON_SLUG_12.sub("-", ascii_text).strip("-")
    if len(slug) <= 80:
        return slug
    cut = slug.rfind("-", 0, 81)
    return (slug[:cut] if cut > 0 else slug[:80]).strip("-")


def rule_keys_12(name: str) -> tuple[str, str]:
    """Migration 12's keys of a rule's name, as `feeds.normalise.ids.rule_keys` was: (the name case-folded, the
    folder of its feeds), the folder being the name's slug, or `rule-` and 10 hex digits of the SHA-256 of its
    UTF-8 when it has no ASCII letter or digit (`日本の港` is `rule-c313246bd5`)."""
    return name.casefold(), _slug_12(name) or "rule-" + hashlib.sha256(name.encode()).hexdigest()[:10]


def watch_item_hash_13(
    title: str,
    link: str | None,
    summary: str,
    content_text: str,
    author: str,
    published: datetime | None,
    updated: datetime | None,
) -> str:
    """Migration 13's content hash of a stored item, as `feeds.normalise.ids.watch_item_hash` was: the SHA-256 of
    the JSON list (UTF-8, other scripts unescaped) of its title, link, summary, text, author, published time and
    update time (ISO 8601), the update time counting only when it is later than the published time. (That last
    rule is the one correction migration 13 had, in 6cf6e89 the same day, when an upgrade showed an item updated
    before it was published counting as changed: this copy is the corrected function.)"""
    later = updated if published is not None and updated is not None and updated > published else None
    dates = [d.isoformat() if d else None for d in (published, later)]
    visible = [title, link, summary, content_text, author, *dates]
    return hashlib.sha256(json.dumps(visible, ensure_ascii=False).encode()).hexdigest()


def dns_host_18(host: str) -> str:
    """Migration 18's spelling of a host, as `feeds.normalise.ids.dns_host` was: an international name in its
    `xn--` form by IDNA 2008 with the UTS #46 mapping (`Bücher.example` is `xn--bcher-kva.example`, `straße` is not
    `strasse`), an ASCII host as it is. Raises ValueError for a name no request could be sent to (`☃.example`)."""
    if host.isascii():
        return host
    return idna.encode(host, uts46=True).decode("ascii")  # (idna.IDNAError is a ValueError)


_LONE_PERCENT_20 = re.compile(r"%(?![0-9A-Fa-f]{2})")
_SENT_AS_IS_20 = "!$&'()*+,/:;=?@~%"


def escaped_url_part_20(part: str) -> str:
    """Migration 20's escaping of a URL's path or query, as `feeds.normalise.ids.escaped_url_part` was: a space,
    a character other than ASCII (as its UTF-8 bytes) and the others RFC 3986 does not allow there escaped, a `%`
    that starts no escape as `%25`, escapes already written kept. Raises ValueError (UnicodeEncodeError) for a
    lone surrogate."""
    return quote(_LONE_PERCENT_20.sub("%25", part), safe=_SENT_AS_IS_20)


_ADDRESS_32 = re.compile(
    r"(?:mailto:)?(?<![\w.!#$%&'*+/=?^`{|}~-])[\w.!#$%&'*+/=?^`{|}~-]++@[\w-]++(?:\.[\w-]++)+", re.IGNORECASE
)
_EMPTY_BRACKETS_32 = re.compile(r"\(\s*\)|<\s*>|\[\s*\]|&lt;\s*&gt;")
_PARTS_32 = re.compile(r"\s*[,;]\s*")
_EDGES_32 = " \t,;/|-–—:"


def without_email_32(author: str) -> str:
    """Migration 32's author of a stored item, as `feeds.normalise.people.without_email` was: every email address
    (with a `mailto:` before it) taken out, the brackets it leaves empty removed, the parts between commas and
    semicolons that are left kept (a part that is only a bracketed name unbracketed), joined by `, `; an author
    without an address as it is (`jane.doe@example.com (Jane Doe)` is `Jane Doe`, `jane@example.com` empty)."""
    if "@" not in author:
        return author
    text = _ADDRESS_32.sub(" ", author)
    if text == author:
        return author
    names = []
    for part in _PARTS_32.split(_EMPTY_BRACKETS_32.sub(" ", text)):
        part = " ".join(part.split()).strip(_EDGES_32)
        if part[:1] == "(" and part[-1:] == ")" and part.count("(") == 1:
            part = part[1:-1].strip(_EDGES_32)
        if part:
            names.append(part)
    return ", ".join(names)
