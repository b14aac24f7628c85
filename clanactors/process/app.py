"""`clanactors serve`: one process with the database, the Bungie client and the web server.

Start in dependency order (database, migrations, simulator in demo mode, Bungie client,
web server) and stop in reverse. SIGINT/SIGTERM stop cleanly with exit code 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import secrets
import signal
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import tornado.web
from tornado.ioloop import IOLoop

from clanactors.actors.activity_names import ActivityNames
from clanactors.actors.system import ActorSystem
from clanactors.bungie.client import BungieClient, probe_interval
from clanactors.bungie.errors import AuthError, BungieError, NotFoundError
from clanactors.core.clock import Clock, RealClock
from clanactors.core.errors import ConfigError
from clanactors.domain.events import Event
from clanactors.notify.delivery import NotifySettings, webhook_id
from clanactors.process.config import Settings
from clanactors.process.leader import PollerLock
from clanactors.process.logs import held_until_started
from clanactors.render.wire import ClanState
from clanactors.runtime.health import Health
from clanactors.runtime.serving import serve_until_stopped
from clanactors.server.app import make_app
from clanactors.server.base import WebContext
from clanactors.server.hub import Hub, HubListener, Published, tune_gc
from clanactors.server.limits import http_server
from clanactors.server.sessions import AuthConfig
from clanactors.server.tail import DatabaseTail
from clanactors.server.waiting import waiting_app
from clanactors.sim.server import RunningSimulator, start_in_thread
from clanactors.store.audit import record_with_outbox
from clanactors.store.db import Database, check_connection, migrate, not_up_yet, safe_url
from clanactors.store.eventlog import last_event_id
from clanactors.store.live import load_snapshot
from clanactors.store.roster import claim_clan

log = logging.getLogger(__name__)


CLAN_NOT_FOUND = frozenset({622, 686})  # GroupNotFound, ClanNotFound
DATABASE_WAIT_STEP = 2.0  # seconds between looks at a database that is not up yet
START_BACKOFF = 2.0  # seconds before the first retry of a failed poller start, doubling...
START_BACKOFF_CAP = 60.0  # ...up to this


def actor_system(
    settings: Settings,
    db: Database,
    client: BungieClient,
    *,
    clock: Clock | None = None,
    health: Health | None = None,
    notify: NotifySettings | None = None,
) -> ActorSystem:
    """The actor system for `settings`' clan, intervals, request rate and Discord
    webhooks: what `serve` runs and the test rigs run. `notify` replaces the settings'
    webhooks (tests tune the notifier's timings)."""
    assert settings.clan_id
    return ActorSystem(
        clan_id=settings.clan_id,
        db=db,
        client=client,
        roster_interval=settings.roster_interval,
        profile_interval=settings.profile_interval,
        max_rps=settings.max_rps,
        clock=clock,
        health=health,
        history_days=settings.history_days,
        notify=notify
        or NotifySettings.of(
            settings.discord_webhooks, settings.discord_kinds, settings.public_url
        ),
    )


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
            not_up = not_up_yet(db.engine)
            if not_up is None:
                settings, simulator, client = _start_checks(settings, db)
        if not_up is not None:
            # A database that is merely not up yet (a reboot where it starts after the
            # app) is waited for, not a reason to exit.
            waited = asyncio.run(_wait_for_database(settings, db, not_up))
            if waited is None:
                return 0  # stopped while waiting
            with held_until_started(verbose):
                settings, simulator, client = _start_checks(waited, db)
        assert client is not None
        asyncio.run(_serve(settings, db, client, simulator))
    finally:
        if client is not None:
            client.close()
        if simulator is not None:
            simulator.stop()
        db.dispose()
    log.info("stopped")
    return 0


async def _wait_for_database(settings: Settings, db: Database, reason: str) -> Settings | None:
    """Answer 503 on the configured address until the database answers; the settings
    to go on with (the port bound, should it be 0), or None when stopped meanwhile."""
    where = safe_url(settings.database_url)
    log.warning("database %s is not up yet (%s); waiting for it", where, reason)
    loop = asyncio.get_running_loop()
    stopped, done = asyncio.Event(), asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stopped.set)
    ports: list[int] = []

    def listening(port: int) -> None:
        ports.append(port)
        log.info("listening on http://%s:%d/ (503 until the database is up)", settings.host, port)

    serving = asyncio.ensure_future(
        serve_until_stopped(
            http_server(waiting_app()),
            settings.host,
            settings.port,
            setting="CLANACTORS_PORT",
            stop=done,
            listening=listening,
        )
    )
    try:
        while not stopped.is_set() and not serving.done():
            now = await loop.run_in_executor(None, not_up_yet, db.engine)
            if now is None:
                break
            if now != reason:
                log.info("still waiting for the database: %s", now)
                reason = now
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stopped.wait(), DATABASE_WAIT_STEP)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        done.set()
        await serving  # raises what stopped it (a port that cannot be bound)
    if stopped.is_set():
        log.info("stopped while waiting for the database")
        return None
    log.info("database %s is up", where)
    return replace(settings, port=ports[0]) if ports else settings


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
        if not settings.oauth:  # sign in as any simulated member, the founder too
            settings = replace(
                settings,
                web_root=simulator.url,
                oauth_client_id="demo",
                oauth_client_secret=secrets.token_urlsafe(24),
                secret_key=settings.secret_key or secrets.token_urlsafe(32),
            )
        log.info("demo mode: simulated Bungie API at %s (clan %s)", root, simulator.clan_id)
    assert settings.api_key and settings.clan_id
    client = BungieClient(
        settings.api_key,
        api_root=settings.api_root,
        stats_root=settings.stats_root,
        max_rps=settings.max_rps,
        probe_every=probe_interval(settings.roster_interval),
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
    follows the polling process through the database (README, "Several processes").

    Nothing here may end the loop: a system that fails to start (the database stalls
    during a takeover, say) is stopped, the lock is released for another process, this
    one follows meanwhile and tries again with backoff. So does a system whose root
    supervisor crashed."""

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
        self.health = Health(polling=False)
        self.failures = 0  # starts that failed in a row
        self.retry_at = 0.0  # loop time before which no start is tried

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        every = max(0.5, self.settings.roster_interval / 2)
        while True:
            try:
                await self._step(loop)
            except Exception:  # a bug here must not end polling for good: log, go on
                log.exception("the poller loop failed; trying again in %.1f s", every)
            await asyncio.sleep(every)

    async def _step(self, loop: asyncio.AbstractEventLoop) -> None:
        system = self.system
        if system is not None and system.failed is not None:
            why = f"the supervisor crashed ({system.failed})"
            self.retry_at = loop.time() + await loop.run_in_executor(None, self._give_up, why)
            return
        if system is not None:
            if not await loop.run_in_executor(None, self.lock.still_held):
                log.warning("lost the poller lock; stopping the pollers")
                await loop.run_in_executor(None, self._stop_system)
                self.health.set_polling(False, "lost the poller lock", trouble=True)
            return
        if loop.time() < self.retry_at:
            return
        if await loop.run_in_executor(None, self.lock.try_acquire):
            self.tail.stop()
            self.health.set_polling(False, "starting the pollers")
            try:
                await loop.run_in_executor(None, self._start_system)
            except Exception as exc:
                why = f"cannot start the pollers ({type(exc).__name__}: {exc})"
                self.retry_at = loop.time() + await loop.run_in_executor(None, self._give_up, why)
            return
        if self.lock.failing:
            self.health.set_polling(False, "cannot reach the database", trouble=True)
        else:
            self.health.set_polling(False, "another process polls")
        if not self.tail.running:
            if not self.lock.failing:  # (an unreachable database is logged apart)
                log.info("another process polls clan %s; following it", self.settings.clan_id)
            self.tail.start()

    def record_event(self, event: Event) -> int | None:
        """Store and publish an event from the web side (a worker thread): through the
        feed actor while this process polls, else straight to the database (the polling
        process's tail, or this one's, publishes it)."""
        system = self.system
        if system is not None and system.failed is None:
            stored = system.record(event)
            if stored is not None:
                return stored
        hooks = tuple(webhook_id(u) for u in self.settings.discord_webhooks)
        with self.db.session() as session:
            return record_with_outbox(
                session, event, datetime.now(UTC), hooks, self.settings.discord_kinds
            )

    def _start_system(self) -> None:
        system = actor_system(self.settings, self.db, self.client, health=self.health)
        system.add_listener(self.listener)
        system.start()
        self.system = system
        if self.failures:
            log.info("the pollers started after %d failed tries", self.failures)
        self.failures = 0
        self.health.set_polling(True)
        log.info("this process polls Bungie for clan %s", self.settings.clan_id)

    def _give_up(self, why: str) -> float:
        """Stop the pollers, free the lock for another process and follow it; returns
        the backoff before the next try."""
        self._stop_system()
        self.lock.release()
        self.failures += 1
        delay = min(START_BACKOFF * 2 ** (self.failures - 1), START_BACKOFF_CAP)
        if self.failures == 1:
            log.error("%s; released the poller lock, following meanwhile, retrying", why)
        else:
            log.debug("%s (try %d); next try in %.0f s", why, self.failures, delay)
        self.health.set_polling(False, f"{why}; next try in {delay:.0f} s", trouble=True)
        if not self.tail.running:
            self.tail.start()
        return delay

    def _stop_system(self) -> None:
        if self.system is not None:
            self.system.stop()
            self.system = None
            self.health.actors_gone()

    def stop(self) -> None:
        self._stop_system()
        self.tail.stop()
        self.lock.release()


def auth_config(settings: Settings) -> AuthConfig | None:
    if not settings.oauth:
        return None
    assert settings.oauth_client_id and settings.oauth_client_secret and settings.secret_key
    return AuthConfig(
        settings.oauth_client_id,
        settings.oauth_client_secret,
        settings.web_root,
        settings.secret_key,
        settings.public_url,
    )


async def _serve(
    settings: Settings,
    db: Database,
    client: BungieClient,
    simulator: RunningSimulator | None = None,
) -> None:
    hub = Hub()
    with db.session() as session:
        hub.last_event_id = last_event_id(session)
        stored = load_snapshot(session)
    state = None if stored is None else ClanState.from_json(stored.document)
    if state is not None:
        hub.on_snapshot(Published.of(state))  # a first page before the first poll
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
            names=ActivityNames(db, client, RealClock()),
            roster_interval=settings.roster_interval,
            profile_interval=settings.profile_interval,
            auth=auth_config(settings),
            record_event=lambda event: pollers.record_event(event),
        )
        app = make_app(
            web,
            ws_per_address=settings.ws_per_address,
            trusted_proxies=settings.trusted_proxies,
            public_url=settings.public_url,
        )
        await _listen(settings, app, simulator)
    finally:
        task.cancel()
        await asyncio.get_running_loop().run_in_executor(None, pollers.stop)
        listener.stop()


async def _listen(
    settings: Settings, app: tornado.web.Application, simulator: RunningSimulator | None = None
) -> None:
    def listening(port: int) -> None:
        host = settings.host if ":" not in settings.host else f"[{settings.host}]"
        log.info("listening on http://%s:%d/", host, port)
        if simulator is not None and settings.oauth_client_id and settings.oauth_client_secret:
            # Demo: the simulated Bungie.net knows this site as its OAuth application.
            local = "127.0.0.1" if settings.host in ("0.0.0.0", "::", "") else host
            site = settings.public_url or f"http://{local}:{port}"
            simulator.sim.oauth.register(
                settings.oauth_client_id, settings.oauth_client_secret, f"{site}/signin/callback"
            )

    # Timeouts and sizes for every connection (server/limits.py); no `xheaders`: the
    # application believes X-Forwarded-For only from CLANACTORS_TRUSTED_PROXIES.
    await serve_until_stopped(
        http_server(app),
        settings.host,
        settings.port,
        setting="CLANACTORS_PORT",
        listening=listening,
    )
