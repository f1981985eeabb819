"""feeds.publish.marks: a feed's `updated` never goes back, what is kept, and which topics outlive their releases."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from feeds.model import PublishedFeed
from feeds.publish.marks import PublishedFeeds

EARLY, MID, LATE = (datetime(2026, 11, d, 9, tzinfo=UTC) for d in (2, 4, 6))
EPOCH = datetime(2000, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    ("known", "newest", "name", "empty", "updated", "kept"),
    [
        # first publish of a feed: its newest entry's, kept
        (None, MID, "Iran", False, MID, PublishedFeed("topic:iran", MID, "Iran")),
        # a newer entry moves it on
        (
            PublishedFeed("topic:iran", MID, "Iran"),
            LATE,
            "Iran",
            False,
            LATE,
            PublishedFeed("topic:iran", LATE, "Iran"),
        ),
        # the newest entry gone: it stays where it was, nothing new to keep
        (PublishedFeed("topic:iran", MID, "Iran"), EARLY, "Iran", False, MID, None),
        # no entry left at all: the same
        (PublishedFeed("topic:iran", MID, "Iran"), EPOCH, None, True, MID, None),
        # renamed by its releases: the name is kept, the time stays
        (PublishedFeed("topic:iran", MID, "Iran"), EARLY, "IRAN", False, MID, PublishedFeed("topic:iran", MID, "IRAN")),
        # a feed never published and empty (a custom feed matching nothing): not recorded
        (None, EPOCH, None, True, EPOCH, None),
    ],
)
def test_updated_never_goes_back_and_only_changes_are_kept(
    known: PublishedFeed | None,
    newest: datetime,
    name: str | None,
    empty: bool,
    updated: datetime,
    kept: PublishedFeed | None,
) -> None:
    marks = PublishedFeeds({"topic:iran": known} if known else {})
    assert marks.updated("topic:iran", newest, name, empty=empty) == updated
    assert marks.changed == ({"topic:iran": kept} if kept else {})


def test_every_topic_ever_published_is_listed_by_slug() -> None:
    iran = PublishedFeed("topic:iran", MID, "Iran")
    marks = PublishedFeeds(
        {"main": PublishedFeed("main", LATE), "topic:iran": iran, "org:trade": PublishedFeed("org:trade", MID)}
    )
    assert marks.topics() == {"iran": iran}


def test_every_organisation_ever_published_with_its_name_is_listed_by_slug() -> None:
    """An organisation feed recorded before their names were kept (none) had gone already: it is not brought back
    without its name."""
    trade = PublishedFeed("org:trade", MID, "Trade Office")
    marks = PublishedFeeds(
        {
            "topic:iran": PublishedFeed("topic:iran", MID, "Iran"),
            "org:trade": trade,
            "org:gone": PublishedFeed("org:gone", MID),
        }
    )
    assert marks.organisations() == {"trade": trade}
