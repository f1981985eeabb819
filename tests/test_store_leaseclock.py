"""Leases judged by the database's clock (`feeds/store/leaseclock.py`): daemons sharing one PostgreSQL database whose
clocks disagree by minutes (a VM resumed from suspend, NTP broken) still never hold one feed, alert delivery or host
slot at once, and nothing is lost or taken twice. Each daemon is a store of its own with its own clock; nothing
sleeps: time passing for the leases is `leases_age` (their ends moved back, as the server would see them)."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
import sqlalchemy as sa

from feeds.clock import utc_now
from feeds.store import open_store
from feeds.store.alerts import NewDelivery
from feeds.store.leaseclock import lease_clock
from feeds.store.schema import watched_feeds
from tests.alerts_helpers import add_keyword_matches
from tests.leaseclock_helpers import leases_age, server_clock
from tests.store_watch_helpers import LEASE, NOW, add

SECOND = timedelta(seconds=1)
HOLD = timedelta(seconds=190)
SKEWS = [timedelta(minutes=2), timedelta(minutes=-2), timedelta(minutes=20), timedelta(minutes=-20)]
"""How far the second daemon's clock is from the first's: 2 minutes either way (the operator's case), and 20,
further than any lease here is taken for (5 min for feeds, 15 for alerts, 190 s for a host slot)."""


def _ids(skews):
    return [f"{'ahead' if s > timedelta(0) else 'behind'}-{abs(int(s.total_seconds()))}s" for s in skews]


@pytest.fixture
def daemons(pg_url):
    """Two daemons' stores on one PostgreSQL database."""
    a, b = open_store(pg_url), open_store(pg_url)
    a.migrate(NOW)
    yield a, b
    a.close()
    b.close()


def _leases(store) -> dict[int, tuple[str | None, datetime | None]]:
    """Each watched feed's lease: (owner, until)."""
    wf = watched_feeds
    with store.engine.connect() as conn:
        return {
            r.id: (r.lease_owner, r.lease_until)
            for r in conn.execute(sa.select(wf.c.id, wf.c.lease_owner, wf.c.lease_until))
        }


@pytest.mark.parametrize("skew", SKEWS, ids=_ids(SKEWS))
def test_a_daemon_whose_clock_is_off_never_takes_a_live_feed_lease(daemons, skew):
    a, b = daemons
    urls = [f"https://news.example.com/{n}.xml" for n in range(4)]
    for url in urls:
        add(a, url)
    mine = {f.id for f in a.claim_due(NOW, limit=2, owner="a:1", lease=LEASE)}
    theirs = {f.id for f in b.claim_due(NOW + skew, limit=10, owner="b:1", lease=LEASE)}
    assert len(mine) == 2 and len(theirs) == 2 and not mine & theirs, "each feed claimed once, none twice"
    for later in (NOW + skew + LEASE + SECOND, NOW + skew + timedelta(hours=1)):
        assert b.claim_due(later, limit=10, owner="b:1", lease=LEASE) == [], "a's leases are live by the server"
    assert a.claim_due(NOW + LEASE * 2, limit=10, owner="a:1", lease=LEASE) == []

    # b's round goes on, renewing by its clock; a dies: its leases run out by the server's clock, b's do not
    leases_age(a, LEASE - timedelta(minutes=1))
    assert b.renew_feeds(theirs, NOW + skew + timedelta(minutes=4), owner="b:1", lease=LEASE) == theirs
    leases_age(a, timedelta(minutes=1) + SECOND)
    taken = {f.id for f in b.claim_due(NOW + skew + timedelta(minutes=5), limit=10, owner="b:1", lease=LEASE)}
    assert taken == mine, "a dead daemon's feeds are taken once its leases ran out, and only those"
    assert {owner for owner, _ in _leases(a).values()} == {"b:1"}
    assert a.renew_feeds(mine, NOW + LEASE, owner="a:1", lease=LEASE) == set(), "a sees it lost them"


@pytest.mark.parametrize("skew", [timedelta(minutes=-2), timedelta(minutes=2)], ids=["behind", "ahead"])
def test_a_lease_runs_for_its_length_by_the_servers_clock_whatever_the_claimers(daemons, skew):
    """A clock 2 minutes slow used to write a lease that ran out 2 minutes early for everyone else."""
    a, _ = daemons
    add(a)
    before = server_clock(a)
    (feed,) = a.claim_due(NOW + skew, limit=1, owner="a:1", lease=LEASE)
    after = server_clock(a)
    until = _leases(a)[feed.id][1]
    assert until is not None and before + LEASE <= until <= after + LEASE
    a.renew_feeds([feed.id], NOW + skew * 10, owner="a:1", lease=LEASE)
    renewed = _leases(a)[feed.id][1]
    assert renewed is not None and after + LEASE <= renewed <= server_clock(a) + LEASE


@pytest.mark.parametrize("skew", SKEWS, ids=_ids(SKEWS))
def test_a_daemon_whose_clock_is_off_never_takes_a_held_host_slot_early(daemons, skew):
    a, b = daemons

    def take(store, owner, now, n=1):
        return store.trade_host_slots([], ["news.example.com"] * n, now=now, owner=owner, hold=HOLD, per_host=2)

    assert take(a, "a:1", NOW, 2) == [0, 1]
    assert take(b, "b:1", NOW + skew) == [None], "both held by a, by the server's clock"
    assert take(b, "b:1", NOW + skew + HOLD * 3) == [None]
    b.renew_host_slots([], now=NOW + skew + HOLD * 3, owner="b:1", hold=HOLD)  # (forgets slots run out long ago)
    assert b.host_slots_held(NOW + skew) == {"news.example.com": 2}, "a's live slots are not forgotten"
    assert a.host_slots_held(NOW) == {"news.example.com": 2}
    assert [s.held for s in b.host_slots(NOW + skew, hold=HOLD)] == [True, True]
    leases_age(a, HOLD + SECOND)  # a was killed mid-fetch
    assert [s.held for s in b.host_slots(NOW + skew, hold=HOLD)] == [False, False]
    assert take(b, "b:1", NOW + skew, 2) == [0, 1], "free once a hold has passed by the server's clock"
    assert take(a, "a:1", NOW + HOLD * 2) == [None]


@pytest.mark.parametrize("skew", SKEWS, ids=_ids(SKEWS))
def test_a_daemon_whose_clock_is_off_never_sends_an_alert_another_has_claimed(daemons, skew):
    a, b = daemons
    destination, lease = "webhook:hook", timedelta(minutes=15)
    add_keyword_matches(a, {"a": "Alpha", "b": "Beta", "c": "Gamma"})
    rows = [
        NewDelivery(c.match_id, f"{destination}-{c.match_id}", NOW) for c in a.unqueued_matches(destination, since=NOW)
    ]
    a.enqueue_deliveries(destination, rows, NOW)
    mine = {d.delivery.id for d in a.claim_deliveries(destination, NOW, limit=2, owner="a:1", lease=lease)}
    later = max(NOW, NOW + skew)  # (the deliveries are due by b's clock: queued at NOW)
    theirs = {d.delivery.id for d in b.claim_deliveries(destination, later, limit=10, owner="b:1", lease=lease)}
    assert len(mine) == 2 and len(theirs) == 1 and not mine & theirs
    assert b.claim_deliveries(destination, later + lease + SECOND, limit=10, owner="b:1", lease=lease) == []
    leases_age(a, lease + SECOND)
    again = {d.delivery.id for d in b.claim_deliveries(destination, later, limit=10, owner="b:1", lease=lease)}
    assert again == mine | theirs, "once the leases ran out by the server's clock, each is claimed again, once"


def test_feeds_status_counts_the_same_leases_from_any_clock(daemons):
    a, b = daemons
    for n in range(3):
        add(a, f"https://news.example.com/{n}.xml")
    a.claim_due(NOW, limit=3, owner="a:1", lease=LEASE)
    assert a.leases(NOW) == b.leases(NOW + timedelta(minutes=20)) == b.leases(NOW - timedelta(minutes=20))
    assert a.leases(NOW) == {"a:1": 3}


def test_the_lease_clock_is_the_servers_on_postgresql_and_the_callers_on_sqlite(store):
    """One statement for both databases; PostgreSQL reads its own clock, SQLite binds the `now` given."""
    with store.engine.connect() as conn:
        at = conn.execute(sa.select(lease_clock(NOW, LEASE))).scalar_one()
    if store.engine.dialect.name == "sqlite":
        assert at == NOW + LEASE
        assert store.database_clock(utc_now) is None, "one machine: nothing to compare"
    else:
        server = server_clock(store)
        assert server - timedelta(minutes=1) < at - LEASE <= server
        before, at_server, after = store.database_clock(utc_now)
        assert before <= after and abs(at_server - server) < timedelta(minutes=1)


def test_a_lease_clock_built_once_with_named_parameters_reads_as_one_built_with_values(store):
    """`lease_clock(…, name=…)` run with `clock_values`, and `lease_free_bound` with `lease_free_values` (the host
    slots' statements, built once), give what `lease_clock(now, ahead)` and `lease_free(…, now, lease)` give, on
    either database: free or held alike for a lease that ran out, one still running and one taken too far ahead."""
    from datetime import UTC

    from feeds.store.leaseclock import clock_values
    from feeds.store.schema import host_slots as HS
    from feeds.store.tx import lease_free, lease_free_bound, lease_free_values

    with store.engine.connect() as conn:
        at = conn.execute(sa.select(lease_clock(NOW, name="t")), clock_values("t", NOW, LEASE)).scalar_one()
        for slot, until in enumerate((NOW - SECOND, NOW + HOLD, NOW + timedelta(days=2))):
            conn.execute(HS.insert().values(host="h", slot=slot, lease_owner="o", lease_until=until))
        both = sa.select(HS.c.slot, lease_free(HS, NOW, HOLD), lease_free_bound(HS)).order_by(HS.c.slot)
        rows = conn.execute(both, lease_free_values(NOW, HOLD)).all()
        conn.rollback()
    assert [bool(free) for _, free, _ in rows] == [bool(bound) for _, _, bound in rows]
    if store.engine.dialect.name == "sqlite":  # (PostgreSQL's clock is the server's: see the test above)
        assert at == NOW + LEASE and at.tzinfo == UTC
        assert [bool(free) for _, free, _ in rows] == [True, False, True]
