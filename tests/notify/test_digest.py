"""The weekly digest: at the Tuesday 17:00 UTC reset, once, even across a restart."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from clanactors.domain import events
from clanactors.domain.week import last_reset, next_reset
from clanactors.store.models import ActivityInstance, MemberActivity, OutboxRow
from clanactors.testing.rig import Rig
from tests.notify.conftest import VAULT, members, notify_settings, record
from tests.notify.standin import Post, StandIn

MakeRig = Callable[..., Rig]
RESET = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)  # a Tuesday


def test_reset_boundaries() -> None:
    assert last_reset(RESET) == RESET
    assert last_reset(RESET - timedelta(seconds=1)) == RESET - timedelta(days=7)
    assert last_reset(RESET + timedelta(days=6, hours=23)) == RESET
    assert next_reset(RESET - timedelta(seconds=1)) == RESET
    assert next_reset(RESET) == RESET + timedelta(days=7)


def _digests(standin: StandIn, webhook: str) -> list[Post]:
    return [
        p
        for p in standin.accepted(webhook)
        if any(e.get("title", "").startswith("Weekly reset") for e in p.embeds)
    ]


def test_the_digest_is_posted_at_the_reset_once_across_a_restart(
    standin: StandIn, make_rig: MakeRig
) -> None:
    rig = make_rig(notify_settings(standin, ("1", "2")), start=RESET - timedelta(minutes=2))
    (a_id, a_name), (b_id, b_name), (c_id, c_name) = members(rig)[:3]
    earlier = RESET - timedelta(days=2)
    record(rig, events.activity_finished({a_id: a_name, b_id: b_name}, VAULT, "555", earlier, True))
    # Names come from the members' rows (by id), not from the events' sentences.
    record(rig, events.member_joined(c_id, "an old name", earlier))
    record(rig, events.member_left(b_id, b_name, None, earlier + timedelta(hours=1)))
    # Last week's reset is not part of this week.
    old = RESET - timedelta(days=8)
    record(rig, events.activity_finished({a_id: a_name}, VAULT, "444", old, True))
    with rig.db.session() as session:
        session.add(
            ActivityInstance(
                instance_id="555",
                activity_hash=VAULT.hash,
                mode=4,
                period=earlier - timedelta(hours=1),
                duration_seconds=3000,
                completed=True,
            )
        )
        session.flush()
        for who, seconds in ((a_id, 3000), (b_id, 2400)):
            session.add(
                MemberActivity(
                    membership_id=who,
                    instance_id="555",
                    character_id="1",
                    period=earlier - timedelta(hours=1),
                    completed=True,
                    completion_reason=0,
                    time_played_seconds=seconds,
                )
            )
    rig.run(115, step=5)  # to 16:59:55
    assert _digests(standin, "1") == []

    rig.run(10, step=5)  # past 17:00
    posts = _digests(standin, "1")
    assert len(posts) == 1 and len(_digests(standin, "2")) == 1
    assert posts[0].body["allowed_mentions"] == {"parse": []}
    embed = posts[0].embeds[0]
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["Clears by activity"] == "Vault of Glass: 1"
    assert fields["Raid clears"].splitlines() == sorted([f"{a_name}: 1", f"{b_name}: 1"])
    # Time played comes from members' histories (the simulated clan's week, and ours).
    active = fields["Most active"].splitlines()
    assert 2 <= len(active) <= 10
    assert all(": " in line and line.endswith("min") for line in active)
    assert fields["Joined"] == c_name
    assert fields["Left"] == b_name
    assert embed["url"] == "https://clan.example/leaderboards"

    # A restart at 17:00:30 does not post it again.
    rig.stop()
    rig.clock.advance(20)
    rig.start()
    rig.run(30, step=5)
    assert len(_digests(standin, "1")) == 1 and len(_digests(standin, "2")) == 1
    with rig.db.session() as session:
        keys = sorted(session.scalars(select(OutboxRow.key).where(OutboxRow.key.like("digest:%"))))
    assert keys == ["digest:2026-11-24:1", "digest:2026-11-24:2"]


def test_no_digest_long_after_the_reset(standin: StandIn, make_rig: MakeRig) -> None:
    rig = make_rig(notify_settings(standin), start=RESET + timedelta(days=1))
    rig.run(20, step=5)
    assert _digests(standin, "1") == []
