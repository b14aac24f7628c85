"""`/` is built at most once a second whatever the clan state's version: while the clan
changes fast, every visitor in a second gets the one build, the next second's build shows
the newest state, and the second's first visitors all wait for one build."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import requests

from clanactors.bungie.models import RosterMember
from clanactors.core.clock import FakeClock
from clanactors.domain.snapshot import ClanInfo, ClanTotals, MemberCard, Snapshot
from clanactors.server import pages
from clanactors.server.pages import IndexHandler
from clanactors.store.db import Database, migrate
from clanactors.testing.web import WebServer
from tests.web.conftest import publish

NOW = datetime(2026, 11, 1, 20, 0, tzinfo=UTC)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(NOW)


@pytest.fixture
def web(sqlite_url: str, clock: FakeClock) -> Iterator[WebServer]:
    migrate(sqlite_url)
    db = Database(sqlite_url)
    server = WebServer(db, clock=clock).start()
    yield server
    server.stop()
    db.dispose()


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """One entry for each time the front page is rendered."""
    done: list[int] = []
    render = IndexHandler._render

    def counted(self: IndexHandler, feed: list[dict[str, Any]]) -> bytes:
        done.append(1)
        return render(self, feed)

    monkeypatch.setattr(IndexHandler, "_render", counted)
    return done


def name(version: int) -> str:
    return f"Guardian{version:04d}"


def clan_at(version: int) -> Snapshot:
    """The clan at `version`: one member, online, whose name says the version."""
    member = RosterMember(
        str(4611686018500000000 + version), 3, name(version), f"{name(version)}#0001",
        "Member", NOW - timedelta(days=30), True, NOW, True,
    )  # fmt: skip
    return Snapshot(
        clan=ClanInfo("4471", "Blades", "", 1),
        members=(MemberCard(member, None, True, False, None),),
        fireteams=(),
        stats=ClanTotals.of([member.membership_id], {}, set(), NOW),
        recent=(),
        synced_at=NOW,
        version=version,
    )


def front(web: WebServer) -> str:
    answer = requests.get(web.url + "/", timeout=10)
    assert answer.status_code == 200
    return answer.text


def test_many_versions_in_a_second_are_one_render(
    web: WebServer, clock: FakeClock, renders: list[int]
) -> None:
    pages_seen = []
    for version in range(1, 31):
        publish(web, clan_at(version))
        pages_seen.append(front(web))
    assert len(renders) == 1
    assert all(page == pages_seen[0] for page in pages_seen)  # the same bytes all second
    assert name(1) in pages_seen[0]

    clock.advance(1)  # the next second's build shows the newest version
    fresh = front(web)
    assert len(renders) == 2
    assert name(30) in fresh and name(1) not in fresh
    assert front(web) == fresh
    assert len(renders) == 2


def test_the_first_visitors_of_a_second_wait_for_one_build(
    web: WebServer, renders: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    visitors = 8
    publish(web, clan_at(1))
    arrived: list[int] = []
    all_in = threading.Event()
    reads: list[int] = []
    find_events = pages.find_events

    def prepare(self: IndexHandler) -> None:  # on the IOLoop, as each request comes in
        arrived.append(1)
        if len(arrived) == visitors:
            all_in.set()

    def slow_find_events(*args: Any) -> Any:
        # The build's database read ends only once every visitor is in: they all ask
        # while it is under way.
        reads.append(1)
        assert all_in.wait(10)
        return find_events(*args)

    monkeypatch.setattr(IndexHandler, "prepare", prepare, raising=False)
    monkeypatch.setattr(pages, "find_events", slow_find_events)
    answers: list[str] = []
    threads = [threading.Thread(target=lambda: answers.append(front(web))) for _ in range(visitors)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert len(answers) == visitors
    assert len(set(answers)) == 1
    assert len(reads) == 1
    assert len(renders) == 1
