"""Whether every person and unit of the organisation is on a channel this deployment runs.

A person configured as ``wecom:zhangsan`` in a deployment without ``[wecom]``, or a grid whose
chat is a Telegram group while ``[telegram] mode = "off"``, could never be reached: every card,
reminder and notice for them would be given up. Said at start-up and by ``check-config``, one
line each, naming the person or unit, rather than found out from ``griddesk doctor`` later.
"""

from __future__ import annotations

from bot.channels import Channel, channel_of
from bot.config.org import Org
from bot.config.tomlcheck import Problems
from bot.domain import UnitKind

_HOW = {
    Channel.TELEGRAM: "[telegram] mode is 'off'",
    Channel.WECHAT: "there is no [wechat]",
    Channel.WECOM: "there is no [wecom]",
}


def check_channels(org: Org, running: frozenset[Channel], problems: Problems) -> None:
    """Record a mistake for each person and unit on a channel not in ``running``."""
    if not running:
        problems.add("telegram.mode", "is 'off' and neither [wechat] nor [wecom] is set up: "
                     "nobody could be reached")  # fmt: skip
        return
    for person in org.people.values():
        channel = channel_of(person.user_id)
        if channel not in running:
            problems.add(f"people ({person.name})",
                         f"is on {channel}, but {_HOW[channel]}")  # fmt: skip
    for kind in UnitKind:
        for unit in org.units(kind):
            channel = channel_of(unit.chat_id)
            if channel not in running:
                problems.add(f"{kind.value} {unit.ref.id}",
                             f"chat_id is on {channel}, but {_HOW[channel]}")  # fmt: skip
