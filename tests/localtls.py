"""An HTTPS server on 127.0.0.1 with a self-signed certificate naming one host, for tests of TLS host-name checks
on connections made to an address (the fetch client's pinned ones, outbound POSTs); the certificate and context
alone for other servers (a mail server's STARTTLS). Needs the `openssl` command:
without it the test is SKIPPED, saying so."""

from __future__ import annotations

import shutil
import ssl
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from pytest_httpserver import HTTPServer


def self_signed(folder: Path, subject_alt_name: str) -> tuple[Path, Path]:
    """(certificate, key) in PEM, made in `folder`, self-signed for `subject_alt_name` (`DNS:name`, `IP:addr`),
    valid for a day. SKIPS the test, saying so, without the `openssl` command."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed: the TLS test is SKIPPED")
    cert, key = folder / "cert.pem", folder / "key.pem"
    common_name = subject_alt_name.split(":", 1)[1]
    subprocess.run(
        [
            *(openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"),
            *("-days", "1", "-subj", f"/CN={common_name}", "-addext", f"subjectAltName={subject_alt_name}"),
            *("-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )
    return cert, key


def server_context(cert: Path, key: Path) -> ssl.SSLContext:
    """A server's TLS context presenting `cert`."""
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context


@contextmanager
def https_server(folder: Path, name: str) -> Iterator[tuple[HTTPServer, str]]:
    """(the server, the path of its certificate) for a certificate naming only `name`, made in `folder`."""
    cert, key = self_signed(folder, f"DNS:{name}")
    context = server_context(cert, key)
    server = HTTPServer(host="127.0.0.1", port=0, ssl_context=context, threaded=True)
    server.start()
    try:
        yield server, str(cert)
    finally:
        server.stop()
