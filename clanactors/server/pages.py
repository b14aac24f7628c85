"""Server-rendered pages: the first paint works without JavaScript; app.js then keeps the
page live over /ws."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

from clanactors.bungie.modes import is_pvp, match_name
from clanactors.domain.events import PRESENCE_KINDS
from clanactors.render import front
from clanactors.render.events import event_json
from clanactors.render.front import ago, parse_iso
from clanactors.render.roster_view import days_text
from clanactors.server.base import BaseHandler, DatabaseUnavailable
from clanactors.server.hub import server_time
from clanactors.store.eventlog import EventFilter, find_events

FEED_ON_PAGE = 50  # online/offline ones hidden unless asked for


def clock(text: str | None, now: datetime | None = None) -> str:
    """Elapsed time since `text` as m:ss or h:mm:ss (what the browser keeps ticking)."""
    moment = parse_iso(text)
    if moment is None:
        return ""
    seconds = max(0, int(((now or datetime.now(UTC)) - moment).total_seconds()))
    hours, rest = divmod(seconds, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


def duration(seconds: int) -> str:
    minutes, secs = divmod(int(seconds), 60)
    hours, minutes = divmod(minutes, 60)
    return f"{hours} h {minutes:02d} min" if hours else f"{minutes} min {secs:02d} s"


def number(value: int | None) -> str:
    return f"{value:,}" if value is not None else "-"


def count(value: int, thing: str) -> str:
    """ "1 death", "2 deaths", "0 kills": a number and its noun, agreeing."""
    return f"{value:,} {thing}{'' if value == 1 else 's'}"


HELPERS = {
    "count": count,
    "ago": ago,
    "clock": clock,
    "duration": duration,
    "number": number,
    "days_text": days_text,
    "match_name": match_name,
    "is_pvp": is_pvp,
}


class PageHandler(BaseHandler):
    """The base of every HTML page (CSP and headers come from BaseHandler)."""

    def get_template_namespace(self) -> dict[str, Any]:
        namespace = super().get_template_namespace()
        # When the page was built: with JavaScript off it is a snapshot of that moment.
        taken = self.ctx.clock.now().astimezone(UTC).replace(microsecond=0)
        namespace["snapshot_taken"] = taken.strftime("%Y-%m-%dT%H:%M:%SZ")
        return namespace


class IndexHandler(PageHandler):
    """The front page. Rendered at most once a second, whatever changes in it: every
    visitor in that second gets the same bytes, and a newer clan state or event is shown
    by the next second's build (the page's WebSocket brings it sooner). Single-flight: the
    second's first visitors all wait for the one build."""

    async def get(self) -> None:
        second = int(self.ctx.clock.now().timestamp())
        self.finish(await self.ctx.hub.pages.body(("front", second, self.viewer_key), self._build))

    async def _build(self) -> bytes:
        try:
            stored = await self.in_db(find_events, EventFilter(limit=FEED_ON_PAGE))
            feed = [event_json(e) for e in stored]
        except DatabaseUnavailable:
            # The database is down: the newest events this process saw, from memory.
            feed = [json.loads(frame)["event"] for frame in self.ctx.hub.recent_frames]
            feed = feed[-FEED_ON_PAGE:]
        return self._render(feed)

    def _render(self, feed: list[dict[str, Any]]) -> bytes:
        """The front page; `feed` holds event JSON, oldest first."""
        snapshot = self.ctx.hub.snapshot
        online = snapshot.members["online"]
        in_fireteam = {m for f in snapshot.fireteams for m in f["members"]}
        return self.render_string(
            "index.html",
            snapshot=snapshot,
            **HELPERS,
            feed=list(reversed(feed)),
            last_event_id=feed[-1]["id"] if feed else 0,
            solo=[
                m for m in online if m["currentActivity"] and m["membershipId"] not in in_fireteam
            ],
            idle=[m for m in online if not m["currentActivity"]],
            names=snapshot.by_id,
            server_time=server_time(),
            presence_kinds=PRESENCE_KINDS,
            twins=front.twins(snapshot),
            code=front.code,
            guests=front.guests,
            idle_text=front.idle_text,
            tiles=front.TILES,
            stats_ready=front.stats_ready(snapshot.stats),
            tile=lambda key: front.tile(snapshot.stats, key),
            recent_detail=lambda r: front.recent_detail(r, duration(r["durationSeconds"])),
            recent_title=front.recent_title,
            recent_mode=front.recent_mode,
            recent_result=front.recent_result,
        )
