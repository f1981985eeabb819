"""Why an item matched, as the site publishes it: the watch's explanations in the site's language.

    StoredMatch.why ──explanation──► the line of a release page's Coverage list
                    ──reason───────► one sentence of a match feed's entry ("Keyword match for rule 'kyiv': …")

The watch stores `why` as one English line for the office (`feeds matches list` shows it, alerts send it):
"matched rule 'kyiv': kyiv ×2 (title, summary)", "related to 'Talks resume': Iran 0.20 (title); score 0.50",
"pickup of 'Talks resume': 12 words in summary (“…”); score 0.18". What the site publishes of it is read back
into its parts (the rule or release, the terms and the fields they were found in, the names and their shares,
the passages, the score), and those are written in the site's words: the sentences as its catalogue words them,
the fields named, decimals written as the language writes them (`0,44`). The rule's and release's names, the
item's words and the excerpt stay as written, those in a right-to-left script (an Arabic rule, its words) set apart
from ours between U+2068 and U+2069, so that they cannot run into our words and reorder them.

The parts are taken only when writing them again in English gives the stored line back, byte for byte: anything
else (a line stored by an older version, a name that makes the line ambiguous) is published as stored, in
English, as an untranslated label is. So an English site publishes the stored lines unchanged (but for the
isolation of right-to-left words).
"""

from __future__ import annotations

import gettext
import re
from collections.abc import Callable
from datetime import UTC

from feeds.model import StoredMatch
from feeds.publish.i18n import ENGLISH, N_, Messages
from feeds.publish.pageviews import isolate_rtl

__all__ = ["FIELD_NAMES", "explanation", "reason"]

FIELD_NAMES = {
    "title": N_("title"),
    "summary": N_("summary"),
    "content": N_("content"),
    "author": N_("author"),
    "feed": N_("feed"),
    "link": N_("link"),
}
"""The fields of an item a term or passage was found in (`feeds.watch.querytree.FIELDS`), as an explanation names
them."""

_IN_ENGLISH = Messages(ENGLISH, gettext.NullTranslations(), UTC)

_OPENING = re.compile(r"^(matched rule|related to|pickup of) '(.*?)'(?=: |$)(?:: )?")
"""How a stored `why` names its rule or release ("matched rule 'X': …", "pickup of 'UK: talks': …"; the quoted
name ends at the quote before ": " or the end, so an apostrophe or a colon inside it is kept)."""

_FIELD = "|".join(FIELD_NAMES)
_SCORE = re.compile(r"^(?P<rest>.+); score (?P<score>\d+\.\d+)$")
_GROUP = re.compile(rf"(?P<names>.+?) \((?P<field>{_FIELD})\)(?:, (?=.)|$)")
"""A related match's names found first in one field: "Lavrov 0.06, Moscow 0.09 (title)"."""
_NAME = re.compile(r"(?P<name>.+?) (?P<share>\d+\.\d+)(?:, (?=.)|$)")
_PICKUP = re.compile(
    rf"^(?P<passages>\d+ words in (?:{_FIELD})(?:, \d+ words in (?:{_FIELD}))*) \((?P<excerpt>“.*”)\)$"
)
_PASSAGE = re.compile(rf"(\d+) words in ({_FIELD})")


def explanation(m: StoredMatch, words: Messages) -> str:
    """The stored `why` of `m` in the site's words, for a release page's Coverage list (as stored when it cannot
    be read back: see the module docstring)."""
    if m.kind == "manual":  # (its `why` names who added it: for the CLI, not the public page)
        return words.gettext("Added by hand as coverage of this release.")
    opened = _OPENING.match(m.why)
    if opened is None:
        return m.why
    opening, name = opened.group(1), opened.group(2)
    detail = m.why[opened.end() :]
    said = _detail(m, detail, words)
    if said is None or (not detail and opening != "matched rule"):
        return m.why
    if opening == "matched rule":
        if not detail:
            return words.say("matched rule '%(rule)s'", rule=isolate_rtl(name))
        return words.say("matched rule '%(rule)s': %(detail)s", rule=isolate_rtl(name), detail=said)
    if opening == "related to":
        return words.say("related to '%(title)s': %(detail)s", title=isolate_rtl(name), detail=said)
    return words.say("pickup of '%(title)s': %(detail)s", title=isolate_rtl(name), detail=said)


def reason(m: StoredMatch, titles: dict[str, str], words: Messages) -> str:
    """One sentence of a match feed's entry: what `m` is, its rule or release (by the release's title now, from
    `titles`), and the rest of its explanation (its own opening left out: the sentence names them already)."""
    detail = _OPENING.sub("", m.why, count=1)
    said = _detail(m, detail, words)
    if said is None:
        said = detail
    if m.kind == "keyword":
        if not said:
            return words.say("Keyword match for rule '%(rule)s'.", rule=isolate_rtl(m.subject))
        return words.say("Keyword match for rule '%(rule)s': %(detail)s.", rule=isolate_rtl(m.subject), detail=said)
    title = isolate_rtl(titles.get(m.subject, m.subject))
    if m.kind == "manual":
        return words.say("Added by hand as coverage of '%(title)s'.", title=title)
    if m.kind == "related":
        if not said:
            return words.say("Related to '%(title)s'.", title=title)
        return words.say("Related to '%(title)s': %(detail)s.", title=title, detail=said)
    if not said:
        return words.say("Verbatim pickup of '%(title)s'.", title=title)
    return words.say("Verbatim pickup of '%(title)s': %(detail)s.", title=title, detail=said)


def _detail(m: StoredMatch, detail: str, words: Messages) -> str | None:
    """`detail` (a `why` after its opening) in `words`, or None when its parts cannot be read back exactly."""
    if not detail:
        return ""
    if _written(m, detail, _IN_ENGLISH) != detail:
        return None
    return _written(m, detail, words, isolate=True)


def _written(m: StoredMatch, detail: str, words: Messages, *, isolate: bool = False) -> str | None:
    """`detail` in `words`; with `isolate`, its words from elsewhere (terms, names, the excerpt) that are written
    right to left set apart (`isolate_rtl`), as published (never when reading the stored line back)."""
    apart = isolate_rtl if isolate else _as_is
    if m.kind == "keyword":
        return _keyword(m, words, apart)
    scored = _SCORE.match(detail)
    if scored is None:
        return None
    score = words.decimal(scored["score"])
    if m.kind == "related":
        names = _related(scored["rest"], words, apart)
        return None if names is None else words.say("%(names)s; score %(score)s", names=names, score=score)
    picked = _PICKUP.match(scored["rest"])
    if picked is None:
        return None
    passages = ", ".join(
        words.ngettext("%(num)d word in %(field)s", "%(num)d words in %(field)s", int(n))
        % {"num": int(n), "field": _field(f, words)}
        for n, f in _PASSAGE.findall(picked["passages"])
    )
    return words.say(
        "%(passages)s (%(excerpt)s); score %(score)s", passages=passages, excerpt=apart(picked["excerpt"]), score=score
    )


def _as_is(text: str) -> str:
    return text


def _keyword(m: StoredMatch, words: Messages, apart: Callable[[str], str] = _as_is) -> str:
    """Each term once, how often and where: "kenya ×3 (title, summary)", as `watch.matching.keyword_match`
    writes it, from the stored terms."""
    fields: dict[str, list[str]] = {}
    for t in m.terms:
        fields.setdefault(t.term, []).append(t.field)
    said = []
    for term, found in fields.items():
        times = f" ×{len(found)}" if len(found) > 1 else ""
        said.append(f"{apart(term)}{times} ({', '.join(_field(f, words) for f in dict.fromkeys(found))})")
    return ", ".join(said)


def _related(text: str, words: Messages, apart: Callable[[str], str] = _as_is) -> str | None:
    """ "Lavrov 0.06, Moscow 0.09 (title), Iran 0.06 (summary)" in `words`; None when it does not read so."""
    groups, at = [], 0
    while at < len(text):
        group = _GROUP.match(text, at)
        if group is None:
            return None
        names, start = [], 0
        while start < len(group["names"]):
            name = _NAME.match(group["names"], start)
            if name is None:
                return None
            names.append(f"{apart(name['name'])} {words.decimal(name['share'])}")
            start = name.end()
        groups.append(f"{', '.join(names)} ({_field(group['field'], words)})")
        at = group.end()
    return ", ".join(groups)


def _field(name: str, words: Messages) -> str:
    return words.gettext(FIELD_NAMES[name]) if name in FIELD_NAMES else name
