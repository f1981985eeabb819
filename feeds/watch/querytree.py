"""The syntax tree of a keyword query, and what can be read off it without an item.

`feeds.watch.query` builds these trees from text; `feeds.watch.match` compiles them. The nodes are frozen and
top-level, so a compiled matcher holding them pickles to the worker processes (`feeds.watch.matching`).
The walkers here say which terms a query has (`terms_of`), whether it is true given which terms are present
(`evaluate`, the reference semantics), which terms made it true (`satisfying_terms`), and which terms an item
must contain for it to be true at all (`anchors`, what the matcher indexes by).

What this module must not do: read query text (the lexer and parser do), or look at items (the matcher does).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

Field = Literal["title", "summary", "content", "author", "feed", "link"]
FIELDS: tuple[Field, ...] = ("title", "summary", "content", "author", "feed", "link")
DEFAULT_FIELDS: tuple[Field, ...] = ("title", "summary", "content")
"""Where a term without a field scope is looked for: the text of the item, not its byline, source or URL."""


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
