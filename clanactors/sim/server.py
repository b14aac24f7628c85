"""The simulated Bungie.net API over HTTP (Tornado): real paths, envelope and errors.

Besides the Bungie paths under /Platform/ it answers paths of its own, in plain JSON
(errors as 400 `{"error": ...}`), for whoever runs it:

- `GET /sim/clan` → `{"groupId", "name"}`: the clan to configure as CLAN_ID;
- `GET /sim/stats` → requests served per endpoint, and the world's own counts;
- `GET /sim/record?since=ISO&kinds=...` → the world's own record of what happened:
  `{"record": [{"at", "kind", "members", "activityHash", "instanceId", "cleared"}],
  "private": [membershipId], "now"}`. Kinds: `started` and `finished` (an activity
  instance; `finished` says whether it was `cleared`, exactly as its history entries'
  completed == 1 and completionReason == 0 do), `joined`, `left`, `online`, `offline`.
  `members` are clan members only, never guests;
- `GET /sim/faults`, `POST /sim/faults` → the fault switches (see SimFaultsHandler).
"""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import threading
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

import tornado.httpserver
import tornado.web
from tornado.escape import xhtml_escape

from clanactors.core.clock import Clock, ScaledClock
from clanactors.runtime.serving import ServerThread, serve_until_stopped
from clanactors.sim import admin, render
from clanactors.sim.archive import Archive
from clanactors.sim.faults import FaultError, Faults, check_switch
from clanactors.sim.people import SimMember
from clanactors.sim.render import SimError, iso
from clanactors.sim.world import KINDS, Happening, World

log = logging.getLogger(__name__)

MAINTENANCE_HTML = (
    "<!DOCTYPE html><html><head><title>Bungie.net</title></head><body>"
    "<h1>Bungie.net is currently down for maintenance.</h1></body></html>"
)


class Simulator:
    """A world, its faults and its request counters: everything the handlers share."""

    def __init__(
        self,
        seed: int = 7,
        members: int = 100,
        clock: Clock | None = None,
        *,
        pgcr_delay: timedelta = timedelta(0),
        faults: Faults | None = None,
        warmup: timedelta = timedelta(days=2),
        hostile_names: bool = False,
        history_days: int = 0,
    ) -> None:
        self.world = World(
            seed=seed,
            members=members,
            clock=clock or ScaledClock(),
            pgcr_delay=pgcr_delay,
            warmup=warmup,
            hostile_names=hostile_names,
        )
        # The days of history before the world's first day (played in the background).
        self.archive = Archive(
            self.world, history_days, private_members=3, hostile_names=hostile_names
        ).start()
        self.faults = faults or Faults()
        self.oauth = admin.OAuth()  # sign-in: clients, codes, tokens (sim/admin.py)
        self.applicants = admin.Applicants(seed)
        self.banned: set[str] = set()
        self.requests: Counter[str] = Counter()  # by endpoint
        self.paths: Counter[str] = Counter()  # by request path, for "fetched once" checks
        self._lock = threading.Lock()

    @property
    def clan_id(self) -> str:
        return self.world.group_id

    def count(self, endpoint: str, path: str = "") -> None:
        with self._lock:
            self.requests[endpoint] += 1
            if path:
                self.paths[path] += 1

    def switches(self) -> dict[str, Any]:
        """The fault switches, with the world's late-PGCR delay among them."""
        return {**self.faults.switches(), "pgcr_delay": self.world.pgcr_delay.total_seconds()}

    def set_switches(self, changes: dict[str, Any]) -> None:
        """Set some switches, or none (FaultError) if any name or value is wrong."""
        changes = dict(changes)
        delay = None
        if "pgcr_delay" in changes:
            delay = check_switch("pgcr_delay", changes.pop("pgcr_delay"), "seconds")
        self.faults.update(changes)  # checks everything before it changes anything
        if isinstance(delay, float):
            with self.world.lock:
                self.world.pgcr_delay = timedelta(seconds=delay)

    def record(self, since: datetime | None, kinds: frozenset[str]) -> dict[str, Any]:
        self.world.sync()
        with self.world.lock:
            world = self.world
            found = [
                h for h in world.record if h.kind in kinds and (since is None or h.at >= since)
            ]
            private = [m.membership_id for m in world.roster() if m.private]
            now = world.now
        return {"record": [happening_json(h) for h in found], "private": private, "now": iso(now)}

    def stats(self) -> dict[str, Any]:
        with self._lock:
            requests = dict(sorted(self.requests.items()))
        return {
            "requests": requests,
            "total": sum(requests.values()),
            "world": self.world.summary(),
        }


class BungieHandler(tornado.web.RequestHandler):
    """One Bungie endpoint: key check, faults, then the render function."""

    endpoint = ""

    def initialize(self, sim: Simulator) -> None:
        self.sim = sim

    def compute_etag(self) -> None:
        return None

    def answer(self) -> Any:  # pragma: no cover - each endpoint overrides
        raise NotImplementedError

    method = "GET"  # the HTTP method the endpoint answers (the admin ones are POSTs)

    async def get(self, *args: str) -> None:
        await self.serve("GET", args)

    async def post(self, *args: str) -> None:
        await self.serve("POST", args)

    async def serve(self, method: str, args: tuple[str, ...]) -> None:
        self.sim.count(self.endpoint, self.request.path)
        self.args_ = args
        faults = self.sim.faults
        if faults.delay > 0:
            await asyncio.sleep(faults.delay)
        key = self.request.headers.get("X-API-Key", "").strip()
        try:
            if not key:
                raise SimError(
                    2102,
                    "ApiKeyMissingFromRequest",
                    "Please provide an API key in the X-API-Key header.",
                    401,
                )
            if key in faults.rejected_keys:
                raise SimError(
                    2101, "ApiInvalidOrExpiredKey", "The API key is invalid or has expired.", 401
                )
            if faults.maintenance and faults.maintenance_html:
                self.set_status(503)
                self.set_header("Content-Type", "text/html; charset=utf-8")
                self.finish(MAINTENANCE_HTML)
                return
            if faults.maintenance:
                raise SimError(
                    5, "SystemDisabled", "This system is temporarily disabled for maintenance.", 503
                )
            if self.method != "ANY" and method != self.method:
                raise SimError(
                    2, "TransportException", f"The endpoint does not accept {method}.", 405
                )
            if faults.over_rate_limit():
                raise SimError(
                    51,
                    "PerEndpointRequestThrottleExceeded",
                    "Too many requests from your IP; slow down.",
                    429,
                )
            if faults.take_throttle():
                raise SimError(
                    faults.throttle_code,
                    "ThrottleLimitExceededMomentarily",
                    "Please wait and try again.",
                    200,
                )
            self.sim.world.sync()
            while True:
                try:
                    with self.sim.world.lock:
                        payload = self.answer()
                    break
                except render.NotPlayedYet as wait:
                    # The past this page reaches is still being played: wait for it off
                    # the event loop (a real server takes its time too).
                    await asyncio.get_running_loop().run_in_executor(
                        None, self.sim.archive.wait_for, wait.day, 5.0
                    )
        except SimError as exc:
            self.send_envelope(None, exc)
            return
        self.send_envelope(payload)

    def send_envelope(self, payload: Any, error: SimError | None = None) -> None:
        faults = self.sim.faults
        if error is None:
            body = {
                "Response": payload,
                "ErrorCode": 1,
                "ThrottleSeconds": 0,
                "ErrorStatus": "Success",
                "Message": "Ok",
                "MessageData": {},
            }
        else:
            throttle = faults.throttle_seconds if error.code in (36, 51, 31, 37) else 0
            body = {
                "ErrorCode": error.code,
                "ThrottleSeconds": throttle,
                "ErrorStatus": error.status,
                "Message": error.message,
                "MessageData": {},
            }
            self.set_status(error.http_status)
        text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        if faults.take_truncate():
            text = text[: len(text) // 2]
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.set_header(
            "Cache-Control",
            "public, max-age=300" if self.endpoint.endswith("PostGameCarnageReport") else "private",
        )
        self.finish(text)

    def query_int(self, name: str, default: int) -> int:
        raw = self.get_query_argument(name, None)
        if raw is None or raw == "":
            return default
        try:
            return int(raw)
        except ValueError:
            raise SimError(
                7, "ParameterParseFailure", f"Unable to parse your parameters. ({name}: {raw})", 500
            ) from None

    def path_int(self, index: int) -> int:
        try:
            return int(self.args_[index])
        except ValueError:
            raise SimError(
                7, "ParameterParseFailure", "Unable to parse your parameters.", 500
            ) from None


def endpoint(name: str, fn: Callable[[BungieHandler], Any]) -> type[BungieHandler]:
    return type(name.replace(".", "_"), (BungieHandler,), {"endpoint": name, "answer": fn})


GetGroup = endpoint("GroupV2.GetGroup", lambda h: render.group_response(h.sim.world, h.args_[0]))
GetMembers = endpoint(
    "GroupV2.GetMembersOfGroup",
    lambda h: render.members_page(h.sim.world, h.args_[0], h.query_int("currentpage", 1)),
)
GetProfile = endpoint(
    "Destiny2.GetProfile",
    lambda h: render.profile_response(
        h.sim.world,
        h.path_int(0),
        h.args_[1],
        render.parse_components(h.get_query_argument("components", "")),
    ),
)
GetHistory = endpoint(
    "Destiny2.GetActivityHistory",
    lambda h: render.history_response(
        h.sim.world,
        h.sim.archive,
        h.path_int(0),
        h.args_[1],
        h.args_[2],
        h.query_int("count", 25),
        h.query_int("mode", 0),
        h.query_int("page", 0),
    ),
)
GetCharacterStats = endpoint(
    "Destiny2.GetHistoricalStats",
    lambda h: render.character_stats_response(
        h.sim.world,
        h.path_int(0),
        h.args_[1],
        h.args_[2],
        render.parse_modes(h.get_query_argument("modes", None)),
    ),
)


def _account_stats(h: BungieHandler) -> Any:
    """A member's account stats; an applicant's too (an admin looks before approving)."""
    membership_type, membership_id = h.path_int(0), h.args_[1]
    world = h.sim.world
    if world.members.get(membership_id) is None:
        for app in h.sim.applicants.pending(world):
            if app.member.membership_id == membership_id:
                if app.member.membership_type != membership_type:
                    break
                if app.member.private:
                    raise SimError(1665, "DestinyPrivacyRestriction", "This profile is private.")
                return render.account_stats_response(
                    world, membership_type, membership_id, app.member
                )
    return render.account_stats_response(world, membership_type, membership_id)


GetAccountStats = endpoint("Destiny2.GetHistoricalStatsForAccount", _account_stats)
GetPgcr = endpoint(
    "Destiny2.GetPostGameCarnageReport",
    lambda h: render.pgcr_response(h.sim.world, h.args_[0], h.sim.archive),
)
GetDefinition = endpoint(
    "Destiny2.GetDestinyEntityDefinition",
    lambda h: render.definition_response(h.sim.world, h.args_[0], h.args_[1]),
)
GetManifest = endpoint("Destiny2.GetDestinyManifest", lambda h: render.manifest_response())


def _body(h: BungieHandler) -> dict[str, Any]:
    try:
        body = json.loads(h.request.body or b"{}")
    except (ValueError, UnicodeDecodeError):
        raise SimError(7, "ParameterParseFailure", "The request body is not JSON.", 400) from None
    if not isinstance(body, dict):
        raise SimError(7, "ParameterParseFailure", "The request body must be an object.", 400)
    return body


def _grant(h: BungieHandler) -> admin.Grant:
    return h.sim.oauth.check(h.request.headers.get("Authorization"), h.sim.world.now)


def _admin(h: BungieHandler) -> SimMember:
    """The signed-in admin of the clan in the path (args_[0]), or Bungie's refusal."""
    return admin.admin_of(h.sim.world, _grant(h), h.args_[0])


def _memberships(h: BungieHandler) -> dict[str, Any]:
    grant = _grant(h)
    member = h.sim.world.members.get(grant.membership_id)
    if member is None:
        raise SimError(1601, "DestinyAccountNotFound", "No Destiny account.")
    return {
        "destinyMemberships": [render.user_card(member, group=True)],
        "primaryMembershipId": None,
        "bungieNetUser": {
            "membershipId": admin.bnet_id(member.membership_id),
            "uniqueName": member.bungie_name,
            "displayName": member.name,
            "cachedBungieGlobalDisplayName": member.name,
            **(
                {"cachedBungieGlobalDisplayNameCode": member.code}
                if member.code is not None
                else {}
            ),
        },
    }


def _application(h: BungieHandler, app: admin.Application) -> dict[str, Any]:
    return {
        "groupId": h.sim.world.group_id,
        "creationDate": iso(app.at),
        "resolveState": 0,
        "resolveDate": None,
        "resolvedByMembershipId": None,
        "requestMessage": app.message,
        "resolveMessage": "",
        "destinyUserInfo": render.user_card(app.member, group=True),
        "bungieNetUserInfo": {
            "membershipType": 254,
            "membershipId": admin.bnet_id(app.member.membership_id),
            "displayName": app.member.name,
            "bungieGlobalDisplayName": app.member.name,
        },
    }


def _pending(h: BungieHandler) -> dict[str, Any]:
    _admin(h)
    page = h.query_int("currentpage", 1)
    if page < 1:
        raise SimError(8, "ParameterInvalidRange", "currentpage must be 1 or more.", 400)
    found = h.sim.applicants.pending(h.sim.world)
    chunk = found[(page - 1) * render.PAGE_SIZE : page * render.PAGE_SIZE]
    return {
        "results": [_application(h, a) for a in chunk],
        "totalResults": len(found),
        "hasMore": page * render.PAGE_SIZE < len(found),
        "query": {"itemsPerPage": render.PAGE_SIZE, "currentPage": page},
        "useTotalResults": True,
    }


def _resolve_one(h: BungieHandler, approve: bool) -> bool:
    caller = _admin(h)
    _body(h)
    app = h.sim.applicants.find(h.sim.world, h.path_int(1), h.args_[2])
    if approve:
        admin.approve(h.sim.world, h.sim.applicants, app, caller)
    else:
        admin.deny(h.sim.applicants, app)
    return True


def _resolve_many(h: BungieHandler, approve: bool, listed: bool) -> list[dict[str, Any]]:
    caller = _admin(h)
    body = _body(h)
    world = h.sim.world
    if listed:
        wanted = body.get("memberships")
        if not isinstance(wanted, list):
            raise SimError(18, "InvalidParameters", "memberships must be a list.", 400)
        pairs = []
        for item in wanted:
            try:
                pairs.append((int(item["membershipType"]), str(int(item["membershipId"]))))
            except (KeyError, TypeError, ValueError):
                raise SimError(7, "ParameterParseFailure", "A bad membership.", 400) from None
    else:
        pairs = [
            (a.member.membership_type, a.member.membership_id)
            for a in h.sim.applicants.pending(world)
        ]
    results = []
    for membership_type, membership_id in pairs:
        try:
            app = h.sim.applicants.find(world, membership_type, membership_id)
        except SimError as exc:
            results.append({"entityId": membership_id, "result": exc.code})
            continue
        if approve:
            admin.approve(world, h.sim.applicants, app, caller)
        else:
            admin.deny(h.sim.applicants, app)
        results.append({"entityId": membership_id, "result": 1})
    return results


def _kick(h: BungieHandler) -> dict[str, Any]:
    caller = _admin(h)
    member = admin.target_of(h.sim.world, caller, h.path_int(1), h.args_[2])
    admin.kick(h.sim.world, member)
    detail = render.group_response(h.sim.world, h.sim.world.group_id)["detail"]
    return {"group": detail, "groupDeleted": False}


def _ban(h: BungieHandler) -> int:
    caller = _admin(h)
    body = _body(h)
    if not isinstance(body.get("length", 0), int):
        raise SimError(7, "ParameterParseFailure", "length must be a number.", 400)
    member = admin.target_of(h.sim.world, caller, h.path_int(1), h.args_[2])
    admin.ban(h.sim.world, h.sim.banned, member)
    return 0


def _set_type(h: BungieHandler) -> int:
    caller = _admin(h)
    member = admin.target_of(h.sim.world, caller, h.path_int(1), h.args_[2])
    admin.set_rank(h.sim.world, caller, member, h.path_int(3))
    return 0


def admin_endpoint(
    name: str, fn: Callable[[BungieHandler], Any], method: str
) -> type[BungieHandler]:
    return type(
        name.replace(".", "_"), (BungieHandler,), {"endpoint": name, "answer": fn, "method": method}
    )


GetMemberships = endpoint("User.GetMembershipDataForCurrentUser", _memberships)
GetPending = endpoint("GroupV2.GetPendingMemberships", _pending)
Approve = admin_endpoint("GroupV2.ApprovePending", lambda h: _resolve_one(h, True), "POST")
ApproveList = admin_endpoint(
    "GroupV2.ApprovePendingForList", lambda h: _resolve_many(h, True, True), "POST"
)
ApproveAll = admin_endpoint(
    "GroupV2.ApproveAllPending", lambda h: _resolve_many(h, True, False), "POST"
)
DenyList = admin_endpoint(
    "GroupV2.DenyPendingForList", lambda h: _resolve_many(h, False, True), "POST"
)
DenyAll = admin_endpoint("GroupV2.DenyAllPending", lambda h: _resolve_many(h, False, False), "POST")
Kick = admin_endpoint("GroupV2.KickMember", _kick, "POST")
Ban = admin_endpoint("GroupV2.BanMember", _ban, "POST")
SetType = admin_endpoint("GroupV2.EditGroupMembership", _set_type, "POST")


class TokenHandler(tornado.web.RequestHandler):
    """POST /Platform/App/OAuth/Token/: Bungie's OAuth token endpoint (form in, JSON out,
    no envelope), the client authenticated with HTTP Basic."""

    def initialize(self, sim: Simulator) -> None:
        self.sim = sim

    def post(self) -> None:
        self.sim.count("App.OAuthToken", self.request.path)
        form = {k: self.get_body_argument(k, "") for k in self.request.body_arguments}
        basic = _basic_auth(self.request.headers.get("Authorization"))
        self.sim.world.sync()
        try:
            with self.sim.world.lock:
                body = self.sim.oauth.token(form, basic, self.sim.world.now)
        except admin.OAuthError as exc:
            self.set_status(exc.status)
            body = {"error": exc.error, "error_description": exc.description}
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(body))


def _basic_auth(header: str | None) -> tuple[str, str] | None:
    scheme, _, value = (header or "").partition(" ")
    if scheme.lower() != "basic":
        return None
    try:
        client_id, sep, secret = (
            base64.b64decode(value.strip(), validate=True).decode().partition(":")
        )
    except (ValueError, UnicodeDecodeError):
        return None
    return (client_id, secret) if sep else None


class AuthorizeHandler(tornado.web.RequestHandler):
    """GET/POST /en/OAuth/Authorize: Bungie's consent page, simulated as a form that picks
    which clan member signs in (no script: it works under any CSP)."""

    def initialize(self, sim: Simulator) -> None:
        self.sim = sim

    def set_default_headers(self) -> None:
        self.set_header(
            "Content-Security-Policy",
            "default-src 'none'; form-action *; frame-ancestors 'none'",
        )
        self.set_header("Cache-Control", "no-store")

    def get(self) -> None:
        client_id = self.get_query_argument("client_id", "")
        state = self.get_query_argument("state", "")
        if (
            self.get_query_argument("response_type", "") != "code"
            or client_id not in self.sim.oauth.clients
        ):
            raise tornado.web.HTTPError(400, "unknown client_id or response_type not code")
        self.sim.world.sync()
        with self.sim.world.lock:
            roster = sorted(self.sim.world.roster(), key=lambda m: (-m.rank, m.name.lower()))
            options = "".join(
                f'<option value="{m.membership_id}">{xhtml_escape(m.bungie_name)} '
                f"({RANK_NAMES.get(m.rank, m.rank)})</option>"
                for m in roster
            )
        self.set_header("Content-Type", "text/html; charset=utf-8")
        self.finish(
            "<!doctype html><html lang=en><head><meta charset=utf-8>"
            "<title>Sign in with Bungie.net (simulated)</title></head><body>"
            "<h1>Sign in with Bungie.net</h1>"
            "<p>The simulated Bungie.net: choose which clan member signs in.</p>"
            '<form method="post" action="/en/OAuth/Authorize">'
            f'<input type="hidden" name="client_id" value="{xhtml_escape(client_id)}">'
            f'<input type="hidden" name="state" value="{xhtml_escape(state)}">'
            '<label for="member">Sign in as</label> '
            f'<select id="member" name="membership_id">{options}</select> '
            '<button type="submit" name="approve" value="1">Authorize</button>'
            "</form></body></html>"
        )

    def post(self) -> None:
        client_id = self.get_body_argument("client_id", "")
        state = self.get_body_argument("state", "")
        membership_id = self.get_body_argument("membership_id", "")
        self.sim.world.sync()
        with self.sim.world.lock:
            if self.sim.world.members.get(membership_id) is None:
                raise tornado.web.HTTPError(400, "no such member")
            try:
                code, client = self.sim.oauth.authorize(
                    client_id, membership_id, self.sim.world.now
                )
            except admin.OAuthError as exc:
                raise tornado.web.HTTPError(400, exc.description) from None
        self.redirect(f"{client.redirect_url}?{urlencode({'code': code, 'state': state})}")


RANK_NAMES = {1: "Beginner", 2: "Member", 3: "Admin", 4: "Acting founder", 5: "Founder"}


class NotFoundHandler(BungieHandler):
    endpoint = "unknown"
    method = "ANY"

    def answer(self) -> Any:
        raise SimError(21, "NotFound", "No such endpoint.", 404)


class SlashRedirectHandler(tornado.web.RequestHandler):
    """Bungie redirects paths without their trailing slash; so do we."""

    def initialize(self, sim: Simulator) -> None:
        self.sim = sim

    def get(self, path: str) -> None:
        self.sim.count("redirect")
        query = f"?{self.request.query}" if self.request.query else ""
        self.redirect(f"{path}/{query}", permanent=True)


class ComponentContentHandler(tornado.web.RequestHandler):
    """The per-table manifest JSON that jsonWorldComponentContentPaths points at."""

    def initialize(self, sim: Simulator) -> None:
        self.sim = sim

    def get(self, table: str, version: str) -> None:
        self.sim.count("ManifestContent")
        catalog = self.sim.world.catalog
        if version != render.MANIFEST_VERSION:
            raise tornado.web.HTTPError(404)
        if table == "DestinyActivityDefinition":
            content = {str(h): a.definition() for h, a in catalog.activities.items()}
        elif table == "DestinyActivityModeDefinition":
            content = {str(h): catalog.mode_definition(h) or {} for h in catalog.modes}
        else:
            raise tornado.web.HTTPError(404)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(content, separators=(",", ":")))


class SimClanHandler(tornado.web.RequestHandler):
    def initialize(self, sim: Simulator) -> None:
        self.sim = sim

    def get(self) -> None:
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.finish({"groupId": self.sim.world.group_id, "name": self.sim.world.clan_name})


class SimStatsHandler(SimClanHandler):
    def get(self) -> None:
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.finish(json.dumps(self.sim.stats()))


def happening_json(happening: Happening) -> dict[str, Any]:
    return {
        "at": iso(happening.at),
        "kind": happening.kind,
        "members": list(happening.members),
        "activityHash": happening.activity_hash,
        "instanceId": happening.instance_id,
        "cleared": happening.cleared,
    }


class SimJsonHandler(SimClanHandler):
    """A /sim/ path: plain JSON in and out, errors as `{"error": ...}`."""

    def send_json(self, body: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.finish(json.dumps(body, ensure_ascii=False))

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        self.send_json({"error": self._reason}, status_code)


class SimRecordHandler(SimJsonHandler):
    """GET /sim/record?since=ISO&kinds=started,finished,joined,left,online,offline

    `since` (ISO-8601; without an offset it is UTC) keeps happenings at or after it;
    without it, everything the world has recorded since it began playing. `kinds`, a
    comma-separated list, keeps those kinds; without it (or empty), all of them.
    Oldest first."""

    def get(self) -> None:
        raw_since = self.get_query_argument("since", None)
        since = None
        if raw_since:
            try:
                since = datetime.fromisoformat(raw_since.strip().replace("Z", "+00:00"))
            except ValueError:
                self.send_json({"error": f"since: not an ISO-8601 time: {raw_since!r}"}, 400)
                return
            if since.tzinfo is None:
                since = since.replace(tzinfo=UTC)
        raw_kinds = self.get_query_argument("kinds", None) or ""
        kinds = frozenset(k.strip() for k in raw_kinds.split(",") if k.strip()) or KINDS
        if kinds - KINDS:
            unknown = ", ".join(sorted(kinds - KINDS))
            self.send_json(
                {"error": f"kinds: unknown {unknown}; known: {', '.join(sorted(KINDS))}"}, 400
            )
            return
        self.send_json(self.sim.record(since, kinds))


class SimFaultsHandler(SimJsonHandler):
    """GET /sim/faults → the fault switches; POST /sim/faults with a JSON object sets the
    ones it names and answers the new state.

    Keys are snake_case, the names of the Faults fields: `maintenance` (bool: ErrorCode 5
    on every call), `maintenance_html` (bool: ... as an HTML page), `throttle_next` (count:
    answer the next N calls with `throttle_code`, default 36), `throttle_seconds` (count:
    the ThrottleSeconds of throttle answers), `delay` (seconds before each answer, 0-300),
    `truncate_next` (count: cut the next N JSON bodies in half), `rate_limit` (requests/s
    averaged over 10 s before ErrorCode 51, or null for no ceiling) and `pgcr_delay`
    (seconds between an activity's end and its PGCR's publication, for activities that
    end from now on). An unknown key or a wrong type is a 400 and changes nothing."""

    def get(self) -> None:
        self.send_json(self.sim.switches())

    def post(self) -> None:
        try:
            changes = json.loads(self.request.body or b"null")
        except (ValueError, UnicodeDecodeError) as exc:
            self.send_json({"error": f"the body is not JSON: {exc}"}, 400)
            return
        if not isinstance(changes, dict):
            self.send_json({"error": "the body must be a JSON object of switches"}, 400)
            return
        try:
            self.sim.set_switches(changes)
        except FaultError as exc:
            self.send_json({"error": str(exc)}, 400)
            return
        log.info("fault switches set: %s", ", ".join(f"{k}={v}" for k, v in changes.items()))
        self.send_json(self.sim.switches())


class SimOAuthHandler(SimJsonHandler):
    """POST /sim/oauth (JSON) for a harness: `{"client": {"clientId", "clientSecret",
    "redirectUrl", "scopes"?}}` registers an OAuth client, `{"revoke": membershipId}`
    withdraws a member's tokens, `{"expireAccessTokens": true}` expires every access token."""

    def post(self) -> None:
        try:
            body = json.loads(self.request.body or b"null")
        except (ValueError, UnicodeDecodeError):
            self.send_json({"error": "the body is not JSON"}, 400)
            return
        if not isinstance(body, dict) or not body:
            self.send_json({"error": "the body must be a JSON object"}, 400)
            return
        answer: dict[str, Any] = {}
        with self.sim.world.lock:
            now = self.sim.world.now
            client = body.get("client")
            if client is not None:
                try:
                    self.sim.oauth.register(
                        str(client["clientId"]),
                        str(client["clientSecret"]),
                        str(client["redirectUrl"]),
                        frozenset(client.get("scopes") or admin.DEFAULT_SCOPES),
                    )
                except (KeyError, TypeError):
                    self.send_json(
                        {"error": "client needs clientId, clientSecret, redirectUrl"}, 400
                    )
                    return
                answer["registered"] = str(client["clientId"])
            if body.get("revoke"):
                answer["revoked"] = self.sim.oauth.revoke(str(body["revoke"]))
            if body.get("expireAccessTokens"):
                answer["expired"] = self.sim.oauth.expire_access_tokens(now)
        self.send_json(answer)


ID = r"([0-9]+)"
P = r"(?i)/Platform"


def _log_request(handler: tornado.web.RequestHandler) -> None:
    request = handler.request
    log.debug("%d %s %.1fms", handler.get_status(), request.uri, request.request_time() * 1000)


def make_sim_app(sim: Simulator) -> tornado.web.Application:
    ctx = {"sim": sim}
    return tornado.web.Application(
        [
            (rf"{P}/GroupV2/{ID}/", GetGroup, ctx),
            (rf"{P}/GroupV2/{ID}/Members/", GetMembers, ctx),
            (rf"{P}/GroupV2/{ID}/Members/Pending/", GetPending, ctx),
            (rf"{P}/GroupV2/{ID}/Members/Approve/{ID}/{ID}/", Approve, ctx),
            (rf"{P}/GroupV2/{ID}/Members/ApproveList/", ApproveList, ctx),
            (rf"{P}/GroupV2/{ID}/Members/ApproveAll/", ApproveAll, ctx),
            (rf"{P}/GroupV2/{ID}/Members/DenyList/", DenyList, ctx),
            (rf"{P}/GroupV2/{ID}/Members/DenyAll/", DenyAll, ctx),
            (rf"{P}/GroupV2/{ID}/Members/{ID}/{ID}/Kick/", Kick, ctx),
            (rf"{P}/GroupV2/{ID}/Members/{ID}/{ID}/Ban/", Ban, ctx),
            (rf"{P}/GroupV2/{ID}/Members/{ID}/{ID}/SetMembershipType/{ID}/", SetType, ctx),
            (rf"{P}/User/GetMembershipsForCurrentUser/", GetMemberships, ctx),
            (rf"{P}/App/OAuth/Token/", TokenHandler, ctx),
            (r"(?i)/en/OAuth/Authorize/?", AuthorizeHandler, ctx),
            (rf"{P}/Destiny2/{ID}/Profile/{ID}/", GetProfile, ctx),
            (rf"{P}/Destiny2/{ID}/Account/{ID}/Character/{ID}/Stats/Activities/", GetHistory, ctx),
            (rf"{P}/Destiny2/{ID}/Account/{ID}/Character/{ID}/Stats/", GetCharacterStats, ctx),
            (rf"{P}/Destiny2/{ID}/Account/{ID}/Stats/", GetAccountStats, ctx),
            (rf"{P}/Destiny2/Stats/PostGameCarnageReport/{ID}/", GetPgcr, ctx),
            (rf"{P}/Destiny2/Manifest/", GetManifest, ctx),
            (rf"{P}/Destiny2/Manifest/(\w+)/([^/]+)/", GetDefinition, ctx),
            (r"(?i)(/Platform/.*[^/])", SlashRedirectHandler, ctx),
            (rf"{P}/.*", NotFoundHandler, ctx),
            (r"/common/destiny2_content/json/en/(\w+)-(.+)\.json", ComponentContentHandler, ctx),
            (r"/sim/clan", SimClanHandler, ctx),
            (r"/sim/stats", SimStatsHandler, ctx),
            (r"/sim/record", SimRecordHandler, ctx),
            (r"/sim/faults", SimFaultsHandler, ctx),
            (r"/sim/oauth", SimOAuthHandler, ctx),
        ],
        log_function=_log_request,
    )


class RunningSimulator:
    """A simulator serving HTTP on its own thread and event loop (demo mode, tests)."""

    def __init__(self, sim: Simulator, host: str = "127.0.0.1", port: int = 0) -> None:
        self.sim = sim
        self._server = ServerThread(
            lambda: tornado.httpserver.HTTPServer(make_sim_app(sim)), host, port, name="bungie-sim"
        )

    @property
    def port(self) -> int:
        return self._server.port

    @property
    def url(self) -> str:
        return f"http://{self._server.host}:{self.port}"

    @property
    def clan_id(self) -> str:
        return self.sim.clan_id

    @property
    def world(self) -> World:
        return self.sim.world

    @property
    def faults(self) -> Faults:
        return self.sim.faults

    def start(self) -> RunningSimulator:
        self._server.start()
        return self

    def stop(self) -> None:
        self.sim.archive.stop()
        self._server.stop()


HISTORY_DAYS = 365  # the demo's and `clanactors sim`'s past: a year of history


def start_in_thread(
    *,
    seed: int = 7,
    members: int = 100,
    clock: Clock | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    pgcr_delay: timedelta = timedelta(0),
    history_days: int = HISTORY_DAYS,
) -> RunningSimulator:
    sim = Simulator(
        seed=seed, members=members, clock=clock, pgcr_delay=pgcr_delay, history_days=history_days
    )
    return RunningSimulator(sim, host, port).start()


def run_standalone(
    *,
    host: str,
    port: int,
    seed: int,
    members: int,
    pace: float,
    hostile_names: bool = False,
    history_days: int = HISTORY_DAYS,
) -> int:
    """`clanactors sim`: serve until Ctrl-C / SIGTERM."""
    sim = Simulator(
        seed=seed,
        members=members,
        clock=ScaledClock(pace),
        hostile_names=hostile_names,
        history_days=history_days,
    )

    def listening(bound: int) -> None:
        world = sim.world.summary()
        log.info(
            "simulated Bungie API on http://%s:%d/Platform (clan %s, %d members, %d online,"
            " seed %d, pace %gx)",
            host,
            bound,
            sim.clan_id,
            world["members"],
            world["online"],
            seed,
            pace,
        )

    server = tornado.httpserver.HTTPServer(make_sim_app(sim))
    asyncio.run(serve_until_stopped(server, host, port, setting="--port", listening=listening))
    return 0
