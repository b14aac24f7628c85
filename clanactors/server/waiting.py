"""What `serve` answers while its database is not up yet: 503 on every path, JSON on
`/healthz` and `/api/*`, a short page elsewhere, so a load balancer and a visitor both
see that it is starting, not gone."""

from __future__ import annotations

import json
from typing import Any

import tornado.web

from clanactors.server.base import security_headers

WHY = "waiting for the database"
RETRY_AFTER = "5"


class WaitingHandler(tornado.web.RequestHandler):
    def set_default_headers(self) -> None:
        security_headers(self, page=not self._is_api())

    def _is_api(self) -> bool:
        return self.request.path.startswith("/api/") or self.request.path == "/healthz"

    def _answer(self) -> None:
        self.set_status(503)
        self.set_header("Retry-After", RETRY_AFTER)
        self.set_header("Cache-Control", "no-store")
        if self._is_api():
            body: dict[str, Any] = {"error": WHY}
            if self.request.path == "/healthz":
                body = {"status": "degraded", "reasons": [WHY], "database": "error"}
            self.set_header("Content-Type", "application/json; charset=utf-8")
            self.write(json.dumps(body))
        else:
            self.set_header("Content-Type", "text/html; charset=utf-8")
            self.write(
                "<!doctype html><html lang=en><meta charset=utf-8>"
                "<title>Starting</title><p>The clan page is starting: it is waiting for its "
                "database. It will be here shortly.</p></html>"
            )

    def get(self, *_args: str) -> None:
        self._answer()

    def head(self, *_args: str) -> None:
        self._answer()


def _quiet(handler: tornado.web.RequestHandler) -> None:
    """Every answer is a 503 by design: the wait is logged once, not once per request."""


def waiting_app() -> tornado.web.Application:
    return tornado.web.Application([(r".*", WaitingHandler)], log_function=_quiet)
