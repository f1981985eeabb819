"""The site's feeds of releases (pure): which exist, what each holds, and each one's `FeedSpec`.

    releases ──feed_groups──► FeedGroup (topic, organisation, custom) ──spec_of──► FeedSpec
    releases in archive order ──archive_pages / current_entries──► the main feed's RFC 5005 documents

The main feed follows RFC 5005 (archived feeds): entries are assigned to pages in the order their releases went
public (`Store.release_archive_order`: when first stored, or when an embargo lifted; a release stored after its
publication, a back catalogue brought in, by its publication among the releases no archive holds yet), oldest
first; every archive page holds exactly `entries` entries and is cut only when the current document would keep
at least `entries` of its own, so an archive, once published, is complete and never changes (unless one of its
releases is edited). The current document holds between `entries` and 2×`entries`-1 entries of its own, plus
the newest and the last updated releases wherever they were archived (`current_entries`).

What this module must not do: read the clock, the store or the disk, render anything, or fingerprint documents
(`plan`). Everything arrives as arguments.
"""

from __future__ import annotations

import functools
import heapq
import operator
import uuid
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime

from feeds.config import CustomFeed, Settings
from feeds.fold import fold
from feeds.model import Release
from feeds.publish.entries import entry_of
from feeds.publish.i18n import language_name, messages_for, messages_in
from feeds.publish.spec import FeedSpec, Person
from feeds.publish.succession import Succession, succession_of
from feeds.publish.topicnames import topic_slug
from feeds.publish.translations import Translation

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
"""`updated` of a feed with no entries: a fixed instant, never 'now', so an empty feed is byte-stable."""

XSL_PATH = "static/feed.xsl"
CSS_PATH = "static/feed.css"
"""The browser view of the feeds: feed.xsl, and feed.css where browsers no longer run XSLT."""


@dataclass(frozen=True, slots=True)
class FeedGroup:
    """A feed of releases before it becomes a spec: which releases, and how it is described."""

    key: str
    path: str
    title: str
    subtitle: str
    home_url: str
    releases: tuple[Release, ...]
    group: str
    offered: bool = True
    """Whether the index, the OPML list and the release pages offer it: not a topic's or an organisation's feed
    kept for its subscribers when it has no release left, nor an organisation's while there is only one."""
    language: str | None = None
    """The language of its releases (`xml:lang`, RSS `<language>`) where it is not the site's: a language's feed."""


def feed_id(domain: str, key: str) -> str:
    """A feed's Atom id: a name-based UUID from the site's id domain and the feed's key (stable forever: the domain
    is the one the feeds were first published with, `settled_id_domain`)."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"https://{domain}/feeds/{key}").urn


def settled_id_domain(settings: Settings, domain: str) -> Settings:
    """`settings` whose ids are made with `domain` (`PublishedFeeds.id_domain`: the one the feeds were first
    published with) when `site.id_domain` is not set: `base_url`'s host, which a move to another domain changes,
    would give every feed a new Atom id and new match entries ids under the new host. An `id_domain` set in the
    config is the office's word, and used as it is."""
    site = settings.site
    if site.id_domain is not None or domain == site.domain:
        return settings
    return replace(settings, site=replace(site, id_domain=domain))


def newest_first(releases: Sequence[Release]) -> list[Release]:
    return sorted(releases, key=_by_publication, reverse=True)


_by_publication: Callable[[Release], tuple[datetime, str]] = operator.attrgetter("published", "id")
"""A release's place in a feed, newest first (`attrgetter` builds the key in C: a no-op publish sorts each of its
few hundred feeds' releases, some 80,000 keys for 10,000 releases)."""
_by_update: Callable[[Release], tuple[datetime, str]] = operator.attrgetter("updated", "id")


def spec_of(
    group: FeedGroup,
    settings: Settings,
    names: Mapping[str, str] | None = None,
    translated: Mapping[str, tuple[Translation, ...]] | None = None,
    /,
    *,
    entries: Sequence[Release] | None = None,
    at_least: datetime = EPOCH,
    **extra: object,
) -> FeedSpec:
    """`at_least`: the `updated` the feed was published with before, which it never goes back from (`marks`);
    `translated`: the releases' other language versions by id (`translations_of`), which their entries link to."""
    chosen = newest_first(group.releases if entries is None else entries)
    site = settings.site
    updated = max(max((r.updated for r in chosen), default=EPOCH), at_least)
    language = group.language or site.language
    # The subtitle is in our words: the language's own for a language's feed where a catalogue has them (as
    # `feed_groups` words it), else the site's.
    words = (messages_in(site, language) if group.language else None) or messages_for(site)
    subtitle_lang = words.language if primary_subtag(words.language) != primary_subtag(language) else None
    return FeedSpec(
        key=group.key,
        path=group.path,
        id=feed_id(site.domain, group.key),
        title=group.title,
        subtitle=group.subtitle,
        home_url=group.home_url,
        base_url=site.base_url,
        language=language,
        subtitle_lang=subtitle_lang,
        updated=updated,
        author=Person(name=site.author, email=site.email, uri=site.base_url),
        entries=tuple(entry_of(r, settings, names, (translated or {}).get(r.id, ())) for r in chosen),
        formats=settings.publish.formats,
        hub=settings.publish.hub,
        stylesheet=site.base_url + XSL_PATH,
        css=site.base_url + CSS_PATH,
        icon=site.icon,
        rights=f"© {site.author}",
        **extra,  # type: ignore[arg-type]
    )


def primary_subtag(language: str) -> str:
    """A language's primary subtag, lower-cased, as its feeds' folder and key name it (`en-GB` → `en`)."""
    return language.strip().split("-")[0].lower()


def language_groups(
    releases: Sequence[Release],
    settings: Settings,
    kept: Collection[str] = (),
    *,
    by_language: Mapping[str, Sequence[Release]] | None = None,
) -> list[FeedGroup]:
    """A feed per language of a site whose releases are in several (a bilingual office's Welsh readers subscribe
    to `cy/atom.xml`, its English ones to `en/atom.xml`), each titled with the language's own name and in that
    language (`xml:lang`); none first while every release is in one language, where it would be the main feed
    again. `kept`: the languages whose feeds were published before, which stay as the topics' do, also when the
    site is back to one language (empty, or still listing that language's releases): their subscribers keep them;
    only the languages of several are offered then. Languages are told apart by their primary subtag (an `en` and
    an `en-GB` release are both `en/`). `by_language`: `releases` by primary subtag, when the caller has them
    (`ArchiveIndex`): they are not grouped again."""
    if by_language is None:
        grouped: dict[str, Sequence[Release]] = {}
        for r in releases:
            grouped.setdefault(primary_subtag(r.language), []).append(r)  # type: ignore[attr-defined]
    else:
        grouped = dict(by_language)
    by_language = grouped
    several = len(by_language) > 1
    if not several and not kept:
        return []
    by_language |= {language: [] for language in kept if language not in by_language}
    site = settings.site
    groups = []
    for language, of_language in sorted(by_language.items()):
        tag = site.language if language == primary_subtag(site.language) else language
        words = messages_in(site, tag) or messages_for(site)
        groups.append(
            FeedGroup(
                key=f"lang:{language}",
                path=f"{language}/",
                title=f"{site.title}: {language_name(tag)}",
                subtitle=words.say("Releases from %(author)s.", author=site.author),
                home_url=site.base_url,
                releases=tuple(of_language),
                group="Languages",
                offered=bool(of_language) and several,
                language=tag,
            )
        )
    return groups


def feed_groups(
    releases: Sequence[Release],
    settings: Settings,
    names: Mapping[str, str],
    emptied: Mapping[str, str] | None = None,
    organisations: Mapping[str, str] | None = None,
    *,
    by_topic: Mapping[str, Sequence[Release]] | None = None,
    by_org: Mapping[str, Sequence[Release]] | None = None,
) -> list[FeedGroup]:
    """Topic, organisation and custom feeds (the main feed is planned separately, with archives); `names`: the
    topics' names by slug (`topic_names`); `emptied`: the names, by slug, of topics published before that have no
    release now, whose feeds stay (empty) at their addresses; `organisations`: the names, by slug, of the
    organisations whose feeds were published before, which stay as the topics' do, and also when only one
    organisation is left (the others' emptied, its own still listing its releases): their subscribers keep them.

    An organisation's feed is first published, and offered, only while there are several organisations: with one,
    it would be the main feed again.

    `by_topic` and `by_org`: `releases` by topic slug and by organisation slug, newest first, when the caller has
    them (`ArchiveIndex`): they are not grouped again (an organisation is named as its newest release spells it,
    as the first of `releases` newest first is)."""
    site = settings.site
    words = messages_for(site)
    groups: list[FeedGroup] = []
    if by_topic is None or by_org is None:
        by_topic, by_org = _grouped(releases)
    topics = {slug: (names[slug], tuple(rs)) for slug, rs in by_topic.items()}
    topics |= {slug: (name, ()) for slug, name in (emptied or {}).items() if slug not in by_topic}
    for slug, (name, of_topic) in sorted(topics.items(), key=_by_name):
        groups.append(
            FeedGroup(
                key=f"topic:{slug}",
                path=f"topics/{slug}/",
                title=f"{site.title}: {name}",
                subtitle=words.say("Releases about %(topic)s from %(author)s.", topic=name, author=site.author),
                home_url=f"{site.base_url}topics/{slug}/",
                releases=of_topic,
                group="Topics",
                offered=bool(of_topic),
            )
        )
    kept = organisations or {}
    succession = succession_of(settings.organisations)
    own = by_org
    departments = {succession.current(slug) for slug in by_org}  # (a renamed one is one organisation, not two)
    several = len(departments) > 1
    if settings.publish.organisation_feeds and (several or kept):
        orgs = {slug: (rs[0].organisation, tuple(rs)) for slug, rs in by_org.items() if several or slug in kept}
        orgs |= {slug: (name, ()) for slug, name in kept.items() if slug not in by_org}
        # A successor whose predecessors have releases has its feed before its own first release.
        orgs |= {slug: (succession.names[slug], ()) for slug in departments if several and slug not in orgs}
        for slug, (name, of_org) in sorted(orgs.items(), key=_by_name):
            old = slug in succession.next_of  # (its feed goes on, not offered: its successor's is)
            if succession.next_of:
                of_org = succession.feed_releases(slug, own)
            groups.append(
                FeedGroup(
                    key=f"org:{slug}",
                    path=f"organisations/{slug}/",
                    title=f"{site.title}: {name}",
                    subtitle=words.say("Releases from %(author)s.", author=name),
                    home_url=site.base_url,
                    releases=of_org,
                    group="Organisations",
                    offered=bool(of_org) and several and not old,
                )
            )
    for custom in settings.publish.custom:
        carried = _carried(custom, succession, own) if succession.next_of else frozenset()
        groups.append(
            FeedGroup(
                key=f"custom:{custom.name}",
                path=f"feeds/{custom.name}/",
                title=f"{site.title}: {custom.title}",
                subtitle=words.say("%(collection)s from %(author)s.", collection=custom.title, author=site.author),
                home_url=site.base_url,
                releases=tuple(r for r in releases if matches_custom(r, custom) or r.id in carried),
                group="Collections",
            )
        )
    return groups


def _grouped(releases: Sequence[Release]) -> tuple[dict[str, Sequence[Release]], dict[str, Sequence[Release]]]:
    """`releases` by topic slug and by organisation slug, each in the order given."""
    by_topic: dict[str, list[Release]] = {}
    by_org: dict[str, list[Release]] = {}
    for r in releases:
        for t in r.topics:
            members = by_topic.setdefault(topic_slug(t), [])
            if not members or members[-1] is not r:  # "Harbours" and "harbours!" share a slug: list r once
                members.append(r)
        by_org.setdefault(topic_slug(r.organisation), []).append(r)
    return dict(by_topic), dict(by_org)


def _by_name(named: tuple[str, tuple[str, object]]) -> tuple[str, str]:
    """The order of topics and organisations in the lists of feeds: by name, case and accents aside, as a reader
    looks one up (by the folder, a name in another script would sort by the hash its folder is named with); names
    in one script together, in that script's order of letters (Latin, Greek, Cyrillic, Hebrew, Arabic, Thai, kana,
    Han, Hangul); a tie by folder."""
    slug, (name, _) = named
    return fold(name), slug


def matches_custom(r: Release, feed: CustomFeed) -> bool:
    """Whether `r` belongs in a custom feed: a topic by any spelling that shares its topic page ("north-korea" is
    "North Korea"), an organisation or a document type ignoring case."""
    topics, organisations, types = _custom_keys(feed)
    return (
        any(topic_slug(t) in topics for t in r.topics)
        or r.organisation.casefold() in organisations
        or r.document_type.casefold() in types
    )


def _carried(custom: CustomFeed, succession: Succession, own: Mapping[str, Sequence[Release]]) -> frozenset[str]:
    """The ids of the releases a custom feed takes in by succession (`own`: each organisation's folder → its own
    releases): for each organisation it lists that the succession table names, what that organisation's feed
    carries (an old name: its successors' releases after its own last one; a current name: its predecessors')."""
    slugs = {topic_slug(name) for name in custom.organisations} & succession.names.keys()
    return frozenset(r.id for slug in slugs for r in succession.feed_releases(slug, own))


@functools.lru_cache(maxsize=64)
def _custom_keys(feed: CustomFeed) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """What `matches_custom` compares, worked out once per feed rather than per release."""
    fold = str.casefold
    return (
        frozenset(map(topic_slug, feed.topics)),
        frozenset(map(fold, feed.organisations)),
        frozenset(map(fold, feed.types)),
    )


def archive_pages(ordered: Sequence[Release | None], size: int) -> tuple[list[list[Release]], list[Release]]:
    """Split releases in archive order into full archive pages (oldest first) and the current document's rest.
    A None is the place of a release taken down (`feeds releases remove`): its archive holds one entry fewer, and
    every other release stays in the document that held it."""
    n_pages = max(0, (len(ordered) - size) // size)
    pages = [[r for r in ordered[i * size : (i + 1) * size] if r is not None] for i in range(n_pages)]
    return pages, [r for r in ordered[n_pages * size :] if r is not None]


def current_entries(own: Sequence[Release], releases: Sequence[Release], size: int) -> list[Release]:
    """What the main feed's current document shows: its own releases (gone public since the last archive was cut),
    and, wherever they were archived, the `size` newest by publication and the `size` last updated. (A topic's,
    an organisation's, a language's and a custom feed show the same of their releases, with no `own`.)

    Readers poll the current document only. Archiving in the order releases went public keeps archives stable,
    but a backfill (last year's releases stored after today's) would push today's into an archive, and an edit to
    an archived release would change only the archive. RFC 5005 lets an entry appear in more than one document of
    a feed, the one with the latest `updated` being current; here it is the same entry in both."""
    chosen = {r.id: r for r in own}
    for key in (_by_publication, _by_update):
        for r in heapq.nlargest(size, releases, key=key):
            chosen.setdefault(r.id, r)
    return list(chosen.values())
