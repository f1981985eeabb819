"""Where temporary files go when the system's usual places cannot be written: a folder in `paths.state`.

A container with a read-only root file system (`docker run --read-only`, OpenShift's restricted profile) and no
writable /tmp leaves Python no temporary folder at all (`No usable temporary directory found in ['/tmp', …]`).
feeds needs one in two places it does not choose: the daemon's worker processes start from a forkserver, which
listens on a socket in a temporary folder (without one, every ingest and watch round failed), and SQLite writes
temporary files for large sorts and `VACUUM`. The state folder is the one place such a deployment must let feeds
write, so `state/tmp/` (private, 0700) is used then, for this process and the processes it starts (`TMPDIR`,
which Python's `tempfile` and SQLite both read). A system with a usable /tmp, or one named by `TMPDIR`, is left as
it is. A socket's address is at most 107 bytes on Linux: when `state/tmp/` is too deep for the forkserver's
(`…/pymp-XXXXXXXX/listener-XXXXXXXX`, "AF_UNIX path too long"), `/dev/shm` (a tmpfs that Docker gives every
container, even read-only ones) is used if it can be written, else `state/tmp/` all the same (SQLite's files work,
and workers do not: the log says so once).
"""

from __future__ import annotations

import logging
import os
import tempfile
from pathlib import Path

log = logging.getLogger("feeds.tempdir")

FOLDER = "tmp"


def ensure_temporary_folder(state: Path) -> Path | None:
    """Point temporary files at `state/tmp/` when no usual temporary folder can be written; the folder used then,
    else None. Call before SQLite is first used: it reads `TMPDIR` once, when it first needs a temporary file."""
    if tempfile.tempdir is not None:  # found (or set) already: Python searches once per process
        return None
    try:
        tempfile.gettempdir()
        return None
    except FileNotFoundError:  # none of TMPDIR, /tmp, /var/tmp, /usr/tmp or the current folder is writable
        pass
    folder = state / FOLDER
    if not fits_a_socket(folder) and _writable(SHARED_MEMORY):
        folder = SHARED_MEMORY
    else:
        try:
            state.mkdir(exist_ok=True)  # (the state folder on first use, as the database makes it: never a whole path)
            folder.mkdir(mode=0o700, exist_ok=True)
        except OSError as e:  # (the state folder missing or read-only: opening the database names that itself)
            log.debug("no temporary folder in %s: %s", state, e)
            return None
        if not fits_a_socket(folder):
            log.warning(
                "no writable temporary folder on this system, and %s is too deep for a socket's address: worker "
                "processes cannot start (set TMPDIR to a short writable folder)",
                folder,
            )
    tempfile.tempdir = os.environ["TMPDIR"] = str(folder)
    log.debug("no writable temporary folder on this system: using %s", folder)
    return folder


SHARED_MEMORY = Path("/dev/shm")
_SOCKET_PATH_MAX = 107
"""Bytes of a Unix socket's path on Linux (`sun_path` is 108, with its final NUL)."""
_SOCKET_NAME = len("/pymp-XXXXXXXX/listener-XXXXXXXX")
"""What multiprocessing's forkserver adds to the temporary folder for its socket (`tempfile`'s 8-letter names)."""


def fits_a_socket(folder: Path) -> bool:
    """Whether the forkserver's socket in `folder` has an address short enough to bind."""
    return len(os.fsencode(folder)) + _SOCKET_NAME <= _SOCKET_PATH_MAX


def _writable(folder: Path) -> bool:
    return folder.is_dir() and os.access(folder, os.W_OK | os.X_OK)
