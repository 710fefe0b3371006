"""The WeChat side of the crash soak (``bench/crash_soak.py --wechat``, issue 14, point 5).

Residents are followers of a 公众号 instead of Telegram users. The WeChat API stand-in
(:class:`standins.wechat.WeChatStandIn`, on the real clock) runs in the driver's process and
keeps WeChat's customer-service quota; Tencent's side is a
:class:`~standins.tencent_callbacks.CallbackDriver` in safe mode (signed and encrypted) that
posts each message to the soak's round-robin balancer, which hands it to whichever instance is
up, with Tencent's retries (three tries in all, each waiting 5 s for an answer; the interval
between tries is shortened). Every instance gets ``[wechat]`` (its ``base_url`` the stand-in)
and the three secrets in its environment.

A follower's message is what WeChat does with it: the stand-in opens her window (5 sends in 48
hours), then Tencent posts it, in a task of its own, so that its retries do not hold up the
next resident. Each follower writes at most ``per_resident`` messages in the whole run, the
second one sometimes repeating the first (which the desk merges into her open task): what the
bot owes her after her last message (two answers, two claim notices) stays within her 5 sends,
so WeChat's quota is never the reason a message is not delivered. The driver may post two
messages just before a kill (:attr:`bench.crash_soak.Workload.at_kill`), so that the kill cuts
a callback short: before its commit (Tencent's retry, on the other instance, stores it) or
after it (the retry finds it stored, by its ``MsgId``, and is answered ``success`` at once).

:meth:`Followers.check` fills :class:`WeChatFigures`:

- every message some try got ``success`` for is in the inbox (committed before the answer);
  a message whose every try failed (Tencent gives up on it) may be there or not: counted, with
  how many of them were stored all the same (a kill after the commit, before the answer) and
  so handled;
- the inbox holds each message once (by ``MsgId``), every row processed; the words of each
  stored message are expected in exactly one task, which the soak's own check compares;
- every message the outbox recorded as sent to a follower reached WeChat, and no more often
  than the outbox has it, except a re-send after a kill between WeChat accepting it and the
  outbox recording it (at-least-once delivery): such a copy is listed as "re-sent after a kill";
  a second copy with no kill since the first is a bug;
- a send WeChat refused for the quota (45047, or 45015 for a closed window) is given up by the
  outbox: counted as its own figure, not as a failure (the workload is made so that it does not
  happen).
"""

from __future__ import annotations

import asyncio
import bisect
import itertools
import random
import time
from collections import Counter, defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from bot.channels import Channel, address, parse
from bot.sending import merging
from handlers.tencent.xml import XmlValue
from standins.tencent_callbacks import CallbackDriver, Delivery
from standins.wechat import WeChatStandIn

APP_ID = "wx0c0ffee0c0ffee01"
APP_SECRET = "5a4b3c2d1e0f5a4b3c2d1e0f5a4b3c2d"
CALLBACK_TOKEN = "crashSoakCallbackToken"
AES_KEY = "CrashSoakAesKey0123456789abcdefghijklmnopqr"
ACCOUNT = "gh_crashsoak0001"
"""The account's original id, which WeChat puts in ``ToUserName``."""
CALLBACK_PATH = "/wechat"
QUOTA_CODES = ("45047", "45015")
"""WeChat's refusals for the customer-service quota (spent) and window (closed)."""


def environment() -> dict[str, str]:
    """The account's secrets, as every instance gets them."""
    return {
        "GRIDDESK_WECHAT_APP_SECRET": APP_SECRET,
        "GRIDDESK_WECHAT_TOKEN": CALLBACK_TOKEN,
        "GRIDDESK_WECHAT_AES_KEY": AES_KEY,
    }


def config(base_url: str) -> str:
    """The ``[wechat]`` table of every instance: the account, its callback, the stand-in."""
    return (
        f'\n[wechat]\napp_id = "{APP_ID}"\ncallback_path = "{CALLBACK_PATH}"\n'
        f'base_url = "{base_url}"\n'
    )


@dataclass
class Message:
    """One follower's message, as Tencent delivered it (``delivery`` once it is done)."""

    openid: str
    text: str
    msg_id: int
    delivery: Delivery | None = None

    def __str__(self) -> str:
        return f"MsgId {self.msg_id} from {self.openid}: {self.text}"


@dataclass
class WeChatFigures:
    """What the WeChat side did and found; :meth:`problems` lists every broken invariant."""

    followers: int = 0
    posted: int = 0
    acknowledged: int = 0
    """Messages some try got ``success`` for."""
    after_retry: int = 0
    """Of those, how many needed a second or third try (the first reached a dying instance,
    or none was up)."""
    failed: list[str] = field(default_factory=list)
    """Messages whose every try failed: Tencent gives up on them."""
    failed_but_stored: int = 0
    """Of those, how many were committed all the same (the kill came between the commit and
    the answer) and so handled: correct, and counted."""
    odd_answers: list[str] = field(default_factory=list)
    """Answered 200 with something other than ``success``: a bug."""
    stored: int = 0
    unprocessed: int = 0
    not_stored: list[str] = field(default_factory=list)
    """Answered ``success`` but not in the inbox: lost."""
    stored_twice: list[str] = field(default_factory=list)
    sends: int = 0
    """Customer-service messages WeChat accepted for followers."""
    most_to_one: int = 0
    """The most messages WeChat accepted for one follower (5 per message she wrote at most)."""
    busiest: list[str] = field(default_factory=list)
    """What that follower was sent (first lines), shown when it is 5 or more."""
    resent: list[str] = field(default_factory=list)
    """A message to a follower that reached WeChat again after a kill: at-least-once."""
    doubled: list[str] = field(default_factory=list)
    """A message to a follower that reached WeChat again with no kill between: a bug."""
    unrecorded: list[str] = field(default_factory=list)
    """Accepted by WeChat, but no sent outbox row says so: a bug."""
    undelivered: list[str] = field(default_factory=list)
    """Recorded as sent by the outbox, but WeChat never accepted it: a bug."""
    quota_refused: list[str] = field(default_factory=list)
    """Sends the outbox gave up because WeChat refused them for the quota (45047/45015)."""

    def problems(self) -> list[str]:
        found = [f"WeChat: answered success but not stored: {x}" for x in self.not_stored]
        found += [f"WeChat: stored twice: {x}" for x in self.stored_twice]
        found += [f"WeChat: odd answer: {x}" for x in self.odd_answers]
        found += [f"WeChat: sent again with no kill between: {x}" for x in self.doubled]
        found += [f"WeChat: accepted but not recorded as sent: {x}" for x in self.unrecorded]
        found += [f"WeChat: recorded as sent, never accepted: {x}" for x in self.undelivered]
        if self.unprocessed:
            found.append(f"WeChat: {self.unprocessed} stored messages never processed")
        return found

    def report(self) -> list[str]:
        return [
            f"WeChat: {self.followers} followers, messages posted: {self.posted}, answered "
            f"success: {self.acknowledged} ({self.after_retry} of them after a retry), every try "
            f"failed: {len(self.failed)} ({self.failed_but_stored} of them stored all the same, "
            f"so handled)",
            f"WeChat inbox: {self.stored} messages stored, {len(self.stored_twice)} twice, "
            f"{self.unprocessed} unprocessed, success without a commit: {len(self.not_stored)}",
            f"WeChat sends to followers: {self.sends} (at most {self.most_to_one} to one), "
            f"duplicates: {len(self.resent) + len(self.doubled)} ({len(self.resent)} re-sent "
            f"after a kill, {len(self.doubled)} with no kill between), refused for the quota "
            f"(given up, 45047/45015): {len(self.quota_refused)}",
        ]

    def details(self) -> list[str]:
        return [
            *(f"  every try failed: {x}" for x in self.failed),
            *(f"  re-sent to a follower after a kill: {x}" for x in self.resent),
            *(f"  refused for the quota: {x}" for x in self.quota_refused),
            *(
                f"  sent to the busiest follower: {x}"
                for x in self.busiest
                if self.most_to_one >= 5
            ),
        ]


class Followers:
    """The residents on WeChat: who writes what, Tencent's calls, and what came of them."""

    def __init__(
        self,
        wx: WeChatStandIn,
        tencent: CallbackDriver,
        *,
        per_resident: int,
        repeat: float,
    ) -> None:
        self.wx, self.tencent = wx, tencent
        self.per_resident, self.repeat = per_resident, repeat
        self.written: dict[str, list[str]] = {}
        """Each follower's planned messages, in order."""
        self.messages: list[Message] = []
        self.marks: list[int] = []
        """The stand-in's delivered count at each SIGKILL: messages from that index on were
        sent after it."""
        self._ids = itertools.count(24_000_000_001)
        self._posts: set[asyncio.Task[None]] = set()

    def plan(self, rng: random.Random, pool: Sequence[str]) -> tuple[str, str]:
        """Who writes next and what: a follower with messages left, or a new one (who followed
        long ago); a second message sometimes repeats the first."""
        writers = [o for o, said in self.written.items() if len(said) < self.per_resident]
        if writers and rng.random() < 0.5:
            openid = rng.choice(writers)
        else:
            openid = f"oCrashSoak{len(self.written) + 1:05d}"
            self.wx.subscribe(openid, long_ago=True)
            self.written[openid] = []
        said = self.written[openid]
        text = said[-1] if said and rng.random() < self.repeat else rng.choice(pool)
        said.append(text)
        return openid, text

    def write(self, openid: str, text: str) -> None:
        """``openid`` writes ``text``: her window opens, and Tencent posts it (in the
        background, retrying as Tencent does)."""
        self.wx.user_message(openid)
        message = Message(openid, text, next(self._ids))
        self.messages.append(message)
        post = asyncio.create_task(self._post(message))
        self._posts.add(post)
        post.add_done_callback(self._posts.discard)

    async def _post(self, message: Message) -> None:
        fields: dict[str, XmlValue] = {
            "ToUserName": ACCOUNT,
            "FromUserName": message.openid,
            "CreateTime": int(time.time()),
            "MsgType": "text",
            "Content": message.text,
            "MsgId": message.msg_id,
        }
        message.delivery = await self.tencent.post(fields)

    @property
    def busy(self) -> bool:
        """Whether Tencent is still posting (or waiting to retry) a message."""
        return bool(self._posts)

    def kill(self) -> None:
        """Mark a SIGKILL in the stand-in's log of sends (once what the dead bot had sent
        before it was handled, :meth:`bench.crash_soak._Driver.kill`)."""
        self.marks.append(len(self.wx.delivered))

    def check(
        self,
        figures: WeChatFigures,
        inbox: Sequence[tuple[str, bool]],
        outbox: Sequence[tuple[str, str, str, str]],
    ) -> Counter[tuple[str, str]]:
        """Fill ``figures`` from Tencent's deliveries, the inbox's WeChat rows (key, processed),
        the outbox rows to followers (chat, text, status, last error) and the stand-in;
        the stored messages' (resident, words), each of which should be in one task."""
        figures.followers, figures.posted = len(self.written), len(self.messages)
        keys = Counter(key for key, _ in inbox)
        figures.stored_twice = sorted(key for key, count in keys.items() if count > 1)
        figures.stored, figures.unprocessed = len(keys), sum(not done for _, done in inbox)
        stored: Counter[tuple[str, str]] = Counter()
        for message in self.messages:
            delivery = message.delivery
            in_inbox = f"msg:{message.msg_id}" in keys
            if in_inbox:  # a processed row's raw fields are erased: known by its MsgId
                stored[address(Channel.WECHAT, message.openid), message.text.strip()] += 1
            if delivery is None or delivery.outcome == "failed":
                tries = (
                    [a.error or f"{a.status} {a.body}" for a in delivery.attempts]
                    if delivery
                    else []
                )
                figures.failed.append(f"{message} (tries: {tries})")
                figures.failed_but_stored += in_inbox
            elif delivery.outcome == "success":
                figures.acknowledged += 1
                figures.after_retry += len(delivery.attempts) > 1
                if not in_inbox:
                    figures.not_stored.append(str(message))
            else:
                figures.odd_answers.append(f"{message}: {delivery.outcome} {delivery.problem}")
        self._check_sends(figures, outbox)
        return stored

    def _check_sends(
        self, figures: WeChatFigures, outbox: Sequence[tuple[str, str, str, str]]
    ) -> None:
        """Each message the outbox sent to a follower reached WeChat as often as the outbox
        has it, plus re-sends after kills."""
        recorded: dict[str, Counter[str]] = defaultdict(Counter)
        for chat, text, status, error in outbox:
            openid = parse(chat)[1]
            if status == "sent":
                recorded[openid][text] += 1
            elif status == "failed" and any(code in error for code in QUOTA_CODES):
                figures.quota_refused.append(f"to {openid}: {text[:40]}… ({error})")
        delivered = self.wx.delivered
        figures.sends = len(delivered)
        per_follower = Counter(sent.openid for sent in delivered)
        if per_follower:
            busiest, figures.most_to_one = per_follower.most_common(1)[0]
            figures.busiest = [
                f"to {busiest} at send {i}: {sent.content.splitlines()[0][:40]}"
                for i, sent in enumerate(delivered)
                if sent.openid == busiest
            ]
        copies: dict[tuple[str, str], list[int]] = defaultdict(list)
        for i, sent in enumerate(delivered):
            sources = _recorded_texts(sent.content, recorded[sent.openid])
            if not sources:
                figures.unrecorded.append(f"to {sent.openid} at send {i}: {sent.content[:60]}")
            for source in sources:
                copies[sent.openid, source].append(i)
        for openid, texts_sent in sorted(recorded.items()):
            for text, count in sorted(texts_sent.items()):
                at = copies.get((openid, text), [])
                where = f"to {openid} at sends {at}: {text.splitlines()[0][:40]}"
                if len(at) < count:
                    figures.undelivered.append(f"{count - len(at)}× {where}")
                extra = len(at) - count
                if extra <= 0:
                    continue
                after_kill = sum(_between(self.marks, a, b) for a, b in itertools.pairwise(at))
                figures.resent += [where] * min(extra, after_kill)
                figures.doubled += [where] * max(0, extra - after_kill)


def _recorded_texts(content: str, recorded: Mapping[str, int]) -> list[str]:
    """The outbox texts a message WeChat accepted was sent from, in order: one, or several
    merged (:mod:`bot.sending.merging`, blank lines between); each the longest recorded text
    the rest starts with (choices are added below the last one). None found: empty."""
    found: list[str] = []
    rest = content
    while rest:
        starts = [text for text in recorded if text and rest.startswith(text)]
        if not starts:
            break
        text = max(starts, key=len)
        found.append(text)
        rest = rest[len(text) :]
        if not rest.startswith(merging.SEPARATOR):
            break
        rest = rest[len(merging.SEPARATOR) :]
    return found


def _between(marks: Sequence[int], first: int, then: int) -> bool:
    """Whether a kill (its mark) fell after send ``first`` and by send ``then``."""
    return bisect.bisect_right(marks, first) < bisect.bisect_right(marks, then)
