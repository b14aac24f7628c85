from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from clanactors.core.clock import FakeClock
from clanactors.core.errors import ConfigError
from clanactors.process.cli import main
from clanactors.process.config import SETTINGS, load_settings
from clanactors.sim.faults import Faults
from clanactors.sim.server import RunningSimulator, Simulator

KEY = "ultra-secret-api-key-9f8e7d"
README = Path(__file__).parent.parent / "README.md"


def test_defaults_are_the_contract() -> None:
    s = load_settings({})
    assert s.demo
    # The demo never touches the file a real clan will use.
    assert (s.host, s.port, s.database_url) == ("127.0.0.1", 8000, "sqlite:///clanactors-demo.db")
    real = load_settings({"BUNGIE_API_KEY": KEY, "CLAN_ID": "1"})
    assert real.database_url == "sqlite:///clanactors.db"
    assert (s.roster_interval, s.profile_interval, s.max_rps) == (60.0, 30.0, 10.0)
    assert s.api_root == "https://www.bungie.net/Platform"
    assert s.stats_root == "https://stats.bungie.net/Platform"
    assert (s.public_url, s.trusted_proxies, s.ws_per_address) == (None, (), 20)


def test_hardening_settings_parse() -> None:
    s = load_settings(
        {
            "CLANACTORS_PUBLIC_URL": "https://clan.example/",
            "CLANACTORS_TRUSTED_PROXIES": "127.0.0.1, 10.0.0.0/8 ,::1",
            "CLANACTORS_WS_PER_ADDRESS": "5",
        }
    )
    assert s.public_url == "https://clan.example"
    assert s.trusted_proxies == ("127.0.0.1/32", "10.0.0.0/8", "::1/128")
    assert s.ws_per_address == 5


def test_environment_and_flags_flags_win() -> None:
    env = {
        "BUNGIE_API_KEY": KEY,
        "CLAN_ID": "3074427",
        "CLANACTORS_PROFILE_INTERVAL": "0.5",
        "DATABASE_URL": "postgresql://u:pw@db/clan",
    }
    s = load_settings(env, {"profile_interval": "2", "port": "9000"})
    assert not s.demo
    assert s.profile_interval == 2.0 and s.port == 9000
    assert s.database_url == "postgresql+psycopg://u:pw@db/clan"
    assert KEY not in repr(s)


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"CLANACTORS_ROSTER_INTERVAL": "fast"}, "CLANACTORS_ROSTER_INTERVAL"),
        ({"CLANACTORS_PROFILE_INTERVAL": "-1"}, "CLANACTORS_PROFILE_INTERVAL"),
        ({"CLANACTORS_PROFILE_INTERVAL": "nan"}, "CLANACTORS_PROFILE_INTERVAL"),
        ({"CLANACTORS_MAX_RPS": "0"}, "CLANACTORS_MAX_RPS"),
        ({"CLANACTORS_PORT": "80000"}, "CLANACTORS_PORT"),
        ({"CLANACTORS_PORT": "http"}, "CLANACTORS_PORT"),
        ({"CLANACTORS_ROSTER_INTERVALL": "5"}, "CLANACTORS_ROSTER_INTERVALL"),
        ({"BUNGIE_API_KEY": KEY}, "CLAN_ID"),
        ({"BUNGIE_API_KEY": KEY, "CLAN_ID": "my-clan"}, "CLAN_ID"),
        ({"BUNGIE_API_ROOT": "www.bungie.net"}, "BUNGIE_API_ROOT"),
        ({"BUNGIE_STATS_ROOT": "ftp://stats"}, "BUNGIE_STATS_ROOT"),
        ({"DATABASE_URL": "mysql://root@localhost/x"}, "DATABASE_URL"),
        ({"DATABASE_URL": "not a url"}, "DATABASE_URL"),
        ({"CLANACTORS_HOST": "  "}, "CLANACTORS_HOST"),
        ({"CLANACTORS_PUBLIC_URL": "clan.example"}, "CLANACTORS_PUBLIC_URL"),
        ({"CLANACTORS_PUBLIC_URL": "ftp://clan.example"}, "CLANACTORS_PUBLIC_URL"),
        ({"CLANACTORS_TRUSTED_PROXIES": "proxy.local"}, "CLANACTORS_TRUSTED_PROXIES"),
        ({"CLANACTORS_TRUSTED_PROXIES": "10.0.0.1,"}, "CLANACTORS_TRUSTED_PROXIES"),
        ({"CLANACTORS_TRUSTED_PROXIES": "10.0.0.0/33"}, "CLANACTORS_TRUSTED_PROXIES"),
        ({"CLANACTORS_WS_PER_ADDRESS": "0"}, "CLANACTORS_WS_PER_ADDRESS"),
        ({"CLANACTORS_WS_PER_ADDRESS": "-3"}, "CLANACTORS_WS_PER_ADDRESS"),
        ({"CLANACTORS_WS_PER_ADDRESS": "2.5"}, "CLANACTORS_WS_PER_ADDRESS"),
        ({"CLANACTORS_WS_PER_ADDRESS": "many"}, "CLANACTORS_WS_PER_ADDRESS"),
    ],
)
def test_bad_values_name_the_setting(env: dict[str, str], named: str) -> None:
    with pytest.raises(ConfigError) as info:
        load_settings(env)
    message = str(info.value)
    assert named in message
    assert "\n" not in message
    assert KEY not in message


def test_a_bad_value_exits_2_with_one_line(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("BUNGIE_API_KEY", KEY)
    monkeypatch.setenv("CLAN_ID", "3074427")
    assert main(["serve", "--roster-interval", "soon"]) == 2
    out, err = capsys.readouterr()
    assert out == ""
    assert err.count("\n") == 1
    assert "--roster-interval" in err and "soon" in err
    assert KEY not in err


def test_a_bad_hardening_flag_exits_2_with_one_line(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["serve", "--ws-per-address", "lots"]) == 2
    out, err = capsys.readouterr()
    assert out == "" and err.count("\n") == 1
    assert "--ws-per-address" in err and "lots" in err


def _run_cli(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith(("CLANACTORS_", "BUNGIE_"))}
    full_env.pop("CLAN_ID", None)
    full_env.pop("DATABASE_URL", None)
    full_env.update(env)
    return subprocess.run(
        [sys.executable, "-m", "clanactors", *args],
        env=full_env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("env", "named"),
    [
        ({"BUNGIE_API_KEY": KEY}, "CLAN_ID"),
        ({"CLANACTORS_PORT": "eighty"}, "CLANACTORS_PORT"),
        # (a PostgreSQL that refuses connections is waited for: tests/test_database_wait.py)
        ({"DATABASE_URL": "sqlite:////nonexistent-dir/sub/x.db"}, "DATABASE_URL"),
        ({"CLANACTORS_PUBLIC_URL": "clan.example"}, "CLANACTORS_PUBLIC_URL"),
        ({"CLANACTORS_TRUSTED_PROXIES": "everyone"}, "CLANACTORS_TRUSTED_PROXIES"),
        ({"CLANACTORS_WS_PER_ADDRESS": "0"}, "CLANACTORS_WS_PER_ADDRESS"),
    ],
)
def test_serve_fails_at_start_without_traceback(env: dict[str, str], named: str) -> None:
    result = _run_cli("serve", env=env)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert named in lines[0]
    assert "Traceback" not in result.stderr
    assert KEY not in result.stderr + result.stdout


def test_database_password_is_masked() -> None:
    result = _run_cli(
        "migrate", env={"DATABASE_URL": "postgresql+psycopg://u:hunter2@127.0.0.1:1/x"}
    )
    assert result.returncode == 2
    assert "hunter2" not in result.stderr
    assert "***" in result.stderr


def test_every_setting_is_documented_in_readme() -> None:
    readme = README.read_text(encoding="utf-8")
    for setting in SETTINGS:
        assert f"`{setting.env}`" in readme, f"{setting.env} missing from README"
        assert f"`{setting.flag}`" in readme, f"{setting.flag} missing from README"


@pytest.fixture
def bungie() -> Iterator[RunningSimulator]:
    sim = RunningSimulator(
        Simulator(seed=5, clock=FakeClock(), faults=Faults(rejected_keys=frozenset({KEY})))
    ).start()
    yield sim
    sim.stop()


@pytest.mark.parametrize(
    ("key", "clan", "named"),
    [(KEY, None, "BUNGIE_API_KEY"), ("a-good-key", "1", "CLAN_ID")],
)
def test_serve_refuses_a_rejected_key_or_an_unknown_clan(
    bungie: RunningSimulator, sqlite_url: str, key: str, clan: str | None, named: str
) -> None:
    root = f"{bungie.url}/Platform"
    env = {
        "BUNGIE_API_KEY": key,
        "CLAN_ID": clan or bungie.clan_id,
        "BUNGIE_API_ROOT": root,
        "BUNGIE_STATS_ROOT": root,
        "DATABASE_URL": sqlite_url,
        "CLANACTORS_PORT": "0",
    }
    result = _run_cli("serve", env=env)
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr  # nothing logged before the refusal
    assert named in lines[0] and lines[0].startswith("clanactors: error:")
    assert "Traceback" not in result.stderr
    assert KEY not in result.stderr + result.stdout


def test_history_days_is_a_number_of_days_or_all() -> None:
    assert load_settings({}).history_days is None
    assert load_settings({"CLANACTORS_HISTORY_DAYS": "all"}).history_days is None
    assert load_settings({"CLANACTORS_HISTORY_DAYS": " ALL "}).history_days is None
    assert load_settings({"CLANACTORS_HISTORY_DAYS": "90"}).history_days == 90
    assert load_settings({}, {"history_days": "7"}).history_days == 7
    for bad in ("0", "-3", "forever", "1.5"):
        with pytest.raises(ConfigError, match="CLANACTORS_HISTORY_DAYS"):
            load_settings({"CLANACTORS_HISTORY_DAYS": bad})


SECRET_KEY = "k" * 40


def test_oauth_settings_go_together_and_stay_out_of_repr() -> None:
    assert not load_settings({}).oauth
    assert load_settings({}).web_root == "https://www.bungie.net"
    env = {
        "CLANACTORS_OAUTH_CLIENT_ID": "4242",
        "CLANACTORS_OAUTH_CLIENT_SECRET": "client-secret-value",
        "CLANACTORS_SECRET_KEY": SECRET_KEY,
        "BUNGIE_WEB_ROOT": "http://127.0.0.1:9/",
    }
    s = load_settings(env)
    assert s.oauth and s.web_root == "http://127.0.0.1:9"
    assert "client-secret-value" not in repr(s) and SECRET_KEY not in repr(s)
    for missing, named in (
        ("CLANACTORS_OAUTH_CLIENT_SECRET", "CLANACTORS_OAUTH_CLIENT_ID"),
        ("CLANACTORS_SECRET_KEY", "CLANACTORS_SECRET_KEY"),
    ):
        with pytest.raises(ConfigError, match=named):
            load_settings({k: v for k, v in env.items() if k != missing})
    with pytest.raises(ConfigError, match="at least 32") as short:
        load_settings({**env, "CLANACTORS_SECRET_KEY": "too-short"})
    assert "too-short" not in str(short.value)
