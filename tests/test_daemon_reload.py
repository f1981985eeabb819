"""An operator running `feeds run` daemons: what a reload says, what check-config notices, what the log repeats
while the database is down, and which published feeds a subscriber keeps."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from feeds.cli import cli
from feeds.daemon import Daemon
from feeds.outcomes import record_run
from tests.conftest import BASE_CONFIG
from tests.test_publish_bilingual import ENGLISH, WELSH, publish


def test_a_reload_changing_web_port_while_port_was_given_on_the_command_line_names_the_port_it_serves_on(
    make_settings, clock, caplog
):
    settings = make_settings()
    daemon = Daemon(Path(settings.path), settings, clock=clock, serve=False, port=9000)
    try:
        daemon._server = object()  # as if serving (on 9000, from --port)
        config = Path(settings.path)
        config.write_text(config.read_text() + "\n[web]\nport = 8081\n")
        with caplog.at_level(logging.INFO, logger="feeds.daemon"):
            assert daemon.reload()
        assert f"keeping {settings.web.port}" not in caplog.text
        assert "web.port changed from 8080 to 8081" in caplog.text
        assert "serves on 9000 (--port)" in caplog.text
        assert daemon.config_state.restart_needed == [], "a restart with the same --port changes nothing either"
        assert "(changed: web.port, which --port overrides)" in caplog.text and "(no change)" not in caplog.text
    finally:
        daemon._server = None
        daemon.app.close()


def test_a_reload_changing_only_keys_that_need_a_restart_says_so_rather_than_no_change(make_settings, clock, caplog):
    settings = make_settings()
    daemon = Daemon(Path(settings.path), settings, clock=clock, serve=False)
    try:
        daemon._server = object()
        config = Path(settings.path)
        config.write_text(config.read_text() + "\n[web]\nport = 8081\n")
        with caplog.at_level(logging.INFO, logger="feeds.daemon"):
            assert daemon.reload()
        done = [r.getMessage() for r in caplog.records if r.getMessage().startswith("config reloaded from")]
        assert len(done) == 1 and "(no change)" not in done[0]
        assert "(changed: web.port, which waits for a restart)" in done[0]
    finally:
        daemon._server = None
        daemon.app.close()


def test_a_reload_changing_some_tables_and_a_restart_key_names_both(make_settings, clock, caplog):
    settings = make_settings()
    daemon = Daemon(Path(settings.path), settings, clock=clock, serve=False)
    try:
        daemon._server = object()
        config = Path(settings.path)
        config.write_text(config.read_text() + '\n[web]\nport = 8081\n[watch]\ninterval = "45m"\n')
        with caplog.at_level(logging.INFO, logger="feeds.daemon"):
            assert daemon.reload()
        assert "(changed: watch; web.port, which waits for a restart)" in caplog.text
    finally:
        daemon._server = None
        daemon.app.close()


@pytest.mark.postgres
def test_check_config_warns_of_an_empty_postgresql_schema(tmp_path: Path, pg_url: str) -> None:
    (tmp_path / "inbox").mkdir()
    config = tmp_path / "feeds.toml"
    config.write_text(BASE_CONFIG, encoding="utf-8")
    env = {"FEEDS_DATABASE_URL": pg_url}
    r = CliRunner().invoke(cli, ["--config", str(config), "check-config"], env=env, catch_exceptions=False)
    assert r.exit_code == 0
    assert "warning: database" in r.stderr and "has no feeds tables" in r.stderr and "search_path" in r.stderr
    r = CliRunner().invoke(cli, ["--config", str(config), "check-config", "--json"], env=env, catch_exceptions=False)
    data = json.loads(r.stdout)
    assert any("has no feeds tables" in w for w in data["warnings"])
    assert data["database_empty"] is True
    # Migrated, it is quiet.
    CliRunner().invoke(cli, ["--config", str(config), "db", "migrate"], env=env, catch_exceptions=False)
    r = CliRunner().invoke(cli, ["--config", str(config), "check-config", "--json"], env=env, catch_exceptions=False)
    assert "warnings" not in json.loads(r.stdout) and "has no feeds tables" not in r.stderr


def test_an_outcome_that_cannot_be_recorded_is_said_once_per_outage(make_settings, make_app_for, caplog, monkeypatch):
    app = make_app_for(make_settings())
    real = app.store.record_outcome

    def refuse(*args, **kwargs):
        raise sa.exc.OperationalError("INSERT", {}, Exception("connection refused"))

    monkeypatch.setattr(app.store, "record_outcome", refuse)
    with caplog.at_level(logging.DEBUG, logger="feeds.watch"):
        for _ in range(3):
            record_run(app, "poll", None)
    warned = [r for r in caplog.records if r.levelno == logging.WARNING and "could not record" in r.getMessage()]
    assert len(warned) == 1
    monkeypatch.setattr(app.store, "record_outcome", real)
    record_run(app, "poll", None)  # the database is back: the outage is over
    monkeypatch.setattr(app.store, "record_outcome", refuse)
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="feeds.watch"):
        record_run(app, "poll", None)
    assert "could not record the poll's outcome" in caplog.text, "a new outage is said again"


def test_language_feeds_stay_when_a_bilingual_site_goes_back_to_one_language(tmp_path: Path) -> None:
    out = publish(tmp_path, {"en.json": json.dumps(ENGLISH), "cy.json": json.dumps(WELSH)})
    assert (out / "cy" / "atom.xml").is_file()
    # The Welsh release is sent again in English: every release is in one language now.
    (tmp_path / "inbox" / "en.json").unlink(missing_ok=True)
    out = publish(tmp_path, {"cy.json": json.dumps({**WELSH, "language": "en"})})
    assert (out / "cy" / "atom.xml").is_file() and (out / "en" / "atom.xml").is_file()
    assert "cy/atom.xml" not in (out / "feeds.opml").read_text("utf-8"), "an empty feed is not offered"


def test_a_release_page_of_a_site_back_to_one_language_offers_no_language_feed(tmp_path: Path) -> None:
    publish(tmp_path, {"en.json": json.dumps(ENGLISH), "cy.json": json.dumps(WELSH)})
    (tmp_path / "inbox" / "en.json").unlink(missing_ok=True)
    out = publish(tmp_path, {"cy.json": json.dumps({**WELSH, "language": "en"})})
    pages = list((out / "releases").glob("*/index.html"))
    assert pages and not any("/en/atom.xml" in p.read_text("utf-8") for p in pages), "the main feed has them all"


def test_a_reload_of_a_config_file_gone_says_to_put_it_back_not_to_pass_config(make_settings, clock, caplog):
    settings = make_settings()
    daemon = Daemon(Path(settings.path), settings, clock=clock, serve=False)
    try:
        config = Path(settings.path)
        config.rename(config.with_suffix(".bak"))
        with caplog.at_level(logging.ERROR, logger="feeds.daemon"):
            assert not daemon.reload()
        assert f"{config}: the config file is gone (moved or deleted): put it back there" in caplog.text
        assert "--config" not in caplog.text
        config.with_suffix(".bak").rename(config)
        assert daemon.reload()
    finally:
        daemon.app.close()


def test_a_reload_changing_web_port_under_port_0_names_the_port_the_server_got(make_settings, clock, caplog):
    settings = make_settings()
    daemon = Daemon(Path(settings.path), settings, clock=clock, port=0)
    try:
        daemon.start()
        config = Path(settings.path)
        config.write_text(config.read_text() + "\n[web]\nport = 8081\n")
        with caplog.at_level(logging.INFO, logger="feeds.daemon"):
            assert daemon.reload()
        assert f"serves on {daemon.bound_port} (--port)" in caplog.text and daemon.bound_port != 0
    finally:
        daemon.stop()


def _cli(tmp_path: Path, *args: str):
    return CliRunner().invoke(cli, ["--config", str(tmp_path / "feeds.toml"), *args], catch_exceptions=False)


def test_a_language_feed_published_by_mistake_can_be_forgotten_once_no_release_is_in_it(tmp_path: Path) -> None:
    publish(tmp_path, {"en.json": json.dumps(ENGLISH), "cy.json": json.dumps(WELSH)})
    r = _cli(tmp_path, "languages", "forget", "cy")
    assert r.exit_code == 1 and "1 release is still in the language cy" in r.stderr
    (tmp_path / "inbox" / "en.json").unlink(missing_ok=True)
    publish(tmp_path, {"cy.json": json.dumps({**WELSH, "language": "en"})})  # sent again, in English
    r = _cli(tmp_path, "languages", "forget", "en")
    assert r.exit_code == 1, "while cy/ is kept, en/ would be published again"
    assert _cli(tmp_path, "languages", "forget", "cy").exit_code == 0
    r = _cli(tmp_path, "languages", "forget", "en-GB")
    assert r.exit_code == 0, r.output
    out = publish(tmp_path, {})
    assert not (out / "cy").exists() and not (out / "en").exists()
    assert (out / "atom.xml").is_file()


def test_a_reload_of_a_config_the_daemon_may_not_read_names_its_user_and_the_fix(
    make_settings, clock, caplog, monkeypatch
):
    """An editor's atomic save as another user (root, umask 077) leaves a new file the daemon's user cannot read.
    (Run as root here, so the refusal is the file system's answer injected.)"""
    settings = make_settings()
    daemon = Daemon(Path(settings.path), settings, clock=clock, serve=False)
    config = Path(settings.path)
    real = Path.read_bytes

    def refused(self: Path) -> bytes:
        if self == config:
            raise PermissionError(13, "Permission denied", str(self))
        return real(self)

    try:
        monkeypatch.setattr(Path, "read_bytes", refused)
        with caplog.at_level(logging.ERROR, logger="feeds.daemon"):
            assert not daemon.reload()
        assert f"{config}: this daemon's user (" in caplog.text and "may not read it" in caplog.text
        assert "make it readable by that user" in caplog.text
    finally:
        daemon.app.close()


def test_a_reload_of_a_config_that_is_a_dangling_link_says_where_it_points(make_settings, clock, caplog, tmp_path):
    settings = make_settings()
    daemon = Daemon(Path(settings.path), settings, clock=clock, serve=False)
    config = Path(settings.path)
    try:
        config.unlink()
        config.symlink_to(tmp_path / "releases" / "feeds.toml")
        with caplog.at_level(logging.ERROR, logger="feeds.daemon"):
            assert not daemon.reload()
        target = tmp_path / "releases" / "feeds.toml"
        assert f"{config} is a symbolic link to {target}, which is not there" in caplog.text
    finally:
        daemon.app.close()


def test_reloads_more_often_than_housekeeping_s_first_delay_do_not_put_it_off_for_ever(make_settings, clock):
    """A configuration manager sending SIGHUP every 5 minutes: each reload scheduled housekeeping 10 minutes on, so
    it never ran and nothing was ever pruned."""
    settings = make_settings()
    daemon = Daemon(Path(settings.path), settings, clock=clock, serve=False)
    try:
        daemon.start()
        due = daemon.next_runs()["housekeeping"]
        assert due is not None
        for _ in range(3):
            assert daemon.reload()
            assert daemon.next_runs()["housekeeping"] <= due
    finally:
        daemon.stop()


def test_check_config_warns_when_the_postgresql_server_cannot_be_reached(tmp_path: Path) -> None:
    (tmp_path / "inbox").mkdir()
    config = tmp_path / "feeds.toml"
    config.write_text(BASE_CONFIG, encoding="utf-8")
    env = {"FEEDS_DATABASE_URL": "postgresql://feeds@127.0.0.1:1/feeds"}
    r = CliRunner().invoke(cli, ["--config", str(config), "check-config", "--json"], env=env, catch_exceptions=False)
    assert r.exit_code == 0
    data = json.loads(r.stdout)
    assert data["database_empty"] is None
    assert any(
        w.startswith("database postgresql+psycopg://feeds@127.0.0.1:1/feeds could not be reached")
        for w in data["warnings"]
    )
