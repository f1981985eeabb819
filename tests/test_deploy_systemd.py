"""`feeds run` under the README's systemd unit (config/feeds.service): `ProtectSystem=strict` with `ReadWritePaths=`
the state and out folders (the root file system read-only in the daemon's mount namespace, /tmp too: stricter
than `PrivateTmp=`), `UMask=0077`, an environment of nothing but `FEEDS_CONFIG`, the daemon not PID 1. It
publishes what the web server, another user, can read; `systemctl stop` (SIGTERM) ends it with exit 0 within
`TimeoutStopSec=`, and no process it started (its forkserver, its workers, the resource tracker) goes on running
after it, for `KillMode=mixed` to find."""

from __future__ import annotations

import json
import os
import signal
import socket
import stat

import pytest

from tests import hardened
from tests.hardened import ROOT, Deployment, hardened_daemon
from tests.test_daemon import DEADLINE, STARTUP, wait_for

isolated = pytest.mark.skipif(not hardened.available(), reason="needs root and util-linux's unshare")


@isolated
def test_the_daemon_under_the_hardened_unit_publishes_readable_files_and_leaves_no_process_at_stop(tmp_path) -> None:
    d = Deployment(tmp_path)
    d.lay_out()
    with hardened_daemon(d, pid1=False) as daemon:
        assert hardened.namespaced_pid(daemon.pid) == daemon.pid, "not in a PID namespace of its own"
        page = d.out / "releases" / "minister-visits-zurich" / "index.html"
        wait_for(page.exists, "the dropped release to be published", STARTUP)
        assert daemon.get("/releases/minister-visits-zurich/").status_code == 200
        workers = daemon.descendants()
        assert workers

        rc, took = hardened.stop(daemon, signal.SIGTERM, within=DEADLINE + 10)
        assert rc == 0, daemon.log.dump()
        assert took < DEADLINE
        wait_for(lambda: not [p for p in workers if hardened.running(p)], "the daemon's processes to end", 5)
    said = [r for r in daemon.log.records if r.get("level") in ("raw", "warning", "error")]
    assert not said, "\n".join([*(json.dumps(r) for r in said), "--- the log's last lines:", daemon.log.dump()])

    for path in [d.out, *d.out.rglob("*")]:
        assert stat.S_IMODE(path.stat().st_mode) == (0o755 if path.is_dir() else 0o644), path


def test_the_example_unit_is_hardened_as_the_test_above_runs_it() -> None:
    unit = (ROOT / "config" / "feeds.service").read_text(encoding="utf-8").splitlines()
    for line in (
        "ProtectSystem=strict",
        "ReadWritePaths=/srv/feeds/var /srv/feeds/out",
        "UMask=0077",
        "KillMode=mixed",
    ):
        assert line in unit
    stop = next(int(x.split("=")[1]) for x in unit if x.startswith("TimeoutStopSec="))
    assert stop > 30, "longer than daemon.grace lets a running job take"


@isolated
def test_type_notify_hears_ready_once_serving_reloading_then_ready_at_sighup_and_stopping(tmp_path) -> None:
    """`Type=notify`: `systemctl start` returns at READY=1 (the daemon serving), `systemctl reload` at the READY=1
    after RELOADING=1, and STOPPING=1 says a stop has begun."""
    d = Deployment(tmp_path)
    d.lay_out()
    address = str(tmp_path / "notify.sock")
    with socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM) as systemd:
        systemd.bind(address)
        systemd.settimeout(DEADLINE)

        def heard() -> list[str]:
            return systemd.recv(4096).decode().split("\n")

        with hardened_daemon(d, pid1=False, env={"NOTIFY_SOCKET": address}) as daemon:
            ready = heard()
            assert ready[0] == "READY=1" and f"MAINPID={daemon.pid}" in ready
            assert daemon.get("/healthz").status_code == 200
            os.kill(daemon.pid, signal.SIGHUP)
            reloading = heard()
            assert reloading[0] == "RELOADING=1" and reloading[1].startswith("MONOTONIC_USEC=")
            assert heard() == ["READY=1"]
            assert daemon.log.find("config reloaded from")
            rc, _ = hardened.stop(daemon, signal.SIGTERM, within=DEADLINE + 10)
            assert rc == 0
            assert heard() == ["STOPPING=1"]
