"""Store contract for the record of dismissals (`feeds/store/dismissals.py`) on SQLite and PostgreSQL: a press
officer's dismissal outlives the item it was made on (its feed removed and added again, the article coming through
another feed), until it is restored or its release taken down; an older database's dismissals are carried over."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

import pytest
import sqlalchemy as sa

from feeds.errors import NotFoundError
from feeds.model import Match
from feeds.store import open_store
from feeds.store import schema as schema_mod
from tests.store_watch_helpers import NOW, add, item

LATER = NOW + timedelta(hours=1)
FEED = "https://news.example.com/feed.xml"
OTHER = "https://other.example.com/feed.xml"


def related(release: str, key: str, feed_id: int, kind: str = "related") -> Match:
    return Match(kind, release, key, feed_id, (), 0.5, f"{kind} of {release!r}")  # type: ignore[arg-type]


def keyword(rule: str, key: str, feed_id: int) -> Match:
    return Match("keyword", rule, key, feed_id, (), 1.0, f"matches {rule!r}")


def _poll(store, url: str, it=None, *, matches=("r1",), title: str = "News"):
    """The feed at `url` (added when it is not watched), its item `it` stored, and matched as related to
    `matches`: (the feed, the item id, how many matches were new and live)."""
    feed = next((f for f in store.feeds() if f.url == url), None) or store.add_feed(
        url, title=title, tags=(), interval=1800, origin="cli", now=NOW
    )
    it = it or item("story")
    ((item_id, _, _),) = store.upsert_items(feed.id, [it], NOW)
    found = [(item_id, related(r, it.key, feed.id), 60.0) for r in matches]
    return feed, item_id, store.add_matches(found, LATER)


def _dismiss_story(store, *, reason="football", by="Ana"):
    feed, _, new = _poll(store, FEED, matches=("r1", "r2"))
    assert new == 2
    (named,) = [m.id for m in store.matches(subject="r1")]
    store.dismiss_matches([named], LATER, by=by, reason=reason)
    return feed


def _state(store):
    live = sorted((m.subject, m.item.feed_title) for m in store.matches())
    gone = sorted((m.subject, m.item.feed_title, m.dismiss_reason, m.curated_by) for m in store.matches(dismissed=True))
    return live, gone


def test_a_dismissal_outlives_its_feed_removed_and_added_again(store):
    feed = _dismiss_story(store)
    store.remove_feed(feed.id)
    assert _state(store) == ([], [])
    (kept,) = store.kept_dismissals()
    assert (kept.side, kept.subject, kept.kind, kept.title, kept.link, kept.feed_title, kept.feed_url) == (
        "release", "r1", "related", "Title", "https://news.example.com/story", "News", FEED,
    )  # fmt: skip
    assert (kept.dismissed_at, kept.dismiss_reason, kept.curated_by) == (LATER, "football", "Ana")
    assert store.kept_dismissals(side="rule") == [] and store.kept_dismissals(subject="r2") == []

    _, _, new = _poll(store, FEED, matches=("r1", "r2"))  # (a new feed row: on SQLite, under the same id)
    assert new == 1  # (r2's only: r1's is dismissed as it is stored, and not counted)
    assert _state(store) == ([("r2", "News")], [("r1", "News", "football", "Ana")])
    (back,) = store.matches(dismissed=True)
    assert back.dismissed_at == LATER
    assert store.kept_dismissals() == []  # (a stored match shows it again)
    assert store.count_matches() == 1 and store.match_counts("related") == {"r2": (1, LATER)}


def test_the_article_coming_through_another_feed_later_is_dismissed_as_it_is_stored(store):
    store.remove_feed(_dismiss_story(store).id)
    copy = replace(item("copy"), link="https://www.news.example.com/story/?utm_source=rss")
    _, _, new = _poll(store, OTHER, copy, title="Other")
    assert new == 0
    assert _state(store) == ([], [("r1", "Other", "football", "Ana")])
    # another story, or the same one for another release, is no business of the dismissal
    _, _, new = _poll(store, OTHER, item("another", h="h2"), matches=("r1",))
    assert new == 1


def test_an_item_with_no_web_address_is_the_same_article_by_its_feed_s_address_and_key(store):
    bare = replace(item("k-1"), link=None, guid="k-1")
    feed, _, _ = _poll(store, FEED, bare)
    store.dismiss_matches([m.id for m in store.matches()], LATER, by=None, reason=None)
    store.remove_feed(feed.id)
    assert [d.key for d in store.kept_dismissals()] == ["k-1"]
    assert _poll(store, FEED, bare)[2] == 0  # the same feed, added again: its item is the dismissed one
    assert _poll(store, OTHER, bare)[2] == 1  # the same key in another feed is another article


def test_restored_while_its_feed_is_away_the_next_copy_stored_is_live(store):
    store.remove_feed(_dismiss_story(store).id)
    with pytest.raises(NotFoundError, match="no dismissal of release r2 is recorded"):
        store.restore_kept("release", "r2", "https://news.example.com/story", LATER, by=None)
    (done,) = store.restore_kept("release", "r1", "https://news.example.com/story?utm_source=x", LATER, by="Ben")
    assert (done.subject, done.title) == ("r1", "Title")
    assert store.kept_dismissals() == []
    assert _poll(store, FEED, matches=("r1",))[2] == 1
    assert _state(store) == ([("r1", "News")], [])


def test_restored_once_back_the_match_is_live_and_stays_so_when_the_feed_goes_and_comes_again(store):
    store.remove_feed(_dismiss_story(store).id)
    _poll(store, FEED, matches=("r1",))
    (back,) = store.matches(dismissed=True)
    store.restore_matches([back.id], LATER, by="Ben")
    assert _state(store)[1] == [] and store.kept_dismissals() == []
    store.remove_feed(next(f for f in store.feeds() if f.url == FEED).id)
    assert _poll(store, FEED, matches=("r1",))[2] == 1


def test_dismissed_again_the_record_says_the_latest_reason_once(store):
    feed = _dismiss_story(store, reason="first")
    (m,) = store.matches(dismissed=True)
    store.restore_matches([m.id], LATER, by=None)
    store.dismiss_matches([m.id], LATER + timedelta(minutes=5), by="Ben", reason="second")
    store.remove_feed(feed.id)
    (kept,) = store.kept_dismissals()
    assert (kept.dismiss_reason, kept.curated_by) == ("second", "Ben")


def test_a_rule_s_dismissal_outlives_the_rule_and_the_feed_and_the_rule_back_in_another_case_meets_it(store):
    feed = add(store)
    ((a, _, _),) = store.upsert_items(feed.id, [item("story")], NOW)
    store.add_rule("lavrov", "lavrov", origin="cli", now=NOW)
    assert store.add_matches([(a, keyword("lavrov", "story", feed.id), None)], NOW) == 1
    store.dismiss_matches([store.matches()[0].id], LATER, by=None, reason="old")
    store.remove_feed(feed.id)
    store.remove_rule("lavrov")
    assert [(d.side, d.subject) for d in store.kept_dismissals()] == [("rule", "lavrov")]
    assert store.former_rule_names(dismissed=True) == ["lavrov"]
    store.add_rule("Lavrov", "lavrov", origin="cli", now=NOW)
    assert store.former_rule_names(dismissed=True) == []
    feed = add(store)
    ((a, _, _),) = store.upsert_items(feed.id, [item("story")], NOW)
    assert store.add_matches([(a, keyword("Lavrov", "story", feed.id), None)], LATER) == 0
    assert [(m.subject, m.dismiss_reason) for m in store.matches(dismissed=True)] == [("Lavrov", "old")]


def test_retention_never_prunes_a_dismissal_record(store):
    store.remove_feed(_dismiss_story(store).id)
    store.prune_matches(LATER + timedelta(days=4000))
    store.prune_items(LATER + timedelta(days=4000))
    assert len(store.kept_dismissals()) == 1


def test_a_poll_storing_no_new_match_reads_no_dismissal_and_one_storing_some_reads_them_once(store):
    """The poll path's cost: a round that stores nothing new runs no statement on the records; one that stores
    matches, one lookup on the index of their subjects (and one more, reading the new matches' articles, only
    when a record of their subjects is kept)."""
    feed, a, _ = _poll(store, FEED, matches=("r1",))
    seen: list[str] = []
    sa.event.listen(store.engine, "before_cursor_execute", lambda *args: seen.append(args[2]))
    assert store.add_matches([(a, related("r1", "story", feed.id), None)], LATER) == 0  # (stored already)
    assert not [s for s in seen if "dismissals" in s]
    seen.clear()
    assert store.add_matches([(a, related("r9", "story", feed.id), None)], LATER) == 1
    assert len([s for s in seen if "dismissals" in s]) == 1
    plan = "EXPLAIN QUERY PLAN " if store.engine.dialect.name == "sqlite" else "EXPLAIN "
    with store.engine.connect() as conn:
        said = " ".join(str(r) for r in conn.exec_driver_sql(plan + "SELECT id FROM dismissals WHERE subject = 'r9'"))
    assert "ix_dismissals_subject" in said or "Seq Scan" in said  # (PostgreSQL scans a table this small)


def _at_37(url: str) -> None:
    """The database at `url` as feeds made it at schema version 37: no record of dismissals."""
    with sa.create_engine(url).begin() as conn:
        conn.exec_driver_sql("DROP TABLE dismissals")
        conn.execute(schema_mod.schema_migrations.delete().where(schema_mod.schema_migrations.c.version > 37))


def test_an_older_database_s_dismissals_are_carried_over_and_outlive_their_feed(db_url):
    store = open_store(db_url)
    store.migrate(NOW)
    feed = _dismiss_story(store, reason="football", by="Ana")
    _poll(store, OTHER, replace(item("copy"), link="https://news.example.com/story?at_medium=RSS"), title="Other")
    assert len(store.matches(dismissed=True)) == 2  # (the copy, dismissed as it was stored)
    store.close()
    _at_37(db_url)

    store = open_store(db_url)
    assert [m.version for m in store.migrate(LATER)][:1] == [38]  # (and any later one)
    try:
        assert store.kept_dismissals() == []  # (the dismissed matches show them)
        store.remove_feed(feed.id)
        store.remove_feed(next(f for f in store.feeds() if f.url == OTHER).id)
        (kept,) = store.kept_dismissals()  # (two records, one per copy: one article, listed once)
        assert (kept.subject, kept.dismiss_reason, kept.curated_by) == ("r1", "football", "Ana")
        assert kept.dismissed_at == LATER
        assert _poll(store, FEED, matches=("r1", "r2"))[2] == 1
        assert _state(store) == ([("r2", "News")], [("r1", "News", "football", "Ana")])
    finally:
        store.close()
