"""Faults: the disk fills up, out/ turns read-only, or the process dies in the middle of writing a file.

Whatever file of the site the failure hits, the publish stops with a `PublishError` naming that file (the CLI
prints `error: <path>: …` and exits 1), every file already in out/ is either its old bytes or a complete new
version (the site stays valid), no temporary file is left behind, and the next publish with room again brings
out/ up to date. ENOSPC is simulated by patching the writer's `os` calls (no root tricks, no tmpfs); read-only
out/ uses chmod, which binds root only through `setpriv` without CAP_DAC_OVERRIDE (skipped loudly otherwise).
"""

from __future__ import annotations

import errno
import os
import shutil
import subprocess
import sys
import warnings
from datetime import timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner

from feeds.cli import cli
from feeds.errors import PublishError
from feeds.ingest import run_ingest
from feeds.publish import run_publish
from feeds.publish import writer as writer_module
from tests.chaos.conftest import record
from tests.chaos.deploy import release_json
from tests.chaos.outcheck import problems_in

ROOT = Path(__file__).resolve().parents[2]


def tree(out: Path) -> dict[str, bytes]:
    return {p.relative_to(out).as_posix(): p.read_bytes() for p in sorted(out.rglob("*")) if p.is_file()}


@pytest.fixture
def site(make_settings, make_app_for, clock):
    settings = make_settings()
    app = make_app_for(settings)
    inbox = settings.source("inbox").path
    for n in range(1, 31):
        (inbox / f"r{n}.json").write_bytes(release_json(n, topic=f"Topic {n % 4}"))
    run_ingest(app)
    run_publish(app)
    return app


def add_releases(app, clock, numbers) -> None:
    clock.advance(timedelta(minutes=1))
    inbox = app.settings.source("inbox").path
    for n in numbers:
        (inbox / f"r{n}.json").write_bytes(release_json(n, topic=f"Topic {n % 5}"))
    run_ingest(app)


class DiskFull:
    """Patch the writer so the `fail_at`-th file write fails with ENOSPC at the chosen step (the record's journal
    line, written before the files, counts as one)."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch, fail_at: int, step: str):
        self.calls = 0
        self.fail_at = fail_at
        self.hit: str | None = None
        real_fsync, real_replace = os.fsync, os.replace

        def full() -> OSError:
            return OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

        def fsync(fd: int) -> None:
            self.calls += 1
            if step == "fsync" and self.calls == self.fail_at:
                self.hit = "fsync"
                raise full()
            real_fsync(fd)

        def replace(src, dst) -> None:
            if step == "replace" and self.calls == self.fail_at:
                self.hit = str(dst)
                raise full()
            real_replace(src, dst)

        monkeypatch.setattr(writer_module.os, "fsync", fsync)
        monkeypatch.setattr(writer_module.os, "replace", replace)


@pytest.mark.parametrize("step", ["fsync", "replace"])
def test_a_full_disk_at_any_file_stops_cleanly_and_the_next_publish_catches_up(
    site, clock, monkeypatch, rng, chaos_rounds, step
) -> None:
    out = site.settings.paths.out
    tries = 0
    for rnd in range(2 * chaos_rounds):
        before = tree(out)
        add_releases(site, clock, [100 + 10 * rnd + i for i in range(3)])
        with monkeypatch.context() as m:
            disk = DiskFull(m, fail_at=rng.randint(1, 12), step=step)
            with pytest.raises(PublishError) as err:
                run_publish(site)
        tries += 1
        # (the first fsync of a publish is the record's journal line naming the files it is about to write: a failure
        # there names the journal, and nothing in out/ is touched)
        state = str(site.settings.paths.state)
        assert "No space left on device" in str(err.value) and err.value.path.startswith((str(out), state))
        after = tree(out)
        for path, data in after.items():  # each file is its old bytes or a complete new version
            assert data == before.get(path) or not problems_in_one(out, path), path
        assert problems_in(out) == [], "a failed publish left out/ invalid or a temporary file behind"
        assert set(before) <= set(after), "a failed publish removed files"
        assert disk.calls >= 1
        report = run_publish(site)  # room again
        assert report.written and problems_in(out) == []
        assert run_publish(site).changed == []
    record(f"disk full ({step}): failed publishes survived", tries)


def problems_in_one(out: Path, rel: str) -> list[str]:
    return [p for p in problems_in(out) if p.startswith(rel + ":")]


@pytest.mark.parametrize("fail_at", [1, 2])
def test_the_cli_says_which_file_and_exits_1_when_the_disk_is_full(site, clock, monkeypatch, fail_at) -> None:
    """The first fsync of a publish is the record's journal line (`feeds.publish.record`), the second a file of
    out/: either is named."""
    add_releases(site, clock, [500])
    before = tree(site.settings.paths.out)
    DiskFull(monkeypatch, fail_at=fail_at, step="fsync")
    result = CliRunner().invoke(cli, ["--config", str(site.settings.path), "publish"])
    assert result.exit_code == 1, result.output
    named = site.settings.paths.state / "publish-state.journal" if fail_at == 1 else f"{site.settings.paths.out}/"
    assert f"error: {named}" in result.output, result.output
    assert "No space left on device" in result.output
    assert tree(site.settings.paths.out) == before


def _setpriv_or_skip() -> list[str]:
    setpriv = shutil.which("setpriv")
    drop = "--bounding-set=-dac_override,-dac_read_search"
    probe = subprocess.run([setpriv, drop, "true"], capture_output=True, check=False) if setpriv else None
    if setpriv is None or probe is None or probe.returncode != 0:
        message = "chmod 0o555 does not bind root and setpriv cannot drop CAP_DAC_OVERRIDE: read-only test SKIPPED"
        warnings.warn(message, stacklevel=2)
        pytest.skip(message)
    return [setpriv, drop]


def test_a_read_only_out_gives_a_clear_error_and_keeps_the_old_site(site, clock) -> None:
    out = site.settings.paths.out
    add_releases(site, clock, [600, 601])
    before = tree(out)
    folders = [out, *(p for p in out.rglob("*") if p.is_dir())]
    prefix: list[str] = []
    for f in folders:
        f.chmod(0o555)
    try:
        if os.access(out, os.W_OK):  # root: chmod binds only without CAP_DAC_OVERRIDE
            prefix = _setpriv_or_skip()
        env = {**os.environ, "PYTHONPATH": str(ROOT)}
        cmd = [*prefix, sys.executable, "-m", "feeds", "--config", str(site.settings.path), "publish"]
        done = subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=60, check=False)
    finally:
        for f in folders:
            f.chmod(0o755)
    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stderr.startswith(f"error: {out}/") and "Permission denied" in done.stderr, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, "one clear line, no traceback"
    assert tree(out) == before
    assert run_publish(site).written  # writable again: the next publish catches up
    assert problems_in(out) == []


class Killed(BaseException):
    """Stands for SIGKILL: not an OSError, so no cleanup code of the writer runs."""


def test_a_write_interrupted_by_death_leaves_nothing_behind_after_the_next_publish(site, clock, monkeypatch) -> None:
    """SIGKILL between writing a temporary file and renaming it leaves `.<name>.<random>.tmp` in out/ (dot-files
    are never served, but a deploy that copies out/ would ship it, and nothing ever removes it)."""
    out = site.settings.paths.out
    add_releases(site, clock, [700])
    real_replace, real_unlink = os.replace, os.unlink

    def die(*args, **kw) -> None:
        raise Killed()

    monkeypatch.setattr(writer_module.os, "replace", die)
    monkeypatch.setattr(writer_module.os, "unlink", die)  # (a dead process cleans nothing up either)
    with pytest.raises(Killed):
        run_publish(site)
    monkeypatch.setattr(writer_module.os, "replace", real_replace)
    monkeypatch.setattr(writer_module.os, "unlink", real_unlink)
    leftovers = [p.name for p in out.rglob(".*")]
    assert leftovers, "the simulated death should have left a temporary file"
    monkeypatch.setattr(writer_module, "_swept", set())  # the next publish runs in a new process
    run_publish(site)
    assert problems_in(out) == []


def test_the_sweep_spares_live_writers_and_foreign_dot_files(site) -> None:
    out = site.settings.paths.out
    live = out / f".atom.xml.{os.getppid()}.abcd1234.tmp"  # a living process's write in progress
    dead = out / "topics" / ".atom.xml.999999999.abcd1234.tmp"  # no such process
    old_style = out / ".rss.xml.k2j4h6g8.tmp"  # written before temporary names carried the pid
    well_known = out / ".well-known" / "security.txt"
    well_known.parent.mkdir()
    for p in (live, dead, old_style, well_known):
        p.write_bytes(b"partial")
    writer_module._swept.discard(out)  # as in a new process
    run_publish(site)
    assert live.exists() and well_known.exists()
    assert not dead.exists() and not old_style.exists()
    live.unlink()
    well_known.unlink()
    well_known.parent.rmdir()
