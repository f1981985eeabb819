"""The `feeds` command: thin edges over the library, errors as `error: …` with exit 1, --json for scripts."""

from __future__ import annotations

import json
import logging
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from feeds.cli import cli
from feeds.clock import rfc3339, utc_now
from tests.conftest import BASE_CONFIG

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture
def config(tmp_path) -> Path:
    (tmp_path / "inbox").mkdir()
    path = tmp_path / "feeds.toml"
    path.write_text(BASE_CONFIG, encoding="utf-8")
    return path


def run(config: Path, *args: str, env: dict[str, str] | None = None):
    result = CliRunner().invoke(cli, ["--config", str(config), *args], env=env, catch_exceptions=False)
    return result


def test_check_config_ok(config):
    r = run(config, "check-config")
    assert r.exit_code == 0 and "OK" in r.output and "https://press.example.org/" in r.output
    assert (
        "  daemon    watch tick 30 s, publish every 10 min (and 2 s after a change), housekeeping every 1 day;"
        " a lock another process holds is waited for 5 min at most" in r.output
    )
    data = json.loads(run(config, "check-config", "--json").output)
    assert data["sources"] == [{"name": "inbox", "type": "folder", "path": str(config.parent / "inbox")}]
    assert data["daemon"]["publish_interval"] == 600 and data["daemon"]["lock_wait"] == 300


def test_check_config_says_how_long_the_database_keeps_things(config):
    """Retention is configured across three tables of the file: check-config shows it in one place."""
    r = run(config, "check-config")
    assert "  keep      unmatched items 90 days, matches for ever, sent alerts 90 days, ingested files 90 days" in (
        r.output
    )
    config.write_text(config.read_text() + "\n[watch]\nmatch_retention_days = 730\n[alerts]\nretention_days = 0\n")
    data = json.loads(run(config, "check-config", "--json").output)
    assert data["retention_days"] == {"items": 90, "matches": 730, "sent_alerts": None, "ingested_files": 90}


def test_check_config_warns_of_a_missing_source_folder_and_refuses_an_output_that_is_a_file(config):
    """A typo in a folder's path read as '0 files' for ever; an output path naming a file failed at publish."""
    config.write_text(
        config.read_text() + '\n[[sources]]\ntype = "folder"\nname = "examples"\npath = "exampels"\nmove = false\n'
    )
    checked = run(config, "check-config")
    assert checked.exit_code == 0
    assert f"warning: source 'examples': the folder {config.parent / 'exampels'} does not exist" in checked.output
    ingested = run(config, "ingest")
    assert ingested.exit_code == 1, "a source that cannot be read at all is a failure of the run, for cron"
    assert "cannot read the folder of source 'examples': no such folder" in ingested.output
    assert not (config.parent / "exampels").exists(), "a folder read in place is never made up"
    (config.parent / "out").write_text("not a folder")
    config.write_text(config.read_text() + '\n[publish]\ntemplates = "nowhere"\n')
    refused = run(config, "check-config")
    assert refused.exit_code == 1 and "is a file, not a folder" in refused.output
    assert f"{config}:" in refused.output and "paths.out: " in refused.output and "publish.templates" in refused.output


def test_file_names_and_feed_titles_cannot_drive_the_terminal_or_forge_a_report_line(config):
    """Names in the drop folder and titles of other people's feeds reach the terminal: ESC, BEL, C1 controls,
    bidirectional overrides and line breaks are shown escaped."""
    inbox = config.parent / "inbox"
    (inbox / "esc\x1b]0;pwn\x07\ncreated   forged  (x).txt").write_text("Escape test\n\nBody text here.\n")
    (inbox / "bad\x1b[31m.json").write_text("{not json")
    r = run(config, "ingest")
    assert r.exit_code == 0
    assert "\x1b" not in r.output and "\x07" not in r.output
    lines = r.output.splitlines()
    assert [line for line in lines if line.startswith("created")] == [
        f"created    escape-test  ({inbox}/esc\\x1b]0;pwn\\x07\\ncreated   forged  (x).txt)"
    ]
    assert any(line.startswith("rejected") and "bad\\x1b[31m.json" in line for line in lines)
    listed = run(config, "releases", "list", "--json")
    assert "\x1b" not in listed.output and json.loads(listed.output)[0]["title"] == "Escape test"


def test_a_database_server_that_cannot_be_reached_is_one_line(config):
    """psycopg puts a tab-indented hint ("Is the server running…") on a second line of its own."""
    closed = socket.socket()
    closed.bind(("127.0.0.1", 0))
    port = closed.getsockname()[1]
    closed.close()  # nothing listens there now
    r = run(config, "status", env={"FEEDS_DATABASE_URL": f"postgresql://u@127.0.0.1:{port}/test"})
    assert r.exit_code == 2  # (`feeds status`: it could not tell)
    assert r.output.startswith("error: cannot open database postgresql+psycopg://u@127.0.0.1:")
    assert "Connection refused. Is the server running" in r.output, "one sentence must not run into the next"
    assert len(r.output.splitlines()) == 1 and "\t" not in r.output


def test_a_database_refusing_a_command_is_one_line_without_sql(config, monkeypatch):
    """Re-check: `feeds ingest` (and other commands) printed an 80-95 line traceback with the SQL statement when
    the database refused (a revoked permission)."""
    import sqlalchemy as sa

    import feeds.ingest as ingest_module

    (config.parent / "inbox" / "visit.txt").write_text("Ferry fares frozen\n\nFares stay as they are.\n")

    def refuse(*args, **kwargs):
        raise sa.exc.ProgrammingError("INSERT INTO releases (id) VALUES (?)", ("x",), Exception("permission denied"))

    monkeypatch.setattr(ingest_module, "save_units", refuse)
    r = run(config, "ingest")
    assert r.exit_code == 1
    assert r.output.startswith("error: database: Exception: permission denied (storing 1 file(s) of source 'inbox'")
    assert "Traceback" not in r.output and "INSERT" not in r.output and len(r.output.splitlines()) == 1


def test_verbose_log_lines_of_a_command_cannot_drive_the_terminal(config):
    """Re-check: with -v, the command's own log lines (a folder in the drop folder is named once) reached the
    terminal raw."""
    (config.parent / "inbox" / "x\x1b]0;pwn\x07\u202e").mkdir()
    (config.parent / "inbox" / "x\x1b]0;pwn\x07\u202e" / "notes.txt").write_text("x", encoding="utf-8")  # (not empty)
    r = run(config, "-v", "ingest")
    assert r.exit_code == 0
    assert "\x1b" not in r.output and "\x07" not in r.output and "\u202e" not in r.output
    assert "x\\x1b]0;pwn\\x07\\u202e/: a folder" in r.output  # (worded as `feeds ingest` words it now)


def test_config_errors_name_file_line_and_key(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(BASE_CONFIG.replace('timezone = "Europe/London"', 'timezone = "Europe/London"\ncolour = "blue"'))
    r = run(bad, "check-config")
    assert r.exit_code == 1
    assert r.output.startswith(f"error: {bad}:9: site.colour: unknown key")


def test_an_unset_secret_variable_fails_check_config_but_no_other_command(config):
    config.write_text(
        config.read_text()
        + '\n[[alerts.webhooks]]\nname = "desk"\nurl = "https://hooks.example.org/x"\nsecret_env = "FEEDS_T_UNSET"\n'
    )
    env = {"FEEDS_T_UNSET": ""}
    checked = run(config, "check-config", env=env)
    assert checked.exit_code == 1
    assert f"error: {config}:" in checked.output
    assert "alerts.webhooks[0].secret_env: environment variable FEEDS_T_UNSET is not set" in checked.output
    assert run(config, "db", "migrate", env=env).exit_code == 0
    assert run(config, "releases", "list", env=env).exit_code == 0
    assert run(config, "check-config", env={"FEEDS_T_UNSET": "s3cret"}).exit_code == 0


def test_check_config_says_how_each_webhook_is_signed(config):
    """A `whsec_` secret signs with its base64-decoded bytes, any other with its UTF-8 bytes: which one a webhook
    has decides what its receiver must be given, so check-config says it (never the secret)."""
    config.write_text(
        config.read_text()
        + '\n[[alerts.webhooks]]\nname = "svix"\nurl = "https://hooks.example.org/a"\nsecret = "whsec_YWJjZA=="\n'
        + '\n[[alerts.webhooks]]\nname = "desk"\nurl = "https://hooks.example.org/b"\nsecret_env = "FEEDS_T_KEY"\n'
        + '\n[[alerts.webhooks]]\nname = "open"\nurl = "https://hooks.example.org/c?token=t"\n'
    )
    r = run(config, "check-config", env={"FEEDS_T_KEY": "s3cret"})
    assert r.exit_code == 0, r.output
    assert "  webhook   svix: signed with a whsec_ secret (keyed with its 4 base64-decoded bytes)" in r.output
    assert "  webhook   desk: signed with a secret (keyed with its UTF-8 bytes), from FEEDS_T_KEY" in r.output
    assert "  webhook   open: unsigned" in r.output
    assert "YWJjZA" not in r.output and "s3cret" not in r.output
    data = json.loads(run(config, "check-config", "--json", env={"FEEDS_T_KEY": "s3cret"}).output)
    assert data["webhooks"] == [
        {"name": "svix", "signing_key": "whsec"},
        {"name": "desk", "signing_key": "utf-8"},
        {"name": "open", "signing_key": None},
    ]


def test_check_config_reports_a_problem_in_every_section_at_once(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text(
        BASE_CONFIG.replace('timezone = "Europe/London"', 'timezone = "Europe/Atlantis"')
        + '\n[web]\nport = 80800\n\n[watch]\ninterval = "2 fortnights"\n'
    )
    r = run(bad, "check-config")
    assert r.exit_code == 1
    lines = r.output.splitlines()
    assert len(lines) == 3 and all(line.startswith(f"error: {bad}:") for line in lines), r.output
    assert [line.split(": ")[2] for line in lines] == ["site.timezone", "watch.interval", "web.port"]
    as_json = run(bad, "check-config", "--json")
    assert as_json.exit_code == 1
    problems = json.loads(as_json.stdout)["problems"]
    assert [(p["file"], p["key"]) for p in problems] == [
        (str(bad), k) for k in ("site.timezone", "watch.interval", "web.port")
    ]
    assert all(isinstance(p["line"], int) and p["message"] and p["error"].startswith(str(bad)) for p in problems)


def test_config_from_environment(config):
    r = CliRunner().invoke(cli, ["check-config", "--json"], env={"FEEDS_CONFIG": str(config)})
    assert r.exit_code == 0 and json.loads(r.output)["config"] == str(config)


def test_ingest_list_and_show(config):
    inbox = config.parent / "inbox"
    (inbox / "a.json").write_text(
        json.dumps({"title": "Sanctions on Iran", "body": "Text.", "published": "2026-11-02"})
    )
    (inbox / "b.txt").write_text("Talks with Russia\n\nThe Minister will talk to Russia.")
    (inbox / "c.json").write_text(json.dumps({"title": "Summer ferries", "body": "Boats.", "published": "2026-07-15"}))
    r = run(config, "ingest")
    assert r.exit_code == 0 and "3 created, 0 updated, 0 unchanged, 0 rejected" in r.output
    listed = json.loads(run(config, "releases", "list", "--json").output)
    assert [x["slug"] for x in listed] == ["talks-with-russia", "sanctions-on-iran", "summer-ferries"]
    assert listed[1]["published"] == "2026-11-02T00:00:00Z" and listed[1]["topics"] == ["Iran"]
    assert len(json.loads(run(config, "releases", "list", "--json", "--limit", "1").output)) == 1
    text = run(config, "releases", "list").output
    assert "2026-11-02 00:00 GMT  sanctions-on-iran  Sanctions on Iran  [Iran]" in text
    # Dated as its page dates it, in the site's time zone: midnight of 15 July in London is 23:00 UTC on the 14th.
    assert "2026-07-15 00:00 BST  summer-ferries  Summer ferries" in text
    shown = json.loads(run(config, "releases", "show", "sanctions-on-iran", "--json").output)
    assert shown["body_html"] == "<p>Text.</p>" and shown["id"].startswith("tag:press.example.org,2026-11-02:")
    assert "Sanctions on Iran" in run(config, "releases", "show", shown["id"]).output


def test_show_lists_the_change_history_in_text_too(config):
    item = {
        "base_path": "/government/news/ferry-fares-frozen",
        "content_id": "5f0c1a2b-0000-4000-8000-000000000001",
        "schema_name": "news_article",
        "document_type": "press_release",
        "locale": "en",
        "title": "Ferry fares frozen",
        "first_published_at": "2025-04-01T08:00:00.000+01:00",
        "public_updated_at": "2025-04-03T10:00:00.000+01:00",
        "details": {
            "body": "<p>Fares on all island routes will be frozen.</p>",
            "change_history": [
                {"public_timestamp": "2025-04-03T10:00:00.000+01:00", "note": "Added the winter timetable."},
                {"public_timestamp": "2025-04-01T08:00:00.000+01:00", "note": "First published."},
            ],
        },
        "links": {},
    }
    (config.parent / "inbox" / "ferry.json").write_text(json.dumps(item))
    assert run(config, "ingest").exit_code == 0
    shown = run(config, "releases", "show", "ferry-fares-frozen").output
    assert "changed      2025-04-03T09:00:00Z: Added the winter timetable." in shown
    assert shown.index("Added the winter") < shown.index("First published.")


def test_a_press_officer_withdraws_a_plain_text_release_and_undoes_it(config):
    """A plain-text release has no field to carry a withdrawal: the command marks any stored release."""
    (config.parent / "inbox" / "talks.txt").write_text("Talks with Russia\n\nThe Minister will talk to Russia.")
    assert run(config, "ingest").exit_code == 0
    assert run(config, "publish").exit_code == 0
    r = run(config, "releases", "withdraw", "talks-with-russia", "--note", "  The talks  were postponed. ")
    assert r.exit_code == 0 and "withdrawn talks-with-russia at " in r.output, r.output
    assert r.output.splitlines()[0].endswith(": The talks were postponed.")
    shown = json.loads(run(config, "releases", "show", "talks-with-russia", "--json").output)
    assert shown["withdrawn_note"] == "The talks were postponed." and shown["withdrawn_at"] == shown["updated"]
    again = run(config, "releases", "withdraw", "talks-with-russia", "--note", "The talks were postponed.")
    assert again.exit_code == 0 and "talks-with-russia was withdrawn already, at " in again.output
    assert "the site shows it" not in again.output
    assert json.loads(run(config, "releases", "show", "talks-with-russia", "--json").output) == shown, "run twice"
    published = json.loads(run(config, "publish", "--json").output)
    assert any(p.endswith("releases/talks-with-russia/index.html") for p in published["written"]), published
    page = (config.parent / "out" / "releases" / "talks-with-russia" / "index.html").read_text(encoding="utf-8")
    assert "The talks were postponed." in page
    assert "[Withdrawn] Talks with Russia" in (config.parent / "out" / "atom.xml").read_text(encoding="utf-8")
    assert "to undo: `feeds releases restore talks-with-russia`" in r.output
    # The file dropped again by someone (a stale copy) leaves it withdrawn, and says so: a withdrawal made here is
    # the office's decision. (Until this was fixed, any copy dropped again published it as current again.)
    (config.parent / "inbox" / "talks.txt").write_text("Talks with Russia\n\nThe Minister will talk to Russia.")
    r = run(config, "ingest")
    assert r.exit_code == 0 and "0 created, 0 updated, 1 unchanged" in r.output, r.output
    assert "warning: the release 'talks-with-russia' was withdrawn by hand on " in r.output
    assert "stays withdrawn" in r.output and "run `feeds releases restore talks-with-russia`" in r.output
    assert json.loads(run(config, "releases", "show", "talks-with-russia", "--json").output) == shown
    assert "by hand: its source's copies leave it so" in run(config, "releases", "show", "talks-with-russia").output
    # An edited copy is stored as sent, and stays withdrawn too.
    (config.parent / "inbox" / "talks.txt").write_text("Talks with Russia\n\nThe Minister will meet Russia.")
    r = run(config, "ingest")
    assert r.exit_code == 0 and "0 created, 1 updated" in r.output and "stays withdrawn" in r.output, r.output
    edited = json.loads(run(config, "releases", "show", "talks-with-russia", "--json").output)
    assert edited["body_text"] == "The Minister will meet Russia." and edited["withdrawn_by"] == "hand"
    assert (edited["withdrawn_at"], edited["withdrawn_note"]) == (shown["withdrawn_at"], shown["withdrawn_note"])
    assert run(config, "releases", "withdraw", "talks-with-russia", "--note", "Postponed.").exit_code == 0
    r = run(config, "releases", "restore", "talks-with-russia", "--json")
    assert r.exit_code == 0 and json.loads(r.output)["changed"] is True, r.output
    assert "withdrawn_at" not in json.loads(r.output)["release"]
    # Restored, it follows its source again: the same copy is unchanged, without a word.
    (config.parent / "inbox" / "talks.txt").write_text("Talks with Russia\n\nThe Minister will meet Russia.")
    r = run(config, "ingest")
    assert r.exit_code == 0 and "1 unchanged" in r.output and "warning" not in r.output, r.output
    assert run(config, "releases", "withdraw", "talks-with-russia", "--note", "Postponed.").exit_code == 0
    r = run(config, "releases", "withdraw", "talks-with-russia", "--undo")
    assert r.exit_code == 0 and "restored talks-with-russia" in r.output
    assert json.loads(run(config, "releases", "show", "talks-with-russia", "--json").output).get("withdrawn_at") is None
    r = run(config, "releases", "withdraw", "talks-with-russia", "--undo")
    assert r.exit_code == 0 and "is not withdrawn: nothing to undo" in r.output  # run twice, as a withdrawal can
    assert run(config, "releases", "withdraw", "talks-with-russia", "--note", " ").exit_code == 1
    assert run(config, "releases", "withdraw", "talks-with-russia").exit_code == 2  # neither --note nor --undo
    r = run(config, "releases", "withdraw", "nope", "--note", "Gone.")
    assert r.exit_code == 1 and "no release with id or slug 'nope'" in r.output


def test_withdrawing_an_embargoed_release_says_it_never_goes_public_not_that_the_site_will_show_it(config):
    """Withdrawing a release still under embargo printed "the site shows it after the next publish", as for a
    public one, while it never goes public; undoing that printed the same, while it stays held until its time."""
    from datetime import UTC, datetime, timedelta

    ahead = (datetime.now(UTC) + timedelta(days=30)).replace(microsecond=0)
    due = ahead.strftime("%Y-%m-%dT%H:%M:%SZ")
    (config.parent / "inbox" / "held.json").write_text(
        json.dumps({"title": "Held back", "body": "T.", "published": due})
    )
    assert run(config, "ingest").exit_code == 0
    r = run(config, "releases", "withdraw", "held-back", "--note", "Cancelled.")
    assert r.exit_code == 0 and "withdrawn held-back at " in r.output, r.output
    assert "the site shows it" not in r.output
    assert "was never public and never goes public" in r.output, r.output
    r = run(config, "releases", "withdraw", "held-back", "--undo")
    assert r.exit_code == 0 and "restored held-back" in r.output, r.output
    assert "the site shows it" not in r.output
    assert f"embargoed: off the site until {due}" in r.output, r.output


def test_ingest_exits_1_and_says_what_to_do_when_files_cannot_leave_the_inbox(config, monkeypatch):
    import os

    from feeds.ingest import folder

    (config.parent / "inbox" / "talks.txt").write_text("Talks with Russia\n\nThe Minister will talk to Russia.")
    real_replace = os.replace

    def read_only(src, dst, **kwargs):
        if kwargs.get("src_dir_fd") is not None:
            raise PermissionError(13, "Permission denied", src)
        return real_replace(src, dst, **kwargs)

    monkeypatch.setattr(folder.os, "replace", read_only)
    r = run(config, "ingest")
    assert r.exit_code == 1 and "1 created" in r.output
    assert "error: " in r.output
    assert "1 file(s) stayed in the drop folder: could not move them to processed/" in r.output
    monkeypatch.undo()
    as_json = json.loads(run(config, "ingest", "--json").output)
    assert as_json["files_stuck"] == [] and as_json["sources_failed"] == []


def test_watch_add_refuses_a_feed_the_fetcher_would_never_poll_and_says_how_to_allow_it(config):
    """An operator's review: `watch add http://127.0.0.1/…` said 'watching #2' and only every poll failed, while
    `watch discover` marks such feeds refused; the hint did not mention FEEDS_FETCH_ALLOW."""
    url = "http://127.0.0.1:9/news.xml"
    r = run(config, "watch", "add", url)
    assert r.exit_code == 1
    assert "refused to contact 127.0.0.1 (127.0.0.1): loopback address" in r.output
    assert "add it to [http] allow in the config, or to FEEDS_FETCH_ALLOW" in r.output and "not added" in r.output
    assert json.loads(run(config, "watch", "list", "--json").output) == []
    allowed = run(config, "watch", "add", "--no-check", url, env={"FEEDS_FETCH_ALLOW": "127.0.0.1"})
    assert allowed.exit_code == 0 and "watching #1 http://127.0.0.1:9/news.xml" in allowed.output


def test_status_shows_a_failed_publish_until_one_succeeds(config):
    """An operator's review: with out/ unwritable, `feeds publish` from cron failed (exit 1) while `feeds status`
    went on showing the last success, with no sign of the failures since."""
    (config.parent / "inbox" / "talks.txt").write_text("Talks with Russia\n\nThe Minister will talk to Russia.")
    assert run(config, "ingest").exit_code == 0
    (config.parent / "out" / "atom.xml").mkdir(parents=True)  # in the way: the feed cannot be written
    failed = run(config, "publish")
    assert failed.exit_code == 1 and "cannot write" in failed.output
    text = run(config, "status").output
    assert "last publish    never; FAILED since 2" in text and "atom.xml: cannot write" in text
    failure = json.loads(run(config, "status", "--json").output)["publish_failure"]
    assert failure["at"].endswith("Z") and "atom.xml: cannot write" in failure["error"]
    import time

    time.sleep(1.1)  # (the CLI reads the real clock)
    assert run(config, "publish").exit_code == 1
    assert json.loads(run(config, "status", "--json").output)["publish_failure"] == failure, "failing since the first"
    assert run(config, "publish", "--dry-run").exit_code == 0
    assert json.loads(run(config, "status", "--json").output)["publish_failure"] == failure, "a dry run is no publish"
    (config.parent / "out" / "atom.xml").rmdir()
    assert run(config, "publish").exit_code == 0
    assert json.loads(run(config, "status", "--json").output)["publish_failure"] is None
    assert "FAILED" not in run(config, "status").output


def test_show_unknown_release_is_an_error(config):
    run(config, "ingest")
    r = run(config, "releases", "show", "nope")
    assert r.exit_code == 1 and "error: no release with id or slug 'nope'" in r.output


def test_ingest_paths_exit_1_when_a_file_is_rejected(config, tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text(json.dumps({"body": "no title"}))
    r = run(config, "ingest", str(bad), "--json")
    assert r.exit_code == 1
    data = json.loads(r.stdout)
    assert data["rejected"] == 1 and "title" in data["outcomes"][0]["error"]


def test_db_migrate(config):
    assert "applied migration 1" in run(config, "db", "migrate").output
    assert "up to date" in run(config, "db", "migrate").output


def test_python_dash_m_feeds(config):
    out = subprocess.run(
        [sys.executable, "-m", "feeds", "--config", str(config), "--version"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert out.stdout.startswith("feeds, version ")


def test_example_config_quickstart_job_runs_offline(tmp_path):
    """The Quickstart's main job on the bundled example config, pointed at a temporary database and out/."""
    env = {"FEEDS_DATABASE_URL": f"sqlite:///{tmp_path / 'feeds.db'}"}
    config = ROOT / "config" / "feeds.toml"
    r = CliRunner().invoke(cli, ["--config", str(config), "ingest", str(ROOT / "config" / "releases")], env=env)
    assert r.exit_code == 0, r.output
    assert "6 created" in r.output
    listed = CliRunner().invoke(cli, ["--config", str(config), "releases", "list", "--json"], env=env)
    titles = [x["title"] for x in json.loads(listed.output)]
    assert "Statement on the North Korean missile launch" in titles


def test_progress_bar_draws_only_on_a_terminal(capsys):
    from feeds.cli import ProgressBar

    with ProgressBar("working", enabled=False) as quiet:
        quiet(5, 10)
    assert capsys.readouterr().err == ""
    with ProgressBar("working", enabled=True) as bar:
        for _ in range(10):
            bar(1, 10)
    assert "working" in capsys.readouterr().err


def test_ingest_progress_reports_totals(config):
    from feeds.app import make_app
    from feeds.config import load_settings
    from feeds.ingest import run_ingest

    inbox = config.parent / "inbox"
    for i in range(3):
        (inbox / f"r{i}.json").write_text(json.dumps({"title": f"Release {i}", "body": "x"}))
    calls = []
    app = make_app(load_settings(config, environ={}))
    try:
        run_ingest(app, progress=lambda step, total: calls.append((step, total)))
    finally:
        app.close()
    assert calls == [(3, 3)]


def test_quiet_commands_print_errors_only(config):
    """`-q` ("only errors"): a cron job's mail stays empty unless something went wrong."""
    inbox = config.parent / "inbox"
    (inbox / "b.txt").write_text("Talks with Russia\n\nThe Minister will talk to Russia.")
    (inbox / "bad.txt").write_text("Only a title\n")
    ingest = CliRunner().invoke(cli, ["--config", str(config), "-q", "ingest"])
    assert ingest.exit_code == 0 and ingest.stdout == ""
    assert ingest.stderr.startswith("rejected ") and "bad.txt" in ingest.stderr
    quiet = CliRunner().invoke(cli, ["--config", str(config), "-q", "publish"])
    assert quiet.exit_code == 0 and quiet.output == ""
    for args in (["watch", "add", "--no-check", "https://news.example.com/rss"], ["keywords", "add", "iran"]):
        done = CliRunner().invoke(cli, ["--config", str(config), "-q", *args])
        assert done.exit_code == 0 and done.output == "", args


def test_alert_commands_take_a_destination_by_the_name_the_config_gives_it(config):
    config.write_text(
        config.read_text() + '\n[[alerts.webhooks]]\nname = "dead"\nurl = "https://hooks.example.org/x"\n'
    )
    assert run(config, "alerts", "run").exit_code == 0  # registers the destination
    retried = run(config, "alerts", "retry", "dead")
    assert retried.exit_code == 0 and "0 failed deliveries queued again" in retried.output
    assert run(config, "alerts", "log", "--destination", "dead").exit_code == 0
    unknown = run(config, "alerts", "retry", "deaf")
    assert (
        unknown.exit_code == 1
        and "no alert destination is called 'deaf' (the destinations: webhook:dead)" in unknown.output
    )


THREE_SANCTIONS = {"a": "EU widens sanctions", "b": "UK sanctions", "c": "More sanctions"}


def _webhook_desk_with_matches(config: Path, url: str, titles: dict[str, str]) -> None:
    """Webhook `desk` at `url` added to the config and registered (one `alerts run` with nothing to send), then a
    keyword match queued for it per title (`add_keyword_matches`), found now."""
    from feeds.app import make_app
    from feeds.config import load_settings
    from tests.alerts_helpers import add_keyword_matches

    config.write_text(config.read_text() + f'\n[[alerts.webhooks]]\nname = "desk"\nurl = "{url}"\n')
    assert run(config, "alerts", "run").exit_code == 0  # registers the destination
    app = make_app(load_settings(config, environ={}))
    add_keyword_matches(app.store, titles, found_at=app.clock())
    app.close()


_OLD_HOOK = '\n[[alerts.webhooks]]\nname = "old"\nurl = "https://hooks.example.org/x"\n'
_NEW_HOOK = '\n[[alerts.webhooks]]\nname = "new"\nurl = "https://hooks.example.org/y"\n'


def _a_delivery_then_its_destination_renamed(config: Path, *, failed: bool) -> str:
    """Webhook `old` configured with one match queued for it (`failed`: tried once and refused; else due
    tomorrow), then the config's webhook renamed `new`. Returns the config as it was before any webhook."""
    from datetime import timedelta

    from feeds.app import make_app
    from feeds.config import load_settings
    from feeds.store.alerts import AttemptRecord, NewDelivery
    from tests.alerts_helpers import add_keyword_matches

    base = config.read_text()
    config.write_text(base + _OLD_HOOK)
    assert run(config, "alerts", "run").exit_code == 0  # registers webhook:old
    app = make_app(load_settings(config, environ={}))
    now = app.clock()
    add_keyword_matches(app.store, {"a": "EU widens sanctions"}, found_at=now)
    (match,) = app.store.matches()
    due = now if failed else now + timedelta(days=1)
    app.store.enqueue_deliveries("webhook:old", [NewDelivery(match.id, "k" * 32, due)], now)
    if failed:
        (claimed,) = app.store.claim_deliveries("webhook:old", now, limit=1, owner="t", lease=timedelta(minutes=1))
        refused = AttemptRecord(claimed.delivery.id, "failed", 1, None, "400", "refused", None)
        app.store.record_attempts([refused], now, owner="t")
    app.close()
    config.write_text(base + _NEW_HOOK)
    return base


def test_alerts_retry_does_not_queue_what_no_configured_destination_would_send(config):
    """Deliveries of a destination taken out of the config (or renamed) are never sent again: `alerts retry` used
    to put them back in the queue all the same, say so, and leave them pending for ever in `alerts log`."""
    _a_delivery_then_its_destination_renamed(config, failed=True)

    every = run(config, "alerts", "retry")
    assert every.exit_code == 0 and "0 failed deliveries queued again" in every.output
    named = run(config, "alerts", "retry", "webhook:old")
    assert named.exit_code == 1 and "webhook:old is not configured" in named.output
    assert "failed" in run(config, "alerts", "log", "--destination", "webhook:old").output


def test_a_destination_taken_out_of_the_config_shows_its_waiting_deliveries_cancelled(config):
    """They used to stay "pending" in `alerts log` for ever, sent by nothing; now the next `alerts run` cancels
    them, says so, and `alerts log` gives the reason; `alerts retry --cancelled` queues them again once the
    destination is back in the config."""
    base = _a_delivery_then_its_destination_renamed(config, failed=False)

    ran = run(config, "alerts", "run")
    assert ran.exit_code == 0 and "webhook:old: 1 pending deliveries cancelled (no longer configured" in ran.output
    listed = run(config, "alerts", "log", "--status", "cancelled")
    assert "cancelled webhook:old" in listed.output
    assert "not sent: destination webhook:old no longer configured" in listed.output
    assert run(config, "alerts", "log", "--status", "pending").output.count("webhook:old") == 0
    named = run(config, "alerts", "retry", "--cancelled", "webhook:old")
    assert named.exit_code == 1 and "its cancelled deliveries cannot be sent" in named.output

    config.write_text(base + _OLD_HOOK)
    assert "0 failed deliveries queued again" in run(config, "alerts", "retry", "old").output
    assert "1 cancelled deliveries queued again" in run(config, "alerts", "retry", "--cancelled", "old").output
    assert "pending  webhook:old" in run(config, "alerts", "log").output


def test_alerts_run_says_nothing_with_q_unless_a_destination_fails_and_then_exits_1(config):
    """A review's find: `-q` did not silence the alerts summaries, and a failing destination exited 0, so cron
    could not tell a dead webhook from a quiet day."""
    from feeds.app import make_app
    from feeds.config import load_settings
    from tests.alerts_helpers import add_keyword_matches

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again below: nobody listens there
    config.write_text(config.read_text() + f'\n[[alerts.webhooks]]\nname = "desk"\nurl = "http://127.0.0.1:{port}/h"\n')
    quiet = CliRunner().invoke(cli, ["--config", str(config), "-q", "alerts", "run"])
    assert quiet.exit_code == 0 and quiet.output == "", "nothing to send: nothing to say"
    retried = CliRunner().invoke(cli, ["--config", str(config), "-q", "alerts", "retry"])
    assert retried.exit_code == 0 and retried.output == ""
    app = make_app(load_settings(config, environ={}))
    add_keyword_matches(app.store, {"a": "EU widens sanctions"}, found_at=app.clock())  # (after it was registered)
    app.close()
    failing = CliRunner().invoke(cli, ["--config", str(config), "-q", "alerts", "run"])
    assert failing.exit_code == 1 and failing.stdout == ""
    assert failing.stderr.startswith("webhook:desk: 1 queued, 0 sent") and "1 retrying" in failing.stderr


def test_alerts_run_counts_the_deliveries_left_waiting_so_its_numbers_add_up(config):
    """Three matches for a dead webhook printed "3 queued, 0 sent in 0 message(s), 1 retrying, 0 failed": the two
    held back behind the failed one were nowhere; and the next run, within the receiver's back-off (or after
    `alerts retry`), printed all zeros while three deliveries waited."""

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed again below: nobody listens there
    _webhook_desk_with_matches(config, f"http://127.0.0.1:{port}/h", THREE_SANCTIONS)
    first = CliRunner().invoke(cli, ["--config", str(config), "alerts", "run"])
    assert first.exit_code == 1
    assert "3 queued, 0 sent in 0 message(s), 1 retrying, 0 failed, 2 waiting" in first.stderr, first.stderr
    again = CliRunner().invoke(cli, ["--config", str(config), "alerts", "run"])
    assert again.exit_code == 0
    assert "0 queued, 0 sent in 0 message(s), 0 retrying, 0 failed, 3 waiting" in again.output, again.output


def test_alerts_run_counts_what_a_webhook_refusing_everything_left_waiting(config, httpserver):
    """A webhook answering 401 (a revoked token) is sent one message: the run says it is retrying that one (nothing
    failed), and counts the others as waiting."""

    httpserver.expect_request("/h", method="POST").respond_with_data("no", status=401)
    url = httpserver.url_for("/h")
    _webhook_desk_with_matches(config, url, THREE_SANCTIONS)
    first = CliRunner().invoke(cli, ["--config", str(config), "alerts", "run"])
    assert first.exit_code == 1
    assert "3 queued, 0 sent in 0 message(s), 1 retrying, 0 failed, 2 waiting" in first.stderr, first.stderr
    assert "answered 401" in first.stderr
    assert len([req for req, _ in httpserver.log if req.method == "POST"]) == 1


def test_alerts_log_says_the_deliveries_held_behind_a_webhook_refusing_everything_wait_for_its_next_probe(
    config, httpserver
):
    """Behind a webhook answering 401, the deliveries not tried have a `next_attempt` already past, yet wait for the
    destination's next probe: the log says so for each, in text and JSON alike (the probe itself too, tried first),
    with the destination's refusal and the time of its next probe; `next_attempt` keeps its meaning."""
    from feeds.app import make_app
    from feeds.config import load_settings

    httpserver.expect_request("/h", method="POST").respond_with_data("no", status=401)
    url = httpserver.url_for("/h")
    _webhook_desk_with_matches(config, url, THREE_SANCTIONS)
    assert run(config, "alerts", "run").exit_code == 1
    app = make_app(load_settings(config, environ={}))
    refusal = app.store.refusal("webhook:desk")
    app.close()
    assert refusal is not None
    probe_at, since = rfc3339(refusal.probe_at), rfc3339(refusal.since)

    rows = json.loads(run(config, "alerts", "log", "--json").output)
    assert len(rows) == 3 and all(r["status"] == "pending" for r in rows)
    waiting = [r for r in rows if r["attempts"] == 0]
    assert len(waiting) == 2 and all(r["next_attempt"] <= rfc3339(utc_now()) for r in waiting)  # past, yet waiting
    for r in rows:
        assert r["waits_for"] == {
            "destination": "webhook:desk",
            "state": "refuses everything",
            "answered": "401",
            "since": since,
            "refusals": 1,
            "next_probe": probe_at,
            "probe": r["attempts"] == 1,
            "match_id": next(x["match_id"] for x in rows if x["attempts"] == 1),
        }, r

    text = run(config, "alerts", "log").output.splitlines()
    assert len(text) == 3
    said = f"waits for webhook:desk, which refuses everything (answered 401 since {since}): next probe at {probe_at}"
    assert all(said in line for line in text), text
    assert sum("(this one first)" in line for line in text) == 1

    httpserver.clear()
    httpserver.expect_request("/h", method="POST").respond_with_data("ok", status=200)
    assert run(config, "alerts", "retry", "desk").exit_code == 0
    assert run(config, "alerts", "run").exit_code == 0
    after = json.loads(run(config, "alerts", "log", "--json").output)
    assert [r["status"] for r in after] == ["sent"] * 3 and all(r["waits_for"] is None for r in after)
    assert "waits for" not in run(config, "alerts", "log").output


def test_alerts_log_says_the_deliveries_held_behind_a_failed_one_wait_for_it_and_when_it_is_tried_again(
    config, httpserver
):
    """After a 503 the destination backs off as a whole: the other deliveries, due by their own `next_attempt`
    (already past), wait for the failed one. The log says so on each, in text and JSON (`waits_for`, the shape of a
    refusal's, `state` "backing off"): which match failed, its answer, and when it is tried again (first)."""

    httpserver.expect_request("/h", method="POST").respond_with_data("busy", status=503)
    url = httpserver.url_for("/h")
    _webhook_desk_with_matches(config, url, THREE_SANCTIONS)
    assert run(config, "alerts", "run").exit_code == 1

    rows = json.loads(run(config, "alerts", "log", "--json").output)
    assert len(rows) == 3 and all(r["status"] == "pending" for r in rows)
    (failed,) = [r for r in rows if r["attempts"] == 1]
    waiting = [r for r in rows if r["attempts"] == 0]
    assert len(waiting) == 2 and all(r["next_attempt"] <= rfc3339(utc_now()) for r in waiting)  # past, yet waiting
    assert failed["next_attempt"] > rfc3339(utc_now())
    for r in rows:
        assert r["waits_for"] == {
            "destination": "webhook:desk",
            "state": "backing off",
            "answered": "503",
            "since": None,
            "refusals": None,
            "next_probe": failed["next_attempt"],
            "probe": r is failed,
            "match_id": failed["match_id"],
        }, r

    text = run(config, "alerts", "log").output.splitlines()
    assert len(text) == 3
    said = (
        f"waits for match {failed['match_id']} of webhook:desk, which failed (answered 503): the destination backs"
        f" off until {failed['next_attempt']}, when that one is tried again first"
    )
    assert sum(said in line for line in text) == 2, text
    (own,) = [line for line in text if said not in line]
    assert own.endswith(
        f"webhook:desk backs off after this one failed (answered 503): tried again at {failed['next_attempt']}, first"
    ), own


def test_alerts_retry_tries_a_webhook_refusing_everything_at_the_next_run_not_after_its_back_off(config, httpserver):
    """A destination refusing everything is held off for up to two hours; the operator who has put its token right
    says `feeds alerts retry desk`, and the next run tries it at once (and sends what waited)."""

    answers = {"status": 401}

    def receiver(request):
        from werkzeug.wrappers import Response

        return Response("", status=answers["status"])

    httpserver.expect_request("/h", method="POST").respond_with_handler(receiver)
    url = httpserver.url_for("/h")
    _webhook_desk_with_matches(config, url, {"a": "EU widens sanctions", "b": "UK sanctions"})
    assert run(config, "alerts", "run").exit_code == 1
    assert len(httpserver.log) == 1
    answers["status"] = 200
    r = run(config, "alerts", "retry", "desk")
    assert r.exit_code == 0, r.output
    assert "webhook:desk: tried again at the next run (it answered 401 since " in r.output
    again = run(config, "alerts", "run")
    assert again.exit_code == 0 and "2 sent in 2 message(s)" in again.output, again.output
    assert len(httpserver.log) == 3


def test_alerts_retry_tries_a_webhook_backing_off_after_a_failure_at_the_next_run(config, httpserver):
    """A receiver that answered 503 (with a Retry-After of a day) is backed off from; once it is mended, the
    operator says `feeds alerts retry desk` and the next run tries the failed delivery at once and sends what
    waited behind it, rather than "0 failed deliveries queued again" and a day's wait."""

    answers = {"status": 503}

    def receiver(request):
        from werkzeug.wrappers import Response

        return Response("", status=answers["status"], headers={"Retry-After": "86400"})

    httpserver.expect_request("/h", method="POST").respond_with_handler(receiver)
    url = httpserver.url_for("/h")
    _webhook_desk_with_matches(config, url, {"a": "EU widens sanctions", "b": "UK sanctions"})
    assert run(config, "alerts", "run").exit_code == 1
    assert len(httpserver.log) == 1
    assert run(config, "alerts", "run").exit_code == 0 and len(httpserver.log) == 1, "backing off"
    answers["status"] = 200
    r = run(config, "alerts", "retry", "desk")
    assert r.exit_code == 0, r.output
    assert "webhook:desk: tried again at the next run, not at " in r.output, r.output
    assert "(it backs off after match 1 failed, answered 503)" in r.output, r.output
    again = run(config, "alerts", "run")
    assert again.exit_code == 0 and "2 sent in 2 message(s)" in again.output, again.output
    assert len(httpserver.log) == 3
    assert all(d["attempts"] for d in json.loads(run(config, "alerts", "log", "--json").output))


def test_alerts_run_names_an_answer_many_messages_got_once_with_how_many(config, httpserver):
    """A receiver refusing every message with the same answer (a 422 after a schema change) is one error line in
    the log; the run's own line said that answer once per message, "(POST … 422 …; POST … 422 …; …)", up to 50
    times a run."""
    httpserver.expect_request("/h", method="POST").respond_with_data("bad", status=422)
    _webhook_desk_with_matches(config, httpserver.url_for("/h"), {f"k{i}": f"Sanctions item {i}" for i in range(3)})
    r = run(config, "-q", "alerts", "run")
    assert r.exit_code == 1 and len(httpserver.log) == 3
    (line,) = [x for x in r.output.splitlines() if x.startswith("webhook:desk:")]
    assert line.count("answered 422") == 1, line
    assert line.endswith(
        "3 failed (3 messages: POST " + httpserver.url_for("/h") + ' answered 422 UNPROCESSABLE ENTITY: "bad")'
    ), line


def test_alerts_log_says_when_a_digest_waiting_for_its_hour_is_due(config):
    """A press officer who set up an hourly digest and sees `pending … attempts 0` wonders whether it is stuck:
    the log says when it goes (the text log as `--json` gives `next_attempt`)."""
    import re

    from feeds.app import make_app
    from feeds.config import load_settings
    from tests.alerts_helpers import add_keyword_matches

    config.write_text(
        config.read_text() + '\n[[alerts.email]]\nname = "hourly"\nto = ["desk@example.org"]\nfrequency = "hourly"\n'
    )
    assert run(config, "alerts", "run").exit_code == 0  # registers the destination
    app = make_app(load_settings(config, environ={}))
    add_keyword_matches(app.store, {"a": "EU widens sanctions"}, found_at=app.clock())
    app.close()
    assert run(config, "alerts", "run").exit_code == 0
    (line,) = run(config, "alerts", "log").output.splitlines()
    (due,) = [d["next_attempt"] for d in json.loads(run(config, "alerts", "log", "--json").output)]
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:00:00Z", due), due
    assert line.endswith(f"attempts 0  due {due} (the hourly digest)"), line


def test_serve_listens_where_the_config_says_unless_told_otherwise(config, monkeypatch):
    from feeds.web import static

    seen: list[tuple[str, int]] = []

    class Bound:
        def __init__(self, host: str, port: int):
            seen.append((host, port))
            self.effective_port = port

        def run(self) -> None:
            pass

    monkeypatch.setattr(static, "make_server", lambda app, host, port, **kw: Bound(host, port))
    config.write_text(config.read_text() + '\n[web]\nhost = "127.0.0.2"\nport = 18099\n')
    assert run(config, "serve").exit_code == 0
    # A server logs as the daemon does: a refused push (info) shows without -v.
    assert logging.getLogger("feeds.web.api").isEnabledFor(logging.INFO)
    assert run(config, "serve", "--port", "18100").exit_code == 0
    assert seen == [("127.0.0.2", 18099), ("127.0.0.2", 18100)]


def test_serve_stops_cleanly_on_sigterm_and_logs_as_the_daemon_does(config):
    """An operator's review: under SIGTERM (systemd, docker stop) `feeds serve` died of the signal (exit 143) with
    nothing logged, and its 'serving …' line was plain text among JSON log lines."""
    import os
    import re
    import signal
    import time

    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "feeds", "--config", str(config), "serve", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    try:
        assert proc.stderr is not None
        line = proc.stderr.readline()  # stderr is not a terminal: JSON log lines
        deadline = time.monotonic() + 60
        while "serving" not in line and line and time.monotonic() < deadline:
            line = proc.stderr.readline()
        record = json.loads(line)
        assert re.fullmatch(r"serving .* at http://127\.0\.0\.1:\d+/ \(Ctrl-C to stop\)", record["msg"])
        proc.send_signal(signal.SIGHUP)  # (logrotate, a habit from the daemon: it killed the server, exit 129)
        hup = json.loads(proc.stderr.readline())
        assert hup["msg"].startswith("received SIGHUP: ignored (feeds serve does not re-read its config") and hup
        assert proc.poll() is None
        proc.send_signal(signal.SIGTERM)
        time.sleep(0.002)
        proc.send_signal(signal.SIGTERM)  # a second one while stopping (a re-check: 143, or "Aborted!")
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0, err
    messages = [json.loads(x)["msg"] for x in err.splitlines() if x.startswith("{")]
    assert messages[-2:] == ["received SIGTERM: stopping", "stopped serving"] and out == ""


@pytest.mark.parametrize("host", ["999.1.1.1", "127.0.0.1"])
def test_serve_where_it_cannot_listen_is_a_one_line_error(config, host):
    """A taken port or an address that is no address: `error: cannot serve on …`, exit 1, no traceback."""
    import socket

    with socket.create_server(("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        result = CliRunner().invoke(cli, ["--config", str(config), "serve", "--host", host, "--port", str(port)])
    assert result.exit_code == 1, result.output
    assert f"cannot serve on {host}:{port}" in result.output and "Traceback" not in result.output
    assert "serving" not in result.output


def test_ingest_waits_for_another_process_holding_the_ingest_lock(config):
    """A daemon ingesting the same drop folder at that moment would take files from under this run."""
    import threading
    import time as _time

    from feeds.app import make_app
    from feeds.config import load_settings

    (config.parent / "inbox" / "a.txt").write_text("Talks with Russia\n\nThe Minister will talk to Russia.")
    holder = make_app(load_settings(config, environ={}))
    released = threading.Event()
    try:
        with holder.store.exclusive("ingest") as mine:
            assert mine
            threading.Timer(1.0, released.set).start()
            started = _time.monotonic()
            result = {}

            def ingest() -> None:
                result["r"] = CliRunner().invoke(cli, ["--config", str(config), "ingest"])

            worker = threading.Thread(target=ingest)
            worker.start()
            released.wait(10)
        worker.join(60)
    finally:
        holder.close()
    r = result["r"]
    assert r.exit_code == 0 and "waiting for another process's ingest" in r.output and "1 created" in r.output
    assert _time.monotonic() - started >= 1.0


def test_publish_dry_run_says_what_it_would_write(config):
    dry = run(config, "publish", "--dry-run")
    assert dry.exit_code == 0 and "would write atom.xml" in dry.output and "wrote" not in dry.output
    assert not (config.parent / "out" / "atom.xml").exists()
    assert "wrote    atom.xml" in run(config, "publish").output


def test_list_and_show_name_topics_as_the_site_does(config):
    """`tags: [iran, "north-korea"]` were listed as spelt, while the feeds and topic pages say Iran, North Korea
    (the base config's [topics] names them); `--json` gives the stored release, as given."""
    (config.parent / "inbox" / "talks.md").write_text(
        '---\ntitle: Talks on shipping\ndate: 2026-11-02\ntags: [iran, "north-korea"]\n---\nTalks were held.\n'
    )
    assert run(config, "ingest").exit_code == 0
    assert "Talks on shipping  [Iran, North Korea]" in run(config, "releases", "list").output
    assert "topics       Iran, North Korea" in run(config, "releases", "show", "talks-on-shipping").output
    assert json.loads(run(config, "releases", "list", "--json").output)[0]["topics"] == ["iran", "north-korea"]


def test_releases_list_json_marks_embargoed_and_never_public_releases_as_the_text_does(config):
    """The text list says "(embargoed: off the site until …)"; the JSON said nothing, so a script could not tell a
    held release from a public one."""
    from datetime import UTC, datetime, timedelta

    ahead = (datetime.now(UTC) + timedelta(days=30)).strftime("%Y-%m-%dT%H:%M:%SZ")
    inbox = config.parent / "inbox"
    (inbox / "held.json").write_text(json.dumps({"title": "Held back", "body": "Text.", "published": ahead}))
    (inbox / "gone.json").write_text(json.dumps({"title": "Never out", "body": "Text.", "published": ahead}))
    (inbox / "now.json").write_text(json.dumps({"title": "Out now", "body": "Text.", "published": "2026-11-02"}))
    assert run(config, "ingest").exit_code == 0
    assert run(config, "releases", "withdraw", "never-out", "--note", "Cancelled.").exit_code == 0
    assert "(embargoed: off the site until" in run(config, "releases", "list").output
    listed = {x["slug"]: x for x in json.loads(run(config, "releases", "list", "--json").output)}
    assert listed["held-back"]["embargoed_until"] == ahead
    assert listed["never-out"]["never_public"] is True and "embargoed_until" not in listed["never-out"]
    assert "embargoed_until" not in listed["out-now"] and "never_public" not in listed["out-now"]


def test_an_sqlite_url_with_two_slashes_is_a_config_error_at_its_key_and_line(config):
    """`sqlite://var/feeds.db` passed the config check and failed when the database was opened, as
    "error: database: ArgumentError: Invalid SQLite URL …": no file, line or key, and nothing on stdout for
    `check-config --json`."""
    config.write_text(config.read_text() + '\n[database]\nurl = "sqlite://state/feeds.db"\n')
    line = config.read_text().splitlines().index('url = "sqlite://state/feeds.db"') + 1
    checked = run(config, "check-config")
    assert checked.exit_code == 1
    assert f"error: {config}:{line}: database.url: 'sqlite://state/feeds.db' is not an SQLite file" in checked.output
    assert "ArgumentError" not in checked.output
    problems = json.loads(run(config, "check-config", "--json").stdout)["problems"]
    assert [(p["key"], p["line"]) for p in problems] == [("database.url", line)]


def test_a_site_email_the_feeds_cannot_carry_is_a_config_error_not_a_traceback_at_publish(config):
    config.write_text(config.read_text().replace('email = "press@example.org"', 'email = "press office"'))
    (config.parent / "inbox" / "a.txt").write_text("Hello world\n\nBody of the release.\n")
    assert run(config, "check-config").exit_code == 1
    result = CliRunner().invoke(cli, ["--config", str(config), "publish"])
    assert result.exit_code == 1 and not isinstance(result.exception, ValueError)  # (was: a traceback)
    assert "site.email: not an email address: 'press office'" in result.output


def test_releases_list_tells_apart_the_two_0130s_of_the_night_the_clocks_go_back(config):
    """Time review: releases at 01:30 BST and 01:30 GMT on 25 October 2026, an hour apart, were both listed as
    "2026-10-25 01:30" (their pages say "01:30 BST" and "01:30 GMT")."""
    inbox = config.parent / "inbox"
    for slug, when in (("first", "2026-10-25T00:30:00Z"), ("second", "2026-10-25T01:30:00Z")):
        (inbox / f"{slug}.json").write_text(json.dumps({"title": slug, "slug": slug, "body": "B.", "published": when}))
    assert run(config, "ingest").exit_code == 0
    lines = run(config, "releases", "list").output.splitlines()
    assert lines == ["2026-10-25 01:30 GMT  second  second", "2026-10-25 01:30 BST  first  first"]


def test_titles_the_terminal_cannot_encode_are_escaped_not_a_traceback(config):
    """A cron job on a server with a Latin-1 locale (or PYTHONIOENCODING=latin-1) got a UnicodeEncodeError
    traceback and no output for a title with an em dash; the text is escaped and the JSON stays JSON."""
    (config.parent / "inbox" / "a.txt").write_text("Talks in Zürich — Москва\n\nThe Minister will talk.\n")
    assert run(config, "ingest").exit_code == 0
    env, encoding = {**os.environ, "PYTHONIOENCODING": "latin-1"}, "latin-1"
    feeds = [sys.executable, "-m", "feeds", "--config", str(config)]
    text = subprocess.run([*feeds, "releases", "list"], capture_output=True, env=env)
    assert text.returncode == 0 and text.stderr == b""
    assert "Talks in Zürich \\u2014 \\u041c" in text.stdout.decode(encoding)
    listed = subprocess.run([*feeds, "releases", "list", "--json"], capture_output=True, env=env)
    assert listed.returncode == 0 and listed.stderr == b""
    assert json.loads(listed.stdout)[0]["title"] == "Talks in Zürich — Москва"
    missing = subprocess.run([*feeds, "releases", "show", "Zürich-—"], capture_output=True, env=env)
    assert missing.returncode == 1 and b"Traceback" not in missing.stderr
    assert "no release with id or slug 'Zürich-\\u2014'" in missing.stderr.decode(encoding)


def test_debug_output_is_ours_not_the_markdown_parsers_trace(config):
    """`-vv ingest` of one Markdown release printed some fifty `DEBUG markdown_it.rules_block…` lines of the
    parser trying each rule, burying the few lines about the release."""
    (config.parent / "inbox" / "a.md").write_text("---\ntitle: Talks\npublished: 2026-11-02\n---\n\nThe *text*.\n")
    r = CliRunner().invoke(cli, ["--config", str(config), "-vv", "ingest"], catch_exceptions=False)
    assert r.exit_code == 0 and "created" in r.stdout
    assert "INFO feeds.ingest: created" in r.stderr and "markdown_it" not in r.stderr


def test_a_source_that_cannot_be_read_is_said_once_and_json_keeps_it_in_the_json(config):
    """A folder source gone missing was said twice on stderr (`ERROR feeds.ingest: …` then `error: …`), and with
    --json, beside `sources_failed`, as a log line: the daemon's own log had it twice as well."""
    config.write_text(
        config.read_text() + '\n[[sources]]\ntype = "folder"\nname = "gone"\npath = "gone"\nmove = false\n'
    )
    text = run(config, "ingest")
    assert text.exit_code == 1
    assert text.stderr == f"error: {config.parent / 'gone'}: cannot read the folder of source 'gone': no such folder\n"
    as_json = run(config, "ingest", "--json")
    assert as_json.exit_code == 1 and as_json.stderr == ""
    assert [f["source"] for f in json.loads(as_json.stdout)["sources_failed"]] == ["gone"]


def test_json_log_lines_stay_json_when_the_locale_cannot_encode_a_title(config):
    """`feeds run --once` from cron on a Latin-1 locale: a file named with an emoji was logged as `\\U0001f4e3`
    (after the first fix) inside a JSON line, which no JSON parser reads; JSON's own `\\ud83d\\udce3` is."""
    (config.parent / "inbox" / "📣 Zürich.txt").write_text("Ferry news\n\nThe Minister will talk.\n")
    env = {**os.environ, "PYTHONIOENCODING": "latin-1"}
    done = subprocess.run(
        [sys.executable, "-m", "feeds", "--config", str(config), "run", "--once", "--log-format", "json"],
        capture_output=True,
        env=env,
        timeout=60,
    )
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stderr.decode("latin-1").splitlines()]
    assert any("ferry-news" in line["msg"] and "📣 Zürich.txt" in line["msg"] for line in lines), lines


def test_a_closed_standard_output_is_an_error_when_the_command_has_something_to_print(config):
    """`feeds releases list --json >&-` (stdout closed, as a careless crontab or service can leave it) exited 0
    having printed nothing anywhere, and `feeds watch export >&-` ended in an AttributeError traceback. A command
    with nothing to print, `run --once` in cron, still runs."""
    base = [sys.executable, "-m", "feeds", "--config", str(config)]

    def closed(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [*base, *args], stdout=None, stderr=subprocess.PIPE, text=True, preexec_fn=lambda: os.close(1), timeout=60
        )

    assert closed("-q", "db", "migrate").returncode == 0
    for args in (["releases", "list", "--json"], ["watch", "export"]):
        done = closed(*args)
        assert done.returncode == 1 and done.stderr == "error: standard output is closed\n", (args, done.stderr)
    assert closed("-q", "run", "--once").returncode == 0


def test_check_config_with_q_leaves_out_the_note_of_a_drop_folder_made_at_the_first_ingest(config):
    """`feeds -q check-config` in a cron line printed `warning: source 'inbox': the folder … does not exist (it is
    created at the first ingest)`, nothing wrong: -q is only errors. A folder read in place that is missing, which
    every ingest reports as a failure, is still said."""
    (config.parent / "inbox").rmdir()
    quiet = CliRunner().invoke(cli, ["--config", str(config), "-q", "check-config"])
    assert quiet.exit_code == 0 and quiet.output == ""
    assert "created at the first ingest" in run(config, "check-config").stderr
    config.write_text(
        config.read_text() + '\n[[sources]]\ntype = "folder"\nname = "gone"\npath = "gone"\nmove = false\n'
    )
    kept = CliRunner().invoke(cli, ["--config", str(config), "-q", "check-config"])
    assert kept.exit_code == 0 and kept.stdout == ""
    gone = config.parent / "gone"
    assert (
        kept.stderr
        == f"warning: source 'gone': the folder {gone} does not exist: nothing is read from it until it does\n"
    )


def test_check_config_warns_of_a_folder_that_cannot_be_made_where_the_config_puts_it(config):
    """An operator's review: with `paths.out` (or a drop folder) under a file, check-config said OK (and of the drop
    folder "it is created at the first ingest"), and the daemon then failed every publish and ingest. It says which
    folder cannot be made and why (still a warning: the daemon reports it, and a share may be mounted later)."""
    blocker = config.parent / "blocker"
    blocker.write_text("not a folder\n")
    (config.parent / "inbox").rmdir()
    config.write_text(
        config.read_text()
        .replace('out = "out"', 'out = "blocker/out"')
        .replace('path = "inbox"', 'path = "blocker/inbox"')
    )
    result = CliRunner().invoke(cli, ["--config", str(config), "check-config"])
    assert result.exit_code == 0
    assert result.stderr == (
        f"warning: paths.out: the folder {blocker / 'out'} cannot be created: {blocker} is not a folder\n"
        f"warning: source 'inbox': the folder {blocker / 'inbox'} cannot be created: {blocker} is not a folder\n"
    )
    quiet = CliRunner().invoke(cli, ["--config", str(config), "-q", "check-config"])
    assert quiet.exit_code == 0 and quiet.stderr.count("cannot be created") == 2, "not a note: -q says it too"
    as_json = json.loads(CliRunner().invoke(cli, ["--config", str(config), "check-config", "--json"]).stdout)
    assert len(as_json["warnings"]) == 2


def test_check_config_names_a_read_only_file_system_as_such(config, monkeypatch):
    """A `:ro` volume refuses root as well: "not writable by this user" sent the operator to chmod. (The file
    system's flag is what tells; a test cannot mount one, so it is given here.)"""
    import os as os_module
    from types import SimpleNamespace

    out = config.parent / "out"
    out.mkdir()
    real_statvfs = os_module.statvfs
    monkeypatch.setattr(os_module, "access", lambda path, mode, **kw: Path(path) != out)
    monkeypatch.setattr(
        os_module,
        "statvfs",
        lambda path: SimpleNamespace(f_flag=os_module.ST_RDONLY) if Path(path) == out else real_statvfs(path),
    )
    result = CliRunner().invoke(cli, ["--config", str(config), "check-config"])
    assert result.exit_code == 0
    assert f"warning: paths.out: the folder {out} is on a read-only file system" in result.stderr


def test_ingest_json_waiting_for_the_lock_keeps_stdout_json(config):
    """`feeds ingest --json` while a daemon ingested printed `waiting for another process's ingest to finish…` on
    stdout before the JSON, which `jq` then refused: the note goes to stderr."""
    import threading

    from feeds.app import make_app
    from feeds.config import load_settings

    (config.parent / "inbox" / "a.txt").write_text("Talks with Russia\n\nThe Minister will talk to Russia.")
    holder = make_app(load_settings(config, environ={}))
    result = {}
    try:
        with holder.store.exclusive("ingest") as mine:
            assert mine
            worker = threading.Thread(target=lambda: result.update(r=run(config, "ingest", "--json")))
            worker.start()
            worker.join(1.0)  # (it waits while the lock is held)
        worker.join(60)
    finally:
        holder.close()
    r = result["r"]
    assert r.exit_code == 0 and json.loads(r.stdout)["created"] == 1
    assert "waiting for another process's ingest" in r.stderr


def test_check_config_shows_what_the_environment_overrides_and_what_the_daemon_runs_with(config, tmp_path):
    """check-config showed the database of FEEDS_DATABASE_URL as if the file named it (an operator editing
    database.url saw no change), and nothing of the watch, the web side or the push API."""
    env = {"FEEDS_DATABASE_URL": f"sqlite:///{tmp_path / 'other.db'}", "FEEDS_API_TOKEN": "x" * 20}
    r = run(config, "check-config", env=env)
    assert r.exit_code == 0, r.output
    assert f"database  sqlite:///{tmp_path / 'other.db'} (from FEEDS_DATABASE_URL, not database.url)" in r.output
    assert "web       127.0.0.1:8080, push API on (token from FEEDS_API_TOKEN)" in r.output
    assert "watch     every 30 min; 0 watched feeds and 0 keyword rules in this file" in r.output
    assert "source    inbox (folder) every 1 min " in r.output
    data = json.loads(run(config, "check-config", "--json", env=env).output)
    assert data["environment"] == ["FEEDS_API_TOKEN", "FEEDS_DATABASE_URL"]
    assert data["web"] == {"host": "127.0.0.1", "port": 8080, "push_api": True, "trusted_proxy": None}


def test_check_config_and_the_daemons_start_refuse_an_interval_below_its_floor_naming_file_line_and_key(config):
    """Operators' review: `publish_interval = 10` meant as minutes published every 10 seconds."""
    config.write_text(config.read_text() + "\n[daemon]\npublish_interval = 10\n")
    line = config.read_text().splitlines().index("publish_interval = 10") + 1
    expected = f'{config}:{line}: daemon.publish_interval: must be at least 1 min, got 10 s; did you mean "10m"?'
    for args in (("check-config",), ("run", "--once")):
        r = run(config, *args)
        assert r.exit_code == 1 and expected in r.output, (args, r.output)
    assert not (config.parent / "out").exists(), "the run did not start"


class FakeTime:
    """Stands for the `time` module of `feeds.store.locks`: its sleep moves the clock on (and may act, as another
    process would meanwhile), so a test of a wait for a lock never sleeps."""

    def __init__(self, meanwhile=None) -> None:
        self.now = 0.0
        self.slept: list[float] = []
        self.meanwhile = meanwhile

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)
        self.now += seconds
        if self.meanwhile is not None:
            self.meanwhile()


def test_publish_waits_for_the_publish_lock_another_process_holds_and_writes_only_once_it_is_free(config, monkeypatch):
    """Operators' review: `feeds publish` from a shell took no lock while the daemon might be publishing, so two
    publishes could interleave in out/. It now takes the daemon's publish lock, waiting for it (and saying so)."""
    from feeds.app import make_app
    from feeds.config import load_settings
    from feeds.store import locks

    (config.parent / "inbox" / "a.txt").write_text("Talks with Russia\n\nThe Minister will talk to Russia.")
    assert run(config, "ingest").exit_code == 0
    holder = make_app(load_settings(config, environ={}))
    held = holder.store.exclusive("publish")
    assert held.__enter__()
    written_while_held: list[bool] = []

    def the_other_publish_ends() -> None:
        written_while_held.append((config.parent / "out" / "atom.xml").exists())
        if len(written_while_held) == 3:
            held.__exit__(None, None, None)

    monkeypatch.setattr(locks, "time", FakeTime(the_other_publish_ends))
    try:
        r = run(config, "publish")
    finally:
        holder.close()
    assert r.exit_code == 0, r.output
    assert written_while_held == [False, False, False], "nothing was written while the other publish ran"
    assert (config.parent / "out" / "atom.xml").exists()
    assert f"waiting for another process's publish to finish (held by pid {os.getpid()} on host " in r.stderr
    assert "for at most 5 min" in r.stderr and "waiting" not in r.stdout


def test_publish_gives_up_after_daemon_lock_wait_naming_the_holder_and_exits_1(config, monkeypatch):
    from feeds.app import make_app
    from feeds.config import load_settings
    from feeds.store import locks

    config.write_text(config.read_text() + '\n[daemon]\nlock_wait = "2m"\n')
    holder = make_app(load_settings(config, environ={}))
    fake = FakeTime()
    monkeypatch.setattr(locks, "time", fake)
    try:
        with holder.store.exclusive("publish") as mine:
            assert mine
            r = run(config, "publish")
            dry = run(config, "publish", "--dry-run")
    finally:
        holder.close()
    assert r.exit_code == 1
    assert f"error: gave up waiting for the publish lock after 2 min: held by pid {os.getpid()} on host " in r.output
    assert fake.now == 120.0 and not (config.parent / "out" / "atom.xml").exists()
    assert dry.exit_code == 0 and fake.now == 120.0, "a dry run writes nothing: it does not wait"


def test_ingest_gives_up_after_daemon_lock_wait_naming_the_holder_and_exits_1(config, monkeypatch):
    """As `feeds publish` and `run --once`: a process hung holding the ingest lock held `feeds ingest` for ever."""
    from feeds.app import make_app
    from feeds.config import load_settings
    from feeds.store import locks

    (config.parent / "inbox" / "a.txt").write_text("Talks with Russia\n\nThe Minister will talk to Russia.")
    holder = make_app(load_settings(config, environ={}))
    fake = FakeTime()
    monkeypatch.setattr(locks, "time", fake)
    try:
        with holder.store.exclusive("ingest") as mine:
            assert mine
            r = run(config, "ingest")
    finally:
        holder.close()
    assert r.exit_code == 1 and fake.now == 300.0
    assert f"error: gave up waiting for the ingest lock after 5 min: held by pid {os.getpid()} on host " in r.output
    assert f"waiting for another process's ingest to finish (held by pid {os.getpid()}" in r.stderr
    assert (config.parent / "inbox" / "a.txt").exists(), "the file was left where it was"


def _drop_json(config: Path, key: str, **fields: object) -> None:
    obj = {"title": "Port talks", "body": "The Minister met the harbour board today.", "source_key": key, **fields}
    (config.parent / "inbox" / f"{key}.json").write_text(json.dumps(obj), encoding="utf-8")


def test_a_topic_published_by_mistake_is_forgotten_once_no_release_has_it(config):
    """A typo in a tag ("Irn") published a topic whose feeds and page stayed for ever, empty once the release was
    re-tagged. `topics forget` retires it, and only once no release has it: the next publish removes its files."""
    out = config.parent / "out"
    _drop_json(config, "a", topics=["Irn"], published="2026-11-02T09:00:00Z")
    _drop_json(config, "b", title="Port fees", topics=["Irn", "Trade"], published="2026-11-03T09:00:00Z")
    assert run(config, "ingest").exit_code == 0
    assert run(config, "publish").exit_code == 0
    assert (out / "topics/irn/atom.xml").is_file()

    r = run(config, "topics", "forget", "irn")
    assert r.exit_code == 1
    assert r.output.startswith("error: 2 releases still have the topic Irn (port-fees, port-talks): ")
    _drop_json(config, "a", topics=["Iran"], published="2026-11-02T09:00:00Z")
    _drop_json(config, "b", title="Port fees", topics=["Trade"], published="2026-11-03T09:00:00Z")
    assert run(config, "ingest").exit_code == 0
    assert run(config, "publish").exit_code == 0
    assert (out / "topics/irn/atom.xml").is_file(), "kept, empty, until forgotten"

    r = run(config, "topics", "forget", "Irn", "--json")  # (by name too: the slug is worked out as publish does)
    assert r.exit_code == 0, r.output
    assert json.loads(r.output) == {"forgotten": "topic:irn", "name": "Irn", "path": "topics/irn/"}
    published = json.loads(run(config, "publish", "--json").output)
    assert sorted(published["removed"]) == [
        f"topics/irn/{n}" for n in ("atom.xml", "feed.json", "index.html", "rss.xml")
    ]
    assert not (out / "topics/irn").exists()
    assert (out / "topics/iran/atom.xml").is_file() and (out / "topics/trade/atom.xml").is_file()
    assert json.loads(run(config, "publish", "--json").output)["removed"] == [], "and it stays gone"

    r = run(config, "topics", "forget", "irn")
    assert r.exit_code == 1 and r.output == "error: no topic feed is published at topics/irn/\n"


def test_an_organisation_feed_published_by_mistake_is_forgotten_once_no_release_is_from_it(config):
    out = config.parent / "out"
    _drop_json(config, "a", organisation="Minstry of Ports", published="2026-11-02T09:00:00Z")
    _drop_json(config, "b", title="Trade envoy", organisation="Foreign Office", published="2026-11-03T09:00:00Z")
    assert run(config, "ingest").exit_code == 0
    assert run(config, "publish").exit_code == 0
    r = run(config, "organisations", "forget", "minstry-of-ports")
    assert r.exit_code == 1
    assert r.output.startswith("error: 1 release is still from the organisation Minstry of Ports (port-talks): ")
    _drop_json(config, "a", organisation="Ministry of Ports", published="2026-11-02T09:00:00Z")
    assert run(config, "ingest").exit_code == 0
    assert run(config, "publish").exit_code == 0
    assert (out / "organisations/minstry-of-ports/atom.xml").is_file()
    r = run(config, "organisations", "forget", "minstry-of-ports")
    assert r.exit_code == 0, r.output
    assert r.output.startswith("forgot the organisation Minstry of Ports (organisations/minstry-of-ports/): ")
    removed = json.loads(run(config, "publish", "--json").output)["removed"]
    assert all(p.startswith("organisations/minstry-of-ports/") for p in removed) and len(removed) == 3
    assert (out / "organisations/ministry-of-ports/atom.xml").is_file()


@pytest.mark.parametrize(("group", "key"), [("topics", "topic:irn"), ("organisations", "org:irn")])
def test_forget_waits_for_the_publish_lock_another_process_holds_and_forgets_only_once_it_is_free(
    config, monkeypatch, group, key
):
    """Operators' review: `forget` took no lock, so a publish running at that moment (which read the record before)
    recorded the feed again and wrote its files once more. It now takes the publish lock, waiting as publish does."""
    from feeds.app import make_app
    from feeds.config import load_settings
    from feeds.model import PublishedFeed
    from feeds.store import locks

    holder = make_app(load_settings(config, environ={}))
    holder.store.keep_published_feeds({key: PublishedFeed(key, holder.clock(), "Irn")}, holder.clock())
    held = holder.store.exclusive("publish")
    assert held.__enter__()
    kept_while_held: list[bool] = []

    def the_publish_ends() -> None:
        kept_while_held.append(key in holder.store.published_feeds())
        if len(kept_while_held) == 3:
            held.__exit__(None, None, None)

    monkeypatch.setattr(locks, "time", FakeTime(the_publish_ends))
    try:
        r = run(config, group, "forget", "irn", "--json")
        assert r.exit_code == 0, r.output
        assert key not in holder.store.published_feeds()
    finally:
        holder.close()
    assert kept_while_held == [True, True, True], "nothing was forgotten while the publish ran"
    assert json.loads(r.stdout)["forgotten"] == key
    assert f"waiting for another process's publish to finish (held by pid {os.getpid()} on host " in r.stderr
    assert "for at most 5 min" in r.stderr


@pytest.mark.parametrize(("group", "key"), [("topics", "topic:irn"), ("organisations", "org:irn")])
def test_forget_gives_up_after_daemon_lock_wait_naming_the_holder_and_exits_1(config, monkeypatch, group, key):
    from feeds.app import make_app
    from feeds.config import load_settings
    from feeds.model import PublishedFeed
    from feeds.store import locks

    config.write_text(config.read_text() + '\n[daemon]\nlock_wait = "2m"\n')
    holder = make_app(load_settings(config, environ={}))
    holder.store.keep_published_feeds({key: PublishedFeed(key, holder.clock(), "Irn")}, holder.clock())
    fake = FakeTime()
    monkeypatch.setattr(locks, "time", fake)
    try:
        with holder.store.exclusive("publish") as mine:
            assert mine
            r = run(config, group, "forget", "irn")
        assert key in holder.store.published_feeds(), "not forgotten"
    finally:
        holder.close()
    assert r.exit_code == 1 and fake.now == 120.0
    assert f"error: gave up waiting for the publish lock after 2 min: held by pid {os.getpid()} on host " in r.output


def test_a_release_still_under_embargo_keeps_its_topic_from_being_forgotten(config):
    """It would publish the topic again when its embargo lifts: counted, and named, as any other."""
    out = config.parent / "out"
    _drop_json(config, "a", topics=["Irn"], published="2026-11-02T09:00:00Z")
    assert run(config, "ingest").exit_code == 0
    assert run(config, "publish").exit_code == 0
    _drop_json(config, "a", topics=["Iran"], published="2026-11-02T09:00:00Z")
    ahead = rfc3339(utc_now() + timedelta(days=30))  # (the command reads the real clock)
    _drop_json(config, "b", title="Port fees", topics=["Irn"], published=ahead)
    assert run(config, "ingest").exit_code == 0
    r = run(config, "topics", "forget", "irn")
    assert r.exit_code == 1 and r.output.startswith("error: 1 release still has the topic Irn (port-fees): "), r.output
    assert (out / "topics/irn/atom.xml").is_file()


def test_the_daemon_commands_help_says_how_to_stop_reload_and_what_the_exit_status_means():
    """An operator's review: `feeds run --help` said nothing of the signals it answers, of its exit status or of
    where its log goes, and `status --help` left `--json` unexplained; all of that was only in the README."""
    run_help = " ".join(CliRunner().invoke(cli, ["run", "--help"]).output.split())  # (as wrapped)
    for said in ("SIGTERM", "SIGHUP", "exit", "stderr", "housekeeping", "JSON lines otherwise", "feeds -q run --once"):
        assert said in run_help, said
    check_help = " ".join(CliRunner().invoke(cli, ["check-config", "--help"]).output.split())
    assert "Exits 1 when the config has errors" in check_help and "feeds --config /etc/feeds/feeds.toml" in check_help
    status_help = CliRunner().invoke(cli, ["status", "--help"]).output
    assert "--json" in status_help and "for scripts" in status_help


def test_ingest_names_a_folder_dropped_into_the_inbox(config, tmp_path):
    """Ingest review: a folder dropped into the inbox is not read, and a plain `feeds ingest` said nothing of it
    (the log's warning shows only with -v): '0 created', and the office's files never published."""
    inbox = tmp_path / "inbox"
    (inbox / "batch").mkdir()
    (inbox / "batch" / "ferry.txt").write_text("Ferry fares frozen\n\nFares stay as they are.\n")
    (inbox / ".drafts").mkdir()  # (hidden: left alone without a word, as processed/ and rejected/ are)
    r = run(config, "ingest")
    assert r.exit_code == 0, r.output  # (a warning: the folder is left where it is, nothing failed)
    assert f"warning: {inbox / 'batch'}/: a folder; drop its files in {inbox}/ itself" in r.output
    assert ".drafts" not in r.output and "processed" not in r.output
    assert (inbox / "batch" / "ferry.txt").exists()
    assert "a folder" not in run(config, "-q", "ingest").output  # -q: only errors
    (listed,) = json.loads(run(config, "ingest", "--json").output)["folders_not_read"]
    assert listed.startswith(f"{inbox / 'batch'}/: a folder")


@pytest.mark.parametrize(
    "command",
    [
        ("status",),
        ("releases", "list"),
        ("releases", "show", "x"),
        ("watch", "list"),
        ("keywords", "list"),
        ("matches", "list"),
        ("alerts", "log"),
    ],
)
def test_a_command_that_only_reads_does_not_create_a_database_that_is_not_there(config, tmp_path, command):
    """`feeds status` on a config whose database path was wrong (a typo, another user's FEEDS_DATABASE_URL)
    created an empty database there, migrated it, and reported an empty office, exit 0."""
    wrong = tmp_path / "state" / "fedes.db"
    r = run(config, *command, env={"FEEDS_DATABASE_URL": f"sqlite:///{wrong}"})
    assert r.exit_code == (2 if command == ("status",) else 1), r.output  # (`feeds status`: 2, it could not tell)
    assert f"error: there is no database at {wrong} yet" in r.output
    assert "database.url" in r.output and "FEEDS_DATABASE_URL" in r.output
    assert not wrong.exists() and not (tmp_path / "state").exists()


def test_commands_that_write_still_create_the_database(config, tmp_path):
    """The first ingest (or `db migrate`, `run`, `watch add`) of a new install creates the database and its folder;
    a reader after it finds it."""
    db = tmp_path / "state" / "feeds.db"
    assert run(config, "ingest").exit_code == 0 and db.exists()
    assert run(config, "status").exit_code == 0
    db.unlink()
    assert run(config, "db", "migrate").exit_code == 0 and db.exists()


def test_check_config_says_there_is_no_database_yet_without_creating_it(config, tmp_path):
    """A config checked before the first start is fine (exit 0): check-config says the database is not there yet
    and leaves the state folder alone."""
    r = run(config, "check-config")
    assert r.exit_code == 0, r.output
    assert f"no database at {tmp_path / 'state' / 'feeds.db'} yet" in r.output
    assert not (tmp_path / "state").exists()


def test_every_json_option_says_what_it_prints():
    """An operator's review: `--json` had no help text in ten commands' --help (`--json` alone on its line)."""
    import click

    def commands(group: click.Command, path: str) -> Iterator[tuple[str, click.Command]]:
        yield path, group
        if isinstance(group, click.Group):
            for name, sub in group.commands.items():
                yield from commands(sub, f"{path} {name}")

    bare = [
        path
        for path, command in commands(cli, "feeds")
        for param in command.params
        if isinstance(param, click.Option) and "--json" in param.opts and not (param.help or "").strip()
    ]
    assert bare == []
