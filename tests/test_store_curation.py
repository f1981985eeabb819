"""Store contract for a press officer's corrections (`feeds/store/curation.py`: matches dismissed, restored, added
by hand) on SQLite and PostgreSQL: what a dismissal covers, and that nothing matching does later undoes it."""

from __future__ import annotations

import threading
from dataclasses import replace
from datetime import timedelta

import pytest
import sqlalchemy as sa

from feeds.errors import ExistsError, NotFoundError
from feeds.model import Match, MatchScope
from tests.store_watch_helpers import NOW, add, item

LATER = NOW + timedelta(hours=1)


def related(release: str, key: str, feed_id: int, kind: str = "related") -> Match:
    return Match(kind, release, key, feed_id, (), 0.5, f"{kind} of {release!r}")  # type: ignore[arg-type]


def _seed(store):
    """One story stored in two feeds (the second's link with a tracking parameter), related to releases r1 and r2.
    Returns (first feed, second feed, first copy's item id, second copy's item id)."""
    one, two = add(store), add(store, "https://other.example.com/feed.xml")
    ((a, _, _),) = store.upsert_items(one.id, [item("story")], NOW)
    copy = replace(item("copy"), link="https://news.example.com/story?utm_source=feed")
    ((b, _, _),) = store.upsert_items(two.id, [copy], NOW)
    found = [(a, related("r1", "story", one.id), 60.0), (b, related("r1", "copy", two.id), 60.0)]
    found += [(a, related("r2", "story", one.id), 60.0)]
    assert store.add_matches(found, NOW) == 3
    return one, two, a, b


def _ids(store, **kw):
    return sorted((m.subject, m.item.id) for m in store.matches(**kw))


def test_dismissing_a_match_dismisses_its_copies_for_that_release_only_and_restoring_brings_them_back(store):
    _, _, a, b = _seed(store)
    (named,) = [m.id for m in store.matches(subject="r1") if m.item.id == a]
    done = store.dismiss_matches([named], LATER, by="Ana", reason="football")
    assert done.ids[0] == named and len(done.ids) == 2  # (the copy in the other feed too)
    assert _ids(store) == [("r2", a)]
    assert _ids(store, dismissed=True) == [("r1", a), ("r1", b)]
    gone = store.matches(dismissed=True)[0]
    assert (gone.dismissed_at, gone.dismiss_reason, gone.curated_by) == (LATER, "football", "Ana")
    assert store.count_matches() == 1 and store.match_counts("related") == {"r2": (1, NOW)}
    assert store.curation_state() == LATER
    with pytest.raises(ExistsError, match=f"match #{named} was dismissed already"):
        store.dismiss_matches([named], LATER, by=None, reason=None)
    with pytest.raises(NotFoundError, match="no match #999"):
        store.dismiss_matches([999], LATER, by=None, reason=None)

    back = store.restore_matches([named], LATER + timedelta(minutes=1), by="Ben")
    assert sorted(back.ids) == sorted(done.ids)
    assert _ids(store) == [("r1", a), ("r1", b), ("r2", a)] and _ids(store, dismissed=True) == []
    assert store.curation_state() == LATER + timedelta(minutes=1)
    with pytest.raises(ExistsError, match="is not dismissed"):
        store.restore_matches([named], LATER, by=None)


def test_nothing_matching_does_later_brings_a_dismissed_match_back(store):
    """Stored again (a re-poll, retro-matching), removed as no longer made (a changed item, a rule narrowed, an own
    domain), found as another kind (a pickup) or in a feed added since: it stays dismissed."""
    one, _, a, b = _seed(store)
    store.dismiss_matches([m.id for m in store.matches(subject="r1")][:1], LATER, by=None, reason="wrong")
    assert store.add_matches([(a, related("r1", "story", one.id), None)], LATER) == 0
    # a changed item no longer related: the dismissed row stays (it is what keeps the match from coming back)
    store.rematch([], LATER, changed=[a], scope=MatchScope(releases=frozenset({"r1", "r2"})))
    store.drop_matches([m.id for m in store.matches(dismissed=True)])
    assert len(store.matches(dismissed=True)) == 2
    assert store.add_matches([(a, related("r1", "story", one.id), None)], LATER) == 0
    # now a pickup of the same release, and a third feed's copy: dismissed as they are stored, not counted
    three = add(store, "https://third.example.com/feed.xml")
    ((c, _, _),) = store.upsert_items(
        three.id, [replace(item("third"), link="https://www.news.example.com/story/")], NOW
    )
    assert store.add_matches([(a, related("r1", "story", one.id, "pickup"), None)], LATER) == 0
    assert (
        store.add_matches(
            [(c, related("r1", "third", three.id), None), (c, related("r3", "third", three.id), None)], LATER
        )
        == 1
    )
    assert _ids(store) == [("r3", c)]
    kinds = sorted((m.kind, m.item.id, m.dismiss_reason) for m in store.matches(dismissed=True))
    assert kinds == [("pickup", a, "wrong"), ("related", a, "wrong"), ("related", b, "wrong"), ("related", c, "wrong")]
    # kept by retention, which removes the other matches of their age
    assert store.prune_matches(LATER + timedelta(days=400)) == 1
    assert len(store.matches(dismissed=True)) == 4


def test_a_dismissed_match_s_pending_alerts_are_cancelled_and_it_is_never_queued(store):
    from feeds.store.alerts import NewDelivery

    _seed(store)
    first = store.matches(subject="r1")[0]
    store.enqueue_deliveries("desk", [NewDelivery(first.id, "k1", NOW)], NOW)
    store.dismiss_matches([first.id], LATER, by=None, reason=None)
    assert [d.status for d in store.deliveries(match_id=first.id)] == ["cancelled"]
    queued = {c.match_id for c in store.unqueued_matches("desk", since=NOW)}
    assert queued == {m.id for m in store.matches()}  # (r2's only)


def test_coverage_added_by_hand_is_stored_once_and_not_when_the_release_lists_the_article_already(store):
    one, _, a, b = _seed(store)
    ((d, _, _),) = store.upsert_items(one.id, [item("missed", h="h2")], NOW)
    added = store.add_manual_match(d, "r1", LATER, why="added by hand by Ana", by="Ana", delay=120.0)
    (m,) = store.matches(kind="manual")
    assert (m.id, m.subject, m.why, m.curated_by, m.delay, m.found_at) == (
        added,
        "r1",
        "added by hand by Ana",
        "Ana",
        120.0,
        LATER,
    )
    assert store.unqueued_matches("desk", since=NOW) and added not in {
        c.match_id for c in store.unqueued_matches("desk", since=NOW)
    }
    with pytest.raises(ExistsError, match=f"match #{added} \\(manual\\)"):
        store.add_manual_match(d, "r1", LATER, why="again", by=None, delay=None)
    with pytest.raises(ExistsError, match="\\(related\\)"):
        store.add_manual_match(b, "r2", LATER, why="copy", by=None, delay=None)  # (a copy of r2's related story)
    with pytest.raises(NotFoundError, match="no stored item #999"):
        store.add_manual_match(999, "r1", LATER, why="x", by=None, delay=None)
    # never taken away by matching: a changed item's matches brought up to date leave it
    store.rematch([], LATER, changed=[d], scope=MatchScope(releases=frozenset({"r1"})))
    assert [x.id for x in store.matches(kind="manual")] == [added]
    assert [s.id for s in store.items_at("https://news.example.com/missed?utm_campaign=x")] == [d]
    assert [s.id for s in store.items_at("https://news.example.com/story")] == [a, b]
    assert store.items_at("https://news.example.com/nothing") == []


@pytest.mark.postgres
def test_a_poll_storing_the_match_being_dismissed_stores_nothing(pg_url):
    """Two daemons on PostgreSQL: a poll stores the same match while a dismissal of it is under way (its
    transaction open, the row updated); whichever commits first, the poll stores nothing and the match stays
    dismissed, never a second live copy (the row is never deleted, so its unique key is always there to meet)."""
    from feeds.store import open_store

    store = open_store(pg_url)
    store.migrate(NOW)
    try:
        one, _, a, _ = _seed(store)
        (target,) = [m.id for m in store.matches(subject="r1") if m.item.id == a]
        results: list[int] = []
        poll = threading.Thread(
            target=lambda: results.append(store.add_matches([(a, related("r1", "story", one.id), None)], LATER))
        )
        with store.engine.connect() as conn, conn.begin():
            conn.execute(sa.text("UPDATE matches SET dismissed_at = :at WHERE id = :id"), {"at": LATER, "id": target})
            poll.start()
        poll.join(30)
        assert results == [0]
        assert [m.id for m in store.matches(dismissed=True)] == [target]
        assert all(m.id != target for m in store.matches())
    finally:
        store.close()


def test_a_rule_added_under_a_name_its_dismissals_were_kept_under_but_for_case_takes_them(store):
    """Only the dismissed matches go over (a former rule's live ones stay its own), and never onto an item the new
    name has a match of already."""
    one = add(store)
    (a, _, _), (b, _, _), (c, _, _) = store.upsert_items(one.id, [item("a"), item("b"), item("c")], NOW)

    def kw(name: str, key: str) -> Match:
        return Match("keyword", name, key, one.id, (), 1.0, f"matched {name!r}")

    found = [(a, kw("lavrov", "a"), None), (b, kw("lavrov", "b"), None), (c, kw("lavrov", "c"), None)]
    found += [(a, kw("Lavrov", "a"), None)]
    assert store.add_matches(found, NOW) == 4
    ids = {(m.subject, m.item.id): m.id for m in store.matches()}
    store.dismiss_matches([ids["lavrov", a], ids["lavrov", b], ids["Lavrov", a]], LATER, by=None, reason=None)
    assert store.former_rule_names() == ["lavrov"] and store.former_rule_names(dismissed=True) == ["Lavrov", "lavrov"]

    store.add_rule("Lavrov", "lavrov", origin="cli", now=LATER)
    assert sorted((m.subject, m.item.id) for m in store.matches(dismissed=True)) == [
        ("Lavrov", a),
        ("Lavrov", b),
        ("lavrov", a),  # (the new name has a dismissed match of that item already)
    ]
    assert [(m.subject, m.item.id) for m in store.matches()] == [("lavrov", c)]

    # removed again: its live matches go, its dismissed ones stay (and are no former rule's)
    assert store.add_matches([(c, kw("Lavrov", "c"), None)], LATER) == 1
    _, gone = store.remove_rule("Lavrov")
    assert gone == 1 and len(store.matches(dismissed=True)) == 3
    assert store.former_rule_names() == ["lavrov"]
    assert store.remove_former_rule_matches("lavrov") == 1
    assert store.former_rule_names() == [] and len(store.matches(dismissed=True)) == 3
