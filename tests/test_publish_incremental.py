"""A daemon's publish after a change: its work follows what changed, not the size of the archive, and what it
writes is byte for byte what a full publish of the same store writes.

The work is counted, never timed: the releases whose token was made again (`tokens_made`), the documents whose
fingerprint was worked out (`fingerprinted`) and the files compared with the record of the last publish
(`checked`). A site of 12 releases and one of 36 (the same years, topics and organisations) count the same for one
new release. Each test then publishes the same store from scratch with a fresh App (no memo, no record, no out/)
and compares every byte.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from feeds.config import load_settings
from feeds.daemon import Daemon
from feeds.ingest.takedown import remove_release
from feeds.publish import STATE_FILE, PublishReport, run_publish
from tests.conftest import BASE_CONFIG
from tests.test_publish_coverage import app_with_release, with_coverage
from tests.test_publish_site import Site, tree_bytes

TOPICS = ("Trade", "Water", "Health")
ORGANISATIONS = ("Office for Grain", "Department for Harbours")


def build(tmp_path: Path, make_app_for, clock, name: str, n: int) -> Site:
    """A site of `n` releases over 2024-2026, three topics and two organisations, three entries a feed document
    (so the main feed has archives: n // 3 of them), published once."""
    folder = tmp_path / name
    (folder / "inbox").mkdir(parents=True)
    (folder / "feeds.toml").write_text(BASE_CONFIG + "\n[publish]\nentries = 3\n", encoding="utf-8")
    settings = load_settings(folder / "feeds.toml", environ={})
    site = Site(settings, make_app_for(settings), clock)
    for i in range(n):
        year, day = 2024 + i % 3, 1 + i // 3
        site.drop(
            f"r{i}",
            f"Weekly note {i} on the harbour",
            [TOPICS[i % 3]],
            f"{year}-03-{day:02d}T09:00:00Z",
            organisation=ORGANISATIONS[i % 2],
        )
    site.ingest()
    site.publish()
    return site


def from_scratch(site: Site, make_app_for) -> dict[str, bytes]:
    """What a full publish of the same store writes: a fresh App (as `feeds publish` from a shell has), no record
    of the last publish, an empty out/. `site.out` holds it afterwards."""
    shutil.rmtree(site.out)
    (site.settings.paths.state / STATE_FILE).unlink()
    run_publish(make_app_for(site.settings))
    return tree_bytes(site.out)


def assert_as_from_scratch(site: Site, make_app_for) -> None:
    incremental = tree_bytes(site.out)
    assert from_scratch(site, make_app_for) == incremental


def counted(report: PublishReport) -> tuple[int, int, int]:
    return report.tokens_made, report.fingerprinted, report.checked


def test_one_new_release_costs_the_same_in_a_small_and_a_large_archive(tmp_path, make_app_for, clock) -> None:
    seen = {}
    for name, n in (("small", 12), ("large", 36)):
        site = build(tmp_path, make_app_for, clock, name, n)
        site.drop("new", "Harbour dues frozen", ["Water"], "2026-06-01T09:00:00Z", organisation=ORGANISATIONS[0])
        site.ingest()
        report = site.publish(verify=False)
        seen[name] = counted(report)
        assert report.tokens_made == 1, "only the new release's token is made"
        assert "releases/harbour-dues-frozen/index.html" in report.written
        # The files of the documents rendered (its page, the main feed, its topic's and organisation's feeds, in
        # three formats, its topic's and year's pages, the index, the OPML list, both sitemaps), no other.
        assert report.checked <= 3 * report.rendered + 3
        assert_as_from_scratch(site, make_app_for)
    assert seen["small"] == seen["large"], seen
    # The other release pages and the archives are not even fingerprinted: what is, besides the documents that
    # show the new release, is one per topic, year and static file, whatever the number of releases.
    assert seen["large"][1] < 36


def test_a_verifying_publish_checks_every_file_and_one_after_a_change_only_what_changed(
    tmp_path, make_app_for, clock
) -> None:
    site = build(tmp_path, make_app_for, clock, "site", 12)
    files = len(tree_bytes(site.out))
    assert site.publish().checked == files  # (verify: the default, as `feeds publish` from a shell)
    assert counted(site.publish(verify=False)) == (0, site.publish(verify=False).fingerprinted, 0)
    assert site.publish(verify=False).changed == []


def test_a_file_deleted_by_hand_is_mended_by_the_next_verifying_publish(tmp_path, make_app_for, clock) -> None:
    site = build(tmp_path, make_app_for, clock, "site", 12)
    good = tree_bytes(site.out)
    (site.out / "topics/trade/atom.xml").unlink()
    (site.out / "index.html").write_text("defaced", encoding="utf-8")
    quick = site.publish(verify=False)
    assert quick.written == [], "a publish after a change looks only at what changed"
    assert not (site.out / "topics/trade/atom.xml").exists()
    report = site.publish()
    assert sorted(report.written) == ["index.html", "topics/trade/atom.xml"]
    assert tree_bytes(site.out) == good


@pytest.mark.parametrize(
    "change",
    [
        "withdraw",
        "edit",
        "rename_topic",
        "remove",
        "new_language",
        "older_release",
        "moved_year",
        "new_organisation_and_topic",
        "translation_of_an_old_release",
    ],
)
def test_a_change_published_incrementally_gives_the_bytes_of_a_full_publish(
    tmp_path, make_app_for, clock, change: str
) -> None:
    site = build(tmp_path, make_app_for, clock, "site", 18)
    site.publish(verify=False)  # (the memo warm, as in a daemon)
    if change == "withdraw":
        site.drop(
            "r4",
            "Weekly note 4 on the harbour",
            [TOPICS[1]],
            "2025-03-02T09:00:00Z",
            organisation=ORGANISATIONS[0],
            withdrawn_at="2026-06-01T10:00:00Z",
            withdrawn_note="Superseded.",
        )
    elif change == "edit":  # an old release, in an archive, given another organisation and topic
        site.drop("r1", "Weekly note 1, corrected", ["Health"], "2025-03-01T09:00:00Z", organisation="Port Authority")
    elif change == "rename_topic":  # most releases now spell it "TRADE": every page naming the topic changes
        for i in range(0, 18, 3):
            site.drop(f"r{i}", f"Weekly note {i} on the harbour", ["TRADE"], f"2024-03-{1 + i // 3:02d}T09:00:00Z")
        site.drop("t2", "Trade fair opens", ["TRADE"], "2026-05-01T09:00:00Z")
    elif change == "remove":
        site.ingest()
        remove_release(site.app, "weekly-note-7-on-the-harbour", "A court order.")
    elif change == "new_language":  # the first release in another language: feeds per language appear
        site.drop("cy", "Nodyn yr harbwr", ["Water"], "2026-05-02T09:00:00Z", language="cy", translation_of="r2")
    elif change == "older_release":  # a back catalogue's release, dated years ago, stored today
        site.drop("old", "Harbour opened", ["Water"], "2019-05-02T09:00:00Z")
    elif change == "moved_year":  # its source corrected its date: another year's and month's page, topic years
        site.drop("r5", "Weekly note 5 on the harbour", [TOPICS[2]], "2023-12-31T23:30:00Z", organisation="Port")
    elif change == "new_organisation_and_topic":  # a group appears: its feeds, page, the lists of feeds
        site.drop("n1", "Lighthouse relit", ["Lights"], "2026-05-03T09:00:00Z", organisation="Trinity House")
    elif change == "translation_of_an_old_release":  # an old release's token changes, the release itself does not
        site.drop("cy1", "Nodyn", ["Trade"], "2026-05-04T09:00:00Z", language="cy", translation_of="r0")
    site.ingest()
    report = site.publish(verify=False)
    assert report.changed
    assert_as_from_scratch(site, make_app_for)


def test_a_publish_by_another_process_between_two_of_the_daemons_is_read_again(tmp_path, make_app_for, clock) -> None:
    """The record of the last publish is kept in memory while the file is as this process left it: one written
    by another publisher (`feeds publish` from a shell beside the daemon) is read again."""
    site = build(tmp_path, make_app_for, clock, "site", 9)
    other = make_app_for(site.settings)
    site.drop("new", "Harbour dues frozen", ["Water"], "2026-06-01T09:00:00Z")
    site.ingest()
    assert run_publish(other).written
    (site.out / "index.html").unlink()  # (after the other's publish: only a record read again knows it as written)
    again = site.publish()
    assert again.written == ["index.html"], "the other's writes are known, the lost file is mended"
    assert_as_from_scratch(site, make_app_for)


def test_the_daemon_verifies_at_its_first_publish_and_at_each_periodic_one(make_settings, clock) -> None:
    """Its publishes after a change look only at what changed; its first, and each periodic one (every
    `daemon.publish_interval`), check every file: a file deleted by hand is mended by the next of those."""
    settings = make_settings()
    daemon = Daemon(Path(settings.path), settings, clock=clock, serve=False)
    try:
        out = settings.paths.out
        (settings.source("inbox").path / "a.json").write_text(
            json.dumps({"title": "First release", "body": "Text.", "published": "2026-11-27T10:00Z"})
        )
        daemon.jobs.ingest(daemon.app)
        daemon.jobs.publish(daemon.app)  # the first: verifies
        (out / "index.html").unlink()
        daemon.jobs.publish(daemon.app)  # after a change: only what changed
        assert not (out / "index.html").exists()
        daemon.jobs.publish_verified(daemon.app)  # the periodic one
        assert (out / "index.html").exists()
    finally:
        daemon.app.close()


def test_coverage_found_between_two_publishes_reaches_the_release_page_as_a_full_publish_would(
    make_settings, make_app_for, tmp_path
) -> None:
    """A watch tick's new matches change a release's page (its coverage and the coverage feed it links) while
    the release itself is as it was: the page is planned again, not taken from the memo."""
    app, release = app_with_release(make_settings, make_app_for, tmp_path)
    run_publish(app)
    page = app.settings.paths.out / f"releases/{release.slug}/index.html"
    assert "Quote picked up" not in page.read_text(encoding="utf-8")
    with_coverage(app, release)
    report = run_publish(app, verify=False)
    assert f"releases/{release.slug}/index.html" in report.written
    assert "Quote picked up" in page.read_text(encoding="utf-8")
    site = Site(app.settings, app, app.clock)  # type: ignore[arg-type]
    assert_as_from_scratch(site, make_app_for)


def test_the_record_of_a_change_is_a_few_journal_lines_that_a_new_process_reads(tmp_path, make_app_for, clock) -> None:
    """The record of 12 releases' files is not written again for one new release: two lines are appended to its
    journal (`feeds.publish.record`), which a new process (a restarted daemon) reads back and trusts."""
    site = build(tmp_path, make_app_for, clock, "site", 12)
    state = site.settings.paths.state / STATE_FILE
    snapshot = state.read_bytes()
    site.drop("new", "Harbour dues frozen", ["Water"], "2026-06-01T09:00:00Z", organisation=ORGANISATIONS[0])
    site.ingest()
    assert site.publish(verify=False).written
    assert state.read_bytes() == snapshot
    assert len(state.with_suffix(".journal").read_bytes().splitlines()) == 2
    again = run_publish(make_app_for(site.settings), verify=False)
    assert (again.rendered, again.changed) == (0, [])
    assert_as_from_scratch(site, make_app_for)
