"""Config: the example loads; every error names file, key path and line; paths and env overrides resolve."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from feeds.config import (
    FolderSource,
    RemoteJsonSource,
    find_line,
    load_settings,
    parse_interval,
    parse_settings,
    shown_interval,
)
from feeds.errors import ConfigError

ROOT = Path(__file__).resolve().parent.parent
MINIMAL = """
[site]
title = "Test Office"
base_url = "https://press.example.org"
"""


def write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "conf" / "feeds.toml"
    p.parent.mkdir(exist_ok=True)
    p.write_text(text, encoding="utf-8")
    return p


def test_example_config_loads_and_resolves_paths_against_its_folder():
    s = load_settings(ROOT / "config" / "feeds.toml", environ={})
    assert s.site.base_url.endswith("/")
    assert s.site.domain == "press.example.org"
    assert s.site.timezone == "Europe/London"
    assert s.paths.out == (ROOT / "out").resolve()
    assert s.database_url == f"sqlite:///{(ROOT / 'var' / 'feeds.db').resolve()}"
    inbox = s.source("inbox")
    assert isinstance(inbox, FolderSource) and inbox.move and inbox.path == (ROOT / "var" / "inbox").resolve()
    examples = s.source("examples")
    assert isinstance(examples, FolderSource) and not examples.move
    remote = s.source("govuk-fcdo")
    assert isinstance(remote, RemoteJsonSource) and not remote.enabled
    assert ("Russia" in s.topics.detect) and dict(s.topics.aliases)["North Korea"] == ("DPRK",)


def test_minimal_config_gets_defaults(tmp_path):
    s = load_settings(write(tmp_path, MINIMAL), environ={})
    assert s.site.base_url == "https://press.example.org/"
    assert s.site.author == "Test Office" and s.site.language == "en" and s.site.timezone == "UTC"
    assert s.paths.out == (tmp_path / "conf" / "out").resolve()
    assert s.database_url.endswith("/conf/var/feeds.db")
    assert s.http.connect_timeout == 10 and s.http.read_timeout == 30 and s.http.max_bytes == 10 * 1024 * 1024
    assert "https://press.example.org/" in s.http.user_agent
    assert s.web.max_body == 1024 * 1024 and s.web.max_releases == 1000


def test_retention_defaults_keep_matches_and_forget_old_records(tmp_path):
    s = load_settings(write(tmp_path, MINIMAL), environ={})
    assert s.watch.retention_days == 90 and s.watch.match_retention_days == 0, "matches are kept for ever"
    assert s.alerts.retention_days == 90 and s.daemon.ledger_retention_days == 90
    text = (
        MINIMAL
        + "[watch]\nmatch_retention_days = 730\n[alerts]\nretention_days = 0\n[daemon]\nledger_retention_days = 30\n"
    )
    s = load_settings(write(tmp_path, text), environ={})
    assert (s.watch.match_retention_days, s.alerts.retention_days, s.daemon.ledger_retention_days) == (730, 0, 30)


@pytest.mark.parametrize(
    ("written", "key", "line", "words"),
    [
        (
            "[watch]\nmatch_retention_days = 30",
            "watch.match_retention_days",
            6,
            "at least 90 days (as long as watch.retention_days",
        ),
        (
            "[watch]\nretention_days = 10\nmatch_retention_days = 10",
            "watch.match_retention_days",
            7,
            "at least 30 days (as long as watch.retro_days",
        ),
        ("[alerts]\nretention_days = 3", "alerts.retention_days", 6, "at least 8 days (alerts queue"),
        (
            "[daemon]\nledger_retention_days = -1",
            "daemon.ledger_retention_days",
            6,
            "a number of days (0: kept for ever)",
        ),
        ("[daemon]\nledger_retention_days = 0.5", "daemon.ledger_retention_days", 6, "or at least 1 day,"),
        ('[alerts]\nretention_days = "90d"', "alerts.retention_days", 6, "a plain number, without a unit"),
    ],
)
def test_retention_keys_are_checked_where_they_are_written(tmp_path, written, key, line, words):
    with pytest.raises(ConfigError) as info:
        load_settings(write(tmp_path, MINIMAL + written + "\n"), environ={})
    assert (info.value.key, info.value.line) == (key, line)
    assert words in info.value.message, info.value.message


def test_a_garbled_fetch_allow_variable_is_an_error_naming_it(tmp_path):
    with pytest.raises(ConfigError, match=re.escape("FEEDS_FETCH_ALLOW: 'http://10.0.0.1/' is not a host name")):
        load_settings(write(tmp_path, MINIMAL), environ={"FEEDS_FETCH_ALLOW": "127.0.0.1,http://10.0.0.1/"})


def test_a_short_api_token_from_the_environment_is_named_as_such(tmp_path):
    with pytest.raises(ConfigError, match=r"^environment: FEEDS_API_TOKEN: is too short"):
        load_settings(write(tmp_path, MINIMAL), environ={"FEEDS_API_TOKEN": "short"})


def test_environment_overrides(tmp_path):
    env = {"FEEDS_DATABASE_URL": "postgresql://u@db/feeds", "FEEDS_FETCH_ALLOW": "127.0.0.1, 10.0.0.0/8"}
    s = load_settings(write(tmp_path, MINIMAL + '[http]\nallow = ["::1"]\n'), environ=env)
    assert s.database_url == "postgresql://u@db/feeds"
    assert s.http.allow == ("::1", "127.0.0.1", "10.0.0.0/8")


@pytest.mark.parametrize(
    ("text", "key", "line", "fragment"),
    [
        (MINIMAL + "colour = 1\n", "site.colour", 5, "unknown key"),
        (MINIMAL + "\n[paths]\nout = 'o'\nstat = 'x'\n", "paths.stat", 8, "unknown key"),
        ('[site]\ntitle = "T"\nbase_url = "ftp://x"\n', "site.base_url", 3, "absolute http(s) URL"),
        # a host with a space, or a port out of range, gave every link of the site and feeds that address
        ('[site]\ntitle = "T"\nbase_url = "https://press office.org/"\n', "site.base_url", 3, "is malformed"),
        ('[site]\ntitle = "T"\nbase_url = "http://127.0.0.1:99999/"\n', "site.base_url", 3, "out of range"),
        (MINIMAL + '[publish]\nhub = "https://hub example.org/"\n', "publish.hub", 6, "is malformed"),
        # the feeds' author email: accepted here, it stopped every publish with a traceback
        (MINIMAL + 'email = "press office"\n', "site.email", 5, "not an email address"),
        (MINIMAL + 'email = ""\n', "site.email", 5, "not an email address"),
        # the feeds' author and texts: accepted here, they stopped every publish with a traceback
        (MINIMAL + 'author = " "\n', "site.author", 5, "must not be empty"),
        (MINIMAL + 'description = "a\\u0001b"\n', "site.description", 5, "control characters"),
        ('[site]\ntitle = "Press\\u0007Office"\nbase_url = "https://x.org/"\n', "site.title", 2, "control"),
        (
            MINIMAL + '[[publish.feeds]]\nname = "x"\ntitle = "Speeches\\u0001"\ntypes = ["speech"]\n',
            "publish.feeds[0].title",
            7,
            "control characters",
        ),
        (
            MINIMAL + '[[sources]]\ntype="remote_json"\nname="r"\nurl="https://www gov.uk/api/search.json"\n',
            "sources[0].url",
            8,
            "is malformed",
        ),
        (
            MINIMAL + '[[alerts.webhooks]]\nname="desk"\nurl="https://hooks.example.org:77777/services/SECRET"\n',
            "alerts.webhooks[0].url",
            7,
            "out of range",
        ),
        ('[site]\ntitle = 3\nbase_url = "https://x.org"\n', "site.title", 2, "must be a string"),
        ('[site]\nbase_url = "https://x.org"\n', "site.title", 1, "missing required key"),
        ("[paths]\nout = 'o'\n", "site", None, "missing required table"),
        (MINIMAL + 'timezone = "Mars/Olympus"\n', "site.timezone", 5, "unknown time zone"),
        # Time review: the machine's own zone (each daemon dated pages by its machine's, so two machines wrote
        # different pages from the same data) and the leap-second "right/" zones (right/Europe/London read as
        # summer time all year) were taken.
        (MINIMAL + 'timezone = "localtime"\n', "site.timezone", 5, "the machine's own"),
        (MINIMAL + 'timezone = "posixrules"\n', "site.timezone", 5, "the machine's own"),
        (MINIMAL + 'timezone = "Factory"\n', "site.timezone", 5, "a placeholder"),
        (MINIMAL + 'timezone = "right/Europe/London"\n', "site.timezone", 5, "leap seconds"),
        (MINIMAL + 'language = "english please"\n', "site.language", 5, "language tag"),
        (MINIMAL + "[http]\nread_timeout = -1\n", "http.read_timeout", 6, "longer than zero"),
        # a User-Agent every request would refuse to carry (or carry empty): every feed failed, or went anonymous
        (MINIMAL + '[http]\nuser_agent = "feeds/1.0\\r\\nX-Evil: 1"\n', "http.user_agent", 6, "visible ASCII"),
        (MINIMAL + '[http]\nuser_agent = "\u65e5\u672c-bot/1.0"\n', "http.user_agent", 6, "visible ASCII"),
        (MINIMAL + '[http]\nuser_agent = "  "\n', "http.user_agent", 6, "must name this software and how to reach you"),
        (MINIMAL + '[publish]\ntemplates = "no-such-folder"\n', "publish.templates", 6, "does not exist"),
        (MINIMAL + '[http]\nallow = ["127.0.0.1", "not a host!"]\n', "http.allow[1]", 6, "CIDR range"),
        ('[site]\ntitle = " "\nbase_url = "https://x.org/"\n', "site.title", 2, "must not be empty"),
        (
            MINIMAL + '[[sources]]\ntype="folder"\nname="a"\npath="x"\n[[sources]]\ntype="ftp"\nname="b"\n',
            "sources[1].type",
            10,
            "unknown source type",
        ),
        (
            MINIMAL + '[[sources]]\ntype="folder"\nname="a"\npath="x"\ninterval="often"\n',
            "sources[0].interval",
            9,
            "not a duration",
        ),
        (
            MINIMAL
            + '[[sources]]\ntype="remote_json"\nname="r"\nurl="https://x.org/s.json"\n[sources.fields]\ntitel="t"\n',
            "sources[0].fields.titel",
            10,
            "unknown release field",
        ),
        (
            MINIMAL
            + '[[sources]]\ntype="folder"\nname="a"\npath="x"\n'
            + '[[sources]]\ntype="folder"\nname="a"\npath="y"\n',
            "sources[1].name",
            11,
            "used twice",
        ),
        (MINIMAL + "[paths]\nout = 'pub'\nstate = 'pub/private'\n", "paths.state", 7, "would be served"),
        (
            MINIMAL + "[web]\nport = 8080\nmax_releases = 0\n",
            "web.max_releases",
            7,
            "a whole number from 1 to 9,007,199,254,740,992, got 0",
        ),
        (
            MINIMAL + "[web]\nmax_releases = 2.5\n",
            "web.max_releases",
            6,
            "must be a whole number from 1 to 9,007,199,254,740,992, got 2.5",
        ),
        # Rounded down, these once made a limit that refuses every push, or a rate that divides by zero.
        (
            MINIMAL + "[web]\nmax_body = 0.5\n",
            "web.max_body",
            6,
            "a whole number from 1 to 9,007,199,254,740,992, got 0.5",
        ),
        (
            MINIMAL + "[web]\nrate_limit = 0.5\n",
            "web.rate_limit",
            6,
            "a whole number from 1 to 9,007,199,254,740,992, got 0.5",
        ),
        (
            MINIMAL + "[watch]\nbatch = 0.9\n",
            "watch.batch",
            6,
            "a whole number from 1 to 9,007,199,254,740,992, got 0.9",
        ),
        (
            MINIMAL + "[web]\nmax_body = inf\n",
            "web.max_body",
            6,
            "a whole number from 1 to 9,007,199,254,740,992, got inf",
        ),
        (
            MINIMAL + "[watch]\nper_host = 0\n",
            "watch.per_host",
            6,
            "a whole number from 1 to 9,007,199,254,740,992, got 0",
        ),
        (
            MINIMAL + "[watch]\nworkers = nan\n",
            "watch.workers",
            6,
            "a whole number from 1 to 9,007,199,254,740,992, got nan",
        ),
        (MINIMAL + "[web]\nrate_limit = 1e400\n", "web.rate_limit", 6, "got inf"),
        (
            MINIMAL + "[http]\nmax_bytes = -1\n",
            "http.max_bytes",
            6,
            "a whole number from 1 to 9,007,199,254,740,992, got -1",
        ),
        (MINIMAL + '[web]\nmax_releases = "1000"\n', "web.max_releases", 6, "must be a whole number"),
        (MINIMAL + "[web]\nmax_releases = true\n", "web.max_releases", 6, "must be a whole number"),
        (
            MINIMAL + "[web]\nmax_release = 10\n",
            "web.max_release",
            6,
            "did you mean 'max_releases'? (expected one of: api_token,",
        ),
        # What `feeds watch add` refuses is refused here too, not imported and polled (credentials shown in lists).
        (
            MINIMAL + '[[watch.feeds]]\nurl = "https://news.exa mple.com/rss"\n',
            "watch.feeds[0].url",
            6,
            "'news.exa mple.com' is malformed",
        ),
        (
            MINIMAL + '[[watch.feeds]]\nurl = "https://me:secret@news.example.com/rss"\n',
            "watch.feeds[0].url",
            6,
            "with a user name or password is not watched",
        ),
    ],
)
def test_errors_name_file_key_and_line(tmp_path, text, key, line, fragment):
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as info:
        load_settings(path, environ={})
    e = info.value
    assert e.key == key
    assert e.line == line
    assert fragment in e.message
    assert str(e).startswith(str(path))


@pytest.mark.parametrize("bad", ["owner[x].title", "a..b", ".a", "a b"])
def test_a_remote_field_path_that_is_no_path_is_refused_at_its_key(tmp_path, bad):
    """A CMS developer's review: `owner[x].title` passed check-config and then read nothing."""
    remote = (
        '[[sources]]\ntype = "remote_json"\nname = "cms"\nurl = "https://cms.example.org/list.json"\n'
        f'[sources.fields]\norganisation = "{bad}"\n'
    )
    with pytest.raises(ConfigError) as info:
        load_settings(write(tmp_path, MINIMAL + remote), environ={})
    assert info.value.key == "sources[0].fields.organisation" and "is not a path" in info.value.message
    ok = remote.replace(f'"{bad}"', '""')  # "" maps the field to nothing
    assert load_settings(write(tmp_path, MINIMAL + ok), environ={}).sources[0].fields == (("organisation", ""),)


def test_toml_syntax_error_has_line(tmp_path):
    with pytest.raises(ConfigError) as info:
        load_settings(write(tmp_path, MINIMAL + "oops = \n"), environ={})
    assert info.value.line == 5 and "not valid TOML" in str(info.value)


EMAILS = '[[alerts.email]]\nname = "a"\nto = ["x@example.org", "bad"]\n\n[[alerts.email]]\nname = "b"\nto = [\n'


@pytest.mark.parametrize(
    ("text", "key", "line"),
    [
        # An array of tables: the integer right after its name picks the table, not the last one in the path.
        (MINIMAL + EMAILS + '  "y@example.org",\n  "z@example.org",\n]\n', "alerts.email[0].to[1]", 7),
        # An item of an array written over several lines: the item's own line.
        (
            MINIMAL + EMAILS.replace("bad", "w@example.org") + '  "y@example.org",\n  "z",\n]\n',
            "alerts.email[1].to[1]",
            13,
        ),
        # Dotted keys: at the top level, with no [web] table at all, and inside a table.
        ("web.port = 99999\n" + MINIMAL, "web.port", 1),
        (MINIMAL + "[watch]\nrelated.min_terms = 1\n", "watch.related.min_terms", 6),
        # Inline tables: at the top level and in a table.
        ("web = { port = 99999 }\n" + MINIMAL, "web.port", 1),
        (MINIMAL + "[watch]\nrelated = { min_terms = 1 }\n", "watch.related.min_terms", 6),
        # An unknown key in an inline table, and an array of tables written as an array of inline tables.
        (MINIMAL + "web = { prot = 1 }\n", "site.web", 5),
        (
            MINIMAL
            + '[watch]\nfeeds = [\n  { url = "https://a.example.com/rss" },\n  { url = "ftp://b.example.com/" },\n]\n',
            "watch.feeds[1].url",
            8,
        ),
    ],
)
def test_errors_in_arrays_dotted_keys_and_inline_tables_name_their_line(tmp_path, text, key, line):
    """A review found `alerts.email[0].to[1]` reported at the second [[alerts.email]] table's line (the last
    integer of the path taken as the table's index), and no line at all for `web.port = 99999` written dotted
    or `related = { min_terms = 1 }`: every config error names the line to edit."""
    with pytest.raises(ConfigError) as info:
        load_settings(write(tmp_path, text), environ={})
    assert (info.value.key, info.value.line) == (key, line), info.value.message
    assert f":{line}: {key}: " in str(info.value)


FIND = """\
# a comment with [brackets] and key = value
top = 1
web.port = 2
inline = { a = 1, b = { c = [1, 2] } }
text = \"\"\"
[not.a.table]
not_a_key = 1
\"\"\"
'quoted key' = 'x'  # [comment]
stamp = 2026-11-28 09:30:00
list = [
  1,  # one
  [2, 3],
  { d = 4 },
]

[[alerts.email]]
to = ["a", "b"]

[alerts.email.smtp]
host = "h"

[[alerts.email]]
to = [
  "c",
  "d",
]
[[alerts.email.hooks]]
url = "u0"
[[alerts.email.hooks]]
url = "u1"

[site]
title = "T"
"""


@pytest.mark.parametrize(
    ("key", "line"),
    [
        (("top",), 2),
        (("web", "port"), 3),
        (("web",), 3),
        (("inline", "b", "c", 1), 4),
        (("text",), 5),
        (("not_a_key",), None),  # (inside a string)
        (("quoted key",), 9),
        (("stamp",), 10),
        (("list", 0), 12),
        (("list", 1, 1), 13),
        (("list", 2, "d"), 14),
        (("alerts", "email", 0, "to", 1), 18),
        (("alerts", "email", 0, "smtp", "host"), 21),
        (("alerts", "email", 0, "smtp", "port"), 20),  # a missing key: its table's header
        (("alerts", "email", 1), 23),
        (("alerts", "email", 1, "to", 1), 26),
        (("alerts", "email", 1, "hooks", 1, "url"), 31),
        (("alerts", "email", 1, "hooks", 0), 28),
        (("alerts", "email", 1, "cc"), 23),
        (("site", "title"), 34),
        (("site", "email"), 33),
        (("paths", "out"), None),  # a section not written at all
    ],
)
def test_find_line_follows_the_structure_of_the_toml(key, line):
    assert find_line(FIND.splitlines(), key) == line


def test_missing_file_is_a_config_error(tmp_path):
    with pytest.raises(ConfigError, match="not found"):
        load_settings(tmp_path / "nope.toml", environ={})


@pytest.mark.parametrize("scheme", ["sqlite", "sqlite+pysqlite"])
def test_database_inside_out_is_refused(tmp_path, scheme):
    """Also when the URL names SQLite's driver, which SQLAlchemy opens as the same file (it was created in out/)."""
    text = MINIMAL + f"[paths]\nout = 'public'\n[database]\nurl = '{scheme}:///public/feeds.db'\n"
    with pytest.raises(ConfigError, match="private state would be served"):
        parse_settings(text, tmp_path / "feeds.toml", {})


def test_database_with_a_driver_named_is_found_from_the_config_folder(tmp_path):
    settings = parse_settings(
        MINIMAL + "[database]\nurl = 'sqlite+pysqlite:///var/feeds.db'\n", tmp_path / "feeds.toml", {}
    )
    assert settings.database_url == f"sqlite+pysqlite:///{tmp_path / 'var' / 'feeds.db'}"


@pytest.mark.parametrize(
    ("value", "seconds"),
    [(90, 90), (1.5, 1.5), ("45s", 45), ("30m", 1800), ("30 min", 1800), ("2h", 7200), ("1d", 86400), ("10", 10)],
)
def test_parse_interval(value, seconds):
    assert parse_interval(value) == seconds


@pytest.mark.parametrize("value", ["soon", "", "5 fortnights", True])
def test_parse_interval_rejects(value):
    with pytest.raises(ValueError):
        parse_interval(value)


@pytest.mark.parametrize(
    ("alerts", "key", "words"),
    [
        ('[[alerts.email]]\nname = "d"\nto = ["desk@@example"]\n', "alerts.email[0].to[0]", "not an email address"),
        ('[[alerts.email]]\nname = "d"\nto = ["a b@c d"]\n', "alerts.email[0].to[0]", "not an email address"),
        ('[[alerts.email]]\nname = "d"\nto = ["x@y.org\\nBcc: z@evil.example"]\n', "alerts.email[0].to[0]", "address"),
        ('[alerts.smtp]\nsender = "not an address"\n', "alerts.smtp.sender", "not an email address"),
        (
            '[[alerts.webhooks]]\nname = "w"\nurl = "https://h.example/x"\nsecret = ""\n',
            "alerts.webhooks[0].secret",
            "empty",
        ),
        (
            '[[alerts.webhooks]]\nname = "w"\nurl = "https://h.example/x"\nsecret = "whsec_not base64!"\n',
            "alerts.webhooks[0].secret",
            "whsec_ secret whose rest is not base64",
        ),
        (
            '[[alerts.webhooks]]\nname = "w"\nurl = "https://h.example/x"\nsecret = "whsec_"\n',
            "alerts.webhooks[0].secret",
            "not base64",
        ),
        # (a number among the rule names used to crash every alerts run, for every destination)
        (
            '[[alerts.webhooks]]\nname = "w"\nurl = "https://h.example/x"\nrules = ["sanctions", 3]\n',
            "alerts.webhooks[0].rules[1]",
            "not a rule name",
        ),
        ('[[alerts.email]]\nname = "d"\nto = ["a@example.org"]\nrules = [true]\n', "alerts.email[0].rules[0]", "rule"),
        # (these used to fail only at send time, as "connection refused" on another port or "No host supplied")
        ("[alerts.smtp]\nport = 70000\n", "alerts.smtp.port", "1-65535"),
        ("[alerts.smtp]\nport = 0\n", "alerts.smtp.port", "1-65535"),
        ('[alerts.smtp]\nhost = " "\n', "alerts.smtp.host", "empty"),
        ('[[alerts.webhooks]]\nname = "w"\nurl = "https:///hooks/x"\n', "alerts.webhooks[0].url", "no host"),
        # (a blank rule name matched no rule, said only as a warning at each run)
        (
            '[[alerts.email]]\nname = "d"\nto = ["a@example.org"]\nrules = ["sanctions", " "]\n',
            "alerts.email[0].rules[1]",
            "not a rule name",
        ),
        # (a password without a user name was never used: smtplib logs in only with a user name)
        (
            '[alerts.smtp]\nhost = "smtp.example.org"\nstarttls = true\npassword = "p"\n',
            "alerts.smtp.password",
            "username",
        ),
        (
            '[alerts.smtp]\nhost = "smtp.example.org"\nstarttls = true\npassword_env = "P"\n',
            "alerts.smtp.password_env",
            "username",
        ),
    ],
)
def test_alert_addresses_and_secrets_are_checked(tmp_path, alerts: str, key: str, words: str) -> None:
    with pytest.raises(ConfigError) as caught:
        load_settings(write(tmp_path, MINIMAL + "\n" + alerts), environ={})
    assert caught.value.key == key and words in caught.value.message


@pytest.mark.parametrize(
    ("url", "fragment"),
    [
        ("postgresq://feeds:Hunter2pw@db.example.org/feeds", "unsupported database 'postgresq'"),
        ("mysql://u:Hunter2pw@x/y", "unsupported database 'mysql'"),
        ("postgresql://feeds:Hunter2pw@db:notaport/feeds", "not a database URL"),
        ("sqlite:///", "in-memory"),
        ("sqlite://", "in-memory"),
        ("sqlite:///:memory:", "in-memory"),
        ("sqlite://state/feeds.db", "three slashes"),  # two slashes: "state" read as a server, refused at open
    ],
)
def test_a_database_url_we_cannot_keep_data_in_is_refused_where_it_was_set(tmp_path, url, fragment):
    """In the config file: the key and its line. From FEEDS_DATABASE_URL: the variable. Never the password."""
    path = write(tmp_path, MINIMAL + f"[database]\nurl = '{url}'\n")
    with pytest.raises(ConfigError) as info:
        load_settings(path, environ={})
    assert info.value.key == "database.url" and info.value.line == 6
    assert fragment in str(info.value) and "Hunter2pw" not in str(info.value)
    path = write(tmp_path, MINIMAL)
    with pytest.raises(ConfigError) as info:
        load_settings(path, environ={"FEEDS_DATABASE_URL": url})
    assert str(info.value).startswith("environment: FEEDS_DATABASE_URL: ")
    assert fragment in str(info.value) and "Hunter2pw" not in str(info.value)


def test_a_database_in_a_folder_that_does_not_exist_is_not_made_up(tmp_path):
    """A typo in a path must not look like an empty installation: only the last folder is created."""
    from feeds.errors import StoreError
    from feeds.store import open_store

    with pytest.raises(StoreError, match="does not exist"):
        open_store(f"sqlite:///{tmp_path}/no/such/dir/feeds.db")
    assert not (tmp_path / "no").exists()
    open_store(f"sqlite:///{tmp_path}/state/feeds.db").close()
    assert (tmp_path / "state").is_dir()


def test_passwords_in_a_database_urls_query_string_are_never_shown():
    from feeds.store import shown_database_url

    url = "postgresql://bob:TopSecret1@127.0.0.1:5999/db?password=TopSecret2&sslpassword=TopSecret3&app=x"
    shown = shown_database_url(url)
    assert "TopSecret" not in shown and shown.endswith("?password=***&sslpassword=***&app=x")


def test_an_sqlite_uri_naming_memory_is_refused(tmp_path):
    from feeds.errors import StoreError
    from feeds.store import open_store

    for url in ("sqlite:///file::memory:?uri=true", "sqlite:///file::memory:?cache=shared"):
        with pytest.raises(StoreError, match="in-memory"):
            open_store(url)


def test_a_config_path_that_is_a_pipe_or_folder_is_refused_without_blocking(tmp_path):
    import os

    os.mkfifo(tmp_path / "pipe.toml")
    for path in (tmp_path / "pipe.toml", tmp_path):
        with pytest.raises(ConfigError, match="not a regular file"):
            load_settings(path, environ={})


def test_a_whole_number_written_as_a_float_is_taken_where_a_count_is_wanted(tmp_path):
    s = load_settings(write(tmp_path, MINIMAL + "[web]\nmax_body = 2e6\nrate_limit = 30.0\n"), environ={})
    assert (s.web.max_body, s.web.rate_limit) == (2_000_000, 30)
    assert isinstance(s.web.max_body, int) and isinstance(s.web.rate_limit, int)


@pytest.mark.parametrize(
    ("seconds", "shown"),
    [(45, "45 s"), (60, "1 min"), (300, "5 min"), (5400, "90 min"), (7200, "2 h"), (86400, "1 day"),
     (30 * 86400, "30 days"), (90.5, "1.50833 min")],
)  # fmt: skip
def test_an_interval_is_shown_in_the_largest_unit_that_divides_it(seconds, shown):
    assert shown_interval(seconds) == shown


@pytest.mark.parametrize("inbox", ["public/inbox", "public"])
def test_drop_folder_inside_out_is_refused(tmp_path, inbox):
    """A drop folder inside out/ is served as it is: every dropped file (an embargoed release before its time),
    processed/ and rejected/ with their notes, whatever the publish decides."""
    text = (
        MINIMAL
        + "[paths]\nout = 'public'\nstate = 'var'\n"
        + f"[[sources]]\ntype = 'folder'\nname = 'inbox'\npath = '{inbox}'\n"
    )
    with pytest.raises(ConfigError, match="private state would be served") as info:
        parse_settings(text, tmp_path / "feeds.toml", {})
    assert info.value.key == "sources[0].path" and info.value.line is not None
    ok = text.replace(f"path = '{inbox}'", "path = 'var/inbox'")
    assert parse_settings(ok, tmp_path / "feeds.toml", {}).sources[0].path == tmp_path / "var" / "inbox"


@pytest.mark.parametrize("out", [".", ".."])
def test_an_out_folder_holding_the_config_file_is_refused(tmp_path, out):
    """A review's find: `out = "."` published the config file beside it, API token and mail password included."""
    conf = tmp_path / "site" / "conf"
    conf.mkdir(parents=True)
    text = MINIMAL + f"[paths]\nout = '{out}'\nstate = '{tmp_path / 'state'}'\n"
    with pytest.raises(ConfigError, match="private state would be served") as info:
        parse_settings(text, conf / "feeds.toml", {})
    assert info.value.key == "paths.out" and info.value.line == 6 and "feeds.toml" in str(info.value)


@pytest.mark.parametrize(
    "token", ["correct horse battery staple", "tab\tseparated-token-here", 'quote"token-0123456789']
)
def test_an_api_token_a_client_could_never_send_is_refused(tmp_path, token):
    """A token with a space passed, and then every push was '401 malformed Authorization header'."""
    with pytest.raises(ConfigError, match=r"^environment: FEEDS_API_TOKEN: must be one word"):
        load_settings(write(tmp_path, MINIMAL), environ={"FEEDS_API_TOKEN": token})
    assert load_settings(write(tmp_path, MINIMAL), environ={"FEEDS_API_TOKEN": "a-Good.token_0123~+/=="}).web.api_token


@pytest.mark.parametrize(
    "base_url",
    [
        "https://x.org/press?x=1",
        "https://x.org/press#top",
        "https://user:pw@x.org/",
        "https://user@x.org/",
        "https://x.org/#",
    ],
)
def test_a_base_url_that_would_break_or_leak_every_link_is_refused(tmp_path, base_url):
    text = MINIMAL.replace("https://press.example.org", base_url)
    with pytest.raises(ConfigError, match="must be a plain address with no query, fragment or user name") as info:
        parse_settings(text, tmp_path / "feeds.toml", {})
    assert info.value.key == "site.base_url" and info.value.line == 4


def test_own_domains_must_be_domain_names(tmp_path):
    """`[1, "https://x.org/"]` passed check-config, then `feeds watch list` crashed on the number, and the URL never
    matched a host."""
    text = MINIMAL + '[watch]\nown_domains = ["press.example.org", 1, "https://x.org/"]\n'
    with pytest.raises(ConfigError) as info:
        parse_settings(text, tmp_path / "feeds.toml", {})
    assert "watch.own_domains[1]: must be a domain name" in str(info.value) and info.value.line == 6
    with pytest.raises(ConfigError, match=r"watch.own_domains\[1\]: must be a domain name .*'https://x.org/'"):
        parse_settings(text.replace(", 1,", ","), tmp_path / "feeds.toml", {})
    ok = parse_settings(text.replace(', 1, "https://x.org/"', ', "x.org"'), tmp_path / "feeds.toml", {})
    assert ok.watch.own_domains == ("press.example.org", "x.org")


def test_a_feed_listed_twice_in_the_config_is_refused_at_the_second(tmp_path):
    """Two spellings of one feed passed, and the last title silently won."""
    text = MINIMAL + (
        '[[watch.feeds]]\nurl = "https://a.example.com/f"\ntitle = "one"\n'
        '[[watch.feeds]]\nurl = "HTTPS://A.example.com:443/f#x"\ntitle = "two"\n'
    )
    with pytest.raises(ConfigError, match=r"watch.feeds\[1\].url: the same feed as watch.feeds\[0\]") as info:
        parse_settings(text, tmp_path / "feeds.toml", {})
    assert info.value.line == 9


@pytest.mark.parametrize(
    ("smtp", "refused"),
    [
        ('host = "smtp.example.org"\nport = 587\nusername = "desk"', True),
        ('host = "smtp.example.org"\nport = 587\nusername = "desk"\nstarttls = true', False),
        ('host = "smtp.example.org"\nport = 465\nusername = "desk"', False),
        ('host = "localhost"\nport = 25\nusername = "desk"', False),
        ('host = "smtp.example.org"\nport = 25', False),
    ],
)
def test_a_mail_login_that_would_travel_in_clear_is_refused(tmp_path, smtp, refused):
    """A review's find: with a username and no TLS (starttls off, port not 465) the password went over plain TCP."""
    login = '\npassword = "s3cret-pass"' if "username" in smtp else ""  # (a password alone is an error of its own)
    text = MINIMAL + f"[alerts.smtp]\n{smtp}{login}\n"
    if refused:
        with pytest.raises(ConfigError, match=r"alerts.smtp.starttls: the login to smtp.example.org would be sent"):
            parse_settings(text, tmp_path / "feeds.toml", {})
    else:
        assert parse_settings(text, tmp_path / "feeds.toml", {}).alerts.smtp.host


@pytest.mark.parametrize(("written", "seconds"), [('"30s"', 30.0), ('"2m"', 120.0), ("45", 45.0), ("7.5", 7.5)])
def test_the_smtp_timeout_is_a_duration_as_the_readme_writes_it(tmp_path, written, seconds):
    """README gives `alerts.smtp.timeout` as `30s`, as every duration; `timeout = "30s"` was refused ("must be a
    positive number, got '30s'"), while a number of seconds was taken."""
    text = MINIMAL + f"[alerts.smtp]\ntimeout = {written}\n"
    assert parse_settings(text, tmp_path / "feeds.toml", {}).alerts.smtp.timeout == seconds


def test_an_smtp_timeout_of_zero_is_still_refused(tmp_path):
    with pytest.raises(ConfigError, match=r"alerts.smtp.timeout"):
        parse_settings(MINIMAL + '[alerts.smtp]\ntimeout = "0s"\n', tmp_path / "feeds.toml", {})


def test_a_config_saved_with_a_byte_order_mark_is_read(tmp_path):
    """Notepad saves UTF-8 with a byte order mark: the file was refused as "not valid TOML: Invalid statement (at
    line 1, column 1)", on a line that looks right."""
    p = tmp_path / "feeds.toml"
    p.write_bytes(b"\xef\xbb\xbf" + MINIMAL.encode())
    assert load_settings(p, environ={}).site.title == "Test Office"


@pytest.mark.parametrize("encoding", ["utf-16", "utf-16-be", "utf-16-le"])
def test_a_config_saved_as_utf16_says_to_save_it_as_utf8(tmp_path, encoding):
    """Notepad's "Unicode" is UTF-16: the error was Python's "'utf-8' codec can't decode byte 0xff in position 0"."""
    p = tmp_path / "feeds.toml"
    p.write_bytes(MINIMAL.encode(encoding))
    with pytest.raises(ConfigError, match=r"saved as UTF-16.*save it as UTF-8"):
        load_settings(p, environ={})


def test_a_config_in_another_encoding_names_the_line_to_fix(tmp_path):
    p = tmp_path / "feeds.toml"
    p.write_bytes((MINIMAL + 'description = "Communiqués"\n').encode("cp1252"))
    with pytest.raises(ConfigError, match=r"not UTF-8.*save it as UTF-8") as info:
        load_settings(p, environ={})
    assert info.value.line == 5


@pytest.mark.parametrize(
    ("text", "key", "line", "hint"),
    [
        (MINIMAL + 'base_ulr = "x"\n', "site.base_ulr", 5, "did you mean 'base_url'?"),
        (MINIMAL + '[watch]\nintervall = "30m"\n', "watch.intervall", 6, "did you mean 'interval'?"),
        (MINIMAL + "[sites]\n", "sites", 5, "did you mean 'site'?"),
        # Added at the end of the file, so under the last table: where it belongs, and how to put it there.
        (MINIMAL + 'interval = "30m"\n', "site.interval", 5, "belongs under [[sources]], [watch] or [[watch.feeds]]"),
        (MINIMAL + "port = 8080\n", "site.port", 5, "belongs under [web] or [alerts.smtp]"),
        ('interval = "30m"\n' + MINIMAL, "interval", 1, "belongs under [[sources]], [watch]"),
        (MINIMAL + "[watch]\nconnect_timout = 5\n", "watch.connect_timout", 6, "'connect_timeout' (under [http])"),
        (MINIMAL + '[alerts.smtp]\nuser = "desk"\n', "alerts.smtp.user", 6, "did you mean 'username'?"),
        (MINIMAL + 'LANGUAGE = "en"\n', "site.LANGUAGE", 5, "did you mean 'language'?"),
        (MINIMAL + "[web]\nRATE-LIMIT = 10\n", "web.RATE-LIMIT", 6, "did you mean 'rate_limit'?"),
    ],
)
def test_an_unknown_key_says_what_was_meant(tmp_path, text, key, line, hint):
    """A misspelt key or one under the wrong table said only "unknown key (expected one of: …)", the list of the
    table it was under: for `interval` added below [site], a list with no interval in it."""
    with pytest.raises(ConfigError) as info:
        load_settings(write(tmp_path, text), environ={})
    assert (info.value.key, info.value.line) == (key, line)
    assert hint in info.value.message and "expected one of" in info.value.message


def test_every_key_the_readers_take_is_in_the_table_of_keys(tmp_path):
    """The hints come from `KEYS`, which each reader also checks against: a key missing there is refused."""
    from feeds.config.schema import KEYS

    assert {k for keys in KEYS.values() for k in keys} >= {"interval", "base_url", "connect_timeout", "password_env"}
    load_settings(ROOT / "config" / "feeds.toml", environ={})


@pytest.mark.parametrize(
    ("written", "key", "hint"),
    [
        ('[web]\nport = "8080"', "web.port", "write the number without quotes, port = 8080"),
        ('[watch]\nworkers = "16"', "watch.workers", "write the number without quotes, workers = 16"),
        (
            '[watch]\nretro_days = "30d"',
            "watch.retro_days",
            "a plain number, without a unit or quotes, retro_days = 30",
        ),
        ("[web]\nhost = 8080", "web.host", 'a text value goes in quotes, host = "8080"'),
        ('[publish]\norganisation_feeds = "false"', "publish.organisation_feeds", "organisation_feeds = false"),
    ],
)
def test_a_value_wrong_only_by_its_quotes_says_how_to_write_it(tmp_path, written, key, hint):
    """`port = "8080"` said "must be a whole number, got str '8080'", which reads as nonsense to whoever typed 8080."""
    with pytest.raises(ConfigError) as info:
        load_settings(write(tmp_path, MINIMAL + written + "\n"), environ={})
    assert info.value.key == key and info.value.message.endswith(hint)


@pytest.mark.parametrize(
    ("text", "line", "hint"),
    [
        (MINIMAL + 'description = "Press\n', 5, "not closed"),
        (MINIMAL + "description = 'Press\nemail = 'a@b.org'\n", 5, "not closed"),
        (MINIMAL + 'description = """Press\n\n', 5, "not closed"),
        (MINIMAL + "[web]\nstatus_from = [\n  '::1',\n", 6, "not closed"),
        (MINIMAL + 'title = "Other"\n', 5, "title is given twice"),
        (MINIMAL + "[site]\n", 5, "[site] is written twice"),
        (MINIMAL + "timezone = Europe/London\n", 5, 'timezone = "Europe/London"'),
        (MINIMAL + "description = \n", 5, "no value after"),
        (MINIMAL + "[topics]\ndetect = [\n  Iran,\n]\n", 7, 'text in a list goes in double quotes too: "Iran",'),
        (MINIMAL + "[watch]\ninterval = 30 min\n", 6, '"30 min"'),
        # Pasted from a word processor or an email: curly quotes are not quotes to TOML.
        (
            MINIMAL + "description = \u201cPress releases\u201d\n",
            5,
            'curly quotes: type straight ones, description = "Press releases"',
        ),
        (MINIMAL + "email = \u2018press@example.org\u2019\n", 5, 'email = "press@example.org"'),
        (MINIMAL + 'description = "C:\\Users\\press"\n', 5, "single quotes"),
        ("site:\n  title: Test\n", 1, "looks like YAML"),
        ('{"site": {"title": "Test"}}\n', 1, "looks like JSON"),
    ],
)
def test_a_toml_mistake_names_its_line_and_the_fix(tmp_path, text, line, hint):
    """tomllib's words alone ("Cannot overwrite a value", "Invalid value", "Invalid statement") name no fix, and
    a quote or list left open was reported "at end of document", with no line at all."""
    with pytest.raises(ConfigError) as info:
        load_settings(write(tmp_path, text), environ={})
    assert info.value.line == line and "not valid TOML" in info.value.message
    assert hint in info.value.message


def test_an_empty_config_says_it_is_empty(tmp_path):
    with pytest.raises(ConfigError, match=r"is empty.*\[site\].*title.*base_url"):
        load_settings(write(tmp_path, "# nothing yet\n\n"), environ={})


@pytest.mark.parametrize("out", ["~", "~/", "/", "/home"])
def test_out_at_the_home_folder_or_the_root_is_refused(tmp_path, monkeypatch, out):
    """`out = "~"` was taken with the state elsewhere: the home folder (its .ssh, its mail) would be served."""
    home = tmp_path / "home" / "press"
    (home / ".ssh").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    text = MINIMAL + f'[paths]\nout = "{out.replace("/home", str(home.parent))}"\nstate = "{tmp_path / "var"}"\n'
    with pytest.raises(ConfigError, match=r"everything in it would be served") as info:
        parse_settings(text, tmp_path / "conf" / "feeds.toml", {})
    assert (info.value.key, info.value.line) == ("paths.out", 6)


def test_out_at_a_home_folder_with_no_dot_files_is_taken(tmp_path, monkeypatch):
    """A web server's own home (www-data's /var/www) holds no private files and may be what is served."""
    monkeypatch.setenv("HOME", str(tmp_path / "www"))
    (tmp_path / "www").mkdir()
    text = MINIMAL + f'[paths]\nout = "~"\nstate = "{tmp_path / "var"}"\n'
    assert parse_settings(text, tmp_path / "conf" / "feeds.toml", {}).paths.out == tmp_path / "www"


def test_two_sources_reading_the_same_folder_are_refused(tmp_path):
    """Both were taken: two drop folders racing for each file, each moving it to processed/ under its own name."""
    text = MINIMAL + "".join(
        f'[[sources]]\ntype = "folder"\nname = "{name}"\npath = "{path}"\n'
        for name, path in (("a", "in"), ("b", "./in/"))
    )
    with pytest.raises(ConfigError, match=r"the same folder as sources\[0\] \('a'\): one source per folder") as info:
        parse_settings(text, tmp_path / "feeds.toml", {})
    assert (info.value.key, info.value.line) == ("sources[1].path", 12)


@pytest.mark.parametrize(
    ("written", "hint"),
    [
        ('timezone = "London"', "did you mean 'Europe/London'?"),
        ('timezone = "new york"', "did you mean 'America/New_York'?"),
        ('timezone = "GMT+1"', "a fixed offset never changes for summer time"),
        ('timezone = "BST"', "an abbreviation is not a zone"),
        ('language = "English"', "a code such as 'en', 'en-GB' or 'fr'"),
    ],
)
def test_a_time_zone_or_language_written_as_people_say_it_is_answered_with_the_name_to_write(tmp_path, written, hint):
    with pytest.raises(ConfigError) as info:
        parse_settings(MINIMAL + written + "\n", tmp_path / "feeds.toml", {})
    assert info.value.line == 5 and hint in info.value.message


@pytest.mark.parametrize(
    ("value", "seconds"), [("1h30m", 5400), ("1h 30m", 5400), ("2 h 15 min", 8100), ("1d12h", 129600)]
)
def test_a_duration_in_several_units_is_taken(value, seconds):
    """`interval = "1h30m"` was refused ("not a duration"), though it is how a duration is written elsewhere."""
    assert parse_interval(value) == seconds


@pytest.mark.parametrize("value", ["1h1h", "30m1h", "h30", "1h30"])
def test_a_duration_with_units_repeated_out_of_order_or_missing_is_still_refused(value):
    with pytest.raises(ValueError):
        parse_interval(value)


def test_a_bare_number_below_the_watch_floor_says_it_is_seconds(tmp_path):
    """`interval = 30` meaning 30 minutes said only "must be at least 5 minutes"."""
    with pytest.raises(ConfigError, match=r'a number alone is seconds: 30 is 30 s; write "30m" for minutes'):
        parse_settings(MINIMAL + "[watch]\ninterval = 30\n", tmp_path / "feeds.toml", {})


@pytest.mark.parametrize(("written", "seconds"), [('"10s"', 10.0), ('"1m"', 60.0), ("7.5", 7.5)])
def test_the_http_timeouts_are_durations_as_every_other_time(tmp_path, written, seconds):
    """`connect_timeout = "10s"` was refused ("must be a positive number"), while `alerts.smtp.timeout = "10s"` and
    every interval were taken."""
    text = MINIMAL + f"[http]\nconnect_timeout = {written}\nread_timeout = {written}\n"
    http = parse_settings(text, tmp_path / "feeds.toml", {}).http
    assert (http.connect_timeout, http.read_timeout) == (seconds, seconds)


def test_a_key_of_most_tables_written_in_the_wrong_one_is_not_sent_to_another_table(tmp_path):
    """`name` under [[watch.feeds]] (meant: title) was told it "belongs under [[sources]], [[publish.feeds]], …"."""
    text = MINIMAL + '[[watch.feeds]]\nurl = "https://a.example.org/feed"\nname = "A"\n'
    with pytest.raises(ConfigError) as info:
        parse_settings(text, tmp_path / "feeds.toml", {})
    assert info.value.message == "unknown key (expected one of: interval, tags, title, url)"


def test_publish_entries_is_a_count_as_the_others_are(tmp_path):
    """`entries = 50.0` was refused ("must be a whole number, got float 50.0") where every other count takes it."""
    assert parse_settings(MINIMAL + "[publish]\nentries = 50.0\n", tmp_path / "feeds.toml", {}).publish.entries == 50
    for bad in ("0", "1001", "2.5"):
        with pytest.raises(ConfigError, match=r"publish.entries: must be"):
            parse_settings(MINIMAL + f"[publish]\nentries = {bad}\n", tmp_path / "feeds.toml", {})


@pytest.mark.parametrize("value", ['"-5m"', "-300"])
def test_a_negative_duration_says_it_must_be_longer_than_zero(tmp_path, value):
    with pytest.raises(ConfigError, match=r"watch.lease: must be longer than zero"):
        parse_settings(MINIMAL + f"[watch]\nlease = {value}\n", tmp_path / "feeds.toml", {})


def test_a_missing_config_named_by_feeds_config_says_so(tmp_path):
    """A stale FEEDS_CONFIG in the operator's shell gave "config file not found (…; pass --config PATH or set
    FEEDS_CONFIG)": set already, and not named as the reason."""
    from feeds.config import default_config_path

    missing = tmp_path / "old" / "feeds.toml"
    env = {"FEEDS_CONFIG": str(missing)}
    with pytest.raises(ConfigError, match=r"not found \(named by FEEDS_CONFIG; pass --config PATH or change it\)"):
        load_settings(default_config_path(env), environ=env)
    assert default_config_path({"FEEDS_CONFIG": "  "}) == Path("config/feeds.toml")


def test_an_error_about_a_very_long_value_stays_one_readable_line(tmp_path):
    """A 5,000-character value pasted by mistake was quoted whole in the error, a 5 KB line in the terminal and the
    log; the key, the start of the value and the end of the message are what the reader needs."""
    text = MINIMAL + f'description = "{"x" * 5000}\\u0001"\n'
    with pytest.raises(ConfigError) as info:
        parse_settings(text, tmp_path / "feeds.toml", {})
    assert info.value.key == "site.description" and len(info.value.message) < 600
    assert info.value.message.startswith("must not contain control characters, got 'xxx")
    assert "characters left out" in info.value.message


@pytest.mark.parametrize(
    ("written", "key", "hint"),
    [
        ('[http]\nallow = "10.0.0.1"', "http.allow", 'a list, even of one: allow = ["10.0.0.1"]'),
        ('[publish]\nformats = "atom"', "publish.formats", 'a list, even of one: formats = ["atom"]'),
        ('[[alerts.email]]\nname = "desk"\nto = "desk@example.org"', "alerts.email[0].to", 'to = ["desk@example.org"]'),
    ],
)
def test_one_value_where_a_list_is_wanted_says_to_bracket_it(tmp_path, written, key, hint):
    """`allow = "10.0.0.1"` said "must be a list, got str '10.0.0.1'"."""
    with pytest.raises(ConfigError) as info:
        parse_settings(MINIMAL + written + "\n", tmp_path / "feeds.toml", {})
    assert info.value.key == key and info.value.message.endswith(hint)


def test_a_source_without_a_type_says_which_types_there_are(tmp_path):
    """`[[sources]]` with a name and a path but no type said only "sources[0].type: missing required key"."""
    text = MINIMAL + '[[sources]]\nname = "inbox"\npath = "inbox"\n'
    with pytest.raises(ConfigError) as info:
        parse_settings(text, tmp_path / "feeds.toml", {})
    assert (info.value.key, info.value.line) == ("sources[0].type", 5)
    assert 'type = "folder" (files in a folder) or type = "remote_json"' in info.value.message


def test_a_list_left_open_in_a_long_config_is_found_at_once_past_lists_that_span_lines(tmp_path):
    """Found first by parsing ever shorter starts of the file: 35 s for a list left open halfway down 6,000 lines."""
    feeds = "".join(
        f'[[watch.feeds]]\nurl = "https://a{i}.example.org/f"  # [\ntags = [\n  "a",  # ]\n]\n' for i in range(1000)
    )
    text = MINIMAL + feeds + "[web]\nstatus_from = ['::1',\n" + feeds
    with pytest.raises(ConfigError, match="is not closed") as info:
        parse_settings(text, tmp_path / "feeds.toml", {})
    assert info.value.line == 5 + 5000 + 1


def test_state_inside_out_says_how_to_fix_it(tmp_path):
    """`out = "."` beside the config said "…/var is inside the published folder …: private state would be served",
    at paths.state, which was not written: nothing said what to change."""
    with pytest.raises(ConfigError) as info:
        parse_settings(MINIMAL + '[paths]\nout = "."\n', tmp_path / "feeds.toml", {})
    assert info.value.message.endswith(
        "private state would be served: give paths.out a folder of its own (e.g. 'out'), or move this out of it"
    )


@pytest.mark.parametrize(
    ("toml", "key", "message"),
    [
        # A number alone is seconds: the one meant as minutes (or hours) is refused, with what it likely meant.
        ("[daemon]\npublish_interval = 10\n", "daemon.publish_interval", 'least 1 min, got 10 s; did you mean "10m"?'),
        ("[daemon]\nhousekeeping_interval = 24\n", "daemon.housekeeping_interval", 'got 24 s; did you mean "24h"?'),
        ("[daemon]\nwatch_tick = 0.5\n", "daemon.watch_tick", "must be at least 1 s, got 0.5 s"),
        ('[daemon]\nwatch_tick = "10m"\n', "daemon.watch_tick", "must be at most 5 min, got 10 min"),
        ('[daemon]\npublish_interval = "30s"\n', "daemon.publish_interval", "at least 1 min, got 30 s"),
        ('[daemon]\npublish_interval = "2d"\n', "daemon.publish_interval", "must be at most 1 day, got 2 days"),
        ('[daemon]\npublish_debounce = "10m"\n', "daemon.publish_debounce", "must be at most 5 min"),
        ('[daemon]\nmisfire_grace = "0.5s"\n', "daemon.misfire_grace", "must be at least 1 s, got 0.5 s"),
        ('[daemon]\ngrace = "2h"\n', "daemon.grace", "must be at most 1 h, got 2 h"),
        ("[daemon]\nlock_wait = 0.1\n", "daemon.lock_wait", "must be at least 1 s, got 0.1 s"),
        (
            '[[sources]]\ntype = "remote_json"\nname = "r"\nurl = "https://www.gov.uk/api/search"\ninterval = 15\n',
            "sources[0].interval",
            'at least 1 min, got 15 s; did you mean "15m"?',
        ),
        (
            '[[sources]]\ntype = "folder"\nname = "f"\npath = "in"\ninterval = "0.2s"\n',
            "sources[0].interval",
            "must be at least 1 s, got 0.2 s",
        ),
    ],
)
def test_a_daemon_or_source_interval_outside_its_bounds_is_refused_at_its_key_and_line(tmp_path, toml, key, message):
    """Operators' review: `publish_interval = 10` meant as minutes published every 10 seconds (and every other
    interval of the daemon and the sources took any value above zero: `misfire_grace = "0.5s"` crashed the start)."""
    text = MINIMAL + toml
    with pytest.raises(ConfigError) as info:
        parse_settings(text, tmp_path / "feeds.toml", {})
    e = info.value
    assert e.key == key and message in e.message, str(e)
    assert e.line == text.splitlines().index(next(s for s in text.splitlines() if s.startswith(key.split(".")[-1]))) + 1


@pytest.mark.parametrize(
    "toml",
    [
        '[daemon]\nwatch_tick = "1s"\npublish_interval = "1m"\npublish_debounce = "0.1s"\n'
        'housekeeping_interval = "1h"\ngrace = "1s"\nmisfire_grace = "1s"\nlock_wait = "1s"\n',
        '[daemon]\nwatch_tick = "5m"\npublish_interval = "1d"\npublish_debounce = "5m"\n'
        'housekeeping_interval = "7d"\ngrace = "1h"\nmisfire_grace = "1h"\nlock_wait = "1h"\n',
    ],
)
def test_a_daemon_interval_at_its_floor_or_its_ceiling_is_taken(tmp_path, toml):
    parse_settings(MINIMAL + toml, tmp_path / "feeds.toml", {})


def test_the_lock_wait_defaults_to_five_minutes(tmp_path):
    assert parse_settings(MINIMAL, tmp_path / "feeds.toml", {}).daemon.lock_wait == 300.0


# --- bounds of the keys that still took any value (the lease, the timeouts, the sizes) ----------------------


@pytest.mark.parametrize(
    ("toml", "key", "message"),
    [
        # `lease = 5` meant as minutes was a 5 s lease: another daemon took the feeds this one was fetching.
        (
            "[watch]\nlease = 5\n",
            "watch.lease",
            "must be at least 190 s (one fetch at its deadlines: http.connect_timeout + 6 x http.read_timeout, "
            '10 s + 6 x 30 s), got 5 s; did you mean "5m"?',
        ),
        ('[watch]\nlease = "1m"\n', "watch.lease", "must be at least 190 s"),
        # The floor follows the timeouts written in the same file.
        ('[http]\nread_timeout = "1m"\n[watch]\nlease = "5m"\n', "watch.lease", "must be at least 370 s"),
        ('[http]\nconnect_timeout = 2\nread_timeout = 2\n[watch]\nlease = "10s"\n', "watch.lease", "at least 14 s"),
        ('[watch]\nlease = "2h"\n', "watch.lease", "must be at most 1 h, got 2 h"),
        ('[watch]\nlease = "0s"\n', "watch.lease", "must be longer than zero"),
        # The timeouts took 0.001, or an hour; `30000` meant as milliseconds waited 8 hours for a byte.
        ("[http]\nconnect_timeout = 0.5\n", "http.connect_timeout", "must be at least 1 s, got 0.5 s"),
        ('[http]\nconnect_timeout = "5m"\n', "http.connect_timeout", "must be at most 1 min, got 5 min"),
        (
            "[http]\nconnect_timeout = 5000\n",
            "http.connect_timeout",
            'must be at most 1 min, got 5000 s; did you mean "5s"? (a number alone is seconds, not milliseconds)',
        ),
        ("[http]\nread_timeout = 0.2\n", "http.read_timeout", "must be at least 1 s, got 0.2 s"),
        ('[http]\nread_timeout = "1h"\n', "http.read_timeout", "must be at most 5 min, got 1 h"),
        ("[http]\nread_timeout = 30000\n", "http.read_timeout", 'did you mean "30s"?'),
        ("[alerts.smtp]\ntimeout = 30000\n", "alerts.smtp.timeout", 'at most 5 min, got 500 min; did you mean "30s"?'),
        # (every duration with a ceiling: a debounce in milliseconds published 8 minutes after a change)
        (
            "[daemon]\npublish_debounce = 500\n",
            "daemon.publish_debounce",
            'at most 5 min, got 500 s; did you mean "0.5s"?',
        ),
        ("[alerts.smtp]\ntimeout = 0.1\n", "alerts.smtp.timeout", "must be at least 1 s, got 0.1 s"),
        # A size meant in MiB (or KiB) was that many bytes: every feed, or every push, refused as too large.
        (
            "[http]\nmax_bytes = 10\n",
            "http.max_bytes",
            "must be at least 64 KiB (65536), got 10 bytes; did you mean 10 MiB, max_bytes = 10485760? "
            "(a number alone is bytes)",
        ),
        ("[http]\nmax_bytes = 512\n", "http.max_bytes", "did you mean 512 KiB, max_bytes = 524288?"),
        ("[http]\nmax_bytes = 2e10\n", "http.max_bytes", "must be at most 1 GiB (1073741824), got 20000000000"),
        ("[web]\nmax_body = 1\n", "web.max_body", "did you mean 1 MiB, max_body = 1048576?"),
        ("[web]\nmax_body = 2e10\n", "web.max_body", "must be at most 1 GiB"),
        # A share written as a percentage was refused without saying so.
        (
            "[watch.related]\nmin_score = 34\n",
            "watch.related.min_score",
            "is a share of a release's term weight: between 0 and 1, got 34; did you mean 0.34 (34%)?",
        ),
        ("[watch.related]\nmin_score = 1.5\n", "watch.related.min_score", "between 0 and 1, got 1.5"),
        # TOML's nan and inf, or a number of days no date can reach back to, were taken, and crashed every watch
        # run or housekeeping (a NaN bar, an OverflowError in `now - timedelta(days=...)`).
        ("[watch.related]\nmin_score = -0.1\n", "watch.related.min_score", "between 0 and 1, got -0.1"),
        ("[watch.related]\nmin_score = -34\n", "watch.related.min_score", "between 0 and 1, got -34"),
        ("[watch.related]\nmin_score = nan\n", "watch.related.min_score", "must be a number from 0 to 1, got nan"),
        (
            '[watch.related]\nmin_score = "0.2"\n',
            "watch.related.min_score",
            "must be a number from 0 to 1, got '0.2': write the number without quotes, min_score = 0.2",
        ),
        ("[watch]\nretro_days = inf\n", "watch.retro_days", "must be a positive number, got inf"),
        ("[watch]\nretention_days = nan\n", "watch.retention_days", "must be a positive number, got nan"),
        ("[watch]\nretro_days = 1e6\n", "watch.retro_days", "must be at most 36500 days, got 1e+06"),
        ("[watch.related]\nwindow_days = 1e7\n", "watch.related.window_days", "must be at most 366 days, got 1e+07"),
        (
            "[watch]\nmatch_retention_days = 1e8\n",
            "watch.match_retention_days",
            "at most 36500 days (0: kept for ever)",
        ),
        ("[daemon]\nledger_retention_days = 1e9\n", "daemon.ledger_retention_days", "must be at most 36500 days"),
        ("[alerts]\nretention_days = 1e12\n", "alerts.retention_days", "must be at most 36500 days"),
    ],
)
def test_a_lease_timeout_or_size_outside_its_bounds_is_refused_at_its_key_and_line(tmp_path, toml, key, message):
    text = MINIMAL + toml
    with pytest.raises(ConfigError) as info:
        parse_settings(text, tmp_path / "feeds.toml", {})
    e = info.value
    assert e.key == key and message in e.message, str(e)
    name = key.split(".")[-1]
    assert e.line == next(i for i, s in enumerate(text.splitlines(), 1) if s.startswith(f"{name} ="))


@pytest.mark.parametrize(
    ("toml", "lease"),
    [
        ("", 300.0),
        ('[watch]\nlease = "190s"\n', 190.0),  # (the floor, at the default timeouts)
        ('[watch]\nlease = "1h"\n', 3600.0),
        # tests/chaos: short timeouts against a local server, and a lease that a killed daemon's feeds outlive soon
        ('[http]\nconnect_timeout = 2\nread_timeout = 2\n[watch]\nlease = "14s"\n', 14.0),
        ('[http]\nconnect_timeout = "1s"\nread_timeout = "1s"\n[watch]\nlease = "7s"\n', 7.0),
        # Left out, the lease is 5 minutes, or one fetch at its deadlines when the timeouts make that longer.
        ('[http]\nread_timeout = "1m"\n', 370.0),
        ('[http]\nconnect_timeout = "1m"\nread_timeout = "5m"\n', 1860.0),
    ],
)
def test_a_lease_within_its_bounds_is_taken_and_left_out_it_outlasts_a_fetch(tmp_path, toml, lease):
    assert parse_settings(MINIMAL + toml, tmp_path / "feeds.toml", {}).watch.lease == lease


@pytest.mark.parametrize(
    "toml",
    [
        '[http]\nconnect_timeout = "1s"\nread_timeout = "1s"\nmax_bytes = 65536\n[web]\nmax_body = 1024\n'
        '[alerts.smtp]\ntimeout = "1s"\n',
        '[http]\nconnect_timeout = "1m"\nread_timeout = "5m"\nmax_bytes = 1073741824\n[web]\nmax_body = 1073741824\n'
        '[alerts.smtp]\ntimeout = "5m"\n',
    ],
)
def test_timeouts_and_sizes_at_their_floor_or_their_ceiling_are_taken(tmp_path, toml):
    parse_settings(MINIMAL + toml, tmp_path / "feeds.toml", {})


def test_the_lease_floor_is_the_longest_one_fetch_can_take(tmp_path):
    """The lease's floor is the sum of the fetch's own deadlines: a connect (its DNS lookup included, both within
    the connect timeout), redirects followed until their deadline, the last hop's headers and its body (each
    deadline as `HttpClient` sets it)."""
    from feeds.config import HttpSettings
    from feeds.fetch import HttpClient, PinnedAdapter

    http = HttpSettings(user_agent="t", connect_timeout=3.0, read_timeout=7.0)
    with HttpClient(http) as client:
        adapter = client._session.get_adapter("https://example.org/")
        assert isinstance(adapter, PinnedAdapter)
        longest = http.connect_timeout + client.redirects_deadline + adapter.header_deadline + client.body_deadline
        assert adapter.guard.lookup_timeout == client._guard.lookup_timeout == http.connect_timeout
    assert http.longest_fetch == longest == 45.0


def test_the_lease_bounds_hold_whatever_the_timeouts_and_stay_within_the_store_horizon():
    """No pair of timeouts within their bounds leaves no lease to choose, and no lease is so long that another
    daemon's store reads it as taken by a clock stepped back (`LEASE_HORIZON`), taking it."""
    from feeds.config import HttpSettings
    from feeds.config.schema import HTTP_BOUNDS, LEASE_CEILING
    from feeds.store.tx import LEASE_HORIZON

    slowest = HttpSettings(
        user_agent="t", connect_timeout=HTTP_BOUNDS["connect_timeout"][1], read_timeout=HTTP_BOUNDS["read_timeout"][1]
    )
    assert slowest.longest_fetch <= LEASE_CEILING <= LEASE_HORIZON.total_seconds()


@pytest.mark.parametrize("bar", ["0", "0.0"])
def test_a_related_bar_of_zero_is_taken_and_reaches_the_matcher(tmp_path, now, bar):
    """`min_score = 0`: every item sharing `min_terms` of a release's names counts, whatever its share of the
    release's term weight. The matcher took 0 all along; the config refused it as not positive."""
    from feeds.watch.matching import matcher_spec

    settings = parse_settings(MINIMAL + f"[watch.related]\nmin_score = {bar}\n", tmp_path / "feeds.toml", {})
    assert settings.watch.related.min_score == 0.0
    assert matcher_spec((), (), settings, now).related.min_score == 0.0


def test_the_related_defaults_are_written_once_for_the_config_and_the_matcher(tmp_path):
    """`min_score`'s default was written in feeds.watch.related and again in the config: one could change alone."""
    from feeds.config import settings as config_settings
    from feeds.watch import related

    assert related.DEFAULT_MIN_SCORE is config_settings.DEFAULT_MIN_SCORE
    read = parse_settings(MINIMAL, tmp_path / "feeds.toml", {}).watch.related
    matcher = related.RelatedSettings()
    for name in ("min_score", "min_terms", "window_days", "pickup_tokens"):
        assert getattr(read, name) == getattr(matcher, name) == getattr(config_settings.RelatedSettings(), name), name


def test_a_whsec_secret_that_is_not_base64_names_its_file_line_and_key(tmp_path) -> None:
    text = MINIMAL + '\n[[alerts.webhooks]]\nname = "w"\nurl = "https://h.example/x"\nsecret = "whsec_abc"\n'
    path = write(tmp_path, text)
    with pytest.raises(ConfigError) as caught:
        load_settings(path, environ={})
    assert (caught.value.path, caught.value.line) == (str(path), text.splitlines().index('secret = "whsec_abc"') + 1)
    assert "whsec_abc" not in str(caught.value), "the secret is not shown"
    ok = MINIMAL + '\n[[alerts.webhooks]]\nname = "w"\nurl = "https://h.example/x"\nsecret = "whsec_YWJj"\n'
    assert load_settings(write(tmp_path, ok), environ={}).alerts.webhooks[0].secret == "whsec_YWJj"


def test_a_whsec_secret_from_the_environment_that_is_not_base64_holds_its_webhook_back(tmp_path) -> None:
    """As an unset variable does: the deliveries that need it wait, `check-config` and the daemon say why."""
    text = MINIMAL + '\n[[alerts.webhooks]]\nname = "w"\nurl = "https://h.example/x"\nsecret_env = "HOOK_KEY"\n'
    s = load_settings(write(tmp_path, text), environ={"HOOK_KEY": "whsec_abc"})
    (hook,) = s.alerts.webhooks
    assert hook.secret is None and hook.secret_missing is not None
    (problem,) = s.alerts.missing_secrets
    assert "alerts.webhooks[0].secret_env" in problem and "HOOK_KEY holds a whsec_ secret" in problem
    assert "whsec_abc" not in problem
    good = load_settings(write(tmp_path, text), environ={"HOOK_KEY": "whsec_YWJj"})
    assert good.alerts.webhooks[0].secret == "whsec_YWJj" and good.alerts.missing_secrets == ()
