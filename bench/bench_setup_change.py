"""Benchmark: the daemon's watch job when the workers' setup changes at every round (a release dropped each round,
so the watched window changes, as all day in a busy press office), against rounds where it stays the same.

    PYTHONPATH=. python bench/bench_setup_change.py [--rounds 6] [--same]

The deployment of `bench/soak.py` (`tests/soak.py`: 10 watched feeds on 127.0.0.1, 2 new items each a round, the
daemon's jobs run round by round, its worker processes started from a forkserver since it has threads). Prints,
per round, the watch job's seconds and how long `worker_pool` held it; then the median and the longest of every
round but the first (which starts the forkserver). `--same`: no release dropped (the setup may still change as
releases leave the weighing corpus). This file imports only `feeds.cli` at its top, as the `feeds` console script
does: multiprocessing runs it again in each worker (as `__mp_main__`), so what a worker imports afresh here is what
it would under `feeds run`.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from feeds.cli import main as _cli  # noqa: F401  (what the console script's __main__ imports)


def main() -> None:
    import argparse
    import statistics
    import tempfile
    import time
    from datetime import timedelta
    from typing import Any

    import feeds.watch.parsejobs as parsejobs
    from tests.soak import Soak

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--same", action="store_true", help="drop no release: the setup changes less")
    args = parser.parse_args()
    real_pool = parsejobs.worker_pool
    held: list[float] = []

    def timed_pool(app: Any, setup: Any = None) -> Any:
        started = time.perf_counter()
        try:
            return real_pool(app, setup)
        finally:
            held.append(time.perf_counter() - started)

    parsejobs.worker_pool = timed_pool  # type: ignore[assignment]
    with tempfile.TemporaryDirectory(prefix="feeds-setup-") as folder:
        soak = Soak(Path(folder), feeds=10, step=timedelta(hours=6), releases_every=10**6 if args.same else 1)
        jobs = soak.daemon.jobs
        watch, took = jobs.watch, []

        def timed_watch(app: Any) -> str:
            started = time.perf_counter()
            try:
                return watch(app)
            finally:
                took.append(time.perf_counter() - started)

        jobs.watch = timed_watch  # type: ignore[method-assign]
        try:
            for n in range(1, args.rounds + 1):
                before = len(held)
                soak.one_round()
                print(f"round {n}: watch {took[-1]:.2f} s (worker_pool {sum(held[before:]):.2f} s)", flush=True)
        finally:
            soak.close()
    later = took[1:] or took
    print(f"rounds 2-{args.rounds}: median {statistics.median(later):.2f} s, longest {max(later):.2f} s")


if __name__ == "__main__":
    main()
