"""The order a watch round takes its feeds in: fetched a window at a time, at most `watch.per_host` at once from
one host, yielded as their answers arrive (`fetched_in_turn`); then stored in the order their parsing ends
(`first_ready`, `wait_until_ready`, `take_ready`), so one large feed holds up no other.

Generic over what a fetch returns: `run_watch` hands in its fetch and its `tick` (the leases' renewal), and the
tests hand in stand-ins. Every wait here wakes at least every `WAKE` seconds, so a round whose fetches all hang
still renews its leases.

What this module must not do: fetch, parse or store a feed itself (the caller's `fetch` and loop do), or write to
the store other than through the run's `HostSlots`.
"""

from __future__ import annotations

import time
from collections import Counter, deque
from collections.abc import Callable, Generator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from datetime import timedelta
from typing import Any, TypeVar
from urllib.parse import urlsplit

from feeds.config import HttpSettings
from feeds.model import WatchedFeed
from feeds.watch.hostslots import HostSlots

R = TypeVar("R")
T = TypeVar("T")

WAKE = 0.5
"""Seconds at most between two calls of a run's `tick` (`Leases.keep`) while it waits on fetches or parsers: a
round whose fetches all hang still renews its leases in time. A look at the clock, mostly: cheap."""


def host_of(url: str) -> str:
    """What `watch.per_host` counts requests by: the URL's host name, in lower case, whatever the port or scheme.

    A name rather than a resolved address: many sites share one CDN or hosting address (limiting by address
    would throttle unrelated sites together), and the name is known without a DNS look-up before scheduling.
    Not host:port: a site's ports are served by the same machine and the same people."""
    return (urlsplit(url).hostname or url).lower()


def host_wait(http: HttpSettings) -> timedelta:
    """How long a feed of a round of due feeds may wait for its host (`watch.per_host`) before it is left for the
    next round: the longest one fetch may take (`HttpSettings.longest_fetch`, the same bound `watch.lease` may not
    go under: 3 min 10 s by default).

    Derived from the fetch timeouts, as they are what a slow host costs: a feed still waiting then has seen its
    host's `per_host` slots busy for as long as the slowest single answer we accept, so the host is slow, not
    merely busy with a few quick feeds (50 feeds answering in 3 s each, 2 at a time, are all fetched). Its
    fetches under way end at most one such fetch later (they are finished, not cut off), and so does the round,
    unless other hosts keep it going: about 6 min 20 s at the very worst by default, against ~25 min for 50 feeds
    at the header deadline, 2 at a time; the slow site's remaining feeds are taken first at the next tick, so
    they are not late for long either. No setting of its own: a longer read timeout, which says slow answers are
    to be waited for, makes it longer with them."""
    return timedelta(seconds=http.longest_fetch)


def fetched_in_turn(
    pool: ThreadPoolExecutor,
    feeds: Sequence[WatchedFeed],
    fetch: Callable[[WatchedFeed], R],
    *,
    ahead: int,
    tick: Callable[[], bool] | None = None,
    per_host: int | None = None,
    host_wait_over: Callable[[], bool] | None = None,
    leave: Callable[[Sequence[WatchedFeed]], None] | None = None,
    slots: HostSlots | None = None,
) -> Generator[tuple[WatchedFeed, R]]:
    """Each feed with its fetch result, in the order the answers arrive, with at most `ahead` feeds fetched or
    being fetched that the caller has not taken yet, and at most `per_host` of them being fetched from one host
    (`host_of`); `tick` is called as each answer arrives and every `WAKE` seconds while none does (the run renews
    its leases from it), and once it returns False no further fetch is submitted: those under way are still
    yielded as they end.

    A body is held until its feed is stored: fetching a whole batch at once (200 feeds by default, each body up
    to the 10 MiB cap) could hold gigabytes while the workers catch up. Fetches are I/O-bound and quick beside
    parsing, so keeping a few per fetch thread in hand costs no time.

    A feed whose host has `per_host` fetches under way waits, in claim order, for one of them to end, while the
    feeds of other hosts behind it go ahead: a news site with 50 feeds gets 2 requests at a time, not 16, and
    one slow host holds up only its own feeds, never a fetch thread idle in front of another host's feed.

    With `slots` (the run's `HostSlots`), each fetch also holds one of its host's slots in the database, shared
    by every daemon: taken as it is submitted, given back with the next take once it has been yielded (or when
    the generator ends). The window is then refilled once half of it has been taken, in one write for all the
    feeds it takes up and all the slots it gives back, rather than one write per answer (with `ahead` twice the
    fetch threads, as the poll has it, a thread never waits for the refill; one write per answer took the main
    process's CPU time in bench_poll's pass of 304s from ~1.8 s to ~3.3 s). A feed refused a slot (other
    daemons hold every slot of its host) waits for its host as above, and its host is asked again every `WAKE`
    seconds, or as soon as one of this run's fetches to it ends.

    Once `host_wait_over` says so (checked as `tick` is), the feeds waiting for their host are not waited for
    any more: they are handed to `leave` and neither fetched nor yielded, and so is any feed taken up later
    whose host is busy still (a feed whose host is free still goes). Never after `tick` returned False: the stop
    gives back the feeds not fetched already. So every feed is yielded, left or, after a stop, neither; none
    twice."""
    waiting = iter(feeds)
    held: dict[str, deque[WatchedFeed]] = {}
    """Feeds taken from `waiting` whose host was at its limit, by host, in claim order."""
    busy: Counter[str] = Counter()
    """Fetches under way (submitted, not yet yielded) by host."""
    running: dict[Future[R], WatchedFeed] = {}
    freed: deque[str] = deque()
    """Hosts whose fetch has ended since the last refill, in that order: their held feeds go first."""
    elsewhere: set[str] = set()
    """Hosts whose slots other daemons held at the last try (`slots`): their feeds wait to be asked for again."""
    asked_at = 0.0
    """When (`time.monotonic`) a host was last refused a slot."""
    ended: list[int] = []
    """Feeds yielded since the last refill: their slots are given back with the next take."""
    impatient = False
    """`host_wait_over` has said so: a feed whose host is busy is left, not held."""

    def host(feed: WatchedFeed) -> str:
        return host_of(feed.url) if per_host is not None else ""

    def full(name: str) -> bool:
        return per_host is not None and (busy[name] >= per_host or name in elsewhere)

    def following() -> WatchedFeed | None:
        while freed:
            name = freed.popleft()
            queue = held.get(name)
            if queue and not full(name):
                return queue.popleft()
        for feed in waiting:
            name = host(feed)
            if not full(name):
                return feed
            if impatient and leave is not None:
                leave([feed])
            else:
                held.setdefault(name, deque()).append(feed)
        return None

    def refill() -> None:
        nonlocal asked_at
        if slots is not None and len(running) > ahead // 2:
            return  # (half the window at a time, in one write: enough in hand that no fetch thread waits for it)
        while True:
            picked: list[WatchedFeed] = []
            while len(running) + len(picked) < max(1, ahead) and (feed := following()) is not None:
                busy[host(feed)] += 1
                picked.append(feed)
            granted = None
            if slots is not None and (picked or ended):
                granted = slots.trade(ended, [(f.id, host(f)) for f in picked])
                ended.clear()
            refused = [f for f in picked if granted is not None and f.id not in granted]
            for feed in picked:
                if granted is None or feed.id in granted:
                    running[pool.submit(fetch, feed)] = feed
            if not refused:
                return
            asked_at = time.monotonic()
            for feed in refused:
                busy[host(feed)] -= 1
                elsewhere.add(host(feed))
            if impatient and leave is not None:
                leave(refused)
                continue
            for feed in reversed(refused):  # (back at the head of their host's queue, in claim order)
                held.setdefault(host(feed), deque()).appendleft(feed)

    def ask_again() -> None:
        """The hosts refused a slot a while ago: their feeds held are taken up again at the next refill."""
        if elsewhere and time.monotonic() - asked_at >= WAKE:
            for name in elsewhere:
                freed.extend([name] * min(per_host or 1, len(held.get(name, ()))))
            elsewhere.clear()

    def others_hold_slots() -> bool:
        return any(held.get(name) for name in elsewhere)

    try:
        refill()
        going = True
        waking = tick is not None or host_wait_over is not None or slots is not None
        while running or (going and others_hold_slots()):
            if running:
                done, _ = wait(running, timeout=WAKE if waking else None, return_when=FIRST_COMPLETED)
            else:  # every feed left waits for a host whose slots other daemons hold
                done = set()
                time.sleep(WAKE)
            if tick is not None:
                going = tick()
            if slots is not None:
                slots.renew()
            if going and not impatient and leave is not None and host_wait_over is not None and host_wait_over():
                impatient = True
                left = [feed for queue in held.values() for feed in queue]
                held.clear()
                if left:
                    leave(left)
            for future in done:
                feed = running.pop(future)
                busy[host(feed)] -= 1
                freed.append(host(feed))
                elsewhere.discard(host(feed))  # (its slot, given back at the next take, is free for this run)
                if slots is not None:
                    ended.append(feed.id)
                yield feed, future.result()
                if going:  # (once the caller is back: its slot is free only then)
                    ask_again()
                    refill()
            if going and not done and slots is not None:
                ask_again()
                refill()
    finally:
        if slots is not None:
            slots.give_back_all()


def first_ready(futures: Sequence[Future[Any] | None], *, tick: Callable[[], object] | None = None) -> int:
    """The index of the first future that is done (None: nothing to wait for), else of the first to finish
    (calling `tick` every `WAKE` seconds while it waits, as `fetched_in_turn` does).

    The poll stores feeds in this order, not in the order they were fetched: waiting for the oldest would leave
    the other workers idle behind one large feed (bench_poll's first pass: 8% quicker in this order)."""
    if not futures:
        raise ValueError("no future to wait for")
    wait_until_ready(futures, 1, tick=tick)
    return next(i for i, future in enumerate(futures) if future is None or future.done())


def wait_until_ready(
    futures: Sequence[Future[Any] | None], count: int, *, tick: Callable[[], object] | None = None
) -> None:
    """Return once at least `count` of `futures` are done (None: nothing to wait for, as if done), or all of them
    when there are fewer, calling `tick` every `WAKE` seconds while it waits."""
    count = min(count, len(futures))
    while True:
        waiting = [f for f in futures if f is not None and not f.done()]
        if len(futures) - len(waiting) >= count:
            return
        wait(waiting, timeout=WAKE if tick is not None else None, return_when=FIRST_COMPLETED)
        if tick is not None:
            tick()


def take_ready(entries: list[T], ready: Callable[[T], bool], most: int) -> list[T]:
    """Remove from `entries` and return, in their order, the first `most` that are `ready`."""
    taken: list[T] = []
    kept: list[T] = []
    for entry in entries:
        (taken if len(taken) < most and ready(entry) else kept).append(entry)
    entries[:] = kept
    return taken
