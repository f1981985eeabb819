"""Faults: the daemon (`python -m feeds run`, a real subprocess) killed with SIGKILL at random moments while it
ingests a drop folder, polls watched feeds and publishes, then restarted, round after round (`--chaos-rounds`).

Every round brings new work (releases, a rejected file or two, a file that re-sends an earlier release, new
watched feeds in the config), starts the daemon and kills it after a random delay (seeded): during start-up and
migration, in the middle of an ingest batch, a poll, a publish. A last start lets it finish; then:

- every release was ingested exactly once (one row per source_key, no `-2` slugs from a second copy);
- every dropped file is in processed/ or rejected/ (with its .error.txt), none left, none doubled;
- every item of every watched feed is stored once, and every failing feed has its error on its row;
- out/ is complete and valid (every XML parses, every Atom document passes the RFC 4287 structural check, every
  JSON parses, no leftover of an interrupted write) and a fresh publish would change nothing;
- SQLite's `PRAGMA integrity_check` says ok, and the daemon exits 0 on SIGTERM.
"""

from __future__ import annotations

import re
import time
from pathlib import Path

import pytest

from tests.chaos.conftest import record
from tests.chaos.deploy import Deployment, release_json, wait_until
from tests.chaos.feedserver import FeedServer
from tests.chaos.outcheck import listing_problems, problems_in

ITEMS = 8
RELEASES_PER_ROUND = 25
FEEDS_PER_ROUND = 5


@pytest.fixture
def server():
    with FeedServer(items=ITEMS, delay=0.05, max_seconds=10) as s:
        yield s


def test_sigkill_at_random_moments_loses_and_doubles_nothing(tmp_path: Path, server, rng, chaos_rounds) -> None:
    dep = Deployment(tmp_path / "site")
    good: list[str] = []
    bad: list[str] = []
    keys: set[str] = set()
    good_feeds: list[str] = []
    bad_feeds: list[str] = []
    kills: list[float] = []
    n = 0
    try:
        for rnd in range(chaos_rounds):
            for _ in range(RELEASES_PER_ROUND):
                n += 1
                name = f"r{n:05d}.json"
                dep.drop(name, release_json(n))
                good.append(name)
                keys.add(f"chaos-{n}")
            again = f"again-{rnd}.json"  # the very same release as an earlier file: unchanged, not doubled
            dep.drop(again, release_json(rng.randint(1, n)))
            good.append(again)
            for name, data in ((f"bad-{rnd}-a.json", b'{"title": "cut'), (f"bad-{rnd}-b.json", b'{"body": "x"}')):
                dep.drop(name, data)
                bad.append(name)
            good_feeds += [server.url("good", f"f{rnd}-{i}") for i in range(FEEDS_PER_ROUND)]
            bad_feeds.append(server.url("5xx", f"down-{rnd}"))
            dep.feed_urls = good_feeds + bad_feeds
            dep.write_config()
            proc = dep.start()
            moment = rng.uniform(0.2, 3.5)
            time.sleep(moment)
            assert proc.poll() is None, f"the daemon exited by itself ({proc.returncode}): see {dep.log}"
            dep.kill(proc)
            kills.append(round(moment, 2))

        proc = dep.start()
        expected_items = ITEMS * len(good_feeds)

        def caught_up() -> bool:
            return (
                not dep.pending()
                and dep.query("SELECT COUNT(*) FROM releases") == [(len(keys),)]
                and dep.query("SELECT COUNT(*) FROM items") == [(expected_items,)]
                and dep.query("SELECT COUNT(*) FROM watched_feeds WHERE last_checked IS NULL") == [(0,)]
            )

        wait_until(caught_up, 60, "the daemon to ingest, poll and store everything")
        wait_until(lambda: not dep.publish_would_change(), 30, "the daemon to publish everything", interval=0.5)
        code = dep.stop(proc)
    finally:
        dep.close()
    record("daemon kills: rounds survived", chaos_rounds)
    record("daemon kills: files dropped", len(good) + len(bad))
    record("daemon kills: kill moments (s after start)", kills)

    assert code == 0, f"the daemon did not exit cleanly on SIGTERM ({code}): see {dep.log}"
    # No job may crash (store writes begin IMMEDIATE, so SQLite's snapshot conflicts wait instead of failing).
    log = dep.log.read_text(encoding="utf-8", errors="replace")
    crashes = [block[:2000] for block in log.split("Traceback")[1:]]
    assert not crashes, f"a job crashed: see {dep.log}\n{crashes[0]}"

    # Releases: exactly one row per source_key, and no slug suffix from a second copy of one.
    rows = dep.query("SELECT identity, slug FROM releases")
    assert sorted(str(i) for i, _ in rows) == sorted(f"key:{k}" for k in keys)
    assert not [s for _, s in rows if re.search(r"-\d+$", str(s)) and not str(s).endswith(tuple("0123456789"))]
    slugs = [str(s) for _, s in rows]
    assert len(set(slugs)) == len(slugs)
    assert all(re.fullmatch(r"harbour-notice-\d+-berth-works-at-quay-\d", s) for s in slugs), slugs

    # Files: every one moved exactly once, to the right place.
    assert dep.pending() == []
    assert dep.settled("processed") == sorted(good)
    rejected = dep.settled("rejected")
    assert [f for f in rejected if not f.endswith(".error.txt")] == sorted(bad)
    assert sorted(f for f in rejected if f.endswith(".error.txt")) == sorted(f"{b}.error.txt" for b in bad)

    # Watched feeds: every item once; every failure on its row.
    per_feed = dict(
        dep.query("SELECT f.url, COUNT(i.id) FROM watched_feeds f LEFT JOIN items i ON i.feed_id = f.id GROUP BY f.url")
    )
    assert {u: per_feed.get(u) for u in good_feeds} == dict.fromkeys(good_feeds, ITEMS)
    assert dep.query("SELECT feed_id, key FROM items GROUP BY feed_id, key HAVING COUNT(*) > 1") == []
    for url in bad_feeds:
        ((status, error, failures),) = dep.query(
            "SELECT last_status, last_error, failures FROM watched_feeds WHERE url = ?", url
        )
        assert str(status).startswith("5") and error and int(failures) >= 1, (url, status, error)

    # out/: complete and valid, and current.
    assert problems_in(dep.out) == []
    # The current feed and its RFC 5005 archives together list every release, each archived at most once.
    assert listing_problems(dep.out, [str(i) for (i,) in dep.query("SELECT id FROM releases")]) == []
    assert dep.publish_would_change() == []
    assert dep.integrity() == "ok"
