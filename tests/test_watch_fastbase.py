"""`fastbase.resolve`: an address already absolute and plain is given back without `urljoin`, and that shortcut
gives exactly what feedparser's join gives, on every address the corpus feeds resolve and on generated ones."""

from __future__ import annotations

from pathlib import Path

from feedparser.urls import _urljoin  # type: ignore[import-untyped]
from hypothesis import given, settings
from hypothesis import strategies as st

from feeds.watch import fastbase
from feeds.watch.parse import parse_feed

_BASES = st.sampled_from(
    [
        "",
        "http://example.org/feed.xml",
        "https://example.org/a/b/",
        "HTTP://Example.org",
        "ftp://example.org/x",
        "feed.xml",
        "http://[::1]/feed",
        "http://[::1/feed",
        "http://bad]host/feed",
        "http://exämple.org/feed",
        "http://ex\u2100ample.org/feed",
        " \thttp://example.org/\n",
    ]
)
_PIECES = st.sampled_from(
    ["http", "https", "HTTP", "Https", ":", "//", "/", "///", "?", "#", ";", "a", "Z", "0", ".", "-", "%2F", "@",
     "[", "]", "~", "'", "(", "&amp;", "=", "+", "é", "\u2100", ":80", "example.org", " ", "\t", "\n", "\\", "\x00"]
)  # fmt: skip


def _joined(base: str, uri: str) -> str:
    return str(_urljoin(base, uri))


@settings(max_examples=3000, deadline=None)
@given(base=_BASES, uri=st.lists(_PIECES, max_size=12).map("".join))
def test_resolve_is_feedparsers_join(base: str, uri: str) -> None:
    assert fastbase.resolve(base, uri) == _joined(base, uri)


@settings(max_examples=3000, deadline=None)
@given(
    base=_BASES,
    scheme=st.sampled_from(["http", "https", "HTTP", "ftp"]),
    rest=st.lists(_PIECES, max_size=10).map("".join),
)
def test_resolve_of_absolute_looking_addresses(base: str, scheme: str, rest: str) -> None:
    uri = f"{scheme}://example.org{rest}"
    assert fastbase.resolve(base, uri) == _joined(base, uri)


def test_plain_addresses_skip_urljoin_and_others_do_not() -> None:
    plain = fastbase._PLAIN_ABSOLUTE.fullmatch
    assert plain("https://example.org/2026/11/story-1.html?utm=a;b&x=%20#top")
    assert plain("http://example.org:8080")
    # (a "-" in a query or fragment is plain too: the class once ran "/-;" as a range, which left it out)
    assert plain("https://example.org/a-b?utm-source=x-y#part-2")
    refused = (
        "HTTP://example.org/ http://example.org/a; http://example.org/? http://example.org/# http://[::1]/"
        " http://example.org/a\\b http:///example.org/ /relative tag:x,2005:y"
    )
    for uri in (*refused.split(), "http://example.org/a b", "http://example.org/a\n"):
        assert not plain(uri), uri


def test_the_corpus_resolves_as_before(corpus_feeds: Path, monkeypatch) -> None:
    """Every join the corpus feeds ask for (links, ids, hrefs), with and without the shortcut."""
    asked: list[tuple[str, str, str]] = []
    real = fastbase.resolve

    def recording(base: str, uri: str) -> str:
        answer = real(base, uri)
        asked.append((base, uri, answer))
        return answer

    monkeypatch.setattr(fastbase, "resolve", recording)
    for module in ("feeds.watch.fastreader", "feeds.watch.fastrules"):
        monkeypatch.setattr(f"{module}.resolve", recording)
    for path in sorted(corpus_feeds.iterdir()):
        if path.suffix in (".xml", ".atom", ".rss", ".rdf"):
            try:
                parse_feed(path.read_bytes(), url=f"http://127.0.0.1:8000/{path.name}")
            except Exception:  # (a document refused is not what this test is about)
                continue
    assert len(asked) > 2000
    assert sum(fastbase._PLAIN_ABSOLUTE.fullmatch(uri) is not None for _, uri, _ in asked) > 1000
    assert [answer for _, _, answer in asked] == [_joined(base, uri) for base, uri, _ in asked]
