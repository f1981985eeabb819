"""A real `feeds run` daemon meeting a watched feed, or a dropped file, that kills the process reading it (a crash
in a parsing library, a memory blow-up), in a round of a few feeds or an ingest of one file, as a running daemon
meets them: it reads them in a worker process, never in its own, so it lives on, and the culprit's failure is
recorded (`watch show`, `rejected/`) instead of the daemon dying at every restart.

The daemon runs as `tests.killers.feeds_main`: the `feeds` command whose readers end any process reading a feed URL
or a file name containing `killer`, the daemon's own included."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator

import pytest

from feeds.ingest.parallel import KILLED as FILE_KILLED
from feeds.watch.parsejobs import KILLED as FEED_KILLED
from tests.test_daemon import ROOT, Deployment, Running, deployed, drop, release_md, titles, wait_for

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="worker processes as Linux starts them")

KILLERS_MAIN = "from tests import killers; killers.feeds_main()"


class KillerDeployment(Deployment):
    program = ("-c", KILLERS_MAIN)

    def feeds(self, *args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-m", "feeds", "--config", str(self.config), *args]
        return subprocess.run(command, cwd=ROOT, env=self.env(), capture_output=True, text=True, timeout=60)


@pytest.fixture
def deployment(tmp_path) -> Iterator[KillerDeployment]:
    with deployed(KillerDeployment(tmp_path)) as d:
        yield d


def _rss(name: str) -> str:
    item = f"<item><guid>{name}-1</guid><title>Story of {name}</title><description>Text</description></item>"
    return f'<?xml version="1.0"?><rss version="2.0"><channel><title>{name}</title>{item}</channel></rss>'


def _alive(daemon: Running) -> None:
    if not daemon.alive():
        raise AssertionError(f"the daemon died (exit {daemon.proc.returncode}):\n{daemon.log.dump()}")


def test_a_feed_that_kills_its_reader_in_a_round_of_three_is_its_failure_and_the_daemon_lives_on(
    deployment, httpserver
):
    names = ["harbour", "killer", "quays"]
    for name in names:
        httpserver.expect_request(f"/{name}.xml").respond_with_data(_rss(name), content_type="application/rss+xml")
    deployment.write_config("".join(f'\n[[watch.feeds]]\nurl = "{httpserver.url_for(f"/{n}.xml")}"\n' for n in names))
    daemon = deployment.start()

    def shown() -> str | None:
        _alive(daemon)
        out = deployment.feeds("watch", "show", httpserver.url_for("/killer.xml")).stdout
        return out if FEED_KILLED in out else None

    out = wait_for(shown, "the killer feed's failure in `watch show`", timeout=60)
    assert "the worker process reading it alone died (exit code 70); it was not read" in out
    assert "failures:      1" in out

    def stored() -> bool:
        _alive(daemon)
        app = deployment.store()
        try:
            return {s.item.title for s in app.store.stored_items()} == {"Story of harbour", "Story of quays"}
        finally:
            app.close()

    wait_for(stored, "the two other feeds' items stored", timeout=30)
    _alive(daemon)
    assert daemon.terminate()[0] == 0


def test_a_single_dropped_file_that_kills_its_reader_is_rejected_and_the_daemon_lives_on(deployment):
    daemon = deployment.start()
    drop(deployment.inbox, "statement-killer.json", json.dumps({"title": "Killer", "body": "Never read here."}))
    note = deployment.inbox / "rejected" / "statement-killer.json.error.txt"

    def rejected() -> bool:
        _alive(daemon)
        return note.is_file()

    wait_for(rejected, "the killer file rejected", timeout=60)
    assert FILE_KILLED in note.read_text(encoding="utf-8")
    assert (deployment.inbox / "rejected" / "statement-killer.json").is_file()

    drop(deployment.inbox, "harbour.md", release_md("Harbour wall to be rebuilt"))

    def published() -> bool:
        _alive(daemon)
        return "Harbour wall to be rebuilt" in titles(deployment.out / "atom.xml")

    wait_for(published, "the next file published", timeout=30)
    assert sorted(os.listdir(deployment.inbox / "rejected")) == [
        "statement-killer.json",
        "statement-killer.json.error.txt",
    ]
    assert daemon.terminate()[0] == 0
