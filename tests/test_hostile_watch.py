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


def _atom(title: bytes) -> bytes:
    return (
        b'<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom"><title>T</title><id>urn:x</id>'
        b'<entry><id>urn:1</id><title type="html">' + title + b"</title>"
        b'<link href="http://a.example/1"/><updated>2026-11-30T09:00:00Z</updated></entry></feed>'
    )


def test_an_html_title_of_unclosed_tags_is_read_as_its_text() -> None:
    """300 KB of `&lt;a ` in an HTML title (a broken exporter) took Python's HTMLParser many minutes: it rescanned
    to the end of the text from every `<` that no `>` follows. Those read as text, as before, at once."""
    feed = parse_feed(_atom(b"Fares &lt;b&gt;frozen&lt;/b&gt; " + b"&lt;a " * 100_000), url=URL)
    (item,) = feed.items
    assert item.title.startswith("Fares frozen <a <a ")


def test_an_html_title_of_unclosed_comments_is_read_as_its_text() -> None:
    """An unclosed `<!--` was scanned to the end for its `-->`, from every one of them: quadratic too."""
    feed = parse_feed(_atom(b"Fares &lt;b&gt;frozen&lt;/b&gt; " + b"&lt;!-- a&gt;" * 100_000), url=URL)
    (item,) = feed.items
    assert item.title.startswith("Fares frozen <!-- a><!-- a>")


def test_discovery_reads_a_page_of_unclosed_tags() -> None:
    """`watch discover` reads the first 256 KB of a page for its feed links with the same parser."""
    from feeds.watch.feedlinks import find_feed_links

    page = b'<link rel="alternate" type="application/rss+xml" href="/rss"><p>' + b"<a " * 85_000
    assert find_feed_links(page, "http://a.example/") == [("http://a.example/rss", "", "application/rss+xml")]
