from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from clanactors.domain import events
from clanactors.process.cli import main, parse_since
from clanactors.store.db import Database, migrate
from clanactors.store.eventlog import record_event
from clanactors.store.models import Member
from clanactors.store.roster import claim_clan

NOW = datetime.now(UTC).replace(microsecond=0)
ALICE = "4611686018400000001"
BOB = "4611686018400000002"
VOG = events.ActivityRef(3881495763, "Vault of Glass: Standard", 4)


def member(membership_id: str, name: str) -> Member:
    return Member(
        membership_id=membership_id,
        membership_type=3,
        display_name=name,
        bungie_name=f"{name}#0042",
        rank="Member",
        is_online=False,
        in_clan=True,
        updated_at=NOW,
    )


@pytest.fixture
def populated(database_url: str) -> str:
    migrate(database_url)
    db = Database(database_url)
    with db.session() as s:
        for mid, name in ((ALICE, "Alice"), (BOB, "Bob <b>Bold</b> 🚀")):
            s.add(member(mid, name))
        record_event(s, events.member_joined(ALICE, "Alice", NOW - timedelta(days=30)), NOW)
        record_event(
            s, events.member_online(BOB, "Bob <b>Bold</b> 🚀", NOW - timedelta(hours=3)), NOW
        )
        record_event(
            s,
            events.activity_finished(
                {ALICE: "Alice", BOB: "Bob"}, VOG, "77", NOW - timedelta(hours=1), True
            ),
            NOW,
        )
    db.dispose()
    return database_url


def test_events_table_newest_last(populated: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["events", "--database-url", populated]) == 0
    lines = capsys.readouterr().out.strip().splitlines()
    assert lines[0].split()[:4] == ["ID", "OCCURRED", "KIND", "TEXT"]
    assert [line.split()[2] for line in lines[1:]] == [
        "member_joined",
        "member_online",
        "activity_cleared",
    ]
    assert "Bob <b>Bold</b> 🚀 came online" in lines[2]


def test_events_json_with_filters(populated: str, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["events", "--database-url", populated, "--json"]
    assert main([*args, "--member", "bob", "--since", "24h"]) == 0
    found = json.loads(capsys.readouterr().out)
    assert [e["kind"] for e in found] == ["member_online", "activity_cleared"]
    assert found[1]["members"] == [ALICE, BOB]
    assert found[1]["activity"] == {
        "hash": 3881495763,
        "name": "Vault of Glass: Standard",
        "mode": 4,
    }

    assert main([*args, "--kind", "member_joined"]) == 0
    assert [e["kind"] for e in json.loads(capsys.readouterr().out)] == ["member_joined"]

    assert main([*args, "--limit", "1"]) == 0
    assert [e["kind"] for e in json.loads(capsys.readouterr().out)] == ["activity_cleared"]

    since = (NOW - timedelta(hours=2)).isoformat()
    assert main([*args, "--since", since]) == 0
    assert [e["kind"] for e in json.loads(capsys.readouterr().out)] == ["activity_cleared"]


def test_bad_since_is_a_usage_error(populated: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["events", "--database-url", populated, "--since", "last tuesday"]) == 2
    err = capsys.readouterr().err
    assert "--since" in err and err.count("\n") == 1


def test_events_on_an_empty_database_says_what_to_do(
    sqlite_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    Path(sqlite_url.removeprefix("sqlite:///")).touch()  # a database without tables
    assert main(["events", "--database-url", sqlite_url]) == 2
    err = capsys.readouterr().err
    assert "clanactors migrate" in err and sqlite_url in err


def test_parse_since_units() -> None:
    now = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
    assert parse_since("24h", now) == now - timedelta(hours=24)
    assert parse_since("7d", now) == now - timedelta(days=7)
    assert parse_since("90m", now) == now - timedelta(minutes=90)
    assert parse_since("2026-11-28T00:00:00Z", now) == datetime(2026, 11, 28, tzinfo=UTC)
    assert parse_since("2026-11-28", now) == datetime(2026, 11, 28, tzinfo=UTC)


def test_member_names_match_ignoring_case_and_accents(
    database_url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    zoe, lukasz = "4611686018400000003", "4611686018400000004"
    migrate(database_url)
    db = Database(database_url)
    with db.session() as s:
        for mid, name in ((zoe, "Zoë Ñandú"), (lukasz, "Łukasz")):
            s.add(member(mid, name))
            record_event(s, events.member_joined(mid, name, NOW - timedelta(days=1)), NOW)
    db.dispose()
    for typed, who in (("Zoe", zoe), ("ZOË", zoe), ("nandu", zoe), ("LUKASZ", lukasz)):
        assert main(["events", "--database-url", database_url, "--json", "--member", typed]) == 0
        found = json.loads(capsys.readouterr().out)
        assert [e["members"] for e in found] == [[who]], typed


# ----------------------------------------------- which database the operator commands use


def clan_database(path: Path, clan_id: str, demo: bool, who: str) -> None:
    """A database as `serve` leaves it: migrated, claimed for a clan, one event."""
    url = f"sqlite:///{path}"
    migrate(url)
    db = Database(url)
    with db.session() as s:
        claim_clan(s, clan_id, demo, NOW)
        record_event(s, events.member_joined(ALICE, who, NOW - timedelta(days=1)), NOW)
    db.dispose()


@pytest.fixture
def folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The operator's shell: in the server's folder, without the service's environment."""
    for name in ("DATABASE_URL", "BUNGIE_API_KEY", "CLAN_ID"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def texts(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str], str]:
    code = main(["events", "--json", *args])
    out, err = capsys.readouterr()
    return code, [e["text"] for e in json.loads(out)] if code == 0 else [], err


def test_events_reads_the_clan_database_here_not_the_demo(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clan_database(folder / "clanactors.db", "3074427", False, "Real Alice")
    code, found, err = texts(capsys)
    assert code == 0 and found == ["Real Alice joined the clan"]
    assert "sqlite:///clanactors.db" in err and "the real clan 3074427" in err
    assert not (folder / "clanactors-demo.db").exists()  # reading creates nothing

    clan_database(folder / "clanactors-demo.db", "6433012", True, "Demo Alice")
    code, found, err = texts(capsys)
    assert code == 0 and found == ["Real Alice joined the clan"]
    assert "clanactors-demo.db is here too" in err


def test_events_reads_the_demo_database_when_it_is_the_only_one(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clan_database(folder / "clanactors-demo.db", "6433012", True, "Demo Alice")
    code, found, err = texts(capsys)
    assert code == 0 and found == ["Demo Alice joined the clan"]
    assert "the demo's sqlite:///clanactors-demo.db" in err
    assert not (folder / "clanactors.db").exists()


def test_events_without_a_database_names_both_candidates_and_creates_none(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = texts(capsys)
    assert code == 2 and err.count("\n") == 1
    assert "clanactors.db" in err and "clanactors-demo.db" in err and "DATABASE_URL" in err
    assert list(folder.iterdir()) == []


def test_events_on_a_missing_file_says_so_and_creates_none(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    code, _, err = texts(capsys, "--database-url", "sqlite:///elsewhere.db")
    assert code == 2 and "sqlite:///elsewhere.db" in err and "does not exist" in err
    assert list(folder.iterdir()) == []


def test_migrate_without_database_url_migrates_the_clan_database(
    folder: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    clan_database(folder / "clanactors-demo.db", "6433012", True, "Demo Alice")
    assert main(["migrate"]) == 0
    assert (folder / "clanactors.db").is_file()
    assert main(["events"]) == 0
    out, err = capsys.readouterr()
    assert "no events" in out and "sqlite:///clanactors.db (no clan yet)" in err
