"""The terms derived from releases: a minister's name after an office title is a name of its own.

The releases here are written for these tests in the style of a UK government release (invented people); the
corpus test reads ../shared/corpus/releases in place through the `corpus_releases` fixture.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from feeds.config import Site, TopicSettings
from feeds.ingest.formats import parse_release_file
from feeds.model import Release
from feeds.normalise import normalise_release
from feeds.watch.profiles import build_profiles
from feeds.watch.related import RelatedMatcher, RelatedSettings
from feeds.watch.terms import Term, derive_terms, derive_terms_many
from tests.test_watch_terms import PUBLISHED, release


def names(title: str, body: str) -> dict[str, Term]:
    r = release(title, body)
    return {t.text: t for t in derive_terms(r, (r,), max_terms=100) if t.kind == "name"}


@pytest.mark.parametrize(
    ("title", "body", "present", "absent"),
    [
        (
            "Budget boost for coastal towns",
            "Chancellor of the Exchequer Marion Threlkeld said: this fund will reach every harbour in Cornwall.",
            {"Marion Threlkeld", "Chancellor of the Exchequer", "Cornwall"},
            {"Exchequer Marion Threlkeld", "Chancellor of the Exchequer Marion Threlkeld", "Exchequer Marion"},
        ),
        (
            "New rail link for the valleys",
            "Secretary of State for Wales Gareth Penhallow opened the line at Merthyr Tydfil on Friday.",
            {"Gareth Penhallow", "Wales", "Merthyr Tydfil"},
            {"Wales Gareth Penhallow", "State for Wales Gareth Penhallow", "Secretary of State for Wales Gareth"},
        ),
        (
            "Talks in Vilnius",
            "The Minister for Europe, Imogen Castellane, met officials in Vilnius. She said the talks went well.",
            {"Imogen Castellane", "Minister for Europe", "Vilnius"},
            {"Europe Imogen Castellane"},
        ),
        (
            "Foreign Secretary to visit Ruritania",
            "Foreign Secretary Alistair Quenby said: I will raise the detained journalists in Strelsau.",
            {"Alistair Quenby", "Foreign Secretary", "Strelsau"},
            {"Foreign Secretary Alistair Quenby"},
        ),
        (
            "Aid for Gaza",
            "Minister for the Middle East Tobias Renwick announced new funding for the UN agency in Gaza.",
            {"Tobias Renwick", "Middle East", "Gaza"},
            {"Middle East Tobias Renwick", "East Tobias Renwick"},
        ),
        (
            "Hospital waiting lists fall",
            "Secretary of State for Health and Social Care Priya Ashdown said the NHS had cut waits in Leeds.",
            {"Priya Ashdown", "Leeds", "NHS"},
            {"Social Care Priya Ashdown", "Care Priya Ashdown"},
        ),
        (
            "Summit in Brussels",
            "The Prime Minister met the President of the European Council Henrik Solberg in Brussels.",
            {"Henrik Solberg", "European Council", "Brussels"},
            {"European Council Henrik Solberg", "Council Henrik Solberg"},
        ),
        (
            "Speaker welcomes delegation",
            "Parliamentary Speaker Anzor Beridze received the delegation in Tbilisi.",
            {"Anzor Beridze", "Tbilisi"},
            {"Parliamentary Speaker Anzor Beridze", "Speaker Anzor Beridze"},
        ),
        (
            "Birthday celebrations in Lahore",
            "His Majesty King Charles III was honoured in Lahore. High Commissioner to Pakistan, Helen Forsyth"
            " CMG OBE, said: we are proud. Rosa Tinsley MBE sang.",
            {"Charles III", "Helen Forsyth", "Rosa Tinsley", "Lahore"},
            {"Majesty King", "Majesty", "Helen Forsyth CMG OBE", "CMG", "OBE", "MBE", "Rosa Tinsley MBE"},
        ),
        (
            "Health checks",
            "Director of Public Health England Malcolm Ferris said health checks save lives. The Director of the"
            " Welsh Prison Service agreed.",
            {"Malcolm Ferris", "Public Health England", "Welsh Prison Service"},
            {"Health England", "Prison Service", "Public Health England Malcolm Ferris"},
        ),
        (
            "Harbour fund",
            "Secretary of State for Environment, Food and Rural Affairs Tobias Renwick visited the Isles of Scilly."
            " The Minister for Europe, Imogen Castellane, and Jo Pryce sent their wishes.",
            {"Tobias Renwick", "Isles of Scilly", "Scilly", "Imogen Castellane", "Jo Pryce"},
            {"Food", "Rural Affairs", "Rural Affairs Tobias Renwick", "Isles"},
        ),
        (
            "Budget for the north",
            "Chancellor of the Exchequer Marion Threlkeld said the plan works. As chancellor she will act in Leeds.",
            {"Marion Threlkeld", "Chancellor of the Exchequer", "Leeds"},
            {"the Exchequer Marion Threlkeld", "Exchequer Marion Threlkeld"},
        ),
        (
            "Transport for the capital",
            "Mayor of London Amira Haddad and the Lord Mayor of the City of London Piers Whitcombe met in Leeds.",
            {"Amira Haddad", "Piers Whitcombe", "Mayor of London", "Leeds"},
            {"London Amira Haddad", "City of London Piers Whitcombe", "London Piers Whitcombe"},
        ),
        (
            "Loans",
            "Bank of the North Riding said loans rose. The bank lent in Leeds.",
            {"North Riding", "Leeds"},
            {"the North Riding"},  # a name never opens with a lower-case word
        ),
    ],
)
def test_a_person_after_an_office_is_a_name(title: str, body: str, present: set[str], absent: set[str]) -> None:
    found = names(title, body)
    assert present <= found.keys(), sorted(found)
    assert not absent & found.keys(), sorted(absent & found.keys())


# Ministers as GOV.UK writes them: the office with "for"/"of (the)", the honorifics of UK public life, then the
# holder. The holder is a name of its own; the office, when kept, is the office alone; an honorific or a
# post-nominal is never a term, nor part of one.
HONORIFICS = {"Lord", "Baroness", "Baron", "Lady", "Sir", "Dame", "Dr", "Professor", "Rt", "Hon", "MP", "KC", "QC"}


@pytest.mark.parametrize(
    ("sentence", "person", "office"),
    [
        ("Minister for Africa Lord Ashwell said the talks in Nairobi went well.", "Ashwell", "Minister for Africa"),
        (
            "the Chancellor of the Exchequer Rachel Penrose said the plan works.",
            "Rachel Penrose",
            "Chancellor of the Exchequer",
        ),
        (
            "Secretary of State for Foreign Affairs David Lanyon said the talks went well.",
            "David Lanyon",
            "Secretary of State for Foreign Affairs",
        ),
        (
            "Minister of State for Europe Stephen Dowrick said the talks went well.",
            "Stephen Dowrick",
            "Minister of State for Europe",
        ),
        (
            "Minister of State for Development Baroness Chalcott said the talks went well.",
            "Chalcott",
            "Minister of State for Development",
        ),
        ("Health Minister Baroness Merriam said the talks went well.", "Merriam", "Health Minister"),
        (
            "Minister for Women and Equalities Baroness Smeaton of Malvern said the talks went well.",
            "Smeaton",
            "Minister for Women",
        ),
        ("Attorney General Lord Hennard KC said the talks went well.", "Hennard", "Attorney General"),
        ("Solicitor General Sarah Sackville KC MP said the talks went well.", "Sarah Sackville", "Solicitor General"),
        (
            "Chief Medical Officer Professor Sir Chris Whitcombe said the talks went well.",
            "Chris Whitcombe",
            None,  # ("Officer" is no title word: "Chief Medical Officer" would outweigh the people of a health release)
        ),
        (
            "Minister for Europe, North America and Overseas Territories Stephen Dowrick said the talks went well.",
            "Stephen Dowrick",
            "Minister for Europe",
        ),
        (
            "Secretary of State for Foreign, Commonwealth and Development Affairs, the Rt Hon David Lanyon MP, said.",
            "David Lanyon",
            None,
        ),
        (
            "Minister for Security Dame Angela Eggleston said the talks went well.",
            "Angela Eggleston",
            "Minister for Security",
        ),
        ("Chief Executive Dr Jane Smallwood said the talks went well.", "Jane Smallwood", None),
        ("The Foreign Secretary Boris Johnson said: good.", "Boris Johnson", "Foreign Secretary"),
        ("UN Secretary-General António Gutierrez said it.", "António Gutierrez", "UN Secretary-General"),
        ("Director General of the BBC Tim Daventry said it.", "Tim Daventry", "Director General of the BBC"),
    ],
)
def test_a_minister_after_an_office_and_an_honorific(sentence: str, person: str, office: str | None) -> None:
    found = names("Talks", sentence)
    assert person in found, sorted(found)
    assert found[person].kind == "name"
    if office is not None:
        assert office in found, sorted(found)
    words = {w for t in found for w in t.split()}
    assert not HONORIFICS & words, sorted(found)  # no "Lord" alone, no "Baroness Chalcott", no "Sarah Sackville KC"
    # the person's name is never glued to the office's words ("Europe Stephen Dowrick", "Development Baroness")
    assert not [
        t for t in found if t != person and t.endswith(person.split()[-1]) and len(t.split()) > len(person.split())
    ]


def matcher_of(*releases: Release) -> RelatedMatcher:
    """The related matcher of `releases`, all in the window (published a few days before)."""
    return RelatedMatcher(build_profiles(releases, datetime(2026, 11, 21, 9, 0, tzinfo=UTC), 14), RelatedSettings())


def test_coverage_naming_a_minister_styled_after_the_office_is_related() -> None:
    envoy = release(
        "Minister visits Nairobi",
        "Minister for Europe, North America and Overseas Territories Stephen Dowrick met the Kenyan cabinet in"
        " Nairobi. Solicitor General Sarah Sackville KC MP joined him at the Mombasa port talks.",
        "envoy",
    )
    matcher = matcher_of(envoy)
    coverage = matcher.match(
        "a8",
        1,
        "Dowrick and Sackville in Kenya",
        "Stephen Dowrick and Sarah Sackville arrived in Nairobi on Tuesday.",
        "",
        "https://news.example.com/a8",
    )
    assert [(m.kind, m.subject) for m in coverage] == [("related", envoy.id)]
    assert "Stephen Dowrick" in coverage[0].why and "Sarah Sackville" in coverage[0].why
    one_name = matcher.match(
        "a9", 1, "Nairobi traffic", "Traffic in Nairobi was slow; Mombasa too.", "", "https://news.example.com/a9"
    )
    assert one_name == ()  # places alone, no minister: the release's people are what makes it its coverage


HARBOURS = """Chancellor of the Exchequer Marion Threlkeld said: this fund will reach every harbour in Cornwall and
the Isles of Scilly.

The £40 million Coastal Harbours Fund opens on Monday. Falmouth, Newlyn and Padstow will be first.

Secretary of State for Environment, Food and Rural Affairs Tobias Renwick said the fund would help fishing fleets in
Newlyn."""


def test_an_item_naming_the_minister_and_the_places_is_related_and_one_sharing_words_is_not() -> None:
    harbours = release("Chancellor announces harbour fund for Cornwall", HARBOURS, "harbours")
    rail = release(
        "New rail link for the valleys",
        "Secretary of State for Wales Gareth Penhallow opened the line at Merthyr Tydfil. Gareth Penhallow said"
        " the line links Merthyr Tydfil with Cardiff.",
        "rail",
    )
    matcher = matcher_of(harbours, rail)
    coverage = matcher.match(
        "a1",
        1,
        "Threlkeld pledges millions for Newlyn harbour",
        "Marion Threlkeld visited Newlyn, where fishing fleets welcomed the Coastal Harbours Fund. Falmouth is next.",
        "",
        "https://news.example.com/a1",
    )
    assert [(m.kind, m.subject) for m in coverage] == [("related", harbours.id)]
    assert "Marion Threlkeld" in coverage[0].why
    unrelated = matcher.match(
        "a2",
        1,
        "Iranian chefs in Cornwall",
        "A food festival in Cornwall. The Exchequer said nothing, and the Cornish fleets sailed.",
        "",
        "https://news.example.com/a2",
    )
    assert unrelated == ()


# --- the corpus, read in place --------------------------------------------------------------------------------

SITE = Site(title="P", base_url="https://press.example.org/", author="P", language="en", timezone="Europe/London")


def corpus_terms(folder: Path) -> dict[str, set[str]]:
    releases: list[tuple[str, Release]] = []
    for path in sorted(folder.iterdir()):
        if path.suffix in (".txt", ".json", ".html"):
            for raw in parse_release_file(path.read_bytes(), path.name, source="corpus", origin=str(path)):
                releases.append((path.name, normalise_release(raw, SITE, TopicSettings(), PUBLISHED)))
    rs = [r for _, r in releases]
    terms = derive_terms_many(rs, rs, max_terms=200)
    return {name: {t.text for t in ts} for (name, _), ts in zip(releases, terms, strict=True)}


@pytest.mark.corpus
def test_corpus_people_after_offices(corpus_releases: Path) -> None:
    terms = corpus_terms(corpus_releases)
    georgia = terms["europarl-press-release-20250204IPR26689.html"]
    assert {"António Costa", "Shalva Papuashvili"} <= georgia
    assert not {"European Council António Costa", "Parliamentary Speaker Shalva Papuashvili"} & georgia
    birthday = terms["govuk-world-news-story-king-birthday-high-commission.json"]
    assert "Jane Marriott" in birthday
    assert not {"Jane Marriott CMG OBE", "CMG", "OBE", "Majesty King"} & birthday
    moscow = terms["foreign-secretary-to-visit-moscow.txt"]
    assert {"Boris Johnson", "Lavrov", "Moscow"} <= moscow


def test_a_pickup_quotes_the_words_reproduced_without_the_items_own_quotation_marks() -> None:
    harbours = release("Chancellor announces harbour fund for Cornwall", HARBOURS, "harbours")
    matcher = matcher_of(harbours)
    (pickup,) = matcher.match(
        "a5",
        1,
        "Harbour cash: what it means",
        "The Chancellor said “this fund will reach every harbour in Cornwall and the Isles of Scilly”, but skippers"
        " doubt it.",
        "",
        "https://news.example.com/a5",
    )
    assert pickup.kind == "pickup"
    assert "(“said this fund will reach every harbour in … the Isles of Scilly”)" in pickup.why


def test_a_pickup_excerpt_leaves_out_british_single_quotes_but_keeps_apostrophes() -> None:
    harbours = release("Chancellor announces harbour fund for Cornwall", HARBOURS, "harbours")
    matcher = matcher_of(harbours)
    (pickup,) = matcher.match(
        "a7",
        1,
        "Skippers’ verdict",
        "Threlkeld said ‘this fund will reach every harbour in Cornwall and the Isles of Scilly’, to skippers’ cheers.",
        "",
        "https://news.example.com/a7",
    )
    assert "(“Threlkeld said this fund will reach every harbour … the Isles of Scilly”)" in pickup.why
