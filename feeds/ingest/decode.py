"""Bytes → text for release files: byte-order marks, UTF-8, a declared HTML charset, then Windows-1252.

Press offices save files from whatever editor is at hand: Notepad writes UTF-8 with a BOM or UTF-16 LE,
Word's "plain text" export writes Windows-1252 with curly quotes and `£`, web pages declare their charset in
a `<meta>` tag. We try the unambiguous signals first (a BOM, then strict UTF-8, which random legacy bytes
almost never pass), then what an HTML page says about itself, and only then the Windows-1252 guess, which
we accept only when the result looks like text. Newlines come out as `\\n` whatever the file used, and the
Ctrl-Z (U+001A) that DOS-era tools (`copy /b`, some Windows editors and exports) append as an end-of-file mark is
dropped: it ends the text, it is not a control character in it.

What this module must not do: guess silently. Anything we cannot read is an `InvalidReleaseError` on the
field `encoding` that says which encodings were tried and where the first bad byte was.
"""

from __future__ import annotations

import codecs
import re

from feeds.errors import InvalidReleaseError

__all__ = ["codec_for_label", "declared_html_charset", "decode_text"]

# Longest first: the UTF-32 LE mark begins with the UTF-16 LE one (FF FE).
_BOMS: tuple[tuple[bytes, str, str], ...] = (
    (codecs.BOM_UTF32_LE, "utf-32-le", "UTF-32 LE"),
    (codecs.BOM_UTF32_BE, "utf-32-be", "UTF-32 BE"),
    (codecs.BOM_UTF8, "utf-8", "UTF-8"),
    (codecs.BOM_UTF16_LE, "utf-16-le", "UTF-16 LE"),
    (codecs.BOM_UTF16_BE, "utf-16-be", "UTF-16 BE"),
)

# C0 control characters that never occur in a text file (tab, LF, VT, FF and CR do).
_CONTROL = re.compile(r"[\x00-\x08\x0e-\x1f\x7f]")

# The HTML "prescan" (WHATWG HTML §13.2.3.2) reads the first 1024 bytes; real pages often put dozens of
# Open Graph tags before their charset, so we look a little further.
_PRESCAN_BYTES = 4096
_META_CHARSET = re.compile(
    rb"""<meta\b[^>]*?\bcharset\s*=\s*["']?\s*([A-Za-z0-9._:\-]+)"""
    rb"""|<\?xml\b[^>]*?\bencoding\s*=\s*["']([A-Za-z0-9._:\-]+)""",
    re.IGNORECASE,
)

# WHATWG Encoding Standard §4.2: these labels all mean windows-1252 on the web.
_WINDOWS_1252_LABELS = frozenset(
    {"ascii", "us-ascii", "iso-8859-1", "iso8859-1", "iso_8859-1", "latin1", "latin-1", "l1", "cp819", "cp1252"}
)


def decode_text(data: bytes, origin: str, *, html: bool = False) -> str:
    """Decode a release file to text with `\\n` newlines and no BOM.

    Order: BOM (UTF-32, UTF-8, UTF-16), strict UTF-8, the page's declared charset (HTML only), Windows-1252
    when it decodes cleanly and contains no control characters. Raises `InvalidReleaseError(field="encoding")`.
    """
    for bom, bom_codec, label in _BOMS:
        if data.startswith(bom):
            try:
                text = data[len(bom) :].decode(bom_codec)
            except UnicodeDecodeError as e:
                raise _error(
                    f"starts with a {label} byte-order mark but is not valid {label}: {e.reason} "
                    f"at byte {e.start + len(bom)}",
                    origin,
                    data,
                    e.start + len(bom),
                ) from e
            return _normalise_newlines(text)

    tried: list[str] = ["byte-order mark (none found)"]
    first_bad = 0
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        first_bad = e.start
        tried.append(f"UTF-8 (byte 0x{data[e.start]:02x} at line {_line_at(data, e.start)} is not valid UTF-8)")
    else:
        if "\x00" in text:
            raise _error(_NUL, origin, data, data.index(b"\x00"))
        return _normalise_newlines(text)

    declared = declared_html_charset(data) if html else None
    if declared is not None:
        codec = codec_for_label(declared)
        if codec is not None and codec != "utf-8":
            # A declared charset is authoritative for a web page: decode as a browser would, replacing the
            # odd bad byte (for Windows-1252, one of the five it leaves undefined) rather than rejecting the page.
            return _normalise_newlines(data.decode(codec, errors="replace"))
        tried.append(f"declared charset {declared!r}" + ("" if codec else " (unknown)"))

    try:
        text = _windows_1252_in_utf8(data)
    except UnicodeDecodeError as e:
        tried.append(f"Windows-1252 (byte 0x{data[e.start]:02x} at line {_line_at(data, e.start)} is undefined)")
    else:
        text = _without_eof_mark(text)
        bad = _CONTROL.search(text)
        if bad is None:
            return _normalise_newlines(text)
        tried.append(f"Windows-1252 (control character U+{ord(bad.group()):04X} at line {_line_at(data, bad.start())})")

    if b"\x00" in data:  # (UTF-16 without a byte-order mark, holding a character beyond ASCII)
        raise _error(_NUL, origin, data, data.index(b"\x00"))
    raise _error(
        "cannot decode the file as text; tried " + ", ".join(tried) + ". Save it as UTF-8.",
        origin,
        data,
        first_bad,
    )


# A valid UTF-8 sequence of two to four bytes (RFC 3629: no overlong forms, surrogates or code points past U+10FFFF).
_UTF8_SEQUENCE = re.compile(
    rb"[\xc2-\xdf][\x80-\xbf]|\xe0[\xa0-\xbf][\x80-\xbf]|[\xe1-\xec\xee\xef][\x80-\xbf]{2}|\xed[\x80-\x9f][\x80-\xbf]"
    rb"|\xf0[\x90-\xbf][\x80-\xbf]{2}|[\xf1-\xf3][\x80-\xbf]{3}|\xf4[\x80-\x8f][\x80-\xbf]{2}"
)
# What a UTF-8 sequence in an English-language office's file stands for: accented Latin letters, punctuation
# (dashes, curly quotes, `…`), currency (`€`), `™`, emoji. Windows-1252 bytes make such a sequence only as
# mojibake ("Ã©"); its real text makes others ("ß“", 0xDF 0x93, would be U+07D3, an N'Ko letter), read byte by byte.
_LIKELY_IN_UTF8 = re.compile("[\u0080-\u024f\u2000-\u206f\u20a0-\u20cf\u2100-\u214f\U0001f300-\U0001faff]")


def _windows_1252_in_utf8(data: bytes) -> str:
    """`data`, not valid UTF-8, read as Windows-1252, but for the UTF-8 sequences in it that stand for likely
    characters: a UTF-8 file with a curly quote or a `£` pasted in from Word or an old editor was published
    as "CafÃ© reopens â€“ …" when the whole file was read as Windows-1252. Raises `UnicodeDecodeError` for a byte
    Windows-1252 leaves undefined."""
    parts: list[str] = []
    at = 0
    for m in _UTF8_SEQUENCE.finditer(data):
        char = m.group().decode("utf-8")
        if _LIKELY_IN_UTF8.fullmatch(char):
            parts.append(_windows_1252(data, at, m.start()))
            parts.append(char)
            at = m.end()
    parts.append(_windows_1252(data, at, len(data)))
    return "".join(parts)


def _windows_1252(data: bytes, start: int, end: int) -> str:
    """`data[start:end]` as Windows-1252; a `UnicodeDecodeError` gives the bad byte's offset in `data`."""
    try:
        return data[start:end].decode("cp1252")
    except UnicodeDecodeError as e:
        raise UnicodeDecodeError("cp1252", data, start + e.start, start + e.end, e.reason) from None


_NUL = "contains NUL characters: it is binary, or UTF-16 without a byte-order mark (save it as UTF-8 instead)"


def declared_html_charset(data: bytes) -> str | None:
    """The charset an HTML page declares in a `<meta>` tag or XML declaration near its start, if any."""
    match = _META_CHARSET.search(data[:_PRESCAN_BYTES])
    if match is None:
        return None
    raw = match.group(1) or match.group(2)
    return raw.decode("ascii", errors="replace").strip().lower()


def codec_for_label(label: str) -> str | None:
    """The Python codec of a charset label as browsers read it (WHATWG: `ISO-8859-1` is Windows-1252); None if
    unknown. UTF-16 and UTF-32 labels give UTF-8: text that can declare its charset in ASCII is not UTF-16."""
    label = label.lower()
    if label in _WINDOWS_1252_LABELS:
        return "cp1252"
    if label.startswith(("utf-16", "utf-32")):
        # WHATWG: a page that can declare its charset in ASCII is not UTF-16; the declaration is wrong.
        return "utf-8"
    if label == "gb2312":
        return "gbk"
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    return "utf-8" if name == "utf-8" else name


def _normalise_newlines(text: str) -> str:
    text = _without_eof_mark(text)
    # (a CR found by `memchr` first: replacing searches for the two characters of CRLF, character by character)
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def _without_eof_mark(text: str) -> str:
    """`text` without the Ctrl-Z (SUB, U+001A) end-of-file marks at its end (CP/M and DOS marked the end of a
    text file with it, and `copy /b a+b` and some Windows tools still write one)."""
    return text.rstrip("\x1a")


def _line_at(data: bytes, offset: int) -> int:
    return data.count(b"\n", 0, offset) + 1


def _error(message: str, origin: str, data: bytes, offset: int) -> InvalidReleaseError:
    return InvalidReleaseError(message, origin=origin, field="encoding", line=_line_at(data, offset))
