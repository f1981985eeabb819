"""The leases of a watch round's claimed feeds, kept while the round goes on and given back when it stops.

`run_watch` claims a batch of due feeds (each lease held for `watch.lease`), then fetches, parses and stores them,
which can take longer than the lease. `Leases` renews the leases still held, in one UPDATE, from the thread that
waits on the fetches; notices feeds another worker took meanwhile (not fetched here then); and, once the round is
asked to stop, gives back at once the leases of the feeds whose fetch has not started.

What this module must not do: fetch, parse or store a feed's check (its leases only, through the store), or
decide which feeds are claimed.
"""

from __future__ import annotations

import contextlib
import logging
import threading
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from feeds.model import WatchedFeed

if TYPE_CHECKING:
    from feeds.app import App

log = logging.getLogger("feeds.watch")


class Leases:
    """The leases of a run's claimed feeds that it has not settled yet, kept for as long as the run goes on.

    A round can outlast `watch.lease`: 200 feeds through 16 fetch threads, a few slow servers each taking up to
    its deadlines (about two minutes a feed). A lease that ran out while its feed still waited let another daemon
    claim and poll it too; this run's result was then refused (the lease no longer its own), leaving it due, and
    it was polled a third time (review 4 #2). So the leases are renewed every third of the lease, in one UPDATE,
    by the thread that waits on the fetches (`keep`, its `tick`), by the App's clock. Renewing rather than claiming
    a few feeds at a time as fetch threads free up: the batch, its stored item hashes and its parse pool stay as
    they are, and a feed whose body waits for a worker process or to be stored stays covered too.

    A feed another worker has taken meanwhile (this process stalled past its lease: a frozen VM, a long GC) is not
    fetched here if it was not yet: the other worker polls it.

    Once `stop` is set, no fetch starts (`fetching` says no, in the fetch thread, under the same lock that records
    the fetches started), and `keep` gives back at once the leases of the feeds whose fetch has not started: the
    daemon may be gone before the fetches under way end (its grace period), and those feeds would otherwise stay
    leased to it, which no other daemon can take, until the lease runs out."""

    def __init__(
        self, app: App, feeds: Sequence[WatchedFeed], *, owner: str, since: datetime, stop: threading.Event | None
    ):
        self.app, self.owner, self.stop = app, owner, stop
        self.lease = timedelta(seconds=app.settings.watch.lease)
        self.held = {f.id for f in feeds}
        """Claimed, not settled: touched only by the run's own thread."""
        self.renewed = since
        self.stopping = False
        """The run has seen `stop` set: it fetches nothing more."""
        self.given_back = 0
        self._lost: set[int] = set()
        self._started: set[int] = set()
        self._lock = threading.Lock()  # `_lost` and `_started` are shared with the fetch threads

    def settled(self, feed_id: int) -> None:
        """The feed's check is recorded (which released its lease), or it was given up: not renewed any more."""
        self.held.discard(feed_id)

    def keep(self) -> bool:
        """Renew the leases held once a third of the lease has passed since the last renewal (or the clock was
        stepped back since: the renewal then starts again from now). False once the run is to stop, after giving
        back the feeds whose fetch has not started."""
        if not self.stopping and self.stop is not None and self.stop.is_set():
            self.stopping = True
            with self._lock:  # (no fetch starts from now on: `fetching` sees `stop` set)
                unstarted = self.held - self._started
            self.give_back(unstarted)
        self._renew()
        return not self.stopping

    def give_back(self, ids: Iterable[int] | None = None) -> int:
        """Release the leases of these feeds (all those held: None), which this run will not check; how many in
        all so far. As Ctrl-C does: due as before, for any daemon to take at once."""
        self.given_back += len(self._release(self.held if ids is None else ids))
        return self.given_back

    def leave(self, ids: Iterable[int]) -> set[int]:
        """Release the leases of these feeds, which this run leaves for the next round unfetched (they waited too
        long for their host): due as before. The ids released: those still held (not taken by another worker,
        nor given back already)."""
        return self._release(ids)

    def _release(self, ids: Iterable[int]) -> set[int]:
        ids = set(ids) & self.held
        if ids:
            with contextlib.suppress(Exception):  # (the database may be failing: the leases then run out)
                self.app.store.release_feeds(ids, owner=self.owner)
            self.held -= ids
        return ids

    def _renew(self) -> None:
        now = self.app.clock()
        if not self.held or self.renewed <= now < self.renewed + self.lease / 3:
            return
        self.renewed = now
        try:
            still = self.app.store.renew_feeds(self.held, now, owner=self.owner, lease=self.lease)
        except Exception as e:  # the database is failing: the fetches go on, and the next third tries again
            from feeds.store import error_text

            log.warning("could not renew the leases of %d feeds being polled: %s", len(self.held), error_text(e))
            return
        lost = self.held - still
        if lost:
            log.warning(
                "%d feed(s) of this round were taken by another worker while it ran (this process stalled past "
                "its lease?): not polled here",
                len(lost),
            )
            self.held -= lost
            with self._lock:
                self._lost |= lost

    def fetching(self, feed: WatchedFeed) -> bool:
        """Whether to fetch `feed` now (in a fetch thread, as its fetch starts)."""
        with self._lock:
            if feed.id in self._lost or (self.stop is not None and self.stop.is_set()):
                return False
            self._started.add(feed.id)
            return True
