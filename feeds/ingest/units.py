"""Units: one input (a file, one pushed or remote object) read, parsed and normalised, or why it could not be.

    read bytes (a regular file, never through a link) | formats.parse_release_file | normalise_release | Unit

(a Google Docs export's .zip: `zipexport.exported_page` | formats.parse_release_file of its page | its pictures
read from the zip)

A unit is all or nothing: if any of its releases is invalid the unit carries an error naming the file and field,
and `feeds.ingest.save` stores nothing from it. A file's unit also carries what the ledger and the move after the
commit need: its base name, the SHA-256 of its bytes, its mtime and its identity as read.

Worker processes build units (`feeds.ingest.parallel.read_batch`), so everything here is importable at module
top level, and units are picklable. What this module must not do: touch the store or import a database library
(workers need none), move a file, or raise for bad content (the unit says what is wrong).
"""

from __future__ import annotations

import errno
import hashlib
import os
import stat
import sys
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from feeds.config import Settings
from feeds.errors import FeedsError, InvalidReleaseError
from feeds.ingest.formats import located, parse_release_file
from feeds.ingest.frontmatter import named_as_written
from feeds.ingest.pictures import PictureError, PictureFile, with_picture_files, with_warnings
from feeds.ingest.zipexport import EXPORT_IMAGES, exported_page
from feeds.model import RawRelease, Release
from feeds.normalise import normalise_release
from feeds.records import pickled_by_fields

MAX_FILE_BYTES = 20 * 1024 * 1024
"""A release file larger than this is rejected unread: releases are text (a full HTML page with its inline
images is a few MB), and something dropped by mistake (a video, a database dump) must not fill the memory."""


@pickled_by_fields
@dataclass(frozen=True, slots=True)
class Unit:
    """One input, parsed and normalised, or the reason it could not be."""

    origin: str
    source: str
    releases: tuple[Release, ...] = ()
    error: str | None = None
    file_name: str | None = None
    """For files: the name recorded in the ledger (base name, so a move keeps it)."""
    sha256: str | None = None
    modified: datetime | None = None
    """For files: when the file was last written (its mtime, UTC)."""
    already_ingested: bool = False
    gone: bool = False
    """The file was there when the folder was scanned and no longer when it was read: another process (a second
    `feeds ingest`, a daemon) took it meanwhile. Not an error of the file: nothing is reported for it."""
    read_as: FileIdentity | None = None
    """For files read: the file as it was when it was read, which is the one that may be moved after the commit
    (see `feeds.ingest.folder.settle`)."""
    pictures: tuple[PictureFile, ...] = ()
    """For files: the picture files its releases show (`feeds.ingest.pictures`), which move where it went at the
    end of the run (`feeds.ingest.picturemoves`): each one's path, and its identity as read (a picture replaced
    meanwhile is not moved in its place)."""
    unfound: tuple[tuple[int, RawRelease], ...] = ()
    """For files: each release (its index in `releases`, and the raw it was normalised from) that shows pictures
    not found beside the file, which may keep those its stored version showed under the same names
    (`feeds.ingest.picturekeep`, in the transaction that stores it); none for nearly every file."""


FileIdentity = tuple[int, int, int, int]
"""(device, inode, size, modification time in ns) of a file: another file put in its place (a rename onto its
name), or the same one written again, differs."""


def file_identity(st: os.stat_result) -> FileIdentity:
    return (st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


def normalise_all(raws: Sequence[RawRelease], settings: Settings, now: datetime) -> tuple[Release, ...]:
    """Each of `raws` normalised; an error about a field given by a front-matter alias names the key as written."""
    releases = []
    for raw in raws:
        try:
            releases.append(normalise_release(raw, settings.site, settings.topics, now))
        except InvalidReleaseError as e:
            raise named_as_written(e, raw.lines) from None
    return tuple(releases)


def shown_path(path: str) -> str:
    """A path as text that can be printed, logged and stored: a file name that is not UTF-8 (from a Samba share
    or a zip archive, held by Python as lone surrogates) has its odd bytes written as `\xe9`."""
    return os.fsencode(path).decode("utf-8", "backslashreplace")


def unit_from_file(
    path: Path, *, source: str, settings: Settings, now: datetime, named: bool = False, key: str | None = None
) -> Unit:
    """Read and parse one file into a unit (never raises for bad content: the unit carries the error).

    `key`: the file's name within its source when its base name is not enough (`RawRelease.file_key`).

    Only a regular file is read, never through a symbolic link: a link in a drop folder would let whoever can
    write there publish any file the daemon can read (callers resolve the links a person names on purpose).
    A hard link is the same danger in another form (a second name for the config, a key, anything on the same
    file system): a file with more than one name is refused too, unless `named`, by the person running the
    command. A FIFO or device is refused without blocking."""
    origin = str(path)
    shown = shown_path(origin)
    if shown != origin:
        why = (
            f"this Python reads file names as {sys.getfilesystemencoding()}, not UTF-8 (the locale: run feeds with "
            "LANG=C.UTF-8 or PYTHONUTF8=1, then drop the file again)"
            if shown == os.fsencode(origin).decode("utf-8", "replace")  # (valid UTF-8: the locale misread it)
            else "the file name is not valid UTF-8 (rename the file, without accents, and drop it again)"
        )
        return Unit(origin=origin, source=source, error=f"{shown}: {why}")
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK | getattr(os, "O_BINARY", 0))
    except OSError as e:
        if e.errno == errno.ELOOP:  # O_NOFOLLOW met a link (or a loop of them)
            target = _link_target(path)
            return Unit(
                origin=origin,
                source=source,
                error=f"{origin}: a symbolic link{target}; links are not followed: put the file itself here",
            )
        gone = e.errno == errno.ENOENT
        return Unit(origin=origin, source=source, error=f"{origin}: cannot read file: {e.strerror or e}", gone=gone)
    try:  # (on the descriptor itself: a file object's buffer and its closing cost more than reading a release)
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            return Unit(origin=origin, source=source, error=f"{origin}: not a regular file (a pipe, socket or device)")
        if st.st_nlink > 1 and not named:
            return Unit(
                origin=origin,
                source=source,
                error=f"{origin}: the file has {st.st_nlink} names (hard links), so it may be a file from "
                "elsewhere; hard links are not read: put a copy of the file here",
            )
        # (a file too large by its size is not read at all; one that grew past the limit meanwhile, to it)
        data = _read_up_to(fd, st.st_size) if st.st_size <= MAX_FILE_BYTES else b""
        modified = datetime.fromtimestamp(st.st_mtime, UTC)
        read_as = file_identity(st)
    except OSError as e:
        return Unit(origin=origin, source=source, error=f"{origin}: cannot read file: {e.strerror or e}")
    finally:
        os.close(fd)
    if st.st_size > MAX_FILE_BYTES or len(data) > MAX_FILE_BYTES:
        limit = MAX_FILE_BYTES // (1024 * 1024)
        return Unit(
            origin=origin,
            source=source,
            error=f"{origin}: the file is larger than {limit} MiB, too large to be a release; it was not read",
            read_as=read_as,
        )
    digest = hashlib.sha256(data).hexdigest()
    try:
        # (a Google Docs export dropped as it downloaded is its page, its pictures read from the zip; only a
        # file named `.zip` is looked into)
        export = exported_page(data, origin) if path.name[-4:].lower() == ".zip" else None
        if export is None:
            raws = parse_release_file(data, path.name, source=source, origin=origin, saved_folder=saved_folder(path))
        else:
            page, name = export.page, export.page_name
            raws = parse_release_file(page, name, source=source, origin=origin, saved_folder=EXPORT_IMAGES)
        if key is not None:
            raws = tuple(replace(raw, file_key=key) for raw in raws)
        archive = export.pictures if export is not None else None
        raws, pictures, missing = with_picture_files(raws, path, shown_path(origin), archive=archive)
        releases = with_warnings(normalise_all(raws, settings, now), missing)
    except PictureError as e:
        error, pictures = str(e), e.paths
        return Unit(origin=origin, source=source, error=error, file_name=path.name, read_as=read_as, pictures=pictures)
    except FeedsError as e:
        error = str(located(e, data, path.name))
        return Unit(origin=origin, source=source, error=error, file_name=path.name, sha256=digest, read_as=read_as)
    if pictures:  # (a picture changed is a file changed: the ledger must not take it for one ingested already)
        shown_bytes = "".join(f"\n{p.ref}\t{p.sha256}" for raw in raws for p in raw.pictures)
        digest = hashlib.sha256(f"{digest}{shown_bytes}".encode()).hexdigest()
    if not releases:
        return Unit(
            origin=origin, source=source, error=f"{origin}: no release in file", file_name=path.name, read_as=read_as
        )
    unfound = (
        tuple((i, raw) for i, (raw, why) in enumerate(zip(raws, missing, strict=True)) if why) if any(missing) else ()
    )
    return Unit(
        origin=origin,
        source=source,
        releases=releases,
        file_name=path.name,
        sha256=digest,
        modified=modified,
        read_as=read_as,
        pictures=pictures,
        unfound=unfound,
    )


def saved_folder(path: Path) -> str | None:
    """The name of the folder a web page saved "complete" (a browser's "Web Page, complete", Word's "Save as Web
    Page") keeps its pictures in, `<name>_files/`, when it is beside the page `path`; None otherwise, and for any
    other file (no look at the disk)."""
    stem, dot, suffix = path.name.rpartition(".")
    if not dot or suffix.lower() not in ("html", "htm"):
        return None
    folder = f"{stem}_files"
    return folder if os.path.isdir(path.parent / folder) and not os.path.islink(path.parent / folder) else None


def _read_up_to(fd: int, size: int) -> bytes:
    """The bytes of the file open as `fd`, at most `MAX_FILE_BYTES` + 1 of them (one more says it is too large).

    Asked for its size (from `fstat`) plus one, then the rest if it grew meanwhile: one `read` of the whole
    limit would allocate 20 MiB for every file, which cost more than reading and parsing a typical release."""
    limit = MAX_FILE_BYTES + 1
    data = _read_fd(fd, min(size + 1, limit))
    if len(data) > size:  # written to since fstat: read on, to the limit, as for any file
        data += _read_fd(fd, limit - len(data))
    return data


def _read_fd(fd: int, wanted: int) -> bytes:
    """`wanted` bytes from `fd`, fewer at the end of the file (as a buffered file's `read(wanted)`)."""
    data = os.read(fd, wanted)
    while 0 < len(data) < wanted:  # (a regular file gives fewer only at its end; another read says so)
        more = os.read(fd, wanted - len(data))
        if not more:
            break
        data += more
    return data


def _link_target(path: Path) -> str:
    try:
        return f" to {shown_path(os.readlink(path))}"
    except OSError:
        return ""


def unit_from_raws(raws: Sequence[RawRelease], *, origin: str, source: str, settings: Settings, now: datetime) -> Unit:
    try:
        return Unit(origin=origin, source=source, releases=normalise_all(raws, settings, now))
    except FeedsError as e:
        return Unit(origin=origin, source=source, error=str(e))
