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


# --- JSON Feed 1.1: `language` at the top and on an item ----------------------------------------------------------


def json_feed(language: object = None, *items: dict[str, object]) -> bytes:
    doc: dict[str, object] = {"version": "https://jsonfeed.org/version/1.1", "title": "Вести", "items": list(items)}
    if language is not None:
        doc["language"] = language
    return json.dumps(doc, ensure_ascii=False).encode()


def story(n: int, language: object = None) -> dict[str, object]:
    it: dict[str, object] = {"id": str(n), "url": f"https://vesti.example/{n}", "title": "Лавров в Москве"}
    if language is not None:
        it["language"] = language
    return it


@pytest.mark.parametrize(
    ("body", "languages"),
    [
        (json_feed("ru", story(1)), ["ru"]),
        (json_feed("ru-RU", story(1), story(2, "en-GB")), ["ru-RU", "en-GB"]),  # an item's own first
        (json_feed(None, story(1, "uk"), story(2)), ["uk", None]),
        (json_feed(" ru_RU ", story(1)), ["ru-RU"]),  # written as BCP 47, as an RSS one is
        (json_feed("Russian", story(1, "Ukrainian")), [None]),  # not language tags: none rather than a wrong one
        (json_feed(7, story(1, ["ru"])), [None]),  # nor other types
        (json_feed("ru", story(1, "")), ["ru"]),
    ],
)
def test_a_json_feeds_language_and_its_items_are_kept_with_its_items(body, languages):
    from feeds.watch.parse import parse_feed

    assert [i.language for i in parse_feed(body, url="https://vesti.example/feed.json").items] == languages


def test_a_polled_json_feed_gives_its_items_language(config, httpserver):
    body = json_feed("ru", story(1), story(2, "uk") | {"title": "Лавров у Москві"})
    httpserver.expect_request("/feed.json").respond_with_data(body, content_type="application/feed+json")
    assert run(config, "watch", "add", httpserver.url_for("/feed.json")).exit_code == 0
    assert run(config, "keywords", "add", "Москв*", "--name", "Москва").exit_code == 0
    assert run(config, "watch", "poll").exit_code == 0
    found = {m["link"]: m["language"] for m in json.loads(run(config, "matches", "list", "--json").stdout)}
    assert found == {"https://vesti.example/1": "ru", "https://vesti.example/2": "uk"}
