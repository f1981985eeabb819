"""The daemon's one WSGI application: the push API, health and metrics, and the published site.

    /api/…     → PushApi            (feeds.web.api; an OPTIONS of /api/releases answered here)
    /healthz   → StatusEndpoints    (feeds.web.health)
    /metrics   → StatusEndpoints
    /favicon.ico  → StaticSite, else, when out/ holds none, a redirect to site.icon or 204 (feeds.web.favicon)
    anything else → StaticSite(out/) (feeds.web.static, unchanged)

The daemon builds it once with `make_web_app(app, on_change=…, metrics=…, health=…)`, passing its debounced
publish trigger as `on_change` and the same `Metrics` / `Health` its jobs update, then serves it with waitress.

What this module must not do: handle requests itself beyond choosing the handler.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import TYPE_CHECKING

from feeds.web import cors
from feeds.web.api import PATH as API_PATH
from feeds.web.api import PushApi
from feeds.web.auth import RateLimiter
from feeds.web.favicon import PATH as FAVICON_PATH
from feeds.web.favicon import answer_favicon
from feeds.web.health import StatusEndpoints
from feeds.web.metrics import Health, Metrics
from feeds.web.static import Environ, StartResponse, StaticSite

if TYPE_CHECKING:
    from feeds.app import App


class WebApp:
    """A WSGI callable routing by path; its parts stay reachable (`.api`, `.status`, `.static`) for the daemon."""

    def __init__(
        self,
        app: App,
        *,
        out_dir: Path | None = None,
        on_change: Callable[[], None] | None = None,
        metrics: Metrics | None = None,
        health: Health | None = None,
        limiter: RateLimiter | None = None,
    ):
        self.metrics = metrics if metrics is not None else Metrics()
        self.health = health if health is not None else Health()
        out = out_dir if out_dir is not None else app.settings.paths.out
        self.api = PushApi(app, on_change=on_change, metrics=self.metrics, limiter=limiter)
        self.status = StatusEndpoints(app, out_dir=out, health=self.health, metrics=self.metrics)
        self.static = StaticSite(out)

    @property
    def api_enabled(self) -> bool:
        """Whether the push API answers at all (a token is configured); else every /api path is its 404."""
        return self.api.app.settings.web.api_token is not None

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "") or "/"
        if path == "/api" or path.startswith("/api/"):
            if environ.get("REQUEST_METHOD") == "OPTIONS" and path.rstrip("/") == API_PATH and self.api_enabled:
                # Not opened to other origins (`feeds.web.cors`): a browser's preflight finds no CORS headers.
                return cors.options(environ, start_response, "OPTIONS, POST", public=False)
            answer = self.api(environ, start_response)
            # Its headers only, to a HEAD (RFC 9110 §9.3.2): waitress sends whatever body it is given, and a kept-alive
            # client read the refusal's JSON as the start of its next answer.
            return [b""] if environ.get("REQUEST_METHOD") == "HEAD" else answer
        if path == "/healthz":
            return self.status.healthz(environ, start_response)
        if path == "/metrics":
            return self.status.serve_metrics(environ, start_response)
        if path == FAVICON_PATH and environ.get("REQUEST_METHOD", "GET") in ("GET", "HEAD"):
            found = self.static.resolve(path)
            if found is None or not found.is_file():
                site = self.api.app.settings.site
                return answer_favicon(environ, start_response, icon=site.icon, base_url=site.base_url)
        return self.static(environ, start_response)


def make_web_app(
    app: App,
    *,
    out_dir: Path | None = None,
    on_change: Callable[[], None] | None = None,
    metrics: Metrics | None = None,
    health: Health | None = None,
) -> WebApp:
    """The composed application for `app` (out/ from its settings unless `out_dir` is given)."""
    return WebApp(app, out_dir=out_dir, on_change=on_change, metrics=metrics, health=health)
