"""What bounds the time one fetched document can cost: feedparser's tolerant parser, which takes seconds per
megabyte of some malformed input, never sees an HTML page, nor more than FALLBACK_MAX_BYTES of a document."""

from __future__ import annotations

import feedparser
import pytest

from feeds.errors import FeedParseError
from feeds.watch import feeditems, parse
from feeds.watch.parse import parse_feed

ITEM = "<item><title>Story {n} &amp; more</title><guid isPermaLink='false'>s{n}</guid></item>"


def sloppy_rss(items: int) -> bytes:
    """RSS that libxml2 refuses (a bare ampersand in the channel title), so feedparser has to read it."""
    body = "".join(ITEM.format(n=n) for n in range(items))
    return f"<?xml version='1.0'?><rss version='2.0'><channel><title>A & B</title>{body}</channel></rss>".encode()


@pytest.fixture
def feedparser_inputs(monkeypatch) -> list[int]:
    """The size of every document handed to feedparser."""
    sizes: list[int] = []
    real = feedparser.parse

    def recording(stream, **kw):
        data = stream.read()
        sizes.append(len(data))
        stream.seek(0)
        return real(stream, **kw)

    monkeypatch.setattr(parse.feedparser, "parse", recording)
    return sizes


def test_an_html_page_is_told_apart_without_feedparser(feedparser_inputs):
    page = b"<!DOCTYPE html><html><head><title>News</title></head><body>" + b"<p><b><i>" * 200_000
    with pytest.raises(FeedParseError, match="HTML page, not a feed"):
        parse_feed(page, url="https://news.example.net/")
    assert feedparser_inputs == []


def test_a_feed_served_as_text_html_is_still_a_feed(feedparser_inputs):
    parsed = parse_feed(sloppy_rss(3), url="https://news.example.net/rss", content_type="text/html")
    assert len(parsed.items) == 3 and feedparser_inputs == [len(sloppy_rss(3))]


def test_a_large_malformed_document_is_read_up_to_its_last_whole_item_within_the_limit(feedparser_inputs, monkeypatch):
    monkeypatch.setattr(parse, "FALLBACK_MAX_BYTES", 1000)
    body = sloppy_rss(40)
    parsed = parse_feed(body, url="https://news.example.net/rss")
    (size,) = feedparser_inputs
    assert size <= 1000 and body[:size].endswith(b"</item>")
    assert [it.title for it in parsed.items] == [f"Story {n} & more" for n in range(len(parsed.items))]
    assert 5 < len(parsed.items) < 40
    assert parsed.warning is not None and "only its first part was read" in parsed.warning
    assert parse_feed(body, url="https://news.example.net/rss").items == parsed.items, "the same part each time"


def test_a_small_malformed_document_is_read_whole(feedparser_inputs):
    parsed = parse_feed(sloppy_rss(40), url="https://news.example.net/rss")
    assert len(parsed.items) == 40 and feedparser_inputs == [len(sloppy_rss(40))]
    assert "only its first part" not in (parsed.warning or "")


def test_an_items_text_beyond_the_limit_is_cut_before_it_is_read(monkeypatch):
    monkeypatch.setattr(feeditems, "MAX_ITEM_CHARS", 400)
    words = "".join(f"<p>Paragraph {n} of a very long article.</p>" for n in range(100))
    rss = (
        "<?xml version='1.0'?><rss version='2.0' xmlns:content='http://purl.org/rss/1.0/modules/content/'>"
        "<channel><title>T</title><item><title>Long</title><guid isPermaLink='false'>l</guid>"
        f"<description>Short summary.</description><content:encoded><![CDATA[{words}]]></content:encoded>"
        "</item></channel></rss>"
    )
    (item,) = parse_feed(rss.encode(), url="https://news.example.net/rss").items
    assert item.content_text.startswith("Paragraph 0 of") and "Paragraph 20 " not in item.content_text
    assert len(item.content_text) <= 400 and "<" not in item.content_text, "the cut is closed again"
    assert item.summary == "Short summary."
