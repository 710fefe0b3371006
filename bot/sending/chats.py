"""Groups that moved: a group upgraded to a supergroup gets a new chat id.

The configuration keeps naming the group by its old id, and every task, card and figure is
kept under the unit, not the id. So the bot translates at the edges: the outbox sends to the
id the group lives under now, and a message or a press arriving from the new id is taken as
coming from the configured group. This holds the moves this process knows, in both
directions; it is loaded from the store at start-up and told of every move the outbox finds
(a send refused with ``migrate_to_chat_id``) or Telegram announces (the service message).
"""

from __future__ import annotations

from collections.abc import Mapping


class ChatMoves:
    """Old chat id → new chat id, and back; one per process (the store is the record)."""

    def __init__(self, moves: Mapping[str, str] | None = None) -> None:
        self._new_by_old: dict[str, str] = {}
        self._old_by_new: dict[str, str] = {}
        for old_id, new_id in (moves or {}).items():
            self.add(old_id, new_id)

    def add(self, old_id: str, new_id: str) -> None:
        if old_id == new_id:
            return
        self._new_by_old[old_id] = new_id
        self._old_by_new[new_id] = old_id

    def configured(self, chat_id: str) -> str:
        """The id the configuration knows ``chat_id``'s group by (itself if it never moved)."""
        return _follow(self._old_by_new, chat_id)

    def current(self, chat_id: str) -> str:
        """The id the group configured as ``chat_id`` lives under now."""
        return _follow(self._new_by_old, chat_id)


def _follow(links: Mapping[str, str], chat_id: str) -> str:
    for _ in range(len(links)):  # bounded: a (corrupt) cycle cannot loop forever
        if chat_id not in links:
            break
        chat_id = links[chat_id]
    return chat_id
