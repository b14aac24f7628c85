from __future__ import annotations

import itertools
import json
import random
import threading
import time
from typing import Any

import pytest
import requests
import responses

from clanactors.bungie.client import BungieClient
from clanactors.bungie.errors import (
    AuthError,
    BadRequestError,
    MaintenanceError,
    NotFoundError,
    PrivacyError,
    ThrottledError,
    TransientError,
)
from clanactors.core.clock import FakeClock
from tests.conftest import load_sample

API = "https://www.bungie.net/Platform"
STATS = "https://stats.bungie.net/Platform"
PROFILE = f"{API}/Destiny2/2/Profile/4611686018462034842/"
KEY = "s3cret-key-0123"


def envelope(code: int, status: str = "Error", message: str = "", throttle: int = 0) -> dict:
    return {
        "ErrorCode": code,
        "ThrottleSeconds": throttle,
        "ErrorStatus": status,
        "Message": message or status,
        "MessageData": {},
    }


def ok(payload: Any) -> dict:
    return {"Response": payload, **envelope(1, "Success", "Ok")}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def client(clock: FakeClock) -> BungieClient:
    return BungieClient(
        KEY, api_root=API, stats_root=STATS, max_rps=1000, clock=clock, rng=random.Random(1)
    )


@responses.activate
def test_profile_request_carries_key_agent_components_and_timeout(client: BungieClient) -> None:
    responses.get(PROFILE, json=load_sample("getprofile_c100_profiles.restiny.json"))
    state = client.get_profile(2, "4611686018462034842")
    assert state.membership_id == "4611686018462034842"
    request = responses.calls[0].request
    assert request.headers["X-API-Key"] == KEY
    assert request.headers["User-Agent"].startswith("clanactors/")
    assert "components=100%2C200%2C204%2C1000" in request.url
    assert request.req_kwargs["timeout"] == (5.0, 20.0)


@responses.activate
def test_maintenance_code_5(client: BungieClient) -> None:
    responses.get(
        PROFILE, json=envelope(5, "SystemDisabled", "This system is disabled"), status=503
    )
    with pytest.raises(MaintenanceError) as info:
        client.get_profile(2, "4611686018462034842")
    assert info.value.code == 5
    assert client.status == "maintenance"
    assert len(responses.calls) == 1  # maintenance is not retried


@responses.activate
def test_html_maintenance_page_is_maintenance(client: BungieClient) -> None:
    responses.get(
        PROFILE,
        body="<!DOCTYPE html><html><body>Bungie.net is down for maintenance</body></html>",
        status=503,
        content_type="text/html",
    )
    with pytest.raises(MaintenanceError, match="non-JSON"):
        client.get_profile(2, "4611686018462034842")
    assert client.status == "maintenance"


@pytest.mark.parametrize("code", [31, 35, 36, 37, 51, 54, 55, 56, 57, 1672])
@responses.activate
def test_every_throttle_code_is_throttled(code: int, clock: FakeClock) -> None:
    client = BungieClient(KEY, api_root=API, max_rps=1000, clock=clock, max_attempts=1)
    responses.get(PROFILE, json=envelope(code, "Throttled", throttle=15))
    with pytest.raises(ThrottledError) as info:
        client.get_profile(2, "4611686018462034842")
    assert info.value.retry_after == 15
    assert client.status == "throttled"


@responses.activate
def test_throttle_wait_is_honoured_before_the_next_request(
    client: BungieClient, clock: FakeClock
) -> None:
    sent_at: list[float] = []

    def answer(request: requests.PreparedRequest) -> tuple[int, dict, str]:
        sent_at.append(clock.monotonic())
        if len(sent_at) == 1:
            return (
                200,
                {},
                json.dumps(envelope(36, "ThrottleLimitExceededMomentarily", throttle=12)),
            )
        return 200, {}, json.dumps(load_sample("getprofile_c100_profiles.restiny.json"))

    responses.add_callback(responses.GET, PROFILE, callback=answer)
    client.get_profile(2, "4611686018462034842")
    assert len(sent_at) == 2
    assert sent_at[1] - sent_at[0] >= 12
    assert client.status == "ok"

    # The pause holds back every caller, not just the one that was throttled.
    responses.get(f"{API}/GroupV2/1/", json=envelope(36, throttle=2))
    before = clock.monotonic()
    with pytest.raises(ThrottledError):
        BungieClient(KEY, api_root=API, clock=clock, max_attempts=1).get_group("1")
    assert clock.monotonic() - before < 1


@responses.activate
def test_throttle_floor_of_ten_seconds_when_bungie_says_zero(
    client: BungieClient, clock: FakeClock
) -> None:
    sent_at: list[float] = []

    def answer(request: requests.PreparedRequest) -> tuple[int, dict, str]:
        sent_at.append(clock.monotonic())
        if len(sent_at) == 1:
            return 200, {}, json.dumps(envelope(51, "PerEndpointRequestThrottleExceeded"))
        return 200, {}, json.dumps(load_sample("getprofile_c100_profiles.restiny.json"))

    responses.add_callback(responses.GET, PROFILE, callback=answer)
    client.get_profile(2, "4611686018462034842")
    assert sent_at[1] - sent_at[0] >= 10


@responses.activate
def test_privacy_1665(client: BungieClient) -> None:
    url = f"{API}/Destiny2/2/Account/4611686018462034842/Character/1/Stats/Activities/"
    responses.get(url, json=envelope(1665, "DestinyPrivacyRestriction"))
    with pytest.raises(PrivacyError):
        client.get_history(2, "4611686018462034842", "1")
    assert client.status == "ok"  # a private member is not a Bungie problem


@responses.activate
def test_pgcr_not_found_sample_goes_to_the_stats_root(client: BungieClient) -> None:
    responses.get(
        f"{STATS}/Destiny2/Stats/PostGameCarnageReport/0/",
        json=load_sample("error_c1653_destinypgcrnotfound.restiny.json"),
        status=404,
    )
    with pytest.raises(NotFoundError) as info:
        client.get_pgcr("0")
    assert info.value.code == 1653


@responses.activate
def test_bad_request_sample_with_http_500(client: BungieClient) -> None:
    responses.get(
        PROFILE,
        json=load_sample("error_c7_parameterparsefailure_getprofile.restiny.json"),
        status=500,
    )
    with pytest.raises(BadRequestError) as info:
        client.get_profile(2, "4611686018462034842")
    assert info.value.code == 7
    assert len(responses.calls) == 1


@responses.activate
def test_auth_errors_and_the_key_stays_out_of_the_message(client: BungieClient) -> None:
    responses.get(PROFILE, json=envelope(2101, "ApiInvalidOrExpiredKey", "Invalid key"))
    with pytest.raises(AuthError) as info:
        client.get_profile(2, "4611686018462034842")
    assert KEY not in str(info.value)
    assert client.status == "error"


@responses.activate
def test_transient_error_is_retried_then_succeeds(client: BungieClient, clock: FakeClock) -> None:
    responses.get(PROFILE, json=envelope(3, "UnhandledException"), status=500)
    responses.get(PROFILE, body=requests.ConnectionError("reset"))
    responses.get(PROFILE, json=load_sample("getprofile_c100_profiles.restiny.json"))
    state = client.get_profile(2, "4611686018462034842")
    assert state.date_last_played is not None
    assert len(responses.calls) == 3
    assert len(clock.slept) >= 2 and all(s > 0 for s in clock.slept)  # backoff between tries


@responses.activate
def test_transient_error_gives_up_after_max_attempts(client: BungieClient) -> None:
    responses.get(PROFILE, json=envelope(1618, "DestinyUnexpectedError"))
    with pytest.raises(TransientError):
        client.get_profile(2, "4611686018462034842")
    assert len(responses.calls) == 3
    assert client.status == "error"


@responses.activate
def test_truncated_json_is_retried(client: BungieClient) -> None:
    responses.get(PROFILE, body='{"Response":{"profile":', status=200)
    responses.get(PROFILE, json=load_sample("getprofile_c100_profiles.restiny.json"))
    client.get_profile(2, "4611686018462034842")
    assert len(responses.calls) == 2


@responses.activate
def test_roster_pages_are_followed_while_has_more(client: BungieClient) -> None:
    def member(i: int) -> dict:
        return {
            "memberType": 2,
            "isOnline": i % 2 == 0,
            "lastOnlineStatusChange": "1700000000",
            "groupId": "42",
            "joinDate": "2021-05-01T10:00:00Z",
            "destinyUserInfo": {
                "membershipType": 3,
                "membershipId": str(4611686018400000000 + i),
                "displayName": f"M{i}",
                "bungieGlobalDisplayName": f"M{i}",
                "bungieGlobalDisplayNameCode": 7,
            },
        }

    url = f"{API}/GroupV2/42/Members/"
    responses.get(
        url,
        match=[responses.matchers.query_param_matcher({"currentpage": "1"})],
        json=ok({"results": [member(i) for i in range(50)], "totalResults": 60, "hasMore": True}),
    )
    responses.get(
        url,
        match=[responses.matchers.query_param_matcher({"currentpage": "2"})],
        json=ok(
            {"results": [member(i) for i in range(50, 60)], "totalResults": 60, "hasMore": False}
        ),
    )
    roster = client.get_roster("42")
    assert len(roster) == 60
    assert len({m.membership_id for m in roster}) == 60
    assert roster[0].bungie_name == "M0#0007"
    assert len(responses.calls) == 2


@responses.activate
def test_identical_concurrent_gets_collapse_into_one_request() -> None:
    client = BungieClient(KEY, api_root=API, max_rps=1000)
    in_flight = threading.Event()

    def slow(request: requests.PreparedRequest) -> tuple[int, dict, str]:
        in_flight.set()
        time.sleep(0.3)
        return 200, {}, json.dumps(load_sample("getprofile_c100_profiles.restiny.json"))

    responses.add_callback(responses.GET, PROFILE, callback=slow)
    results: list[Any] = []

    def fetch() -> None:
        results.append(client.get_profile(2, "4611686018462034842"))

    first = threading.Thread(target=fetch)
    first.start()
    assert in_flight.wait(2)
    second = threading.Thread(target=fetch)
    second.start()
    first.join()
    second.join()
    assert len(responses.calls) == 1
    assert len(results) == 2 and results[0] == results[1]

    client.get_profile(2, "4611686018462034842")  # later calls are not cached
    assert len(responses.calls) == 2


@responses.activate
def test_rate_ceiling_holds_with_eight_threads_hammering() -> None:
    rate = 20
    client = BungieClient(KEY, api_root=API, max_rps=rate)
    sent: list[float] = []
    lock = threading.Lock()

    def answer(request: requests.PreparedRequest) -> tuple[int, dict, str]:
        with lock:
            sent.append(time.monotonic())
        return 200, {}, json.dumps(ok({"detail": {"groupId": "1", "name": "x"}}))

    responses.add_callback(
        responses.GET, responses.matchers.re.compile(f"{API}/GroupV2/.*"), callback=answer
    )

    def hammer(worker: int) -> None:
        for i in range(8):
            client.get_group(str(worker * 100 + i))  # distinct URLs: no collapsing

    threads = [threading.Thread(target=hammer, args=(w,)) for w in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()

    assert len(sent) == 64
    sent.sort()
    busiest = max(sum(1 for t in sent if start <= t < start + 1.0) for start in sent)
    # One extra is the boundary effect of timing in the callback, not at the limiter.
    assert busiest <= rate + 1, busiest
    overall = (len(sent) - 1) / (sent[-1] - sent[0])
    assert overall <= rate * 1.05, overall
    gaps = [b - a for a, b in itertools.pairwise(sent)]
    assert min(gaps) >= 0.5 / rate


def test_close_wakes_a_caller_waiting_for_a_slot() -> None:
    client = BungieClient(KEY, api_root=API, max_rps=0.01)  # one request per 100 s
    client._limiter.acquire()  # use up the first slot
    errors: list[BaseException] = []

    def wait_for_slot() -> None:
        try:
            client.get_group("1")
        except Exception as exc:
            errors.append(exc)

    thread = threading.Thread(target=wait_for_slot)
    thread.start()
    time.sleep(0.2)
    client.close()
    thread.join(2)
    assert not thread.is_alive()
    assert type(errors[0]).__name__ == "ClientClosedError"


@responses.activate
def test_a_plain_404_page_is_not_found_not_maintenance(client: BungieClient) -> None:
    responses.get(PROFILE, body="<html>Not Found</html>", status=404, content_type="text/html")
    with pytest.raises(NotFoundError):
        client.get_profile(2, "4611686018462034842")
    assert client.status == "ok"


@responses.activate
def test_while_bungie_is_down_one_probe_every_two_minutes(
    client: BungieClient, clock: FakeClock
) -> None:
    maintenance = responses.get(PROFILE, json=envelope(5, "SystemDisabled"), status=503)
    for _ in range(16):  # every actor asking at once, as at the start of an outage
        with pytest.raises(MaintenanceError):
            client.get_profile(2, "4611686018462034842")
    assert maintenance.call_count == 1
    clock.advance(119)
    with pytest.raises(MaintenanceError, match="next look"):
        client.get_profile(2, "4611686018462034842")
    clock.advance(1.5)
    with pytest.raises(MaintenanceError):
        client.get_profile(2, "4611686018462034842")  # the probe: still down
    assert maintenance.call_count == 2
    responses.replace(
        responses.GET, PROFILE, json=load_sample("getprofile_c100_profiles.restiny.json")
    )
    clock.advance(121)
    client.get_profile(2, "4611686018462034842")
    assert client.status == "ok"
    client.get_profile(2, "4611686018462034842")  # back to normal: no more waiting
    assert len(responses.calls) == 4


@responses.activate
def test_unreachable_bungie_is_probed_every_30_s(client: BungieClient, clock: FakeClock) -> None:
    responses.get(PROFILE, json=envelope(1618, "DestinyUnexpectedError"))
    with pytest.raises(TransientError):
        client.get_profile(2, "4611686018462034842")
    assert client.status == "error" and len(responses.calls) == 3
    with pytest.raises(TransientError, match="unreachable"):
        client.get_profile(2, "4611686018462034842")
    assert len(responses.calls) == 3
    clock.advance(31)
    with pytest.raises(TransientError):
        client.get_profile(2, "4611686018462034842")
    assert len(responses.calls) == 6  # the probe, with its retries


def test_recording_goes_before_presence_when_callers_queue() -> None:
    from clanactors.bungie.ratelimit import BACKGROUND, LIVE, RECORDING, RateLimiter

    limiter = RateLimiter(20.0)  # one caller every 50 ms
    limiter.acquire()
    order: list[str] = []
    lock = threading.Lock()

    def caller(name: str, priority: int) -> None:
        limiter.acquire(priority)
        with lock:
            order.append(name)

    threads = [
        threading.Thread(target=caller, args=(name, priority))
        for name, priority in [
            ("stats", BACKGROUND),
            ("profile-1", LIVE),
            ("profile-2", LIVE),
            ("history", RECORDING),
            ("pgcr", RECORDING),
        ]
    ]
    for thread in threads:
        thread.start()
        time.sleep(0.005)  # all queued well within the first 50 ms slot
    for thread in threads:
        thread.join(5)
    assert order == ["history", "pgcr", "profile-1", "profile-2", "stats"]
    assert limiter.wait_of(BACKGROUND) >= 0.15
