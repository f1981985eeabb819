"""A folder of the watch list handled as one, as an analyst with 3,000 feeds in nested OPML folders does: `watch
remove --tagged TAG` drops a whole folder (a region the office stopped covering) in one command, with a dry run
first, rather than one `watch remove` per feed."""

from __future__ import annotations

import json

from tests.cli_watch_helpers import run


def _add(config, url: str, *tags: str) -> None:
    added = run(config, "watch", "add", "--no-check", url, *[f"--tag={t}" for t in tags])
    assert added.exit_code == 0, added.output


def _ids(config) -> list[int]:
    return [f["id"] for f in json.loads(run(config, "watch", "list", "--json").stdout)]


def test_watch_remove_tagged_removes_every_feed_of_a_folder_after_a_dry_run(config):
    _add(config, "https://news0.example/rss", "Wires")
    _add(config, "https://news1.example/rss", "wires", "Favourites")
    _add(config, "https://news2.example/rss", "Asia")
    dry = run(config, "watch", "remove", "--tagged", "WIRES", "--dry-run")
    assert dry.exit_code == 0, dry.output
    assert "#1 https://news0.example/rss  [Wires]" in dry.output
    assert "#2 https://news1.example/rss  [wires, Favourites]" in dry.output and "#3" not in dry.output
    assert "would remove 2 feeds tagged 'WIRES' with their items and matches" in dry.output
    assert _ids(config) == [1, 2, 3]
    done = run(config, "watch", "remove", "--tagged", "Wires")
    assert done.exit_code == 0, done.output
    assert "removed 2 feeds tagged 'Wires': deleted 0 items and 0 matches" in done.output
    assert _ids(config) == [3]
    # a tag no feed has is an error (most often a typo), not "removed 0"; a feed named as well is a usage error
    assert run(config, "watch", "remove", "--tagged", "Wires").exit_code == 1
    assert run(config, "watch", "remove", "3", "--tagged", "Asia").exit_code == 2
    assert run(config, "watch", "remove", "3", "--dry-run").exit_code == 2
    assert run(config, "watch", "remove").exit_code == 2


def test_watch_remove_tagged_refuses_the_whole_folder_when_the_config_lists_one_of_its_feeds(config):
    with config.open("a", encoding="utf-8") as f:
        f.write('\n[[watch.feeds]]\nurl = "https://listed.example/rss"\ntags = ["Wires"]\n')
    _add(config, "https://news0.example/rss", "Wires")
    refused = run(config, "watch", "remove", "--tagged", "Wires")
    assert refused.exit_code == 1
    assert "the config file lists" in refused.output and "nothing was removed" in refused.output
    assert len(_ids(config)) == 2


NESTED = """<?xml version="1.0"?><opml version="2.0"><head><title>Office</title></head><body>
<outline text="Europe">
  <outline text="UK">
    <outline type="rss" text="Uk one" xmlUrl="https://uk1.example/rss"/>
    <outline type="rss" text="Uk two" xmlUrl="https://uk2.example/rss"/>
  </outline>
  <outline text="France"><outline type="rss" text="Fr" xmlUrl="https://fr.example/rss"/></outline>
  <outline type="rss" text="Eu" xmlUrl="https://eu.example/rss"/>
</outline>
<outline text="Favourites">
  <outline type="rss" text="Uk one" xmlUrl="https://uk1.example/rss"/>
  <outline type="rss" text="Wire" xmlUrl="https://wire.example/rss"/>
</outline>
</body></opml>"""


def test_watch_export_keeps_the_nested_folders_an_import_made_and_reads_back_the_same(config, tmp_path):
    """Readers that make folders of nested outlines (Feedly, Inoreader, NetNewsWire) got every feed of Europe/UK
    and Europe/France in one flat "Europe" folder: the export nests a tag in the one every feed of it comes under
    (UK in Europe), as the file it was imported from did; a second folder a feed is also in (Favourites) is a
    folder of its own."""
    from lxml import etree

    subs = tmp_path / "subs.opml"
    subs.write_text(NESTED, encoding="utf-8")
    assert run(config, "watch", "import", str(subs)).exit_code == 0
    out = tmp_path / "export.opml"
    assert run(config, "watch", "export", "-o", str(out)).exit_code == 0

    def tree(el) -> list:
        return [c.get("xmlUrl") or (c.get("text"), tree(c)) for c in el]

    assert tree(etree.fromstring(out.read_bytes()).find("body")) == [
        (
            "Europe",
            [
                ("UK", ["https://uk1.example/rss", "https://uk2.example/rss"]),
                ("France", ["https://fr.example/rss"]),
                "https://eu.example/rss",
            ],
        ),
        ("Favourites", ["https://wire.example/rss"]),
    ]
    other = tmp_path / "other"
    other.mkdir()
    (other / "inbox").mkdir()
    (other / "feeds.toml").write_text(config.read_text(encoding="utf-8"), encoding="utf-8")
    assert run(other / "feeds.toml", "watch", "import", str(out)).exit_code == 0

    def tags(cfg) -> dict[str, list[str]]:
        return {f["url"]: f["tags"] for f in json.loads(run(cfg, "watch", "list", "--json").stdout)}

    assert tags(other / "feeds.toml") == tags(config)
    assert tags(config)["https://uk1.example/rss"] == ["Europe", "UK", "Favourites"]


def test_a_second_import_says_which_feeds_it_moved_and_counts_the_rest(config, tmp_path):
    """Importing the reader's export again (3,000 feeds, a few moved) printed 3,000 `already` lines and not a word
    of the feed moved to another folder: now each feed the file changed is named with its change, and the
    unchanged ones are counted (named when there are few, and in `--json` always)."""
    feeds = "".join(f'<outline type="rss" text="F{n}" xmlUrl="https://f{n}.example/rss"/>' for n in range(25))
    subs = tmp_path / "subs.opml"
    subs.write_text(f'<opml version="2.0"><body><outline text="Europe">{feeds}</outline></body></opml>', "utf-8")
    assert run(config, "watch", "import", str(subs)).exit_code == 0
    f3 = '<outline type="rss" text="F3" xmlUrl="https://f3.example/rss"/>'
    asia = f'<outline text="Asia">{f3}</outline>'
    subs.write_text(
        f'<opml><body><outline text="Europe">{feeds.replace(f3, "")}</outline>{asia}</body></opml>', "utf-8"
    )
    again = run(config, "watch", "import", str(subs))
    assert again.exit_code == 0, again.output
    assert "updated  #4 https://f3.example/rss: tags Europe → Asia" in again.output
    assert "already  #" not in again.output
    assert again.output.splitlines()[-1] == "0 added, 25 already watched (1 updated)"
    as_json = json.loads(run(config, "watch", "import", str(subs), "--json").stdout)
    assert len(as_json["already"]) == 25 and as_json["updated"] == []  # (imported as the file says already)
    few = tmp_path / "few.opml"
    few.write_text('<opml><body><outline type="rss" text="F1" xmlUrl="https://f1.example/rss"/></body></opml>', "utf-8")
    assert run(config, "watch", "import", str(few)).exit_code == 0  # (a feed of another file is left as it is)
    assert "already  #2 https://f1.example/rss" in run(config, "watch", "import", str(few)).output
