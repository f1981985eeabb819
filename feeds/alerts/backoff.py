"""Why a pending delivery waits although its own `next_attempt` has passed, for `feeds alerts log`.

After a failure that is retried (a 5xx, a timeout, no answer, 408, 425 or 429) the destination backs off as a
whole, not only the message that failed: until that one is due again, none of its deliveries is claimed
(`feeds.store.alerts._due`), and then the failed one goes first (`claim_deliveries` takes the most attempts
first). A delivery queued meanwhile is due by its own `next_attempt`, yet waits for the failed one: `BackingOff`
says which, and when it is tried. A destination refusing everything (401/403/404/410) is held back differently,
as a whole until its next probe (`feeds.alerts.refusals.HeldBack`); `waiting` gives either.

What this module must not do: send anything, or decide the back-off (`feeds.alerts.select.after_attempt`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from feeds.alerts.refusals import HeldBack, held_back
from feeds.clock import rfc3339
from feeds.store.alerts import ATTEMPT_HORIZON, Delivery

if TYPE_CHECKING:
    from feeds.store import Store


@dataclass(frozen=True, slots=True)
class BackingOff:
    """A pending delivery of a destination backing off after `failed` (the first of the deliveries whose failure
    holds it back; `carried` of them: more than one for a failed digest), which is tried again, first, at `until`.
    `probe`: this delivery is one of those that failed, waiting for its own `next_attempt`."""

    failed: Delivery
    carried: int
    until: datetime
    probe: bool

    def says(self, now: datetime) -> str:
        """`waits for match 12 of webhook:desk, which failed (answered 503): the destination backs off until …,
        when that one is tried again first`; on the failed delivery itself, that it is tried again then."""
        d = self.failed
        answered, until = f"(answered {d.last_status})", rfc3339(self.until)
        if self.probe:
            return f"{d.destination} backs off after this one failed {answered}: tried again at {until}, first"
        what = (
            f"match {d.match_id}"
            if self.carried == 1
            else f"the digest of match {d.match_id} and {self.carried - 1} more"
        )
        return (
            f"waits for {what} of {d.destination}, which failed {answered}: the destination backs off until"
            f" {until}, when that one is tried again first"
        )


def waiting(store: Store, deliveries: Sequence[Delivery], now: datetime) -> dict[int, HeldBack | BackingOff]:
    """The pending deliveries among `deliveries` that wait for something other than their own `next_attempt`, by
    id: behind a destination refusing everything (`held_back`), or behind a failed delivery of their destination
    (one look-up per destination). One due after the back-off ends by its own time (a digest's hour) waits for
    that, and is left out."""
    found: dict[int, HeldBack | BackingOff] = dict(held_back(store, deliveries))
    pending = [d for d in deliveries if d.status == "pending" and d.id not in found]
    for key in sorted({d.destination for d in pending}):
        failed = store.backing_off(key, now)
        if not failed:
            continue
        until = max(f.next_attempt for f in failed if f.next_attempt is not None)
        ids = {f.id for f in failed}
        for d in pending:
            due = d.next_attempt
            held = d.id in ids or due is None or due <= until or due > now + ATTEMPT_HORIZON
            if d.destination == key and held:
                found[d.id] = BackingOff(failed[0], len(failed), until, d.id in ids)
    return found
