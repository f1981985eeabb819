"""Store operations on a press officer's corrections to matching: a match dismissed (wrong coverage), restored, or
coverage added by hand (kind `manual`).

A match is dismissed for its rule or release and its article (`feeds.articles.item_article`), never for the item
alone: the same story in two feeds, or found first as related and later as a pickup of the same release, is the
one wrong match the press officer meant, and it is dismissed whole. It is never dismissed for another rule or
release. A dismissed match keeps its row (`matches.dismissed_at`): matching the item again meets its unique key
and stores nothing, so neither a re-poll, nor a rule or release applied again (`feeds.watch.retro`), nor another
daemon storing the same match at the same moment brings it back; and a copy first stored after the dismissal
(another feed's, another kind) is dismissed as it is stored (`dismiss_like_siblings`, from `add_matches_in`), or
with the others when it is being stored as the dismissal is made (`hold_off_match_writers`). Its alerts still
waiting are cancelled; one sent stays sent. Nothing deletes a dismissed match but its item's feed removed or its
release taken down (`feeds releases remove`, which erases the release for good): a rule removed keeps it, so the
rule added again under its name meets it (`feeds.store.rules`), and a release withdrawn touches no match. The
dismissal itself is recorded apart from the match (`feeds.store.dismissals`), and outlives its feed removed: it is
that record a copy stored later meets, whichever feed brings it, until a restore or a takedown removes it.

What this module must not do: decide what matches, or find which match a person named (`feeds.watch.curate`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

import sqlalchemy as sa

from feeds.articles import article_link, item_article
from feeds.errors import ExistsError, NotFoundError
from feeds.model import StoredItem, WatchItem
from feeds.store.alerts import alert_deliveries as AD
from feeds.store.dismissals import dismissals_of, forget_in, match_rows, of_row, record_in, side
from feeds.store.items import ITEM_COLUMNS, stored_item_from, upsert_items_in
from feeds.store.rows import chunks
from feeds.store.schema import items as I
from feeds.store.schema import matches as M
from feeds.store.schema import watched_feeds as WF
from feeds.store.tx import writing

HAND_ENTERED = "hand-entered:"
"""The address of the feed of the articles of one source entered by hand (`hand_entered_item`), before its name."""
HAND_ENTERED_ORIGIN = "hand"
"""The origin of such a feed: `Store.feeds` leaves them out (they are not watched)."""


@dataclass(frozen=True, slots=True)
class Curated:
    """What a dismissal or a restore did: the matches it changed (the one named first, then its copies)."""

    ids: tuple[int, ...]


def _article(row: Any) -> str:
    return item_article(row.feed_id, row.key, row.link, row.guid)


_COLUMNS = (M.c.id, M.c.kind, M.c.subject, M.c.dismissed_at, I.c.feed_id, I.c.key, I.c.link, I.c.guid)


def _family(conn: sa.Connection, named: Sequence[Any], *, dismissed: bool) -> list[int]:
    """The ids of the matches (dismissed, or not) of the same rule or release and article as `named`: their
    copies in other feeds and of other kinds, `named` among them when in that state."""
    wanted = {(side(r.kind), r.subject, _article(r)) for r in named}
    state = M.c.dismissed_at.is_not(None) if dismissed else M.c.dismissed_at.is_(None)
    q = sa.select(*_COLUMNS).join(I, I.c.id == M.c.item_id).where(M.c.subject.in_({r.subject for r in named}), state)
    return sorted(r.id for r in conn.execute(q) if (side(r.kind), r.subject, _article(r)) in wanted)


def hold_off_match_writers(conn: sa.Connection) -> None:
    """Make the rest of this transaction the only writer of matches until it commits (PostgreSQL; on SQLite every
    write transaction is already, `feeds.store.tx`). Taken first by what dismisses or restores a match for its
    article, which reads the article's copies and then changes them, while a poll stores a copy and then reads
    the dismissals of its article: without it, in PostgreSQL's READ COMMITTED each reads before the other's
    commit and a copy escapes (published though dismissed, or left dismissed when the others are restored).

    SHARE ROW EXCLUSIVE waits for every transaction that has written a match to commit (its statements read
    after that see their copies), and holds off every INSERT, UPDATE and DELETE of a match until this commits (the
    poll's read of dismissals, a statement after its INSERT, sees this one's). Readers (publishing, `matches
    list`) never wait. So the poll path costs nothing more: no statement, no lock of its own; a poll storing
    matches waits at most for one press officer's command (35-70 ms measured for a match with 20 copies among
    20,000 matches); a dismissal waits for a watch round's batch (`feeds.store.tx.batched`) to commit, up to
    the lock timeout. The lock is the table's in this deployment's schema, and a transaction taking it writes no
    match before it (it never waits holding one).

    Why not a constraint: the copies of one article are rows of their own by design (one per feed and kind), and
    what makes them one article is worked out in Python (`item_article`), so no unique key can say "dismissed for
    this article". Why not a re-check at publish: the escaped copy would still be alerted, counted and listed,
    and every read of matches would pay for the check, where this costs the rare press officer's command."""
    if conn.dialect.name == "postgresql":
        conn.execute(
            sa.text(f"LOCK TABLE {conn.dialect.identifier_preparer.format_table(M)} IN SHARE ROW EXCLUSIVE MODE")
        )


def _named(conn: sa.Connection, ids: Sequence[int]) -> list[Any]:
    q = sa.select(*_COLUMNS).join(I, I.c.id == M.c.item_id).where(M.c.id.in_(list(ids)))
    rows = {r.id: r for r in conn.execute(q)}
    missing = [i for i in ids if i not in rows]
    if missing:
        raise NotFoundError(f"no match #{missing[0]} (`feeds matches list --json` gives each match's id)")
    return [rows[i] for i in ids]


class CurationStoreMixin:
    """Mixed into `Store`; relies on its `engine`."""

    engine: sa.Engine

    def dismiss_matches(self, ids: Sequence[int], now: datetime, *, by: str | None, reason: str | None) -> Curated:
        """Dismiss the matches `ids` and their copies (the same rule or release and article), in one transaction:
        kept, left out of every feed, page, count and alert from now on, their pending alerts cancelled. A match
        dismissed already is an `ExistsError` naming it and when; one not stored a `NotFoundError`."""
        with writing(self.engine) as conn:
            return dismiss_in(conn, ids, now, by=by, reason=reason)

    def restore_matches(self, ids: Sequence[int], now: datetime, *, by: str | None) -> Curated:
        """Undo `dismiss_matches`: the dismissed matches `ids` and their dismissed copies are published again at
        the next publish (never alerted again). A match not dismissed is an `ExistsError`; one not stored a
        `NotFoundError`."""
        with writing(self.engine) as conn:
            hold_off_match_writers(conn)
            named = _named(conn, ids)
            live = [r for r in named if r.dismissed_at is None]
            if live:
                listed = "`feeds matches list --dismissed` lists those that are"
                raise ExistsError(f"match #{live[0].id} is not dismissed ({listed})")
            family = _family(conn, named, dismissed=True)
            for chunk in chunks(family, 500):
                conn.execute(
                    M.update()
                    .where(M.c.id.in_(chunk))
                    .values(dismissed_at=None, dismiss_reason=None, curated_by=by, curated_at=now)
                )
            forget_in(conn, {of_row(r) for r in match_rows(conn, family)})
        return Curated(tuple(dict.fromkeys([*ids, *family])))

    def add_manual_match(
        self, item_id: int, release_id: str, now: datetime, *, why: str, by: str | None, delay: float | None
    ) -> int:
        """Store `item_id` as coverage of `release_id` added by hand (kind `manual`, never alerted: the press
        officer knows of it), in one transaction; returns its match id. One added by hand before and dismissed
        since is restored. An `ExistsError` names the match that lists the article as the release's coverage
        already (of any kind, in any feed)."""
        with writing(self.engine) as conn:
            hold_off_match_writers(conn)
            item = conn.execute(sa.select(I.c.feed_id, I.c.key, I.c.link, I.c.guid).where(I.c.id == item_id)).first()
            if item is None:
                raise NotFoundError(f"no stored item #{item_id}")
            article = _article(item)
            q = (
                sa.select(*_COLUMNS)
                .join(I, I.c.id == M.c.item_id)
                .where(M.c.subject == release_id, M.c.kind != "keyword", M.c.dismissed_at.is_(None))
            )
            for r in conn.execute(q):
                if _article(r) == article:
                    raise ExistsError(
                        f"the article is listed as coverage of release {release_id} already: match #{r.id} ({r.kind})"
                    )
            key = sa.and_(M.c.kind == "manual", M.c.subject == release_id, M.c.item_id == item_id)
            was = conn.execute(sa.select(M.c.id).where(key)).scalar_one_or_none()
            if was is not None:  # (added by hand before, dismissed since: restored, its record with it)
                forget_in(conn, {of_row(r) for r in match_rows(conn, [int(was)])})
                conn.execute(
                    M.update()
                    .where(M.c.id == was)
                    .values(dismissed_at=None, dismiss_reason=None, why=why, curated_by=by, curated_at=now)
                )
                return int(was)
            row = {
                "kind": "manual",
                "subject": release_id,
                "item_id": item_id,
                "terms": "[]",
                "score": 1.0,
                "why": why,
                "found_at": now,
                "delay_s": delay,
                "quiet": True,
                "curated_by": by,
                "curated_at": now,
            }
            return int(conn.execute(M.insert().values(**row).returning(M.c.id)).scalar_one())

    def hand_entered_item(self, source: str, item: WatchItem, now: datetime) -> int:
        """Store `item`, an article no watched feed brought, under its `source` (a publication's name): in a feed
        of its own, `hand-entered:<source>`, never polled and listed nowhere a watched feed is (`feeds`, OPML,
        polling), made the first time the source is named. The same article entered again is the same item,
        brought up to date. Returns its item id."""
        url = HAND_ENTERED + source.strip().casefold()
        with writing(self.engine) as conn:
            feed_id = conn.execute(sa.select(WF.c.id).where(WF.c.url == url)).scalar_one_or_none()
            if feed_id is None:
                feed = {
                    "url": url,
                    "title": source.strip(),
                    "tags": "[]",
                    "interval_s": 0.0,
                    "enabled": False,
                    "origin": HAND_ENTERED_ORIGIN,
                    "added_at": now,
                    "disabled_reason": "coverage entered by hand: never polled",
                    "title_given": True,
                }
                feed_id = conn.execute(WF.insert().values(**feed).returning(WF.c.id)).scalar_one()
            upsert_items_in(conn, feed_id, [item], now)
            key = sa.and_(I.c.feed_id == feed_id, I.c.key == item.key)
            return int(conn.execute(sa.select(I.c.id).where(key)).scalar_one())

    def items_at(self, url: str) -> list[StoredItem]:
        """The stored items that are copies of the article at `url` (`item_article`: its link as a feed gave it,
        with or without tracking parameters, in any feed), first seen first. Read by a press officer's command,
        not by polling: the items' links are not indexed, and this reads those that hold the address's path."""
        wanted = item_article(0, "", url, None)
        parts = urlsplit(article_link(url.strip()))
        tail = parts.path.rstrip("/") or (parts.hostname or url.strip())
        q = (
            sa.select(*ITEM_COLUMNS)
            .join(WF, WF.c.id == I.c.feed_id)
            .where(sa.or_(I.c.link.contains(tail, autoescape=True), I.c.guid.contains(tail, autoescape=True)))
            .order_by(I.c.first_seen, I.c.id)
        )
        with self.engine.connect() as conn:
            found = [stored_item_from(r) for r in conn.execute(q)]
        return [s for s in found if item_article(s.feed_id, s.item.key, s.item.link, s.item.guid) == wanted]

    def curation_state(self) -> datetime | None:
        """When a match was last dismissed, restored or added by hand (an indexed lookup): what a publish shows
        changes with it, as with a match stored (`feeds.daemon.jobs.changes`)."""
        with self.engine.connect() as conn:
            latest: datetime | None = conn.execute(sa.select(sa.func.max(M.c.curated_at))).scalar_one()
        return latest


def dismiss_in(
    conn: sa.Connection, ids: Sequence[int], now: datetime, *, by: str | None, reason: str | None
) -> Curated:
    """`Store.dismiss_matches`, on `conn` inside a write transaction."""
    hold_off_match_writers(conn)
    named = _named(conn, ids)
    done = [r for r in named if r.dismissed_at is not None]
    if done:
        at = f"{done[0].dismissed_at:%Y-%m-%d %H:%M} UTC"
        raise ExistsError(f"match #{done[0].id} was dismissed already ({at}): nothing to do")
    family = _family(conn, named, dismissed=False)
    for chunk in chunks(family, 500):
        conn.execute(
            M.update()
            .where(M.c.id.in_(chunk), M.c.dismissed_at.is_(None))
            .values(dismissed_at=now, dismiss_reason=reason, curated_by=by, curated_at=now)
        )
        conn.execute(AD.update().where(AD.c.match_id.in_(chunk), AD.c.status == "pending").values(status="cancelled"))
    record_in(conn, [*dict.fromkeys([*ids, *family])], now, by=by, reason=reason)
    return Curated(tuple(dict.fromkeys([*ids, *family])))


def dismiss_like_siblings(conn: sa.Connection, new_ids: Sequence[int], subjects: Iterable[str]) -> int:
    """Dismiss the matches `new_ids`, just stored (of `subjects`), whose rule or release and article have a
    dismissal recorded (`feeds.store.dismissals`: another feed's copy, a related item now a pickup, the feed
    removed and added again), as that one was; returns how many. One query on the index of the records' subjects
    when none of `subjects` has one (nearly always)."""
    if not new_ids:
        return 0
    dismissed = dismissals_of(conn, subjects)
    if not dismissed:
        return 0
    count = 0
    for r in match_rows(conn, list(new_ids)):
        was = dismissed.get(of_row(r))
        if was is not None:
            conn.execute(
                M.update()
                .where(M.c.id == r.id)
                .values(
                    dismissed_at=was.dismissed_at,
                    dismiss_reason=was.dismiss_reason,
                    curated_by=was.curated_by,
                    curated_at=was.dismissed_at,
                )
            )
            count += 1
    return count
