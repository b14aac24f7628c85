"""Message shapes and batching, as pure functions."""

from __future__ import annotations

from datetime import UTC, datetime

from clanactors.domain import events
from clanactors.domain.events import StoredEvent
from clanactors.notify.messages import CONTENT_LIMIT, escape, next_batch
from clanactors.store.outbox import ClearDetails, OutboxItem
from tests.notify.conftest import VAULT

NOW = datetime(2026, 11, 24, 20, 0, tzinfo=UTC)


def _join(n: int, name: str | None = None) -> OutboxItem:
    event = events.member_joined(str(n), name or f"N{n}", NOW)
    return OutboxItem(n, "1", f"event:{n}:1", 0, NOW, StoredEvent(n, event), None)


def _clear(n: int) -> OutboxItem:
    event = events.activity_finished({"7": "Zoë", "8": "Bold"}, VAULT, str(900 + n), NOW, True)
    details = ClearDetails({"7": "Zoë", "8": "Bold"}, 47 * 60, 1)
    return OutboxItem(n, "1", f"event:{n}:1", 0, NOW, StoredEvent(n, event), None, details)


def test_lines_then_embeds_in_one_message_in_order() -> None:
    items = [_join(1), _join(2), _clear(3), _clear(4), _join(5), _clear(6)]
    batch = next_batch(items, "https://clan.example")
    assert batch is not None
    assert batch.ids == (1, 2, 3, 4)
    assert batch.body["content"] == "N1 joined the clan\nN2 joined the clan"
    assert [e["url"] for e in batch.body["embeds"]] == [
        "https://clan.example/activities/903",
        "https://clan.example/activities/904",
    ]
    assert batch.body["allowed_mentions"] == {"parse": []}
    rest = next_batch(items[4:], None)
    assert rest is not None and rest.ids == (5, 6) and "url" not in rest.body["embeds"][0]


def test_a_clear_reads_like_the_feed() -> None:
    batch = next_batch([_clear(1)], None)
    assert batch is not None
    embed = batch.body["embeds"][0]
    assert embed["title"] == "Vault of Glass cleared"
    assert embed["description"] == "Zoë and Bold"
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields == {
        "Result": "Cleared",
        "Fireteam": "2 clan members + 1 guest",
        "Duration": "47 min",
    }
    assert "content" not in batch.body


def test_discord_limits_split_batches() -> None:
    clears = [_clear(n) for n in range(25)]
    sizes = []
    while clears:
        batch = next_batch(clears, None)
        assert batch is not None
        sizes.append(len(batch.ids))
        clears = clears[len(batch.ids) :]
    assert sizes == [10, 10, 5]
    joins = [_join(n, "x" * 100) for n in range(60)]
    batch = next_batch(joins, None)
    assert batch is not None
    assert len(batch.body["content"]) <= CONTENT_LIMIT and len(batch.ids) == 17


def test_a_prepared_message_goes_alone_and_never_pings() -> None:
    digest = OutboxItem(1, "1", "digest:x:1", 0, NOW, None, {"content": "hi"})
    batch = next_batch([digest, _join(2)], None)
    assert batch is not None and batch.ids == (1,)
    assert batch.body == {"content": "hi", "allowed_mentions": {"parse": []}}


def test_escape() -> None:
    assert escape("@everyone") == "@\u200beveryone"
    assert escape("**x** _y_ ~z~ `c` |s| > q # h - l [a](b) <@1> :e:") == (
        r"\*\*x\*\* \_y\_ \~z\~ \`c\` \|s\| \> q \# h \- l \[a\]\(b\) \<@" + "\u200b" + r"1\> \:e\:"
    )
