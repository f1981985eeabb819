"""Alert messages (pure): the webhook JSON body and its signature, and the email (subject, text part, HTML part).

Everything shown comes from external feeds and is hostile: the HTML part escapes every string and links only
http(s) URLs; header values have their line breaks collapsed and no encoded word in them is decoded (a title
cannot inject a header); the JSON body is built with `json.dumps`. Output is deterministic (same entries → same
bytes), so a retried webhook carries the same body (its signature changes with the time it is sent).

What this module must not do: read the clock, touch the store, or send anything.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import html
import json
import re
import unicodedata
from collections.abc import Sequence
from datetime import datetime, tzinfo
from email.header import Header
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import format_datetime
from typing import Any
from urllib.parse import urlsplit

from feeds.alerts.select import AlertEntry, group_entries
from feeds.alerts.unlisted import Unlisted
from feeds.clock import rfc3339
from feeds.config import webhook_signing_key
from feeds.publish.coverage import isolated
from feeds.urls import dns_host, uri_form

ID_HEADER = "webhook-id"
TIMESTAMP_HEADER = "webhook-timestamp"
STANDARD_SIGNATURE_HEADER = "webhook-signature"
SIGNATURE_HEADER = "X-Feeds-Signature"
"""Deprecated: the body's HMAC alone, which a captured delivery replays for ever. Sent beside `webhook-signature`
for one release (receivers move to the latter), then dropped."""
DELIVERY_HEADER = "X-Feeds-Delivery"
"""The delivery key; on webhooks deprecated as `SIGNATURE_HEADER` is (`webhook-id` carries it). Emails keep it."""
SUBJECT_TITLE_MAX = 80
UNTITLED = "(untitled)"
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH_NAMES = (
    "January", "February", "March", "April", "May", "June",
    "July", "August", "September", "October", "November", "December",
)  # fmt: skip
_SPACE = re.compile(r"\s+")


# --- webhook ---------------------------------------------------------------------------------------------------


def webhook_body(entry: AlertEntry, destination: str, *, test: bool = False) -> bytes:
    """The JSON document POSTed for one match (UTF-8, RFC 8259 §8.1; keys in a fixed order). `test`: a sample
    sent by `feeds alerts test`, marked `"test": true` as the last key (a real alert has no `test` key)."""
    m = entry.match
    item = m.item
    doc: dict[str, Any] = {
        "delivery": entry.key,
        "destination": destination,
        "match_id": m.id,
        "kind": m.kind,
        "rule": m.subject if m.kind == "keyword" else None,
        "release": None
        if m.kind == "keyword"
        else {"id": m.subject, "title": entry.subject_title, "url": entry.subject_link},
        "item": {
            "title": item.item.title,
            "link": item.item.link,
            "author": item.item.author,
            "summary": item.item.summary,
            "published": rfc3339(item.published),
            "feed": {"id": item.feed_id, "title": item.feed_title},
        },
        "terms": list(dict.fromkeys(t.term for t in m.terms)),
        "score": m.score,
        "why": m.why,
        "found_at": rfc3339(m.found_at),
    }
    if test:
        doc["test"] = True
    return json.dumps(doc, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def signature(secret: str, body: bytes) -> str:
    """`sha256=<hex>`: HMAC-SHA256 (RFC 2104) of the raw body, keyed with the destination's secret's UTF-8 bytes
    whatever its kind, as it always was (deprecated: `X-Feeds-Signature`, kept for one release beside
    `standard_signature`, for receivers that have not moved yet)."""
    return "sha256=" + hmac.new(secret.encode("utf-8"), body, hashlib.sha256).hexdigest()


def standard_signature(secret: str, delivery_id: str, timestamp: int, body: bytes) -> str:
    """`v1,<base64>`: the Standard Webhooks signature, HMAC-SHA256 of `<id>.<timestamp>.<body>` keyed as those
    libraries key it (`webhook_signing_key`): a `whsec_` secret with the base64-decoded bytes after the prefix,
    any other with its UTF-8 bytes. Covering the id and the time (Unix seconds) lets a receiver reject a
    captured delivery replayed later (one older than its tolerance, 5 minutes) and drop a repeat by its id."""
    signed = f"{delivery_id}.{timestamp}.".encode("ascii") + body
    digest = hmac.new(webhook_signing_key(secret), signed, hashlib.sha256).digest()
    return "v1," + base64.b64encode(digest).decode("ascii")


def webhook_headers(body: bytes, key: str, *, secret: str | None, user_agent: str, timestamp: int) -> dict[str, str]:
    """The headers of one POST, by the Standard Webhooks convention (`webhook-id`: the delivery key, the same on
    every retry; `webhook-timestamp`: when this attempt is sent), plus the deprecated `X-Feeds-*` pair."""
    headers = {
        "Content-Type": "application/json",
        "User-Agent": user_agent,
        ID_HEADER: key,
        TIMESTAMP_HEADER: str(timestamp),
        DELIVERY_HEADER: key,
    }
    if secret:
        headers[STANDARD_SIGNATURE_HEADER] = standard_signature(secret, key, timestamp, body)
        headers[SIGNATURE_HEADER] = signature(secret, body)
    return headers


# --- email -----------------------------------------------------------------------------------------------------


def email_subject(entries: Sequence[AlertEntry], unlisted: int = 0, period: str | None = None) -> str:
    """`feeds: new match for 'sanctions': <title>` for one match, `feeds: 3 new matches for 'a' and 'b'` for more
    (`unlisted`: more matches the message carries without listing them, counted in); a digest names its period
    first (`period`: `digest_period`), `feeds: daily digest, 30 November 2026: 3 new matches for 'a' and 'b'`, so
    a mail client that threads messages by subject never takes two digests for one conversation."""
    if period is not None:
        return _literal(f"feeds: {period}: " + email_subject(entries, unlisted).removeprefix("feeds: "))
    groups = group_entries(entries)
    labels = [_one_line(g.label, SUBJECT_TITLE_MAX) for g in groups]
    about = f"{labels[0]}, {labels[1]} and {len(labels) - 2} more" if len(labels) > 2 else " and ".join(labels)
    if len(entries) == 1 and not unlisted:
        title = _one_line(entries[0].match.item.item.title, SUBJECT_TITLE_MAX) or UNTITLED
        return _literal(f"feeds: new match for {about}: {title}")
    return _literal(f"feeds: {len(entries) + unlisted} new matches for {about}")


def digest_period(frequency: str, ends: datetime, tz: tzinfo) -> str:
    """A digest's period as its subject names it, by the boundary that ends it (`feeds.alerts.select.next_boundary`)
    on the site's wall clock: `hourly digest, 30 November 2026 09:00`, `daily digest, 30 November 2026`, `weekly
    digest, 30 November 2026` (locale-independent)."""
    v = ends.astimezone(tz)
    day = f"{v.day} {_MONTH_NAMES[v.month - 1]} {v.year}"
    return f"{_frequency(frequency)}, {day}" + (f" {v:%H:%M}" if frequency == "hourly" else "")


def _literal(header_text: str) -> str:
    """Header text that the email library takes as written. It decodes RFC 2047 encoded words in a value it is
    given, so a title `=?utf-8?b?...?=` would become whatever it encodes, line breaks and headers included (which
    Python before 3.11.10/3.12.5 writes out as they are: CVE-2024-6923). A WORD JOINER (U+2060, invisible) after
    each `=` before `?` keeps the text from reading as one; the subject is then encoded by the library itself."""
    return header_text.replace("=?", "=\u2060?")


def email_text(
    entries: Sequence[AlertEntry],
    *,
    alert_name: str,
    frequency: str,
    tz: tzinfo,
    unlisted: Unlisted | None = None,
) -> str:
    more = unlisted.count if unlisted is not None else 0
    lines = [_count(len(entries) + more) + f" (alert '{alert_name}', {_frequency(frequency)})", ""]
    if unlisted is not None:  # (before the list: a mail client may clip a long message, as Gmail does after ~100 KB)
        head, where, rows = _unlisted(unlisted, len(entries), tz)
        lines += [head, where, *(f"{label}{url}" for label, url in rows), ""]
    for g in group_entries(entries):
        lines.append(f"{g.heading} ({len(g.entries)})")
        if g.link:
            lines.append(g.link)
        lines.append("")
        for e in g.entries:
            item = e.match.item
            lines.append(f"* {_one_line(item.item.title) or UNTITLED}")
            lines.append(f"  {_one_line(item.feed_title)} · {local_time(item.published, tz)}")
            if link := _href(item.item.link):
                lines.append(f"  {link}")
            lines.append(f"  {_one_line(e.match.why)}")
            lines.append("")
    lines.append("-- ")
    lines.append(f"Sent by feeds for the alert '{alert_name}'.")
    return "\n".join(lines) + "\n"


def email_html(
    entries: Sequence[AlertEntry],
    *,
    alert_name: str,
    frequency: str,
    tz: tzinfo,
    unlisted: Unlisted | None = None,
) -> str:
    e_ = html.escape
    more = unlisted.count if unlisted is not None else 0
    parts = [
        '<!DOCTYPE html>\n<html><head><meta charset="utf-8"></head>',
        '<body style="font-family:sans-serif;line-height:1.4">',
        f"<p>{e_(_count(len(entries) + more))} (alert &lsquo;{e_(alert_name)}&rsquo;, {e_(_frequency(frequency))})</p>",
    ]
    if unlisted is not None:  # (before the list, as in the text part)
        head, where, rows = _unlisted(unlisted, len(entries), tz)
        shown = [
            f"{e_(label)}{_linked(url, url)}" if unlisted.feeds else f"<code>{e_(url)}</code>" for label, url in rows
        ]
        parts.append("<p>" + "<br>\n".join([e_(head), e_(where), *shown]) + "</p>")
    for g in group_entries(entries):
        parts.append(f'<h2 style="font-size:1.1em">{_linked(g.heading, g.link)} ({len(g.entries)})</h2>')
        parts.append("<ul>")
        for e in g.entries:
            item = e.match.item
            title = _one_line(item.item.title) or UNTITLED
            parts.append(
                f"<li>{_linked(title, item.item.link, rtl=right_to_left(title))}<br>"
                f"<small>{e_(_one_line(item.feed_title))} · {e_(local_time(item.published, tz))}</small><br>"
                f"{e_(_one_line(e.match.why))}</li>"
            )
        parts.append("</ul>")
    parts.append(f"<p><small>Sent by feeds for the alert &lsquo;{e_(alert_name)}&rsquo;.</small></p>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


def build_email(
    entries: Sequence[AlertEntry],
    *,
    alert_name: str,
    frequency: str,
    to: Sequence[str],
    sender: str,
    now: datetime,
    tz: tzinfo,
    key: str,
    unlisted: Unlisted | None = None,
    sender_name: str | None = None,
    period: datetime | None = None,
) -> EmailMessage:
    """A multipart/alternative message (text, then HTML: RFC 2046 §5.1.4, the last part is the preferred one),
    7-bit clean: UTF-8 parts in quoted-printable, non-ASCII header text in RFC 2047 encoded words. `unlisted`:
    the matches a digest carries without listing them, counted, and said before its list with where to find them.
    `period`: the boundary that ends a digest's period, named in its subject (`digest_period`), never `now`, so a
    digest sent again after a failure has the same subject."""
    msg = EmailMessage()
    named = digest_period(frequency, period, tz) if period is not None and frequency != "immediate" else None
    _set_subject(msg, email_subject(entries, unlisted.count if unlisted is not None else 0, named))
    sender = ascii_address(sender) or sender  # (a domain in another script as its `xn--` form; the name part stays)
    _set_from(msg, sender, sender_name)
    msg["To"] = ", ".join(to)
    msg["Date"] = format_datetime(now)
    domain = sender.rpartition("@")[2].strip("<> ") or "localhost"
    msg["Message-ID"] = f"<{key}@{domain}>"
    msg["Auto-Submitted"] = "auto-generated"  # RFC 3834 §5: no vacation auto-replies to alerts
    # (Exchange and Outlook send out-of-office replies all the same: they read this instead, MS-OXCMAIL §2.2.3.2.14)
    msg["X-Auto-Response-Suppress"] = "All"
    msg[DELIVERY_HEADER] = key
    # Quoted-printable, never 8bit: a client may send 8-bit data only with BODY=8BITMIME to a server that offers
    # it (RFC 6152 §3), and every alert has non-ASCII text (" · " at least). QP keeps the source readable.
    text = email_text(entries, alert_name=alert_name, frequency=frequency, tz=tz, unlisted=unlisted)
    msg.set_content(text, cte="quoted-printable")
    page = email_html(entries, alert_name=alert_name, frequency=frequency, tz=tz, unlisted=unlisted)
    msg.add_alternative(page, subtype="html", cte="quoted-printable")
    return msg


def ascii_address(address: str) -> str | None:
    """`address` as a mail server without SMTPUTF8 (RFC 6531) takes it: its domain, when in another script, in
    its `xn--` form (IDNA 2008, as `dns_host`: `presse@bücher.example` → `presse@xn--bcher-kva.example`, the same
    mailbox); None when its mailbox name (before the `@`) is not ASCII, which has no ASCII form."""
    local, _, domain = address.rpartition("@")
    if not local.isascii():
        return None
    try:
        return f"{local}@{dns_host(domain)}"
    except ValueError:  # (not a host name: config refuses it; left as it is, for the server to answer)
        return address


def _set_subject(msg: EmailMessage, subject: str) -> None:
    """The Subject header, folded so that a mail client shows it as written. Not by the email library: its
    folding (Python 3.11, 3.12) writes neighbouring non-ASCII words as separate encoded words with only a folding
    space between them, a space RFC 2047 §6.2 has the reader drop ("ministère à Genève" arrives as
    "ministèreàGenève"), and moves a long ASCII one that has quotes (`for 'sanctions'`) whole onto the next line,
    where a reader keeps the folding space in front of it (" feeds: daily digest…"). `Header` folds an ASCII one
    between its words, and encodes a non-ASCII one whole, spaces inside its encoded words, on lines of at most 76
    characters, which the library then writes as they are."""
    charset = "us-ascii" if subject.isascii() else "utf-8"
    msg.set_raw("Subject", Header(subject, charset, header_name="Subject").encode())


def _set_from(msg: EmailMessage, sender: str, name: str | None) -> None:
    """The From header: `sender`, after its display `name` when there is one. An ASCII name goes through the
    email library, which quotes it when it must (`"Smith, Jones & Co" <…>`: a bare comma would read as two
    addresses). A non-ASCII one is encoded whole by `Header`, for the folding fault `_set_subject` avoids: the
    library drops the space between neighbouring encoded words (RFC 2047 §5(3) allows encoded words in a phrase)."""
    if name is None:
        msg["From"] = sender
    elif name.isascii():
        msg["From"] = Address(display_name=name, addr_spec=sender)
    else:
        encoded = Header(name, "utf-8", header_name="From").encode()
        last = encoded.rpartition("\n")[2]
        # (the address on the line of the name's last encoded word, when that line stays within 78 characters)
        gap = " " if len(last) + len(sender) + 3 <= (78 - 6 if last == encoded else 78) else "\n "
        msg.set_raw("From", f"{encoded}{gap}<{sender}>")


def local_time(value: datetime, tz: tzinfo) -> str:
    """`28 Nov 2026 12:00 GMT`: the site's wall clock, locale-independent."""
    v = value.astimezone(tz)
    return f"{v.day} {_MONTHS[v.month - 1]} {v.year} {v:%H:%M} {v.tzname() or ''}".rstrip()


def _linked(text: str, url: str | None, *, rtl: bool = False) -> str:
    """Escaped text, wrapped in a link only when the URL is absolute http(s) (never `javascript:` and the like).
    `rtl`: set right to left (`dir="rtl"`, which Outlook's renderer reads too, where `dir="auto"` it does not)."""
    direction = ' dir="rtl"' if rtl else ""
    if href := _href(url):
        return f'<a{direction} href="{html.escape(href, quote=True)}">{html.escape(text)}</a>'
    return f"<span{direction}>{html.escape(text)}</span>" if rtl else html.escape(text)


def _href(url: str | None) -> str | None:
    """`url` as a mail client follows it whole: in URI form (`uri_form`: a space or a line break a feed left in it
    percent-encoded, where a client would end the link), and only when it is absolute http(s)."""
    return uri_form(url) if url and urlsplit(url.strip()).scheme.lower() in ("http", "https") else None


def right_to_left(text: str) -> bool:
    """Whether `text` reads right to left: its first letter with a strong direction is Hebrew, Arabic or another
    right-to-left script (Unicode's "first strong" rule, UAX #9 P2). Else it is left to the message's direction."""
    for char in text:
        kind = unicodedata.bidirectional(char)
        if kind in ("R", "AL"):
            return True
        if kind == "L":
            return False
    return False


def _one_line(text: str, limit: int | None = None) -> str:
    """One line of a watched feed's text (or of what quotes it), cut to `limit` characters, and isolated when it
    holds a bidirectional override that would otherwise reorder the words after it (`isolated`)."""
    line = _SPACE.sub(" ", text).strip()
    return isolated(_truncate(line, limit) if limit is not None else line)


def _truncate(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def _unlisted(u: Unlisted, listed: int, tz: tzinfo) -> tuple[str, str, list[tuple[str, str]]]:
    """What a digest says of the matches it does not list, the same in text and HTML, before its list: how many
    and when they were found; where they are (a sentence); then its lines, each (label, URL or command). A feed
    is named only when it holds them all (`feeds.alerts.unlisted`); else the command that lists them."""
    first, last = local_time(u.first_found, tz), local_time(u.last_found, tz)
    found = f"found {first}" if first == last else f"found from {first} to {last}"
    are = "is" if u.count == 1 else "are"
    head = f"{u.count} of them {are} not listed here (a digest lists the {listed} newest), {found}."
    them = "it" if u.count == 1 else "them"
    if not u.feeds:
        where = (
            f"No feed of the site holds {'them all' if u.count > 1 else 'it'} (a feed lists its {u.feed_size}"
            f" newest); where feeds runs, this command lists {them}, among the other matches found since:"
        )
        return head, where, [("", u.command)]
    if len(u.feeds) == 1 and u.feeds[0].rule is None:
        where = f"The site's feed of all matches, which lists the {u.feed_size} newest, holds {them}:"
        return head, where, [("", u.feeds[0].url)]
    if len(u.feeds) == 1:
        where = f"The feed of the rule '{u.feeds[0].rule}', which lists its {u.feed_size} newest, holds {them}:"
        return head, where, [("", u.feeds[0].url)]
    where = f"The feeds of their rules, each listing its {u.feed_size} newest, hold {them}:"
    return head, where, [(f"'{f.rule}': ", f.url) for f in u.feeds]


def _count(n: int) -> str:
    return "1 new match" if n == 1 else f"{n} new matches"


def _frequency(frequency: str) -> str:
    return {"immediate": "as it happens", "hourly": "hourly digest", "daily": "daily digest"}.get(
        frequency, f"{frequency} digest"
    )
