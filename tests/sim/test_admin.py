"""The simulator's sign-in (authorize page, token endpoint) and GroupV2 admin endpoints,
over loopback as the app sees them."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from clanactors.core.clock import FakeClock
from clanactors.sim.server import RunningSimulator, Simulator

CLIENT, SECRET, BACK = "4242", "s3cret", "http://site.test/signin/callback"


@pytest.fixture
def sim(clock: FakeClock) -> Any:
    running = RunningSimulator(Simulator(seed=7, clock=clock, hostile_names=True)).start()
    running.sim.oauth.register(CLIENT, SECRET, BACK)
    yield running
    running.stop()


def ranked(sim: RunningSimulator, rank: int) -> Any:
    return next(m for m in sim.world.roster() if m.rank == rank and not m.special)


def code_for(sim: RunningSimulator, membership_id: str, state: str = "st") -> str:
    page = requests.get(
        f"{sim.url}/en/OAuth/Authorize",
        params={"client_id": CLIENT, "response_type": "code", "state": state},
        timeout=5,
    )
    assert page.status_code == 200 and membership_id in page.text
    answer = requests.post(
        f"{sim.url}/en/OAuth/Authorize",
        data={"client_id": CLIENT, "state": state, "membership_id": membership_id},
        allow_redirects=False,
        timeout=5,
    )
    assert answer.status_code == 302
    where = urlsplit(answer.headers["Location"])
    assert f"{where.scheme}://{where.netloc}{where.path}" == BACK
    query = parse_qs(where.query)
    assert query["state"] == [state]
    return query["code"][0]


def token(sim: RunningSimulator, auth: tuple[str, str] = (CLIENT, SECRET), **form: str) -> Any:
    return requests.post(f"{sim.url}/Platform/App/OAuth/Token/", data=form, auth=auth, timeout=5)


def sign_in(sim: RunningSimulator, membership_id: str) -> dict[str, Any]:
    answer = token(sim, grant_type="authorization_code", code=code_for(sim, membership_id))
    assert answer.status_code == 200, answer.text
    return answer.json()


def call(
    sim: RunningSimulator, method: str, path: str, access: str | None, body: Any = None
) -> Any:
    headers = {"X-API-Key": "k"}
    if access:
        headers["Authorization"] = f"Bearer {access}"
    answer = requests.request(
        method, f"{sim.url}/Platform{path}", headers=headers, json=body, timeout=5
    )
    return answer.json()


def roster_ids(sim: RunningSimulator) -> set[str]:
    found: set[str] = set()
    for page in range(1, 5):
        answer = call(sim, "GET", f"/GroupV2/{sim.clan_id}/Members/?currentpage={page}", None)
        found |= {r["destinyUserInfo"]["membershipId"] for r in answer["Response"]["results"]}
    return found


def test_authorize_page_escapes_names_and_runs_no_script(sim: RunningSimulator) -> None:
    page = requests.get(
        f"{sim.url}/en/OAuth/Authorize",
        params={"client_id": CLIENT, "response_type": "code", "state": "<x>"},
        timeout=5,
    )
    assert "<svg/onload" not in page.text and "&lt;svg/onload" in page.text
    assert "<script" not in page.text and "&lt;x&gt;" in page.text
    assert "default-src 'none'" in page.headers["Content-Security-Policy"]
    founder = ranked(sim, 5)
    assert page.text.index(founder.membership_id) < page.text.index(ranked(sim, 2).membership_id)
    unknown = requests.get(
        f"{sim.url}/en/OAuth/Authorize",
        params={"client_id": "nope", "response_type": "code", "state": "s"},
        timeout=5,
    )
    assert unknown.status_code == 400


def test_codes_are_single_use_and_short_lived(sim: RunningSimulator, clock: FakeClock) -> None:
    founder = ranked(sim, 5)
    code = code_for(sim, founder.membership_id)
    assert (
        token(sim, ("4242", "wrong"), grant_type="authorization_code", code=code).status_code == 401
    )
    first = token(sim, grant_type="authorization_code", code=code)
    assert first.status_code == 200
    body = first.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600
    assert body["refresh_token"] and body["access_token"] != body["refresh_token"]
    again = token(sim, grant_type="authorization_code", code=code)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    late = code_for(sim, founder.membership_id)
    clock.advance(6 * 60)
    stale = token(sim, grant_type="authorization_code", code=late)
    assert stale.status_code == 400 and stale.json()["error"] == "invalid_grant"


def test_memberships_need_a_token_that_has_not_expired(
    sim: RunningSimulator, clock: FakeClock
) -> None:
    founder = ranked(sim, 5)
    tokens = sign_in(sim, founder.membership_id)
    path = "/User/GetMembershipsForCurrentUser/"
    assert call(sim, "GET", path, None)["ErrorCode"] == 99
    assert call(sim, "GET", path, "forged")["ErrorCode"] == 99
    mine = call(sim, "GET", path, tokens["access_token"])["Response"]
    assert [m["membershipId"] for m in mine["destinyMemberships"]] == [founder.membership_id]
    clock.advance(3601)
    assert call(sim, "GET", path, tokens["access_token"])["ErrorCode"] == 2111
    fresh = token(sim, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert fresh.status_code == 200
    assert call(sim, "GET", path, fresh.json()["access_token"])["ErrorCode"] == 1
    reused = token(sim, grant_type="refresh_token", refresh_token=tokens["refresh_token"])
    assert reused.status_code == 400  # refresh tokens rotate
    sim.sim.oauth.revoke(founder.membership_id)
    assert call(sim, "GET", path, fresh.json()["access_token"])["ErrorCode"] == 99


def test_applications_arrive_over_time_the_same_for_one_seed(
    sim: RunningSimulator, clock: FakeClock
) -> None:
    founder = ranked(sim, 5)
    access = sign_in(sim, founder.membership_id)["access_token"]
    path = f"/GroupV2/{sim.clan_id}/Members/Pending/?currentpage=1"
    before = call(sim, "GET", path, access)["Response"]["results"]
    assert before and all(r["resolveState"] == 0 for r in before)
    clock.advance(3 * 86400)
    access = sign_in(sim, founder.membership_id)["access_token"]  # the old one expired
    after = call(sim, "GET", path, access)["Response"]["results"]
    assert {r["destinyUserInfo"]["membershipId"] for r in after} - {
        r["destinyUserInfo"]["membershipId"] for r in before
    }
    twin = Simulator(seed=7, clock=clock)
    twin.world.sync()
    assert [a.member.membership_id for a in twin.applicants.pending(twin.world)] == [
        r["destinyUserInfo"]["membershipId"] for r in after
    ]
    twin.archive.stop()


def test_approve_deny_kick_ban_and_rank_change_the_clan(sim: RunningSimulator) -> None:
    founder = ranked(sim, 5)
    access = sign_in(sim, founder.membership_id)["access_token"]
    g = sim.clan_id
    pending = call(sim, "GET", f"/GroupV2/{g}/Members/Pending/", access)["Response"]["results"]
    assert len(pending) >= 3
    one, two, three = (r["destinyUserInfo"] for r in pending[:3])
    approved = call(
        sim, "POST", f"/GroupV2/{g}/Members/Approve/{one['membershipType']}/{one['membershipId']}/",
        access, {"message": "welcome"},
    )  # fmt: skip
    assert approved["Response"] is True
    assert one["membershipId"] in roster_ids(sim)
    listed = call(
        sim, "POST", f"/GroupV2/{g}/Members/ApproveList/", access,
        {"memberships": [{"membershipType": two["membershipType"],
                          "membershipId": two["membershipId"]}], "message": ""},
    )  # fmt: skip
    assert listed["Response"] == [{"entityId": two["membershipId"], "result": 1}]
    denied = call(sim, "POST", f"/GroupV2/{g}/Members/DenyAll/", access, {"message": ""})
    assert three["membershipId"] in {r["entityId"] for r in denied["Response"]}
    assert three["membershipId"] not in roster_ids(sim)
    assert call(sim, "GET", f"/GroupV2/{g}/Members/Pending/", access)["Response"]["results"] == []

    plain = ranked(sim, 2)
    kicked = call(
        sim, "POST", f"/GroupV2/{g}/Members/{plain.membership_type}/{plain.membership_id}/Kick/",
        access,
    )  # fmt: skip
    assert kicked["ErrorCode"] == 1 and kicked["Response"]["groupDeleted"] is False
    assert plain.membership_id not in roster_ids(sim)
    again = call(
        sim, "POST", f"/GroupV2/{g}/Members/{plain.membership_type}/{plain.membership_id}/Kick/",
        access,
    )  # fmt: skip
    assert again["ErrorCode"] == 688

    other = next(m for m in sim.world.roster() if m.rank == 2 and not m.special)
    banned = call(
        sim, "POST", f"/GroupV2/{g}/Members/{other.membership_type}/{other.membership_id}/Ban/",
        access, {"comment": "", "length": 0},
    )  # fmt: skip
    assert banned["ErrorCode"] == 1 and other.membership_id not in roster_ids(sim)

    promoted = next(m for m in sim.world.roster() if m.rank == 2 and not m.special)
    path = f"/GroupV2/{g}/Members/{promoted.membership_type}/{promoted.membership_id}"
    assert call(sim, "POST", f"{path}/SetMembershipType/3/", access)["ErrorCode"] == 1
    assert promoted.rank == 3
    assert call(sim, "POST", f"{path}/SetMembershipType/5/", access)["ErrorCode"] == 687


def test_admin_endpoints_enforce_token_scope_and_rank(sim: RunningSimulator) -> None:
    g = sim.clan_id
    founder, admin, plain = ranked(sim, 5), ranked(sim, 3), ranked(sim, 2)
    kick = f"/GroupV2/{g}/Members/{plain.membership_type}/{plain.membership_id}/Kick/"
    assert call(sim, "POST", kick, None)["ErrorCode"] == 99
    assert call(sim, "GET", kick, None)["ErrorCode"] != 1  # a POST endpoint
    member_token = sign_in(sim, plain.membership_id)["access_token"]
    assert call(sim, "GET", f"/GroupV2/{g}/Members/Pending/", member_token)["ErrorCode"] == 603
    admin_token = sign_in(sim, admin.membership_id)["access_token"]
    on_founder = f"/GroupV2/{g}/Members/{founder.membership_type}/{founder.membership_id}/Kick/"
    refused = call(sim, "POST", on_founder, admin_token)
    assert refused["ErrorCode"] == 687 and refused["Message"]
    promote = f"/GroupV2/{g}/Members/{plain.membership_type}/{plain.membership_id}"
    assert call(sim, "POST", f"{promote}/SetMembershipType/3/", admin_token)["ErrorCode"] == 687
    assert founder.membership_id in roster_ids(sim)

    sim.sim.oauth.register("narrow", "x", BACK, frozenset({"ReadBasicUserProfile"}))
    page = requests.post(
        f"{sim.url}/en/OAuth/Authorize",
        data={"client_id": "narrow", "state": "s", "membership_id": founder.membership_id},
        allow_redirects=False,
        timeout=5,
    )
    code = re.search(r"code=(\w+)", page.headers["Location"])
    assert code is not None
    narrow = token(sim, ("narrow", "x"), grant_type="authorization_code", code=code.group(1))
    assert call(sim, "POST", kick, narrow.json()["access_token"])["ErrorCode"] == 2108
    assert plain.membership_id in roster_ids(sim)


def test_sim_oauth_switches_over_http(sim: RunningSimulator) -> None:
    founder = ranked(sim, 5)
    tokens = sign_in(sim, founder.membership_id)
    path = "/User/GetMembershipsForCurrentUser/"
    answer = requests.post(f"{sim.url}/sim/oauth", json={"expireAccessTokens": True}, timeout=5)
    assert answer.json()["expired"] >= 1
    assert call(sim, "GET", path, tokens["access_token"])["ErrorCode"] == 2111
    answer = requests.post(
        f"{sim.url}/sim/oauth", json={"revoke": founder.membership_id}, timeout=5
    )
    assert answer.json()["revoked"] >= 1
    assert (
        token(sim, grant_type="refresh_token", refresh_token=tokens["refresh_token"]).status_code
        == 400
    )
    assert requests.post(f"{sim.url}/sim/oauth", json=[], timeout=5).status_code == 400


def test_applicants_public_stats_are_served_private_ones_refused(
    sim: RunningSimulator, clock: FakeClock
) -> None:
    clock.advance(4 * 86400)  # enough applications for both kinds
    sim.world.sync()
    pending = sim.sim.applicants.pending(sim.world)
    public = next(a.member for a in pending if not a.member.private)
    stats = call(
        sim,
        "GET",
        f"/Destiny2/{public.membership_type}/Account/{public.membership_id}/Stats/",
        None,
    )
    assert stats["ErrorCode"] == 1 and stats["Response"]["mergedAllCharacters"]["results"]
    hidden = next((a.member for a in pending if a.member.private), None)
    if hidden is not None:
        path = f"/Destiny2/{hidden.membership_type}/Account/{hidden.membership_id}/Stats/"
        assert call(sim, "GET", path, None)["ErrorCode"] == 1665
