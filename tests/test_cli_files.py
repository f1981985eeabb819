"""`feeds.cli.files.write_file`: a file a command writes where it is told (`-o FILE`) is whole or not there."""

from __future__ import annotations

import os
import stat

import pytest

from feeds.cli.files import write_file
from feeds.errors import FeedsError


@pytest.mark.parametrize(("umask", "mode"), [(0o022, 0o644), (0o077, 0o600), (0o002, 0o664)])
def test_a_written_file_has_the_mode_the_umask_gives_a_new_file(tmp_path, umask, mode):
    old = os.umask(umask)
    try:
        write_file(tmp_path / "report.csv", b"a,b\r\n")
    finally:
        os.umask(old)
    assert stat.S_IMODE((tmp_path / "report.csv").stat().st_mode) == mode


def test_a_file_there_is_replaced_whole_and_nothing_else_is_left(tmp_path):
    target = tmp_path / "report.csv"
    target.write_bytes(b"old")
    write_file(target, b"new")
    assert target.read_bytes() == b"new" and [p.name for p in tmp_path.iterdir()] == ["report.csv"]


def test_a_failed_write_keeps_the_old_file_and_leaves_no_temporary_one(tmp_path, monkeypatch):
    target = tmp_path / "report.csv"
    target.write_bytes(b"old")

    def full(fd: int) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    with pytest.raises(FeedsError, match=r"cannot write .*report.csv: No space left on device"):
        write_file(target, b"new")
    assert target.read_bytes() == b"old" and [p.name for p in tmp_path.iterdir()] == ["report.csv"]
