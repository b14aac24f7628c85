"""What operators rely on: /metrics that move with what they count, HEAD on every GET
route, one consistent 404 for unknown ids, ASCII-only numbers."""

from __future__ import annotations

import json
import logging
import time

import pytest
import requests
import websocket
from prometheus_client.parser import text_string_to_metric_families

from tests.web.conftest import Live


def scrape(live: Live) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    answer = requests.get(f"{live.web.url}/metrics", timeout=10)
    assert answer.status_code == 200
    assert answer.headers["Content-Type"].startswith("text/plain")
    samples = {}
    for family in text_string_to_metric_families(answer.text):
        for sample in family.samples:
            samples[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return samples


def total(samples: dict, name: str, **labels: str) -> float:
    return sum(
        value
        for (sample, found), value in samples.items()
        if sample == name and all((k, v) in found for k, v in labels.items())
    )


def test_metrics_move_with_what_they_count(live: Live) -> None:
    before = scrape(live)
    assert total(before, "clanactors_bungie_requests_total", outcome="ok") > 0
    assert ("clanactors_recording_backlog", ()) in before

    live.h.sim.faults.set(throttle_next=1)
    live.h.system.ctx.peers.stats.tell("not a message")  # a bug: the stats actor crashes
    live.h.run(60)
    ws = websocket.create_connection(live.web.ws_url, timeout=10)
    assert json.loads(ws.recv())["type"] == "snapshot"
    after = scrape(live)
    ws.close()

    grew = {
        name: total(after, name, **labels) - total(before, name, **labels)
        for name, labels in [
            ("clanactors_bungie_requests_total", {"outcome": "ok"}),
            ("clanactors_bungie_requests_total", {"outcome": "throttled"}),
            ("clanactors_bungie_request_duration_seconds_count", {}),
            ("clanactors_actor_restarts_total", {"actor": "stats"}),
            ("clanactors_websocket_frames_sent_total", {"type": "snapshot"}),
            ("clanactors_websocket_sent_bytes_total", {}),
        ]
    }
    assert all(v > 0 for v in grew.values()), grew
    assert total(after, "clanactors_websocket_clients") == 1


def test_metrics_never_show_the_api_key(live: Live) -> None:
    text = requests.get(f"{live.web.url}/metrics", timeout=10).text
    assert "test-key" not in text  # the rig's X-API-Key


def test_every_get_route_answers_head(live: Live) -> None:
    member = live.h.system.snapshot().members["offline"][0]["membershipId"]
    for path in (
        "/",
        f"/members/{member}",
        "/api/clan",
        "/api/members",
        f"/api/members/{member}",
        "/api/fireteams",
        "/api/stats",
        "/api/activities/recent",
        "/api/feed",
        "/roster",
        "/roster.csv",
        "/leaderboards",
        "/feed",
        "/feed.atom",
        "/healthz",
        "/metrics",
        "/static/app.js",
    ):
        got = requests.get(live.web.url + path, timeout=10)
        head = requests.head(live.web.url + path, timeout=10)
        assert head.status_code == got.status_code == 200, path
        assert head.content == b"", path
        assert head.headers["Content-Type"] == got.headers["Content-Type"], path
    assert requests.head(f"{live.web.url}/members/1", timeout=10).status_code == 404


def test_unknown_ids_are_404_everywhere(live: Live) -> None:
    for path in ("/members/abc", "/activities/abc", "/api/members/abc", "/api/activities/abc"):
        assert requests.get(live.web.url + path, timeout=10).status_code == 404, path


def test_numbers_are_ascii_digits_only(live: Live) -> None:
    arabic_indic = "\u0661\u0662"  # "12" in Arabic-Indic digits: int() would take it
    for query in (f"after={arabic_indic}", f"limit={arabic_indic}", "after=12.0", "after=0x10"):
        answer = requests.get(f"{live.web.url}/api/feed?{query}", timeout=10)
        assert answer.status_code == 400, query
    assert requests.get(f"{live.web.url}/api/feed?after=12", timeout=10).status_code == 200


def test_each_request_is_logged_once(live: Live, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.INFO, logger="tornado"):
        requests.get(f"{live.web.url}/api/members/4611686018000000001", timeout=10)
        requests.get(f"{live.web.url}/no-such-page", timeout=10)
        time.sleep(0.2)
    lines = [r for r in caplog.records if r.name.startswith("tornado")]
    assert len(lines) == 2, [(r.name, r.getMessage()) for r in lines]
    assert all(r.name == "tornado.access" for r in lines)
