"""Pickups of a release in Thai, whose words are letter clusters to the watch (a Thai word is two to nine of them):
a passage counts its clusters as a third of a word each, so a ministry's name shared with a news item is no
pickup, and a sentence of ours reproduced is one."""

from __future__ import annotations

from feeds.watch.profiles import build_profiles
from feeds.watch.related import RelatedMatcher
from tests.test_watch_related_precision import NOW, SETTINGS
from tests.test_watch_related_precision import release as new_release

THAI = (
    "รัฐมนตรีว่าการกระทรวงการต่างประเทศรัสเซียเดินทางถึงกรุงเทพฯ วันนี้ และได้หารือกับรัฐมนตรีว่าการกระทรวงการ"
    "ต่างประเทศไทย ทั้งสองฝ่ายแลกเปลี่ยนความคิดเห็นเกี่ยวกับความสัมพันธ์ทวิภาคีและความร่วมมือด้านเศรษฐกิจ"
)
ENGLISH = "Coastal communities will receive new flood barriers this winter, the Environment Agency announced today."


def _kinds(text: str, title: str = "ข่าว") -> list[str]:
    thai = new_release("russia-visit-th", "รัสเซียเยือนไทย", THAI, "th")
    english = new_release("flood-barriers", "Flood barriers for harbour towns", ENGLISH)
    matcher = RelatedMatcher(build_profiles((thai, english), NOW, 14), SETTINGS)
    found = matcher.match("item", 1, title, "", text, "https://news.example/th")
    return [m.kind for m in found if m.subject == thai.id]


def test_a_shared_ministry_name_is_no_pickup() -> None:
    # "กระทรวงการต่างประเทศ" (the Ministry of Foreign Affairs) is 19 clusters: more than 12, three words.
    assert "pickup" not in _kinds("โฆษกกระทรวงการต่างประเทศแถลงข่าวเรื่องอื่นเมื่อเช้านี้")


def test_our_sentence_reproduced_is_a_pickup() -> None:
    assert _kinds("สำนักข่าวรายงานว่า " + THAI[:120]) == ["pickup"]


def test_english_pickups_are_unchanged() -> None:
    english = new_release("flood-barriers", "Flood barriers for harbour towns", ENGLISH)
    matcher = RelatedMatcher(build_profiles((english,), NOW, 14), SETTINGS)
    found = matcher.match("item", 1, "Wire", "", "As reported: " + ENGLISH, "https://news.example/en")
    assert [m.kind for m in found] == ["pickup"]
