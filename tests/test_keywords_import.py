"""`feeds keywords import` and `feeds keywords export` end to end: real files written as Excel and text editors
write them (CSV UTF-8 with a BOM, European semicolons in Windows-1252, UTF-16 "Unicode Text", plain text), through
the CLI, on a real SQLite database."""

from __future__ import annotations

import codecs
import json

from tests.cli_watch_helpers import RSS, run


def rules(config) -> list[dict[str, str]]:
    return json.loads(run(config, "keywords", "list", "--json").stdout)


def test_excel_csv_utf8_with_bom_is_imported_and_a_second_import_changes_nothing(config, tmp_path):
    sheet = tmp_path / "rules.csv"
    sheet.write_bytes(
        codecs.BOM_UTF8
        + b'name,query,notes\r\n"Sanctions, Iran","sanction* ""north korea""",Ana\r\nlavrov,lavrov,\r\n,,\r\n'
    )
    first = run(config, "keywords", "import", str(sheet))
    assert first.exit_code == 0, first.output
    assert 'added        Sanctions, Iran: sanction* "north korea"' in first.output
    assert f"{sheet} (CSV, UTF-8 with BOM): 2 added, 0 updated, 0 unchanged" in first.output
    assert "note: columns ignored: notes" in first.stderr
    assert rules(config) == [
        {"name": "lavrov", "query": "lavrov", "origin": "file:rules.csv"},
        {"name": "Sanctions, Iran", "query": 'sanction* "north korea"', "origin": "file:rules.csv"},
    ]
    again = run(config, "keywords", "import", str(sheet), "--json")
    assert again.exit_code == 0
    done = json.loads(again.stdout)
    assert done["changed"] is False and done["added"] == done["updated"] == []
    assert [r["name"] for r in done["unchanged"]] == ["Sanctions, Iran", "lavrov"]
    said = run(config, "keywords", "import", str(sheet))
    assert "nothing to change, 2 rules unchanged" in said.output


def test_a_changed_query_updates_its_rule_and_is_applied_again_as_keywords_edit_does(config, tmp_path, httpserver):
    httpserver.expect_request("/feed.xml").respond_with_data(RSS, content_type="application/rss+xml")
    assert run(config, "watch", "add", httpserver.url_for("/feed.xml")).exit_code == 0
    sheet = tmp_path / "desk.csv"
    sheet.write_text("name,query\nwatch,lavrov OR bakery\n", encoding="utf-8")
    assert run(config, "keywords", "import", str(sheet)).exit_code == 0
    assert json.loads(run(config, "watch", "poll", "--json").stdout)["new_matches"] == 2
    sheet.write_text("name,query\nwatch,lavrov\n", encoding="utf-8")
    dry = run(config, "keywords", "import", str(sheet), "--dry-run")
    assert "would update watch: lavrov (was: lavrov OR bakery)" in dry.output and "dry run" in dry.output
    assert rules(config)[0]["query"] == "lavrov OR bakery", "a dry run changes nothing"
    changed = run(config, "keywords", "import", str(sheet))
    assert "updated      watch: lavrov (was: lavrov OR bakery)" in changed.output
    assert "0 added, 1 updated, 0 unchanged" in changed.output
    run(config, "watch", "poll")
    titles = [m["title"] for m in json.loads(run(config, "matches", "list", "--rule", "watch", "--json").stdout)]
    assert titles == ["Lavrov meets ministers"], "the match the new query no longer makes went"


def test_european_excel_semicolon_csv_in_windows_1252(config, tmp_path):
    sheet = tmp_path / "mots-clés.csv"
    sheet.write_bytes(
        'Name;Query\r\nZürich;zürich OR "zuerich"\r\nCommission;"""commission européenne"" OR Brüssel"\r\n'.encode(
            "cp1252"
        )
    )
    done = run(config, "keywords", "import", str(sheet))
    assert done.exit_code == 0, done.output
    assert "(semicolon-separated CSV, UTF-8): 2 added" in done.output
    assert "read as Windows-1252" in done.stderr
    assert {r["name"]: r["query"] for r in rules(config)} == {
        "Zürich": 'zürich OR "zuerich"',
        "Commission": '"commission européenne" OR Brüssel',
    }


def test_excel_unicode_text_is_utf16_tab_separated(config, tmp_path):
    sheet = tmp_path / "rules.txt"
    text = 'name\tquery\r\nКорея\t"""north korea"" OR 北朝鮮"\r\nМосква\tМосква*\r\n'
    sheet.write_bytes(codecs.BOM_UTF16_LE + text.encode("utf-16-le"))
    done = run(config, "keywords", "import", str(sheet))
    assert done.exit_code == 0, done.output
    assert "(tab-separated, UTF-16): 2 added" in done.output
    assert {r["name"]: r["query"] for r in rules(config)} == {
        "Корея": '"north korea" OR 北朝鮮',
        "Москва": "Москва*",
    }


def test_a_plain_text_file_is_one_query_per_line_named_by_the_query(config, tmp_path):
    listing = tmp_path / "ministers.txt"
    listing.write_text(
        '# ministers to watch\n\nlavrov\n  "annalena baerbock"  \n# wang yi\nsanction* -rumour\nlavrov\n',
        encoding="utf-8",
    )
    done = run(config, "keywords", "import", str(listing))
    assert done.exit_code == 0, done.output
    assert "(text, one query per line, UTF-8): 3 added" in done.output
    assert "line 7 repeats line 3" in done.stderr
    assert [(r["name"], r["query"]) for r in rules(config)] == [
        ('"annalena baerbock"', '"annalena baerbock"'),
        ("lavrov", "lavrov"),
        ("sanction* -rumour", "sanction* -rumour"),
    ]


def test_bad_lines_refuse_the_whole_import_each_listed_with_its_line_and_column(config, tmp_path):
    listing = tmp_path / "list.txt"
    listing.write_text("lavrov\n  iran (syria\niran or syria\nok\n", encoding="utf-8")
    refused = run(config, "keywords", "import", str(listing))
    assert refused.exit_code == 1
    assert f"error: {listing}: 2 lines cannot be imported, so nothing was" in refused.stderr
    assert f"{listing}:2:8: " in refused.stderr, refused.stderr  # the "(" as `keywords test` points at it
    assert f"{listing}:3:" in refused.stderr
    assert rules(config) == [], "nothing half-imported"
    sheet = tmp_path / "sheet.csv"
    sheet.write_text('name,query\nbad,"iran (syria"\nempty,\nx,"a" b"\n', encoding="utf-8")
    table = run(config, "keywords", "import", str(sheet), "--json")
    assert table.exit_code == 1
    errors = json.loads(table.stdout)["errors"]
    assert [(e["line"], e["column"]) for e in errors] == [(2, "B"), (3, "B"), (4, None)]
    assert errors[0]["message"].startswith("at character 6 of the query: ")
    assert f"{sheet}:2: column B: at character 6 of the query" in table.stderr
    assert rules(config) == []


def test_a_rule_from_the_config_is_never_changed_by_an_import(config, tmp_path):
    config.write_text(config.read_text() + '\n[[watch.keywords]]\nname = "fisheries"\nquery = "fish*"\n')
    line = config.read_text().splitlines().index("[[watch.keywords]]") + 1
    sheet = tmp_path / "rules.csv"
    sheet.write_text("name,query\nfisheries,fish*\ncod,cod\n", encoding="utf-8")
    same = run(config, "keywords", "import", str(sheet))
    assert same.exit_code == 0 and "1 added, 0 updated, 1 unchanged" in same.output
    sheet.write_text("name,query\nFisheries,cod OR haddock\n", encoding="utf-8")
    refused = run(config, "keywords", "import", str(sheet))
    assert refused.exit_code == 1
    assert f"rule 'fisheries' is defined in the config file ({config}:{line}: watch.keywords[0])" in refused.stderr
    assert {r["name"]: r["query"] for r in rules(config)} == {"cod": "cod", "fisheries": "fish*"}


def test_a_name_that_would_share_a_rules_feed_folder_is_refused(config, tmp_path):
    assert run(config, "keywords", "add", "drone*").exit_code == 0
    sheet = tmp_path / "rules.csv"
    sheet.write_text("name,query\nDrone,drone\nDRONE*,drone* -toy\n", encoding="utf-8")
    refused = run(config, "keywords", "import", str(sheet))
    assert refused.exit_code == 1
    assert "rule 'Drone' would publish its matches at matches/rules/drone/, as rule 'drone*' does" in refused.stderr
    assert "rule 'DRONE*' is on line" not in refused.stderr
    sheet.write_text("name,query\nDRONE*,drone* -toy\n", encoding="utf-8")
    same_but_case = run(config, "keywords", "import", str(sheet))
    assert "updated      drone*: drone* -toy (was: drone*)" in same_but_case.output, same_but_case.output


def test_export_reads_back_to_the_same_rules_in_csv_and_text(config, tmp_path):
    for query, name in [
        ('"north korea" -rumour', "Korea, North"),
        ("-rumour iran", "=risky"),
        ("lavrov", "lavrov"),
        ("Москва*", "Москва*"),
    ]:
        assert run(config, "keywords", "add", query, "--name", name).exit_code == 0
    before = rules(config)
    out = tmp_path / "all.csv"
    assert run(config, "keywords", "export", "-o", str(out)).exit_code == 0
    data = out.read_bytes()
    assert data.startswith(codecs.BOM_UTF8) and data.count(b"\r\n") == 5
    assert "\r\n =risky, -rumour iran,cli\r\n" in data.decode("utf-8-sig"), "no cell Excel would take for a formula"
    assert '"Korea, North","""north korea"" -rumour",cli' in data.decode("utf-8-sig")
    assert run(config, "keywords", "export").stdout_bytes == data, "deterministic"
    for r in before:
        assert run(config, "keywords", "remove", r["name"]).exit_code == 0
    assert "4 added" in run(config, "keywords", "import", str(out)).output
    assert [(r["name"], r["query"]) for r in rules(config)] == [(r["name"], r["query"]) for r in before]
    refused = run(config, "keywords", "export", "-o", str(tmp_path / "all.txt"))
    assert refused.exit_code == 1 and "'=risky'" in refused.stderr and "--format csv" in refused.stderr
    for name in ("=risky", "Korea, North"):
        run(config, "keywords", "remove", name)
    text = tmp_path / "queries.txt"
    assert run(config, "keywords", "export", "--format", "txt", "-o", str(text)).exit_code == 0
    assert text.read_text(encoding="utf-8") == "lavrov\nМосква*\n"
    assert "nothing to change, 2 rules unchanged" in run(config, "keywords", "import", str(text)).output


def test_prune_removes_the_rules_a_file_no_longer_lists_and_only_those(config, tmp_path):
    sheet = tmp_path / "desk.csv"
    sheet.write_text("name,query\na,alpha\nb,beta\n", encoding="utf-8")
    assert run(config, "keywords", "import", str(sheet)).exit_code == 0
    assert run(config, "keywords", "add", "gamma", "--name", "c").exit_code == 0
    other = tmp_path / "other.csv"
    other.write_text("name,query\nd,delta\n", encoding="utf-8")
    assert run(config, "keywords", "import", str(other)).exit_code == 0
    sheet.write_text("name,query\na,alpha\n", encoding="utf-8")
    dry = run(config, "keywords", "import", str(sheet), "--prune", "--dry-run")
    assert "would remove b: beta" in dry.output and len(rules(config)) == 4
    assert "b" in [r["name"] for r in rules(config)]
    assert "nothing to change" in run(config, "keywords", "import", str(sheet)).output, "only with --prune"
    pruned = run(config, "keywords", "import", str(sheet), "--prune", "--json")
    assert [r["name"] for r in json.loads(pruned.stdout)["removed"]] == ["b"]
    assert sorted(r["name"] for r in rules(config)) == ["a", "c", "d"]


def test_a_workbook_is_refused_with_what_to_save_it_as(config, tmp_path):
    book = tmp_path / "rules.xlsx"
    book.write_bytes(b"PK\x03\x04" + b"\x00" * 40)
    refused = run(config, "keywords", "import", str(book))
    assert refused.exit_code == 1 and 'save it as "CSV UTF-8' in refused.stderr


def test_prune_with_a_file_of_no_rules_is_refused(config, tmp_path):
    sheet = tmp_path / "desk.csv"
    sheet.write_text("name,query\na,alpha\n", encoding="utf-8")
    assert run(config, "keywords", "import", str(sheet)).exit_code == 0
    sheet.write_text("name,query\n", encoding="utf-8")
    refused = run(config, "keywords", "import", str(sheet), "--prune")
    assert refused.exit_code == 1 and "lists no rule: --prune would remove every rule" in refused.stderr
    assert [r["name"] for r in rules(config)] == ["a"]


def test_a_first_import_on_a_terminal_names_20_rules_added_and_counts_the_rest(config, tmp_path, monkeypatch):
    from feeds.cli import firstnamed

    listed = tmp_path / "ministers.txt"
    listed.write_text("".join(f"minister{i:02d}\n" for i in range(45)), encoding="utf-8")
    monkeypatch.setattr(firstnamed, "on_terminal", lambda: True)
    done = run(config, "keywords", "import", str(listed), "--dry-run")
    added = [line for line in done.output.splitlines() if line.startswith("would add")]
    assert len(added) == 20 and added[-1] == "would add    minister19: minister19"
    assert "… and 25 more would add (-v names them all; --json lists them)" in done.output
    done = run(config, "keywords", "import", str(listed))
    assert done.exit_code == 0, done.output
    added = [line for line in done.output.splitlines() if line.startswith("added")]
    assert len(added) == 20 and "… and 25 more added (-v names them all; --json lists them)" in done.output
    assert done.output.splitlines()[-1].endswith("45 added, 0 updated, 0 unchanged")
    run(config, "keywords", "remove", "minister00")
    every = run(config, "keywords", "import", str(listed), "-v")
    assert [line for line in every.output.splitlines() if line.startswith("added")] == [
        "added        minister00: minister00"
    ]
    monkeypatch.setattr(firstnamed, "on_terminal", lambda: False)  # (a pipe or a file gets every line)
    for i in range(45):
        run(config, "keywords", "remove", f"minister{i:02d}")
    piped = run(config, "keywords", "import", str(listed))
    assert len([line for line in piped.output.splitlines() if line.startswith("added")]) == 45
