"""The real `feeds` command (`python -m feeds` in a subprocess) on a server with an odd locale: cron's bare
environment with an ASCII locale and Python's UTF-8 mode off, where the words typed on the command line arrive
as bytes the locale cannot read. A name, query or slug given in Cyrillic must still be that name, not a traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import BASE_CONFIG

ASCII_LOCALE = {"LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"}
"""An ASCII locale that Python does not turn into UTF-8 (cron on a minimal server, PYTHONUTF8=0)."""


@pytest.fixture
def config(tmp_path: Path) -> Path:
    (tmp_path / "inbox").mkdir()
    path = tmp_path / "feeds.toml"
    path.write_text(BASE_CONFIG, encoding="utf-8")
    return path


def feeds(config: Path, *args: str | bytes, locale: dict[str, str] | None = None) -> subprocess.CompletedProcess:
    """Run the real command with only the environment given (no PYTHONIOENCODING): bytes out, bytes err."""
    env = {"PATH": os.environ.get("PATH", ""), **(locale or {"LC_ALL": "C.UTF-8"})}
    return subprocess.run(
        [sys.executable, "-m", "feeds", "--config", str(config), *args], capture_output=True, env=env, timeout=60
    )


def test_a_cyrillic_rule_name_typed_under_an_ascii_locale_is_that_name(config):
    added = feeds(config, "keywords", "add", "Москва", "--name", "Москва", locale=ASCII_LOCALE)
    assert added.returncode == 0, added.stderr.decode()
    listed = feeds(config, "keywords", "list", "--json")
    assert [r["name"] for r in json.loads(listed.stdout)] == ["Москва"]


def test_an_unknown_cyrillic_slug_under_an_ascii_locale_is_one_error_line(config):
    feeds(config, "db", "migrate")
    shown = feeds(config, "releases", "show", "министр", locale=ASCII_LOCALE)
    assert shown.returncode == 1
    assert b"Traceback" not in shown.stderr
    # (click writes UTF-8 to a stream whose locale says ASCII)
    assert shown.stderr.decode("utf-8").splitlines() == ["error: no release with id or slug 'министр'"]


def test_a_file_name_misread_by_an_ascii_locale_is_refused_naming_the_locale(config, tmp_path):
    """Python reads file names in the locale's encoding: under an ASCII one, the UTF-8 name `café.txt` arrives as
    bytes it cannot read. The file is refused (kept, with why) naming the cause and the cure, not called badly
    named; a name that is not UTF-8 is still said to be so."""
    (tmp_path / "inbox" / "café.txt").write_text("Cafe prices frozen\n\nBody.\n", encoding="utf-8")
    ingested = feeds(config, "ingest", "--json", str(tmp_path / "inbox" / "café.txt"), locale=ASCII_LOCALE)
    assert ingested.returncode == 1
    (outcome,) = json.loads(ingested.stdout)["outcomes"]
    assert "café.txt: this Python reads file names as ascii, not UTF-8" in outcome["error"]
    assert "LANG=C.UTF-8 or PYTHONUTF8=1" in outcome["error"]
    rejected = tmp_path / "inbox" / "rejected"
    assert (rejected / "café.txt").exists() and "PYTHONUTF8=1" in (rejected / "café.txt.error.txt").read_text()


def test_a_slug_that_is_not_utf8_is_one_error_line(config):
    """Bytes in no encoding (a Latin-1 terminal on a UTF-8 server) name no release: said so, no traceback."""
    feeds(config, "db", "migrate")
    shown = feeds(config, "releases", "show", "caf\xe9".encode("latin-1"))
    assert (shown.returncode, shown.stderr.decode()) == (1, "error: no release with id or slug 'caf\\xe9'\n")


@pytest.mark.parametrize(
    "command", [("keywords", "add"), ("keywords", "remove"), ("matches", "list", "--rule"), ("watch", "remove")]
)
def test_text_in_no_encoding_is_one_error_line_in_every_command(config, command):
    feeds(config, "db", "migrate")
    done = feeds(config, *command, "caf\xe9".encode("latin-1"))
    assert done.returncode == 1
    assert done.stderr.decode().splitlines() == ["error: 'caf\\xe9' is not UTF-8 text (bytes in another encoding)"]
