"""Find the article in a full web page: the press release's own paragraphs, without the page around them.

Why not `<article>` or `<main>`: real pages misuse them (the European Parliament wraps its whole page body,
share buttons and all, in `<article role="main">`). So we do what Arc90's Readability taught everyone
(see mozilla/readability): throw away what is never content (scripts, navigation, forms, hidden text), boxes
whose class or id says what they are (share, cookie, related, contacts…) or whose heading does ("Further
information"), then score the parents of paragraphs by how much prose they hold (length, commas) and how
little of it is link text. The best block is then *widened* to its ancestors as long as that only adds a
little low-link text (a lead paragraph, a highlights list, a photo caption) and stops below the element that
holds the page title, so the headline, dateline and page furniture stay out.

What this module must not do: sanitise (the normaliser does that with nh3) or look at metadata (htmlpage.py).
It mutates the tree it is given.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterable
from itertools import islice

import lxml.html
from lxml.html import HtmlElement, tostring

from feeds.normalise.text import is_label

__all__ = ["extract_article", "inner_html", "text_of"]

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
_NEGATIVE = re.compile(
    r"share|social|cookie|consent|gdpr|banner|breadcrumb|(?:^|[-_\s])nav(?:$|[-_\s])|navigation|navbar|menu"
    r"|footer|header|masthead|sidebar|related|contact|newsletter|subscri|promo|advert|sponsor|comment"
    r"|pagination|pager|popup|modal|toolbar|skip-?link|login|signup|widget|byline|dateline|timestamp"
    r"|published-dates?|(?:^|[-_\s])meta(?:data)?(?:$|[-_\s])",
    re.IGNORECASE,
)
_POSITIVE = re.compile(r"article|body|content|entry|main|post|text|story|release|wysiw|prose", re.IGNORECASE)
_HIDDEN_CLASS = re.compile(r"(?:^|[-_])(?:hidden|sr-only|visually-?hidden|screen-reader(?:-text)?|offscreen)$", re.I)
_HIDDEN_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_BOX_HEADING = re.compile(
    r"(?:further|more) information|related(?: [\w ]+)?|(?:press |media )?contacts?|media enquiries"
    r"|share(?: this)?(?: page| article| story)?|see also|follow us|read more|more on this(?: story)?"
    r"|useful links|downloads?|attachments?|tags",
    re.IGNORECASE,
)
_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_BLOCKS = frozenset(
    {"p", "div", "section", "article", "main", "ul", "ol", "dl", "table", "blockquote", "pre", "figure", "hr"}
    | set(_HEADINGS)
)
_KEEP_EMPTY = frozenset({"img", "picture", "video", "audio", "source", "table", "hr", "iframe", "td", "th", "tr"})
_TIDY = frozenset({"p", "div", "span", "section", "li", "ul", "ol", "figure", "figcaption", "a", "strong", "em", "b"})
_PROSE_HOLDERS = frozenset({"div", "td", "blockquote", "section", "dd"})
_MIN_PARAGRAPH = 25


def text_of(element: HtmlElement) -> str:
    """Text content with runs of white space (also no-break spaces) collapsed."""
    return " ".join(element.text_content().split())


def extract_article(body: HtmlElement, *, title_element: HtmlElement | None = None) -> HtmlElement | None:
    """The element holding the article, cleaned; None when the page has no text at all."""
    title_path = set(title_element.iterancestors()) if title_element is not None else set()
    paragraph_chars = _paragraph_chars(body)
    total = paragraph_chars.get(body, 0)

    def holds_article(element: HtmlElement) -> bool:
        return total > 0 and paragraph_chars.get(element, 0) * 2 >= total

    _drop_never_content(body)
    _drop_boxes(body, holds_article)
    scores = _scores(body)
    if not scores:
        return body if text_of(body) else None
    top = max(scores, key=scores.__getitem__)
    container = _with_siblings(_widen(top, body, title_path), scores, scores[top], title_path)
    _tidy(container, title_element)
    return container if text_of(container) else None


def inner_html(element: HtmlElement) -> str:
    """The HTML inside `element`, blank lines squeezed (outside <pre>)."""
    parts = [html.escape(element.text or "", quote=False)]
    parts += [_serialise(child) for child in element]
    result = "".join(parts)
    if element.find(".//pre") is None:
        # Indentation and blank lines between tags carry no meaning in HTML (outside <pre>).
        result = re.sub(r"\n[ \t\n]*", "\n", result)
    return result.strip()


def _serialise(element: HtmlElement) -> str:
    return str(tostring(element, encoding="unicode", with_tail=True))


# --- cleaning ------------------------------------------------------------------------------------------


def _paragraph_chars(root: HtmlElement) -> dict[HtmlElement, int]:
    """Characters of <p> text under each element, measured before anything is removed (pages without any
    <p> count text-only <div>s instead)."""
    counts: dict[HtmlElement, int] = {}
    paragraphs = list(root.iter("p")) or list(_paragraphs(root))
    for paragraph in paragraphs:
        n = len(text_of(paragraph))
        if n:
            for ancestor in paragraph.iterancestors():
                counts[ancestor] = counts.get(ancestor, 0) + n
    return counts


def _drop_never_content(root: HtmlElement) -> None:
    _load_lazy_images(root)
    for link in list(root.iter("a")):
        if _is_backlink(link):
            _remove(link)
    for element in list(root.iter("svg", "math")):
        _hoist_breakouts(element)
    for element in list(root.iter(*_DROP_TAGS)):
        _remove(element)


# A footnote's link back to where it is called ("↩", "↩︎", "^", "↑"): a way around the page, not text of the note.
_BACK_MARK = re.compile(r"[\s↩↑⤴^\ufe0e\ufe0f]+")


def _is_backlink(link: HtmlElement) -> bool:
    if not (link.get("href") or "").strip().startswith("#"):
        return False
    return link.get("role") == "doc-backlink" or _BACK_MARK.fullmatch(link.text_content()) is not None


# Where lazy-loading scripts keep an image's real address until it scrolls into view (lazysizes, WordPress plugins,
# jQuery Lazy Load), and what stands in `src` meanwhile: nothing, a data: URL, or a placeholder file.
_LAZY_SOURCES = ("data-src", "data-lazy-src", "data-original", "data-lazy")
_PLACEHOLDER = re.compile(r"(?:placeholder|blank|spacer|transparent|pixel|lazy|loading)[^/]*$", re.IGNORECASE)


# A picture saved beside the page, in the folder a word processor or browser makes for it ("PR ferry_files/
# image001.png", "./Ferries news_files/ferry.jpg"): only on the machine that saved it, never uploaded with the file.
_SAVED_ALONGSIDE = re.compile(r"(?:\./)?[^/:?#]+_files/", re.IGNORECASE)


def _load_lazy_images(root: HtmlElement) -> None:
    """Give a lazy-loaded <img> the picture its page would load: a page saved before its script ran has the address
    only in `data-src` (the <noscript> copy beside it is dropped with every <noscript>). An image whose file was
    saved beside the page is left out: published, it would be a broken picture."""
    for img in list(root.iter("img")):
        lazy = next((value.strip() for name in _LAZY_SOURCES if (value := img.get(name)) and value.strip()), None)
        src = (img.get("src") or "").strip()
        if lazy and (not src or src.lower().startswith("data:") or _PLACEHOLDER.search(src.split("?", 1)[0])):
            img.set("src", src := lazy)
        if _SAVED_ALONGSIDE.match(src):
            _remove(img)


# The HTML start tags that end an <svg> or <math> left open (HTML's parsing rules for foreign content): a browser
# shows what follows one as the page's own text. libxml2's parser keeps it inside, where dropping the drawing
# would drop the rest of the article with it.
_BREAKOUT = frozenset(
    {"b", "big", "blockquote", "body", "br", "center", "code", "dd", "div", "dl", "dt", "em", "embed", "hr", "i"}
    | {"img", "li", "listing", "menu", "nobr", "ol", "p", "pre", "ruby", "s", "small", "span", "strong", "strike"}
    | {"sub", "sup", "table", "tt", "u", "ul", "var", *_HEADINGS}
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
            a.tag in _BREAKOUT or a.tag in _INTEGRATION_POINTS for a in _ancestors_within(element, drawing)
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
        or bool(_NEGATIVE.search(hints))
    )


def _drop_boxes(root: HtmlElement, holds_article: Callable[[HtmlElement], bool]) -> None:
    for element in list(root.iter()):
        is_element = element is not root and isinstance(element.tag, str)
        if is_element and _is_furniture(element) and not holds_article(element):
            _remove(element)
    for heading in list(root.iter(*_HEADINGS)):
        label = text_of(heading).rstrip(":").strip()
        if not _BOX_HEADING.fullmatch(label) or heading.getparent() is None:
            continue
        box = _box_of(heading, root, holds_article)
        doomed = [heading, *_section_after(heading)] if box is heading else [box]
        if not any(holds_article(e) for e in doomed):
            for element in doomed:
                _remove(element)


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
        if isinstance(sibling.tag, str) and sibling.tag in _HEADINGS and int(sibling.tag[1]) <= level:
            return
        yield sibling


def _remove(element: HtmlElement) -> None:
    """Remove an element but keep its tail text (it belongs to the parent)."""
    if element.getparent() is not None:
        element.drop_tree()


# --- scoring -------------------------------------------------------------------------------------------


def _paragraphs(root: HtmlElement) -> Iterable[HtmlElement]:
    """Elements that hold prose: <p>, <pre>, and <div>/<td>/<blockquote> with text but no block children."""
    for element in root.iter():
        if isinstance(element.tag, str) and (
            element.tag in ("p", "pre") or (element.tag in _PROSE_HOLDERS and not _has_block_child(element))
        ):
            yield element


def _has_block_child(element: HtmlElement) -> bool:
    return any(isinstance(child.tag, str) and child.tag in _BLOCKS for child in element)


def _tag_score(element: HtmlElement) -> float:
    tag = element.tag
    if tag in ("pre", "td", "blockquote"):
        return 3.0
    if tag in ("ol", "ul", "dl", "dd", "dt", "li", "address"):
        return -3.0
    if tag in _HEADINGS or tag == "th":
        return -5.0
    return 5.0 if tag in ("div", "article", "section", "main") else 0.0


def _hint_score(element: HtmlElement) -> float:
    hints = f"{element.get('class', '')} {element.get('id', '')}"
    score = -25.0 if _NEGATIVE.search(hints) else 0.0
    if _POSITIVE.search(hints) or element.get("itemprop") == "articleBody":
        score += 25
    return score


def _scores(root: HtmlElement) -> dict[HtmlElement, float]:
    """Readability's content score of each ancestor of a paragraph, damped by its link density.

    A paragraph gives points (1, one per comma, one per 100 characters up to 3) to its parent, half to its
    grandparent and a share to three more ancestors. Class and id hints ("article-body", "share-bar") count
    only for a paragraph's parent and grandparent: a page wrapper called `content` must not win on its name.
    """
    scores: dict[HtmlElement, float] = {}
    near: set[HtmlElement] = set()
    for paragraph in _paragraphs(root):
        text = text_of(paragraph)
        if len(text) < _MIN_PARAGRAPH:
            continue
        points = 1 + text.count(",") + text.count("،") + text.count("，") + min(len(text) // 100, 3)
        for level, ancestor in enumerate(islice(_ancestors_within(paragraph, root), 5)):
            if ancestor not in scores:
                scores[ancestor] = _tag_score(ancestor)
            if level < 2:
                near.add(ancestor)
            scores[ancestor] += points / (1 if level == 0 else 2 if level == 1 else level * 3)
    return {e: (score + (_hint_score(e) if e in near else 0.0)) * (1 - _link_density(e)) for e, score in scores.items()}


def _ancestors_within(element: HtmlElement, root: HtmlElement) -> Iterable[HtmlElement]:
    for ancestor in element.iterancestors():
        yield ancestor
        if ancestor is root:
            return


def _link_chars(element: HtmlElement) -> int:
    return sum(len(text_of(a)) for a in element.iter("a"))


def _link_density(element: HtmlElement) -> float:
    total = len(text_of(element))
    return min(1.0, _link_chars(element) / total) if total else 1.0


def _widen(top: HtmlElement, root: HtmlElement, title_path: set[HtmlElement]) -> HtmlElement:
    """Climb while the parent adds only a little low-link text, never into the block holding the title."""
    current = top
    while current is not root:
        parent = current.getparent()
        if parent is None or (parent in title_path and current not in title_path):
            break
        own, whole = len(text_of(current)), len(text_of(parent))
        extra = whole - own
        if extra > 0:
            if (_link_chars(parent) - _link_chars(current)) / extra > 0.35:
                break
            extra_prose = _prose_chars(parent) - _prose_chars(current)
            if extra > own / 2 and extra_prose < extra * 0.6:
                break
        current = parent
    return current


def _with_siblings(
    container: HtmlElement, scores: dict[HtmlElement, float], top_score: float, title_path: set[HtmlElement]
) -> HtmlElement:
    """Add sibling blocks that are article too (a story split around an advert), as Readability does."""
    parent = container.getparent()
    if parent is None or container.tag in ("body", "html"):
        return container
    threshold = max(10.0, top_score * 0.2)
    kept = [
        sibling
        for sibling in parent
        if sibling is container
        or (
            isinstance(sibling.tag, str)
            and sibling not in title_path
            and (scores.get(sibling, 0.0) >= threshold or _is_prose_paragraph(sibling) or _is_lead(sibling))
        )
    ]
    if len(kept) == 1:
        return container
    wrapper = parent.makeelement("div", {})
    for element in kept:
        wrapper.append(element)  # moves it (with its tail text) out of the page
    return wrapper


def _is_prose_paragraph(element: HtmlElement) -> bool:
    return element.tag == "p" and len(text_of(element)) > 80 and _link_density(element) < 0.25


_LEAD = re.compile(r"lead|intro|standfirst|summary|abstract|deck", re.IGNORECASE)


def _is_lead(element: HtmlElement) -> bool:
    """A short paragraph that the page marks as the story's lead ("The UK has frozen fares."): too short to
    count as prose, but the release's own first words."""
    hints = f"{element.get('class', '')} {element.get('id', '')}"
    return (
        element.tag in ("p", "div")
        and bool(_LEAD.search(hints))
        and len(text_of(element)) >= 15
        and _link_density(element) < 0.25
    )


def _prose_chars(element: HtmlElement) -> int:
    return sum(len(text_of(p)) for p in element.iter("p"))


# --- tidying -------------------------------------------------------------------------------------------


def _tidy(container: HtmlElement, title_element: HtmlElement | None) -> None:
    if title_element is not None and any(a is container for a in title_element.iterancestors()):
        _remove(title_element)
    _word_lists(container)
    _drop_leading_labels(container)
    for element in reversed(list(container.iter())):
        if element is container or not isinstance(element.tag, str):
            continue
        if element.tag == "br":
            if _is_spacer(element):
                _remove(element)
        elif (
            element.tag in _TIDY
            and not text_of(element)
            and not any(isinstance(e.tag, str) and e.tag in _KEEP_EMPTY for e in element.iter())
        ):
            _remove(element)


# Word writes a list as paragraphs styled `mso-list:l0 level1 lfo1`, each opening with its bullet or number in a
# <span> of its own ("·" in the Symbol font, "o", "§", "1.", "a)"), spaced with no-break spaces.
_WORD_LIST_STYLE = re.compile(r"mso-list\s*:\s*l\d", re.IGNORECASE)
_WORD_NUMBER = re.compile(r"\(?(?:\d{1,3}|[a-z]|[ivxlc]{1,6})[.)]", re.IGNORECASE)


def _word_lists(container: HtmlElement) -> None:
    """Make the runs of a Word export's list paragraphs a list again (<ul>, or <ol> when numbered), without the
    markers Word typed into them: a browser shows them as a list, the paragraphs read "· Mainland to …"."""
    for parent in list(container.iter()):
        run: list[tuple[HtmlElement, HtmlElement]] = []
        for child in [*parent, None]:
            marker = _word_list_marker(child) if child is not None else None
            if child is not None and marker is not None and (not run or not (run[-1][0].tail or "").strip()):
                run.append((child, marker))
                continue
            if run:
                _make_list(parent, run)
                run = []
            if child is not None and marker is not None:
                run.append((child, marker))


def _word_list_marker(p: HtmlElement) -> HtmlElement | None:
    """The <span> holding the bullet or number of a Word list paragraph, None for any other element."""
    styled = _WORD_LIST_STYLE.search(p.get("style") or "") or (p.get("class") or "").startswith("MsoList")
    if p.tag != "p" or not styled or (p.text or "").strip():  # (a "filtered" export keeps only the class)
        return None
    first = next(iter(p), None)
    if first is None or first.tag != "span" or (not (first.tail or "").strip() and len(p) == 1):
        return None  # (no marker, or nothing after it)
    mark = text_of(first)
    return first if mark and (len(mark) == 1 or _WORD_NUMBER.fullmatch(mark)) else None


def _make_list(parent: HtmlElement, run: list[tuple[HtmlElement, HtmlElement]]) -> None:
    numbered = _WORD_NUMBER.fullmatch(text_of(run[0][1])) is not None
    items = lxml.html.Element("ol" if numbered else "ul")
    run[0][0].addprevious(items)
    items.tail, run[-1][0].tail = run[-1][0].tail, None
    for p, marker in run:
        marker.drop_tree()  # (its tail, the item's text, stays)
        p.attrib.clear()
        p.tag = "li"
        items.append(p)


def _drop_leading_labels(container: HtmlElement) -> None:
    """Whatever opens the article and says only what kind of page it is ("Press release" above a GOV.UK
    headline, in a <span> of its own), however deep it is wrapped; the text after it stays."""
    for _ in range(3):  # ("News story" above "Press release", at most)
        first = _first_text_holder(container)
        if first is None or first is container or not is_label(text_of(first)):
            return
        _remove(first)


def _first_text_holder(container: HtmlElement) -> HtmlElement | None:
    """The element whose own text comes first in `container` (text before any child element counts)."""
    for element in container.iter():
        if isinstance(element.tag, str) and (element.text or "").strip():
            return element
        if element is not container and (element.tail or "").strip():
            return element.getparent()
    return None


def _is_spacer(br: HtmlElement) -> bool:
    """A <br> between blocks or at the start of an empty block (layout spacing), not a line break in text."""
    if (br.tail or "").strip():
        return False
    previous = br.getprevious()
    if previous is None:
        parent = br.getparent()
        return parent is not None and not (parent.text or "").strip()
    if not isinstance(previous.tag, str):
        return False
    return previous.tag in _BLOCKS or (previous.tag == "br" and _is_spacer(previous))
