"""The daemon's eye on its drop folders: file events in them set off an ingest within a second (the periodic scan
is the safety net), a folder replaced under the watch (moved away and made again, a share remounted) is watched
again, and housekeeping learns which files are still in them.

It says that something arrived; it must not read, ingest or move a file (that is `feeds.ingest`, in a job).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from feeds.config import FolderSource, Settings

log = logging.getLogger("feeds.daemon")


INBOX_QUIET = 3.0
"""Seconds an inbox file must have been left unchanged before the daemon reads it: it reacts to a file the moment
it appears, and a writer that appends (`>>`), saves in steps or copies slowly is not done yet. Writers should
still use a temporary name and rename (README); this catches those that do not."""


class FolderWatch:
    """The file watch (watchdog) on the enabled folder sources. `inboxes` names them as the running config does
    (a reload may change them); `on_arrival` is called from watchdog's thread for each write or arrival."""

    def __init__(self, inboxes: Callable[[], tuple[FolderSource, ...]], on_arrival: Callable[[], None]):
        self.inboxes = inboxes
        self.on_arrival = on_arrival
        self.observer: Any = None
        self.watched: dict[Path, tuple[int, int] | None] = {}  # the folders the file watch is on

    def start(self) -> None:
        """File events in the folders trigger an ingest within a second (the periodic scan is the safety net)."""
        try:
            from watchdog.events import FileSystemEvent, FileSystemEventHandler
            from watchdog.observers import Observer
        except ImportError:  # pragma: no cover - watchdog is a dependency; stay useful without it
            return
        on_arrival = self.on_arrival

        class Handler(FileSystemEventHandler):
            def on_any_event(self, event: FileSystemEvent) -> None:
                # Only writes and arrivals: reading a file (our own ingest) raises opened/closed-no-write events,
                # which must not trigger another ingest.
                if event.event_type not in ("created", "modified", "moved", "closed"):
                    return
                path = str(getattr(event, "dest_path", "") or event.src_path)
                if event.is_directory or "/processed/" in path or "/rejected/" in path:
                    return
                on_arrival()

        observer = Observer()
        for source in self.inboxes():
            source.path.mkdir(parents=True, exist_ok=True)
            observer.schedule(Handler(), str(source.path), recursive=False)
        observer.daemon = True
        observer.start()
        self.observer = observer
        self.watched = self._identities()

    def restart(self) -> None:
        """Watch the folders the config names now (added, removed, moved, or replaced under the watch)."""
        self.observer.stop()
        self.observer.join(timeout=5)
        self.observer = None
        self.start()

    def stop(self) -> None:
        if self.observer is not None:
            self.observer.stop()

    def rewatch_replaced(self) -> None:
        """Watch again a folder replaced since its watch began: the watch is on the old one, which gets no file."""
        if self.observer is None:
            return
        now = self._identities()
        replaced = [str(p) for p, ident in now.items() if ident != self.watched.get(p)]
        if not replaced:
            return
        log.warning("%s replaced since it was watched (moved, remounted): watching the new one", ", ".join(replaced))
        self.restart()

    def _identities(self) -> dict[Path, tuple[int, int] | None]:
        """Each folder source's (device, inode): another value means the folder was replaced (moved away and made
        again, a share remounted), and the file watch is still on the old one."""
        found: dict[Path, tuple[int, int] | None] = {}
        for source in self.inboxes():
            try:
                st = source.path.stat()
                found[source.path] = (st.st_dev, st.st_ino)
            except OSError:
                found[source.path] = None
        return found


def files_in_folders(settings: Settings) -> tuple[dict[str, set[str]], set[str]]:
    """(source name → the names of the files in its folder now, the sources whose folder could not be listed):
    what the ingest ledger must keep rows of, as a file still there may be one committed but not yet moved. Of a
    folder that cannot be listed every row is kept (and a warning says why): which files are there is unknown."""
    found: dict[str, set[str]] = {}
    unlisted: set[str] = set()
    for source in settings.sources:
        if isinstance(source, FolderSource):
            try:
                with os.scandir(source.path) as entries:
                    found.setdefault(source.name, set()).update(e.name for e in entries)
            except FileNotFoundError:  # (no folder, no file in it)
                found.setdefault(source.name, set())
            except OSError as e:
                unlisted.add(source.name)
                log.warning(
                    "housekeeping: cannot list %s (%s), the folder of source %r: the records of its ingested "
                    "files are kept",
                    source.path,
                    e.strerror or e,
                    source.name,
                    extra={"job": "housekeeping"},
                )
    return found, unlisted
