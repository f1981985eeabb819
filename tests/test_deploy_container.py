"""`feeds run` as a container's entrypoint (README, "Deployment"): PID 1 of its own PID namespace, a read-only root
file system with only the state and out volumes writable (no writable /tmp), `umask 077`, no HOME, LANG, TZ or
PATH, logging to stderr only. It ingests and publishes (its worker processes start although /tmp cannot be
written), answers the HEALTHCHECK, publishes what a web server as another user can read, writes JSON lines on
stderr and nothing on stdout, and stops at SIGTERM (`docker stop`) or SIGINT (Ctrl-C on `docker run -it`) with
exit 0 well within the grace period. Under OpenShift's arbitrary uid, which /etc/passwd does not list, what names
the daemon's user names its uid."""

from __future__ import annotations

import contextlib
import json
import os
import pty
import select
import signal
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from feeds.tempdir import fits_a_socket
from tests import hardened
from tests.hardened import ROOT, Deployment, hardened_daemon
from tests.test_daemon import DEADLINE, STARTUP, wait_for

isolated = pytest.mark.skipif(not hardened.available(), reason="needs root and util-linux's unshare")


def readme_dockerfile() -> str:
    """The Dockerfile of README's "Deployment" section."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    return readme.split("```dockerfile\n", 1)[1].split("```", 1)[0]


def healthcheck(port: str) -> list[str]:
    """The README Dockerfile's HEALTHCHECK command (exec form), for a daemon on `port` rather than 8080."""
    line = next(x for x in readme_dockerfile().splitlines() if x.startswith("HEALTHCHECK CMD "))
    command = json.loads(line.removeprefix("HEALTHCHECK CMD "))
    assert command[0] == "python"
    return [sys.executable, *(a.replace(":8080/", f":{port}/") for a in command[1:])]


@isolated
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGINT], ids=["docker-stop", "ctrl-c"])
def test_the_daemon_as_a_containers_entrypoint_works_and_stops_cleanly(tmp_path, signum) -> None:
    d = Deployment(tmp_path)
    d.lay_out()
    with hardened_daemon(d, pid1=True) as daemon:
        assert hardened.namespaced_pid(daemon.pid) == 1, "signals go to PID 1, as docker sends them"
        page = d.out / "releases" / "minister-visits-zurich" / "index.html"
        wait_for(page.exists, "the dropped release to be published", STARTUP)
        port = daemon.url.rsplit(":", 1)[1]
        check = subprocess.run(healthcheck(port), timeout=30)
        assert check.returncode == 0
        workers = daemon.descendants()
        assert workers, "the daemon reads its inputs in worker processes"
        # With no writable /tmp, temporary files go to the state folder, or to /dev/shm when the state folder is
        # too deep for the forkserver's socket (a pytest-xdist worker's tmp_path is)
        assert (d.state / "tmp").is_dir() or not fits_a_socket(d.state / "tmp")

        rc, took = hardened.stop(daemon, signum, within=DEADLINE + 10)
        assert rc == 0, daemon.log.dump()
        assert took < DEADLINE
        assert not [p for p in workers if hardened.running(p)]
        out, _ = daemon.proc.communicate(timeout=5)
    assert out == "", "nothing on stdout: the log is stderr's"
    said = [r for r in daemon.log.records if r.get("level") in ("raw", "warning", "error")]
    assert not said, "\n".join([*(json.dumps(r) for r in said), "--- the log's last lines:", daemon.log.dump()])
    assert all({"ts", "level", "msg", "worker"} <= set(r) for r in daemon.log.records)
    assert daemon.log.find(f"received {signum.name}: stopping")

    published = [p for p in d.out.rglob("*")]
    assert {str(p): oct(stat.S_IMODE(p.stat().st_mode)) for p in published if p.is_dir()} == {
        str(p): "0o755" for p in published if p.is_dir()
    }
    assert {oct(stat.S_IMODE(p.stat().st_mode)) for p in published if p.is_file()} == {"0o644"}


def test_the_readme_dockerfile_runs_the_daemon_as_the_test_does() -> None:
    """What the tests above reproduce is what the README's image does: no root, `feeds run` as the entrypoint."""
    dockerfile = readme_dockerfile()
    assert "\nUSER 10001\n" in dockerfile
    assert 'ENTRYPOINT ["feeds", "run", "--host", "0.0.0.0"]' in dockerfile
    assert "HEALTHCHECK CMD " in dockerfile and "/healthz" in dockerfile


@isolated
def test_as_pid_1_the_workers_of_a_forkserver_that_died_are_reaped(tmp_path) -> None:
    """The OOM killer ends the forkserver: its workers end with it (the kernel's parent-death signal) and, orphans,
    become PID 1's children. PID 1 stays a minimal init that reaps them; they were zombies for ever."""
    d = Deployment(tmp_path)
    d.lay_out()
    with hardened_daemon(d, pid1=True) as daemon:
        wait_for((d.out / "releases" / "minister-visits-zurich" / "index.html").exists, "the first publish", STARTUP)
        forkserver = wait_for(lambda: hardened.forkserver(daemon), "the forkserver to start")
        workers = hardened.children(forkserver)
        assert workers
        os.kill(forkserver, signal.SIGKILL)

        def reaped() -> bool:
            return not [p for p in workers if Path(f"/proc/{p}").exists()]

        wait_for(reaped, "the orphaned workers to be reaped")
        assert daemon.get("/healthz").status_code == 200
        rc, _ = hardened.stop(daemon, signal.SIGTERM, within=DEADLINE + 10)
        assert rc == 0, daemon.log.dump()


@isolated
def test_ctrl_c_on_the_containers_terminal_stops_the_daemon_once_after_its_job(tmp_path) -> None:
    """`docker run -it`: Ctrl-C on the terminal goes to its foreground process group. The daemon, PID 1's child,
    takes that group alone: a SIGINT from the terminal and the same forwarded by PID 1 were a "second Ctrl-C",
    exit 130 at once, the running job abandoned."""
    d = Deployment(tmp_path)
    d.lay_out()
    pid, terminal = pty.fork()
    if pid == 0:  # (the child: a session of its own, the pty its controlling terminal, as docker's -t makes it)
        command = ["--mount", "--pid", "--fork", "--mount-proc", "--kill-child", sys.executable, "-m", "feeds", "run"]
        os.execve(
            str(hardened.UNSHARE),
            ["unshare", *command, "--port", "0"],
            {"PYTHONPATH": str(ROOT), "FEEDS_CONFIG": str(d.config)},
        )
    shown = bytearray()

    def said(text: bytes) -> bool:
        with contextlib.suppress(OSError):
            while select.select([terminal], [], [], 0.05)[0]:
                shown.extend(os.read(terminal, 65536))
        return text in shown

    try:
        wait_for(lambda: said(b"publish: "), "the first publish", STARTUP)
        os.write(terminal, b"\x03")  # Ctrl-C
        wait_for(lambda: said(b" stopped"), "the daemon to stop")
        _, status = os.waitpid(pid, 0)
    finally:
        with contextlib.suppress(OSError):
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(terminal)
    assert os.waitstatus_to_exitcode(status) == 0, shown.decode(errors="replace")
    assert shown.count(b"received SIGINT") == 1 and b"second SIGINT" not in shown


def test_a_state_folder_too_deep_for_a_socket_sends_temporary_files_to_shared_memory(tmp_path, monkeypatch) -> None:
    """A read-only root with no writable /tmp: the forkserver's socket cannot be bound in a folder whose path is
    too long for a Unix socket's address ("AF_UNIX path too long": every ingest and watch round failed)."""
    import tempfile

    from feeds import tempdir

    def nowhere() -> str:
        raise FileNotFoundError("No usable temporary directory found")

    monkeypatch.setattr(tempfile, "tempdir", None)
    monkeypatch.setattr(tempfile, "gettempdir", nowhere)
    monkeypatch.setenv("TMPDIR", "")
    deep = tmp_path / ("d" * 60) / "state"
    deep.parent.mkdir()
    shallow = tmp_path / "s"
    assert not fits_a_socket(deep / "tmp") and fits_a_socket(Path("/s/tmp"))
    if not os.access("/dev/shm", os.W_OK):
        pytest.skip("no writable /dev/shm here")
    assert tempdir.ensure_temporary_folder(deep) == Path("/dev/shm") and not deep.exists()
    monkeypatch.setattr(tempfile, "tempdir", None)
    if fits_a_socket(shallow / "tmp"):
        assert tempdir.ensure_temporary_folder(shallow) == shallow / "tmp"
