"""A destination that refuses everything: held off as a whole, its deliveries kept until it accepts again.

A webhook answering 401, 403, 404 or 410 (`webhook.refuses_everything`: a revoked token, a deleted hook) says
nothing about the message, only about the destination: every other message would get the same answer. So:

- the delivery tried (the *probe*) is not failed: it stays pending, its attempt counted and its answer recorded
  (`feeds alerts log` says why it waits), due again when the destination is;
- the destination backs off as a whole (`select.refusal_wait`: 1, 2, 4… minutes, at most two hours), kept in the
  store (`Store.record_refusal`) so that every daemon sharing it, and the next one started, holds off too: none
  of its deliveries is claimed before then (`claim_deliveries`), and then the same probe is tried first;
- the log says so once a step, at the step: that it refuses, since when, and when it is tried again;
- a delivery that has waited longer than the retry policy tries one (`select.GIVE_UP_AFTER`) is given up on as
  it would be to a destination that is down (`give_up_expired`, at each run while it refuses): nothing waits for
  ever, and `feeds alerts retry` queues it again;
- once the destination accepts a message, the back-off is forgotten (`accepted`) and its waiting deliveries go
  out in their order, each once.

What this module must not do: send anything, or choose the back-off (`feeds.alerts.select`).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from feeds.alerts.outcomes import DestinationOutcome, span_text
from feeds.alerts.select import GIVE_UP_AFTER, Attempt, Destination, refusal_wait
from feeds.alerts.webhook import refusal_hint, refuses_everything
from feeds.clock import rfc3339
from feeds.store.alerts import AttemptRecord, Delivery
from feeds.store.refusals import Refusal

if TYPE_CHECKING:
    from feeds.store import Store

log = logging.getLogger("feeds.alerts")


@dataclass
class RefusalWatch:
    """One run's view of whether destination `d` refuses everything (`refusal`: as the store had it at the start)."""

    store: Store
    d: Destination
    now: datetime
    refusal: Refusal | None

    @classmethod
    def load(cls, store: Store, d: Destination, now: datetime) -> RefusalWatch:
        return cls(store, d, now, store.refusal(d.key))

    def stops(self, attempt: Attempt) -> bool:
        """Whether `attempt` was refused for what the destination is, not for what the message is."""
        return refuses_everything(attempt)

    def give_up_expired(self, out: DestinationOutcome) -> None:
        """While the destination refuses, fail its deliveries queued more than `GIVE_UP_AFTER` ago, in one line."""
        if self.refusal is None:
            return
        r = self.refusal
        error = (
            f"not sent: gave up after {span_text(GIVE_UP_AFTER)}: {self.d.key} refuses everything"
            f" (answered {r.status} since {rfc3339(r.since)})"
        )
        n = self.store.give_up_refused(self.d.key, self.now, queued_before=self.now - GIVE_UP_AFTER, error=error)
        if not n:
            return
        out.failed += n
        check = refusal_hint(r.status)
        log.error(
            "alert %s: gave up on %d deliver%s queued more than %s ago: it refuses everything (answered %s since %s"
            " UTC); %s, then `feeds alerts retry %s` sends them again", self.d.key, n, "y" if n == 1 else "ies",
            span_text(GIVE_UP_AFTER), r.status, f"{r.since:%Y-%m-%d %H:%M}", check or "check the webhook", self.d.key,
            extra={"destination": self.d.key},
        )  # fmt: skip

    def accepted(self) -> None:
        """The destination took a message: forget its back-off (once), and say it accepts again."""
        if self.refusal is None:
            return
        before = self.store.clear_refusal(self.d.key)
        self.refusal = None
        if before is not None:
            log.warning(
                "alert %s accepts again (it answered %s from %s UTC, %d tr%s): its waiting deliveries go out",
                self.d.key, before.status, f"{before.since:%Y-%m-%d %H:%M}", before.refusals,
                "y" if before.refusals == 1 else "ies", extra={"destination": self.d.key},
            )  # fmt: skip

    def hold(self, out: DestinationOutcome, probe: Delivery, attempt: Attempt, *, owner: str) -> None:
        """The destination refused `probe` for what it is: back it off a step (in the store), keep `probe` pending
        until then with its attempt and answer recorded, and say so in one line."""
        r = self.store.record_refusal(self.d.key, attempt.status, self.now, wait=refusal_wait)
        self.refusal = r
        kept = f"kept: the destination refuses everything, next try at {rfc3339(r.probe_at)}"
        error = f"{attempt.error or attempt.status}; {kept}"
        record = AttemptRecord(probe.id, "pending", probe.attempts + 1, r.probe_at, attempt.status, error, None)
        self.store.record_attempts([record], self.now, owner=owner)
        out.retrying += 1
        if attempt.error:
            out.errors.append(attempt.error)
        others = self.store.count_deliveries(destination=self.d.key, status="pending") - 1
        check = refusal_hint(attempt.status)
        log.warning(
            "alert %s refuses everything (%s)%s: match %d and its %d other deliver%s wait, none failed; next try at"
            " %s (in %s; refused %d time%s in a row, since %s UTC)", self.d.key, attempt.error or attempt.status,
            f"; {check}" if check else "", probe.match_id, others, "y" if others == 1 else "ies", rfc3339(r.probe_at),
            span_text(r.probe_at - self.now), r.refusals, "" if r.refusals == 1 else "s", f"{r.since:%Y-%m-%d %H:%M}",
            extra={"destination": self.d.key},
        )  # fmt: skip


@dataclass(frozen=True, slots=True)
class HeldBack:
    """Why a pending delivery waits although its `next_attempt` may be past: its destination refuses everything,
    and none of its deliveries is tried before the destination's next probe (`refusal.probe_at`), when `probe`
    (this one) is tried first; the others go out once the destination accepts it."""

    refusal: Refusal
    probe: bool
    match_id: int | None = None
    """The match of the delivery tried first at the next probe (`probe` is true on that one)."""

    def says(self, now: datetime) -> str:
        """`waits for webhook:desk, which refuses everything (answered 401 since …): next probe at …`; a probe
        time passed (no alerts run since) is said to be at the next run."""
        r = self.refusal
        overdue = " (passed: at the next alerts run)" if r.probe_at <= now else ""
        first = " (this one first)" if self.probe else ""
        return (
            f"waits for {r.destination}, which refuses everything (answered {r.status} since {rfc3339(r.since)}):"
            f" next probe at {rfc3339(r.probe_at)}{overdue}{first}"
        )


def held_back(store: Store, deliveries: Sequence[Delivery]) -> dict[int, HeldBack]:
    """The pending deliveries among `deliveries` held back behind a destination refusing everything, by id (one
    look-up per destination, not per delivery)."""
    destinations = sorted({d.destination for d in deliveries if d.status == "pending"})
    refusals = {key: r for key in destinations if (r := store.refusal(key)) is not None}
    probes = {key: store.probe_delivery(key) for key in refusals}
    return {
        d.id: HeldBack(refusals[d.destination], d.id == p.id, p.match_id)
        if (p := probes[d.destination])
        else HeldBack(refusals[d.destination], False)
        for d in deliveries
        if d.status == "pending" and d.destination in refusals
    }
