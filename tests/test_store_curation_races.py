"""A dismissal and a poll storing a copy of the dismissed article at the same moment, on PostgreSQL (two daemons,
or a daemon's poll job and a press officer's command): whichever order their statements interleave in, the copy
ends up dismissed, never published (`feeds/store/curation.py`). Each order is forced: one side's transaction is
held open at the step between its two statements while the other runs on another connection, and let go only
once the other has finished or is provably waiting for it (`pg_locks`). On SQLite both take the write lock up
front (`feeds.store.tx`), so neither can run between the other's steps."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import replace

import pytest
import sqlalchemy as sa

from feeds.model import Match
from feeds.store.curation import dismiss_in
from feeds.store.matches import add_matches_in
from feeds.store.tx import writing
from tests.store_watch_helpers import NOW, add, item


def related(release: str, key: str, feed_id: int) -> Match:
    return Match("related", release, key, feed_id, (), 0.5, f"related to {release!r}")


@pytest.fixture(params=[pytest.param("postgres", marks=pytest.mark.postgres)])
def two_daemons(request):
    """Two stores on one PostgreSQL database (two daemons' connection pools), migrated."""
    from feeds.store import open_store

    url = request.getfixturevalue("pg_url")
    office, poller = open_store(url), open_store(url)
    office.migrate(NOW)
    yield office, poller
    office.close()
    poller.close()


def _story(store):
    """The story in one feed, related to release r1 (stored), and the copy a second feed is about to store:
    (the stored match's id, the copy's (item id, match) ready for `add_matches`)."""
    one, two = add(store), add(store, "https://other.example.com/feed.xml")
    ((a, _, _),) = store.upsert_items(one.id, [item("story")], NOW)
    assert store.add_matches([(a, related("r1", "story", one.id), 60.0)], NOW) == 1
    copy = replace(item("copy"), link="https://news.example.com/story?utm_source=feed")
    ((b, _, _),) = store.upsert_items(two.id, [copy], NOW)
    (first,) = store.matches()
    return first.id, (b, related("r1", "copy", two.id), 60.0)


def _run_until_done_or_waiting(job: Callable[[], object], engine: sa.Engine) -> tuple[threading.Thread, list]:
    """Run `job` on another thread until it has finished or is waiting for a lock (its backend's lock not
    granted, as PostgreSQL's own view says): the moment the held-open transaction may go on. Returns the thread
    and a list that gets whether it was waiting then, followed by what `job` returned once it has."""
    out: list = []
    worker = threading.Thread(target=lambda: out.append(job()))
    worker.start()
    with engine.connect() as conn:
        waiting = sa.text("SELECT count(*) FROM pg_locks WHERE NOT granted AND database = "
                          "(SELECT oid FROM pg_database WHERE datname = current_database())")  # fmt: skip
        for _ in range(3000):  # (bounded: 30 s at most, which a deadlock would take)
            worker.join(0.01)
            if not worker.is_alive() or conn.execute(waiting).scalar_one():
                break
            conn.rollback()
        out.insert(0, worker.is_alive())
    return worker, out


def test_a_copy_stored_while_the_dismissal_is_under_way_is_dismissed(two_daemons):
    """The dismissal has read the article's matches and marked them, not yet committed; a poll stores a copy
    (another feed's) and looks for a dismissal of it: it must not find none and publish the copy."""
    office, poller = two_daemons
    target, copy = _story(office)
    with writing(office.engine) as conn:
        dismiss_in(conn, [target], NOW, by="Ana", reason="wrong")
        worker, added = _run_until_done_or_waiting(lambda: poller.add_matches([copy], NOW), office.engine)
    worker.join(30)
    assert added == [True, 0]  # (the poll waited for the dismissal, then stored the copy dismissed: not new)
    assert office.matches() == []
    assert sorted(m.item.id for m in office.matches(dismissed=True)) == sorted([copy[0], office_item(office, target)])


def test_a_copy_being_stored_when_the_dismissal_starts_is_dismissed_with_the_others(two_daemons):
    """The poll has stored the copy and found no dismissal of it, not yet committed; the dismissal reads the
    article's matches: it must not miss the copy."""
    office, poller = two_daemons
    target, copy = _story(office)
    with writing(poller.engine) as conn:
        assert add_matches_in(conn, [copy], NOW) == 1
        worker, done = _run_until_done_or_waiting(
            lambda: office.dismiss_matches([target], NOW, by="Ana", reason="wrong"), office.engine
        )
    worker.join(30)
    assert done[0] is True  # (the dismissal waited for the poll's commit)
    assert len(done[1].ids) == 2  # (the copy among them)
    assert office.matches() == []
    assert len(office.matches(dismissed=True)) == 2


def test_a_copy_stored_while_a_restore_is_under_way_is_restored_with_the_others(two_daemons):
    office, poller = two_daemons
    target, copy = _story(office)
    office.dismiss_matches([target], NOW, by=None, reason=None)
    with writing(poller.engine) as conn:
        assert add_matches_in(conn, [copy], NOW) == 0  # (stored dismissed, as its sibling is)
        worker, done = _run_until_done_or_waiting(lambda: office.restore_matches([target], NOW, by=None), office.engine)
    worker.join(30)
    assert done[0] is True and len(done[1].ids) == 2
    assert office.matches(dismissed=True) == [] and len(office.matches()) == 2


def test_a_copy_being_stored_as_a_dismissal_whose_feed_is_away_is_restored_is_restored_with_it(two_daemons):
    """The dismissal's feeds were removed, so only its record is kept; a poll of another feed stores a copy and
    finds the record (the copy stored dismissed), not yet committed, as the press officer restores it by its
    address: the restore waits for the poll and restores the copy too, never leaving it dismissed."""
    office, poller = two_daemons
    target, copy = _story(office)
    office.dismiss_matches([target], NOW, by="Ana", reason="wrong")
    office.remove_feed(next(f.id for f in office.feeds() if f.url != "https://other.example.com/feed.xml"))
    with writing(poller.engine) as conn:
        assert add_matches_in(conn, [copy], NOW) == 0  # (stored dismissed, from the record)
        worker, done = _run_until_done_or_waiting(
            lambda: office.restore_kept("release", "r1", "https://news.example.com/story", NOW, by="Ben"),
            office.engine,
        )
    worker.join(30)
    assert done[0] is True and len(done[1]) == 1  # (the restore waited for the poll's commit)
    assert office.matches(dismissed=True) == [] and [m.item.id for m in office.matches()] == [copy[0]]
    assert office.kept_dismissals() == []


def office_item(store, match_id: int) -> int:
    with store.engine.connect() as conn:
        return int(conn.execute(sa.text("SELECT item_id FROM matches WHERE id = :i"), {"i": match_id}).scalar_one())


@pytest.mark.parametrize("first", ["poll", "dismissal"])
def test_on_sqlite_neither_runs_between_the_other_s_steps(tmp_path, first):
    """Both take SQLite's write lock up front (BEGIN IMMEDIATE): with one held open between its two steps, the
    other cannot begin (waited for, here refused at once: no busy timeout), so neither reads before the other's
    commit."""
    from feeds.store import open_store

    url = f"sqlite:///{tmp_path / 'feeds.db'}"
    office, poller = open_store(url), open_store(url)
    office.migrate(NOW)
    try:
        target, copy = _story(office)
        held, other = (poller, office) if first == "poll" else (office, poller)
        with writing(held.engine) as conn:
            if first == "poll":
                add_matches_in(conn, [copy], NOW)
            else:
                dismiss_in(conn, [target], NOW, by=None, reason=None)
            with other.engine.connect() as them:
                them.exec_driver_sql("PRAGMA busy_timeout = 0")
                them.commit()
                them.execution_options(immediate=True)
                with pytest.raises(sa.exc.OperationalError, match="database is locked"), them.begin():
                    if first == "poll":
                        dismiss_in(them, [target], NOW, by=None, reason=None)
                    else:
                        add_matches_in(them, [copy], NOW)
                them.invalidate()  # (not back to the pool without its busy timeout)
    finally:
        office.close()
        poller.close()
