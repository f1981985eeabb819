"""Explaining one keyword query against one item, for `feeds keywords test`: which terms were found where, and
what decided the result (the term that was missing, the excluded term that vetoed it).

It compiles the query with `feeds.watch.match` and asks the compiled matcher which terms the item contains
(`Matcher.scan`) and where (`Scan.hits`), so that terms and offsets are those the watch finds; it then walks the
tree (`feeds.watch.querytree`) to say why, which is slow and done only for the items a person looks at.

What this module must not do: be used by the watch's matching of items (it is for one query and one item at a
time), or decide a match differently from `feeds.watch.match`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from feeds.watch.match import MatchInput, TermHit, compile_rules
from feeds.watch.query import MIN_PREFIX, parse_query
from feeds.watch.querytree import Field, Node, Not, Term, describe, evaluate, satisfying_terms, terms_of
from feeds.watch.text import is_cjk_word, tokenize


@dataclass(frozen=True, slots=True)
class TermReport:
    """One term of the query: where it was looked for and every place it was found."""

    term: str
    fields: tuple[Field, ...]
    excluded: bool
    hits: tuple[TermHit, ...]


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why a query did or did not match an item, in words a press officer can act on."""

    query: str
    parsed: str
    matched: bool
    terms: tuple[TermReport, ...]
    reasons: tuple[str, ...]

    def __str__(self) -> str:
        lines = [
            f"query:  {self.query}",
            f"parsed: {self.parsed}",
            f"result: {'MATCH' if self.matched else 'no match'}",
        ]
        lines += [f"  {r}" for r in self.reasons]
        return "\n".join(lines)


_CONTEXT = 30
"""Characters of text shown either side of a hit (then cut back to whole words)."""


def _where(hits: Sequence[TermHit], item: MatchInput) -> str:
    """Each field a term was found in, with the words around its first hit there (the hit in [brackets]) and how
    many more it has: `title: "New [sanctions] on Iran", summary: "…imposed [sanctions] against…" (and 2 more)`."""
    fields: dict[str, list[TermHit]] = {}
    for h in hits:
        fields.setdefault(h.field, []).append(h)
    return ", ".join(
        f'{field}: "{_snippet(getattr(item, field), found[0].start, found[0].end)}"'
        + (f" (and {len(found) - 1} more)" if len(found) > 1 else "")
        for field, found in fields.items()
    )


def _snippet(text: str, start: int, end: int) -> str:
    """`text[start:end]` in [brackets] with about `_CONTEXT` characters either side, cut at whole words (… where
    text was left out), on one line."""
    a, b = max(0, start - _CONTEXT), min(len(text), end + _CONTEXT)
    before, after = text[a:start], text[end:b]
    if a > 0:
        cut = re.search(r"\s+", before)
        before = "…" + (before[cut.end() :] if cut else before)
    if b < len(text):
        spaces = [m.start() for m in re.finditer(r"\s+", after)]
        after = (after[: spaces[-1]] if spaces else after) + "…"
    return " ".join(f"{before}[{text[start:end]}]{after}".split())


_QUOTES = "\"'“”„‟«»‘’‚‛"


_STEM_MIN = 4
"""Letters a word's shortened start must keep to be suggested (`Москв*`): three would find a great many words."""
_STEM_DROP = 2
"""Letters at most taken off a word's end: a case ending (Russian `-а`/`-у`/`-ой`, German `-en`, English `-s`)."""


def _longer_word(term: Term, item: MatchInput) -> str:
    """For a missing word, a word of the item that starts with it, and the wildcard that finds it: a Korean noun
    with its particle ("러시아는"), an English "Iranian" for `iran`. Else a word of the item in another
    grammatical case, sharing all but the word's last one or two letters (at least four of them): Russian
    "Москву" for `Москва` (or `Москва*`), with `Москв*`. Empty when there is none."""
    if len(term.words) != 1 or len(term.words[0]) < MIN_PREFIX or is_cjk_word(term.words[0]):
        return ""
    word = term.words[0]
    tokens = [(field, getattr(item, field)) for field in term.fields]
    found = [(f, text, t) for f, text in tokens if text for t in tokenize(text)]
    if not term.prefix:
        for field, text, token in found:
            if token.text.startswith(word) and token.text != word:
                written = text[token.start : token.end]
                return f'; {field} has "{written}", which starts with it: {term.text.strip(_QUOTES)}* finds it'
    for stem, shown in shortened_starts(term):
        for field, text, token in found:
            if token.text.startswith(stem):
                written = text[token.start : token.end]
                return f'; {field} has "{written}", which shares its start "{shown}": {shown}* finds it'
    return ""


def shortened_starts(term: Term) -> list[tuple[str, str]]:
    """A one-word term's start without its last one, then two letters (at least `_STEM_MIN` kept): each as the
    matcher folds it and as the query wrote it (the user's own letters, where folding kept the word's length)."""
    if len(term.words) != 1 or is_cjk_word(term.words[0]):
        return []
    word = term.words[0]
    typed = term.text.strip(_QUOTES).rstrip("*")
    out = []
    for drop in range(1, _STEM_DROP + 1):
        stem = word[:-drop]
        if len(stem) < _STEM_MIN:
            break
        out.append((stem, typed[: len(stem)] if len(typed) == len(word) else stem))
    return out


def explain(query: str, item: MatchInput) -> Explanation:
    """Evaluate one query on one item and say which terms were found where, and what decided the result."""
    parse_query(query)  # a syntax error is about the query, not about a rule named "query"
    matcher = compile_rules([("query", query)])
    scan, has = matcher.scan(item)
    node, ids = matcher.rules[0].node, matcher.rules[0].ids
    found = {t: scan.hits(((t, tid),)) for t, tid in ids.items()}

    def present(t: Term) -> bool:
        return has(ids[t])

    def why_not(n: Node) -> list[str]:
        if isinstance(n, Term):
            return [f"missing: {n.text} (looked in {', '.join(n.fields)}){_longer_word(n, item)}"]
        if isinstance(n, Not):
            culprits = satisfying_terms(n.child, present)
            return [f"vetoed: excluded term {t.text} found in {_where(found[t], item)}" for t in culprits]
        return [r for c in n.children if not evaluate(c, present) for r in why_not(c)]

    matched = evaluate(node, present)
    if matched:
        terms = dict.fromkeys(satisfying_terms(node, present))
        reasons = [f"found: {t.text} in {_where(found[t], item)}" for t in terms]
    else:
        reasons = why_not(node)
    reports = tuple(TermReport(t.text, t.fields, excluded, found[t]) for t, excluded in terms_of(node))
    return Explanation(query, describe(node), matched, reports, tuple(reasons))
