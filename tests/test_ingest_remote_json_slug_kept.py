"""A remote source whose result asks for another slug than its stored release's: the release keeps its slug, and
the log says so at the first read, then at most once a day, as for a release withdrawn by hand (every read of a
changed document said it again: noise every 15 minutes). The outcome says it every time."""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta

from feeds.ingest.remote_json import poll_remote
from feeds.ingestreport import IngestOutcome
from tests.test_ingest_remote_json import SEARCH, remote_app  # noqa: F401  (the fixture)


def _said(caplog, level: str = "WARNING") -> list[str]:
    return [
        r.getMessage() for r in caplog.records if r.levelname == level and "'kyiv-trip' is not used" in r.getMessage()
    ]


def test_a_slug_asked_again_and_again_is_said_once_then_once_a_day(remote_app, httpserver, clock, caplog):  # noqa: F811
    app, src = remote_app
    httpserver.expect_request("/search.json").respond_with_json(SEARCH)
    poll_remote(app, src)
    asked = json.loads(json.dumps(SEARCH))
    asked["results"][1]["wanted_slug"] = "kyiv-trip"
    httpserver.clear()
    httpserver.expect_request("/search.json").respond_with_json(asked)
    mapped = dataclasses.replace(src, fields=(*src.fields, ("slug", "wanted_slug")))

    def read() -> IngestOutcome:
        caplog.clear()
        with caplog.at_level("DEBUG", logger="feeds.ingest"):
            outcomes = poll_remote(app, mapped, force=True)
        return next(o for o in outcomes if o.slug == "minister-visits-kyiv")

    clock.advance(timedelta(minutes=15))
    assert "'kyiv-trip' is not used" in (read().slug_kept or "")
    (said,) = _said(caplog)
    assert "keeps its slug 'minister-visits-kyiv'" in said
    for _ in range(3):
        clock.advance(timedelta(minutes=15))
        kyiv = read()
        assert kyiv.status == "unchanged" and "'kyiv-trip' is not used" in (kyiv.slug_kept or ""), "still said here"
        assert _said(caplog) == [] and len(_said(caplog, "DEBUG")) == 1
    clock.advance(timedelta(days=1))
    read()
    assert len(_said(caplog)) == 1
