"""A custom feed's `organisations` follows organisation succession (`[organisations.succeeded_by]`).

An office that made a feed of one department (`organisations = ["Department for International Development"]`) and
then recorded its merger would have its subscribers silently stop getting the department's news, while the old
name's organisation feed goes on. A custom feed follows succession as the organisation feeds do: an old name listed
takes in its successors' releases published after its own last one (not a sibling's from before the merger), a
current name takes in the releases of every name it succeeded; a name outside the table matches as written.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from tests.test_publish_site import Site, make_site, parse_ok  # noqa: F401  (make_site: a fixture)
from tests.test_publish_succession import DFID, FCDO, PORTS, SUCCESSION, seed_departments

CUSTOM = f"""
[[publish.feeds]]
name = "aid"
title = "Aid"
organisations = ["{DFID.upper()}"]

[[publish.feeds]]
name = "foreign"
title = "Foreign affairs"
organisations = ["{FCDO}"]

[[publish.feeds]]
name = "ports"
title = "Ports"
organisations = ["{PORTS}"]
"""


def seeded(make_site: Callable[..., Site], make_settings, make_app_for, extra: str) -> Site:  # noqa: F811
    """The releases of test_publish_succession (DFID's and FCO's before the merger, FCDO's after, Ports's), read
    with `extra` in the config."""
    site = seed_departments(make_site)
    settings = make_settings(extra)
    return Site(settings, make_app_for(settings), site.clock)


def titles(path: Path) -> list[str]:
    return [e.title for e in parse_ok(path).entries]


def test_a_custom_feed_follows_succession_as_organisation_feeds_do(make_site, make_settings, make_app_for) -> None:  # noqa: F811
    site = seeded(make_site, make_settings, make_app_for, CUSTOM + SUCCESSION)
    site.publish()
    # An old name: its own release, then its successor's from its own last one on (not FCO's of before).
    assert titles(site.out / "feeds/aid/atom.xml") == [
        "Aid budget announced",
        "New department opens",
        "Aid for flood relief",
    ]
    # The current name: the department's whole history, under every name.
    assert titles(site.out / "feeds/foreign/atom.xml") == [
        "Aid budget announced",
        "New department opens",
        "Consular advice updated",
        "Aid for flood relief",
        "Embassy reopens",
    ]
    # A name outside the table matches as written.
    assert titles(site.out / "feeds/ports/atom.xml") == ["Harbour dues"]


def test_without_the_table_a_custom_feed_matches_names_as_written(make_site, make_settings, make_app_for) -> None:  # noqa: F811
    site = seeded(make_site, make_settings, make_app_for, CUSTOM)
    site.publish()
    assert titles(site.out / "feeds/aid/atom.xml") == ["Aid for flood relief"]
    assert titles(site.out / "feeds/foreign/atom.xml") == ["Aid budget announced", "New department opens"]
