"""feeds.normalise.text: character hygiene (XML-safe text)."""

from __future__ import annotations

import pytest

from feeds.normalise.text import xml_safe

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
