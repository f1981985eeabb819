"""`xml_safe` remembers the last long text it found safe (or that a step built of safe parts, `known_xml_safe`), by
the object: the same text is not scanned twice, and a text that is not safe is never taken for one that was."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from feeds.normalise import text as text_module
from feeds.normalise.markdown import render_markdown
from feeds.normalise.text import known_xml_safe, xml_safe


def test_a_long_safe_text_is_remembered_by_the_object_and_an_unsafe_one_still_cleaned():
    body = "A paragraph of prose. " * 40
    assert xml_safe(body) is body and text_module._last_safe[0] is body
    assert xml_safe(body) is body
    unsafe = "A paragraph\x0b of prose. " * 40  # (a vertical tab: not allowed in XML)
    assert xml_safe(unsafe) == unsafe.replace("\x0b", "") and text_module._last_safe[0] is body
    short = "a title"
    assert xml_safe(short) is short and text_module._last_safe[0] is body, "short texts are not remembered"


def test_the_plain_prose_text_is_remembered_as_built_of_safe_parts():
    source = "\n\n".join(f"Paragraph {i} of plain prose, long enough to be a body." for i in range(20))
    _html, text = render_markdown(source)
    assert text_module._last_safe[0] is text and xml_safe(text) is text
    assert known_xml_safe("short") == "short" and text_module._last_safe[0] is text


@given(st.text(alphabet=st.characters(max_codepoint=127), max_size=700))
def test_lowered_is_lower_casefold_and_fold_for_ascii_text(text: str) -> None:
    from feeds.fold import fold
    from feeds.normalise.text import lowered

    first = lowered(text)
    assert first == text.lower() == text.casefold() == fold(text)
    assert lowered(text) == first  # (remembered when long: the same answer)


def test_lowered_remembers_the_last_long_text_by_the_object():
    from feeds.normalise.text import lowered

    body = "A Paragraph Of Prose. " * 40
    low = lowered(body)
    assert low == body.lower() and lowered(body) is low
    other = "Another Paragraph. " * 40
    assert lowered(other) == other.lower() and lowered(body) is not low and lowered(body) == low
    assert lowered("Short") == "short"
