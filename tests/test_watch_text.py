"""feeds.watch.text: what counts as a word, how it is folded, and where it sits in the original text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feeds.watch.text import (
    _HAS_CJK,
    _WORD,
    _WORD_NO_CJK,
    _fold_word,
    ascii_spans,
    ascii_worded,
    find_phrase,
    fold,
    fold_words,
    tokenize,
    word_spans,
)


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("Lavróv", "lavrov"),
        ("LAVROV", "lavrov"),
        ("Straße", "strasse"),
        ("ﬁnance", "finance"),
        ("Ørsted", "orsted"),
        ("Łódź", "lodz"),
        ("İstanbul", "istanbul"),
        ("ÆSIR", "aesir"),
        ("ΟΔΟΣ", "οδοσ"),
        ("Москва́", "москва"),
        ("e\u0301cole", "ecole"),
        ("ＡＢＣ１２", "abc12"),
        ("x²", "x2"),
    ],
)
def test_fold(text: str, folded: str) -> None:
    assert fold(text) == folded


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("North Korea", ["north", "korea"]),
        ("north\nkorea", ["north", "korea"]),
        ("North-Korea's talks", ["north", "korea", "s", "talks"]),
        ("North Korea’s", ["north", "korea", "s"]),
        ("G7 summit, 2024.", ["g7", "summit", "2024"]),
        ("snake_case", ["snake", "case"]),
        ("https://www.example.com/news/a-b?x=1", ["https", "www", "example", "com", "news", "a", "b", "x", "1"]),
        ("Lavróv said", ["lavrov", "said"]),
        ("e\u0301cole publique", ["ecole", "publique"]),
        ("हिंदी भाषा", ["हिंदी", "भाषा"]),  # vowel signs stay inside the word
        ("العَرَبِيَّة", ["العربية"]),  # harakat are dropped
        ("北京市长", ["北", "京", "市", "长"]),  # ideographs are one word each
        ("東京タワー", ["東", "京", "タ", "ワ", "ー"]),
        ("서울 시장", ["서울", "시장"]),  # Hangul is written with spaces: whole words
        ("½ mile", ["1", "2", "mile"]),
        ("", []),
        ("— … !!", []),
        # invisible characters inside words (soft hyphens in German and Dutch feeds, zero-width spaces from a CMS)
        ("not straight\u00adforward", ["not", "straightforward"]),
        ("inter\u200bnational law", ["international", "law"]),
        ("Bundes\u00adverfassungs\u00adgericht", ["bundesverfassungsgericht"]),
        ("\ufeffword\u2060s", ["words"]),
        ("a \u00ad b", ["a", "b"]),
    ],
)
def test_fold_words(text: str, words: list[str]) -> None:
    assert fold_words(text) == words
    assert [t.text for t in tokenize(text)] == words


def test_tokenize_offsets_point_into_the_original_text() -> None:
    text = "Mr Lavróv met ŞAHİN in Straße 5"
    assert [(t.text, text[t.start : t.end]) for t in tokenize(text)] == [
        ("mr", "Mr"),
        ("lavrov", "Lavróv"),
        ("met", "met"),
        ("sahin", "ŞAHİN"),
        ("in", "in"),
        ("strasse", "Straße"),
        ("5", "5"),
    ]


def test_decomposed_accents_keep_offsets_of_the_whole_word() -> None:
    text = "ve\u0301lo rouge"
    assert [(t.text, t.start, t.end) for t in tokenize(text)] == [("velo", 0, 5), ("rouge", 6, 11)]


def test_a_word_that_folds_into_two_shares_its_span() -> None:
    assert word_spans("a ½") == [(0, 1), (2, 3), (2, 3)]


@given(st.text())
def test_the_three_views_agree(text: str) -> None:
    words = fold_words(text)
    spans = word_spans(text)
    assert len(words) == len(spans)
    assert [t.text for t in tokenize(text)] == words
    assert all(0 <= s < e <= len(text) for s, e in spans)
    assert all(w for w in words)


@given(st.text())
def test_folded_words_fold_to_themselves(text: str) -> None:
    """A query word and a text word are folded by the same code, so folding must be stable."""
    words = fold_words(text)
    assert fold_words(" ".join(words)) == words


@given(st.text(alphabet=st.characters(max_codepoint=127)))
def test_ascii_fast_path_equals_the_general_path(text: str) -> None:
    general = [w for raw in _WORD.findall(text) for w in _fold_word(raw)]
    assert fold_words(text) == general
    assert word_spans(text) == [m.span() for m in _WORD.finditer(text)]


# Letters, digits, marks (in and beyond the BMP, and where none may start a word), separators from within and
# beyond ASCII, a compatibility form that folds into two words, a dotted capital that lower-cases into two.
_MIXED = (
    "aZ9_ -'\n.é\u0301\u0300\u0903\u093f½ßΣİ\u00a0’—…«\u200d\u0660\U0001d167\U000e0100\U0001f600\U00010000"
    "\u00ad\u200b\u2060\ufeff"
)


@settings(max_examples=500)
@given(st.text(alphabet=_MIXED, max_size=30) | st.text())
def test_the_no_cjk_pattern_finds_the_words_of_the_general_one(text: str) -> None:
    cjk_free = _HAS_CJK.sub(" ", text)
    assert _WORD_NO_CJK.findall(cjk_free) == _WORD.findall(cjk_free)
    assert [m.span() for m in _WORD_NO_CJK.finditer(cjk_free)] == [m.span() for m in _WORD.finditer(cjk_free)]


@settings(max_examples=500)
@given(st.text(alphabet=_MIXED, max_size=30) | st.text())
def test_the_ascii_worded_fast_path_equals_the_general_path(text: str) -> None:
    general = [w for raw in _WORD.findall(text) for w in _fold_word(raw)]
    assert fold_words(text) == general
    assert word_spans(text) == [m.span() for m in _WORD.finditer(text) for _ in _fold_word(m.group())]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain ASCII", True),
        ("It’s “quoted” — with\u00a0no-break spaces…", True),
        ("café", False),
        ("cafe\u0301", False),  # a combining mark belongs to the word before it
        ("İstanbul", False),
        ("東京", False),
    ],
)
def test_ascii_worded(text: str, expected: bool) -> None:
    assert ascii_worded(text) is expected


def _starts_with_phrase(words: list[str], phrase: tuple[str, ...], prefix: bool) -> bool:
    head, last = words[: len(phrase) - 1], words[len(phrase) - 1]
    return head == list(phrase[:-1]) and (last.startswith(phrase[-1]) if prefix else last == phrase[-1])


@pytest.mark.parametrize(
    ("words", "phrase", "prefix", "starts"),
    [
        (["north", "korea", "s", "north", "korea"], ("north", "korea"), False, [0, 3]),
        (["north", "koreans"], ("north", "korea"), False, []),
        (["north", "koreans"], ("north", "korea"), True, [0]),
        (["korea", "north"], ("north", "korea"), False, []),
        (["a", "a", "a"], ("a", "a"), False, [0, 1]),
        (["iranian", "iran"], ("iran",), False, [1]),
        (["iranian", "iran"], ("iran",), True, [0, 1]),
        (["x", "north"], ("north", "korea"), False, []),
    ],
)
def test_find_phrase(words: list[str], phrase: tuple[str, ...], prefix: bool, starts: list[int]) -> None:
    assert find_phrase(words, phrase, prefix, first_only=False) == starts
    assert find_phrase(words, phrase, prefix, first_only=True) == starts[:1]


@settings(max_examples=500, deadline=None)
@given(
    st.text(alphabet="abAB1 -'\n.", max_size=30),
    st.lists(st.sampled_from(["a", "ab", "b", "1", "ba", "a1"]), min_size=1, max_size=3),
    st.booleans(),
)
def test_ascii_spans_find_exactly_what_the_words_say(text: str, words: list[str], prefix: bool) -> None:
    tokens = tokenize(text)
    folded = [t.text for t in tokens]
    n = len(words)
    expected = [
        (tokens[i].start, tokens[i + n - 1].end)
        for i in range(len(tokens) - n + 1)
        if _starts_with_phrase(folded[i : i + n], tuple(words), prefix)
    ]
    assert ascii_spans(text.lower(), tuple(words), prefix) == expected
    assert find_phrase(folded, tuple(words), prefix, first_only=False) == [
        i for i in range(len(tokens) - n + 1) if _starts_with_phrase(folded[i : i + n], tuple(words), prefix)
    ]
