"""How far this daemon's clock is from the database server's, noticed and said: at start and at each heartbeat.

Leases and host slots are judged by the PostgreSQL server's clock (`feeds.store.leaseclock`), so a daemon whose
clock is off (a VM resumed from suspend, NTP broken) still never takes a live lease. But everything else it stamps
is by its own clock: a release's publication date when its source gives none, when a feed was checked and is due
next, a heartbeat. Those come out wrong by as much, quietly; so the daemon compares its clock with the server's
once at start and then at every heartbeat (every 15 s, one `SELECT clock_timestamp()`: nothing per feed), and
warns when they are more than `daemon.clock_skew_warning` apart (5 s), naming both times and the difference;
again when the difference grows by that much more, and says when the clocks agree again. `feeds status` shows
each daemon's difference (the heartbeat carries it) and `/metrics` this one's (`feeds_clock_skew_seconds`).

On SQLite there is nothing to compare: every process reads this machine's clock.

What this module must not do: correct the clock or what is stamped with it (the operator fixes NTP; a daemon
moving its own time would disagree with every other program on its machine), nor keep a daemon from running.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime
from typing import TYPE_CHECKING

from feeds.clock import duration_text, ensure_utc, skew_text

if TYPE_CHECKING:
    from feeds.web.metrics import Metrics

log = logging.getLogger("feeds.daemon")


def _instant(value: datetime) -> str:
    """`2026-12-01T09:30:00.123Z`: to the millisecond, for two clocks a few seconds apart."""
    return ensure_utc(value).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class ClockSkew:
    """The last measured difference between this daemon's clock and the database server's (`seconds`: this
    clock minus the server's, None until measured or on SQLite), and what the log was last told about it."""

    def __init__(self, clock: Callable[[], datetime], *, metrics: Metrics | None = None):
        self.clock, self.metrics = clock, metrics
        self.threshold = 5.0
        """Seconds apart beyond which the log is told (`daemon.clock_skew_warning`, as of the last measure)."""
        self.seconds: float | None = None
        self._warned: float | None = None
        """The skew last warned of, while the clocks are apart (None: they agree, or nothing was said)."""

    def measure(
        self,
        database_clock: Callable[[Callable[[], datetime]], tuple[datetime, datetime, datetime] | None],
        *,
        threshold: float,
    ) -> float | None:
        """Compare the server's clock with the midpoint of our two reads around it (`Store.database_clock`: the
        time the query takes is then no part of the difference, however slow the network); log as the module
        says, for clocks more than `threshold` seconds apart."""
        self.threshold = threshold
        read = database_clock(self.clock)
        if read is None:
            return None
        before, server, after = read
        local = before + (after - before) / 2
        seconds = (local - server).total_seconds()
        self.seconds = seconds
        if self.metrics is not None:
            self.metrics.clock_skew(seconds)
        self._say(seconds, local, server)
        return seconds

    def _say(self, seconds: float, local: datetime, server: datetime) -> None:
        if abs(seconds) <= self.threshold:
            if self._warned is not None:
                log.info("this machine's clock agrees with the database server's again (%s it)", skew_text(seconds))
            self._warned = None
            return
        if self._warned is not None and abs(seconds - self._warned) <= self.threshold:
            return  # (said already: the same difference, every 15 s, would bury the log)
        self._warned = seconds
        log.warning(
            "this machine's clock reads %s, the database server's %s: %s it (more than %s). Leases and host slots "
            "are judged by the server's clock and stay exclusive, but what this daemon dates (publication dates a "
            "source leaves out, feed checks and schedules, heartbeats) is off by as much: fix NTP on this machine",
            _instant(local),
            _instant(server),
            skew_text(seconds),
            duration_text(self.threshold),
        )

    def as_status(self) -> float | None:
        """The skew as the heartbeat stores it for `feeds status` (seconds, to the millisecond), or None."""
        return None if self.seconds is None else round(self.seconds, 3)
