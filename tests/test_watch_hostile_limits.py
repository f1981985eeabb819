"""Hostile watched feeds and imported files: titles, tags and item texts of bounded size, cut without breaking a
character apart; a bug met while reading one feed costs that feed a failure, never the poll."""

from __future__ import annotations

import logging

import pytest

from feeds.watch import parsejobs
from feeds.watch.feeditems import (
    FEED_TITLE_CHARS,
    ITEM_SUMMARY_CHARS,
    ITEM_TITLE_CHARS,
    cut_text,
)
from feeds.watch.feedlinks import find_feed_links
from feeds.watch.manage import add_feed, edit_feed, import_opml
from feeds.watch.parse import parse_feed
from feeds.watch.poll import run_watch
from feeds.watch.tags import MAX_TAGS, TAG_CHARS


@pytest.fixture
def app(make_settings, make_app_for):
    return make_app_for(make_settings('\n[http]\nallow = ["127.0.0.1", "localhost", "::1"]\n'))


def rss(title: str, *items: tuple[str, str, str]) -> bytes:
    body = "".join(
        f"<item><guid>{g}</guid><title>{t}</title><description>{d}</description></item>" for g, t, d in items
    )
    head = '<?xml version="1.0" encoding="utf-8"?><rss version="2.0">'
    return f"{head}<channel><title>{title}</title>{body}</channel></rss>".encode()


# --- Cutting text ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("abcdef", 6, "abcdef"),
        ("abcdefg", 6, "abcde…"),
        ("abcd e\u0301\u0301f", 7, "abcd…"),  # an e with two accents is kept whole or left out
        ("abcd👍🏽x", 6, "abcd…"),  # an emoji and its skin tone
        ("ab👨\u200d👩\u200d👧xyz", 7, "ab…"),  # a family joined with ZWJ
        ("🇫🇷🇩🇪🇮🇹", 4, "🇫🇷…"),  # flags are pairs
        ("ab\ud83d\ude00cd", 4, "ab…"),  # a surrogate pair carried as two code points
        ("a" + "\u0301" * 100, 10, "a" + "\u0301" * 8 + "…"),  # no text: cut where it is
    ],
)
def test_cut_text_never_splits_a_character_sequence(text, limit, expected):
    assert cut_text(text, limit) == expected
    assert len(cut_text(text, limit)) <= limit


# --- Items -----------------------------------------------------------------------------------------------------


def test_item_titles_and_summaries_are_capped_and_invisible_ones_are_blank():
    long_title, long_summary = "Headline " * 20_000, "Word " * 40_000  # 180 KB and 200 KB
    body = rss(
        "Desk",
        ("1", long_title, long_summary),
        ("2", "\u200b\u200c\u200d\u2060\ufeff", "\u200b\u200e\u200f"),
        ("3", "Plain", "Text"),
    )
    items = parse_feed(body, url="https://news.example.com/feed").items
    assert (
        len(items[0].title) == ITEM_TITLE_CHARS
        and items[0].title.startswith("Headline Headline")
        and items[0].title.endswith("…")
    )
    assert len(items[0].summary) <= ITEM_SUMMARY_CHARS and items[0].summary.endswith("…")
    assert len(items[0].content_text) > 100_000, "the whole text is still matched"
    assert (items[1].title, items[1].summary) == ("", ""), "nothing in them shows: shown as an untitled item"
    assert (items[2].title, items[2].summary) == ("Plain", "Text")


def test_a_feeds_own_title_is_capped_with_a_warning_naming_it(app, httpserver):
    httpserver.expect_request("/feed.xml").respond_with_data(
        rss("Desk " * 50_000, ("1", "Story", "Text")), content_type="application/rss+xml"
    )
    feed = add_feed(app, httpserver.url_for("/feed.xml"))
    (outcome,) = run_watch(app).outcomes
    assert outcome.status == "200"
    stored = app.store.feed(feed.id)
    assert len(stored.title) == FEED_TITLE_CHARS and stored.title.startswith("Desk Desk")
    assert "its title is 249,999 characters long: cut to 200" in (stored.last_error or "")


# --- Titles and tags given at add and import -------------------------------------------------------------------


def test_watch_add_refuses_a_title_or_tags_beyond_the_caps(app):
    with pytest.raises(ValueError, match=r"--title is 1,000,000 characters long: at most 200"):
        add_feed(app, "https://news.example.com/feed", title="x" * 1_000_000)
    with pytest.raises(ValueError, match=rf"--tag: 21 tags: only the first {MAX_TAGS}"):
        add_feed(app, "https://news.example.com/feed", tags=[f"t{i}" for i in range(21)])
    with pytest.raises(ValueError, match=rf"a tag is 500 characters long: cut to {TAG_CHARS}"):
        add_feed(app, "https://news.example.com/feed", tags=["y" * 500])
    assert app.store.feeds() == []
    feed = add_feed(app, "https://news.example.com/feed", title="World desk", tags=["world"])
    with pytest.raises(ValueError, match="--title is"):
        edit_feed(app, str(feed.id), title="z" * 5000)
    assert app.store.feed(feed.id).title == "World desk"


def test_opml_import_caps_titles_and_tags_and_names_the_file_and_line(app, tmp_path):
    huge = "T" * 1_000_000
    categories = ",".join(f"c{i}" for i in range(30))
    opml = tmp_path / "hostile.opml"
    opml.write_text(
        '<?xml version="1.0"?>\n<opml version="2.0"><head/><body>\n'
        '<outline text="Fine" xmlUrl="https://fine.example.com/feed"/>\n'
        f'<outline text="{huge}" xmlUrl="https://big.example.com/feed" category="{categories},{"L" * 300}"/>\n'
        "</body></opml>\n",
        encoding="utf-8",
    )
    done = import_opml(app, opml)
    by_url = {f.url: f for f in done.added}
    big = by_url["https://big.example.com/feed"]
    assert len(big.title) == FEED_TITLE_CHARS and big.title.endswith("…")
    assert len(big.tags) == MAX_TAGS and all(len(t) <= TAG_CHARS for t in big.tags)
    assert by_url["https://fine.example.com/feed"].title == "Fine"
    (note,) = done.notes
    assert note[0] == "https://big.example.com/feed"
    assert note[1].startswith("hostile.opml, line 4: its title is 1,000,000 characters long: cut to 200")
    assert "31 tags: only the first 20 are kept" in note[1] and "a tag is 300 characters long" in note[1]


# --- Discovery -------------------------------------------------------------------------------------------------


def test_find_feed_links_keeps_each_link_once_in_page_order_with_titles_capped():
    links = "".join(
        f'<link rel="alternate" type="application/rss+xml" href="/f{i % 3000}" title="{"N" * 300 if i == 0 else i}">'
        for i in range(6000)
    )
    found = find_feed_links(f"<html><head>{links}</head></html>".encode(), "https://news.example.com/")
    assert [u for u, _, _ in found] == [f"https://news.example.com/f{i}" for i in range(3000)]
    assert len(found[0][1]) == FEED_TITLE_CHARS and found[1][1] == "1"


# --- A bug met while reading one feed --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "error", [KeyError("entries"), RecursionError("maximum recursion depth exceeded"), MemoryError()]
)
def test_an_unexpected_error_reading_one_feed_is_that_feeds_failure_and_the_poll_goes_on(
    app, httpserver, monkeypatch, caplog, error
):
    for name in ("good", "bad", "other"):
        httpserver.expect_request(f"/{name}.xml").respond_with_data(
            rss(name, (f"{name}-1", f"Story of {name}", "Text")), content_type="application/rss+xml"
        )
    feeds = {name: add_feed(app, httpserver.url_for(f"/{name}.xml")) for name in ("good", "bad", "other")}
    real = parsejobs.parse_feed

    def hostile(body, *, url, **kw):
        if url.endswith("/bad.xml"):
            raise error
        return real(body, url=url, **kw)

    monkeypatch.setattr(parsejobs, "parse_feed", hostile)
    caplog.set_level(logging.INFO, logger="feeds.watch")
    report = run_watch(app)
    statuses = {o.feed_id: o.status for o in report.outcomes}
    assert statuses == {feeds["good"].id: "200", feeds["bad"].id: "parse-error", feeds["other"].id: "200"}
    bad = app.store.feed(feeds["bad"].id)
    kind = type(error).__name__
    assert bad.failures == 1 and bad.next_check is not None
    assert (bad.last_error or "").startswith(f"unexpected error while reading this feed: {kind}")
    assert "Traceback" not in (bad.last_error or "") and "\n" not in (bad.last_error or "")
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert len(errors) == 1 and errors[0].exc_info is not None and errors[0].exc_info[0] is type(error)
    assert {s.item.title for s in app.store.stored_items()} == {"Story of good", "Story of other"}


def test_a_workers_unexpected_error_or_death_costs_one_feed_or_nothing(app, httpserver, monkeypatch, caplog):
    """With many feeds, bodies are read in worker processes: an exception a worker sends back is that feed's
    failure; a worker that died (a broken pool) has its feeds read again alone in a worker of their own (never
    here: tests/test_watch_parser_crash.py), and the round goes on."""
    from concurrent.futures import Future
    from concurrent.futures.process import BrokenProcessPool

    from feeds.watch import poll

    names = ("good", "bad", "orphan")
    for name in names:
        httpserver.expect_request(f"/{name}.xml").respond_with_data(
            rss(name, (f"{name}-1", f"Story of {name}", "Text")), content_type="application/rss+xml"
        )
    feeds = {name: add_feed(app, httpserver.url_for(f"/{name}.xml")) for name in names}

    class Workers:
        def submit(self, fn, body, url, *args):
            done: Future = Future()
            if url.endswith("/bad.xml"):
                done.set_exception(KeyError("title"))  # as concurrent.futures hands back a worker's exception
            elif url.endswith("/orphan.xml"):
                done.set_exception(BrokenProcessPool("a child process terminated abruptly"))
            else:
                done.set_result(fn(body, url, *args))
            return done

    monkeypatch.setattr(poll, "PARALLEL_PARSE_MIN", 1)
    monkeypatch.setattr(poll, "parse_pool", lambda app, spec: Workers())
    caplog.set_level(logging.INFO, logger="feeds.watch")
    statuses = {o.feed_id: o.status for o in run_watch(app).outcomes}
    assert statuses == {feeds["good"].id: "200", feeds["bad"].id: "parse-error", feeds["orphan"].id: "200"}
    assert app.store.feed(feeds["bad"].id).last_error == "unexpected error while reading this feed: KeyError: 'title'"
    assert {s.item.title for s in app.store.stored_items()} == {"Story of good", "Story of orphan"}
    assert len([r for r in caplog.records if r.levelno == logging.ERROR]) == 1


def test_a_feed_listed_in_thousands_of_folders_keeps_its_first_tags_with_a_note(app, tmp_path):
    """Each repeat of an outline added its tags to all those gathered so far: 20,000 repeats took 38 s."""
    outlines = "".join(
        f'<outline text="Folder {i}"><outline text="Desk" xmlUrl="https://desk.example.com/feed"/></outline>\n'
        for i in range(3000)
    )
    opml = tmp_path / "folders.opml"
    opml.write_text(f'<?xml version="1.0"?>\n<opml version="2.0"><head/><body>\n{outlines}</body></opml>\n')
    done = import_opml(app, opml)
    (feed,) = done.added
    assert feed.tags == tuple(f"Folder {i}" for i in range(MAX_TAGS))
    assert done.notes == [
        ("https://desk.example.com/feed", "folders.opml, line 3: 3,000 tags: only the first 20 are kept")
    ]


def test_discover_fetches_at_most_the_first_linked_feeds_of_a_page(app, httpserver):
    """A page naming 3,000 feeds had each one fetched, one after the other."""
    from feeds.watch.discovery import LINKED_FEEDS_CHECKED, discover

    links = "".join(f'<link rel="alternate" type="application/rss+xml" href="/f{i}.xml">' for i in range(60))
    httpserver.expect_request("/page").respond_with_data(f"<html><head>{links}</head></html>", content_type="text/html")
    httpserver.expect_request("/f0.xml").respond_with_data(rss("Zero", ("1", "A", "B")), content_type="text/xml")
    found = discover(app, httpserver.url_for("/page"))
    assert len(found) == 60 and found[0].title == "Zero" and found[0].usable
    fetched = {req.path for req, _ in httpserver.log}
    assert len(fetched - {"/page"}) == LINKED_FEEDS_CHECKED == 50
    assert found[59].problem == "not checked: the page names 60 feeds, the first 50 are"


def test_a_config_file_feeds_title_and_tags_are_capped_with_a_warning(make_settings, make_app_for, caplog):
    from feeds.watch.manage import import_configured

    tags = ", ".join(f'"t{i}"' for i in range(25))
    extra = f'\n[[watch.feeds]]\nurl = "https://news.example.com/world.xml"\ntitle = "{"W" * 500}"\ntags = [{tags}]\n'
    app = make_app_for(make_settings(extra))
    caplog.set_level(logging.INFO)
    import_configured(app)
    (feed,) = app.store.feeds()
    assert len(feed.title) == FEED_TITLE_CHARS and feed.tags == tuple(f"t{i}" for i in range(MAX_TAGS))
    assert any(
        "https://news.example.com/world.xml in [[watch.feeds]] of the config file: its title is 500 characters long"
        in r.getMessage()
        and "25 tags: only the first 20 are kept" in r.getMessage()
        for r in caplog.records
    )


def test_an_item_with_thousands_of_categories_keeps_the_first_hundred_once_each():
    """Each category was looked up in the list of those before it, twice (40,000 of them: 72 s)."""
    categories = "".join(f"<category>c{i % 2000}</category>" for i in range(4000))
    body = rss("Desk", ("1", "Story", "Text")).replace(b"<description>", categories.encode() + b"<description>")
    (item,) = parse_feed(body, url="https://news.example.com/feed").items
    assert item.tags == tuple(f"c{i}" for i in range(100))
    long_author = rss("Desk", ("1", "Story", "Text")).replace(
        b"<description>", b"<author>" + b"A" * 5000 + b"</author><description>"
    )
    (item,) = parse_feed(long_author, url="https://news.example.com/feed").items
    assert len(item.author) == FEED_TITLE_CHARS


def test_a_json_feed_item_with_thousands_of_authors_names_each_once_in_order():
    """Each author's name was looked up in the list of those before it (40,000 of them: 6 s)."""
    import json

    people = [{"name": f"Reporter {i % 500}"} for i in range(2000)]
    doc = {"version": "https://jsonfeed.org/version/1.1", "title": "Desk", "items": [{"id": "1", "authors": people}]}
    body = json.dumps(doc).encode()
    (item,) = parse_feed(body, url="https://news.example.com/feed.json", content_type="application/feed+json").items
    assert item.author.startswith("Reporter 0, Reporter 1, Reporter 2,") and len(item.author) == FEED_TITLE_CHARS
