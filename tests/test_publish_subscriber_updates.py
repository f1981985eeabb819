"""What a subscriber's reader sees of a release over months of corrections, re-titles, re-topics, withdrawals and a
domain move: the site published again and again under an injected clock, its feeds compared byte for byte between
publishes, and served by `feeds serve`'s static site with conditional GETs.

A reader (Feedly, NetNewsWire, Thunderbird, Miniflux) polling every 30 minutes keys entries by their id, shows
`updated` as an edit, follows links it saved, and revalidates with ETag / Last-Modified.
"""

from __future__ import annotations

import json
import re
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from wsgiref.util import setup_testing_defaults

from lxml import etree

from feeds.clock import rfc3339
from feeds.ingest.withdraw import restore_release, withdraw_release
from feeds.publish.marks import ID_DOMAIN
from feeds.publish.sitefeeds import feed_id
from feeds.web.static import StaticSite
from tests.test_publish_site import ATOM, Site, make_site, mtimes, tree_bytes  # noqa: F401  (the fixture)

FEEDS = ("atom.xml", "rss.xml", "feed.json")


def entries(out: Path, folder: str = "") -> dict[str, dict[str, tuple[str, ...]]]:
    """Each feed format's entries, by format, as (id, link, published, updated, title) by id: the three formats
    must agree on every one."""
    atom = etree.parse(str(out / folder / "atom.xml")).getroot()
    rss = etree.parse(str(out / folder / "rss.xml")).getroot()
    doc = json.loads((out / folder / "feed.json").read_bytes())
    return {
        "atom": {
            e.findtext(f"{ATOM}id"): (
                e.find(f"{ATOM}link[@rel='alternate']").get("href"),
                e.findtext(f"{ATOM}published"),
                e.findtext(f"{ATOM}updated"),
                e.findtext(f"{ATOM}title"),
            )
            for e in atom.findall(f"{ATOM}entry")
        },
        "rss": {
            i.findtext("guid"): (i.findtext("link"), i.findtext("pubDate"), i.findtext("title"))
            for i in rss.iter("item")
        },
        "json": {i["id"]: (i["url"], i["date_published"], i["date_modified"], i["title"]) for i in doc["items"]},
    }


def feed_ids(out: Path) -> dict[str, str]:
    """Every Atom document's own id, by path."""
    return {
        p.relative_to(out).as_posix(): etree.parse(str(p)).getroot().findtext(f"{ATOM}id")
        for p in sorted(out.rglob("atom.xml"))
    }


def seeded(make_site) -> Site:  # noqa: F811
    site = make_site(seed=False)
    site.drop("ferry", "Ferry fares frozen", ["Transport"], "2026-11-02T09:30:00Z", body="Fares are frozne for a year.")
    site.drop("harbour", "Harbour works begin", ["Transport", "Coast"], "2026-11-03T09:30:00Z")
    site.ingest()
    site.publish()
    return site


def poll(site: Site, minutes: int = 30) -> None:
    site.clock.advance(timedelta(minutes=minutes))


def test_a_typo_fix_moves_the_entrys_updated_alone_and_a_publish_with_nothing_new_writes_nothing(make_site) -> None:  # noqa: F811
    site = seeded(make_site)
    before, times = tree_bytes(site.out), mtimes(site.out)
    was = entries(site.out)
    for _ in range(3):  # polls in between: the clock moves, nothing else
        poll(site)
        assert site.publish().changed == []
    assert mtimes(site.out) == times and tree_bytes(site.out) == before

    poll(site)
    site.drop("ferry", "Ferry fares frozen", ["Transport"], "2026-11-02T09:30:00Z", body="Fares are frozen for a year.")
    site.ingest()
    report = site.publish()
    now = entries(site.out)
    (ferry,) = [i for i in now["atom"] if i.endswith(":ferry-fares-frozen")]
    # The id, the link and `published` stay in every format; only `updated` (`date_modified`) moves, to the edit.
    for fmt in ("atom", "json"):
        assert now[fmt][ferry][:2] == was[fmt][ferry][:2] and now[fmt][ferry][3] == was[fmt][ferry][3], fmt
        assert now[fmt][ferry][2] > was[fmt][ferry][2], fmt
    assert now["rss"] == was["rss"] | {ferry: was["rss"][ferry]}  # (RSS has no entry `updated`)
    assert set(now["atom"]) == set(now["rss"]) == set(now["json"])
    feed = etree.parse(str(site.out / "atom.xml")).getroot()
    assert feed.findtext(f"{ATOM}updated") == now["atom"][ferry][2], "the feed moves on with its entry"
    changed = {p for p in tree_bytes(site.out) if tree_bytes(site.out)[p] != before.get(p)}
    assert changed == set(report.written)
    assert {f"topics/coast/{n}" for n in FEEDS}.isdisjoint(report.written), "a feed without it is left alone"
    times = mtimes(site.out)
    poll(site)
    assert site.publish().changed == [] and mtimes(site.out) == times


def test_a_retitled_release_keeps_its_id_and_its_address(make_site) -> None:  # noqa: F811
    """Whether the slug is derived from the title or given (and given anew): the release keeps its slug, so a
    subscriber's saved link still leads to it, and its id, so no reader shows it twice."""
    site = seeded(make_site)
    was = entries(site.out)
    poll(site)
    site.drop("ferry", "Ferry fares frozen until 2028", ["Transport"], "2026-11-02T09:30:00Z", slug="fares-2028")
    site.ingest()
    report = site.publish()
    now = entries(site.out)
    assert set(now["atom"]) == set(was["atom"])
    (ferry,) = [i for i in now["atom"] if i.endswith(":ferry-fares-frozen")]
    assert now["atom"][ferry][0] == was["atom"][ferry][0] == "https://press.example.org/releases/ferry-fares-frozen/"
    assert now["atom"][ferry][3] == "Ferry fares frozen until 2028"
    assert report.removed == [] and not (site.out / "releases/fares-2028").exists()


def test_a_topic_left_by_its_last_release_and_a_withdrawal_keep_every_address_answering(make_site) -> None:  # noqa: F811
    site = seeded(make_site)
    harbour = next(i for i in entries(site.out)["atom"] if i.endswith(":harbour-works-begin"))
    poll(site)
    site.drop("harbour", "Harbour works begin", ["Transport"], "2026-11-03T09:30:00Z")
    site.ingest()
    report = site.publish()
    assert report.removed == []
    assert entries(site.out, "topics/coast") == {"atom": {}, "rss": {}, "json": {}}
    assert harbour in entries(site.out, "topics/transport")["atom"]

    poll(site)
    withdraw_release(site.app, "harbour-works-begin", "Issued in error.")
    site.publish()
    shown = entries(site.out)
    assert shown["atom"][harbour][3] == "[Withdrawn] Harbour works begin" == shown["json"][harbour][3]
    assert shown["atom"][harbour][2] == rfc3339(site.clock()), "dated by the withdrawal: readers see a change"
    poll(site)
    restore_release(site.app, "harbour-works-begin")
    site.publish()
    again = entries(site.out)
    assert again["atom"][harbour][3] == "Harbour works begin"
    assert again["atom"][harbour][2] > shown["atom"][harbour][2], "restored: a newer change again"
    assert again["atom"][harbour][:2] == shown["atom"][harbour][:2]


def test_a_site_moved_to_another_domain_keeps_its_feeds_ids(make_site) -> None:  # noqa: F811
    """Without `id_domain` in the config, the ids' domain is `base_url`'s host: a site moved to another domain gave
    every feed a new Atom id (RFC 4287: permanent), while its entries kept theirs. The feeds keep the domain the
    site first published under; their self links move with the site."""
    site = seeded(make_site)
    ids = feed_ids(site.out)
    assert {"atom.xml", "topics/transport/atom.xml", "topics/coast/atom.xml"} <= set(ids)
    was = entries(site.out)
    moved = "https://news.example.gov.uk/press/"
    site.app.settings = replace(site.settings, site=replace(site.settings.site, base_url=moved))
    site.publish()
    assert feed_ids(site.out) == ids
    now = entries(site.out)
    assert set(now["atom"]) == set(was["atom"])
    assert all(link.startswith(moved) for link, *_ in now["atom"].values())
    self_link = etree.parse(str(site.out / "atom.xml")).getroot().find(f"{ATOM}link[@rel='self']").get("href")
    assert self_link == moved + "atom.xml"
    assert json.loads((site.out / "feed.json").read_bytes())["feed_url"] == moved + "feed.json"

    # A site published by a version that did not keep the domain, and moved since, keeps the ids it has now.
    assert site.app.store.forget_published_feed(ID_DOMAIN)
    site.publish()
    assert feed_ids(site.out) != ids
    assert feed_ids(site.out)["atom.xml"] == feed_id("news.example.gov.uk", "main")
    ids = feed_ids(site.out)
    site.app.settings = replace(site.settings, site=replace(site.settings.site, base_url="https://n.example/"))
    site.publish()
    assert feed_ids(site.out) == ids

    # `id_domain` set in the config is the office's word.
    site.app.settings = replace(site.settings, site=replace(site.settings.site, base_url=moved, id_domain="x.example"))
    site.publish()
    assert feed_ids(site.out) != ids


def _get(app: StaticSite, path: str, **headers: str) -> tuple[str, dict[str, str]]:
    env: dict[str, object] = {"PATH_INFO": path, **{f"HTTP_{k.upper()}": v for k, v in headers.items()}}
    setup_testing_defaults(env)
    seen: dict[str, object] = {}

    def start_response(status: str, hs: list[tuple[str, str]]) -> None:
        seen["status"], seen["headers"] = status, {k.lower(): v for k, v in hs}

    b"".join(app(env, start_response))
    return str(seen["status"]), seen["headers"]  # type: ignore[return-value]


def test_a_reader_revalidating_each_feed_gets_304_until_it_changes(make_site) -> None:  # noqa: F811
    site = seeded(make_site)
    server = StaticSite(site.out, now_ns=lambda: 10**19)  # (files stood unchanged long enough to carry a date)
    paths = [p.relative_to(site.out).as_posix() for p in site.out.rglob("*") if p.name in FEEDS]
    first = {p: _get(server, "/" + p)[1] for p in paths}
    etags = {p: h["etag"] for p, h in first.items()}
    poll(site)
    site.publish()
    for p in paths:
        status, headers = _get(server, "/" + p, if_none_match=etags[p])
        assert status.startswith("304") and headers["last-modified"] == first[p]["last-modified"], p
    poll(site)
    site.drop("ferry", "Ferry fares frozen", ["Transport"], "2026-11-02T09:30:00Z", body="Fares are frozen for a year.")
    site.ingest()
    written = set(site.publish().written)
    for p in paths:
        status, headers = _get(server, "/" + p, if_none_match=etags[p])
        assert status.startswith("200" if p in written else "304"), p
        assert (headers["etag"] != etags[p]) == (p in written), p
        if p not in written:
            assert headers["last-modified"] == first[p]["last-modified"], p
    assert re.search(r"topics/transport/atom\.xml", " ".join(written))


def test_a_withdrawal_of_an_older_release_reaches_the_subscribers_of_its_topic(make_site) -> None:  # noqa: F811
    """A topic feed holds its newest `entries`: a withdrawal (or a correction) of a release that had slid out of it
    reached the main feed's subscribers (its current document shows the last updated too) but never the topic's,
    whose readers went on showing the release as it stood. Like the main feed, it shows the last updated too."""
    site = make_site("\n[publish]\nentries = 2\n", seed=False)
    for i in range(4):
        site.drop(f"t{i}", f"Timetable change number {i}", ["Transport"], f"2026-11-{i + 2:02d}T09:30:00Z")
    site.ingest()
    site.publish()
    oldest = next(r for r in site.app.store.releases() if r.slug == "timetable-change-number-0")
    assert oldest.id not in entries(site.out, "topics/transport")["atom"]
    poll(site)
    withdraw_release(site.app, oldest.slug, "Issued in error.")
    site.publish()
    for folder in ("", "topics/transport"):
        shown = entries(site.out, folder)
        for fmt in ("atom", "rss", "json"):
            assert oldest.id in shown[fmt], (folder, fmt)
        assert shown["atom"][oldest.id][3] == "[Withdrawn] Timetable change number 0", folder
        assert len(shown["atom"]) == 3, "the newest two, and the one withdrawn"
    assert_unchanged_again(site)


def assert_unchanged_again(site: Site) -> None:
    times = mtimes(site.out)
    poll(site)
    assert site.publish().changed == [] and mtimes(site.out) == times


def test_a_public_release_re_dated_later_leaves_every_complete_archive_as_published(make_site) -> None:  # noqa: F811
    """Archives are cut in the order releases went public (`Store.release_archive_order`): stored, or when their
    embargo lifted, told apart by `published` > first ingest. A public release whose source corrects its
    publication to a later time (still past) reads as one that was under embargo until then, moves in that order,
    and every archive from there on changes, though each said it was complete (`fh:archive`)."""
    site = make_site("\n[publish]\nentries = 2\n", seed=False)
    for i in range(6):
        site.drop(f"r{i}", f"Weekly note number {i}", [], f"2026-11-{i + 2:02d}T09:30:00Z")
        site.ingest()
    site.publish()

    def archived() -> dict[str, set[str]]:  # (within a document, the corrected entry may move: newest first)
        docs = sorted((site.out / "archive").rglob("atom.xml"))
        return {
            p.parent.name: {e.findtext(f"{ATOM}id") for e in etree.parse(str(p)).iter(f"{ATOM}entry")} for p in docs
        }

    before = archived()
    assert len(before) == 2
    poll(site, 60)
    site.drop("r0", "Weekly note number 0", [], rfc3339(site.clock() - timedelta(minutes=5)))  # a time corrected
    site.ingest()
    site.publish()
    assert archived() == before
