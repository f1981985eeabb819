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

import logging
import os
from collections.abc import Iterator, Sequence
from datetime import datetime
from pathlib import Path

from feeds.clock import rfc3339
from feeds.ingest.pipeline import Unit, shown_path

log = logging.getLogger("feeds.ingest")

PROCESSED = "processed"
REJECTED = "rejected"
_IN_PROGRESS_SUFFIXES = (".tmp", ".part", ".partial", ".crdownload", ".swp", "~")


def _is_candidate_name(name: str) -> bool:
    return not (name.startswith(".") or name.lower().endswith(_IN_PROGRESS_SUFFIXES))


def scan(folder: Path, *, recursive: bool = False) -> list[Path]:
    """Release files in `folder`, sorted by name (deterministic order); `processed/` and `rejected/` skipped."""
    if not folder.is_dir():
        return []
    return [path for _, path in sorted(_walk(folder, "", recursive), key=lambda found: found[0])]


def still_changing(paths: Sequence[Path], quiet: float, now: float) -> set[Path]:
    """The files among `paths` written in the last `quiet` seconds (`now`: the file system's clock, time.time()):
    a writer may not be done with them (an editor saving, `>>` appends, a slow copy)."""
    changing: set[Path] = set()
    for path in paths:
        try:
            if now - path.stat().st_mtime < quiet:
                changing.add(path)
        except OSError:  # gone meanwhile: reading it will say so
            continue
    return changing


_FOLDERS_SAID: set[str] = set()


def _walk(folder: Path, prefix: str, recursive: bool) -> Iterator[tuple[str, Path]]:
    """(path relative to the scanned folder, path) of each candidate; the directory entry's own type is used, so
    most files need no `stat` of their own. Everything that is not a folder is a candidate, symbolic links,
    dangling ones and pipes included: reading refuses them (`unit_from_file`), so that they are moved to
    rejected/ with the reason rather than left in the drop folder for ever without a word."""
    with os.scandir(folder) as it:
        for entry in it:
            if entry.is_dir(follow_symlinks=False):
                if entry.name in (PROCESSED, REJECTED) or entry.name.startswith("."):
                    continue
                if recursive:
                    yield from _walk(Path(entry.path), f"{prefix}{entry.name}{os.sep}", recursive)
                elif entry.path not in _FOLDERS_SAID:  # once per process: the scan runs every minute
                    _FOLDERS_SAID.add(entry.path)
                    log.warning(
                        "%s is a folder: only files directly in %s are read (move its files up, or name it in "
                        "`feeds ingest PATH`)",
                        entry.path,
                        folder,
                        extra={"file": entry.path},
                    )
            elif _is_candidate_name(entry.name):
                yield f"{prefix}{entry.name}", Path(entry.path)


def settle(units: Sequence[Unit], folder: Path, now: datetime) -> dict[str, str]:
    """Move committed units' files to processed/ and failed ones to rejected/ (+ .error.txt). Returns origin → new path.

    Called only after the transaction holding the units committed. A failure to move one file is logged and
    leaves it in place (the ledger recognises it next time); it never loses the file. A file that is no longer
    there (moved by someone else) is skipped.
    """
    moved: dict[str, str] = {}
    made: set[str] = set()
    for unit in units:
        src = unit.origin
        name = os.path.basename(src)
        target_dir = os.path.join(folder, REJECTED if unit.error else PROCESSED)
        try:
            if unit.error and not os.path.lexists(src):
                continue
            if target_dir not in made:  # once per batch (a folder removed meanwhile fails the move, logged)
                os.makedirs(target_dir, exist_ok=True)
                made.add(target_dir)
            dest = _free_name(target_dir, name, note=bool(unit.error))
            if unit.error:
                with open(dest + ".error.txt", "x", encoding="utf-8", errors="backslashreplace") as note:
                    note.write(
                        f"{shown_path(name)} was not ingested ({rfc3339(now)}):\n\n{unit.error}\n\n"
                        "Fix the file and drop it into the inbox again.\n"
                    )
            os.replace(src, dest)
            moved[unit.origin] = dest
        except OSError as e:
            if isinstance(e, FileNotFoundError) and not os.path.lexists(src):
                continue  # moved away meanwhile (checked only now: the usual case needs no extra stat)
            log.error("could not move %s to %s/: %s", src, os.path.basename(target_dir), e, extra={"file": src})
    return moved


def _free_name(folder: str, name: str, *, note: bool = False) -> str:
    """`folder/name`, or with a number before the extension(s) if that is taken: never overwrite. With `note`,
    `<name>.error.txt` must be free too (a file dropped under such a name may be there already)."""

    def free(path: str) -> bool:
        return not os.path.lexists(path) and not (note and os.path.lexists(path + ".error.txt"))

    dest = os.path.join(folder, name)
    if free(dest):
        return dest
    stem, dot, ext = name.partition(".")
    n = 2
    while True:
        candidate = os.path.join(folder, f"{stem}.{n}{dot}{ext}" if dot else f"{stem}.{n}")
        if free(candidate):
            return candidate
        n += 1
