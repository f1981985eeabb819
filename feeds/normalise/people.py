"""A person as we keep and republish them: the name a watched feed gives its author, without an email address.

RSS 2.0's `<author>` is an email address (`jane.doe@example.com (Jane Doe)`), `dc:creator` often carries one
(`Jane Doe <jane@example.com>`) and feedparser writes an Atom author's `<email>` beside the name (`Jane Doe
(jane@example.com)`). A journalist's byline is attribution, fit to show beside their article in a coverage feed; the
address harvested from their feed is personal data that we have no purpose for (UK GDPR Art. 5(1)(c), data
minimisation): it is never stored, matched, republished or sent in an alert. Pure.

What this module must not do: guess a name from an address (`jane.doe@…` is no name we were given): an author
that is only an address becomes empty, and the coverage feeds then name the feed instead.
"""

from __future__ import annotations

import re

_ADDRESS = re.compile(
    r"(?:mailto:)?(?<![\w.!#$%&'*+/=?^`{|}~-])[\w.!#$%&'*+/=?^`{|}~-]++@[\w-]++(?:\.[\w-]++)+", re.IGNORECASE
)
"""An email address as bylines write one (with a `mailto:` before it, as a link's target): it starts where a run of
the characters an address is made of starts, and nothing in it is tried again (possessive), so a hostile 200-character
author costs one pass, not one per character."""
_EMPTY_BRACKETS = re.compile(r"\(\s*\)|<\s*>|\[\s*\]|&lt;\s*&gt;")
_PARTS = re.compile(r"\s*[,;]\s*")
_EDGES = " \t,;/|-–—:"


def without_email(author: str) -> str:
    """`author` with every email address taken out and the brackets and separators it leaves tidied:
    `jane.doe@example.com (Jane Doe)`, `Jane Doe <jane@example.com>` and `Jane Doe (jane@example.com)` are all
    `Jane Doe`; `a@x.org (A), b@x.org (B)` is `A, B`; `jane@example.com` alone is `` (empty). An author without
    an `@` is returned as it is (the hot path: most are), as is one whose `@` begins no address (`@janedoe`)."""
    if "@" not in author:
        return author
    text = _ADDRESS.sub(" ", author)
    if text == author:
        return author
    names = []
    for part in _PARTS.split(_EMPTY_BRACKETS.sub(" ", text)):
        part = " ".join(part.split()).strip(_EDGES)
        if part[:1] == "(" and part[-1:] == ")" and part.count("(") == 1:  # the name an address had beside it
            part = part[1:-1].strip(_EDGES)
        if part:
            names.append(part)
    return ", ".join(names)
