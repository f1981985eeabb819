"""The encoding of a feed that declares none and is not UTF-8, from its language: what a browser does.

A document with no charset from the server, no BOM and no `encoding=` in its XML declaration is UTF-8 (XML 1.0
§4.3.3). Many older sites in Russian, Arabic, Japanese or Chinese still write their CMS's legacy encoding without
saying so; feedparser then reads the bytes as Windows-1252 (or ISO-8859-2), and "Лавров" becomes "Ëàâðîâ", which
no rule finds and every match feed would publish. Browsers read such a page in the encoding usual for their
locale (the WHATWG HTML standard's table of suggested defaults); a feed says its language itself
(`<language>ru</language>`, `<dc:language>`, `xml:lang`), so that table is used with it here.

A declared Shift_JIS, EUC-KR, Big5 or GB2312 that Python's codec of that name cannot read is read as the Windows
superset browsers read it as (`declared_superset`: Windows-31J, 949, 950, GB18030).

Only ever asked after a parse fell back to feedparser's Windows-1252 guess (`fell_back`): a feed that is UTF-8 or
ASCII, or whose declared encoding reads it, never reaches this module.

What this module must not do: override an encoding a document or its server declared (a superset reads all it
reads), or guess one for a
language whose legacy encoding is Windows-1252 (English, French, German…: feedparser's guess is already that).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from feedparser.encodings import convert_to_utf8  # type: ignore[import-untyped]
from feedparser.exceptions import CharacterEncodingOverride  # type: ignore[import-untyped]

__all__ = ["declared_superset", "fell_back", "language_charset", "legacy_note", "parse_fell_back"]

# The WHATWG HTML standard's suggested default encodings by locale (§ "Determining the character encoding"),
# those other than Windows-1252.
_BY_LANGUAGE = {
    "ar": "windows-1256",
    "fa": "windows-1256",
    "az": "windows-1254",
    "ku": "windows-1254",
    "tr": "windows-1254",
    **dict.fromkeys(("ba", "be", "bg", "kk", "ky", "mk", "ru", "sah", "sr", "tg", "tt", "uk"), "windows-1251"),
    **dict.fromkeys(("cs", "hr", "sk"), "windows-1250"),
    **dict.fromkeys(("hu", "pl", "sl"), "iso-8859-2"),
    "el": "iso-8859-7",
    **dict.fromkeys(("et", "lt", "lv"), "windows-1257"),
    "he": "windows-1255",
    "ja": "shift_jis",
    "ko": "euc-kr",
    "th": "windows-874",
    "vi": "windows-1258",
    "zh": "gb18030",
}
_TRADITIONAL_CHINESE = frozenset({"tw", "hk", "mo", "hant"})

_HEAD = 64 * 1024
"""How far into the document the language is looked for: a channel's `<language>` and a root's `xml:lang` come
before its items."""
_LANGUAGE = re.compile(
    rb"""<(?:[A-Za-z_][\w.-]*:)?language\s*>\s*([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*)\s*<"""
    rb"""|xml:lang\s*=\s*["']([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*)["']"""
)
# The WHATWG Encoding Standard reads these labels as the Windows code pages that extend them, as every browser does:
# a Japanese CMS declaring Shift_JIS writes ① and ㈱ (Windows-31J), a Korean one declaring EUC-KR writes 똠
# (Windows-949); Python's codecs of the same names refuse those bytes.
_SUPERSETS = {
    **dict.fromkeys(("shift_jis", "shift-jis", "sjis", "x-sjis", "ms_kanji", "csshiftjis"), "cp932"),
    **dict.fromkeys(("euc-kr", "euc_kr", "ks_c_5601-1987", "ks_c_5601", "ksc5601", "x-euc-kr", "cseuckr"), "cp949"),
    **dict.fromkeys(("big5", "csbig5", "x-x-big5", "cn-big5"), "cp950"),
    **dict.fromkeys(("gb2312", "gbk", "x-gbk", "csgb2312", "chinese", "iso-ir-58"), "gb18030"),
}
_DECLARATION = re.compile(rb"""^(?:\xef\xbb\xbf)?<\?xml[^>]*?\sencoding\s*=\s*["']([A-Za-z0-9._:-]+)["']""")
_GUESSES = frozenset({"windows-1252", "iso-8859-2"})
"""What feedparser reads a document as when the encoding it was told (or UTF-8) cannot read its bytes."""


def fell_back(result: Mapping[str, Any]) -> bool:
    """Whether feedparser's decoding (`convert_to_utf8`'s `result`) guessed, the declared or default encoding
    failing on the bytes."""
    return result.get("encoding") in _GUESSES and isinstance(result.get("bozo_exception"), CharacterEncodingOverride)


def parse_fell_back(result: Mapping[str, Any], headers: Mapping[str, str], body: bytes) -> bool:
    """`fell_back` for a whole `feedparser.parse` result, whose complaint about the encoding a later one (the
    document is not well-formed) replaces: the decoding is done again to tell, only for a document read in
    one of the guessed encodings."""
    if result.get("encoding") not in _GUESSES:
        return False
    decoding: dict[str, Any] = {}
    convert_to_utf8(dict(headers), body, decoding)
    return fell_back(decoding)


def declared_superset(body: bytes, encoding: str | None) -> str | None:
    """The Windows superset of the encoding the server (`encoding`) or else the XML declaration names, when it
    has one (`_SUPERSETS`)."""
    if encoding is None:
        match = _DECLARATION.match(body)
        encoding = match.group(1).decode("ascii") if match else None
    return _SUPERSETS.get(encoding.lower()) if encoding else None


def document_language(body: bytes) -> str | None:
    """The first language tag the document gives (`ru-RU`), read from its bytes: the tags are ASCII in every
    encoding this module names."""
    match = _LANGUAGE.search(body, 0, _HEAD)
    if match is None:
        return None
    return (match.group(1) or match.group(2)).decode("ascii")


def language_charset(body: bytes) -> str | None:
    """The legacy encoding usual for the document's language, or None (no language, or one written in
    Windows-1252)."""
    tag = document_language(body)
    if tag is None:
        return None
    primary, *rest = tag.lower().replace("_", "-").split("-")
    if primary == "zh" and _TRADITIONAL_CHINESE.intersection(rest):
        return "big5"
    return _BY_LANGUAGE.get(primary)


def legacy_note(charset: str, body: bytes) -> str:
    """The feed's warning when it was read so: its editors should declare the encoding."""
    return (
        f"not UTF-8, and no other encoding declared: read as {charset}, "
        f"the usual encoding of its language ({document_language(body)})"
    )
