"""feeds.watch.related: which news items are about our releases (related) or reproduce them (pickup), and why."""

from __future__ import annotations

import ast
import cProfile
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feeds.config import Site, TopicSettings
from feeds.ingest.formats import parse_release_file
from feeds.model import Match, RawRelease, Release, WatchedFeed, WatchItem
from feeds.normalise import normalise_release
from feeds.watch.profiles import build_profiles
from feeds.watch.related import (
    DEFAULT_MIN_SCORE,
    RelatedMatcher,
    RelatedSettings,
    _hundredths,
)
from feeds.watch.terms import derive_terms
from feeds.watch.text import fold_words

SITE = Site(
    title="Press Office",
    base_url="https://press.example.org/",
    author="Foreign Office",
    language="en-GB",
    timezone="Europe/London",
)
TOPICS = TopicSettings(detect=("Russia", "North Korea", "Iran", "Fisheries"))
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
OWN = ("press.example.org",)
SETTINGS = RelatedSettings(own_domains=OWN)


# --- the releases: the model release from the corpus, and our own ---------------------------------------------

FISHERIES = """Fisheries Minister Jane Marlow today confirmed new mackerel quotas for the UK fleet after three days of
talks with Norway and the Faroe Islands in Bergen.

The agreement, reached under the North East Atlantic Fisheries Commission, cuts the total mackerel catch by
eight per cent next season and shares it on the basis of where the stock actually feeds. Vessels from Shetland and
Peterhead land most of the UK mackerel catch.

Jane Marlow said:

This agreement gives fishing communities from Shetland to Cornwall the certainty they asked for, and it keeps
mackerel stocks healthy for the next generation of skippers who will work these waters.

The Scottish Fishermen's Federation welcomed the deal. Scientists at Cefas will review the state of the stock in
the spring, and the quotas will be looked at again in Bergen next autumn."""

CLIMATE = """Climate Minister Priya Anand signed an offshore wind partnership with Denmark in Copenhagen today, linking
turbine ports in Hull and Esbjerg.

Under the partnership, engineers from both countries will share research on floating turbines for the deeper waters
of the Celtic Sea, and the two governments will plan a subsea interconnector between Lincolnshire and Jutland.

Priya Anand said the turbines would power homes across Yorkshire and Lincolnshire and bring skilled jobs to Hull.
The Climate Change Committee has called for offshore wind capacity to double by the end of the decade, and the
partnership will be presented at the COP31 summit."""

SEA_WALL = """Repairs to the sea wall at Lyme Regis begin next month. The Environment Agency and Dorset Council will
rebuild the section damaged in last winter's storms, and the Cobb will stay open to walkers throughout the works."""


def load_moscow(corpus_releases: Path) -> Release:
    path = corpus_releases / "foreign-secretary-to-visit-moscow.txt"
    (raw,) = parse_release_file(path.read_bytes(), path.name, source="examples", origin=str(path))
    return normalise_release(raw, SITE, TOPICS, NOW - timedelta(days=1))


def _release(slug: str, title: str, body: str, published: str, link: str | None = None) -> Release:
    raw = RawRelease(
        origin=f"/srv/inbox/{slug}.txt",
        source="inbox",
        title=title,
        body=body,
        published=published,
        slug=slug,
        link=link,
    )
    return normalise_release(raw, SITE, TOPICS, NOW)


def invented_releases() -> tuple[Release, ...]:
    return (
        _release(
            "mackerel-quotas",
            "New mackerel quotas agreed for the UK fleet",
            FISHERIES,
            "2026-11-24T09:30:00Z",
            link="https://www.gov.uk/government/news/new-mackerel-quotas",
        ),
        _release(
            "offshore-wind-denmark", "Offshore wind partnership signed with Denmark", CLIMATE, "2026-11-20T10:00:00Z"
        ),
        _release("lyme-regis-sea-wall", "Sea wall repairs to begin at Lyme Regis", SEA_WALL, "2026-09-01T10:00:00Z"),
    )


def sentences(text: str) -> list[str]:
    return [s for p in text.split("\n\n") for s in re.split(r"(?<=[.!?])\s+", p.strip()) if s]


def statement_sentence(release: Release) -> str:
    """A sentence of the Foreign Secretary's statement: the second one of the paragraph after '... said:'."""
    paragraphs = release.body_text.split("\n\n")
    said = next(i for i, p in enumerate(paragraphs) if p.rstrip().endswith("said:"))
    return sentences(paragraphs[said + 1])[1]


def reworded(sentence: str) -> str:
    """The same words as a newspaper might print them: curly apostrophes, other spacing, capitals, no commas."""
    text = sentence.replace("'", "\u2019").replace(",", "").replace(" ", "  ", 3)
    words = text.split(" ")
    return " ".join(w.upper() if i % 5 == 0 else w for i, w in enumerate(words))


# --- the feed -------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Item:
    key: str
    title: str
    content: str
    summary: str = ""
    link: str | None = None


def feed_items(moscow: Release) -> list[Item]:
    quote = statement_sentence(moscow)
    marlow = sentences(FISHERIES.split("Jane Marlow said:")[1])[0]
    opening = sentences(moscow.body_text)[-1].split()[:10]  # ten words: too short to be a pickup
    return [
        Item(
            "quote",
            "Johnson: we will keep challenging Moscow",
            f"Before leaving, the Foreign Secretary told reporters: \u201c{reworded(quote)}\u201d Critics called the "
            "trip premature.",
            link="https://news.example.com/world/johnson-moscow-quote",
        ),
        Item(
            "related-story",
            "Lavrov to host his British counterpart",
            "Sergei Lavrov will welcome Boris Johnson in Moscow before the year is out, officials in both capitals "
            "confirmed on Tuesday. The two men are expected to talk about the weapons tests carried out by North "
            "Korea, a standing item for the UN Security Council, where both countries hold permanent seats.",
            link="https://news.example.com/world/lavrov-to-host-johnson",
        ),
        Item(
            "russia-once",
            "Gas prices climb as the cold snap bites",
            "Wholesale gas prices rose again this week. Traders blamed the weather, low storage levels and uncertain "
            "supplies from Russia for the increase, which suppliers say will reach bills in the new year.",
        ),
        Item(
            "iranian-cuisine",
            "Iranian cuisine comes to the high street",
            "A new restaurant serving Iranian cuisine has opened in Leeds. Its chef makes saffron rice, slow-cooked "
            "lamb stews and pomegranate desserts the way her grandmother did.",
        ),
        Item(
            "world-cup",
            "World Cup draw leaves England in a tough group",
            "England will play three former champions in the group stage of the World Cup after yesterday's draw. "
            "The manager said his squad relished the challenge.",
        ),
        Item("bakery", "Village bakery wins national award", "A family bakery in Devon has won the bread of the year."),
        Item("phone", "New phone goes on sale", "The handset has a larger battery and a brighter screen."),
        Item(
            "own-page",
            "Foreign Secretary to visit Moscow",
            f"The Foreign Secretary Boris Johnson said: \u201c{quote}\u201d",
            link="https://press.example.org/releases/foreign-secretary-to-visit-moscow/",
        ),
        Item(
            "fisheries-story",
            "Mackerel deal brings relief to Shetland skippers",
            "Skippers in Shetland and Peterhead have welcomed the mackerel quota settled with Norway and the Faroe "
            "Islands. Jane Marlow, the fisheries minister, said the season would now start on time.",
            link="https://news.example.net/scotland/mackerel-deal",
        ),
        Item(
            "fisheries-quote",
            "Minister hails mackerel deal",
            f"Speaking in Bergen, the minister said: '{marlow.lower()}'",
            summary="Quotas are set for next season.",
        ),
        Item(
            "fisheries-on-govuk",
            "New mackerel quotas agreed for the UK fleet",
            f"Jane Marlow said: {marlow}",
            link="https://www.gov.uk/government/news/new-mackerel-quotas/",
        ),
        Item(
            "lyme-regis",
            "Work starts on Lyme Regis sea wall",
            "The Environment Agency and Dorset Council have begun rebuilding the storm-damaged sea wall at Lyme Regis; "
            "the Cobb stays open.",
        ),
        Item(
            "short-quote",
            "Letters: on travel and politics",
            f"A reader writes that politicians always say they are \u201c{' '.join(opening)}\u201d and little else.",
        ),
        Item(
            "wind-story",
            "Hull and Esbjerg to share wind research",
            "Denmark and the UK will work together on floating turbines for the Celtic Sea, Priya Anand announced in "
            "Copenhagen, with a subsea interconnector planned from Lincolnshire.",
        ),
    ]


@pytest.fixture(scope="module")
def moscow(corpus_releases: Path) -> Release:
    return load_moscow(corpus_releases)


@pytest.fixture(scope="module")
def releases(moscow: Release) -> tuple[Release, ...]:
    return (moscow, *invented_releases())


@pytest.fixture(scope="module")
def matcher(releases: tuple[Release, ...]) -> RelatedMatcher:
    return RelatedMatcher(build_profiles(releases, NOW, 14), SETTINGS)


def run_feed(matcher: RelatedMatcher, items: list[Item]) -> dict[str, tuple[Match, ...]]:
    return {it.key: matcher.match(it.key, 7, it.title, it.summary, it.content, it.link) for it in items}


@pytest.mark.corpus
def test_the_model_release_terms(moscow: Release) -> None:
    terms = derive_terms(moscow, (moscow, *invented_releases()))
    texts = [t.text for t in terms]
    assert len(terms) == 15
    assert texts[0] == "Russia"
    assert {"Moscow", "Lavrov", "Boris Johnson", "North Korea", "UN Security Council", "Iran", "UN"} <= set(texts)
    assert not {"The", "Our", "That", "My", "September", "Russia's", "Of", "Korea"} & set(texts)
    assert all(t.kind == "name" for t in terms)


# --- THE acceptance test ---------------------------------------------------------------------------------------


@pytest.mark.corpus
def test_the_feed_is_sorted_into_pickups_related_and_unrelated(
    matcher: RelatedMatcher, moscow: Release, releases: tuple[Release, ...]
) -> None:
    fisheries, wind, _ = releases[1:]
    found = run_feed(matcher, feed_items(moscow))
    assert {key: [(m.kind, m.subject) for m in ms] for key, ms in found.items() if ms} == {
        "quote": [("pickup", moscow.id)],
        "related-story": [("related", moscow.id)],
        "fisheries-story": [("related", fisheries.id)],
        "fisheries-quote": [("pickup", fisheries.id)],
        "wind-story": [("related", wind.id)],
    }
    assert {key for key, ms in found.items() if not ms} == {
        "russia-once",  # one shared name
        "iranian-cuisine",  # "Iranian" is not "Iran"
        "world-cup",  # one shared name
        "bakery",
        "phone",
        "own-page",  # on our own domain, although it quotes the release
        "fisheries-on-govuk",  # the release itself, at its canonical address
        "lyme-regis",  # about a release published before the watch window
        "short-quote",  # ten words of the release: too short for a pickup
    }
    for key in ("quote", "related-story"):
        assert all(m.item_key == key and m.feed_id == 7 for m in found[key])

    # The Lyme Regis story is about that release: only the window keeps it out.
    wide = RelatedMatcher(build_profiles(releases, NOW, 120), SETTINGS)
    lyme = run_feed(wide, [it for it in feed_items(moscow) if it.key == "lyme-regis"])["lyme-regis"]
    assert [(m.kind, m.subject) for m in lyme] == [("related", releases[3].id)]


@pytest.mark.corpus
def test_a_related_story_is_explained_with_terms_fields_offsets_and_score(
    matcher: RelatedMatcher, moscow: Release
) -> None:
    item = next(it for it in feed_items(moscow) if it.key == "related-story")
    (match,) = run_feed(matcher, [item])["related-story"]
    assert match.why == (
        "related to 'Foreign Secretary to visit Moscow': Lavrov 0.06 (title), Boris Johnson 0.08, Moscow 0.09, "
        "North Korea 0.07, UN Security Council 0.09 (content); score 0.39"
    )
    assert match.score == pytest.approx(0.3867)
    fields = {"title": item.title, "summary": item.summary, "content": item.content}
    located = [(t.term, t.field, fields[t.field][t.start : t.end]) for t in match.terms]
    assert located == [
        ("Lavrov", "title", "Lavrov"),
        ("Lavrov", "content", "Lavrov"),  # inside "Sergei Lavrov": Sergei Lavrov is not among the top terms
        ("Boris Johnson", "content", "Boris Johnson"),
        ("Moscow", "content", "Moscow"),
        ("North Korea", "content", "North Korea"),
        ("UN Security Council", "content", "UN Security Council"),
    ]


@pytest.mark.corpus
def test_a_pickup_reports_the_reproduced_passage(matcher: RelatedMatcher, moscow: Release) -> None:
    item = next(it for it in feed_items(moscow) if it.key == "quote")
    (match,) = run_feed(matcher, [item])["quote"]
    quote = statement_sentence(moscow)
    (passage,) = match.terms
    assert passage.field == "content"
    assert item.content[passage.start : passage.end] == passage.term
    assert fold_words(passage.term) == fold_words(quote)  # the whole sentence, despite the rewording
    assert passage.term != quote
    n = len(fold_words(quote))
    assert match.why.startswith(f"pickup of 'Foreign Secretary to visit Moscow': {n} words in content (“")
    assert match.score == pytest.approx(
        n / len([t for t in fold_words(moscow.title + " " + moscow.body_text)]), abs=1e-4
    )


def as_record(item: Item) -> WatchItem:
    """`item` as the stored watch item the poll matches."""
    return WatchItem(
        key=item.key,
        title=item.title,
        link=item.link,
        guid=None,
        summary=item.summary,
        content_text=item.content,
        author="",
        published=None,
        updated=None,
        tags=(),
        content_hash="x",
    )


@pytest.mark.corpus
def test_matching_a_watch_item_record_gives_the_same_answer(matcher: RelatedMatcher, moscow: Release) -> None:
    item = next(it for it in feed_items(moscow) if it.key == "related-story")
    record = as_record(item)
    assert matcher.match_item(record, 7) == matcher.match(
        item.key, 7, item.title, item.summary, item.content, item.link
    )


# --- related: the rules, on a small release of our own ------------------------------------------------------------

OSLO = """Trade Minister Kari Nordmann arrived in Oslo today for talks on Arctic shipping routes.

Kari Nordmann will meet Norway's fisheries and defence ministers, and visit the NATO Joint Warfare Centre in
Stavanger. The Arctic Council meets in Tromsø next spring, and Norway chairs it.

She said: we share the Arctic with Norway, and the sea lanes opening as the ice retreats must stay safe and open to
trade."""


@pytest.fixture(scope="module")
def oslo_matcher() -> RelatedMatcher:
    oslo = _release("oslo-talks", "Trade minister in Oslo for Arctic talks", OSLO, "2026-11-26T09:00:00Z")
    profiles = build_profiles((oslo, *invented_releases()), NOW)
    return RelatedMatcher(profiles, RelatedSettings(min_score=0.0, own_domains=OWN))


def related_terms(matcher: RelatedMatcher, title: str, content: str = "") -> list[str] | None:
    """The distinct terms of the Oslo release that made the item related to it, or None."""
    for m in matcher.match("k", 1, title, "", content, None):
        if m.subject.endswith(":oslo-talks") and m.kind == "related":
            return list(dict.fromkeys(t.term for t in m.terms))
    return None


@pytest.mark.parametrize(
    ("title", "content", "expected"),
    [
        ("Oslo hosts a jazz festival", "", None),  # one name is never enough
        ("Snow in Oslo", "Oslo airport closed; flights to Oslo resume tomorrow.", None),  # however often it recurs
        ("Kari Nordmann in Oslo", "", ["Kari Nordmann", "Oslo"]),
        ("Norwegian officials meet in Arctic Norway", "", ["Arctic", "Norway"]),
        ("Norwegian officials in Bergen", "A Norwegian delegation met Arctic experts.", None),  # Norwegian ≠ Norway
        ("Talks on trade", "The minister held talks on trade.", None),  # shared words only
        ("nato and oslo", "", None),  # an acronym matches only in capitals
        ("NATO and Oslo", "", ["NATO", "Oslo"]),
        ("Kari Nordmann speaks", "Nordmann said little. Kari Nordmann left.", None),  # one name, whatever its form
        ("Nordmann in OSLO", "KARI NORDMANN WELCOMED IN ARCTIC TOWN", ["Oslo", "Kari Nordmann", "Arctic"]),
        ("The Arctic Council meets", "Norway chairs the Arctic Council.", ["Arctic Council", "Norway"]),
        ("The Arctic Council met", "", None),  # "Arctic" inside "Arctic Council" is not a second term
        ("Lavróv? No: Kari Nordmänn in Ösló", "", ["Kari Nordmann", "Oslo"]),  # accents are folded
    ],
)
def test_when_an_item_is_related(
    oslo_matcher: RelatedMatcher, title: str, content: str, expected: list[str] | None
) -> None:
    assert related_terms(oslo_matcher, title, content) == expected


def test_term_offsets_point_into_the_original_text(oslo_matcher: RelatedMatcher) -> None:
    title = "Ösló: «Kari  Nordmänn» meets NATO"
    (match,) = oslo_matcher.match("k", 1, title, "", "", None)
    assert [(t.term, title[t.start : t.end]) for t in match.terms] == [
        ("Oslo", "Ösló"),
        ("Kari Nordmann", "Kari  Nordmänn"),
        ("NATO", "NATO"),
    ]


def test_the_score_is_the_share_of_the_release_term_weight(oslo_matcher: RelatedMatcher) -> None:
    (profile,) = [p for p in oslo_matcher.profiles if p.release_id.endswith(":oslo-talks")]
    weights = {t.text: t.weight for t in profile.terms}
    (match,) = oslo_matcher.match("k", 1, "Kari Nordmann in Oslo", "", "", None)
    assert match.score == pytest.approx((weights["Kari Nordmann"] + weights["Oslo"]) / profile.total_weight, abs=1e-4)
    # Each name once, at its heaviest form's weight ("Arctic Council" with "Arctic", "NATO Joint Warfare Centre"
    # with "NATO").
    names = {profile.name_of[ti] for ti in range(len(profile.terms))}
    assert len(names) < len(profile.terms)
    heaviest = {ni: max(t.weight for tj, t in enumerate(profile.terms) if profile.name_of[tj] == ni) for ni in names}
    assert profile.total_weight == pytest.approx(sum(heaviest.values()))
    nordmann, oslo = (f"{(weights[t] / profile.total_weight):.2f}" for t in ("Kari Nordmann", "Oslo"))
    assert match.why == (
        f"related to 'Trade minister in Oslo for Arctic talks': Kari Nordmann {nordmann}, Oslo {oslo} (title); "
        f"score {match.score:.2f}"
    )
    assert why_adds_up(match.why)

    at = RelatedMatcher(oslo_matcher.profiles, RelatedSettings(min_score=match.score))
    above = RelatedMatcher(oslo_matcher.profiles, RelatedSettings(min_score=match.score + 0.01))
    assert at.match("k", 1, "Kari Nordmann in Oslo", "", "", None) == (match,)
    assert above.match("k", 1, "Kari Nordmann in Oslo", "", "", None) == ()


def test_only_the_first_occurrences_of_a_term_are_listed_but_all_count(oslo_matcher: RelatedMatcher) -> None:
    content = "Oslo. " * 9 + "Kari Nordmann."
    (match,) = oslo_matcher.match("k", 1, "", "", content, None)
    assert [t.term for t in match.terms] == ["Oslo"] * 5 + ["Kari Nordmann"]
    assert [t.start for t in match.terms] == [0, 6, 12, 18, 24, 54]


def test_min_terms_raises_the_bar(oslo_matcher: RelatedMatcher) -> None:
    three = RelatedMatcher(oslo_matcher.profiles, RelatedSettings(min_score=0.0, min_terms=3))
    assert three.match("k", 1, "Kari Nordmann in Oslo", "", "", None) == ()
    assert len(three.match("k", 1, "Kari Nordmann in Arctic Oslo", "", "", None)) == 1


@pytest.mark.parametrize(
    ("min_terms", "title", "expected"),
    [
        (2, "Oslo trade", None),  # a name and a plain word: one and a half
        (2, "Oslo trade talks", ["Oslo", "trade", "talks"]),  # a name and two plain words: two
        (2, "Oslo and Stavanger", ["Oslo", "Stavanger"]),
        (2, "Minister: trade talks", None),  # plain words only, however many
        (3, "Oslo and Stavanger trade", None),
        (3, "Oslo and Stavanger trade talks", ["Oslo", "Stavanger", "trade", "talks"]),
    ],
)
def test_a_plain_word_counts_half_a_term(
    oslo_matcher: RelatedMatcher, min_terms: int, title: str, expected: list[str] | None
) -> None:
    """What README's "Coverage of our releases" says: `min_terms` counts names and phrases as one, a plain word
    as half, and one of them at least must be a name or a phrase."""
    matcher = RelatedMatcher(oslo_matcher.profiles, RelatedSettings(min_score=0.0, min_terms=min_terms))
    assert related_terms(matcher, title) == expected
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    coverage = " ".join(readme.split("## Coverage of our releases", 1)[1].split("\n## ", 1)[0].split())
    assert "a plain word counts half" in coverage


# --- related: one name is one term, however it is written ---------------------------------------------------------

LAVROV = """Foreign Secretary Jane Smith met Russian Foreign Minister Sergei Lavrov in Geneva today to discuss the war
in Ukraine.

Sergei Lavrov and the Foreign Secretary spoke for two hours. Minister Lavrov said Russia would consider the proposal.

The Foreign Secretary said: "We will continue to stand with Ukraine for as long as it takes, and we urge Russia to
withdraw." """

KOREA = """The UK has condemned North Korea's latest missile launch. The UN Security Council will meet on Friday.

The Foreign Secretary said North Korea must stop. South Korea and Japan were consulted. The Security Council must
act."""


@pytest.fixture(scope="module")
def names_matcher() -> RelatedMatcher:
    """Releases whose names have shorter names inside them ("Lavrov" in "Sergei Lavrov", "Korea" in "North Korea",
    "UN" and "Security Council" in "UN Security Council"), all of them terms; no bar on the score."""
    title = "Foreign Secretary meets Sergei Lavrov in Geneva"
    lavrov = _release("lavrov-geneva", title, LAVROV, "2026-11-27T09:00:00Z")
    korea = _release("korea-missile", "UK condemns North Korea missile launch", KOREA, "2026-11-27T10:00:00Z")
    profiles = build_profiles((lavrov, korea, *invented_releases()), NOW)
    texts = {t.text for p in profiles for t in p.terms}
    assert {"Sergei Lavrov", "Lavrov", "North Korea", "Korea", "UN Security Council", "Security Council", "UN"} <= texts
    return RelatedMatcher(profiles, RelatedSettings(min_score=0.0, own_domains=OWN))


@pytest.mark.parametrize(
    ("title", "content", "expected"),
    [
        # one person: the full name once and the surname later is still one name
        ("Sergei Lavrov visits Brazil", "Lavrov met Lula in Brasilia to discuss trade in soybeans.", None),
        ("", "Sergei Lavrov said the West was to blame. Lavrov added that talks were over.", None),
        ("Lavrov lashes out at the West", "Sergei Lavrov said on Tuesday that talks were over.", None),
        # one country, one body
        ("North Korea in the headlines", "Korea watchers were not surprised.", None),
        ("", "At the UN Security Council, diplomats argued. The Security Council adjourned.", None),
        ("", "The UN met. The UN Security Council adjourned.", None),
        ("", "The UN met on Friday. The Security Council adjourned.", None),  # two parts of one name, apart
        # two names are two, listed each once under its full name, where it was first found
        ("Lavrov in Geneva", "Sergei Lavrov arrived.", ["Sergei Lavrov", "Geneva"]),
        ("North Korea and South Korea", "Korea watchers were not surprised.", ["North Korea", "South Korea"]),
        ("", "The Security Council met on North Korea.", ["Security Council", "North Korea"]),
    ],
)
def test_a_name_and_the_names_inside_it_are_one_term(
    names_matcher: RelatedMatcher, title: str, content: str, expected: list[str] | None
) -> None:
    found = [m for m in names_matcher.match("k", 1, title, "", content, None) if m.kind == "related"]
    assert [list(dict.fromkeys(t.term for t in m.terms)) for m in found] == ([expected] if expected else [])


def test_a_name_found_in_several_forms_weighs_as_its_heaviest_form(names_matcher: RelatedMatcher) -> None:
    (profile,) = [p for p in names_matcher.profiles if p.release_id.endswith(":lavrov-geneva")]
    weights = {t.text: t.weight for t in profile.terms}
    title, content = "Lavrov in Geneva", "Sergei Lavrov arrived."
    (match,) = names_matcher.match("k", 1, title, "", content, None)
    heaviest = max(weights["Sergei Lavrov"], weights["Lavrov"])
    assert match.score == pytest.approx((heaviest + weights["Geneva"]) / profile.total_weight, abs=1e-4)
    assert match.why == (
        f"related to 'Foreign Secretary meets Sergei Lavrov in Geneva': Sergei Lavrov 0.20, Geneva 0.15 (title); "
        f"score {match.score:.2f}"
    )
    fields = {"title": title, "content": content}
    assert [(t.term, t.field, fields[t.field][t.start : t.end]) for t in match.terms] == [
        ("Sergei Lavrov", "title", "Lavrov"),  # the name, as the item writes it there
        ("Geneva", "title", "Geneva"),
        ("Sergei Lavrov", "content", "Sergei Lavrov"),
    ]


def test_two_parts_of_a_name_written_apart_are_one_name_listed_as_written(names_matcher: RelatedMatcher) -> None:
    (profile,) = [p for p in names_matcher.profiles if p.release_id.endswith(":korea-missile")]
    weights = {t.text: t.weight for t in profile.terms}
    content = "The UN met on Friday. The Security Council adjourned over North Korea."
    (match,) = names_matcher.match("k", 1, "", "", content, None)
    assert [t.term for t in match.terms] == ["UN", "Security Council", "North Korea"]
    assert re.fullmatch(
        r"related to '[^']+': UN / Security Council 0\.\d\d, North Korea 0\.\d\d \(content\); score 0\.\d\d", match.why
    )
    unsc = max(weights["UN"], weights["Security Council"])  # one name: the heavier form written
    assert match.score == pytest.approx((unsc + weights["North Korea"]) / profile.total_weight, abs=1e-4)


# --- related: the scale of the score --------------------------------------------------------------------------

_PART = re.compile(r"(?:^|, )[^,()]+? (\d\.\d\d)(?= \(|, )")


def why_adds_up(why: str) -> bool:
    """Whether the names' parts in a related match's `why` ("Lavrov 0.06 (title), Moscow 0.09 (content); score
    0.15") add up to the score it shows."""
    listed, shown = why.split(": ", 1)[1].rsplit("; score ", 1)
    parts = [round(float(x) * 100) for x in _PART.findall(listed)]
    return bool(parts) and sum(parts) == round(float(shown) * 100)


def naming(terms: Sequence[str]) -> str:
    return "Officials named " + ", ".join(terms) + " in a statement."


@pytest.mark.corpus
def test_an_item_naming_every_term_of_the_release_scores_one(matcher: RelatedMatcher, moscow: Release) -> None:
    """What a press officer reads: an item naming all the release's salient terms is as related as an item
    can be. A name's shorter forms ("UN" of "UN Security Council", "Russian" of "Russian Foreign Minister") are
    that name again, so naming the longer one names them too."""
    (profile,) = [p for p in matcher.profiles if p.release_id == moscow.id]
    texts = [t.text for t in profile.terms]
    longest = [t.text for ti, t in enumerate(profile.terms) if profile.name_of[ti] == ti]
    assert {"UN", "Russian"} <= set(texts) - set(longest)  # the model release has names with shorter forms
    for terms in (texts, longest, list(reversed(texts)), [t.upper() if len(t) > 4 else t for t in longest]):
        (match,) = matcher.match("k", 1, "News", "", naming(terms), None)
        assert (match.kind, match.score) == ("related", 1.0)
        assert match.why.endswith("; score 1.00") and why_adds_up(match.why)


def test_a_name_written_in_full_is_worth_its_heavier_forms(names_matcher: RelatedMatcher) -> None:
    (profile,) = [p for p in names_matcher.profiles if p.release_id.endswith(":lavrov-geneva")]
    texts = [t.text for t in profile.terms]
    weights = {t.text: t.weight for t in profile.terms}
    assert "Lavrov" in texts and "Sergei Lavrov" in texts
    in_full = [t for t in texts if t != "Lavrov"]  # "Sergei Lavrov" writes "Lavrov" too
    (match,) = names_matcher.match("k", 1, "News", "", naming(in_full), None)
    assert match.score == 1.0
    short = [t for t in texts if t != "Sergei Lavrov"]  # the surname alone is worth its own weight
    (match,) = names_matcher.match("k", 1, "News", "", naming(short), None)
    lost = max(weights["Sergei Lavrov"], weights["Lavrov"]) - weights["Lavrov"]
    assert match.score == pytest.approx(1 - lost / profile.total_weight, abs=1e-4)


@pytest.mark.corpus
def test_a_single_term_is_never_enough(matcher: RelatedMatcher, moscow: Release) -> None:
    """A single shared term, in any of its forms and however heavy, is not related: the score of an item naming
    it alone is below the default bar too (on the model release), not only one term short of `min_terms`."""
    (profile,) = [p for p in matcher.profiles if p.release_id == moscow.id]
    assert matcher.settings.min_score == DEFAULT_MIN_SCORE
    for ti, term in enumerate(profile.terms):
        forms = [t.text for tj, t in enumerate(profile.terms) if profile.name_of[tj] == profile.name_of[ti]]
        assert profile.reach[ti] / profile.total_weight < DEFAULT_MIN_SCORE, term.text
        for content in (naming([term.text]), naming(forms)):
            assert [m for m in matcher.match("k", 1, "News", "", content, None) if m.kind == "related"] == []


@pytest.mark.corpus
def test_the_parts_shown_add_up_to_the_score(matcher: RelatedMatcher, moscow: Release) -> None:
    found = [m for ms in run_feed(matcher, feed_items(moscow)).values() for m in ms if m.kind == "related"]
    assert len(found) == 3
    assert all(why_adds_up(m.why) for m in found)


@pytest.mark.parametrize(
    ("parts", "score", "shown"),
    [
        ({1: 0.125, 2: 0.125, 3: 0.125}, 0.375, {1: "0.13", 2: "0.13", 3: "0.12"}),
        ({1: 0.0649, 2: 0.0649}, 0.1298, {1: "0.07", 2: "0.06"}),
        ({1: 0.5, 2: 0.5}, 1.0, {1: "0.50", 2: "0.50"}),
        ({1: 0.004, 2: 0.003}, 0.007, {1: "0.01", 2: "0.00"}),
    ],
)
def test_the_parts_are_rounded_to_add_up(parts: dict[int, float], score: float, shown: dict[int, str]) -> None:
    assert _hundredths(parts, score) == shown


# --- pickup: shingles -----------------------------------------------------------------------------------------

HARBOUR = (
    "The harbour authority will dredge the eastern channel this winter so that larger ferries can berth at low tide "
    "without waiting for the evening flood.\n\n"
    "We're confident the port's new dredger won't disturb the seals' breeding grounds on the sandbanks near the "
    "harbour mouth."
)
SENTENCE = HARBOUR.split("\n\n")[0]  # 25 words
WORDS = SENTENCE.rstrip(".").split()


def harbour_profiles(*extra: Release) -> tuple:
    harbour = _release("harbour-dredging", "Harbour channel to be dredged", HARBOUR, "2026-11-25T08:00:00Z")
    return build_profiles((harbour, *extra), NOW)


def pickups(content: str, min_tokens: int = 12, *extra: Release) -> list[tuple[str, str]]:
    matcher = RelatedMatcher(harbour_profiles(*extra), RelatedSettings(pickup_tokens=min_tokens))
    found = matcher.match("k", 1, "A headline", "", content, "https://news.example.com/a")
    return [(m.subject.rsplit(":", 1)[1], m.terms[0].term) for m in found if m.kind == "pickup"]


def replace_words(indexes: set[int]) -> str:
    return " ".join("XYZZY" if i in indexes else w for i, w in enumerate(WORDS))


@pytest.mark.parametrize(
    ("content", "min_tokens", "picked"),
    [
        (SENTENCE, 12, True),
        (f"Officials said: '{SENTENCE}'", 12, True),
        (SENTENCE.upper(), 12, True),
        (SENTENCE.replace(" ", "\n   ", 6), 12, True),
        (SENTENCE.replace("winter so", "winter, so").replace("larger", "“larger”"), 12, True),
        ("“We’re confident the port’s new dredger won’t disturb the seals’ breeding grounds”", 12, True),
        ("We re confident the port s new dredger won t disturb the seals breeding grounds", 12, True),
        (" ".join(WORDS[:12]), 12, True),
        (" ".join(WORDS[:11]), 12, False),  # too short
        (" ".join(WORDS[3:15]), 12, True),
        (" ".join(WORDS[:12]), 13, False),
        (replace_words({12}), 20, True),  # one differing word does not break the passage
        (replace_words({12, 13}), 20, True),  # two do, but 12 + 11 words of one quotation are 23 reproduced
        # A quotation cut by an ellipsis, or broken by "she said", is still one: its parts count together.
        (f"\u201c{' '.join(WORDS[:10])} \u2026 {' '.join(WORDS[14:24])}\u201d", 12, True),
        (
            f"\u201c{' '.join(WORDS[:10])},\u201d the harbour master said, \u201c{' '.join(WORDS[10:20])}.\u201d",
            12,
            True,
        ),
        (
            f"{' '.join(WORDS[:10])}. Then came a long story about other things entirely, over many days. "
            f"{' '.join(WORDS[14:24])}",
            12,
            False,
        ),  # too far apart in the item to be one quotation
        (f"{' '.join(WORDS[14:24])} \u2026 {' '.join(WORDS[:10])}", 12, False),  # not in the release's order
        # words the paper put in ("[the port]") or left out, then the quotation goes on: the rest counts too
        (f"\u201c{' '.join(WORDS[:10])} [in the port] {' '.join(WORDS[10:14])}\u201d", 14, True),
        (f"\u201c{' '.join(WORDS[:10])} \u2026 {' '.join(WORDS[12:16])}\u201d", 14, True),
        (f"\u201c{' '.join(WORDS[:10])} [in the port] {' '.join(WORDS[10:13])}\u201d", 13, False),  # 3 words: chance
        (" ".join(reversed(WORDS)), 12, False),
        ("The harbour authority will dredge the eastern channel. Larger ferries can berth at low tide.", 12, False),
    ],
)
def test_when_an_item_reproduces_a_release(content: str, min_tokens: int, picked: bool) -> None:
    found = pickups(content, min_tokens)
    assert bool(found) is picked
    if picked:
        ((slug, passage),) = found
        assert slug == "harbour-dredging"
        assert passage in content


PLEDGE = (
    "The Government will prioritise the modernisation of our harbour defences, and we will honour our commitment to "
    "the travelling public at the centre of this programme, whatever the behaviour of the markets."
)


@pytest.mark.parametrize(
    ("content", "picked"),
    [
        # a newspaper across the Atlantic quotes the minister in its own spelling: the same sentence
        (
            "\u201cThe Government will prioritize the modernization of our harbor defenses, and we will honor our "
            "commitment to the traveling public at the center of this program,\u201d he said.",
            True,
        ),
        ("\u201cWe will honor our commitment to the traveling public at the center of this program\u201d", True),
        ("Whatever the behavior of the markets, the Government will prioritize the modernization of defense.", False),
    ],
)
def test_a_quotation_in_american_spelling_is_a_pickup(content: str, picked: bool) -> None:
    pledge = _release("harbour-pledge", "Harbour defences pledge", PLEDGE, "2026-11-25T08:00:00Z")
    matcher = RelatedMatcher(build_profiles((pledge,), NOW), SETTINGS)
    found = [m for m in matcher.match("k", 1, "A headline", "", content, None) if m.kind == "pickup"]
    assert bool(found) is picked
    for match in found:
        assert all(content[t.start : t.end] == t.term for t in match.terms)  # the item's words, as it spells them


def test_a_pickup_is_not_also_reported_as_related() -> None:
    text = f"Kari Nordmann in Oslo said: {OSLO.split('She said: ')[1]}"
    oslo = _release("oslo-talks", "Trade minister in Oslo for Arctic talks", OSLO, "2026-11-26T09:00:00Z")
    matcher = RelatedMatcher(build_profiles((oslo,), NOW), RelatedSettings(min_score=0.0))
    (match,) = matcher.match("k", 1, "Arctic talks in Oslo", "", text, None)
    assert match.kind == "pickup"


def test_boilerplate_shared_by_three_releases_is_no_quotation() -> None:
    footer = "For media enquiries please call the press office on the usual number between nine and five on weekdays."
    others = [
        _release(f"other-{n}", f"Other release {n}", f"Item {n} of the day.\n\n{footer}", "2026-11-22T08:00:00Z")
        for n in range(3)
    ]
    assert [s for s, _ in pickups(footer, 12, *others[:1])] == ["other-0"]
    assert [s for s, _ in pickups(footer, 12, *others[:2])] == ["other-0", "other-1"]
    assert pickups(footer, 12, *others) == []


FOOTER = (
    "For media enquiries please contact the Foreign Office press office on 020 7008 3100 or email the newsdesk at "
    "any time."
)


def footed(n: int, days_ago: float) -> Release:
    """A release `days_ago` days old, ending with the office's standard contact line."""
    published = (NOW - timedelta(days=days_ago)).isoformat()
    return _release(f"footed-{n}", f"Footed release {n}", f"Item {n} of the day.\n\n{FOOTER}", published)


@pytest.mark.parametrize(
    ("days_ago", "picked"),
    [
        ((2, 5), ["footed-0", "footed-1"]),  # two releases only: a quotation of either
        ((2, 40), ["footed-0"]),  # the older one is not watched, and two are not boilerplate yet
        ((2, 5, 20, 40), []),  # four releases share it, two of them in the window: boilerplate
        ((2, 20, 40), []),  # one in the window: an office publishing once a fortnight has boilerplate too
    ],
)
def test_boilerplate_is_what_three_releases_of_the_whole_corpus_share_not_only_of_the_window(
    days_ago: tuple[float, ...], picked: list[str]
) -> None:
    releases = [footed(n, days) for n, days in enumerate(days_ago)]
    profiles = build_profiles(releases, NOW, 14)
    matcher = RelatedMatcher(profiles, SETTINGS)
    found = matcher.match("k", 1, "Ambassador appointed", "", f"A new envoy. {FOOTER}", "https://www.gov.uk/a")
    assert sorted(m.subject.rsplit(":", 1)[1] for m in found if m.kind == "pickup") == picked


# --- what the watch compiles: the window watched, weighed against the recent releases ----------------------------

PM_VISIT = """The Prime Minister today welcomed the President of Kenya, William Ruto, to Downing Street for talks on
trade.

The UK and Kenya agreed to deepen cooperation on green energy. The Prime Minister said the UK would invest in
Mombasa port.

Downing Street said further talks would follow in London."""


def store_releases(app, releases: Sequence[Release]) -> None:
    with app.store.transaction() as tx:
        tx.insert_releases(list(releases), NOW)


def test_the_watch_weighs_terms_and_finds_boilerplate_among_the_recent_releases(make_settings, make_app_for) -> None:
    """The window alone is too few releases to tell a generic name ("Prime Minister", "UK", "London") from a
    specific one ("Ruto"), or a contact line every release ends with from a quotation: the watch weighs them
    against the releases of the last `CORPUS_DAYS`, and still watches the window's only."""
    from feeds.watch.poll import current_matchers
    from feeds.watch.profiles import CORPUS_DAYS

    app = make_app_for(make_settings())
    visit = _release("ruto-visit", "Prime Minister welcomes President Ruto", PM_VISIT, "2026-11-27T09:00:00Z")
    statements = [
        _release(
            f"pm-{n}",
            f"Prime Minister statement {n}",
            f"The Prime Minister said the UK will act. Downing Street said London talks. The UK Prime Minister "
            f"spoke in London about item {n}.",
            (NOW - timedelta(days=30 + n)).isoformat(),
        )
        for n in range(20)
    ]
    footers = [footed(n, days) for n, days in enumerate((2, 5, 20, 40))]
    # A passage a release of the window shares with releases older than the corpus only is still its own.
    pledge = "We will keep the consular helpline open around the clock for every British national in the region."
    too_old = [
        _release(f"old-{n}", f"Old release {n}", f"Old news.\n\n{pledge}", (NOW - timedelta(days=days)).isoformat())
        for n, days in enumerate((CORPUS_DAYS + 5, CORPUS_DAYS + 6))
    ]
    pledged = _release("pledge", "Helpline for Sudan", f"Consular help.\n\n{pledge}", "2026-11-26T09:00:00Z")
    store_releases(app, [visit, pledged, *statements, *footers, *too_old])

    matchers = current_matchers(app, NOW, [])
    assert set(matchers.releases) == {visit.id, pledged.id, footers[0].id, footers[1].id}, "the window is watched"
    assert matchers.related is not None
    generic = "Downing Street said the Prime Minister would speak in London about the UK economy."  # 0.55 → 0.30
    assert matchers.related.match("k", 1, "UK Prime Minister in London", "", generic, None) == ()
    assert matchers.related.match("k", 1, "Ruto in London", "", "William Ruto met the Prime Minister.", None)
    contact = matchers.related.match("k", 1, "Envoy", "", f"A new envoy. {FOOTER}", "https://www.gov.uk/a")
    assert contact == (), "the contact line of every release is nobody's quotation"
    quoted = matchers.related.match("k", 1, "Helpline", "", f"The minister said: {pledge}", "https://www.gov.uk/b")
    assert [(m.kind, m.subject) for m in quoted] == [("pickup", pledged.id)]
    assert current_matchers(app, NOW, []).spec is matchers.spec, "the same releases: the spec is kept"
    store_releases(app, [footed(9, 1)])
    assert set(current_matchers(app, NOW, []).releases) == {*matchers.releases, footed(9, 1).id}, "one more"


# --- own pages ------------------------------------------------------------------------------------------------


def test_an_item_linking_to_a_release_elsewhere_is_that_release_itself() -> None:
    releases = invented_releases()
    fisheries = releases[0]
    matcher = RelatedMatcher(build_profiles(releases, NOW), SETTINGS)
    text = f"Jane Marlow said: {FISHERIES.split('Jane Marlow said:')[1]}"
    for link, expected in [
        ("https://www.gov.uk/government/news/new-mackerel-quotas", []),
        ("http://gov.uk/government/news/new-mackerel-quotas/#top", []),
        ("https://www.gov.uk/government/news/other", [("pickup", fisheries.id)]),
    ]:
        found = matcher.match("k", 1, "Mackerel", "", text, link)
        assert [(m.kind, m.subject) for m in found] == expected, link


# --- profiles and settings ------------------------------------------------------------------------------------


def test_only_releases_of_the_window_are_watched_but_all_weigh_terms() -> None:
    made = {
        days: _release(
            f"r{days}",
            f"Release {days}",
            f"Kari Nordmann visited Oslo {days} days ago.",
            (NOW - timedelta(days=days)).isoformat(),
        )
        for days in (-1, 0, 1, 13, 15, 40)
    }
    profiles = build_profiles(tuple(made.values()), NOW, 14)
    assert [p.release_id for p in profiles] == [made[13].id, made[1].id, made[0].id]  # oldest first
    narrow = build_profiles(tuple(made.values()), NOW, 2)
    assert [p.release_id for p in narrow] == [made[1].id, made[0].id]
    assert build_profiles((), NOW) == ()


def test_profiles_are_deterministic() -> None:
    releases = invented_releases()
    assert build_profiles(releases, NOW) == build_profiles(tuple(reversed(releases)), NOW)


@pytest.mark.parametrize(
    "kwargs",
    [{"min_score": -0.1}, {"min_score": 1.5}, {"min_terms": 1}, {"window_days": 0}, {"pickup_tokens": 0}],
)
def test_settings_are_validated(kwargs: dict[str, float]) -> None:
    with pytest.raises(ValueError, match=next(iter(kwargs))):
        RelatedSettings(**kwargs)  # type: ignore[arg-type]


def test_a_pickup_threshold_below_the_shingle_size_is_refused() -> None:
    with pytest.raises(ValueError, match="shingle size"):
        RelatedMatcher(harbour_profiles(), RelatedSettings(pickup_tokens=7))


def test_no_profiles_match_nothing() -> None:
    assert RelatedMatcher((), SETTINGS).match("k", 1, "Kari Nordmann in Oslo", "", SENTENCE, None) == ()


# --- cost, purity, robustness ---------------------------------------------------------------------------------


def test_the_modules_do_no_io() -> None:
    root = Path(__file__).resolve().parent.parent / "feeds" / "watch"
    forbidden = ("feeds.clock", "feeds.store", "feeds.fetch", "requests", "sqlalchemy", "socket", "urllib.request")
    for name in (
        "terms.py",
        "termcandidates.py",
        "profiles.py",
        "shingles.py",
        "pickup.py",
        "related.py",
        "ownsite.py",
    ):
        tree = ast.parse((root / name).read_text(encoding="utf-8"))
        imported = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
        imported |= {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
        assert [m for m in imported if m.startswith(forbidden)] == [], name


def test_matching_cost_does_not_grow_with_the_number_of_releases() -> None:
    """Many watched releases, none about the item: only index look-ups happen, so matching an item makes the same
    calls whether 4 or 400 releases are watched (counted, not timed: a timed bound failed on a busy machine)."""

    def releases(count: int) -> tuple[Release, ...]:
        return tuple(
            _release(
                f"r{n}",
                f"Release number {n}",
                f"Minister Person{n} Surname{n} opened the Hall{n} in Town{n}. " * 3,
                "2026-11-25T08:00:00Z",
            )
            for n in range(count)
        )

    content = " ".join(WORDS * 40)  # a 1,000-word item

    def calls(count: int) -> int:
        matcher = RelatedMatcher(build_profiles(releases(count), NOW), SETTINGS)
        matcher.match("k", 1, "Headline", "", content, None)  # (anything done once, on first use)
        profile = cProfile.Profile()
        profile.enable()
        assert matcher.match("k", 1, "Headline", "", content, None) == ()
        profile.disable()
        return sum(entry.callcount for entry in profile.getstats())

    assert calls(400) == calls(4)


@settings(max_examples=150, deadline=None)
@given(
    title=st.text(max_size=80),
    summary=st.text(max_size=80),
    content=st.one_of(
        st.text(max_size=300),
        st.lists(
            st.sampled_from([*WORDS, "Kari", "Nordmann", "Oslo", "NATO", "Ösló", "'s", "’", "-", ". ", "\n"]),
            max_size=80,
        ).map(" ".join),
    ),
    link=st.one_of(st.none(), st.text(max_size=40), st.just("https://press.example.org/x")),
)
def test_arbitrary_items_never_raise(title: str, summary: str, content: str, link: str | None) -> None:
    matcher = _ARBITRARY
    for m in matcher.match("k", 1, title, summary, content, link):
        text = {"title": title, "summary": summary, "content": content}
        assert all(0 <= t.start <= t.end <= len(text[t.field]) for t in m.terms)
        assert 0.0 <= m.score <= 1.0
        assert m.kind != "related" or why_adds_up(m.why)


_ARBITRARY = RelatedMatcher(
    build_profiles(
        (
            _release("oslo-talks", "Trade minister in Oslo for Arctic talks", OSLO, "2026-11-26T09:00:00Z"),
            _release("harbour-dredging", "Harbour channel to be dredged", HARBOUR, "2026-11-25T08:00:00Z"),
        ),
        NOW,
    ),
    RelatedSettings(min_score=0.0, own_domains=OWN),
)


@pytest.mark.corpus
def test_an_item_its_source_dates_well_before_the_release_is_not_its_coverage(
    matcher: RelatedMatcher, moscow: Release
) -> None:
    """A feed that keeps years of archive shares names with today's release; the old article does not cover it."""
    related = next(it for it in feed_items(moscow) if it.key == "related-story")
    quote = next(it for it in feed_items(moscow) if it.key == "quote")
    for item in (related, quote):
        args = (item.key, 7, item.title, item.summary, item.content, item.link)
        found = matcher.match(*args)
        assert found, item.key
        assert matcher.match(*args, moscow.published - timedelta(days=3000)) == (), "years before: not coverage"
        assert matcher.match(*args, moscow.published - timedelta(hours=20)) == found, "the day before: still coverage"
        assert matcher.match(*args, None) == found, "undated: judged by when it was seen"


def test_the_delay_is_never_later_than_when_the_item_was_first_seen() -> None:
    from feeds.model import Match
    from feeds.watch.matching import delay_of

    release = _release("visit", "Minister to visit Oslo", "Text.", "2026-11-28T08:47:00Z")
    seen = release.published + timedelta(minutes=2)
    match = Match("pickup", release.id, "k", 1, (), 1.0, "pickup")
    releases = {release.id: release}
    assert delay_of(match, release.published + timedelta(hours=3), seen, releases) == 120.0, "dated ahead: capped"
    assert delay_of(match, release.published + timedelta(seconds=30), seen, releases) == 30.0
    assert delay_of(match, None, seen, releases) == 120.0
    assert delay_of(Match("keyword", "r", "k", 1, (), 1.0, "kw"), None, seen, releases) is None


def test_a_feed_giving_one_text_as_summary_and_content_is_read_and_reported_once() -> None:
    """RSS with only <description> gives the same text as summary and content: terms, passages and scores must
    not count it twice ("26 words in summary, 26 words in content")."""
    from feeds.model import WatchItem
    from feeds.watch.match import compile_rules
    from feeds.watch.matching import Matchers, match_item

    text = "Kari Nordmann said in Oslo that the Arctic Council and NATO must keep the sea lanes open to trade."
    item = WatchItem(
        key="k", title="Arctic talks", link="https://news.example.com/a", guid=None, summary=text,
        content_text=text, author="", published=None, updated=None, tags=(),
        content_hash="h",
    )  # fmt: skip
    feed = type("F", (), {"id": 1, "title": "Desk", "tags": ()})()
    matchers = Matchers(compile_rules([("arctic", "arctic OR nato")]), None, frozenset(), {}, None)  # type: ignore[arg-type]
    (keyword,) = match_item(matchers, feed, item)  # type: ignore[arg-type]
    assert sorted((t.term, t.field) for t in keyword.terms) == [
        ("arctic", "summary"),
        ("arctic", "title"),
        ("nato", "summary"),
    ]
    assert keyword.score == 3.0


def test_related_terms_of_one_text_given_twice_are_listed_once(oslo_matcher: RelatedMatcher) -> None:
    text = "Kari Nordmann met the NATO Joint Warfare Centre in Stavanger about Arctic shipping."
    once = oslo_matcher.match("k", 1, "Arctic shipping talks", text, "", None)
    twice = oslo_matcher.match("k", 1, "Arctic shipping talks", text, text, None)
    assert once and twice == once
    assert all(t.field != "content" for m in twice for t in m.terms)


@pytest.mark.corpus
def test_an_item_under_our_exact_headline_is_a_pickup_however_short(matcher: RelatedMatcher, moscow: Release) -> None:
    (pickup,) = matcher.match("wire", 7, "Foreign Secretary to visit Moscow", "Short wire item.", "", None)
    assert pickup.kind == "pickup" and pickup.subject == moscow.id
    (term,) = pickup.terms
    assert (term.field, term.start, term.end) == ("title", 0, len("Foreign Secretary to visit Moscow"))
    assert pickup.why.startswith("pickup of 'Foreign Secretary to visit Moscow': 5 words in title")
    assert matcher.match("other", 7, "Foreign Secretary to visit", "Short.", "", None) == ()


HEADLINE = "Foreign Secretary to visit Moscow"


@pytest.mark.corpus
@pytest.mark.parametrize(
    ("title", "span"),
    [
        ("BREAKING: foreign secretary to visit MOSCOW", "foreign secretary to visit MOSCOW"),
        ("Press release: Foreign Secretary to visit Moscow", HEADLINE),
        ("Foreign Secretary to visit Moscow, says aide", HEADLINE),
        ("Foreign Secretary to visit Moscow | Reuters", HEADLINE),
        ("Foreign Secretary to visit Moscow - officials", HEADLINE),
        ("Foreign Secretary to visit Moscow. Talks in March", HEADLINE),
        ("UK: FOREIGN-SECRETARY TO VISIT MOSCÓW — officials", "FOREIGN-SECRETARY TO VISIT MOSCÓW"),
        ("Fóreign  Secretary\nto visit «Moscow», aide says", "Fóreign  Secretary\nto visit «Moscow"),
        ("Lavrov: Foreign Secretary to visit Moscow; Foreign Secretary to visit Moscow", HEADLINE),  # the first
    ],
)
def test_an_item_title_containing_our_whole_headline_is_a_pickup(
    matcher: RelatedMatcher, moscow: Release, title: str, span: str
) -> None:
    (pickup,) = matcher.match("wire", 7, title, "Short wire item.", "", None)
    assert (pickup.kind, pickup.subject) == ("pickup", moscow.id)
    (term,) = pickup.terms
    assert (term.field, term.term, term.start) == ("title", span, title.index(span))
    assert title[term.start : term.end] == span
    quoted = " ".join(span.replace("«", "").split())  # the excerpt leaves out the item's own quotation marks
    assert pickup.why.startswith(f"pickup of '{HEADLINE}': 5 words in title (“{quoted}”); score ")


@pytest.mark.corpus
@pytest.mark.parametrize(
    "title",
    [
        "Foreign Secretary to visit",  # a part of the headline is not the headline
        "Secretary to visit Moscow",
        "Foreign Secretary to visit the Kremlin in Moscow",  # not one run of words
        "Foreign Secretaries to visit Moscow",  # whole words only
        "Foreign Secretary to visit Moscowland",
        "Foreign Secretary not to visit Moscow",
        # Run into other words of the title, without punctuation: a sentence of its own that only shares ours
        # ("Statement by the Prime Minister on Ukraine" beside a release "Statement by the Prime Minister").
        "Foreign Secretary to visit Moscow soon",
        "Former Foreign Secretary to visit Moscow next week",
        "BREAKING: Foreign Secretary to visit Moscow after talks",
    ],
)
def test_an_item_title_with_less_than_our_whole_headline_is_not_a_pickup(matcher: RelatedMatcher, title: str) -> None:
    assert matcher.match("wire", 7, title, "Short wire item.", "", None) == ()


@pytest.mark.corpus
def test_two_headlines_opening_alike_are_each_found_only_whole(moscow: Release) -> None:
    longer = _release("visit-2", f"{HEADLINE} and Beijing in the spring", "Dates to follow.", "2026-11-27T09:00:00Z")
    matcher = RelatedMatcher(build_profiles((moscow, longer, *invented_releases()), NOW), SETTINGS)

    def pickups(title: str) -> list[str]:
        return sorted(m.subject for m in matcher.match("k", 1, title, "Short.", "", None) if m.kind == "pickup")

    assert pickups(f"BREAKING: {HEADLINE}, aide says") == [moscow.id]  # a part of the longer one: not its pickup
    # The longer headline: the shorter one runs on into its words here, so it is not a part of its own.
    assert pickups(f"LIVE: {HEADLINE} and Beijing in the spring") == [longer.id]


def test_a_pickup_in_parts_quotes_each_part_in_its_explanation() -> None:
    """A press officer reading "14 words in content, 11 words in content" wants to see both parts, not only the
    longest: each part is quoted after its count."""
    matcher = RelatedMatcher(build_profiles(invented_releases(), NOW), SETTINGS)
    content = (
        "\u201cThis agreement gives fishing communities from Shetland to Cornwall the certainty they asked for,\u201d"
        " Marlow said. \u201cIt keeps mackerel stocks healthy for the next generation of skippers.\u201d"
    )
    (pickup,) = matcher.match("k", 1, "Skippers cheer", "", content, None)
    assert pickup.kind == "pickup" and len(pickup.terms) == 2
    assert pickup.why == (
        "pickup of 'New mackerel quotas agreed for the UK fleet': 14 words in content (\u201cThis agreement gives"
        " fishing communities from Shetland to … certainty they asked for\u201d), 11 words in content (\u201cIt keeps"
        " mackerel stocks healthy for the next generation of skippers\u201d); score "
        f"{pickup.score:.2f}"
    )


MACKEREL = "New mackerel quotas agreed for the UK fleet"


@pytest.mark.parametrize(
    "title",
    [
        # A British paper sets a headline it quotes in single quotes, curly or straight, as others use double ones.
        f"\u2018{MACKEREL}\u2019 says Norway",
        f"Skippers hail \u2018{MACKEREL}\u2019 deal",
        f"'{MACKEREL}' says Norway",
        f"Skippers hail '{MACKEREL}' deal",
        f"Skippers hail \u2018{MACKEREL}\u2019",
        f"Skippers hail \u2018{MACKEREL}\u2019.",
        f'Skippers hail "{MACKEREL}" deal',
    ],
)
def test_our_headline_quoted_in_single_quotes_in_an_item_title_is_a_pickup(title: str) -> None:
    matcher = RelatedMatcher(build_profiles(invented_releases(), NOW), SETTINGS)
    (pickup,) = matcher.match("k", 1, title, "Short.", "", None)
    assert (pickup.kind, pickup.subject) == ("pickup", invented_releases()[0].id)
    (term,) = pickup.terms
    assert term.term == MACKEREL


@pytest.mark.parametrize(
    "title",
    [
        f"{MACKEREL}\u2019 say skippers",  # a closing quote without an opening one: an apostrophe
        f"\u2018{MACKEREL} fishermen\u2019 say",  # quoted, but run into other words
        f"Norway's {MACKEREL}' deal",  # an apostrophe in a word before it opens nothing
        f"Skippers hail \u2018{MACKEREL}\u2019s catch\u2019",  # nor does one in a word after it close it
    ],
)
def test_our_headline_run_into_other_words_past_an_apostrophe_is_not_a_pickup(title: str) -> None:
    matcher = RelatedMatcher(build_profiles(invented_releases(), NOW), SETTINGS)
    assert [m.kind for m in matcher.match("k", 1, title, "Short.", "", None)] == []


@pytest.mark.parametrize(
    ("headline", "title"),
    [
        ("Statement on Syria", "BREAKING: Statement on Syria expected tonight"),
        ("Iran sanctions", "EU weighs new Iran sanctions"),
        ("New sanctions on Iran", "Allies agree new sanctions on Iran, says envoy"),  # 4 words: still too short
    ],
)
def test_a_short_release_title_inside_an_item_title_proves_nothing(headline: str, title: str) -> None:
    short = _release("short", headline, "We condemn the attack.", "2026-11-27T09:00:00Z")
    matcher = RelatedMatcher(build_profiles((short, *invented_releases()), NOW), SETTINGS)
    assert matcher.match("k", 1, title, "Another statement.", "", None) == ()
    assert matcher.match("k", 1, headline, "Another statement.", "", None) == ()


def test_a_short_title_taken_whole_proves_nothing(oslo_matcher: RelatedMatcher) -> None:
    short = _release("syria", "Statement on Syria", "We condemn the attack.", "2026-11-27T09:00:00Z")
    matcher = RelatedMatcher(build_profiles((short, *invented_releases()), NOW), SETTINGS)
    assert matcher.match("k", 1, "Statement on Syria", "Another statement.", "", None) == ()


def test_a_stock_headline_is_a_pickup_only_where_it_stands_apart_in_the_title() -> None:
    """A re-check: with a release "Statement by the Prime Minister", every item whose title began with those words
    ("… on Ukraine") was its pickup."""
    stock = _release("pm", "Statement by the Prime Minister", "On the fishing fleet.", "2026-11-27T09:00:00Z")
    matcher = RelatedMatcher(build_profiles((stock, *invented_releases()), NOW), SETTINGS)

    def kinds(title: str) -> list[str]:
        return [m.kind for m in matcher.match("k", 1, title, "Short.", "", None)]

    assert kinds("Statement by the Prime Minister on Ukraine") == []
    assert kinds("Live: Statement by the Prime Minister after COBRA") == []
    assert kinds("Statement by the Prime Minister") == ["pickup"]
    assert kinds("In full: Statement by the Prime Minister") == ["pickup"]


STOCK = "Statement by the Prime Minister"


@pytest.mark.parametrize(
    ("days_ago", "picked"),
    [
        ((1,), ["stock-0"]),
        ((1, 2), ["stock-0", "stock-1"]),  # two releases under one title: a pickup of either
        ((1, 2, 3), []),  # three: a stock title, not our headline
        ((1, 30, 60), []),  # three of the corpus, one of them watched
    ],
)
def test_a_title_three_releases_share_is_no_headline_pickup(days_ago: tuple[float, ...], picked: list[str]) -> None:
    """A re-check: with three releases "Statement by the Prime Minister", another government's item under that title
    was a pickup of each."""
    releases = [
        _release(f"stock-{n}", STOCK, f"On topic {n}.", (NOW - timedelta(days=days)).isoformat())
        for n, days in enumerate(days_ago)
    ]
    matcher = RelatedMatcher(build_profiles(releases, NOW), SETTINGS)
    content = "The Prime Minister of Canada said today that Ottawa will host the summit."
    for title in (STOCK, f"LIVE: {STOCK.upper()}"):
        found = matcher.match("k", 1, title, "", content, "https://pm.gc.ca/en/news/statements/x")
        assert sorted(m.subject.rsplit(":", 1)[1] for m in found if m.kind == "pickup") == picked, title


def test_a_huge_release_is_profiled_from_its_first_hundred_thousand_characters() -> None:
    """A re-check: releases of 14 MB each kept the watch round busy for minutes, profiling every word."""
    from feeds.watch.terms import PROFILE_CHARS

    opening = "The harbour master of Port Ellen said the new pier will open to ferries in the spring of next year."
    filler = "\n\n".join(
        f"Paragraph {i} of the annexed report lists tonnage figures for the quay." for i in range(60_000)
    )
    closing = "The last paragraph names the contractor chosen for the dredging of the outer harbour entrance."
    huge = _release("report", "Harbour report published in full today", f"{opening}\n\n{filler}\n\n{closing}",
                    "2026-11-27T09:00:00Z")  # fmt: skip
    assert len(huge.body_text) > 40 * PROFILE_CHARS
    (profile,) = build_profiles((huge,), NOW)
    assert len(profile.tokens) < PROFILE_CHARS // 4
    matcher = RelatedMatcher((profile,), SETTINGS)
    assert [m.kind for m in matcher.match("a", 1, "Pier news", opening, "", None)] == ["pickup"]
    assert matcher.match("b", 1, "Dredging news", closing, "", None) == (), "past the profiled part"


@pytest.mark.corpus
def test_keyword_and_related_matchers_split_an_items_texts_once_between_them(
    matcher: RelatedMatcher, moscow: Release, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With keyword rules and releases both, `match_item` splits an item's title, summary and content into words
    once and hands both matchers the same lists (each split them before); what each finds is what it finds alone."""
    from feeds.watch import matching, text
    from feeds.watch.match import compile_rules

    feed = WatchedFeed(
        id=7, url="https://news.example.com/f.xml", title="", tags=(), interval=3600.0, enabled=True, origin="cli"
    )
    keywords = compile_rules([("moscow", "moscow OR lavrov"), ("talks", '"foreign secretary"')])
    both = matching.Matchers(keywords, matcher, frozenset(), {})
    split: list[str] = []

    def counted(text: str) -> list[str]:
        split.append(text)
        return fold_words(text)

    for item in feed_items(moscow):
        record = as_record(item)
        alone = [
            *matching.match_item(matching.Matchers(keywords, None, frozenset(), {}), feed, record),
            *matching.match_item(matching.Matchers(None, matcher, frozenset(), {}), feed, record),
        ]
        split.clear()
        # (every split through a memo is counted: one of the related matcher's own would count each text twice)
        monkeypatch.setattr(text, "fold_words", counted)
        assert matching.match_item(both, feed, record) == alone
        monkeypatch.undo()
        texts = [t for t in (item.title, item.summary, item.content) if t]
        assert sorted(split) == sorted(set(texts)), item.key
