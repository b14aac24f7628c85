"""make_app: the Tornado Application, built without opening a socket (tests mount it)."""

from __future__ import annotations

import json
from typing import Any

import tornado.web
from sqlalchemy import select

from clanactors.bungie.client import BungieClient
from clanactors.clock import utc_iso
from clanactors.paths import web_dir
from clanactors.store.db import Database
from clanactors.store.models import Clan


class BaseHandler(tornado.web.RequestHandler):
    def initialize(self, ctx: AppContext) -> None:
        self.ctx = ctx

    def write_json(self, payload: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.finish(json.dumps(payload, ensure_ascii=False))


class AppContext:
    """What handlers read: the database and the Bungie client's health."""

    def __init__(self, db: Database, client: BungieClient | None) -> None:
        self.db = db
        self.client = client


class IndexHandler(BaseHandler):
    def get(self) -> None:
        clan = None
        if self.ctx.db.ping():
            with self.ctx.db.session() as session:
                clan = session.scalars(select(Clan)).first()
        self.render("index.html", clan=clan)


class HealthHandler(BaseHandler):
    def get(self) -> None:
        database_ok = self.ctx.db.ping()
        bungie = self.ctx.client.status if self.ctx.client else "ok"
        clan_synced = None
        if database_ok:
            with self.ctx.db.session() as session:
                clan = session.scalars(select(Clan)).first()
                clan_synced = clan.updated_at if clan else None
        healthy = database_ok and bungie == "ok"
        self.write_json(
            {
                "status": "ok" if healthy else "degraded",
                "bungie": bungie,
                "database": "ok" if database_ok else "error",
                "lastRosterSync": utc_iso(clan_synced),
            },
            status=200 if database_ok else 503,
        )


def make_app(ctx: AppContext) -> tornado.web.Application:
    web = web_dir()
    return tornado.web.Application(
        [
            (r"/", IndexHandler, {"ctx": ctx}),
            (r"/healthz", HealthHandler, {"ctx": ctx}),
        ],
        template_path=str(web / "templates"),
        static_path=str(web / "static"),
        autoescape="xhtml_escape",
        compress_response=True,
    )
