"""A remote release source's next poll across a step of the clock: its schedule is stored (any daemon may poll
it), so a schedule set by a clock since stepped back is moved back by the step, as a watched feed's is."""

from __future__ import annotations

from datetime import timedelta

from feeds.ingest.remote_json import poll_remote
from tests.test_ingest_remote_json import SEARCH, remote_source_app


def test_a_source_polled_by_a_clock_an_hour_ahead_is_polled_again_an_interval_after_the_step(
    make_settings, make_app_for, httpserver, clock
):
    """A review's find: polled while the clock ran an hour ahead, then NTP stepped it back: the source was 'not
    due until' an hour and 15 minutes later, each ingest tick logging so, and a new release waited the hour."""
    url = httpserver.url_for("/search.json")
    app, src = remote_source_app(
        make_settings, make_app_for, url, link_base="https://www.gov.uk", more='interval = "15m"\n'
    )
    httpserver.expect_ordered_request("/search.json").respond_with_json(SEARCH, headers={"ETag": '"v1"'})
    httpserver.expect_ordered_request("/search.json").respond_with_json(SEARCH, headers={"ETag": '"v1"'})
    clock.advance(timedelta(hours=1))  # the clock runs an hour ahead
    assert [o.status for o in poll_remote(app, src)] == ["created", "created"]
    clock.advance(timedelta(hours=-1))  # stepped back
    assert poll_remote(app, src) == [], "not due yet: its 15 minutes have not passed"
    clock.advance(timedelta(minutes=15))
    assert [o.status for o in poll_remote(app, src)] == ["unchanged", "unchanged"]
    httpserver.check_assertions()
