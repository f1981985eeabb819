"""Where a press release's story ends: "ENDS", the notes to editors, the press office's contacts.

Press officers close a release by conventions older than e-mail: an "ENDS" line (or a wire service's "###" or
"-30-"), a "Notes to editors" heading, a block of contacts ("Media enquiries", "Press office: 020…", "Follow us
on X"). These patterns say where each begins: the plain-text reader (`plaintext.py`) ends a quotation there and
leaves the "ENDS" line out of the body (`body.py`), a summary never comes from the contacts (`summary.py`), and
a release's related-coverage terms leave them out (`without_contacts`, `feeds.watch.terms`).

What this module must not do: render anything, or decide what a release's text is beyond where these parts
begin (each caller decides what to do there).
"""

from __future__ import annotations

import re

__all__ = [
    "CLOSING_MARKER",
    "CLOSING_START",
    "EDITORS_NOTES",
    "ENDS",
    "is_ends_line",
    "starts_contacts",
    "without_contacts",
]

# Paragraphs after which the story stops and editors' material begins: a quotation never runs past them.
CLOSING_MARKER = re.compile(
    r"[-–—*\s]*(?:ends|notes?\s+(?:to|for)\s+editors?|editor(?:['’]?s|s['’])?\s+notes?|background"
    r"|further\s+information)[-–—*:.\s]*",
    re.IGNORECASE,
)
# ... and paragraphs that begin the contacts ("Contact: Press Office, 020…", "Media enquiries", "For more
# information, call…") or a note about an organisation ("About the RNLI").
_SOCIAL = r"(?:x|twitter|instagram|facebook|linkedin|bluesky|threads|tiktok|youtube|flickr)"
_CONTACTS = re.compile(
    r"(?i:\s*(?:contacts?|media\s+(?:enquiries|inquiries|contacts?)|press\s+(?:enquiries|inquiries|office|contacts?)"
    r"|for\s+(?:more|further)\s+(?:information|details))(?:\s*(?:[:,–—-]|$)|\s+(?:please|contact|call|email|visit|see)\b))"
    # the office's social media: "Follow us on X: @CoastalDept", "Instagram: @coastaldept"
    rf"|(?i:\s*(?:follow\s+(?:us\b|[^.!?\n]{{1,60}}?\s+on\s+{_SOCIAL}\b)|{_SOCIAL}\s*:\s*(?:@|https?://|www\.)))"
)
CLOSING_START = re.compile(
    _CONTACTS.pattern + r"|About\s+(?:the\s+)?[A-Z][\w&'’.-]*(?:\s+(?:[A-Z][\w&'’.-]*|of|and|for|the|&))*:?$"
)


def starts_contacts(text: str) -> bool:
    """Whether `text` (a paragraph, its lines apart) opens the press office's contacts: "Media enquiries",
    "Contact: Jane Smith, 020…", "Press office: 020… | press@…", "For more information, please contact…". Never a
    summary, nor where a release's related-coverage terms come from (`without_contacts`)."""
    return _CONTACTS.match(text.partition("\n")[0]) is not None


# A line of prose (several words, ended by a sentence's punctuation), which a contact block's lines are not.
_SENTENCE_LINE = re.compile(r"(?:\S+\s+){4,}\S*\w[.!?][”\"’)]?$", re.MULTILINE)


def without_contacts(text: str) -> str:
    """`text` (a release's plain text, blank-line separated paragraphs) without its contacts: a paragraph that
    opens them (`starts_contacts`) and the paragraphs after it that continue the block (names, numbers, addresses:
    no line of prose), up to the notes to editors or the story going on. The text as it is when it has none."""
    paras = text.split("\n\n")
    kept: list[str] = []
    in_contacts = False
    for para in paras:
        if starts_contacts(para):
            in_contacts = True
        elif in_contacts and (CLOSING_MARKER.fullmatch(para) or _SENTENCE_LINE.search(para)):
            in_contacts = False
        if not in_contacts:
            kept.append(para)
    return text if len(kept) == len(paras) else "\n\n".join(kept)


# "ENDS" on a line of its own, as written: "-ends-", "– ENDS –", "*ENDS*", "ENDS."; or the wire services' marks for
# it, "###" ("# # #") and "-30-".
_END_MARK = r"[-–—*_\s]*ends[-–—*_.\s]*|\s*#(?:\s*#){2,}\s*|\s*[-–—]+\s*30\s*[-–—]+\s*"
ENDS = re.compile(_END_MARK, re.IGNORECASE)


def is_ends_line(text: str) -> bool:
    """Whether `text` (a line, a paragraph's text) is the "ENDS" that ends a press release's story."""
    return ENDS.fullmatch(text) is not None


# The heading of the notes for editors, on a line of its own: "Notes to editors", "NOTE TO EDITORS:", "Notes for
# editors", "Editor's notes", "Editors’ notes".
EDITORS_NOTES = re.compile(
    r"[*_]*\s*(?:notes?\s+(?:to|for)\s+editors?|editor(?:['’]?s|s['’])?\s+notes?)\s*:?\s*[*_]*", re.IGNORECASE
)
