"""Pictures no release shows any more (an edit showed another photograph) are forgotten by housekeeping a day after a
release last stored them; those a release shows, or stored again meanwhile, stay."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta

import pytest

from feeds.daemon.jobs import PICTURES_KEPT
from feeds.ingest import run_ingest
from tests.test_ingest_pictures import MD, png

START = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)


@pytest.fixture
def app(make_settings, make_app_for, clock):
    clock.set(START)
    return make_app_for(make_settings())


def drop(app, name: str, text: str, picture: bytes) -> str:
    inbox = app.settings.source("inbox").path
    (inbox / name).write_text(text, encoding="utf-8")
    (inbox / "arrival.png").write_bytes(picture)
    assert [o.status for o in run_ingest(app).outcomes] in (["created"], ["updated"])
    return hashlib.sha256(picture).hexdigest()


def test_a_picture_an_edit_replaced_goes_a_day_later_and_the_one_shown_stays(app, clock):
    first = drop(app, "arrival.md", MD, png(40, 30))
    clock.set(START + timedelta(hours=1))
    second = drop(app, "arrival.md", MD, png(40, 30, shade=200))  # the same release, another photograph

    assert app.store.prune_pictures(START + timedelta(hours=2) - PICTURES_KEPT) == 0, "kept a day: an edit undone"
    assert app.store.picture_data(first) is not None

    assert app.store.prune_pictures(START + timedelta(days=2) - PICTURES_KEPT) == 1
    assert app.store.picture_data(first) is None
    assert app.store.picture_data(second) is not None, "the picture a release shows is never pruned"
    assert app.store.prune_pictures(START + timedelta(days=30)) == 0


def test_an_old_picture_shown_again_is_stored_again_and_stays(app, clock):
    picture = png(40, 30)
    first = drop(app, "arrival.md", MD, picture)
    clock.set(START + timedelta(hours=1))
    drop(app, "arrival.md", MD, png(40, 30, shade=200))  # no release shows `picture` now
    clock.set(START + timedelta(days=5))
    other = MD.replace("Foreign Secretary arrives in Moscow", "Talks in Moscow begin")
    assert drop(app, "talks.md", other, picture) == first  # shown again, its stored row kept and stored again
    assert app.store.prune_pictures(START + timedelta(days=5, hours=1) - PICTURES_KEPT) == 0
    assert app.store.picture_data(first) is not None
