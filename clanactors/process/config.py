"""Settings: read from the environment, overridden by `serve` flags, validated at start.

Every setting is one `Setting` row below; README documents each (a test checks that).
A bad value raises `ConfigError` naming the setting; the CLI prints it on one line and
exits 2. The API key is never echoed back.
"""

from __future__ import annotations

import ipaddress
import math
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from clanactors.core.errors import ConfigError
from clanactors.domain.events import KINDS, Kind
from clanactors.notify.delivery import WEBHOOK_URL, webhook_id
from clanactors.store.db import DEFAULT_DATABASE_URL, DEMO_DATABASE_URL

DEFAULT_API_ROOT = "https://www.bungie.net/Platform"
DEFAULT_STATS_ROOT = "https://stats.bungie.net/Platform"
DEFAULT_WEB_ROOT = "https://www.bungie.net"
MIN_SECRET_KEY = 32  # characters of CLANACTORS_SECRET_KEY
DEFAULT_DISCORD_KINDS = (Kind.MEMBER_JOINED, Kind.MEMBER_LEFT, Kind.ACTIVITY_CLEARED)


@dataclass(frozen=True)
class Settings:
    api_key: str | None = None
    clan_id: str | None = None
    api_root: str = DEFAULT_API_ROOT
    stats_root: str = DEFAULT_STATS_ROOT
    database_url: str = DEFAULT_DATABASE_URL
    host: str = "127.0.0.1"
    port: int = 8000
    roster_interval: float = 60.0
    profile_interval: float = 30.0
    max_rps: float = 10.0
    public_url: str | None = None
    trusted_proxies: tuple[str, ...] = ()
    ws_per_address: int = 20
    discord_webhooks: tuple[str, ...] = ()
    discord_kinds: tuple[str, ...] = DEFAULT_DISCORD_KINDS
    history_days: int | None = None  # None: all of it
    web_root: str = DEFAULT_WEB_ROOT
    oauth_client_id: str | None = None
    oauth_client_secret: str | None = None
    secret_key: str | None = None

    @property
    def demo(self) -> bool:
        """No API key: run against the built-in simulated Bungie API."""
        return self.api_key is None

    @property
    def oauth(self) -> bool:
        """Sign-in with Bungie and the admin pages are on (docs/api.md, "Sign-in")."""
        return bool(self.oauth_client_id and self.oauth_client_secret)

    def __repr__(self) -> str:  # keep the key and webhook tokens out of logs and tracebacks
        fields = {
            **self.__dict__,
            "api_key": "***" if self.api_key else None,
            "oauth_client_secret": "***" if self.oauth_client_secret else None,
            "secret_key": "***" if self.secret_key else None,
            "discord_webhooks": tuple(webhook_id(u) + "/***" for u in self.discord_webhooks),
        }
        inner = ", ".join(f"{k}={v!r}" for k, v in fields.items())
        return f"Settings({inner})"


def _text(name: str, raw: str) -> str:
    return raw


def _api_key(name: str, raw: str) -> str:
    if any(c.isspace() for c in raw):
        raise ConfigError(f"{name} must not contain spaces")
    return raw


def _secret(name: str, raw: str) -> str:
    if any(c.isspace() for c in raw):
        raise ConfigError(f"{name} must not contain spaces")
    return raw


def _secret_key(name: str, raw: str) -> str:
    _secret(name, raw)
    if len(raw) < MIN_SECRET_KEY:
        # Never echo the value.
        raise ConfigError(
            f"{name} must be at least {MIN_SECRET_KEY} characters "
            f"(e.g. python3 -c 'import secrets; print(secrets.token_urlsafe(32))')"
        )
    return raw


def _clan_id(name: str, raw: str) -> str:
    if not re.fullmatch(r"[0-9]{1,20}", raw):
        raise ConfigError(f"{name} must be the clan's numeric Bungie groupId, got {raw!r}")
    return raw


def _url(name: str, raw: str) -> str:
    if not re.fullmatch(r"https?://[^\s/]+(/\S*)?", raw):
        raise ConfigError(f"{name} must be an http:// or https:// URL, got {raw!r}")
    return raw.rstrip("/")


def _webhooks(name: str, raw: str) -> tuple[str, ...]:
    urls = []
    for position, item in enumerate(raw.split(","), start=1):
        item = item.strip()
        if not item:
            continue
        if not WEBHOOK_URL.fullmatch(item):
            # Never echo the value: it may hold a token.
            raise ConfigError(
                f"{name}: entry {position} is not a Discord webhook URL "
                f"(https://discord.com/api/webhooks/ID/TOKEN)"
            )
        if item not in urls:
            urls.append(item)
    if not urls:
        raise ConfigError(f"{name} is set but holds no webhook URL")
    ids = [webhook_id(u) for u in urls]
    if len(set(ids)) != len(ids):
        raise ConfigError(f"{name} lists the same webhook id twice with different tokens")
    return tuple(urls)


def _kinds(name: str, raw: str) -> tuple[str, ...]:

    kinds = []
    for item in raw.split(","):
        item = item.strip()
        if not item:
            continue
        if item not in KINDS:
            raise ConfigError(f"{name}: unknown event kind {item!r} (known: {', '.join(KINDS)})")
        if item not in kinds:
            kinds.append(item)
    if not kinds:
        raise ConfigError(f"{name} is set but names no event kind")
    return tuple(kinds)


def _database_url(name: str, raw: str) -> str:
    try:
        url = make_url(raw)
    except ArgumentError:
        raise ConfigError(
            f"{name} is not a database URL (expected sqlite:///file.db or "
            f"postgresql+psycopg://user@host/db)"
        ) from None
    if url.get_backend_name() not in ("sqlite", "postgresql"):
        raise ConfigError(
            f"{name} must point at SQLite or PostgreSQL, got {url.get_backend_name()!r}"
        )
    if url.get_backend_name() == "postgresql":
        url = url.set(drivername="postgresql+psycopg")  # the one driver we ship
    return url.render_as_string(hide_password=False)


def _port(name: str, raw: str) -> int:
    try:
        port = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a port number, got {raw!r}") from None
    if not 0 <= port <= 65535:
        raise ConfigError(f"{name} must be between 0 and 65535, got {port}")
    return port


def _positive(unit: str) -> Callable[[str, str], float]:
    def parse(name: str, raw: str) -> float:
        try:
            value = float(raw)
        except ValueError:
            raise ConfigError(f"{name} must be a number of {unit}, got {raw!r}") from None
        if not math.isfinite(value) or value <= 0:
            raise ConfigError(f"{name} must be a positive number of {unit}, got {raw!r}")
        return value

    return parse


def _count(name: str, raw: str) -> int:
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if value < 1:
        raise ConfigError(f"{name} must be at least 1, got {value}")
    return value


def _days_or_all(name: str, raw: str) -> int | None:
    if raw.strip().lower() == "all":
        return None
    try:
        return _count(name, raw.strip())
    except ConfigError:
        raise ConfigError(f"{name} must be a number of days or 'all', got {raw!r}") from None


def _networks(name: str, raw: str) -> tuple[str, ...]:
    """Comma-separated IP addresses or networks (`127.0.0.1, 10.0.0.0/8, ::1`)."""
    networks = []
    for item in raw.split(","):
        item = item.strip()
        try:
            networks.append(str(ipaddress.ip_network(item, strict=False)))
        except ValueError:
            raise ConfigError(
                f"{name} must be comma-separated IP addresses or networks "
                f"(e.g. 127.0.0.1,10.0.0.0/8), got {item!r}"
            ) from None
    return tuple(networks)


@dataclass(frozen=True)
class Setting:
    env: str
    field: str
    flag: str
    parse: Callable[[str, str], Any]
    help: str


SETTINGS: tuple[Setting, ...] = (
    Setting(
        "BUNGIE_API_KEY",
        "api_key",
        "--api-key",
        _api_key,
        "X-API-Key for Bungie.net; unset means demo mode",
    ),
    Setting(
        "CLAN_ID",
        "clan_id",
        "--clan-id",
        _clan_id,
        "the clan's Bungie groupId (required when a key is set)",
    ),
    Setting("BUNGIE_API_ROOT", "api_root", "--api-root", _url, "base URL of the platform API"),
    Setting("BUNGIE_STATS_ROOT", "stats_root", "--stats-root", _url, "base URL for PGCR requests"),
    Setting(
        "DATABASE_URL",
        "database_url",
        "--database-url",
        _database_url,
        "SQLAlchemy URL: sqlite:///file.db or postgresql+psycopg://...",
    ),
    Setting("CLANACTORS_HOST", "host", "--host", _text, "listen address"),
    Setting("CLANACTORS_PORT", "port", "--port", _port, "listen port (0 picks a free one)"),
    Setting(
        "CLANACTORS_ROSTER_INTERVAL",
        "roster_interval",
        "--roster-interval",
        _positive("seconds"),
        "seconds between member-list polls",
    ),
    Setting(
        "CLANACTORS_PROFILE_INTERVAL",
        "profile_interval",
        "--profile-interval",
        _positive("seconds"),
        "seconds between profile polls of one online member, on average",
    ),
    Setting(
        "CLANACTORS_MAX_RPS",
        "max_rps",
        "--max-rps",
        _positive("requests per second"),
        "ceiling on Bungie requests per second, whole process",
    ),
    Setting(
        "CLANACTORS_PUBLIC_URL",
        "public_url",
        "--public-url",
        _url,
        "the site's public address (https:// turns on Strict-Transport-Security)",
    ),
    Setting(
        "CLANACTORS_TRUSTED_PROXIES",
        "trusted_proxies",
        "--trusted-proxies",
        _networks,
        "reverse proxies (addresses or networks) whose X-Forwarded-For is believed",
    ),
    Setting(
        "CLANACTORS_WS_PER_ADDRESS",
        "ws_per_address",
        "--ws-per-address",
        _count,
        "concurrent WebSocket connections allowed per client address",
    ),
    Setting(
        "CLANACTORS_DISCORD_WEBHOOKS",
        "discord_webhooks",
        "--discord-webhooks",
        _webhooks,
        "comma-separated Discord webhook URLs that receive the feed",
    ),
    Setting(
        "CLANACTORS_DISCORD_KINDS",
        "discord_kinds",
        "--discord-kinds",
        _kinds,
        "event kinds sent to the Discord webhooks",
    ),
    Setting(
        "CLANACTORS_HISTORY_DAYS",
        "history_days",
        "--history-days",
        _days_or_all,
        "how far back members' history is read (days, or 'all')",
    ),
    Setting(
        "BUNGIE_WEB_ROOT",
        "web_root",
        "--web-root",
        _url,
        "base URL of bungie.net's web pages (the OAuth sign-in page)",
    ),
    Setting(
        "CLANACTORS_OAUTH_CLIENT_ID",
        "oauth_client_id",
        "--oauth-client-id",
        _secret,
        "the Bungie application's OAuth client id (with the secret: sign-in and /admin)",
    ),
    Setting(
        "CLANACTORS_OAUTH_CLIENT_SECRET",
        "oauth_client_secret",
        "--oauth-client-secret",
        _secret,
        "the Bungie application's OAuth client secret",
    ),
    Setting(
        "CLANACTORS_SECRET_KEY",
        "secret_key",
        "--secret-key",
        _secret_key,
        "signs session cookies and encrypts stored OAuth tokens (required with OAuth)",
    ),
)

_KNOWN_ENV = {s.env for s in SETTINGS}


def load_settings(
    env: Mapping[str, str] | None = None, overrides: Mapping[str, str | None] | None = None
) -> Settings:
    """Build Settings from `env` (default `os.environ`) and flag `overrides` (by field)."""
    env = os.environ if env is None else env
    overrides = overrides or {}
    for key in sorted(env):
        if key.startswith("CLANACTORS_") and key not in _KNOWN_ENV:
            known = ", ".join(sorted(k for k in _KNOWN_ENV if k.startswith("CLANACTORS_")))
            raise ConfigError(f"{key} is not a known setting (known: {known})")

    values: dict[str, Any] = {}
    for setting in SETTINGS:
        raw = overrides.get(setting.field)
        name = setting.flag if raw is not None else setting.env
        if raw is None:
            raw = env.get(setting.env)
        if raw is None:
            continue
        raw = raw.strip()
        if raw == "" and setting.field == "api_key":
            continue  # an empty key is the same as none: demo mode
        if raw == "":
            raise ConfigError(f"{name} is set but empty")
        values[setting.field] = setting.parse(name, raw)

    if "api_key" not in values and "database_url" not in values:
        values["database_url"] = DEMO_DATABASE_URL
    settings = Settings(**values)
    if settings.api_key and not settings.clan_id:
        raise ConfigError("CLAN_ID is required when BUNGIE_API_KEY is set")
    if bool(settings.oauth_client_id) != bool(settings.oauth_client_secret):
        raise ConfigError(
            "CLANACTORS_OAUTH_CLIENT_ID and CLANACTORS_OAUTH_CLIENT_SECRET go together: "
            "set both (sign-in on) or neither"
        )
    if settings.oauth and not settings.secret_key:
        raise ConfigError("CLANACTORS_SECRET_KEY is required when OAuth sign-in is set")
    return settings
