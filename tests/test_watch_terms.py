"""feeds.watch.terms: which names, phrases and words of a release are salient, and how much each weighs."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feeds.model import Release
from feeds.watch.terms import Term, derive_terms, derive_terms_many
from feeds.watch.text import fold_words

PUBLISHED = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def release(title: str, body: str, slug: str = "r") -> Release:
    return Release(
        id=f"tag:press.example.org,2026-11-20:{slug}",
        identity=f"slug:{slug}",
        slug=slug,
        permalink=f"https://press.example.org/releases/{slug}/",
        title=title,
        summary="",
        body_html="",
        body_text=body,
        published=PUBLISHED,
        updated=PUBLISHED,
        organisation="Press Office",
        topics=(),
        language="en",
        document_type="press_release",
        source="test",
        origin=f"/inbox/{slug}.txt",
        content_hash=slug,
    )


def names(title: str, body: str, corpus: tuple[Release, ...] = ()) -> dict[str, Term]:
    r = release(title, body)
    return {t.text: t for t in derive_terms(r, (r, *corpus), max_terms=100) if t.kind == "name"}


@pytest.mark.parametrize(
    ("title", "body", "present", "absent"),
    [
        (
            "Talks in Moscow",
            "Boris Johnson met Sergei Lavrov in Moscow. Later Boris Johnson flew home.",
            {"Boris Johnson", "Sergei Lavrov", "Moscow"},
            {"Later", "Talks"},
        ),
        (
            "Shipping lanes",
            "Iran seized a tanker in the Strait of Hormuz. Ships in the Sea of Japan and the Straits of Florida were"
            " warned, and the Horn of Africa.",
            {"Strait of Hormuz", "Sea of Japan", "Straits of Florida", "Horn of Africa", "Hormuz", "Japan"},
            {"Strait", "Sea", "Straits", "Horn"},  # the word heading such a name names nothing alone
        ),
        (
            "Funding for schools",
            "Officials of the Bank of England and the Department for Education met. The Bank of England agreed.",
            {"Bank of England", "Department for Education", "England"},
            {"Officials", "The Bank of England"},
        ),
        (
            "Arctic shipping",
            "Ministers gathered in Oslo for Arctic shipping talks, and Oslo welcomed them.",
            {"Oslo", "Arctic"},
            {"Oslo for Arctic"},
        ),
        (
            "Summit statement",
            "The UN and the G20 agreed. NATO allies met the UN again. UK officials attended.",
            {"UN", "G20", "NATO", "UK"},
            {"The", "The UN"},
        ),
        (
            "Missile tests",
            "North Korea's missile tests worry Russia's neighbours. Russia’s envoy spoke to North Korea.",
            {"North Korea", "Russia"},
            {"North Korea's", "Russia's", "Russia’s", "Korea"},
        ),
        (
            "A plan",
            "The minister spoke on Monday. Our plan is clear. That is why we act. In March we start. Mr Smith agreed.",
            {"Smith"},
            {"The", "Our", "That", "Monday", "March", "In", "In March", "Mr", "Mr Smith"},
        ),
        (
            "Emissions",
            "Reducing emissions matters. Fishing fleets are small. Russia is large. We will visit Russia soon.",
            {"Russia"},
            {"Reducing", "Fishing"},
        ),
        (
            "Visit",
            "Russian Foreign Minister Lavrov spoke. Later Sergei Lavrov left for Geneva.",
            {"Lavrov", "Sergei Lavrov", "Russian Foreign Minister", "Geneva"},
            {"Russian Foreign Minister Lavrov", "Minister Lavrov", "Minister"},
        ),
        (
            "Winter aid",
            "The Minister for the Middle East said the aid will reach Syria. The President of Syria agreed.",
            {"Middle East", "Syria"},
            {"Minister", "President"},
        ),
        (
            "Message",
            "Prime Minister Theresa May spoke in May 2017 about the Commonwealth.",
            {"Theresa May", "Prime Minister", "Commonwealth"},
            {"May", "Prime Minister Theresa May", "Theresa"},
        ),
        (
            "Minister Announces New Fishing Quotas",
            "The new quotas start in spring for boats from Peterhead.",
            {"Peterhead"},
            {"Minister Announces New Fishing Quotas", "Minister", "Announces", "Fishing Quotas"},
        ),
        (
            "Food",
            "Iranian chefs cooked in Iran. The Iranian embassy in Iran agreed.",
            {"Iranian", "Iran"},
            set(),
        ),
        (
            "Child abduction",
            "Anne-Marie Hutchinson spoke in Tokyo. J. K. Rowling did not.",
            {"Anne-Marie Hutchinson", "Tokyo", "J. K. Rowling"},
            {"Anne", "J"},
        ),
        (
            "Roads",
            "Speed limits change in the U.S. Senate plan. The limit is 50 km per L of fuel.",
            {"U.S. Senate"},
            {"L", "U"},
        ),
    ],
)
def test_names(title: str, body: str, present: set[str], absent: set[str]) -> None:
    found = names(title, body)
    assert present <= found.keys()
    assert not absent & found.keys()


def test_acronyms_are_case_sensitive_and_other_names_are_not() -> None:
    found = names("Summit", "The UN met in Geneva. The UN agreed.")
    assert found["UN"].case_sensitive is True
    assert found["Geneva"].case_sensitive is False


def test_a_term_is_its_folded_words() -> None:
    r = release(
        "Talks", "Sergei Lavróv met the UN Security Council in Genève. Lavróv's aides and the UN Security Council."
    )
    for t in derive_terms(r, (r,)):
        assert t.tokens == tuple(fold_words(t.text)), t
    assert ("sergei", "lavrov") in {t.tokens for t in derive_terms(r, (r,))}


def test_a_capitalised_ordinary_word_is_only_a_word() -> None:
    """ "Court" is written in lower case elsewhere in the corpus, so it is not a name; "Strasbourg" never is."""
    target = release("Ruling", "The Court in Strasbourg ruled. The Court and Strasbourg agreed.")
    other = release("Other", "The court was full and the court rose.", slug="other")
    terms = {t.text: t for t in derive_terms(target, (target, other), max_terms=100)}
    assert terms["Strasbourg"].kind == "name"
    assert terms["Court"].kind == "word"


# --- weighting --------------------------------------------------------------------------------------------------

KARI = "Kari Nordmann visited the UK. Kari Nordmann praised the UK."


def weights(target: Release, corpus: tuple[Release, ...]) -> dict[str, float]:
    return {t.text: t.weight for t in derive_terms(target, corpus, max_terms=100)}


def test_a_name_every_release_uses_weighs_less() -> None:
    target = release("Visit", KARI)
    others = tuple(release(f"Other {n}", f"The UK did thing number {n}.", slug=f"o{n}") for n in range(3))
    alone = weights(target, (target,))
    among = weights(target, (target, *others))
    assert alone["Kari Nordmann"] > alone["UK"]  # a longer name counts more than an acronym, all else equal
    assert among["Kari Nordmann"] / among["UK"] > alone["Kari Nordmann"] / alone["UK"]
    assert among["Kari Nordmann"] == 1.0


def test_the_release_itself_always_counts_in_the_corpus() -> None:
    target = release("Visit", KARI)
    assert derive_terms(target, ()) == derive_terms(target, (target,))


def test_a_name_in_the_title_weighs_more() -> None:
    w = weights(release("Talks in Geneva", "Officials met in Geneva and in Vienna."), ())
    assert w["Geneva"] > w["Vienna"]


def test_more_occurrences_weigh_more_but_not_proportionally() -> None:
    w = weights(release("Talks", "Geneva. " + "We met in Vienna. " * 4 + "We met in Geneva."), ())
    assert w["Vienna"] == 1.0
    assert 0.5 < w["Geneva"] < 1.0


def test_weights_are_scaled_sorted_and_capped_in_number() -> None:
    body = " ".join(f"Officials met in Town{n}." for n in range(30))
    terms = derive_terms(release("Tour", body), (), max_terms=15)
    assert len(terms) == 15
    assert terms[0].weight == 1.0
    assert [t.weight for t in terms] == sorted((t.weight for t in terms), reverse=True)
    assert derive_terms(release("Tour", body), (), max_terms=0) == ()


def test_output_is_deterministic() -> None:
    a, b, c = (
        release(f"T{n}", f"Kari Nordmann met Ola Nordmann in Town{n}. Ola Nordmann left.", f"s{n}") for n in range(3)
    )
    assert derive_terms(a, (a, b, c)) == derive_terms(a, (c, b, a)) == derive_terms(a, (b, c))
    assert derive_terms_many((a, b), (a, b, c)) == (derive_terms(a, (a, b, c)), derive_terms(b, (a, b, c)))


# --- words and phrases ------------------------------------------------------------------------------------------


def test_recurring_words_and_phrases_are_terms_at_a_lower_weight() -> None:
    body = (
        "New mackerel quotas were agreed in Bergen. The mackerel quotas cut the catch. "
        "Skippers welcomed the mackerel quotas, said a spokesperson once."
    )
    terms = {t.text: t for t in derive_terms(release("Deal agreed", body), (), max_terms=100)}
    assert terms["mackerel quotas"].kind == "phrase"
    assert terms["mackerel"].kind == "word"
    assert terms["Bergen"].kind == "name"
    assert "spokesperson" not in terms  # said once, not in the title
    assert "agreed" in terms  # a title word need only occur once
    assert terms["mackerel quotas"].weight < terms["Bergen"].weight * 3  # the factor keeps words in their place


def test_scripts_without_capitals_still_give_phrases() -> None:
    body = "مجلس الأمن اجتمع اليوم. قال مجلس الأمن إن القرار نهائي."
    terms = {t.text: t for t in derive_terms(release("بيان", body), (), max_terms=100)}
    assert terms["مجلس الأمن"].kind == "phrase"


# --- anything at all ---------------------------------------------------------------------------------------------

_PIECES = st.sampled_from(
    ["Kari", "Nordmann", "of", "for", "the", "UN", "G20", "U", ".", "'s", "’", "-", " ", "\n\n", "May", "1", "É", "ß",
     "مجلس", "الأمن", "東京", "Ⅻ", "½", "\u0301", "Mr", ":", "“", "The", "ǅ", "İ"]
)  # fmt: skip


@settings(max_examples=200, deadline=None)
@given(
    title=st.one_of(st.text(max_size=60), st.lists(_PIECES, max_size=12).map(" ".join)),
    body=st.one_of(st.text(max_size=400), st.lists(_PIECES, max_size=120).map("".join)),
)
def test_any_text_gives_well_formed_terms(title: str, body: str) -> None:
    r = release(title, body)
    terms = derive_terms(r, (r, release("Other", "Kari Nordmann of the UN.", "o")))
    assert len(terms) <= 15
    assert all(0.0 < t.weight <= 1.0 and t.tokens for t in terms)
    assert [t.weight for t in terms] == sorted((t.weight for t in terms), reverse=True)
