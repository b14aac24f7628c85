"""make_app: the Tornado Application, built without opening a socket (tests mount it)."""

from __future__ import annotations

import tornado.web

from clanactors.paths import web_dir
from clanactors.server import api, pages
from clanactors.server.base import NotFoundHandler, StaticFiles, WebContext, log_request
from clanactors.server.ws import MAX_FRAME, QUEUE_LIMIT, LiveSocket

ID = r"([0-9]+|[^/]+)"


def make_app(
    ctx: WebContext, *, debug: bool = False, ws_queue_limit: int = QUEUE_LIMIT
) -> tornado.web.Application:
    web = web_dir()
    c = {"ctx": ctx}
    return tornado.web.Application(
        [
            (r"/", pages.IndexHandler, c),
            (rf"/members/{ID}", pages.MemberPage, c),
            (rf"/activities/{ID}", pages.ActivityPage, c),
            (r"/api/clan", api.ClanHandler, c),
            (r"/api/members", api.MembersHandler, c),
            (rf"/api/members/{ID}", api.MemberHandler, c),
            (r"/api/fireteams", api.FireteamsHandler, c),
            (r"/api/stats", api.StatsHandler, c),
            (r"/api/activities/recent", api.RecentHandler, c),
            (rf"/api/activities/{ID}", api.ActivityHandler, c),
            (r"/api/feed", api.FeedHandler, c),
            (r"/healthz", api.HealthHandler, c),
            (r"/ws", LiveSocket, {"hub": ctx.hub, "db": ctx.db, "queue_limit": ws_queue_limit}),
        ],
        default_handler_class=NotFoundHandler,
        default_handler_args=c,
        template_path=str(web / "templates"),
        static_path=str(web / "static"),
        static_handler_class=StaticFiles,
        log_function=log_request,
        autoescape="xhtml_escape",
        compress_response=True,
        xsrf_cookies=False,
        debug=debug,
        websocket_ping_interval=20,
        websocket_ping_timeout=20,
        # Frames up to 4x the limit are read and answered with an error frame; beyond
        # that Tornado closes the connection (1009) rather than buffer them.
        websocket_max_message_size=4 * MAX_FRAME,
    )
