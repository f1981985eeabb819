"""Topic detection in scripts written without spaces between words (Chinese, Japanese, Thai): a topic is found
where a keyword rule with its words would match, so "ロシア外相" (the Russian foreign minister) is about ロシア."""

from __future__ import annotations

import pytest

from feeds.config import TopicSettings
from feeds.normalise.topics import detect_topics
from feeds.watch.match import MatchInput, compile_rules

SETTINGS = TopicSettings(
    detect=("ロシア", "俄罗斯", "北京", "東京", "러시아", "روسيا", "רוסיה", "รัสเซีย", "G7", "Rwsia"),
    aliases=(("ロシア", ("露",)),),
)


@pytest.mark.parametrize(
    ("text", "topics"),
    [
        ("ロシア外相が来日", ("ロシア",)),
        ("外相はロシアを訪問した。", ("ロシア",)),
        ("露外相が来日", ("ロシア",)),  # an alias, inside a run of Han characters
        ("俄罗斯外长今天抵达北京，与中国外长举行会谈。", ("俄罗斯", "北京")),
        ("東京都知事が記者会見", ("東京",)),
        ("東京G7サミット", ("東京", "G7")),  # a Latin word between Han and kana is a word of its own
        ("รัฐมนตรีต่างประเทศรัสเซียเยือนกรุงเทพฯ", ("รัสเซีย",)),
        ("러시아 외무장관", ("러시아",)),  # Korean is written with spaces: whole words, as in English
        ("وزير خارجية روسيا اليوم", ("روسيا",)),
        ("שר החוץ של רוסיה", ("רוסיה",)),
        ("Gweinidog Tramor Rwsia", ("Rwsia",)),
        # Still whole words where words are spaced:
        ("러시아워", ()),
        ("Rwsiaid", ()),
        ("G77", ()),
    ],
)
def test_topic_found_in_text_without_spaces(text: str, topics: tuple[str, ...]) -> None:
    assert detect_topics((), "", text, SETTINGS) == topics


def test_a_thai_topic_is_not_found_in_a_cluster_cut_in_two() -> None:
    # "รัสเซี" + "ย" then a vowel sign: the topic's last letter would lose its vowel, another syllable.
    assert detect_topics((), "", "รัสเซียั", TopicSettings(detect=("รัสเซีย",))) == ()
    assert detect_topics((), "", "ปรัสเซีย", TopicSettings(detect=("รัสเซีย",))) == ("รัสเซีย",)


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("क्षमाप्रार्थी", ()),  # a topic ending in a vowel sign is not found inside a longer word
        ("क्षमा करें", ("क्षमा",)),
        ("रूसी क्षमा", ("क्षमा",)),
        ("รัฐมนตรีG7", ("G7",)),  # a Latin word after a Thai cluster (its vowel sign last) is a word
    ],
)
def test_whole_words_with_marks(text: str, found: tuple[str, ...]) -> None:
    assert detect_topics((), "", text, TopicSettings(detect=("क्षमा", "G7"))) == found


@pytest.mark.parametrize(
    "text",
    [
        "क्षमाप्रार्थी",
        "ロシア外相が来日",
        "俄罗斯外长",
        "東京都",
        "รัฐมนตรีต่างประเทศรัสเซียเยือน",
        "러시아 외무장관",
        "러시아워",
        "G77",
    ],
)
def test_topics_agree_with_keyword_rules(text: str) -> None:
    """A topic and a keyword rule of the same words find the same releases."""
    names = ("ロシア", "俄罗斯", "東京", "รัสเซีย", "러시아", "G7", "क्षमा")
    matcher = compile_rules([(f"r{i}", name) for i, name in enumerate(names)])
    by_rule = {names[int(h.rule[1:])] for h in matcher.match(MatchInput(key="k", content=text))}
    assert set(detect_topics((), "", text, TopicSettings(detect=names))) == by_rule
