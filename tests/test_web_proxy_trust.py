"""`web.trusted_proxy = "*"` on an address others can reach: said when the server starts, not only by check-config."""

from __future__ import annotations

import logging

import pytest

from feeds.config.settings import WebSettings
from feeds.web.proxy import any_peer_trusted, behind_proxy


def _app(environ, start_response):
    start_response("204 No Content", [])
    return [b""]


@pytest.mark.parametrize(
    ("host", "proxy", "said"),
    [
        ("0.0.0.0", "*", True),
        ("203.0.113.7", "*", True),
        ("feeds.example.org", "*", True),  # (a name: it may be reached from anywhere)
        ("127.0.0.1", "*", False),
        ("localhost", "*", False),
        ("::1", "*", False),
        ("0.0.0.0", "10.0.0.2", False),
        ("0.0.0.0", None, False),
    ],
)
def test_any_peer_trusted_is_said_only_on_an_address_others_reach(host, proxy, said):
    warning = any_peer_trusted(WebSettings(host=host, trusted_proxy=proxy))
    assert (warning is not None) is said
    if said:
        assert f"serving on {host}" in warning and "X-Forwarded-For" in warning and "web.trusted_proxy" in warning


def test_the_server_says_it_when_it_starts(caplog):
    with caplog.at_level(logging.WARNING, logger="feeds.web.proxy"):
        behind_proxy(_app, WebSettings(host="0.0.0.0", trusted_proxy="*"))
        behind_proxy(_app, WebSettings(host="127.0.0.1", trusted_proxy="*"))
    (line,) = [r.getMessage() for r in caplog.records]
    assert line.startswith('web.trusted_proxy = "*" while serving on 0.0.0.0'), line
