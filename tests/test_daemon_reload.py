"""An operator reloading `feeds run` daemons: what a reload says (a port, keys needing a restart, a config file gone,
unreadable or a dangling link), and that reloads do not put housekeeping off for ever."""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from feeds.clock import Clock
from feeds.config import Settings
from feeds.daemon import Daemon


@contextmanager
def serving_daemon(settings: Settings, clock: Clock, **options: Any) -> Iterator[Daemon]:
    """A daemon on `settings` as if serving (a reload then keeps the web keys for a restart), closed afterwards."""
    daemon = Daemon(Path(settings.path), settings, clock=clock, serve=False, **options)
    daemon._server = object()
    try:
        yield daemon
    finally:
        daemon._server = None
        daemon.app.close()


def test_a_reload_changing_web_port_while_port_was_given_on_the_command_line_names_the_port_it_serves_on(
    make_settings, clock, caplog
):
    settings = make_settings()
    with serving_daemon(settings, clock, port=9000) as daemon:
        config = Path(settings.path)
        config.write_text(config.read_text() + "\n[web]\nport = 8081\n")
        with caplog.at_level(logging.INFO, logger="feeds.daemon"):
            assert daemon.reload()
        assert f"keeping {settings.web.port}" not in caplog.text
        assert "web.port changed from 8080 to 8081" in caplog.text
        assert "serves on 9000 (--port)" in caplog.text
        assert daemon.config_state.restart_needed == [], "a restart with the same --port changes nothing either"
        assert "(changed: web.port, which --port overrides)" in caplog.text and "(no change)" not in caplog.text


def test_a_reload_changing_only_keys_that_need_a_restart_says_so_rather_than_no_change(make_settings, clock, caplog):
    settings = make_settings()
    with serving_daemon(settings, clock) as daemon:
        config = Path(settings.path)
        config.write_text(config.read_text() + "\n[web]\nport = 8081\n")
        with caplog.at_level(logging.INFO, logger="feeds.daemon"):
            assert daemon.reload()
        done = [r.getMessage() for r in caplog.records if r.getMessage().startswith("config reloaded from")]
        assert len(done) == 1 and "(no change)" not in done[0]
        assert "(changed: web.port, which waits for a restart)" in done[0]


def test_a_reload_changing_some_tables_and_a_restart_key_names_both(make_settings, clock, caplog):
    settings = make_settings()
    with serving_daemon(settings, clock) as daemon:
        config = Path(settings.path)
        config.write_text(config.read_text() + '\n[web]\nport = 8081\n[watch]\ninterval = "45m"\n')
        with caplog.at_level(logging.INFO, logger="feeds.daemon"):
            assert daemon.reload()
        assert "(changed: watch; web.port, which waits for a restart)" in caplog.text


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


@pytest.mark.parametrize("uid", [None, 1000680000], ids=["named", "no-passwd-entry"])
def test_a_reload_of_a_config_the_daemon_may_not_read_names_its_user_and_the_fix(
    make_settings, clock, caplog, monkeypatch, uid
):
    """An editor's atomic save as another user (root, umask 077) leaves a new file the daemon's user cannot read.
    (Run as root here, so the refusal is the file system's answer injected.) OpenShift runs a container as an
    arbitrary uid with no entry in /etc/passwd: looking its name up failed (KeyError), losing the reason."""
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
        if uid is not None:
            monkeypatch.setattr(os, "geteuid", lambda: uid)
        with caplog.at_level(logging.ERROR, logger="feeds.daemon"):
            assert not daemon.reload()
        assert f"{config}: this daemon's user (" in caplog.text and "may not read it" in caplog.text
        assert "make it readable by that user" in caplog.text
        if uid is not None:
            assert f"{config}: this daemon's user (uid {uid}) may not read it" in caplog.text
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
