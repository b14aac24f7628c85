"""Prometheus metrics (`/metrics`), named and labelled by Prometheus conventions.

One registry per process: with several `serve` processes each exposes its own (only the
poller makes Bungie calls and records events; every process serves WebSockets). Labels
never carry an API key, a webhook URL or a member's name.
"""

from __future__ import annotations

from prometheus_client import (
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    disable_created_metrics,
)

disable_created_metrics()  # no `_created` series: one line per counter, as graphs want
REGISTRY = CollectorRegistry(auto_describe=True)

BUNGIE_REQUESTS = Counter(
    "clanactors_bungie_requests_total",
    "HTTP requests sent to Bungie, by endpoint and outcome",
    ["endpoint", "outcome"],
    registry=REGISTRY,
)
BUNGIE_LATENCY = Histogram(
    "clanactors_bungie_request_duration_seconds",
    "Time from sending a Bungie request to its answer",
    ["endpoint"],
    buckets=(0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 20.0),
    registry=REGISTRY,
)
RATE_LIMIT_WAIT = Counter(
    "clanactors_bungie_rate_limit_wait_seconds_total",
    "Time callers spent waiting for a slot under the request ceiling, by priority",
    ["priority"],
    registry=REGISTRY,
)
ACTOR_RESTARTS = Counter(
    "clanactors_actor_restarts_total",
    "Actors restarted by the supervisor after a crash, by kind of actor",
    ["actor"],
    registry=REGISTRY,
)
EVENTS_RECORDED = Counter(
    "clanactors_events_recorded_total",
    "Events stored in the event log by this process, by kind",
    ["kind"],
    registry=REGISTRY,
)
RECORDING_BACKLOG = Gauge(
    "clanactors_recording_backlog",
    "Histories and PGCRs waiting to be recorded (the recording_work table)",
    registry=REGISTRY,
)
RECORDING_LAG = Gauge(
    "clanactors_recording_lag_seconds",
    "Age of the oldest finished activity waiting to be recorded",
    registry=REGISTRY,
)
DATABASE_ERRORS = Counter(
    "clanactors_database_errors_total",
    "Database operations that failed because the database could not answer",
    registry=REGISTRY,
)
WEBSOCKET_CLIENTS = Gauge(
    "clanactors_websocket_clients",
    "WebSocket clients connected to this process",
    registry=REGISTRY,
)
WEBSOCKET_FRAMES = Counter(
    "clanactors_websocket_frames_sent_total",
    "WebSocket frames sent to clients, by type",
    ["type"],
    registry=REGISTRY,
)
WEBSOCKET_BYTES = Counter(
    "clanactors_websocket_sent_bytes_total",
    "Bytes of WebSocket frames sent to clients",
    registry=REGISTRY,
)

PRIORITY_NAMES = {0: "recording", 1: "live", 2: "background"}
NOTIFICATIONS = Counter(
    "clanactors_notifications_total",
    "Discord webhook messages by webhook id and outcome (sent, retried, failed, disabled)",
    ["webhook", "outcome"],
    registry=REGISTRY,
)
