"""The command line around organisation succession (`[organisations.succeeded_by]`).

`feeds check-config` shows what the table resolves to (each chain to its current name), as it shows the other
resolved settings; `feeds organisations forget` on an old name that still has releases says why it is refused and
what to do instead (nothing: its releases keep their organisation, its feed stays for its subscribers).
"""

from __future__ import annotations

import json

from click.testing import CliRunner

from feeds.cli import cli
from feeds.publish import run_publish
from tests.cli_watch_helpers import run
from tests.test_publish_site import make_site  # noqa: F401  (a fixture)

BIS, BEIS, DBT = (
    "Department for Business, Innovation & Skills",
    "Department for Business, Energy & Industrial Strategy",
    "Department for Business and Trade",
)
DFID, FCO, FCDO = (
    "Department for International Development",
    "Foreign and Commonwealth Office",
    "Foreign, Commonwealth & Development Office",
)
TABLE = (
    f'\n[organisations.succeeded_by]\n"{DFID}" = "{FCDO}"\n"{BEIS}" = "{DBT}"\n"{FCO}" = "{FCDO}"\n"{BIS}" = "{BEIS}"\n'
)


def test_check_config_shows_the_succession_table_with_chains_resolved(config) -> None:
    plain = run(config, "check-config")
    assert plain.exit_code == 0 and "renamed" not in plain.output, "no table: no line"
    assert json.loads(run(config, "check-config", "--json").output)["organisations"] == {"succeeded_by": []}

    config.write_text(config.read_text(encoding="utf-8") + TABLE, encoding="utf-8")
    r = run(config, "check-config")
    assert r.exit_code == 0, r.output
    # One line per chain, from its first name to the name it is known by today, in the file's order.
    renamed = [line for line in r.output.splitlines() if line.startswith("  renamed   ")]
    assert renamed == [
        f"  renamed   {DFID} → {FCDO}",
        f"  renamed   {FCO} → {FCDO}",
        f"  renamed   {BIS} → {BEIS} → {DBT}",
    ], "BEIS is within BIS's chain"
    data = json.loads(run(config, "check-config", "--json").output)
    by_name = {o["name"]: o for o in data["organisations"]["succeeded_by"]}
    assert list(by_name) == [DFID, BEIS, FCO, BIS], "every pair, in the file's order"
    assert by_name[BIS] == {"name": BIS, "succeeded_by": BEIS, "current": DBT, "chain": [BIS, BEIS, DBT]}
    assert by_name[BEIS] == {"name": BEIS, "succeeded_by": DBT, "current": DBT, "chain": [BEIS, DBT]}
    assert by_name[DFID]["current"] == FCDO


def test_forgetting_an_old_name_with_releases_says_it_is_succeeded_and_what_to_do(
    make_site,  # noqa: F811
    make_settings,
    make_app_for,
) -> None:
    site = make_site(seed=False)
    site.drop("d1", "Aid for flood relief", [], "2020-06-01T09:00:00Z", organisation=DFID)
    site.drop("n1", "New department opens", [], "2020-09-02T09:00:00Z", organisation=FCDO)
    site.drop("p1", "Harbour dues", [], "2020-08-01T09:00:00Z", organisation="Ministry of Ports")
    site.ingest()
    settings = make_settings(f'\n[organisations.succeeded_by]\n"{DFID}" = "{FCDO}"\n')
    run_publish(make_app_for(settings))
    r = CliRunner().invoke(cli, ["--config", str(settings.path), "organisations", "forget", DFID])
    assert r.exit_code == 1
    message = " ".join(r.output.split())
    assert "1 release is still from the organisation Department for International Development" in message
    assert f"{DFID} is succeeded by {FCDO}" in message
    assert "its releases keep their organisation" in message
    assert f"its feed goes on for its subscribers with {FCDO}'s releases" in message
    assert "nothing to forget" in message
    assert (site.settings.paths.out / "organisations/department-for-international-development/atom.xml").exists()
    # A name the table does not name is refused as before.
    r = CliRunner().invoke(cli, ["--config", str(settings.path), "organisations", "forget", "Ministry of Ports"])
    assert r.exit_code == 1 and "succeeded" not in r.output and "send it again from another" in r.output
