"""feeds.ingest.decode: BOMs, UTF-8, declared HTML charsets, Windows-1252, and clear errors for the rest."""

from __future__ import annotations

import codecs

import pytest

from feeds.errors import InvalidReleaseError
from feeds.ingest.decode import declared_html_charset, decode_text

TEXT = "Pier reopens\r\n\r\n\u2018Repairs\u2019 cost \u00a31.2m \u2013 \u201cat last\u201d.\r\n"
EXPECTED = "Pier reopens\n\n\u2018Repairs\u2019 cost \u00a31.2m \u2013 \u201cat last\u201d.\n"


@pytest.mark.parametrize(
    ("data", "label"),
    [
        (TEXT.encode("utf-8"), "utf-8"),
        (codecs.BOM_UTF8 + TEXT.encode("utf-8"), "utf-8 with BOM"),
        (codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"), "utf-16 le"),
        (codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"), "utf-16 be"),
        (codecs.BOM_UTF32_LE + TEXT.encode("utf-32-le"), "utf-32 le"),
        (codecs.BOM_UTF32_BE + TEXT.encode("utf-32-be"), "utf-32 be"),
        (TEXT.encode("cp1252"), "windows-1252 with curly quotes and pound sign"),
    ],
)
def test_decodes_every_supported_encoding_to_the_same_text(data: bytes, label: str) -> None:
    assert decode_text(data, "inbox/pier.txt") == EXPECTED, label


@pytest.mark.parametrize(
    ("data", "label"),
    [
        (TEXT.encode("cp1252") + b"\x1a", "windows-1252 (Word, Notepad) with a DOS end-of-file Ctrl-Z"),
        (TEXT.encode("cp1252") + b"\x1a\x1a", "windows-1252 with two"),
        (TEXT.encode("utf-8") + b"\x1a", "utf-8 with a Ctrl-Z"),
        (codecs.BOM_UTF16_LE + (TEXT + "\x1a").encode("utf-16-le"), "utf-16 with a Ctrl-Z"),
    ],
)
def test_a_trailing_ctrl_z_end_of_file_mark_is_dropped_not_refused(data: bytes, label: str) -> None:
    # Windows-1252 files ending in the mark were rejected as "control character U+001A", UTF-8 ones were not.
    assert decode_text(data, "inbox/pier.txt") == EXPECTED, label


def test_a_ctrl_z_inside_a_windows_1252_text_is_still_a_control_character() -> None:
    with pytest.raises(InvalidReleaseError, match="U\\+001A"):
        decode_text(b"Pier \xa3 reopens\x1a\nBody\n", "inbox/pier.txt")


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        (b"one\rtwo\r\nthree\n", "one\ntwo\nthree\n"),
        (b"", ""),
        (codecs.BOM_UTF8, ""),
    ],
)
def test_newlines_are_normalised_and_the_bom_dropped(data: bytes, expected: str) -> None:
    assert decode_text(data, "x.txt") == expected


@pytest.mark.parametrize(
    ("data", "fragments", "line"),
    [
        # 0x81 is neither UTF-8 nor defined in Windows-1252.
        (b"Title\n\nBody line\n\x81\x8d\x90 broken\n", ["UTF-8", "Windows-1252", "0x81", "line 4"], 4),
        # Valid Windows-1252 bytes, but control characters: binary, not text.
        (b"Title\n\x01\x02\xff\xfe binary", ["Windows-1252", "control character"], 2),
        # UTF-16 without a BOM: NUL bytes everywhere.
        ("Title\nBody".encode("utf-16-le"), ["NUL", "UTF-16"], 1),
        # ... holding a character beyond ASCII, which UTF-8 refuses first (the message said only "Windows-1252").
        ("Title\nFares: £5".encode("utf-16-le"), ["NUL", "UTF-16"], 1),
        ("Title\nFares: £5".encode("utf-16-be"), ["NUL", "UTF-16"], 1),
        # A UTF-16 BOM followed by an odd number of bytes.
        (codecs.BOM_UTF16_LE + b"T\x00i\x00t", ["UTF-16 LE", "byte-order mark"], 1),
    ],
)
def test_undecodable_bytes_give_an_encoding_error_saying_what_was_tried(
    data: bytes, fragments: list[str], line: int
) -> None:
    with pytest.raises(InvalidReleaseError) as info:
        decode_text(data, "inbox/bad.txt")
    error = info.value
    assert error.field == "encoding"
    assert error.origin == "inbox/bad.txt"
    assert error.line == line
    for fragment in fragments:
        assert fragment in str(error)


def test_html_declared_charset_is_honoured_when_utf8_fails() -> None:
    page = '<html><head><meta charset="windows-1251"></head><body><p>Привет, мир</p></body></html>'
    data = page.encode("cp1251")
    assert "Привет, мир" in decode_text(data, "page.html", html=True)
    # Without the HTML flag the declaration is not read and the bytes are taken as Windows-1252.
    assert "Привет" not in decode_text(data, "page.txt")


def test_html_latin1_declaration_means_windows_1252_as_browsers_read_it() -> None:
    page = '<meta http-equiv="Content-Type" content="text/html; charset=ISO-8859-1"><p>\u201cquoted\u201d</p>'
    assert "\u201cquoted\u201d" in decode_text(page.encode("cp1252"), "page.html", html=True)


def test_a_page_declaring_latin1_with_a_byte_windows_1252_leaves_undefined_is_read_as_a_browser_reads_it() -> None:
    page = b'<meta charset="iso-8859-1"><p>\x93quoted\x94 and a stray \x81 byte</p>'
    text = decode_text(page, "page.html", html=True)
    assert "\u201cquoted\u201d and a stray \ufffd byte" in text


def test_valid_utf8_wins_over_a_wrong_declaration() -> None:
    page = '<meta charset="iso-8859-1"><p>caf\u00e9</p>'
    assert "caf\u00e9" in decode_text(page.encode("utf-8"), "page.html", html=True)


@pytest.mark.parametrize(
    ("head", "charset"),
    [
        (b'<meta charset="UTF-8">', "utf-8"),
        (b"<meta charset=koi8-r>", "koi8-r"),
        (b'<META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=Shift_JIS">', "shift_jis"),
        (b'<?xml version="1.0" encoding="ISO-8859-15"?><html>', "iso-8859-15"),
        (b"<html><head><title>none</title></head>", None),
    ],
)
def test_declared_html_charset(head: bytes, charset: str | None) -> None:
    assert declared_html_charset(head) == charset


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        # A UTF-8 file with a curly apostrophe pasted in from a Windows-1252 source (Word, an old editor).
        (
            "Caf\u00e9 reopens \u2013 at last\n\nThe caf\u00e9".encode() + b"\x92s owner is glad.\n",
            "Caf\u00e9 reopens \u2013 at last\n\nThe caf\u00e9\u2019s owner is glad.\n",
        ),
        (
            "Fares \u00a35 \u2122 \U0001f389".encode() + b" \x93frozen\x94\n",
            "Fares \u00a35 \u2122 \U0001f389 \u201cfrozen\u201d\n",
        ),
        # A Windows-1252 text whose bytes happen to form a UTF-8 sequence of no script it could be: "ß“" is 0xDF 0x93.
        ("\u201eStra\u00dfe\u201c caf\u00e9\n".encode("cp1252"), "\u201eStra\u00dfe\u201c caf\u00e9\n"),
    ],
)
def test_a_utf8_file_with_a_few_windows_1252_bytes_is_read_as_both(data: bytes, expected: str) -> None:
    """Ingest UX review: one Windows-1252 byte in a UTF-8 file made the whole file Windows-1252, and the release
    was published as "CafÃ© reopens â€“ at last" without a word."""
    assert decode_text(data, "inbox/cafe.txt") == expected


def test_an_undefined_byte_after_utf8_text_is_reported_where_it_is() -> None:
    with pytest.raises(InvalidReleaseError) as info:
        decode_text("Caf\u00e9\n\ncaf\u00e9 \u2013\nstray ".encode() + b"\x92 and \x81\n", "inbox/bad.txt")
    assert info.value.line == 4 and "byte 0x81 at line 4 is undefined" in str(info.value)
