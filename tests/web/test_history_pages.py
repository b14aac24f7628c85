"""History from before the install on the pages: every activity a member page lists has
its name, and its report opens: fetched from Bungie on first open, kept, never asked twice;
an id the clan never played is not asked of Bungie at all."""

from __future__ import annotations

import requests
from sqlalchemy import select

from clanactors.store.models import ActivityInstance, MemberActivity, Pgcr
from tests.web.conftest import Live


def _unfetched(live: Live) -> tuple[str, str]:
    """An instance a member played, read from history, whose report is not stored yet."""
    with live.h.db.session() as session:
        fetched = set(session.scalars(select(Pgcr.instance_id)))
        rows = session.execute(
            select(MemberActivity.membership_id, MemberActivity.instance_id).order_by(
                MemberActivity.period.desc()
            )
        ).all()
    for membership_id, instance_id in rows:
        if instance_id not in fetched:
            return membership_id, instance_id
    raise AssertionError("every report is stored already")


def _pgcr_requests(live: Live, instance_id: str) -> int:
    return sum(n for p, n in live.h.paths().items() if f"PostGameCarnageReport/{instance_id}/" in p)


def test_a_report_not_fetched_yet_opens_and_is_kept(live: Live) -> None:
    base = f"http://127.0.0.1:{live.web.port}"
    membership_id, instance_id = _unfetched(live)
    assert _pgcr_requests(live, instance_id) == 0
    first = requests.get(f"{base}/api/activities/{instance_id}", timeout=30)
    assert first.status_code == 200, first.text
    report = first.json()
    assert report["instanceId"] == instance_id
    assert membership_id in {e["membershipId"] for e in report["entries"]}
    assert report["activity"]["name"] != "Unknown activity"
    page = requests.get(f"{base}/activities/{instance_id}", timeout=30)
    assert page.status_code == 200
    assert requests.get(f"{base}/api/activities/{instance_id}", timeout=30).json() == report
    assert _pgcr_requests(live, instance_id) == 1  # fetched once, then served from the store
    with live.h.db.session() as session:
        assert session.get(Pgcr, instance_id) is not None


def test_an_activity_the_clan_never_played_is_not_asked_of_bungie(live: Live) -> None:
    base = f"http://127.0.0.1:{live.web.port}"
    answer = requests.get(f"{base}/api/activities/123456789012", timeout=30)
    assert answer.status_code == 404 and "error" in answer.json()
    assert _pgcr_requests(live, "123456789012") == 0


def test_every_activity_on_a_member_page_has_a_name(live: Live) -> None:
    base = f"http://127.0.0.1:{live.web.port}"
    with live.h.db.session() as session:
        hashes = set(session.scalars(select(ActivityInstance.activity_hash)))
        members = set(session.scalars(select(MemberActivity.membership_id)))
    assert len(hashes) > 5 and members
    for membership_id in sorted(members)[:20]:
        page = requests.get(f"{base}/members/{membership_id}", timeout=30)
        if page.status_code == 404:
            continue  # a member who left since
        assert "Unknown activity" not in page.text, membership_id
