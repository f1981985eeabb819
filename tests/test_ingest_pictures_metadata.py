"""A phone photograph dropped with a release is stored and published without its private metadata (GPS position,
camera serial, owner, XMP, comments), its image data byte for byte, shown the right way up at its displayed size."""

from __future__ import annotations

import shutil

import sqlalchemy as sa

from feeds.ingest import run_ingest
from feeds.picturemeta import without_metadata
from feeds.publish import run_publish
from feeds.store.schema import pictures as P
from tests.test_ingest_pictures import MD, SLUG, published_name
from tests.test_picturemeta import JPEG_SCAN, phone_jpeg, phone_png, private_in


def out_files(app) -> dict[str, bytes]:
    folder = app.settings.paths.out / "pictures"
    return {p.name: p.read_bytes() for p in folder.iterdir()}


def test_a_phone_photograph_is_published_without_its_metadata_upright_at_its_displayed_size(app, inbox):
    photo = phone_jpeg(6)  # stored 1200 x 800, shown turned a quarter: 800 wide, 1200 high
    (inbox / "arrival.md").write_text(MD.replace("arrival.png", "arrival.jpg"), encoding="utf-8")
    (inbox / "arrival.jpg").write_bytes(photo)
    assert [o.status for o in run_ingest(app).outcomes] == ["created"]
    clean, orientation = without_metadata(photo, "image/jpeg")
    assert orientation == 6
    release = app.store.release(SLUG)
    name = published_name(clean, "jpg")
    assert f'{name}" alt="The Foreign Secretary at the airport" width="800" height="1200"' in release.body_html
    run_publish(app)
    [(file, data)] = out_files(app).items()
    assert f"pictures/{file}" == name and data == clean
    assert private_in(data) == [] and JPEG_SCAN in data and b"Exif\x00\x00MM" in data
    page = next((app.settings.paths.out / "releases").rglob("index.html")).read_text(encoding="utf-8")
    assert '<meta property="og:image:width" content="800">' in page
    assert '<meta property="og:image:height" content="1200">' in page
    with app.store.engine.connect() as conn:
        stored = conn.execute(sa.select(P.c.data)).scalar_one()
    assert bytes(stored) == clean, "the database keeps no private metadata either"

    # dropped again as it was (a crash between the commit and the move): recognised, nothing changes
    shutil.copy(inbox / "processed" / "arrival.md", inbox / "arrival.md")
    shutil.copy(inbox / "processed" / "arrival.jpg", inbox / "arrival.jpg")
    assert [o.status for o in run_ingest(app).outcomes] == ["unchanged"]
    assert app.store.release(SLUG) == release


def test_a_picture_with_metadata_left_behind_is_named_as_published_already(app, inbox):
    (inbox / "arrival.md").write_text(MD, encoding="utf-8")
    (inbox / "arrival.png").write_bytes(phone_png(6))
    run_ingest(app)
    shutil.copy(inbox / "processed" / "arrival.png", inbox / "arrival.png")
    [note] = run_ingest(app).folders
    assert "arrival.png: a picture no release in the drop folder shows, published already" in note


def test_a_picture_whose_metadata_is_cut_short_rejects_its_release_naming_the_file(app, inbox):
    photo = phone_jpeg(6)
    (inbox / "arrival.md").write_text(MD.replace("arrival.png", "arrival.jpg"), encoding="utf-8")
    (inbox / "arrival.jpg").write_bytes(photo[:300])  # (inside its XMP segment)
    [outcome] = run_ingest(app).outcomes
    assert outcome.status == "rejected"
    assert "arrival.jpg" in outcome.error and "is a damaged JPEG file" in outcome.error
    assert "truncated" in outcome.error
    assert {"arrival.jpg", "arrival.md"} <= {p.name for p in (inbox / "rejected").iterdir()}
