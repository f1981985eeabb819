"""Releases as a press officer's office software exports them (Word's "Web Page" and "Web Page, Filtered",
Google Docs' "Download → Web page", LibreOffice, TextEdit) or a notes app writes them (Obsidian, Typora): the
headline, text and links meant, and none of the software's own marks; Obsidian's `#tag` lines are topics."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from feeds.config import Site, TopicSettings
from feeds.errors import InvalidReleaseError
from feeds.ingest.folder import folder_note
from feeds.ingest.formats import parse_release_file
from feeds.model import Release
from feeds.normalise import normalise_release

SITE = Site(title="T", base_url="https://press.example.org/", author="Harbour Council", language="en", timezone="UTC")
NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)

WORD_HEAD = (
    "<html xmlns:o='urn:schemas-microsoft-com:office:office'><head>"
    "<meta http-equiv=Content-Type content='text/html; charset=windows-1252'>"
    "<meta name=ProgId content=Word.Document><title>PR DRAFT v2</title></head><body lang=EN-GB>"
    "<div class=WordSection1><p class=MsoNormal><b>Harbour wall repairs begin<o:p></o:p></b></p>"
    "<p class=MsoNormal><o:p>&nbsp;</o:p></p>"
)
# Google Docs' export: one line, no <title>, classes for every style, the Title style a paragraph of class "title".
GDOC_HEAD = (
    '<html><head><meta content="text/html; charset=UTF-8" http-equiv="content-type"><style type="text/css">'
    ".c1{font-weight:400}.c5{font-weight:700}.title{font-size:26pt}</style></head>"
    '<body class="c7 doc-content"><p class="c3 title" id="h.k2x9"><span class="c5">Library opening hours extended'
    '</span></p><p class="c3"><span class="c1"></span></p>'
)


def release(html: str, name: str = "release.htm", encoding: str = "utf-8") -> Release:
    (raw,) = parse_release_file(html.encode(encoding), name, source="inbox", origin=name)
    return normalise_release(raw, SITE, TopicSettings(), NOW)


def test_word_tab_after_a_typed_number_is_a_space() -> None:
    # Word writes a tab typed after "1." as a <span style='mso-tab-count:1'> of no-break spaces.
    html = (
        WORD_HEAD + "<p class=MsoNormal>The council agreed the works today.<o:p></o:p></p>"
        "<p class=MsoNormal>1.<span style='mso-tab-count:1'>&nbsp;&nbsp;&nbsp;&nbsp; </span>The\r\n"
        "wall is 200 years old.<o:p></o:p></p></div></body></html>"
    )
    r = release(html, encoding="cp1252")
    assert "1. The wall is 200 years old." in " ".join(r.body_text.split())


def test_google_docs_title_paragraph_is_the_headline() -> None:
    html = GDOC_HEAD + (
        '<p class="c3"><span class="c1">From 1 December the central library will open until 8pm on weekdays.</span>'
        "</p></body></html>"
    )
    r = release(html, "Library hours.html")
    assert r.title == "Library opening hours extended"
    assert "Library opening hours extended" not in r.body_text
    assert r.summary == "From 1 December the central library will open until 8pm on weekdays."


def test_google_redirect_links_are_the_links_meant() -> None:
    html = GDOC_HEAD + (
        '<p class="c3"><span class="c1">Details are on </span><span class="c2"><a class="c4" href="https://www.google'
        ".com/url?q=https://www.harbour.example.gov.uk/libraries%3Fsrc%3Dpr%26lang%3Den&amp;sa=D&amp;source=editors"
        '&amp;ust=1764400000000000&amp;usg=AOvVaw1abc">the libraries page</a></span><span class="c1"> or write to '
        '</span><a href="https://www.google.com/url?q=mailto:libraries@harbour.example.gov.uk&amp;sa=D&amp;source='
        'editors&amp;ust=1764400000000000&amp;usg=AOvVaw2">libraries@harbour.example.gov.uk</a>.</p></body></html>'
    )
    r = release(html, "Library hours.html")
    assert "google.com" not in r.body_html
    assert 'href="https://www.harbour.example.gov.uk/libraries?src=pr&amp;lang=en"' in r.body_html
    assert 'href="mailto:libraries@harbour.example.gov.uk"' in r.body_html


def test_google_docs_comments_are_not_published_footnotes_are() -> None:
    html = GDOC_HEAD + (
        '<p class="c3"><span class="c1">The library will open until 8pm</span><sup><a href="#cmnt1" id="cmnt_ref1">'
        '[a]</a></sup><span class="c1"> on weekdays.</span><sup><a href="#ftnt1" id="ftnt_ref1">[1]</a></sup></p>'
        '<hr class="c8"><div><p class="c3"><a href="#ftnt_ref1" id="ftnt1">[1]</a><span class="c1"> After a '
        'consultation.</span></p></div><div class="c9"><p class="c3"><a href="#cmnt_ref1" id="cmnt1">[a]</a>'
        '<span class="c1">Check the date with Priya before this goes out</span></p><p class="c3"><span class="c1">'
        "Confirmed, 8pm</span></p></div></body></html>"
    )
    r = release(html, "Library hours.html")
    text = " ".join(r.body_text.split())
    assert "[a]" not in text and "Priya" not in text and "Confirmed" not in text
    assert "The library will open until 8pm on weekdays." in text
    assert "After a consultation." in text


def test_word_comments_are_not_published() -> None:
    html = (
        WORD_HEAD + "<p class=MsoNormal>The works take six weeks.<span class=MsoCommentReference><span "
        "style='font-size:8.0pt'><a style='mso-comment-reference:JP_1;mso-comment-date:20261127T0912'>&nbsp;</a>"
        "<span style='mso-special-character:comment'>&nbsp;<![if !supportAnnotations]><a class=msocomanchor "
        'id="_anchor_1" href="#_msocom_1" name="_msoanchor_1">[JP1]</a><![endif]></span></span></span>'
        "<o:p></o:p></p><p class=MsoNormal>The car park stays open.</p></div>"
        "<div style='mso-element:comment-list'><![if !supportAnnotations]><hr class=msocomoff align=left size=1 "
        'width="33%"><![endif]><div style=\'mso-element:comment\'><![if !supportAnnotations]><div id="_com_1" '
        "class=msocomtxt><![endif]><p class=MsoCommentText><span class=MsoCommentReference><span "
        "style='mso-special-character:comment'>&nbsp;<![if !supportAnnotations]><a href=\"#_msoanchor_1\" "
        "class=msocomoff>[JP1]</a><![endif]></span></span>Six weeks? Check with the contractor</p>"
        "<![if !supportAnnotations]></div><![endif]></div></div></body></html>"
    )
    r = release(html, encoding="cp1252")
    text = " ".join(r.body_text.split())
    assert "JP1" not in text and "contractor" not in text
    assert text == "The works take six weeks. The car park stays open."


def test_word_filtered_comments_are_not_published() -> None:
    html = (
        "<html><head><meta http-equiv=Content-Type content='text/html; charset=windows-1252'>"
        "<meta name=Generator content='Microsoft Word 15 (filtered)'></head><body><div class=WordSection1>"
        "<p class=MsoTitle>Harbour wall repairs begin</p><p class=MsoNormal>The works take six weeks.<a "
        'class=msocomanchor id="_anchor_1" href="#_msocom_1" name="_msoanchor_1">[JP1]</a></p>'
        "<p class=MsoNormal>The car park stays open.</p></div><div><hr class=msocomoff align=left size=1 "
        'width="33%"><div><div id="_com_1" class=msocomtxt><span><a name="_msocom_1"></a><p class=MsoCommentText>'
        '<span class=MsoCommentReference>&nbsp;<a href="#_msoanchor_1" class=msocomoff>[JP1]</a></span>Six weeks? '
        "Check with the contractor</p></span></div></div></div></body></html>"
    )
    r = release(html, encoding="cp1252")
    assert r.title == "Harbour wall repairs begin"
    assert " ".join(r.body_text.split()) == "The works take six weeks. The car park stays open."


def test_google_docs_bold_first_line_is_the_headline() -> None:
    # Bold in Google Docs' export is a class its style sheet makes bold (no <b>), and the export has no <title>.
    html = (
        '<html><head><meta content="text/html; charset=UTF-8" http-equiv="content-type"><style type="text/css">'
        ".c2{color:#000000;font-weight:400;font-size:11pt}.c0{font-size:14pt;font-weight:700}.c3{padding-top:0pt}"
        '</style></head><body class="c4 doc-content"><p class="c3"><span class="c0">Library opening hours extended'
        '</span></p><p class="c3"><span class="c2">From 1 December the central library will open until 8pm.</span>'
        '</p><p class="c3"><span class="c2">It follows a consultation.</span></p></body></html>'
    )
    r = release(html, "Library hours.html")
    assert r.title == "Library opening hours extended"
    assert r.summary == "From 1 December the central library will open until 8pm."


def test_a_page_without_any_headline_says_what_to_do() -> None:
    html = '<html><head></head><body><p class="c3"><span>The library opens late.</span></p></body></html>'
    with pytest.raises(InvalidReleaseError) as caught:
        release(html, "Library hours.html")
    assert str(caught.value).startswith("Library hours.html: field 'title': the page has no headline")
    assert "in bold or the Title style" in str(caught.value)


@pytest.mark.parametrize("name", ["Harbour lights.rtf", "Harbour lights.docx", "Harbour lights.odt", "lights.pages"])
def test_a_word_processor_document_is_refused_saying_how_to_export_it(name: str) -> None:
    rtf = b"{\\rtf1\\ansi\\ansicpg1252\\cocoartf2761 Harbour lights switched on\\\n}"
    with pytest.raises(InvalidReleaseError) as caught:
        parse_release_file(rtf, name, source="inbox", origin=name)
    message = str(caught.value)
    assert message.startswith(f"{name}: cannot read '{name}': ")
    assert "a word processor's document" in message
    assert "save it as a web page (.html) or as plain text (.txt) and drop that file" in message


def md_release(text: str, name: str = "release.md") -> Release:
    (raw,) = parse_release_file(text.encode(), name, source="inbox", origin=name)
    return normalise_release(raw, SITE, TopicSettings(), NOW)


OBSIDIAN = """---
title: Coastal path reopens
date: 27/11/2026
tags: [coast, walking]
aliases: [path-reopens]
cssclasses: release
---

The coastal path between [[Portland Bill]] and [[Chesil Beach|the beach]] reopened today
after [[Repairs#Winter|winter repairs]].

> [!note]- Embargo lifted
> This release may be used from today.

%% check the date with legal %%
The ranger said:

> "The path is safe, and the views are back."

![[route map.png]]
%%
Draft note: ask Sam for a photo.
%%
Write to `[[not a link]]` or see [the route](https://www.harbour.example.gov.uk/path).
"""


def test_obsidian_markup_is_read_as_obsidian_shows_it() -> None:
    r = md_release(OBSIDIAN, "Coastal path.md")
    assert r.title == "Coastal path reopens"
    assert r.published == datetime(2026, 11, 27, tzinfo=UTC)
    assert r.topics == ("coast", "walking")
    assert r.summary == ("The coastal path between Portland Bill and the beach reopened today after winter repairs.")
    text = " ".join(r.body_text.split())
    assert "[[" not in r.body_html.replace("<code>[[not a link]]</code>", "") and "[!note]" not in text
    assert "%%" not in text and "legal" not in text and "Sam" not in text  # (comments are the author's own)
    assert "route map" not in r.body_html  # (a picture in the vault, not uploaded with the file)
    assert "<p><strong>Embargo lifted</strong><br>\nThis release may be used from today.</p>" in r.body_html
    assert "<code>[[not a link]]</code>" in r.body_html  # (code is as written)
    assert "The ranger said:" in text


def test_typora_table_of_contents_and_settings_are_not_published() -> None:
    text = (
        "---\ntitle: Lifeboat station opens\ntypora-root-url: ./assets\ntypora-copy-images-to: ./assets\n---\n\n"
        "[TOC]\n\nThe new lifeboat station at the harbour opened on Friday.\n"
    )
    r = md_release(text, "Lifeboat.md")
    assert r.title == "Lifeboat station opens"
    assert r.body_text.strip() == "The new lifeboat station at the harbour opened on Friday."


def test_an_unknown_front_matter_key_is_still_refused() -> None:
    with pytest.raises(InvalidReleaseError, match="unknown front matter key 'titel'"):
        md_release("---\ntitel: Lifeboat\n---\n\nText of it.\n")


DATA = Path(__file__).parent / "data" / "wordhtml"


@pytest.mark.parametrize("name", ["libreoffice-html.html", "libreoffice-xhtml.html"])
def test_libreoffice_export_reads_as_the_document(name: str) -> None:
    # Real exports of libreoffice-source.fodt (`soffice --headless --convert-to html`, and
    # `--convert-to "html:XHTML Writer File:UTF8"`): its Title property is a working name, "PR lights DRAFT v2".
    r = release((DATA / name).read_text(encoding="utf-8"), name)
    assert r.title == "Harbour lights switched on"
    assert r.summary == "The harbour’s new lights were switched on tonight by the mayor."
    assert r.published == datetime(2026, 11, 28, tzinfo=UTC)
    text = " ".join(r.body_text.split())
    assert "Harbour lights switched on" not in text
    assert "Sam" not in text and "ANNOTATION" not in text  # (a reviewer's comment)
    assert "Twelve lights on the east pier" in text and ". Twelve" not in text and ".Twelve" not in text
    assert "1The" not in text and "The lights are LED." in text
    assert "decades.”<sup>1</sup>" in r.body_html  # (the footnote's number, as the document shows it)


def test_libreoffice_placeholder_title_is_no_headline() -> None:
    html = (
        '<html xmlns="http://www.w3.org/1999/xhtml"><head><title>- no title specified</title>'
        '<meta name="DCTERMS.source" content="http://xml.openoffice.org/odf2xhtml"/></head><body>'
        '<p class="Standard">The library will open until 8pm from Monday.</p></body></html>'
    )
    with pytest.raises(InvalidReleaseError, match="the page has no headline"):
        release(html, "library.html")


def test_word_spacing_with_no_break_spaces_is_not_published() -> None:
    # Typed spaces: Word keeps a run of them as no-break spaces ("&nbsp;&nbsp;" after a full stop, an indent).
    html = (
        WORD_HEAD + "<p class=MsoNormal>&nbsp;&nbsp;&nbsp;&nbsp; Boats can apply for a share of &#163;2&nbsp;million"
        " from today.&nbsp;&nbsp;The fund closes in March.&nbsp;&nbsp;<o:p></o:p></p></div></body></html>"
    )
    r = release(html, encoding="cp1252")
    assert "&nbsp;&nbsp;" not in r.body_html and "<p> " not in r.body_html
    assert "<p>Boats can apply for a share of £2&nbsp;million from today. The fund closes in March." in r.body_html
    assert r.summary == "Boats can apply for a share of £2 million from today. The fund closes in March."


def test_word_quote_style_is_a_quotation() -> None:
    html = (
        WORD_HEAD + "<p class=MsoNormal>The minister said:</p><p class=MsoQuote><i>\u201cThis is money for the people"
        " who work the sea.\u201d<o:p></o:p></i></p><p class=MsoIntenseQuote>\u201cAnd we mean it.\u201d</p>"
        "<p class=MsoNormal>The fund closes in March.</p></div></body></html>"
    )
    r = release(html, encoding="cp1252")
    assert (
        "<p>The minister said:</p><blockquote><p><i>“This is money for the people who work the sea.”</i></p>"
        "<p>“And we mean it.”</p></blockquote><p>The fund closes in March.</p>"
    ) in r.body_html.replace("\n", "")


def test_a_link_to_a_file_saved_beside_the_page_is_its_text() -> None:
    html = (
        WORD_HEAD + '<p class=MsoNormal>The fund closes in March.</p><p class=MsoNormal>Photo: <a href="Fishing%20'
        'grant_files/image002.jpg">download it here</a>; the form is <a href="https://www.harbour.example.gov.uk/form">'
        "online</a>.</p></div></body></html>"
    )
    r = release(html, encoding="cp1252")
    assert "_files" not in r.body_html
    assert "Photo: download it here; the form is" in r.body_text
    assert '<a href="https://www.harbour.example.gov.uk/form"' in r.body_html


def test_no_break_spaces_in_preformatted_text_stay() -> None:
    html = (
        WORD_HEAD + "<p class=MsoNormal>The times are below.</p><pre>Dep&nbsp;&nbsp;&nbsp;Arr\n09:00&nbsp;&nbsp;10:15"
        "</pre><p class=MsoNormal>Fares&nbsp;&nbsp;are frozen.</p></div></body></html>"
    )
    r = release(html, encoding="cp1252")
    assert "<pre>Dep&nbsp;&nbsp;&nbsp;Arr\n09:00&nbsp;&nbsp;10:15</pre>" in r.body_html
    assert "<p>Fares are frozen.</p>" in r.body_html


def test_textedit_web_page_reads_as_typed() -> None:
    # TextEdit's File > Save As "Web Page": an empty <title>, a tab as <span class="Apple-tab-span">.
    html = (
        '<html><head><meta http-equiv="Content-Type" content="text/html; charset=UTF-8"><title></title><meta name="'
        'Generator" content="Cocoa HTML Writer"></head><body><p class="p1"><b>Harbour lights switched on</b></p>'
        '<p class="p2"><br></p><p class="p3">The mayor said:</p><p class="p3"><span class="Apple-tab-span">\t</span>'
        "\u201cThese lights will guide boats home.\u201d</p></body></html>"
    )
    r = release(html, "Harbour lights.html")
    assert r.title == "Harbour lights switched on"
    assert "<p>“These lights will guide boats home.”</p>" in r.body_html


def test_a_saved_pages_folder_in_the_drop_folder_is_named_as_such(tmp_path: Path) -> None:
    # Word's "Save as Web Page" (and a browser's "Web Page, complete") writes `<name>_files/` beside the page.
    note = folder_note(tmp_path / "inbox" / "Ferry release_files", tmp_path / "inbox")
    assert note.startswith(f"{tmp_path / 'inbox' / 'Ferry release_files'}/: the folder a saved web page keeps")
    assert "drop its files" not in note and "remove it" in note
    other = folder_note(tmp_path / "inbox" / "batch", tmp_path / "inbox")
    assert "drop its files in" in other


def test_google_docs_export_headline_comes_before_its_section_headings() -> None:
    html = (
        '<html><head><meta content="text/html; charset=UTF-8" http-equiv="content-type"><style type="text/css">'
        '.c0{font-weight:700}.c1{font-weight:400}</style></head><body class="c5 doc-content"><p class="c2"><span '
        'class="c0">Beach clean volunteers thanked</span></p><p class="c2"><span class="c1">More than 300 volunteers'
        ' cleared the beach on Saturday.</span></p><p class="c2"><span style="overflow: hidden; display: inline-block;'
        ' width: 624.00px; height: 351.00px;"><img alt="" src="images/image1.png" style="width: 624.00px;" title="">'
        '</span></p><h2 class="c3" id="h.30j0zll"><span class="c0">Notes to editors</span></h2><p class="c2"><span '
        'class="c1">The clean is held each year.</span></p></body></html>'
    )
    r = release(html, "Beach clean.html")
    assert r.title == "Beach clean volunteers thanked"
    assert "<h2>" in r.body_html and "Notes to editors" in r.body_text
    assert "<img" not in r.body_html  # (in the export's images/ folder, not uploaded with the page)


@pytest.mark.parametrize(
    "written",
    ["27 November 2026 9:30 AM", "27 November 2026 9:30am", "Friday 27 November 2026 9:30 am", "27 Nov 2026 9:30 AM"],
)
def test_front_matter_date_with_am_is_a_time_not_a_zone(written: str) -> None:
    # Typora and Obsidian's Templater write `h:mm A`; "9:30am" is how an officer types it.
    r = md_release(f"---\ntitle: Lifeboat station opens\ndate: {written}\n---\n\nThe station opened today.\n")
    assert r.published == datetime(2026, 11, 27, 9, 30, tzinfo=UTC)


def test_google_docs_bold_and_italic_are_kept() -> None:
    # Google Docs writes bold and italic as classes of its style sheet, which is not published.
    html = (
        '<html><head><meta content="text/html; charset=UTF-8" http-equiv="content-type"><style type="text/css">'
        ".c0{font-weight:700}.c1{font-weight:400;font-style:normal}.c4{font-style:italic;font-weight:400}"
        '.c6{font-weight:700;font-style:italic}</style></head><body class="c5 doc-content"><p class="c2"><span '
        'class="c0">Beach clean volunteers thanked</span></p><p class="c2"><span class="c1">Volunteers cleared </span>'
        '<span class="c0">two tonnes</span><span class="c1"> of litter from </span><span class="c4">Chesil Beach'
        '</span><span class="c1">, the </span><span class="c6">largest ever</span><span class="c1">.</span></p>'
        '<p class="c2"><span class="c0">Notes to editors</span></p><p class="c2"><span class="c1">Bags: 412</span>'
        "</p></body></html>"
    )
    r = release(html, "Beach clean.html")
    assert r.title == "Beach clean volunteers thanked"
    body = r.body_html.replace("<span>", "").replace("</span>", "")
    assert "Volunteers cleared <strong>two tonnes</strong> of litter from <em>Chesil Beach</em>, the " in body
    assert "<strong><em>largest ever</em></strong>" in body
    assert "<strong>Notes to editors</strong>" in body


def test_word_tracked_deletions_are_not_published() -> None:
    # Saved with Track Changes on: Word writes the deleted text in <del>, the inserted in <ins>.
    html = (
        WORD_HEAD + '<p class=MsoNormal>The pier reopened <span class=msoDel><del cite="mailto:Jo%20Press" '
        'datetime="2026-11-27T09:12">on Monday</del></span><span class=msoIns><ins cite="mailto:Jo%20Press" '
        'datetime="2026-11-27T09:12">today</ins></span>, after repairs costing <del cite="mailto:Jo">&#163;2m</del>'
        '<ins cite="mailto:Jo">&#163;1.8m</ins>.</p></div></body></html>'
    )
    r = release(html, encoding="cp1252")
    assert r.summary == "The pier reopened today, after repairs costing £1.8m."
    assert "Monday" not in r.body_html and "£2m" not in r.body_html


@pytest.mark.parametrize("above", ["27 November 2026", "Ref: PR 2026/114", "Date: 27 November 2026"])
def test_word_headline_under_a_date_or_reference_line(above: str) -> None:
    html = (
        "<html><head><meta http-equiv=Content-Type content='text/html; charset=windows-1252'><meta name=ProgId "
        f"content=Word.Document><title>PR ferry DRAFT v3</title></head><body><p class=MsoNormal>{above}</p>"
        "<p class=MsoNormal><b>Ferry fares frozen</b></p><p class=MsoNormal>Fares will not rise next year, the "
        "council said.</p></body></html>"
    )
    r = release(html, encoding="cp1252")
    assert r.title == "Ferry fares frozen"
    assert r.body_text.strip() == "Fares will not rise next year, the council said."
    if "2026/114" not in above:
        assert r.published == datetime(2026, 11, 27, tzinfo=UTC)


def test_an_older_google_docs_export_is_known_by_its_style_sheet() -> None:
    html = (
        '<html><head><meta content="text/html; charset=UTF-8" http-equiv="content-type"><style type="text/css">'
        "@import url('https://themes.googleusercontent.com/fonts/css?kit=abc');.c0{font-weight:700}</style></head>"
        '<body class="c5"><p class="c2"><span class="c0">Beach clean volunteers thanked</span></p><p class="c2">'
        '<span>Volunteers cleared the beach.</span></p><h2 class="c3"><span>Notes to editors</span></h2><p>Bags: 4'
        "</p></body></html>"
    )
    assert release(html, "Beach clean.html").title == "Beach clean volunteers thanked"


def test_a_blog_page_is_not_taken_for_a_google_docs_export() -> None:
    # Blogger's themes load pictures from themes.googleusercontent.com: its pictures are its own.
    html = (
        "<html><head><title>Beach clean volunteers thanked | Harbour blog</title><style>body{background:url(https://themes.googleusercontent.com/image"
        "?id=1)}</style></head><body><h1>Beach clean volunteers thanked</h1><p>Volunteers cleared the beach.</p>"
        '<p><img src="images/image1.png" alt="Volunteers"></p></body></html>'
    )
    r = release(html, "blog.html")
    assert r.title == "Beach clean volunteers thanked"
    assert "image1.png" in r.body_html


@pytest.mark.parametrize(
    ("text", "body_ends"),
    [
        ("# Catch limits set\n\nThe limits for 2027 are set.\n\n#fisheries #quota\n", "are set."),
        ("#fisheries #quota\n# Catch limits set\n\nThe limits for 2027 are set.\n", "are set."),
        ("#fisheries\n\n# Catch limits set\n\nThe limits for 2027 are set.\n\n#quota\n", "are set."),
    ],
)
def test_obsidian_tag_lines_at_the_top_or_bottom_are_topics_not_text(text: str, body_ends: str) -> None:
    (raw,) = parse_release_file(text.encode(), "catch.md", source="inbox", origin="/srv/inbox/catch.md")
    assert raw.title == "Catch limits set"
    assert raw.body is not None and raw.body.endswith(body_ends) and "#" not in raw.body
    assert set(raw.topics) == {"fisheries", "quota"}


def test_obsidian_tags_join_front_matter_tags_and_a_hash_in_the_text_stays() -> None:
    text = "---\ntags: [ports]\n---\n# Catch limits set\n\nThe limits for 2027 are set (#1 in Europe).\n\n#fisheries\n"
    (raw,) = parse_release_file(text.encode(), "catch.md", source="inbox", origin="/srv/inbox/catch.md")
    assert raw.topics == ("ports", "fisheries")
    assert raw.body is not None and raw.body.endswith("(#1 in Europe).")
