"""Security review: secrets a config holds must not reach the published site, logs or error messages."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime
from pathlib import Path

import pytest
from werkzeug import Response

from feeds.config import load_settings
from feeds.errors import ConfigError
from feeds.ingest.remote_json import poll_remote
from tests.test_ingest_remote_json import remote_source_app

MINIMAL = """
[site]
title = "Test Office"
base_url = "https://press.example.org"
"""


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "feeds.toml"
    p.write_text(text, encoding="utf-8")
    return p


@pytest.mark.parametrize(
    "hub",
    [
        "https://feeds:HUBPASSWORD@hub.example.org/",  # (Superfeedr-style publish credentials)
        "https://HUBTOKEN@hub.example.org/",
    ],
)
def test_a_hub_url_with_credentials_is_refused_without_showing_them(tmp_path, hub):
    # publish.hub goes into every feed as rel="hub" (atom.xml, rss.xml, feed.json): a user name or password in it
    # was published to every reader.
    with pytest.raises(ConfigError) as e:
        load_settings(write(tmp_path, MINIMAL + f'[publish]\nhub = "{hub}"\n'), environ={})
    message = str(e.value)
    assert "feeds.toml:6: publish.hub:" in message
    assert "user name or password" in message
    assert "HUBPASSWORD" not in message and "HUBTOKEN" not in message


def test_a_plain_hub_url_is_still_accepted(tmp_path):
    s = load_settings(write(tmp_path, MINIMAL + '[publish]\nhub = "https://hub.example.org/"\n'), environ={})
    assert s.publish.hub == "https://hub.example.org/"


KEY = "k3yV4LUE0f7h3api"
RESULT = {
    "title": "Minister visits Kyiv",
    "link": "/news/minister-visits-kyiv",
    "public_timestamp": "2026-11-02T10:00Z",
}


@pytest.fixture
def keyed_source(make_settings, make_app_for, httpserver):
    """A remote JSON source whose URL carries an API key in its query, as many JSON APIs want it."""
    url = httpserver.url_for("/search.json") + f"?count=20&api_key={KEY}"
    return remote_source_app(make_settings, make_app_for, url, name="keyed", link_base="https://www.example.org")


def _said(outcomes, state, caplog) -> str:
    """Everything a poll told: its outcomes (CLI, push answers), the source's state (status, /healthz), the log."""
    parts = [f"{o.origin} {o.error} {o.warning}" for o in outcomes]
    parts += [str(state.last_error), str(state.held_told)]
    parts += [r.getMessage() + " " + str(r.__dict__) for r in caplog.records if r.name.startswith("feeds")]
    return "\n".join(parts)


@pytest.mark.parametrize(
    "answer",
    [
        pytest.param(Response("busy", status=503), id="server-error"),
        pytest.param(Response("<html>down</html>", content_type="text/html"), id="not-json"),
        pytest.param(
            Response(json.dumps({"results": [{"summary": "no title"}]}), content_type="application/json"),
            id="no-result-stored",
        ),
        pytest.param(Response(json.dumps({"results": [RESULT]}), content_type="application/json"), id="stored"),
    ],
)
def test_a_remote_source_api_key_is_not_in_its_errors_state_or_log(keyed_source, httpserver, caplog, answer):
    # The source's URL was the origin of every message: `feeds status`, /healthz (readable from every private
    # network by default), the log and each stored release's origin showed the key.
    app, src = keyed_source
    httpserver.expect_request("/search.json").respond_with_response(answer)
    with caplog.at_level(logging.DEBUG):
        outcomes = poll_remote(app, src)
    state = app.store.source_state("keyed")
    said = _said(outcomes, state, caplog)
    stored = [app.store.release(o.release_id).origin for o in outcomes if o.release_id is not None]
    said += "\n".join(str(origin) for origin in stored)
    assert KEY not in said
    assert "search.json?count=20&api_key=***" in said  # (the source is still named by its address)


def test_status_does_not_show_a_remote_source_api_key(keyed_source):
    from feeds.status import gather

    app, _ = keyed_source
    sources = gather(app).sources
    assert sources and KEY not in json.dumps(sources, default=str)


@pytest.mark.parametrize("name", ["CON", "aux", "Nul", "prn", "COM1", "lpt9", "Aux & Con"])
def test_a_slug_is_never_a_windows_device_name(name):
    # out/topics/con/ and out/releases/aux/ could not be copied to a Windows (or SMB) web server: CON, PRN, AUX,
    # NUL, COM0-9 and LPT0-9 name devices there, whatever their case or extension.
    from feeds.normalise.ids import slugify

    slug = slugify(name)
    assert slug and slug.split(".")[0] not in WINDOWS_DEVICES


def test_a_slug_that_only_begins_like_a_device_name_is_kept():
    from feeds.normalise.ids import slugify

    assert [slugify(n) for n in ("Console", "Auxiliary staff", "COM10", "con-artist")] == [
        "console",
        "auxiliary-staff",
        "com10",
        "con-artist",
    ]


WINDOWS_DEVICES = {"con", "prn", "aux", "nul"} | {f"{p}{n}" for p in ("com", "lpt") for n in range(10)}


@pytest.mark.parametrize(
    ("extra", "key"),
    [
        (
            '[alerts.smtp]\nhost = "smtp.example.org"\nsender = "a@example.org"\nusername = "u"\n'
            "password = 73106493377\n",
            "alerts.smtp.password",
        ),
        ("[web]\napi_token = 73106493377731064933\n", "web.api_token"),
        (
            '[[alerts.webhooks]]\nname = "n"\nurl = "https://h.example.org/x"\nsecret = 73106493377\n',
            "alerts.webhooks[0].secret",
        ),
        (
            '[[alerts.webhooks]]\nname = "n"\nurl = "ftp://u:73106493377@h.example.org/services/73106493377"\n',
            "alerts.webhooks[0].url",
        ),
        (
            '[[sources]]\ntype = "remote_json"\nname = "r"\nurl = "ftp://x.example.org/s?api_key=73106493377"\n',
            "sources[0].url",
        ),
    ],
)
def test_a_config_error_does_not_show_the_secret_it_is_about(tmp_path, extra, key):
    # The daemon logs config errors at start and at each reload: a password written without quotes, or a
    # webhook URL (its path is its secret) with the wrong scheme, went into the log in full.
    with pytest.raises(ConfigError) as e:
        load_settings(write(tmp_path, MINIMAL + extra), environ={})
    message = str(e.value)
    assert f" {key}: " in message
    assert "73106493377" not in message


RLO, PDF, FSI, PDI = "\u202e", "\u202c", "\u2068", "\u2069"


def test_a_bidi_override_a_watched_feed_leaves_open_does_not_reverse_our_words(make_settings, make_app_for, tmp_path):
    # A feed titled "World <RLO>Desk" (an override never closed) made browsers and readers show the rest of the
    # entry's summary, our own "Keyword match for rule…", right to left: a feed could make it read as it liked.
    from lxml import etree, html

    from feeds.ingest import ingest_paths
    from feeds.model import Match, MatchedTerm, WatchItem
    from feeds.publish import run_publish

    app = make_app_for(make_settings())
    src = tmp_path / "visit.json"
    src.write_text(json.dumps({"title": "Minister visits Kyiv", "body": "Talks.", "published": "2026-11-27T10:00Z"}))
    ingest_paths(app, [src])
    release = app.store.release("minister-visits-kyiv")
    now = app.clock()
    feed = app.store.add_feed(
        "https://news.example.com/rss", title=f"World {RLO}Desk", tags=(), interval=1800, origin="cli", now=now
    )
    app.store.add_rule("kyiv", "kyiv", origin="cli", now=now)
    watched = WatchItem(
        key="a",
        title=f"Kyiv {RLO}talks",
        link="https://news.example.com/a",
        guid="a",
        summary="Kyiv.",
        content_text="x",
        author="",
        published=datetime(2026, 11, 28, 9, 0, tzinfo=UTC),
        updated=None,
        tags=(),
        content_hash="a",
    )
    ((item_id, _, _),) = app.store.upsert_items(feed.id, [watched], now)
    term = (MatchedTerm("kyiv", "title", 0, 4),)
    app.store.add_matches(
        [
            (item_id, Match("keyword", "kyiv", "a", feed.id, term, 1.0, "matched rule 'kyiv': kyiv (title)"), None),
            (item_id, Match("related", release.id, "a", feed.id, term, 0.5, f"related: Kyiv {RLO}(title)"), 82800.0),
        ],
        now,
    )
    run_publish(app)
    out = app.settings.paths.out
    atom = etree.parse(str(out / "matches" / "atom.xml")).getroot()
    texts = [t for t in atom.itertext() if RLO in t]
    assert texts
    for text in texts:
        assert _overrides_closed(text), repr(text)
    page = html.parse(str(out / "releases" / release.slug / "index.html")).getroot()
    (line,) = page.xpath("//section[@class='coverage']//li")
    assert _overrides_closed(line.text_content()), repr(line.text_content())


def _overrides_closed(text: str) -> bool:
    """Whether every embedding or override (U+202A-U+202E) in `text` ends before the text does: closed by a PDF,
    or by the PDI of an isolate it is inside (UAX #9, X6a)."""
    open_overrides: list[int] = [0]  # per isolate level: how many overrides are open
    for c in text:
        if "\u202a" <= c <= "\u202e":
            open_overrides[-1] += 1
        elif c == PDF and open_overrides[-1]:
            open_overrides[-1] -= 1
        elif c in "\u2066\u2067" + FSI:
            open_overrides.append(0)
        elif c == PDI and len(open_overrides) > 1:
            open_overrides.pop()
    return open_overrides == [0]


def test_an_alert_email_is_not_reordered_by_a_watched_feeds_bidi_override():
    from zoneinfo import ZoneInfo

    from lxml import html

    from feeds.alerts.render import email_html
    from tests.alerts_helpers import entry, stored_match

    m = stored_match(7, title=f"Sanctions {RLO}widen", feed_title=f"World {RLO}News")
    page = html.fromstring(email_html([entry(m)], alert_name="desk", frequency="daily", tz=ZoneInfo("Europe/London")))
    (line,) = page.xpath("//li")
    assert _overrides_closed(line.text_content()), repr(line.text_content())
