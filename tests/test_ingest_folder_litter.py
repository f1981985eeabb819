"""Files an operating system or an office suite writes into a shared drop folder by itself are not releases."""

from __future__ import annotations

from pathlib import Path

import pytest

from feeds.ingest import run_ingest


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


def test_a_source_path_that_is_a_file_says_so(make_settings, make_app_for, tmp_path) -> None:
    """Ingest UX review: a folder source pointed at a file (a typo: `path = "inbox.txt"`) failed with "cannot read
    the folder of source 'desk': File exists", which says nothing of what to change."""
    (tmp_path / "desk.txt").write_text("not a folder")
    app = make_app_for(make_settings('\n[[sources]]\ntype = "folder"\nname = "desk"\npath = "desk.txt"\n'))
    report = run_ingest(app)
    assert tuple(report.unreadable) == ("desk",)
    (why,) = report.why
    assert "is a file, not a folder" in why and "File exists" not in why, why


def test_a_rejection_note_moved_back_with_its_file_is_not_published(app) -> None:
    """Ingest UX review: a press officer dragging a rejected file back into the inbox together with its note
    (`ferry.json.error.txt`, beside it in rejected/) had the note published as a release titled "ferry.json was
    not ingested (…)", the server's paths in its text. A note is feeds' own file, never a release."""
    inbox: Path = app.settings.source("inbox").path
    (inbox / "ferry.json").write_text('{"title": 5}')
    assert run_ingest(app).count("rejected") == 1
    for name in ("ferry.json", "ferry.json.error.txt"):
        (inbox / "rejected" / name).rename(inbox / name)
    (inbox / "ferry.json").write_text('{"title": "Ferry fares frozen", "body": "Fares stay."}')
    report = run_ingest(app)
    assert [o.slug for o in report.outcomes] == ["ferry-fares-frozen"] and report.count("rejected") == 0
    assert (inbox / "ferry.json.error.txt").exists()


@pytest.mark.parametrize("copy", ["ferry (1).txt", "ferry - Copy.txt", "ferry copy.txt"])
def test_a_file_dropped_with_its_copy_keeps_the_release_under_its_own_name(app, copy: str) -> None:
    """Ingest UX review: "ferry.txt" dropped with its copy "ferry (1).txt" (an attachment saved twice) stored the
    release under the copy's name, read first (" " sorts before "."); the office then edited ferry.txt and got a
    second release. A name is now read before its copies, so the edit updates the release."""
    inbox: Path = app.settings.source("inbox").path
    text = "Ferry fares frozen\n\nFares stay as they are.\n"
    (inbox / "ferry.txt").write_text(text)
    (inbox / copy).write_text(text)
    first = run_ingest(app)
    assert [(Path(o.origin).name, o.status) for o in first.outcomes] == [("ferry.txt", "created"), (copy, "unchanged")]
    (inbox / "ferry.txt").write_text(text.replace("as they are", "as they are in 2027"))
    assert [o.status for o in run_ingest(app).outcomes] == ["updated"]
