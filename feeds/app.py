"""The composition root: settings + store + clock + HTTP client, built once and handed to every job.

`make_app` is the only place that decides which concrete clock, session and database a process uses; tests
pass a `FixedClock` and their own `requests.Session`. Jobs are plain functions of an `App` (`run_ingest(app)`,
…), callable from the CLI, the daemon and tests alike.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from feeds.clock import Clock, utc_now
from feeds.config import Settings
from feeds.store import Store, open_store

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

    @property
    def http(self) -> HttpClient:
        """The one polite HTTP client (created on first use, so offline commands never build it)."""
        if self._http is None:
            from feeds.fetch import HttpClient

            self._http = HttpClient(self.settings.http, session=self.session, clock=self.clock)
        return self._http

    def close(self) -> None:
        if self._http is not None:
            self._http.close()
        self.store.close()


def make_app(
    settings: Settings,
    *,
    clock: Clock | None = None,
    session: requests.Session | None = None,
    migrate: bool = True,
) -> App:
    """Open the store (migrating it unless told not to) and assemble the application."""
    clock = clock or utc_now
    store = open_store(settings.database_url)
    if migrate:
        store.migrate(clock())
    return App(settings=settings, store=store, clock=clock, session=session)
