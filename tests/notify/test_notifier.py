"""The notifier against a local Discord stand-in: messages, limits, outages, deletions."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import timedelta

import pytest
from sqlalchemy import select

from clanactors.core import metrics
from clanactors.domain import events
from clanactors.store import outbox
from clanactors.store.models import Member, OutboxRow
from clanactors.testing.rig import Rig
from tests.notify.conftest import TOKEN, VAULT, joined, members, notify_settings, record
from tests.notify.standin import StandIn

MakeRig = Callable[..., Rig]


def _lines(standin: StandIn, webhook: str = "1") -> list[str]:
    return [line for p in standin.accepted(webhook) for line in p.lines]


def test_each_kind_makes_its_message(standin: StandIn, make_rig: MakeRig) -> None:
    rig = make_rig(notify_settings(standin))
    (a_id, a_name), (b_id, b_name) = members(rig)[:2]
    now = rig.clock.now()
    record(rig, events.member_joined("900000001", "Newbie", now - timedelta(minutes=3)))
    rig.settle()
    record(rig, events.member_left(a_id, a_name, None, now))
    rig.settle()
    clear = events.activity_finished({a_id: a_name, b_id: b_name}, VAULT, "1234567", now, True)
    record(rig, clear)
    online = events.member_online(b_id, b_name, now)
    record(rig, online)  # not a notified kind
    rig.settle()

    posts = standin.accepted("1")
    assert all(p.body["allowed_mentions"] == {"parse": []} for p in posts)
    assert _lines(standin) == ["Newbie joined the clan", f"{a_name} left the clan"]
    embeds = [e for p in posts for e in p.embeds]
    assert len(embeds) == 1
    embed = embeds[0]
    assert embed["title"] == "Vault of Glass cleared"
    assert a_name in embed["description"] and b_name in embed["description"]
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields["Result"] == "Cleared"
    assert fields["Fireteam"].startswith("2 clan members")
    assert embed["url"] == "https://clan.example/activities/1234567"
    assert not any("came online" in line for line in _lines(standin))
    with rig.db.session() as session:
        rows = list(session.scalars(select(OutboxRow)))
    assert len(rows) == 3 and all(r.sent_at is not None for r in rows)


def test_outbox_rows_are_written_with_the_event(standin: StandIn, make_rig: MakeRig) -> None:
    standin.set_mode("1", 500)
    standin.set_mode("2", 500)
    rig = make_rig(notify_settings(standin, ("1", "2")))
    event_id = record(rig, joined(rig, 1))
    assert event_id is not None
    with rig.db.session() as session:
        keys = sorted(session.scalars(select(OutboxRow.key).where(OutboxRow.event_id == event_id)))
    assert keys == [f"event:{event_id}:1", f"event:{event_id}:2"]
    # Recording goes on while Discord fails.
    assert record(rig, joined(rig, 2)) is not None


def test_a_429_is_waited_out_and_the_message_arrives_once(
    standin: StandIn, make_rig: MakeRig
) -> None:
    rig = make_rig(notify_settings(standin))
    standin.answer("1", ("429", 3.0, False))
    record(rig, joined(rig, 1))
    rig.settle()
    assert [p.status for p in standin.posts] == [429]
    rig.clock.advance(1.0)
    rig.settle()
    assert standin.accepted() == []  # still waiting: retry_after is 3 s
    rig.clock.advance(2.5)
    rig.settle()
    assert _lines(standin) == ["Newbie1 joined the clan"]
    rig.run(10, step=1)
    assert _lines(standin) == ["Newbie1 joined the clan"]
    assert [p.status for p in standin.posts] == [429, 200]


def test_a_global_429_holds_every_webhook(standin: StandIn, make_rig: MakeRig) -> None:
    rig = make_rig(notify_settings(standin, ("1", "2")))
    standin.answer("1", ("429", 5.0, True))
    standin.set_mode("2", "ok")
    record(rig, joined(rig, 1))
    rig.settle()
    record(rig, joined(rig, 2))
    rig.settle()
    # Webhook 1 was told to hold everything: webhook 2 waits too.
    assert standin.accepted() == []
    rig.clock.advance(4.0)
    rig.settle()
    assert standin.accepted() == []
    rig.clock.advance(1.5)
    rig.settle()
    both = ["Newbie1 joined the clan", "Newbie2 joined the clan"]
    assert _lines(standin, "1") == both
    assert _lines(standin, "2") == both


def test_discord_down_for_a_while_then_everything_in_order(
    standin: StandIn, make_rig: MakeRig
) -> None:
    rig = make_rig(notify_settings(standin))
    standin.set_mode("1", 500)
    standin.answer("1", "hang", "hang")  # first two attempts time out, then 500s
    expected = []
    for n in range(12):
        record(rig, joined(rig, n))
        expected.append(f"Newbie{n} joined the clan")
        rig.run(5, step=1)  # a minute of Discord down, in simulated time
    assert standin.accepted() == []
    tries = len(standin.posts)
    assert 5 <= tries <= 40  # backed off, not hammered
    standin.set_mode("1", "ok")
    rig.run(5, step=1)
    assert _lines(standin) == expected
    # The backlog went out batched (a clear of the simulated clan may split it in two).
    assert len([p for p in standin.accepted() if p.lines]) <= 2


def test_a_burst_is_batched_in_order(standin: StandIn, make_rig: MakeRig) -> None:
    rig = make_rig(notify_settings(standin))
    expected = []
    for n in range(40):
        record(rig, joined(rig, n))
        expected.append(f"Newbie{n} joined the clan")
    rig.run(30, step=2)
    assert _lines(standin) == expected
    assert len([p for p in standin.accepted() if p.lines]) <= 12
    assert standin.our_429s == 0


def test_a_deleted_webhook_is_disabled_and_the_others_go_on(
    standin: StandIn, make_rig: MakeRig, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO, logger="clanactors")
    rig = make_rig(notify_settings(standin, ("1", "2")))
    standin.set_mode("2", 404)
    before = metrics.NOTIFICATIONS.labels("2", "disabled")._value.get()
    for n in range(3):
        record(rig, joined(rig, n))
        rig.run(3, step=1)
    assert _lines(standin, "1") == [f"Newbie{n} joined the clan" for n in range(3)]
    assert len([p for p in standin.posts if p.webhook == "2"]) == 1
    disabled = [r for r in caplog.records if "disabled" in r.getMessage()]
    assert len(disabled) == 1 and "webhook 2 " in disabled[0].getMessage()
    assert metrics.NOTIFICATIONS.labels("2", "disabled")._value.get() == before + 1
    with rig.db.session() as session:
        assert outbox.backlog(session) == outbox.OutboxBacklog(0, ("2",))


def test_hostile_names_neither_ping_nor_format(standin: StandIn, make_rig: MakeRig) -> None:
    rig = make_rig(notify_settings(standin))
    (a_id, _), (b_id, b_name) = members(rig)[:2]
    with rig.db.session() as session:
        row = session.get(Member, a_id)
        assert row is not None
        row.display_name = "@everyone"
    now = rig.clock.now()
    record(rig, events.member_joined("900000001", "**x** <@123> [a](http://e.vil)", now))
    rig.settle()
    clear = events.activity_finished({a_id: "@everyone", b_id: b_name}, VAULT, "77", now, True)
    record(rig, clear)
    rig.settle()
    posts = standin.accepted()
    assert all(p.body["allowed_mentions"] == {"parse": []} for p in posts)
    line = _lines(standin)[0]
    assert line == r"\*\*x\*\* \<@" + "\u200b" + r"123\> \[a\]\(http\://e.vil\) joined the clan"
    embed = next(e for p in posts for e in p.embeds if e["url"].endswith("/activities/77"))
    description = embed["description"]
    assert "@everyone" not in description and "@\u200beveryone" in description


def test_the_token_never_reaches_the_logs(
    standin: StandIn, make_rig: MakeRig, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    settings = notify_settings(standin, ("1", "2", "3"))
    rig = make_rig(settings)
    standin.set_mode("2", 404)
    standin.answer("1", 500, "hang", ("429", 0.5, False))
    standin.answer("3", "hang", 500)
    for n in range(3):
        record(rig, joined(rig, n))
        rig.run(4, step=1)
    assert len(_lines(standin, "1")) == 3
    assert "webhook 2" in caplog.text
    assert TOKEN not in caplog.text
    assert TOKEN not in repr(settings) and TOKEN not in repr(settings.webhooks)
