"""The composition root: settings + store + clock + HTTP client, built once and handed to every job.

`make_app` is the only place that decides which concrete clock, session and database a process uses; tests
pass a `FixedClock` and their own `requests.Session`. Jobs are plain functions of an `App` (`run_ingest(app)`,
…), callable from the CLI, the daemon and tests alike.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from feeds.clock import Clock, utc_now
from feeds.config import Settings
from feeds.model import Release
from feeds.store import Store, open_store
from feeds.tempdir import ensure_temporary_folder

if TYPE_CHECKING:
    import requests

    from feeds.fetch import HttpClient


@dataclass
class App:
    settings: Settings
    store: Store
    clock: Clock = utc_now
    session: requests.Session | None = None
    _http: HttpClient | None = field(default=None, repr=False)
    _http_lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    releases: ReleaseCache = field(default_factory=lambda: ReleaseCache(), repr=False)
    extras: dict[str, object] = field(default_factory=dict, repr=False)
    """Long-lived helpers that stages create on first use (e.g. the parser process pool), closed with the App."""
    _closers: list[Callable[[], None]] = field(default_factory=list, repr=False)

    def on_close(self, fn: Callable[[], None]) -> None:
        self._closers.append(fn)

    @property
    def http(self) -> HttpClient:
        """The one polite HTTP client (created on first use, so offline commands never build it).

        Made again when `settings.http` is no longer what it was made with: a reload (SIGHUP) that adds an address
        to `[http] allow`, or changes a timeout or the size cap, takes effect at the next fetch, not at a restart.
        The client it replaces is closed at once: its idle keep-alive connections (one per host it fetched from)
        close, and a fetch it is still making for a running round finishes, its connection closed as it ends
        (urllib3 closes a connection handed back to a closed pool). Kept until the App closed, every reload
        changing `[http]` held a socket per watched host for the rest of the daemon's life."""
        with self._http_lock:  # (the watch's fetch threads ask for it at once)
            if self._http is None or self._http.settings != self.settings.http:
                from feeds.fetch import HttpClient

                if self._http is not None:
                    self._http.close()
                self._http = HttpClient(self.settings.http, session=self.session, clock=self.clock)
            return self._http

    def close(self) -> None:
        for fn in reversed(self._closers):
            fn()
        self._closers.clear()
        if self._http is not None:
            self._http.close()
        self.store.close()


def worker_id() -> str:
    """Who this process is among the daemons sharing a database: `host:pid` (in logs, leases, status, metrics)."""
    return f"{socket.gethostname()}:{os.getpid()}"


class ReleaseCache:
    """The releases as of the last look, refreshed with only what changed since (publishing every few seconds
        in a daemon must not reload ten thousand releases each time). Releases are never deleted, only changed; one
    taken down (`Release.removed_at`, its row written then) leaves the cache at the next look.

        Changes are fetched from a little before the last change seen (`SKEW`), so a release stored by another
        daemon whose clock runs slightly behind is not missed; re-reading a few rows twice is harmless. Never from
        later than `now` less `SKEW`: a release stored while the clock ran ahead (a bad RTC at boot, a mistyped
        `date -s`) is dated in the future, and every release stored once the clock was put right, dated before it,
        was never read again, so nothing new was published until a restart.
    """

    SKEW = timedelta(minutes=5)

    def __init__(self) -> None:
        self._by_id: dict[str, Release] = {}
        self._latest: datetime | None = None
        self._lock = threading.Lock()

    def current(self, store: Store, now: datetime) -> list[Release]:
        with self._lock:
            since = None if self._latest is None else min(self._latest, now) - self.SKEW
            changed, latest = store.releases_stored_since(since)
            for r in changed:
                if r.removed_at is None:
                    self._by_id[r.id] = r
                else:
                    self._by_id.pop(r.id, None)
            if latest is not None and (self._latest is None or latest > self._latest):
                self._latest = latest
            # The store's order (newest first, then id): whatever order changes arrived in, the result is the same.
            return sorted(self._by_id.values(), key=lambda r: (r.published, r.id), reverse=True)


def make_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    session: requests.Session | None = None,
    migrate: bool = True,
    create: bool = True,
) -> App:
    """Open the store (migrating it unless told not to) and assemble the application. `create=False` for what only
    reads: an SQLite database that is not there, or a PostgreSQL schema without feeds' tables, is then
    `NoDatabaseError`, not made (empty) where the config pointed."""
    clock = clock or utc_now
    ensure_temporary_folder(settings.paths.state)  # (before SQLite starts: a read-only root file system)
    store = open_store(settings.database_url, create=create)
    if migrate:
        store.migrate(clock(), create=create)
    return App(settings=settings, store=store, clock=clock, session=session)
