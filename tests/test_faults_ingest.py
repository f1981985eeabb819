"""Faults while ingesting a drop folder: the disk full under SQLite (SQLITE_FULL, for real: `max_page_count`) and
while moving committed files to processed/ or rejected/ (ENOSPC injected at the rename). Nothing is lost, nothing is
stored twice once space returns, and the cause is said once, not once per file."""

from __future__ import annotations

import errno
import json
import logging
import os
from pathlib import Path

import pytest
import sqlalchemy as sa

from feeds.ingest import folder, run_ingest


def drop(inbox: Path, n: int, *, bad: int = 0) -> list[str]:
    names = []
    for i in range(n):
        name = f"r{i:02d}.json"
        release = {"title": f"Harbour dues, notice {i}", "body": f"The harbour board met for the {i}th time."}
        (inbox / name).write_text(json.dumps(release), encoding="utf-8")
        names.append(name)
    for i in range(bad):
        name = f"bad{i:02d}.json"
        (inbox / name).write_text("{not json", encoding="utf-8")
        names.append(name)
    return names


def _enospc_on(monkeypatch, into: str) -> list[int]:
    """os.replace raises ENOSPC for every move into `into/` (processed or rejected) while the returned flag is set."""
    real = os.replace
    on = [1]

    def replace(src, dst, *, src_dir_fd=None, dst_dir_fd=None):
        if on[0] and dst_dir_fd is not None and os.path.basename(os.readlink(f"/proc/self/fd/{dst_dir_fd}")) == into:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(src, dst, src_dir_fd=src_dir_fd, dst_dir_fd=dst_dir_fd)

    monkeypatch.setattr(folder.os, "replace", replace)
    return on


def test_disk_full_moving_to_processed_says_it_once_and_stores_nothing_twice(app, inbox, monkeypatch, caplog):
    names = drop(inbox, 6, bad=2)
    on = _enospc_on(monkeypatch, "processed")
    with caplog.at_level(logging.WARNING, logger="feeds"):
        report = run_ingest(app)
    assert app.store.count_releases() == 6
    assert sorted(p.name for p in inbox.glob("*.json")) == sorted(n for n in names if n.startswith("r"))
    errors = [r for r in caplog.records if r.levelno >= logging.ERROR and "No space left" in r.getMessage()]
    assert len(errors) == 1, [r.getMessage() for r in errors]
    assert "6 file(s)" in errors[0].getMessage()
    assert not any(r.exc_info for r in caplog.records)
    assert len(report.stuck) == 1 and "No space left on device" in report.stuck[0]

    on[0] = 0  # space returns; the next scan moves them, storing nothing again
    report = run_ingest(app)
    assert app.store.count_releases() == 6
    assert not list(inbox.glob("*.json"))
    assert sorted(p.name for p in (inbox / "processed").iterdir()) == sorted(n for n in names if n.startswith("r"))
    assert not report.stuck
    assert {o.status for o in report.outcomes} == {"unchanged"}, report.outcomes


def test_disk_full_writing_a_rejection_note_leaves_no_partial_note_behind(app, inbox, monkeypatch):
    drop(inbox, 0, bad=2)
    on = _enospc_on(monkeypatch, "rejected")
    report = run_ingest(app)
    assert report.stuck
    assert sorted(p.name for p in inbox.glob("*.json")) == ["bad00.json", "bad01.json"]
    assert [p.name for p in (inbox / "rejected").iterdir()] == [], "no hidden part of a note left in rejected/"
    on[0] = 0
    run_ingest(app)
    assert sorted(p.name for p in (inbox / "rejected").iterdir()) == [
        "bad00.json",
        "bad00.json.error.txt",
        "bad01.json",
        "bad01.json.error.txt",
    ]


def _full_database(app, on: list[int]) -> None:
    """SQLite answers SQLITE_FULL ("database or disk is full") while on[0]: no page beyond those it has."""

    @sa.event.listens_for(app.store.engine, "begin")
    def limit(conn):
        pages = conn.exec_driver_sql("PRAGMA page_count").scalar()
        conn.exec_driver_sql(f"PRAGMA max_page_count={pages if on[0] else 2**30}")


def test_database_full_while_ingesting_loses_nothing_and_stores_once_when_space_returns(
    app, inbox, make_app_for, monkeypatch
):
    names = drop(inbox, 30)
    on = [1]
    _full_database(app, on)
    with pytest.raises(Exception) as failed:
        run_ingest(app)
    from feeds.store import error_text

    text = error_text(failed.value)
    assert "full" in text and "stay where they are" in text, text
    assert sorted(p.name for p in inbox.glob("*.json")) == names
    assert not (inbox / "processed").exists() or not list((inbox / "processed").iterdir())
    on[0] = 0
    app.close()
    again = make_app_for(app.settings)  # the daemon restarted once space returned
    run_ingest(again)
    assert again.store.count_releases() == 30
    assert sorted(p.name for p in (inbox / "processed").iterdir()) == names


def test_the_inbox_deleted_while_running_is_made_again_and_one_replaced_by_a_file_is_named(app, inbox):
    import shutil

    drop(inbox, 2)
    shutil.rmtree(inbox)
    report = run_ingest(app)
    assert inbox.is_dir() and report.failure() is None
    inbox.rmdir()
    inbox.write_text("not a folder", encoding="utf-8")
    report = run_ingest(app)
    assert report.failure() is not None and "it is a file, not a folder" in report.failure(), report.failure()
    assert inbox.read_text(encoding="utf-8") == "not a folder"
