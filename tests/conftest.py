"""Shared fixtures: the read-only corpus in ../shared (skipped loudly when absent), clocks, temp dirs."""

from __future__ import annotations

import os
import warnings
from datetime import UTC, datetime
from pathlib import Path

import pytest

from feeds.clock import FixedClock

ROOT = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("FEEDS_SHARED", ROOT.parent / "shared"))
CORPUS = SHARED / "corpus"


def _corpus_dir(name: str) -> Path:
    path = CORPUS / name
    if not path.is_dir():
        message = f"corpus folder {path} is absent: tests that read ../shared/corpus/{name} are SKIPPED"
        warnings.warn(message, stacklevel=2)
        pytest.skip(message)
    return path


@pytest.fixture(scope="session")
def corpus_releases() -> Path:
    """../shared/corpus/releases, read in place (never copied)."""
    return _corpus_dir("releases")


@pytest.fixture(scope="session")
def corpus_feeds() -> Path:
    """../shared/corpus/feeds, read in place (never copied)."""
    return _corpus_dir("feeds")


@pytest.fixture(scope="session")
def corpus_conformance() -> Path:
    """../shared/corpus/feedparser-conformance, read in place."""
    return _corpus_dir("feedparser-conformance")


@pytest.fixture
def now() -> datetime:
    return datetime(2026, 11, 28, 12, 0, 0, tzinfo=UTC)


@pytest.fixture
def clock(now: datetime) -> FixedClock:
    return FixedClock(now)
