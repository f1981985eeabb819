"""Embargoes (not-before times) on the nights the clocks change: a wall time the clocks repeat is read as its later
reading, so the release never goes public an hour early; one they skip is shifted forward (the offset before the
change), which is also the later reading. A `published` time keeps the documented rule (the first reading)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from feeds.config import Site, TopicSettings
from feeds.ingest.formats import parse_release_file
from feeds.model import Release
from feeds.normalise import normalise_release
from feeds.normalise.dates import clock_change_guess, parse_date

NOW = datetime(2026, 3, 1, 12, tzinfo=UTC)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def release_of(name: str, text: str, tz: str = "Europe/London") -> Release:
    site = Site(title="Harbour", base_url="https://press.example.org/", author="Harbour", language="en-GB", timezone=tz)
    (raw,) = parse_release_file(text.encode(), name, source="inbox", origin=f"/srv/inbox/{name}")
    return normalise_release(raw, site, TopicSettings(), NOW)


def embargoed(line: str) -> dict[str, str]:
    return {
        "e.txt": f"{line}\n\nFerry timetable\n\nThe new timetable starts today.\n",
        "e.md": f"**{line}**\n\n# Ferry timetable\n\nThe new timetable starts today.\n",
        "e.front.md": f"---\ndate: 2026-01-01\n---\n{line}\n\n# Ferry timetable\n\nThe new timetable starts today.\n",
        "e.html": (
            f"<html><body><h1>Ferry timetable</h1><p>{line}</p>"
            "<p>The new timetable starts today, the harbour said.</p></body></html>"
        ),
    }


@pytest.mark.parametrize(
    ("tz", "line", "due"),
    [
        # the autumn night in London: 01:30 BST (00:30 UTC), then 01:30 GMT (01:30 UTC): the later
        ("Europe/London", "EMBARGOED UNTIL 01:30 25 OCTOBER 2026", utc(2026, 10, 25, 1, 30)),
        ("Europe/London", "Not for publication before 1.30am on Sunday 25 October 2026", utc(2026, 10, 25, 1, 30)),
        ("America/New_York", "EMBARGOED UNTIL 01:30 1 NOVEMBER 2026", utc(2026, 11, 1, 6, 30)),  # 01:30 EST
        ("Australia/Sydney", "EMBARGOED UNTIL 02:30 5 APRIL 2026", utc(2026, 4, 4, 16, 30)),  # 02:30 AEST
        # the spring gap: shifted forward (02:30 BST, 03:30 AEST), as before
        ("Europe/London", "EMBARGOED UNTIL 01:30 29 MARCH 2026", utc(2026, 3, 29, 1, 30)),
        ("Australia/Sydney", "EMBARGOED UNTIL 02:30 4 OCTOBER 2026", utc(2026, 10, 3, 16, 30)),
    ],
)
def test_an_embargo_in_an_hour_the_clocks_change_lifts_at_the_later_reading_in_every_format(
    tz: str, line: str, due: datetime
) -> None:
    for name, text in embargoed(line).items():
        release = release_of(name, text, tz)
        assert release.published == due, name
        assert release.ingest_warning is not None and f"/srv/inbox/{name}" in release.ingest_warning, name
        assert "field 'published'" in release.ingest_warning, name


def test_the_warning_says_the_second_reading_was_taken_and_how_to_ask_for_the_first() -> None:
    release = release_of("e.txt", embargoed("EMBARGOED UNTIL 01:30 25 OCTOBER 2026")["e.txt"])
    assert release.ingest_warning is not None
    assert "happens twice in Europe/London, as the clocks go back: read as the second, as an embargo is, 01:30 GMT" in (
        release.ingest_warning
    )
    assert "write 01:30 BST for the first" in release.ingest_warning


def test_an_embargo_with_its_zone_is_read_as_written() -> None:
    release = release_of("e.txt", embargoed("EMBARGOED UNTIL 01:30 BST 25 OCTOBER 2026")["e.txt"])
    assert release.published == utc(2026, 10, 25, 0, 30) and release.ingest_warning is None


@pytest.mark.parametrize(
    ("name", "text"),
    [
        ("p.json", '{"title": "Ferry timetable", "published": "2026-10-25T01:30", "body": "The timetable starts."}'),
        ("p.txt", "Ferry timetable\n\nLONDON, 25 October 2026 01:30 – The new timetable starts today.\n"),
    ],
)
def test_a_published_time_keeps_the_first_reading(name: str, text: str) -> None:
    release = release_of(name, text)
    assert release.published == utc(2026, 10, 25, 0, 30)
    assert release.ingest_warning is not None and "read as the first, 01:30 BST" in release.ingest_warning


@pytest.mark.parametrize(
    ("value", "tz", "first", "latest"),
    [
        ("2026-10-25 01:30", "Europe/London", utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 1, 30)),
        (datetime(2026, 10, 25, 1, 30), "Europe/London", utc(2026, 10, 25, 0, 30), utc(2026, 10, 25, 1, 30)),
        ("2026-03-29 01:30", "Europe/London", utc(2026, 3, 29, 1, 30), utc(2026, 3, 29, 1, 30)),
        ("2026-10-25 02:30", "Europe/London", utc(2026, 10, 25, 2, 30), utc(2026, 10, 25, 2, 30)),
        ("2026-10-25 01:30", "Asia/Kolkata", utc(2026, 10, 24, 20), utc(2026, 10, 24, 20)),
    ],
)
def test_parse_date_latest(value: str | datetime, tz: str, first: datetime, latest: datetime) -> None:
    zone = ZoneInfo(tz)
    assert parse_date(value, zone) == first
    assert parse_date(value, zone, latest=True) == latest
    if (isinstance(value, str) and value.endswith("02:30")) or tz == "Asia/Kolkata":  # (a time the clocks show once)
        assert clock_change_guess(value, zone, latest) is None


def test_an_embargo_in_the_repeated_hour_is_held_until_the_second_reading(make_settings, make_app_for, clock) -> None:
    from feeds.ingest import run_ingest
    from feeds.publish import run_publish

    settings = make_settings()  # (site.timezone = "Europe/London")
    app = make_app_for(settings)
    clock.set(utc(2026, 10, 24, 12))
    text = embargoed("EMBARGOED UNTIL 01:30 SUNDAY 25 OCTOBER 2026")["e.txt"]
    (settings.source("inbox").path / "ferry.txt").write_text(text, encoding="utf-8")
    assert [o.status for o in run_ingest(app).outcomes] == ["created"]
    clock.set(utc(2026, 10, 25, 0, 30))  # the first 01:30 (BST): still held
    assert run_publish(app).held == 1
    assert not (settings.paths.out / "releases" / "ferry-timetable").exists()
    clock.set(utc(2026, 10, 25, 1, 30))  # the second 01:30 (GMT)
    assert run_publish(app).held == 0
    assert (settings.paths.out / "releases" / "ferry-timetable" / "index.html").exists()


def next_autumn_night(now: datetime) -> datetime:
    """The next day (after `now`) on which London's clocks go back."""
    london = ZoneInfo("Europe/London")
    day = now.astimezone(london).date() + timedelta(days=2)
    while datetime(day.year, day.month, day.day, 12, tzinfo=london).utcoffset() != timedelta(0) or datetime(
        day.year, day.month, day.day, tzinfo=london
    ).utcoffset() == timedelta(0):
        day += timedelta(days=1)
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def test_the_cli_says_when_an_embargo_lifts_on_the_offices_clock_too(tmp_path) -> None:
    """`feeds publish` and `releases list` said only "due 2027-10-31T01:30:00Z": on the night the clocks go back, the
    office could not tell which 01:30 that was without working out UTC."""
    from click.testing import CliRunner

    from feeds.cli import cli
    from feeds.clock import utc_now
    from tests.conftest import BASE_CONFIG

    (tmp_path / "inbox").mkdir()
    config = tmp_path / "feeds.toml"
    config.write_text(BASE_CONFIG, encoding="utf-8")  # (site.timezone = "Europe/London")
    night = next_autumn_night(utc_now())
    written = f"{night.day} {night:%B %Y}"
    (tmp_path / "inbox" / "e.txt").write_text(embargoed(f"EMBARGOED UNTIL 01:30 {written}")["e.txt"])

    def run(*args: str) -> str:
        result = CliRunner().invoke(cli, ["--config", str(config), *args], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return result.output

    assert "read as the second, as an embargo is, 01:30 GMT" in run("ingest")
    due = f"{night:%Y-%m-%d}T01:30:00Z, 01:30 GMT on {written}"
    assert f"the first is due {due}: publish again then" in run("publish")
    assert f"(embargoed: off the site until {due})" in run("releases", "list")
