"""Store operations on the delivery log once written: reading it (`feeds alerts log`, `feeds status`, the back-off
a destination is in) and an operator's or the config's say over it (cancelling the deliveries of a destination no
longer configured, putting failed or cancelled ones back in the queue).

The sending side (the tables, queueing, claiming, recording each attempt) is `feeds.store.alerts`: nothing here
claims a delivery or records an attempt.

What this module must not do: send anything, or decide what a log line says (`feeds.alerts.backoff`,
`feeds.cli.alerts`).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

import sqlalchemy as sa

from feeds.articles import item_article
from feeds.store.alerts import DELIVERY_COLUMNS, Delivery, DeliveryStatus, delivery_from, holding_back
from feeds.store.alerts import alert_deliveries as AD
from feeds.store.schema import items as I
from feeds.store.schema import matches as M
from feeds.store.tx import lease_free, writing


class DeliveryLogStoreMixin:
    """The delivery log read and tended; mixed into `feeds.store.Store`, which provides `engine`."""

    engine: sa.Engine

    def deliveries(
        self,
        *,
        destination: str | None = None,
        status: DeliveryStatus | None = None,
        match_id: int | None = None,
        limit: int | None = None,
    ) -> list[Delivery]:
        """The delivery log, newest first (failed deliveries stay listed)."""
        q = sa.select(*DELIVERY_COLUMNS)
        if destination is not None:
            q = q.where(AD.c.destination == destination)
        if status is not None:
            q = q.where(AD.c.status == status)
        if match_id is not None:
            q = q.where(AD.c.match_id == match_id)
        q = q.order_by(AD.c.queued_at.desc(), AD.c.id.desc())
        if limit is not None:
            q = q.limit(limit)
        with self.engine.connect() as conn:
            return [delivery_from(r) for r in conn.execute(q)]

    def backing_off(self, destination: str, now: datetime) -> list[Delivery]:
        """The deliveries of `destination` whose failure holds it back at `now` (none: it is not backing off), in
        the order `claim_deliveries` takes them once due: a digest's are one message, retried together."""
        q = sa.select(*DELIVERY_COLUMNS).where(holding_back(AD, destination, now))
        with self.engine.connect() as conn:
            rows = conn.execute(q.order_by(AD.c.attempts.desc(), AD.c.next_attempt, AD.c.id))
            return [delivery_from(r) for r in rows]

    def end_back_off(self, destination: str, now: datetime) -> list[Delivery]:
        """Make the deliveries whose failure holds `destination` back (`backing_off`) due at `now`, their attempts
        kept: an operator who says to retry has most likely mended the receiver, and it is tried at the next run,
        not at the end of a back-off (or a Retry-After) that may be days away. Returns them as they were."""
        held = self.backing_off(destination, now)
        if held:
            with writing(self.engine) as conn:
                conn.execute(AD.update().where(AD.c.id.in_([d.id for d in held])).values(next_attempt=now))
        return held

    def end_recipient_waits(self, destination: str, now: datetime) -> list[Delivery]:
        """Make the pending email deliveries of `destination` that some recipients have and others wait for
        (`Delivery.recipients`) due at `now`, their attempts kept: an operator who says to retry has most likely
        emptied the full mailbox. Returns them as they were."""
        where = [
            AD.c.destination == destination,
            AD.c.status == "pending",
            AD.c.recipients.is_not(None),
            AD.c.next_attempt > now,
        ]
        with self.engine.connect() as conn:
            held = [delivery_from(r) for r in conn.execute(sa.select(*DELIVERY_COLUMNS).where(*where))]
        if held:
            with writing(self.engine) as conn:
                conn.execute(AD.update().where(AD.c.id.in_([d.id for d in held])).values(next_attempt=now))
        return held

    def give_up_waiting(self, destination: str, now: datetime, *, due_before: datetime, error: str) -> int:
        """Fail the pending deliveries of `destination` due before `due_before` (waiting behind its back-off for as
        long as the retry policy tries a delivery), with `error`; not one leased (by a runner sending it, or by
        this run, which gives its batch back after the failure). How many."""
        where = [
            AD.c.destination == destination,
            AD.c.status == "pending",
            AD.c.next_attempt < due_before,
            lease_free(AD, now, timedelta(0)),
        ]
        return fail_pending(self.engine, where, error)

    def queued_articles(self, destination: str, *, since: datetime) -> set[tuple[str, str, str]]:
        """(kind, subject, article: `feeds.articles.item_article`) of the matches queued for `destination` at or
        after `since`, whatever became of them: a copy of one of those articles (the same story in another feed,
        or with other tracking parameters) is not alerted again."""
        q = (
            sa.select(M.c.kind, M.c.subject, I.c.feed_id, I.c.key, I.c.link, I.c.guid)
            .select_from(AD.join(M, M.c.id == AD.c.match_id).join(I, I.c.id == M.c.item_id))
            .where(AD.c.destination == destination, AD.c.queued_at >= since)
        )
        with self.engine.connect() as conn:
            return {(k, s, item_article(f, key, link, guid)) for k, s, f, key, link, guid in conn.execute(q)}

    def count_deliveries(self, *, status: DeliveryStatus | None = None, destination: str | None = None) -> int:
        q = sa.select(sa.func.count()).select_from(AD)
        if destination is not None:
            q = q.where(AD.c.destination == destination)
        if status is not None:
            q = q.where(AD.c.status == status)
        with self.engine.connect() as conn:
            return int(conn.execute(q).scalar_one())

    def cancel_deliveries(self, configured: Iterable[str], now: datetime, *, lease: timedelta) -> dict[str, int]:
        """Cancel the pending deliveries of every destination not in `configured` (taken out of the config, or
        renamed): nothing will send them, and left pending they would be listed as waiting for ever. Not one
        leased by a runner sending it now (a daemon still running the old config): the next call cancels it if it
        is still pending then. Returns how many were cancelled, by destination."""
        keep = sorted(set(configured))
        where = [AD.c.status == "pending", lease_free(AD, now, lease)]
        if keep:
            where.append(AD.c.destination.not_in(keep))
        with self.engine.connect() as conn:  # (a read first: no write lock taken at every run for nothing)
            if conn.execute(sa.select(AD.c.id).where(*where).limit(1)).first() is None:
                return {}
        reason = sa.literal("not sent: destination ") + AD.c.destination + sa.literal(" no longer configured")
        q = AD.update().where(*where).values(status="cancelled", next_attempt=None, last_error=reason)
        with writing(self.engine) as conn:
            rows = conn.execute(q.values(lease_owner=None, lease_until=None).returning(AD.c.destination)).all()
        found: dict[str, int] = {}
        for (destination,) in rows:
            found[destination] = found.get(destination, 0) + 1
        return found

    def retry_failed_deliveries(self, now: datetime, *, destination: str | None = None, cancelled: bool = False) -> int:
        """Put failed deliveries back in the queue, due now, with a fresh attempt count (an operator's decision);
        with `cancelled`, the cancelled ones instead (their destination is configured again)."""
        q = AD.update().where(AD.c.status == ("cancelled" if cancelled else "failed"))
        if destination is not None:
            q = q.where(AD.c.destination == destination)
        with writing(self.engine) as conn:
            result = conn.execute(q.values(status="pending", attempts=0, next_attempt=now, last_error=None))
        return int(result.rowcount or 0)


def fail_pending(engine: sa.Engine, where: list[sa.ColumnElement[bool]], error: str) -> int:
    """Fail the deliveries `where` selects, with `error`: how many. A read first, so that no write lock is taken
    at every failure (or every run) for nothing."""
    with engine.connect() as conn:
        if conn.execute(sa.select(AD.c.id).where(*where).limit(1)).first() is None:
            return 0
    q = AD.update().where(*where).values(status="failed", next_attempt=None, last_error=error)
    with writing(engine) as conn:
        return len(conn.execute(q.returning(AD.c.id)).all())
