"""Find the article in a full web page: the press release's own paragraphs, without the page around them.

Why not `<article>` or `<main>`: real pages misuse them (the European Parliament wraps its whole page body,
share buttons and all, in `<article role="main">`). So we do what Arc90's Readability taught everyone
(see mozilla/readability): throw away what is never content (scripts, navigation, forms, hidden text), boxes
whose class or id says what they are (share, cookie, related, contacts…) or whose heading does ("Further
information"), then score the parents of paragraphs by how much prose they hold (length, commas) and how
little of it is link text. The best block is then *widened* to its ancestors as long as that only adds a
little low-link text (a lead paragraph, a highlights list, a photo caption) and stops below the element that
holds the page title, so the headline, dateline and page furniture stay out.

The chrome is stripped by htmlchrome.py and the chosen block tidied by htmltidy.py; this module measures,
scores, widens and chooses.

What this module must not do: sanitise (the normaliser does that with nh3) or look at metadata (htmlmeta.py,
htmlheadline.py). It mutates the tree it is given.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from itertools import islice

from lxml.html import HtmlElement

from feeds.ingest.htmlchrome import NEGATIVE, drop_boxes, drop_never_content
from feeds.ingest.htmltidy import tidy
from feeds.ingest.htmltree import BLOCKS, HEADINGS, ancestors_within, text_of

__all__ = ["extract_article"]

_POSITIVE = re.compile(r"article|body|content|entry|main|post|text|story|release|wysiw|prose", re.IGNORECASE)
_PROSE_HOLDERS = frozenset({"div", "td", "blockquote", "section", "dd"})
_MIN_PARAGRAPH = 25


def extract_article(
    body: HtmlElement, *, title_element: HtmlElement | None = None, kept: str | None = None
) -> HtmlElement | None:
    """The element holding the article, cleaned; None when the page has no text at all. `kept`: the saved page's
    folder dropped beside it, whose images stay (`htmlchrome.drop_never_content`)."""
    title_path = set(title_element.iterancestors()) if title_element is not None else set()
    paragraph_chars = _paragraph_chars(body)
    total = paragraph_chars.get(body, 0)

    def holds_article(element: HtmlElement) -> bool:
        return total > 0 and paragraph_chars.get(element, 0) * 2 >= total

    drop_never_content(body, kept=kept)
    drop_boxes(body, holds_article)
    scores = _scores(body)
    if not scores:  # (no paragraph long enough to score: a short statement, all of it the article)
        tidy(body, title_element)
        return body if text_of(body) else None
    top = max(scores, key=scores.__getitem__)
    container = _with_siblings(_widen(top, body, title_path), scores, scores[top], title_path)
    tidy(container, title_element)
    return container if text_of(container) else None


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


# --- scoring -------------------------------------------------------------------------------------------


def _paragraphs(root: HtmlElement) -> Iterable[HtmlElement]:
    """Elements that hold prose: <p>, <pre>, and <div>/<td>/<blockquote> with text but no block children."""
    for element in root.iter():
        if isinstance(element.tag, str) and (
            element.tag in ("p", "pre") or (element.tag in _PROSE_HOLDERS and not _has_block_child(element))
        ):
            yield element


def _has_block_child(element: HtmlElement) -> bool:
    return any(isinstance(child.tag, str) and child.tag in BLOCKS for child in element)


def _tag_score(element: HtmlElement) -> float:
    tag = element.tag
    if tag in ("pre", "td", "blockquote"):
        return 3.0
    if tag in ("ol", "ul", "dl", "dd", "dt", "li", "address"):
        return -3.0
    if tag in HEADINGS or tag == "th":
        return -5.0
    return 5.0 if tag in ("div", "article", "section", "main") else 0.0


def _hint_score(element: HtmlElement) -> float:
    hints = f"{element.get('class', '')} {element.get('id', '')}"
    score = -25.0 if NEGATIVE.search(hints) else 0.0
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
        for level, ancestor in enumerate(islice(ancestors_within(paragraph, root), 5)):
            if ancestor not in scores:
                scores[ancestor] = _tag_score(ancestor)
            if level < 2:
                near.add(ancestor)
            scores[ancestor] += points / (1 if level == 0 else 2 if level == 1 else level * 3)
    return {e: (score + (_hint_score(e) if e in near else 0.0)) * (1 - _link_density(e)) for e, score in scores.items()}


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
