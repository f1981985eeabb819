"""Store operations of a destination that refuses everything (a webhook answering 401/403/404/410): its back-off,
kept with the destination in `alert_destinations` (migration 25) so that every daemon sharing the store, and the
next one started, holds off it alike (`feeds.alerts.refusals` says what is done with it; `claim_deliveries`
gives none of its deliveries before `Refusal.probe_at`).

What this module must not do: choose the back-off (the caller passes `wait`), or speak HTTP.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from feeds.store.alerts import DELIVERY_COLUMNS, Delivery, delivery_from
from feeds.store.alerts import alert_deliveries as AD
from feeds.store.alerts import alert_destinations as AX
from feeds.store.deliverylog import fail_pending
from feeds.store.tx import lease_free, writing


@dataclass(frozen=True, slots=True)
class Refusal:
    """A destination that refuses everything (a webhook answering 401/403/404/410: a revoked token, a deleted
    hook), kept in `alert_destinations` so that every daemon sharing the store, and the next one started, holds
    off it until `probe_at` (`claim_deliveries` gives none of its deliveries before then)."""

    destination: str
    status: str
    """The last refusal's answer (`401`)."""
    since: datetime
    """When it first refused, of this run of refusals."""
    refusals: int
    """How many tries in a row it refused: the step of its back-off."""
    probe_at: datetime
    """When one of its deliveries is tried again."""


class RefusalStoreMixin:
    """Destinations refusing everything; mixed into `feeds.store.Store`, which provides `engine`."""

    engine: sa.Engine

    def refusal(self, destination: str) -> Refusal | None:
        """The refusal `destination` is in (None: it accepts, as far as we know)."""
        q = sa.select(AX).where(AX.c.destination == destination, AX.c.refused_status.is_not(None))
        with self.engine.connect() as conn:
            row = conn.execute(q).first()
        return None if row is None else _refusal_from(row)

    def probe_delivery(self, destination: str) -> Delivery | None:
        """The pending delivery of `destination` tried first at its next probe: the first that `claim_deliveries`
        takes (most attempts, then the earliest due, then the oldest); None: none pending."""
        q = (
            sa.select(*DELIVERY_COLUMNS)
            .where(AD.c.destination == destination, AD.c.status == "pending")
            .order_by(AD.c.attempts.desc(), AD.c.next_attempt, AD.c.id)
            .limit(1)
        )
        with self.engine.connect() as conn:
            row = conn.execute(q).first()
        return None if row is None else delivery_from(row)

    def record_refusal(
        self, destination: str, status: str, now: datetime, *, wait: Callable[[int], timedelta]
    ) -> Refusal:
        """Count one more refusal of everything by `destination` (answered `status` at `now`) and hold it off until
        `now + wait(refusals so far)`; in one transaction, so two daemons never count the same step twice."""
        with writing(self.engine) as conn:
            q = sa.select(AX).where(AX.c.destination == destination)
            if conn.dialect.name == "postgresql":
                q = q.with_for_update()
            row = conn.execute(q).first()
            before = None if row is None or row.refused_status is None else _refusal_from(row)
            refusals = 1 if before is None else before.refusals + 1
            since = now if before is None else before.since
            probe_at = now + wait(refusals)
            values = {"refused_status": status, "refused_since": since, "refusals": refusals, "probe_at": probe_at}
            if row is None:  # (registered at every run: only a destination registered by hand lacks its row)
                conn.execute(AX.insert().values(destination=destination, registered_at=now, **values))
            else:
                conn.execute(AX.update().where(AX.c.destination == destination).values(**values))
        return Refusal(destination, status, since, refusals, probe_at)

    def clear_refusal(self, destination: str, *, due: datetime | None = None) -> Refusal | None:
        """Forget that `destination` refuses everything (it accepted a message, or an operator says to try it now):
        its deliveries are due again, and its next refusal starts the back-off afresh. With `due`, the delivery
        that was to be tried at the end of the back-off (`probe_at`) is due then instead. The refusal it was in."""
        before = self.refusal(destination)
        if before is None:
            return None
        cleared = {"refused_status": None, "refused_since": None, "refusals": None, "probe_at": None}
        with writing(self.engine) as conn:
            conn.execute(AX.update().where(AX.c.destination == destination).values(**cleared))
            if due is not None:
                probe = sa.and_(
                    AD.c.destination == destination, AD.c.status == "pending", AD.c.next_attempt == before.probe_at
                )
                conn.execute(AD.update().where(probe).values(next_attempt=due))
        return before

    def give_up_refused(self, destination: str, now: datetime, *, queued_before: datetime, error: str) -> int:
        """Fail the pending deliveries of `destination`, while it refuses everything, queued before
        `queued_before` (waiting as long as the retry policy tries a delivery: nothing waits for ever), with
        `error`; not one leased by a runner sending it now. How many."""
        refusing = sa.select(AX.c.destination).where(AX.c.destination == destination, AX.c.refused_status.is_not(None))
        where = [
            AD.c.destination == destination,
            AD.c.status == "pending",
            AD.c.queued_at < queued_before,
            sa.exists(refusing),
            lease_free(AD, now, timedelta(0)),
        ]
        return fail_pending(self.engine, where, error)


def _refusal_from(row: Any) -> Refusal:
    m = row._mapping
    return Refusal(m["destination"], m["refused_status"], m["refused_since"], m["refusals"] or 0, m["probe_at"])
