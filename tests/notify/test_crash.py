"""A real `clanactors serve` posting to the stand-in, killed with SIGKILL mid-burst and
started again: every notified event still reaches every webhook, within Discord's limits.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, func, select

from clanactors.notify.messages import escape
from clanactors.store.models import EventRow, OutboxRow
from tests.chaos.rig import Serve, Sim, stop_all, wait_for
from tests.notify.conftest import TOKEN
from tests.notify.standin import StandIn

KINDS = "member_joined,member_left,member_online,member_offline,activity_started,activity_cleared"


@pytest.fixture
def sim() -> Iterator[Sim]:
    s = Sim(seed=11)
    yield s
    stop_all()
    s.stop()


def _count(url: str, stmt: object) -> int:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return int(conn.execute(stmt).scalar_one())  # type: ignore[call-overload]
    finally:
        engine.dispose()


def test_kill_9_during_a_burst_loses_no_message(sim: Sim, standin: StandIn, tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'clan.db'}"
    serve = Serve(
        sim,
        url,
        tmp_path,
        "notify",
        settings={
            "CLANACTORS_DISCORD_WEBHOOKS": f"{standin.url('1', TOKEN)},{standin.url('2', TOKEN)}",
            "CLANACTORS_DISCORD_KINDS": KINDS,
            "CLANACTORS_PUBLIC_URL": "https://clan.example",
        },
    ).start()
    unsent = select(func.count(OutboxRow.id)).where(OutboxRow.sent_at.is_(None))
    wait_for(lambda: len(standin.accepted("1")) >= 2, 60, "the first messages")
    # Kill while messages are owed (a burst of events waits behind the pace).
    wait_for(lambda: _count(url, unsent) > 0, 60, "a backlog in the outbox")
    serve.kill()
    owed_at_kill = _count(url, unsent)
    posts_at_kill = len(standin.accepted())
    serve.start()
    wait_for(lambda: len(standin.accepted()) > posts_at_kill, 60, "posts after the restart")
    wait_for(lambda: _count(url, unsent) == 0, 90, "the outbox drained")
    serve.stop()

    engine = create_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(
            select(EventRow.id, EventRow.kind, EventRow.text, EventRow.instance_id)
            .where(EventRow.kind.in_(KINDS.split(",")))
            .order_by(EventRow.id)
        ).all()
        owed = conn.execute(select(func.count(OutboxRow.id))).scalar_one()
    engine.dispose()
    assert owed_at_kill > 0
    assert owed == 2 * len(rows)  # every event owed to both webhooks, with the event
    for hook in ("1", "2"):
        posts = standin.accepted(hook)
        lines = Counter(line for p in posts for line in p.lines)
        links = Counter(e.get("url") for p in posts for e in p.embeds)
        for _, kind, text, instance_id in rows:
            if kind == "activity_cleared":
                assert links[f"https://clan.example/activities/{instance_id}"] >= 1, text
            else:
                assert lines[escape(text)] >= 1, text
    assert standin.our_429s == 0
    assert TOKEN not in serve.log_text()
