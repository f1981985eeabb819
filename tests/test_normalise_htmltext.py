"""feeds.normalise.htmltext: the text of HTML, read by three readers that agree where they overlap."""

from __future__ import annotations

from pathlib import Path

import pytest

from feeds.normalise.htmltext import clean_html_to_text, html_to_text, summary_source, untrusted_html_to_text
from feeds.normalise.sanitise import sanitise_html
from tests.normalise_helpers import corpus_item_markups


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<p>One</p><p>Two</p>", "One\n\nTwo"),
        ("<p>Line<br>break</p>", "Line\nbreak"),
        ("<p>Spread\n   over\tlines</p>", "Spread over lines"),
        ("<p>Fish &amp; chips &pound;5&nbsp;each &#8211; &#x2014;</p>", "Fish & chips £5 each – —"),
        ("<h2>Head</h2>Loose text<ul><li>a</li><li>b</li></ul>", "Head\n\nLoose text\n\na\n\nb"),
        ("<p>Keep <b>inline</b> <em>tags</em> inline</p>", "Keep inline tags inline"),
        ("<table><tr><td>1</td><td>2</td></tr><tr><td>3</td><td>4</td></tr></table>", "1 2\n\n3 4"),
        ("<script>var x = 1;</script><style>p{}</style><p>Only this</p>", "Only this"),
        ("<blockquote><p>Quoted</p></blockquote><p>After</p>", "Quoted\n\nAfter"),
        ("<div><div><p>Deep</p></div></div>", "Deep"),
        ("<p></p><p> &nbsp; </p>", ""),
        ("Plain text, no tags", "Plain text, no tags"),
        ("<p>a <br/> b</p>", "a\nb"),
    ],
)
def test_html_to_text(html: str, text: str) -> None:
    assert html_to_text(html) == text


@pytest.mark.parametrize(
    ("html", "text"),
    [
        ("<h2>Background</h2><p>The story.</p><h3>More</h3><p>Detail.</p>", "The story.\n\nDetail."),
        ("<h2>Only a heading</h2>", "Only a heading"),
        ("<p>No headings</p>", "No headings"),
        ('<h2 dir="rtl">خلفية</h2><p dir="rtl">القصة.</p>', "القصة."),
        (
            "<p>Fares frozen<sup>[1]</sup>, 5 m<sup>2</sup>.</p><ol><li>Since 2024.</li></ol>",
            "Fares frozen, 5 m2.\n\nSince 2024.",
        ),
    ],
)
def test_summary_source_leaves_out_headings(html: str, text: str) -> None:
    assert summary_source(html) == text


def test_the_text_of_untrusted_markup_is_the_text_of_it_sanitised(
    corpus_feeds: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A watched item keeps only its text, read in one cheaper pass: the same text sanitising would leave, on every
    corpus item and on markup built to trip a sanitiser (misnesting, dropped elements, tables, scripts)."""
    hostile = [
        "<p>one<marquee><p>two</p></marquee>three</p>",
        "<table>stray<tr><td>a</td><td>b</td></tr></table>after",
        "<h1>Title</h1><p>x<script>alert(1)</script>y</p><style>p{}</style>",
        "<ul><li>one<li>two</ul><a href='javascript:x'>link <b>bold</b></a>",
        "<p>a<br>b<br/>c</p><div hidden>shown anyway</div><!-- comment -->",
        "<svg><text>svg text</text></svg><math>m</math><form><input value=v>form text</form>end",
        "&lt;not a tag&gt; &amp; <p>&eacute;t&eacute;</p>" + "<div>" * 300 + "deep" + "</div>" * 300,
        "<pre>\n\ncode  kept</pre><figure><img src=x alt=alt><figcaption>cap</figcaption></figure>",
        # text without markup, read without the HTML parser: what the parser would change in it
        "\ufeffa leading byte order mark,\r\nline\rbreaks\x0cand\x0bcontrols\x01\x1e\x1f > 1\xa0000 \ufeff\u2028",
        " \t\n\xa0 ",
        # references to characters XML forbids, and named ones, which stand for none
        "<p>a&#1;b&#xFFFE;c&#x0B;d&#0;e&#xD800;f&#x80;g</p>&Tab;&NewLine;&nbsp;&notit;&amp;lt;",
    ]
    for markup in [*corpus_item_markups(corpus_feeds, monkeypatch), *hostile]:
        clean = sanitise_html(markup)
        assert untrusted_html_to_text(markup) == clean_html_to_text(clean) == html_to_text(clean), markup[:200]


def test_marked_text_collapses_as_line_by_line_would() -> None:
    """The block and line marks left by reading markup become blank lines and line breaks, with white space
    collapsed all at once: the same as collapsing each line on its own, on every mix of marks and white space."""
    import random

    from feeds.normalise.htmltext import _BLOCK, _BREAK, _marked_text
    from feeds.normalise.text import collapse

    def line_by_line(marked: str) -> str:
        blocks = ("\n".join(filter(None, map(collapse, b.split(_BREAK)))) for b in marked.split(_BLOCK))
        return "\n\n".join(filter(None, blocks))

    pieces = ["a", "bc", " ", "\n", "\t", "\xa0", "\u2028", "\u3000", _BLOCK, _BREAK, "  "]
    rng = random.Random(5)
    for _ in range(20_000):
        marked = "".join(rng.choice(pieces) for _ in range(rng.randint(0, 24)))
        assert _marked_text(marked) == line_by_line(marked), repr(marked)
