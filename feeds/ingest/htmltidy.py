"""Tidy the article once it is found: the headline and the labels that open it ("Press release") out, a Word
export's list paragraphs made a list again (and LibreOffice's typed list labels dropped), empty elements and
layout <br>s dropped.

What this module must not do: choose what is the article (htmlextract.py, htmlchrome.py) or sanitise (the
normaliser does). It mutates the tree it is given.
"""

from __future__ import annotations

import re

import lxml.html
from lxml.html import HtmlElement

from feeds.ingest.htmltree import BLOCKS, BOLD, HEADINGS, ITALIC, classes_styled, remove, text_of
from feeds.normalise.plaintext import NONE_OPEN, OPENING_QUOTES, introduces_quotation, left_open
from feeds.normalise.text import is_label

__all__ = ["google_lists", "inline_emphasis", "said_quotations", "styled_emphasis", "tidy"]

_KEEP_EMPTY = frozenset({"img", "picture", "video", "audio", "source", "table", "hr", "iframe", "td", "th", "tr"})
_TIDY = frozenset({"p", "div", "span", "section", "li", "ul", "ol", "figure", "figcaption", "a", "strong", "em", "b"})
_INLINE = frozenset({"span", "a", "strong", "em", "b"})
_STYLE_ONLY = frozenset({"class", "style", "id"})


def tidy(container: HtmlElement, title_element: HtmlElement | None) -> None:
    if title_element is not None and any(a is container for a in title_element.iterancestors()):
        remove(title_element)
    _word_lists(container)
    _libreoffice_marks(container)
    _quote_styles(container)
    _typed_spaces(container)
    _drop_leading_labels(container)
    for element in reversed(list(container.iter())):
        if element is container or not isinstance(element.tag, str):
            continue
        if element.tag == "br":
            if _is_spacer(element):
                remove(element)
        elif (
            element.tag in _TIDY
            and not text_of(element)
            and not any(isinstance(e.tag, str) and e.tag in _KEEP_EMPTY for e in element.iter())
        ):
            if element.tag in _INLINE and element.text_content():
                # Only spaces: Word's tab after a typed "1." (`<span style='mso-tab-count:1'>&nbsp;…</span>`)
                # still parts the words it stands between.
                element.tail = " " + (element.tail or "")
            remove(element)
    _no_indents(container)
    for span in list(container.iter("span")):
        if span is not container and _STYLE_ONLY.issuperset(span.attrib):
            span.drop_tag()  # (a span that only carried a style or a class: neither is published; hidden ones are gone)


def styled_emphasis(root: HtmlElement) -> None:
    """Make the <span>s a Google Docs export makes bold or italic by a class of its style sheet <strong> and <em>:
    the style sheet is not published, the emphasis is. Called before the page's <style> is dropped; must not be
    called for other pages, whose classes are their site's design."""
    bold, italic = classes_styled(root, BOLD), classes_styled(root, ITALIC)
    if not bold and not italic:
        return
    for span in list(root.iter("span")):
        classes = set((span.get("class") or "").split())
        if classes.isdisjoint(bold) and classes.isdisjoint(italic):
            continue
        if not classes.isdisjoint(italic):
            emphasis = lxml.html.Element("em")
            emphasis.text = span.text
            emphasis.extend(list(span))
            span.text = None
            span.append(emphasis)
        if not classes.isdisjoint(bold) and not _in_heading(span):
            span.tag = "strong"
            span.attrib.pop("class")


# Google Docs' class for a list at a level: `lst-kix_<list>-<level>`, the level from 0.
_GOOGLE_LIST = re.compile(r"\blst-kix_(\w+)-(\d+)\b")


def google_lists(root: HtmlElement) -> None:
    """Make the lists of a Google Docs export one list again: it writes each change of level as a list of its
    own (`<ul class="lst-kix_a1-0">`, `<ul class="lst-kix_a1-1">`, `<ul class="lst-kix_a1-0">`, each item
    indented by its class), which a reader would see flat. A deeper level's list goes inside the item above it,
    and the lists of one level beside each other are one (a numbered list goes on, its `start` unneeded)."""
    for parent in list(root.iter()):
        stack: list[tuple[str, int, HtmlElement]] = []  # (list id, level, list element), outermost first
        for child in list(parent):
            kix = _GOOGLE_LIST.search(child.get("class") or "") if child.tag in ("ul", "ol") else None
            if kix is None:
                stack = []
                continue
            if child.get("start") == "1":
                del child.attrib["start"]
            list_id, level = kix[1], int(kix[2])
            while stack and (stack[-1][0] != list_id or stack[-1][1] > level):
                stack.pop()
            if stack and stack[-1][1] == level and stack[-1][2].tag == child.tag:
                stack[-1][2].extend(list(child))  # (the same list going on at this level)
                parent.remove(child)
            elif stack and stack[-1][1] < level and len(stack[-1][2]):
                child.attrib.pop("start", None)
                child.tail = None
                stack[-1][2][-1].append(child)
                stack.append((list_id, level, child))
            else:
                stack = [(list_id, level, child)]
            if (child.tail or "").strip():
                stack = []


def inline_emphasis(root: HtmlElement) -> None:
    """Make the <span>s a word processor's export makes bold or italic by their own `style` (`<span
    style='font-weight:bold'>`, a subheading Word set by a style) <strong> and <em>, as `styled_emphasis` does
    for its style sheet's classes: the style is not published, the emphasis is."""
    for span in list(root.iter("span")):
        style = span.get("style") or ""
        if ITALIC.search(style):
            emphasis = lxml.html.Element("em")
            emphasis.text = span.text
            emphasis.extend(list(span))
            span.text = None
            span.append(emphasis)
        if BOLD.search(style) and not _in_heading(span):
            span.tag = "strong"
            span.attrib.clear()


def _in_heading(element: HtmlElement) -> bool:
    """Whether `element` is in a heading, bold as such: its bold style says nothing more (`<h2><strong>` is noise)."""
    return any(a.tag in HEADINGS for a in element.iterancestors())


# Word writes a list as paragraphs styled `mso-list:l0 level1 lfo1`, each opening with its bullet or number in a
# <span> of its own ("·" in the Symbol font, "o", "§", "1.", "a)"), spaced with no-break spaces.
_WORD_LIST_STYLE = re.compile(r"mso-list\s*:\s*l\d", re.IGNORECASE)
_WORD_NUMBER = re.compile(r"\(?(?:\d{1,3}|[a-z]|[ivxlc]{1,6})[.)]", re.IGNORECASE)


def _word_lists(container: HtmlElement) -> None:
    """Make the runs of a Word export's list paragraphs a list again (<ul>, or <ol> when numbered), without the
    markers Word typed into them: a browser shows them as a list, the paragraphs read "· Mainland to …"."""
    for parent in list(container.iter()):
        run: list[tuple[HtmlElement, HtmlElement]] = []
        for child in list(parent):
            _marker_in_span(child)
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


def _marker_in_span(p: HtmlElement) -> None:
    """A Word list paragraph whose number is typed bare before the <span> of spaces that follows it (`1.<span
    style='font:7.0pt "Times New Roman"'>&nbsp;&nbsp; </span>Text`, as a filtered export writes it when the
    paragraph's language is the document's) gets it inside that span, where the other exports put it."""
    styled = _WORD_LIST_STYLE.search(p.get("style") or "") or (p.get("class") or "").startswith("MsoList")
    mark = (p.text or "").strip()
    if p.tag != "p" or not styled or not mark or not (len(mark) == 1 or _WORD_NUMBER.fullmatch(mark)):
        return
    first = next(iter(p), None)
    if first is None or first.tag != "span" or text_of(first) or not (first.tail or "").strip():
        return  # (the span after the number holds only spaces, and the item's text follows it)
    first.text, p.text = p.text + (first.text or ""), None


def _make_list(parent: HtmlElement, run: list[tuple[HtmlElement, HtmlElement]]) -> None:
    """The run as a list, an item of a deeper level (`mso-list:l0 level2`, or indented further in a "filtered"
    export) in a list of its own inside the item before it, as Word shows it: "a." under "1." is not "2."."""
    top = _new_list(run[0][1])
    run[0][0].addprevious(top)
    top.tail, run[-1][0].tail = run[-1][0].tail, None
    stack: list[tuple[int, HtmlElement]] = []
    for p, marker in run:
        level = _list_level(p)
        while stack and stack[-1][0] > level:
            stack.pop()
        if not stack:
            stack.append((level, top))
        elif stack[-1][0] < level and len(stack[-1][1]):
            inner = _new_list(marker)
            stack[-1][1][-1].append(inner)
            stack.append((level, inner))
        marker.drop_tree()  # (its tail, the item's text, stays)
        p.attrib.clear()
        p.tag = "li"
        stack[-1][1].append(p)


def _new_list(marker: HtmlElement) -> HtmlElement:
    return lxml.html.Element("ol" if _WORD_NUMBER.fullmatch(text_of(marker)) is not None else "ul")


_LIST_LEVEL = re.compile(r"mso-list\s*:\s*l\d+\s+level(\d+)", re.IGNORECASE)
_MARGIN_LEFT = re.compile(r"margin-left\s*:\s*(\d+(?:\.\d+)?)pt", re.IGNORECASE)


def _list_level(p: HtmlElement) -> int:
    """A Word list paragraph's level: its `mso-list` style's, else (a "filtered" export) its indent's, 36pt a
    level (the first level's is in the class, not the paragraph)."""
    style = p.get("style") or ""
    if (level := _LIST_LEVEL.search(style)) is not None:
        return int(level[1])
    margin = _MARGIN_LEFT.search(style)
    return max(1, round(float(margin[1]) / 36)) if margin is not None else 1


# LibreOffice's XHTML export types a list item's bullet or number into it, in a <span style="display:block;
# float:left;…"> (the <ul> or <ol> around it marks the item already); its footnotes, and its HTML export's, open with
# the number, the note's text right after it ("1The lights are LED.").
_FLOATED_LABEL = re.compile(r"display\s*:\s*block\s*;\s*float\s*:\s*left", re.IGNORECASE)
_NOTE_NUMBERS = frozenset({"footnodeNumber", "sdfootnotesym", "sdendnotesym"})


def _libreoffice_marks(container: HtmlElement) -> None:
    """Drop the list labels LibreOffice typed into list items; a note's call is a superscript number (as its HTML
    export writes it), and the note's number is parted from its text."""
    for span in list(container.iter("span")):
        if _FLOATED_LABEL.search(span.get("style") or "") and any(a.tag == "li" for a in span.iterancestors()):
            remove(span)
        elif (span.get("title") or "").startswith(("Footnote: ", "Endnote: ")):
            span.tag = "sup"  # (the XHTML export's call of a note, with the note as its tooltip: a number)
            span.attrib.clear()
    for element in container.iter("span", "a"):
        if not _NOTE_NUMBERS.isdisjoint((element.get("class") or "").split()) and (element.tail or " ")[0] != " ":
            element.tail = " " + (element.tail or "")


# A word processor's "Quote" paragraph styles (Word's MsoQuote and MsoIntenseQuote classes, LibreOffice's
# "Quotations"): the author marked a quotation, which HTML marks with <blockquote>.
_QUOTE_STYLES = frozenset({"MsoQuote", "MsoIntenseQuote", "Quotations"})


def _quote_styles(container: HtmlElement) -> None:
    """Put each run of paragraphs in a quotation style in a <blockquote>."""
    quoted = [
        e
        for e in container.iter("p", "div")
        if not _QUOTE_STYLES.isdisjoint((e.get("class") or "").split()) and e.getparent() is not None
    ]
    for element in quoted:
        previous = element.getprevious()
        if previous is not None and previous.tag == "blockquote" and not (previous.tail or "").strip():
            quote = previous
        else:
            quote = lxml.html.Element("blockquote")
            element.addprevious(quote)
            quote.tail, element.tail = element.tail, None
        element.attrib.pop("class")
        if element.tag == "div":
            element.tag = "p"
        tail, element.tail = element.tail, None
        quote.append(element)
        element.tail = tail


def said_quotations(container: HtmlElement) -> None:
    """In a word processor's export, put the quotation after a paragraph ending "… said:" ("The Minister said:",
    "She added:") in a <blockquote>, as a plain-text release's is: a word processor has no way to mark one but its
    "Quote" style, which press officers seldom use. The quotation is the next paragraph when it opens with a
    quotation mark, and the paragraphs after it that go on while a mark is left open (the newspaper convention:
    each paragraph of a long quotation opens with a mark, only the last one closes it), up to one that closes
    it. A paragraph that does not open with a mark is not a quotation, and stays a paragraph. Not for other web
    pages: their quotations are what their site marked."""
    for paragraph in list(container.iter("p")):
        _split_after_said(paragraph)
    for intro in list(container.iter("p")):
        following = intro.getnext()
        if (
            following is None
            or following.tag != "p"
            or (intro.tail or "").strip()
            or not introduces_quotation(text_of(intro))
            or not text_of(following).startswith(OPENING_QUOTES)
        ):
            continue
        run, still_open = [following], left_open(text_of(following), NONE_OPEN)
        after_run = following.getnext()
        while still_open != NONE_OPEN and after_run is not None and after_run.tag == "p":
            text = text_of(after_run)
            closes = left_open(text, still_open)
            if (run[-1].tail or "").strip() or introduces_quotation(text):
                break
            if not text.startswith(OPENING_QUOTES) and closes != NONE_OPEN:
                break  # (a mark left open that this paragraph does not close: it is the story again)
            run.append(after_run)
            still_open, after_run = closes, after_run.getnext()
        quote = lxml.html.Element("blockquote")
        intro.addnext(quote)
        quote.tail, run[-1].tail = run[-1].tail, None
        for paragraph in run:
            quote.append(paragraph)


def _split_after_said(p: HtmlElement) -> None:
    """A paragraph whose line ends "said:" and whose next line (after a `<br>`, Word's Shift+Enter) opens with a
    quotation mark: two paragraphs, the introduction and the quotation."""
    for br in p.iterchildren("br"):
        tail = (br.tail or "").lstrip()
        if not tail.startswith(OPENING_QUOTES):
            continue
        before = (p.text or "") + "".join(lxml.html.tostring(e, method="text", encoding="unicode") for e in _before(br))
        if not introduces_quotation(" ".join(before.split())):
            continue
        quotation = lxml.html.Element("p")
        quotation.text, quotation.tail, p.tail = tail, p.tail, None
        quotation.extend(list(br.itersiblings()))
        br.getparent().remove(br)
        p.addnext(quotation)
        return


def _before(element: HtmlElement) -> list[HtmlElement]:
    """The siblings before `element`, in order."""
    return list(reversed(list(element.itersiblings(preceding=True))))


# Spaces typed in a row (two after a full stop, an indent), which Word exports as no-break spaces: one space.
_TYPED_SPACES = re.compile(r"\s*\xa0\s*")
_TEXT_BLOCKS = frozenset({"p", "li", "td", "th", "dd", "dt", "blockquote", "h1", "h2", "h3", "h4", "h5", "h6"})


def _typed_spaces(container: HtmlElement) -> None:
    """Make a run of spaces holding a no-break space one space; a lone no-break space between words
    (`£2&nbsp;million`) stays. Not inside <pre>."""
    preformatted = {e for pre in container.iter("pre") for e in pre.iter()}
    for element in container.iter():
        if not isinstance(element.tag, str):
            continue
        if element.text and "\xa0" in element.text and element not in preformatted:
            element.text = _TYPED_SPACES.sub(_one_space, element.text)
        if element.tail and "\xa0" in element.tail and element.getparent() not in preformatted:
            element.tail = _TYPED_SPACES.sub(_one_space, element.tail)


def _no_indents(container: HtmlElement) -> None:
    """Drop the spaces that open a paragraph (an indent typed, or a tab, as Word and TextEdit export them)."""
    for block in container.iter(*_TEXT_BLOCKS):
        if block.text:
            block.text = block.text.lstrip(" \t\xa0")


def _one_space(match: re.Match[str]) -> str:
    return " " if len(match[0]) > 1 else match[0]


def _drop_leading_labels(container: HtmlElement) -> None:
    """Whatever opens the article and says only what kind of page it is ("Press release" above a GOV.UK
    headline, in a <span> of its own), however deep it is wrapped; the text after it stays."""
    for _ in range(3):  # ("News story" above "Press release", at most)
        first = _first_text_holder(container)
        if first is None or first is container or not is_label(text_of(first)):
            return
        remove(first)


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
    return previous.tag in BLOCKS or (previous.tag == "br" and _is_spacer(previous))
