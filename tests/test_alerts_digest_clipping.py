"""A large email digest as Gmail shows it: it clips a message's HTML after about 102 KB ("[Message clipped]"), and
a digest of 500 matches is larger. What the digest does not list, and where those matches are, must be said before
the list, where every reader sees it, not after it, where Gmail's reader never does. A real SMTP server (aiosmtpd)
on 127.0.0.1 receives it."""

from __future__ import annotations

from datetime import UTC, datetime

from feeds.alerts import run_alerts
from tests.alerts_helpers import add_keyword_matches

GMAIL_CLIPS_AFTER = 102 * 1024


def test_a_digest_says_where_its_unlisted_matches_are_before_gmail_clips_it(
    db_url, make_settings, make_app_for, clock, mailbox
):
    smtp = f'[alerts.smtp]\nhost = "127.0.0.1"\nport = {mailbox.port}\nsender = "feeds@press.example.org"\n'
    desk = '[[alerts.email]]\nname = "daily"\nto = ["desk@example.org"]\nfrequency = "daily"\n'
    app = make_app_for(make_settings("\n[alerts]\n" + smtp + desk, database_url=db_url))
    add_keyword_matches(
        app.store,
        {
            f"k{i:03}": f"Sanctions widen on shipping network as ministers meet in Brussels on the next step, {i:03}"
            for i in range(530)
        },
    )
    assert run_alerts(app).queued == 530
    clock.set(datetime(2026, 11, 29, 8, 0, tzinfo=UTC))
    assert run_alerts(app).sent == 530
    ((_, _, msg),) = mailbox.received
    html = msg.get_body(("html",)).get_content().replace("\r\n", "\n")
    text = msg.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert len(html.encode()) > GMAIL_CLIPS_AFTER, "(the case: Gmail clips this one)"
    command = "feeds matches list --rule sanctions --since 2026-11-28T12:00:00Z"
    said = "30 of them are not listed here (a digest lists the 500 newest), found 28 Nov 2026 12:00 GMT."
    for part, first_item in ((html, "<li>"), (text, "\n* ")):
        assert said in part and command in part
        assert part.index(command) < part.index(first_item), "said before the list"
    assert html.index(command) < GMAIL_CLIPS_AFTER
    assert text.startswith(f"530 new matches (alert 'daily', daily digest)\n\n{said}\n")
