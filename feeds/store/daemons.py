"""The daemons as `feeds status` shows them: each one's heartbeat and status, and the feed leases each holds.

One row per process that ever ran (a daemon or a `feeds run --once`), written by its own heartbeat; housekeeping
forgets those long silent.

What this module must not do: claim or renew leases (`feeds.store.claims`), or decide what a status says.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from feeds.store import schema
from feeds.store.leaseclock import lease_clock
from feeds.store.tx import writing


class DaemonStoreMixin:
    """`Store`'s reads and writes of `workers`, and the live leases per worker."""

    engine: sa.Engine

    def save_worker_status(self, worker: str, *, started: datetime, now: datetime, status: dict[str, Any]) -> None:
        t = schema.workers
        values = {"started_at": started, "heartbeat": now, "status": json.dumps(status, default=str, sort_keys=True)}
        with writing(self.engine) as conn:
            if not conn.execute(t.update().where(t.c.worker == worker).values(**values)).rowcount:
                conn.execute(t.insert().values(worker=worker, **values))

    def prune_workers(self, before: datetime) -> int:
        """Forget the daemons (and `feeds run --once` runs) last heard of before `before`: one row per process
        that ever ran, read whole by every `feeds status`, which shows only the last `WORKERS_SHOWN`."""
        t = schema.workers
        with writing(self.engine) as conn:
            return int(conn.execute(t.delete().where(t.c.heartbeat < before)).rowcount or 0)

    def worker_statuses(self, *, since: datetime) -> list[tuple[str, datetime, datetime, dict[str, Any]]]:
        """(worker, started, heartbeat, status) of daemons seen since `since`, newest heartbeat first."""
        t = schema.workers
        q = sa.select(t).where(t.c.heartbeat >= since).order_by(t.c.heartbeat.desc())
        with self.engine.connect() as conn:
            return [(r.worker, r.started_at, r.heartbeat, json.loads(r.status)) for r in conn.execute(q)]

    def database_clock(self, clock: Callable[[], datetime]) -> tuple[datetime, datetime, datetime] | None:
        """`clock` read just before and just after the PostgreSQL server's clock (`clock_timestamp()`: the instant it
        is read, not its transaction's start), with the server's between: (before, server, after), for a daemon to
        see how far its own clock is from the one leases are judged by (`feeds.daemon.clockskew`). The two local
        reads are taken on a connection already checked out, around the query alone: a wait for a connection from
        a busy pool (or a new one's handshake) is no part of the measure. None on SQLite, whose every process reads
        this machine's clock."""
        if self.engine.dialect.name != "postgresql":
            return None
        with self.engine.connect() as conn:
            before = clock()
            at = conn.execute(sa.text("SELECT clock_timestamp()")).scalar_one()
            after = clock()
            conn.rollback()
        return (before, at.astimezone(UTC), after) if isinstance(at, datetime) else None

    def leases(self, now: datetime) -> dict[str, int]:
        """Live feed leases per worker (by the lease clock: the database's on PostgreSQL)."""
        wf = schema.watched_feeds
        q = (
            sa.select(wf.c.lease_owner, sa.func.count())
            .where(wf.c.lease_owner.is_not(None), wf.c.lease_until > lease_clock(now))
            .group_by(wf.c.lease_owner)
        )
        with self.engine.connect() as conn:
            return {row[0]: int(row[1]) for row in conn.execute(q)}
