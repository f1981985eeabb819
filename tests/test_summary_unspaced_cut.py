"""Cutting a long summary in text written without spaces (Chinese, Japanese) and in text with clusters (Thai,
emoji, combining marks): at a sentence end when there is one far enough in, else between two characters as
readers see them, never inside one; the ellipsis marks a sentence cut short, and only that."""

from __future__ import annotations

import unicodedata

import pytest

from feeds.normalise.summary import make_summary

JA = (
    "ロシア外相は本日来日し、東京で外務大臣と会談した。会談では、両国間の経済協力や地域の安全保障について幅広く"
    "意見を交換した。双方は今後も対話を継続することで一致した。次回の会談は来年春に予定されている。"
)
ZH = (
    "俄罗斯外长今天抵达北京，与中国外长举行会谈。双方就双边关系深入交换了意见！下一轮会谈将于明年举行？"
    "双方同意继续加强沟通。"
)


def test_japanese_is_cut_after_the_last_whole_sentence_without_an_ellipsis() -> None:
    summary = make_summary(JA, 80)
    assert summary == JA[: JA.index("双方")]


@pytest.mark.parametrize(("limit", "end"), [(40, "！"), (52, "？")])
def test_chinese_sentence_ends_include_exclamation_and_question_marks(limit: int, end: str) -> None:
    summary = make_summary(ZH, limit)
    assert summary.endswith(end)
    assert ZH.startswith(summary)
    assert len(summary) <= limit


def test_a_closing_bracket_after_the_sentence_end_stays_with_it() -> None:
    text = "外相は記者会見で「建設的な議論ができた。」と述べた上で、今後の協力について長く説明した。" * 2
    assert make_summary(text, 30) == "外相は記者会見で「建設的な議論ができた。」"


def test_a_first_sentence_too_short_is_not_the_cut_an_ellipsis_marks_the_cut() -> None:
    text = "二回目。" + "ロシア外相は再び来日し東京で外務大臣と会談した" * 3 + "。"
    summary = make_summary(text, 30)
    assert summary.endswith("…") and len(summary) == 30
    assert text.startswith(summary[:-1])


def test_no_ideographic_comma_or_opening_bracket_before_the_ellipsis() -> None:
    assert make_summary("会談では、両国間の経済協力や地域の安全保障について", 6) == "会談では…"
    assert make_summary("外相は「建設的な議論ができた」と述べた", 5) == "外相は…"


@pytest.mark.parametrize(
    "text",
    [
        "東京都知事は本日" + "👨\u200d👩\u200d👧\u200d👦" * 20,  # a family emoji: seven code points, one character
        "東京" + "葛\U000e0100" * 40,  # Han with its variation selector (an ideographic variant)
        "รัฐมนตรีว่าการกระทรวงการต่างประเทศรัสเซียเดินทางถึงกรุงเทพฯ" * 5,  # Thai, no space to cut at
        "🇯🇵🇰🇷🇨🇳🇹🇭" * 20,  # flags: pairs of regional indicators
        "क्षमा" * 40,
    ],
    ids=["emoji", "variation-selector", "thai", "flags", "devanagari"],
)
@pytest.mark.parametrize("limit", range(10, 40))
def test_never_cut_inside_a_character_as_readers_see_it(text: str, limit: int) -> None:
    summary = make_summary(text, limit)
    assert summary.endswith("…") and len(summary) <= limit
    head = summary[:-1]
    assert text.startswith(head) and head
    rest = text[len(head)]
    assert not unicodedata.category(rest).startswith("M")
    assert rest not in "\u200d\ufe0f" and not "\U000e0100" <= rest <= "\U000e01ef"
    assert head[-1] != "\u200d"
    flags = len(head) - len(head.rstrip("".join(chr(c) for c in range(0x1F1E6, 0x1F200))))
    assert flags % 2 == 0
