"""Discord execute-webhook JSON for the feed: pure functions, no I/O.

Joins, leaves and other short events are lines of plain `content`; a clear is an embed
(activity, members, result, duration, a link to its PGCR page). A run of owed messages is
batched into one message (up to 2,000 characters of content, or up to 10 embeds), in the
order owed. Every message carries `allowed_mentions: {"parse": []}`, and every name is
markdown-escaped, so a member called `@everyone` or `**x**` neither pings nor formats.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from clanactors.core.clock import utc_iso
from clanactors.domain.events import Kind, StoredEvent, join_names
from clanactors.store.digest import DigestData
from clanactors.store.outbox import ClearDetails, OutboxItem

CONTENT_LIMIT = 2000
EMBEDS_PER_MESSAGE = 10
EMBED_TEXT_LIMIT = 6000  # all embeds of one message together
CLEAR_COLOUR = 0x2ECC71
DIGEST_COLOUR = 0x5865F2
NO_MENTIONS: dict[str, Any] = {"parse": []}
USERNAME = "Clan feed"

_MARKDOWN = re.compile(r"([\\*_~`|>#\[\]()<:\-])")


def escape(text: str) -> str:
    """Text shown as typed: markdown escaped, mentions broken (`@\u200beveryone`)."""
    text = _MARKDOWN.sub(r"\\\1", text)
    return text.replace("@", "@\u200b")


def duration_text(seconds: int) -> str:
    minutes = max(1, round(seconds / 60))
    if minutes < 60:
        return f"{minutes} min"
    return f"{minutes // 60} h {minutes % 60:02d} min"


def is_embed(item: OutboxItem) -> bool:
    return item.event is not None and item.event.event.kind == Kind.ACTIVITY_CLEARED


def content_line(stored: StoredEvent) -> str:
    return escape(stored.event.text)


def clear_embed(
    stored: StoredEvent, details: ClearDetails | None, public_url: str | None
) -> dict[str, Any]:
    event = stored.event
    activity = event.activity.name if event.activity else "an activity"
    known = details.names if details else {}
    names = [escape(known[m]) for m in event.members if m in known]
    # Without the members' rows the event's own sentence still names them.
    who = join_names(names, most=6) if names else escape(event.text)
    count = len(event.members)
    party = f"{count} clan member{'s' if count != 1 else ''}"
    if details and details.guests:
        party += f" + {details.guests} guest{'s' if details.guests != 1 else ''}"
    fields = [
        {"name": "Result", "value": "Cleared", "inline": True},
        {"name": "Fireteam", "value": party, "inline": True},
    ]
    if details and details.duration_seconds:
        fields.append(
            {"name": "Duration", "value": duration_text(details.duration_seconds), "inline": True}
        )
    embed: dict[str, Any] = {
        "title": f"{escape(activity)} cleared",
        "description": who,
        "color": CLEAR_COLOUR,
        "fields": fields,
        "timestamp": utc_iso(event.occurred_at),
    }
    if public_url and event.instance_id:
        embed["url"] = f"{public_url}/activities/{event.instance_id}"
    return embed


def _embed_size(embed: dict[str, Any]) -> int:
    size = len(embed.get("title", "")) + len(embed.get("description", ""))
    for f in embed.get("fields", ()):
        size += len(f["name"]) + len(f["value"])
    return size


def message(
    content: str | None = None, embeds: list[dict[str, Any]] | None = None
) -> dict[str, Any]:
    body: dict[str, Any] = {"username": USERNAME, "allowed_mentions": dict(NO_MENTIONS)}
    if content:
        body["content"] = content
    if embeds:
        body["embeds"] = embeds
    return body


@dataclass(frozen=True)
class Batch:
    """One Discord message and the outbox rows it settles."""

    ids: tuple[int, ...]
    body: dict[str, Any]


def next_batch(items: Sequence[OutboxItem], public_url: str | None) -> Batch | None:
    """The first owed rows that fit in one message, in order: a prepared message alone,
    else a run of content lines followed by a run of embeds (Discord shows the content
    above the embeds, so the message reads in the order the events happened)."""
    if not items:
        return None
    first = items[0]
    if first.event is None:
        return Batch((first.id,), ensure_safe(first.message or message("(empty)")))
    lines: list[str] = []
    embeds: list[dict[str, Any]] = []
    ids: list[int] = []
    length = 0
    size = 0
    for item in items:
        if item.event is None:
            break
        if is_embed(item):
            embed = clear_embed(item.event, item.details, public_url)
            if len(embeds) >= EMBEDS_PER_MESSAGE or size + _embed_size(embed) > EMBED_TEXT_LIMIT:
                break
            embeds.append(embed)
            size += _embed_size(embed)
        else:
            if embeds:  # a line after an embed would show above it: next message
                break
            line = content_line(item.event)[: CONTENT_LIMIT - 1]
            if lines and length + 1 + len(line) > CONTENT_LIMIT:
                break
            lines.append(line)
            length += len(line) + (1 if len(lines) > 1 else 0)
        ids.append(item.id)
    return Batch(tuple(ids), message(content="\n".join(lines), embeds=embeds))


def ensure_safe(body: dict[str, Any]) -> dict[str, Any]:
    """A prepared message never pings, whatever was stored."""
    return {**body, "allowed_mentions": dict(NO_MENTIONS)}


def sample(kinds: Sequence[str], public_url: str | None) -> dict[str, Any]:
    """What `clanactors notify --test` posts."""
    text = (
        "Test message from clanactors: this channel will receive the clan feed "
        f"({escape(', '.join(kinds))}) and the weekly reset digest."
    )
    if public_url:
        text += f" {public_url}/"
    return message(content=text)


def _field(name: str, lines: Sequence[str], empty: str) -> dict[str, Any]:
    value = "\n".join(lines) if lines else empty
    if len(value) > 1024:
        value = value[:1000].rsplit("\n", 1)[0] + "\n…"
    return {"name": name, "value": value, "inline": False}


def digest(data: DigestData, public_url: str | None) -> dict[str, Any]:
    clears = sum(n for _, n in data.clears_by_activity)
    embed: dict[str, Any] = {
        "title": f"Weekly reset: the clan's week ({data.week_start} to {data.week_end})",
        "description": f"{clears} clear{'s' if clears != 1 else ''} this week.",
        "color": DIGEST_COLOUR,
        "fields": [
            _field(
                "Clears by activity",
                [f"{escape(name)}: {n}" for name, n in data.clears_by_activity[:15]],
                "none",
            ),
            _field(
                "Most active",
                [
                    f"{escape(name)}: {duration_text(seconds)}"
                    for name, seconds in data.most_active[:10]
                ],
                "nobody played",
            ),
            _field(
                "Raid clears",
                [f"{escape(name)}: {n}" for name, n in data.raid_clears[:15]],
                "none",
            ),
            _field("Joined", [escape(n) for n in data.joined[:30]], "nobody"),
            _field("Left", [escape(n) for n in data.left[:30]], "nobody"),
        ],
    }
    if public_url:
        embed["url"] = f"{public_url}/leaderboards"
    return message(embeds=[embed])
