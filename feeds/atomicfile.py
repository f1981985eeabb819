"""A file replaced whole or not at all: its new bytes go to a temporary file beside it, reach the disk (fsync),
and take its place in one rename, so that a reader (a web server, a file-sync client, the next process) sees the
old bytes or the new, never a mix, and a failure (a full disk, a folder gone, Ctrl-C) leaves the old file.

    replace_whole(target, data, mode=…, suffix=…, sync_folder=…)

The temporary file is `.<target name>.<pid>.<8 random characters><suffix>`: a leading dot and the suffix keep
it out of what watches the folder (`.tmp`, `.part`), and the pid says whose it is (`feeds.publish.writer` sweeps
those of processes that died). Used by the publish writer (out/), its record (the state folder) and the commands
that write a report where they are told (`feeds.cli.files`); each names the file in its own error.

What this module must not do: choose the folder, create it, or turn an OSError into another error.
"""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path

__all__ = ["replace_whole"]


def replace_whole(
    target: Path, data: bytes, *, mode: int | None = None, suffix: str = ".tmp", sync_folder: bool = False
) -> None:
    """Replace `target` by `data` (see the module's docstring). `mode`: the file's permission bits (by default
    mkstemp's 0600); `sync_folder`: fsync the folder too, so that the rename itself survives a power cut. An
    OSError (the temporary file removed) when it cannot be done; a KeyboardInterrupt or other exception removes
    the temporary file too, and goes on."""
    fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.{os.getpid()}.", suffix=suffix, dir=target.parent)
    try:
        if mode is not None:
            os.fchmod(fd, mode)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:  # (Ctrl-C or a shutdown too: a temporary file of a live process is never swept)
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise
    if sync_folder:
        with contextlib.suppress(OSError):  # (a folder that cannot be opened for it: the rename stands all the same)
            folder = os.open(target.parent, os.O_RDONLY)
            try:
                os.fsync(folder)
            finally:
                os.close(folder)
