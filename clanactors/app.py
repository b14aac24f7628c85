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

from clanactors.bungie.client import BungieClient
from clanactors.bungie.errors import AuthError, BungieError, NotFoundError
from clanactors.config import ConfigError, Settings
from clanactors.server.app import AppContext, make_app
from clanactors.store.db import Database, check_connection, migrate, safe_url

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
    try:
        verify_clan(client, settings.clan_id)
        asyncio.run(_serve(settings, AppContext(db, client)))
    finally:
        client.close()
        if simulator is not None:
            simulator.stop()
        db.dispose()
    log.info("stopped")
    return 0


async def _serve(settings: Settings, ctx: AppContext) -> None:
    app = make_app(ctx)
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
