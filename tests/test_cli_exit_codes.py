"""The `feeds` command as a script, cron or CI runs it: what its exit status says (README "Exit status": 0 done,
1 the work or the config failed, 2 a command line it cannot use, 141 the reader went away, 143 SIGTERM), a reader
that goes away (`| head -1`) met alike by every command, and stdout holding nothing but the result, JSON with
`--json`, while errors and warnings go to stderr."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.cli_watch_helpers import run
from tests.conftest import ROOT


def _feeds(config: Path, *args: str, stdout: int | None = None, env: dict[str, str] | None = None):
    return subprocess.run(
        [sys.executable, "-m", "feeds", "--config", str(config), *args],
        stdout=subprocess.PIPE if stdout is None else stdout,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT), **(env or {})},
        timeout=120,
    )


def _into_a_gone_reader(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """The command with its stdout a pipe whose reader has already gone (what `| head -1` leaves once it has its
    line): every write fails with EPIPE, whatever the output's size, so the test does not race the reader."""
    read_end, write_end = os.pipe()
    os.close(read_end)
    try:
        return _feeds(config, *args, stdout=write_end)
    finally:
        os.close(write_end)


@pytest.fixture
def office(config: Path) -> Path:
    """A config with two releases and a keyword rule stored."""
    inbox = config.parent / "inbox"
    for n in (1, 2):
        (inbox / f"r{n}.txt").write_text(f"Ferry timetable {n}\n\nThe ferry to Ukraine runs again.\n", encoding="utf-8")
    assert run(config, "-q", "ingest").exit_code == 0
    assert run(config, "-q", "keywords", "add", "ferry").exit_code == 0
    return config


# --- 1. a reader that goes away ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ["releases", "list"],
        ["releases", "list", "--json"],
        ["-q", "releases", "list"],
        ["keywords", "list"],
        ["check-config", "--json"],
        ["status"],
        ["--help"],
    ],
)
def test_a_reader_that_goes_away_ends_every_command_quietly_with_141_as_a_unix_tool_killed_by_sigpipe(office, args):
    """`feeds releases list | head -1` exited 1, the status of a failed command (a rejected file, a config that
    does not load), so a script could not tell `head` having its line from `feeds` failing. Now 141, what a shell
    reports of `seq 100000 | head -1` (128 + SIGPIPE), the same for text, `--json` and `--help`, nothing on stderr
    (no traceback, no "Exception ignored" at exit)."""
    done = _into_a_gone_reader(office, *args)
    assert (done.returncode, done.stderr) == (141, ""), args


def test_a_reader_gone_from_a_real_head_under_pipefail_is_141(office):
    many = office.parent / "inbox"
    for n in range(3, 400):
        (many / f"r{n}.txt").write_text(f"Ferry timetable {n}\n\nThe ferry runs.\n", encoding="utf-8")
    assert run(office, "-q", "ingest").exit_code == 0
    feeds = f"{sys.executable} -m feeds --config {office}"
    done = subprocess.run(
        ["bash", "-c", f"set -o pipefail; {feeds} releases list | head -1 >/dev/null; echo ${{PIPESTATUS[0]}}"],
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        timeout=120,
    )
    assert done.stdout.strip() in {"0", "141"} and done.stderr == ""  # (0 only if it wrote all before head left)
