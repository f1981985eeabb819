"""Pictures dropped with their release: found beside it, checked, stored, published under out/ and shown."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import struct
import time
import zlib
from pathlib import Path

import pytest

from feeds.ingest import ingest_paths, pictures, run_ingest
from feeds.ingest.takedown import remove_release
from feeds.publish import run_publish

SLUG = "foreign-secretary-arrives-in-moscow"


def png(width: int, height: int, shade: int = 0) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    raw = b"".join(b"\x00" + bytes([shade % 256]) * (width * 3) for _ in range(height))
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")


def jpeg(width: int, height: int, *, exif: bool = True, icc: bytes = b"") -> bytes:
    """A JPEG's header as a camera writes it: SOI, an APP1 (Exif) segment, a quantisation table, then SOF0 (the
    published picture is the same without its APP1: `jpeg(…, exif=False)`); `icc`: an ICC profile (APP2), kept."""
    app1 = b"\xff\xe1" + struct.pack(">H", 10) + b"Exif\x00\x00\x00\x00" if exif else b""
    app2 = b"\xff\xe2" + struct.pack(">H", 16 + len(icc)) + b"ICC_PROFILE\x00\x01\x01" + icc if icc else b""
    dqt = b"\xff\xdb" + struct.pack(">H", 67) + bytes(65)
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 11, 8, height, width, 1) + b"\x01\x11\x00"
    return b"\xff\xd8" + app1 + app2 + dqt + sof + b"\xff\xd9"


MD = """---
title: Foreign Secretary arrives in Moscow
---

The Foreign Secretary arrived in Moscow today for talks on security in Europe.

![The Foreign Secretary at the airport](arrival.png)
"""

HTML = """<!DOCTYPE html><html><head><title>Ferry at its new berth</title></head><body>
<h1>Ferry at its new berth</h1>
<p>The island ferry moored at its new berth this morning, ahead of the winter timetable.</p>
<p><img src="ferry%20berth.jpg" alt="The ferry at the new berth"></p>
</body></html>"""


def published_name(data: bytes, ext: str) -> str:
    return f"pictures/{hashlib.sha256(data).hexdigest()[:32]}.{ext}"


def test_a_markdown_release_and_its_picture_dropped_together_are_published_together(app, inbox):
    picture = png(40, 30)
    (inbox / "arrival.md").write_text(MD, encoding="utf-8")
    (inbox / "arrival.png").write_bytes(picture)
    report = run_ingest(app)
    assert [o.status for o in report.outcomes] == ["created"], "the picture is no release of its own"
    assert sorted(p.name for p in (inbox / "processed").iterdir()) == ["arrival.md", "arrival.png"]
    assert not (inbox / "rejected").exists() or not any((inbox / "rejected").iterdir())

    url = "https://press.example.org/" + published_name(picture, "png")
    release = app.store.release(SLUG)
    assert f'<img src="{url}" alt="The Foreign Secretary at the airport" width="40" height="30">' in release.body_html
    assert release.image == url, "the lead image is the first picture when the release names none"

    run_publish(app)
    out = app.settings.paths.out
    assert (out / published_name(picture, "png")).read_bytes() == picture
    page = (out / "releases" / SLUG / "index.html").read_text(encoding="utf-8")
    assert f'<meta property="og:image" content="{url}">' in page
    assert '<meta property="og:image:width" content="40">' in page
    assert '<meta property="og:image:height" content="30">' in page
    assert '<meta property="og:image:alt" content="The Foreign Secretary at the airport">' in page
    for feed in ("atom.xml", "rss.xml"):
        assert url in (out / feed).read_text(encoding="utf-8")
    entry = json.loads((out / "feed.json").read_text(encoding="utf-8"))["items"][0]
    assert entry["image"] == url and url in entry["content_html"]
    assert run_publish(app).written == [], "publishing again writes nothing"


def test_an_html_release_shows_its_picture_named_with_a_space(app, inbox):
    picture = jpeg(1200, 800)
    (inbox / "ferry.html").write_text(HTML, encoding="utf-8")
    (inbox / "ferry berth.jpg").write_bytes(picture)
    assert [o.status for o in run_ingest(app).outcomes] == ["created"]
    release = app.store.release("ferry-at-its-new-berth")
    published = jpeg(1200, 800, exif=False)  # (without its metadata)
    url = "https://press.example.org/" + published_name(published, "jpg")
    assert f'src="{url}" alt="The ferry at the new berth" width="1200" height="800"' in release.body_html
    assert sorted(p.name for p in (inbox / "processed").iterdir()) == ["ferry berth.jpg", "ferry.html"]
    run_publish(app)
    assert (app.settings.paths.out / published_name(published, "jpg")).read_bytes() == published


def test_a_picture_in_a_folder_of_a_named_folder_is_read_from_there(app, tmp_path):
    archive = tmp_path / "archive"
    (archive / "images").mkdir(parents=True)
    (archive / "arrival.md").write_text(MD.replace("(arrival.png)", "(images/arrival.png)"), encoding="utf-8")
    (archive / "images" / "arrival.png").write_bytes(png(8, 6))
    report = ingest_paths(app, [archive])
    assert [o.status for o in report.outcomes] == ["created"], "the picture is read with its release, not as one"
    assert 'width="8" height="6"' in app.store.release(SLUG).body_html


def test_a_picture_missing_is_a_warning_naming_the_file_and_the_reference_and_dropping_it_later_updates(app, inbox):
    (inbox / "arrival.md").write_text(MD, encoding="utf-8")
    [outcome] = run_ingest(app).outcomes
    assert outcome.status == "created", "published as before pictures travelled: the office may host it elsewhere"
    assert "arrival.md: the picture(s) 'arrival.png' it shows were not found in" in outcome.warning
    assert str(inbox) in outcome.warning
    assert '<img src="https://press.example.org/arrival.png"' in app.store.release(SLUG).body_html
    # Dropped again with its picture: an update, showing it.
    picture = png(40, 30)
    (inbox / "arrival.md").write_text(MD, encoding="utf-8")
    (inbox / "arrival.png").write_bytes(picture)
    [outcome] = run_ingest(app).outcomes
    assert outcome.status == "updated" and outcome.warning is None
    assert published_name(picture, "png") in app.store.release(SLUG).body_html


@pytest.mark.parametrize(
    ("data", "said"),
    [
        (b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>', "SVG"),
        (b"%PDF-1.7 not a picture", "is not a JPEG, PNG, GIF or WebP picture"),
        (b"\x89PNG\r\n\x1a\n\x00\x00", "is a damaged PNG file"),
    ],
)
def test_a_picture_that_is_not_one_we_publish_rejects_the_release_with_its_picture(app, inbox, data, said):
    (inbox / "arrival.md").write_text(MD, encoding="utf-8")
    (inbox / "arrival.png").write_bytes(data)
    [outcome] = run_ingest(app).outcomes
    assert outcome.status == "rejected" and said in outcome.error and "arrival.png" in outcome.error
    assert sorted(p.name for p in (inbox / "rejected").iterdir()) == [
        "arrival.md",
        "arrival.md.error.txt",
        "arrival.png",
    ], "the release and its picture wait together, to be dropped again together"


def test_a_picture_too_large_is_refused_naming_it(app, inbox, monkeypatch):
    monkeypatch.setattr(pictures, "MAX_PICTURE_BYTES", 20)
    (inbox / "arrival.md").write_text(MD, encoding="utf-8")
    (inbox / "arrival.png").write_bytes(png(40, 30))
    [outcome] = run_ingest(app).outcomes
    assert outcome.status == "rejected" and "arrival.png, is larger than" in outcome.error


def test_a_picture_alone_in_the_drop_folder_waits_for_its_release_and_says_so(app, inbox):
    (inbox / "arrival.png").write_bytes(png(4, 4))
    report = run_ingest(app)
    assert report.outcomes == (), "a picture is not a bad release"
    assert (inbox / "arrival.png").exists()
    assert any("arrival.png: a picture no release in the drop folder shows" in n for n in report.folders)
    (inbox / "arrival.md").write_text(MD, encoding="utf-8")
    assert [o.status for o in run_ingest(app).outcomes] == ["created"]
    assert not (inbox / "arrival.png").exists()


def test_a_release_waits_while_a_picture_is_still_being_copied(app, inbox):
    release = inbox / "arrival.md"
    release.write_text(MD, encoding="utf-8")
    os.utime(release, (time.time() - 3600, time.time() - 3600))
    (inbox / "arrival.png").write_bytes(png(4, 4))  # (written just now: still being copied, for all we know)
    report = run_ingest(app, quiet=30)
    assert report.outcomes == () and report.waiting == 2
    assert release.exists()


def test_the_same_release_and_pictures_again_is_a_no_op_and_a_new_picture_an_update(app, inbox):
    first = png(40, 30)
    (inbox / "arrival.md").write_text(MD, encoding="utf-8")
    (inbox / "arrival.png").write_bytes(first)
    run_ingest(app)
    run_publish(app)
    before = app.store.release(SLUG)
    # As after a crash between the commit and the move: both files are there again, byte for byte.
    shutil.copy(inbox / "processed" / "arrival.md", inbox / "arrival.md")
    shutil.copy(inbox / "processed" / "arrival.png", inbox / "arrival.png")
    assert [o.status for o in run_ingest(app).outcomes] == ["unchanged"]
    assert app.store.release(SLUG) == before
    assert not (inbox / "arrival.png").exists(), "the picture moves with its release"

    second = png(40, 30, shade=200)  # the same file name, another photograph
    (inbox / "arrival.md").write_text(MD, encoding="utf-8")
    (inbox / "arrival.png").write_bytes(second)
    assert [o.status for o in run_ingest(app).outcomes] == ["updated"]
    assert published_name(second, "png") in app.store.release(SLUG).body_html
    report = run_publish(app)
    out = app.settings.paths.out
    assert (out / published_name(second, "png")).read_bytes() == second
    assert not (out / published_name(first, "png")).exists(), "a picture no release shows is removed"
    assert published_name(first, "png") in report.removed


def test_a_release_taken_down_takes_its_pictures_off_the_site(app, inbox):
    picture = png(40, 30)
    (inbox / "arrival.md").write_text(MD, encoding="utf-8")
    (inbox / "arrival.png").write_bytes(picture)
    run_ingest(app)
    run_publish(app)
    out = app.settings.paths.out
    assert (out / published_name(picture, "png")).exists()
    done = remove_release(app, SLUG, "court order")
    assert done.pictures == 1, "its photograph is erased with its text"
    assert app.store.picture_data(hashlib.sha256(picture).hexdigest()) is None
    run_publish(app)
    assert not (out / published_name(picture, "png")).exists()


def test_a_takedown_keeps_a_picture_another_release_shows(app, inbox):
    picture = png(40, 30)
    (inbox / "arrival.md").write_text(MD, encoding="utf-8")
    (inbox / "talks.md").write_text(
        MD.replace("Foreign Secretary arrives in Moscow", "Talks in Moscow begin"), encoding="utf-8"
    )
    (inbox / "arrival.png").write_bytes(picture)
    assert [o.status for o in run_ingest(app).outcomes] == ["created", "created"]
    assert remove_release(app, SLUG, "court order").pictures == 0
    run_publish(app)
    assert (app.settings.paths.out / published_name(picture, "png")).read_bytes() == picture


def test_a_release_with_a_link_keeps_its_relative_images_as_the_pages(app, inbox):
    """A relative image of a release written elsewhere is that page's: resolved against its `link`, not read."""
    (inbox / "arrival.md").write_text(
        MD.replace("---\n\n", "link: https://www.gov.uk/government/news/arrival\n---\n\n", 1), encoding="utf-8"
    )
    assert [o.status for o in run_ingest(app).outcomes] == ["created"]
    assert 'src="https://www.gov.uk/government/news/arrival.png"' in app.store.release(SLUG).body_html


def test_an_image_named_from_the_sites_root_is_no_dropped_picture(app, inbox):
    """`/media/map.png` names the site's root, not the release's folder: published as before, nothing read."""
    (inbox / "arrival.md").write_text(MD.replace("(arrival.png)", "(/media/map.png)"), encoding="utf-8")
    assert [o.status for o in run_ingest(app).outcomes] == ["created"]
    release = app.store.release(SLUG)
    assert '<img src="https://press.example.org/media/map.png" alt="The Foreign Secretary at the airport">' in (
        release.body_html
    )
    assert release.image is None


def riff(chunk: bytes, payload: bytes) -> bytes:
    body = b"WEBP" + chunk + len(payload).to_bytes(4, "little") + payload
    return b"RIFF" + len(body).to_bytes(4, "little") + body


@pytest.mark.parametrize(
    ("data", "kind", "size"),
    [
        (png(40, 30), "image/png", (40, 30)),
        (jpeg(1200, 800), "image/jpeg", (1200, 800)),
        # progressive (SOF2), after fill bytes and a restart marker without a length
        (b"\xff\xd8\xff\xff\xd0\xff\xc2" + struct.pack(">HBHH", 11, 8, 50, 70) + b"\x01", "image/jpeg", (70, 50)),
        (b"GIF89a" + struct.pack("<HH", 320, 200) + b"\x00" * 10, "image/gif", (320, 200)),
        (riff(b"VP8 ", b"\x00" * 3 + b"\x9d\x01\x2a" + struct.pack("<HH", 640, 480)), "image/webp", (640, 480)),
        (riff(b"VP8L", b"\x2f" + ((99) | (49 << 14)).to_bytes(4, "little")), "image/webp", (100, 50)),
        (
            riff(b"VP8X", b"\x00" * 4 + (1919).to_bytes(3, "little") + (1079).to_bytes(3, "little")),
            "image/webp",
            (1920, 1080),
        ),
        (b"\xff\xd8\xff\xe0\x00", "image/jpeg", None),  # cut short
        (b"GIF89a\x00\x00\x00\x00", "image/gif", None),  # no size
    ],
)
def test_a_pictures_type_is_read_from_its_bytes_and_its_size_from_its_header(data, kind, size):
    assert pictures.picture_type(data) == kind
    assert pictures.image_size(data, kind) == size


@pytest.mark.parametrize(
    "data",
    [b"<svg xmlns='http://www.w3.org/2000/svg'/>", b"\xef\xbb\xbf<?xml version='1.0'?><svg/>", b"\x1f\x8b\x08\x00"],
)
def test_svg_is_recognised_whatever_its_name_to_be_refused(data):
    assert pictures.picture_type(data) == "image/svg+xml"


def test_a_picture_reached_through_a_link_is_refused(app, inbox, tmp_path):
    (tmp_path / "secret.png").write_bytes(png(4, 4))
    (inbox / "arrival.png").symlink_to(tmp_path / "secret.png")
    (inbox / "arrival.md").write_text(MD, encoding="utf-8")
    [outcome] = run_ingest(app).outcomes
    assert outcome.status == "rejected" and "not a link" in outcome.error
    assert (tmp_path / "secret.png").exists()


def test_a_site_moved_shows_its_pictures_at_its_new_address(app, inbox, make_app_for):
    from dataclasses import replace

    picture = png(40, 30)
    (inbox / "arrival.md").write_text(MD, encoding="utf-8")
    (inbox / "arrival.png").write_bytes(picture)
    run_ingest(app)
    moved = replace(app.settings, site=replace(app.settings.site, base_url="https://news.example.org/"))
    run_publish(make_app_for(moved))
    page = (app.settings.paths.out / "releases" / SLUG / "index.html").read_text(encoding="utf-8")
    url = "https://news.example.org/" + published_name(picture, "png")
    assert f'<meta property="og:image" content="{url}">' in page and f'src="{url}"' in page
    assert "press.example.org/pictures" not in page


def test_a_picture_left_behind_by_its_release_says_it_is_published_already(app, inbox):
    """As after a crash between moving a release to processed/ and moving its picture: the picture, alone, is
    named as published already, and waits (a release dropped next may show it again)."""
    (inbox / "arrival.md").write_text(MD, encoding="utf-8")
    (inbox / "arrival.png").write_bytes(png(40, 30))
    run_ingest(app)
    shutil.copy(inbox / "processed" / "arrival.png", inbox / "arrival.png")
    report = run_ingest(app)
    assert report.outcomes == ()
    [note] = report.folders
    assert "arrival.png: a picture no release in the drop folder shows, published already" in note
    assert (inbox / "arrival.png").exists()


def test_a_lead_image_named_beside_the_release_is_published_as_its_image(app, inbox):
    portrait = png(20, 25, shade=9)
    (inbox / "arrival.md").write_text(MD.replace("---\n\n", "image: portrait.png\n---\n\n", 1), encoding="utf-8")
    (inbox / "arrival.png").write_bytes(png(40, 30))
    (inbox / "portrait.png").write_bytes(portrait)
    assert [o.status for o in run_ingest(app).outcomes] == ["created"]
    assert app.store.release(SLUG).image == "https://press.example.org/" + published_name(portrait, "png")
    assert sorted(p.name for p in (inbox / "processed").iterdir()) == ["arrival.md", "arrival.png", "portrait.png"]
    run_publish(app)
    assert (app.settings.paths.out / published_name(portrait, "png")).read_bytes() == portrait


def test_a_lead_image_named_beside_the_release_and_missing_is_refused_as_before(app, inbox):
    (inbox / "arrival.md").write_text(MD.replace("---\n\n", "image: portrait.png\n---\n\n", 1), encoding="utf-8")
    (inbox / "arrival.png").write_bytes(png(40, 30))
    [outcome] = run_ingest(app).outcomes
    assert outcome.status == "rejected" and "image" in outcome.error and "portrait.png" in outcome.error


def test_an_embargoed_releases_pictures_stay_off_the_site_until_it_goes_public(app, inbox, clock):
    from datetime import timedelta

    picture = png(40, 30)
    embargo = (clock() + timedelta(hours=2)).isoformat()
    (inbox / "arrival.md").write_text(MD.replace("---\n\n", f"published: {embargo}\n---\n\n", 1), encoding="utf-8")
    (inbox / "arrival.png").write_bytes(picture)
    run_ingest(app)
    out = app.settings.paths.out
    run_publish(app)
    assert not (out / published_name(picture, "png")).exists(), "a picture could tell what is to be announced"
    clock.advance(timedelta(hours=3))
    run_publish(app)
    assert (out / published_name(picture, "png")).read_bytes() == picture


@pytest.mark.parametrize("db", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_pictures_travel_through_either_database(make_settings, make_app_for, request, db):
    url = request.getfixturevalue("pg_url") if db == "postgres" else None
    app = make_app_for(make_settings(database_url=url))
    inbox = app.settings.source("inbox").path
    picture = jpeg(1200, 800, exif=False, icc=bytes(range(256)))  # (every byte value, NUL included, survives)
    (inbox / "arrival.md").write_text(MD.replace("arrival.png", "arrival.jpg"), encoding="utf-8")
    (inbox / "arrival.jpg").write_bytes(picture)
    assert [o.status for o in run_ingest(app).outcomes] == ["created"]
    run_publish(app)
    assert (app.settings.paths.out / published_name(picture, "jpg")).read_bytes() == picture


def test_a_release_named_to_feeds_ingest_in_the_drop_folder_moves_with_its_picture(app, inbox, monkeypatch):
    monkeypatch.chdir(inbox.parent)
    (inbox / "arrival.md").write_text(MD, encoding="utf-8")
    (inbox / "arrival.png").write_bytes(png(40, 30))
    report = ingest_paths(app, [Path("inbox") / "arrival.md"])  # (a relative path, as typed)
    assert [o.status for o in report.outcomes] == ["created"]
    assert sorted(p.name for p in (inbox / "processed").iterdir()) == ["arrival.md", "arrival.png"]


def test_a_picture_replaced_after_it_was_read_stays_in_the_drop_folder_not_moved_unpublished(
    app, inbox, monkeypatch, caplog
):
    from feeds.ingest import folder

    first, second = png(40, 30), png(40, 30, shade=77)
    (inbox / "arrival.md").write_text(MD, encoding="utf-8")
    (inbox / "arrival.png").write_bytes(first)
    settle = folder.settle

    def replace_then_settle(*args, **kwargs):  # (the office saves a new crop while the batch is stored)
        part = inbox / ".arrival.png.tmp"
        part.write_bytes(second)
        os.replace(part, inbox / "arrival.png")
        return settle(*args, **kwargs)

    monkeypatch.setattr(folder, "settle", replace_then_settle)
    assert [o.status for o in run_ingest(app).outcomes] == ["created"]
    assert (inbox / "arrival.png").read_bytes() == second, "the new version is not taken to processed/ unread"
    assert sorted(p.name for p in (inbox / "processed").iterdir()) == ["arrival.md"]
    assert "arrival.png changed after it was read with" in caplog.text


def test_a_release_rejected_for_its_text_leaves_its_pictures_waiting_for_it(app, inbox):
    (inbox / "arrival.md").write_text(MD.replace("---\n\n", "published: the day after tomorrow\n---\n\n", 1))
    (inbox / "arrival.png").write_bytes(png(40, 30))
    report = run_ingest(app)
    [outcome] = report.outcomes
    assert outcome.status == "rejected" and "published" in outcome.error
    assert (inbox / "arrival.png").exists(), "ready for the release, fixed and dropped again"
    assert any("arrival.png: a picture no release in the drop folder shows" in n for n in report.folders)
    (inbox / "arrival.md").write_text(MD, encoding="utf-8")
    assert [o.status for o in run_ingest(app).outcomes] == ["created"]
    assert not (inbox / "arrival.png").exists()


def test_a_picture_named_in_decomposed_unicode_as_macos_writes_names_is_shown(app, inbox):
    name = "cafe\u0301.png"  # "café.png" as a Mac's file system writes it
    picture = png(40, 30)
    (inbox / "arrival.md").write_text(MD.replace("arrival.png", name), encoding="utf-8")
    (inbox / name).write_bytes(picture)
    assert [o.status for o in run_ingest(app).outcomes] == ["created"]
    assert published_name(picture, "png") in app.store.release(SLUG).body_html
