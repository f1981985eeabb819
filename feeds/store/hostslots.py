"""Host slots: `watch.per_host` fetches at once to one host across every daemon sharing the database.

Each host has `per_host` numbered slots (0 to per_host - 1). A fetch to the host holds one: a row (host, slot,
owner, until) of `host_slots`, taken by an `INSERT … ON CONFLICT DO UPDATE … WHERE` the row is free (absent, or
held until a time that has passed), which the database runs atomically whichever daemon asks: two daemons never
both take one slot, and a host never has more fetches under way than slots, however many daemons poll it.

The row is deleted when the fetch ends. A daemon killed mid-fetch cannot delete it: it frees itself at its
`until`, which its holder moves on while it fetches (`renew_host_slots`), so a dead daemon's slots come free
within one hold (`HttpSettings.longest_fetch`, the longest one fetch may take), without a coordinator of any
kind. A slot held until further ahead than any hold (taken while the clock ran ahead) counts as free too, as a
lease does (`feeds.store.tx.lease_free`).

Giving back and taking go in one transaction (`trade_host_slots`): a poll gives back the slot of the fetch that
just ended and takes one for the next in a single small write.
"""

from __future__ import annotations

import functools
import itertools
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa

from feeds.store.bulk import dialect_insert
from feeds.store.leaseclock import clock_values, lease_clock
from feeds.store.schema import host_slots as HS
from feeds.store.tx import lease_free, lease_free_bound, lease_free_values, writing

_GIVE_BACK = HS.delete().where(
    HS.c.host == sa.bindparam("h"), HS.c.slot == sa.bindparam("s"), HS.c.lease_owner == sa.bindparam("o")
)


@functools.lru_cache(maxsize=4)
def _take(dialect: str) -> Any:
    """INSERT the slots (each bound as h, s, o; held until `_held_values`' time), or take over the row of one that
    is free: one statement, run for all of them at once (SQLAlchemy's "insertmanyvalues": one INSERT of many rows),
    atomic on either database (on PostgreSQL a concurrent taker of the same row waits, then sees it held). It
    returns (host, slot) of each slot taken; one held is left out. Built once (the times are parameters): built per
    trade, with the times as values, it cost as much as the rest of the trade (~80 a first pass of 1,000 feeds)."""
    values: dict[str, Any] = {"host": sa.bindparam("h"), "slot": sa.bindparam("s")}
    values |= {"lease_owner": sa.bindparam("o"), "lease_until": lease_clock(name="until")}
    ins = dialect_insert(dialect, HS).values(**values)
    return ins.on_conflict_do_update(
        index_elements=[HS.c.host, HS.c.slot],
        set_={"lease_owner": ins.excluded.lease_owner, "lease_until": ins.excluded.lease_until},
        where=lease_free_bound(HS),
    ).returning(HS.c.host, HS.c.slot)  # (the rows back: taken; psycopg reports no rowcount for this statement)


def _held_values(now: datetime, hold: timedelta) -> dict[str, Any]:
    """The times `_take` and `_HELD` are run with: a slot is held until `hold` from now, and free by `lease_free`."""
    return clock_values("until", now, hold) | lease_free_values(now, hold)


_HELD = sa.select(HS.c.host, HS.c.slot).where(
    HS.c.host.in_(sa.bindparam("hosts", expanding=True)), sa.not_(lease_free_bound(HS))
)


def _free_slots(
    conn: sa.Connection, hosts: set[str], *, now: datetime, hold: timedelta, per_host: int
) -> dict[str, Iterator[int]]:
    """The slot numbers below `per_host` of each host that look free as this transaction reads them (no row, or
    one that ran out), lowest first, as they are asked for (`per_host` may be any whole number): one read, so
    that the take asks for the slots likely free, all at once. Another daemon may take one meanwhile (on
    PostgreSQL): the take itself, atomic, then finds it held, and that fetch waits to ask again."""
    held: dict[str, set[int]] = {host: set() for host in hosts}
    for host, slot in conn.execute(_HELD, {"hosts": sorted(hosts), **lease_free_values(now, hold)}):
        held[host].add(slot)
    return {host: itertools.filterfalse(taken.__contains__, range(per_host)) for host, taken in held.items()}


_TRIES = 3
_TRANSIENT = ("40P01", "40001")
"""PostgreSQL's deadlock_detected and serialization_failure: two daemons giving back and taking slots of the
same hosts at the same moment can each wait for a row the other has locked (one's deleted slot, the other's
new one); PostgreSQL then ends one transaction, which is simply run again."""


@contextmanager
def _writing_slots(engine: sa.Engine) -> Iterator[sa.Connection]:
    """`writing`, but on SQLite the commit does not wait for the disk (`synchronous=NORMAL` for this transaction,
    FULL again after it). Slots only matter while their fetches run: after a power cut, none is running, and a
    slot lost with the last commits is as free as it should be. WAL mode keeps the database whole either way,
    and the next durable commit takes these with it. Without this, a poll's ~80 takes per 1,000 feeds each waited
    for an fsync in the main thread: the 304 pass of bench_poll took ~0.5 s longer."""
    if engine.dialect.name != "sqlite":
        with writing(engine) as conn:
            yield conn
        return
    with engine.connect() as conn:
        raw: Any = conn.connection.dbapi_connection
        raw.execute("PRAGMA synchronous=NORMAL")  # (outside any transaction: the driver is in autocommit mode)
        try:
            conn.execution_options(immediate=True)
            with conn.begin():
                yield conn
        finally:
            try:
                raw.execute("PRAGMA synchronous=FULL")
            except Exception:
                conn.invalidate()  # (never back into the pool with commits that do not wait for the disk)
                raise


@dataclass(frozen=True, slots=True)
class HostSlot:
    """One row of `host_slots`: slot `slot` of `host`, taken by `owner` (a `host:pid`) until `until` (by the lease
    clock: the database's on PostgreSQL), and whether it is `held` still, as the database judged it (not run out,
    nor further ahead than any hold: see the module docstring)."""

    host: str
    slot: int
    owner: str
    until: datetime
    held: bool


class HostSlotStoreMixin:
    engine: sa.Engine

    def trade_host_slots(
        self,
        give_back: Sequence[tuple[str, int]],
        want: Sequence[str],
        *,
        now: datetime,
        owner: str,
        hold: timedelta,
        per_host: int,
    ) -> list[int | None]:
        """Give back these (host, slot) that `owner` holds (those someone else holds by now are left alone), then
        take a slot for each host of `want` (a host named twice: two slots), held until `now + hold`, in one
        transaction: for each, the slot number taken, or None when every slot of its host below `per_host` is
        held by someone else (or by `owner` already, for other fetches), or was taken by another daemon while this
        transaction ran (PostgreSQL: asked again later, it gets the next). Hosts are named a few hundred at most
        (a poll's window of fetches). Four statements at most, however many slots: one small write."""
        if not give_back and not want:
            return []

        def trade() -> list[int | None]:
            with _writing_slots(self.engine) as conn:
                if give_back:  # (in one order everywhere: two daemons' transactions lock the rows alike)
                    conn.execute(_GIVE_BACK, [{"h": h, "s": s, "o": owner} for h, s in sorted(give_back)])
                if not want:
                    return []
                free = _free_slots(conn, set(want), now=now, hold=hold, per_host=per_host)
                asked = [next(free[host], None) for host in want]
                pairs = sorted((h, n) for h, n in zip(want, asked, strict=True) if n is not None)
                times = _held_values(now, hold)
                rows = [{"h": h, "s": n, "o": owner, **times} for h, n in pairs]
                got = {(h, n) for h, n in conn.execute(_take(conn.dialect.name), rows)} if rows else set()
                return [n if n is not None and (h, n) in got else None for h, n in zip(want, asked, strict=True)]

        for attempt in range(_TRIES):
            try:
                return trade()
            except sa.exc.DBAPIError as e:
                if attempt == _TRIES - 1 or getattr(e.orig, "sqlstate", None) not in _TRANSIENT:
                    raise
        raise AssertionError("unreachable")

    def renew_host_slots(self, hosts: Iterable[str], *, now: datetime, owner: str, hold: timedelta) -> None:
        """Hold the slots `owner` has on these hosts until `now + hold` (its fetches go on), and forget the rows
        that ran out a hold ago or more (a killed daemon's, of a host nobody has fetched from since): free either
        way, they would only fill the table."""
        wanted = sorted(set(hosts))
        with _writing_slots(self.engine) as conn:
            if wanted:
                mine = sa.and_(HS.c.lease_owner == owner, HS.c.host.in_(wanted))
                conn.execute(HS.update().where(mine).values(lease_until=lease_clock(now, hold)))
            conn.execute(HS.delete().where(HS.c.lease_until < lease_clock(now, -hold)))

    def host_slots_held(self, now: datetime) -> dict[str, int]:
        """Slots held now, by host: the fetches under way to it across every daemon (for tests and diagnosis)."""
        q = sa.select(HS.c.host, sa.func.count()).where(HS.c.lease_until >= lease_clock(now)).group_by(HS.c.host)
        with self.engine.connect() as conn:
            return {row[0]: int(row[1]) for row in conn.execute(q)}

    def host_slots(self, now: datetime, *, hold: timedelta) -> list[HostSlot]:
        """Every row of `host_slots`, held or run out as of `now` for slots taken for `hold` (`feeds status` says
        which), by host and slot: a few per host being fetched from at most. Judged in the query, by the lease
        clock, as a poll judges them: no machine's clock but the database's decides on PostgreSQL."""
        held = sa.not_(lease_free(HS, now, hold)).label("held")
        q = sa.select(HS.c.host, HS.c.slot, HS.c.lease_owner, HS.c.lease_until, held).order_by(HS.c.host, HS.c.slot)
        with self.engine.connect() as conn:
            return [HostSlot(*row[:4], bool(row[4])) for row in conn.execute(q)]
