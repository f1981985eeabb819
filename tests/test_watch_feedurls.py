"""The one spelling a watched feed's URL is stored under (`canonical_feed_url`)."""

from __future__ import annotations

import pytest

from feeds.watch.feedurls import canonical_feed_url, feed_url_problem


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


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        (
            "www.example.com/rss",
            "a watched feed needs an absolute http(s) URL: did you mean https://www.example.com/rss?",
        ),
        ("news.example.org", "a watched feed needs an absolute http(s) URL: did you mean https://news.example.org?"),
        # a file's name is no host: "did you mean https://news.xml?" sent the press officer to a site that is none
        ("news.xml", "a watched feed needs an absolute http(s) URL: news.xml is a file's name; give its site too"),
        ("Feed.RSS", "a watched feed needs an absolute http(s) URL: Feed.RSS is a file's name; give its site too"),
        ("/relative.xml", "a watched feed needs an absolute http(s) URL"),
    ],
)
def test_a_url_that_is_not_absolute_is_refused_with_a_suggestion_only_where_it_helps(url: str, problem: str) -> None:
    assert feed_url_problem(url) == problem
