"""Benchmark: ingest N generated releases through the whole pipeline, against raw SQLite inserts of the same rows.

    .venv/bin/python bench/bench_ingest.py [--releases 10000]

What is measured, all in this one run on this machine:
- `feeds`: N JSON release files in a drop folder → `run_ingest` (read, parse, normalise: Markdown, sanitise,
  topics, hashing; reconcile; batched transactions; the ledger; moving every file to processed/). On a
  machine with several CPUs, reading and normalising run in worker processes a few batches ahead of storing
  (`feeds.ingest.parallel`, for 1,000 files or more); starting those workers is inside the measured time.
  The generated bodies are paragraphs of plain prose, which render as Markdown without markdown-it or nh3
  (`render_markdown`'s plain-prose path, byte-identical by test); bodies with Markdown syntax cost more;
- baseline A: `sqlite3` inserting the same final rows with `executemany` in ONE transaction (the floor);
- baseline B: `sqlite3` inserting the same rows with one transaction per row (what a naive per-file commit costs);
- `feeds store step`: the same already-normalised releases saved through our store (reconcile, slug checks,
  batched transactions, ledger) into a fresh database: the storage part of the pipeline alone, which is what
  the raw inserts are directly comparable with.
Printed: releases/s for each and the ratio feeds / baseline (target: within 5x of the raw insert).
"""

from __future__ import annotations

import argparse
import json
import random
import sqlite3
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from textgen import sentence  # noqa: E402  (bench/ is on sys.path when run)

from feeds.app import make_app  # noqa: E402
from feeds.config import load_settings  # noqa: E402
from feeds.ingest import run_ingest  # noqa: E402
from feeds.ingest.save import save_units  # noqa: E402
from feeds.ingest.units import Unit  # noqa: E402

TOPICS = ["Russia", "Ukraine", "Iran", "Syria", "North Korea", "Trade", "Climate", "Fisheries"]


def release(rng: random.Random, i: int) -> dict[str, object]:
    paragraphs = [" ".join(sentence(rng, rng.randint(8, 18), place=True) for _ in range(3)) for _ in range(5)]
    return {
        "title": f"{sentence(rng, 6, place=True)[:-1]} ({i})",
        "published": f"2026-{1 + i % 12:02d}-{1 + i % 28:02d}T{i % 24:02d}:{i % 60:02d}:00Z",
        "source_key": f"bench-{i}",
        "topics": rng.sample(TOPICS, 2),
        "body": "\n\n".join(paragraphs),
    }


def write_config(base: Path) -> Path:
    (base / "inbox").mkdir()
    cfg = base / "feeds.toml"
    cfg.write_text(
        '[site]\ntitle = "Bench Office"\nbase_url = "https://press.example.org/"\ntimezone = "Europe/London"\n'
        '[paths]\nout = "out"\nstate = "state"\n'
        '[topics]\ndetect = ["Russia", "Ukraine", "Iran", "Syria", "North Korea", "Climate"]\n'
        '[[sources]]\ntype = "folder"\nname = "inbox"\npath = "inbox"\n',
        encoding="utf-8",
    )
    return cfg


def raw_baselines(db: Path, work: Path) -> tuple[float, float, int]:
    """Copy the ingested rows, then time inserting them into an empty table of the same shape."""
    src = sqlite3.connect(db)
    cols = [r[1] for r in src.execute("PRAGMA table_info(releases)")]
    rows = src.execute(f"SELECT {', '.join(cols)} FROM releases").fetchall()
    ddl = src.execute("SELECT sql FROM sqlite_master WHERE name = 'releases'").fetchone()[0]
    src.close()
    insert = f"INSERT INTO releases ({', '.join(cols)}) VALUES ({', '.join('?' for _ in cols)})"
    timings = []
    for per_row in (False, True):
        path = work / f"raw-{per_row}.db"
        conn = sqlite3.connect(path, isolation_level=None)
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute(ddl)
        t0 = time.perf_counter()
        if per_row:
            for row in rows:
                conn.execute("BEGIN")
                conn.execute(insert, row)
                conn.execute("COMMIT")
        else:
            conn.execute("BEGIN")
            conn.executemany(insert, rows)
            conn.execute("COMMIT")
        timings.append(time.perf_counter() - t0)
        conn.close()
    return timings[0], timings[1], len(rows)


def store_only(releases: list, base: Path) -> float:
    """Save already-normalised releases through the store, in the pipeline's batches, into a fresh database."""
    (base / "again").mkdir()
    cfg = write_config(base / "again")
    settings = load_settings(cfg, environ={})
    app = make_app(settings)
    units = [Unit(origin=r.origin, source="inbox", releases=(r,)) for r in releases]
    t0 = time.perf_counter()
    for start in range(0, len(units), 200):
        save_units(app.store, units[start : start + 200], settings, app.clock())
    elapsed = time.perf_counter() - t0
    assert app.store.count_releases() == len(releases)
    app.close()
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--releases", type=int, default=10_000)
    args = parser.parse_args()
    rng = random.Random(20261128)
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        cfg = write_config(base)
        for i in range(args.releases):
            (base / "inbox" / f"r{i:06d}.json").write_text(json.dumps(release(rng, i)), encoding="utf-8")
        app = make_app(load_settings(cfg, environ={}))
        t0 = time.perf_counter()
        report = run_ingest(app)
        ingest_s = time.perf_counter() - t0
        app.close()
        created = report.count("created")
        assert created == args.releases, f"expected {args.releases} created, got {created}: {report.outcomes[:3]}"
        stored = app.store.releases()
        bulk_s, per_row_s, n = raw_baselines(base / "state" / "feeds.db", base)
        store_s = store_only(stored, base)
    print(f"releases: {n}")
    print(f"{'what':<44} {'seconds':>8} {'releases/s':>11} {'feeds/this':>10}")
    print(f"{'feeds ingest (files → store → processed/)':<44} {ingest_s:8.2f} {n / ingest_s:11.0f} {1.0:10.2f}")
    print(
        f"{'raw sqlite3 executemany, one transaction':<44} {bulk_s:8.3f} {n / bulk_s:11.0f} {ingest_s / bulk_s:10.1f}"
    )
    label = "feeds store step only (same rows)"
    print(f"{label:<44} {store_s:8.3f} {n / store_s:11.0f} {ingest_s / store_s:10.1f}")
    print(f"{'':<44} store step / raw executemany = {store_s / bulk_s:.1f}x")
    label = "raw sqlite3, one transaction per row"
    print(f"{label:<44} {per_row_s:8.3f} {n / per_row_s:11.0f} {ingest_s / per_row_s:10.1f}")


if __name__ == "__main__":
    main()
