"""Planning the match feeds (pure): all matches, one feed per keyword rule, one coverage feed per release.

    StoredMatch… ──plan_matches──► FeedSpec (matches/, matches/rules/<rule>/, coverage/<release>/)
                                   + CoverageItem lists and feed links for the release pages

Entries point to the external item, carry the source feed's name and why it matched, and have ids that never
change: a tag: URI from the site's id domain, the day the match (of an entry listing several, the first) was
found and a hash of what was matched (kind, subject, the item's link or key). That id is minted when the entry is
first published, and kept (`EntryIds`, stored by the caller): the matches an entry lists may change later (a rule
removed takes its matches away, an edited release its related ones), and the id must not change with them. A
match whose item has no absolute http(s) link is an entry without one (its content says what was found and where).
An item's link is published without the secret parameters a paid feed puts in it (`?api_key=`: `public_link`), in
the entries and the coverage lists; ids and entry keys are still made from the link as stored, as they always were.
Every feed lists an article once (`article_of`: the copies of one story in several feeds, or at addresses that
differ by tracking parameters, AMP or a redirect wrapper), naming each feed, under its clean link
(`published_link`), and under the id first published for any of its copies (`EntryIds.id_of_any`).

Everything published here is in the site's language (`messages_for`): the feeds' titles and subtitles, their
links, what the entries say (where the item came from, why it matched: `feeds.publish.explain`, the kinds of
match as categories) and a release page's coverage list. On an English site, the words are as they always were.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from html import escape

from feeds.articles import article_link, item_article
from feeds.config import Settings
from feeds.model import Release, StoredMatch
from feeds.normalise.ids import rule_slug
from feeds.normalise.text import one_line_text, xml_safe
from feeds.publish.explain import explanation, reason
from feeds.publish.i18n import N_, Messages, messages_for
from feeds.publish.pageviews import CoverageItem, has_rtl, isolate_rtl, web_url
from feeds.publish.sitefeeds import CSS_PATH, EPOCH, XSL_PATH, feed_id
from feeds.publish.spec import FEED_FILES, Category, FeedEntry, FeedLink, FeedSpec, Person
from feeds.urls import public_link

KIND_LABELS = {
    "keyword": N_("Keyword match"),
    "related": N_("Related coverage"),
    "pickup": N_("Verbatim pickup"),
    "manual": N_("Added by hand"),
}
"""What a match is, as the match feeds' categories and a release page's coverage name it (in the site's
language)."""


@dataclass
class MatchFeeds:
    specs: list[FeedSpec] = field(default_factory=list)
    links: list[FeedLink] = field(default_factory=list)
    """All-matches and per-rule feeds, for the index and the OPML."""
    coverage: dict[str, tuple[CoverageItem, ...]] = field(default_factory=dict)
    """Release id → its coverage, newest first, for its page."""
    coverage_links: dict[str, list[FeedLink]] = field(default_factory=dict)


@dataclass
class EntryIds:
    """The ids of match-feed entries as first published, by (feed key, entry key: `_item_ref`).

    `known` comes from the store (`Store.entry_ids`); an entry not in it takes the id proposed now
    (`match_entry_id`), which goes to `minted` for the caller to store (`Store.keep_entry_ids`). Without that, an
    all-matches entry dated by its item's first match took a new id when that match was deleted (a rule removed,
    a release edited), and every reader showed the article again as new."""

    known: Mapping[tuple[str, str], str] = field(default_factory=dict)
    minted: dict[tuple[str, str], str] = field(default_factory=dict)

    def id_of(self, feed: str, entry: str, proposed: str) -> str:
        return self.id_of_any(feed, (entry,), proposed)

    def id_of_any(self, feed: str, entries: Sequence[str], proposed: str) -> str:
        """The id of an entry listing one article under several entry keys (`article_of`: the same story at
        addresses that differ by tracking parameters, in two feeds), the first found first: the one first published
        under any of them, else `proposed`. Each key not yet recorded takes it, so the entry keeps it when the
        copy it was first published for is pruned."""
        chosen = next((i for e in entries if (i := self.known.get((feed, e)) or self.minted.get((feed, e)))), proposed)
        for e in entries:
            if (feed, e) not in self.known:
                self.minted.setdefault((feed, e), chosen)
        return chosen


def _item_ref(m: StoredMatch) -> str:
    """What an entry lists (`feeds.store.entryids.ENTRY_KEY` in SQL): the item's link, or `<feed id>:<key>`."""
    return m.item.item.link or f"{m.item.feed_id}:{m.item.item.key}"


def article_of(m: StoredMatch) -> str:
    """The article a match's item is a copy of (`feeds.articles.item_article`)."""
    it = m.item.item
    return item_article(m.item.feed_id, it.key, it.link, it.guid)


def entry_keys(matches: Sequence[StoredMatch]) -> set[str]:
    """What the entries of these matches list (for `Store.entry_ids`)."""
    return {_item_ref(m) for m in matches}


def match_entry_id(domain: str, m: StoredMatch, also: Sequence[StoredMatch] = (), *, per_item: bool = False) -> str:
    """`tag:<domain>,<day found>:match/<hash>`: of (kind, subject, item) in rule and coverage feeds; of the item
    alone in the all-matches feed, where an item found several ways (`m` and `also`) is one entry.

    The day is the first match's of the entry, never the one it leads with: that is its strongest, and a pickup
    found a day after a keyword match (retro matching a release stored later) would give the article a new id,
    which every reader shows again as a new entry. Found times never change (`Store.rematch`), so an id
    first published with the entry's first match keeps it whatever is found later."""
    what = _item_ref(m) if per_item else f"{m.kind}\0{m.subject}\0{_item_ref(m)}"
    digest = hashlib.sha256(what.encode()).hexdigest()[:24]
    found = min(x.found_at for x in (m, *also))
    return f"tag:{domain},{found:%Y-%m-%d}:{'item' if per_item else 'match'}/{digest}"


def match_entry(
    m: StoredMatch,
    settings: Settings,
    words: Messages,
    titles: dict[str, str],
    also: Sequence[StoredMatch] = (),
    per_item: bool = False,
) -> FeedEntry:
    it = m.item.item
    # One reason per rule or release (the same article in two feeds matched the same rule twice), and every feed
    # it came from, the one whose copy made the first reason first.
    first: dict[tuple[str, str], StoredMatch] = {}
    for x in (m, *also):
        first.setdefault((x.kind, x.subject), x)
    # Item texts and feed titles are as stored: a watched feed's (JSON allows control characters) or a title given
    # on the command line may hold what XML forbids, and one such string would fail the whole publish.
    reasons = [isolated(xml_safe(reason(x, titles, words))) for x in first.values()]
    sources = ", ".join(
        dict.fromkeys(isolate_rtl(_visible(x.item.feed_title)) for x in (m, *also) if _visible(x.item.feed_title))
    )
    item_summary = xml_safe(it.summary)
    origin = words.say("From %(sources)s.", sources=sources) if sources else words.gettext("From an unnamed feed.")
    summary = f"{origin} " + " ".join(reasons)
    content = (
        f"<p>{escape(origin)}</p>"
        + "<ul>"
        + "".join(f"<li>{escape(r)}</li>" for r in reasons)  # one line per reason
        + "</ul>"
        + (
            f"<blockquote{_language(it.language)}{_direction(item_summary)}><p>{escape(item_summary)}</p></blockquote>"
            if item_summary.strip()
            else ""
        )
    )
    # (an item is never dated after it was seen: `_item_row`); a correction to it updates the entry
    # Entries found in one poll share this instant, and it is the true one: the W3C validator's DuplicateUpdated
    # is a warning whose own page says no action is needed when entries were updated at the same time. Moving one
    # by its item's publication or by a made-up second would misdate it (a tie-break is `sorted` below).
    every = (m, *also)
    updated = max(*(x.found_at for x in every), m.item.published, *(x.item.changed_at or x.found_at for x in every))
    return FeedEntry(
        id=match_entry_id(settings.site.domain, m, also, per_item=per_item),
        title=_visible(it.title) or words.gettext("(untitled item)"),
        link=web_url(published_link(every)),
        published=m.item.published,
        updated=updated,
        summary=summary,
        content_html=content,
        authors=(Person(name=_visible(it.author) or _visible(m.item.feed_title) or words.gettext("unknown source")),),
        categories=tuple(
            Category(term=k, label=words.gettext(KIND_LABELS[k])) for k in sorted({x.kind for x in (m, *also)})
        ),
        source_title=_visible(m.item.feed_title) or None,
    )


def _language(tag: str | None) -> str:
    """The `lang` of the item's own words, as its feed gives it (the entry's other sentences are ours)."""
    return f' lang="{escape(tag)}"' if tag else ""


def _direction(text: str) -> str:
    """The attribute that gives a quoted text in a right-to-left script its own direction (its full stop at its
    end, on the left), none for any other: a reader shows our feed's HTML left to right, in the site's language."""
    return ' dir="auto"' if has_rtl(text) else ""


def _visible(text: str | None) -> str:
    """One line of stored text as an XML document may carry it (see `match_entry`), isolated if it must be."""
    return isolated(one_line_text(text)) if text else ""


def isolated(text: str) -> str:
    """`text` from a watched feed, between FIRST STRONG ISOLATE and POP DIRECTIONAL ISOLATE (U+2068, U+2069) when it
    holds a bidirectional embedding, override or isolate: one it leaves open would show the words published after
    it (our "Keyword match for rule…") right to left, in whatever order the feed chose. The PDI closes whatever the
    text opened (UAX #9, X6a). Any other text is returned as it is."""
    return f"\u2068{text}\u2069" if _BIDI_CONTROL.search(text) else text


_BIDI_CONTROL = re.compile("[\u202a-\u202e\u2066-\u2069]")


def _strongest_first(m: StoredMatch) -> tuple[bool, float, datetime, int]:
    return (m.kind != "pickup", -m.score, m.found_at, m.id)


def published_link(copies: Sequence[StoredMatch]) -> str | None:
    """The address an article found as `copies` is published under: the first https one of their links (else the
    first), as `article_link` cleans it (a redirect wrapper's target, without tracking parameters or AMP marks) and
    without a subscriber's key (`public_link`). The ids keep the links as stored."""
    links = [article_link(link) for m in copies if (link := m.item.item.link)]
    chosen = next((u for u in links if u[:6].lower() == "https:"), links[0] if links else None)
    return public_link(chosen) if chosen else None


def _coverage_list(found: Sequence[StoredMatch], words: Messages) -> tuple[CoverageItem, ...]:
    """A release page's coverage: one line per article (the same link found in two feeds, or as both a pickup
    and related, is one line naming both sources and both kinds), dated by the article's own date."""
    by_article: dict[str, list[StoredMatch]] = {}
    for m in sorted(found, key=_strongest_first):
        by_article.setdefault(article_of(m), []).append(m)
    return tuple(
        CoverageItem(
            title=_visible(ms[0].item.item.title) or words.gettext("(untitled item)"),
            url=published_link(ms) or "",
            source=", ".join(dict.fromkeys(isolate_rtl(_visible(m.item.feed_title)) for m in ms)),
            found_at=min(m.found_at for m in ms),
            kinds=tuple(dict.fromkeys(KIND_LABELS[m.kind] for m in ms)),
            why=isolated(explanation(ms[0], words)),
            published=min(m.item.published for m in ms),
            lang=ms[0].item.item.language,
        )
        for ms in by_article.values()
    )


def plan_matches(
    matches: Sequence[StoredMatch],
    releases: dict[str, Release],
    rules: Mapping[str, datetime],
    settings: Settings,
    ids: EntryIds | None = None,
) -> MatchFeeds:
    """The match feeds (all matches, one per keyword rule in `rules`, name → when it was last changed, and one
    per release with coverage), their subscribe links and each release's coverage list. Entries take the ids in
    `ids` (those published before), and the ids of new entries are added to `ids.minted`."""
    ids = ids if ids is not None else EntryIds()
    site = settings.site
    words = messages_for(site)
    size = settings.publish.entries
    titles = {rid: r.title for rid, r in releases.items()}
    out = MatchFeeds()
    ordered = sorted(matches, key=lambda m: (m.found_at, m.item.published, m.id), reverse=True)
    entries = {m.id: match_entry(m, settings, words, titles) for m in ordered}

    def spec(
        key: str,
        path: str,
        title: str,
        subtitle: str,
        home: str,
        chosen: Sequence[StoredMatch],
        *,
        merge: bool = False,
        first_of_item: bool = False,
        since: datetime | None = None,
    ) -> FeedSpec:
        """`since`: what the feed's `updated` is while it has no entry (when what it watches was last changed).
        Every feed lists one entry per article (`article_of`: its copies in several feeds, or under addresses that
        differ by tracking parameters, are one entry naming every feed). `merge`: listing every way it was found,
        with an id of the item's own; otherwise under the id of the article's first match (a coverage feed's
        entries were one per match: an article found both as a pickup and as related, or in two feeds, was listed
        twice). An entry published before keeps its id (`EntryIds.id_of_any`)."""
        groups: dict[str, list[StoredMatch]] = {}
        for m in sorted(chosen, key=lambda m: (m.found_at, m.id)):
            groups.setdefault(article_of(m), []).append(m)
        made = []
        for g in groups.values():
            refs = tuple(dict.fromkeys(_item_ref(m) for m in g))  # first found first
            if merge:  # led by its strongest match, a pickup first (the id stays the item's: `match_entry_id`)
                lead = sorted(g, key=_strongest_first)
                made.append((refs, match_entry(lead[0], settings, words, titles, lead[1:], per_item=True)))
            elif len(g) == 1 and not first_of_item:
                made.append((refs, entries[g[0].id]))
            else:
                made.append((refs, match_entry(g[0], settings, words, titles, g[1:])))
        unique: dict[str, FeedEntry] = {}
        for refs, e in made:
            if (kept := ids.id_of_any(key, refs, e.id)) != e.id:
                e = replace(e, id=kept)
            unique.setdefault(e.id, e)
        # Newest first: the last found, and among those found in one poll, the item published last.
        shown = tuple(sorted(unique.values(), key=lambda e: (e.updated, e.published, e.id), reverse=True)[:size])
        return FeedSpec(
            key=key,
            path=path,
            id=feed_id(site.domain, key),
            title=title,
            subtitle=subtitle,
            home_url=home,
            base_url=site.base_url,
            language=site.language,
            updated=max((e.updated for e in shown), default=since or EPOCH),
            author=Person(name=site.author, email=site.email, uri=site.base_url),
            entries=shown,
            formats=settings.publish.formats,
            hub=settings.publish.hub,
            stylesheet=site.base_url + XSL_PATH,
            css=site.base_url + CSS_PATH,
            icon=site.icon,
        )

    def links(path: str, title: str, group: str, home: str) -> list[FeedLink]:
        return [
            FeedLink(title=title, url=site.base_url + path + FEED_FILES[f], format=f, group=group, home=home)
            for f in settings.publish.formats
        ]

    if not matches and not rules:
        return out  # nothing is watched: no empty match feeds on the site
    out.specs.append(
        spec(
            "matches",
            "matches/",
            words.say("%(site)s: all matches", site=site.title),
            words.gettext("Items found by keyword rules and coverage of our releases."),
            site.base_url,
            ordered,
            merge=True,
            since=max(rules.values(), default=None),
        )
    )
    out.links += links("matches/", words.gettext("All matches"), "Matches", site.base_url)
    by_rule: dict[str, list[StoredMatch]] = {name: [] for name in rules}
    by_release: dict[str, list[StoredMatch]] = {}
    for m in ordered:
        if m.kind == "keyword":
            by_rule.setdefault(m.subject, []).append(m)
        elif m.subject in releases:
            by_release.setdefault(m.subject, []).append(m)
    slugs: dict[str, str] = {}
    for name in sorted(by_rule):
        slug = rule_slug(name)
        if slug in slugs.values():  # (rules stored before such names were refused) the later name gets a suffix
            slug = f"{slug}-{hashlib.sha256(name.encode()).hexdigest()[:8]}"
        slugs[name] = slug
        path = f"matches/rules/{slug}/"
        out.specs.append(
            spec(
                f"rule:{slug}",
                path,
                words.say("%(site)s: matches for '%(rule)s'", site=site.title, rule=name),
                words.say("Items matching the rule '%(rule)s'.", rule=name),
                site.base_url,
                by_rule[name],
                since=rules.get(name),
            )
        )
        out.links += links(path, words.say("Rule: %(rule)s", rule=name), "Matches", site.base_url)
    for rid, found in sorted(by_release.items()):
        r = releases[rid]
        path = f"coverage/{r.slug}/"
        out.specs.append(
            spec(
                f"coverage:{r.slug}",
                path,
                words.say("Coverage: %(title)s", title=r.title),
                words.say("News items related to, or quoting, '%(title)s'.", title=r.title),
                r.permalink,
                found,
                first_of_item=True,
            )
        )
        out.coverage_links[rid] = links(path, words.gettext("Coverage of this release"), "Coverage", r.permalink)
        out.coverage[rid] = _coverage_list(found, words)
    return out
