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
    holds it back; `carried` of them: more than one for a failed digest, whose matches all failed in one message),
    which is tried again, first, at `until`.
    `probe`: this delivery is one of those that failed, waiting for its own `next_attempt`."""

    failed: Delivery
    carried: int
    until: datetime
    probe: bool

    def says(self, now: datetime) -> str:
        """`waits for match 12 of webhook:desk, which failed (answered 503): the destination backs off until …,
        when that one is tried again first`; for a failed digest, `waits for the digest of 3 matches to
        email:daily (match 12 among them), which failed (…): …, when that digest is tried again first`. On the
        failed delivery itself, that it (or the digest carrying it) is tried again then."""
        d = self.failed
        answered, until = _answered(d), rfc3339(self.until)
        digest = f"the digest of {self.carried:,} matches" if self.carried > 1 else None
        if self.probe:
            this = f"{digest} carrying this one" if digest else "this one"
            return f"{d.destination} backs off after {this} failed {answered}: tried again at {until}, first"
        if digest:
            what, that = f"{digest} to {d.destination} (match {d.match_id} among them)", "that digest"
        else:
            what, that = f"match {d.match_id} of {d.destination}", "that one"
        return (
            f"waits for {what}, which failed {answered}: the destination backs off until {until}, when {that} is"
            " tried again first"
        )


def _answered(d: Delivery) -> str:
    """`(answered 503)`; for a failure with no answer to name (status `error`: a timeout, a refused connection, a
    password variable not set), its error, `(SMTP mail.example.org:587: ConnectionRefusedError: …)`: "answered
    error" would say the receiver answered."""
    if d.last_status == "error" and d.last_error:
        return f"({d.last_error})"
    return f"(answered {d.last_status})"


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
