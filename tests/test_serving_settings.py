"""How updates arrive and where the server listens: ``[telegram] mode``, ``webhook_url``,
``[http] listen`` and the webhook's secret token from the environment."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from bot.app import serve
from bot.config.environment import WEBHOOK_SECRET_VARIABLE, webhook_secret
from bot.config.serving import HttpSettings, webhook_path
from bot.config.settings import SettingsError, load_settings

EXAMPLE = Path(__file__).parent.parent / "config.example.toml"
WEBHOOK_URL = 'webhook_url = "https://griddesk.example.org/telegram"'


def _load(tmp_path: Path, *changes: tuple[str, str]) -> Path:
    """The example with each ``(old, new)`` text replaced, written to a file."""
    text = EXAMPLE.read_text("utf-8")
    for old, new in changes:
        assert old in text, old
        text = text.replace(old, new, 1)
    path = tmp_path / "griddesk.toml"
    path.write_text(text, "utf-8")
    return path


def test_the_example_polls_and_serves_nothing() -> None:
    """By default the bot polls and opens no port: two instances on one host never collide."""
    settings = load_settings(EXAMPLE)
    assert settings.telegram.mode == "polling"
    assert settings.telegram.webhook_url is None
    assert settings.http == HttpSettings(None)
    text = EXAMPLE.read_text("utf-8")
    for key in ("mode", "webhook_url", "listen"):
        assert re.search(rf"^#?\s*{key}\s*=", text, re.MULTILINE), key
    assert "[http]" in text


def test_webhook_mode_is_read(tmp_path: Path) -> None:
    """mode, webhook_url and listen together; the webhook's path is the URL's."""
    path = _load(
        tmp_path,
        ('mode = "polling"', 'mode = "webhook"'),
        ('webhook_url = ""', WEBHOOK_URL),
        ('listen = ""', 'listen = "127.0.0.1:8080"'),
    )
    settings = load_settings(path)
    assert settings.telegram.mode == "webhook"
    assert settings.telegram.webhook_url == "https://griddesk.example.org/telegram"
    assert settings.http.listen == ("127.0.0.1", 8080)
    assert webhook_path("https://griddesk.example.org/telegram") == "/telegram"


def test_an_ipv6_address_can_be_listened_on(tmp_path: Path) -> None:
    """[::1]:8080, as such addresses are written."""
    path = _load(tmp_path, ('listen = ""', 'listen = "[::1]:8080"'))
    assert load_settings(path).http.listen == ("::1", 8080)


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ((('mode = "polling"', 'mode = "webhooks"'),), "telegram.mode: must be 'polling', 'webhook' or 'off', got 'webhooks'"),
        ((('mode = "polling"', 'mode = "webhook"'),), "telegram.webhook_url: missing: webhook mode needs the URL Telegram calls"),
        ((('mode = "polling"', 'mode = "webhook"'),), "http.listen: missing: webhook mode needs the server's host:port"),
        ((('webhook_url = ""', 'webhook_url = "griddesk.example.org/telegram"'),), "telegram.webhook_url: must be an https://host/path URL"),
        ((('webhook_url = ""', 'webhook_url = "https://griddesk.example.org"'),), "telegram.webhook_url: needs a path of its own (e.g. /telegram), not '/'"),
        ((('webhook_url = ""', 'webhook_url = "https://griddesk.example.org/metrics"'),), "needs a path of its own (e.g. /telegram), not '/metrics'"),
        ((('listen = ""', 'listen = "8080"'),), "http.listen: must be host:port, e.g. 127.0.0.1:8080, got '8080'"),
        ((('listen = ""', 'listen = "127.0.0.1:99999"'),), "http.listen: must be host:port"),
        ((('listen = ""', 'listen = "127.0.0.1:8080"\nport = 8080'),), "http.port: unknown key"),
        ((('webhook_url = ""', 'webhook_url = ""\nwebhook_secret = "abc"'),), "telegram.webhook_secret: secrets never go in the config file: set the environment variable GRIDDESK_WEBHOOK_SECRET"),
        ((('webhook_url = ""', 'webhook_url = ""\nsecret_token = "abc"'),), "telegram.secret_token: secrets never go in the config file: set the environment variable GRIDDESK_WEBHOOK_SECRET"),
    ],
)  # fmt: skip
def test_serving_mistakes_name_their_key(
    changes: tuple[tuple[str, str], ...], message: str, tmp_path: Path
) -> None:
    """Each mistake is reported with its key; a secret in the file names its variable."""
    with pytest.raises(SettingsError, match=re.escape(message)):
        load_settings(_load(tmp_path, *changes))


def test_a_secret_in_the_file_is_never_echoed(tmp_path: Path) -> None:
    """The refusal names the key, never the value."""
    path = _load(tmp_path, ('webhook_url = ""', 'webhook_url = ""\nwebhook_secret = "hunter2"'))
    with pytest.raises(SettingsError) as caught:
        load_settings(path)
    assert "hunter2" not in str(caught.value)


def test_the_webhook_secret_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """Read and checked against what Telegram accepts; a refusal never quotes the value."""
    monkeypatch.delenv(WEBHOOK_SECRET_VARIABLE, raising=False)
    with pytest.raises(
        SettingsError, match=f"set the environment variable {WEBHOOK_SECRET_VARIABLE}"
    ):
        webhook_secret()
    monkeypatch.setenv(WEBHOOK_SECRET_VARIABLE, "not allowed: spaces")
    with pytest.raises(SettingsError, match="value not shown") as caught:
        webhook_secret()
    assert "spaces" not in str(caught.value)
    monkeypatch.setenv(WEBHOOK_SECRET_VARIABLE, "x" * 257)
    with pytest.raises(SettingsError):
        webhook_secret()
    monkeypatch.setenv(WEBHOOK_SECRET_VARIABLE, " Ok_secret-42 ")
    assert webhook_secret() == "Ok_secret-42"


@pytest.mark.asyncio
async def test_griddesk_run_in_webhook_mode_needs_the_secret_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`griddesk run` refuses webhook mode without its secret before opening anything."""
    monkeypatch.delenv(WEBHOOK_SECRET_VARIABLE, raising=False)
    path = _load(
        tmp_path,
        ('mode = "polling"', 'mode = "webhook"'),
        ('webhook_url = ""', WEBHOOK_URL),
        ('listen = ""', 'listen = "127.0.0.1:0"'),
        ('url = "sqlite:///griddesk.db"', 'url = "sqlite:///never-opened.db"'),
    )
    with pytest.raises(SettingsError, match=WEBHOOK_SECRET_VARIABLE):
        await serve(load_settings(path), "123456:STAND-IN")
    assert not (tmp_path / "never-opened.db").exists()
