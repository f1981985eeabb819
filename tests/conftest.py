"""Shared fixtures: the read-only corpus in ../shared (skipped loudly when absent), clocks, temp dirs."""

from __future__ import annotations

import logging
import os
import re
import warnings
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from feeds.clock import FixedClock

# Property tests are checked for what they find, never for how fast an example runs: Hypothesis's default 200 ms
# deadline per example failed a tokeniser test now and then while other test processes shared the two CPUs.
settings.register_profile("feeds", deadline=None)
settings.load_profile("feeds")

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("FEEDS_SHARED", ROOT.parent / "shared"))
CORPUS = SHARED / "corpus"


@pytest.fixture(autouse=True)
def _root_logger_as_it_was():
    """A command run in this process (CliRunner) sets the root logger's level as its own process would (`-q`:
    CRITICAL): put it back, so that a later test's caplog still sees the ERROR records it asserts on (a test of
    alert emails failed whenever the store copy's `-q` commands ran before it)."""
    root = logging.getLogger()
    level = root.level
    yield
    root.setLevel(level)


def _corpus_dir(name: str) -> Path:
    path = CORPUS / name
    if not path.is_dir():
        message = f"corpus folder {path} is absent: tests that read ../shared/corpus/{name} are SKIPPED"
        warnings.warn(message, stacklevel=2)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def corpus_releases() -> Path:
    """../shared/corpus/releases, read in place (never copied)."""
    return _corpus_dir("releases")


@pytest.fixture(scope="session")
def corpus_feeds() -> Path:
    """../shared/corpus/feeds, read in place (never copied)."""
    return _corpus_dir("feeds")


@pytest.fixture(scope="session")
def corpus_conformance() -> Path:
    """../shared/corpus/feedparser-conformance, read in place."""
    return _corpus_dir("feedparser-conformance")


@pytest.fixture
def now() -> datetime:
    return datetime(2026, 11, 28, 12, 0, 0, tzinfo=UTC)


@pytest.fixture
def clock(now: datetime, monkeypatch: pytest.MonkeyPatch) -> FixedClock:
    """The test's clock, which the commands a test runs in this process (`CliRunner`) read too: a command on the
    real clock beside an App on this one broke a test the day the real date passed the simulated one."""
    fixed = FixedClock(now)
    monkeypatch.setattr("feeds.app.utc_now", fixed)
    return fixed


# --- databases: SQLite always, PostgreSQL when the local server answers -----------------------------------------

PG_SERVER = os.environ.get("FEEDS_TEST_PG", "postgresql://root@127.0.0.1:5432/test")
"""The test PostgreSQL, and a database on it to connect to: each test process makes a database of its own there
(`pg_dsn`), so that two test runs at once (two CI runs, two developers, pytest-xdist's workers) never see each
other's sessions or locks."""
_pg_state: dict[str, str | None] = {}


def postgres_unavailable() -> str | None:
    """None when the test PostgreSQL answers, else the reason (checked once per session)."""
    if "reason" not in _pg_state:
        try:
            import psycopg

            with psycopg.connect(PG_SERVER, connect_timeout=3):
                _pg_state["reason"] = None
        except Exception as e:  # any failure to reach it means: skip, loudly
            _pg_state["reason"] = f"PostgreSQL at {PG_SERVER} is not available ({type(e).__name__}: {e})"
    return _pg_state["reason"]


def _skip_without_postgres() -> None:
    reason = postgres_unavailable()
    if reason:
        warnings.warn(f"SKIPPING PostgreSQL test: {reason}", stacklevel=3)
        pytest.skip(f"SKIPPED (no PostgreSQL): {reason}")


_TEST_DATABASE = re.compile(r"feeds_test_(\d+)_[0-9a-f]{8}")


def left_behind(names: list[str], alive: Callable[[int], bool]) -> list[str]:
    """The test databases among `names` whose test process is gone (killed before it could drop its own)."""
    return [n for n in names if (m := _TEST_DATABASE.fullmatch(n)) and not alive(int(m.group(1)))]


def _process_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # (PermissionError: it exists, as another user's)
        return True
    return True


def _drop_left_behind(conn: Any) -> None:
    """Drop the databases that killed test runs left on a server on this machine (the process ids are this
    machine's): only those nobody is connected to, and never with FORCE, so a run that is still alive loses nothing."""
    import sqlalchemy as sa

    host = sa.engine.make_url(PG_SERVER).host or "localhost"
    if host not in ("127.0.0.1", "localhost", "::1"):
        return
    names = [r[0] for r in conn.execute("SELECT datname FROM pg_database WHERE datname LIKE 'feeds\\_test\\_%'")]
    for name in left_behind(names, _process_alive):
        try:
            conn.execute(f'DROP DATABASE "{name}"')
        except Exception as e:  # in use after all, or already dropped by another run: leave it
            warnings.warn(f"could not drop the test database {name} a killed run left behind: {e}", stacklevel=2)


@pytest.fixture(scope="session")
def pg_dsn():
    """The URL of a PostgreSQL database of this test process's own, made on `PG_SERVER` and dropped at the end.

    A schema per test kept the tables apart, but not what is database-wide: `pg_stat_activity` (a lock timeout's
    note names the sessions in a long transaction, and named another run's), advisory locks (a migration's is one
    key per database: a test holding it held up every other run's migrations), `pg_terminate_backend` by program
    name. Without the right to create a database, the shared one is used, as before, with a warning."""
    _skip_without_postgres()
    import uuid

    import psycopg
    import sqlalchemy as sa

    name = f"feeds_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    try:
        with psycopg.connect(PG_SERVER, autocommit=True) as conn:
            _drop_left_behind(conn)
            conn.execute(f"CREATE DATABASE \"{name}\" TEMPLATE template0 ENCODING 'UTF8'")
    except psycopg.errors.InsufficientPrivilege as e:
        warnings.warn(f"PostgreSQL tests share {PG_SERVER}: cannot create a database of their own ({e})", stacklevel=2)
        yield PG_SERVER
        return
    yield sa.engine.make_url(PG_SERVER).set(database=name).render_as_string(hide_password=False)
    with psycopg.connect(PG_SERVER, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE "{name}" WITH (FORCE)')  # (a session a failed test left open ends with it)


@pytest.fixture
def pg_url(pg_dsn):
    """A PostgreSQL URL whose search_path is a fresh schema, dropped afterwards, in this process's own database
    (`pg_dsn`). Skips LOUDLY without a server."""
    import uuid

    import psycopg

    schema = f"t_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}"')
    yield f"{pg_dsn}?options=-csearch_path%3D{schema}"
    with psycopg.connect(pg_dsn, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA "{schema}" CASCADE')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def db_url(request, tmp_path):
    """Each store test runs on a real SQLite file and on a real PostgreSQL schema."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'state' / 'feeds.db'}"
    return request.getfixturevalue("pg_url")


@pytest.fixture
def store(db_url):
    """A migrated store on `db_url` (both databases), closed after the test."""
    from feeds.store import open_store

    s = open_store(db_url)
    s.migrate(datetime(2026, 11, 28, 12, 0, tzinfo=UTC))
    yield s
    s.close()


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    reason = _pg_state.get("reason")
    if reason:
        terminalreporter.write_sep("!", "PostgreSQL tests were SKIPPED", red=True, bold=True)
        terminalreporter.write_line(reason)


# --- a throw-away deployment: config file, inbox, out/, state/ in tmp_path ------------------------------------

SITE_CONFIG = """[site]
title = "Test Press Office"
base_url = "https://press.example.org/"
author = "Test Press Office"
email = "press@example.org"
language = "en-GB"
timezone = "Europe/London"
"""
"""The test site's `[site]` table, which every test deployment shares."""

BASE_CONFIG = f"""
{SITE_CONFIG}
[paths]
out = "out"
state = "state"

[topics]
detect = ["Russia", "North Korea", "Iran", "Syria", "Ukraine"]

[[sources]]
type = "folder"
name = "inbox"
path = "inbox"
"""


@pytest.fixture
def make_settings(tmp_path):
    """Write a config (BASE_CONFIG + extra TOML) into tmp_path and load it."""
    from feeds.config import load_settings

    def make(extra: str = "", *, database_url: str | None = None):
        (tmp_path / "inbox").mkdir(exist_ok=True)
        path = tmp_path / "feeds.toml"
        path.write_text(BASE_CONFIG + extra, encoding="utf-8")
        env = {"FEEDS_DATABASE_URL": database_url} if database_url else {}
        return load_settings(path, environ=env)

    return make


# The config of the watch, keywords and matches command tests (`tests/test_cli_watch.py`, `test_cli_keywords.py`,
# `test_cli_matches.py`): the base config, with the local feed server's addresses allowed. A test file's own
# `config` fixture (`test_cli.py`, `test_watch_opml_check.py`, `test_store_copy.py`) takes its place there.
@pytest.fixture
def config(tmp_path) -> Path:
    (tmp_path / "inbox").mkdir()
    path = tmp_path / "feeds.toml"
    path.write_text(BASE_CONFIG + '\n[http]\nallow = ["127.0.0.1", "localhost", "::1"]\n', encoding="utf-8")
    return path


@pytest.fixture
def make_app_for(clock):
    """Build an App from settings with the fixed clock; closed after the test."""
    from feeds.app import make_app

    apps = []

    def make(settings, **kw):
        app = make_app(settings, clock=kw.pop("clock", clock), **kw)
        apps.append(app)
        return app

    yield make
    for app in apps:
        app.close()


@pytest.fixture
def app(make_settings, make_app_for):
    """An App on the test site's default settings (a test file may define its own `app`)."""
    return make_app_for(make_settings())


@pytest.fixture
def inbox(app) -> Path:
    """The drop folder of `app`'s inbox source."""
    return app.settings.source("inbox").path


@pytest.fixture
def mailbox():
    """A real SMTP server on 127.0.0.1 keeping what it accepts (`tests.mailserver.Mailbox`: `port`, `received`)."""
    from tests.mailserver import mail_server

    with mail_server() as box:
        yield box
