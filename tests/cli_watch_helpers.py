"""Shared by the command tests of the watch stage (`tests/test_cli_watch.py`, `test_cli_keywords.py`,
`test_cli_matches.py`, `test_watch_opml_check.py`): a feed to serve, and the CLI run against a config (the `config`
fixture is in `conftest.py`)."""

from __future__ import annotations

from pathlib import Path

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
