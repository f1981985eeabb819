"""Release bodies written in Markdown, rendered to the HTML we publish, and inline Markdown read as plain text.

CommonMark with GitHub-style tables and footnotes (markdown-it-py, mdit-py-plugins), raw HTML allowed and then
cleaned by `sanitise.py` like any other; web and e-mail addresses written as text are links, as in a plain-text
body (`autolink.py`). Markdown that is nothing but paragraphs of prose (most bodies pushed as
JSON) takes a fast path that builds the same bytes without markdown-it or nh3 (`_is_plain_prose`).

What this module must not do: hand back HTML that has not been through the sanitiser (plain prose excepted, which
it would leave as it is), fetch anything, or keep state between calls (the renderers are configured at import).
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Sequence

from markdown_it import MarkdownIt
from markdown_it.common.normalize_url import validateLink
from markdown_it.renderer import RendererHTML
from markdown_it.rules_core import StateCore
from markdown_it.rules_inline import StateInline
from markdown_it.token import Token
from markdown_it.utils import EnvType, OptionsDict
from mdit_py_plugins.footnote import footnote_plugin

from feeds.normalise.autolink import addresses, linkify, may_hold_address
from feeds.normalise.htmltext import clean_html_to_text, html_to_text
from feeds.normalise.sanitise import nests_too_deeply, sanitise_xml_safe, words_only
from feeds.normalise.text import collapse, holds_any, known_xml_safe, windows_1252_controls, xml_safe

__all__ = ["markdown_inline_text", "markdown_to_html", "render_markdown"]


def _footnote_ref(self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
    """A footnote reference as its number in brackets, superscript (`<sup>[1]</sup>`), without the plugin's link to
    the note: ids are not published (sanitising drops them, and feed readers show many entries on one page), and
    `#fn1` resolved against the release's link or the site would lead to another page."""
    return f"<sup>[{tokens[idx].meta['id'] + 1}]</sup>"


def _footnote_block_open(
    self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType
) -> str:
    return "<hr>\n<section>\n<ol>\n"  # (numbered in the order of the references: item n is note [n])


def _no_backref(self: RendererHTML, tokens: Sequence[Token], idx: int, options: OptionsDict, env: EnvType) -> str:
    return ""  # the "↩" link back to the reference, which needs the ids that are not published


_C1_REFERENCE = re.compile(r"&#(?:1(?:2[89]|[3-5][0-9])|[xX]0*[89][0-9a-fA-F]);")


def _windows_1252_references(state: StateCore) -> None:
    """A numeric reference to a C1 control (`&#146;`) as HTML reads it, the Windows-1252 character of its byte (or
    nothing for the five it leaves undefined), where markdown-it gives U+FFFD: the same reference reads "’" in a
    title and in an HTML body, and "It�s" stood in a Markdown one. (A core rule between `inline`, which makes the
    reference a token of its own, and `text_join`; a reference in a code span is text there, and stays.)"""
    for token in state.tokens:
        for child in token.children or ():
            if child.type == "text_special" and child.info == "entity" and _C1_REFERENCE.fullmatch(child.markup):
                child.content = windows_1252_controls(html.unescape(child.markup))


class _EveryLinkParsed(MarkdownIt):
    """markdown-it refuses a link to a `javascript:`, `vbscript:`, `file:` or `data:` URL by not parsing it:
    `[x](javascript:alert(1))` was published as that Markdown, as text. Every link is parsed here, and
    `_refused_links_as_text` then keeps only the text of those markdown-it refuses, which never reach the HTML."""

    def validateLink(self, url: str) -> bool:  # (markdown-it's name)
        return True


def _refused_links_as_text(state: StateCore) -> None:
    """A link to a URL markdown-it refuses (`validateLink`) as its text, without the link: `[x](javascript:…)` is
    "x"; an image so addressed as its alternative text. (A core rule after `inline`, which makes the link tokens.)"""
    for token in state.tokens:
        if not token.children:
            continue
        kept: list[Token] = []
        refused: list[bool] = []  # for each link open here: whether its close is to be left out too
        for child in token.children:
            if child.type == "link_open":
                refused.append(not validateLink(str(child.attrGet("href") or "")))
                if refused[-1]:
                    continue
            elif child.type == "link_close" and refused and refused.pop():
                continue
            elif child.type == "image" and not validateLink(str(child.attrGet("src") or "")):
                kept += child.children or ()
                continue
            kept.append(child)
        token.children = kept


_LINK_HTML = re.compile(r"<a[\s>]", re.IGNORECASE)


def _linked_addresses(state: StateCore) -> None:
    """Web and e-mail addresses written as text (`press@coastal.gov.uk`, `www.gov.uk/coast`) as links, exactly
    those a plain-text release links (`autolink.addresses`): the same body in either format reads the same. Not
    in a link already (Markdown's, an autolink or raw HTML `<a>`), nor in code. (A core rule after `text_join`,
    when escapes and references are text like the rest.)"""
    if not may_hold_address(state.src):
        return
    for token in state.tokens:
        if not token.children:
            continue
        children: list[Token] = []
        depth = 0  # inside how many links
        for child in token.children:
            if child.type == "link_open" or (child.type == "html_inline" and _LINK_HTML.match(child.content)):
                depth += 1
            elif child.type == "link_close" or (child.type == "html_inline" and child.content[:3].lower() == "</a"):
                depth = max(depth - 1, 0)
            elif child.type == "text" and depth == 0 and (found := addresses(child.content)):
                children += _with_links(child, found)
                continue
            children.append(child)
        token.children = children


def _with_links(text: Token, found: list[tuple[int, int, str]]) -> list[Token]:
    """The text token `text` as text and link tokens, one link for each (start, end, href) `found` in it."""
    content, out, position = text.content, [], 0
    for start, end, href in found:
        if start > position:
            out.append(_text_token(content[position:start], text.level))
        opening = Token("link_open", "a", 1, level=text.level, markup="linkify", info="auto")
        opening.attrs = {"href": href}
        out += [opening, _text_token(content[start:end], text.level + 1)]
        out.append(Token("link_close", "a", -1, level=text.level, markup="linkify", info="auto"))
        position = end
    if position < len(content):
        out.append(_text_token(content[position:], text.level))
    return out


def _text_token(content: str, level: int) -> Token:
    return Token("text", "", 0, level=level, content=content)


_BRACKET_RULES = ("link", "image", "footnote_inline", "footnote_ref")


def _guard_bracket_rules(md: MarkdownIt) -> None:
    """Make markdown-it's rules for what opens with `[` (links, images, footnotes) give up at once when no `]`
    follows: each scans for its closing bracket to the end of the paragraph, so a paragraph of `[` (200 KB of
    them in a mistaken export) took minutes, quadratic in its length. Without a `]` they would fail anyway."""
    names = {rule.name for rule in md.inline.ruler.__rules__}
    for name in _BRACKET_RULES:
        if name in names:
            rule = md.inline.ruler.__rules__[md.inline.ruler.__find__(name)].fn
            md.inline.ruler.at(name, _closing_bracket_follows(rule))


def _closing_bracket_follows(rule: Callable[[StateInline, bool], bool]) -> Callable[[StateInline, bool], bool]:
    def guarded(state: StateInline, silent: bool) -> bool:
        # The last `]` of the inline source, found once for each state (the rules run at every `[`).
        last = getattr(state, "feeds_last_bracket", None)
        if last is None:
            last = state.src.rfind("]")
            state.feeds_last_bracket = last  # type: ignore[attr-defined]
        return last > state.pos and rule(state, silent)

    return guarded


# CommonMark, GitHub-style tables, and footnotes (`text[^1]` … `[^1]: note`, Pandoc's syntax), rendered as markup
# the sanitiser keeps: `<sup>[1]</sup>` and a numbered list of notes at the end, after a rule.
_MARKDOWN = _EveryLinkParsed("commonmark", {"html": True}).enable("table").use(footnote_plugin)
_MARKDOWN.add_render_rule("footnote_ref", _footnote_ref)
_MARKDOWN.add_render_rule("footnote_block_open", _footnote_block_open)
_MARKDOWN.add_render_rule("footnote_anchor", _no_backref)
_MARKDOWN.core.ruler.after("text_join", "linked_addresses", _linked_addresses)
# Inline Markdown in a summary (plain text): no raw HTML, so "a <tags> list" keeps its words.
_MARKDOWN_INLINE = _EveryLinkParsed("commonmark", {"html": False})
for _md in (_MARKDOWN, _MARKDOWN_INLINE):
    _md.core.ruler.after("inline", "windows_1252_references", _windows_1252_references)
    _md.core.ruler.after("inline", "refused_links_as_text", _refused_links_as_text)
    _guard_bracket_rules(_md)


def markdown_inline_text(text: str) -> str:
    """Inline Markdown as the text it shows, on one line: `*stars*` → `stars`, `[link](https://…)` → `link`,
    `` `code` `` → `code`, `\\*` → `*` (a summary written in Markdown, where summaries are plain text)."""
    source = xml_safe(text)
    if _SYNTAX_CHAR.search(source) is None:
        return collapse(source)
    return collapse(html_to_text(_MARKDOWN_INLINE.renderInline(source)))


def markdown_to_html(text: str, base_url: str | None = None) -> str:
    """CommonMark (plus GitHub-style tables and footnotes) → sanitised HTML. Raw HTML in the input is allowed,
    then cleaned; relative links are resolved against `base_url` when given, as in `sanitise_html`."""
    return render_markdown(text, base_url)[0]


def render_markdown(text: str, base_url: str | None = None, *, fragments: bool = True) -> tuple[str, str]:
    """`markdown_to_html(text, base_url)` and the plain text of that HTML (`clean_html_to_text` of it).

    Markdown that is nothing but paragraphs of prose (what most releases pushed with a JSON `body` are) is
    built directly: it would render to `<p>` elements of text, which sanitising leaves as they are, and its
    text is its paragraphs with white space collapsed. Anything else goes through markdown-it and nh3.
    """
    source = xml_safe(text)
    if _is_plain_prose(source):
        paragraphs = _PARAGRAPH_BREAK.split(source.strip("\n"))
        # (linkify escapes nothing here: plain prose holds no "&", "<" or ">")
        shown = map(linkify, paragraphs) if may_hold_address(source) else paragraphs
        # (both are the safe source's words and spaces, in tags and links: `make_summary` reads the text next, and
        # the content hash writes the HTML as JSON, with no scan of either)
        html = known_xml_safe("\n".join(f"<p>{p}</p>" for p in shown if p))
        return html, known_xml_safe("\n\n".join(_collapse_prose(p) for p in paragraphs if p))
    # Without "<" there is no raw HTML (and no autolink) in the source, so the renderer's output is markup
    # it built itself: well nested, so one nh3 pass is already stable (tests check this on generated input).
    rendered = xml_safe(_MARKDOWN.render(source))  # character references can name what XML forbids ("&#12;")
    if "<" in source and nests_too_deeply(rendered):  # raw HTML in the Markdown (its own nesting is capped)
        rendered = words_only(rendered)
    html = sanitise_xml_safe(rendered, base_url, well_formed="<" not in source, fragments=fragments)
    return html, clean_html_to_text(html)


def _is_plain_prose(source: str) -> bool:
    """True when `source` is nothing but paragraphs of prose, as Markdown: no character that a construct enabled
    above starts with (inline: \\ ` * _ [ ] ! < & ; block: > # = ~ | anywhere, and - + a digit or indentation
    at the start of a line), no trailing space (two make a hard break), no white space but spaces and line
    breaks (tabs indent; the others are trimmed from paragraph ends), and no ">" or "&", which the serialiser
    escapes. Deliberately wider than needed: whatever it lets through renders the same either way."""
    # (ASCII, the usual case: C-speed searches for each character instead of a regex scan)
    has_syntax = holds_any(source, _SYNTAX_ASCII) if source.isascii() else _SYNTAX_CHAR.search(source) is not None
    return (
        not has_syntax
        and _SYNTAX_LINE_START.search(source) is None
        and " \n" not in source
        and not source.endswith(" ")
        and not source.startswith((" ", "+", "-", *"0123456789"))
    )


# All the characters `str.isspace` accepts but " " and "\n" (tests/test_normalise_markdown.py checks the list).
_OTHER_WHITE_SPACE = (
    "\t\r\x0b\x0c\x1c\x1d\x1e\x1f\x85\xa0\u1680"
    + "".join(map(chr, range(0x2000, 0x200B)))
    + ("\u2028\u2029\u202f\u205f\u3000")
)
_SYNTAX_CHAR = re.compile("[" + re.escape("\\`*_[]!<>&#=~|" + _OTHER_WHITE_SPACE) + "]")
_SYNTAX_ASCII = "".join(c for c in "\\`*_[]!<>&#=~|" + _OTHER_WHITE_SPACE if c.isascii())


def _collapse_prose(paragraph: str) -> str:
    """`collapse(paragraph)` for a paragraph of plain prose (`_is_plain_prose`): its only white space is spaces
    and line breaks, none of them at its ends or before or after a line break, so joining its lines is enough
    unless two spaces meet."""
    return paragraph.replace("\n", " ") if "  " not in paragraph else collapse(paragraph)


_SYNTAX_LINE_START = re.compile(r"\n[ +\-0-9]")
_PARAGRAPH_BREAK = re.compile(r"\n\n+")  # not `\n{2,}`, which the regex engine cannot scan for quickly
