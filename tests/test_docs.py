"""README stays true: every CLI command is documented, and the Quickstart's test command is what CI runs."""

from __future__ import annotations

import re
from pathlib import Path

import click

from feeds.cli import cli

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def command_paths(group: click.Group, prefix: str = "feeds") -> list[str]:
    paths = []
    for name, cmd in sorted(group.commands.items()):
        path = f"{prefix} {name}"
        if isinstance(cmd, click.Group):
            paths += command_paths(cmd, path)
        else:
            paths.append(path)
    return paths


def test_every_command_is_documented_in_the_readme():
    missing = [p for p in command_paths(cli) if f"`{p}" not in README]
    assert missing == [], f"document these commands in README.md: {missing}"


def quickstart_commands() -> list[str]:
    section = README.split("## Quickstart", 1)[1]
    block = re.search(r"```(?:sh|bash)?\n(.*?)```", section, re.S)
    assert block, "the Quickstart needs a fenced code block"
    return [line for line in block.group(1).splitlines() if line.strip()]


def test_quickstart_has_exactly_two_commands_run_first_then_tests():
    run, tests = quickstart_commands()
    assert "pip install" in run and "feeds" in run and "pytest" not in run
    assert tests.rstrip().endswith("pytest") and "[test]" in tests


def test_ci_runs_the_quickstart_test_command():
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    assert quickstart_commands()[1] in ci
