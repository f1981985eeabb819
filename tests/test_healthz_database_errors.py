"""/healthz says that a job failed on the database, never the database's details: a lock-timeout's note names the
other sessions (pid, program, user, client address), a connection error the server's host and the user; they go
to the log and `feeds status`, for the operator. Real PostgreSQL for the lock (skipped loudly without it)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests

from feeds.web.app import make_web_app
from feeds.web.metrics import Health
from tests.test_store_pg_faults import hold_lock, short_lock_timeout  # noqa: F401  (a fixture)
from tests.test_web_api import serving

AT = datetime(2026, 11, 28, 11, 0, tzinfo=UTC)


@pytest.fixture
def serve() -> Iterator[Callable[[Any], str]]:
    yield from serving()


def job_check(base: str, name: str) -> dict[str, Any]:
    return requests.get(base + "/healthz", timeout=10).json()["checks"][f"job:{name}"]


@pytest.mark.parametrize(
    ("recorded", "served"),
    [
        (
            "database unavailable: LockNotAvailable: canceling statement due to lock timeout (another session held a"
            " lock it needed past the 30 s waited: pid 4242 (psql, alice from 10.1.2.3, idle in transaction since"
            " 09:58:01 UTC); commit or end it (pg_terminate_backend))",
            "database unavailable (the daemon's log says why)",
        ),
        (
            'database refused: InsufficientPrivilege: permission denied for table items (user "feeds_rw")',
            "database refused (the daemon's log says why)",
        ),
        (
            "config reloaded, but its feeds and rules could not be stored yet: database unavailable: connection to"
            ' server at "db.internal" (10.1.2.3), port 5432 failed',
            "config reloaded, but its feeds and rules could not be stored yet: database unavailable (the daemon's"
            " log says why)",
        ),
        ("https://news.example.net/feed: timed out", "https://news.example.net/feed: timed out"),
    ],
)
def test_a_job_failed_on_the_database_is_said_without_its_details(make_settings, make_app_for, serve, recorded, served):
    health = Health()
    health.record_job("watch", False, AT, recorded)
    base = serve(make_web_app(make_app_for(make_settings()), health=health))
    check = job_check(base, "watch")
    assert check["status"] == "degraded" and check["error"] == served


@pytest.mark.postgres
def test_a_lock_held_by_another_session_is_not_named_on_healthz(
    short_lock_timeout,  # noqa: F811
    make_settings,
    pg_url,
    clock,
    serve,
):
    from feeds.daemon import Daemon

    settings = make_settings(database_url=pg_url)
    inbox = settings.inboxes[0].path
    daemon = Daemon(Path(settings.path), settings, clock=clock, serve=False, inbox_quiet=0.0)
    try:
        (inbox / "a.txt").write_text("Harbour wall to be rebuilt\n\nThe wall will be rebuilt.\n", encoding="utf-8")
        other = hold_lock(pg_url, "LOCK TABLE releases IN ACCESS EXCLUSIVE MODE")
        try:
            daemon._run_job("ingest", daemon.jobs.ingest)
        finally:
            other.close()
        assert "pid " in (daemon.state.jobs["ingest"].last_error or ""), "the operator's record names the holder"
        check = job_check(serve(make_web_app(daemon.app, health=daemon.health)), "ingest")
        assert check["status"] == "degraded"
        assert check["error"].startswith("database unavailable"), check
        assert "pid" not in check["error"] and "since" not in check["error"], check
        clock.advance(timedelta(minutes=1))
    finally:
        daemon.app.close()
