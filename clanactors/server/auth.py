"""Sign in with Bungie (docs/api.md, "Sign-in"): `/signin`, `/signin/callback`, `POST /signout`,
the session behind the cookie, and the signed-in player's OAuth tokens.

- The sign-in `state` is random, stored hashed, bound to the browser by a signed cookie,
  used once and only within STATE_TTL.
- The session cookie holds a random id (signed with a key derived from
  CLANACTORS_SECRET_KEY), HttpOnly, SameSite=Lax, Secure under an https public URL; the
  database keeps only its SHA-256 and the tokens encrypted with Fernet.
- Tokens are refreshed when less than REFRESH_MARGIN is left (or when Bungie says the
  access token expired), and never written to a page, a log or an API answer.
"""

from __future__ import annotations

import asyncio
import hmac
import logging
import secrets
from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from typing import Any, TypeVar

import tornado.web

from clanactors.bungie.client import BungieClient
from clanactors.bungie.errors import BungieError, OAuthRefused, TokenError
from clanactors.bungie.models import CurrentUser, Membership
from clanactors.server.base import BaseHandler
from clanactors.server.sessions import (
    ADMIN_RANKS,
    SESSION_COOKIE,
    SESSION_TTL,
    STATE_COOKIE,
    STATE_TTL,
    AuthConfig,
    SignedOut,
    Viewer,
    cookie_options,
    digest,
)
from clanactors.store import sessions as store
from clanactors.store.sessions import SessionRecord

log = logging.getLogger(__name__)
REFRESH_MARGIN = timedelta(minutes=5)
T = TypeVar("T")


class AuthHandler(BaseHandler):
    """A sign-in page: 404 when sign-in is off; never cached."""

    @property
    def auth(self) -> AuthConfig:
        if self.ctx.auth is None:
            raise tornado.web.HTTPError(404, "sign-in is not set up on this site")
        return self.ctx.auth

    def set_default_headers(self) -> None:
        super().set_default_headers()
        self.set_header("Cache-Control", "no-store")

    async def blocking(self, fn: Callable[..., T], *args: Any) -> T:
        """A Bungie call on a worker thread (requests blocks)."""
        return await asyncio.get_running_loop().run_in_executor(None, fn, *args)

    @property
    def bungie(self) -> BungieClient:
        if self.ctx.client is None:
            raise tornado.web.HTTPError(503, "Bungie is not reachable from here yet")
        return self.ctx.client


class SignIn(AuthHandler):
    async def get(self) -> None:
        auth = self.auth
        state = secrets.token_urlsafe(24)
        now = self.ctx.clock.now()
        await self.in_db(store.add_state, digest(state), now, now - STATE_TTL)
        self.set_signed_cookie(
            STATE_COOKIE, state, expires_days=None, max_age=int(STATE_TTL.total_seconds()),
            **cookie_options(auth),
        )  # fmt: skip
        self.redirect(auth.authorize_url(state))


class SignInCallback(AuthHandler):
    async def get(self) -> None:
        auth = self.auth
        state = self.get_query_argument("state", "")
        code = self.get_query_argument("code", "")
        mine = self.get_signed_cookie(STATE_COOKIE, max_age_days=1)
        self.clear_cookie(STATE_COOKIE, path="/")
        now = self.ctx.clock.now()
        if not state or mine is None or not hmac.compare_digest(mine, state.encode()):
            raise tornado.web.HTTPError(403, "this sign-in was not started here: sign in again")
        if not await self.in_db(store.take_state, digest(state), now - STATE_TTL):
            raise tornado.web.HTTPError(403, "this sign-in has expired or was used: sign in again")
        if not code:
            raise tornado.web.HTTPError(403, "Bungie.net did not authorize the sign-in")
        client = self.bungie
        try:
            tokens = await self.blocking(
                client.oauth_token,
                {"grant_type": "authorization_code", "code": code},
                auth.client_id,
                auth.client_secret,
            )
            user = await self.blocking(client.get_current_user, tokens.access_token)
        except OAuthRefused:
            raise tornado.web.HTTPError(403, "Bungie.net refused the sign-in: try again") from None
        except BungieError as exc:
            log.warning("sign-in failed: %s", type(exc).__name__)
            raise tornado.web.HTTPError(502, "Bungie.net could not be asked: try again") from None
        membership, rank = await self.in_db(_choose_membership, user)
        session_id = secrets.token_urlsafe(32)
        now = self.ctx.clock.now()
        record = SessionRecord(
            id_hash=digest(session_id),
            membership_id=membership.membership_id,
            membership_type=membership.membership_type,
            display_name=membership.bungie_name,
            tokens=auth.seal(tokens),
            access_expires_at=now + timedelta(seconds=tokens.expires_in),
            refresh_expires_at=now + timedelta(seconds=tokens.refresh_expires_in),
            expires_at=min(now + SESSION_TTL, now + timedelta(seconds=tokens.refresh_expires_in)),
        )
        await self.in_db(store.save_session, record, now)
        self.set_signed_cookie(
            SESSION_COOKIE, session_id, expires_days=None,
            max_age=int((record.expires_at - now).total_seconds()), **cookie_options(auth),
        )  # fmt: skip
        log.info("signed in member=%s rank=%s", membership.membership_id, rank or "-")
        if rank in ADMIN_RANKS:
            self.redirect("/admin")
        elif rank is not None:
            self.redirect(f"/members/{membership.membership_id}")
        else:
            self.redirect("/")


def _choose_membership(session: Any, user: CurrentUser) -> tuple[Membership, str | None]:
    """The player's membership in this clan (the stored roster), else their first."""
    if not user.memberships:
        raise tornado.web.HTTPError(403, "this Bungie.net account has no Destiny membership")
    for membership in user.memberships:
        rank = store.member_rank(session, membership.membership_id)
        if rank is not None:
            return membership, rank
    return user.memberships[0], None


class SignOut(AuthHandler):
    async def post(self) -> None:
        auth = self.auth
        session_id = self.get_signed_cookie(SESSION_COOKIE, max_age_days=31)
        if session_id is not None:
            await self.in_db(store.end_session, digest(session_id.decode()))
        self.clear_cookie(SESSION_COOKIE, path="/", secure=auth.secure)
        self.redirect("/")


async def access_token(
    handler: AuthHandler, record: SessionRecord, *, force: bool = False
) -> tuple[str, SessionRecord]:
    """The session's access token, refreshed first when it is about to expire (or `force`:
    Bungie said it had), and the session as it now is. SignedOut when Bungie no longer
    takes the refresh token."""
    auth = handler.auth
    pair = auth.unseal(record.tokens)
    if pair is None:
        await handler.in_db(store.end_session, record.id_hash)
        raise SignedOut()
    access, refresh = pair
    now = handler.ctx.clock.now()
    if not force and record.access_expires_at - now > REFRESH_MARGIN:
        return access, record
    try:
        tokens = await handler.blocking(
            handler.bungie.oauth_token,
            {"grant_type": "refresh_token", "refresh_token": refresh},
            auth.client_id,
            auth.client_secret,
        )
    except OAuthRefused:
        await handler.in_db(store.end_session, record.id_hash)
        raise SignedOut() from None
    now = handler.ctx.clock.now()
    record = replace(
        record,
        tokens=auth.seal(tokens),
        access_expires_at=now + timedelta(seconds=tokens.expires_in),
        refresh_expires_at=now + timedelta(seconds=tokens.refresh_expires_in),
    )
    await handler.in_db(
        store.update_tokens,
        record.id_hash,
        record.tokens,
        record.access_expires_at,
        record.refresh_expires_at,
    )
    log.info("refreshed the sign-in of member=%s", record.membership_id)
    return tokens.access_token, record


async def with_token(handler: AuthHandler, viewer: Viewer, call: Callable[[str], T]) -> T:
    """Run a Bungie call with the viewer's token (on a worker thread). An expired token is
    refreshed once and the call asked again (Bungie did nothing with the expired one); a
    revoked one ends the session (SignedOut)."""
    token, record = await access_token(handler, viewer.session)
    viewer.refreshed(record)
    try:
        return await handler.blocking(call, token)
    except TokenError as exc:
        if not exc.expired:
            await handler.in_db(store.end_session, record.id_hash)
            raise SignedOut() from None
    token, record = await access_token(handler, record, force=True)
    viewer.refreshed(record)
    try:
        return await handler.blocking(call, token)
    except TokenError:
        await handler.in_db(store.end_session, record.id_hash)
        raise SignedOut() from None
