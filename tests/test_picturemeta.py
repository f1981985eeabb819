"""A picture's private metadata removed losslessly: GPS, serial, owner, XMP, IPTC and comments gone from JPEG, PNG,
WebP and GIF; the image data byte for byte, the colour profile and the orientation kept; damaged files refused."""

from __future__ import annotations

import struct
import zlib

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feeds.picturemeta import MetadataError, minimal_exif, orientation_of, without_metadata

SERIAL = b"SN-4711-0815-SECRET"
OWNER = b"Jane Minister-Doe"
LATITUDE = struct.pack(">IIIIII", 51, 1, 30, 1, 2647, 100)  # 51 deg 30' 26.47"
COMMENT = b"shot in the garden at 12 Acacia Avenue"
XMP = b"<x:xmpmeta><xmp:CreatorTool>PhotoEditor 9</xmp:CreatorTool><exif:GPSLatitude>51,30.44N</exif:GPSLatitude>"
PRIVATE = (SERIAL, OWNER, LATITUDE, COMMENT, b"PhotoEditor", b"GPSLatitude", b"Acacia")
ICC = b"\x00\x00\x02\x0cICC-profile-bytes-kept" + bytes(range(256))


def tiff(orientation: int) -> bytes:
    """An EXIF TIFF structure as a phone writes it (little-endian): IFD0 with Orientation, Artist, a pointer to the
    Exif IFD (the body's serial number) and one to the GPS IFD (latitude)."""
    entries_0 = 4
    ifd0 = 8
    exif_ifd = ifd0 + 2 + 12 * entries_0 + 4
    gps_ifd = exif_ifd + 2 + 12 + 4
    data_at = gps_ifd + 2 + 12 + 4
    artist_at = data_at
    serial_at = artist_at + len(OWNER) + 1
    lat_at = serial_at + len(SERIAL) + 1
    out = b"II\x2a\x00" + struct.pack("<I", ifd0)
    out += struct.pack("<H", entries_0)
    out += struct.pack("<HHIHH", 0x0112, 3, 1, orientation, 0)
    out += struct.pack("<HHII", 0x013B, 2, len(OWNER) + 1, artist_at)
    out += struct.pack("<HHII", 0x8769, 4, 1, exif_ifd)
    out += struct.pack("<HHII", 0x8825, 4, 1, gps_ifd)
    out += struct.pack("<I", 0)
    out += struct.pack("<H", 1) + struct.pack("<HHII", 0xA431, 2, len(SERIAL) + 1, serial_at) + struct.pack("<I", 0)
    out += struct.pack("<H", 1) + struct.pack("<HHII", 0x0002, 5, 3, lat_at) + struct.pack("<I", 0)
    return out + OWNER + b"\x00" + SERIAL + b"\x00" + LATITUDE


def segment(marker: int, body: bytes) -> bytes:
    return bytes([0xFF, marker]) + struct.pack(">H", len(body) + 2) + body


JPEG_TABLES = segment(0xDB, b"\x00" + bytes(range(1, 65)))
JPEG_FRAME = segment(0xC0, struct.pack(">BHHB", 8, 800, 1200, 1) + b"\x01\x11\x00")
JPEG_HUFFMAN = segment(0xC4, b"\x00" + bytes([0, 1] + [0] * 14) + b"\x00")
JPEG_SCAN = segment(0xDA, b"\x01\x01\x00\x00\x3f\x00") + b"\x12\xff\x00\x34\xff\xd0\x56\x78\xff\xd1\x9a"
"""The image data: a scan header, then entropy-coded bytes with a stuffed 0xFF and two restart markers."""


def phone_jpeg(orientation: int = 6) -> bytes:
    return (
        b"\xff\xd8"
        + segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x48\x00\x48\x00\x00")
        + segment(0xE1, b"Exif\x00\x00" + tiff(orientation))
        + segment(0xE1, b"http://ns.adobe.com/xap/1.0/\x00" + XMP)
        + segment(0xE2, b"ICC_PROFILE\x00\x01\x01" + ICC)
        + segment(0xE2, b"MPF\x00" + SERIAL)
        + segment(0xED, b"Photoshop 3.0\x008BIM\x04\x04" + OWNER)
        + segment(0xFE, COMMENT)
        + JPEG_TABLES
        + JPEG_FRAME
        + JPEG_HUFFMAN
        + JPEG_SCAN
        + b"\xff\xd9"
        + b"SEFH"
        + COMMENT  # (a phone's trailer after the end of the image)
    )


def chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


PNG_HEADER = chunk(b"IHDR", struct.pack(">IIBBBBB", 1200, 800, 8, 2, 0, 0, 0))
PNG_ICC = chunk(b"iCCP", b"sRGB\x00\x00" + zlib.compress(ICC))
PNG_DATA = chunk(b"IDAT", zlib.compress(bytes(range(256)) * 4))


def phone_png(orientation: int = 6) -> bytes:
    return (
        b"\x89PNG\r\n\x1a\n"
        + PNG_HEADER
        + PNG_ICC
        + chunk(b"eXIf", tiff(orientation))
        + chunk(b"tEXt", b"Author\x00" + OWNER)
        + chunk(b"zTXt", b"Comment\x00\x00" + zlib.compress(COMMENT))
        + chunk(b"iTXt", b"XML:com.adobe.xmp\x00\x00\x00\x00\x00" + XMP)
        + chunk(b"tIME", b"\x07\xea\x0b\x1e\x0c\x00\x00")
        + PNG_DATA
        + chunk(b"IEND", b"")
    )


def riff_chunk(kind: bytes, body: bytes) -> bytes:
    return kind + struct.pack("<I", len(body)) + body + (b"\x00" if len(body) % 2 else b"")


WEBP_FRAME = riff_chunk(b"VP8 ", b"\x10\x02\x00\x9d\x01\x2a" + struct.pack("<HH", 1200, 800) + bytes(range(200)))


def phone_webp(orientation: int = 6) -> bytes:
    vp8x = riff_chunk(
        b"VP8X", bytes([0x20 | 0x08 | 0x04, 0, 0, 0]) + (1199).to_bytes(3, "little") + (799).to_bytes(3, "little")
    )
    body = (
        b"WEBP"
        + vp8x
        + riff_chunk(b"ICCP", ICC)
        + WEBP_FRAME
        + riff_chunk(b"EXIF", b"Exif\x00\x00" + tiff(orientation))
        + riff_chunk(b"XMP ", XMP)
    )
    return b"RIFF" + struct.pack("<I", len(body)) + body


GIF_IMAGE = b"\x2c\x00\x00\x00\x00\x04\x00\x02\x00\x00" + b"\x02\x05\x84\x1d\x81\x7a\x50\x00"


def gif() -> bytes:
    return (
        b"GIF89a"
        + struct.pack("<HHBBB", 4, 2, 0x80, 0, 0)
        + bytes(range(6))  # a global colour table of 2 colours
        + b"\x21\xff\x0bNETSCAPE2.0\x03\x01\x00\x00\x00"
        + b"\x21\xfe"
        + bytes([len(COMMENT)])
        + COMMENT
        + b"\x00"
        + b"\x21\xff\x0bXMP DataXMP"
        + bytes([len(XMP)])
        + XMP
        + b"\x00"
        + b"\x21\xf9\x04\x00\x0a\x00\x00\x00"
        + GIF_IMAGE
        + b"\x3b"
    )


def private_in(data: bytes) -> list[bytes]:
    return [value for value in PRIVATE if value in data]


def test_the_sample_pictures_hold_every_private_value_before_cleaning():
    assert private_in(phone_jpeg()) == list(PRIVATE)
    for data in (phone_png(), phone_webp()):
        assert SERIAL in data and OWNER in data and b"GPSLatitude" in data


def test_a_phone_jpeg_loses_exif_xmp_iptc_comments_and_trailer_and_keeps_its_image_profile_and_orientation():
    clean, orientation = without_metadata(phone_jpeg(6), "image/jpeg")
    assert orientation == 6
    assert private_in(clean) == []
    exif = segment(0xE1, b"Exif\x00\x00" + minimal_exif(6))
    jfif = segment(0xE0, b"JFIF\x00\x01\x01\x00\x00\x48\x00\x48\x00\x00")
    icc = segment(0xE2, b"ICC_PROFILE\x00\x01\x01" + ICC)
    # the image data and its tables byte for byte, after SOI, JFIF and an EXIF holding only the orientation
    assert clean == b"\xff\xd8" + jfif + exif + icc + JPEG_TABLES + JPEG_FRAME + JPEG_HUFFMAN + JPEG_SCAN + b"\xff\xd9"
    assert orientation_of(minimal_exif(6)) == 6


def test_a_jpeg_without_orientation_gets_no_exif_and_cleaning_twice_changes_nothing():
    clean, orientation = without_metadata(phone_jpeg(1), "image/jpeg")
    assert orientation == 1 and b"Exif" not in clean
    for data, kind in ((phone_jpeg(8), "image/jpeg"), (phone_png(), "image/png"), (phone_webp(), "image/webp")):
        once = without_metadata(data, kind)
        assert without_metadata(once[0], kind) == once
    assert (
        without_metadata(without_metadata(gif(), "image/gif")[0], "image/gif")[0]
        == without_metadata(gif(), "image/gif")[0]
    )


def test_a_phone_png_loses_its_text_chunks_and_exif_and_keeps_its_profile_data_and_orientation():
    clean, orientation = without_metadata(phone_png(6), "image/png")
    assert orientation == 6
    assert private_in(clean) == []
    assert clean == (
        b"\x89PNG\r\n\x1a\n" + PNG_HEADER + PNG_ICC + chunk(b"eXIf", minimal_exif(6)) + PNG_DATA + chunk(b"IEND", b"")
    )


def test_a_phone_webp_loses_exif_and_xmp_with_its_flags_and_size_and_keeps_frame_profile_and_orientation():
    clean, orientation = without_metadata(phone_webp(6), "image/webp")
    assert orientation == 6
    assert private_in(clean) == []
    assert WEBP_FRAME in clean and riff_chunk(b"ICCP", ICC) in clean
    assert clean[20] == 0x20 | 0x08  # ICC and EXIF (the orientation) flagged, XMP no more
    assert struct.unpack("<I", clean[4:8])[0] == len(clean) - 8
    assert clean.endswith(riff_chunk(b"EXIF", minimal_exif(6)))
    upright, _ = without_metadata(phone_webp(1), "image/webp")
    assert upright[20] == 0x20 and b"EXIF" not in upright


def test_a_gif_loses_its_comments_and_xmp_and_keeps_its_looping_and_image():
    clean, orientation = without_metadata(gif(), "image/gif")
    assert orientation == 1
    assert private_in(clean) == []
    assert b"NETSCAPE2.0" in clean and clean.endswith(GIF_IMAGE + b"\x3b")


@pytest.mark.parametrize(
    ("data", "kind", "said"),
    [
        (b"\xff\xd8" + segment(0xE1, b"Exif\x00\x00" + tiff(6))[:-20], "image/jpeg", "runs past the end"),
        (b"\xff\xd8\x00\x00", "image/jpeg", "a marker was expected"),
        (b"\xff\xd8" + JPEG_TABLES, "image/jpeg", "ends before its image data"),
        (phone_png()[:-30], "image/png", "runs past the end"),
        (phone_png()[:60], "image/png", "truncated"),
        (phone_webp()[:-40], "image/webp", "truncated"),
        (gif()[:40], "image/gif", "truncated"),
        (gif()[:-1], "image/gif", "before its trailer"),
    ],
)
def test_a_damaged_or_truncated_picture_is_refused_saying_where(data, kind, said):
    with pytest.raises(MetadataError, match=said):
        without_metadata(data, kind)


def test_a_jpeg_cut_short_in_its_image_data_is_kept_as_browsers_show_it():
    data = phone_jpeg(6)
    cut = data[: data.index(b"\xff\xd9")]
    clean, orientation = without_metadata(cut, "image/jpeg")
    assert orientation == 6 and clean.endswith(JPEG_SCAN) and private_in(clean) == []


def test_an_unreadable_exif_leaves_the_orientation_upright_and_is_removed():
    data = b"\xff\xd8" + segment(0xE1, b"Exif\x00\x00II\x2a\x00\xff\xff\x00\x00" + SERIAL) + JPEG_FRAME + JPEG_SCAN
    clean, orientation = without_metadata(data + b"\xff\xd9", "image/jpeg")
    assert orientation == 1 and SERIAL not in clean


SAMPLES = [
    (phone_jpeg(), "image/jpeg"),
    (phone_png(), "image/png"),
    (phone_webp(), "image/webp"),
    (gif(), "image/gif"),
]


@settings(max_examples=400, deadline=1000, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from(SAMPLES),
    st.lists(st.tuples(st.integers(0, 5000), st.integers(0, 255)), max_size=6),
    st.integers(0, 5000),
)
def test_any_damage_to_a_picture_is_cleaned_or_refused_never_a_crash_or_a_hang(sample, flips, cut):
    data, kind = sample
    damaged = bytearray(data[: max(len(data) - cut, 0)] if cut % 3 == 0 else data)
    for at, value in flips:
        if damaged:
            damaged[at % len(damaged)] = value
    try:
        clean, orientation = without_metadata(bytes(damaged), kind)
    except MetadataError:
        return
    assert 1 <= orientation <= 8
    assert len(clean) <= len(damaged) + 64
    assert without_metadata(clean, kind) == (clean, orientation)  # (what is published is clean by the same rules)


@settings(max_examples=300, deadline=1000)
@given(st.sampled_from(["image/jpeg", "image/png", "image/webp", "image/gif"]), st.binary(max_size=400))
def test_any_bytes_after_a_pictures_signature_are_cleaned_or_refused(kind, tail):
    head = {"image/jpeg": b"\xff\xd8", "image/png": b"\x89PNG\r\n\x1a\n", "image/webp": b"RIFF\x00\x01\x00\x00WEBP"}
    try:
        clean, _ = without_metadata(head.get(kind, b"GIF89a") + tail, kind)
    except MetadataError:
        return
    assert isinstance(clean, bytes)
