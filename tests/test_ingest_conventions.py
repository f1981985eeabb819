"""A press office's closing and layout conventions, read from release files as an office drops them into the inbox
(tests/data/conventions/): where "ENDS" (or "###") ends the story, what the summary and the related-coverage terms
are made of (never the contacts), and a table pasted as tab-separated lines."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from feeds.config import Site, TopicSettings
from feeds.ingest.formats import parse_release_file
from feeds.model import Release
from feeds.normalise import normalise_release
from feeds.normalise.body import render_body
from feeds.normalise.closing import without_contacts
from feeds.normalise.plaintext import text_to_html
from feeds.normalise.sanitise import sanitise_html
from feeds.normalise.summary import make_summary
from feeds.watch.terms import derive_terms, profile_text

DATA = Path(__file__).parent / "data" / "conventions"
SITE = Site(
    title="Department for Coastal Affairs",
    base_url="https://press.example.org/",
    author="Department for Coastal Affairs",
    language="en",
    timezone="Europe/London",
)
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def published(name: str) -> Release:
    path = DATA / name
    (raw,) = parse_release_file(path.read_bytes(), name, source="inbox", origin=str(path))
    return normalise_release(raw, SITE, TopicSettings(), NOW)


@pytest.mark.parametrize("marker", ["###", "# # #", "-30-"])
def test_hash_marks_end_the_story_as_ends_does(marker: str) -> None:
    """`###` (and `-30-`) under the story is the wire services' ENDS: not published, and a quotation stops there
    rather than taking the press office's number into the Minister's words."""
    html = text_to_html(f"The Minister said:\n\nThe deal secures quota.\n\n{marker}\n\nPress Office\n020 7946 0789")
    assert html == (
        "<p>The Minister said:</p>\n<blockquote>\n<p>The deal secures quota.</p>\n</blockquote>\n"
        "<p>Press Office<br>020 7946 0789</p>"
    )


def test_a_release_ending_in_hash_marks() -> None:
    release = published("hash-marks-end.txt")
    assert "###" not in release.body_html
    assert (
        "<blockquote>\n<p>The agreement secures quota for our fleet for the next three years.</p>\n</blockquote>"
        in (release.body_html)
    )
    assert "###" not in release.body_text


@pytest.mark.parametrize("text", ["### Background", "#30 was the number", "Ends at 30"])
def test_hash_marks_with_words_are_text(text: str) -> None:
    assert text_to_html(f"Story here.\n\n{text}") == f"<p>Story here.</p>\n<p>{text}</p>"


def test_the_summary_is_never_the_contact_line_above_the_story() -> None:
    release = published("contact-above-story.txt")
    assert release.summary == (
        "Ferry operators serving the Scottish islands have signed a new safety charter with the Department for "
        "Coastal Affairs."
    )


@pytest.mark.parametrize(
    "contact",
    [
        "Media enquiries: Press Office, Department for Coastal Affairs, 020 7946 0123",
        "For more information, please contact press@coastal.gov.uk or call 020 7946 0123",
        "Press office: 020 7946 0123 | press@coastal.gov.uk | @CoastalDept",
        "Contact: Jane Smith, Senior Press Officer, 020 7946 0123",
    ],
)
def test_make_summary_passes_over_contacts(contact: str) -> None:
    story = "Ferry operators have signed a new safety charter with the department."
    assert make_summary(f"{contact}\n\n{story}") == story


def test_a_release_of_contacts_alone_is_still_summarised() -> None:
    """Nothing else to say: the contact is the summary rather than none."""
    only = "For more information contact the Press Office on 020 7946 0123."
    assert make_summary(only) == only


def test_contacts_are_not_related_terms() -> None:
    """The coverage of a release names its people and places, never its press officer or the office's phone line:
    the contacts after the notes to editors are not where its terms come from (the notes are)."""
    release = published("contacts-and-notes.txt")
    assert "Alex Green" in release.body_text  # still published
    text = profile_text(release)
    assert "Alex Green" not in text and "Marine Licensing Directorate" not in text and "CoastalDept" not in text
    assert "Northumberland and Cumbria" in text  # (the notes to editors)
    terms = {term.text for term in derive_terms(release, [release], max_terms=40)}
    assert "Jane Doe" in terms and "Northumberland" in terms
    assert not terms & {"Alex Green", "Green", "Marine Licensing Directorate", "OFFICE CONTACT", "CoastalDept"}


def test_contacts_before_the_notes_leave_the_notes_in_the_terms() -> None:
    text = (
        "Harbour walls will be repaired in Whitby.\n\nMedia enquiries\nAlex Green\n020 7946 0000\n\n"
        "Notes to editors\n\nThe walls protect 400 homes in Robin Hood's Bay."
    )
    html = sanitise_html(text_to_html(text), SITE.base_url)
    assert "Robin Hood" in html
    assert without_contacts(text) == (
        "Harbour walls will be repaired in Whitby.\n\nNotes to editors\n\nThe walls protect 400 homes in Robin "
        "Hood's Bay."
    )


def test_a_table_pasted_as_tab_separated_lines_is_a_table() -> None:
    release = published("tab-table.txt")
    assert (
        "<table>\n<tbody><tr><td>Region</td><td>Spending</td><td>Schemes</td></tr>\n"
        "<tr><td>North West</td><td>£210m</td><td>42</td></tr>\n"
        "<tr><td>South West</td><td>£180m</td><td>37</td></tr>\n</tbody></table>"
    ) in release.body_html
    # labels set out with a tab ("Tel:<tab>020…") are a contact block, its lines kept, not a table
    assert (
        '<p>Contact:<br>Tel: 020 7946 0999<br>Email: <a href="mailto:press@coastal.gov.uk" '
        'rel="noopener noreferrer">press@coastal.gov.uk</a></p>'
    ) in release.body_html
    assert release.body_html == sanitise_html(release.body_html, SITE.base_url)


@pytest.mark.parametrize(
    "text",
    [
        "\tIndented paragraph with a tab.\n\tAnd another line.",
        "One\ttab\nin a line with none below",
        "Rows\tof\ndifferent\twidths\tthree",
    ],
)
def test_tabs_that_set_out_no_table_are_spaces(text: str) -> None:
    assert "<table>" not in text_to_html(text)
    assert "\t" not in text_to_html(text)


@pytest.mark.parametrize(
    "contacts",
    [
        "Media enquiries\nPress Office\n020 7946 0123",
        "For more information\ncontact Jo Bloggs on 020 7946 0123",
        "Press office\npress@coastal.gov.uk",
    ],
)
def test_a_contact_block_headed_on_a_line_of_its_own_ends_the_quotation(contacts: str) -> None:
    """`Media enquiries` over the block's lines ends the Minister's words as `Media enquiries: …` does: the press
    office's number is not published inside the quotation."""
    html = text_to_html(f"The Minister said:\n\nWe will act.\n\n{contacts}")
    assert html.startswith("<p>The Minister said:</p>\n<blockquote>\n<p>We will act.</p>\n</blockquote>\n<p>")


@pytest.mark.parametrize("marker", ["<p align=center><b>###</b></p>", "<p>-30-</p>", "<p>- ENDS -</p>"])
def test_a_word_export_ending_in_hash_marks(marker: str) -> None:
    html, text = render_body(
        f"<p>The harbour reopens.</p>{marker}<p>Press office: 020 7946 0123</p>", "html", None, SITE.base_url
    )
    assert html == "<p>The harbour reopens.</p><p>Press office: 020 7946 0123</p>"
    assert text == "The harbour reopens.\n\nPress office: 020 7946 0123"


def test_a_subheading_in_capitals_is_a_heading_not_the_summary() -> None:
    release = published("capitals-subheading.txt")
    assert release.body_html.startswith("<h2>HARBOUR WALLS TO BE REPAIRED IN TWELVE TOWNS</h2>\n<p>Twelve harbours")
    assert release.summary == "Twelve harbours will be repaired next year under the fund."


@pytest.mark.parametrize(
    ("text", "html"),
    [
        ("Story.\n\nSPENDING BY REGION\n\nMore.", "<p>Story.</p>\n<h2>SPENDING BY REGION</h2>\n<p>More.</p>"),
        # one word (a place, "BACKGROUND"), a sentence in capitals, or a line among others: text as typed
        ("LONDON\n\nStory.", "<p>LONDON</p>\n<p>Story.</p>"),
        ("WE WILL NOT STAND BY.\n\nStory.", "<p>WE WILL NOT STAND BY.</p>\n<p>Story.</p>"),
        ("THE FUND PAYS FOR:\n- walls", "<p>THE FUND PAYS FOR:</p>\n<ul>\n<li>walls</li>\n</ul>"),
        ("PRESS OFFICE\n020 7946 0123", "<p>PRESS OFFICE<br>020 7946 0123</p>"),
        ("NHS 111", "<p>NHS 111</p>"),
    ],
)
def test_capitals_headings(text: str, html: str) -> None:
    assert text_to_html(text) == html


def test_a_capitals_heading_ends_a_quotation() -> None:
    html = text_to_html("The Minister said:\n\nWe will act.\n\nWhat happens next\n\nNEXT STEPS\n\nBids open in May.")
    assert html.endswith("</blockquote>\n<h2>NEXT STEPS</h2>\n<p>Bids open in May.</p>")


@pytest.mark.parametrize(
    "embargo",
    [
        "EMBARGOED: NOT FOR PUBLICATION UNTIL 00:01 THURSDAY 3 DECEMBER 2026",
        "Embargoed: Not for publication or broadcast before 00:01 Thursday 3 December 2026",
        "EMBARGOED UNTIL 00:01 THURSDAY 3 DECEMBER 2026 – NOT FOR PUBLICATION OR BROADCAST BEFORE THIS TIME",
        "EMBARGOED UNTIL 00:01 THURSDAY 3 DECEMBER 2026 (UK TIME)",
        "Embargoed until 00:01 Thursday 3 December 2026. Strictly not for publication before then.",
    ],
)
def test_embargo_lines_as_offices_write_them(embargo: str) -> None:
    """The embargo line's warning ("not for publication or broadcast before this time") and its "(UK time)" are
    words around the time, not a date the file is refused for."""
    text = f"{embargo}\n\nHarbour fund opens\n\nCouncils can bid for harbour money from today onwards.\n"
    (raw,) = parse_release_file(text.encode(), "embargo.txt", source="inbox", origin="embargo.txt")
    release = normalise_release(raw, SITE, TopicSettings(), NOW)
    assert release.title == "Harbour fund opens"
    assert release.published == datetime(2026, 12, 3, 0, 1, tzinfo=UTC)
    assert "publication" not in release.body_text.casefold()


@pytest.mark.parametrize(
    "social",
    [
        "Follow us on X: @CoastalDept",
        "Follow the department on Instagram and Facebook",
        "Twitter: @CoastalDept\nInstagram: @coastaldept",
        "X: https://x.com/CoastalDept",
    ],
)
def test_social_handles_are_contacts(social: str) -> None:
    story = "Harbour walls will be repaired in Whitby next spring."
    assert without_contacts(f"{story}\n\n{social}") == story
    assert make_summary(f"{social}\n\n{story}") == story


@pytest.mark.parametrize("text", ["Followers of the harbour debate will welcome the news.", "X: the unknown factor"])
def test_words_like_social_ones_are_text(text: str) -> None:
    assert without_contacts(f"Story.\n\n{text}") == f"Story.\n\n{text}"


@pytest.mark.parametrize(
    "notes_heading", ["Notes to editors", "NOTES TO EDITORS:", "Editor's notes", "**Notes to Editors:**"]
)
def test_the_summary_never_comes_from_the_notes_to_editors(notes_heading: str) -> None:
    """A story too short to be summarised by the usual rule (a short statement) is still the summary: the notes to
    editors below it are background, not what the release says."""
    text = (
        "{title}Statement on harbour closure\n\n“We are saddened.”\n\nENDS\n\n{notes_heading}\n\n"
        "1. The harbour closed to shipping in 2025 after the storm.\n"
    )
    for name, title in (("statement.txt", ""), ("statement.md", "# ")):
        data = text.format(title=title, notes_heading=notes_heading).encode()
        (raw,) = parse_release_file(data, name, source="inbox", origin=name)
        release = normalise_release(raw, SITE, TopicSettings(), NOW)
        assert "The harbour closed to shipping" in release.body_text
        assert release.summary == "“We are saddened.”", name


def test_a_word_export_s_notes_to_editors_are_not_the_summary() -> None:
    body = "<p>“We are saddened.”</p><p><b>Notes to Editors:</b></p><p>1. The harbour closed to shipping in 2025.</p>"
    raw = parse_release_file(
        f"<html><body><h1>Statement on harbour closure</h1>{body}</body></html>".encode(),
        "statement.html",
        source="inbox",
        origin="statement.html",
    )[0]
    assert normalise_release(raw, SITE, TopicSettings(), NOW).summary == "“We are saddened.”"


@pytest.mark.parametrize("label", ["FOR IMMEDIATE RELEASE", "For immediate release:", "Press release"])
def test_a_label_on_the_line_below_the_headline_is_not_text(label: str) -> None:
    """An e-mail with no blank lines: the headline, "FOR IMMEDIATE RELEASE" on the line below it, then the story."""
    text = f"Harbour fund opens\n{label}\nCouncils can bid for harbour money from today onwards.\n"
    (raw,) = parse_release_file(text.encode(), "fund.txt", source="inbox", origin="fund.txt")
    release = normalise_release(raw, SITE, TopicSettings(), NOW)
    assert release.summary == "Councils can bid for harbour money from today onwards."
    assert release.body_html == "<p>Councils can bid for harbour money from today onwards.</p>"
