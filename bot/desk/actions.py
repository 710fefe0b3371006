"""What a button does, written into its callback data and read back from a press.

Telegram gives a button at most 64 bytes of callback data and anyone can send any bytes as a
"press", so every action is short ASCII, parsed strictly, and checked again by the desk against
the current state (a forged or replayed press changes nothing).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from enum import StrEnum

MAX_BYTES = 64


class Verb(StrEnum):
    """What a press asks for."""

    CLAIM = "c"
    RESOLVE = "d"
    TRANSFER = "t"  # show the members to hand the task to
    TRANSFER_TO = "u"  # arg: the member's person_key
    TRANSFER_CANCEL = "x"
    ESCALATE = "e"
    GIVE_BACK = "b"
    RATE = "r"  # arg: a Rating value
    PICK_COMMUNITY = "pc"  # arg: community id, ":d" when it answers "where?" for a report
    PICK_PLACE = "pp"  # arg: grid id, place index — the resident's home
    PLACE_DRAFT = "pd"  # arg: grid id, place index — where the waiting report is
    MERGE = "m"  # show the unit's other tasks to merge this one into
    MERGE_INTO = "mi"  # arg: the id of the task to merge into
    PICK_CATEGORY = "pk"  # arg: category id
    RECATEGORISE = "k"  # 改类别: show the categories on the card (bot.desk.recategorising)
    RECATEGORISE_TO = "kt"  # arg: the category id picked
    BROADCAST_CONFIRM = "bc"  # task id: the broadcast's id
    BROADCAST_DISCARD = "bd"
    BROADCAST_STOP = "bs"
    WORKER_OWN = "wo"  # a worker's private words are a report of their own (bot.desk.workers_own)
    WORKER_NOTE = "wn"  # task id: the words are about this task of theirs
    WORKER_DROP = "wd"  # the words need not be kept
    BROADCAST_NIGHT = "bn"  # send a one-off notice at its time, even in residents' quiet hours
    RESULT_CONFIRM = "rc"  # arg: the fingerprint of the previewed note (bot.desk.resolution)
    RESULT_REVISE = "rv"
    RESULT_DISCARD = "rx"
    WITHDRAW = "wr"  # arg: a WithdrawReason value (bot.desk.withdrawal)
    WITHDRAW_KEEP = "wk"  # the resident keeps the task after all
    WITHDRAW_PICK = "wp"  # /cancel's list: offer to withdraw this task
    SEVERAL = "sv"  # arg: "each" (one task per problem) or "one" (bot.desk.several)
    ERASE_CONFIRM = "ec"  # /forget: delete the resident's personal data (bot.desk.erasure)
    ERASE_KEEP = "ek"
    FAQ_TO_STAFF = "fq"  # the FAQ's answer did not help: file the question (bot.desk.consultation)


@dataclass(frozen=True)
class Action:
    """A parsed press: the verb, the task it is about (0 when none) and one argument."""

    verb: Verb
    task_id: int = 0
    arg: str = ""

    def encode(self) -> str:
        data = f"{self.verb.value}:{self.task_id}:{self.arg}"
        if len(data.encode()) > MAX_BYTES:
            raise ValueError(f"callback data longer than {MAX_BYTES} bytes: {data!r}")
        return data


_SHAPE = re.compile(r"^([a-z]{1,2}):(\d{1,12}):([A-Za-z0-9_.\-:]{0,48})$")


def parse_action(data: str | None) -> Action | None:
    """The action in ``data``, or None for anything malformed (forged, truncated, foreign)."""
    match = _SHAPE.match(data or "")
    if match is None:
        return None
    try:
        verb = Verb(match.group(1))
    except ValueError:
        return None
    return Action(verb, int(match.group(2)), match.group(3))


def person_key(user_id: str) -> str:
    """A person as a button names them (转交 to whom): 12 hex digits of their address's SHA-1.

    Not the address itself: a WeCom UserID may be 64 characters and hold an ``@``, more and
    other than a button's 64 ASCII bytes carry. The desk finds the person again among the
    unit's members by this key; two members of one unit sharing one is a 1 in 2**48 chance.
    """
    return hashlib.sha1(user_id.encode(), usedforsecurity=False).hexdigest()[:12]
