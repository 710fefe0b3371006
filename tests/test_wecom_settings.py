"""``[wecom]`` and its secrets: read when right, every mistake named by its key or variable,
no secret ever echoed."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config.settings import SettingsError, load_settings
from bot.config.wecom import (
    AES_KEY_VARIABLE,
    SECRET_VARIABLE,
    TOKEN_VARIABLE,
    WeComSettings,
    wecom_secrets,
)

EXAMPLE = Path(__file__).parent.parent / "config.example.toml"


def _config(tmp_path: Path, section: str, *, listen: bool = True) -> Path:
    text = EXAMPLE.read_text("utf-8")
    if listen:
        text = text.replace('listen = ""', 'listen = "127.0.0.1:8080"', 1)
    path = tmp_path / "griddesk.toml"
    path.write_text(text + section, "utf-8")
    return path


def test_a_section_is_read_with_its_defaults(tmp_path: Path) -> None:
    section = '\n[wecom]\ncorp_id = "ww0123456789abcdef"\nagent_id = 1000002\n'
    assert load_settings(_config(tmp_path, section)).wecom == WeComSettings(
        "ww0123456789abcdef", 1000002, "/wecom", None
    )


def test_every_mistake_is_named_by_its_key(tmp_path: Path) -> None:
    section = '\n[wecom]\ncorp_id = "x"\ncallback_path = "/healthz"\nbase_url = "ftp://x"\n'
    with pytest.raises(SettingsError) as raised:
        load_settings(_config(tmp_path, section, listen=False))
    said = str(raised.value)
    for key in ("wecom.corp_id", "wecom.agent_id", "wecom.callback_path", "wecom.base_url",
                "http.listen"):  # fmt: skip
        assert f": {key}:" in said, (key, said)


@pytest.mark.parametrize(
    ("key", "variable"),
    [("secret", SECRET_VARIABLE), ("token", TOKEN_VARIABLE), ("aes_key", AES_KEY_VARIABLE)],
)
def test_a_secret_in_the_file_is_sent_to_its_variable(
    tmp_path: Path, key: str, variable: str
) -> None:
    value = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
    section = f'\n[wecom]\ncorp_id = "ww0123456789abcdef"\nagent_id = 1\n{key} = "{value}"\n'
    with pytest.raises(SettingsError) as raised:
        load_settings(_config(tmp_path, section))
    said = str(raised.value)
    assert f"wecom.{key}" in said
    assert variable in said
    assert value not in said


def test_the_secrets_come_from_the_environment_all_three_needed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv(SECRET_VARIABLE, "app-secret-0123456789abcdefgh")
    monkeypatch.setenv(TOKEN_VARIABLE, "griddeskToken")
    monkeypatch.setenv(AES_KEY_VARIABLE, "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG")
    secrets = wecom_secrets()
    assert secrets.token == "griddeskToken"
    assert "griddeskToken" not in repr(secrets)
    monkeypatch.delenv(AES_KEY_VARIABLE)
    monkeypatch.setenv(TOKEN_VARIABLE, "no spaces here")
    with pytest.raises(SettingsError) as raised:
        wecom_secrets()
    said = str(raised.value)
    assert f"{AES_KEY_VARIABLE}: missing" in said  # WeCom always encrypts
    assert f"{TOKEN_VARIABLE}: the callback Token" in said
    assert "no spaces here" not in said
