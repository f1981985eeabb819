"""feeds.normalise.topics: given topics, whole-word detection of configured topics, aliases, slugs."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from feeds.config import TopicSettings
from feeds.normalise.topics import detect_topics, topic_slug

SETTINGS = TopicSettings(
    detect=("Iran", "North Korea", "Russia", "Côte d'Ivoire", "São Tomé", "Fisheries"),
    aliases=(("North Korea", ("DPRK", "Democratic People's Republic of Korea")), ("European Union", ("EU",))),
)


@pytest.mark.parametrize(
    ("title", "text", "topics"),
    [
        ("Talks with Iran", "", ("Iran",)),
        ("", "An Iranian delegation arrived.", ()),
        ("", "Iran's nuclear programme", ("Iran",)),
        ("", "North Korea's missile tests", ("North Korea",)),
        ("", "the North-Korea question", ("North Korea",)),
        ("", "talks on North\nKorea resumed", ("North Korea",)),
        ("", "NORTH KOREA and north korea", ("North Korea",)),
        ("", "the DPRK said", ("North Korea",)),
        ("", "the dprk said", ("North Korea",)),
        ("", "the Democratic People’s Republic of Korea", ("North Korea",)),
        ("", "North Korean officials", ()),
        ("", "South Korea", ()),
        ("", "Cote d’Ivoire and Sao Tome", ("Côte d'Ivoire", "São Tomé")),
        ("", "CÔTE D'IVOIRE", ("Côte d'Ivoire",)),
        ("", "EU ministers", ("European Union",)),
        ("", "EUropean", ()),
        ("", "Russia, Iran and North Korea", ("Iran", "North Korea", "Russia")),  # config order, not text order
        ("North", "Korea", ()),  # a phrase does not run from the title into the body
        ("", "fisheries", ("Fisheries",)),
        ("", "#Fisheries_policy", ("Fisheries",)),  # "#" and "_" are punctuation like any other
    ],
)
def test_detects_configured_topics_as_whole_words(title: str, text: str, topics: tuple[str, ...]) -> None:
    assert detect_topics((), title, text, SETTINGS) == topics


@pytest.mark.parametrize(
    ("given_topics", "topics"),
    [
        (("Health", "Fisheries"), ("Health", "Fisheries", "Iran")),
        ((" Health ", "health", "HEALTH"), ("Health", "Iran")),
        (("iran",), ("iran",)),  # the given spelling wins; the detected one is not added twice
        (("", "  ", "Marine  \n Policy"), ("Marine Policy", "Iran")),
        (("Céte",), ("Céte", "Iran")),
        # one topic page and feed per slug: the spellings that share one are one topic
        (("a b", "A/B", "a-b", "Trade"), ("a b", "Trade", "Iran")),
        (("Ελλάδα", "ελλάδα"), ("Ελλάδα", "Iran")),
    ],
)
def test_given_topics_come_first_deduplicated(given_topics: tuple[str, ...], topics: tuple[str, ...]) -> None:
    assert detect_topics(given_topics, "Iran talks", "", SETTINGS) == topics


# Topics fold as keyword rules do (`feeds.fold`): accents go, letters without a decomposition (ø) are their base
# letter, and the marks that make another letter stay (a kana's voicing mark, an Indic virama).
@pytest.mark.parametrize(
    ("text", "topics"),
    [
        ("Orsted shares rose", ("Ørsted",)),
        ("ØRSTED shares rose", ("Ørsted",)),
        ("Koln and Bonn", ("Köln",)),
        ("Ko\u0308ln and Bonn", ("Köln",)),
        ("パリ 会談", ("パリ",)),
        ("ﾊﾟﾘ 会談", ("パリ",)),
        ("ハリ 接近", ()),  # ハリ is not Paris
        ("क्षमा करें", ("क्षमा",)),
        ("कषमा करें", ()),
    ],
)
def test_topics_fold_as_keyword_rules_do(text: str, topics: tuple[str, ...]) -> None:
    settings = TopicSettings(detect=("Ørsted", "Köln", "パリ", "क्षमा"))
    assert detect_topics((), "", text, settings) == topics


def test_accents_are_ignored_when_deduplicating_given_topics() -> None:
    assert detect_topics(("Sao Tome", "São Tomé"), "", "", TopicSettings()) == ("Sao Tome",)


def test_no_configuration_detects_nothing() -> None:
    assert detect_topics((), "Iran", "North Korea", TopicSettings()) == ()


def test_alias_only_topic_is_detected_after_the_detect_list() -> None:
    settings = TopicSettings(detect=("Iran",), aliases=(("European Union", ("EU",)),))
    assert detect_topics((), "EU and Iran", "", settings) == ("Iran", "European Union")


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("North Korea", "north-korea"),
        ("Côte d'Ivoire", "cote-divoire"),
        ("..", "topic-" + "5ec1f7e700"),
        ("/etc/passwd", "etc-passwd"),
        ("", "topic-e3b0c44298"),
    ],
)
def test_topic_slug(name: str, slug: str) -> None:
    assert topic_slug(name) == slug


def test_topic_slug_of_non_latin_names_is_a_stable_hash() -> None:
    assert topic_slug("كوريا الشمالية") == topic_slug("كوريا  الشمالية")
    assert topic_slug("كوريا الشمالية").startswith("topic-")
    assert topic_slug("كوريا الشمالية") != topic_slug("日本")


@given(st.text(max_size=60))
def test_topic_slugs_are_always_path_safe(name: str) -> None:
    slug = topic_slug(name)
    assert slug and slug not in (".", "..")
    assert all(c.isascii() and (c.isalnum() or c == "-") for c in slug)


def _words_reference(text: str) -> list[str]:
    """The definition of a word the matcher must keep: a run of letters or digits, compared case- and
    accent-insensitively (folded as keyword rules are, `feeds.fold`)."""
    import re

    from feeds.fold import fold

    return re.findall(r"[^\W_]+", fold(text))


def _detect_reference(title: str, text: str, phrases: dict[str, list[str]]) -> tuple[str, ...]:
    """Topics whose phrase occurs as a run of adjacent whole words of the title or of the text (never across)."""
    found = []
    for name, names in phrases.items():
        for phrase in names:
            words = _words_reference(phrase)
            for part in (_words_reference(title), _words_reference(text)):
                if words and any(part[i : i + len(words)] == words for i in range(len(part))):
                    found.append(name)
                    break
            if name in found:
                break
    return tuple(found)


_PIECES = st.sampled_from(
    ["Iran", "iran", "IRAN", "Iranian", "North", "Korea", "north-korea", "DPRK", "EU", "Côte", "d'Ivoire", "Cote",
     "divoire", "São", "Tomé", "Fisheries", "x", "_", "__", "-", "'", "’", " ", "  ", "\n", ".", "2", "ﬁ", "İ", "ß"]
)  # fmt: skip


@given(st.lists(_PIECES, max_size=12).map("".join), st.lists(_PIECES, max_size=25).map("".join))
def test_detection_finds_phrases_exactly_as_runs_of_whole_words(title: str, text: str) -> None:
    phrases = {
        "Iran": ["Iran"],
        "North Korea": ["North Korea", "DPRK", "Democratic People's Republic of Korea"],
        "Russia": ["Russia"],
        "Côte d'Ivoire": ["Côte d'Ivoire"],
        "São Tomé": ["São Tomé"],
        "Fisheries": ["Fisheries"],
        "European Union": ["European Union", "EU"],
    }
    assert detect_topics((), title, text, SETTINGS) == _detect_reference(title, text, phrases)


@given(
    st.text(alphabet="ab1_ -'.\n\tAB", max_size=40),
    st.sampled_from(["a", "ab", "b1", "1", "aba", "ba"]),
)
def test_a_one_word_phrase_in_ascii_text_is_found_as_the_regex_finds_it(text: str, word: str) -> None:
    import re

    from feeds.normalise.topics import _found, _occurs  # (the fast path, against the reading it stands for)

    folded = text.lower()
    pattern = re.compile(re.escape(word))
    assert _found(pattern, word, folded) == _occurs(pattern, folded)
    assert _found(pattern, None, folded) == _occurs(pattern, folded)
