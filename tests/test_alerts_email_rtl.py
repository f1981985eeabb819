"""Item titles in right-to-left scripts in an email alert's HTML part, as Gmail, Outlook and Apple Mail lay them
out: a title in Arabic or Hebrew is set right to left, so that its punctuation and numbers stay where its reader
expects them (in the message's left-to-right paragraph, a closing `!` or `(2)` would jump to the wrong end)."""

from __future__ import annotations

from email import message_from_bytes, policy
from zoneinfo import ZoneInfo

import pytest

from feeds.alerts.render import build_email, email_html
from tests.alerts_helpers import NOW, entry, stored_match

LONDON = ZoneInfo("Europe/London")


@pytest.mark.parametrize(
    "title", ["وزير الخارجية يعلن عقوبات جديدة!", "«عقوبات» على 3 شركات (EU)", "שר החוץ הודיע על סנקציות (2)"]
)
def test_a_right_to_left_title_is_set_right_to_left(title):
    html = email_html([entry(stored_match(1, title=title))], alert_name="desk", frequency="daily", tz=LONDON)
    assert f'<li><a dir="rtl" href="https://news.example.com/k1">{title}</a><br>' in html
    assert html.count('dir="rtl"') == 1, "the title alone: the feed and time under it stay as they are"


@pytest.mark.parametrize("title", ["EU widens sanctions", "制裁に関する新しい発表", "123 — ¡Hola!", "\u202eevil"])
def test_other_titles_keep_the_message_direction(title):
    html = email_html([entry(stored_match(1, title=title))], alert_name="desk", frequency="daily", tz=LONDON)
    assert 'dir="rtl"' not in html


def test_a_right_to_left_title_without_a_link_is_set_right_to_left_too():
    title = "وزير الخارجية يعلن عقوبات جديدة!"
    match = stored_match(1, title=title, link="javascript:alert(1)")
    html = email_html([entry(match)], alert_name="desk", frequency="daily", tz=LONDON)
    assert f'<li><span dir="rtl">{title}</span><br>' in html and "javascript" not in html


def test_the_html_part_sent_carries_the_direction():
    title = "وزير الخارجية يعلن عقوبات جديدة!"
    msg = build_email(
        [entry(stored_match(1, title=title))], alert_name="desk", frequency="immediate", to=("a@example.org",),
        sender="feeds@press.example.org", now=NOW, tz=LONDON, key="k" * 32,
    )  # fmt: skip
    parsed = message_from_bytes(msg.as_bytes(), policy=policy.default)
    assert f'dir="rtl" href="https://news.example.com/k1">{title}</a>' in parsed.get_body(("html",)).get_content()
