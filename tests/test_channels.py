"""Ids carry their channel: ``telegram:1001`` and ``wecom:1001`` are two people."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot import channels
from bot.channels import Channel
from bot.config.settings import load_settings
from bot.config.tomlcheck import SettingsError

EXAMPLE = Path(__file__).parent.parent / "config.example.toml"


def test_an_address_names_its_channel_and_keeps_the_platforms_id_whole() -> None:
    """Colons inside the platform's id survive the round trip (only the first one splits)."""
    assert channels.address(Channel.WECOM, "zhang:san") == "wecom:zhang:san"
    assert channels.parse("wecom:zhang:san") == (Channel.WECOM, "zhang:san")
    assert channels.parse(channels.telegram(-1001000000011)) == (Channel.TELEGRAM, "-1001000000011")
    assert channels.telegram_id("telegram:-1001000000011") == -1001000000011


@pytest.mark.parametrize("text", ["1001", "telegram", "telegram:", "qq:1001", ":1001", ""])
def test_what_is_not_an_address_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match=r"channel|address"):
        channels.parse(text)


def test_a_telegram_id_is_only_taken_from_a_telegram_address() -> None:
    """A WeCom member whose UserID is digits is not Telegram user 1001."""
    with pytest.raises(ValueError, match="not a Telegram address"):
        channels.telegram_id("wecom:1001")


@pytest.mark.parametrize(
    ("typed", "kept"),
    [
        ("2001", "telegram:2001"),
        (" -1001000000011 ", "telegram:-1001000000011"),
        ("wecom:zhangsan", "wecom:zhangsan"),
        ("wechat:o6_bmjrPTlm6_2sgVt7hMZOPfL2M", "wechat:o6_bmjrPTlm6_2sgVt7hMZOPfL2M"),
    ],
)
def test_an_operator_may_type_a_bare_telegram_id_or_a_full_address(typed: str, kept: str) -> None:
    assert channels.read_address(typed) == kept


def test_a_telegram_address_must_hold_a_number() -> None:
    with pytest.raises(ValueError, match="whole number"):
        channels.read_address("telegram:zhangsan")


def test_only_telegram_people_get_a_profile_link() -> None:
    assert channels.profile_link("telegram:1001") == "tg://user?id=1001"
    assert channels.profile_link("wechat:o6_bm") == ""


WECOM = '\n[wecom]\ncorp_id = "wwstandin0000001"\nagent_id = 1000002\n'


def _config_with(tmp_path: Path, old: str, new: str, extra: str = "") -> Path:
    text = EXAMPLE.read_text("utf-8")
    assert old in text
    path = tmp_path / "griddesk.toml"
    text = text.replace(old, new, 1)
    if extra:
        text = text.replace('listen = ""', 'listen = "127.0.0.1:8080"', 1) + extra
    path.write_text(text, "utf-8")
    return path


def test_the_config_takes_telegram_numbers_and_other_channels_addresses(tmp_path: Path) -> None:
    """Numbers, as every config so far wrote them, are Telegram's; a WeCom member and a WeCom
    unit are written with their channel."""
    config = _config_with(tmp_path, "user_id = 2001", 'user_id = "wecom:zhangsan"', WECOM)
    org = load_settings(config).require_org()
    assert "wecom:zhangsan" in org.people
    assert "telegram:2002" in org.people
    assert org.street.chat_id == "telegram:-1001000000001"


def test_someone_on_a_channel_not_set_up_here_is_named(tmp_path: Path) -> None:
    """A WeCom member without [wecom], or Telegram units with Telegram off, could never be
    reached: the config is refused, naming each."""
    config = _config_with(tmp_path, "user_id = 2001", 'user_id = "wecom:zhangsan"')
    with pytest.raises(SettingsError, match=r"people \(张三\): is on wecom, but there is no "
                       r"\[wecom\]"):  # fmt: skip
        load_settings(config)
    off = _config_with(tmp_path, 'mode = "polling"', 'mode = "off"', WECOM)
    with pytest.raises(SettingsError) as raised:
        load_settings(off)
    said = str(raised.value)
    assert "grid xingan-1: chat_id is on telegram, but [telegram] mode is 'off'" in said
    assert "people (李四): is on telegram" in said
    alone = _config_with(tmp_path, 'mode = "polling"', 'mode = "off"')
    with pytest.raises(SettingsError, match="neither \\[wechat\\] nor \\[wecom\\]"):
        load_settings(alone)


@pytest.mark.parametrize(
    ("value", "says"),
    [
        ('"qq:123"', "must start with its channel (telegram, wechat, wecom)"),
        ('"zhangsan"', "must start with its channel"),
        ('"telegram:zhangsan"', "a Telegram id is a whole number"),
        ("2001.5", "must be a Telegram id or a text"),
    ],
)
def test_a_wrong_id_in_the_config_is_named_by_its_key(
    tmp_path: Path, value: str, says: str
) -> None:
    config = _config_with(tmp_path, "user_id = 2001", f"user_id = {value}")
    with pytest.raises(SettingsError, match=r"people\[\d+\]\.user_id: ") as raised:
        load_settings(config).require_org()
    assert says in str(raised.value)
