"""Topic and organisation folders for names partly in another script: the letters a slug cannot spell (Cyrillic,
Greek, Han, Arabic…) still tell two names apart, so "Москва 2026" and "Киев 2026" are two topics, not one
`topics/2026/` page listing both."""

from __future__ import annotations

import re

import pytest

from feeds.config import TopicSettings
from feeds.normalise.topics import detect_topics, topic_slug


@pytest.mark.parametrize(
    ("one", "other"),
    [
        ("Москва 2026", "Киев 2026"),
        ("東京 Office", "Вода Office"),
        ("G7 東京", "G7 北京"),
        ("G7 東京", "G7"),
        ("Ωmega", "mega"),
    ],
)
def test_names_in_other_scripts_have_their_own_folder(one: str, other: str) -> None:
    assert topic_slug(one) != topic_slug(other)
    assert re.fullmatch(r"[a-z0-9]+(?:-[a-z0-9]+)*", topic_slug(one))


def test_both_topics_are_found_in_one_release() -> None:
    settings = TopicSettings(detect=("Москва 2026", "Киев 2026"))
    assert detect_topics((), "", "Москва 2026 и Киев 2026", settings) == ("Москва 2026", "Киев 2026")


@pytest.mark.parametrize(
    ("name", "slug"),
    [
        ("North Korea", "north-korea"),
        ("Côte d’Ivoire", "cote-divoire"),
        ("Ørsted", "orsted"),
        ("Straße", "strasse"),
        ("C++", "c"),
        ("Hawaiʻi", "hawaii"),
        ("ロシア", "topic-60c84542ec"),  # a name with no Latin letter keeps its folder
    ],
)
def test_latin_names_and_names_without_latin_keep_their_folder(name: str, slug: str) -> None:
    assert topic_slug(name) == slug


def test_the_folder_does_not_depend_on_the_unicode_form() -> None:
    assert topic_slug("Москва\u0306 2026") == topic_slug("Москва\u0306 2026".replace("а\u0306", "ӑ"))
    assert topic_slug("Йошкар 1") == topic_slug("И\u0306ошкар 1")
