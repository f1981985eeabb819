"""feeds.normalise.autolink: web and e-mail addresses in plain text become links the sanitiser leaves alone."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feeds.normalise.autolink import linkify
from feeds.normalise.sanitise import sanitise_html
from feeds.normalise.text import collapse, xml_safe


def a(href: str, text: str | None = None) -> str:
    return f'<a href="{href}" rel="noopener noreferrer">{text if text is not None else href}</a>'


@pytest.mark.parametrize(
    ("text", "html"),
    [
        ("No address here.", "No address here."),
        ("https://example.org/report", a("https://example.org/report")),
        ("See http://example.org.", f"See {a('http://example.org')}."),
        ("See www.gov.uk/coast.", f"See {a('https://www.gov.uk/coast', 'www.gov.uk/coast')}."),
        ("WWW.GOV.UK", a("https://WWW.GOV.UK", "WWW.GOV.UK")),
        ("Write to press@coastal.gov.uk.", f"Write to {a('mailto:press@coastal.gov.uk', 'press@coastal.gov.uk')}."),
        # written as a link already (a second re-check: "mailto:" stayed text before the linked address)
        ("Mail mailto:desk@example.org now", f"Mail {a('mailto:desk@example.org', 'mailto:desk@example.org')} now"),
        (
            "jo.bloggs+news@example.co.uk,",
            f"{a('mailto:jo.bloggs+news@example.co.uk', 'jo.bloggs+news@example.co.uk')},",
        ),
        # the sentence's punctuation is not the address's
        ("(see https://example.org/a)", f"(see {a('https://example.org/a')})"),
        ("https://en.wikipedia.org/wiki/Pier_(structure).", f"{a('https://en.wikipedia.org/wiki/Pier_(structure)')}."),
        ("“https://example.org/x.”", f"“{a('https://example.org/x')}.”"),
        ("‘www.example.com’", f"‘{a('https://www.example.com', 'www.example.com')}’"),
        ("https://example.org/a?b=1;", f"{a('https://example.org/a?b=1')};"),
        ("https://example.org!", f"{a('https://example.org')}!"),
        ("www.example.com—or call", f"{a('https://www.example.com', 'www.example.com')}—or call"),
        # escaped, in the text and in the link
        ("https://example.org/?a=1&b=2 & more", f"{a('https://example.org/?a=1&amp;b=2')} &amp; more"),
        ("<https://example.org>", f"&lt;{a('https://example.org')}&gt;"),
        # not addresses
        ("gov.uk and report.pdf", "gov.uk and report.pdf"),
        ("www. and www.foo", "www. and www.foo"),
        ("http:// and https://", "http:// and https://"),
        ("http://localhost:8000/ and http://08", "http://localhost:8000/ and http://08"),
        ("https://example.org:99999/", "https://example.org:99999/"),
        ("https://example.org:8080/", a("https://example.org:8080/")),
        ("a@b and @handle and x@y.z1", "a@b and @handle and x@y.z1"),
        ("xwww.example.com", "xwww.example.com"),
        ("In a URL: https://example.org/u/jo@example.org", f"In a URL: {a('https://example.org/u/jo@example.org')}"),
    ],
)
def test_linkify(text: str, html: str) -> None:
    assert linkify(text) == html


_PIECES = st.sampled_from(
    [
        *("https://", "http://", "www.", "example", ".org", ".uk", "@", "/", "?", "&", "=", "(", ")", ".", ","),
        *("”", ":", "8080", " ", "é", "-", "_", "%", "#", "'", '"', "<", "~", "[", "]"),
    ]
)


@settings(max_examples=500)
@given(st.lists(st.one_of(_PIECES, st.text(max_size=4)), max_size=20).map(lambda p: collapse(xml_safe("".join(p)))))
def test_links_are_what_the_sanitiser_makes_of_them(text: str) -> None:
    """(On a line of text as `text_to_html` gives it: XML-safe, white space collapsed.)"""
    html = f"<p>{linkify(text)}.</p>"
    assert sanitise_html(html) == html
