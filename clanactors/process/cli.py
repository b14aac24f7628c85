"""The `clanactors` command: serve, sim, migrate, events, notify."""

from __future__ import annotations

import argparse
import json
import logging
import os
import re
import sys
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import inspect, select
from sqlalchemy.engine import make_url

from clanactors import __version__
from clanactors.core.clock import utc_iso
from clanactors.domain.events import KINDS
from clanactors.process.config import (
    DEFAULT_DATABASE_URL,
    DEMO_DATABASE_URL,
    SETTINGS,
    ConfigError,
    Settings,
    load_settings,
)
from clanactors.process.logs import setup_logging
from clanactors.render.events import event_json

log = logging.getLogger("clanactors")

EXIT_CONFIG = 2


class UsageError(Exception):
    """A bad command-line argument; shown as one line, exit 2."""


def _settings_from(args: argparse.Namespace) -> Settings:
    overrides = {s.field: getattr(args, s.field, None) for s in SETTINGS}
    return load_settings(overrides=overrides)


def cmd_serve(args: argparse.Namespace) -> int:
    from clanactors.process.app import run

    settings = _settings_from(args)
    return run(settings, verbose=args.verbose)


def sqlite_file(url: str) -> Path | None:
    """The file behind an SQLite URL (relative to the current folder), or None."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return None
    return Path(parsed.database)


def operator_database(args: argparse.Namespace, settings: Settings, *, reading: bool) -> str:
    """The database `events` and `migrate` work on: the one `clanactors serve` uses.

    DATABASE_URL (or --database-url) when set. Otherwise the server's default in this
    folder, whatever this shell holds: the key usually lives in the service's environment,
    not the operator's, so the demo's default does not apply here. That is `clanactors.db`
    (the clan's), or the demo's `clanactors-demo.db` when it is the only one here. Reading
    never creates a database: a missing one is an error naming what was looked for.
    """
    explicit = args.database_url is not None or os.environ.get("DATABASE_URL") is not None
    if explicit:
        source = "--database-url" if args.database_url is not None else "DATABASE_URL"
        url = settings.database_url
        path = sqlite_file(url)
        if reading and path is not None and not path.is_file():
            raise ConfigError(
                f"{source}: there is no database at {url} ({path.resolve()} does not exist); "
                "give the one `clanactors serve` uses"
            )
        return url
    clan_url, demo_url = DEFAULT_DATABASE_URL, DEMO_DATABASE_URL
    clan_file, demo_file = sqlite_file(clan_url), sqlite_file(demo_url)
    assert clan_file is not None and demo_file is not None
    if clan_file.is_file() or not reading:
        if demo_file.is_file():
            _note(
                f"DATABASE_URL is not set: using the clan's {clan_url}; the demo's "
                f"{demo_file} is here too (--database-url {demo_url} for it)"
            )
        return clan_url
    if demo_file.is_file() and not settings.api_key:
        _note(f"DATABASE_URL is not set: using the demo's {demo_url} (there is no {clan_file})")
        return demo_url
    raise ConfigError(
        f"DATABASE_URL is not set and {Path.cwd()} holds no clanactors database (neither "
        f"{clan_file} nor {demo_file}): run this in the folder `clanactors serve` runs in, "
        "or set DATABASE_URL to the database it uses"
    )


def _note(text: str) -> None:
    print(f"clanactors: {text}", file=sys.stderr)


def cmd_migrate(args: argparse.Namespace) -> int:
    from clanactors.store.db import Database, check_connection, migrate, safe_url

    settings = _settings_from(args)
    setup_logging(args.verbose)
    url = operator_database(args, settings, reading=False)
    db = Database(url)
    try:
        check_connection(db.engine)
        migrate(url)
    finally:
        db.dispose()
    log.info("database %s is at the newest schema", safe_url(url))
    return 0


def parse_since(text: str, now: datetime | None = None) -> datetime:
    """`24h`, `7d`, `90m`, `2w` back from now, or an ISO-8601 time (UTC if no zone)."""
    now = now or datetime.now(UTC)
    match = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhdw])\s*", text)
    if match:
        amount = float(match.group(1))
        unit = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days", "w": "weeks"}
        return now - timedelta(**{unit[match.group(2)]: amount})
    try:
        moment = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise UsageError(
            f"--since must be a duration like 24h or 7d, or an ISO time, got {text!r}"
        ) from None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def cmd_events(args: argparse.Namespace) -> int:
    from clanactors.store.db import Database, check_connection, safe_url
    from clanactors.store.eventlog import EventFilter, find_events
    from clanactors.store.models import Clan
    from clanactors.store.roster import describe

    settings = _settings_from(args)
    since = parse_since(args.since) if args.since else None
    if args.limit < 1:
        raise UsageError("--limit must be at least 1")
    url = operator_database(args, settings, reading=True)
    db = Database(url)
    try:
        check_connection(db.engine)
        tables = inspect(db.engine)
        if not tables.has_table("events"):
            raise ConfigError(
                f"{safe_url(url)} holds no event log yet (run `clanactors migrate` "
                "or `clanactors serve` first)"
            )
        with db.session() as session:
            clan = session.scalars(select(Clan)).first() if tables.has_table("clan") else None
            found = find_events(
                session,
                EventFilter(kind=args.kind, member=args.member, since=since, limit=args.limit),
            )
    finally:
        db.dispose()
    owner = describe(clan.group_id, clan.demo) if clan is not None else "no clan yet"
    _note(f"reading {safe_url(url)} ({owner})")
    if args.json:
        json.dump([event_json(e) for e in found], sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
        return 0
    if not found:
        print("no events")
        return 0
    header = ("ID", "OCCURRED", "KIND", "TEXT")
    rows = [
        (str(e.id), utc_iso(e.event.occurred_at) or "", e.event.kind, e.event.text) for e in found
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(3)]
    for row in [header, *rows]:
        print(f"{row[0]:>{widths[0]}}  {row[1]:<{widths[1]}}  {row[2]:<{widths[2]}}  {row[3]}")
    return 0


def cmd_notify(args: argparse.Namespace) -> int:
    import requests

    from clanactors.notify.delivery import Webhook, post, redact_http_logs
    from clanactors.notify.messages import sample

    settings = _settings_from(args)
    setup_logging(args.verbose)
    redact_http_logs()
    if not args.test:
        raise UsageError("notify: say --test to send a sample message to each webhook")
    if not settings.discord_webhooks:
        raise ConfigError("CLANACTORS_DISCORD_WEBHOOKS is not set: no webhook to test")
    body = sample(settings.discord_kinds, settings.public_url)
    failed = 0
    with requests.Session() as session:
        for url in settings.discord_webhooks:
            hook = Webhook.of(url)  # only its id is ever printed
            answer = post(session, hook, body)
            print(f"webhook {hook.id}: {_notify_result(answer)}")
            failed += answer.outcome != "sent"
    return 1 if failed else 0


def _notify_result(answer: Any) -> str:
    status = f"HTTP {answer.status}" if answer.status else answer.detail
    detail = f", {answer.detail}" if answer.status and answer.detail else ""
    return {
        "sent": f"accepted ({status})",
        "limited": f"rate limited ({status}); try again in {answer.retry_after:.1f} s",
        "retry": f"failed ({status}); Discord or the network is down, try again later",
        "gone": f"failed ({status}{detail}): the webhook was deleted or the token is wrong",
        "rejected": f"failed ({status}{detail}): Discord refused the message",
    }[answer.outcome]


def cmd_sim(args: argparse.Namespace) -> int:
    from clanactors.sim.server import run_standalone

    setup_logging(args.verbose)
    if args.members < 1 or args.members > 100:
        raise UsageError("--members must be between 1 and 100 (a clan holds at most 100)")
    if args.pace <= 0:
        raise UsageError("--pace must be positive")
    if args.history_days < 0:
        raise UsageError("--history-days must be 0 or more")
    return run_standalone(
        host=args.host,
        port=args.port,
        seed=args.seed,
        members=args.members,
        pace=args.pace,
        hostile_names=args.hostile_names,
        history_days=args.history_days,
    )


def _add_settings_flags(parser: argparse.ArgumentParser, only: Sequence[str] | None = None) -> None:
    for s in SETTINGS:
        if only is None or s.field in only:
            parser.add_argument(s.flag, dest=s.field, metavar=s.env, help=f"{s.help} [{s.env}]")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="clanactors", description="A live homepage server for a Destiny 2 clan."
    )
    parser.add_argument("--version", action="version", version=f"clanactors {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = sub.add_parser("serve", help="run the poller and the web server")
    _add_settings_flags(serve)
    serve.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    serve.set_defaults(func=cmd_serve)

    sim = sub.add_parser("sim", help="serve the simulated Bungie API alone")
    sim.add_argument("--host", default="127.0.0.1", help="listen address (default 127.0.0.1)")
    sim.add_argument("--port", type=int, default=8100, help="listen port (default 8100)")
    sim.add_argument(
        "--seed", type=int, default=7, help="the world's seed: the same seed, the same clan"
    )
    sim.add_argument("--members", type=int, default=100, help="clan size to aim for (default 100)")
    sim.add_argument(
        "--pace",
        type=float,
        default=1.0,
        help="simulated seconds per real second (default 1: real time)",
    )
    sim.add_argument(
        "--hostile-names",
        action="store_true",
        help="give three members markup for a name (<b>Bold</b>, <svg/onload=...>) to test "
        "escaping; the demo clan never has them",
    )
    sim.add_argument(
        "--history-days",
        type=int,
        default=365,
        help="days of members' history before the world's first day (default 365)",
    )
    sim.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sim.set_defaults(func=cmd_sim)

    migrate = sub.add_parser("migrate", help="apply database migrations (alembic upgrade head)")
    _add_settings_flags(migrate, only=("database_url",))
    migrate.add_argument("-v", "--verbose", action="store_true")
    migrate.set_defaults(func=cmd_migrate)

    events = sub.add_parser("events", help="print the event log, newest last")
    events.add_argument("--kind", choices=KINDS)
    events.add_argument("--member", metavar="NAME", help="display name, Bungie name or id")
    events.add_argument("--since", metavar="24h|7d|ISO")
    events.add_argument("--limit", type=int, default=50)
    events.add_argument("--json", action="store_true", help="print a JSON array of events")
    _add_settings_flags(events, only=("database_url",))
    events.set_defaults(func=cmd_events)

    notify = sub.add_parser(
        "notify", help="Discord webhooks: --test posts a sample message to each one"
    )
    notify.add_argument(
        "--test", action="store_true", help="send one sample message to each webhook"
    )
    _add_settings_flags(notify, only=("discord_webhooks", "discord_kinds", "public_url"))
    notify.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    notify.set_defaults(func=cmd_notify)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except (ConfigError, UsageError) as exc:
        print(f"clanactors: error: {exc}", file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        return 0
