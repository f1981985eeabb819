"""Faults under a publish: a disk full at any write (ENOSPC, EIO at `os.write`), out/ on another file system than
temporary files would be (EXDEV), out/ deleted or replaced by a file while the daemon runs, a publish interrupted
by something other than an OSError (Ctrl-C). Every file in out/ is its old whole bytes or its new whole bytes,
no temporary file stays behind, the next publish completes, and the error names what to fix."""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from feeds.errors import PublishError
from feeds.ingest import run_ingest
from feeds.publish import run_publish
from feeds.publish import writer as writer_module
from tests.chaos.deploy import release_json


def tree(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


def temporaries(out: Path) -> list[str]:
    return [p.name for p in out.rglob("*.tmp")]


@pytest.fixture
def site(make_settings, make_app_for):
    app = make_app_for(make_settings())
    inbox = app.settings.source("inbox").path
    for n in range(1, 13):
        (inbox / f"r{n}.json").write_bytes(release_json(n, topic=f"Topic {n % 3}"))
    run_ingest(app)
    run_publish(app)
    return app


def add_release(app, clock, n: int) -> None:
    clock.advance(timedelta(minutes=1))
    (app.settings.source("inbox").path / f"r{n}.json").write_bytes(release_json(n, topic="Topic 1"))
    run_ingest(app)


@pytest.mark.parametrize("error", [errno.ENOSPC, errno.EIO])
def test_a_write_that_fails_mid_file_leaves_old_or_new_files_and_no_temporaries(site, clock, monkeypatch, error):
    out = site.settings.paths.out
    before = tree(out)
    stamps = {p.relative_to(out).as_posix(): p.stat().st_mtime_ns for p in out.rglob("*") if p.is_file()}
    add_release(site, clock, 40)
    real_fdopen, calls = os.fdopen, [0]

    class HalfWritten:
        """The temporary file of the third write: half its bytes go in, then the disk is full (or fails)."""

        def __init__(self, fh):
            self.fh = fh

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.fh.close()

        def write(self, data):
            self.fh.write(data[: len(data) // 2])
            self.fh.flush()
            raise OSError(error, os.strerror(error))

    def fdopen(fd, *args, **kw):
        calls[0] += 1
        fh = real_fdopen(fd, *args, **kw)
        return HalfWritten(fh) if calls[0] == 3 else fh

    monkeypatch.setattr(writer_module.os, "fdopen", fdopen)
    with pytest.raises(PublishError, match=os.strerror(error)):
        run_publish(site)
    monkeypatch.undo()
    assert calls[0] >= 3, "the fault was injected"
    assert temporaries(out) == []
    after = tree(out)
    run_publish(site)
    final = tree(out)
    for name, data in after.items():  # each file the old one or the new one, whole
        assert data in (before.get(name), final.get(name)), name
    assert temporaries(out) == []
    # Files whose bytes did not change were never rewritten: same ETag (from the bytes) and same Last-Modified.
    same = [n for n in before if final.get(n) == before[n]]
    assert same and all((out / n).stat().st_mtime_ns == stamps[n] for n in same)


def test_temporary_files_are_made_beside_their_target_so_the_rename_never_crosses_file_systems(
    site, clock, monkeypatch
):
    real = os.replace

    def replace(src, dst, **kw):
        if os.path.dirname(os.path.abspath(src)) != os.path.dirname(os.path.abspath(dst)):
            raise OSError(errno.EXDEV, os.strerror(errno.EXDEV))
        return real(src, dst, **kw)

    monkeypatch.setattr(writer_module.os, "replace", replace)
    add_release(site, clock, 41)
    assert run_publish(site).written


def test_out_deleted_while_running_is_made_again_whole_by_the_next_publish(site):
    out = site.settings.paths.out
    before = tree(out)
    shutil.rmtree(out)
    run_publish(site)
    assert tree(out) == before


def test_out_replaced_by_a_file_is_a_publish_error_naming_it(site):
    out = site.settings.paths.out
    shutil.rmtree(out)
    out.write_text("oops", encoding="utf-8")
    with pytest.raises(PublishError) as failed:
        run_publish(site)
    assert str(out) in str(failed.value) and "not a folder" in str(failed.value), str(failed.value)


def test_a_publish_interrupted_by_ctrl_c_leaves_no_temporary_file(site, clock, monkeypatch):
    out = site.settings.paths.out
    add_release(site, clock, 42)

    def fsync(fd):
        raise KeyboardInterrupt

    monkeypatch.setattr(writer_module.os, "fsync", fsync)
    with pytest.raises(KeyboardInterrupt):
        run_publish(site)
    assert temporaries(out) == []


LIMIT = 96 * 1024


def test_a_real_file_size_limit_mid_publish_fails_clearly_and_the_next_publish_completes(site, clock, tmp_path):
    """A real fault, not a patched call: `feeds publish` in a process whose files may not grow past `LIMIT`
    (RLIMIT_FSIZE, SIGXFSZ ignored, so a write past it fails with EFBIG, as a quota or a full disk would): room for
    SQLite's few pages and the small files, not for the feeds of long releases."""
    out = site.settings.paths.out
    clock.advance(timedelta(minutes=1))
    words = "The berth works go on through the winter at every quay of the harbour. " * 150  # (~10 KiB each)
    for n in range(50, 62):
        (site.settings.source("inbox").path / f"r{n}.json").write_bytes(release_json(n, extra_words=words))
    run_ingest(site)
    # What the publish writes to the database before any file (each release's place in the archives' order) is
    # written here, so that the limit falls on the published files: the rows of long releases would not fit in it.
    site.store.keep_went_public(clock())
    with site.store.engine.connect() as conn:  # (the WAL starts again from its beginning: SQLite's writes fit)
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    before = tree(out)
    script = (
        "import resource, signal, sys\n"
        f"LIMIT = {LIMIT}\n"
        "signal.signal(signal.SIGXFSZ, signal.SIG_IGN)\n"
        "resource.setrlimit(resource.RLIMIT_FSIZE, (LIMIT, LIMIT))\n"
        "from feeds.cli import main\n"
        "sys.argv = ['feeds', '--config', sys.argv[1], 'publish']\n"
        "main()\n"
    )
    config = tmp_path / "feeds.toml"
    done = subprocess.run([sys.executable, "-c", script, str(config)], capture_output=True, text=True, timeout=120)
    assert done.returncode == 1, done.stderr
    assert "File too large" in done.stderr and "Traceback" not in done.stderr, done.stderr
    assert str(out) in done.stderr
    assert temporaries(out) == []
    after = tree(out)
    run_publish(site)
    final = tree(out)
    assert final != before
    for name, data in after.items():
        assert data in (before.get(name), final.get(name)), name


def test_an_unreadable_publish_record_is_an_error_not_a_publish_that_forgets_its_stale_files(
    site, make_app_for, monkeypatch
):
    """The state folder's permissions changed (or its disk fails) under the daemon: the record of what the last
    publish wrote cannot be read. Publishing as though there were none overwrote it without the files it lists,
    which were then never removed when stale. (A process that published already keeps the record in memory while
    the file is as it left it: a new one, a restarted daemon or `feeds publish`, must read it.)"""
    site = make_app_for(site.settings)
    state = site.settings.paths.state / "publish-state.json"
    recorded = state.read_bytes()
    real = Path.read_text

    def read_text(self, *args, **kw):
        if self == state:
            raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), str(self))
        return real(self, *args, **kw)

    monkeypatch.setattr(Path, "read_text", read_text)
    with pytest.raises(PublishError, match="cannot read the record of the last publish: Permission denied") as failed:
        run_publish(site)
    assert str(state) in str(failed.value)
    assert state.read_bytes() == recorded
