"""feeds.watch.ownsite: whether a link is one of our own pages (the site itself, and the configured own domains
with their subdomains)."""

from __future__ import annotations

import pytest

from feeds.config import Site
from feeds.watch.ownsite import is_own_url


@pytest.mark.parametrize(
    ("url", "own"),
    [
        ("https://press.example.org/releases/x/", True),
        ("http://PRESS.Example.org./x", True),
        ("https://www.press.example.org/", True),
        ("https://news.press.example.org/a", True),
        ("https://press.example.org:8443/a?b#c", True),
        ("https://press.example.org.evil.example/", False),
        ("https://notpress.example.org/", False),
        ("https://press.example.org@evil.example/", False),
        ("/releases/x/", False),
        ("press.example.org/x", False),  # not an absolute URL
        ("", False),
        (None, False),
        ("https://[::1/", False),
        ("mailto:office@press.example.org", False),
    ],
)
def test_is_own_url(url: str | None, own: bool) -> None:
    assert is_own_url(url, ("press.example.org",)) is own
    assert is_own_url(url, ("https://press.example.org/",)) is own


@pytest.mark.parametrize(
    ("base_url", "url", "own"),
    [
        ("https://www.gov.uk/government/organisations/fcdo", "https://www.gov.uk/government/news/x", True),
        ("https://www.gov.uk/government/organisations/fcdo", "https://gov.uk/x", True),
        # the parent domain's other sites are not ours: a GOV.UK office watches councils and agencies
        ("https://www.gov.uk/government/organisations/fcdo", "https://www.birmingham.gov.uk/news/rss", False),
        ("https://press.example.org/", "https://WWW.Press.Example.org/releases/a/", True),
        ("https://press.example.org/", "https://press.example.org:443/a", True),
        ("https://press.example.org/", "https://news.press.example.org/", False),  # (watch.own_domains for that)
        # a port in the base URL makes that port the site: another one on the same machine is another site
        ("http://127.0.0.1:8080/", "http://127.0.0.1:8080/releases/x/", True),
        ("http://127.0.0.1:8080/", "http://127.0.0.1:8765/mine.xml", False),
    ],
)
def test_our_own_site_is_the_site_itself(base_url: str, url: str, own: bool) -> None:
    from feeds.watch.matching import own_domains

    settings = type("S", (), {})()
    settings.site = Site(title="T", base_url=base_url, author="A", language="en", timezone="UTC")
    settings.watch = type("W", (), {"own_domains": ()})()  # own_domains reads settings.site and .watch only
    assert is_own_url(url, own_domains(settings)) is own  # type: ignore[arg-type]


def test_configured_own_domains_take_in_their_subdomains() -> None:
    assert is_own_url("https://news.press.example.org/a", ("press.example.org",))
    assert is_own_url("https://press.example.org/a", ("=press.example.org|443",))
    assert not is_own_url("https://news.press.example.org/a", ("=press.example.org",))
