"""Files a command writes where it is told (`-o FILE`): whole or not at all.

A report written into a folder that a file-sync client, a spreadsheet or a colleague watches must never be seen
half-written, and a failed write (a full disk, a folder that is not there) must leave the file that was there
before: the bytes go to a temporary file beside the target, reach the disk, and replace it in one rename. The
file gets the mode the user's umask gives a new file (a report is not published, unlike what goes into out/).
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

from feeds.errors import FeedsError


def write_file(target: Path, data: bytes) -> None:
    """Write `data` to `target` atomically; a FeedsError naming the file when it cannot be written."""
    folder = target.parent
    try:
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=folder)
    except OSError as e:
        raise FeedsError(f"cannot write {target}: {e.strerror or e}") from e
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.fchmod(fd, 0o666 & ~umask)  # (mkstemp makes it 0600: give it what a new file gets)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException as e:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(e, OSError):
            raise FeedsError(f"cannot write {target}: {e.strerror or e}") from e
        raise
