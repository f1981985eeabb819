"""A press office bringing its past releases in (years of them, from its old website) to a site already live with
subscribers: what the main feed's readers get (RFC 5005: the current document and the archives).

A release stored after its publication (public elsewhere first) takes its place in the archives' order by its
publication, among the releases no archive holds yet (`Store.keep_went_public`): the back catalogue fills the
archives oldest first, and the current document, which readers poll, keeps the live releases.
"""

from __future__ import annotations

import itertools
from pathlib import Path

from lxml import etree

from tests.test_publish_archive_stability import archive_bytes, archived
from tests.test_publish_site import ATOM, Site, make_site, tree_bytes  # noqa: F401  (make_site: a fixture)


def current_ids(out: Path) -> set[str]:
    return {e.findtext(f"{ATOM}id") or "" for e in etree.parse(str(out / "atom.xml")).iter(f"{ATOM}entry")}


def published_of(out: Path, folder: str) -> list[str]:
    path = out / "archive" / folder / "atom.xml"
    return sorted(e.findtext(f"{ATOM}published") or "" for e in etree.parse(str(path)).iter(f"{ATOM}entry"))


def live(site: Site, count: int) -> None:
    for i in range(count):
        site.drop(f"live{i}", f"Harbour works update number {i}", ["Harbours"], f"2026-11-{i + 2:02d}T09:30:00Z")
        site.ingest()


def back_catalogue(site: Site, count: int) -> None:
    """`count` releases of 2021-2024, brought in at once (one folder, one ingest)."""
    for i in range(count):
        year, month = 2021 + i // 12 % 4, i % 12 + 1
        site.drop(f"old{i}", f"Coastal path notice {i}", ["Harbours"], f"{year}-{month:02d}-10T10:00:00Z")
    site.ingest()


def test_a_back_catalogue_fills_the_archives_oldest_first_and_leaves_the_current_document_to_the_live_releases(
    make_site,  # noqa: F811
) -> None:
    site = make_site("\n[publish]\nentries = 3\n", seed=False)
    live(site, 3)
    site.publish()
    subscribed = current_ids(site.out)
    back_catalogue(site, 12)
    preview = site.publish(dry_run=True)
    assert site.publish().changed == preview.changed, "--dry-run shows what the publish writes"
    assert current_ids(site.out) == subscribed, "readers polling the feed see none of 2021-2024 as new"
    docs = archived(site.out)
    assert len(docs) == 4
    years = [published_of(site.out, str(n)) for n in range(1, 5)]
    assert years[0][0].startswith("2021-01"), "the first archive holds the oldest releases"
    assert all(a[-1] <= b[0] for a, b in itertools.pairwise(years)), "archives follow publication"
    before = tree_bytes(site.out)
    back_catalogue(site, 12)  # the same import again
    assert site.publish().changed == []
    assert tree_bytes(site.out) == before


def test_a_back_catalogue_leaves_the_archives_published_before_as_they_were(make_site, db_url) -> None:  # noqa: F811
    site = make_site("\n[publish]\nentries = 2\n", seed=False, database_url=db_url)
    live(site, 7)
    site.publish()
    before, docs, subscribed = archived(site.out), archive_bytes(site.out), current_ids(site.out)
    assert len(before) == 2
    back_catalogue(site, 8)
    site.publish()
    after = archived(site.out)
    assert {k: after[k] for k in before} == before
    old = {k: v for k, v in docs.items() if not k.startswith("archive/2/")}  # (it gains its `next-archive` link)
    assert {k: archive_bytes(site.out)[k] for k in old} == old
    assert current_ids(site.out) == subscribed
    assert all(
        p.startswith(("2021", "2022", "2023", "2024")) for n in ("3", "4", "5", "6") for p in published_of(site.out, n)
    )
