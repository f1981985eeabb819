"""A dropped file that kills the worker process reading it (a crash in a parsing library, a memory blow-up): found
by reading the suspects again alone in a worker of their own, never in the daemon's process, and rejected with
its `.error.txt`; every other file of the run is stored once. A file whose reading raises is rejected alone."""

from __future__ import annotations

import json
import os
from concurrent.futures import Future

import pytest

from feeds.ingest import parallel, run_ingest
from feeds.ingest.parallel import KILLED
from feeds.workers import POOL_KEY, isolate, worker_pool
from tests import killers

pytestmark = pytest.mark.skipif((os.cpu_count() or 1) < 2, reason="one CPU: feeds starts no worker processes")


def _drop(app, names):
    inbox = app.settings.source("inbox").path
    for name in names:
        (inbox / name).write_text(json.dumps({"title": f"Release {name}", "body": f"About {name}."}), encoding="utf-8")
    return inbox


def test_a_file_that_kills_its_worker_is_rejected_and_every_other_is_stored_once(app, monkeypatch):
    names = [f"r{n:02d}.json" for n in range(12)] + ["r03-killer.json", "r05-killer.json"]
    inbox = _drop(app, names)
    monkeypatch.setattr(parallel, "PARALLEL_MIN", 1)
    monkeypatch.setattr("feeds.ingest.BATCH", 2)
    # Every batch handed to the workers from the start (none read here before they answer, or while they are
    # busy), so that the killers, in the first batches, are always read there.
    ready: Future[bool] = Future()
    ready.set_result(True)
    monkeypatch.setattr(parallel, "_submit_ready", lambda pool: ready)
    monkeypatch.setattr(parallel, "_queued", lambda job: False)
    monkeypatch.setattr(parallel, "read_batch", killers.read_batch)

    report = run_ingest(app)

    rejected = {os.path.basename(o.origin): o.error for o in report.outcomes if o.status == "rejected"}
    assert set(rejected) == {"r03-killer.json", "r05-killer.json"}
    for name, error in rejected.items():
        assert error == f"{inbox / name}: {KILLED}: the worker process reading it alone died (exit code 70); not read"
        note = (inbox / "rejected" / f"{name}.error.txt").read_text(encoding="utf-8")
        assert KILLED in note
    stored = sorted(r.title for r in app.store.releases())
    assert stored == sorted(f"Release {n}" for n in names if "killer" not in n)  # each once
    assert sorted(p.name for p in (inbox / "processed").iterdir()) == sorted(n for n in names if "killer" not in n)
    assert [p.name for p in inbox.iterdir() if p.is_file()] == []

    broken = app.extras[POOL_KEY]
    pool = worker_pool(app)  # the next run's pool: a new one
    assert pool is not None and pool is not broken and pool.submit(os.getpid).result(timeout=60) > 0
    assert run_ingest(app).outcomes == ()


def test_a_file_whose_reading_raises_is_rejected_alone_and_the_run_goes_on(app, monkeypatch):
    inbox = _drop(app, ["a.json", "b.json", "c.json"])
    real = parallel.unit_from_file

    def deep(path, **kw):
        if path.name == "b.json":
            raise RecursionError("maximum recursion depth exceeded")
        return real(path, **kw)

    monkeypatch.setattr(parallel, "unit_from_file", deep)
    report = run_ingest(app)
    statuses = {os.path.basename(o.origin): (o.status, o.error) for o in report.outcomes}
    assert statuses["b.json"] == (
        "rejected",
        f"{inbox / 'b.json'}: unexpected error while reading this file: RecursionError: maximum recursion depth "
        "exceeded",
    )
    assert {statuses["a.json"][0], statuses["c.json"][0]} == {"created"}
    assert (inbox / "rejected" / "b.json.error.txt").is_file()


def test_the_daemon_reads_a_single_file_in_a_worker_so_a_killer_is_rejected(app, monkeypatch):
    """The daemon's App (`isolate`d) reads every file in a worker, however few, and none here while the workers
    start: read here, the killer would end the daemon (and again at every scan after a restart)."""
    inbox = _drop(app, ["r01-killer.json"])
    monkeypatch.setattr(parallel, "read_batch", killers.read_batch)
    isolate(app)

    (outcome,) = run_ingest(app).outcomes

    assert outcome.status == "rejected" and KILLED in (outcome.error or "")
    assert (inbox / "rejected" / "r01-killer.json.error.txt").is_file()
    _drop(app, ["r02.json"])
    assert [o.status for o in run_ingest(app).outcomes] == ["created"]


def test_the_daemon_reads_no_batch_here_while_its_workers_start_or_are_busy(app, monkeypatch):
    """A one-shot command reads the first batches itself while its workers start (and one while they are all busy);
    the daemon does not, since the killer may be among them."""
    names = ["r00-killer.json"] + [f"r{n:02d}.json" for n in range(1, 12)] + ["r12-killer.json"]
    inbox = _drop(app, names)
    monkeypatch.setattr(parallel, "PARALLEL_MIN", 1)
    monkeypatch.setattr("feeds.ingest.BATCH", 2)
    monkeypatch.setattr(parallel, "read_batch", killers.read_batch)
    monkeypatch.setattr(parallel, "_queued", lambda job: True)  # every worker busy, always
    isolate(app)

    report = run_ingest(app)

    rejected = sorted(os.path.basename(o.origin) for o in report.outcomes if o.status == "rejected")
    assert rejected == ["r00-killer.json", "r12-killer.json"]
    assert len(app.store.releases()) == len(names) - 2
    assert [p.name for p in inbox.iterdir() if p.is_file()] == []
