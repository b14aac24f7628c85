"""The signed-in player's session, seen from the web side (docs/api.md, "Sign-in"): the settings
of sign-in, cookie options, the token vault (Fernet with a key derived from
CLANACTORS_SECRET_KEY) and the viewer behind a request's cookie. The handlers are in
auth.py."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from dataclasses import dataclass, field
from datetime import timedelta
from functools import cached_property
from typing import Any
from urllib.parse import urlencode

from cryptography.fernet import Fernet, InvalidToken

from clanactors.bungie.models import OAuthTokens
from clanactors.store import sessions as store
from clanactors.store.sessions import SessionRecord

SESSION_COOKIE = "clanactors_session"
STATE_COOKIE = "clanactors_signin"
STATE_TTL = timedelta(minutes=10)
SESSION_TTL = timedelta(days=30)
ADMIN_RANKS = frozenset({"Admin", "ActingFounder", "Founder"})


@dataclass(frozen=True)
class AuthConfig:
    client_id: str
    client_secret: str = field(repr=False)
    web_root: str
    secret_key: str = field(repr=False)
    public_url: str | None = None

    @property
    def secure(self) -> bool:
        return bool(self.public_url and self.public_url.startswith("https://"))

    @cached_property
    def fernet(self) -> Fernet:
        digest = hashlib.sha256(b"clanactors tokens\0" + self.secret_key.encode()).digest()
        return Fernet(base64.urlsafe_b64encode(digest))

    @property
    def cookie_secret(self) -> str:
        return cookie_secret(self.secret_key)

    def authorize_url(self, state: str) -> str:
        query = urlencode({"client_id": self.client_id, "response_type": "code", "state": state})
        return f"{self.web_root}/en/OAuth/Authorize?{query}"

    def seal(self, tokens: OAuthTokens) -> str:
        plain = json.dumps({"a": tokens.access_token, "r": tokens.refresh_token})
        return self.fernet.encrypt(plain.encode()).decode()

    def unseal(self, sealed: str) -> tuple[str, str] | None:
        try:
            plain = json.loads(self.fernet.decrypt(sealed.encode()))
        except (InvalidToken, ValueError):
            return None  # another key (CLANACTORS_SECRET_KEY changed): sign in again
        return str(plain["a"]), str(plain["r"])


def cookie_secret(secret_key: str) -> str:
    return hmac.new(secret_key.encode(), b"clanactors cookies", hashlib.sha256).hexdigest()


def digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


@dataclass
class Viewer:
    """The signed-in player, as the pages see them (no token in any page)."""

    session: SessionRecord = field(repr=False)
    rank: str | None  # in this clan's stored roster; None: not a member

    def refreshed(self, record: SessionRecord) -> None:
        self.session = record

    @property
    def membership_id(self) -> str:
        return self.session.membership_id

    @property
    def display_name(self) -> str:
        return self.session.display_name

    @property
    def is_admin(self) -> bool:
        return self.rank in ADMIN_RANKS


class SignedOut(Exception):
    """The player's tokens no longer work (revoked, expired): they must sign in again."""


def cookie_options(auth: AuthConfig) -> dict[str, Any]:
    return {"httponly": True, "samesite": "Lax", "secure": auth.secure, "path": "/"}


async def load_viewer(handler: Any) -> Viewer | None:
    """The signed-in player behind the request's cookie, with their rank now."""
    auth = handler.ctx.auth
    if auth is None:
        return None
    session_id = handler.get_signed_cookie(SESSION_COOKIE, max_age_days=31)
    if session_id is None:
        return None
    now = handler.ctx.clock.now()

    def find(session: Any) -> Viewer | None:
        record = store.find_session(session, digest(session_id.decode()), now)
        if record is None:
            return None
        return Viewer(record, store.member_rank(session, record.membership_id))

    return await handler.in_db(find)
