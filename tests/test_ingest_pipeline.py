"""Ingest end to end on real files and a real SQLite database: drop folder, idempotence, updates, rejects, crashes."""

from __future__ import annotations

import csv
import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from feeds.ingest import folder, ingest_paths, run_ingest
from feeds.normalise.ids import canonical_url

TEXT_RELEASE = """Press release: Minister to visit Moscow for security talks

The Minister will visit Moscow next month for talks with Russian counterparts on security in Europe.

The Minister said:

We will keep talking, because dialogue is how differences are managed.
"""


def drop(inbox: Path, name: str, content: str | bytes) -> Path:
    p = inbox / name
    p.write_bytes(content.encode() if isinstance(content, str) else content)
    return p


def written_at(path: Path, when: datetime) -> Path:
    os.utime(path, (when.timestamp(), when.timestamp()))
    return path


def test_dropped_files_are_ingested_and_moved_to_processed(app, inbox):
    drop(inbox, "visit.txt", TEXT_RELEASE)
    drop(inbox, "two.json", json.dumps([{"title": "First", "body": "One."}, {"title": "Second", "body": "Two."}]))
    drop(inbox, ".hidden.txt", TEXT_RELEASE)
    drop(inbox, "half-written.txt.part", TEXT_RELEASE)
    report = run_ingest(app)
    assert report.count("created") == 3 and report.count("rejected") == 0
    assert sorted(p.name for p in (inbox / "processed").iterdir()) == ["two.json", "visit.txt"]
    assert sorted(p.name for p in inbox.iterdir() if p.is_file()) == [".hidden.txt", "half-written.txt.part"]
    visit = app.store.release("minister-to-visit-moscow-for-security-talks")
    assert visit.document_type == "press_release"
    assert "Russia" not in visit.topics or visit.topics == ("Russia",)  # "Russian" alone is not "Russia"
    assert "<blockquote>" in visit.body_html
    assert visit.id == "tag:press.example.org,2026-11-28:minister-to-visit-moscow-for-security-talks"
    assert visit.permalink == "https://press.example.org/releases/minister-to-visit-moscow-for-security-talks/"
    assert not visit.dated_by_source and visit.published == app.clock()
    assert run_ingest(app).outcomes == ()


def test_reingesting_the_same_release_is_a_no_op(app, inbox, clock):
    drop(inbox, "visit.txt", TEXT_RELEASE)
    run_ingest(app)
    first = app.store.release("minister-to-visit-moscow-for-security-talks")
    clock.advance(timedelta(days=2))
    drop(inbox, "visit.txt", TEXT_RELEASE)
    report = run_ingest(app)
    assert report.count("unchanged") == 1 and report.count("created") == 0
    assert app.store.count_releases() == 1
    assert app.store.release(first.id) == first
    # Nothing is ever deleted: the second copy sits beside the first in processed/.
    assert sorted(p.name for p in (inbox / "processed").iterdir()) == ["visit.2.txt", "visit.txt"]


def test_a_changed_version_updates_in_place(app, inbox, clock):
    drop(inbox, "visit.txt", TEXT_RELEASE)
    run_ingest(app)
    before = app.store.release("minister-to-visit-moscow-for-security-talks")
    clock.advance(timedelta(hours=3))
    drop(inbox, "visit.txt", TEXT_RELEASE.replace("next month", "on Tuesday"))
    report = run_ingest(app)
    assert report.count("updated") == 1
    after = app.store.release(before.id)
    assert after.id == before.id and after.slug == before.slug and after.published == before.published
    assert after.updated == clock() and "on Tuesday" in after.body_text
    assert app.store.count_releases() == 1


def test_same_source_key_in_another_file_is_the_same_release(app, inbox):
    drop(inbox, "a.json", json.dumps({"title": "Talks", "body": "v1", "source_key": "K-1"}))
    run_ingest(app)
    drop(inbox, "b.json", json.dumps({"title": "Talks (corrected)", "body": "v2", "source_key": "K-1"}))
    assert run_ingest(app).count("updated") == 1
    assert [r.title for r in app.store.releases()] == ["Talks (corrected)"]


def test_different_releases_with_the_same_slug_get_suffixes(app, inbox):
    drop(inbox, "a.txt", "Weekly update\n\nFirst week.")
    drop(inbox, "b.txt", "Weekly update\n\nSecond week.")
    drop(inbox, "c.json", json.dumps({"title": "Weekly update", "body": "Third week."}))
    run_ingest(app)
    assert sorted(r.slug for r in app.store.releases()) == ["weekly-update", "weekly-update-2", "weekly-update-3"]
    assert all(r.id.endswith(":" + r.slug) for r in app.store.releases())


@pytest.mark.parametrize(
    ("name", "content", "fragment"),
    [
        ("no-title.json", json.dumps({"body": "text"}), "title"),
        ("bad-date.json", json.dumps({"title": "T", "body": "b", "published": "next Tuesday-ish"}), "published"),
        ("empty.txt", "\n\n  \n", "title"),
        ("notes.docx", b"PK\x03\x04", "docx"),
        ("broken.json", "{not json", "JSON"),
        ("binary.txt", b"\x81\x8d\x8f\x90\x9d" * 20, "encoding"),
    ],
)
def test_bad_files_go_to_rejected_with_a_reason_and_do_not_stop_the_batch(app, inbox, name, content, fragment):
    drop(inbox, name, content)
    drop(inbox, "zz-good.txt", TEXT_RELEASE)
    report = run_ingest(app)
    assert report.count("created") == 1 and report.count("rejected") == 1
    rejected = inbox / "rejected" / name
    assert rejected.exists(), "the rejected file is kept, never deleted"
    note = (inbox / "rejected" / (name + ".error.txt")).read_text(encoding="utf-8")
    assert name in note and fragment.lower() in note.lower()
    (error,) = [o.error for o in report.outcomes if o.status == "rejected"]
    assert name in error


def test_a_file_too_large_to_be_a_release_is_rejected_unread(app, inbox, monkeypatch):
    from feeds.ingest import units

    monkeypatch.setattr(units, "MAX_FILE_BYTES", 1024 * 1024)
    drop(inbox, "dump.json", b"[" + b" " * (1024 * 1024) + b"]")  # one byte over
    drop(inbox, "fits.json", json.dumps({"title": "Fits", "body": "x" * (1024 * 1024 - 100)}))
    read, real_read = [], units._read_up_to
    monkeypatch.setattr(units, "_read_up_to", lambda f, size: read.append(size) or real_read(f, size))
    report = run_ingest(app)
    assert read == [(inbox / "processed" / "fits.json").stat().st_size], "too large by its size: not a byte read"
    assert report.count("created") == 1 and report.count("rejected") == 1
    (error,) = [o.error for o in report.outcomes if o.status == "rejected"]
    assert "dump.json" in error and "larger than 1 MiB" in error
    assert (inbox / "rejected" / "dump.json").stat().st_size == 1024 * 1024 + 2, "kept whole, never deleted"


def test_a_file_that_grew_after_its_size_was_taken_is_read_on_to_the_limit(tmp_path, monkeypatch):
    """The read asks for the size `fstat` gave plus one; a file written to since then is read on, up to the
    limit plus one byte (which says it is too large), as a file of that size always was."""
    from feeds.ingest import units

    monkeypatch.setattr(units, "MAX_FILE_BYTES", 100)
    path = tmp_path / "growing.txt"
    path.write_bytes(b"a" * 40)
    with path.open("rb") as f:  # told 10 bytes: the file has 40, as after an append
        assert units._read_up_to(f.fileno(), 10) == b"a" * 40
    path.write_bytes(b"b" * 500)
    with path.open("rb") as f:
        assert units._read_up_to(f.fileno(), 10) == b"b" * 101, "never more than the limit plus one"
    with path.open("rb") as f:
        assert units._read_up_to(f.fileno(), 500) == b"b" * 101
    path.write_bytes(b"c" * 5)
    with path.open("rb") as f:  # shrunk since: what is there
        assert units._read_up_to(f.fileno(), 10) == b"c" * 5


def test_crash_between_commit_and_move_does_not_duplicate(app, inbox, monkeypatch):
    drop(inbox, "visit.txt", TEXT_RELEASE)

    def crash(*args, **kwargs):
        raise SystemExit("killed after commit, before the move")

    monkeypatch.setattr(folder, "settle", crash)
    with pytest.raises(SystemExit):
        run_ingest(app)
    assert app.store.count_releases() == 1
    assert (inbox / "visit.txt").exists()
    monkeypatch.undo()
    report = run_ingest(app)
    assert report.count("created") == 0 and report.count("unchanged") == 1
    assert app.store.count_releases() == 1
    assert (inbox / "processed" / "visit.txt").exists() and not (inbox / "visit.txt").exists()


def test_a_stale_file_found_after_a_crash_does_not_revert_a_newer_version(app, inbox, monkeypatch, clock):
    """The ledger knows the old file's bytes were ingested, and the file is older than that: seeing it again
    only moves it."""
    written = clock() - timedelta(minutes=1)
    written_at(drop(inbox, "visit.txt", TEXT_RELEASE), written)
    monkeypatch.setattr(folder, "settle", lambda *a, **k: folder.Settled())  # the move never happens
    run_ingest(app)
    monkeypatch.undo()
    stale = (inbox / "visit.txt").read_bytes()
    (inbox / "visit.txt").unlink()
    clock.advance(timedelta(hours=1))
    drop(inbox, "visit.txt", TEXT_RELEASE.replace("next month", "on Tuesday"))
    run_ingest(app)
    written_at(drop(inbox, "visit.txt", stale), written)  # the leftover, as it was
    assert run_ingest(app).count("updated") == 0
    assert "on Tuesday" in app.store.releases()[0].body_text


def test_an_edit_undone_restores_the_earlier_version(app, inbox, clock):
    """The earlier bytes are in the ledger, but written again after they were ingested: a new drop, read as one."""
    written_at(drop(inbox, "visit.txt", TEXT_RELEASE), clock())
    run_ingest(app)
    clock.advance(timedelta(hours=1))
    written_at(drop(inbox, "visit.txt", TEXT_RELEASE.replace("next month", "on Tuesday")), clock())
    assert run_ingest(app).count("updated") == 1
    clock.advance(timedelta(hours=1))
    written_at(drop(inbox, "visit.txt", TEXT_RELEASE), clock())
    report = run_ingest(app)
    assert report.count("updated") == 1, report.outcomes
    (release,) = app.store.releases()
    assert "next month" in release.body_text and release.updated == clock()
    assert len(list((inbox / "processed").iterdir())) == 3


def test_a_file_read_in_place_again_after_another_file_changed_its_release_restores_it(app, tmp_path, clock):
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    link = "https://www.example.gov.uk/government/news/talks"
    first.write_text(json.dumps({"title": "Talks", "body": "v1", "link": link}))
    written_at(first, clock())
    second.write_text(json.dumps({"title": "Talks", "body": "v2", "link": link}))
    ingest_paths(app, [first])
    clock.advance(timedelta(minutes=5))
    ingest_paths(app, [second])
    assert app.store.releases()[0].body_text == "v2"
    clock.advance(timedelta(minutes=5))
    written_at(first, clock())  # saved again (touched, or edited back)
    assert ingest_paths(app, [first]).count("updated") == 1
    assert app.store.releases()[0].body_text == "v1"


def test_ingest_paths_reads_in_place_outside_the_inbox(app, tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    drop(elsewhere, "visit.txt", TEXT_RELEASE)
    (elsewhere / "sub").mkdir()
    drop(elsewhere / "sub", "other.json", json.dumps({"title": "Other", "body": "x"}))
    report = ingest_paths(app, [elsewhere, tmp_path / "missing.txt"])
    assert report.count("created") == 2 and report.count("rejected") == 1
    assert (elsewhere / "visit.txt").exists() and not (elsewhere / "processed").exists()
    assert {r.source for r in app.store.releases()} == {"cli"}


def test_ingest_paths_moves_files_that_sit_in_the_inbox(app, inbox):
    p = drop(inbox, "visit.txt", TEXT_RELEASE)
    ingest_paths(app, [p])
    assert (inbox / "processed" / "visit.txt").exists()


DISGUISED_LINKS_PAGE = """<!doctype html><html><head><title>Ferry links | Harbour</title>{head}</head><body>
<main><h1>Ferry timetable links for the winter</h1>
<p>See <a href="jav&#x09;ascript:alert(3)">the tab link</a>, <a href="java
script:alert(6)">the newline link</a>, <a href=" &#x01;javascript:alert(7)">the control link</a>,
<a href="&#x0D;vbscript:alert(8)">the return link</a> and <a href="/ferries/winter">the timetable</a>.</p>
<p>The winter timetable starts in December. <img src="jav&#x0A;ascript:alert(9)" alt="a map">
<img src="/maps/ferry.png" alt="the ferry map"></p>
</main></body></html>"""


@pytest.mark.parametrize(
    ("head", "base"),
    [
        ("", "https://press.example.org/"),  # no URL of its own: links resolved against the site
        ('<link rel="canonical" href="https://harbour.example/news/ferry">', "https://harbour.example/"),
    ],
)
def test_a_dropped_page_loses_links_with_a_disguised_scheme_and_keeps_their_text(app, inbox, head, base):
    # Browsers drop tabs and newlines inside a URL and controls or spaces around it (WHATWG URL Standard), so
    # these are javascript: and vbscript: URLs: dropped as such, not published as http://HOST/jav%09ascript:….
    drop(inbox, "ferry.html", DISGUISED_LINKS_PAGE.format(head=head))
    report = run_ingest(app)
    assert report.count("created") == 1, [o.error for o in report.outcomes]
    body = app.store.release("ferry-timetable-links-for-the-winter").body_html
    assert "ascript" not in body.lower() and "alert(" not in body
    assert "See the tab link, the newline link, the control link, the return link and " in " ".join(body.split())
    assert f'<a href="{base}ferries/winter" rel="noopener noreferrer">the timetable</a>' in body
    assert f'<img src="{base}maps/ferry.png" alt="the ferry map">' in body and "a map" not in body


def test_every_corpus_release_ingests_with_real_fields(app, corpus_releases):
    files = sorted(p for p in corpus_releases.iterdir() if p.suffix in (".txt", ".json", ".html"))
    # The variants are later versions of the same GOV.UK pages: ingest them after the originals (last write wins).
    originals = [p for p in files if "variant" not in p.name]
    report = ingest_paths(app, originals)
    report2 = ingest_paths(app, [p for p in files if "variant" in p.name])
    assert report2.count("created") == 1 and report2.count("updated") == 3  # the Azerbaijan page has its own URL
    rejected = [o.error for o in report.outcomes if o.status == "rejected"]
    assert rejected == []
    with (corpus_releases / "INDEX.tsv").open(encoding="utf-8") as fh:
        index = list(csv.DictReader(fh, delimiter="\t"))
    # Variants of one GOV.UK page (same base_path) are updates of one release; other URLs are separate releases.
    urls = {row["url"] for row in index if row["url"]}
    text_files = [p for p in files if p.suffix == ".txt"]  # the model release has no URL: one release per file
    assert app.store.count_releases() == len(urls) + len(text_files)
    assert all(p.exists() for p in files), "files outside the inbox are never moved"
    moscow = app.store.release("foreign-secretary-to-visit-moscow")
    assert moscow.title == "Foreign Secretary to visit Moscow"
    assert {"Russia", "North Korea", "Iran", "Syria", "Ukraine"} <= set(moscow.topics)
    assert "<blockquote>" in moscow.body_html and "Russia is a fellow permanent member" in moscow.body_text
    by_link = {r.link: r for r in app.store.releases() if r.link}
    urdu = by_link["https://www.gov.uk/government/news/christmas-2016-prime-ministers-message.ur"]
    english = by_link["https://www.gov.uk/government/news/christmas-2016-prime-ministers-message"]
    assert urdu.language == "ur" and english.language == "en" and urdu.id != english.id
    assert english.withdrawn_at is not None, "the withdrawn variant updated the same release"
    for r in app.store.releases():
        assert "<script" not in r.body_html.lower() and "javascript:" not in r.body_html.lower()
        assert r.published.tzinfo is not None and r.title and r.body_text
    europarl = [r for r in app.store.releases() if r.link and "europarl" in r.link]
    assert len(europarl) == 5
    for r in europarl:
        assert "Share this page" not in r.body_text
        assert "| European Parliament" not in r.title


def test_the_corpus_folder_ingested_at_once_keeps_the_withdrawal(app, corpus_releases):
    """The withdrawn copy of the Christmas message sorts first; the copy from before the withdrawal (the same
    `public_updated_at`) is read after it and must not publish the release as current again."""
    ingest_paths(app, [corpus_releases])
    by_link = {r.link: r for r in app.store.releases() if r.link}
    english = by_link["https://www.gov.uk/government/news/christmas-2016-prime-ministers-message"]
    assert english.withdrawn_at is not None and english.withdrawn_note


def test_an_older_version_by_the_sources_own_timestamp_does_not_replace_a_newer_one(app, inbox, clock):
    """Two copies of one item in a batch, read in name order: the one its source dates later stays."""
    newer = {"title": "Ferry fares frozen", "body": "Added the winter timetable.", "source_key": "fares"}
    older = {"title": "Ferry fares frozen", "body": "First version.", "source_key": "fares"}
    drop(inbox, "a-newer.json", json.dumps({**newer, "published": "2026-11-01T09:00Z", "updated": "2026-11-20T09:00Z"}))
    drop(inbox, "b-older.json", json.dumps({**older, "published": "2026-11-01T09:00Z", "updated": "2026-11-05T09:00Z"}))
    report = run_ingest(app)
    assert (report.count("created"), report.count("unchanged")) == (1, 1)
    (release,) = app.store.releases()
    assert release.body_text == "Added the winter timetable."
    assert release.updated == datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    clock.advance(timedelta(days=1))
    drop(inbox, "c-newest.json", json.dumps({**newer, "body": "Fares frozen.", "updated": "2026-11-25T09:00Z"}))
    assert run_ingest(app).count("updated") == 1, "a version the source dates later still updates it"


def test_links_pipes_and_undecodable_names_in_the_drop_folder_are_rejected_and_the_rest_ingested(app, inbox, tmp_path):
    """Whoever can write to the drop folder must not publish a file from elsewhere through a link, and one odd
    entry (a link loop, a dangling link, a pipe, a name from a Samba share) must not stop the others."""
    secret = tmp_path / "secret.txt"
    secret.write_text("Private notes\n\nThe password is hunter2.\n", encoding="utf-8")
    os.symlink(secret, inbox / "notes.txt")
    os.symlink("loop2.txt", inbox / "loop1.txt")
    os.symlink("loop1.txt", inbox / "loop2.txt")
    os.symlink(tmp_path / "nowhere.txt", inbox / "dangling.txt")
    os.mkfifo(inbox / "pipe.txt")
    latin1 = os.fsdecode(b"caf\xe9.txt")
    drop(inbox, latin1, "Cafe opening\n\nThe cafe opens on Monday.\n")
    drop(inbox, "visit.txt", TEXT_RELEASE)
    report = run_ingest(app)
    assert report.count("created") == 1 and report.count("rejected") == 6
    errors = {Path(o.origin).name: o.error for o in report.outcomes if o.status == "rejected"}
    assert "symbolic link to " + str(secret) in errors["notes.txt"]
    assert "symbolic link" in errors["loop1.txt"] and "symbolic link" in errors["dangling.txt"]
    assert "not a regular file" in errors["pipe.txt"]
    assert "not valid UTF-8" in errors[latin1] and "caf\\xe9.txt" in errors[latin1]
    assert [r.title for r in app.store.releases()] == ["Minister to visit Moscow for security talks"]
    rejected = inbox / "rejected"
    assert {p.name for p in rejected.iterdir()} >= {"notes.txt", "notes.txt.error.txt", "pipe.txt", latin1}
    assert (rejected / "notes.txt").is_symlink() and secret.read_text(encoding="utf-8").endswith("hunter2.\n")
    assert "caf\\xe9.txt was not ingested" in (rejected / (latin1 + ".error.txt")).read_text(encoding="utf-8")
    assert [p.name for p in inbox.iterdir() if not p.is_dir()] == [], "nothing is left behind"


def test_a_link_in_place_of_processed_or_rejected_never_has_files_moved_through_it(app, inbox, tmp_path, caplog):
    """Whoever can write to the drop folder could otherwise swap `processed/` or `rejected/` for a link and have
    their files written anywhere the daemon may write (an `authorized_keys`, a cron file, the published site)."""
    victim = tmp_path / "victim"
    victim.mkdir()
    os.symlink(victim, inbox / "rejected")
    drop(inbox, "visit.txt", TEXT_RELEASE)
    drop(inbox, "authorized_keys", "ssh-ed25519 AAAA attacker\n")  # no extension a release has: rejected
    caplog.set_level("ERROR", logger="feeds.ingest")
    report = run_ingest(app)
    assert report.count("created") == 1
    assert list(victim.iterdir()) == [], "nothing was written through the link"
    assert (inbox / "authorized_keys").exists(), "a file that cannot be moved safely stays where it was dropped"
    assert (inbox / "processed" / "visit.txt").exists()
    assert f"refusing to move files into {inbox / 'rejected'}: it is a symbolic link" in caplog.text
    # Replaced by a real folder, the next run moves what stayed.
    (inbox / "rejected").unlink()
    run_ingest(app)
    assert (inbox / "rejected" / "authorized_keys").exists() and list(victim.iterdir()) == []
    assert len(app.store.releases()) == 1


def test_a_link_in_place_of_processed_is_itself_rejected_and_a_real_folder_takes_its_place(app, inbox, tmp_path):
    victim = tmp_path / "victim"
    victim.mkdir()
    os.symlink(victim, inbox / "processed")
    drop(inbox, "visit.txt", TEXT_RELEASE)
    report = run_ingest(app)
    assert report.count("created") == 1 and report.count("rejected") == 1  # the link, as any link dropped there
    assert list(victim.iterdir()) == [], "nothing was written through the link"
    assert not (inbox / "processed").is_symlink() and (inbox / "processed" / "visit.txt").exists()
    assert (inbox / "rejected" / "processed").is_symlink()
    note = (inbox / "rejected" / "processed.error.txt").read_text(encoding="utf-8")
    assert f"symbolic link to {victim}" in note


def test_a_hard_link_in_the_drop_folder_is_rejected_and_one_named_on_the_command_line_is_read(app, inbox, tmp_path):
    """A second name for a private file (the config, a key) dropped into the folder must not be published."""
    secret = tmp_path / "secret.txt"
    secret.write_text("Private notes\n\nThe password is hunter2.\n", encoding="utf-8")
    os.link(secret, inbox / "notes.txt")
    report = run_ingest(app)
    assert report.count("rejected") == 1 and app.store.releases() == []
    assert "2 names (hard links)" in report.outcomes[0].error
    assert secret.read_text(encoding="utf-8").endswith("hunter2.\n")
    elsewhere = tmp_path / "named"
    elsewhere.mkdir()
    os.link(secret, elsewhere / "notes.txt")
    assert ingest_paths(app, [elsewhere]).count("rejected") == 1, "met inside a folder: refused"
    assert ingest_paths(app, [elsewhere / "notes.txt"]).count("created") == 1, "named on purpose: read"


def test_a_file_whose_name_is_as_long_as_names_may_be_still_leaves_the_drop_folder(app, inbox):
    """Its note (`<name>.error.txt`) would be too long a name: the file is moved under a shortened one rather
    than left in the drop folder, failing again at every run."""
    long_bad = "B" * 250 + ".json"
    long_good = "é" * 125 + ".txt"  # 254 bytes in UTF-8
    drop(inbox, long_bad, "{not json")
    drop(inbox, long_good, TEXT_RELEASE)
    report = run_ingest(app)
    assert report.count("rejected") == 1 and report.count("created") == 1
    assert [p.name for p in inbox.iterdir() if p.is_file()] == []
    (moved,) = [p for p in (inbox / "rejected").iterdir() if not p.name.endswith(".error.txt")]
    assert moved.name.startswith("BBBB") and moved.name.endswith(".json") and len(moved.name) < 250
    assert moved.read_text(encoding="utf-8") == "{not json"
    note = Path(str(moved) + ".error.txt").read_text(encoding="utf-8")
    assert long_bad in note, "the note names the file as it was dropped"
    (kept,) = (inbox / "processed").iterdir()
    assert kept.name.startswith("éé") and kept.name.endswith(".txt")


def test_a_release_replaced_through_its_slug_by_one_with_another_title_and_date_is_said_out_loud(app, inbox):
    """Last week's file copied as a template with its `slug:` left in replaces last week's release (the identity
    rules say the same slug is the same release): the update says so, naming both."""
    drop(
        inbox,
        "climate.md",
        "---\ntitle: Climate fund extended\ndate: 2026-11-19 14:00\nslug: trade-envoy\n---\n\nText.\n",
    )
    run_ingest(app)
    drop(
        inbox,
        "flood.md",
        "---\ntitle: Flood defences completed\ndate: 2026-11-27 11:00\nslug: trade-envoy\n---\n\nNew.\n",
    )
    (outcome,) = run_ingest(app).outcomes
    assert outcome.status == "updated" and outcome.warning is not None
    assert "'Climate fund extended' (2026-11-19)" in outcome.warning and "'Flood defences completed'" in outcome.warning
    drop(
        inbox,
        "flood.md",
        "---\ntitle: Flood defences completed\ndate: 2026-11-27 11:00\nslug: trade-envoy\n---\n\nFix.\n",
    )
    (edit,) = run_ingest(app).outcomes
    assert edit.status == "updated" and edit.warning is None, "an ordinary edit says nothing"
    retitled = "---\ntitle: Flood defences completed on time\ndate: 2026-11-27 11:00\nslug: trade-envoy\n---\n\nX\n"
    drop(inbox, "flood.md", retitled)
    (edit,) = run_ingest(app).outcomes
    assert edit.status == "updated" and edit.warning is None, "a headline edited, not replaced"
    ports = "---\ntitle: Ports strategy published\ndate: 2026-11-27 11:00\nslug: trade-envoy\n---\n\nP.\n"
    drop(inbox, "ports.md", ports)
    (same_day,) = run_ingest(app).outcomes
    assert same_day.warning is not None, "another headline on the same day is still another release"


def test_an_edit_saved_under_another_file_name_is_a_second_release_and_says_so(app, inbox):
    """Ingest review: "…-v2-FINAL.txt" with the same title and date became a second release in every feed, without
    a word (a file known only by its name is a release of its own, as documented)."""
    drop(inbox, "militia.txt", TEXT_RELEASE)
    run_ingest(app)
    edited = TEXT_RELEASE.replace("next month", "in December").replace("to visit", "To Visit")
    drop(inbox, "militia-v2-FINAL.txt", edited)
    (outcome,) = run_ingest(app).outcomes
    assert outcome.status == "created" and outcome.slug == "minister-to-visit-moscow-for-security-talks-2"
    assert outcome.warning is not None and "stored already as 'minister-to-visit-moscow-for-security-talks'" in (
        outcome.warning
    )
    drop(inbox, "2025.txt", "Minister to visit Moscow for security talks\n\n4 November 2025\n\nLast year's.\n")
    (other,) = run_ingest(app).outcomes
    assert other.status == "created" and other.warning is None, "the same title on another day is another release"


def test_a_link_named_on_the_command_line_is_followed(app, tmp_path):
    real = tmp_path / "real.txt"
    real.write_text(TEXT_RELEASE, encoding="utf-8")
    os.symlink(real, tmp_path / "link.txt")
    assert ingest_paths(app, [tmp_path / "link.txt"]).count("created") == 1


def test_the_note_of_a_rejected_file_never_overwrites_an_earlier_rejected_file(app, inbox):
    # (named on the command line: a scan leaves a file named as a note alone, see test_ingest_folder_litter.py)
    note_named = drop(inbox, "notes.txt.error.txt", "Draft headline only - IMPORTANT NOTES\n")
    assert ingest_paths(app, [note_named]).count("rejected") == 1
    drop(inbox, "notes.txt", "Another headline only\n")
    assert run_ingest(app).count("rejected") == 1
    texts = [p.read_text(encoding="utf-8") for p in (inbox / "rejected").iterdir()]
    assert sum("IMPORTANT NOTES" in t and "was not ingested" not in t for t in texts) == 1, "the dropped file is kept"
    assert sum("Another headline only" in t for t in texts) == 1
    assert len(texts) == 4  # two files, two notes


def test_the_same_file_dropped_again_under_another_name_is_not_a_second_release(app, inbox):
    """ "release (1).txt", a file sent twice: the bytes of a file already ingested from this source are its
    releases, not new ones, as long as those are still stored."""
    drop(inbox, "visit.txt", TEXT_RELEASE)
    first = run_ingest(app)
    assert first.count("created") == 1
    drop(inbox, "visit (1).txt", TEXT_RELEASE)
    drop(inbox, "visit-copy.txt", TEXT_RELEASE.replace("next month", "next week"))  # not the same bytes
    again = run_ingest(app)
    assert again.count("created") == 1 and again.count("unchanged") == 1
    (same,) = [o for o in again.outcomes if o.status == "unchanged"]
    assert same.release_id == first.outcomes[0].release_id and Path(same.moved_to or "").parent.name == "processed"
    assert len(app.store.releases()) == 2
    drop(inbox, "visit (2).txt", TEXT_RELEASE)
    assert run_ingest(app).count("unchanged") == 1 and len(app.store.releases()) == 2


def test_a_copy_dropped_again_under_the_same_copy_name_is_still_not_a_second_release(app, inbox, clock):
    """A review's find: "visit (1).txt" was recognised as the bytes of visit.txt, but the same copy dropped again
    later (sent twice more) was published as a second release: its own record in the ledger kept it from being
    compared with visit.txt, and no release is stored under its name."""
    drop(inbox, "visit.txt", TEXT_RELEASE)
    assert run_ingest(app).count("created") == 1
    clock.advance(timedelta(minutes=1))
    drop(inbox, "visit (1).txt", TEXT_RELEASE)
    assert run_ingest(app).count("unchanged") == 1
    clock.advance(timedelta(minutes=1))
    drop(inbox, "visit (1).txt", TEXT_RELEASE)
    again = run_ingest(app)
    assert [o.status for o in again.outcomes] == ["unchanged"]
    assert len(app.store.releases()) == 1


def test_a_copy_edited_into_a_release_of_its_own_and_then_undone_restores_that_release(app, inbox, clock):
    """(Not taken for the first file's twin once a release is stored under its own name: undoing its edit
    restores it, as for any file.)"""
    drop(inbox, "visit.txt", TEXT_RELEASE)
    run_ingest(app)
    for text in (TEXT_RELEASE, TEXT_RELEASE.replace("next month", "next week"), TEXT_RELEASE):
        clock.advance(timedelta(minutes=1))
        drop(inbox, "visit (1).txt", text)
        last = run_ingest(app)
    assert [o.status for o in last.outcomes] == ["updated"]
    assert sorted("next month" in r.body_text for r in app.store.releases()) == [True, True]


def test_a_draft_tried_with_feeds_ingest_and_then_dropped_into_the_inbox_is_one_release(app, inbox, tmp_path):
    """A review's find: the same bytes through two routes (`feeds ingest ~/drafts/x.txt`, source `cli`, then the
    inbox) were published twice; twins were only looked for within a source."""
    drafts = tmp_path / "drafts"
    drafts.mkdir()
    tried = ingest_paths(app, [drop(drafts, "harbour.txt", TEXT_RELEASE)])
    assert tried.count("created") == 1
    drop(inbox, "harbour.txt", TEXT_RELEASE)
    dropped = run_ingest(app)
    assert dropped.count("unchanged") == 1 and dropped.count("created") == 0
    assert dropped.outcomes[0].release_id == tried.outcomes[0].release_id
    assert len(app.store.releases()) == 1 and (inbox / "processed" / "harbour.txt").exists()


def test_a_version_that_now_carries_a_link_says_it_became_a_second_release(app, inbox):
    """A review's find: adding the GOV.UK `link:` to a published Markdown file made a second release without a
    word (a release is known by its strongest name alone, and the first version had none)."""
    page = "---\ntitle: Trade envoy visits Kyiv\ndate: 2026-11-20\n{extra}---\nThe envoy met ministers.\n"
    drop(inbox, "envoy.md", page.format(extra=""))
    assert run_ingest(app).count("created") == 1
    drop(inbox, "envoy.md", page.format(extra="link: https://www.gov.uk/government/news/trade-envoy-visits-kyiv\n"))
    (o,) = run_ingest(app).outcomes
    assert o.status == "created" and o.slug == "trade-envoy-visits-kyiv-2"
    assert "stored already as 'trade-envoy-visits-kyiv'" in (o.warning or "")
    assert "this one's link is not the first one's" in (o.warning or "")


def test_the_same_bytes_twice_in_one_drop_are_one_release(app, inbox):
    drop(inbox, "a.txt", "Title here\n\nBody text.\n")
    drop(inbox, "b.txt", "Title here\n\nBody text.\n")
    report = run_ingest(app)
    assert report.count("created") == 1 and report.count("unchanged") == 1
    assert [r.slug for r in app.store.releases()] == ["title-here"]
    assert sorted(p.name for p in (inbox / "processed").iterdir()) == ["a.txt", "b.txt"]


def test_a_file_another_process_took_between_scan_and_read_is_not_reported_rejected(app, inbox, monkeypatch):
    drop(inbox, "a.txt", TEXT_RELEASE)
    drop(inbox, "b.txt", "Harbour opens\n\nThe harbour opens on Monday.\n")
    real_scan = folder.scan

    def scan_then_lose_one(path, **kwargs):
        found = real_scan(path, **kwargs)
        (path / "b.txt").unlink()  # a second `feeds ingest` moved it away meanwhile
        return found

    monkeypatch.setattr(folder, "scan", scan_then_lose_one)
    report = run_ingest(app)
    assert report.count("created") == 1 and report.count("rejected") == 0 and len(report.outcomes) == 1
    assert not (inbox / "rejected").exists()


def test_an_unreadable_folder_source_is_reported_and_the_other_sources_still_run(
    make_settings, make_app_for, tmp_path, monkeypatch
):
    settings = make_settings('\n[[sources]]\ntype = "folder"\nname = "examples"\npath = "examples"\nmove = false\n')
    app = make_app_for(settings)
    (tmp_path / "examples").mkdir()
    drop(tmp_path / "examples", "visit.txt", TEXT_RELEASE)
    real_scan = folder.scan

    def unreadable_inbox(path, **kwargs):
        if path == settings.source("inbox").path:
            raise PermissionError(13, "Permission denied", str(path))
        return real_scan(path, **kwargs)

    monkeypatch.setattr(folder, "scan", unreadable_inbox)
    report = run_ingest(app)
    assert report.count("created") == 1
    # a source, not a file: not counted as a rejected file (an operator's review), but said, and failing the run
    assert report.count("rejected") == 0 and report.unreadable == ("inbox",)
    (why,) = report.why
    assert "cannot read the folder of source 'inbox': Permission denied" in why


def test_a_drop_folder_that_cannot_be_emptied_fails_the_ingest_and_says_what_to_do(app, inbox, monkeypatch):
    """An operator's review: with a read-only inbox, releases were stored, each file logged 'could not move' at
    every scan, and yet `feeds ingest`, `run --once` and /healthz all said everything was fine. (The folder is
    made read-only for the drop folder's own calls: the tests may run as root, whom permissions do not stop.)"""
    drop(inbox, "visit.txt", TEXT_RELEASE)
    drop(inbox, "bad.json", "{")
    real_mkdir = os.mkdir

    def read_only(path, *args, **kwargs):
        if kwargs.get("dir_fd") is not None:
            raise PermissionError(13, "Permission denied", path)
        return real_mkdir(path, *args, **kwargs)

    with monkeypatch.context() as m:
        m.setattr(folder.os, "mkdir", read_only)
        report = run_ingest(app)
        again = run_ingest(app)
    assert report.count("created") == 1 and report.count("rejected") == 1
    assert sorted(report.stuck) == [
        f"{inbox}: 1 file(s) stayed in the drop folder: could not create {kind}/ (Permission denied); make the "
        "folder, its processed/ and rejected/ writable by the user running feeds (each scan moves them again "
        "meanwhile; nothing is stored twice)"
        for kind in ("processed", "rejected")
    ]
    assert again.count("created") == 0 and len(again.stuck) == 2 and app.store.count_releases() == 1
    assert run_ingest(app).stuck == () and sorted(p.name for p in (inbox / "processed").iterdir()) == ["visit.txt"]


def test_a_rejection_killed_between_its_note_and_its_move_completes_under_the_same_name(app, inbox):
    """The daemon kill test (10 rounds) found bad.json moved to rejected/ as bad.2.json beside an orphan note
    bad.json.error.txt: the note is written first, and a kill before the move left it without its file."""
    drop(inbox, "bad.json", '{"body": "no title"}')
    (inbox / "rejected").mkdir()
    (inbox / "rejected" / "bad.json.error.txt").write_text("bad.json was not ingested (2026-11-28T11:00:00Z):\n\n…")
    (inbox / "rejected" / "other.json.error.txt").write_text("a file dropped under this name: not ours")
    drop(inbox, "other.json", '{"body": "no title"}')
    assert run_ingest(app).count("rejected") == 2
    assert sorted(p.name for p in (inbox / "rejected").iterdir()) == [
        "bad.json",
        "bad.json.error.txt",
        "other.2.json",
        "other.2.json.error.txt",
        "other.json.error.txt",
    ]
    assert "is required" in (inbox / "rejected" / "bad.json.error.txt").read_text()  # rewritten by this run
    assert (inbox / "rejected" / "other.2.json.error.txt").read_text().startswith("other.json was not ingested (")


def test_a_public_release_dropped_again_dated_ahead_is_rejected_and_stays_public(app, inbox, clock):
    """Noticed in an earlier session and found again by a CMS developer: a new version dated ahead took a public
    release off the site until then. It is refused instead (withdrawing is how a release is taken back)."""
    drop(inbox, "fares.json", json.dumps({"title": "Ferry fares frozen", "body": "x.", "published": "2026-11-20"}))
    run_ingest(app)
    ahead = {"title": "Ferry fares frozen", "body": "y.", "published": "2026-12-20"}
    drop(inbox, "fares.json", json.dumps(ahead))
    report = run_ingest(app)
    (outcome,) = report.outcomes
    assert outcome.status == "rejected" and "has been public since 2026-11-20" in (outcome.error or "")
    assert app.store.release("ferry-fares-frozen").body_text == "x."
    assert (inbox / "rejected" / "fares.json.error.txt").exists()


def test_a_rejection_killed_while_writing_its_note_leaves_nothing_that_takes_the_name(app, inbox):
    """The kill test again (3 rounds): a kill while the note was written left it empty, not recognisably ours,
    and the file then went in as bad.2.json. The note is written under a hidden name and renamed when whole."""
    drop(inbox, "bad.json", '{"body": "no title"}')
    (inbox / "rejected").mkdir()
    (inbox / "rejected" / ".bad.json.error.txt").write_text("")  # the part a kill left
    assert run_ingest(app).count("rejected") == 1
    assert sorted(p.name for p in (inbox / "rejected").iterdir()) == ["bad.json", "bad.json.error.txt"]


def test_a_disabled_folder_source_is_not_read_and_its_files_wait(make_settings, make_app_for, tmp_path):
    """An operator's review: `enabled = false` worked on remote sources only; on a folder it was an unknown key."""
    extra = '\n[[sources]]\ntype = "folder"\nname = "desk"\npath = "desk"\nenabled = false\n'
    settings = make_settings(extra)
    app = make_app_for(settings)
    (tmp_path / "desk").mkdir()
    drop(tmp_path / "desk", "visit.txt", TEXT_RELEASE)
    report = run_ingest(app)
    assert report.outcomes == () and report.unreadable == () and (tmp_path / "desk" / "visit.txt").exists()
    assert [s.name for s in settings.inboxes] == ["inbox"] and not (tmp_path / "desk" / "processed").exists()
    enabled = make_settings(extra.replace("enabled = false", "enabled = true"))
    assert run_ingest(make_app_for(enabled)).count("created") == 1


def test_a_missing_drop_folder_is_created_and_said_so(make_settings, make_app_for, tmp_path, caplog):
    settings = make_settings('\n[[sources]]\ntype = "folder"\nname = "desk"\npath = "desk-inbox"\n')
    app = make_app_for(settings)
    with caplog.at_level("INFO", logger="feeds.ingest"):
        run_ingest(app)
    assert (tmp_path / "desk-inbox").is_dir()
    assert f"created the drop folder {tmp_path / 'desk-inbox'} of source 'desk'" in caplog.text


def test_a_folder_dropped_into_the_drop_folder_is_named_in_the_log_once(app, inbox, caplog):
    (inbox / "batch").mkdir()
    drop(inbox / "batch", "a.txt", TEXT_RELEASE)
    with caplog.at_level("WARNING", logger="feeds.ingest"):
        run_ingest(app)
        run_ingest(app)
    said = [r.getMessage() for r in caplog.records if "a folder" in r.getMessage()]
    assert len(said) == 1 and str(inbox / "batch") in said[0]
    assert (inbox / "batch" / "a.txt").exists(), "left where it is"


def test_an_earlier_version_of_a_named_release_dropped_under_another_name_restores_it(app, inbox):
    """The same-bytes rule is for releases known only by their file: one with a source_key is that release
    whatever the file is called, and its earlier version dropped again brings that version back."""
    v1 = json.dumps({"title": "Harbour opens", "body": "The harbour opens on Monday.", "source_key": "harbour"})
    v2 = json.dumps({"title": "Harbour opens", "body": "The harbour opens on Tuesday.", "source_key": "harbour"})
    drop(inbox, "a.json", v1)
    run_ingest(app)
    drop(inbox, "b.json", v2)
    assert run_ingest(app).count("updated") == 1
    drop(inbox, "c.json", v1)
    assert run_ingest(app).count("updated") == 1
    assert "Monday" in app.store.releases()[0].body_text


def test_a_database_refusing_a_batch_says_which_files_wait_and_leaves_them(app, inbox, monkeypatch):
    """Operators review: with the database refusing (a revoked permission), the daemon's 'ingest failed' named
    neither the source nor a file; the files were rightly left in the drop folder."""
    import sqlalchemy as sa

    import feeds.ingest as ingest_module
    from feeds.store import error_text

    drop(inbox, "visit.txt", TEXT_RELEASE)

    def refuse(*args, **kwargs):
        raise sa.exc.ProgrammingError("INSERT INTO releases …", {}, Exception("permission denied for table releases"))

    monkeypatch.setattr(ingest_module, "save_units", refuse)
    with pytest.raises(sa.exc.ProgrammingError) as info:
        run_ingest(app)
    text = error_text(info.value)
    assert text.startswith("Exception: permission denied for table releases (storing 1 file(s) of source 'inbox'")
    assert str(inbox / "visit.txt") in text and text.endswith("they stay where they are)")
    assert (inbox / "visit.txt").exists()


REPLACED = TEXT_RELEASE.replace("next month", "next week")


def _replacing_before_the_move(monkeypatch, target: Path, content: str, *, in_place: bool = False) -> None:
    """Have `target` replaced (renamed onto, or written again in place) after it was read, before its move."""
    settle = folder.settle

    def replace_then_settle(*args, **kwargs):
        if in_place:
            with target.open("a", encoding="utf-8") as f:
                f.write(content)
        else:
            part = target.with_name(f".{target.name}.tmp")
            part.write_text(content, encoding="utf-8")
            os.replace(part, target)
        written_at(target, datetime(2026, 1, 1, tzinfo=UTC))  # long quiet: the next scan reads it
        return settle(*args, **kwargs)

    monkeypatch.setattr(folder, "settle", replace_then_settle)


def test_a_file_replaced_while_it_was_read_is_left_to_be_read_again_not_lost(app, inbox, monkeypatch, caplog):
    caplog.set_level("WARNING", logger="feeds.ingest")
    dropped = drop(inbox, "visit.txt", TEXT_RELEASE)
    _replacing_before_the_move(monkeypatch, dropped, REPLACED)
    report = run_ingest(app)
    (created,) = report.outcomes
    assert created.status == "created" and created.moved_to is None
    assert created.warning == f"{dropped} changed while it was read: left in the drop folder, to be read again"
    assert dropped.read_text(encoding="utf-8") == REPLACED, "the new content waits in the drop folder"
    assert not (inbox / "processed" / "visit.txt").exists()
    assert "changed while it was read: left in the drop folder" in caplog.text
    monkeypatch.undo()
    assert run_ingest(app).count("updated") == 1
    (release,) = app.store.releases()
    assert "next week" in release.body_text
    assert (inbox / "processed" / "visit.txt").read_text(encoding="utf-8") == REPLACED
    assert not dropped.exists()


def test_a_file_name_with_a_hash_sign_is_reported_where_it_went(app, inbox, monkeypatch):
    """`Statement #2.txt`: the report cut file names at `#` (as if it named an object of a list), so it said
    neither where such a file was moved nor that it was left in the drop folder to be read again."""
    drop(inbox, "Statement #1.txt", TEXT_RELEASE)
    drop(inbox, "list #1.json", json.dumps([{"title": "First", "body": "One."}, {"title": "Second", "body": "Two."}]))
    report = run_ingest(app)
    assert [Path(o.moved_to or "").relative_to(inbox).as_posix() for o in report.outcomes] == [
        "processed/Statement #1.txt",
        "processed/list #1.json",
        "processed/list #1.json",
    ]
    dropped = drop(inbox, "Statement #2.txt", TEXT_RELEASE.replace("Minister", "Secretary"))
    _replacing_before_the_move(monkeypatch, dropped, REPLACED)
    (o,) = run_ingest(app).outcomes
    assert o.moved_to is None and o.warning == f"{dropped} {folder.PUT_BACK}"


def test_a_file_written_again_in_place_while_it_was_read_is_read_again(app, inbox, monkeypatch):
    dropped = drop(inbox, "visit.txt", TEXT_RELEASE)
    _replacing_before_the_move(monkeypatch, dropped, "\nA paragraph added later.\n", in_place=True)
    run_ingest(app)
    assert dropped.exists() and not (inbox / "processed" / "visit.txt").exists()
    monkeypatch.undo()
    assert run_ingest(app).count("updated") == 1
    assert "A paragraph added later." in app.store.releases()[0].body_text


def test_a_bad_file_replaced_by_a_good_one_while_it_was_read_is_not_rejected(app, inbox, monkeypatch):
    dropped = drop(inbox, "visit.json", "{not json")
    _replacing_before_the_move(monkeypatch, dropped, json.dumps({"title": "Fixed", "body": "Now it reads."}))
    assert run_ingest(app).count("rejected") == 1
    rejected = inbox / "rejected"
    assert dropped.exists() and not any(rejected.iterdir()), "neither the new file nor a note about the old one"
    monkeypatch.undo()
    assert run_ingest(app).count("created") == 1 and app.store.releases()[0].title == "Fixed"


def test_a_correction_sent_with_a_change_note_is_in_the_stored_history(app, inbox, clock):
    first = {"source_key": "visit-1", "title": "Minister to visit Oslo", "body": "On 3 December."}
    drop(inbox, "visit.json", json.dumps(first))
    run_ingest(app)
    clock.advance(timedelta(hours=2))
    corrected = {**first, "body": "On 4 December.", "change_note": "Corrected the date of the visit."}
    drop(inbox, "visit.json", json.dumps(corrected))
    assert run_ingest(app).count("updated") == 1
    (release,) = app.store.releases()
    assert [(c.at, c.note) for c in release.changes] == [(clock(), "Corrected the date of the visit.")]
    assert release.updated == clock()
    drop(inbox, "visit.json", json.dumps(corrected))  # the same file again: nothing to say twice
    assert run_ingest(app).count("unchanged") == 1


def test_a_change_note_in_front_matter_is_read_as_in_json(app, inbox, clock):
    drop(inbox, "visit.md", "---\ntitle: Minister to visit Oslo\nslug: oslo\n---\nOn 3 December.\n")
    run_ingest(app)
    clock.advance(timedelta(hours=1))
    drop(
        inbox,
        "visit.md",
        "---\ntitle: Minister to visit Oslo\nslug: oslo\nchange_note: Date corrected.\n---\nOn 4 December.\n",
    )
    assert run_ingest(app).count("updated") == 1
    assert [c.note for c in app.store.release("oslo").changes] == ["Date corrected."]


SANCTIONS = {"title": "Sanctions on shipping network", "body": "New sanctions target a shipping network."}
STATEMENT = {"title": "Statement on missile launch", "body": "The Foreign Secretary condemned the launch."}
AID = {"title": "Aid for Syria", "body": "Extra winter aid for Syria was announced."}


def _bodies(app) -> dict[str, str]:
    return {r.slug: r.body_text for r in app.store.releases()}


def test_an_item_added_at_the_top_of_a_json_list_moves_no_release(app, inbox):
    """Review 3, finding 1: list items without source_key, link or slug were known by their index, so an item
    put first gave every release below it its neighbour's text (and id)."""
    drop(inbox, "list.json", json.dumps([SANCTIONS, STATEMENT]))
    run_ingest(app)
    before = {r.slug: r.id for r in app.store.releases()}
    drop(inbox, "list.json", json.dumps([AID, SANCTIONS, STATEMENT]))
    report = run_ingest(app)
    assert (report.count("created"), report.count("updated"), report.count("unchanged")) == (1, 0, 2)
    assert not [o.warning for o in report.outcomes if o.warning]
    after = {r.slug: r.id for r in app.store.releases()}
    assert after == {**before, "aid-for-syria": after["aid-for-syria"]}
    assert _bodies(app)["sanctions-on-shipping-network"] == SANCTIONS["body"]
    assert _bodies(app)["statement-on-missile-launch"] == STATEMENT["body"]


def test_items_removed_or_reordered_in_a_json_list_keep_their_releases(app, inbox):
    drop(inbox, "list.json", json.dumps([AID, SANCTIONS, STATEMENT]))
    run_ingest(app)
    drop(inbox, "list.json", json.dumps([STATEMENT, AID]))  # Sanctions taken out, the others swapped
    report = run_ingest(app)
    assert report.count("unchanged") == 2 and report.count("updated") == report.count("created") == 0
    edited = {**STATEMENT, "body": "The Foreign Secretary condemned the launch again."}
    drop(inbox, "list.json", json.dumps([AID, edited]))
    assert run_ingest(app).count("updated") == 1
    assert app.store.count_releases() == 3
    assert _bodies(app)["statement-on-missile-launch"] == edited["body"]
    assert _bodies(app)["sanctions-on-shipping-network"] == SANCTIONS["body"]


def test_two_items_of_a_json_list_with_the_same_title_are_told_apart_by_their_order(app, inbox):
    week1 = {"title": "Weekly update", "body": "First week."}
    week2 = {"title": "Weekly update", "body": "Second week."}
    drop(inbox, "list.json", json.dumps([week1, week2]))
    assert run_ingest(app).count("created") == 2
    drop(inbox, "list.json", json.dumps([AID, week1, week2]))
    report = run_ingest(app)
    assert (report.count("created"), report.count("unchanged")) == (1, 2)
    assert _bodies(app)["weekly-update"] == "First week." and _bodies(app)["weekly-update-2"] == "Second week."


def _stored_by_position(app, identities: dict[str, str]) -> None:
    """Give stored releases the positional identities (`file:inbox/list.json#0`…) earlier versions gave them."""
    from feeds.store.schema import releases

    with app.store.transaction() as tx:
        for slug, identity in identities.items():
            tx.conn.execute(releases.update().where(releases.c.slug == slug).values(identity=identity))


def _list_stored_by_position(app, inbox) -> None:
    """`list.json` ([SANCTIONS, STATEMENT]) ingested and stored as an earlier version named its objects."""
    drop(inbox, "list.json", json.dumps([SANCTIONS, STATEMENT]))
    run_ingest(app)
    _stored_by_position(
        app,
        {
            "sanctions-on-shipping-network": "file:inbox/list.json#0",
            "statement-on-missile-launch": "file:inbox/list.json#1",
        },
    )


def test_a_json_list_stored_by_position_before_an_upgrade_is_not_duplicated(app, inbox):
    _list_stored_by_position(app, inbox)
    ids = {r.slug: r.id for r in app.store.releases()}
    edited = {**STATEMENT, "body": "The Foreign Secretary condemned the launch again."}
    drop(inbox, "list.json", json.dumps([SANCTIONS, edited]))  # the same positions, one edited
    report = run_ingest(app)
    assert (report.count("created"), report.count("updated"), report.count("unchanged")) == (0, 1, 1)
    assert {r.slug: r.id for r in app.store.releases()} == ids
    assert not any(r.identity.endswith(("#0", "#1")) for r in app.store.releases()), "taken over by the new names"
    drop(inbox, "list.json", json.dumps([AID, SANCTIONS, edited]))
    report = run_ingest(app)
    assert (report.count("created"), report.count("unchanged")) == (1, 2)
    assert _bodies(app)["statement-on-missile-launch"] == edited["body"]


def test_a_json_list_stored_by_position_and_changed_since_keeps_each_release_after_an_upgrade(app, inbox):
    """An item takes over the release stored at a position of its file only when that release has its title: the
    list may have changed since (an item put first), and taking over its neighbour's release is the bug fixed."""
    _list_stored_by_position(app, inbox)
    drop(inbox, "list.json", json.dumps([AID, SANCTIONS, STATEMENT]))
    report = run_ingest(app)
    assert (report.count("created"), report.count("updated"), report.count("unchanged")) == (1, 0, 2)
    assert app.store.count_releases() == 3
    assert _bodies(app)["sanctions-on-shipping-network"] == SANCTIONS["body"]
    assert _bodies(app)["statement-on-missile-launch"] == STATEMENT["body"]
    assert "aid-for-syria" in _bodies(app)


BERGEN = "Fisheries deal agreed in Bergen\n\nMinisters agreed a mackerel deal in Bergen today.\n"
FLOODS = "New coastal flood fund announced\n\nA new fund for coastal towns was announced today.\n"


def test_files_of_one_name_in_subfolders_of_a_named_folder_are_separate_releases(app, tmp_path):
    """Review 3, finding 2: `feeds ingest FOLDER` knew the files it found by their base name, so an archive with a
    `release.txt` in each year's folder was stored as one release, the last one read."""
    (tmp_path / "a" / "2025").mkdir(parents=True)
    (tmp_path / "a" / "2026").mkdir()
    drop(tmp_path / "a" / "2025", "release.txt", BERGEN)
    drop(tmp_path / "a" / "2026", "release.txt", FLOODS)
    report = ingest_paths(app, [tmp_path / "a"])
    assert report.count("created") == 2, [o.error for o in report.outcomes]
    assert {r.title for r in app.store.releases()} == {
        "Fisheries deal agreed in Bergen",
        "New coastal flood fund announced",
    }
    assert {r.identity for r in app.store.releases()} == {"file:cli/2025/release.txt", "file:cli/2026/release.txt"}
    assert ingest_paths(app, [tmp_path / "a"]).count("unchanged") == 2


def test_a_named_folder_ingested_by_base_name_before_an_upgrade_is_not_duplicated(app, tmp_path):
    (tmp_path / "a" / "2025").mkdir(parents=True)
    drop(tmp_path / "a" / "2025", "release.txt", BERGEN)
    drop(tmp_path / "a", "top.txt", TEXT_RELEASE)
    ingest_paths(app, [tmp_path / "a"])
    _stored_by_position(app, {"fisheries-deal-agreed-in-bergen": "file:cli/release.txt"})  # as stored before
    (tmp_path / "a" / "2026").mkdir()
    drop(tmp_path / "a" / "2026", "release.txt", FLOODS)
    report = ingest_paths(app, [tmp_path / "a"])
    assert (report.count("created"), report.count("unchanged")) == (1, 2), [o.error for o in report.outcomes]
    assert {r.identity for r in app.store.releases()} == {
        "file:cli/2025/release.txt",
        "file:cli/2026/release.txt",
        "file:cli/top.txt",
    }


@pytest.mark.parametrize("named", ["files", "folders"])
def test_two_files_that_would_be_one_release_in_one_run_are_not_merged(app, tmp_path, named):
    """Files named one by one are known by their base name, and so are those at the top of a named folder: two
    of them with one name in one run would be one release, the second replacing the first. The second is refused,
    saying why, and stays where it is."""
    for sub, text in (("x", BERGEN), ("y", FLOODS)):
        (tmp_path / sub).mkdir()
        drop(tmp_path / sub, "release.txt", text)
    paths = [tmp_path / "x", tmp_path / "y"]
    report = ingest_paths(app, paths if named == "folders" else [p / "release.txt" for p in paths])
    assert (report.count("created"), report.count("rejected")) == (1, 1)
    (error,) = [o.error for o in report.outcomes if o.status == "rejected"]
    assert str(tmp_path / "y" / "release.txt") in error and str(tmp_path / "x" / "release.txt") in error
    assert [r.title for r in app.store.releases()] == ["Fisheries deal agreed in Bergen"]


def test_a_file_name_used_again_for_another_headline_says_so(app, inbox):
    """Review 3, finding 5: the office's template `statement.txt` dropped again for another statement replaces the
    published one (the same file within its source), and the ingest said nothing."""
    drop(inbox, "statement.txt", "Statement on the earthquake in Turkey\n\nCondolences to the people of Turkey.\n")
    run_ingest(app)
    drop(inbox, "statement.txt", "Statement on the election in Ruritania\n\nThe Foreign Secretary welcomed it.\n")
    (outcome,) = run_ingest(app).outcomes
    assert outcome.status == "updated" and outcome.warning is not None
    assert "'statement-on-the-earthquake-in-turkey' was 'Statement on the earthquake in Turkey'" in outcome.warning
    assert "drop it under a file name of its own" in outcome.warning
    drop(inbox, "statement.txt", "Statement on the election in Ruritania today\n\nThe Foreign Secretary welcomed it.\n")
    (edit,) = run_ingest(app).outcomes
    assert edit.status == "updated" and edit.warning is None  # an edit of the headline is not another release


def test_pages_whose_og_url_is_the_site_root_are_separate_releases(app, inbox):
    """Review 3, finding 7: two pages with `og:url` = the site's home page were one release."""
    for n in (1, 2):
        head = '<meta property="og:url" content="https://harbour.example.gov/">'
        body = f"<h1>Harbour story number {n} of the week</h1><p>Story {n}.</p>"
        drop(inbox, f"story-{n}.html", f"<html><head>{head}</head><body>{body}</body></html>")
    report = run_ingest(app)
    assert report.count("created") == 2 and app.store.count_releases() == 2


def test_edits_the_same_day_under_a_date_only_updated_line_are_all_published(app, inbox, clock):
    """Review 3, finding 3: the second edit with the same `updated: 2026-11-28` was stored with the time of its
    ingest as `updated`, and the third, dated by its source before that time, was taken for an older copy and
    reported unchanged, for good. Only the source's own earlier `updated` tells an older copy."""
    bodies = ("councils", "councils and ports", "councils, ports and harbours", "councils, ports, harbours and islands")
    for n, body in enumerate(bodies):
        updated = "updated: 2026-11-28\n" if n else ""
        text = f"---\ntitle: Climate fund opens\ndate: 2026-11-18 09:30\n{updated}---\nThe fund opens for {body} today."
        drop(inbox, "fund.md", text)
        report = run_ingest(app)
        assert report.count("created" if n == 0 else "updated") == 1, (n, report.outcomes)
        (release,) = app.store.releases()
        assert release.body_text == f"The fund opens for {body} today."
        clock.advance(timedelta(minutes=10))
    assert release.updated == clock() - timedelta(minutes=10), "an edit without a newer date is dated when read"
    # A copy the source dates earlier than the version stored is still an older copy.
    drop(inbox, "fund.md", text.replace("2026-11-28", "2026-11-27").replace("islands", "ferries"))
    assert run_ingest(app).count("unchanged") == 1
    assert app.store.releases()[0].body_text.endswith("islands today.")


HARBOUR = {
    "title": "Harbour fund opens for bids",
    "published": "2026-11-20T09:00:00Z",
    "link": "http://press.example.net/news/harbour-fund",
    "body": "Coastal towns can bid for the harbour fund from today.",
}


@pytest.mark.parametrize(
    "link",
    [
        "https://press.example.net/news/harbour-fund",  # the site moved to https
        "http://press.example.net/news/harbour-fund/",  # its pages gained a slash at the end
        "HTTPS://Press.Example.Net:443/news/harbour-fund/",  # both, written otherwise
    ],
)
def test_a_release_whose_link_changes_form_stays_one_release(app, inbox, link):
    """Noticed in a closing note: a release known by its link was a second release when the link came back over
    https, or with a slash at the end; every release of a source that moved to https would be published twice."""
    drop(inbox, "harbour.json", json.dumps(HARBOUR))
    (first,) = run_ingest(app).outcomes
    drop(inbox, "harbour.json", json.dumps({**HARBOUR, "link": link}))
    (again,) = run_ingest(app).outcomes
    assert again.status == "updated" and again.release_id == first.release_id and again.slug == first.slug
    assert "was known by the link http://press.example.net/news/harbour-fund;" in (again.warning or "")
    (stored,) = app.store.releases()
    assert stored.identity == "url:" + canonical_url(link)  # the form last seen is kept…
    assert stored.link == link.strip()
    drop(inbox, "harbour.json", json.dumps(HARBOUR))  # …and the first form still finds it
    (back,) = run_ingest(app).outcomes
    assert back.status == "updated" and back.release_id == first.release_id
    assert app.store.count_releases() == 1


def test_a_link_that_changes_form_in_one_batch_is_one_release(app, inbox):
    """Two files of one batch. (Two objects of one file that name one page are refused as twins instead: the
    second would silently replace the first, see test_ingest_formats.)"""
    secure = {**HARBOUR, "link": "https://press.example.net/news/harbour-fund", "body": "Bids open today."}
    drop(inbox, "a.json", json.dumps(HARBOUR))
    drop(inbox, "b.json", json.dumps(secure))
    report = run_ingest(app)
    assert [o.status for o in report.outcomes] == ["created", "updated"], [o.error for o in report.outcomes]
    (stored,) = app.store.releases()
    assert (
        stored.identity == "url:https://press.example.net/news/harbour-fund" and "Bids open today." in stored.body_text
    )


def test_releases_stored_under_both_forms_of_a_link_each_keep_their_own(app, inbox):
    """Two releases stored before links were compared by form stay two: each arrival finds its own first."""
    from feeds.store.schema import releases

    drop(inbox, "a.json", json.dumps(HARBOUR))
    drop(inbox, "b.json", json.dumps({**HARBOUR, "title": "Harbour fund: the rules", "link": "https://x.example/"}))
    run_ingest(app)
    with app.store.transaction() as tx:  # as an earlier version stored them
        tx.conn.execute(
            releases.update()
            .where(releases.c.identity == "url:https://x.example/")
            .values(identity="url:https://press.example.net/news/harbour-fund")
        )
    drop(inbox, "a.json", json.dumps({**HARBOUR, "body": "Bids close in March."}))
    (o,) = run_ingest(app).outcomes
    assert o.status == "updated" and o.slug == "harbour-fund-opens-for-bids" and not o.warning
    assert app.store.count_releases() == 2


def test_a_batch_that_meets_another_writers_insert_is_read_again_and_stored(
    db_url, make_settings, make_app_for, monkeypatch
):
    """Concurrency review: on PostgreSQL a push to another daemon can store a release between a folder batch's
    read and its insert; the batch then failed on the unique key and `feeds ingest` exited 1 (nothing lost: the
    files waited for the next run). It is read again, as the push API does, and the file is an update."""
    from feeds.store.releasetx import Tx

    app = make_app_for(make_settings(database_url=db_url))
    inbox = app.settings.source("inbox").path
    drop(inbox, "a.json", json.dumps({"title": "Harbour fund", "body": "First.", "source_key": "hf-1"}))
    assert run_ingest(app).count("created") == 1
    real, calls = Tx.releases_by_identity, []

    def stale_once(self, identities):  # the first read misses what the other writer has just stored
        calls.append(1)
        return {} if len(calls) == 1 else real(self, identities)

    monkeypatch.setattr(Tx, "releases_by_identity", stale_once)
    drop(inbox, "b.json", json.dumps({"title": "Harbour fund", "body": "Second.", "source_key": "hf-1"}))
    report = run_ingest(app)
    assert [o.status for o in report.outcomes] == ["updated"] and report.unreadable == ()
    assert len(app.store.releases()) == 1 and "Second." in app.store.releases()[0].body_text
    assert (inbox / "processed" / "b.json").exists()


def test_a_withdrawal_made_between_an_ingests_read_and_its_write_is_not_written_over(
    db_url, make_settings, make_app_for, monkeypatch
):
    """Scale-out: on PostgreSQL a press officer's `feeds releases withdraw` can commit while a daemon's ingest of
    the same release is between its read and its write; written over with what it read, the withdrawal was lost
    without a word. The write is refused, the batch read again: stored as sent, and still withdrawn. (On SQLite
    nothing commits in between: the stale read is made up there.)"""
    from dataclasses import replace

    from feeds.ingest.withdraw import withdraw_release
    from feeds.store.releasetx import Tx

    app = make_app_for(make_settings(database_url=db_url))
    inbox = app.settings.source("inbox").path
    drop(inbox, "a.json", json.dumps({"title": "Harbour fund", "body": "First.", "source_key": "hf-1"}))
    assert run_ingest(app).count("created") == 1
    real, calls = Tx.releases_by_identity, []
    on_postgres = db_url.startswith("postgresql")
    if not on_postgres:  # withdrawn before, and read as it was before that
        withdraw_release(app, "harbour-fund", "Legal advice.")
        before = app.store.release("harbour-fund")
        before = replace(before, withdrawn_at=None, withdrawn_note=None, withdrawn_by_hand=False)

    def withdrawn_meanwhile(self, identities):
        calls.append(1)
        if len(calls) > 1:
            return real(self, identities)
        if not on_postgres:
            return {before.identity: before}
        found = real(self, identities)
        withdraw_release(app, "harbour-fund", "Legal advice.")  # another connection, committed: another process
        return found

    monkeypatch.setattr(Tx, "releases_by_identity", withdrawn_meanwhile)
    drop(inbox, "b.json", json.dumps({"title": "Harbour fund", "body": "Second.", "source_key": "hf-1"}))
    report = run_ingest(app)
    (o,) = report.outcomes
    assert o.status == "updated" and "stays withdrawn" in (o.warning or "") and report.unreadable == ()
    stored = app.store.release("harbour-fund")
    assert stored.body_text == "Second." and stored.withdrawn_note == "Legal advice." and stored.withdrawn_by_hand
    assert len(calls) >= 2, "read again"


def test_an_edit_under_another_name_is_told_by_its_local_day(app, inbox):
    """Time review: the "same title and date" check compared UTC days, so a release dated 15 July (a date alone:
    00:00 BST, 23:00 UTC on the 14th) and its edit dated 15 July 10:00 were two days apart, and the edit became a
    second release without a word."""
    first = {"title": "Summer ferry timetable", "body": "Ferries run hourly.", "published": "2026-07-15"}
    drop(inbox, "ferries.json", json.dumps(first))
    run_ingest(app)
    drop(inbox, "ferries-v2.json", json.dumps(first | {"published": "2026-07-15 10:00", "body": "Ferries run often."}))
    (outcome,) = run_ingest(app).outcomes
    assert outcome.status == "created"
    assert outcome.warning is not None and "stored already as 'summer-ferry-timetable'" in outcome.warning


def test_a_replaced_release_is_named_with_the_day_its_page_gives(app, inbox):
    """Time review: the warning for a release replaced under its slug gave its UTC day ("2026-07-14") for one its
    page dates 15 July."""
    drop(inbox, "a.json", json.dumps({"title": "Summer ferry timetable", "body": "One.", "slug": "ferries",
                                       "published": "2026-07-15"}))  # fmt: skip
    run_ingest(app)
    drop(inbox, "b.json", json.dumps({"title": "Winter coach timetable", "body": "Two.", "slug": "ferries",
                                       "published": "2026-07-15 00:30"}))  # fmt: skip
    (outcome,) = run_ingest(app).outcomes
    assert outcome.warning is not None
    assert "'Summer ferry timetable' (2026-07-15)" in outcome.warning
    assert "'Winter coach timetable' (2026-07-15)" in outcome.warning


def test_a_withdrawal_waits_for_an_ingest_writing_the_release_and_keeps_what_it_stored(
    pg_url, make_settings, make_app_for
):
    """Scale-out, the other way round: a withdrawal that read the release while an ingest in another process was
    writing it wrote the whole row back as read, and the new version was lost (the ledger saying its file was
    ingested). It locks the row: it waits for that ingest, and withdraws what it stored."""
    import threading
    from dataclasses import replace

    from feeds.ingest.withdraw import withdraw_release

    app = make_app_for(make_settings(database_url=pg_url))
    inbox = app.settings.source("inbox").path
    drop(inbox, "a.json", json.dumps({"title": "Harbour fund", "body": "First.", "source_key": "hf-1"}))
    assert run_ingest(app).count("created") == 1
    (release,) = app.store.releases()
    done: list[object] = []
    with app.store.transaction() as tx:  # the ingest in another process, between its write and its commit
        tx.update_release(replace(release, body_text="Second.", content_hash="h2"), release.updated)
        withdrawing = threading.Thread(target=lambda: done.append(withdraw_release(app, "harbour-fund", "Legal.")))
        withdrawing.start()
        withdrawing.join(timeout=1.0)
        assert withdrawing.is_alive() and not done, "it waits for the ingest's commit"
    withdrawing.join(timeout=10.0)
    assert done
    stored = app.store.release("harbour-fund")
    assert stored.body_text == "Second." and stored.withdrawn_note == "Legal." and stored.withdrawn_by_hand


def test_a_withdrawal_date_without_a_note_is_published_with_a_plain_notice_and_a_warning(app, inbox):
    """A file giving `withdrawn_at` without `withdrawn_note` withdrew the release without a word to readers, and
    without a word to the office: it is withdrawn with a plain notice, and the ingest warns once, naming the file
    and the field."""
    from feeds.normalise.release import DEFAULT_WITHDRAWN_NOTE
    from feeds.publish import run_publish

    path = drop(inbox, "old.md", "---\ntitle: Harbour fund\nwithdrawn_at: 2026-11-20\n---\nBids are closed.\n")
    (o,) = run_ingest(app).outcomes
    assert o.status == "created" and o.warning is not None
    assert o.warning.startswith(f"{path}:3: field 'withdrawn_at': given without a `withdrawn_note`"), o.warning
    stored = app.store.release("harbour-fund")
    assert stored.withdrawn_note == DEFAULT_WITHDRAWN_NOTE and not stored.never_public
    run_publish(app)
    atom = (app.settings.paths.out / "atom.xml").read_text(encoding="utf-8")
    assert f"Withdrawn on 20 November 2026. {DEFAULT_WITHDRAWN_NOTE}" in atom
    page = (app.settings.paths.out / "releases" / "harbour-fund" / "index.html").read_text(encoding="utf-8")
    assert DEFAULT_WITHDRAWN_NOTE in page
    drop(inbox, "old.md", "---\ntitle: Harbour fund\nwithdrawn_at: 2026-11-20\n---\nBids are closed.\n")
    (again,) = run_ingest(app).outcomes
    assert again.status == "unchanged" and again.warning is None, "told once"


def test_a_copy_under_another_name_of_a_release_withdrawn_by_hand_says_it_stays_withdrawn(app, inbox):
    """A copy under another name ("release (1).txt") is that file's release: unchanged, and withdrawn by
    hand, it says so as any other copy from the source does."""
    from feeds.ingest.withdraw import withdraw_release

    drop(inbox, "visit.txt", TEXT_RELEASE)
    run_ingest(app)
    slug = "minister-to-visit-moscow-for-security-talks"
    withdraw_release(app, slug, "Cancelled.")
    drop(inbox, "visit (1).txt", TEXT_RELEASE)
    (o,) = run_ingest(app).outcomes
    assert o.status == "unchanged" and f"feeds releases restore {slug}" in (o.warning or ""), o
    assert app.store.count_releases() == 1 and app.store.release(slug).withdrawn_by_hand


def test_a_withdrawal_from_the_source_undone_by_hand_stays_undone_until_the_source_sends_another_version(app, inbox):
    from feeds.ingest.withdraw import restore_release

    gone = {"title": "Harbour fund", "body": "Closed.", "slug": "hf", "withdrawn_note": "Superseded."}
    drop(inbox, "hf.json", json.dumps(gone))
    run_ingest(app)
    assert app.store.release("hf").withdrawn_note == "Superseded." and not app.store.release("hf").withdrawn_by_hand
    restore_release(app, "hf")
    drop(inbox, "hf.json", json.dumps(gone))
    (o,) = run_ingest(app).outcomes
    assert o.status == "unchanged" and app.store.release("hf").withdrawn_at is None
    drop(inbox, "hf.json", json.dumps(gone | {"withdrawn_note": "Superseded by the 2027 fund."}))
    (o,) = run_ingest(app).outcomes
    assert o.status == "updated" and app.store.release("hf").withdrawn_note == "Superseded by the 2027 fund."
