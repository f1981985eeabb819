"""A feed in its language's legacy encoding that declares none (no charset from the server, no `encoding=` in the
XML declaration) is read in the encoding its language has been written in (`<language>ru</language>`: Windows-1251),
as browsers read an undeclared page by its locale, instead of as Windows-1252, which turns Cyrillic into
"Ëàâðîâ" that no rule finds. A declared encoding, and a feed in a language whose legacy encoding is Windows-1252,
are read as before."""

from __future__ import annotations

import pytest

from feeds.watch.legacycharset import language_charset
from feeds.watch.parse import parse_feed, parse_with_feedparser, try_fast_parse
from tests.cli_watch_helpers import run

URL = "https://news.example.org/feed"


def rss(title: str, summary: str, *, language: str | None, declaration: str = '<?xml version="1.0"?>') -> str:
    lang = f"<language>{language}</language>" if language else ""
    return (
        f'{declaration}<rss version="2.0"><channel><title>Desk</title><link>https://news.example.org/</link>'
        f"<description>d</description>{lang}<item><title>{title}</title><link>https://news.example.org/1</link>"
        f"<description>{summary}</description></item></channel></rss>"
    )


CASES = [
    ("ru", "windows-1251", "Лавров примет главу МИД в Москве", "Визит пройдёт до конца года."),
    ("uk-UA", "windows-1251", "Джонсон їде до Москви", "Міністр відвідає Москву."),
    ("ar", "windows-1256", "وزير الخارجية البريطاني يزور موسكو", "يلتقي لافروف."),
    ("ja", "shift_jis", "英外相がモスクワ訪問へ", "ラブロフ外相と会談"),
    ("zh-CN", "gb18030", "英国外交大臣将访问莫斯科", "拉夫罗夫将会谈"),
    ("el", "iso-8859-7", "Ο Βρετανός υπουργός στη Μόσχα", "Συνάντηση με τον Λαβρόφ."),
    ("pl", "iso-8859-2", "Brytyjski minister jedzie do Moskwy", "Spotkanie z Ławrowem."),
]


@pytest.mark.parametrize(("language", "encoding", "title", "summary"), CASES)
def test_an_undeclared_legacy_encoding_is_read_by_the_feeds_language(language, encoding, title, summary):
    body = rss(title, summary, language=language).encode(encoding)
    parsed = parse_feed(body, url=URL)
    assert (parsed.items[0].title, parsed.items[0].summary) == (title, summary)
    assert parsed.warning is not None and f"read as {encoding}" in parsed.warning, parsed.warning
    assert language in parsed.warning, "the warning says which language decided it"


def test_both_paths_read_it_alike():
    """The fast path and feedparser's (the fallback for documents libxml2 refuses) decide the same way."""
    title = "Лавров примет главу МИД в Москве"
    body = rss(title, "x", language="ru").encode("windows-1251")
    fast = try_fast_parse(body, url=URL)
    assert not isinstance(fast, str), fast
    assert fast.items[0].title == title
    assert parse_with_feedparser(body, url=URL).items[0].title == title
    broken = body.replace(b"</channel>", b"<p></channel>")  # not well-formed: feedparser's tolerant parser
    assert isinstance(try_fast_parse(broken, url=URL), str)
    assert parse_feed(broken, url=URL).items[0].title == title


def test_atom_xml_lang_decides_too():
    title = "Лавров примет главу МИД в Москве"
    body = (
        '<?xml version="1.0"?><feed xmlns="http://www.w3.org/2005/Atom" xml:lang="ru"><title>Лента</title>'
        "<id>urn:x</id><updated>2026-11-30T10:00:00Z</updated><entry><id>urn:1</id><title>"
        + title
        + "</title><updated>2026-11-30T10:00:00Z</updated></entry></feed>"
    ).encode("windows-1251")
    assert parse_feed(body, url=URL).items[0].title == title


@pytest.mark.parametrize(
    ("body", "title"),
    [
        # declared in the XML declaration: the declaration is taken, as ever
        (rss("Лавров", "x", language="ru", declaration='<?xml version="1.0" encoding="koi8-r"?>'), "Лавров"),
        # valid UTF-8: nothing to guess
        (rss("Лавров", "x", language="uk"), "Лавров"),
        # a language written in Windows-1252 (and English, and no language at all): as before
        (rss("Außenminister in Moskau", "x", language="de"), "Außenminister in Moskau"),
        (rss("Café talks", "x", language="en-GB"), "Café talks"),
        (rss("Café talks", "x", language=None), "Café talks"),
    ],
)
def test_what_declares_or_needs_no_guess_is_read_as_before(body, title):
    encoding = "koi8-r" if "koi8-r" in body else ("utf-8" if "Лавров" in body else "windows-1252")
    parsed = parse_feed(body.encode(encoding), url=URL)
    assert parsed.items[0].title == title
    assert parsed.warning is None or "read as" not in parsed.warning


def test_the_servers_charset_wins_over_the_language():
    body = rss("Лавров", "x", language="ru").encode("koi8-r")
    parsed = parse_feed(body, url=URL, encoding="koi8-r")
    assert parsed.items[0].title == "Лавров" and parsed.warning is None


def test_an_encoding_that_cannot_read_the_bytes_is_not_forced():
    """Bytes that are not Shift_JIS in a feed saying `ja` stay as feedparser's guess read them (nothing lost)."""
    body = rss("Caf\xe9 \x81\x7f", "x", language="ja").encode("latin-1")
    parsed = parse_feed(body, url=URL)
    assert parsed.items[0].title.startswith("Caf")


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"<rss><channel><language>ru-RU</language>", "windows-1251"),
        (b"<rss><channel><dc:language> sr </dc:language>", "windows-1251"),
        (b'<feed xml:lang="he">', "windows-1255"),
        (b"<rss><channel><language>zh-TW</language>", "big5"),
        (b"<rss><channel><language>zh-hk</language>", "big5"),
        (b"<rss><channel><language>zh</language>", "gb18030"),
        (b"<rss><channel><language>ko</language>", "euc-kr"),
        (b"<rss><channel><language>tr</language>", "windows-1254"),
        (b"<rss><channel><language>en</language>", None),
        (b"<rss><channel><language>fr</language>", None),
        (b"<rss><channel>", None),
    ],
)
def test_language_charset_table(head, expected):
    assert language_charset(head) == expected


def test_a_polled_feed_in_windows_1251_without_a_declaration_is_matched(config, httpserver):
    """End to end: the server says `application/rss+xml`, the document nothing; a Russian rule finds its item."""
    body = rss("Лавров примет главу МИД в Москве", "Визит пройдёт до конца года.", language="ru")
    httpserver.expect_request("/ru.xml").respond_with_data(
        body.encode("windows-1251"), content_type="application/rss+xml"
    )
    assert run(config, "watch", "add", httpserver.url_for("/ru.xml")).exit_code == 0
    assert run(config, "keywords", "add", "Москв*", "--name", "Москва").exit_code == 0
    polled = run(config, "watch", "poll")
    assert "+1 match" in polled.output and "read as windows-1251" in polled.output, polled.output
    listed = run(config, "matches", "list")
    assert "Лавров примет главу МИД в Москве" in listed.output


# A declared Shift_JIS, EUC-KR, Big5 or GB2312 is read as its Windows superset, as every browser reads it (the
# WHATWG Encoding Standard's labels): Japanese feeds write ① and ㈱ (Windows-31J), Korean ones 똠 (Windows-949),
# which Python's strict codecs refuse, and the whole document was then read as Windows-1252.


@pytest.mark.parametrize(
    ("declared", "written_in", "title"),
    [
        ("Shift_JIS", "cp932", "①ラブロフ外相㈱"),
        ("euc-kr", "cp949", "똠방각하 러시아"),
        ("big5", "cp950", "拉夫羅夫 恒"),
        ("gb2312", "gb18030", "朱镕基会见拉夫罗夫 €"),
    ],
)
def test_a_declared_east_asian_encoding_is_read_as_its_windows_superset(declared, written_in, title):
    declaration = f'<?xml version="1.0" encoding="{declared}"?>'
    body = rss(title, "x", language=None, declaration=declaration).encode(written_in)
    parsed = parse_feed(body, url=URL)
    assert parsed.items[0].title == title
    assert parsed.warning is None, "the feed said what browsers read it as: nothing to tell its editors"
    # and when the server is the one that says it
    undeclared = rss(title, "x", language=None).encode(written_in)
    assert parse_feed(undeclared, url=URL, encoding=declared.lower()).items[0].title == title
