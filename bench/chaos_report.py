"""The reliability and security suite in one command, ending with a table of the figures it measured.

    1. `pytest tests/chaos --chaos-rounds N` with FEEDS_CHAOS_RECORD set: the fault, hostile-input and XSS
       tests write what they measured (kill rounds survived, files and inputs tried, the worst XML attack's size,
       time and peak memory, pages loaded in Chromium…) to a JSON file;
    2. `bench/bench_load.py` against a daemon subprocess (pushed releases, conditional feed requests);
    3. one table of all of it, so the numbers can be quoted.

    cd /work/main && .venv/bin/python bench/chaos_report.py [--rounds 20] [--seed 7] [--releases 2000]
        [--feed-requests 5000] [--skip-load] [--skip-tests] [--json FILE]

Exit status: non-zero when the tests or the load run failed (the table is printed either way).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def run_tests(rounds: int, seed: int | None, record: Path) -> tuple[int, float, str]:
    env = {**os.environ, "FEEDS_CHAOS_RECORD": str(record), "FEEDS_CHAOS_ROUNDS": str(rounds)}
    if seed is not None:
        env["FEEDS_CHAOS_SEED"] = str(seed)
    cmd = [sys.executable, "-m", "pytest", "tests/chaos", "-q", "-p", "no:cacheprovider", "--timeout", "900"]
    started = time.monotonic()
    done = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True, check=False)
    tail = [line for line in done.stdout.splitlines() if line.strip()][-1:] or ["(no output)"]
    return done.returncode, time.monotonic() - started, tail[0]


def run_load(args: argparse.Namespace, out: Path) -> int:
    cmd = [
        sys.executable,
        "bench/bench_load.py",
        "--releases",
        str(args.releases),
        "--feed-requests",
        str(args.feed_requests),
        "--json",
        str(out),
    ]
    return subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=False).returncode


def rows(tests: dict[str, Any], load: dict[str, Any] | None) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []

    def add(label: str, key: str) -> None:
        if key in tests:
            value = tests[key]
            out.append((label, ", ".join(map(str, value)) if isinstance(value, list) else str(value)))

    add("daemon SIGKILL rounds survived", "daemon kills: rounds survived")
    add("files dropped across the kills", "daemon kills: files dropped")
    add("kill moments (s after start)", "daemon kills: kill moments (s after start)")
    add("jobs failed by the SQLite snapshot bug", "daemon kills: jobs failed by the SQLite snapshot bug")
    add("hostile feed polls (random faults)", "watch faults: random polls")
    add("one pass over every fault (s)", "watch faults: seconds for the pass")
    add("failed publishes survived (ENOSPC at fsync)", "disk full (fsync): failed publishes survived")
    add("failed publishes survived (ENOSPC at rename)", "disk full (replace): failed publishes survived")
    inputs = sum(v for k, v in tests.items() if k.startswith("hostile inputs tried"))
    if inputs:
        out.append(("property-test inputs (normalise, files, queries, feeds)", str(inputs)))
    add("push API random requests", "push API: random requests")
    add("push API hostile bodies", "push API: hostile bodies tried")
    add("SSRF targets refused", "SSRF targets refused")
    add("path names tried", "path names tried")
    add("XML attacks run", "XML attacks tried")
    for key, label in (("worst XML attack (time)", "slowest"), ("worst XML attack (memory)", "most memory")):
        w = tests.get(key)
        if isinstance(w, dict):
            out.append(
                (
                    f"XML attack, {label}",
                    f"{w['attack']} via {w['surface']}: {w['bytes']:,} bytes, {w['seconds']} s, "
                    f"{w['peak_mib']} MiB peak",
                )
            )
    add("XSS vectors", "XSS vectors")
    add("XSS files in out/ checked", "XSS: files in out/ checked")
    add("XSS pages loaded in Chromium", "XSS: pages loaded in Chromium")
    if load:
        for kind, label in (("push", "load: POST /api/releases"), ("read", "load: conditional feed GETs")):
            s = load[kind]
            out.append(
                (
                    label,
                    f"{s['requests']} requests, {s['errors']} errors, {s['per_second']}/s, "
                    f"p50 {s['p50_ms']} ms, p99 {s['p99_ms']} ms, max {s['max_ms']} ms {s['statuses']}",
                )
            )
        failed = [name for name, ok in load["checks"].items() if not ok]
        out.append(("load checks", "all passed" if not failed else "FAILED: " + "; ".join(failed)))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=3, help="--chaos-rounds for the tests (default: the CI 3)")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--releases", type=int, default=2000)
    parser.add_argument("--feed-requests", type=int, default=5000)
    parser.add_argument("--skip-tests", action="store_true")
    parser.add_argument("--skip-load", action="store_true")
    parser.add_argument("--json", type=Path, help="also write every figure here")
    args = parser.parse_args()
    status = 0
    with tempfile.TemporaryDirectory(prefix="feeds-chaos-") as tmp:
        record, load_file = Path(tmp) / "chaos.json", Path(tmp) / "load.json"
        tests: dict[str, Any] = {}
        summary = []
        if not args.skip_tests:
            code, seconds, tail = run_tests(args.rounds, args.seed, record)
            status |= code
            summary.append((f"pytest tests/chaos --chaos-rounds {args.rounds}", f"{tail} ({seconds:.0f} s)"))
            if record.exists():
                tests = json.loads(record.read_text(encoding="utf-8"))
        load = None
        if not args.skip_load:
            status |= run_load(args, load_file)
            if load_file.exists():
                load = json.loads(load_file.read_text(encoding="utf-8"))
                summary.append(("load run wall clock", f"{load['wall_seconds']} s"))
        table = summary + rows(tests, load)
        width = max(len(label) for label, _ in table) if table else 10
        print(f"{'figure':<{width}}  value")
        print(f"{'-' * width}  {'-' * 40}")
        for label, value in table:
            print(f"{label:<{width}}  {value}")
        if args.json:
            args.json.write_text(json.dumps({"tests": tests, "load": load}, indent=2), encoding="utf-8")
    return 1 if status else 0


if __name__ == "__main__":
    sys.exit(main())
