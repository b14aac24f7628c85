"""The JSON API (docs/api.md, "HTTP API" and "/healthz"). Clan state comes from the hub's
in-memory snapshot; PGCRs, member history and the feed come from the database, off the
IOLoop thread."""

from __future__ import annotations

import asyncio
import re
import time
from collections.abc import Iterable
from datetime import datetime
from typing import Any

import tornado.web
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from sqlalchemy.exc import SQLAlchemyError

from clanactors.bungie.errors import BungieError, NotFoundError
from clanactors.bungie.models import Pgcr
from clanactors.core import metrics
from clanactors.domain.events import UNKNOWN_ACTIVITY
from clanactors.render.events import event_json
from clanactors.render.reports import played_json, report_json
from clanactors.server.base import BaseHandler
from clanactors.store.db import Database
from clanactors.store.eventlog import events_after
from clanactors.store.history import ImportProgress
from clanactors.store.history import progress as import_progress
from clanactors.store.outbox import OutboxBacklog
from clanactors.store.outbox import backlog as outbox_backlog
from clanactors.store.queries import PlayedActivity, StoredReport, member_recent, stored_report
from clanactors.store.recording import Backlog, backlog, instance, store_pgcr

ID = re.compile(r"[0-9]{1,20}")


class ApiHandler(BaseHandler):
    def valid_id(self, value: str, what: str) -> str:
        if not ID.fullmatch(value):  # no such id can exist: unknown, like any other
            raise tornado.web.HTTPError(404, f"no {what} {value!r}")
        return value


class ClanHandler(ApiHandler):
    def get(self) -> None:
        self.write_body(self.ctx.hub.current.bodies["clan"])


class MembersHandler(ApiHandler):
    def get(self) -> None:
        self.write_body(self.ctx.hub.current.bodies["members"])


class MemberHandler(ApiHandler):
    async def get(self, membership_id: str) -> None:
        self.valid_id(membership_id, "membershipId")
        member = self.ctx.hub.snapshot.member(membership_id)
        if member is None:
            raise tornado.web.HTTPError(404, f"no clan member {membership_id}")
        recent = await member_history(self, membership_id)
        self.write_json({**member, "recentActivities": [played_json(p) for p in recent]})


class FireteamsHandler(ApiHandler):
    def get(self) -> None:
        self.write_body(self.ctx.hub.current.bodies["fireteams"])


class StatsHandler(ApiHandler):
    def get(self) -> None:
        self.write_body(self.ctx.hub.current.bodies["stats"])


class RecentHandler(ApiHandler):
    def get(self) -> None:
        self.write_body(self.ctx.hub.current.bodies["recent"])


class NoReport(tornado.web.HTTPError):
    """Why an activity's report cannot be shown: the message says it plainly."""


async def load_report(handler: BaseHandler, instance_id: str) -> dict[str, Any]:
    """The activity's PGCR as `/api/activities/{id}` shows it. One stored is served; one
    not fetched yet (history from before the install) is fetched from Bungie now and kept
    (concurrent opens share the one request). Raises NoReport (404 or 503) otherwise."""
    clan_ids = handler.ctx.hub.snapshot.member_ids()
    report = await handler.in_db(stored_report, instance_id)
    if report is None:
        report = await _fetch_report(handler, instance_id, clan_ids)
    if report.activity.name == UNKNOWN_ACTIVITY and await name_activities(
        handler, [report.activity.hash]
    ):
        report = await handler.in_db(stored_report, instance_id) or report
    return report_json(report, clan_ids)


async def name_activities(handler: BaseHandler, hashes: Iterable[int]) -> bool:
    """Look up activities shown without a name (history read from before the install
    whose definitions were not fetched yet), once each; True when any was learned."""
    names = handler.ctx.names
    if names is None:
        return False
    loop = asyncio.get_running_loop()
    learned = False
    for activity_hash in sorted(set(hashes)):
        ref = await loop.run_in_executor(None, names.get, activity_hash)
        learned = learned or ref.name != UNKNOWN_ACTIVITY
    return learned


async def member_history(handler: BaseHandler, membership_id: str) -> list[PlayedActivity]:
    """A member's newest activities, each with its name."""
    recent: list[PlayedActivity] = await handler.in_db(member_recent, membership_id)
    unnamed = [p.activity.hash for p in recent if p.activity.name == UNKNOWN_ACTIVITY]
    if unnamed and await name_activities(handler, unnamed):
        recent = await handler.in_db(member_recent, membership_id)
    return recent


async def _fetch_report(handler: BaseHandler, instance_id: str, clan_ids: set[str]) -> StoredReport:
    client = handler.ctx.client
    played = await handler.in_db(instance, instance_id)
    if played is None:
        # Only activities the clan played are asked of Bungie: an id from anywhere else
        # is unknown here, like any other.
        raise NoReport(404, f"no report for activity {instance_id}")
    if client is None:
        raise NoReport(503, "this report has not been fetched yet; try again shortly")
    loop = asyncio.get_running_loop()
    try:
        pgcr, raw = await loop.run_in_executor(None, client.get_pgcr, instance_id)
    except NotFoundError:
        raise NoReport(404, "Bungie has no report for this activity") from None
    except BungieError as exc:
        raise NoReport(
            503, f"Bungie cannot give this report right now ({exc}); try again shortly"
        ) from None
    now = handler.ctx.clock.now()
    await handler.in_db(_keep_report, pgcr, raw, clan_ids, now)
    found = await handler.in_db(stored_report, instance_id)
    if found is None:
        raise NoReport(503, "Bungie's report for this activity could not be read")
    return found


def _keep_report(
    session: Any, pgcr: Pgcr, raw: dict[str, Any], clan_ids: set[str], now: datetime
) -> None:
    store_pgcr(session, pgcr, raw, clan_ids, pgcr.cleared_by(clan_ids), now)


class ActivityHandler(ApiHandler):
    async def get(self, instance_id: str) -> None:
        self.valid_id(instance_id, "instanceId")
        self.write_json(await load_report(self, instance_id))


class FeedHandler(ApiHandler):
    async def get(self) -> None:
        after = self.int_argument("after", 0, 0, 2**63 - 1)
        limit = self.int_argument("limit", 50, 1, 500)
        stored = await self.in_db(events_after, after, limit)
        self.write_json({"events": [event_json(e) for e in stored]})


class HealthHandler(ApiHandler):
    """`/healthz`: the truth about Bungie, the database, the roster and recording."""

    async def get(self) -> None:
        ctx = self.ctx
        loop = asyncio.get_running_loop()
        owed: OutboxBacklog | None = None
        history: ImportProgress | None = None
        try:
            backlog = await loop.run_in_executor(None, _read_backlog, ctx.db)
            owed = await loop.run_in_executor(None, _read_outbox, ctx.db)
            history = await loop.run_in_executor(None, _read_history, ctx.db)
        except SQLAlchemyError:
            backlog = None
            self.quiet_log = True  # the database's state logs the outage once
        snapshot = ctx.hub.snapshot
        health = ctx.health.view() if ctx.health is not None else None
        polling = health is not None and health.polling and ctx.client is not None
        # In the polling process the client knows best; elsewhere the poller's snapshot.
        bungie = ctx.client.status if polling and ctx.client else snapshot.bungie
        now = ctx.clock.now()
        lag = (now - backlog.oldest).total_seconds() if backlog and backlog.oldest else 0.0
        reasons = []
        if backlog is None:
            reasons.append("database")
        if bungie != "ok":
            reasons.append("bungie")
        if health is not None and health.down:
            reasons.append("actors down: " + ", ".join(health.down))
        if health is not None and health.trouble:
            reasons.append(f"not polling: {health.not_polling}")
        synced = snapshot.last_roster_sync
        stale_after = 3 * ctx.roster_interval
        if synced is not None:
            synced_at = datetime.fromisoformat(synced.replace("Z", "+00:00"))
            if (now - synced_at).total_seconds() > stale_after:
                reasons.append("roster stale")
        elif time.monotonic() - ctx.started > stale_after:
            reasons.append("roster never synced")
        if lag > 2 * ctx.profile_interval:
            reasons.append("recording lags")
        live_wait = ctx.client.live_wait() if polling and ctx.client else 0.0
        slowed = live_wait > ctx.profile_interval / 2
        self.write_json(
            {
                "status": "degraded" if reasons else "ok",
                "reasons": reasons,
                "bungie": bungie,
                "database": "error" if backlog is None else "ok",
                "lastRosterSync": synced,
                "recording": {
                    "backlog": backlog.count if backlog else None,
                    "lagSeconds": round(lag, 1),
                },
                "presence": {"slowed": slowed, "waitSeconds": round(live_wait, 1)},
                "actors": {
                    "restarts": health.restarts if health else 0,
                    "down": list(health.down) if health else [],
                },
                "history": {
                    "membersDone": history.done if history else None,
                    "membersTotal": history.total if history else None,
                },
                "polling": {
                    "active": polling,
                    "reason": health.not_polling if health else "this process does not poll",
                },
                # Discord, once in use: messages owed, webhooks disabled.
                **(
                    {"notifications": {"backlog": owed.count, "disabled": list(owed.disabled)}}
                    if owed and owed.used
                    else {}
                ),
            },
            status=503 if backlog is None else 200,
        )


class MetricsHandler(BaseHandler):
    """GET /metrics: this process's Prometheus metrics (prometheus_client text format)."""

    async def get(self) -> None:
        try:
            found = await asyncio.get_running_loop().run_in_executor(
                None, _read_backlog, self.ctx.db
            )
        except SQLAlchemyError:
            found = None  # the database's state logs that; the gauges keep their last value
        if found is not None:
            metrics.RECORDING_BACKLOG.set(found.count)
            lag = (self.ctx.clock.now() - found.oldest).total_seconds() if found.oldest else 0.0
            metrics.RECORDING_LAG.set(max(lag, 0.0))
        metrics.WEBSOCKET_CLIENTS.set(len(self.ctx.hub.clients))
        self.set_header("Content-Type", CONTENT_TYPE_LATEST)
        self.set_header("Cache-Control", "no-store")
        self.finish(generate_latest(metrics.REGISTRY))


def _read_backlog(db: Database) -> Backlog:
    with db.session() as session:
        return backlog(session)


def _read_history(db: Database) -> ImportProgress:
    with db.session() as session:
        return import_progress(session)


def _read_outbox(db: Database) -> OutboxBacklog:
    with db.session() as session:
        return outbox_backlog(session)
