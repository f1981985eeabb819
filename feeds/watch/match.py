"""Matching news items against many keyword rules at once: compile the rules once, then match item after item.

Like miniflux's ``filter.IsBlockedEntry(rules, feed, entry)``, the answer is a pure function of the compiled
rules and the item (no clock, no store, no I/O), but the cost per item must not grow with the number of rules:
a press office may watch ten thousand. So nothing loops over rules. Instead:

1. each rule is filed under its *anchors* (`feeds.watch.querytree.anchors`): terms of which one must be present for
   the rule to be true, chosen to be rare (long words, phrases, terms few rules share). Only anchors are indexed:
   word → terms, a prefix table for ``sanction*``, and a phrase's rarest word for phrases;
2. each field of the item is folded and split into words once (`feeds.watch.text`);
3. the item's distinct words are looked up in the index, per field, with the answer memoised per word, and the
   words known to lead nowhere (most of them) removed first by one set difference;
4. phrases are confirmed by adjacent word positions, and the rules anchored by what was found become candidates;
5. only candidates have their boolean expression evaluated, asking about their other terms (an AND's second word,
   an excluded word) on demand.

Offsets into the original text are computed only for rules that matched.

What this module must not do: loop over the rules for an item, or explain a result in words (that is
`feeds.watch.matchexplain`, for `feeds keywords test`, reading `Matcher.rules` and `Matcher.scan`)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import partial
from itertools import islice
from typing import NamedTuple

from feeds.errors import RuleError
from feeds.watch.query import parse_query
from feeds.watch.querytree import (
    FIELDS,
    And,
    Field,
    Node,
    Not,
    Or,
    Term,
    anchors,
    term_cost,
    terms_of,
)
from feeds.watch.text import ascii_spans, ascii_worded, find_phrase, fold_words, iter_word_spans

_CACHE_LIMIT = 1 << 18
"""(word, field) lookups remembered per matcher before the memo is cleared (a few tens of MB at most)."""

_Has = Callable[[int], bool]
"""Whether the item contains the term with this id (worked out on first asking, then remembered)."""
_Predicate = Callable[[_Has], bool]


@dataclass(frozen=True, slots=True)
class MatchInput:
    """The text of one news item, as the matcher sees it. `key` identifies the item to the caller only."""

    key: str
    title: str = ""
    summary: str = ""
    content: str = ""
    author: str = ""
    feed: str = ""
    """The feed's title and tags, space separated."""
    link: str = ""
    """The item's URL: split into words like any text, so ``link:example`` matches ``https://www.example.com/``."""


class TermHit(NamedTuple):
    """Where a term was found: ``getattr(item, field)[start:end]`` is the text as written in the item.

    Hits are named tuples rather than frozen dataclasses: an item's hits are built on every match, and a tuple
    is made at about half the cost."""

    term: str
    field: Field
    start: int
    end: int


class RuleHit(NamedTuple):
    """A rule that matched, with every occurrence of the terms that made it true."""

    rule: str
    terms: tuple[TermHit, ...]


_term_hit: Callable[[tuple[str, Field, int, int]], TermHit] = partial(tuple.__new__, TermHit)
_rule_hit: Callable[[tuple[str, tuple[TermHit, ...]]], RuleHit] = partial(tuple.__new__, RuleHit)
"""`TermHit` and `RuleHit` made in C: a named tuple's own constructor is a Python function, a call per hit."""

_Pairs = tuple[tuple[Term, int], ...]
_Contributing = Callable[[_Has], _Pairs]


@dataclass(frozen=True, slots=True, eq=False)
class Rule:
    """One compiled rule (`Matcher.rules` holds them in name order)."""

    name: str
    node: Node
    predicate: _Predicate | None
    """None when having one anchor present already makes the rule true (a term, an OR of terms)."""
    ids: dict[Term, int]
    contributing: _Contributing
    """For a rule that is true: the terms that make it true (`satisfying_terms`), with their ids, in order."""
    fixed: _Pairs | None = None
    """What `contributing` always gives, when that does not depend on the item (a term; an AND of terms and
    excluded terms: most rules), so that reporting a match does not call it."""


_Key = tuple[tuple[str, ...], bool, int]  # (folded words, last word is a prefix, field mask)
_Probe = tuple[
    str | None, tuple[str, ...], bool, tuple[int, ...]
]  # (the word when one whole word, words, prefix, fields)
_Entry = tuple[int, int]  # (term id, field mask)
_Phrase = tuple[int, int, tuple[str, ...], bool]  # (term id, field, words, last word is a prefix)
_Found = tuple[dict[int, bool], tuple[_Phrase, ...], tuple[int, ...]]
"""For one word in one field: {term id: True} for the terms it proves present, the phrases to check, and the
rules those terms anchor (so that an item's candidates are gathered as its words are looked up)."""
_NOTHING: _Found = ({}, (), ())


class _Known(dict[int, bool]):
    """Which terms the item contains, as far as worked out: anchors found by the scan, other terms looked for on
    first asking (`__missing__`). Its `__getitem__` is the matcher's `has`: a term already known (most terms
    asked about) is answered in C, without the Python call a closure costs."""

    __slots__ = ("anchors", "probes", "sets", "words")
    anchors: frozenset[int]
    probes: Sequence[_Probe]
    sets: list[set[str]]
    words: list[list[str]]

    def __missing__(self, tid: int) -> bool:
        answer = False  # an anchor not found by the scan is absent; any other term is looked for now
        if tid not in self.anchors:
            word, words, prefix, fields = self.probes[tid]
            sets = self.sets
            if word is not None:  # the common case: one whole word
                for f in fields:
                    if word in sets[f]:
                        answer = True
                        break
            else:
                first = words[0] if len(words) > 1 or not prefix else None
                for f in fields:
                    if (first is None or first in sets[f]) and find_phrase(
                        self.words[f], words, prefix, first_only=True
                    ):
                        answer = True
                        break
        self[tid] = answer
        return answer


class Scan:
    """One item split into words per field, and what is known so far about which terms it contains."""

    __slots__ = ("known", "lowered", "offsets", "pending", "probes", "sets", "spans_of", "texts", "words")

    def __init__(
        self,
        item: MatchInput,
        probes: Sequence[_Probe],
        anchors: frozenset[int],
        fold: Callable[[str], list[str]] = fold_words,
    ):
        self.probes = probes
        self.texts = (item.title, item.summary, item.content, item.author, item.feed, item.link)
        # A feed without a separate summary gives its text as both summary and content (most items in the
        # corpus): split it once. The lists and sets are only ever read (`fold` may hand the same lists to the
        # related releases' matcher: `feeds.watch.matching.match_item`).
        title, summary, content, author, feed, link = self.texts
        summary_words = fold(summary) if summary else []
        content_words = summary_words if content == summary else fold(content) if content else []
        self.words = [
            fold(title) if title else [],
            summary_words,
            content_words,
            fold_words(author) if author else [],
            fold_words(feed) if feed else [],
            fold_words(link) if link else [],
        ]
        self.sets = [set(self.words[0]), set(summary_words)]
        self.sets.append(self.sets[1] if content_words is summary_words else set(content_words))
        self.sets += map(set, self.words[3:])
        known = self.known = _Known()
        known.anchors, known.probes, known.sets, known.words = anchors, probes, self.sets, self.words
        self.spans_of: dict[int, list[tuple[int, int, int]]] = {}
        self.offsets: dict[int, list[tuple[int, int]]] = {}  # per field, as far as worked out (non-ASCII text)
        self.pending: dict[int, Iterator[tuple[int, int]]] = {}
        self.lowered: dict[int, str | None] = {}  # per field: the text lower-cased when that is its folding

    def _lowered(self, field: int) -> str | None:
        low = self.lowered.get(field, "")
        if low == "":  # not worked out yet (the field has words, so its lowered text is never "")
            text = self.texts[field]
            low = self.lowered[field] = text.lower() if text.isascii() or ascii_worded(text) else None
        return low

    def spans(self, term: Term, tid: int) -> list[tuple[int, int, int]]:
        """(field index, start, end) of every occurrence of `term`, memoised by term id (rules share terms)."""
        found = self.spans_of.get(tid)
        if found is not None:
            return found
        found = self.spans_of[tid] = []
        _, words, prefix, fields = self.probes[tid]
        last = len(words) - 1
        # When the term is not a lone prefix, its first word must be among the field's words for it to be there.
        first = words[0] if last or not prefix else None
        sets, lowered = self.sets, self.lowered
        # A feed with one text gives it as both summary and content: a term looked for in both is reported (and
        # counted) once, under summary. (A rule scoped to content: alone still finds it there.)
        repeated = 2 if sets[2] is sets[1] and 1 in fields else -1
        for i in fields:
            if i == repeated or not sets[i] or (first is not None and first not in sets[i]):
                continue
            low = lowered[i] if i in lowered else self._lowered(i)
            if low is not None:  # folding is lower-casing: search the text itself
                found += [(i, start, end) for start, end in ascii_spans(low, words, prefix)]
            elif starts := find_phrase(self.words[i], words, prefix, first_only=False):
                offsets = self.offsets.setdefault(i, [])
                if len(offsets) <= starts[-1] + last:  # work the offsets out only as far as needed
                    pending = self.pending.setdefault(i, iter_word_spans(self.texts[i]))
                    offsets.extend(islice(pending, starts[-1] + last + 1 - len(offsets)))
                found.extend((i, offsets[s][0], offsets[s + last][1]) for s in starts)
        return found

    def hits(self, terms: Sequence[tuple[Term, int]]) -> tuple[TermHit, ...]:
        """Every occurrence of `terms`, in field order then text order."""
        if len(terms) == 1:  # spans come in that order already
            term, tid = terms[0]
            text = term.text
            return tuple([_term_hit((text, FIELDS[f], start, end)) for f, start, end in self.spans(term, tid)])
        spans = {(f, start, end, t.text) for t, tid in terms for f, start, end in self.spans(t, tid)}
        return tuple([_term_hit((text, FIELDS[f], start, end)) for f, start, end, text in sorted(spans)])


def _mask(fields: tuple[Field, ...]) -> int:
    return sum(1 << FIELDS.index(f) for f in fields)


def _predicate(node: Node, tid: dict[Term, int]) -> _Predicate:
    """A closure evaluating `node`, asking `has` about terms only as far as the answer needs."""
    if isinstance(node, Term):
        t = tid[node]
        return lambda has: has(t)
    if isinstance(node, Not):
        f = _predicate(node.child, tid)
        return lambda has: not f(has)
    plain = tuple(tid[c] for c in node.children if isinstance(c, Term))
    rest = tuple(c for c in node.children if not isinstance(c, Term))
    # The shapes rules take most (terms, excluded terms, one group in parentheses) get closures without a
    # generator: this runs for every candidate rule of every item.
    if isinstance(node, Or):
        fs = tuple(_predicate(c, tid) for c in rest)
        if not fs:
            return lambda has: any(map(has, plain))
        return lambda has: any(map(has, plain)) or any(f(has) for f in fs)
    vetoes = tuple(tid[c.child] for c in rest if isinstance(c, Not) and isinstance(c.child, Term))
    gs = tuple(_predicate(c, tid) for c in rest if not (isinstance(c, Not) and isinstance(c.child, Term)))
    if not gs:
        return lambda has: all(map(has, plain)) and not any(map(has, vetoes))
    if len(gs) == 1:
        (g,) = gs
        return lambda has: all(map(has, plain)) and not any(map(has, vetoes)) and g(has)
    return lambda has: all(map(has, plain)) and not any(map(has, vetoes)) and all(g(has) for g in gs)


def _fixed(node: Node, tid: dict[Term, int]) -> _Pairs | None:
    """The terms a true `node` always owes its truth to, when they do not depend on the item (see `_contributing`)."""
    if isinstance(node, Term):
        return ((node, tid[node]),)
    if isinstance(node, And) and all(
        isinstance(c, Term) or (isinstance(c, Not) and isinstance(c.child, Term)) for c in node.children
    ):
        return tuple((c, tid[c]) for c in node.children if isinstance(c, Term))
    return None


def _contributing(node: Node, tid: dict[Term, int]) -> _Contributing:
    """A closure giving what `satisfying_terms` gives for a true `node`, without walking the tree per item: the
    terms of a term, or of an AND of terms and excluded terms, are known at compile time (`_fixed`), the rest asks
    `has` as it goes."""
    fixed = _fixed(node, tid)
    if fixed is not None:
        return lambda has: fixed
    if isinstance(node, Not):
        return lambda has: ()
    assert not isinstance(node, Term)  # (a term's own pair is fixed)
    terms = [c for c in node.children if isinstance(c, Term)]
    if isinstance(node, Or) and len(terms) == len(node.children):
        pairs = tuple((c, tid[c]) for c in terms)
        return lambda has: tuple([pair for pair in pairs if has(pair[1])])
    # Any other shape: each part that is true contributes its own terms (an excluded part contributes none).
    steps = tuple((_predicate(c, tid), _contributing(c, tid)) for c in node.children if not isinstance(c, Not))

    def run(has: _Has) -> _Pairs:
        return tuple(dict.fromkeys(pair for true, inner in steps if true(has) for pair in inner(has)))

    return run


class Matcher:
    """Compiled rules. Immutable but for a private memo of word lookups; safe to share between threads."""

    def __init__(self, rules: Sequence[Rule], keys: Sequence[_Key], by_anchor: dict[int, list[int]]):
        self.rules = tuple(rules)
        self._keys = tuple(keys)
        self._probes: tuple[_Probe, ...] = tuple(
            (w[0] if len(w) == 1 and not p else None, w, p, tuple(f for f in range(len(FIELDS)) if m & (1 << f)))
            for w, p, m in self._keys
        )
        self._by_anchor = {t: tuple(sorted(r)) for t, r in by_anchor.items()}
        self._anchors = frozenset(self._by_anchor)
        # Only anchors are indexed; the other terms of a candidate rule are checked when its expression asks.
        used = Counter(w for t in self._by_anchor for w in set(self._keys[t][0]))
        self._words: dict[str, list[_Entry]] = {}
        self._phrases: dict[str, list[_Entry]] = {}
        self._prefixes: dict[str, list[_Entry]] = {}
        for tid in sorted(self._by_anchor):
            words, prefix, mask = self._keys[tid]
            if len(words) == 1:
                index = self._prefixes if prefix else self._words
                index.setdefault(words[0], []).append((tid, mask))
            else:  # a phrase is looked up by one of its whole words (the one fewest terms use), then confirmed
                whole = words[:-1] if prefix else words
                self._phrases.setdefault(min(whole, key=lambda w: (used[w], -len(w))), []).append((tid, mask))
        self._prefix_lengths = sorted({len(p) for p in self._prefixes})
        # Per field: what each word seen so far leads to, and the words that lead nowhere (most of them), which
        # are then dropped from an item's words in one C-level set difference.
        self._memo: list[dict[str, _Found]] = [{} for _ in FIELDS]
        self._unused: list[set[str]] = [set() for _ in FIELDS]
        self._remembered = 0
        """Entries in `_memo` and `_unused` together: each lookup adds one (it is asked only about a word in
        neither), so a count replaces summing their sizes at every lookup (a third of a lookup's cost, and a
        worker's first corpus pass makes ~70,000 lookups). Threads racing on it can only move the clearing a
        little."""

    def __len__(self) -> int:
        return len(self.rules)

    @property
    def rule_names(self) -> tuple[str, ...]:
        return tuple(r.name for r in self.rules)

    def _lookup(self, word: str, field: int) -> _Found:
        # Most words are no index key: the lists and tuples are built only for one that is.
        bit = 1 << field
        entries = self._words.get(word)
        singles = [tid for tid, mask in entries if mask & bit] if entries else []
        for n in self._prefix_lengths:
            if n > len(word):
                break
            if entries := self._prefixes.get(word[:n]):
                singles.extend(tid for tid, mask in entries if mask & bit)
        entries = self._phrases.get(word)
        keys = self._keys
        phrases = tuple((tid, field, *keys[tid][:2]) for tid, mask in entries if mask & bit) if entries else ()
        if self._remembered >= _CACHE_LIMIT:
            for memo, unused in zip(self._memo, self._unused, strict=True):
                memo.clear()
                unused.clear()
            self._remembered = 0
        self._remembered += 1
        if not singles and not phrases:
            self._unused[field].add(word)
            return _NOTHING
        by_anchor = self._by_anchor
        rules = tuple(sorted({r for tid in singles for r in by_anchor[tid]}))
        found = self._memo[field][word] = (dict.fromkeys(singles, True), phrases, rules)
        return found

    def scan(self, item: MatchInput) -> tuple[Scan, _Has]:
        """Split the item into words, find which anchors it contains, and return how to ask about other terms."""
        scan, _ = self._scan(item)
        return scan, scan.known.__getitem__

    def _scan(self, item: MatchInput, fold: Callable[[str], list[str]] = fold_words) -> tuple[Scan, set[int]]:
        """The item's `Scan`, with the anchors it contains known, and the rules they anchor (the candidates)."""
        scan = Scan(item, self._probes, self._anchors, fold)
        known = scan.known
        candidates: set[int] = set()
        phrases: list[_Phrase] = []
        for field, distinct in enumerate(scan.sets):
            if distinct:
                memo = self._memo[field]
                for word in distinct.difference(self._unused[field]):
                    found = memo.get(word) or self._lookup(word, field)
                    known.update(found[0])
                    phrases.extend(found[1])
                    candidates.update(found[2])
        if phrases:
            sets, by_anchor = scan.sets, self._by_anchor
            for tid, field, words, prefix in phrases:  # confirmed where the anchor word was seen (nowhere else)
                if (
                    tid not in known
                    and words[0] in sets[field]  # a cheap test first: is its first word there at all?
                    and find_phrase(scan.words[field], words, prefix, first_only=True)
                ):
                    known[tid] = True
                    candidates.update(by_anchor[tid])
        return scan, candidates

    def match(self, item: MatchInput, fold: Callable[[str], list[str]] = fold_words) -> tuple[RuleHit, ...]:
        """The rules `item` matches, sorted by rule name, each with where its terms were found (`fold`: how a
        text is split into folded words, `fold_words` or a memo of it)."""
        scan, candidates = self._scan(item, fold)
        if not candidates:
            return ()
        has = scan.known.__getitem__
        rules = self.rules
        hits = scan.hits
        out = []
        for r in sorted(candidates):
            rule = rules[r]
            if (p := rule.predicate) is None or p(has):
                out.append(_rule_hit((rule.name, hits(rule.fixed or rule.contributing(has)))))
        return tuple(out)


def compile_rules(rules: Sequence[tuple[str, str]]) -> Matcher:
    """Parse and index (rule name, query) pairs; a bad query raises `RuleError` naming the rule."""
    keys: dict[_Key, int] = {}
    compiled: list[tuple[str, Node, dict[Term, int]]] = []
    for name, query in sorted(rules, key=lambda r: r[0]):
        if compiled and compiled[-1][0] == name:
            raise RuleError(f"rule {name!r} is defined twice", rule=query)
        try:
            node = parse_query(query)
        except RuleError as e:
            raise RuleError(f"rule {name!r}: {e.message}", rule=query, position=e.position) from e
        tid = {t: keys.setdefault((t.words, t.prefix, _mask(t.fields)), len(keys)) for t, _ in terms_of(node)}
        compiled.append((name, node, tid))
    # A term that many rules share makes all of them candidates whenever it occurs: prefer rarer anchors.
    shared = Counter(i for _, _, tid in compiled for i in set(tid.values()))
    by_anchor: dict[int, list[int]] = {}
    out: list[Rule] = []
    for index, (name, node, tid) in enumerate(compiled):

        def cost(term: Term, tid: dict[Term, int] = tid) -> float:
            return term_cost(term) * shared[tid[term]]

        for term in anchors(node, cost) or ():
            by_anchor.setdefault(tid[term], []).append(index)
        trivial = isinstance(node, Term) or (isinstance(node, Or) and all(isinstance(c, Term) for c in node.children))
        predicate = None if trivial else _predicate(node, tid)
        out.append(Rule(name, node, predicate, tid, _contributing(node, tid), _fixed(node, tid)))
    return Matcher(out, list(keys), by_anchor)
