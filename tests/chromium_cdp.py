"""Headless Chromium driven through its DevTools protocol over a pipe (`--remote-debugging-pipe`), for tests
that must measure a page as a phone lays it out: its width, the size of its links, its text enlarged.

No WebSocket client or Selenium is needed: Chromium reads commands from file descriptor 3 and writes answers to
file descriptor 4, each one JSON message ended by a NUL byte (the protocol's pipe transport).

    with Chromium(binary, profile) as browser:
        tab = browser.tab()
        tab.emulate_phone(360, 800)
        tab.open(url)
        tab.evaluate("document.documentElement.scrollWidth")
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

_TIMEOUT = 60.0

HEADLESS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--hide-scrollbars",
    "--no-first-run",
    "--disable-background-networking",
)
"""How every test starts Chromium: headless, as root in a container, no first-run or background traffic."""


class Chromium:
    """A headless Chromium process and the pipe to it; `close()` (or leaving a `with`) ends it."""

    def __init__(self, binary: str, profile: Path, flags: Sequence[str] = ()) -> None:
        """`flags`: more command-line switches (`--disable-features=XSLT`)."""
        commands_read, self._commands = os.pipe()
        self._answers, answers_write = os.pipe()

        def as_fds_3_and_4() -> None:  # (in the child, before exec: dup() first, as either may already be 3 or 4)
            reading, writing = os.dup(commands_read), os.dup(answers_write)
            os.dup2(reading, 3)
            os.dup2(writing, 4)

        self.process = subprocess.Popen(
            [
                binary,
                *HEADLESS,
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
                "--remote-debugging-pipe",
                f"--user-data-dir={profile}",
                *flags,
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            close_fds=False,  # (fds 3 and 4 must reach Chromium; the pipes' own ends are not inheritable)
            preexec_fn=as_fds_3_and_4,  # (only dup2 calls, safe in a child forked from threads)
        )
        os.close(commands_read)
        os.close(answers_write)
        self._buffer = b""
        self._next_id = 0
        self._events: list[dict[str, Any]] = []

    def __enter__(self) -> Chromium:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.close()

    def _read(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buffer:
            if time.monotonic() > deadline:
                raise TimeoutError("Chromium did not answer in time")
            chunk = os.read(self._answers, 1 << 16)
            if not chunk:
                raise EOFError("Chromium closed its DevTools pipe")
            self._buffer += chunk
        message, self._buffer = self._buffer.split(b"\0", 1)
        found: dict[str, Any] = json.loads(message)
        return found

    def send(self, method: str, params: dict[str, Any] | None = None, session: str | None = None) -> dict[str, Any]:
        """Send one command and return its result (events arriving meanwhile are kept for `wait_for`)."""
        self._next_id += 1
        message: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._commands, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + _TIMEOUT
        while True:
            answer = self._read(deadline)
            if answer.get("id") == self._next_id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                result: dict[str, Any] = answer.get("result", {})
                return result
            self._events.append(answer)

    def wait_for(self, event: str, session: str) -> dict[str, Any]:
        deadline = time.monotonic() + _TIMEOUT
        while True:
            for i, seen in enumerate(self._events):
                if seen.get("method") == event and seen.get("sessionId") == session:
                    return self._events.pop(i)
            self._events.append(self._read(deadline))

    def discard(self, event: str, session: str) -> None:
        """Forget the `event`s received so far (a page's earlier load, before the next)."""
        self._events = [e for e in self._events if (e.get("method"), e.get("sessionId")) != (event, session)]

    def tab(self) -> Tab:
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        tab = Tab(self, session)
        tab.send("Page.enable")
        return tab

    def close(self) -> None:
        try:
            self.send("Browser.close")
        except (OSError, EOFError, RuntimeError, TimeoutError):
            self.process.kill()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)
        os.close(self._commands)
        os.close(self._answers)


class Tab:
    """One page of the browser."""

    def __init__(self, browser: Chromium, session: str) -> None:
        self.browser, self.session = browser, session

    def send(self, method: str, params: dict[str, Any] | None = None) -> dict[str, Any]:
        return self.browser.send(method, params, self.session)

    def emulate_phone(self, width: int, height: int) -> None:
        """A phone's screen: `width` CSS pixels wide, laid out as a mobile browser does (the viewport meta obeyed)."""
        metrics = {"width": width, "height": height, "deviceScaleFactor": 3, "mobile": True}
        self.send("Emulation.setDeviceMetricsOverride", metrics)

    def enlarge_text(self, percent: int) -> None:
        """The browser's text size setting: its default font size (16px) enlarged to `percent`."""
        self.send("Page.setFontSizes", {"fontSizes": {"standard": 16 * percent // 100, "fixed": 13 * percent // 100}})

    def open(self, url: str) -> None:
        self.browser.discard("Page.loadEventFired", self.session)
        self.send("Page.navigate", {"url": url})
        self.browser.wait_for("Page.loadEventFired", self.session)

    def evaluate(self, expression: str) -> Any:
        answer = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in answer:
            raise RuntimeError(f"{expression[:80]}…: {answer['exceptionDetails']}")
        return answer["result"].get("value")
