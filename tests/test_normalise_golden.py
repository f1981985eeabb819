"""Golden files for normalise_release: tests/golden/normalise/<case>.input.json → <case>.expected.json.

Each input is a RawRelease as JSON (lists for tuples); each expected file is the Release as JSON, datetimes
in ISO 8601. Run with FEEDS_REGEN_GOLDEN=1 to rewrite the expected files after a deliberate change, then
read the diff before committing it.
"""

from __future__ import annotations

import dataclasses
import json
import os
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from feeds.config import Site, TopicSettings
from feeds.model import RawRelease, Release
from feeds.normalise import normalise_release

GOLDEN = Path(__file__).parent / "golden" / "normalise"
REGENERATE = os.environ.get("FEEDS_REGEN_GOLDEN") == "1"

SITE = Site(
    title="Department for Coastal Affairs",
    base_url="https://press.example.org/",
    author="Department for Coastal Affairs",
    language="en",
    timezone="Europe/London",
)
TOPICS = TopicSettings(
    detect=("Flooding", "Fisheries", "Coastal erosion", "Wales", "Scotland", "Harbours"),
    aliases=(("Flooding", ("floods", "flood defences")), ("Harbours", ("harbour", "port"))),
)
NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)

CASES = sorted(p.name.removesuffix(".input.json") for p in GOLDEN.glob("*.input.json"))


def raw_from_json(data: dict[str, Any]) -> RawRelease:
    tuples = {
        "topics": lambda v: tuple(v),
        "changes": lambda v: tuple((at, note) for at, note in v),
        "lines": lambda v: tuple((name, line) for name, line in v),
    }
    return RawRelease(**{k: tuples[k](v) if k in tuples else v for k, v in data.items()})


def release_to_json(release: Release) -> dict[str, Any]:
    def plain(value: Any) -> Any:
        if isinstance(value, datetime):
            return value.isoformat()
        if isinstance(value, tuple | list):
            return [plain(v) for v in value]
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            return {f.name: plain(getattr(value, f.name)) for f in dataclasses.fields(value)}
        return value

    result = plain(release)
    assert isinstance(result, dict)
    # (the pictures dropped with a release, read by the ingest: no golden input has any, and their bytes are no JSON)
    assert result.pop("pictures") == []
    return result


def test_there_are_golden_cases() -> None:
    assert len(CASES) >= 8


@pytest.mark.parametrize("case", CASES)
def test_golden(case: str) -> None:
    data = json.loads((GOLDEN / f"{case}.input.json").read_text(encoding="utf-8"))
    actual = release_to_json(normalise_release(raw_from_json(data), SITE, TOPICS, NOW))
    expected_path = GOLDEN / f"{case}.expected.json"
    if REGENERATE:
        expected_path.write_text(json.dumps(actual, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    expected = json.loads(expected_path.read_text(encoding="utf-8"))
    assert actual == expected
