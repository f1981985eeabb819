"""feeds.normalise.plaintext: plain-text paragraphs, lists, `said:` quotations, "ENDS" and the editors' notes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from feeds.normalise.plaintext import text_to_html
from feeds.normalise.sanitise import sanitise_html

# --- paragraphs --------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "html"),
    [
        ("One paragraph.", "<p>One paragraph.</p>"),
        ("First.\n\nSecond.", "<p>First.</p>\n<p>Second.</p>"),
        ("First.\r\n\r\nSecond.", "<p>First.</p>\n<p>Second.</p>"),
        ("First.\n \t \nSecond.", "<p>First.</p>\n<p>Second.</p>"),
        ("\n\n\nFirst.\n\n\n\nSecond.\n\n", "<p>First.</p>\n<p>Second.</p>"),
        ("Line one\nline two", "<p>Line one<br>line two</p>"),
        ("  Indented   with   spaces  ", "<p>Indented with spaces</p>"),
        ('Fish & chips < £5 > "cheap"', '<p>Fish &amp; chips &lt; £5 &gt; "cheap"</p>'),
        ("<script>alert(1)</script>", "<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>"),
        ("", ""),
        ("\n \n", ""),
    ],
)
def test_paragraphs(text: str, html: str) -> None:
    assert text_to_html(text) == html


# --- quotations ----------------------------------------------------------------------------------------------------

INTRO = "<p>The Minister for Rivers, Jo Bloggs, said:</p>"


@pytest.mark.parametrize(
    ("text", "html"),
    [
        pytest.param(
            "Sally Pen commented:\n\n“We have waited two years for this.\n\nThe plans, called “Harbour Futures”, are "
            "online.\n\nThe committee meets on Monday.",
            "<p>Sally Pen commented:</p>\n<blockquote>\n<p>“We have waited two years for this.</p>\n</blockquote>\n"
            "<p>The plans, called “Harbour Futures”, are online.</p>\n<p>The committee meets on Monday.</p>",
            id="a-title-in-quotes-closes-nothing",
        ),
        pytest.param(
            "The Minister said:\n\n“We are investing in the coast.”\n\n“This is great news for our crews,” said Jo "
            "Bloggs.\n\n“Good,” Sam Lee said.",
            "<p>The Minister said:</p>\n<blockquote>\n<p>“We are investing in the coast.”</p>\n</blockquote>\n"
            "<p>“This is great news for our crews,” said Jo Bloggs.</p>\n<p>“Good,” Sam Lee said.</p>",
            id="a-quote-with-its-own-speaker-is-not-the-last-speakers",
        ),
        pytest.param(
            "The council leader said:\n- reopening the coast road\n- a new bus stop\n\nThe road reopens on Monday.",
            "<p>The council leader said:</p>\n<blockquote>\n<ul>\n<li>reopening the coast road</li>\n"
            "<li>a new bus stop</li>\n</ul>\n</blockquote>\n<p>The road reopens on Monday.</p>",
            id="a-listed-quotation-ends-with-its-list",
        ),
        pytest.param(
            "The Defence Secretary said:\n\nOur commitment is unwavering.\n\nNATO's Secretary General said: “The UK "
            "is a steadfast ally.”\n\nThe visit follows the summit.",
            "<p>The Defence Secretary said:</p>\n<blockquote>\n<p>Our commitment is unwavering.</p>\n</blockquote>\n"
            "<p>NATO's Secretary General said: “The UK is a steadfast ally.”</p>\n<p>The visit follows the summit.</p>",
            id="a-speaker-named-before-the-quote-is-not-the-last-speakers",
        ),
        pytest.param(
            "The Minister said:\n\n“We will act.\n\nJo O'Neill, of the Harbour Trust, added today: ‘Good.’",
            "<p>The Minister said:</p>\n<blockquote>\n<p>“We will act.</p>\n</blockquote>\n"
            "<p>Jo O'Neill, of the Harbour Trust, added today: ‘Good.’</p>",
            id="a-speaker-named-before-the-quote-ends-a-marked-quotation",
        ),
        pytest.param(
            "The Minister said:\n\nWe will act.\n\nAs the Prime Minister said: “No one is left behind.”",
            "<p>The Minister said:</p>\n<blockquote>\n<p>We will act.</p>\n"
            "<p>As the Prime Minister said: “No one is left behind.”</p>\n</blockquote>",
            id="a-quotation-recalled-inside-one-stays-in-it",
        ),
    ],
)
def test_quotations_end_where_the_story_goes_on(text: str, html: str) -> None:
    """Second re-check: an unclosed quotation took in a paragraph quoting a title, a second speaker's quote went
    to the first speaker, and the story after a listed quotation was quoted."""
    assert text_to_html(text) == html


@pytest.mark.parametrize(
    ("text", "html"),
    [
        pytest.param(
            "The Minister for Rivers, Jo Bloggs, said:\n\nWe will clean every river.\n\nIt starts today.",
            f"{INTRO}\n<blockquote>\n<p>We will clean every river.</p>\n<p>It starts today.</p>\n</blockquote>",
            id="runs-to-the-end",
        ),
        pytest.param(
            "The Minister for Rivers, Jo Bloggs, said:\n\nWe will act.\n\nENDS\n\nNotes follow.",
            f"{INTRO}\n<blockquote>\n<p>We will act.</p>\n</blockquote>\n<p>Notes follow.</p>",
            id="stops-at-ENDS",
        ),
        pytest.param(
            "The Minister for Rivers, Jo Bloggs, said:\n\nWe will act.\n\n-ends-",
            f"{INTRO}\n<blockquote>\n<p>We will act.</p>\n</blockquote>",
            id="stops-at-dashed-ends",
        ),
        pytest.param(
            "The Minister for Rivers, Jo Bloggs, said:\n\nWe will act.\n\nNotes to editors:\n\n1. A note.",
            f"{INTRO}\n<blockquote>\n<p>We will act.</p>\n</blockquote>\n<h2>Notes to editors</h2>\n"
            "<ol>\n<li>A note.</li>\n</ol>",
            id="stops-at-notes-to-editors",
        ),
        pytest.param(
            "The Minister for Rivers, Jo Bloggs, said:\n\nWe will act.\n\nBACKGROUND\n\nFacts.",
            f"{INTRO}\n<blockquote>\n<p>We will act.</p>\n</blockquote>\n<p>BACKGROUND</p>\n<p>Facts.</p>",
            id="stops-at-background",
        ),
        pytest.param(
            "The Minister for Rivers, Jo Bloggs, said:\n\nWe will act.\n\nFurther information\n\nCall us.",
            f"{INTRO}\n<blockquote>\n<p>We will act.</p>\n</blockquote>\n<p>Further information</p>\n<p>Call us.</p>",
            id="stops-at-further-information",
        ),
        pytest.param(
            "The Minister for Rivers, Jo Bloggs, said:\n\nWe will act.\n\nThe agency chief, Sam Poe, said:\n\nAgreed.",
            f"{INTRO}\n<blockquote>\n<p>We will act.</p>\n</blockquote>\n<p>The agency chief, Sam Poe, said:</p>\n"
            "<blockquote>\n<p>Agreed.</p>\n</blockquote>",
            id="next-said-starts-a-new-quote",
        ),
        pytest.param(
            "The Minister for Rivers, Jo Bloggs, said:\n\nWe will act.\n\nThe Chief Executive of the RNLI commented:"
            "\n\nWe welcome it.\n\nShe added today:\n\nMore to come.",
            f"{INTRO}\n<blockquote>\n<p>We will act.</p>\n</blockquote>\n"
            "<p>The Chief Executive of the RNLI commented:</p>\n<blockquote>\n<p>We welcome it.</p>\n</blockquote>\n"
            "<p>She added today:</p>\n<blockquote>\n<p>More to come.</p>\n</blockquote>",
            id="added-and-commented-start-new-quotes",
        ),
        pytest.param(
            "The Minister for Rivers, Jo Bloggs, said:\n\nWe will act.\n\nHer spokesperson added that:\n\nMore soon."
            "\n\nAccording to the agency:\n\nIt works.",
            f"{INTRO}\n<blockquote>\n<p>We will act.</p>\n</blockquote>\n<p>Her spokesperson added that:</p>\n"
            "<blockquote>\n<p>More soon.</p>\n</blockquote>\n<p>According to the agency:</p>\n"
            "<blockquote>\n<p>It works.</p>\n</blockquote>",
            id="added-that-and-according-to",
        ),
        pytest.param(
            "The Minister for Rivers, Jo Bloggs, said:\n\nWe will act.\n\nEditor's notes\n\n1. A note.",
            f"{INTRO}\n<blockquote>\n<p>We will act.</p>\n</blockquote>\n<h2>Editor's notes</h2>\n"
            "<ol>\n<li>A note.</li>\n</ol>",
            id="stops-at-editor-s-notes",
        ),
        pytest.param(
            "The Minister for Rivers, Jo Bloggs, said:\n\nWe will act.\n\nContact: Press Office, 020 7946 0000",
            f"{INTRO}\n<blockquote>\n<p>We will act.</p>\n</blockquote>\n<p>Contact: Press Office, 020 7946 0000</p>",
            id="stops-at-contact",
        ),
        pytest.param(
            "The Minister for Rivers, Jo Bloggs, said:\n\nWe will act.\n\nFor more information, call 020 7946 0000.",
            f"{INTRO}\n<blockquote>\n<p>We will act.</p>\n</blockquote>\n"
            "<p>For more information, call 020 7946 0000.</p>",
            id="stops-at-for-more-information",
        ),
        pytest.param(
            "The Minister for Rivers, Jo Bloggs, said:\n\nAbout 200 boats use it.\n\nAbout the RNLI\n\nIt saves lives.",
            f"{INTRO}\n<blockquote>\n<p>About 200 boats use it.</p>\n</blockquote>\n<p>About the RNLI</p>\n"
            "<p>It saves lives.</p>",
            id="stops-at-about-an-organisation-not-at-about-a-number",
        ),
        pytest.param(
            "The Minister for Rivers, Jo Bloggs, said:\n\n“We will act.”\n\nThe plan costs £2m.",
            f"{INTRO}\n<blockquote>\n<p>“We will act.”</p>\n</blockquote>\n<p>The plan costs £2m.</p>",
            id="quoted-paragraph-then-narrative",
        ),
        pytest.param(
            'The Minister for Rivers, Jo Bloggs, said:\n\n"First part.\n\n"Second part."\n\nNarrative.',
            f'{INTRO}\n<blockquote>\n<p>"First part.</p>\n<p>"Second part."</p>\n</blockquote>\n<p>Narrative.</p>',
            id="multi-paragraph-quote-in-marks",
        ),
        pytest.param(
            "Jo Bloggs SAID:\n\nLoud.",
            "<p>Jo Bloggs SAID:</p>\n<blockquote>\n<p>Loud.</p>\n</blockquote>",
            id="case-insensitive",
        ),
        pytest.param(
            "The Minister for Rivers, Jo Bloggs, said:",
            INTRO,
            id="said-at-the-end-has-nothing-to-quote",
        ),
        pytest.param(
            "The Minister for Rivers, Jo Bloggs, said:\n\nENDS",
            INTRO,
            id="said-then-marker-has-nothing-to-quote",
        ),
        pytest.param(
            "She said: this is not a quotation intro.\n\nNormal.",
            "<p>She said: this is not a quotation intro.</p>\n<p>Normal.</p>",
            id="said-colon-mid-paragraph",
        ),
        pytest.param(
            "Before.\n\nThe Minister\nfor Rivers said:\n\nQuote <b>me</b>.",
            "<p>Before.</p>\n<p>The Minister<br>for Rivers said:</p>\n<blockquote>\n<p>Quote &lt;b&gt;me&lt;/b&gt;.</p>"
            "\n</blockquote>",
            id="multi-line-intro-and-escaped-quote",
        ),
    ],
)
def test_said_quotations(text: str, html: str) -> None:
    assert text_to_html(text) == html


SAID = "<p>The Minister said:</p>"


@pytest.mark.parametrize(
    ("text", "html"),
    [
        pytest.param(
            "The Minister said:\n\n“The railway is vital.\n\n“We will build it.\n\nAnd we will finish it on time.”"
            "\n\nThe line opens in 2030.",
            f"{SAID}\n<blockquote>\n<p>“The railway is vital.</p>\n<p>“We will build it.</p>\n"
            "<p>And we will finish it on time.”</p>\n</blockquote>\n<p>The line opens in 2030.</p>",
            id="typographic-three-paragraphs-last-one-closes",
        ),
        pytest.param(
            'The Minister said:\n\n"The railway is vital.\n\n"We will build it.\n\nAnd on time."\n\nStory.',
            f'{SAID}\n<blockquote>\n<p>"The railway is vital.</p>\n<p>"We will build it.</p>\n'
            '<p>And on time."</p>\n</blockquote>\n<p>Story.</p>',
            id="straight-marks-three-paragraphs",
        ),
        pytest.param(
            "The Minister said:\n\n“First part…\n\n…second part.”\n\nStory.",
            f"{SAID}\n<blockquote>\n<p>“First part…</p>\n<p>…second part.”</p>\n</blockquote>\n<p>Story.</p>",
            id="two-paragraphs-second-unmarked",
        ),
        pytest.param(
            "The Minister said:\n\n“First,\n\nsecond\n\nand third.”\n\nStory.",
            f"{SAID}\n<blockquote>\n<p>“First,</p>\n<p>second</p>\n<p>and third.”</p>\n</blockquote>\n<p>Story.</p>",
            id="closes-within-the-lookahead",
        ),
        pytest.param(
            "The Minister said:\n\n“Never closed.\n\nStory one.\n\nStory two.\n\nStory three.\n\nFour.”",
            f"{SAID}\n<blockquote>\n<p>“Never closed.</p>\n</blockquote>\n<p>Story one.</p>\n<p>Story two.</p>\n"
            "<p>Story three.</p>\n<p>Four.”</p>",
            id="closing-mark-beyond-the-lookahead-falls-back",
        ),
        pytest.param(
            "The Minister said:\n\n“Open.\n\nThe mayor said:\n\nIt closes here.”",
            f"{SAID}\n<blockquote>\n<p>“Open.</p>\n</blockquote>\n<p>The mayor said:</p>\n"
            "<blockquote>\n<p>It closes here.”</p>\n</blockquote>",
            id="never-runs-past-the-next-speaker",
        ),
        pytest.param(
            "The Minister said:\n\n“Open.\n\nNotes to editors\n\nIt closes here.”",
            f"{SAID}\n<blockquote>\n<p>“Open.</p>\n</blockquote>\n<h2>Notes to editors</h2>\n<p>It closes here.”</p>",
            id="never-runs-past-notes-to-editors",
        ),
        pytest.param(
            "The Minister said:\n\n“Open.\n\nENDS\n\nIt closes here.”",
            f"{SAID}\n<blockquote>\n<p>“Open.</p>\n</blockquote>\n<p>It closes here.”</p>",
            id="never-runs-past-ENDS",
        ),
        pytest.param(
            "The Minister said:\n\n“Open.\n\nContact: Press Office.”",
            f"{SAID}\n<blockquote>\n<p>“Open.</p>\n</blockquote>\n<p>Contact: Press Office.”</p>",
            id="never-runs-past-the-contacts",
        ),
        pytest.param(
            "The Minister said:\n\n“We will act,” she said, “and soon.”\n\nStory.",
            f"{SAID}\n<blockquote>\n<p>“We will act,” she said, “and soon.”</p>\n</blockquote>\n<p>Story.</p>",
            id="closed-inside-the-paragraph",
        ),
        pytest.param(
            "The Minister said:\n\n‘It’s vital,’ she said. ‘The ministers’ plan works.\n\nAnd it’s on time.’\n\nStory.",
            f"{SAID}\n<blockquote>\n<p>‘It’s vital,’ she said. ‘The ministers’ plan works.</p>\n"
            "<p>And it’s on time.’</p>\n</blockquote>\n<p>Story.</p>",
            id="single-marks-apostrophes-are-not-marks",
        ),
        pytest.param(
            "The Minister said:\n\n“He told me ‘we will win.’ Then he left.\n\nAnd he came back.”\n\nStory.",
            f"{SAID}\n<blockquote>\n<p>“He told me ‘we will win.’ Then he left.</p>\n<p>And he came back.”</p>\n"
            "</blockquote>\n<p>Story.</p>",
            id="nested-single-marks",
        ),
        pytest.param(
            'Sam Poe, Chief Executive of Derby Trains, said:\n"We welcome this."\n\nStory.',
            '<p>Sam Poe, Chief Executive of Derby Trains, said:</p>\n<blockquote>\n<p>"We welcome this."</p>\n'
            "</blockquote>\n<p>Story.</p>",
            id="quotation-on-the-line-after-the-speaker",
        ),
        pytest.param(
            "Derby will get new trains.\nSam Poe said:\n“We welcome this.\n\n“It is good news.”\n\nStory.",
            "<p>Derby will get new trains.<br>Sam Poe said:</p>\n<blockquote>\n<p>“We welcome this.</p>\n"
            "<p>“It is good news.”</p>\n</blockquote>\n<p>Story.</p>",
            id="speaker-line-inside-a-paragraph-then-a-long-quotation",
        ),
        pytest.param(
            "Sam Poe said:\nWe welcome this.\n\nWe always did.",
            "<p>Sam Poe said:</p>\n<blockquote>\n<p>We welcome this.</p>\n<p>We always did.</p>\n</blockquote>",
            id="unmarked-quotation-on-the-next-line-runs-on",
        ),
    ],
)
def test_quotations_in_marks(text: str, html: str) -> None:
    assert text_to_html(text) == html


# --- ENDS and the notes to editors ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "html"),
    [
        ("Story.\n\nENDS\n\nNotes.", "<p>Story.</p>\n<p>Notes.</p>"),
        ("Story.\n\n-ENDS-", "<p>Story.</p>"),
        ("Story.\n\n– Ends –", "<p>Story.</p>"),
        ("Story.\n\n*ends*", "<p>Story.</p>"),
        ("Story.\nENDS\nNotes.", "<p>Story.</p>\n<p>Notes.</p>"),
        ("Story.\n\nIt ends here.", "<p>Story.</p>\n<p>It ends here.</p>"),
        ("Story.\n\nNotes to editors\n\nA note.", "<p>Story.</p>\n<h2>Notes to editors</h2>\n<p>A note.</p>"),
        ("Story.\n\nNOTE TO EDITORS:\n\nA note.", "<p>Story.</p>\n<h2>NOTE TO EDITORS</h2>\n<p>A note.</p>"),
        ("Story.\n\nNotes for editors", "<p>Story.</p>\n<h2>Notes for editors</h2>"),
        ("Story.\n\nEditors’ notes", "<p>Story.</p>\n<h2>Editors’ notes</h2>"),
        ("**Notes to editors**\nA note.", "<h2>Notes to editors</h2>\n<p>A note.</p>"),
        (
            "ENDS\n\nNotes to editors\n\n1. One.\n2. Two.",
            "<h2>Notes to editors</h2>\n<ol>\n<li>One.</li>\n<li>Two.</li>\n</ol>",
        ),
        ("Read the notes to editors below.", "<p>Read the notes to editors below.</p>"),
        ("Background\n\nFacts.", "<p>Background</p>\n<p>Facts.</p>"),
    ],
)
def test_ends_and_notes_to_editors(text: str, html: str) -> None:
    assert text_to_html(text) == html


# --- hard-wrapped lines --------------------------------------------------------------------------------------------

WRAPPED = (
    "A five-year contract to dredge three Cornish harbours has been awarded\n"
    "to a Plymouth firm, the council announced today. Work will start in May\n"
    "and run outside the main fishing season."
)
WRAPPED_JOINED = (
    "A five-year contract to dredge three Cornish harbours has been awarded to a Plymouth firm, the council "
    "announced today. Work will start in May and run outside the main fishing season."
)


@pytest.mark.parametrize(
    ("text", "html"),
    [
        pytest.param(WRAPPED, f"<p>{WRAPPED_JOINED}</p>", id="wrapped-at-72"),
        pytest.param(
            "The council announced today that work on the harbour will start in\nMay. Boats will use the east quay.",
            "<p>The council announced today that work on the harbour will start in May. Boats will use the east "
            "quay.</p>",
            id="wrapped-line-ending-a-sentence",
        ),
        pytest.param(
            "The full list of schemes, with the sums each one receives, is at\n"
            "https://www.gov.uk/government/publications/sea-wall-fund-schemes-2026\nand in the library.",
            "<p>The full list of schemes, with the sums each one receives, is at "
            '<a href="https://www.gov.uk/government/publications/sea-wall-fund-schemes-2026" '
            'rel="noopener noreferrer">https://www.gov.uk/government/publications/sea-wall-fund-schemes-2026</a> '
            "and in the library.</p>",
            id="a-long-address-on-a-line-of-its-own",
        ),
        pytest.param(
            "Press Office\nDepartment for Coastal Affairs\n2 Marsham Street\nLondon SW1P 4DF",
            "<p>Press Office<br>Department for Coastal Affairs<br>2 Marsham Street<br>London SW1P 4DF</p>",
            id="address-block",
        ),
        pytest.param(
            "Media enquiries\nJo Bloggs, Senior Press Officer, Department for Coastal Affairs\nTel: 020 7946 0000",
            "<p>Media enquiries<br>Jo Bloggs, Senior Press Officer, Department for Coastal Affairs<br>"
            "Tel: 020 7946 0000</p>",
            id="contact-block-with-one-long-line",
        ),
        pytest.param("Best wishes,\nJo", "<p>Best wishes,<br>Jo</p>", id="signature"),
        pytest.param(
            "Dear editor, this is a short line.\nAnd this one is short too, but longer.",
            "<p>Dear editor, this is a short line.<br>And this one is short too, but longer.</p>",
            id="short-lines-keep-their-breaks",
        ),
        pytest.param(
            "The Minister said:\n\n" + WRAPPED,
            f"{SAID}\n<blockquote>\n<p>{WRAPPED_JOINED}</p>\n</blockquote>",
            id="wrapped-quotation",
        ),
        pytest.param(  # a second re-check: long contact lines were joined into one
            "Tom Pascoe | Senior Press Officer | Cornwall Council | New County Hall, Truro, Cornwall\n"
            "Direct line: 01872 000000 | Mobile: 07700 900000 | Out of hours: 07700 900001",
            "<p>Tom Pascoe | Senior Press Officer | Cornwall Council | New County Hall, Truro, Cornwall<br>"
            "Direct line: 01872 000000 | Mobile: 07700 900000 | Out of hours: 07700 900001</p>",
            id="a-long-contact-block-keeps-its-lines",
        ),
    ],
)
def test_hard_wrapped_lines(text: str, html: str) -> None:
    assert text_to_html(text) == html


# --- lists -----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "html"),
    [
        pytest.param("- One\n- Two", "<ul>\n<li>One</li>\n<li>Two</li>\n</ul>", id="dashes"),
        pytest.param("* One\n• Two", "<ul>\n<li>One</li>\n<li>Two</li>\n</ul>", id="stars-and-bullets"),
        pytest.param("1. One\n2. Two", "<ol>\n<li>One</li>\n<li>Two</li>\n</ol>", id="numbered"),
        pytest.param("3) Three\n4) Four", '<ol start="3">\n<li>Three</li>\n<li>Four</li>\n</ol>', id="start"),
        pytest.param(
            "The fund pays for:\n- sea walls\n- groynes",
            "<p>The fund pays for:</p>\n<ul>\n<li>sea walls</li>\n<li>groynes</li>\n</ul>",
            id="introduced-in-the-same-paragraph",
        ),
        pytest.param(
            "The fund pays for:\n- new sea walls at Skegness, Mablethorpe and Southwold, and the groynes\n"
            "  that protect them\n- beach huts",
            "<p>The fund pays for:</p>\n<ul>\n<li>new sea walls at Skegness, Mablethorpe and Southwold, and the "
            "groynes that protect them</li>\n<li>beach huts</li>\n</ul>",
            id="wrapped-item",
        ),
        pytest.param(
            "Notes:\n1. One.\n2. Two.\n4. Not three, a wrapped line.",
            "<p>Notes:</p>\n<ol>\n<li>One.</li>\n<li>Two. 4. Not three, a wrapped line.</li>\n</ol>",
            id="numbers-must-count-up",
        ),
        pytest.param("- Only one", "<ul>\n<li>Only one</li>\n</ul>", id="one-item"),
        pytest.param(
            "The cost rose sharply this year\n- and it will rise again.",
            "<p>The cost rose sharply this year<br>- and it will rise again.</p>",
            id="a-dash-at-a-line-start-is-no-list-without-a-colon",
        ),
        pytest.param("2026. A year.", "<p>2026. A year.</p>", id="a-year-is-no-number"),
        pytest.param("-Not an item", "<p>-Not an item</p>", id="needs-a-space"),
        pytest.param(
            "- See www.gov.uk & <more>",
            '<ul>\n<li>See <a href="https://www.gov.uk" rel="noopener noreferrer">www.gov.uk</a> &amp; &lt;more&gt;'
            "</li>\n</ul>",
            id="escaped-and-linked",
        ),
    ],
)
def test_lists(text: str, html: str) -> None:
    assert text_to_html(text) == html


@pytest.mark.parametrize(
    "text",
    [
        "Para one.\n\nThe Minister said:\n\nQuote one.\n\nQuote two.\n\nENDS",
        "A & B < C\nnext line\n\nSecond",
        "“Curly” quotes and ‘single’ ones – with dashes…",
        "Intro:\n- one www.gov.uk/a?b=1&c=2\n- two press@gov.uk\n\n3. three\n4. four\n\nNotes to editors\n\nENDS",
        "See https://example.org/a_(b), (https://example.org/x), “www.example.com.”",
    ],
)
def test_text_html_is_already_sanitised(text: str) -> None:
    html = text_to_html(text)
    assert sanitise_html(html) == html


@given(
    st.lists(
        st.one_of(
            st.text(max_size=20),
            st.sampled_from(
                [
                    "\n\n",
                    "\n",
                    " said:",
                    "ENDS",
                    '"',
                    "<",
                    "&",
                    "\xa0",
                    "“",
                    "”",
                    "- ",
                    "1. ",
                    "www.",
                    "https://",
                    "@",
                    ".uk",
                ]
            ),
        ),
        max_size=15,
    ).map("".join)
)
def test_any_text_becomes_html_the_sanitiser_leaves_alone(text: str) -> None:
    html = text_to_html(text)
    assert sanitise_html(html) == html


def test_the_shortcuts_before_the_quotation_patterns_skip_only_text_they_cannot_match() -> None:
    """`_ANY_QUOTE_MARK` holds every character `_QUOTE_MARK` can match, and `introduces_quotation` looks for
    `_SAID` only in text ending with a colon (its pattern ends with `:$`): neither shortcut changes a result."""
    from feeds.normalise.plaintext import _ANY_QUOTE_MARK, _QUOTE_MARK, _SAID, introduces_quotation

    for code in range(0x30000):
        c = chr(code)
        if 0xD800 <= code <= 0xDFFF:
            continue
        if any(_QUOTE_MARK.search(context.format(c)) for context in ("{}", ".{}", "a.{},", "{}!")):
            assert _ANY_QUOTE_MARK.search(c), repr(c)
    for text in ("The Minister said:", "The Minister said:\n", "said: ", "said:\n\n", "According to the report:"):
        assert introduces_quotation(text) == (_SAID.search(text) is not None), text
