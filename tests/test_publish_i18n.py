"""feeds.publish.i18n: the published labels and dates in the site's language, the office's own catalogue, and the
catalogues' completeness. English output is covered by the golden pages (tests/test_publish_pages.py)."""

from __future__ import annotations

import dataclasses
import json
import re
from datetime import UTC, datetime
from pathlib import Path

import feedparser
import pytest
from babel.messages.pofile import read_po
from lxml import html as lxml_html

from feeds.app import make_app
from feeds.clock import FixedClock
from feeds.config import ConfigError, Site, load_settings
from feeds.ingest import run_ingest
from feeds.model import MatchedTerm, StoredMatch
from feeds.publish import run_publish
from feeds.publish.i18n import Messages, messages_for, template
from feeds.publish.pages import PageRenderer
from feeds.publish.releasepage import release_page as render_release_page
from tests.conftest import BASE_CONFIG
from tests.test_publish_pages import ALL_FEEDS, CSS, SITE, make_release

LOCALE = Path(__file__).resolve().parent.parent / "feeds" / "locale"
PACKAGED = sorted(p.stem for p in LOCALE.glob("*.po"))
WHEN = datetime(2017, 11, 2, 9, 30, tzinfo=UTC)


def site_in(language: str, **changes: object) -> Site:
    return dataclasses.replace(SITE, language=language, **changes)  # type: ignore[arg-type]


def release_page(site: Site, **changes: object) -> lxml_html.HtmlElement:
    page = render_release_page(PageRenderer(site), make_release(**changes), feeds=ALL_FEEDS, stylesheet_url=CSS)
    return lxml_html.fromstring(page.data)


def index_page(site: Site, releases: tuple[object, ...] = ()) -> lxml_html.HtmlElement:
    chosen = releases or (make_release(),)
    page = PageRenderer(site).index_page(releases=chosen, feeds=ALL_FEEDS, stylesheet_url="static/site.css")  # type: ignore[arg-type]
    return lxml_html.fromstring(page.data)


def texts(doc: lxml_html.HtmlElement, xpath: str) -> list[str]:
    return [" ".join(el.text_content().split()) for el in doc.xpath(xpath)]


# --- the packaged languages -----------------------------------------------------------------------------------


def test_a_french_site_is_labelled_and_dated_in_french() -> None:
    doc = release_page(site_in("fr"), language="fr", title="Le ministre inaugure la digue")
    assert doc.get("lang") == "fr"
    assert texts(doc, "//dl[@class='meta']/dt") == ["De", "Publié le", "Dernière mise à jour", "Thèmes"]
    assert texts(doc, "//dd[@class='published']") == ["2 novembre 2017"]
    assert texts(doc, "//a[@class='skip']") == ["Aller au contenu principal"]
    assert texts(doc, "//p[@class='kind']") == ["Communiqué de presse"]
    assert "Historique des modifications" in texts(doc, "//h2")
    assert texts(doc, "//section[@class='history']//li")[-1] == "2 novembre 2017: Première publication."
    # The labels are in the page's own language: nothing on them says otherwise.
    assert doc.xpath("//*[@lang]") == [doc]


def test_a_release_in_english_on_a_french_site_is_labelled_in_english_on_its_page() -> None:
    """A release's page speaks the release's language (tests/test_publish_bilingual.py): one language on a page."""
    doc = release_page(site_in("fr"), language="en")
    assert doc.get("lang") == "en"
    assert doc.xpath("//dl[@class='meta']/dt[1]/@lang") == []
    assert texts(doc, "//dl[@class='meta']/dt[1]") == ["From"]


def test_a_release_in_a_language_without_a_catalogue_keeps_the_site_s_labels_marked_as_such() -> None:
    doc = release_page(site_in("fr"), language="ur")
    assert doc.get("lang") == "ur"
    assert doc.xpath("//dl[@class='meta']/dt[1]/@lang") == ["fr"]
    assert texts(doc, "//dl[@class='meta']/dt[1]") == ["De"]


def test_a_welsh_site_lists_its_releases_in_welsh() -> None:
    doc = index_page(site_in("cy"))
    assert doc.get("lang") == "cy"
    assert texts(doc, "//h2[@id='latest']") == ["Datganiadau diweddaraf"]
    assert texts(doc, "//h2[@id='subscribe-heading']") == ["Tanysgrifio"]
    assert texts(doc, "//nav[@aria-label='Gwefan']") == ["Datganiadau diweddaraf · Tanysgrifio · Chwilio"]
    assert texts(doc, "//ol[@class='releases']//time") == ["2 Tachwedd 2017"]
    assert texts(doc, "//section[@class='feed-group']/h3") == ["Prif ffrwd", "Pynciau", "Sylw yn y cyfryngau"]


@pytest.mark.parametrize(
    ("language", "one", "several"),
    [
        ("de", "1 Mitteilung, die neueste zuerst", "3 Mitteilungen, die neuesten zuerst"),
        ("fr", "1 communiqué, du plus récent au plus ancien", "3 communiqués, du plus récent au plus ancien"),
        ("en-GB", "1 release, newest first", "3 releases, newest first"),
    ],
)
def test_a_year_page_counts_its_releases_by_the_language_s_plural_rules(language: str, one: str, several: str) -> None:
    renderer = PageRenderer(site_in(language))
    for count, expected in ((1, one), (3, several)):
        releases = [make_release(f"r{i}") for i in range(count)]
        page = renderer.year_page(year=2017, releases=releases, years=[2017], stylesheet_url=CSS)
        assert texts(lxml_html.fromstring(page.data), "//h2[@id='latest']") == [expected]


def test_a_withdrawn_release_says_so_in_the_site_s_language_on_its_page() -> None:
    doc = release_page(site_in("es"), language="es", withdrawn_at=WHEN, withdrawn_note="Sustituido.")
    assert texts(doc, "//section[contains(@class, 'withdrawn')]/h2") == ["Retirado"]
    assert texts(doc, "//section[contains(@class, 'withdrawn')]/p[1]") == [
        "Esta publicación (comunicado de prensa) se retiró el 2 de noviembre de 2017."
    ]
    assert doc.xpath("//title")[0].text.startswith("[Retirado] ")


# --- a language without a catalogue ---------------------------------------------------------------------------


def test_a_site_in_a_language_with_no_catalogue_gets_english_labels_marked_as_english() -> None:
    doc = index_page(site_in("ja"), releases=(make_release(language="ja", title="防潮堤が完成"),))
    assert doc.get("lang") == "ja"
    # Every English label says it is English (a screen reader reads it so), the releases' own text does not.
    for xpath in ("//a[@class='skip']", "//h2[@id='latest']", "//h2[@id='subscribe-heading']", "//footer"):
        assert doc.xpath(f"{xpath}/@lang") == ["en"], xpath
    assert doc.xpath("//ol[@class='releases']//time/@lang") == ["en"]
    assert texts(doc, "//ol[@class='releases']//time") == ["2 November 2017"]
    assert doc.xpath("//ol[@class='releases']/li/@lang") == []
    assert doc.xpath("//h1/@lang") == []


def test_a_regional_language_takes_its_language_s_catalogue() -> None:
    words = messages_for(site_in("fr-CA"))
    assert (words.language, words.gettext("Published")) == ("fr-CA", "Publié le")
    assert words.date(WHEN) == "2 novembre 2017"


# --- the office's own catalogue -------------------------------------------------------------------------------


def own_catalogue(path: Path, language: str, entries: dict[str, str]) -> Path:
    body = "".join(f"msgid {json.dumps(k)}\nmsgstr {json.dumps(v, ensure_ascii=False)}\n\n" for k, v in entries.items())
    header = f'msgid ""\nmsgstr ""\n"Language: {language}\\n"\n"Content-Type: text/plain; charset=utf-8\\n"\n\n'
    path.write_text(header + body, encoding="utf-8")
    return path


def test_an_own_catalogue_rewords_labels_and_the_packaged_one_gives_the_rest(tmp_path: Path) -> None:
    own = own_catalogue(tmp_path / "cy.po", "cy", {"Published": "Dyddiad cyhoeddi"})
    doc = release_page(site_in("cy", messages=own), language="cy")
    assert texts(doc, "//dl[@class='meta']/dt") == ["Oddi wrth", "Dyddiad cyhoeddi", "Diweddarwyd ddiwethaf", "Pynciau"]


def test_an_own_catalogue_gives_labels_to_a_language_we_ship_none_for(tmp_path: Path) -> None:
    own = own_catalogue(tmp_path / "ga.po", "ga", {"Latest releases": "Preaseisiúintí is déanaí"})
    doc = index_page(site_in("ga", messages=own), releases=(make_release(language="ga"),))
    assert texts(doc, "//h2[@id='latest']") == ["Preaseisiúintí is déanaí"]
    assert doc.xpath("//h2[@id='latest']/@lang") == []
    # An untranslated label stays English (and the catalogue's language is the site's: nothing marks it).
    assert texts(doc, "//h2[@id='subscribe-heading']") == ["Subscribe"]
    assert texts(doc, "//ol[@class='releases']//time") == ["2 Samhain 2017"]


def write_config(tmp_path: Path, extra_site: str) -> Path:
    (tmp_path / "inbox").mkdir(exist_ok=True)
    cfg = tmp_path / "feeds.toml"
    cfg.write_text(BASE_CONFIG.replace('language = "en-GB"\n', f'language = "cy"\n{extra_site}'), encoding="utf-8")
    return cfg


def test_site_messages_is_read_relative_to_the_config_and_checked_at_load(tmp_path: Path) -> None:
    (tmp_path / "locale").mkdir()
    own_catalogue(tmp_path / "locale" / "cy.po", "cy", {"Published": "Dyddiad cyhoeddi"})
    settings = load_settings(write_config(tmp_path, 'messages = "locale/cy.po"\n'), environ={})
    assert settings.site.messages == tmp_path / "locale" / "cy.po"

    (tmp_path / "locale" / "cy.po").write_text('msgid "Published"\nmsgstr "Cyhoeddwyd"\nmsgid "Published"\n', "utf-8")
    with pytest.raises(ConfigError) as broken:
        load_settings(write_config(tmp_path, 'messages = "locale/cy.po"\n'), environ={})
    assert broken.value.key == "site.messages" and broken.value.line == 8
    assert re.search(r"locale/cy\.po, line \d+: not a gettext catalogue", str(broken.value)), str(broken.value)

    with pytest.raises(ConfigError, match=r"site\.messages.*missing\.po: cannot read the catalogue"):
        load_settings(write_config(tmp_path, 'messages = "missing.po"\n'), environ={})


def test_editing_the_own_catalogue_renders_the_site_again(tmp_path: Path) -> None:
    own = own_catalogue(tmp_path / "cy.po", "cy", {"Published": "Dyddiad cyhoeddi"})
    settings = load_settings(write_config(tmp_path, f'messages = "{own.name}"\n'), environ={})
    (tmp_path / "inbox" / "a.json").write_text(
        json.dumps(
            {
                "title": "Agor y morglawdd",
                "body": "Agorodd y gweinidog y morglawdd heddiw.",
                "published": "2026-11-02T09:30:00Z",
            }
        ),
        encoding="utf-8",
    )
    app = make_app(settings)
    try:
        run_ingest(app)
        run_publish(app)
        page = next((settings.paths.out / "releases").glob("*/index.html"))
        assert "Dyddiad cyhoeddi" in page.read_text("utf-8")
        own_catalogue(own, "cy", {"Published": "Cyhoeddwyd ar"})
        run_publish(app)
        assert "Cyhoeddwyd ar" in page.read_text("utf-8")
    finally:
        app.close()


# --- feeds ----------------------------------------------------------------------------------------------------


def test_feeds_say_their_own_sentences_in_the_site_s_language(tmp_path: Path) -> None:
    cfg = tmp_path / "feeds.toml"
    (tmp_path / "inbox").mkdir()
    cfg.write_text(BASE_CONFIG.replace('language = "en-GB"', 'language = "fr"'), encoding="utf-8")
    app = make_app(load_settings(cfg, environ={}))
    try:
        release = {"title": "Déclaration sur l'Iran", "body": "Le ministre a parlé de l'Iran.", "topics": ["Iran"]}
        withdrawn = {**release, "withdrawn_at": "2026-11-03T10:00:00Z", "withdrawn_note": "Remplacée."}
        (tmp_path / "inbox" / "a.json").write_text(
            json.dumps({**withdrawn, "published": "2026-11-02T09:30:00Z"}), "utf-8"
        )
        run_ingest(app)
        run_publish(app)
        out = app.settings.paths.out
        topic = feedparser.parse((out / "topics" / "iran" / "atom.xml").read_bytes())
        assert topic.feed.subtitle == "Communiqués de Test Press Office sur le thème «\u00a0Iran\u00a0»."
        main = feedparser.parse((out / "atom.xml").read_bytes())
        (entry,) = main.entries
        assert entry.title == "[Retiré] Déclaration sur l'Iran"
        assert entry.summary.startswith("Retiré le 3 novembre 2026. Remplacée. ")
    finally:
        app.close()


@pytest.mark.parametrize(
    ("language", "title"),
    [
        ("en-GB", "Test Press Office (archive 1)"),  # as before there were catalogues
        ("fr", "Test Press Office (archives n°\u00a01)"),
        ("de", "Test Press Office (Archiv 1)"),
        ("es", "Test Press Office (archivo 1)"),
        ("cy", "Test Press Office (archif 1)"),
    ],
)
def test_the_archive_feeds_are_titled_in_the_site_s_language(tmp_path: Path, language: str, title: str) -> None:
    cfg = tmp_path / "feeds.toml"
    (tmp_path / "inbox").mkdir()
    config = BASE_CONFIG.replace('language = "en-GB"', f'language = "{language}"') + "\n[publish]\nentries = 1\n"
    cfg.write_text(config, encoding="utf-8")
    app = make_app(load_settings(cfg, environ={}), clock=FixedClock(datetime(2026, 11, 28, 12, 0, tzinfo=UTC)))
    try:
        for n in range(3):  # one per archive document: archives 1 and 2, and the current document
            release = {"title": f"Release {n}", "body": "Body.", "published": f"2026-11-0{n + 1}T09:30:00Z"}
            (tmp_path / "inbox" / f"r{n}.json").write_text(json.dumps(release), "utf-8")
            run_ingest(app)
        run_publish(app)
        out = app.settings.paths.out
        assert feedparser.parse((out / "archive" / "1" / "atom.xml").read_bytes()).feed.title == title
        assert feedparser.parse((out / "archive" / "1" / "rss.xml").read_bytes()).feed.title == title
        assert json.loads((out / "archive" / "1" / "feed.json").read_bytes())["title"] == title
        second = feedparser.parse((out / "archive" / "2" / "atom.xml").read_bytes()).feed.title
        assert second == title.replace("1)", "2)")
        assert feedparser.parse((out / "atom.xml").read_bytes()).feed.title == "Test Press Office"
    finally:
        app.close()


# --- the catalogues themselves --------------------------------------------------------------------------------

_PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def test_the_template_lists_every_label_of_the_templates_and_the_code() -> None:
    """After adding or changing a label, write the template again:
    .venv/bin/python -c "from feeds.publish.i18n import template; print(template(), end='')" > feeds/locale/feeds.pot
    then translate the new label in every feeds/locale/*.po."""
    assert (LOCALE / "feeds.pot").read_text("utf-8") == template()


@pytest.mark.parametrize("language", PACKAGED)
def test_every_packaged_catalogue_translates_every_label_with_its_placeholders(language: str) -> None:
    with (LOCALE / "feeds.pot").open("rb") as f:
        wanted = {m.id if isinstance(m.id, str) else tuple(m.id) for m in read_po(f) if m.id}
    with (LOCALE / f"{language}.po").open("rb") as f:
        catalog = read_po(f, abort_invalid=True)
    assert catalog.locale is not None and str(catalog.locale) == language
    found = {m.id if isinstance(m.id, str) else tuple(m.id): m.string for m in catalog if m.id}
    assert set(found) == wanted
    for msgid, translated in found.items():
        ids = (msgid,) if isinstance(msgid, str) else msgid
        strings = (translated,) if isinstance(translated, str) else translated
        assert all(strings), f"{language}: {msgid!r} is not translated"
        given = set(_PLACEHOLDER.findall(" ".join(ids)))
        for s in strings:
            used = set(_PLACEHOLDER.findall(s))
            # Every placeholder is kept, but the document type may be left out (French cannot agree with it).
            assert used <= given and given - used <= {"kind", "num"}, f"{language}: {msgid!r} → {s!r}"


def test_messages_never_follow_the_process_locale(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LANGUAGE", "fr")
    monkeypatch.setenv("LC_ALL", "fr_FR.UTF-8")
    words = messages_for(SITE)
    assert isinstance(words, Messages) and words.gettext("Published") == "Published"
    assert words.date(WHEN) == "2 November 2017"


def test_check_config_says_where_the_labels_come_from(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from feeds.cli import cli

    def labels(extra_site: str, language: str = "cy") -> str:
        cfg = write_config(tmp_path, extra_site).with_name("feeds.toml")
        cfg.write_text(cfg.read_text("utf-8").replace('language = "cy"', f'language = "{language}"'), "utf-8")
        result = CliRunner().invoke(cli, ["--config", str(cfg), "check-config"], catch_exceptions=False)
        assert result.exit_code == 0, result.output
        return next(line.split(None, 1)[1] for line in result.output.splitlines() if line.startswith("  labels"))

    assert labels("") == "cy (the packaged catalogue)"
    assert labels("", "en-GB") == "en-GB"
    assert (
        labels("", "ja")
        == 'English (no catalogue for this language: set site.messages; README, "The site\'s language")'
    )
    own_catalogue(tmp_path / "cy.po", "cy", {"Published": "Dyddiad cyhoeddi", "Not one of ours": "Dim"})
    total = len(template().split("\nmsgid ")) - 2  # (less the header)
    assert labels('messages = "cy.po"\n') == (
        f"cy: 1 of {total} labels from site.messages, the rest from the packaged catalogue"
    )


def test_our_own_note_of_a_withdrawal_sent_without_one_is_shown_in_the_site_s_language() -> None:
    from feeds.normalise.release import DEFAULT_WITHDRAWN_NOTE
    from feeds.publish.i18n import STORED

    assert DEFAULT_WITHDRAWN_NOTE in STORED
    doc = release_page(site_in("fr"), language="fr", withdrawn_at=WHEN, withdrawn_note=DEFAULT_WITHDRAWN_NOTE)
    assert texts(doc, "//section[contains(@class, 'withdrawn')]/p[@class='note']") == ["Il ne faut plus s'y fier."]
    # A note the source gave is its own text, shown as it was written.
    doc = release_page(site_in("fr"), language="fr", withdrawn_at=WHEN, withdrawn_note="Remplacé par un autre.")
    assert texts(doc, "//section[contains(@class, 'withdrawn')]/p[@class='note']") == ["Remplacé par un autre."]


# --- the browser view of the feeds (static/feed.xsl) ---------------------------------------------------------


def feed_page(site: Site, fmt: str, *, empty: bool = False) -> lxml_html.HtmlElement:
    from lxml import etree

    from feeds.publish.stylesheet import feed_stylesheet
    from tests.test_publish_feeds import RENDER, empty_spec, ordinary_spec

    xsl = etree.XSLT(etree.fromstring(feed_stylesheet(messages_for(site))))
    spec = dataclasses.replace(empty_spec() if empty else ordinary_spec(), language=site.language)
    result = xsl(etree.fromstring(RENDER[fmt](spec)))  # type: ignore[index]
    return lxml_html.fromstring(str(result))


FORMATS = {"atom": "Atom", "rss": "RSS"}


@pytest.mark.parametrize("fmt", ["atom", "rss"])
def test_the_browser_view_of_a_feed_speaks_the_site_s_language(fmt: str) -> None:
    page = feed_page(site_in("fr"), fmt)
    assert texts(page, "//p[@class='kind']") == [f"Flux web {FORMATS[fmt]}"]
    assert texts(page, "//title")[0].endswith(" (flux web)")
    assert texts(page, "//h2") == ["Comment s'abonner", "Dernières entrées"]
    assert texts(page, "//a[@class='home']") == ["Retour au site"]
    # Dates as the pages write them, with the time in UTC (XSLT 1.0 cannot move it into the site's zone).
    shown = texts(page, "//ol[@class='entries']/li/*[self::time or @class='date']")
    assert shown == [f"{d} novembre 2026, 09:00 UTC" for d in (24, 20, 18)]


@pytest.mark.parametrize("fmt", ["atom", "rss"])
def test_the_browser_view_of_an_empty_feed_says_so_in_the_site_s_language(fmt: str) -> None:
    page = feed_page(site_in("cy"), fmt, empty=True)
    assert page.find(".//ol") is None
    assert "Does dim cofnodion ar hyn o bryd." in texts(page, "//main/p")
    assert texts(page, "//h2")[0] == "Sut i danysgrifio"


@pytest.mark.parametrize("fmt", ["atom", "rss"])
def test_the_browser_view_marks_english_words_on_a_site_in_a_language_without_a_catalogue(fmt: str) -> None:
    """As the pages do: a screen reader reads the English words as English amid the site's own text."""
    page = feed_page(site_in("ja"), fmt)
    assert page.get("lang") == "ja"
    marked = ["p[@class='kind']", "section[@class='subscribe']", "main/h2", "ol/li/*[2]"]
    for xpath in marked:
        found = page.xpath(f"//{xpath}")
        assert found and all(el.get("lang") == "en" for el in found), xpath
    assert page.xpath("//h1/@lang") == [] and "en" not in page.xpath("//ol/li/a/@lang")  # the feed's own text
    # Nothing is marked where the words are in the site's language (an entry in another language is, as before).
    for site in (SITE, site_in("fr"), site_in("cy-GB")):
        assert feed_page(site, fmt).xpath("//*[@lang][not(ancestor::ol)]/@lang") == [site.language]


def test_the_browser_view_of_a_right_to_left_site_is_laid_out_right_to_left() -> None:
    """As its pages are; English words on it are laid out left to right (an Urdu site without a catalogue)."""
    page = feed_page(site_in("ur"), "atom")
    assert (page.get("lang"), page.get("dir")) == ("ur", "rtl")
    assert {(el.get("lang"), el.get("dir")) for el in page.xpath("//main/h2 | //section")} == {("en", "ltr")}
    assert feed_page(SITE, "atom").get("dir") is None  # (a left-to-right page, as before)


def test_the_browser_view_of_an_english_site_is_the_stylesheet_as_written() -> None:
    from feeds.publish.stylesheet import feed_stylesheet

    assert feed_stylesheet(messages_for(SITE)) == (Path(LOCALE.parent, "static", "feed.xsl")).read_bytes()
    assert feed_stylesheet(messages_for(site_in("ja"))) == feed_stylesheet(messages_for(SITE))  # (no catalogue)
    # The same words give the same bytes (stable ETags).
    assert feed_stylesheet(messages_for(site_in("de"))) == feed_stylesheet(messages_for(site_in("de")))


def test_the_browser_view_takes_the_office_s_words_and_ignores_a_broken_one(tmp_path: Path) -> None:
    own = own_catalogue(
        tmp_path / "cy.po",
        "cy",
        {"Latest entries": "Y cofnodion newydd", "%(title)s (web feed)": "%(teitl)s (ffrwd)"},
    )
    page = feed_page(site_in("cy", messages=own), "atom")
    assert texts(page, "//h2")[1] == "Y cofnodion newydd"
    # A placeholder the label has not would lose the feed's title: the label stays English (as on a page).
    assert texts(page, "//title") == ["Harbour City press releases (web feed)"]


def test_editing_the_own_catalogue_writes_the_browser_view_again(tmp_path: Path) -> None:
    own = own_catalogue(tmp_path / "cy.po", "cy", {"Latest entries": "Cofnodion diweddaraf"})
    settings = load_settings(write_config(tmp_path, f'messages = "{own.name}"\n'), environ={})
    app = make_app(settings)
    try:
        run_publish(app)
        xsl = settings.paths.out / "static" / "feed.xsl"
        assert "Cofnodion diweddaraf" in xsl.read_text("utf-8")
        own_catalogue(own, "cy", {"Latest entries": "Y cofnodion newydd"})
        run_publish(app)
        assert "Y cofnodion newydd" in xsl.read_text("utf-8")
    finally:
        app.close()


# --- the browser view of the feeds where XSLT is gone (static/feed.css) -------------------------------------


def css_labels_of(css: bytes) -> dict[str, str]:
    """The `--label-…` properties of a feed.css, their CSS strings read back (escapes undone)."""
    found = {}
    for name, value in re.findall(r'^  --(label-[a-z]+): "((?:[^"\\]|\\.)*)";$', css.decode(), re.MULTILINE):
        found[name] = re.sub(r"\\([0-9a-f]{1,6}) ?|\\(.)", lambda m: chr(int(m[1], 16)) if m[1] else m[2], value)
    return found


def test_the_css_view_of_a_feed_speaks_the_site_s_language() -> None:
    from feeds.publish.stylesheet import css_labels, feed_css, labels

    assert set(css_labels()) <= set(labels())  # (feed.xsl's words: feeds.pot and every catalogue have them)
    words = css_labels_of(feed_css(messages_for(site_in("fr"))))
    assert words["label-subscribe"] == "Comment s'abonner"
    assert words["label-home"] == "Retour au site"
    assert words["label-latest"] == "Dernières entrées"
    assert len(words) == len(css_labels()) and all(w != m for w, m in zip(words.values(), css_labels(), strict=True))
    assert css_labels_of(feed_css(messages_for(site_in("cy"))))["label-none"] == "Does dim cofnodion ar hyn o bryd."


def test_the_css_view_of_an_english_site_is_the_file_as_written_and_a_right_to_left_site_reads_so() -> None:
    from feeds.publish.stylesheet import feed_css

    written = (LOCALE.parent / "static" / "feed.css").read_bytes()
    assert feed_css(messages_for(SITE)) == written
    assert feed_css(messages_for(site_in("ja"))) == written  # (no catalogue: English words)
    rtl = feed_css(messages_for(site_in("ur")), rtl=True)
    assert (
        b"rss > channel, atom|feed {\n  direction: rtl;\n" in rtl
        and rtl.replace(b"  direction: rtl;\n", b"", 1) == written
    )
    assert feed_css(messages_for(site_in("de"))) == feed_css(messages_for(site_in("de")))  # (stable bytes)


def test_the_css_view_takes_the_office_s_words_escaped_and_ignores_a_broken_one(tmp_path: Path) -> None:
    from feeds.publish.stylesheet import feed_css

    own = own_catalogue(
        tmp_path / "cy.po",
        "cy",
        {
            "Latest entries": 'Y "newydd" \\ yma\nnawr',
            "How to subscribe": "Tanysgrifio i %(title)s",  # (a placeholder these words have not: shown as written)
        },
    )
    words = css_labels_of(feed_css(messages_for(site_in("cy", messages=own))))
    assert words["label-latest"] == 'Y "newydd" \\ yma\nnawr'
    assert words["label-subscribe"] == "How to subscribe"  # (as in feed.xsl and on the pages: stays English)


def test_the_css_view_lays_out_right_to_left_the_languages_the_pages_do() -> None:
    """feed.css lists the right-to-left languages for entries (CSS cannot ask feeds which they are)."""
    from feeds.publish.pageviews import _RTL_LANGUAGES

    css = (LOCALE.parent / "static" / "feed.css").read_text("utf-8")
    listed = re.search(r"atom\|entry:is\(([^{]*)\) \{", css)
    assert listed is not None
    assert set(re.findall(r":lang\(([a-z]+)\)", listed[1])) == _RTL_LANGUAGES


# --- a release's coverage -------------------------------------------------------------------------------------


def test_the_coverage_list_names_the_kinds_of_match_in_the_site_s_language() -> None:
    from feeds.publish.coverage import KIND_LABELS
    from feeds.publish.pageviews import CoverageItem

    def item(n: int, *kinds: str) -> CoverageItem:
        when = datetime(2017, 11, 2 + n, tzinfo=UTC)
        labels = tuple(KIND_LABELS[k] for k in kinds)
        return CoverageItem(f"Article {n}", f"https://news.example/{n}", "Gazette", when, labels, "why")

    coverage = (item(1, "pickup", "related"), item(2, "keyword"))
    page = render_release_page(
        PageRenderer(site_in("fr")), make_release(language="fr"), feeds=ALL_FEEDS, coverage=coverage, stylesheet_url=CSS
    )
    shown = texts(lxml_html.fromstring(page.data), "//span[@class='kind']")
    assert shown == ["Correspondance par mot-clé", "Reprise mot pour mot, Couverture liée"]


def test_a_translation_that_cannot_be_filled_in_leaves_its_label_english(tmp_path: Path) -> None:
    """A placeholder the label has not, or a lone "%", passes the catalogue's syntax check: it failed every publish
    with a KeyError or ValueError. The label stays English, as an untranslated one does."""
    own = own_catalogue(
        tmp_path / "cy.po",
        "cy",
        {"[Withdrawn] %(title)s": "[Tynnwyd yn ôl] %(teitl)s", "Published": "100 %", "Topics": "Pynciau %%"},
    )
    doc = release_page(site_in("cy", messages=own), language="cy", withdrawn_at=WHEN, title="Agor y morglawdd")
    assert doc.xpath("//title")[0].text.startswith("[Withdrawn] Agor y morglawdd")
    assert texts(doc, "//dl[@class='meta']/dt") == ["Oddi wrth", "Published", "Diweddarwyd ddiwethaf", "Pynciau %"]


# --- why an item matched (feeds.publish.explain) --------------------------------------------------------------


def matched(kind: str, why: str, terms: tuple[tuple[str, str], ...] = ()) -> StoredMatch:
    from tests.alerts_helpers import stored_match

    m = stored_match(1, kind, "kyiv" if kind == "keyword" else "r1")
    return dataclasses.replace(m, why=why, terms=tuple(MatchedTerm(t, f, 0, len(t)) for t, f in terms))


KEYWORD_TERMS = (("kyiv", "title"), ("kyiv", "summary"), ("zelensky", "author"))


@pytest.mark.parametrize(
    ("language", "keyword", "related"),
    [
        (
            "de",
            "Treffer der Regel „kyiv“: kyiv ×2 (Titel, Zusammenfassung), zelensky (Autor)",
            "Verwandt mit „Talks resume“: Iran / Tehran 0,30, UN 0,20 (Titel), Oslo 0,10 (Inhalt); Trefferwert 0,60",
        ),
        (
            "es",
            "coincide con la regla «kyiv»: kyiv ×2 (título, resumen), zelensky (autor)",
            "relacionado con «Talks resume»: Iran / Tehran 0,30, UN 0,20 (título), Oslo 0,10 (contenido); "
            "puntuación 0,60",
        ),
        (
            "cy",
            "yn cyfateb i'r rheol ‘kyiv’: kyiv ×2 (teitl, crynodeb), zelensky (awdur)",
            "yn ymwneud â ‘Talks resume’: Iran / Tehran 0.30, UN 0.20 (teitl), Oslo 0.10 (cynnwys); sgôr 0.60",
        ),
    ],
)
def test_every_packaged_language_explains_matches_in_its_own_words(language: str, keyword: str, related: str) -> None:
    from feeds.publish.explain import explanation

    words = messages_for(site_in(language))
    rule = matched("keyword", "matched rule 'kyiv': kyiv ×2 (title, summary), zelensky (author)", KEYWORD_TERMS)
    assert explanation(rule, words) == keyword
    why = "related to 'Talks resume': Iran / Tehran 0.30, UN 0.20 (title), Oslo 0.10 (content); score 0.60"
    assert explanation(matched("related", why), words) == related
    # In English, the line as stored.
    assert explanation(rule, messages_for(SITE)) == rule.why


@pytest.mark.parametrize(
    "why",
    [
        "quotes the release",  # (the wording of an older version, or written by hand)
        "related to 'Talks resume': Iran (title); score 0.50",  # a related match without its shares
        "pickup of 'Talks resume': 1 words in title (“Talks resume”); score 1.00",  # "1 words": not as we write
        "pickup of 'Talks resume': 12 words in body (“…”); score 0.18",  # a field the watch has not
    ],
)
def test_an_explanation_that_cannot_be_read_back_exactly_is_published_as_stored(why: str) -> None:
    from feeds.publish.explain import explanation, reason

    words = messages_for(site_in("fr"))
    kind = "related" if why.startswith("related") else "pickup"
    assert explanation(matched(kind, why), words) == why
    detail = why.split("': ", 1)[1] if "': " in why else why
    title = "«\u00a0T\u00a0»"
    said = reason(matched(kind, why), {"r1": "T"}, words)
    assert said in (f"Lié à {title}\u00a0: {detail}.", f"Reprise mot pour mot de {title}\u00a0: {detail}.")


def test_a_keyword_explanation_is_read_from_the_stored_terms_and_checked_against_the_line() -> None:
    """A rule's terms may hold what the line separates its parts with ("a (title), b"): the terms stored with
    the match say which they are; a line they do not give back is published as stored."""
    from feeds.publish.explain import explanation

    words = messages_for(site_in("fr"))
    odd = matched(
        "keyword", "matched rule 'kyiv': talks (title), kyiv (summary)", (("talks (title), kyiv", "summary"),)
    )
    assert explanation(odd, words) == "correspond à la règle «\u00a0kyiv\u00a0»\u00a0: talks (title), kyiv (résumé)"
    other = matched("keyword", "matched rule 'kyiv': kyiv (title)", (("kyiv", "summary"),))
    assert explanation(other, words) == other.why
    bare = matched("keyword", "matched rule 'kyiv'")
    assert explanation(bare, words) == "correspond à la règle «\u00a0kyiv\u00a0»"
