"""What a saved web page says about itself: `<meta>` values (Open Graph, Dublin Core, schema.org's itemprop,
GOV.UK's own), `<link rel=canonical>`, `<base href>`, `<html lang>`, microdata dates and images, `<time>` in the
content, and a CMS's metadata list (`<dt>Published</dt><dd>3 June 2026</dd>`, `<dt>From</dt>`).

The keys are tried in a fixed order of preference per field (the tuples below); htmlpage.py decides which field
comes from where, and in what order against the page's text (an embargo line comes first).

What this module must not do: parse dates (strings go to the normaliser as found, `date_line` only picks a date
out of a list's text), choose the headline (htmlheadline.py) or touch the article. It never changes the tree.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from urllib.parse import urlsplit

from lxml.html import HtmlElement

from feeds.ingest.htmltree import text_of
from feeds.normalise.datelines import date_line, without_history_link
from feeds.normalise.redirects import redirect_target
from feeds.normalise.sanitise import resolve_url

__all__ = [
    "CONTENT_ROOTS",
    "IMAGE",
    "ISSUER",
    "LANGUAGE",
    "ORGANISATION",
    "PUBLISHED",
    "SUMMARY",
    "UPDATED",
    "Meta",
    "absolute",
    "article_time",
    "attr",
    "base_url",
    "canonical",
    "from_line",
    "is_word_export",
    "itemprop_date",
    "itemprop_url",
    "listed_date",
    "not_a_platform",
    "page_url",
    "title_text",
]

# The keys (lower case) of each field, most trusted first.
PUBLISHED = (
    "govuk:first-published-at", "article:published_time", "og:published_time", "dc.date.issued", "dcterms.issued",
    "dcterms.created", "dc.date.created", "dcterms.date", "dc.date", "date", "pubdate", "publish-date",
    "publication_date",
)  # fmt: skip
# GOV.UK's "Last updated" is `govuk:public-updated-at`; its `govuk:updated-at` moves with minor edits too.
UPDATED = (
    "govuk:public-updated-at", "article:modified_time", "og:updated_time", "dcterms.modified", "dc.date.modified",
    "last-modified",
)  # fmt: skip
SUMMARY = ("description", "og:description", "twitter:description", "dc.description", "dcterms.abstract")
IMAGE = ("og:image", "og:image:url", "og:image:secure_url", "twitter:image")
ORGANISATION = ("og:site_name", "application-name", "dc.publisher", "dcterms.publisher")
LANGUAGE = ("content-language", "language", "dc.language", "dcterms.language", "og:locale")
# Elements that pages mark as their content (also where htmlheadline.py looks for a lesser heading).
CONTENT_ROOTS = ".//article | .//main | .//*[@role='main'] | .//*[@itemprop='articleBody']"


class Meta:
    """`<meta>` values by lower-cased name, property, itemprop or http-equiv, in document order."""

    def __init__(self, root: HtmlElement):
        self._values: dict[str, list[str]] = {}
        for meta in root.iter("meta"):
            content = " ".join((meta.get("content") or "").split())
            if not content:
                continue
            for attribute in ("name", "property", "itemprop", "http-equiv"):
                key = (meta.get(attribute) or "").strip().lower()
                if key:
                    self._values.setdefault(key, []).append(content)

    def first(self, keys: Iterable[str]) -> str | None:
        for key in keys:
            values = self._values.get(key)
            if values:
                return values[0]
        return None

    def all(self, key: str) -> list[str]:
        return list(self._values.get(key, ()))


def attr(root: HtmlElement, name: str) -> str | None:
    value = (root.get(name) or "").strip()
    return value or None


def title_text(root: HtmlElement) -> str | None:
    element = root.find(".//title")
    return (text_of(element) or None) if element is not None else None


def is_word_export(meta: Meta) -> bool:
    """Whether the page is a word processor's export, whose <title> is the document's Title property: Word's "Save
    as Web Page" (`<meta name=ProgId content=Word.Document>`), LibreOffice's HTML (its `generator`) or XHTML
    export (`DCTERMS.source` names its odf2xhtml filter)."""
    progid = (meta.first(("progid",)) or "").casefold()
    generator = (meta.first(("generator",)) or "").casefold()
    return (
        progid.startswith("word.")
        or generator.startswith(("microsoft word", "libreoffice", "openoffice"))
        or "odf2xhtml" in (meta.first(("dcterms.source",)) or "")
    )


def is_google_docs(root: HtmlElement) -> bool:
    """Whether the page is Google Docs' "Download → Web page": its <body> of class `doc-content`, or its style
    sheet's list classes (`.lst-kix_…`) or font kit (themes.googleusercontent.com/fonts) in an older export."""
    body = root.find("body")
    if body is not None and "doc-content" in (body.get("class") or "").split():
        return True
    return any(_GOOGLE_DOCS_STYLE.search(s.text or "") for s in root.iter("style"))


_GOOGLE_DOCS_STYLE = re.compile(r"\.lst-kix_|themes\.googleusercontent\.com/fonts/css\?kit=")
"""(Blogger's themes load images from themes.googleusercontent.com too: only Docs' font kit counts.)"""


def itemprop_date(root: HtmlElement, prop: str) -> str | None:
    for element in root.xpath(f".//*[@itemprop='{prop}']"):
        value = element.get("datetime") or element.get("content") or text_of(element)
        if value and value.strip():
            return " ".join(value.split())
    return None


def itemprop_url(root: HtmlElement, prop: str) -> str | None:
    for element in root.xpath(f".//*[@itemprop='{prop}']"):
        value = str(element.get("content") or element.get("src") or element.get("href") or "").strip()
        if value:
            return value
    return None


def article_time(root: HtmlElement) -> str | None:
    for content in root.xpath(CONTENT_ROOTS):
        for time in content.iter("time"):
            value = (time.get("datetime") or "").strip()
            if value:
                return value
    return None


def canonical(root: HtmlElement) -> str | None:
    for link in root.iter("link"):
        if "canonical" in (link.get("rel") or "").lower().split() and (link.get("href") or "").strip():
            return (link.get("href") or "").strip()
    return None


def base_url(root: HtmlElement, meta: Meta) -> str | None:
    """What relative URLs in the page are relative to: <base href>, else the page's own canonical URL."""
    base = root.find(".//base[@href]")
    candidates = [base.get("href") if base is not None else None, canonical(root), meta.first(("og:url",))]
    for candidate in candidates:
        url = resolve_url(candidate, None) if candidate else None
        if url and _is_http_url(url):
            return url
    return None


def absolute(url: str | None, base: str | None) -> str | None:
    resolved = resolve_url(url, base) if url else None
    return resolved if resolved and _is_http_url(resolved) else None


def link_meant(url: str, base: str | None) -> str | None:
    """A link of the article as `resolve_url` reads it, and the address it was meant to be when it is a Google
    redirect (`https://www.google.com/url?q=https://…&sa=D&usg=…`, how Google Docs exports every link) or a
    Microsoft Safe Link (every link of a message Outlook received): the address itself, not the tracking of the
    click. Must not follow or check any address."""
    resolved = resolve_url(url, base)
    if resolved is None:
        return None
    meant = redirect_target(resolved)
    return resolve_url(meant, None) if meant is not None else resolved


def page_url(url: str | None) -> str | None:
    """`url`, unless it is a site's home page (no path, or `/`, and no query): many CMSs put that in the `og:url`
    or canonical link of every page, and as the release's link (its identity) it would make every page saved
    from the site one release, each replacing the last. A query names a page (WordPress's `/?p=123`)."""
    if url is None:
        return None
    parts = urlsplit(url)
    return None if parts.path in ("", "/") and not parts.query else url


def _is_http_url(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme in ("http", "https") and bool(parts.netloc) and not re.search(r"\s", url)


# Who issued the page, where the site names its publishers apart from itself (GOV.UK publishes for hundreds).
ISSUER = ("govuk:primary-publishing-organisation",)
# Sites that publish for others: their name is not the organisation of a release (the site's author is, then).
_PLATFORMS = frozenset(
    {"gov.uk", "gov.scot", "gov.wales", "llyw.cymru", "nidirect", "medium", "substack", "wordpress"}
    | {"wordpress.com", "blogger", "linkedin", "facebook"}
)


def not_a_platform(name: str | None) -> str | None:
    return None if name is None or " ".join(name.split()).casefold() in _PLATFORMS else name


def from_line(root: HtmlElement) -> str | None:
    """The organisation a page's metadata list names ("From: Foreign, Commonwealth & Development Office", as a
    <dt>/<dd> pair): the first name after it."""
    dd = _listed(root, ("from",))
    if dd is None:
        return None
    first = next((a for a in dd.iter("a") if text_of(a)), None)
    name = text_of(first) if first is not None else text_of(dd)
    return name[:200] or None


def listed_date(root: HtmlElement, labels: tuple[str, ...]) -> str | None:
    """The date a page's metadata list gives under one of `labels` ("Published" / "3 June 2026"), as written; not
    the link to the history GOV.UK puts after "Last updated" ("4 June 2026 — See all updates")."""
    dd = _listed(root, labels)
    return date_line(without_history_link(text_of(dd))) if dd is not None else None


def _listed(root: HtmlElement, labels: tuple[str, ...]) -> HtmlElement | None:
    """The <dd> of a page's metadata list under the first <dt> that is one of `labels` (lower case, no colon)."""
    for dt in root.iter("dt"):
        if text_of(dt).rstrip(":").strip().casefold() not in labels:
            continue
        dd = dt.getnext()
        while dd is not None and dd.tag != "dd":
            dd = dd.getnext()
        return dd
    return None
