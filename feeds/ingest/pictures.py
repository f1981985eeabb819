"""Pictures dropped with a release: read beside its file, checked by their bytes, measured from their header.

    with_picture_files(raws, path, shown)  each release read from `path`, with the pictures it shows, read beside it
    picture_of(folder, ref, release)       the file `ref` in the release's folder as a `Picture`, or why it is not

A picture the release names and that is not there is a warning on the release, which is stored with its image
where it pointed before (resolved against the site: the office may publish it there by other means); a picture
that is there but refused (not a picture, an SVG, too large, a link) rejects the release, and moves with it to
rejected/, to be dropped again together.

A picture is read as a release file is (a regular file, never through a link, a folder that is one included, not a
hard link to something else), up to `MAX_PICTURE_BYTES`, and a release's up to `MAX_SHOWN_BYTES` together; never
from the drop folder's processed/ or rejected/ (`KEPT_APART`), whose files are other releases'. Its type is read
from its first bytes, never from its name: JPEG, PNG, GIF and WebP, the types every browser and feed reader shows.
An SVG is refused: it is a document that may hold scripts and links, run when it is opened from the site's own
address; it is not sanitised into something else, so the office converts it (to PNG) and knows what is published.
Its private metadata (EXIF with its GPS position and camera serial, XMP, IPTC, comments) is removed before it is
hashed and stored (`feeds.picturemeta`: losslessly, the image data byte for byte, the orientation kept), so that
what is stored, published and named by its hash is the picture without it. Width and height come from the header
(`image_size`: a few bytes, read by hand; a decoding library such as Pillow would decode far more of an untrusted
file than the size needs), as displayed (`displayed`: a photograph stored sideways with an EXIF orientation of 5 to
8 is shown turned a quarter).

What this module must not do: decode or re-encode a picture (its image data is published byte for byte), or read
any file that is not named by a release.
"""

from __future__ import annotations

import hashlib
import os
import posixpath
import stat
import struct
from collections.abc import Mapping, Sequence
from dataclasses import replace
from pathlib import Path

from feeds.errors import FeedsError
from feeds.model import RawRelease, Release
from feeds.normalise.pictures import local_picture_refs
from feeds.picturemeta import MetadataError, without_metadata
from feeds.pictures import Picture

__all__ = [
    "KEPT_APART",
    "MAX_PICTURE_BYTES",
    "MAX_SHOWN_BYTES",
    "PICTURE_SUFFIXES",
    "PictureError",
    "PictureFile",
    "checked_picture",
    "displayed",
    "image_size",
    "is_picture_name",
    "looked_in",
    "missing_warning",
    "picture_of",
    "stored_digest",
    "waiting_bytes",
    "with_picture_files",
    "with_warnings",
]

MAX_PICTURE_BYTES = 10 * 1024 * 1024
"""A picture larger than this is refused: a press photograph for the web is a few hundred KB; a 40 MB camera
original would be served to every reader of the page (resize it first)."""

MAX_SHOWN_BYTES = 64 * 1024 * 1024
"""A release file whose pictures add up to more than this is refused, reading stopping at the one that passes it: a
batch is cut once its pictures pass about as much (`parallel.PICTURE_BATCH_BYTES`), but only after the file that
passes it, so that one release showing 300 camera originals was held whole, 2.7 GB."""

PICTURE_SUFFIXES = (".jpg", ".jpeg", ".jpe", ".png", ".gif", ".webp", ".svg", ".svgz")
"""Names of picture files in a drop folder: never read as releases, but with the release that shows them."""


def is_picture_name(name: str) -> bool:
    return name.lower().endswith(PICTURE_SUFFIXES)


PictureIdentity = tuple[int, int, int, int]
"""(device, inode, size, modification time in ns) of a picture file as read (`units.FileIdentity`'s form)."""

PictureFile = tuple[str, PictureIdentity | None]
"""A picture file a release shows: its path, and its identity as read (None: refused, moved as it is)."""


class PictureError(FeedsError):
    """A picture a release shows is there but refused; `paths`: the picture files found, which move to rejected/
    with the release, so that the office drops them again together."""

    def __init__(self, message: str, paths: tuple[PictureFile, ...]):
        super().__init__(message)
        self.paths = paths


def with_picture_files(
    raws: Sequence[RawRelease], path: Path, shown: str, *, archive: Mapping[str, bytes] | None = None
) -> tuple[tuple[RawRelease, ...], tuple[PictureFile, ...], tuple[str | None, ...]]:
    """`raws` (read from the file `path`, named `shown` in messages), each with the pictures its body shows by a
    path relative to the file; those files (path, and identity as read: None for one refused); and for each raw,
    a warning naming the pictures it shows that are not there, or None. PictureError naming the release, the
    reference and the file when one is refused.

    `archive`: the pictures of the zip `path` the release was read from (a Google Docs export, `zipexport`), by
    their path in it, where its pictures are looked for instead of beside it: never in the drop folder, whose
    `images/image1.png` is any other export's too. Its limits were kept in reading it; no file moves with it."""
    named = [local_picture_refs(raw) for raw in raws]
    if not any(named):  # (nearly every release: no file to look for)
        return tuple(raws), (), (None,) * len(raws)
    if archive is not None:
        return _from_archive(raws, named, archive, path, shown)
    folder = path.parent
    found: dict[str, PictureIdentity | None] = {}
    problems: list[str] = []
    done: list[RawRelease] = []
    missing: list[str | None] = []
    held = 0  # the bytes of the pictures read, each once
    for raw, refs in zip(raws, named, strict=True):
        pictures: list[Picture] = []
        absent: list[str] = []
        for ref in refs:
            if (elsewhere := _not_dropped_with(ref, shown)) is not None:  # (never read, and never moved)
                problems.append(elsewhere)
                continue
            where = str(folder.joinpath(*ref.split("/")))
            if not os.path.lexists(where):
                absent.append(ref)
                continue
            if held > MAX_SHOWN_BYTES:  # (not read: refused, it moves to rejected/ with the release)
                found.setdefault(where, None)
                continue
            picture = picture_of(folder, ref, shown)
            if isinstance(picture, str):
                problems.append(picture)
                found.setdefault(where, None)
            else:
                pictures.append(picture)
                held += len(picture.data) if where not in found else 0
                found.setdefault(where, picture.read_as)
        done.append(replace(raw, pictures=tuple(pictures)) if pictures else raw)
        missing.append(missing_warning(shown, folder, absent) if absent else None)
    if held > MAX_SHOWN_BYTES:
        limit = MAX_SHOWN_BYTES // (1024 * 1024)
        problems.append(
            f"{shown}: the pictures it shows add up to more than {limit} MiB; resize them for the web (a picture on a "
            "page needs a few hundred KB) and drop the release again with them"
        )
    if problems:
        raise PictureError("; ".join(problems), tuple(found.items()))
    return tuple(done), tuple(found.items()), tuple(missing)


def _from_archive(
    raws: Sequence[RawRelease], named: Sequence[tuple[str, ...]], archive: Mapping[str, bytes], path: Path, shown: str
) -> tuple[tuple[RawRelease, ...], tuple[PictureFile, ...], tuple[str | None, ...]]:
    """`with_picture_files` for releases read from a zip archive, whose pictures are `archive`'s."""
    problems: list[str] = []
    done: list[RawRelease] = []
    missing: list[str | None] = []
    for raw, refs in zip(raws, named, strict=True):
        pictures: list[Picture] = []
        absent = [ref for ref in refs if ref not in archive]
        for ref in (ref for ref in refs if ref in archive):
            picture = checked_picture(archive[ref], ref, f"{shown}: the picture {ref!r} it shows", f"{ref} in {shown}")
            if isinstance(picture, str):
                problems.append(picture)
            else:
                pictures.append(picture)
        done.append(replace(raw, pictures=tuple(pictures)) if pictures else raw)
        missing.append(missing_warning(shown, looked_in(str(path)), absent) if absent else None)
    if problems:
        raise PictureError("; ".join(problems), ())
    return tuple(done), (), tuple(missing)


def missing_warning(shown: str, folder: Path, refs: Sequence[str]) -> str:
    """The warning on a release (read from the file named `shown`, in `folder`, or from the zip `folder`, a Google
    Docs export) showing pictures `refs` that are neither there nor stored with an earlier version of it."""
    names = ", ".join(repr(ref) for ref in refs)
    again = "in it" if folder.name.lower().endswith(".zip") else "beside it"
    return (
        f"{shown}: the picture(s) {names} it shows were not found in {folder}: the release is published with "
        f"the image(s) at an address on the site where nothing is published; drop the release again with its "
        f"pictures {again}"
    )


def looked_in(origin: str) -> Path:
    """Where the pictures of a release read from the file `origin` were looked for: its folder, or the zip
    itself for a Google Docs export (the only zip read as a release)."""
    path = Path(origin)
    return path if origin.lower().endswith(".zip") else path.parent


def with_warnings(releases: Sequence[Release], warnings: Sequence[str | None]) -> tuple[Release, ...]:
    """`releases` (normalised from raws in their order), each with its warning added to its `ingest_warning`."""
    if not any(warnings):
        return tuple(releases)
    return tuple(
        replace(r, ingest_warning=f"{r.ingest_warning}; {w}" if r.ingest_warning else w) if w else r
        for r, w in zip(releases, warnings, strict=True)
    )


def picture_of(folder: Path, ref: str, release: str) -> Picture | str:
    """The picture the release file `release` names as `ref` (relative to `folder`, its folder), or why not, as
    an error naming the release, the reference and the file."""
    named = f"{release}: the picture {ref!r} it shows"
    if (elsewhere := _not_dropped_with(ref, release)) is not None:
        return elsewhere
    parts = posixpath.normpath(ref).split("/")
    path = folder.joinpath(*parts)
    try:
        fd = _open_below(folder, parts)
    except FileNotFoundError:
        return f"{named} was not found: {path} does not exist; drop the picture with the release (or remove the image)"
    except OSError as e:
        return f"{named} cannot be read ({path}: {e.strerror or e}); put the file itself there, not a link"
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(f.fileno())
        if not stat.S_ISREG(st.st_mode) or st.st_nlink > 1:
            return (
                f"{named}, {path}, is not a plain file (a folder, device or hard link); put a copy of the picture there"
            )
        if st.st_size > MAX_PICTURE_BYTES:
            return _too_large(named, path)
        data = f.read(MAX_PICTURE_BYTES + 1)
    if len(data) > MAX_PICTURE_BYTES:
        return _too_large(named, path)
    return checked_picture(data, ref, named, str(path), (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns))


def checked_picture(
    data: bytes, ref: str, named: str, path: str, read_as: PictureIdentity | None = None
) -> Picture | str:
    """The picture `data` (of at most `MAX_PICTURE_BYTES`), shown by a release as `ref`, checked by its type,
    without its metadata and measured; or why it is refused, naming it (`named`, the release and the reference)
    and where it was read (`path`)."""
    kind = picture_type(data)
    if kind == "image/svg+xml":
        return (
            f"{named}, {path}, is an SVG drawing, which can hold scripts that would run from the site's address: "
            "SVG is not published; save it as PNG and drop the release again"
        )
    if kind is None:
        return f"{named}, {path}, is not a JPEG, PNG, GIF or WebP picture (by its content); save it as one of these"
    try:
        data, orientation = without_metadata(data, kind)
    except MetadataError as e:
        return f"{named}, {path}, is a damaged {kind.removeprefix('image/').upper()} file ({e}); save it again"
    size = image_size(data, kind)
    if size is None:
        return f"{named}, {path}, is a damaged {kind.removeprefix('image/').upper()} file (its size cannot be read)"
    width, height = displayed(size, orientation)
    return Picture(
        ref=ref,
        sha256=hashlib.sha256(data).hexdigest(),
        media_type=kind,
        width=width,
        height=height,
        data=data,
        read_as=read_as,
    )


KEPT_APART = ("processed", "rejected")
"""The drop folder's record of the files it read (`folder.PROCESSED`, `folder.REJECTED`; this module cannot import
it), which its scan never reads: no release shows a picture from there, nor moves one out of it."""


def _not_dropped_with(ref: str, release: str) -> str | None:
    """Why `ref` names no file dropped with the release file `release` (outside its folder, in the drop folder's
    processed/ or rejected/, in a dot-folder the scan never reads), as an error naming both; None when it may."""
    parts = posixpath.normpath(ref).split("/")
    named = f"{release}: the picture {ref!r} it shows"
    if ref.startswith("/") or ".." in parts:  # (never outside the release's folder)
        return f"{named} is not in the release's folder or a folder in it; put the picture beside the release"
    if any(p.casefold() in KEPT_APART or p.startswith(".") for p in parts[:-1]):  # (a share may ignore case)
        return (
            f"{named} is in a folder the drop folder keeps apart ({'/'.join(parts[:-1])}/: files it read, or a "
            "hidden folder), not one dropped with the release; put the picture beside the release"
        )
    return None


def _open_below(folder: Path, parts: Sequence[str]) -> int:
    """A descriptor of the file `parts` below `folder`, each folder on the way opened without following a link
    (O_NOFOLLOW alone guards only the last step: `images/` linked to a folder elsewhere would be read through)."""
    flags = os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_BINARY", 0)
    if len(parts) == 1:  # (nearly every picture: beside its release, one open)
        return os.open(folder / parts[0], flags)
    at = os.open(folder, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
    try:
        for part in parts[:-1]:
            step = os.open(part, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | os.O_NOFOLLOW, dir_fd=at)
            os.close(at)
            at = step
        return os.open(parts[-1], flags, dir_fd=at)
    finally:
        os.close(at)


def displayed(size: tuple[int, int], orientation: int) -> tuple[int, int]:
    """(width, height) as the picture is shown: EXIF orientations 5 to 8 turn it a quarter, swapping them."""
    return (size[1], size[0]) if orientation >= 5 else size


def waiting_bytes(path: Path) -> bytes | None:
    """The bytes of the picture file `path` that no release showed (to tell whether they are stored already), or
    None when it is no plain file of at most `MAX_PICTURE_BYTES` (a link, a pipe: never followed nor read, as a
    pipe or a link to /dev/zero would never end) or cannot be read."""
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_BINARY", 0))
    except OSError:
        return None
    with os.fdopen(fd, "rb") as f:
        st = os.fstat(f.fileno())
        if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_PICTURE_BYTES:
            return None
        try:
            data = f.read(MAX_PICTURE_BYTES + 1)
        except OSError:
            return None
    return data if len(data) <= MAX_PICTURE_BYTES else None


def stored_digest(data: bytes) -> str | None:
    """The SHA-256 a picture file's bytes are stored under (those of the picture without its metadata), or None
    when they are no picture we store."""
    kind = picture_type(data)
    if kind is None or kind == "image/svg+xml":
        return None
    try:
        return hashlib.sha256(without_metadata(data, kind)[0]).hexdigest()
    except MetadataError:
        return None


def _too_large(named: str, path: Path) -> str:
    limit = MAX_PICTURE_BYTES // (1024 * 1024)
    return f"{named}, {path}, is larger than {limit} MiB; resize it for the web and drop the release again"


def picture_type(data: bytes) -> str | None:
    """The picture's type by its first bytes (its "magic number"), or None; `image/svg+xml` for what looks like
    SVG (an XML document with an `<svg` element near its start, or gzip-compressed SVGZ), to be refused."""
    if data.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if data.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if data.startswith((b"GIF87a", b"GIF89a")):
        return "image/gif"
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "image/webp"
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if data.startswith(b"\x1f\x8b") or (head.startswith(b"<") and b"<svg" in head):
        return "image/svg+xml"
    return None


def image_size(data: bytes, kind: str) -> tuple[int, int] | None:
    """(width, height) in pixels from the picture's header, as stored (before any EXIF orientation turns it), or
    None when the header is cut short or damaged."""
    try:
        if kind == "image/png":
            if data[12:16] != b"IHDR":
                return None
            return _positive(*struct.unpack(">II", data[16:24]))
        if kind == "image/gif":
            return _positive(*struct.unpack("<HH", data[6:10]))
        if kind == "image/webp":
            return _webp_size(data)
        if kind == "image/jpeg":
            return _jpeg_size(data)
    except (struct.error, IndexError):  # (a header cut short inside a chunk that is there)
        return None
    return None


def _positive(width: int, height: int) -> tuple[int, int] | None:
    return (width, height) if width > 0 and height > 0 else None


def _webp_size(data: bytes) -> tuple[int, int] | None:
    chunk = data[12:16]
    if chunk == b"VP8 " and data[23:26] == b"\x9d\x01\x2a":  # lossy: the key frame's start code, then 14-bit sizes
        width, height = struct.unpack("<HH", data[26:30])
        return _positive(width & 0x3FFF, height & 0x3FFF)
    if chunk == b"VP8L" and data[20] == 0x2F:  # lossless: 14 bits each, minus one
        bits = int.from_bytes(data[21:25], "little")
        return _positive((bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1)
    if chunk == b"VP8X":  # extended: the canvas, 24 bits each, minus one
        return _positive(int.from_bytes(data[24:27], "little") + 1, int.from_bytes(data[27:30], "little") + 1)
    return None


_SOF = frozenset({0xC0, 0xC1, 0xC2, 0xC3, 0xC5, 0xC6, 0xC7, 0xC9, 0xCA, 0xCB, 0xCD, 0xCE, 0xCF})
"""JPEG start-of-frame markers (baseline, progressive, lossless…), whose segment holds the image's size."""


def _jpeg_size(data: bytes) -> tuple[int, int] | None:
    """The size in the first start-of-frame segment, walking the segments from the start (ITU T.81, B.1.1)."""
    at = 2
    while at + 4 <= len(data):
        if data[at] != 0xFF:
            return None
        marker = data[at + 1]
        if marker == 0xFF:  # fill byte
            at += 1
            continue
        if marker in (0x01, *range(0xD0, 0xD8)):  # markers without a length
            at += 2
            continue
        (length,) = struct.unpack(">H", data[at + 2 : at + 4])
        if marker in _SOF:
            height, width = struct.unpack(">HH", data[at + 5 : at + 9])
            return _positive(width, height)
        if marker == 0xD9 or length < 2:  # end of image, or a damaged length
            return None
        at += 2 + length
    return None
