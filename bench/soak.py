"""Soak: the daemon's jobs through weeks of simulated schedule, printing what the process and its files hold after
each simulated week (not timed: the figures are sizes and counts, which the machine's load does not change).

    PYTHONPATH=. python bench/soak.py                  # 60 days in 6-hour rounds, parsing in worker processes
    PYTHONPATH=. python bench/soak.py --days 120 --step-hours 12 --feeds 30 --in-process

Each round (see `tests/soak.py`): a release dropped and one pushed through the API, the watched feeds (a local
server on 127.0.0.1) each with new items, ingest → watch → publish → alerts (a webhook), housekeeping once a
simulated day, pages, feeds, /healthz and /metrics read from the daemon's own server. Retention is short
(items 7 days, matches 8, alert deliveries 8, ledger 7) so that the bounded tables reach their plateau early.
Columns: RSS of this process (and of its worker processes), open file descriptors, threads, the connections the
daemon's HTTP pool keeps to the feeds' server (two descriptors and a server thread each), the SQLite file and
its -wal, temporary files left, out/ (files, bytes), then the rows of each table.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from datetime import timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.soak import BOUNDED, GROWING, Soak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=60)
    parser.add_argument("--step-hours", type=float, default=6.0)
    parser.add_argument("--feeds", type=int, default=10)
    parser.add_argument("--items", type=int, default=2, help="new items per feed per round")
    parser.add_argument("--in-process", action="store_true", help="parse in the daemon's process (no workers)")
    args = parser.parse_args()
    step = timedelta(hours=args.step_hours)
    rounds = int(timedelta(days=args.days) / step)
    per_week = max(1, int(timedelta(days=7) / step))
    tables = (*GROWING, *BOUNDED)
    print(
        f"{'day':>4} {'rss MiB':>8} {'workers':>8} {'fds':>4} {'thr':>4} {'kept':>4}"
        f" {'db KiB':>7} {'wal KiB':>7} {'tmp':>3} {'out files':>9} {'out KiB':>8}  "
        + " ".join(f"{t:>{max(len(t), 6)}}" for t in tables),
        flush=True,
    )
    with tempfile.TemporaryDirectory(prefix="feeds-soak-") as folder:
        soak = Soak(Path(folder), feeds=args.feeds, step=step, items=args.items, in_process=args.in_process)
        try:
            for s in soak.run(rounds):
                if s.round % per_week and s.round != rounds:
                    continue
                day = (s.round * step) / timedelta(days=1)
                print(
                    f"{day:>4.0f} {s.rss_kib / 1024:>8.1f} {s.children_rss_kib / 1024:>8.1f} {s.fds:>4} {s.threads:>4}"
                    f" {s.kept_alive:>4} {s.db_bytes // 1024:>7} {s.wal_bytes // 1024:>7} {s.temporaries:>3}"
                    f" {s.out_files:>9} {s.out_bytes // 1024:>8}  "
                    + " ".join(f"{s.rows[t]:>{max(len(t), 6)}}" for t in tables),
                    flush=True,
                )
        finally:
            soak.close()


if __name__ == "__main__":
    main()
