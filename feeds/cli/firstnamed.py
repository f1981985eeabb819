"""Naming what an import added (`watch import`, `keywords import`): a first import of a list of 3,000 would scroll
the rest of its report (updates, skips, refusals) out of sight, so on a person's terminal the first `NAMED` are
named and the rest counted; `-v` names them all, and a pipe or a file gets every line (a script reads them all).
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

import click

T = TypeVar("T")

NAMED = 20
"""The most named one by one where more are only counted (`watch import` also names at most this many feeds
watched already: a file imported again would otherwise print thousands of lines around the few that matter)."""


def on_terminal() -> bool:
    """Whether the report goes to a person's terminal (not a pipe or a file, which get every line)."""
    return sys.stdout.isatty()


def every_option(noun: str) -> Callable[[Any], Any]:
    """The `-v/--verbose` flag (`every`) of a command that names what it added."""
    return click.option(
        "-v",
        "--verbose",
        "every",
        is_flag=True,
        help=f"Name every {noun} added (on a terminal, past {NAMED} only the first {NAMED} are named, "
        "the rest counted).",
    )


def named_all(every: bool, verbosity: int) -> bool:
    """Whether every one added is named: asked for (`-v` on the command or before it), or not on a terminal."""
    return every or verbosity > 0 or not on_terminal()


def first_named(added: Sequence[T], *, every: bool) -> tuple[Sequence[T], int]:
    """The ones to name, and how many more are only counted (`… and 2,980 more added`)."""
    if every or len(added) <= NAMED:
        return added, 0
    return added[:NAMED], len(added) - NAMED
