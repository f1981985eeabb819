"""Builders shared by the alerts tests: stored matches for the pure tests, and real matches in a real store."""

from __future__ import annotations

import textwrap
from datetime import UTC, datetime

from feeds.alerts.select import AlertEntry
from feeds.model import Match, MatchedTerm, StoredItem, StoredMatch, WatchItem

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def watch_item(key: str, title: str, *, link: str | None = None, published: datetime = NOW) -> WatchItem:
    return WatchItem(
        key=key,
        title=title,
        link=link if link is not None else f"https://news.example.com/{key}",
        guid=key,
        summary="A short summary.",
        content_text="Body",
        author="A Reporter",
        published=published,
        updated=published,
        tags=(),
        content_hash=f"h-{key}",
    )


def stored_match(
    match_id: int,
    kind: str = "keyword",
    subject: str = "sanctions",
    *,
    title: str = "Item title",
    link: str | None = None,
    feed_title: str = "World News",
    published: datetime = NOW,
    terms: tuple[str, ...] = ("sanctions",),
) -> StoredMatch:
    item = StoredItem(
        id=match_id * 10,
        feed_id=1,
        feed_title=feed_title,
        feed_tags=(),
        item=watch_item(f"k{match_id}", title, link=link, published=published),
        published=published,
        first_seen=published,
    )
    return StoredMatch(
        id=match_id,
        kind=kind,  # type: ignore[arg-type]
        subject=subject,
        item=item,
        terms=tuple(MatchedTerm(t, "title", 0, len(t)) for t in terms),
        score=1.0,
        why=f"matched rule '{subject}' in the title",
        found_at=NOW,
        delay=None,
    )


def entry(match: StoredMatch, title: str | None = None, link: str | None = None, key: str = "") -> AlertEntry:
    return AlertEntry(match, title or match.subject, link, key or f"key{match.id}")


def add_keyword_matches(store, titles: dict[str, str], *, rule: str = "sanctions", found_at: datetime = NOW) -> None:
    """Store a watched feed, items {key: title} and a keyword match of `rule` for each, through the real store."""
    feeds = {f.url: f for f in store.feeds()}
    url = "https://news.example.com/feed.xml"
    feed = feeds.get(url) or store.add_feed(url, title="World News", tags=(), interval=1800, origin="cli", now=NOW)
    rows = store.upsert_items(feed.id, [watch_item(k, t) for k, t in titles.items()], found_at)
    found = [
        (
            item_id,
            Match("keyword", rule, it.key, feed.id, (MatchedTerm(rule, "title", 0, 5),), 1.0, f"rule '{rule}'"),
            None,
        )
        for item_id, it, _ in rows
    ]
    store.add_matches(found, found_at)


def add_coverage_match(store, key: str, title: str, release_id: str, *, found_at: datetime = NOW) -> None:
    feeds = {f.url: f for f in store.feeds()}
    url = "https://news.example.com/feed.xml"
    feed = feeds.get(url) or store.add_feed(url, title="World News", tags=(), interval=1800, origin="cli", now=NOW)
    ((item_id, it, _),) = store.upsert_items(feed.id, [watch_item(key, title)], found_at)
    store.add_matches([(item_id, Match("pickup", release_id, it.key, feed.id, (), 0.8, "picked up"), 60.0)], found_at)


def readme_verify():
    """The `verify` function README.md gives webhook receivers (its Webhooks bullet's Python block), as written."""
    import re
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("- **Webhooks** (`[[alerts.webhooks]]`)", 1)[1].split("- **Email**", 1)[0]
    (code,) = re.findall(r"```python\n(.*?)```", section, re.S)
    namespace: dict = {}
    exec(textwrap.dedent(code), namespace)  # (our own README)
    return namespace["verify"]
