"""Reads by IN list compiled once per length (`feeds.store.inlists`) give the rows SQLAlchemy's expanding
statements give, converted alike, on both databases."""

from __future__ import annotations

import random
from dataclasses import fields, replace
from datetime import UTC, datetime, timedelta

import pytest
import sqlalchemy as sa

from feeds.store import schema
from feeds.store.inlists import LONGEST, in_list, read_plan, select_in
from feeds.store.releases import SELECT_RELEASE, release_from, release_from_values
from feeds.store.schema import releases as R
from tests.test_store import NOW, rel

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def by_identity(n: int) -> sa.Select:
    return SELECT_RELEASE.where(sa.or_(R.c.identity.in_(in_list(R.c.identity, n)), R.c.removed_at > EPOCH))


def ledger(n: int) -> sa.Select:
    F = schema.ingested_files
    return sa.select(F.c.source, F.c.name, F.c.ingested_at).where(
        F.c.source == sa.bindparam("source"), F.c.name.in_(in_list(F.c.name, n))
    )


EXPANDING_BY_IDENTITY = SELECT_RELEASE.where(
    sa.or_(R.c.identity.in_(sa.bindparam("values", expanding=True)), R.c.removed_at > EPOCH)
)
F = schema.ingested_files
EXPANDING_LEDGER = sa.select(F.c.source, F.c.name, F.c.ingested_at).where(
    F.c.source == sa.bindparam("source"), F.c.name.in_(sa.bindparam("values", expanding=True))
)


@pytest.fixture
def filled(store):
    """Releases of every kind a read converts (withdrawn by hand or not, taken down, with changes, with and
    without their optional times), and ledger rows of two sources."""
    releases = []
    for n in range(40):
        r = rel(n, source_updated=NOW - timedelta(days=n) if n % 3 else None, link=f"https://x.example/{n}")
        if n % 5 == 0:
            r = replace(
                r, withdrawn_at=NOW + timedelta(microseconds=n), withdrawn_note="gone", withdrawn_by_hand=n % 2 == 0
            )
        releases.append(r)
    with store.transaction() as tx:
        tx.insert_releases(releases, NOW)
        tx.remove_release(releases[7], "court order", NOW + timedelta(hours=1))
        tx.record_ingested_files(
            [(s, f"f{n}.json", f"{n:064d}", [f"r{n}"]) for s in ("a", "b") for n in range(30)], NOW
        )
    return store


@pytest.mark.parametrize("size", [0, 1, 3, 17, 40, LONGEST + 5])
def test_a_read_by_in_list_gives_the_rows_of_the_expanding_statement(filled, size):
    rng = random.Random(size)
    identities = [f"key:r{rng.randrange(60)}" for _ in range(size)]  # (some twice, some not stored)
    names = [f"f{rng.randrange(40)}.json" for _ in range(size)]
    with filled.engine.connect() as conn:
        if identities:
            chunks = [identities[i : i + LONGEST] for i in range(0, len(identities), LONGEST)]
            expected = [release_from(row) for c in chunks for row in conn.execute(EXPANDING_BY_IDENTITY, {"values": c})]
            expected_files = [tuple(row) for row in conn.execute(EXPANDING_LEDGER, {"values": names, "source": "b"})]
        else:
            expected, expected_files = [], []
        got = [release_from_values(v) for v in select_in(conn, by_identity, identities)]
        got_files = select_in(conn, ledger, names, source="b")

    def every_field(releases: list) -> list[tuple]:  # (those left out of `==` too), their types with them
        return sorted(tuple((getattr(r, f.name), type(getattr(r, f.name))) for f in fields(r)) for r in releases)

    assert every_field(got) == every_field(expected)
    assert sorted(set(got_files)) == sorted(set(expected_files))  # (a list of several statements: each its rows)
    assert all(type(row[2]) is datetime and row[2].tzinfo is UTC for row in got_files)
    if size:
        assert any(r.removed_at is not None for r in got)  # (the one taken down comes with every list)


def test_lists_of_every_length_share_a_few_statements(filled):
    read_plan.cache_clear()
    with filled.engine.connect() as conn:
        for n in range(1, 201):
            select_in(conn, by_identity, [f"key:r{i}" for i in range(n)])
    assert read_plan.cache_info().currsize == 9  # (1, 2, 4, … 256)
