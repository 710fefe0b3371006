"""The ``button_interaction`` template card, as the WeCom stand-in checks and shows it.

Why it is its own module: the card is the one rich structure griddesk sends to WeCom, and the
rules for it (Doc 90236 发送应用消息 › 模板卡片消息 › 按钮交互型, Doc 94888 更新模版卡片消息) are
what a stand-in must get right to be worth trusting. :func:`parse_card` turns the
``template_card`` JSON into a :class:`CardFace` or refuses it with WeCom's error code;
:func:`replace_name` and :func:`grey_out` are the ``button.replace_name`` update.

What is checked, from the docs' field tables (copies in ``wxkingstar/doc-hub-mcp``, pages
updated 2025-09-24 and 2025-07-24) and the card codes of Doc 90313:

- ``card_type`` must be ``button_interaction`` (the other four types exist but are not
  modelled: refused here, so a test cannot mistake them for checked);
- ``task_id`` on a send: 1–128 bytes of ``[0-9A-Za-z_-@]`` (42014; uniqueness is the app's,
  checked by the stand-in); on an update it is ignored, as Doc 94888's examples have none;
- ``main_title.title`` is required ("是"; code not documented, 40058 here);
- ``horizontal_content_list``: at most 6 (42035), each with a ``keyname`` (42027) and, for
  ``type`` 1, a ``url`` (42028);
- ``button_list``: required, 1 to 6 buttons ("列表长度不超过6"; 40058 here), each with a
  ``text`` (42038); a callback button (``type`` 0 or absent) needs a ``key`` of at most 1024
  bytes, unique on the card (42039); a ``type`` 1 button needs a ``url`` (42028);
  ``style`` outside 1–4 becomes 1 ("不填或错填默认1");
- ``replace_text`` (updates): the buttons show grey and cannot be pressed.

Recommended lengths ("建议不超过36个字" …) are advice in the docs, not refusals, so they are not
checked. ``source``, ``action_menu``, ``quote_area``, ``card_action`` and ``button_selection``
are kept in :attr:`CardFace.source` but not checked or shown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from typing import Any

from standins.wecom_errors import WeComError

__all__ = ["Button", "CardFace", "grey_out", "parse_card", "replace_name"]

JsonDict = dict[str, Any]

MAX_BUTTONS = 6
MAX_ROWS = 6
MAX_KEY_BYTES = 1024
_TASK_ID = re.compile(r"[0-9A-Za-z_\-@]{1,128}")
_OTHER_CARDS = frozenset({"text_notice", "news_notice", "vote_interaction", "multiple_interaction"})


@dataclass(frozen=True, slots=True)
class Button:
    """One button as the member sees it; ``key`` is None for a link (``type`` 1) button."""

    text: str
    key: str | None
    style: int = 1
    url: str | None = None


@dataclass(frozen=True, slots=True)
class CardFace:
    """What a card shows: title, ``keyname: value`` rows and buttons.

    With ``replace_text`` set, the buttons are grey and show that text instead; none can be
    pressed. ``source`` is the ``template_card`` JSON this face came from (for a greyed-out
    face, the one it greyed).
    """

    title: str
    desc: str | None
    rows: tuple[tuple[str, str], ...]
    buttons: tuple[Button, ...]
    replace_text: str | None
    source: JsonDict

    @property
    def keys(self) -> frozenset[str]:
        """The keys a member can press now: none once the buttons are grey."""
        if self.replace_text is not None:
            return frozenset()
        return frozenset(b.key for b in self.buttons if b.key is not None)


def parse_card(card: object, *, sending: bool) -> tuple[CardFace, str | None]:
    """The face of a ``template_card`` and, when ``sending``, its ``task_id``.

    Raises :class:`WeComError` with the code WeCom gives for the first fault found.
    """
    if not isinstance(card, dict):
        raise WeComError(40058, "template_card missing")
    card_type = card.get("card_type")
    if card_type in _OTHER_CARDS:
        raise WeComError(40058, f"card_type {card_type} is not modelled by the stand-in")
    if card_type != "button_interaction":
        raise WeComError(42031)
    task_id = None
    if sending:
        task_id = card.get("task_id")
        if not isinstance(task_id, str) or not _TASK_ID.fullmatch(task_id):
            raise WeComError(42014)
    title = _dict(card, "main_title").get("title")
    if not isinstance(title, str) or not title:
        raise WeComError(40058, "main_title.title missing")
    desc = _dict(card, "main_title").get("desc")
    replace_text = card.get("replace_text")
    face = CardFace(
        title=title,
        desc=desc if isinstance(desc, str) else None,
        rows=_rows(card.get("horizontal_content_list")),
        buttons=_buttons(card.get("button_list")),
        replace_text=replace_text if isinstance(replace_text, str) and replace_text else None,
        source=card,
    )
    return face, task_id


def replace_name(button: object) -> str:
    """The text of an update's ``button: {"replace_name": …}``, required by Doc 94888."""
    name = button.get("replace_name") if isinstance(button, dict) else None
    if not isinstance(name, str) or not name:
        raise WeComError(40058, "button.replace_name missing")
    return name


def grey_out(face: CardFace, name: str) -> CardFace:
    """The same card, its buttons grey and unpressable with ``name`` (Doc 94888)."""
    return replace(face, replace_text=name)


def _dict(card: JsonDict, name: str) -> JsonDict:
    value = card.get(name)
    return value if isinstance(value, dict) else {}


def _rows(rows: object) -> tuple[tuple[str, str], ...]:
    if rows is None:
        return ()
    if not isinstance(rows, list) or len(rows) > MAX_ROWS:
        raise WeComError(42035)
    out = []
    for row in rows:
        if not isinstance(row, dict) or not isinstance(row.get("keyname"), str):
            raise WeComError(42027)
        keyname = row["keyname"]
        if not keyname:
            raise WeComError(42027)
        if row.get("type") == 1 and not row.get("url"):
            raise WeComError(42028)
        value = row.get("value")
        out.append((keyname, value if isinstance(value, str) else ""))
    return tuple(out)


def _buttons(buttons: object) -> tuple[Button, ...]:
    if not isinstance(buttons, list) or not 1 <= len(buttons) <= MAX_BUTTONS:
        raise WeComError(40058, "button_list size invalid")
    out: list[Button] = []
    for button in buttons:
        if not isinstance(button, dict):
            raise WeComError(42038)
        text = button.get("text")
        if not isinstance(text, str) or not text:
            raise WeComError(42038)
        style = button.get("style")
        style = style if isinstance(style, int) and 1 <= style <= 4 else 1
        if button.get("type") == 1:
            url = button.get("url")
            if not isinstance(url, str) or not url:
                raise WeComError(42028)
            out.append(Button(text, None, style, url))
            continue
        key = button.get("key")
        if (
            not isinstance(key, str)
            or not 1 <= len(key.encode()) <= MAX_KEY_BYTES
            or any(b.key == key for b in out)
        ):
            raise WeComError(42039)
        out.append(Button(text, key, style))
    return tuple(out)
