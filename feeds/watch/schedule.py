"""When to check a remote resource next (pure): interval, back-off, Retry-After and freshness.

Used for watched feeds and for remote release sources alike. The rules:
- after a success: `now + interval`, but never before the response's freshness lifetime ends
  (Cache-Control max-age / Expires, RFC 9111 §4.2), which is honoured only up to 24 hours; with `spread` (watched
  feeds), up to 10% of the interval later, so feeds added together (an OPML import of 200) drift apart instead of
  being checked in the same second every interval for ever;
- after a failure: exponential back-off from the interval (interval × 2^(failures-1)), capped at 48 hours, with
  ±10% jitter so feeds that failed together do not retry together; polling never stops for good;
- a `Retry-After` (RFC 9110 §10.2.3, on 429/503) pushes the next check at least that far, capped at 7 days.

Next checks are stored as absolute times, so a clock stepped back (NTP correcting a clock that ran ahead)
would hold every feed checked before the step for as long as the step, days for a bad RTC at boot: `clock_step`
notices, from checks recorded ahead of the clock, how far it went back at least, and the store moves those
feeds' schedules back by as much (see `WatchStore.claim_due`).

The jitter is derived from the resource's key and failure count (after a success: the time of the check), not
from a random generator, so the function stays pure and repeatable (tests, and several daemons sharing one
database, get the same answer for the same check) while still spreading different feeds apart. A success's jitter
only ever delays: the 5-minute floor of an interval, and a server's freshness lifetime, stay lower bounds.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import datetime, timedelta

MAX_BACKOFF = timedelta(hours=48)
MAX_RETRY_AFTER = timedelta(days=7)
MAX_FRESHNESS = timedelta(hours=24)
JITTER = 0.10


def _fraction(*parts: object) -> float:
    """A number from 0 to 1, stable for the same parts, spread evenly across different ones."""
    digest = hashlib.sha256("\0".join(map(str, parts)).encode()).digest()
    return int.from_bytes(digest[:4], "big") / 0xFFFFFFFF


def spread_wait(interval: timedelta, key: str, now: datetime) -> timedelta:
    """The wait after a success with `spread`: the interval, plus up to 10% of it, stable per key and check."""
    return interval + timedelta(seconds=round(interval.total_seconds() * JITTER * _fraction(key, now.isoformat())))


def backoff(interval: timedelta, failures: int, key: str) -> timedelta:
    """The wait after `failures` consecutive failures (≥ 1), jittered by ±10% and capped at 48 h."""
    if failures <= 0:
        return interval
    # In float seconds: a timedelta times 2**n overflows (past 999,999,999 days) for a daily feed down a month.
    base = timedelta(seconds=min(interval.total_seconds() * 2.0 ** min(failures - 1, 64), MAX_BACKOFF.total_seconds()))
    fraction = _fraction(key, failures)  # 0..1, stable per key and failure count
    jittered: timedelta = base * (1 - JITTER + 2 * JITTER * fraction)
    return min(jittered, MAX_BACKOFF)


def next_check_at(
    now: datetime,
    interval: timedelta,
    *,
    key: str,
    failures: int = 0,
    retry_after: datetime | None = None,
    fresh_until: datetime | None = None,
    spread: bool = False,
) -> datetime:
    """When to check again, given what the last check found (see the module docstring for the rules)."""
    at = now + (spread_wait(interval, key, now) if spread and failures <= 0 else backoff(interval, failures, key))
    if retry_after is not None:
        at = max(at, min(retry_after, now + MAX_RETRY_AFTER))
    if fresh_until is not None and failures == 0:
        at = max(at, min(fresh_until, now + MAX_FRESHNESS))
    return at


CLOCK_TOLERANCE = timedelta(minutes=5)
"""A recorded check this little ahead of the clock is not taken for a clock stepped back: a check being recorded
by another daemon while this one reads, or clocks a little apart. Below the shortest interval, so a step this
small delays no feed by more than a check's worth."""


def clock_step(now: datetime, last_checks: Iterable[datetime]) -> timedelta:
    """How far the clock has at least been stepped back since these checks were recorded: how far the latest of
    them lies ahead of `now`, when one lies more than `CLOCK_TOLERANCE` ahead; zero otherwise.

    A check is recorded at the clock's time, so one ahead of the clock was recorded before the clock went back,
    and by at least that much. Moving every schedule recorded before the step back by that same amount keeps
    the feeds as far apart as they were (a feed due in 10 minutes is still due in 10 minutes), where clamping
    each to "its interval from now" would bunch them all up."""
    latest = max(last_checks, default=None)
    if latest is None or latest <= now + CLOCK_TOLERANCE:
        return timedelta(0)
    return latest - now
