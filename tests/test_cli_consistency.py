"""What every list command does for a script under `-q`: the list and nothing else, so that
`feeds -q releases list | while read …` or `| wc -l` never reads a hint or a summary as a row. Without `-q` an
empty list says so (and what to do), as a report line."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from feeds.cli import cli
from tests.conftest import BASE_CONFIG


@pytest.fixture
def config(tmp_path: Path) -> Path:
    (tmp_path / "inbox").mkdir()
    path = tmp_path / "feeds.toml"
    path.write_text(BASE_CONFIG, encoding="utf-8")
    CliRunner().invoke(cli, ["--config", str(path), "db", "migrate"], catch_exceptions=False)
    return path


def run(config: Path, *args: str):
    return CliRunner().invoke(cli, ["--config", str(config), *args], catch_exceptions=False)


@pytest.mark.parametrize(
    "command",
    [
        ("releases", "list"),
        ("alerts", "log"),
        ("keywords", "list"),
        ("matches", "list"),
        ("watch", "list"),
    ],
)
def test_an_empty_list_prints_nothing_with_quiet(config, command):
    assert run(config, *command).exit_code == 0
    quiet = run(config, "-q", *command)
    assert (quiet.exit_code, quiet.stdout, quiet.stderr) == (0, "", "")


def test_shell_completion_as_the_readme_gives_it_completes_commands():
    """`_FEEDS_COMPLETE` (README "Commands"), also under `python -m feeds`: the program is named `feeds` there."""
    env = {**os.environ, "_FEEDS_COMPLETE": "bash_complete", "COMP_WORDS": "feeds rel", "COMP_CWORD": "1"}
    done = subprocess.run([sys.executable, "-m", "feeds"], capture_output=True, text=True, env=env, timeout=60)
    assert (done.returncode, done.stdout.split(), done.stderr) == (0, ["plain,releases"], "")
