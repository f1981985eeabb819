"""Benchmark: keyword matching throughput against the number of rules, versus a naive per-rule regex loop.

Generates synthetic news items (deterministic seed) and rule sets of 10, 1,000 and 10,000 rules, then prints,
for each rule count: compile time; items/s of `feeds.watch.match` over all items; rules matched per item;
items/s of the naive baseline (every rule evaluated on every item, one compiled ``\b`` regex per term over the
folded text), measured on a time-boxed subsample; their ratio; our throughput relative to 10 rules; and on how
many items of the subsample both agreed exactly on which rules matched.

    cd /work/main && .venv/bin/python bench/bench_match.py [--items 100000] [--rules 10,1000,10000]

Times are CPU seconds of this process (`time.process_time`), so that other work on a shared machine skews
them less, and the rule counts take turns: each of `--slices` slices of the items is matched by every rule set
before the next slice, so that a machine whose speed drifts during the run (as a shared one does, by a factor of
two within a day here) slows every rule count alike instead of whichever ran last.
Whole runtime with the defaults: about half a minute.

The synthetic world: 6,000 generated words drawn with a Zipf law (a few common words dominate, as in real
text), 23,000 people and 2,000 places (some real-looking, some accented) mentioned one to three times per
item, famous ones more often. Rules are what a press office writes: mostly people, also places, rarer words and
combinations of them with AND, OR, NOT, fields and wildcards; never the commonest words. The number of rules an
item matches grows with the rule count (about 1.6 per item at 10,000 rules): reporting those matches, with
offsets, is work no index can avoid, and the "hits/item" column shows how much of it there is.
"""

from __future__ import annotations

import argparse
import random
import re
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import accumulate
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from feeds.watch.match import MatchInput, compile_rules
from feeds.watch.query import parse_query
from feeds.watch.querytree import FIELDS, Node, Not, Or, Term
from feeds.watch.text import fold, fold_words


def _split(words: str) -> list[str]:
    return words.split()


FIRST = [
    *_split("Maria Ahmed Olga Chen Jose Fatima Lukas Amara Pieter Ines Kenji Sofia Omar Ingrid Rafael Leila Tomasz"),
    *_split("Aiko Daniel Nadia Mateo Zainab Erik Yusuf Clara Hiroshi Amina Stefan Lucia Kwame Elena Arjun Sara"),
    *_split("Dmitri Noor Felipe Hanna Tariq Greta Joao Mei Viktor Ana Samir Freya Ravi Irene Jonas Zofia Karim"),
]
LAST = [
    *_split("Lavróv Müller Okafor Nakamura Silva Haddad Kowalski Johansson Moreau Rossi Petrov Nguyen Mensah"),
    *_split("Alvarez Ibrahim Novak Lindqvist Costa Yilmaz Fischer Kaur Dubois Tanaka Mazur Ortega Abdi Horvat"),
    *_split("Rahman Keller Santos Ivanova Jansen Popescu Sørensen Mahmoud Fernández Kim Weber Adeyemi Romano"),
    *_split("Dvořák Hassan Lindgren Moretti Park Wójcik Bakker Gallagher Chowdhury Laurent Esposito Volkov"),
]
PLACES = [
    *_split("Iran Syria Ukraine Brazil Nigeria Kenya Norway Peru Chile Vietnam Egypt Mexico Japan Canada Poland"),
    *_split("Morocco Jordan Tunisia Ecuador Finland Iceland Nepal Laos Mali Chad Oman Qatar Yemen Sudan Zambia"),
    *_split("Bogotá Kraków Zürich Reykjavík Montréal Düsseldorf Malmö Thessaloniki Marseille Lagos Nairobi Quito"),
    "North Korea",
    "South Sudan",
    "New Zealand",
    "Costa Rica",
    "Sierra Leone",
    "Sri Lanka",
    "El Salvador",
]
OUTLETS = ("dailyherald", "morningpost", "citywire", "globalnews", "thechronicle", "eveningstar", "newsdesk")
SECTIONS = ("world", "politics", "business", "health", "science", "sport", "culture", "opinion")
TAGS = ("politics", "economy", "health", "europe", "africa", "asia", "americas", "energy", "climate", "trade")
ONSETS = ("b", "c", "d", "f", "g", "h", "k", "l", "m", "n", "p", "r", "s", "t", "v", "z", "br", "dr", "st", "tr", "sh")
NUCLEI = ("a", "e", "i", "o", "u", "ai", "ea", "io", "ou")
CODAS = ("", "", "", "n", "r", "s", "l", "t", "m", "nd", "st", "rk")


@dataclass(frozen=True)
class World:
    """What the synthetic news talks about: words by frequency rank, people and places by fame rank."""

    vocab: list[str]
    people: list[str]
    places: list[str]


def _pseudo_words(rng: random.Random, count: int, syllables: Sequence[int]) -> list[str]:
    words: set[str] = set()
    while len(words) < count:
        n = rng.choice(syllables)
        words.add("".join(rng.choice(ONSETS) + rng.choice(NUCLEI) + rng.choice(CODAS) for _ in range(n)))
    return sorted(words)


def make_world(rng: random.Random) -> World:
    vocab = _pseudo_words(rng, 6000, (1, 2, 2, 3, 3, 4))
    vocab.sort(key=lambda w: (len(w), rng.random()))  # short words get the frequent ranks, as in real text
    surnames = LAST + [w.capitalize() for w in _pseudo_words(rng, 3000, (2, 3, 3))]
    people = sorted({f"{rng.choice(FIRST)} {rng.choice(surnames)}" for _ in range(25_000)})
    rng.shuffle(people)
    places = PLACES + [w.capitalize() for w in _pseudo_words(rng, 2000, (2, 3))]
    return World(vocab, people, places)


def _zipf(size: int, offset: float) -> list[float]:
    return list(accumulate(1.0 / (rank + offset) for rank in range(size)))


def make_items(rng: random.Random, count: int, world: World) -> list[MatchInput]:
    words_cum, people_cum, places_cum = (
        _zipf(len(world.vocab), 2),
        _zipf(len(world.people), 20),
        _zipf(len(world.places), 5),
    )
    feeds = [(o, rng.sample(TAGS, 2)) for o in OUTLETS]
    items = []
    for n in range(count):
        title = rng.choices(world.vocab, cum_weights=words_cum, k=rng.randint(6, 10))
        summary = rng.choices(world.vocab, cum_weights=words_cum, k=rng.randint(34, 44))
        for _ in range(rng.randint(1, 3)):
            if rng.random() < 0.6:
                entity = rng.choices(world.people, cum_weights=people_cum)[0]
            else:
                entity = rng.choices(world.places, cum_weights=places_cum)[0]
            target = title if rng.random() < 0.3 else summary
            target.insert(rng.randrange(len(target) + 1), entity)
        outlet, tags = rng.choice(feeds)
        summary[rng.randrange(len(summary))] += rng.choice((",", ".", "'s", ":"))
        items.append(
            MatchInput(
                key=f"item-{n}",
                title=" ".join(title).capitalize(),
                summary=" ".join(summary).capitalize() + ".",
                author=rng.choices(world.people, cum_weights=people_cum)[0],
                feed=f"The {outlet.title()} {' '.join(tags)}",
                link=f"https://www.{outlet}.com/{rng.choice(SECTIONS)}/{'-'.join(fold(w) for w in title[:5])}",
            )
        )
    return items


def make_rules(rng: random.Random, count: int, world: World) -> list[tuple[str, str]]:
    """Specific rules, as a press office writes them: people, places, rarer words and combinations of them."""
    rare = world.vocab[1500:]
    long_rare = [w for w in world.vocab[3000:] if len(w) >= 8]

    def entity() -> str:
        if rng.random() < 0.85:  # people far more often than places, which are broad terms
            return f'"{rng.choice(world.people)}"'
        place = rng.choice(world.places)
        return f'"{place}"' if " " in place else place

    def word() -> str:
        return rng.choice(rare)

    makers: list[tuple[float, Callable[[], str]]] = [
        (25, entity),
        (3, lambda: f"{rng.choice(long_rare)}"),
        (12, lambda: f"{entity()} {word()}"),
        (8, lambda: f"{word()} AND {word()}"),
        (10, lambda: f"({entity()} OR {entity()} OR {entity()}) -{word()}"),
        (8, lambda: f"{entity()} -{word()}"),
        (5, lambda: f"{entity()} NOT ({word()} | {word()})"),
        (6, lambda: f"title:{entity()}"),
        (5, lambda: f'author:"{rng.choice(world.people)}"'),
        (5, lambda: f"feed:{rng.choice(TAGS)} {entity()}"),
        (5, lambda: f"link:{rng.choice(OUTLETS)} {word()} {word()}"),
        (3, lambda: f"{rng.choice(long_rare)[:6]}*"),
        (5, lambda: f"{rng.choice(long_rare)[:5]}* {entity()}"),
    ]
    weights = [w for w, _ in makers]
    return [(f"rule-{n:05d}", rng.choices(makers, weights)[0][1]()) for n in range(count)]


# --- the naive baseline: a loop over rules, one regex per term ------------------------------------------------


def naive_compile(rules: Sequence[tuple[str, str]]) -> list[tuple[str, Node, dict[int, re.Pattern[str]]]]:
    compiled = []
    for name, query in rules:
        node = parse_query(query)
        patterns: dict[int, re.Pattern[str]] = {}

        def walk(n: Node, patterns: dict[int, re.Pattern[str]] = patterns) -> None:
            if isinstance(n, Term):
                body = r"\W+".join(re.escape(w) for w in n.words)
                patterns[id(n)] = re.compile(rf"\b{body}" + (r"\w*" if n.prefix else r"\b"))
            elif isinstance(n, Not):
                walk(n.child)
            else:
                for c in n.children:
                    walk(c)

        walk(node)
        compiled.append((name, node, patterns))
    return compiled


def naive_match(compiled: list[tuple[str, Node, dict[int, re.Pattern[str]]]], item: MatchInput) -> list[str]:
    texts = {f: fold(getattr(item, f)) for f in FIELDS}

    def evaluate(n: Node, patterns: dict[int, re.Pattern[str]]) -> bool:
        if isinstance(n, Term):
            return any(patterns[id(n)].search(texts[f]) for f in n.fields)
        if isinstance(n, Not):
            return not evaluate(n.child, patterns)
        results = (evaluate(c, patterns) for c in n.children)
        return any(results) if isinstance(n, Or) else all(results)

    return [name for name, node, patterns in compiled if evaluate(node, patterns)]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--rules", default="10,1000,10000", help="comma-separated rule counts")
    parser.add_argument("--slices", type=int, default=20, help="slices of the items, matched by each rule set in turn")
    parser.add_argument("--naive-seconds", type=float, default=4.0, help="time box for the naive baseline")
    args = parser.parse_args()

    rng = random.Random(args.seed)
    started = time.process_time()
    world = make_world(rng)
    items = make_items(rng, args.items, world)
    print(
        f"{len(items):,} items; {len(world.vocab):,} words, {len(world.people):,} people, {len(world.places):,} places;"
        f" generated in {time.process_time() - started:.1f}s"
    )
    print(
        f"{'rules':>6} {'compile s':>9} {'items/s':>9} {'hits/item':>9} {'naive/s':>9} {'speedup':>8}"
        f" {'vs 10':>6} {'agree':>9}"
    )
    for item in items:  # warm the folding memo, so the first rule count is not charged for it
        for field in FIELDS:
            fold_words(getattr(item, field))
    counts = [int(c) for c in args.rules.split(",")]
    matchers = {}
    compile_s = {}
    for count in counts:
        rules = make_rules(random.Random(args.seed * 1000 + count), count, world)
        t0 = time.process_time()
        matchers[count] = (rules, compile_rules(rules))
        compile_s[count] = time.process_time() - t0
    # Interleaved: each slice of the items is matched by every rule set in turn, so that a machine whose speed
    # drifts during the run (shared, throttled) slows every rule count alike and their ratios stay honest.
    spent = dict.fromkeys(counts, 0.0)
    hits = dict.fromkeys(counts, 0)
    step = max(1, len(items) // args.slices)
    for start in range(0, len(items), step):
        chunk = items[start : start + step]
        for count in counts:
            matcher = matchers[count][1]
            t0 = time.process_time()
            hits[count] += sum(len(matcher.match(item)) for item in chunk)
            spent[count] += time.process_time() - t0
    base = None
    for count in counts:
        rules, matcher = matchers[count]
        ours = len(items) / spent[count]
        base = base or ours

        naive = naive_compile(rules)
        expected: list[list[str]] = []
        t0 = time.process_time()
        while len(expected) < len(items) and (len(expected) < 10 or time.process_time() - t0 < args.naive_seconds):
            expected.append(naive_match(naive, items[len(expected)]))
        done = len(expected)
        naive_rate = done / (time.process_time() - t0)
        agree = sum([h.rule for h in matcher.match(item)] == want for item, want in zip(items, expected, strict=False))
        print(
            f"{count:>6} {compile_s[count]:>9.2f} {ours:>9,.0f} {hits[count] / len(items):>9.2f} {naive_rate:>9,.0f}"
            f" {ours / naive_rate:>7.1f}x {ours / base:>6.0%} {agree:>4}/{done:<4}"
        )
    print(f"total {time.process_time() - started:.0f} CPU seconds")


if __name__ == "__main__":
    main()
