"""Store operations of the alerts stage: the delivery log, one row per (destination, match).

A delivery is queued once (UNIQUE(destination, match_id) plus `ON CONFLICT DO NOTHING`, so two daemons enqueueing
the same match cannot both succeed), then *claimed* by whoever sends it — a lease set in the same transaction that
selects due rows (`FOR UPDATE SKIP LOCKED` on PostgreSQL, the write lock of BEGIN IMMEDIATE on SQLite), exactly like
watched feeds. A sender that dies mid-send leaves a lease that expires; the delivery is then sent again with the same
idempotency key, so the receiver can recognise it (at-least-once delivery, exactly-once for a receiver that keeps
the keys). `alert_destinations` remembers when each destination was first seen, so a newly configured destination
receives matches found from then on rather than the whole history.

Reading the log and tending it (cancelling, retrying) is `feeds.store.deliverylog`; a destination refusing everything,
`feeds.store.refusals`.

What this module must not do: decide what to send or when (that is `feeds.alerts.select`, pure), or speak HTTP/SMTP.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from types import SimpleNamespace
from typing import Any, Literal

import sqlalchemy as sa

from feeds.model import MatchKind, StoredMatch
from feeds.store.bulk import insert_ignoring_conflicts
from feeds.store.items import ITEM_COLUMNS
from feeds.store.leaseclock import lease_clock
from feeds.store.rows import record_from
from feeds.store.schema import UTCDateTime, metadata
from feeds.store.schema import items as I
from feeds.store.schema import matches as M
from feeds.store.schema import watched_feeds as WF
from feeds.store.tx import again_if_session_lost, lease_free, release_leases, renew_leases, writing
from feeds.watch.schedule import CLOCK_TOLERANCE

ATTEMPT_HORIZON = timedelta(days=8)
"""The furthest ahead a delivery is set (a weekly digest's boundary; a retry's back-off or Retry-After, capped at
7 days): one further ahead was set by a clock since stepped back, and is due now rather than when the clock
catches up with it."""

# --- tables (migration 3) ---

alert_destinations: sa.Table = sa.Table(
    "alert_destinations",
    metadata,
    sa.Column("destination", sa.Text, primary_key=True),
    sa.Column("registered_at", UTCDateTime, nullable=False),
    # Migration 24: while the destination refuses everything (`feeds.store.refusals`); all None while it accepts.
    sa.Column("refused_status", sa.Text),
    sa.Column("refused_since", UTCDateTime),
    sa.Column("refusals", sa.Integer),
    sa.Column("probe_at", UTCDateTime),
)

alert_deliveries: sa.Table = sa.Table(
    "alert_deliveries",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("destination", sa.Text, nullable=False),
    sa.Column("match_id", sa.Integer, sa.ForeignKey("matches.id", ondelete="CASCADE"), nullable=False),
    sa.Column("status", sa.Text, nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("queued_at", UTCDateTime, nullable=False),
    sa.Column("next_attempt", UTCDateTime),
    sa.Column("last_attempt", UTCDateTime),
    sa.Column("last_status", sa.Text),
    sa.Column("last_error", sa.Text),
    sa.Column("sent_at", UTCDateTime),
    sa.Column("idempotency_key", sa.Text, nullable=False, unique=True),
    sa.Column("lease_owner", sa.Text),
    sa.Column("lease_until", UTCDateTime),
    # Migration 29: an email the server took for some recipients, each one's answer (`RecipientAnswer`, JSON).
    sa.Column("recipients", sa.Text),
    sa.UniqueConstraint("destination", "match_id", name="uq_alert_deliveries_destination_match"),
    sa.Index("ix_alert_deliveries_due", "destination", "status", "next_attempt"),
)

AD = alert_deliveries
AX = alert_destinations

DeliveryStatus = Literal["pending", "sent", "failed", "cancelled"]
"""`cancelled`: never sent, and never will be, because its destination was taken out of the config (or renamed)
while it waited; `last_error` says so."""


@dataclass(frozen=True, slots=True)
class RecipientAnswer:
    """What the mail server last answered for one recipient of an email delivery: `250`, or its refusal with its
    text (`451 4.7.1 Greylisted`)."""

    address: str
    reply: str

    @property
    def state(self) -> Literal["sent", "waiting", "refused"]:
        """`sent` (2xx), `refused` (a 5xx: for good, never again) or `waiting` (a 4xx, refused for now, or a
        message that failed whole: tried again)."""
        return "sent" if self.reply[:1] == "2" else "refused" if self.reply[:1] == "5" else "waiting"


@dataclass(frozen=True, slots=True)
class Delivery:
    """One row of the delivery log: a match on its way to (or delivered to, or given up on for) one destination."""

    id: int
    destination: str
    """`webhook:<name>` or `email:<name>`."""
    match_id: int
    status: DeliveryStatus
    attempts: int
    queued_at: datetime
    next_attempt: datetime | None
    """When a pending delivery is due (a digest's period boundary, or the end of a back-off); None once settled."""
    last_attempt: datetime | None
    last_status: str | None
    """The HTTP status or SMTP reply of the last attempt (`200`, `500`, `error`…)."""
    last_error: str | None
    sent_at: datetime | None
    idempotency_key: str
    recipients: tuple[RecipientAnswer, ...] = ()
    """An email the server took for some of its recipients: each one's last answer, in the order tried (only
    those `waiting` are sent it again). Empty until the server took it for one: a message nobody received is
    retried whole."""


@dataclass(frozen=True, slots=True)
class Candidate:
    """A match not yet queued for a destination: just what selection and the idempotency key need."""

    match_id: int
    kind: MatchKind
    subject: str
    feed_id: int
    item_key: str
    found_at: datetime
    link: str | None = None
    guid: str | None = None


@dataclass(frozen=True, slots=True)
class NewDelivery:
    match_id: int
    idempotency_key: str
    next_attempt: datetime


@dataclass(frozen=True, slots=True)
class DueDelivery:
    """A claimed delivery with its match, ready to render and send."""

    delivery: Delivery
    match: StoredMatch


@dataclass(frozen=True, slots=True)
class AttemptRecord:
    """What one send attempt did to one delivery (computed by `feeds.alerts.select.after_attempt`)."""

    delivery_id: int
    status: DeliveryStatus
    attempts: int
    next_attempt: datetime | None
    last_status: str
    last_error: str | None
    sent_at: datetime | None
    recipients: tuple[RecipientAnswer, ...] = ()
    """The delivery's recipients after the attempt (`Delivery.recipients`); empty for any other."""


def delivery_from(row: Any) -> Delivery:
    stored = row._mapping["recipients"]
    answers = tuple(RecipientAnswer(a, r) for a, r in json.loads(stored).items()) if stored else ()
    return record_from(Delivery, row, recipients=answers)


def _recipients_json(answers: Sequence[RecipientAnswer]) -> str | None:
    return json.dumps({r.address: r.reply for r in answers}) if answers else None


DELIVERY_COLUMNS = tuple(c for c in AD.c if c.name not in ("lease_owner", "lease_until"))


class AlertStoreMixin:
    """Alert deliveries; mixed into `feeds.store.Store`, which provides `engine`."""

    engine: sa.Engine

    # --- destinations ---

    def known_destinations(self) -> list[str]:
        """Every destination key ever registered (configured now or once), sorted."""
        with self.engine.connect() as conn:
            return [row[0] for row in conn.execute(sa.select(AX.c.destination).order_by(AX.c.destination))]

    def register_destinations(self, destinations: Iterable[str], now: datetime) -> dict[str, datetime]:
        """Remember destinations seen for the first time (at `now`); return when each was first seen."""
        wanted = sorted(set(destinations))
        if not wanted:
            return {}
        with writing(self.engine) as conn:
            conn.execute(
                insert_ignoring_conflicts(conn.dialect, AX), [{"destination": d, "registered_at": now} for d in wanted]
            )
            rows = conn.execute(sa.select(AX.c.destination, AX.c.registered_at).where(AX.c.destination.in_(wanted)))
            return {d: at for d, at in rows}

    # --- queueing ---

    def unqueued_matches(self, destination: str, *, since: datetime, limit: int | None = None) -> list[Candidate]:
        """Matches found at or after `since` that have no delivery row for `destination` yet, oldest first.

        Not the keyword matches a new or changed rule found among items stored before it (`watch.retro`): found
        later than their item was stored or last changed, where a poll finds an item's matches as it stores it.
        A rule added from the CLI would otherwise alert a month of stored items at once. (Coverage found among
        stored items for a release ingested after them is news of it, and is alerted.) Nor the `quiet` ones: the
        coverage found among stored items when the related settings changed (a lower `min_score` finds items
        stored days ago; a bar raised and lowered back finds again coverage alerted already)."""
        queued = sa.select(AD.c.id).where(AD.c.destination == destination, AD.c.match_id == M.c.id)
        arrived = M.c.found_at <= sa.func.coalesce(I.c.changed_at, I.c.first_seen)
        q = (
            sa.select(M.c.id, M.c.kind, M.c.subject, I.c.feed_id, I.c.key, M.c.found_at, I.c.link, I.c.guid)
            .join(I, I.c.id == M.c.item_id)
            .where(
                M.c.found_at >= since,
                ~sa.exists(queued),
                sa.or_(M.c.kind != "keyword", arrived),
                M.c.quiet.is_not(True),
                M.c.dismissed_at.is_(None),  # (dismissed by a press officer: `feeds.store.curation`)
            )
            .order_by(M.c.found_at, M.c.id)
        )
        if limit is not None:
            q = q.limit(limit)
        with self.engine.connect() as conn:
            return [Candidate(*row) for row in conn.execute(q)]

    def last_sent_at(self, destination: str) -> datetime | None:
        """When a message to `destination` was last sent (None: never): where its next digest begins."""
        q = sa.select(sa.func.max(AD.c.sent_at)).where(AD.c.destination == destination, AD.c.status == "sent")
        with self.engine.connect() as conn:
            last: datetime | None = conn.execute(q).scalar()
        return last

    def enqueue_deliveries(self, destination: str, rows: Sequence[NewDelivery], now: datetime) -> int:
        """Queue deliveries, ignoring ones queued already (by anyone); return how many were new."""
        if not rows:
            return 0
        values = [
            {
                "destination": destination,
                "match_id": r.match_id,
                "status": "pending",
                "attempts": 0,
                "queued_at": now,
                "next_attempt": r.next_attempt,
                "idempotency_key": r.idempotency_key,
            }
            for r in rows
        ]
        with writing(self.engine) as conn:
            # Count what this statement inserted, not the table before and after (another daemon may be queueing).
            return len(conn.execute(insert_ignoring_conflicts(conn.dialect, AD).returning(AD.c.id), values).all())

    # --- sending ---

    def claim_deliveries(
        self, destination: str, now: datetime, *, limit: int, owner: str, lease: timedelta
    ) -> list[DueDelivery]:
        """Take up to `limit` pending deliveries of `destination` that are due and not leased, with their matches.

        None while the destination is backing off: a delivery of it that failed is not due again yet (its back-off,
        or the receiver's Retry-After), or it refuses everything and is not to be tried again yet
        (`feeds.store.refusals`). The back-off belongs to the receiver, not to one message: otherwise each run
        would try the next message on a receiver that asked to be left alone."""
        order = (AD.c.attempts.desc(), AD.c.next_attempt, AD.c.id)  # a retried message before those after it
        q = sa.select(AD.c.id).where(_due(destination, now, lease)).order_by(*order).limit(limit)
        with self.engine.connect() as conn:
            conn.execution_options(immediate=True)
            with conn.begin():
                ids = _lease(conn, q, now, owner=owner, lease=lease)
                if not ids:
                    return []
                rows = conn.execute(_due_rows(ids).order_by(*order)).all()
        return [DueDelivery(delivery_from(r), _match_from(r)) for r in rows]

    def claim_digest(
        self, destination: str, now: datetime, *, listed: int, owner: str, lease: timedelta
    ) -> tuple[list[DueDelivery], list[Delivery]]:
        """Take every due, unleased delivery of `destination` in one transaction, as `claim_deliveries` takes some:
        a digest is one message, however many matches it carries. The `listed` newest matches (last found first)
        come with their matches, to be shown; the others as their log rows, to be counted and recorded."""
        order = (M.c.found_at.desc(), M.c.id.desc())
        q = sa.select(AD.c.id).join(M, M.c.id == AD.c.match_id).where(_due(destination, now, lease)).order_by(*order)
        with self.engine.connect() as conn:
            conn.execution_options(immediate=True)
            with conn.begin():
                ids = _lease(conn, q, now, owner=owner, lease=lease)
                shown = conn.execute(_due_rows(ids[:listed]).order_by(*order)).all() if ids else []
                rest = [
                    delivery_from(r)
                    for chunk in _chunks(ids[listed:])
                    for r in conn.execute(sa.select(*DELIVERY_COLUMNS).where(AD.c.id.in_(chunk)))
                ]
        return [DueDelivery(delivery_from(r), _match_from(r)) for r in shown], rest

    def record_attempts(self, records: Sequence[AttemptRecord], now: datetime, *, owner: str) -> None:
        """Save the outcome of send attempts and release their leases (only rows still leased by `owner`). Written
        again on a new connection when the session was lost (`again_if_session_lost`): left leased, a message
        the receiver took was sent again once the lease ran out."""
        if not records:
            return

        def write() -> None:
            with writing(self.engine) as conn:
                for r in records:
                    conn.execute(
                        AD.update()
                        .where(AD.c.id == r.delivery_id, AD.c.lease_owner == owner)
                        .values(
                            status=r.status,
                            attempts=r.attempts,
                            next_attempt=r.next_attempt,
                            last_attempt=now,
                            last_status=r.last_status,
                            last_error=r.last_error,
                            sent_at=r.sent_at,
                            recipients=_recipients_json(r.recipients),
                            lease_owner=None,
                            lease_until=None,
                        )
                    )

        again_if_session_lost(self.engine, f"recording {len(records)} alert delivery attempt(s)", write)

    def renew_deliveries(self, ids: Iterable[int], now: datetime, *, owner: str, lease: timedelta) -> set[int]:
        """Hold claimed deliveries for another `lease` from `now` (a run sending to a slow receiver outlasts the lease
        it claimed under): the ids still leased by `owner`, the others having been taken by another runner since."""
        return renew_leases(self.engine, AD, ids, owner=owner, now=now, lease=lease)

    def release_deliveries(self, ids: Iterable[int], *, owner: str) -> None:
        """Give back claimed deliveries that were not attempted (their destination failed earlier in the run)."""
        release_leases(self.engine, AD, ids, owner=owner)


def _due(destination: str, now: datetime, lease: timedelta) -> Any:
    """Pending deliveries of `destination` that are due and not leased, unless the destination is backing off: a
    delivery of it that failed is not due again yet (its back-off, or the receiver's Retry-After). The back-off
    belongs to the receiver, not to one message: otherwise each run would try the next message on a receiver that
    asked to be left alone."""
    failed = sa.alias(AD, "failed")
    backing_off = sa.select(failed.c.id).where(holding_back(failed, destination, now)).exists()
    return sa.and_(
        AD.c.destination == destination,
        AD.c.status == "pending",
        sa.or_(AD.c.next_attempt <= now, AD.c.next_attempt > now + ATTEMPT_HORIZON, stepped_back(AD, now)),
        lease_free(AD, now, lease),
        ~backing_off,
        ~_refusing(destination, now),
    )


def holding_back(table: Any, destination: str, now: datetime) -> Any:
    """The pending deliveries of `destination` (in `table`, `alert_deliveries` or an alias of it) that failed and are
    not due again yet: while there is one, the destination backs off and none of its deliveries is due (`_due`).
    One due further ahead than `ATTEMPT_HORIZON` was set by a clock since stepped back, and holds nothing; nor one
    that the mail server took for some of its recipients (`recipients`): it is up, and waits for one mailbox."""
    return sa.and_(
        table.c.destination == destination,
        table.c.recipients.is_(None),
        table.c.status == "pending",
        table.c.attempts > 0,
        table.c.next_attempt > now,
        table.c.next_attempt <= now + ATTEMPT_HORIZON,
        ~stepped_back(table, now),
    )


def stepped_back(table: Any, now: datetime) -> Any:
    """The deliveries of `table` last attempted ahead of the clock (by more than `CLOCK_TOLERANCE`): their retry
    was set by a clock since stepped back, and is due now rather than after the step's length (an hour's step held
    a failed webhook, and every new match of its destination, for the hour and its 5-minute back-off)."""
    return sa.and_(table.c.last_attempt.is_not(None), table.c.last_attempt > now + CLOCK_TOLERANCE)


def _refusing(destination: str, now: datetime) -> Any:
    """`destination` refuses everything and is not to be tried again yet (`feeds.store.refusals.Refusal.probe_at`;
    one further ahead than `ATTEMPT_HORIZON` was set by a clock since stepped back, and is ignored)."""
    return (
        sa.select(AX.c.destination)
        .where(AX.c.destination == destination, AX.c.refused_status.is_not(None))
        .where(AX.c.probe_at > now, AX.c.probe_at <= now + ATTEMPT_HORIZON)
        .exists()
    )


def _lease(conn: sa.Connection, q: Any, now: datetime, *, owner: str, lease: timedelta) -> list[int]:
    """The ids `q` selects, leased to `owner` (in the caller's transaction; rows others lock are skipped)."""
    if conn.dialect.name == "postgresql":
        q = q.with_for_update(of=AD, skip_locked=True)
    ids = [row[0] for row in conn.execute(q)]
    until = lease_clock(now, lease)  # (the database's clock on PostgreSQL: `feeds.store.leaseclock`)
    for chunk in _chunks(ids):
        conn.execute(AD.update().where(AD.c.id.in_(chunk)).values(lease_owner=owner, lease_until=until))
    return ids


def _due_rows(ids: Sequence[int]) -> Any:
    """The deliveries `ids` with their matches, items and feeds (`ids`: at most a claim's worth)."""
    return (
        sa.select(*DELIVERY_COLUMNS, *_match_columns())
        .join(M, M.c.id == AD.c.match_id)
        .join(I, I.c.id == M.c.item_id)
        .join(WF, WF.c.id == I.c.feed_id)
        .where(AD.c.id.in_(ids))
    )


def _chunks(ids: Sequence[int], size: int = 500) -> Iterator[Sequence[int]]:
    """`ids` a few hundred at a time: a database takes only so many bound parameters in one statement."""
    for i in range(0, len(ids), size):
        yield ids[i : i + size]


def _match_columns() -> tuple[Any, ...]:
    return (
        M.c.id.label("m_id"),
        M.c.kind.label("m_kind"),
        M.c.subject.label("m_subject"),
        M.c.terms.label("m_terms"),
        M.c.score.label("m_score"),
        M.c.why.label("m_why"),
        M.c.found_at.label("m_found_at"),
        M.c.delay_s.label("m_delay_s"),
        *(c.label(f"i_{c.name}") if c.name == "id" else c for c in ITEM_COLUMNS),
    )


def _match_from(row: Any) -> StoredMatch:
    from feeds.store.items import stored_item_from
    from feeds.store.matches import stored_match_from

    m = row._mapping
    item_row = SimpleNamespace(_mapping={**m, "id": m["i_id"]})  # the item's id, not the delivery's
    return stored_match_from(m, stored_item_from(item_row), prefix="m_", id_key="m_id")
