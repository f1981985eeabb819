"""Store operations of a watch check, from its claim to its record: which feeds are due, the leases that keep two
daemons from checking one feed at once, and the check's result written back (schedule, health, items, matches).

Due work is data: a feed is due when `next_check` has passed, and a daemon *claims* due feeds by setting a
lease (`lease_owner`, `lease_until`) in the same transaction that selects them — `FOR UPDATE SKIP LOCKED` on
PostgreSQL, the database write lock (BEGIN IMMEDIATE) on SQLite. A crashed daemon's lease simply expires.
Only the lease holder writes a check's result (`_check_statement`).

What this module must not do: decide when a feed is next due or what a check found (`feeds.watch.schedule` and
`feeds.watch.check` do; this writes what they give), nor build item or match rows itself (`items.py` and
`matches.py` do, on the transaction it opens).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from feeds.model import REDIRECTS_BEFORE_MOVE, Match, MatchScope, WatchedFeed, WatchItem
from feeds.store.items import upsert_items_in
from feeds.store.leaseclock import lease_clock
from feeds.store.matches import add_matches_in, rematch_in
from feeds.store.schema import watched_feeds as WF
from feeds.store.tx import lease_free, release_leases, renew_leases, writing
from feeds.store.watchedfeeds import feed_from
from feeds.watch.schedule import CLOCK_TOLERANCE, clock_step

SCHEDULE_HORIZON = timedelta(days=7)
"""The furthest ahead a check is set besides the feed's own interval (a Retry-After's cap; back-off stops at 48 h)."""
SCHEDULE_SLACK = timedelta(days=1)

log = logging.getLogger("feeds.store")


class FeedClaimStoreMixin:
    """Mixed into `Store`; relies on its `engine`."""

    engine: sa.Engine

    def claim_due(self, now: datetime, *, limit: int, owner: str, lease: timedelta) -> list[WatchedFeed]:
        """Take up to `limit` enabled feeds whose check is due and whose lease (if any) has expired (after moving
        back the schedules recorded before a step back of the clock: `_undo_clock_step`)."""
        self._undo_clock_step(now)
        due = sa.and_(
            WF.c.enabled.is_(True),
            sa.or_(WF.c.next_check.is_(None), WF.c.next_check <= now, WF.c.id.in_(self._stepped_back(now))),
            lease_free(WF, now, lease),
        )
        return self._claim(due, now=now, limit=limit, owner=owner, lease=lease)

    def _undo_clock_step(self, now: datetime) -> int:
        """Move back, by the step, the last and next check of the feeds checked before the clock was stepped back
        (`schedule.clock_step`: checks recorded ahead of `now`); how many were moved.

        Otherwise each would wait out the step on top of its schedule: a clock that ran 2 days ahead and was
        stepped back held every feed for 2 days. Those whose next check is further ahead than any schedule sets
        are left to `_stepped_back` (due now, as they were). Each row is moved only if its last check is still
        the one read, so two daemons noticing the same step at once move it once."""
        # (a check only a little ahead may be another daemon's, recorded as this one reads: left as it is)
        ahead = WF.c.last_checked > now + CLOCK_TOLERANCE
        q = sa.select(WF.c.id, WF.c.interval_s, WF.c.last_checked, WF.c.next_check).where(ahead)
        with self.engine.connect() as conn:
            rows = [
                r
                for r in conn.execute(q).all()
                if r.next_check is None
                or r.next_check <= now + max(timedelta(seconds=r.interval_s), SCHEDULE_HORIZON) + SCHEDULE_SLACK
            ]
        step = clock_step(now, (r.last_checked for r in rows))
        if not step:
            return 0
        moved = 0
        with writing(self.engine) as conn:
            for r in rows:
                same = sa.and_(WF.c.id == r.id, WF.c.last_checked == r.last_checked)
                values = {"last_checked": r.last_checked - step}
                if r.next_check is not None:
                    values["next_check"] = r.next_check - step
                moved += conn.execute(WF.update().where(same).values(**values)).rowcount
        log.warning(
            "the clock is %s behind the last check recorded (stepped back, or another daemon's clock is ahead of "
            "this one's): the schedules of %d feed(s) checked before moved back by as much",
            step,
            moved,
        )
        return moved

    def _stepped_back(self, now: datetime) -> list[int]:
        """Feeds whose next check lies further ahead than any schedule sets (their interval, at most 30 days, or a
        Retry-After, at most 7 days): set by a clock that ran ahead and was stepped back since. Due now, rather
        than held until the clock catches up (a year, for a bad RTC at boot)."""
        q = sa.select(WF.c.id, WF.c.interval_s, WF.c.next_check).where(WF.c.next_check > now + SCHEDULE_HORIZON)
        with self.engine.connect() as conn:
            rows = conn.execute(q).all()
        return [
            r.id
            for r in rows
            if r.next_check > now + max(timedelta(seconds=r.interval_s), SCHEDULE_HORIZON) + SCHEDULE_SLACK
        ]

    def claim_feeds(self, ids: Iterable[int], now: datetime, *, owner: str, lease: timedelta) -> list[WatchedFeed]:
        """Take the given feeds now whatever their schedule or back-off (`feeds watch poll URL`)."""
        wanted = sorted(set(ids))
        cond = sa.and_(WF.c.id.in_(wanted), lease_free(WF, now, lease))
        return self._claim(cond, now=now, limit=len(wanted) or 1, owner=owner, lease=lease)

    def renew_feeds(self, ids: Iterable[int], now: datetime, *, owner: str, lease: timedelta) -> set[int]:
        """Hold claimed feeds for another `lease` from `now` (a round that outlasts its lease: slow servers, a
        large batch): the ids still leased by `owner`, the others having been taken by another worker since."""
        return renew_leases(self.engine, WF, ids, owner=owner, now=now, lease=lease)

    def release_feeds(self, ids: Iterable[int] | None, *, owner: str) -> None:
        """Give back claimed feeds that were not checked (the run was interrupted), as they were: due as before,
        not held for the rest of the lease (only rows still leased by `owner`; all of them when `ids` is None)."""
        release_leases(self.engine, WF, ids, owner=owner)

    def _claim(self, cond: Any, *, now: datetime, limit: int, owner: str, lease: timedelta) -> list[WatchedFeed]:
        q = sa.select(WF.c.id).where(cond).order_by(WF.c.next_check.is_not(None), WF.c.next_check, WF.c.id)
        q = q.limit(limit)
        with self.engine.connect() as conn:
            conn.execution_options(immediate=True)
            with conn.begin():
                if conn.dialect.name == "postgresql":
                    q = q.with_for_update(skip_locked=True)
                ids = [row[0] for row in conn.execute(q)]
                if ids:
                    until = lease_clock(now, lease)
                    conn.execute(WF.update().where(WF.c.id.in_(ids)).values(lease_owner=owner, lease_until=until))
                rows = conn.execute(sa.select(WF).where(WF.c.id.in_(ids)).order_by(WF.c.id)).all() if ids else []
        return [feed_from(r) for r in rows]

    def record_check(self, feed: WatchedFeed, *, owner: str) -> None:
        """Save a feed's schedule and health after a check and release the lease (only if still ours)."""
        values = _check_values(feed)
        try:
            with writing(self.engine) as conn:
                _write_check(conn, feed.id, owner, values)
        except sa.exc.IntegrityError:
            # The redirect target is watched already under its own row: keep this one where it was, and the count
            # of the redirect where it is, so that every later check that sees it says so again (not every third).
            values.pop("url")
            values["last_error"] = f"moved permanently to {feed.url}, which is watched already"
            values["redirect_url"], values["redirect_count"] = feed.url, REDIRECTS_BEFORE_MOVE - 1
            with writing(self.engine) as conn:
                _write_check(conn, feed.id, owner, values)

    def record_fetched(
        self,
        feed: WatchedFeed,
        items: Sequence[WatchItem],
        matches: Mapping[str, Sequence[tuple[Match, float | None]]],
        now: datetime,
        *,
        owner: str,
        scope: MatchScope | None = None,
    ) -> tuple[list[tuple[int, WatchItem, str]], int, int]:
        """`upsert_items`, then `add_matches` for the items stored new or changed (`matches` by item key, with
        their delays; with `scope`, a changed item's matches are brought up to date: see `rematch`), then
        `record_check`, in one transaction: (new and changed items, new matches, matches deleted).

        For a feed whose URL stays the same (a move can collide with another row: `record_check` handles that).

        A worker whose lease expired mid-check (and whose feed another worker has checked since) keeps only the
        items new to the store, with their matches: the body it read is older than the one stored since, so it
        must not take a changed item back to its older text, nor drop the matches the newer text made (they would
        come back as new matches, alerted again, at the next check)."""
        with writing(self.engine) as conn:
            # The check first: it takes the feed's row lock, so the lease holder's result and items go in whole.
            seen = _write_check(conn, feed.id, owner, _check_values(feed))
            stored = upsert_items_in(conn, feed.id, items, now, new_only=seen is None, none_stored=seen == 0)
            found = [(item_id, m, delay) for item_id, it, _ in stored for m, delay in matches.get(it.key, ())]
            removed = 0
            if scope is not None:
                removed = rematch_in(conn, [i for i, _, status in stored if status == "changed"], found, scope)
            added = add_matches_in(conn, found, now)
        return stored, added, removed


def _check_values(feed: WatchedFeed) -> dict[str, Any]:
    """The values `record_check` writes."""
    values = {
        "url": feed.url,
        "title": feed.title,
        "etag": feed.etag,
        "last_modified": feed.last_modified,
        "last_checked": feed.last_checked,
        "last_status": feed.last_status,
        "last_error": feed.last_error,
        "failures": feed.failures,
        "failing_since": feed.failing_since,
        "next_check": feed.next_check,
        "enabled": feed.enabled,
        "disabled_reason": feed.disabled_reason,
        "redirect_url": feed.redirect_url,
        "redirect_count": feed.redirect_count,
        "body_digest": feed.body_digest,
        "body_read_at": feed.body_read_at,
        "parse_warning": feed.parse_warning,
        "lease_owner": None,
        "lease_until": None,
    }
    return values


def _write_check(conn: sa.Connection, feed_id: int, owner: str, values: Mapping[str, Any]) -> int | None:
    """Write `values` to the feed's row if this worker holds its lease (see `_check_statement`): the number of
    items the feed has ever stored (`items_seen`, read in the same statement, under the row's write lock), or
    None when it did not write."""
    params = {f"v_{name}": value for name, value in values.items()}
    row = conn.execute(_check_statement(tuple(values)), {"b_feed": feed_id, "b_owner": owner, **params}).first()
    return None if row is None else int(row[0])


@functools.lru_cache(maxsize=4)
def _check_statement(columns: tuple[str, ...]) -> sa.Update:
    """The UPDATE of a check's `columns`, built once (it runs for every feed checked).

    Only the lease holder writes. A row without a lease is writable only while it was never checked (tools
    and tests set up feeds that way): once another worker has checked a feed and released it, a worker
    whose lease expired mid-check (paused, slow) must not overwrite that newer result with its older one. Nor does a
    check overwrite a title given while it ran: the row's `title_given` decides, in the same statement."""
    unclaimed = sa.and_(WF.c.lease_owner.is_(None), WF.c.last_checked.is_(None))
    mine = sa.and_(WF.c.id == sa.bindparam("b_feed"), sa.or_(WF.c.lease_owner == sa.bindparam("b_owner"), unclaimed))
    values: dict[str, Any] = {name: sa.bindparam(f"v_{name}", type_=WF.c[name].type) for name in columns}
    if "title" in values:  # a title given meanwhile (`watch edit --title`) wins over the one this check read
        values["title"] = sa.case((WF.c.title_given.is_(True), WF.c.title), else_=values["title"])
    return WF.update().where(mine).values(values).returning(WF.c.items_seen)
