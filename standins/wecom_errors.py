"""WeCom's refusals as the stand-in (:mod:`standins.wecom`) gives them: ``errcode``, ``errmsg``.

Why a table: griddesk must branch on ``errcode`` alone (Doc 90313 says so: "开发者的程序应该根据
errcode来判断出错的情况，而不应该依赖errmsg来匹配"), so the codes must be WeCom's own; the texts
only have to look like WeCom's, so that a log line read during a test reads like one from
production.

Where they come from:

- the codes and their meanings: Doc 90313 全局错误码 (the copy updated 2026-01-09 in
  ``wxkingstar/doc-hub-mcp`` ``wecom/001-企业内部开发/005-附录/003-全局错误码.md``; the same codes
  as crawled on 2024-04-08 into ``xen0n/go-workwx`` ``errcodes/mod.go``);
- the English texts marked *seen* below were read in real answers quoted in public code and
  forums (a 2026 probe of qyapi with fake credentials, SDK tests, WeCom community threads);
  the others are ours, written in the same style. A real ``errmsg`` also carries
  ``hint: [...]``, ``from ip: ...`` and a ``devtool/query?e=CODE`` link, which the stand-in
  imitates; ``40014`` was seen without them.
"""

from __future__ import annotations

from typing import Any

__all__ = ["FAULTS", "TEXTS", "WeComError"]

JsonDict = dict[str, Any]

TEXTS: dict[int, str] = {
    -1: "system busy",  # ours
    40001: "invalid credential",  # seen
    40004: "invalid media type",  # ours; 90313: 不合法的媒体文件类型
    40005: "invalid type",  # ours; 90313: 不合法的type参数
    40006: "invalid file size",  # ours; 90313: 不合法的文件大小
    40007: "invalid media_id",  # ours; 90313: 不合法的media_id参数
    40008: "invalid message type",  # seen
    40009: "invalid image size",  # ours; 90313: 上传图片大小不是有效值
    40013: "invalid corpid",  # seen
    40014: "invalid access_token",  # seen, without hint
    40032: "invalid userid list size",  # ours; 90313: 发消息接口最多指定1000人
    40056: "invalid agentid",  # seen
    40058: "invalid Request Parameter",  # seen, after the field at fault
    41001: "access_token missing",  # seen
    41002: "corpid missing",  # ours, after 41004
    41004: "corpsecret missing",  # seen
    41006: "media_id missing",  # ours; 90313: 缺少media_id参数
    41011: "agentid missing",  # ours
    42001: "access_token expired",  # seen
    42014: "taskid has existed or empty or exceed max len",  # seen (WeCom community, 2022)
    42027: "Template_Card.horizontal_content_list.keyname missing",  # ours, from 90313
    42028: "Template_Card url missing",  # ours, from 90313
    42031: "Template_Card.CardType invalid",  # ours, from 90313
    42035: "Template_Card.horizontal_content_list size invalid",  # ours, from 90313
    42038: "Template_Card.button_list.text missing or invalid",  # ours, from 90313
    42039: "Template_Card.button_list.key missing or invalid",  # ours, from 90313
    43012: "app need to set callback url",  # ours; 90313: 应用需配置回调url
    44001: "empty media data",  # ours; 90313: 多媒体文件为空
    44004: "empty content",  # seen
    45002: "content size out of limit",  # ours; 90313: 消息内容大小超过限制
    45009: "api freq out of limit",  # seen
    45033: "api concurrent out of limit",  # seen
    60140: "invalid response_code",  # ours; 90313: 无效的response_code, 可能已经过期
    81013: "user & party & tag all invalid",  # seen
    82001: "All touser & toparty & totag invalid",  # seen (second-hand, an old script)
    82002: "invalid party list size",  # ours; 90313: 发消息单次不能超过100个部门
    82003: "invalid tag list size",  # ours; 90313: 不合法的TagID列表长度
}
"""The ``errmsg`` text for each code the stand-in answers with (see the module doc)."""

FAULTS: dict[str, tuple[int, str]] = {
    "busy": (-1, TEXTS[-1]),
    "freq": (45009, TEXTS[45009]),
    "concurrent": (45033, TEXTS[45033]),
    "expired": (42001, TEXTS[42001]),
}
"""Ready-made answers for ``WeComStandIn.fail_next(path, *FAULTS[name])``: WeCom's ``-1``
(retry at most three times, Doc 90313), the two frequency refusals, and an early-expired
token ("企业微信可能会出于运营需要，提前使access_token失效", Doc 91039)."""

_MORE_INFO = "more info at https://open.work.weixin.qq.com/devtool/query?e="


class WeComError(Exception):
    """A refusal, answered with HTTP 200 and WeCom's JSON body, as WeCom answers every one.

    ``detail`` goes before the text, as WeCom writes "markdown.content exceed max length
    4096. invalid Request Parameter"; ``fields`` are extra members of the body (81013 still
    lists ``invaliduser``).
    """

    def __init__(self, code: int, detail: str = "", **fields: object) -> None:
        self.code = code
        self.text = f"{detail}. {TEXTS[code]}" if detail else TEXTS[code]
        self.fields = fields
        super().__init__(f"{code}: {self.text}")

    def body(self, hint: str) -> JsonDict:
        """The answer's JSON, with the ``hint``/``from ip``/``more info`` tail WeCom appends."""
        errmsg = self.text
        if self.code != 40014:  # seen bare in real answers
            errmsg += f", hint: [{hint}], from ip: 127.0.0.1, {_MORE_INFO}{self.code}"
        return {"errcode": self.code, "errmsg": errmsg, **self.fields}
