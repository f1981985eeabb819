"""A poll's share of the hosts' slots (`feeds.store.hostslots`): `watch.per_host` across every daemon.

`feeds.watch.turns.fetched_in_turn` counts the fetches under way to each host in its own run and starts none
beyond `per_host`; with several daemons on one database each counted only its own, and a site got up to
`per_host` times the number of daemons requests at once. Now each fetch also holds one of its host's slots in
the database, taken as it is submitted and given back once it has ended, the two together in one small write
(`trade`); a feed whose host's slots other daemons hold all waits for its host as it waits for a busy one.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable, Sequence
from datetime import timedelta
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from feeds.app import App

log = logging.getLogger("feeds.watch")


class HostSlots:
    """The slots one run holds, by the key of the fetch holding each (a feed's id), each held until one fetch's
    longest time (`HttpSettings.longest_fetch`) from when it was taken or last renewed.

    Used by the thread that submits the fetches (the poll's main thread) only. A database that fails does not
    stop the poll: the fetches go ahead as if their slots were taken (each run still keeps to `per_host` on its
    own), with a warning, and what could not be given back runs out by itself."""

    def __init__(self, app: App, *, owner: str, per_host: int):
        self.store, self.clock = app.store, app.clock
        self.owner, self.per_host = owner, per_host
        self.hold = timedelta(seconds=app.settings.http.longest_fetch)
        self.held: dict[int, tuple[str, int]] = {}
        """(host, slot number) of each fetch holding a slot, by its key."""
        self.unreturned: list[tuple[str, int]] = []
        """Slots of fetches ended that a failing database did not take back: given back with the next trade."""
        self.renewed = app.clock()

    def trade(self, ended: Iterable[int], wanted: Sequence[tuple[int, str]]) -> set[int]:
        """Give back the slots of the fetches `ended`, and take one for each (key, host) of `wanted`: the keys
        granted one (the others' hosts have every slot held elsewhere: they are to wait and ask again)."""
        give_back = self.unreturned + [self.held.pop(key) for key in ended if key in self.held]
        if not give_back and not wanted:
            return set()
        now = self.clock()
        try:
            slots = self.store.trade_host_slots(
                give_back,
                [host for _, host in wanted],
                now=now,
                owner=self.owner,
                hold=self.hold,
                per_host=self.per_host,
            )
        except Exception as e:  # the database is failing: this run's own count of each host's fetches still holds
            from feeds.store import error_text

            log.warning("could not take the hosts' slots of %d fetch(es): %s", len(wanted), error_text(e))
            self.unreturned = give_back  # (with the next trade)
            return {key for key, _ in wanted}
        self.unreturned = []
        if not self.held:
            self.renewed = now  # (those taken now are held for a whole hold: the renewals count from here)
        granted = set()
        for (key, host), slot in zip(wanted, slots, strict=True):
            if slot is not None:
                self.held[key] = (host, slot)
                granted.add(key)
        return granted

    def renew(self) -> None:
        """Move on the time of the slots held once a third of a hold has passed since the last renewal (or the
        clock was stepped back since): a fetch waiting in the pool's queue, then taking its longest, outlasts the
        hold of a slot taken as it was submitted. A look at the clock, mostly."""
        now = self.clock()
        if not self.held or self.renewed <= now < self.renewed + self.hold / 3:
            return
        self.renewed = now
        try:
            self.store.renew_host_slots(
                {host for host, _ in self.held.values()}, now=now, owner=self.owner, hold=self.hold
            )
        except Exception as e:  # the database is failing: the next third tries again
            from feeds.store import error_text

            log.warning("could not renew the hosts' slots of %d fetch(es): %s", len(self.held), error_text(e))

    def give_back_all(self) -> None:
        """Give back every slot still held (the run is over, or stopped)."""
        if self.held or self.unreturned:
            with contextlib.suppress(Exception):  # (the database may be failing: the slots then run out)
                self.trade(list(self.held), [])
            self.held.clear()
            self.unreturned = []
