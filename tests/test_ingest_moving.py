"""feeds.ingest.moving: a drop folder's files move one batch behind the store, in a thread, and only once their
batch committed; whatever stops a run, the batches stored before it have their files moved."""

from __future__ import annotations

import json
import threading
from pathlib import Path

import pytest

import feeds.ingest as ingest
from feeds.ingest import folder, run_ingest


def drop_releases(inbox: Path, n: int) -> list[str]:
    names = [f"r{i:02d}.json" for i in range(n)]
    for i, name in enumerate(names):
        release = {"title": f"Fisheries talks, round {i}", "body": f"Talks went on for a {i}th day in Bergen."}
        (inbox / name).write_text(json.dumps(release), encoding="utf-8")
    return names


def test_files_move_one_batch_behind_the_store_and_all_end_in_processed(app, inbox, monkeypatch):
    monkeypatch.setattr(ingest, "BATCH", 3)
    names = drop_releases(inbox, 10)
    settle = folder.settle
    seen: list[tuple[list[str], int, str]] = []  # (files settled, releases stored by then, thread)

    def watched(units, where, now):
        seen.append(([Path(u.origin).name for u in units], app.store.count_releases(), threading.current_thread().name))
        return settle(units, where, now)

    monkeypatch.setattr(folder, "settle", watched)
    steps: list[tuple[int, int]] = []
    report = run_ingest(app, progress=lambda done, total: steps.append((done, total)))

    assert [names for names, _, _ in seen] == [names[0:3], names[3:6], names[6:9], names[9:10]]
    # A batch's files move only after it committed (the next batch may be stored already: that is the overlap).
    for k, (_, stored, thread) in enumerate(seen):
        assert stored >= min(3 * (k + 1), 10)
        assert thread.startswith("feeds-move")
    assert sorted(p.name for p in (inbox / "processed").iterdir()) == names
    assert not list(inbox.glob("*.json"))
    assert [Path(o.origin).name for o in report.outcomes] == names, "outcomes in the files' order"
    assert all(o.moved_to and "processed" in o.moved_to for o in report.outcomes), report.outcomes
    assert steps == [(3, 10), (3, 10), (3, 10), (1, 10)]
    assert not [t for t in threading.enumerate() if t.name.startswith("feeds-move")], "the thread ends with the run"


def test_a_batch_that_cannot_be_stored_stays_and_the_ones_before_it_move(app, inbox, monkeypatch):
    monkeypatch.setattr(ingest, "BATCH", 3)
    names = drop_releases(inbox, 7)
    save = ingest.save_units
    calls = []

    def failing_second(*args, **kwargs):
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("the database refused the batch")
        return save(*args, **kwargs)

    monkeypatch.setattr(ingest, "save_units", failing_second)
    with pytest.raises(RuntimeError, match="refused the batch"):
        run_ingest(app)
    assert sorted(p.name for p in (inbox / "processed").iterdir()) == names[:3]
    assert sorted(p.name for p in inbox.glob("*.json")) == names[3:]
    assert app.store.count_releases() == 3
    monkeypatch.undo()
    assert run_ingest(app).count("created") == 4
    assert sorted(p.name for p in (inbox / "processed").iterdir()) == names


def test_a_crash_while_moving_duplicates_nothing_on_restart(app, inbox, monkeypatch):
    """Killed while the first batch's files move: that batch and the next are committed, their files still in the
    drop folder; the next run recognises them (the ledger) and only moves them."""
    monkeypatch.setattr(ingest, "BATCH", 3)
    names = drop_releases(inbox, 7)

    def crash(*args, **kwargs):
        raise SystemExit("killed after commit, before the move")

    monkeypatch.setattr(folder, "settle", crash)
    with pytest.raises(SystemExit):
        run_ingest(app)
    stored = app.store.count_releases()
    assert stored in (3, 6), "the run stops at the first batch's moves, one batch later at most"
    assert sorted(p.name for p in inbox.glob("*.json")) == names
    monkeypatch.undo()
    report = run_ingest(app)
    assert report.count("unchanged") == stored and report.count("created") == 7 - stored
    assert app.store.count_releases() == 7
    assert sorted(p.name for p in (inbox / "processed").iterdir()) == names


def test_a_file_moves_under_its_own_name_or_the_first_free_numbered_one_and_its_outcome_says_where(app, inbox):
    """The usual move (its own name free in processed/) and the taken one (numbered: never overwrite) name, in the
    outcome, the path the file is at; the earlier copies stay untouched."""
    processed = inbox / "processed"
    processed.mkdir()
    (processed / "r00.json").write_text("an earlier copy", encoding="utf-8")
    (processed / "r00.2.json").write_text("another", encoding="utf-8")
    drop_releases(inbox, 2)
    report = run_ingest(app)
    where = {Path(o.origin).name: o.moved_to for o in report.outcomes}
    assert where == {"r00.json": str(processed / "r00.3.json"), "r01.json": str(processed / "r01.json")}
    assert (processed / "r00.json").read_text(encoding="utf-8") == "an earlier copy"
    assert (processed / "r00.2.json").read_text(encoding="utf-8") == "another"
    assert json.loads((processed / "r00.3.json").read_text(encoding="utf-8"))["title"] == "Fisheries talks, round 0"
