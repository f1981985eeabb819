"""A release's permalink page, `releases/<slug>/index.html`: the one page in the release's own language.

    PageRenderer + Release + FeedLink… + CoverageItem… + Translation… ──release_page──► releases/<slug>/index.html

What sets it apart from the site's other pages (`pages.PageRenderer`, which renders those, and lends this one its
templates, labels and topic links): its labels, dates and `lang`/`dir` are the release's language where a packaged
catalogue covers it (`PageRenderer.speaking`), not the site's; it carries the release's sharing metadata (Open
Graph, JSON-LD: `sharing`), its other language versions (`hreflang` alternates, links: `translations`), its change
history and the coverage it got; and a withdrawn release says so in its title, where it is shared and bookmarked.
`release.html`'s context is listed with the others in `pages`' docstring.

What this module must not do: what `pages` must not (read the clock, the store or `out/`; mark anything but
`Release.body_html` safe; link to any scheme but http(s) from data that came from outside).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from feeds.clock import ensure_utc
from feeds.model import Release
from feeds.publish.i18n import read_in
from feeds.publish.pages import PageRenderer, check_slug
from feeds.publish.pageviews import (
    FIRST_PUBLISHED,
    CoverageItem,
    CoverageView,
    Head,
    LanguageLink,
    change_history,
    group_feeds,
    summary_in_opening,
    text_direction,
    web_url,
)
from feeds.publish.sharing import release_robots, release_sharing
from feeds.publish.spec import FeedLink, RenderedFile
from feeds.publish.translations import Translation, hreflang_alternates

_ANNOUNCED_TOPICS = 8
"""How many topics' feeds a release page announces in <head>: a feed reader's subscribe dialog offers each."""


def _announced(feeds: Sequence[FeedLink]) -> tuple[FeedLink, ...]:
    """The feeds a release page announces in <head>: all but the topics' beyond the first `_ANNOUNCED_TOPICS` (a
    release with 40 topics offered 120 feeds there); its Subscribe section lists every one."""
    topics = list(dict.fromkeys(f.title for f in feeds if f.group == "Topics"))
    if len(topics) <= _ANNOUNCED_TOPICS:
        return tuple(feeds)
    kept = set(topics[:_ANNOUNCED_TOPICS])
    return tuple(f for f in feeds if f.group != "Topics" or f.title in kept)


def release_page(
    renderer: PageRenderer,
    release: Release,
    *,
    feeds: Sequence[FeedLink],
    coverage: Sequence[CoverageItem] = (),
    stylesheet_url: str,
    topic_names: Mapping[str, str] | None = None,
    translations: Sequence[Translation] = (),
) -> RenderedFile:
    """`releases/<slug>/index.html`: the release's permalink page. `topic_names`: each topic's name by its
    slug (the planner's `topic_names`); a topic not in it is named as the release spells it. `translations`:
    its other language versions (`feeds.publish.translations`), linked from it."""
    slug = check_slug(release.slug, "release")
    site = renderer.site
    lang, direction = release.language or site.language, text_direction(release.language or site.language)
    words, env = renderer.speaking(lang)
    topics = renderer.topic_links(release.topics, root="../../", names=topic_names)
    image = web_url(release.image)
    # A withdrawn release says so where it is shared and bookmarked too, as its feed entries do.
    title = words.say("[Withdrawn] %(title)s", title=release.title) if release.withdrawn_at else release.title
    description, meta, structured = release_sharing(
        release,
        site=site,
        title=title,
        image=image,
        topics=[topic.name for topic in topics],
        lang=lang,
        locales=[renderer.og_locale_of(lang), *(renderer.og_locale_of(t.language) for t in translations)],
        translations=[(t.language, t.url) for t in translations],
    )
    head = Head(
        title=f"{title} – {site.title}",
        description=description,
        lang=lang,
        dir=direction,
        canonical=release.permalink,
        stylesheet_url=stylesheet_url,
        home="../../",
        discover=_announced(feeds),
        meta=meta,
        json_ld=structured,
        alternates=hreflang_alternates(lang, release.permalink, translations, site.language),
        robots=release_robots(release),
        **renderer.labels_in(lang, words),
    )
    first_published = words.gettext(FIRST_PUBLISHED)
    history = change_history(release, first_published)
    coverage_views = tuple(
        CoverageView(item, web_url(item.url), ", ".join(dict.fromkeys(words.gettext(k) for k in item.kinds)))
        for item in sorted(coverage, key=lambda c: (ensure_utc(c.published or c.found_at), c.url), reverse=True)
    )
    html = env.get_template("release.html").render(
        site=site,
        head=head,
        feed_groups=group_feeds(feeds),
        release=release,
        lede=None if summary_in_opening(release.summary, release.body_text) else release.summary,
        kind=words.gettext(release.document_type.replace("_", " ").strip().capitalize() or "News"),
        topics=topics,
        history=history,
        first_published=first_published,
        coverage=coverage_views,
        source_link=web_url(release.link),
        translations=tuple(
            LanguageLink(t.language, text_direction(t.language), t.url, read_in(t.language), t.title)
            for t in translations
        ),
    )
    return RenderedFile(path=f"releases/{slug}/index.html", data=html.encode("utf-8"))
