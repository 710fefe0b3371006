"""Crash and restart: SIGKILL bots at random moments while residents write and workers claim.

    python bench/crash_soak.py --kills 200 [--seed N] [--engine sqlite|postgresql]
                               [--instances 3] [--webhook] [--burst] [--wechat]

Issue 5, point 2, and issue 13, point 7. The Bot API stand-in runs in this process; the bots
run as child processes, ``griddesk run`` (the production entry point), on one database that
outlives every crash: one bot, or with ``--instances`` two or three at once, as a city runs them
(DESIGN.md §9). With ``--webhook`` Telegram POSTs each update through a round-robin load
balancer (:class:`standins.balancer.RoundRobin`) to whichever instance is up; otherwise the
instances take turns to long-poll (one at a time, by a lease in the database). A seeded
``random.Random(seed)`` plans the run: for each life, which instance dies, whether it dies during
start-up or once it runs, which residents then write which complaints at which intervals, and how
long after the last of them it is killed with SIGKILL (never a polite stop: no ``finally`` runs,
transactions are cut, leases are not released); the killed instance is started again at once.
Workers press 认领 on the task cards as they appear, sometimes two of them at once (a double
claim). After the last kill every instance is left to settle: the driver polls the stand-in and
the database until every update is confirmed and processed, every card was pressed as planned
and the outbox is empty, then stops the bots with SIGTERM and checks what happened:

- every resident message the stand-in accepted is in exactly one task (resident and text): a
  task of its own, or its sender's open task that it repeats (the desk merges repeats);
- no task card was posted twice to a group silently (``sendMessage``/``sendPhoto`` calls
  carrying the card of one task number to one chat; edits do not count). Telegram has no
  idempotency key, so a kill between Telegram accepting a card and the outbox recording it sends
  the card again later (at-least-once delivery, see :mod:`bot.sending.outbox`): such a re-send is
  listed as "re-sent after a kill" and must open with the note that it stands in for an earlier
  copy (the earlier post stays in the group until someone presses it, which takes it down). A
  re-send without the note, or a second post with no kill since the first (the outbox lease is
  fenced: a live sender's row is never sent by another), are bugs. A first post carrying the
  note is counted: its sender died after the request was written, before Telegram read it;
- every outbox row was sent (none pending, none given up) and every stored update processed;
- a pressed task has exactly one claim, by one of the workers who pressed it;
- the bots' logs hold no ERROR line, and every last bot stops cleanly.

With ``--wechat`` (issue 14, point 5) the residents are followers of a WeChat Official Account
instead (:mod:`bench.crash_wechat`): the WeChat API stand-in runs in this process, every
instance has ``[wechat]`` and its own ``[http] listen``, and Tencent's signed, encrypted
callbacks reach whichever instance is up through the balancer, each tried three times in all
(1 s apart instead of Tencent's 5) when not answered ``success``; in half the lives two more
messages arrive just as the kill comes, so that it often cuts a callback short. The workers
stay on Telegram, and a life no longer waits for a poller after a kill (the residents' messages
reach any instance that is up; the presses wait for the next poller).
Then a message some try got ``success`` for must be in exactly one task (or merged), as above;
one whose every try failed may be or not (Tencent gives up on it; it is handled if the commit
came before the kill), and such messages are counted apart. What the bot sent to a follower
must have reached WeChat as often as the outbox recorded it, a copy more only after a kill
(re-sent, listed as such); a send WeChat refused for its quota (5 in 48 hours per message the
resident wrote) would be given up and is counted apart, but no follower writes more than twice
in a run, so that what the bot owes her fits her quota. Quiet hours are switched off, so that
every notice goes out whatever the time of day.

When the instance that sends dies, another takes the outbox lease within about 4 s; when the
one that polls dies, another polls within the poll lease's 10 s (``handlers.telegram.polling``;
``Workload.poll_lease`` sets it shorter).
Messages are paced below Telegram's 20 a minute per group, which ``griddesk run`` respects, so
that the backlog stays bounded.

The repeatable test is tests/test_crash_restart.py; this module is its driver. Only 127.0.0.1
is contacted (the stand-ins, the balancer, and PostgreSQL with ``--engine postgresql``).
"""

from __future__ import annotations

import argparse
import asyncio
import bisect
import contextlib
import csv
import itertools
import logging
import os
import random
import re
import secrets
import shutil
import signal
import sys
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402  (after the path insert, as in bench/followup_tick.py)
from sqlalchemy import text  # noqa: E402
from sqlalchemy.exc import DBAPIError  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine  # noqa: E402

from bench import crash_wechat  # noqa: E402
from bench.crash_wechat import Followers, WeChatFigures  # noqa: E402
from bot import texts  # noqa: E402
from bot.channels import telegram, telegram_id  # noqa: E402
from bot.config.org import Org  # noqa: E402
from bot.config.settings import ClassifierSettings, load_settings  # noqa: E402
from bot.domain import UnitKind  # noqa: E402
from bot.language import Language, build_language  # noqa: E402
from standins.balancer import RoundRobin, free_port  # noqa: E402
from standins.telegram import BotApiStandIn, BotMessage, Call, User  # noqa: E402
from standins.tencent_callbacks import CallbackDriver  # noqa: E402
from standins.wechat import WeChatStandIn  # noqa: E402
from storage.engine import async_url  # noqa: E402

EXAMPLE = ROOT / "config.example.toml"
DEV_SET = ROOT / "tests" / "data" / "dev.csv"
GRIDDESK = Path(sys.executable).parent / "griddesk"
TOKEN = "777000:CRASH-SOAK"
WEBHOOK_SECRET = "crash-soak_webhook-secret"
PG_SERVER = "postgresql://postgres@127.0.0.1:5432"

_CARD = re.compile(
    rf"^(?:{re.escape(texts.CARD_REPOSTED)})?(?:📋|🔴【紧急】)(?:工单|咨询) (\d{{8}}-\d{{4}})｜"
)
"""A task card as posted: its number; a card posted again after a kill starts with a note."""
_REPEAT = "\n" + texts.ADDED_LINE.format(text="")
"""What joins a repeat's words to its task's text (:meth:`bot.desk.filing.Filing.add_to`)."""
_NAMES = (
    "王阿姨",
    "李大爷",
    "张奶奶",
    "刘师傅",
    "陈老师",
    "赵大姐",
    "孙叔",
    "周阿姨",
    "吴大爷",
    "郑姐",
)
_PROBLEMS = (
    "停水了",
    "又停水了，一滴都没有",
    "水压太小，楼上用不了水",
    "暖气不热，家里才十几度",
    "暖气片冰凉，老人冻得受不了",
    "楼道灯不亮了，晚上黑咕隆咚的",
    "门口路灯坏了好几天了",
    "下水道堵了，污水往外冒",
    "电梯坏了，老人上不去楼",
    "门口垃圾堆了好几天没人清运",
    "停电了，啥时候能来电",
    "楼下井盖丢了，太危险了",
    "消防通道让车堵死了",
    "楼顶有人私搭乱建",
    "楼下饭馆油烟太大，窗户都不敢开",
    "单元门坏了关不上",
)


@dataclass(frozen=True)
class Workload:
    """What the driver does; every random choice comes from ``random.Random(seed)``."""

    kills: int = 5
    seed: int = 1
    residents: int = 12
    messages: tuple[int, int] = (3, 8)
    """How many messages residents send in one bot's life (least, most)."""
    gap: tuple[float, float] = (0.05, 0.45)
    """Seconds between two resident messages."""
    tail: tuple[float, float] = (0.0, 0.6)
    """Seconds from a life's last message to the kill: often while that message is handled."""
    starting: float = 0.25
    """The chance that a bot is killed during start-up (its messages sent right after spawn);
    otherwise its messages are sent once it polls, so the kill hits a working bot."""
    press: float = 0.7
    """The chance that a card is claimed."""
    race: float = 0.35
    """The chance that a second member presses 认领 too, at the same moment."""
    settle: float = 120.0
    """Seconds the bots get to finish after the last kill."""
    poll_lease: int = 10
    """The bots' ``[telegram] poll_lease``: how long a killed poller keeps the others (and its
    own restart) from polling; 10 s is the default a deployment runs with."""
    instances: int = 1
    """How many bots run at once on the database; one of them is killed in each life."""
    webhook: bool = False
    """Updates arrive by webhook through a load balancer, instead of long polling."""
    wechat: bool = False
    """Residents are WeChat followers, their messages Tencent's callbacks through a load
    balancer (:mod:`bench.crash_wechat`); ``residents`` is then not used."""
    per_resident: int = 2
    """WeChat: the most messages one follower writes in the run (her quota is 5 sends per
    message she writes: two answers and two claim notices fit)."""
    repeat: float = 0.3
    """WeChat: the chance that a follower's next message repeats her last (a merge)."""
    retry_interval: float = 1.0
    """WeChat: seconds between Tencent's tries of an unanswered callback (Tencent's: 5)."""
    at_kill: float = 0.5
    """WeChat: the chance that two more messages are posted just as the kill comes (0-20 ms
    before it; the balancer hands one to each of two instances), so that the kill often cuts a
    callback short and Tencent tries it again."""


@dataclass
class Figures:
    """What a run did and what it found; :meth:`problems` lists every broken invariant."""

    engine: str
    seed: int
    instances: int = 1
    mode: str = "polling"
    kills: int = 0
    killed_starting: int = 0
    """Kills that hit a bot before it said it was running (during start-up)."""
    messages: int = 0
    tasks: int = 0
    merged: int = 0
    """Messages added to their sender's open task as a repeat of it (the desk's merge window:
    a resident who sends the same complaint twice gets one task with both)."""
    lost: list[str] = field(default_factory=list)
    duplicate_tasks: list[str] = field(default_factory=list)
    cards_posted: int = 0
    resent_cards: list[str] = field(default_factory=list)
    """A card posted again after a kill: the at-least-once window."""
    unmarked_resends: list[str] = field(default_factory=list)
    """A card posted again without the note that it stands in for an earlier copy: a bug."""
    duplicate_cards: list[str] = field(default_factory=list)
    """A card posted again with no kill since its last post: a bug."""
    noted_first_posts: list[str] = field(default_factory=list)
    """A card's first post carrying the note: its sender was killed after writing the request
    and before Telegram read it (or Telegram never got it); allowed, and counted."""
    still_doubled: list[str] = field(default_factory=list)
    """A re-sent card whose old copy is still in the group at the end (nobody pressed it, so
    the bot had no cue to take it down)."""
    tasks_without_card: list[str] = field(default_factory=list)
    outbox: dict[str, int] = field(default_factory=dict)
    unprocessed_updates: int = 0
    pressed_tasks: int = 0
    presses: int = 0
    double_presses: int = 0
    claim_problems: list[str] = field(default_factory=list)
    log_errors: list[str] = field(default_factory=list)
    settled: bool = False
    settle_seconds: float = 0.0
    final_exits: list[int | None] = field(default_factory=list)
    """The exit code of each bot still running at the end, stopped with SIGTERM."""
    balanced: list[int] = field(default_factory=list)
    """Webhook or WeChat: how many requests the balancer's each backend (instance) answered."""
    wechat: WeChatFigures | None = None
    """With residents on WeChat: what Tencent delivered and what reached the followers."""
    elapsed: float = 0.0

    def problems(self) -> list[str]:
        """Every broken invariant, one line each; empty when the run lost and doubled nothing."""
        found = [f"lost: {x}" for x in self.lost]
        found += self.wechat.problems() if self.wechat is not None else []
        found += [f"duplicate task: {x}" for x in self.duplicate_tasks]
        found += [f"card posted again with no kill between: {x}" for x in self.duplicate_cards]
        found += [f"card posted again without saying so: {x}" for x in self.unmarked_resends]
        found += [f"no card: {x}" for x in self.tasks_without_card]
        found += [f"claim: {x}" for x in self.claim_problems]
        found += [f"log: {x}" for x in self.log_errors]
        quota_refused = len(self.wechat.quota_refused) if self.wechat is not None else 0
        if self.outbox.get("pending") or self.outbox.get("failed", 0) > quota_refused:
            found.append(f"outbox not delivered: {self.outbox}")
        if self.unprocessed_updates:
            found.append(f"{self.unprocessed_updates} stored updates never processed")
        if not self.settled:
            found.append("the last bot did not settle in time")
        if not self.final_exits or any(code != 0 for code in self.final_exits):
            found.append(f"the last bots exited with {self.final_exits} on SIGTERM")
        return found

    def report(self) -> str:
        lines = [
            f"engine {self.engine}, seed {self.seed}, "
            f"{self.instances} instance{'s' if self.instances > 1 else ''}, {self.mode}",
            f"faults injected (SIGKILL): {self.kills}, "
            f"{self.killed_starting} of them during start-up",
            f"crashes survived: {0 if self.problems() else self.kills}/{self.kills} "
            "(restarted on the same database each time; none if anything broke)",
            f"messages accepted: {self.messages}, tasks created: {self.tasks}, "
            f"messages merged into their sender's task as a repeat: {self.merged}",
            f"messages lost: {len(self.lost)}, duplicate tasks: {len(self.duplicate_tasks)}",
            f"cards posted: {self.cards_posted}, duplicate cards: "
            f"{len(self.duplicate_cards) + len(self.resent_cards)} "
            f"({len(self.resent_cards)} re-sent after a kill, "
            f"{len(self.resent_cards) - len(self.unmarked_resends)} of them saying so, "
            f"{len(self.duplicate_cards)} with no kill between), "
            f"still shown twice at the end: {len(self.still_doubled)}, "
            f"first posts with the note: {len(self.noted_first_posts)}",
            f"claims: {self.pressed_tasks} tasks pressed ({self.presses} presses, "
            f"{self.double_presses} double claims), problems: {len(self.claim_problems)}",
            f"outbox: {dict(sorted(self.outbox.items()))}, "
            f"unprocessed updates: {self.unprocessed_updates}",
            f"settled: {self.settled}, {self.settle_seconds:.1f} s after the last message; "
            f"last exit codes {self.final_exits}",
            f"elapsed: {self.elapsed:.1f} s",
        ]
        if self.balanced:
            lines.insert(-1, f"requests the balancer passed to each instance: {self.balanced}")
        if self.wechat is not None:
            lines[-1:-1] = self.wechat.report()
            lines += self.wechat.details()
        lines += [f"  re-sent card: {x}" for x in self.resent_cards]
        lines += [f"  first post with the note: {x}" for x in self.noted_first_posts]
        lines += [f"  PROBLEM {x}" for x in self.problems()]
        return "\n".join(lines)


def complaints(org: Org, language: Language) -> list[str]:
    """Residents' complaints that name a configured place and classify without a question.

    Each one becomes a task at once (no draft, no category buttons), which is what lets the
    checks count one task per message. From the dev set, plus place × building × problem.
    """
    places = [name for grid in org.grids() for place in grid.places for name in (place.name,)]
    made = [
        f"{place}{building}号楼{problem}"
        for place, building, problem in itertools.product(places, (1, 3, 5, 8, 12), _PROBLEMS)
    ]
    with DEV_SET.open(encoding="utf-8") as rows:
        made += [row["text"] for row in csv.DictReader(rows)]
    return [t for t in made if org.gazetteer.find(t) is not None and _task_at_once(t, language)]


def _task_at_once(message: str, language: Language) -> bool:
    result = language.classify(message)
    return not result.ask and len(message) <= 200


async def soak(
    url: str,
    workload: Workload,
    workdir: Path,
    language: Language,
    *,
    cache_home: Path | None = None,
) -> Figures:
    """Run ``workload`` against bots on the empty database ``url``; files go in ``workdir``.

    The bots' ``XDG_CACHE_HOME`` (jieba's dictionary cache) is ``cache_home``, by default a
    folder in ``workdir``.
    """
    started = time.monotonic()
    settings = load_settings(EXAMPLE)
    org = settings.require_org()
    pool = complaints(org, language)
    rng = random.Random(workload.seed)
    figures = Figures(
        "postgresql" if url.startswith("postgresql") else "sqlite",
        workload.seed,
        instances=workload.instances,
        mode=("webhook" if workload.webhook else "polling")
        + (", residents on WeChat" if workload.wechat else ""),
    )
    cache_home = cache_home or workdir / "cache"
    async with _driven(url, org, workload, workdir, cache_home) as driver:
        standin = driver.standin
        followers = driver.followers
        residents = [
            standin.add_user(10_001 + i, _NAMES[i % len(_NAMES)])
            for i in range(0 if followers else workload.residents)
        ]

        def planned() -> tuple[float, User | str, str]:
            """Seconds to wait, who writes (a Telegram user or a follower's OpenID), what."""
            if followers is not None:
                return (rng.uniform(*workload.gap), *followers.plan(rng, pool))
            return rng.uniform(*workload.gap), rng.choice(residents), rng.choice(pool)

        sent: Counter[tuple[str, str]] = Counter()
        for slot in range(workload.instances):
            await driver.start(slot)
        for life in range(workload.kills + 1):
            during_start_up = rng.random() < workload.starting
            plan = [planned() for _ in range(rng.randint(*workload.messages))]
            tail = rng.uniform(*workload.tail)
            victim = rng.randrange(workload.instances) if workload.instances > 1 else 0
            racing = None  # with WeChat: two messages in flight as the kill comes, one to each
            if followers is not None and life < workload.kills and rng.random() < workload.at_kill:
                racing = (
                    rng.uniform(0.0, 0.02),
                    followers.plan(rng, pool),
                    followers.plan(rng, pool),
                )
            if not during_start_up:
                await driver.until_working(victim)
            for gap, resident, message in plan:
                await asyncio.sleep(gap)  # pacing the residents, not synchronisation
                if isinstance(resident, str):
                    assert followers is not None
                    followers.write(resident, message)
                else:
                    standin.send_text(resident, message)
                    sent[telegram(resident.id), message] += 1
                driver.claim_new_cards()
            if life < workload.kills:
                await asyncio.sleep(tail)  # the random moment of the kill
                if racing is not None and followers is not None:
                    followers.write(*racing[1])
                    followers.write(*racing[2])
                    await asyncio.sleep(racing[0])  # while they are handled
                await driver.kill(victim)
                await driver.start(victim)
        stream_ended = time.monotonic()
        figures.settled = await driver.settle()
        figures.settle_seconds = time.monotonic() - stream_ended
        figures.final_exits = await driver.stop()
        await driver.check(figures, sent)
        if driver.balancer is not None:
            figures.balanced = list(driver.balancer.forwarded.values())
    figures.elapsed = time.monotonic() - started
    return figures


@asynccontextmanager
async def _driven(
    url: str, org: Org, workload: Workload, workdir: Path, cache_home: Path
) -> AsyncIterator[_Driver]:
    """The stand-ins, the reader of ``url``, the balancer and, with WeChat, Tencent's caller,
    all open: the driver of one run."""
    async with contextlib.AsyncExitStack() as stack:
        standin = await stack.enter_async_context(BotApiStandIn(token=TOKEN))
        wx = None
        if workload.wechat:
            wx = WeChatStandIn(crash_wechat.APP_ID, crash_wechat.APP_SECRET, clock=time.time)
            await stack.enter_async_context(wx)
        db = await stack.enter_async_context(_reader(url))
        driver = _Driver(standin, org, workload, workdir, db, cache_home=cache_home, wx=wx)
        if driver.balancer is not None:
            await stack.enter_async_context(driver.balancer)
        if wx is not None and driver.balancer is not None:
            tencent = CallbackDriver(
                driver.balancer.url + crash_wechat.CALLBACK_PATH,
                token=crash_wechat.CALLBACK_TOKEN,
                mode="safe",
                encoding_aes_key=crash_wechat.AES_KEY,
                receive_id=crash_wechat.APP_ID,
                retry_interval=workload.retry_interval,
            )
            driver.followers = Followers(
                wx,
                await stack.enter_async_context(tencent),
                per_resident=workload.per_resident,
                repeat=workload.repeat,
            )
        yield driver


_RUNNING = b"griddesk is running"
"""What ``griddesk run`` logs once it has started (:func:`bot.app.serve`)."""
_DRAIN = 0.02
"""Seconds after a bot died for the stand-ins to read the requests it sent before."""


class _Driver:
    """The bot processes, the workers' presses and the final checks of one run.

    Instances are numbered slots; each slot runs one bot at a time, on its own config (in
    webhook mode its own HTTP port behind :attr:`balancer`), and writes one log per life.
    """

    def __init__(
        self,
        standin: BotApiStandIn,
        org: Org,
        workload: Workload,
        workdir: Path,
        db: _Reader,
        *,
        cache_home: Path,
        wx: WeChatStandIn | None = None,
    ) -> None:
        self.standin, self.org, self.workload, self.workdir, self.db = (
            standin, org, workload, workdir, db,
        )  # fmt: skip
        self.cache_home = cache_home
        self.wx = wx
        self.followers: Followers | None = None
        """The residents on WeChat (``--wechat``), set once Tencent's caller is open."""
        people = {
            p.name: standin.add_user(telegram_id(p.user_id), p.name) for p in org.people.values()
        }
        self.users = {user.id: user for user in people.values()}
        for kind in UnitKind:
            for unit in org.units(kind):
                standin.add_group(telegram_id(unit.chat_id), unit.name)
        slots = range(workload.instances)
        ports = [free_port() for _ in slots] if workload.webhook or wx is not None else []
        self.balancer = (
            RoundRobin([f"http://127.0.0.1:{port}" for port in ports]) if ports else None
        )
        self.configs = [self._config(slot, ports[slot] if ports else None) for slot in slots]
        self.processes: list[asyncio.subprocess.Process | None] = [None for _ in slots]
        self.logs: list[Path | None] = [None for _ in slots]
        self.lives = [0 for _ in slots]
        self.kill_marks: list[int] = []
        """The call-log length at each SIGKILL (:meth:`kill`): calls from that index on came
        after it."""
        self.kills = 0
        self.killed_starting = 0
        self.seen_calls = 0
        self.seen: set[tuple[int, int]] = set()
        self.pressed: dict[str, set[int]] = defaultdict(set)
        self.presses = 0
        self.double_presses = 0

    def _config(self, slot: int, port: int | None) -> Path:
        """Slot ``slot``'s config: the example on the soak's database and stand-in; in webhook
        mode serving on ``port`` and telling Telegram to call the balancer; with WeChat serving
        its callback on ``port``, the WeChat API its stand-in, no quiet hours."""
        text = (
            EXAMPLE.read_text("utf-8")
            .replace('base_url = ""', f'base_url = "{self.standin.base_url}"')
            .replace("poll_timeout = 30", "poll_timeout = 5")
            .replace("poll_lease = 10", f"poll_lease = {self.workload.poll_lease}")
            .replace('url = "sqlite:///griddesk.db"', f'url = "{self.db.url}"')
        )
        if port is not None:
            text = text.replace('listen = ""', f'listen = "127.0.0.1:{port}"')
        if port is not None and self.balancer is not None and self.workload.webhook:
            text = text.replace('mode = "polling"', 'mode = "webhook"').replace(
                'webhook_url = ""', f'webhook_url = "{self.balancer.url}/telegram"'
            )
        if self.wx is not None:
            # every notice goes out at once, whatever the hour: no run depends on the time of day
            text = text.replace('quiet_hours = "22:00-07:00"', 'quiet_hours = "00:00-00:00"')
            text += crash_wechat.config(self.wx.base_url)
        config = self.workdir / f"griddesk-{slot}.toml"
        config.write_text(text, "utf-8")
        return config

    async def start(self, slot: int) -> None:
        self.lives[slot] += 1
        env = {**os.environ, "GRIDDESK_TELEGRAM_TOKEN": TOKEN, "PTB_TIMEDELTA": "true"}
        env["XDG_CACHE_HOME"] = str(self.cache_home)
        env["GRIDDESK_WEBHOOK_SECRET"] = WEBHOOK_SECRET
        if self.wx is not None:
            env.update(crash_wechat.environment())
        log = self.workdir / f"bot-{slot}-{self.lives[slot]:04d}.log"
        self.logs[slot] = log
        with log.open("wb") as stderr:
            self.processes[slot] = await asyncio.create_subprocess_exec(
                str(GRIDDESK), "run", "--config", str(self.configs[slot]), env=env,
                stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.DEVNULL, stderr=stderr,
            )  # fmt: skip

    def _running(self, slot: int) -> bool:
        log = self.logs[slot]
        return log is not None and _RUNNING in log.read_bytes()

    def _updates_flow(self) -> bool:
        """Someone receives updates since the last kill: in polling mode a getUpdates call
        after it (the poll lease of a killed poller must run out first); by webhook, always.
        With residents on WeChat, always: their messages reach any instance that is up (the
        workers' presses wait for the next poller)."""
        if self.workload.webhook or self.followers is not None:
            return True
        since = self.kill_marks[-1] if self.kill_marks else 0
        return any(c.method == "getUpdates" for c in self.standin.calls[since:])

    async def until_working(self, slot: int, timeout: float = 60.0) -> None:
        """Until the bot in ``slot`` runs and updates reach the instances again."""
        try:
            async with asyncio.timeout(timeout):
                while not (self._running(slot) and self._updates_flow()):
                    self.claim_new_cards()
                    await asyncio.sleep(0.05)
        except TimeoutError:
            log = self.logs[slot]
            tail = log.read_text("utf-8", "replace")[-2000:] if log else ""
            message = f"bot {slot} never got to work in {timeout} s:\n{tail}"
            raise RuntimeError(message) from None

    async def kill(self, slot: int) -> None:
        """SIGKILL the bot in ``slot``, and mark the kill in the stand-ins' logs once what it
        had sent before dying has been handled: the stand-ins run on this event loop, so a
        request the bot wrote just before the signal is read only after it (marked before, a
        card or message it sent and never recorded would look sent after the kill, and its
        re-send like a double with no kill between). A survivor's call in those few
        milliseconds counts as before the kill."""
        process = self.processes[slot]
        assert process is not None
        self.killed_starting += not self._running(slot)
        process.send_signal(signal.SIGKILL)
        await process.wait()
        await asyncio.sleep(_DRAIN)
        self.kill_marks.append(len(self.standin.calls))
        if self.followers is not None:
            self.followers.kill()
        self.processes[slot] = None
        self.kills += 1

    async def stop(self) -> list[int | None]:
        """SIGTERM every bot once it runs; their exit codes (None for one not stopped within
        30 s).

        A bot restarted after the last kill may still be starting when everything has settled
        (its twin did the work): Python's default SIGTERM ends a process that has not yet set
        griddesk's handler, with -15, before it has touched anything. The polite stop under
        test is a running bot's, so the signal waits for each to run (as a deployment's
        restart policy would have it)."""
        for slot, process in enumerate(self.processes):
            if process is not None:
                await self.until_working(slot)
        running = [p for p in self.processes if p is not None]
        for process in running:
            process.send_signal(signal.SIGTERM)
        return list(await asyncio.gather(*(_stopped(p) for p in running)))

    def claim_new_cards(self) -> bool:
        """Workers press 认领 on cards that appeared since the last look; True if any did."""
        calls = self.standin.calls
        chats = {
            int(str(call.params.get("chat_id")))
            for call in calls[self.seen_calls :]
            if call.method in {"sendMessage", "sendPhoto"} and _card_number(call.params)
        }
        self.seen_calls = len(calls)
        pressed = False
        for chat in chats:
            for message in self.standin.chat(chat):
                if (chat, message.message_id) not in self.seen:
                    self.seen.add((chat, message.message_id))
                    pressed |= self._maybe_claim(message)
        return pressed

    def _maybe_claim(self, message: BotMessage) -> bool:
        first = message.history[0] if message.history else message
        number = _CARD.match(first.text or first.caption or "")
        buttons = first.buttons
        data = next((d for row in buttons for label, d in row if label == texts.CLAIM), None)
        unit = self.org.unit_by_chat(telegram(message.chat_id))
        if number is None or data is None or unit is None:
            return False
        rng = random.Random(f"{self.workload.seed}:{number[1]}:{message.chat_id}")
        members = [telegram_id(p.user_id) for p in self.org.members(unit.ref)]
        if not members or rng.random() >= self.workload.press:
            return False
        count = 2 if len(members) > 1 and rng.random() < self.workload.race else 1
        for worker in rng.sample(members, count):
            self.standin.press(self.users[worker], message, data, strict=False)
            self.pressed[number[1]].add(worker)
            self.presses += 1
        self.double_presses += count == 2
        return True

    async def settle(self) -> bool:
        """Poll until updates, Tencent's calls, presses and the outbox are all done; False on
        timeout."""
        try:
            async with asyncio.timeout(self.workload.settle):
                while True:
                    pressed = self.claim_new_cards()
                    idle = not pressed and not self.standin.pending_updates
                    idle = idle and not (self.followers is not None and self.followers.busy)
                    if idle and await self.db.queues() == (0, 0):
                        return True
                    await asyncio.sleep(0.1)
        except TimeoutError:
            return False

    def _card_posts(
        self, figures: Figures, calls: Sequence[Call]
    ) -> dict[tuple[str, int], list[int]]:
        """Where in the call log each card (task number, chat) was posted; re-sends, doubles
        and first posts carrying the note into ``figures``."""
        posts: dict[tuple[str, int], list[int]] = defaultdict(list)
        unmarked: set[tuple[str, int]] = set()
        doubled: set[tuple[str, int]] = set()
        marks = self.kill_marks
        for i, call in enumerate(calls):
            if call.method not in {"sendMessage", "sendPhoto"}:
                continue
            if not (number := _card_number(call.params)):
                continue
            key = number, int(str(call.params["chat_id"]))
            noted = str(call.params.get("text") or call.params.get("caption")).startswith(
                texts.CARD_REPOSTED
            )
            if posts[key] and not noted:
                unmarked.add(key)
            if posts[key] and not _between(marks, posts[key][-1], i):
                doubled.add(key)
            if not posts[key] and noted:
                figures.noted_first_posts.append(f"{number} in {key[1]}, at call {i}")
            posts[key].append(i)
        figures.cards_posted = sum(len(at) for at in posts.values())
        for (number, chat), at in sorted(posts.items()):
            if len(at) > 1:
                where = f"{number} in {chat}, posted at calls {at}"
                found = (
                    figures.duplicate_cards if (number, chat) in doubled else figures.resent_cards
                )
                found.append(where)
                if (number, chat) in unmarked:
                    figures.unmarked_resends.append(where)
                shown = [f[1] for m in self.standin.chat(chat) if (f := _CARD.match(m.content))]
                if shown.count(number) > 1:
                    figures.still_doubled.append(where)
        return posts

    async def check(self, figures: Figures, sent: Counter[tuple[str, str]]) -> None:
        """Fill ``figures`` from the stand-ins' logs, the database and the bots' logs.

        ``sent``: the residents' (address, words) Telegram accepted; with residents on WeChat,
        what the inbox stored is expected instead (every message answered ``success`` must be
        among it, which :meth:`Followers.check` sees to)."""
        figures.kills, figures.killed_starting = self.kills, self.killed_starting
        calls = self.standin.calls
        if self.followers is not None:
            figures.wechat = WeChatFigures()
            inbox, outbox = await self.db.wechat_inbox(), await self.db.wechat_outbox()
            sent = self.followers.check(figures.wechat, inbox, outbox)
        tasks = await self.db.tasks()
        figures.messages, figures.tasks = sum(sent.values()), len(tasks)
        made = Counter(
            (resident, words) for _, resident, body, _ in tasks for words in body.split(_REPEAT)
        )
        figures.merged = sum(body.count(_REPEAT) for _, _, body, _ in tasks)
        for key in sent.keys() | made.keys():
            if made[key] < sent[key]:
                figures.lost.append(f"{sent[key] - made[key]}× resident {key[0]}: {key[1]}")
            elif made[key] > sent[key]:
                figures.duplicate_tasks.append(
                    f"{made[key] - sent[key]}× resident {key[0]}: {key[1]}"
                )
        posts = self._card_posts(figures, calls)
        carded = {number for number, _ in posts}
        figures.tasks_without_card = sorted(n for _, _, _, n in tasks if n not in carded)
        figures.outbox = await self.db.outbox()
        figures.unprocessed_updates = (await self.db.queues())[0]
        claims = await self.db.claims()
        figures.pressed_tasks, figures.presses = len(self.pressed), self.presses
        figures.double_presses = self.double_presses
        for number, workers in sorted(self.pressed.items()):
            claimers = claims.get(number, [])
            if len(claimers) != 1 or claimers[0] not in workers:
                figures.claim_problems.append(f"{number}: pressed by {sorted(workers)}, "
                                              f"claimed by {claimers}")  # fmt: skip
        for log in sorted(self.workdir.glob("bot-*.log")):
            for line in log.read_text("utf-8", "replace").splitlines():
                if " ERROR " in line or line.startswith("Traceback"):
                    figures.log_errors.append(f"{log.name}: {line[:300]}")


def _between(marks: Sequence[int], first: int, then: int) -> bool:
    """Whether a kill (its call-log mark) fell after call ``first`` and by call ``then``."""
    return bisect.bisect_right(marks, first) < bisect.bisect_right(marks, then)


async def _stopped(process: asyncio.subprocess.Process) -> int | None:
    """Wait up to 30 s for a SIGTERMed bot; its exit code, or None (then it is killed)."""
    try:
        async with asyncio.timeout(30):
            return await process.wait()
    except TimeoutError:
        process.kill()
        await process.wait()
        return None


def _card_number(params: Mapping[str, object]) -> str | None:
    """The task number of a new card in a group, from a send call's parameters."""
    chat = params.get("chat_id")
    body = params.get("text") or params.get("caption")
    if not isinstance(chat, int) or chat >= 0 or not isinstance(body, str):
        return None
    found = _CARD.match(body)
    return found[1] if found else None


class _Reader:
    """Read-only queries on the bot's database, from outside the bot."""

    def __init__(self, url: str, engine: AsyncEngine) -> None:
        self.url, self.engine = url, engine

    async def _rows(self, sql: str) -> Sequence[tuple[object, ...]]:
        async with self.engine.connect() as connection:
            return [tuple(row) for row in (await connection.execute(text(sql))).all()]

    async def queues(self) -> tuple[int, int]:
        """(stored updates not processed, outbox rows pending); (-1, -1) before the tables."""
        try:
            rows = await self._rows(
                "SELECT (SELECT count(*) FROM inbox WHERE NOT processed),"
                " (SELECT count(*) FROM outbox WHERE status = 'pending')"
            )
        except DBAPIError:
            return -1, -1
        return int(str(rows[0][0])), int(str(rows[0][1]))

    async def tasks(self) -> list[tuple[int, str, str, str]]:
        """(id, resident's address, text, number) of every task."""
        rows = await self._rows("SELECT id, resident_id, text, number FROM tasks")
        return [(int(str(a)), str(b), str(c), str(d)) for a, b, c, d in rows]

    async def wechat_inbox(self) -> list[tuple[str, bool]]:
        """(message key, processed) of every stored WeChat message."""
        rows = await self._rows("SELECT message_key, processed FROM inbox WHERE channel = 'wechat'")
        return [(str(key), bool(done)) for key, done in rows]

    async def wechat_outbox(self) -> list[tuple[str, str, str, str]]:
        """(chat, text, status, last error) of every outbox row to a WeChat follower."""
        rows = await self._rows(
            "SELECT chat_id, text, status, last_error FROM outbox WHERE chat_id LIKE 'wechat:%'"
            " ORDER BY id"
        )
        return [(str(chat), str(text), str(status), str(error or "")) for chat, text, status,
                error in rows]  # fmt: skip

    async def outbox(self) -> dict[str, int]:
        rows = await self._rows("SELECT status, count(*) FROM outbox GROUP BY status")
        return {str(status): int(str(count)) for status, count in rows}

    async def claims(self) -> dict[str, list[int]]:
        """Task number → who claimed it, one entry per claim event."""
        rows = await self._rows(
            "SELECT t.number, e.actor_id FROM task_events e JOIN tasks t ON t.id = e.task_id"
            " WHERE e.kind = 'claimed' ORDER BY e.id"
        )
        found: dict[str, list[int]] = defaultdict(list)
        for number, actor in rows:
            found[str(number)].append(telegram_id(str(actor)))
        return found


@asynccontextmanager
async def _reader(url: str) -> AsyncIterator[_Reader]:
    engine = create_async_engine(async_url(url))
    try:
        yield _Reader(url, engine)
    finally:
        await engine.dispose()


@asynccontextmanager
async def database(engine: str, workdir: Path) -> AsyncIterator[str]:
    """A fresh SQLite file in ``workdir``, or a ``griddesk_soak_*`` PostgreSQL database."""
    if engine == "sqlite":
        yield f"sqlite:///{workdir / 'griddesk.db'}"
        return
    name = f"griddesk_soak_{secrets.token_hex(6)}"
    admin = await asyncpg.connect(f"{PG_SERVER}/postgres", timeout=5)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()
    try:
        yield f"{PG_SERVER}/{name}"
    finally:
        admin = await asyncpg.connect(f"{PG_SERVER}/postgres", timeout=5)
        try:
            await admin.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1", name
            )
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}"')
        finally:
            await admin.close()


async def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--kills", type=int, default=200)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--engine", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--residents", type=int, default=40)
    parser.add_argument(
        "--instances", type=int, choices=(1, 2, 3), default=1, help="bots at once on the database"
    )
    parser.add_argument(
        "--webhook", action="store_true", help="updates by webhook, through a load balancer"
    )
    parser.add_argument(
        "--burst",
        action="store_true",
        help="residents write in bursts (6-10 messages 0-30 ms apart per life), so that the "
        "instances race for waiting updates",
    )
    parser.add_argument(
        "--wechat",
        action="store_true",
        help="residents are WeChat followers; Tencent's callbacks reach the instances through "
        "a load balancer (workers stay on Telegram)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the logs and the SQLite file")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    # a killed bot leaves its requests half-read; the stand-in's server logs each as an error
    logging.getLogger("aiohttp.server").setLevel(logging.CRITICAL)
    logging.getLogger("jieba").setLevel(logging.WARNING)
    # slower than Telegram's 20 messages a minute per group, so the backlog stays bounded
    workload = Workload(
        kills=args.kills, seed=args.seed, residents=args.residents, messages=(0, 4),
        gap=(0.3, 2.0), settle=300.0, instances=args.instances, webhook=args.webhook,
        wechat=args.wechat,
    )  # fmt: skip
    if args.burst:
        workload = replace(workload, messages=(6, 10), gap=(0.0, 0.03))
    workdir = Path(tempfile.mkdtemp(prefix="griddesk-soak-"))
    language = build_language(ClassifierSettings(cache_dir=workdir / "cache" / "griddesk"))
    async with database(args.engine, workdir) as url:
        figures = await soak(url, workload, workdir, language)
    print(figures.report())
    if args.keep:
        print(f"logs and database: {workdir}")
    else:
        shutil.rmtree(workdir, ignore_errors=True)
    return 1 if figures.problems() else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
