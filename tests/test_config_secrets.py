"""Secrets a config holds (a hub URL's credentials, a password, a token, a webhook URL) must not reach the published
site, logs or error messages."""

from __future__ import annotations

import pytest

from feeds.config import load_settings
from feeds.errors import ConfigError
from tests.test_config import MINIMAL, write


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


@pytest.mark.parametrize(
    ("extra", "key"),
    [
        (
            '[alerts.smtp]\nhost = "smtp.example.org"\nsender = "a@example.org"\nusername = "u"\n'
            "password = 73106493377\n",
            "alerts.smtp.password",
        ),
        ("[web]\napi_token = 73106493377731064933\n", "web.api_token"),
        (
            '[[alerts.webhooks]]\nname = "n"\nurl = "https://h.example.org/x"\nsecret = 73106493377\n',
            "alerts.webhooks[0].secret",
        ),
        (
            '[[alerts.webhooks]]\nname = "n"\nurl = "ftp://u:73106493377@h.example.org/services/73106493377"\n',
            "alerts.webhooks[0].url",
        ),
        (
            '[[sources]]\ntype = "remote_json"\nname = "r"\nurl = "ftp://x.example.org/s?api_key=73106493377"\n',
            "sources[0].url",
        ),
    ],
)
def test_a_config_error_does_not_show_the_secret_it_is_about(tmp_path, extra, key):
    # The daemon logs config errors at start and at each reload: a password written without quotes, or a
    # webhook URL (its path is its secret) with the wrong scheme, went into the log in full.
    with pytest.raises(ConfigError) as e:
        load_settings(write(tmp_path, MINIMAL + extra), environ={})
    message = str(e.value)
    assert f" {key}: " in message
    assert "73106493377" not in message
