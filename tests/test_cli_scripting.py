"""The CLI as an operator's script and a press officer use it: the same JSON key for the same thing in every
command, times typed as the office reads its clock (`--since 2026-11-30`), a config path or a database lock that
is wrong said in words that name the fix, and one time format in every text report."""

from __future__ import annotations

import json
import re
import sqlite3
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from feeds.cli import cli
from tests.alerts_helpers import watch_item
from tests.cli_watch_helpers import RSS, run
from tests.conftest import BASE_CONFIG


def _app(config: Path):
    from feeds.app import make_app
    from feeds.config import load_settings

    return make_app(load_settings(config, environ={}))


# --- 1. one key for one thing in every `--json` ------------------------------------------------------------------


def test_watch_poll_json_names_each_feed_id_and_says_why_a_feed_was_skipped_as_the_other_commands_do(
    config, httpserver
):
    """`watch list --json` names a feed `id`, `watch import --json` says `why` a feed was skipped: `watch poll
    --json` gave `feed_id` and `reason`. The consistent keys are added beside the old ones, which scripts read."""
    from feeds.clock import utc_now

    httpserver.expect_request("/feed.xml").respond_with_data(RSS, content_type="application/rss+xml")
    httpserver.expect_request("/other.xml").respond_with_data(RSS, content_type="application/rss+xml")
    assert run(config, "watch", "add", httpserver.url_for("/feed.xml")).exit_code == 0
    assert run(config, "watch", "add", "--no-check", httpserver.url_for("/other.xml")).exit_code == 0
    app = _app(config)
    try:  # another process is checking feed 2 right now
        (held,) = app.store.claim_feeds([2], utc_now(), owner="elsewhere:1", lease=timedelta(minutes=5))
    finally:
        app.close()
    polled = run(config, "watch", "poll", "1", "2", "--json")
    report = json.loads(polled.stdout)
    (feed,) = report["feeds"]
    assert feed["id"] == feed["feed_id"] == 1
    (skipped,) = report["skipped"]
    assert skipped["id"] == skipped["feed_id"] == held.id == 2
    assert skipped["why"] == skipped["reason"] and "another process" in skipped["why"]
    listed = {f["id"] for f in json.loads(run(config, "watch", "list", "--json").stdout)}
    assert {feed["id"], skipped["id"]} <= listed


def test_watch_import_poll_json_counts_new_items_by_the_name_watch_poll_gives_them(config, httpserver, tmp_path):
    httpserver.expect_request("/feed.xml").respond_with_data(RSS, content_type="application/rss+xml")
    opml = tmp_path / "subs.opml"
    opml.write_text(
        '<?xml version="1.0"?><opml version="2.0"><head><title>s</title></head><body>'
        f'<outline text="Desk" type="rss" xmlUrl="{httpserver.url_for("/feed.xml")}"/></body></opml>',
        encoding="utf-8",
    )
    done = json.loads(run(config, "watch", "import", str(opml), "--poll", "--json").stdout)
    assert done["polled"]["new_items"] == done["polled"]["items"] == 2


# --- 2. times as the office reads its clock ----------------------------------------------------------------------


@pytest.fixture
def new_york(tmp_path: Path) -> Path:
    """A site in New York (UTC-5 in November), with two matches found at 04:00Z (23:00 on the 29th there) and
    06:00Z (01:00 on the 30th there)."""
    (tmp_path / "inbox").mkdir()
    path = tmp_path / "feeds.toml"
    path.write_text(BASE_CONFIG.replace('"Europe/London"', '"America/New_York"'), encoding="utf-8")
    from feeds.model import Match

    app = _app(path)
    try:
        first = datetime(2026, 11, 30, 4, 0, tzinfo=UTC)
        feed = app.store.add_feed("https://news.example.com/rss", title="Desk", tags=(), interval=1800,
                                  origin="cli", now=first)  # fmt: skip
        for key, at in (("late", first), ("early", first + timedelta(hours=2))):
            (row,) = app.store.upsert_items(feed.id, [watch_item(key, f"{key} story")], at)
            app.store.add_matches([(row[0], Match("keyword", key, key, feed.id, (), 1.0, key), 60.0)], at)
    finally:
        app.close()
    return path


def _since(config: Path, value: str) -> list[str]:
    done = run(config, "matches", "list", "--since", value, "--json")
    assert done.exit_code == 0, done.output
    return [m["why"] for m in json.loads(done.stdout)]


@pytest.mark.parametrize(
    ("given", "found"),
    [
        ("2026-11-30", ["early"]),  # the site's midnight: 05:00Z
        ("2026-11-29", ["early", "late"]),
        ("2026-11-30 00:30", ["early"]),  # a wall time there: 05:30Z
        ("2026-11-29T23:30", ["early"]),  # 04:30Z
        ("2026-11-29T22:30", ["early", "late"]),  # 03:30Z
        ("2026-11-30T04:30:00Z", ["early"]),  # a time with its offset is that time
        ("2026-11-30T05:30:00+01:00", ["early"]),  # 04:30Z
    ],
)
def test_matches_list_since_reads_a_bare_date_or_a_time_without_zone_in_the_sites_time_zone(new_york, given, found):
    assert sorted(_since(new_york, given)) == sorted(found)


def test_a_since_that_is_no_time_is_a_usage_error_naming_the_option_and_the_forms_it_takes(new_york):
    for bad in ("yesterday", "2026-13-01", ""):
        refused = run(new_york, "matches", "list", "--since", bad)
        assert refused.exit_code == 2, (bad, refused.output)
        assert "--since" in refused.output and "2026-11-30" in refused.output and "Traceback" not in refused.output


# --- 3. a config path that is wrong --------------------------------------------------------------------------------


def test_a_config_path_that_is_a_broken_symbolic_link_names_the_link_and_its_missing_target(tmp_path):
    link = tmp_path / "feeds.toml"
    link.symlink_to(tmp_path / "gone" / "feeds.toml")
    done = CliRunner().invoke(cli, ["--config", str(link), "watch", "list"])
    assert done.exit_code == 1
    assert str(link) in done.output and str(tmp_path / "gone" / "feeds.toml") in done.output, done.output
    assert "symbolic link" in done.output and "looked in" not in done.output


def test_an_empty_config_option_says_so(tmp_path):
    done = CliRunner().invoke(cli, ["--config", "", "watch", "list"])
    assert done.exit_code == 2, done.output
    assert "--config" in done.output and "empty" in done.output and "not a regular file" not in done.output


# --- 4. a database another process holds ---------------------------------------------------------------------------


def test_a_database_locked_past_the_busy_timeout_says_another_process_holds_its_write_lock_and_to_retry(
    config, monkeypatch
):
    from feeds.store import engines

    monkeypatch.setattr(engines, "SQLITE_BUSY_TIMEOUT", 0.2)  # (30 s in service)
    assert run(config, "db", "migrate").exit_code == 0
    holder = sqlite3.connect(config.parent / "state" / "feeds.db", isolation_level=None)
    try:
        holder.execute("BEGIN EXCLUSIVE")  # an `sqlite3` shell in a transaction
        done = CliRunner().invoke(cli, ["--config", str(config), "watch", "add", "--no-check", "https://a.example/f"])
    finally:
        holder.rollback()
        holder.close()
    assert done.exit_code == 1
    text = done.output
    assert "database is locked" in text and "another process" in text and "write lock" in text, text
    assert "feeds run" in text and "sqlite3" in text and "try again" in text, text
    assert "Traceback" not in text


# --- 5. one time format in text reports ----------------------------------------------------------------------------


def test_feeds_status_and_watch_list_say_since_when_a_feed_fails_in_rfc_3339_as_their_other_lines(config, httpserver):
    httpserver.expect_request("/feed.xml").respond_with_data("down", status=500)
    assert run(config, "watch", "add", "--no-check", httpserver.url_for("/feed.xml")).exit_code == 0
    assert run(config, "watch", "poll").exit_code == 0
    rfc3339 = r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ"
    status = run(config, "status").output
    assert re.search(rf"failing since {rfc3339}, ", status), status
    assert " UTC" not in status, status
    listed = run(config, "watch", "list").output
    assert re.search(rf"failing since {rfc3339}, ", listed), listed


# --- 6. every feed of a tag at once ----------------------------------------------------------------------------------


def test_watch_edit_tagged_pauses_resumes_or_retags_every_feed_of_a_tag_with_a_dry_run_count(config):
    for n, tags in enumerate((["Europe"], ["europe", "UK"], ["Asia"])):
        added = run(config, "watch", "add", "--no-check", f"https://news{n}.example/rss", *[f"--tag={t}" for t in tags])
        assert added.exit_code == 0, added.output

    def states() -> dict[int, tuple[bool, list[str]]]:
        return {f["id"]: (f["enabled"], f["tags"]) for f in json.loads(run(config, "watch", "list", "--json").stdout)}

    before = states()
    dry = run(config, "watch", "edit", "--tagged", "EUROPE", "--disable", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "would change 2 feeds tagged 'EUROPE'" in dry.output and "#1 " in dry.output and "#3" not in dry.output
    assert states() == before
    done = run(config, "watch", "edit", "--tagged", "Europe", "--disable")
    assert done.exit_code == 0 and "changed 2 feeds tagged 'Europe'" in done.output, done.output
    assert [enabled for enabled, _ in states().values()] == [False, False, True]
    again = run(config, "watch", "edit", "--tagged", "Europe", "--disable")
    assert "changed 0 feeds tagged 'Europe' (2 already so)" in again.output, again.output
    assert run(config, "watch", "edit", "--tagged", "Europe", "--enable").exit_code == 0
    assert [enabled for enabled, _ in states().values()] == [True, True, True]
    retag = run(config, "watch", "edit", "--tagged", "Europe", "--tag", "EU")
    assert retag.exit_code == 0, retag.output
    assert [tags for _, tags in states().values()] == [["EU"], ["EU"], ["Asia"]]
    # a tag no feed has is an error, not "0 changed" (a typo); a feed named too, or a title for all, is a usage error
    assert run(config, "watch", "edit", "--tagged", "Europe", "--disable").exit_code == 1
    assert run(config, "watch", "edit", "1", "--tagged", "EU", "--disable").exit_code == 2
    assert run(config, "watch", "edit", "--tagged", "EU", "--title", "Same").exit_code == 2
    assert run(config, "watch", "edit", "--disable").exit_code == 2
