"""``[wechat]`` and its secrets: read when right, every mistake named by its key or variable,
no secret ever echoed."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.config.settings import SettingsError, load_settings
from bot.config.wechat import (
    AES_KEY_VARIABLE,
    APP_SECRET_VARIABLE,
    TOKEN_VARIABLE,
    NoticeTemplate,
    wechat_secrets,
)

EXAMPLE = Path(__file__).parent.parent / "config.example.toml"
LISTEN = ('listen = ""', 'listen = "127.0.0.1:8080"')
SECTION = '\n[wechat]\napp_id = "wx5eed0000c0ffee01"\n'
TEMPLATE = (
    '\n[wechat.notice_template]\nid = "TPL_progress_0001"\nnumber = "character_string1"\n'
    'summary = "thing2"\nremark = "thing3"\ntime = "time4"\n'
)


def _config(tmp_path: Path, extra: str, *, listen: bool = True) -> Path:
    text = EXAMPLE.read_text("utf-8")
    if listen:
        text = text.replace(*LISTEN, 1)
    path = tmp_path / "griddesk.toml"
    path.write_text(text + extra, "utf-8")
    return path


def _mistakes(path: Path) -> str:
    with pytest.raises(SettingsError) as caught:
        load_settings(path)
    return str(caught.value)


def test_the_example_has_no_wechat_and_documents_it() -> None:
    assert load_settings(EXAMPLE).wechat is None
    text = EXAMPLE.read_text("utf-8")
    for line in ("# [wechat]", "# [wechat.notice_template]", APP_SECRET_VARIABLE, TOKEN_VARIABLE,
                 AES_KEY_VARIABLE):  # fmt: skip
        assert line in text


def test_a_section_with_its_template_is_read(tmp_path: Path) -> None:
    settings = load_settings(_config(tmp_path, SECTION + TEMPLATE))
    assert settings.wechat is not None
    assert settings.wechat.app_id == "wx5eed0000c0ffee01"
    assert settings.wechat.callback_path == "/wechat"
    assert settings.wechat.menus is False
    assert settings.wechat.notice_template == NoticeTemplate(
        "TPL_progress_0001", "character_string1", "thing2", "thing3", "time4"
    )


def test_every_mistake_is_named_by_its_key(tmp_path: Path) -> None:
    extra = (
        '\n[wechat]\napp_id = "wx123"\ncallback_path = "/metrics"\nmenus = "yes"\n'
        'colour = "green"\n[wechat.notice_template]\nid = "x"\nsummary = "Thing 2"\n'
    )
    said = _mistakes(_config(tmp_path, extra, listen=False))
    for key in ("wechat.app_id", "wechat.callback_path", "wechat.menus", "wechat.colour",
                "wechat.notice_template.id", "wechat.notice_template.number",
                "wechat.notice_template.summary", "http.listen"):  # fmt: skip
        assert f": {key}:" in said, (key, said)


@pytest.mark.parametrize(
    ("key", "variable"),
    [
        ("app_secret", APP_SECRET_VARIABLE),
        ("token", TOKEN_VARIABLE),
        ("encoding_aes_key", AES_KEY_VARIABLE),
    ],
)
def test_a_secret_in_the_file_is_refused_and_sent_to_its_variable(
    tmp_path: Path, key: str, variable: str
) -> None:
    value = "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"
    said = _mistakes(_config(tmp_path, SECTION + f'{key} = "{value}"\n'))
    assert f"wechat.{key}" in said
    assert variable in said
    assert value not in said


def test_secrets_come_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(APP_SECRET_VARIABLE, "0123456789abcdef0123456789abcdef")
    monkeypatch.setenv(TOKEN_VARIABLE, "griddeskToken")
    monkeypatch.delenv(AES_KEY_VARIABLE, raising=False)
    secrets = wechat_secrets()
    assert secrets.encoding_aes_key is None  # plain mode
    assert "griddeskToken" not in repr(secrets)
    monkeypatch.setenv(AES_KEY_VARIABLE, "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG")
    assert wechat_secrets().encoding_aes_key == "abcdefghijklmnopqrstuvwxyz0123456789ABCDEFG"


def test_missing_or_malformed_secrets_are_named_never_shown(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(APP_SECRET_VARIABLE, raising=False)
    monkeypatch.setenv(TOKEN_VARIABLE, "no spaces allowed here")
    monkeypatch.setenv(AES_KEY_VARIABLE, "too-short-key")
    with pytest.raises(SettingsError) as caught:
        wechat_secrets()
    said = str(caught.value)
    assert f"{APP_SECRET_VARIABLE}: missing" in said
    assert f"{TOKEN_VARIABLE}: the callback Token" in said
    assert f"{AES_KEY_VARIABLE}: the EncodingAESKey" in said
    assert "no spaces allowed here" not in said
    assert "too-short-key" not in said
