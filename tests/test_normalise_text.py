"""feeds.normalise.text: plain-text paragraphs, `said:` quotations, summaries and character hygiene."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from feeds.normalise.html import sanitise_html
from feeds.normalise.text import collapse, make_summary, text_to_html, xml_safe

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
            "The Minister for Rivers, Jo Bloggs, said:\n\nWe will clean every river.\n\nIt starts today.",
            f"{INTRO}\n<blockquote>\n<p>We will clean every river.</p>\n<p>It starts today.</p>\n</blockquote>",
            id="runs-to-the-end",
        ),
        pytest.param(
            "The Minister for Rivers, Jo Bloggs, said:\n\nWe will act.\n\nENDS\n\nNotes follow.",
            f"{INTRO}\n<blockquote>\n<p>We will act.</p>\n</blockquote>\n<p>ENDS</p>\n<p>Notes follow.</p>",
            id="stops-at-ENDS",
        ),
        pytest.param(
            "The Minister for Rivers, Jo Bloggs, said:\n\nWe will act.\n\n-ends-",
            f"{INTRO}\n<blockquote>\n<p>We will act.</p>\n</blockquote>\n<p>-ends-</p>",
            id="stops-at-dashed-ends",
        ),
        pytest.param(
            "The Minister for Rivers, Jo Bloggs, said:\n\nWe will act.\n\nNotes to editors:\n\n1. A note.",
            f"{INTRO}\n<blockquote>\n<p>We will act.</p>\n</blockquote>\n<p>Notes to editors:</p>\n<p>1. A note.</p>",
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
            f"{INTRO}\n<blockquote>\n<p>We will act.</p>\n</blockquote>\n<p>Editor's notes</p>\n<p>1. A note.</p>",
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
            f"{INTRO}\n<p>ENDS</p>",
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


@pytest.mark.parametrize(
    "text",
    [
        "Para one.\n\nThe Minister said:\n\nQuote one.\n\nQuote two.\n\nENDS",
        "A & B < C\nnext line\n\nSecond",
        "“Curly” quotes and ‘single’ ones – with dashes…",
    ],
)
def test_text_html_is_already_sanitised(text: str) -> None:
    html = text_to_html(text)
    assert sanitise_html(html) == html


@given(
    st.lists(
        st.one_of(st.text(max_size=20), st.sampled_from(["\n\n", "\n", " said:", "ENDS", '"', "<", "&", "\xa0"])),
        max_size=15,
    ).map("".join)
)
def test_any_text_becomes_html_the_sanitiser_leaves_alone(text: str) -> None:
    html = text_to_html(text)
    assert sanitise_html(html) == html


# --- summaries -----------------------------------------------------------------------------------------------------

LONG = (
    "The Department for Coastal Affairs today announced a £40 million fund to repair sea walls along the east coast, "
    "protecting thousands of homes from winter storms and rising tides, with work due to start in the spring and "
    "to finish before the autumn equinox of the following year in every affected county."
)


@pytest.mark.parametrize(
    ("text", "limit", "summary"),
    [
        ("Short first paragraph that is long enough.\n\nSecond.", 280, "Short first paragraph that is long enough."),
        ("London, 2 Nov\n\nThe real first paragraph is this one.", 280, "The real first paragraph is this one."),
        ("ENDS\n\nHi", 280, "ENDS"),
        ("Tiny.", 280, "Tiny."),
        ("", 280, ""),
        ("The word boundary matters here", 20, "The word boundary…"),
        ("Commas, semicolons; colons: dashes – stop", 22, "Commas, semicolons…"),
        ("Supercalifragilistic", 10, "Supercali…"),
        ("Spread\nover\nlines and long enough to count", 280, "Spread over lines and long enough to count"),
    ],
)
def test_make_summary(text: str, limit: int, summary: str) -> None:
    assert make_summary(text, limit) == summary


def test_long_first_paragraph_is_cut_at_a_word_boundary() -> None:
    summary = make_summary(LONG)
    assert len(summary) <= 280
    assert summary.endswith("…")
    assert LONG.startswith(summary[:-1])
    assert LONG[len(summary) - 1] == " "


@given(st.text(alphabet=st.sampled_from("abc \n.,"), max_size=400), st.integers(min_value=2, max_value=300))
def test_summaries_respect_the_limit_and_never_split_words(text: str, limit: int) -> None:
    summary = make_summary(text, limit)
    assert len(summary) <= limit
    if summary.endswith("…"):
        head = summary[:-1]
        words = collapse(text).split()
        if " " in head:
            assert all(word in words for word in head.split()[:-1])
            assert head.split()[-1].rstrip(",;:-") in {w.rstrip(",;:-") for w in words}


def test_make_summary_rejects_silly_limits() -> None:
    with pytest.raises(ValueError, match="limit"):
        make_summary("text", 1)


# --- character hygiene ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "safe"),
    [
        ("plain", "plain"),
        ("tab\tnew\nline\rcr", "tab\tnew\nline\rcr"),
        ("nul\x00bell\x07esc\x1bvt\x0b", "nulbellescvt"),
        ("half\ud800surrogate", "halfsurrogate"),
        ("non\ufffecharacters\uffff", "noncharacters"),
        ("emoji 🗞 and Ünïcödé", "emoji 🗞 and Ünïcödé"),
    ],
)
def test_xml_safe(text: str, safe: str) -> None:
    assert xml_safe(text) == safe


def test_xml_safe_agrees_with_the_xml_char_production_on_every_code_point() -> None:
    """The fast "already safe" check never lets a forbidden character through, alone or amid other text."""
    from feeds.normalise.text import _NOT_XML_CHAR

    for start in range(0, 0x110000, 0x800):
        chunk = "".join(map(chr, range(start, start + 0x800)))
        assert xml_safe(chunk) == _NOT_XML_CHAR.sub("", chunk)
        for ch in chunk[:: 0x80 if start not in (0, 0xD800, 0xF800) else 1]:
            text = f"é{ch}x" if start else f"a{ch}b"
            assert xml_safe(text) == _NOT_XML_CHAR.sub("", text), hex(ord(ch))
