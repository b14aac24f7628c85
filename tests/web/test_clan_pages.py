"""The clan pages against the real Tornado app on a fixed clock: /roster, /roster.csv,
/leaderboards, /feed, /feed.atom, the member page and the complete PGCR — their shapes,
filters, sorting, paging, 400s for bad parameters, and hostile names kept inert."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest
import requests

from clanactors.bungie.models import parse_pgcr
from clanactors.core.clock import FakeClock
from clanactors.domain.events import KINDS
from clanactors.server.pages import count
from clanactors.store.db import Database, migrate
from clanactors.store.models import ActivityDefinition, HistoryImport, Season
from clanactors.store.recording import store_pgcr
from tests.pages_data import CONTROL, DUALITY, LAST_WISH, ClanLog, pvp_payload
from tests.web.site import Site, serve

NOW = datetime(2026, 11, 26, 12, 0, tzinfo=UTC)  # a Thursday
RESET = datetime(2026, 11, 24, 17, 0, tzinfo=UTC)  # the Tuesday 17:00 UTC before it
FORMULA = '=HYPERLINK("http://evil.example","x")'
HOSTILE = "<img src=x onerror=alert(1)>"
BELL = "Bell\x07Ringer"  # a control character XML 1.0 cannot carry
ATOM = "{http://www.w3.org/2005/Atom}"
PVP_ID = "7777000001"


class Clan:
    def __init__(self, site: Site, log: ClanLog, clock: FakeClock, ids: dict[str, str]) -> None:
        self.site, self.log, self.clock, self.ids = site, log, clock, ids

    def get(self, path: str, status: int = 200) -> requests.Response:
        answer = requests.get(self.site.url + path, timeout=10)
        assert answer.status_code == status, (path, answer.text[:300])
        return answer


def seed(db: Database) -> tuple[ClanLog, dict[str, str]]:
    log = ClanLog(db, NOW)
    log.member("1", "Ana", 1, "Founder", joined_days_ago=400, online=True, raid_clears=50)
    log.member("2", "xOrbitx", 2, "Member", last_online_days_ago=2, raid_clears=10)
    log.member("3", "xOrbitx", 3, "Admin", last_online_days_ago=45, raid_clears=3, private=True)
    log.member("4", FORMULA, 4, "Member", last_online_days_ago=5, raid_clears=0)
    log.member("5", HOSTILE, 5, "Member", last_online_days_ago=3)
    log.member("6", BELL, 6, "Beginner", joined_days_ago=3, last_online_days_ago=None)
    ids = {
        "before_reset": log.play({"1": 3000, "2": 3000}, LAST_WISH, RESET - timedelta(minutes=1)),
        "after_reset": log.play({"1": 2800, "3": 2700}, LAST_WISH, RESET + timedelta(minutes=1)),
        "dungeon": log.play({"2": 1800, "5": 1500}, DUALITY, NOW - timedelta(hours=20)),
        "ended": log.play({"1": 600, "4": 600}, CONTROL, NOW - timedelta(hours=3), cleared=False),
    }
    for day in range(1, 4):  # Ana online 20:00-22:00 UTC three evenings
        start = (NOW - timedelta(days=day)).replace(hour=20)
        log.session_online("1", start, start + timedelta(hours=2))
    for hour in range(30):  # enough events for the feed to have pages
        start = NOW - timedelta(days=6, hours=hour)
        log.session_online("2", start, start + timedelta(minutes=20))
    long_ago = NOW - timedelta(days=40)  # BELL's only session: a control character in XML
    log.session_online("6", long_ago, long_ago + timedelta(hours=1))
    payload = pvp_payload(
        PVP_ID,
        NOW - timedelta(hours=1),
        [("1", "Ana", 16, 20, 5), ("4", FORMULA, 16, 8, 8), ("900", HOSTILE, 17, 4, 12)],
    )
    with db.session() as session:
        session.add(
            ActivityDefinition(
                hash=CONTROL.hash, name="Control", mode=10, mode_types=[5, 10], fetched_at=NOW
            )
        )
        session.flush()
        store_pgcr(session, parse_pgcr(payload), payload, {"1", "4"}, True, NOW)
    return log, ids


@pytest.fixture
def clan(sqlite_url: str) -> Iterator[Clan]:
    migrate(sqlite_url)
    db = Database(sqlite_url)
    log, ids = seed(db)
    clock = FakeClock(NOW)
    with serve(db, log.state(), clock) as site:
        yield Clan(site, log, clock, ids)
    db.dispose()


def members_in_order(html: str, table: str) -> list[str]:
    body = html.split(f'id="{table}"', 1)[1].split("</table>", 1)[0]
    return re.findall(r'<tr data-member="(\d+)"', body)


# ------------------------------------------------------------------------- roster


def test_roster_lists_everyone_with_codes_and_private_marker(clan: Clan) -> None:
    html = clan.get("/roster").text
    assert members_in_order(html, "roster") == ["5", "4", "1", "6", "2", "3"]  # by Bungie name
    # Two members share a display name: each shows its #code.
    assert '<span class="code">#0002</span>' in html and '<span class="code">#0003</span>' in html
    row3 = html.split('<tr data-member="3">')[1].split("</tr>")[0]
    assert "private" in row3 and "Admin" in row3 and "45 days" in row3
    assert "online now" in html.split('<tr data-member="1">')[1].split("</tr>")[0]


def test_roster_sorts_by_each_column_both_ways(clan: Clan) -> None:
    raids = members_in_order(clan.get("/roster?sort=raids").text, "roster")
    assert raids == ["1", "2", "3", "4", "5", "6"]  # desc; no stats last
    assert members_in_order(clan.get("/roster?sort=raids&order=asc").text, "roster")[:4] == [
        "4",
        "3",
        "2",
        "1",
    ]
    seen = members_in_order(clan.get("/roster?sort=lastOnline").text, "roster")
    assert seen == ["1", "2", "5", "4", "3", "6"]  # online first, never seen last
    ranks = members_in_order(clan.get("/roster?sort=rank").text, "roster")
    assert ranks[0] == "1" and ranks[1] == "3" and ranks[-1] == "6"
    joined = members_in_order(clan.get("/roster?sort=joined").text, "roster")
    assert joined[0] == "6" and joined[-1] == "1"
    for key in ("name", "days", "private", "time", "activities"):
        page = clan.get(f"/roster?sort={key}&order=desc").text
        assert sorted(members_in_order(page, "roster")) == ["1", "2", "3", "4", "5", "6"]
        assert 'aria-sort="descending"' in page


def test_roster_filters_by_rank_name_and_inactivity(clan: Clan) -> None:
    assert members_in_order(clan.get("/roster?rank=Admin").text, "roster") == ["3"]
    assert members_in_order(clan.get("/roster?q=XORBIT").text, "roster") == ["2", "3"]
    # Accents do not matter either way round (domain/names.py): "xÖrbît" finds "xOrbitx".
    assert members_in_order(clan.get("/roster?q=x%C3%96rb%C3%AEt").text, "roster") == ["2", "3"]
    assert members_in_order(clan.get("/roster?q=xorbitx%230003").text, "roster") == ["3"]
    inactive = clan.get("/roster?inactive=1").text  # default: 30 days
    assert members_in_order(inactive, "roster") == ["6", "3"]  # never seen, then 45 days
    assert "offline for at least 30 days" in inactive
    assert members_in_order(clan.get("/roster?inactive=1&days=4&rank=Member").text, "roster") == [
        "4"
    ]
    assert "No member matches" in clan.get("/roster?q=nobody").text


@pytest.mark.parametrize(
    "query",
    [
        "sort=bogus",
        "order=up",
        "rank=King",
        "days=abc",
        "days=0",
        "days=%D9%A1",
        "inactive=maybe",
        "q=" + "x" * 65,
    ],
)
def test_roster_bad_parameters_are_400(clan: Clan, query: str) -> None:
    clan.get(f"/roster?{query}", 400)
    clan.get(f"/roster.csv?{query}", 400)


def test_roster_escapes_hostile_names(clan: Clan) -> None:
    html = clan.get("/roster").text
    assert HOSTILE not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_roster_csv_has_the_same_rows_and_no_formulas(clan: Clan) -> None:
    answer = clan.get("/roster.csv")
    assert answer.headers["Content-Type"].startswith("text/csv")
    assert "attachment" in answer.headers["Content-Disposition"]
    assert answer.headers["Content-Security-Policy"].startswith("default-src 'none'")
    rows = list(csv.DictReader(io.StringIO(answer.content.decode("utf-8"))))
    assert [r["Membership id"] for r in rows] == ["5", "4", "1", "6", "2", "3"]
    by_id = {r["Membership id"]: r for r in rows}
    assert by_id["2"]["Bungie name"] == "xOrbitx#0002"
    assert by_id["3"]["Private"] == "yes" and by_id["3"]["Rank"] == "Admin"
    assert by_id["3"]["Last online"] == "2026-10-12T12:00:00Z"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", by_id["1"]["Joined"])
    assert by_id["1"]["Raid clears"] == "50" and by_id["6"]["Raid clears"] == ""
    # A name a spreadsheet would run as a formula is text: it starts with a quote.
    assert by_id["4"]["Display name"] == "'" + FORMULA
    assert by_id["4"]["Bungie name"] == "'" + FORMULA + "#0004"
    assert not any(v.startswith(("=", "+", "-", "@")) for r in rows for v in r.values())
    assert by_id["5"]["Display name"] == HOSTILE  # CSV is not HTML: kept as it is
    filtered = clan.get("/roster.csv?inactive=1&sort=name&order=desc").text
    assert [r["Membership id"] for r in csv.DictReader(io.StringIO(filtered))] == ["3", "6"]


def test_the_purge_view_is_one_control_sorted_by_days_away(clan: Clan) -> None:
    # `days` alone filters (no checkbox to forget), longest away first, in day counts.
    html = clan.get("/roster?days=2").text
    assert members_in_order(html, "roster") == ["6", "3", "4", "5", "2"]
    assert "offline for at least 2 days" in html
    assert 'aria-sort="descending"' in html.split('data-sort="away"')[0].rsplit("<th", 1)[1]
    row3 = html.split('<tr data-member="3">')[1].split("</tr>")[0]
    assert '<span class="away">45 days</span>' in row3 and "2026-10-12" in row3
    assert "never seen" in html.split('<tr data-member="6">')[1].split("</tr>")[0]
    assert 'name="inactive"' not in html  # one control: the days field
    assert members_in_order(clan.get("/roster?days=2&order=asc").text, "roster")[0] == "2"
    # Without a days value nobody is filtered out, and the order is by name as before.
    assert members_in_order(clan.get("/roster?days=").text, "roster") == [
        "5", "4", "1", "6", "2", "3"
    ]  # fmt: skip
    rows = list(csv.DictReader(io.StringIO(clan.get("/roster.csv?days=2").text)))
    assert [(r["Membership id"], r["daysOffline"]) for r in rows] == [
        ("6", ""), ("3", "45"), ("4", "5"), ("5", "3"), ("2", "2")
    ]  # fmt: skip
    everyone = csv.DictReader(io.StringIO(clan.get("/roster.csv").text))
    assert {r["Membership id"]: r["daysOffline"] for r in everyone}["1"] == "0"  # online


# ------------------------------------------------------------------- leaderboards


def board(html: str, board_id: str) -> list[tuple[str, str, str]]:
    """(rank, membershipId, value) rows of one board."""
    section = html.split(f'id="{board_id}"', 1)[1].split("</section>", 1)[0]
    return re.findall(
        r'<li data-member="(\d+)"><span class="rank-no">(\d+)</span>'
        r'.*?<span class="value">([^<]+)</span>',
        section,
        re.S,
    )


def test_leaderboards_count_the_week_from_the_tuesday_reset(clan: Clan) -> None:
    html = clan.get("/leaderboards").text
    # The 17:01 clear (Ana, member 3) is this week's; the 16:59 one (Ana, member 2) is not.
    assert board(html, "raids") == [("1", "1", "1"), ("3", "1", "1")]  # a tie: both first
    assert board(html, "dungeons") == [("5", "1", "1"), ("2", "1", "1")]  # tie: by name
    played = board(html, "played")
    # Time counts activities started since the reset: the 17:01 clear began before it.
    # Ana and member 4: a Control game and the stored PvP report, 600 s each: a tie.
    assert played == [("2", "1", "30 min"), ("5", "2", "25 min"), ("4", "3", "20 min"),
                      ("1", "3", "20 min")]  # fmt: skip
    pairs = html.split('id="pairs"', 1)[1].split("</section>", 1)[0]
    assert re.findall(r'href="/members/(\d+)"', pairs) == ["2", "5", "1", "4"]
    assert "25 min" in pairs and "20 min" in pairs and "2 activities" in pairs
    all_time = html.split('id="all-time"', 1)[1].split("</section>", 1)[0]
    ana = all_time.split('<tr data-member="1">')[1].split("</tr>")[0]
    assert re.findall(r"<td[^>]*>([^<]+)</td>", ana) == ["50", "2", "0"]
    assert "Bungie, lifetime" in all_time and "in history" in all_time
    assert HOSTILE not in html and "&lt;img src=x" in html


def test_leaderboards_after_the_next_reset_show_an_empty_week(clan: Clan) -> None:
    clan.clock.advance((RESET + timedelta(days=7) - NOW).total_seconds() + 60)
    html = clan.get("/leaderboards").text
    for board_id in ("raids", "dungeons", "played"):
        assert board(html, board_id) == []
    assert html.count("Nothing recorded yet this week") == 3
    assert "No two members have played together yet this week" in html
    assert '<tr data-member="1">' in html  # all time is still there


def test_leaderboards_one_second_before_the_reset_still_count_the_week(clan: Clan) -> None:
    clan.clock.advance((RESET + timedelta(days=7) - NOW).total_seconds() - 1)
    html = clan.get("/leaderboards").text
    assert board(html, "raids") == [("1", "1", "1"), ("3", "1", "1")]
    assert ">1 min</time>" in html


@pytest.mark.parametrize("period", ["week", "season", "all"])
def test_leaderboards_count_down_to_the_weekly_reset(clan: Clan, period: str) -> None:
    # Thursday 12:00 UTC: the reset is on Tuesday at 17:00, 5 days and 5 hours away.
    html = clan.get(f"/leaderboards?period={period}").text
    countdown = html.split('id="reset-countdown"', 1)[1].split("</time>", 1)[0]
    assert countdown.endswith(">5 d 5 h")
    assert 'data-until="2026-12-01T17:00:00Z"' in countdown
    assert 'data-now="2026-11-26T12:00:00Z"' in countdown
    clan.clock.advance(5 * 86400 + 4 * 3600 + 60 * 60 - 12 * 60)  # Tuesday 16:48
    assert ">12 min</time>" in clan.get(f"/leaderboards?period={period}").text


def test_history_from_before_the_install_counts_in_season_and_all_time(clan: Clan) -> None:
    """A raid cleared 40 days before the install (history only, never in the log) is on
    the all-time and season boards, not this week's; the API says the same."""
    clan.log.play({"2": 3600, "4": 3500}, LAST_WISH, NOW - timedelta(days=40), announce=False)
    with clan.log.db.session() as session:
        session.add(
            Season(
                hash=2758726583,
                name="Season of Glass",
                start_at=NOW - timedelta(days=60),
                end_at=NOW + timedelta(days=31),
            )
        )
    week = clan.get("/leaderboards").text
    assert board(week, "raids") == [("1", "1", "1"), ("3", "1", "1")]
    season = clan.get("/leaderboards?period=season").text
    assert "Raid clears this season" in season and "Season of Glass" in season
    # (member, rank, clears): Ana's two this season; xOrbitx's last week's and the old one;
    # the old one's other player (4) and member 3, one each (ties by name).
    assert board(season, "raids") == [("1", "1", "2"), ("2", "1", "2"), ("4", "3", "1"),
                                      ("3", "3", "1")]  # fmt: skip
    everything = clan.get("/leaderboards?period=all").text
    assert board(everything, "raids") == board(season, "raids")
    assert 'aria-current="page">All time' in everything

    api = clan.get("/api/leaderboards?period=season").json()
    assert api["period"] == {
        "name": "Season of Glass",
        "key": "season",
        "start": "2026-09-27T12:00:00Z",
        "end": "2026-12-27T12:00:00Z",
    }
    assert [(r["membershipId"], r["clears"], r["rank"]) for r in api["raids"]] == [
        ("1", 2, 1),
        ("2", 2, 1),
        ("4", 1, 3),
        ("3", 1, 3),
    ]
    assert api["raids"][1]["displayName"] == "xOrbitx"
    assert {"membershipId", "displayName", "seconds", "rank"} == set(api["timePlayed"][0])
    assert all(len(p["members"]) == 2 and p["seconds"] > 0 for p in api["pairs"])
    assert api["partial"] is True  # no member's history has been read by an importer here
    assert api["history"] == {"membersDone": 0, "membersTotal": 6}
    # On member 2's page, member 4 (only that old raid together) is an all-time clanmate.
    page = clan.get("/members/2").text
    mates = page.split('id="played-with"', 1)[1].split("</table>", 1)[0]
    row4 = mates.split('<tr data-member="4">')[1].split("</tr>")[0]
    assert re.findall(r"<td[^>]*>([^<]+)</td>", row4) == ["-", "-", "58 min"]
    week_api = clan.get("/api/leaderboards").json()
    assert week_api["period"]["start"] == "2026-11-24T17:00:00Z"
    assert [r["membershipId"] for r in week_api["raids"]] == ["1", "3"]
    assert clan.get("/api/leaderboards?period=all").json()["period"]["start"] is None


def test_an_unknown_season_and_a_bad_period_are_said_plainly(clan: Clan) -> None:
    page = clan.get("/leaderboards?period=season").text
    assert "dates are not known yet" in page and board(page, "raids") == []
    api = clan.get("/api/leaderboards?period=season").json()
    assert api["period"]["name"] == "This season" and api["raids"] == []
    assert "error" in clan.get("/api/leaderboards?period=year", status=400).json()
    clan.get("/leaderboards?period=year", status=400)


def test_the_boards_say_when_history_is_still_being_read(clan: Clan) -> None:
    assert "Reading history: 0 of 6 members" in clan.get("/leaderboards").text
    with clan.log.db.session() as session:
        for membership_id in "123456":
            session.add(
                HistoryImport(
                    membership_id=membership_id,
                    floor=None,
                    pages={},
                    rows=0,
                    started_at=NOW,
                    done_at=NOW,
                    private=False,
                )
            )
    clan.clock.advance(60)  # the counts are kept a minute
    assert "Reading history" not in clan.get("/leaderboards").text
    assert clan.get("/api/leaderboards").json()["partial"] is False


# --------------------------------------------------------------------------- feed


def feed_ids(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'data-event="(\d+)"', html)]


def test_feed_pages_newest_first_by_cursor(clan: Clan) -> None:
    first = clan.get("/feed").text
    ids = feed_ids(first)
    assert len(ids) == 50 and ids == sorted(ids, reverse=True)
    older = re.search(r'href="([^"]+)" rel="next"', first)
    assert older is not None and 'rel="prev"' not in first
    second = clan.get(older.group(1).replace("&amp;", "&")).text
    more = feed_ids(second)
    assert more and max(more) < min(ids) and len(ids) + len(more) == 4 + 6 + 60 + 2
    newer = re.search(r'href="([^"]+)" rel="prev"', second)
    assert newer is not None
    assert feed_ids(clan.get(newer.group(1).replace("&amp;", "&")).text) == ids


def test_feed_filters_by_kind_and_member_and_links_clears(clan: Clan) -> None:
    clears = clan.get("/feed?kind=activity_cleared").text
    assert len(feed_ids(clears)) == 3
    for key in ("before_reset", "after_reset", "dungeon"):
        assert f'href="/activities/{clan.ids[key]}"' in clears
    # Two members share "xOrbitx": each clear names its players with their #code too.
    before = clears.split(f'/activities/{clan.ids["before_reset"]}"', 1)[1].split("</li>")[0]
    assert re.findall(r'<span class="code">(#\d+)</span>', before) == ["#0001", "#0002"]
    ended = clan.get("/feed?kind=activity_ended&member=4").text
    assert len(feed_ids(ended)) == 1 and f"/activities/{clan.ids['ended']}" in ended
    mine = clan.get("/feed?member=3").text
    assert len(feed_ids(mine)) == 1
    assert "No events match" in clan.get("/feed?member=42").text
    assert HOSTILE not in clan.get("/feed?member=5").text


def test_feed_member_by_name_ignores_case_and_accents(clan: Clan) -> None:
    by_id = feed_ids(clan.get("/feed?member=1").text)
    assert by_id
    assert feed_ids(clan.get("/feed?member=ANA").text) == by_id
    assert feed_ids(clan.get("/feed?member=%C3%80na").text) == by_id  # "Àna"
    assert feed_ids(clan.get("/feed?member=xorbitx%230003").text) == feed_ids(
        clan.get("/feed?member=3").text
    )
    assert 'value="1" selected' in clan.get("/feed?member=ana").text
    assert len(atom(clan.get("/feed.atom?member=ana").content).findall(f"{ATOM}entry")) == len(
        atom(clan.get("/feed.atom?member=1").content).findall(f"{ATOM}entry")
    )
    # Two members are called xOrbitx: the page says so and names both.
    both = clan.get("/feed?member=XORBITX", 400).text
    assert "xOrbitx#0002" in both and "xOrbitx#0003" in both
    assert "no member is called" in clan.get("/feed?member=nobody", 400).text


@pytest.mark.parametrize(
    "query",
    ["kind=bogus", "member=abc", "before=x", "after=-1", "before=0", "before=5&after=2"],
)
def test_feed_bad_parameters_are_400(clan: Clan, query: str) -> None:
    clan.get(f"/feed?{query}", 400)
    clan.get(f"/feed.atom?{query}", 400)


def atom(text: bytes) -> ET.Element:
    return ET.fromstring(text)  # raises on anything that is not well-formed XML


def test_atom_holds_the_newest_50_with_stable_ids(clan: Clan) -> None:
    everything = "/feed.atom?kinds=" + ",".join(KINDS)  # presence included: more than 50
    answer = clan.get(everything)
    assert answer.headers["Content-Type"] == "application/atom+xml; charset=utf-8"
    feed = atom(answer.content)
    entries = feed.findall(f"{ATOM}entry")
    assert len(entries) == 50
    ids = [e.findtext(f"{ATOM}id") for e in entries]
    assert len(set(ids)) == 50 and all(i and i.startswith("tag:clanactors,") for i in ids)
    again = atom(clan.get(everything).content).findall(f"{ATOM}entry")
    assert ids == [e.findtext(f"{ATOM}id") for e in again]
    assert feed.findtext(f"{ATOM}title") == "Test Clan · clan feed"
    links = [e.find(f"{ATOM}link").get("href") for e in entries]  # type: ignore[union-attr]
    assert all(link.startswith("/") for link in links)  # no public URL: relative
    clears = atom(clan.get("/feed.atom?kind=activity_cleared").content)
    hrefs = {e.find(f"{ATOM}link").get("href") for e in clears.findall(f"{ATOM}entry")}  # type: ignore[union-attr]
    assert f"/activities/{clan.ids['after_reset']}" in hrefs


def test_atom_leaves_out_online_and_offline_unless_asked(clan: Clan) -> None:
    def titles(path: str) -> list[str]:
        entries = atom(clan.get(path).content).findall(f"{ATOM}entry")
        return [e.findtext(f"{ATOM}title") or "" for e in entries]

    news = titles("/feed.atom")
    assert news and not any(t.endswith(("came online", "went offline")) for t in news)
    assert len(news) == 4  # the clears and the match: nothing else happened but presence
    asked = titles("/feed.atom?kinds=member_online")
    assert asked and all(t.endswith("came online") for t in asked)
    assert any(t.endswith("went offline") for t in titles("/feed.atom?kind=member_offline"))
    clan.get("/feed.atom?kinds=member_online,bogus", 400)


def test_atom_links_are_absolute_with_a_public_url(clan: Clan, sqlite_url: str) -> None:
    db = Database(sqlite_url)
    with serve(db, clan.log.state(), clan.clock, "https://clan.example/") as site:
        feed = atom(requests.get(f"{site.url}/feed.atom", timeout=10).content)
    db.dispose()
    links = [link.get("href") for link in feed.iter(f"{ATOM}link")]
    assert links and all(h and h.startswith("https://clan.example/") for h in links)


def test_atom_keeps_hostile_names_as_text(clan: Clan) -> None:
    feed = atom(clan.get("/feed.atom?kind=activity_cleared").content)
    titles = [e.findtext(f"{ATOM}title") or "" for e in feed.findall(f"{ATOM}entry")]
    assert any(HOSTILE in t for t in titles)  # escaped in the XML, the same text parsed
    presence = "kinds=member_online,member_offline"
    bell = atom(clan.get(f"/feed.atom?member=6&{presence}").content).findall(f"{ATOM}entry")
    assert [e.findtext(f"{ATOM}title") for e in bell] == [
        "Bell\ufffdRinger went offline",
        "Bell\ufffdRinger came online",
    ]


# -------------------------------------------------------------- member and PGCR


def test_counts_and_their_nouns_agree(clan: Clan) -> None:
    assert (count(1, "death"), count(2, "death"), count(0, "kill")) == (
        "1 death", "2 deaths", "0 kills"
    )  # fmt: skip
    html = clan.get("/members/1").text
    lines = re.findall(r"(\d+) (kills?) · (\d+) (deaths?) · ", html)
    assert lines
    for kills, kill_word, deaths, death_word in lines:
        assert (kill_word == "kill") == (kills == "1") and (death_word == "death") == (
            deaths == "1"
        )


def test_error_pages_have_the_sites_header_and_navigation(clan: Clan) -> None:
    for path in ("/members/404404404", "/nothing/here", "/roster?sort=bogus"):
        html = requests.get(clan.site.url + path, timeout=10).text
        assert '<nav class="site-nav"' in html and 'href="/leaderboards"' in html, path
        assert "Test Clan" in html.split("</header>", 1)[0]
    assert requests.get(clan.site.url + "/api/nothing", timeout=10).json()["error"]


def test_member_page_played_with_heatmap_clears_and_activities(clan: Clan) -> None:
    html = clan.get("/members/1").text
    mates = html.split('id="played-with"', 1)[1].split("</table>", 1)[0]
    assert members_in_order('id="played-with"' + mates, "played-with") == ["2", "3", "4"]
    row3 = mates.split('<tr data-member="3">')[1].split("</tr>")[0]
    assert re.findall(r"<td[^>]*>([^<]+)</td>", row3) == ["-", "45 min", "45 min"]  # 16:14 Tue
    row4 = mates.split('<tr data-member="4">')[1].split("</tr>")[0]
    assert re.findall(r"<td[^>]*>([^<]+)</td>", row4) == ["20 min", "20 min", "20 min"]
    row2 = mates.split('<tr data-member="2">')[1].split("</tr>")[0]
    assert re.findall(r"<td[^>]*>([^<]+)</td>", row2) == ["-", "50 min", "50 min"]  # last week
    heat = html.split('id="heatmap"', 1)[1].split("</table>", 1)[0]
    assert heat.count("<td") == 7 * 24
    hot = re.findall(r'<td class="heat-([1-4])" data-share="\d+" title="(\w+) (\d\d):00', heat)
    # Online sessions (20:00-22:00 three evenings) and, since history counts too, the hours
    # of her activities: the two raids either side of Tuesday's 17:00 reset, the Control
    # game that ended at 09:00 and the match stored at 11:00 on Thursday.
    assert {(day, hour) for _, day, hour in hot} == {
        # Three evenings online, 20:00-22:00, from her online/offline events ...
        ("Mon", "20"),
        ("Mon", "21"),
        ("Tue", "20"),
        ("Tue", "21"),
        ("Wed", "20"),
        ("Wed", "21"),
        # ... and the activities in her history: the raids around Tuesday's reset, the
        # Control game (Thu 08:50) and the PvP report's match (Thu 11:00).
        ("Tue", "16"),
        ("Tue", "17"),
        ("Thu", "08"),
        ("Thu", "11"),
    }
    assert re.search(r'data-clears="week">1<', html)
    assert re.search(r'data-clears="seen">2<', html)
    assert re.search(r'data-clears="lifetime">50<', html)
    for key in ("after_reset", "before_reset", "ended"):
        assert f'href="/activities/{clan.ids[key]}"' in html
    assert "K/D" in html and "Bungie account stats" in html


def test_member_page_marks_private_and_escapes(clan: Clan) -> None:
    assert "profile private" in clan.get("/members/3").text
    html = clan.get("/members/5").text
    assert HOSTILE not in html and "&lt;img src=x onerror=alert(1)&gt;" in html
    clan.get("/members/999", 404)


def test_pgcr_page_is_complete_for_pvp(clan: Clan) -> None:
    html = clan.get(f"/activities/{PVP_ID}").text
    assert "Control" in html and "Victory" in html
    assert '<span class="team-name">Alpha</span> <span class="team-score">150</span>' in html
    assert '<span class="team-name">Bravo</span> <span class="team-score">90</span>' in html
    ana = html.split('data-player="1"')[1].split("</tr>")[0]
    assert 'href="/members/1"' in ana and 'class="tag">clan' in ana
    cells = re.findall(r'<td data-label="([^"]+)">([^<]+)</td>', ana)
    assert dict(cells) == {
        "Class": "Hunter",
        "Team": "Alpha",
        "Score": "200",
        "Kills": "20",
        "Deaths": "5",
        "Assists": "3",
        "K/D": "4.00",
        "Time": "10 min 00 s",
        "Completed": "Yes",
    }
    stranger = html.split('data-player="900"')[1].split("</tr>")[0]
    assert "/members/900" not in stranger and "&lt;img src=x" in stranger
    assert HOSTILE not in html
    for _ in range(2):  # a report not stored yet is a 404, and not remembered as one
        clan.get("/activities/123", 404)


def test_pgcr_json_carries_mode_result_teams_and_kd(clan: Clan) -> None:
    report = clan.get(f"/api/activities/{PVP_ID}").json()
    assert report["mode"] == 10 and report["modeName"] == "Control"
    assert report["result"] == "Victory"
    assert [(t["name"], t["score"], t["result"]) for t in report["teams"]] == [
        ("Alpha", 150, "Victory"),
        ("Bravo", 90, "Defeat"),
    ]
    by_id = {e["membershipId"]: e for e in report["entries"]}
    assert by_id["900"]["team"] == 17 and by_id["900"]["killsDeathsRatio"] == 0.33
    assert by_id["1"]["timePlayedSeconds"] == 600 and by_id["1"]["isClanMember"]


def test_every_new_route_answers_head(clan: Clan) -> None:
    for path in ("/roster", "/roster.csv", "/leaderboards", "/feed", "/feed.atom", "/members/1"):
        got = clan.get(path)
        head = requests.head(clan.site.url + path, timeout=10)
        assert head.status_code == 200 and head.content == b"", path
        assert head.headers["Content-Type"] == got.headers["Content-Type"], path
    assert requests.head(clan.site.url + "/roster?sort=x", timeout=10).status_code == 400


def test_database_down_roster_from_memory_others_503(clan: Clan, tmp_path: Path) -> None:
    gone = Database(f"sqlite:///{tmp_path / 'no-such-folder' / 'clan.db'}")
    with serve(gone, clan.log.state(), clan.clock) as site:
        assert requests.get(f"{site.url}/roster", timeout=10).status_code == 200
        assert requests.get(f"{site.url}/roster.csv", timeout=10).status_code == 200
        for path in ("/leaderboards", "/feed", "/feed.atom", "/members/1", f"/activities/{PVP_ID}"):
            answer = requests.get(site.url + path, timeout=10)
            assert answer.status_code == 503, path
            assert "Traceback" not in answer.text
    gone.dispose()
