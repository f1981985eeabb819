"""Ctrl-C during `feeds ingest FOLDER` of a large back catalogue (README "Bringing in past releases").

The batches stored before the interruption stay stored, and the command says so: how many files of how many were
stored, and that running it again goes on from there without storing anything twice. (At full scale: 27,000 files,
two minutes; click's bare "Aborted!" left the office wondering whether to start again from an empty database.)
"""

from __future__ import annotations

import json

from click.testing import CliRunner

import feeds.ingest
from feeds.cli import INTERRUPTED, cli


def test_ctrl_c_says_what_was_stored_and_running_it_again_goes_on(make_settings, tmp_path, monkeypatch):
    settings = make_settings()
    export = tmp_path / "old-site-export" / "2019"
    export.mkdir(parents=True)
    for n in range(5):
        release = {"source_key": f"old-{n}", "title": f"Past release {n}", "published": f"2019-0{n + 1}-10T09:00:00Z"}
        (export / f"old-{n}.json").write_text(json.dumps(release | {"body": "Text."}), encoding="utf-8")
    monkeypatch.setattr(feeds.ingest, "BATCH", 2)
    store_batch = feeds.ingest._store_batch
    calls = []

    def interrupted_at_the_third_batch(*args, **kwargs):
        calls.append(1)
        if len(calls) == 3:
            raise KeyboardInterrupt
        return store_batch(*args, **kwargs)

    monkeypatch.setattr(feeds.ingest, "_store_batch", interrupted_at_the_third_batch)
    runner = CliRunner()
    first = runner.invoke(cli, ["--config", str(settings.path), "ingest", str(export.parent)])
    assert first.exit_code == INTERRUPTED
    assert "interrupted: 4 of 5 files were read and stored" in first.stderr
    assert "run the same command again to go on" in first.stderr

    monkeypatch.setattr(feeds.ingest, "_store_batch", store_batch)
    again = runner.invoke(cli, ["--config", str(settings.path), "ingest", str(export.parent)])
    assert again.exit_code == 0, again.output
    assert again.stdout.splitlines()[-1] == "1 created, 0 updated, 4 unchanged, 0 rejected"
