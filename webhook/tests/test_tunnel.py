"""The ngrok tunnel, with pyngrok replaced by a fake, and the Flask server's use of it."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

import servidor_webhook_local
from webhook.receiver import serving, supervision
from webhook.tunnel import TunnelResult, close_tunnel, open_tunnel


class FakeNgrok:
    """Records what the tunnel code asks of pyngrok; can be told to fail like it does."""

    def __init__(
        self, *, fail_with: Exception | None = None, url: str = "http://abc123.ngrok-free.app"
    ):
        self.fail_with = fail_with
        self.url = url
        self.calls: list[tuple] = []

    def set_auth_token(self, token: str) -> None:
        self.calls.append(("set_auth_token", token))

    def connect(self, addr: str, proto: str):
        self.calls.append(("connect", addr, proto))
        if self.fail_with is not None:
            raise self.fail_with
        return SimpleNamespace(public_url=self.url)

    def disconnect(self, url: str) -> None:
        self.calls.append(("disconnect", url))

    def kill(self) -> None:
        self.calls.append(("kill",))


def test_without_a_token_there_is_no_tunnel_and_one_clear_reason():
    fake = FakeNgrok()
    result = open_tunnel(5000, "", ngrok=fake)
    assert not result.is_open
    assert "NGROK_AUTHTOKEN" in result.reason and "ngrok.com" in result.reason
    assert fake.calls == []  # nothing attempted without a token


def test_with_a_token_the_tunnel_opens_on_https_with_the_token_from_the_environment():
    fake = FakeNgrok()
    result = open_tunnel(5000, "fake-token-do-ambiente", ngrok=fake)
    assert result.is_open
    assert result.public_url == "https://abc123.ngrok-free.app"
    assert fake.calls == [("set_auth_token", "fake-token-do-ambiente"), ("connect", "5000", "http")]


@pytest.mark.parametrize(
    "error",
    [
        OSError("network is unreachable"),
        RuntimeError("ngrok binary download failed"),
        ValueError("bad token"),
    ],
)
def test_when_ngrok_cannot_start_the_server_still_runs_and_says_why(error):
    result = open_tunnel(5000, "token", ngrok=FakeNgrok(fail_with=error))
    assert not result.is_open
    assert type(error).__name__ in result.reason
    assert "sem túnel público" in result.reason
    assert "token" not in result.reason.split(":", 1)[0]


def test_close_disconnects_and_stops_ngrok_and_ignores_a_closed_tunnel():
    fake = FakeNgrok()
    result = open_tunnel(5000, "token", ngrok=fake)
    close_tunnel(result, ngrok=fake)
    # ngrok knows the tunnel by the URL it returned (the handle), not our https form
    assert fake.calls[-2:] == [("disconnect", "http://abc123.ngrok-free.app"), ("kill",)]
    before = list(fake.calls)
    close_tunnel(TunnelResult(reason="off"), ngrok=fake)
    assert fake.calls == before


@pytest.mark.django_db
def test_flask_status_shows_the_public_url():
    app = servidor_webhook_local.create_app(
        {"TESTING": True, "TUNNEL_URL": "https://abc123.ngrok-free.app"}
    )
    body = app.test_client().get("/status").get_json()
    assert body["tunnel_url"] == "https://abc123.ngrok-free.app"
    assert body["server"] == "flask"


@pytest.mark.django_db
def test_main_opens_the_tunnel_from_the_environment_and_closes_it_on_exit(
    monkeypatch, settings, capsys
):
    """main(): token from settings (the environment), banner with the public URL, tunnel closed
    in ``finally`` even when the server stops with an error."""
    fake = FakeNgrok()
    settings.NGROK_AUTHTOKEN = "fake-token-do-ambiente"
    monkeypatch.setenv("WEBHOOK_APPLY_MODE", "inline")  # main() sets a default; keep ours
    monkeypatch.setattr("webhook.tunnel._ngrok", lambda: fake)
    monkeypatch.setattr(supervision.ApplierSupervisor, "start", lambda self: self)

    def serve(app, args):
        raise KeyboardInterrupt

    monkeypatch.setattr(serving, "serve", serve)
    with pytest.raises(KeyboardInterrupt):
        servidor_webhook_local.main(["--port", "5099"])
    out = capsys.readouterr().out
    assert "https://abc123.ngrok-free.app/webhook" in out
    assert ("connect", "5099", "http") in fake.calls
    assert fake.calls[-1] == ("kill",)


@pytest.mark.django_db
def test_main_without_tunnel_flag_never_touches_ngrok(monkeypatch, settings, capsys):
    fake = FakeNgrok()
    settings.NGROK_AUTHTOKEN = "fake-token-do-ambiente"
    monkeypatch.setenv("WEBHOOK_APPLY_MODE", "inline")  # main() sets a default; keep ours
    monkeypatch.setattr("webhook.tunnel._ngrok", lambda: fake)
    monkeypatch.setattr(supervision.ApplierSupervisor, "start", lambda self: self)
    monkeypatch.setattr(serving, "serve", lambda app, args: None)
    servidor_webhook_local.main(["--no-tunnel", "--port", "5098"])
    assert fake.calls == []
    assert "desligado com --no-tunnel" in capsys.readouterr().out
