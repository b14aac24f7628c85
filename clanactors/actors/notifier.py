"""The notifier: sends the Discord outbox (README, "Discord"), in order per webhook.

The feed writes outbox rows in the transaction that stores their events and tells this
actor `Drain`. Each `Drain` sends at most one message per webhook whose pace allows it
(Discord's bucket headers, 429 `retry_after` with its `global` flag, our own ceiling per
minute, backoff after 5xx and network errors), then re-arms itself with the shortest
wait. A row is marked sent only after Discord accepted it: at least once, in order.
A 401/403/404 disables that webhook (one log line, its id only); the others go on.
Without webhooks configured this actor does nothing.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any, assert_never

import requests

from clanactors.actors.base import BaseActor, Context
from clanactors.actors.messages import DigestDue, Drain, NotifierMessage, NotifierStart
from clanactors.core import metrics
from clanactors.domain.week import WEEK, last_reset, next_reset
from clanactors.notify.delivery import (
    Answer,
    NotifySettings,
    Pace,
    Webhook,
    post,
    redact_http_logs,
)
from clanactors.notify.messages import Batch, digest, next_batch
from clanactors.runtime.scheduler import Timer
from clanactors.store import outbox
from clanactors.store.digest import week_summary

log = logging.getLogger(__name__)
BATCH_ROWS = 25  # owed rows read per webhook per round (one message takes up to 10)
KEEP_SENT = timedelta(days=30)  # sent messages are forgotten after this


class NotifierActor(BaseActor[NotifierMessage]):
    role = "notifier"

    def __init__(self, ctx: Context) -> None:
        super().__init__(ctx)
        self.settings: NotifySettings | None = ctx.notify
        hooks = self.settings.webhooks if self.settings else ()
        self.hooks: dict[str, Webhook] = {h.id: h for h in hooks}
        per_minute = self.settings.per_minute if self.settings else 30
        self.paces = {h.id: Pace(per_minute) for h in hooks}
        self.failures = {h.id: 0 for h in hooks}  # consecutive retries, for the backoff
        self.single: set[str] = set()  # send one row at a time after a rejected batch
        self.disabled: set[str] = set()
        self.trouble: dict[str, str] = {}  # webhook id -> what is wrong (log once)
        self.global_until = 0.0
        self.http = requests.Session()
        self._drain: Timer | None = None
        redact_http_logs()

    def started(self) -> None:
        if self.hooks:
            self.actor_ref.tell(NotifierStart())

    def on_stop(self) -> None:
        super().on_stop()
        self.http.close()

    def handle(self, message: NotifierMessage) -> Any:
        if not self.hooks:
            return None
        match message:
            case NotifierStart():
                with self.ctx.db.session() as session:
                    outbox.enable(session, list(self.hooks))
                self.disabled.clear()
                now = self.ctx.clock.monotonic()
                for pace in self.paces.values():
                    pace.block(now, self.settings.start_pause if self.settings else 0.0)
                self._check_digest()
                self._send_round()
            case Drain():
                self._send_round()
            case DigestDue():
                self._check_digest()
                self._send_round()
            case _:
                assert_never(message)
        return None

    # ------------------------------------------------------------------ sending

    def _send_round(self) -> None:
        assert self.settings is not None
        self._drain = None
        soonest: float | None = None
        for hook in self.hooks.values():
            if hook.id in self.disabled:
                continue
            wait = self._wait(hook.id)
            if wait > 0:
                soonest = wait if soonest is None else min(soonest, wait)
                continue
            with self.ctx.db.session() as session:
                items = outbox.pending(session, hook.id, BATCH_ROWS)
            if hook.id in self.single:
                items = items[:1]
            batch = next_batch(items, self.settings.public_url)
            if batch is None:
                continue
            with self.ctx.db.session() as session:
                outbox.attempted(session, batch.ids)
            answer = post(self.http, hook, batch.body, self.settings.timeout)
            self._settle(hook, batch, answer)
            if hook.id not in self.disabled:
                wait = self._wait(hook.id)
                soonest = wait if soonest is None else min(soonest, wait)
        if soonest is not None:
            self._schedule(soonest)

    def _wait(self, hook_id: str) -> float:
        now = self.ctx.clock.monotonic()
        return max(self.paces[hook_id].wait(now), self.global_until - now, 0.0)

    def _schedule(self, delay: float) -> None:
        due = self.ctx.clock.monotonic() + delay
        if self._drain is not None and not self._drain.cancelled and self._drain.due <= due:
            return
        if self._drain is not None:
            self._drain.cancel()
        self._drain = self.later(delay, Drain())

    def _settle(self, hook: Webhook, batch: Batch, answer: Answer) -> None:
        assert self.settings is not None
        now = self.ctx.clock.monotonic()
        pace = self.paces[hook.id]
        count = metrics.NOTIFICATIONS.labels(hook.id, _OUTCOME[answer.outcome])
        if answer.outcome == "sent":
            with self.ctx.db.session() as session:
                outbox.mark_sent(session, batch.ids, self.ctx.clock.now())
            pace.posted(now, answer)
            self.failures[hook.id] = 0
            self.single.discard(hook.id)
            count.inc()
            if self.trouble.pop(hook.id, None) is not None:
                log.info("discord webhook %s recovered", hook.id)
            log.debug("discord webhook %s: sent %d rows", hook.id, len(batch.ids))
        elif answer.outcome == "limited":
            if answer.global_limit:
                self.global_until = max(self.global_until, now + answer.retry_after)
            else:
                pace.block(now, answer.retry_after)
            count.inc()
            log.info(
                "discord webhook %s: rate limited%s, retrying in %.1f s",
                hook.id,
                " (global)" if answer.global_limit else "",
                answer.retry_after,
            )
        elif answer.outcome == "retry":
            self.failures[hook.id] += 1
            delay = min(
                self.settings.backoff_cap,
                self.settings.backoff * 2 ** (self.failures[hook.id] - 1),
            )
            pace.block(now, delay)
            count.inc()
            what = f"HTTP {answer.status}" if answer.status else answer.detail
            if self.trouble.get(hook.id) != "retry":
                self.trouble[hook.id] = "retry"
                log.warning(
                    "discord webhook %s unreachable (%s); messages are kept and retried",
                    hook.id,
                    what,
                )
            else:
                log.debug(
                    "discord webhook %s still failing (%s), next try in %.0f s",
                    hook.id,
                    what,
                    delay,
                )
        elif answer.outcome == "gone":
            with self.ctx.db.session() as session:
                outbox.disable(session, hook.id, answer.status or 0, self.ctx.clock.now())
            self.disabled.add(hook.id)
            count.inc()
            log.warning(
                "discord webhook %s answered HTTP %s (deleted or token revoked): disabled "
                "until the next start; its messages are kept",
                hook.id,
                answer.status,
            )
        else:  # rejected: the message itself; send rows one by one, then drop the bad one
            if len(batch.ids) > 1:
                self.single.add(hook.id)
                log.info(
                    "discord webhook %s refused a batch (HTTP %s); sending one by one",
                    hook.id,
                    answer.status,
                )
                return
            with self.ctx.db.session() as session:
                outbox.mark_sent(session, batch.ids, self.ctx.clock.now(), failed=True)
            count.inc()
            log.error(
                "discord webhook %s refused message %d (HTTP %s: %s); skipped",
                hook.id,
                batch.ids[0],
                answer.status,
                answer.detail,
            )

    # ------------------------------------------------------------------ digest

    def _check_digest(self) -> None:
        """Owe the digest of the week that ended at the last reset, once per webhook
        (a unique outbox key per webhook and week), forget messages sent long ago, then
        wait for the next reset."""
        assert self.settings is not None
        now = self.ctx.clock.now()
        reset = last_reset(now)
        with self.ctx.db.session() as session:
            outbox.prune(session, now - KEEP_SENT)
        if (now - reset).total_seconds() <= self.settings.digest_grace:
            week = reset.date().isoformat()
            keys = {h: f"digest:{week}:{h}" for h in self.hooks}
            with self.ctx.db.session() as session:
                missing = [h for h, k in keys.items() if not outbox.is_owed(session, k)]
                if missing:
                    body = digest(
                        week_summary(session, reset - WEEK, reset), self.settings.public_url
                    )
                    for hook_id in missing:
                        outbox.enqueue_message(session, keys[hook_id], hook_id, body, now)
            if missing:
                log.info("weekly digest for the week to %s owed to %d webhooks", week, len(missing))
        until = (next_reset(now) - now + timedelta(seconds=1)).total_seconds()
        self.later(until, DigestDue())


_OUTCOME = {
    "sent": "sent",
    "limited": "retried",
    "retry": "retried",
    "gone": "disabled",
    "rejected": "failed",
}
