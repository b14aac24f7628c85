from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from clanactors.actors.messages import Record
from clanactors.domain import events
from clanactors.domain.events import ActivityRef, Event
from clanactors.notify.delivery import NotifySettings, Webhook
from clanactors.store.models import Member
from clanactors.testing.rig import Rig
from tests.notify.standin import StandIn

TOKEN = "s3cr3t-T0KEN"
VAULT = ActivityRef(3881495763, "Vault of Glass", 4)


@pytest.fixture
def standin() -> Iterator[StandIn]:
    s = StandIn().start()
    yield s
    s.stop()


def notify_settings(standin: StandIn, hooks: tuple[str, ...] = ("1",), **kw: Any) -> NotifySettings:
    options: dict[str, Any] = {
        "kinds": ("member_joined", "member_left", "activity_cleared"),
        "public_url": "https://clan.example",
        "backoff": 0.5,
        "backoff_cap": 2.0,
        "timeout": (0.5, 0.5),
        "start_pause": 0.0,
        **kw,
    }
    return NotifySettings(tuple(Webhook.of(standin.url(h, TOKEN)) for h in hooks), **options)


@pytest.fixture
def make_rig(database_url: str, standin: StandIn) -> Iterator[Callable[..., Rig]]:
    made: list[Rig] = []

    def make(notify: NotifySettings, start: datetime | None = None) -> Rig:
        rig = Rig(database_url, members=40, start=start, notify=notify)
        made.append(rig)
        standin.clock = rig.clock  # Discord's bucket on the scene's simulated time
        rig.start()
        return rig

    yield make
    for rig in made:
        rig.close()


def record(rig: Rig, event: Event) -> int | None:
    assert rig.system is not None
    result = rig.system.ctx.peers.feed.ask(Record(event), timeout=10)
    return result if isinstance(result, int) else None


def members(rig: Rig) -> list[tuple[str, str]]:
    with rig.db.session() as session:
        rows = session.scalars(select(Member).where(Member.in_clan).order_by(Member.membership_id))
        return [(m.membership_id, m.display_name) for m in rows]


def joined(rig: Rig, n: int, name: str | None = None) -> Event:
    at = rig.clock.now() - timedelta(seconds=600 - n)
    return events.member_joined(f"9{n:08d}", name or f"Newbie{n}", at)
