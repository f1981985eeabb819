"""A daemon notices and says when its clock is apart from the database server's (`feeds/daemon/clockskew.py`): in
its log, in `feeds status` (text and `--json`) and in `/metrics`. The skewed clock is injected; nothing sleeps."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from feeds.clock import FixedClock, skew_text, utc_now
from feeds.daemon import Daemon
from feeds.daemon.clockskew import ClockSkew
from feeds.status import gather
from feeds.statustext import render_text
from feeds.web.metrics import Metrics

T = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


def _said(caplog) -> list[tuple[int, str]]:
    return [(r.levelno, r.getMessage()) for r in caplog.records if r.name == "feeds.daemon"]


def test_a_clock_apart_is_warned_of_once_naming_both_times_again_when_it_grows_and_when_it_agrees(caplog):
    caplog.set_level(logging.INFO, logger="feeds.daemon")
    local = FixedClock(T)
    server = {"at": T}
    skew = ClockSkew(local, metrics=Metrics(worker="t:1"))

    def measure(apart: timedelta) -> float | None:
        server["at"] = local() - apart
        return skew.measure(lambda clock: (clock(), server["at"], clock()), threshold=5.0)

    assert measure(timedelta(seconds=3)) == 3.0 and _said(caplog) == [], "within 5 s: nothing said"
    assert measure(timedelta(minutes=2)) == 120.0
    assert measure(timedelta(minutes=2, seconds=2)) == 122.0, "the same skew, measured again"
    (warning,) = _said(caplog)
    assert warning[0] == logging.WARNING
    assert (
        "this machine's clock reads 2026-12-01T09:30:00.000Z, the database server's 2026-12-01T09:28:00.000Z"
        in (warning[1])
    )
    assert "2 min 0.0 s ahead of it (more than 5.0 s)" in warning[1] and "fix NTP" in warning[1]
    measure(timedelta(minutes=-10))
    assert "10 min 0.0 s behind it" in _said(caplog)[-1][1], "a skew that changed is said again"
    measure(timedelta(seconds=0.2))
    assert _said(caplog)[-1] == (
        logging.INFO,
        "this machine's clock agrees with the database server's again (0.2 s ahead of it)",
    )
    assert len(_said(caplog)) == 3
    assert skew.as_status() == 0.2


def test_sqlite_has_nothing_to_compare():
    skew = ClockSkew(FixedClock(T))
    assert skew.measure(lambda clock: None, threshold=5.0) is None and skew.as_status() is None


def test_the_query_time_is_no_part_of_the_skew():
    """Our clock is read before and after the server's: their midpoint is compared, however slow the query."""
    clock = FixedClock(T)

    def slow_server(read: Callable[[], datetime]) -> tuple[datetime, datetime, datetime]:
        before = read()
        clock.advance(timedelta(seconds=4))  # the query takes 8 s there and back
        at = clock()
        clock.advance(timedelta(seconds=4))
        return before, at, read()

    assert ClockSkew(clock).measure(slow_server, threshold=5.0) == 0.0


@pytest.mark.parametrize(
    ("apart", "text"),
    [
        (123.0, "2 min 3.0 s ahead of"),
        (119.97, "2 min 0.0 s ahead of"),
        (-0.4, "0.4 s behind"),
        (3600, "1 h 0 min 0.0 s ahead of"),
    ],
)
def test_skew_text(apart, text):
    assert skew_text(apart) == text


@pytest.mark.postgres
def test_a_daemon_two_minutes_ahead_of_postgresql_says_so_in_its_log_status_and_metrics(make_settings, pg_url, caplog):
    caplog.set_level(logging.INFO, logger="feeds.daemon")
    settings = make_settings(database_url=pg_url)

    def ahead() -> datetime:
        return utc_now() + timedelta(minutes=2)

    daemon = Daemon(Path(settings.path), settings, clock=ahead, serve=False)
    try:
        daemon.heartbeat()
        warnings = [m for level, m in _said(caplog) if level == logging.WARNING and "clock reads" in m]
        assert len(warnings) == 1 and "ahead of it" in warnings[0], warnings
        assert daemon.skew.seconds is not None and 119 < daemon.skew.seconds < 121
        metrics = daemon.metrics.render().decode()
        (gauge,) = [line for line in metrics.splitlines() if line.startswith("feeds_clock_skew_seconds ")]
        assert 119 < float(gauge.split()[1]) < 121

        report = gather(daemon.app)
        (worker,) = report.workers
        assert worker.alive and worker.clock_skew is not None and 119 < worker.clock_skew < 121
        assert f"daemon {daemon.worker}: its clock is 2 min" in "\n".join(report.problems())
        assert "ahead of the database server's" in "\n".join(report.problems())
        text = render_text(report)
        assert f"daemon {daemon.worker}  alive" in text and ", clock 2 min " in text
        (listed,) = report.as_json()["workers"]
        assert 119 < listed["clock_skew_s"] < 121
    finally:
        daemon.app.close()


@pytest.mark.postgres
def test_a_daemon_whose_clock_agrees_with_postgresql_says_nothing_of_it(make_settings, pg_url, caplog):
    caplog.set_level(logging.INFO, logger="feeds.daemon")
    settings = make_settings(database_url=pg_url)
    daemon = Daemon(Path(settings.path), settings, clock=utc_now, serve=False)
    try:
        daemon.heartbeat()
        assert not [m for _, m in _said(caplog) if "clock" in m]
        report = gather(daemon.app)
        (worker,) = report.workers
        assert worker.clock_skew is not None and abs(worker.clock_skew) < 5
        assert not [p for p in report.problems() if "clock" in p]
    finally:
        daemon.app.close()


def test_a_daemon_on_sqlite_measures_nothing(make_settings, clock):
    settings = make_settings()
    daemon = Daemon(Path(settings.path), settings, clock=clock, serve=False)
    try:
        daemon.heartbeat()
        assert daemon.skew.seconds is None
        assert "feeds_clock_skew_seconds" not in daemon.metrics.render().decode()
        (worker,) = gather(daemon.app).workers
        assert worker.clock_skew is None
        assert gather(daemon.app).as_json()["workers"][0]["clock_skew_s"] is None
    finally:
        daemon.app.close()
