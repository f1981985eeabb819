"""Store operations on the items of watched feeds: storing a check's items (new, changed, renamed, still listed),
reading them back with their feed's title and tags, and pruning the old ones nothing needs.

Items are unique per (feed, key): storing one body twice is harmless, and of two workers storing one feed's items
at once, whoever inserts an item first reports it as new (ON CONFLICT DO NOTHING). A new key whose text is a stored
item's (a feed that gives an item a new guid on every request) renames that item rather than adding it again.

What this module must not do: parse items or decide whether one changed beyond its content hash (`feeds.watch`
does), nor store matches (`matches.py`). `ITEM_COLUMNS` and `stored_item_from` are the one reading of an item row,
shared by the matches and the alert deliveries.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any

import sqlalchemy as sa

from feeds.model import StoredItem, WatchItem
from feeds.normalise.ids import watch_item_hash
from feeds.store.entryids import ENTRY_KEY
from feeds.store.newitems import insert_new, item_row
from feeds.store.rows import chunks
from feeds.store.schema import entry_ids as EI
from feeds.store.schema import items as I
from feeds.store.schema import matches as M
from feeds.store.schema import watched_feeds as WF
from feeds.store.tx import writing

ITEM_COLUMNS = (
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
    I.c.language,
    WF.c.title.label("feed_title"),
    WF.c.tags.label("feed_tags"),
)


def stored_item_from(row: Any) -> StoredItem:
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
        language=m["language"],
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


class ItemStoreMixin:
    """Mixed into `Store`; relies on its `engine`."""

    engine: sa.Engine

    def upsert_items(self, feed_id: int, found: Sequence[WatchItem], now: datetime) -> list[tuple[int, WatchItem, str]]:
        """Store new items and update changed ones; return (item id, item, "new" | "changed") for those."""
        if not found:
            return []
        with writing(self.engine) as conn:
            return upsert_items_in(conn, feed_id, found, now)

    def stored_items(
        self, *, since: datetime | None = None, ids: Sequence[int] | None = None, limit: int | None = None
    ) -> list[StoredItem]:
        q = sa.select(*ITEM_COLUMNS).join(WF, WF.c.id == I.c.feed_id)
        if since is not None:
            q = q.where(sa.or_(I.c.published >= since, I.c.first_seen >= since))
        if ids is not None:
            q = q.where(I.c.id.in_(list(ids)))
        q = q.order_by(I.c.published.desc(), I.c.id.desc())
        if limit is not None:
            q = q.limit(limit)
        with self.engine.connect() as conn:
            return [stored_item_from(r) for r in conn.execute(q)]

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
        base = sa.select(*ITEM_COLUMNS).join(WF, WF.c.id == I.c.feed_id)
        base = base.where(sa.or_(I.c.published >= since, I.c.first_seen >= since))
        base = base.order_by(I.c.published.desc(), I.c.id.desc()).limit(page)
        q = base
        while True:
            with self.engine.connect() as conn:
                rows = [stored_item_from(r) for r in conn.execute(q)]
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


# --- the statements, on a connection inside a write transaction (`upsert_items`, `claims.py`'s `record_fetched`) ---

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


def upsert_items_in(
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
    (its first check, or every one so far failed), so none is stored under these keys nor can be renamed, and
    the queries for them are left out."""
    if not found:
        return []
    by_key = {it.key: it for it in found}
    out: list[tuple[int, WatchItem, str]] = []
    # A feed that never stored an item has none under these keys either: its first check (every feed of a large
    # import's first poll) leaves the query out. (An item a stale worker inserts meanwhile is not returned by the
    # INSERT below, ON CONFLICT DO NOTHING, and is not reported, as when the query ran before it committed.)
    existing: dict[str, tuple[int, str]] = {}
    if not none_stored:
        existing = {k: (i, h) for k, i, h in conn.execute(_STORED_KEYS, {"feed_id": feed_id, "keys": list(by_key)})}
    fresh = [it for key, it in by_key.items() if key not in existing]
    same: list[int] = []
    if new_only:
        existing = {}
    if fresh and not none_stored:
        renamed = _renamed(conn, feed_id, fresh, by_key)
        for it in fresh:
            if it.key in renamed and not new_only:  # (a stale worker's item under a new key is not new either)
                # (its hash too: that of an item also dated anew, `_renamed_and_redated`; its dates stay)
                conn.execute(
                    I.update()
                    .where(I.c.id == renamed[it.key])
                    .values(key=it.key, guid=it.guid, content_hash=it.content_hash)
                )
                same.append(renamed[it.key])
        fresh = [it for it in fresh if it.key not in renamed]
    ids: dict[str, int] = {}
    if fresh:
        # ON CONFLICT DO NOTHING: a worker whose lease expired mid-check may be storing the same feed's
        # items at this moment; whoever inserts an item first reports it as new, the other skips it.
        ids = insert_new(conn, feed_id, fresh, now)
        out += [(ids[it.key], it, "new") for it in fresh if it.key in ids]
    redated = _redated_only(conn, [(by_key[k], ids_hash) for k, ids_hash in existing.items()])
    for key, (item_id, old_hash) in existing.items():
        it = by_key[key]
        if item_id in redated:  # only its dates moved: the same item, dated as first stored
            conn.execute(I.update().where(I.c.id == item_id).values(content_hash=it.content_hash, in_body_at=now))
        elif it.content_hash != old_hash:
            row = {**item_row(feed_id, it, now), "changed_at": now}
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


_STORED_TEXT = sa.select(I.c.id, I.c.title, I.c.link, I.c.summary, I.c.content_text, I.c.author).where(
    I.c.id.in_(sa.bindparam("ids", expanding=True))
)


def _redated_only(conn: sa.Connection, listed: Sequence[tuple[WatchItem, tuple[int, str]]]) -> set[int]:
    """The ids of the stored items, among `listed` (each with its stored id and hash), whose content hash moved
    only because the feed dates them otherwise: their stored text, hashed with the new dates, is the new hash.

    Many feeds stamp every item with the time of the request, or correct an item's date and nothing else. Taken
    as a change, each such item would be matched again on every check, its match feed entries dated anew (every
    reader shows them as updated), its date moved to the latest fetch and the poll would report it changed: what a
    reader or a rule sees of it is the same item. Read only for items whose hash differs (none, in a feed that
    dates its items once)."""
    moved = {item_id: it for it, (item_id, old_hash) in listed if it.content_hash != old_hash}
    same: set[int] = set()
    for chunk in chunks(sorted(moved), 500):
        for item_id, title, link, summary, content_text, author in conn.execute(_STORED_TEXT, {"ids": chunk}):
            it = moved[item_id]
            if watch_item_hash(title, link, summary, content_text, author, it.published, it.updated) == it.content_hash:
                same.add(item_id)
    return same


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
    left = [it for it in fresh if it.key not in renamed]
    if left:
        renamed |= _renamed_and_redated(conn, feed_id, left, current, set(renamed.values()))
    return renamed


_SAME_TITLE = (
    sa.select(I.c.id, I.c.key, I.c.title, I.c.link, I.c.summary, I.c.content_text, I.c.author)
    .where(I.c.feed_id == sa.bindparam("feed_id"), I.c.title.in_(sa.bindparam("titles", expanding=True)))
    .order_by(I.c.id)
)


def _renamed_and_redated(
    conn: sa.Connection, feed_id: int, fresh: Sequence[WatchItem], current: Mapping[str, WatchItem], taken: set[int]
) -> dict[str, int]:
    """`_renamed`, for a feed that also dates every item anew on each request (a guid and a date made of the time
    of the request): a stored item of the same title, under a key the document no longer lists, whose text hashed
    with the new dates is the new item's hash is that item. Otherwise each check would store it as new, and match
    and alert it again: an alert for every poll. Read only for items that are new by key and hash."""
    by_title: dict[str, list[WatchItem]] = {}
    for it in fresh:
        by_title.setdefault(it.title, []).append(it)
    renamed: dict[str, int] = {}
    for chunk in chunks(sorted(by_title), 500):
        for item_id, key, title, link, summary, content_text, author in conn.execute(
            _SAME_TITLE, {"feed_id": feed_id, "titles": chunk}
        ):
            if key in current or item_id in taken:
                continue
            for it in by_title[title]:
                if it.key not in renamed and it.content_hash == watch_item_hash(
                    title, link, summary, content_text, author, it.published, it.updated
                ):
                    renamed[it.key] = item_id
                    taken.add(item_id)
                    break
    return renamed
