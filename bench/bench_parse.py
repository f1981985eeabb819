"""Benchmark: feed parsing throughput, feedparser versus `feeds.watch.parse.parse_feed`, on the corpus feeds.

Every file of ../shared/corpus/feeds (75 real RSS, RDF, Atom and JSON Feed documents, read in place) is parsed
`--rounds` times by each contender; the table gives entries per second and the speed-up over feedparser:

    lxml.etree.fromstring        the floor: libxml2 building the tree, nothing else (XML files only)
    fast path, raw               `fastparse.fast_parse`: feedparser's view of the document, no items built
    feedparser.parse             feedparser as most code calls it (its own sanitiser and URI rewriting on)
    feedparser, no sanitiser     feedparser with both switched off, as our reference path calls it
    parse_with_feedparser        the reference path: feedparser + our item builder (text of the markup, keys, hash)
    parse_feed                   what `feeds watch` runs: the fast path, falling back to feedparser

The lines after the table say which files the fast path declined and why, and how the time of `parse_feed`
divides between reading the feed and building items (reading the text of markup with nh3 dominates the second).

    cd /work/main && .venv/bin/python bench/bench_parse.py [--rounds 3] [--corpus ../shared/corpus/feeds]

Times are CPU seconds of this process (`time.process_time`). Whole runtime with the defaults: about 20 s.
"""

from __future__ import annotations

import argparse
import io
import sys
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import feedparser
from lxml import etree

from feeds.watch.fastparse import fast_parse
from feeds.watch.parse import _headers, _tidy, parse_feed, parse_with_feedparser, try_fast_parse

ROOT = Path(__file__).resolve().parent.parent


def _corpus(folder: Path) -> list[tuple[str, bytes]]:
    files = sorted(p for p in folder.iterdir() if p.is_file() and p.name != "MANIFEST.tsv")
    return [(p.name, p.read_bytes()) for p in files]


def _url(name: str) -> str:
    return f"https://feeds.example.org/{name}"


def _lxml(name: str, body: bytes) -> int:
    if name.endswith(".json"):
        return 0
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, recover=True)
    etree.fromstring(body.lstrip(), parser)
    return 0


def _fast_raw(name: str, body: bytes) -> int:
    if name.endswith(".json"):
        return 0
    result = fast_parse(_tidy(body)[0], headers=_headers(_url(name), None, None))
    return 0 if isinstance(result, str) else len(result.entries)


def _feedparser(name: str, body: bytes) -> int:
    return len(feedparser.parse(io.BytesIO(body)).entries)


def _feedparser_plain(name: str, body: bytes) -> int:
    result = feedparser.parse(io.BytesIO(body), sanitize_html=False, resolve_relative_uris=False)
    return len(result.entries)


def _reference(name: str, body: bytes) -> int:
    return len(parse_with_feedparser(body, url=_url(name)).items) if not name.endswith(".json") else 0


def _ours(name: str, body: bytes) -> int:
    return len(parse_feed(body, url=_url(name)).items)


def _measure(fn: Callable[[str, bytes], int], corpus: list[tuple[str, bytes]], rounds: int) -> float:
    """CPU seconds for `rounds` passes over the corpus (the best pass, times `rounds`)."""
    best = float("inf")
    for _ in range(rounds):
        start = time.process_time()
        for name, body in corpus:
            fn(name, body)
        best = min(best, time.process_time() - start)
    return best


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "corpus" / "feeds")
    args = ap.parse_args()
    if not args.corpus.is_dir():
        sys.exit(f"corpus folder {args.corpus} is absent")
    corpus = _corpus(args.corpus)
    entries = sum(_ours(name, body) for name, body in corpus)
    xml_only = [(n, b) for n, b in corpus if not n.endswith(".json")]
    print(
        f"{len(corpus)} files, {sum(len(b) for _, b in corpus) / 1e6:.1f} MB, {entries} entries; best of {args.rounds}"
    )
    contenders: list[tuple[str, Callable[[str, bytes], int]]] = [
        ("lxml.etree.fromstring", _lxml),
        ("fast path, raw", _fast_raw),
        ("feedparser.parse", _feedparser),
        ("feedparser, no sanitiser", _feedparser_plain),
        ("parse_with_feedparser", _reference),
        ("parse_feed", _ours),
    ]
    seconds = {label: _measure(fn, corpus, args.rounds) for label, fn in contenders}
    base = seconds["feedparser.parse"]
    print(f"{'':28} {'seconds':>8} {'entries/s':>10} {'vs feedparser':>14}")
    for label, _ in contenders:
        s = seconds[label]
        print(f"{label:28} {s:8.3f} {entries / s:10,.0f} {base / s:13.1f}x")
    declined = [(n, r) for n, b in xml_only if isinstance(r := try_fast_parse(b, url=_url(n)), str)]
    print(f"\nfast path: {len(xml_only) - len(declined)} of {len(xml_only)} XML files; declined:")
    for name, reason in declined:
        print(f"  {name}: {' '.join(reason.split())[:100]}")
    read = seconds["fast path, raw"]
    print(
        f"\nparse_feed = {seconds['parse_feed']:.3f} s: reading feeds ~{read:.3f} s on the fast path, the rest is "
        "feedparser for declined files and building items (the text of their markup, keys, hashes)"
    )


if __name__ == "__main__":
    main()
