"""Fixtures of the reliability and security suite: how hard to push (`--chaos-rounds`), a seed, and a record of
the figures measured (printed at the end of the run, and written as JSON for `bench/chaos_report.py`).

    pytest tests/chaos                                  the short version (also part of the normal suite)
    pytest tests/chaos --chaos-rounds 50                 more kill rounds and more random inputs
    FEEDS_CHAOS_ROUNDS=50 FEEDS_CHAOS_SEED=7 pytest tests/chaos
    FEEDS_CHAOS_RECORD=/tmp/chaos.json pytest tests/chaos    also write the figures there

`--chaos-rounds` is read when pytest loads this file at start-up (`pytest tests/chaos …`); run from the repository
root without a path, use the environment variable instead.
"""

from __future__ import annotations

import json
import os
import random
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

DEFAULT_ROUNDS = 3
"""Kill rounds in the short (CI) version; every other count in the suite scales from this."""

_FIGURES: dict[str, Any] = {}
_FIGURES_LOCK = threading.Lock()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("chaos", "reliability and security suite (tests/chaos)")
    group.addoption(
        "--chaos-rounds",
        type=int,
        default=None,
        help=f"daemon kill rounds and input scale (env FEEDS_CHAOS_ROUNDS; default {DEFAULT_ROUNDS})",
    )
    group.addoption("--chaos-seed", type=int, default=None, help="seed of every random choice (env FEEDS_CHAOS_SEED)")


def _option(config: pytest.Config, name: str) -> Any:
    try:
        return config.getoption(name)
    except (ValueError, AttributeError):  # this conftest was loaded after the command line was parsed
        return None


@pytest.fixture(scope="session")
def chaos_rounds(pytestconfig: pytest.Config) -> int:
    value = _option(pytestconfig, "chaos_rounds") or os.environ.get("FEEDS_CHAOS_ROUNDS") or DEFAULT_ROUNDS
    rounds = int(value)
    if rounds < 1:
        raise pytest.UsageError("--chaos-rounds must be at least 1")
    return rounds


@pytest.fixture(scope="session")
def chaos_seed(pytestconfig: pytest.Config) -> int:
    value = _option(pytestconfig, "chaos_seed")
    if value is None:
        value = os.environ.get("FEEDS_CHAOS_SEED", "20261128")
    return int(value)


@pytest.fixture
def rng(chaos_seed: int, request: pytest.FixtureRequest) -> random.Random:
    """A random generator seeded from the suite's seed and the test's name: reproducible per test."""
    return random.Random(f"{chaos_seed}:{request.node.nodeid}")


def record(key: str, value: Any) -> None:
    """Keep a measured figure for the summary (numbers add up when the same key is recorded twice)."""
    with _FIGURES_LOCK:
        old = _FIGURES.get(key)
        if isinstance(old, int | float) and isinstance(value, int | float) and not isinstance(value, bool):
            _FIGURES[key] = old + value
        else:
            _FIGURES[key] = value


def record_max(key: str, value: dict[str, Any], by: str) -> None:
    """Keep the record whose `by` field is the largest seen (the worst attack)."""
    with _FIGURES_LOCK:
        old = _FIGURES.get(key)
        if not isinstance(old, dict) or value[by] > old.get(by, float("-inf")):
            _FIGURES[key] = value


@pytest.fixture
def chaos_record() -> Iterator[Any]:
    yield record


def pytest_terminal_summary(terminalreporter: Any, exitstatus: int, config: pytest.Config) -> None:
    if not _FIGURES:
        return
    terminalreporter.write_sep("-", "chaos figures (tests/chaos)")
    for key in sorted(_FIGURES):
        terminalreporter.write_line(f"{key}: {json.dumps(_FIGURES[key], sort_keys=True)}")
    target = os.environ.get("FEEDS_CHAOS_RECORD")
    if target:
        Path(target).write_text(json.dumps(_FIGURES, indent=2, sort_keys=True), encoding="utf-8")
        terminalreporter.write_line(f"chaos figures written to {target}")
