"""feeds.ingest.govuk: GOV.UK content items → RawRelease (identity by URL, lead organisation, history)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from feeds.errors import InvalidReleaseError
from feeds.ingest.formats import parse_release_file
from feeds.ingest.govuk import is_govuk_content_item, release_from_govuk
from feeds.model import RawRelease

ITEM: dict[str, Any] = {
    "base_path": "/government/news/ferry-fares-frozen",
    "content_id": "0d6a2b52-1111-4c1e-9c55-000000000001",
    "schema_name": "news_article",
    "document_type": "press_release",
    "locale": "en",
    "title": "Ferry fares frozen for island residents",
    "description": "Fares on all routes stay at this year's level.",
    "first_published_at": "2025-04-01T08:00:00.000+01:00",
    "public_updated_at": "2025-04-02T10:00:00.000+01:00",
    "details": {
        "body": '<div class="govspeak"><p>Fares on all island routes will be frozen.</p></div>',
        "first_public_at": "2025-04-01T09:30:00.000+01:00",
        "emphasised_organisations": ["org-islands"],
    },
    "links": {
        "organisations": [
            {"content_id": "org-transport", "title": "Department for Transport Services"},
            {"content_id": "org-islands", "title": "Office for the Islands"},
        ],
        "topical_events": [{"title": "Island Week"}],
        "world_locations": [{"title": "Scotland"}],
        "taxons": [{"title": "Transport"}, {"title": "Island Week"}],
    },
}


def govuk(item: dict[str, Any]) -> RawRelease:
    return release_from_govuk(item, source="govuk", origin="ferry.json")


def with_changes(**changes: Any) -> dict[str, Any]:
    item = copy.deepcopy(ITEM)
    for dotted, value in changes.items():
        target = item
        *parents, last = dotted.split("__")
        for key in parents:
            target = target[key]
        if value is None:
            target.pop(last, None)
        else:
            target[last] = value
    return item


def test_fields_of_a_content_item() -> None:
    raw = govuk(ITEM)
    assert raw.title == "Ferry fares frozen for island residents"
    assert raw.summary == "Fares on all routes stay at this year's level."
    assert raw.body == ITEM["details"]["body"]
    assert raw.body_format == "html"
    assert raw.link == "https://www.gov.uk/government/news/ferry-fares-frozen"
    assert raw.source_key is None  # identity is the URL
    assert raw.published == "2025-04-01T09:30:00.000+01:00"  # details.first_public_at wins
    assert raw.updated == "2025-04-02T10:00:00.000+01:00"
    assert raw.language == "en"
    assert raw.document_type == "press_release"
    assert raw.organisation == "Office for the Islands"  # the emphasised one, though listed second
    assert raw.topics == ("Island Week", "Scotland", "Transport")  # deduplicated, in link-group order
    assert raw.withdrawn_at is None and raw.changes == ()


def test_fallbacks() -> None:
    raw = govuk(with_changes(details__first_public_at=None, details__emphasised_organisations=None))
    assert raw.published == "2025-04-01T08:00:00.000+01:00"
    assert raw.organisation == "Department for Transport Services"


@pytest.mark.parametrize(
    ("details_image", "images", "expected"),
    [
        ({"url": "https://assets.example/person.jpg"}, None, "https://assets.example/person.jpg"),
        ({"url": "/government/uploads/person.jpg"}, None, "https://www.gov.uk/government/uploads/person.jpg"),
        (None, [{"type": "lead", "sources": {"s960": "https://assets.example/960.jpg", "s300": "x"}}], "https://assets.example/960.jpg"),
        (None, [{"type": "inline", "sources": {"s960": "https://assets.example/960.jpg"}}], None),
        (None, None, None),
    ],
)  # fmt: skip
def test_image(details_image: Any, images: Any, expected: str | None) -> None:
    assert govuk(with_changes(details__image=details_image, details__images=images)).image == expected


def test_withdrawn_notice_and_change_history() -> None:
    raw = govuk(
        with_changes(
            withdrawn_notice={
                "withdrawn_at": "2026-01-05T12:00:00Z",
                "explanation": '<div><p>Fares were <a href="/x">revised</a>.</p><p>See the new page.</p></div>',
            },
            details__change_history=[
                {"public_timestamp": "2025-04-01T09:30:00.000+01:00", "note": "First published."},
                {"public_timestamp": "2025-04-02T10:00:00Z", "note": "Added the timetable."},
            ],
        )
    )
    assert raw.withdrawn_at == "2026-01-05T12:00:00Z"
    assert raw.withdrawn_note == "Fares were revised.\n\nSee the new page."
    assert raw.changes == (
        ("2025-04-02T10:00:00Z", "Added the timetable."),
        ("2025-04-01T09:30:00.000+01:00", "First published."),
    )


def test_a_withdrawal_note_keeps_only_what_a_page_shows() -> None:
    explanation = "<p>Gone <script>alert(1)</script><style>p{}</style>for good.</p>"
    raw = govuk(with_changes(withdrawn_notice={"withdrawn_at": "2026-01-05T12:00:00Z", "explanation": explanation}))
    assert raw.withdrawn_note == "Gone for good."


def test_an_empty_withdrawn_notice_means_not_withdrawn() -> None:
    raw = govuk(with_changes(withdrawn_notice={}))
    assert raw.withdrawn_at is None and raw.withdrawn_note is None


def test_multi_format_body_uses_the_html_part() -> None:
    body = [
        {"content_type": "text/govspeak", "content": "## Fares"},
        {"content_type": "text/html", "content": "<h2>Fares</h2>"},
    ]
    assert govuk(with_changes(details__body=body)).body == "<h2>Fares</h2>"


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"details__body": None}, "details.body"),
        ({"details__body": "  "}, "details.body"),
        ({"details__body": [{"content_type": "text/govspeak", "content": "x"}]}, "details.body"),
        ({"title": None}, "title"),
        ({"title": 7}, "title"),
        ({"base_path": "government/news/x"}, "base_path"),
        ({"links__organisations": "Office for the Islands"}, "links.organisations"),
        ({"links__taxons": [{"title": ["Transport"]}]}, "links.taxons[0].title"),
        ({"withdrawn_notice": "withdrawn"}, "withdrawn_notice"),
        ({"details__change_history": [{"note": "x"}]}, "details.change_history[0].public_timestamp"),
    ],
)
def test_errors_name_the_json_path(changes: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidReleaseError) as info:
        govuk(with_changes(**changes))
    assert info.value.field == field
    assert info.value.origin == "ferry.json"


@pytest.mark.parametrize(
    ("obj", "expected"),
    [
        (ITEM, True),
        ({"base_path": "/x", "details": {}, "document_type": "news_story"}, True),
        ({"base_path": "/x", "details": {}}, False),
        ({"title": "x", "body": "y"}, False),
        ([ITEM], False),
    ],
)
def test_detection(obj: object, expected: bool) -> None:
    assert is_govuk_content_item(obj) is expected


# --- the corpus ----------------------------------------------------------------------------------------------


def _parse(path: Path) -> RawRelease:
    (raw,) = parse_release_file(path.read_bytes(), path.name, source="corpus", origin=str(path))
    return raw


@pytest.mark.corpus
def test_every_corpus_item_follows_the_field_rules(corpus_releases: Path) -> None:
    items = sorted(corpus_releases.glob("govuk-*.json"))
    assert len(items) == 32
    for path in items:
        raw = _parse(path)
        item = json.loads(path.read_text(encoding="utf-8"))
        assert raw.body == item["details"]["body"].strip(), path.name
        assert raw.published == item["details"].get("first_public_at", item.get("first_published_at")), path.name
        assert raw.language == item["locale"], path.name
        assert raw.document_type == item["document_type"], path.name
        assert raw.link == "https://www.gov.uk" + item["base_path"], path.name
        assert raw.image is None or raw.image.startswith("https://"), path.name
        assert raw.source_key is None


@pytest.mark.corpus
def test_corpus_translation_is_its_own_release(corpus_releases: Path) -> None:
    urdu = _parse(corpus_releases / "govuk-news-story-pm-christmas-message-2016-urdu.json")
    english = _parse(corpus_releases / "govuk-news-story-pm-christmas-message-2016.json")
    assert urdu.language == "ur"
    assert urdu.link is not None and urdu.link.endswith(".ur")
    assert urdu.link != english.link
    assert english.language == "en"


@pytest.mark.corpus
def test_corpus_withdrawn_variant(corpus_releases: Path) -> None:
    raw = _parse(corpus_releases / "govuk-news-story-pm-christmas-message-2016-withdrawn-variant.json")
    assert raw.withdrawn_at == "2019-08-22T10:29:02+01:00"
    assert raw.withdrawn_note and "<" not in raw.withdrawn_note
    assert _parse(corpus_releases / "govuk-news-story-pm-christmas-message-2016.json").withdrawn_at is None


@pytest.mark.corpus
def test_corpus_change_history(corpus_releases: Path) -> None:
    raw = _parse(corpus_releases / "govuk-news-story-cde-innovation-network-event.json")
    assert len(raw.changes) == 3
    assert [at[:10] for at, _ in raw.changes] == ["2015-07-13", "2015-04-30", "2015-03-25"]  # newest first
    assert raw.organisation == "Centre for Defence Enterprise"  # emphasised, though listed second


@pytest.mark.corpus
def test_corpus_topics_and_relative_images(corpus_releases: Path) -> None:
    assert _parse(corpus_releases / "govuk-world-location-news-cameroon-scholarship.json").topics == ("Cameroon",)
    queens = _parse(corpus_releases / "govuk-speech-queens-speech-2016.json")
    assert queens.topics == ("Queen's Speech 2016",)
    stop_and_search = _parse(corpus_releases / "govuk-oral-statement-police-stop-and-search.json")
    assert stop_and_search.image is not None
    assert stop_and_search.image.startswith("https://www.gov.uk/government/uploads/")


def test_world_news_is_issued_by_its_embassy_or_high_commission() -> None:
    item = {**ITEM, "details": {**ITEM["details"], "emphasised_organisations": []}}
    item["links"] = {"worldwide_organisations": [{"title": "British High Commission Yaounde"}], "organisations": []}
    assert govuk(item).organisation == "British High Commission Yaounde"


def test_every_corpus_world_news_item_names_its_issuer(corpus_releases) -> None:
    found = 0
    for path in sorted(corpus_releases.glob("govuk-world*.json")):
        (raw,) = parse_release_file(path.read_bytes(), path.name, source="govuk", origin=str(path))
        assert raw.organisation, path.name
        found += 1
    assert found >= 3
