"""A legal takedown (`feeds releases remove`): a lawyer rang, and the release must be gone from everything `feeds`
publishes, not marked withdrawn; its text erased from the database, its id and slug never reused, and every copy
its source sends again refused.

On real SQLite and PostgreSQL (`db_url`), with the whole publish in out/ read file by file.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from click.testing import CliRunner
from lxml import etree

from feeds.cli import cli
from feeds.errors import NotFoundError
from feeds.ingest import run_ingest
from feeds.ingest.remote_json import poll_remote
from feeds.ingest.takedown import remove_release
from feeds.ingest.withdraw import restore_release, withdraw_release
from feeds.publish.removed import REMOVED_MARK, removed_page
from feeds.publish.websub import changed_topics
from feeds.store import schema
from feeds.web.static import StaticSite
from tests.test_ingest_remote_json import SEARCH, remote_source_app
from tests.test_publish_coverage import with_coverage
from tests.test_publish_htmlvalid import vnu, vnu_jar
from tests.test_publish_site import ATOM, BASE_URL, Site, make_site, tree_bytes  # noqa: F401  (make_site: a fixture)
from tests.test_web_api import RELEASE, TOKEN, make_api, serve  # noqa: F401  (fixtures)

TITLE = "Joint statement on shipping lanes"  # the seed's "charlie", topics Iran and Russia
SLUG = "joint-statement-on-shipping-lanes"
REASON = "Names a child in family court proceedings (legal, 30 Nov)"


def archived(out: Path) -> dict[str, list[str]]:
    """Each archive document's entry ids, in document order, by its folder."""
    docs = sorted((out / "archive").rglob("atom.xml"))
    return {
        p.parent.name: [e.findtext(f"{ATOM}id") or "" for e in etree.parse(str(p)).iter(f"{ATOM}entry")] for p in docs
    }


def seeded(factory: Callable[..., Site], db_url: str) -> tuple[Site, str]:
    site = factory("\n[publish]\nentries = 2\n", database_url=db_url)
    release = site.app.store.release(SLUG)
    with_coverage(site.app, release)  # a related and a pickup match of it, and a keyword match
    site.publish()
    return site, release.id


def test_a_release_taken_down_is_in_no_file_of_the_next_publish(make_site, db_url) -> None:  # noqa: F811
    site, release_id = seeded(make_site, db_url)
    before = tree_bytes(site.out)
    assert any(TITLE.encode() in data for data in before.values()), "published before"
    assert f"coverage/{SLUG}/atom.xml" in "\n".join(before), "its coverage feed too"
    archives = archived(site.out)
    assert any(release_id in ids for ids in archives.values()), "an archive holds it"

    done = remove_release(site.app, SLUG, REASON)
    assert done.changed and done.matches == 2
    report = site.publish()

    after = tree_bytes(site.out)
    for path, data in after.items():
        assert TITLE.encode() not in data, path
        assert release_id.encode() not in data, path
        assert REASON.encode() not in data, path
        if path != f"releases/{SLUG}/index.html":
            assert SLUG.encode() not in data, path  # (not in the sitemap, the OPML list, an index or a feed)
    notice = after[f"releases/{SLUG}/index.html"]
    assert notice.startswith(REMOVED_MARK) and b"noindex" in notice
    assert not [p for p in after if p.startswith(f"coverage/{SLUG}/")], "its coverage feeds are gone"
    # The archive that held it holds one entry fewer; every other entry stays where it was, in its order.
    assert archived(site.out) == {n: [i for i in ids if i != release_id] for n, ids in archives.items()}
    # WebSub: every feed document that held it (its topics', the archive's) is pinged.
    pinged = changed_topics(report.changed, BASE_URL)
    held = [p for p, data in before.items() if release_id.encode() in data and p.endswith((".xml", ".json"))]
    assert {"topics/iran/atom.xml", "topics/russia/rss.xml", "archive/2/feed.json"} <= set(held)
    assert set(BASE_URL + p for p in held) <= set(pinged)
    # Published again, or from scratch: the same bytes.
    assert site.publish().changed == []


def test_its_text_is_erased_and_its_id_and_slug_are_never_reused(make_site, db_url) -> None:  # noqa: F811
    site, release_id = seeded(make_site, db_url)
    remove_release(site.app, release_id, REASON)
    with site.app.store.engine.connect() as conn:
        row = conn.execute(sa.select(schema.releases).where(schema.releases.c.id == release_id)).one()._mapping
        left = conn.execute(sa.select(schema.matches.c.subject)).scalars().all()
        files = conn.execute(sa.select(schema.ingested_files.c.name)).scalars().all()
    assert (row["title"], row["summary"], row["body_html"], row["body_text"], row["topics"]) == ("", "", "", "", "[]")
    assert row["slug"] == SLUG and row["removed_reason"] == REASON and row["removed_at"] == site.clock()
    assert "charlie" not in row["identity"] and row["origin"] == "", "nothing that names it"
    assert release_id not in left and left == ["kyiv", "kyiv"], "its coverage went, the keyword matches stayed"
    assert "charlie.json" not in files and "bravo.json" in files, "the ledger keeps its bytes' digest, not its name"
    assert SLUG not in [r.slug for r in site.app.store.releases()]
    # A new release with its title (another key) gets another slug, and another id.
    site.drop("charlie-again", TITLE, [], "2026-11-20T09:00:00Z")
    site.ingest()
    again = site.app.store.releases(limit=1)[0]
    assert again.slug == SLUG + "-2" and again.id != release_id
    assert remove_release(site.app, SLUG, REASON).changed is False, "running it twice changes nothing"


def test_a_copy_from_its_source_is_refused_naming_the_file_and_the_field(make_site, db_url) -> None:  # noqa: F811
    site, _ = seeded(make_site, db_url)
    remove_release(site.app, SLUG, REASON)
    site.drop("charlie", TITLE, ["Iran"], "2026-11-04T11:15:00Z")  # the same file dropped again
    report = run_ingest(site.app)
    (outcome,) = report.outcomes
    assert outcome.status == "rejected"
    assert "charlie.json" in (outcome.error or "") and "`source_key`" in (outcome.error or "")
    assert "taken down" in (outcome.error or "") and "feeds releases remove" in (outcome.error or "")
    note = site.settings.source("inbox").path / "rejected" / "charlie.json.error.txt"
    assert "taken down" in note.read_text(encoding="utf-8")
    assert SLUG not in [r.slug for r in site.app.store.releases()]


def test_a_plain_file_known_by_its_name_or_its_bytes_is_refused(make_site, tmp_path) -> None:  # noqa: F811
    site = make_site(seed=False)
    inbox = site.settings.source("inbox").path
    (inbox / "statement.txt").write_text(f"{TITLE}\n\nThe office said so today.\n", encoding="utf-8")
    site.ingest()
    remove_release(site.app, SLUG, REASON)
    copy = inbox / "processed" / "statement.txt"
    (inbox / "statement.txt").write_bytes(copy.read_bytes())
    (inbox / "statement (1).txt").write_bytes(copy.read_bytes())
    errors = sorted(o.error or "" for o in run_ingest(site.app).outcomes)
    assert len(errors) == 2
    assert "statement (1).txt" in errors[0] and "its bytes" in errors[0]
    assert "statement.txt" in errors[1] and "its file name" in errors[1]


def test_a_push_of_it_again_is_refused(make_api) -> None:  # noqa: F811
    api = make_api()
    body = {**RELEASE, "source_key": "cms-42"}
    assert api.post(body, headers={"Idempotency-Key": "k1"}).status_code == 201
    slug = api.app.store.releases()[0].slug
    remove_release(api.app, slug, REASON)
    with api.app.store.engine.connect() as conn:
        assert conn.execute(sa.select(schema.idempotency)).all() == [], "no kept answer names it"
    resp = api.post(body)
    assert resp.status_code == 400, resp.text
    (error,) = resp.json()["errors"]
    assert error["field"] == "source_key" and "taken down" in error["message"]
    assert api.app.store.releases() == []


def test_feeds_serve_answers_its_address_410_gone(make_site) -> None:  # noqa: F811
    site = make_site()
    site.publish()
    remove_release(site.app, SLUG, REASON)
    site.publish()
    static = StaticSite(site.out)
    answers: list[str] = []
    for path in (f"/releases/{SLUG}/", f"/releases/{SLUG}/index.html"):
        body = b"".join(static({"REQUEST_METHOD": "GET", "PATH_INFO": path}, lambda s, h, *a: answers.append(s)))
        assert TITLE.encode() not in body and b"removed" in body
    assert answers == ["410 Gone", "410 Gone"]


def test_the_command_takes_it_down_and_says_what_to_do(make_site, tmp_path) -> None:  # noqa: F811
    site = make_site()
    config = str(tmp_path / "feeds.toml")
    runner = CliRunner()
    result = runner.invoke(cli, ["--config", config, "releases", "remove", SLUG, "--reason", REASON])
    assert result.exit_code == 0, result.output
    assert f"removed {SLUG}" in result.output and f"location = /releases/{SLUG}/ {{ return 410; }}" in result.output
    assert "still in the file 'charlie.json' of the source 'inbox': delete it" in result.output
    result = runner.invoke(cli, ["--config", config, "releases", "list", "--removed"])
    assert result.exit_code == 0 and result.output.endswith(f"  {SLUG}  /releases/{SLUG}/\n"), result.output
    result = runner.invoke(cli, ["--config", config, "releases", "list", "--removed", "--json"])
    (listed,) = json.loads(result.output)
    assert listed["slug"] == SLUG and listed["path"] == f"/releases/{SLUG}/" and "reason" not in result.output
    result = runner.invoke(cli, ["--config", config, "releases", "list"])
    assert SLUG not in result.output and TITLE not in result.output
    result = runner.invoke(cli, ["--config", config, "releases", "show", SLUG])
    assert result.exit_code == 1 and "was removed at" in result.output and TITLE not in result.output
    result = runner.invoke(cli, ["--config", config, "releases", "remove", SLUG, "--reason", REASON, "--json"])
    assert result.exit_code == 1, "a removed release is no release to name"
    result = runner.invoke(cli, ["--config", config, "releases", "remove", "sanctions-list-updated", "--reason", " "])
    assert result.exit_code == 1 and "--reason" in result.output
    assert site.app.store.release("sanctions-list-updated").removed_at is None


def test_withdrawing_or_restoring_a_release_taken_down_is_refused(make_site) -> None:  # noqa: F811
    site = make_site()
    remove_release(site.app, SLUG, REASON)
    with pytest.raises(NotFoundError, match="no release"):
        withdraw_release(site.app, SLUG, "why")
    with pytest.raises(NotFoundError, match="no release"):
        restore_release(site.app, SLUG)


def test_a_remote_source_still_listing_it_has_that_result_refused_and_the_others_stored(
    make_settings, make_app_for, httpserver
) -> None:
    app, src = remote_source_app(
        make_settings, make_app_for, httpserver.url_for("/search.json"), link_base="https://www.gov.uk"
    )
    httpserver.expect_request("/search.json").respond_with_json({"results": SEARCH["results"][:1]})
    assert [o.status for o in poll_remote(app, src)] == ["created"]
    (listed,) = app.store.releases()
    remove_release(app, listed.slug, REASON)
    httpserver.clear()
    httpserver.expect_request("/search.json").respond_with_json(SEARCH)
    first, second = poll_remote(app, src, force=True)
    assert first.status == "rejected" and "`link` names it" in (first.error or "")
    assert second.status == "created"
    assert [r.title for r in app.store.releases()] == ["Minister visits Kyiv"]
    assert app.store.source_state(src.name).last_error is None, "the source has not failed"


def test_the_notice_passes_vnu(tmp_path) -> None:
    jar = vnu_jar()
    page = tmp_path / "index.html"
    page.write_bytes(removed_page("en", "../../static/site.css"))
    assert vnu(jar, page) == []
