"""A drop folder empties itself into processed/ and rejected/: it must hold none of feeds' own files."""

from __future__ import annotations

import pytest

from feeds.config import parse_settings
from feeds.errors import ConfigError

SITE = '[site]\ntitle = "Test Office"\nbase_url = "https://press.example.org"\n'


def drop_folder(path: str, *, move: bool = True) -> str:
    return f'[[sources]]\ntype = "folder"\nname = "inbox"\npath = "{path}"\nmove = {str(move).lower()}\n'


@pytest.mark.parametrize(
    ("text", "words"),
    [
        # The state folder: ingest moved feeds.db, feeds.db-wal and feeds.db-shm into state/rejected/ under the
        # open database.
        (SITE + '[paths]\nstate = "var"\n' + drop_folder("var"), "the state folder"),
        (SITE + '[database]\nurl = "sqlite:///data/press.db"\n' + drop_folder("data"), "the database"),
        # `path = ""` or "." is the config file's folder: ingest moved feeds.toml into rejected/.
        (SITE + drop_folder(""), "the config file"),
        (SITE + drop_folder("."), "the config file"),
    ],
)
def test_a_drop_folder_holding_feeds_own_files_is_refused(tmp_path, text: str, words: str) -> None:
    """Ingest UX review: these were accepted, and the first ingest moved the files away as 'not a release format'."""
    with pytest.raises(ConfigError) as info:
        parse_settings(text, tmp_path / "feeds.toml", {})
    assert info.value.key == "sources[0].path" and info.value.line is not None
    assert words in info.value.message and "a folder of its own" in info.value.message


def test_a_folder_read_in_place_may_be_the_config_folder(tmp_path) -> None:
    """`move = false` moves nothing: releases kept beside the config (the Quickstart's examples) are fine."""
    settings = parse_settings(SITE + drop_folder(".", move=False), tmp_path / "feeds.toml", {})
    assert settings.sources[0].path == tmp_path
