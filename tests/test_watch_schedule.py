"""Scheduling (pure): given now, the last check's failures and headers → the next check."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from feeds.fetch import freshness, parse_retry_after
from feeds.watch.schedule import CLOCK_TOLERANCE, MAX_BACKOFF, backoff, clock_step, next_check_at, spread_wait

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
HALF_HOUR = timedelta(minutes=30)


@pytest.mark.parametrize(
    ("failures", "low", "high"),
    [
        (0, HALF_HOUR, HALF_HOUR),
        (1, HALF_HOUR * 0.9, HALF_HOUR * 1.1),
        (2, HALF_HOUR * 1.8, HALF_HOUR * 2.2),
        (3, HALF_HOUR * 3.6, HALF_HOUR * 4.4),
        (6, HALF_HOUR * 28.8, HALF_HOUR * 35.2),
        (7, HALF_HOUR * 57.6, HALF_HOUR * 70.4),
        (50, timedelta(hours=48) * 0.9, MAX_BACKOFF),
        (10_000, timedelta(hours=48) * 0.9, MAX_BACKOFF),
    ],
)
def test_backoff_grows_exponentially_with_jitter_and_is_capped_at_48_hours(failures, low, high):
    wait = backoff(HALF_HOUR, failures, "https://news.example.com/feed")
    assert low <= wait <= high


@pytest.mark.parametrize("interval", [timedelta(hours=6), timedelta(days=1), timedelta(days=30)])
@pytest.mark.parametrize("failures", [1, 31, 33, 40, 65, 10**6])
def test_backoff_of_a_long_interval_down_for_months_stays_capped(interval, failures):
    # (a daily feed that fails 33 times in a row once made interval * 2**32 overflow, and every watch run crash)
    wait = backoff(interval, failures, "https://daily.example.org/feed")
    assert min(interval * 2 ** min(failures - 1, 8), MAX_BACKOFF) * 0.9 <= wait <= MAX_BACKOFF
    assert next_check_at(NOW, interval, key="k", failures=failures) <= NOW + MAX_BACKOFF


def test_jitter_is_stable_per_feed_and_spreads_feeds_apart():
    a = [backoff(HALF_HOUR, 3, "https://a.example/feed") for _ in range(3)]
    assert len(set(a)) == 1, "pure: the same inputs give the same answer"
    spread = {backoff(HALF_HOUR, 3, f"https://n{i}.example/feed") for i in range(20)}
    assert len(spread) > 10, "different feeds that failed together retry at different times"


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({}, NOW + HALF_HOUR),
        ({"fresh_until": NOW + timedelta(hours=2)}, NOW + timedelta(hours=2)),
        ({"fresh_until": NOW + timedelta(minutes=5)}, NOW + HALF_HOUR),  # a lower bound only
        ({"fresh_until": NOW + timedelta(days=9)}, NOW + timedelta(hours=24)),  # capped at 24 h
        ({"retry_after": NOW + timedelta(hours=3)}, NOW + timedelta(hours=3)),
        ({"retry_after": NOW + timedelta(days=30)}, NOW + timedelta(days=7)),  # capped at 7 days
        ({"retry_after": NOW + timedelta(minutes=1)}, NOW + HALF_HOUR),
    ],
)
def test_next_check_after_a_success_or_retry_after(kwargs, expected):
    assert next_check_at(NOW, HALF_HOUR, key="k", **kwargs) == expected


@pytest.mark.parametrize(
    ("interval", "kwargs", "low", "high"),
    [
        (HALF_HOUR, {}, NOW + HALF_HOUR, NOW + HALF_HOUR * 1.1),
        (timedelta(minutes=5), {}, NOW + timedelta(minutes=5), NOW + timedelta(minutes=5.5)),  # the floor holds
        (timedelta(days=1), {}, NOW + timedelta(days=1), NOW + timedelta(days=1.1)),
        (HALF_HOUR, {"fresh_until": NOW + timedelta(hours=2)}, NOW + timedelta(hours=2), NOW + timedelta(hours=2)),
        (HALF_HOUR, {"fresh_until": NOW + timedelta(days=9)}, NOW + timedelta(hours=24), NOW + timedelta(hours=24)),
        (HALF_HOUR, {"retry_after": NOW + timedelta(hours=3)}, NOW + timedelta(hours=3), NOW + timedelta(hours=3)),
        (HALF_HOUR, {"retry_after": NOW + timedelta(days=30)}, NOW + timedelta(days=7), NOW + timedelta(days=7)),
        (HALF_HOUR, {"failures": 3}, NOW + HALF_HOUR * 3.6, NOW + HALF_HOUR * 4.4),  # back-off as without spread
        (HALF_HOUR, {"failures": 10**6}, NOW + MAX_BACKOFF * 0.9, NOW + MAX_BACKOFF),
    ],
)
def test_a_spread_success_is_up_to_a_tenth_of_the_interval_later_and_keeps_every_bound(interval, kwargs, low, high):
    at = next_check_at(NOW, interval, key="https://news.example.com/feed", spread=True, **kwargs)
    assert low <= at <= high
    assert at == next_check_at(NOW, interval, key="https://news.example.com/feed", spread=True, **kwargs), "pure"
    assert "failures" in kwargs or at.microsecond == 0, "whole seconds, as stored and shown"


def test_feeds_checked_together_drift_apart_and_stay_apart():
    """200 feeds of one OPML import, all checked in the same second: spread over the next 3 minutes, and each
    check draws its own jitter (from the feed and the time of the check), so the feeds never fall back in step."""
    keys = [f"https://n{i}.example/feed" for i in range(200)]
    first = [next_check_at(NOW, HALF_HOUR, key=k, spread=True) for k in keys]
    assert len(set(first)) > 100, "no longer all in the same second"
    assert max(first) - min(first) > timedelta(minutes=2)
    # the same feed checked at two different times is not always delayed by the same amount
    waits = {spread_wait(HALF_HOUR, keys[0], NOW + timedelta(minutes=31 * i)) for i in range(20)}
    assert len(waits) > 10
    # across a day of checks, feeds that started together are still spread out
    at = {k: NOW for k in keys}
    for _ in range(48):
        at = {k: next_check_at(t, HALF_HOUR, key=k, spread=True) for k, t in at.items()}
    assert max(at.values()) - min(at.values()) > timedelta(minutes=10)


def test_freshness_is_ignored_after_a_failure_and_retry_after_still_wins():
    after_failure = next_check_at(NOW, HALF_HOUR, key="k", failures=1, fresh_until=NOW + timedelta(hours=20))
    assert after_failure <= NOW + HALF_HOUR * 1.1
    with_retry = next_check_at(NOW, HALF_HOUR, key="k", failures=4, retry_after=NOW + timedelta(days=2))
    assert with_retry == NOW + timedelta(days=2)


def test_polling_never_stops_for_good():
    for failures in (1, 10, 100, 10**6):
        assert next_check_at(NOW, HALF_HOUR, key="k", failures=failures) <= NOW + MAX_BACKOFF


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("120", NOW + timedelta(seconds=120)),
        ("0", NOW),
        ("000000000000600", NOW + timedelta(seconds=600)),  # leading zeros are no reason to retry at once
        ("9" * 40, NOW + timedelta(days=7)),
        ("Sat, 28 Nov 2026 15:00:00 GMT", datetime(2026, 11, 28, 15, 0, tzinfo=UTC)),
        ("Sun, 27 Dec 2026 12:00:00 GMT", NOW + timedelta(days=7)),  # capped at 7 days
        ("soon", None),
        ("-5", None),
    ],
)
def test_retry_after_forms(value, expected):
    assert parse_retry_after(value, NOW) == expected


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"Cache-Control": "max-age=3600"}, NOW + timedelta(hours=1)),
        ({"Cache-Control": "max-age=00000000000007200"}, NOW + timedelta(hours=2)),
        ({"Cache-Control": "public, max-age=999999"}, NOW + timedelta(hours=24)),
        ({"Cache-Control": "no-cache"}, None),
        ({"Expires": "Sat, 28 Nov 2026 14:00:00 GMT"}, datetime(2026, 11, 28, 14, 0, tzinfo=UTC)),
        ({}, None),
    ],
)
def test_freshness_headers(headers, expected):
    assert freshness(headers, NOW) == expected


@pytest.mark.parametrize(
    ("last_checks", "step"),
    [
        ([], timedelta(0)),
        ([NOW - HALF_HOUR, NOW - timedelta(minutes=1)], timedelta(0)),  # all in the past: no step
        ([NOW + timedelta(seconds=20)], timedelta(0)),  # recorded meanwhile by another daemon
        ([NOW + CLOCK_TOLERANCE], timedelta(0)),  # clocks a little apart
        ([NOW + timedelta(hours=2), NOW - HALF_HOUR], timedelta(hours=2)),  # stepped back 2 hours, at least
        ([NOW + timedelta(days=3), NOW + timedelta(days=2, hours=23), NOW], timedelta(days=3)),
        ([NOW + timedelta(days=6, hours=23)], timedelta(days=6, hours=23)),  # under the 7-day horizon too
    ],
)
def test_a_clock_stepped_back_is_told_by_checks_recorded_ahead_of_it(last_checks, step):
    assert clock_step(NOW, last_checks) == step


def test_schedules_moved_back_by_the_step_keep_their_spread_and_no_feed_waits_out_the_step():
    """Feeds checked a minute apart under a clock 3 days ahead; after the step back, moving each schedule back
    by the step puts each next check where the true clock would have had it: still a minute apart."""
    ahead = timedelta(days=3)
    checks = [NOW + ahead - timedelta(minutes=i) for i in range(5)]  # the last check just before the step
    nexts = [next_check_at(c, HALF_HOUR, key=f"k{i}", spread=True) for i, c in enumerate(checks)]
    step = clock_step(NOW, checks)
    assert step == ahead
    moved = [n - step for n in nexts]
    assert all(NOW < m <= NOW + HALF_HOUR * 1.1 for m in moved), "none waits out the 3 days"
    assert [n - m for n, m in zip(nexts, moved, strict=True)] == [ahead] * 5, "the same shift for all"
