"""Hostile input: the push API (POST /api/releases) under wrong credentials, hostile bodies and floods.

- Tokens: missing, malformed, wrong at every length and position answer 401 with one and the same body; the
  comparison runs `hmac.compare_digest` on two equal-length digests whatever was sent (timing-safe by
  construction; a stopwatch test would only be flaky).
- Bodies: over the cap by Content-Length or by chunked streaming (413, never read past cap + 1), a length that
  lies, nesting 100,000 deep, huge numbers, NaN, duplicate keys, non-UTF-8, wrong media types: 4xx, never 500,
  nothing stored; random headers and bodies (hypothesis) likewise.
- Rate limit: per client address; a client cannot reset its bucket with X-Forwarded-For; another client is not
  affected; 429 carries Retry-After.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json
import socket
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, seed, settings
from hypothesis import strategies as st

from feeds.web import auth as auth_module
from feeds.web.api import PushApi
from feeds.web.app import make_web_app
from feeds.web.auth import RateLimiter
from feeds.web.static import make_server
from tests.chaos.conftest import record

TOKEN = "chaos-token-0123456789-abcdefghijkl"
GOOD = {"title": "Quay works", "body": "Works at the quay.", "published": "2026-11-20T09:00:00Z"}


@pytest.fixture
def app(make_settings, make_app_for):
    return make_app_for(make_settings(f'\n[web]\napi_token = "{TOKEN}"\nrate_limit = 30\nmax_body = 65536\n'))


def call(api: PushApi, body: bytes, *, headers: dict[str, str] | None = None, remote: str = "127.0.0.1") -> tuple:
    environ: dict[str, Any] = {
        "PATH_INFO": "/api/releases",
        "REQUEST_METHOD": "POST",
        "REMOTE_ADDR": remote,
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(body)),
        "HTTP_AUTHORIZATION": f"Bearer {TOKEN}",
        "wsgi.input": io.BytesIO(body),
    }
    for k, v in (headers or {}).items():
        if v is None:
            environ.pop(k, None)
        else:
            environ[k] = v
    status: list[str] = []
    answer = b"".join(api(environ, lambda s, h, *a: status.append(s)))
    return int(status[0].split()[0]), answer


def test_every_wrong_token_gets_the_same_answer_through_a_constant_time_compare(app, monkeypatch) -> None:
    compared: list[tuple[int, int]] = []
    real = auth_module.hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        compared.append((len(a), len(b)))
        return real(a, b)

    monkeypatch.setattr(auth_module.hmac, "compare_digest", spy)
    api = PushApi(app, limiter=RateLimiter(10_000, app.clock))
    wrong = ["", "x", TOKEN[:-1], TOKEN + "x", TOKEN[:-1] + "Z", "Z" + TOKEN[1:], TOKEN.upper(), "é" * 40, "a" * 5000]
    answers = set()
    for token in wrong:
        code, body = call(api, json.dumps(GOOD).encode(), headers={"HTTP_AUTHORIZATION": f"Bearer {token}"})
        if token:
            assert code == 401
            answers.add(body)
        else:
            assert code == 401
    assert len(answers) == 1, "a wrong token's answer depends on the token"
    assert compared and all(a == b == hashlib.sha256().digest_size for a, b in compared)
    for header in (None, "", "Basic x", "bearer", f"Token {TOKEN}", f"Bearer {TOKEN} {TOKEN}"):
        code, _ = call(api, json.dumps(GOOD).encode(), headers={"HTTP_AUTHORIZATION": header})
        assert code == 401, header
    assert app.store.count_releases() == 0


HOSTILE_BODIES = [
    b"[" * 100_000 + b"]" * 100_000,
    b'{"title": ' * 50_000,
    b'{"title": "x", "body": "y", "title": "z"}',
    b'{"title": NaN, "body": "y"}',
    b'{"title": "x", "body": 1e999999}',
    b'{"title": "x", "body": ' + b"9" * 100_000 + b"}",
    b"\xff\xfe{\x00}\x00",
    b"\xc3\x28",
    b"",
    b"   ",
    b"null",
    b"[]",
    b"[null, 1, true]",
    b'"just a string"',
    b'{"__proto__": {"admin": true}, "title": "x", "body": "y"}',
    b'{"title": "x", "body": "y", "published": "9999-99-99"}',
    b'{"title": "x", "body": "y", "link": "javascript:alert(1)"}',
]


def test_hostile_bodies_are_refused_with_4xx_and_store_nothing(app) -> None:
    api = PushApi(app, limiter=RateLimiter(10_000, app.clock))
    for body in HOSTILE_BODIES:
        code, answer = call(api, body)
        assert 400 <= code < 500, (body[:60], code, answer[:300])
        json.loads(answer)
    for ctype in ("text/plain", "application/x-www-form-urlencoded", "application/json; charset=latin-1", ""):
        code, _ = call(api, json.dumps(GOOD).encode(), headers={"CONTENT_TYPE": ctype})
        assert code == 415, ctype
    code, _ = call(api, b"x" * 70_000)
    assert code == 413
    code, _ = call(api, json.dumps(GOOD).encode(), headers={"CONTENT_LENGTH": "12abc"})
    assert code == 400
    code, _ = call(api, json.dumps(GOOD).encode(), headers={"CONTENT_LENGTH": None})
    assert code == 411
    assert app.store.count_releases() == 0
    record("push API: hostile bodies tried", len(HOSTILE_BODIES) + 7)


def test_random_requests_never_get_a_500(app, chaos_rounds: int, chaos_seed: int) -> None:
    api = PushApi(app, limiter=RateLimiter(1_000_000, app.clock))
    examples = 40 * chaos_rounds
    header_values = st.one_of(st.none(), st.text(max_size=80), st.sampled_from([f"Bearer {TOKEN}", "Bearer", ""]))

    @seed(chaos_seed)
    @settings(max_examples=examples, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(
        body=st.one_of(
            st.binary(max_size=3000),
            st.recursive(
                st.none() | st.booleans() | st.integers() | st.text(max_size=50),
                lambda inner: (
                    st.lists(inner, max_size=5)
                    | st.dictionaries(
                        st.sampled_from(["title", "body", "body_html", "topics", "slug", "published", "link", "x"]),
                        inner,
                    )
                ),
                max_leaves=20,
            ).map(lambda v: json.dumps(v).encode()),
        ),
        auth=header_values,
        ctype=st.sampled_from(["application/json", "application/feed+json", "text/json", None]),
        key=st.one_of(st.none(), st.text(max_size=300)),
    )
    def prop(body: bytes, auth: str | None, ctype: str | None, key: str | None) -> None:
        headers = {"HTTP_AUTHORIZATION": auth, "CONTENT_TYPE": ctype, "HTTP_IDEMPOTENCY_KEY": key}
        code, answer = call(api, body, headers=headers)
        assert code in (200, 201, 400, 401, 411, 413, 415, 422), (code, answer[:300])
        json.loads(answer)

    prop()
    record("push API: random requests", examples)


def test_the_rate_limit_is_per_client_and_not_reset_by_forwarded_headers(app, clock) -> None:
    api = PushApi(app, limiter=RateLimiter(5, clock))
    codes = [call(api, b"{}", remote="10.0.0.7")[0] for _ in range(5)]
    assert all(c == 400 for c in codes)  # allowed through (an invalid body), each taking a token
    code, _ = call(api, b"{}", remote="10.0.0.7")
    assert code == 429
    code, _ = call(api, b"{}", remote="10.0.0.7", headers={"HTTP_X_FORWARDED_FOR": "1.2.3.4"})
    assert code == 429, "X-Forwarded-For must not choose the bucket"
    assert call(api, b"{}", remote="10.0.0.8")[0] == 400, "another client is not limited"


@pytest.fixture
def served(app) -> Iterator[str]:
    server = make_server(make_web_app(app), "127.0.0.1", 0, threads=4, web=app.settings.web)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.effective_port}"  # type: ignore[union-attr]
    server.close()
    server.task_dispatcher.shutdown()
    thread.join(timeout=5)


def raw_request(address: str, head: str, body_chunks: list[bytes]) -> bytes:
    host, port = address.split(":")
    with socket.create_connection((host, int(port)), timeout=10) as s:
        s.sendall(head.encode())
        for chunk in body_chunks:
            try:
                s.sendall(chunk)
            except OSError:  # the server may close as soon as it has refused the body
                break
        with contextlib.suppress(OSError):
            s.shutdown(socket.SHUT_WR)
        data = b""
        while True:
            try:
                got = s.recv(65536)
            except OSError:
                break
            if not got:
                break
            data += got
    return data


def test_oversized_and_lying_bodies_over_a_real_socket(app, served: str) -> None:
    auth = f"Authorization: Bearer {TOKEN}\r\nContent-Type: application/json\r\n"
    # Chunked, no length, endless: refused at the cap, without reading it all.
    chunks = [b"10000\r\n" + b"[" * 0x10000 + b"\r\n"] * 64
    answer = raw_request(
        served, f"POST /api/releases HTTP/1.1\r\nHost: x\r\n{auth}Transfer-Encoding: chunked\r\n\r\n", chunks
    )
    assert answer.startswith(b"HTTP/1.1 413"), answer[:200]
    # Just over the cap, with a length: the API's own JSON 413 (logged and counted), not waitress's plain text.
    over = b" " * (65536 + 100)
    head = f"POST /api/releases HTTP/1.1\r\nHost: x\r\n{auth}Content-Length: {len(over)}\r\nConnection: close\r\n\r\n"
    answer = raw_request(served, head, [over])
    assert answer.startswith(b"HTTP/1.1 413") and b"application/json" in answer, answer[:300]
    assert b"the body is larger than web.max_body (65,536 bytes)" in answer
    # A length that says less than is sent: only the declared bytes are read.
    body = json.dumps(GOOD).encode()
    head = f"POST /api/releases HTTP/1.1\r\nHost: x\r\n{auth}Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
    answer = raw_request(served, head, [body + b"GARBAGE" * 1000])
    assert answer.startswith(b"HTTP/1.1 201"), answer[:300]
    # A length that says more than is sent, then the client stops: an error, not a hang or a 500.
    head = f"POST /api/releases HTTP/1.1\r\nHost: x\r\n{auth}Content-Length: 5000\r\nConnection: close\r\n\r\n"
    answer = raw_request(served, head, [b'{"title": "x"'])
    assert not answer.startswith(b"HTTP/1.1 5"), answer[:300]
    assert app.store.count_releases() == 1
