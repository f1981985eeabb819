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


# Russian, Ukrainian, Polish or German change a word's ending with its grammatical case: "Москва" (Moscow) is
# "Москве" (in Moscow) and "Москву" (to Moscow). A press officer's first rule is the dictionary form; the hint
# names the wildcard on the letters the forms share.


def test_a_russian_word_in_another_case_is_pointed_out_with_the_letters_they_share() -> None:
    item = MatchInput(key="k", title="Визит Джонсона в Москву")
    assert explain("Москва", item).reasons == (
        "missing: Москва (looked in title, summary, content);"
        ' title has "Москву", which shares its start "Москв": Москв* finds it',
    )
    # A wildcard written on the dictionary form finds no other case either: the hint says so too.
    assert explain("Москва*", item).reasons[0].endswith('which shares its start "Москв": Москв* finds it')
    assert explain("Мария", MatchInput(key="k", title="Письмо Марии")).reasons[0].endswith("Мари* finds it")
    assert (
        explain("sanctions", MatchInput(key="k", title="Bank sanctioned"))
        .reasons[0]
        .endswith('which shares its start "sanction": sanction* finds it')
    )


def test_no_stem_hint_from_fewer_than_four_shared_letters_or_more_than_two_dropped() -> None:
    # "Киев" / "Києві" share three letters: a wildcard on them would find a great many other words.
    assert explain("Киев", MatchInput(key="k", title="У Києві")).reasons == (
        "missing: Киев (looked in title, summary, content)",
    )
    assert explain("moscow", MatchInput(key="k", title="Mosque opens")).reasons == (
        "missing: moscow (looked in title, summary, content)",
    )


def test_a_word_that_starts_another_is_still_pointed_out_first() -> None:
    """ "Лавров" starts "Лаврова" (genitive): the word itself is the wildcard's start."""
    result = explain("Лавров", MatchInput(key="k", title="Встреча Лаврова и Джонсона"))
    assert result.reasons[0].endswith('title has "Лаврова", which starts with it: Лавров* finds it')


RU_FEED = """<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>Вести</title>
<link>https://vesti.example/</link><description>d</description><language>ru</language>
<item><title>Визит Джонсона в Москву</title><link>https://vesti.example/1</link></item>
<item><title>Лавров примет гостя в Москве</title><link>https://vesti.example/2</link></item>
<item><title>Курс рубля укрепился</title><link>https://vesti.example/3</link></item>
</channel></rss>"""


def _serve_russian(config, httpserver) -> None:
    from tests.cli_watch_helpers import run

    httpserver.expect_request("/ru.xml").respond_with_data(RU_FEED, content_type="application/rss+xml")
    assert run(config, "watch", "add", httpserver.url_for("/ru.xml")).exit_code == 0
    assert run(config, "watch", "poll").exit_code == 0


def test_keywords_test_finding_nothing_names_the_shared_start_that_would(config, httpserver) -> None:
    """`keywords test Москва` on items saying "Москву" and "Москве": the dictionary form finds none of them, and
    the command says what would, and how many it finds, before the rule is saved to find nothing."""
    import json

    from tests.cli_watch_helpers import run

    _serve_russian(config, httpserver)
    out = run(config, "keywords", "test", "Москва").output
    assert "0 of 3 stored items match" in out
    assert "Москв* would match 2 of them (a word with another ending: Москве, Москву)" in out, out  # newest first
    assert "title:Москв* would match 2" in run(config, "keywords", "test", "title:Москва").output
    report = json.loads(run(config, "keywords", "test", "Москва", "--json").stdout)
    assert report["suggestion"] == {"query": "Москв*", "matched": 2}
    # A query that matches, or whose shortened start finds nothing either, gets no suggestion.
    assert "would match" not in run(config, "keywords", "test", "Москв*").output
    assert json.loads(run(config, "keywords", "test", "Лондон", "--json").stdout)["suggestion"] is None
