"""What a stored WeChat message means, without a desk or a database: which offered choice a
reply stands for, how a message is told from WeChat's retries of it, when it was sent, and
whom to apologise to when it cannot be handled."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import cast

import pytest

from bot import texts
from bot.desk.context import Actor
from bot.desk.desk import Desk
from bot.ports import Store
from handlers.tencent.xml import sent_at
from handlers.wechat.api import WeChatApi
from handlers.wechat.callback import message_key
from handlers.wechat.inbound import WeChatResidents, actor_of, chosen

RATINGS = (("满意", "rate:12:good"), ("一般", "rate:12:fair"), ("不满意", "rate:12:poor"))
"""Three choices offered as a numbered list (or a msgmenu): label, button data."""


@pytest.mark.parametrize(
    "text",
    ["2", "２", "2.", "2。", "２。", " 2 ", "２．", "2\u3000"],
)
def test_a_number_chooses_the_choice_it_numbers(text: str) -> None:
    """ASCII or full-width digits, with a full stop or spaces around as people type them."""
    assert chosen(text, "", RATINGS) == "rate:12:fair"


def test_each_number_in_range_chooses_its_own_choice() -> None:
    assert [chosen(str(n), "", RATINGS) for n in (1, 2, 3)] == [data for _, data in RATINGS]


@pytest.mark.parametrize("text", ["0", "4", "-1", "+2", "99999999999999999999", "2.5", "二", ""])
def test_a_number_out_of_range_or_not_a_number_chooses_nothing(text: str) -> None:
    assert chosen(text, "", RATINGS) is None


def test_a_choice_s_own_words_choose_it_and_only_exactly() -> None:
    """The label as it is; 满意 is not 不满意, and words that merely contain a label are not it."""
    assert chosen("不满意", "", RATINGS) == "rate:12:poor"
    assert chosen("满意", "", RATINGS) == "rate:12:good"
    assert chosen("很满意", "", RATINGS) is None
    assert chosen("一般吧", "", RATINGS) is None


def test_a_msgmenu_tap_s_id_wins_over_its_text() -> None:
    """WeChat sends a msgmenu tap as text with ``bizmsgmenuid``: the id decides, even when the
    text is another choice's label or number."""
    assert chosen("满意", "3", RATINGS) == "rate:12:poor"
    assert chosen("1", "3", RATINGS) == "rate:12:poor"
    assert chosen("随便说的话", "2", RATINGS) == "rate:12:fair"


@pytest.mark.parametrize("menu_id", ["", "0", "4", " ", "abc"])
def test_no_usable_msgmenu_id_falls_back_to_the_text(menu_id: str) -> None:
    """A missing id, ``0``, or one out of range: the text is read as if there were none."""
    assert chosen("2", menu_id, RATINGS) == "rate:12:fair"
    assert chosen("不满意", menu_id, RATINGS) == "rate:12:poor"
    assert chosen("停水了", menu_id, RATINGS) is None


def test_nothing_offered_chooses_nothing() -> None:
    """No choices on offer: a number, a label-like word or a menu id is just words."""
    assert chosen("1", "", ()) is None
    assert chosen("满意", "1", ()) is None
    assert chosen("", "", ()) is None


def test_a_message_is_keyed_by_its_msgid() -> None:
    """The same MsgId is the same message, whatever else changed between WeChat's tries."""
    message = {"FromUserName": "o_wang", "CreateTime": "1764000000", "MsgId": "24000000001"}
    assert message_key(message) == "msg:24000000001"
    assert message_key({**message, "CreateTime": "1764000005", "Content": "x"}) == message_key(
        message
    )
    assert message_key({**message, "MsgId": "24000000002"}) != message_key(message)


def test_an_event_is_keyed_by_its_sender_time_kind_and_key() -> None:
    """Events carry no MsgId: two are one when sender, time, Event and EventKey all agree."""
    subscribe = {"FromUserName": "o_wang", "CreateTime": "1764000000", "Event": "subscribe"}
    click = {**subscribe, "Event": "CLICK", "EventKey": "MY"}
    assert message_key(subscribe) == "event:o_wang:1764000000:subscribe:"
    assert message_key(click) == "event:o_wang:1764000000:CLICK:MY"
    assert message_key(dict(subscribe)) == message_key(subscribe)
    others = [
        {**subscribe, "Event": "unsubscribe"},
        {**click, "Event": "VIEW"},
        {**click, "EventKey": "HELP"},
        {**click, "FromUserName": "o_li"},
        {**click, "CreateTime": "1764000001"},
    ]
    keys = {message_key(event) for event in [subscribe, click, *others]}
    assert len(keys) == 7
    assert message_key({**subscribe, "MsgId": "  "}) == message_key(subscribe)  # blank: none


def test_a_msgid_and_an_event_never_share_a_key() -> None:
    assert message_key({"MsgId": "1"}) != message_key({"FromUserName": "1"})
    assert message_key({"MsgId": "1"}).startswith("msg:")
    assert message_key({"FromUserName": "1"}).startswith("event:")


def test_sent_at_is_create_time_in_utc() -> None:
    assert sent_at({"CreateTime": "1764000000"}) == datetime(2025, 11, 24, 16, 0, tzinfo=UTC)
    assert sent_at({"CreateTime": "0"}) == datetime(1970, 1, 1, tzinfo=UTC)


@pytest.mark.parametrize(
    "created", [None, "", "abc", "-5", "1764000000.5", " 1764000000", "²", "9" * 30]
)
def test_sent_at_is_none_without_unix_seconds(created: str | None) -> None:
    fields = {} if created is None else {"CreateTime": created}
    assert sent_at(fields) is None


def test_the_actor_is_the_sender_in_their_own_chat() -> None:
    actor = actor_of({"FromUserName": "oRES_wang", "MsgType": "text"})
    assert actor == Actor("wechat:oRES_wang", "wechat:oRES_wang", texts.WECHAT_RESIDENT)
    assert actor.in_private_chat


# apologise_to reads only the raw message: the desk, the store and the API are never touched.
RESIDENTS = WeChatResidents(cast(Desk, None), cast(Store, None), cast(WeChatApi, None))


def test_the_apology_goes_to_the_sender() -> None:
    raw = '{"ToUserName": "gh_1", "FromUserName": "oRES_wang", "MsgType": "text"}'
    assert RESIDENTS.apologise_to(raw) == "wechat:oRES_wang"


@pytest.mark.parametrize(
    "raw",
    [
        pytest.param('{"ToUserName": "gh_1", "MsgType": "text"}', id="no-sender"),
        pytest.param('{"FromUserName": ""}', id="empty-sender"),
        pytest.param('{"FromUserName": 42}', id="sender-not-text"),
        pytest.param('{"FromUserName": null}', id="sender-null"),
        pytest.param("<xml><FromUserName>oRES_wang</FromUserName></xml>", id="not-json"),
        pytest.param('{"FromUserName": "oRES_wang"', id="cut-short"),
        pytest.param("", id="empty"),
        pytest.param('["oRES_wang"]', id="a-list"),
        pytest.param('"oRES_wang"', id="a-string"),
        pytest.param("null", id="null"),
    ],
)
def test_no_apology_without_a_sender(raw: str) -> None:
    assert RESIDENTS.apologise_to(raw) is None
