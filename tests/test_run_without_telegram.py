"""`griddesk run` with ``[telegram] mode = "off"``: no bot token, residents on WeChat, workers
on WeCom, every secret from the environment; a resident's message through the real callback
becomes a card on WeCom, and SIGTERM stops it cleanly."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from bot.channels import parse
from handlers.tencent.xml import XmlValue
from standins.balancer import free_port
from standins.tencent_callbacks import CallbackDriver
from standins.wechat import WeChatStandIn
from standins.wecom import WeComStandIn
from tests.harness import EXAMPLE
from tests.wechat_world import (
    ACCOUNT,
    AGENT_ID,
    APP_ID,
    CORP_ID,
    SECRETS,
    WECOM,
    WECOM_ORG,
    on_wecom,
)

GRIDDESK = Path(sys.executable).parent / "griddesk"
pytestmark = pytest.mark.asyncio


async def test_run_with_telegram_off_serves_wechat_and_wecom(tmp_path: Path) -> None:
    port = free_port()
    async with (
        WeChatStandIn(APP_ID, SECRETS.app_secret) as wx,
        WeComStandIn(CORP_ID, WECOM.secret, AGENT_ID) as wecom,
    ):
        for person in WECOM_ORG.people.values():
            wecom.add_member(parse(person.user_id)[1], person.name)
        config = tmp_path / "griddesk.toml"
        text = on_wecom(EXAMPLE.read_text("utf-8"), listen=f"127.0.0.1:{port}")
        text = text.replace('mode = "polling"', 'mode = "off"', 1)
        text = text.replace("[wecom]\n", f'[wecom]\nbase_url = "{wecom.base_url}"\n', 1)
        text += f'\n[wechat]\napp_id = "{APP_ID}"\nbase_url = "{wx.base_url}"\n'
        config.write_text(text, "utf-8")
        env = {k: v for k, v in os.environ.items() if k != "GRIDDESK_TELEGRAM_TOKEN"}
        env |= {
            "XDG_CACHE_HOME": str(tmp_path),
            "GRIDDESK_WECHAT_APP_SECRET": SECRETS.app_secret,
            "GRIDDESK_WECHAT_TOKEN": SECRETS.token,
            "GRIDDESK_WECHAT_AES_KEY": SECRETS.encoding_aes_key or "",
            "GRIDDESK_WECOM_SECRET": WECOM.secret,
            "GRIDDESK_WECOM_TOKEN": WECOM.token,
            "GRIDDESK_WECOM_AES_KEY": WECOM.encoding_aes_key,
        }
        process = await asyncio.create_subprocess_exec(
            str(GRIDDESK), "run", "--config", str(config), env=env,
            stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
        )  # fmt: skip
        try:
            wx.subscribe("oRUN1", long_ago=True)
            wx.user_message("oRUN1")
            async with CallbackDriver(
                f"http://127.0.0.1:{port}/wechat",
                token=SECRETS.token,
                mode="safe",
                encoding_aes_key=SECRETS.encoding_aes_key,
                receive_id=APP_ID,
                retry_interval=1.0,
                tries=20,  # while the bot starts
            ) as tencent:
                message: dict[str, XmlValue] = {"ToUserName": ACCOUNT, "FromUserName": "oRUN1",
                           "CreateTime": 1795309200, "MsgType": "text",
                           "Content": "审计厅小区3号楼又停水了", "MsgId": 1}  # fmt: skip
                assert (await tencent.post(message)).outcome == "success"
            receipt = await wx.wait_for(lambda m: m.openid == "oRUN1", timeout=20)
            assert "工单号：" in (receipt.text or "")
            card = await wecom.wait_for_card(lambda c: c.userid.lower() == "u2001", timeout=20)
            assert "供水" in card.face.title
        finally:
            process.send_signal(signal.SIGTERM)
            _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
        log = stderr.decode()
        assert process.returncode == 0, log[-2000:]
        assert "griddesk stopped" in log
        for secret in (SECRETS.app_secret, WECOM.secret, WECOM.encoding_aes_key):
            assert secret not in log
