"""Releases as a press office writes them: in Word, Google Docs or LibreOffice, exported to HTML or pasted into an
Outlook message saved as HTML, then dropped in the inbox. Each export in tests/data/officeexports/ was written by
hand the way its program writes one (Word's conditional comments, `o:p`, `mso-` styles and windows-1252 bytes;
Google Docs' one-line page of classes and redirect links; LibreOffice's `<font>` tags; Outlook's message headers
and SafeLinks). What is published is the release as its author sees it: headline, summary, paragraphs, lists,
the quotation after "… said:", the links meant, the pound and euro signs and curly quotes, the date."""

from __future__ import annotations

import io
import zipfile
from datetime import UTC, datetime
from pathlib import Path

import pytest

from feeds.config import Site, TopicSettings
from feeds.errors import InvalidReleaseError
from feeds.ingest import run_ingest
from feeds.ingest.formats import parse_release_file
from feeds.model import Release
from feeds.normalise import normalise_release

DATA = Path(__file__).parent / "data" / "officeexports"
SITE = Site(
    title="DfT news",
    base_url="https://press.example.gov.uk/",
    author="Department for Transport",
    language="en",
    timezone="Europe/London",
)
NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)
EXPORTS = ["word-web-page.htm", "word-filtered.htm", "google-docs.html", "libreoffice.html", "outlook.htm"]


def release_of(name: str) -> Release:
    (raw,) = parse_release_file((DATA / name).read_bytes(), name, source="inbox", origin=name)
    return normalise_release(raw, SITE, TopicSettings(), NOW)


def flat(html: str) -> str:
    return " ".join(html.split()).replace("> <", "><")


@pytest.mark.parametrize("name", EXPORTS)
def test_no_word_processor_markup_is_published(name: str) -> None:
    body = release_of(name).body_html
    for mark in (
        "<o:p",
        "o:p>",
        "mso-",
        "Mso",
        "class=",
        "style=",
        "<span",
        "<font",
        "&nbsp;",
        "\xa0",
        "<p></p>",
        "<p> ",
    ):
        assert mark not in body, f"{mark!r} in {name}"
    assert "google.com/url" not in body and "safelinks" not in body


@pytest.mark.parametrize(
    ("name", "title", "summary_starts"),
    [
        ("word-web-page.htm", "£12 million for canal towpaths in the North", "Towpaths on six canals"),
        ("word-filtered.htm", "Island ferry fares cut by a third", "Fares on the lifeline ferries"),
        ("google-docs.html", "Free bus travel for care leavers extended to 25", "Young people leaving care"),
        ("libreoffice.html", "Tyne footbridge to reopen before Christmas", "The footbridge between Gateshead"),
        ("outlook.htm", "Rail fares frozen for 2027", "Regulated rail fares in England"),
    ],
)
def test_headline_and_summary_are_the_documents(name: str, title: str, summary_starts: str) -> None:
    r = release_of(name)
    assert r.title == title
    assert r.summary is not None and r.summary.startswith(summary_starts)
    assert title not in r.body_text


def test_a_libreoffice_headline_in_large_type_is_the_headline_and_its_embargo_is_read() -> None:
    # LibreOffice's "Title" style: 28pt, centred; set large, not bold. Under it, the embargo line.
    r = release_of("libreoffice.html")
    assert r.title == "Tyne footbridge to reopen before Christmas"
    assert r.published == datetime(2026, 12, 1, 0, 1, tzinfo=UTC)
    assert "Embargoed" not in r.body_text
    assert "<h2>Notes to editors</h2>" in r.body_html


def word_page(paragraphs: str) -> Release:
    html = (
        "<html xmlns:o='urn:schemas-microsoft-com:office:office'><head><meta name=ProgId content=Word.Document>"
        "<title>PR dues DRAFT</title></head><body lang=EN-GB><div class=WordSection1>"
        + paragraphs
        + "</div></body></html>"
    )
    (raw,) = parse_release_file(html.encode("cp1252"), "dues.htm", source="inbox", origin="dues.htm")
    return normalise_release(raw, SITE, TopicSettings(), NOW)


def test_a_word_headline_made_larger_not_bold_is_the_headline() -> None:
    r = word_page(
        "<p class=MsoNormal><span style='font-size:18.0pt;line-height:107%'>Harbour dues frozen<o:p></o:p></span></p>"
        "<p class=MsoNormal>Boats will pay the same dues next year.<o:p></o:p></p>"
        "<h2>Notes to editors</h2><p class=MsoNormal>The harbour is run by the council.</p>"
    )
    assert r.title == "Harbour dues frozen" and r.summary == "Boats will pay the same dues next year."


def test_a_document_in_large_print_is_not_titled_by_its_first_sentence() -> None:
    r = word_page(
        "<p class=MsoNormal><span style='font-size:16.0pt'>Boats will pay the same dues next year.</span></p>"
        "<h2>Harbour dues frozen</h2><p class=MsoNormal><span style='font-size:16.0pt'>The harbour is run by the"
        " council.</span></p>"
    )
    assert r.title == "Harbour dues frozen"


@pytest.mark.parametrize(
    ("name", "said", "quote_starts"),
    [
        ("word-web-page.htm", "Transport Minister Priya Lennox said:", "“Our canals were built"),
        ("google-docs.html", "Children’s Minister Tom Ashby said:", "“No young person"),
        ("libreoffice.html", "Local Transport Minister Dev Sharma said:", "“People on both banks"),
        ("outlook.htm", "Transport Secretary Alun Pryce said:", "“Commuters have told us"),
    ],
)
def test_the_quotation_after_said_is_a_blockquote(name: str, said: str, quote_starts: str) -> None:
    body = flat(release_of(name).body_html)
    assert f"<p>{said}</p><blockquote><p>{quote_starts}" in body
    assert body.count("<blockquote>") == 1


def test_a_quotation_of_two_paragraphs_is_one_blockquote_and_the_story_goes_on() -> None:
    # The newspaper convention: each paragraph opens with a mark, only the last one closes it.
    body = flat(release_of("word-filtered.htm").body_html)
    assert (
        "<p>Maritime Minister Helen Treloar said:</p><blockquote><p>“For people on the islands the ferry is the road"
        " to the doctor, the school and the supermarket. It shouldn’t cost a fortune.</p><p>“Today’s cut is paid for"
        " in full and will last for at least three years.”</p></blockquote><p>The operator will publish"
    ) in body


def test_a_paragraph_after_said_that_is_no_quotation_stays_a_paragraph() -> None:
    html = (
        "<html><head><meta name=ProgId content=Word.Document></head><body><div class=WordSection1>"
        "<p class=MsoTitle>Harbour dues frozen</p><p class=MsoNormal>The harbour master said:</p>"
        "<p class=MsoNormal>Boats will pay the same dues as this year.</p>"
        "<p class=MsoNormal>“We listened,” the harbour master said.</p></div></body></html>"
    )
    (raw,) = parse_release_file(html.encode(), "dues.htm", source="inbox", origin="dues.htm")
    body = normalise_release(raw, SITE, TopicSettings(), NOW).body_html
    assert "<blockquote>" not in body


def test_a_web_page_keeps_its_own_quotation_markup() -> None:
    # Not a word processor's export: its paragraphs are what its site marked, a quotation too.
    html = (
        "<html><head><title>Harbour dues frozen</title></head><body><article><h1>Harbour dues frozen</h1>"
        "<p>The harbour master said:</p><p>“We listened to the boat owners.”</p></article></body></html>"
    )
    (raw,) = parse_release_file(html.encode(), "dues.html", source="inbox", origin="dues.html")
    assert "<blockquote>" not in normalise_release(raw, SITE, TopicSettings(), NOW).body_html


@pytest.mark.parametrize("name", ["word-web-page.htm", "word-filtered.htm", "google-docs.html", "libreoffice.html"])
def test_bullets_are_a_real_list(name: str) -> None:
    body = flat(release_of(name).body_html)
    assert body.count("<ul>") == 1 and body.count("<li>") in (2, 3)
    assert "·" not in body and "•" not in body


def test_the_encoding_is_read_right() -> None:
    word = release_of("word-web-page.htm")  # (windows-1252 bytes, declared)
    assert "£12 million" in word.body_text and "€2 million" in word.body_text and "they’re" in word.body_text
    ferry = release_of("word-filtered.htm")
    assert "£420" in ferry.summary and "residents’ return tickets" in ferry.body_text
    gdoc = release_of("google-docs.html")
    assert "£600 (€700) a year" in gdoc.body_text and "Children’s Minister" in gdoc.body_text
    outlook = release_of("outlook.htm")  # (us-ascii and character references)
    assert "£160" in outlook.summary and "we’ll keep listening.”" in outlook.body_text


def test_dates_the_documents_state() -> None:
    assert release_of("word-web-page.htm").published == datetime(2026, 11, 30, tzinfo=UTC)
    assert release_of("google-docs.html").published == datetime(2026, 12, 1, tzinfo=UTC)
    ferry = release_of("word-filtered.htm")
    assert ferry.published == datetime(2026, 12, 2, 0, 1, tzinfo=UTC)
    assert "Embargoed" not in ferry.body_text and "30 November 2026" not in release_of("word-web-page.htm").body_text


def test_google_docs_links_are_the_addresses_meant() -> None:
    body = release_of("google-docs.html").body_html
    assert '<a href="https://www.gov.uk/government/news/care-leavers-bus-pass"' in body
    # (the address Google wrapped holds a query of its own, encoded in Google's `q`)
    assert '<a href="https://www.gov.uk/guidance/concessionary-travel?section=care-leavers&amp;v=2"' in body
    assert '<a href="mailto:news@dft.example.gov.uk"' in body


def test_outlook_safe_links_are_the_addresses_meant() -> None:
    # Microsoft 365 rewrites every link of a message it delivers through its "Safe Links" service; the
    # address carries the recipient's e-mail address (`data=…grace.okafor%40…`) and expires with the tenant.
    r = release_of("outlook.htm")
    assert '<a href="https://www.nationalrail.co.uk/tickets/season-tickets/"' in r.body_html
    assert '<a href="https://www.gov.uk/government/publications/rail-fares-2027?tab=summary"' in r.body_html
    assert "grace.okafor" not in r.body_html and "sdata" not in r.body_html


def test_a_safe_link_shown_as_a_links_text_reads_as_the_address() -> None:
    safe = (
        "https://gbr01.safelinks.protection.outlook.com/?url=https%3A%2F%2Fwww.gov.uk%2Fcanals&amp;data=05%7C02%7C"
        "jo%40dft.example.gov.uk%7C0&amp;sdata=abc%3D&amp;reserved=0"
    )
    html = (
        "<html><head><meta name=Generator content='Microsoft Word 15 (filtered medium)'></head><body>"
        "<div class=WordSection1><p class=MsoNormal><b>Canal towpaths fund opens</b></p>"
        f'<p class=MsoNormal>Apply at <a href="{safe}">{safe}</a> from today.</p></div></body></html>'
    )
    (raw,) = parse_release_file(html.encode(), "canals.htm", source="inbox", origin="canals.htm")
    r = normalise_release(raw, SITE, TopicSettings(), NOW)
    assert '<a href="https://www.gov.uk/canals" rel="noopener noreferrer">https://www.gov.uk/canals</a>' in r.body_html


def test_word_links_are_absolute_and_mail_links_kept() -> None:
    body = release_of("word-web-page.htm").body_html
    assert '<a href="https://www.gov.uk/government/publications/canal-towpaths-fund"' in body
    assert '<a href="mailto:press@dft.example.gov.uk"' in body
    assert "canal-map.pdf" not in body and "or see the map of the routes." in " ".join(
        release_of("word-web-page.htm").body_text.split()
    )


def google_docs_zip(*, images: bool = True) -> bytes:
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as z:
        z.writestr("Carebuspass.html", (DATA / "google-docs.html").read_bytes())
        if images:
            z.writestr("images/image1.png", b"\x89PNG\r\n\x1a\n")
    return data.getvalue()


def test_a_zipped_page_of_another_program_is_refused_saying_what_to_drop() -> None:
    # (a Google Docs export is read from its zip before the file's format is asked: `test_ingest_zipexport.py`)
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as z:
        z.writestr("PR canal grants.htm", (DATA / "word-filtered.htm").read_bytes())
    with pytest.raises(InvalidReleaseError) as caught:
        parse_release_file(data.getvalue(), "Canal grants.zip", source="inbox", origin="inbox/x.zip")
    message = str(caught.value)
    assert "Canal grants.zip" in message and "zip" in message
    assert "unzip it" in message and "'PR canal grants.htm'" in message and "Google Docs" in message


def test_another_zip_is_refused_saying_to_unzip_it() -> None:
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w") as z:
        z.writestr("a.txt", "Harbour dues frozen\n\nBoats pay the same.")
        z.writestr("b.txt", "Ferry fares cut\n\nBy a third.")
    with pytest.raises(InvalidReleaseError, match=r"a zip archive.*unzip it and drop the releases it holds"):
        parse_release_file(data.getvalue(), "releases.zip", source="inbox", origin="releases.zip")
    with pytest.raises(InvalidReleaseError, match="not a zip archive that can be read"):
        parse_release_file(b"PK\x03\x04 cut short", "broken.zip", source="inbox", origin="broken.zip")


def test_a_damaged_zip_is_refused_as_such() -> None:
    # (found by mutating an archive's bytes: a version zipfile does not know raised NotImplementedError)
    archive = bytearray(google_docs_zip())
    entry = archive.rindex(b"PK\x01\x02")  # the last central directory entry: "version needed", made 23.6
    archive[entry + 6] = 236
    with pytest.raises(InvalidReleaseError, match=r"cannot read 'x\.zip'"):
        parse_release_file(bytes(archive), "x.zip", source="inbox", origin="x.zip")


@pytest.mark.parametrize(
    ("name", "how"),
    [
        ("PR canal grants.docx", "Word: File > Save As > Web Page"),
        ("PR canal grants.odt", "LibreOffice: File > Save As > HTML Document"),
        ("PR canal grants.rtf", "Word: File > Save As > Web Page"),
    ],
)
def test_a_document_dropped_by_mistake_is_rejected_and_kept(app, inbox, name: str, how: str) -> None:
    (inbox / name).write_bytes(b"PK\x03\x04 a document")
    [outcome] = run_ingest(app).outcomes
    assert outcome.status == "rejected"
    assert name in outcome.error and how in outcome.error
    assert (inbox / "rejected" / name).read_bytes() == b"PK\x03\x04 a document"
    assert name in (inbox / "rejected" / f"{name}.error.txt").read_text(encoding="utf-8")


def test_a_zipped_google_docs_export_dropped_is_published(app, inbox) -> None:
    dropped = google_docs_zip()  # (made once: its members are dated when it is made, to the two seconds)
    (inbox / "Care leavers bus pass.zip").write_bytes(dropped)
    [outcome] = run_ingest(app).outcomes
    assert (outcome.status, outcome.warning) == ("created", None)
    assert (inbox / "processed" / "Care leavers bus pass.zip").read_bytes() == dropped


def test_the_exports_dropped_together_are_published(app, inbox) -> None:
    for name in EXPORTS:
        (inbox / name).write_bytes((DATA / name).read_bytes())
    report = run_ingest(app)
    assert sorted(o.status for o in report.outcomes) == ["created"] * len(EXPORTS)
    assert all(o.warning is None for o in report.outcomes)
    assert sorted(p.name for p in inbox.iterdir()) == ["processed"]


def test_a_word_link_to_a_file_beside_the_document_is_its_text() -> None:
    # Word writes a link to a file in the document's folder (or near it) relative to it: a file on the author's
    # disk, which the site's address would make a broken link. A link to the site's own page stays.
    r = word_page(
        "<p class=MsoTitle>Canal map published</p><p class=MsoNormal>See the <a href='canal-map.pdf'>map</a>, the"
        " <a href='../Maps/canal%20routes.xlsx'>routes</a>, the <a href='/news/towpaths'>earlier story</a> and"
        " the <a href='https://www.gov.uk/canals#map'>guidance</a>.</p>"
    )
    assert "See the map, the routes, the earlier story and the guidance." in r.body_text
    assert "canal-map.pdf" not in r.body_html and "Maps" not in r.body_html
    assert '<a href="https://press.example.gov.uk/news/towpaths"' in r.body_html
    assert '<a href="https://www.gov.uk/canals#map"' in r.body_html


def test_a_word_export_with_a_base_keeps_its_relative_links() -> None:
    # (a page saved with a <base>: its relative links are on that site)
    html = (
        "<html><head><meta name=ProgId content=Word.Document><base href='https://www.gov.uk/canals/'></head><body>"
        "<p class=MsoTitle>Canal map published</p><p class=MsoNormal>See the <a href='map.pdf'>map</a>.</p>"
        "</body></html>"
    )
    (raw,) = parse_release_file(html.encode(), "map.htm", source="inbox", origin="map.htm")
    r = normalise_release(raw, SITE, TopicSettings(), NOW)
    assert '<a href="https://www.gov.uk/canals/map.pdf"' in r.body_html


def test_a_google_docs_heading_is_not_also_bold() -> None:
    # Google Docs' headings are bold by a class of its style sheet, as a heading is in any page: no <strong> in it.
    assert "<h2>Notes to editors</h2>" in release_of("google-docs.html").body_html


def test_a_forwarded_messages_cover_note_and_headers_are_not_the_release() -> None:
    # A release forwarded in Outlook ("final version below"), saved as HTML: the message's headers, the note
    # above the forwarded one and its headers (staff's names and addresses) are the e-mail's, not the release's.
    r = release_of("outlook-forwarded.htm")
    assert r.title == "Free bus travel for care leavers extended to 25"
    assert r.summary.startswith("Care leavers in England will be able to travel free")
    assert r.organisation == "Department for Transport"
    for text in ("Hi both", "Thanks, Sam", "grace.okafor@", "Sent:", "Subject:"):
        assert text not in r.body_html


def test_headers_quoted_inside_a_release_that_is_no_email_stay() -> None:
    # (not an e-mail saved as a page: its first paragraph is no message's headers)
    r = word_page(
        "<p class=MsoTitle>How to spot a scam e-mail</p><p class=MsoNormal>Fraudsters are sending messages like"
        " this one.</p><p class=MsoNormal>From: HMRC Refunds &lt;refund@example.net&gt;<br>To: you<br>Subject:"
        " Your refund</p><p class=MsoNormal>Delete them.</p>"
    )
    assert "Fraudsters are sending" in r.body_text and "Subject: Your refund" in r.body_text


@pytest.mark.parametrize(
    ("name", "says"),
    [
        ("PR canal grants.mht", "save it as 'Web Page, Filtered' (.htm) instead"),
        ("Canal towpaths fund.msg", "Outlook: File > Save As > HTML"),
        ("Canal towpaths fund.eml", "open it and save it as HTML"),
        ("PR canal grants.pdf", "drop the document it was made from"),
    ],
)
def test_other_files_dropped_by_mistake_say_what_to_drop(name: str, says: str) -> None:
    with pytest.raises(InvalidReleaseError) as caught:
        parse_release_file(b"MIME-Version: 1.0\r\n", name, source="inbox", origin=name)
    assert f"cannot read '{name}'" in str(caught.value) and says in str(caught.value)


def test_a_word_lists_second_level_is_a_list_inside_its_item() -> None:
    # Word's "a." under "1.": published flat, it read as item 2, and the real item 2 as 3.
    def item(level: int, mark: str, text: str) -> str:
        return (
            f"<p class=MsoListParagraphCxSpMiddle style='margin-left:{36 * level}.0pt;text-indent:-18.0pt;"
            f"mso-list:l1 level{level} lfo2'><![if !supportLists]><span style='mso-list:Ignore'>{mark}<span"
            " style='font:7.0pt \"Times New Roman\"'>&nbsp;&nbsp;&nbsp; </span></span><![endif]>"
            f"{text}<o:p></o:p></p>"
        )

    r = word_page(
        "<p class=MsoTitle>Rural lanes fund opens</p><p class=MsoNormal>Bids must show:</p>"
        + item(1, "1.", "where crashes happen")
        + item(2, "a.", "with police figures")
        + item(2, "b.", "and the council’s own")
        + item(1, "2.", "what the council will pay")
        + item(2, "o", "in cash")
        + "<p class=MsoNormal>Bids close in March.</p>"
    )
    assert flat(r.body_html).replace("\n", "") == (
        "<div><p>Bids must show:</p><ol><li>where crashes happen<ol><li>with police figures</li><li>and the"
        " council’s own</li></ol></li><li>what the council will pay<ul><li>in cash</li></ul></li></ol>"
        "<p>Bids close in March.</p></div>"
    )


def test_a_filtered_word_exports_second_level_is_known_by_its_indent() -> None:
    def item(margin: str, mark: str, text: str) -> str:
        return (
            f"<p class=MsoListParagraphCxSpMiddle style='{margin}text-indent:-18.0pt'><span style='font-family:"
            f"Symbol'>{mark}<span style='font:7.0pt \"Times New Roman\"'>&nbsp;&nbsp;&nbsp; </span></span>{text}</p>"
        )

    r = word_page(
        "<p class=MsoTitle>Rural lanes fund opens</p><p class=MsoNormal>Bids must show:</p>"
        + item("", "·", "where crashes happen")
        + item("margin-left:72.0pt;", "o", "with police figures")
        + item("", "·", "what the council will pay")
    )
    assert "<ul><li>where crashes happen<ul><li>with police figures</li></ul></li><li>what the council will pay" in (
        flat(r.body_html).replace("\n", "")
    )


def test_a_google_docs_lists_second_level_is_a_list_inside_its_item() -> None:
    # Google Docs writes each change of level as a list of its own, classed by list and level (`lst-kix_a1-1`).
    html = (
        '<html><head><style type="text/css">.lst-kix_a1-0>li:before{content:"\\0025cf   "}.c5{font-weight:700}'
        '</style></head><body class="c7 doc-content"><p class="c3 title" id="h.k2x9"><span class="c5">Rural lanes'
        ' fund opens</span></p><p class="c3"><span class="c1">Bids must show:</span></p>'
        '<ul class="c2 lst-kix_a1-0 start"><li class="c3 li-bullet-0"><span class="c1">where crashes happen</span>'
        '</li></ul><ul class="c2 lst-kix_a1-1 start"><li class="c3 li-bullet-1"><span class="c1">with police figures'
        '</span></li></ul><ul class="c2 lst-kix_a1-0"><li class="c3 li-bullet-0"><span class="c1">what the council'
        ' will pay</span></li></ul><p class="c3"><span class="c1">Steps:</span></p>'
        '<ol class="c2 lst-kix_b2-0 start" start="1"><li class="c3"><span class="c1">register</span></li></ol>'
        '<ol class="c2 lst-kix_b2-1 start" start="1"><li class="c3"><span class="c1">online</span></li></ol>'
        '<ol class="c2 lst-kix_b2-0" start="2"><li class="c3"><span class="c1">bid</span></li></ol></body></html>'
    )
    (raw,) = parse_release_file(html.encode(), "lanes.html", source="inbox", origin="lanes.html")
    body = normalise_release(raw, SITE, TopicSettings(), NOW).body_html
    assert body == (
        "<p>Bids must show:</p><ul><li>where crashes happen<ul><li>with police figures</li></ul></li><li>what the"
        " council will pay</li></ul><p>Steps:</p><ol><li>register<ol><li>online</li></ol></li><li>bid</li></ol>"
    )


def test_a_short_statement_is_tidied_as_a_long_release_is() -> None:
    # Two lines from Word (no paragraph long enough to be scored as an article's): its typed spaces, list
    # bullets and the spans that carried Word's styles were published as they were.
    r = word_page(
        "<p class=MsoTitle>Rail strike statement<o:p></o:p></p><p class=MsoNormal><o:p>&nbsp;</o:p></p>"
        "<p class=MsoNormal>A spokesperson said:<o:p></o:p></p><p class=MsoNormal>&nbsp;&nbsp;“We urge talks.”</p>"
        "<p class=MsoListParagraph style='text-indent:-18.0pt;mso-list:l0 level1 lfo1'><![if !supportLists]><span"
        " style='font-family:Symbol'><span style='mso-list:Ignore'>·<span style='font:7.0pt \"Times New Roman\"'>"
        "&nbsp;&nbsp; </span></span></span><![endif]>Trains run<o:p></o:p></p>"
    )
    assert r.body_html == (
        "<div><p>A spokesperson said:</p><blockquote><p>“We urge talks.”</p></blockquote><ul><li>Trains run</li></ul>"
        "</div>"
    )


def test_a_forwarded_messages_disclaimer_is_not_published() -> None:
    r = release_of("outlook-forwarded.htm")
    assert r.body_text.rstrip().endswith("07700 900123")  # (a signature is the author's to delete: it stays)
    assert "intended for the named recipient" not in r.body_html


def test_a_release_about_misdirected_emails_keeps_its_words() -> None:
    # (not an e-mail saved as a page: its last paragraph is text, whatever it says)
    r = word_page(
        "<p class=MsoTitle>Council apologises for data error</p><p class=MsoNormal>Residents were sent the wrong"
        " letters this week.</p><p class=MsoNormal>If you have received this e-mail in error, it was intended for"
        " another resident and is confidential: please delete it.</p>"
    )
    assert "please delete it." in r.body_text


def test_a_quotation_after_said_on_a_new_line_of_the_same_paragraph() -> None:
    # Shift+Enter in Word: "said:" and the quotation are lines of one paragraph, parted by a <br>.
    r = word_page(
        "<p class=MsoTitle>Harbour dues frozen</p><p class=MsoNormal>The harbour master, Jo Penrose, said:<br>"
        "“We listened to the boat owners, and we <b>acted</b> on what they told us.”<o:p></o:p></p>"
        "<p class=MsoNormal>Dues will be reviewed next year, the council said.</p>"
    )
    assert flat(r.body_html).replace("\n", "") == (
        "<div><p>The harbour master, Jo Penrose, said:</p><blockquote><p>“We listened to the boat owners, and we"
        " <b>acted</b> on what they told us.”</p></blockquote><p>Dues will be reviewed next year, the council"
        " said.</p></div>"
    )
