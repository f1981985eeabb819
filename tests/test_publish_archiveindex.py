"""The archive index (`feeds.publish.archiveindex`): kept up to date from the releases that changed, it holds
exactly what an index built afresh from the same releases holds, whatever the changes (new, edited, moved to
another topic, organisation, language, year or month, taken out, pictures shown or no longer), and files again
only the releases that changed."""

from __future__ import annotations

import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from feeds.publish.archiveindex import ALL, ArchiveIndex
from feeds.publish.pictures import pictures_shown, release_pictures
from feeds.publish.sitefeeds import newest_first
from tests.test_publish_pages import make_release

BASE = "https://news.example.gov.uk/"
TZ = ZoneInfo("Europe/London")
TOPICS = ("Harbours", "harbours!", "Trade", "Water", "Health")
PICTURE = "pictures/" + "a" * 16 + ".jpg"


def release(i: int, rng: random.Random) -> object:
    published = datetime(2024, 1, 1, tzinfo=UTC) + timedelta(hours=rng.randint(0, 3 * 365 * 24))
    return make_release(
        f"r{i}",
        published=published,
        updated=published + timedelta(hours=rng.choice((0, 0, 5, 400))),
        topics=tuple(rng.sample(TOPICS, rng.choice((0, 1, 2)))),
        organisation=rng.choice(("Office for Grain", "Department for Harbours", "OFFICE FOR GRAIN")),
        language=rng.choice(("en", "en-GB", "cy")),
        body_html=f'<p><img src="{BASE}{PICTURE}"></p>' if rng.random() < 0.1 else "<p>Text.</p>",
        image=None,
    )


def everything_of(index: ArchiveIndex) -> dict[str, object]:
    groups = {f"{p}{k}": index.group(f"{p}{k}") for p in ("t:", "o:", "l:", "y:", "m:") for k in index.keys(p)}
    return {
        "groups": groups,
        "all": index.group(ALL),
        "updated": index.last_updated(7),
        "pictures": index.pictures(),
        "news": index.published_between(datetime(2025, 3, 1, tzinfo=UTC), datetime(2025, 5, 1, tzinfo=UTC)),
    }


@pytest.mark.parametrize("seed", range(6))
def test_an_index_kept_up_to_date_holds_what_a_fresh_one_does(seed: int) -> None:
    rng = random.Random(seed)
    releases = {r.id: r for r in (release(i, rng) for i in range(60))}
    kept = ArchiveIndex(TZ, BASE, release_pictures)
    kept.update(list(releases.values()))
    for step in range(40):
        change = rng.choice(("new", "edit", "move", "out", "same"))
        if change == "new":
            r = release(1000 + step, rng)
            releases[r.id] = r
        elif change == "edit":  # (an edit: a new object, other topics, dates, organisation, language, pictures)
            old = releases[rng.choice(sorted(releases))]
            new = release(0, rng)
            releases[old.id] = replace(new, id=old.id, slug=old.slug, permalink=old.permalink)
        elif change == "move":  # (its publication moved into another month, maybe another year)
            old = releases[rng.choice(sorted(releases))]
            releases[old.id] = replace(old, published=old.published + timedelta(days=rng.choice((-40, 31, 400))))
        elif change == "out":
            releases.pop(rng.choice(sorted(releases)))
        elif change == "same":  # (read again from the store: equal, not the same objects)
            key = rng.choice(sorted(releases))
            releases[key] = replace(releases[key])
        given = list(releases.values())
        rng.shuffle(given)
        kept.update(given)
        assert kept.indexed <= 2 or (change == "new" and kept.indexed == 1), "only what changed is filed again"
        fresh = ArchiveIndex(TZ, BASE, release_pictures)
        fresh.update(given)
        assert everything_of(kept) == everything_of(fresh), (step, change)
        assert list(kept.group(ALL)) == newest_first(given)
        assert kept.pictures() == pictures_shown(given, BASE)


def test_a_group_no_change_touched_is_the_same_tuple() -> None:
    """`PlanMemo.derived` reuses what was worked out of a group while the index gives the same tuple."""
    rng = random.Random(1)
    releases = [release(i, rng) for i in range(30)]
    index = ArchiveIndex(TZ, BASE, release_pictures)
    index.update(releases)
    years = {k: index.group(f"y:{k}") for k in index.keys("y:")}
    newest = max(releases, key=lambda r: r.published)
    added = replace(newest, id="new", slug="new", published=newest.published + timedelta(minutes=1))
    index.update([*releases, added])
    assert index.indexed == 1
    year = str(index.year_month(added)[0])
    for k, before in years.items():
        assert (index.group(f"y:{k}") is before) == (k != year), k
