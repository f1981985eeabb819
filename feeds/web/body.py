"""The push request before any release is looked at: its Content-Type and Content-Encoding, its body (read up
to a cap), the JSON in it, how many releases it lists, and its Idempotency-Key header.

Functions of the header, the bytes or the value they are given (only `read_body` reads, from the environ's
stream), each refusing with a `Reject` that carries its status code, headers and JSON error body: 400 (an empty
body, unreadable JSON, a duplicate key, a bad Idempotency-Key or Content-Length), 411 (no length), 413 (a body
over `max_body`, a list over `max_releases`), 415 (not JSON, a charset other than UTF-8, compressed). The body is
never read beyond `max_body` + 1 bytes.

What this module must not do: look inside a release (`feeds.web.validate` and the schema do), touch the store,
or log (the handler logs every refusal once).
"""

from __future__ import annotations

import json

from feeds.errors import InvalidReleaseError
from feeds.ingest.formats import DuplicateKeys
from feeds.web.replies import FieldError, Invalid, Reject
from feeds.web.static import Environ

_MAX_KEY = 255
_CHUNK = 64 * 1024


def check_content_type(header: str) -> None:
    media, _, params = header.partition(";")
    media = media.strip().lower()
    if media != "application/json" and not (media.startswith("application/") and media.endswith("+json")):
        # (what came is the mistake: `curl -d` without `-H` sends a form, application/x-www-form-urlencoded)
        sent = f"sent as {media[:80]}" if media else "sent without a Content-Type"
        raise Reject(
            415,
            f"the body was {sent}: send the release as JSON, with Content-Type: application/json",
            field="Content-Type",
        )
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip().strip('"').lower() not in ("utf-8", "utf8"):
            raise Reject(415, "JSON must be encoded as UTF-8 (RFC 8259 §8.1)", field="Content-Type")


def check_content_encoding(header: str) -> None:
    """Only an uncompressed body: one gzipped by the sender would otherwise be read as bytes that are not UTF-8.
    RFC 7694 §3: 415, with `Accept-Encoding` naming the coding that is accepted."""
    codings = [c.strip().lower() for c in header.split(",") if c.strip()]
    if any(c != "identity" for c in codings):
        raise Reject(
            415,
            f"the body is sent with Content-Encoding {header.strip()!r}: send it uncompressed",
            headers=[("Accept-Encoding", "identity")],
            field="Content-Encoding",
        )


def read_body(environ: Environ, cap: int) -> bytes:
    """At most `cap` bytes of body, refusing a larger one without reading it (nor more than `cap` + 1 bytes)."""
    declared = (environ.get("CONTENT_LENGTH") or "").strip()
    if declared:
        if not declared.isdigit():
            raise Reject(400, "Content-Length is not a number", field="Content-Length")
        length = int(declared)
        if length > cap:
            raise Reject(413, f"the body is larger than web.max_body ({cap:,} bytes)")
        want = length
    elif environ.get("wsgi.input_terminated"):
        want = cap + 1
    else:
        # Without a length and without a server that ends the stream, reading could wait for ever (PEP 3333).
        raise Reject(411, "send a Content-Length", field="Content-Length")
    stream = environ["wsgi.input"]
    chunks: list[bytes] = []
    got = 0
    while got < want:
        chunk = stream.read(min(_CHUNK, want - got))
        if not chunk:
            break
        chunks.append(chunk)
        got += len(chunk)
    if got > cap:
        raise Reject(413, f"the body is larger than web.max_body ({cap:,} bytes)")
    return b"".join(chunks)


def parse_json(data: bytes, what: str = "release") -> object:
    """The body's JSON value, or a 400 saying what is wrong with it; `what` names what the body should hold."""
    if not data.strip():
        raise Reject(400, f"the body is empty: send a {what} object or a list of them")
    duplicates = DuplicateKeys()
    try:
        text = data.decode("utf-8-sig")
        value = json.loads(text, object_pairs_hook=duplicates, parse_constant=_no_constant)
        canonical_json(value)  # a lone surrogate ("\ud800") decodes as JSON but is no Unicode text
    except UnicodeEncodeError as e:
        raise Reject(400, "the body holds a lone surrogate escape (such as \\ud800), which is not text") from e
    except UnicodeDecodeError as e:
        raise Reject(400, f"the body is not UTF-8 (byte {e.start})") from e
    except json.JSONDecodeError as e:
        raise Reject(400, f"not valid JSON: {e.msg} (line {e.lineno}, column {e.colno})") from e
    except InvalidReleaseError as e:
        raise Reject(400, e.message, field=e.field) from e
    except (ValueError, RecursionError) as e:
        raise Reject(400, "not usable JSON (a number too long or nesting too deep)") from e
    if (twice := duplicates.first(value)) is not None:
        index, key = twice
        raise Invalid([FieldError(key, "appears twice in one object", index)])
    return value


def check_count(value: object, cap: int, what: str = "releases") -> None:
    """At most `cap` releases in a pushed list, refusing more before any is looked at: each is validated,
    normalised and stored in the request's one transaction, and a publish follows, so a body within `max_body`
    (20,000 small releases fit in 728 KB) would otherwise hold the push lock and the database for half a minute.
    413, as for a body over `max_body`: the content is more than the server will process (RFC 9110 §15.5.14)."""
    if isinstance(value, list) and len(value) > cap:
        raise Reject(
            413, f"the list holds {len(value):,} {what}, more than web.max_releases ({cap:,}): send fewer at a time"
        )


def _no_constant(name: str) -> object:
    raise InvalidReleaseError(f"not valid JSON: {name} is not a JSON value (RFC 8259 §6)")


def canonical_json(value: object) -> bytes:
    """The same bytes for the same JSON value, however it was spaced or ordered: what Idempotency-Key compares."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def idempotency_key(header: str | None) -> str | None:
    """The key, bare or as a Structured Field string (`"…"`, as the IETF draft writes it); 1–255 printable ASCII."""
    if header is None:
        return None
    key = header.strip()
    if len(key) >= 2 and key[0] == key[-1] == '"':
        key = key[1:-1]
    if not 0 < len(key) <= _MAX_KEY or not all(" " <= c <= "~" for c in key):
        raise Reject(400, f"must be 1 to {_MAX_KEY} printable ASCII characters", field="Idempotency-Key")
    return key


def prefers_strict(header: str | None) -> bool:
    """Whether `Prefer` asks for `handling=strict` (RFC 7240 §4.4): refuse what would otherwise be stored with a
    warning. Preferences are comma-separated, each `name[=value]` with `;` parameters; names are case-insensitive
    and a value may be quoted (§2). An unknown preference is ignored, as §2 says."""
    for preference in (header or "").split(","):
        name, _, value = preference.split(";", 1)[0].partition("=")
        if name.strip().lower() == "handling" and value.strip().strip('"').lower() == "strict":
            return True
    return False
