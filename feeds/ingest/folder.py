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
from feeds.ingest.pipeline import Unit

log = logging.getLogger("feeds.ingest")

PROCESSED = "processed"
REJECTED = "rejected"
_IN_PROGRESS_SUFFIXES = (".tmp", ".part", ".partial", ".crdownload", ".swp", "~")


def is_candidate(path: Path) -> bool:
    name = path.name
    return not (name.startswith(".") or name.lower().endswith(_IN_PROGRESS_SUFFIXES)) and path.is_file()


def scan(folder: Path, *, recursive: bool = False) -> list[Path]:
    """Release files in `folder`, sorted by name (deterministic order); `processed/` and `rejected/` skipped."""
    if not folder.is_dir():
        return []
    return sorted(_walk(folder, recursive), key=lambda p: str(p.relative_to(folder)))


def _walk(folder: Path, recursive: bool) -> Iterator[Path]:
    with os.scandir(folder) as it:
        for entry in it:
            p = Path(entry.path)
            if entry.is_dir(follow_symlinks=False):
                if recursive and entry.name not in (PROCESSED, REJECTED) and not entry.name.startswith("."):
                    yield from _walk(p, recursive)
            elif is_candidate(p):
                yield p


def settle(units: Sequence[Unit], folder: Path, now: datetime) -> dict[str, str]:
    """Move committed units' files to processed/ and failed ones to rejected/ (+ .error.txt). Returns origin → new path.

    Called only after the transaction holding the units committed. A failure to move one file is logged and
    leaves it in place (the ledger recognises it next time); it never loses the file.
    """
    moved: dict[str, str] = {}
    for unit in units:
        src = Path(unit.origin)
        if not src.exists():
            continue
        target_dir = folder / (REJECTED if unit.error else PROCESSED)
        try:
            target_dir.mkdir(parents=True, exist_ok=True)
            dest = _free_name(target_dir, src.name)
            if unit.error:
                note = dest.with_name(dest.name + ".error.txt")
                note.write_text(
                    f"{src.name} was not ingested ({rfc3339(now)}):\n\n{unit.error}\n\n"
                    "Fix the file and drop it into the inbox again.\n",
                    encoding="utf-8",
                )
            os.replace(src, dest)
            moved[unit.origin] = str(dest)
        except OSError as e:
            log.error("could not move %s to %s/: %s", src, target_dir.name, e, extra={"file": str(src)})
    return moved


def _free_name(folder: Path, name: str) -> Path:
    dest = folder / name
    if not dest.exists():
        return dest
    stem, dot, ext = name.partition(".")
    n = 2
    while True:
        candidate = folder / (f"{stem}.{n}{dot}{ext}" if dot else f"{stem}.{n}")
        if not candidate.exists():
            return candidate
        n += 1
