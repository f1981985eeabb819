"""Time passing for leases, in tests that must not sleep (`feeds.store.leaseclock`).

On SQLite the lease clock is the `now` a test passes: a later `now` is a later lease clock, as it always was. On
PostgreSQL leases are taken and judged by the server's own clock, which no test moves: time passing for them is
every lease ending that much sooner (`lease_until` moved back), which is what the server would see once that much
time had passed. A test moving its injected clock on by `by` calls `leases_age(store, by)` too, and runs the same
on both databases."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa

LEASED_TABLES = ("watched_feeds", "alert_deliveries", "host_slots")


def leases_age(store, by: timedelta) -> None:
    """`by` passes for the leases of `store`'s database (nothing on SQLite: the test's later `now` does it)."""
    if store.engine.dialect.name != "postgresql":
        return
    with store.engine.begin() as conn:
        for table in LEASED_TABLES:
            conn.execute(
                sa.text(f"UPDATE {table} SET lease_until = lease_until - :by WHERE lease_until IS NOT NULL"), {"by": by}
            )


def server_clock(store):
    """The PostgreSQL server's clock now."""
    with store.engine.connect() as conn:
        return conn.execute(sa.text("SELECT clock_timestamp()")).scalar_one()
