"""Single-runner sections across processes: SQLite (flock) and PostgreSQL (advisory locks)."""

from __future__ import annotations

from datetime import UTC, datetime

from feeds.store import open_store


def test_exclusive_is_exclusive_and_released(db_url):
    a, b = open_store(db_url), open_store(db_url)
    a.migrate(datetime.now(UTC))
    try:
        with a.exclusive("publish") as first:
            assert first
            with b.exclusive("publish") as second:
                assert not second, "another store (process) may not enter while the first holds it"
            with b.exclusive("ingest") as other:
                assert other, "locks are per name"
        with b.exclusive("publish") as again:
            assert again, "released at the end of the section"
    finally:
        a.close()
        b.close()
