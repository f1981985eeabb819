"""Google Docs' only HTML download, "File > Download > Web page (.html, zipped)": a .zip of `<Title>.html` and
its `images/` folder, dropped as it downloaded, is the page with its pictures. The archive is read in memory,
with its limits checked before anything is decompressed; a hostile archive is refused naming it and the member,
and any other zip keeps its advice to unzip it."""

from __future__ import annotations

import io
import struct
import zipfile
from pathlib import Path

import pytest

from feeds.errors import InvalidReleaseError
from feeds.ingest import run_ingest
from feeds.ingest.units import MAX_FILE_BYTES
from feeds.ingest.zipexport import MAX_MEMBERS, MAX_PAGE_BYTES, MAX_ZIP_MEMBERS, exported_page
from feeds.publish import run_publish
from tests.test_ingest_pictures import jpeg, png, published_name

DATA = Path(__file__).parent / "data" / "officeexports"
PAGE = (DATA / "google-docs-pictures.html").read_bytes()
SITE = "https://press.example.org/"
SLUG = "lifeboat-station-reopens-at-porthmoor"
ZIP = "Lifeboat station reopens.zip"


def archive(*members: tuple[str, bytes], method: int = zipfile.ZIP_DEFLATED) -> bytes:
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w", compression=method) as z:
        for name, content in members:  # (as `writestr(name, …)` makes them, but dated at a fixed time: the same
            info = zipfile.ZipInfo(name, date_time=(2026, 11, 28, 12, 0, 0))  # members make the same bytes)
            info.external_attr = (0o40775 << 16) | 0x10 if name.endswith("/") else 0o600 << 16
            z.writestr(info, content, compress_type=method)
    return data.getvalue()


def export(image1: bytes | None = None, image2: bytes | None = None, page: bytes = PAGE) -> bytes:
    members = [("Lifeboatstationreopens.html", page)]
    members += [("images/image1.png", image1 if image1 is not None else png(60, 34))]
    if image2 is not False:
        members += [("images/image2.jpg", image2 if image2 is not None else jpeg(40, 30))]
    return archive(*members)


def patched(data: bytes, member: str, **fields: int) -> bytes:
    """`data` with the central directory entry (and local header) of `member` changed: `flags`, `mode` (Unix mode
    bits), `size` (declared uncompressed size), `compressed` (declared compressed size)."""
    out = bytearray(data)
    name = member.encode()
    central = out.index(b"PK\x01\x02")
    while out[central + 46 : central + 46 + len(name)] != name:
        central = out.index(b"PK\x01\x02", central + 4)
    (local,) = struct.unpack("<I", out[central + 42 : central + 46])
    if "flags" in fields:
        struct.pack_into("<H", out, central + 8, fields["flags"])
        struct.pack_into("<H", out, local + 6, fields["flags"])
    if "mode" in fields:
        struct.pack_into("<B", out, central + 5, 3)  # made on Unix
        struct.pack_into("<I", out, central + 38, fields["mode"] << 16)
    if "size" in fields:
        struct.pack_into("<I", out, central + 24, fields["size"])
        struct.pack_into("<I", out, local + 22, fields["size"])
    if "compressed" in fields:
        struct.pack_into("<I", out, central + 20, fields["compressed"])
        struct.pack_into("<I", out, local + 18, fields["compressed"])
    return bytes(out)


def refusal(data: bytes) -> str:
    with pytest.raises(InvalidReleaseError) as caught:
        exported_page(data, f"inbox/{ZIP}")
    return str(caught.value)


# Reading the archive


def test_an_export_is_its_page_and_pictures() -> None:
    found = exported_page(export(png(60, 34), jpeg(40, 30)), f"inbox/{ZIP}")
    assert found is not None
    assert found.page_name == "Lifeboatstationreopens.html" and found.page == PAGE
    assert dict(found.pictures) == {"images/image1.png": png(60, 34), "images/image2.jpg": jpeg(40, 30)}


@pytest.mark.parametrize(
    "members",
    [
        [("a.html", PAGE), ("b.html", PAGE)],  # several pages
        [("PR lifeboat.docx", b"PK\x03\x04 a document")],  # a Word document inside
        [("releases/a.txt", b"A\n\nB"), ("releases/b.txt", b"C\n\nD")],  # a folder of releases
        [("page.html", PAGE), ("notes.txt", b"draft")],  # something beside the page
        [("site/page.html", PAGE), ("images/image1.png", png(4, 4))],  # the page not at the top
        [("page.html", b"<html><body><h1>Ferry fares cut</h1><p>By a third.</p></body></html>")],  # not Google's
    ],
)
def test_any_other_zip_is_no_export(members) -> None:
    assert exported_page(archive(*members), f"inbox/{ZIP}") is None


def test_a_zip_that_cannot_be_read_is_no_export() -> None:
    assert exported_page(b"PK\x03\x04 cut short", f"inbox/{ZIP}") is None


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("../images/image1.png", "outside the archive"),
        ("/etc/image1.png", "outside the archive"),
        ("C:/images/image1.png", "outside the archive"),
        ("images\\image1.png", "backslash"),
        ("images/../../image1.png", "outside the archive"),
    ],
)
def test_a_member_named_outside_the_archive_is_refused(name: str, why: str) -> None:
    message = refusal(archive(("page.html", PAGE), (name, png(4, 4))))
    assert ZIP in message and f"'{name}'" in message and why in message


def test_a_symbolic_link_member_is_refused() -> None:
    data = patched(
        archive(("page.html", PAGE), ("images/image1.png", b"/etc/passwd")), "images/image1.png", mode=0o120777
    )
    message = refusal(data)
    assert ZIP in message and "'images/image1.png'" in message and "symbolic link" in message


def test_an_encrypted_member_is_refused() -> None:
    data = patched(archive(("page.html", PAGE), ("images/image1.png", png(4, 4))), "images/image1.png", flags=1)
    message = refusal(data)
    assert "'images/image1.png'" in message and "encrypted" in message


def test_a_zip_in_the_zip_is_refused() -> None:
    inner = archive(("a.html", PAGE))
    message = refusal(archive(("page.html", PAGE), ("images/old.zip", inner)))
    assert "'images/old.zip'" in message and "zip archive inside" in message


@pytest.mark.filterwarnings("ignore:Duplicate name")
@pytest.mark.parametrize("second", ["images/image1.png", "IMAGES/Image1.PNG"])
def test_a_name_twice_is_refused(second: str) -> None:
    # (unpacked, the second would overwrite the first, or take its place on a disk that ignores case)
    message = refusal(archive(("page.html", PAGE), ("images/image1.png", png(4, 4)), (second, png(5, 5))))
    assert f"'{second}'" in message and "twice" in message


def test_a_member_compressed_by_another_method_is_refused() -> None:
    # (zipfile decompresses bzip2 and LZMA without a bound on each step: a bomb would be held whole at once)
    message = refusal(archive(("page.html", PAGE), ("images/image1.png", png(4, 4)), method=zipfile.ZIP_BZIP2))
    assert "'page.html'" in message and "deflate" in message


def test_the_page_is_bound_as_a_release_file_is() -> None:
    assert MAX_PAGE_BYTES == MAX_FILE_BYTES


def test_too_many_members_are_refused_before_any_is_read() -> None:
    members = [("page.html", PAGE)] + [(f"images/image{i}.png", b"x") for i in range(MAX_MEMBERS)]
    message = refusal(archive(*members))
    assert ZIP in message and f"more than {MAX_MEMBERS}" in message and "unzip it" in message


def test_a_directory_larger_than_its_count_says_is_refused_before_it_is_read() -> None:
    # zipfile reads the central directory by its size: a count of 2 over 10,000 entries is 10,000 members
    members = [("page.html", PAGE)] + [(f"images/image{i}.png", b"x") for i in range(10_000)]
    data = bytearray(archive(*members))
    end = data.rindex(b"PK\x05\x06")
    struct.pack_into("<HH", data, end + 8, 2, 2)
    message = refusal(bytes(data))
    assert ZIP in message and f"holds more than {MAX_ZIP_MEMBERS} files" in message


def test_a_zip64_archive_is_counted_by_its_zip64_record() -> None:
    members = [("page.html", PAGE)] + [(f"images/image{i}.png", b"x") for i in range(MAX_ZIP_MEMBERS)]
    raw = archive(*members)
    end = raw.rindex(b"PK\x05\x06")
    count, size, offset = struct.unpack("<HII", raw[end + 10 : end + 20])
    record = b"PK\x06\x06" + struct.pack("<QHHIIQQQQ", 44, 45, 45, 0, 0, count, count, size, offset)
    locator = b"PK\x06\x07" + struct.pack("<IQI", 0, end, 1)
    ending = bytearray(raw[end:])
    struct.pack_into("<HHI", ending, 8, 0xFFFF, 0xFFFF, 0xFFFFFFFF)  # (deferring to the Zip64 record)
    data = raw[:end] + record + locator + bytes(ending)
    assert zipfile.ZipFile(io.BytesIO(data)).namelist() == [name for name, _ in members]
    assert f"holds more than {MAX_ZIP_MEMBERS} files" in refusal(data)  # (from the record, before the directory)


def test_a_bomb_by_its_ratio_is_refused_before_it_is_decompressed() -> None:
    bomb = png(4, 4) + bytes(9 * 1024 * 1024)  # 9 MiB, under the picture's limit, compressed a thousandfold
    message = refusal(archive(("page.html", PAGE), ("images/image1.png", bomb)))
    assert "'images/image1.png'" in message and "compressed" in message and "times" in message


def test_a_picture_declared_too_large_is_refused_before_it_is_decompressed() -> None:
    data = archive(("page.html", PAGE), ("images/image1.png", png(4, 4)), method=zipfile.ZIP_STORED)
    big = 11 * 1024 * 1024
    message = refusal(patched(data, "images/image1.png", size=big, compressed=big))
    assert "'images/image1.png'" in message and "larger than 10 MiB" in message


def test_pictures_declared_past_the_releases_bound_are_refused() -> None:
    members = [("page.html", PAGE)] + [(f"images/image{i}.png", png(4, 4)) for i in range(1, 8)]
    data = archive(*members, method=zipfile.ZIP_STORED)
    size = 10 * 1024 * 1024 - 1
    for i in range(1, 8):
        data = patched(data, f"images/image{i}.png", size=size, compressed=size)
    message = refusal(data)
    assert ZIP in message and "64 MiB" in message


def test_a_member_whose_header_lies_about_its_size_is_refused() -> None:
    # Declared 200 bytes, it decompresses to 9 MiB: reading stops at the declared size, and the member is refused.
    bomb = png(4, 4) + bytes(9 * 1024 * 1024)
    data = patched(archive(("page.html", PAGE), ("images/image1.png", bomb)), "images/image1.png", size=200)
    message = refusal(data)
    assert "'images/image1.png'" in message and "damaged" in message


def test_a_member_decompressing_past_its_declared_size_is_never_held_whole(monkeypatch) -> None:
    # Were zipfile to hand out more than the header declares, reading stops one chunk past the limit.
    read: list[int] = []
    real = zipfile.ZipExtFile.read

    def counting(self, n=-1):
        chunk = real(self, n)
        read.append(len(chunk))
        return chunk

    monkeypatch.setattr(zipfile.ZipExtFile, "read", counting)
    bomb = png(4, 4) + bytes(9 * 1024 * 1024)
    refusal(patched(archive(("page.html", PAGE), ("images/image1.png", bomb)), "images/image1.png", size=200))
    assert sum(read) < 1024 * 1024


# Dropped in the inbox


def test_a_google_docs_zip_dropped_as_downloaded_is_published_with_its_pictures(app, inbox):
    first, second = png(60, 34), jpeg(40, 30)
    (inbox / ZIP).write_bytes(export(first, second))
    [outcome] = run_ingest(app).outcomes
    assert (outcome.status, outcome.warning) == ("created", None)
    body = app.store.release(SLUG).body_html
    assert f'<img alt="The new slipway at low tide" src="{SITE}{published_name(first, "png")}"' in body
    assert f'<img alt="The crew beside the boat" src="{SITE}{published_name(jpeg(40, 30, exif=False), "jpg")}"' in body
    assert "images/image" not in body and "style=" not in body and 'title=""' not in body
    assert sorted(p.name for p in inbox.iterdir()) == ["processed"]
    assert sorted(p.name for p in (inbox / "processed").iterdir()) == [ZIP], "nothing unpacked on disk"
    run_publish(app)
    assert (app.settings.paths.out / published_name(first, "png")).read_bytes() == first


def test_the_same_zip_dropped_again_is_unchanged(app, inbox):
    (inbox / ZIP).write_bytes(export())
    run_ingest(app)
    (inbox / ZIP).write_bytes(export())
    [outcome] = run_ingest(app).outcomes
    assert outcome.status == "unchanged"


def test_two_exports_images_never_show_each_others(app, inbox):
    # Every export names its first picture images/image1.png, and so does the office's own images/ folder.
    ours, theirs, office = png(60, 34, shade=1), png(60, 34, shade=2), png(60, 34, shade=3)
    (inbox / ZIP).write_bytes(export(ours))
    other = PAGE.replace(b"Lifeboat station reopens at Porthmoor", b"Harbour wall repaired at Porthmoor")
    (inbox / "Harbour wall.zip").write_bytes(export(theirs, page=other))
    (inbox / "images").mkdir()
    (inbox / "images" / "image1.png").write_bytes(office)
    (inbox / "quay.md").write_text("# Quay reopened\n\nThe quay is open.\n\n![The quay](images/image1.png)\n")
    assert [o.status for o in run_ingest(app).outcomes] == ["created"] * 3
    assert published_name(ours, "png") in app.store.release(SLUG).body_html
    assert published_name(theirs, "png") in app.store.release("harbour-wall-repaired-at-porthmoor").body_html
    assert published_name(office, "png") in app.store.release("quay-reopened").body_html


def test_a_picture_missing_from_the_zip_is_not_taken_from_the_drop_folder(app, inbox):
    (inbox / "images").mkdir()
    (inbox / "images" / "image2.jpg").write_bytes(jpeg(80, 60))  # another release's, waiting for it
    (inbox / ZIP).write_bytes(export(image2=False))
    [outcome] = run_ingest(app).outcomes
    assert outcome.status == "created" and "'images/image2.jpg'" in outcome.warning
    assert f"not found in {inbox / ZIP}" in outcome.warning and "with its pictures in it" in outcome.warning
    assert published_name(jpeg(80, 60, exif=False), "jpg") not in app.store.release(SLUG).body_html
    assert (inbox / "images" / "image2.jpg").exists(), "not moved: the zip did not show it"


def test_a_corrected_zip_replaces_its_pictures(app, inbox):
    (inbox / ZIP).write_bytes(export(png(60, 34, shade=1)))
    run_ingest(app)
    corrected = png(60, 34, shade=7)
    (inbox / ZIP).write_bytes(export(corrected))
    [outcome] = run_ingest(app).outcomes
    assert outcome.status == "updated"
    body = app.store.release(SLUG).body_html
    assert published_name(corrected, "png") in body and published_name(png(60, 34, shade=1), "png") not in body


def test_a_corrected_zip_without_a_picture_keeps_the_one_it_showed(app, inbox):
    (inbox / ZIP).write_bytes(export(png(60, 34), jpeg(40, 30)))
    run_ingest(app)
    page = PAGE.replace(b"open to visitors at weekends", b"open to visitors every day")
    (inbox / ZIP).write_bytes(export(png(60, 34), image2=False, page=page))
    [outcome] = run_ingest(app).outcomes
    assert (outcome.status, outcome.warning) == ("updated", None)
    assert published_name(jpeg(40, 30, exif=False), "jpg") in app.store.release(SLUG).body_html


def test_a_refused_picture_in_the_zip_rejects_it_naming_both(app, inbox):
    svg = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
    (inbox / ZIP).write_bytes(export(svg))
    [outcome] = run_ingest(app).outcomes
    assert outcome.status == "rejected" and ZIP in outcome.error and "'images/image1.png'" in outcome.error
    assert "SVG" in outcome.error
    assert (inbox / "rejected" / ZIP).read_bytes() == export(svg)
    assert "SVG" in (inbox / "rejected" / f"{ZIP}.error.txt").read_text(encoding="utf-8")


def test_a_hostile_zip_is_rejected_and_kept(app, inbox):
    data = archive(("page.html", PAGE), ("../../etc/image1.png", png(4, 4)))
    (inbox / ZIP).write_bytes(data)
    [outcome] = run_ingest(app).outcomes
    assert outcome.status == "rejected" and "'../../etc/image1.png'" in outcome.error
    assert (inbox / "rejected" / ZIP).read_bytes() == data
    assert sorted(p.name for p in inbox.iterdir()) == ["rejected"], "nothing written outside, nothing unpacked"


def test_another_zip_dropped_keeps_its_advice(app, inbox):
    data = archive(
        ("a.txt", b"Harbour dues frozen\n\nBoats pay the same."), ("b.txt", b"Ferry fares cut\n\nBy a third.")
    )
    (inbox / "releases.zip").write_bytes(data)
    [outcome] = run_ingest(app).outcomes
    assert outcome.status == "rejected" and "unzip it and drop the releases it holds" in outcome.error
    assert (inbox / "rejected" / "releases.zip").read_bytes() == data
