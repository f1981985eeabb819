"""Which text of a saved web page is its headline: the `<h1>` in the content or matching the page title, else the
page title (og:title, `<title>`) without the site's name ("… | News | European Parliament"), else a lesser
heading or a bold first line (how word processors' exports mark one). Labels ("Press release"), the site's own
name (a logo's `<h1>`), embargo lines and a word processor's file names are never headlines.

What this module must not do: read dates, or metadata beyond the page title and site name it is handed
(htmlmeta.py does), or change the tree (htmltidy.py takes the chosen heading out of the article).
"""

from __future__ import annotations

import re

from lxml.html import HtmlElement

from feeds.ingest.embargo import is_embargo_line
from feeds.ingest.htmlmeta import CONTENT_ROOTS
from feeds.ingest.htmltree import BOLD, ancestors_within, classes_styled, text_of
from feeds.ingest.textfile import REFERENCE_LINE
from feeds.normalise.datelines import date_line
from feeds.normalise.text import is_label

__all__ = [
    "fallback_heading",
    "headline_or_none",
    "in_layout_row",
    "site_from_title",
    "strip_site_suffix",
    "title_heading",
]


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


# A word processor's name for a file ("Microsoft Word - draft.docx"), or LibreOffice's XHTML export's for none.
_WORD_EXPORT = re.compile(r"^microsoft word\s*-\s*|\.(?:docx?|odt|rtf)$|^- no title specified$", re.IGNORECASE)


def headline_or_none(page_title: str | None, site_name: str | None) -> str | None:
    """The page title as a candidate headline: None when it is a label, the site name, an embargo line or a word
    processor's name for a file ("Microsoft Word - Release DRAFT v3.docx")."""
    if not page_title or _WORD_EXPORT.search(page_title.strip()) or is_embargo_line(page_title):
        return None
    return None if is_label(strip_site_suffix(page_title), site_name) else page_title


def fallback_heading(root: HtmlElement, site_name: str | None, *, word_export: bool = False) -> HtmlElement | None:
    """For pages without a usable <h1> or title: the first <h2> of the content (the headline under a logo
    <h1>), else a short first paragraph that is all bold (how word processors' exports mark a headline; in a
    Word export, that paragraph comes first: its <h2> is a section's, "Notes to editors"; so does a first
    paragraph in the "Title" style, as Google Docs exports one)."""
    bold = _bold_first_paragraph(root, site_name)
    if bold is not None and (word_export or _in_title_style(bold)):
        return bold
    for container in [*root.xpath(CONTENT_ROOTS), root]:
        for h2 in container.iter("h2"):
            if (text := text_of(h2)) and not is_label(text, site_name) and not is_embargo_line(text):
                return h2
    return bold


def _in_title_style(p: HtmlElement) -> bool:
    """Whether a paragraph is in a word processor's "Title" style: Word's `MsoTitle` class, Google Docs' `title`,
    LibreOffice's XHTML export's `Title`."""
    classes = (p.get("class") or "").split()
    return "title" in classes or "Title" in classes or any(c.startswith("MsoTitle") for c in classes)


def _bold_first_paragraph(root: HtmlElement, site_name: str | None) -> HtmlElement | None:
    body = root.find("body")
    bold_classes = classes_styled(root, BOLD)  # (Google Docs' bold: a class its style sheet makes bold)
    large_classes = classes_styled(root, _LARGE)
    for p in (body if body is not None else root).iter("p"):
        text = text_of(p)
        if in_layout_row(p):
            continue  # (a letterhead: the office's name in bold beside "Press release", cells of one row)
        if not text or is_embargo_line(text) or date_line(text) is not None or REFERENCE_LINE.fullmatch(text):
            continue  # (an embargo in bold, a date or the office's reference above the headline is no headline)
        bold = " ".join("".join(text_of(b) for b in p.iter() if _is_bold(b, bold_classes)).split())
        titled = _in_title_style(p) or bold == text or (not text.endswith(".") and _in_large_type(p, large_classes))
        if len(text) <= 200 and titled and not is_label(text, site_name):
            return p
        if not is_label(text, site_name):
            return None  # the first real paragraph is ordinary text: it is not a headline
    return None


# A font size a headline is set in, not text: 14pt and more (Word's and LibreOffice's Title styles are 26-28pt; a
# headline typed and enlarged, 14-20pt, over 11-12pt text), 19px and more; `<font size>` 4 (14pt) to 7.
_LARGE = re.compile(
    r"font-size\s*:\s*(?:(?:1[4-9]|[2-9]\d|\d{3,})(?:\.\d*)?pt|(?:19|[2-9]\d|\d{3,})(?:\.\d*)?px)", re.IGNORECASE
)


def _in_large_type(p: HtmlElement, large_classes: set[str]) -> bool:
    """Whether all of a paragraph's text is set in large type (`_LARGE`): LibreOffice's Title style exported
    (`<font size="6" style="font-size: 28pt">`, centred, and not bold), or a headline a press officer enlarged."""
    large = " ".join("".join(text_of(e) for e in p.iter() if _is_large(e, p, large_classes)).split())
    return bool(large) and large == text_of(p)


def _is_large(element: HtmlElement, p: HtmlElement, large_classes: set[str]) -> bool:
    """Whether `element` sets its text large, and no element between it and `p` does (its text counts once)."""
    if not _sets_large(element, large_classes):
        return False
    return element is p or not any(_sets_large(a, large_classes) for a in ancestors_within(element, p))


def _sets_large(element: HtmlElement, large_classes: set[str]) -> bool:
    if element.tag == "font" and (element.get("size") or "").strip() in _LARGE_FONT_SIZES:
        return True
    classes = (element.get("class") or "").split()
    return any(c in large_classes for c in classes) or bool(_LARGE.search(element.get("style") or ""))


_LARGE_FONT_SIZES = frozenset({"4", "5", "6", "7", "+1", "+2", "+3", "+4"})


def in_layout_row(element: HtmlElement) -> bool:
    """Whether `element` is in a table row of two cells or more: how a Word document sets out its letterhead (the
    office's name beside "Press release", a logo beside the address) above the headline."""
    row = next(element.iterancestors("tr"), None)
    return row is not None and sum(1 for cell in row if cell.tag in ("td", "th")) >= 2


def _is_bold(element: HtmlElement, bold_classes: set[str]) -> bool:
    """<b>, <strong>, or a <span> in a bold class or style; not one inside another (its text counts once)."""
    if element.tag in ("b", "strong"):
        return not any(a.tag in ("b", "strong") for a in element.iterancestors())
    if element.tag != "span" or any(a.tag in ("b", "strong", "span") for a in element.iterancestors()):
        return False
    classes = (element.get("class") or "").split()
    return any(c in bold_classes for c in classes) or bool(BOLD.search(element.get("style") or ""))


def title_heading(root: HtmlElement, page_title: str | None, site_name: str | None = None) -> HtmlElement | None:
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


def site_from_title(page_title: str | None, title: str) -> str | None:
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
