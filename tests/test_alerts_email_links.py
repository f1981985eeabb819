"""Item links in an email alert as a reader follows them: a link a feed wrote with a space or a non-ASCII character
(feedparser keeps it so) is sent in URI form, in the text part, where a mail client would end the link at the
space, and in the HTML part alike, as the site's own pages link it."""

from __future__ import annotations

from email import message_from_bytes, policy
from zoneinfo import ZoneInfo

from feeds.alerts.render import build_email, email_html, email_text
from tests.alerts_helpers import NOW, entry, stored_match

LONDON = ZoneInfo("Europe/London")
SPACED = "https://news.example.com/EU sanctions ü?id=1&src=rss"
SENT = "https://news.example.com/EU%20sanctions%20%C3%BC?id=1&src=rss"


def test_a_link_with_a_space_is_sent_whole_in_uri_form_in_both_parts():
    entries = [entry(stored_match(1, title="EU widens sanctions", link=SPACED))]
    text = email_text(entries, alert_name="desk", frequency="immediate", tz=LONDON)
    page = email_html(entries, alert_name="desk", frequency="immediate", tz=LONDON)
    assert f"  {SENT}\n" in text and SPACED not in text
    assert f'href="{SENT.replace("&", "&amp;")}"' in page and SPACED not in page


def test_a_link_with_a_line_break_stays_on_its_line():
    entries = [
        entry(stored_match(1, title="EU widens sanctions", link="https://news.example.com/a\nBcc: x@evil.example"))
    ]
    text = email_text(entries, alert_name="desk", frequency="immediate", tz=LONDON)
    # (the line break left out, as browsers and the site's pages read such a link: `feeds.urls.absolute_uri`)
    assert "  https://news.example.com/aBcc:%20x@evil.example\n" in text
    assert "\nBcc:" not in text


def test_the_message_sent_carries_the_uri_form():
    msg = build_email(
        [entry(stored_match(1, title="EU widens sanctions", link=SPACED))], alert_name="desk",
        frequency="immediate", to=("a@example.org",), sender="feeds@press.example.org", now=NOW, tz=LONDON,
        key="k" * 32,
    )  # fmt: skip
    parsed = message_from_bytes(msg.as_bytes(), policy=policy.default)
    assert SENT in parsed.get_body(("plain",)).get_content()
    assert SENT.replace("&", "&amp;") in parsed.get_body(("html",)).get_content()
