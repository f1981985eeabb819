"""The command line around organisation succession (`[organisations.succeeded_by]`).

`feeds check-config` shows what the table resolves to (each chain to its current name), as it shows the other
resolved settings; `feeds organisations forget` on an old name that still has releases says why it is refused and
what to do instead (nothing: its releases keep their organisation, its feed stays for its subscribers).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from feeds.cli import cli
from tests.conftest import BASE_CONFIG

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


@pytest.fixture
def config(tmp_path) -> Path:
    (tmp_path / "inbox").mkdir()
    path = tmp_path / "feeds.toml"
    path.write_text(BASE_CONFIG, encoding="utf-8")
    return path


def run(config: Path, *args: str):
    return CliRunner().invoke(cli, ["--config", str(config), *args], catch_exceptions=False)


def test_check_config_shows_the_succession_table_with_chains_resolved(config) -> None:
    plain = run(config, "check-config")
    assert plain.exit_code == 0 and "renamed" not in plain.output, "no table: no line"
    assert json.loads(run(config, "check-config", "--json").output)["organisations"] == {"succeeded_by": []}

    config.write_text(BASE_CONFIG + TABLE, encoding="utf-8")
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
