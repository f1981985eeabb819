"""The push API's answers as values: `Reply` for one that is sent, `Reject` (and `Invalid`, its 400 listing field
errors) raised by any step of a request and turned into JSON once, at the top of the handler (`feeds.web.api`).

Every step (authentication, rate limit, headers, body, validation) refuses by raising one of these, so the status
code, the headers and the JSON error body of each refusal are written where the refusal is decided, and the
handler has one place that logs, counts and sends them.

`release_view` and `address` give a stored release as every answer shows it.

What this module must not do: read a request, decide what is refused, write to the store, or write the response
(the handler does).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from feeds.clock import rfc3339
from feeds.normalise.ids import permalink
from feeds.urls import uri_form
from feeds.web.health import error_body

if TYPE_CHECKING:
    from feeds.store import Tx


@dataclass(frozen=True, slots=True)
class FieldError:
    field: str | None
    message: str
    index: int | None = None
    """Position in a pushed list (absent for a single object)."""

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {"field": self.field, "message": self.message}
        if self.index is not None:
            out["index"] = self.index
        return out


class Reject(Exception):
    """An answer other than success, raised by a step of the request and turned into JSON at the top."""

    def __init__(self, code: int, message: str, *, headers: Sequence[tuple[str, str]] = (), field: str | None = None):
        super().__init__(message)
        self.code = code
        self.payload: dict[str, Any] = error_body(message, field)
        self.headers = tuple(headers)


MAX_ERRORS = 100
"""Field errors listed in one answer: a list of 30,000 bad items would otherwise get megabytes back (50 times
the request). The rest are counted (`"more_errors"`); a client fixes the first ones and sends again."""


class Invalid(Reject):
    def __init__(self, errors: Sequence[FieldError], code: int = 400):
        super().__init__(code, errors[0].message)
        self.payload = {"errors": [e.as_json() for e in errors[:MAX_ERRORS]]}
        if len(errors) > MAX_ERRORS:
            self.payload["more_errors"] = len(errors) - MAX_ERRORS


@dataclass(frozen=True, slots=True)
class Reply:
    code: int
    payload: dict[str, Any]
    headers: tuple[tuple[str, str], ...] = ()


def release_view(tx: Tx, release_id: str | None, now: datetime) -> dict[str, str | None]:
    """What the sender cannot tell from its own request: the release's dates as stored (an update is dated by its
    ingest when the sender gave no date), `held_until` for one dated ahead (embargoed: its permalink answers from
    then on), `withdrawn_at` for a withdrawn one."""
    stored = tx.release(release_id) if release_id is not None else None
    if stored is None:
        return {}
    view: dict[str, str | None] = {"published": rfc3339(stored.published), "updated": rfc3339(stored.updated)}
    if stored.withdrawn_at is not None:
        view["withdrawn_at"] = rfc3339(stored.withdrawn_at)
    if stored.published > now and not stored.never_public:
        view["held_until"] = rfc3339(stored.published)
    return view


def address(base_url: str, slug: str | None) -> str:
    """A release's page in URI form, as the feeds link it: a base URL with an internationalised host or path
    (`https://пресса.example/новости/`) gives `https://xn--80aj3aega.example/%D0%BD…/`, which a `Location` header
    can carry (HTTP headers are latin-1 at most: the address as written failed the answer with a 500)."""
    found = permalink(base_url, slug or "")
    return uri_form(found) or found


def warned(warnings: Sequence[FieldError]) -> dict[str, Any]:
    """An answer's warnings: `warnings`, each with the field it is about (or null), and `warning`, all of them in
    one line (as earlier versions answered); nothing when there are none."""
    if not warnings:
        return {}
    line = "; ".join(f"field {w.field!r}: {w.message}" if w.field else w.message for w in warnings)
    return {"warning": line, "warnings": [w.as_json() for w in warnings]}
