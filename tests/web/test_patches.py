"""Patch frames (docs/api.md, "WebSocket /ws"): a snapshot followed by patches gives
the same state as a fresh snapshot; a version gap is mended by asking; bursts are
coalesced; resume is as before. The wire functions are checked over random change
sequences, then the same over a real Tornado server and WebSocket clients."""

from __future__ import annotations

import json
import random
import time
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import websocket
from tornado.ioloop import IOLoop

from clanactors.bungie.models import RosterMember
from clanactors.domain.events import ActivityRef
from clanactors.domain.snapshot import (
    ClanInfo,
    ClanTotals,
    FireteamCard,
    LiveActivity,
    MemberCard,
    RecentActivity,
    Snapshot,
)
from clanactors.domain.stats import StatsRecord
from clanactors.render.wire import ClanState, patch_between, sort_members, state_of
from clanactors.server.hub import Published
from clanactors.testing.web import WebServer
from tests.web.conftest import publish

T0 = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)
ACTIVITIES = [ActivityRef(1077850348, "Prophecy", 82), ActivityRef(2122313384, "Last Wish", 4)]
NAMES = ["Ace", "ace", "Zoë 🐉", "<b>x</b>", "Mara", "Ace"]  # twins, HTML, emoji


# ------------------------------------------------------------------ random clans


def roster_member(i: int, online: bool, seen: datetime) -> RosterMember:
    name = NAMES[i % len(NAMES)]
    return RosterMember(
        membership_id=str(4611686018400000000 + i),
        membership_type=3,
        display_name=name,
        bungie_name=f"{name}#{i:04d}",
        rank="Member",
        joined_at=T0 - timedelta(days=i),
        is_online=online,
        last_online_change=seen,
        is_public=True,
    )


def stats(membership_id: str, rng: random.Random) -> StatsRecord:
    return StatsRecord(membership_id, rng.randrange(10**6), rng.randrange(10**5), 10, 2, 3600, T0)


def card(i: int, rng: random.Random, now: datetime) -> MemberCard:
    online = rng.random() < 0.4
    member = roster_member(i, online, now - timedelta(minutes=rng.randrange(1, 5000)))
    live = None
    if online and rng.random() < 0.6:
        live = LiveActivity(
            rng.choice(ACTIVITIES), now - timedelta(minutes=rng.randrange(60)), None
        )
    known = not online or rng.random() < 0.8
    private = online and known and live is None and rng.random() < 0.3
    record = stats(member.membership_id, rng) if rng.random() < 0.7 else None
    return MemberCard(member, live, known, private, record)


def random_change(snapshot: Snapshot, rng: random.Random, step: int) -> Snapshot:
    """One thing that happens to a clan (or a few at once), as the view actor sees it."""
    now = T0 + timedelta(seconds=30 * step)
    members = list(snapshot.members)
    fireteams = list(snapshot.fireteams)
    recent = list(snapshot.recent)
    clan, bungie, polling, synced = (
        snapshot.clan,
        snapshot.bungie,
        snapshot.polling,
        snapshot.synced_at,
    )
    for _ in range(rng.randrange(1, 4)):
        what = rng.randrange(9)
        if what == 0 and members:  # someone leaves
            members.pop(rng.randrange(len(members)))
        elif what == 1:  # someone joins
            members.append(card(rng.randrange(10, 10_000), rng, now))
        elif what == 2 and members:  # comes online, goes offline, starts or ends an activity
            i = rng.randrange(len(members))
            members[i] = card(int(members[i].membership_id) - 4611686018400000000, rng, now)
        elif what == 3 and members:  # stats come in
            i = rng.randrange(len(members))
            members[i] = replace(members[i], stats=stats(members[i].membership_id, rng))
        elif what == 4:  # a fireteam starts, changes or ends
            if fireteams and rng.random() < 0.5:
                fireteams.pop(rng.randrange(len(fireteams)))
            else:
                ids = tuple(
                    sorted(m.membership_id for m in rng.sample(members, min(2, len(members))))
                )
                fireteams.append(
                    FireteamCard(
                        f"ft{rng.randrange(6)}", rng.choice(ACTIVITIES), now, ids, rng.randrange(3)
                    )
                )
                fireteams = list({f.id: f for f in fireteams}.values())
        elif what == 5:  # an activity finishes
            recent = [
                RecentActivity(str(9000 + step), rng.choice(ACTIVITIES), now, 1800, True, ()),
                *recent,
            ][:3]
        elif what == 6:
            bungie = rng.choice(["ok", "maintenance", "error"])
            polling = rng.choice(["ok", "slowed"])
        elif what == 7:
            clan = replace(clan, name=rng.choice(["Blades", "Blades ⚔", "<i>B</i>"]))
        else:
            synced = now
    by_id = {c.membership_id: c for c in members}
    records = {c.membership_id: c.stats for c in members if c.stats is not None}
    return Snapshot(
        clan=replace(clan, member_count=len(by_id)),
        members=tuple(by_id.values()),
        fireteams=tuple(fireteams),
        stats=ClanTotals.of(list(by_id), records, set(), now),
        recent=tuple(recent),
        bungie=bungie,
        polling=polling,
        synced_at=synced,
        version=snapshot.version + 1,
    )


def first_snapshot(rng: random.Random) -> Snapshot:
    members = tuple(card(i, rng, T0) for i in range(rng.randrange(0, 12)))
    return Snapshot(
        clan=ClanInfo("4471", "Blades", "", len(members)),
        members=members,
        fireteams=(),
        stats=ClanTotals.of([m.membership_id for m in members], {}, set(), None),
        recent=(),
        synced_at=T0,
        version=1,
    )


# ------------------------------------------------------------------ what a client does


def applied(state: dict[str, Any], frame: dict[str, Any]) -> dict[str, Any]:
    """A client's state after one frame (the reference for web/static/app.js)."""
    if frame["type"] == "snapshot":
        members = frame["members"]
        return {
            "version": frame["version"],
            "members": {m["membershipId"]: m for m in members["online"] + members["offline"]},
            "membersUpdatedAt": members["updatedAt"],
            "fireteams": {f["id"]: f for f in frame["fireteams"]},
            **{part: frame[part] for part in ("stats", "recent", "clan", "bungie", "polling")},
        }
    assert frame["type"] == "patch" and frame["version"] == state["version"] + 1
    state = {**state, "members": dict(state["members"]), "fireteams": dict(state["fireteams"])}
    for part, key in (("members", "membershipId"), ("fireteams", "id")):
        change = frame.get(part, {})
        for item in change.get("upsert", []):
            state[part][item[key]] = item
        for gone in change.get("remove", []):
            del state[part][gone]
    if "updatedAt" in frame.get("members", {}):
        state["membersUpdatedAt"] = frame["members"]["updatedAt"]
    state["stats"] = {**state["stats"], **frame.get("stats", {})}
    for part in ("recent", "clan", "bungie", "polling"):
        if part in frame:
            state[part] = frame[part]
    state["version"] = frame["version"]
    return state


def shown(state: dict[str, Any]) -> dict[str, Any]:
    """What a page shows from a client state: members in the server's order."""
    fireteams = sorted(state["fireteams"].values(), key=lambda f: (f["startedAt"] or "", f["id"]))
    return {
        "members": sort_members(list(state["members"].values()), state["membersUpdatedAt"]),
        "fireteams": fireteams,
        **{part: state[part] for part in ("stats", "recent", "clan", "bungie", "polling")},
    }


def as_shown(clan: ClanState) -> dict[str, Any]:
    return {
        part: getattr(clan, part)
        for part in ("members", "fireteams", "stats", "recent", "clan", "bungie", "polling")
    }


# ------------------------------------------------------------------ the wire functions


@pytest.mark.parametrize("seed", range(40))
def test_snapshot_then_patches_equal_a_fresh_snapshot(seed: int) -> None:
    rng = random.Random(seed)
    snapshot = first_snapshot(rng)
    sent = state_of(snapshot)
    client = applied({}, {"type": "snapshot", "version": 0, **sent.parts()})
    for step in range(1, 60):
        snapshot = random_change(snapshot, rng, step)
        new = state_of(snapshot)
        patch = patch_between(sent, new)
        if patch:
            frame = {"type": "patch", "version": client["version"] + 1, **patch}
            assert json.loads(json.dumps(frame)) == frame  # plain JSON all the way
            client = applied(client, frame)
        sent = new
        assert shown(client) == as_shown(new), f"seed {seed}, step {step}"


def test_a_patch_carries_only_what_changed() -> None:
    rng = random.Random(7)
    snapshot = first_snapshot(rng)
    while len(snapshot.members) < 5:
        snapshot = first_snapshot(rng)
    before = state_of(snapshot)
    one = snapshot.members[0]
    changed = replace(one, stats=stats(one.membership_id, rng))
    after = replace(
        snapshot, members=(changed, *snapshot.members[1:]), version=snapshot.version + 1
    )
    patch = patch_between(before, state_of(after))
    assert set(patch) == {"members"}
    assert patch["members"] == {"upsert": [state_of(after).member(one.membership_id)]}
    assert patch_between(before, state_of(replace(snapshot, version=9))) == {}


# ------------------------------------------------------------------ over a real server


def connect(web: WebServer) -> websocket.WebSocket:
    return websocket.create_connection(web.ws_url, timeout=10, origin=web.url)


def read_frames(ws: websocket.WebSocket, seconds: float) -> list[dict[str, Any]]:
    frames = []
    deadline = time.monotonic() + seconds
    while (left := deadline - time.monotonic()) > 0:
        ws.settimeout(left)
        try:
            frames.append(json.loads(ws.recv()))
        except websocket.WebSocketTimeoutException:
            break
    return frames


def test_clients_follow_random_changes_over_the_socket(web_only: WebServer) -> None:
    rng = random.Random(11)
    snapshot = first_snapshot(rng)
    publish(web_only, snapshot)
    ws = connect(web_only)
    try:
        first = json.loads(ws.recv())
        assert first["type"] == "snapshot" and "serverTime" in first
        client = applied({}, first)
        for step in range(1, 80):
            snapshot = random_change(snapshot, rng, step)
            publish(web_only, snapshot)
            if step % 20 == 0:
                time.sleep(1.1)  # let some patches out between bursts
        for frame in read_frames(ws, 2.5):
            client = applied(client, frame)
        fresh = connect(web_only)
        again = applied({}, json.loads(fresh.recv()))
        fresh.close()
        assert again["version"] == client["version"]
        assert shown(client) == shown(again) == as_shown(state_of(snapshot))
    finally:
        ws.close()


def test_a_burst_of_stats_changes_is_one_or_two_small_frames(web_only: WebServer) -> None:
    rng = random.Random(3)
    snapshot = first_snapshot(rng)
    while len(snapshot.members) < 8:
        snapshot = first_snapshot(rng)
    publish(web_only, snapshot)
    ws = connect(web_only)
    try:
        client = applied({}, json.loads(ws.recv()))
        states = []
        for i in range(100):  # a stats backfill: 100 changes
            member = snapshot.members[i % len(snapshot.members)]
            updated = replace(member, stats=stats(member.membership_id, rng))
            snapshot = replace(
                snapshot,
                members=tuple(updated if m is member else m for m in snapshot.members),
                version=snapshot.version + 1,
            )
            states.append(Published.of(state_of(snapshot)))

        def spread_over_a_second() -> None:  # on the IOLoop, as the hub listener does
            loop = IOLoop.current()
            for i, published in enumerate(states):
                loop.call_later(i * 0.009, hub.on_snapshot, published)

        hub = web_only.hub
        assert hub is not None
        web_only.call(spread_over_a_second)
        frames = read_frames(ws, 2.5)
        assert 1 <= len(frames) <= 2, [f["version"] for f in frames]
        for frame in frames:
            assert frame["type"] == "patch" and set(frame) <= {
                "type",
                "version",
                "serverTime",
                "members",
                "stats",
            }
            client = applied(client, frame)
        assert shown(client) == as_shown(state_of(snapshot))
    finally:
        ws.close()


def test_a_client_that_missed_a_frame_asks_and_gets_a_snapshot(web_only: WebServer) -> None:
    rng = random.Random(5)
    snapshot = first_snapshot(rng)
    publish(web_only, snapshot)
    ws = connect(web_only)
    try:
        client = applied({}, json.loads(ws.recv()))
        for step in (1, 2):
            snapshot = random_change(snapshot, rng, step)
            publish(web_only, snapshot)
            time.sleep(1.1)
        frames = [f for f in read_frames(ws, 1.5) if f["type"] == "patch"]
        assert len(frames) == 2
        # The first patch is lost on the way: the second shows the gap.
        assert frames[1]["version"] != client["version"] + 1
        ws.send(json.dumps({"snapshot": True}))
        again = json.loads(ws.recv())
        assert again["type"] == "snapshot" and again["version"] == frames[1]["version"]
        client = applied({}, again)
        assert shown(client) == as_shown(state_of(snapshot))
        # ...and follows the patches after it.
        snapshot = random_change(snapshot, rng, 3)
        publish(web_only, snapshot)
        for frame in read_frames(ws, 1.5):
            client = applied(client, frame)
        assert shown(client) == as_shown(state_of(snapshot))
        # A snapshot request that is not exactly {"snapshot": true} is an error.
        ws.send(json.dumps({"snapshot": 1}))
        assert json.loads(ws.recv())["type"] == "error"
    finally:
        ws.close()
