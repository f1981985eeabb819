"""Security review: secrets a config holds must not reach the published site, logs or error messages."""

from __future__ import annotations

from pathlib import Path

import pytest

from feeds.config import load_settings
from feeds.errors import ConfigError

MINIMAL = """
[site]
title = "Test Office"
base_url = "https://press.example.org"
"""


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "feeds.toml"
    p.write_text(text, encoding="utf-8")
    return p


@pytest.mark.parametrize(
    "hub",
    [
        "https://feeds:HUBPASSWORD@hub.example.org/",  # (Superfeedr-style publish credentials)
        "https://HUBTOKEN@hub.example.org/",
    ],
)
def test_a_hub_url_with_credentials_is_refused_without_showing_them(tmp_path, hub):
    # publish.hub goes into every feed as rel="hub" (atom.xml, rss.xml, feed.json): a user name or password in it
    # was published to every reader.
    with pytest.raises(ConfigError) as e:
        load_settings(write(tmp_path, MINIMAL + f'[publish]\nhub = "{hub}"\n'), environ={})
    message = str(e.value)
    assert "feeds.toml:6: publish.hub:" in message
    assert "user name or password" in message
    assert "HUBPASSWORD" not in message and "HUBTOKEN" not in message


def test_a_plain_hub_url_is_still_accepted(tmp_path):
    s = load_settings(write(tmp_path, MINIMAL + '[publish]\nhub = "https://hub.example.org/"\n'), environ={})
    assert s.publish.hub == "https://hub.example.org/"
