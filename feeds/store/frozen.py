"""Frozen copies of the logic that old migrations apply to stored values.

A migration must do to a database upgraded years later exactly what it did to one upgraded the day it was
released (`feeds.store.schema`: a migration is never edited). One that called a live function (how
`feeds.normalise.ids` spells a feed's host or escapes its path today) would silently do something else after a
later change to that function: so each migration that rewrites stored values keeps its own copy here, named for
its number, written as the live function was when the migration was made. `tests/test_store_frozen.py` pins them
on a table of inputs. (The IDNA tables themselves are the `idna` package's: a migration cannot freeze those.)

What this module must not do: import the live functions it copies, or change a copy once its migration is
released (a later migration gets a copy of its own).
"""

from __future__ import annotations

import re
from urllib.parse import quote

import idna


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
