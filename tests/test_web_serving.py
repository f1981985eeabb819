"""What a subscriber's browser and an operator behind a reverse proxy see from the composed server (`make_server`
with `make_web_app`, as `feeds serve` and the daemon run it) on 127.0.0.1.

CORS: the published files are readable from any origin (ETag exposed), the push API and the status endpoints are
not; OPTIONS is answered (204, `Allow`) everywhere; `[web] trusted_proxy` makes the proxy's headers give the
client's address and the URL scheme, and a wrong setting is refused naming its key and line.
"""

from __future__ import annotations

import contextlib
import http.client
import json
import socket
import threading
from collections.abc import Callable, Iterator
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import pytest
from waitress import wasyncore

from feeds.config import load_settings
from feeds.errors import ConfigError
from feeds.publish import run_publish
from feeds.web.app import make_web_app
from feeds.web.static import make_server
from tests.conftest import BASE_CONFIG
from tests.test_web_api import TOKEN

Request = Callable[..., tuple[int, dict[str, str], bytes]]


@contextlib.contextmanager
def running(wsgi: Any, web: Any) -> Iterator[Request]:
    """`wsgi` served by `make_server(…, web=web)` on a free port; `request(method, path, headers)` sends one."""
    server = make_server(wsgi, "127.0.0.1", 0, web=web, threads=2)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()

    def request(
        method: str, path: str, headers: dict[str, str] | None = None, body: bytes | None = None
    ) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", server.effective_port, timeout=10)
        try:
            conn.putrequest(method, path, skip_accept_encoding=True)
            for name, value in (headers or {}).items():
                conn.putheader(name, value)
            conn.endheaders(body)
            resp = conn.getresponse()
            return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
        finally:
            conn.close()

    request.port = server.effective_port  # type: ignore[attr-defined]
    try:
        yield request
    finally:
        server.task_dispatcher.shutdown(timeout=2)
        with contextlib.suppress(OSError):
            server.trigger.pull_trigger(lambda: wasyncore.close_all(server._map))
        thread.join(timeout=5)


@pytest.fixture
def site(make_settings, make_app_for) -> Iterator[Request]:
    """The whole server over a published (empty) site, with the push API enabled."""
    app = make_app_for(make_settings(f'\n[web]\napi_token = "{TOKEN}"\n'))
    run_publish(app)
    with running(make_web_app(app), app.settings.web) as request:
        yield request


ORIGIN = {"Origin": "https://reader.example.net"}


@pytest.mark.parametrize("path", ["/atom.xml", "/rss.xml", "/feed.json", "/feeds.opml", "/", "/nothing-here"])
def test_published_files_are_readable_from_any_origin_with_their_validators(site: Request, path: str) -> None:
    status, headers, _ = site("GET", path, ORIGIN)
    assert status in (200, 404)
    assert headers["access-control-allow-origin"] == "*"
    assert "access-control-allow-credentials" not in headers
    assert {"etag", "last-modified"} <= {h.strip().lower() for h in headers["access-control-expose-headers"].split(",")}


def test_a_304_is_readable_from_another_origin_too(site: Request) -> None:
    _, headers, _ = site("GET", "/atom.xml")
    status, again, _ = site("GET", "/atom.xml", {**ORIGIN, "If-None-Match": headers["etag"]})
    assert status == 304
    assert again["access-control-allow-origin"] == "*"


@pytest.mark.parametrize(
    ("method", "path"), [("POST", "/api/releases"), ("GET", "/api/releases"), ("GET", "/healthz"), ("GET", "/metrics")]
)
def test_the_push_api_and_status_endpoints_are_not_opened_to_other_origins(site: Request, method: str, path: str):
    _, headers, _ = site(method, path, {**ORIGIN, "Authorization": f"Bearer {TOKEN}"})
    assert not any(name.startswith("access-control-") for name in headers)


def test_options_on_a_published_file_answers_204_and_a_preflight(site: Request) -> None:
    status, headers, body = site("OPTIONS", "/feed.json")
    assert (status, body) == (204, b"")
    assert headers["allow"] == "GET, HEAD, OPTIONS"
    assert "content-length" not in headers or headers["content-length"] == "0"
    assert "access-control-allow-methods" not in headers  # not a preflight

    asked = {**ORIGIN, "Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "if-none-match"}
    status, headers, _ = site("OPTIONS", "/feed.json", asked)
    assert status == 204
    assert headers["access-control-allow-origin"] == "*"
    assert "GET" in headers["access-control-allow-methods"]
    assert "if-none-match" in headers["access-control-allow-headers"].lower()
    assert int(headers["access-control-max-age"]) > 0


@pytest.mark.parametrize(("path", "allow"), [("/api/releases", "OPTIONS, POST"), ("/healthz", "GET, HEAD, OPTIONS")])
def test_options_on_the_api_and_status_endpoints_answers_204_without_cors(site: Request, path: str, allow: str):
    preflight = {**ORIGIN, "Access-Control-Request-Method": "POST", "Access-Control-Request-Headers": "authorization"}
    for headers in ({}, preflight):
        status, answer, _ = site("OPTIONS", path, headers)
        assert status == 204
        assert answer["allow"] == allow
        assert not any(name.startswith("access-control-") for name in answer)


def test_a_write_to_a_published_file_names_options_in_allow(site: Request) -> None:
    status, headers, _ = site("PUT", "/atom.xml")
    assert status == 405
    assert headers["allow"] == "GET, HEAD, OPTIONS"


# --- behind a reverse proxy ------------------------------------------------------------------------------------


def _echo_into(seen: dict[str, str]) -> Any:
    """A WSGI app that notes the client address and scheme waitress gave it."""

    def echo(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        seen.update(addr=environ["REMOTE_ADDR"], scheme=environ["wsgi.url_scheme"])
        start_response("204 No Content", [])
        return [b""]

    return echo


def test_behind_a_trusted_proxy_the_client_address_and_scheme_are_the_real_ones(tmp_path) -> None:
    settings = _settings(tmp_path, 'trusted_proxy = "127.0.0.1"\ntrusted_proxy_count = 1\n')
    seen: dict[str, str] = {}
    echo = _echo_into(seen)

    with running(echo, settings.web) as request:
        request("GET", "/", {"X-Forwarded-For": "198.51.100.1, 203.0.113.7", "X-Forwarded-Proto": "https"})
        assert seen == {"addr": "203.0.113.7", "scheme": "https"}
    with running(echo, _settings(tmp_path, "").web) as request:  # no proxy configured: the headers are not taken
        request("GET", "/", {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"})
        assert seen == {"addr": "127.0.0.1", "scheme": "http"}


def test_forwarded_headers_from_a_peer_that_is_not_the_proxy_are_ignored_and_not_passed_on(tmp_path) -> None:
    """A client that reaches the port directly (not through the configured proxy) and sends the proxy's headers
    stays itself: its address, plain http, and the headers dropped, so no part of the app can read them."""
    settings = _settings(tmp_path, 'trusted_proxy = "10.0.0.5"\n')  # the proxy: not 127.0.0.1, where we come from
    seen: dict[str, str] = {}
    headers_seen: dict[str, str] = {}

    def echo(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        headers_seen.update({k: v for k, v in environ.items() if "FORWARDED" in k})
        return _echo_into(seen)(environ, start_response)

    forged = {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https", "Forwarded": "for=203.0.113.7"}
    with running(echo, settings.web) as request:
        assert request("GET", "/", forged)[0] == 204
    assert seen == {"addr": "127.0.0.1", "scheme": "http"}
    assert headers_seen == {}, "waitress clears the untrusted proxy headers"


def test_the_push_apis_limit_and_log_are_per_client_behind_the_proxy(make_settings, make_app_for, caplog) -> None:
    """Behind nginx every request came from 127.0.0.1: one sender over `web.rate_limit` got every other sender
    429s, and the log named the proxy. With `web.trusted_proxy`, each client has its own bucket and log line."""
    app = make_app_for(make_settings(f'\n[web]\napi_token = "{TOKEN}"\nrate_limit = 2\ntrusted_proxy = "127.0.0.1"\n'))

    def push(request: Request, client: str) -> int:
        auth = {"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/json", "Content-Length": "2"}
        status, _, _ = request("POST", "/api/releases", {**auth, "X-Forwarded-For": client}, body=b"{}")
        return status

    with caplog.at_level("INFO", logger="feeds.web"), running(make_web_app(app), app.settings.web) as request:
        assert [push(request, "198.51.100.1") for _ in range(3)] == [400, 400, 429]
        assert push(request, "203.0.113.7") == 400, "another client behind the proxy is not limited"
    assert "push API: 400 from 198.51.100.1" in caplog.text
    assert "push API: 429 from 198.51.100.1" in caplog.text
    assert "push API: 400 from 203.0.113.7" in caplog.text
    assert "from 127.0.0.1" not in caplog.text


@pytest.mark.parametrize(
    ("web", "says"),
    [
        ("", 'web.trusted_proxy is not set; if 127.0.0.1 is your reverse proxy, set web.trusted_proxy = "127.0.0.1"'),
        (
            'trusted_proxy = "10.0.0.5"\n',
            'it is not web.trusted_proxy (10.0.0.5); if it is your reverse proxy, set web.trusted_proxy = "127.0.0.1"',
        ),
    ],
)
def test_forwarded_headers_from_a_peer_not_trusted_are_said_once_in_the_log(tmp_path, caplog, web, says) -> None:
    """A proxy left unconfigured, or connecting from another address than the one configured (a container's
    bridge address, ::1), made every client the proxy without a word: the operator learnt it from a 429 storm."""
    seen: dict[str, str] = {}
    with caplog.at_level("WARNING", logger="feeds.web"), running(_echo_into(seen), _settings(tmp_path, web).web) as r:
        for _ in range(3):
            r("GET", "/", {"X-Forwarded-For": "203.0.113.7", "X-Forwarded-Proto": "https"})
        r("GET", "/")  # (no forwarded header: nothing to say)
    lines = [rec.getMessage() for rec in caplog.records if "forwarded" in rec.getMessage()]
    assert len(lines) == 1, lines
    assert "(X-Forwarded-For, X-Forwarded-Proto) from 127.0.0.1 ignored" in lines[0]
    assert says in lines[0]
    assert seen == {"addr": "127.0.0.1", "scheme": "http"}


def test_the_ignored_forwarded_headers_of_many_addresses_are_not_a_flood_in_the_log(caplog) -> None:
    from feeds.web.proxy import PEERS_NAMED, IgnoredForwarding

    def app(environ: dict[str, Any], start_response: Any) -> list[bytes]:
        return [b""]

    notice = IgnoredForwarding(app, trusted_proxy=None)
    with caplog.at_level("WARNING", logger="feeds.web"):
        for n in range(PEERS_NAMED + 40):
            notice({"REMOTE_ADDR": f"198.51.100.{n}", "HTTP_X_FORWARDED_FOR": "203.0.113.7"}, None)
    lines = [rec.getMessage() for rec in caplog.records]
    assert len(lines) == PEERS_NAMED
    assert "no more addresses are named" in lines[-1]


def test_the_status_endpoints_judge_the_client_behind_the_proxy(make_settings, make_app_for) -> None:
    app = make_app_for(make_settings('\n[web]\nstatus_from = ["203.0.113.7"]\ntrusted_proxy = "127.0.0.1"\n'))
    with running(make_web_app(app), app.settings.web) as request:
        assert request("GET", "/healthz", {"X-Forwarded-For": "203.0.113.7"})[0] in (200, 503)
        assert request("GET", "/healthz", {"X-Forwarded-For": "198.51.100.1"})[0] == 403


@pytest.mark.parametrize(
    ("extra", "key", "says"),
    [
        ('trusted_proxy = "10.0.0.0/8"', "web.trusted_proxy", "IP address"),
        ('trusted_proxy = "proxy.local"', "web.trusted_proxy", "IP address"),
        ("trusted_proxy_count = 2", "web.trusted_proxy_count", "without web.trusted_proxy"),
        ('trusted_proxy_headers = ["x-forwarded-for"]', "web.trusted_proxy_headers", "without web.trusted_proxy"),
        ('trusted_proxy = "::1"\ntrusted_proxy_count = 0', "web.trusted_proxy_count", ""),
        (
            'trusted_proxy = "::1"\ntrusted_proxy_headers = ["x-real-ip"]',
            "web.trusted_proxy_headers[0]",
            "x-forwarded-for",
        ),
        (
            'trusted_proxy = "::1"\ntrusted_proxy_headers = ["forwarded", "x-forwarded-for"]',
            "web.trusted_proxy_headers",
            "cannot both",
        ),
        ('trusted_proxy = "::1"\ntrusted_proxy_headers = []', "web.trusted_proxy_headers", "at least one"),
    ],
)
def test_a_wrong_proxy_setting_is_refused_naming_its_key_and_line(tmp_path, extra: str, key: str, says: str) -> None:
    with pytest.raises(ConfigError) as caught:
        _settings(tmp_path, extra + "\n")
    message = str(caught.value)
    assert key in message and says in message
    line = (BASE_CONFIG + "\n[web]\n" + extra).splitlines().index(extra.splitlines()[-1]) + 1
    assert f":{line}" in message or f"line {line}" in message


def test_a_proxy_address_is_kept_as_waitress_compares_it(tmp_path) -> None:
    web = _settings(tmp_path, 'trusted_proxy = "0:0:0:0:0:0:0:1"\ntrusted_proxy_headers = ["Forwarded"]\n').web
    assert (web.trusted_proxy, web.trusted_proxy_headers) == ("::1", ("forwarded",))


def _settings(tmp_path, web: str) -> Any:
    (tmp_path / "inbox").mkdir(exist_ok=True)
    (tmp_path / "feeds.toml").write_text(BASE_CONFIG + "\n[web]\n" + web, encoding="utf-8")
    return load_settings(tmp_path / "feeds.toml", environ={})


def test_a_reload_keeps_the_running_proxy_and_says_a_restart_is_needed(tmp_path, caplog) -> None:
    from feeds.daemon.reload import keep_what_needs_a_restart

    running = _settings(tmp_path, 'trusted_proxy = "127.0.0.1"\n')
    new = _settings(tmp_path, 'trusted_proxy = "10.0.0.5"\n')
    with caplog.at_level("WARNING", logger="feeds.daemon"):
        kept, waiting = keep_what_needs_a_restart(new, running, serving=True)
    assert kept.web.trusted_proxy == "127.0.0.1"
    assert waiting == ["web.trusted_proxy"], "and `feeds status` says a restart is needed for it"
    assert "web.trusted_proxy changed from 127.0.0.1 to 10.0.0.5: restart the daemon" in caplog.text


def test_if_modified_since_in_the_future_is_ignored(site: Request) -> None:
    """A client whose clock runs ahead (or a date typed by hand) sends a date after anything we could have
    written: taken, it answered 304 for every change made until that date (RFC 7232 §3.3 calls it invalid)."""
    ahead = format_datetime(datetime.now(UTC) + timedelta(days=1), usegmt=True)
    status, _, body = site("GET", "/atom.xml", {"If-Modified-Since": ahead})
    assert status == 200 and body.startswith(b"<?xml")


# --- ranges ----------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("asked", "first", "last"), [("bytes=0-9", 0, 9), ("bytes=10-", 10, None), ("bytes=-5", -5, None)]
)
def test_a_byte_range_is_answered_206_with_that_slice(site: Request, asked: str, first: int, last: int | None):
    _, headers, whole = site("GET", "/atom.xml")
    assert headers["accept-ranges"] == "bytes"
    status, part_headers, part = site("GET", "/atom.xml", {"Range": asked})
    expected = whole[first : None if last is None else last + 1]
    assert (status, part) == (206, expected)
    start = first % len(whole)
    assert part_headers["content-range"] == f"bytes {start}-{start + len(part) - 1}/{len(whole)}"
    assert int(part_headers["content-length"]) == len(part)
    assert part_headers["etag"] == headers["etag"]


def test_a_range_of_the_gzipped_answer_is_a_slice_of_the_gzipped_bytes(site: Request) -> None:
    gz = {"Accept-Encoding": "gzip"}
    _, headers, whole = site("GET", "/atom.xml", gz)
    assert headers["content-encoding"] == "gzip"
    status, part_headers, part = site("GET", "/atom.xml", {**gz, "Range": "bytes=0-99"})
    assert (status, part) == (206, whole[:100])
    assert part_headers["content-encoding"] == "gzip" and part_headers["content-range"].endswith(f"/{len(whole)}")


def test_a_range_past_the_end_is_416_and_odd_ranges_get_the_whole_file(site: Request) -> None:
    _, _, whole = site("GET", "/atom.xml")
    status, headers, _ = site("GET", "/atom.xml", {"Range": f"bytes={len(whole)}-"})
    assert status == 416 and headers["content-range"] == f"bytes */{len(whole)}"
    odd_ones = (
        "bytes=0-1,5-6",
        "bytes=9-2",
        "lines=1-2",
        "bytes=x-",
        "bytes=\u00b2-",
        "bytes=-",
        "bytes=" + "9" * 5000,
    )
    for odd in odd_ones:  # several, reversed, other units, unreadable
        status, _, body = site("GET", "/atom.xml", {"Range": odd})
        assert (status, body) == (200, whole), odd


def test_if_range_with_another_etag_gets_the_whole_new_file(site: Request) -> None:
    _, headers, whole = site("GET", "/atom.xml")
    assert site("GET", "/atom.xml", {"Range": "bytes=0-9", "If-Range": '"old"'})[0] == 200
    assert site("GET", "/atom.xml", {"Range": "bytes=0-9", "If-Range": headers["etag"]})[0] == 206
    weak = "W/" + headers["etag"]  # a weak tag never matches for a range (RFC 9110 §13.1.5)
    assert site("GET", "/atom.xml", {"Range": "bytes=0-9", "If-Range": weak})[2] == whole
    # A range is no reason to skip a 304 (§13.2.2: the conditions come first).
    assert site("GET", "/atom.xml", {"Range": "bytes=0-9", "If-None-Match": headers["etag"]})[0] == 304


def test_check_config_says_which_proxy_is_trusted(tmp_path) -> None:
    from click.testing import CliRunner

    from feeds.cli import cli

    _settings(tmp_path, 'trusted_proxy = "10.0.0.5"\ntrusted_proxy_count = 2\n')
    result = CliRunner().invoke(cli, ["--config", str(tmp_path / "feeds.toml"), "check-config"])
    assert result.exit_code == 0, result.output
    assert "behind the proxy 10.0.0.5 (2 hops; x-forwarded-for, x-forwarded-proto)" in result.output
    shown = CliRunner().invoke(cli, ["--config", str(tmp_path / "feeds.toml"), "check-config", "--json"]).output
    assert json.loads(shown)["web"]["trusted_proxy"] == "10.0.0.5"


def test_a_refused_head_of_a_status_endpoint_sends_no_body(make_settings, make_app_for) -> None:
    """A body after a HEAD's headers is read by a kept-alive client as the start of its next answer."""
    app = make_app_for(make_settings('\n[web]\nstatus_from = ["203.0.113.7"]\n'))
    pipelined = (
        b"HEAD /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
    )
    with running(make_web_app(app), app.settings.web) as request:
        sock = socket.create_connection(("127.0.0.1", request.port), timeout=10)  # type: ignore[attr-defined]
        with sock:
            sock.sendall(pipelined)
            received = b"".join(iter(lambda: sock.recv(65536), b""))  # until the server closes
    head, _, rest = received.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 403") and rest.startswith(b"HTTP/1.1 403"), received


def test_if_match_and_if_unmodified_since_are_preconditions(site: Request) -> None:
    """RFC 9110 §13.2.2: checked first, and a failed one is 412 (a download resumed with `If-Match` or
    `If-Unmodified-Since` and a `Range` must not be handed a slice of a file that has changed meanwhile)."""
    _, headers, whole = site("GET", "/atom.xml")
    etag = headers["etag"]
    assert site("GET", "/atom.xml", {"If-Match": f'"old", {etag}'})[0] == 200
    assert site("GET", "/atom.xml", {"If-Match": "*"})[0] == 200
    assert site("GET", "/atom.xml", {"If-Match": '"old"', "Range": "bytes=0-9"})[0] == 412
    assert site("GET", "/atom.xml", {"If-Match": "W/" + etag})[0] == 412  # strong comparison
    long_ago = "Mon, 01 Jan 2001 00:00:00 GMT"
    assert site("GET", "/atom.xml", {"If-Unmodified-Since": long_ago})[0] == 412
    later = format_datetime(datetime.now(UTC) + timedelta(hours=1), usegmt=True)
    assert site("GET", "/atom.xml", {"If-Unmodified-Since": later, "Range": "bytes=0-9"})[0] == 206
    assert site("GET", "/atom.xml", {"If-Unmodified-Since": "not a date"})[2] == whole  # ignored


@pytest.mark.parametrize(
    ("host", "warned"), [("0.0.0.0", True), ("::", True), ("127.0.0.1", False), ("localhost", False)]
)
def test_check_config_warns_when_any_peer_is_trusted_on_a_reachable_address(tmp_path, host: str, warned: bool):
    """`trusted_proxy = "*"` on an address others reach lets anyone set X-Forwarded-For: past `status_from`
    and the push API's per-client limit."""
    from click.testing import CliRunner

    from feeds.cli import cli

    _settings(tmp_path, f'host = "{host}"\ntrusted_proxy = "*"\n')
    result = CliRunner().invoke(cli, ["--config", str(tmp_path / "feeds.toml"), "check-config"])
    assert result.exit_code == 0, result.output
    assert ('warning: web.trusted_proxy = "*"' in result.output) == warned, result.output


def test_a_proxy_sending_forwarded_is_understood_when_that_header_is_trusted(tmp_path) -> None:
    settings = _settings(tmp_path, 'trusted_proxy = "127.0.0.1"\ntrusted_proxy_headers = ["forwarded"]\n')
    seen: dict[str, str] = {}
    echo = _echo_into(seen)

    with running(echo, settings.web) as request:
        request("GET", "/", {"Forwarded": 'for="[2001:db8::7]";proto=https', "X-Forwarded-For": "198.51.100.1"})
    assert seen == {"addr": "2001:db8::7", "scheme": "https"}
