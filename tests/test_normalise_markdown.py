"""feeds.normalise.markdown: release bodies in Markdown rendered to the HTML we publish (and its shortcuts, against
the long way round), and inline Markdown read as text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feeds.normalise.htmltext import html_to_text, summary_source
from feeds.normalise.markdown import markdown_inline_text, markdown_to_html, render_markdown
from feeds.normalise.sanitise import sanitise_html
from tests.normalise_helpers import BASE


@pytest.mark.parametrize(
    ("markdown", "html"),
    [
        ("Hello *world*", "<p>Hello <em>world</em></p>"),
        ("# Title\n\nText", "<h2>Title</h2>\n<p>Text</p>"),
        ("## Notes to editors", "<h2>Notes to editors</h2>"),
        ("- one\n- two", "<ul>\n<li>one</li>\n<li>two</li>\n</ul>"),
        ("> The Minister said this.", "<blockquote>\n<p>The Minister said this.</p>\n</blockquote>"),
        ("[GOV.UK](https://www.gov.uk/)", '<p><a href="https://www.gov.uk/" rel="noopener noreferrer">GOV.UK</a></p>'),
        # (review) markdown-it refused such a link by not parsing it: it was published as Markdown text. Now its
        # text alone, never the URL: deliberately changed from "<p>[x](javascript:alert(1))</p>"
        ("[x](javascript:alert(1))", "<p>x</p>"),
        ("See [the *plan*](JavaScript:alert(1)).", "<p>See the <em>plan</em>.</p>"),
        ("[x](vbscript:msgbox) [y](file:///etc/passwd) [z](data:text/html,hi)", "<p>x y z</p>"),
        ("[x][r]\n\n[r]: javascript:alert(1)", "<p>x</p>"),
        ("A ![the chart](javascript:alert(1)) here", "<p>A the chart here</p>"),
        (
            "[*a* [b](https://x.example/)](javascript:x)",
            '<p>[<em>a</em> <a href="https://x.example/" rel="noopener noreferrer">b</a>](javascript:x)</p>',
        ),
        ("Line one  \nline two", "<p>Line one<br>\nline two</p>"),
        ("`code` and **bold**", "<p><code>code</code> and <strong>bold</strong></p>"),
        ("Text <script>alert(1)</script> more", "<p>Text  more</p>"),
        ('<p onclick="x()">raw html</p>', "<p>raw html</p>"),
        ("![chart](https://x.example/c.png)", '<p><img src="https://x.example/c.png" alt="chart"></p>'),
        (
            "| Region | Funding |\n| --- | --- |\n| North | £5m |",
            "<table>\n<thead>\n<tr>\n<th>Region</th>\n<th>Funding</th>\n</tr>\n</thead>\n"
            "<tbody>\n<tr>\n<td>North</td>\n<td>£5m</td>\n</tr>\n</tbody>\n</table>",
        ),
    ],
)
def test_markdown(markdown: str, html: str) -> None:
    assert markdown_to_html(markdown) == html


def test_markdown_footnotes_are_numbered_notes_the_sanitiser_keeps() -> None:
    """`text[^1]` … `[^1]: note` came out as written; the plugin's ids and `#fn1` links would be dropped (ids are
    not published) or lead elsewhere (resolved against the release's link), so they are left out."""
    markdown = "Fares are frozen[^1] for a year[^cost], as promised[^1].\n\n[^1]: Since *2024*.\n[^cost]: At £3m.\n"
    html = markdown_to_html(markdown, base_url=BASE)
    assert html == (
        "<p>Fares are frozen<sup>[1]</sup> for a year<sup>[2]</sup>, as promised<sup>[1]</sup>.</p>\n"
        "<hr>\n<section>\n<ol>\n<li><p>Since <em>2024</em>.</p>\n</li>\n<li><p>At £3m.</p>\n</li>\n</ol>\n</section>"
    )
    assert sanitise_html(html, BASE) == html
    assert "[^" not in html_to_text(html)
    assert summary_source(html).split("\n\n")[0] == "Fares are frozen for a year, as promised."


@pytest.mark.parametrize(
    ("markdown", "text"),
    [
        ("*stars* and __bold__", "stars and bold"),
        ("[link](https://x.example/a) and <https://x.example/b>", "link and https://x.example/b"),
        ("`code`, \\*escaped\\* and snake_case_name", "code, *escaped* and snake_case_name"),
        ("Plans for <5% growth in a <tags> list", "Plans for <5% growth in a <tags> list"),
        ("5 * 3 = 15 & more", "5 * 3 = 15 & more"),
        ("Two\nlines", "Two lines"),
    ],
)
def test_markdown_inline_text(markdown: str, text: str) -> None:
    assert markdown_inline_text(markdown) == text


def test_markdown_links_resolve_against_a_base() -> None:
    assert markdown_to_html("[annex](annex.pdf)", base_url=BASE) == (
        '<p><a href="https://www.example.gov.uk/government/news/annex.pdf" rel="noopener noreferrer">annex</a></p>'
    )


# --- render_markdown's shortcuts: plain prose built directly, one nh3 pass without raw HTML -----------------


def _reference(markdown: str, base_url: str | None = None) -> tuple[str, str]:
    """The long way round: markdown-it, then `sanitise_html` (nh3 until stable), then the text of the result."""
    from feeds.normalise.htmltext import clean_html_to_text
    from feeds.normalise.markdown import _MARKDOWN
    from feeds.normalise.text import xml_safe

    html = sanitise_html(_MARKDOWN.render(xml_safe(markdown)), base_url=base_url)
    return html, clean_html_to_text(html)


def test_other_white_space_is_every_isspace_character_but_space_and_newline() -> None:
    from feeds.normalise.markdown import _OTHER_WHITE_SPACE

    every = {chr(c) for c in range(0x110000) if chr(c).isspace()}
    assert set(_OTHER_WHITE_SPACE) == every - {" ", "\n"}


@pytest.mark.parametrize(
    "markdown",
    [
        "One paragraph.",
        'First.\n\nSecond, with a "quote" and it\'s fine.\nA soft line break.\n\n\n\nThird (after blank lines).',
        "\n\nLeading and trailing blank lines.\n\n",
        "Ünïcödé — dashes – and “quotes” … 2026: 5% (of £3m) / $4 @ 10 o'clock; ok?",
        "Line with trailing spaces  \nbreaks",
        "Tabbed\tword",
        "No\u00a0break",
        "    indented code",
        "Text\n    indented continuation",
        "1. a list",
        "Text\n2026 was a year",
        "- item",
        "+ item",
        "Title\n===",
        "Title\n---",
        "A & B",
        "a > b",
        "a < b",
        "x_y_z and *stars*",
        "Costs 5 #1 ~ approx | pipe = equals ! bang [bracket]",
        "Name\n\n Indented by one",
    ],
)
def test_render_markdown_matches_the_long_way_round(markdown: str) -> None:
    assert render_markdown(markdown) == _reference(markdown)
    assert render_markdown(markdown, BASE) == _reference(markdown, BASE)


_PROSE = st.sampled_from(
    ["Minister", "talks", "Zürich", "São", "2026", "5%", "£3m", "(note)", "it's", '"quoted"', "“curly”", "—", "–",
     "…", ".", ",", ":", ";", "?", "/", "@", "$", "{x}", "^", "%", " ", " ", "  ", "\n", "\n\n", "\n\n\n", "-", "+",
     "1.", "2)", "    ", "\ufffd", "\u200b", "\U0001f600", "\ufeff", "\u00ad"]
)  # fmt: skip


_MARKUP = st.sampled_from(
    ["*", "**", "_", "`", "```", "~~~", "[a](b)", "[a](https://x.example/a b)", "![i](c.png)", "[x](ftp://f)",
     "[x](javascript:alert(1))", "![i](ftp://f)", "# ", "## ", "> ", "- ", "* ", "1. ", "---", "===", "| a | b |",
     "|---|---|", "\\", "&amp;", "&#13;", "&#12;", "&#0;", "&nbsp;", "&quot;", "&", ">", "\t", "\u00a0", "\u3000",
     "  \n", "\r\n", "[ref]: https://x.example/", "[ref]", "<https://x.example/>", "<b>", "</p>", "<h1>x", "<!--",
     "[^1]", "[^n]", "\n\n[^1]: ", "\n[^n]: ", "^[inline note]"]
)  # fmt: skip


@settings(max_examples=400)
@given(st.lists(_PROSE, max_size=30).map("".join))
def test_plain_prose_renders_as_the_long_way_round(markdown: str) -> None:
    assert render_markdown(markdown, BASE) == _reference(markdown, BASE)


@settings(max_examples=600)
@given(st.lists(st.one_of(_PROSE, _MARKUP), max_size=30).map("".join))
def test_any_markdown_renders_as_the_long_way_round(markdown: str) -> None:
    """Covers both shortcuts: plain prose built directly, and one nh3 pass when the source has no "<"."""
    assert render_markdown(markdown, BASE) == _reference(markdown, BASE)
    assert render_markdown(markdown) == _reference(markdown)


def test_raw_html_nested_absurdly_deep_in_markdown_keeps_its_words_but_not_its_markup() -> None:
    markdown = "# Heading\n\n" + "Some *prose*.\n\n" * 5000 + "<div>" * 2000 + "Deep words"
    html, text = render_markdown(markdown)
    assert "<" not in html.replace("&lt;", "") and html.endswith("Deep words")
    assert text.endswith("Deep words")
    shallow, _ = render_markdown("Some *prose*.\n\n" * 5000 + "<div>" * 50 + "Deep words")
    assert "<em>prose</em>" in shallow and "<div>" in shallow


def test_a_summary_shows_the_text_of_a_refused_link_not_its_markdown() -> None:
    assert markdown_inline_text("Fares [frozen](javascript:alert(1)) for *a year*") == "Fares frozen for a year"
