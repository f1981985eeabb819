"""The Monday coverage report: `feeds matches list --since … --until …` with `--csv` (one row per article) and `--by
release` / `--by rule` (one row per release or rule), from matches a real poll of a local feed server stored."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, datetime

import pytest

from feeds.coveragereport import ARTICLE_COLUMNS, RELEASE_COLUMNS, RULE_COLUMNS, hours, spreadsheet_time, text_cell
from feeds.ingest import ingest_paths
from feeds.watch.manage import add_feed, add_rule
from feeds.watch.poll import run_watch
from tests.cli_watch_helpers import run

FEED = """<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{title}</title>
<link>https://{host}/</link><description>news</description>{items}</channel></rss>"""
ITEM = """<item><title>{title}</title><link>{link}</link><guid isPermaLink="false">{guid}</guid>
<description>{body}</description><pubDate>{date}</pubDate></item>"""
RELATED = "Boris Johnson will discuss North Korea and Iran with Sergei Lavrov; both sit on the UN Security Council."
STORY = "https://news.example.com/world/johnson-lavrov"
HOSTILE = (
    '=HYPERLINK("https://evil.example/","Lavrov")',
    "+Lavrov 1",
    "-Lavrov, in Zürich, says “no”",
    "@Lavrov",
    "\tLavrov tab",
    "\rLavrov return",
)
TUESDAY = datetime(2026, 11, 24, 10, 0, tzinfo=UTC)  # (GMT: the site's wall time is UTC in November)


def feed(title: str, host: str, items: list[tuple[str, str, str, str]]) -> str:
    def xml(text: str) -> str:
        return text.replace("&", "&amp;").replace("<", "&lt;").replace('"', "&quot;")

    body = "".join(
        ITEM.format(guid=guid, title=xml(t), link=xml(link), body=xml(b), date=date) for guid, t, link, b, date in items
    )
    return FEED.format(title=title, host=host, items=body)


@pytest.fixture
def week(make_settings, make_app_for, httpserver, corpus_releases, clock, tmp_path):
    """Last week as the watch stored it: the model release on Tuesday 24 November at 10:00, its pickup and a related
    story (with a keyword match of rule `moscow`) found at 14:00 in "World Desk"; a ferry release on Thursday that
    nobody covered; then on Monday 30 November at 08:00 the related story again in "Paper: UK" (under a tracking
    parameter: the same article) and items whose titles would be spreadsheet formulas. Returns the config path."""
    settings = make_settings('\n[http]\nallow = ["127.0.0.1", "localhost", "::1"]\n')
    app = make_app_for(settings)
    clock.set(TUESDAY)
    ingest_paths(app, [corpus_releases / "foreign-secretary-to-visit-moscow.txt"])
    model = app.store.release("foreign-secretary-to-visit-moscow")
    quote = " ".join(next(p for p in model.body_text.split("\n\n") if p.startswith("Russia is a fellow")).split())
    add_rule(app, "lavrov OR moscow", name="moscow")
    world = [
        ("p", "UK minister plans Russia trip", "https://news.example.com/world/trip", f"He said: “{quote}”",
         "Tue, 24 Nov 2026 12:30:00 GMT"),
        ("r", "Johnson to meet Sergei Lavrov in Moscow", STORY, RELATED, "Tue, 24 Nov 2026 13:00:00 GMT"),
    ]  # fmt: skip
    httpserver.expect_request("/world.xml").respond_with_data(feed("World Desk", "news.example.com", world))
    add_feed(app, httpserver.url_for("/world.xml"))
    clock.set(datetime(2026, 11, 24, 14, 0, tzinfo=UTC))
    run_watch(app)
    clock.set(datetime(2026, 11, 26, 9, 0, tzinfo=UTC))
    ferry = tmp_path / "ferry.json"
    ferry.write_text(json.dumps([{"title": "Island ferry fares frozen", "body": "Fares stay.", "source_key": "f"}]))
    ingest_paths(app, [ferry])
    uk = [("u", "Johnson to meet Sergei Lavrov in Moscow", STORY + "?utm_source=rss", RELATED,
           "Sun, 29 Nov 2026 20:00:00 GMT")]  # fmt: skip
    uk += [(f"h{n}", title, f"https://paper.example/h{n}", "Talks.", "Sun, 29 Nov 2026 21:00:00 GMT")
           for n, title in enumerate(HOSTILE)]  # fmt: skip
    httpserver.expect_request("/uk.xml").respond_with_data(feed("Paper: UK", "paper.example", uk))
    add_feed(app, httpserver.url_for("/uk.xml"))
    clock.set(datetime(2026, 11, 30, 8, 0, tzinfo=UTC))
    run_watch(app)
    return tmp_path / "feeds.toml"


def rows_of(output: bytes) -> list[list[str]]:
    assert output.startswith("\ufeff".encode()), "a byte order mark: Excel then reads UTF-8"
    text = output.decode("utf-8-sig")
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", ""), "CRLF rows (RFC 4180)"
    return list(csv.reader(io.StringIO(text, newline="")))


def export(config, *args: str) -> list[dict[str, str]]:
    result = run(config, "matches", "list", *args)
    assert result.exit_code == 0, result.output
    header, *rows = rows_of(result.stdout_bytes)
    return [dict(zip(header, row, strict=True)) for row in rows]


def test_last_week_as_csv_one_row_per_article_in_the_office_s_time(week):
    rows = export(week, "--since", "2026-11-23", "--until", "2026-11-30", "--csv")
    assert list(rows[0]) == list(ARTICLE_COLUMNS)
    got = sorted((r["kind"], r["title"], r["found"], r["published"], r["delay_hours"], r["feeds"]) for r in rows)
    assert got == [
        ("keyword", "Johnson to meet Sergei Lavrov in Moscow", "2026-11-24 14:00:00", "2026-11-24 13:00:00", "",
         "World Desk"),
        ("pickup", "UK minister plans Russia trip", "2026-11-24 14:00:00", "2026-11-24 12:30:00", "2.5", "World Desk"),
        ("related", "Johnson to meet Sergei Lavrov in Moscow", "2026-11-24 14:00:00", "2026-11-24 13:00:00", "3",
         "World Desk"),
    ]  # fmt: skip
    for r in rows:
        keyword = r["kind"] == "keyword"
        assert (r["rule"], r["release"]) == (("moscow", "") if keyword else ("", "Foreign Secretary to visit Moscow"))
        assert r["release_id"].startswith("" if keyword else "tag:") and r["link"].startswith("https://news.example")


def test_an_article_in_two_feeds_is_one_row_naming_both_first_found_first(week):
    """Without --until: the related story, found again on Monday in a second feed under a tracking parameter, is one
    row (as `matches list` counts it), dated by its first copy, naming both feeds, under its clean link."""
    rows = export(week, "--kind", "related", "--csv")
    assert [(r["found"], r["feeds"], r["link"], r["delay_hours"]) for r in rows] == [
        ("2026-11-24 14:00:00", "Paper: UK; World Desk", STORY, "3")
    ]
    listed = run(week, "matches", "list", "--kind", "related")
    assert listed.output.rstrip().endswith(f"2 matches of {len(rows)} article")


def test_a_title_that_would_be_a_formula_stays_text(week):
    """OWASP's advice for CSV injection: a cell starting with = + - @ tab or CR is written after a `'`. (A feed's
    title loses its leading tab or CR when stored: `test_text_cell` has those.)"""
    stored = {m["title"] for m in json.loads(run(week, "matches", "list", "--since", "2026-11-30", "--json").stdout)}
    rows = export(week, "--since", "2026-11-30", "--rule", "moscow", "--csv")
    assert {r["title"] for r in rows} == {text_cell(t) for t in stored}
    assert {"'" + t for t in HOSTILE[:4]} <= {r["title"] for r in rows}
    cells = [cell for r in rows for key, cell in r.items() if key != "delay_hours"]
    assert not [c for c in cells if c.startswith(("=", "+", "-", "@", "\t", "\r"))]


@pytest.mark.parametrize(
    ("cell", "written"),
    [
        ("=1+2", "'=1+2"),
        ("+44 20 7946 0000", "'+44 20 7946 0000"),
        ("-2", "'-2"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1", "'\t=1"),
        ("\r=1", "\\r=1"),  # (escaped, as the CLI prints a carriage return from outside: no formula either)
        ("\x1b]0;pwned\x07Lavrov", "\\x1b]0;pwned\\x07Lavrov"),  # a terminal's title is not set by a headline
        ("Lavrov = talks", "Lavrov = talks"),
        ("", ""),
        (None, ""),
    ],
)
def test_text_cell(cell, written):
    assert text_cell(cell) == written


@pytest.mark.parametrize(
    ("when", "shown"),
    [
        (datetime(2026, 11, 30, 9, 30, tzinfo=UTC), "2026-11-30 09:30:00"),  # GMT
        (datetime(2026, 6, 3, 8, 30, tzinfo=UTC), "2026-06-03 09:30:00"),  # BST: the office's clock
        (None, ""),
    ],
)
def test_spreadsheet_time_is_the_wall_time_in_the_site_s_zone(when, shown):
    from zoneinfo import ZoneInfo

    assert spreadsheet_time(when, ZoneInfo("Europe/London")) == shown


@pytest.mark.parametrize(("seconds", "shown"), [(9000, "2.5"), (10800, "3"), (-900, "-0.25"), (1, "0"), (None, "")])
def test_hours(seconds, shown):
    assert hours(seconds) == shown


def test_by_release_lists_last_week_s_releases_covered_or_not(week):
    args = ("matches", "list", "--by", "release", "--since", "2026-11-23", "--until", "2026-11-30")
    text = run(week, *args)
    assert text.exit_code == 0, text.output
    assert text.output.splitlines() == [
        "2026-11-26 09:00 GMT  Island ferry fares frozen  (island-ferry-fares-frozen)",
        "         no coverage",
        "2026-11-24 10:00 GMT  Foreign Secretary to visit Moscow  (foreign-secretary-to-visit-moscow)",
        "         2 articles (1 pickup, 1 related), the first 2.5 h after publication; in World Desk",
        "2 releases, 2 articles",
    ]
    summary = json.loads(run(week, *args, "--json").stdout)
    assert [(s["title"], s["articles"], s["pickups"], s["related"], s["first_delay_seconds"], s["feeds"])
            for s in summary] == [
        ("Island ferry fares frozen", 0, 0, 0, None, []),
        ("Foreign Secretary to visit Moscow", 2, 1, 1, 9000.0, ["World Desk"]),
    ]  # fmt: skip
    assert summary[1]["release_id"] == summary[1]["release"] and summary[1]["published"] == "2026-11-24T10:00:00Z"
    rows = export(week, *args[2:], "--csv")
    assert list(rows[0]) == list(RELEASE_COLUMNS)
    assert [(r["release"], r["published"], r["articles"], r["pickups"], r["first_delay_hours"]) for r in rows] == [
        ("Island ferry fares frozen", "2026-11-26 09:00:00", "0", "0", ""),
        ("Foreign Secretary to visit Moscow", "2026-11-24 10:00:00", "2", "1", "2.5"),
    ]


def test_by_rule_counts_each_rule_s_articles_and_outlets(week):
    rows = export(week, "--by", "rule", "--csv")
    assert list(rows[0]) == list(RULE_COLUMNS)
    assert [(r["rule"], r["articles"], r["feeds"], r["first_found"], r["last_found"]) for r in rows] == [
        ("moscow", str(1 + len(HOSTILE)), "Paper: UK; World Desk", "2026-11-24 14:00:00", "2026-11-30 08:00:00")
    ]


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (("--since", "2026-11-30", "--until", "2026-11-23"), "--until"),
        (("--since", "2026-11-30", "--until", "2026-11-30"), "--until"),
        (("--until", "next week"), "--until"),
        (("--until", ""), "--until"),
        (("--since", "someday", "--until", "2026-11-30"), "--since"),
        (("--csv", "--json"), "--csv"),
        (("--by", "release", "--rule", "moscow"), "--by rule"),
        (("--by", "rule", "--kind", "pickup"), "--by release"),
        (("--by", "release", "--limit", "5"), "--limit"),
    ],
)
def test_options_that_cannot_be_used_are_refused_naming_them(week, args, named):
    refused = run(week, "matches", "list", *args)
    assert refused.exit_code == 2 and named in refused.output and "Traceback" not in refused.output


def test_by_release_of_one_kind_says_which_coverage_a_release_lacks(week):
    listed = run(week, "matches", "list", "--by", "release", "--kind", "pickup", "--since", "2026-11-23")
    assert listed.output.splitlines()[1:4:2] == [
        "         no pickup",
        "         1 article (1 pickup, 0 related), the first 2.5 h after publication; in World Desk",
    ]


# The same report as an Excel workbook (`-o FILE.xlsx`), read back with openpyxl as a spreadsheet program reads it.


def workbook(config, path, *args: str):
    import openpyxl

    result = run(config, "matches", "list", *args, "-o", str(path))
    assert result.exit_code == 0, result.output
    book = openpyxl.load_workbook(path)
    assert len(book.worksheets) == 1
    sheet = book.worksheets[0]
    header, *rows = sheet.iter_rows()
    return result, sheet, [c.value for c in header], rows


def test_last_week_as_a_workbook_has_dates_numbers_and_links_in_any_locale(week, tmp_path):
    """A CSV lands in one column of a German or French Excel (its list separator is `;`) and `2.5` becomes a date
    there; a workbook's cells carry their types: times are dates, delays numbers, links clickable."""
    path = tmp_path / "coverage.xlsx"
    result, sheet, header, rows = workbook(week, path, "--since", "2026-11-23", "--until", "2026-11-30")
    assert result.output == f"wrote 3 articles to {path}\n"
    assert sheet.title == "Articles" and header == list(ARTICLE_COLUMNS) and sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == "A1:J4"
    cells = {(r[3].value, r[4].value or r[5].value): r for r in rows}
    pickup = cells["pickup", "Foreign Secretary to visit Moscow"]
    assert pickup[0].value == datetime(2026, 11, 24, 14, 0) and pickup[0].number_format == "yyyy-mm-dd hh:mm"
    assert pickup[1].value == datetime(2026, 11, 24, 12, 30)
    assert pickup[2].value == 2.5 and pickup[2].data_type == "n"
    assert pickup[6].value.startswith("tag:") and pickup[7].value == "World Desk"
    assert pickup[8].value == "UK minister plans Russia trip"
    assert pickup[9].value == pickup[9].hyperlink.target == "https://news.example.com/world/trip"
    keyword = cells["keyword", "moscow"]
    assert keyword[2].value is None and keyword[5].value is None  # (no delay, no release: empty cells)
    assert cells["related", "Foreign Secretary to visit Moscow"][2].value == 3


def test_a_title_that_would_be_a_formula_is_a_text_cell_in_a_workbook_as_written(week, tmp_path):
    _, _, _, rows = workbook(week, tmp_path / "w.xlsx", "--since", "2026-11-30", "--rule", "moscow")
    titles = {r[8].value: r[8].data_type for r in rows}
    assert {t: titles.get(t) for t in HOSTILE[:4]} == dict.fromkeys(HOSTILE[:4], "s")  # (no `'`: a string cell)


def test_by_release_and_by_rule_as_workbooks(week, tmp_path):
    _, sheet, header, rows = workbook(
        week, tmp_path / "r.xlsx", "--by", "release", "--since", "2026-11-23", "--until", "2026-11-30"
    )
    assert sheet.title == "Releases" and header == list(RELEASE_COLUMNS)
    assert [tuple(c.value for c in r[:8]) for r in rows] == [
        ("Island ferry fares frozen", rows[0][1].value, datetime(2026, 11, 26, 9, 0), 0, 0, 0, None, None),
        ("Foreign Secretary to visit Moscow", rows[1][1].value, datetime(2026, 11, 24, 10, 0), 2, 1, 1,
         datetime(2026, 11, 24, 14, 0), 2.5),
    ]  # fmt: skip
    result, sheet, header, rows = workbook(week, tmp_path / "k.xlsx", "--by", "rule")
    assert result.output.startswith("wrote 1 rule to ")
    assert sheet.title == "Rules" and header == list(RULE_COLUMNS)
    assert [tuple(c.value for c in r) for r in rows] == [
        ("moscow", 1 + len(HOSTILE), datetime(2026, 11, 24, 14, 0), datetime(2026, 11, 30, 8, 0),
         "Paper: UK; World Desk")
    ]  # fmt: skip


def test_the_same_report_at_the_same_time_is_the_same_bytes(week, tmp_path, monkeypatch):
    # "At the same time": the workbook says when it was made, to the second, and two runs may straddle one.
    monkeypatch.setattr("feeds.app.utc_now", lambda: datetime(2026, 11, 30, 8, 0, 0, 500_000, tzinfo=UTC))
    one, two = tmp_path / "one.xlsx", tmp_path / "two.xlsx"
    for path in (one, two):
        assert run(week, "matches", "list", "--since", "2026-11-23", "-o", str(path)).exit_code == 0
    assert one.read_bytes() == two.read_bytes()


def test_o_writes_csv_and_json_as_printed(week, tmp_path):
    printed = run(week, "matches", "list", "--csv").stdout_bytes
    result = run(week, "matches", "list", "-o", str(tmp_path / "m.CSV"))
    assert (tmp_path / "m.CSV").read_bytes() == printed and result.output.startswith("wrote 9 articles to ")
    printed = json.loads(run(week, "matches", "list", "--json").stdout)
    result = run(week, "matches", "list", "--json", "-o", str(tmp_path / "m.json"))
    assert json.loads((tmp_path / "m.json").read_text(encoding="utf-8")) == printed
    assert result.output.startswith(f"wrote {len(printed)} matches to ")
    summary = json.loads(run(week, "matches", "list", "--by", "release", "--json").stdout)
    run(week, "matches", "list", "--by", "release", "-o", str(tmp_path / "s.json"))
    assert json.loads((tmp_path / "s.json").read_text(encoding="utf-8")) == summary


@pytest.mark.parametrize(
    ("args", "named"),
    [
        (("-o", "report.txt"), "'report.txt' ends in neither .xlsx, .csv, .json"),
        (("-o", "report"), "ends in neither"),
        (("--csv", "-o", "report.json"), "--csv and -o report.json ask for two forms"),
        (("--json", "-o", "report.xlsx"), "--json and -o report.xlsx ask for two forms"),
    ],
)
def test_an_output_file_of_no_known_form_is_refused_naming_it(week, tmp_path, monkeypatch, args, named):
    monkeypatch.chdir(tmp_path)
    refused = run(week, "matches", "list", *args)
    assert refused.exit_code == 2 and named in refused.output and "Traceback" not in refused.output
    assert list(tmp_path.glob("report*")) == []


def test_a_report_that_cannot_be_written_says_where_and_leaves_the_old_one(week, tmp_path):
    missing = tmp_path / "no-such-folder" / "coverage.xlsx"
    failed = run(week, "matches", "list", "-o", str(missing))
    assert failed.exit_code == 1 and f"cannot write {missing}" in failed.output and "Traceback" not in failed.output
    old = tmp_path / "coverage.xlsx"
    old.write_bytes(b"last week's")
    assert run(week, "matches", "list", "-o", str(old)).exit_code == 0
    assert old.read_bytes().startswith(b"PK") and [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []
