"""`clanactors notify --test`: a sample message to each webhook, results by webhook id."""

from __future__ import annotations

import pytest

from clanactors.process.cli import main
from tests.notify.conftest import TOKEN
from tests.notify.standin import StandIn


def _run(monkeypatch: pytest.MonkeyPatch, standin: StandIn, *hooks: str) -> int:
    urls = ",".join(standin.url(h, TOKEN) for h in hooks)
    monkeypatch.setenv("CLANACTORS_DISCORD_WEBHOOKS", urls)
    return main(["notify", "--test", "--public-url", "https://clan.example"])


def test_all_accepted_exits_0(
    standin: StandIn, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert _run(monkeypatch, standin, "11", "12") == 0
    out, err = capsys.readouterr()
    assert out.splitlines() == [
        "webhook 11: accepted (HTTP 200)",
        "webhook 12: accepted (HTTP 200)",
    ]
    assert TOKEN not in out + err
    (post,) = standin.accepted("11")
    assert post.body["allowed_mentions"] == {"parse": []}
    assert "Test message from clanactors" in post.body["content"]
    assert "https://clan.example/" in post.body["content"]


def test_a_deleted_webhook_exits_1_and_names_it(
    standin: StandIn, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    standin.set_mode("12", 404)
    assert _run(monkeypatch, standin, "11", "12") == 1
    out, err = capsys.readouterr()
    lines = out.splitlines()
    assert lines[0] == "webhook 11: accepted (HTTP 200)"
    assert lines[1].startswith("webhook 12: failed (HTTP 404")
    assert "deleted" in lines[1]
    assert TOKEN not in out + err


def test_an_unreachable_webhook_exits_1_without_the_token(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("CLANACTORS_DISCORD_WEBHOOKS", f"http://127.0.0.1:9/api/webhooks/5/{TOKEN}")
    assert main(["notify", "--test"]) == 1
    out, err = capsys.readouterr()
    assert out.startswith("webhook 5: failed (network error")
    assert TOKEN not in out + err


def test_without_webhooks_exits_2(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.delenv("CLANACTORS_DISCORD_WEBHOOKS", raising=False)
    assert main(["notify", "--test"]) == 2
    assert "CLANACTORS_DISCORD_WEBHOOKS" in capsys.readouterr().err
    monkeypatch.setenv("CLANACTORS_DISCORD_WEBHOOKS", "https://discord.com/api/webhooks/1/")
    assert main(["notify", "--test"]) == 2
