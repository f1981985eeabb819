"""feeds.ingest.htmlpage and the modules it reads a page with (htmlmeta, htmlheadline, htmlextract, …): a saved
web page → metadata + the article body, nothing else."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

import lxml.html
import pytest

from feeds.config import Site, TopicSettings
from feeds.errors import InvalidReleaseError
from feeds.ingest.formats import parse_release_file
from feeds.ingest.htmlheadline import strip_site_suffix
from feeds.ingest.htmlpage import release_from_html
from feeds.model import RawRelease
from feeds.normalise import normalise_release

DATA = Path(__file__).parent / "data" / "ingest"


def page(name: str) -> RawRelease:
    (raw,) = parse_release_file((DATA / name).read_bytes(), name, source="inbox", origin=name)
    return raw


def html_text(html: str) -> str:
    return " ".join(lxml.html.fragment_fromstring(html, create_parent="div").text_content().split())


def from_html(html: str) -> RawRelease:
    return release_from_html(html, source="inbox", origin="page.html")


def test_full_page_metadata() -> None:
    raw = page("ministry-news-page.html")
    assert raw.title == "Lowmoor flood barrier completed ahead of schedule"  # the <h1>, not og:title's suffix
    assert raw.summary == "The £6 million barrier protects 900 homes."
    assert raw.published == "2025-02-10T11:00:00+00:00"
    assert raw.updated == "2025-02-11T08:15:00+00:00"
    assert raw.topics == ("Flooding", "Environment")
    assert raw.organisation == "Department for Coastal Affairs"
    assert raw.link == "https://www.example.gov.uk/news/lowmoor-barrier-completed"
    assert raw.language == "en-GB"
    assert raw.image == "https://www.example.gov.uk/images/lowmoor-barrier.jpg"  # resolved against the canonical URL
    assert raw.body_format == "html"


def test_full_page_body_is_the_article_only() -> None:
    raw = page("ministry-news-page.html")
    assert raw.body is not None
    text = html_text(raw.body)
    assert text.startswith("The new flood barrier at Lowmoor has been completed three months ahead of schedule")
    assert "Environment Minister Ruth Kellow said:" in text
    assert "Families in Lowmoor have lived with the fear of flooding" in text  # the quotation
    assert "Notes to editors" in text and "raised in under 20 minutes" in text
    for furniture in (
        "cookies",  # cookie banner
        "News and communications",  # navigation
        "Home",  # breadcrumbs
        "Share this page",
        "Share on Social",
        "Related content",
        "Eastbridge",  # related links box
        "open licence",  # footer
        "window.analytics",  # script
        "font-family",  # style
        "Lowmoor flood barrier completed ahead of schedule",  # the headline is the title, not body text
    ):
        assert furniture not in text, furniture
    assert "<blockquote>" in raw.body
    assert 'href="https://www.example.gov.uk/flood-map"' in raw.body  # relative links made absolute


def test_fragment_without_head() -> None:
    raw = page("simple-fragment.html")
    assert raw.title == "Bus fares capped at £2 for another year"
    assert raw.body is not None
    assert raw.body.count("<p>") == 2
    assert "<h1>" not in raw.body
    assert raw.published is None and raw.link is None


def test_legacy_charset_page_with_flat_contacts_section() -> None:
    raw = page("village-halls-cp1251.html")
    assert raw.title == "Grants for village halls"
    assert raw.body is not None
    text = html_text(raw.body)
    assert "scheme №12" in text  # decoded with the declared windows-1251
    assert "Applications close at the end of June." in text
    assert "Press office" not in text and "Contacts" not in text
    assert "Contact us" not in text  # the menu


def test_og_title_suffix_is_stripped_when_there_is_no_h1() -> None:
    raw = from_html(
        """<html><head><meta property="og:title" content="Ferry fares frozen | News | Island Council">
        <meta name="date" content="2025-04-01"><meta http-equiv="last-modified" content="2025-04-02 10:00">
        </head><body><div><p>Ferry fares will stay at this year's level until next April, the council said.</p>
        </div></body></html>"""
    )
    assert raw.title == "Ferry fares frozen"
    assert raw.organisation == "Island Council"
    assert raw.published == "2025-04-01"
    assert raw.updated == "2025-04-02 10:00"


def test_a_logo_h1_outside_the_content_does_not_become_the_title() -> None:
    raw = from_html(
        """<html><head><title>Ferry fares frozen - Island Council</title></head><body>
        <div class="top"><h1>Island Council</h1></div>
        <main><p>Ferry fares will stay at this year's level until next April, the council said today.</p>
        <p>The freeze applies to all routes, including the night crossing, for residents and visitors.</p></main>
        </body></html>"""
    )
    assert raw.title == "Ferry fares frozen"
    assert raw.body is not None and "Ferry fares will stay" in raw.body


def test_dates_from_microdata_and_article_time() -> None:
    raw = from_html(
        """<html><body><article><h1>Ferry fares frozen</h1>
        <p>Posted <time datetime="2025-04-01T09:00:00+01:00">1 April</time></p>
        <p>Ferry fares will stay at this year's level until next April, the council said today.</p>
        <span itemprop="dateModified" content="2025-04-03">3 April</span></article></body></html>"""
    )
    assert raw.published == "2025-04-01T09:00:00+01:00"
    assert raw.updated == "2025-04-03"


def test_a_saved_govuk_page_is_dated_by_its_first_publication_not_its_ingest() -> None:
    """GOV.UK gives its dates only as `govuk:` tags (the visible "Published 3 June 2026" has no time); the date
    shown as "Last updated" is the public one, not `govuk:updated-at`, which minor edits move too."""
    raw = from_html(
        """<html><head><title>Lifeboat launch tractors replaced - GOV.UK</title>
        <meta name="govuk:first-published-at" content="2026-06-03T10:30:00.000+01:00">
        <meta name="govuk:updated-at" content="2026-06-09T16:02:41.000+01:00">
        <meta name="govuk:public-updated-at" content="2026-06-04T09:00:00.000+01:00"></head>
        <body><main><h1>Lifeboat launch tractors replaced</h1>
        <p>Twelve lifeboat stations will get new launch tractors this winter, the minister announced today.</p>
        </main></body></html>"""
    )
    assert raw.published == "2026-06-03T10:30:00.000+01:00"
    assert raw.updated == "2026-06-04T09:00:00.000+01:00"


_WORD_PAGE = """<html xmlns:o="urn:schemas-microsoft-com:office:office"><head>
<meta http-equiv=Content-Type content="text/html; charset=windows-1252">
<meta name=ProgId content=Word.Document><meta name=Generator content="Microsoft Word 15">
<title>{title}</title></head><body lang=EN-GB><div class=WordSection1>
<p class=MsoNormal><b>EMBARGOED UNTIL 00:01 TUESDAY 1 DECEMBER 2026<o:p></o:p></b></p>
<p class=MsoNormal align=center style='text-align:center'><b><span style='font-size:14.0pt'>Winter ferry
timetable keeps island routes running<o:p></o:p></span></b></p>
<p class=MsoNormal>Islanders will keep a daily ferry service through the winter under a new timetable agreed with
operators, the department announced today.<o:p></o:p></p></div></body></html>"""


@pytest.mark.parametrize(
    "title",
    [
        "PR ferry timetable DRAFT v3",  # Word's <title> is the document's Title property: a file's working name
        "EMBARGOED UNTIL 00:01 TUESDAY 1 DECEMBER 2026",  # or its first line, which Word fills it with
        "Ferry timetable (template)",
    ],
)
def test_a_word_export_is_titled_by_its_bold_headline_not_by_its_document_properties(title: str) -> None:
    raw = from_html(_WORD_PAGE.format(title=title))
    assert raw.title == "Winter ferry timetable keeps island routes running"
    assert raw.published == "00:01 TUESDAY 1 DECEMBER 2026"
    assert raw.body is not None and "Winter ferry" not in raw.body and "EMBARGOED" not in raw.body


def test_a_word_export_whose_headline_has_words_title_style_is_titled_by_it() -> None:
    headline = re.search(r"<p class=MsoNormal align=center.*?</p>", _WORD_PAGE, re.DOTALL)
    assert headline is not None
    page = _WORD_PAGE.replace(headline[0], "<p class=MsoTitle>Winter ferry timetable keeps island routes running</p>")
    assert from_html(page.format(title="PR ferry timetable DRAFT v3")).title == (
        "Winter ferry timetable keeps island routes running"
    )


def test_a_word_export_s_section_heading_is_not_its_headline() -> None:
    notes = "<h2>Notes to editors</h2><p class=MsoNormal>The timetable runs to March.</p></div>"
    raw = from_html(_WORD_PAGE.format(title="PR ferry timetable DRAFT v3").replace("</div>", notes))
    assert raw.title == "Winter ferry timetable keeps island routes running"


def test_a_word_export_without_a_bold_headline_keeps_its_title() -> None:
    # (nor one in large type: a headline enlarged, not bold, is the headline: tests/test_office_exports.py)
    plain = _WORD_PAGE.format(title="Winter ferry timetable").replace("<b>", "").replace("</b>", "")
    raw = from_html(plain.replace("font-size:14.0pt", "font-size:11.0pt"))
    assert raw.title == "Winter ferry timetable"


def test_a_page_title_that_is_an_embargo_line_is_no_headline() -> None:
    raw = from_html(
        "<html><head><title>EMBARGOED UNTIL 00:01 1 DECEMBER 2026</title></head><body>"
        "<p><b>Mackerel quota plan</b></p><p>The minister today set out a plan for mackerel quotas.</p></body></html>"
    )
    assert raw.title == "Mackerel quota plan"


@pytest.mark.parametrize(
    "img",
    [
        '<img src="data:image/gif;base64,R0lGODlhAQABAAAAACH5BAEKAAEALAAAAAABAAEAAAICTAEAOw==" data-src="{url}"',
        '<img data-src="{url}" class="lazyload"',
        '<img src="/wp-content/themes/x/images/placeholder.png" data-lazy-src="{url}"',
        '<img src="/assets/blank.gif" data-original="{url}"',
    ],
)
def test_a_lazy_loaded_image_keeps_the_picture_its_page_would_load(img: str) -> None:
    """Saved before the script swapped it in, the picture is in `data-src`: before, the figure had only its caption."""
    url = "https://www.example.gov.uk/media/dredger.jpg"
    raw = from_html(
        f"""<html><head><link rel="canonical" href="https://www.example.gov.uk/news/dredging"></head><body><main>
        <h1>Dredging contract awarded</h1><p>A contract to dredge the approach channel at Port Ellis has been awarded
        today, the ministry said.</p><figure>{img.format(url=url)} alt="A dredger at work"><noscript><img src="{url}"
        alt="A dredger at work"></noscript><figcaption>A dredger at work</figcaption></figure>
        <p>The work will deepen the channel to 9 metres, for larger ferries.</p></main></body></html>"""
    )
    assert raw.body is not None
    assert raw.body.count("<img") == 1 and f' src="{url}"' in raw.body and "data:" not in raw.body


@pytest.mark.parametrize(
    ("head", "src"),
    [
        ("<meta name=ProgId content=Word.Document>", "PR%20ferry_files/image002.png"),  # Word's "Save as Web Page"
        ('<link rel="canonical" href="https://www.example.gov.uk/news/ferries">', "./Ferries%20news_files/ferry.jpg"),
        ("", "Ferries news_files/ferry.jpg"),  # a browser's "Web Page, complete"
    ],
)
def test_an_image_saved_in_the_pages_files_folder_is_left_out(head: str, src: str) -> None:
    """Before: published as https://press.example.org/PR%20ferry_files/image002.png, a picture nobody uploaded."""
    raw = from_html(
        f"""<html><head>{head}</head><body><main><h1>Winter ferry timetable</h1><p><img src="{src}" alt="Logo"></p>
        <p>Islanders will keep a daily ferry service through the winter, the department announced today.</p>
        <img src="https://www.example.gov.uk/media/ferry.jpg" alt="A ferry"></main></body></html>"""
    )
    assert raw.body is not None and "_files" not in raw.body and "Logo" not in raw.body
    assert 'src="https://www.example.gov.uk/media/ferry.jpg"' in raw.body


@pytest.mark.parametrize(
    "back",
    [
        '<a href="#fnref-1">↩</a>',
        '<a href="#fnref1" class="footnote-back" role="doc-backlink">↩︎</a>',  # pandoc
        '<a href="#ref-1-link" aria-label="Jump to footnote reference 1">↩︎</a>',  # WordPress's footnotes block
        '<a href="#r1">^</a>',
    ],
)
def test_a_footnotes_link_back_to_the_text_is_left_out(back: str) -> None:
    """Before: each note ended with a stray "↩", its link gone with the page it pointed into."""
    raw = from_html(
        f"""<html><body><main><h1>Dredging contract awarded</h1><p>The channel will be 9 metres deep at the lowest
        tide<sup><a href="#fn-1" id="fnref-1">1</a></sup>, the ministry said today, for the larger ferries.</p>
        <ol class="footnotes"><li id="fn-1">At lowest astronomical tide. {back}</li></ol></main></body></html>"""
    )
    assert raw.body is not None
    assert "At lowest astronomical tide.</li>" in " ".join(raw.body.split()).replace(" </li>", "</li>")
    assert ">1</a></sup>" in raw.body  # (the note's number in the text stays)


def test_an_image_with_its_own_source_keeps_it() -> None:
    raw = from_html(
        """<html><body><main><h1>Dredging contract awarded</h1><p>A contract to dredge the approach channel at Port
        Ellis has been awarded today, the ministry said.</p><img src="https://example.org/a.jpg"
        data-src="https://example.org/a-large.jpg" alt="A"></main></body></html>"""
    )
    assert raw.body is not None and 'src="https://example.org/a.jpg"' in raw.body


def _word_item(cls: str, marker: str, text: str, font: str = "Symbol") -> str:
    return (
        f"<p class={cls} style='text-indent:-18.0pt;mso-list:l0 level1 lfo1'><![if !supportLists]><span\n"
        f"style='font-family:{font}'>{marker}<span style='font:7.0pt \"Times New Roman\"'>&nbsp;&nbsp;&nbsp;&nbsp;\n"
        f"</span></span><![endif]>{text}<o:p></o:p></p>\n"
    )


def test_a_filtered_word_exports_lists_are_lists_too() -> None:
    items = _word_item("MsoListParagraphCxSpFirst", "·", "Two sailings a day") + _word_item(
        "MsoListParagraphCxSpLast", "·", "One sailing a day"
    )
    items = items.replace("mso-list:l0 level1 lfo1", "")  # ("Web Page, Filtered" drops Office's styles)
    raw = from_html(_WORD_PAGE.format(title="x").replace("</div>", f"<p class=MsoNormal>Sailings:</p>{items}</div>"))
    assert raw.body is not None
    assert "<ul><li>Two sailings a day</li> <li>One sailing a day</li></ul>" in " ".join(
        raw.body.replace("<o:p></o:p>", "").split()
    )


def test_an_e_mail_saved_as_html_by_outlook_is_titled_by_its_release_not_its_subject() -> None:
    """Before: titled "FW: PR", filed under "Coastal path reopens" as its organisation, summarised by its headers."""
    raw = from_html(
        """<html><head><meta name=Generator content="Microsoft Word 15 (filtered medium)">
        <title>FW: PR - Coastal path reopens</title></head><body><div class=WordSection1>
        <p class=MsoNormal><b>From:</b> Jane Smith &lt;jane.smith@example.gov.uk&gt;<br><b>Sent:</b> 26 November 2026
        16:02<br><b>To:</b> Press Office<br><b>Subject:</b> PR - Coastal path reopens<o:p></o:p></p>
        <p class=MsoNormal><b>Coastal path reopens at St Ives Head<o:p></o:p></b></p>
        <p class=MsoNormal>The coastal path will reopen on Saturday after repairs, the department said today.</p>
        </div></body></html>"""
    )
    assert raw.title == "Coastal path reopens at St Ives Head"
    assert raw.organisation is None
    assert raw.body is not None and "jane.smith" not in raw.body and "Subject" not in raw.body


def test_a_word_exports_lists_are_lists() -> None:
    """Before: each point a paragraph opening with a stray "·" (or "1."), the list lost."""
    bullets = _word_item("MsoListParagraphCxSpFirst", "·", "Mainland to Inis Mór: two sailings a day") + _word_item(
        "MsoListParagraphCxSpLast", "·", "Mainland to Carreg: one sailing a day"
    )
    numbers = _word_item("MsoListParagraphCxSpFirst", "1.", "Dredging in January", "Calibri") + _word_item(
        "MsoListParagraphCxSpLast", "2.", "Opening in April", "Calibri"
    )
    raw = from_html(
        _WORD_PAGE.format(title="x").replace(
            "</div>",
            f"<p class=MsoNormal>The timetable gives:</p>{bullets}<p class=MsoNormal>The work runs in stages:</p>"
            f"{numbers}</div>",
        )
    )
    assert raw.body is not None
    body = " ".join(raw.body.replace("<o:p></o:p>", "").split())
    assert (
        "<p>The timetable gives:</p><ul><li>Mainland to Inis Mór: two sailings a day</li> "
        "<li>Mainland to Carreg: one sailing a day</li></ul>" in body.replace(' class="MsoNormal"', "")
    )
    assert "<ol><li>Dredging in January</li> <li>Opening in April</li></ol>" in body
    assert "·" not in body


@pytest.mark.parametrize(
    "date",
    [
        '<p class="published-date">Published: 27 November 2026</p>',  # below the headline, in a box left out
        '<div class="news-meta"><span class="label">Date:</span> <span>27 November 2026</span></div>',
    ],
)
def test_a_date_shown_by_the_headline_dates_a_page_without_date_metadata(date: str) -> None:
    """Before: a council page showing "Published: 27 November 2026" under its headline was dated at its ingest."""
    raw = from_html(
        f"""<html><head><title>Beach huts to be rebuilt | Westshire Council</title></head><body><main>
        <div class="news-article"><h1>Beach huts to be rebuilt</h1>{date}<div class="article-body">
        <p>Forty beach huts destroyed in last winter's storms will be rebuilt by Easter, the council said today.</p>
        </div></div></main></body></html>"""
    )
    assert raw.published == "27 November 2026"
    assert raw.body is not None and "27 November" not in raw.body


def test_a_date_in_the_pages_metadata_list_dates_a_page_without_date_metadata() -> None:
    """GOV.UK's list under the lead paragraph ("From: …", "Published 3 June 2026"), saved without its tags."""
    raw = from_html(
        """<html><body><main><h1>Funding boost for lifeboat stations</h1>
        <p class="lead">Twelve lifeboat stations will share £3 million to replace launch equipment.</p>
        <div class="gem-c-metadata"><dl><dt>From:</dt><dd><a href="/org">Department for Coastal Affairs</a> and
        <a href="/people/jo">Jo Bloggs MP</a></dd><dt>Published</dt><dd>3 June 2026</dd>
        <dt>Last updated</dt><dd>4 June 2026 — <a href="#history">See all updates</a></dd></dl></div>
        <div class="govspeak"><p>Twelve lifeboat stations will share £3 million, the minister said.</p>
        </div></main></body></html>"""
    )
    assert (raw.published, raw.updated) == ("3 June 2026", "4 June 2026")
    assert raw.organisation == "Department for Coastal Affairs"


def test_a_date_shown_above_the_headline_dates_the_page_too() -> None:
    raw = from_html(
        """<html><body><main><p class="date">Friday 27 November 2026</p><h1>Beach huts to be rebuilt</h1>
        <p>Forty beach huts destroyed in last winter's storms will be rebuilt by Easter, the council said today.</p>
        <p>The contract was signed on 3 December 2025.</p></main></body></html>"""
    )
    assert raw.published == "Friday 27 November 2026"


def _prose(label: str) -> str:
    return "".join(
        f"<p>{label} paragraph {i}, in which the council explains, at some length, what the ferry decision means.</p>"
        for i in range(3)
    )


LAYOUTS = {
    "blog theme with comments and widgets": f"""<html><body><div id="page">
        <header id="masthead" class="site-header"><p class="site-title">Island Council</p><nav>Menu</nav></header>
        <div id="content" class="site-content"><main id="main" class="site-main"><article class="post">
        <header class="entry-header"><h1 class="entry-title">Ferry fares frozen</h1>
        <div class="entry-meta">Posted on 1 April by the press office</div></header>
        <div class="entry-content">{_prose("Story")}
        <div class="sharedaddy"><h3>Share this:</h3><a href="#">X</a></div></div>
        <footer class="entry-footer">Tagged ferries</footer></article>
        <div id="comments" class="comments-area"><p>Reader comment, saying thanks, at last, and more.</p></div>
        </main><aside id="secondary" class="widget-area"><p>Recent posts, older posts, and other posts here.</p></aside>
        </div><footer id="colophon">Powered by a blog engine</footer></div></body></html>""",
    "government grid with lead paragraph and sidebar": f"""<html><body><header class="govuk-header">GOV.EXAMPLE</header>
        <main id="content" role="main"><div class="grid-row"><div class="column-two-thirds">
        <span class="caption">Press release</span><h1 class="title">Ferry fares frozen</h1>
        <p class="lead-paragraph">Fares on all routes stay at this year's level.</p></div></div>
        <div class="grid-row"><div class="column-two-thirds"><div class="gem-c-metadata">From: Islands Office</div>
        <div class="govspeak">{_prose("Story")}</div><div class="published-dates">Published 1 April 2025</div></div>
        <div class="column-one-third"><div class="contextual-sidebar"><h2>Related content</h2>
        <ul><li><a href="/timetables">Ferry timetables</a></li></ul></div></div></div>
        </main><footer class="govuk-footer">Crown copyright</footer></body></html>""",
    "story split around an advert": f"""<html><body><h1>Ferry fares frozen</h1>
        <div class="story">{_prose("Story")}</div><div class="advert">Advertisement: boats for sale</div>
        <div class="story">{_prose("Continued")}</div></body></html>""",
    "whole page in one ASP.NET form": f"""<html><body><form id="aspnetForm"><div class="nav"><a href="/">Home</a></div>
        <div id="ctl00_body"><h1>Ferry fares frozen</h1>{_prose("Story")}</div>
        <input type="hidden" value="state"></form></body></html>""",
}


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_article_extraction_on_common_layouts(layout: str) -> None:
    raw = from_html(LAYOUTS[layout])
    assert raw.title == "Ferry fares frozen"
    assert raw.body is not None
    text = html_text(raw.body)
    for i in range(3):
        assert f"Story paragraph {i}," in text
    if "Continued" in LAYOUTS[layout]:
        assert "Continued paragraph 2," in text
    for furniture in (
        "Menu", "Posted on", "Share this", "Tagged", "Reader comment", "Recent posts", "Powered by", "From:",
        "Published 1 April", "Related content", "Ferry timetables", "Crown copyright", "Advertisement", "Home",
        "GOV.EXAMPLE", "Ferry fares frozen",
    ):  # fmt: skip
        assert furniture not in text, furniture


def test_a_page_without_paragraph_tags_keeps_its_text_and_drops_the_sidebar() -> None:
    raw = from_html(
        """<html><body><h1>Ferry fares frozen</h1><div id="main-content-with-sidebar">
        <div>Ferry fares will stay at this level until April, the council said today.<br><br>
        The freeze covers every route, including the night crossing.</div></div>
        <div class="sidebar"><div>Other news, other stories, and more items.</div></div></body></html>"""
    )
    assert raw.body is not None
    assert "the council said today.<br><br>" in raw.body
    assert "night crossing" in raw.body
    assert "Other news" not in raw.body


GOVUK_STYLE_PAGE = """<html lang="en"><head><title>Ferry fares frozen - GOV.UK</title>
<meta property="og:site_name" content="GOV.UK"><meta property="og:title" content="Ferry fares frozen">
{issuer}</head><body><header><nav><a href="/">Home</a></nav></header><main>
<div class="title"><span class="caption">Press release</span><h1>Ferry fares frozen</h1></div>
<div class="metadata"><dl><dt>From:</dt><dd><a href="/org/dft">Department for Transport</a> and
<a href="/people/x">Jo Bloggs MP</a></dd><dt>Published</dt><dd>27 November 2026</dd></dl></div>
<div class="body"><p>Ferry fares will stay at this level until April, the department said today.</p>
<p>The freeze covers every route, including the night crossing, and season tickets too.</p></div>
</main><footer>Crown copyright</footer></body></html>"""


@pytest.mark.parametrize(
    ("issuer", "organisation"),
    [
        ('<meta name="govuk:primary-publishing-organisation" content="Maritime Agency">', "Maritime Agency"),
        ("", "Department for Transport"),
    ],
)
def test_a_page_from_a_publishing_platform_is_the_issuers_not_the_platforms(issuer: str, organisation: str) -> None:
    """Ingest review: a page saved from GOV.UK got "GOV.UK" as its organisation (and a feed of its own for every
    GOV.UK page), and kept its "Press release" caption as the first line of the body."""
    raw = from_html(GOVUK_STYLE_PAGE.format(issuer=issuer))
    assert raw.organisation == organisation
    assert raw.body is not None and not html_text(raw.body).startswith("Press release")
    assert html_text(raw.body).startswith("Ferry fares will stay")
    bare = from_html(GOVUK_STYLE_PAGE.format(issuer="").replace("<dt>From:</dt>", "<dt>Type:</dt>"))
    assert bare.organisation is None, "the platform's name is no organisation: the site's author stands in"


def test_a_caption_nested_beside_the_headline_and_a_short_lead_paragraph_are_handled_as_a_reader_sees_them() -> None:
    """Re-check: on markup shaped like GOV.UK's own, the "Press release" caption still opened the body; and a
    short lead paragraph outside the body's own block was dropped entirely."""
    raw = from_html(
        """<html><head><title>Ferry fares frozen - GOV.UK</title></head><body><main id="content">
        <div class="gem-c-title"><span class="govuk-caption-xl gem-c-title__context">Press release</span>
        <h1 class="gem-c-title__text">Ferry fares frozen</h1></div>
        <p class="gem-c-lead-paragraph">Fares stay as they are.</p>
        <div class="govspeak"><p>Ferry fares will stay at this level until April, the department said today.</p>
        <p>The freeze covers every route, including the night crossing, and season tickets too.</p></div>
        </main></body></html>"""
    )
    assert raw.body is not None
    text = html_text(raw.body)
    assert text.startswith("Fares stay as they are.") and "until April" in text and "Press release" not in text


@pytest.mark.parametrize(
    "drawing",
    [
        "<svg><g><path d='M0 0'/>",
        "<math><mi>x</mi>",
        "<svg><title>A chart",
        "<svg><desc>Bars: 3, 4",
        "<svg><style>.bar { fill: red }",
    ],
)
def test_an_svg_or_math_left_open_does_not_take_the_rest_of_the_article_with_it(drawing: str) -> None:
    """A browser ends an unclosed <svg> or <math> at the next paragraph and shows the rest; dropping the drawing
    must not drop the paragraphs libxml2 left inside it. A label inside a closed icon goes with the icon."""
    raw = from_html(
        f"""<html><body><h1>Ferry fares frozen</h1><article>
        <p>Ferry fares will stay at this level until April, the council said today.</p>
        <p><svg class="icon"><title>Share this</title><foreignObject><div>Icon label</div></foreignObject></svg>
        The freeze covers every route, including the night crossing.</p>
        {drawing}<p>Season tickets are frozen too, at last year's price.</p>
        <h2>Background</h2><p>Fares rose twice last year, by four per cent each time.</p></article></body></html>"""
    )
    assert raw.body is not None
    body = html_text(raw.body)
    for kept in ("until April", "night crossing", "Season tickets are frozen too", "Background", "four per cent"):
        assert kept in body
    assert "Share this" not in body and "Icon label" not in body and "<svg" not in raw.body and "<math" not in raw.body


@pytest.mark.parametrize(
    ("html", "field"),
    [
        ("<html><body><p>Ferry fares will stay at this year's level until next April.</p></body></html>", "title"),
        ("<html><head><title>Ferry fares</title></head><body>  </body></html>", "body"),
        ("<html><head><title>Ferry fares</title></head><body><script>x()</script></body></html>", "body"),
        ("   ", "body"),
    ],
)
def test_pages_without_title_or_text_are_refused(html: str, field: str) -> None:
    with pytest.raises(InvalidReleaseError) as info:
        from_html(html)
    assert info.value.field == field
    assert info.value.origin == "page.html"


@pytest.mark.parametrize("canonical", ["", '<link rel="canonical" href="https://harbour.example/news/ferry">'])
def test_links_are_read_as_a_browser_reads_them(canonical: str) -> None:
    raw = from_html(
        f"<html><head>{canonical}</head><body><h1>Ferry fares frozen</h1><p>Fares stay. "
        '<a href="jav&#x09;ascript:alert(1)">a</a> <a href=" &#x01;java&#x0A;script:alert(2) ">b</a> '
        '<a href="annex&#x01;1.pdf">c</a> <img src="&#x0D;data:text/html,x" alt="d"></p></body></html>'
    )
    base = "https://harbour.example/news/" if canonical else ""
    assert raw.body is not None and raw.body.endswith(
        '<p>Fares stay. <a href="javascript:alert(1)">a</a> <a href="javascript:alert(2)">b</a> '
        f'<a href="{base}annex%011.pdf">c</a> <img src="data:text/html,x" alt="d"></p>'
    )  # the schemes a browser would see, for the normaliser to refuse; a control inside, percent-encoded


def test_external_entities_are_never_resolved(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("CONFIDENTIAL-PAYROLL-DATA")
    data = f"""<?xml version="1.0"?>
<!DOCTYPE html [<!ENTITY leak SYSTEM "file://{secret}"><!ENTITY big "xxxxxxxxxx">]>
<html><body><h1>Ferry fares frozen</h1>
<p>Ferry fares will stay at this year's level. &leak; &big;</p></body></html>""".encode()
    (raw,) = parse_release_file(data, "attack.html", source="inbox", origin="attack.html")
    assert raw.body is not None
    assert "CONFIDENTIAL" not in raw.body
    assert "xxxxxxxxxx" not in raw.body


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Ferry fares frozen | News | Island Council", "Ferry fares frozen"),
        ("Ferry fares frozen - GOV.UK", "Ferry fares frozen"),
        ("Ferry fares frozen – Island Council", "Ferry fares frozen"),
        # A long tail is part of the headline, not a site name.
        (
            "Talks resume - day two of the negotiations on the ferry",
            "Talks resume - day two of the negotiations on the ferry",
        ),
        ("Talks resume - day two - Island Council", "Talks resume - day two"),
        ("EU-UK relations: talks resume", "EU-UK relations: talks resume"),
        ("Ferry fares frozen", "Ferry fares frozen"),
        ("  Ferry\n fares  frozen ", "Ferry fares frozen"),
    ],
)
def test_strip_site_suffix(title: str, expected: str) -> None:
    assert strip_site_suffix(title) == expected


@pytest.mark.parametrize(
    ("og_title", "title"),
    [
        ("Coastal path reopens - ahead of schedule", "Coastal path reopens - ahead of schedule"),
        ("Q&A: dredging - what happens next", "Q&A: dredging - what happens next"),
        ("Coastal path reopens - Westshire Council", "Coastal path reopens"),
        ("Coastal path reopens – ahead of schedule | Westshire Council", "Coastal path reopens – ahead of schedule"),
    ],
)
def test_a_dash_in_a_headline_is_kept_when_what_follows_is_not_the_sites_name(og_title: str, title: str) -> None:
    """Before: a page without an <h1> was titled "Coastal path reopens", the rest of its headline taken for a site's
    name, though the page names its site (`og:site_name`)."""
    raw = from_html(
        f"""<html><head><meta property="og:site_name" content="Westshire Council">
        <meta property="og:title" content="{og_title}"></head><body><div class="content">
        <p>The coastal path at Porthmellin reopens on Saturday, two weeks ahead of schedule.</p></div></body></html>"""
    )
    assert raw.title == title


# --- the European Parliament pages of the corpus -----------------------------------------------------------


def _europarl_pages(corpus: Path) -> list[Path]:
    pages = sorted(corpus.glob("europarl-*.html"))
    assert len(pages) == 5
    return pages


def _oracle(path: Path) -> tuple[str, list[str]]:
    """The page's <h1> and press-release paragraphs, read with site-specific selectors (tests only)."""
    doc = lxml.html.fromstring(path.read_bytes(), parser=lxml.html.HTMLParser(encoding="utf-8"))
    (h1,) = doc.xpath("//h1")
    paragraphs = doc.xpath("//div[contains(@class, 'ep-a_text')]//p")
    texts = [" ".join(p.text_content().split()) for p in paragraphs]
    return " ".join(h1.text_content().split()), [t for t in texts if len(t) > 40]


@pytest.mark.corpus
def test_europarl_title_is_the_h1(corpus_releases: Path) -> None:
    for path in _europarl_pages(corpus_releases):
        (raw,) = parse_release_file(path.read_bytes(), path.name, source="corpus", origin=str(path))
        heading, _ = _oracle(path)
        assert raw.title == heading, path.name
    car = corpus_releases / "europarl-press-release-20221014IPR43206.html"
    (raw,) = parse_release_file(car.read_bytes(), car.name, source="corpus", origin=str(car))
    assert raw.title == "Car-recharging stations should be available every 60 km, say MEPs"
    assert raw.link is not None and raw.link.endswith(
        "/20221014IPR43206/car-recharging-stations-should-be-available-every-60-km-say-meps"
    )
    assert raw.language == "en"
    assert raw.published == "2022-10-19T13:14:00"
    assert raw.organisation == "European Parliament"


@pytest.mark.corpus
def test_europarl_body_has_the_release_paragraphs_and_no_page_furniture(corpus_releases: Path) -> None:
    for path in _europarl_pages(corpus_releases):
        (raw,) = parse_release_file(path.read_bytes(), path.name, source="corpus", origin=str(path))
        assert raw.body is not None
        text = html_text(raw.body)
        _, paragraphs = _oracle(path)
        assert len(paragraphs) >= 3, path.name
        for paragraph in paragraphs:
            assert paragraph in text, (path.name, paragraph[:60])
        for furniture in (
            "Share this page",
            "Contacts:",
            "Press Officer",
            "Further information",
            "Sign up for mail updates",
            "Product reference",
            "cookie",
            "Skip to",
            "Facebook",
        ):
            assert furniture.lower() not in text.lower(), (path.name, furniture)
        assert raw.title not in text, path.name


def test_a_doctype_with_an_internal_subset_leaves_nothing_behind_and_expands_nothing() -> None:
    html = (
        '<!DOCTYPE html [<!ENTITY x SYSTEM "file:///etc/passwd">]><html><body><article><h1>Harbour news</h1>'
        "<p>The harbour &x; opens today.</p></article></body></html>"
    )
    raw = release_from_html(html, source="inbox", origin="inbox/page.html")
    assert raw.body is not None and "]>" not in raw.body and "root:" not in raw.body
    assert "<p>The harbour &amp;x; opens today.</p>" in raw.body


@pytest.mark.parametrize(
    "description",
    ["Portneuf Council", "Harbour wall repaired", "Harbour Wall Repaired.", "Press release", "News"],
)
def test_a_description_that_only_names_the_site_or_repeats_the_title_is_no_summary(description: str) -> None:
    """An editor's review: a CMS that puts the site's name (or the headline, or "News") in every page's
    description gave the release the summary "Portneuf Council"; the body's first paragraph says what happened."""
    raw = from_html(
        f"""<html><head><title>Harbour wall repaired | Portneuf Council</title>
        <meta property="og:site_name" content="Portneuf Council"><meta name="description" content="{description}">
        </head><body><main><h1>Harbour wall repaired</h1>
        <p>The harbour wall, damaged in the spring storms, has been repaired ahead of the summer season.</p>
        <p>Councillor Ana Lee said the work had cost less than expected.</p></main></body></html>"""
    )
    assert raw.summary is None  # derived from the body by the normaliser


def test_a_description_that_says_more_than_the_title_is_the_summary() -> None:
    raw = from_html(
        """<html><head><title>Harbour wall repaired | Portneuf Council</title>
        <meta name="description" content="The wall was repaired ahead of the summer."></head>
        <body><main><h1>Harbour wall repaired</h1><p>The harbour wall has been repaired.</p></main></body></html>"""
    )
    assert raw.summary == "The wall was repaired ahead of the summer."


@pytest.mark.parametrize(
    "description",
    [
        "Forty new visitor berths will open at Kingsport harbour next spring. The pontoons will be built at&hellip;",
        "Forty new visitor berths will open at Kingsport harbour next spring. The pontoons will be built at...",
        "Forty new visitor berths will open at Kingsport harbour next spring [&hellip;]",  # WordPress's excerpt
        "Forty new visitor berths will open at Kingsport harbour next spring [...]",
    ],
)
def test_a_description_cut_short_by_the_cms_is_not_the_summary(description: str) -> None:
    """Before: the summary stopped at "The pontoons will be built at…", where the CMS cut the first paragraph."""
    raw = from_html(
        f"""<html><head><meta name="description" content="{description}"></head><body><main>
        <h1>New pontoons for Kingsport harbour</h1><p>Forty new visitor berths will open at Kingsport harbour next
        spring. The pontoons will be built at the east quay.</p></main></body></html>"""
    )
    assert raw.summary is None  # (the body's first paragraph gives it)


def test_a_description_that_opens_with_a_dateline_gives_way_to_the_body() -> None:
    """Before: the summary read "LONDON, 26 November 2026 – Forty new…" and the release was dated at its ingest."""
    release = normalise_release(
        from_html(
            """<html><head><meta name="description" content="LONDON, 26 November 2026 – Forty new visitor berths will
            open at Kingsport harbour next spring."></head><body><main><h1>New pontoons for Kingsport harbour</h1>
            <p>LONDON, 26 November 2026 – Forty new visitor berths will open at Kingsport harbour next spring.</p>
            <p>The pontoons will be built at the east quay.</p></main></body></html>"""
        ),
        Site(title="T", base_url="https://press.example.org/", author="T", language="en", timezone="Europe/London"),
        TopicSettings(),
        datetime(2026, 11, 28, 12, tzinfo=UTC),
    )
    assert release.summary == "Forty new visitor berths will open at Kingsport harbour next spring."
    assert release.published == datetime(2026, 11, 26, tzinfo=UTC)


@pytest.mark.parametrize("separator", [" - ", " – ", " — ", " | "])
def test_the_site_named_after_the_headline_in_the_title_issues_the_release(separator: str) -> None:
    """An editor's review: "Harbour wall repaired - Portneuf Council" lost its site suffix from the title, as
    it should, but the release was filed under the site's own author: only " | " named the organisation."""
    raw = from_html(
        f"""<html><head><title>Harbour wall repaired{separator}Portneuf Council</title></head>
        <body><main><h1>Harbour wall repaired</h1><p>The harbour wall has been repaired.</p></main></body></html>"""
    )
    assert (raw.title, raw.organisation) == ("Harbour wall repaired", "Portneuf Council")


def test_a_dash_in_a_title_that_is_not_the_headline_names_no_site() -> None:
    raw = from_html(
        """<html><head><title>Ferry fares frozen - update</title></head>
        <body><main><h1>Ferry fares frozen until spring</h1><p>Fares stay as they are.</p></main></body></html>"""
    )
    assert raw.organisation is None


@pytest.mark.parametrize(
    ("head", "link"),
    [
        ('<meta property="og:url" content="https://harbour.example.gov/">', None),
        ('<meta property="og:url" content="https://harbour.example.gov">', None),
        ('<link rel="canonical" href="/">', None),
        # a root canonical gives way to an og:url of the page itself, and a query names a page (WordPress's ?p=)
        (
            '<link rel="canonical" href="https://harbour.example.gov/">'
            '<meta property="og:url" content="https://harbour.example.gov/news/story-1">',
            "https://harbour.example.gov/news/story-1",
        ),
        ('<link rel="canonical" href="https://harbour.example.gov/?p=123">', "https://harbour.example.gov/?p=123"),
    ],
)
def test_a_site_root_as_the_pages_url_is_not_its_link(head: str, link: str | None) -> None:
    """Review 3, finding 7: many CMSs put the site's home page in `og:url` (or the canonical link) of every page,
    and as the release's link it made every such page one release, each replacing the last."""
    base = '<base href="https://harbour.example.gov/news/">' if 'href="/"' in head else ""
    raw = from_html(f"<html><head>{base}{head}</head><body><h1>Harbour story number 1</h1><p>Text.</p></body></html>")
    assert raw.link == link
