"""The admin pages (docs/api.md, "Admin pages"): pending applications, and kick, ban,
promote and demote from the roster, each a GroupV2 call with the signed-in admin's token.

Who may act is checked against the stored roster at every request and again before each
action (a demoted admin loses the controls at once). Every state change is a POST with
its `_xsrf` token (Tornado checks it before the handler runs). Calls go one at a time,
paced by the client's request ceiling, and are never retried blindly: what Bungie
refuses is shown with its message. Every action, done or refused, is an `admin_action`
event.
"""

from __future__ import annotations

import logging
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC
from typing import Any

import tornado.web

from clanactors.bungie.client import BungieClient
from clanactors.bungie.errors import BungieError, TransientError
from clanactors.bungie.models import AccountStats, Application
from clanactors.domain.events import Event, admin_action
from clanactors.render.events import event_json
from clanactors.server.auth import AuthHandler, with_token
from clanactors.server.pages import HELPERS
from clanactors.server.sessions import ADMIN_RANKS, SignedOut, Viewer
from clanactors.store import sessions as store
from clanactors.store.audit import record_with_outbox
from clanactors.store.eventlog import EventFilter, find_events

log = logging.getLogger(__name__)

MOST_AT_ONCE = 50  # members one request may act on
EVENTS_SHOWN = 50
STATS_SHOWN = 20  # applicants whose public stats are read for the page
RANK_NUMBERS = {"Beginner": 1, "Member": 2, "Admin": 3}
RANK_NAMES = {n: name for name, n in RANK_NUMBERS.items()}
# GroupBanRequest: `length` is Ignores.IgnoreLength, 8 = Forever (as bungie.net bans).
BAN_BODY = {"comment": "", "length": 8}
SELECTION = re.compile(r"[0-9]{1,20}")


@dataclass(frozen=True)
class Outcome:
    """One action as the result page lists it."""

    action: str
    names: tuple[str, ...]
    done: bool
    message: str


class AdminPage(AuthHandler):
    """Admins of this clan only; anyone else (signed in or not) a 403."""

    async def prepare(self) -> None:
        await super().prepare()
        self.auth  # noqa: B018 - 404 when sign-in is off
        if self.viewer is None:
            raise tornado.web.HTTPError(403, "sign in as an admin of this clan to see this page")
        if not self.viewer.is_admin:
            raise tornado.web.HTTPError(403, "only the clan's admins and founder may use this page")

    @property
    def admin(self) -> Viewer:
        assert self.viewer is not None
        return self.viewer

    async def still_admin(self) -> bool:
        rank = await self.in_db(store.member_rank, self.admin.membership_id)
        return rank in ADMIN_RANKS

    async def clan(self) -> str:
        clan_id = await self.in_db(store.clan_id)
        if clan_id is None:
            raise tornado.web.HTTPError(503, "the clan is not known yet; try again shortly")
        return str(clan_id)

    def selected(self) -> list[str]:
        chosen = []
        for raw in self.get_body_arguments("m"):
            if not SELECTION.fullmatch(raw):
                raise tornado.web.HTTPError(400, "a selected member is not a membership id")
            if raw not in chosen:
                chosen.append(raw)
        if len(chosen) > MOST_AT_ONCE:
            raise tornado.web.HTTPError(400, f"select at most {MOST_AT_ONCE} at once")
        return chosen

    async def record(
        self,
        action: str,
        targets: dict[str, str],
        members: list[str],
        done: bool,
        message: str,
        detail: str = "",
    ) -> Outcome:
        """The audit: one `admin_action` event for this attempt."""
        admin = (self.admin.membership_id, self.admin.display_name)
        event = admin_action(
            admin, action, targets, members, done, message, self.ctx.clock.now(),
            secrets.token_hex(8), detail,
        )  # fmt: skip
        await self.blocking(record_now, self.ctx, event)
        log.info(
            "admin action=%s by=%s targets=%d outcome=%s",
            action, admin[0], len(targets), "done" if done else "refused",
        )  # fmt: skip
        return Outcome(action, tuple(targets.values()), done, message)

    async def call(self, fn: Callable[[str], Any]) -> tuple[bool, str]:
        """One GroupV2 call with the admin's token: (done, Bungie's message)."""
        try:
            await with_token(self, self.admin, fn)
        except TransientError:
            return False, "Bungie.net could not be reached; nothing was retried"
        except BungieError as exc:
            return False, str(exc.args[0])
        return True, ""

    def show(self, template: str, **kwargs: Any) -> None:
        taken = self.ctx.clock.now().astimezone(UTC).replace(microsecond=0)
        self.render(
            template,
            snapshot=self.ctx.hub.snapshot,
            snapshot_taken=taken.strftime("%Y-%m-%dT%H:%M:%SZ"),
            **HELPERS,
            **kwargs,
        )

    def signed_out(self) -> None:
        self.redirect("/signin")


def _poster(
    client: BungieClient, endpoint: str, path: str, body: dict[str, Any] | None
) -> Callable[[str], Any]:
    return lambda token: client.admin_post(endpoint, path, token, body)


def record_now(ctx: Any, event: Event) -> int | None:
    """Store (and publish) an event from the web side (worker thread)."""
    if ctx.record_event is not None:
        return ctx.record_event(event)
    with ctx.db.session() as session:
        return record_with_outbox(session, event, ctx.clock.now(), (), ())


class AdminHome(AdminPage):
    async def get(self) -> None:
        clan_id = await self.clan()
        client = self.bungie
        pending: list[Application] | None = None
        error = ""
        try:
            pending = await with_token(
                self, self.admin, lambda token: client.get_pending(clan_id, token)
            )
        except SignedOut:
            self.signed_out()
            return
        except BungieError as exc:
            error = str(exc.args[0])
        stats: dict[str, AccountStats] = {}
        for app in [a for a in pending or () if a.is_public][:STATS_SHOWN]:
            m = app.membership
            try:  # public stats: the API key is enough
                stats[m.membership_id] = await self.blocking(
                    client.get_account_stats, m.membership_type, m.membership_id
                )
            except BungieError:
                continue  # shown as unknown; the page does not wait for it
        stored = await self.in_db(find_events, EventFilter(kind="admin_action", limit=EVENTS_SHOWN))
        self.show(
            "admin.html",
            pending=pending,
            stats=stats,
            error=error,
            events=[event_json(e) for e in reversed(stored)],
        )


class AdminApplications(AdminPage):
    """POST /admin/applications: approve or deny the selected applications, or all."""

    async def post(self) -> None:
        action = self.get_body_argument("action", "")
        if action not in ("approve", "deny", "approve_all", "deny_all"):
            raise tornado.web.HTTPError(400, "unknown action")
        verb = action.removesuffix("_all")
        chosen = [] if action.endswith("_all") else self.selected()
        if not action.endswith("_all") and not chosen:
            raise tornado.web.HTTPError(400, "select at least one application")
        clan_id = await self.clan()
        client = self.bungie
        try:
            pending = await with_token(
                self, self.admin, lambda token: client.get_pending(clan_id, token)
            )
        except SignedOut:
            self.signed_out()
            return
        except BungieError as exc:
            raise tornado.web.HTTPError(502, f"Bungie.net: {exc.args[0]}") from None
        by_id = {a.membership.membership_id: a for a in pending}
        outcomes: list[Outcome] = []
        gone = [m for m in chosen if m not in by_id]
        if gone:
            outcomes.append(Outcome(verb, tuple(gone), False, "no longer pending"))
        wanted = [by_id[m] for m in chosen if m in by_id] if chosen else list(pending)
        if not wanted:
            self.show("admin_result.html", outcomes=outcomes)
            return
        if not await self.still_admin():
            raise tornado.web.HTTPError(403, "you are no longer an admin of this clan")
        names = {a.membership.membership_id: a.membership.bungie_name for a in wanted}
        group = f"/GroupV2/{clan_id}/Members"
        body: dict[str, Any] = {"message": ""}
        try:
            if action.endswith("_all"):
                endpoint = "ApproveAllPending" if verb == "approve" else "DenyAllPending"
                path = f"{group}/{'ApproveAll' if verb == 'approve' else 'DenyAll'}/"
                results = await self._list_call(endpoint, path, body)
            elif len(wanted) == 1:
                m = wanted[0].membership
                endpoint = "ApprovePending" if verb == "approve" else "DenyPendingForList"
                if verb == "approve":
                    path = f"{group}/Approve/{m.membership_type}/{m.membership_id}/"
                    done, message = await self.call(
                        lambda token: client.admin_post(endpoint, path, token, body)
                    )
                    results = {m.membership_id: (done, message)}
                else:  # Bungie has no single deny: the list of one
                    results = await self._list_call(
                        endpoint, f"{group}/DenyList/", self._memberships(wanted, body)
                    )
            else:
                endpoint = "ApprovePendingForList" if verb == "approve" else "DenyPendingForList"
                path = f"{group}/{'ApproveList' if verb == 'approve' else 'DenyList'}/"
                results = await self._list_call(endpoint, path, self._memberships(wanted, body))
        except SignedOut:
            self.signed_out()
            return
        for membership_id, name in names.items():
            done, message = results.get(membership_id, (False, "Bungie did not answer for them"))
            members = [membership_id] if verb == "approve" and done else []
            outcomes.append(await self.record(verb, {membership_id: name}, members, done, message))
        self.show("admin_result.html", outcomes=outcomes)

    @staticmethod
    def _memberships(apps: list[Application], body: dict[str, Any]) -> dict[str, Any]:
        return {
            **body,
            "memberships": [
                {
                    "membershipType": a.membership.membership_type,
                    "membershipId": a.membership.membership_id,
                }
                for a in apps
            ],
        }

    async def _list_call(
        self, endpoint: str, path: str, body: dict[str, Any]
    ) -> dict[str, tuple[bool, str]]:
        client = self.bungie
        try:
            answer = await with_token(
                self, self.admin, lambda token: client.admin_post(endpoint, path, token, body)
            )
        except TransientError:
            return {}
        except BungieError as exc:
            message = str(exc.args[0])
            return {m["membershipId"]: (False, message) for m in body.get("memberships", [])}
        results: dict[str, tuple[bool, str]] = {}
        for row in answer if isinstance(answer, list) else []:
            code = int(row.get("result") or 0)
            results[str(row.get("entityId"))] = (
                code == 1,
                "" if code == 1 else f"Bungie refused (ErrorCode {code})",
            )
        return results


class AdminMembers(AdminPage):
    """POST /admin/members: kick or ban (after a confirmation page listing them), promote
    or demote the members selected on the roster."""

    async def post(self) -> None:
        action = self.get_body_argument("action", "")
        if action not in ("kick", "ban", "promote", "demote"):
            raise tornado.web.HTTPError(400, "unknown action")
        chosen = self.selected()
        if not chosen:
            raise tornado.web.HTTPError(400, "select at least one member")
        found = await self.in_db(store.roster_entries, chosen)
        entries = [found[m] for m in chosen if m in found]
        missing = [m for m in chosen if m not in found]
        if action in ("kick", "ban") and self.get_body_argument("confirm", "") != "yes":
            self.show("admin_confirm.html", action=action, entries=entries, missing=missing)
            return
        clan_id = await self.clan()
        client = self.bungie
        outcomes: list[Outcome] = []
        if missing:
            outcomes.append(Outcome(action, tuple(missing), False, "not in the clan's roster"))
        for entry in entries:
            if not await self.still_admin():
                raise tornado.web.HTTPError(403, "you are no longer an admin of this clan")
            target = {entry.membership_id: entry.bungie_name}
            base = f"/GroupV2/{clan_id}/Members/{entry.membership_type}/{entry.membership_id}"
            detail = ""
            if action == "kick":
                endpoint, path, body = "KickMember", f"{base}/Kick/", None
            elif action == "ban":
                endpoint, path, body = "BanMember", f"{base}/Ban/", BAN_BODY
            else:
                now = RANK_NUMBERS.get(entry.rank)
                new = None if now is None else now + (1 if action == "promote" else -1)
                if new not in RANK_NAMES:
                    outcomes.append(
                        await self.record(
                            action,
                            target,
                            [entry.membership_id],
                            False,
                            f"a {entry.rank} cannot be {action}d here",
                        )
                    )
                    continue
                assert new is not None
                detail = f"to {RANK_NAMES[new]}"
                endpoint = "EditGroupMembership"
                path, body = f"{base}/SetMembershipType/{new}/", None
            try:
                done, message = await self.call(_poster(client, endpoint, path, body))
            except SignedOut:
                self.signed_out()
                return
            outcomes.append(
                await self.record(action, target, [entry.membership_id], done, message, detail)
            )
        self.show("admin_result.html", outcomes=outcomes)
