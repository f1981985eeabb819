"""Planning a publish (pure): which documents the site consists of, and a fingerprint of each one's inputs.

    releases (+ archive order) ──plan_site──► Job(key, paths, fingerprint, render) …

A `Job` renders lazily: the writer calls `render()` only when the fingerprint differs from the last publish or
the files on disk are not what was written, which is what makes a publish after one new release re-render
only the documents that include it (main feed, its topics, its page, the index), not every page.

The main feed follows RFC 5005 (archived feeds): entries are assigned to pages in the order their releases went
public (`Store.release_archive_order`: when first stored, or when an embargo lifted), oldest first; every archive
page holds exactly `entries` entries and is cut only when the current document would keep at least `entries` of
its own, so an archive, once published, is complete and never changes (unless one of its releases is edited).
The current document holds between `entries` and 2×`entries`-1 entries of its own, plus the newest and the last
updated releases wherever they were archived (`current_entries`).

What this module must not do: read the clock, the store or the disk. Everything arrives as arguments.
"""

from __future__ import annotations

import functools
import hashlib
import heapq
import html
import re
import uuid
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from functools import partial
from urllib.parse import urlsplit

from feeds.clock import ensure_utc
from feeds.config import CustomFeed, Settings
from feeds.model import Release, StoredMatch
from feeds.normalise.html import IN_TAG
from feeds.normalise.ids import permalink
from feeds.normalise.topics import topic_slug as _topic_slug
from feeds.publish.coverage import EntryIds, plan_matches
from feeds.publish.feeds import render_feed
from feeds.publish.i18n import messages_for
from feeds.publish.marks import PublishedFeeds
from feeds.publish.opml import render_opml
from feeds.publish.pages import PageRenderer, text_direction
from feeds.publish.spec import FEED_FILES, Category, FeedEntry, FeedLink, FeedSpec, Person, RenderedFile

EPOCH = datetime(2000, 1, 1, tzinfo=UTC)
"""`updated` of a feed with no entries: a fixed instant, never 'now', so an empty feed is byte-stable."""

topic_slug = functools.lru_cache(maxsize=4096)(_topic_slug)
"""Memoised: a plan asks for the slug of each release's topics several times (about 80,000 calls for 10,000
releases, a third of a no-op publish before this cache). Pure, so caching changes nothing but the time."""

INDEX_RELEASES = 50
TOPIC_PAGE_RELEASES = 100
XSL_PATH = "static/feed.xsl"
CSS_PATH = "static/feed.css"
"""The browser view of the feeds: feed.xsl, and feed.css where browsers no longer run XSLT."""


@dataclass(frozen=True, slots=True)
class Job:
    key: str
    paths: tuple[str, ...]
    fingerprint: str
    render: Callable[[], tuple[RenderedFile, ...]]


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


def feed_id(domain: str, key: str) -> str:
    """A feed's Atom id: a name-based UUID from the site's id domain and the feed's key (stable forever)."""
    return uuid.uuid5(uuid.NAMESPACE_URL, f"https://{domain}/feeds/{key}").urn


def newest_first(releases: Sequence[Release]) -> list[Release]:
    return sorted(releases, key=_by_publication, reverse=True)


def _by_publication(r: Release) -> tuple[datetime, str]:
    return (r.published, r.id)


def _by_update(r: Release) -> tuple[datetime, str]:
    return (r.updated, r.id)


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
    old = html.escape(r.permalink.removesuffix(suffix), quote=True)  # as the sanitiser wrote it in an attribute
    new = html.escape(address.removesuffix(suffix), quote=True)
    if f'="{old}' not in r.body_html:
        return replace(r, permalink=address)
    pattern = re.compile(rf'({IN_TAG} (?:href|src|cite)="){re.escape(old)}')  # (inside a tag, never in text)
    return replace(r, permalink=address, body_html=pattern.sub(lambda m: m.group(1) + new, r.body_html))


def entry_of(r: Release, settings: Settings, names: Mapping[str, str] | None = None) -> FeedEntry:
    """The feed entry of a release; `names`: the topics' names by slug (`topic_names`), so that one topic is one
    category everywhere, whichever spelling this release gave it."""
    base = settings.site.base_url
    authors = () if r.organisation == settings.site.author else (Person(name=r.organisation),)
    title, summary, content = r.title, r.summary, r.body_html
    if r.withdrawn_at is not None:
        # A reader shows a withdrawn release as "updated": it says why, as the release's page does (and GOV.UK's
        # own titles: "[Withdrawn] …").
        words = messages_for(settings.site)
        notice = words.say("Withdrawn on %(date)s.", date=words.date(r.withdrawn_at))
        if r.withdrawn_note:
            note = words.gettext(r.withdrawn_note)  # (ours, when none was given: in the site's language)
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
    )


def _category(topic: str, base: str, names: Mapping[str, str]) -> Category:
    slug = topic_slug(topic)
    name = names.get(slug, topic)
    return Category(term=name, label=name, scheme=f"{base}topics/{slug}/")


def spec_of(
    group: FeedGroup,
    settings: Settings,
    names: Mapping[str, str] | None = None,
    /,
    *,
    entries: Sequence[Release] | None = None,
    at_least: datetime = EPOCH,
    **extra: object,
) -> FeedSpec:
    """`at_least`: the `updated` the feed was published with before, which it never goes back from (`marks`)."""
    chosen = newest_first(group.releases if entries is None else entries)
    site = settings.site
    updated = max(max((r.updated for r in chosen), default=EPOCH), at_least)
    return FeedSpec(
        key=group.key,
        path=group.path,
        id=feed_id(site.domain, group.key),
        title=group.title,
        subtitle=group.subtitle,
        home_url=group.home_url,
        base_url=site.base_url,
        language=site.language,
        updated=updated,
        author=Person(name=site.author, email=site.email, uri=site.base_url),
        entries=tuple(entry_of(r, settings, names) for r in chosen),
        formats=settings.publish.formats,
        hub=settings.publish.hub,
        stylesheet=site.base_url + XSL_PATH,
        css=site.base_url + CSS_PATH,
        rights=f"© {site.author}",
        **extra,  # type: ignore[arg-type]
    )


def topic_names(releases: Sequence[Release], settings: Settings) -> dict[str, str]:
    """Each topic's name, by its slug: as the config names it, else as most of its releases spell it (not as the
    newest one happens to: one release tagged "IRAN" renamed the Iran feed). Ties: the spelling of the earliest
    release, which a newer release cannot change (one tagged "C#" renamed the feed its slug shares with "C++")."""
    spellings: dict[str, Counter[str]] = {}
    first_seen: dict[str, tuple[datetime, str]] = {}  # spelling → its earliest release (publication, id)
    for r in releases:
        for t in r.topics:
            spellings.setdefault(topic_slug(t), Counter())[t] += 1
            first_seen[t] = min(first_seen.get(t, (r.published, r.id)), (r.published, r.id))
    configured = configured_topic_names(settings)
    return {
        slug: configured.get(slug) or min(counts, key=lambda t: (-counts[t], first_seen[t]))
        for slug, counts in spellings.items()
    }


def configured_topic_names(settings: Settings) -> dict[str, str]:
    """The topics the config names (`topics.detect`, the aliases' topics), by slug."""
    return {topic_slug(n): n for n in (*settings.topics.detect, *(t for t, _ in settings.topics.aliases))}


def site_topic_names(releases: Sequence[Release], settings: Settings, now: datetime) -> dict[str, str]:
    """`topic_names` as a publish at `now` gives them (from the releases public by then), for what lists stored
    releases (`feeds releases list`); a topic that only releases still held back have is named as they spell it."""
    public = [r for r in releases if r.published <= now and not r.never_public]
    return topic_names(releases, settings) | topic_names(public, settings)


def feed_groups(
    releases: Sequence[Release],
    settings: Settings,
    names: Mapping[str, str],
    emptied: Mapping[str, str] | None = None,
    organisations: Mapping[str, str] | None = None,
) -> list[FeedGroup]:
    """Topic, organisation and custom feeds (the main feed is planned separately, with archives); `names`: the
    topics' names by slug (`topic_names`); `emptied`: the names, by slug, of topics published before that have no
    release now, whose feeds stay (empty) at their addresses; `organisations`: the names, by slug, of the
    organisations whose feeds were published before, which stay as the topics' do, and also when only one
    organisation is left (the others' emptied, its own still listing its releases): their subscribers keep them.

    An organisation's feed is first published, and offered, only while there are several organisations: with one,
    it would be the main feed again."""
    site = settings.site
    words = messages_for(site)
    groups: list[FeedGroup] = []
    by_topic: dict[str, list[Release]] = {}
    by_org: dict[str, tuple[str, list[Release]]] = {}
    for r in releases:
        for t in r.topics:
            members = by_topic.setdefault(topic_slug(t), [])
            if not members or members[-1] is not r:  # "Harbours" and "harbours!" share a slug: list r once
                members.append(r)
        by_org.setdefault(topic_slug(r.organisation), (r.organisation, []))[1].append(r)
    topics = {slug: (names[slug], tuple(rs)) for slug, rs in by_topic.items()}
    topics |= {slug: (name, ()) for slug, name in (emptied or {}).items() if slug not in by_topic}
    for slug, (name, of_topic) in sorted(topics.items()):
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
    several = len(by_org) > 1
    if settings.publish.organisation_feeds and (several or kept):
        orgs = {slug: (name, tuple(rs)) for slug, (name, rs) in by_org.items() if several or slug in kept}
        orgs |= {slug: (name, ()) for slug, name in kept.items() if slug not in by_org}
        for slug, (name, of_org) in sorted(orgs.items()):
            groups.append(
                FeedGroup(
                    key=f"org:{slug}",
                    path=f"organisations/{slug}/",
                    title=f"{site.title}: {name}",
                    subtitle=words.say("Releases from %(author)s.", author=name),
                    home_url=site.base_url,
                    releases=of_org,
                    group="Organisations",
                    offered=bool(of_org) and several,
                )
            )
    for custom in settings.publish.custom:
        groups.append(
            FeedGroup(
                key=f"custom:{custom.name}",
                path=f"feeds/{custom.name}/",
                title=f"{site.title}: {custom.title}",
                subtitle=words.say("%(collection)s from %(author)s.", collection=custom.title, author=site.author),
                home_url=site.base_url,
                releases=tuple(r for r in releases if matches_custom(r, custom)),
                group="Collections",
            )
        )
    return groups


def matches_custom(r: Release, feed: CustomFeed) -> bool:
    """Whether `r` belongs in a custom feed: a topic by any spelling that shares its topic page ("north-korea" is
    "North Korea"), an organisation or a document type ignoring case."""
    topics, organisations, types = _custom_keys(feed)
    return (
        any(topic_slug(t) in topics for t in r.topics)
        or r.organisation.casefold() in organisations
        or r.document_type.casefold() in types
    )


@functools.lru_cache(maxsize=64)
def _custom_keys(feed: CustomFeed) -> tuple[frozenset[str], frozenset[str], frozenset[str]]:
    """What `matches_custom` compares, worked out once per feed rather than per release."""
    fold = str.casefold
    return (
        frozenset(map(topic_slug, feed.topics)),
        frozenset(map(fold, feed.organisations)),
        frozenset(map(fold, feed.types)),
    )


def release_key(r: Release) -> tuple[object, ...]:
    """What a page shows of a release, for fingerprints: the content hash (everything that came from the input:
    title, organisation, summary, body, type, language, links, history) and what the store assigned on top.

    Pages must fingerprint all of it, not a few fields: an edit that leaves `updated` where it was (made in
    the same clock tick) still has to reach every page listing the release.
    """
    # (The withdrawal is given on its own: one made by hand leaves the content hash as the source sent it.)
    return (r.id, r.content_hash, r.slug, r.published, r.updated, r.topics, r.withdrawn_at, r.withdrawn_note)


def archive_pages(ordered: Sequence[Release], size: int) -> tuple[list[list[Release]], list[Release]]:
    """Split releases in archive order into full archive pages (oldest first) and the current document's rest."""
    n_pages = max(0, (len(ordered) - size) // size)
    pages = [list(ordered[i * size : (i + 1) * size]) for i in range(n_pages)]
    return pages, list(ordered[n_pages * size :])


def current_entries(own: Sequence[Release], releases: Sequence[Release], size: int) -> list[Release]:
    """What the main feed's current document shows: its own releases (gone public since the last archive was cut),
    and, wherever they were archived, the `size` newest by publication and the `size` last updated.

    Readers poll the current document only. Archiving in the order releases went public keeps archives stable,
    but a backfill (last year's releases stored after today's) would push today's into an archive, and an edit to
    an archived release would change only the archive. RFC 5005 lets an entry appear in more than one document of
    a feed, the one with the latest `updated` being current; here it is the same entry in both."""
    chosen = {r.id: r for r in own}
    for key in (_by_publication, _by_update):
        for r in heapq.nlargest(size, releases, key=key):
            chosen.setdefault(r.id, r)
    return list(chosen.values())


def _label(g: FeedGroup, site_title: str) -> str:
    """What a group's feed is called where it is offered (autodiscovery, Subscribe, OPML): its name, or, when that
    is the site's own title (the office's own organisation, which the organisation defaults to), what it holds
    ("Releases from …"), so that a subscribe dialog does not list it and the main feed under one name."""
    name = g.title.removeprefix(f"{site_title}: ")
    return g.subtitle.rstrip(".") if name == site_title else name


def _links(spec_path: str, title: str, group: str, home: str, settings: Settings) -> list[FeedLink]:
    base = settings.site.base_url
    return [
        FeedLink(title=title, url=base + spec_path + FEED_FILES[f], format=f, group=group, home=home)
        for f in settings.publish.formats
    ]


def plan_site(
    releases: Sequence[Release],
    archive_order: Sequence[str],
    settings: Settings,
    renderer: PageRenderer,
    *,
    salt: str,
    static: Sequence[RenderedFile] = (),
    matches: Sequence[StoredMatch] = (),
    rules: Mapping[str, datetime] | None = None,
    entry_ids: EntryIds | None = None,
    published: PublishedFeeds | None = None,
) -> list[Job]:
    """Every document of the site, as lazily rendered jobs with input fingerprints. `entry_ids`: the match-feed
    entries' ids as first published, to which the ids of new entries are added (see `EntryIds`); `published`: the
    feeds as published before, to which this publish's are added (see `PublishedFeeds`): a feed's `updated` never
    goes back, and a topic once published keeps its feeds and page, and an organisation its feeds, empty when it has
    no release left (they are not offered on the index or in the OPML list then, which are for finding feeds to
    subscribe to; see `feed_groups` for an organisation left alone)."""
    site = settings.site
    published = published if published is not None else PublishedFeeds()
    size = settings.publish.entries
    by_id = {r.id: r for r in releases}
    ordered = [by_id[i] for i in archive_order if i in by_id]
    jobs: list[Job] = []

    def add(key: str, paths: Sequence[str], inputs: object, render: Callable[[], tuple[RenderedFile, ...]]) -> None:
        text = inputs if isinstance(inputs, str) else repr(inputs)
        digest = hashlib.sha256(f"{salt}\0{key}\0{text}".encode()).hexdigest()
        jobs.append(Job(key=key, paths=tuple(paths), fingerprint=digest, render=render))

    keys = {r.id: repr(release_key(r)) for r in releases}  # one repr per release, reused by every job showing it
    names = topic_names(releases, settings)

    def named(shown: Sequence[Release]) -> list[str]:
        """The names of the topics of `shown`, for the fingerprint of a document showing them: one renamed (a newer
        release can change which spelling most releases use), the document is rendered again."""
        return sorted({names[topic_slug(t)] for r in shown for t in r.topics})

    def feed_job(group: FeedGroup, shown: Sequence[Release] | None = None, **extra: object) -> None:
        # An entry is a function of its release (`entry_of`) and the settings (in the salt), so the releases' keys
        # stand in for the entries, and the full spec is only built when the feed is rendered: building and
        # hashing every entry's HTML of every feed made up most of a publish with nothing new.
        chosen = newest_first(group.releases if shown is None else shown)
        newest = max((r.updated for r in chosen), default=EPOCH)
        name = group.title.removeprefix(f"{site.title}: ") if group.key.startswith(("topic:", "org:")) else None
        updated = published.updated(group.key, newest, name, empty=not chosen)
        head = spec_of(group, settings, entries=(), at_least=updated, **extra)
        inputs = (head, "\n".join(keys[r.id] for r in chosen), named(chosen))
        add(
            head.key,
            [head.path + FEED_FILES[f] for f in head.formats],
            inputs,
            lambda: render_feed(spec_of(group, settings, names, entries=chosen, at_least=updated, **extra)),
        )

    # The main feed and its RFC 5005 archives.
    words = messages_for(site)
    main = FeedGroup(
        key="main",
        path="",
        title=site.title,
        subtitle=site.description or words.say("Releases from %(author)s.", author=site.author),
        home_url=site.base_url,
        releases=tuple(releases),
        group="Main",
    )
    pages, own = archive_pages(ordered, size)
    current = current_entries(own, releases, size)
    atom_url = site.base_url + FEED_FILES["atom"]

    def archive_url(n: int) -> str:
        return f"{site.base_url}archive/{n}/{FEED_FILES['atom']}"

    for n, page in enumerate(pages, start=1):
        archive = FeedGroup(
            key=f"archive:{n}",
            path=f"archive/{n}/",
            title=words.say("%(title)s (archive %(number)s)", title=site.title, number=n),
            subtitle=main.subtitle,
            home_url=site.base_url,
            releases=tuple(page),
            group="Archive",
        )
        feed_job(
            archive,
            current=atom_url,
            prev_archive=archive_url(n - 1) if n > 1 else None,
            next_archive=archive_url(n + 1) if n < len(pages) else None,
            archive=True,
        )
    feed_job(main, current, current=atom_url, prev_archive=archive_url(len(pages)) if pages else None)

    # Topic, organisation and custom feeds; topic pages.
    configured = configured_topic_names(settings)
    emptied = {slug: configured.get(slug) or f.name or slug for slug, f in published.topics().items()}
    organisations = {slug: f.name or slug for slug, f in published.organisations().items()}
    groups = feed_groups(releases, settings, names, emptied, organisations)
    for g in groups:
        latest = newest_first(g.releases)[:size]
        feed_job(g, latest)

    # Match feeds: all matches, one per keyword rule, one coverage feed per release (small: specs are hashed whole).
    watched = plan_matches(matches, by_id, rules or {}, settings, entry_ids)
    for spec in watched.specs:
        add(spec.key, [spec.path + FEED_FILES[f] for f in spec.formats], spec, partial(render_feed, spec))

    # Relative, as every other link of a page is, never by its full URL: pages forbid styles from other origins
    # (their security policy), and out/ served elsewhere (a preview host, www. or not, http or https) lost all its
    # styling; nor by its path on the host, which under a base path (/news/) was missing where `feeds serve`
    # serves out/, at its root. The 404 page, served at any depth, names it by that path.
    css, css_deep = "static/site.css", "../../static/site.css"
    css_404 = urlsplit(site.base_url).path + "static/site.css"
    main_links = _links("", site.title, "Main", site.base_url, settings)
    group_links = {g.key: _links(g.path, _label(g, site.title), g.group, g.home_url, settings) for g in groups}
    # An empty topic's or organisation's feeds are not offered on the index or in the OPML list (its subscribers
    # keep them): an empty feed is nothing to subscribe to; an empty custom feed is offered, as what the office
    # chose to publish. Nor is the feed of the only organisation left: the main feed has its releases.
    offered = [g for g in groups if g.offered]
    all_links = main_links + [link for g in offered for link in group_links[g.key]] + watched.links
    links_of = {  # (by group key; a topic page offers its own feeds, offered elsewhere or not)
        g.key: group_links[g.key]
        for g in groups
        if g.key.startswith("topic:") or (g.key.startswith("org:") and g.offered)
    }

    for g in groups:
        if not g.key.startswith("topic:"):  # (an organisation has a feed, not a page)
            continue
        slug = g.key.removeprefix("topic:")
        name = g.title.removeprefix(f"{site.title}: ")
        ordered_by_date = newest_first(g.releases)
        shown = ordered_by_date[:TOPIC_PAGE_RELEASES]
        # The topic's older releases are on the year pages: the page says how many there are, and where.
        older_years = sorted({ensure_utc(r.published).astimezone(site.tz).year for r in ordered_by_date[len(shown) :]})
        links = links_of[g.key]
        add(
            f"page:{g.path}",
            [f"{g.path}index.html"],
            ("\n".join(keys[r.id] for r in shown), links, named(shown), len(g.releases), older_years, name),
            partial(
                _one,
                renderer.topic_page,
                name=name,
                slug=slug,
                releases=shown,
                feeds=links,
                stylesheet_url=css_deep,
                topic_names=names,
                total=len(g.releases),
                older_years=tuple(reversed(older_years)),
            ),
        )

    # One page per release. The links' reprs are made once per feed, not once per page.
    # Each page offers every format of the main feed, its topics' feeds and its organisation's feed, when there
    # are feeds per organisation (autodiscovery and Subscribe).
    link_text = {"main": repr(main_links)} | {k: repr(v) for k, v in links_of.items()}
    for r in releases:
        link_keys = ["main"] + [f"topic:{topic_slug(t)}" for t in r.topics if f"topic:{topic_slug(t)}" in links_of]
        if (org := f"org:{topic_slug(r.organisation)}") in links_of:
            link_keys.append(org)
        links = [*main_links, *(link for k in link_keys[1:] for link in links_of[k])]
        coverage = watched.coverage.get(r.id, ())
        links += watched.coverage_links.get(r.id, [])
        add(
            f"release:{r.id}",
            [f"releases/{r.slug}/index.html"],
            # (the topics' links are named as the topics are: a topic renamed, its releases' pages are rendered again)
            keys[r.id] + "".join(link_text[k] for k in link_keys) + (repr((coverage, links)) if coverage else ""),
            partial(
                _one,
                renderer.release_page,
                r,
                feeds=links,
                coverage=coverage,
                stylesheet_url=css_deep,
                topic_names=names,
            ),
        )

    # One archive page per year (the index lists only the newest releases): each is rendered again only when a
    # release of its year changes, or a year is added.
    by_year: dict[int, list[Release]] = {}
    for r in releases:
        by_year.setdefault(ensure_utc(r.published).astimezone(site.tz).year, []).append(r)
    years = sorted(by_year, reverse=True)
    for year, of_year in by_year.items():
        shown = newest_first(of_year)
        add(
            f"page:years/{year}/",
            [f"years/{year}/index.html"],
            ("\n".join(keys[r.id] for r in shown), years, main_links, named(shown)),
            partial(
                _one,
                renderer.year_page,
                year=year,
                releases=shown,
                years=years,
                stylesheet_url=css_deep,
                discover=main_links,
                topic_names=names,
            ),
        )

    add(
        "page:404",
        ["404.html"],
        (years, css_404),
        lambda: (renderer.not_found_page(years=years, stylesheet_url=css_404),),
    )

    # The index, OPML and static files.
    recent = newest_first(releases)[:INDEX_RELEASES]
    add(
        "index",
        ["index.html"],
        ("\n".join(keys[r.id] for r in recent), all_links, years),
        lambda: (
            renderer.index_page(releases=recent, feeds=all_links, stylesheet_url=css, topic_names=names, years=years),
        ),
    )
    opml_updated = max((r.updated for r in releases), default=EPOCH)
    opml_created = min((r.published for r in releases), default=EPOCH)  # (moved only by a backfill)
    add(
        "opml",
        ["feeds.opml"],
        (all_links, opml_updated, opml_created),
        lambda: (render_opml(site, all_links, updated=opml_updated, created=opml_created),),
    )
    for f in static:
        add(f"static:{f.path}", [f.path], hashlib.sha256(f.data).hexdigest(), partial(tuple, (f,)))
    return sorted(jobs, key=_write_rank)


_WRITTEN_FIRST = ("static:", "release:", "page:")
"""The writer writes jobs in the order given. What links to a document is written after it: the stylesheets and
the release pages first, then the topic and year pages, then the feeds, the index and the OPML list last. A reader
(or a crawler fetching the full article) that follows a new entry's link during a publish finds its page, not
the 404 page; a first publish's feeds find their stylesheet."""


def _write_rank(job: Job) -> int:
    if job.key in ("index", "opml"):
        return len(_WRITTEN_FIRST) + 1
    return next((i for i, prefix in enumerate(_WRITTEN_FIRST) if job.key.startswith(prefix)), len(_WRITTEN_FIRST))


def _one(render: Callable[..., RenderedFile], *args: object, **kwargs: object) -> tuple[RenderedFile, ...]:
    """A page renderer's one file as a job's result (bound with `partial`, so each job keeps its own data)."""
    return (render(*args, **kwargs),)
