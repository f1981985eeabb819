"""Moving the pictures dropped with releases out of the drop folder, once at the end of a run.

A picture moves to processed/ (or to rejected/, when only rejected releases show it) after every batch of the run
committed and moved its files, not with the first release that shows it: the office's logo, shown by releases in
several batches, must still be there when the later ones are read. It stays in the drop folder while a release
file left there may show it (one whose text names it: one that could not move, one not named to `feeds ingest
PATH`; any, while one is still being written), to be read with it by a later run, which moves it, shown or
not. A picture in a folder of the drop folder (`images/arrival.jpg`) moves to the same folder under processed/
(`processed/images/arrival.jpg`), where the release's link to it still holds. A saved web page's folder
(`PR ferry_files/`) whose pictures moved follows them whole, its other files untouched, and goes once emptied (it
was the page's); an `images/` folder emptied stays (the office's own, made once, used again).

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
import stat
import unicodedata
import urllib.parse
from pathlib import Path

from feeds.ingest import folder as inbox_folder
from feeds.ingest import freenames
from feeds.ingest.pictures import PictureIdentity, is_picture_name
from feeds.ingest.units import MAX_FILE_BYTES, shown_path

log = logging.getLogger("feeds.ingest")


def settle_pictures(settled: inbox_folder.Settled, folder: Path, *, hold: bool = False) -> None:
    """Move the pictures of the releases `settled` moved (and no release that stayed shows) out of the drop folder
    `folder`, but those a release file left in it may show (`hold`: files were left unread, still being written,
    whose text may not name them yet: all stay). Pictures that stay are remembered, to move at a later run of this
    process once no release left shows them. Failures are logged; the picture stays."""
    wanted = {path: how for path, how in settled.pictures.items() if path not in settled.held}
    inside = os.path.join(os.path.realpath(folder), "")
    for path, (kind, seen) in list(_HELD.items()):  # (held by an earlier run, and not shown by this one's)
        if path not in settled.held and os.path.realpath(path).startswith(inside):
            went, now_seen = wanted.get(path, (kind, set()))
            wanted[path] = (inbox_folder.PROCESSED if inbox_folder.PROCESSED in (went, kind) else went, now_seen | seen)
            del _HELD[path]
    if wanted and not hold:
        left = _texts_left(folder)
        for path in [p for p in wanted if left is None or _shown(left, os.path.basename(p))]:
            _HELD[path] = wanted.pop(path)
    else:
        _HELD.update(wanted)
        wanted = {}
    if not wanted:
        return
    here = os.path.realpath(folder)  # (a file named to `feeds ingest` by a relative path is in it too)
    pages: dict[tuple[str, ...], tuple[str, set[str]]] = {}  # a saved page's `<name>_files/`: its pictures moved
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
            parts = [p for p in parts if p != os.curdir]
            try:
                _move_picture(inbox, parts, os.path.basename(path), kind, seen, folder)
            except OSError as e:
                log.error("could not move the picture %s: %s", shown_path(path), e.strerror or e, extra={"file": path})
            if parts and parts[-1].casefold().endswith("_files") and not (left and _shown(left, parts[-1])):
                pages.setdefault(tuple(parts), (kind, set()))[1].add(os.path.basename(path))
        for parts_of, (kind, named) in sorted(pages.items()):
            _move_saved_folder(inbox, list(parts_of), kind, named, folder)
    finally:
        os.close(inbox)


_HELD: dict[str, tuple[str, set[PictureIdentity | None]]] = {}
"""Pictures kept in a drop folder for a release file left there, as `Settled.pictures` has them: moved by a later
run once none left shows them (the daemon's next scan, mostly; a new process names them as published already)."""


def _texts_left(folder: Path) -> list[bytes] | None:
    """The text (lowercased bytes) of each release file (any file read as one: not a picture) left in the drop
    folder; None when one cannot be read (it may show any picture)."""
    texts = []
    for path in inbox_folder.scan(folder):
        if is_picture_name(path.name):
            continue
        try:
            fd = os.open(path, os.O_RDONLY | freenames.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError:
            if os.path.islink(path):  # (a link is refused, never read: it shows nothing)
                continue
            return None
        with os.fdopen(fd, "rb") as f:
            st = os.fstat(f.fileno())
            if not stat.S_ISREG(st.st_mode) or st.st_size > MAX_FILE_BYTES:  # (refused unread: shows nothing)
                continue
            texts.append(f.read(MAX_FILE_BYTES).lower())
    return texts


def _shown(texts: list[bytes], name: str) -> bool:
    """Whether one of `texts` names the picture file `name`, as a release may write it: as it is, its spaces as
    `%20` or the whole percent-encoded, in either Unicode form, in UTF-8, Windows-1252 or UTF-16 (a false match
    only keeps the picture a run longer)."""
    spellings = set()
    for form in ("NFC", "NFD"):
        written = unicodedata.normalize(form, name).lower()
        for spelled in (written, written.replace(" ", "%20"), urllib.parse.quote(written)):
            for encoding in ("utf-8", "cp1252", "utf-16-le"):
                with contextlib.suppress(UnicodeEncodeError):
                    spellings.add(spelled.encode(encoding))
    return any(s in text for text in texts for s in spellings)


def _move_saved_folder(inbox: int, parts: list[str], kind: str, moved: set[str], folder: Path) -> None:
    """Move the rest of a saved web page's folder (`PR ferry_files/`: its other pictures, its style sheet, Word's
    `filelist.xml`), whose pictures the page showed moved with it, untouched (not read), to the same place, and
    remove the folder once empty: it was the page's. Only plain files move (a link or a folder in it stays, and so
    does the folder then); nor does a picture of `moved`, which stayed as it changed after it was read."""
    opened: list[int] = []
    try:
        source = _descend(inbox, parts, opened, make=False)
        if source is None:
            return
        parent = opened[-2] if len(parts) > 1 else inbox
        with os.scandir(source) as it:
            names = sorted(e.name for e in it if e.is_file(follow_symlinks=False) and e.name not in moved)
        if names:
            target = _target(inbox, folder, kind, parts, opened)
            if target is None:
                return
            for name in names:
                with contextlib.suppress(FileNotFoundError):  # (taken meanwhile)
                    dest = freenames.free_name(target, freenames.fitting(name))
                    os.replace(name, dest, src_dir_fd=source, dst_dir_fd=target)
        with contextlib.suppress(OSError):  # (not empty: something stayed, and the folder with it)
            os.rmdir(parts[-1], dir_fd=parent)
    except OSError as e:
        where = os.path.join(folder, *parts)
        log.error("could not move the rest of %s: %s", shown_path(where), e.strerror or e, extra={"file": where})
    finally:
        for fd in opened:
            os.close(fd)


def _move_picture(
    inbox: int, parts: list[str], name: str, kind: str, seen: set[PictureIdentity | None], folder: Path
) -> None:
    opened: list[int] = []
    try:
        source = _descend(inbox, parts, opened, make=False)
        if source is None or not freenames.exists_in(name, source):  # (taken meanwhile)
            return
        if None not in seen and freenames.identity_in(name, source) not in seen:
            log.warning(
                "%s changed after it was read with its release(s): left in the drop folder; drop a release showing "
                "it again to publish this version",
                shown_path(os.path.join(folder, *parts, name)),
                extra={"file": os.path.join(folder, *parts, name)},
            )
            return
        target = _target(inbox, folder, kind, parts, opened)
        if target is None:
            return
        dest = freenames.free_name(target, freenames.fitting(name))
        os.replace(name, dest, src_dir_fd=source, dst_dir_fd=target)
    finally:
        for fd in opened:
            os.close(fd)


def _target(inbox: int, folder: Path, kind: str, parts: list[str], opened: list[int]) -> int | None:
    """The folder `parts` under processed/ or rejected/ (`kind`) of the drop folder, made as needed; None when it
    cannot be (logged). The descriptors opened are added to `opened`."""
    top = inbox_folder.open_subfolder(inbox, folder, kind)
    if isinstance(top, str):
        return None
    opened.append(top)
    return _descend(top, parts, opened, make=True)


def _descend(start: int, parts: list[str], opened: list[int], *, make: bool) -> int | None:
    """The folder `parts` below the open folder `start`, each step opened without following a link (made first,
    with `make`); None when one is missing or not a folder. The descriptors opened are added to `opened`."""
    fd = start
    for part in parts:
        if make:
            with contextlib.suppress(FileExistsError):
                os.mkdir(part, dir_fd=fd)
        try:
            fd = os.open(part, os.O_RDONLY | inbox_folder.O_DIRECTORY | freenames.O_NOFOLLOW, dir_fd=fd)
        except (FileNotFoundError, NotADirectoryError):
            return None
        except OSError:
            if make:
                raise
            return None
        opened.append(fd)
    return fd
