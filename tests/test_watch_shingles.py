"""feeds.watch.shingles: British and American spellings compare equal in quotations, short words keep theirs."""

from __future__ import annotations

import pytest

from feeds.watch.shingles import spelled_alike


@pytest.mark.parametrize(
    ("british", "american"),
    [
        ("behaviour colour honour labour neighbours favourite", "behavior color honor labor neighbors favorite"),
        (
            "organise organised recognising modernisation analyse",
            "organize organized recognizing modernization analyze",
        ),
        (
            "programme programmes centre theatres defence offences licence",
            "program programs center theaters defense offenses license",
        ),
        ("travelled cancelling labelled counsellor", "traveled canceling labeled counselor"),
        ("judgement ageing", "judgment aging"),
    ],
)
def test_british_and_american_spellings_compare_equal_in_quotations(british: str, american: str) -> None:
    assert spelled_alike(british.split()) == spelled_alike(american.split())


@pytest.mark.parametrize(
    "words", ["our or", "four for", "hour", "your", "flour", "tour", "rise rize", "wise", "called"]
)
def test_short_words_keep_their_spelling_in_quotations(words: str) -> None:
    assert spelled_alike(words.split()) == words.split()
