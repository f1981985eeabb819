"""Pictures dropped with a release, as an attacker with write access to the drop folder would drop them: nothing
outside the drop folder is read, moved or published through a link, whatever the release names."""

from __future__ import annotations

import hashlib
import os
import threading

import pytest

from feeds.ingest import pictures, run_ingest
from feeds.picturemeta import without_metadata
from tests.test_ingest_pictures import png
from tests.test_picturemeta import JPEG_FRAME, JPEG_HUFFMAN, JPEG_SCAN, JPEG_TABLES, segment


def _md(ref: str) -> str:
    return (
        f"---\ntitle: Ferry at its new berth\n---\n\nThe island ferry moored at its new berth.\n\n![The ferry]({ref})\n"
    )


def _page(src: str) -> str:
    return (
        "<!DOCTYPE html><html><head><title>Ferry at its new berth</title></head><body><h1>Ferry at its new berth</h1>"
        f'<p>The island ferry moored at its new berth this morning.</p><p><img src="{src}" alt="The ferry"></p>'
        "</body></html>"
    )


def _published(app, data: bytes) -> bool:
    name = hashlib.sha256(data).hexdigest()[:32]
    return any(name in (r.body_html + (r.image or "")) for r in app.store.releases())


def test_a_picture_in_a_folder_that_is_a_link_out_of_the_drop_folder_is_not_read(app, inbox, tmp_path):
    elsewhere = tmp_path / "private"
    elsewhere.mkdir()
    secret = png(7, 5, shade=9)
    (elsewhere / "secret.png").write_bytes(secret)
    (inbox / "images").symlink_to(elsewhere, target_is_directory=True)
    (inbox / "ferry.md").write_text(_md("images/secret.png"), encoding="utf-8")
    outcomes = run_ingest(app).outcomes
    assert not _published(app, secret), "a picture read through a folder link is published"
    assert (elsewhere / "secret.png").read_bytes() == secret, "the file the link points at stays where it is"
    assert [o.status for o in outcomes if o.origin.endswith("ferry.md")] == ["rejected"]


def test_a_folder_link_inside_a_saved_pages_folder_is_not_read_through(app, inbox, tmp_path):
    elsewhere = tmp_path / "private"
    elsewhere.mkdir()
    secret = png(7, 5, shade=11)
    (elsewhere / "image001.png").write_bytes(secret)
    (inbox / "PR ferry_files").mkdir()
    (inbox / "PR ferry_files" / "images").symlink_to(elsewhere, target_is_directory=True)
    (inbox / "PR ferry.htm").write_text(_page("PR%20ferry_files/images/image001.png"), encoding="utf-8")
    run_ingest(app)
    assert not _published(app, secret), "a picture read through a saved page's folder that is a link is published"
    assert (elsewhere / "image001.png").read_bytes() == secret


def test_a_jfif_thumbnail_of_the_uncropped_original_is_not_published():
    """JFIF's APP0 may carry a thumbnail (its width and height bytes, then its RGB pixels): the uncropped original,
    as EXIF's thumbnail can be. The JFIF segment stays (its pixel density), without the thumbnail."""
    thumbnail = b"UNCROPPED-ORIGINAL" * 2 + bytes(range(18))  # (4 x 3 pixels, 3 bytes each)
    jfif = b"JFIF\x00\x01\x02\x01\x00\x48\x00\x48"
    data = b"\xff\xd8" + segment(0xE0, jfif + b"\x04\x03" + thumbnail) + JPEG_TABLES + JPEG_FRAME + JPEG_HUFFMAN
    data += JPEG_SCAN + b"\xff\xd9"
    cleaned, _ = without_metadata(data, "image/jpeg")
    assert b"UNCROPPED" not in cleaned
    body = JPEG_TABLES + JPEG_FRAME + JPEG_HUFFMAN + JPEG_SCAN + b"\xff\xd9"
    assert cleaned == b"\xff\xd8" + segment(0xE0, jfif + b"\x00\x00") + body
    assert without_metadata(cleaned, "image/jpeg")[0] == cleaned


@pytest.mark.parametrize("where", ["in the drop folder", "linked from the drop folder"])
def test_a_pipe_named_as_a_picture_no_release_shows_does_not_hang_the_ingest(app, inbox, tmp_path, where):
    """A picture no release shows is hashed to say whether it is published already: a pipe (or a link to one, or
    to /dev/zero) named `logo.png` was opened and read to its end, which never comes: the ingest, the daemon's
    ingest job with it, waited for ever (or filled the memory)."""
    fifo = inbox / "logo.png" if where == "in the drop folder" else tmp_path / "pipe"
    os.mkfifo(fifo)
    if fifo.parent != inbox:
        (inbox / "logo.png").symlink_to(fifo)
    (inbox / "ferry.md").write_text(_md("https://press.example.org/ferry.jpg"), encoding="utf-8")
    done: list[object] = []
    worker = threading.Thread(target=lambda: done.append(run_ingest(app)), daemon=True)
    worker.start()
    worker.join(60)  # (a loaded machine takes seconds; a pipe read waits for ever)
    if worker.is_alive():  # (let the reader go: a writer that opens and closes the pipe ends its read)
        os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
        worker.join(30)
        pytest.fail("the ingest waited on a pipe named as a picture")
    [report] = done
    assert [o.status for o in report.outcomes] == ["created"]


def test_a_picture_that_is_a_hard_link_to_a_file_elsewhere_is_refused(app, inbox, tmp_path):
    secret = png(7, 5, shade=13)
    (tmp_path / "secret.png").write_bytes(secret)
    os.link(tmp_path / "secret.png", inbox / "arrival.png")
    (inbox / "ferry.md").write_text(_md("arrival.png"), encoding="utf-8")
    [outcome] = run_ingest(app).outcomes
    assert outcome.status == "rejected" and "hard link" in outcome.error
    assert not _published(app, secret)


def test_a_saved_pages_folder_that_is_a_link_is_not_read_through(app, inbox, tmp_path):
    elsewhere = tmp_path / "private"
    elsewhere.mkdir()
    secret = png(7, 5, shade=17)
    (elsewhere / "image001.png").write_bytes(secret)
    (inbox / "PR ferry_files").symlink_to(elsewhere, target_is_directory=True)
    (inbox / "PR ferry.htm").write_text(_page("PR%20ferry_files/image001.png"), encoding="utf-8")
    run_ingest(app)
    assert not _published(app, secret)
    assert (elsewhere / "image001.png").read_bytes() == secret


@pytest.mark.parametrize("kept", ["processed", "rejected", "Processed", ".trash"])
def test_a_release_cannot_show_or_move_a_file_the_drop_folder_keeps_apart(app, inbox, kept):
    """processed/ and rejected/ are the drop folder's record of what it read (and dot-folders are never read): a
    release naming `processed/minister.png` showed another release's picture (one kept back for an embargo
    among them) and moved it, or a rejection's note, into processed/processed/ or rejected/rejected/."""
    picture = png(9, 9, shade=3)
    (inbox / kept).mkdir()
    (inbox / kept / "minister.png").write_bytes(picture)
    (inbox / kept / "old.md.error.txt").write_text("old.md: refused\n", encoding="utf-8")
    (inbox / "ferry.md").write_text(
        _md(f"{kept}/minister.png") + f"\n![note]({kept}/old.md.error.txt)\n", encoding="utf-8"
    )
    [outcome] = run_ingest(app).outcomes
    assert outcome.status == "rejected" and f"'{kept}/minister.png'" in outcome.error
    assert not _published(app, picture)
    assert (inbox / kept / "minister.png").exists() and (inbox / kept / "old.md.error.txt").exists()
    assert not (inbox / "processed" / kept).exists() and not (inbox / "rejected" / kept).exists()


def test_the_folders_a_release_cannot_show_pictures_from_are_those_the_scan_leaves_alone():
    from feeds.ingest import folder, pictures

    assert {folder.PROCESSED, folder.REJECTED} <= set(pictures.KEPT_APART)


def test_a_release_showing_more_picture_bytes_than_a_batch_holds_is_refused_without_reading_them_all(
    app, inbox, monkeypatch
):
    """Each picture is capped (10 MiB), and a batch is cut once its pictures pass 64 MiB, but a batch ends only
    after the file that passes it: one release showing 300 camera originals of 9 MiB was read whole, 2.7 GB in
    memory (then handed from the worker to the daemon, which stored them in one transaction)."""
    shown = [png(8, 8, shade=n) for n in range(6)]
    cap = sum(len(p) for p in shown[:3])
    monkeypatch.setattr(pictures, "MAX_SHOWN_BYTES", cap)
    read: list[str] = []
    real = pictures.picture_of
    monkeypatch.setattr(
        pictures, "picture_of", lambda folder, ref, release: read.append(ref) or real(folder, ref, release)
    )
    for n, data in enumerate(shown):
        (inbox / f"photo{n}.png").write_bytes(data)
    body = "".join(f"\n![Photograph {n}](photo{n}.png)\n" for n in range(len(shown)))
    (inbox / "gallery.md").write_text(_md("photo0.png") + body, encoding="utf-8")
    [outcome] = run_ingest(app).outcomes
    assert outcome.status == "rejected" and "add up to more than" in outcome.error, outcome.error
    assert len(read) == 4, "reading stops at the picture that passes the limit"
    assert sorted(p.name for p in (inbox / "rejected").iterdir() if p.suffix == ".png") == [
        f"photo{n}.png" for n in range(len(shown))
    ], "every picture it shows goes to rejected/ with it, to be dropped again together"


def test_a_webp_whose_image_chunk_is_empty_is_refused_as_damaged(app, inbox):
    """A lossless WebP chunk of no bytes left its header's size unread: an IndexError, which rejected the release
    as feeds' own bug ("unexpected error while reading this file") rather than naming the damaged picture."""
    (inbox / "arrival.webp").write_bytes(b"RIFF" + (12).to_bytes(4, "little") + b"WEBPVP8L" + bytes(4))
    (inbox / "ferry.md").write_text(_md("arrival.webp"), encoding="utf-8")
    [outcome] = run_ingest(app).outcomes
    assert outcome.status == "rejected" and "is a damaged WEBP file" in outcome.error, outcome.error
