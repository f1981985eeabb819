"""Hostile or mistaken watched feeds through the real parser (`parse_feed`): each is read, or refused with an
error naming the feed, never an exception that is not a `FeedParseError`."""

from __future__ import annotations

from feeds.watch.parse import parse_feed

URL = "http://127.0.0.1/feed.json"


def test_lone_surrogates_in_a_json_feed_are_replaced_not_a_crash() -> None:
    """JSON allows an escaped lone surrogate (`"\\ud800"`), which Python keeps in the string and cannot encode:
    hashing the item raised `UnicodeEncodeError` out of the parser. It reads as U+FFFD, as a decoder shows it;
    a real pair (an emoji) and an escaped backslash before `ud800` are left as they are."""
    body = (
        b'{"version": "https://jsonfeed.org/version/1.1", "title": "Fish\\udc00",'
        b' "items": [{"id": "1", "title": "Quota \\ud800 cut \\ud83d\\ude00", "url": "http://a.example/1",'
        b' "content_text": "a \\\\ud800 b"}]}'
    )
    feed = parse_feed(body, url=URL, content_type="application/feed+json")
    (item,) = feed.items
    assert item.title == "Quota \ufffd cut \U0001f600"
    assert "\\ud800" in item.content_text
