"""Alert selection, keys, digest boundaries, retry policy and digest grouping (pure)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from feeds.alerts.select import (
    MAX_ATTEMPTS,
    Attempt,
    Destination,
    after_attempt,
    delivery_key,
    destinations_of,
    digest_key,
    first_due,
    group_entries,
    next_boundary,
    wants,
)
from feeds.config import AlertSettings, EmailAlert, WebhookAlert
from tests.alerts_helpers import NOW, entry, stored_match

LONDON = ZoneInfo("Europe/London")
KOLKATA = ZoneInfo("Asia/Kolkata")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


def dest(rules: tuple[str, ...] = ("*",), coverage: bool = True) -> Destination:
    return Destination("webhook:x", "webhook", "x", rules, coverage)


@pytest.mark.parametrize(
    ("rules", "coverage", "kind", "subject", "expected"),
    [
        (("*",), True, "keyword", "anything", True),
        (("sanctions",), True, "keyword", "sanctions", True),
        (("sanctions",), True, "keyword", "iran", False),
        (("Sanctions",), True, "keyword", "sanctions", True),  # rule names are one but for case (a review's find)
        (("sanctions",), True, "keyword", "SANCTIONS", True),
        ((), True, "keyword", "sanctions", False),
        ((), True, "related", "tag:x,2026:r", True),
        ((), True, "pickup", "tag:x,2026:r", True),
        (("*",), False, "related", "tag:x,2026:r", False),
        (("*",), False, "pickup", "tag:x,2026:r", False),
        (("*",), False, "keyword", "iran", True),
    ],
)
def test_wants(rules, coverage, kind, subject, expected):
    assert wants(dest(rules, coverage), kind, subject) is expected


def test_destinations_of_names_each_kind():
    settings = AlertSettings(
        webhooks=(WebhookAlert("slack", "https://hooks.example/x", rules=("a",), coverage=False),),
        email=(EmailAlert("desk", ("desk@example.org",), frequency="daily"),),
    )
    assert destinations_of(settings) == (
        Destination("webhook:slack", "webhook", "slack", ("a",), False, "immediate"),
        Destination("email:desk", "email", "desk", ("*",), True, "daily"),
    )


def test_delivery_key_is_stable_and_distinct():
    k = delivery_key("webhook:a", "keyword", "r", 1, "item")
    assert k == delivery_key("webhook:a", "keyword", "r", 1, "item") and len(k) == 32
    others = {
        delivery_key("webhook:b", "keyword", "r", 1, "item"),
        delivery_key("webhook:a", "related", "r", 1, "item"),
        delivery_key("webhook:a", "keyword", "s", 1, "item"),
        delivery_key("webhook:a", "keyword", "r", 2, "item"),
        delivery_key("webhook:a", "keyword", "r", 1, "other"),
    }
    assert k not in others and len(others) == 5
    assert digest_key(["b", "a"]) == digest_key(["a", "b"]) != digest_key(["a"])


@pytest.mark.parametrize(
    ("frequency", "after", "tz", "expected"),
    [
        # hourly: on the hour
        ("hourly", utc(2026, 11, 28, 12, 0), LONDON, utc(2026, 11, 28, 13, 0)),
        ("hourly", utc(2026, 11, 28, 12, 59, 59), LONDON, utc(2026, 11, 28, 13, 0)),
        ("hourly", utc(2026, 11, 28, 23, 30), LONDON, utc(2026, 11, 29, 0, 0)),
        ("hourly", utc(2026, 11, 28, 12, 10), KOLKATA, utc(2026, 11, 28, 12, 30)),  # +05:30: local top of hour
        # hourly across the end of British Summer Time (01:00 UTC on 25 Oct 2026): no skipped, no repeated hour
        ("hourly", utc(2026, 10, 25, 0, 30), LONDON, utc(2026, 10, 25, 1, 0)),
        ("hourly", utc(2026, 10, 25, 1, 30), LONDON, utc(2026, 10, 25, 2, 0)),
        # daily: 08:00 local
        ("daily", utc(2026, 11, 28, 12, 0), LONDON, utc(2026, 11, 29, 8, 0)),
        ("daily", utc(2026, 11, 28, 7, 59), LONDON, utc(2026, 11, 28, 8, 0)),
        ("daily", utc(2026, 11, 28, 8, 0), LONDON, utc(2026, 11, 29, 8, 0)),  # strictly after
        ("daily", utc(2026, 7, 1, 6, 0), LONDON, utc(2026, 7, 1, 7, 0)),  # 08:00 BST is 07:00 UTC
        ("daily", utc(2026, 3, 28, 12, 0), LONDON, utc(2026, 3, 29, 7, 0)),  # the morning BST starts
        ("daily", utc(2026, 11, 28, 3, 0), KOLKATA, utc(2026, 11, 29, 2, 30)),  # 08:30 IST already passed
        # weekly: Monday 08:00 local (28 Nov 2026 is a Saturday)
        ("weekly", utc(2026, 11, 28, 12, 0), LONDON, utc(2026, 11, 30, 8, 0)),
        ("weekly", utc(2026, 11, 30, 7, 0), LONDON, utc(2026, 11, 30, 8, 0)),
        ("weekly", utc(2026, 11, 30, 8, 0), LONDON, utc(2026, 12, 7, 8, 0)),
        ("weekly", utc(2026, 12, 1, 9, 0), LONDON, utc(2026, 12, 7, 8, 0)),
    ],
)
def test_next_boundary(frequency, after, tz, expected):
    assert next_boundary(frequency, after, tz) == expected


def test_first_due_is_now_for_immediate_alerts_and_the_boundary_for_digests():
    found = NOW - timedelta(hours=5)
    assert first_due("immediate", found, NOW, LONDON) == NOW
    assert first_due("hourly", found, NOW, LONDON) == utc(2026, 11, 28, 8, 0), "found at 07:00: the 08:00 digest"
    assert first_due("daily", found, NOW, LONDON) == utc(2026, 11, 28, 8, 0)


@pytest.mark.parametrize(
    ("last_sent", "due"),
    [
        (None, utc(2026, 11, 28, 8, 0)),  # never sent: the digest it belongs to, late (the daemon was down)
        (utc(2026, 11, 27, 8, 0, 5), utc(2026, 11, 28, 8, 0)),  # yesterday's went out: today's, late
        (utc(2026, 11, 28, 8, 0, 30), utc(2026, 11, 29, 8, 0)),  # today's went out without it: tomorrow's
        (utc(2026, 11, 28, 8, 0), utc(2026, 11, 29, 8, 0)),  # (sent on the boundary itself)
        (NOW + timedelta(days=2), utc(2026, 11, 28, 8, 0)),  # a clock stepped back: ignored
    ],
)
def test_a_digest_match_queued_after_its_digest_went_out_waits_for_the_next_one(last_sent, due):
    found = NOW - timedelta(hours=5)  # 07:00 on Saturday 28 November
    assert first_due("daily", found, NOW, LONDON, last_sent=last_sent) == due
    assert first_due("immediate", found, NOW, LONDON, last_sent=last_sent) == NOW


@pytest.mark.parametrize(
    ("attempts_before", "attempt", "status", "attempts", "wait"),
    [
        (0, Attempt(True, "200"), "sent", 1, None),
        (3, Attempt(True, "202"), "sent", 4, None),
        (0, Attempt(False, "500", "boom"), "pending", 1, (4.5, 5.5)),
        (1, Attempt(False, "error", "refused"), "pending", 2, (9, 11)),
        (2, Attempt(False, "500"), "pending", 3, (18, 22)),
        (MAX_ATTEMPTS - 2, Attempt(False, "500"), "pending", MAX_ATTEMPTS - 1, (288, 352)),
        (MAX_ATTEMPTS - 1, Attempt(False, "500"), "failed", MAX_ATTEMPTS, None),
        # Retry-After later than the back-off wins; an earlier one does not shorten it
        (0, Attempt(False, "503", retry_after=NOW + timedelta(hours=1)), "pending", 1, (60, 60)),
        (0, Attempt(False, "429", retry_after=NOW + timedelta(seconds=5)), "pending", 1, (4.5, 5.5)),
        # ...capped at 7 days, as a watched feed's is (further ahead is where a stepped-back clock leaves it)
        (0, Attempt(False, "503", retry_after=NOW + timedelta(days=365)), "pending", 1, (7 * 1440, 7 * 1440)),
    ],
)
def test_after_attempt(attempts_before, attempt, status, attempts, wait):
    got_status, got_attempts, next_at = after_attempt(attempts_before, attempt, NOW, "key")
    assert (got_status, got_attempts) == (status, attempts)
    if wait is None:
        assert next_at is None
    else:
        minutes = (next_at - NOW).total_seconds() / 60
        assert wait[0] <= minutes <= wait[1]


def test_group_entries_orders_rules_then_releases_and_newest_items_first():
    old, new = NOW - timedelta(hours=3), NOW - timedelta(hours=1)
    entries = [
        entry(stored_match(1, "pickup", "tag:r1", published=old), "Zebra release", "https://press.example.org/z"),
        entry(stored_match(2, "keyword", "sanctions", published=old)),
        entry(stored_match(3, "keyword", "iran", published=old)),
        entry(stored_match(4, "keyword", "sanctions", published=new)),
        entry(stored_match(5, "related", "tag:r2", published=new), "Apple release"),
    ]
    groups = group_entries(entries)
    assert [(g.kind, g.subject) for g in groups] == [
        ("keyword", "iran"),
        ("keyword", "sanctions"),
        ("pickup", "tag:r1"),
        ("related", "tag:r2"),
    ]
    assert [e.match.id for e in groups[1].entries] == [4, 2]
    assert groups[2].heading == "Pick-up of 'Zebra release'" and groups[2].link == "https://press.example.org/z"
    assert groups[3].label == "coverage of 'Apple release'" and groups[0].label == "'iran'"
