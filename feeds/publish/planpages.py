"""Planning the site's pages (pure): the topic pages, a page per release, the year and month pages, the 404 page,
the index and the OPML list, as jobs of a `Planner`.

    plan_pages(plan, index, …) ──► page:topics/<slug>/, release:<id>, removed:<id>, page:years/<year>/[<mm>/],
        page:404, index, opml

What each page shows of a group (a topic's years of older releases, a year's months) is worked out again only
when the group changed (`PlanMemo.derived`), and a year's or month's page is fingerprinted again only when its
releases, their tokens, the years or the topics' names changed (`PlanMemo.job`): a daemon's publish after one new
release plans the pages that show it, not the archive's hundreds of year and month pages.

What this module must not do: read the clock, the store or the disk.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from functools import partial

from feeds.config import Settings
from feeds.model import Release
from feeds.publish.archiveindex import ALL, ArchiveIndex
from feeds.publish.coverage import MatchFeeds
from feeds.publish.opml import render_opml
from feeds.publish.pages import PageRenderer
from feeds.publish.planjobs import Planner, one
from feeds.publish.releasepage import release_page
from feeds.publish.removed import removed_page
from feeds.publish.sitefeeds import EPOCH, FeedGroup, newest_first, primary_subtag
from feeds.publish.spec import FeedLink, RenderedFile
from feeds.publish.succession import succession_of
from feeds.publish.topicnames import topic_slug
from feeds.publish.translations import Translation
from feeds.publish.yearmonths import month_path, months_of

__all__ = ["INDEX_RELEASES", "TOPIC_PAGE_RELEASES", "plan_pages"]

INDEX_RELEASES = 50


TOPIC_PAGE_RELEASES = 100


def plan_pages(
    plan: Planner,
    index: ArchiveIndex,
    settings: Settings,
    renderer: PageRenderer,
    *,
    groups: Sequence[FeedGroup],
    removed: Mapping[str, str],
    watched: MatchFeeds,
    translated: Mapping[str, tuple[Translation, ...]],
    css: str,
    css_404: str,
    main_links: list[FeedLink],
    all_links: list[FeedLink],
    links_of: Mapping[str, list[FeedLink]],
) -> tuple[list[int], Sequence[Release]]:
    """Add the pages' jobs to `plan`; returns the years that have a page, newest first, and the releases the index
    page lists (the sitemap lists them, and dates the index by them)."""
    memo, keys, names = plan.memo, plan.keys, plan.names
    site = settings.site
    css_deep = "../../" + css
    everything = index.group(ALL)

    for g in groups:
        if not g.key.startswith("topic:"):  # (an organisation has a feed, not a page)
            continue
        slug = g.key.removeprefix("topic:")
        name = g.title.removeprefix(f"{site.title}: ")
        ordered_by_date = g.releases if g.releases is index.group(f"t:{slug}") else newest_first(g.releases)
        shown = ordered_by_date[:TOPIC_PAGE_RELEASES]
        # The topic's older releases are on the year pages: the page says how many there are, and where.
        older_years = memo.derived(
            f"older:{g.key}",
            ordered_by_date,
            lambda rs: sorted({index.year_month(r)[0] for r in rs[TOPIC_PAGE_RELEASES:]}),
        )
        links = links_of[g.key]
        plan.add(
            f"page:{g.path}",
            [f"{g.path}index.html"],
            (plan.tokens(shown), links, plan.named(shown), len(g.releases), older_years, name),
            partial(
                one,
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
    for r in everything:
        coverage = watched.coverage.get(r.id, ())
        covered = (keys[r.id], epoch, coverage, watched.coverage_links.get(r.id, []))
        if (job := memo.job(f"release:{r.id}", covered)) is not None:
            plan.jobs.append(job)
            continue
        link_keys = ["main"] + [f"topic:{topic_slug(t)}" for t in r.topics if f"topic:{topic_slug(t)}" in links_of]
        if (org := f"org:{current_org(topic_slug(r.organisation))}") in links_of:
            link_keys.append(org)
        if (language := f"lang:{primary_subtag(r.language)}") in links_of:
            link_keys.append(language)
        links = [*main_links, *(link for k in link_keys[1:] for link in links_of[k])]
        links += covered[3]
        job = plan.add(
            f"release:{r.id}",
            [f"releases/{r.slug}/index.html"],
            # (the topics' links are named as the topics are: a topic renamed, its releases' pages are rendered again)
            keys[r.id] + "".join(link_text[k] for k in link_keys) + (repr((coverage, links)) if coverage else ""),
            partial(
                one,
                release_page,
                renderer,
                r,
                feeds=links,
                coverage=coverage,
                stylesheet_url=css_deep,
                topic_names=names,
                translations=translated.get(r.id, ()),
            ),
        )
        memo.keep_job(f"release:{r.id}", covered, job)

    # A release taken down: a notice without its title where its page was (`feeds serve` answers it 410 Gone).
    for release_id, slug in sorted(removed.items()):
        notice = RenderedFile(f"releases/{slug}/index.html", removed_page(site.language, css_deep))
        plan.add(f"removed:{release_id}", [notice.path], notice.data.decode(), partial(tuple, (notice,)))

    years = _plan_years(plan, index, renderer, css_deep=css_deep, main_links=main_links)

    plan.add(
        "page:404",
        ["404.html"],
        (years, css_404),
        lambda: (renderer.not_found_page(years=years, stylesheet_url=css_404),),
    )

    # The index, OPML and static files.
    recent = everything[:INDEX_RELEASES]
    plan.add(
        "index",
        ["index.html"],
        (plan.tokens(recent), all_links, years),
        lambda: (
            renderer.index_page(releases=recent, feeds=all_links, stylesheet_url=css, topic_names=names, years=years),
        ),
    )
    opml_updated = max((r.updated for r in index.last_updated(1)), default=EPOCH)
    opml_created = everything[-1].published if everything else EPOCH  # (moved only by a backfill)
    plan.add(
        "opml",
        ["feeds.opml"],
        (all_links, opml_updated, opml_created),
        lambda: (render_opml(site, all_links, updated=opml_updated, created=opml_created),),
    )
    return years, recent


def _plan_years(
    plan: Planner, index: ArchiveIndex, renderer: PageRenderer, *, css_deep: str, main_links: list[FeedLink]
) -> list[int]:
    """One archive page per year (the index lists only the newest releases): each is rendered again only when a
    release of its year changes, or a year is added. A year of a back catalogue (thousands of releases) is listed
    by month: `yearmonths`."""
    memo, keys = plan.memo, plan.keys
    years = sorted((int(y) for y in index.keys("y:")), reverse=True)
    names_epoch = memo.epoch("year-names", plan.names)
    for year in years:
        shown = index.group(f"y:{year}")
        months = year_months(plan, index, year)
        counts = [(m, len(rs)) for m, rs in months.items()]
        listing: dict[int | None, Sequence[Release]] = {None: () if months else shown}  # (the year's page)
        for month, of_page in (listing | dict(months)).items():
            folder = month_path(year, month) if month else f"years/{year}/"
            # (compared before it is fingerprinted: a year's releases, their tokens, the years, the names)
            same = (of_page, [keys[r.id] for r in of_page], years, main_links, names_epoch, counts, css_deep)
            if (job := memo.job(f"page:{folder}", same)) is not None:
                plan.jobs.append(job)
                continue
            job = plan.add(
                f"page:{folder}",
                [f"{folder}index.html"],
                (plan.tokens(of_page), years, main_links, plan.named(of_page), counts),
                partial(
                    one,
                    renderer.year_page,
                    year=year,
                    releases=of_page,
                    years=years,
                    stylesheet_url=f"../{css_deep}" if month else css_deep,
                    discover=main_links,
                    topic_names=plan.names,
                    month=month,
                    months=counts,
                ),
            )
            memo.keep_job(f"page:{folder}", same, job)
    return years


def year_months(plan: Planner, index: ArchiveIndex, year: int) -> Mapping[int, Sequence[Release]]:
    """`months_of` the releases of `year` (newest first), worked out again only when they changed."""
    return plan.memo.derived(
        f"months:{year}", index.group(f"y:{year}"), lambda rs: months_of(rs, lambda r: index.year_month(r)[1])
    )
