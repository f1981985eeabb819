"""Hourly email digests across the end of British Summer Time (01:00 UTC on 25 Oct 2026: 01:00-02:00 is lived
twice in London), through a real SMTP server (aiosmtpd) on 127.0.0.1: one message an hour, none repeated or
skipped, and the repeated wall-clock hour told apart by its zone name."""

from __future__ import annotations

from datetime import UTC, datetime

from feeds.alerts import run_alerts
from tests.alerts_helpers import add_keyword_matches


def test_hourly_digests_across_the_clock_change_send_each_match_once_with_its_zone(
    db_url, make_settings, make_app_for, clock, mailbox
):
    smtp = f'[alerts.smtp]\nhost = "127.0.0.1"\nport = {mailbox.port}\nsender = "feeds@press.example.org"\n'
    desk = '[[alerts.email]]\nname = "hourly"\nto = ["desk@example.org"]\nfrequency = "hourly"\n'
    app = make_app_for(make_settings("\n[alerts]\n" + smtp + desk, database_url=db_url))
    first = datetime(2026, 10, 25, 0, 30, tzinfo=UTC)  # 01:30 BST
    clock.set(first)
    add_keyword_matches(app.store, {"a": "Sanctions before the change"}, found_at=first)
    run_alerts(app)
    second = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)  # 01:30 GMT, the same wall-clock time an hour later
    clock.set(second)
    add_keyword_matches(app.store, {"b": "Sanctions after the change"}, found_at=second)
    run_alerts(app)
    clock.set(datetime(2026, 10, 25, 2, 0, tzinfo=UTC))
    run_alerts(app)
    clock.set(datetime(2026, 10, 25, 4, 0, tzinfo=UTC))
    run_alerts(app)
    texts = [msg.get_body(("plain",)).get_content() for _, _, msg in mailbox.received]
    assert len(texts) == 2, "one digest for each hour"
    assert "Sanctions before the change" in texts[0] and "Sanctions after the change" not in texts[0]
    assert "Sanctions after the change" in texts[1] and "Sanctions before the change" not in texts[1]
    assert "25 Oct 2026 01:30 BST" in texts[0] and "25 Oct 2026 01:30 GMT" in texts[1]
    assert len({msg["Message-ID"] for _, _, msg in mailbox.received}) == 2
