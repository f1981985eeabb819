"""Per-source state that must survive restarts and be shared by daemons: a remote source's validators, when it was
last checked and how that went, when to check it next, and which releases withdrawn by hand it still lists.

What this module must not do: fetch or read a source (`feeds.ingest`), or decide when to check it next.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from feeds.clock import parse_iso, rfc3339
from feeds.store import schema
from feeds.store.tx import writing


@dataclass(frozen=True, slots=True)
class SourceState:
    source: str
    etag: str | None = None
    last_modified: str | None = None
    last_checked: datetime | None = None
    last_status: str | None = None
    last_error: str | None = None
    next_check: datetime | None = None
    failures: int = 0
    read_with: str | None = None
    """The digest of the source's settings (field mapping, results path…) its last document was read with: the
    validators stand for that reading, so other settings mean reading the document again, not a 304."""
    held_told: tuple[tuple[str, datetime], ...] = ()
    """(release id, when the log last said so) for each release withdrawn by hand that the source's last document
    read still listed: the log reminds of one at most once a day (`feeds.ingest.remote_json`)."""


class SourceStateStoreMixin:
    """`Store`'s reads and writes of `source_state`."""

    engine: sa.Engine

    def source_state(self, source: str) -> SourceState:
        t = schema.source_state
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(t).where(t.c.source == source)).first()
        if row is None:
            return SourceState(source=source)
        values = dict(row._mapping)
        return SourceState(**{**values, "held_told": _held_told_from(values["held_told"])})

    def save_source_state(self, state: SourceState) -> None:
        t = schema.source_state
        values = {
            "etag": state.etag,
            "last_modified": state.last_modified,
            "last_checked": state.last_checked,
            "last_status": state.last_status,
            "last_error": state.last_error,
            "next_check": state.next_check,
            "failures": state.failures,
            "read_with": state.read_with,
            "held_told": json.dumps({i: rfc3339(at) for i, at in state.held_told}) if state.held_told else None,
        }
        with writing(self.engine) as conn:
            updated = conn.execute(t.update().where(t.c.source == state.source).values(**values)).rowcount
            if not updated:
                conn.execute(t.insert().values(source=state.source, **values))


def _held_told_from(text: str | None) -> tuple[tuple[str, datetime], ...]:
    """The `held_told` column read back; a value this version cannot read (written by hand, cut short) counts as
    nothing said yet: the log then says it once more, which is all it costs."""
    if not text:
        return ()
    try:
        told = json.loads(text)
        return tuple((str(i), parse_iso(at)) for i, at in told.items())
    except (ValueError, AttributeError, TypeError):
        return ()
