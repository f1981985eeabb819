"""feeds.workers: a new setup (the rules, or the releases watched for, changed) in a daemon that runs for months.

The daemon has threads, so its workers start from a forkserver: a setup change starts a new pool, whose workers
must not each import feeds and its libraries afresh (seconds of a busy CPU, at every release entering or leaving
the window), nor may the job wait for the old pool's workers to end. What a setup change must keep: the answers
use the new setup, the old pool's work is still done, and a worker that dies is still its task's failure."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from feeds import workers
from feeds.model import WatchedFeed
from feeds.watch.matching import MatcherSpec
from feeds.watch.parsejobs import parse_job, parse_pool, parse_setup
from feeds.watch.related import RelatedSettings
from feeds.workers import POOL_KEY, WorkerDied, answer, submit, worker_pool
from tests import killers
from tests.test_workers import last_json_line

pytestmark = pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one CPU: feeds starts no worker processes")

_STAGE = textwrap.dedent(
    """
    import os, sys

    with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "imported.txt"), "a") as log:
        log.write(f"{os.getpid()}\\n")

    KEY = None

    def install(key):
        global KEY
        KEY = key

    def which():
        return os.getpid(), KEY

    def imported(name):
        return name in sys.modules
    """
)
"""A stage's worker module: each process that imports it appends its pid to `imported.txt` beside it."""

_SETUP_CHANGES = textwrap.dedent(
    """
    import json, os, sys, threading
    sys.path.insert(0, sys.argv[2])
    os.environ["PYTHONPATH"] = os.pathsep.join((sys.argv[2], os.environ.get("PYTHONPATH", "")))  # (the forkserver's)
    from feeds import workers
    from feeds.app import make_app
    from feeds.config import load_settings

    workers.preload(["stage"])
    import stage

    stop = threading.Event()
    threading.Thread(target=stop.wait).start()  # (a daemon has threads: its workers come from a forkserver)
    app = make_app(load_settings(sys.argv[1], environ={}))
    workers.isolate(app)
    answers = []
    for key in ("rules a", "rules b", "rules a and c"):
        setup = (stage.install, (key,))
        pool = workers.worker_pool(app, setup)
        jobs = [workers.submit(pool, setup, stage.which) for _ in range(6)]
        answers.append([[key, *workers.answer(app, job)] for job in jobs])
    app.close()
    stop.set()
    print(json.dumps({"me": os.getpid(), "answers": answers}))
    """
)


def test_a_setup_change_starts_workers_that_import_nothing_afresh(make_settings, tmp_path):
    """Three setups, three pools: the stage's module is imported once, in the forkserver, not in every worker
    of every pool; and each pool's workers answer with their own setup."""
    settings = make_settings()
    folder = tmp_path / "stage"
    folder.mkdir()
    (folder / "stage.py").write_text(_STAGE, encoding="utf-8")
    said = last_json_line(_SETUP_CHANGES, settings.path, timeout=300, args=(str(folder),))
    answered = [answer for pool in said["answers"] for answer in pool]
    assert all(key == installed for key, _, installed in answered), answered
    worker_pids = {pid for _, pid, _ in answered}
    importers = [int(pid) for pid in (folder / "imported.txt").read_text(encoding="ascii").split()]
    others = [pid for pid in importers if pid != said["me"]]
    assert len(others) == 1, f"imported by {len(others)} processes besides this one: {others}"
    assert others[0] not in worker_pids  # the forkserver, which the workers are forked from
    assert len(worker_pids) >= 3  # (a new pool at each setup: not the same processes)


_DAEMON_WORKERS = textwrap.dedent(
    """
    import json, sys, threading


    def main():
        sys.path.insert(0, sys.argv[2])
        from feeds.config import load_settings
        from feeds.daemon.lifecycle import Daemon
        from feeds.workers import answer, submit, worker_pool

        daemon = Daemon(sys.argv[1], load_settings(sys.argv[1], environ={}), serve=False)
        stop = threading.Event()
        threading.Thread(target=stop.wait).start()
        import stage
        pool = worker_pool(daemon.app)  # (no setup: nothing the worker unpickles imports the parser)
        names = ("feeds.watch.parsejobs", "feeds.ingest.parallel", "lxml.etree", "feeds.cli")
        print(json.dumps({name: answer(daemon.app, submit(pool, None, stage.imported, name)) for name in names}))
        daemon.app.close()
        stop.set()


    if __name__ == "__main__":
        main()
    """
)


@pytest.mark.parametrize("started", ["-c", "by its path"])
def test_the_daemons_workers_start_with_the_parser_and_the_ingest_imported(make_settings, tmp_path, started):
    """What the daemon's workers run is imported once, in its forkserver: a worker that was handed nothing of it
    has it already. `feeds.cli` only when the daemon was started by its path, as the `feeds` console script is
    (multiprocessing runs that again in each worker, and it imports `feeds.cli`): else no worker needs it."""
    settings = make_settings()
    folder = tmp_path / "stage"
    folder.mkdir()
    (folder / "stage.py").write_text(_STAGE, encoding="utf-8")
    if started == "-c":
        said = last_json_line(_DAEMON_WORKERS, settings.path, timeout=300, args=(str(folder),))
    else:
        program = tmp_path / "daemon.py"
        program.write_text(_DAEMON_WORKERS, encoding="utf-8")
        done = subprocess.run(
            [sys.executable, str(program), str(settings.path), str(folder)],
            capture_output=True,
            text=True,
            timeout=300,
            check=False,
            cwd=Path(__file__).resolve().parent.parent,
        )
        assert done.returncode == 0, done.stderr
        said = json.loads(done.stdout.strip().splitlines()[-1])
    assert said == {
        "feeds.watch.parsejobs": True,
        "feeds.ingest.parallel": True,
        "lxml.etree": True,
        "feeds.cli": started == "by its path",
    }


def _note(value: str) -> None:
    """A worker setup: what it was set up with, for `_noted`."""
    os.environ["FEEDS_TEST_SETUP"] = value


def _noted() -> tuple[int, str]:
    return os.getpid(), os.environ.get("FEEDS_TEST_SETUP", "")


@pytest.fixture
def threaded():
    """Another thread running, as in the daemon: workers come from a forkserver."""
    stop = threading.Event()
    other = threading.Thread(target=stop.wait, name="a daemon's scheduler, say")
    other.start()
    yield
    stop.set()
    other.join()


FEED = WatchedFeed(
    id=7, url="https://news.example.com/feed.xml", title="News", tags=(), interval=3600.0, enabled=True, origin="cli"
)
BODY = b"""<?xml version="1.0"?><rss version="2.0"><channel><title>News</title><link>https://news.example.com/</link>
<item><title>Kenya and Chile sign a fisheries agreement</title><link>https://news.example.com/1</link>
<guid>n1</guid></item></channel></rss>"""


def _spec(*rules: str) -> MatcherSpec:
    return MatcherSpec(tuple((rule, rule) for rule in rules), (), RelatedSettings(), frozenset())


def _matched(app, spec: MatcherSpec) -> list[str]:
    pool = parse_pool(app, spec)
    assert pool is not None
    parsed = answer(app, submit(pool, parse_setup(spec), parse_job, BODY, FEED.url, "application/rss+xml", None, FEED))
    assert not isinstance(parsed, str) and parsed.matches is not None
    return [m.subject for found in parsed.matches for m in found or ()]


def test_after_a_setup_change_bodies_are_matched_with_the_new_rules(make_settings, make_app_for, threaded):
    app = make_app_for(make_settings())
    workers.isolate(app)
    assert _matched(app, _spec("kenya")) == ["kenya"]
    first = app.extras[POOL_KEY]
    assert _matched(app, _spec("chile")) == ["chile"]
    assert app.extras[POOL_KEY] is not first
    assert _matched(app, _spec("chile", "kenya")) == ["chile", "kenya"]


def test_a_setup_change_does_not_wait_for_the_old_pools_work_which_is_still_done(
    make_settings, make_app_for, threaded, tmp_path
):
    """The ingest shares the pool: a file it handed in (here, a read that waits on a pipe) is still read by the
    old pool's worker, while the watch's job goes on with the new pool at once."""
    app = make_app_for(make_settings())
    old = worker_pool(app, (_note, ("old rules",)))
    assert old is not None
    gate = tmp_path / "gate"
    os.mkfifo(gate)
    waiting = old.submit(Path.read_bytes, gate)  # (blocks until something writes to the pipe)
    new: list[object] = []
    returned = threading.Event()

    def change() -> None:
        new.append(worker_pool(app, (_note, ("new rules",))))
        returned.set()

    changing = threading.Thread(target=change)
    changing.start()
    try:
        assert returned.wait(60), "the setup change waited for the old pool's work"
        assert not waiting.done()
        pool = new[0]
        assert pool is not old and isinstance(pool, type(old))
        assert pool.submit(_noted).result(timeout=60)[1] == "new rules"
    finally:
        gate.write_bytes(b"read at last")  # (opens the pipe once the old worker reads it)
        changing.join()
    assert waiting.result(timeout=60) == b"read at last"


def test_a_task_that_kills_its_worker_after_a_setup_change_is_its_failure_alone(make_settings, make_app_for, threaded):
    app = make_app_for(make_settings())
    before = (_note, ("old rules",))
    assert answer(app, submit(worker_pool(app, before), before, _noted))[1] == "old rules"
    after = (_note, ("new rules",))
    pool = worker_pool(app, after)
    killer, other = submit(pool, after, killers.killed), submit(pool, after, _noted)
    with pytest.raises(WorkerDied, match="killed by SIGKILL"):
        answer(app, killer)
    pid, setup = answer(app, other)
    assert setup == "new rules" and pid != os.getpid()
