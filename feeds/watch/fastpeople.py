"""feedparser's rules for people, replayed by the fast path: authors, contributors, their names, e-mail addresses
and pages, publishers (iTunes owner, webMaster, dc:publisher).

Part of the rules `feeds.watch.fastrules` gathers into `START` and `END`; the same conventions hold (one function
per feedparser handler, named after it, with the same effects on the reader's state, authors kept in sync as
feedparser's `_sync_author_detail` keeps them).

What this module must not do: I/O, or decide anything feedparser would decide differently.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

from feeds.watch.fastbase import Attrs, push_rule

if TYPE_CHECKING:
    from feeds.watch.fastparse import Reader

__all__ = ["END", "START"]


def _start_author(r: Reader, attrs: Attrs) -> None:
    r.inauthor = True
    r.push("author", True)
    r.context().setdefault("authors", []).append({})


def _end_author(r: Reader) -> None:
    r.pop("author")
    r.inauthor = False
    r.sync_author()


def _start_contributor(r: Reader, attrs: Attrs) -> None:
    r.incontributor = True
    r.context().setdefault("contributors", []).append({})
    r.push("contributor", False)


def _end_contributor(r: Reader) -> None:
    r.pop("contributor")
    r.incontributor = False


def _start_dc_contributor(r: Reader, attrs: Attrs) -> None:
    r.incontributor = True
    r.context().setdefault("contributors", []).append({})
    r.push("name", False)


def _end_dc_contributor(r: Reader) -> None:
    _end_name(r)
    r.incontributor = False


def _end_name(r: Reader) -> None:
    value = r.pop("name")
    if r.inpublisher:
        r.save_author("name", value, "publisher")
    elif r.inauthor:
        r.save_author("name", value)
    elif r.incontributor:
        r.context().setdefault("contributors", [{}])[-1]["name"] = value
    elif r.intextinput:
        r.context()["name"] = value


def _end_email(r: Reader) -> None:
    value = r.pop("email")
    if r.inpublisher:
        r.save_author("email", value, "publisher")
    elif r.inauthor:
        r.save_author("email", value)
    elif r.incontributor:
        r.context().setdefault("contributors", [{}])[-1]["email"] = value


def _end_url(r: Reader) -> None:
    value = r.pop("href")
    if r.inauthor:
        r.save_author("href", value)
    elif r.incontributor:
        r.context().setdefault("contributors", [{}])[-1]["href"] = value


def _start_itunes_owner(r: Reader, attrs: Attrs) -> None:
    r.inpublisher = True
    r.push("publisher", False)


def _end_itunes_owner(r: Reader) -> None:
    r.pop("publisher")
    r.inpublisher = False
    r.sync_author("publisher")


def _end_webmaster(r: Reader) -> None:
    r.pop("publisher")
    r.sync_author("publisher")


START: dict[str, Callable[[Reader, Attrs], None]] = {
    "contributor": _start_contributor,
    "dc_contributor": _start_dc_contributor,
    "itunes_owner": _start_itunes_owner,
    "name": push_rule("name", False),
    "itunes_name": push_rule("name", False),
    "email": push_rule("email", False),
    "itunes_email": push_rule("email", False),
    **{k: _start_author for k in ("author", "managingeditor", "dc_author", "dc_creator", "itunes_author")},
    **{k: push_rule("href", True) for k in ("url", "homepage", "uri")},
    **{k: push_rule("publisher", True) for k in ("webmaster", "dc_publisher")},
}

END: dict[str, Callable[[Reader], None]] = {
    "contributor": _end_contributor,
    "dc_contributor": _end_dc_contributor,
    "itunes_owner": _end_itunes_owner,
    **{k: _end_author for k in ("author", "managingeditor", "dc_author", "dc_creator", "itunes_author")},
    **{k: _end_name for k in ("name", "itunes_name")},
    **{k: _end_email for k in ("email", "itunes_email")},
    **{k: _end_url for k in ("url", "homepage", "uri")},
    **{k: _end_webmaster for k in ("webmaster", "dc_publisher")},
}
