"""A desk card (or any message with buttons) as a WeCom ``button_interaction`` template card.

The desk writes a card as lines of text and rows of buttons (:class:`~bot.domain.Outgoing`).
A WeCom card has a title, a description, at most six ``keyname: value`` rows and at most six
buttons (Doc 90236), so the first line becomes the title, lines written ``键：值`` the rows (the
first six), the other lines the description; more than six buttons are shown five at a time
with a :data:`~bot.texts.WECOM_MORE` button that turns to the next five (a key of ours,
:data:`PAGE`, handled by :mod:`handlers.wecom.inbound` without the desk). A card with no
buttons left shows :data:`~bot.texts.WECOM_DONE` in their place, greyed.

What the card showed is kept as :class:`Drawn` (JSON in :attr:`bot.ports.PlatformCard.content`),
so the next page, or the next change, can be drawn from it by any instance.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from bot import texts

PAGE = "gd-page:"
"""The key prefix of the button that turns a card to another page of its buttons."""
MAX_BUTTONS = 6
MAX_ROWS = 6
_PER_PAGE = MAX_BUTTONS - 1
_NOTHING = "gd-none"
"""The key of the greyed placeholder button of a card with nothing to press."""


@dataclass(frozen=True)
class Drawn:
    """What a card shows: its text, all its buttons (label, action) and the page shown."""

    text: str
    buttons: tuple[tuple[str, str], ...]
    page: int = 0

    def dumps(self) -> str:
        return json.dumps(
            {"text": self.text, "buttons": [list(b) for b in self.buttons], "page": self.page},
            ensure_ascii=False,
        )

    @classmethod
    def loads(cls, content: str) -> Drawn:
        data = json.loads(content)
        buttons = tuple((str(label), str(action)) for label, action in data["buttons"])
        return cls(str(data["text"]), buttons, int(data.get("page", 0)))

    @property
    def pages(self) -> int:
        if len(self.buttons) <= MAX_BUTTONS:
            return 1
        return -(-len(self.buttons) // _PER_PAGE)


def template_card(task_key: str, drawn: Drawn) -> dict[str, Any]:
    """The ``template_card`` object for ``drawn``, known to WeCom as ``task_key``."""
    lines = [line.strip() for line in drawn.text.splitlines() if line.strip()]
    title = lines[0] if lines else "—"
    rows: list[dict[str, str]] = []
    rest: list[str] = []
    for line in lines[1:]:
        name, colon, value = line.partition("：")
        if colon and name and value and len(rows) < MAX_ROWS and len(name) <= 8:
            rows.append({"keyname": name, "value": value})
        else:
            rest.append(line)
    card: dict[str, Any] = {
        "card_type": "button_interaction",
        "task_id": task_key,
        "main_title": {"title": title, **({"desc": "\n".join(rest)} if rest else {})},
        "button_list": _buttons(drawn),
    }
    if rows:
        card["horizontal_content_list"] = rows
    if not drawn.buttons:
        card["replace_text"] = texts.WECOM_DONE
    return card


def _buttons(drawn: Drawn) -> list[dict[str, Any]]:
    if not drawn.buttons:
        return [{"text": texts.WECOM_DONE, "style": 2, "key": _NOTHING}]
    if drawn.pages == 1:
        return [_button(label, action) for label, action in drawn.buttons]
    page = drawn.page % drawn.pages
    shown = drawn.buttons[page * _PER_PAGE : (page + 1) * _PER_PAGE]
    turn = {"text": texts.WECOM_MORE, "style": 2, "key": f"{PAGE}{(page + 1) % drawn.pages}"}
    return [*(_button(label, action) for label, action in shown), turn]


def _button(label: str, action: str) -> dict[str, Any]:
    return {"text": label, "style": 1, "key": action}
