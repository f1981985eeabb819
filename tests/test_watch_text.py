"""feeds.watch.text: what counts as a word, how it is folded, and where it sits in the original text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feeds.watch.text import (
    _ASCII_WORD,
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
        ("パリ", "パリ"),
        ("ﾊﾟﾘ", "パリ"),
        ("ハ\u3099", "バ"),
        ("क़", "क\u093c"),  # U+0958 has no composed form under NFC: its nukta stays a mark
        ("ऩ", "ऩ"),
    ],
)
def test_fold(text: str, folded: str) -> None:
    assert fold(text) == folded


# Accents on Latin, Greek and Cyrillic letters (and Hebrew points, Arabic harakat) are dropped: the same word with
# and without them. A kana's voicing mark, an Indic virama or nukta, a Thai tone mark makes another letter, so
# they stay (recomposed: パ whether written as one character, as ハ + U+309A or in half-width ﾊﾟ).
@pytest.mark.parametrize(
    ("a", "b", "same"),
    [
        ("Lavróv", "lavrov", True),
        ("Köln", "Ko\u0308ln", True),
        ("Köln", "koln", True),
        ("Ørsted", "orsted", True),
        ("İstanbul", "istanbul", True),
        ("ıslak", "islak", True),
        ("Straße", "strasse", True),
        ("ﬁnance", "finance", True),
        ("Ἀθῆναι", "αθηναι", True),
        ("Москва́", "москва", True),
        ("العَرَبِيَّة", "العربية", True),
        ("שָׁלוֹם", "שלום", True),
        ("パリ", "ハリ", False),  # Paris, not the ハリ of ハリケーン (hurricane)
        ("ガス", "カス", False),
        ("バス", "ハス", False),
        ("ドイツ", "トイツ", False),
        ("パリ", "ハ\u309aリ", True),  # decomposed, as macOS writes file names
        ("パリ", "ﾊﾟﾘ", True),  # half-width katakana
        ("ガス", "ｶﾞｽ", True),
        ("क्षमा", "कषमा", False),  # the virama joins क and ष into one conjunct
        ("ब्रिटेन", "बरिटेन", False),
        ("बड़ा", "बडा", False),  # ड़ (with a nukta) is another letter than ड
        ("बड़ा", "बड\u093cा", True),
        ("ज़िंदगी", "ज\u093cिंदगी", True),
        ("ไม่", "ไม้", False),  # Thai tone marks: "not" and "wood"
        ("ไม่", "ไม", False),
    ],
)
def test_only_accents_are_folded_away(a: str, b: str, same: bool) -> None:
    assert (fold_words(a) == fold_words(b)) is same
    assert (fold(a) == fold(b)) is same


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("パリで会談", ["パ", "リ", "で", "会", "談"]),
        ("ハ\u309aリ", ["パ", "リ"]),
        ("ﾊﾟﾘ", ["パ", "リ"]),
        ("ア\u3099", ["ア\u3099"]),  # no precomposed form: the mark stays with its kana, as one word
        ("ア\u3099イ", ["ア\u3099", "イ"]),
        ("\u3099ア", ["ア"]),  # a voicing mark with no kana before it is no word
        ("ハ\u309b", ["ハ"]),  # the spacing mark ゛ is no word either
    ],
)
def test_kana_keep_their_voicing_marks(text: str, words: list[str]) -> None:
    assert fold_words(text) == words
    assert [t.text for t in tokenize(text)] == words


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
        # the modifier letter apostrophe (U+02BC) is an apostrophe in use: "Iranʼs" is "Iran's", "Iran’s"
        ("Iran\u02bcs drones", ["iran", "s", "drones"]),
        ("O\u02bcBrien", ["o", "brien"]),
        ("Hawai\u02bbi", ["hawai\u02bbi"]),  # (the ʻokina, U+02BB, is a letter of Hawaiian: kept)
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


@given(st.text(alphabet="aé\u0301क\u094d\u093cハアﾊ\u3099\u309a\u309b\uff9e \u4e00", max_size=20) | st.text())
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
    # marks that folding keeps: a virama, a nukta, a Thai tone mark, kana voicing marks (combining, spacing,
    # half-width), after letters of their own script and of others
    "क\u094d\u093cก\u0e48ハﾊ\u3099\u309a\u309b\uff9e\uff9f"
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


# ASCII with characters that only separate words (the "?" their bytes become is one itself), a lone surrogate
_SEPARATED = "aZ9_ -'?\n.\u00a0’“”—…«\u2028\U0001f600\ud800\x85\x00"


@settings(max_examples=500)
@given(st.text(alphabet=_SEPARATED, max_size=40))
def test_text_of_ascii_words_and_other_separators_splits_as_the_general_path(text: str) -> None:
    assert ascii_worded(text)
    general = [w for raw in _WORD.findall(text) for w in _fold_word(raw)]
    assert fold_words(text) == general == _ASCII_WORD.findall(text.lower())


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("plain ASCII", True),
        ("It’s “quoted” — with\u00a0no-break spaces…", True),
        ("café", False),
        ("cafe\u0301", False),  # a combining mark belongs to the word before it
        ("İstanbul", False),
        ("東京", False),
        ("\u3099", False),
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


@pytest.mark.parametrize(
    "text",
    [
        "a\ud800b",  # a lone surrogate (text decoded with surrogateescape) separates words, as in the general path
        "tab\tvertical\x0bform\x0cfile\x1cgroup\x1dunit\x1f end",  # ASCII controls separate words too
        "It’s “quoted” — with\u00a0no-break spaces… and «guillemets»",
        "UPPER lower MiXeD 2024 G7",
    ],
)
def test_the_byte_fold_splits_as_the_general_path(text: str) -> None:
    general = [w for raw in _WORD.findall(text) for w in _fold_word(raw)]
    assert fold_words(text) == general


# Mostly ASCII with accents, marks after separators, Unicode white space, invisible joiners and curly quotes:
# the text that `fold_words` splits into memoised chunks.
_LATIN_CHUNKS = "aZ9_ -'.,\n\t\u00a0\u2003\u3000é\u0301\u0300ßİ’—½\u00ad\u200b\U0001d167"


@settings(max_examples=500)
@given(st.text(alphabet=_LATIN_CHUNKS, max_size=40))
def test_the_chunked_path_equals_the_general_path_cold_and_memoised(text: str) -> None:
    general = [w for raw in _WORD.findall(text) for w in _fold_word(raw)]
    assert fold_words(text) == general
    assert fold_words(text) == general  # the second time from the memo


@pytest.mark.parametrize(
    ("text", "words"),
    [
        ("“東京” — Tokyo’s", ["東", "京", "tokyo", "s"]),  # Han among separators only: one letter a word
        ("ไทย… “Thai”", ["ไ", "ท", "ย", "thai"]),
        ("café’s “menu”", ["cafe", "s", "menu"]),  # an accent among separators: folded, by chunks
        ("It’s — plain\u00a0English…", ["it", "s", "plain", "english"]),
    ],
)
def test_the_kinds_of_a_texts_other_characters_choose_its_path(text: str, words: list[str]) -> None:
    # Each non-ASCII character's kind is memoised: the second reading (from the memo) gives the same words.
    general = [w for raw in _WORD.findall(text) for w in _fold_word(raw)]
    assert fold_words(text) == general == words
    assert fold_words(text) == words
