"""Web addresses and e-mail addresses written in plain text → links, the rest of the text escaped.

A press officer types `www.gov.uk/coast`, `https://example.org/report.pdf` or `press@coastal.gov.uk` into a
release; readers expect to click them. Only what is unmistakably an address becomes a link: a URL starting with
`http://` or `https://`, a host starting with `www.` (linked with `https://`), and an e-mail address (linked with
`mailto:`). A bare domain ("gov.uk") or a file name ("report.pdf") stays text. Punctuation that ends the sentence
around an address (`.`, `,`, `;`, `:`, `!`, `?`, a closing quotation mark, a bracket the address did not open) is
not part of it.

The links are written exactly as `sanitise.sanitise_html` writes them (`rel="noopener noreferrer"`, `&` escaped in
attribute values), so a body made from plain text is already what sanitising would make of it.

What this module must not do: look an address up, or decide anything about the text around it.
"""

from __future__ import annotations

import html
import re

__all__ = ["addresses", "linkify", "may_hold_address"]

# Characters a URL written in running text never contains: white space, markup, quotation marks and dashes (a
# typographic one in a URL would be percent-encoded). A URL runs up to the first of them.
_URL = re.compile(r"(?<![\w@./:-])(?:https?://|www\.)[^\s<>\"“”‘’«»–—…\x60{}|\\^]+", re.IGNORECASE)
# Local part: letters, digits and . _ % + - ; domain: labels of letters, digits and hyphens, a final label of
# letters (the top-level domain). Not followed by more of an address (`a@b.cd-e`, `a@b.c.d`).
_EMAIL = re.compile(
    r"(?<![\w.%+-])[\w.%+-]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?)*"
    r"\.[A-Za-z]{2,}(?![\w-]|\.[A-Za-z0-9])"
)
_TRAILING = ".,;:!?'*"
_BRACKETS = {")": "(", "]": "["}
# The host: a domain name (ASCII labels, a top-level domain of letters: "www.gov.uk"), a port that can be one.
# Not an IP address or "localhost", which a release has no reason to link, and which a URL parser may refuse
# ("http://08"): the sanitiser would then drop the link.
_HOST = re.compile(
    r"(?:https?://)?(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,}(?::(?P<port>\d{1,5}))?(?:[/?#]|$)",
    re.IGNORECASE,
)


def linkify(text: str) -> str:
    """`text` as HTML text (`&`, `<`, `>` escaped), its web and e-mail addresses as `<a>` links."""
    out: list[str] = []
    position = 0
    for start, end, href in _addresses(text):
        out.append(_emails(text[position:start]))
        out.append(_link(href, text[start:end]))
        position = end
    out.append(_emails(text[position:]))
    return "".join(out)


def may_hold_address(text: str) -> bool:
    """Whether a document may hold an address worth linking: an "@" or a "/" (each found with one C-speed
    `memchr`, where a search for "www." or "://" takes microseconds over a release's body). A bare `www.` address
    with no path, in a document with neither, is not looked for. One check for a whole document (a Markdown
    body), so that its paragraphs need none."""
    return "@" in text or "/" in text


def addresses(text: str) -> list[tuple[int, int, str]]:
    """(start, end, href) of each address `linkify` makes a link of in `text`, in order: for a renderer that
    builds its links itself (Markdown), so that they are the links a plain-text release gets."""
    found: list[tuple[int, int, str]] = []
    position = 0
    for start, end, href in _addresses(text):
        found += _email_spans(text, position, start)
        found.append((start, end, href))
        position = end
    found += _email_spans(text, position, len(text))
    return found


def _addresses(text: str) -> list[tuple[int, int, str]]:
    """(start, end, href) of each web address in `text`, trailing punctuation left out."""
    found: list[tuple[int, int, str]] = []
    if "www." not in text.lower() and "http" not in text.lower():
        return found  # (most paragraphs: no regex search at all)
    for match in _URL.finditer(text):
        url = _without_trailing_punctuation(match[0])
        www = url[:4].lower() == "www."
        host = _HOST.match(url, 4 if www else 0)  # (after "www.", a domain name still: "www.foo" is none)
        if host is not None and int(host["port"] or 0) <= 65535:
            href = "https://" + url if www else url
            found.append((match.start(), match.start() + len(url), href))
    return found


def _without_trailing_punctuation(url: str) -> str:
    """`url` without the sentence's punctuation after it; a closing bracket stays when the URL opened it
    (`https://en.wikipedia.org/wiki/Pier_(structure)`)."""
    while url:
        last = url[-1]
        if last in _TRAILING or (last in _BRACKETS and url.count(_BRACKETS[last]) < url.count(last)):
            url = url[:-1]
        else:
            break
    return url


def _emails(text: str) -> str:
    """`text` escaped, its e-mail addresses as `mailto:` links."""
    if "@" not in text:
        return html.escape(text, quote=False)
    out: list[str] = []
    position = 0
    for start, end, href in _email_spans(text, 0, len(text)):
        out.append(html.escape(text[position:start], quote=False))
        out.append(_link(href, text[start:end]))
        position = end
    out.append(html.escape(text[position:], quote=False))
    return "".join(out)


def _email_spans(text: str, start: int, end: int) -> list[tuple[int, int, str]]:
    """(start, end, href) of each e-mail address in `text[start:end]` (as the whole text there: the regex's
    look-arounds do not see past it), a `mailto:` written before it included."""
    part = text[start:end]
    if "@" not in part:
        return []
    found: list[tuple[int, int, str]] = []
    after = 0  # where the address before ends: a "mailto:" is not taken from it ("a@b.orgmailto:c@d.org")
    for match in _EMAIL.finditer(part):
        first = match.start()
        if first - 7 >= after and part[first - 7 : first].lower() == "mailto:":  # a link already: all of it is one
            first -= 7
        found.append((start + first, start + match.end(), "mailto:" + match[0]))
        after = match.end()
    return found


def _link(href: str, text: str) -> str:
    # As the sanitiser serialises attribute values: `&` and `"` escaped (there is no `"` in an address here).
    value = href.replace("&", "&amp;").replace('"', "&quot;")
    return f'<a href="{value}" rel="noopener noreferrer">{html.escape(text, quote=False)}</a>'
