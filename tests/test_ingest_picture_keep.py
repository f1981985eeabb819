"""A corrected release dropped without the photograph sent with its first version keeps showing it."""

from __future__ import annotations

import json

import sqlalchemy as sa

from feeds.ingest import run_ingest
from feeds.ingest.takedown import remove_release
from feeds.publish import run_publish
from feeds.store.schema import release_pictures
from tests.test_ingest_pictures import HTML, MD, SLUG, jpeg, png, published_name

SITE = "https://press.example.org/"
CORRECTED = MD.replace("for talks on security", "for two days of talks on security")


def first_version_with_its_picture(app, inbox, picture: bytes) -> None:
    (inbox / "arrival.md").write_text(MD, encoding="utf-8")
    (inbox / "arrival.png").write_bytes(picture)
    assert [o.status for o in run_ingest(app).outcomes] == ["created"]
    assert not (inbox / "arrival.png").exists(), "moved to processed/ with its release"


def test_a_correction_dropped_without_its_picture_keeps_the_one_it_showed(app, inbox):
    picture = png(40, 30)
    first_version_with_its_picture(app, inbox, picture)
    (inbox / "arrival.md").write_text(CORRECTED, encoding="utf-8")
    [outcome] = run_ingest(app).outcomes
    assert outcome.status == "updated" and outcome.warning is None, "no 'not found': the release had it"
    release = app.store.release(SLUG)
    url = SITE + published_name(picture, "png")
    assert "two days of talks" in release.body_html
    assert f'<img src="{url}" alt="The Foreign Secretary at the airport" width="40" height="30">' in release.body_html
    assert release.image == url
    run_publish(app)
    out = app.settings.paths.out
    assert (out / published_name(picture, "png")).read_bytes() == picture
    page = (out / "releases" / SLUG / "index.html").read_text(encoding="utf-8")
    assert f'<meta property="og:image" content="{url}">' in page
    assert json.loads((out / "feed.json").read_text(encoding="utf-8"))["items"][0]["image"] == url
    # The same correction again: unchanged, still showing it.
    (inbox / "arrival.md").write_text(CORRECTED, encoding="utf-8")
    assert [o.status for o in run_ingest(app).outcomes] == ["unchanged"]


def test_an_html_correction_keeps_its_picture_named_with_a_space(app, inbox):
    (inbox / "ferry.html").write_text(HTML, encoding="utf-8")
    (inbox / "ferry berth.jpg").write_bytes(jpeg(1200, 800))
    run_ingest(app)
    (inbox / "ferry.html").write_text(HTML.replace("this morning", "at 7 this morning"), encoding="utf-8")
    [outcome] = run_ingest(app).outcomes
    assert outcome.status == "updated" and outcome.warning is None
    body = app.store.release("ferry-at-its-new-berth").body_html
    assert "at 7 this morning" in body
    assert f'src="{SITE + published_name(jpeg(1200, 800, exif=False), "jpg")}"' in body


def test_a_new_photograph_under_the_same_name_wins_and_is_kept_by_the_next_correction(app, inbox):
    first, second = png(40, 30), png(40, 30, shade=200)
    first_version_with_its_picture(app, inbox, first)
    (inbox / "arrival.md").write_text(CORRECTED, encoding="utf-8")
    (inbox / "arrival.png").write_bytes(second)
    [outcome] = run_ingest(app).outcomes
    assert outcome.status == "updated" and outcome.warning is None
    assert published_name(second, "png") in app.store.release(SLUG).body_html, "the bytes dropped now win"
    (inbox / "arrival.md").write_text(CORRECTED.replace("two days", "three days"), encoding="utf-8")
    [outcome] = run_ingest(app).outcomes
    assert outcome.status == "updated" and outcome.warning is None
    body = app.store.release(SLUG).body_html
    assert published_name(second, "png") in body and published_name(first, "png") not in body


def test_a_name_the_release_never_showed_a_picture_under_still_warns(app, inbox):
    picture = png(40, 30)
    first_version_with_its_picture(app, inbox, picture)
    (inbox / "arrival.md").write_text(CORRECTED + "\n![The talks](talks.png)\n", encoding="utf-8")
    [outcome] = run_ingest(app).outcomes
    assert outcome.status == "updated"
    assert "the picture(s) 'talks.png' it shows were not found in" in outcome.warning
    assert "arrival.png" not in outcome.warning
    body = app.store.release(SLUG).body_html
    assert published_name(picture, "png") in body and f'src="{SITE}talks.png"' in body


def test_another_releases_picture_under_the_same_name_is_not_borrowed(app, inbox):
    first_version_with_its_picture(app, inbox, png(40, 30))
    (inbox / "talks.md").write_text(MD.replace("Foreign Secretary arrives in Moscow", "Talks begin"), encoding="utf-8")
    [outcome] = run_ingest(app).outcomes
    assert outcome.status == "created" and "'arrival.png' it shows were not found" in outcome.warning
    assert f'src="{SITE}arrival.png"' in app.store.release("talks-begin").body_html


def test_a_takedown_forgets_the_names_of_its_pictures(app, inbox):
    first_version_with_its_picture(app, inbox, png(40, 30))
    release_id = app.store.release(SLUG).id
    remove_release(app, SLUG, "court order")
    with app.store.engine.connect() as conn:
        rows = conn.execute(sa.select(release_pictures).where(release_pictures.c.release_id == release_id)).all()
    assert rows == []
