"""Untrusted HTML reduced to what we publish: nh3's allow-lists, URLs read as a browser reads them, fixed points.

Everything we publish ends up inside other people's feed readers and our own pages, so a body is reduced to
an allow-list of text and structure tags (nh3, the Rust `ammonia` sanitiser) before it is stored: no scripts,
styles, frames, forms, event handlers or classes, and only http, https and mailto URLs. The text's direction
and language (`dir`, `lang`) are kept, with values that are one only, also where a link without a usable
target is unwrapped (its text in a `<span>` that keeps them). The result is
deterministic (same input, same bytes), which keeps content hashes and published files stable. Markdown is
rendered in `markdown.py`, and the text of HTML read back out in `htmltext.py`; both clean through here.

What this module must not do: fetch anything (relative URLs are resolved against the release's own link,
never looked up), or trust its input.
"""

from __future__ import annotations

import html
import re
from itertools import accumulate, filterfalse
from operator import itemgetter, sub
from urllib.parse import urljoin, urlsplit

import lxml.etree
import lxml.html
import nh3

from feeds.normalise.text import xml_safe

__all__ = ["IN_TAG", "MAX_DEPTH", "resolve_url", "sanitise_html"]

PUBLISHED_TAGS = frozenset(
    {
        *("p", "br", "hr", "div", "section", "article", "span"),
        *("h2", "h3", "h4", "h5", "h6"),
        *("ul", "ol", "li", "dl", "dt", "dd"),
        *("blockquote", "q", "cite", "em", "strong", "b", "i", "abbr", "code", "pre", "sup", "sub"),
        *("bdi", "bdo"),
        *("a", "img", "figure", "figcaption"),
        *("table", "caption", "thead", "tbody", "tfoot", "tr", "th", "td"),
    }
)
_ATTRIBUTES = {
    # On every tag kept: the text's direction and language (an Arabic or Hebrew quotation in an English release
    # reads right to left only with `dir`), and an advisory title. ammonia allowed `lang` and `title` everywhere
    # by default already, any value; `_direction_and_language` keeps only the values that are one.
    "*": {"dir", "lang", "title"},
    "a": {"href", "title"},
    "img": {"src", "alt"},
    "abbr": {"title"},
    "q": {"cite"},
    "blockquote": {"cite"},
    "ol": {"start"},
    "td": {"colspan", "rowspan"},
    "th": {"colspan", "rowspan", "scope"},
}
# Removed together with everything inside them (the others only lose the tag and keep their text).
DROP_WITH_CONTENT = frozenset(
    {
        *("script", "style", "template", "noscript", "head", "title"),
        *("iframe", "frame", "frameset", "object", "embed", "applet"),
        *("svg", "math", "form", "textarea", "select", "button"),
    }
)
_URL_SCHEMES = frozenset({"http", "https", "mailto"})
_LINK_REL = "noopener noreferrer"

# The page around a release has its own <h1>, so the body's top level becomes <h2>. Renamed before nh3
# parses, so a mangled tag can only ever be dropped by the allow-list, never let through.
_H1 = re.compile(r"<(/?)\s*h1(?=[\s/>])", re.IGNORECASE)
# These run on nh3's output, which is normalised: lowercase tags, double-quoted attribute values in which
# `"`, `<` and `>` are escaped, and `<` escaped in text, so every `<` starts a tag.
NH3_ATTRS = r'(?: [a-z]+="[^"]*")*'
"""A tag's attributes, in nh3's output: each after one space, its name in lower case, its value double-quoted
(`"` escaped in it). Every pattern below takes them, in any order (nh3 keeps the order they were written in): a
`<p dir="rtl">` is a paragraph as much as a `<p>`."""
_IMG_WITHOUT_SRC = re.compile(r'<img(?: (?!src=)[a-z]+="[^"]*")*>')
# A link left without a target (none, or one refused), its attributes and its content: unwrapped (`_unlinked`).
# (Not one holding another link: unwrapped up to the inner one's end, it would leave an end tag out of place.)
_A_WITHOUT_HREF = re.compile(
    r'<a((?: (?!href=)[a-z]+="[^"]*")*) rel="noopener noreferrer">((?:(?!<a\b).)*?)</a>', re.DOTALL
)
# A relative reference whose first segment holds a colon is not one (RFC 3986 §4.2): what is left of a
# disguised scheme (`jav&#9;ascript:` → `jav%09ascript:`) once nh3 has refused it as a scheme.
_NOT_A_SCHEME = re.compile(rf'<a({NH3_ATTRS}?) href="(?!(?:https?|mailto):)[^"/?#:]*:[^"]*"', re.IGNORECASE)
IN_TAG = r"<[A-Za-z][^<>]*?"
"""In sanitised HTML (nh3's output, as stored in a release's body): a tag's name and the attributes before the one
a pattern names next (` cite="`). nh3 escapes `<` and `>` in text and in attribute values, and `"` in values, so
such a match never starts in text nor runs out of its tag, and ` name="` inside a tag is always an attribute: text
that reads ` cite="…"` is left alone (it was rewritten, and lost, as one)."""
_CITE_NOT_HTTP = re.compile(rf'({IN_TAG}) cite="(?!(?:https?:)?//|/|\.|[^":]*(?:["/?#]|$))[^"]*"', re.IGNORECASE)
_FRAGMENT_LINK = re.compile(rf'<a({NH3_ATTRS}?) href="#[^"]*"')
_LEADING = re.compile(r"\A[\s\ufeff]+")
_EMPTY_BLOCK = re.compile(rf"<(p|h[2-6]){NH3_ATTRS}>(?:\s|&nbsp;|<br{NH3_ATTRS}>)*</\1>")
_PRE_FIRST_BREAKS = re.compile(rf"(<pre{NH3_ATTRS}>)\n+")
"""The line breaks a <pre>'s text begins with, in nh3's output: each parse drops the first one (HTML §13.2.6.4.7)
and nh3 writes the rest, so cleaning again would drop them one a pass; dropped at once, the output is a fixed point
whatever their number (more than the passes `sanitise_html` makes were left half-dropped)."""

# An href or src value in nh3's output (attribute values double-quoted) that may be relative: anything but an
# allowed absolute scheme. A false alarm (such text in a paragraph) only costs a second cleaning.
# (nh3 writes each attribute after one space, its name in lower case: a literal space and names let the regex
# engine skip ahead, where `\s` and IGNORECASE made it try every space of the text, 4x slower.)
_RELATIVE_URL = re.compile(r' (?:href|src|cite)="(?!(?i:https?|mailto):)')
# A quotation's source (`cite`), which nh3 does not resolve as it does href and src values.
_RELATIVE_CITE = re.compile(rf'({IN_TAG}) cite="(?!https?:)([^"]*)"', re.IGNORECASE)


def sanitise_html(html: str, base_url: str | None = None, *, fragments: bool = True, visible_only: bool = False) -> str:
    """Reduce untrusted HTML to the tags and attributes we publish; relative URLs resolved against `base_url`.

    Links to a part of the same document (``href="#section"``) are resolved against `base_url` like any other
    when it is the document's own address; with `fragments` False (the base is not the document's address, so
    they would lead elsewhere, and the ids they point at are not published) they lose their link and keep their
    text. So do links whose "scheme" is not one (``jav&#9;ascript:``): they would be broken relative links.

    Idempotent: malformed input can parse into a tree that serialises to markup which parses differently
    again (misnested headings, for one), so cleaning repeats until the output is stable, and cleaning the
    result once more never changes it. HTML nested absurdly deep keeps its words but not its markup
    (`nests_too_deeply`). With `visible_only`, what a browser would not show is left out (`_without_hidden`):
    for a release's body, which is published; a watched item's content is not (its text is only matched), and
    looking costs a sixteenth of parsing a feed.
    """
    source = xml_safe(html)
    if nests_too_deeply(source):
        source = words_only(source)
    elif visible_only:
        source = _without_hidden(source)
    return sanitise_xml_safe(source, base_url, well_formed=False, fragments=fragments)


# What a browser never shows: the `hidden` attribute, `display: none` or `visibility: hidden`, and the classes
# pages hide text with (GOV.UK's `js-hidden` request box, screen-reader-only text), as a dropped web page loses
# them (feeds.ingest.htmlchrome). Published, they read as if the author had shown them ("please email .").
# (A quick look for a tag with such an attribute: the markup is parsed only then.)
_MAY_HIDE = re.compile(
    r"<[A-Za-z][^<>]*?\s(?:hidden(?=[\s=/>])|style\s*=[^<>]*?(?:display\s*:\s*none|visibility\s*:\s*hidden)"
    r"|class\s*=[^<>]*?(?:hidden|sr-only|screen-reader|offscreen))",
    re.IGNORECASE,
)
_HIDING_STYLE = re.compile(r"display\s*:\s*none|visibility\s*:\s*hidden", re.IGNORECASE)
_HIDING_CLASS = re.compile(r"(?:^|[-_])(?:hidden|sr-only|visually-?hidden|screen-reader(?:-text)?|offscreen)$", re.I)


def _is_hidden(element: lxml.html.HtmlElement) -> bool:
    return (
        element.get("hidden") is not None
        or bool(_HIDING_STYLE.search(element.get("style", "")))
        or any(_HIDING_CLASS.search(c) for c in element.get("class", "").split())
    )


def _without_hidden(markup: str) -> str:
    """`markup` without the elements a browser does not show; unchanged (the same string) when it has none."""
    if not _MAY_HIDE.search(markup):
        return markup
    try:
        root = lxml.html.fragment_fromstring(markup, create_parent="div")
    except (ValueError, lxml.etree.ParserError):
        return markup
    hidden = [e for e in root.iter() if e is not root and isinstance(e.tag, str) and _is_hidden(e)]
    if not hidden:
        return markup
    for element in hidden:
        if element.getparent() is not None:
            element.drop_tree()  # (its tail text stays: it belongs to the parent)
    parts = [html.escape(root.text or "", quote=False)]
    parts += [str(lxml.html.tostring(child, encoding="unicode", with_tail=True)) for child in root]
    return "".join(parts)


MAX_DEPTH = 1000
"""Elements open at once beyond which HTML is read as text. The HTML parser's time grows with the depth of open
elements at every block that starts (a div, a list, a quotation): quadratic, so 200 KB of nested <div>s took 4 s
a pass, and a hostile 10 MB item hours. Real articles nest a few dozen deep."""
_DEEP_ENOUGH_TO_CHECK = 64 * 1024
"""Below this size even the worst nesting costs little, and the check is skipped."""
_ANY_TAG = re.compile(r"<[^>]*>")
# Void elements, and those a new sibling closes, so they never pile up. "/>" is no exception: the HTML parser
# ignores it on other elements (`<div/>` opens a div).
_NOT_NESTING = frozenset(
    (
        *("area", "base", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "track", "wbr"),
        *("p", "li", "dt", "dd", "option", "optgroup", "tr", "td", "th", "tbody", "thead", "tfoot", "colgroup"),
        *("caption", "rb", "rt", "rp"),
    )
)
_TAG_NAME = re.compile(r"<(/?[A-Za-z][A-Za-z0-9]*)")
"""A tag's name as written, "/" first in an end tag (the ASCII letters and digits after `<` or `</`)."""
_NOT_NESTING_EITHER = frozenset((*_NOT_NESTING, *(f"/{name}" for name in _NOT_NESTING)))
_STEP = {"/": -1, **dict.fromkeys("abcdefghijklmnopqrstuvwxyz", 1)}
"""What a nesting tag does to the depth, by the first character of its name in lower case."""
_FIRST = itemgetter(0)


def words_only(html: str) -> str:
    """`html` without its tags, white space collapsed: what a document nested too deeply is read as."""
    return " ".join(_ANY_TAG.sub(" ", html).split())


def nests_too_deeply(html: str) -> bool:
    """Whether more than `MAX_DEPTH` elements would be open at once, counted from the tags as written (a tag
    inside a comment or a script counts too: that errs towards reading a page as text, never the other way).

    The depth after each tag is the running count of start tags less end tags, where an end tag with nothing open
    closes nothing: a walk held at zero, which is the free running sum less the lowest it has been so far (zero
    included). So it is worked out at C speed (`accumulate`, `map`), not by a Python loop over the 10,000 tags of a
    long article, and mostly from two bounds alone; tests compare it with that loop on random sequences of tags."""
    if len(html) < _DEEP_ENOUGH_TO_CHECK:
        return False
    names = filterfalse(_NOT_NESTING_EITHER.__contains__, map(str.lower, _TAG_NAME.findall(html)))
    sums = list(accumulate(map(_STEP.__getitem__, map(_FIRST, names))))
    highest = max(sums, default=0)
    if highest > MAX_DEPTH:  # (the depth is never below the running sum)
        return True
    if highest - min(0, min(sums, default=0)) <= MAX_DEPTH:  # (nor above its highest less its lowest)
        return False
    lowest = accumulate(sums, min, initial=0)
    next(lowest)  # (the lowest before the first tag; each later one takes in the sum beside it)
    deepest: int = max(map(sub, sums, lowest))
    return deepest > MAX_DEPTH


def sanitise_xml_safe(html: str, base_url: str | None, *, well_formed: bool, fragments: bool = True) -> str:
    """`sanitise_html` of XML-safe `html`; `well_formed` says it is known to be a fixed point after one pass."""
    base = base_url if base_url and _is_absolute_http(base_url) else None
    # ammonia resolves relative href/src values against the base and leaves every other value as it is, so
    # cleaning without a base gives the same result unless a relative one remains: clean with the shared
    # cleaner first, and build one for the base only then (building one costs more than cleaning a short text).
    cleaned = _clean_once(html, None)
    if not fragments and _FRAGMENT_LINK.search(cleaned):
        html = cleaned = _A_WITHOUT_HREF.sub(_unlinked, _FRAGMENT_LINK.sub(r"<a\1", cleaned))
        well_formed = False  # (cleaned once more below, as a fixed point check)
    if base and _RELATIVE_URL.search(cleaned):
        cleaned = _clean_once(html, base)
    if well_formed or cleaned == html or _cleaned_for_good(cleaned):
        return cleaned  # a fixed point: cleaning it again gives it again (and leaves no relative URL to resolve)
    for _ in range(3):
        # Relative URLs are absolute after the first pass, so the later ones need no base: they share one
        # prebuilt cleaner instead of building one per call (which costs more than cleaning a short text).
        again = _clean_once(cleaned, None)
        if again == cleaned:
            break
        cleaned = again
    return cleaned


# What a cleaning pass does after nh3: if none of it would change a pass's output, and nh3 would give that
# output back (`_MAY_REPARSE_OTHERWISE`), a second pass would change nothing. (Searched one by one: as one
# alternation they took twice as long; `cite` values are looked at only where there are some.)
# Each with the text it needs, as in `_clean_once` ("</" for an empty block's end tag).
_CLEAN_UPS = (
    ("<img", _IMG_WITHOUT_SRC),
    ("<a ", _NOT_A_SCHEME),
    (' cite="', _CITE_NOT_HTTP),
    ("<a ", _A_WITHOUT_HREF),
    ("</", _EMPTY_BLOCK),
)
# nh3's output is a parsed tree written out, well nested. Parsing it again builds the same tree except where
# the HTML parser's rules for opening a tag (HTML §13.2.6.4.7, "in body") close or move elements, which a
# tree can only hold once a dropped element (a <marquee>, a stray <td>) left its children behind:
# - a block (p, div, heading, list, hr…) inside a <p>, a heading inside a heading, a link inside a link;
# - an <li> inside an <li>, a <dd>/<dt> inside a <dd>/<dt>, with no list of their own in between (`_LIST_TAG`);
# - table parts (outside a table they are ignored, inside one text moves out) and <pre> (which drops the first
#   line break of its text): left to a second pass, which costs little as they are rare.
_BLOCK_OPENING = r"(?:p|div|section|article|h[2-6]|ul|ol|li|dl|dt|dd|blockquote|hr|figure|figcaption|table|pre)\b"
_MAY_REPARSE_OTHERWISE = re.compile(
    r"<(?:table|caption|thead|tbody|tfoot|tr|th|td|pre)\b"
    rf"|<p{NH3_ATTRS}>(?:[^<]+|<(?!/p>|{_BLOCK_OPENING}))*+<{_BLOCK_OPENING}"
    rf"|<h[2-6]{NH3_ATTRS}>(?:[^<]+|<(?!/h[2-6]>|h[2-6][ >]))*+<h[2-6][ >]"
    r"|<a\b(?:[^<]+|<(?!/a>|a\b))*+<a\b"
)
_LIST_TAG = re.compile(r"<(/?)(li|dd|dt|ul|ol|dl)\b")
_ITEMS = frozenset(("li", "dd", "dt"))


def _cleaned_for_good(cleaned: str) -> bool:
    """Whether cleaning `cleaned`, the output of a cleaning pass, once more would give it back unchanged: then
    the pass that would confirm it is skipped (on the corpus feeds' items, two thirds of the outputs are judged
    final, and sanitising them takes 16% less CPU). Errs towards False, which only costs that pass. Tests
    compare the result with cleaning until stable, on the corpus feeds and on generated markup."""
    if any(literal in cleaned and p.search(cleaned) for literal, p in _CLEAN_UPS):
        return False
    if _H1.search(cleaned):  # (the substring tests for "h1" and "H1" cost more than this search)
        return False
    if _MAY_REPARSE_OTHERWISE.search(cleaned):
        return False
    open_lists: list[str] = []  # the list elements open at each tag, innermost last
    for closing, name in _LIST_TAG.findall(cleaned):
        if closing:
            if not open_lists or open_lists.pop() != name:
                return False
        elif name in _ITEMS and open_lists and open_lists[-1] in _ITEMS:
            return False
        else:
            open_lists.append(name)
    return not open_lists


def _cleaner(base: str | None) -> nh3.Cleaner:
    return nh3.Cleaner(
        tags=set(PUBLISHED_TAGS),
        clean_content_tags=set(DROP_WITH_CONTENT),
        attributes={tag: set(names) for tag, names in _ATTRIBUTES.items()},
        url_schemes=set(_URL_SCHEMES),
        link_rel=_LINK_REL,
        strip_comments=True,
        url_relative=("rewrite_with_base", base) if base else "pass_through",
    )


_WITHOUT_BASE = _cleaner(None)


def _clean_once(html: str, base: str | None) -> str:
    cleaner = _cleaner(base) if base else _WITHOUT_BASE
    cleaned = cleaner.clean(_H1.sub(r"<\1h2", html))
    # Each clean-up runs only where the text it looks for is (a substring test costs a fraction of a regex scan;
    # on nh3's output, tag and attribute names are in lower case).
    if base and ' cite="' in cleaned:
        cleaned = _RELATIVE_CITE.sub(lambda m: m[1] + _absolute_cite(m[2], base), cleaned)
    if "<img" in cleaned:
        cleaned = _IMG_WITHOUT_SRC.sub("", cleaned)
    if ' dir="' in cleaned or ' lang="' in cleaned:
        cleaned = _WITH_DIRECTION_OR_LANGUAGE.sub(_direction_and_language, cleaned)
    if "<a " in cleaned:
        cleaned = _NOT_A_SCHEME.sub(r"<a\1", cleaned)  # unwrapped just below, like any link without a target
    if ' cite="' in cleaned:
        cleaned = _CITE_NOT_HTTP.sub(r"\1", cleaned)  # (nh3 checks the schemes of href and src, not of cite)
    if "<a " in cleaned:
        cleaned = _A_WITHOUT_HREF.sub(_unlinked, cleaned)
    cleaned = _EMPTY_BLOCK.sub("", cleaned)
    if "<pre" in cleaned:
        cleaned = _PRE_FIRST_BREAKS.sub(r"\1", cleaned)
    # (a byte order mark left first, once a link before it is gone, is dropped by the next parse: dropped now, so
    # that the output is a fixed point)
    return _LEADING.sub("", cleaned).rstrip()


# A tag with a `dir` or `lang` attribute, in nh3's output (where no tag starts in text, and a value holds no `"`:
# ` dir="` inside a tag is always an attribute).
_WITH_DIRECTION_OR_LANGUAGE = re.compile(rf'<[a-z][a-z0-9]*{NH3_ATTRS}? (?:dir|lang)="[^"]*"{NH3_ATTRS}>')
_DIRECTION_OR_LANGUAGE = re.compile(r' (dir|lang)="([^"]*)"')
_DIRECTIONS = frozenset(("ltr", "rtl", "auto"))
_LANGUAGE_TAG = re.compile(r"(?:[A-Za-z]{1,8}(?:-[A-Za-z0-9]{1,8})*)?")
"""A language tag as BCP 47 spells one (`ar`, `zh-Hant-TW`), or none (`lang=""`: the language is unknown)."""


def _direction_and_language(tag: re.Match[str]) -> str:
    """A tag with its `dir` one of ltr, rtl and auto (in lower case, as HTML reads it in any) and its `lang` a
    language tag, or without the attribute: neither can hold script, but a value that is no direction or no
    language only misleads a reader's browser or screen reader."""

    def kept(attribute: re.Match[str]) -> str:
        name, value = attribute[1], attribute[2].strip()
        if name == "dir":
            return f' dir="{value.lower()}"' if value.lower() in _DIRECTIONS else ""
        return f' lang="{value}"' if _LANGUAGE_TAG.fullmatch(value) else ""

    return _DIRECTION_OR_LANGUAGE.sub(kept, tag[0])


_ATTRIBUTE = re.compile(r' ([a-z]+)="([^"]*)"')
_BLANK = re.compile(rf"(?:\s|&nbsp;|<br{NH3_ATTRS}>)*")
_BLOCK_INSIDE = re.compile(rf"<{_BLOCK_OPENING}")


def _unlinked(link: re.Match[str]) -> str:
    """A link without a usable target (`_A_WITHOUT_HREF`) as its content, in a `<span>` that keeps the link's
    `dir` and `lang` when it had them (a `<div>` around blocks, where a span may not hold them): an Arabic
    quotation linked to nothing usable still reads right to left inside an English release. The values were
    checked already (`_direction_and_language`); the link's other attributes (its title) go with it. Content
    that is blank has no direction to keep and stays bare, so that an empty block around it is tidied away."""
    kept = "".join(m[0] for m in _ATTRIBUTE.finditer(link[1]) if m[1] in ("dir", "lang"))
    content = link[2]
    if not kept or _BLANK.fullmatch(content):
        return content
    tag = "div" if _BLOCK_INSIDE.search(content) else "span"
    return f"<{tag}{kept}>{content}</{tag}>"


def _absolute_cite(value: str, base: str) -> str:
    resolved = resolve_url(html.unescape(value), base)
    if resolved is None:  # not a URL at all (an unbalanced IPv6 bracket): the quotation keeps no source
        return ""
    return f' cite="{html.escape(resolved, quote=True)}"'


# WHATWG URL Standard, basic URL parser: before anything else, leading and trailing C0 controls and spaces are
# stripped and every ASCII tab and newline is removed; C0 controls left inside are percent-encoded.
_C0_OR_SPACE = "".join(map(chr, range(0x21)))
_TAB_OR_NEWLINE = re.compile("[\t\n\r]")
_C0_CONTROL = re.compile("[\x00-\x1f]")


def resolve_url(value: str, base: str | None) -> str | None:
    """A URL attribute's value (as parsed: character references decoded) read as a browser reads it, and made
    absolute against `base` when there is one; None when it is not a URL at all (`urljoin` refuses it).

    A browser drops tabs and newlines anywhere in a URL and controls or spaces around it, so
    `jav&#9;ascript:alert(1)`, `java<newline>script:` and `&#1; javascript:` are javascript: URLs. Read as written,
    they would be relative paths made absolute on someone's site (`http://HOST/jav%09ascript:…`): read as a browser
    does, the scheme is seen, and sanitising drops the link as it drops any javascript: URL. Every caller that
    makes a URL absolute goes through here (sanitising, a dropped page's links, its canonical URL and image).
    """
    url = _C0_CONTROL.sub(_percent_encoded, _TAB_OR_NEWLINE.sub("", value.strip(_C0_OR_SPACE)))
    if not base:
        return url
    try:
        return urljoin(base, url)
    except ValueError:
        return None


def _percent_encoded(match: re.Match[str]) -> str:
    return f"%{ord(match[0]):02X}"


def _is_absolute_http(url: str) -> bool:
    try:
        parts = urlsplit(url)
    except ValueError:
        return False
    return parts.scheme.lower() in ("http", "https") and bool(parts.netloc)
