"""A remote source's further pages, against a real local HTTP server modelled on the GOV.UK Search API: a first
run reads on to `max_pages` and says what it left; a busy day's releases beyond the first page are read; a normal
poll stays one request; the parameter names come from `[sources.paging]`."""

from __future__ import annotations

import logging
import re
from datetime import timedelta
from pathlib import Path

import pytest
from werkzeug import Request, Response

from feeds.errors import ConfigError
from feeds.ingest.remote_json import poll_remote
from tests.test_ingest_remote_json import remote_source_app


def result(n: int) -> dict:
    return {
        "title": f"Release number {n}",
        "description": f"What release {n} says.",
        "link": f"/government/news/release-{n}",
        "public_timestamp": f"2026-11-{1 + n % 28:02d}T10:00:00Z",
    }


class Search:
    """A search endpoint of `newest` releases, newest first, paged by `start`/`count` (or other names)."""

    def __init__(self, newest: int, *, start: str = "start", count: str = "count", next_link: bool = False):
        self.newest, self.start, self.count, self.next_link = newest, start, count, next_link
        self.asked: list[dict[str, str]] = []

    def __call__(self, request: Request) -> Response:
        import json

        args = dict(request.args)
        self.asked.append(args)
        start, count = int(args.get(self.start, 0)), int(args.get(self.count, 10))
        numbers = list(range(self.newest, 0, -1))[start : start + count]
        doc: dict = {"results": [result(n) for n in numbers], "total": self.newest, "start": start}
        if self.next_link:
            del doc["total"]
            if start + count < self.newest:
                doc["links"] = {"next": f"/search.json?{self.start}={start + count}&{self.count}={count}"}
        return Response(json.dumps(doc), content_type="application/json", headers={"ETag": f'"{self.newest}"'})


@pytest.fixture
def search(httpserver):
    server = Search(2040)
    httpserver.expect_request("/search.json").respond_with_handler(server)
    return server


def app_for(make_settings, make_app_for, httpserver, more: str = ""):
    url = httpserver.url_for("/search.json") + "?filter_organisations=fcdo&count=50"
    return remote_source_app(make_settings, make_app_for, url, link_base="https://www.gov.uk", more=more)


def test_a_first_run_reads_to_max_pages_and_says_what_it_left(make_settings, make_app_for, httpserver, search, caplog):
    """A press officer's review: a first run against 2,040 results stored the first page's 50 and said nothing."""
    app, src = app_for(make_settings, make_app_for, httpserver, "max_pages = 3\n")
    with caplog.at_level(logging.WARNING, "feeds.ingest"):
        outcomes = poll_remote(app, src)
    assert [o.status for o in outcomes].count("created") == 150 and app.store.count_releases() == 150
    assert [a.get("start") for a in search.asked] == [None, "50", "100"]
    assert all(a["count"] == "50" and a["filter_organisations"] == "fcdo" for a in search.asked)
    (warning,) = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert "source govuk:" in warning and "lists 2040 results, 150 read" in warning
    assert "max_pages = 3" in warning


def test_the_first_page_alone_warns_when_the_total_says_more(make_settings, make_app_for, httpserver, search, caplog):
    app, src = app_for(make_settings, make_app_for, httpserver, "max_pages = 1\n")
    with caplog.at_level(logging.WARNING, "feeds.ingest"):
        poll_remote(app, src)
    assert app.store.count_releases() == 50 and len(search.asked) == 1
    assert any("govuk" in r.getMessage() and "50 read" in r.getMessage() for r in caplog.records)


def test_a_normal_poll_is_one_request_and_a_busy_day_reads_on(
    make_settings, make_app_for, httpserver, search, clock, caplog
):
    """Between two polls more than a page of releases came out (a busy day, the daemon down for a weekend): those
    beyond the first page were never ingested. They are, and the poll stops at the first page of known ones."""
    app, src = app_for(make_settings, make_app_for, httpserver, "max_pages = 3\n")
    poll_remote(app, src)
    search.asked.clear()
    clock.advance(timedelta(hours=1))
    assert {o.status for o in poll_remote(app, src, force=True)} == {"unchanged"}
    assert len(search.asked) == 1, "nothing new: one request, as before"
    assert search.asked[0].get("start") is None
    search.newest += 70  # (a busy weekend: 70 new ones, more than the page of 50)
    search.asked.clear()
    caplog.clear()  # (the first run's warning: 150 of 2040 read)
    clock.advance(timedelta(hours=1))
    with caplog.at_level(logging.WARNING, "feeds.ingest"):
        outcomes = poll_remote(app, src, force=True)
    assert [o.status for o in outcomes].count("created") == 70
    assert [a.get("start") for a in search.asked] == [None, "50", "100"], "the third holds only known ones: stop"
    assert app.store.release("release-number-2110") and app.store.release("release-number-2041")
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]


def test_the_first_page_keeps_its_conditional_get(make_settings, make_app_for, httpserver, clock):
    app, src = app_for(make_settings, make_app_for, httpserver, "max_pages = 2\n")
    server = Search(120)
    httpserver.expect_ordered_request("/search.json").respond_with_handler(server)
    httpserver.expect_ordered_request("/search.json").respond_with_handler(server)
    httpserver.expect_ordered_request("/search.json", headers={"If-None-Match": '"120"'}).respond_with_response(
        Response(status=304)
    )
    poll_remote(app, src)
    clock.advance(timedelta(hours=1))
    assert poll_remote(app, src, force=True) == []
    httpserver.check_assertions()
    assert app.store.source_state("govuk").etag == '"120"'


def test_other_parameter_names_and_a_next_link(make_settings, make_app_for, httpserver, caplog):
    server = Search(25, start="offset", count="per_page", next_link=True)
    httpserver.expect_request("/search.json").respond_with_handler(server)
    url = httpserver.url_for("/search.json") + "?per_page=10"
    more = 'max_pages = 5\n[sources.paging]\nstart = "offset"\ncount = "per_page"\nnext = "links.next"\n'
    app, src = remote_source_app(make_settings, make_app_for, url, link_base="https://www.gov.uk", more=more)
    poll_remote(app, src)
    assert app.store.count_releases() == 25
    assert [a.get("offset") for a in server.asked] == [None, "10", "20"]


def test_without_a_total_a_full_page_asks_for_the_next(make_settings, make_app_for, httpserver):
    server = Search(15, start="offset", count="limit")
    served = server.__call__

    def no_total(request: Request) -> Response:
        import json

        response = served(request)
        doc = json.loads(response.get_data())
        del doc["total"]
        return Response(json.dumps(doc), content_type="application/json")

    httpserver.expect_request("/search.json").respond_with_handler(no_total)
    url = httpserver.url_for("/search.json") + "?limit=10"
    more = '[sources.paging]\nstart = "offset"\ncount = "limit"\n'
    app, src = remote_source_app(make_settings, make_app_for, url, link_base="https://www.gov.uk", more=more)
    poll_remote(app, src)
    assert app.store.count_releases() == 15 and len(server.asked) == 2  # (the second, of 5, is the last)


def test_a_failing_later_page_keeps_the_first_and_names_the_page(make_settings, make_app_for, httpserver, caplog):
    server = Search(80)
    httpserver.expect_ordered_request("/search.json").respond_with_handler(server)
    httpserver.expect_ordered_request("/search.json").respond_with_data("<html>busy</html>", content_type="text/html")
    app, src = app_for(make_settings, make_app_for, httpserver)
    with caplog.at_level(logging.WARNING, "feeds.ingest"):
        outcomes = poll_remote(app, src)
    assert app.store.count_releases() == 50 and all(o.status == "created" for o in outcomes)
    (warning,) = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert "govuk" in warning and "page 2" in warning and "start=50" in warning and "not JSON" in warning
    assert warning.count("search.json") == 1, warning  # (not also the first page's address, as if it failed)
    assert app.store.source_state("govuk").last_error is None


@pytest.mark.parametrize(
    ("lines", "key", "message"),
    [
        ("max_pages = 0\n", "max_pages", "from 1"),
        ("max_pages = 500\n", "max_pages", "to 100"),
        ('max_pages = "10"\n', "max_pages", "must be"),
        ('[sources.paging]\nstart = "of fset"\n', "paging.start", "not a URL parameter"),
        ("[sources.paging]\ncount = 50\n", "paging.count", "must be a string"),
        ('[sources.paging]\ntotal = "meta..total"\n', "paging.total", "not a path"),
        ('[sources.paging]\npage = "p"\n', "paging.page", "unknown key"),
    ],
)
def test_check_config_names_the_file_key_and_line(make_settings, make_app_for, httpserver, lines, key, message):
    with pytest.raises(ConfigError) as e:
        app_for(make_settings, make_app_for, httpserver, lines)
    shown = str(e.value)
    found = re.match(rf"(.*feeds\.toml):(\d+): sources\[1\]\.{re.escape(key)}: .*{message}", shown)
    assert found, shown
    line = Path(found[1]).read_text().splitlines()[int(found[2]) - 1]
    assert line.startswith(key.split(".")[-1] + " ="), line


def test_check_config_shows_how_many_pages_a_poll_reads(tmp_path):
    import json

    from click.testing import CliRunner

    from feeds.cli import cli
    from tests.test_cli import BASE_CONFIG

    (tmp_path / "inbox").mkdir()
    config = tmp_path / "feeds.toml"
    remote = '\n[[sources]]\ntype = "remote_json"\nname = "govuk"\nurl = "https://www.gov.uk/api/search.json"\n'
    config.write_text(BASE_CONFIG + remote + "max_pages = 1\n", encoding="utf-8")
    shown = CliRunner().invoke(cli, ["--config", str(config), "check-config"]).output
    assert "source    govuk (remote_json) every 15 min (at most 1 page a poll)" in shown, shown
    data = json.loads(CliRunner().invoke(cli, ["--config", str(config), "check-config", "--json"]).output)
    assert data["sources"][1] == {"name": "govuk", "type": "remote_json", "max_pages": 1}


def test_feeds_ingest_prints_the_warning_and_names_it_in_json(tmp_path, httpserver, search):
    """`feeds ingest` shows no log warnings by default (its own report only): a first run read in part said
    nothing there either. It is a `warning: …` line, and in --json `sources_read_in_part`."""
    import json

    from click.testing import CliRunner

    from feeds.cli import cli
    from tests.test_cli import BASE_CONFIG

    url = httpserver.url_for("/search.json") + "?count=50"
    remote = f'\n[[sources]]\ntype = "remote_json"\nname = "govuk"\nurl = "{url}"\nmax_pages = 2\n'
    configs = []
    for run in ("text", "json"):  # (each on its own database: a first run)
        (tmp_path / run / "inbox").mkdir(parents=True)
        configs.append(tmp_path / run / "feeds.toml")
        configs[-1].write_text(BASE_CONFIG + '\n[http]\nallow = ["127.0.0.1"]\n' + remote, encoding="utf-8")
    r = CliRunner().invoke(cli, ["--config", str(configs[0]), "ingest"])
    assert r.exit_code == 0, r.output
    assert "warning: source govuk: the document lists 2040 results, 100 read (2 pages, max_pages = 2)" in r.output
    data = json.loads(CliRunner().invoke(cli, ["--config", str(configs[1]), "ingest", "--json"]).stdout)
    assert [n.split(":")[0] for n in data["sources_read_in_part"]] == ["source govuk"]


def test_a_later_page_is_named_without_the_sources_key(make_settings, make_app_for, httpserver, caplog):
    server = Search(80)
    httpserver.expect_ordered_request("/search.json").respond_with_handler(server)
    httpserver.expect_ordered_request("/search.json").respond_with_data("busy", status=503)
    url = httpserver.url_for("/search.json") + "?count=50&api_key=s3cr3t"
    app, src = remote_source_app(make_settings, make_app_for, url, link_base="https://www.gov.uk")
    with caplog.at_level(logging.WARNING, "feeds.ingest"):
        poll_remote(app, src)
    assert server.asked[0]["api_key"] == "s3cr3t" and app.store.count_releases() == 50
    (warning,) = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert "page 2" in warning and "503" in warning and "s3cr3t" not in warning, warning
