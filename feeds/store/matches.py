"""Store operations on matches: storing what matching found (terms, score, explanation, delay), bringing the stored
matches of a changed item or rule up to date, and reading them back with their items, as the match feeds list them.

Matches are unique per (kind, subject, item): storing one twice is harmless. A match brought up to date keeps its
id and the time it was found, so that its feed entries keep theirs.

A match a press officer dismissed (`feeds.store.curation`) keeps its row, which is what keeps it from being stored
again, and is left out of everything read here (`LIVE`) unless asked for: no feed, page, count or alert sees it,
and nothing here deletes it (a rule narrowed, a changed item, an own domain: `drop_matches`, `rematch_in`).

What this module must not do: decide what matches (`feeds.watch` does), nor alert (`alerts.py` queues and records
deliveries of the matches stored here). `stored_match_from` is the one reading of a match row, shared by the alert
deliveries.
"""

from __future__ import annotations

import functools
import json
from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from feeds.articles import item_article
from feeds.model import Match, MatchedTerm, MatchScope, StoredItem, StoredMatch
from feeds.store.bulk import insert_ignoring_conflicts
from feeds.store.curation import dismiss_like_siblings
from feeds.store.items import ITEM_COLUMNS, stored_item_from
from feeds.store.rows import chunks
from feeds.store.schema import items as I
from feeds.store.schema import matches as M
from feeds.store.schema import watched_feeds as WF
from feeds.store.tx import writing


def stored_match_from(m: Any, item: StoredItem, *, prefix: str = "", id_key: str = "match_id") -> StoredMatch:
    """A StoredMatch from a row of match columns (labelled `<prefix>kind`…, the id as `id_key`) and its item."""
    return StoredMatch(
        id=m[id_key],
        kind=m[f"{prefix}kind"],
        subject=m[f"{prefix}subject"],
        item=item,
        terms=tuple(MatchedTerm(t, f, s, e) for t, f, s, e in json.loads(m[f"{prefix}terms"])),
        score=m[f"{prefix}score"],
        why=m[f"{prefix}why"],
        found_at=m[f"{prefix}found_at"],
        delay=m[f"{prefix}delay_s"],
        dismissed_at=m.get(f"{prefix}dismissed_at"),
        dismiss_reason=m.get(f"{prefix}dismiss_reason"),
        curated_by=m.get(f"{prefix}curated_by"),
    )


LIVE = M.c.dismissed_at.is_(None)
"""The matches not dismissed: every read of matches for publishing, counting or alerting takes only these."""


def _terms_json(terms: Sequence[MatchedTerm]) -> str:
    return json.dumps([[t.term, t.field, t.start, t.end] for t in terms], ensure_ascii=False)


class MatchStoreMixin:
    """Mixed into `Store`; relies on its `engine`."""

    engine: sa.Engine

    def add_matches(
        self, found: Sequence[tuple[int, Match, float | None]], now: datetime, *, quiet: bool = False
    ) -> int:
        """Insert (item id, match, delay) rows, ignoring ones already stored; returns how many were new. `quiet`
        ones are never alerted (`unqueued_matches`): coverage found when the related settings changed."""
        if not found:
            return 0
        with writing(self.engine) as conn:
            return add_matches_in(conn, found, now, quiet=quiet)

    def rematch(
        self,
        found: Sequence[tuple[int, Match, float | None]],
        now: datetime,
        *,
        changed: Sequence[int],
        scope: MatchScope,
    ) -> tuple[int, int]:
        """`add_matches`, after which the `changed` items (matched again because their text changed) keep only
        the matches in `scope` that `found` still has: the others are deleted, and those it has take its terms,
        score and explanation (keeping their id and the time they were found, so their feed entries keep their
        ids). In one transaction: (matches added, matches deleted)."""
        with writing(self.engine) as conn:
            removed = rematch_in(conn, changed, found, scope)
            return add_matches_in(conn, found, now), removed

    def matches(
        self,
        *,
        kind: str | None = None,
        subject: str | None = None,
        since: datetime | None = None,
        limit: int | None = None,
        feed_ids: Sequence[int] | None = None,
        until: datetime | None = None,
        dismissed: bool = False,
    ) -> list[StoredMatch]:
        """Matches, the last found first; of `kind`, `subject`, found at or after `since` and before `until`, of
        items of `feed_ids` (each when given), at most `limit`. Those not dismissed, or with `dismissed` those
        dismissed only (with when, why and by whom)."""
        q = (
            sa.select(M.c.id.label("match_id"), M.c.kind, M.c.subject, M.c.terms, M.c.score, M.c.why, M.c.found_at)
            .add_columns(M.c.delay_s, M.c.dismissed_at, M.c.dismiss_reason, M.c.curated_by, *ITEM_COLUMNS)
            .join(I, I.c.id == M.c.item_id)
            .join(WF, WF.c.id == I.c.feed_id)
            .where(M.c.dismissed_at.is_not(None) if dismissed else LIVE)
        )
        if kind is not None:
            q = q.where(M.c.kind == kind)
        if subject is not None:
            q = q.where(M.c.subject == subject)
        if since is not None:
            q = q.where(M.c.found_at >= since)
        if until is not None:
            q = q.where(M.c.found_at < until)
        if feed_ids is not None:
            q = q.where(I.c.feed_id.in_(list(feed_ids)))
        # As the match feeds list them: the last found first, and among those found together, the newest item.
        q = q.order_by(M.c.found_at.desc(), I.c.published.desc(), M.c.id.desc())
        if limit is not None:
            q = q.limit(limit)
        with self.engine.connect() as conn:
            rows = conn.execute(q).all()
        return [stored_match_from(r._mapping, stored_item_from(r)) for r in rows]

    def match_counts(self, kind: str) -> dict[str, tuple[int, datetime]]:
        """For each subject (a rule's name, a release's id) with matches of `kind`: (how many articles, the last
        found). An article in several feeds, or under addresses differing by tracking parameters, counts once
        (`feeds.articles.item_article`); only the columns that say so are read (`keywords list --counts`, 400
        rules)."""
        q = (
            sa.select(M.c.subject, M.c.found_at, I.c.feed_id, I.c.key, I.c.link, I.c.guid)
            .join(I, I.c.id == M.c.item_id)
            .where(M.c.kind == kind, LIVE)
        )
        articles: dict[str, set[str]] = {}
        last: dict[str, datetime] = {}
        with self.engine.connect() as conn:
            for subject, found, feed_id, key, link, guid in conn.execute(q):
                articles.setdefault(subject, set()).add(item_article(feed_id, key, link, guid))
                last[subject] = max(last.get(subject, found), found)
        return {subject: (len(found), last[subject]) for subject, found in articles.items()}

    def article_counts(self, since: datetime) -> dict[str, int]:
        """Per kind: how many articles were matched at or after `since`, each once per subject (an article in
        several feeds, or under addresses differing by tracking parameters, is one: `item_article`). Only the
        columns that say so are read (`feeds status`, with 30,000 matches a day)."""
        q = (
            sa.select(M.c.kind, M.c.subject, I.c.feed_id, I.c.key, I.c.link, I.c.guid)
            .join(I, I.c.id == M.c.item_id)
            .where(M.c.found_at >= since, LIVE)
        )
        seen: set[tuple[str, str, str]] = set()
        with self.engine.connect() as conn:
            for kind, subject, feed_id, key, link, guid in conn.execute(q):
                seen.add((kind, subject, item_article(feed_id, key, link, guid)))
        return dict(Counter(kind for kind, _, _ in seen))

    def latest_match_id(self) -> int | None:
        """The id of the newest match (None when there is none): changes whenever a match is stored."""
        with self.engine.connect() as conn:
            latest: int | None = conn.execute(sa.select(sa.func.max(M.c.id))).scalar_one()
        return latest

    def count_matches(self, *, since: datetime | None = None) -> int:
        q = sa.select(sa.func.count()).select_from(M).where(LIVE)
        if since is not None:
            q = q.where(M.c.found_at >= since)
        with self.engine.connect() as conn:
            return int(conn.execute(q).scalar_one())

    def drop_matches(self, ids: Sequence[int]) -> None:
        """Delete the matches `ids`, but never a dismissed one: its row is what keeps it from being found again."""
        with writing(self.engine) as conn:
            for chunk in chunks(list(ids), 500):
                conn.execute(M.delete().where(M.c.id.in_(chunk), LIVE))

    def match_links(self) -> list[tuple[int, str]]:
        """(match id, item link) of every match whose item has a link, of every kind: what is looked through when
        our own domains change (`feeds.watch.retro`), without reading the items' text."""
        q = (
            sa.select(M.c.id, I.c.link)
            .join(I, I.c.id == M.c.item_id)
            .where(I.c.link.is_not(None), LIVE)
            .order_by(M.c.id)
        )
        with self.engine.connect() as conn:
            return [(int(i), str(link)) for i, link in conn.execute(q)]

    def refresh_matches(self, found: Sequence[tuple[int, Match, float | None]]) -> None:
        """(match id, match, delay): stored matches take the terms, score, explanation and delay matching gives
        them now (their rule or release changed), keeping their ids and the time they were found."""
        if not found:
            return
        with writing(self.engine) as conn:
            for match_id, m, delay in found:
                conn.execute(
                    M.update()
                    .where(M.c.id == match_id)
                    .values(terms=_terms_json(m.terms), score=m.score, why=m.why, delay_s=delay)
                )


# --- the statements, on a connection inside a write transaction (`add_matches`, `rematch`, and `claims.py`) ---


def rematch_in(
    conn: sa.Connection, changed: Sequence[int], found: Sequence[tuple[int, Match, float | None]], scope: MatchScope
) -> int:
    """See `Store.rematch`: a changed item's stored matches, brought in line with what matching finds now; returns
    how many were deleted."""
    if not changed:
        return 0
    wanted = set(changed)
    now_found = {(item_id, m.kind, m.subject): m for item_id, m, _ in found if item_id in wanted}
    stale: list[int] = []
    for chunk in chunks(sorted(wanted), 500):
        q = sa.select(M.c.id, M.c.item_id, M.c.kind, M.c.subject).where(M.c.item_id.in_(chunk), LIVE)
        for match_id, item_id, kind, subject in conn.execute(q):  # (a dismissed one stays as it was dismissed)
            m = now_found.get((item_id, kind, subject))
            if m is not None:
                conn.execute(
                    M.update().where(M.c.id == match_id).values(terms=_terms_json(m.terms), score=m.score, why=m.why)
                )
            elif scope.covers(kind, subject):
                stale.append(match_id)
    for chunk in chunks(stale, 500):
        conn.execute(M.delete().where(M.c.id.in_(chunk)))
    return len(stale)


def add_matches_in(
    conn: sa.Connection, found: Sequence[tuple[int, Match, float | None]], now: datetime, *, quiet: bool = False
) -> int:
    if not found:
        return 0
    rows = [
        {
            "kind": m.kind,
            "subject": m.subject,
            "item_id": item_id,
            "terms": _terms_json(m.terms),
            "score": m.score,
            "why": m.why,
            "found_at": now,
            "delay_s": delay,
            "quiet": True if quiet else None,
        }
        for item_id, m, delay in found
    ]
    # Count the rows this statement inserted (RETURNING), not the table before and after: another
    # daemon inserting its own matches meanwhile would be counted as ours. A copy of a match dismissed before
    # (another feed's, another kind) is dismissed as it is stored, and not counted.
    new = [int(r[0]) for r in conn.execute(_insert_new_matches(conn.dialect.name), rows).all()]
    return len(new) - dismiss_like_siblings(conn, new, {m.subject for _, m, _ in found})


@functools.lru_cache(maxsize=4)
def _insert_new_matches(dialect: str) -> Any:
    """INSERT … ON CONFLICT DO NOTHING RETURNING id, for new matches; built once."""
    return insert_ignoring_conflicts(dialect, M).returning(M.c.id)
