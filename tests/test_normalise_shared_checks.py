"""Checks a release's normalising shares rather than repeats give what the repeated checks gave: the body's HTML,
which `render_markdown` builds of its checked source, is remembered as XML-safe (so the content hash's JSON does
not search it for controls again); a body without a "?" is told it holds no Google redirect without lowering
it, one without a "[" or a "-" has no footnote marks or "-30" line; ASCII texts are read as they are."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from feeds.model import RawRelease
from feeds.normalise import release as release_module
from feeds.normalise import text as text_module
from feeds.normalise.fields import read_each_text, readable_texts
from feeds.normalise.markdown import render_markdown
from feeds.normalise.redirects import _REDIRECT, _unwrapped, unwrap_google_redirects
from feeds.normalise.text import known_xml_safe, remembered_xml_safe, xml_safe

_PROSE = ["word", "Word", " ", "\n", "\n\n", ".", "a@b.example", "www.example.org/x", "http://example.org/?q=1"]
_OTHER = ["<", "&", "\x00", "\x0b", "\x1f", "\ufffe", "\t", "\r", "é", "\u2028", "# ", "- ", "1. ", "  ", "*", "["]
_PIECES = st.sampled_from([*_PROSE, *_PROSE, *_OTHER])


@settings(max_examples=400)
@given(st.lists(_PIECES, max_size=150))
def test_a_rendered_body_remembered_as_safe_is_safe(pieces):
    source = "".join(pieces)
    text_module._last_safe[:] = ["", ""]
    html, text = render_markdown(source)
    for rendered in (html, text):
        if remembered_xml_safe(rendered):
            assert text_module._NOT_XML_CHAR.search(rendered) is None
            expected = json.dumps(rendered, ensure_ascii=False).encode("utf-8")
            assert release_module._json_string(rendered) == expected


def test_the_plain_prose_html_and_text_are_both_remembered_and_not_searched_again(monkeypatch):
    source = "\n\n".join(f"Paragraph {i} of plain prose, long enough to be a body." for i in range(20))
    html, text = render_markdown(xml_safe(source))
    assert remembered_xml_safe(html) and remembered_xml_safe(text)
    assert not remembered_xml_safe(source), "two are remembered: the latest"

    def no_search(*_args: object) -> bool:
        raise AssertionError("searched again")

    monkeypatch.setattr(release_module, "holds_any", no_search)
    assert release_module._json_string(html) == json.dumps(html, ensure_ascii=False).encode("utf-8")
    assert xml_safe(html) is html and xml_safe(text) is text


def test_the_memo_keeps_the_last_two_long_texts():
    one, two, three = ("One long text. " * 40), ("Two long texts. " * 40), ("Three long texts. " * 40)
    known_xml_safe(one)
    known_xml_safe(two)
    known_xml_safe(two)  # (the latest again: still the two)
    assert remembered_xml_safe(one) and remembered_xml_safe(two)
    assert xml_safe(three) is three
    assert remembered_xml_safe(three) and remembered_xml_safe(two) and not remembered_xml_safe(one)
    assert not remembered_xml_safe("One long text. " * 40), "by the object, not by its value"
    unsafe = "A paragraph\x0b of prose. " * 40
    assert xml_safe(unsafe) == unsafe.replace("\x0b", "") and not remembered_xml_safe(unsafe)


_REDIRECTS = ["https://www.google.com/url?q=https://example.org/a&amp;sa=D", "HTTP://GOOGLE.COM/URL?Q=a.example"]
_AROUND = ["google.", "GoOgLe.com/url", "?", "/", "q=", "url=", "https://", "a", " ", ".", ",", "\n", "é", "İ"]
_REDIRECT_PIECES = st.sampled_from([*_REDIRECTS, *_AROUND])


@settings(max_examples=400)
@given(st.lists(_REDIRECT_PIECES, max_size=30))
def test_google_redirects_are_unwrapped_as_the_regex_alone_unwraps_them(pieces):
    text = "".join(pieces)
    assert unwrap_google_redirects(text) == _REDIRECT.sub(_unwrapped, text)


def test_a_text_without_a_question_mark_is_not_lowered(monkeypatch):
    class Unlowered(str):
        def lower(self) -> str:
            raise AssertionError("lowered")

    text = Unlowered("See https://www.google.com/url/q=https://example.org/ for more.")
    assert unwrap_google_redirects(text) is text


_BLOCKS = ["<p>", "</p>", "<sup>[1]</sup>", "[", "]", "<h2>", "</h2>", "Text", " ", "-30-", "-", "30", "ENDS", "#"]


def _summary_source_searching(html: str, text: str) -> str:
    """`summary_source` as it was, the footnote marks searched for without a "[" first."""
    from feeds.normalise.htmltext import _FOOTNOTE_REF, _HEADING, clean_html_to_text

    html, notes = _FOOTNOTE_REF.subn("", html) if "<sup>[" in html else (html, 0)
    without_headings, headings = _HEADING.subn("", html) if "<h" in html else (html, 0)
    if headings and (source := clean_html_to_text(without_headings)):
        return source
    return text if not notes else clean_html_to_text(html)


@settings(max_examples=300)
@given(st.lists(st.lists(st.sampled_from(_BLOCKS), max_size=8), min_size=1, max_size=6))
def test_the_summary_source_and_the_ends_line_as_without_a_character_first(blocks):
    from feeds.normalise.body import _without_ends
    from feeds.normalise.htmltext import clean_html_to_text, summary_source

    html = "\n".join(f"<p>{''.join(block)}</p>" for block in blocks)
    text = clean_html_to_text(html)
    assert summary_source(html, text) == _summary_source_searching(html, text)
    assert _without_ends(html, text) == _without_ends_searching(html, text)


def _without_ends_searching(body_html: str, body_text: str) -> tuple[str, str]:
    """`body._without_ends` as it was, "-30" searched for without a "-" first."""
    from feeds.normalise.body import TEXT_BLOCK
    from feeds.normalise.closing import is_ends_line
    from feeds.normalise.htmltext import clean_html_to_text

    if "ends" not in body_text.casefold() and "#" not in body_text and "-30" not in body_text:
        return body_html, body_text
    html = TEXT_BLOCK.sub(
        lambda m: "" if is_ends_line(clean_html_to_text(m[2]) if "<" in m[2] or "&" in m[2] else m[2]) else m[0],
        body_html,
    )
    text = clean_html_to_text(html) if html != body_html else ""
    return (html, text) if text else (body_html, body_text)


_READ = st.lists(st.sampled_from(["a", " ", "\u00ad", "\x92", "e\u0301", "é", "&shy;", "\n"]), max_size=8).map("".join)


@settings(max_examples=400)
@given(
    texts=st.lists(st.none() | _READ, min_size=6, max_size=6),
    topics=st.lists(_READ, max_size=3),
    notes=st.lists(_READ, max_size=2),
    body_format=st.sampled_from(["markdown", "html", "text"]),
)
def test_readable_texts_as_when_each_text_was_read(texts, topics, notes, body_format):
    title, body, summary, organisation, withdrawn_note, change_note = texts
    raw = RawRelease(
        origin="/inbox/a.json",
        source="inbox",
        title=title,
        body=body,
        summary=summary,
        organisation=organisation,
        withdrawn_note=withdrawn_note,
        change_note=change_note,
        topics=tuple(topics),
        changes=tuple(("2026-11-02T09:30:00Z", note) for note in notes),
        body_format=body_format,
    )
    expected = read_each_text(raw)
    got = readable_texts(raw)
    assert got == expected and (got is raw) == (expected is raw)
