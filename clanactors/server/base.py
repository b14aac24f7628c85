"""What every handler shares: the web context, JSON answers and one error handler that
answers JSON on API paths and a page elsewhere (never a traceback)."""

from __future__ import annotations

import asyncio
import inspect
import json
import logging
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC
from http import HTTPStatus
from typing import Any

import tornado.web
from tornado.log import access_log

from clanactors.actors.activity_names import ActivityNames
from clanactors.bungie.client import BungieClient
from clanactors.core.clock import Clock, RealClock
from clanactors.domain.events import Event
from clanactors.render.front import ago
from clanactors.runtime.health import Health
from clanactors.server.hub import Hub
from clanactors.server.sessions import AuthConfig, Viewer, load_viewer
from clanactors.store.db import DATABASE_TROUBLE, Database

log = logging.getLogger(__name__)
ASCII_INT = re.compile(r"-?[0-9]{1,19}")


# SECURITY.md: scripts from the site itself only (no inline script, no inline handler, no
# inline style) and no framing. 'self' in connect-src also covers the page's WebSocket to
# its own host, ws: or wss: alike (CSP Level 3; tests/web/test_csp.py checks Chromium).
# No member emblems are shown, so no Bungie image host.
PAGE_POLICY = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "connect-src 'self'",
        "object-src 'none'",
        "frame-ancestors 'none'",
        "base-uri 'none'",
        "form-action 'self'",
    )
)
# Everything that is not a page (JSON, static files, the WebSocket handshake, Tornado's
# own error bodies): nothing may load or run in it, should a browser ever render it.
CONTENT_POLICY = "default-src 'none'; frame-ancestors 'none'"
HSTS = "max-age=31536000"
HSTS_SETTING = "clanactors_hsts"  # Application setting: CLANACTORS_PUBLIC_URL is https://


def security_headers(handler: tornado.web.RequestHandler, page: bool) -> None:
    handler.clear_header("Server")  # no version for scanners to match
    handler.set_header("X-Content-Type-Options", "nosniff")
    handler.set_header("Referrer-Policy", "same-origin")
    handler.set_header("Content-Security-Policy", PAGE_POLICY if page else CONTENT_POLICY)
    if handler.settings.get(HSTS_SETTING):
        handler.set_header("Strict-Transport-Security", HSTS)


def no_content_headers(handler: tornado.web.RequestHandler) -> None:
    security_headers(handler, page=False)


class DatabaseUnavailable(tornado.web.HTTPError):
    def __init__(self) -> None:
        super().__init__(503, "the database is unavailable; try again shortly")


@dataclass
class WebContext:
    db: Database
    hub: Hub
    health: Health | None = None  # the poller's own health, in the polling process
    client: BungieClient | None = None
    names: ActivityNames | None = None  # where the client is: names looked up on display
    roster_interval: float = 60.0
    profile_interval: float = 30.0
    started: float = field(default_factory=time.monotonic)
    clock: Clock = field(default_factory=RealClock)
    # Stores an event and publishes it (the feed actor where it runs, else the database):
    # the admin pages' `admin_action`. None: written to the database directly.
    record_event: Callable[[Event], int | None] | None = None
    auth: AuthConfig | None = None  # sign-in with Bungie and /admin (docs/api.md, "Sign-in")


def log_request(handler: tornado.web.RequestHandler) -> None:
    """Tornado's access log line, left out for requests answered during a logged outage."""
    if getattr(handler, "quiet_log", False):
        return
    status = handler.get_status()
    if status < 400:
        method = access_log.info
    elif status < 500:
        method = access_log.warning
    else:
        method = access_log.error
    took = 1000.0 * handler.request.request_time()
    uri = handler.request.uri or ""
    if handler.request.path == "/signin/callback":
        uri = handler.request.path + "?…"  # the one-time code and state stay out of logs
    method(
        "%d %s %s (%s) %.2fms",
        status,
        handler.request.method,
        uri,
        handler.request.remote_ip,
        took,
    )


class StaticFiles(tornado.web.StaticFileHandler):
    """Static files; a malformed path (a NUL byte, bad encoding) is a 400, never a 500."""

    def validate_absolute_path(self, root: str, absolute_path: str) -> str | None:
        if "\x00" in absolute_path:
            raise tornado.web.HTTPError(400, "malformed path")
        return super().validate_absolute_path(root, absolute_path)

    def set_default_headers(self) -> None:
        no_content_headers(self)

    @classmethod
    def get_absolute_path(cls, root: str, path: str) -> str:
        if "\x00" in path:
            raise tornado.web.HTTPError(400, "malformed path")
        return super().get_absolute_path(root, path)


class BaseHandler(tornado.web.RequestHandler):
    quiet_log = False
    viewer: Viewer | None = None  # the signed-in player, when sign-in is on

    def initialize(self, ctx: WebContext) -> None:
        self.ctx = ctx

    async def prepare(self) -> None:
        if self.ctx.auth is not None and not self.is_api:
            try:
                self.viewer = await load_viewer(self)
            except DatabaseUnavailable:
                self.viewer = None  # the page from memory, as to anyone
            if self.viewer is not None:
                self.set_header("Cache-Control", "private, no-store")

    @property
    def viewer_key(self) -> str | None:
        """What a cached page depends on besides the clan: who is signed in here."""
        return self.viewer.session.id_hash if self.viewer is not None else None

    def get_template_namespace(self) -> dict[str, Any]:
        namespace = super().get_template_namespace()
        namespace["viewer"] = self.viewer
        namespace["signin_on"] = self.ctx.auth is not None
        return namespace

    @property
    def is_api(self) -> bool:
        return self.request.path.startswith("/api/") or self.request.path == "/healthz"

    def set_default_headers(self) -> None:
        security_headers(self, page=not self.is_api)

    def write_json(self, payload: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(payload, ensure_ascii=False))

    async def in_db(self, fn: Any, *args: Any) -> Any:
        """Run a database read on a worker thread with its own session (never the IOLoop).
        Raises DatabaseUnavailable (a 503) when the database cannot answer."""

        def work() -> Any:
            with self.ctx.db.session() as session:
                return fn(session, *args)

        try:
            return await asyncio.get_running_loop().run_in_executor(None, work)
        except DATABASE_TROUBLE:
            raise DatabaseUnavailable() from None  # the database's state logs it once

    def log_exception(self, typ: Any, value: Any, tb: Any) -> None:
        if isinstance(value, DatabaseUnavailable):
            self.quiet_log = True  # DatabaseState logs the outage once, not per request
            return
        if isinstance(value, tornado.web.HTTPError) and value.status_code < 500:
            return  # the access log has it: one line per request
        super().log_exception(typ, value, tb)

    def write_body(self, body: bytes) -> None:
        """A JSON body serialised ahead of time (the hub's snapshot parts)."""
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.finish(body)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        reason = self._reason
        exc_info = kwargs.get("exc_info")
        if exc_info is not None and isinstance(exc_info[1], tornado.web.HTTPError):
            reason = exc_info[1].log_message or reason
        elif status_code >= 500:
            reason = HTTPStatus(status_code).phrase
        if self.is_api:
            self.set_header("Content-Type", "application/json; charset=utf-8")
            self.finish(json.dumps({"error": reason}))
            return
        # The site's header and navigation around it: a wrong link is one click from home.
        taken = self.ctx.clock.now().astimezone(UTC).replace(microsecond=0)
        try:
            body = self.render_string(
                "error.html",
                status=status_code,
                reason=reason,
                snapshot=self.ctx.hub.snapshot,
                ago=ago,
                snapshot_taken=taken.strftime("%Y-%m-%dT%H:%M:%SZ"),
            )
        except Exception:  # the error page must not fail in turn: plain words then
            log.exception("error page not rendered status=%s", status_code)
            self.set_header("Content-Type", "text/plain; charset=utf-8")
            self.finish(f"{status_code}: {reason}\n")
            return
        self.finish(body)

    async def head(self, *args: Any, **kwargs: Any) -> None:
        """Every GET route answers HEAD (uptime monitors, `curl -I`): the same status and
        headers, no body (Tornado drops it for HEAD)."""
        answer = self.get(*args, **kwargs)
        if inspect.isawaitable(answer):
            await answer

    def int_argument(self, name: str, default: int, low: int, high: int) -> int:
        raw = self.get_query_argument(name, None)
        if raw is None or raw == "":
            return default
        if not ASCII_INT.fullmatch(raw):  # not "١٢": int() would take any script's digits
            raise tornado.web.HTTPError(400, f"{name} must be an integer")
        value = int(raw)
        if not low <= value <= high:
            raise tornado.web.HTTPError(400, f"{name} must be between {low} and {high}")
        return value


class NotFoundHandler(BaseHandler):
    async def prepare(self) -> None:
        raise tornado.web.HTTPError(404, "not found")
