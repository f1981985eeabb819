"""feeds.normalise.ids: slugs, tag: ids, permalinks, renaming after a collision, and release identity."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from feeds.config import Site, TopicSettings
from feeds.model import RawRelease
from feeds.normalise import normalise_release
from feeds.normalise.ids import (
    canonical_url,
    escaped_url_part,
    identity_of,
    link_aliases,
    permalink,
    readable_url,
    release_slug,
    slugify,
    tag_id,
    with_slug,
)

SITE = Site(
    title="Department for Coastal Affairs",
    base_url="https://press.example.org/",
    author="Department for Coastal Affairs",
    language="en",
    timezone="Europe/London",
)


@pytest.mark.parametrize(
    ("text", "slug"),
    [
        ("Foreign Secretary to visit Moscow", "foreign-secretary-to-visit-moscow"),
        ("  Spaces   and\ttabs  ", "spaces-and-tabs"),
        ("Minister's visit to the UK’s coast", "ministers-visit-to-the-uks-coast"),
        ("Zürich, Besançon & Łódź: ties renewed", "zurich-besancon-and-lodz-ties-renewed"),
        ("Straße, Ærø and Øresund", "strasse-aero-and-oresund"),
        ("£40m for 3 harbours (2024–25)", "40m-for-3-harbours-2024-25"),
        ("---Already-hyphenated---", "already-hyphenated"),
        ("ＦＵＬＬＷＩＤＴＨ", "fullwidth"),
        ("日本の港", ""),
        ("مرحبا", ""),
        ("", ""),
    ],
)
def test_slugify(text: str, slug: str) -> None:
    assert slugify(text) == slug


@pytest.mark.parametrize(
    ("text", "max_length", "slug"),
    [
        ("alpha beta gamma", 16, "alpha-beta-gamma"),
        ("alpha beta gamma", 15, "alpha-beta"),
        ("alpha beta gamma", 11, "alpha-beta"),
        ("alpha beta gamma", 10, "alpha-beta"),
        ("alpha beta gamma", 9, "alpha"),
        ("supercalifragilistic", 5, "super"),
    ],
)
def test_slugify_cuts_at_a_word_boundary(text: str, max_length: int, slug: str) -> None:
    assert slugify(text, max_length) == slug


@given(st.text(max_size=200))
def test_slugs_are_url_safe_and_bounded(text: str) -> None:
    slug = slugify(text)
    assert len(slug) <= 80
    assert all(c.isascii() and (c.isalnum() or c == "-") for c in slug)
    assert not slug.startswith("-") and not slug.endswith("-") and "--" not in slug
    assert slug == slug.lower()


@pytest.mark.parametrize(
    ("title", "link", "slug"),
    [
        ("Coastal fund opens", None, "coastal-fund-opens"),
        ("مرحبا بالعالم", "https://www.gov.uk/government/news/coastal-fund-opens.ar", "coastal-fund-opens-ar"),
        ("مرحبا بالعالم", "https://www.gov.uk/government/news/coastal-fund-opens.ur?x=1#y", "coastal-fund-opens-ur"),
        ("مرحبا بالعالم", "https://www.gov.uk/government/news/coastal-fund-opens/", "coastal-fund-opens"),
        (
            "مرحبا بالعالم",
            "https://www.gov.uk/%D9%85%D8%B1",
            "release-" + hashlib.sha256("مرحبا بالعالم".encode()).hexdigest()[:10],
        ),
        ("مرحبا بالعالم", None, "release-" + hashlib.sha256("مرحبا بالعالم".encode()).hexdigest()[:10]),
        ("پیغام 2016ء", "https://www.gov.uk/government/news/christmas-message.ur", "christmas-message-ur"),
        ("پیغام 2016ء", None, "release-" + hashlib.sha256("پیغام 2016ء".encode()).hexdigest()[:10]),
        ("UK–Japan ties: 日本との関係", None, "uk-japan-ties"),
        ("Zürich and Łódź sign pact", "https://x.example/other", "zurich-and-lodz-sign-pact"),
        ("2025", "https://x.example/other", "2025"),
        (
            "مرحبا بالعالم",
            "https://www.gov.uk/",
            "release-" + hashlib.sha256("مرحبا بالعالم".encode()).hexdigest()[:10],
        ),
    ],
)
def test_release_slug_falls_back_to_link_then_hash(title: str, link: str | None, slug: str) -> None:
    assert release_slug(title, link) == slug


@pytest.mark.parametrize(
    ("domain", "published", "slug", "tag"),
    [
        (
            "press.example.org",
            datetime(2017, 11, 2, 9, 30, tzinfo=UTC),
            "foreign-secretary-to-visit-moscow",
            "tag:press.example.org,2017-11-02:foreign-secretary-to-visit-moscow",
        ),
        # 00:30 on 3 November in Tokyo is still 2 November in UTC: the date in the id is the UTC date
        (
            "Press.Example.ORG",
            datetime(2017, 11, 3, 0, 30, tzinfo=timezone(timedelta(hours=9))),
            "x",
            "tag:press.example.org,2017-11-02:x",
        ),
    ],
)
def test_tag_id(domain: str, published: datetime, slug: str, tag: str) -> None:
    assert tag_id(domain, published, slug) == tag


def test_tag_id_refuses_naive_dates() -> None:
    with pytest.raises(ValueError, match="naive"):
        tag_id("press.example.org", datetime(2017, 11, 2), "x")


@pytest.mark.parametrize(
    ("base", "link"),
    [
        ("https://press.example.org/", "https://press.example.org/releases/x/"),
        ("https://example.org/press/", "https://example.org/press/releases/x/"),
        ("https://example.org/press", "https://example.org/press/releases/x/"),
    ],
)
def test_permalink(base: str, link: str) -> None:
    assert permalink(base, "x") == link


def test_with_slug_recomputes_id_and_permalink() -> None:
    raw = RawRelease(
        origin="inbox/a.txt", source="inbox", title="Harbour reopens", body="It does.", published="2024-03-01T10:00Z"
    )
    release = normalise_release(raw, SITE, TopicSettings(), datetime(2025, 1, 1, tzinfo=UTC))
    renamed = with_slug(release, "harbour-reopens-2", SITE)
    assert renamed.slug == "harbour-reopens-2"
    assert renamed.id == "tag:press.example.org,2024-03-01:harbour-reopens-2"
    assert renamed.permalink == "https://press.example.org/releases/harbour-reopens-2/"
    assert renamed.content_hash == release.content_hash
    assert renamed.identity == release.identity
    assert release.slug == "harbour-reopens"  # the original is untouched


@pytest.mark.parametrize(
    ("url", "canonical"),
    [
        ("https://www.gov.uk/government/news/x", "https://www.gov.uk/government/news/x"),
        ("HTTPS://WWW.GOV.UK/government/news/x", "https://www.gov.uk/government/news/x"),
        ("https://www.gov.uk:443/government/news/x#top", "https://www.gov.uk/government/news/x"),
        ("http://example.org:80/a?b=1&c=2", "http://example.org/a?b=1&c=2"),
        ("http://example.org:8080/a", "http://example.org:8080/a"),
        ("https://example.org", "https://example.org/"),
        ("https://example.org/Case/Sensitive", "https://example.org/Case/Sensitive"),
        ("https://[2001:DB8::1]:443/x", "https://[2001:db8::1]/x"),
        ("  https://example.org/x  ", "https://example.org/x"),
        ("/government/news/x", None),
        ("not a url", None),
        ("https://example.org:99999/x", None),
    ],
)
def test_canonical_url(url: str, canonical: str | None) -> None:
    assert canonical_url(url) == canonical


@pytest.mark.parametrize(
    ("part", "escaped"),
    [
        ("/news feed.xml", "/news%20feed.xml"),
        ("/news%20feed.xml", "/news%20feed.xml"),  # an escape written already is kept
        ("/café/rss", "/caf%C3%A9/rss"),  # UTF-8, as requests and browsers send it
        ("q=ä b&lang=fr", "q=%C3%A4%20b&lang=fr"),
        ("/a%2fb", "/a%2fb"),  # (the case of an escape is `canonical_feed_url`'s business)
        ("/100%", "/100%25"),  # a % that starts no escape
        ("/%zz", "/%25zz"),
        ('/a|b"c<d>[e]^`{}\\', "/a%7Cb%22c%3Cd%3E%5Be%5D%5E%60%7B%7D%5C"),
        ("/x;v=1/!$&'()*+,:@~=?", "/x;v=1/!$&'()*+,:@~=?"),  # allowed in a path or query: as written
        ("", ""),
    ],
)
def test_a_url_part_is_escaped_as_requests_sends_it(part: str, escaped: str) -> None:
    assert escaped_url_part(part) == escaped
    assert escaped_url_part(escaped) == escaped


@given(st.text(max_size=30), st.text(max_size=30))
def test_requests_sends_a_canonical_feed_url_as_it_is(path: str, query: str) -> None:
    """The stored URL is the one requests sends, character for character: `canonical_feed_url` puts the escapes
    written in upper case and decodes those of unreserved characters (`%a0` is `%A0`, `%41` is `A`), as requests
    (urllib3) does before sending, then `escaped_url_part` escapes what requests would. (`escaped_url_part` alone
    keeps escapes as written: `%a0` stays, which requests would send as `%A0`.)"""
    import requests

    from feeds.watch.feedurls import canonical_feed_url

    path = "/" + path.replace("?", "").replace("#", "")
    query = query.replace("#", "")
    try:
        url = canonical_feed_url("https://example.org" + path + (f"?{query}" if query else ""))
    except UnicodeEncodeError:  # (a lone surrogate is no text: refused, see feed_url_problem)
        return
    assert requests.Request("GET", url).prepare().url == url


@pytest.mark.parametrize(
    ("url", "readable"),
    [
        ("https://xn--bcher-kva.example/caf%C3%A9?q=%C3%A4", "https://bücher.example/café?q=ä"),
        ("https://example.org/news%20feed.xml", "https://example.org/news%20feed.xml"),  # one word still
        ("https://example.org/a%2Fb%7C", "https://example.org/a%2Fb%7C"),  # ASCII escapes mean something
        ("https://example.org/%E2%80%AEfdp.exe", "https://example.org/%E2%80%AEfdp.exe"),  # reorders the text
        ("https://example.org/%C2%A0x", "https://example.org/%C2%A0x"),  # invisible
        ("https://example.org/%C3%28", "https://example.org/%C3%28"),  # not UTF-8
        ("https://xn--zz-zzz.example/rss", "https://xn--zz-zzz.example/rss"),  # not a name IDNA decodes
        ("http://127.0.0.1:8080/feed", "http://127.0.0.1:8080/feed"),
    ],
)
def test_a_stored_url_is_shown_readable(url: str, readable: str) -> None:
    assert readable_url(url) == readable


def raw(**fields: object) -> RawRelease:
    base: dict[str, object] = {"origin": "/srv/feeds/inbox/harbour.txt", "source": "inbox", "title": "T", "body": "B"}
    base.update(fields)
    return RawRelease(**base)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("release", "identity"),
    [
        (raw(source_key=" 5f3c-en ", link="https://www.gov.uk/x", slug="s"), "key:5f3c-en"),
        (raw(link="https://WWW.gov.uk/government/news/x#a", slug="s"), "url:https://www.gov.uk/government/news/x"),
        (raw(link="https://www.gov.uk/government/news/x.ur"), "url:https://www.gov.uk/government/news/x.ur"),
        (raw(link="/relative/only", slug="Harbour Reopens"), "slug:harbour-reopens"),
        (raw(slug="harbour-reopens"), "slug:harbour-reopens"),
        (raw(), "file:inbox/harbour.txt"),
        (raw(origin="/srv/feeds/inbox/processed/harbour.txt"), "file:inbox/harbour.txt"),
        (raw(origin="C:\\feeds\\inbox\\harbour.txt"), "file:inbox/harbour.txt"),
        (raw(source_key="   ", slug="   "), "file:inbox/harbour.txt"),
        (raw(origin="push:7d1e", source="push"), "file:push/push:7d1e"),
        # a JSON list's object by its title, not its index; a file in a named folder's subfolder by its path there
        (raw(origin="/srv/feeds/inbox/list.json#3", item_key="harbour"), "file:inbox/list.json#title:harbour"),
        (raw(origin="/srv/feeds/inbox/list.json#3", item_key="harbour#2"), "file:inbox/list.json#title:harbour#2"),
        (raw(origin="a/2025/r.txt", source="cli", file_key="2025/r.txt"), "file:cli/2025/r.txt"),
        (
            raw(origin="a/2025/l.json#0", source="cli", file_key="2025/l.json", item_key="x"),
            "file:cli/2025/l.json#title:x",
        ),
    ],
)
def test_identity_of(release: RawRelease, identity: str) -> None:
    assert identity_of(release) == identity


@pytest.mark.parametrize(
    ("identity", "aliases"),
    [
        (
            "url:https://www.gov.uk/government/news/coastal-fund",
            (
                "url:https://www.gov.uk/government/news/coastal-fund/",
                "url:http://www.gov.uk/government/news/coastal-fund",
                "url:http://www.gov.uk/government/news/coastal-fund/",
            ),
        ),
        (
            "url:http://press.example.org/news/x/?page=2",
            (
                "url:http://press.example.org/news/x?page=2",
                "url:https://press.example.org/news/x/?page=2",
                "url:https://press.example.org/news/x?page=2",
            ),
        ),
        ("url:https://press.example.org/", ("url:http://press.example.org/",)),  # the root has one form of path
        (
            "url:http://press.example.org:443/x",
            (  # a port that is the default one under https
                "url:http://press.example.org:443/x/",
                "url:https://press.example.org/x",
                "url:https://press.example.org/x/",
            ),
        ),
        ("url:ftp://files.example.org/x", ()),
        ("key:x-1", ()),
        ("slug:coastal-fund", ()),
        ("file:inbox/coastal-fund.txt", ()),
    ],
)
def test_link_aliases(identity: str, aliases: tuple[str, ...]) -> None:
    assert link_aliases(identity) == aliases


def test_link_aliases_never_join_a_translation_to_its_original() -> None:
    english = identity_of(raw(link="https://www.gov.uk/government/news/coastal-fund"))
    urdu = identity_of(raw(link="https://www.gov.uk/government/news/coastal-fund.ur"))
    assert urdu not in link_aliases(english) and english not in link_aliases(urdu)


def test_translations_keep_separate_identities() -> None:
    english = raw(link="https://www.gov.uk/government/news/coastal-fund")
    urdu = raw(link="https://www.gov.uk/government/news/coastal-fund.ur")
    assert identity_of(english) != identity_of(urdu)


WINDOWS_DEVICES = {"con", "prn", "aux", "nul"} | {f"{p}{n}" for p in ("com", "lpt") for n in range(10)}


@pytest.mark.parametrize("name", ["CON", "aux", "Nul", "prn", "COM1", "lpt9", "Aux & Con"])
def test_a_slug_is_never_a_windows_device_name(name):
    # out/topics/con/ and out/releases/aux/ could not be copied to a Windows (or SMB) web server: CON, PRN, AUX,
    # NUL, COM0-9 and LPT0-9 name devices there, whatever their case or extension.
    from feeds.normalise.ids import slugify

    slug = slugify(name)
    assert slug and slug.split(".")[0] not in WINDOWS_DEVICES


def test_a_slug_that_only_begins_like_a_device_name_is_kept():
    from feeds.normalise.ids import slugify

    assert [slugify(n) for n in ("Console", "Auxiliary staff", "COM10", "con-artist")] == [
        "console",
        "auxiliary-staff",
        "com10",
        "con-artist",
    ]
