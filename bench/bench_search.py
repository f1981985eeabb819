"""Benchmark: the search index of a large archive, in bytes (what a visitor downloads) and render time.

    .venv/bin/python bench/bench_search.py [--releases 40000]

Setup (not timed): N generated releases (bench_publish's: a title of six words, 3-6 paragraphs, 1-2 of 20 topics,
3 organisations), one every 3 hours from 2024 (40,000 span 14 years, some 2,900 a year: each year is listed by
month, as a back catalogue's is), normalised by the real `normalise_release`, in memory.

What is measured: the shards `plan_site` publishes (`searchindex`), raw and gzipped (what `feeds serve` sends a
browser that accepts gzip): the total (what a first search has fetched once every shard has arrived), the
manifest plus the newest shard (what the first results wait for), the largest shard; and the time to render
every shard (what a full publish adds) and the manifest (every publish after a change: versions come from the
shards' inputs, so no shard is rendered for it; an incremental publish renders only the changed shards).
Compared with one file of every entry, and with one of whole summaries.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench_publish import TOPICS, raw_release  # noqa: E402  (bench/ is on sys.path when run)

from feeds.config import Site, load_settings  # noqa: E402
from feeds.normalise import normalise_release  # noqa: E402
from feeds.publish.searchindex import (  # noqa: E402
    render_manifest,
    render_shard,
    search_entry,
    search_shards,
    shard_version,
)
from feeds.publish.yearmonths import months_of  # noqa: E402


def gz(data: bytes) -> int:
    return len(gzip.compress(data, compresslevel=6, mtime=0))  # (as `feeds serve` compresses)


def kb(n: int) -> str:
    return f"{n / 1024:,.0f} KB"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--releases", type=int, default=40_000)
    args = parser.parse_args()
    rng = random.Random(7)
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / "inbox").mkdir()
        config = Path(folder) / "feeds.toml"
        config.write_text(
            '[site]\ntitle = "Bench Press Office"\nbase_url = "https://bench.example.org/"\n'
            '[paths]\nout = "out"\nstate = "state"\n'
            '[[sources]]\ntype = "folder"\nname = "inbox"\npath = "inbox"\n',
            encoding="utf-8",
        )
        settings = load_settings(config, environ={})
    site: Site = settings.site
    now = datetime(2040, 1, 1, tzinfo=UTC)
    releases = [
        normalise_release(raw_release(rng, i, TOPICS), site, settings.topics, now) for i in range(args.releases)
    ]
    tz = ZoneInfo("Europe/London")
    by_year: dict[int, list] = {}
    for r in releases:
        by_year.setdefault(r.published.astimezone(tz).year, []).append(r)
    months = {y: months_of(rs, lambda r: r.published.astimezone(tz).month) for y, rs in by_year.items()}
    names = {t.lower(): t for t in TOPICS}

    t0 = time.perf_counter()
    shards = search_shards(by_year, months)
    versions = [shard_version("salt", s, "\n".join(r.content_hash for r in s.releases)) for s in shards]
    manifest = render_manifest(list(zip(shards, versions, strict=True)))
    t1 = time.perf_counter()
    data = [
        render_shard(s, version=v, base_url=site.base_url, tz=tz, language=site.language, topic_names=names)
        for s, v in zip(shards, versions, strict=True)
    ]
    t2 = time.perf_counter()

    raw_total, gz_total = sum(map(len, data)) + len(manifest), sum(map(gz, data)) + gz(manifest)
    largest = max(range(len(data)), key=lambda i: len(data[i]))
    one_file = json.dumps(
        [search_entry(r, base_url=site.base_url, tz=tz, language=site.language, topic_names=names) for r in releases],
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()
    whole = json.dumps(
        [[r.permalink, r.title, r.summary, r.published.isoformat(), r.organisation, list(r.topics)] for r in releases],
        ensure_ascii=False,
        separators=(",", ":"),
    ).encode()
    print(f"{args.releases:,} releases, {len(by_year)} years: {len(shards)} shards (a month each, past 400 a year)")
    print(f"  every shard + manifest: {kb(raw_total)} raw, {kb(gz_total)} gzipped")
    print(
        f"  first results wait for: manifest {kb(len(manifest))} ({kb(gz(manifest))} gz) + newest shard "
        f"{kb(len(data[0]))} ({kb(gz(data[0]))} gz)"
    )
    print(f"  largest shard: {shards[largest].name}, {kb(len(data[largest]))} ({kb(gz(data[largest]))} gz)")
    print(f"  one file of every entry: {kb(len(one_file))} ({kb(gz(one_file))} gz)")
    print(f"  one file with whole summaries: {kb(len(whole))} ({kb(gz(whole))} gz)")
    print(f"  the manifest (versions from the shards' inputs, no shard rendered): {(t1 - t0) * 1000:.0f} ms")
    each = (t2 - t1) / len(shards) * 1000
    print(f"  rendering every shard (a full publish): {t2 - t1:.2f} s, {each:.0f} ms a shard (one changed)")


if __name__ == "__main__":
    main()
