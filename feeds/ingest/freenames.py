"""Names in a drop folder's `processed/` and `rejected/`: a free one for each file moved there (never overwriting),
short enough for a numbered suffix and `.error.txt`; the rejection note's wording, by which an interrupted
rejection's own note is told from a file dropped under such a name.

What this module must not do: move files (`folder.py` does), or read anything but the start of a note.
"""

from __future__ import annotations

import os

from feeds.ingest.units import FileIdentity, file_identity, shown_path
from feeds.logs import one_line

O_NOFOLLOW = getattr(os, "O_NOFOLLOW", 0)
NAME_MAX = 255
"""Bytes in one file name on the file systems in use (ext4, XFS, btrfs, APFS, NTFS in UTF-16 units)."""
ERROR_NOTE = ".error.txt"
"""The end of the name of the note beside a rejected file, saying why it was rejected."""
NOTE_CLOSING = "Fix the file and drop it into the inbox again.\n"


def note_opening(name: str) -> str:
    """How the rejection note of a file dropped as `name` begins."""
    return f"{one_line(shown_path(name))} was not ingested ("


def identity_in(name: str, folder: int) -> FileIdentity | None:
    try:
        return file_identity(os.stat(name, dir_fd=folder, follow_symlinks=False))
    except OSError:
        return None


def _our_orphan_note(folder: int, note: str, dropped: str) -> bool:
    """Whether the file `note` in `folder` is a note `_move` wrote about a file dropped as `dropped`."""
    try:
        fd = os.open(note, os.O_RDONLY | O_NOFOLLOW | os.O_NONBLOCK, dir_fd=folder)
    except OSError:
        return False
    with open(fd, "rb") as f:
        start = f.read(1024)
    return start.decode("utf-8", "replace").startswith(note_opening(dropped))


def exists_in(name: str, folder: int) -> bool:
    try:
        os.stat(name, dir_fd=folder, follow_symlinks=False)
    except FileNotFoundError:
        return False
    return True


def fitting(name: str) -> str:
    """`name`, its stem shortened when need be so that a numbered suffix and `.error.txt` still fit in a file
    name: a dropped file whose name is as long as names may be must still move out of the drop folder."""
    room = NAME_MAX - len(ERROR_NOTE) - len(".999") - 1  # (- 1: the note's hidden name while it is written)
    raw = os.fsencode(name)
    if len(raw) <= room:
        return name
    stem, dot, ext = name.partition(".")
    tail = os.fsencode(dot + ext)
    if len(tail) > room // 2:  # an "extension" that long is part of the name: cut the whole
        stem, tail = name, b""
    cut = os.fsencode(stem)[: room - len(tail)]
    return os.fsdecode(cut.decode("utf-8", "ignore").encode() + tail) if cut else os.fsdecode(tail[:room])


def free_name(folder: int, name: str, *, note: bool = False, dropped: str | None = None) -> str:
    """`name`, or with a number before the extension(s) if that is taken in `folder`: never overwrite. With
    `note`, `<name>.error.txt` must be free too (a file dropped under such a name may be there already), unless it
    is our own note about a file of that name that never arrived: a rejection interrupted between writing the note
    and moving the file (a kill), which the next run completes under the same name instead of a second one.
    `dropped`: the name the file was dropped under, which the note names (default: `name`)."""

    def free(candidate: str) -> bool:
        if exists_in(candidate, folder):
            return False
        if not note or not exists_in(candidate + ERROR_NOTE, folder):
            return True
        return _our_orphan_note(folder, candidate + ERROR_NOTE, dropped or name)

    if free(name):
        return name
    stem, dot, ext = name.partition(".")
    n = 2
    while True:
        candidate = f"{stem}.{n}{dot}{ext}" if dot else f"{stem}.{n}"
        if free(candidate):
            return candidate
        n += 1
