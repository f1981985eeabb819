"""A release as the published site shows it (pure): its address under the site's base URL as it is now, and its
entry in a feed.

Every feed that lists a release (main, archive, topic, organisation, custom) shows the same entry for it, made
here: the withdrawal notice, the text direction and the topics' categories are decided once, for all of them.

What this module must not do: read the clock, the store or the disk, or decide which feeds list a release
(`sitefeeds`). Everything arrives as arguments.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace

from feeds.config import Settings
from feeds.model import Release
from feeds.normalise.ids import permalink
from feeds.normalise.sanitise import IN_TAG
from feeds.publish.i18n import messages_for, messages_in
from feeds.publish.pageviews import text_direction
from feeds.publish.spec import Category, FeedEntry, Person
from feeds.publish.topicnames import topic_slug
from feeds.publish.translations import Translation


def at_base(r: Release, base_url: str) -> Release:
    """`r` as the site at `base_url` shows it: a release's address is its slug under the base URL as it is now, not
    as it was when the release was stored (a site moved from the example's localhost to its public address went on
    linking to the old one), and so are the links of its body that were made absolute against the old base URL
    (a body without a `link` of its own: `normalise` resolves its relative links and images against the site).

    Only URLs under the old base, in a tag's `href`, `src` or `cite`, move: they were the site's own, and the whole
    site moved. A body written elsewhere (a release with a `link`) was resolved against that page and keeps its URLs.
    """
    address = permalink(base_url, r.slug)
    if r.permalink == address:
        return r
    suffix = f"releases/{r.slug}/"
    if r.link is not None or not r.permalink.endswith(suffix):
        return replace(r, permalink=address)
    if r.image and r.image.startswith(f"{r.permalink.removesuffix(suffix)}pictures/"):  # (a picture dropped with it)
        r = replace(r, image=base_url + r.image.removeprefix(r.permalink.removesuffix(suffix)))
    old = html.escape(r.permalink.removesuffix(suffix), quote=True)  # as the sanitiser wrote it in an attribute
    new = html.escape(address.removesuffix(suffix), quote=True)
    if f'="{old}' not in r.body_html:
        return replace(r, permalink=address)
    pattern = re.compile(rf'({IN_TAG} (?:href|src|cite)="){re.escape(old)}')  # (inside a tag, never in text)
    return replace(r, permalink=address, body_html=pattern.sub(lambda m: m.group(1) + new, r.body_html))


def entry_of(
    r: Release,
    settings: Settings,
    names: Mapping[str, str] | None = None,
    translations: Sequence[Translation] = (),
) -> FeedEntry:
    """The feed entry of a release; `names`: the topics' names by slug (`topic_names`), so that one topic is one
    category everywhere, whichever spelling this release gave it; `translations`: its other language versions
    (`translations_of`), which the entry links to (Atom `link rel="alternate" hreflang`)."""
    base = settings.site.base_url
    authors = () if r.organisation == settings.site.author else (Person(name=r.organisation),)
    title, summary, content = r.title, r.summary, r.body_html
    if r.withdrawn_at is not None:
        # A reader shows a withdrawn release as "updated": it says why, as the release's page does (and GOV.UK's
        # own titles: "[Withdrawn] …"), in the release's language where a catalogue covers it (the entry is
        # marked as in it: `xml:lang`), else in the site's.
        words = messages_in(settings.site, r.language) or messages_for(settings.site)
        notice = words.say("Withdrawn on %(date)s.", date=words.date(r.withdrawn_at))
        if r.withdrawn_note:
            note = words.gettext(r.withdrawn_note)  # (ours, when none was given: in the entry's language)
            notice += f" {note}" + ("" if note.endswith((".", "!", "?", "…")) else ".")
        title, summary = words.say("[Withdrawn] %(title)s", title=title), f"{notice} {summary}"
        content = f"<p><strong>{html.escape(notice, quote=False)}</strong></p>{content}"
    direction = text_direction(r.language)
    if direction == "rtl" or direction != text_direction(settings.site.language):
        # A reader lays the HTML out in the feed's direction: Arabic in an English feed came out left to right,
        # its punctuation at the wrong end (the release's page sets dir; the feed's HTML has to carry it too).
        content = f'<div dir="{direction}">{content}</div>'
    return FeedEntry(
        id=r.id,
        title=title,
        link=r.permalink,
        published=r.published,
        updated=r.updated,
        summary=summary,
        content_html=content,
        authors=authors,
        # The topic's name is the term, not its slug: readers that show Atom terms showed "topic-cf2abf0c5b" for
        # 日本 (a name without ASCII letters); the scheme, the topic's page, identifies it as the slug did.
        categories=tuple(_category(t, base, names or {}) for t in r.topics),
        language=r.language,
        image=r.image,
        related_url=r.link,
        translations=tuple((t.language, t.url) for t in translations),
    )


def _category(topic: str, base: str, names: Mapping[str, str]) -> Category:
    slug = topic_slug(topic)
    name = names.get(slug, topic)
    return Category(term=name, label=name, scheme=f"{base}topics/{slug}/")
