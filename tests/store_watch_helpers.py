"""Shared by the store contract tests of the watch stage (`tests/test_store_watchedfeeds.py`, `test_store_claims.py`,
`test_store_items.py`, `test_store_entryids.py`, `test_store_rules.py`, `test_store_matches.py`): a fixed clock, a
lease, an item and a feed added by hand."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from feeds.model import WatchItem

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
LEASE = timedelta(minutes=5)


def item(key: str, title: str = "Title", *, published: datetime | None = NOW, h: str = "h1") -> WatchItem:
    return WatchItem(
        key=key,
        title=title,
        link=f"https://news.example.com/{key}",
        guid=key,
        summary="Summary",
        content_text="Body",
        author="Reporter",
        published=published,
        updated=published,
        tags=("world",),
        content_hash=h,
    )


def add(store, url="https://news.example.com/feed.xml", **kw):
    return store.add_feed(url, title=kw.get("title", "News"), tags=("uk",), interval=1800, origin="cli", now=NOW)
