"""What `feeds status` and `feeds check-config` say is true for the deployment, whichever machine sharing the
database asks.

Two "machines" here are two configs with their own state and out/ folders, sharing one database (a SQLite file, and
a PostgreSQL schema when present), as the README's "Running on several machines" describes.
"""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner

from feeds.cli import cli
from feeds.clock import rfc3339
from feeds.daemon import Daemon
from feeds.errors import PublishError
from feeds.status import gather
from feeds.statustext import render_text
from tests.conftest import BASE_CONFIG


@pytest.fixture
def shared_url(request, tmp_path):
    """One database both machines use: a SQLite file of its own, or a fresh PostgreSQL schema."""
    if request.param == "sqlite":
        (tmp_path / "db").mkdir()
        return f"sqlite:///{tmp_path / 'db' / 'feeds.db'}"
    return request.getfixturevalue("pg_url")


def _machine(tmp_path: Path, name: str, url: str, make_app_for):
    from feeds.config import load_settings

    home = tmp_path / name
    (home / "inbox").mkdir(parents=True)
    (home / "feeds.toml").write_text(BASE_CONFIG, encoding="utf-8")
    return make_app_for(load_settings(home / "feeds.toml", environ={"FEEDS_DATABASE_URL": url}))


BOTH = pytest.mark.parametrize(
    "shared_url", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)], indirect=True
)


@BOTH
def test_the_last_publish_and_its_failure_are_read_from_the_database(tmp_path, shared_url, make_app_for, clock):
    """`feeds status` on a second machine said `last publish never` while the first machine's daemon published
    every minute (it read the mtime of a file in this machine's state folder), and did not see the first
    machine's publish failing (a note in that machine's state folder too)."""
    from feeds.publish import run_publish

    a = _machine(tmp_path, "a", shared_url, make_app_for)
    b = _machine(tmp_path, "b", shared_url, make_app_for)
    a.store.migrate(clock())
    published_at = rfc3339(clock())
    run_publish(a)
    clock.advance(timedelta(minutes=3))
    assert gather(b).as_json()["last_publish"] == published_at
    assert "last publish    " + published_at + " (3 min ago)" in render_text(gather(b)).splitlines()

    out = a.settings.paths.out
    (out / "index.html").unlink()
    (out / "index.html").mkdir()  # a file publish must replace is a folder: the publish fails
    failed_at = rfc3339(clock())
    with pytest.raises(PublishError, match=r"index\.html"):
        run_publish(a)
    seen = gather(b)
    assert seen.publish_failure is not None and seen.publish_failure[0] == failed_at
    assert "index.html" in seen.publish_failure[1]
    assert seen.as_json()["last_publish"] == published_at, "a failed publish is not the last publish"

    clock.advance(timedelta(minutes=1))
    run_publish(b)  # the other machine publishes fine: the deployment's publish works again
    seen = gather(a)
    assert seen.publish_failure is None
    assert seen.as_json()["last_publish"] == rfc3339(clock())


def test_a_daemon_running_an_older_config_after_a_failed_reload_says_so(make_settings, clock):
    """A SIGHUP with a bad config left the daemon on its old one: the log and /healthz said so, but `feeds status`
    (the screen an operator checks after a reload, on any machine) showed the daemon as if all were well."""

    settings = make_settings()
    path = Path(settings.path)
    daemon = Daemon(path, settings, clock=clock, serve=False)
    try:
        started = rfc3339(clock())
        good = path.read_text(encoding="utf-8")
        path.write_text(good + '\n[daemon]\npublish_interval = "5 minutes please"\n', encoding="utf-8")
        clock.advance(timedelta(minutes=2))
        assert daemon.reload() is False
        report = gather(daemon.app)
        (worker,) = report.as_json()["workers"]
        assert worker["config"]["path"] == str(path) and worker["config"]["loaded_at"] == started
        assert "5 minutes please" in worker["config"]["reload_error"]
        lines = render_text(report).splitlines()
        (line,) = [x for x in lines if x.startswith("  config ")]
        assert line.startswith(
            f"  config        reload FAILED at {rfc3339(clock())}, still running the one loaded at {started}: "
        )
        assert "daemon.publish_interval" in line

        path.write_text(good, encoding="utf-8")
        clock.advance(timedelta(minutes=1))
        assert daemon.reload() is True
        report = gather(daemon.app)
        assert report.as_json()["workers"][0]["config"]["reload_error"] is None
        assert report.as_json()["workers"][0]["config"]["loaded_at"] == rfc3339(clock())
        assert not [x for x in render_text(report).splitlines() if x.startswith("  config ")]
    finally:
        daemon.app.close()


@pytest.mark.postgres
def test_status_on_an_empty_postgresql_schema_is_an_error_not_an_empty_office(make_settings, pg_url):
    """A second machine whose FEEDS_DATABASE_URL named an existing but empty schema (a typo, the staging one, the
    URL without its search_path: `public`): `feeds status` created every table there and reported an office with no
    release and `none has run yet`, exit 0, where on SQLite a read-only command refuses a database not there."""
    from click.testing import CliRunner

    from feeds.cli import cli

    settings = make_settings()
    done = CliRunner().invoke(cli, ["--config", str(settings.path), "status"], env={"FEEDS_DATABASE_URL": pg_url})
    assert done.exit_code == 2, done.output  # (`feeds status`: 2, it could not tell)
    assert "error: there is no database at postgresql+psycopg://" in done.output and "search_path" in done.output
    assert "check database.url in the config (or FEEDS_DATABASE_URL" in done.output
    engine = sa.create_engine(pg_url.replace("postgresql://", "postgresql+psycopg://", 1))
    try:
        with engine.connect() as conn:
            assert sa.inspect(conn).get_table_names() == [], "nothing was created there"
    finally:
        engine.dispose()


def test_a_job_under_way_is_shown_and_one_cut_short_by_a_killed_daemon_too(make_settings, make_app_for, clock):
    """A daemon killed (SIGKILL, its machine lost) in the middle of a publish showed as `gone (no heartbeat)` and
    nothing more: which job it left half done was in `--json` only; a living daemon's publish under way for
    minutes showed as `last ok`, the previous run's result, with nothing saying it was running."""
    app = make_app_for(make_settings())
    now = clock()
    started, before = rfc3339(now - timedelta(minutes=4)), rfc3339(now - timedelta(minutes=10))

    def jobs(running: str) -> dict[str, dict[str, object]]:
        done = {"runs": 3, "last_ok": True, "last_started": before, "last_finished": before, "next_run": None}
        return {"ingest": dict(done), running: {**done, "last_started": started}}

    app.store.save_worker_status(
        "host-a:1", started=now - timedelta(hours=1), now=now, status={"jobs": jobs("publish")}
    )
    app.store.save_worker_status(
        "host-b:2", started=now - timedelta(hours=1), now=now - timedelta(minutes=3), status={"jobs": jobs("watch")}
    )
    lines = render_text(gather(app)).splitlines()
    assert "  publish       next -  last ok; running since " + started in lines
    assert "  ingest        next -  last ok" in lines
    gone = lines.index("daemon host-b:2  gone (no heartbeat), heartbeat 2026-11-28T11:57:00Z, 0 feed leases")
    assert lines[gone + 1] == f"  it was running watch since {started}: cut short (killed, or its machine lost)"


@BOTH
def test_one_machines_failing_publish_is_not_hidden_by_anothers_success(tmp_path, shared_url, make_app_for, clock):
    """Each machine publishing its own out/ (README: "a local out/ on each machine"): machine A's out/ full, its
    daemon failing every publish, while B's publishes worked. Whichever published last decided the headline, so
    B's success every few minutes hid A's site going stale (A's own job line said FAILED, further down)."""
    from feeds.publish import run_publish

    a = _machine(tmp_path, "a", shared_url, make_app_for)
    b = _machine(tmp_path, "b", shared_url, make_app_for)
    a.store.migrate(clock())
    now = clock()
    failing_since = rfc3339(now - timedelta(minutes=5))
    last = rfc3339(now - timedelta(minutes=1))
    publish = {
        "runs": 6, "failures": 5, "last_ok": False, "last_error": "out/atom.xml: No space left on device",
        "last_started": last, "last_finished": last, "failing_since": failing_since, "next_run": None,
    }  # fmt: skip
    a.store.save_worker_status(
        "host-a:1", started=now - timedelta(hours=1), now=now, status={"jobs": {"publish": publish}}
    )
    run_publish(b)  # after A's latest failure
    seen = gather(b)
    assert seen.publish_failure == (failing_since, "on host-a:1: out/atom.xml: No space left on device")
    assert "; FAILED since " + failing_since + ": on host-a:1: out/atom.xml" in render_text(seen)


def test_a_round_skipped_for_anothers_lock_does_not_end_a_run_of_failures(make_settings, clock, caplog):
    """Daemon A's out/ full: its publish failed, then its next round was skipped (daemon B held the publish lock),
    and A logged `publish works again, after 1 failed runs`, /healthz and `feeds status` turned ok: nothing had
    been tried, and A's site was still stale."""
    from feeds.errors import PublishError

    settings = make_settings()
    daemon = Daemon(Path(settings.path), settings, clock=clock, serve=False)
    try:

        def full(app: object) -> str:
            raise PublishError("cannot write: No space left on device", path="out/atom.xml")

        daemon._run_job("publish", full)
        since = daemon.state.job("publish").failing_since
        clock.advance(timedelta(minutes=1))
        caplog.set_level("INFO", logger="feeds.daemon")
        daemon._run_job("publish", lambda app: "skipped: the publish lock is held (tried again shortly)")
        job = daemon.state.job("publish")
        assert job.last_ok is False and job.failing_since == since and "No space left" in str(job.last_error)
        assert "works again" not in caplog.text and "publish: skipped: the publish lock" in caplog.text
        (health,) = [j for j in daemon.health.jobs() if j.name == "publish"]
        assert (health.ok, health.runs, health.consecutive_failures) == (False, 1, 1), "/healthz: no run counted"

        clock.advance(timedelta(minutes=1))
        daemon._run_job("publish", lambda app: "3 files changed")
        assert daemon.state.job("publish").last_ok is True and "publish works again" in caplog.text
    finally:
        daemon.app.close()


def test_a_daemon_waiting_for_a_restart_to_apply_a_reloaded_key_says_so(make_settings, clock):
    """`web.port` (or `database.url`, `paths.out`) changed and SIGHUP: the daemon kept the running value and said
    so once in its log; on the other machines, and an hour later on this one, nothing said that a restart was due."""

    settings = make_settings()
    path = Path(settings.path)
    daemon = Daemon(path, settings, clock=clock, serve=False)
    try:
        good = path.read_text(encoding="utf-8")
        path.write_text(good.replace('out = "out"', 'out = "public"'), encoding="utf-8")
        assert daemon.reload() is True
        report = gather(daemon.app)
        assert report.as_json()["workers"][0]["config"]["restart_needed"] == ["paths.out"]
        assert "  config        restart needed to apply paths.out (the running value is kept until then)" in (
            render_text(report).splitlines()
        )
        path.write_text(good, encoding="utf-8")
        assert daemon.reload() is True
        assert gather(daemon.app).as_json()["workers"][0]["config"]["restart_needed"] == []
    finally:
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
