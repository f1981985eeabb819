"""Keyword rules in Thai (and Lao, Burmese, Khmer), written without spaces between words: a rule's words are found
inside a longer run, cut only between letter clusters (a letter and its vowel signs and tone marks)."""

from __future__ import annotations

import pytest

from feeds.errors import RuleError
from feeds.watch.match import MatchInput, compile_rules
from feeds.watch.query import parse_query
from feeds.watch.text import fold_words, tokenize

RUSSIA = "รัสเซีย"


def rules(item: str, *queries: str) -> list[str]:
    matcher = compile_rules([(q, q) for q in queries])
    return sorted(h.rule for h in matcher.match(MatchInput(key="k", title=item)))


@pytest.mark.parametrize(
    "item",
    [
        "รัฐมนตรีต่างประเทศรัสเซียเยือนกรุงเทพฯ",  # inside a run of words, as Thai is written
        "รัสเซีย เยือนไทย",
        "ข่าว: รัสเซีย",
    ],
)
def test_thai_rule_matches_inside_a_run(item: str) -> None:
    assert rules(item, RUSSIA) == [RUSSIA]


def test_thai_rule_never_cuts_a_cluster() -> None:
    # ย followed by a vowel sign is another syllable: the rule's last letter is not there.
    assert rules("รัสเซียั", RUSSIA) == []
    # รั (with its vowel sign) is not ร.
    assert rules("ราสเซีย", RUSSIA) == []


def test_thai_words_are_clusters_with_their_offsets() -> None:
    assert fold_words(RUSSIA) == ["รั", "ส", "เ", "ซี", "ย"]
    text = "ต่างประเทศรัสเซีย"
    assert "".join(text[t.start : t.end] for t in tokenize(text)) == text


def test_a_thai_phrase_among_latin_and_cjk() -> None:
    assert rules("G7: รัสเซียและจีน", RUSSIA, "g7") == sorted([RUSSIA, "g7"])


def test_wildcard_after_a_thai_letter_is_refused_saying_why() -> None:
    with pytest.raises(RuleError, match="a wildcard cannot follow a Thai, Lao, Burmese or Khmer letter"):
        parse_query("รัสเซีย*")


def test_latin_and_korean_words_are_unchanged() -> None:
    assert fold_words("Iran's 러시아는 Lavróv") == ["iran", "s", "러시아는", "lavrov"]
