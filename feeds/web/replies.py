"""The push API's answers as values: `Reply` for one that is sent, `Reject` (and `Invalid`, its 400 listing field
errors) raised by any step of a request and turned into JSON once, at the top of the handler (`feeds.web.api`).

Every step (authentication, rate limit, headers, body, validation) refuses by raising one of these, so the status
code, the headers and the JSON error body of each refusal are written where the refusal is decided, and the
handler has one place that logs, counts and sends them.

What this module must not do: read a request, decide what is refused, or write the response (the handler does).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from feeds.web.health import error_body


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
    def __init__(self, errors: Sequence[FieldError]):
        super().__init__(400, errors[0].message)
        self.payload = {"errors": [e.as_json() for e in errors[:MAX_ERRORS]]}
        if len(errors) > MAX_ERRORS:
            self.payload["more_errors"] = len(errors) - MAX_ERRORS


@dataclass(frozen=True, slots=True)
class Reply:
    code: int
    payload: dict[str, Any]
    headers: tuple[tuple[str, str], ...] = ()
