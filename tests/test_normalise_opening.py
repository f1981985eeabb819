"""What a hand-written release says in its opening lines: its date, its label, its headline pasted again.

Press officers write the date into the text ("LONDON, 3 November 2026 –", a line "4 November 2026"), head a file
with "Press release", paste the headline again as the first line, and save Word documents as HTML. None of
that is metadata, and a release must not be dated at ingest, titled "Press release" or "Microsoft Word", or
summarised by its dateline because of it."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from feeds.config import Site, TopicSettings
from feeds.errors import InvalidReleaseError
from feeds.ingest.formats import parse_release_file
from feeds.model import Release
from feeds.normalise import normalise_release
from feeds.normalise.datelines import opening_date

SITE = Site(
    title="Department for Coastal Affairs",
    base_url="https://press.example.org/",
    author="Example Press Office",
    language="en-GB",
    timezone="Europe/London",
)
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
LONDON = ZoneInfo("Europe/London")


def read(name: str, text: str) -> Release:
    (raw,) = parse_release_file(text.encode(), name, source="inbox", origin=f"/srv/inbox/{name}")
    return normalise_release(raw, SITE, TopicSettings(), NOW)


@pytest.mark.parametrize(
    ("paragraphs", "when", "alone", "rest"),
    [
        (
            ["LONDON, 3 November 2026 – The UK has announced aid."],
            "2026-11-03T00:00",
            False,
            "The UK has announced aid.",
        ),
        (["Title again", "4 November 2026", "Text."], "2026-11-04T00:00", True, ""),
        (["Tehran, 27 November 2026. We are calling for calm."], "2026-11-27T00:00", False, "We are calling for calm."),
        (["LONDON (27 November 2026) – The Minister spoke."], "2026-11-27T00:00", False, "The Minister spoke."),
        (["27/11/2026 – The Minister spoke."], "2026-11-27T00:00", False, "The Minister spoke."),
        (["Released 03/04/2026"], "2026-04-02T23:00", True, ""),  # day first; midnight in London is 23:00 UTC (BST)
        (["Tehran, 27 November 2026.", "We are calling for calm."], "2026-11-27T00:00", True, ""),
        (["27.11.2026 – The Minister spoke."], "2026-11-27T00:00", False, "The Minister spoke."),
        (["2026-11-27 – The Minister spoke."], "2026-11-27T00:00", False, "The Minister spoke."),
        (["NEW YORK, Nov. 27, 2026 /PRNewswire/ -- Acme said."], "2026-11-27T00:00", False, "Acme said."),
        (["Published: 5 November 2026", "Text."], "2026-11-05T00:00", True, ""),
        (["Monday 2 November 2026 10:30", "Text."], "2026-11-02T10:30", True, ""),
        (
            ["**LONDON, Tuesday 10 November 2026** — The Chancellor spoke."],
            "2026-11-10T00:00",
            False,
            "The Chancellor spoke.",
        ),
        (["1 July 2026: The ferry runs again."], "2026-06-30T23:00", False, "The ferry runs again."),
        (["November 3, 2026 - WASHINGTON talks begin."], "2026-11-03T00:00", False, "WASHINGTON talks begin."),
        # A time with its zone (an editor's review: the dateline was the summary and the release dated at ingest).
        (["PORTSMOUTH, 2 November 2026 09:30 GMT – Ferries run."], "2026-11-02T09:30", False, "Ferries run."),
        (["PORTSMOUTH, 2 July 2026, 10am BST – Ferries run."], "2026-07-02T09:00", False, "Ferries run."),
        (["Monday 2 November 2026 10:30 UTC", "Text."], "2026-11-02T10:30", True, ""),
        (["FOR IMMEDIATE RELEASE: 3 June 2026", "Text."], "2026-06-02T23:00", True, ""),
        (["For immediate release – Wednesday 3 June 2026", "Text."], "2026-06-02T23:00", True, ""),
    ],
)
def test_a_date_stated_in_the_opening_lines(paragraphs: list[str], when: str, alone: bool, rest: str) -> None:
    found = opening_date(paragraphs, LONDON)
    assert found is not None
    assert found.when == datetime.fromisoformat(when).replace(tzinfo=UTC)  # local time in London, as UTC
    assert (found.alone, found.rest) == (alone, rest)


@pytest.mark.parametrize(
    "paragraphs",
    [
        ["The Minister will visit on 3 November 2026."],  # a date inside a sentence is no dateline
        ["Paris, le 9 novembre 2026"],  # not a month name we read: better no date than a wrong one
        ["LONDON, 31 February 2026 – Text."],  # no such day
        ["One", "Two", "Three", "4 November 2026"],  # too far down to be the release's own date
    ],
)
def test_no_date_is_guessed(paragraphs: list[str]) -> None:
    assert opening_date(paragraphs, LONDON) is None


def test_a_dateline_dates_the_release_and_stays_out_of_the_summary() -> None:
    r = read("aid.txt", "Aid for flood-hit towns\n\nLONDON, 3 November 2026 – The UK has announced aid.\n\nMore.\n")
    assert r.published == datetime(2026, 11, 3, tzinfo=UTC) and r.id.startswith("tag:press.example.org,2026-11-03:")
    assert r.summary == "The UK has announced aid."
    assert "LONDON, 3 November 2026 –" in r.body_html, "the dateline stays in the body (wire style)"


def test_a_date_line_and_a_repeated_headline_leave_the_body() -> None:
    text = "Ferry fares frozen\n\nFerry fares frozen\n\n4 November 2026\n\nFares stay at this year's level.\n"
    r = read("fares.txt", text)
    assert r.published == datetime(2026, 11, 4, tzinfo=UTC)
    assert r.body_html == "<p>Fares stay at this year's level.</p>" and r.summary == "Fares stay at this year's level."


def test_a_date_line_repeating_the_given_date_leaves_the_body_and_the_summary() -> None:
    embargoed = read(
        "police.txt",
        "EMBARGOED UNTIL 00:01 FRIDAY 27 NOVEMBER 2026\n\nNew police officers\n\nPublished: 27 November 2026\n\n"
        "The Home Secretary has announced 1,000 new officers.\n",
    )
    assert embargoed.published == datetime(2026, 11, 27, 0, 1, tzinfo=UTC)
    assert embargoed.summary == "The Home Secretary has announced 1,000 new officers."
    assert "Published:" not in embargoed.body_html
    front_matter = read("t.md", "---\ntitle: Talks\ndate: 2026-11-09 10:00\n---\n9 November 2026\n\nTalks begin.\n")
    assert (front_matter.summary, front_matter.body_html) == ("Talks begin.", "<p>Talks begin.</p>")
    other_day = read("t.md", "---\ntitle: Talks\ndate: 2026-11-09\n---\n4 November 2026\n\nTalks begin.\n")
    assert other_day.published == datetime(2026, 11, 9, tzinfo=UTC)
    assert "4 November 2026" in other_day.body_html, "a date the metadata does not give is left as written"


_FERRY = "Ferry timetable published\n\nThe summer ferry timetable has been published today by the council.\n"


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("a.txt", "FOR IMMEDIATE RELEASE: 3 June 2026\n\n" + _FERRY),
        ("b.txt", "FOR IMMEDIATE RELEASE\n3 June 2026\n\n" + _FERRY),
        ("c.txt", "For immediate release\n\nWednesday 3 June 2026\n\n" + _FERRY),
        ("d.txt", "3 June 2026\n\n" + _FERRY),
        ("e.txt", "Press release\n\n3 June 2026\n\n" + _FERRY),
        ("f.txt", _FERRY.replace("\n\n", "\n\nFOR IMMEDIATE RELEASE – 3 June 2026\n\n", 1)),
        ("g.md", "FOR IMMEDIATE RELEASE: 3 June 2026\n\n# " + _FERRY),
        ("h.md", "**3 June 2026**\n\n# " + _FERRY),
        (
            "i.html",
            "<html><body><p><b>FOR IMMEDIATE RELEASE – 3 June 2026</b></p><h1>Ferry timetable published</h1>"
            "<p>The summer ferry timetable has been published today by the council.</p></body></html>",
        ),
    ],
)
def test_a_date_above_the_headline_or_after_for_immediate_release_dates_the_release(name: str, text: str) -> None:
    """Before: titled "FOR IMMEDIATE RELEASE: 3 June 2026" or "3 June 2026", summarised by that line, dated at
    ingest, or a Markdown file refused for want of a title."""
    r = read(name, text)
    assert r.title == "Ferry timetable published"
    assert r.published == datetime(2026, 6, 2, 23, 0, tzinfo=UTC)  # midnight in London, in summer time
    assert r.summary == "The summer ferry timetable has been published today by the council."
    assert "3 June" not in r.body_text and "IMMEDIATE" not in r.body_text.upper()


@pytest.mark.parametrize(
    "above",
    ["Press release", "**PRESS RELEASE**", "Ref: PR 2026/114", "News release\n3 June 2026", "_Press release_"],
)
def test_a_label_or_reference_above_a_markdown_heading_is_neither_refused_nor_published(above: str) -> None:
    """Before: refused, "no title: … start the text with a '# Heading' line", for the label above it."""
    r = read("dues.md", f"{above}\n\n# Harbour dues frozen\n\nHarbour dues will stay at this year's level.\n")
    assert r.title == "Harbour dues frozen"
    assert r.body_html == "<p>Harbour dues will stay at this year's level.</p>"
    assert r.document_type == ("news_release" if "News" in above else "press_release")


def test_a_markdown_file_headed_by_a_bold_line_is_titled_by_it() -> None:
    """Word-to-Markdown converters write a bold headline, not a `# Heading` (before: refused, "no title")."""
    r = read("dues.md", "**Harbour dues frozen**\n\nHarbour dues will stay at this year's level.\n")
    assert (r.title, r.body_html) == ("Harbour dues frozen", "<p>Harbour dues will stay at this year's level.</p>")
    with pytest.raises(InvalidReleaseError, match="no title"):  # (a bold sentence in a paragraph is text)
        read("dues.md", "**Harbour dues frozen** from next year.\n\nHarbour dues will stay at this year's level.\n")


def test_a_headline_that_ends_with_a_date_is_still_the_headline() -> None:
    r = read("as.txt", "Autumn Statement, 26 November 2026\n\nThe Chancellor today set out the spending plans.\n")
    assert r.title == "Autumn Statement, 26 November 2026"


def test_a_date_in_the_file_name_is_the_last_resort() -> None:
    assert read("2026-11-02-talks.txt", "Talks\n\nTalks begin.\n").published == datetime(2026, 11, 2, tzinfo=UTC)
    stated = read("2026-11-02-talks.txt", "Talks\n\n5 November 2026\n\nTalks begin.\n")
    assert stated.published == datetime(2026, 11, 5, tzinfo=UTC), "the text's own date first"
    given = read("2026-11-02-talks.md", "---\ntitle: Talks\ndate: 2026-11-09\n---\n4 November 2026\n\nTalks begin.\n")
    assert given.published == datetime(2026, 11, 9, tzinfo=UTC), "metadata first of all"
    assert read("talks.txt", "Talks\n\nTalks begin.\n").published == NOW, "no date anywhere: dated at ingest"


def test_a_label_line_is_not_the_title_but_the_document_type() -> None:
    r = read("guidance.txt", "Press release\n\nNew guidance for exporters\n\nThe department published guidance.\n")
    assert (r.title, r.document_type) == ("New guidance for exporters", "press_release")
    statement = read("s.txt", "Statement:\n\nOn the harbour\n\nWe welcome the decision.\n")
    assert (statement.title, statement.document_type) == ("On the harbour", "statement")


def test_html_pages_whose_h1_or_title_is_not_the_headline() -> None:
    word = read(
        "word.html",
        "<html><head><title>Microsoft Word - Release DRAFT v3.docx</title></head><body>"
        "<p class=MsoNormal><b>Minister opens new harbour wall<o:p></o:p></b></p>"
        "<p class=MsoNormal>The Minister opened the wall today.<o:p></o:p></p></body></html>",
    )
    assert (
        word.title == "Minister opens new harbour wall"
        and word.body_html == "<p>The Minister opened the wall today.</p>"
    )
    logo = read(
        "logo.html",
        '<html><head><title>Example Press Office</title><meta property="og:site_name" content="Example Press Office">'
        "</head><body><header><h1>Example Press Office</h1></header><main><h2>Ferry timetable extended</h2>"
        "<p>Published: 5 November 2026</p><p>The ferry runs all winter.</p></main></body></html>",
    )
    assert (logo.title, logo.published) == ("Ferry timetable extended", datetime(2026, 11, 5, tzinfo=UTC))
    assert logo.body_html == "<p>The ferry runs all winter.</p>"
    labelled = read(
        "label.html",
        '<html><head><meta property="og:title" content="UK hosts Iran nuclear talks">'
        '<meta name="dcterms.date" content="2026-11-06"></head>'
        "<body><article><h1>Press release</h1><p>The UK hosts talks this week.</p></article></body></html>",
    )
    assert (labelled.title, labelled.published) == ("UK hosts Iran nuclear talks", datetime(2026, 11, 6, tzinfo=UTC))
    assert "Press release" not in labelled.body_html


def test_opening_blocks_are_found_as_the_plain_lazy_pattern_finds_them() -> None:
    """`TEXT_BLOCK` is an unrolled, faster form of `<(p|h[2-6])>(.*?)</\\1>` (DOTALL): the same blocks, every time."""
    import random
    import re

    from feeds.normalise.body import TEXT_BLOCK

    reference = re.compile(r"<(p|h[2-6])>(.*?)</\1>\s*", re.DOTALL)
    words = ["alpha", "beta\n", "<em>x</em>", "&amp;", '<a href="y">z</a>', "</h3>", "<p>", "</p", "<h2>", "< p>"]
    rng = random.Random(20261128)
    for _ in range(2000):
        html = "".join(
            f"<{tag}>"
            + " ".join(rng.choice(words) for _ in range(rng.randint(0, 30)))
            + f"</{tag}>"
            + rng.choice(["", "\n "])
            for tag in rng.choices(["p", "p", "h2", "h3", "blockquote"], k=rng.randint(0, 5))
        ) + rng.choice(["", "<p>never closed", "</p>"])
        assert [(m.span(), m.groups()) for m in TEXT_BLOCK.finditer(html)] == [
            (m.span(), m.groups()) for m in reference.finditer(html)
        ], html


def test_the_year_shortcut_skips_only_paragraphs_without_a_year() -> None:
    """`_may_hold_year` is a cheap test before the dateline patterns: never False where `_YEAR` finds one."""
    from feeds.normalise.datelines import _YEAR, _may_hold_year

    for text in ("2026", "On 3 November 2026 the", "1 2 3 4", "no digits here", "١٤٤٨ هـ", "x" * 500 + "2026", ""):
        if _YEAR.search(text):
            assert _may_hold_year(text), text
    assert not _may_hold_year("Sanctions council minister geneva dialogue, 12 talks")


@pytest.mark.parametrize(
    ("name", "text"),
    [
        (
            "ferry.txt",
            "Ferry opens\n\nEMBARGOED UNTIL 00:01 3 DECEMBER 2026\n\nLONDON, 3 December 2026 – The ferry opened.\n",
        ),
        ("ferry.md", "---\ntitle: Ferry opens\ndate: 2026-11-03\n---\n\nLONDON, 3 November 2026 – The ferry opened.\n"),
        (
            "ferry.json",
            '{"title": "Ferry opens", "published": "2026-11-03T10:00:00Z",'
            ' "body": "LONDON, 3 November 2026 – The ferry opened."}',
        ),
    ],
)
def test_a_dateline_is_not_the_summary_when_the_source_dates_the_release(name: str, text: str) -> None:
    """An editor's review: an embargoed release (or one with a front-matter date) was summarised
    "LONDON, 3 December 2026 – The ferry opened.": the dateline left the summary only when it dated the release."""
    release = read(name, text)
    assert release.summary == "The ferry opened."
    assert release.body_text.startswith("LONDON, ")  # the dateline stays in the body


def test_a_stated_date_whose_weekday_is_not_its_days_is_found_with_what_is_wrong() -> None:
    found = opening_date(["LONDON, Monday 29 November 2026 – The fund opens.", "Text."], LONDON)
    assert found is not None and found.when == datetime(2026, 11, 29, tzinfo=UTC) and found.rest == "The fund opens."
    assert found.weekday_error is not None and "names Monday, but 29 November 2026 is a Sunday" in found.weekday_error
    assert opening_date(["LONDON, Sunday 29 November 2026 – The fund opens."], LONDON).weekday_error is None


@pytest.mark.parametrize(
    "text",
    [
        "Climate fund opens\n\nLONDON, Monday 29 November 2026 – The fund opens for councils.\n",
        "Climate fund opens\n\nMonday 29 November 2026 10:00\n\nThe fund opens for councils.\n",
    ],
)
def test_a_release_dated_only_by_a_date_whose_weekday_is_wrong_is_refused_naming_both(text: str) -> None:
    """Review 3, finding 8: the weekday was dropped and the release dated Sunday without a word; the officer may
    have meant Monday 30 November. That date would date the release (and its id, for good): the officer decides."""
    with pytest.raises(InvalidReleaseError) as info:
        read("fund.txt", text)
    assert info.value.field == "body"
    assert "names Monday, but 29 November 2026 is a Sunday" in str(info.value)


def test_a_dateline_whose_weekday_is_wrong_is_left_alone_when_the_release_is_dated_otherwise() -> None:
    """Under a front-matter date (or an embargo line) the dateline only informs: it stays in the body as written,
    out of the summary, and does not hold the release back."""
    release = read(
        "fund.md",
        "---\ntitle: Climate fund opens\ndate: 2026-11-29 10:00\n---\n"
        "LONDON, Monday 29 November 2026 – The fund opens for councils.\n",
    )
    assert release.published == datetime(2026, 11, 29, 10, 0, tzinfo=UTC)
    assert release.body_text.startswith("LONDON, Monday 29 November 2026 –")
    assert release.summary == "The fund opens for councils."


@pytest.mark.parametrize(
    ("line", "published"),
    [
        ("EMBARGOED UNTIL 00:01 THURSDAY 3 DECEMBER 2026", datetime(2026, 12, 3, 0, 1, tzinfo=UTC)),
        ("EMBARGOED UNTIL 00:01 WEDNESDAY 3 DECEMBER 2026", None),  # 3 December 2026 is a Thursday
        ("Not for publication before 10am on Tues 1 December 2026", datetime(2026, 12, 1, 10, 0, tzinfo=UTC)),
        ("Not for publication before 10am on Monday 1 December 2026", None),
    ],
)
def test_an_embargo_whose_weekday_is_not_its_dates_is_refused_naming_both(
    line: str, published: datetime | None
) -> None:
    """Review 3, finding 8: the release was held until the Thursday without a word; the officer may have meant the
    Wednesday, when it would have been published a day late."""
    text = f"{line}\n\nNew strategy for coastal towns\n\nThe strategy is published today.\n"
    if published is not None:
        assert read("strategy.txt", text).published == published
        return
    with pytest.raises(InvalidReleaseError, match=r"names (Wednesday|Monday), but [13] December 2026 is a") as info:
        read("strategy.txt", text)
    assert info.value.field == "published" and "correct the weekday or the date" in str(info.value)


def test_an_embargo_in_summer_time_on_a_winter_date_is_refused() -> None:
    """Time review: "00:01 BST" on 3 December (a summer template) lifted the embargo at 23:01 GMT on the 2nd."""
    text = "EMBARGOED UNTIL 00:01 BST THURSDAY 3 DECEMBER 2026\n\nNew strategy for coastal towns\n\nIt is out.\n"
    with pytest.raises(InvalidReleaseError, match="the clocks kept GMT") as info:
        read("strategy.txt", text)
    assert info.value.field == "published"


def test_a_dateline_in_summer_time_on_a_winter_date_is_refused_where_it_would_date_the_release() -> None:
    """Time review: refused by the date parser, the dateline was passed over as no date at all, and the release
    dated at its ingest instead, without a word."""
    text = "Ferry timetable\n\nPORTSMOUTH, 2 December 2026 09:30 BST – Ferries will run hourly.\n"
    with pytest.raises(InvalidReleaseError, match="the clocks kept GMT") as info:
        read("ferries.txt", text)
    assert info.value.field == "body"
    found = opening_date(["PORTSMOUTH, 2 December 2026 09:30 BST – Ferries will run hourly."], LONDON)
    assert found is not None and found.rest == "Ferries will run hourly." and found.weekday_error is not None
    dated = read("ferries.md", "---\ntitle: Ferry timetable\ndate: 2026-12-02 09:30\n---\n" + text.split("\n\n", 1)[1])
    assert dated.published == datetime(2026, 12, 2, 9, 30, tzinfo=UTC), "under a date given otherwise, only text"
