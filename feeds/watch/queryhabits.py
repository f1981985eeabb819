"""Habits of other search boxes, refused in a query written now, each with what to write instead.

A press officer moving saved searches from Meltwater, Talkwalker, LexisNexis, Cision or Google Alerts pastes them
as they are. Read by our grammar, many are valid queries that mean something else: `iran or syria` needs the word
"or", `!rumour` and `sanction!` look for "rumour" and "sanction", `iran NEAR/3 russia` needs "near" and "3",
`russia, ukraine` needs both, `[iran OR syria] talks` groups nothing, `wom?n` is the phrase "wom n",
`"iran russia"~3` needs "3". Each is refused with the position of the character and our way to say it.

Only a query being written is checked (`keywords add`, `edit`, `test`, the config file): a rule saved before this
check keeps its meaning, so the matcher (`feeds.watch.match.compile_rules`) parses with `parse_query` alone.

What this module must not do: change what a valid query means (it only refuses), or parse the grammar.
"""

from __future__ import annotations

import re

from feeds.errors import RuleError
from feeds.watch.querylex import QUOTES, Tok

# Proximity as media-monitoring tools write it: NEAR/3, ONEAR/3 (Meltwater, Talkwalker), W/5, PRE/2, W/S, W/P
# (LexisNexis), ADJ/2; NEAR and ONEAR alone. In capitals only, `near` is a word ("near east").
_PROXIMITY = re.compile(r"(?i:o?near|w|pre|adj|not\s*w)/(?:[0-9]+|[sp]|seg|sent|para)|NEAR|ONEAR|ADJ")
_OPERATOR_NAMES = ("or", "and", "not")
_BRACKETS = "[]{}"


def check_habits(query: str, toks: list[Tok]) -> None:
    """Raise `RuleError` at the first habit of another search box in `query` (its tokens `toks`, from `lex`)."""
    for i, tok in enumerate(toks[:-1]):  # (the last is "end")
        prev, nxt = toks[i - 1] if i else None, toks[i + 1]
        if tok.kind == "word":
            _word(query, tok)
        elif tok.kind == "phrase" and nxt.kind in ("word", "phrase") and nxt.pos == tok.end:
            if query[nxt.pos] == "~":
                _fail(query, nxt.pos, f"'{nxt.value}' after a phrase (proximity) {_NO_PROXIMITY}")
            raise RuleError(
                "a phrase ends at the next quote, so quotes inside one split it: write it with one pair of quotes,"
                f" {_one_phrase(query, toks, i)}",
                rule=query,
                position=nxt.pos,
            )
        elif tok.kind == "NOT" and prev is not None and prev.kind == "NOT":  # (`-(-rumour)`, spelt out, is meant)
            _fail(
                query,
                prev.pos,
                f"{query[prev.pos : tok.end]!r} excludes twice, so it looks for what follows: write one '-' (or NOT)",
            )


_NO_PROXIMITY = 'is not supported (there is no proximity search): write the words as a "quoted phrase", or with AND'


def _word(query: str, tok: Tok) -> None:
    value, pos = tok.value, tok.pos
    if value.lower() in _OPERATOR_NAMES:
        _fail(
            query,
            pos,
            f"'{value}' is not an operator unless in capitals: write {value.upper()}; to look for the word, quote it:"
            f' "{value}"',
        )
    if _PROXIMITY.fullmatch(value):
        _fail(query, pos, f"{value} {_NO_PROXIMITY}")
    if set(value) == {"&"}:
        _fail(query, pos, f"'{value}' is not an operator: write AND (or just a space); a name with '&' is a phrase:"
              ' "marks & spencer"')  # fmt: skip
    if value.startswith("!"):
        after = query[tok.end : tok.end + 1]
        shown = value.lstrip("!") or ("(…)" if after == "(" else '"…"' if after and after in QUOTES else "word")
        _fail(query, pos, f"'!' does not exclude here: write -{shown} (a '-' touching what it excludes)")
    if set(value) == {"+"}:  # (before a phrase or group: `+iran` is the word, required as every word is)
        _fail(query, pos, "'+' is not needed: every word is required; leave it out")
    if value.startswith("*"):
        _fail(query, pos, "a word cannot start with '*' (words are found by how they start): write each word in full,"
              " with OR")  # fmt: skip
    for k, ch in enumerate(value):
        at = pos + k
        if ch == "!" and k == len(value) - 1:
            _fail(query, at, f"'!' does not end a word here: write {value[:-1]}* for the words that start with it,"
                  " or leave '!' out")  # fmt: skip
        elif ch == "*" and any(c.isalnum() for c in value[k + 1 :]):  # (`iran*,` is about the comma)
            _fail(query, at, f"'*' can only end a word: write {value[:k]}* for the words that start with it, or each"
                  " word in full, with OR")  # fmt: skip
        elif ch == "?":
            _fail(query, at, "'?' is not a wildcard: write each spelling with OR (woman OR women), or end a word with"
                  " '*' for the words that start with it")  # fmt: skip
        elif ch == "~":
            _fail(query, at, "'~' is not supported (there is no proximity or fuzzy search): a \"quoted phrase\" finds"
                  " words next to each other; write other spellings with OR")  # fmt: skip
        elif ch == "&" and value[k + 1 : k + 2] == "&":
            _fail(query, at, "put spaces around '&&' (or write AND): glued to words, it is punctuation inside them")
        elif ch in _BRACKETS:
            _fail(query, at, f"'{ch}' does not group: use ( and )")
        elif ch == ";" or (ch == "," and not (value[k - 1 : k].isdigit() and value[k + 1 : k + 2].isdigit())):
            _fail(query, at, f"'{ch}' does not separate alternatives: write OR between them (russia OR ukraine), or"
                  " a space when every word is required")  # fmt: skip


def _one_phrase(query: str, toks: list[Tok], i: int) -> str:
    """The phrase as it was meant: the run of phrases and words glued to each other from `toks[i]` on."""
    end = toks[i].end
    for tok in toks[i + 1 :]:
        if tok.pos != end or tok.kind not in ("word", "phrase"):
            break
        end = tok.end
    return '"' + " ".join(re.sub("[" + QUOTES + "]", " ", query[toks[i].pos : end]).split()) + '"'


def _fail(query: str, position: int, message: str) -> None:
    raise RuleError(message, rule=query, position=position)
