"""The client of WeCom's server API (``https://qyapi.weixin.qq.com``) for one self-built app.

What griddesk says to a grid worker on WeCom goes out here, from the app (自建应用) to the
worker's conversation with it: texts, and ``button_interaction`` template cards (a task with its
认领 button), which are later changed for every recipient at once with
``message/update_template_card`` and ``atall`` ("已被张三认领"). Why this API and not a group
robot or an AI bot, and what each endpoint takes and answers: ``docs/research/wecom.md``.
``base_url`` is the seam where tests and ``griddesk shell`` plug in the stand-in
(:mod:`standins.wecom`).

A photo goes as an image message, which names a temporary media (临时素材) uploaded first
(:meth:`WeComApi.upload_image`: ``POST /cgi-bin/media/upload?type=image``, multipart/form-data
with the file in a part named ``media``, Doc 90253). WeCom takes JPG and PNG of 6 bytes to
10 MB (Doc 91054) and answers a ``media_id`` good for three days; an image message with one it
does not know, of another type or expired is 40007 (Doc 90313).

Recipients are UserIDs (no channel prefix), joined with ``|``; WeCom takes at most 1000 in a
call. A text to more is sent in several calls, their answers merged. A card to more is refused
with :class:`ValueError`: a card's ``task_id`` is unique per app for ever, and one send's
``response_code`` updates only that send's recipients, so each thousand would be a card of its
own for the caller to keep track of. Members WeCom did not deliver to (unknown, outside the
app's visible range) come back in the answer: the others still got the message. Each card send
and each press hands out a ``response_code``, good for one update within 72 hours.

WeCom answers HTTP 200 with ``{"errcode": N, "errmsg": "…"}``; the message text changes (a
``hint: […], from ip: …`` is appended), and Doc 90313 asks for codes to be read, never texts.
Each is turned into what it means for the caller, in :mod:`bot.errors` terms::

    bot.errors.RetryLater
    └── Throttled          45009 a call limit: the app's daily quota (members × 200 a Beijing
                           day, blocked until midnight) or an API frequency limit; wait until
                           the next Beijing midnight or an hour, whichever is sooner.
                           45033 too many calls at once: wait a few seconds
    bot.errors.TransientDeliveryError     -1 (system busy); no answer, a timeout, an HTTP
    │                                     status other than 200 or anything that is not
    │                                     WeCom's JSON
    └── AccessRefused      WeCom refuses this server the app's API: a wrong secret (40001) or
                           corpid (40013), a missing one (41002, 41004), an IP not on the
                           app's 企业可信IP (60020), an agentid not this app's (40056), or a
                           token fetched a moment ago refused too; nothing is wrong with the
                           message, it waits for an operator
    bot.errors.ChatUnreachable
    └── NobodyToReach      81013, 82001: not one recipient can be reached (all unknown or
                           outside the app's visible range)
    bot.errors.Undeliverable
    ├── CardExpired        60140 on update_template_card: the response_code was used already
    │                      or is older than 72 h; send a fresh card instead
    └── Refused            any other code: the request itself is wrong (40058 a field, 42014
                           a task_id used before, 43012 no callback URL set for the app, 44004
                           empty content, 45002 too long …); for media, the file refused
                           (40004 not JPG/PNG, 40006 too small, 40009 too big, 44001 none
                           found, 45001 too big) or the media_id (40007 unknown or expired)

A token WeCom refuses as unknown or expired (40014, 42001) is replaced once through the
:class:`~handlers.tencent.tokens.TokenKeeper` (shared by every instance, in the database, under
``wecom:<corpid>:<agentid>``) and the call made again; refused again, the call raises
:class:`AccessRefused` rather than fetching for ever. WeCom's ``gettoken`` has no forced
refresh: it hands out the current token until that expires or WeCom revokes it, so the
keeper's ``force`` is ignored.

JSON bodies go out as UTF-8 with Chinese unescaped (``ensure_ascii=False``). The access token
travels in the URL, and ``gettoken``'s URL carries the secret, so nothing here logs or raises a
URL: errors name the path, and an HTTP library's error text is stripped of token and secret.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, time, timedelta, timezone
from typing import Any

import aiohttp

from bot.errors import (
    ChatUnreachable,
    TransientDeliveryError,
)
from bot.ports import Store
from handlers.tencent.client import (
    AccessRefused,
    JsonDict,
    PlatformRefused,
    StaleToken,
    TencentClient,
    Throttled,
    said,
)
from handlers.tencent.tokens import TokenKeeper, utc_now

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://qyapi.weixin.qq.com"
TOKEN_MARGIN = timedelta(seconds=30)
"""A token is replaced this long before it expires: ``gettoken`` hands out the same token
until then, so a longer margin would only fetch it again on every call (a call that meets the
expiry in flight is refused with 42001, and the token refreshed once)."""

GETTOKEN = "/cgi-bin/gettoken"
MEDIA_UPLOAD = "/cgi-bin/media/upload"
MESSAGE_SEND = "/cgi-bin/message/send"
UPDATE_CARD = "/cgi-bin/message/update_template_card"

MAX_USERS = 1000
"""Recipients in one ``message/send`` (Doc 90236; more is 40032)."""
MEDIA_FIELD = "media"
"""The form field an upload's file travels in ("文件标识名为"media"", Doc 90253)."""
MAX_TEXT_BYTES = 2048
"""WeCom cuts a text beyond this many bytes of UTF-8 without a word (Doc 90236): keep it shorter."""

BEIJING = timezone(timedelta(hours=8), "Asia/Shanghai")
QUOTA_WAIT = 3600.0
"""The longest wait on 45009. The app's daily quota is blocked until the Beijing midnight
("按天拦截则被屏蔽一天（自然天）", Doc 90312), but the per-minute and per-hour API limits of the
same page answer 45009 too, and a day's wait on those would hold a task back for nothing; an
hour costs a daily-blocked app one refused call per message an hour."""
MIDNIGHT_SLACK = 60.0
"""Seconds past the Beijing midnight before trying again: WeCom's clock and ours may differ."""
CONCURRENCY_WAIT = 5.0
"""Seconds to wait on 45033 (too many calls at once for the corp)."""

_STALE_TOKEN = frozenset({40014, 42001})
_ACCESS = frozenset({40001, 40013, 40056, 41002, 41004, 60020})
"""Codes that refuse the app or this server, not the call: the corpid, the secret or the
agentid wrong or missing, an IP not on the app's 企业可信IP."""
_NOBODY = frozenset({81013, 82001})


@dataclass(frozen=True)
class SentCard:
    """What WeCom answered to a card sent: the code for its next update, and who did not get it.

    ``response_code`` is good for one :meth:`WeComApi.update_card` within 72 hours (each press
    on the card hands out another); it is empty if WeCom answered none, which it does for
    button, vote and multiple-choice cards only: that card went out, but only a press's code
    can change it. ``invalid_users`` are the recipients WeCom did not deliver to (unknown, or
    outside the app's visible range), spelled as the caller spelled them.
    """

    response_code: str
    invalid_users: tuple[str, ...]


class NobodyToReach(ChatUnreachable):
    """81013 or 82001: every recipient is unknown or outside the app's visible range; once the
    app may see them again, what was lost can be sent again."""


class CardExpired(PlatformRefused):
    """60140 on an update: the ``response_code`` was used already or is older than 72 hours,
    so this card cannot be changed any more; send a fresh card instead."""

    platform = "WeCom"


class Refused(PlatformRefused):
    """WeCom refuses the request itself (a field, a task_id used before, the app's settings):
    sending it again as it is would be refused again."""

    platform = "WeCom"


class WeComApi(TencentClient):
    """One self-built app's API, over one HTTP session opened by ``async with``.

    ``store`` keeps the access token all instances share (:class:`TokenKeeper`, as
    :attr:`tokens`); ``clock`` is the keeper's, to judge the token's expiry, and says when the
    Beijing day ends for :class:`Throttled`; ``instance`` names this process in the stored
    token's ``fetched_by``. ``timeout``: seconds for a whole call.
    """

    platform = "WeCom"

    def __init__(
        self,
        corp_id: str,
        secret: str,
        agent_id: int,
        store: Store,
        *,
        base_url: str = DEFAULT_BASE_URL,
        timeout: float = 10.0,
        clock: Callable[[], datetime] = utc_now,
        instance: str | None = None,
    ) -> None:
        super().__init__(secret=secret, base_url=base_url, timeout=timeout)
        self._corp_id = corp_id
        self._agent_id = agent_id
        self._clock = clock
        self.tokens = TokenKeeper(
            store,
            f"wecom:{corp_id}:{agent_id}",
            self._fetch_token,
            clock=clock,
            instance=instance,
            margin=TOKEN_MARGIN,
        )

    def __repr__(self) -> str:
        return (
            f"WeComApi(corp_id={self._corp_id!r}, agent_id={self._agent_id!r}, "
            f"base_url={self._base_url!r})"
        )

    # ---- messages -----------------------------------------------------------------------------

    async def send_text(self, users: Sequence[str], text: str) -> tuple[str, ...]:
        """A text message to each of ``users``; the ones WeCom did not deliver to.

        More than :data:`MAX_USERS` go in several calls, one after the other; if one of them
        fails, the ones before it were delivered and sending again repeats them.
        :class:`NobodyToReach` when not one of them could be reached.
        """
        recipients = _recipients(users)
        body: JsonDict = {"msgtype": "text", "text": {"content": text}}
        invalid: list[str] = []
        nobody: NobodyToReach | None = None
        reached = False
        for start in range(0, len(recipients), MAX_USERS):
            chunk = recipients[start : start + MAX_USERS]
            try:
                answer = await self._send(chunk, body)
            except NobodyToReach as unreached:
                nobody = unreached
                invalid += chunk
                continue
            reached = True
            invalid += _invalid_users(answer, chunk)
        if not reached and nobody is not None:
            raise nobody
        return tuple(invalid)

    async def send_card(self, users: Sequence[str], card: Mapping[str, Any]) -> SentCard:
        """A template card to each of ``users`` (at most :data:`MAX_USERS`): ``card`` is the
        ``template_card`` object (``card_type``, a ``task_id`` new to this app, ``main_title``,
        ``button_list`` …). A retry after an answer lost on the way may meet 42014
        (:class:`Refused`): the first try went out."""
        recipients = _recipients(users)
        if len(recipients) > MAX_USERS:
            raise ValueError(
                f"a card goes to at most {MAX_USERS} members in one send, not "
                f"{len(recipients)}: more would need several sends, each with a task_id of its "
                "own and its own response_code to update it, so send one card per thousand"
            )
        body: JsonDict = {"msgtype": "template_card", "template_card": dict(card)}
        answer = await self._send(recipients, body)
        code = answer.get("response_code")
        if not isinstance(code, str) or not code:
            log.warning("WeCom %s answered no response_code: the card cannot be updated until "
                        "someone presses it", MESSAGE_SEND)  # fmt: skip
            code = ""
        return SentCard(code, _invalid_users(answer, recipients))

    async def upload_image(self, content: bytes, filename: str, content_type: str) -> str:
        """Upload ``content`` as a temporary image (JPG or PNG, 6 bytes to 10 MB); the
        ``media_id`` an image message names it by, good for three days (Doc 90253).
        :class:`Refused` when WeCom will not take the file."""

        async def call(token: str) -> JsonDict:
            form = aiohttp.FormData()  # one per request: aiohttp consumes it when it is sent
            file = io.BytesIO(content)  # raw bytes over 1 MB would make aiohttp warn
            form.add_field(MEDIA_FIELD, file, filename=filename, content_type=content_type)
            query = {"access_token": token, "type": "image"}
            answer = await self._http(
                "POST", MEDIA_UPLOAD, query, body=None, read=self._json_answer, form=form
            )
            _check(MEDIA_UPLOAD, answer, self._clock)
            return answer

        answer = await self._with_token(call)
        media_id = answer.get("media_id")
        if not isinstance(media_id, str) or not media_id:
            raise TransientDeliveryError(f"WeCom {MEDIA_UPLOAD} answered no media_id")
        return media_id

    async def send_image(self, users: Sequence[str], media_id: str) -> tuple[str, ...]:
        """The image uploaded as ``media_id`` to each of ``users`` (at most :data:`MAX_USERS`,
        as for a card it goes with); the ones WeCom did not deliver to. :class:`Refused`
        (40007) when WeCom does not know the media_id, or it expired."""
        recipients = _recipients(users)
        if len(recipients) > MAX_USERS:
            raise ValueError(f"an image goes to at most {MAX_USERS} members in one send")
        body: JsonDict = {"msgtype": "image", "image": {"media_id": media_id}}
        return _invalid_users(await self._send(recipients, body), recipients)

    async def update_card(self, response_code: str, card: Mapping[str, Any]) -> tuple[str, ...]:
        """Replace, for every recipient (``atall``), the card ``response_code`` belongs to with
        ``card`` (the whole new ``template_card``); the userids WeCom did not update, as WeCom
        spells them (lower-cased). :class:`CardExpired` when the code was used or is older
        than 72 hours."""
        body: JsonDict = {
            "agentid": self._agent_id,
            "response_code": response_code,
            "atall": 1,
            "template_card": dict(card),
        }
        answer = await self._post(UPDATE_CARD, body)
        return _invalid_users(answer, ())

    async def _send(self, recipients: Sequence[str], message: JsonDict) -> JsonDict:
        body: JsonDict = {"touser": "|".join(recipients), "agentid": self._agent_id, **message}
        return await self._post(MESSAGE_SEND, body)

    # ---- the wire -----------------------------------------------------------------------------

    async def _post(self, path: str, body: JsonDict) -> JsonDict:
        """POST ``body`` with the shared token; WeCom's answer, its errcode 0."""

        async def call(token: str) -> JsonDict:
            answer = await self._json("POST", path, {"access_token": token}, body=body)
            _check(path, answer, self._clock)
            return answer

        return await self._with_token(call)

    async def _fetch_token(self, force: bool) -> tuple[str, int]:
        """``gettoken`` (the :class:`TokenKeeper`'s fetch): the token and its seconds.

        ``force`` is ignored: WeCom has no forced refresh, and hands out a new token once the
        current one expired or was revoked, which is when the keeper asks."""
        query = {"corpid": self._corp_id, "corpsecret": self._secret}
        answer = await self._json("GET", GETTOKEN, query, body=None)
        try:
            _check(GETTOKEN, answer, self._clock)
        except StaleToken as refused:  # here it can only mean the credentials
            raise AccessRefused(str(refused)) from None
        token, expires_in = answer.get("access_token"), answer.get("expires_in")
        if not isinstance(token, str) or not token or not isinstance(expires_in, int):
            raise TransientDeliveryError(f"WeCom {GETTOKEN} answered no token")
        return token, expires_in


def _check(path: str, answer: Mapping[str, Any], clock: Callable[[], datetime]) -> None:
    """Return when WeCom says ok (``errcode`` 0 or absent); else raise what the code means."""
    errcode = answer.get("errcode", 0)
    if errcode == 0:
        return
    errmsg = str(answer.get("errmsg", ""))
    if not isinstance(errcode, int) or isinstance(errcode, bool):
        raise TransientDeliveryError(f"WeCom {path} answered errcode {errcode!r}")
    if errcode in _STALE_TOKEN:
        raise StaleToken("WeCom", path, errcode)
    meaning = said("WeCom", path, errcode, errmsg)
    if errcode == -1:
        raise TransientDeliveryError(meaning)
    if errcode == 45009:
        raise Throttled(_until_quota_resets(clock()), meaning)
    if errcode == 45033:
        raise Throttled(CONCURRENCY_WAIT, meaning)
    if errcode in _ACCESS:
        raise AccessRefused(meaning)
    if errcode in _NOBODY:
        raise NobodyToReach(meaning)
    if errcode == 60140 and path == UPDATE_CARD:
        raise CardExpired(path, errcode, errmsg)
    raise Refused(path, errcode, errmsg)


def _until_quota_resets(now: datetime) -> float:
    """Seconds to wait on 45009: until just past the next Beijing midnight, at most
    :data:`QUOTA_WAIT`."""
    today = now.astimezone(BEIJING).date()
    midnight = datetime.combine(today + timedelta(days=1), time(), BEIJING)
    return min((midnight - now).total_seconds() + MIDNIGHT_SLACK, QUOTA_WAIT)


def _recipients(users: Sequence[str]) -> list[str]:
    """``users`` once each (WeCom ignores a UserID's case), checked to be UserIDs: a ``|``
    would smuggle in more recipients, ``@all`` would reach the whole visible range."""
    if isinstance(users, str):
        raise TypeError("users is a sequence of UserIDs, not one string")
    seen: dict[str, str] = {}
    for user in users:
        if not user or "|" in user or user.lower() == "@all" or user != user.strip():
            raise ValueError(f"not a WeCom UserID: {user!r}")
        seen.setdefault(user.lower(), user)
    if not seen:
        raise ValueError("a message needs at least one recipient")
    return list(seen.values())


def _invalid_users(answer: Mapping[str, Any], asked: Iterable[str]) -> tuple[str, ...]:
    """The recipients an answer says were not delivered to: ``invaliduser`` (a ``"a|b"``
    string from ``message/send``, a list from ``update_template_card``) and ``unlicenseduser``
    (members without an API licence, not modelled by the stand-in). WeCom lower-cases them;
    they are given back as spelled in ``asked`` where they were in it."""
    spelled = {user.lower(): user for user in asked}
    found: dict[str, str] = {}
    for field in ("invaliduser", "unlicenseduser"):
        value = answer.get(field)
        if isinstance(value, str):
            ids = value.split("|")
        elif isinstance(value, list):
            ids = [str(item) for item in value]
        else:
            continue
        for userid in (part.strip() for part in ids):
            if userid:
                found.setdefault(userid.lower(), spelled.get(userid.lower(), userid))
    return tuple(found.values())
