"""A Google Docs web page export unzipped and zipped again on macOS: Finder's "Compress" adds, for every file and
folder, a `__MACOSX/` twin holding its resource fork (`__MACOSX/images/._image1.png`, an AppleDouble file), and
zips the folder Archive Utility unzipped it into (`Lifeboat station reopens/…`) when that folder is what was
compressed. Such a zip is the export, those members ignored (never decompressed); it got the advice for any zip.
Nor do they count towards the export's 200 members (a document of 120 pictures, zipped by Finder, is some 250
members): they are bound on their own, the zip's members at most twice that and a few, counted before anything is
read. Every other member, and every limit on a hostile zip, is as before."""

from __future__ import annotations

import io
import struct
import zipfile

import pytest

from feeds.errors import InvalidReleaseError
from feeds.ingest import run_ingest
from feeds.ingest.zipexport import MAX_MEMBERS, MAX_ZIP_MEMBERS, exported_page
from tests.test_ingest_pictures import jpeg, png, published_name
from tests.test_ingest_zipexport import PAGE, SLUG, ZIP, patched

FORK = b"\x00\x05\x16\x07\x00\x02\x00\x00Mac OS X        " + bytes(60)
"""An AppleDouble file's start (its magic number, version 2 and filler), as Finder writes it."""
FOLDER = "Lifeboat station reopens/"


def finder_zip(top: str = "", *extra: tuple[str, bytes | None], image2: bytes | None = None, more: int = 0) -> bytes:
    """What Finder's Compress makes of an unzipped export: the folder `top` (or its contents), each file with its
    `__MACOSX/…/._name` twin, directories as their own members; `extra` members added (None: a directory), and
    `more` pictures beyond the two (`images/image3.png`…), each with its twin."""
    pictures = [(f"images/image{i}.png", png(8, 8 + i % 50)) for i in range(3, 3 + more)]
    members: list[tuple[str, bytes | None]] = [
        *([(top, None)] if top else []),
        (f"{top}Lifeboatstationreopens.html", PAGE),
        ("__MACOSX/", None),
        *([(f"__MACOSX/{top}", None)] if top else []),
        (f"__MACOSX/{top}._Lifeboatstationreopens.html", FORK),
        (f"{top}images/", None),
        (f"{top}images/image1.png", png(60, 34)),
        (f"{top}images/image2.jpg", image2 if image2 is not None else jpeg(40, 30)),
        (f"__MACOSX/{top}images/", None),
        (f"__MACOSX/{top}._images", FORK),
        (f"__MACOSX/{top}images/._image1.png", FORK),
        (f"__MACOSX/{top}images/._image2.jpg", FORK),
        *((f"{top}{name}", content) for name, content in pictures),
        *((f"__MACOSX/{top}images/._{name[7:]}", FORK) for name, _ in pictures),
        *extra,
    ]
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for name, content in members:
            if content is None:
                z.writestr(zipfile.ZipInfo(name), b"")
            else:
                z.writestr(name, content)
    return data.getvalue()


@pytest.mark.parametrize("top", ["", FOLDER], ids=["its-files-compressed", "its-folder-compressed"])
def test_a_zip_made_again_by_finder_is_the_export_its_forks_ignored(top):
    found = exported_page(finder_zip(top), f"inbox/{ZIP}")
    assert found is not None
    assert found.page_name == "Lifeboatstationreopens.html" and found.page == PAGE
    assert dict(found.pictures) == {"images/image1.png": png(60, 34), "images/image2.jpg": jpeg(40, 30)}


@pytest.mark.parametrize("top", ["", FOLDER], ids=["its-files-compressed", "its-folder-compressed"])
def test_a_long_document_zipped_by_finder_is_the_export_its_forks_not_counted(top):
    """120 pictures: 123 members of the export (124 with its folder), twice that and more with their forks."""
    data = finder_zip(top, more=118)
    assert len(zipfile.ZipFile(io.BytesIO(data)).infolist()) > MAX_MEMBERS  # (refused as too many before)
    found = exported_page(data, f"inbox/{ZIP}")
    assert found is not None and len(found.pictures) == 120
    assert found.pictures["images/image120.png"] == png(8, 8 + 120 % 50)


def test_an_export_past_its_members_limit_is_refused_whatever_its_forks():
    message = _refusal(finder_zip("", more=MAX_MEMBERS - 2))  # a page, images/ and 200 pictures: 202
    assert ZIP in message and f"202, more than {MAX_MEMBERS}," in message


def test_a_zip_of_100000_forks_is_refused_before_it_is_read(monkeypatch):
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as z:
        z.writestr("Lifeboatstationreopens.html", PAGE)
        for i in range(100_000):
            z.writestr(f"__MACOSX/images/._image{i}.png", FORK)
    monkeypatch.setattr(zipfile, "ZipFile", _never)  # (refused from the end record, before zipfile reads it)
    message = _refusal(data.getvalue())
    assert ZIP in message and f"holds more than {MAX_ZIP_MEMBERS} files" in message and "not unpacked" in message


def test_forks_past_their_bound_are_refused_after_the_directory_is_read():
    """A count the end record understates: zipfile reads the directory (at most `MAX_ZIP_MEMBERS` entries of the
    largest size), and its members are counted before any is decompressed."""
    forks = [(f"__MACOSX/images/._extra{i}.png", FORK) for i in range(MAX_ZIP_MEMBERS)]
    data = bytearray(finder_zip("", *forks))
    end = data.rindex(b"PK\x05\x06")
    struct.pack_into("<HH", data, end + 8, 2, 2)
    message = _refusal(bytes(data))
    assert ZIP in message and f"{MAX_ZIP_MEMBERS + 10}, more than {MAX_ZIP_MEMBERS}," in message


def _never(*args: object, **kwargs: object) -> None:
    raise AssertionError("the zip's directory was read")


def _refusal(data: bytes) -> str:
    with pytest.raises(InvalidReleaseError) as caught:
        exported_page(data, f"inbox/{ZIP}")
    return str(caught.value)


@pytest.mark.parametrize(
    "extra",
    [
        ("__MACOSX/notes.txt", b"draft"),  # not a fork: something else hidden there
        ("__MACOSX/._press-notes.txt", FORK),  # the fork of a file the archive does not hold
        ("__MACOSX/elsewhere/", None),  # the twin of no folder
        ("__MACOSX/images/image3.png", png(4, 4)),  # a picture, not a fork
    ],
)
def test_only_the_forks_of_the_archives_own_members_are_ignored(extra):
    assert exported_page(finder_zip("", extra), f"inbox/{ZIP}") is None


def test_a_second_folder_beside_the_one_compressed_is_no_export():
    assert exported_page(finder_zip(FOLDER, ("Other/page.html", PAGE)), f"inbox/{ZIP}") is None


@pytest.mark.parametrize(
    ("member", "fields", "why"),
    [
        ("__MACOSX/images/._image1.png", {"flags": 1}, "encrypted"),
        ("__MACOSX/images/._image1.png", {"mode": 0o120777}, "symbolic link"),
    ],
)
def test_a_hostile_fork_is_refused_as_any_member(member, fields, why):
    with pytest.raises(InvalidReleaseError) as caught:
        exported_page(patched(finder_zip(), member, **fields), f"inbox/{ZIP}")
    assert f"'{member}'" in str(caught.value) and why in str(caught.value)


def test_a_fork_named_outside_the_archive_is_refused():
    with pytest.raises(InvalidReleaseError, match="leads outside"):
        exported_page(finder_zip("", ("__MACOSX/../._x.png", FORK)), f"inbox/{ZIP}")


def test_a_zip_made_again_by_finder_is_published_with_its_pictures(app, inbox):
    (inbox / ZIP).write_bytes(finder_zip(FOLDER))
    [outcome] = run_ingest(app).outcomes
    assert (outcome.status, outcome.warning) == ("created", None)
    body = app.store.release(SLUG).body_html
    assert published_name(png(60, 34), "png") in body
    assert published_name(jpeg(40, 30, exif=False), "jpg") in body
    assert sorted(p.name for p in (inbox / "processed").iterdir()) == [ZIP], "nothing unpacked on disk"
