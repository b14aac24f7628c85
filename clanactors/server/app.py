"""make_app: the Tornado Application, built without opening a socket (tests mount it)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import tornado.httputil
import tornado.web

from clanactors.core.paths import web_dir
from clanactors.core.repeats import Repeats
from clanactors.server import admin, api, auth, feedpages, leaderboards, memberpages, pages, roster
from clanactors.server.base import (
    HSTS_SETTING,
    NotFoundHandler,
    StaticFiles,
    WebContext,
    log_request,
)
from clanactors.server.proxies import TrustedProxies
from clanactors.server.ws import (
    MAX_FRAME,
    PER_ADDRESS,
    PING_INTERVAL,
    PING_TIMEOUT,
    QUEUE_BYTES,
    QUEUE_LIMIT,
    LiveSocket,
    PerAddress,
)

ID = r"([0-9]+|[^/]+)"


class ClanApplication(tornado.web.Application):
    """Sets each request's `remote_ip` to the client's address before any handler (and the
    access log) sees it: the peer's own, or, from a trusted proxy, the forwarded one."""

    def __init__(self, *args: Any, trusted_proxies: TrustedProxies, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.trusted_proxies = trusted_proxies

    def find_handler(self, request: tornado.httputil.HTTPServerRequest, **kwargs: Any) -> Any:
        if self.trusted_proxies and request.remote_ip:
            request.remote_ip = self.trusted_proxies.client(
                request.remote_ip, request.headers.get("X-Forwarded-For")
            )
        return super().find_handler(request, **kwargs)


def make_app(
    ctx: WebContext,
    *,
    debug: bool = False,
    ws_queue_limit: int = QUEUE_LIMIT,
    ws_queue_bytes: int = QUEUE_BYTES,
    ws_per_address: int = PER_ADDRESS,
    trusted_proxies: Iterable[str] = (),
    public_url: str | None = None,
) -> tornado.web.Application:
    web = web_dir()
    c = {"ctx": ctx}
    ws = {
        "hub": ctx.hub,
        "db": ctx.db,
        "queue_limit": ws_queue_limit,
        "queue_bytes": ws_queue_bytes,
        "per_address": PerAddress(ws_per_address),
        "bad_frames": Repeats(),
    }
    return ClanApplication(
        [
            (r"/", pages.IndexHandler, c),
            (rf"/members/{ID}", memberpages.MemberPage, c),
            (rf"/activities/{ID}", memberpages.ActivityPage, c),
            (r"/roster", roster.RosterPage, c),
            (r"/roster\.csv", roster.RosterCsv, c),
            (r"/leaderboards", leaderboards.LeaderboardsPage, c),
            (r"/api/leaderboards", leaderboards.LeaderboardsApi, c),
            (r"/feed", feedpages.FeedPage, c),
            (r"/feed\.atom", feedpages.FeedAtom, c),
            (r"/api/clan", api.ClanHandler, c),
            (r"/api/members", api.MembersHandler, c),
            (rf"/api/members/{ID}", api.MemberHandler, c),
            (r"/api/fireteams", api.FireteamsHandler, c),
            (r"/api/stats", api.StatsHandler, c),
            (r"/api/activities/recent", api.RecentHandler, c),
            (rf"/api/activities/{ID}", api.ActivityHandler, c),
            (r"/api/feed", api.FeedHandler, c),
            (r"/signin", auth.SignIn, c),
            (r"/signin/callback", auth.SignInCallback, c),
            (r"/signout", auth.SignOut, c),
            (r"/admin", admin.AdminHome, c),
            (r"/admin/applications", admin.AdminApplications, c),
            (r"/admin/members", admin.AdminMembers, c),
            (r"/healthz", api.HealthHandler, c),
            (r"/metrics", api.MetricsHandler, c),
            (r"/ws", LiveSocket, ws),
        ],
        trusted_proxies=TrustedProxies(trusted_proxies),
        default_handler_class=NotFoundHandler,
        default_handler_args=c,
        template_path=str(web / "templates"),
        static_path=str(web / "static"),
        static_handler_class=StaticFiles,
        log_function=log_request,
        autoescape="xhtml_escape",
        compress_response=True,
        # Every POST carries the form's _xsrf token matching its cookie, or is a 403
        # before the handler runs (sign-out, the admin actions).
        xsrf_cookies=True,
        xsrf_cookie_kwargs={
            "httponly": True,
            "samesite": "Lax",
            "secure": bool(public_url and public_url.startswith("https://")),
        },
        cookie_secret=ctx.auth.cookie_secret if ctx.auth is not None else None,
        debug=debug,
        websocket_ping_interval=PING_INTERVAL,
        websocket_ping_timeout=PING_TIMEOUT,
        # Frames up to 4x the limit are read and answered with an error frame; beyond
        # that Tornado closes the connection (1009) rather than buffer them.
        websocket_max_message_size=4 * MAX_FRAME,
        **{
            HSTS_SETTING: bool(public_url and public_url.startswith("https://")),
            feedpages.PUBLIC_URL_SETTING: public_url,
        },
    )
