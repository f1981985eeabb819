"""Releases dropped in as Word, Google Docs and Outlook leave them: a letterhead table above the headline, a
filtered export's numbered list, a bold subheading set by a style, a Google redirect shown as a link's text or
pasted into Markdown and plain text, Word's optional hyphens and its plain-text export's second-level bullets."""

from __future__ import annotations

from datetime import UTC, datetime

from feeds.config import Site, TopicSettings
from feeds.ingest.formats import parse_release_file
from feeds.model import Release
from feeds.normalise import normalise_release

SITE = Site(title="T", base_url="https://press.example.org/", author="Harbour Council", language="en", timezone="UTC")
NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)

FILTERED_HEAD = (
    "<html><head><meta http-equiv=Content-Type content='text/html; charset=windows-1252'>"
    "<meta name=Generator content='Microsoft Word 15 (filtered)'><title>PR cottage DRAFT v2</title>"
    "<style><!-- p.MsoNormal {margin-bottom:8.0pt;} --></style></head><body lang=EN-GB><div class=WordSection1>"
)
LETTERHEAD = (
    "<table class=MsoTableGrid border=0 cellspacing=0 cellpadding=0><tr>"
    "<td width=301 valign=top><p class=MsoNormal><b><span style='font-size:14.0pt'>Harbour Council</span></b></p></td>"
    "<td width=301 valign=top><p class=MsoNormal align=right>Press release<o:p></o:p></p></td></tr></table>"
    "<p class=MsoNormal><o:p>&nbsp;</o:p></p>"
)
TAIL = "</div></body></html>"


def release(data: bytes | str, name: str = "release.htm") -> Release:
    raw_bytes = data.encode("cp1252") if isinstance(data, str) else data
    (raw,) = parse_release_file(raw_bytes, name, source="inbox", origin=name)
    return normalise_release(raw, SITE, TopicSettings(), NOW)


def test_a_letterhead_table_above_the_headline_is_not_the_headline() -> None:
    html = (
        FILTERED_HEAD + LETTERHEAD + "<p class=MsoNormal><b><span style='font-size:16.0pt'>Keeper’s cottage to"
        " reopen as a visitor centre</span></b></p><p class=MsoNormal>The council’s restoration of the cottage"
        " at Gull Point is finished, and it opens on Saturday.<o:p></o:p></p>" + TAIL
    )
    r = release(html)
    assert r.title == "Keeper’s cottage to reopen as a visitor centre"
    assert r.summary.startswith("The council’s restoration")
    assert "<table" not in r.body_html  # (the letterhead, the office's name and a label, is not the story)
    assert "Press release" not in r.body_text


def test_a_table_of_figures_in_a_word_export_is_kept() -> None:
    html = (
        FILTERED_HEAD + "<p class=MsoNormal><b>Ferry passengers up a fifth</b></p>"
        "<p class=MsoNormal>Passenger numbers rose again this autumn, the harbour board said today.</p>"
        "<table class=MsoTableGrid border=1><tr><td><p class=MsoNormal>2025</p></td><td><p class=MsoNormal>41,000"
        "</p></td></tr><tr><td><p class=MsoNormal>2026</p></td><td><p class=MsoNormal>49,500</p></td></tr></table>"
        + TAIL
    )
    r = release(html)
    assert r.title == "Ferry passengers up a fifth"
    assert "<table>" in r.body_html and "49,500" in r.body_html


def test_a_filtered_export_numbered_list_without_a_span_around_the_number() -> None:
    # Word writes the number bare when the paragraph's language is the document's (no <span lang=…> around it).
    html = (
        FILTERED_HEAD + "<p class=MsoNormal><b>Notes for the open day</b></p>"
        "<p class=MsoNormal>Visitors should read these notes before they come to the open day.</p>"
        "<p class=MsoListParagraphCxSpFirst style='text-indent:-18.0pt'>1.<span style='font:7.0pt \"Times New"
        " Roman\"'>&nbsp;&nbsp;&nbsp;&nbsp;&nbsp; </span>Photos are available on request.</p>"
        "<p class=MsoListParagraphCxSpLast style='text-indent:-18.0pt'>2.<span style='font:7.0pt \"Times New"
        " Roman\"'>&nbsp;&nbsp;&nbsp;&nbsp;&nbsp; </span>Parking is free.</p>" + TAIL
    )
    r = release(html)
    assert "<ol><li>Photos are available on request.</li><li>Parking is free.</li></ol>" in r.body_html


def test_a_paragraph_a_word_style_makes_bold_stays_bold() -> None:
    html = (
        FILTERED_HEAD + "<p class=MsoNormal><b>Cottage reopens</b></p>"
        "<p class=MsoNormal>The council has finished restoring the keeper's cottage at Gull Point.</p>"
        "<p class=MsoNormal><span style='font-weight:bold'>What visitors will find</span></p>"
        "<p class=MsoNormal>A room set out as it was in 1910, and <span style='font-style:italic'>the</span> lamp.</p>"
        + TAIL
    )
    r = release(html)
    assert "<p><strong>What visitors will find</strong></p>" in r.body_html
    assert "<em>the</em> lamp" in r.body_html
    assert "<span" not in r.body_html  # (spans that only carried a style are not published)


def test_a_google_redirect_shown_as_a_links_text_reads_as_the_address() -> None:
    # An address copied from a Google Doc and pasted into Outlook: its text is the redirect, as its target was.
    url = "https://www.google.com/url?q=https://harbour.example.org/beachclean&amp;sa=D&amp;source=editors&amp;usg=AOv"
    html = (
        "<html><head><meta name=Generator content='Microsoft Word 15'></head><body><div class=WordSection1>"
        "<p class=MsoNormal><b>Volunteers wanted for the beach clean</b></p>"
        f'<p class=MsoNormal>Gloves and bags are provided. Register at <a href="{url}">{url}</a>.</p>' + TAIL
    )
    r = release(html)
    assert "google" not in r.body_html
    assert '<a href="https://harbour.example.org/beachclean" rel="noopener noreferrer">' in r.body_html
    assert "Register at https://harbour.example.org/beachclean." in r.body_text


def test_google_redirects_in_markdown_and_plain_text_are_the_addresses_meant() -> None:
    redirect = "https://www.google.com/url?q=https://harbour.example.org/lifeboat%3Fref%3Dpress&sa=D&source=editors&ust=1&usg=AOv"
    md = (
        "**Lifeboat station gets a new slipway**\n\nRead more at [the station page]("
        + redirect
        + ") or at "
        + redirect
        + " today.\n"
    )
    r = release(md.encode(), "lifeboat.md")
    assert "google" not in r.body_html, r.body_html
    assert r.body_html.count('href="https://harbour.example.org/lifeboat?ref=press"') == 2
    text = "Lifeboat station gets a new slipway\n\nRead more at " + redirect + " today.\n"
    r = release(text.encode(), "lifeboat.txt")
    assert "google" not in r.body_html
    assert "Read more at https://harbour.example.org/lifeboat?ref=press today." in r.body_text


def test_optional_hyphens_are_left_out_of_the_title_slug_summary_and_text() -> None:
    text = (
        "Council to replant the sea\u00adfront gardens\r\n\r\nThe council will replant the sea\u00adfront gardens"
        " this winter with salt\u00adtolerant shrubs.\r\n"
    )
    for data, name in ((text.encode("cp1252"), "gardens.txt"), (b"\xff\xfe" + text.encode("utf-16-le"), "g.txt")):
        r = release(data, name)
        assert r.title == "Council to replant the seafront gardens"
        assert r.slug == "council-to-replant-the-seafront-gardens"
        assert r.summary == "The council will replant the seafront gardens this winter with salttolerant shrubs."
        assert "\u00ad" not in r.body_html and "\u00ad" not in r.body_text


def test_word_plain_text_second_level_bullets_are_a_list_of_their_own() -> None:
    # Word's "Save as Plain Text" writes a first-level bullet as "•<tab>" and a second-level one as "o<tab>".
    text = (
        "Seafront gardens replanted\r\n\r\nThe work includes:\r\n\u2022\tnew beds along the promenade\r\n"
        "o\ttwo rows of tamarisk\r\no\tseating for 40 people\r\n\u2022\ta drinking fountain\r\n"
    )
    r = release(text.encode("cp1252"), "gardens.txt")
    assert (
        "<ul>\n<li>new beds along the promenade<ul>\n<li>two rows of tamarisk</li>\n<li>seating for 40 people</li>\n"
        "</ul></li>\n<li>a drinking fountain</li>\n</ul>"
    ) in r.body_html, r.body_html
