"""feeds.watch.related precision: patterns that made items look like coverage of a release they are not about.

Releases and items here are of our own writing; each reproduces a pattern seen when every feed of the corpus was
matched against every release of the corpus (a news item naming a country and its people, and nothing else of
the release, is about that country, not about our release)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from feeds.config import Site, TopicSettings
from feeds.ingest.formats import parse_release_file
from feeds.model import RawRelease, Release
from feeds.normalise import normalise_release
from feeds.watch.profiles import build_profiles
from feeds.watch.related import RelatedMatcher, RelatedSettings

SITE = Site(
    title="Press Office",
    base_url="https://press.example.org/",
    author="Press Office",
    language="en-GB",
    timezone="Europe/London",
)
TOPICS = TopicSettings(detect=())
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
SETTINGS = RelatedSettings(own_domains=("press.example.org",))

CHILE = """Trade envoy Marta Quill arrives in Chile today. Chilean mining companies will meet her in Santiago.

Chile is a large copper producer, and Chilean officials welcome the visit."""

OTHERS = (
    (
        "bridge-inspections",
        "Bridge inspections begin on the A30",
        "Highways engineers begin inspections of six bridges on the A30 near Bodmin this week.",
    ),
    (
        "library-hours",
        "Longer library opening hours in Carlisle",
        "Carlisle Library will open until eight in the evening from Monday, the council said.",
    ),
    (
        "ferry-timetable",
        "Winter ferry timetable for the Hebrides",
        "CalMac publishes the winter timetable for Hebridean ferries, with fewer sailings to Barra.",
    ),
)


def release(slug: str, title: str, body: str, language: str | None = None) -> Release:
    """A release of `body`, sent on 26 November 2026 (also for tests/test_watch_pickup_recall.py)."""
    raw = RawRelease(
        origin=f"/srv/inbox/{slug}.txt",
        source="inbox",
        title=title,
        body=body,
        published="2026-11-26T09:00:00Z",
        slug=slug,
        language=language,
    )
    return normalise_release(raw, SITE, TOPICS, NOW)


def _matcher() -> tuple[RelatedMatcher, Release]:
    chile = release("trade-envoy-santiago", "Trade envoy visits Chile", CHILE)
    releases = (chile, *(release(*r) for r in OTHERS))
    return RelatedMatcher(build_profiles(releases, NOW, 14), SETTINGS), chile


def test_a_country_and_its_people_are_one_shared_name_not_two() -> None:
    matcher, chile = _matcher()
    (profile,) = (p for p in matcher.profiles if p.release_id == chile.id)
    terms = {t.text for t in profile.terms}
    assert {"Chile", "Chilean"} <= terms
    # A story about Chile, naming the country and its people, and nothing else of our release.
    item = ("Chilean farmers protest water shortage", "Farmers across Chile blocked roads on Tuesday.", "")
    assert matcher.match("chile-story", 1, *item, "https://news.example/chile") == ()
    # With one more name of the release, it is coverage, and the country still counts.
    covered = matcher.match(
        "forum-story",
        1,
        "Chilean miners meet trade envoy in Santiago",
        "Marta Quill came to Chile for talks.",
        "",
        "https://news.example/forum",
    )
    assert [(m.kind, m.subject) for m in covered] == [("related", chile.id)]
    assert "Chilean" in covered[0].why and "Chile " in covered[0].why


@pytest.mark.corpus
def test_the_people_of_a_place_named_inside_a_longer_name_still_count_as_the_place(corpus_releases: Path) -> None:
    # The model release names "Russia", "Russian" and "Russian Foreign Minister": "Russian" alone is a form of
    # the longer name, and yet, written alone, it is Russia again, not a second name shared with the release.
    path = corpus_releases / "foreign-secretary-to-visit-moscow.txt"
    (raw,) = parse_release_file(path.read_bytes(), path.name, source="examples", origin=str(path))
    moscow = normalise_release(raw, SITE, TOPICS, NOW - timedelta(days=1))
    others = (release(*r) for r in OTHERS)
    profiles = build_profiles((moscow, *others), NOW, 14)
    (profile,) = (p for p in profiles if p.release_id == moscow.id)
    assert {"Russia", "Russian", "Russian Foreign Minister"} <= {t.text for t in profile.terms}
    anything = RelatedMatcher(profiles, RelatedSettings(min_score=0.0))
    story = ("Russia inquiry: the questions answered", "What Russian hackers did, and what comes next.", "")
    assert anything.match("inquiry", 1, *story, "https://news.example/inquiry") == ()
    with_lavrov = ("Russia inquiry widens", "Russian officials met Sergei Lavrov.", "")
    assert [m.kind for m in anything.match("lavrov", 1, *with_lavrov, "https://news.example/l")] == ["related"]


STATEMENT = """I am today announcing to the House new training standards for police officers in England.

The College of Policing will write the standards with chief constables. The College will publish them in the
spring, and the House will debate them before the summer. Constable training at Hendon will follow the College
guidance from next year, as the House asked in its report."""


def test_a_head_word_alone_is_no_name_the_house_the_college() -> None:
    # "the House" (of Commons) and "the College" (of Policing) are written capitalised, alone, again and again:
    # any story about the White House or a college has them too.
    statement = release("police-training-statement", "Statement on police training standards", STATEMENT)
    releases = (statement, *(release(*r) for r in OTHERS))
    profiles = build_profiles(releases, NOW, 14)
    (profile,) = (p for p in profiles if p.release_id == statement.id)
    assert profile.terms[[t.text for t in profile.terms].index("College of Policing")].kind == "name"
    assert {t.kind for t in profile.terms if t.text in {"House", "College"}} <= {"word"}
    anything = RelatedMatcher(profiles, RelatedSettings(min_score=0.0))
    story = ("House backs college loans", "The White House welcomed the vote at Dartmouth College.", "")
    assert anything.match("us-story", 1, *story, "https://news.example/us") == ()
    covered = ("Police training overhaul", "The College of Policing will set standards for Hendon recruits.", "")
    assert [m.subject for m in anything.match("uk", 1, *covered, "https://news.example/uk")] == [statement.id]


BORDER = """The UK and Norway signed a border data agreement in Oslo today. Britain will share passenger data with
Norwegian border officers, and the UK Border Force will train staff at Oslo airport.

Border Minister Tom Hale said the agreement would help Britain and Norway stop smuggling gangs."""


def test_one_country_under_its_names_uk_and_britain_is_one_shared_name() -> None:
    border = release("uk-norway-border-data", "UK and Norway sign border data agreement", BORDER)
    releases = (border, *(release(*r) for r in OTHERS))
    profiles = build_profiles(releases, NOW, 14)
    (profile,) = (p for p in profiles if p.release_id == border.id)
    assert {"UK", "Britain"} <= {t.text for t in profile.terms}
    anything = RelatedMatcher(profiles, RelatedSettings(min_score=0.0))
    story = ("Britain braces for storm", "Forecasters in the UK warn of gales on Friday.", "")
    assert anything.match("weather", 1, *story, "https://news.example/weather") == ()
    covered = ("Norway and Britain to share passenger data", "Oslo airport staff will be trained.", "")
    assert [m.subject for m in anything.match("deal", 1, *covered, "https://news.example/deal")] == [border.id]
