"""Word fingerprints of releases and items, for finding the words of a release reproduced in an item (pickup).

A shingle is `DEFAULT_SHINGLE` (8) consecutive folded words of one paragraph; its fingerprint is a 64-bit BLAKE2b
hash of them (`fingerprint`), never Python's `hash`, which is salted per process: release profiles are built in
one process and matched in worker processes, and their fingerprints must agree. British and American spellings
compare equal (`spelled_alike`), so that a newspaper across the Atlantic quoting the minister still quotes her, and
so do the Arabic script's letter forms typed one for another (ى and ي, ة and ه, the Urdu ی and ک and the Arabic ي
and ك, tatweel, Arabic-Indic digits).

What this module must not do: know about releases, items or matches (it sees folded words only), or keep state
beyond the bounded spelling memo (`_ALIKE`).
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Container, Iterator, Sequence

DEFAULT_SHINGLE = 8
"""Words in a shingle: a passage shorter than this is never found by its fingerprints."""

_CONSONANT = "b-df-hj-np-tv-z"
_SPELLING = re.compile(
    rf"(?P<our>[a-z]{{2,}}[{_CONSONANT}i])our(?P<our_end>s|ed|ing|ite|ites|able|ably|ful|less)?"  # behaviour
    rf"|(?P<ise>[a-z]{{3,}}[iy])s(?P<ise_end>e|es|ed|ing|ation|ations)"  # organise, analyse
    rf"|(?P<ll>[a-z]{{2,}}[aeiou]l)l(?P<ll_end>ed|ing|er|ers|or|ors)"  # travelled, counsellor
    rf"|(?P<re>cent|theat|met|lit|fib|calib|somb|spect|meag)re(?P<re_end>s|d)?"  # centre
    rf"|(?P<ence>def|off|pret|lic)ence(?P<ence_end>s)?"  # defence
    rf"|(?P<me>program)me(?P<me_end>s)?"  # programme
    rf"|(?P<ge>judg|acknowledg|abridg|ag)e(?P<ge_end>ment|ments|ing)"  # judgement, ageing
)
"""A British spelling of a whole folded word, as `_american` rewrites it: each alternative is a stem, the British
letters after it, and an ending."""
_AMERICAN = {"our": "or", "ise": "z", "ll": "", "re": "er", "ence": "ense", "me": "", "ge": ""}
"""What the American spelling writes after each alternative's stem, instead of the British letters."""


_LETTER_FORMS = str.maketrans(
    {"ى": "ي", "ی": "ي", "ک": "ك", "ہ": "ه", "ە": "ه", "ة": "ه", "ٱ": "ا", "\u0640": None}
    | {chr(0x0660 + d): str(d) for d in range(10)}
    | {chr(0x06F0 + d): str(d) for d in range(10)}
)
"""Letters of the Arabic script typed one for another, as one letter (folding has taken the hamza and harakat
off already): a final ي written ى, a final ة written ه (as many Arabic papers type them), the Urdu and Persian ی,
ک and ہ typed on an Arabic keyboard as ي, ك and ه; tatweel, the stroke that stretches a word to justify a line,
goes; Arabic-Indic and Urdu/Persian digits are digits. Letters that are other letters stay apart: the Urdu ے and
ھ."""


def _american(word: str) -> str:
    if not word.isascii():
        return word.translate(_LETTER_FORMS)  # (the spellings below are all in ASCII letters)
    m = _SPELLING.fullmatch(word)
    if m is None:
        return word
    stem = next(k for k in _AMERICAN if m[k] is not None)
    return f"{m[stem]}{_AMERICAN[stem]}{m[stem + '_end'] or ''}"


_ALIKE: dict[str, str] = {}
"""Memo: a folded word → its spelling in `spelled_alike` (most words: itself)."""
_ALIKE_LIMIT = 1 << 17


def spelled_alike(words: Sequence[str]) -> list[str]:
    """`words` (folded) with British spellings made American (behaviour → behavior, organise → organize,
    programme → program, centre → center, defence → defense, travelled → traveled, judgement → judgment), and the
    Arabic script's letter forms typed one for another as one (`_LETTER_FORMS`: ى/ي, ة/ه, ی/ي, ک/ك, tatweel,
    digits), for comparing quotations only: a newspaper across the Atlantic prints the minister's sentence in its
    own spelling, an Arabic or Urdu paper in its own typing.
    Both sides go through it, so a word it over-reaches on (promise → promize) still equals itself; short words
    (our, four, hour, rise) are left alone so as never to make two words one. Same length and order as `words`.
    One dictionary look-up per word (`_ALIKE`), in C when every word has been seen before."""
    alike = list(map(_ALIKE.get, words))
    if None not in alike:
        return alike  # type: ignore[return-value]
    for k, word in enumerate(words):
        if alike[k] is None:
            if len(_ALIKE) >= _ALIKE_LIMIT:
                _ALIKE.clear()
            alike[k] = _ALIKE[word] = _american(word)
    return alike  # type: ignore[return-value]


def windows(tokens: Sequence[str], size: int) -> Iterator[tuple[int, tuple[str, ...]]]:
    """(where it starts, the words) of each run of `size` consecutive tokens within one paragraph, in the
    spelling quotations are compared in (`spelled_alike`)."""
    tokens = spelled_alike(tokens)
    for j in range(len(tokens) - size + 1):
        window = tuple(tokens[j : j + size])
        if "" not in window:
            yield j, window


def fingerprint(words: Sequence[str]) -> int:
    """The 64-bit fingerprint of a shingle's words, the same in every process; never 0."""
    digest = hashlib.blake2b("\x1f".join(words).encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "big") or 1  # 0 means "no shingle here"


def shingles(tokens: Sequence[str], size: int, common: Container[tuple[str, ...]] = ()) -> tuple[int, ...]:
    """The fingerprint of each shingle of `tokens`, 0 where none starts or where it is boilerplate (`common`)."""
    out = [0] * len(tokens)
    for j, window in windows(tokens, size):
        if window not in common:
            out[j] = fingerprint(window)
    return tuple(out)
