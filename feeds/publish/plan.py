"""Planning a publish (pure): which documents the site consists of, and a fingerprint of each one's inputs.

    releases (+ archive order) ──plan_site──► Job(key, paths, fingerprint, render) …

A `Job` (`planjobs`) renders lazily: the writer calls `render()` only when the fingerprint differs from the last
publish or the files on disk are not what was written, which is what makes a publish after one new release
re-render only the documents that include it (main feed, its topics, its page, the index), not every page.

Which feeds of releases exist and what they hold is `sitefeeds` (the main feed's RFC 5005 archives too), a
release's entry is `entries`, the match and coverage feeds are `coverage`; this module plans the feeds and puts
them together with the pages (`planpages`), the sitemaps (`plansitemaps`) and the static files, and decides what
each feed's fingerprint covers. The releases' groups (topics, organisations, languages, years) come from the
memo's `ArchiveIndex`, kept up to date from the releases that changed, and what is worked out of a group (its
newest entries, its topic's name) is worked out again only when the group changed (`PlanMemo.derived`).

What this module must not do: read the clock, the store or the disk. Everything arrives as arguments.
"""

from __future__ import annotations

import hashlib
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import datetime
from urllib.parse import urlsplit

from feeds.config import Settings
from feeds.model import Release, StoredMatch
from feeds.publish.archiveindex import ALL, ArchiveIndex
from feeds.publish.coverage import EntryIds, plan_matches
from feeds.publish.feeds import render_feed
from feeds.publish.i18n import messages_for
from feeds.publish.marks import PublishedFeeds
from feeds.publish.pages import PageRenderer
from feeds.publish.planjobs import Job, Planner
from feeds.publish.planmemo import PlanMemo
from feeds.publish.planpages import plan_pages
from feeds.publish.plansearch import plan_search
from feeds.publish.plansitemaps import plan_sitemaps
from feeds.publish.sitefeeds import (
    EPOCH,
    FeedGroup,
    archive_pages,
    current_entries,
    feed_groups,
    language_groups,
    newest_first,
    settled_id_domain,
    spec_of,
)
from feeds.publish.spec import FEED_FILES, FeedLink, RenderedFile
from feeds.publish.topicnames import configured_topic_names, topic_names
from feeds.publish.translations import translations_of

__all__ = ["Job", "plan_site", "release_key"]


def release_key(r: Release) -> tuple[object, ...]:
    """What a page shows of a release, for fingerprints: the content hash (everything that came from the input:
    title, organisation, summary, body, type, language, links, history) and what the store assigned on top.

    Pages must fingerprint all of it, not a few fields: an edit that leaves `updated` where it was (made in
    the same clock tick) still has to reach every page listing the release.
    """
    # (The withdrawal is given on its own: one made by hand leaves the content hash as the source sent it.)
    return (r.id, r.content_hash, r.slug, r.published, r.updated, r.topics, r.withdrawn_at, r.withdrawn_note)


def _label(g: FeedGroup, site_title: str) -> str:
    """What a group's feed is called where it is offered (autodiscovery, Subscribe, OPML): its name, or, when that
    is the site's own title (the office's own organisation, which the organisation defaults to), what it holds
    ("Releases from …"), so that a subscribe dialog does not list it and the main feed under one name."""
    name = g.title.removeprefix(f"{site_title}: ")
    return g.subtitle.rstrip(".") if name == site_title else name


def _links(
    spec_path: str, title: str, group: str, home: str, settings: Settings, lang: str | None = None
) -> list[FeedLink]:
    base = settings.site.base_url
    return [
        FeedLink(title=title, url=base + spec_path + FEED_FILES[f], format=f, group=group, home=home, lang=lang)
        for f in settings.publish.formats
    ]


def current_of(index: ArchiveIndex, own: Sequence[Release], shown: Sequence[Release], size: int) -> list[Release]:
    """`sitefeeds.current_entries(own, shown, size)` of the whole archive (`shown`: `index.group(ALL)`), from the
    index's orders instead of a pass over every release: its own, then the `size` newest by publication, then the
    `size` last updated, each once."""
    chosen = {r.id: r for r in own}
    for r in (*shown[:size], *index.last_updated(size)):
        chosen.setdefault(r.id, r)
    return list(chosen.values())


def group_current(index: ArchiveIndex, key: str, of: Sequence[Release], size: int) -> list[Release]:
    """`current_entries((), of, size)` of the index's group `key` (`of`, newest first): its `size` newest, then
    its `size` last updated."""
    chosen = {r.id: r for r in of[:size]}
    for r in index.last_updated(size, key):
        chosen.setdefault(r.id, r)
    return list(chosen.values())


def plan_site(
    releases: Sequence[Release],
    archive_order: Sequence[str],
    settings: Settings,
    renderer: PageRenderer,
    *,
    now: datetime,
    salt: str,
    static: Sequence[RenderedFile] = (),
    matches: Sequence[StoredMatch] = (),
    rules: Mapping[str, datetime] | None = None,
    entry_ids: EntryIds | None = None,
    published: PublishedFeeds | None = None,
    removed: Mapping[str, str] | None = None,
    memo: PlanMemo | None = None,
) -> list[Job]:
    """Every document of the site, as lazily rendered jobs with input fingerprints. `entry_ids`: the match-feed
        entries' ids as first published, to which the ids of new entries are added (see `EntryIds`); `published`: the
        feeds as published before, to which this publish's are added (see `PublishedFeeds`): a feed's `updated` never
        goes back, and a topic once published keeps its feeds and page, and an organisation its feeds, empty when it has
        no release left (they are not offered on the index or in the OPML list then, which are for finding feeds to
        subscribe to; see `feed_groups` for an organisation left alone). `removed`: id → slug of the releases taken
    down (`feeds releases remove`), which keep their place in the archives' order, and whose pages are a notice.
    `now`: the publish's time, which decides only what the news sitemap lists (`news_releases`). `memo`: what the
    last plan of this process worked out (`PlanMemo`), reused where its inputs are the same; the jobs are those a
    plan without one gives."""
    published = published if published is not None else PublishedFeeds()
    memo = memo if memo is not None else PlanMemo()
    memo.begin(salt, renderer)
    # The feeds' ids keep the domain they were first published with (a site moved to another domain, without
    # `site.id_domain`), which is kept whether the config names it or not.
    settings = settled_id_domain(settings, published.id_domain(settings.site.domain))
    site = settings.site
    size = settings.publish.entries
    index = memo.index(releases, site.tz, site.base_url)
    by_id = {r.id: r for r in releases}
    removed = removed or {}
    ordered = [by_id.get(i) for i in archive_order if i in by_id or i in removed]

    translated = translations_of(releases)
    # One token per release, reused by every job showing it (with its other language versions, which it links to).
    keys = {r.id: memo.token(r, translated.get(r.id, ()), release_key) for r in releases}
    # Each topic's name, worked out again only for a topic whose releases changed.
    names = {slug: _topic_name(memo, index, slug, settings) for slug in index.keys("t:")}
    names_epoch = memo.epoch("names", (names, site.id_domain))
    plan = Planner(salt, memo, keys, names)
    everything = index.group(ALL)  # (newest first)

    def feed_job(group: FeedGroup, shown: Sequence[Release] | None = None, **extra: object) -> None:
        # An entry is a function of its release (`entry_of`) and the settings (in the salt), so the releases' keys
        # stand in for the entries, and the full spec is only built when the feed is rendered: building and
        # hashing every entry's HTML of every feed made up most of a publish with nothing new.
        chosen = newest_first(group.releases if shown is None else shown)
        newest = max((r.updated for r in chosen), default=EPOCH)
        name = group.title.removeprefix(f"{site.title}: ") if group.key.startswith(("topic:", "org:")) else None
        updated = published.updated(group.key, newest, name, empty=not chosen)
        # (what its fingerprint is made of, cheaper to compare: the group's releases compare as the same objects)
        same = (replace(group, releases=()), [keys[r.id] for r in chosen], updated, extra, names_epoch)
        if (job := memo.job(f"feed:{group.key}", same)) is not None:
            plan.jobs.append(job)
            return
        head = spec_of(group, settings, entries=(), at_least=updated, **extra)
        inputs = (head, "\n".join(keys[r.id] for r in chosen), plan.named(chosen))
        job = plan.add(
            head.key,
            [head.path + FEED_FILES[f] for f in head.formats],
            inputs,
            lambda: render_feed(spec_of(group, settings, names, translated, entries=chosen, at_least=updated, **extra)),
        )
        memo.keep_job(f"feed:{group.key}", same, job)

    # The main feed and its RFC 5005 archives.
    words = messages_for(site)
    main = FeedGroup(
        key="main",
        path="",
        title=site.title,
        subtitle=site.description or words.say("Releases from %(author)s.", author=site.author),
        home_url=site.base_url,
        releases=everything,
        group="Main",
    )
    pages, own = archive_pages(ordered, size)
    current = current_of(index, own, everything, size)
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

    # Topic, organisation and custom feeds (the index's groups: those of the topics' and organisations' slugs).
    configured = configured_topic_names(settings)
    emptied = {slug: configured.get(slug) or f.name or slug for slug, f in published.topics().items()}
    organisations = {slug: f.name or slug for slug, f in published.organisations().items()}
    by_topic = {slug: index.group(f"t:{slug}") for slug in index.keys("t:")}
    by_org = {slug: index.group(f"o:{slug}") for slug in index.keys("o:")}
    by_language = {tag: index.group(f"l:{tag}") for tag in index.keys("l:")}
    groups = feed_groups(everything, settings, names, emptied, organisations, by_topic=by_topic, by_org=by_org)
    groups += language_groups(everything, settings, published.languages(), by_language=by_language)
    for g in groups:
        # Its newest, and its last updated wherever they are by date, as the main feed's current document shows: a
        # withdrawal or a correction of a release that had slid out of a topic's feed reaches its subscribers too.
        # (Worked out again only for a group whose releases changed.)
        if (key := _indexed(index, g.key)) is not None and g.releases is index.group(key):
            current_of_group = memo.derived(
                f"current:{g.key}", g.releases, lambda rs: group_current(index, key, rs, size)
            )
        else:  # (a custom feed's releases; an organisation's that carries its successors')
            current_of_group = current_entries((), g.releases, size)
        feed_job(g, current_of_group)

    # Match feeds: all matches, one per keyword rule, one coverage feed per release (small: specs are hashed whole).
    watched = plan_matches(matches, by_id, rules or {}, settings, entry_ids)
    for spec in watched.specs:
        plan.add(spec.key, [spec.path + FEED_FILES[f] for f in spec.formats], spec, _rendered(spec))

    # Relative, as every other link of a page is, never by its full URL: pages forbid styles from other origins
    # (their security policy), and out/ served elsewhere (a preview host, www. or not, http or https) lost all its
    # styling; nor by its path on the host, which under a base path (/news/) was missing where `feeds serve`
    # serves out/, at its root. The 404 page, served at any depth, names it by that path. Its version in its
    # address (`?v=`) lets a browser keep it for a year (`feeds serve`), and fetch it again only when it changes.
    css = "static/site.css?v=" + renderer.stylesheet_version()
    css_404 = urlsplit(site.base_url).path + css
    main_links = _links("", site.title, "Main", site.base_url, settings)
    group_links = {  # (a language's feed is named in that language: `language_name`)
        g.key: _links(g.path, _label(g, site.title), g.group, g.home_url, settings, g.language) for g in groups
    }
    # An empty topic's or organisation's feeds are not offered on the index or in the OPML list (its subscribers
    # keep them): an empty feed is nothing to subscribe to; an empty custom feed is offered, as what the office
    # chose to publish. Nor is the feed of the only organisation left: the main feed has its releases.
    offered = [g for g in groups if g.offered]
    all_links = main_links + [link for g in offered for link in group_links[g.key]] + watched.links
    links_of = {  # (by group key; a topic page offers its own feeds, offered elsewhere or not)
        g.key: group_links[g.key]
        for g in groups
        if g.key.startswith("topic:") or (g.key.startswith(("org:", "lang:")) and g.offered)
    }
    years, recent = plan_pages(
        plan,
        index,
        settings,
        renderer,
        groups=groups,
        removed=removed,
        watched=watched,
        translated=translated,
        css=css,
        css_404=css_404,
        main_links=main_links,
        all_links=all_links,
        links_of=links_of,
    )
    plan_search(plan, index, renderer, site, groups=groups, years=years, css=css)
    for f in static:
        plan.add(f"static:{f.path}", [f.path], hashlib.sha256(f.data).hexdigest(), _as_is(f))
    plan_sitemaps(plan, index, settings, groups=groups, years=years, recent=recent, translated=translated, now=now)
    memo.end()
    return sorted(plan.jobs, key=_rank)


_rank: Callable[[Job], int] = operator.attrgetter("rank")


def _topic_name(memo: PlanMemo, index: ArchiveIndex, slug: str, settings: Settings) -> str:
    """`topic_names(releases, settings)[slug]`, from the topic's own releases only (which are all its spellings),
    worked out again only when they changed."""

    def name(of: Sequence[Release]) -> str:
        return topic_names(of, settings)[slug]

    return memo.derived(f"name:{slug}", index.group(f"t:{slug}"), name)


_INDEXED = {"topic": "t", "org": "o", "lang": "l"}


def _indexed(index: ArchiveIndex, key: str) -> str | None:
    """The key of the index's group behind feed group `key` (a topic's, an organisation's, a language's); None for
    another feed (a custom one)."""
    kind, _, name = key.partition(":")
    return f"{_INDEXED[kind]}:{name}" if kind in _INDEXED else None


def _rendered(spec: object) -> Callable[[], tuple[RenderedFile, ...]]:
    return lambda: render_feed(spec)  # type: ignore[arg-type]


def _as_is(f: RenderedFile) -> Callable[[], tuple[RenderedFile, ...]]:
    return lambda: (f,)
