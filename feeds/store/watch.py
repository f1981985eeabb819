"""Store operations of the watch stage: watched feeds (schedule, leases, health), rules, items and matches.

Due work is data: a feed is due when `next_check` has passed, and a daemon *claims* due feeds by setting a
lease (`lease_owner`, `lease_until`) in the same transaction that selects them — `FOR UPDATE SKIP LOCKED` on
PostgreSQL, the database write lock (BEGIN IMMEDIATE) on SQLite. A crashed daemon's lease simply expires.
Items are unique per (feed, key) and matches per (kind, subject, item): running any step twice is harmless.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from feeds.errors import ExistsError, NotFoundError
from feeds.model import (
    DISABLED_BY_HAND,
    REDIRECTS_BEFORE_MOVE,
    REMOVED_FROM_CONFIG,
    Match,
    MatchedTerm,
    MatchScope,
    Rule,
    StoredItem,
    StoredMatch,
    WatchedFeed,
    WatchItem,
)
from feeds.normalise.ids import rule_clash, rule_keys, rule_slug
from feeds.store.bulk import insert_ignoring_conflicts
from feeds.store.rows import chunks, record_from
from feeds.store.schema import entry_ids as EI
from feeds.store.schema import items as I
from feeds.store.schema import matches as M
from feeds.store.schema import related_applied as RA
from feeds.store.schema import rules as RU
from feeds.store.schema import watch_settings as WS
from feeds.store.schema import watched_feeds as WF
from feeds.store.tx import lease_free, release_leases, renew_leases, writing
from feeds.watch.schedule import CLOCK_TOLERANCE, clock_step

SCHEDULE_HORIZON = timedelta(days=7)
"""The furthest ahead a check is set besides the feed's own interval (a Retry-After's cap; back-off stops at 48 h)."""
SCHEDULE_SLACK = timedelta(days=1)

log = logging.getLogger("feeds.store")


def _feed_from(row: Any) -> WatchedFeed:
    m = row._mapping
    return record_from(
        WatchedFeed, row, tags=tuple(json.loads(m["tags"])), interval=m["interval_s"], enabled=bool(m["enabled"])
    )


def _rule_from(row: Any) -> Rule:
    return record_from(Rule, row)


def _clash(name: str, other: str) -> str:
    """Why rule `name` cannot be added beside the stored rule `other` (see `add_rule`)."""
    if other == name:
        return f"a rule named {name!r} exists already (remove it first, or pick another --name)"
    if rule_clash(name, other) == "case":
        return f"a rule named {other!r} exists already, the same name but for case"
    return (
        f"rule {other!r} publishes its matches at matches/rules/{rule_slug(other)}/ already, and so would {name!r}: "
        "pick another --name"
    )


_ITEM_COLUMNS = (
    I.c.id,
    I.c.feed_id,
    I.c.key,
    I.c.guid,
    I.c.link,
    I.c.title,
    I.c.summary,
    I.c.content_text,
    I.c.author,
    I.c.tags,
    I.c.published,
    I.c.updated,
    I.c.dated_by_source,
    I.c.first_seen,
    I.c.changed_at,
    I.c.content_hash,
    WF.c.title.label("feed_title"),
    WF.c.tags.label("feed_tags"),
)


def _stored_item_from(row: Any) -> StoredItem:
    m = row._mapping
    item = WatchItem(
        key=m["key"],
        title=m["title"],
        link=m["link"],
        guid=m["guid"],
        summary=m["summary"],
        content_text=m["content_text"],
        author=m["author"],
        published=m["published"] if m["dated_by_source"] else None,
        updated=m["updated"] if m["dated_by_source"] else None,
        tags=tuple(json.loads(m["tags"])),
        content_hash=m["content_hash"],
    )
    return StoredItem(
        id=m["id"],
        feed_id=m["feed_id"],
        feed_title=m["feed_title"],
        feed_tags=tuple(json.loads(m["feed_tags"])),
        item=item,
        published=m["published"],
        first_seen=m["first_seen"],
        changed_at=m["changed_at"],
    )


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
    )


def _item_row(feed_id: int, it: WatchItem, now: datetime) -> dict[str, Any]:
    # A date ahead of the time the item is seen (a scheduled post, a wrong time zone, 2099) would head every
    # match feed and its page until then: the item is dated when it was seen instead.
    published = min(it.published, now) if it.published else now
    return {
        "feed_id": feed_id,
        "key": it.key,
        "guid": it.guid,
        "link": it.link,
        "title": it.title,
        "summary": it.summary,
        "content_text": it.content_text,
        "author": it.author,
        "tags": json.dumps(list(it.tags), ensure_ascii=False),
        "published": published,
        "updated": max(min(it.updated, now), published) if it.updated else published,
        "dated_by_source": it.published is not None,
        "content_hash": it.content_hash,
        "in_body_at": now,
    }


def _terms_json(terms: Sequence[MatchedTerm]) -> str:
    return json.dumps([[t.term, t.field, t.start, t.end] for t in terms], ensure_ascii=False)


ENTRY_KEY = sa.func.coalesce(sa.func.nullif(I.c.link, ""), sa.cast(I.c.feed_id, sa.Text) + ":" + I.c.key)
"""What a match-feed entry lists, in SQL: the item's link, or `<feed id>:<key>` (`feeds.publish.coverage`'s
`_item_ref`)."""


class WatchStoreMixin:
    """Mixed into `Store`; relies on its `engine` and `dialect`."""

    engine: sa.Engine

    # --- watched feeds ---

    def add_feed(
        self, url: str, *, title: str, tags: Sequence[str], interval: float, origin: str, now: datetime
    ) -> WatchedFeed:
        # ON CONFLICT DO NOTHING, not a look first: two daemons starting together on one PostgreSQL database both
        # import the config's feeds, and the second insert must find the feed there, not fail on its key.
        with writing(self.engine) as conn:
            added = conn.execute(
                insert_ignoring_conflicts(conn.dialect, WF)
                .values(
                    url=url,
                    title=title,
                    tags=json.dumps(list(tags), ensure_ascii=False),
                    interval_s=interval,
                    enabled=True,
                    origin=origin,
                    added_at=now,
                )
                .returning(WF.c.id)
            ).first()
        if added is None:
            raise ExistsError(f"already watching {url}")
        return self.feed(url)

    def import_feed(
        self,
        url: str,
        *,
        title: str,
        tags: Sequence[str],
        interval: float,
        origin: str,
        now: datetime,
        adopt: bool = False,
    ) -> tuple[WatchedFeed, bool]:
        """Idempotent add for config and OPML imports: (feed, created). An existing feed from the same origin
        takes the new title, tags and interval; one added elsewhere (e.g. by hand) is left as it is, unless
        `adopt`: then it becomes this origin's, with these values (a blank title keeps the one it has), and keeps
        its items, matches and health."""
        try:
            return self.add_feed(url, title=title, tags=tags, interval=interval, origin=origin, now=now), True
        except ExistsError:
            pass
        current = self.feed(url)
        if current.origin == origin or adopt:
            values: dict[str, Any] = {
                "title": title if current.origin == origin else title or current.title,
                "tags": json.dumps(list(tags), ensure_ascii=False),
                "interval_s": interval,
                "origin": origin,
            }
            values |= _rescheduled(current, interval)
            if current.disabled_reason == REMOVED_FROM_CONFIG:  # put back into the config: watched again
                values |= {"enabled": True, "disabled_reason": None, "failures": 0}
            with writing(self.engine) as conn:
                conn.execute(WF.update().where(WF.c.id == current.id).values(**values))
            current = self.feed(url)
        return current, False

    def feed(self, id_or_url: str | int) -> WatchedFeed:
        cond = WF.c.url == str(id_or_url)
        if isinstance(id_or_url, int) or str(id_or_url).isdigit():
            cond = sa.or_(cond, WF.c.id == int(id_or_url))
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(WF).where(cond)).first()
        if row is None:
            shown = f"#{id_or_url}" if isinstance(id_or_url, int) or str(id_or_url).isdigit() else repr(id_or_url)
            raise NotFoundError(f"not watching {shown} (see `feeds watch list`)")
        return _feed_from(row)

    def feeds(self) -> list[WatchedFeed]:
        with self.engine.connect() as conn:
            return [_feed_from(r) for r in conn.execute(sa.select(WF).order_by(WF.c.id))]

    def remove_feed(self, id_or_url: str | int) -> tuple[WatchedFeed, int, int]:
        """Delete a feed, its items and their matches: (the feed, items deleted, matches deleted)."""
        feed = self.feed(id_or_url)
        with writing(self.engine) as conn:
            item_ids = sa.select(I.c.id).where(I.c.feed_id == feed.id)
            matches = conn.execute(M.delete().where(M.c.item_id.in_(item_ids))).rowcount
            items = conn.execute(I.delete().where(I.c.feed_id == feed.id)).rowcount
            conn.execute(WF.delete().where(WF.c.id == feed.id))
        return feed, int(items or 0), int(matches or 0)

    def edit_feed(
        self,
        feed_id: int,
        *,
        title: str | None = None,
        tags: Sequence[str] | None = None,
        interval: float | None = None,
        enabled: bool | None = None,
        origin: str | None = None,
    ) -> WatchedFeed:
        """Change what is given (None: unchanged; a title of "" is the feed's own, taken from its body at the
        next check). A new interval counts from the last check (`_rescheduled`).
        Enabling clears the reason it was disabled, its failures and its last error, and makes it due at once;
        disabling a feed that is enabled records that it was done by hand (one disabled already keeps its
        reason, a 410 Gone say)."""
        current = self.feed(feed_id)
        values: dict[str, Any] = {}
        if title is not None:
            values["title"] = title
            if not title:  # the feed's own title: read the body again at the next check (not a 304, not "unchanged")
                values |= {"etag": None, "last_modified": None, "body_digest": None}
        if tags is not None:
            values["tags"] = json.dumps(list(tags), ensure_ascii=False)
        if interval is not None:
            values |= {"interval_s": interval, **_rescheduled(current, interval)}
        if origin is not None:
            values["origin"] = origin
        if enabled is True and not current.enabled:
            values |= {"enabled": True, "disabled_reason": None, "failures": 0, "next_check": None, "last_error": None}
        elif enabled is False and current.enabled:
            values |= {"enabled": False, "disabled_reason": DISABLED_BY_HAND}
        if values:
            with writing(self.engine) as conn:
                if not conn.execute(WF.update().where(WF.c.id == feed_id).values(**values)).rowcount:
                    raise NotFoundError(f"not watching #{feed_id} (see `feeds watch list`)")
        return self.feed(feed_id)

    def feed_health(self) -> tuple[int, int, int]:
        """(enabled feeds, of which checked at least once, of which failing now): for /healthz, in one query."""
        checked = WF.c.last_checked.is_not(None)
        q = sa.select(
            sa.func.count(),
            sa.func.count().filter(checked),
            sa.func.count().filter(sa.and_(checked, WF.c.failures > 0)),
        ).where(WF.c.enabled.is_(True))
        with self.engine.connect() as conn:
            enabled, seen, failing = conn.execute(q).one()
        return int(enabled), int(seen), int(failing)

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
        return renew_leases(self.engine, WF, ids, owner=owner, until=now + lease)

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
                    conn.execute(WF.update().where(WF.c.id.in_(ids)).values(lease_owner=owner, lease_until=now + lease))
                rows = conn.execute(sa.select(WF).where(WF.c.id.in_(ids)).order_by(WF.c.id)).all() if ids else []
        return [_feed_from(r) for r in rows]

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
            stored = _upsert_items(conn, feed.id, items, now, new_only=seen is None, none_stored=seen == 0)
            found = [(item_id, m, delay) for item_id, it, _ in stored for m, delay in matches.get(it.key, ())]
            removed = 0
            if scope is not None:
                removed = _refresh_matches(conn, [i for i, _, status in stored if status == "changed"], found, scope)
            added = _add_matches(conn, found, now)
        return stored, added, removed

    # --- items ---

    def upsert_items(self, feed_id: int, found: Sequence[WatchItem], now: datetime) -> list[tuple[int, WatchItem, str]]:
        """Store new items and update changed ones; return (item id, item, "new" | "changed") for those."""
        if not found:
            return []
        with writing(self.engine) as conn:
            return _upsert_items(conn, feed_id, found, now)

    def stored_items(
        self, *, since: datetime | None = None, ids: Sequence[int] | None = None, limit: int | None = None
    ) -> list[StoredItem]:
        q = sa.select(*_ITEM_COLUMNS).join(WF, WF.c.id == I.c.feed_id)
        if since is not None:
            q = q.where(sa.or_(I.c.published >= since, I.c.first_seen >= since))
        if ids is not None:
            q = q.where(I.c.id.in_(list(ids)))
        q = q.order_by(I.c.published.desc(), I.c.id.desc())
        if limit is not None:
            q = q.limit(limit)
        with self.engine.connect() as conn:
            return [_stored_item_from(r) for r in conn.execute(q)]

    def item_hashes(self, feed_ids: Iterable[int]) -> dict[int, dict[str, str]]:
        """For each of these feeds that has items: item key → content hash, as stored."""
        found: dict[int, dict[str, str]] = {}
        with self.engine.connect() as conn:
            for chunk in chunks(sorted(set(feed_ids)), 500):
                q = sa.select(I.c.feed_id, I.c.key, I.c.content_hash).where(I.c.feed_id.in_(chunk))
                for feed_id, key, content_hash in conn.execute(q):
                    found.setdefault(feed_id, {})[key] = content_hash
        return found

    def iter_stored_items(self, *, since: datetime, page: int = 500) -> Iterator[StoredItem]:
        """`stored_items(since=since)`, newest first, read `page` rows at a time: a pass over weeks of items
        (rules or releases applied after the fact) holds one page in memory, not every item with its text.
        Each page is its own short query, so no read transaction stays open while the caller works."""
        base = sa.select(*_ITEM_COLUMNS).join(WF, WF.c.id == I.c.feed_id)
        base = base.where(sa.or_(I.c.published >= since, I.c.first_seen >= since))
        base = base.order_by(I.c.published.desc(), I.c.id.desc()).limit(page)
        q = base
        while True:
            with self.engine.connect() as conn:
                rows = [_stored_item_from(r) for r in conn.execute(q)]
            yield from rows
            if len(rows) < page:
                return
            last = rows[-1]
            q = base.where(
                sa.or_(I.c.published < last.published, sa.and_(I.c.published == last.published, I.c.id < last.id))
            )

    def count_items(self) -> int:
        with self.engine.connect() as conn:
            return int(conn.execute(sa.select(sa.func.count()).select_from(I)).scalar_one())

    def prune_items(self, before: datetime) -> int:
        """Delete items first seen before `before` that no match refers to (matches are kept for ever), unless
        they are still in the body their (enabled) feed serves: a slow feed keeps old posts for months, and an
        item pruned while its feed still lists it would be stored and matched again as new."""
        matched = sa.select(M.c.item_id)
        in_feed = (
            sa.select(WF.c.id)
            .where(WF.c.id == I.c.feed_id, WF.c.enabled.is_(True), WF.c.body_read_at.is_not(None))
            .where(I.c.in_body_at >= WF.c.body_read_at)
        )
        with writing(self.engine) as conn:
            stale = I.delete().where(I.c.first_seen < before, I.c.id.not_in(matched), ~in_feed.exists())
            result = conn.execute(stale)
            if result.rowcount:  # the ids of entries whose item is gone (see `entry_ids`)
                conn.execute(EI.delete().where(EI.c.entry.not_in(sa.select(ENTRY_KEY))))
        return int(result.rowcount or 0)

    # --- match-feed entry ids ---

    def entry_ids(self, entries: Iterable[str]) -> dict[tuple[str, str], str]:
        """(feed key, entry key) → the id the entry was first published with, in any feed, for the entries listing
        these items (`ENTRY_KEY`: the item's link, or `<feed id>:<key>`). See `feeds.publish.coverage.EntryIds`."""
        found: dict[tuple[str, str], str] = {}
        with self.engine.connect() as conn:
            for chunk in chunks(sorted(set(entries)), 500):
                q = sa.select(EI.c.feed, EI.c.entry, EI.c.entry_id).where(EI.c.entry.in_(chunk))
                for feed, entry, entry_id in conn.execute(q):
                    found[feed, entry] = entry_id
        return found

    def keep_entry_ids(self, minted: Mapping[tuple[str, str], str], now: datetime) -> int:
        """Record the ids of entries published for the first time, (feed key, entry key) → id; one recorded
        already (by another daemon meanwhile) stays as it is. How many were recorded."""
        if not minted:
            return 0
        rows = [{"feed": f, "entry": e, "entry_id": i, "minted_at": now} for (f, e), i in sorted(minted.items())]
        with writing(self.engine) as conn:
            return len(conn.execute(insert_ignoring_conflicts(conn.dialect, EI).returning(EI.c.entry), rows).all())

    # --- rules ---

    def add_rule(self, name: str, query: str, *, origin: str, now: datetime) -> Rule:
        """Add a rule; ExistsError when one has its name, the same name but for case, or the same feed folder
        (`rule_slug`): the database holds all three unique, so two adding at once cannot both succeed."""
        folded, slug = rule_keys(name)
        with writing(self.engine) as conn:  # (ON CONFLICT DO NOTHING: see add_feed)
            added = conn.execute(
                insert_ignoring_conflicts(conn.dialect, RU)
                .values(name=name, query=query, origin=origin, created_at=now, updated_at=now, folded=folded, slug=slug)
                .returning(RU.c.name)
            ).first()
            if added is None:
                clash = sa.or_(RU.c.name == name, RU.c.folded == folded, RU.c.slug == slug)
                other = conn.execute(sa.select(RU.c.name).where(clash).order_by(RU.c.name != name)).scalar()
        if added is None:
            raise ExistsError(_clash(name, other) if other is not None else f"rule {name!r} could not be added")
        return self.rule(name)

    def import_rule(self, name: str, query: str, *, origin: str, now: datetime) -> tuple[Rule, bool]:
        """Idempotent add for config imports: (rule, changed). A rule from the same origin takes the new query
        (and will be re-applied); a rule with that name from elsewhere is left as it is."""
        try:
            return self.add_rule(name, query, origin=origin, now=now), True
        except ExistsError:
            pass
        current = self.rule(name)
        if current.origin == origin and current.query != query:
            return self.change_rule(name, query, now=now), True
        return current, False

    def change_rule(self, name: str, query: str, *, now: datetime) -> Rule:
        """Give rule `name` a new query, to be applied again (`feeds.watch.retro.apply_new_rules`: the matches it
        no longer makes go, the items of the retro window are searched with it). NotFoundError when there is no
        such rule."""
        with writing(self.engine) as conn:
            changed = conn.execute(
                RU.update().where(RU.c.name == name).values(query=query, updated_at=now, applied_at=None)
            ).rowcount
        if not changed:
            raise NotFoundError(f"no keyword rule named {name!r} (see `feeds keywords list`)")
        return self.rule(name)

    def rule(self, name: str) -> Rule:
        with self.engine.connect() as conn:
            row = conn.execute(sa.select(RU).where(RU.c.name == name)).first()
        if row is None:
            raise NotFoundError(f"no keyword rule named {name!r} (see `feeds keywords list`)")
        return _rule_from(row)

    def rules(self) -> list[Rule]:
        with self.engine.connect() as conn:
            return [_rule_from(r) for r in conn.execute(sa.select(RU).order_by(RU.c.name))]

    def remove_rule(self, name: str) -> Rule:
        """Delete a rule and its matches (kept, they would count for the next rule given that name)."""
        rule = self.rule(name)
        with writing(self.engine) as conn:
            conn.execute(M.delete().where(M.c.kind == "keyword", M.c.subject == name))
            conn.execute(RU.delete().where(RU.c.name == name))
        return rule

    def remove_former_rule_matches(self, name: str) -> int:
        """Delete the keyword matches of `name` when no rule has that name (a rule deleted from the config keeps
        its matches, as history, until this); returns how many went."""
        with writing(self.engine) as conn:
            if conn.execute(sa.select(RU.c.name).where(RU.c.name == name)).first() is not None:
                return 0
            return conn.execute(M.delete().where(M.c.kind == "keyword", M.c.subject == name)).rowcount or 0

    def retire_configured(self, feed_urls: Iterable[str], rule_names: Iterable[str]) -> tuple[list[str], list[str]]:
        """Apply the config's removals: a rule imported from it and no longer there is deleted, a feed disabled.
        Nothing is lost that the config cannot bring back (a command run once with another config file must not
        cost the matches): the rule's matches stay, as history, and are checked again should a rule of that name
        come back (`feeds.watch.retro`); the feed keeps its items and is enabled again. Returns (rules deleted,
        feed URLs disabled)."""
        keep_urls, keep_rules = set(feed_urls), set(rule_names)
        with writing(self.engine) as conn:
            gone_rules = [
                n for (n,) in conn.execute(sa.select(RU.c.name).where(RU.c.origin == "config")) if n not in keep_rules
            ]
            for chunk in chunks(gone_rules, 500):
                conn.execute(RU.delete().where(RU.c.name.in_(chunk)))
            q = sa.select(WF.c.id, WF.c.url).where(WF.c.origin == "config", WF.c.enabled.is_(True))
            gone_feeds = [(i, url) for i, url in conn.execute(q) if url not in keep_urls]
            if gone_feeds:
                conn.execute(
                    WF.update()
                    .where(WF.c.id.in_([i for i, _ in gone_feeds]))
                    .values(enabled=False, disabled_reason=REMOVED_FROM_CONFIG)
                )
        return gone_rules, [url for _, url in gone_feeds]

    def drop_matches(self, ids: Sequence[int]) -> None:
        with writing(self.engine) as conn:
            for chunk in chunks(list(ids), 500):
                conn.execute(M.delete().where(M.c.id.in_(chunk)))

    def match_links(self) -> list[tuple[int, str]]:
        """(match id, item link) of every match whose item has a link, of every kind: what is looked through when
        our own domains change (`feeds.watch.retro`), without reading the items' text."""
        q = sa.select(M.c.id, I.c.link).join(I, I.c.id == M.c.item_id).where(I.c.link.is_not(None)).order_by(M.c.id)
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

    def rules_state(self) -> tuple[int, datetime | None, datetime | None]:
        """(how many rules, the last change, the last application): changes whenever a rule is added, changed,
        applied or removed (which may remove matches)."""
        q = sa.select(sa.func.count(), sa.func.max(RU.c.updated_at), sa.func.max(RU.c.applied_at))
        with self.engine.connect() as conn:
            count, changed, applied = conn.execute(q).one()
        return int(count), changed, applied

    def mark_rules_applied(self, names: Iterable[str], now: datetime) -> None:
        with writing(self.engine) as conn:
            conn.execute(RU.update().where(RU.c.name.in_(list(names))).values(applied_at=now))

    def releases_applied(self, ids: Iterable[str]) -> dict[str, str]:
        """Of these release ids, those already looked for among stored items: id → what was recorded then (the
        release's content hash and score scale, `feeds.watch.retro`)."""
        wanted = sorted(set(ids))
        found: dict[str, str] = {}
        with self.engine.connect() as conn:
            for chunk in chunks(wanted, 500):
                q = sa.select(RA.c.release_id, RA.c.content_hash).where(RA.c.release_id.in_(chunk))
                found.update((row[0], row[1]) for row in conn.execute(q))
        return found

    def mark_releases_applied(self, hashes: Mapping[str, str], now: datetime) -> None:
        """Record that these releases (id → content hash and score scale) have been looked for among stored
        items."""
        if not hashes:
            return
        rows = [{"release_id": i, "content_hash": h, "applied_at": now} for i, h in sorted(hashes.items())]
        with writing(self.engine) as conn:
            conn.execute(RA.delete().where(RA.c.release_id.in_(list(hashes))))
            # (another daemon may record the same release between these two statements: its row stands)
            conn.execute(insert_ignoring_conflicts(conn.dialect, RA), rows)

    def settings_fingerprint(self, name: str) -> str | None:
        """The fingerprint recorded of the settings called `name` (`related`: what decides related and pickup
        matches, `feeds.watch.retro`) that the stored matches were made with; None when none is recorded yet."""
        with self.engine.connect() as conn:
            found: str | None = conn.execute(sa.select(WS.c.fingerprint).where(WS.c.name == name)).scalar()
        return found

    def record_settings_fingerprint(self, name: str, fingerprint: str, now: datetime) -> None:
        """Record that the stored matches are now those the settings called `name` (`fingerprint`) make."""
        with writing(self.engine) as conn:
            conn.execute(WS.delete().where(WS.c.name == name))
            # (another daemon may record the same between these two statements: its row stands)
            row = {"name": name, "fingerprint": fingerprint, "recorded_at": now}
            conn.execute(insert_ignoring_conflicts(conn.dialect, WS), [row])

    # --- matches ---

    def add_matches(
        self, found: Sequence[tuple[int, Match, float | None]], now: datetime, *, quiet: bool = False
    ) -> int:
        """Insert (item id, match, delay) rows, ignoring ones already stored; returns how many were new. `quiet`
        ones are never alerted (`unqueued_matches`): coverage found when the related settings changed."""
        if not found:
            return 0
        with writing(self.engine) as conn:
            return _add_matches(conn, found, now, quiet=quiet)

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
            removed = _refresh_matches(conn, changed, found, scope)
            return _add_matches(conn, found, now), removed

    def matches(
        self,
        *,
        kind: str | None = None,
        subject: str | None = None,
        since: datetime | None = None,
        limit: int | None = None,
    ) -> list[StoredMatch]:
        q = (
            sa.select(M.c.id.label("match_id"), M.c.kind, M.c.subject, M.c.terms, M.c.score, M.c.why, M.c.found_at)
            .add_columns(M.c.delay_s, *_ITEM_COLUMNS)
            .join(I, I.c.id == M.c.item_id)
            .join(WF, WF.c.id == I.c.feed_id)
        )
        if kind is not None:
            q = q.where(M.c.kind == kind)
        if subject is not None:
            q = q.where(M.c.subject == subject)
        if since is not None:
            q = q.where(M.c.found_at >= since)
        # As the match feeds list them: the last found first, and among those found together, the newest item.
        q = q.order_by(M.c.found_at.desc(), I.c.published.desc(), M.c.id.desc())
        if limit is not None:
            q = q.limit(limit)
        with self.engine.connect() as conn:
            rows = conn.execute(q).all()
        return [stored_match_from(r._mapping, _stored_item_from(r)) for r in rows]

    def latest_match_id(self) -> int | None:
        """The id of the newest match (None when there is none): changes whenever a match is stored."""
        with self.engine.connect() as conn:
            latest: int | None = conn.execute(sa.select(sa.func.max(M.c.id))).scalar_one()
        return latest

    def count_matches(self, *, since: datetime | None = None) -> int:
        q = sa.select(sa.func.count()).select_from(M)
        if since is not None:
            q = q.where(M.c.found_at >= since)
        with self.engine.connect() as conn:
            return int(conn.execute(q).scalar_one())


# --- the statements, on a connection inside a write transaction (shared by the methods above) ---------------

"""The `disabled_reason` of a feed the config no longer lists (it is watched again if it comes back)."""


# The statements every stored feed runs, built once with bind parameters (an `IN` list as one expanding parameter):
# built per call, SQLAlchemy would coerce every key of every feed into a literal and derive a cache key for it,
# which cost more than SQLite's own work on a first pass over a thousand feeds.
_STORED_KEYS = sa.select(I.c.key, I.c.id, I.c.content_hash).where(
    I.c.feed_id == sa.bindparam("feed_id"), I.c.key.in_(sa.bindparam("keys", expanding=True))
)
_SAME_HASH = (
    sa.select(I.c.id, I.c.key, I.c.content_hash)
    .where(I.c.feed_id == sa.bindparam("feed_id"), I.c.content_hash.in_(sa.bindparam("hashes", expanding=True)))
    .order_by(I.c.id)
)
_STILL_LISTED = I.update().where(I.c.id.in_(sa.bindparam("ids", expanding=True))).values(in_body_at=sa.bindparam("now"))
_COUNT_SEEN = (
    WF.update()
    .where(WF.c.id == sa.bindparam("feed_id"))
    .values(items_seen=WF.c.items_seen + sa.bindparam("added", type_=sa.Integer))
)


def _upsert_items(
    conn: sa.Connection,
    feed_id: int,
    found: Sequence[WatchItem],
    now: datetime,
    *,
    new_only: bool = False,
    none_stored: bool = False,
) -> list[tuple[int, WatchItem, str]]:
    """Insert the new items, update the changed ones (unless `new_only`: what a stale worker read is older than
    what is stored), mark the unchanged ones as still listed. `none_stored`: the feed has never stored an item
    (its first check, or every one so far failed), so none can be renamed, and the query for them is left out."""
    if not found:
        return []
    by_key = {it.key: it for it in found}
    out: list[tuple[int, WatchItem, str]] = []
    existing = {
        row[0]: (row[1], row[2]) for row in conn.execute(_STORED_KEYS, {"feed_id": feed_id, "keys": list(by_key)})
    }
    fresh = [it for key, it in by_key.items() if key not in existing]
    same: list[int] = []
    if new_only:
        existing = {}
    if fresh and not none_stored:
        renamed = _renamed(conn, feed_id, fresh, by_key)
        for it in fresh:
            if it.key in renamed and not new_only:  # (a stale worker's item under a new key is not new either)
                conn.execute(I.update().where(I.c.id == renamed[it.key]).values(key=it.key, guid=it.guid))
                same.append(renamed[it.key])
        fresh = [it for it in fresh if it.key not in renamed]
    ids: dict[str, int] = {}
    if fresh:
        # ON CONFLICT DO NOTHING: a worker whose lease expired mid-check may be storing the same feed's
        # items at this moment; whoever inserts an item first reports it as new, the other skips it.
        stmt = _insert_returning(conn.dialect.name, "items")
        rows = [{**_item_row(feed_id, it, now), "first_seen": now} for it in fresh]
        ids = {key: item_id for key, item_id in conn.execute(stmt, rows)}
        out += [(ids[it.key], it, "new") for it in fresh if it.key in ids]
    for key, (item_id, old_hash) in existing.items():
        it = by_key[key]
        if it.content_hash != old_hash:
            row = {**_item_row(feed_id, it, now), "changed_at": now}
            if it.published is None or it.published > now:
                # No date of its own, or one still ahead: it keeps the date it was first stored with (the time it
                # was seen), not the time of this change.
                row.pop("published")
                row.pop("updated")
            conn.execute(I.update().where(I.c.id == item_id).values(**row))
            out.append((item_id, it, "changed"))
        else:
            same.append(item_id)
    for chunk in chunks(same, 500):  # still in the feed: kept by `prune_items`
        conn.execute(_STILL_LISTED, {"ids": chunk, "now": now})
    if ids:
        conn.execute(_COUNT_SEEN, {"feed_id": feed_id, "added": len(ids)})
    return out


def _renamed(
    conn: sa.Connection, feed_id: int, fresh: Sequence[WatchItem], current: Mapping[str, WatchItem]
) -> dict[str, int]:
    """New key → stored item id, for the new items that are a stored item of this feed under another key.

    Some feeds give an item a new guid on every request (a random or dated one). Its content hash (which leaves
    the guid out) is unchanged, so the stored item with that hash, under a key the document no longer lists, is
    the same item: it takes the new key rather than coming back as new (and matched and alerted again) on every
    check. Each stored item is taken once, so twins with the same text stay two items."""
    hashes = {it.content_hash for it in fresh}
    candidates: dict[str, list[int]] = {}
    for chunk in chunks(sorted(hashes), 500):
        for item_id, key, content_hash in conn.execute(_SAME_HASH, {"feed_id": feed_id, "hashes": chunk}):
            if key not in current:  # an item the document still lists under its own key is not renamed
                candidates.setdefault(content_hash, []).append(item_id)
    renamed: dict[str, int] = {}
    for it in fresh:
        waiting = candidates.get(it.content_hash)
        if waiting:
            renamed[it.key] = waiting.pop(0)
    return renamed


def _refresh_matches(
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
        q = sa.select(M.c.id, M.c.item_id, M.c.kind, M.c.subject).where(M.c.item_id.in_(chunk))
        for match_id, item_id, kind, subject in conn.execute(q):
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


def _add_matches(
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
    # daemon inserting its own matches meanwhile would be counted as ours.
    return len(conn.execute(_insert_returning(conn.dialect.name, "matches"), rows).all())


@functools.lru_cache(maxsize=4)
def _insert_returning(dialect: str, table: str) -> Any:
    """INSERT … ON CONFLICT DO NOTHING RETURNING, for new items (key, id) or new matches (id); built once."""
    if table == "items":
        return insert_ignoring_conflicts(dialect, I).returning(I.c.key, I.c.id)
    return insert_ignoring_conflicts(dialect, M).returning(M.c.id)


def _rescheduled(feed: WatchedFeed, interval: float) -> dict[str, Any]:
    """The next check of a feed whose interval becomes `interval`: counted from its last check (due at once if
    that is past), so that a feed set from 2 h to 10 min is not left waiting out the 2 h. A feed never checked
    is due already, and one failing keeps its back-off."""
    if feed.interval == interval or feed.last_checked is None or feed.failures:
        return {}
    return {"next_check": feed.last_checked + timedelta(seconds=interval)}


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
    whose lease expired mid-check (paused, slow) must not overwrite that newer result with its older one."""
    unclaimed = sa.and_(WF.c.lease_owner.is_(None), WF.c.last_checked.is_(None))
    mine = sa.and_(WF.c.id == sa.bindparam("b_feed"), sa.or_(WF.c.lease_owner == sa.bindparam("b_owner"), unclaimed))
    values = {name: sa.bindparam(f"v_{name}", type_=WF.c[name].type) for name in columns}
    return WF.update().where(mine).values(values).returning(WF.c.items_seen)
