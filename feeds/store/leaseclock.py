"""The clock leases are taken and judged by: the database's own, so that daemons whose clocks disagree agree on them.

A lease (`lease_until` of a watched feed, an alert delivery, a host's request slot) is written by one daemon and
judged live or run out by another. Stamped and judged by each daemon's own clock, a clock two minutes slow wrote
leases that the others saw run out two minutes early (and a daemon whose clock ran ahead saw every other lease run
out early): two daemons polled one feed, or took one host slot, at once. So on PostgreSQL both happen by the
server's clock, in the statement itself: `statement_timestamp()` (the same instant for every row one statement
touches, read afresh by each statement, unlike `now()`, which a long transaction would leave behind). No daemon's
clock enters into it, and no extra round trip is made: the time is read where it is used.

On SQLite every process is on one machine and reads the same clock, so the caller's `now` (the App's clock, which
tests move on) is as good, and is bound as it always was. One construct, `lease_clock(now, ahead)`, stands for
"the lease clock's now, `ahead` later" in both: store code builds one statement for both databases.

What this module must not do: decide what is leased or for how long (the store modules that take leases do).
Schedules (`next_check`, `next_attempt`) stay on the App's clock: tests control them, and a clock that is off
moves a schedule by as much, never makes one piece of work run twice at once (see README, "Running on several
machines").
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.functions import FunctionElement

from feeds.store.schema import UTCDateTime


class lease_clock(FunctionElement[datetime]):  # (lower case: an SQL function, named as SQLAlchemy's are)
    """The lease clock's time now, `ahead` later (a lease's end, a horizon). Compiled per database: PostgreSQL's
    `statement_timestamp() + ahead`, SQLite's `now + ahead` bound as a value."""

    type = UTCDateTime()
    inherit_cache = True
    name = "lease_clock"

    def __init__(self, now: datetime | None = None, ahead: timedelta = timedelta(0), *, name: str | None = None):
        """The time `now` (then `ahead` is bound with it), or, given `name` instead, two parameters named after it
        and left unbound, for a statement built once and run with `clock_values(name, now, ahead)`."""
        if name is not None:
            at = sa.bindparam(f"{name}_at", type_=UTCDateTime())
            offset = sa.bindparam(f"{name}_ahead", type_=sa.Interval())
        elif now is not None:
            at, offset = (
                sa.bindparam(None, now + ahead, type_=UTCDateTime()),
                sa.bindparam(None, ahead, type_=sa.Interval()),
            )
        else:
            raise TypeError("lease_clock: a time, or the name of its parameters")
        super().__init__(at, offset)


def clock_values(name: str, now: datetime, ahead: timedelta = timedelta(0)) -> dict[str, Any]:
    """The parameters of `lease_clock(…, name=name)` standing for the lease clock's now, `ahead` later."""
    return {f"{name}_at": now + ahead, f"{name}_ahead": ahead}


@compiles(lease_clock)
def _bound(element: lease_clock, compiler: Any, **kw: Any) -> str:
    """SQLite (and any database on one machine): the caller's clock, bound as a value."""
    at, _ = element.clauses
    return str(compiler.process(at, **kw))


@compiles(lease_clock, "postgresql")
def _server(element: lease_clock, compiler: Any, **kw: Any) -> str:
    """PostgreSQL: the server's clock as this statement began, plus `ahead` (an interval)."""
    _, offset = element.clauses
    return f"(statement_timestamp() + {compiler.process(offset, **kw)})"
