"""An event as the API, the WebSocket and the CLI's --json show it (docs/api.md,
"Events")."""

from __future__ import annotations

from typing import Any

from clanactors.core.clock import utc_iso
from clanactors.domain.events import StoredEvent


def event_json(stored: StoredEvent) -> dict[str, Any]:
    event = stored.event
    return {
        "id": stored.id,
        "kind": str(event.kind),
        "occurredAt": utc_iso(event.occurred_at),
        "members": list(event.members),
        "activity": event.activity.to_json() if event.activity else None,
        "instanceId": event.instance_id,
        "text": event.text,
    }
