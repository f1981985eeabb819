"""Shared by the command tests of the watch stage (`tests/test_cli_watch.py`, `test_cli_keywords.py`,
`test_cli_matches.py`, `test_watch_opml_check.py`, the date and language tests): a feed to serve, the CLI run
against a config (the `config` fixture is in `conftest.py`), and a feed served, watched and polled once."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from feeds.cli import cli

RSS = """<?xml version="1.0"?><rss version="2.0"><channel><title>Desk</title><link>https://news.example.com/</link>
<description>d</description>
<item><title>Lavrov meets ministers</title><link>https://news.example.com/a</link><guid isPermaLink="false">a</guid>
<description>Talks in Geneva.</description></item>
<item><title>Bakery prize</title><link>https://news.example.com/b</link><guid isPermaLink="false">b</guid>
<description>Bread.</description></item>
</channel></rss>"""


def run(config: Path, *args: str):
    r = CliRunner().invoke(cli, ["--config", str(config), *args], catch_exceptions=False)
    return r


def polled_matches(config: Path, httpserver: Any, path: str, body: bytes, content_type: str, *rules: str) -> list[Any]:
    """Serve `body` at `path`, watch it, add each of `rules` (named as written), poll once: the matches, as
    `matches list --json` gives them."""
    httpserver.expect_request(path).respond_with_data(body, content_type=content_type)
    assert run(config, "watch", "add", httpserver.url_for(path)).exit_code == 0
    for rule in rules:
        assert run(config, "keywords", "add", rule, "--name", rule).exit_code == 0
    assert run(config, "watch", "poll").exit_code == 0
    return json.loads(run(config, "matches", "list", "--json").stdout)
