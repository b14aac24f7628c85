"""What the clan's own pages share (roster, leaderboards, feed, member, activity): the
clock they read "now" from, "ago" against that clock, and a per-second cache of rendered
bodies, so a page a thousand visitors load in one second is built once."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from tornado.escape import url_escape, xhtml_escape

from clanactors.server.base import security_headers
from clanactors.server.pages import HELPERS, PageHandler, ago


def hours(seconds: int) -> str:
    """Time played: "3 h 05 min", or "45 min" under an hour."""
    h, rest = divmod(int(seconds), 3600)
    return f"{h} h {rest // 60:02d} min" if h else f"{rest // 60} min"


def member_link(member: dict[str, Any]) -> str:
    """A member's name linked to their page, with their #code: HTML, every part escaped."""
    name = str(member["bungieName"])
    code = "#" + name.rpartition("#")[2] if "#" in name else ""
    return (
        f'<a href="/members/{url_escape(str(member["membershipId"]))}">'
        f"{xhtml_escape(member['displayName'])}</a>"
        f' <span class="code">{xhtml_escape(code)}</span>'
    )


class ClanPage(PageHandler):
    """A page built from the clan state and the database; `build` renders its body."""

    content_type = "text/html; charset=UTF-8"

    def now(self) -> datetime:
        return self.ctx.clock.now().astimezone(UTC)

    def helpers(self, now: datetime) -> dict[str, Any]:
        return {**HELPERS, "ago": lambda text: ago(text, now), "member_link": member_link}

    def page(self, template: str, now: datetime, **kwargs: Any) -> bytes:
        return self.render_string(
            template, snapshot=self.ctx.hub.snapshot, now=now, **self.helpers(now), **kwargs
        )

    async def send_cached(
        self, query: tuple[Any, ...], build: Callable[[datetime], Awaitable[bytes]]
    ) -> None:
        """Answer with the body `build` renders for `query`, from the cache this second."""
        hub = self.ctx.hub
        now = self.now()
        key = hub.page_key(type(self).__name__, query, now, self.viewer_key)
        body = await hub.pages.body(key, lambda: build(now))
        self.set_header("Content-Type", self.content_type)
        self.finish(body)


class ClanDocument(ClanPage):
    """A non-HTML answer (CSV, Atom): nothing in it may load or run."""

    def set_default_headers(self) -> None:
        security_headers(self, page=False)
