"""The language a watched feed gives (RSS `<language>`, `<dc:language>`, an Atom or RSS root's `xml:lang`) is kept with
each of its items (migration 37), shown by `feeds matches list --json`, and published with the item's own words:
the quoted summary of a match feed's entry and the item's title on a release page carry `lang`, so a screen reader
speaks Russian as Russian and a browser draws 莫斯科 with a Chinese font rather than a Japanese one."""

from __future__ import annotations

import json

import pytest

from feeds.watch.parse import parse_with_feedparser, try_fast_parse
from tests.cli_watch_helpers import run

URL = "https://news.example.org/feed"


def rss(language: str) -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Вести</title>'
        f"<link>https://vesti.example/</link><description>d</description>{language}"
        "<item><title>Лавров примет главу МИД в Москве</title><link>https://vesti.example/1</link>"
        "<description>Визит пройдёт до конца года.</description></item></channel></rss>"
    ).encode()


ATOM = (
    '<?xml version="1.0" encoding="utf-8"?><feed xmlns="http://www.w3.org/2005/Atom" xml:lang="fr">'
    "<title>Le Quotidien</title><id>urn:q</id><updated>2026-11-30T10:00:00Z</updated>"
    "<entry><id>urn:1</id><title>Boris Johnson attendu à Moscou</title><updated>2026-11-30T10:00:00Z</updated>"
    "</entry></feed>"
).encode()


@pytest.mark.parametrize(
    ("body", "language"),
    [
        (rss("<language>ru</language>"), "ru"),
        (rss("<language> ru_RU </language>"), "ru-RU"),
        (rss('<dc:language xmlns:dc="http://purl.org/dc/elements/1.1/">uk</dc:language>'), "uk"),
        (rss("<language>Russian</language>"), None),  # not a language tag: none rather than a wrong one
        (rss(""), None),
        (ATOM, "fr"),
    ],
)
def test_a_feeds_language_is_kept_with_its_items_on_both_paths(body, language):
    fast = try_fast_parse(body, url=URL)
    assert not isinstance(fast, str), fast
    assert [i.language for i in fast.items] == [language]
    assert [i.language for i in parse_with_feedparser(body, url=URL).items] == [language]


def _serve(config, httpserver):
    body = rss("<language>ru</language>")
    httpserver.expect_request("/ru.xml").respond_with_data(body, content_type="application/rss+xml")
    assert run(config, "watch", "add", httpserver.url_for("/ru.xml")).exit_code == 0
    assert run(config, "keywords", "add", "Москв*", "--name", "Москва").exit_code == 0
    assert run(config, "watch", "poll").exit_code == 0


def test_matches_list_json_gives_the_items_language(config, httpserver):
    _serve(config, httpserver)
    (match,) = json.loads(run(config, "matches", "list", "--json").stdout)
    assert match["language"] == "ru"


def test_the_match_feed_quotes_the_item_in_its_language(config, httpserver, tmp_path):
    from lxml import etree, html

    _serve(config, httpserver)
    assert run(config, "publish").exit_code == 0
    atom = next(tmp_path.rglob("matches/atom.xml"))
    entry = etree.parse(str(atom)).getroot().find("{http://www.w3.org/2005/Atom}entry")
    content = html.fragment_fromstring(entry.findtext("{http://www.w3.org/2005/Atom}content"), create_parent="div")
    (quote,) = content.xpath("//blockquote")
    assert quote.get("lang") == "ru"
    assert entry.get("{http://www.w3.org/XML/1998/namespace}lang") is None, "the entry's own sentences are ours"
