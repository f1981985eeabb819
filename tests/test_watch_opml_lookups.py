"""`feeds watch import`: each host of an OPML file is looked up in the DNS once, however many of its feeds the
file lists (a news site's export names dozens of feeds on one host; offline, each lookup waits for its timeout)."""

from __future__ import annotations

import socket
import threading
from collections import Counter

from feeds.watch.manage import import_opml


def _opml(tmp_path, urls):
    outlines = "\n".join(f'<outline type="rss" text="Feed {i}" xmlUrl="{u}"/>' for i, u in enumerate(urls))
    path = tmp_path / "subs.opml"
    path.write_text(
        f'<?xml version="1.0"?><opml version="2.0"><head><title>s</title></head><body>{outlines}</body></opml>',
        encoding="utf-8",
    )
    return path


def test_each_host_is_looked_up_once_and_a_refusal_names_every_feed_of_it(app, tmp_path, monkeypatch):
    addresses = {"news.example.com": "151.101.1.1", "wire.example.net": "151.101.65.1", "intranet.example": "10.0.0.5"}
    asked: Counter[str] = Counter()
    lock = threading.Lock()

    def resolver(host, port, *args, **kwargs):
        with lock:
            asked[host] += 1
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (addresses[host], port))]

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    urls = [f"https://news.example.com/section/{n}.xml" for n in range(30)]
    urls += [f"http://wire.example.net/feed{n}" for n in range(10)]
    urls += [f"https://intranet.example/desk{n}.rss" for n in range(5)]
    done = import_opml(app, _opml(tmp_path, urls))

    assert asked == {"news.example.com": 1, "wire.example.net": 1, "intranet.example": 1}
    assert [f.url for f in done.added] == urls[:40]
    assert [url for url, _ in done.skipped] == urls[40:]
    assert all("refused to contact intranet.example (10.0.0.5): private address" in why for _, why in done.skipped)
    assert all(why.endswith("not added: it would never be polled") for _, why in done.skipped)


def test_a_host_whose_lookup_fails_is_asked_once_and_its_feeds_are_still_added(app, tmp_path, monkeypatch):
    """A name that does not resolve now is left to the first poll to report (as before): not refused."""
    asked: Counter[str] = Counter()

    def resolver(host, port, *args, **kwargs):
        asked[host] += 1
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", resolver)
    urls = [f"https://offline.example.org/feed{n}.xml" for n in range(12)]
    done = import_opml(app, _opml(tmp_path, urls))
    assert asked == {"offline.example.org": 1}
    assert [f.url for f in done.added] == urls and done.skipped == []
