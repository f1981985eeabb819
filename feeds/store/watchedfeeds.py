"""Store operations on the watched feeds themselves: adding them (by hand, from the config or an OPML file), reading,
editing and removing them, their health for /healthz, and the config's removals.

A feed added twice is found, not added again (ON CONFLICT DO NOTHING: two daemons importing one config at once).
A feed the config no longer lists is disabled (`REMOVED_FROM_CONFIG`), not deleted, and watched again when it
comes back; a rule the config imported and no longer lists is deleted with it (`retire_configured`), its matches
kept as history.

What this module must not do: claim feeds or record a check's result (`claims.py`: only a lease holder writes
those), nor store items or matches (`items.py`, `matches.py`); of those it only deletes a removed feed's own.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from feeds.errors import ExistsError, NotFoundError
from feeds.model import DISABLED_BY_HAND, REMOVED_FROM_CONFIG, WatchedFeed
from feeds.store.bulk import insert_ignoring_conflicts
from feeds.store.rows import chunks, record_from
from feeds.store.schema import items as I
from feeds.store.schema import matches as M
from feeds.store.schema import rules as RU
from feeds.store.schema import watched_feeds as WF
from feeds.store.tx import writing
from feeds.urls import without_secrets


def feed_from(row: Any) -> WatchedFeed:
    """A `WatchedFeed` from a row of `watched_feeds` (the claims read them too)."""
    m = row._mapping
    return record_from(
        WatchedFeed,
        row,
        tags=tuple(json.loads(m["tags"])),
        interval=m["interval_s"],
        enabled=bool(m["enabled"]),
        title_given=bool(m["title_given"]),
    )


class WatchedFeedStoreMixin:
    """Mixed into `Store`; relies on its `engine`."""

    engine: sa.Engine

    def add_feed(
        self,
        url: str,
        *,
        title: str,
        tags: Sequence[str],
        interval: float,
        origin: str,
        now: datetime,
        own_title: bool = False,
    ) -> WatchedFeed:
        """Watch `url`; a `title` is given (it wins over the feed's own) unless blank or `own_title` (the name the
        feed gave itself where it was exported from: replaced by the one it gives here). ExistsError if watched."""
        # ON CONFLICT DO NOTHING, not a look first: two daemons starting together on one PostgreSQL database both
        # import the config's feeds, and the second insert must find the feed there, not fail on its key.
        with writing(self.engine) as conn:
            added = conn.execute(
                insert_ignoring_conflicts(conn.dialect, WF)
                .values(
                    url=url,
                    title=title,
                    title_given=bool(title) and not own_title,
                    tags=json.dumps(list(tags), ensure_ascii=False),
                    interval_s=interval,
                    enabled=True,
                    origin=origin,
                    added_at=now,
                )
                .returning(WF.c.id)
            ).first()
        if added is None:
            raise ExistsError(f"already watching {without_secrets(url)}")
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
        own_title: bool = False,
    ) -> tuple[WatchedFeed, bool]:
        """Idempotent add for config and OPML imports: (feed, created). An existing feed from the same origin
        takes the new title, tags and interval; one added elsewhere (e.g. by hand) is left as it is, unless
        `adopt`: then it becomes this origin's, with these values (a blank title keeps the one it has), and keeps
        its items, matches and health. A blank title is the feed's own: one this origin gave before goes back to
        the feed's (read again at the next check), one the feed named itself by is kept; so is an `own_title`
        (see `add_feed`), but for a feed just added.

        A feed already there is looked up, not inserted again: on PostgreSQL an INSERT that finds its row still
        takes a number from the id sequence, and every command and daemon start imports the config's feeds."""
        try:
            current = self.feed(url)
        except NotFoundError:
            try:
                added = self.add_feed(
                    url, title=title, tags=tags, interval=interval, origin=origin, now=now, own_title=own_title
                )
                return added, True
            except ExistsError:  # another daemon imported it meanwhile
                current = self.feed(url)
        if current.origin == origin or adopt:
            values: dict[str, Any] = {
                "tags": json.dumps(list(tags), ensure_ascii=False),
                "interval_s": interval,
                "origin": origin,
            }
            if title and not own_title:
                values |= {"title": title, "title_given": True}
            elif current.origin == origin and current.title_given:
                values |= _own_title() | ({"title": title} if title else {})
            values |= _rescheduled(current, interval)
            if current.disabled_reason == REMOVED_FROM_CONFIG:  # put back into the config: watched again
                values |= {"enabled": True, "disabled_reason": None, "failures": 0, "failing_since": None}
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
        return feed_from(row)

    def feeds(self) -> list[WatchedFeed]:
        """The watched feeds; not the feeds of the articles entered by hand (`feeds.store.curation`), which are
        not watched, polled, listed or exported."""
        q = sa.select(WF).where(WF.c.origin != "hand").order_by(WF.c.id)
        with self.engine.connect() as conn:
            return [feed_from(r) for r in conn.execute(q)]

    def remove_feed(self, id_or_url: str | int) -> tuple[WatchedFeed, int, int]:
        """Delete a feed, its items and their matches: (the feed, items deleted, matches deleted)."""
        feed = self.feed(id_or_url)
        with writing(self.engine) as conn:
            item_ids = sa.select(I.c.id).where(I.c.feed_id == feed.id)
            matches = conn.execute(M.delete().where(M.c.item_id.in_(item_ids))).rowcount
            items = conn.execute(I.delete().where(I.c.feed_id == feed.id)).rowcount
            conn.execute(WF.delete().where(WF.c.id == feed.id))
        return feed, int(items or 0), int(matches or 0)

    def remove_feeds(self, feed_ids: Sequence[int]) -> tuple[list[WatchedFeed], int, int]:
        """Delete many feeds, their items and their matches, as `remove_feed` deletes one, in one transaction (a
        folder of 250 feeds took 10 s, a commit each): (the feeds removed, in the order given, items deleted,
        matches deleted). An id no longer watched (removed meanwhile) is left out, not an error."""
        removed: list[WatchedFeed] = []
        items = matches = 0
        with writing(self.engine) as conn:
            for chunk in chunks(list(dict.fromkeys(feed_ids)), 500):
                rows = {r.id: feed_from(r) for r in conn.execute(sa.select(WF).where(WF.c.id.in_(chunk)))}
                removed += [rows[i] for i in chunk if i in rows]
                item_ids = sa.select(I.c.id).where(I.c.feed_id.in_(chunk))
                matches += int(conn.execute(M.delete().where(M.c.item_id.in_(item_ids))).rowcount or 0)
                items += int(conn.execute(I.delete().where(I.c.feed_id.in_(chunk))).rowcount or 0)
                conn.execute(WF.delete().where(WF.c.id.in_(chunk)))
        return removed, items, matches

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
        if title:
            values |= {"title": title, "title_given": True}
        elif title is not None:
            values |= _own_title()
        if tags is not None:
            values["tags"] = json.dumps(list(tags), ensure_ascii=False)
        if interval is not None:
            values |= {"interval_s": interval, **_rescheduled(current, interval)}
        if origin is not None:
            values["origin"] = origin
        if enabled is True and not current.enabled:
            values |= {"enabled": True, "disabled_reason": None, "failures": 0, "failing_since": None}
            values |= {"next_check": None, "last_error": None}
        elif enabled is False and current.enabled:
            values |= {"enabled": False, "disabled_reason": DISABLED_BY_HAND}
        if values:
            with writing(self.engine) as conn:
                if not conn.execute(WF.update().where(WF.c.id == feed_id).values(**values)).rowcount:
                    raise NotFoundError(f"not watching #{feed_id} (see `feeds watch list`)")
        return self.feed(feed_id)

    def pause_gone(self, feed_id: int, reason: str) -> WatchedFeed:
        """Pause a feed as a `410 Gone` pauses it (`reason` saying when), without fetching it: a feed imported from
        an export where it was gone (`feeds:pausedReason`), so that it is not fetched again and is still `gone`
        (its last status a 410) for `feeds status` and `watch remove --cause gone`."""
        with writing(self.engine) as conn:
            values = {"enabled": False, "disabled_reason": reason, "last_status": "410", "next_check": None}
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


def _own_title() -> dict[str, Any]:
    """The values that hand a feed's title back to the feed: blank until the next check reads its body again (not
    a 304, not "unchanged") and takes the title it names itself by (the caller may keep a title meanwhile)."""
    return {"title": "", "title_given": False, "etag": None, "last_modified": None, "body_digest": None}


def _rescheduled(feed: WatchedFeed, interval: float) -> dict[str, Any]:
    """The next check of a feed whose interval becomes `interval`: counted from its last check (due at once if
    that is past), so that a feed set from 2 h to 10 min is not left waiting out the 2 h. A feed never checked
    is due already, and one failing keeps its back-off."""
    if feed.interval == interval or feed.last_checked is None or feed.failures:
        return {}
    return {"next_check": feed.last_checked + timedelta(seconds=interval)}
