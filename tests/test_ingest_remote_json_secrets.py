"""Secrets in a remote source's URL (its `api_key`) stay out of its errors, its state, the log and `feeds status`."""

from __future__ import annotations

import json
import logging

import pytest
from werkzeug import Response

from feeds.ingest.remote_json import poll_remote
from tests.test_ingest_remote_json import remote_source_app

KEY = "k3yV4LUE0f7h3api"

RESULT = {
    "title": "Minister visits Kyiv",
    "link": "/news/minister-visits-kyiv",
    "public_timestamp": "2026-11-02T10:00Z",
}


@pytest.fixture
def keyed_source(make_settings, make_app_for, httpserver):
    """A remote JSON source whose URL carries an API key in its query, as many JSON APIs want it."""
    url = httpserver.url_for("/search.json") + f"?count=20&api_key={KEY}"
    return remote_source_app(make_settings, make_app_for, url, name="keyed", link_base="https://www.example.org")


def _said(outcomes, state, caplog) -> str:
    """Everything a poll told: its outcomes (CLI, push answers), the source's state (status, /healthz), the log."""
    parts = [f"{o.origin} {o.error} {o.warning}" for o in outcomes]
    parts += [str(state.last_error), str(state.held_told)]
    parts += [r.getMessage() + " " + str(r.__dict__) for r in caplog.records if r.name.startswith("feeds")]
    return "\n".join(parts)


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(Response("busy", status=503), id="server-error"),
        pytest.param(Response("<html>down</html>", content_type="text/html"), id="not-json"),
        pytest.param(
            Response(json.dumps({"results": [{"summary": "no title"}]}), content_type="application/json"),
            id="no-result-stored",
        ),
        pytest.param(Response(json.dumps({"results": [RESULT]}), content_type="application/json"), id="stored"),
    ],
)
def test_a_remote_source_api_key_is_not_in_its_errors_state_or_log(keyed_source, httpserver, caplog, answer):
    # The source's URL was the origin of every message: `feeds status`, /healthz (readable from every private
    # network by default), the log and each stored release's origin showed the key.
    app, src = keyed_source
    httpserver.expect_request("/search.json").respond_with_response(answer)
    with caplog.at_level(logging.DEBUG):
        outcomes = poll_remote(app, src)
    state = app.store.source_state("keyed")
    said = _said(outcomes, state, caplog)
    stored = [app.store.release(o.release_id).origin for o in outcomes if o.release_id is not None]
    said += "\n".join(str(origin) for origin in stored)
    assert KEY not in said
    assert "search.json?count=20&api_key=***" in said  # (the source is still named by its address)


def test_status_does_not_show_a_remote_source_api_key(keyed_source):
    from feeds.status import gather

    app, _ = keyed_source
    sources = gather(app).sources
    assert sources and KEY not in json.dumps(sources, default=str)
