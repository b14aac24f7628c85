"""`clanactors serve`: one process with the database, the Bungie client and the web server.

Start in dependency order (database, migrations, simulator in demo mode, Bungie client,
web server) and stop in reverse. SIGINT/SIGTERM stop cleanly with exit code 0.
"""

from __future__ import annotations

import asyncio
import logging
import signal
from dataclasses import replace

import tornado.httpserver
import tornado.netutil
import tornado.web
from tornado.ioloop import IOLoop

from clanactors.actors.system import ActorSystem
from clanactors.bungie.client import BungieClient
from clanactors.bungie.errors import AuthError, BungieError, NotFoundError
from clanactors.config import ConfigError, Settings
from clanactors.server.app import make_app
from clanactors.server.base import WebContext
from clanactors.server.hub import Hub, HubListener
from clanactors.store.db import Database, check_connection, migrate, safe_url
from clanactors.store.eventlog import last_event_id

log = logging.getLogger(__name__)


def verify_clan(client: BungieClient, clan_id: str) -> None:
    """Fail at start on a rejected key or an unknown clan; tolerate Bungie being down."""
    try:
        group = client.get_group(clan_id)
    except AuthError as exc:
        reason = exc.status or exc.code
        raise ConfigError(f"BUNGIE_API_KEY was rejected by Bungie ({reason})") from None
    except NotFoundError:
        raise ConfigError(f"CLAN_ID {clan_id} is not a clan Bungie knows") from None
    except BungieError as exc:
        log.warning("cannot check the clan at start, carrying on: %s", exc)
        return
    log.info("clan %r (%s), %d members", group.name, group.group_id, group.member_count)


def run(settings: Settings) -> int:
    db = Database(settings.database_url)
    check_connection(db.engine)
    log.info("database %s: applying migrations", safe_url(settings.database_url))
    migrate(settings.database_url)

    simulator = None
    if settings.demo:
        from clanactors.sim.server import start_in_thread

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
    system = ActorSystem(
        clan_id=settings.clan_id,
        db=db,
        client=client,
        roster_interval=settings.roster_interval,
        profile_interval=settings.profile_interval,
        max_rps=settings.max_rps,
    )
    try:
        verify_clan(client, settings.clan_id)
        asyncio.run(_serve(settings, db, client, system))
    finally:
        system.stop()
        client.close()
        if simulator is not None:
            simulator.stop()
        db.dispose()
    log.info("stopped")
    return 0


async def _serve(
    settings: Settings, db: Database, client: BungieClient, system: ActorSystem
) -> None:
    hub = Hub()
    with db.session() as session:
        hub.last_event_id = last_event_id(session)
    listener = HubListener.start(hub, IOLoop.current())
    system.add_listener(listener)
    system.start()
    try:
        await _listen(settings, make_app(WebContext(db, hub, client)))
    finally:
        system.stop()
        listener.stop()


async def _listen(settings: Settings, app: tornado.web.Application) -> None:
    try:
        sockets = tornado.netutil.bind_sockets(settings.port, settings.host)
    except OSError as exc:
        raise ConfigError(
            f"CLANACTORS_PORT: cannot listen on {settings.host}:{settings.port} ({exc.strerror})"
        ) from None
    server = tornado.httpserver.HTTPServer(app, xheaders=True)
    server.add_sockets(sockets)
    port = sockets[0].getsockname()[1]
    host = settings.host if ":" not in settings.host else f"[{settings.host}]"
    log.info("listening on http://%s:%d/", host, port)

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    log.info("shutting down")
    server.stop()
    await server.close_all_connections()
