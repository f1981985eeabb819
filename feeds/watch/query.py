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

This module is pure and knows nothing of items or matching; `anchors` is the analysis the matcher indexes by.
"""

from __future__ import annotations

import difflib
import itertools
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from feeds.errors import RuleError
from feeds.watch.text import fold_words, is_cjk_word, tokenize

Field = Literal["title", "summary", "content", "author", "feed", "link"]
FIELDS: tuple[Field, ...] = ("title", "summary", "content", "author", "feed", "link")
DEFAULT_FIELDS: tuple[Field, ...] = ("title", "summary", "content")
"""Where a term without a field scope is looked for: the text of the item, not its byline, source or URL."""

MIN_PREFIX = 2
MAX_DEPTH = 32
"""Parentheses and NOTs nested deeper than this are refused (nobody writes them; recursion has limits)."""


@dataclass(frozen=True, slots=True)
class Term:
    """A word or phrase to find: `words` are folded; when `prefix`, the last word may be the start of a longer one."""

    words: tuple[str, ...]
    prefix: bool
    field: Field | None
    """The scope written in the query (``title:``); None means `DEFAULT_FIELDS`."""
    text: str
    """As written, without scope or negation: what messages and hits show."""
    position: int

    @property
    def fields(self) -> tuple[Field, ...]:
        return DEFAULT_FIELDS if self.field is None else (self.field,)


@dataclass(frozen=True, slots=True)
class Not:
    child: Node
    position: int


@dataclass(frozen=True, slots=True)
class And:
    children: tuple[Node, ...]


@dataclass(frozen=True, slots=True)
class Or:
    children: tuple[Node, ...]


Node = Term | Not | And | Or


def describe(node: Node) -> str:
    """A canonical one-line form of the tree, e.g. ``AND(title:iran, OR("north korea", sanction*), NOT(x))``."""
    if isinstance(node, Term):
        body = " ".join(node.words) + ("*" if node.prefix else "")
        if len(node.words) > 1:
            body = f'"{body}"'
        return f"{node.field}:{body}" if node.field else body
    if isinstance(node, Not):
        return f"NOT({describe(node.child)})"
    name = "AND" if isinstance(node, And) else "OR"
    return f"{name}({', '.join(describe(c) for c in node.children)})"


def terms_of(node: Node) -> tuple[tuple[Term, bool], ...]:
    """Every term in query order, with True when it is excluded (under an odd number of NOTs)."""
    out: list[tuple[Term, bool]] = []

    def walk(n: Node, negated: bool) -> None:
        if isinstance(n, Term):
            out.append((n, negated))
        elif isinstance(n, Not):
            walk(n.child, not negated)
        else:
            for c in n.children:
                walk(c, negated)

    walk(node, False)
    return tuple(out)


def evaluate(node: Node, present: Callable[[Term], bool]) -> bool:
    """The truth of `node` when `present` says which terms the item contains (the reference semantics)."""
    if isinstance(node, Term):
        return present(node)
    if isinstance(node, Not):
        return not evaluate(node.child, present)
    results = (evaluate(c, present) for c in node.children)
    return all(results) if isinstance(node, And) else any(results)


def satisfying_terms(node: Node, present: Callable[[Term], bool]) -> list[Term]:
    """The positive terms that make a true `node` true (all of an AND, the true branches of an OR)."""
    if isinstance(node, Term):
        return [node]
    if isinstance(node, Not):
        return []
    out: list[Term] = []
    for c in node.children:
        if isinstance(c, Term):
            if present(c):
                out.append(c)
        elif evaluate(c, present):
            out.extend(satisfying_terms(c, present))
    return out


def anchors(node: Node, cost: Callable[[Term], float] | None = None, negated: bool = False) -> frozenset[Term] | None:
    """Terms of which at least one must be present for `node` to be true; None when it can be true without any.

    Negation is pushed inward (De Morgan) as we go: an OR needs an anchor in every branch, an AND in one child:
    the one whose anchors have the lowest total `cost` (default `term_cost`), so that the matcher considers
    the rule only for items that contain one of its least common terms.
    """
    if isinstance(node, Term):
        return None if negated else frozenset((node,))
    if isinstance(node, Not):
        return anchors(node.child, cost, not negated)
    found = [anchors(c, cost, negated) for c in node.children]
    if isinstance(node, Or) != negated:  # an OR, or a negated AND (= OR of negations)
        if any(a is None for a in found):
            return None
        return frozenset().union(*(a for a in found if a is not None))
    usable = [a for a in found if a is not None]
    if not usable:
        return None
    weigh = cost or term_cost
    return min(usable, key=lambda a: sum(weigh(t) for t in a))


def term_cost(term: Term) -> float:
    """A guess at how common a term is, without statistics: long words and phrases are rare, while feed names
    and URL words recur on every item of a feed."""
    cost = 1.0 / (max(len(w) for w in term.words) + 3 * (len(term.words) - 1))
    if term.prefix and len(term.words) == 1:
        cost *= 2
    if term.field in ("feed", "link"):
        cost *= 8
    return cost


# --- lexer --------------------------------------------------------------------------------------------------

_SCOPE = re.compile(r"([A-Za-z]+):")
# Quotes and dashes as word processors and mail programs write them: a rule pasted from a document means what it
# says ("–rumour" excludes, “north korea” is a phrase; „…“ and «…» too). Any of the closing quotes ends a phrase.
_QUOTES = '"“”„«»'
_CLOSING_QUOTES = '"“”«»'
_DASHES = "-\u2013\u2014\u2212"  # hyphen-minus, en dash, em dash, minus sign
_SPECIAL = "()|" + _QUOTES
# Single quotes, as British style writes a quotation ('north korea', ‘north korea’), are a phrase's quotes too, where
# they can be nothing else: one opening a term, one closing it after its last word. Elsewhere a ' or ’ is an
# apostrophe (korea's, o'brien), which separates words as in any text.
_SINGLE_OPENING = "'\u2018"
_SINGLE_CLOSING = "'\u2019"


def _single_quoted(query: str, i: int) -> int:
    """Where the single quote opening a term at `i` closes: a ' or ’ after a word's last character, followed by
    a space, a ')' or '|', or the end of the query. -1 when none does before a parenthesis or double quote (a
    lone quote mark is punctuation, as it was before single quotes made phrases)."""
    n = len(query)
    for k in range(i + 1, n):
        ch = query[k]
        if ch in _SPECIAL:
            return -1
        if (
            ch in _SINGLE_CLOSING
            and not query[k - 1].isspace()
            and k > i + 1
            and (k + 1 == n or query[k + 1].isspace() or query[k + 1] in ")|")
        ):
            return k
    return -1


@dataclass(frozen=True, slots=True)
class _Tok:
    kind: Literal["word", "phrase", "(", ")", "OR", "AND", "NOT", "scope", "end"]
    value: str
    pos: int
    end: int


def _lex(query: str) -> list[_Tok]:
    toks: list[_Tok] = []
    i, n = 0, len(query)
    after_scope = False
    while i < n:
        ch = query[i]
        if ch.isspace():
            i += 1
            continue
        glued = after_scope  # this token touches the scope before it
        after_scope = False
        if ch in "()|":
            toks.append(_Tok("OR" if ch == "|" else ch, ch, i, i + 1))  # type: ignore[arg-type]
            i += 1
        elif ch in _QUOTES:
            close = next((k for k in range(i + 1, n) if query[k] in _CLOSING_QUOTES), -1)
            if close < 0:
                raise RuleError("this quote is never closed", rule=query, position=i)
            toks.append(_Tok("phrase", query[i + 1 : close], i, close + 1))
            i = close + 1
        elif ch in _SINGLE_OPENING and (close := _single_quoted(query, i)) > 0:
            toks.append(_Tok("phrase", query[i + 1 : close], i, close + 1))
            i = close + 1
        elif ch in _DASHES:
            if glued:
                raise RuleError("put '-' before the field to exclude it, as in -title:word", rule=query, position=i)
            if i + 1 >= n or query[i + 1].isspace() or query[i + 1] in ")|":
                raise RuleError("write '-' directly before the word it excludes", rule=query, position=i)
            toks.append(_Tok("NOT", "-", i, i + 1))
            i += 1
        else:
            j = i
            while j < n and not query[j].isspace() and query[j] not in _SPECIAL:
                j += 1
            run = query[i:j]
            scope = _SCOPE.match(run)
            if glued and scope and scope.group(1).lower() in FIELDS:
                raise RuleError(
                    "a term has one field: write title:iran, or (title:iran OR summary:iran)", rule=query, position=i
                )
            scope = None if glued else scope
            if scope:
                name = scope.group(1).lower()
                if name not in FIELDS:
                    raise RuleError(_unknown_field(name), rule=query, position=i)
                j = i + scope.end()
                if j >= n or query[j].isspace() or query[j] in ")|":
                    raise RuleError(
                        f"'{name}:' must be followed directly by a word, phrase or (group)", rule=query, position=j
                    )
                toks.append(_Tok("scope", name, i, j))
                after_scope = True
            elif run in ("OR", "AND", "NOT"):
                toks.append(_Tok(run, run, i, j))  # type: ignore[arg-type]
            else:
                toks.append(_Tok("word", run, i, j))
            i = j
    toks.append(_Tok("end", "", n, n))
    return toks


def _unknown_field(name: str) -> str:
    guess = difflib.get_close_matches(name, FIELDS, n=1, cutoff=0.6)
    hint = f"did you mean '{guess[0]}:'?" if guess else "fields are " + ", ".join(f"{f}:" for f in FIELDS)
    return f"unknown field '{name}:' ({hint}); to search for text with a colon, put it in \"quotes\""


# --- parser -------------------------------------------------------------------------------------------------


class _Parser:
    def __init__(self, query: str):
        self.query = query
        self.toks = _lex(query)
        self.i = 0
        self.depth = 0

    def peek(self) -> _Tok:
        return self.toks[self.i]

    def take(self) -> _Tok:
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

    def nest(self, tok: _Tok) -> None:
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
                raise self.fail(
                    "a wildcard cannot follow a Chinese or Japanese character (each Han character and kana is a word"
                    f" of its own, and '{body.strip()}' already matches inside longer words): write it without '*'",
                    offset + star,
                )
            if len(tokens[-1].text) < MIN_PREFIX:
                raise self.fail(f"a wildcard needs at least {MIN_PREFIX} letters before '*'", offset + star)
        words = tuple(fold_words(body))
        if not words:
            what = (
                "this phrase is empty" if phrase and not raw.strip() else f"{shown} has no letters or digits to match"
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
    """Parse a keyword query; raises `RuleError` (with the 0-based `position` of the problem) when it is invalid."""
    node = _Parser(query).parse()
    if anchors(node) is None:
        raise RuleError(
            "the query can match items that contain none of its words (it only excludes); add a word to look for",
            rule=query,
            position=max(_first_not(node), 0),
        )
    return node


_QUOTED = re.compile(r"[\"“”„«»][^\"“”„«»]*[\"“”„«»]?")
# Any casing of an operator's name: those not all in capitals are the words the notes are about.
_OPERATOR_WORD = re.compile(r"(?<![\w:-])(?i:(or|and|not))(?![\w*])")


def query_notes(query: str) -> list[str]:
    """What a press officer may not mean, though the query is valid: `or`, `and`, `not` in any casing but
    capitals are words to find ("iran or syria" needs all three words), not the operators OR, AND, NOT. `Or` and
    `And` (a sentence's capital, Shift held too briefly) are the same mistake as `or`, and as silent without a note.
    So is a '!' before a word, phrase or group: punctuation here, so `!rumour` looks for "rumour"."""
    bangs: list[str] = []
    try:
        bare = query
        toks = _lex(query)
        for tok, nxt in itertools.pairwise(toks):
            if tok.kind == "phrase":  # inside quotes, single or double, it is plainly a word of the phrase
                bare = bare[: tok.pos] + " " * (tok.end - tok.pos) + bare[tok.end :]
            elif tok.kind == "word" and tok.value.startswith("!"):
                bangs.append(_bang_note(tok.value.lstrip("!"), query[nxt.pos : nxt.end], glued=nxt.pos == tok.end))
    except RuleError:
        bare = _QUOTED.sub(" ", query)
    words = dict.fromkeys(w for m in _OPERATOR_WORD.finditer(bare) if (w := m.group(1)) not in ("OR", "AND", "NOT"))
    return [
        *(
            f"'{w}' {'in lower case' if w.islower() else 'not in capitals'} is a word the item must contain, not the "
            f"operator: write {w.upper()} for that"
            for w in words
        ),
        *dict.fromkeys(b for b in bangs if b),
    ]


def _bang_note(word: str, following: str, *, glued: bool) -> str:
    """The note on a '!' before a word, phrase or group: other search boxes exclude with it, this language reads
    it as punctuation and looks for what follows (the opposite of what was meant). "" when nothing follows it."""
    if word[:1].isalnum():
        what, shown = f"'{word}'", word
    elif word:
        return ""
    elif glued and following == "(":
        what, shown = "what is inside", "(…)"
    elif glued and following[:1] and following[0] in _QUOTES + _SINGLE_OPENING:
        what, shown = following, following
    else:
        return ""
    return f"'!{shown}' looks for {what} ('!' is punctuation, not an operator): write -{shown} to exclude it"
