"""The Bungie.net client: one requests Session, the envelope, typed errors, and manners.

Every call goes through `_call`: single-flight (identical concurrent GETs share one
request), the process-wide rate limiter, a timeout, the envelope check (ErrorCode decides,
not the HTTP status), throttle pauses that hold back every thread, and retries with
backoff and jitter for transient faults. Results come back as records from `models`.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any

import requests

from clanactors import __version__
from clanactors.bungie import models
from clanactors.bungie.errors import (
    SUCCESS,
    TOKEN_CODES,
    AuthError,
    BungieError,
    ClientClosedError,
    MaintenanceError,
    NotFoundError,
    OAuthRefused,
    PrivacyError,
    ThrottledError,
    TokenError,
    TransientError,
    error_for_code,
)
from clanactors.bungie.ratelimit import BACKGROUND, LIVE, RECORDING, RateLimiter, SingleFlight
from clanactors.core import metrics
from clanactors.core.clock import Clock, RealClock

log = logging.getLogger(__name__)

PROFILE_COMPONENTS = "100,200,204,1000"
# When the request ceiling binds, recording (and the roster) goes first, then the live
# page, then stats.
PRIORITY = {
    "history": RECORDING,
    "history_import": BACKGROUND,  # history from before the install: after everything
    "pgcr": RECORDING,
    "definition": RECORDING,
    "profile_summary": RECORDING,
    "members": RECORDING,  # who joined, left, came online: the record, and cheap
    "group": LIVE,
    "profile": LIVE,
    "manifest": LIVE,
    "account_stats": BACKGROUND,
    "raid_stats": BACKGROUND,
}
# While Bungie is down, one probe at the roster interval, never less often than this.
MAX_PROBE_EVERY = 120.0


def probe_interval(roster_interval: float) -> float:
    """How often to probe a Bungie that is down: members are read again within one
    roster interval of its return."""
    return min(roster_interval, MAX_PROBE_EVERY)


USER_AGENT = f"clanactors/{__version__} (+https://github.com/clanactors/clanactors)"


class BungieClient:
    def __init__(
        self,
        api_key: str,
        *,
        api_root: str = "https://www.bungie.net/Platform",
        stats_root: str = "https://stats.bungie.net/Platform",
        max_rps: float = 10.0,
        session: requests.Session | None = None,
        clock: Clock | None = None,
        pace_clock: Clock | None = None,
        timeout: tuple[float, float] = (5.0, 20.0),
        max_attempts: int = 3,
        backoff: float = 1.0,
        throttle_floor: float = 10.0,
        probe_every: float = MAX_PROBE_EVERY,
        rng: random.Random | None = None,
    ) -> None:
        self._api_root = api_root.rstrip("/")
        self._stats_root = stats_root.rstrip("/")
        self._session = session or requests.Session()
        self._session.headers.update({"X-API-Key": api_key, "User-Agent": USER_AGENT})
        self._clock = clock or RealClock()
        # Request pacing may run on another clock than the rest (a test scene on simulated
        # time still paces its requests in real time).
        self._limiter = RateLimiter(max_rps, pace_clock or self._clock)
        self._flight = SingleFlight()
        self._timeout = timeout
        self._max_attempts = max_attempts
        self._backoff = backoff
        self._throttle_floor = throttle_floor
        self._rng = rng or random.Random()
        self._lock = threading.Lock()
        self.calls: Counter[str] = Counter()  # HTTP requests sent, by endpoint
        self.status = "ok"  # ok | maintenance | throttled | error: the last outcome
        # While Bungie is down every call fails fast without a request, except one probe
        # every `probe_every` seconds (maintenance) or a quarter of that (unreachable).
        self._probe_every = probe_every
        self._down_until: float | None = None
        self.on_status_change: Callable[[str], None] | None = None

    # ------------------------------------------------------------------ endpoints

    def get_group(self, group_id: str) -> models.GroupInfo:
        return models.parse_group(self._call("group", f"/GroupV2/{group_id}/"))

    def get_roster(self, group_id: str) -> list[models.RosterMember]:
        """Every member of the clan, following pages while `hasMore`."""
        members: list[models.RosterMember] = []
        page = 1
        while True:
            payload = self._call("members", f"/GroupV2/{group_id}/Members/", {"currentpage": page})
            parsed = models.parse_roster_page(payload)
            members.extend(parsed.members)
            if not parsed.has_more or not parsed.members or page >= 20:
                return members
            page += 1

    def get_profile(self, membership_type: int, membership_id: str) -> models.ProfileState:
        payload = self._call(
            "profile",
            f"/Destiny2/{membership_type}/Profile/{membership_id}/",
            {"components": PROFILE_COMPONENTS},
        )
        return models.parse_profile(payload, membership_id, membership_type)

    def get_character_ids(self, membership_type: int, membership_id: str) -> tuple[str, ...]:
        """The member's characters (component 100 only: the lightest profile call)."""
        payload = self._call(
            "profile_summary",
            f"/Destiny2/{membership_type}/Profile/{membership_id}/",
            {"components": "100"},
        )
        return models.parse_profile(payload, membership_id, membership_type).character_ids

    def get_history(
        self,
        membership_type: int,
        membership_id: str,
        character_id: str,
        *,
        count: int = 10,
        page: int = 0,
        mode: int = 0,
        background: bool = False,
    ) -> tuple[models.HistoryEntry, ...]:
        """A page of a character's history, newest first; `background` reads (the import
        of history from before the install) wait behind every other call."""
        payload = self._call(
            "history_import" if background else "history",
            f"/Destiny2/{membership_type}/Account/{membership_id}/Character/{character_id}"
            "/Stats/Activities/",
            {"count": count, "mode": mode, "page": page},
        )
        return models.parse_history(payload)

    def get_pgcr(self, instance_id: str) -> tuple[models.Pgcr, dict[str, Any]]:
        """The parsed report and the raw payload (kept as Bungie sent it)."""
        payload = self._call(
            "pgcr",
            f"/Destiny2/Stats/PostGameCarnageReport/{instance_id}/",
            root=self._stats_root,
        )
        return models.parse_pgcr(payload), payload

    def get_account_stats(self, membership_type: int, membership_id: str) -> models.AccountStats:
        payload = self._call(
            "account_stats",
            f"/Destiny2/{membership_type}/Account/{membership_id}/Stats/",
            {"groups": 1},
        )
        return models.parse_account_stats(payload)

    def get_raid_clears(self, membership_type: int, membership_id: str) -> int:
        payload = self._call(
            "raid_stats",
            f"/Destiny2/{membership_type}/Account/{membership_id}/Character/0/Stats/",
            {"groups": 1, "modes": models.MODE_RAID, "periodType": 2},
        )
        return models.parse_mode_clears(payload, "raid")

    def get_activity_definition(self, activity_hash: int) -> models.ActivityDefinition:
        payload = self._call(
            "definition", f"/Destiny2/Manifest/DestinyActivityDefinition/{activity_hash}/"
        )
        return models.parse_activity_definition(payload)

    def get_current_season_hash(self, membership_type: int, membership_id: str) -> int | None:
        """The current season's hash, as a member's profile (component 100) names it."""
        payload = self._call(
            "profile_summary",
            f"/Destiny2/{membership_type}/Profile/{membership_id}/",
            {"components": "100"},
        )
        return models.parse_current_season(payload)

    def get_season_definition(self, season_hash: int) -> models.SeasonDefinition:
        payload = self._call(
            "definition", f"/Destiny2/Manifest/DestinySeasonDefinition/{season_hash}/"
        )
        return models.parse_season_definition(payload)

    # ------------------------------------------------------------------ signed-in player
    # Calls made with a player's OAuth token (sign-in and the admin pages, docs/api.md, "Sign-in"):
    # paced by the same ceiling, sent once (an admin action is never retried blindly), and
    # their failures are the player's, not Bungie's status. No token is ever logged.

    def oauth_token(
        self, form: Mapping[str, str], client_id: str, client_secret: str
    ) -> models.OAuthTokens:
        """Exchange a code (`grant_type=authorization_code`) or a refresh token."""
        url = f"{self._api_root}/App/OAuth/Token/"
        response = self._send_user("POST", "oauth_token", url, None, data=dict(form),
                                   auth=(client_id, client_secret))  # fmt: skip
        try:
            body = response.json()
        except ValueError:
            body = None
        if response.status_code in (400, 401) and isinstance(body, Mapping) and "error" in body:
            raise OAuthRefused(
                f"{body.get('error')}: {body.get('error_description') or ''}".strip(),
                status=str(body.get("error")),
                path="/App/OAuth/Token/",
            )
        if response.status_code != 200 or body is None:
            raise TransientError(
                f"token endpoint answered HTTP {response.status_code}", path="/App/OAuth/Token/"
            )
        try:
            return models.parse_oauth_tokens(body)
        except ValueError as exc:
            raise BungieError(str(exc), path="/App/OAuth/Token/") from None

    def get_current_user(self, access_token: str) -> models.CurrentUser:
        path = "/User/GetMembershipsForCurrentUser/"
        return models.parse_current_user(self._user_call("GET", "user", path, access_token))

    def get_pending(self, group_id: str, access_token: str) -> list[models.Application]:
        found: list[models.Application] = []
        for page in range(1, 6):
            payload = self._user_call(
                "GET", "admin_pending", f"/GroupV2/{group_id}/Members/Pending/", access_token,
                params={"currentpage": page},
            )  # fmt: skip
            apps, more = models.parse_pending(payload)
            found.extend(apps)
            if not more or not apps:
                break
        return found

    def admin_post(
        self, endpoint: str, path: str, access_token: str, body: Mapping[str, Any] | None = None
    ) -> Any:
        """One GroupV2 admin call (`POST`), sent once: its Response, or the typed error
        carrying Bungie's message."""
        return self._user_call("POST", endpoint, path, access_token, json=dict(body or {}))

    def _user_call(
        self,
        method: str,
        endpoint: str,
        path: str,
        access_token: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
    ) -> Any:
        response = self._send_user(
            method, endpoint, f"{self._api_root}{path}", access_token, params=params, json=json
        )
        try:
            return parse_envelope(response, path)
        except BungieError as exc:
            if exc.code in TOKEN_CODES:
                raise TokenError(exc.args[0], code=exc.code, status=exc.status, path=path) from None
            raise

    def _send_user(
        self, method: str, endpoint: str, url: str, access_token: str | None, **kwargs: Any
    ) -> requests.Response:
        waited = self._limiter.acquire(LIVE)
        metrics.RATE_LIMIT_WAIT.labels(metrics.PRIORITY_NAMES[LIVE]).inc(waited)
        with self._lock:
            self.calls[endpoint] += 1
        headers = {"Authorization": f"Bearer {access_token}"} if access_token else {}
        outcome = "error"
        try:
            response = self._session.request(
                method, url, headers=headers, timeout=self._timeout, allow_redirects=False,
                **kwargs,
            )  # fmt: skip
            outcome = "ok" if response.status_code < 400 else "refused"
            return response
        except requests.Timeout:
            raise TransientError("request timed out", path=endpoint) from None
        except requests.RequestException as exc:
            raise TransientError(
                f"cannot reach Bungie: {type(exc).__name__}", path=endpoint
            ) from None
        finally:
            metrics.BUNGIE_REQUESTS.labels(endpoint, outcome).inc()

    def probe(self) -> None:
        """A cheap call to see whether Bungie is back (the manifest index)."""
        self._call("manifest", "/Destiny2/Manifest/")

    def live_wait(self) -> float:
        """How long the last live call (roster, profile) waited for its turn, seconds."""
        return self._limiter.wait_of(LIVE)

    def close(self) -> None:
        """Wake every waiting call with ClientClosedError and close the HTTP session."""
        self._limiter.close()
        self._session.close()

    # ------------------------------------------------------------------ machinery

    def _call(
        self,
        endpoint: str,
        path: str,
        params: Mapping[str, Any] | None = None,
        *,
        root: str | None = None,
    ) -> Any:
        url = f"{root or self._api_root}{path}"
        key = (url, tuple(sorted((params or {}).items())))
        return self._flight.do(key, lambda: self._send_with_retries(endpoint, url, params, path))

    def _send_with_retries(
        self, endpoint: str, url: str, params: Mapping[str, Any] | None, path: str
    ) -> Any:
        attempt = 0
        while True:
            attempt += 1
            if attempt == 1:  # a probe keeps its own retries
                self._wait_for_probe(path)
            try:
                payload = self._send_once(endpoint, url, params, path)
            except ThrottledError as exc:
                wait = max(exc.retry_after, self._throttle_floor)
                self._limiter.pause(wait)
                self._set_status("throttled", exc)
                if attempt >= self._max_attempts:
                    raise
                log.info("bungie throttled endpoint=%s wait=%.1fs", endpoint, wait)
            except TransientError as exc:
                if attempt >= self._max_attempts:
                    self._set_status("error", exc)
                    self._trip(self._probe_every / 4)
                    raise
                delay = self._backoff * 2 ** (attempt - 1)
                delay += self._rng.uniform(0, delay / 2)
                log.debug("bungie transient endpoint=%s retry_in=%.2fs: %s", endpoint, delay, exc)
                self._limiter.sleep(delay)
            except MaintenanceError as exc:
                self._set_status("maintenance", exc)
                self._trip(self._probe_every)
                raise
            except AuthError as exc:
                self._set_status("error", exc)
                raise
            except ClientClosedError:
                raise
            else:
                with self._lock:
                    self._down_until = None
                self._set_status("ok", None)
                return payload

    def _wait_for_probe(self, path: str) -> None:
        """Fail fast while Bungie is down; the first caller after the pause is the probe."""
        with self._lock:
            if self._down_until is None:
                return
            now = self._clock.monotonic()
            if now < self._down_until:
                wait = self._down_until - now
                if self.status == "maintenance":
                    raise MaintenanceError(
                        f"Bungie is down for maintenance; next look in {wait:.0f} s", path=path
                    )
                raise TransientError(f"Bungie is unreachable; next look in {wait:.0f} s", path=path)
            # This caller probes; the others keep failing fast until it has an answer.
            self._down_until = now + self._probe_every

    def _trip(self, seconds: float) -> None:
        with self._lock:
            self._down_until = self._clock.monotonic() + seconds

    def _send_once(
        self, endpoint: str, url: str, params: Mapping[str, Any] | None, path: str
    ) -> Any:
        priority = PRIORITY.get(endpoint, LIVE)
        waited = self._limiter.acquire(priority)
        metrics.RATE_LIMIT_WAIT.labels(metrics.PRIORITY_NAMES[priority]).inc(waited)
        with self._lock:
            self.calls[endpoint] += 1
        began = time.perf_counter()
        outcome = "error"
        try:
            response = self._session.get(
                url, params=params, timeout=self._timeout, allow_redirects=True
            )
            payload = parse_envelope(response, path)
            outcome = "ok"
            return payload
        except requests.Timeout:
            raise TransientError("request timed out", path=path) from None
        except requests.ConnectionError as exc:
            raise TransientError(f"cannot reach Bungie: {type(exc).__name__}", path=path) from None
        except requests.RequestException as exc:
            raise TransientError(f"request failed: {type(exc).__name__}", path=path) from None
        except BungieError as exc:
            outcome = _outcome(exc)
            raise
        finally:
            metrics.BUNGIE_REQUESTS.labels(endpoint, outcome).inc()
            metrics.BUNGIE_LATENCY.labels(endpoint).observe(time.perf_counter() - began)

    def _set_status(self, status: str, exc: BungieError | None) -> None:
        with self._lock:
            previous, self.status = self.status, status
        if previous == status:
            return
        if status == "ok":
            log.info("bungie recovered (was %s)", previous)
        else:
            log.warning("bungie %s: %s", status, exc)
        if self.on_status_change is not None:
            self.on_status_change(status)


def _outcome(exc: BungieError) -> str:
    """The metrics label for a failed call."""
    for kind, label in (
        (MaintenanceError, "maintenance"),
        (ThrottledError, "throttled"),
        (PrivacyError, "privacy"),
        (NotFoundError, "not_found"),
    ):
        if isinstance(exc, kind):
            return label
    return "error"


def parse_envelope(response: requests.Response, path: str) -> Any:
    """The `Response` payload of a Success envelope, or the typed error it carries."""
    try:
        body = response.json()
    except ValueError:
        text = response.text.lstrip()[:1]
        if text in ("{", "["):  # a body cut short on the way: try again
            raise TransientError(
                f"truncated JSON body (HTTP {response.status_code})", path=path
            ) from None
        if response.status_code == 404:  # no such endpoint here, not an outage
            raise NotFoundError("HTTP 404 without a Bungie envelope", path=path) from None
        raise MaintenanceError(
            f"Bungie answered HTTP {response.status_code} with a non-JSON page", path=path
        ) from None
    if not isinstance(body, Mapping) or "ErrorCode" not in body:
        if response.status_code >= 500:
            raise TransientError(f"HTTP {response.status_code} without envelope", path=path)
        raise BungieError(f"HTTP {response.status_code} without Bungie envelope", path=path)
    try:
        code = int(body["ErrorCode"])
    except (TypeError, ValueError):
        raise BungieError("ErrorCode is not a number", path=path) from None
    if code == SUCCESS:
        if "Response" not in body:
            raise BungieError("Success envelope without Response", path=path)
        return body["Response"]
    try:
        throttle = float(body.get("ThrottleSeconds") or 0)
    except (TypeError, ValueError):
        throttle = 0.0
    raise error_for_code(
        code,
        str(body.get("ErrorStatus") or ""),
        str(body.get("Message") or "Bungie returned an error"),
        path,
        throttle,
    )
