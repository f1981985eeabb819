"""Folders of release files: the drop folder (inbox) and read-only release folders.

A drop folder (`move = true`) is a hand-off point: after the batch holding a file is committed, the file moves
to `processed/`; a file that cannot be ingested moves to `rejected/` with `<name>.error.txt` beside it saying
why. Nothing is ever deleted: a name already used in `processed/` or `rejected/` gets a numbered suffix.
A folder with `move = false` is ingested in place (re-ingesting unchanged files is a no-op; an edited file
updates its release).

Files whose names say they are still being written (`.tmp`, `.part`, `~`, dot-files…) are left alone: writers
should write under such a name and rename into the folder when done.
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from feeds.clock import rfc3339
from feeds.ingest.freenames import (
    ERROR_NOTE,
    NOTE_CLOSING,
    O_NOFOLLOW,
    exists_in,
    fitting,
    free_name,
    identity_in,
    note_opening,
)
from feeds.ingest.pictures import PictureIdentity, is_picture_name
from feeds.ingest.units import Unit, shown_path
from feeds.logs import one_line

log = logging.getLogger("feeds.ingest")

PROCESSED = "processed"
REJECTED = "rejected"
_IN_PROGRESS_SUFFIXES = (".tmp", ".part", ".partial", ".crdownload", ".swp", "~")
_SYSTEM_FILES = frozenset({"thumbs.db", "ehthumbs.db", "desktop.ini"})
"""What Windows Explorer writes into a shared folder by itself (lowercase)."""


_NOT_CANDIDATE_ENDINGS = (*_IN_PROGRESS_SUFFIXES, ERROR_NOTE)
"""The endings of names that are no candidates (lowercase): files being written, and rejections' notes."""


def _is_candidate_name(name: str) -> bool:
    """Not a file being written (`.tmp`, `.part`, a dot-file…), nor one that an operating system or an office suite
    keeps in the folder by itself: Explorer's `Thumbs.db` and `desktop.ini`, Word's owner file `~$name.docx` (while
    the document is open), which would be rejected again at every scan; nor a rejection's note (`x.json.error.txt`)
    moved back from `rejected/` with its file, which would be published as a release."""
    lowered = name.lower()
    return not (name.startswith((".", "~$")) or lowered.endswith(_NOT_CANDIDATE_ENDINGS) or lowered in _SYSTEM_FILES)


def scan(folder: Path, *, recursive: bool = False, skipped: list[Path] | None = None) -> list[Path]:
    """Release files in `folder`, sorted by name (deterministic order); `processed/` and `rejected/` skipped.
    Not `recursive`: the other folders in it, whose files are not read, are added to `skipped` (sorted); but a
    folder holding only pictures (`images/`) is read, its pictures among the files (`images/arrival.jpg`), to be
    read with the releases that show them.

    A name comes before its copies' ("ferry.txt" before "ferry (1).txt" and "ferry - Copy.txt", where " " sorts
    before "."): the first of a run's files with the same bytes keeps the release, and the office edits the file
    under its own name."""
    if not folder.is_dir():
        return []
    forget_gone(_FOLDERS_SAID)
    folders: list[Path] = []
    found: list[str] = []
    _walk(folder, "", recursive, folders, found)
    if skipped is not None:
        skipped += sorted(folders)
    # (each a name in `folder`, or a path in it: `images/arrival.jpg`; a Path made only now, once each, for the
    # files kept: the names are sorted as str)
    return [folder / name for name in in_scan_order(found)]


def in_scan_order(names: list[str]) -> list[str]:
    """`names` (paths relative to a scanned folder, each once) sorted as `scan` gives them: by the name without its
    extension, then by the whole name. When no name holds a character that sorts before "." (a space, "-", "(")
    nor a second ".", nor one before a "/", that is their plain order: each name's one "." then ends its stem (or
    starts its base name, after a "/" where no stem ends), and sorts before whatever follows another name's same
    stem there, as the end of that stem does. Told by two searches of the names joined, in C, rather than a key
    built for each name (~10 k instructions a file in a drop folder of 10,000). Sorted in place, and returned."""
    joined = "\0".join(names)
    if _BEFORE_DOT.search(joined) is None and _OTHER_DOT.search(joined) is None:
        names.sort()
    else:
        names.sort(key=lambda name: (os.path.splitext(name)[0], name))
    return names


_BEFORE_DOT = re.compile(r"[\x01-\x2d]")
_OTHER_DOT = re.compile(r"\.[^\x00]*[./\\]")  # (a "\\" too: a separator where `os.sep` is one)


def still_changing(
    paths: Sequence[Path],
    quiet: float,
    now: float,
    *,
    tick: float | None = None,
    ahead: dict[Path, tuple[tuple[int, int, int], float]] | None = None,
) -> set[Path]:
    """The files among `paths` written in the last `quiet` seconds (`now`: the file system's clock, time.time()):
    a writer may not be done with them (an editor saving, `>>` appends, a slow copy).

    A file dated ahead of `now` (copied with its times from a machine whose clock is ahead, `touch -d`, or the
    system clock stepped back) cannot be timed by its date: it would wait, looked at every few seconds, until the
    clock reached it, a day for a file dated tomorrow. Such a file is settled once it has stayed the same (size,
    modification time, inode) for `quiet` seconds of `tick` (time.monotonic(), which no clock step moves),
    remembered in `ahead` (path → (what it was, when first seen so)) between calls."""
    if ahead is None:
        ahead = _AHEAD
    if ahead:  # (a file dated ahead that was taken away before it settled is named here no more)
        for gone in [p for p in ahead if not os.path.lexists(p)]:
            del ahead[gone]
    tick = time.monotonic() if tick is None else tick
    changing: set[Path] = set()
    for path in paths:
        try:
            st = path.stat()
        except OSError:  # gone meanwhile: reading it will say so
            ahead.pop(path, None)
            continue
        if now - st.st_mtime >= quiet:
            ahead.pop(path, None)
            continue
        if st.st_mtime > now:
            shape = (st.st_size, st.st_mtime_ns, st.st_ino)
            first = ahead.get(path)
            if first is None or first[0] != shape:
                ahead[path] = (shape, tick)
            elif tick - first[1] >= quiet:
                del ahead[path]
                continue
        changing.add(path)
    return changing


_AHEAD: dict[Path, tuple[tuple[int, int, int], float]] = {}
"""Files dated ahead of the clock, as `still_changing` last saw them (see there)."""

_FOLDERS_SAID: set[str] = set()
"""The folders in a drop folder said in the log (their files are not read), while they are there."""


def forget_gone(said: set[str]) -> None:
    """Forget the paths in `said` that are no longer there: what a process says once about a file or folder in a
    drop folder is said again if it comes back, and a daemon scanning for months remembers only what lingers now,
    not every name that ever passed through. One `lstat` per path remembered: a few at most."""
    if said:
        said.difference_update([p for p in said if not os.path.lexists(p)])


def _walk(folder: Path, prefix: str, recursive: bool, skipped: list[Path], found: list[str]) -> None:
    """Add to `found` the path relative to the scanned folder of each candidate (its name, at the top), and to
    `skipped` the folders not read (not `recursive`); the directory entry's own type is used, so most files need
    no `stat` of their own. Everything that is not a folder is a candidate, symbolic links, dangling ones and
    pipes included: reading refuses them (`unit_from_file`), so that they are moved to rejected/ with the reason
    rather than left in the drop folder for ever without a word."""
    with os.scandir(folder) as it:
        for entry in it:
            name = entry.name
            if not entry.is_dir(follow_symlinks=False):
                if _is_candidate_name(name):
                    found.append(f"{prefix}{name}" if prefix else name)
                continue
            if name in (PROCESSED, REJECTED) or name.startswith("."):
                continue
            saved_page = name.casefold().endswith("_files")
            if saved_page and _page_beside(folder, name):  # (read and moved with its page, never alone)
                continue
            if recursive:
                _walk(Path(entry.path), f"{prefix}{name}{os.sep}", recursive, skipped, found)
                continue
            pictures = None if saved_page else _pictures_only(entry.path)
            if pictures is not None:  # (`images/`: read with the releases that show them)
                found += (f"{prefix}{name}{os.sep}{picture}" for picture in pictures)
                continue
            skipped.append(Path(entry.path))
            if entry.path not in _FOLDERS_SAID:  # once per process: the scan runs every minute
                _FOLDERS_SAID.add(entry.path)
                log.warning("%s", folder_note(Path(entry.path), folder), extra={"file": entry.path})


def _page_beside(folder: Path, name: str) -> bool:
    """Whether the web page the folder `name` (`<name>_files/`) was saved with is beside it (`<name>.htm(l)`)."""
    return any(os.path.isfile(os.path.join(folder, name[:-6] + ext)) for ext in (".html", ".htm", ".HTML", ".HTM"))


def _pictures_only(path: str) -> list[str] | None:
    """The names of the pictures in the folder `path` when it holds nothing else (no folder, no other file: an
    `images/` folder of pictures dropped with releases, or an empty one); None otherwise, or when it cannot be
    listed (its note says so)."""
    try:
        with os.scandir(path) as it:
            entries = [(e.name, e.is_dir(follow_symlinks=False)) for e in it]
    except OSError:
        return None
    names = [name for name, is_dir in entries if is_dir or _is_candidate_name(name)]
    if any(is_dir for _, is_dir in entries) or not all(is_picture_name(name) for name in names):
        return None
    return names


def folder_note(path: Path, folder: Path) -> str:
    """What to do with the folder `path` found in the folder source `folder`, whose files are not read."""
    if path.name.casefold().endswith("_files"):
        return (
            f"{shown_path(str(path))}/: the folder a saved web page keeps its pictures and the word processor's own"
            " files in, without its page beside it; it is not read: drop the page with it (its pictures are"
            " published with it, and the folder moves with it), or remove it"
        )
    return (
        f"{shown_path(str(path))}/: a folder; drop its files in {shown_path(str(folder))}/ itself "
        "(its files are not read, but for the pictures a release there shows; or name it: `feeds ingest PATH`)"
    )


@dataclass
class Settled:
    """What `settle` did: origin → new path for each file moved, and what kept others in the drop folder."""

    moved: dict[str, str] = field(default_factory=dict)
    requeued: set[str] = field(default_factory=set)
    """Origins of files put back into the drop folder: changed while they were read (see `_put_back`)."""
    stuck: dict[str, int] = field(default_factory=dict)
    """Why files stayed (`could not move them to processed/: Permission denied`) → how many."""
    pictures: dict[str, tuple[str, set[PictureIdentity | None]]] = field(default_factory=dict)
    """The pictures shown by the files moved: path → where they go (processed/, or rejected/ when no release
    that moved to processed/ shows it) and each identity it was read as. They move at the end of the run
    (`feeds.ingest.picturemoves`), not with their file: a release of a later batch may show them too."""
    held: set[str] = field(default_factory=set)
    """Pictures shown by a file that stayed in the drop folder: they stay with it."""

    def keep(self, why: str, count: int = 1) -> None:
        self.stuck[why] = self.stuck.get(why, 0) + count

    def take_pictures(self, unit: Unit, kind: str) -> None:
        """Note the pictures of `unit`, whose file moved to `kind` (processed/ or rejected/)."""
        for path, read_as in unit.pictures:
            went, seen = self.pictures.get(path, (kind, set()))
            self.pictures[path] = (PROCESSED if PROCESSED in (went, kind) else kind, seen | {read_as})

    def add(self, other: Settled) -> None:
        """Take in what `other` (a later batch's) did."""
        for why, n in other.stuck.items():
            self.keep(why, n)
        for path, (kind, seen) in other.pictures.items():
            went, before = self.pictures.get(path, (kind, set()))
            self.pictures[path] = (PROCESSED if PROCESSED in (went, kind) else kind, before | seen)
        self.held |= other.held

    def problems(self, folder: Path) -> list[str]:
        """One line per reason, for the operator: what stayed, why, and what to do."""
        return [
            f"{folder}: {n} file(s) stayed in the drop folder: {why}; make the folder, its processed/ and rejected/ "
            "writable by the user running feeds (each scan moves them again meanwhile; nothing is stored twice)"
            for why, n in self.stuck.items()
        ]


def settle(units: Sequence[Unit], folder: Path, now: datetime) -> Settled:
    """Move committed units' files to processed/ and failed ones to rejected/ (+ .error.txt).

    Called only after the transaction holding the units committed. A failure to move one file is logged and
    leaves it in place (the ledger recognises it next time); it never loses the file, and the caller is told
    (`Settled.stuck`), so that a drop folder that does not empty fails the ingest; each reason is logged once per
    batch, naming the first file it kept (a full disk refuses them all alike). A file that is no longer
    there (moved by someone else) is skipped.

    Whoever can write to the drop folder can put a link where `processed/` or `rejected/` should be: moving files
    through it would let them write any file the daemon may, anywhere. So every step goes through the folders'
    own descriptors, opened without following links: a link there is refused (logged, nothing moved), and the
    files and notes are created inside the very folders that were checked.
    """
    done = Settled()
    if not units:
        return done
    try:
        inbox = os.open(folder, os.O_RDONLY | O_DIRECTORY)  # (the configured folder itself may be a link)
    except OSError as e:
        where = {"file": str(folder)}
        log.error("could not open the drop folder %s to move files out of it: %s", folder, e, extra=where)
        done.keep(f"could not open the folder ({e.strerror or e})", len(units))
        return done
    targets: dict[str, int | str] = {}  # the open subfolder, or why it could not be opened
    where = {kind: os.path.join(folder, kind) for kind in (PROCESSED, REJECTED)}
    first: dict[str, str] = {}  # why a move failed → the first file it kept (logged once a reason, not a file)
    try:
        for unit in units:
            kind = REJECTED if unit.error else PROCESSED
            if kind not in targets:
                targets[kind] = open_subfolder(inbox, folder, kind)
            target = targets[kind]
            if isinstance(target, str):
                done.keep(target)
                done.held.update(path for path, _ in unit.pictures)
                continue
            dest, why = _move(unit, inbox, target, where[kind], now)
            if why is PUT_BACK:
                done.requeued.add(unit.origin)
            elif why is not None:
                done.keep(why)
                first.setdefault(why, unit.origin)
            elif dest is not None:
                done.moved[unit.origin] = dest
                if unit.pictures:
                    done.take_pictures(unit, kind)
                continue
            done.held.update(path for path, _ in unit.pictures)
    finally:
        for fd in targets.values():
            if not isinstance(fd, str):
                os.close(fd)
        os.close(inbox)
    for why, origin in first.items():  # (a full disk refuses every file of the batch alike: one line says it)
        n = done.stuck[why]
        others = f" and {n - 1} more" if n > 1 else ""
        log.error(
            "%d file(s) stayed in %s: %s (%s%s)", n, folder, why, shown_path(origin), others, extra={"file": origin}
        )
    return done


O_DIRECTORY = getattr(os, "O_DIRECTORY", 0)


def open_subfolder(inbox: int, folder: Path, name: str) -> int | str:
    """`processed/` or `rejected/` of the drop folder, made if missing, opened without following a link; why not
    (logged) when it cannot be made, or is a link or not a folder."""
    path = os.path.join(folder, name)
    try:
        os.mkdir(name, dir_fd=inbox)
    except FileExistsError:
        pass
    except OSError as e:
        log.error("could not create %s: %s; its files stay in the drop folder", path, e, extra={"file": path})
        return f"could not create {name}/ ({e.strerror or e})"
    try:
        return os.open(name, os.O_RDONLY | O_DIRECTORY | O_NOFOLLOW, dir_fd=inbox)
    except OSError as e:
        if os.path.islink(path):
            why = "it is a symbolic link, which could send dropped files anywhere: replace it with a folder"
        elif e.errno == errno.ENOTDIR:
            why = "it is not a folder"
        else:
            why = str(e.strerror or e)
        log.error("refusing to move files into %s: %s; they stay in the drop folder", path, why, extra={"file": path})
        return f"refused to move files into {name}/ ({why})"


def _move(unit: Unit, inbox: int, target: int, target_path: str, now: datetime) -> tuple[str | None, str | None]:
    """Move one unit's file from the drop folder (`inbox`) into `target`: (its new path, None); (None, None) when
    it is gone; (None, why) when it stayed (`settle` logs it)."""
    src = unit.origin
    name = os.path.basename(src)
    try:
        if unit.error and not exists_in(name, inbox):
            return None, None
        if unit.error:
            dest = free_name(target, fitting(name), note=True, dropped=name)
            # Written whole under a hidden name, then renamed: a kill while writing leaves no note that is empty or
            # cut short (which would not be recognised as ours, and would take the name); the note is in place
            # before the file moves, so a rejected file never sits without its reason. (O_TRUNC, not O_EXCL: a
            # hidden part of an earlier attempt is ours to overwrite; `free_name` chose a name whose note is free
            # or our own orphan note.)
            part = f".{dest}{ERROR_NOTE}"
            fd = os.open(part, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | O_NOFOLLOW, 0o644, dir_fd=target)
            try:
                with open(fd, "w", encoding="utf-8", errors="backslashreplace") as note:
                    why = "\n".join(map(one_line, unit.error.split("\n")))  # (read with `cat`: no control driving it)
                    note.write(f"{note_opening(name)}{rfc3339(now)}):\n\n{why}\n\n{NOTE_CLOSING}")
                os.replace(part, dest + ERROR_NOTE, src_dir_fd=target, dst_dir_fd=target)
            except OSError:  # (a full disk): no hidden part left in rejected/, retried whole by the next scan
                with contextlib.suppress(OSError):
                    os.unlink(part, dir_fd=target)
                raise
        else:  # (the usual case: its own name, free; one check, no `free_name` call, ~9 k instructions a file less)
            dest = fitting(name)
            if exists_in(dest, target):
                dest = free_name(target, dest)
        os.replace(name, dest, src_dir_fd=inbox, dst_dir_fd=target)
        if unit.read_as is not None and identity_in(dest, target) != unit.read_as:
            return _put_back(unit, name, dest, inbox, target, target_path)
        return f"{target_path}{os.sep}{dest}", None  # (`os.path.join` of a folder and a bare name, cheaper)
    except OSError as e:
        if isinstance(e, FileNotFoundError) and not exists_in(name, inbox):
            return None, None  # moved away meanwhile (checked only now: the usual case needs no extra stat)
        where = os.path.basename(target_path)  # (logged by `settle`, once for all the files it kept)
        return None, f"could not move them to {where}/ ({e.strerror or e})"


def _put_back(
    unit: Unit, name: str, dest: str, inbox: int, target: int, target_path: str
) -> tuple[str | None, str | None]:
    """The file just moved is not the one that was read: it was replaced (renamed onto its name) or written
    again while it was read, and what was stored (or rejected) is the earlier content. The new content must not
    go unread into processed/ (or rejected/, under a note about other bytes): it goes back into the drop folder
    under its name, to be read by the next scan, and the note written for the earlier content is removed. The
    identity is checked after the move, so no replacement between a check and the move can slip through.
    Linked back, never renamed, so that a third file dropped under the name meanwhile is not overwritten: then it
    stays where it is, and the log says where."""
    shown = shown_path(unit.origin)
    try:
        os.link(dest, name, src_dir_fd=target, dst_dir_fd=inbox, follow_symlinks=False)
    except OSError as e:
        where = os.path.join(target_path, dest)
        log.error(
            "%s changed while it was read; its new content, not ingested, is in %s (%s): drop it into the folder again",
            shown,
            where,
            e.strerror or e,
            extra={"file": unit.origin},
        )
        return where, None
    os.unlink(dest, dir_fd=target)
    if unit.error:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(dest + ERROR_NOTE, dir_fd=target)
    log.warning("%s: %s", shown, PUT_BACK, extra={"file": unit.origin})
    return None, PUT_BACK


PUT_BACK = "changed while it was read: left in the drop folder, to be read again"
"""What `_move` gives as the reason a file stayed when `_put_back` put it back (compared by identity)."""
