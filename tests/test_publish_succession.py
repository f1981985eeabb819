"""Organisation succession (`[organisations.succeeded_by]`): a renamed or merged organisation's feeds go on.

A press office's organisations get renamed and merged (the Department for International Development and the
Foreign and Commonwealth Office became the Foreign, Commonwealth & Development Office). Before the table, each old
name was a feed of its own, offered beside the current ones, whose subscribers silently stopped getting the
department's releases. What a subscriber and the office rely on now: an old name's feed keeps its id and address
and carries its successor's releases from its own last one on; the successor's feed is the department's whole
history; the index, the OPML list and `feeds organisations` offer current names only; a release keeps the
organisation it was published under; the bytes are stable.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree

from feeds.cli import cli
from feeds.config import load_settings
from feeds.errors import ConfigError
from feeds.publish import run_publish
from tests.conftest import BASE_CONFIG
from tests.test_publish_site import (  # noqa: F401  (make_site: a fixture)
    ATOM,
    BASE_URL,
    Site,
    assert_unchanged_again_and_from_scratch,
    make_site,
    parse_ok,
    tree_bytes,
)

DFID = "Department for International Development"
FCO = "Foreign and Commonwealth Office"
FCDO = "Foreign, Commonwealth & Development Office"
PORTS = "Ministry of Ports"
SUCCESSION = f'\n[organisations.succeeded_by]\n"{DFID}" = "{FCDO}"\n"{FCO}" = "{FCDO}"\n'
DFID_DIR, FCO_DIR = (
    "organisations/department-for-international-development",
    "organisations/foreign-and-commonwealth-office",
)
FCDO_DIR = "organisations/foreign-commonwealth-and-development-office"


def seed_departments(make_site: Callable[..., Site]) -> Site:  # noqa: F811
    """DFID's and FCO's releases before the merger, FCDO's after, and Ports's, ingested."""
    site = make_site(seed=False)
    site.drop("d1", "Aid for flood relief", [], "2020-06-01T09:00:00Z", organisation=DFID)
    site.drop("f1", "Embassy reopens", [], "2020-05-01T09:00:00Z", organisation=FCO)
    site.drop("f2", "Consular advice updated", [], "2020-07-01T09:00:00Z", organisation=FCO)
    site.drop("n1", "New department opens", [], "2020-09-02T09:00:00Z", organisation=FCDO)
    site.drop("n2", "Aid budget announced", [], "2020-10-01T09:00:00Z", organisation=FCDO)
    site.drop("p1", "Harbour dues", [], "2020-08-01T09:00:00Z", organisation=PORTS)
    site.ingest()
    return site


def _titles(path: Path) -> list[str]:
    return [e.title for e in parse_ok(path).entries]


def _with_succession(site: Site, make_settings, make_app_for, extra: str = SUCCESSION) -> Site:
    settings = make_settings(extra)
    return Site(settings, make_app_for(settings), site.clock)


def test_an_old_names_feed_goes_on_with_its_successors_releases_and_keeps_its_id(
    make_site,  # noqa: F811
    make_settings,
    make_app_for,
) -> None:
    site = seed_departments(make_site)
    site.publish()
    before = tree_bytes(site.out)
    dfid_id = etree.parse(str(site.out / DFID_DIR / "atom.xml")).getroot().findtext(f"{ATOM}id")
    assert _titles(site.out / DFID_DIR / "atom.xml") == ["Aid for flood relief"], "a feed per name, before"

    site = _with_succession(site, make_settings, make_app_for)
    report = site.publish()
    # The successor's feed is the department's whole history: its own releases and its predecessors'.
    assert _titles(site.out / FCDO_DIR / "atom.xml") == [
        "Aid budget announced",
        "New department opens",
        "Consular advice updated",
        "Aid for flood relief",
        "Embassy reopens",
    ]
    # An old name's feed: its own releases, then its successor's from its own last one on (not FCO's of before).
    assert _titles(site.out / DFID_DIR / "atom.xml") == [
        "Aid budget announced",
        "New department opens",
        "Aid for flood relief",
    ]
    assert _titles(site.out / FCO_DIR / "atom.xml") == [
        "Aid budget announced",
        "New department opens",
        "Consular advice updated",
        "Embassy reopens",
    ]
    atom = etree.parse(str(site.out / DFID_DIR / "atom.xml")).getroot()
    assert atom.findtext(f"{ATOM}id") == dfid_id, "its own stable id"
    self_link = next(link.get("href") for link in atom.findall(f"{ATOM}link") if link.get("rel") == "self")
    assert self_link == f"{BASE_URL}{DFID_DIR}/atom.xml"
    # Entry ids never change: a release's entry is the same in every feed that carries it.
    ids = {e.findtext(f"{ATOM}title"): e.findtext(f"{ATOM}id") for e in atom.iter(f"{ATOM}entry")}
    fcdo = etree.parse(str(site.out / FCDO_DIR / "atom.xml")).getroot()
    assert all(
        ids[e.findtext(f"{ATOM}title")] == e.findtext(f"{ATOM}id")
        for e in fcdo.iter(f"{ATOM}entry")
        if e.findtext(f"{ATOM}title") in ids
    )
    # A release keeps the organisation it was published under, in the store and as its entry's author.
    d1 = next(r for r in site.app.store.releases() if r.title == "Aid for flood relief")
    assert d1.organisation == DFID
    entry = next(e for e in fcdo.iter(f"{ATOM}entry") if e.findtext(f"{ATOM}title") == "Aid for flood relief")
    assert entry.findtext(f"{ATOM}author/{ATOM}name") == DFID

    # Adding the table republished the affected feeds (and the lists offering them), nothing of Ports's.
    assert {f"{DFID_DIR}/atom.xml", f"{FCO_DIR}/atom.xml", f"{FCDO_DIR}/atom.xml", "index.html", "feeds.opml"} <= set(
        report.written
    )
    assert not any(p.startswith("organisations/ministry-of-ports/") for p in report.written)
    assert (
        tree_bytes(site.out)["organisations/ministry-of-ports/atom.xml"]
        == before["organisations/ministry-of-ports/atom.xml"]
    )
    assert_unchanged_again_and_from_scratch(site)


def test_the_index_opml_and_release_pages_offer_current_names_only(make_site, make_settings, make_app_for) -> None:  # noqa: F811
    site = _with_succession(seed_departments(make_site), make_settings, make_app_for)
    site.publish()
    for listed in ("index.html", "feeds.opml"):
        text = (site.out / listed).read_text(encoding="utf-8")
        assert f"{FCDO_DIR}/atom.xml" in text and "organisations/ministry-of-ports/atom.xml" in text, listed
        assert DFID_DIR not in text and FCO_DIR not in text, listed
    # A release page of an old name links its organisation's current feed.
    d1 = next(r for r in site.app.store.releases() if r.title == "Aid for flood relief")
    page = (site.out / "releases" / d1.slug / "index.html").read_text(encoding="utf-8")
    assert f"{BASE_URL}{FCDO_DIR}/atom.xml" in page and DFID_DIR not in page


def test_a_successor_with_no_release_of_its_own_yet_has_its_feed(make_site, make_settings, make_app_for) -> None:  # noqa: F811
    """Renamed today, before the new name's first release: its feed is offered with the department's history."""
    site = make_site(seed=False)
    site.drop(
        "b1", "Skills plan", [], "2016-01-01T09:00:00Z", organisation="Department for Business, Innovation & Skills"
    )
    site.drop("p1", "Harbour dues", [], "2016-02-01T09:00:00Z", organisation=PORTS)
    site.ingest()
    extra = (
        "\n[organisations.succeeded_by]\n"
        '"Department for Business, Innovation & Skills" = "Department for Business, Energy & Industrial Strategy"\n'
        '"Department for Business, Energy & Industrial Strategy" = "Department for Business and Trade"\n'
    )
    site = _with_succession(site, make_settings, make_app_for, extra)
    site.publish()
    current = site.out / "organisations/department-for-business-and-trade/atom.xml"
    assert _titles(current) == ["Skills plan"]
    assert not (site.out / "organisations/department-for-business-energy-and-industrial-strategy").exists()
    index = (site.out / "index.html").read_text(encoding="utf-8")
    assert "organisations/department-for-business-and-trade/atom.xml" in index
    assert "organisations/department-for-business-innovation-and-skills/" not in index


# --- config --------------------------------------------------------------------------------------------------


def _settings(tmp_path: Path, extra: str):
    (tmp_path / "inbox").mkdir(exist_ok=True)
    path = tmp_path / "feeds.toml"
    path.write_text(BASE_CONFIG + extra, encoding="utf-8")
    return load_settings(path, environ={})


def test_the_table_is_read_and_a_chain_resolves_to_the_last_name(tmp_path) -> None:
    s = _settings(
        tmp_path,
        '\n[organisations.succeeded_by]\n"BIS" = "BEIS"\n"BEIS" = "Department for Business and Trade"\n',
    )
    assert s.organisations.current("BIS") == "Department for Business and Trade"
    assert s.organisations.current("beis") == "Department for Business and Trade", "by the name's folder, as feeds"
    assert s.organisations.current("Ministry of Ports") == "Ministry of Ports"
    assert s.organisations.succeeded_by == (("BIS", "BEIS"), ("BEIS", "Department for Business and Trade"))


def test_a_cycle_is_refused_naming_file_key_and_line(tmp_path) -> None:
    with pytest.raises(ConfigError) as info:
        _settings(tmp_path, '\n[organisations.succeeded_by]\n"A" = "B"\n"B" = "A"\n')
    text = str(info.value)
    assert "feeds.toml" in text and "organisations.succeeded_by" in text and "cycle" in text
    assert "A → B → A" in text
    assert info.value.line is not None


@pytest.mark.parametrize(
    ("extra", "message"),
    [
        ("\n[organisations]\nrenamed = {}\n", "unknown key"),
        ('\n[organisations.succeeded_by]\n"A" = 3\n', "must be"),
        ('\n[organisations.succeeded_by]\n"A" = "a"\n', "itself"),
        ('\n[organisations.succeeded_by]\n"A" = " "\n', "must be"),
        ('\n[organisations.succeeded_by]\n"DfID" = "FCDO"\n"DFID" = "FCDO"\n', "same organisation"),
    ],
)
def test_a_bad_table_is_refused(tmp_path, extra: str, message: str) -> None:
    with pytest.raises(ConfigError, match=re.escape(message)):
        _settings(tmp_path, extra)


# --- feeds organisations ---------------------------------------------------------------------------------------


def test_feeds_organisations_lists_current_names_and_says_now_x_of_old_ones(
    make_site,  # noqa: F811
    make_settings,
    make_app_for,
) -> None:
    site = _with_succession(seed_departments(make_site), make_settings, make_app_for)
    run_publish(site.app)
    config = site.settings.path
    text = CliRunner().invoke(cli, ["--config", str(config), "organisations"], catch_exceptions=False)
    assert text.exit_code == 0, text.output
    lines = text.output.splitlines()
    assert any(line.startswith(FCDO) for line in lines) and any(line.startswith(PORTS) for line in lines)
    assert not any(line.startswith((DFID, FCO)) for line in lines), "current names only"
    assert f"  formerly {DFID}  (1 release, now {FCDO})" in lines
    assert f"  formerly {FCO}  (2 releases, now {FCDO})" in lines
    assert f"{FCDO}  {FCDO_DIR}/  5 releases" in lines, "the department's releases under every name"
    js = CliRunner().invoke(cli, ["--config", str(config), "organisations", "--json"], catch_exceptions=False)
    listed = {o["name"]: o for o in json.loads(js.output)}
    assert listed[DFID]["succeeded_by"] == FCDO and listed[DFID]["current"] == FCDO
    assert listed[FCDO]["succeeded_by"] is None and listed[FCDO]["releases"] == 2
    assert listed[FCDO]["path"] == f"{FCDO_DIR}/"
    assert listed[PORTS] == {
        "name": PORTS,
        "slug": "ministry-of-ports",
        "path": "organisations/ministry-of-ports/",
        "releases": 1,
        "succeeded_by": None,
        "current": PORTS,
    }
