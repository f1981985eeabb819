"""What each process of `bench_poll`'s first pass does, alone and repeatable, for callgrind (PYTHONHASHSEED=0):

    worker          one poll worker's share: the jobs of every other one of the 1,000 feeds (a pool of two workers
                    takes about that), in order, each as the pool hands it over (the job pickled and unpickled,
                    `parse_job` with the bench's rules compiled by `_install`, the answer pickled): each corpus file
                    read ~6.7 times, under each feed's own URL, so the worker's memos are warm after the first 75
    answers OUT     every feed's answer, pickled into OUT, for `store`
    store ANSWERS   the main process's share: the feeds' answers (from `answers`) unpickled and stored through
                    `check_batch` on a fresh SQLite deployment, alternately one and four feeds to a transaction;
                    `--dump FILE` writes the stored items, matches and feeds, to compare two trees byte for byte

No server runs: the URLs are those `bench_poll` would serve on port `PORT`, the bodies its corpus files, the clock
fixed, so two runs (of two trees) store the same rows. Per-unit figures: a run less the same run with `--feeds 0`
(imports and deployment). For example, a worker's warm repeats: `worker --jobs 500` less `worker --jobs 75`.

    PYTHONHASHSEED=0 valgrind --tool=callgrind .venv/bin/python bench/poll_shares.py worker --jobs 500
"""

from __future__ import annotations

import argparse
import hashlib
import pickle
import sqlite3
import tempfile
from concurrent.futures import Future
from datetime import UTC, datetime, timedelta
from pathlib import Path

import bench_poll  # (puts this tree first on sys.path)
from loopback import host_address

from feeds.app import App
from feeds.fetch import Fetched, Validators
from feeds.watch import parsejobs
from feeds.watch.check import check_batch
from feeds.watch.matching import Matchers
from feeds.watch.poll import current_matchers
from feeds.workers import Job

PORT = 40123
NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def _urls(feeds: int, hosts: int) -> list[str]:
    return [f"http://{host_address(n * hosts // max(feeds, 1))}:{PORT}/feed/{n}" for n in range(feeds)]


def _deploy(folder: Path, feeds: int, hosts: int) -> tuple[App, Matchers]:
    bench_poll.utc_now = lambda: NOW  # type: ignore[attr-defined]  # (deploy's clock)
    app, _ = bench_poll.deploy(folder, _urls(feeds, hosts), 16)
    matchers = current_matchers(app, app.clock(), app.store.rules())
    return app, matchers


def _bodies(corpus: Path) -> list[tuple[bytes, str]]:
    media = bench_poll._MEDIA
    return [(body, media.get(Path(name).suffix, "application/rss+xml")) for name, body in bench_poll._corpus(corpus)]


def _jobs(app: App, corpus: Path) -> list[bytes]:
    bodies = _bodies(corpus)
    rows = sorted(app.store.feeds(), key=lambda f: f.id)
    jobs = []
    for n, feed in enumerate(rows):
        body, media = bodies[n % len(bodies)]
        jobs.append(pickle.dumps((body, feed.url, media, None, feed, None)))  # (no charset: bench_poll sends none)
    return jobs


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("share", choices=("worker", "answers", "store"))
    parser.add_argument("file", nargs="?", help="answers: where to write them; store: where to read them")
    parser.add_argument("--jobs", type=int, default=500, help="worker: how many of its jobs to do (default 500)")
    parser.add_argument("--feeds", type=int, default=1000, help="store: how many feeds to store (default 1000)")
    parser.add_argument("--dump", help="store: write the stored rows here")
    parser.add_argument("--corpus", type=Path, default=bench_poll.ROOT.parent / "shared" / "corpus" / "feeds")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="poll-shares-") as tmp:
        app, matchers = _deploy(Path(tmp), 1000, 100)
        if args.share in ("worker", "answers"):
            jobs = _jobs(app, args.corpus)
            spec = pickle.dumps(matchers.spec)
            app.close()
            parsejobs._install(pickle.loads(spec))
            if args.share == "answers":
                answers = [pickle.dumps(parsejobs.parse_job(*pickle.loads(job))) for job in jobs]
                Path(args.file).write_bytes(pickle.dumps(answers))
                return
            sent = sum(len(pickle.dumps(parsejobs.parse_job(*pickle.loads(job)))) for job in jobs[0::2][: args.jobs])
            print(f"{min(args.jobs, len(jobs[0::2]))} jobs, {sent:,} bytes of answers")
            return
        _store(app, matchers, pickle.loads(Path(args.file).read_bytes())[: args.feeds], args.corpus)
        print(f"{args.feeds} feeds, {app.store.count_items():,} items stored")
        if args.dump:
            _dump(Path(tmp) / "state" / "feeds.db", Path(args.dump))


def _store(app: App, matchers: Matchers, answers: list[bytes], corpus: Path) -> None:
    # (each file's digests once: the fetch client's sha256 of a body, the server's ETag, are no part of the store)
    bodies = [
        (body, media, hashlib.sha256(body).hexdigest(), hashlib.sha1(body).hexdigest()[:12])
        for body, media in _bodies(corpus)
    ]
    now = app.clock()
    claimed = sorted(app.store.claim_due(now, limit=1000, owner="w", lease=timedelta(minutes=10)), key=lambda f: f.id)
    app.store.item_hashes([f.id for f in claimed])  # (as the round reads them when the first body goes out)
    pending = []
    for n, (feed, answer) in enumerate(zip(claimed, answers, strict=False)):
        body, media, sha256, sha1 = bodies[n % len(bodies)]
        result = Fetched(
            url=feed.url,
            requested_url=feed.url,
            status=200,
            body=body,
            sha256=sha256,
            content_type=media,
            encoding=None,
            validators=Validators(f'"{n}-{sha1}"', bench_poll.LAST_MODIFIED),
            fetched_at=now,
            fresh_until=None,
            permanent_redirect=None,
            headers=(),
        )
        done: Future[parsejobs.Parsed | str] = Future()
        done.set_result(pickle.loads(answer))
        pending.append((feed, result, Job(parsejobs.parse_job, (), None, done)))
    start, size = 0, 1
    while start < len(pending):
        check_batch(app, pending[start : start + size], matchers, owner="w")
        start, size = start + size, 5 - size


def _dump(db: Path, out: Path) -> None:
    con = sqlite3.connect(db)
    with out.open("w") as f:
        for table, order in (("items", "feed_id, key"), ("matches", "1"), ("watched_feeds", "1")):
            f.write(f"{table} {[r[1] for r in con.execute(f'PRAGMA table_info({table})')]}\n")
            for row in con.execute(f"SELECT * FROM {table} ORDER BY {order}"):
                f.write(f"{row!r}\n")
    con.close()


if __name__ == "__main__":
    main()
