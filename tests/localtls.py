"""An HTTPS server on 127.0.0.1 with a self-signed certificate naming one host, for tests of TLS host-name checks
on connections made to an address (the fetch client's pinned ones, outbound POSTs). Needs the `openssl` command:
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


@contextmanager
def https_server(folder: Path, name: str) -> Iterator[tuple[HTTPServer, str]]:
    """(the server, the path of its certificate) for a certificate naming only `name`, made in `folder`."""
    openssl = shutil.which("openssl")
    if openssl is None:
        pytest.skip("openssl is not installed: the TLS test is SKIPPED")
    cert, key = folder / "cert.pem", folder / "key.pem"
    subprocess.run(
        [
            *(openssl, "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1", "-nodes"),
            *("-days", "1", "-subj", f"/CN={name}", "-addext", f"subjectAltName=DNS:{name}"),
            *("-keyout", str(key), "-out", str(cert)),
        ],
        check=True,
        capture_output=True,
    )
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    server = HTTPServer(host="127.0.0.1", port=0, ssl_context=context, threaded=True)
    server.start()
    try:
        yield server, str(cert)
    finally:
        server.stop()
