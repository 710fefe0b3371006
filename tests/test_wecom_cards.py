"""A desk card as a WeCom template card (handlers/wecom/cards.py), without a server.

Every card :func:`template_card` makes is also put to the WeCom stand-in's own checker
(:func:`standins.wecom_cards.parse_card`), which refuses what WeCom refuses: a card the
stand-in would refuse would be refused by WeCom too, so no card of ours may be one.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot import texts
from handlers.wecom.cards import PAGE, Drawn, template_card
from standins.wecom_cards import CardFace, parse_card

TASK = "gd-0123456789abcdef0123456789abcdef"
MORE = {"text": texts.WECOM_MORE, "style": 2}


def accepted(card: dict[str, Any]) -> CardFace:
    """The face the stand-in shows for ``card`` sent as it is (it raises if WeCom would not
    take it), its task_id the one it was made with."""
    face, task_id = parse_card(card, sending=True)
    assert task_id == TASK
    return face


def buttons(count: int) -> tuple[tuple[str, str], ...]:
    """``count`` buttons with labels and actions of their own."""
    return tuple((f"第{n}项", f"choose:17:{n}") for n in range(count))


def shown(card: dict[str, Any]) -> list[tuple[str, str]]:
    """(label, action) of a card's buttons, the page turner left out."""
    return [(b["text"], b["key"]) for b in card["button_list"] if not b["key"].startswith(PAGE)]


def turner(card: dict[str, Any]) -> dict[str, Any] | None:
    """A card's 更多… button, if it has one."""
    turners = [b for b in card["button_list"] if b["key"].startswith(PAGE)]
    assert len(turners) <= 1
    return turners[0] if turners else None


def all_pages(drawn: Drawn) -> list[dict[str, Any]]:
    """The cards a member sees pressing 更多… from page 0 until it comes back to page 0 (the
    one card, if it has no 更多…)."""
    cards = [template_card(TASK, Drawn(drawn.text, drawn.buttons, 0))]
    for _ in range(100):
        more = turner(cards[-1])
        if more is None:
            assert len(cards) == 1, "a page without 更多… after the first"
            return cards
        page = int(more["key"].removeprefix(PAGE))
        if page == 0:
            return cards
        cards.append(template_card(TASK, Drawn(drawn.text, drawn.buttons, page)))
    raise AssertionError("the pages never came back to the first")


# ---- the text -----------------------------------------------------------------------------------


def test_the_first_line_is_the_title_key_value_lines_rows_the_rest_the_desc() -> None:
    """Lines are trimmed and blank ones dropped; ``键：值`` (full-width colon, a name of at
    most eight characters, a value) is a row, in order; anything else is the description."""
    drawn = Drawn(
        "  0423-0017 审计厅小区3号楼停水  \n"
        "地址：审计厅小区3号楼2单元\n"
        "\n"
        "居民说从早上起就没水了\n"
        "类别：供水\n"
        "时间: 09:30\n"  # an ASCII colon: not a row
        "：没有名字\n"  # no name
        "电话：\n"  # no value
        "九个字的名字多一个：值\n"  # a name of nine characters
        "八个字的名字正好：可以\n",
        (("认领", "claim:17"),),
    )
    card = template_card(TASK, drawn)
    assert card["card_type"] == "button_interaction"
    assert card["task_id"] == TASK
    assert card["main_title"] == {
        "title": "0423-0017 审计厅小区3号楼停水",
        "desc": "居民说从早上起就没水了\n时间: 09:30\n：没有名字\n电话：\n九个字的名字多一个：值",
    }
    assert card["horizontal_content_list"] == [
        {"keyname": "地址", "value": "审计厅小区3号楼2单元"},
        {"keyname": "类别", "value": "供水"},
        {"keyname": "八个字的名字正好", "value": "可以"},
    ]
    assert "replace_text" not in card
    face = accepted(card)
    assert face.title == "0423-0017 审计厅小区3号楼停水"
    assert face.rows == (
        ("地址", "审计厅小区3号楼2单元"),
        ("类别", "供水"),
        ("八个字的名字正好", "可以"),
    )


def test_a_value_may_hold_a_colon_of_its_own() -> None:
    card = template_card(TASK, Drawn("标题\n备注：先关阀门：再开", (("认领", "claim:17"),)))
    assert card["horizontal_content_list"] == [{"keyname": "备注", "value": "先关阀门：再开"}]


def test_a_card_of_a_title_only_has_no_desc_and_no_rows() -> None:
    """Nothing but the title: no ``desc``, no ``horizontal_content_list`` (WeCom takes an
    absent list, not an empty one)."""
    card = template_card(TASK, Drawn("审计厅小区3号楼停水\n\n   \n", (("认领", "claim:17"),)))
    assert card["main_title"] == {"title": "审计厅小区3号楼停水"}
    assert "horizontal_content_list" not in card
    assert accepted(card).desc is None


@pytest.mark.parametrize("text", ["", "   ", "\n\n"])
def test_a_card_without_text_still_has_a_title(text: str) -> None:
    """WeCom requires ``main_title.title``: an empty text gets a dash."""
    card = template_card(TASK, Drawn(text, (("认领", "claim:17"),)))
    assert card["main_title"]["title"] == "—"
    assert accepted(card).title == "—"


def test_only_the_first_six_key_value_lines_are_rows_the_others_join_the_desc() -> None:
    """Eight ``键：值`` lines: six rows (WeCom's limit), the seventh and eighth in the
    description, in their order among the other lines."""
    lines = [f"项目{n}：值{n}" for n in range(1, 9)]
    card = template_card(TASK, Drawn("标题\n" + "\n".join([*lines[:7], "说明", lines[7]]), ()))
    assert card["horizontal_content_list"] == [
        {"keyname": f"项目{n}", "value": f"值{n}"} for n in range(1, 7)
    ]
    assert card["main_title"]["desc"] == "项目7：值7\n说明\n项目8：值8"
    assert len(accepted(card).rows) == 6


# ---- the buttons --------------------------------------------------------------------------------


@pytest.mark.parametrize("count", [1, 2, 5, 6])
def test_up_to_six_buttons_are_shown_as_they_are(count: int) -> None:
    """Each button as written, in order, pressable (style 1), and no 更多… button."""
    drawn = Drawn("标题", buttons(count))
    card = template_card(TASK, drawn)
    assert card["button_list"] == [
        {"text": label, "style": 1, "key": action} for label, action in buttons(count)
    ]
    face = accepted(card)
    assert [(b.text, b.key) for b in face.buttons] == list(buttons(count))
    assert face.keys == {action for _, action in buttons(count)}


@pytest.mark.parametrize("page", [1, 2, 7])
def test_up_to_six_buttons_ignore_the_page(page: int) -> None:
    """A card that fits one page shows it whatever page it was left at."""
    assert template_card(TASK, Drawn("标题", buttons(6), page)) == template_card(
        TASK, Drawn("标题", buttons(6))
    )


def test_seven_buttons_are_five_and_a_more_button_then_two_and_a_more_button() -> None:
    drawn = Drawn("标题", buttons(7))
    assert drawn.pages == 2
    first, second = all_pages(drawn)
    assert first["button_list"] == [
        *({"text": label, "style": 1, "key": action} for label, action in buttons(7)[:5]),
        {**MORE, "key": f"{PAGE}1"},
    ]
    assert second["button_list"] == [
        *({"text": label, "style": 1, "key": action} for label, action in buttons(7)[5:]),
        {**MORE, "key": f"{PAGE}0"},
    ]


@pytest.mark.parametrize("count", [7, 10, 11, 19, 30])
def test_every_button_is_reached_by_turning_pages_and_the_pages_wrap(count: int) -> None:
    """From the first page, 更多… leads through every page and back to the first: every
    button shows on exactly one page, in order; no page has more than six buttons, each has
    five of its own (the last the rest) and a 更多… whose key names the next page."""
    drawn = Drawn("标题", buttons(count))
    pages = all_pages(drawn)
    assert len(pages) == drawn.pages == -(-count // 5)
    assert [button for card in pages for button in shown(card)] == list(buttons(count))
    for number, card in enumerate(pages):
        assert len(card["button_list"]) <= 6
        assert len(shown(card)) == (5 if number < len(pages) - 1 else count - 5 * number)
        assert turner(card) == {**MORE, "key": f"{PAGE}{(number + 1) % len(pages)}"}
        assert card["button_list"][-1] == turner(card)
        accepted(card)


def test_nineteen_buttons_are_four_pages() -> None:
    pages = all_pages(Drawn("标题", buttons(19)))
    assert [len(shown(card)) for card in pages] == [5, 5, 5, 4]
    assert [turner(card) for card in pages] == [{**MORE, "key": f"{PAGE}{n}"} for n in (1, 2, 3, 0)]


@pytest.mark.parametrize(("page", "same_as"), [(4, 0), (5, 1), (11, 3)])
def test_a_page_past_the_last_wraps_around(page: int, same_as: int) -> None:
    """A page number past the last (the card lost buttons since) counts round again."""
    assert template_card(TASK, Drawn("标题", buttons(19), page)) == template_card(
        TASK, Drawn("标题", buttons(19), same_as)
    )


def test_a_card_with_no_buttons_is_greyed_with_one_placeholder() -> None:
    """Nothing left to press: one grey 已处理 button and ``replace_text`` 已处理, so the card
    shows it is done and nothing on it can be pressed."""
    card = template_card(TASK, Drawn("0423-0017 审计厅小区3号楼停水\n状态：已完成", ()))
    [placeholder] = card["button_list"]
    assert placeholder["text"] == texts.WECOM_DONE == "已处理"
    assert placeholder["style"] == 2
    assert not placeholder["key"].startswith(PAGE)
    assert card["replace_text"] == texts.WECOM_DONE
    face = accepted(card)
    assert face.replace_text == "已处理"
    assert face.keys == frozenset()


def test_a_card_with_buttons_has_no_replace_text() -> None:
    for count in (1, 6, 7, 19):
        for card in all_pages(Drawn("标题", buttons(count))):
            assert "replace_text" not in card
            assert accepted(card).replace_text is None


# ---- what is kept -------------------------------------------------------------------------------


def test_drawn_survives_a_round_trip_through_json_with_its_chinese() -> None:
    drawn = Drawn(
        "0423-0017 审计厅小区3号楼停水\n地址：3号楼“2单元”\n<急> & 'x'",
        (("认领", "claim:17"), ("转交…", "pass:17"), ("第二页的", "more:17:9")),
        page=2,
    )
    dumped = drawn.dumps()
    assert Drawn.loads(dumped) == drawn
    assert "审计厅小区" in dumped
    assert "\\u" not in dumped
    assert json.loads(dumped) == {
        "text": drawn.text,
        "buttons": [["认领", "claim:17"], ["转交…", "pass:17"], ["第二页的", "more:17:9"]],
        "page": 2,
    }
    assert Drawn.loads(Drawn("空", ()).dumps()) == Drawn("空", ())


def test_drawn_without_a_page_is_on_the_first() -> None:
    assert Drawn.loads('{"text": "标题", "buttons": [["认领", "claim:17"]]}') == Drawn(
        "标题", (("认领", "claim:17"),), 0
    )


# ---- WeCom takes every card ---------------------------------------------------------------------

LINES = st.one_of(
    st.text(st.sampled_from("停水3号楼a ：:\t键值"), max_size=20),
    st.builds(
        lambda name, value: f"{name}：{value}",
        st.text(st.sampled_from("地址类别电话ab "), max_size=10),
        st.text(st.sampled_from("审计厅小区3号楼：: "), max_size=10),
    ),
)
LABELS = st.text(st.sampled_from("认领转交完成第一二三项"), min_size=1, max_size=8)


@st.composite
def drawn_cards(draw: st.DrawFn) -> Drawn:
    """Any text of lines, up to 30 buttons with labels and distinct actions, any page."""
    text = "\n".join(draw(st.lists(LINES, max_size=12)))
    labels = draw(st.lists(LABELS, max_size=30))
    page = draw(st.integers(min_value=0, max_value=40))
    return Drawn(text, tuple((label, f"act:{n}") for n, label in enumerate(labels)), page)


@settings(max_examples=300)
@given(drawn_cards())
def test_every_card_made_is_one_the_stand_in_accepts(drawn: Drawn) -> None:
    """Whatever the text and however many buttons, each page of the card is a card WeCom
    takes: a title, at most six rows with names, one to six buttons with distinct keys."""
    pages = all_pages(drawn)
    for card in [*pages, template_card(TASK, drawn)]:  # its own page too
        face = accepted(card)
        assert 1 <= len(face.buttons) <= 6
        assert len(face.rows) <= 6
        assert parse_card(card, sending=False)[0] == face  # and as an update's new card
    reached = {key for card in pages for key in accepted(card).keys}
    assert {action for _, action in drawn.buttons} <= reached
