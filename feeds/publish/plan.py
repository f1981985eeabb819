"""Planning a publish (pure): which documents the site consists of, and a fingerprint of each one's inputs.

    releases (+ archive order) ──plan_site──► Job(key, paths, fingerprint, render) …

A `Job` renders lazily: the writer calls `render()` only when the fingerprint differs from the last publish or
the files on disk are not what was written, which is what makes a publish after one new release re-render
only the documents that include it (main feed, its topics, its page, the index), not every page.

Which feeds of releases exist and what they hold is `sitefeeds` (the main feed's RFC 5005 archives too), a
release's entry is `entries`, the match and coverage feeds are `coverage`; this module puts them together with
the pages, the OPML list and the static files, and decides what each document's fingerprint covers.

What this module must not do: read the clock, the store or the disk. Everything arrives as arguments.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from functools import partial
from urllib.parse import quote, urlsplit

from feeds.config import Settings
from feeds.model import Release, StoredMatch
from feeds.publish.coverage import EntryIds, plan_matches
from feeds.publish.feeds import render_feed
from feeds.publish.i18n import messages_for
from feeds.publish.marks import PublishedFeeds
from feeds.publish.newsmap import NEWS_SITEMAP_PATH, news_releases, render_news_sitemap
from feeds.publish.opml import render_opml
from feeds.publish.pages import PageRenderer
from feeds.publish.planmemo import PlanMemo
from feeds.publish.removed import removed_page
from feeds.publish.sitefeeds import (
    EPOCH,
    FeedGroup,
    archive_pages,
    current_entries,
    feed_groups,
    language_groups,
    newest_first,
    primary_subtag,
    settled_id_domain,
    spec_of,
)
from feeds.publish.sitemap import SitemapUrl, render_robots, render_sitemap, sitemap_paths, split_sitemap
from feeds.publish.spec import FEED_FILES, FeedLink, RenderedFile
from feeds.publish.succession import succession_of
from feeds.publish.topicnames import configured_topic_names, topic_names, topic_slug
from feeds.publish.translations import hreflang_alternates, translations_of
from feeds.publish.yearmonths import month_path, months_of

INDEX_RELEASES = 50


TOPIC_PAGE_RELEASES = 100


@dataclass(frozen=True, slots=True)
class Job:
    key: str
    paths: tuple[str, ...]
    fingerprint: str
    render: Callable[[], tuple[RenderedFile, ...]]
    yields: bool = False
    """A file an office may have put into out/ itself (`robots.txt`): one there that this site's writer never
    wrote is left as it is (`SiteWriter.publish`)."""


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
    by_id = {r.id: r for r in releases}
    removed = removed or {}
    ordered = [by_id.get(i) for i in archive_order if i in by_id or i in removed]
    jobs: list[Job] = []

    def add(
        key: str,
        paths: Sequence[str],
        inputs: object,
        render: Callable[[], tuple[RenderedFile, ...]],
        *,
        yields: bool = False,
    ) -> None:
        text = inputs if isinstance(inputs, str) else repr(inputs)
        memo.fingerprinted += 1
        digest = hashlib.sha256(f"{salt}\0{key}\0{text}".encode()).hexdigest()
        jobs.append(Job(key=key, paths=tuple(paths), fingerprint=digest, render=render, yields=yields))

    translated = translations_of(releases)
    # One token per release, reused by every job showing it (with its other language versions, which it links to).
    keys = {r.id: memo.token(r, translated.get(r.id, ()), release_key) for r in releases}
    names, tz = topic_names(releases, settings), site.tz
    names_epoch = memo.epoch("names", (names, site.id_domain))

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
        # (what its fingerprint is made of, cheaper to compare: the group's releases compare as the same objects)
        same = (replace(group, releases=()), [keys[r.id] for r in chosen], updated, extra, names_epoch)
        if (job := memo.job(f"feed:{group.key}", same)) is not None:
            jobs.append(job)
            return
        head = spec_of(group, settings, entries=(), at_least=updated, **extra)
        inputs = (head, "\n".join(keys[r.id] for r in chosen), named(chosen))
        add(
            head.key,
            [head.path + FEED_FILES[f] for f in head.formats],
            inputs,
            lambda: render_feed(spec_of(group, settings, names, translated, entries=chosen, at_least=updated, **extra)),
        )
        memo.keep_job(f"feed:{group.key}", same, jobs[-1])

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
    groups += language_groups(releases, settings, published.languages())
    for g in groups:
        # Its newest, and its last updated wherever they are by date, as the main feed's current document shows: a
        # withdrawal or a correction of a release that had slid out of a topic's feed reaches its subscribers too.
        feed_job(g, current_entries((), g.releases, size))

    # Match feeds: all matches, one per keyword rule, one coverage feed per release (small: specs are hashed whole).
    watched = plan_matches(matches, by_id, rules or {}, settings, entry_ids)
    for spec in watched.specs:
        add(spec.key, [spec.path + FEED_FILES[f] for f in spec.formats], spec, partial(render_feed, spec))

    # Relative, as every other link of a page is, never by its full URL: pages forbid styles from other origins
    # (their security policy), and out/ served elsewhere (a preview host, www. or not, http or https) lost all its
    # styling; nor by its path on the host, which under a base path (/news/) was missing where `feeds serve`
    # serves out/, at its root. The 404 page, served at any depth, names it by that path. Its version in its
    # address (`?v=`) lets a browser keep it for a year (`feeds serve`), and fetch it again only when it changes.
    css = "static/site.css?v=" + renderer.stylesheet_version()
    css_deep, css_404 = "../../" + css, urlsplit(site.base_url).path + css
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

    for g in groups:
        if not g.key.startswith("topic:"):  # (an organisation has a feed, not a page)
            continue
        slug = g.key.removeprefix("topic:")
        name = g.title.removeprefix(f"{site.title}: ")
        ordered_by_date = newest_first(g.releases)
        shown = ordered_by_date[:TOPIC_PAGE_RELEASES]
        # The topic's older releases are on the year pages: the page says how many there are, and where.
        older_years = sorted({memo.local_year_month(r, tz)[0] for r in ordered_by_date[len(shown) :]})
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
    # (A release of a renamed organisation offers its current name's feed: `succession`.)
    link_text = {"main": repr(main_links)} | {k: repr(v) for k, v in links_of.items()}
    current_org = succession_of(settings.organisations).current
    # A page is planned again only when its release, the site's feeds or its coverage changed (`PlanMemo`).
    epoch = memo.epoch("links", (link_text, repr(settings.organisations), css_deep))
    for r in releases:
        coverage = watched.coverage.get(r.id, ())
        covered = (keys[r.id], epoch, coverage, watched.coverage_links.get(r.id, []))
        if (job := memo.job(f"release:{r.id}", covered)) is not None:
            jobs.append(job)
            continue
        link_keys = ["main"] + [f"topic:{topic_slug(t)}" for t in r.topics if f"topic:{topic_slug(t)}" in links_of]
        if (org := f"org:{current_org(topic_slug(r.organisation))}") in links_of:
            link_keys.append(org)
        if (language := f"lang:{primary_subtag(r.language)}") in links_of:
            link_keys.append(language)
        links = [*main_links, *(link for k in link_keys[1:] for link in links_of[k])]
        links += covered[3]
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
                translations=translated.get(r.id, ()),
            ),
        )
        memo.keep_job(f"release:{r.id}", covered, jobs[-1])

    # A release taken down: a notice without its title where its page was (`feeds serve` answers it 410 Gone).
    for release_id, slug in sorted(removed.items()):
        notice = RenderedFile(f"releases/{slug}/index.html", removed_page(site.language, css_deep))
        add(f"removed:{release_id}", [notice.path], notice.data.decode(), partial(tuple, (notice,)))

    # One archive page per year (the index lists only the newest releases): each is rendered again only when a
    # release of its year changes, or a year is added.
    by_year: dict[int, list[Release]] = {}
    for r in releases:
        by_year.setdefault(memo.local_year_month(r, tz)[0], []).append(r)
    years = sorted(by_year, reverse=True)

    # A year of a back catalogue (thousands of releases) is listed by month: `yearmonths`.
    def month_of(r: Release) -> int:
        return memo.local_year_month(r, tz)[1]

    months_of_year = {year: months_of(newest_first(of_year), month_of) for year, of_year in by_year.items()}
    for year, of_year in by_year.items():
        shown, months = newest_first(of_year), months_of_year[year]
        counts = [(m, len(rs)) for m, rs in months.items()]
        listing: dict[int | None, Sequence[Release]] = {None: () if months else shown}  # (the year's page)
        for month, of_page in (listing | dict(months)).items():
            folder = month_path(year, month) if month else f"years/{year}/"
            add(
                f"page:{folder}",
                [f"{folder}index.html"],
                ("\n".join(keys[r.id] for r in of_page), years, main_links, named(of_page), counts),
                partial(
                    _one,
                    renderer.year_page,
                    year=year,
                    releases=of_page,
                    years=years,
                    stylesheet_url=f"../{css_deep}" if month else css_deep,
                    discover=main_links,
                    topic_names=names,
                    month=month,
                    months=counts,
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

    # The sitemap of the pages above that search engines may list (a topic page with no release says `noindex`),
    # rendered only when one of them (or its lastmod) changed.
    urls = [SitemapUrl(site.base_url, max((r.updated for r in recent), default=None))]
    for g in sorted((g for g in groups if g.key.startswith("topic:") and g.releases), key=lambda g: g.key):
        url = f"{site.base_url}topics/{quote(g.key.removeprefix('topic:'))}/"
        urls.append(SitemapUrl(url, max(r.updated for r in g.releases)))
    urls += [SitemapUrl(f"{site.base_url}years/{y}/", max(r.updated for r in by_year[y])) for y in years]
    urls += [
        SitemapUrl(site.base_url + month_path(y, m), max(r.updated for r in rs))
        for y in years
        for m, rs in months_of_year[y].items()
    ]
    lines, lang = [f"{u.loc} {u.lastmod} {u.alternates}" for u in urls], site.language

    def page_url(r: Release) -> SitemapUrl:  # (its language versions as its page's `<link rel="alternate">`)
        versions = translated.get(r.id, ())
        return SitemapUrl(r.permalink, r.updated, hreflang_alternates(r.language or lang, r.permalink, versions, lang))

    for listed_url, line in (memo.sitemap_url(r, keys[r.id], page_url) for r in newest_first(releases)):
        urls.append(listed_url)
        lines.append(line)
    parts = split_sitemap(urls)
    listed = "\n".join([*lines, repr([len(p) for p in parts])])
    others = (NEWS_SITEMAP_PATH,)
    sitemap = partial(render_sitemap, parts, site.base_url, others=others, element=memo.elements())
    add("sitemap", sitemap_paths(parts), listed, sitemap)
    robots = partial(render_robots, site.base_url, others)
    add("robots", ["robots.txt"], (site.base_url, others), lambda: (robots(),), yields=True)
    # The news sitemap: the releases of the last two days at `now`. Its fingerprint is the releases it lists, not
    # the time, so the first publish after one ages out (or an embargo lifts) rewrites it, and no other does.
    news = news_releases(releases, now)
    news_inputs = ("\n".join(keys[r.id] for r in news), site.news_name, site.language)
    add(
        "news-sitemap",
        [NEWS_SITEMAP_PATH],
        news_inputs,
        lambda: (render_news_sitemap(news, site.news_name, site.language),),
    )
    memo.end()
    return sorted(jobs, key=_write_rank)


_WRITTEN_FIRST = ("static:", "release:", "page:")
"""The writer writes jobs in the order given. What links to a document is written after it: the stylesheets and
the release pages first, then the topic and year pages, then the feeds, the index, the OPML list and the sitemap
last. A reader (or a crawler fetching the full article) that follows a new entry's link during a publish finds its
page, not the 404 page; a first publish's feeds find their stylesheet."""


def _write_rank(job: Job) -> int:
    if job.key in ("index", "opml", "sitemap", "robots", "news-sitemap"):
        return len(_WRITTEN_FIRST) + 1
    return next((i for i, prefix in enumerate(_WRITTEN_FIRST) if job.key.startswith(prefix)), len(_WRITTEN_FIRST))


def _one(render: Callable[..., RenderedFile], *args: object, **kwargs: object) -> tuple[RenderedFile, ...]:
    """A page renderer's one file as a job's result (bound with `partial`, so each job keeps its own data)."""
    return (render(*args, **kwargs),)
