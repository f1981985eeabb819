"""feeds.normalise.summary: the summary made from a release's text (a given one: test_normalise_release.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from feeds.normalise.summary import make_summary
from feeds.normalise.text import collapse

# --- summaries -----------------------------------------------------------------------------------------------------

LONG = (
    "The Department for Coastal Affairs today announced a £40 million fund to repair sea walls along the east coast, "
    "protecting thousands of homes from winter storms and rising tides, with work due to start in the spring and "
    "to finish before the autumn equinox of the following year in every affected county."
)


@pytest.mark.parametrize(
    ("text", "limit", "summary"),
    [
        ("Short first paragraph that is long enough.\n\nSecond.", 280, "Short first paragraph that is long enough."),
        ("London, 2 Nov\n\nThe real first paragraph is this one.", 280, "The real first paragraph is this one."),
        ("ENDS\n\nHi", 280, "ENDS"),
        ("Tiny.", 280, "Tiny."),
        ("", 280, ""),
        ("The word boundary matters here", 20, "The word boundary…"),
        ("Commas, semicolons; colons: dashes – stop", 22, "Commas, semicolons…"),
        ("Supercalifragilistic", 10, "Supercali…"),
        ("Spread\nover\nlines and long enough to count", 280, "Spread over lines and long enough to count"),
        # Japanese has no spaces between words: a dateline's one space is not the only place to cut
        ("東京 日本政府は本日、新たな経済支援策を発表しました。", 20, "東京 日本政府は本日、新たな経済支援策…"),
        ("London – 日本政府は本日発表しました。", 15, "London – 日本政府は…"),
        # a byline or a photo's credit above the story is no summary (before: "By Jane Smith, Communications Officer")
        (
            "By Jane Smith, Communications Officer\n\nThe real first paragraph is this one.",
            280,
            "The real first paragraph is this one.",
        ),
        ("BY JANE SMITH\n\nThe real first paragraph is this one.", 280, "The real first paragraph is this one."),
        (
            "Photo: the harbour at dawn (credit: the Trust)\n\nThe real first paragraph.",
            280,
            "The real first paragraph.",
        ),
        (
            "By 2030 every ferry will run on electricity.\n\nSecond.",
            280,
            "By 2030 every ferry will run on electricity.",
        ),
        ("By Jane Smith, Communications Officer", 280, "By Jane Smith, Communications Officer"),
    ],
)
def test_make_summary(text: str, limit: int, summary: str) -> None:
    assert make_summary(text, limit) == summary


PM = "The Prime Minister said:"
THOUGHTS = "My thoughts are with the families of those who died today in the floods, and with everyone helping."


@pytest.mark.parametrize(
    ("text", "limit", "summary"),
    [
        pytest.param(f"{PM}\n\n{THOUGHTS}", 280, f"{PM} “{THOUGHTS}”", id="unmarked-quotation-in-marks"),
        pytest.param(
            f"{PM}\n\n{THOUGHTS}", 80, f"{PM} “My thoughts are with the families of those who died…”", id="cut"
        ),
        pytest.param(f"{PM}\n\n“{THOUGHTS}”", 280, f"{PM} “{THOUGHTS}”", id="marked-quotation-as-written"),
        pytest.param(
            f"{PM}\n\n“{THOUGHTS}\n\n“More.”", 280, f"{PM} “{THOUGHTS}”", id="first-paragraph-of-a-long-quotation"
        ),
        pytest.param(
            f"{PM}\n\n“We will act,” she said, “today and every day.”",
            60,
            f"{PM} “We will act,” she said, “today…”",
            id="cut-inside-the-second-quotation",
        ),
        pytest.param(
            f"{PM}\n\n“We will act,” she said. Then she left the room quietly.",
            60,
            f"{PM} “We will act,” she said. Then she…",
            id="cut-after-the-quotation-closed",
        ),
        pytest.param("She said:\n\nWe will act.", 280, "She said: “We will act.”", id="short-speaker-line"),
        pytest.param(f"{PM}\n\n‘We will act.’", 280, f"{PM} ‘We will act.’", id="single-marks"),
        pytest.param(PM, 280, PM, id="nothing-quoted"),
        pytest.param(f"London, 2 Nov\n\n{PM}\n\nYes.", 280, f"{PM} “Yes.”", id="after-a-dateline"),
        pytest.param(f"{LONG}\n\n{PM}\n\nYes.", 400, LONG, id="a-story-first"),
    ],
)
def test_summary_of_a_statement_is_the_quotation(text: str, limit: int, summary: str) -> None:
    assert make_summary(text, limit) == summary


@given(
    st.lists(st.sampled_from(["a", "b ", " ", "“", "”", "‘", "’", '"', "."]), max_size=80).map("".join),
    st.integers(min_value=2, max_value=120),
)
def test_statement_summaries_respect_the_limit(quotation: str, limit: int) -> None:
    assert len(make_summary(f"{PM}\n\n{quotation}", limit)) <= limit


def test_long_first_paragraph_is_cut_at_a_word_boundary() -> None:
    summary = make_summary(LONG)
    assert len(summary) <= 280
    assert summary.endswith("…")
    assert LONG.startswith(summary[:-1])
    assert LONG[len(summary) - 1] == " "


@given(st.text(alphabet=st.sampled_from("abc \n.,"), max_size=400), st.integers(min_value=2, max_value=300))
def test_summaries_respect_the_limit_and_never_split_words(text: str, limit: int) -> None:
    summary = make_summary(text, limit)
    assert len(summary) <= limit
    if summary.endswith("…"):
        head = summary[:-1]
        words = collapse(text).split()
        if " " in head:
            assert all(word in words for word in head.split()[:-1])
            assert head.split()[-1].rstrip(",;:-") in {w.rstrip(",;:-") for w in words}


def test_make_summary_rejects_silly_limits() -> None:
    with pytest.raises(ValueError, match="limit"):
        make_summary("text", 1)
