"""Docs that match the code: SECURITY.md lists everything the server exposes."""

from __future__ import annotations

import re
from pathlib import Path

from clanactors.server.app import make_app
from clanactors.server.base import WebContext
from clanactors.server.hub import Hub
from clanactors.store.db import Database

ROOT = Path(__file__).parent.parent
SECURITY = ROOT / "SECURITY.md"


def served_paths() -> list[str]:
    """Every route of the real application, `{id}` where it takes an id."""
    db = Database("sqlite://")
    try:
        app = make_app(WebContext(db, Hub()))
    finally:
        db.dispose()
    paths = []
    for rule in app.wildcard_router.rules:
        pattern = rule.matcher.regex.pattern.removesuffix("$")
        paths.append(re.sub(r"\(([^()]*)\)", _group, pattern).replace("\\.", "."))
    return paths


def _group(match: re.Match[str]) -> str:
    """A regex group as docs write it: a literal (`favicon\\.ico`) as itself, else `{id}`."""
    inner = match.group(1)
    return inner.replace("\\", "") if re.fullmatch(r"[\w\\.]+", inner) else "{id}"


def test_security_lists_every_path_the_server_answers() -> None:
    text = SECURITY.read_text(encoding="utf-8")
    paths = served_paths()
    assert {"/roster", "/feed.atom", "/metrics", "/ws"} <= set(paths)
    listed = [p for p in paths if f"`{p}`" in text or f"`{p.removesuffix('{id}')}`" in text]
    api = [p for p in paths if p.startswith("/api/")] if "`/api/`" in text else []
    assert [p for p in paths if p not in listed and p not in api] == []


def test_security_names_every_frame_the_websocket_accepts() -> None:
    text = SECURITY.read_text(encoding="utf-8")
    assert '`{"resume": N}`' in text and '`{"snapshot": true}`' in text


def test_security_says_how_to_keep_metrics_private_and_the_example_does() -> None:
    text = SECURITY.read_text(encoding="utf-8")
    assert "`/metrics`" in text and "unauthenticated" in text
    example = (ROOT / "docs" / "nginx-clanactors.conf").read_text(encoding="utf-8")
    assert re.search(r"location = /metrics \{\s*deny all;\s*\}", example)
