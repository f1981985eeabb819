"""The browser view of a feed (feed.xsl's page, and feed.css where XSLT is gone), as an accessibility auditor checks
it: the page's structure as a screen reader meets it, and its colours: every text colour, in the light and the
dark scheme, on every background of that scheme, at WCAG 2.2 AA's 4.5:1, computed from the stylesheets' own
values. A rule the dark scheme does not restate keeps its light colour on the dark page: that is where a grey date
went unreadable."""

from __future__ import annotations

import itertools
import re
from pathlib import Path

import pytest
from lxml import etree

from feeds.publish.atomrss import render_atom, render_rss
from tests import test_publish_a11y
from tests.test_publish_a11y import contrast
from tests.test_publish_feeds import ordinary_spec, transform

make_site = test_publish_a11y.make_site  # (the fixtures: a published site with Arabic and Urdu releases)
out = test_publish_a11y.out

STATIC = Path(__file__).resolve().parent.parent / "feeds/static"
_RULE = re.compile(r"([^{}]+)\{([^{}]*)\}")


def _rules(css: str) -> dict[str, dict[str, str]]:
    """Selector (one of a list) -> its declarations, later rules overriding earlier ones."""
    found: dict[str, dict[str, str]] = {}
    for selectors, body in _RULE.findall(css):
        declarations = dict(re.findall(r"([\w-]+)\s*:\s*([^;]+?)\s*(?:;|$)", body))
        for selector in selectors.split(","):
            found.setdefault(" ".join(selector.split()), {}).update(declarations)
    return found


def _xsl_schemes() -> dict[str, dict[str, dict[str, str]]]:
    style = re.search(r"<style>(.*?)</style>", (STATIC / "feed.xsl").read_text(encoding="utf-8"), re.S)
    assert style
    light, _, dark = style.group(1).partition("@media (prefers-color-scheme: dark) {")
    assert dark
    light_rules = _rules(light)
    dark_rules = {selector: dict(d) for selector, d in light_rules.items()}
    for selector, declarations in _rules(dark).items():
        dark_rules.setdefault(selector, {}).update(declarations)
    return {"light": light_rules, "dark": dark_rules}


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_text_colour_of_the_feed_xsl_page_meets_aa_on_every_background_of_its_scheme(scheme: str) -> None:
    rules = _xsl_schemes()[scheme]
    colours = {s: d["color"] for s, d in rules.items() if "color" in d}
    backgrounds = {s: d["background"] for s, d in rules.items() if d.get("background", "").startswith("#")}
    assert "body" in backgrounds and len(colours) >= 4, (colours, backgrounds)
    for (fg_at, fg), (bg_at, bg) in itertools.product(colours.items(), backgrounds.items()):
        ratio = contrast(fg, bg)
        assert ratio >= 4.5, f"{scheme}: {fg_at} ({fg}) on {bg_at} ({bg}) is {ratio:.2f}:1"


def test_feed_css_text_colours_meet_aa_on_the_page_and_the_panel_in_both_schemes() -> None:
    css = (STATIC / "feed.css").read_text(encoding="utf-8")
    light_block = re.search(r"^:root \{(.*?)^\}", css, re.S | re.M)
    dark_rule = r"prefers-color-scheme: dark\) \{\s*:root \{(.*?)\}\s*rss, atom\|feed \{ background: (#\w+); \}"
    dark = re.search(dark_rule, css)
    assert light_block and dark
    schemes = {
        "light": dict(re.findall(r"--(\w+): (#\w+);", light_block.group(1))) | {"page": "#ffffff"},
        "dark": dict(re.findall(r"--(\w+): (#\w+)", dark.group(1))) | {"page": dark.group(2)},
    }
    for scheme, colours in schemes.items():
        for fg, bg in itertools.product(("text", "muted", "accent"), ("page", "panel")):
            ratio = contrast(colours[fg], colours[bg])
            assert ratio >= 4.5, f"{scheme}: --{fg} on {bg} is {ratio:.2f}:1"


@pytest.mark.parametrize("render", [render_atom, render_rss])
def test_the_feed_xsl_page_has_its_language_one_h1_in_order_headings_a_main_and_its_entries_as_a_list(
    render: object,
) -> None:
    """The entries are a list drawn without bullets: Safari drops the list role of such a list (and VoiceOver says
    neither "list" nor how many entries), unless it is restated, as the pages do."""
    page = transform(render(ordinary_spec()))  # type: ignore[operator]
    assert page.get("lang")
    assert len(page.findall(".//main")) == 1
    levels = [int(str(h.tag)[1]) for h in page.iter("h1", "h2", "h3", "h4", "h5", "h6")]
    assert levels[0] == 1 and levels.count(1) == 1
    assert all(after <= before + 1 for before, after in itertools.pairwise(levels)), levels
    entries = page.findall(".//ol")
    assert len(entries) == 1 and entries[0].get("role") == "list", etree.tostring(entries[0])[:80]
    assert all(a.text and a.text.strip() for a in page.iter("a"))


def test_a_feed_view_labels_a_subtitle_in_another_language_than_the_feeds(out: Path) -> None:
    """The Arabic releases' feed of an English site is `xml:lang="ar"`, its subtitle in the site's English words: the
    Atom subtitle says so (`xml:lang`), and its browser view labels it, so a screen reader does not read English
    in an Arabic voice. Where the words are the feed's language (the main feed), nothing is added."""
    xslt = etree.XSLT(etree.parse(str(out / "static/feed.xsl")))
    arabic = etree.parse(str(out / "ar/atom.xml"))
    subtitle = arabic.find("{http://www.w3.org/2005/Atom}subtitle")
    assert subtitle is not None and subtitle.get("{http://www.w3.org/XML/1998/namespace}lang") == "en-GB"
    page = xslt(arabic).getroot()
    assert (page.get("lang"), page.get("dir")) == ("ar", "rtl")
    shown = page.find(".//h1").getnext()
    assert shown.text == subtitle.text and (shown.get("lang"), shown.get("dir")) == ("en-GB", "ltr")
    main = etree.parse(str(out / "atom.xml"))
    assert main.find("{http://www.w3.org/2005/Atom}subtitle").get("{http://www.w3.org/XML/1998/namespace}lang") is None
    assert xslt(main).getroot().find(".//h1").getnext().get("lang") is None


def test_feed_css_zooms_a_feed_to_a_phone_s_width() -> None:
    """XML has no viewport meta: a phone laid a feed out 980px wide and shrank it, its text 6px high on a 360px
    screen. feed.css zooms it there to about the screen's width (980 / 2.5 = 392px); a desktop's screen is not
    matched (tests/test_publish_browser.py measures it in Chromium)."""
    css = (STATIC / "feed.css").read_text("utf-8")
    assert re.search(r"@media \(max-device-width: 480px\) \{\s*:root \{ zoom: 2\.5; \}\s*\}", css)


@pytest.mark.parametrize("sheet", ["feed.css", "feed.xsl"])
def test_no_text_of_a_feed_view_is_smaller_than_14px(sheet: str) -> None:
    """The pages' floor (tests/test_site_css_phone.py): feed.xsl's "Web feed" above the title was 12.8px."""
    sizes = re.findall(r"font-size:\s*([\d.]+)rem", (STATIC / sheet).read_text("utf-8"))
    assert sizes and min(float(size) for size in sizes) >= 0.875, sizes
