"""feeds.ingest.parallel: many files read in worker processes give exactly what reading them here gives."""

from __future__ import annotations

import json
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pytest

from feeds.ingest import parallel, run_ingest
from feeds.ingest.parallel import Batch, read_batch, units_in_batches
from feeds.workers import POOL_KEY, Job, worker_pool


def _fill(inbox: Path) -> list[Path]:
    """Nine files: good JSON and text releases, a list of two, a slug collision, and two bad ones."""
    files = {
        "a.json": json.dumps({"title": "Talks with Iran", "body": "The Minister met officials.\n\nMore talks."}),
        "b.txt": "Fisheries quota agreed\n\nCoastal towns welcome the **new** quota.\n",
        "c.json": json.dumps([{"title": "First", "body": "One."}, {"title": "Second", "body": "*Two*."}]),
        "d.json": json.dumps({"title": "Talks with Iran", "body": "A different release, same title.", "link": "https://x.example/d"}),
        "e.json": "{not json",
        "f.json": json.dumps({"body": "No title here."}),
        "g.md": "---\ntitle: Markdown release\ndate: 2026-03-01\n---\n\nSee [the annex](annex.pdf).\n",
        "h.json": json.dumps({"title": "Dated", "body": "Text.", "published": "2026-01-02T10:00:00Z"}),
        "i.json": json.dumps({"title": "Last one", "body": "North Korea and Russia."}),
    }  # fmt: skip
    for name, text in files.items():
        (inbox / name).write_text(text, encoding="utf-8")
    return sorted(inbox / name for name in files)


def _start_workers(app) -> None:
    pool = worker_pool(app)
    assert pool is not None
    assert pool.submit(parallel._ready).result() is True


@pytest.fixture
def two_apps(make_settings, make_app_for, tmp_path):
    """Two deployments of the same config, each with its own inbox and database."""
    from feeds.config import load_settings

    here = make_settings()
    (tmp_path / "there" / "inbox").mkdir(parents=True)
    (tmp_path / "there" / "feeds.toml").write_text(here.path.read_text(encoding="utf-8"), encoding="utf-8")
    there = load_settings(tmp_path / "there" / "feeds.toml", environ={})
    return make_app_for(here), make_app_for(there)


def test_workers_read_the_same_units_in_the_same_order(two_apps, monkeypatch):
    here, _ = two_apps
    files = _fill(here.settings.source("inbox").path)
    monkeypatch.setattr(parallel, "PARALLEL_MIN", 10_000)
    expected = list(units_in_batches(here, files, 2, source="inbox"))
    monkeypatch.setattr(parallel, "PARALLEL_MIN", 1)
    _start_workers(here)  # else this process may read these few batches itself while the workers start
    got = list(units_in_batches(here, files, 2, source="inbox"))
    assert POOL_KEY in here.extras  # the workers really ran
    assert got == expected
    assert [u.origin for _, units in got for u in units] == [str(f) for f in files]
    errors = [u.error for _, units in got for u in units if u.error]
    assert len(errors) == 2 and any("e.json" in e for e in errors) and any("f.json" in e for e in errors)


def test_ingest_with_workers_stores_and_moves_exactly_as_in_process(two_apps, monkeypatch):
    here, there = two_apps
    _fill(here.settings.source("inbox").path)
    _fill(there.settings.source("inbox").path)
    monkeypatch.setattr(parallel, "PARALLEL_MIN", 10_000)
    in_process = run_ingest(here)
    monkeypatch.setattr(parallel, "PARALLEL_MIN", 1)
    monkeypatch.setattr("feeds.ingest.BATCH", 3)  # several batches in flight at once
    _start_workers(there)
    with_workers = run_ingest(there)
    assert POOL_KEY in there.extras

    def comparable(report, base: Path) -> list[tuple[str, ...]]:
        def local(path: str | None) -> str:
            return (path or "").replace(str(base), "")

        return [
            (local(o.origin), o.status, o.release_id or "", o.slug or "", local(o.moved_to)) for o in report.outcomes
        ]

    assert comparable(with_workers, there.settings.source("inbox").path) == comparable(
        in_process, here.settings.source("inbox").path
    )
    assert with_workers.count("created") == 8 and with_workers.count("rejected") == 2
    assert [(r.id, r.slug, r.content_hash) for r in there.store.releases()] == [
        (r.id, r.slug, r.content_hash) for r in here.store.releases()
    ]
    inbox = there.settings.source("inbox").path
    assert sorted(p.name for p in (inbox / "rejected").iterdir()) == [
        "e.json",
        "e.json.error.txt",
        "f.json",
        "f.json.error.txt",
    ]
    assert run_ingest(there).outcomes == ()  # nothing left, nothing stored twice


def test_a_batch_whose_worker_died_is_read_again_alone_in_a_worker(two_apps, tmp_path):
    app, _ = two_apps
    files = _fill(app.settings.source("inbox").path)[:3]
    died: Future[list] = Future()
    died.set_exception(BrokenProcessPool("killed"))
    now = app.clock()
    batch = Batch(tuple((f, None) for f in files), "inbox", app.settings)
    assert parallel._result(app, Job(read_batch, (batch, now), None, died), batch, now) == read_batch(batch, now)
    assert parallel._result(app, Job(read_batch, (batch, now), None, None), batch, now) == read_batch(batch, now)
    assert parallel._result(app, None, batch, now) == read_batch(batch, now)


def test_a_few_files_never_start_workers(two_apps):
    app, _ = two_apps
    files = _fill(app.settings.source("inbox").path)
    assert len(list(units_in_batches(app, files, 4, source="inbox"))) == 3
    assert POOL_KEY not in app.extras


def test_batches_are_read_here_in_order_until_a_worker_has_started(two_apps, monkeypatch):
    app, _ = two_apps
    files = _fill(app.settings.source("inbox").path)
    monkeypatch.setattr(parallel, "PARALLEL_MIN", 1)
    never: Future[bool] = Future()  # a worker that never answers: every batch is read here, in order
    monkeypatch.setattr(parallel, "_submit_ready", lambda pool: never)
    got = list(units_in_batches(app, files, 2, source="inbox"))
    assert [u.origin for _, units in got for u in units] == [str(f) for f in files]
    assert [len(units) for _, units in got] == [2, 2, 2, 2, 1]


def _drop_with_pictures(inbox: Path) -> list[Path]:
    """Six Markdown releases: four with a photograph of their own, the last two with the office's logo."""
    from tests.test_ingest_pictures import png

    files = []
    for i in range(6):
        picture = f"photo{i}.png" if i < 4 else "logo.png"
        (inbox / picture).write_bytes(png(50, 50, shade=1 + i if i < 4 else 99))  # (each 131 or 132 bytes)
        text = f"---\ntitle: Release number {i}\n---\n\nThe office said {i} things.\n\n![A picture]({picture})\n"
        (inbox / f"r{i}.md").write_text(text, encoding="utf-8")
        files.append(inbox / f"r{i}.md")
    return files


@pytest.mark.parametrize("workers", [False, True])
def test_a_batch_is_cut_short_when_its_pictures_fill_it_and_the_rest_read_next(two_apps, monkeypatch, workers):
    here, _ = two_apps
    files = _drop_with_pictures(here.settings.source("inbox").path)
    monkeypatch.setattr(parallel, "PICTURE_BATCH_BYTES", 270)  # (two pictures fill a batch; three pass it)
    monkeypatch.setattr(parallel, "PARALLEL_MIN", 1 if workers else 10_000)
    if workers:
        _start_workers(here)
    got = list(units_in_batches(here, files, 5, source="inbox"))
    assert [[Path(u.origin).name for u in units] for _, units in got] == [
        ["r0.md", "r1.md", "r2.md"],  # (the third passes the bound: the batch ends there)
        ["r3.md", "r4.md"],  # (the rest of the first batch of five, on its own)
        ["r5.md"],
    ]
    assert not any(u.error for _, units in got for u in units)
    assert (POOL_KEY in here.extras) == workers


def test_a_picture_shown_by_many_releases_of_a_batch_is_held_once(two_apps):
    here, _ = two_apps
    files = _drop_with_pictures(here.settings.source("inbox").path)
    [(_, units)] = list(units_in_batches(here, files, 10, source="inbox"))
    first, second = (u.releases[0].pictures[0].data for u in units[4:])
    assert first is second, "the logo's bytes are held once, whichever release read them"


def test_a_drop_of_large_pictures_is_stored_in_several_transactions_and_all_moved(app_with_inbox, monkeypatch):
    app, inbox = app_with_inbox
    _drop_with_pictures(inbox)
    monkeypatch.setattr(parallel, "PICTURE_BATCH_BYTES", 1)
    report = run_ingest(app)
    assert report.count("created") == 6 and not any(o.warning for o in report.outcomes)
    assert sorted(p.name for p in inbox.iterdir()) == ["processed"]
    assert len(list((inbox / "processed").iterdir())) == 11


@pytest.fixture
def app_with_inbox(make_settings, make_app_for):
    app = make_app_for(make_settings())
    return app, app.settings.source("inbox").path
