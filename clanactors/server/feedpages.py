"""/feed (the whole event log, newest first, paged by cursor, filtered by kind and
member) and /feed.atom (Atom 1.0 of the newest 50). The member is a membershipId or a
name, matched ignoring case and accents (names.py)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from urllib.parse import urlencode

import tornado.web

from clanactors.domain.events import KINDS, PRESENCE_KINDS, Kind
from clanactors.render.atom import atom_feed
from clanactors.render.front import twins
from clanactors.server.api import ID
from clanactors.server.clanpage import ClanDocument, ClanPage
from clanactors.store.eventlog import members_named
from clanactors.store.reports import FeedQuery, feed_page

PAGE = 50
MAX_NAME = 64
ATOM_ENTRIES = 50
KIND_NAMES = {
    Kind.ACTIVITY_CLEARED: "Clears",
    Kind.ACTIVITY_ENDED: "Not cleared",
    Kind.ACTIVITY_STARTED: "Started",
    Kind.MEMBER_JOINED: "Joined",
    Kind.MEMBER_LEFT: "Left",
    Kind.MEMBER_ONLINE: "Came online",
    Kind.MEMBER_OFFLINE: "Went offline",
}
PUBLIC_URL_SETTING = "clanactors_public_url"


def feed_query(handler: ClanPage, limit: int) -> FeedQuery:
    """The query string as a FeedQuery; anything malformed is a 400."""
    kind = handler.get_query_argument("kind", "") or None
    if kind is not None and kind not in KINDS:
        raise tornado.web.HTTPError(400, f"kind must be one of {', '.join(KINDS)}")
    member = handler.get_query_argument("member", "").strip() or None
    if member is not None and len(member) > MAX_NAME:
        raise tornado.web.HTTPError(400, f"member is longer than {MAX_NAME} characters")
    before = handler.get_query_argument("before", "")
    after = handler.get_query_argument("after", "")
    if before and after:
        raise tornado.web.HTTPError(400, "give before or after, not both")
    return FeedQuery(
        limit=limit,
        kind=kind,
        member=member,
        before=handler.int_argument("before", 0, 1, 2**63 - 1) if before else None,
        after=handler.int_argument("after", 0, 0, 2**63 - 1) if after else None,
    )


async def one_member(handler: ClanPage, query: FeedQuery) -> FeedQuery:
    """The query with a member given by name replaced by that member's id; a name that
    names nobody, or several members, is a 400 that says so."""
    if query.member is None or ID.fullmatch(query.member):
        return query
    found = await handler.in_db(members_named, query.member)
    if len(found) == 1:
        return replace(query, member=found[0].membership_id)
    if not found:
        raise tornado.web.HTTPError(400, f"no member is called {query.member!r}")
    names = ", ".join(sorted(m.bungie_name for m in found)[:5])
    raise tornado.web.HTTPError(
        400,
        f"{len(found)} members match {query.member!r} ({names}{', ...' if len(found) > 5 else ''})"
        ": give the name with its #code, or the membershipId",
    )


def feed_link(query: FeedQuery, **cursor: int) -> str:
    params = {"kind": query.kind or "", "member": query.member or ""}
    params.update({k: str(v) for k, v in cursor.items()})
    text = urlencode({k: v for k, v in params.items() if v})
    return "/feed?" + text if text else "/feed"


class FeedPage(ClanPage):
    async def get(self) -> None:
        query = await one_member(self, feed_query(self, PAGE))

        async def build(now: datetime) -> bytes:
            found = await self.in_db(feed_page, query)
            snapshot = self.ctx.hub.snapshot
            people = sorted(snapshot.by_id.values(), key=lambda m: m["bungieName"].casefold())
            return self.page(
                "feed.html",
                now,
                query=query,
                found=found,
                kinds=KIND_NAMES,
                people=people,
                members=snapshot.by_id,
                twins=twins(snapshot),
                older=feed_link(query, before=found.older) if found.older else None,
                newer=feed_link(query, after=found.newer) if found.newer else None,
                newest=feed_link(query) if query.before or query.after else None,
            )

        await self.send_cached((query,), build)


def atom_kinds(handler: ClanPage, query: FeedQuery) -> FeedQuery:
    """`kinds=a,b`: only those kinds. Without it (or `kind`), the Atom feed leaves out
    members coming online and going offline: a reader wants news, not presence."""
    raw = handler.get_query_argument("kinds", "")
    kinds = tuple(k for k in (part.strip() for part in raw.split(",")) if k)
    unknown = [k for k in kinds if k not in KINDS]
    if unknown:
        raise tornado.web.HTTPError(400, f"kinds must be among {', '.join(KINDS)}")
    if kinds:
        return replace(query, kinds=kinds)
    if query.kind is None:
        return replace(query, without=tuple(sorted(PRESENCE_KINDS)))
    return query


class FeedAtom(ClanDocument):
    content_type = "application/atom+xml; charset=utf-8"

    async def get(self) -> None:
        query = atom_kinds(self, await one_member(self, feed_query(self, ATOM_ENTRIES)))

        async def build(now: datetime) -> bytes:
            found = await self.in_db(feed_page, query)
            clan = self.ctx.hub.snapshot.clan
            return atom_feed(
                found.events,
                str(clan["id"] or ""),
                str(clan["name"] or ""),
                self.settings.get(PUBLIC_URL_SETTING),
                now,
            )

        await self.send_cached((query,), build)
