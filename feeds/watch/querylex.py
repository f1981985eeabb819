"""The lexer of the keyword query language: query text → tokens, with errors that point at the character.

It knows the characters people paste from word processors and mail programs (typographic quotes and dashes,
British single quotes) and field scopes (``title:``); it raises `RuleError` with the 0-based position of what it
cannot read (a quote never closed, a '-' that excludes nothing, an unknown field). `feeds.watch.query` parses the
tokens and also reads them for its notes.

What this module must not do: build the syntax tree or judge the grammar (the parser does), or fold words.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from typing import Literal

from feeds.errors import RuleError
from feeds.watch.querytree import FIELDS

_SCOPE = re.compile(r"([A-Za-z]+):")
# Quotes and dashes as word processors and mail programs write them: a rule pasted from a document means what it
# says ("–rumour" excludes, “north korea” is a phrase; „…“ and «…» too). Any of the closing quotes ends a phrase.
QUOTES = '"“”„«»'
_CLOSING_QUOTES = '"“”«»'
_DASHES = "-\u2013\u2014\u2212"  # hyphen-minus, en dash, em dash, minus sign
_SPECIAL = "()|" + QUOTES
# Single quotes, as British style writes a quotation ('north korea', ‘north korea’), are a phrase's quotes too, where
# they can be nothing else: one opening a term, one closing it after its last word. Elsewhere a ' or ’ is an
# apostrophe (korea's, o'brien), which separates words as in any text.
SINGLE_OPENING = "'\u2018"
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
class Tok:
    """One token: `pos` and `end` delimit it in the query (a phrase's include its quotes)."""

    kind: Literal["word", "phrase", "(", ")", "OR", "AND", "NOT", "scope", "end"]
    value: str
    pos: int
    end: int


def lex(query: str) -> list[Tok]:
    """The tokens of `query`, ending with an "end" token at its length; `RuleError` where it cannot be read."""
    toks: list[Tok] = []
    i, n = 0, len(query)
    after_scope = False
    while i < n:
        ch = query[i]
        if ch.isspace():
            i += 1
            continue
        glued = after_scope  # this token touches the scope before it
        after_scope = False
        if ch in "()":
            toks.append(Tok(ch, ch, i, i + 1))  # type: ignore[arg-type]
            i += 1
        elif ch == "|":  # `||`, as programmers and some monitoring tools write OR, is one
            end = i + 2 if query[i + 1 : i + 2] == "|" else i + 1
            toks.append(Tok("OR", query[i:end], i, end))
            i = end
        elif ch in QUOTES:
            close = next((k for k in range(i + 1, n) if query[k] in _CLOSING_QUOTES), -1)
            if close < 0:
                raise RuleError("this quote is never closed", rule=query, position=i)
            toks.append(Tok("phrase", query[i + 1 : close], i, close + 1))
            i = close + 1
        elif ch in SINGLE_OPENING and (close := _single_quoted(query, i)) > 0:
            toks.append(Tok("phrase", query[i + 1 : close], i, close + 1))
            i = close + 1
        elif ch in _DASHES:
            if glued:
                raise RuleError("put '-' before the field to exclude it, as in -title:word", rule=query, position=i)
            if i + 1 >= n or query[i + 1].isspace() or query[i + 1] in ")|":
                raise RuleError(
                    "write '-' directly before the word it excludes (-rumour); a dash between words, leave it out",
                    rule=query,
                    position=i,
                )
            toks.append(Tok("NOT", "-", i, i + 1))
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
                    raise RuleError(_unknown_field(name, run[scope.end() :]), rule=query, position=i)
                j = i + scope.end()
                if j >= n or query[j].isspace() or query[j] in ")|":
                    raise RuleError(
                        f"'{name}:' must be followed directly by a word, phrase or (group)", rule=query, position=j
                    )
                toks.append(Tok("scope", name, i, j))
                after_scope = True
            elif run in ("OR", "AND", "NOT"):
                toks.append(Tok(run, run, i, j))  # type: ignore[arg-type]
            elif run == "&&":  # AND as programmers and some monitoring tools write it (a lone '&' is not)
                toks.append(Tok("AND", run, i, j))
            else:
                toks.append(Tok("word", run, i, j))
            i = j
    toks.append(Tok("end", "", n, n))
    return toks


# Fields of other search boxes (Google, Meltwater, Talkwalker, LexisNexis, Cision) and ours that says the same.
# `site:` is not our `link:` (which finds the words anywhere in the address), so it is refused, pointing at it.
_FOREIGN_FIELDS = {
    "site": "link",
    "inurl": "link",
    "allinurl": "link",
    "url": "link",
    "intitle": "title",
    "allintitle": "title",
    "headline": "title",
    "hlead": "title",
    "hl": "title",
    "ti": "title",
    "intext": "content",
    "allintext": "content",
    "body": "content",
    "text": "content",
    "byline": "author",
    "source": "feed",
    "publication": "feed",
}


def _unknown_field(name: str, value: str) -> str:
    """Why `name:` (followed by `value`, "" before a group) is refused, and what to write instead."""
    ours = _FOREIGN_FIELDS.get(name)
    if ours:
        shown = f"{ours}:{value or '(…)'}"
        found = (
            f", which finds the items whose address (URL) has the words of {value or 'the group'} in it, in order"
            if ours == "link"
            else ""
        )
        return f"there is no '{name}:' field: write {shown}{found}"
    guess = difflib.get_close_matches(name, FIELDS, n=1, cutoff=0.6)
    hint = f"did you mean '{guess[0]}:'?" if guess else "fields are " + ", ".join(f"{f}:" for f in FIELDS)
    return f"unknown field '{name}:' ({hint}); to search for text with a colon, put it in \"quotes\""
