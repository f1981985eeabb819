"""Files a command writes where it is told (`-o FILE`): whole or not at all.

A report written into a folder that a file-sync client, a spreadsheet or a colleague watches must never be seen
half-written, and a failed write (a full disk, a folder that is not there) must leave the file that was there
before: the bytes go to a temporary file beside the target, reach the disk, and replace it in one rename. The
file gets the mode the user's umask gives a new file (a report is not published, unlike what goes into out/).
"""

from __future__ import annotations

import os
from pathlib import Path

from feeds.atomicfile import replace_whole
from feeds.errors import FeedsError


def write_file(target: Path, data: bytes) -> None:
    """Write `data` to `target` atomically (`replace_whole`), with the mode the umask gives a new file; a FeedsError
    naming the file when it cannot be written."""
    umask = os.umask(0)
    os.umask(umask)
    try:
        replace_whole(target, data, mode=0o666 & ~umask, suffix=".part")
    except OSError as e:
        raise FeedsError(f"cannot write {target}: {e.strerror or e}") from e
