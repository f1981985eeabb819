"""A publish held at a gate, for a real daemon process: a test can then signal the daemon while its publish is
surely running, however fast or loaded the machine (a big enough publish and good timing would only make it likely).

`feeds_main` is the `feeds` command (arguments from `sys.argv`) whose first file written into a release's folder
(`out/releases/…`) waits: it creates `held` in the folder `$GATE_DIR` names, then waits for `open` to appear
there (at most a minute, then goes on, so that a failing test never hangs the daemon), and writes on. Later
writes pass. Run as `python -c "from tests import gates; gates.feeds_main()" --config … run`."""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from feeds.publish import writer

HELD = "held"
OPEN = "open"
_LIMIT = 60.0
_held_once = threading.Event()
real_atomic_write = writer.atomic_write


def gated_atomic_write(target: Path, data: bytes) -> None:
    if not _held_once.is_set() and "releases" in target.parts:
        _held_once.set()
        gate = Path(os.environ["GATE_DIR"])
        (gate / HELD).touch()
        deadline = time.monotonic() + _LIMIT
        while not (gate / OPEN).exists() and time.monotonic() < deadline:
            time.sleep(0.01)  # the polling period of a test's gate, not a wait for something to happen
    real_atomic_write(target, data)


def feeds_main() -> None:
    """The `feeds` command with the gate in front of the publish's first release page."""
    from feeds.cli import main

    writer.atomic_write = gated_atomic_write  # type: ignore[assignment]
    main()
