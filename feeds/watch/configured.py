"""Importing the feeds and keyword rules the config file declares ([[watch.feeds]], [[watch.keywords]]).

Idempotent, run before each command that uses the watch: what the config declares is added or changed, and
remembers it came from there (`origin = "config"`); what it no longer declares stops.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from feeds.logs import CONFIG_NOTICES
from feeds.normalise.ids import rule_clash, rule_slug
from feeds.urls import without_secrets
from feeds.watch.feedurls import canonical_feed_url
from feeds.watch.matching import own_domains
from feeds.watch.ownsite import is_own_url
from feeds.watch.tags import feed_title, labels, tags_note

if TYPE_CHECKING:
    from feeds.app import App

config_log = logging.getLogger(CONFIG_NOTICES)


def import_configured(app: App) -> tuple[int, int]:
    """Import the config's [[watch.feeds]] and [[watch.keywords]] (idempotent). Returns (feeds added, rules changed)."""
    now = app.clock()
    w = app.settings.watch
    feeds_added = 0
    mine = own_domains(app.settings)
    origins = {f.url: f.origin for f in app.store.feeds()} if w.feeds else {}
    for f in w.feeds:
        if is_own_url(f.url, mine):  # as `watch add` refuses it: our own feeds are never watched
            config_log.warning(
                "not watching %s from the config: it is on our own site (site.base_url, watch.own_domains)",
                without_secrets(f.url),
            )
            continue
        url = canonical_feed_url(f.url)
        before = origins.get(url)
        title, long_title = feed_title(f.title)
        if cut := "; ".join(filter(None, (long_title, tags_note(f.tags)))):
            config_log.warning("%s in [[watch.feeds]] of the config file: %s", without_secrets(url), cut)
        _, created = app.store.import_feed(
            url,
            title=title,
            tags=labels(f.tags),
            interval=f.interval or w.interval,
            origin="config",
            now=now,
            adopt=True,
        )
        feeds_added += created
        if before not in (None, "config"):  # watched already another way: from now on, as the config says
            config_log.warning(
                "%s (watched already, added from %s) now takes its title, tags and interval from the config "
                "file, which lists it; its items and matches are kept",
                without_secrets(url),
                "the command line" if before == "cli" else before,
                extra={"url": without_secrets(url)},
            )
    names = [k.name for k in w.keywords]
    rules_changed = 0
    # What the config no longer declares stops: its rules are deleted (first, so that a rule renamed in the config,
    # if only in case, takes its name and feed folder over), its feeds disabled (matches and items kept).
    rules_gone, feeds_gone = app.store.retire_configured((canonical_feed_url(f.url) for f in w.feeds), names)
    # The names but for case and feed folders other rules hold: those added from the command line (the config's
    # own clashes are refused when it is read).
    held = [r.name for r in app.store.rules()]
    for k in w.keywords:
        found = next(((o, kind) for o in held if o != k.name and (kind := rule_clash(k.name, o))), None)
        if found is not None:
            other, kind = found
            clash = (
                "has the same name but for case"
                if kind == "case"
                else f"publishes at matches/rules/{rule_slug(k.name)}/ already"
            )
            config_log.warning(
                "rule %r in the config is not used: rule %r, added from the command line, %s (rename one of them)",
                k.name,
                other,
                clash,
                extra={"rule": k.name},
            )
            continue
        rule, changed = app.store.import_rule(k.name, k.query, origin="config", now=now)
        rules_changed += changed
        if rule.origin != "config" and rule.query != k.query:
            config_log.warning(
                "rule %r in the config is not used: a rule of that name was added from the command line with the "
                "query %r (remove that one with `feeds keywords remove %s`, or rename one of them)",
                k.name,
                rule.query,
                k.name,
                extra={"rule": k.name},
            )
    for name in rules_gone:
        gone = "it is no longer in the config file (its past matches are kept: `feeds keywords remove` deletes them)"
        config_log.warning("removed rule %r: %s", name, gone, extra={"rule": name})
    for url in map(without_secrets, feeds_gone):
        config_log.warning(
            "stopped watching %s: it is no longer in the config file (its items are kept)", url, extra={"url": url}
        )
    return feeds_added, rules_changed + len(rules_gone)
