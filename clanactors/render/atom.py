"""The event log as an Atom 1.0 feed (RFC 4287). Pure: no I/O.

Ids are stable: a tag URI naming the clan and the event id, which never changes. Links
are absolute when the site's public URL is known, else relative to the feed (xml:base
is not guessed from a request's Host header, which a client controls).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import datetime
from xml.etree import ElementTree as ET

from clanactors.core.clock import utc_iso
from clanactors.domain.events import FINISHED_KINDS, StoredEvent

ATOM = "http://www.w3.org/2005/Atom"
# Characters XML 1.0 does not allow, even escaped: a hostile name must not break the feed.
NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def xml_text(text: str) -> str:
    return NOT_XML.sub("\ufffd", text)


def event_link(event: StoredEvent) -> str:
    """Where an entry leads: a finished activity's PGCR, else its place in the feed."""
    if event.event.instance_id and event.event.kind in FINISHED_KINDS:
        return f"/activities/{event.event.instance_id}"
    return f"/feed?before={event.id + 1}"


def atom_feed(
    events: Sequence[StoredEvent],
    clan_id: str,
    clan_name: str,
    base_url: str | None,
    updated: datetime,
) -> bytes:
    """`events` newest first."""
    base = (base_url or "").rstrip("/")
    ET.register_namespace("", ATOM)

    def el(parent: ET.Element, tag: str, text: str | None = None, **attrs: str) -> ET.Element:
        child = ET.SubElement(parent, f"{{{ATOM}}}{tag}", attrs)
        if text is not None:
            child.text = xml_text(text)
        return child

    feed = ET.Element(f"{{{ATOM}}}feed")
    title = f"{clan_name} · clan feed" if clan_name else "Clan feed"
    el(feed, "id", f"tag:clanactors,2026:clan-{clan_id}/feed")
    el(feed, "title", title)
    newest = events[0].event.occurred_at if events else updated
    el(feed, "updated", utc_iso(newest))
    author = el(feed, "author")
    el(author, "name", clan_name or "clanactors")
    el(feed, "link", rel="self", type="application/atom+xml", href=f"{base}/feed.atom")
    el(feed, "link", rel="alternate", type="text/html", href=f"{base}/feed")
    el(feed, "generator", "clanactors")
    for stored in events:
        event = stored.event
        entry = el(feed, "entry")
        el(entry, "id", f"tag:clanactors,2026:clan-{clan_id}/event-{stored.id}")
        el(entry, "title", event.text)
        el(entry, "updated", utc_iso(event.occurred_at))
        el(entry, "published", utc_iso(event.occurred_at))
        el(entry, "link", rel="alternate", type="text/html", href=base + event_link(stored))
        el(entry, "category", term=event.kind)
        el(entry, "summary", event.text)
    body: bytes = ET.tostring(feed, encoding="utf-8", xml_declaration=True)
    return body
