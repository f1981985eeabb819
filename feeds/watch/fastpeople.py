"""feedparser's rules for people, replayed by the fast path: authors, contributors, their names, e-mail addresses
and pages, publishers (iTunes owner, webMaster, dc:publisher).

Part of the rules `feeds.watch.fastrules` gathers into `START` and `END`; the same conventions hold (one function
per feedparser handler, named after it, with the same effects on the reader's state, authors kept in sync as
feedparser's `_sync_author_detail` keeps them).

What this module must not do: I/O, or decide anything feedparser would decide differently.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from feeds.watch.fastbase import Attrs, push_rule

if TYPE_CHECKING:
    from feeds.watch.fastreader import Reader

__all__ = ["END", "START"]

_EMAIL = re.compile(
    r"(([a-zA-Z0-9\_\-\.\+]+)@((\[[0-9]{1,3}\.[0-9]{1,3}\.[0-9]{1,3}\.)|(([a-zA-Z0-9\-]+\.)+))"
    r"([a-zA-Z]{2,4}|[0-9]{1,3})(\]?))(\?subject=\S+)?"
)


def _start_author(r: Reader, attrs: Attrs) -> None:
    r.inauthor = True
    r.push("author", True)
    r.context().setdefault("authors", []).append({})


def _end_author(r: Reader) -> None:
    r.pop("author")
    r.inauthor = False
    _sync_author(r)


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
        _save_author(r, "name", value, "publisher")
    elif r.inauthor:
        _save_author(r, "name", value)
    elif r.incontributor:
        r.context().setdefault("contributors", [{}])[-1]["name"] = value
    elif r.intextinput:
        r.context()["name"] = value


def _end_email(r: Reader) -> None:
    value = r.pop("email")
    if r.inpublisher:
        _save_author(r, "email", value, "publisher")
    elif r.inauthor:
        _save_author(r, "email", value)
    elif r.incontributor:
        r.context().setdefault("contributors", [{}])[-1]["email"] = value


def _end_url(r: Reader) -> None:
    value = r.pop("href")
    if r.inauthor:
        _save_author(r, "href", value)
    elif r.incontributor:
        r.context().setdefault("contributors", [{}])[-1]["href"] = value


def _start_itunes_owner(r: Reader, attrs: Attrs) -> None:
    r.inpublisher = True
    r.push("publisher", False)


def _end_itunes_owner(r: Reader) -> None:
    r.pop("publisher")
    r.inpublisher = False
    _sync_author(r, "publisher")


def _end_webmaster(r: Reader) -> None:
    r.pop("publisher")
    _sync_author(r, "publisher")


def _save_author(r: Reader, key: str, value: Any, prefix: str = "author") -> None:
    """One part (name, email, href) of the current author or publisher, and the display string kept in step."""
    context = r.context()
    context.setdefault(prefix + "_detail", {})[key] = value
    _sync_author(r)
    context.setdefault("authors", [{}])[-1][key] = value


def _sync_author(r: Reader, key: str = "author") -> None:
    """feedparser's `_sync_author_detail`: the display string from the last author's parts, or the parts
    from the display string."""
    context = r.context()
    detail = context.get(key + "s", [{}])[-1]
    if detail:
        name, email = detail.get("name"), detail.get("email")
        if name and email:
            context[key] = f"{name} ({email})"
        elif name:
            context[key] = name
        elif email:
            context[key] = email
        return
    author, address = context.get(key), None
    if not author:
        return
    match = _EMAIL.search(author)
    if match:
        address = match.group(0)
        author = author.replace(address, "").replace("()", "").replace("<>", "").replace("&lt;&gt;", "")
        author = author.strip()
        if author and author[0] == "(":
            author = author[1:]
        if author and author[-1] == ")":
            author = author[:-1]
        author = author.strip()
    if author or address:
        context.setdefault(key + "_detail", detail)
    if author:
        detail["name"] = author
    if address:
        detail["email"] = address


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
