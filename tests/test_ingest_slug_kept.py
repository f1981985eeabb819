"""A version of a stored release asking for another `slug`: the release keeps its slug and permalink (its id and
address never change once published), and every way in says so, naming the input and the field: the log of a
dropped file, `feeds ingest` (its text and `--json`), and the push API (`tests/test_web_api_source_keys.py`)."""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from pathlib import Path

from click.testing import CliRunner

from feeds.cli import cli
from feeds.ingest import run_ingest

RELEASE = {"title": "Minister to visit Oslo", "body": "The Minister will go to Oslo.", "source_key": "cms-1"}


def drop(inbox: Path, name: str, **fields: str) -> Path:
    path = inbox / name
    path.write_text(json.dumps(RELEASE | fields), encoding="utf-8")
    return path


def test_a_dropped_file_asking_for_another_slug_is_unchanged_and_the_log_names_the_file_and_field(
    app, inbox, clock, caplog
):
    drop(inbox, "oslo.json", slug="oslo-visit")
    assert [o.status for o in run_ingest(app).outcomes] == ["created"]
    stored = app.store.release("oslo-visit")
    clock.advance(timedelta(minutes=5))
    drop(inbox, "oslo-renamed.json", slug="oslo-trip")
    with caplog.at_level(logging.WARNING, logger="feeds.ingest"):
        (outcome,) = run_ingest(app).outcomes
    assert outcome.status == "unchanged" and outcome.slug == "oslo-visit"
    assert outcome.slug_kept is not None and outcome.warning is None
    (line,) = [r.getMessage() for r in caplog.records if "field 'slug'" in r.getMessage()]
    assert "oslo-renamed.json: field 'slug': 'oslo-trip' is not used" in line, line
    assert "keeps its slug 'oslo-visit'" in line and "withdraw" in line and "another source_key" in line
    assert app.store.release("oslo-visit") == stored


def test_a_slug_asked_again_with_an_edit_is_an_update_that_says_the_slug_is_kept(app, inbox, clock):
    drop(inbox, "oslo.json", slug="oslo-visit")
    run_ingest(app)
    clock.advance(timedelta(minutes=5))
    drop(inbox, "oslo.json", slug="oslo-trip", body="The Minister will go to Oslo and Bergen.")
    (outcome,) = run_ingest(app).outcomes
    assert outcome.status == "updated" and outcome.slug == "oslo-visit"
    assert "'oslo-trip' is not used" in (outcome.slug_kept or "")


def test_no_slug_asked_or_the_same_one_says_nothing(app, inbox, clock):
    drop(inbox, "oslo.json", slug="oslo-visit")
    run_ingest(app)
    clock.advance(timedelta(minutes=5))
    drop(inbox, "oslo.json", slug="oslo-visit", body="Oslo and Bergen.")
    drop(inbox, "bergen.json", source_key="cms-2", title="A new headline", body="Bergen.")
    run_ingest(app)
    drop(inbox, "bergen.json", source_key="cms-2", title="Another headline", body="Bergen.")
    outcomes = run_ingest(app).outcomes
    assert [o.slug_kept for o in outcomes] == [None]  # (a title's slug is no promise: the release keeps its own)


def test_feeds_ingest_prints_the_slug_kept_and_gives_it_in_json(config):
    inbox = config.parent / "inbox"

    def run(*args: str):
        return CliRunner().invoke(cli, ["--config", str(config), *args], catch_exceptions=False)

    drop(inbox, "oslo.json", slug="oslo-visit")
    assert run("ingest").exit_code == 0
    drop(inbox, "oslo.json", slug="oslo-trip")
    r = run("ingest")
    assert r.exit_code == 0
    assert "unchanged  oslo-visit" in r.stdout
    assert "warning: field 'slug': 'oslo-trip' is not used: the release keeps its slug 'oslo-visit'" in r.stderr
    drop(inbox, "oslo.json", slug="oslo-journey")
    (outcome,) = json.loads(run("ingest", "--json").stdout)["outcomes"]
    assert outcome["status"] == "unchanged" and "'oslo-journey' is not used" in outcome["slug_kept"]


def test_the_log_names_the_file_once_before_each_warning(app, inbox, clock, caplog):
    """The log read `inbox/oslo.json: inbox/oslo.json: field 'withdrawn_at': …` (normalising's warning names its
    input, and the log line names it again)."""
    drop(inbox, "oslo.json", slug="oslo-visit")
    run_ingest(app)
    clock.advance(timedelta(minutes=5))
    path = drop(inbox, "oslo.json", slug="oslo-trip", withdrawn_at="2026-11-28T12:00:00Z")
    with caplog.at_level(logging.WARNING, logger="feeds.ingest"):
        run_ingest(app)
    (line,) = [r.getMessage() for r in caplog.records if "withdrawn_at" in r.getMessage()]
    assert line.count("oslo.json") == 1 and line.startswith(str(path)), line
    assert "; field 'slug': 'oslo-trip' is not used" in line
