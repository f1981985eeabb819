"""Files an operating system or an office suite writes into a shared drop folder by itself are not releases."""

from __future__ import annotations

from pathlib import Path

import pytest

from feeds.ingest import run_ingest


@pytest.fixture
def app(make_settings, make_app_for):
    return make_app_for(make_settings())


@pytest.mark.parametrize(
    "name", ["Thumbs.db", "thumbs.db", "desktop.ini", "Desktop.ini", "~$ferry fares.docx", "~$ess.txt"]
)
def test_system_and_lock_files_are_left_alone(app, name: str) -> None:
    """Ingest UX review: on a Windows share, Explorer writes Thumbs.db and desktop.ini into the inbox, and Word its
    owner file `~$name.docx` while a document is open; each was rejected ("the extension '.db' is not a release
    format") at every scan that found it, filling rejected/ with Thumbs.1.db, Thumbs.2.db… and their notes."""
    inbox: Path = app.settings.source("inbox").path
    (inbox / name).write_bytes(b"\x00\x01 not a release")
    (inbox / "ferry.txt").write_text("Ferry fares frozen\n\nFares stay as they are.\n")
    report = run_ingest(app)
    assert report.count("created") == 1 and report.count("rejected") == 0
    assert (inbox / name).exists() and not (inbox / "rejected").exists()
