"""A saved web page (`.html`) → `RawRelease`: metadata from the head, the article from the body.

Press offices drop in pages saved from their own or a partner's site. The metadata a page carries about
itself (Open Graph, Dublin Core, schema.org microdata, `<link rel=canonical>`, `<html lang>`) is more reliable
than anything guessed from the text, so we read it first, in a fixed order of preference per field. The
headline is the page's `<h1>` when it sits in the content (og:title and `<title>` usually carry the site name,
"… | News | European Parliament"); the body is found by `htmlextract.extract_article`.

Parsing is safe by construction: lxml's HTML parser never loads DTDs or external entities, and we ask it
for `no_network=True` and `huge_tree=False` (libxml2's limits on depth and text size stay on).

An embargo line among the paragraphs around the headline ("EMBARGOED UNTIL 00:01 1 DECEMBER 2026" under a Word
export's bold headline) is read as plain text reads one (`embargo.py`): it is taken out of the page before the
article is found, and its time is the publication time (ahead of the page's own date metadata); one without a
usable date is refused. It is never the headline.

What this module must not do: parse dates (strings go to the normaliser as found), or sanitise the body.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import partial
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import lxml.etree
import lxml.html
from lxml.html import HtmlElement

from feeds.errors import InvalidReleaseError
from feeds.ingest.embargo import embargo_at, is_embargo_line
from feeds.ingest.htmlextract import extract_article
from feeds.ingest.htmltree import inner_html, text_of
from feeds.ingest.textfile import is_email_headers
from feeds.model import RawRelease
from feeds.normalise.datelines import date_line, opening_date, without_history_link
from feeds.normalise.sanitise import resolve_url
from feeds.normalise.text import is_label

__all__ = ["parse_html", "release_from_html", "strip_site_suffix"]

_PUBLISHED = (
    "govuk:first-published-at", "article:published_time", "og:published_time", "dc.date.issued", "dcterms.issued",
    "dcterms.created", "dc.date.created", "dcterms.date", "dc.date", "date", "pubdate", "publish-date",
    "publication_date",
)  # fmt: skip
# GOV.UK's "Last updated" is `govuk:public-updated-at`; its `govuk:updated-at` moves with minor edits too.
_UPDATED = (
    "govuk:public-updated-at", "article:modified_time", "og:updated_time", "dcterms.modified", "dc.date.modified",
    "last-modified",
)  # fmt: skip
_SUMMARY = ("description", "og:description", "twitter:description", "dc.description", "dcterms.abstract")
_IMAGE = ("og:image", "og:image:url", "og:image:secure_url", "twitter:image")
_ORGANISATION = ("og:site_name", "application-name", "dc.publisher", "dcterms.publisher")
_LANGUAGE = ("content-language", "language", "dc.language", "dcterms.language", "og:locale")
_CONTENT_ROOTS = ".//article | .//main | .//*[@role='main'] | .//*[@itemprop='articleBody']"


_INTERNAL_SUBSET = re.compile(r"<!DOCTYPE[^>\[]*\[[^\]]*\]\s*>", re.IGNORECASE)


def parse_html(text: str, origin: str) -> HtmlElement:
    """Parse decoded HTML safely (no network, no huge trees, comments and PIs dropped)."""
    parser = lxml.html.HTMLParser(
        encoding="utf-8", no_network=True, huge_tree=False, remove_comments=True, remove_pis=True
    )
    # A doctype with an internal subset (`<!DOCTYPE html [<!ENTITY …>]>`) is XML, not HTML: libxml2's HTML parser
    # ends it at the first ">" and leaves "]>" as the page's first text. Its entities are never expanded anyway.
    text = _INTERNAL_SUBSET.sub("<!DOCTYPE html>", text, count=1)
    try:
        # Bytes, not str: lxml refuses str input that carries an XML encoding declaration.
        root = lxml.html.document_fromstring(text.encode("utf-8"), parser=parser)
    except (lxml.etree.ParserError, lxml.etree.XMLSyntaxError, ValueError) as e:
        raise InvalidReleaseError(f"not an HTML document: {e}", origin=origin, field="body") from e
    if not isinstance(root, HtmlElement):
        raise InvalidReleaseError("not an HTML document", origin=origin, field="body")
    return root


def release_from_html(text: str, *, source: str, origin: str) -> RawRelease:
    """Extract one release from a web page; `InvalidReleaseError` when it has no title or no text."""
    root = parse_html(text, origin)
    _drop_email_headers(root)
    meta = _Meta(root)
    base = _base_url(root, meta)
    site_name = meta.first(_ORGANISATION)
    # A word processor's <title> is the document's Title property (a working name, "PR ferry DRAFT v3", or the
    # first line Word filled it with): its own headline, a bold first paragraph, comes first.
    word_export = _is_word_export(meta)
    title_tag = _title_tag(root)
    page_title = meta.first(("og:title", "twitter:title", "dc.title")) or (None if word_export else title_tag)
    page_title = _headline_or_none(page_title, site_name)
    heading = _title_heading(root, page_title, site_name)
    if heading is None and page_title is None:  # no usable h1 or page title: a lesser heading, a bold first line
        heading = _fallback_heading(root, site_name, word_export=word_export)
    if heading is None and page_title is None and word_export:
        page_title = _headline_or_none(title_tag, site_name)
    title = text_of(heading) if heading is not None else strip_site_suffix(page_title or "", site_name)
    if not title:
        raise InvalidReleaseError("the page has no <h1>, og:title or <title>", origin=origin, field="title")
    body_element = root.find("body")
    embargo = _take_embargo(body_element if body_element is not None else root, heading, origin=origin)
    published = embargo or meta.first(_PUBLISHED) or _itemprop_date(root, "datePublished") or _article_time(root)
    if published is None and heading is not None:
        published = _date_by_headline(body_element if body_element is not None else root, heading)
    published = published or _listed_date(root, ("published", "first published", "date published"))
    updated = meta.first(_UPDATED) or _itemprop_date(root, "dateModified")
    updated = updated or _listed_date(root, ("last updated", "updated"))
    link = _page_url(_absolute(_canonical(root), base)) or _page_url(_absolute(meta.first(("og:url",)), base))
    site = _not_a_platform(site_name or _site_from_title(page_title, title))
    organisation = meta.first(_ISSUER) or _from_line(root) or site
    language = _attr(root, "lang") or _attr(root, "{http://www.w3.org/XML/1998/namespace}lang")
    image = meta.first(_IMAGE) or _itemprop_url(root, "image")

    article = extract_article(body_element if body_element is not None else root, title_element=heading)
    if article is None:
        raise InvalidReleaseError("the page has no article text", origin=origin, field="body")
    # Every link read as a browser reads it (`jav&#9;ascript:` is javascript:), made absolute when there is a base
    # (else the normaliser resolves it against the release's link or the site); one that is no URL is dropped.
    article.rewrite_links(partial(resolve_url, base=base), resolve_base_href=False)
    body = inner_html(article)
    if not body:
        raise InvalidReleaseError("the page has no article text", origin=origin, field="body")
    return RawRelease(
        origin=origin,
        source=source,
        title=title,
        body=body,
        body_format="html",
        summary=_summary(meta.first(_SUMMARY), title, (site_name, site, organisation)),
        published=published,
        updated=updated,
        topics=tuple(dict.fromkeys(meta.all("article:tag"))),
        organisation=organisation,
        link=link,
        language=language or meta.first(_LANGUAGE),
        image=_absolute(image, base),
    )


# Elements that hold a paragraph's text, where an embargo line may stand (the innermost ones are looked at).
_TEXT_BLOCKS = ("p", "h1", "h2", "h3", "h4", "h5", "h6", "div", "td", "li", "dd", "blockquote", "pre")


def _take_embargo(body: HtmlElement, heading: HtmlElement | None, *, origin: str) -> str | None:
    """The time of an embargo line around the headline, as plain text finds one: in the paragraphs just above the
    headline (an embargo, a label such as "Press release") or in the one just below it; without a headline in
    the page (its title from the metadata), in its first paragraphs. The embargo's paragraphs are removed from
    the page, so neither the body nor the summary shows them. Raises InvalidReleaseError (field `embargo`,
    the line in the file) for an embargo that gives no date."""
    blocks = [e for e in body.iter(*_TEXT_BLOCKS) if next(e.iterdescendants(*_TEXT_BLOCKS), None) is None and _text(e)]
    texts = [_text(e) for e in blocks]
    at = next(
        (i for i, e in enumerate(blocks) if heading is not None and (e is heading or heading in e.iterancestors())),
        None,
    )
    if at is None:
        candidates = list(range(min(2, len(blocks))))
    else:
        below = [at + 1, *([at + 2] if at + 2 < len(blocks) and is_label(texts[at + 1]) else [])]
        candidates = [*range(max(0, at - 2), at), *(i for i in below if i < len(blocks))]
    found: str | None = None
    taken: set[int] = set()
    for index in candidates:
        if index in taken:
            continue
        embargo = embargo_at(texts, index, origin=origin, line_of=lambda i: blocks[i].sourceline)
        if embargo is None:
            continue
        when, last = embargo
        found = found or when
        taken.update(range(index, last + 1))
    for index in sorted(taken):
        if blocks[index] is not heading and blocks[index].getparent() is not None:
            blocks[index].drop_tree()  # (its tail text stays)
    return found


def _date_by_headline(body: HtmlElement, heading: HtmlElement) -> str | None:
    """The date a page without date metadata shows by its headline, in a paragraph of its own just above or below
    it ("Published: 27 November 2026", "Date: 27 November 2026", as written): a CMS's box that extraction leaves out
    of the article."""
    blocks = [e for e in body.iter(*_TEXT_BLOCKS) if next(e.iterdescendants(*_TEXT_BLOCKS), None) is None and _text(e)]
    at = next((i for i, e in enumerate(blocks) if e is heading or heading in e.iterancestors()), None)
    if at is None:
        return None
    for index in (at + 1, at - 1, at + 2, at - 2):
        if 0 <= index < len(blocks) and (date := date_line(_text(blocks[index]))) is not None:
            return date
    return None


def _drop_email_headers(root: HtmlElement) -> None:
    """Remove the headers of an e-mail saved as a web page (Outlook's "Save as HTML": "From: … Sent: … To: …
    Subject: …" in the first paragraph, a line each): the message's metadata, never the release's text."""
    body = root.find("body")
    for block in (body if body is not None else root).iter(*_TEXT_BLOCKS):
        if next(block.iterdescendants(*_TEXT_BLOCKS), None) is not None or not _text(block):
            continue
        lines = "\n".join(" ".join(line.split()) for line in "".join(_pieces(block, "\x00")).split("\x00"))
        if is_email_headers(lines):
            block.drop_tree()
        return


def _text(element: HtmlElement) -> str:
    """An element's text, white space collapsed, a line break (`<br>`) counting as a space ("EMBARGOED<br>00:01…")."""
    return " ".join("".join(_pieces(element)).split())


def _pieces(element: HtmlElement, line_break: str = " ") -> Iterable[str]:
    yield element.text or ""
    for child in element:
        if child.tag == "br":
            yield line_break
        elif isinstance(child.tag, str):
            yield from _pieces(child, line_break)
        yield child.tail or ""


def strip_site_suffix(title: str, site_name: str | None = None) -> str:
    """`Headline | News | Site` → `Headline`; `Headline - Site` → `Headline` (short suffixes only). When the page
    names its site (`site_name`), a dash is taken for the site's only before that name: "Coastal path reopens -
    ahead of schedule" is a headline."""
    title = " ".join(title.split())
    parts = title.split(" | ")
    if len(parts) > 1 and parts[0] and all(len(p) <= 40 for p in parts[1:]):
        return parts[0]
    site = " ".join(site_name.split()).casefold() if site_name else None
    for separator in (" - ", " – ", " — ", " :: "):
        head, found, tail = title.rpartition(separator)
        if found and head and len(tail) <= 30 and len(tail.split()) <= 4 and site in (None, tail.casefold()):
            return head
    return title


class _Meta:
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


def _attr(root: HtmlElement, name: str) -> str | None:
    value = (root.get(name) or "").strip()
    return value or None


def _title_tag(root: HtmlElement) -> str | None:
    element = root.find(".//title")
    return (text_of(element) or None) if element is not None else None


_WORD_EXPORT = re.compile(r"^microsoft word\s*-\s*|\.(?:docx?|odt|rtf)$", re.IGNORECASE)


def _headline_or_none(page_title: str | None, site_name: str | None) -> str | None:
    """The page title as a candidate headline: None when it is a label, the site name, an embargo line or a word
    processor's name for a file ("Microsoft Word - Release DRAFT v3.docx")."""
    if not page_title or _WORD_EXPORT.search(page_title.strip()) or is_embargo_line(page_title):
        return None
    return None if is_label(strip_site_suffix(page_title), site_name) else page_title


def _is_word_export(meta: _Meta) -> bool:
    """Whether the page is Word's "Save as Web Page" (`<meta name=ProgId content=Word.Document>`)."""
    progid = (meta.first(("progid",)) or "").casefold()
    return progid.startswith("word.") or (meta.first(("generator",)) or "").casefold().startswith("microsoft word")


def _fallback_heading(root: HtmlElement, site_name: str | None, *, word_export: bool = False) -> HtmlElement | None:
    """For pages without a usable <h1> or title: the first <h2> of the content (the headline under a logo
    <h1>), else a short first paragraph that is all bold (how word processors' exports mark a headline; in a
    Word export, that paragraph comes first: its <h2> is a section's, "Notes to editors")."""
    if word_export and (bold := _bold_first_paragraph(root, site_name)) is not None:
        return bold
    for container in [*root.xpath(_CONTENT_ROOTS), root]:
        for h2 in container.iter("h2"):
            if (text := text_of(h2)) and not is_label(text, site_name) and not is_embargo_line(text):
                return h2
    return _bold_first_paragraph(root, site_name)


def _bold_first_paragraph(root: HtmlElement, site_name: str | None) -> HtmlElement | None:
    body = root.find("body")
    for p in (body if body is not None else root).iter("p"):
        text = text_of(p)
        if not text or is_embargo_line(text):
            continue  # (an embargo in bold above a Word export's headline is no headline)
        bold = "".join(text_of(b) for b in p.iter("b", "strong"))
        titled = (p.get("class") or "").startswith("MsoTitle")  # (Word's "Title" style)
        if len(text) <= 200 and (titled or " ".join(bold.split()) == text) and not is_label(text, site_name):
            return p
        if not is_label(text, site_name):
            return None  # the first real paragraph is ordinary text: it is not a headline
    return None


def _title_heading(root: HtmlElement, page_title: str | None, site_name: str | None = None) -> HtmlElement | None:
    """The <h1> that is the headline: inside the content, or matching the page title; not in page furniture, not
    a label ("Press release") and not the site's name (a logo)."""
    hint = " ".join((page_title or "").split()).casefold()
    best: tuple[int, HtmlElement] | None = None
    for h1 in root.iter("h1"):
        text = text_of(h1)
        if not text or is_label(text, site_name) or is_embargo_line(text):
            continue
        ancestors = list(h1.iterancestors())
        score = 0
        if any(a.tag in ("article", "main") or a.get("role") == "main" for a in ancestors):
            score += 2
        if hint and hint.startswith(text.casefold()):
            score += 3
        if any(a.tag in ("nav", "footer", "aside") for a in ancestors):
            score -= 5
        if best is None or score > best[0]:
            best = (score, h1)
    if best is None:
        return None
    score, h1 = best
    # A lone <h1> outside the content that does not match the page title is likely the site's logo.
    return h1 if score >= 2 or (page_title is None and score >= 0) else None


def _itemprop_date(root: HtmlElement, prop: str) -> str | None:
    for element in root.xpath(f".//*[@itemprop='{prop}']"):
        value = element.get("datetime") or element.get("content") or text_of(element)
        if value and value.strip():
            return " ".join(value.split())
    return None


def _itemprop_url(root: HtmlElement, prop: str) -> str | None:
    for element in root.xpath(f".//*[@itemprop='{prop}']"):
        value = str(element.get("content") or element.get("src") or element.get("href") or "").strip()
        if value:
            return value
    return None


def _article_time(root: HtmlElement) -> str | None:
    for content in root.xpath(_CONTENT_ROOTS):
        for time in content.iter("time"):
            value = (time.get("datetime") or "").strip()
            if value:
                return value
    return None


def _canonical(root: HtmlElement) -> str | None:
    for link in root.iter("link"):
        if "canonical" in (link.get("rel") or "").lower().split() and (link.get("href") or "").strip():
            return (link.get("href") or "").strip()
    return None


def _base_url(root: HtmlElement, meta: _Meta) -> str | None:
    """What relative URLs in the page are relative to: <base href>, else the page's own canonical URL."""
    base = root.find(".//base[@href]")
    candidates = [base.get("href") if base is not None else None, _canonical(root), meta.first(("og:url",))]
    for candidate in candidates:
        url = resolve_url(candidate, None) if candidate else None
        if url and _is_http_url(url):
            return url
    return None


def _absolute(url: str | None, base: str | None) -> str | None:
    resolved = resolve_url(url, base) if url else None
    return resolved if resolved and _is_http_url(resolved) else None


def _page_url(url: str | None) -> str | None:
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
_ISSUER = ("govuk:primary-publishing-organisation",)
# Sites that publish for others: their name is not the organisation of a release (the site's author is, then).
_PLATFORMS = frozenset(
    {"gov.uk", "gov.scot", "gov.wales", "llyw.cymru", "nidirect", "medium", "substack", "wordpress"}
    | {"wordpress.com", "blogger", "linkedin", "facebook"}
)


def _not_a_platform(name: str | None) -> str | None:
    return None if name is None or " ".join(name.split()).casefold() in _PLATFORMS else name


def _from_line(root: HtmlElement) -> str | None:
    """The organisation a page's metadata list names ("From: Foreign, Commonwealth & Development Office", as a
    <dt>/<dd> pair): the first name after it."""
    dd = _listed(root, ("from",))
    if dd is None:
        return None
    first = next((a for a in dd.iter("a") if text_of(a)), None)
    name = text_of(first) if first is not None else text_of(dd)
    return name[:200] or None


def _listed_date(root: HtmlElement, labels: tuple[str, ...]) -> str | None:
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


def _site_from_title(page_title: str | None, title: str) -> str | None:
    """`Headline | News | European Parliament` → `European Parliament` (the last part names the site);
    `Headline - Harbour Council` → `Harbour Council` when what comes before the dash is the headline."""
    if not page_title:
        return None
    full = " ".join(page_title.split())
    head = strip_site_suffix(full)
    parts = full.split(" | ")
    if len(parts) > 1 and head != full:
        site = parts[-1].strip()
        return site if site and site != title else None
    if head != full and head.casefold() == " ".join(title.split()).casefold():
        site = full[len(head) :].lstrip(" -–—:").strip()
        return site if site and site != title else None
    return None


_UTC = ZoneInfo("UTC")  # (only whether a dateline opens the description is asked)
_CUT_SHORT = re.compile(r"(?:…|\.\.\.|\[\s*(?:…|\.\.\.)\s*\])\s*$")


def _summary(description: str | None, title: str, names: tuple[str | None, ...]) -> str | None:
    """The page's description as the release's summary, unless it opens with an embargo line (a CMS that builds
    it from the first paragraph copies "EMBARGOED UNTIL …" into it): the summary is then derived from the body,
    from which the embargo line is taken out. A summary never says "EMBARGOED …". Nor is it a description that
    only repeats the headline, names the site or is a label ("News"), as CMSs fill it on every page, or one the
    CMS cut short ("The pontoons will be built at…", WordPress's "… [&hellip;]"): the body's paragraph is whole."""
    if description is None or is_embargo_line(description.split(".", 1)[0].split("\n", 1)[0]):
        return None
    if _CUT_SHORT.search(description) or opening_date([description], _UTC) is not None:
        return None  # (a dateline, "LONDON, 26 November 2026 – …", from the first paragraph: the body's is read)
    folded = " ".join(description.split()).casefold().rstrip(":.")
    if folded == " ".join(title.split()).casefold().rstrip(":.") or any(is_label(description, n) for n in names):
        return None
    return description
