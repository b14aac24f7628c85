"""Sign-in and clan administration in the simulated Bungie API (docs/api.md, "Sign-in").

`OAuth` is Bungie's authorization server in small: registered clients (confidential,
with a redirect URL and scopes), authorization codes (single-use, short-lived), access
tokens (expiring) and refresh tokens (rotated on use). `Applicants` are the pending
applications to join the clan: one arrives every few hours, at times drawn from the seed
and the calendar (like the clan's churn), so two simulators with one seed agree. `Admin`
applies what a signed-in admin asks (approve, deny, kick, ban, rank) to the world, with
Bungie's rules on who may do what.

Everything here runs under the world's lock (the handlers take it), on the world's clock.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from clanactors.sim.people import SimMember, make_member
from clanactors.sim.render import SimError
from clanactors.sim.timeline import EPOCH, stream
from clanactors.sim.world import World

CODE_LIFETIME = timedelta(minutes=5)
ACCESS_LIFETIME = timedelta(hours=1)
REFRESH_LIFETIME = timedelta(days=90)
ADMIN_SCOPE = "AdminGroups"
DEFAULT_SCOPES = frozenset({"ReadBasicUserProfile", "ReadGroups", ADMIN_SCOPE})

FOUNDER, ACTING_FOUNDER, ADMIN = 5, 4, 3


class OAuthError(Exception):
    """An answer of the token endpoint other than tokens: `{"error", "error_description"}`."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status


@dataclass
class Client:
    client_id: str
    secret: str
    redirect_url: str
    scopes: frozenset[str] = DEFAULT_SCOPES


@dataclass
class Grant:
    """What one token (or code) stands for: a member's consent to one client."""

    client_id: str
    membership_id: str  # the Destiny membership that signed in
    expires_at: datetime
    scopes: frozenset[str]
    used: bool = False


@dataclass
class OAuth:
    clients: dict[str, Client] = field(default_factory=dict)
    codes: dict[str, Grant] = field(default_factory=dict)
    access: dict[str, Grant] = field(default_factory=dict)
    refresh: dict[str, Grant] = field(default_factory=dict)
    issued: int = 0  # access tokens issued, for tests

    def register(
        self,
        client_id: str,
        secret: str,
        redirect_url: str,
        scopes: frozenset[str] = DEFAULT_SCOPES,
    ) -> Client:
        client = Client(client_id, secret, redirect_url, frozenset(scopes))
        self.clients[client_id] = client
        return client

    def authorize(self, client_id: str, membership_id: str, now: datetime) -> tuple[str, Client]:
        """A code for this member's consent, and the client to send it back to."""
        client = self.clients.get(client_id)
        if client is None:
            raise OAuthError("invalid_client", "unknown client_id")
        self._prune(now)
        code = secrets.token_hex(16)
        self.codes[code] = Grant(client_id, membership_id, now + CODE_LIFETIME, client.scopes)
        return code, client

    def token(self, form: dict[str, str], basic: tuple[str, str] | None, now: datetime) -> dict:
        """The token endpoint: `authorization_code` or `refresh_token`, HTTP Basic."""
        if basic is None:
            raise OAuthError("invalid_client", "client authentication is required", 401)
        client = self.clients.get(basic[0])
        if client is None or not secrets.compare_digest(client.secret, basic[1]):
            raise OAuthError("invalid_client", "client authentication failed", 401)
        grant_type = form.get("grant_type", "")
        if grant_type == "authorization_code":
            grant = self.codes.pop(form.get("code", ""), None)  # single-use: gone either way
            if grant is None or grant.client_id != client.client_id:
                raise OAuthError("invalid_grant", "AuthorizationCodeInvalid")
            if grant.expires_at <= now:
                raise OAuthError("invalid_grant", "AuthorizationCodeStale")
        elif grant_type == "refresh_token":
            grant = self.refresh.pop(form.get("refresh_token", ""), None)  # rotated
            if grant is None or grant.client_id != client.client_id:
                raise OAuthError("invalid_grant", "ProvidedTokenNotValidRefreshToken")
            if grant.expires_at <= now:
                raise OAuthError("invalid_grant", "RefreshTokenExpired")
        else:
            raise OAuthError("unsupported_grant_type", f"grant_type {grant_type!r}")
        return self._issue(client, grant, now)

    def _issue(self, client: Client, grant: Grant, now: datetime) -> dict:
        access, refresh = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        self.access[access] = Grant(
            client.client_id, grant.membership_id, now + ACCESS_LIFETIME, grant.scopes
        )
        self.refresh[refresh] = Grant(
            client.client_id, grant.membership_id, now + REFRESH_LIFETIME, grant.scopes
        )
        self.issued += 1
        return {
            "access_token": access,
            "token_type": "Bearer",
            "expires_in": int(ACCESS_LIFETIME.total_seconds()),
            "refresh_token": refresh,
            "refresh_expires_in": int(REFRESH_LIFETIME.total_seconds()),
            "membership_id": bnet_id(grant.membership_id),
        }

    def check(self, authorization: str | None, now: datetime) -> Grant:
        """The grant behind an `Authorization: Bearer` header, or Bungie's refusal."""
        scheme, _, token = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise SimError(99, "WebAuthRequired", "Please sign-in to continue.", 401)
        grant = self.access.get(token.strip())
        if grant is None:
            raise SimError(99, "WebAuthRequired", "Please sign-in to continue.", 401)
        if grant.expires_at <= now:
            raise SimError(2111, "AccessTokenHasExpired", "Access token has expired.", 401)
        return grant

    def expire_access_tokens(self, now: datetime) -> int:
        """Every access token expires now (tests: the app must refresh)."""
        for grant in self.access.values():
            grant.expires_at = min(grant.expires_at, now)
        return len(self.access)

    def revoke(self, membership_id: str) -> int:
        """The member withdraws the app's access: all their tokens stop working."""
        gone = 0
        for store in (self.access, self.refresh, self.codes):
            for token in [t for t, g in store.items() if g.membership_id == membership_id]:
                del store[token]
                gone += 1
        return gone

    def _prune(self, now: datetime) -> None:
        for store in (self.codes, self.access, self.refresh):
            for token in [t for t, g in store.items() if g.expires_at <= now]:
                del store[token]


def bnet_id(membership_id: str) -> str:
    """The Bungie.net account id (membershipType 254) behind a Destiny membership."""
    return str(int(membership_id) - 4611686018000000000 + 10_000_000)


# ---------------------------------------------------------------------------- applicants

APPLICANT_GAP = timedelta(hours=9)  # one application per this much time, on average
APPLICATIONS_KEPT = timedelta(days=7)  # older unanswered applications lapse


@dataclass
class Application:
    index: int
    member: SimMember
    at: datetime
    message: str


class Applicants:
    """Who asked to join, and when: application k arrives somewhere in the k-th slot of
    APPLICANT_GAP after the epoch, a person drawn from (seed, k)."""

    def __init__(self, seed: int) -> None:
        self.seed = seed
        self._made: dict[int, Application] = {}
        self.resolved: dict[int, int] = {}  # index -> GroupApplicationResolveState

    def application(self, index: int) -> Application:
        found = self._made.get(index)
        if found is None:
            rng = stream(self.seed, "applicant", index)
            at = (
                EPOCH
                + index * APPLICANT_GAP
                + timedelta(seconds=rng.randrange(int(APPLICANT_GAP.total_seconds())))
            )
            member = make_member(rng, at, rank=1, joined_at=at)
            message = rng.choice(("", "Looking for a raid group", "Friend of the clan", "hi"))
            member.private = rng.random() < 0.2
            found = self._made[index] = Application(index, member, at, message)
        return found

    def pending(self, world: World) -> list[Application]:
        """Unanswered applications that have arrived and not lapsed, oldest first."""
        now = world.now
        last = (now - EPOCH) // APPLICANT_GAP
        first = max((now - APPLICATIONS_KEPT - EPOCH) // APPLICANT_GAP, 0)
        found = []
        for index in range(first, last + 1):
            app = self.application(index)
            if app.at > now or app.at < now - APPLICATIONS_KEPT or index in self.resolved:
                continue
            existing = world.members.get(app.member.membership_id)
            if existing is not None and existing.in_clan:
                continue
            found.append(app)
        return found

    def find(self, world: World, membership_type: int, membership_id: str) -> Application:
        for app in self.pending(world):
            if app.member.membership_id == membership_id:
                if app.member.membership_type != membership_type:
                    raise SimError(
                        1630, "DestinyInvalidMembershipType", "Wrong membership type.", 400
                    )
                return app
        raise SimError(
            606,
            "GroupMembershipPendingApplicationNotFound",
            "There is no pending application for this user.",
        )


# ---------------------------------------------------------------------------- admin


def admin_of(world: World, grant: Grant, group_id: str) -> SimMember:
    """The signed-in member, if they may administer this clan (Bungie's refusals else)."""
    if group_id != world.group_id:
        raise SimError(686, "ClanNotFound", "The clan could not be found.")
    if ADMIN_SCOPE not in grant.scopes:
        raise SimError(
            2108,
            "AccessNotPermittedByApplicationScope",
            "This application is not permitted to administer groups.",
            401,
        )
    member = world.members.get(grant.membership_id)
    if member is None or not member.in_clan or member.rank < ADMIN:
        raise SimError(
            603,
            "GroupMembershipInsufficientPrivileges",
            "You do not have the privileges in this group to do that.",
        )
    return member


def target_of(
    world: World, caller: SimMember, membership_type: int, membership_id: str
) -> SimMember:
    member = world.members.get(membership_id)
    if member is None or not member.in_clan or member.membership_type != membership_type:
        raise SimError(688, "ClanMemberNotFound", "That member is not in the clan.")
    if member.membership_id == caller.membership_id or member.rank >= caller.rank:
        raise SimError(
            687,
            "ClanMembershipLevelDoesNotPermitThatAction",
            "Your rank in the clan does not permit that action on this member.",
        )
    return member


def approve(world: World, applicants: Applicants, app: Application, caller: SimMember) -> None:
    applicants.resolved[app.index] = 1
    member = world.members.get(app.member.membership_id) or app.member
    member.in_clan = True
    member.rank = 1
    member.left_at = None
    member.joined_at = world.now
    member.last_status_change = world.now
    member.promoted_at = world.now + timedelta(days=14)
    world.admit_now(member)


def deny(applicants: Applicants, app: Application) -> None:
    applicants.resolved[app.index] = 2


def kick(world: World, member: SimMember) -> None:
    member.left_at = world.now
    world.part_now(member)


def ban(world: World, banned: set[str], member: SimMember) -> None:
    banned.add(member.membership_id)
    kick(world, member)


def set_rank(world: World, caller: SimMember, member: SimMember, rank: int) -> None:
    if rank not in (1, 2, 3) or rank >= caller.rank:
        raise SimError(
            687,
            "ClanMembershipLevelDoesNotPermitThatAction",
            "Your rank in the clan does not permit giving that rank.",
        )
    member.rank = rank
    member.promoted_at = None
