"""A web page saved "complete" (a browser's "Web Page, complete", Word's "Save as Web Page"): `Name.html` and the
folder `Name_files/` of its pictures, dropped together, are published together."""

from __future__ import annotations

from feeds.ingest import run_ingest
from feeds.publish import run_publish
from tests.test_ingest_pictures import jpeg, png, published_name

SITE = "https://press.example.org/"
SLUG = "winter-ferry-timetable"


def page(src: str, head: str = "<meta name=ProgId content=Word.Document>") -> str:
    return (
        f'<html><head>{head}<link rel=File-List href="PR%20ferry_files/filelist.xml"></head><body>'
        "<p class=MsoTitle><b>Winter ferry timetable</b></p>"
        f'<p><img width=400 height=300 src="{src}" alt="The ferry at its berth"></p>'
        "<p>Islanders will keep a daily ferry service through the winter, the department announced today.</p>"
        "</body></html>"
    )


def saved(inbox, picture: bytes, *, head: str = "<meta name=ProgId content=Word.Document>") -> None:
    (inbox / "PR ferry.htm").write_text(page("PR%20ferry_files/image002.png", head), encoding="utf-8")
    (inbox / "PR ferry_files").mkdir()
    (inbox / "PR ferry_files" / "image002.png").write_bytes(picture)
    (inbox / "PR ferry_files" / "image001.jpg").write_bytes(jpeg(1600, 1200))  # (Word's full-size copy, not shown)
    (inbox / "PR ferry_files" / "filelist.xml").write_text("<xml/>", encoding="utf-8")
    (inbox / "PR ferry_files" / "style.css").write_text("p { margin: 0 }", encoding="utf-8")


def test_a_page_saved_with_its_files_folder_is_published_with_its_pictures(app, inbox):
    picture = png(40, 30)
    saved(inbox, picture)
    report = run_ingest(app)
    assert [(o.status, o.warning) for o in report.outcomes] == [("created", None)]
    assert not report.folders, "the page's folder is read with it: nothing to say about it"
    url = SITE + published_name(picture, "png")
    release = app.store.release(SLUG)
    assert f'src="{url}" alt="The ferry at its berth"' in release.body_html and release.image == url
    # The page and its whole folder move to processed/, its other files untouched (not read, not published).
    assert sorted(p.name for p in inbox.iterdir()) == ["processed"]
    moved = inbox / "processed" / "PR ferry_files"
    assert sorted(p.name for p in moved.iterdir()) == ["filelist.xml", "image001.jpg", "image002.png", "style.css"]
    assert (moved / "style.css").read_text(encoding="utf-8") == "p { margin: 0 }"
    run_publish(app)
    assert (app.settings.paths.out / published_name(picture, "png")).read_bytes() == picture


def test_a_saved_pages_picture_is_checked_as_any(app, inbox):
    saved(inbox, b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>')
    [outcome] = run_ingest(app).outcomes
    assert outcome.status == "rejected" and "SVG" in outcome.error and "PR ferry_files/image002.png" in outcome.error
    assert (inbox / "rejected" / "PR ferry_files" / "image002.png").exists()


def test_a_saved_page_without_its_folder_still_leaves_its_images_out(app, inbox):
    (inbox / "PR ferry.htm").write_text(page("PR%20ferry_files/image002.png"), encoding="utf-8")
    [outcome] = run_ingest(app).outcomes
    assert outcome.status == "created" and outcome.warning is None
    assert "<img" not in app.store.release(SLUG).body_html


def test_a_page_with_its_own_address_keeps_leaving_its_folders_images_out(app, inbox):
    saved(inbox, png(40, 30), head='<link rel="canonical" href="https://www.example.gov.uk/news/ferries">')
    [outcome] = run_ingest(app).outcomes
    assert outcome.status == "created"
    assert "<img" not in app.store.release(SLUG).body_html, "resolved against its address, on no site"


def test_an_images_folder_emptied_by_the_moves_stays_but_a_saved_pages_folder_goes(app, inbox):
    (inbox / "images").mkdir()
    (inbox / "images" / "arrival.png").write_bytes(png(40, 30))
    (inbox / "arrival.md").write_text("---\ntitle: Arrival\n---\n\nThe minister arrived.\n\n![x](images/arrival.png)\n")
    saved(inbox, png(40, 30, shade=9))
    assert [o.warning for o in run_ingest(app).outcomes] == [None, None]
    assert sorted(p.name for p in inbox.iterdir()) == ["images", "processed"], "the office's own folder, made once"
    assert not any((inbox / "images").iterdir())
    assert (inbox / "processed" / "images" / "arrival.png").exists()
