"""Moving the pictures dropped with releases out of the drop folder, once at the end of a run.

A picture moves to processed/ (or to rejected/, when only rejected releases show it) after every batch of the run
committed and moved its files, not with the first release that shows it: the office's logo, shown by releases in
several batches, must still be there when the later ones are read. It stays in the drop folder while any release
file is left there (one still being written, one that could not move, one not named to `feeds ingest PATH`): that
release may show it too, and is read with it by a later run. A picture in a folder of the drop folder
(`images/arrival.jpg`) moves to the same folder under processed/ (`processed/images/arrival.jpg`), where the
release's link to it still holds.

Crash safety: pictures move only after the commits of the releases that show them (a crash before leaves them
in the drop folder, where the next run reads them again with their releases, recognised as unchanged, or names
them as published already); a picture changed since it was read (its identity is none it was read as) stays.

What this module must not do: move a picture shown by a release file still in the drop folder, or follow a link
(every step goes through the folders' descriptors, as `folder.settle` does).
"""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path

from feeds.ingest import folder as inbox_folder
from feeds.ingest.pictures import PictureIdentity, is_picture_name
from feeds.ingest.units import shown_path

log = logging.getLogger("feeds.ingest")


def settle_pictures(settled: inbox_folder.Settled, folder: Path) -> None:
    """Move the pictures of the releases `settled` moved (and no release that stayed shows) out of the drop folder
    `folder`, unless a release file is left in it. Failures are logged; the picture stays."""
    wanted = {path: how for path, how in settled.pictures.items() if path not in settled.held}
    if not wanted or releases_left(folder):
        return
    here = os.path.realpath(folder)  # (a file named to `feeds ingest` by a relative path is in it too)
    try:
        inbox = os.open(folder, os.O_RDONLY | inbox_folder.O_DIRECTORY)
    except OSError as e:
        log.error("could not open the drop folder %s to move pictures out of it: %s", folder, e)
        return
    try:
        for path, (kind, seen) in sorted(wanted.items()):
            parts = os.path.relpath(os.path.realpath(os.path.dirname(path)), here).split(os.sep)
            if parts[0] == os.pardir:  # (a picture outside the drop folder: read in place, never moved)
                continue
            try:
                _move_picture(inbox, [p for p in parts if p != os.curdir], os.path.basename(path), kind, seen, folder)
            except OSError as e:
                log.error("could not move the picture %s: %s", shown_path(path), e.strerror or e, extra={"file": path})
    finally:
        os.close(inbox)


def releases_left(folder: Path) -> bool:
    """Whether a release file (anything read as one: not a picture) is in the drop folder."""
    return any(not is_picture_name(p.name) for p in inbox_folder.scan(folder))


def _move_picture(
    inbox: int, parts: list[str], name: str, kind: str, seen: set[PictureIdentity | None], folder: Path
) -> None:
    opened: list[int] = []
    try:
        source = _descend(inbox, parts, opened, make=False)
        if source is None or not inbox_folder.exists_in(name, source):  # (taken meanwhile)
            return
        if None not in seen and inbox_folder.identity_in(name, source) not in seen:
            log.warning(
                "%s changed after it was read with its release(s): left in the drop folder; drop a release showing "
                "it again to publish this version",
                shown_path(os.path.join(folder, *parts, name)),
                extra={"file": os.path.join(folder, *parts, name)},
            )
            return
        top = inbox_folder.open_subfolder(inbox, folder, kind)
        if isinstance(top, str):
            return
        opened.append(top)
        target = _descend(top, parts, opened, make=True)
        if target is None:
            return
        dest = inbox_folder.free_name(target, inbox_folder.fitting(name))
        os.replace(name, dest, src_dir_fd=source, dst_dir_fd=target)
    finally:
        for fd in opened:
            os.close(fd)


def _descend(start: int, parts: list[str], opened: list[int], *, make: bool) -> int | None:
    """The folder `parts` below the open folder `start`, each step opened without following a link (made first,
    with `make`); None when one is missing or not a folder. The descriptors opened are added to `opened`."""
    fd = start
    for part in parts:
        if make:
            with contextlib.suppress(FileExistsError):
                os.mkdir(part, dir_fd=fd)
        try:
            fd = os.open(part, os.O_RDONLY | inbox_folder.O_DIRECTORY | inbox_folder.O_NOFOLLOW, dir_fd=fd)
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError:
            if make:
                raise
            return None
        opened.append(fd)
    return fd
