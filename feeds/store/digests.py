"""Store reads for a digest's unlisted matches: what they are of and when they were found, and how many matches a
feed would list before them (`feeds.alerts.unlisted` says where the reader finds them).

What this module must not do: decide what the message says, or write anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from feeds.store.schema import matches as M


@dataclass(frozen=True, slots=True)
class SubjectSpan:
    """Some of a digest's matches of one rule or release: how many, and when the first and the last were found."""

    kind: str
    subject: str
    count: int
    first_found: datetime
    last_found: datetime


class DigestStoreMixin:
    """Reads for digests; mixed into `feeds.store.Store`, which provides `engine`."""

    engine: sa.Engine

    def match_spans(self, match_ids: Sequence[int]) -> list[SubjectSpan]:
        """The matches `match_ids` by (kind, subject): how many each, found from when to when; sorted."""
        spans: dict[tuple[str, str], SubjectSpan] = {}
        q = sa.select(M.c.kind, M.c.subject, sa.func.count(), sa.func.min(M.c.found_at), sa.func.max(M.c.found_at))
        with self.engine.connect() as conn:
            for i in range(0, len(match_ids), 500):  # (a database takes only so many bound parameters)
                chunk = match_ids[i : i + 500]
                for kind, subject, n, first, last in conn.execute(
                    q.where(M.c.id.in_(chunk)).group_by(M.c.kind, M.c.subject)
                ):
                    before = spans.get((kind, subject))
                    if before is not None:
                        n, first, last = n + before.count, min(first, before.first_found), max(last, before.last_found)
                    spans[(kind, subject)] = SubjectSpan(kind, subject, n, first, last)
        return [spans[k] for k in sorted(spans)]

    def matches_found_since(self, since: datetime, *, kind: str | None = None, subject: str | None = None) -> int:
        """How many matches (of `kind` and `subject`, when given) were found at or after `since`."""
        q = sa.select(sa.func.count()).select_from(M).where(M.c.found_at >= since, M.c.dismissed_at.is_(None))
        if kind is not None:
            q = q.where(M.c.kind == kind)
        if subject is not None:
            q = q.where(M.c.subject == subject)
        with self.engine.connect() as conn:
            return int(conn.execute(q).scalar_one())
