"""A bilingual (English and Welsh) press office: catalogues that the standard gettext tools accept, the two
language versions of a release linked to each other, Welsh pages and feeds, and the language feeds of a site
back to one language."""

from __future__ import annotations

import dataclasses
import json
import shutil
import subprocess
from datetime import UTC, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner
from lxml import etree
from lxml import html as lxml_html

from feeds.app import make_app
from feeds.cli import cli
from feeds.clock import FixedClock
from feeds.config import load_settings
from feeds.ingest import run_ingest
from feeds.publish import run_publish
from tests.conftest import BASE_CONFIG

LOCALE = Path(__file__).resolve().parent.parent / "feeds" / "locale"
PACKAGED = sorted(p.stem for p in LOCALE.glob("*.po"))
NOW = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)


@pytest.mark.skipif(shutil.which("msgfmt") is None, reason="GNU gettext's msgfmt is not installed")
@pytest.mark.parametrize("language", PACKAGED)
def test_every_packaged_catalogue_passes_msgfmt_check(language: str, tmp_path: Path) -> None:
    """Translators compile and check catalogues with GNU msgfmt (Poedit runs it on save): a fatal error there
    means a catalogue they cannot work on."""
    done = subprocess.run(
        ["msgfmt", "--check", "-o", str(tmp_path / "out.mo"), str(LOCALE / f"{language}.po")],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr


# --- the two language versions of a release -------------------------------------------------------------------

ENGLISH = {
    "source_key": "flood-2026-11",
    "title": "Minister opens the new flood defences",
    "body": "The Minister opened the new flood defences in Aberystwyth today.",
    "published": "2026-11-30T09:30:00Z",
    "language": "en",
}
WELSH = {
    "source_key": "llifogydd-2026-11",
    "translation_of": "flood-2026-11",
    "title": "Y Gweinidog yn agor yr amddiffynfeydd llifogydd newydd",
    "body": "Agorodd y Gweinidog yr amddiffynfeydd llifogydd newydd yn Aberystwyth heddiw.",
    "published": "2026-11-30T09:30:00Z",
    "language": "cy",
}


def publish(tmp_path: Path, files: dict[str, str], *, language: str = "en-GB") -> Path:
    """Ingest `files` (name → text) from the drop folder of a site in `language`, publish, and return `out/`."""
    cfg = tmp_path / "feeds.toml"
    (tmp_path / "inbox").mkdir(exist_ok=True)
    cfg.write_text(BASE_CONFIG.replace('language = "en-GB"', f'language = "{language}"'), encoding="utf-8")
    for name, text in files.items():
        (tmp_path / "inbox" / name).write_text(text, encoding="utf-8")
    app = make_app(load_settings(cfg, environ={}), clock=FixedClock(NOW))
    try:
        run_ingest(app)
        run_publish(app)
        return app.settings.paths.out
    finally:
        app.close()


def alternates(page: Path) -> dict[str, str]:
    doc = lxml_html.fromstring(page.read_bytes())
    return {link.get("hreflang"): link.get("href") for link in doc.xpath("//head/link[@rel='alternate'][@hreflang]")}


def switch(page: Path) -> list[tuple[str, str | None, str | None]]:
    doc = lxml_html.fromstring(page.read_bytes())
    return [(" ".join(a.text_content().split()), a.get("hreflang"), a.get("lang")) for a in doc.xpath("//a[@hreflang]")]


def test_a_welsh_version_naming_its_english_one_links_both_pages_to_each_other(tmp_path: Path) -> None:
    out = publish(tmp_path, {"en.json": json.dumps(ENGLISH), "cy.json": json.dumps(WELSH)})
    en = out / "releases" / "minister-opens-the-new-flood-defences" / "index.html"
    cy = out / "releases" / "y-gweinidog-yn-agor-yr-amddiffynfeydd-llifogydd-newydd" / "index.html"
    base = "https://press.example.org/releases/"
    assert alternates(en) == {
        "en": base + "minister-opens-the-new-flood-defences/",
        "cy": base + "y-gweinidog-yn-agor-yr-amddiffynfeydd-llifogydd-newydd/",
        "x-default": base + "minister-opens-the-new-flood-defences/",  # (the site's language)
    }
    assert alternates(cy) == alternates(en)
    assert switch(en) == [("Darllenwch yn Gymraeg", "cy", "cy")]
    assert switch(cy) == [("Read in English", "en", "en")]


def test_front_matter_names_the_other_version_by_its_slug(tmp_path: Path) -> None:
    english = (
        "---\ntitle: Minister opens the new flood defences\nslug: flood-defences\nlanguage: en\n---\n"
        "The Minister opened them.\n"
    )
    welsh = (
        "---\ntitle: Y Gweinidog yn agor yr amddiffynfeydd\nlanguage: cy\ntranslation_of: flood-defences\n---\n"
        "Agorodd y Gweinidog nhw.\n"
    )
    out = publish(tmp_path, {"en.md": english, "cy.md": welsh})
    assert set(alternates(out / "releases" / "flood-defences" / "index.html")) == {"en", "cy", "x-default"}


def test_a_translation_of_a_release_we_do_not_have_links_nothing(tmp_path: Path) -> None:
    out = publish(tmp_path, {"cy.json": json.dumps(WELSH)})
    cy = out / "releases" / "y-gweinidog-yn-agor-yr-amddiffynfeydd-llifogydd-newydd" / "index.html"
    assert alternates(cy) == {}
    assert switch(cy) == []


def test_govuk_translations_are_linked_by_their_available_translations(tmp_path: Path) -> None:
    item = {
        "base_path": "/government/news/flood-defences",
        "content_id": "0e3e2b84-0000-4000-8000-000000000001",
        "locale": "en",
        "title": "Minister opens flood defences",
        "document_type": "press_release",
        "schema_name": "news_article",
        "first_published_at": "2026-11-30T09:30:00Z",
        "public_updated_at": "2026-11-30T09:30:00Z",
        "details": {"body": "<p>The Minister opened them.</p>"},
        "links": {
            "available_translations": [
                {"locale": "cy", "base_path": "/government/news/flood-defences.cy"},
                {"locale": "en", "base_path": "/government/news/flood-defences"},
            ]
        },
    }
    welsh = {
        **item,
        "base_path": "/government/news/flood-defences.cy",
        "locale": "cy",
        "title": "Y Gweinidog yn agor amddiffynfeydd",
        "details": {"body": "<p>Agorodd y Gweinidog nhw.</p>"},
    }
    out = publish(tmp_path, {"en.json": json.dumps(item), "cy.json": json.dumps(welsh)})
    en = out / "releases" / "minister-opens-flood-defences" / "index.html"
    assert alternates(en) == {
        "en": "https://press.example.org/releases/minister-opens-flood-defences/",
        "cy": "https://press.example.org/releases/y-gweinidog-yn-agor-amddiffynfeydd/",
        "x-default": "https://press.example.org/releases/minister-opens-flood-defences/",
    }


def test_atom_entries_link_their_other_language_version(tmp_path: Path) -> None:
    out = publish(tmp_path, {"en.json": json.dumps(ENGLISH), "cy.json": json.dumps(WELSH)})
    feed = etree.fromstring((out / "atom.xml").read_bytes())
    ns = {"a": "http://www.w3.org/2005/Atom"}
    by_lang = {}
    for entry in feed.findall("a:entry", ns):
        links = entry.findall("a:link[@rel='alternate'][@hreflang]", ns)
        by_lang[entry.get("{http://www.w3.org/XML/1998/namespace}lang")] = {
            x.get("hreflang"): x.get("href") for x in links
        }
    assert by_lang["cy"] == {"en": "https://press.example.org/releases/minister-opens-the-new-flood-defences/"}
    assert by_lang["en"] == {
        "cy": "https://press.example.org/releases/y-gweinidog-yn-agor-yr-amddiffynfeydd-llifogydd-newydd/"
    }


def test_a_welsh_release_on_an_english_site_is_labelled_and_dated_in_welsh_on_its_page(tmp_path: Path) -> None:
    out = publish(tmp_path, {"en.json": json.dumps(ENGLISH), "cy.json": json.dumps(WELSH)})
    page = out / "releases" / "y-gweinidog-yn-agor-yr-amddiffynfeydd-llifogydd-newydd" / "index.html"
    doc = lxml_html.fromstring(page.read_bytes())
    assert doc.get("lang") == "cy"
    assert doc.xpath("//*[@lang='en-GB']") == []  # no English chrome left on a Welsh page
    assert [" ".join(t.text_content().split()) for t in doc.xpath("//dd[@class='published']")] == ["30 Tachwedd 2026"]
    assert doc.xpath("//a[@class='skip']")[0].text == "Neidio i'r prif gynnwys"
    english = out / "releases" / "minister-opens-the-new-flood-defences" / "index.html"
    assert "30 November 2026" in english.read_text("utf-8")


# --- a feed per language ----------------------------------------------------------------------------------------


def test_a_bilingual_site_publishes_a_feed_per_language_a_reader_can_subscribe_to(tmp_path: Path) -> None:
    out = publish(tmp_path, {"en.json": json.dumps(ENGLISH), "cy.json": json.dumps(WELSH)})
    ns = {"a": "http://www.w3.org/2005/Atom"}
    welsh = etree.fromstring((out / "cy" / "atom.xml").read_bytes())
    assert welsh.get("{http://www.w3.org/XML/1998/namespace}lang") == "cy"
    assert welsh.findtext("a:title", namespaces=ns) == "Test Press Office: Cymraeg"
    assert [e.findtext("a:title", namespaces=ns) for e in welsh.findall("a:entry", ns)] == [WELSH["title"]]
    assert welsh.findall("a:entry[@{http://www.w3.org/XML/1998/namespace}lang]", ns) == []
    rss = etree.fromstring((out / "cy" / "rss.xml").read_bytes())
    assert rss.findtext("channel/language") == "cy"
    english = etree.fromstring((out / "en" / "atom.xml").read_bytes())
    assert [e.findtext("a:title", namespaces=ns) for e in english.findall("a:entry", ns)] == [ENGLISH["title"]]
    # Offered where a reader looks: the Welsh release's page, the index, the OPML list.
    page = out / "releases" / "y-gweinidog-yn-agor-yr-amddiffynfeydd-llifogydd-newydd" / "index.html"
    doc = lxml_html.fromstring(page.read_bytes())
    assert "https://press.example.org/cy/atom.xml" in doc.xpath("//head/link[@rel='alternate']/@href")
    assert "https://press.example.org/cy/atom.xml" in (out / "feeds.opml").read_text("utf-8")


def test_a_site_in_one_language_has_no_language_feeds(tmp_path: Path) -> None:
    out = publish(tmp_path, {"en.json": json.dumps(ENGLISH)})
    assert not (out / "en").exists()


def test_govuk_s_urdu_translation_in_the_corpus_links_to_its_english_version(
    corpus_releases: Path, tmp_path: Path
) -> None:
    """The items as GOV.UK serves them (read in place): the Urdu message lists its English page among its
    `available_translations`."""
    names = ("govuk-news-story-pm-christmas-message-2016.json", "govuk-news-story-pm-christmas-message-2016-urdu.json")
    files = {name: (corpus_releases / name).read_text("utf-8") for name in names}
    out = publish(tmp_path, files)
    pages = {alternates(page).get("ur"): alternates(page) for page in (out / "releases").glob("*/index.html")}
    ((_, links),) = pages.items()
    assert set(links) == {"en", "ur", "x-default"} and links["x-default"] == links["en"]
    english = out / "releases" / links["en"].removeprefix("https://press.example.org/releases/") / "index.html"
    assert alternates(english) == links


def test_a_withdrawn_welsh_release_says_so_in_welsh_in_its_feed_entries(tmp_path: Path) -> None:
    withdrawn = {**WELSH, "withdrawn_at": "2026-11-30T09:45:00Z", "withdrawn_note": "Cyhoeddwyd mewn camgymeriad."}
    out = publish(tmp_path, {"en.json": json.dumps(ENGLISH), "cy.json": json.dumps(withdrawn)})
    ns = {"a": "http://www.w3.org/2005/Atom"}
    for path in ("atom.xml", "cy/atom.xml"):
        feed = etree.fromstring((out / path).read_bytes())
        titles = [e.findtext("a:title", namespaces=ns) for e in feed.findall("a:entry", ns)]
        assert f"[Tynnwyd yn ôl] {WELSH['title']}" in titles, path


# --- translations_of (pure) -------------------------------------------------------------------------------------


def _versions(found: object, slug: str) -> list[tuple[str, str]]:
    from tests.test_publish_pages import make_release

    release_id = make_release(slug).id
    return [(t.language, t.url.rsplit("/", 2)[-2]) for t in found.get(release_id, ())]  # type: ignore[attr-defined]


def test_versions_naming_one_original_are_all_linked_one_per_language() -> None:
    from feeds.publish.translations import translations_of
    from tests.test_publish_pages import make_release

    releases = [
        make_release("flood", identity="key:flood-1", language="en-GB"),
        make_release("llifogydd", language="cy", translation_of="flood-1"),
        make_release("inondations", language="fr", translation_of="https://example.org/flood"),
        make_release("flood-copy", language="en", translation_of="flood"),  # a second English version
        make_release("unrelated", language="cy", translation_of="nothing-of-that-name"),
        make_release("self", language="cy", translation_of="self"),
    ]
    releases[0] = dataclasses.replace(releases[0], link="https://example.org/flood")
    found = translations_of(releases)
    assert _versions(found, "flood") == [("cy", "llifogydd"), ("fr", "inondations")]
    assert _versions(found, "llifogydd") == [("en-GB", "flood"), ("fr", "inondations")]
    assert _versions(found, "flood-copy") == []  # (the first published English version stands for English)
    assert _versions(found, "unrelated") == [] and _versions(found, "self") == []
    assert translations_of([make_release("flood")]) == {}


def test_releases_show_says_which_version_a_release_translates(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from feeds.cli import cli

    publish(tmp_path, {"en.json": json.dumps(ENGLISH), "cy.json": json.dumps(WELSH)})
    slug = "y-gweinidog-yn-agor-yr-amddiffynfeydd-llifogydd-newydd"
    shown = CliRunner().invoke(cli, ["--config", str(tmp_path / "feeds.toml"), "releases", "show", slug])
    assert shown.exit_code == 0, shown.output
    assert "translates   flood-2026-11" in shown.output
    as_json = CliRunner().invoke(cli, ["--config", str(tmp_path / "feeds.toml"), "releases", "show", slug, "--json"])
    assert json.loads(as_json.output)["translation_of"] == "flood-2026-11"


# --- a site back to one language --------------------------------------------------------------------------------


def test_language_feeds_stay_when_a_bilingual_site_goes_back_to_one_language(tmp_path: Path) -> None:
    out = publish(tmp_path, {"en.json": json.dumps(ENGLISH), "cy.json": json.dumps(WELSH)})
    assert (out / "cy" / "atom.xml").is_file()
    # The Welsh release is sent again in English: every release is in one language now.
    (tmp_path / "inbox" / "en.json").unlink(missing_ok=True)
    out = publish(tmp_path, {"cy.json": json.dumps({**WELSH, "language": "en"})})
    assert (out / "cy" / "atom.xml").is_file() and (out / "en" / "atom.xml").is_file()
    assert "cy/atom.xml" not in (out / "feeds.opml").read_text("utf-8"), "an empty feed is not offered"


def test_a_release_page_of_a_site_back_to_one_language_offers_no_language_feed(tmp_path: Path) -> None:
    publish(tmp_path, {"en.json": json.dumps(ENGLISH), "cy.json": json.dumps(WELSH)})
    (tmp_path / "inbox" / "en.json").unlink(missing_ok=True)
    out = publish(tmp_path, {"cy.json": json.dumps({**WELSH, "language": "en"})})
    pages = list((out / "releases").glob("*/index.html"))
    assert pages and not any("/en/atom.xml" in p.read_text("utf-8") for p in pages), "the main feed has them all"


def _cli(tmp_path: Path, *args: str):
    return CliRunner().invoke(cli, ["--config", str(tmp_path / "feeds.toml"), *args], catch_exceptions=False)


def test_a_language_feed_published_by_mistake_can_be_forgotten_once_no_release_is_in_it(tmp_path: Path) -> None:
    publish(tmp_path, {"en.json": json.dumps(ENGLISH), "cy.json": json.dumps(WELSH)})
    r = _cli(tmp_path, "languages", "forget", "cy")
    assert r.exit_code == 1 and "1 release is still in the language cy" in r.stderr
    (tmp_path / "inbox" / "en.json").unlink(missing_ok=True)
    publish(tmp_path, {"cy.json": json.dumps({**WELSH, "language": "en"})})  # sent again, in English
    r = _cli(tmp_path, "languages", "forget", "en")
    assert r.exit_code == 1, "while cy/ is kept, en/ would be published again"
    assert _cli(tmp_path, "languages", "forget", "cy").exit_code == 0
    r = _cli(tmp_path, "languages", "forget", "en-GB")
    assert r.exit_code == 0, r.output
    out = publish(tmp_path, {})
    assert not (out / "cy").exists() and not (out / "en").exists()
    assert (out / "atom.xml").is_file()
