"""Pictures dropped with releases move to processed/ (or rejected/) once no release still to be read in the drop
folder may show them: shared by releases of several batches or runs, in a folder of the drop folder, read in
batches whose pictures' bytes are bounded."""

from __future__ import annotations

import hashlib
import os
import time

import pytest

import feeds.ingest as ingest
from feeds.ingest import ingest_paths, run_ingest
from tests.test_ingest_pictures import png

LOGO = png(60, 20, shade=9)


def release(title: str, picture: str = "logo.png") -> str:
    body = f"The office announced {title.lower()} today.\n\n![The office's logo]({picture})\n"
    return f"---\ntitle: {title}\n---\n\n{body}"


def shows_logo(app, slug: str, data: bytes = LOGO) -> bool:
    url = f"https://press.example.org/pictures/{hashlib.sha256(data).hexdigest()[:32]}.png"
    return f'<img src="{url}"' in app.store.release(slug).body_html


def drop_two_releases_and_their_logo(inbox) -> None:
    """a-budget.md and b-visit.md, both showing logo.png, dropped with it."""
    for name in ("a-budget", "b-visit"):
        (inbox / f"{name}.md").write_text(release(name.split("-")[1].title()), encoding="utf-8")
    (inbox / "logo.png").write_bytes(LOGO)


def test_a_picture_shown_by_releases_of_several_batches_is_shown_by_each(app, inbox, monkeypatch):
    monkeypatch.setattr(ingest, "BATCH", 1)  # (a week's drop of more than 200 files, in small)
    for name in ("a-budget", "b-visit", "c-talks"):
        (inbox / f"{name}.md").write_text(release(name.split("-")[1].title()), encoding="utf-8")
    (inbox / "logo.png").write_bytes(LOGO)
    report = run_ingest(app)
    assert [o.status for o in report.outcomes] == ["created"] * 3
    assert [o.warning for o in report.outcomes] == [None] * 3, "no release finds its picture gone"
    assert all(shows_logo(app, slug) for slug in ("budget", "visit", "talks"))
    moved = sorted(p.name for p in (inbox / "processed").iterdir())
    assert moved == ["a-budget.md", "b-visit.md", "c-talks.md", "logo.png"]
    assert sorted(p.name for p in inbox.iterdir()) == ["processed"]
    assert report.folders == ()


def test_a_picture_stays_while_a_release_of_the_drop_is_still_being_written(app, inbox):
    old = time.time() - 3600
    drop_two_releases_and_their_logo(inbox)
    for p in (inbox / "a-budget.md", inbox / "logo.png"):
        os.utime(p, (old, old))
    first = run_ingest(app, quiet=30)  # (the daemon: b-visit.md is still being copied)
    assert [o.status for o in first.outcomes] == ["created"] and first.waiting == 1
    assert (inbox / "logo.png").exists(), "the picture waits for the release still being copied"
    os.utime(inbox / "b-visit.md", (old, old))
    second = run_ingest(app, quiet=30)
    assert [(o.status, o.warning) for o in second.outcomes] == [("created", None)]
    assert shows_logo(app, "budget") and shows_logo(app, "visit")
    assert sorted(p.name for p in inbox.iterdir()) == ["processed"]


def test_a_picture_in_a_folder_of_the_drop_folder_moves_with_its_release_into_the_same_folder(app, inbox):
    (inbox / "images").mkdir()
    (inbox / "images" / "logo.png").write_bytes(LOGO)
    (inbox / "budget.md").write_text(release("Budget", "images/logo.png"), encoding="utf-8")
    report = run_ingest(app)
    assert [(o.status, o.warning) for o in report.outcomes] == [("created", None)]
    assert shows_logo(app, "budget")
    assert (inbox / "processed" / "images" / "logo.png").read_bytes() == LOGO, "the release's link still holds there"
    assert not (inbox / "images" / "logo.png").exists()
    assert report.folders == (), "a folder of pictures is read: no 'not read' note"
    assert run_ingest(app).folders == ()


def test_a_folder_of_pictures_no_release_shows_names_its_pictures_not_the_folder(app, inbox):
    (inbox / "images").mkdir()
    (inbox / "images" / "logo.png").write_bytes(LOGO)
    report = run_ingest(app)
    [note] = report.folders
    assert "images/logo.png: a picture no release in the drop folder shows" in note
    (inbox / "images" / "notes.txt").write_text("not a picture", encoding="utf-8")
    assert any("images/: a folder" in n for n in run_ingest(app).folders), "a folder holding other files is named"


def test_feeds_ingest_naming_the_drop_folder_moves_its_pictures_with_their_releases(app, inbox, monkeypatch):
    monkeypatch.setattr(ingest, "BATCH", 1)
    drop_two_releases_and_their_logo(inbox)
    report = ingest_paths(app, [inbox])
    assert [(o.status, o.warning) for o in report.outcomes] == [("created", None)] * 2
    assert sorted(p.name for p in inbox.iterdir()) == ["processed"]


def test_a_picture_another_release_left_in_the_drop_folder_shows_stays_for_it(app, inbox):
    """`feeds ingest inbox/a.md` while inbox/b.md, not named, shows the same picture: it stays for b.md."""
    drop_two_releases_and_their_logo(inbox)
    ingest_paths(app, [inbox / "a-budget.md"])
    assert (inbox / "logo.png").exists()
    assert [(o.status, o.warning) for o in run_ingest(app).outcomes] == [("created", None)]
    assert sorted(p.name for p in inbox.iterdir()) == ["processed"]


def test_a_crash_between_commit_and_moves_loses_and_duplicates_nothing(app, inbox, monkeypatch):
    from feeds.ingest import folder

    monkeypatch.setattr(ingest, "BATCH", 1)
    drop_two_releases_and_their_logo(inbox)

    def crash(*args, **kwargs):
        raise KeyboardInterrupt  # (killed after the first batch committed, before anything moved)

    monkeypatch.setattr(folder, "settle", crash)
    with pytest.raises(KeyboardInterrupt):
        run_ingest(app)
    monkeypatch.undo()
    report = run_ingest(app)
    assert sorted(o.status for o in report.outcomes) == ["created", "unchanged"]
    assert app.store.count_releases() == 2
    assert shows_logo(app, "budget") and shows_logo(app, "visit")
    assert sorted(p.name for p in inbox.iterdir()) == ["processed"]
    assert sorted(p.name for p in (inbox / "processed").iterdir()) == ["a-budget.md", "b-visit.md", "logo.png"]


def test_a_picture_replaced_between_two_releases_reads_shows_each_its_version_and_moves(app, inbox, monkeypatch):
    from feeds.ingest import parallel

    monkeypatch.setattr(ingest, "BATCH", 1)
    new = png(60, 20, shade=200)
    drop_two_releases_and_their_logo(inbox)
    read = parallel.unit_from_file

    def replace_after_the_first(path, **kwargs):
        unit = read(path, **kwargs)
        if path.name == "a-budget.md":  # (the office saves a new logo meanwhile)
            (inbox / ".logo.png.tmp").write_bytes(new)
            os.replace(inbox / ".logo.png.tmp", inbox / "logo.png")
        return unit

    monkeypatch.setattr(parallel, "unit_from_file", replace_after_the_first)
    assert [o.status for o in run_ingest(app).outcomes] == ["created"] * 2
    assert shows_logo(app, "budget", LOGO) and shows_logo(app, "visit", new)
    assert (inbox / "processed" / "logo.png").read_bytes() == new, "the version on disk was read: it moves"
    assert sorted(p.name for p in inbox.iterdir()) == ["processed"]


def test_a_picture_held_for_a_release_still_being_written_moves_at_the_next_scan_if_it_does_not_show_it(app, inbox):
    old = time.time() - 3600
    (inbox / "a-budget.md").write_text(release("Budget"), encoding="utf-8")
    (inbox / "logo.png").write_bytes(LOGO)
    (inbox / "c-note.txt").write_text("Fisheries talks\n\nThe talks go on.\n", encoding="utf-8")
    for p in (inbox / "a-budget.md", inbox / "logo.png"):
        os.utime(p, (old, old))
    run_ingest(app, quiet=30)  # (c-note.txt is still being copied: it may show the logo, for all we know yet)
    assert (inbox / "logo.png").exists()
    os.utime(inbox / "c-note.txt", (old, old))
    report = run_ingest(app, quiet=30)
    assert [o.status for o in report.outcomes] == ["created"] and report.folders == ()
    assert sorted(p.name for p in inbox.iterdir()) == ["processed"], "the logo followed its release"


def test_a_release_left_in_the_drop_folder_that_does_not_name_the_picture_does_not_keep_it(app, inbox):
    (inbox / "a-budget.md").write_text(release("Budget"), encoding="utf-8")
    (inbox / "c-note.txt").write_text("Fisheries talks\n\nThe talks go on.\n", encoding="utf-8")
    (inbox / "logo.png").write_bytes(LOGO)
    ingest_paths(app, [inbox / "a-budget.md"])
    assert sorted(p.name for p in (inbox / "processed").iterdir()) == ["a-budget.md", "logo.png"]
    assert (inbox / "c-note.txt").exists()


def test_a_picture_under_two_names_is_stored_once_and_both_files_move(app, inbox):
    (inbox / "a-budget.md").write_text(release("Budget"), encoding="utf-8")
    (inbox / "b-visit.md").write_text(release("Visit", "logo-copy.png"), encoding="utf-8")
    (inbox / "logo.png").write_bytes(LOGO)
    (inbox / "logo-copy.png").write_bytes(LOGO)
    assert [(o.status, o.warning) for o in run_ingest(app).outcomes] == [("created", None)] * 2
    assert shows_logo(app, "budget") and shows_logo(app, "visit")
    assert sorted(p.name for p in inbox.iterdir()) == ["processed"]


def test_a_saved_pages_folder_of_pictures_is_still_named_as_not_needed(app, inbox):
    (inbox / "PR_files").mkdir()
    (inbox / "PR_files" / "image001.png").write_bytes(LOGO)
    [note] = run_ingest(app).folders
    assert "PR_files/: the folder a saved web page keeps its pictures" in note


def test_a_picture_in_a_folder_with_other_files_moves_with_its_release_the_folder_still_named(app, inbox):
    (inbox / "images").mkdir()
    (inbox / "images" / "logo.png").write_bytes(LOGO)
    (inbox / "images" / "list.txt").write_text("what is here", encoding="utf-8")
    (inbox / "budget.md").write_text(release("Budget", "images/logo.png"), encoding="utf-8")
    report = run_ingest(app)
    assert [(o.status, o.warning) for o in report.outcomes] == [("created", None)]
    assert (inbox / "processed" / "images" / "logo.png").read_bytes() == LOGO
    [note] = report.folders
    assert "images/: a folder" in note and "but for the pictures a release there shows" in note


def test_a_crash_before_the_pictures_move_leaves_them_named_as_published_already(app, inbox, monkeypatch):
    monkeypatch.setattr(ingest, "BATCH", 1)
    drop_two_releases_and_their_logo(inbox)

    def crash(*args, **kwargs):
        raise KeyboardInterrupt  # (killed once the releases moved, before their pictures)

    monkeypatch.setattr(ingest, "settle_pictures", crash)
    with pytest.raises(KeyboardInterrupt):
        run_ingest(app)
    monkeypatch.undo()
    assert sorted(p.name for p in inbox.iterdir()) == ["logo.png", "processed"]
    report = run_ingest(app)
    assert report.outcomes == () and app.store.count_releases() == 2
    [note] = report.folders
    assert "logo.png: a picture no release in the drop folder shows, published already" in note
