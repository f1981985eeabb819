"""The remote JSON source against a real local HTTP server: mapping, validators, 304, failures, back-off."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from werkzeug import Response

from feeds.clock import rfc3339
from feeds.config import RemoteJsonSource
from feeds.errors import InvalidReleaseError
from feeds.ingest.remote_json import extract, poll_remote, raw_from_result
from feeds.ingestreport import IngestOutcome

SEARCH = {
    "results": [
        {
            "title": "Foreign Secretary statement on sanctions",
            "description": "The Foreign Secretary announced new sanctions today.",
            "link": "/government/news/foreign-secretary-statement-on-sanctions",
            "public_timestamp": "2026-11-20T10:00:00Z",
            "organisations": [{"title": "Foreign Office"}, {"title": "Treasury"}],
            "content_store_document_type": "press_release",
        },
        {
            "title": "Minister visits Kyiv",
            "description": "A visit to discuss reconstruction.",
            "link": "https://www.gov.uk/government/news/minister-visits-kyiv",
            "public_timestamp": "2026-11-21T08:30:00+00:00",
            "organisations": [{"title": "Foreign Office"}],
            "content_store_document_type": "news_story",
        },
    ],
    "total": 2,
}


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("title", "T"),
        ("organisations[0].title", "A"),
        ("organisations[1].title", "B"),
        ("organisations[5].title", None),
        ("organisations[].title", ["A", "B"]),
        ("missing.deeper", None),
        ("meta.tags[]", ["x", "y"]),
    ],
)
def test_extract(path, expected):
    doc = {"title": "T", "organisations": [{"title": "A"}, {"title": "B"}], "meta": {"tags": ["x", "y"]}}
    assert extract(doc, path) == expected


def source(url: str, **kw) -> RemoteJsonSource:
    return RemoteJsonSource(name="govuk", url=url, link_base="https://www.gov.uk", **kw)


def test_mapping_defaults_follow_the_govuk_search_api():
    raw = raw_from_result(SEARCH["results"][0], source("https://x.org/s.json"), "x#0")
    assert raw.title == "Foreign Secretary statement on sanctions"
    assert raw.link == "https://www.gov.uk/government/news/foreign-secretary-statement-on-sanctions"
    assert raw.organisation == "Foreign Office"
    assert raw.document_type == "press_release"
    assert raw.updated == "2026-11-20T10:00:00Z" and raw.published is None  # (GOV.UK's last major update)
    assert raw.body_format == "html" and "Read the full text" in (raw.body or "")


def test_custom_field_mapping():
    src = source("https://x.org/s.json", fields=(("organisation", "organisations[].title"), ("topics", "tags")))
    raw = raw_from_result({**SEARCH["results"][0], "tags": ["Iran", "Russia"]}, src, "x#0")
    assert raw.organisation == "Foreign Office, Treasury"
    assert raw.topics == ("Iran", "Russia")


def test_a_default_field_mapped_to_nothing_is_left_out_and_withdrawals_can_be_mapped():
    """A CMS developer's review: an unmapped `description` ("INTERNAL: do not publish") was published as the
    summary by GOV.UK's default, and `summary = ""` put the whole result into it; withdrawals could not come
    through a remote source at all."""
    result = {**SEARCH["results"][0], "description": "INTERNAL: do not publish", "gone": "Superseded."}
    src = source("https://x.org/s.json", fields=(("summary", ""), ("withdrawn_note", "gone")))
    raw = raw_from_result(result, src, "x#0")
    assert raw.summary is None and "INTERNAL" not in (raw.body or "")
    assert raw.withdrawn_note == "Superseded."


@pytest.mark.parametrize(
    ("stamp", "read"),
    [
        (1795860000, "2026-11-28T10:00:00Z"),  # Unix seconds, as many APIs give a time
        (1795860000.5, "2026-11-28T10:00:00Z"),
        (1795860000000, "2026-11-28T10:00:00Z"),  # milliseconds, as JavaScript's Date.now() gives it
        ("1795860000", "1795860000"),  # (text stays text: the date reader says what it cannot read)
    ],
)
def test_a_date_given_as_a_number_is_read_as_a_unix_time(stamp, read):
    """An integrator's source with `"updated": 1795860000` had every result refused ("cannot read the date
    '1795860000'"): a number in a date field is only ever a Unix time, in seconds or milliseconds."""
    src = source("https://x.org/s.json", fields=(("published", "created"), ("withdrawn_at", "gone_at")))
    result = {**SEARCH["results"][0], "public_timestamp": stamp, "created": stamp, "gone_at": stamp}
    raw = raw_from_result(result, src, "x#0")
    assert raw.updated == raw.published == raw.withdrawn_at == read


def test_a_summary_given_as_html_is_the_body_as_html_not_as_its_markup(remote_app, httpserver):
    """A WordPress-shaped source (`summary = "excerpt.rendered"`, HTML) had its summary read as HTML, but the body
    made of it escaped: the release page showed "<p>The Minister&#8217;s visit…</p>" as text."""
    app, _ = remote_app
    src = source(
        httpserver.url_for("/search.json"), fields=(("title", "title.rendered"), ("summary", "excerpt.rendered"))
    )
    result = {
        "title": {"rendered": "Minister visits Oslo"},
        "excerpt": {"rendered": "<p>The Minister&#8217;s visit <em>starts</em> today.</p>\n"},
        "link": "https://www.example.org/2026/11/oslo/",
    }
    httpserver.expect_request("/search.json").respond_with_json({"results": [result]})
    assert [o.status for o in poll_remote(app, src)] == ["created"]
    release = app.store.release("minister-visits-oslo")
    assert release.summary == "The Minister’s visit starts today."
    assert "The Minister’s visit <em>starts</em> today." in release.body_html
    assert "&lt;" not in release.body_html and "Read the full text" in release.body_html
    # Plain text stays text: "<5%" is not a tag.
    plain = raw_from_result({"description": "Growth of <5% & more", "link": "/x"}, source("https://x.org/"), "x#0")
    assert "<p>Growth of &lt;5% &amp; more</p>" in (plain.body or "")


def remote_source_app(make_settings, make_app_for, url: str, *, name: str = "govuk", link_base: str, more: str = ""):
    """(app, source): a deployment with one remote JSON source `name` at `url` (on the local test server, which the
    fetch allow list lets through), its results' links made absolute against `link_base`."""
    extra = f"""
[http]
allow = ["127.0.0.1", "localhost", "::1"]

[[sources]]
type = "remote_json"
name = "{name}"
url = "{url}"
link_base = "{link_base}"
{more}"""
    app = make_app_for(make_settings(extra))
    return app, app.settings.source(name)


@pytest.fixture
def remote_app(make_settings, make_app_for, httpserver):
    url = httpserver.url_for("/search.json")
    return remote_source_app(
        make_settings, make_app_for, url, link_base="https://www.gov.uk", more='interval = "15m"\n'
    )


def test_poll_ingests_results_and_then_uses_the_etag(remote_app, httpserver, clock):
    app, src = remote_app
    httpserver.expect_ordered_request("/search.json").respond_with_json(SEARCH, headers={"ETag": '"v1"'})
    httpserver.expect_ordered_request("/search.json", headers={"If-None-Match": '"v1"'}).respond_with_response(
        Response(status=304)
    )
    outcomes = poll_remote(app, src)
    assert [o.status for o in outcomes] == ["created", "created"]
    state = app.store.source_state("govuk")
    assert state.etag == '"v1"' and state.failures == 0 and state.last_status == "200"
    assert state.next_check == clock() + timedelta(minutes=15)
    kyiv = app.store.release("minister-visits-kyiv")
    assert kyiv.link == "https://www.gov.uk/government/news/minister-visits-kyiv" and kyiv.source == "govuk"
    # Not due yet: nothing is fetched.
    assert poll_remote(app, src) == []
    clock.advance(timedelta(minutes=16))
    assert poll_remote(app, src) == []  # 304: nothing to parse
    assert app.store.source_state("govuk").last_status == "304"
    httpserver.check_assertions()
    assert app.store.count_releases() == 2


def test_a_broken_document_keeps_the_source_failing_until_a_good_one_arrives(remote_app, httpserver, clock):
    """A CMS developer's review: the validators of a document that was not JSON were kept, so the next poll got a
    304 and showed the source healthy while it still served the same broken document."""
    app, src = remote_app
    httpserver.expect_ordered_request("/search.json").respond_with_json(SEARCH, headers={"ETag": '"good"'})
    httpserver.expect_ordered_request("/search.json", headers={"If-None-Match": '"good"'}).respond_with_data(
        "{not json", content_type="application/json", headers={"ETag": '"broken"'}
    )
    httpserver.expect_ordered_request("/search.json", headers={"If-None-Match": '"good"'}).respond_with_data(
        "{not json", content_type="application/json", headers={"ETag": '"broken"'}
    )
    poll_remote(app, src)
    for failures in (1, 2):
        clock.advance(timedelta(hours=1))
        (outcome,) = poll_remote(app, src, force=True)
        state = app.store.source_state("govuk")
        assert outcome.status == "rejected" and "not JSON" in (outcome.error or "")
        assert state.failures == failures and state.etag == '"good"', "still failing, the good validators kept"
    httpserver.check_assertions()


def test_a_changed_field_mapping_reads_the_document_again_instead_of_a_304(remote_app, httpserver, clock):
    """A CMS developer's review: after a field mapping was fixed, polls got 304 and the results the old mapping
    had rejected were never read again until the CMS changed its listing."""
    import dataclasses

    app, src = remote_app
    httpserver.expect_ordered_request("/search.json").respond_with_json(SEARCH, headers={"ETag": '"v1"'})
    httpserver.expect_ordered_request("/search.json", headers={"If-None-Match": '"v1"'}).respond_with_response(
        Response(status=304)
    )
    httpserver.expect_ordered_request("/search.json").respond_with_json(SEARCH, headers={"ETag": '"v1"'})
    poll_remote(app, src)
    clock.advance(timedelta(hours=1))
    assert poll_remote(app, src) == []  # the same settings: 304
    remapped = dataclasses.replace(src, fields=(*src.fields, ("summary", "title")))
    clock.advance(timedelta(hours=1))
    outcomes = poll_remote(app, remapped)  # no If-None-Match: read again with the new mapping
    assert [o.status for o in outcomes] == ["updated", "updated"]
    httpserver.check_assertions()


def test_a_source_due_a_moment_after_the_tick_is_polled_at_that_tick(remote_app, httpserver, clock):
    """A re-check: a 1 min source was polled every 2 minutes, its next check falling milliseconds after a tick."""
    app, src = remote_app
    httpserver.expect_request("/search.json").respond_with_json(SEARCH)
    poll_remote(app, src)
    due = app.store.source_state("govuk").next_check
    assert due is not None
    clock.set(due - timedelta(milliseconds=3))
    poll_remote(app, src)
    assert app.store.source_state("govuk").last_checked == clock(), "polled, not skipped until the next tick"
    clock.set(due - timedelta(minutes=5))
    assert poll_remote(app, src) == []  # well before its time: not due


def test_repolling_the_same_results_creates_nothing(remote_app, httpserver, clock):
    app, src = remote_app
    httpserver.expect_request("/search.json").respond_with_json(SEARCH)
    poll_remote(app, src)
    clock.advance(timedelta(hours=1))
    assert {o.status for o in poll_remote(app, src)} == {"unchanged"}
    assert app.store.count_releases() == 2


def test_a_govuk_update_keeps_the_first_publication_and_a_stale_copy_does_not_bring_the_old_text_back(
    remote_app, httpserver, clock
):
    """GOV.UK's `public_timestamp` is the time of the item's last major update (its finders call it "Updated"),
    but the default mapping read it as the first publication: each update moved the release's publication to
    the update's day, and a cache answering with the older copy put the old headline back, as nothing the
    source dated as an update told the copies apart. It dates the update: the publication stays, and an
    older copy is left alone, as the README promises of a remote source answering from a stale cache."""
    app, src = remote_app
    first = SEARCH["results"][0]
    edited = {
        **first,
        "title": "Foreign Secretary statement on new sanctions",
        "public_timestamp": "2026-11-25T09:00:00Z",
    }
    for doc in ({"results": [first]}, {"results": [edited]}, {"results": [first]}):
        httpserver.expect_ordered_request("/search.json").respond_with_json(doc)
    poll_remote(app, src)
    release = app.store.release("foreign-secretary-statement-on-sanctions")
    assert rfc3339(release.published) == rfc3339(release.updated) == "2026-11-20T10:00:00Z"
    clock.advance(timedelta(hours=1))
    assert [o.status for o in poll_remote(app, src, force=True)] == ["updated"]
    release = app.store.release("foreign-secretary-statement-on-sanctions")
    assert release.title == "Foreign Secretary statement on new sanctions"
    assert rfc3339(release.published) == "2026-11-20T10:00:00Z"
    assert rfc3339(release.updated) == "2026-11-25T09:00:00Z"
    clock.advance(timedelta(hours=1))
    assert [o.status for o in poll_remote(app, src, force=True)] == ["unchanged"]
    assert app.store.release("foreign-secretary-statement-on-sanctions").title == edited["title"]


def test_server_errors_back_off_and_honour_retry_after(remote_app, httpserver, clock):
    app, src = remote_app
    httpserver.expect_request("/search.json").respond_with_response(
        Response("busy", status=503, headers={"Retry-After": "7200"})
    )
    outcomes = poll_remote(app, src)
    assert outcomes[0].status == "rejected" and "503" in (outcomes[0].error or "")
    state = app.store.source_state("govuk")
    assert state.failures == 1 and state.last_status == "503"
    assert state.next_check == clock() + timedelta(hours=2)
    clock.advance(timedelta(hours=3))
    poll_remote(app, src)
    assert app.store.source_state("govuk").failures == 2


def test_garbage_is_recorded_not_raised(remote_app, httpserver):
    app, src = remote_app
    httpserver.expect_request("/search.json").respond_with_data("<html>not json</html>", content_type="text/html")
    outcomes = poll_remote(app, src)
    assert outcomes[0].status == "rejected" and "not JSON" in (outcomes[0].error or "")
    assert app.store.source_state("govuk").failures == 1


def test_a_web_page_answered_for_the_document_is_named_as_one(remote_app, httpserver):
    """A maintenance or login page answered 200 was reported as "not JSON: Expecting value: line 1 column 1
    (char 0)", which says nothing of what came: the operator is told its media type and how it begins."""
    app, src = remote_app
    page = "<!DOCTYPE html>\n<html><head><title>Down for maintenance</title></head><body>Back soon</body></html>"
    httpserver.expect_request("/search.json").respond_with_data(page, content_type="text/html")
    error = poll_remote(app, src)[0].error or ""
    assert "not JSON" in error and "text/html" in error and "<!DOCTYPE html> <html><head><title>Down" in error
    assert app.store.source_state("govuk").last_error == error


@pytest.mark.parametrize(
    ("data", "charset"),
    [
        ("cp1252", "ISO-8859-1"),  # a legacy server's Latin-1, with Word's curly quote (WHATWG: windows-1252)
        ("cp1252", "windows-1252"),
        ("utf-8", "ISO-8859-1"),  # UTF-8 mislabelled: read as UTF-8, never as "BogotÃ¡"
    ],
)
def test_a_document_in_the_charset_its_server_declares_is_read(remote_app, httpserver, data, charset):
    """A source serving `application/json; charset=ISO-8859-1` was refused ("not JSON: 'utf-8' codec can't
    decode byte 0xe1"), though its server said how to read it and the same document dropped as a file is read."""
    app, src = remote_app
    title = "Minister visits Bogotá: “£5m” for the region’s schools"
    doc = {"results": [{**SEARCH["results"][0], "title": title}]}
    body = json.dumps(doc, ensure_ascii=False).encode(data)
    httpserver.expect_request("/search.json").respond_with_data(
        body, content_type=f"application/json; charset={charset}"
    )
    assert [o.status for o in poll_remote(app, src)] == ["created"]
    assert app.store.release("minister-visits-bogota-5m-for-the-regions-schools").title == title


@pytest.mark.parametrize(
    ("document", "words"),
    [("[" * 100_000 + "]" * 100_000, "nests too deeply"), ('{"results": [{"title": ' + "1" * 5000 + "}]}", "not JSON")],
)
def test_a_json_bomb_is_recorded_not_raised(remote_app, httpserver, document, words):
    """A document nested deeper than Python's recursion limit, or a number too long to read, is the source's
    failure, recorded on it: it raised out of the whole ingest, so no other source was read either."""
    app, src = remote_app
    httpserver.expect_request("/search.json").respond_with_data(document, content_type="application/json")
    outcomes = poll_remote(app, src)
    assert outcomes[0].status == "rejected" and words in (outcomes[0].error or "")
    assert app.store.source_state("govuk").failures == 1


def test_one_bad_result_does_not_stop_the_others(remote_app, httpserver):
    app, src = remote_app
    bad = {"results": [{"description": "no title here", "link": "/x"}, SEARCH["results"][1], "not an object"]}
    httpserver.expect_request("/search.json").respond_with_data(json.dumps(bad), content_type="application/json")
    statuses = [o.status for o in poll_remote(app, src)]
    assert statuses.count("created") == 1 and statuses.count("rejected") == 2


def test_a_failing_remote_source_makes_feeds_ingest_exit_1_and_one_not_due_says_so(remote_app, httpserver, caplog):
    """Ingest review: a 500 or a 429 was counted as '1 rejected' and the command exited 0, so cron never knew; a
    source not due yet was skipped without a word, even with -v."""
    import logging

    from feeds.ingest import run_ingest

    app, _ = remote_app
    httpserver.expect_request("/search.json").respond_with_response(Response("down", status=500))
    report = run_ingest(app)
    assert report.unreadable == ("govuk",) and report.count("rejected") == 0  # a source, not a rejected release
    assert "500" in report.why[0]
    caplog.set_level(logging.INFO, logger="feeds.ingest")
    assert run_ingest(app).outcomes == ()
    assert "source govuk: not due until " in caplog.text


def test_a_document_whose_every_result_is_refused_keeps_the_source_failing(remote_app, httpserver, clock):
    """A mapping with a typo (`title = "headline"`) had every result rejected, yet the source showed "ok (200)"
    in `feeds status` and /healthz, `feeds ingest` exited 0, and the next poll's 304 logged nothing at all: the
    operator never learned that nothing from the source was stored. Now it fails as a broken document does."""
    from feeds.ingest import run_ingest

    app, _ = remote_app
    renamed = {"results": [{**r, "headline": r["title"], "title": None} for r in SEARCH["results"]]}
    httpserver.expect_request("/search.json").respond_with_json(renamed, headers={"ETag": '"v1"'})
    report = run_ingest(app)
    assert report.unreadable == ("govuk",) and report.count("rejected") == 2  # (each result, and the source)
    assert report.why[0].endswith(
        "none of the 2 results could be stored (the first: field 'title': the release has no title): "
        "check the source's `fields` mapping"
    )
    state = app.store.source_state("govuk")
    assert state.failures == 1 and state.last_error == report.why[0]
    assert state.etag is None  # read again at the next poll, never a 304 that looks healthy
    clock.advance(timedelta(hours=1))
    assert run_ingest(app).unreadable == ("govuk",)
    # A document with no results, or some good ones, is no failure of the source.
    httpserver.clear()
    httpserver.expect_request("/search.json").respond_with_json({"results": []})
    clock.advance(timedelta(hours=2))
    assert run_ingest(app).unreadable == () and app.store.source_state("govuk").failures == 0


@pytest.mark.parametrize(
    ("field", "path", "result", "shown"),
    [
        ("title", "title", {"title": {"en": "Sanctions"}}, "object"),
        ("organisation", "organisations", {"organisations": [{"title": "Foreign Office"}]}, "object"),
        ("topics", "tags", {"tags": [["Iran"]]}, "array"),
        ("document_type", "flag", {"flag": True}, "boolean"),
    ],
)
def test_a_path_that_gives_an_object_is_an_error_of_its_field_not_python_text(field, path, result, shown):
    """An integrator's review: a title sent as `{"en": "…"}`, or `organisation` mapped to the list of
    organisations rather than one's `title`, was published as Python's repr ("{'en': 'Sanctions'}", slug
    `en-sanctions`); the push API refuses the same values, naming the field."""
    src = source("https://x.org/s.json", fields=((field, path),))
    item = {**SEARCH["results"][0], **result}
    with pytest.raises(InvalidReleaseError) as e:
        raw_from_result(item, src, "x#0")
    assert e.value.field == field and f"gives {shown}, not text" in e.value.message


def test_a_result_without_link_key_or_slug_is_refused_not_known_by_its_place(remote_app, httpserver, clock):
    """A review's find: such a result was known by its index in the list, and a new result at the top moved every
    release's text to its neighbour's id at the next read. It is refused, naming what to map."""
    app, src = remote_app
    keyless = [{k: v for k, v in r.items() if k != "link"} for r in SEARCH["results"]]
    httpserver.expect_request("/search.json").respond_with_json({"results": [keyless[0], SEARCH["results"][1]]})
    outcomes = poll_remote(app, src)
    assert [o.status for o in outcomes] == ["rejected", "created"]
    assert "search.json#0" in (outcomes[0].error or "") and "no link, source_key or slug" in (outcomes[0].error or "")
    assert [r.title for r in app.store.releases()] == ["Minister visits Kyiv"]


def test_a_result_with_an_object_for_a_title_is_rejected_and_the_others_stored(remote_app, httpserver):
    app, src = remote_app
    doc = {"results": [{**SEARCH["results"][0], "title": {"en": "Sanctions"}}, SEARCH["results"][1]]}
    httpserver.expect_request("/search.json").respond_with_json(doc)
    outcomes = poll_remote(app, src)
    assert [o.status for o in outcomes] == ["rejected", "created"]
    assert "field 'title'" in (outcomes[0].error or "") and "object" in (outcomes[0].error or "")
    assert [r.title for r in app.store.releases()] == ["Minister visits Kyiv"]


def test_a_result_listed_twice_is_stored_once_not_updated_back_and_forth(remote_app, httpserver, clock):
    """An integrator's review: a document listing one link twice (a search result repeated, with another title)
    updated the release to the second and back at every read of it: two updates, two warnings and a publish at
    every poll of a server without validators. The push API and JSON files refuse such twins; here the first is
    kept and the later one rejected, naming both."""
    app, src = remote_app
    first = SEARCH["results"][0]
    twin = {**first, "title": "Foreign Secretary statement on sanctions (corrected)"}
    httpserver.expect_request("/search.json").respond_with_json({"results": [first, SEARCH["results"][1], twin]})
    outcomes = poll_remote(app, src)
    assert [o.status for o in outcomes] == ["created", "created", "rejected"]
    assert "results #0 and #2 have the same link" in (outcomes[2].error or "")
    clock.advance(timedelta(hours=1))
    assert [o.status for o in poll_remote(app, src)] == ["unchanged", "unchanged", "rejected"]
    assert app.store.count_releases() == 2
    assert app.store.release("foreign-secretary-statement-on-sanctions").title == first["title"]


def test_a_result_listed_twice_under_two_forms_of_its_link_is_stored_once(remote_app, httpserver, clock):
    """http and https (or a slash at the end) are one page by the identity rules, yet such twins were not
    refused: the second took the first's place, and every read of the document updated the release twice, to
    the first and back, with two warnings each time."""
    app, src = remote_app
    first = {**SEARCH["results"][1], "link": "http://www.gov.uk/government/news/minister-visits-kyiv"}
    twin = {
        **SEARCH["results"][1],
        "title": "Minister visits Kyiv and Odesa",
        "link": first["link"][:4] + "s" + first["link"][4:] + "/",
    }
    httpserver.expect_request("/search.json").respond_with_json({"results": [first, twin]})
    outcomes = poll_remote(app, src)
    assert [o.status for o in outcomes] == ["created", "rejected"]
    assert "results #0 and #1 have the same link" in (outcomes[1].error or "")
    clock.advance(timedelta(hours=1))
    assert [o.status for o in poll_remote(app, src)] == ["unchanged", "rejected"]
    assert [r.title for r in app.store.releases()] == ["Minister visits Kyiv"]


def test_a_source_that_moved_permanently_says_where_to_at_every_poll(remote_app, httpserver, clock, caplog):
    """The source's URL comes from the config, which the poll cannot change: a 301/308 was followed at every poll
    (two requests each time, for ever) and nobody was told to update it."""
    app, src = remote_app
    new = httpserver.url_for("/v2/search.json")
    httpserver.expect_request("/search.json").respond_with_response(Response(status=301, headers={"Location": new}))
    httpserver.expect_request("/v2/search.json").respond_with_json(SEARCH)
    with caplog.at_level("WARNING", logger="feeds.ingest"):
        outcomes = poll_remote(app, src)
    assert [o.status for o in outcomes] == ["created", "created"]
    said = [r.getMessage() for r in caplog.records if "moved permanently" in r.getMessage()]
    assert said == [f"source govuk: {src.url} moved permanently to {new}: put the new address in the config"]


def test_a_release_withdrawn_by_hand_stays_withdrawn_while_the_source_still_lists_it(remote_app, httpserver, clock):
    """A press officer withdraws a GOV.UK result (a legal reason): the search API keeps listing it, unchanged and
    then edited; each read stores what it sends but leaves the release withdrawn, with a warning that says how to
    undo. A withdrawal the source itself sends (a mapped `withdrawn_note`) still follows the source."""
    import dataclasses

    from feeds.ingest.withdraw import withdraw_release

    app, src = remote_app
    edited = json.loads(json.dumps(SEARCH))
    edited["results"][1]["description"] = "A visit to discuss reconstruction and energy."
    edited["results"][1]["public_timestamp"] = "2026-11-22T08:30:00Z"
    for doc in (SEARCH, SEARCH, edited):
        httpserver.expect_ordered_request("/search.json").respond_with_json(doc)
    poll_remote(app, src)
    withdraw_release(app, "minister-visits-kyiv", "Published in error.")
    for expected in ("unchanged", "updated"):
        clock.advance(timedelta(hours=1))
        kyiv = next(o for o in poll_remote(app, src, force=True) if o.slug == "minister-visits-kyiv")
        assert kyiv.status == expected
        assert "'minister-visits-kyiv' was withdrawn by hand" in (kyiv.warning or "")
        assert "feeds releases restore minister-visits-kyiv" in (kyiv.warning or "")
        stored = app.store.release("minister-visits-kyiv")
        assert stored.withdrawn_note == "Published in error." and stored.withdrawn_by_hand
    assert stored.summary == "A visit to discuss reconstruction and energy.", "stored as the source sent it"
    httpserver.check_assertions()

    # The source's own withdrawal, then its copy without the notice, dated later: it follows the source.
    mapped = dataclasses.replace(src, fields=(*src.fields, ("withdrawn_note", "gone")))
    gone = json.loads(json.dumps(edited))
    gone["results"][0]["gone"] = "Superseded."
    back = json.loads(json.dumps(edited))
    back["results"][0]["public_timestamp"] = "2026-11-25T10:00:00Z"
    for doc in (gone, back):
        httpserver.expect_ordered_request("/search.json").respond_with_json(doc)
    slug = "foreign-secretary-statement-on-sanctions"
    clock.advance(timedelta(hours=1))
    poll_remote(app, mapped, force=True)
    assert app.store.release(slug).withdrawn_note == "Superseded." and not app.store.release(slug).withdrawn_by_hand
    clock.advance(timedelta(hours=1))
    outcomes = poll_remote(app, mapped, force=True)
    assert app.store.release(slug).withdrawn_at is None
    assert not any(o.warning for o in outcomes if o.slug == slug)


def _stays_withdrawn(caplog, level: str = "WARNING") -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelname == level and "stays withdrawn" in r.getMessage()]


def test_a_source_still_listing_a_release_withdrawn_by_hand_is_said_once_and_then_once_a_day(
    remote_app, httpserver, clock, caplog, make_app_for
):
    """Every read of the document (each poll that found it changed) warned again that the release stays
    withdrawn: the first warning tells the office, then every 15 minutes it was noise. The log says it at the first
    read, then at most once a day (debug in between), after a restart and from another daemon too (the time it
    was said is the source's state, in the database); the outcome says it every time (`feeds ingest` shows it).
    A new copy of it from the source, or a new withdrawal, is news: said at once."""
    from feeds.ingest.withdraw import restore_release, withdraw_release

    app, src = remote_app
    httpserver.expect_request("/search.json").respond_with_json(SEARCH)
    poll_remote(app, src)
    withdraw_release(app, "minister-visits-kyiv", "Published in error.")

    def read(on) -> IngestOutcome:
        caplog.clear()
        with caplog.at_level("DEBUG", logger="feeds.ingest"):
            outcomes = poll_remote(on, src, force=True)
        return next(o for o in outcomes if o.slug == "minister-visits-kyiv")

    clock.advance(timedelta(minutes=15))
    assert "stays withdrawn" in (read(app).warning or "")
    (said,) = _stays_withdrawn(caplog)
    assert "feeds releases restore minister-visits-kyiv" in said
    for _ in range(3):
        clock.advance(timedelta(minutes=15))
        kyiv = read(app)
        assert kyiv.status == "unchanged" and "stays withdrawn" in (kyiv.warning or ""), "the outcome still says so"
        assert _stays_withdrawn(caplog) == [] and len(_stays_withdrawn(caplog, "DEBUG")) == 1

    restarted = make_app_for(app.settings)  # (another daemon on the same database, or this one restarted)
    clock.advance(timedelta(hours=2))
    read(restarted)
    assert _stays_withdrawn(caplog) == []
    clock.set(clock() + timedelta(hours=21, minutes=15))  # a day after it was said
    read(restarted)
    assert len(_stays_withdrawn(caplog)) == 1
    clock.advance(timedelta(minutes=15))
    read(restarted)
    assert _stays_withdrawn(caplog) == []

    # The source edits it: stored as sent, still withdrawn, and said at once.
    edited = json.loads(json.dumps(SEARCH))
    edited["results"][1]["description"] = "A visit to discuss reconstruction and energy."
    httpserver.clear()
    httpserver.expect_request("/search.json").respond_with_json(edited)
    clock.advance(timedelta(minutes=15))
    assert read(app).status == "updated" and len(_stays_withdrawn(caplog)) == 1
    clock.advance(timedelta(minutes=15))
    assert read(app).status == "unchanged" and _stays_withdrawn(caplog) == []

    # Restored, then withdrawn again: a new withdrawal, said at its first read.
    restore_release(app, "minister-visits-kyiv")
    clock.advance(timedelta(minutes=15))
    read(app)
    withdraw_release(app, "minister-visits-kyiv", "Published in error, again.")
    clock.advance(timedelta(minutes=15))
    read(app)
    assert len(_stays_withdrawn(caplog)) == 1


def test_a_push_of_a_release_withdrawn_by_hand_is_said_every_time(remote_app, clock, caplog):
    """A pushed copy (or a dropped file) is someone sending it just now: said each time, unlike a remote source's
    document read again."""
    from feeds.ingest import ingest_units
    from feeds.ingest.units import unit_from_raws
    from feeds.ingest.withdraw import withdraw_release

    app, src = remote_app
    raw = raw_from_result(SEARCH["results"][1], src, "push")

    def push() -> None:
        unit = unit_from_raws([raw], origin="push", source="push", settings=app.settings, now=clock())
        ingest_units(app, [unit])

    push()
    withdraw_release(app, "minister-visits-kyiv", "Published in error.")
    for _ in range(2):
        clock.advance(timedelta(minutes=15))
        caplog.clear()
        with caplog.at_level("WARNING", logger="feeds.ingest"):
            push()
        assert len(_stays_withdrawn(caplog)) == 1


@pytest.mark.parametrize(
    ("results", "document", "said"),
    [
        # A WordPress-style API answers a list: the default `results = "results"` finds nothing in it.
        ("results", [SEARCH["results"][0]], 'the document is a list itself: set results = ""'),
        # A typo, or another API's name for the list: the keys the document has are named.
        ("result", SEARCH, "'result' is not in the document (its keys: results, total)"),
        (
            "data.items",
            {"data": {"posts": [], "count": 0}},
            "'data.items' is not in the document (its keys at 'data': ",
        ),
        ("total", SEARCH, "'total' gives number, not a list of results"),
        ("data.items", {"data": {"items": None}}, "'data.items' is null"),
    ],
)
def test_a_results_path_that_finds_no_list_says_what_the_document_holds(
    make_settings, make_app_for, httpserver, results, document, said
):
    """An integrator pointing the source at a new API saw only "expected a list of results at 'results'", and had to
    fetch the document by hand to see why (a list at the top needs `results = ""`, which the README did not say)."""
    url = httpserver.url_for("/api.json")
    app = make_app_for(
        make_settings(
            f'\n[http]\nallow = ["127.0.0.1"]\n\n[[sources]]\ntype = "remote_json"\nname = "cms"\nurl = "{url}"\n'
            f'results = "{results}"\n'
        )
    )
    httpserver.expect_request("/api.json").respond_with_json(document)
    (outcome,) = poll_remote(app, app.settings.source("cms"))
    assert outcome.status == "rejected" and said in (outcome.error or ""), outcome.error
    assert app.store.source_state("cms").failures == 1
