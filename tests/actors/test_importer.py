"""History from before the install: every member's history read back, paced, resumed
after a restart, merged with live recording, and never announced as news."""

from __future__ import annotations

from collections import Counter
from datetime import timedelta

from sqlalchemy import func, select

from clanactors.store.history import progress, season_at
from clanactors.store.models import EventRow, HistoryImport, MemberActivity, OutboxRow
from clanactors.store.reports import clears_by_member
from tests.actors.harness import Harness


def _progress(h: Harness) -> tuple[int, int]:
    with h.db.session() as session:
        found = progress(session)
    return found.done, found.total


def _imported(h: Harness) -> bool:
    done, total = _progress(h)
    return total > 0 and done == total


def _rows_by_member(h: Harness) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {}
    with h.db.session() as session:
        for member, instance in session.execute(
            select(MemberActivity.membership_id, MemberActivity.instance_id)
        ):
            found.setdefault(member, set()).add(instance)
    return found


def _world_rows(h: Harness, membership_id: str) -> set[str]:
    member = h.world.member(membership_id)
    assert member is not None
    return {r.instance_id for c in member.characters for r in c.history}


def test_every_members_history_is_read_and_is_not_news(harness: Harness) -> None:
    h = harness
    h.start()
    h.run_until(lambda: _imported(h), limit=3600, step=5)
    done, total = _progress(h)
    assert done == total == len(h.world.roster())

    rows = _rows_by_member(h)
    with h.db.session() as session:
        imports = {i.membership_id: i for i in session.scalars(select(HistoryImport))}
        events = Counter(session.scalars(select(EventRow.kind)))
        outbox = session.scalar(select(func.count()).select_from(OutboxRow))
    private = {m.membership_id for m in h.world.roster() if m.private}
    assert private and all(imports[m].private for m in private)
    readable = [m for m in h.world.roster() if not m.private]
    for member in readable:
        # Everything the world's member played (all characters, all modes) is stored.
        played = _world_rows(h, member.membership_id)
        assert played <= rows.get(member.membership_id, set()), member.membership_id
        assert imports[member.membership_id].done_at is not None
    assert sum(1 for m in readable if rows.get(m.membership_id)) > len(readable) // 2
    # Hundreds of activities read, none announced: the log holds only what happened
    # since the first sync (a few minutes), not the history behind it.
    stored = sum(len(r) for r in rows.values())
    assert stored > 10 * (events["activity_cleared"] + events["activity_ended"])
    assert outbox == 0
    # The season the leaderboards count from: read once from the manifest.
    with h.db.session() as session:
        season = season_at(session, h.clock.now())
    assert season is not None and season.start <= h.clock.now()
    assert season.name.startswith("Season of ")


def test_the_import_resumes_after_a_restart_without_reading_twice(harness: Harness) -> None:
    h = harness
    h.start()
    h.run_until(lambda: _progress(h)[0] >= 5, limit=3600, step=5)
    assert h.client is not None
    first = h.client.calls["history_import"]
    assert not _imported(h) and first > 0
    h.stop()
    h.start()
    h.run_until(lambda: _imported(h), limit=3600, step=5)
    assert h.client is not None
    second = h.client.calls["history_import"]
    with h.db.session() as session:
        imports = list(session.scalars(select(HistoryImport)))
    # Two days of history fit in a page per character: one read each; the page in flight
    # at the stop, or one whose rows met a busy database, is read again (a few), while a
    # start from scratch would read all of them again.
    characters = sum(len(i.pages) for i in imports)
    assert characters <= first + second <= characters + 5


def test_history_days_sets_how_far_back(sqlite_url: str) -> None:
    h = Harness(sqlite_url)
    try:
        h.start(history_days=1)
        h.run_until(lambda: _imported(h), limit=3600, step=5)
        floor = h.clock.now() - timedelta(days=1, minutes=30)
        with h.db.session() as session:
            oldest = session.scalar(select(func.min(MemberActivity.period)))
            floors = set(session.scalars(select(HistoryImport.floor)))
        assert oldest is not None and oldest >= floor
        assert None not in floors
        # The world's members did play before that (its warm-up is two days).
        member = next(
            m for m in h.world.roster() if not m.private and _world_rows(h, m.membership_id)
        )
        assert min(r.period for c in member.characters for r in c.history) < floor
    finally:
        h.close()


def test_a_raid_cleared_forty_days_before_the_install_counts(sqlite_url: str) -> None:
    """The simulated clan's past (60 days here) is read back: every row of a member's
    history lands once, a raid cleared 40 days before the first sync counts in the
    all-time clears, and it made no event."""
    h = Harness(sqlite_url, history_days=60)
    try:
        archive = h.sim.sim.archive
        assert archive.wait_for(archive.oldest, 300)
        h.start()
        h.run_until(lambda: _imported(h), limit=7200, step=5)
        install = h.clock.now()
        cleared = [
            (m, r)
            for m in h.world.roster()
            if not m.private
            for c in m.characters
            for r in archive.rows(c.character_id, archive.oldest)
            if r.mode == 4
            and r.values["completed"] == 1
            and r.values["completionReason"] == 0
            and timedelta(days=38) < install - r.period < timedelta(days=42)
        ]
        assert cleared, "the simulated clan cleared no raid 40 days back"
        member, raid = cleared[0]
        with h.db.session() as session:
            ever = clears_by_member(session, member=member.membership_id)
            stored = session.get(MemberActivity, (member.membership_id, raid.instance_id))
            announced = session.scalar(
                select(func.count())
                .select_from(EventRow)
                .where(EventRow.instance_id == raid.instance_id)
            )
        assert stored is not None and stored.completed
        assert ever[member.membership_id].raids >= 1
        assert announced == 0
        # Every row the archive holds for this member is stored (all characters).
        rows = _rows_by_member(h)[member.membership_id]
        past = {
            r.instance_id
            for c in member.characters
            for r in archive.rows(c.character_id, archive.oldest)
        }
        assert past <= rows
        # Its report is the archive's: the simulator plays the day again to give it.
        assert h.client is not None
        pgcr, _raw = h.client.get_pgcr(raid.instance_id)
        assert member.membership_id in {p.membership_id for p in pgcr.players()}
    finally:
        h.close()
