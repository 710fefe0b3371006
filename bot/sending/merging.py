"""Several waiting messages to one resident, sent as one where every message is counted.

On WeChat a resident's own message opens five customer-service messages within 48 hours and no
more (:mod:`handlers.wechat.api`); what goes beyond needs a template message or is not sent at
all. Messages pile up for one resident whenever they become due together: notices held through
quiet hours (a claim and a result in the night go out at 07:00), a resident's several problems
claimed in the same minute, a queue that waited out WeChat being busy. Sent one by one they
would spend the quota twice or three times on what one message says as well, so the outbox
takes a chat's run of waiting messages that can be read as one and sends them together, in the
order written, blank lines between.

A run holds plain messages only: no card, no edit, no deletion, no photo (each of those is its
own kind of request). Only the run's last message may offer choices, so the numbers stay at the
end, where the resident answers them (a choice in the middle would be forgotten by the message
after it anyway: a number answers the newest message). A run stays well under WeChat's text
limit (about 2,048 bytes, not documented). A merged message that WeChat refuses for its window
or quota is not cut down to a template (which carries one notice): the outbox sends its parts
one by one instead, so each notice can take its own template.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from bot.channels import Channel, channel_of
from bot.domain import Outgoing

COUNTED_CHANNELS = frozenset({Channel.WECHAT})
"""Channels where every message to a person counts against a quota, so waiting ones merge."""
MAX_MERGED_CHARACTERS = 600
"""The longest text a merged message may have: 600 Chinese characters are 1,800 bytes in UTF-8,
under the ~2,048 bytes a customer-service text was seen to take."""
SEPARATOR = "\n\n"


def merges(chat_id: str) -> bool:
    """Whether waiting messages to ``chat_id`` are sent together."""
    try:
        return channel_of(chat_id) in COUNTED_CHANNELS
    except ValueError:
        return False


def mergeable(message: Outgoing) -> bool:
    """Whether ``message`` is plain text that may share a message with others."""
    return (
        message.card_of is None
        and message.edit_card_of is None
        and message.delete_message_id is None
        and message.photo is None
        and not message.live
        and bool(message.text)
    )


def run_length(messages: Iterable[Outgoing]) -> int:
    """How many of ``messages`` (one chat's, in order) go out as the next message: at least
    one; more only when they merge (see the module doc)."""
    length, characters = 0, 0
    for message in messages:
        if length and not mergeable(message):
            break
        characters += len(message.text) + (len(SEPARATOR) if length else 0)
        if length and characters > MAX_MERGED_CHARACTERS:
            break
        length += 1
        if message.buttons or not mergeable(message):
            break
    return max(length, 1)


def merged(messages: Sequence[Outgoing]) -> Outgoing:
    """One message saying what ``messages`` (a run, :func:`run_length`) say, in order."""
    last = messages[-1]
    return Outgoing(
        last.chat_id,
        SEPARATOR.join(message.text for message in messages),
        buttons=last.buttons,
        mentions=tuple(mention for message in messages for mention in message.mentions),
        parts=len(messages),
    )
