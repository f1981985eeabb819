"""Alert messages (pure): webhook body, signature and headers; email subject, text and HTML parts."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
from email import message_from_bytes, policy
from zoneinfo import ZoneInfo

import pytest

from feeds.alerts.render import (
    build_email,
    email_html,
    email_subject,
    email_text,
    local_time,
    signature,
    standard_signature,
    webhook_body,
    webhook_headers,
)
from tests.alerts_helpers import NOW, entry, readme_verify, stored_match

LONDON = ZoneInfo("Europe/London")
HOSTILE = '<script>alert("x")</script> & <b>Sanctions</b>'


def test_webhook_body_carries_the_match():
    m = stored_match(7, "keyword", "sanctions", title="EU widens sanctions", terms=("sanctions", "eu", "sanctions"))
    doc = json.loads(webhook_body(entry(m, key="abc"), "slack"))
    assert doc["delivery"] == "abc" and doc["destination"] == "slack" and doc["match_id"] == 7
    assert doc["kind"] == "keyword" and doc["rule"] == "sanctions" and doc["release"] is None
    assert doc["item"]["title"] == "EU widens sanctions"
    assert doc["item"]["link"] == "https://news.example.com/k7"
    assert doc["item"]["feed"] == {"id": 1, "title": "World News"}
    assert doc["item"]["published"] == "2026-11-28T12:00:00Z" and doc["found_at"] == "2026-11-28T12:00:00Z"
    assert doc["terms"] == ["sanctions", "eu"] and doc["score"] == 1.0 and doc["why"]


def test_webhook_body_of_coverage_names_the_release_and_is_deterministic():
    m = stored_match(8, "pickup", "tag:press.example.org,2026:x")
    e = entry(m, "Minister visits", "https://press.example.org/x/")
    body = webhook_body(e, "slack")
    assert body == webhook_body(e, "slack"), "same entry, same bytes (a retry carries the same signature)"
    doc = json.loads(body)
    assert doc["rule"] is None
    assert doc["release"] == {
        "id": "tag:press.example.org,2026:x",
        "title": "Minister visits",
        "url": "https://press.example.org/x/",
    }


@pytest.mark.parametrize(
    ("secret", "body"),
    [("s3cret", b'{"a":1}'), ("ключ", "é".encode()), ("k", b"")],
)
def test_signature_is_hmac_sha256_of_the_raw_body(secret, body):
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    assert signature(secret, body) == f"sha256={expected}"


@pytest.mark.parametrize(("secret", "body"), [("s3cret", b'{"a":1}'), ("ключ", "é".encode()), ("k", b"")])
def test_standard_signature_is_base64_hmac_sha256_of_id_timestamp_and_body(secret, body):
    signed = b"key1.1764331200." + body
    expected = base64.b64encode(hmac.new(secret.encode(), signed, hashlib.sha256).digest()).decode()
    assert standard_signature(secret, "key1", 1764331200, body) == f"v1,{expected}"
    assert standard_signature(secret, "key1", 1764331201, body) != f"v1,{expected}", "the time is signed"
    assert standard_signature(secret, "key2", 1764331200, body) != f"v1,{expected}", "the id is signed"


# The Standard Webhooks spec's own example (standard-webhooks/spec, the `whsec_` secret and the signature it gives).
SPEC_SECRET = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
SPEC_SIGNATURE = "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE="


def spec_signature(secret: str, msg_id: str, timestamp: int, body: bytes) -> str:
    """The Standard Webhooks signature as the spec defines it, written here independently of feeds: a `whsec_`
    secret is keyed with the base64-decoded bytes after the prefix, HMAC-SHA256 over "id.timestamp.body"."""
    key = base64.b64decode(secret.removeprefix("whsec_"))
    mac = hmac.new(key, msg_id.encode() + b"." + str(timestamp).encode() + b"." + body, hashlib.sha256)
    return "v1," + base64.b64encode(mac.digest()).decode()


def test_a_whsec_secret_signs_with_its_base64_decoded_bytes_as_the_standard_webhooks_spec_does():
    body = b'{"test": 2432232314}'
    assert spec_signature(SPEC_SECRET, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body) == SPEC_SIGNATURE
    assert standard_signature(SPEC_SECRET, "msg_p5jXN8AQM9LWM0D4loKWxJek", 1614265330, body) == SPEC_SIGNATURE
    key = "whsec_" + base64.b64encode(bytes(range(32))).decode()
    h = webhook_headers(b'{"a":1}', "key1", secret=key, user_agent="u", timestamp=1764331200)
    assert h["webhook-signature"] == spec_signature(key, "key1", 1764331200, b'{"a":1}')
    utf8 = base64.b64encode(hmac.new(key.encode(), b"key1.1764331200." + b'{"a":1}', hashlib.sha256).digest())
    assert h["webhook-signature"] != "v1," + utf8.decode(), "not the secret's UTF-8 bytes"
    assert h["X-Feeds-Signature"] == signature(key, b'{"a":1}'), "the deprecated header is keyed as it always was"
    assert readme_verify()(key, h, b'{"a":1}', now=1764331200), "the README's verify takes a whsec_ secret too"


@pytest.mark.parametrize("secret", ["s3cret", "whsec", "whsec-MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw", "ключ"])
def test_any_other_secret_signs_with_its_utf8_bytes(secret):
    signed = b"key1.1764331200.{}"
    expected = base64.b64encode(hmac.new(secret.encode(), signed, hashlib.sha256).digest()).decode()
    assert standard_signature(secret, "key1", 1764331200, b"{}") == f"v1,{expected}"


def test_webhook_headers():
    """Standard Webhooks' three headers, and the deprecated X-Feeds pair kept for one release."""
    h = webhook_headers(b"{}", "key1", secret="s", user_agent="feeds/test", timestamp=1764331200)
    assert h == {
        "Content-Type": "application/json",
        "User-Agent": "feeds/test",
        "webhook-id": "key1",
        "webhook-timestamp": "1764331200",
        "webhook-signature": standard_signature("s", "key1", 1764331200, b"{}"),
        "X-Feeds-Delivery": "key1",
        "X-Feeds-Signature": signature("s", b"{}"),
    }
    unsigned = webhook_headers(b"{}", "key1", secret=None, user_agent="u", timestamp=1764331200)
    assert "X-Feeds-Signature" not in unsigned and "webhook-signature" not in unsigned
    assert unsigned["webhook-id"] == "key1" and unsigned["webhook-timestamp"] == "1764331200"


def test_the_readme_verify_snippet_accepts_a_fresh_delivery_and_rejects_replays_and_tampering():
    verify = readme_verify()
    t = 1764331200
    body = b'{"delivery":"key1"}'
    h = webhook_headers(body, "key1", secret="s", user_agent="u", timestamp=t)
    assert verify("s", h, body, now=t) and verify("s", h, body, now=t + 300) and verify("s", h, body, now=t - 300)
    assert not verify("s", h, body, now=t + 301), "older than 5 minutes: a replay"
    assert not verify("s", h, body, now=t - 301), "more than 5 minutes ahead"
    assert not verify("s", {**h, "webhook-timestamp": str(t + 600)}, body, now=t + 600), "a re-dated replay"
    assert not verify("s", h, body + b" ", now=t), "a changed body"
    assert not verify("other", h, body, now=t), "another secret"
    assert not verify("s", {**h, "webhook-timestamp": "soon"}, body, now=t)
    assert not verify("s", {k: v for k, v in h.items() if k != "webhook-signature"}, body, now=t), "unsigned"
    rotated = {**h, "webhook-signature": "v1,bm90IGl0 " + h["webhook-signature"]}
    assert verify("s", rotated, body, now=t), "one of several signatures (key rotation) is enough"


def _entries(spec: list[tuple[str, str, str]]):
    return [
        entry(stored_match(i, kind, subject, title=title), title=subject.upper() if kind != "keyword" else None)
        for i, (kind, subject, title) in enumerate(spec, start=1)
    ]


@pytest.mark.parametrize(
    ("spec", "subject"),
    [
        ([("keyword", "sanctions", "EU widens sanctions")], "feeds: new match for 'sanctions': EU widens sanctions"),
        (
            [("keyword", "sanctions", "a"), ("keyword", "sanctions", "b"), ("keyword", "sanctions", "c")],
            "feeds: 3 new matches for 'sanctions'",
        ),
        (
            [("keyword", "sanctions", "a"), ("pickup", "r1", "b")],
            "feeds: 2 new matches for 'sanctions' and coverage of 'R1'",
        ),
        (
            [("keyword", "c", "a"), ("keyword", "a", "b"), ("keyword", "b", "c"), ("keyword", "d", "e")],
            "feeds: 4 new matches for 'a', 'b' and 2 more",
        ),
        # a hostile title cannot add a header line, and a long one is cut
        (
            [("keyword", "r", "Line one\r\nBcc: victim@example.org")],
            "feeds: new match for 'r': Line one Bcc: victim@example.org",
        ),
        ([("keyword", "r", "x" * 200)], "feeds: new match for 'r': " + "x" * 79 + "…"),
        # an encoded word in a title is shown as written, never decoded (into line breaks and headers)
        ([("keyword", "r", "=?utf-8?q?Bcc?=")], "feeds: new match for 'r': =\u2060?utf-8?q?Bcc?="),
        # an item without a title (RSS 2.0 allows it) is "(untitled)", as in the message body
        ([("keyword", "r", "")], "feeds: new match for 'r': (untitled)"),
        ([("keyword", "r", " \n ")], "feeds: new match for 'r': (untitled)"),
    ],
)
def test_email_subject(spec, subject):
    assert email_subject(_entries(spec)) == subject


def test_html_part_escapes_hostile_titles_and_links_only_http():
    bad = stored_match(1, "keyword", "sanctions", title=HOSTILE, link="javascript:alert(1)", feed_title="<i>Feed</i>")
    good = stored_match(2, "keyword", "sanctions", title="Fine", link='https://news.example.com/a?x=1&y="2"')
    page = email_html([entry(bad), entry(good)], alert_name="desk <x>", frequency="daily", tz=LONDON)
    assert "<script>" not in page and "<b>" not in page and "<i>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;Sanctions&lt;/b&gt;" in page
    assert "javascript:" not in page, "a non-http link is shown as text, not linked"
    assert '<a href="https://news.example.com/a?x=1&amp;y=%222%22">Fine</a>' in page, "in URI form, then escaped"
    assert "desk &lt;x&gt;" in page


def test_text_part_lists_every_match_by_group():
    entries = [
        entry(stored_match(1, "keyword", "sanctions", title="First")),
        entry(stored_match(2, "pickup", "tag:r", title="Second"), "Our release", "https://press.example.org/r/"),
    ]
    text = email_text(entries, alert_name="desk", frequency="daily", tz=LONDON)
    assert text.startswith("2 new matches (alert 'desk', daily digest)\n")
    assert "Keyword rule 'sanctions' (1)" in text and "Pick-up of 'Our release' (1)" in text
    assert "https://press.example.org/r/" in text and "* First" in text and "* Second" in text
    assert "World News · 28 Nov 2026 12:00 GMT" in text and "https://news.example.com/k1" in text


@pytest.mark.parametrize(
    ("when", "tz", "shown"),
    [
        (NOW, LONDON, "28 Nov 2026 12:00 GMT"),
        (NOW.replace(month=7), LONDON, "28 Jul 2026 13:00 BST"),
        (NOW, ZoneInfo("UTC"), "28 Nov 2026 12:00 UTC"),
    ],
)
def test_local_time(when, tz, shown):
    assert local_time(when, tz) == shown


def test_build_email_is_multipart_alternative_text_then_html():
    entries = [entry(stored_match(i, title=f"{HOSTILE} {i}")) for i in (1, 2)]
    msg = build_email(
        entries, alert_name="desk", frequency="daily", to=("a@example.org", "b@example.org"),
        sender="Feeds <feeds@press.example.org>", now=NOW, tz=LONDON, key="k" * 32,
    )  # fmt: skip
    parsed = message_from_bytes(msg.as_bytes(), policy=policy.default)
    assert parsed.get_content_type() == "multipart/alternative"
    assert [p.get_content_type() for p in parsed.iter_parts()] == ["text/plain", "text/html"]
    assert parsed["Subject"] == "feeds: 2 new matches for 'sanctions'"
    assert parsed["To"] == "a@example.org, b@example.org"
    assert parsed["Message-ID"] == f"<{'k' * 32}@press.example.org>"
    assert parsed["Auto-Submitted"] == "auto-generated" and parsed["X-Feeds-Delivery"] == "k" * 32
    assert parsed["X-Auto-Response-Suppress"] == "All"
    assert parsed["Date"] == "Sat, 28 Nov 2026 12:00:00 +0000"
    html_part = parsed.get_body(("html",)).get_content()
    assert "&lt;script&gt;" in html_part and "<script>" not in html_part
    assert HOSTILE in parsed.get_body(("plain",)).get_content(), "the text part shows the title as it is"


def _shape(value):
    """Keys (in order) and value types of a JSON document, recursively: what a receiver codes against."""
    if isinstance(value, dict):
        return [(k, _shape(v)) for k, v in value.items()]
    if isinstance(value, list):
        return [_shape(v) for v in value[:1]]
    return "number" if isinstance(value, int | float) and not isinstance(value, bool) else type(value).__name__


def test_the_readme_documents_the_webhook_body_as_sent():
    """A receiver's operator codes against the README: its example body has the keys, order and types sent."""
    from pathlib import Path

    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    section = readme.split("- **Webhooks** (`[[alerts.webhooks]]`)", 1)[1].split("- **Email**", 1)[0]
    blocks = [json.loads(b) for b in re.findall(r"```json\n(.*?)```", section, re.S)]
    assert len(blocks) == 1, "the Webhooks bullet shows one example body"
    (documented,) = blocks
    keyword = json.loads(webhook_body(entry(stored_match(7, title="EU widens sanctions"), key="k"), "desk"))
    pickup = stored_match(8, "pickup", "tag:r", terms=("the minister arrived in Kyiv on Friday for talks",))
    coverage = json.loads(webhook_body(entry(pickup, "Minister visits", "https://press.example.org/r/"), "desk"))
    assert _shape(documented) == _shape(coverage), "the example is a coverage match (its release filled in)"
    assert [k for k, _ in _shape(keyword)] == [k for k, _ in _shape(documented)]


def test_a_digest_that_lists_fewer_than_it_carries_counts_them_all_and_says_how_many_more():
    from feeds.alerts.unlisted import Unlisted, UnlistedFeed

    entries = _entries([("keyword", "sanctions", "A"), ("keyword", "sanctions", "B")])
    link = "https://press.example.org/matches/atom.xml"
    one = Unlisted(1, NOW, NOW, (UnlistedFeed(None, link),), 50, "feeds matches list --since 2026-11-28T12:00:00Z")
    msg = build_email(
        entries, alert_name="daily", frequency="daily", to=["d@x.org"], sender="f@x.org", now=NOW, tz=LONDON,
        key="k" * 32, unlisted=one,
    )  # fmt: skip
    assert msg["Subject"] == "feeds: 3 new matches for 'sanctions'"
    text = msg.get_body(("plain",)).get_content().replace("\r\n", "\n")
    assert text.startswith("3 new matches (alert 'daily', daily digest)")
    assert (
        "1 of them is not listed here (a digest lists the 2 newest), found 28 Nov 2026 12:00 GMT.\n"
        f"The site's feed of all matches, which lists the 50 newest, holds it:\n{link}\n"
    ) in text
    assert email_subject(entries[:1], unlisted=4) == "feeds: 5 new matches for 'sanctions'"
    assert "not listed here" not in email_text(entries, alert_name="d", frequency="daily", tz=LONDON)


def test_unlisted_matches_in_several_rule_feeds_are_named_by_rule_alike_in_text_and_html():
    """Each rule's feed on a line of its own, its name before its link; in HTML the name escaped, the link only
    an http(s) one."""
    from datetime import timedelta

    from feeds.alerts.unlisted import Unlisted, UnlistedFeed

    entries = _entries([("keyword", "sanctions", "A")])
    feeds = (
        UnlistedFeed("<b>iran</b>", "https://press.example.org/matches/rules/iran/atom.xml"),
        UnlistedFeed("ukraine", "https://press.example.org/matches/rules/ukraine/atom.xml"),
    )
    u = Unlisted(7, NOW - timedelta(hours=3), NOW, feeds, 50, "feeds matches list --kind keyword --since x")
    text = email_text(entries, alert_name="d", frequency="daily", tz=LONDON, unlisted=u)
    page = email_html(entries, alert_name="d", frequency="daily", tz=LONDON, unlisted=u)
    head = "7 of them are not listed here (a digest lists the 1 newest), found from 28 Nov 2026 09:00 GMT"
    head += " to 28 Nov 2026 12:00 GMT."
    where = "The feeds of their rules, each listing its 50 newest, hold them:"
    assert f"{head}\n{where}\n'<b>iran</b>': {feeds[0].url}\n'ukraine': {feeds[1].url}\n" in text, text
    assert (
        f'<p>{head}<br>\n{where}<br>\n&#x27;&lt;b&gt;iran&lt;/b&gt;&#x27;: <a href="{feeds[0].url}">{feeds[0].url}</a>'
        f'<br>\n&#x27;ukraine&#x27;: <a href="{feeds[1].url}">{feeds[1].url}</a></p>'
    ) in page, page
    assert "feeds matches list" not in text + page, "a feed holds them: no command"


@pytest.mark.parametrize(
    "title",
    [
        "Sanctions on Russia tightened — Zürich banks & “ÉLAN” react",
        "Les sanctions frappent la Russie, déclare le ministère à Genève",
        "Sanktionen gegen Russland: Ministerin äußert sich in Köln über Öl und Gas",
        "Министр объявил о новых санкциях против судоходной сети",
        "制裁 制裁 制裁 制裁 制裁 制裁 制裁 制裁 制裁 制裁 制裁 制裁 制裁 制裁 制裁 制裁",
    ],
)
def test_a_long_non_ascii_subject_reaches_the_reader_with_every_space(title):
    """A subject long enough to be folded onto several lines, with non-ASCII words among ASCII ones: the mail
    client shows it as written. The email library's own folding (Python 3.11/3.12) puts neighbouring non-ASCII
    words in separate encoded words with only a folding space between them, which RFC 2047 §6.2 has the reader
    drop: "ministère à Genève" arrived as "ministèreàGenève"."""
    msg = build_email(
        [entry(stored_match(1, title=title))], alert_name="desk", frequency="immediate", to=["a@example.org"],
        sender="feeds@press.example.org", now=NOW, tz=LONDON, key="k" * 32,
    )  # fmt: skip
    raw = msg.as_bytes()
    assert raw.isascii() and all(len(line) <= 78 for line in raw.split(b"\n") if line.startswith(b"Subject"))
    parsed = message_from_bytes(raw, policy=policy.default)
    assert parsed["Subject"] == f"feeds: new match for 'sanctions': {title}"
    assert msg["Subject"] == f"feeds: new match for 'sanctions': {title}", "read back before sending, alike"
