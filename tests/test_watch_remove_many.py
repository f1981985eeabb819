"""`watch remove --tagged TAG` / `--cause C` over a whole folder, as an analyst with 3,000 feeds drops a region:
the feeds go in one transaction (not one each: 250 feeds took about 10 s), with their items and matches, and the
command says what it said when it removed them one by one."""

from __future__ import annotations

import json

import sqlalchemy as sa

from tests.cli_watch_helpers import RSS, run


def _folder(tmp_path, n: int, served: list[str]) -> str:
    """An OPML file of the served feeds and `n` more, all in the folder Wires, and one feed in Asia."""
    outlines = [f'<outline type="rss" text="Served {i}" xmlUrl="{u}"/>' for i, u in enumerate(served)]
    outlines += [f'<outline type="rss" text="Wire {i}" xmlUrl="https://wire{i}.example/rss"/>' for i in range(n)]
    path = tmp_path / "subs.opml"
    path.write_text(
        '<?xml version="1.0"?><opml version="2.0"><head><title>Office</title></head><body>'
        f'<outline text="Wires">{"".join(outlines)}</outline>'
        '<outline text="Asia"><outline type="rss" text="Asia" xmlUrl="https://asia.example/rss"/></outline>'
        "</body></opml>",
        encoding="utf-8",
    )
    return str(path)


def test_watch_remove_tagged_removes_a_folder_in_one_transaction_with_its_items_and_matches(
    config, httpserver, tmp_path
):
    httpserver.expect_request("/a.xml").respond_with_data(RSS, content_type="application/rss+xml")
    served = [httpserver.url_for("/a.xml")]
    assert run(config, "watch", "import", _folder(tmp_path, 40, served)).exit_code == 0
    assert run(config, "keywords", "add", "Lavrov").exit_code == 0
    assert run(config, "watch", "poll", *served).exit_code == 0
    assert len(json.loads(run(config, "matches", "list", "--json").stdout)) == 1
    commits: list[object] = []

    def counted(conn: sa.Connection) -> None:
        commits.append(conn)

    sa.event.listen(sa.Engine, "commit", counted)
    try:
        done = run(config, "watch", "remove", "--tagged", "Wires")
    finally:
        sa.event.remove(sa.Engine, "commit", counted)
    assert done.exit_code == 0, done.output
    assert len(commits) < 5, f"{len(commits)} commits for 41 feeds"
    lines = done.output.splitlines()
    assert lines[0] == f"removed #1 {served[0]}"
    assert lines[1] == "removed #2 https://wire0.example/rss" and len(lines) == 42
    assert lines[-1] == "removed 41 feeds tagged 'Wires': deleted 2 items and 1 match"
    left = json.loads(run(config, "watch", "list", "--json").stdout)
    assert [f["url"] for f in left] == ["https://asia.example/rss"]
    assert json.loads(run(config, "matches", "list", "--json").stdout) == []
    assert "0 of 0 stored items match" in run(config, "keywords", "test", "Lavrov").output


def test_store_remove_feeds_goes_by_the_ids_given_and_leaves_out_one_removed_meanwhile(store):
    from tests.store_watch_helpers import add

    feeds = [add(store, f"https://n{i}.example/rss") for i in range(3)]
    store.remove_feed(feeds[1].id)
    removed, items, matches = store.remove_feeds([feeds[2].id, feeds[1].id, feeds[0].id])
    assert [f.url for f in removed] == ["https://n2.example/rss", "https://n0.example/rss"]
    assert (items, matches) == (0, 0) and store.feeds() == []
