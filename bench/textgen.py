"""Generated press-release text for the benchmarks: deterministic from a seeded `random.Random`."""

from __future__ import annotations

import random

WORDS = [
    "minister",
    "visit",
    "talks",
    "trade",
    "agreement",
    "security",
    "council",
    "sanctions",
    "fisheries",
    "quota",
    "coastal",
    "towns",
    "flooding",
    "budget",
    "schools",
    "hospitals",
    "railway",
    "investment",
    "exports",
    "embassy",
    "consular",
    "support",
    "climate",
    "energy",
    "grid",
    "harbour",
    "convoy",
    "border",
    "grain",
    "corridor",
    "summit",
    "delegation",
    "statement",
    "programme",
    "funding",
    "review",
    "partners",
    "regional",
    "region",
    "stability",
    "dialogue",
    "announcement",
    "communities",
    "research",
    "science",
]
PLACES = ("Moscow", "Kyiv", "Tehran", "Damascus", "Pyongyang", "Reykjavik", "Brussels", "Geneva", "Nairobi")


def sentence(rng: random.Random, n: int, *, place: bool = False) -> str:
    """`n` words (plus a place name when `place`), capitalised, with a full stop."""
    words = [rng.choice(WORDS) for _ in range(n)]
    if place:
        words.insert(rng.randrange(len(words)), rng.choice(PLACES))
    return " ".join(words).capitalize() + "."
