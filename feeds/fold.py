"""Case and accent folding: the one rule by which keyword rules and watched items (`feeds.watch.text`) and topic
detection (`feeds.normalise.topics`) decide that two spellings are the same word.

Folding is Unicode case folding (``str.casefold``: ß → ss, Σ/ς → σ), compatibility decomposition (NFKD: ﬁ → fi,
² → 2, full-width → ASCII) and removal of the combining marks that are accents (é → e, Arabic harakat, Hebrew
points), plus a few letters that have no decomposition (ø, ł, đ, æ, œ, þ, ı). Marks that make another letter
stay: a kana's voicing mark (パ is not ハ: "Paris" is not the start of "hurricane"), an Indic virama or nukta
(क्ष is not कष), Thai and Tibetan vowel and tone signs. What is left is recomposed (NFC), so パ, ハ + U+309A and
half-width ﾊﾟ fold alike.

It lives apart from `feeds.watch.text` (which defines words, and builds its tables of marks at import) so that
normalising releases, in every ingest worker, does not pay for the matcher's tables: it needs only this.
This module is pure.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["HAN_KANA", "INVISIBLE", "SOUTHEAST_ASIAN", "UNSPACED", "fold"]

INVISIBLE = "\u00ad\u200b\u200c\u200d\u2060\ufeff"
"""Invisible characters that sit inside words without ending them: a soft hyphen (German and Dutch feeds put them
in long words: "straight\u00adforward"), zero-width spaces and joiners, the word joiner and a stray BOM left by a
CMS. They belong to the word they are in, like marks, and folding drops them."""

HAN_KANA = "\u3040-\u3098\u309b-\u30ff\u31f0-\u31ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
"""A regex character-class body: Han ideographs (with extension A, compatibility ideographs and the supplementary
planes B-G) and kana, not the combining voicing marks U+3099 and U+309A (each belongs to the kana before it)."""

SOUTHEAST_ASIAN = (
    "\u0e01-\u0e30\u0e32-\u0e33\u0e40-\u0e46\u0e50-\u0e59"
    "\u0e81-\u0e82\u0e84\u0e86-\u0e8a\u0e8c-\u0ea3\u0ea5\u0ea7-\u0eb0\u0eb2-\u0eb3\u0ebd\u0ec0-\u0ec4\u0ec6"
    "\u0ed0-\u0ed9\u0edc-\u0edf"
    "\u1000-\u102a\u103f-\u1049\u1050-\u1055\u105a-\u105d\u1061\u1065-\u1066\u106e-\u1070\u1075-\u1081"
    "\u108e\u1090-\u1099"
    "\u1780-\u17b3\u17d7\u17dc\u17e0-\u17e9\u17f0-\u17f9"
)
"""A regex character-class body: the letters and digits of Thai, Lao, Burmese and Khmer, not their vowel signs, tone
marks and viramas (each belongs to the letter before it: "รัสเซีย" is the clusters รั ส เ ซี ย), nor their
punctuation and currency signs."""

UNSPACED = HAN_KANA + SOUTHEAST_ASIAN
"""The letters of the scripts written without spaces between words. Each (with the marks that follow it) is a word
of its own for keyword rules and topics, so a phrase of them matches like a substring, cut only between letters:
ロシア is found in "ロシア外相", รัสเซีย in "ต่างประเทศรัสเซียเยือน". Korean is written with spaces, and is not here."""


# The marks folding drops: accents and optional pointing, the marks of the blocks of Latin, Greek, Cyrillic,
# Armenian, Hebrew, Arabic and Syriac (U+0300-U+08FF), of the blocks of combining diacritics for any script
# (extended, supplement, for symbols, half marks) and of Cyrillic's extensions (and Glagolitic's). Only marks with
# a combining class: NFKD splits those off letters and orders them. The marks of every other script (from
# Devanagari on: Indic, Thai, Tibetan, Myanmar, Khmer, the kana voicing marks…) are parts of letters, whatever
# their class: a virama, a nukta, a dakuten or a tone mark changes the word where an accent only decorates it,
# and whoever types the word types them.
_ACCENT_BLOCKS = (
    (0x0300, 0x08FF),
    (0x1AB0, 0x1AFF),
    (0x1DC0, 0x1DFF),
    (0x20D0, 0x20FF),
    (0x2DE0, 0x2DFF),
    (0xA640, 0xA69F),
    (0xFB1E, 0xFB1E),
    (0xFE20, 0xFE2F),
    (0x1E000, 0x1E08F),
)
_ACCENT = re.compile(
    "["
    + "".join(re.escape(chr(c)) for a, b in _ACCENT_BLOCKS for c in range(a, b + 1) if unicodedata.combining(chr(c)))
    + "]+"
)

# Letters that NFKD leaves alone but readers treat as variants of a base letter.
_EXTRA = str.maketrans(
    {"ø": "o", "ł": "l", "đ": "d", "ð": "d", "ħ": "h", "ı": "i", "ŀ": "l", "æ": "ae", "œ": "oe", "þ": "th"}
    | dict.fromkeys(INVISIBLE, "")
)


def fold(text: str) -> str:
    """Case- and accent-fold a whole string (not split into words): ``fold("Lavróv") == "lavrov"``,
    ``fold("ﾊﾟﾘ") == "パリ"``."""
    if text.isascii():
        return text.lower()  # what the steps below come to for ASCII, and most text is ASCII
    folded = _ACCENT.sub("", unicodedata.normalize("NFKD", text.casefold()))
    # Recompose what is left: the marks kept with their letters (ハ + U+309A → パ, so the composed, decomposed and
    # half-width forms are one word), Hangul syllables NFKD split into letters. The accents are gone already.
    return unicodedata.normalize("NFC", folded.casefold().translate(_EXTRA))
