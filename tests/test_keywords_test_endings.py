"""`feeds keywords test --item`: a word missing because the item writes it with an ending joined on (Korean
particles, "러시아는"; English "Iranian") is explained with the wildcard that finds it."""

from __future__ import annotations

from feeds.watch.match import MatchInput
from feeds.watch.matchexplain import explain


def test_a_korean_word_with_its_particle_is_pointed_out() -> None:
    item = MatchInput(key="k", title="러시아 외무장관 서울 방문", summary="러시아는 오늘 발표했다.")
    result = explain("러시아 발표", item)
    assert not result.matched
    assert result.reasons == (
        "missing: 발표 (looked in title, summary, content);"
        ' summary has "발표했다", which starts with it: 발표* finds it',
    )


def test_an_english_word_that_only_starts_another_is_pointed_out() -> None:
    result = explain("iran", MatchInput(key="k", title="An Iranian envoy"))
    assert result.reasons == (
        'missing: iran (looked in title, summary, content); title has "Iranian", which starts with it: iran* finds it',
    )


def test_no_hint_when_nothing_starts_with_the_word_or_for_phrases_and_wildcards() -> None:
    item = MatchInput(key="k", title="North Koreans in Tehran")
    assert explain("moscow", item).reasons == ("missing: moscow (looked in title, summary, content)",)
    assert explain('"north korea"', item).reasons == ('missing: "north korea" (looked in title, summary, content)',)
    assert explain("tehr* moscow*", item).reasons == ("missing: moscow* (looked in title, summary, content)",)
    # A word too short for a wildcard gets no hint it could not follow.
    assert explain("a", MatchInput(key="k", title="An envoy")).reasons == (
        "missing: a (looked in title, summary, content)",
    )


def test_a_quoted_word_is_suggested_without_its_quotes() -> None:
    result = explain("“iran”", MatchInput(key="k", title="An Iranian envoy"))
    assert result.reasons[0].endswith("which starts with it: iran* finds it")
