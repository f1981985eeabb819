"""Unicode normalisation forms: every text of a release is published in NFC, whatever form it was sent in; text
already in NFC hashes as before; topics, slugs and ids are the same for either form; watched items' display text is
NFC; and a bare e-mail or web address in a Markdown body is a link, as in a plain-text one.

vnu warns "Text run is not in Unicode Normalization Form C" on a page whose text is not: an Arabic release typed
shadda-then-kasra, a title pasted from a PDF or a Mac file name with its accents apart (NFD).
"""

from __future__ import annotations

import dataclasses
import json
import unicodedata
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from feeds.config import TopicSettings, load_settings
from feeds.ingest import ingest_paths
from feeds.model import RawRelease, Release
from feeds.normalise import normalise_release
from feeds.normalise.autolink import linkify
from feeds.normalise.fields import readable_texts
from feeds.normalise.htmltext import clean_html_to_text
from feeds.normalise.ids import release_slug, slugify
from feeds.normalise.markdown import render_markdown
from feeds.normalise.plaintext import text_to_html
from feeds.normalise.sanitise import sanitise_html
from feeds.normalise.text import nfc, xml_safe
from feeds.normalise.topics import detect_topics, topic_slug
from feeds.publish import run_publish
from feeds.watch.parse import parse_feed, parse_with_feedparser
from tests.conftest import BASE_CONFIG
from tests.test_normalise_release import NOW, SITE, TOPICS

SHADDA_KASRA = "\u0634\u0646\u0651\u0650"  # shin, nun, shadda (ccc 33), kasra (ccc 32): not NFC
KASRA_SHADDA = "\u0634\u0646\u0650\u0651"  # the same, in NFC
CAFE = "Caf\u00e9"
CAFE_NFD = "Cafe\u0301"


def nfd(text: str) -> str:
    return unicodedata.normalize("NFD", text)


def is_nfc(text: str) -> bool:
    return unicodedata.is_normalized("NFC", text)


def raw(**fields: Any) -> RawRelease:
    base: dict[str, Any] = {
        "origin": "/srv/feeds/inbox/cafe.json",
        "source": "inbox",
        "title": "Café owners meet in Zürich — «trade» talks",
        "body": "Café owners in Zürich: «trade» talks.\n\nعقوبات على " + KASRA_SHADDA + " هجمات",
        "summary": "Zürich talks on café trade",
        "topics": ("Café", "Ünïcode"),
        "organisation": "Département du Commerce",
        "change_note": "Corrigé: Zürich",
        "published": "2026-11-26T09:00Z",
    }
    base.update(fields)
    return RawRelease(**base)


def in_nfd(release: RawRelease) -> RawRelease:
    """`release` with every text decomposed, and the Arabic typed shadda-then-kasra."""

    def d(text: str) -> str:
        return nfd(text).replace(KASRA_SHADDA, SHADDA_KASRA)

    return dataclasses.replace(
        release,
        title=d(release.title or ""),
        body=d(release.body or ""),
        summary=None if release.summary is None else d(release.summary),
        topics=tuple(map(d, release.topics)),
        organisation=None if release.organisation is None else d(release.organisation),
        withdrawn_note=None if release.withdrawn_note is None else d(release.withdrawn_note),
        change_note=None if release.change_note is None else d(release.change_note),
        changes=tuple((at, d(note)) for at, note in release.changes),
    )


def texts_of(release: Release) -> list[str]:
    return [
        release.title,
        release.summary,
        release.body_html,
        release.body_text,
        *release.topics,
        release.organisation,
        release.withdrawn_note or "",
        release.change_note or "",
        *(c.note for c in release.changes),
    ]


# --- releases ---------------------------------------------------------------------------------------------------

BODIES = {
    "text": "Café owners in Zürich: «trade» talks.\n\nعقوبات على " + KASRA_SHADDA + " هجمات",
    "markdown": "Café owners in *Zürich*: «trade» talks.\n\nعقوبات على " + KASRA_SHADDA + " هجمات",
    "html": "<p>Café owners in Zürich: «trade» talks, Kraków’s £40m fund.</p><p>عقوبات على " + KASRA_SHADDA + "</p>",
}
EXTRAS: dict[str, Any] = {
    "withdrawn_at": "2026-11-27T09:00Z",
    "withdrawn_note": "Retiré: remplacé par « Café II »",
    "changes": (("2026-11-26T12:00Z", "Corrigé: « Zürich »"),),
}


@pytest.mark.parametrize("body_format", list(BODIES))
def test_every_text_of_a_release_sent_in_nfd_is_stored_in_nfc(body_format: str) -> None:
    sent = in_nfd(raw(body=BODIES[body_format], body_format=body_format, **EXTRAS))
    assert not is_nfc(sent.title or "") and not is_nfc(sent.body or "")
    release = normalise_release(sent, SITE, TOPICS, NOW)
    for text in texts_of(release):
        assert is_nfc(text), text


@pytest.mark.parametrize("body_format", list(BODIES))
def test_a_release_sent_in_nfd_is_the_release_sent_in_nfc(body_format: str) -> None:
    """The same text, the same release: the same hash, slug, id and every field."""
    composed = raw(body=BODIES[body_format], body_format=body_format, **EXTRAS)
    assert normalise_release(in_nfd(composed), SITE, TOPICS, NOW) == normalise_release(composed, SITE, TOPICS, NOW)


# Computed by the version before NFC was applied: text already in NFC must hash exactly as it did, or every stored
# release would be seen as changed (HASH_VERSION is not bumped).
PINNED_HASHES = {
    "text": "747966622050bfe7bcbb9953df80a1d096c36ae001cd9bf2b92367495c064de1",
    "markdown": "803f3ad9cac7b8bbcf163bfa2dd3d71497e24c3e6a5f54173796b1963465197b",
    "html": "ae40509761e4a91261c5fab918d241797b0f9a457ee5d03c479283cfa4661b2d",
}


@pytest.mark.parametrize("body_format", list(BODIES))
def test_text_already_in_nfc_hashes_as_before(body_format: str) -> None:
    sent = raw(body=BODIES[body_format], body_format=body_format, **EXTRAS)
    assert normalise_release(sent, SITE, TOPICS, NOW).content_hash == PINNED_HASHES[body_format]


def test_texts_already_in_nfc_are_the_same_object() -> None:
    """Almost every release: nothing is copied, and ASCII text is not even scanned."""
    sent = raw(**EXTRAS)
    assert readable_texts(sent) is sent
    ascii_text = "Sea wall repairs to begin" * 100
    assert nfc(ascii_text) is ascii_text
    assert nfc(CAFE) is CAFE
    assert nfc(CAFE_NFD) == CAFE


@pytest.mark.parametrize(
    ("body_format", "body"),
    [
        ("html", "<p>عقوبات على &#x634;&#x646;&#x651;&#x650; هجمات, e&#x301;te&#769;</p>"),
        ("markdown", "عقوبات على &#x634;&#x646;&#x651;&#x650; هجمات, e&#x301;te&#769; *x*"),
        ("markdown", "عقوبات على &#x634;&#x646;&#x651;&#x650; هجمات, e&#x301;te&#769;"),
    ],
)
def test_character_references_that_spell_text_not_in_nfc_are_published_in_nfc(body_format: str, body: str) -> None:
    """A reference is read after the text is normalised: what it spells is normalised too (title, summary, body)."""
    title = "Sanctions: &#x634;&#x646;&#x651;&#x650; Cafe&#x301;"
    release = normalise_release(
        raw(title=title, summary="e&#x301;te&#769; &amp; more", body=body, body_format=body_format), SITE, TOPICS, NOW
    )
    assert release.title == "Sanctions: " + KASRA_SHADDA + " Café"
    for text in texts_of(release):
        assert is_nfc(text), text


def test_the_corpus_arabic_release_is_published_in_nfc(corpus_releases, make_settings, make_app_for) -> None:
    """The Houthi sanctions release (GOV.UK content API) as sent has text not in NFC; its page has none."""
    path = corpus_releases / "govuk-news-story-houthi-sanctions-arabic.json"
    sent = json.loads(path.read_text("utf-8"))
    assert not is_nfc(json.dumps(sent, ensure_ascii=False))
    app = make_app_for(make_settings())
    ingest_paths(app, [path])
    run_publish(app)
    pages = list((app.settings.paths.out / "releases").glob("*/index.html"))
    assert pages
    for page in pages:
        assert is_nfc(page.read_text("utf-8"))
    (stored,) = app.store.releases()
    for text in texts_of(stored):
        assert is_nfc(text)


# --- topics, slugs and ids ---------------------------------------------------------------------------------------


def test_cafe_in_nfc_and_in_nfd_is_one_topic() -> None:
    assert detect_topics([CAFE, CAFE_NFD], "Title", "text", TOPICS) == (CAFE,)
    assert detect_topics([CAFE_NFD], "Title", "text", TOPICS) == (CAFE,)
    assert topic_slug(CAFE) == topic_slug(CAFE_NFD) == "cafe"


def test_a_topic_in_another_script_has_one_slug_in_either_form() -> None:
    """A name with nothing ASCII gets a slug from a hash of it: the hash of its NFC form, as before for NFC."""
    name = "عقوبات " + KASRA_SHADDA
    assert topic_slug(nfd(name).replace(KASRA_SHADDA, SHADDA_KASRA)) == topic_slug(name)
    assert topic_slug(nfd("Ünïcode")) == topic_slug("Ünïcode") == "unicode"


def test_configured_topics_found_in_the_text_are_named_in_nfc() -> None:
    topics = TopicSettings(detect=(CAFE_NFD,), aliases=())
    assert detect_topics([], "Café owners meet", "text", topics) == (CAFE,)


def write_release(path: Any, **fields: Any) -> None:
    path.write_text(json.dumps({"published": "2026-11-27T10:00Z", **fields}, ensure_ascii=False), "utf-8")


def test_releases_tagged_cafe_in_either_form_share_one_topic_page_and_feed(
    make_settings, make_app_for, tmp_path
) -> None:
    app = make_app_for(make_settings())
    one, two = tmp_path / "one.json", tmp_path / "two.json"
    write_release(one, title="Coffee prices rise", body="<p>Coffee.</p>", topics=[CAFE], source_key="one")
    write_release(two, title="Coffee imports fall", body="<p>Imports.</p>", topics=[CAFE_NFD], source_key="two")
    ingest_paths(app, [one, two])
    run_publish(app)
    out = app.settings.paths.out / "topics"
    assert sorted(p.name for p in out.iterdir() if p.is_dir()) == ["cafe"]
    page = (out / "cafe" / "index.html").read_text("utf-8")
    assert "Coffee prices rise" in page and "Coffee imports fall" in page
    assert is_nfc(page) and CAFE in page
    assert {t for r in app.store.releases() for t in r.topics} == {CAFE}


@pytest.mark.parametrize(
    ("title", "link"),
    [
        ("Café owners meet in Zürich — Ærø and Łódź", None),
        ("Bộ trưởng Ngoại giao thăm Hà Nội", None),
        ("عقوبات على " + KASRA_SHADDA + " هجمات", None),  # no Latin: a hash of the title
        ("عقوبات على " + KASRA_SHADDA + " هجمات", "https://www.gov.uk/government/news/houthi.ar"),
    ],
)
def test_a_title_in_nfd_gives_the_slug_and_id_of_its_nfc_form(title: str, link: str | None) -> None:
    composed = raw(title=title, link=link)
    decomposed = in_nfd(composed)
    assert decomposed.title != title
    a, b = normalise_release(composed, SITE, TOPICS, NOW), normalise_release(decomposed, SITE, TOPICS, NOW)
    assert (b.slug, b.id, b.permalink) == (a.slug, a.id, a.permalink)
    assert slugify(nfd(title)) == slugify(title)
    if link is None and not slugify(title):
        assert release_slug(title, None) == a.slug


def test_a_slug_given_in_nfd_is_the_slug_given_in_nfc() -> None:
    a = normalise_release(raw(slug="café-zürich"), SITE, TOPICS, NOW)
    b = normalise_release(raw(slug=nfd("café-zürich")), SITE, TOPICS, NOW)
    assert a.slug == b.slug == "cafe-zurich"


# --- watched items -----------------------------------------------------------------------------------------------

RSS_NFD = (
    '<?xml version="1.0" encoding="utf-8"?><rss version="2.0"><channel><title>{feed}</title>'
    "<link>https://news.example.org/</link><item><title>{title}</title><link>https://news.example.org/a</link>"
    "<description>{summary}</description><author>press@news.example.org ({author})</author>"
    "<category>{tag}</category></item></channel></rss>"
)


def _rss() -> bytes:
    return RSS_NFD.format(
        feed=nfd("Le Café"),
        title=nfd("Sanctions: café owners in Zürich ") + SHADDA_KASRA,
        summary=nfd("Les propriétaires de cafés à Zürich ") + SHADDA_KASRA,
        author=nfd("Zoë Müller"),
        tag=nfd("Économie"),
    ).encode("utf-8")


@pytest.mark.parametrize("parse", [parse_feed, parse_with_feedparser])
def test_a_watched_item_sent_in_nfd_is_shown_in_nfc(parse: Any) -> None:
    parsed = parse(_rss(), url="https://news.example.org/feed.xml")
    (item,) = parsed.items
    assert item.title == "Sanctions: café owners in Zürich " + KASRA_SHADDA
    assert item.summary == "Les propriétaires de cafés à Zürich " + KASRA_SHADDA
    assert is_nfc(parsed.title or "") and is_nfc(item.author) and all(map(is_nfc, item.tags))


def test_a_json_feed_item_sent_in_nfd_is_shown_in_nfc() -> None:
    doc = {
        "version": "https://jsonfeed.org/version/1.1",
        "title": nfd("Le Café"),
        "items": [
            {
                "id": "1",
                "url": "https://news.example.org/a",
                "title": nfd("Café owners in Zürich"),
                "summary": nfd("Les propriétaires de cafés"),
                "content_text": nfd("Les propriétaires de cafés à Zürich"),
                "authors": [{"name": nfd("Zoë Müller")}],
                "tags": [nfd("Économie")],
            }
        ],
    }
    parsed = parse_feed(json.dumps(doc).encode(), url="https://news.example.org/feed.json")
    (item,) = parsed.items
    assert item.title == "Café owners in Zürich" and item.summary == "Les propriétaires de cafés"
    assert is_nfc(parsed.title or "") and is_nfc(item.author) and all(map(is_nfc, item.tags))


# --- addresses in Markdown ---------------------------------------------------------------------------------------

ADDRESSES = "Contact press@coastal.gov.uk or see www.gov.uk/coast and https://example.org/report.pdf."


def test_a_markdown_body_links_bare_addresses_as_a_plain_text_one_does() -> None:
    html, text = render_markdown(ADDRESSES)
    assert html == text_to_html(ADDRESSES)
    assert '<a href="mailto:press@coastal.gov.uk" rel="noopener noreferrer">press@coastal.gov.uk</a>' in html
    assert text == ADDRESSES


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        (
            "Write to *press@coastal.gov.uk* today",
            '<p>Write to <em><a href="mailto:press@coastal.gov.uk" rel="noopener noreferrer">press@coastal.gov.uk</a>'
            "</em> today</p>",
        ),
        (  # a link already: not linked twice
            "[the office](mailto:press@coastal.gov.uk) and <press@coastal.gov.uk>",
            '<p><a href="mailto:press@coastal.gov.uk" rel="noopener noreferrer">the office</a> and '
            '<a href="mailto:press@coastal.gov.uk" rel="noopener noreferrer">press@coastal.gov.uk</a></p>',
        ),
        (
            "[write to press@coastal.gov.uk](https://example.org/contact)",
            '<p><a href="https://example.org/contact" rel="noopener noreferrer">write to press@coastal.gov.uk</a></p>',
        ),
        (  # raw HTML link
            '<a href="mailto:press@coastal.gov.uk">press@coastal.gov.uk</a> *x*',
            '<p><a href="mailto:press@coastal.gov.uk" rel="noopener noreferrer">press@coastal.gov.uk</a> '
            "<em>x</em></p>",
        ),
        ("Code: `press@coastal.gov.uk`", "<p>Code: <code>press@coastal.gov.uk</code></p>"),
        ("    press@coastal.gov.uk", "<pre><code>press@coastal.gov.uk\n</code></pre>"),
        (
            "# Contact www.gov.uk/coast",
            '<h2>Contact <a href="https://www.gov.uk/coast" rel="noopener noreferrer">www.gov.uk/coast</a></h2>',
        ),
        (
            "Escaped press\\@coastal.gov.uk *x*",
            '<p>Escaped <a href="mailto:press@coastal.gov.uk" rel="noopener noreferrer">press@coastal.gov.uk</a> '
            "<em>x</em></p>",
        ),
        ("A & B at press@x", "<p>A &amp; B at press@x</p>"),
    ],
)
def test_addresses_in_markdown(markdown: str, expected: str) -> None:
    assert render_markdown(markdown)[0] == expected


def _reference(markdown: str) -> tuple[str, str]:
    """The long way round: markdown-it, then the sanitiser, for every input (the fast paths must equal it)."""
    from feeds.normalise.markdown import _MARKDOWN

    html = sanitise_html(_MARKDOWN.render(xml_safe(markdown)), base_url="https://press.example.org/")
    return html, clean_html_to_text(html)


_PROSE = st.sampled_from(
    ["Minister", "talks", "Zürich", " ", "\n", "\n\n", ".", ",", "@", "press@x.org", "www.", "gov.uk", "https://",
     "http://", "example.org/a", "/", ":", "?", "(", ")", "mailto:", "-", "'", "“", "”"]
)  # fmt: skip


@settings(max_examples=400)
@given(st.lists(_PROSE, max_size=20).map("".join))
def test_prose_with_addresses_renders_as_the_long_way_round(markdown: str) -> None:
    assert render_markdown(markdown, "https://press.example.org/") == _reference(markdown)


def test_plain_text_and_markdown_link_the_same_addresses() -> None:
    for text in (ADDRESSES, "a@b.cd-e x", "see http://08 or localhost", "mailto:press@coastal.gov.uk", "Zürich@x.org"):
        assert render_markdown(text)[0] == "<p>" + linkify(text) + "</p>"


def test_an_address_run_into_a_mailto_one_is_not_written_twice() -> None:
    """ "a@b.orgmailto:c@d.org" (two addresses typed without a space): the first ends where the second's
    "mailto:" would start, and each character is published once."""
    assert clean_html_to_text(text_to_html("press@x.orgmailto:press@x.org")) == "press@x.orgmailto:press@x.org"
    assert render_markdown("press@x.orgmailto:press@x.org")[1] == "press@x.orgmailto:press@x.org"


def test_a_topic_configured_in_nfd_is_shown_in_nfc(make_app_for, tmp_path) -> None:
    (tmp_path / "inbox").mkdir()
    config = tmp_path / "feeds.toml"
    config.write_text(BASE_CONFIG.replace('detect = ["Russia",', f'detect = ["{CAFE_NFD}", "Russia",'), "utf-8")
    app = make_app_for(load_settings(config, environ={}))
    one = tmp_path / "one.json"
    write_release(one, title="Café owners meet", body="<p>Coffee.</p>", source_key="one")
    ingest_paths(app, [one])
    run_publish(app)
    assert is_nfc((app.settings.paths.out / "topics" / "cafe" / "index.html").read_text("utf-8"))
