"""A picture's private metadata removed, losslessly: the same pixels, byte for byte, without where and by whom.

    without_metadata(data, kind)  (the picture's bytes without its metadata, its EXIF orientation 1-8)

A phone photograph carries, besides its pixels, the place it was taken (EXIF GPS), the camera's serial number, the
owner's name, the editing software's history (XMP), captions and credits (IPTC), comments, and often a thumbnail of
the uncropped original. None of it is needed to show the picture, and all of it would be published to every reader.
What display needs is kept: the colour profile, the colour-transform and animation blocks, and the orientation (a
phone stores a portrait photograph sideways with an EXIF Orientation of 6: without it the picture shows rotated),
rewritten as a minimal EXIF block holding that one value.

- JPEG: the segments before and between the scans are walked (ITU T.81, B.1.1); APP0 (JFIF only, without its
  thumbnail), APP2 (ICC profile only) and APP14 (Adobe) are kept, every other APPn (EXIF, XMP, IPTC/Photoshop,
  MPF, maker notes…) and COM are left out, and so is whatever follows the end of the image (a phone's second
  pictures and trailers).
- PNG: the critical chunks and those that change how it is drawn (iCCP, sRGB, gAMA, cHRM, cICP, tRNS, bKGD, pHYs,
  sBIT, the animation's…) are kept; eXIf, tEXt, iTXt, zTXt, tIME and any other ancillary chunk are left out.
- WebP: the image, alpha, animation and ICC chunks are kept; EXIF, XMP and unknown chunks are left out, and the
  extended header's flags and the RIFF size say so.
- GIF: comment extensions and application extensions other than looping and ICC (XMP among them) are left out.

The image data itself (the scans, IDAT, the VP8 frames, the LZW blocks) is copied unchanged: nothing is decoded or
re-encoded. Every walk is bounded by the picture's length and advances at each step; a picture whose structure is
cut short or damaged raises `MetadataError`, saying where (but a JPEG cut short inside its scans is kept as it is,
as browsers show it).

What this module must not do: decode, re-encode or resize a picture, or read anything but its bytes.
"""

from __future__ import annotations

import struct
import zlib

__all__ = ["MetadataError", "minimal_exif", "without_metadata"]


class MetadataError(ValueError):
    """The picture's structure is damaged or cut short: its metadata cannot be told from its image."""


def without_metadata(data: bytes, kind: str) -> tuple[bytes, int]:
    """`data` (a picture of type `kind`, `image/jpeg`…) without its private metadata, and its EXIF orientation
    (1 when it has none or an unreadable one). Deterministic: the same bytes give the same bytes, and a picture
    already cleaned is unchanged."""
    if kind == "image/jpeg":
        return _jpeg(data)
    if kind == "image/png":
        return _png(data)
    if kind == "image/webp":
        return _webp(data)
    if kind == "image/gif":
        return _gif(data), 1
    raise MetadataError(f"not a picture type feeds publishes: {kind}")


def minimal_exif(orientation: int) -> bytes:
    """A TIFF structure (EXIF's) holding only an Orientation: big-endian, one IFD of one SHORT entry."""
    return b"MM\x00\x2a\x00\x00\x00\x08" + struct.pack(">HHHIHHI", 1, 0x0112, 3, 1, orientation, 0, 0)


def orientation_of(tiff: bytes) -> int:
    """The Orientation (0x0112) in IFD0 of an EXIF TIFF structure, or 1 when absent or unreadable."""
    order = {b"II": "<", b"MM": ">"}.get(tiff[:2])
    if order is None or len(tiff) < 8:
        return 1
    (ifd,) = struct.unpack(order + "I", tiff[4:8])
    if ifd + 2 > len(tiff):
        return 1
    (count,) = struct.unpack(order + "H", tiff[ifd : ifd + 2])
    for at in range(ifd + 2, min(ifd + 2 + 12 * count, len(tiff) - 11), 12):
        tag, kind, n = struct.unpack(order + "HHI", tiff[at : at + 8])
        if tag == 0x0112:
            (value,) = struct.unpack(order + "H", tiff[at + 8 : at + 10])
            return value if kind == 3 and n == 1 and 1 <= value <= 8 else 1
    return 1


# --- JPEG ------------------------------------------------------------------------------------------------------

_KEPT_APP = {0xE0: (b"JFIF\x00",), 0xE2: (b"ICC_PROFILE\x00",), 0xEE: (b"Adobe",)}
"""The application segments display needs, by marker and the name they start with: JFIF (pixel density), the ICC
colour profile, Adobe's (whether the colours are YCbCr or CMYK). Every other APPn is metadata or unneeded."""

_JFIF_HEAD = 14
"""The JFIF segment's body up to its thumbnail ("JFIF\\0", version, density units and values, the thumbnail's width and
height): an RGB thumbnail may follow, of the uncropped original as EXIF's can be, and is left out (its size 0 x 0)."""


def _jpeg(data: bytes) -> tuple[bytes, int]:
    out = [b"\xff\xd8"]
    orientation = 0
    at = 2
    in_scan = scanned = False
    n = len(data)
    while at < n:
        if in_scan:  # entropy-coded data: up to the next marker that is not stuffing (FF00) or a restart (RSTn)
            start = at
            while True:
                at = data.find(b"\xff", at)
                if at < 0 or at + 1 >= n:
                    out.append(data[start:])  # (cut short after its header: kept as is, as browsers show it)
                    return _with_orientation(out, orientation), orientation or 1
                follower = data[at + 1]
                if follower == 0x00 or 0xD0 <= follower <= 0xD7:
                    at += 2
                elif follower == 0xFF:
                    at += 1
                else:
                    break
            out.append(data[start:at])
            in_scan = False
            continue
        if data[at] != 0xFF:
            raise MetadataError(f"byte {at}: a marker was expected: the file is damaged")
        if at + 1 >= n:
            break
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        if marker == 0xD9:  # end of image: whatever follows (a phone's second pictures, trailers) is left out
            out.append(b"\xff\xd9")
            return _with_orientation(out, orientation), orientation or 1
        if marker == 0x01 or 0xD0 <= marker <= 0xD7:
            out.append(data[at : at + 2])
            at += 2
            continue
        if at + 4 > n:
            raise MetadataError(f"byte {at}: the segment is cut short: the file is truncated")
        (length,) = struct.unpack(">H", data[at + 2 : at + 4])
        end = at + 2 + length
        if length < 2 or end > n:
            raise MetadataError(f"byte {at}: a segment runs past the end of the file: it is truncated or damaged")
        body = data[at + 4 : end]
        if marker == 0xE1 and body.startswith(b"Exif\x00\x00") and not orientation:
            orientation = orientation_of(body[6:])
        if marker == 0xFE:  # a comment
            keep = False
        elif 0xE0 <= marker <= 0xEF:
            keep = marker in _KEPT_APP and body.startswith(_KEPT_APP[marker])
        else:  # tables, frame and scan headers
            keep = True
        if keep and marker == 0xE0 and length > _JFIF_HEAD + 2:  # (a thumbnail after the header: left out)
            out.append(b"\xff\xe0" + struct.pack(">H", _JFIF_HEAD + 2) + body[: _JFIF_HEAD - 2] + b"\x00\x00")
        elif keep:
            out.append(data[at:end])
        in_scan = marker == 0xDA
        scanned = scanned or in_scan
        at = end
    if scanned:  # (cut short after its image data began: kept as is, as browsers show it)
        return _with_orientation(out, orientation), orientation or 1
    raise MetadataError("the file ends before its image data: it is truncated")


def _with_orientation(parts: list[bytes], orientation: int) -> bytes:
    """The segments, with a minimal EXIF segment holding the orientation (when it turns the picture) after SOI and
    the JFIF segment, where EXIF is looked for."""
    if orientation > 1:
        exif = b"Exif\x00\x00" + minimal_exif(orientation)
        segment = b"\xff\xe1" + struct.pack(">H", len(exif) + 2) + exif
        place = 2 if len(parts) > 1 and parts[1].startswith(b"\xff\xe0") else 1
        parts.insert(place, segment)
    return b"".join(parts)


# --- PNG -------------------------------------------------------------------------------------------------------

_PNG_KEPT = frozenset(
    {b"iCCP", b"sRGB", b"gAMA", b"cHRM", b"cICP", b"mDCV", b"mDCv", b"cLLI", b"cLLi", b"sBIT", b"tRNS", b"bKGD"}
    | {b"pHYs", b"hIST", b"sPLT", b"acTL", b"fcTL", b"fdAT"}
)
"""Ancillary chunks that change how the picture is drawn (colour, transparency, density, animation). Critical chunks
(an upper-case first letter: IHDR, PLTE, IDAT, IEND) are always kept."""


def _png(data: bytes) -> tuple[bytes, int]:
    out = [data[:8]]
    orientation = 1
    at = 8
    n = len(data)
    while True:
        if at + 12 > n:
            raise MetadataError(f"byte {at}: the file ends before its IEND chunk: it is truncated")
        (length,) = struct.unpack(">I", data[at : at + 4])
        kind = data[at + 4 : at + 8]
        end = at + 12 + length
        if end > n:
            raise MetadataError(
                f"byte {at}: the {kind.decode('latin-1')!r} chunk runs past the end of the file: it is truncated"
            )
        if kind == b"eXIf":
            orientation = orientation_of(data[at + 8 : end - 4])
            if orientation > 1:  # (an eXIf chunk comes before the image data: it is rewritten in its place)
                out.append(_png_chunk(b"eXIf", minimal_exif(orientation)))
        elif not kind[0] & 0x20 or kind in _PNG_KEPT:
            out.append(data[at:end])
        at = end
        if kind == b"IEND":  # (anything after it is left out)
            return b"".join(out), orientation


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


# --- WebP ------------------------------------------------------------------------------------------------------

_WEBP_KEPT = frozenset({b"VP8 ", b"VP8L", b"VP8X", b"ALPH", b"ANIM", b"ANMF", b"ICCP"})
_WEBP_EXIF_FLAG = 0x08
_WEBP_XMP_FLAG = 0x04


def _webp(data: bytes) -> tuple[bytes, int]:
    if len(data) < 12:
        raise MetadataError("the file ends in its RIFF header: it is truncated")
    (riff,) = struct.unpack("<I", data[4:8])
    n = min(len(data), 8 + riff)  # (bytes after the RIFF's declared end are left out)
    chunks: list[bytearray | bytes] = []
    orientation = 1
    at = 12
    while at < n:
        if at + 8 > n:
            raise MetadataError(f"byte {at}: a chunk's header is cut short: the file is truncated")
        kind = data[at : at + 4]
        (size,) = struct.unpack("<I", data[at + 4 : at + 8])
        end = at + 8 + size + (size & 1)
        if at + 8 + size > n:
            raise MetadataError(
                f"byte {at}: the {kind.decode('latin-1')!r} chunk runs past the end of the file: it is truncated"
            )
        if kind == b"EXIF":
            found = data[at + 8 : at + 8 + size]
            orientation = orientation_of(found[6:] if found.startswith(b"Exif\x00\x00") else found)
        elif kind in _WEBP_KEPT:
            chunk = data[at : at + 8 + size] + (b"\x00" if size & 1 else b"")  # (padded to an even length)
            chunks.append(bytearray(chunk) if kind == b"VP8X" else chunk)
        at = end
    if not chunks:
        raise MetadataError("no image chunk was found: the file is damaged")
    head = chunks[0]
    if head[:4] == b"VP8X":
        if len(head) < 9:
            raise MetadataError("the extended header is cut short: the file is damaged")
        assert isinstance(head, bytearray)
        head[8] &= ~(_WEBP_EXIF_FLAG | _WEBP_XMP_FLAG) & 0xFF
        if orientation > 1:  # (EXIF comes after the image data in an extended WebP)
            head[8] |= _WEBP_EXIF_FLAG
            exif = minimal_exif(orientation)
            chunks.append(b"EXIF" + struct.pack("<I", len(exif)) + exif)
    else:
        orientation = 1  # (a simple WebP has no place for EXIF: a reader takes none)
    body = b"WEBP" + b"".join(chunks)
    return b"RIFF" + struct.pack("<I", len(body)) + body, orientation


# --- GIF -------------------------------------------------------------------------------------------------------

_GIF_KEPT_APPS = (b"NETSCAPE2.0", b"ANIMEXTS1.0", b"ICCRGBG1012")
"""Application extensions display needs: the looping of an animation, and the ICC colour profile."""


def _gif(data: bytes) -> bytes:
    n = len(data)
    if n < 13:
        raise MetadataError("the file ends in its header: it is truncated")
    at = 13
    if data[10] & 0x80:  # global colour table
        at += 3 << ((data[10] & 0x07) + 1)
    out = [data[:at]]
    while True:
        if at >= n:
            raise MetadataError(f"byte {at}: the file ends before its trailer: it is truncated")
        block = data[at]
        if block == 0x3B:  # trailer (anything after it is left out)
            out.append(b"\x3b")
            return b"".join(out)
        if block == 0x2C:  # image descriptor, local colour table, LZW minimum code size, then data sub-blocks
            if at + 10 > n:
                raise MetadataError(f"byte {at}: an image descriptor is cut short: the file is truncated")
            start = at
            at += 10
            if data[at - 1] & 0x80:
                at += 3 << ((data[at - 1] & 0x07) + 1)
            at = _sub_blocks(data, at + 1)
            out.append(data[start:at])
        elif block == 0x21:  # extension: label, then data sub-blocks
            start = at
            label = data[at + 1] if at + 1 < n else None
            at = _sub_blocks(data, at + 2)
            first = data[start + 3 : start + 3 + data[start + 2]] if start + 2 < n else b""
            if label != 0xFE and (label != 0xFF or first in _GIF_KEPT_APPS):
                out.append(data[start:at])
        else:
            raise MetadataError(f"byte {at}: an unknown block (0x{block:02x}): the file is damaged")


def _sub_blocks(data: bytes, at: int) -> int:
    """The offset after the data sub-blocks starting at `at` (each a length byte and as many bytes; 0 ends them)."""
    while True:
        if at >= len(data):
            raise MetadataError(f"byte {at}: the file ends inside a block: it is truncated")
        size = data[at]
        at += 1 + size
        if size == 0:
            return at
