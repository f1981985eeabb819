"""POST /api/releases over a real socket (waitress on 127.0.0.1, `requests` as the client).

What a sender sees: 401/403 for missing, malformed or wrong tokens (compared in constant time), 404 when the API
is disabled, 415/413/400 for bodies that are not a valid release (every field error listed), 201 + Location and a
stored release, replays by Idempotency-Key and by source_key that never duplicate, lists that are all or
nothing, 429 + Retry-After that clears when time passes, and the publish trigger fired after a change.
"""

from __future__ import annotations

import contextlib
import gzip
import hmac
import io
import json
import logging
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import requests
import sqlalchemy as sa
from click.testing import CliRunner

from feeds.app import App
from feeds.cli import cli
from feeds.clock import FixedClock, rfc3339
from feeds.store.schema import idempotency
from feeds.web.api import IDEMPOTENCY_KEPT
from feeds.web.app import WebApp, make_web_app
from feeds.web.auth import RateLimiter
from feeds.web.body import read_body
from feeds.web.replies import Reject
from tests.localhttp import wsgi_served

TOKEN = "test-token-0123456789-abcdefghij"
RELEASE = {
    "title": "Minister announces new sanctions",
    "body": "The Minister announced sanctions today.\n\nThey take effect at once.",
    "published": "2026-11-27T09:30:00Z",
}


def serving() -> Iterator[Callable[[Any], str]]:
    """Serve WSGI apps with waitress on free ports in daemon threads; all closed when the generator ends."""
    with contextlib.ExitStack() as servers:

        def start(wsgi: Any) -> str:
            return f"http://127.0.0.1:{servers.enter_context(wsgi_served(wsgi))}"

        yield start


@pytest.fixture
def serve() -> Iterator[Callable[[Any], str]]:
    yield from serving()


@dataclass
class Api:
    base: str
    app: App
    web: WebApp
    clock: FixedClock
    config_path: str
    session: requests.Session = field(default_factory=requests.Session)
    changes: list[int] = field(default_factory=list)

    def post(
        self,
        body: object = RELEASE,
        *,
        token: str | None = TOKEN,
        headers: dict[str, str] | None = None,
        data: bytes | None = None,
        path: str = "/api/releases",
    ) -> requests.Response:
        h = {"Content-Type": "application/json"}
        if token is not None:
            h["Authorization"] = f"Bearer {token}"
        h.update(headers or {})
        payload = data if data is not None else json.dumps(body).encode()
        return self.session.post(self.base + path, data=payload, headers=h, timeout=10)


@pytest.fixture
def make_api(make_settings, make_app_for, serve, clock, tmp_path) -> Iterator[Callable[..., Api]]:
    made: list[Api] = []

    def make(web_toml: str = f'api_token = "{TOKEN}"\nrate_limit = 1000\n', database_url: str | None = None) -> Api:
        settings = make_settings(f"\n[web]\n{web_toml}", database_url=database_url)
        app = make_app_for(settings)
        changes: list[int] = []
        web = make_web_app(app, on_change=lambda: changes.append(1))
        api = Api(serve(web), app, web, clock, str(tmp_path / "feeds.toml"), changes=changes)
        made.append(api)
        return api

    yield make
    for api in made:
        api.session.close()


@pytest.fixture
def api(make_api) -> Api:
    return make_api()


def errors_of(resp: requests.Response) -> list[dict[str, Any]]:
    assert resp.headers["Content-Type"].startswith("application/json")
    errors: list[dict[str, Any]] = resp.json()["errors"]
    return errors


# --- authentication ------------------------------------------------------------------------------------------


def test_missing_authorization_is_401_with_bearer_challenge(api):
    resp = api.post(token=None)
    assert resp.status_code == 401
    assert resp.headers["WWW-Authenticate"].startswith("Bearer")
    assert "Bearer" in errors_of(resp)[0]["message"]
    assert api.app.store.count_releases() == 0


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Bearer", "Bearer  ", f"Bearer {TOKEN} extra", TOKEN])
def test_malformed_authorization_is_401(api, header):
    resp = api.post(token=None, headers={"Authorization": header})
    assert resp.status_code == 401
    assert 'error="invalid_request"' in resp.headers["WWW-Authenticate"]


@pytest.mark.parametrize("wrong", [TOKEN[:-1] + "X", TOKEN[:-1], TOKEN + "0", "short", TOKEN.upper()])
def test_wrong_token_is_401_invalid_token_and_says_nothing_about_closeness(api, wrong):
    """RFC 6750 §3.1: 401 with error="invalid_token", so a client knows to renew its token (it was a bare 403)."""
    resp = api.post(token=wrong)
    assert resp.status_code == 401 and 'error="invalid_token"' in resp.headers["WWW-Authenticate"]
    assert errors_of(resp) == [{"field": "Authorization", "message": "the token is not valid"}]
    assert api.app.store.count_releases() == 0


def test_bearer_scheme_is_case_insensitive(api):
    resp = api.post(token=None, headers={"Authorization": f"bearer {TOKEN}"})
    assert resp.status_code == 201


def test_token_is_compared_with_hmac_compare_digest(api, monkeypatch):
    calls: list[tuple[bytes, bytes]] = []
    real = hmac.compare_digest

    def spy(a, b):
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(hmac, "compare_digest", spy)
    assert api.post(token="nope-nope-nope-nope").status_code == 401
    assert api.post().status_code == 201
    assert len(calls) == 2
    # Digests of equal length on both sides: the comparison time cannot depend on the token's length.
    assert all(len(a) == len(b) == 32 for a, b in calls)


def test_disabled_without_a_token_is_404_with_a_clear_error(make_api):
    api = make_api("rate_limit = 1000\n")
    resp = api.post()
    assert resp.status_code == 404
    assert "disabled" in errors_of(resp)[0]["message"]
    assert api.app.store.count_releases() == 0


def test_other_methods_and_paths(api):
    resp = api.session.get(api.base + "/api/releases", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=10)
    assert resp.status_code == 405 and resp.headers["Allow"] == "POST"
    assert api.post(path="/api/other").status_code == 404
    assert api.post(path="/api/other").json()["errors"][0]["message"].startswith("no such API endpoint")


# --- the body ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "ctype", ["text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin-1"]
)
def test_wrong_content_type_is_415(api, ctype):
    resp = api.post(headers={"Content-Type": ctype})
    assert resp.status_code == 415
    assert errors_of(resp)[0]["field"] == "Content-Type"


@pytest.mark.parametrize(
    ("ctype", "said"),
    [
        # curl -d without -H sends a form: the sender is told what it sent, not only what to send.
        ("application/x-www-form-urlencoded", "sent as application/x-www-form-urlencoded"),
        (None, "sent without a Content-Type"),
    ],
)
def test_a_body_of_another_media_type_is_told_what_it_was_sent_as(api, ctype, said):
    """An integrator's first curl (`-d '{…}'` without `-H 'Content-Type: …'`) was told only "send the release as
    JSON", though the body was JSON: the answer names the media type that came, which is the mistake."""
    headers = {"Content-Type": ctype} if ctype else {}
    h = {"Authorization": f"Bearer {TOKEN}", **headers}
    resp = api.session.post(api.base + "/api/releases", data=json.dumps(RELEASE).encode(), headers=h, timeout=10)
    assert resp.status_code == 415
    (error,) = errors_of(resp)
    assert error["field"] == "Content-Type" and said in error["message"], error
    assert "Content-Type: application/json" in error["message"]


@pytest.mark.parametrize(
    ("headers", "code"),
    [({}, 401), ({"Authorization": "Token abc"}, 401), ({"Authorization": "Bearer wrong-wrong-wrong-wrong"}, 401)],
)
def test_an_authentication_error_names_the_authorization_header_as_its_field(api, headers, code):
    """README: every refusal names the header it is about as `field`; the 401s said `null`."""
    h = {"Content-Type": "application/json", **headers}
    resp = api.session.post(api.base + "/api/releases", data=json.dumps(RELEASE).encode(), headers=h, timeout=10)
    assert resp.status_code == code
    assert [e["field"] for e in errors_of(resp)] == ["Authorization"]


def test_releases_wrapped_in_an_object_are_told_to_send_the_list_itself(api):
    """A sender mirroring the list answer (`{"releases": [...]}`) was told of an unknown field 'releases' and a
    missing title, which reads as if the items were wrong: it is told to send the list itself."""
    resp = api.post({"releases": [RELEASE]})
    assert resp.status_code == 400
    (error,) = errors_of(resp)
    assert error["field"] == "releases" and "send the list itself" in error["message"], error
    assert api.app.store.count_releases() == 0


def test_json_suffix_media_type_is_accepted(api):
    assert api.post(headers={"Content-Type": "application/vnd.feeds+json; charset=utf-8"}).status_code == 201


@pytest.mark.parametrize("coding", ["gzip", "deflate", "br", "gzip, identity"])
def test_a_compressed_body_is_415_naming_content_encoding_not_a_400_about_utf8(api, coding):
    """A CMS gzipping its request was told "the body is not UTF-8 (byte 1)", which sent it looking for a charset
    problem: the body's coding is refused by name, with the one accepted (RFC 7694 §3), and nothing is stored."""
    resp = api.post(data=gzip.compress(json.dumps(RELEASE).encode()), headers={"Content-Encoding": coding})
    assert resp.status_code == 415
    error = errors_of(resp)[0]
    assert error["field"] == "Content-Encoding"
    assert "uncompressed" in error["message"]
    assert resp.headers["Accept-Encoding"] == "identity"
    assert api.app.store.count_releases() == 0


def test_an_identity_content_encoding_is_accepted(api):
    assert api.post(headers={"Content-Encoding": "Identity"}).status_code == 201


def test_oversized_body_is_413(make_api):
    api = make_api(f'api_token = "{TOKEN}"\nmax_body = 2048\nrate_limit = 1000\n')
    big = dict(RELEASE, body="word " * 1000)
    resp = api.post(big)
    assert resp.status_code == 413
    assert errors_of(resp)[0]["message"] == "the body is larger than web.max_body (2,048 bytes)"
    assert api.app.store.count_releases() == 0


def test_a_list_over_max_releases_is_413_naming_the_limit_and_the_count_and_stores_nothing(make_api):
    api = make_api(f'api_token = "{TOKEN}"\nmax_releases = 3\nrate_limit = 1000\n')
    releases = [dict(RELEASE, title=f"Minister announces sanctions, part {n}") for n in range(4)]
    resp = api.post(releases)
    assert resp.status_code == 413
    assert errors_of(resp) == [
        {"field": None, "message": "the list holds 4 releases, more than web.max_releases (3): send fewer at a time"}
    ]
    assert api.app.store.count_releases() == 0 and api.changes == []  # nothing stored, nothing to publish
    resp = api.post(releases[:3])  # the limit itself is allowed
    assert resp.status_code == 201 and len(resp.json()["releases"]) == 3
    assert api.app.store.count_releases() == 3 and api.changes == [1]


def test_by_default_a_list_of_20000_small_releases_is_refused_before_any_is_read(api, monkeypatch):
    # The reported case: 20,000 releases fit within web.max_body and held the API for a 30 s ingest and publish.
    import feeds.web.validate as validate_module

    def must_not_run(*args, **kwargs):
        raise AssertionError("a release of a list over the cap was read")

    monkeypatch.setattr(validate_module, "raws_from_value", must_not_run)
    releases = [{"title": f"T{n}", "body": "b"} for n in range(20_000)]
    assert len(json.dumps(releases)) < api.app.settings.web.max_body
    resp = api.post(releases)
    assert resp.status_code == 413
    assert errors_of(resp)[0]["message"] == (
        "the list holds 20,000 releases, more than web.max_releases (1,000): send fewer at a time"
    )
    assert api.app.store.count_releases() == 0 and api.changes == []


class CountingStream(io.BytesIO):
    def __init__(self, data: bytes):
        super().__init__(data)
        self.consumed = 0

    def read(self, size: int | None = -1) -> bytes:
        chunk = super().read(size)
        self.consumed += len(chunk)
        return chunk


def test_body_cap_reads_nothing_when_content_length_is_too_big():
    stream = CountingStream(b"x" * 10_000)
    with pytest.raises(Reject) as e:
        read_body({"CONTENT_LENGTH": "10000", "wsgi.input": stream}, 100)
    assert e.value.code == 413 and stream.consumed == 0


def test_body_cap_reads_at_most_cap_plus_one_without_content_length():
    stream = CountingStream(b"x" * 10_000)
    with pytest.raises(Reject) as e:
        read_body({"wsgi.input": stream, "wsgi.input_terminated": True}, 100)
    assert e.value.code == 413 and stream.consumed == 101


def test_body_without_length_on_an_unterminated_stream_is_411():
    with pytest.raises(Reject) as e:
        read_body({"wsgi.input": CountingStream(b"{}")}, 100)
    assert e.value.code == 411


@pytest.mark.parametrize(
    ("data", "needle"),
    [
        (b'{"title": "x",', "not valid JSON"),
        (b"", "empty"),
        (b'{"title": NaN}', "NaN"),
        (b'{"title": "a", "title": "b"}', "twice"),
        (b"\xff\xfe{}", "not UTF-8"),
    ],
)
def test_malformed_json_is_400(api, data, needle):
    resp = api.post(data=data)
    assert resp.status_code == 400
    assert needle in errors_of(resp)[0]["message"]


def test_field_errors_are_all_listed(api):
    resp = api.post({"titel": "Minister visits", "body": "Text.", "topics": 5, "summary": ["not", "a", "string"]})
    assert resp.status_code == 400
    by_field = {e["field"]: e["message"] for e in errors_of(resp)}
    assert set(by_field) == {"titel", "topics", "summary", "title"}
    assert "did you mean 'title'?" in by_field["titel"]
    assert "not number" in by_field["topics"]
    assert by_field["summary"] == "must be a string, not array"
    assert "required" in by_field["title"]
    assert api.app.store.count_releases() == 0


def test_the_errors_of_a_long_bad_list_are_capped_and_counted(api):
    """30,000 bad items got megabytes of errors back, 50 times the request: the first 100 are listed."""
    resp = api.post([{}] * 250)
    assert resp.status_code == 400
    body = resp.json()
    assert len(body["errors"]) == 100 and body["more_errors"] == 150
    assert body["errors"][0] == {"field": "title", "message": body["errors"][0]["message"], "index": 0}
    assert len(resp.content) < 20_000


@pytest.mark.parametrize(
    ("body", "field_name", "needle"),
    [
        ({"body": "Text only."}, "title", "required"),
        ({"title": 42, "body": "Text."}, "title", "must be a string, not number"),
        ({"title": "T"}, "body", "required"),
        ({"title": "T", "body": "a", "body_html": "<p>b</p>"}, "body_html", "not both"),
        ({"title": "T", "body": "Text.", "link": "ftp://example.org/x"}, "link", "http(s) URL"),
        ({"title": "T", "body": "Text.", "published": "the day after tomorrow"}, "published", ""),
        ({"title": "T", "body": "Text.", "tags": ["Iran"]}, "tags", "did you mean 'topics'?"),
    ],
)
def test_single_field_errors(api, body, field_name, needle):
    resp = api.post(body)
    assert resp.status_code == 400
    errors = errors_of(resp)
    assert [e["field"] for e in errors] == [field_name]
    assert needle in errors[0]["message"]


def test_a_list_item_that_is_not_an_object(api):
    resp = api.post([RELEASE, "just a string"])
    assert resp.status_code == 400
    assert errors_of(resp) == [{"field": None, "message": "a release must be a JSON object, not string", "index": 1}]


# --- success ---------------------------------------------------------------------------------------------------


def test_a_release_pushed_with_a_date_ahead_is_said_to_be_held(api):
    """Re-check: the 201 for an embargoed release gave its permalink as if it were live."""
    resp = api.post({**RELEASE, "source_key": "embargoed-1", "published": "2026-12-03T00:01:00Z"})
    assert resp.status_code == 201
    assert resp.json()["held_until"] == "2026-12-03T00:01:00Z"
    assert "held_until" not in api.post().json(), "a release dated now is live at once"


def test_created_is_201_with_location_stored_and_shown_by_the_cli(api):
    resp = api.post()
    assert resp.status_code == 201
    data = resp.json()
    assert data["status"] == "created"
    assert data["id"].startswith("tag:press.example.org,2026-11-27:")
    assert data["permalink"].startswith("https://press.example.org/")
    assert resp.headers["Location"] == data["permalink"]
    stored = api.app.store.release(data["id"])
    assert stored.title == RELEASE["title"] and stored.source == "push"
    assert api.changes == [1]
    shown = CliRunner().invoke(cli, ["--config", api.config_path, "releases", "show", data["id"]])
    assert shown.exit_code == 0, shown.output
    assert RELEASE["title"] in shown.output and data["id"] in shown.output


def test_same_body_again_without_keys_is_unchanged_not_duplicated(api):
    first = api.post().json()
    again = api.post()
    assert again.status_code == 200
    assert again.json() == dict(first, status="unchanged")
    assert "Location" not in again.headers
    assert api.app.store.count_releases() == 1
    assert api.changes == [1]  # no publish for nothing new


def test_source_key_updates_instead_of_duplicating(api):
    first = api.post(dict(RELEASE, source_key="pr-2026-0042"))
    assert first.status_code == 201
    changed = api.post(dict(RELEASE, source_key="pr-2026-0042", body="A corrected text of the release."))
    assert changed.status_code == 200
    assert changed.json()["status"] == "updated" and changed.json()["id"] == first.json()["id"]
    same = api.post(dict(RELEASE, source_key="pr-2026-0042", body="A corrected text of the release."))
    assert same.status_code == 200 and same.json()["status"] == "unchanged"
    assert api.app.store.count_releases() == 1
    assert api.app.store.release(first.json()["id"]).body_text == "A corrected text of the release."
    assert api.changes == [1, 1]


def test_idempotency_key_replays_the_first_answer(api):
    headers = {"Idempotency-Key": '"7f1e2a4c-1111-4b7b-9a55-000000000001"'}
    first = api.post(headers=headers)
    assert first.status_code == 201
    # Same JSON value, spaced and ordered differently: still the same request.
    replay = api.post(data=json.dumps(dict(reversed(list(RELEASE.items()))), indent=4).encode(), headers=headers)
    assert replay.status_code == 201
    assert replay.json() == first.json()
    assert replay.headers["Location"] == first.headers["Location"]
    assert replay.headers["Idempotent-Replayed"] == "true"
    assert api.app.store.count_releases() == 1
    assert api.changes == [1]


def test_idempotency_key_with_another_body_is_422(api):
    headers = {"Idempotency-Key": "key-0001"}
    assert api.post(headers=headers).status_code == 201
    resp = api.post(dict(RELEASE, title="Something else entirely"), headers=headers)
    assert resp.status_code == 422
    assert errors_of(resp)[0]["field"] == "Idempotency-Key"
    assert api.app.store.count_releases() == 1


def test_an_invalid_request_does_not_use_up_its_idempotency_key(api):
    headers = {"Idempotency-Key": "key-0002"}
    assert api.post({"body": "no title"}, headers=headers).status_code == 400
    assert api.post(headers=headers).status_code == 201


@pytest.mark.parametrize("key", ["", "x" * 256, "caf\u00e9"])
def test_bad_idempotency_key_is_400(api, key):
    resp = api.session.post(
        api.base + "/api/releases",
        data=json.dumps(RELEASE).encode(),
        headers={
            "Authorization": f"Bearer {TOKEN}",
            "Content-Type": "application/json",
            "Idempotency-Key": key.encode("utf-8").decode("latin-1"),
        },
        timeout=10,
    )
    assert resp.status_code == 400 and errors_of(resp)[0]["field"] == "Idempotency-Key"


def test_list_push_creates_all(api):
    items = [dict(RELEASE, source_key="a"), dict(RELEASE, title="Second release", source_key="b")]
    resp = api.post(items)
    assert resp.status_code == 201
    data = resp.json()
    assert data["status"] == "created"
    assert [r["status"] for r in data["releases"]] == ["created", "created"]
    assert len({r["id"] for r in data["releases"]}) == 2
    assert "Location" not in resp.headers
    assert api.app.store.count_releases() == 2
    again = api.post(items)
    assert again.status_code == 200 and again.json()["status"] == "unchanged"


def test_list_is_all_or_nothing(api):
    items = [dict(RELEASE, source_key="a"), {"title": "No body", "source_key": "b"}, dict(RELEASE, titel="x")]
    resp = api.post(items)
    assert resp.status_code == 400
    assert [(e["index"], e["field"]) for e in errors_of(resp)] == [(1, "body"), (2, "titel")]
    assert api.app.store.count_releases() == 0
    assert api.post([]).status_code == 400


def test_a_bad_date_in_one_item_is_listed_with_another_items_unknown_field(api):
    """A list with an unknown field in item 0 and an unreadable date in item 1 was answered with item 0's error
    only: the sender fixed it, sent again, and only then heard of item 1. Every item's errors come at once."""
    items = [
        dict(RELEASE, titel="x", source_key="a"),
        dict(RELEASE, source_key="b", published="the day after tomorrow"),
        dict(RELEASE, source_key="c", link="nope"),
    ]
    resp = api.post(items)
    assert resp.status_code == 400
    assert [(e["index"], e["field"]) for e in errors_of(resp)] == [(0, "titel"), (1, "published"), (2, "link")]
    assert api.app.store.count_releases() == 0


def test_an_unknown_field_and_a_bad_date_of_one_release_are_listed_together(api):
    """A single release with a misspelt field and an unreadable date was answered with the field only; the date's
    error came with the second send."""
    resp = api.post(dict(RELEASE, summry="Text.", published="the day after tomorrow", link="nope"))
    assert resp.status_code == 400
    assert [e["field"] for e in errors_of(resp)] == ["summry", "link", "published"]
    assert all("index" not in e for e in errors_of(resp))
    assert api.app.store.count_releases() == 0


def test_two_items_that_are_one_release_are_refused_naming_both(api):
    items = [dict(RELEASE, slug="Dup-X", title="A"), dict(RELEASE, slug="dup-x", title="B")]
    resp = api.post(items)
    assert resp.status_code == 400
    (error,) = errors_of(resp)
    assert error["index"] == 1 and error["field"] == "slug" and "items 0 and 1" in error["message"]
    assert api.app.store.count_releases() == 0


def test_two_items_whose_links_are_two_forms_of_one_page_are_refused(api):
    """http and https, or a slash at the end, are one page by the identity rules: the second item silently
    replaced the first in the same request (its text lost, answered `created` then `updated` under one id)."""
    items = [
        dict(RELEASE, title="Harbour dues frozen", link="http://gov.example/news/harbour-dues"),
        dict(RELEASE, title="Harbour dues frozen for 2027", link="https://gov.example/news/harbour-dues/"),
    ]
    resp = api.post(items)
    assert resp.status_code == 400
    (error,) = errors_of(resp)
    assert error["index"] == 1 and error["field"] == "link" and "items 0 and 1" in error["message"]
    assert api.app.store.count_releases() == 0


def test_a_key_twice_in_a_listed_item_names_the_item(api):
    """An integrator's review: a key twice in the 2nd of 3 listed releases was refused as `title: appears twice
    in one object`, without the index every other error of a list gives, so the CMS could not tell which one."""
    data = json.dumps([RELEASE, RELEASE, RELEASE]).encode()
    second = data.index(b'"title"', data.index(b"}") + 1)
    data = data[:second] + b'"title": "Another headline", ' + data[second:]
    resp = api.post(data=data)
    assert resp.status_code == 400
    assert errors_of(resp) == [{"field": "title", "message": "appears twice in one object", "index": 1}]
    nested = api.post(data=b'[{"title": "T", "body": "B"}, {"title": "T2", "body": "B", "topics": [{"a": 1, "a": 2}]}]')
    assert errors_of(nested) == [{"field": "a", "message": "appears twice in one object", "index": 1}]
    single = api.post(data=b'{"title": "T", "body": "B", "body": "C"}')
    assert errors_of(single) == [{"field": "body", "message": "appears twice in one object"}]
    assert api.app.store.count_releases() == 0


def test_a_list_of_one_still_names_the_index(api):
    resp = api.post([{"title": "T", "body": "Text.", "published": "not a date at all"}])
    assert resp.status_code == 400
    assert errors_of(resp)[0]["index"] == 0 and errors_of(resp)[0]["field"] == "published"


# --- rate limit, failures ----------------------------------------------------------------------------------------


def test_rate_limit_429_with_retry_after_then_recovers(make_api):
    api = make_api(f'api_token = "{TOKEN}"\nrate_limit = 3\n')
    codes = [api.post().status_code for _ in range(3)]
    assert codes == [201, 200, 200]
    limited = api.post()
    assert limited.status_code == 429
    assert limited.headers["Retry-After"] == "20"  # 3 a minute: one token every 20 s
    # (what the limit is, and that a list is one request: a sender pushing release by release can batch them)
    message = errors_of(limited)[0]["message"]
    assert message.startswith("too many requests: more than 3 a minute from this address (web.rate_limit)"), message
    assert "retry after 20 s" in message and "a list" in message
    api.clock.advance(timedelta(seconds=19))
    assert api.post().status_code == 429
    api.clock.advance(timedelta(seconds=1))
    assert api.post().status_code == 200
    assert api.post().status_code == 429


def test_a_flood_of_429s_is_one_log_line_then_a_count_when_the_sender_gets_through(make_api, caplog):
    """An integrator's review: a sender looping on 429s wrote one info line per refused request, thousands a
    minute in the journal. The first refusal is logged; the rest, until that address gets through again, are
    counted and said in one line then."""
    api = make_api(f'api_token = "{TOKEN}"\nrate_limit = 3\n')
    for _ in range(3):
        api.post()
    caplog.set_level(logging.INFO, logger="feeds.web")
    assert [api.post().status_code for _ in range(50)] == [429] * 50
    refusals = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO and "429" in r.getMessage()]
    assert len(refusals) == 1 and refusals[0].startswith("push API: 429 from 127.0.0.1: too many requests"), refusals
    caplog.clear()
    api.clock.advance(timedelta(seconds=20))
    assert api.post().status_code == 200
    said = [r.getMessage() for r in caplog.records if r.levelno >= logging.INFO]
    assert "push API: 127.0.0.1 got through again after 49 more requests refused (429)" in said, said
    assert api.post().status_code == 429  # (a new flood: logged again, once)
    assert sum("429 from" in r.getMessage() for r in caplog.records if r.levelno >= logging.INFO) == 1


def test_failed_attempts_are_limited_but_never_lock_out_the_token_holder(make_api):
    """A CMS developer's review: 53 requests without a token from one address used up the budget, and the CMS's
    next valid push got a 429: behind a shared NAT anyone could lock it out. Guessing is still limited."""
    api = make_api(f'api_token = "{TOKEN}"\nrate_limit = 3\n')
    codes = [api.post(token="wrong-wrong-wrong-wrong").status_code for _ in range(4)]
    assert codes == [401, 401, 401, 429]  # failed attempts count: no free guessing
    refused = api.post(token="wrong-wrong-wrong-wrong")
    assert errors_of(refused)[0]["message"].startswith("too many refused requests from this address")
    assert api.post(token=None).status_code == 429  # (a missing token is a failed attempt too)
    assert api.post().status_code == 201  # the token holder at the same address is not locked out


def test_the_rate_limiter_holds_a_bounded_number_of_clients_however_many_arrive_at_once():
    """An operator's soak: 14,000 requests from as many addresses within 14 s (an IPv6 range, a botnet) kept a
    bucket each, as none was idle yet, and every request past 10,000 clients looked through them all under the
    lock: 120 s of CPU for those 14,000 requests, while the sender with the token waited its turn."""
    clock = FixedClock(datetime(2026, 11, 28, 12, 0, tzinfo=UTC))
    limiter = RateLimiter(60, clock, max_clients=500)
    assert limiter.acquire("192.0.2.1") == 0.0
    started = time.process_time()
    for i in range(20_000):
        limiter.acquire(f"2001:db8::{i:x}")
        clock.advance(timedelta(milliseconds=1))
        assert len(limiter._buckets) <= 500
    assert time.process_time() - started < 5.0  # (120 s before, for 14,000)
    for _ in range(60):  # the oldest are forgotten: a client is limited from its next request as before
        limiter.acquire("192.0.2.9")
    assert limiter.acquire("192.0.2.9") > 0


def test_idempotency_keys_are_forgotten_by_housekeeping_after_30_days(make_api):
    """An operator's review: every push with an `Idempotency-Key` (a CMS sending a fresh UUID with each, as the
    draft advises) kept its key and the whole first answer for ever: 90 days of 2,000 pushes a day is 180,000
    rows. Housekeeping now forgets keys older than `IDEMPOTENCY_KEPT` (30 days); a retry within them replays."""
    from feeds.daemon import Daemon

    api = make_api()
    for day in range(60):
        key = {"Idempotency-Key": f"push-{day}"}
        assert api.post(dict(RELEASE, source_key=f"k{day}"), headers=key).status_code == 201
        api.clock.advance(timedelta(days=1))
    daemon = Daemon(Path(api.config_path), api.app.settings, clock=api.clock, serve=False)
    try:
        daemon.jobs.housekeeping(api.app)
    finally:
        daemon.app.close()
    with api.app.store.engine.connect() as conn:
        kept = conn.execute(sa.select(sa.func.count()).select_from(idempotency)).scalar_one()
    assert kept == IDEMPOTENCY_KEPT.days
    recent = api.post(dict(RELEASE, source_key="k59"), headers={"Idempotency-Key": "push-59"})
    assert recent.headers.get("Idempotent-Replayed") == "true"
    old = api.post(dict(RELEASE, source_key="k0"), headers={"Idempotency-Key": "push-0"})
    assert old.status_code == 200 and "Idempotent-Replayed" not in old.headers  # (the same release: unchanged)


def test_unexpected_errors_are_500_json_without_details(api, monkeypatch, caplog):
    def boom(app, units, **kw):
        raise RuntimeError("secret internal detail")

    monkeypatch.setattr("feeds.web.api.ingest_units", boom)
    resp = api.post()
    assert resp.status_code == 500
    assert "secret" not in resp.text and "Traceback" not in resp.text
    assert errors_of(resp)[0]["message"].startswith("internal error")
    assert "secret internal detail" in caplog.text


def test_on_change_failure_does_not_fail_the_push(api, caplog):
    def broken() -> None:
        raise RuntimeError("scheduler gone")

    api.web.api.on_change = broken
    resp = api.post()
    assert resp.status_code == 201
    assert "on_change callback failed" in caplog.text


@pytest.mark.postgres
def test_push_replay_and_update_on_postgresql(make_api, pg_url):
    api = make_api(database_url=pg_url)
    headers = {"Idempotency-Key": "pg-key-1"}
    first = api.post(dict(RELEASE, source_key="pg-1"), headers=headers)
    assert first.status_code == 201
    replay = api.post(dict(RELEASE, source_key="pg-1"), headers=headers)
    assert (replay.status_code, replay.json()) == (201, first.json())
    assert api.post(dict(RELEASE, source_key="pg-2"), headers=headers).status_code == 422
    updated = api.post(dict(RELEASE, source_key="pg-1", body="Changed."))
    assert updated.status_code == 200 and updated.json()["id"] == first.json()["id"]
    assert api.app.store.count_releases() == 1


def test_feeds_serve_publishes_a_pushed_release_shortly_after(make_settings, make_app_for, serve):
    """Without the daemon, `feeds serve` publishes what is pushed (several pushes close together: once)."""
    from feeds.web.publisher import PublishSoon

    settings = make_settings(f'\n[web]\napi_token = "{TOKEN}"\nrate_limit = 1000\n')
    app = make_app_for(settings)
    soon = PublishSoon(app, delay=0.05)
    published: list[int] = []
    real = soon._run

    def counting() -> None:
        published.append(1)
        real()

    soon._run = counting  # type: ignore[method-assign]
    base = serve(make_web_app(app, on_change=soon))
    headers = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"}
    for n in range(3):
        body = {**RELEASE, "title": f"Pier reopens, part {n}", "source_key": f"pier-{n}"}
        assert requests.post(base + "/api/releases", json=body, headers=headers, timeout=10).status_code == 201
    soon.wait()
    soon.close()
    pages = sorted(p.parent.name for p in (settings.paths.out / "releases").glob("*/index.html"))
    assert pages == ["pier-reopens-part-0", "pier-reopens-part-1", "pier-reopens-part-2"]
    assert 1 <= len(published) <= 3
    served = requests.get(base + "/releases/pier-reopens-part-2/", timeout=10)
    assert served.status_code == 200 and "Pier reopens, part 2" in served.text


def test_a_publish_still_waiting_when_the_server_stops_is_done_then(make_settings, make_app_for):
    from feeds.publish import run_publish
    from feeds.web.publisher import PublishSoon

    app = make_app_for(make_settings())
    soon = PublishSoon(app, delay=3600)
    soon()
    soon.close()  # Ctrl-C an instant after a push: the push is published, not dropped
    assert (app.settings.paths.out / "index.html").is_file()
    assert run_publish(app).changed == []
    soon()  # closed: nothing more is scheduled
    assert soon._timer is None


@pytest.mark.parametrize("with_key", [False, True])
def test_a_push_that_meets_another_daemons_insert_of_the_same_release_is_not_an_error(
    make_api, db_url, monkeypatch, with_key
):
    """Two daemons on PostgreSQL take the same push at the same moment: both read 'not stored', one inserts
    first. The other's insert conflicts; it reads again and answers as the second push would (200, or the
    first's answer replayed under the same Idempotency-Key), never 500."""
    from feeds.store.releasetx import Tx

    api = make_api(database_url=db_url)
    headers = {"Idempotency-Key": "race-1"} if with_key else {}
    body = dict(RELEASE, source_key="race-1")
    first = api.post(body, headers=headers)
    assert first.status_code == 201
    if with_key:  # the other daemon has not recorded its answer yet either
        with api.app.store.engine.begin() as conn:
            conn.exec_driver_sql("DELETE FROM idempotency")
    stale = {"releases_by_identity": 1, "taken_slugs": 1}  # what the other daemon read before the first insert
    for name in stale:
        real = getattr(Tx, name)

        def once(self, wanted, real=real, name=name):
            if stale[name]:
                stale[name] -= 1
                list(wanted)
                return {} if name == "releases_by_identity" else set()
            return real(self, wanted)

        monkeypatch.setattr(Tx, name, once)
    second = api.post(body, headers=headers)
    assert second.status_code == 200, second.text
    assert second.json()["id"] == first.json()["id"] and second.json()["status"] == "unchanged"
    assert api.app.store.count_releases() == 1


@pytest.mark.parametrize("same_body", [False, True], ids=["another body", "same body"])
@pytest.mark.parametrize("when", ["after the check", "during the ingest"])
def test_a_push_whose_idempotency_key_another_daemon_takes_meanwhile_stores_nothing(
    make_api, db_url, monkeypatch, when, same_body
):
    """Two daemons on one database take the same Idempotency-Key at the same moment. The one that records it
    second must leave nothing of its own behind: its 422 (another body) or its replay of the first answer (the
    same body) would otherwise tell the sender nothing was stored while its release was, to be published, and
    pushed again under a new key. The other daemon pushes at the worst moments: after this one found the key
    unused, and (PostgreSQL only: SQLite lets no other writer commit meanwhile) inside this one's transaction."""
    if when == "during the ingest" and db_url.startswith("sqlite"):
        pytest.skip("SQLite holds its write lock for the whole transaction: no other daemon can commit inside it")
    from feeds.store.releasetx import Tx

    loser, winner = make_api(database_url=db_url), make_api(database_url=db_url)
    headers = {"Idempotency-Key": "race-key-1"}
    mine = dict(RELEASE, source_key="from-the-loser")
    theirs = mine if same_body else dict(RELEASE, title="Minister announces other sanctions", source_key="theirs")
    answers: list[requests.Response] = []
    pushed: list[int] = []

    def push_theirs() -> None:
        if not pushed:  # once (the winner, storing the same body, passes through the same hook)
            pushed.append(1)
            answers.append(winner.post(theirs, headers=headers))

    if when == "after the check":
        real_replay = loser.web.api._replay

        def replay_then_lose(key: str, fingerprint: str) -> Any:
            found = real_replay(key, fingerprint)
            if found is None:
                push_theirs()
            return found

        monkeypatch.setattr(loser.web.api, "_replay", replay_then_lose)
    else:
        real_insert = Tx.insert_releases

        def lose_then_insert(self: Tx, rows: Any, now: Any) -> None:
            if any(r.identity.endswith("from-the-loser") for r in rows):
                push_theirs()
            real_insert(self, rows, now)

        monkeypatch.setattr(Tx, "insert_releases", lose_then_insert)
    mine_answer = loser.post(mine, headers=headers)
    assert [a.status_code for a in answers] == [201]
    if same_body:
        assert (mine_answer.status_code, mine_answer.json()) == (201, answers[0].json())
        assert mine_answer.headers["Idempotent-Replayed"] == "true"
    else:
        assert mine_answer.status_code == 422, mine_answer.text
        assert errors_of(mine_answer)[0]["field"] == "Idempotency-Key"
    stored = [r.id for r in loser.app.store.releases()]
    assert stored == [answers[0].json()["id"]]
    assert (winner.changes, loser.changes) == ([1], [])


def test_a_refused_push_is_logged_for_the_operator(api, caplog):
    import logging

    with caplog.at_level(logging.INFO, logger="feeds.web"):
        assert api.post(token=TOKEN[:-1] + "X").status_code == 401
    assert "push API: 401 from 127.0.0.1: Authorization: the token is not valid" in caplog.text


def test_a_refused_list_is_logged_with_the_item_and_the_count_of_errors(api, caplog):
    """The operator helping a CMS developer read "push API: 400 from 127.0.0.1: titel: unknown field …" for a list
    of 200 releases: not which item, nor that it was one error of two."""
    import logging

    items = [RELEASE, dict(RELEASE, titel="x"), dict(RELEASE, source_key="b", published="the day after tomorrow")]
    with caplog.at_level(logging.INFO, logger="feeds.web"):
        assert api.post(items).status_code == 400
    line = next(r.getMessage() for r in caplog.records if r.getMessage().startswith("push API: 400"))
    assert line.startswith("push API: 400 from 127.0.0.1: item 1: titel: unknown field 'titel'")
    assert line.endswith(" (and 1 more error)")


def test_a_lone_surrogate_is_a_400_naming_it_not_a_500(api):
    resp = api.post(data=b'{"title": "\\ud800x", "body": "x"}')
    assert resp.status_code == 400 and "lone surrogate" in errors_of(resp)[0]["message"]


def test_a_push_whose_slug_replaces_another_sources_release_says_so_in_the_answer(api):
    """A CMS developer's review: a pushed `slug` took over the office's file release with a plain 200 'updated';
    the only warning was in the server log, worded for files."""
    from feeds.ingest import ingest_paths

    folder = api.app.settings.paths.state.parent / "releases"
    folder.mkdir()
    (folder / "kyiv.md").write_text("---\ntitle: Trade envoy opens business centre in Kyiv\nslug: kyiv\n---\nText.")
    assert ingest_paths(api.app, [folder]).count("created") == 1
    resp = api.post({"title": "Hijacked by the CMS", "body": "x", "slug": "kyiv"})
    assert resp.status_code == 200 and resp.json()["status"] == "updated"
    warning = resp.json()["warning"]
    assert "the release 'kyiv', from source 'cli', was 'Trade envoy opens business centre in Kyiv'" in warning
    assert "give it a slug of its own" in warning


def test_a_public_release_sent_again_dated_ahead_is_refused_not_taken_off_the_site(api):
    """A CMS developer's review: re-sending a live release with a publication date ahead took its page down and
    its entries out of every feed until then, answered with a plain 'updated'."""
    live = {"title": "Ferry fares frozen", "body": "Fares stay.", "source_key": "fares", "published": "2026-11-20"}
    assert api.post(live).status_code == 201
    resp = api.post(live | {"published": "2026-12-05T09:00:00Z"})
    assert resp.status_code == 400
    (error,) = errors_of(resp)
    assert error["field"] == "published" and "has been public since 2026-11-20" in error["message"]
    assert "withdraw it" in error["message"]
    assert api.app.store.release("ferry-fares-frozen").published.day == 20  # nothing changed
    # an embargoed one may still be moved, as may a public one within the past
    assert api.post(live | {"published": "2026-11-19"}).status_code == 200
    held = {"title": "Visit to Oslo", "body": "Soon.", "source_key": "oslo", "published": "2026-12-10T10:00:00Z"}
    assert api.post(held).status_code == 201
    assert api.post(held | {"published": "2026-12-12T10:00:00Z"}).json()["held_until"] == "2026-12-12T10:00:00Z"


def test_the_answer_gives_the_dates_as_stored_and_the_withdrawal(api):
    """A CMS developer's review: answers never said when a release counts as published or updated, or that a
    withdrawal took effect ('status': 'updated' only)."""
    sent = {"title": "Ferry fares frozen", "body": "Fares stay.", "source_key": "fares", "published": "2026-11-20"}
    first = api.post(sent).json()
    assert (first["published"], first["updated"]) == ("2026-11-20T00:00:00Z", "2026-11-20T00:00:00Z")
    assert "withdrawn_at" not in first and "held_until" not in first
    gone = api.post(sent | {"withdrawn_note": "Replaced by the winter fares."}).json()
    assert gone["status"] == "updated" and gone["withdrawn_at"] == gone["updated"] == "2026-11-28T12:00:00Z"


def test_a_push_of_a_release_withdrawn_by_hand_is_stored_and_answered_as_still_withdrawn(api):
    """A CMS pushing its old content again (a retry, a re-save) must not republish a release the press office
    withdrew: the push is stored as sent, the release stays withdrawn, and the answer says so and how to undo."""
    from feeds.ingest.withdraw import restore_release, withdraw_release

    sent = {"title": "Ferry fares frozen", "body": "Fares stay.", "source_key": "fares", "published": "2026-11-20"}
    assert api.post(sent).status_code == 201
    withdraw_release(api.app, "ferry-fares-frozen", "Legal advice.")
    for body in (sent, sent | {"body": "Fares stay frozen."}):
        answer = api.post(body).json()
        assert answer["withdrawn_at"] == "2026-11-28T12:00:00Z", answer
        assert (
            "stays withdrawn" in answer["warning"] and "feeds releases restore ferry-fares-frozen" in answer["warning"]
        )
    stored = api.app.store.release("ferry-fares-frozen")
    assert stored.body_text == "Fares stay frozen." and stored.withdrawn_note == "Legal advice."
    restore_release(api.app, "ferry-fares-frozen")
    answer = api.post(sent).json()
    assert answer["status"] == "updated" and "withdrawn_at" not in answer and "warning" not in answer


def test_dates_a_cms_sends_on_later_versions_do_not_move_or_hold_a_release(api):
    """A re-check of the CMS fixes:
    - an embargoed release re-sent with `withdrawn_note` was dated withdrawn at its embargo time, and went public
      then: it is withdrawn now, before its publication, so it never goes public;
    - a public release re-sent with only `updated` had its first publication moved to that update time;
    - an `updated` a little ahead (a CMS clock running fast) without `published` embargoed the release."""
    from feeds.publish import run_publish

    held = {"title": "Visit to Oslo", "body": "Soon.", "source_key": "oslo", "published": "2026-11-28T14:00:00Z"}
    assert api.post(held).json()["held_until"] == "2026-11-28T14:00:00Z"
    gone = api.post(held | {"withdrawn_note": "Cancelled."}).json()
    assert gone["withdrawn_at"] == "2026-11-28T12:00:00Z" and "held_until" not in gone
    api.clock.advance(timedelta(hours=3))
    run_publish(api.app)
    assert "Oslo" not in (api.app.settings.paths.out / "atom.xml").read_text(encoding="utf-8")

    live = {"title": "Ferry fares frozen", "body": "Fares stay.", "source_key": "fares", "published": "2026-11-01"}
    assert api.post(live).status_code == 201
    del live["published"]
    again = api.post(live | {"body": "Fares stay.\n\nAdded the timetable.", "updated": "2026-11-20T10:00:00Z"})
    assert again.json()["published"] == "2026-11-01T00:00:00Z" and again.json()["updated"] == "2026-11-20T10:00:00Z"
    skewed = (api.clock() + timedelta(minutes=2)).isoformat()
    ahead = api.post(live | {"body": "Fares stay, until March.", "updated": skewed})
    assert ahead.status_code == 200 and ahead.json()["published"] == "2026-11-01T00:00:00Z"
    new = api.post({"title": "Harbour works", "body": "Start soon.", "source_key": "harbour", "updated": skewed}).json()
    assert "held_until" not in new and new["published"] == rfc3339(api.clock())


def test_a_refusal_in_a_pushed_list_names_its_index_and_a_link_takeover_warns(api):
    """A re-check: the 'public release dated ahead' 400 in a list had no index and began with an internal origin;
    a pushed `link` that replaced a release with another headline gave no warning (a `slug` did)."""
    live = {"title": "Ferry fares frozen", "body": "x.", "source_key": "fares", "published": "2026-11-20"}
    assert api.post(live).status_code == 201
    batch = [{"title": "New one", "body": "y.", "source_key": "n1"}, live | {"published": "2026-12-20"}]
    (error,) = errors_of(api.post(batch))
    assert error["index"] == 1 and error["field"] == "published"
    assert error["message"].startswith("'ferry-fares-frozen' has been public since 2026-11-20")
    link = "https://www.gov.uk/government/news/ferries"
    assert api.post({"title": "Ferries to run all winter", "body": "z.", "link": link}).status_code == 201
    other = api.post({"title": "Budget for coastal defences", "body": "w.", "link": link}).json()
    assert other["status"] == "updated" and "was 'Ferries to run all winter'" in other["warning"]


@pytest.mark.parametrize(
    ("error", "code", "said"),
    [
        (sa.exc.OperationalError, 503, "database unavailable: Exception: server closed the connection unexpectedly"),
        (sa.exc.ProgrammingError, 500, "database refused: Exception: server closed the connection unexpectedly"),
    ],
)
def test_a_push_the_database_fails_is_one_log_line_without_the_sql(api, caplog, monkeypatch, error, code, said):
    """A PostgreSQL restart (or a revoked permission) while a sender pushed logged a 40-line traceback per push,
    with the SQL statement in it; the jobs say it in one line, and so does the API now."""
    import logging

    def failing() -> Any:
        cause = Exception("server closed the connection unexpectedly")
        raise error("INSERT INTO releases (id) VALUES (%(id)s)", {"id": "x"}, cause)

    monkeypatch.setattr(api.app.store, "transaction", failing)
    with caplog.at_level(logging.INFO, logger="feeds.web"):
        assert api.post(body={"title": "T", "body": "B"}).status_code == code
    assert f"push API: {code} from 127.0.0.1: {said}" in caplog.text
    assert "INSERT" not in caplog.text and "Traceback" not in caplog.text


def test_feeds_serve_publishes_after_a_push_only_when_no_other_process_is_publishing(make_settings, make_app_for):
    """`feeds serve` published a push without the daemons' publish lock, so its publish could interleave in out/
    with a daemon's or a `feeds publish` from a shell. It takes the lock, and tries again shortly when it is held."""
    from feeds.web.publisher import PublishSoon

    settings = make_settings()
    app, other = make_app_for(settings), make_app_for(settings)
    index = settings.paths.out / "index.html"
    soon = PublishSoon(app, delay=0.05)
    with other.store.exclusive("publish") as mine:
        assert mine
        soon._run()  # (the timer's work, here and now)
        assert not index.exists(), "nothing written while another process publishes"
        assert soon._timer is not None, "tried again shortly"
    soon.wait()
    assert index.is_file()
    soon.close()


def test_location_and_permalink_are_in_uri_form_for_a_base_url_with_an_idn_host_and_non_ascii_path(
    make_settings, make_app_for, serve
):
    """A site under an internationalised address (`https://пресса.example/новости/`) answered a push with 500 after
    storing it: the Location header held the address as written, which HTTP cannot carry (latin-1 at most), so the
    sender saw a failure, retried, and met the same 500 again. Location and `permalink` are now the address in URI
    form (an IDNA host, a percent-encoded path), as the feeds give it."""
    from dataclasses import replace

    settings = make_settings(f'\n[web]\napi_token = "{TOKEN}"\nrate_limit = 1000\n')
    settings = replace(settings, site=replace(settings.site, base_url="https://пресса.example/новости и/"))
    base = serve(make_web_app(make_app_for(settings)))
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}"}
    resp = requests.post(base + "/api/releases", data=json.dumps(RELEASE).encode(), headers=headers, timeout=10)
    assert resp.status_code == 201, resp.text
    uri = "https://xn--80aj3aega.example/%D0%BD%D0%BE%D0%B2%D0%BE%D1%81%D1%82%D0%B8%20%D0%B8/releases/"
    assert resp.json()["permalink"] == uri + "minister-announces-new-sanctions/"
    assert resp.headers["Location"] == resp.json()["permalink"]


def test_head_of_the_api_sends_no_body_so_the_connection_stays_in_step(api):
    """A HEAD of /api/releases was refused (405) with its JSON body, which HEAD must not have (RFC 9110 §9.3.2): on a
    kept-alive connection the client read it as the start of its next answer."""
    from urllib.parse import urlsplit

    from tests.rawhttp import exchange

    received = exchange(
        urlsplit(api.base).port or 0,
        b"HEAD /api/releases HTTP/1.1\r\nHost: x\r\n\r\n"
        b"HEAD /api/nothing HTTP/1.1\r\nHost: x\r\n\r\n"
        b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    first, _, rest = received.partition(b"\r\n\r\n")
    second, _, rest = rest.partition(b"\r\n\r\n")
    assert first.startswith(b"HTTP/1.1 405 ") and b"Content-Type: application/json" in first, first
    assert second.startswith(b"HTTP/1.1 404 "), second[:40]
    assert rest.startswith(b"HTTP/1.1 200 OK\r\n"), rest[:40]


def test_a_warning_in_the_answer_does_not_start_with_the_internal_name_of_the_push(api):
    """An integrator's review: `"warning": "push:a3bed51dff6859e3: field 'withdrawn_at': given without a …"`: the
    prefix is the request's internal origin (a hash), which the sender never saw; errors leave it out already."""
    sent = {"title": "Ferry fares frozen", "body": "Fares stay.", "source_key": "fares"}
    answer = api.post(sent | {"withdrawn_at": "2026-11-27T10:00:00Z"}).json()
    assert answer["warning"].startswith("field 'withdrawn_at': given without a `withdrawn_note`"), answer
    again = sent | {"source_key": "fares-2", "withdrawn_at": "2026-11-27T10:00:00Z"}
    listed = api.post([again, {**RELEASE, "source_key": "other"}]).json()
    # (two warnings, joined: the second as clean as the first; the one naming the other release, by its slug)
    warning = listed["releases"][0]["warning"]
    assert "stored already as 'ferry-fares-frozen':" in warning and "; field 'withdrawn_at': " in warning, warning
    assert "push:" not in json.dumps(listed)


def test_a_slug_sent_that_the_release_does_not_get_is_said_in_the_answer(api):
    """An integrator's review: a CMS that builds its links from the slug it sends linked to another release, as
    the slug it asked for was taken (the release went to `…-2`) or, for a release stored already, kept (a slug
    never changes once assigned), with nothing said: the answer's `warning` says so."""
    first = api.post({**RELEASE, "source_key": "a", "slug": "ferry-fares"})
    assert first.json()["slug"] == "ferry-fares" and "warning" not in first.json()
    taken = api.post({"title": "Rail fares", "body": "Up.", "source_key": "b", "slug": "Ferry Fares"}).json()
    assert taken["slug"] == "ferry-fares-2", taken
    assert "'ferry-fares' is another release's slug: this one's is 'ferry-fares-2'" in taken["warning"], taken
    kept = api.post({**RELEASE, "source_key": "a", "slug": "ferry-fares-2026"}).json()
    assert kept["slug"] == "ferry-fares", kept
    assert "keeps its slug 'ferry-fares'" in kept["warning"] and "'ferry-fares-2026'" in kept["warning"], kept
    listed = api.post([{**RELEASE, "source_key": "c"}, {"title": "Bus fares", "body": "Down.", "slug": "ferry-fares"}])
    assert "warning" not in listed.json()["releases"][0]  # (no slug asked for: a title's slug freed is no news)
    assert "this one's is 'ferry-fares-3'" in listed.json()["releases"][1]["warning"], listed.json()


def test_a_withdrawal_sent_without_the_release_says_to_send_the_release_with_it(api):
    """An integrator withdrawing a release sent `{"source_key": …, "withdrawn_note": …}` and was told only that
    the title is required, which reads as a bug: the answer says a withdrawal is the release sent again with it."""
    assert api.post({**RELEASE, "source_key": "fares"}).status_code == 201
    resp = api.post({"source_key": "fares", "withdrawn_note": "Superseded."})
    assert resp.status_code == 400
    messages = " ".join(e["message"] for e in errors_of(resp))
    assert "send the release again in full (its title and body) with `withdrawn_note`" in messages, messages
    assert "feeds releases withdraw" in messages
    assert api.app.store.release("minister-announces-new-sanctions").withdrawn_at is None
