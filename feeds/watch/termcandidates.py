"""Candidate terms of one press release: the names it writes, and the lower-case words and phrases it repeats.

`feeds.watch.terms` weighs these candidates against the other releases and keeps the heaviest; this module only
reads one release's text, so everything here is about English writing conventions, not about the corpus.

How a name is recognised (English capitalisation conventions; no language model, no network):
- a run of capitalised words or acronyms (UN, G20) joined by spaces or hyphens; "of"/"for" (and "of the", "for
  the") continue it only after a word that heads such names ("Bank of England", "Department for Education",
  "Minister for the Middle East", not "talks in Oslo for Arctic shipping"; "Strait of Hormuz" is one place); the
  particles of personal names (de, van, von, al…) always do; the parts between connectors are names too
  ("England"), but not a head alone ("Bank", "Strait"); a head written alone ("the House", "the College", "the
  Council") is only a word: any story about the White House or a college writes it too;
- a possessive ends the name and is dropped: "Russia's" → "Russia";
- capitalised function words, honorifics and day names are never part of a name ("The", "Our", "Mr", "Monday"),
  nor the honorifics of UK public life ("Lord", "Baroness", "Sir", "Dame", "Dr", "Professor", "Rt Hon"), so an
  office before one keeps to itself: "Minister for Africa Lord Doe" gives "Minister for Africa" and "Doe";
  month names only inside a name with no number after them ("Theresa May", not "May 2017"); one letter alone
  ("L" for litres) is no name, though initials inside one are ("J. K. Rowling", "U.S. Senate");
- the first word of a sentence is capitalised anyway, so a one-word run there is a name only when the
  same word is capitalised in mid-sentence elsewhere in the release (or is an acronym), and the first word of a
  longer run is dropped when it is seen in lower case in the release or looks like a gerund/adverb;
- a run is cut after its last title word ("Minister", "President", "Secretary", and "General" after one:
  "Attorney General", "Secretary-General", not "UN General Assembly"): "Russian Foreign Minister Lavrov" gives
  "Russian Foreign Minister" and "Lavrov"; the parts between connectors are names too;
- an office named with its domain, then its holder ("Chancellor of the Exchequer Jane Doe", "Secretary of State
  for Health and Social Care Jane Doe", where the domain may go on after "and" or a comma, in parts of several
  words too: "Minister for Europe, North America and Overseas Territories Jane Doe") gives the office and the
  holder: the run's last two words, unless one of them is written in lower case in the release or ends the name
  of a body or domain ("Director of Public Health England"); post-nominals ("CMG OBE", "MP") end a name and are
  no name alone, nor are honorifics ("His Majesty", "Her Excellency");
- a word that ends names after two different words is a name too ("Lavrov" in "Sergei Lavrov", "Minister Lavrov");
- a one-word name that the corpus also writes in lower case ("Court", "Health", "World") is only a word (that is
  decided by `feeds.watch.terms`, which sees the corpus);
- a Title Case headline ("Minister Announces New Quotas") says nothing about names, so it adds weight to the
  names found in the body but is not mined for names itself.
Besides names, lower-case words (four letters or more, not stop words) and two-word phrases that recur in the
release are candidates too, at a lower weight.

What this module must not do: weigh candidates (no corpus, no document frequencies: `feeds.watch.terms` does),
read anything but the text it is given, or keep state between calls (it is pure).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Literal

from feeds.watch.text import fold_words, word_spans

TermKind = Literal["name", "phrase", "word"]

_MAX_RUN = 8
"""Longest run of words considered as one name; longer capitalised runs are headlines or lists."""


def _vocabulary(words: str) -> frozenset[str]:
    """A word list written as white-space separated text (easier to read and edit than a literal of strings)."""
    return frozenset(words.split())


# Capitalised words that are never (part of) a name. Folded forms.
_STOP = _vocabulary(
    """
    a about above according across after against ahead all also although among an and another any anyone are as at
    be because been before being below between both but by can could despite did do does done during each either
    even every following for from further furthermore had has have having he her here hers herself him himself his
    how however i if in including instead into is it its itself just last later let like many may meanwhile might
    more moreover most much must my myself neither never nevertheless new next no nor not now of off on once one
    only or other our ours ourselves out over overall own per perhaps please rather same several shall she should
    since so some still such than that the their theirs them themselves then there therefore these they this those
    though through thus to today together tomorrow tonight too under unless until upon us very via was we well were
    what whatever when whenever where whether which while who whom whose why will with within without would yes
    yesterday yet you your yours yourself
    monday tuesday wednesday thursday friday saturday sunday
    mr mrs ms miss mx dr prof professor sir dame lord lady baron baroness rt hon majesty highness excellency
    press release statement news notes editors editor read more update updated
    """
)
_MONTHS = _vocabulary("january february march april may june july august september october november december")
"""Stop words too, except inside a name when no number follows ("Theresa May", not "May 2017")."""
# Lower-case words too common to be salient on their own (in addition to `_STOP`).
_COMMON = _vocabulary(
    """
    about also been could from have into just like made make many more most much must need next only other over
    part said same says some such take than that them then there these they this those time told very want were
    what when where which while will with would year years week weeks month months people including important
    continue continues working work able given makes ways well shall across among around
    """
)
_NOT_CONTENT = _STOP | _MONTHS | _COMMON
_CONNECTORS = _vocabulary("of for de du da di del della des la le van von der den al bin ibn")
_PARTICLES = _CONNECTORS - {"of", "for"}
"""Connectors of personal names ("von der Leyen"): they join whatever precedes them."""
_HEADS = _vocabulary(
    """
    academy agency association bank bay board cape chamber chancellor church city college commission commissioner
    committee council county court department director duke duchess earl envoy federation foundation general government
    governor gulf horn house institute isle isles island islands kingdom league mayor minister ministry museum
    office order party prince princess president republic school sea secretary service society state states strait
    straits tribunal union united university
    """
)
"""Words after which "of"/"for" continue a name ("Bank of England", "Department for Education"); after other
words they do not ("talks in Oslo for Arctic shipping")."""
_TITLES = _vocabulary(
    """
    president minister secretary chancellor king queen prince princess ambassador governor mayor senator
    commissioner chairman chairwoman chair director spokesperson spokesman spokeswoman chief envoy commander
    premier pope judge deputy attorney representative councillor speaker head
    """
)
_GENERAL_AFTER = _TITLES | _vocabulary("solicitor inspector consul postmaster paymaster auditor comptroller registrar")
"""Words after which "General" ends an office's title ("Attorney General", "Solicitor General", "Secretary-General");
elsewhere it is a word of a name ("UN General Assembly", "General Osaka" of "Consulate-General Osaka")."""
_HONOURS = _vocabulary("obe mbe cbe kbe dbe cmg kcmg gcmg dcmg cb kcb gcb cvo lvo mvo kcvo gcvo qc kc mp msp ms mla")
"""Post-nominals ("Jane Marlow CMG OBE", "Tom Pryce MP"): they end the name before them and name nobody alone."""
_NOT_BODY = _vocabulary(
    """
    affairs agency authority britain care centre center culture defence development education energy england
    europe exchequer fund group growth health innovation ireland justice media network partnership police
    programme scotland security services sport technology transport treasury trust unit wales zero
    asylum communities coordination employment environment equalities farming fisheries heritage housing industry
    initiatives investment pensions policing prisons research resilience science skills territories tourism veterans
    """
)
_NOT_PERSON = _HEADS | _TITLES | _NOT_CONTENT | _NOT_BODY
"""Words that end the name of an office's domain or of a body, never a person's ("Director of Public Health
England", "Secretary of State for Net Zero"): the last two words of an office run are its holder only if
neither is one of these."""
_LIST_GAP = re.compile(r"\s*(?:,\s*(?:and\s+)?|and\s+|&\s+)")
"""What lies between the parts of an office's domain listed in its title ("Environment, Food and Rural Affairs")."""
_ABBREVIATIONS = _vocabulary("mr mrs ms dr prof st gen sen rep gov lt col capt sgt no vs etc inc ltd co jr sr")
_SENTENCE_END = re.compile(r"[.!?:;…\n]")
_OPENING = re.compile(r"[\"“‘'«(\[]\s*$")
_JOIN_SPACE = re.compile(r"[ \t\u00a0\u202f]+")
_HYPHENS = frozenset({"-", "\u2010", "\u2011"})
_APOSTROPHES = frozenset({"'", "\u2019"})


@dataclass(frozen=True, slots=True)
class Word:
    raw: str
    folded: str
    start: int
    end: int
    initial: bool
    """First word of a sentence (capitalised whatever it is)."""
    joins: bool
    """The gap before it may lie inside a name (a space, a hyphen, the dot of "U.S.", the apostrophe of "O'Brien")."""
    possessive: bool
    """The "s" of "Russia's": not a word, and the end of the name before it."""

    @property
    def acronym(self) -> bool:
        return 2 <= len(self.raw) <= 6 and self.raw.isupper() and self.raw[0].isalpha()

    @property
    def capitalised(self) -> bool:
        return self.raw[:1].isupper()

    @property
    def lower(self) -> bool:
        """Lower case, or a letter of a script without case (Arabic, Hebrew…), which is never a name word."""
        first = self.raw[:1]
        return first.islower() or (first.isalpha() and not first.isupper())


def words_of(text: str) -> list[Word]:
    """The words of `text` with what name-finding needs to know about each: case, position, the gap before."""
    out: list[Word] = []
    prev: Word | None = None
    for folded, (start, end) in zip(fold_words(text), word_spans(text), strict=True):
        raw = text[start:end]
        gap = text[prev.end : start] if prev is not None and prev.end <= start else ""
        possessive = prev is not None and gap in _APOSTROPHES and raw in ("s", "S")
        joins = (
            prev is not None
            and (
                gap == " "
                or bool(_JOIN_SPACE.fullmatch(gap))
                or gap in _HYPHENS
                or (gap in (".", ". ") and _initial_letter(prev.raw) and raw[:1].isupper())  # "U.S.", "J. K. Rowling"
                or (gap in _APOSTROPHES and len(prev.raw) == 1 and prev.raw.isupper() and raw[:1].isupper())
            )
        )
        abbreviation = prev is not None and (
            prev.folded in _ABBREVIATIONS or (len(prev.raw) == 1 and prev.raw.isupper())
        )
        ends = bool(_SENTENCE_END.search(gap)) and not (abbreviation and gap.strip() == ".")
        initial = prev is None or ends or bool(_OPENING.search(gap))
        word = Word(raw, folded, start, end, initial, joins, possessive)
        out.append(word)
        prev = word
    return out


def _initial_letter(raw: str) -> bool:
    return len(raw) == 1 and raw.isupper()


def is_title_case(words: Sequence[Word]) -> bool:
    """A headline whose every content word is capitalised ("Minister Announces New Quotas")."""
    content = [w for w in words if len(w.raw) >= 4 and w.folded not in _STOP and not w.raw.isdigit()]
    return len(content) >= 2 and all(w.capitalised for w in content)


def _runs(words: Sequence[Word]) -> list[list[Word]]:
    """Maximal runs of capitalised words (with connectors inside), before the sentence-start clean-up."""
    runs: list[list[Word]] = []
    current: list[Word] = []
    pending: list[Word] = []

    def flush() -> None:
        nonlocal current, pending
        if current:
            runs.append(current)
        current, pending = [], []

    for n, w in enumerate(words):
        if w.possessive:
            flush()
            continue
        following = words[n + 1].raw if n + 1 < len(words) else ""
        is_name_word = w.capitalised
        if w.folded in _MONTHS:
            is_name_word = is_name_word and bool(current) and w.joins and not following[:1].isdigit()
        elif w.folded in _STOP:
            is_name_word = is_name_word and w.acronym and w.folded == "us"
        if is_name_word:
            if current and w.joins and len(current) + len(pending) < _MAX_RUN:
                current.extend(pending)
                current.append(w)
                pending = []
            else:
                flush()
                current = [w]
        elif current and w.joins and w.lower and _connects(current, pending, w):
            pending.append(w)
        else:
            flush()
    flush()
    return runs


def _connects(current: Sequence[Word], pending: Sequence[Word], w: Word) -> bool:
    if not pending:
        return w.folded in _PARTICLES or (w.folded in _CONNECTORS and current[-1].folded in _HEADS)
    return len(pending) == 1 and pending[0].folded in ("of", "for") and w.folded == "the"


def _clean(run: list[Word], capitalised_mid: set[str], lower_seen: set[str]) -> list[Word]:
    """Drop a first word that is only capitalised because it starts a sentence."""
    first = run[0]
    if not first.initial or first.acronym or first.folded in capitalised_mid:
        return run
    if first.folded in _TITLES and len(run) > 1:  # an office's title: "Chancellor of the Exchequer Jane Doe said"
        return run
    if len(run) == 1:
        return []
    if first.folded in lower_seen or first.folded.endswith(("ing", "ly", "ed")):
        rest = run[1:]
        while rest and rest[0].lower:  # "of", "of the", "von": a name never opens with them
            rest = rest[1:]
        return rest
    return run


@dataclass(slots=True)
class Candidate:
    """A term found in one release, not yet weighed: `feeds.watch.terms` adds to `tf` (the title bonus) and may
    make a name a word (the corpus writes it in lower case), so it is mutable, and never leaves the two modules."""

    tokens: tuple[str, ...]
    kind: TermKind
    tf: float
    forms: Counter[str]
    """How the release writes it, how often (first seen first)."""
    case_sensitive: bool = False


Found = dict[tuple[str, ...], Candidate]
"""The candidates of one release by their folded words."""


@dataclass(frozen=True, slots=True)
class Segment:
    """A piece of a release (title, body): its text, its words, and whether to look for names in it."""

    text: str
    words: list[Word]
    mine: bool


def name_candidates(segments: Sequence[Segment]) -> Found:
    """Names in the segments of one release, with their occurrence counts."""
    all_words = [(seg.words, seg.mine) for seg in segments]
    capitalised_mid = {w.folded for ws, mine in all_words if mine for w in ws if w.capitalised and not w.initial}
    lower_seen = {w.folded for ws, _ in all_words for w in ws if w.lower}

    occurrences: list[tuple[str, list[Word]]] = []  # (text the words index into, run)
    standalone: set[tuple[str, ...]] = set()
    for seg in segments:
        if not seg.mine:
            continue
        text = seg.text
        office_open = False  # the run before named an office whose domain may go on in this one
        prev_end = 0
        for raw_run in _runs(seg.words):
            continues = office_open and bool(_LIST_GAP.fullmatch(text, prev_end, raw_run[0].start))
            prev_end = raw_run[-1].end
            run = _clean(raw_run, capitalised_mid, lower_seen)
            while len(run) > 1 and run[-1].acronym and run[-1].folded in _HONOURS:
                run = run[:-1]
            office_open = False
            if not run:
                continue
            occurrences.append((text, run))
            # After the last title word, the rest is a name: "Foreign Secretary Boris Johnson" → "Boris Johnson"
            # and "Foreign Secretary"; the whole run is too particular a wording to look for in the news.
            titled = [i for i, w in enumerate(run) if _titles(run, i)]
            office = bool(titled) and any(w.lower for w in run[titled[-1] + 1 :])
            domain = continues and not titled
            holder = _holder(run, lower_seen) if office or continues else len(run)
            if holder < len(run):
                # "Chancellor of the Exchequer Jane Doe", "… for Health and Social Care Jane Doe": the office, then
                # the person who holds it (the office alone only when the run has its title)
                standalone.add(tuple(w.folded for w in run[holder:]))
                if office:
                    standalone.add(tuple(w.folded for w in run[:holder]))
            elif titled and titled[-1] < len(run) - 1 and not office:
                cut = titled[-1] + 1
                standalone.add(tuple(w.folded for w in run[cut:]))
                if cut > 1:
                    standalone.add(tuple(w.folded for w in run[:cut]))
            elif domain and not _person(run[-2:], lower_seen):
                pass  # more of the office's domain ("…, Food and Rural Affairs"), not a name of its own
            elif not (len(run) == 1 and run[0].folded in _TITLES):
                # (a title word alone, "the Minister said", names nobody: any release and any news item has it)
                standalone.add(tuple(w.folded for w in run))
            office_open = (office or continues) and holder == len(run) and (office or domain or len(run) == 1)
            # The parts between connectors are names in their own right: "Bank of England" → "England"; not the
            # word that heads such a name ("Strait" of "Strait of Hormuz", "Bank"), which alone names nothing.
            part: list[Word] = []
            for n, w in enumerate([*run, None]):
                if w is None or w.lower or n == holder:
                    if (
                        part
                        and len(part) < len(run)
                        and not domain
                        and not (len(part) == 1 and part[0].folded in _TITLES | _HEADS)
                    ):
                        standalone.add(tuple(x.folded for x in part))
                    part = [] if w is None or w.lower else [w]
                else:
                    part.append(w)

    # A word ending names with two different words before it is a surname ("Sergei Lavrov", "Minister
    # Lavrov" → "Lavrov"), unless it is an ordinary word.
    before: dict[str, set[str]] = {}
    for _, run in occurrences:
        if len(run) > 1:
            before.setdefault(run[-1].folded, set()).add(run[-2].folded)
    keep = set(standalone)
    keep.update(
        (word,)
        for word, words in before.items()
        if len(words) >= 2 and word not in lower_seen and word not in _TITLES and word not in _CONNECTORS
    )
    keep.update((w.folded,) for _, run in occurrences for w in run if w.acronym and w.folded not in _HONOURS)
    keep = {key for key in keep if len(key) > 1 or len(key[0]) > 1}  # "U.S." yes, "L" (for litres) no

    found: Found = {}
    for text, run in occurrences:
        folded = [w.folded for w in run]
        seen_here: set[tuple[str, ...]] = set()
        for i in range(len(run)):
            for j in range(i + 1, len(run) + 1):
                key = tuple(folded[i:j])
                if key not in keep or key in seen_here or run[j - 1].lower:
                    continue
                seen_here.add(key)
                cand = found.get(key)
                if cand is None:
                    acronym = len(key) == 1 and run[i].acronym
                    kind: TermKind = "word" if len(key) == 1 and not acronym and key[0] in _HEADS else "name"
                    cand = found[key] = Candidate(key, kind, 0, Counter(), case_sensitive=acronym)
                cand.tf += 1
                cand.forms[text[run[i].start : run[j - 1].end]] += 1
    return found


def _titles(run: Sequence[Word], i: int) -> bool:
    """Whether the `i`th word of `run` is a title word ("Minister"), "General" of "Attorney General" included."""
    folded = run[i].folded
    return folded in _TITLES or (folded == "general" and i > 0 and run[i - 1].folded in _GENERAL_AFTER)


def _holder(run: Sequence[Word], lower_seen: set[str]) -> int:
    """Where the holder's name starts in a run naming an office and its domain ("Secretary of State for Wales Jo
    Stevens" → at "Jo"): its last two words, when at least one word of the domain is left before them and they
    may be a person's (`_person`); otherwise the run's length (no holder named). Only the two-word "Given
    Surname" is recognised: a domain's words cannot be told from a longer name's without a lexicon, so "Jo Anne
    Stevens" gives "Anne Stevens"."""
    tail = 0
    while tail < len(run) and not run[-1 - tail].lower:
        tail += 1
    if tail < 3:
        return len(run)
    return len(run) - 2 if _person(run[-2:], lower_seen) else len(run)


def _person(words: Sequence[Word], lower_seen: set[str]) -> bool:
    """Whether two words may be a person's "Given Surname" written after an office: neither is written in lower
    case in the release, ends the name of a body or domain (`_NOT_PERSON`), is an acronym or holds a digit."""
    return len(words) == 2 and not any(
        w.folded in lower_seen or w.folded in _NOT_PERSON or w.acronym or not w.raw.isalpha() for w in words
    )


def common_candidates(segments: Sequence[Segment], title_words: set[str]) -> Found:
    """Recurring lower-case words and two-word phrases (a title word need only occur once)."""
    found: Found = {}
    prev: Word | None = None
    words = [w for seg in segments if seg.mine for w in [*seg.words, None]]
    for w in words:
        if w is None:  # the end of a segment: no phrase across it
            prev = None
            continue
        content = w.lower and w.folded not in _NOT_CONTENT and (w.raw.isalpha() or not any(map(str.isdigit, w.raw)))
        if content and len(w.folded) >= 4:
            _count(found, (w.folded,), "word", w.raw)
        if content and prev is not None and len(w.folded) >= 3 and len(prev.folded) >= 3 and w.joins and not w.initial:
            _count(found, (prev.folded, w.folded), "phrase", f"{prev.raw} {w.raw}")
        prev = w if content else None
    return {k: c for k, c in found.items() if c.tf >= 2 or (c.kind == "word" and k[0] in title_words)}


def _count(found: Found, key: tuple[str, ...], kind: TermKind, form: str) -> None:
    cand = found.get(key)
    if cand is None:
        cand = found[key] = Candidate(key, kind, 0, Counter())
    cand.tf += 1
    cand.forms[form] += 1
