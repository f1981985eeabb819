"""What a page says about itself to the sites it is shared on and to search engines: its Open Graph and Twitter card
tags, the length of its descriptions, and its schema.org JSON-LD (`NewsArticle`, `WebSite`, `CollectionPage`,
`BreadcrumbList`).

    Release / Site ──release_meta, release_json_ld──► Head.meta, Head.json_ld ──base.html──► <head>

A release page pasted into X, LinkedIn, Facebook, WhatsApp, Slack, Teams or iMessage is unfurled from its Open Graph
tags (Twitter reads them too, and needs only `twitter:card` of its own); Google News reads its JSON-LD. Both take the
same facts as the page shows: the title (`[Withdrawn] …` once withdrawn), the summary, the page's dates in the site's
zone with their offset, the release's organisation as its author and the site's as its publisher.

What this module must not do: render a page, read the clock, the store or `out/`; put anything in a `<script>` but
JSON whose `<`, `>` and `&` are escaped (`json_ld`): a title holding `</script>` must not end the data block, and no
HTML parser may see markup in it. JSON-LD is data, never run: the pages' Content-Security-Policy (no scripts) stays.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Mapping, Sequence
from datetime import tzinfo
from typing import Any

from markupsafe import Markup

from feeds.clock import ensure_utc, rfc3339_in
from feeds.config import Site
from feeds.model import Release
from feeds.normalise.summary import cut_between_words

DESCRIPTION_LIMIT = 200
"""Characters of a page's description (`<meta name="description">`, `og:description`): X cuts a card's at 200,
LinkedIn and Facebook show fewer, Google about 160 on a phone. A longer summary is cut between words, with `…`."""

_SPACE = re.compile(r"\s+")
_JSON_ESCAPES = {"<": "\\u003c", ">": "\\u003e", "&": "\\u0026"}


def clip_text(text: str, limit: int = DESCRIPTION_LIMIT) -> str:
    """`text` on one line, at most `limit` characters, cut between words with `…` as a release's summary is
    (`cut_between_words`: never inside a word or a character as readers see it; Chinese and Japanese after any of
    their characters, or after a whole sentence)."""
    return cut_between_words(_SPACE.sub(" ", text).strip(), limit)


def json_ld(data: Mapping[str, Any]) -> Markup:
    """`data` as the text of a `<script type="application/ld+json">`: compact JSON, keys in the order given (equal
    data, equal bytes), with `<`, `>` and `&` written as `\\u003c` escapes, so that a `</script>` or `<!--` in a
    title neither ends the block nor opens a comment; JSON readers decode them back. Safe to write unescaped."""
    text = json.dumps(data, ensure_ascii=False, separators=(",", ":"))
    return Markup(re.sub("[<>&]", lambda m: _JSON_ESCAPES[m.group(0)], text))


def _organisation(name: str, url: str | None = None) -> dict[str, str]:
    return {"@type": "Organization", "name": name, **({"url": url} if url else {})}


def breadcrumbs(crumbs: Sequence[tuple[str, str]]) -> dict[str, Any]:
    """A schema.org `BreadcrumbList` of (name, absolute URL) from the site's root down to the page."""
    return {
        "@type": "BreadcrumbList",
        "itemListElement": [
            {"@type": "ListItem", "position": n, "name": name, "item": url}
            for n, (name, url) in enumerate(crumbs, start=1)
        ],
    }


_IMG_SRC_ALT = re.compile(r"<img\b[^>]*>")


def image_size(body_html: str, image: str) -> tuple[str, str] | None:
    """The (width, height) the body gives the lead `image` where it shows it, or None: only a picture dropped with
    the release has them (`feeds.normalise.pictures`, read from its file's header; the sanitiser keeps no size of
    an image hosted elsewhere, whose file feeds never sees)."""
    if "<img" not in body_html:
        return None
    for tag in _IMG_SRC_ALT.findall(body_html):
        src = re.search(r' src="([^"]*)"', tag)
        width = re.search(r' width="(\d+)"', tag)
        height = re.search(r' height="(\d+)"', tag)
        if src and width and height and html.unescape(src.group(1)) in (image, html.unescape(image)):
            return width.group(1), height.group(1)
    return None


def image_alt(body_html: str, image: str) -> str | None:
    """The text the body gives the lead `image` where it shows it, else None: its `alt` (`<img src="…" alt="…">`),
    or, with none, its `title`, which names the picture on the page too (`pagetemplates.with_alt`, and a screen
    reader's accessible name). A card's `og:image:alt` only when the office wrote one: the release's title is no
    description of a picture, and an empty `alt` says the picture is decoration."""
    if "<img" not in body_html:
        return None
    for tag in _IMG_SRC_ALT.findall(body_html):
        src = re.search(r' src="([^"]*)"', tag)
        if not src or html.unescape(src.group(1)) not in (image, html.unescape(image)):
            continue
        text = re.search(r' alt="([^"]*)"', tag) or re.search(r' title="([^"]*)"', tag)
        if text:
            return " ".join(html.unescape(text.group(1)).split()) or None
    return None


LARGE_IMAGE_PREVIEW = "max-image-preview:large"
"""Google Search and Discover show a page's picture large (a full-width card in Discover, a large thumbnail in
Top stories) only where the page allows it with this robots rule; without it, a small thumbnail at most."""


def release_robots(release: Release) -> str | None:
    """A release page's `<meta name="robots">`: `max-image-preview:large` while it is current, so that Discover and
    Top stories may show its pictures large; none once withdrawn (the page stays listed, as GOV.UK's withdrawn pages
    do, so that a search for it finds the notice, but its picture is not to be promoted). A page under embargo is
    not written at all, and a taken-down one's notice says `noindex` (`feeds.publish.removed`)."""
    return None if release.withdrawn_at else LARGE_IMAGE_PREVIEW


def release_meta(
    release: Release,
    *,
    site: Site,
    title: str,
    description: str,
    image: str | None,
    topics: Sequence[str],
    locale: str,
    alternate_locales: Sequence[str],
) -> tuple[tuple[str, str], ...]:
    """A release page's Open Graph `article` and Twitter card tags, in order. `og:url` is the permalink, the page's
    canonical URL; `summary_large_image` only when there is an image to show large (else X shows a text card)."""
    meta: list[tuple[str, str]] = [
        ("og:type", "article"),
        ("og:title", title),
        *((("og:description", description),) if description else ()),
        ("og:url", release.permalink),
        ("og:site_name", site.title),
        ("og:locale", locale),
        *(("og:locale:alternate", other) for other in alternate_locales),
    ]
    alt = image_alt(release.body_html, image) if image else None
    if image:
        meta.append(("og:image", image))
        if size := image_size(release.body_html, image):
            meta += [("og:image:width", size[0]), ("og:image:height", size[1])]
        if alt:
            meta.append(("og:image:alt", alt))
    # (X reads the rest from Open Graph; its card type, and an image's alt text, it reads from its own tags only)
    meta.append(("twitter:card", "summary_large_image" if image else "summary"))
    if alt:
        meta.append(("twitter:image:alt", alt))
    meta += [
        ("article:published_time", rfc3339_in(release.published, site.tz)),
        ("article:modified_time", rfc3339_in(release.updated, site.tz)),
    ]
    if topics:
        meta.append(("article:section", topics[0]))
    meta += [("article:tag", topic) for topic in topics]
    return tuple(meta)


def release_json_ld(
    release: Release,
    *,
    site: Site,
    title: str,
    description: str,
    image: str | None,
    topics: Sequence[str],
    lang: str,
    translations: Sequence[tuple[str, str]] = (),
) -> Markup:
    """A release page's `NewsArticle` (headline, dates in the site's zone with their offset, the release's
    organisation as author, the site's as publisher, the page as `mainEntityOfPage`, its language, image and
    topics; `creativeWorkStatus: Withdrawn` once withdrawn) and its `BreadcrumbList`: the site, the year's page
    that lists it, the release. `translations`: (language, URL) of its other language versions."""
    tz: tzinfo = site.tz
    year = ensure_utc(release.published).astimezone(tz).year
    article: dict[str, Any] = {
        "@type": "NewsArticle",
        "@id": f"{release.permalink}#article",
        "headline": title,
        **({"description": description} if description else {}),
        "url": release.permalink,
        "mainEntityOfPage": release.permalink,
        "datePublished": rfc3339_in(release.published, tz),
        "dateModified": rfc3339_in(release.updated, tz),
        "inLanguage": lang,
        "author": _organisation(release.organisation or site.author),
        "publisher": _organisation(site.author, site.base_url),
    }
    if image:
        article["image"] = [image]
    if topics:
        article["articleSection"] = topics[0]
        article["keywords"] = list(topics)
    if release.withdrawn_at:
        article["creativeWorkStatus"] = "Withdrawn"
    if translations:
        article["workTranslation"] = [{"@id": f"{url}#article", "inLanguage": tag} for tag, url in translations]
    crumbs = breadcrumbs(
        [(site.title, site.base_url), (str(year), f"{site.base_url}years/{year}/"), (title, release.permalink)]
    )
    return json_ld({"@context": "https://schema.org", "@graph": [article, crumbs]})


def release_sharing(
    release: Release,
    *,
    site: Site,
    title: str,
    image: str | None,
    topics: Sequence[str],
    lang: str,
    locales: Sequence[str],
    translations: Sequence[tuple[str, str]] = (),
) -> tuple[str, tuple[tuple[str, str], ...], Markup]:
    """A release page's description (its summary, `clip_text`), Open Graph and Twitter tags, and JSON-LD.
    `locales`: the page's Open Graph locale, then its translations'; `translations`: their (language, URL)."""
    description = clip_text(release.summary)
    meta = release_meta(
        release,
        site=site,
        title=title,
        description=description,
        image=image,
        topics=topics,
        locale=locales[0],
        alternate_locales=locales[1:],
    )
    structured = release_json_ld(
        release,
        site=site,
        title=title,
        description=description,
        image=image,
        topics=topics,
        lang=lang,
        translations=translations,
    )
    return description, meta, structured


def website_meta(site: Site, title: str, description: str, url: str, locale: str) -> tuple[tuple[str, str], ...]:
    """The Open Graph `website` and Twitter card tags of the index, a topic's or a year's page."""
    meta = [("og:type", "website"), ("og:title", title)]
    if description:
        meta.append(("og:description", description))
    return (*meta, ("og:url", url), ("og:site_name", site.title), ("og:locale", locale), ("twitter:card", "summary"))


def website_json_ld(site: Site, description: str) -> Markup:
    """The index's `WebSite`: the site's name, address, language and the office publishing it."""
    data: dict[str, Any] = {
        "@context": "https://schema.org",
        "@type": "WebSite",
        "name": site.title,
        "url": site.base_url,
    }
    if description:
        data["description"] = description
    data |= {"inLanguage": site.language, "publisher": _organisation(site.author, site.base_url)}
    return json_ld(data)


def collection_json_ld(site: Site, name: str, title: str, description: str, url: str) -> Markup:
    """A topic's or a year's page: a `CollectionPage` of the site's releases, and its `BreadcrumbList` (the site,
    the page, named `name`)."""
    page = {
        "@type": "CollectionPage",
        "name": title,
        "description": description,
        "url": url,
        "inLanguage": site.language,
        "isPartOf": {"@type": "WebSite", "name": site.title, "url": site.base_url},
    }
    return json_ld(
        {"@context": "https://schema.org", "@graph": [page, breadcrumbs([(site.title, site.base_url), (name, url)])]}
    )
