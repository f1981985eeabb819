"""Polish review: headlines that read like an embargo, a resumed watched feed's status, a release card's extra
topics, and the print stylesheet's link addresses."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
from lxml import html as lxml_html

from feeds.ingest.embargo import is_embargo_line
from feeds.ingest.formats import parse_release_file
from feeds.publish.pages import PageRenderer
from tests.cli_watch_helpers import run
from tests.test_ingest_dates import headline_in_every_format
from tests.test_publish_pages import ALL_FEEDS, COVERAGE, SITE, make_release, render_release


@pytest.mark.parametrize(
    "headline",
    [
        "Embargoed to 2027, fishing fleet waits",
        "Embargoed until 2027, fishing fleet waits",
        "Embargo 2027, fishing fleet waits",
        "Embargoed to protect the fishing fleet",
        "Under embargo to 2030: the Iran fleet",
        "Embargoed until 1500 jobs are saved",
    ],
)
def test_a_headline_that_reads_like_an_embargo_is_the_title_not_an_embargo(headline: str) -> None:
    assert not is_embargo_line(headline)
    for name, raw in headline_in_every_format(headline):
        assert raw.title == headline and raw.published is None, name


@pytest.mark.parametrize(
    "line",
    ["EMBARGOED UNTIL 1000 EST", "Embargoed until 1000 Paris time", "Embargoed until 2027, time to be confirmed"],
)
def test_four_digits_then_a_zone_or_time_but_no_date_is_still_an_embargo_line(line: str) -> None:
    assert is_embargo_line(line)


@pytest.mark.parametrize(
    ("line", "when"),
    [
        ("Embargoed to 00:01 Thursday 3 December 2026", "00:01 Thursday 3 December 2026"),
        ("EMBARGOED TO 0001 THURSDAY 3 DECEMBER 2026", "00:01 THURSDAY 3 DECEMBER 2026"),
        ("Embargoed to Thursday 3 December 2026, 00:01", "Thursday 3 December 2026, 00:01"),
        ("Embargoed until 2230, 3 December 2026", "22:30, 3 December 2026"),
        ("EMBARGOED UNTIL 2230 ON 3 DECEMBER 2026", "22:30 3 DECEMBER 2026"),
        ("Embargoed until 2026-12-03 00:01", "2026-12-03 00:01"),
        ("EMBARGOED UNTIL 1000 EST 3 DECEMBER 2026", "10:00 EST 3 DECEMBER 2026"),
        ("Embargoed until 1000 +05:30 3 December 2026", "10:00 +05:30 3 December 2026"),
        ("Embargo 0930 GMT 3 December 2026", "09:30 GMT 3 December 2026"),
        ("Not for publication before 1000 CET 3 December 2026", "10:00 CET 3 December 2026"),
    ],
)
def test_real_embargo_lines_with_to_or_a_four_digit_time_are_still_taken(line: str, when: str) -> None:
    assert is_embargo_line(line)
    (raw,) = parse_release_file(
        f"{line}\n\nNew strategy\n\nThe plan.\n".encode(), "e.txt", source="inbox", origin="/srv/inbox/e.txt"
    )
    assert raw.title == "New strategy" and raw.published == when


def test_a_failing_feed_resumed_shows_it_waits_for_its_next_check_not_ok(config, httpserver) -> None:
    httpserver.expect_request("/bad.xml").respond_with_data("oops", status=500)
    url = httpserver.url_for("/bad.xml")
    assert run(config, "watch", "add", "--no-check", url).exit_code == 0
    run(config, "watch", "poll")
    assert run(config, "watch", "edit", "1", "--disable").exit_code == 0
    resumed = run(config, "watch", "edit", "1", "--enable")
    assert resumed.exit_code == 0 and ": ok," not in resumed.output
    head, detail = run(config, "watch", "list").output.splitlines()[:2]
    assert head.split()[1] != "ok" and "waits for its next check" in detail


@pytest.mark.parametrize(
    ("language", "more"),
    [
        ("en-GB", ["and 3 more", "and 1 more"]),
        ("de", ["und 3 weitere", "und 1 weiteres"]),
        ("fr", ["et 3 autres", "et 1 autre"]),
        ("es", ["y 3 más", "y 1 más"]),
        ("cy", ["a 3 arall", "ac 1 arall"]),
    ],
)
def test_a_card_with_more_than_eight_topics_says_how_many_more_in_the_site_s_language(
    language: str, more: list[str]
) -> None:
    site = dataclasses.replace(SITE, language=language)
    cards = (
        make_release("many", topics=tuple(f"Topic {n}" for n in range(11))),
        make_release("nine", topics=tuple(f"Topic {n}" for n in range(9))),
        make_release("eight", topics=tuple(f"Topic {n}" for n in range(8))),
    )
    page = PageRenderer(site).index_page(releases=cards, feeds=ALL_FEEDS, stylesheet_url="static/site.css")
    doc = lxml_html.fromstring(page.data)
    lists = doc.xpath("//ol[@class='releases']//ul[@class='topics']")
    assert [len(ul.xpath("li/a")) for ul in lists] == [8, 8, 8]
    said = sorted(" ".join(li.text_content().split()) for li in doc.xpath("//li[@class='more']"))
    assert said == sorted(more)
    assert "…" not in page.data.decode()


def test_the_count_of_more_topics_on_a_card_in_another_language_is_marked_in_the_site_s_language() -> None:
    card = make_release("many", language="fr", topics=tuple(f"Sujet {n}" for n in range(10)))
    page = PageRenderer(SITE).index_page(releases=(card,), feeds=ALL_FEEDS, stylesheet_url="static/site.css")
    (more,) = lxml_html.fromstring(page.data).xpath("//li[@class='more']")
    assert more.text_content() == "and 2 more" and more.get("lang") == "en-GB"


_PRINTED_ADDRESS = re.compile(r"([^{}]+)\{[^}]*content:\s*\" \(\" attr\(href\) \"\)\"")


def test_a_printed_link_whose_text_is_its_address_does_not_print_the_address_again() -> None:
    body = (
        '<p>See <a href="https://www.gov.uk/coast" rel="noopener noreferrer">www.gov.uk/coast</a>, '
        '<a href="https://example.org/r?a=1&amp;b=2" rel="noopener noreferrer">https://example.org/r?a=1&amp;b=2</a>, '
        '<a href="https://example.org/report/" rel="noopener noreferrer">example.org/report</a> and '
        '<a href="https://example.org/plan" rel="noopener noreferrer">the plan</a>.</p>'
    )
    coverage = (
        dataclasses.replace(COVERAGE[0], title="https://local-paper.example.com/news/saltmarsh-wall"),
        COVERAGE[1],
    )
    doc = render_release(PageRenderer(SITE), make_release(body_html=body), coverage=coverage)
    shown = {
        a.text_content(): a.get("class") for a in doc.xpath("//div[@class='body']//a | //section[@class='coverage']//a")
    }
    assert shown == {
        "www.gov.uk/coast": "url",
        "https://example.org/r?a=1&b=2": "url",
        "example.org/report": "url",
        "the plan": None,
        "https://local-paper.example.com/news/saltmarsh-wall": "url",
        "Coastal spending under scrutiny": None,
    }
    css = (Path(__file__).resolve().parent.parent / "feeds" / "static" / "site.css").read_text("utf-8")
    printed = re.sub(r"/\*.*?\*/", "", css[css.index("@media print") :], flags=re.DOTALL)
    (selectors,) = _PRINTED_ADDRESS.findall(printed)
    assert [s.strip() for s in selectors.split(",")] == [
        '.body a[href^="http"]:not(.url)::after',
        '.coverage a[href^="http"]:not(.url)::after',
    ]
