"""The push API as an integrator uses it: a slug-only change is not an update, withdrawing by `source_key`.

Real HTTP against waitress on 127.0.0.1, a real SQLite file, a fixed clock.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
import requests

from feeds.app import App
from feeds.clock import FixedClock
from feeds.errors import NotFoundError
from feeds.web.app import make_web_app
from tests.test_ingest_remote_json import remote_source_app
from tests.test_web_api import TOKEN, serving

WITHDRAW = "/api/releases/withdraw"
ITEM = {"title": "Minister to visit Oslo", "body": "The Minister will go to Oslo.", "source_key": "cms-1"}


class Client:
    def __init__(self, base: str, app: App, clock: FixedClock):
        self.base, self.app, self.clock = base, app, clock
        self.session = requests.Session()

    def post(
        self, body: object, *, path: str = "/api/releases", headers: dict[str, str] | None = None
    ) -> requests.Response:
        h = {"Content-Type": "application/json", "Authorization": f"Bearer {TOKEN}", **(headers or {})}
        return self.session.post(self.base + path, data=json.dumps(body).encode(), headers=h, timeout=10)


@pytest.fixture
def client(make_settings, make_app_for, clock, db_url) -> Iterator[Client]:
    """A push API on each store: SQLite and PostgreSQL (its row locks are what a withdrawal takes)."""
    settings = make_settings(f'\n[web]\napi_token = "{TOKEN}"\nrate_limit = 1000\n', database_url=db_url)
    app = make_app_for(settings)
    for start in serving():
        c = Client(start(make_web_app(app)), app, clock)
        yield c
        c.session.close()


def later(client: Client, minutes: int = 5) -> None:
    client.clock.advance(timedelta(minutes=minutes))


# --- 1. a slug-only change ---------------------------------------------------------------------------------------


def test_a_push_that_changes_only_the_slug_is_unchanged_and_says_the_slug_is_kept(client):
    first = client.post(ITEM | {"slug": "oslo-visit"})
    assert first.status_code == 201
    stored = client.app.store.release("oslo-visit")
    later(client)
    again = client.post(ITEM | {"slug": "oslo-trip"})
    assert again.status_code == 200
    answer = again.json()
    assert answer["status"] == "unchanged"
    assert answer["slug"] == "oslo-visit" and answer["permalink"].endswith("/releases/oslo-visit/")
    assert answer["updated"] == first.json()["updated"]  # nothing stored moved: readers see no update
    (warning,) = [w for w in answer["warnings"] if w["field"] == "slug"]
    assert "oslo-trip" in warning["message"] and "permalink" in warning["message"]
    assert "withdraw" in warning["message"] and "new release" in warning["message"]
    assert client.app.store.release("oslo-visit") == stored
    with pytest.raises(NotFoundError):
        client.app.store.release("oslo-trip")
    # and back to the first slug: still nothing changed
    assert client.post(ITEM | {"slug": "oslo-visit"}).json()["status"] == "unchanged"


def test_a_slug_change_with_a_real_edit_is_an_update_that_keeps_the_slug(client):
    client.post(ITEM | {"slug": "oslo-visit"})
    later(client)
    answer = client.post(ITEM | {"slug": "oslo-trip", "body": "The Minister will go to Oslo and Bergen."}).json()
    assert answer["status"] == "updated" and answer["slug"] == "oslo-visit"
    assert [w["field"] for w in answer["warnings"]] == ["slug"]


def test_the_same_release_pushed_again_is_unchanged_without_warnings(client):
    client.post(ITEM | {"slug": "oslo-visit"})
    answer = client.post(ITEM | {"slug": "oslo-visit"}).json()
    assert answer["status"] == "unchanged"
    assert "warnings" not in answer and "warning" not in answer


# --- 2. withdrawing by source_key --------------------------------------------------------------------------------


def test_a_release_is_withdrawn_by_its_source_key_with_a_note_and_a_retry_changes_nothing(client):
    created = client.post(ITEM).json()
    later(client)
    resp = client.post({"source_key": "cms-1", "withdrawn_note": "Issued in error."}, path=WITHDRAW)
    assert resp.status_code == 200, resp.text
    answer = resp.json()
    assert answer["status"] == "updated" and answer["id"] == created["id"] and answer["slug"] == created["slug"]
    assert answer["withdrawn_at"] == answer["updated"] != created["updated"]
    stored = client.app.store.release(created["slug"])
    assert stored.withdrawn_note == "Issued in error." and not stored.withdrawn_by_hand  # the source's withdrawal
    later(client)
    again = client.post({"source_key": "cms-1", "withdrawn_note": "Issued in error."}, path=WITHDRAW)
    assert again.status_code == 200 and again.json()["status"] == "unchanged"
    assert again.json()["withdrawn_at"] == answer["withdrawn_at"]
    assert client.app.store.release(created["slug"]) == stored


def test_withdrawing_an_unknown_source_key_is_404_naming_it(client):
    resp = client.post({"source_key": "cms-404", "withdrawn_note": "Issued in error."}, path=WITHDRAW)
    assert resp.status_code == 404
    (error,) = resp.json()["errors"]
    assert error["field"] == "source_key" and "cms-404" in error["message"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"source_key": "cms-1"}, "withdrawn_note"),
        ({"source_key": "cms-1", "withdrawn_note": "  "}, "withdrawn_note"),
        ({"withdrawn_note": "Why."}, "source_key"),
        ({"source_key": 7.5, "withdrawn_note": "Why."}, "source_key"),
        ({"source_key": "cms-1", "withdrawn_note": "Why.", "title": "x"}, "title"),
        ({"source_key": "cms-1", "withdrawn_note": "x" * 2001}, "withdrawn_note"),
    ],
)
def test_a_malformed_withdrawal_is_400_naming_the_field(client, body, field):
    client.post(ITEM)
    resp = client.post(body, path=WITHDRAW)
    assert resp.status_code == 400, resp.text
    assert field in [e["field"] for e in resp.json()["errors"]]
    assert client.app.store.release("minister-to-visit-oslo").withdrawn_at is None


def test_an_empty_withdrawal_is_told_what_to_send(client):
    resp = client.session.post(
        client.base + WITHDRAW,
        data=b"",
        headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json"},
    )
    assert resp.status_code == 400 and "withdrawal object" in resp.json()["errors"][0]["message"]


def test_withdrawal_needs_the_token_and_post(client):
    client.post(ITEM)
    resp = client.session.post(
        client.base + WITHDRAW, json={"source_key": "cms-1", "withdrawn_note": "Why."}, timeout=10
    )
    assert resp.status_code == 401
    assert client.session.get(client.base + WITHDRAW, timeout=10).status_code == 405
    assert client.app.store.release("minister-to-visit-oslo").withdrawn_at is None


def test_a_withdrawal_behaves_as_one_sent_with_the_whole_release(client):
    """The same release sent again without the note publishes it as current again, as after a full push."""
    client.post(ITEM)
    later(client)
    client.post({"source_key": "cms-1", "withdrawn_note": "Issued in error."}, path=WITHDRAW)
    later(client)
    again = client.post(ITEM).json()
    assert again["status"] == "updated" and "withdrawn_at" not in again


def test_a_release_withdrawn_by_hand_stays_so_and_the_answer_says_why(client):
    created = client.post(ITEM).json()
    from feeds.ingest.withdraw import withdraw_release

    withdraw_release(client.app, created["slug"], "Legal advice.")
    resp = client.post({"source_key": "cms-1", "withdrawn_note": "Issued in error."}, path=WITHDRAW)
    assert resp.status_code == 200 and resp.json()["status"] == "unchanged"
    assert "withdrawn by hand" in resp.json()["warning"] and "Legal advice." in resp.json()["warning"]
    assert client.app.store.release(created["slug"]).withdrawn_note == "Legal advice."


def test_a_withdrawal_replays_under_its_idempotency_key(client):
    client.post(ITEM)
    body = {"source_key": "cms-1", "withdrawn_note": "Issued in error."}
    first = client.post(body, path=WITHDRAW, headers={"Idempotency-Key": "w-1"})
    again = client.post(body, path=WITHDRAW, headers={"Idempotency-Key": "w-1"})
    assert again.json() == first.json() and again.headers["Idempotent-Replayed"] == "true"
    other = client.post(ITEM, headers={"Idempotency-Key": "w-1"})
    assert other.status_code == 422


# --- 3. a source_key added to a source whose releases are known by their links ------------------------------------


@pytest.fixture
def remote(make_settings, make_app_for, httpserver):
    url = httpserver.url_for("/search.json")
    more = 'interval = "15m"\n'
    return remote_source_app(
        make_settings, make_app_for, url, name="cms", link_base="https://press.example.org", more=more
    )


RESULTS = {
    "results": [
        {"id": "c-1", "title": "Ferry fares frozen", "description": "Fares stay.", "link": "/news/ferry-fares"},
        {"id": "c-2", "title": "New harbour master", "description": "Appointed.", "link": "/news/harbour-master"},
    ]
}


def test_a_source_key_added_to_the_mapping_adopts_the_releases_stored_by_their_links(remote, httpserver, clock):
    from feeds.ingest.remote_json import poll_remote

    app, src = remote
    httpserver.expect_request("/search.json").respond_with_json(RESULTS)
    assert [o.status for o in poll_remote(app, src)] == ["created", "created"]
    before = {r.slug: r.id for r in app.store.releases()}
    keyed = dataclasses.replace(src, fields=(*src.fields, ("source_key", "id")))
    clock.advance(timedelta(hours=1))
    outcomes = poll_remote(app, keyed)
    assert {o.status for o in outcomes} == {"unchanged"}, [o.warning for o in outcomes]
    assert all("source_key" in (o.warning or "") for o in outcomes)  # said once, when the name changes
    assert {r.slug: r.id for r in app.store.releases()} == before, "no -2 release"
    assert app.store.release("ferry-fares-frozen").identity == "key:c-1"
    clock.advance(timedelta(hours=1))
    again = poll_remote(app, keyed, force=True)
    assert {o.status for o in again} == {"unchanged"} and not any(o.warning for o in again)
    assert app.store.count_releases() == 2


def test_a_release_of_another_source_with_the_link_is_not_adopted_by_a_key(remote, httpserver, clock):
    """Only the source that stored a release by its link may name it by a key: a push naming another source's
    page by a key of its own is its own release (the other source, still listing the page by its link, would
    otherwise publish it again)."""
    from feeds.ingest import ingest_units
    from feeds.ingest.remote_json import poll_remote
    from feeds.ingest.units import Unit
    from feeds.web.validate import releases_from_value

    app, src = remote
    httpserver.expect_request("/search.json").respond_with_json(RESULTS)
    poll_remote(app, src)
    pushed = {"title": "Ferry fares", "body": "Fares stay.", "source_key": "cms-9"}
    pushed["link"] = "https://press.example.org/news/ferry-fares"
    releases = releases_from_value(pushed, app, clock())
    (outcome,) = ingest_units(app, [Unit(origin="push:x", source="push", releases=releases)])
    assert outcome.status == "created"
    assert app.store.release("ferry-fares-frozen").identity == "url:https://press.example.org/news/ferry-fares"


def test_a_list_of_withdrawals_is_all_or_nothing(client):
    client.post([ITEM, ITEM | {"source_key": "cms-2", "title": "Harbour master appointed"}])
    notes = [{"source_key": k, "withdrawn_note": "Issued in error."} for k in ("cms-1", "cms-404", "cms-2")]
    resp = client.post(notes, path=WITHDRAW)
    assert resp.status_code == 404
    assert [(e["field"], e["index"]) for e in resp.json()["errors"]] == [("source_key", 1)]
    assert all(r.withdrawn_at is None for r in client.app.store.releases()), "nothing withdrawn"
    twice = client.post([notes[0], notes[0]], path=WITHDRAW)
    assert twice.status_code == 400 and twice.json()["errors"][0]["index"] == 1
    done = client.post([notes[0], notes[2]], path=WITHDRAW)
    assert done.status_code == 200
    assert done.json()["status"] == "updated" and [r["status"] for r in done.json()["releases"]] == ["updated"] * 2
    assert all(r.withdrawn_at is not None for r in client.app.store.releases())


def test_a_numeric_source_key_is_one_key_for_pushes_and_withdrawals(client):
    """A CMS that sends its ids as numbers (`"source_key": 4711`) pushes, updates and withdraws one release."""
    created = client.post(ITEM | {"source_key": 4711})
    assert created.status_code == 201, created.text
    later(client)
    again = client.post(ITEM | {"source_key": "4711", "body": "The Minister will go to Oslo and Bergen."})
    assert again.status_code == 200 and again.json()["status"] == "updated"
    assert again.json()["id"] == created.json()["id"]
    later(client)
    resp = client.post({"source_key": 4711, "withdrawn_note": "Visit postponed."}, path=WITHDRAW)
    assert resp.status_code == 200, resp.text
    assert client.app.store.release(created.json()["slug"]).withdrawn_note == "Visit postponed."


# --- 3. a client that wants a slug it cannot have refused: Prefer: handling=strict (RFC 7240) -------------------

STRICT = {"Prefer": "handling=strict"}


def test_a_strict_push_changing_only_the_slug_is_409_naming_the_field_and_stores_nothing(client):
    first = client.post(ITEM | {"slug": "oslo-visit"}, headers=STRICT)
    assert first.status_code == 201 and first.headers["Preference-Applied"] == "handling=strict"
    stored = client.app.store.release("oslo-visit")
    later(client)
    edit = ITEM | {"slug": "oslo-trip", "body": "The Minister will go to Oslo and Bergen."}
    resp = client.post(edit, headers={"Prefer": 'respond-async, HANDLING="strict"'})
    assert resp.status_code == 409, resp.text
    (error,) = resp.json()["errors"]
    assert error["field"] == "slug" and "'oslo-trip' is not used" in error["message"]
    assert "nothing was stored" in error["message"] and "handling=strict" in error["message"]
    assert client.app.store.release("oslo-visit") == stored  # (the edit too: all or nothing)
    # without the preference, the same push is stored under the old slug, with the warning
    assert client.post(edit).json()["status"] == "updated"


def test_a_strict_push_whose_slug_is_taken_is_409_by_its_index_and_nothing_of_the_list_is_stored(client):
    client.post(ITEM | {"slug": "oslo-visit"})
    items = [
        {"title": "Bergen", "body": "x", "source_key": "cms-2"},
        ITEM | {"source_key": "cms-3", "slug": "Oslo Visit"},
    ]
    resp = client.post(items, headers=STRICT)
    assert resp.status_code == 409, resp.text
    (error,) = resp.json()["errors"]
    assert error["index"] == 1 and error["field"] == "slug"
    assert "'oslo-visit' is another release's slug" in error["message"], error
    assert [r.slug for r in client.app.store.releases()] == ["oslo-visit"]


def test_strict_handling_refuses_nothing_when_every_slug_asked_for_is_given(client):
    resp = client.post(
        [ITEM | {"slug": "oslo-visit"}, ITEM | {"source_key": "cms-2", "title": "Bergen"}], headers=STRICT
    )
    assert resp.status_code == 201 and resp.headers["Preference-Applied"] == "handling=strict"
    again = client.post(ITEM | {"slug": "oslo-visit"}, headers={"Prefer": "handling=lenient"})
    assert again.status_code == 200 and "Preference-Applied" not in again.headers


# --- 4. warnings name their field ---------------------------------------------------------------------------------


def test_each_warning_names_its_field_and_the_one_line_warning_says_it_too(client):
    """A client reading `warnings` by field found `withdrawn_at`'s under null, its field only in the text."""
    client.post(ITEM)
    later(client)
    answer = client.post(ITEM | {"withdrawn_at": "2026-01-01T00:00:00Z", "slug": "oslo"}).json()
    fields = [w["field"] for w in answer["warnings"]]
    assert fields == ["withdrawn_at", "withdrawn_at", "slug"], answer["warnings"]
    assert all(not w["message"].startswith("field ") for w in answer["warnings"])
    assert answer["warning"].startswith("field 'withdrawn_at': given without a `withdrawn_note`")
    assert "; field 'slug': 'oslo' is not used" in answer["warning"]
    assert "push:" not in answer["warning"]
