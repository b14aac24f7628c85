"""What every handler shares: the web context, JSON answers and one error handler that
answers JSON on API paths and a page elsewhere (never a traceback)."""

from __future__ import annotations

import asyncio
import json
import logging
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

import tornado.web

from clanactors.server.hub import Hub
from clanactors.store.db import Database

log = logging.getLogger(__name__)


@dataclass
class WebContext:
    db: Database
    hub: Hub


class BaseHandler(tornado.web.RequestHandler):
    def initialize(self, ctx: WebContext) -> None:
        self.ctx = ctx

    @property
    def is_api(self) -> bool:
        return self.request.path.startswith("/api/") or self.request.path == "/healthz"

    def set_default_headers(self) -> None:
        self.set_header("X-Content-Type-Options", "nosniff")
        self.set_header("Referrer-Policy", "same-origin")

    def write_json(self, payload: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(payload, ensure_ascii=False))

    async def in_db(self, fn: Any, *args: Any) -> Any:
        """Run a database read on a worker thread with its own session (never the IOLoop)."""

        def work() -> Any:
            with self.ctx.db.session() as session:
                return fn(session, *args)

        return await asyncio.get_running_loop().run_in_executor(None, work)

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
        self.render("error.html", status=status_code, reason=reason)

    def int_argument(self, name: str, default: int, low: int, high: int) -> int:
        raw = self.get_query_argument(name, None)
        if raw is None or raw == "":
            return default
        try:
            value = int(raw)
        except ValueError:
            raise tornado.web.HTTPError(400, f"{name} must be an integer") from None
        if not low <= value <= high:
            raise tornado.web.HTTPError(400, f"{name} must be between {low} and {high}")
        return value


class NotFoundHandler(BaseHandler):
    def prepare(self) -> None:
        raise tornado.web.HTTPError(404, "not found")
