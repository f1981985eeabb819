"""What a drop folder's scans remember between runs in a long-lived process (the daemon scans every minute, for
months): the folders and pictures already said in the log, the files dated ahead of the clock. Each is kept while
its file or folder is there and forgotten once it is gone, so the memory stays the size of what lingers in the
drop folders now, not of everything that ever passed through them; one gone and back is said again."""

from __future__ import annotations

import logging
import os
import shutil
import time

from feeds.ingest import folder, run_ingest

PNG = b"\x89PNG\r\n\x1a\n" + b"\0" * 64


def _said(caplog, text: str) -> int:
    return sum(text in r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)


def test_a_folder_in_a_drop_folder_is_said_once_while_it_is_there_and_again_when_it_comes_back(tmp_path, caplog):
    drafts = tmp_path / "drafts"
    drafts.mkdir()
    (drafts / "notes.txt").write_text("x", encoding="utf-8")
    with caplog.at_level(logging.WARNING):
        folder.scan(tmp_path, skipped=[])
        folder.scan(tmp_path, skipped=[])
        assert _said(caplog, "drafts") == 1
        shutil.rmtree(drafts)
        folder.scan(tmp_path, skipped=[])
        drafts.mkdir()
        (drafts / "notes.txt").write_text("x", encoding="utf-8")
        folder.scan(tmp_path, skipped=[])
    assert _said(caplog, "drafts") == 2, "back after it went: said again"


def test_folders_that_came_and_went_are_not_remembered(tmp_path):
    """A folder a day dropped by mistake and taken away again, for a year: the memo holds none of them."""
    for day in range(50):
        made = tmp_path / f"folder-{day}"
        made.mkdir()
        (made / "notes.txt").write_text("x", encoding="utf-8")
        folder.scan(tmp_path, skipped=[])
        shutil.rmtree(made)
    folder.scan(tmp_path, skipped=[])
    assert not [p for p in folder._FOLDERS_SAID if p.startswith(str(tmp_path))]


def test_a_file_dated_ahead_that_went_before_it_settled_is_forgotten(tmp_path):
    ahead: dict = {}
    later = tmp_path / "tomorrow.txt"
    later.write_text("x", encoding="utf-8")
    now = time.time()
    os.utime(later, (now + 86400, now + 86400))
    assert folder.still_changing([later], 5.0, now, tick=0.0, ahead=ahead) == {later}
    assert later in ahead
    later.unlink()  # taken away by hand before it settled: never named to still_changing again
    other = tmp_path / "other.txt"
    other.write_text("x", encoding="utf-8")
    os.utime(other, (now - 60, now - 60))
    folder.still_changing([other], 5.0, now, tick=1.0, ahead=ahead)
    assert ahead == {}


def test_a_picture_waiting_for_its_release_is_said_once_while_it_waits_and_again_when_dropped_again(app, caplog):
    inbox = app.settings.source("inbox").path
    picture = inbox / "arrival.png"
    with caplog.at_level(logging.WARNING):
        picture.write_bytes(PNG)
        run_ingest(app)
        run_ingest(app)
        assert _said(caplog, "arrival.png") == 1
        picture.unlink()
        run_ingest(app)
        picture.write_bytes(PNG)
        run_ingest(app)
    assert _said(caplog, "arrival.png") == 2, "dropped again after it went: said again"
