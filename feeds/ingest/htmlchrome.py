"""Strip a web page's chrome: what is never content (scripts, forms, drawings, hidden text), and the boxes whose
tag, role, class or id says they are page furniture (navigation, share bars, cookie banners, footers) or whose
heading does ("Further information", "Related links"), unless they hold most of the page's prose.

Also made good here, before anything is dropped: images a lazy-loading script had yet to load, footnotes' links
back to where they are called (dropped), the HTML a drawing (<svg>, <math>) left open swallowed, and a word
processor's review comments (Word's, Google Docs', LibreOffice's) and tracked deletions, which were never
meant to be published.

What this module must not do: score or choose the article (htmlextract.py), tidy what is kept (htmltidy.py),
or sanitise (the normaliser does). It mutates the tree it is given.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from urllib.parse import unquote

import lxml.html
from lxml.html import HtmlElement

from feeds.ingest.htmltree import HEADINGS, ancestors_within, remove, text_of

__all__ = ["EXPORT_IMAGES", "NEGATIVE", "drop_boxes", "drop_exported_images", "drop_never_content"]

_DROP_TAGS = (
    "script", "style", "noscript", "template", "iframe", "frame", "frameset", "object", "embed", "applet",
    "input", "button", "select", "textarea", "svg", "math", "canvas", "link", "meta", "base", "dialog", "head",
    "title",
)  # fmt: skip
# Dropped unless they hold most of the page's prose (ASP.NET pages wrap everything in one <form>).
_STRUCTURAL = ("nav", "aside", "footer", "header", "menu", "form")
_DROP_ROLES = frozenset(
    {"navigation", "banner", "contentinfo", "complementary", "search", "dialog", "alertdialog", "menu", "menubar"}
    | {"toolbar", "tablist"}
)
# Words in a class or id that name page furniture (also a penalty in htmlextract.py's scores).
NEGATIVE = re.compile(
    r"share|social|cookie|consent|gdpr|banner|breadcrumb|(?:^|[-_\s])nav(?:$|[-_\s])|navigation|navbar|menu"
    r"|footer|header|masthead|sidebar|related|contact|newsletter|subscri|promo|advert|sponsor|comment"
    r"|pagination|pager|popup|modal|toolbar|skip-?link|login|signup|widget|byline|dateline|timestamp"
    r"|published-dates?|(?:^|[-_\s])meta(?:data)?(?:$|[-_\s])",
    re.IGNORECASE,
)
_HIDDEN_CLASS = re.compile(r"(?:^|[-_])(?:hidden|sr-only|visually-?hidden|screen-reader(?:-text)?|offscreen)$", re.I)
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_BOX_HEADING = re.compile(
    r"(?:further|more) information|related(?: [\w ]+)?|(?:press |media )?contacts?|media enquiries"
    r"|share(?: this)?(?: page| article| story)?|see also|follow us|read more|more on this(?: story)?"
    r"|useful links|downloads?|attachments?|tags",
    re.IGNORECASE,
)


def drop_never_content(root: HtmlElement, *, kept: str | None = None) -> None:
    """Remove what is never a page's content; `kept`: the name of the page's `<name>_files/` folder, dropped
    beside it, whose images stay (read with the page as pictures dropped with it)."""
    _load_lazy_images(root, kept)
    _drop_review_comments(root)
    for link in list(root.iter("a")):
        if _is_backlink(link):
            remove(link)
    for element in list(root.iter("svg", "math")):
        _hoist_breakouts(element)
    for element in list(root.iter(*_DROP_TAGS)):
        remove(element)


# A footnote's link back to where it is called ("↩", "↩︎", "^", "↑"): a way around the page, not text of the note.
_BACK_MARK = re.compile(r"[\s↩↑⤴^\ufe0e\ufe0f]+")


def _is_backlink(link: HtmlElement) -> bool:
    if not (link.get("href") or "").strip().startswith("#"):
        return False
    return link.get("role") == "doc-backlink" or _BACK_MARK.fullmatch(link.text_content()) is not None


# A word processor's review comments, exported with the document: Word marks the place with `[JP1]` (class
# `msocomanchor`, or a <span class=MsoCommentReference>) and lists the comments after the text (`mso-element:
# comment-list`, or a "filtered" export's <div class=msocomtxt> under an <hr class=msocomoff>); Google Docs marks it
# with `<a id="cmnt_ref1">[a]</a>` and puts each comment, with its replies, in a <div> opening with `<a id="cmnt1">`;
# LibreOffice's HTML export makes a comment an HTML comment (dropped by the parser), its XHTML export a <span
# title=annotation> ("[ANNOTATION: BY 'Jo Press' … NOTE: '…']") where it was made. A document saved with its changes
# tracked keeps the text deleted, in Word's <span class=msoDel><del cite="mailto:reviewer"> (the inserted text,
# in <ins>, is the text now).
_WORD_COMMENT_CLASSES = frozenset({"msocomanchor", "msocomoff", "msocomtxt", "msocommentreference", "msodel"})
_LIBREOFFICE_COMMENT = "annotation"  # (the `title` of the <span> LibreOffice's XHTML export writes a comment in)
_WORD_COMMENT_LIST = re.compile(r"mso-element\s*:\s*comment-list", re.IGNORECASE)
_GOOGLE_COMMENT = re.compile(r"cmnt(_ref)?\d+")


def _drop_review_comments(root: HtmlElement) -> None:
    """Remove the comments a reviewer wrote in the document and the marks that point to them, and the text a
    tracked change deleted."""
    for element in list(root.iter()):
        if not isinstance(element.tag, str) or element.getparent() is None:
            continue
        classes = {c.casefold() for c in (element.get("class") or "").split()}
        if (
            not classes.isdisjoint(_WORD_COMMENT_CLASSES)
            or _WORD_COMMENT_LIST.search(element.get("style") or "")
            or (element.tag == "span" and element.get("title") == _LIBREOFFICE_COMMENT)
            or (element.tag == "del" and (element.get("cite") or "").startswith("mailto:"))
        ):
            remove(element)
        elif element.tag == "a" and (found := _GOOGLE_COMMENT.fullmatch(element.get("id") or "")):
            holder = element if found[1] else _google_comment_box(element)
            parent = holder.getparent()
            remove(holder)
            if parent is not None and parent.tag == "sup" and not text_of(parent):
                remove(parent)  # (the <sup> that held the mark)


def _google_comment_box(anchor: HtmlElement) -> HtmlElement:
    """The <div> a Google Docs comment and its replies are in (else the paragraph the comment opens)."""
    paragraph = anchor.getparent()
    if paragraph is None:
        return anchor
    box = paragraph.getparent()
    return box if box is not None and box.tag == "div" and box.index(paragraph) == 0 else paragraph


# Where lazy-loading scripts keep an image's real address until it scrolls into view (lazysizes, WordPress plugins,
# jQuery Lazy Load), and what stands in `src` meanwhile: nothing, a data: URL, or a placeholder file.
_LAZY_SOURCES = ("data-src", "data-lazy-src", "data-original", "data-lazy")
_PLACEHOLDER = re.compile(r"(?:placeholder|blank|spacer|transparent|pixel|lazy|loading)[^/]*$", re.IGNORECASE)


# A picture saved beside the page, in the folder a word processor or browser makes for it ("PR ferry_files/
# image001.png", "./Ferries news_files/ferry.jpg"): only on the machine that saved it, never uploaded with the file.
_SAVED_ALONGSIDE = re.compile(r"(?:\./)?[^/:?#]+_files/", re.IGNORECASE)


EXPORT_IMAGES = "images"
"""The folder of Google Docs' export's pictures, beside its page in the .zip it downloads."""
_EXPORTED_IMAGE = re.compile(r"(?:\./)?images/image\d+\.\w+")


def drop_exported_images(root: HtmlElement) -> None:
    """In a word processor's export: remove the pictures it wrote in a folder beside the page (Google Docs'
    `images/image1.png`), which is not dropped with the page (unless it is read from its zip, `zipexport`, whose
    pictures are its own: every export names its first `images/image1.png`, so one in the drop folder may be any
    other's). Must not be called for other pages, whose `images/…` are on their site."""
    for img in list(root.iter("img")):
        if _EXPORTED_IMAGE.fullmatch((img.get("src") or "").strip()):
            remove(img)


def _load_lazy_images(root: HtmlElement, kept: str | None = None) -> None:
    """Give a lazy-loaded <img> the picture its page would load: a page saved before its script ran has the address
    only in `data-src` (the <noscript> copy beside it is dropped with every <noscript>). An image whose file was
    saved beside the page is left out: published, it would be a broken picture (and a link to such a file, a
    broken link, is its text), unless the folder `kept` holds it, dropped with the page."""
    for img in list(root.iter("img")):
        lazy = next((value.strip() for name in _LAZY_SOURCES if (value := img.get(name)) and value.strip()), None)
        src = (img.get("src") or "").strip()
        if lazy and (not src or src.lower().startswith("data:") or _PLACEHOLDER.search(src.split("?", 1)[0])):
            img.set("src", src := lazy)
        if _SAVED_ALONGSIDE.match(src) and not (kept and _in_folder(src, kept)):
            remove(img)
    for link in list(root.iter("a")):
        if _SAVED_ALONGSIDE.match((link.get("href") or "").strip()):
            link.drop_tag()  # (a link to such a file: its text stays)


def _in_folder(src: str, folder: str) -> bool:
    """Whether the image address `src` (`PR%20ferry_files/image001.png`) names a file in the folder `folder`."""
    path = unquote(src.split("?", 1)[0].split("#", 1)[0]).removeprefix("./")
    return path.startswith(f"{folder}/")


# The HTML start tags that end an <svg> or <math> left open (HTML's parsing rules for foreign content): a browser
# shows what follows one as the page's own text. libxml2's parser keeps it inside, where dropping the drawing
# would drop the rest of the article with it.
_BREAKOUT = frozenset(
    {"b", "big", "blockquote", "body", "br", "center", "code", "dd", "div", "dl", "dt", "em", "embed", "hr", "i"}
    | {"img", "li", "listing", "menu", "nobr", "ol", "p", "pre", "ruby", "s", "small", "span", "strong", "strike"}
    | {"sub", "sup", "table", "tt", "u", "ul", "var", *HEADINGS}
)


_INTEGRATION_POINTS = frozenset({"foreignobject", "annotation-xml"})
"""Where HTML inside a drawing belongs to the drawing (a chart's HTML labels): dropped with it. (A <title> or
<desc> holds only text: paragraphs found in one were swallowed by one left open.)"""


_SWALLOWED = re.compile(r"<(?:p|h[1-6]|div|ul|ol|blockquote|table|section|figure)[\s>]", re.IGNORECASE)


def _hoist_breakouts(drawing: HtmlElement) -> None:
    """Move the outermost HTML elements that a browser would have ended `drawing` at out of it, after it, in order."""
    anchor = drawing
    for element in list(drawing.iterdescendants()):
        if element.tag in _BREAKOUT and not any(  # (the drawing itself, last of these, is neither)
            a.tag in _BREAKOUT or a.tag in _INTEGRATION_POINTS for a in ancestors_within(element, drawing)
        ):
            tail, element.tail = element.tail, None
            anchor.addnext(element)  # (lxml moves the element, with its children)
            element.tail = tail
            anchor = element
    # libxml2 reads a <title>, <desc> or <style> left open as text to the end of the page (a browser, in a
    # drawing, reads tags there): markup found in such text is parsed again and put after the drawing.
    for holder in list(drawing.iter("title", "desc", "style")):
        text = holder.text or ""
        swallowed = _SWALLOWED.search(text)
        if swallowed is None:
            continue
        holder.text = text[: swallowed.start()]
        for element in lxml.html.fragments_fromstring(text[swallowed.start() :]):
            if isinstance(element, HtmlElement):
                anchor.addnext(element)
                anchor = element


def _is_furniture(element: HtmlElement) -> bool:
    """Hidden, a landmark that is not the content, or a box whose class or id says it is not content."""
    hints = f"{element.get('class', '')} {element.get('id', '')}"
    return (
        element.tag in _STRUCTURAL
        or element.get("hidden") is not None
        or element.get("aria-hidden", "").lower() == "true"
        or bool(_HIDDEN_STYLE.search(element.get("style", "")))
        or element.get("role", "").lower() in _DROP_ROLES
        or any(_HIDDEN_CLASS.search(c) for c in element.get("class", "").split())
        or bool(NEGATIVE.search(hints))
    )


def drop_boxes(root: HtmlElement, holds_article: Callable[[HtmlElement], bool]) -> None:
    for element in list(root.iter()):
        is_element = element is not root and isinstance(element.tag, str)
        if is_element and _is_furniture(element) and not holds_article(element):
            remove(element)
    for heading in list(root.iter(*HEADINGS)):
        label = text_of(heading).rstrip(":").strip()
        if not _BOX_HEADING.fullmatch(label) or heading.getparent() is None:
            continue
        box = _box_of(heading, root, holds_article)
        doomed = [heading, *_section_after(heading)] if box is heading else [box]
        if not any(holds_article(e) for e in doomed):
            for element in doomed:
                remove(element)


def _box_of(heading: HtmlElement, root: HtmlElement, holds_article: Callable[[HtmlElement], bool]) -> HtmlElement:
    """The outermost block that *starts* with this heading (a "Related links" box), or the heading itself
    when it comes after other text in its parent (a flat page: the box is the heading and what follows)."""
    box = heading
    while True:
        parent = box.getparent()
        if parent is None or parent is root or parent.tag in ("body", "html") or holds_article(parent):
            return box
        if (parent.text or "").strip() or any(
            (isinstance(s.tag, str) and text_of(s)) or (s.tail or "").strip() for s in box.itersiblings(preceding=True)
        ):
            return box
        box = parent


def _section_after(heading: HtmlElement) -> Iterable[HtmlElement]:
    """Siblings after a heading up to the next heading of the same or a higher level."""
    level = int(heading.tag[1])
    for sibling in heading.itersiblings():
        if isinstance(sibling.tag, str) and sibling.tag in HEADINGS and int(sibling.tag[1]) <= level:
            return
        yield sibling
