"""feeds.ingest.formats: release files of every format → RawRelease, errors with field and line, any bytes safe."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from feeds.config import Site, TopicSettings
from feeds.errors import InvalidReleaseError
from feeds.ingest.formats import EXTENSIONS, parse_release_file, releases_from_json_text
from feeds.model import RawRelease
from feeds.normalise import normalise_release

DATA = Path(__file__).parent / "data" / "ingest"
SITE = Site(
    title="Press office",
    base_url="https://press.example.org/",
    author="Press office",
    language="en",
    timezone="Europe/London",
)
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def parse(name: str, data: bytes | None = None) -> tuple[RawRelease, ...]:
    if data is None:
        data = (DATA / name).read_bytes()
    return parse_release_file(data, name, source="inbox", origin=f"inbox/{name}")


def parse_error(name: str, text: str) -> InvalidReleaseError:
    with pytest.raises(InvalidReleaseError) as info:
        parse(name, text.encode("utf-8"))
    return info.value


# --- choosing the format ---------------------------------------------------------------------------------


@pytest.mark.parametrize("name", ["notes.pdf", "release.docx", "README", "archive.tar.gz", ".md"])
def test_unknown_extensions_are_refused_naming_the_file_and_the_accepted_ones(name: str) -> None:
    error = parse_error(name, "Title\n\nBody")
    message = str(error)
    assert error.origin == f"inbox/{name}"
    assert f"'{name}'" in message
    for extension in (".txt", ".md", ".html", ".json"):
        assert extension in message


@pytest.mark.parametrize(
    ("name", "text", "body_format"),
    [
        ("a.TXT", "Bus fares capped\n\nSingle fares stay capped.", "text"),
        ("a.text", "Bus fares capped\n\nSingle fares stay capped.", "text"),
        ("a.MD", "# Bus fares capped\n\nSingle fares stay capped.", "markdown"),
        ("a.markdown", "# Bus fares capped\n\nSingle fares stay capped.", "markdown"),
        ("dir.v2/a.htm", "<h1>Bus fares capped</h1><p>Single fares stay capped for another year.</p>", "html"),
        ("C:\\inbox\\a.Json", '{"title": "Bus fares capped", "body_html": "<p>Capped.</p>"}', "html"),
    ],
)
def test_extensions_are_matched_case_insensitively(name: str, text: str, body_format: str) -> None:
    (raw,) = parse(name, text.encode())
    assert raw.title == "Bus fares capped"
    assert raw.body_format == body_format


def test_every_extension_has_a_format() -> None:
    assert set(EXTENSIONS.values()) == {"text", "markdown", "html", "json"}


# --- plain text ------------------------------------------------------------------------------------------


def test_plain_text_title_is_the_first_non_empty_line_and_body_is_kept_verbatim() -> None:
    (raw,) = parse("harbour-wall-repairs.txt")
    assert raw.title == "Press release: Funding confirmed for Portwenna harbour wall repairs"
    assert raw.body_format == "text"
    assert raw.body is not None
    assert raw.body.startswith("The Department for Coastal Affairs has confirmed £2.4 million")
    assert "\n\nCoastal Affairs Minister Jane Trelawny said:\n\nThe harbour is the heart" in raw.body
    assert raw.body.endswith("storms of last February.")
    assert raw.line_of("title") == 3
    assert raw.line_of("body") == 5
    assert (raw.source, raw.origin) == ("inbox", "inbox/harbour-wall-repairs.txt")


def test_plain_text_in_windows_1252() -> None:
    (raw,) = parse("pier-reopens-cp1252.txt")
    assert raw.title == "Pier reopens after \u2018major\u2019 repairs"
    assert raw.body is not None and "£1.2m" in raw.body and "\u201cIt is wonderful" in raw.body
    assert "\r" not in raw.body


_QUOTED_PRINTABLE = (
    "Coastal path reopens at St Ives Head\n\n"
    "The path will reopen on Saturday after repairs costing =C2=A3480,000, completed two weeks ahead of sched=\n"
    "ule.\n\nMinister Jo Bloggs said:\n\n"
    "=E2=80=9CThe path is one of the best-loved walks in the country. I=E2=80=99m delighted.=E2=80=9D\n\n"
    "Visitors should follow the signs (speed limit =3D 10mph on the access road).\n"
)


def test_an_e_mails_quoted_printable_text_is_read_as_the_text_it_encodes() -> None:
    """Copied from an e-mail's source (or a mail client that showed it raw): `=E2=80=99` is `’`, `=` at a line's
    end joins it to the next."""
    (raw,) = parse("path.txt", _QUOTED_PRINTABLE.encode())
    assert raw.body == (
        "The path will reopen on Saturday after repairs costing £480,000, completed two weeks ahead of schedule.\n\n"
        "Minister Jo Bloggs said:\n\n“The path is one of the best-loved walks in the country. I’m delighted.”\n\n"
        "Visitors should follow the signs (speed limit = 10mph on the access road)."
    )
    release = normalise_release(raw, SITE, TopicSettings(), NOW)
    assert "=E2" not in release.body_html and "I’m delighted.”</p>\n</blockquote>" in release.body_html


@pytest.mark.parametrize(
    "text",
    [
        "Tide tables\n\nHigh water =2 hours before noon; the formula is a=BC+D.\n",  # no encoded character
        "Sums\n\nTotal =\n£40\n",  # a line ending in "=" without any encoded character
        "Heading\n=======\n\nText of the release, with =E2=80 broken.\n",
    ],
)
def test_text_that_only_looks_quoted_printable_is_kept(text: str) -> None:
    (raw,) = parse("plain.txt", text.encode())
    assert raw.body is not None and raw.body in text


@pytest.mark.parametrize(
    "headers",
    [
        "From: Jane Smith <jane.smith@coastal.example.gov.uk>\nSent: 26 November 2026 16:02\n"
        "To: Press Office <press@coastal.example.gov.uk>\nSubject: PR - Coastal path reopens",
        "---------- Forwarded message ---------\nFrom: Jane Smith <jane.smith@coastal.example.gov.uk>\n"
        "Date: Thu, 26 Nov 2026 at 16:02\nSubject: Coastal path reopens\nTo: <press@coastal.example.gov.uk>",
        "-----Original Message-----\nFrom: Smith, Jane (DCA)\nSent: Thursday, November 26, 2026 4:02 PM\n"
        "To: Press Office\nCc: Jones, Tom (DCA)\nSubject: RE: final PR for sign-off",
    ],
)
def test_an_e_mails_headers_pasted_above_the_release_are_not_its_title(headers: str) -> None:
    """Before: titled "From: Jane Smith <jane.smith@…>", the address published, the headers the summary."""
    text = f"{headers}\n\nCoastal path reopens at St Ives Head\n\nThe path will reopen on Saturday, the department said"
    (raw,) = parse("path.txt", text.encode())
    assert raw.title == "Coastal path reopens at St Ives Head"
    assert raw.body == "The path will reopen on Saturday, the department said"
    assert raw.line_of("title") == headers.count("\n") + 3


_DUES = "Harbour dues frozen for 2027"
_DUES_TEXT = "Harbour dues at Kingsport will stay at 2026 levels next year, the Trust said."


@pytest.mark.parametrize(
    "text",
    [
        f"PRESS RELEASE\nRef: PR 2026/114\nDate: 26 November 2026\n\n{_DUES}\n\n{_DUES_TEXT}\n",
        f"Our ref: DCA/PR/114\n\n{_DUES}\n\nIssued: 26 November 2026\nReference: PR 2026/114\n\n{_DUES_TEXT}\n",
        f"{_DUES}\n\nRef: PR 2026/114\nIssued: 26 November 2026\n\n{_DUES_TEXT}\n",
        f"{_DUES}\nPress release no. 114/26\n\n{_DUES_TEXT}\n",
    ],
)
def test_a_release_reference_number_is_neither_the_title_nor_the_summary(text: str) -> None:
    """Before: titled "Ref: PR 2026/114", or summarised "Ref: PR 2026/114 Issued: 26 November 2026" and dated at
    ingest."""
    (raw,) = parse("dues.txt", text.encode())
    assert (raw.title, raw.body) == (_DUES, _DUES_TEXT)
    assert raw.published in (None, "26 November 2026")
    if "26 November" in text:
        assert raw.published == "26 November 2026"


def test_a_headline_about_a_reference_stays_the_headline() -> None:
    (raw,) = parse("ref.txt", b"Reference libraries to open on Sundays\n\nThe county's libraries will open.\n")
    assert raw.title == "Reference libraries to open on Sundays"


def test_a_file_of_nothing_but_e_mail_headers_is_refused_saying_so() -> None:
    error = parse_error("pr.txt", "From: Jane Smith <jane@example.org>\nTo: press@example.org\nSubject: PR\n\n")
    assert (error.field, error.line) == ("title", 3) and "e-mail's headers" in error.message


def test_a_from_line_that_is_no_e_mail_header_block_is_left_alone() -> None:
    (raw,) = parse("from.txt", b"From: the Minister\n\nA message to fishermen\n\nStay safe at sea this winter.\n")
    assert raw.title == "From: the Minister"


@pytest.mark.parametrize(
    ("facts", "organisation", "published", "updated", "lines"),
    [
        (  # as a GOV.UK page's list comes out when the page is copied: each label above its value
            "From:\nForeign, Commonwealth & Development Office and The Rt Hon Jane Doe MP\nPublished\n27 November 2026",
            "Foreign, Commonwealth & Development Office",
            "27 November 2026",
            None,
            {"organisation": 4, "published": 6, "body": 8},
        ),
        (
            "From: Department for Coastal Affairs\nPublished 27 November 2026\nLast updated 28 November 2026",
            "Department for Coastal Affairs",
            "27 November 2026",
            "28 November 2026",
            {"organisation": 3, "published": 4, "updated": 5, "body": 7},
        ),
        ("From: Department for Coastal Affairs", "Department for Coastal Affairs", None, None, {"body": 5}),
        (  # GOV.UK links the change history after the date: copied, the link's text comes along
            "From:\nDepartment for Transport\nPublished\n20 November 2026\nLast updated\n"
            "28 November 2026 — See all updates",
            "Department for Transport",
            "20 November 2026",
            "28 November 2026",
            {"organisation": 4, "published": 6, "updated": 8, "body": 10},
        ),
    ],
)
def test_the_facts_of_a_copied_govuk_page_are_its_organisation_and_dates(
    facts: str, organisation: str, published: str | None, updated: str | None, lines: dict[str, int]
) -> None:
    """A press officer's review: pasted under the headline, GOV.UK's "From: … Published …" list stayed in the
    body, became the summary, and the release was filed under the site's own organisation."""
    text = f"Ferry fares frozen\n\n{facts}\n\nFares stay as they are.\n"
    (raw,) = parse("fares.txt", text.encode())
    assert (raw.organisation, raw.published, raw.updated) == (organisation, published, updated)
    assert raw.body == "Fares stay as they are."
    for field, line in lines.items():
        assert raw.line_of(field) == line, field


@pytest.mark.parametrize(
    ("listed", "organisation"),
    [
        # A department whose name has "and" in it is one organisation, alone or before its minister.
        ("Department for Work and Pensions", "Department for Work and Pensions"),
        ("Department for Ferries and Harbours and The Rt Hon Jane Doe MP", "Department for Ferries and Harbours"),
        ("Office for Tides and Lord Moss", "Office for Tides"),
        ("Board of Piers and Jetties and Sam Ocean MP", "Board of Piers and Jetties"),
        # Two organisations: the first one named.
        ("HM Treasury and Department for Ferries and Harbours", "HM Treasury"),
        ("Home Office and Border Force", "Home Office"),  # (an "and" not inside a "… for/of …" name)
    ],
)
def test_the_organisation_of_a_copied_govuk_page_keeps_an_and_of_its_name(listed: str, organisation: str) -> None:
    """An editor's review: "From: Department for Work and Pensions" filed the release under "Department for
    Work", an organisation that does not exist (the list was cut at its first "and")."""
    text = f"Ferry fares frozen\n\nFrom: {listed}\nPublished 27 November 2026\n\nFares stay as they are.\n"
    (raw,) = parse("fares.txt", text.encode())
    assert raw.organisation == organisation


@pytest.mark.parametrize(
    "opening",
    [
        "From the start of next year, fares will be frozen.",  # a sentence, not the list (no colon)
        "Published by the Ministry today, the figures show a rise.",  # no date
        "From: Department for Coastal Affairs\nSent: 27 November 2026",  # an e-mail's headers: not the list
        "Published 27 November 2026",  # a date alone, without the organisation: read as the text's date line
    ],
)
def test_an_opening_that_is_not_the_facts_of_a_govuk_page_stays_in_the_body(opening: str) -> None:
    (raw,) = parse("fares.txt", f"Ferry fares frozen\n\n{opening}\n\nFares stay as they are.\n".encode())
    assert raw.organisation is None and raw.published is None
    assert raw.body is not None and raw.body.startswith(opening)


@pytest.mark.parametrize(
    ("text", "field", "line"),
    [
        ("", "title", None),
        ("\n  \n\t\n", "title", None),
        ("Only a title\n", "body", 1),  # (not line 2: the file has one line, which an editor shows)
        ("\nOnly a title\n\n\n", "body", 2),
    ],
)
def test_plain_text_needs_a_title_and_a_body(text: str, field: str, line: int | None) -> None:
    error = parse_error("empty.txt", text)
    assert error.field == field
    if line is not None:
        assert error.line == line


@pytest.mark.parametrize(
    ("text", "title", "published", "line"),
    [
        (
            "EMBARGOED UNTIL 00:01 THURSDAY 3 DECEMBER 2026\n\nPress release: New strategy for ports\n\nText.\n",
            "Press release: New strategy for ports",
            "00:01 THURSDAY 3 DECEMBER 2026",
            1,
        ),
        (
            "**Strictly embargoed until 00.01hrs on Thursday 3 December 2026**\nPress release\nNew strategy\n\nText.",
            "New strategy",
            "00:01 Thursday 3 December 2026",
            1,
        ),
        (
            "New strategy for ports\nNot for publication before 10am on 4 December 2026\n\nText.\n",
            "New strategy for ports",
            "10am 4 December 2026",
            2,
        ),
        ("Embargo lifted on fish exports\n\nText.\n", "Embargo lifted on fish exports", None, None),
        (  # a 24-hour time without "hrs" (before: refused, "the year 0001 … is not a year of ours")
            "EMBARGO: 0001 Thursday 3 December 2026\n\nNew strategy\n\nText.",
            "New strategy",
            "00:01 Thursday 3 December 2026",
            1,
        ),
        ("EMBARGOED UNTIL 2230 ON 3 DECEMBER 2026\n\nStrategy\n\nText.", "Strategy", "22:30 3 DECEMBER 2026", 1),
        (
            "Press release\nEMBARGOED UNTIL 00:01 THURSDAY 3 DECEMBER 2026\nNew strategy\n\nText.",
            "New strategy",
            "00:01 THURSDAY 3 DECEMBER 2026",
            2,
        ),
        (
            "EMBARGOED\n00:01 Thursday 3 December 2026\n\nNew strategy\n\nText.",
            "New strategy",
            "00:01 Thursday 3 December 2026",
            1,
        ),
        (
            "FOR RELEASE AT 00:01 ON 3 DECEMBER 2026\n\nNEWS RELEASE\n\nNew strategy\n\nText.",
            "New strategy",
            "00:01 3 DECEMBER 2026",
            1,
        ),
        ("Embargo 00:01 Thursday 3 December\n\nNew strategy\n\nText.", "New strategy", "00:01 Thursday 3 December", 1),
        ("FOR IMMEDIATE RELEASE\n\nNew strategy\n\nText.", "New strategy", None, None),
    ],
)
def test_an_embargo_line_is_not_the_title_and_gives_the_publication_time(
    text: str, title: str, published: str | None, line: int | None
) -> None:
    """A release opening with "EMBARGOED UNTIL…" had that line as its headline, its slug and its address, and
    was published at once: the line is taken out, and its time becomes the publication time."""
    (raw,) = parse("embargo.txt", text.encode())
    assert (raw.title, raw.published, raw.line_of("published")) == (title, published, line)
    assert raw.body == "Text."


def test_an_embargo_until_12_noon_holds_the_release_until_noon() -> None:
    text = "EMBARGOED UNTIL 12 NOON WEDNESDAY 2 DECEMBER 2026\n\nNew strategy for ports\n\nText of the release.\n"
    (raw,) = parse("embargo.txt", text.encode())
    release = normalise_release(raw, SITE, TopicSettings(), NOW)
    assert (release.title, release.published) == ("New strategy for ports", datetime(2026, 12, 2, 12, 0, tzinfo=UTC))


def test_an_embargo_without_a_date_is_refused_rather_than_published_at_once() -> None:
    error = parse_error("embargo.txt", "EMBARGOED UNTIL FURTHER NOTICE\n\nNew strategy\n\nText.\n")
    assert (error.field, error.line) == ("embargo", 1)
    assert "gives no date" in str(error) and "embargo.txt:1" in str(error)


_WORD_EXPORT = (
    "<p><b>Fisheries Minister sets out mackerel quota plan</b></p><p>EMBARGOED UNTIL 00:01 1 DECEMBER 2026</p>"
    "<p>The minister today set out a plan for mackerel quotas, with more for the small boats of the coast.</p>"
)
_TEXT = "<p>The minister today set out a plan for mackerel quotas, with more for the small boats of the coast.</p>"


@pytest.mark.parametrize(
    ("name", "text", "title", "published", "line"),
    [
        # HTML: a Word export's bold headline over the embargo (the press officer's report), or under it
        ("a.html", _WORD_EXPORT, "Fisheries Minister sets out mackerel quota plan", "00:01 1 DECEMBER 2026", None),
        (
            "a.html",
            "<p><b>EMBARGOED UNTIL 00:01 1 DECEMBER 2026</b></p><p><b>Mackerel quota plan</b></p>" + _TEXT,
            "Mackerel quota plan",
            "00:01 1 DECEMBER 2026",
            None,
        ),
        (
            "a.htm",
            "<p>Press release</p>\n<p>Embargoed until 00.01hrs on 1 Dec 2026</p>\n<h1>Mackerel quota plan</h1>" + _TEXT,
            "Mackerel quota plan",
            "00:01 1 Dec 2026",
            None,
        ),
        (
            "a.html",
            "<html><head><title>Mackerel quota plan</title></head><body><p>FOR RELEASE AT 00:01 ON 1 DECEMBER 2026"
            "</p>" + _TEXT + "</body></html>",
            "Mackerel quota plan",
            "00:01 1 DECEMBER 2026",
            None,
        ),
        (
            "a.html",
            "<h1>Mackerel quota plan</h1><p>EMBARGOED<br>00:01 Tuesday 1 December 2026</p>" + _TEXT,
            "Mackerel quota plan",
            "00:01 Tuesday 1 December 2026",
            None,
        ),
        (
            "a.html",
            "<p>EMBARGOED</p><p>00:01 Tuesday 1 December 2026</p><h1>Mackerel quota plan</h1>" + _TEXT,
            "Mackerel quota plan",
            "00:01 Tuesday 1 December 2026",
            None,
        ),
        (
            "a.html",
            '<html><head><meta property="article:published_time" content="2026-11-20"></head><body>'
            "<h1>Mackerel quota plan</h1><p>Not for publication before 10am on 1 December 2026</p>"
            + _TEXT
            + "</body></html>",
            "Mackerel quota plan",
            "10am 1 December 2026",  # (the embargo holds it back, whatever else the page says)
            None,
        ),
        ("a.html", "<h1>Embargo lifted on fish exports</h1>" + _TEXT, "Embargo lifted on fish exports", None, None),
        # Markdown: above the heading, just below it, or opening the text under a front-matter title
        (
            "a.md",
            "**EMBARGOED UNTIL 00:01 1 DECEMBER 2026**\n\n# Mackerel quota plan\n\nThe plan.",
            "Mackerel quota plan",
            "00:01 1 DECEMBER 2026",
            1,
        ),
        (
            "a.md",
            "# Mackerel quota plan\n\nEMBARGOED UNTIL 00:01 1 DECEMBER 2026\n\nThe plan.",
            "Mackerel quota plan",
            "00:01 1 DECEMBER 2026",
            3,
        ),
        (
            "a.md",
            "Mackerel quota plan\n===\n_Embargoed until 00.01hrs on 1 Dec 2026_\n\nThe plan.",
            "Mackerel quota plan",
            "00:01 1 Dec 2026",
            3,
        ),
        (
            "a.md",
            "---\ntitle: Mackerel quota plan\ndate: 2026-11-20\n---\n\n> EMBARGOED UNTIL 00:01 1 DECEMBER 2026\n\n"
            "The plan.",
            "Mackerel quota plan",
            "00:01 1 DECEMBER 2026",
            6,
        ),
        ("a.md", "# Embargo lifted on fish exports\n\nThe plan.", "Embargo lifted on fish exports", None, None),
    ],
)
def test_an_embargo_in_html_or_markdown_is_read_as_in_plain_text(
    name: str, text: str, title: str, published: str | None, line: int | None
) -> None:
    """Re-check: a Word export dropped as .html with its embargo line under the headline was published at once,
    with the embargo line as its summary in every feed. The line is taken out; its time is the publication time."""
    (raw,) = parse(name, text.encode())
    assert (raw.title, raw.published, raw.line_of("published")) == (title, published, line)
    assert raw.body is not None and "mbargo" not in raw.body.replace("Embargo lifted", "")
    assert "minister today" in raw.body or "The plan." in raw.body


@pytest.mark.parametrize(
    ("name", "text", "line"),
    [
        ("notice.html", "<h1>Mackerel quota plan</h1>\n<p>EMBARGOED UNTIL FURTHER NOTICE</p>" + _TEXT, 2),
        ("notice.html", "<p><b>Embargoed until further notice</b></p>\n<p><b>Mackerel plan</b></p>" + _TEXT, 1),
        ("notice.md", "# Mackerel quota plan\n\n**EMBARGOED UNTIL FURTHER NOTICE**\n\nThe plan.", 3),
        ("notice.md", "---\ntitle: Mackerel quota plan\n---\nEmbargoed: until further notice\n\nThe plan.", 4),
    ],
)
def test_an_embargo_without_a_date_in_html_or_markdown_is_refused(name: str, text: str, line: int) -> None:
    error = parse_error(name, text)
    assert (error.field, error.line) == ("embargo", line)
    assert "gives no date" in str(error) and f"inbox/{name}:{line}" in str(error)


def test_a_word_export_with_an_embargo_is_held_and_its_summary_is_the_text() -> None:
    """The press officer's report, to the end: held until its time, the summary its first paragraph."""
    (raw,) = parse("mackerel.html", _WORD_EXPORT.encode())
    release = normalise_release(raw, SITE, TopicSettings(), NOW)
    assert release.published == datetime(2026, 12, 1, 0, 1, tzinfo=UTC) > NOW
    assert release.summary.startswith("The minister today set out a plan")
    assert "EMBARGOED" not in release.body_html + release.body_text


# --- Markdown and front matter -----------------------------------------------------------------------------


def test_markdown_with_toml_front_matter() -> None:
    (raw,) = parse("coastal-path-toml.md")
    assert raw.title == "New coastal path opens between Trevarrow and Polgrain"
    assert raw.summary == "A 12-mile stretch of the national coastal path is now open to walkers."
    assert raw.published == "2025-03-14T09:30:00+00:00"  # a TOML datetime, handed on as ISO 8601 text
    assert raw.topics == ("Countryside", "Tourism")
    assert raw.organisation == "Department for Coastal Affairs"
    assert raw.slug == "coastal-path-trevarrow-polgrain"
    assert raw.document_type == "press_release"
    assert raw.body_format == "markdown"
    assert raw.body is not None and raw.body.startswith("Walkers can now follow the coast")
    assert "+++" not in raw.body
    assert raw.line_of("title") == 2
    assert raw.line_of("published") == 4
    assert raw.line_of("body") == 11


def test_markdown_with_yaml_front_matter_and_aliases() -> None:
    (raw,) = parse("school-meals-yaml.md")
    assert raw.title == "Free school meals extended to all primary pupils in pilot areas"
    assert raw.published == "2025-01-20"  # `date:` is an alias; a YAML date becomes ISO text
    assert raw.updated == "2025-01-21 14:00"
    assert raw.topics == ("Education", "Health")  # `tags:` is an alias
    assert raw.document_type == "press_release"  # `type:` is an alias
    assert raw.language == "en-GB"
    assert raw.link == "https://www.example.gov.uk/news/free-school-meals-pilot"
    # (each alias's key as written stands beside its field, at its line: an error names the key written)
    assert raw.lines[:4] == (("title", 2), ("published", 3), ("date", 3), ("updated", 4))
    assert raw.body is not None and raw.body.startswith("Every primary school pupil")


def test_markdown_leading_heading_is_the_title_and_leaves_the_body() -> None:
    (raw,) = parse("heading-title.md")
    assert raw.title == "Record number of apprenticeships started this year"
    assert raw.body is not None
    assert raw.body.startswith("More than 80,000 people")
    assert "## Regional picture" in raw.body
    assert raw.line_of("title") == 1


@pytest.mark.parametrize(
    ("text", "title", "body_start"),
    [
        ("Coastal path opens\n==================\n\nWalkers welcome.", "Coastal path opens", "Walkers welcome."),
        ("# Coastal path opens #\n\nWalkers welcome.", "Coastal path opens", "Walkers welcome."),
        ('---\ntitle: "Path opens"\n---\n# Path opens\n\nWalkers.', "Path opens", "Walkers."),
        ('---\ntitle: "Path opens"\n---\n# Another heading\n\nWalkers.', "Path opens", "# Another heading"),
        ("---\n---\n# Empty front matter\n\nWalkers.", "Empty front matter", "Walkers."),
    ],
)
def test_markdown_titles(text: str, title: str, body_start: str) -> None:
    (raw,) = parse("x.md", text.encode())
    assert raw.title == title
    assert raw.body is not None and raw.body.startswith(body_start)


@pytest.mark.parametrize(
    ("text", "field", "line", "fragments"),
    [
        ("---\ntitle: Ferry\ntitel: Ferry\n---\nBody", "titel", 3, ["did you mean 'title'?"]),
        ('+++\ntitle = "Ferry"\norganization = "DfT"\n+++\nBody', "organization", 3, ["'organisation'"]),
        ("---\ntitle: Ferry\nsummary: [unclosed\n---\nBody", None, 3, ["invalid YAML front matter"]),
        (
            "---\ntitle: Ferry: fares frozen\ndate: 2026-11-27\n---\nBody",
            None,
            2,
            ['must be in quotes: title: "Ferry: fares frozen"'],
        ),
        ('---\ntitle: Ferry: "fares" frozen\n---\nBody', None, 2, [r'title: "Ferry: \"fares\" frozen"']),
        ("---\n- a list\n- not a mapping\n---\nBody", None, 2, ["mapping"]),
        ("---\ntitle: Ferry\n\nBody without a closing fence", None, 1, ["never closed"]),
        ("+++\ntitle = Ferry\n+++\nBody", None, 2, ["invalid TOML front matter"]),
        (
            '+++\ntitle = "Ferry"\ndate = 2026-11-20 09:00\n+++\nBody',
            None,
            3,
            ["needs its seconds (2026-11-20 09:00:00)"],
        ),
        ("---\ntitle: yes\n---\nBody", "title", 2, ["must be a string, not boolean", "quotes"]),
        ("---\ntitle: Ferry\ndate: 2025-01-02\npublished: 2025-01-03\n---\nB", "published", 4, ["keep one"]),
        ("---\ntitle: Ferry\nlink: ftp://files.example/ferry\n---\nBody", "link", 3, ["absolute http(s) URL"]),
        # (ingest review) an error about an alias named the schema's field ('topics'), not the key written:
        # it now names the key as the person wrote it, and the field it is read as
        ("---\ntitle: Ferry\ntags: [1, 2]\n---\nBody", "tags", 3, ["field 'tags': (read as topics) item 0 must"]),
        ("---\ntitle: Ferry\ntype: 42\n---\nBody", "type", 3, ["field 'type': (read as document_type) must be"]),
        ("---\ntitle: Ferry\ndate: [1]\n---\nBody", "date", 3, ["field 'date': (read as published) must be"]),
        ('+++\ntitle = "Ferry"\ntags = 3\n+++\nBody', "tags", 3, ["field 'tags': (read as topics) must be"]),
        ("---\ntitle: Ferry\ntopics: [1]\n---\nBody", "topics", 3, ["field 'topics': item 0 must"]),
        ("---\ntitle: Ferry\n---\n\n", "body", None, ["no text"]),
        ("---\nsummary: Ferry news\n---\nNo heading here.", "title", None, ["'# Heading'"]),
        # (ingest review) front matter under a blank line was not read, and the error said there was no title
        ("\n---\ntitle: Ferry\ntopics:\n  - Travel\n---\nBody", None, 2, ["starts on the first line", "1 blank line"]),
        ('\n\n+++\ntitle = "Ferry"\n+++\nBody', None, 3, ["TOML front matter", "remove the 2 blank lines"]),
    ],
)
def test_front_matter_errors_give_the_key_and_line(
    text: str, field: str | None, line: int | None, fragments: list[str]
) -> None:
    error = parse_error("ferry.md", text)
    assert error.field == field
    if line is not None:
        assert error.line == line
        assert str(error).startswith(f"inbox/ferry.md:{line}")
    for fragment in fragments:
        assert fragment in str(error)


def test_a_rule_under_a_blank_line_is_read_as_text_not_refused_as_front_matter() -> None:
    error = parse_error("ferry.md", "\n---\nFares stay as they are.\n---\n")
    assert error.field == "title" and "front matter starts on the first line" not in str(error)


def test_a_yaml_indentation_mistake_is_not_told_to_quote_a_value() -> None:
    error = parse_error("ferry.md", "---\ntitle: Ferry\ndate: 2026-11-27\n  tags: [a]\n---\nBody")
    assert error.line == 4 and "mapping values are not allowed here" in str(error) and "quotes" not in str(error)


@pytest.mark.parametrize("kind", ["yaml", "toml"])
def test_an_impossible_front_matter_date_names_its_field_and_line(kind: str, make_settings) -> None:
    """An operator's review: YAML's own date parsing failed with 'invalid YAML front matter: month must be in
    1..12' at line 2 (the title's), naming no field. YAML dates now stay text, as TOML's errors did already."""
    from datetime import UTC, datetime

    from feeds.ingest.units import unit_from_raws

    fence, date = ("---", "date: 2026-13-45") if kind == "yaml" else ("+++", "date = '2026-13-45'")
    title = "title: Ferry" if kind == "yaml" else "title = 'Ferry'"
    raws = parse_release_file(
        f"{fence}\n{title}\n{date}\n{fence}\nBody.".encode(), "ferry.md", source="inbox", origin="inbox/ferry.md"
    )
    unit = unit_from_raws(
        raws, origin="inbox/ferry.md", source="inbox", settings=make_settings(), now=datetime(2026, 11, 28, tzinfo=UTC)
    )
    # (ingest review) the key as written, `date`, not the field it is read as: the message said 'published'
    assert unit.error is not None and unit.error.startswith("inbox/ferry.md:3: field 'date': (read as published) ")
    assert "'2026-13-45'" in unit.error


def test_yaml_front_matter_timestamps_keep_their_meaning() -> None:
    """A re-check: keeping every YAML timestamp as text broke the forms only YAML reads (`9:30:00 -5`)."""
    (raw,) = parse_release_file(
        b"---\ntitle: Ferry\ndate: 2026-11-20 9:30:00\nupdated: 2026-11-20 10:30:00 -5\n---\nBody.",
        "ferry.md",
        source="inbox",
        origin="inbox/ferry.md",
    )
    assert (raw.published, raw.updated) == ("2026-11-20T09:30:00", "2026-11-20T10:30:00-05:00")


def test_an_empty_title_in_the_front_matter_is_reported_at_its_line() -> None:
    """Ingest review: `title: ""` was reported at the body's line as if there were no title key at all."""
    error = parse_error("only-title.md", '---\ntitle: ""\ndate: 2026-11-20\n---\n\nSome text.\n')
    assert (error.field, error.line) == ("title", 2) and "'title' is empty" in str(error)


def test_front_matter_error_files() -> None:
    with pytest.raises(InvalidReleaseError) as info:
        parse("bad-front-matter-key.md")
    assert (info.value.field, info.value.line) == ("summry", 3)
    assert "did you mean 'summary'?" in str(info.value)
    with pytest.raises(InvalidReleaseError) as info:
        parse("bad-front-matter-toml.md")
    assert info.value.line == 5  # the line after the unclosed array, where TOML notices


# --- JSON ------------------------------------------------------------------------------------------------


def test_json_object_in_our_schema() -> None:
    (raw,) = parse("release.json")
    assert raw.title == "Minister visits new flood barrier at Lowmoor"
    assert raw.body_format == "markdown"
    assert raw.topics == ("Flooding", "Environment")
    assert raw.source_key == "dca-2025-0042"
    assert raw.link == "https://www.example.gov.uk/news/lowmoor-flood-barrier"
    assert raw.origin == "inbox/release.json"


def test_json_list_gives_one_release_per_item_with_numbered_origins() -> None:
    first, second = parse("releases-list.json")
    assert (first.origin, second.origin) == ("inbox/releases-list.json#0", "inbox/releases-list.json#1")
    assert (first.body_format, second.body_format) == ("html", "markdown")
    assert first.topics == ("Environment",)


@pytest.mark.parametrize(
    ("text", "origin", "field", "line", "fragment"),
    [
        (
            '{"title": "x",\n "body": "y",\n}',
            "inbox/x.json",
            None,
            2,
            "comma after the last item",
        ),  # (the comma's line)
        ('{"title": "x", "body": "y", "title": "z"}', "inbox/x.json", "title", None, "appears twice"),
        (
            '[{"title": "A", "body": "x"},\n{"title": "B", "title": "C", "body": "y"}]',
            "inbox/x.json#1",
            "title",
            None,
            "appears twice",
        ),
        ('[{"title": "A", "body": "x", "meta": {"a": 1, "a": 2}}]', "inbox/x.json#0", "a", None, "appears twice"),
        ('{"title": "x", "body": NaN}', "inbox/x.json", None, None, "NaN"),
        ("[]", "inbox/x.json", None, None, "no release"),
        ('[{"title": "x", "body": "y"}, 3]', "inbox/x.json#1", None, None, "must be a JSON object, not number"),
        ('[{"title": "x", "body": "y"}, {"body": "y"}]', "inbox/x.json#1", "title", None, "required"),
        ('"just a string"', "inbox/x.json", None, None, "must be a JSON object, not string"),
        ("[" * 100_000, "inbox/x.json", None, None, "JSON"),
    ],
)
def test_json_errors(text: str, origin: str, field: str | None, line: int | None, fragment: str) -> None:
    error = parse_error("x.json", text)
    assert (error.origin, error.field) == (origin, field)
    if line is not None:
        assert error.line == line
    assert fragment in str(error)


# --- the corpus --------------------------------------------------------------------------------------------


@pytest.mark.corpus
def test_every_corpus_release_file_parses(corpus_releases: Path) -> None:
    files = sorted(p for p in corpus_releases.iterdir() if p.suffix in (".txt", ".json", ".html"))
    assert len(files) >= 37
    for path in files:
        raws = parse_release_file(path.read_bytes(), path.name, source="corpus", origin=str(path))
        assert len(raws) == 1, path.name
        (raw,) = raws
        assert raw.title and raw.body, path.name
        if path.suffix == ".json":
            expected = json.loads(path.read_text(encoding="utf-8"))
            assert raw.title == expected["title"].strip(), path.name
            assert raw.link == "https://www.gov.uk" + expected["base_path"], path.name


@pytest.mark.corpus
def test_corpus_model_text_release(corpus_releases: Path) -> None:
    path = corpus_releases / "foreign-secretary-to-visit-moscow.txt"
    (raw,) = parse_release_file(path.read_bytes(), path.name, source="corpus", origin=str(path))
    assert raw.title == "Press release: Foreign Secretary to visit Moscow"  # the normaliser drops the prefix
    assert raw.body_format == "text"
    assert raw.body is not None and "The Foreign Secretary Boris Johnson said:" in raw.body
    assert raw.line_of("title") == 3  # after two blank lines


# --- any bytes at all ----------------------------------------------------------------------------------------

_PIECES = st.sampled_from(
    [
        "---\n", "+++\n", "# Title\n", "title: x\n", 'title = "x"\n', "date: 2024-02-30\n", "tags: [1]\n", "\n",
        "<h1>", "</h1>", "<p>", "</p>", "<article>", "<nav>", "<h2>Related</h2>", "<br>", "<div class='share'>",
        "<meta charset=koi8-r>", "<?xml version='1.0' encoding='latin1'?>", "<!DOCTYPE x [<!ENTITY a 'b'>]>",
        "{", "}", "[", "]", ":", ",", '"title"', '"body"', '"x"', "null", "1e999", "\xff", "\x00", "\r", "&#0;",
        '"base_path": "/x", "details": {}, "schema_name": "x"',
    ]
)  # fmt: skip
_DOCUMENTS = st.one_of(
    st.binary(max_size=400),
    st.text(max_size=300).map(lambda t: t.encode("utf-8", "surrogatepass")),
    st.lists(_PIECES, max_size=40).map(lambda parts: "".join(parts).encode("utf-8")),
)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=_DOCUMENTS, extension=st.sampled_from(sorted(EXTENSIONS)))
def test_any_bytes_give_releases_or_an_invalid_release_error(data: bytes, extension: str) -> None:
    try:
        raws = parse_release_file(data, f"fuzz{extension}", source="fuzz", origin="fuzz")
    except InvalidReleaseError as e:
        assert e.origin is not None and e.origin.startswith("fuzz")
        return
    assert raws and all(isinstance(raw, RawRelease) and raw.title for raw in raws)


def test_yaml_aliases_are_refused_at_once_where_they_stand() -> None:
    """Nested YAML aliases make a few hundred bytes stand for billions of values ("billion laughs"): walking
    them hung ingest and took gigabytes. Front matter never needs them."""
    levels = ["&a [x,x,x,x,x,x,x,x,x]"] + [
        f"&{chr(98 + i)} [" + ",".join([f"*{chr(97 + i)}"] * 9) + "]" for i in range(8)
    ]
    text = "---\ntitle: Bomb\ntags: [" + ", ".join(levels) + "]\n---\nBody.\n"
    with pytest.raises(InvalidReleaseError) as info:
        parse_release_file(text.encode(), "bomb.md", source="inbox", origin="inbox/bomb.md")
    assert info.value.line == 3 and "aliases (*name) are not accepted" in str(info.value)
    plain = "---\ntitle: Anchored\nsummary: &s Short.\n---\nBody.\n"  # an anchor alone is harmless
    (raw,) = parse_release_file(plain.encode(), "a.md", source="inbox", origin="inbox/a.md")
    assert raw.summary == "Short."


def test_a_yaml_key_written_twice_is_refused_naming_both_lines() -> None:
    """A press officer's review: a template's old `date:` left below a new one, or a second `title:`, was read
    as the last one written, silently (PyYAML keeps the last), where a JSON release or TOML front matter with a
    key twice is refused. The second one is now an error at its line, naming the first one's."""
    text = "---\ntitle: Fisheries talks\ndate: 2026-11-20 09:30\nslug: fisheries-talks\ndate: 2026-11-02\n---\nBody.\n"
    error = parse_error("talks.md", text)
    assert error.line == 5
    assert "the key 'date' is written twice (first on line 3)" in str(error)
    assert str(error).startswith("inbox/talks.md:5:")
    nested = "---\ntitle: Ferry\nsummary: Short.\ntags: [Trade, Trade]\n---\nBody.\n"  # a list may repeat itself
    (raw,) = parse("ferry.md", nested.encode())
    assert raw.title == "Ferry"


def test_a_tab_between_a_yaml_key_and_its_value_is_read_as_a_space() -> None:
    """A press officer's review: values aligned with Tab in Notepad (`date:<Tab>2026-11-20`) rejected the file with
    PyYAML's "found character '\\t' that cannot start any token"; YAML 1.2 reads that tab as a space."""
    text = "---\ntitle:\tFerry fares frozen\ndate: \t2026-11-20\ntags:\t[Trade]\n"
    text += "summary: |\n  Fares\tfrozen.\n---\nBody.\n"
    (raw,) = parse("fares.md", text.encode())
    assert (raw.title, raw.published, raw.topics) == ("Ferry fares frozen", "2026-11-20", ("Trade",))
    assert raw.line_of("published") == 3
    assert raw.summary is not None and raw.summary.startswith("Fares\tfrozen.")  # (inside a value: kept)
    error = parse_error("indent.md", "---\ntitle: Ferry\ntags:\n\t- Trade\n---\nBody.\n")
    assert error.line == 4 and "indent front matter with spaces" in str(error)


def test_markdown_opening_with_a_horizontal_rule_is_not_unclosed_front_matter() -> None:
    text = b"---\n\n# Harbour opens\n\nThe harbour opens on Monday.\n"
    (raw,) = parse_release_file(text, "a.md", source="inbox", origin="inbox/a.md")
    assert raw.title == "Harbour opens" and raw.body == "The harbour opens on Monday."
    with pytest.raises(InvalidReleaseError, match="never closed"):
        parse_release_file(b"---\ntitle: Harbour\n\nThe harbour.\n", "b.md", source="inbox", origin="inbox/b.md")


@pytest.mark.parametrize(
    ("field", "first", "second"),
    [
        ("source_key", "k", " k "),
        ("slug", "Same-Slug", "same-slug"),
        ("link", "https://ex.org/p?a=1", "https://ex.org/p?a=1#top"),
        ("link", "https://ex.org/b", "HTTPS://EX.ORG:443/b"),
        ("link", "http://ex.org/news/b", "https://ex.org/news/b"),
        ("link", "https://ex.org/news/b", "https://ex.org/news/b/"),
    ],
)
def test_two_objects_of_one_file_naming_the_same_release_are_refused(field: str, first: str, second: str) -> None:
    """The same release by the identity rules (not only the same string): stored as one, the second object
    would silently replace the first."""
    text = json.dumps([{"title": "A", "body": "One.", field: first}, {"title": "B", "body": "Two.", field: second}])
    with pytest.raises(InvalidReleaseError) as info:
        parse_release_file(text.encode(), "two.json", source="inbox", origin="inbox/two.json")
    assert f"objects #0 and #1 have the same {field}" in str(info.value)
    other = json.dumps([{"title": "A", "body": "One.", "slug": "a"}, {"title": "B", "body": "Two.", "slug": "b"}])
    assert len(parse_release_file(other.encode(), "ok.json", source="inbox", origin="inbox/ok.json")) == 2


def test_a_number_too_long_for_python_is_a_plain_error() -> None:
    with pytest.raises(InvalidReleaseError) as info:
        parse_release_file(b'{"title": "A", "body": "B", "x": ' + b"9" * 5000 + b"}", "a.json", source="s", origin="a")
    assert "thousands of digits" in str(info.value) and "sys.set_int_max_str_digits" not in str(info.value)


def test_markdown_keeps_two_trailing_spaces_a_hard_line_break() -> None:
    """Re-check: `a line break␣␣⏎here` gave no <br>, as CommonMark does: the lines were stripped on reading."""
    (raw,) = parse("break.md", b"# Ferry times\n\nHarbour Office  \nQuay Street\\\nPortwenna\n\nMore text.  \n\n")
    assert raw.body == "Harbour Office  \nQuay Street\\\nPortwenna\n\nMore text.  "
    release = normalise_release(raw, SITE, TopicSettings(), NOW)
    assert release.body_html.startswith("<p>Harbour Office<br>\nQuay Street<br>\nPortwenna</p>")


def test_markdown_footnotes_are_notes_and_stay_out_of_the_summary() -> None:
    """Re-check: footnotes came out as written, `[^1]` in the summary too."""
    text = (
        "---\ntitle: Ferry fares\n---\n"
        "Fares on every route are frozen until next spring, the minister said today[^1].\n\n[^1]: In Parliament.\n"
    )
    (raw,) = parse("fares.md", text.encode())
    release = normalise_release(raw, SITE, TopicSettings(), NOW)
    assert "<sup>[1]</sup>" in release.body_html and "<li><p>In Parliament.</p>" in release.body_html
    assert release.summary == "Fares on every route are frozen until next spring, the minister said today."


def test_a_markdown_summary_reads_as_its_text() -> None:
    """Re-check: a front-matter summary written in Markdown was printed with its stars and brackets."""
    text = '---\ntitle: Ferry fares\nsummary: "Fares *frozen* for a [year](https://x.example/y)"\n---\nFares frozen.'
    (raw,) = parse("fares.md", text.encode())
    assert normalise_release(raw, SITE, TopicSettings(), NOW).summary == "Fares frozen for a year"


@pytest.mark.parametrize(
    ("name", "text", "line"),
    [
        (
            "skate.md",
            "---\ntitle: Skate survey published\n---\n\n![Skate](https://example.org/skate.jpg)\n\n"
            "EMBARGOED UNTIL 00:01 THURSDAY 3 DECEMBER 2026\n\nThe skate survey found more skate.",
            7,
        ),
        (
            "ray.txt",
            "Press release\nRay survey published\nFirst results from the survey.\n\n"
            "EMBARGOED UNTIL 00:01 THURSDAY 3 DECEMBER 2026\n\nThe ray survey found more rays.",
            5,
        ),
        (
            "ray-caps.txt",
            "Ray survey published\n\nBy the Marine Office\n\n"
            "NOT FOR PUBLICATION BEFORE 00:01 THURSDAY 3 DECEMBER 2026\n\nThe ray survey found more rays.",
            5,
        ),
    ],
)
def test_an_embargo_paragraph_further_down_the_top_still_holds_the_release(name: str, text: str, line: int) -> None:
    """Second re-check: an embargo under an image (Markdown) or under a standfirst (plain text) was published at
    once, the embargo its summary."""
    (raw,) = parse(name, text.encode())
    assert (raw.published, raw.line_of("published")) == ("00:01 THURSDAY 3 DECEMBER 2026", line)
    assert raw.body is not None and "EMBARGOED" not in raw.body and "PUBLICATION" not in raw.body
    release = normalise_release(raw, SITE, TopicSettings(), NOW)
    assert release.published == datetime(2026, 12, 3, 0, 1, tzinfo=UTC) and "EMBARGO" not in release.summary


def test_a_sentence_that_only_looks_like_an_embargo_line_is_text() -> None:
    text = (
        "New guidance for schools\n\nThe guidance, sent today to head teachers, is\nfor release to all schools from "
        "1 December 2026, the minister said.\n\nMore follows."
    )
    (raw,) = parse("guidance.txt", text.encode())
    assert raw.published is None and "for release to all schools" in (raw.body or "")


def test_a_page_description_that_opens_with_the_embargo_is_not_the_summary() -> None:
    """Second re-check: a CMS had built the page's description from its first paragraph, the embargo line."""
    page = (
        '<html><head><meta name="description" content="EMBARGOED UNTIL 00:01 GMT 9 DECEMBER 2026. The oyster '
        'beds reopen."></head><body><article><h1>Oyster beds reopen</h1><p><b>EMBARGOED</b><br>00:01 GMT '
        "Wednesday 9 December 2026</p><p>The oyster beds of the estuary reopen to fishing this winter.</p>"
        "</article></body></html>"
    )
    (raw,) = parse("oysters.html", page.encode())
    release = normalise_release(raw, SITE, TopicSettings(), NOW)
    assert release.published == datetime(2026, 12, 9, 0, 1, tzinfo=UTC)
    assert release.summary.startswith("The oyster beds of the estuary reopen")


@pytest.mark.parametrize(
    ("heading", "title"),
    [
        ("# Rail fares *frozen* for the **minister's** plan", "Rail fares frozen for the minister's plan"),
        ("# Harbour dues frozen[^1]", "Harbour dues frozen"),  # (the footnote is in the text: `[^1]: …`)
        ("# [Ferry](https://example.org/ferry) timetable out", "Ferry timetable out"),
        ("# C++ & C# tips", "C++ & C# tips"),
        ("# 5 * 3 = 15", "5 * 3 = 15"),
    ],
)
def test_a_markdown_heading_is_the_title_as_it_shows(heading: str, title: str) -> None:
    """Second re-check: `# Rail fares *frozen*` kept its stars on the page, in the feeds and in the slug."""
    (raw,) = parse("fares.md", f"{heading}\n\nThe text.[^1]\n\n[^1]: A note.\n".encode())
    assert raw.title == title


@pytest.mark.parametrize(
    ("text", "line", "key"),
    [
        ('+++\ntitle = "Ferry"\ntags = ["Travel"\n+++\nBody', 3, "tags"),
        ('+++\ntitle = "Ferry"\nsummary = """Fares frozen.\ndate = 2026-11-20\n+++\nBody', 3, "summary"),
        ('+++\ntitle = "Ferry"\nlink = { url = "x"\n+++\nBody', 3, "link"),
    ],
)
def test_a_toml_value_left_open_names_its_key_and_line(text: str, line: int, key: str) -> None:
    """Ingest UX review: an unclosed TOML array or string said "Unclosed array (at end of document)" with no line:
    the front matter's end is no place the writer sees. The value left open is the last key's (all after it is
    inside it)."""
    error = parse_error("ferry.md", text)
    assert error.line == line, str(error)
    assert "end of document" not in str(error)
    assert f"the front matter ends inside the value of '{key}'" in str(error)


@pytest.mark.parametrize("text", ["", "  \n\n", "\ufeff"])
def test_an_empty_json_file_says_it_is_empty(text: str) -> None:
    """Ingest UX review: an empty .json file was 'not valid JSON: Expecting value (column 1)'."""
    error = parse_error("empty.json", text)
    assert "the file is empty" in str(error) and "Expecting value" not in str(error)


@pytest.mark.parametrize(
    ("text", "origin", "field", "line"),
    [
        ('{\n  "title": "Ferry",\n  "body": "Fares.",\n  "topics": 5\n}', "inbox/ferry.json", "topics", 4),
        ('{\n  "title": "Ferry",\n  "body": "Fares.",\n  "titel": "x"\n}', "inbox/ferry.json", "titel", 4),
        ('{\n  "body": "Fares."\n}', "inbox/ferry.json", "title", None),
        (
            '[\n  {"title": "One", "body": "x"},\n  {\n    "title": "Two",\n    "body": "y",\n'
            '    "link": "www.x"\n  }\n]',
            "inbox/ferry.json#1",
            "link",
            6,
        ),
        (
            '[{"title": "A \\"link\\": here", "body": "x"},\n {"title": "B", "body": "y", "link": 5}]',
            "inbox/ferry.json#1",
            "link",
            2,
        ),
    ],
)
def test_a_json_file_error_names_the_line_of_its_field(text: str, origin: str, field: str, line: int | None) -> None:
    """Ingest UX review: a field's error in a JSON file named the file and the field but no line, where the same
    mistake in front matter named its line; a long hand-written list is hard to search for its 'link'."""
    error = parse_error("ferry.json", text)
    assert (error.origin, error.field, error.line) == (origin, field, line), str(error)


def test_a_json_date_error_from_the_normaliser_names_its_line(make_settings, tmp_path) -> None:
    """The normaliser's errors (a date, a language) come after the file's text is read: the line of their field is
    found then, from the file (`located`), as the schema's own errors find theirs."""
    from feeds.ingest.units import unit_from_file

    path = tmp_path / "ferry.json"
    path.write_bytes(b'[{"title": "Calm", "body": "x"},\n {\n  "title": "Ferry",\n  "published": "yesterday",')
    path.write_bytes(path.read_bytes() + b'\n  "body": "Fares."\n }]')
    unit = unit_from_file(path, source="inbox", settings=make_settings(), now=NOW)
    assert unit.error is not None and unit.error.startswith(f"{path}#1:4: field 'published': "), unit.error


@pytest.mark.parametrize(
    ("text", "line"),
    [
        ('{\n  "title": "Ferry",\n  "body": "Fares.",\n}\n', 3),
        ('{"title": "Ferry", "body": "Fares.", "topics": ["Travel", "Ports",]}', 1),
        ('[\n  {"title": "Ferry", "body": "Fares."},\n]\n', 2),
    ],
)
def test_a_trailing_comma_in_json_is_named_as_such(text: str, line: int) -> None:
    """Ingest UX review: a comma left after the last field (as JavaScript and Python allow) was 'Expecting property
    name enclosed in double quotes (column 1)' on the line of the closing brace."""
    error = parse_error("ferry.json", text)
    assert "a comma after the last" in str(error) and error.line == line, str(error)


@pytest.mark.parametrize("text", ["", " \n\n", "<!-- nothing -->"])
def test_an_empty_html_file_says_it_is_empty(text: str) -> None:
    """Ingest UX review: an empty .html file was 'not an HTML document: Document is empty' (lxml's words)."""
    error = parse_error("empty.html", text)
    assert "the file is empty" in str(error) and "Document is empty" not in str(error), str(error)


def test_the_decoder_kept_for_each_thread_reads_each_document_as_json_loads_would() -> None:
    """One decoder is kept per thread (`_JsonReading`): a key written twice in one file is not held against the
    next, a NaN still names its file, a BOM is refused as `json.loads` refuses it, and threads keep apart."""
    from concurrent.futures import ThreadPoolExecutor

    twice = '{"title": "x", "body": "y", "title": "z"}'
    good = '{"title": "A", "body": "B", "topics": ["T"]}'
    for _ in range(2):
        assert "appears twice" in str(parse_error("x.json", twice))
        assert [r.title for r in releases_from_json_text(good, source="s", origin="o.json")] == ["A"]
    nan = parse_error("n.json", '{"title": "x", "body": NaN}')
    assert (nan.origin, nan.message) == ("inbox/n.json", "not valid JSON: NaN is not a JSON value")
    try:
        json.loads("\ufeff{}")
    except json.JSONDecodeError as e:
        expected = e.msg
    with pytest.raises(InvalidReleaseError, match=re.escape(expected)):  # (a text whose decoding kept its BOM)
        releases_from_json_text("\ufeff" + good, source="s", origin="o.json")

    def read(i: int) -> list[str]:
        text = twice if i % 2 else good.replace('"A"', f'"A{i}"')
        try:
            return [r.title or "" for r in releases_from_json_text(text, source="s", origin=f"{i}.json")]
        except InvalidReleaseError as e:
            return [str(e)]

    with ThreadPoolExecutor(4) as pool:
        results = list(pool.map(read, range(200)))
    for i, result in enumerate(results):
        assert ("appears twice" in result[0]) if i % 2 else result == [f"A{i}"]
