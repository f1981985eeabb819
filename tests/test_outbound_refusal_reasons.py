"""What an endpoint that refuses a POST says about why, in the error (`feeds.outbound.post_once`), against a real
server on 127.0.0.1: Slack answers `410 channel_is_archived`, `404 no_service`, `400 invalid_payload`; a hub
`400 hub.url is not a valid URL`. The status alone ("answered 410 Gone") does not tell the operator what to fix.
Only a short plain-text or JSON answer is quoted, on one line, without the URL's secret; never an HTML page."""

from __future__ import annotations

import json

import pytest
import requests
from werkzeug import Response

from feeds.outbound import post_once


def _post(httpserver, now, response: Response, path: str = "/services/T0/B0/s3cretT0ken"):
    httpserver.expect_request(path, method="POST").respond_with_response(response)
    url = httpserver.url_for(path)
    return post_once(requests.Session(), url, data=b"{}", headers={}, timeout=(5, 5), now=now)


@pytest.mark.parametrize(
    ("response", "said"),
    [
        (Response("channel_is_archived", status=410, content_type="text/plain"), '"channel_is_archived"'),
        (Response("no_service", status=404, content_type="text/html"), '"no_service"'),  # (Slack's own type)
        (
            Response(json.dumps({"error": "invalid_payload"}), status=400, content_type="application/json"),
            '"{\\"error\\": \\"invalid_payload\\"}"',
        ),
        (Response("hub.url is not\r\na valid URL", status=400, content_type="text/plain"), "not a valid URL"),
    ],
)
def test_a_short_answer_to_a_refused_post_is_quoted_in_its_error(httpserver, now, response, said):
    result = _post(httpserver, now, response)
    assert not result.ok and said in (result.error or ""), result.error
    assert "\n" not in (result.error or "") and "\r" not in (result.error or "")


def test_an_html_error_page_or_an_empty_answer_is_not_quoted(httpserver, now):
    page = "<!DOCTYPE html><html><head><title>502 Bad Gateway</title></head><body><h1>Bad</h1></body></html>"
    result = _post(httpserver, now, Response(page, status=502, content_type="text/html"))
    assert result.error is not None and result.error.endswith("answered 502 BAD GATEWAY"), result.error
    empty = _post(httpserver, now, Response("", status=500), path="/empty")
    assert empty.error is not None and empty.error.endswith("answered 500 INTERNAL SERVER ERROR"), empty.error


def test_a_long_answer_is_cut_and_the_secret_it_echoes_is_hidden(httpserver, now):
    text = "unknown token s3cretT0ken for /services/T0/B0/s3cretT0ken; " + "x" * 5000
    result = _post(httpserver, now, Response(text, status=403, content_type="text/plain"))
    assert "s3cretT0ken" not in (result.error or "") and "unknown token" in (result.error or ""), result.error
    assert len(result.error or "") < 400


def test_a_reason_is_quoted_from_what_has_arrived_without_waiting_for_the_rest(now):
    """A receiver that sends its reason, then holds the connection open (or trickles the rest a byte at a time)
    must not hold the alerts job for a read timeout per byte: one read, what it gives."""
    import socket
    import threading
    import time

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(1)
    done = threading.Event()

    def serve() -> None:
        conn, _ = listener.accept()
        conn.recv(65536)
        conn.sendall(
            b"HTTP/1.1 410 Gone\r\nContent-Type: text/plain\r\nContent-Length: 1000\r\n\r\nchannel_is_archived"
        )
        done.wait(10)
        conn.close()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    url = f"http://127.0.0.1:{listener.getsockname()[1]}/hook"
    started = time.monotonic()
    try:
        result = post_once(requests.Session(), url, data=b"{}", headers={}, timeout=(5, 3), now=now)
    finally:
        done.set()
        listener.close()
    assert '"channel_is_archived"' in (result.error or ""), result.error
    assert time.monotonic() - started < 2, "answered without waiting for the rest of the body"
