"""Dates in a release as a press officer's drop folder gives them: datelines with a zone we do not read or a time
we cannot read, UK time, and numbers for dates (Unix times) in a JSON file, front matter or a push."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from feeds.config import Site, TopicSettings
from feeds.errors import InvalidReleaseError
from feeds.ingest.formats import parse_release_file
from feeds.model import Release
from feeds.normalise import normalise_release
from feeds.web.validate import raws_from_value

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)


def release_of(text: str, name: str, tz: str = "Europe/London") -> Release:
    site = Site(title="Harbour", base_url="https://press.example.org/", author="Harbour", language="en-GB", timezone=tz)
    (raw,) = parse_release_file(text.encode(), name, source="inbox", origin=f"/srv/inbox/{name}")
    return normalise_release(raw, site, TopicSettings(), NOW)


@pytest.mark.parametrize("zone", ["MSK", "JST", "AEDT", "SAST"])
def test_a_dateline_with_a_zone_we_do_not_read_is_refused_naming_body_not_dated_at_ingest(zone: str) -> None:
    text = f"Fleet talks\n\nMOSCOW, 3 November 2026 10:00 {zone} – The talks open today in the capital.\n"
    with pytest.raises(InvalidReleaseError) as caught:
        release_of(text, "talks.txt")
    message = str(caught.value)
    assert "/srv/inbox/talks.txt" in message and "field 'body'" in message
    assert f"unknown time zone '{zone}'" in message and "offset" in message and "published" in message


def test_a_zone_we_do_not_read_is_the_sites_own_when_it_is_what_its_clocks_say() -> None:
    text = "Fleet talks\n\nMOSCOW, 3 November 2026 10:00 MSK – The talks open today in the capital.\n"
    assert release_of(text, "talks.txt", tz="Europe/Moscow").published == datetime(2026, 11, 3, 7, tzinfo=UTC)


def test_a_dateline_in_cet_is_read_at_its_offset() -> None:
    text = "Fleet talks\n\nBRUSSELS, 3 November 2026 09:00 CET – The talks open today in the capital.\n"
    assert release_of(text, "talks.txt").published == datetime(2026, 11, 3, 8, tzinfo=UTC)


def test_a_capitalised_word_after_a_dateline_time_is_still_not_a_date_under_a_given_date() -> None:
    text = (
        '{"title": "Fleet talks", "published": "2026-11-03T09:00:00Z",'
        ' "body": "MOSCOW, 3 November 2026 10:00 MSK – The talks open today."}'
    )
    release = release_of(text, "talks.json")
    assert release.published == datetime(2026, 11, 3, 9, tzinfo=UTC)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1793779200", datetime(2026, 11, 4, 8, tzinfo=UTC)),  # seconds
        ("1793779200000", datetime(2026, 11, 4, 8, tzinfo=UTC)),  # milliseconds, as JavaScript writes them
        ("1793779200.5", datetime(2026, 11, 4, 8, tzinfo=UTC)),  # (to the second, as feeds are)
    ],
)
def test_a_number_for_a_date_in_a_json_file_is_a_unix_time_as_from_a_remote_source(
    value: str, expected: datetime
) -> None:
    text = f'{{"title": "Fleet talks", "published": {value}, "updated": {value}, "body": "The talks open."}}'
    release = release_of(text, "talks.json")
    assert release.published == expected and release.updated == expected


def test_a_boolean_for_a_date_is_still_refused() -> None:
    with pytest.raises(InvalidReleaseError, match="field 'published': must be a string"):
        release_of('{"title": "Fleet talks", "published": true, "body": "The talks open."}', "talks.json")


@pytest.mark.parametrize("time", ["10:00 Moscow time", "10:00 (MSK)", "9h00 CET", "10:00 heure de Paris", "10.00 Uhr"])
def test_a_dateline_with_a_time_we_cannot_read_is_refused_naming_it_not_skipped(time: str) -> None:
    text = f"Fleet talks\n\nMOSCOW, 3 November 2026 {time} – The talks open today in the capital.\n"
    with pytest.raises(InvalidReleaseError) as caught:
        release_of(text, "talks.txt")
    message = str(caught.value)
    assert "field 'body'" in message and repr(time) in message and "+03:00" in message and "published" in message


@pytest.mark.parametrize(
    ("time", "tz", "utc_hour"),
    [
        ("10:00 UK time", "Europe/London", 10),  # November: GMT
        ("10:00 UK time", "America/New_York", 10),  # UK time is London's, whatever the site's zone
        ("10am London time", "Asia/Kolkata", 10),
        ("10.30 British time", "Europe/London", 10),
    ],
)
def test_a_dateline_in_uk_time_is_read_in_londons_zone(time: str, tz: str, utc_hour: int) -> None:
    text = f"Fleet talks\n\nLONDON, 3 November 2026 {time} – The talks open today in the capital.\n"
    published = release_of(text, "talks.txt", tz=tz).published
    assert (published.date(), published.hour) == (datetime(2026, 11, 3).date(), utc_hour)


def test_uk_time_in_summer_is_bst() -> None:
    text = "Fleet talks\n\nLONDON, 3 June 2026 10:00 UK time – The talks open today in the capital.\n"
    assert release_of(text, "talks.txt").published == datetime(2026, 6, 3, 9, tzinfo=UTC)


def test_a_dateline_with_a_time_we_cannot_read_is_text_under_a_given_date() -> None:
    text = (
        '{"title": "Fleet talks", "published": "2026-11-03T09:00:00Z",'
        ' "body": "MOSCOW, 3 November 2026 10:00 Moscow time – The talks open today."}'
    )
    release = release_of(text, "talks.json")
    assert release.published == datetime(2026, 11, 3, 9, tzinfo=UTC) and "Moscow time" in release.body_html


def test_the_push_api_reads_a_number_for_a_date_as_a_drop_folder_file_does() -> None:
    sent = {"title": "Fleet talks", "body": "The talks open.", "published": 1793779200, "updated": 1793779200000}
    (((_, raw),), errors) = raws_from_value(sent)
    assert errors == [] and raw.published == raw.updated == "2026-11-04T08:00:00Z"


@pytest.mark.parametrize("value", ["20261103", "-1", "0", "999999999", "99999999999"])
def test_a_number_for_a_date_too_early_to_be_a_releases_unix_time_is_refused_not_dated_1970(value: str) -> None:
    text = f'{{"title": "Fleet talks", "published": {value}, "body": "The talks open."}}'
    with pytest.raises(InvalidReleaseError) as caught:
        release_of(text, "talks.json")
    assert "field 'published'" in str(caught.value) and value in str(caught.value)


@pytest.mark.parametrize("value", ["1793779200", "20261103"])
def test_a_number_for_a_date_in_front_matter_says_to_write_the_date_not_to_quote_the_number(value: str) -> None:
    text = f"---\ntitle: Fleet talks\ndate: {value}\n---\nThe talks open today.\n"
    with pytest.raises(InvalidReleaseError) as caught:
        parse_release_file(text.encode(), "talks.md", source="inbox", origin="/srv/inbox/talks.md")
    message = str(caught.value)
    assert "talks.md:3" in message and "field 'date'" in message and "as a date" in message
    assert "put it in quotes" not in message
