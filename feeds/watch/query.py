"""The keyword-rule query language: text → syntax tree, with errors that point at the offending character.

Written for people who do not know regular expressions (QUERY.md is the user's guide). Grammar, with precedence
NOT > AND > OR::

    query   := or EOF
    or      := and (("OR" | "|") and)*
    and     := unary ("AND"? unary)*             juxtaposition is AND
    unary   := ("NOT" | "-") unary | primary     "-" must touch what it excludes
    primary := [field ":"] (word | '"' phrase '"' | "'" phrase "'" | "(" or ")")     (typographic quotes too)

Only upper-case OR/AND/NOT are operators; "or", "Or", "and", "not" are words to look for. Words and phrases are folded
and split by `feeds.watch.text`, so a word written with punctuation (``covid-19``) is a phrase of its parts. A
trailing ``*`` makes the last word a prefix (``sanction*``; at least two characters before it, and not after a Han
character or kana, each a word of its own).

A query that could match an item containing none of its terms (``-iran``, ``iran OR -syria``) is refused: the
matcher finds candidate rules through the terms items contain, and a press officer never wants "everything but".

This module is the parser; `feeds.watch.queryhabits` refuses, in a query being written, what other search
boxes mean differently. The tokens come
from `feeds.watch.querylex`; the tree and its analysis (`anchors`, what the matcher indexes by) are
`feeds.watch.querytree`. What this module must not do: know of items or matching; it is pure.
"""

from __future__ import annotations

from feeds.errors import RuleError
from feeds.watch.queryhabits import check_habits
from feeds.watch.querylex import Tok, lex
from feeds.watch.querytree import And, Field, Node, Not, Or, Term, anchors
from feeds.watch.text import fold_words, is_cjk_word, tokenize

MIN_PREFIX = 2
MAX_DEPTH = 32
"""Parentheses and NOTs nested deeper than this are refused (nobody writes them; recursion has limits)."""


class _Parser:
    def __init__(self, query: str):
        self.query = query
        self.toks = lex(query)
        self.i = 0
        self.depth = 0

    def peek(self) -> Tok:
        return self.toks[self.i]

    def take(self) -> Tok:
        tok = self.toks[self.i]
        self.i += 1
        return tok

    def fail(self, message: str, position: int) -> RuleError:
        return RuleError(message, rule=self.query, position=position)

    def parse(self) -> Node:
        node = self.parse_or()
        tok = self.peek()
        if tok.kind == ")":
            raise self.fail("this ')' has no matching '('", tok.pos)
        if node is None:
            raise self.fail("the query is empty", 0)
        return node

    def parse_or(self) -> Node | None:
        first = self.parse_and()
        if first is None:
            tok = self.peek()
            if tok.kind == "OR":
                raise self.fail("OR needs something to match before it", tok.pos)
            return None
        parts: list[Node] = list(first.children) if isinstance(first, Or) else [first]
        while self.peek().kind == "OR":
            op = self.take()
            nxt = self.parse_and()
            if nxt is None:
                if self.peek().kind == "OR":
                    raise self.fail("OR needs something to match before it", self.peek().pos)
                raise self.fail("OR needs something to match after it", op.pos)
            parts.extend(nxt.children if isinstance(nxt, Or) else (nxt,))
        return parts[0] if len(parts) == 1 else Or(tuple(parts))

    def parse_and(self) -> Node | None:
        parts: list[Node] = []
        while True:
            tok = self.peek()
            if tok.kind == "AND":
                if not parts:
                    raise self.fail("AND needs something to match before it", tok.pos)
                self.take()
                node = self.parse_unary()
                if node is None:
                    raise self.fail("AND needs something to match after it", tok.pos)
            else:
                node = self.parse_unary()
                if node is None:
                    break
            parts.extend(node.children if isinstance(node, And) else (node,))
        if not parts:
            return None
        return parts[0] if len(parts) == 1 else And(tuple(parts))

    def nest(self, tok: Tok) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise self.fail(f"more than {MAX_DEPTH} levels of parentheses and NOTs", tok.pos)

    def parse_unary(self) -> Node | None:
        tok = self.peek()
        if tok.kind != "NOT":
            return self.parse_primary()
        self.take()
        self.nest(tok)
        node = self.parse_unary()
        self.depth -= 1
        if node is None:
            what = "'-'" if tok.value == "-" else "NOT"
            raise self.fail(f"{what} needs a word, phrase or (group) to exclude after it", tok.pos)
        return node.child if isinstance(node, Not) else Not(node, tok.pos)

    def parse_primary(self) -> Node | None:
        tok = self.peek()
        if tok.kind == "scope":
            self.take()
            nxt = self.peek()
            if nxt.kind not in ("word", "phrase", "("):
                raise self.fail(f"'{tok.value}:' must be followed directly by a word, phrase or (group)", nxt.pos)
            node = self.parse_primary()
            assert node is not None  # a word, phrase or group always parses or raises
            return _scoped(node, tok.value)  # type: ignore[arg-type]
        if tok.kind == "(":
            self.take()
            self.nest(tok)
            inner = self.parse_or()
            self.depth -= 1
            close = self.peek()
            if close.kind != ")":
                raise self.fail("this '(' is never closed", tok.pos)
            if inner is None:
                raise self.fail("empty parentheses", close.pos)
            self.take()
            return inner
        if tok.kind == "word":
            self.take()
            return self.term(tok.value, tok.pos, tok.pos, phrase=False)
        if tok.kind == "phrase":
            self.take()
            return self.term(tok.value, tok.pos + 1, tok.pos, phrase=True)
        return None

    def term(self, raw: str, offset: int, position: int, *, phrase: bool) -> Term:
        """Fold `raw` (found at `offset` in the query) into a term; `position` is where the term starts."""
        shown = f'"{raw}"' if phrase else raw
        body, prefix = raw, False
        star = raw.find("*")
        if star >= 0:
            stripped = raw.rstrip()
            if star != len(stripped) - 1:
                if phrase and raw[star + 1 : star + 2].isspace():  # "nor* korea": it does end a word, not the phrase
                    raise self.fail(
                        "'*' is only allowed at the end of a word, and in a phrase, only at the end of its last word:"
                        ' "north kor*"',
                        offset + star,
                    )
                raise self.fail("'*' is only allowed at the end of a word", offset + star)
            body, prefix = raw[:star], True
            tokens = tokenize(body)
            if not tokens or tokens[-1].end != len(body):
                raise self.fail("'*' must come straight after a letter or digit", offset + star)
            if is_cjk_word(tokens[-1].text):
                # Each Han character and kana is a word, so "2 letters" would be wrong twice over: 北京* has two,
                # and the * would end a one-character word. Say why, and what to write instead.
                kind, each = (
                    ("a Chinese or Japanese character", "each Han character and kana")
                    if tokens[-1].text[0] >= "\u3040"
                    else ("a Thai, Lao, Burmese or Khmer letter", "each letter, with its vowel signs and tone marks,")
                )
                raise self.fail(
                    f"a wildcard cannot follow {kind} ({each} is a word of its own, and '{body.strip()}' already"
                    " matches inside longer words): write it without '*'",
                    offset + star,
                )
            if len(tokens[-1].text) < MIN_PREFIX:
                raise self.fail(f"a wildcard needs at least {MIN_PREFIX} letters before '*'", offset + star)
        words = tuple(fold_words(body))
        if not words:
            what = (
                "this phrase is empty"
                if phrase and not raw.strip()
                else f"{shown} has no letters or digits to match: leave it out, or write a word"
            )
            raise self.fail(what, position)
        return Term(words, prefix, None, shown, position)


def _scoped(node: Node, field: Field) -> Node:
    """Give `field` to every term below that has no field of its own (an inner scope wins)."""
    if isinstance(node, Term):
        return node if node.field else Term(node.words, node.prefix, field, node.text, node.position)
    if isinstance(node, Not):
        return Not(_scoped(node.child, field), node.position)
    children = tuple(_scoped(c, field) for c in node.children)
    return And(children) if isinstance(node, And) else Or(children)


def _first_not(node: Node) -> int:
    if isinstance(node, Not):
        return node.position
    if isinstance(node, Term):
        return -1
    return next((p for p in (_first_not(c) for c in node.children) if p >= 0), -1)


def parse_query(query: str) -> Node:
    """Parse a keyword query; raises `RuleError` (with the 0-based `position` of the problem) when it is invalid.

    A saved rule's query is read with this; one being written now, with `check_query`."""
    node = _Parser(query).parse()
    if anchors(node) is None:
        raise RuleError(
            "the query can match items that contain none of its words (it only excludes); add a word to look for",
            rule=query,
            position=max(_first_not(node), 0),
        )
    return node


def check_query(query: str) -> Node:
    """Parse a query being written now (`keywords add`, `edit`, `test`, the config file): as `parse_query`, and
    refusing the habits of other search boxes that would silently mean something else here (`iran or syria`,
    `!rumour`, `NEAR/3`, `site:`; `feeds.watch.queryhabits`), with what to write instead."""
    check_habits(query, lex(query))
    return parse_query(query)
