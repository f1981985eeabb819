"""The composition root's long-lived helpers: the release cache a daemon publishes from."""

from __future__ import annotations

import dataclasses
import json
import os
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from feeds.clock import FixedClock
from feeds.ingest import run_ingest
from feeds.publish import run_publish
from tests.localhttp import send, threaded_server


def _drop(inbox: Path, key: str, title: str, published: str) -> None:
    body = f"The office said today that {title.lower()}. Details follow in due course."
    release = {"title": title, "body": body, "published": published, "source_key": key}
    (inbox / f"{key}.json").write_text(json.dumps(release), encoding="utf-8")


@pytest.mark.parametrize("db", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def test_a_release_stored_after_the_clock_stepped_back_is_published(db, request, make_settings, make_app_for) -> None:
    """A long-running process (the daemon) keeps its releases in memory and reads only those stored since the
    latest it saw. A release stored while the clock ran a year ahead (a bad RTC at boot, a mistyped `date -s`)
    must not make it blind to every release stored once the clock is put right, until it restarts."""
    database_url = request.getfixturevalue("pg_url") if db == "postgres" else None
    settings = make_settings(database_url=database_url)
    clock = FixedClock(datetime(2027, 11, 29, 12, tzinfo=UTC))  # a year ahead
    app = make_app_for(settings, clock=clock)
    inbox = settings.source("inbox").path
    _drop(inbox, "first", "Fisheries talks open", "2026-11-28T09:00:00Z")
    assert [o.status for o in run_ingest(app).outcomes] == ["created"]
    run_publish(app)

    clock.set(datetime(2026, 11, 29, 12, tzinfo=UTC))  # the clock is stepped back to the right time
    _drop(inbox, "second", "Mackerel quota agreed", "2026-11-29T09:00:00Z")
    assert [o.status for o in run_ingest(app).outcomes] == ["created"]
    report = run_publish(app)

    atom = (settings.paths.out / "atom.xml").read_text(encoding="utf-8")
    assert "Mackerel quota agreed" in atom
    assert "Fisheries talks open" in atom
    assert report.written
    clock.advance(timedelta(minutes=1))
    assert "Mackerel quota agreed" in [r.title for r in app.releases.current(app.store, clock())]


def test_http_clients_replaced_by_reloads_do_not_keep_their_connections_open(make_settings, make_app_for) -> None:
    """An operator's review: every SIGHUP that changed `[http]` kept the replaced client, with the keep-alive
    connection it held to each watched host, until the daemon stopped: 100 such reloads against one keep-alive
    server held 100 more sockets (the limit of 1,024 is near after a few reloads with hundreds of hosts)."""
    feed = b"<rss version='2.0'><channel><title>t</title></channel></rss>"
    with threaded_server(lambda handler: send(handler, feed), keep_alive=True) as base:
        settings = make_settings('\n[http]\nallow = ["127.0.0.1"]\n')
        app = make_app_for(settings)
        url = f"{base}/feed.xml"

        def open_fds() -> int:
            return len(os.listdir("/proc/self/fd"))

        app.http.get(url)
        before = open_fds()
        for i in range(50):  # a reload changing [http] (`Daemon.reload` sets `app.settings`), then a fetch
            http = dataclasses.replace(settings.http, allow=("127.0.0.1", f"10.0.0.{i}"))
            app.settings = dataclasses.replace(settings, http=http)
            assert type(app.http.get(url)).__name__ == "Fetched"
        assert open_fds() - before < 10  # (each open connection is two of this process's: client and server)
