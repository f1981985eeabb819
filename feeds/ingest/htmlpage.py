"""A saved web page (`.html`) → `RawRelease`: metadata from the head, the article from the body.

Press offices drop in pages saved from their own or a partner's site. The metadata a page carries about
itself (Open Graph, Dublin Core, schema.org microdata, `<link rel=canonical>`, `<html lang>`) is more reliable
than anything guessed from the text, so we read it first (`htmlmeta.py`), in a fixed order of preference per
field. The headline is the page's `<h1>` when it sits in the content (og:title and `<title>` usually carry the
site name, "… | News | European Parliament"; `htmlheadline.py` chooses); the body is found by
`htmlextract.extract_article`. This module parses the page and puts the release together, deciding which field
comes from where and in what order (an embargo line, the paragraphs around the headline, the metadata).

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
from zoneinfo import ZoneInfo

import lxml.etree
import lxml.html
from lxml.html import HtmlElement

from feeds.errors import InvalidReleaseError
from feeds.ingest.embargo import embargo_at, is_embargo_line
from feeds.ingest.htmlchrome import EXPORT_IMAGES, drop_exported_images
from feeds.ingest.htmlextract import extract_article
from feeds.ingest.htmlheadline import (
    fallback_heading,
    headline_or_none,
    site_from_title,
    strip_site_suffix,
    title_heading,
)
from feeds.ingest.htmlmeta import (
    IMAGE,
    ISSUER,
    LANGUAGE,
    ORGANISATION,
    PUBLISHED,
    SUMMARY,
    UPDATED,
    Meta,
    absolute,
    article_time,
    attr,
    base_url,
    canonical,
    from_line,
    is_google_docs,
    is_word_export,
    itemprop_date,
    itemprop_url,
    link_meant,
    listed_date,
    not_a_platform,
    page_url,
    title_text,
)
from feeds.ingest.htmltidy import google_lists, inline_emphasis, said_quotations, styled_emphasis
from feeds.ingest.htmltree import inner_html, remove, text_of
from feeds.ingest.textfile import REFERENCE_LINE, is_email_headers
from feeds.model import RawRelease
from feeds.normalise.datelines import date_line, opening_date
from feeds.normalise.redirects import unwrap_redirects
from feeds.normalise.text import is_label

__all__ = ["parse_html", "release_from_html"]


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
        if str(e) == "Document is empty":  # (lxml's words for a file of nothing but white space and comments)
            raise InvalidReleaseError("the file is empty: it holds no HTML", origin=origin, field="body") from e
        raise InvalidReleaseError(f"not an HTML document: {e}", origin=origin, field="body") from e
    if not isinstance(root, HtmlElement):
        raise InvalidReleaseError("not an HTML document", origin=origin, field="body")
    return root


def release_from_html(text: str, *, source: str, origin: str, saved_folder: str | None = None) -> RawRelease:
    """Extract one release from a web page; `InvalidReleaseError` when it has no title or no text. `saved_folder`:
    the name of the page's `<name>_files/` folder, dropped beside it, or `images` for a Google Docs export read
    from its zip (its images stay, to be read with it)."""
    root = parse_html(text, origin)
    _drop_email_headers(root)
    meta = Meta(root)
    base = base_url(root, meta)
    site_name = meta.first(ORGANISATION)
    # A word processor's <title> is the document's Title property (a working name, "PR ferry DRAFT v3", or the
    # first line Word filled it with): its own headline, a bold first paragraph, comes first.
    word_export = is_word_export(meta)
    if is_google_docs(root):
        word_export = True
        if saved_folder != EXPORT_IMAGES:  # (read from its zip, `zipexport`, its images/ are dropped with it)
            drop_exported_images(root)
        for img in root.iter("img"):
            if img.get("title") == "":  # (Google Docs gives every picture an empty title)
                del img.attrib["title"]
        styled_emphasis(root)
        google_lists(root)
    if word_export:
        inline_emphasis(root)
    title_tag = title_text(root)
    page_title = meta.first(("og:title", "twitter:title", "dc.title")) or (None if word_export else title_tag)
    page_title = headline_or_none(page_title, site_name)
    heading = title_heading(root, page_title, site_name)
    if heading is None and page_title is None:  # no usable h1 or page title: a lesser heading, a bold first line
        heading = fallback_heading(root, site_name, word_export=word_export)
    if heading is None and page_title is None and word_export:
        page_title = headline_or_none(title_tag, site_name)
    title = text_of(heading) if heading is not None else strip_site_suffix(page_title or "", site_name)
    if not title:
        raise InvalidReleaseError(
            "the page has no headline (no <h1>, og:title or <title>, nor a short bold first paragraph): make the"
            " headline the document's first line, in bold or the Title style, and export it again",
            origin=origin,
            field="title",
        )
    body_element = root.find("body")
    embargo = _take_embargo(body_element if body_element is not None else root, heading, origin=origin)
    published = embargo or meta.first(PUBLISHED) or itemprop_date(root, "datePublished") or article_time(root)
    if heading is not None:
        _drop_reference_above(body_element if body_element is not None else root, heading)
        if word_export:
            _drop_letterhead(body_element if body_element is not None else root, heading)
    if published is None and heading is not None:
        published = _date_by_headline(body_element if body_element is not None else root, heading)
    published = published or listed_date(root, ("published", "first published", "date published"))
    updated = meta.first(UPDATED) or itemprop_date(root, "dateModified")
    updated = updated or listed_date(root, ("last updated", "updated"))
    link = page_url(absolute(canonical(root), base)) or page_url(absolute(meta.first(("og:url",)), base))
    site = not_a_platform(site_name or site_from_title(page_title, title))
    organisation = meta.first(ISSUER) or from_line(root) or site
    language = attr(root, "lang") or attr(root, "{http://www.w3.org/XML/1998/namespace}lang")
    image = meta.first(IMAGE) or itemprop_url(root, "image")

    # (a page with its own address resolves its images against it: those of its folder are on no site)
    kept = saved_folder if link is None else None
    article = extract_article(body_element if body_element is not None else root, title_element=heading, kept=kept)
    if article is None:
        raise InvalidReleaseError("the page has no article text", origin=origin, field="body")
    if word_export:
        said_quotations(article)
        if base is None and link is None:
            _links_to_own_files(article)
    # Every link read as a browser reads it (`jav&#9;ascript:` is javascript:), made absolute when there is a base
    # (else the normaliser resolves it against the release's link or the site), and a Google redirect as the address
    # it leads to; one that is no URL is dropped.
    article.rewrite_links(partial(link_meant, base=base), resolve_base_href=False)
    _redirects_shown(article)
    body = inner_html(article)
    if not body:
        raise InvalidReleaseError("the page has no article text", origin=origin, field="body")
    return RawRelease(
        origin=origin,
        source=source,
        title=title,
        body=body,
        body_format="html",
        summary=_summary(meta.first(SUMMARY), title, (site_name, site, organisation)),
        published=published,
        embargoed=embargo is not None,
        updated=updated,
        topics=tuple(dict.fromkeys(meta.all("article:tag"))),
        organisation=organisation,
        link=link,
        language=language or meta.first(LANGUAGE),
        image=absolute(image, base),
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


def _drop_reference_above(body: HtmlElement, heading: HtmlElement) -> None:
    """Remove the office's reference in a paragraph of its own just above the headline ("Ref: PR 2026/114", as a
    Word document opens): filing, not text of the release, as in plain text."""
    blocks = [e for e in body.iter(*_TEXT_BLOCKS) if next(e.iterdescendants(*_TEXT_BLOCKS), None) is None and _text(e)]
    at = next((i for i, e in enumerate(blocks) if e is heading or heading in e.iterancestors()), None)
    for block in blocks[max((at or 0) - 2, 0) : at or 0]:
        if REFERENCE_LINE.fullmatch(_text(block)):
            remove(block)


def _redirects_shown(article: HtmlElement) -> None:
    """A link whose text is a Google redirect (an address copied out of a Google Doc, then pasted) or a Safe Link
    (an address Outlook delivered wrapped, then copied) shows the address it leads to, as its target does."""
    for a in article.iter("a"):
        if len(a) == 0 and a.text and ("google." in a.text or "safelinks." in a.text.lower()):
            a.text = unwrap_redirects(a.text)


# A link relative to the document (`canal-map.pdf`, `../Maps/routes.xlsx`), not to the site (`/news/…`, `#…`).
_DOCUMENT_RELATIVE = re.compile(r"(?![a-z][a-z0-9+.-]*:)[^/#?\s]", re.IGNORECASE)


def _links_to_own_files(article: HtmlElement) -> None:
    """In a word processor's export with no address of its own: a link relative to the document is to a file
    beside it on its author's disk (how Word writes a link to a file of the same folder): its text stays, the
    link goes, as the site's address would make it a broken one. A site-relative link (`/news/…`) stays."""
    for a in list(article.iter("a")):
        if _DOCUMENT_RELATIVE.match((a.get("href") or "").strip()):
            a.drop_tag()


def _drop_letterhead(body: HtmlElement, heading: HtmlElement) -> None:
    """Remove the tables a word processor's document sets out above its headline (its letterhead: the office's
    name beside "Press release", a logo beside the address), once an embargo or a date in them has been read:
    page furniture, not the story, which starts at the headline."""
    above = set(heading.iterancestors())
    for element in list(body.iter("table")):
        if element in above or any(a.tag == "table" for a in element.iterancestors()):
            continue
        if element.getparent() is not None and _precedes(element, heading):
            remove(element)


def _precedes(element: HtmlElement, other: HtmlElement) -> bool:
    """Whether `element` ends before `other` starts, in the document's order."""
    for following in element.itersiblings():
        if following is other or other in following.iterdescendants():
            return True
    parent = element.getparent()
    return parent is not None and parent is not other and _precedes(parent, other)


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
    Subject: …" in the first paragraph, a line each): the message's metadata, never the release's text. In such
    an e-mail, a forwarded message's headers further down ("final version below", then the release's author's
    From: … Subject: …) end the forwarder's note: it goes, with every header block down to the last one; and so
    does the confidentiality notice a mail server adds at its end, with what follows it."""
    body = root.find("body")
    leaves = (
        block
        for block in (body if body is not None else root).iter(*_TEXT_BLOCKS)
        if next(block.iterdescendants(*_TEXT_BLOCKS), None) is None and _text(block)
    )
    first = next(leaves, None)
    if first is None or not _is_headers(first):
        return  # (not an e-mail: the rest of the page is not looked at)
    blocks = [first, *leaves]
    last = max(index for index, block in enumerate(blocks) if index == 0 or _is_headers(block))
    disclaimer = next((i for i in range(last + 1, len(blocks)) if _is_disclaimer(_text(blocks[i]))), len(blocks))
    for block in blocks[: last + 1] + blocks[disclaimer:]:
        block.drop_tree()


# The confidentiality notice a mail server adds under every message ("This e-mail and any attachments are
# intended for the named recipient only. If you have received it in error …"): the mail's, not the release's.
_DISCLAIMER = re.compile(
    r"\b(?:e-?mail|message)s?\b.*\b(?:intended|confidential|privileged)\b.*\breceived\b.*\bin error\b", re.IGNORECASE
)


def _is_disclaimer(text: str) -> bool:
    return len(text) < 1500 and _DISCLAIMER.search(text) is not None


def _is_headers(block: HtmlElement) -> bool:
    if ":" not in (text := _text(block)) or len(text) > 2000:
        return False
    return is_email_headers("\n".join(" ".join(line.split()) for line in "".join(_pieces(block, "\x00")).split("\x00")))


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
