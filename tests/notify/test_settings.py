"""CLANACTORS_DISCORD_* settings: validated at start, tokens never echoed."""

from __future__ import annotations

import pytest

from clanactors.core.errors import ConfigError
from clanactors.notify.delivery import NotifySettings, redact, webhook_id
from clanactors.process.cli import main
from clanactors.process.config import load_settings

TOKEN = "AbC-def_123.xyz"


@pytest.mark.parametrize(
    "url",
    [
        f"https://discord.com/api/webhooks/123456789012345678/{TOKEN}",
        f"https://discordapp.com/api/webhooks/123456789012345678/{TOKEN}",
        f"https://canary.discord.com/api/v10/webhooks/123456789012345678/{TOKEN}",
        f"http://127.0.0.1:8123/api/webhooks/123456789012345678/{TOKEN}",
    ],
)
def test_webhook_urls_parse_and_show_only_their_id(url: str) -> None:
    settings = load_settings({"CLANACTORS_DISCORD_WEBHOOKS": f" {url} ,"})
    assert settings.discord_webhooks == (url,)
    assert webhook_id(url) == "123456789012345678"
    assert TOKEN not in repr(settings)
    assert "123456789012345678" in repr(settings)
    assert redact(f"POST {url}?wait=true") == (f"POST {url.rsplit('/', 1)[0]}/***?wait=true")


def test_defaults() -> None:
    settings = load_settings({})
    assert settings.discord_webhooks == ()
    assert settings.discord_kinds == ("member_joined", "member_left", "activity_cleared")
    assert NotifySettings.of((), settings.discord_kinds, None) is None


@pytest.mark.parametrize(
    "url",
    [
        f"http://discord.com/api/webhooks/1/{TOKEN}",  # plain http off loopback
        f"https://example.com/api/webhooks/1/{TOKEN}",
        f"https://discord.com/api/webhooks/x/{TOKEN}",
        "https://discord.com/api/webhooks/1",
    ],
)
def test_a_bad_webhook_url_is_refused_without_echoing_it(
    url: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(ConfigError, match="CLANACTORS_DISCORD_WEBHOOKS") as failure:
        load_settings({"CLANACTORS_DISCORD_WEBHOOKS": url})
    assert TOKEN not in str(failure.value)
    assert main(["serve", "--discord-webhooks", url]) == 2
    err = capsys.readouterr().err
    assert "--discord-webhooks" in err and TOKEN not in err
    assert len(err.strip().splitlines()) == 1


def test_an_unknown_kind_exits_2_naming_the_setting(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CLANACTORS_DISCORD_KINDS", "member_joined,raid_cleared")
    assert main(["serve"]) == 2
    err = capsys.readouterr().err
    assert "CLANACTORS_DISCORD_KINDS" in err and "raid_cleared" in err
    settings = load_settings({"CLANACTORS_DISCORD_KINDS": "activity_started, member_online"})
    assert settings.discord_kinds == ("activity_started", "member_online")
