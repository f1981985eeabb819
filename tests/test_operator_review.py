"""Operator review: what `feeds status` says is true for the deployment, whichever machine sharing the database asks.

Two "machines" here are two configs with their own state and out/ folders, sharing one database (a SQLite file, and
a PostgreSQL schema when present), as the README's "Running on several machines" describes.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest

from feeds.clock import rfc3339
from feeds.errors import PublishError
from feeds.status import gather, render_text
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
