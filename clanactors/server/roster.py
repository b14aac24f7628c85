"""/roster and /roster.csv: every member, sortable and filterable, from the clan state in
memory (roster and account stats), so both answer even while the database is down."""

from __future__ import annotations

from datetime import datetime
from urllib.parse import urlencode

import tornado.web
from sqlalchemy.orm import Session

from clanactors.render.roster_view import (
    DEFAULT_INACTIVE_DAYS,
    RANKS,
    SORT_KEYS,
    RosterQuery,
    RosterRow,
    roster_csv,
    roster_row,
    select_rows,
)
from clanactors.server.base import DatabaseUnavailable
from clanactors.server.clanpage import ClanDocument, ClanPage
from clanactors.store.history import ImportProgress, progress

MAX_SEARCH = 64

COLUMNS = (  # (sort key, heading)
    ("name", "Member"),
    ("rank", "Rank"),
    ("joined", "Joined"),
    ("away", "Days away"),
    ("days", "Days in clan"),
    ("private", "Private"),
    ("time", "Hours played"),
    ("activities", "Activities cleared"),
    ("raids", "Raid clears"),
)


def read_progress(session: Session) -> ImportProgress:
    return progress(session)


def roster_query(handler: ClanPage) -> RosterQuery:
    """The query string as a RosterQuery; anything malformed is a 400.

    One control filters by inactivity: `days=N` (members away at least N days); the older
    `inactive=1` alone means the default 30. Filtered, the list is sorted by days away,
    longest first (a purge list)."""
    inactive = handler.get_query_argument("inactive", "")
    if inactive not in ("", "0", "1", "on"):
        raise tornado.web.HTTPError(400, "inactive must be 1 or empty")
    days: int | None = None
    if handler.get_query_argument("days", ""):
        days = handler.int_argument("days", DEFAULT_INACTIVE_DAYS, 1, 3650)
    elif inactive in ("1", "on"):
        days = DEFAULT_INACTIVE_DAYS
    sort = handler.get_query_argument("sort", "") or ("away" if days is not None else "name")
    if sort not in SORT_KEYS:
        raise tornado.web.HTTPError(400, f"sort must be one of {', '.join(SORT_KEYS)}")
    order = handler.get_query_argument("order", "") or ("asc" if sort == "name" else "desc")
    if order not in ("asc", "desc"):
        raise tornado.web.HTTPError(400, "order must be asc or desc")
    rank = handler.get_query_argument("rank", "") or None
    if rank is not None and rank not in RANKS:
        raise tornado.web.HTTPError(400, f"rank must be one of {', '.join(RANKS)}")
    search = handler.get_query_argument("q", "")
    if len(search) > MAX_SEARCH:
        raise tornado.web.HTTPError(400, f"q is longer than {MAX_SEARCH} characters")
    return RosterQuery(
        sort=sort,
        descending=order == "desc",
        rank=rank,
        search=search,
        inactive_days=days,
        chosen_order=bool(
            handler.get_query_argument("sort", "") or handler.get_query_argument("order", "")
        ),
    )


def query_string(query: RosterQuery, **change: str) -> str:
    """The query string of `query`, with some parameters changed ("" drops one)."""
    params = {
        "sort": query.sort,
        "order": "desc" if query.descending else "asc",
        "rank": query.rank or "",
        "q": query.search,
        "days": str(query.inactive_days) if query.inactive_days is not None else "",
    }
    params.update(change)
    return urlencode({k: v for k, v in params.items() if v})


def sort_link(query: RosterQuery, key: str) -> str:
    """The column heading's link: sort by it, or flip the order when it already is."""
    if query.sort == key:
        order = "asc" if query.descending else "desc"
    else:
        order = "asc" if key == "name" else "desc"
    return "/roster?" + query_string(query, sort=key, order=order)


class RosterBase(ClanPage):
    def rows(self, query: RosterQuery, now: datetime) -> list[RosterRow]:
        members = self.ctx.hub.snapshot.members
        everyone = [roster_row(m, now) for m in (*members["online"], *members["offline"])]
        return select_rows(everyone, query, now)


class RosterPage(RosterBase):
    async def get(self) -> None:
        query = roster_query(self)

        async def build(now: datetime) -> bytes:
            rows = self.rows(query, now)
            try:
                history: ImportProgress | None = await self.in_db(read_progress)
            except DatabaseUnavailable:
                history = None  # the roster is served from memory; the line can wait
            return self.page(
                "roster.html",
                now,
                query=query,
                rows=rows,
                columns=COLUMNS,
                ranks=RANKS,
                sort_link=lambda key: sort_link(query, key),
                csv_link="/roster.csv?" + query_string(query),
                total=len(self.ctx.hub.snapshot.member_ids()),
                history=history,
            )

        await self.send_cached((query,), build)


class RosterCsv(RosterBase, ClanDocument):
    content_type = "text/csv; charset=utf-8"

    async def get(self) -> None:
        query = roster_query(self)
        self.set_header("Content-Disposition", 'attachment; filename="roster.csv"')

        async def build(now: datetime) -> bytes:
            return roster_csv(self.rows(query, now)).encode("utf-8")

        await self.send_cached((query,), build)
