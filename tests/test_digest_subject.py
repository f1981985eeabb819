"""A digest's subject names its period, so that a mail client threading by subject (Apple Mail) never takes two
digests with the same count for one conversation; the period is the digest's own, never the time it was sent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from email import message_from_bytes, policy
from zoneinfo import ZoneInfo

import pytest

from feeds.alerts import run_alerts
from feeds.alerts.render import build_email, digest_period
from tests.alerts_helpers import add_keyword_matches, entry, stored_match
from tests.test_alerts_email import email, smtp

LONDON = ZoneInfo("Europe/London")


@pytest.fixture
def setup(db_url, make_settings, make_app_for):
    def make(toml: str):
        return make_app_for(make_settings("\n[alerts]\n" + toml, database_url=db_url))

    return make


def test_two_daily_digests_of_as_many_matches_have_different_subjects(setup, clock, mailbox):
    app = setup(smtp(mailbox.port) + email("daily", "desk@example.org", frequency="daily"))
    add_keyword_matches(app.store, {"a": "EU widens sanctions", "b": "Second"})  # Saturday 28 Nov, 12:00 UTC
    run_alerts(app)
    clock.set(datetime(2026, 11, 29, 8, 0, 30, tzinfo=UTC))
    assert run_alerts(app).sent == 2
    add_keyword_matches(app.store, {"c": "Third", "d": "Fourth"}, found_at=clock())
    run_alerts(app)
    clock.set(datetime(2026, 11, 30, 9, 15, tzinfo=UTC))  # a daemon that was down at 08:00 sends it late
    assert run_alerts(app).sent == 2
    assert [m["Subject"] for _, _, m in mailbox.received] == [
        "feeds: daily digest, 29 November 2026: 2 new matches for 'sanctions'",
        "feeds: daily digest, 30 November 2026: 2 new matches for 'sanctions'",
    ]


@pytest.mark.parametrize(
    ("frequency", "ends", "named"),
    [
        ("daily", datetime(2026, 11, 30, 8, 0, tzinfo=UTC), "daily digest, 30 November 2026"),
        ("weekly", datetime(2026, 11, 30, 8, 0, tzinfo=UTC), "weekly digest, 30 November 2026"),
        ("hourly", datetime(2026, 11, 30, 9, 0, tzinfo=UTC), "hourly digest, 30 November 2026 09:00"),
        # on the site's wall clock: London's 08:00 in summer is 07:00 UTC
        ("daily", datetime(2026, 7, 1, 7, 0, tzinfo=UTC), "daily digest, 1 July 2026"),
        ("hourly", datetime(2026, 7, 1, 7, 0, tzinfo=UTC), "hourly digest, 1 July 2026 08:00"),
    ],
)
def test_digest_period_names_the_boundary_on_the_sites_clock(frequency, ends, named):
    assert digest_period(frequency, ends, LONDON) == named


def test_a_long_ascii_subject_arrives_as_written_without_a_leading_space():
    """The email library moved a long ASCII subject with quotes whole onto a folded line: it arrived as
    " feeds: …", with the folding space in front."""
    entries = [entry(stored_match(i, "keyword", "sanctions and embargoes", title=f"T{i}")) for i in (1, 2)]
    msg = build_email(
        entries, alert_name="desk", frequency="hourly", to=("a@example.org",), sender="feeds@press.example.org",
        now=datetime(2026, 11, 30, 9, 4, tzinfo=UTC) + timedelta(minutes=1), tz=LONDON, key="k" * 32,
        period=datetime(2026, 11, 30, 9, 0, tzinfo=UTC),
    )  # fmt: skip
    parsed = message_from_bytes(msg.as_bytes(), policy=policy.default)
    assert parsed["Subject"] == (
        "feeds: hourly digest, 30 November 2026 09:00: 2 new matches for 'sanctions and embargoes'"
    )
    immediate = build_email(
        entries[:1], alert_name="desk", frequency="immediate", to=("a@example.org",),
        sender="feeds@press.example.org", now=datetime(2026, 11, 30, 9, 0, tzinfo=UTC), tz=LONDON, key="k" * 32,
        period=datetime(2026, 11, 30, 9, 0, tzinfo=UTC),
    )  # fmt: skip
    assert immediate["Subject"] == "feeds: new match for 'sanctions and embargoes': T1", "an alert has no period"
