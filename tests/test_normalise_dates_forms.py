"""Dates as people write them: am/pm after a named month, 24:00, noon and midnight, IST, GMT offsets, ISO week
dates, RFC 2822 comments, and times the clocks skip or repeat in every office's zone."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from feeds.config import Site, TopicSettings
from feeds.errors import InvalidReleaseError
from feeds.ingest.formats import parse_release_file
from feeds.model import Release
from feeds.normalise import normalise_release
from feeds.normalise.datelines import opening_date
from feeds.normalise.dates import clock_change_guess, parse_date

LONDON = ZoneInfo("Europe/London")
NEW_YORK = ZoneInfo("America/New_York")
KOLKATA = ZoneInfo("Asia/Kolkata")


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("value", "tz", "expected"),
    [
        # "am"/"pm" after the time, in a date with its month's name: not a zone (read as one, it was refused as
        # "unknown time zone 'am'", and a dateline so written left its release dated at its ingest)
        ("8 March 2026 2:30am", NEW_YORK, utc(2026, 3, 8, 7, 30)),  # the clocks' gap: the offset before (EST)
        ("1 November 2026 1:30 pm", LONDON, utc(2026, 11, 1, 13, 30)),
        ("Sunday 1 November 2026 1:30pm", KOLKATA, utc(2026, 11, 1, 8, 0)),
        ("25 Oct 2026 1:30am", LONDON, utc(2026, 10, 25, 0, 30)),  # twice that night: the first (BST)
        ("1 Nov 2026 10:00 a.m.", NEW_YORK, utc(2026, 11, 1, 15)),
    ],
)
def test_am_pm_after_a_named_month_is_the_time_of_day(value: str, tz: ZoneInfo, expected: datetime) -> None:
    assert parse_date(value, tz) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # 24:00 is the end of the day written (ISO 8601-1:2019 §5.3.2), the start of the next: not ambiguous as
        # "midnight" is. Here the next day is the one the clocks go forward (London, 29 March 2026).
        ("2026-03-28T24:00:00", utc(2026, 3, 29, 0, 0)),
        ("2026-03-28T24:00", utc(2026, 3, 29, 0, 0)),
        ("2026-06-30T24:00:00Z", utc(2026, 7, 1, 0, 0)),
        ("24:00 Saturday 28 March 2026", utc(2026, 3, 29, 0, 0)),  # the weekday is the day written's
        ("31 December 2026 24:00 BST", None),  # BST is not kept in December: refused as for 23:00 BST
        ("30 June 2026 24.00", utc(2026, 6, 30, 23, 0)),
    ],
)
def test_24_00_is_the_end_of_the_day_written(value: str, expected: datetime | None) -> None:
    if expected is None:
        with pytest.raises(ValueError, match="BST was not in force"):
            parse_date(value, LONDON)
    else:
        assert parse_date(value, LONDON) == expected


@pytest.mark.parametrize("value", ["2026-03-28T24:30:00", "2026-03-28T24:00:01", "28 March 2026 24:01"])
def test_24_with_minutes_or_seconds_is_no_time(value: str) -> None:
    with pytest.raises(ValueError, match=r"hour must be in 0\.\.23"):
        parse_date(value, LONDON)


def test_24_00_with_a_weekday_of_the_next_day_is_refused() -> None:
    with pytest.raises(ValueError, match="names Sunday, but 28 March 2026 is a Saturday"):
        parse_date("24:00 Sunday 28 March 2026", LONDON)


@pytest.mark.parametrize(
    ("value", "tz", "said"),
    [
        # the hour the clocks go forward: a time that never happens, read with the offset before the change
        ("2026-03-29 01:30", LONDON, "01:30 on 29 March 2026 never happens in Europe/London"),
        ("29 March 2026 01:30", LONDON, "read as 01:30 GMT (02:30 BST, 01:30 UTC)"),
        ("00:01 29 MARCH 2026", LONDON, None),  # before the change: no guess
        ("2026-03-29T01:30:00Z", LONDON, None),  # a zone given: no guess
        ("8 March 2026 2:30am", NEW_YORK, "read as 02:30 EST (03:30 EDT, 07:30 UTC)"),
        (datetime(2026, 3, 29, 1, 30), LONDON, "never happens"),  # a YAML or TOML timestamp without a zone
        # the hour the clocks go back: a time that happens twice, read as the first
        ("25 October 2026 01:30", LONDON, "01:30 on 25 October 2026 happens twice in Europe/London"),
        ("2026-10-25T01:30", LONDON, "read as the first, 01:30 BST (00:30 UTC): write 01:30 GMT for the second"),
        ("25 October 2026 01:30 BST", LONDON, None),
        ("25 October 2026 01:30 GMT", LONDON, None),
        ("2026-10-25T01:30:00+00:00", LONDON, None),
        ("1 November 2026 1:30am", NEW_YORK, "read as the first, 01:30 EDT (05:30 UTC)"),
        ("2026-10-25T01:30", KOLKATA, None),  # no clock changes there
        ("2026-03-29", LONDON, None),
    ],
)
def test_a_time_the_clocks_skip_or_repeat_is_said_to_be_a_guess(
    value: str | datetime, tz: ZoneInfo, said: str | None
) -> None:
    guess = clock_change_guess(value, tz, parse_date(value, tz))
    if said is None:
        assert guess is None
    else:
        assert guess is not None and said in guess


NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)
GAP_LONDON, FOLD_LONDON = "2026-03-29T01:30:00", "2026-10-25T01:30"
FILES = {
    "gap.md": f"---\ntitle: Ferry timetable\ndate: {GAP_LONDON}\n---\nThe new timetable starts today.\n",
    "gap.toml.md": f'+++\ntitle = "Ferry timetable"\ndate = {GAP_LONDON}\n+++\nThe new timetable starts today.\n',
    "gap.json": f'{{"title": "Ferry timetable", "published": "{GAP_LONDON}", "body": "The timetable starts."}}',
    "fold.html": (
        f'<html><head><meta property="article:published_time" content="{FOLD_LONDON}"></head>'
        "<body><h1>Ferry timetable</h1><p>The new timetable starts today, the harbour said.</p></body></html>"
    ),
    "fold.txt": "Ferry timetable\n\nLONDON, 25 October 2026 01:30 – The new timetable starts today.\n",
    "gap-embargo.txt": "EMBARGOED UNTIL 01:30 29 MARCH 2026\n\nFerry timetable\n\nThe new timetable starts today.\n",
    "am.txt": "Ferry timetable\n\nLONDON, 25 October 2026 1:30am – The new timetable starts today.\n",
    "ist.txt": "Ferry timetable\n\nNEW DELHI, 29 November 2026 10:00 IST – The new timetable starts today.\n",
    "withdrawn.json": (
        '{"title": "Ferry timetable", "published": "2026-10-01T09:00:00Z", "body": "The timetable starts.",'
        ' "withdrawn_at": "25 October 2026 01:30", "withdrawn_note": "Replaced by the winter timetable."}'
    ),
}
SAID = {"gap": "never happens in Europe/London", "fold": "happens twice in Europe/London"}


def release_of(name: str, tz: str = "Europe/London", now: datetime = NOW) -> Release:
    site = Site(title="Harbour", base_url="https://press.example.org/", author="Harbour", language="en-GB", timezone=tz)
    origin = f"/srv/inbox/{name}"
    (raw,) = parse_release_file(FILES[name].encode(), name.replace(".toml", ""), source="inbox", origin=origin)
    return normalise_release(raw, site, TopicSettings(), now)


@pytest.mark.parametrize(
    ("name", "field", "expected"),
    [
        ("gap.md", "published", utc(2026, 3, 29, 1, 30)),
        ("gap.toml.md", "published", utc(2026, 3, 29, 1, 30)),
        ("gap.json", "published", utc(2026, 3, 29, 1, 30)),
        ("gap-embargo.txt", "published", utc(2026, 3, 29, 1, 30)),
        ("fold.html", "published", utc(2026, 10, 25, 0, 30)),
        ("fold.txt", "body", utc(2026, 10, 25, 0, 30)),
        ("am.txt", "body", utc(2026, 10, 25, 0, 30)),  # (was dated at its ingest: "1:30am" read as a zone)
    ],
)
def test_every_form_reads_a_time_the_clocks_skip_or_repeat_by_the_rule_and_warns_naming_file_and_field(
    name: str, field: str, expected: datetime
) -> None:
    release = release_of(name)
    assert release.published == expected
    assert release.ingest_warning is not None
    assert f"/srv/inbox/{name}" in release.ingest_warning
    assert f"field '{field}'" in release.ingest_warning
    assert SAID["gap" if name.startswith("gap") else "fold"] in release.ingest_warning


@pytest.mark.parametrize("name", ["gap.json", "fold.txt"])
def test_no_warning_where_the_clocks_do_not_change(name: str) -> None:
    assert release_of(name, "Asia/Kolkata").ingest_warning is None


def test_the_tag_id_is_the_utc_day_of_first_publication_whatever_the_office() -> None:
    # 25 October 2026 01:30 local: in Kolkata the evening before in UTC, in London and New York the same day
    ids = {tz: release_of("fold.txt", tz).id for tz in ("Europe/London", "America/New_York", "Asia/Kolkata")}
    assert ids["Europe/London"].split(",")[1].startswith("2026-10-25:")
    assert ids["America/New_York"].split(",")[1].startswith("2026-10-25:")
    assert ids["Asia/Kolkata"].split(",")[1].startswith("2026-10-24:")


@pytest.mark.parametrize(
    ("dropped_at", "embargo", "due"),
    [
        # written in GMT's winter, lifting in summer time: 09:00 BST is 08:00 UTC, not an hour late
        (utc(2026, 3, 27, 12), "EMBARGOED UNTIL 09:00 MONDAY 30 MARCH 2026", utc(2026, 3, 30, 8)),
        # in the hour the clocks repeat: the second 01:30 (GMT), the later, as for every not-before time
        (utc(2026, 10, 24, 12), "EMBARGOED UNTIL 01:30 25 OCTOBER 2026", utc(2026, 10, 25, 1, 30)),
        # in the hour the clocks skip: 01:30 GMT (02:30 BST)
        (utc(2026, 3, 28, 12), "Embargoed until 01.30 on 29 March 2026", utc(2026, 3, 29, 1, 30)),
        # written in summer, lifting in winter: 00:01 GMT
        (utc(2026, 10, 20, 12), "EMBARGOED UNTIL 00:01 THURSDAY 29 OCTOBER 2026", utc(2026, 10, 29, 0, 1)),
    ],
)
def test_an_embargo_across_a_clock_change_lifts_exactly_when_due(
    make_settings, make_app_for, clock, dropped_at: datetime, embargo: str, due: datetime
) -> None:
    from feeds.ingest import run_ingest
    from feeds.publish import run_publish

    settings = make_settings()  # (site.timezone = "Europe/London")
    app = make_app_for(settings)
    clock.set(dropped_at)
    inbox = settings.source("inbox").path
    (inbox / "ferry.txt").write_text(f"{embargo}\n\nFerry timetable\n\nThe new timetable starts.\n", encoding="utf-8")
    assert [o.status for o in run_ingest(app).outcomes] == ["created"]
    report = run_publish(app)
    assert (report.held, report.held_until) == (1, due)
    clock.set(due - timedelta(seconds=1))
    assert run_publish(app).held == 1
    assert not (settings.paths.out / "releases" / "ferry-timetable").exists()
    clock.set(due)
    assert run_publish(app).held == 0
    assert (settings.paths.out / "releases" / "ferry-timetable" / "index.html").exists()


@pytest.mark.parametrize(
    "value",
    ["2026-11-29 10:00 IST", "29 November 2026 10:00 IST", "Sun, 29 Nov 2026 10:00:00 IST", "10:00 (IST) 29/11/2026"],
)
def test_ist_is_refused_saying_why_and_what_to_write(value: str) -> None:
    """IST is Indian, Irish or Israeli: an office whose zone is none of them was told only "unknown time zone 'IST'"."""
    with pytest.raises(ValueError, match=r"'IST' is Indian, Irish or Israeli time: write its offset \(\+05:30"):
        parse_date(value, LONDON)


DUBLIN = ZoneInfo("Europe/Dublin")


@pytest.mark.parametrize(
    ("value", "tz", "expected"),
    [
        # the site's own zone's name for its time that day is not ambiguous there: IST in Kolkata is Indian
        ("2026-11-29 10:00 IST", KOLKATA, utc(2026, 11, 29, 4, 30)),
        ("29 November 2026 10:00 IST", KOLKATA, utc(2026, 11, 29, 4, 30)),
        ("Sun, 29 Nov 2026 10:00:00 IST", KOLKATA, utc(2026, 11, 29, 4, 30)),
        ("10:00 (IST) 29/11/2026", KOLKATA, utc(2026, 11, 29, 4, 30)),
        ("1 July 2026 10:00 IST", DUBLIN, utc(2026, 7, 1, 9)),  # Irish Standard Time, Dublin's summer
    ],
)
def test_ist_is_the_sites_own_time_where_its_zone_calls_it_so(value: str, tz: ZoneInfo, expected: datetime) -> None:
    assert parse_date(value, tz) == expected


def test_ist_on_a_date_the_sites_zone_calls_otherwise_is_refused() -> None:
    with pytest.raises(ValueError, match="'IST' is Indian, Irish or Israeli time"):
        parse_date("1 December 2026 10:00 IST", DUBLIN)  # (Dublin keeps GMT in winter)


def test_an_unknown_zone_says_what_to_write() -> None:
    with pytest.raises(
        ValueError, match=r"unknown time zone .MSK.: write its offset instead \(as 10:00 \+05:30\), or no zone"
    ):
        parse_date("29 November 2026 10:00 MSK", LONDON)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # "GMT+5:30" is 5½ hours ahead of GMT wherever it stands: before the date, it went to dateutil, which reads it
        # the POSIX way (the sign reversed), 11 hours off without a word
        ("EMBARGOED 10:00 GMT+5:30 29 March 2026", utc(2026, 3, 29, 4, 30)),
        ("10:00 GMT+1 29 November 2026", utc(2026, 11, 29, 9)),
        ("10:00 UTC-5, Sunday 29 November 2026", utc(2026, 11, 29, 15)),
        ("29 November 2026 10:00 UTC+05:30", utc(2026, 11, 29, 4, 30)),
    ],
)
def test_a_gmt_offset_before_the_date_is_ahead_of_gmt(value: str, expected: datetime) -> None:
    assert parse_date(value.removeprefix("EMBARGOED "), LONDON) == expected


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # ISO 8601 week dates (§5.2.3): week 43's Sunday is 25 October 2026, the night the clocks go back
        ("2026-W43-7", utc(2026, 10, 24, 23)),
        ("2026W437", utc(2026, 10, 24, 23)),
        ("2026-W43-7T01:30", utc(2026, 10, 25, 0, 30)),
        ("2026-W53-4T10:00Z", utc(2026, 12, 31, 10)),  # (2026 has 53 ISO weeks; the 31st is a Thursday)
    ],
)
def test_an_iso_week_date_is_read(value: str, expected: datetime) -> None:
    assert parse_date(value, LONDON) == expected


@pytest.mark.parametrize(
    ("value", "words"),
    [
        ("2026-W43", "a week, not a day: give the day (2026-W43-1 is its Monday)"),
        ("2025-W53-1", "2025 has no week 53"),
        ("25/10/26 01:30", "the year '26' has two digits: write it in full (2026, or 1926)"),
        ("29 March 26 10:00", "the year '26' has two digits"),
        ("EMBARGOED 00:01 Sunday 29 Mar. 26", "the year '26' has two digits"),
    ],
)
def test_a_week_or_a_two_digit_year_is_refused_saying_what_to_write(value: str, words: str) -> None:
    with pytest.raises(ValueError) as e:
        parse_date(value.removeprefix("EMBARGOED "), LONDON)
    assert words in str(e.value)


@pytest.mark.parametrize(
    ("value", "tz", "expected"),
    [
        # 12am is the start of the day written, 12pm its noon (as clocks show them); "noon" and "midday" are 12:00
        ("12am Sunday 25 October 2026", LONDON, utc(2026, 10, 24, 23)),
        ("12pm Sunday 25 October 2026", LONDON, utc(2026, 10, 25, 12)),
        ("12.00pm 8 March 2026", NEW_YORK, utc(2026, 3, 8, 16)),
        ("Midday, 1 January 2027", KOLKATA, utc(2027, 1, 1, 6, 30)),
        ("12 noon 31 December 2026", KOLKATA, utc(2026, 12, 31, 6, 30)),
    ],
)
def test_12am_12pm_and_noon(value: str, tz: ZoneInfo, expected: datetime) -> None:
    assert parse_date(value, tz) == expected


@pytest.mark.parametrize(
    "value", ["midnight 28 March 2026", "12 midnight, Saturday 28 March 2026", "28/03/2026 Midnight"]
)
def test_midnight_is_refused_saying_what_to_write(value: str) -> None:
    with pytest.raises(ValueError, match="write 00:01 or 23:59"):
        parse_date(value, LONDON)


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        # RFC 2822 §3.3 allows a comment after the zone, as mail programs write it ("+0100 (BST)"): it was refused
        ("Wed, 3 Jun 2026 10:00:00 +0100 (BST)", utc(2026, 6, 3, 9)),
        ("Wed 3 Jun 2026 10:00:00 +0000 (GMT)", utc(2026, 6, 3, 10)),
        ("Sun, 1 Nov 2026 01:30:00 -0500 (EST)", utc(2026, 11, 1, 6, 30)),  # the second 01:30 in New York
    ],
)
def test_an_rfc_2822_comment_after_the_zone_is_left_out(value: str, expected: datetime) -> None:
    assert parse_date(value, NEW_YORK) == expected


def test_a_withdrawal_time_the_clocks_repeat_is_said_to_be_a_guess() -> None:
    release = release_of("withdrawn.json", now=utc(2026, 11, 1))
    assert release.withdrawn_at == utc(2026, 10, 25, 0, 30)
    assert release.ingest_warning is not None and "field 'withdrawn_at'" in release.ingest_warning
    assert "happens twice in Europe/London" in release.ingest_warning


@pytest.mark.parametrize(
    ("paragraph", "tz", "expected"),
    [
        # datelines with a time parse_date reads but the dateline's grammar did not: the release was dated at its ingest
        ("NEW DELHI, 29 November 2026 10:00 IST – The Minister said.", KOLKATA, utc(2026, 11, 29, 4, 30)),
        ("LONDON, 29 November 2026 10:00 GMT+1 – The Minister said.", LONDON, utc(2026, 11, 29, 9)),
        ("LONDON, 29 November 2026, 12 noon – The Minister said.", LONDON, utc(2026, 11, 29, 12)),
        ("NEW YORK, Nov. 29, 2026 at midday – The Mayor said.", NEW_YORK, utc(2026, 11, 29, 17)),
    ],
)
def test_a_dateline_with_a_zone_offset_or_noon_dates_it(paragraph: str, tz: ZoneInfo, expected: datetime) -> None:
    found = opening_date([paragraph], tz)
    assert found is not None and found.when == expected
    assert found.rest.startswith("The ")


def test_a_dateline_in_ist_dates_the_release_in_kolkata_and_is_refused_saying_why_in_london() -> None:
    assert release_of("ist.txt", "Asia/Kolkata", now=utc(2026, 11, 29, 12)).published == utc(2026, 11, 29, 4, 30)
    with pytest.raises(InvalidReleaseError) as e:
        release_of("ist.txt", "Europe/London", now=utc(2026, 11, 29, 12))
    assert "field 'body'" in str(e.value) and "'IST' is Indian, Irish or Israeli time" in str(e.value)


def test_an_embargo_in_ist_is_refused_naming_the_value_where_it_is_not_the_sites_time() -> None:
    with pytest.raises(ValueError, match=r"'00:01 IST 3 December 2026': 'IST' is Indian, Irish or Israeli"):
        parse_date("00:01 IST 3 December 2026", LONDON)
