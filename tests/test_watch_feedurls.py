"""The one spelling a watched feed's URL is stored under (`canonical_feed_url`)."""

from __future__ import annotations

import pytest

from feeds.watch.feedurls import canonical_feed_url


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("HTTP://News.Example.com:80/rss#top", "http://news.example.com/rss"),
        ("https://example.org/./a/../wire.xml", "https://example.org/wire.xml"),
        ("https://example.org/%77ire.xml", "https://example.org/wire.xml"),
        ("https://example.org", "https://example.org/"),
        # an empty segment is part of the path, not a host: `//rss/news.xml` is not `rss`'s `/news.xml`
        ("https://example.org//rss/news.xml", "https://example.org//rss/news.xml"),
        ("https://example.org//news.xml", "https://example.org//news.xml"),
        ("https://example.org/a//b.xml", "https://example.org/a//b.xml"),
        ("https://example.org/a/b/..", "https://example.org/a/"),
        ("https://example.org/..", "https://example.org/"),
    ],
)
def test_canonical_feed_url(url: str, canonical: str) -> None:
    assert canonical_feed_url(url) == canonical
