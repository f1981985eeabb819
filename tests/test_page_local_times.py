"""The times on a release's page in the site's time zone: the text with its zone's abbreviation around a clock
change (BST, GMT), and the machine-readable `<time datetime>` and `article:published_time` with the local offset, so
that a date-only release of 3 June is not read as 2 June by a machine reading the date part in UTC."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from lxml import html

from feeds.clock import rfc3339_in


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("when", "tz", "written"),
    [
        (utc(2026, 6, 2, 23), "Europe/London", "2026-06-03T00:00:00+01:00"),
        (utc(2026, 12, 3, 0, 1), "Europe/London", "2026-12-03T00:01:00Z"),  # (GMT: as before)
        (utc(2026, 10, 25, 0, 30), "Europe/London", "2026-10-25T01:30:00+01:00"),  # the first 01:30
        (utc(2026, 10, 25, 1, 30), "Europe/London", "2026-10-25T01:30:00Z"),  # the second
        (utc(2026, 11, 29, 18, 30), "Asia/Kolkata", "2026-11-30T00:00:00+05:30"),
        (utc(2026, 11, 1, 4), "America/New_York", "2026-11-01T00:00:00-04:00"),
        (utc(2026, 4, 4, 13), "Australia/Sydney", "2026-04-05T00:00:00+11:00"),
    ],
)
def test_rfc3339_in_the_sites_zone(when: datetime, tz: str, written: str) -> None:
    assert rfc3339_in(when, ZoneInfo(tz)) == written
    assert datetime.fromisoformat(written) == when


def test_a_release_page_dates_a_date_only_release_on_its_own_day_and_names_bst_and_gmt(
    make_settings, make_app_for, clock
) -> None:
    from feeds.ingest import run_ingest
    from feeds.publish import run_publish

    settings = make_settings()  # (site.timezone = "Europe/London")
    app = make_app_for(settings)
    clock.set(utc(2026, 11, 1, 12))
    inbox = settings.source("inbox").path
    (inbox / "summer.md").write_text("---\ndate: 2026-06-03\n---\n# Summer ferries\n\nThe summer timetable.\n")
    (inbox / "first.json").write_text(
        '{"title": "First ferry", "published": "2026-10-25T01:30:00+01:00", "body": "Before the change."}'
    )
    (inbox / "second.json").write_text(
        '{"title": "Second ferry", "published": "2026-10-25T01:30:00Z", "body": "After the change."}'
    )
    assert [o.status for o in run_ingest(app).outcomes] == ["created"] * 3
    run_publish(app)

    def page(slug: str) -> html.HtmlElement:
        return html.fromstring((settings.paths.out / "releases" / slug / "index.html").read_bytes())

    summer = page("summer-ferries")
    assert summer.xpath('//meta[@property="article:published_time"]/@content') == ["2026-06-03T00:00:00+01:00"]
    published = summer.xpath('//dd[@class="published"]/time')[0]
    assert (published.get("datetime"), published.text) == ("2026-06-03T00:00:00+01:00", "3 June 2026")
    index = html.fromstring((settings.paths.out / "index.html").read_bytes())
    assert "2026-06-02" not in " ".join(index.xpath("//time/@datetime"))
    first, second = page("first-ferry"), page("second-ferry")
    assert first.xpath('//meta[@property="article:published_time"]/@content') == ["2026-10-25T01:30:00+01:00"]
    assert second.xpath('//meta[@property="article:published_time"]/@content') == ["2026-10-25T01:30:00Z"]
