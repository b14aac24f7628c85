"""`clanactors serve`: one process with the database, the Bungie client and the web server.

Start in dependency order (database, migrations, simulator in demo mode, Bungie client,
web server) and stop in reverse. SIGINT/SIGTERM stop cleanly with exit code 0.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import tornado.web
from tornado.ioloop import IOLoop

from clanactors.actors.system import ActorSystem
from clanactors.bungie.client import BungieClient
from clanactors.bungie.errors import AuthError, BungieError, NotFoundError
from clanactors.config import ConfigError, Settings
from clanactors.health import Health
from clanactors.leader import PollerLock
from clanactors.logs import held_until_started
from clanactors.server.app import make_app
from clanactors.server.base import WebContext
from clanactors.server.hub import Hub, HubListener, Published, tune_gc
from clanactors.server.limits import http_server
from clanactors.server.runner import serve_until_stopped
from clanactors.server.tail import DatabaseTail
from clanactors.sim.server import RunningSimulator, start_in_thread
from clanactors.store.db import Database, check_connection, migrate, safe_url
from clanactors.store.eventlog import last_event_id
from clanactors.store.live import load_snapshot
from clanactors.store.roster import claim_clan

log = logging.getLogger(__name__)


CLAN_NOT_FOUND = frozenset({622, 686})  # GroupNotFound, ClanNotFound


def verify_clan(client: BungieClient, clan_id: str) -> None:
    """Fail at start on a rejected key or an unknown clan; tolerate Bungie being down."""
    try:
        group = client.get_group(clan_id)
    except AuthError as exc:
        reason = exc.status or exc.code
        raise ConfigError(f"BUNGIE_API_KEY was rejected by Bungie ({reason})") from None
    except NotFoundError as exc:
        if exc.code in CLAN_NOT_FOUND:
            raise ConfigError(f"CLAN_ID {clan_id} is not a clan Bungie knows") from None
        log.warning("cannot check the clan at start, carrying on: %s", exc)
        return
    except BungieError as exc:
        log.warning("cannot check the clan at start, carrying on: %s", exc)
        return
    log.info("clan %r (%s), %d members", group.name, group.group_id, group.member_count)


def run(settings: Settings, verbose: bool = False) -> int:
    db = Database(settings.database_url)
    simulator = None
    client: BungieClient | None = None
    try:
        # What can refuse to start (database, key, clan) is checked with logging held, so
        # a bad setting is the one line the user sees.
        with held_until_started(verbose):
            settings, simulator, client = _start_checks(settings, db)
        asyncio.run(_serve(settings, db, client))
    finally:
        if client is not None:
            client.close()
        if simulator is not None:
            simulator.stop()
        db.dispose()
    log.info("stopped")
    return 0


def _start_checks(
    settings: Settings, db: Database
) -> tuple[Settings, RunningSimulator | None, BungieClient]:
    check_connection(db.engine)
    log.info("database %s: applying migrations", safe_url(settings.database_url))
    migrate(settings.database_url)
    simulator = None
    demo = settings.demo  # before the simulator's key is filled in
    if demo:
        if settings.clan_id:  # a key that did not reach the process (`docker run -e KEY`)
            log.warning(
                "CLAN_ID %s is set but BUNGIE_API_KEY is not: running the demo, on %s",
                settings.clan_id,
                safe_url(settings.database_url),
            )
        simulator = start_in_thread()
        root = f"{simulator.url}/Platform"
        settings = replace(
            settings, api_key="demo", clan_id=simulator.clan_id, api_root=root, stats_root=root
        )
        log.info("demo mode: simulated Bungie API at %s (clan %s)", root, simulator.clan_id)
    assert settings.api_key and settings.clan_id
    client = BungieClient(
        settings.api_key,
        api_root=settings.api_root,
        stats_root=settings.stats_root,
        max_rps=settings.max_rps,
    )
    try:
        verify_clan(client, settings.clan_id)
        with db.session() as session:
            claim_clan(session, settings.clan_id, demo, datetime.now(UTC))
    except ConfigError:
        client.close()
        if simulator is not None:
            simulator.stop()
        raise
    return settings, simulator, client


class Pollers:
    """Runs the actor system while this process holds the clan's poller lock; otherwise
    follows the polling process through the database (CONTRACT §7)."""

    def __init__(
        self, settings: Settings, db: Database, client: BungieClient, hub: Hub, listener: Any
    ) -> None:
        assert settings.clan_id
        self.settings = settings
        self.db = db
        self.client = client
        self.listener = listener
        self.lock = PollerLock(settings.database_url, settings.clan_id)
        self.tail = DatabaseTail(db, hub, IOLoop.current())
        self.system: ActorSystem | None = None
        self.health = Health()

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        every = max(0.5, self.settings.roster_interval / 2)
        while True:
            if self.system is None:
                if await loop.run_in_executor(None, self.lock.try_acquire):
                    self.tail.stop()
                    await loop.run_in_executor(None, self._start_system)
                elif not self.tail.running:
                    if not self.lock.failing:  # (an unreachable database is logged apart)
                        clan = self.settings.clan_id
                        log.info("another process polls clan %s; following it", clan)
                    self.tail.start()
            elif not await loop.run_in_executor(None, self.lock.still_held):
                log.warning("lost the poller lock; stopping the pollers")
                await loop.run_in_executor(None, self._stop_system)
            await asyncio.sleep(every)

    def _start_system(self) -> None:
        system = ActorSystem.of(self.settings, self.db, self.client, health=self.health)
        system.add_listener(self.listener)
        system.start()
        self.system = system
        log.info("this process polls Bungie for clan %s", self.settings.clan_id)

    def _stop_system(self) -> None:
        if self.system is not None:
            self.system.stop()
            self.system = None

    def stop(self) -> None:
        self._stop_system()
        self.tail.stop()
        self.lock.release()


async def _serve(settings: Settings, db: Database, client: BungieClient) -> None:
    hub = Hub()
    with db.session() as session:
        hub.last_event_id = last_event_id(session)
        stored = load_snapshot(session)
    if stored is not None:
        hub.on_snapshot(Published.of(stored))  # a first page before the first poll
    listener = HubListener.start(hub, IOLoop.current())
    tune_gc()
    pollers = Pollers(settings, db, client, hub, listener)
    task = asyncio.ensure_future(pollers.run())
    try:
        web = WebContext(
            db,
            hub,
            health=pollers.health,
            client=client,
            roster_interval=settings.roster_interval,
            profile_interval=settings.profile_interval,
        )
        app = make_app(
            web,
            ws_per_address=settings.ws_per_address,
            trusted_proxies=settings.trusted_proxies,
            public_url=settings.public_url,
        )
        await _listen(settings, app)
    finally:
        task.cancel()
        await asyncio.get_running_loop().run_in_executor(None, pollers.stop)
        listener.stop()


async def _listen(settings: Settings, app: tornado.web.Application) -> None:
    def listening(port: int) -> None:
        host = settings.host if ":" not in settings.host else f"[{settings.host}]"
        log.info("listening on http://%s:%d/", host, port)

    # Timeouts and sizes for every connection (server/limits.py); no `xheaders`: the
    # application believes X-Forwarded-For only from CLANACTORS_TRUSTED_PROXIES.
    await serve_until_stopped(
        http_server(app),
        settings.host,
        settings.port,
        setting="CLANACTORS_PORT",
        listening=listening,
    )
