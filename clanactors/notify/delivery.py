"""One POST to an execute-webhook URL, and what Discord's answer means for the queue.

The URL holds a token: nothing here puts the URL, or a requests exception that quotes
it, into a log line or an error; callers name the webhook by its id.
"""

from __future__ import annotations

import logging
import re
from collections import deque
from dataclasses import dataclass
from typing import Any

import requests

# Discord's execute-webhook URL; the last part is a secret token. Plain http is accepted
# for loopback only, so tests (and `notify --test` rehearsals) can use a local stand-in.
WEBHOOK_URL = re.compile(
    r"(?:https://(?:(?:ptb|canary)\.)?discord(?:app)?\.com/api(?:/v\d+)?"
    r"|https?://(?:127\.0\.0\.1|localhost|\[::1\])(?::\d+)?(?:/[^\s/?#]+)*)"
    r"/webhooks/(\d{1,20})/([A-Za-z0-9_.-]{1,200})"
)


def webhook_id(url: str) -> str:
    """The public part of a Discord webhook URL (its id): what logs and pages may show."""
    match = WEBHOOK_URL.fullmatch(url)
    return match.group(1) if match else "?"


_TOKEN = re.compile(r"(/webhooks/\d+/)[A-Za-z0-9_.-]+")
TIMEOUT = (5.0, 10.0)  # connect, read (seconds)
PER_MINUTE = 30  # Discord's documented ceiling per webhook, roughly


def redact(text: str) -> str:
    """`text` with any webhook token replaced by `***`."""
    return _TOKEN.sub(r"\1***", text)


class _RedactTokens(logging.Filter):
    """urllib3 logs request paths (at DEBUG, and retries at WARNING): hide the tokens."""

    def filter(self, record: logging.LogRecord) -> bool:
        if "/webhooks/" in record.getMessage():
            record.msg = redact(record.getMessage())
            record.args = None
        return True


def redact_http_logs() -> None:
    """Install the token filter on urllib3's loggers (idempotent)."""
    for name in ("urllib3.connectionpool", "urllib3.util.retry", "requests"):
        logger = logging.getLogger(name)
        if not any(isinstance(f, _RedactTokens) for f in logger.filters):
            logger.addFilter(_RedactTokens())


@dataclass(frozen=True)
class Webhook:
    id: str
    url: str

    @classmethod
    def of(cls, url: str) -> Webhook:
        return cls(webhook_id(url), url)

    def __repr__(self) -> str:  # the token stays out of any repr
        return f"Webhook(id={self.id!r})"


@dataclass(frozen=True)
class NotifySettings:
    """What the notifier needs; timings are settable so tests run in seconds."""

    webhooks: tuple[Webhook, ...]
    kinds: tuple[str, ...]
    public_url: str | None = None
    backoff: float = 2.0  # first retry after a 5xx or network error (doubles, capped)
    backoff_cap: float = 300.0
    per_minute: int = PER_MINUTE
    timeout: tuple[float, float] = TIMEOUT
    digest_grace: float = 6 * 3600.0  # a start this long after a reset still posts it
    # Nothing is sent this soon after a start: a process killed a moment ago may have
    # used up the webhook's bucket (Discord's resets within about 2 s).
    start_pause: float = 2.0

    @classmethod
    def of(
        cls, urls: tuple[str, ...], kinds: tuple[str, ...], public_url: str | None
    ) -> NotifySettings | None:
        if not urls:
            return None
        return cls(tuple(Webhook.of(u) for u in urls), kinds, public_url)

    @property
    def webhook_ids(self) -> tuple[str, ...]:
        return tuple(h.id for h in self.webhooks)


@dataclass(frozen=True)
class Answer:
    """Discord's answer, sorted. `outcome`: sent | limited | retry | gone | rejected."""

    outcome: str
    status: int | None
    retry_after: float = 0.0
    global_limit: bool = False
    remaining: int | None = None
    reset_after: float | None = None
    detail: str = ""


def post(
    session: requests.Session, hook: Webhook, body: dict[str, Any], timeout: Any = TIMEOUT
) -> Answer:
    try:
        answer = session.post(hook.url, params={"wait": "true"}, json=body, timeout=timeout)
    except requests.Timeout:
        return Answer("retry", None, detail="timed out")
    except requests.RequestException as exc:
        # The exception's text quotes the URL: only its class is kept.
        return Answer("retry", None, detail=f"network error ({type(exc).__name__})")
    remaining = _number(answer.headers.get("X-RateLimit-Remaining"))
    reset_after = _number(answer.headers.get("X-RateLimit-Reset-After"))
    bucket = {
        "remaining": int(remaining) if remaining is not None else None,
        "reset_after": reset_after,
    }
    status = answer.status_code
    if 200 <= status < 300:
        return Answer("sent", status, **bucket)  # type: ignore[arg-type]
    if status == 429:
        data = _json(answer)
        retry_after = _number(data.get("retry_after")) or _number(answer.headers.get("Retry-After"))
        is_global = bool(data.get("global")) or answer.headers.get("X-RateLimit-Global") == "true"
        return Answer(
            "limited",
            status,
            retry_after=retry_after if retry_after is not None else 1.0,
            global_limit=is_global,
            **bucket,  # type: ignore[arg-type]
        )
    if status in (401, 403, 404):
        return Answer("gone", status, detail=str(_json(answer).get("message", ""))[:200])
    if status >= 500 or status == 408:
        return Answer("retry", status, **bucket)  # type: ignore[arg-type]
    return Answer("rejected", status, detail=str(_json(answer).get("message", ""))[:200])


def _json(answer: requests.Response) -> dict[str, Any]:
    try:
        data = answer.json()
    except ValueError:
        return {}
    return data if isinstance(data, dict) else {}


def _number(value: Any) -> float | None:
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if number >= 0 else None


class Pace:
    """When one webhook may be sent to next: Discord's bucket headers, 429s, and our own
    ceiling of PER_MINUTE messages in any 60 s, on the caller's monotonic clock."""

    def __init__(self, per_minute: int = PER_MINUTE) -> None:
        self.per_minute = per_minute
        self.sent: deque[float] = deque()
        self.blocked_until = 0.0

    def wait(self, now: float) -> float:
        """Seconds until the next message may go (0: now)."""
        while self.sent and self.sent[0] <= now - 60.0:
            self.sent.popleft()
        wait = self.blocked_until - now
        if len(self.sent) >= self.per_minute:
            wait = max(wait, self.sent[0] + 60.0 - now)
        return max(wait, 0.0)

    def posted(self, now: float, answer: Answer) -> None:
        self.sent.append(now)
        if answer.remaining == 0 and answer.reset_after is not None:
            self.block(now, answer.reset_after)

    def block(self, now: float, seconds: float) -> None:
        self.blocked_until = max(self.blocked_until, now + seconds)
