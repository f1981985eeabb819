"""Item dates written with month and weekday names in the language of the site (`Di, 01 Dez 2026 10:00:00 +0100`,
`1 décembre 2026 10:00`, `01 декабря 2026, 10:00`, `martes, 1 de diciembre de 2026`) are read as written, in
Russian, Ukrainian, German, French, Spanish, Italian, Portuguese, Dutch, Polish, Arabic and Hebrew, with their
grammatical forms (the genitive of Russian, Ukrainian and Polish) and their abbreviations, with or without a dot.
feedparser reads none of them: the item was dated when first seen, so last week's article became coverage of
today's release. A date with a left-to-right or right-to-left mark in it (Arabic and Hebrew sites) is read
without the mark. feedparser stays the reference for every date it reads: the reader is only asked about one it
could not read."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from feeds.watch.parse import parse_with_feedparser, try_fast_parse
from tests.cli_watch_helpers import run

URL = "https://news.example.org/feed"


def rss(date: str, language: str = "") -> bytes:
    return (
        '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>D</title>'
        f"<link>https://news.example.org/</link><description>d</description>{language}<item><title>t</title>"
        f"<link>https://news.example.org/1</link><pubDate>{date}</pubDate></item></channel></rss>"
    ).encode()


def published(date: str) -> tuple[datetime | None, datetime | None]:
    fast = try_fast_parse(rss(date), url=URL)
    assert not isinstance(fast, str), fast
    return fast.items[0].published, parse_with_feedparser(rss(date), url=URL).items[0].published


TEN_CET = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)
TEN = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)
DAY = datetime(2026, 12, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        # RFC 822's shape with the site's names
        ("Di, 01 Dez 2026 10:00:00 +0100", TEN_CET),  # German
        ("Di., 01. Dez. 2026 10:00:00 +0100", TEN_CET),
        ("mar., 1 déc. 2026 10:00:00 +0100", TEN_CET),  # French
        ("Mar, 01 Dic 2026 10:00:00 +0100", TEN_CET),  # Spanish, Italian (Mar is Tuesday, then December)
        ("ter, 01 dez 2026 10:00:00 +0100", TEN_CET),  # Portuguese
        ("di, 01 dec 2026 10:00:00 +0100", TEN_CET),  # Dutch
        ("wt, 01 gru 2026 10:00:00 +0100", TEN_CET),  # Polish
        ("Вт, 01 дек 2026 13:00:00 +0300", TEN),  # Russian
        ("Вт, 01 груд. 2026 12:00:00 +0200", TEN),  # Ukrainian
        ("Mo, 02 Mär 2026 10:00:00 +0100", datetime(2026, 3, 2, 9, 0, tzinfo=UTC)),
        ("Di, 01 Dez 2026 13:00:00 MSK", TEN),  # a zone by its name (feedparser takes one it does not know as UTC)
        # Long forms, with the genitive and the words around the date
        ("1 décembre 2026 10:00", TEN),
        ("1er décembre 2026 à 10h00", TEN),
        ("mardi 1 decembre 2026", DAY),  # (written without its accent)
        ("01 декабря 2026, 10:00", TEN),
        ("1 декабря 2026 г. в 10:00", TEN),
        ("вторник, 1 декабря 2026 года", DAY),
        ("1 грудня 2026 р. о 10:00", TEN),
        ("вівторок, 1 грудня 2026", DAY),
        ("1 grudnia 2026 r., godz. 10:00", TEN),
        ("wtorek, 1 grudnia 2026", DAY),
        ("1 października 2026", datetime(2026, 10, 1, tzinfo=UTC)),
        ("martes, 1 de diciembre de 2026", DAY),
        ("1 de diciembre de 2026 a las 10:00", TEN),
        ("terça-feira, 1 de dezembro de 2026 às 10h00", TEN),
        ("martedì 1 dicembre 2026 ore 10:00", TEN),
        ("Dienstag, 1. Dezember 2026 um 10:00 Uhr", TEN),
        ("dinsdag 1 december 2026 om 10:00", TEN),
        ("1 mei 2026", datetime(2026, 5, 1, tzinfo=UTC)),
        # Arabic (the Egyptian and Gulf names, the Levantine ones, Arabic-Indic digits) and Hebrew
        ("الثلاثاء 1 ديسمبر 2026 - 10:00", TEN),
        ("١ ديسمبر ٢٠٢٦", DAY),
        ("1 كانون الأول 2026", DAY),
        ("1 أكتوبر 2026 10:00 م", datetime(2026, 10, 1, 22, 0, tzinfo=UTC)),
        ("יום שלישי, 1 בדצמבר 2026 10:00", TEN),
        ("1 בדצמבר 2026", DAY),
        # direction marks around or inside a date are no part of it
        ("\u200fTue, 01 Dec 2026 12:00:00 +0200", TEN),
        ("Tue, 01 Dec 2026 12:00:00 \u200e+0200", TEN),
        ("\u200f1 ديسمبر 2026\u200f", DAY),
        ("\u200e2026-12-01T10:00:00Z\u200e", TEN),
    ],
)
def test_a_date_with_the_sites_month_and_weekday_names_is_read_as_written(written, expected):
    assert published(written) == (expected, expected)


@pytest.mark.parametrize(
    "written",
    [
        "Di, 01 Foo 2026 10:00:00 +0100",  # a word that is no month
        "1 décembre 10:00",  # no year
        "1 décembre 2026 10:00 heure de Paris",  # words after the date that say nothing the reader knows
        "32 декабря 2026",  # no such day
        "31 listopada 2026",  # nor this one (November has 30)
        "Di, 01 Dez 2026 25:00:00 +0100",
        "1 Dez 2026 10:00:00 XYZ",  # a zone nobody knows: none rather than a guess
    ],
)
def test_a_date_it_cannot_read_in_full_is_none(written):
    assert published(written) == (None, None)


def test_a_date_feedparser_reads_never_reaches_the_reader(monkeypatch):
    """feedparser is the reference for every date it reads (every English feed's): the reader is asked only about
    one it could not read, so the dates of a feed polled before are the same."""
    import feeds.watch.localdates as local

    calls: list[str] = []
    real = local.localized_date
    monkeypatch.setattr(local, "localized_date", lambda s: calls.append(s) or real(s))
    assert published("Tue, 01 Dec 2026 10:00:00 +0100") == (TEN_CET, TEN_CET)
    assert published("1 Dec 2026") == (DAY, DAY)
    assert calls == []
    published("Di, 01 Dez 2026 10:00:00 +0100")
    assert calls == ["Di, 01 Dez 2026 10:00:00 +0100"] * 2


def test_a_polled_foreign_feed_dates_its_items_as_written(config, httpserver):
    """The press officer's view: a German article of 24 November polled on 1 December is that day's coverage, not
    today's."""
    httpserver.expect_request("/de.xml").respond_with_data(
        rss("Di, 24 Nov 2026 10:00:00 +0100", "<language>de</language>").replace(b"<title>t<", b"<title>Moskau<"),
        content_type="application/rss+xml",
    )
    assert run(config, "watch", "add", httpserver.url_for("/de.xml")).exit_code == 0
    assert run(config, "keywords", "add", "Moskau", "--name", "Moskau").exit_code == 0
    assert run(config, "watch", "poll").exit_code == 0
    (match,) = json.loads(run(config, "matches", "list", "--json").stdout)
    assert match["published"] == "2026-11-24T09:00:00Z"
